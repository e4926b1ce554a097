//! The macros that build the constants and registries of every MIB module.
//!
//! * `oid!(PARENT, arc, ...)`: a `&'static [u32]` of the parent's arcs followed by more,
//!   computed at compile time.
//! * `nodes!`: named OIDs (`pub const`) plus a registry of them.
//! * `scalars!`: a module of scalar objects under one group: `GROUP`, one constant per
//!   scalar holding its instance OID (`.0`), `SCALARS` and `NODES`.
//! * `table!`: a module for a table: `TABLE`, `ENTRY`, one `u32` per column, `COLUMNS`
//!   and `NODES`.
//! * `mib_enum!`: an enumerated INTEGER as a Rust enum with the MIB's numbers and labels.

/// `oid!(PARENT, arc, ...)`: the OID `PARENT.arc...` as a `&'static [u32]`, computed at
/// compile time from a parent constant.
macro_rules! oid {
    ($parent:expr $(, $arc:expr)+ $(,)?) => {{
        const PARENT: &[u32] = $parent;
        const ARCS: &[u32] = &[$($arc),+];
        const LEN: usize = PARENT.len() + ARCS.len();
        const JOINED: [u32; LEN] = $crate::join::<LEN>(PARENT, ARCS);
        &JOINED
    }};
}

/// Named OIDs and a registry of them:
///
/// ```text
/// nodes! { "MODULE", REGISTRY;
///     /// docs
///     CONST = "descriptor", oid!(PARENT, 1);
/// }
/// ```
macro_rules! nodes {
    (
        $module:literal, $registry:ident;
        $( $(#[$meta:meta])* $name:ident = $label:literal, $value:expr; )+
    ) => {
        $( $(#[$meta])* pub const $name: &[u32] = $value; )+

        #[doc = concat!("The ", $module, " nodes above, by descriptor.")]
        pub const $registry: &[$crate::MibNode] = &[
            $( $crate::MibNode { module: $module, name: $label, oid: $name }, )+
        ];
    };
}

/// A module of scalar objects that share a parent:
///
/// ```text
/// scalars! {
///     /// module docs
///     pub mod system("MODULE", "groupDescriptor", oid!(PARENT, 1)) {
///         /// docs
///         DESCR = "sysDescr", 1;
///     }
/// }
/// ```
macro_rules! scalars {
    (
        $(#[$meta:meta])*
        pub mod $modname:ident($module:literal, $glabel:literal, $gvalue:expr) {
            $( $(#[$smeta:meta])* $name:ident = $label:literal, $arc:literal; )+
        }
    ) => {
        $(#[$meta])*
        pub mod $modname {
            #[allow(unused_imports)]
            use super::*;

            #[doc = concat!("`", $glabel, "` (", $module, "): the parent of the scalars of this module.")]
            pub const GROUP: &[u32] = $gvalue;

            $( $(#[$smeta])* pub const $name: &[u32] = oid!(objects::$name, 0); )+

            /// The scalar objects themselves (without the `.0` instance), under the same
            /// names: what a notification's OBJECTS clause and `sysORTable` name.
            pub mod objects {
                $(
                    #[doc = concat!("`", $label, "` (", $module, "): the object, without instance.")]
                    pub const $name: &[u32] = oid!(super::GROUP, $arc);
                )+
            }

            /// Each scalar's descriptor and instance OID (`.0`), in MIB order.
            pub const SCALARS: &[(&str, &[u32])] = &[ $( ($label, $name), )+ ];

            /// The group and its scalar objects (object OIDs, without `.0`), by descriptor.
            pub const NODES: &[$crate::MibNode] = &[
                $crate::MibNode { module: $module, name: $glabel, oid: GROUP },
                $( $crate::MibNode { module: $module, name: $label, oid: objects::$name }, )+
            ];
        }
    };
}

/// A module for a conceptual table:
///
/// ```text
/// table! {
///     /// module docs
///     pub mod if_table("IF-MIB", "ifTable", oid!(INTERFACES, 2), "ifEntry") {
///         /// docs
///         INDEX = "ifIndex", 1;
///     }
/// }
/// ```
macro_rules! table {
    (
        $(#[$meta:meta])*
        pub mod $modname:ident($module:literal, $tlabel:literal, $tvalue:expr, $elabel:literal) {
            $( $(#[$cmeta:meta])* $col:ident = $clabel:literal, $num:literal; )+
        }
    ) => {
        $(#[$meta])*
        pub mod $modname {
            #[allow(unused_imports)]
            use super::*;

            #[doc = concat!("`", $tlabel, "` (", $module, "): the table.")]
            pub const TABLE: &[u32] = $tvalue;

            #[doc = concat!("`", $elabel, "` (", $module, "): the conceptual row; the cell of column `c` in row `index` is `ENTRY.c.index` ([`cell`](crate::cell)).")]
            pub const ENTRY: &[u32] = oid!(TABLE, 1);

            $( $(#[$cmeta])* pub const $col: u32 = $num; )+

            /// Every column's sub-identifier, in MIB order (the order of a GETNEXT walk
            /// within a row's columns).
            pub const COLUMNS: &[u32] = &[ $( $col, )+ ];

            /// The table, its entry and its columns (object OIDs), by descriptor.
            pub const NODES: &[$crate::MibNode] = &[
                $crate::MibNode { module: $module, name: $tlabel, oid: TABLE },
                $crate::MibNode { module: $module, name: $elabel, oid: ENTRY },
                $( $crate::MibNode { module: $module, name: $clabel, oid: oid!(ENTRY, $col) }, )+
            ];
        }
    };
}

/// An enumerated INTEGER (RFC 2578 §7.1.1) as a Rust enum:
///
/// ```text
/// mib_enum! {
///     /// docs
///     pub enum HookState {
///         /// docs
///         OnHook = 1, "onHook";
///     }
/// }
/// ```
macro_rules! mib_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal, $label:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum $name {
            $( $(#[$vmeta])* $variant = $value, )+
        }

        impl $name {
            /// Every value, in MIB order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// The MIB's label and number of every value, in MIB order.
            pub const NAMED: &'static [(&'static str, i32)] = &[ $( ($label, $value), )+ ];

            /// The value as the MIB numbers it.
            pub const fn value(self) -> i32 {
                self as i32
            }

            /// The MIB's label of the value (what `snmpget` prints before the number).
            pub const fn label(self) -> &'static str {
                match self {
                    $( $name::$variant => $label, )+
                }
            }

            /// The value whose MIB label is `label`.
            pub fn from_label(label: &str) -> Option<Self> {
                match label {
                    $( $label => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        impl From<$name> for i32 {
            fn from(value: $name) -> i32 {
                value as i32
            }
        }

        impl TryFrom<i32> for $name {
            type Error = $crate::Error;

            fn try_from(value: i32) -> $crate::Result<Self> {
                match value {
                    $( $value => Ok($name::$variant), )+
                    _ => Err($crate::Error::UnknownValue {
                        enumeration: stringify!($name),
                        value,
                    }),
                }
            }
        }

        impl ::core::fmt::Display for $name {
            /// `label(number)`, as net-snmp prints an enumerated value.
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                write!(f, "{}({})", self.label(), self.value())
            }
        }
    };
}

//! `tipring-mibs`: TIPRING-MIB, the product's own SMIv2 module, and the object
//! identifiers of every MIB object the Tipring agent serves — each defined once, here.
//!
//! The crate has no dependencies and no code that runs at start-up: OIDs are
//! `&'static [u32]` constants computed at compile time, each from its parent, so an arc
//! is written once and a subtree moves with its root. The SNMP engine (`tipring-snmp`)
//! has its own `Oid` type; the agent converts these slices into it when it builds its MIB
//! views.
//!
//! # What is here
//!
//! | module | MIB module | defined in |
//! |---|---|---|
//! | [`tipring`] | TIPRING-MIB (`TIPRING-MIB.txt` beside this crate's `Cargo.toml`) | this project |
//! | [`smi`] | SNMPv2-SMI roots (`mib-2`, `enterprises`, `snmpModules`, `zeroDotZero`) | RFC 2578 |
//! | [`tc`] | SNMPv2-TC `TruthValue` | RFC 2579 |
//! | [`snmpv2`] | SNMPv2-MIB: `system` group, `sysORTable`, `snmp` counters, `snmpTrapOID.0`, `coldStart`, `warmStart`, `authenticationFailure` | RFC 3418 |
//! | [`if_mib`] | IF-MIB: `ifNumber`, `ifTable`, `ifXTable`, `linkDown`/`linkUp`; IANAifType values | RFC 2863 |
//! | [`entity`] | ENTITY-MIB: `entPhysicalTable`, `entLastChangeTime`, `entConfigChange`; IANAPhysicalClass | RFC 6933 (RFC 4133) |
//! | [`host_resources`] | HOST-RESOURCES-MIB: `hrSystemUptime`, `hrStorageTable`, `hrDeviceTable`, `hrProcessorTable`; storage and device types | RFC 2790 |
//! | [`v3`] | SNMP-FRAMEWORK-MIB `snmpEngine`, SNMP-MPD-MIB and USM statistics, SNMP-TARGET-MIB context counters, USM protocol identities, module identities for `sysORTable` | RFC 3411–3415, 3584, 3826, 7860 |
//!
//! Naming: a scalar is a constant holding its **instance** OID (`….0`), the OID a GET
//! names. A table is a module with `TABLE`, `ENTRY` (the conceptual row) and one `u32`
//! constant per column, the column's sub-identifier: the cell of column `c` in row
//! `index` is `ENTRY.c.index` ([`cell`]). Enumerated INTEGERs are Rust enums whose
//! discriminants are the MIB's numbers (`i32::from(e)`, `E::try_from(i32)`).
//!
//! Every node also sits in a registry ([`MibNode`]): [`name_of`] names a TIPRING-MIB
//! node, [`lookup`] and [`describe`] name any OID under a known node for logs. The
//! crate's tests compare every registry entry, scalar instance, column, enumeration and
//! notification object list with what net-snmp's `snmptranslate` reads from
//! TIPRING-MIB, SNMPv2-MIB and IF-MIB, and require a constant for every node of
//! TIPRING-MIB, so the MIB file and the code cannot drift apart; `smilint -l 4` checks the
//! MIB itself. ENTITY-MIB, HOST-RESOURCES-MIB and the SNMPv3 modules are not installed
//! on the build machines: unit tests check those constants against tables typed from
//! the RFCs.
//!
//! # The enterprise number is a placeholder
//!
//! Tipring has no IANA Private Enterprise Number yet. [`ENTERPRISE`] is 32473, the
//! number RFC 5612 reserves for documentation, and every Tipring OID — in this crate and
//! in `TIPRING-MIB.txt` — hangs below `enterprises.ENTERPRISE`. When IANA assigns Tipring
//! a number, change [`ENTERPRISE`] and the `{ enterprises 32473 }` line of the MIB;
//! nothing else changes.
//!
//! # How the agent uses it
//!
//! ```
//! use tipring_mibs::{cell, describe, if_mib, name_of, snmpv2, tipring, SYS_OBJECT_ID};
//! use tipring_mibs::tipring::{port_table, reg_table, RegState};
//!
//! // sysObjectID.0 identifies the product.
//! assert_eq!(snmpv2::system::OBJECT_ID, &[1, 3, 6, 1, 2, 1, 1, 2, 0]);
//! assert_eq!(SYS_OBJECT_ID, tipring::GATEWAY);
//!
//! // Port 3's registration state: ENTRY.column.index, with the MIB's number as value.
//! let oid = cell(reg_table::ENTRY, reg_table::STATE, &[3]);
//! let value = i32::from(RegState::Registered);
//! assert_eq!(value, 4);
//! assert_eq!(describe(&oid), "TIPRING-MIB::tipringRegState.3");
//!
//! // The same port is ifIndex 3 in IF-MIB, an interface of type voiceFXS(102).
//! let if_type = cell(if_mib::if_table::ENTRY, if_mib::if_table::TYPE, &[3]);
//! assert_eq!(describe(&if_type), "IF-MIB::ifType.3");
//! assert_eq!(i32::from(if_mib::IfType::VoiceFxs), 102);
//!
//! // A notification: snmpTrapOID.0 = tipringRegistrationLost, then its objects for port 3.
//! let trap = tipring::notifications::REGISTRATION_LOST;
//! assert_eq!(name_of(trap), Some("tipringRegistrationLost"));
//! let varbinds: Vec<Vec<u32>> = tipring::notifications::varbinds_of(trap)
//!     .unwrap()
//!     .iter()
//!     .map(|object| [*object, &[3][..]].concat())
//!     .collect();
//! assert_eq!(varbinds[0], cell(reg_table::ENTRY, reg_table::AOR, &[3]));
//! # let _ = port_table::EXTENSION;
//! ```

#![warn(missing_docs)]

mod error;
#[macro_use]
mod macros;

pub mod entity;
pub mod host_resources;
pub mod if_mib;
pub mod smi;
pub mod snmpv2;
pub mod tc;
pub mod tipring;
pub mod v3;

#[cfg(test)]
mod tests;

pub use error::{Error, Result};
pub use tipring::{name_of, TIPRING};

/// Tipring's IANA Private Enterprise Number — **a placeholder**.
///
/// 32473 is the number RFC 5612 §2 reserves for use in documentation. Replace it (and the
/// `{ enterprises 32473 }` line of `TIPRING-MIB.txt`) when IANA assigns Tipring a number;
/// nothing else changes, since every Tipring OID is built from this one constant.
pub const ENTERPRISE: u32 = 32473;

/// The value of `sysObjectID.0` (SNMPv2-MIB, RFC 3418): `tipringGateway`
/// (TIPRING-MIB), which tells a manager that the device is a Tipring gateway.
pub const SYS_OBJECT_ID: &[u32] = tipring::GATEWAY;

/// Longest text a `DisplayString` (SNMPv2-TC, RFC 2579) or a `TipringUtf8String`
/// (TIPRING-MIB) may hold, in octets.
pub const TEXT_MAX_LEN: usize = 255;

/// One named node of a MIB module: what the registries of this crate hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MibNode {
    /// The MIB module that defines the node (`TIPRING-MIB`, `IF-MIB`, ...).
    pub module: &'static str,
    /// The node's descriptor in that module (`tipringRegState`, `ifOperStatus`, ...).
    pub name: &'static str,
    /// The node's OID (for a scalar or a column: the object, without instance).
    pub oid: &'static [u32],
}

/// Every registry of the crate, one slice of registries per Rust module.
const FAMILIES: &[&[&[MibNode]]] = &[
    smi::REGISTRIES,
    tipring::REGISTRIES,
    snmpv2::REGISTRIES,
    if_mib::REGISTRIES,
    entity::REGISTRIES,
    host_resources::REGISTRIES,
    v3::REGISTRIES,
];

/// Every node this crate names, all modules together (TIPRING-MIB and the standard
/// modules), in no particular order.
pub fn all_nodes() -> impl Iterator<Item = &'static MibNode> {
    FAMILIES
        .iter()
        .flat_map(|family| family.iter())
        .flat_map(|registry| registry.iter())
}

/// The known node that is the longest prefix of `oid`, and the rest of `oid` after it
/// (for an object: its instance; empty when `oid` is the node itself).
///
/// Searches every module of the crate linearly (a few hundred nodes): meant for logs and
/// tests, not for the agent's request path.
pub fn lookup(oid: &[u32]) -> Option<(&'static MibNode, &[u32])> {
    all_nodes()
        .filter(|node| oid.starts_with(node.oid))
        .max_by_key(|node| node.oid.len())
        .map(|node| (node, &oid[node.oid.len()..]))
}

/// `oid` as `MODULE::name.instance` (e.g. `TIPRING-MIB::tipringRegState.3`) when it is
/// under a known node, else in dotted numbers (`1.3.6.1.99`).
pub fn describe(oid: &[u32]) -> String {
    match lookup(oid) {
        Some((node, rest)) => {
            let mut s = format!("{}::{}", node.module, node.name);
            for arc in rest {
                s.push('.');
                s.push_str(&arc.to_string());
            }
            s
        }
        None => dotted(oid),
    }
}

/// `oid` in dotted numbers without a leading dot (`1.3.6.1.2.1.1.1.0`), the form
/// `snmptranslate -On` prints after its leading dot.
pub fn dotted(oid: &[u32]) -> String {
    oid.iter().map(u32::to_string).collect::<Vec<_>>().join(".")
}

/// The OID of the cell of column `column` in the row `index` of the table whose entry
/// (conceptual row) OID is `entry`: `entry.column.index` (RFC 2578 §7.7: the instance of
/// a columnar object is its OID followed by the row's INDEX values).
pub fn cell(entry: &[u32], column: u32, index: &[u32]) -> Vec<u32> {
    let mut oid = Vec::with_capacity(entry.len() + 1 + index.len());
    oid.extend_from_slice(entry);
    oid.push(column);
    oid.extend_from_slice(index);
    oid
}

/// `text` cut to at most [`TEXT_MAX_LEN`] octets at a character boundary, as the
/// `DisplayString` and `TipringUtf8String` objects require (SIZE (0..255)): a longer
/// text keeps its first characters, never half a character.
pub fn fit_text(text: &str) -> &str {
    if text.len() <= TEXT_MAX_LEN {
        return text;
    }
    let mut end = TEXT_MAX_LEN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `a` followed by `b`, as an array of `N = a.len() + b.len()` arcs; the `oid!` macro's
/// compile-time concatenation (a wrong `N` fails the build).
#[doc(hidden)]
pub const fn join<const N: usize>(a: &[u32], b: &[u32]) -> [u32; N] {
    assert!(a.len() + b.len() == N, "join: wrong length");
    let mut out = [0u32; N];
    let mut i = 0;
    while i < a.len() {
        out[i] = a[i];
        i += 1;
    }
    let mut j = 0;
    while j < b.len() {
        out[i + j] = b[j];
        j += 1;
    }
    out
}

//! SMIv2 values (RFC 2578 / RFC 3416 §3), what a MIB answers, and PDU error statuses.

use crate::oid::Oid;

/// A value of an SMIv2 object as carried in a variable binding (RFC 3416 §3 `ObjectSyntax`).
///
/// `Unsigned32` travels as [`Value::Gauge32`] (same tag, RFC 2578 §7.1.11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// INTEGER / Integer32.
    Integer(i32),
    /// OCTET STRING (DisplayString, PhysAddress, ...).
    OctetString(Vec<u8>),
    /// NULL: the value in requests.
    Null,
    /// OBJECT IDENTIFIER.
    ObjectId(Oid),
    /// IpAddress (IPv4, network order).
    IpAddress([u8; 4]),
    /// Counter32.
    Counter32(u32),
    /// Gauge32 / Unsigned32.
    Gauge32(u32),
    /// TimeTicks, hundredths of a second.
    TimeTicks(u32),
    /// Opaque: BER-wrapped arbitrary data.
    Opaque(Vec<u8>),
    /// Counter64 (not representable in SNMPv1: RFC 3584 §4.2.2.1).
    Counter64(u64),
}

impl Value {
    /// An OCTET STRING from text.
    pub fn string(s: &str) -> Value {
        Value::OctetString(s.as_bytes().to_vec())
    }
}

/// The answer of a [`Mib`] to a Get of one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The instance exists and has this value.
    Value(Value),
    /// No object type with this OID prefix is implemented (RFC 3416 §4.2.1 noSuchObject).
    NoSuchObject,
    /// The object type exists but not this instance (RFC 3416 §4.2.1 noSuchInstance).
    NoSuchInstance,
}

/// What a variable binding of a Response carries: a value or one of the SNMPv2 exceptions
/// (RFC 3416 §3: `noSuchObject`, `noSuchInstance`, `endOfMibView`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarBindValue {
    /// A value.
    Value(Value),
    /// `noSuchObject` (context tag 0).
    NoSuchObject,
    /// `noSuchInstance` (context tag 1).
    NoSuchInstance,
    /// `endOfMibView` (context tag 2).
    EndOfMibView,
}

impl From<Value> for VarBindValue {
    fn from(v: Value) -> Self {
        VarBindValue::Value(v)
    }
}

/// The error-status of a Response-PDU (RFC 3416 §3; values 0..=18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // the names are the RFC's
pub enum ErrorStatus {
    NoError = 0,
    TooBig = 1,
    NoSuchName = 2,
    BadValue = 3,
    ReadOnly = 4,
    GenErr = 5,
    NoAccess = 6,
    WrongType = 7,
    WrongLength = 8,
    WrongEncoding = 9,
    WrongValue = 10,
    NoCreation = 11,
    InconsistentValue = 12,
    ResourceUnavailable = 13,
    CommitFailed = 14,
    UndoFailed = 15,
    AuthorizationError = 16,
    NotWritable = 17,
    InconsistentName = 18,
}

impl ErrorStatus {
    /// The wire value.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The status with wire value `code`, if it is one of RFC 3416's.
    pub fn from_code(code: i32) -> Option<Self> {
        use ErrorStatus::*;
        Some(match code {
            0 => NoError,
            1 => TooBig,
            2 => NoSuchName,
            3 => BadValue,
            4 => ReadOnly,
            5 => GenErr,
            6 => NoAccess,
            7 => WrongType,
            8 => WrongLength,
            9 => WrongEncoding,
            10 => WrongValue,
            11 => NoCreation,
            12 => InconsistentValue,
            13 => ResourceUnavailable,
            14 => CommitFailed,
            15 => UndoFailed,
            16 => AuthorizationError,
            17 => NotWritable,
            18 => InconsistentName,
            _ => return None,
        })
    }

    /// The SNMPv1 status that stands for this one in a v1 Response (RFC 3584 §4.4).
    pub fn to_v1(self) -> ErrorStatus {
        use ErrorStatus::*;
        match self {
            NoError | TooBig | NoSuchName | BadValue | ReadOnly | GenErr => self,
            WrongValue | WrongEncoding | WrongType | WrongLength | InconsistentValue => BadValue,
            NoAccess | NotWritable | NoCreation | InconsistentName | AuthorizationError => {
                NoSuchName
            }
            ResourceUnavailable | CommitFailed | UndoFailed => GenErr,
        }
    }
}

/// What the agent serves. `&self` for reads so a shell can serve from a snapshot.
///
/// The engine adds its own objects (the SNMPv2-MIB `snmp` group, `snmpSetSerialNo`,
/// `snmpEngine`, `snmpMPDStats`, `usmStats`, the SNMP-TARGET-MIB context counters) and
/// merges them into GetNext order; whatever a `Mib` returns under those subtrees is
/// skipped.
pub trait Mib {
    /// The value of one instance.
    fn get(&self, oid: &[u32]) -> Lookup;

    /// First object strictly after `oid` (lexicographic), or None at the end of the MIB.
    fn next(&self, oid: &[u32]) -> Option<(Oid, Value)>;

    /// All-or-nothing set of several varbinds. Default: every one is notWritable.
    /// Err((index, status)) names the first failing varbind (0-based).
    fn set(&mut self, varbinds: &[(Oid, Value)]) -> Result<(), (usize, ErrorStatus)> {
        if varbinds.is_empty() {
            Ok(())
        } else {
            Err((0, ErrorStatus::NotWritable))
        }
    }
}

impl<M: Mib + ?Sized> Mib for &mut M {
    fn get(&self, oid: &[u32]) -> Lookup {
        (**self).get(oid)
    }
    fn next(&self, oid: &[u32]) -> Option<(Oid, Value)> {
        (**self).next(oid)
    }
    fn set(&mut self, varbinds: &[(Oid, Value)]) -> Result<(), (usize, ErrorStatus)> {
        (**self).set(varbinds)
    }
}

/// A [`Mib`] over a sorted map: handy for tests, examples and small static trees.
#[derive(Debug, Clone, Default)]
pub struct MapMib {
    /// The objects, by instance OID.
    pub objects: std::collections::BTreeMap<Oid, Value>,
    /// Whether Set may replace existing values (same type only); new instances are never
    /// created.
    pub writable: bool,
}

impl MapMib {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces one instance.
    pub fn insert(&mut self, oid: impl Into<Oid>, value: Value) {
        self.objects.insert(oid.into(), value);
    }
}

impl Mib for MapMib {
    fn get(&self, oid: &[u32]) -> Lookup {
        if let Some(v) = self.objects.get(&Oid::from_slice(oid)) {
            return Lookup::Value(v.clone());
        }
        // A sibling instance of the same length under the same parent (another .N of a
        // scalar, another row of a column) means the object type exists.
        let parent = &oid[..oid.len().saturating_sub(1)];
        let sibling = !parent.is_empty()
            && self
                .objects
                .range(Oid::from_slice(parent)..)
                .take_while(|(k, _)| k.starts_with(parent))
                .any(|(k, _)| k.len() == oid.len());
        if sibling {
            Lookup::NoSuchInstance
        } else {
            Lookup::NoSuchObject
        }
    }

    fn next(&self, oid: &[u32]) -> Option<(Oid, Value)> {
        use std::ops::Bound;
        self.objects
            .range((Bound::Excluded(Oid::from_slice(oid)), Bound::Unbounded))
            .next()
            .map(|(k, v)| (k.clone(), v.clone()))
    }

    fn set(&mut self, varbinds: &[(Oid, Value)]) -> Result<(), (usize, ErrorStatus)> {
        for (i, (oid, value)) in varbinds.iter().enumerate() {
            match self.objects.get(oid) {
                None => return Err((i, ErrorStatus::NoCreation)),
                Some(_) if !self.writable => return Err((i, ErrorStatus::NotWritable)),
                Some(old) if std::mem::discriminant(old) != std::mem::discriminant(value) => {
                    return Err((i, ErrorStatus::WrongType))
                }
                Some(_) => {}
            }
        }
        for (oid, value) in varbinds {
            self.objects.insert(oid.clone(), value.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_error_mapping_follows_rfc3584_4_4() {
        use ErrorStatus::*;
        assert_eq!(WrongType.to_v1(), BadValue);
        assert_eq!(InconsistentValue.to_v1(), BadValue);
        assert_eq!(NotWritable.to_v1(), NoSuchName);
        assert_eq!(NoAccess.to_v1(), NoSuchName);
        assert_eq!(AuthorizationError.to_v1(), NoSuchName);
        assert_eq!(CommitFailed.to_v1(), GenErr);
        assert_eq!(ResourceUnavailable.to_v1(), GenErr);
        assert_eq!(TooBig.to_v1(), TooBig);
        for c in 0..=18 {
            assert_eq!(ErrorStatus::from_code(c).unwrap().code(), c);
        }
        assert_eq!(ErrorStatus::from_code(19), None);
    }

    #[test]
    fn map_mib_get_next_set() {
        let mut m = MapMib::new();
        m.insert([1, 3, 6, 1, 2, 1, 1, 5, 0], Value::string("gw"));
        m.insert([1, 3, 6, 1, 2, 1, 1, 6, 0], Value::string("lab"));
        assert_eq!(m.get(&[1, 3, 6, 1, 2, 1, 1, 5, 1]), Lookup::NoSuchInstance);
        assert_eq!(m.get(&[1, 3, 6, 1, 2, 1, 9]), Lookup::NoSuchObject);
        let (o, _) = m.next(&[1, 3, 6, 1, 2, 1, 1, 5, 0]).unwrap();
        assert_eq!(o.as_slice(), &[1, 3, 6, 1, 2, 1, 1, 6, 0]);
        assert!(m.next(&[1, 3, 6, 1, 2, 1, 1, 6, 0]).is_none());
        let vb = [(Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0]), Value::string("x"))];
        assert_eq!(m.set(&vb), Err((0, ErrorStatus::NotWritable)));
        m.writable = true;
        assert_eq!(m.set(&vb), Ok(()));
        let bad = [(Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0]), Value::Integer(1))];
        assert_eq!(m.set(&bad), Err((0, ErrorStatus::WrongType)));
    }
}

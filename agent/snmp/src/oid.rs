//! Object identifiers: a list of sub-identifiers kept inline when short.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::error::Error;

/// Most sub-identifiers an OID may have on the wire (RFC 3416 §4.1, SMIv2 RFC 2578 §3.5).
pub const MAX_OID_LEN: usize = 128;

/// Sub-identifiers kept without a heap allocation (covers IF-MIB, ENTITY-MIB and
/// TIPRING-MIB instances).
const INLINE: usize = 22;

#[derive(Clone)]
enum Repr {
    Inline { len: u8, buf: [u32; INLINE] },
    Heap(Vec<u32>),
}

/// An OBJECT IDENTIFIER value, e.g. `1.3.6.1.2.1.1.3.0`.
///
/// Ordered lexicographically by sub-identifier (the order of GetNext), displayed and parsed
/// in dotted form. Short OIDs (up to 22 sub-identifiers) live inline, so building one does
/// not allocate.
///
/// ```
/// use tipring_snmp::Oid;
/// let up: Oid = "1.3.6.1.2.1.1.3.0".parse().unwrap();
/// assert_eq!(up.as_slice(), &[1, 3, 6, 1, 2, 1, 1, 3, 0]);
/// assert!(up.starts_with(&[1, 3, 6, 1, 2, 1, 1]));
/// assert!(Oid::from_slice(&[1, 3, 6, 1, 2, 1, 1, 4]) > up);
/// assert_eq!(up.to_string(), "1.3.6.1.2.1.1.3.0");
/// ```
#[derive(Clone)]
pub struct Oid(Repr);

impl Oid {
    /// The empty OID (no sub-identifiers); GetNext of it returns the first object.
    pub const fn empty() -> Self {
        Oid(Repr::Inline {
            len: 0,
            buf: [0; INLINE],
        })
    }

    /// An OID with these sub-identifiers.
    pub fn from_slice(s: &[u32]) -> Self {
        if s.len() <= INLINE {
            let mut buf = [0u32; INLINE];
            buf[..s.len()].copy_from_slice(s);
            // s.len() <= 22 fits in u8.
            Oid(Repr::Inline {
                len: s.len() as u8,
                buf,
            })
        } else {
            Oid(Repr::Heap(s.to_vec()))
        }
    }

    /// The sub-identifiers.
    pub fn as_slice(&self) -> &[u32] {
        match &self.0 {
            Repr::Inline { len, buf } => &buf[..usize::from(*len)],
            Repr::Heap(v) => v,
        }
    }

    /// Number of sub-identifiers.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// True for the empty OID.
    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    /// True when `prefix` is a prefix of (or equal to) this OID.
    pub fn starts_with(&self, prefix: &[u32]) -> bool {
        self.as_slice().starts_with(prefix)
    }

    /// Appends one sub-identifier.
    pub fn push(&mut self, sub: u32) {
        match &mut self.0 {
            Repr::Inline { len, buf } if usize::from(*len) < INLINE => {
                buf[usize::from(*len)] = sub;
                *len += 1;
            }
            Repr::Inline { len, buf } => {
                let mut v = Vec::with_capacity(INLINE * 2);
                v.extend_from_slice(&buf[..usize::from(*len)]);
                v.push(sub);
                self.0 = Repr::Heap(v);
            }
            Repr::Heap(v) => v.push(sub),
        }
    }

    /// This OID followed by `suffix`.
    pub fn child(&self, suffix: &[u32]) -> Oid {
        let mut o = self.clone();
        for &s in suffix {
            o.push(s);
        }
        o
    }

    /// Replaces the contents with `s`, reusing the allocation when there is one.
    pub(crate) fn set_from(&mut self, s: &[u32]) {
        match &mut self.0 {
            Repr::Heap(v) => {
                v.clear();
                v.extend_from_slice(s);
            }
            Repr::Inline { .. } => *self = Oid::from_slice(s),
        }
    }
}

impl Default for Oid {
    fn default() -> Self {
        Oid::empty()
    }
}

impl PartialEq for Oid {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}
impl Eq for Oid {}

impl PartialOrd for Oid {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Oid {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}
impl Hash for Oid {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl From<&[u32]> for Oid {
    fn from(s: &[u32]) -> Self {
        Oid::from_slice(s)
    }
}
impl<const N: usize> From<[u32; N]> for Oid {
    fn from(s: [u32; N]) -> Self {
        Oid::from_slice(&s)
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.as_slice().iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

impl FromStr for Oid {
    type Err = Error;

    /// Dotted decimal, an optional leading dot, 1 to 128 sub-identifiers each at most
    /// 2^32-1.
    fn from_str(s: &str) -> Result<Self, Error> {
        let body = s.strip_prefix('.').unwrap_or(s);
        if body.is_empty() {
            return Err(Error::OidSyntax(s.to_string()));
        }
        let mut oid = Oid::empty();
        for part in body.split('.') {
            if oid.len() == MAX_OID_LEN
                || part.is_empty()
                || !part.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(Error::OidSyntax(s.to_string()));
            }
            let v: u32 = part.parse().map_err(|_| Error::OidSyntax(s.to_string()))?;
            oid.push(v);
        }
        Ok(oid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_lexicographic_by_sub_identifier() {
        // RFC 3416 §4.2.2: GetNext order is the lexicographic order of OIDs.
        let a = Oid::from_slice(&[1, 3, 6, 1, 2]);
        let b = Oid::from_slice(&[1, 3, 6, 1, 2, 0]);
        let c = Oid::from_slice(&[1, 3, 6, 1, 10]);
        assert!(a < b && b < c);
        assert!(Oid::empty() < a);
    }

    #[test]
    fn parse_and_display_round_trip() {
        let o: Oid = ".1.3.6.1.4.1.4294967295.7".parse().unwrap();
        assert_eq!(o.to_string(), "1.3.6.1.4.1.4294967295.7");
        assert!("1.3..6".parse::<Oid>().is_err());
        assert!("".parse::<Oid>().is_err());
        assert!("1.3.4294967296".parse::<Oid>().is_err());
        assert!("1.+3".parse::<Oid>().is_err());
        let long = vec!["1"; 129].join(".");
        assert!(long.parse::<Oid>().is_err());
        let ok = vec!["1"; 128].join(".");
        assert_eq!(ok.parse::<Oid>().unwrap().len(), 128);
    }

    #[test]
    fn push_spills_to_heap_and_keeps_equality() {
        let mut o = Oid::empty();
        for i in 0..40 {
            o.push(i);
        }
        let v: Vec<u32> = (0..40).collect();
        assert_eq!(o, Oid::from_slice(&v));
        assert_eq!(o.child(&[7]).as_slice().last(), Some(&7));
        let mut s = Oid::from_slice(&[1, 2]);
        s.set_from(&v);
        assert_eq!(s.len(), 40);
    }
}

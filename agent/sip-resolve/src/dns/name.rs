//! Domain names (RFC 1035 §3.1), kept in canonical wire form.

use std::fmt;
use std::str::FromStr;

/// Longest name in wire form, length octets and the root label included (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 255;
/// Longest label (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;

/// Why a name given as text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The text is empty.
    #[error("empty name")]
    Empty,
    /// Two dots in a row, or a leading dot.
    #[error("empty label")]
    EmptyLabel,
    /// A label over 63 octets.
    #[error("label longer than 63 octets")]
    LabelTooLong,
    /// The name is over 255 octets in wire form.
    #[error("name longer than 255 octets")]
    NameTooLong,
    /// A character that is not a letter, a digit, `-` or `_`.
    #[error("character {0:?} not allowed in a host name")]
    BadCharacter(char),
}

/// A domain name: a sequence of labels ending with the root.
///
/// Stored as uncompressed wire format (length-prefixed labels, then a zero octet), with
/// ASCII letters folded to lower case, so equality and hashing are the case-insensitive
/// comparison of RFC 1035 §2.3.3 / RFC 4343.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(Vec<u8>);

impl Name {
    /// The root name (`.`).
    pub fn root() -> Self {
        Name(vec![0])
    }

    /// Parses a host name in text form (`pbx.example.com`, an optional final dot).
    ///
    /// Accepts letters, digits, `-` and `_` (SRV owner names such as `_sip._udp` need the
    /// underscore, RFC 2782); `.` alone is the root.
    pub fn from_ascii(text: &str) -> Result<Self, NameError> {
        if text.is_empty() {
            return Err(NameError::Empty);
        }
        if text == "." {
            return Ok(Self::root());
        }
        let body = text.strip_suffix('.').unwrap_or(text);
        let mut wire = Vec::with_capacity(body.len() + 2);
        for label in body.split('.') {
            if label.is_empty() {
                return Err(NameError::EmptyLabel);
            }
            if label.len() > MAX_LABEL_LEN {
                return Err(NameError::LabelTooLong);
            }
            if let Some(c) = label
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
            {
                return Err(NameError::BadCharacter(c));
            }
            // The label length is at most 63: the cast cannot truncate.
            wire.push(label.len() as u8);
            wire.extend(label.bytes().map(|b| b.to_ascii_lowercase()));
        }
        wire.push(0);
        if wire.len() > MAX_NAME_LEN {
            return Err(NameError::NameTooLong);
        }
        Ok(Name(wire))
    }

    /// Builds a name from wire form that the decoder has already checked (labels of at
    /// most 63 octets, a final zero, at most 255 octets).
    pub(crate) fn from_checked_wire(wire: Vec<u8>) -> Self {
        Name(wire)
    }

    /// This name with `label` in front (`_udp` + `example.com` = `_udp.example.com`).
    pub fn prepend(&self, label: &str) -> Result<Self, NameError> {
        let head = Name::from_ascii(label)?;
        if head.is_root() {
            return Err(NameError::EmptyLabel);
        }
        let mut wire = head.0;
        wire.pop();
        wire.extend_from_slice(&self.0);
        if wire.len() > MAX_NAME_LEN {
            return Err(NameError::NameTooLong);
        }
        Ok(Name(wire))
    }

    /// Whether this is the root name (`.`), the SRV target meaning "no service here".
    pub fn is_root(&self) -> bool {
        self.0.len() == 1
    }

    /// The uncompressed wire form, final zero octet included.
    pub fn wire(&self) -> &[u8] {
        &self.0
    }

    /// The labels, left to right, without the root.
    pub fn labels(&self) -> Labels<'_> {
        Labels(&self.0)
    }
}

/// Iterator over the labels of a [`Name`].
#[derive(Debug, Clone)]
pub struct Labels<'a>(&'a [u8]);

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (&len, rest) = self.0.split_first()?;
        let len = usize::from(len);
        if len == 0 || rest.len() < len {
            self.0 = &[];
            return None;
        }
        let (label, rest) = rest.split_at(len);
        self.0 = rest;
        Some(label)
    }
}

impl fmt::Display for Name {
    /// Presentation format (RFC 1035 §5.1) without the final dot; octets other than
    /// letters, digits, `-` and `_` are written `\DDD`, a dot inside a label `\.`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            return f.write_str(".");
        }
        for (i, label) in self.labels().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            for &b in label {
                match b {
                    b'.' => f.write_str("\\.")?,
                    b'\\' => f.write_str("\\\\")?,
                    b if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' => {
                        write!(f, "{}", char::from(b))?
                    }
                    b => write!(f, "\\{b:03}")?,
                }
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({self})")
    }
}

impl FromStr for Name {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Self, NameError> {
        Name::from_ascii(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 1035 §3.1: a name is a sequence of length-prefixed labels ending in the
    // zero-length root label.
    #[test]
    fn text_to_wire_form() {
        let n = Name::from_ascii("F.ISI.ARPA").unwrap();
        assert_eq!(n.wire(), b"\x01f\x03isi\x04arpa\x00");
        assert_eq!(n.to_string(), "f.isi.arpa");
        assert_eq!(Name::from_ascii("f.isi.arpa.").unwrap(), n);
        assert_eq!(n.labels().collect::<Vec<_>>(), [&b"f"[..], b"isi", b"arpa"]);
        assert_eq!(Name::from_ascii(".").unwrap(), Name::root());
        assert_eq!(Name::root().to_string(), ".");
    }

    // RFC 1035 §2.3.3 / RFC 4343: comparisons are case-insensitive.
    #[test]
    fn case_folds() {
        assert_eq!(
            Name::from_ascii("PBX.Example.COM").unwrap(),
            Name::from_ascii("pbx.example.com").unwrap()
        );
    }

    // RFC 1035 §2.3.4: labels are 63 octets or less, names 255 octets or less.
    #[test]
    fn size_limits() {
        let l63 = "a".repeat(63);
        assert!(Name::from_ascii(&l63).is_ok());
        assert_eq!(
            Name::from_ascii(&"a".repeat(64)),
            Err(NameError::LabelTooLong)
        );
        // 4 labels of 63 = 4 * 64 + 1 = 257 octets.
        let long = [l63.as_str(); 4].join(".");
        assert_eq!(Name::from_ascii(&long), Err(NameError::NameTooLong));
        // 3 labels of 63 and one of 61: 3 * 64 + 62 + 1 = 255, the maximum.
        let max = format!("{l63}.{l63}.{l63}.{}", "b".repeat(61));
        assert_eq!(Name::from_ascii(&max).unwrap().wire().len(), 255);
    }

    #[test]
    fn rejects_bad_text() {
        assert_eq!(Name::from_ascii(""), Err(NameError::Empty));
        assert_eq!(Name::from_ascii("a..b"), Err(NameError::EmptyLabel));
        assert_eq!(Name::from_ascii(".a"), Err(NameError::EmptyLabel));
        assert_eq!(
            Name::from_ascii("pbx example"),
            Err(NameError::BadCharacter(' '))
        );
        assert_eq!(
            Name::from_ascii("sip:pbx"),
            Err(NameError::BadCharacter(':'))
        );
    }

    // RFC 2782: the SRV owner is `_Service._Proto.Name`.
    #[test]
    fn prepend_builds_srv_owner() {
        let d = Name::from_ascii("example.com").unwrap();
        let owner = d.prepend("_sip._udp").unwrap();
        assert_eq!(owner.to_string(), "_sip._udp.example.com");
        assert_eq!(d.prepend(""), Err(NameError::Empty));
    }

    // RFC 1035 §5.1: octets outside the host-name alphabet are shown as \DDD.
    #[test]
    fn display_escapes_binary_labels() {
        let n = Name::from_checked_wire(b"\x03a.b\x02\x00\xff\x00".to_vec());
        assert_eq!(n.to_string(), "a\\.b.\\000\\255");
    }
}

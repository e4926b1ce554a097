//! The payload digest: SHA-256 (FIPS 180-4) through `ring`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::hex;

/// A SHA-256 digest, written as 64 lower-case hex digits in the manifest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sha256(pub [u8; 32]);

impl Sha256 {
    /// The digest of `data`.
    pub fn of(data: &[u8]) -> Self {
        let d = ring::digest::digest(&ring::digest::SHA256, data);
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        Sha256(out)
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({self})")
    }
}

impl FromStr for Sha256 {
    type Err = String;

    /// Exactly 64 lower-case hex digits (the manifest's one spelling, so that a manifest has
    /// one byte form per content).
    fn from_str(s: &str) -> Result<Self, String> {
        if s.len() != 64 || s.bytes().any(|c| c.is_ascii_uppercase()) {
            return Err(format!(
                "a SHA-256 digest is 64 lower-case hex digits, not {:?}",
                crate::manifest::shorten(s)
            ));
        }
        hex::decode_array(s)
            .map(Sha256)
            .ok_or_else(|| format!("not hex: {:?}", crate::manifest::shorten(s)))
    }
}

impl TryFrom<String> for Sha256 {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Sha256> for String {
    fn from(d: Sha256) -> String {
        d.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FIPS 180-4 SHA-256 examples (NIST CSRC "SHA256.pdf"): "abc" and the empty string.
    #[test]
    fn fips_180_4_examples() {
        assert_eq!(
            Sha256::of(b"abc").to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            Sha256::of(b"").to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn parse_is_strict() {
        let d = Sha256::of(b"abc");
        assert_eq!(d.to_string().parse::<Sha256>().unwrap(), d);
        assert!(d.to_string().to_uppercase().parse::<Sha256>().is_err());
        assert!(d.to_string()[..62].parse::<Sha256>().is_err());
        assert!(format!("{}zz", &d.to_string()[..62])
            .parse::<Sha256>()
            .is_err());
    }
}

//! Firmware versions: "semver-ish" strings that compare the way people expect.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Longest version string: TR-181 `Device.DeviceInfo.FirmwareImage.{i}.Version` and
/// `Device.DeviceInfo.SoftwareVersion` are `string(64)`.
pub const MAX_VERSION_LEN: usize = 64;

/// A firmware version: one to eight dot-separated decimal numbers (`2.1.0`, TR-181's
/// "dot-delimited integers" form, `Major.Minor.Build`), optionally followed by a
/// pre-release tag after `-` (`2.1.0-rc.1`) and build metadata after `+` (`2.1.0+g1a2b3c`).
///
/// Ordering follows SemVer 2.0.0 §11, widened to any number of numeric parts: the numbers
/// compare numerically, missing trailing numbers count as 0 (`1.2` = `1.2.0`); a version
/// with a pre-release tag is below the same version without one; pre-release identifiers
/// compare numerically when both are numeric, numeric below alphanumeric, and a shorter
/// list below a longer one that it prefixes. Build metadata is ignored. Equality is the
/// same relation (`1.2` == `1.2.0`); [`as_str`](Self::as_str) keeps the text as written.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Version {
    text: String,
    numbers: Vec<u64>,
    pre: Vec<PreId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PreId {
    Num(u64),
    Alpha(String),
}

impl PartialOrd for PreId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PreId {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (PreId::Num(a), PreId::Num(b)) => a.cmp(b),
            (PreId::Num(_), PreId::Alpha(_)) => Ordering::Less,
            (PreId::Alpha(_), PreId::Num(_)) => Ordering::Greater,
            (PreId::Alpha(a), PreId::Alpha(b)) => a.cmp(b),
        }
    }
}

impl Version {
    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The numeric parts (`[2, 1, 0]` for `2.1.0-rc.1`).
    pub fn numbers(&self) -> &[u64] {
        &self.numbers
    }

    /// Whether the version carries a pre-release tag.
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

fn ident_ok(s: &str, extra: &[u8]) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || extra.contains(&c))
}

impl FromStr for Version {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            Err(format!(
                "version {:?}: {why}",
                crate::manifest::shorten(text)
            ))
        };
        if text.is_empty() || text.len() > MAX_VERSION_LEN {
            return bad(&format!("must be 1 to {MAX_VERSION_LEN} characters"));
        }
        let (rest, build) = match text.split_once('+') {
            Some((r, b)) => (r, Some(b)),
            None => (text, None),
        };
        if let Some(b) = build {
            if !b.split('.').all(|id| ident_ok(id, &[])) {
                return bad("build metadata must be dot-separated [0-9A-Za-z-] identifiers");
            }
        }
        let (core, pre) = match rest.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (rest, None),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() > 8 {
            return bad("more than 8 numeric parts");
        }
        let mut numbers = Vec::with_capacity(parts.len());
        for p in parts {
            if p.is_empty() || p.len() > 18 || !p.bytes().all(|c| c.is_ascii_digit()) {
                return bad("must start with dot-separated decimal numbers (like 2.1.0)");
            }
            numbers.push(p.parse::<u64>().map_err(|e| e.to_string())?);
        }
        let mut pre_ids = Vec::new();
        if let Some(p) = pre {
            for id in p.split('.') {
                if !ident_ok(id, &[]) {
                    return bad("pre-release tag must be dot-separated [0-9A-Za-z-] identifiers");
                }
                pre_ids.push(
                    if id.bytes().all(|c| c.is_ascii_digit()) && id.len() <= 18 {
                        PreId::Num(id.parse::<u64>().map_err(|e| e.to_string())?)
                    } else {
                        PreId::Alpha(id.to_string())
                    },
                );
            }
        }
        Ok(Version {
            text: text.to_string(),
            numbers,
            pre: pre_ids,
        })
    }
}

impl TryFrom<String> for Version {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Version> for String {
    fn from(v: Version) -> String {
        v.text
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Version({:?})", self.text)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.numbers.len().max(other.numbers.len());
        for i in 0..n {
            let a = self.numbers.get(i).copied().unwrap_or(0);
            let b = other.numbers.get(i).copied().unwrap_or(0);
            match a.cmp(&b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => self.pre.cmp(&other.pre),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    /// SemVer 2.0.0 §11: 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta <
    /// 1.0.0-beta.2 < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0, plus numeric (not textual)
    /// comparison of the parts and TR-181's dot-delimited integers of any length.
    #[test]
    fn semver_precedence() {
        let chain = [
            "0.9",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.2",
            "1.10",
            "1.10.0.1",
            "2",
            "10.0.0",
        ];
        for w in chain.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
            assert!(v(w[1]) > v(w[0]));
        }
        assert_eq!(v("1.2"), v("1.2.0"));
        assert_eq!(v("1.2.0+build.7"), v("1.2.0"));
        assert_eq!(v("1.2.0+b").as_str(), "1.2.0+b");
        assert_eq!(v("3.0.21").numbers(), [3, 0, 21]);
        assert!(v("1.0-rc1").is_prerelease());
    }

    #[test]
    fn malformed_versions_are_refused() {
        for bad in [
            "",
            "v1.0",
            "1..0",
            ".1",
            "1.",
            "1.0-",
            "1.0+",
            "1.0-a..b",
            "1.0 ",
            "1.0-ä",
            "1.2.3.4.5.6.7.8.9",
            "1234567890123456789",
            &"1".repeat(65),
        ] {
            assert!(bad.parse::<Version>().is_err(), "{bad:?} accepted");
        }
        // A 64-character version is allowed (TR-181 string(64)).
        let long = format!("1.0.0-{}", "a".repeat(58));
        assert_eq!(long.len(), 64);
        assert!(long.parse::<Version>().is_ok());
    }

    #[test]
    fn serde_is_a_plain_string() {
        let x: Version = serde_json::from_str("\"2.0.1-rc.2\"").unwrap();
        assert_eq!(serde_json::to_string(&x).unwrap(), "\"2.0.1-rc.2\"");
        assert!(serde_json::from_str::<Version>("\"x\"").is_err());
        assert!(serde_json::from_str::<Version>("2").is_err());
    }
}

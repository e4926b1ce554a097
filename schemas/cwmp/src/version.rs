//! CWMP versions and their namespace URIs (TR-069 Amd 6 §3.5, Annex A.6).

use std::fmt;

/// A CWMP version, named by the `urn:dslforum-org:cwmp-1-N` namespace of its messages.
///
/// CWMP 1.3 and 1.4 define their messages in the `cwmp-1-2` namespace (the XSDs of
/// 1.3 and 1.4 extend 1.2), and most ACSs key on it: [`CwmpVersion::default`] is
/// therefore [`CwmpVersion::V1_2`]. Some CPEs nevertheless emit `cwmp-1-3`/`cwmp-1-4`,
/// so all five are read, and a reply should use the version the peer used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum CwmpVersion {
    /// `urn:dslforum-org:cwmp-1-0` (TR-069 Amd 1; GenieACS and old CPEs).
    V1_0,
    /// `urn:dslforum-org:cwmp-1-1` (TR-069 Amd 2).
    V1_1,
    /// `urn:dslforum-org:cwmp-1-2` (TR-069 Amd 3; also used by CWMP 1.3 and 1.4).
    #[default]
    V1_2,
    /// `urn:dslforum-org:cwmp-1-3`.
    V1_3,
    /// `urn:dslforum-org:cwmp-1-4`.
    V1_4,
}

impl CwmpVersion {
    /// Every version, oldest first.
    pub const ALL: [CwmpVersion; 5] = [
        CwmpVersion::V1_0,
        CwmpVersion::V1_1,
        CwmpVersion::V1_2,
        CwmpVersion::V1_3,
        CwmpVersion::V1_4,
    ];

    /// The namespace URI, e.g. `urn:dslforum-org:cwmp-1-2`.
    pub fn urn(self) -> &'static str {
        match self {
            CwmpVersion::V1_0 => "urn:dslforum-org:cwmp-1-0",
            CwmpVersion::V1_1 => "urn:dslforum-org:cwmp-1-1",
            CwmpVersion::V1_2 => "urn:dslforum-org:cwmp-1-2",
            CwmpVersion::V1_3 => "urn:dslforum-org:cwmp-1-3",
            CwmpVersion::V1_4 => "urn:dslforum-org:cwmp-1-4",
        }
    }

    /// The version of a namespace URI (`urn:dslforum-org:cwmp-1-N`), if it is one.
    pub fn from_urn(urn: &str) -> Option<CwmpVersion> {
        let minor = urn.trim().strip_prefix("urn:dslforum-org:cwmp-1-")?;
        Self::from_minor(minor)
    }

    /// The protocol version as written in `cwmp:SupportedCWMPVersions` and
    /// `cwmp:UseCWMPVersion` (TR-069 Amd 6 §3.5), e.g. `"1.2"`.
    pub fn protocol(self) -> &'static str {
        match self {
            CwmpVersion::V1_0 => "1.0",
            CwmpVersion::V1_1 => "1.1",
            CwmpVersion::V1_2 => "1.2",
            CwmpVersion::V1_3 => "1.3",
            CwmpVersion::V1_4 => "1.4",
        }
    }

    /// Reads a protocol version (`"1.4"`).
    pub fn from_protocol(text: &str) -> Option<CwmpVersion> {
        Self::from_minor(text.trim().strip_prefix("1.")?)
    }

    /// Reads a comma-separated `SupportedCWMPVersions` value (`"1.0,1.1,1.2,1.3,1.4"`),
    /// skipping entries this codec does not know (a future "1.5").
    pub fn parse_list(text: &str) -> Vec<CwmpVersion> {
        text.split(',')
            .filter_map(CwmpVersion::from_protocol)
            .collect()
    }

    /// Writes a comma-separated list of protocol versions.
    pub fn format_list(versions: &[CwmpVersion]) -> String {
        let mut out = String::new();
        for (i, v) in versions.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(v.protocol());
        }
        out
    }

    fn from_minor(minor: &str) -> Option<CwmpVersion> {
        match minor {
            "0" => Some(CwmpVersion::V1_0),
            "1" => Some(CwmpVersion::V1_1),
            "2" => Some(CwmpVersion::V1_2),
            "3" => Some(CwmpVersion::V1_3),
            "4" => Some(CwmpVersion::V1_4),
            _ => None,
        }
    }
}

impl fmt::Display for CwmpVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.protocol())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Annex A.6: the five namespace URIs, and back.
    #[test]
    fn urns_round_trip() {
        for v in CwmpVersion::ALL {
            assert_eq!(CwmpVersion::from_urn(v.urn()), Some(v));
            assert_eq!(CwmpVersion::from_protocol(v.protocol()), Some(v));
        }
        assert_eq!(CwmpVersion::from_urn("urn:dslforum-org:cwmp-1-5"), None);
        assert_eq!(
            CwmpVersion::from_urn("urn:broadband-forum-org:cwmp:x"),
            None
        );
        assert_eq!(CwmpVersion::default(), CwmpVersion::V1_2);
    }

    /// §3.5: SupportedCWMPVersions is a comma-separated list; unknown entries are skipped.
    #[test]
    fn version_lists() {
        let list = CwmpVersion::parse_list("1.0,1.1, 1.2,1.3,1.4,1.5");
        assert_eq!(list, CwmpVersion::ALL.to_vec());
        assert_eq!(CwmpVersion::format_list(&list), "1.0,1.1,1.2,1.3,1.4");
        assert!(CwmpVersion::parse_list("").is_empty());
    }
}

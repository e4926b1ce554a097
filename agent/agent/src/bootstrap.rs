//! Zero-touch bootstrap: which ACS the gateway talks to, and what DHCP told it.
//!
//! TR-069 Amendment 6 §3.1 gives a CPE three ways to learn its ACS URL: configured on the
//! device (locally, or by the ACS itself through `ManagementServer.URL`), from DHCP, or a
//! factory default used when nothing else names one. The URL in force is, highest first:
//!
//! 1. the document's `management.cwmp.acs_url` when `management.acs_url_source` is `acs`
//!    (the ACS set `ManagementServer.URL`; the agent marks it) or `local` (the installer
//!    pinned it): a URL set by other means than DHCP, which DHCP never overrides;
//! 2. the URL DHCP gave: option 43 sub-option 1, else option 66 (see [`option66_url`]);
//! 3. the factory default: `--factory-acs-url`, else the document's `acs_url` (source
//!    `factory`, the default).
//!
//! The agent runs no DHCP client: the OS's client writes what it got to a file (the hook
//! scripts in `ops/dhcp/`), lines `option_43=HEX` and `option_66=TEXT`, which
//! [`DhcpFile`] reads again whenever it changes. Option 43 holds the CWMP sub-options of
//! §3.1 (Table 3): 1 ACS URL, 2 ProvisioningCode, 3 CWMPRetryMinimumWaitInterval,
//! 4 CWMPRetryIntervalMultiplier, as RFC 2132 §8.4 encapsulated options
//! ([`parse_option43`]). What DHCP says counts only while no URL was set by other means
//! ([`dhcp_counts`]); a URL that changes, by whatever source, means a new session with
//! `0 BOOTSTRAP` (the CPE engine sees to that).
//!
//! `DeviceInfo.ProvisioningCode` and the two retry settings are ordinary parameters with
//! three writers — the installer (`management.provisioning_code`, or the simulator's
//! `provisioning-code` command), DHCP, and the ACS — and the latest to change is in force:
//! [`Sources::apply`] writes a source's value into the CWMP state only when that source's
//! value changed since it last looked ([`Seen`], kept in the state directory), so a lease
//! renewal or a restart repeating the same options does not undo what the ACS set.
//!
//! ```
//! use tipring_agent::bootstrap::{acs_url_in_force, parse_options_file, UrlOrigin};
//!
//! // udhcpc's hook wrote option 43 with sub-options 1 (URL) and 2 (ProvisioningCode).
//! let (dhcp, problems) = parse_options_file(
//!     "option_43=0117687474703a2f2f6163732e6578616d706c653a37353437020443313233\n",
//! );
//! assert!(problems.is_empty());
//! assert_eq!(dhcp.provisioning_code.as_deref(), Some("C123"));
//!
//! let mut doc = tipring_config::GatewayConfig::example(1);
//! doc.management.cwmp = Some(tipring_config::Cwmp {
//!     acs_url: "https://factory.example.net/cwmp".into(),
//!     username: None,
//!     password: None,
//!     periodic_inform_interval_s: 3600,
//! });
//! // DHCP beats the factory default...
//! let (url, origin) = acs_url_in_force(&doc, dhcp.acs_url.as_deref(), None).unwrap();
//! assert_eq!((url.as_str(), origin), ("http://acs.example:7547", UrlOrigin::Dhcp));
//! // ...and loses to a URL the ACS set.
//! doc.management.acs_url_source = tipring_config::AcsUrlSource::Acs;
//! let (_, origin) = acs_url_in_force(&doc, dhcp.acs_url.as_deref(), None).unwrap();
//! assert_eq!(origin, UrlOrigin::Acs);
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tipring_config::{valid_acs_url, AcsUrlSource, GatewayConfig, MAX_PROVISIONING_CODE_LEN};
use tipring_datamodel::CwmpState;

/// Option 43 sub-option: URL of the ACS (TR-069 Amendment 6 §3.1, Table 3).
pub const SUB_ACS_URL: u8 = 1;
/// Option 43 sub-option: ProvisioningCode.
pub const SUB_PROVISIONING_CODE: u8 = 2;
/// Option 43 sub-option: CWMPRetryMinimumWaitInterval.
pub const SUB_RETRY_MIN_WAIT: u8 = 3;
/// Option 43 sub-option: CWMPRetryIntervalMultiplier.
pub const SUB_RETRY_MULTIPLIER: u8 = 4;

/// The port of an ACS named by option 66 without a URL: IANA's `cwmp` port.
pub const OPTION66_PORT: u16 = 7547;

/// Largest DHCP options file read (a DHCP option is at most 255 bytes; long options are
/// concatenated, RFC 3396, so allow room).
pub const MAX_OPTIONS_FILE: u64 = 64 << 10;

/// The options file's name in the state directory, read when `--dhcp-options` is not given.
pub const DEFAULT_OPTIONS_FILE: &str = "dhcp-options";

/// Why option 43's bytes are not a list of encapsulated options.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Option43Error {
    /// A sub-option code at `offset` with no length byte after it.
    MissingLength {
        /// Offset of the code.
        offset: usize,
        /// The sub-option code.
        code: u8,
    },
    /// A sub-option whose length runs past the end of the option.
    Truncated {
        /// Offset of the code.
        offset: usize,
        /// The sub-option code.
        code: u8,
        /// The length it claims.
        length: usize,
        /// Bytes left after the length byte.
        left: usize,
    },
}

impl std::fmt::Display for Option43Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MissingLength { offset, code } => write!(
                f,
                "sub-option {code} at byte {offset} has no length byte (the option ends)"
            ),
            Self::Truncated {
                offset,
                code,
                length,
                left,
            } => write!(
                f,
                "sub-option {code} at byte {offset} claims {length} bytes but {left} are left"
            ),
        }
    }
}

impl std::error::Error for Option43Error {}

/// One encapsulated sub-option of option 43.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubOption<'a> {
    /// The code (1..=254).
    pub code: u8,
    /// Its data.
    pub data: &'a [u8],
}

/// Split option 43's data into its encapsulated sub-options (RFC 2132 §8.4: code, length,
/// data, with the one-byte Pad (0) and End (255) options of the options field). Every
/// length is checked against what is left; anything malformed is an error and nothing of
/// the option is used.
pub fn parse_option43(bytes: &[u8]) -> Result<Vec<SubOption<'_>>, Option43Error> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while let Some(&code) = bytes.get(at) {
        match code {
            0 => at += 1,
            255 => break,
            _ => {
                let Some(&len) = bytes.get(at + 1) else {
                    return Err(Option43Error::MissingLength { offset: at, code });
                };
                let start = at + 2;
                let data =
                    bytes
                        .get(start..start + usize::from(len))
                        .ok_or(Option43Error::Truncated {
                            offset: at,
                            code,
                            length: usize::from(len),
                            left: bytes.len() - start,
                        })?;
                out.push(SubOption { code, data });
                at = start + usize::from(len);
            }
        }
    }
    Ok(out)
}

/// What DHCP said that matters to the CWMP client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DhcpInfo {
    /// The ACS URL (option 43 sub-option 1, else option 66).
    pub acs_url: Option<String>,
    /// Which option named it (`option 43` / `option 66`), for the log.
    #[serde(skip)]
    pub acs_url_from: &'static str,
    /// ProvisioningCode (sub-option 2).
    pub provisioning_code: Option<String>,
    /// CWMPRetryMinimumWaitInterval, seconds (sub-option 3; 1..=65535).
    pub retry_min_wait_s: Option<u32>,
    /// CWMPRetryIntervalMultiplier, thousandths (sub-option 4; 1000..=65535).
    pub retry_multiplier: Option<u32>,
}

impl DhcpInfo {
    /// Whether DHCP said nothing of use.
    pub fn is_empty(&self) -> bool {
        self.acs_url.is_none()
            && self.provisioning_code.is_none()
            && self.retry_min_wait_s.is_none()
            && self.retry_multiplier.is_none()
    }
}

/// A sub-option's data as text: UTF-8 without control characters. NUL padding at the end
/// (some servers terminate strings) is dropped.
fn sub_text(data: &[u8]) -> Result<&str, String> {
    let data = match data.iter().rposition(|&b| b != 0) {
        Some(last) => &data[..=last],
        None => &[],
    };
    let s = std::str::from_utf8(data).map_err(|_| "is not UTF-8 text".to_string())?;
    if s.chars().any(char::is_control) {
        return Err("contains control characters".into());
    }
    Ok(s)
}

/// A retry setting: TR-069 sends every sub-option as a string, here a decimal number in
/// `range`.
fn sub_number(data: &[u8], range: std::ops::RangeInclusive<u32>) -> Result<u32, String> {
    let s = sub_text(data)?;
    let n: u32 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a decimal number"))?;
    if !range.contains(&n) {
        return Err(format!(
            "{n} is outside {}..={}",
            range.start(),
            range.end()
        ));
    }
    Ok(n)
}

/// The CWMP values of option 43's data, and a line for each thing refused. A malformed
/// option is refused whole; a sub-option with a bad value is skipped alone; unknown
/// sub-options are ignored (TR-069 defines only 1..=4).
pub fn option43_info(bytes: &[u8]) -> (DhcpInfo, Vec<String>) {
    let mut info = DhcpInfo::default();
    let mut problems = Vec::new();
    let subs = match parse_option43(bytes) {
        Ok(s) => s,
        Err(e) => {
            problems.push(format!("DHCP option 43 ignored: {e}"));
            return (info, problems);
        }
    };
    for s in subs {
        let what = match s.code {
            SUB_ACS_URL => "ACS URL",
            SUB_PROVISIONING_CODE => "ProvisioningCode",
            SUB_RETRY_MIN_WAIT => "CWMPRetryMinimumWaitInterval",
            SUB_RETRY_MULTIPLIER => "CWMPRetryIntervalMultiplier",
            _ => continue,
        };
        let result = match s.code {
            SUB_ACS_URL => sub_text(s.data).and_then(|u| {
                if valid_acs_url(u) {
                    info.acs_url = Some(u.to_string());
                    info.acs_url_from = "option 43";
                    Ok(())
                } else {
                    Err(format!("`{u}` is not an http:// or https:// URL"))
                }
            }),
            SUB_PROVISIONING_CODE => sub_text(s.data).and_then(|c| {
                if c.chars().count() > MAX_PROVISIONING_CODE_LEN {
                    Err(format!(
                        "longer than {MAX_PROVISIONING_CODE_LEN} characters"
                    ))
                } else {
                    info.provisioning_code = Some(c.to_string());
                    Ok(())
                }
            }),
            SUB_RETRY_MIN_WAIT => {
                sub_number(s.data, 1..=65535).map(|n| info.retry_min_wait_s = Some(n))
            }
            _ => sub_number(s.data, 1000..=65535).map(|n| info.retry_multiplier = Some(n)),
        };
        if let Err(why) = result {
            problems.push(format!(
                "DHCP option 43 sub-option {} ({what}) ignored: {why}",
                s.code
            ));
        }
    }
    (info, problems)
}

/// The ACS URL of option 66 (TFTP server name, RFC 2132 §9.4), which some networks use to
/// name the provisioning server: a value with `://` must be an http(s) URL and is used as
/// it is; a bare host name or address becomes `http://NAME:7547/` (IANA's `cwmp` port; the
/// ACS answers CWMP at its root).
pub fn option66_url(text: &str) -> Result<String, String> {
    let t = text.trim().trim_end_matches('\0');
    if t.contains("://") {
        return if valid_acs_url(t) {
            Ok(t.to_string())
        } else {
            Err(format!("`{t}` is not an http:// or https:// URL"))
        };
    }
    let host_ok = !t.is_empty()
        && t.len() <= 253
        && t.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if host_ok {
        return Ok(format!("http://{t}:{OPTION66_PORT}/"));
    }
    match t.parse::<std::net::Ipv6Addr>() {
        Ok(v6) => Ok(format!("http://[{v6}]:{OPTION66_PORT}/")),
        Err(_) => Err(format!("`{t}` is neither a URL nor a host name")),
    }
}

/// Hex digits to bytes; `:`, `-` and white space between bytes are allowed (dhclient
/// writes `01:1a:68...`, udhcpc `011a68...`).
fn hex_bytes(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b':' | b'-' | b' ' | b'\t'))
        .collect();
    if !digits.len().is_multiple_of(2) {
        return Err("an odd number of hex digits".into());
    }
    digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("`{}` is not hex", String::from_utf8_lossy(pair)))
        })
        .collect()
}

/// Read the options file's text: `option_43=HEX` and `option_66=TEXT` lines (blank lines,
/// `#` comments and other keys are skipped; a value may be in double quotes). Option 43's
/// URL wins over option 66's (TR-069 names option 43; 66 is a fallback some networks use).
/// Returns what counts and a line for each thing refused.
pub fn parse_options_file(text: &str) -> (DhcpInfo, Vec<String>) {
    let mut info = DhcpInfo::default();
    let mut problems = Vec::new();
    let mut url66 = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            problems.push(format!(
                "DHCP options line {}: no `=`; expected option_43=HEX or option_66=TEXT",
                n + 1
            ));
            continue;
        };
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        match key.trim() {
            "option_43" => match hex_bytes(value) {
                Ok(bytes) => {
                    let (i, p) = option43_info(&bytes);
                    info = i;
                    problems.extend(p);
                }
                Err(e) => problems.push(format!(
                    "DHCP options line {}: option 43 ignored: {e}",
                    n + 1
                )),
            },
            "option_66" => match option66_url(value) {
                Ok(u) => url66 = Some(u),
                Err(e) => problems.push(format!(
                    "DHCP options line {}: option 66 ignored: {e}",
                    n + 1
                )),
            },
            other => tracing::debug!(key = other, "DHCP options file: key not used"),
        }
    }
    if info.acs_url.is_none() {
        if let Some(u) = url66 {
            info.acs_url = Some(u);
            info.acs_url_from = "option 66";
        }
    }
    (info, problems)
}

/// The options file the OS's DHCP client hook writes, read again when it changes.
#[derive(Debug)]
pub struct DhcpFile {
    path: PathBuf,
    last: Option<Vec<u8>>,
}

impl DhcpFile {
    /// Watch `path` (it may not exist yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            last: None,
        }
    }

    /// The file watched.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Read the file; `Some` with what it says (and what was refused) when its content
    /// changed since the last call (the first call always answers). A missing file says
    /// nothing; an unreadable or oversized one is reported and says nothing. The file is
    /// small and read once a second, which also catches a rewrite within the same mtime
    /// tick.
    pub fn poll(&mut self) -> Option<(DhcpInfo, Vec<String>)> {
        use std::io::Read as _;
        let read = std::fs::File::open(&self.path).and_then(|f| {
            let mut buf = Vec::new();
            f.take(MAX_OPTIONS_FILE + 1).read_to_end(&mut buf)?;
            Ok(buf)
        });
        let bytes = match read {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                let first = self.last.as_deref() != Some(b"\0unreadable");
                self.last = Some(b"\0unreadable".to_vec());
                return first.then(|| {
                    (
                        DhcpInfo::default(),
                        vec![format!(
                            "DHCP options file {} unreadable: {e}",
                            self.path.display()
                        )],
                    )
                });
            }
        };
        if self.last.as_deref() == Some(bytes.as_slice()) {
            return None;
        }
        let answer = if bytes.len() as u64 > MAX_OPTIONS_FILE {
            (
                DhcpInfo::default(),
                vec![format!(
                    "DHCP options file {} ignored: larger than {MAX_OPTIONS_FILE} bytes",
                    self.path.display()
                )],
            )
        } else {
            parse_options_file(&String::from_utf8_lossy(&bytes))
        };
        self.last = Some(bytes);
        Some(answer)
    }
}

/// Where the ACS URL in force came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlOrigin {
    /// The ACS set `ManagementServer.URL`.
    Acs,
    /// The installer pinned it in the document (`acs_url_source: local`).
    Local,
    /// DHCP (option 43 or 66).
    Dhcp,
    /// `--factory-acs-url`.
    FactoryFlag,
    /// The document's `acs_url` as the factory default.
    FactoryDocument,
}

impl std::fmt::Display for UrlOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Acs => "set by the ACS",
            Self::Local => "set locally",
            Self::Dhcp => "from DHCP",
            Self::FactoryFlag => "factory default, --factory-acs-url",
            Self::FactoryDocument => "factory default, the configuration",
        })
    }
}

/// The document's URL when it was set by other means than DHCP (TR-069 §3.1): by the ACS
/// or the installer. `None`: the chain goes on to DHCP and the factory default.
pub fn pinned_url(doc: &GatewayConfig) -> Option<(&str, UrlOrigin)> {
    let url = doc
        .management
        .cwmp
        .as_ref()
        .map(|c| c.acs_url.as_str())
        .filter(|u| !u.is_empty())?;
    match doc.management.acs_url_source {
        AcsUrlSource::Acs => Some((url, UrlOrigin::Acs)),
        AcsUrlSource::Local => Some((url, UrlOrigin::Local)),
        _ => None,
    }
}

/// Whether what DHCP says counts: only while no URL was set by other means than DHCP
/// (TR-069 §3.1). Once the ACS or the installer set one, DHCP's URL, ProvisioningCode and
/// retry settings are ignored.
pub fn dhcp_counts(doc: &GatewayConfig) -> bool {
    pinned_url(doc).is_none()
}

/// The ACS URL in force and where it came from (see the module docs for the order);
/// `None` when nothing names an ACS.
pub fn acs_url_in_force(
    doc: &GatewayConfig,
    dhcp_url: Option<&str>,
    factory_flag: Option<&str>,
) -> Option<(String, UrlOrigin)> {
    if let Some((u, origin)) = pinned_url(doc) {
        return Some((u.to_string(), origin));
    }
    if let Some(u) = dhcp_url {
        return Some((u.to_string(), UrlOrigin::Dhcp));
    }
    if let Some(u) = factory_flag {
        return Some((u.to_string(), UrlOrigin::FactoryFlag));
    }
    doc.management
        .cwmp
        .as_ref()
        .map(|c| c.acs_url.as_str())
        .filter(|u| !u.is_empty())
        .map(|u| (u.to_string(), UrlOrigin::FactoryDocument))
}

/// What each writer of the ProvisioningCode and retry settings said when the agent last
/// looked: a writer's value goes into the CWMP state only when it differs from this.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Seen {
    /// The document's `management.provisioning_code` (`None`: never looked).
    pub local_code: Option<String>,
    /// What DHCP said.
    pub dhcp: DhcpInfo,
}

/// The writers of ProvisioningCode and the retry settings besides the ACS.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// The configuration document in force.
    pub doc: &'a GatewayConfig,
    /// What DHCP says now (applied only while [`dhcp_counts`]).
    pub dhcp: &'a DhcpInfo,
}

impl Sources<'_> {
    /// Write into `state` what changed since `seen` (and move `seen`): DHCP's values
    /// first, then the installer's code, so the installer wins when both changed at once.
    /// Returns a line for each value written.
    pub fn apply(&self, seen: &mut Seen, state: &mut CwmpState) -> Vec<String> {
        let mut notes = Vec::new();
        if dhcp_counts(self.doc) && seen.dhcp != *self.dhcp {
            let (old, new) = (&seen.dhcp, self.dhcp);
            if new.provisioning_code != old.provisioning_code {
                if let Some(code) = &new.provisioning_code {
                    state.provisioning_code = code.clone();
                    notes.push(format!("TR-069: ProvisioningCode `{code}` from DHCP"));
                }
            }
            if new.retry_min_wait_s != old.retry_min_wait_s {
                if let Some(s) = new.retry_min_wait_s {
                    state.cwmp_retry_minimum_wait_interval = s;
                    notes.push(format!(
                        "TR-069: CWMPRetryMinimumWaitInterval {s} s from DHCP"
                    ));
                }
            }
            if new.retry_multiplier != old.retry_multiplier {
                if let Some(m) = new.retry_multiplier {
                    state.cwmp_retry_interval_multiplier = m;
                    notes.push(format!("TR-069: CWMPRetryIntervalMultiplier {m} from DHCP"));
                }
            }
            seen.dhcp = self.dhcp.clone();
        }
        let local = &self.doc.management.provisioning_code;
        if seen.local_code.as_ref() != Some(local) {
            // Never looked before and nothing set: leave what the state has.
            if seen.local_code.is_some() || !local.is_empty() {
                state.provisioning_code = local.clone();
                notes.push(format!(
                    "TR-069: ProvisioningCode `{local}` set on the gateway"
                ));
            }
            seen.local_code = Some(local.clone());
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tipring_config::{AcsUrlSource, Cwmp};

    fn tlv(code: u8, data: &[u8]) -> Vec<u8> {
        let mut v = vec![code, data.len() as u8];
        v.extend_from_slice(data);
        v
    }

    /// TR-069 Amendment 6 §3.1 Table 3 over RFC 2132 §8.4: code, length, data; Pad and
    /// End are single bytes.
    #[test]
    fn option43_sub_options() {
        let mut bytes = tlv(1, b"https://acs.example.net/cwmp");
        bytes.push(0); // Pad
        bytes.extend(tlv(2, b"SITE-7"));
        bytes.extend(tlv(3, b"10"));
        bytes.extend(tlv(4, b"3000"));
        bytes.extend(tlv(9, b"vendor's own"));
        bytes.push(255); // End: what follows is not read
        bytes.extend([1, 200]);
        let subs = parse_option43(&bytes).unwrap();
        assert_eq!(
            subs.iter().map(|s| s.code).collect::<Vec<_>>(),
            [1, 2, 3, 4, 9]
        );
        let (info, problems) = option43_info(&bytes);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            info,
            DhcpInfo {
                acs_url: Some("https://acs.example.net/cwmp".into()),
                acs_url_from: "option 43",
                provisioning_code: Some("SITE-7".into()),
                retry_min_wait_s: Some(10),
                retry_multiplier: Some(3000),
            }
        );
        assert_eq!(parse_option43(&[]).unwrap(), []);
        assert_eq!(parse_option43(&[0, 0, 255]).unwrap(), []);
        assert_eq!(
            parse_option43(&[2, 0]).unwrap(),
            [SubOption { code: 2, data: &[] }]
        );
    }

    /// Lengths are checked against what is left: a truncated option is refused whole.
    #[test]
    fn option43_truncated() {
        let good = tlv(1, b"http://acs");
        assert_eq!(
            parse_option43(&good[..good.len() - 1]),
            Err(Option43Error::Truncated {
                offset: 0,
                code: 1,
                length: 10,
                left: 9
            })
        );
        let mut two = tlv(2, b"abc");
        two.push(1);
        assert_eq!(
            parse_option43(&two),
            Err(Option43Error::MissingLength { offset: 5, code: 1 })
        );
        assert!(matches!(
            parse_option43(&[1, 255]),
            Err(Option43Error::Truncated { length: 255, .. })
        ));
        let (info, problems) = option43_info(&good[..5]);
        assert!(info.is_empty());
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].contains("claims 10 bytes but 3 are left"),
            "{problems:?}"
        );
    }

    /// A bad value skips its sub-option only, with a line that says why.
    #[test]
    fn option43_bad_values() {
        let mut bytes = tlv(1, b"ftp://acs");
        bytes.extend(tlv(2, &[b'a'; 65]));
        bytes.extend(tlv(3, b"0"));
        bytes.extend(tlv(4, b"999"));
        bytes.extend(tlv(2, &[0xff, 0xfe]));
        bytes.extend(tlv(3, b"12x"));
        let (info, problems) = option43_info(&bytes);
        assert!(info.is_empty(), "{info:?}");
        assert_eq!(problems.len(), 6, "{problems:#?}");
        assert!(problems[0].contains("sub-option 1 (ACS URL)"));
        assert!(problems[1].contains("longer than 64"));
        assert!(problems[2].contains("outside 1..=65535"));
        assert!(problems[3].contains("outside 1000..=65535"));
        assert!(problems[4].contains("not UTF-8"));
        assert!(problems[5].contains("not a decimal number"));
        // NUL-terminated strings are taken without the NUL.
        let (info, _) = option43_info(&tlv(2, b"C-1\0"));
        assert_eq!(info.provisioning_code.as_deref(), Some("C-1"));
    }

    /// Bad input never panics: seeded random bytes (xorshift), every length up to 300.
    #[test]
    fn option43_random_bytes() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..300 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let _ = option43_info(&bytes);
            if let Ok(subs) = parse_option43(&bytes) {
                assert!(subs.iter().all(|s| s.code != 0 && s.code != 255));
            }
        }
    }

    #[test]
    fn option66() {
        assert_eq!(
            option66_url("acs.example.net").unwrap(),
            "http://acs.example.net:7547/"
        );
        assert_eq!(option66_url("10.0.0.5").unwrap(), "http://10.0.0.5:7547/");
        assert_eq!(
            option66_url("2001:db8::5").unwrap(),
            "http://[2001:db8::5]:7547/"
        );
        assert_eq!(
            option66_url("https://acs.example.net/cwmp").unwrap(),
            "https://acs.example.net/cwmp"
        );
        for bad in ["tftp://boot/x", "", "two words", "-bad.example", "a..b"] {
            assert!(option66_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn options_file() {
        // dhclient's colon-separated hex; option 43's URL beats option 66's.
        let text = "# written by the hook\n\
                    option_43=01:0a:68:74:74:70:3a:2f:2f:61:63:73\n\
                    option_66=\"tftp.example\"\n\
                    lease=3600\n";
        let (info, problems) = parse_options_file(text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(info.acs_url.as_deref(), Some("http://acs"));
        assert_eq!(info.acs_url_from, "option 43");
        let (info, _) = parse_options_file("option_66=tftp.example\n");
        assert_eq!(info.acs_url.as_deref(), Some("http://tftp.example:7547/"));
        assert_eq!(info.acs_url_from, "option 66");
        let (info, problems) = parse_options_file("option_43=0z\nnonsense\noption_43=012\n");
        assert!(info.is_empty());
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("line 1") && problems[0].contains("not hex"));
        assert!(problems[1].contains("line 2") && problems[1].contains("no `=`"));
        assert!(problems[2].contains("odd number"));
    }

    #[test]
    fn dhcp_file_answers_when_it_changes() {
        let dir = std::env::temp_dir().join(format!("tipring-dhcp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("opts");
        let _ = std::fs::remove_file(&path);
        let mut f = DhcpFile::new(&path);
        let (info, problems) = f.poll().expect("the first look answers");
        assert!(info.is_empty() && problems.is_empty());
        assert!(f.poll().is_none());
        std::fs::write(&path, "option_66=acs.lan\n").unwrap();
        let (info, _) = f.poll().expect("changed");
        assert_eq!(info.acs_url.as_deref(), Some("http://acs.lan:7547/"));
        assert!(f.poll().is_none(), "same content, no answer");
        std::fs::write(&path, vec![b'#'; MAX_OPTIONS_FILE as usize + 1]).unwrap();
        let (info, problems) = f.poll().expect("changed");
        assert!(info.is_empty());
        assert!(problems[0].contains("larger than"), "{problems:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn doc(url: &str, source: AcsUrlSource) -> GatewayConfig {
        let mut d = GatewayConfig::example(1);
        d.management.cwmp = Some(Cwmp {
            acs_url: url.into(),
            username: None,
            password: None,
            periodic_inform_interval_s: 3600,
        });
        d.management.acs_url_source = source;
        d
    }

    /// TR-069 Amendment 6 §3.1: a URL set by other means than DHCP (the ACS, the
    /// installer) wins; else DHCP's; else the factory default (the flag before the
    /// document's).
    #[test]
    fn url_precedence() {
        use AcsUrlSource::{Acs, Factory, Local};
        let dhcp = Some("http://dhcp/");
        let flag = Some("http://flag/");
        let f = doc("http://doc/", Factory);
        let at = |d: &GatewayConfig, dh, fl| acs_url_in_force(d, dh, fl).unwrap();
        assert_eq!(at(&f, dhcp, flag), ("http://dhcp/".into(), UrlOrigin::Dhcp));
        assert_eq!(
            at(&f, None, flag),
            ("http://flag/".into(), UrlOrigin::FactoryFlag)
        );
        assert_eq!(
            at(&f, None, None),
            ("http://doc/".into(), UrlOrigin::FactoryDocument)
        );
        for (src, origin) in [(Acs, UrlOrigin::Acs), (Local, UrlOrigin::Local)] {
            let d = doc("http://doc/", src);
            assert_eq!(at(&d, dhcp, flag), ("http://doc/".into(), origin));
            assert!(!dhcp_counts(&d));
        }
        // An empty URL is "none set": the chain goes on, whatever the source says.
        let empty = doc("", Acs);
        assert!(dhcp_counts(&empty));
        assert_eq!(at(&empty, None, flag).1, UrlOrigin::FactoryFlag);
        assert_eq!(acs_url_in_force(&empty, None, None), None);
        let mut none = GatewayConfig::example(1);
        assert_eq!(acs_url_in_force(&none, None, None), None);
        none.management.cwmp = None;
        assert_eq!(at(&none, dhcp, None).1, UrlOrigin::Dhcp);
    }

    /// The latest writer of ProvisioningCode wins; a source repeating itself (a lease
    /// renewal, a restart) does not undo what the ACS set.
    #[test]
    fn provisioning_code_latest_writer() {
        let mut d = doc("http://doc/", AcsUrlSource::Factory);
        let mut dhcp = DhcpInfo {
            provisioning_code: Some("FROM-DHCP".into()),
            retry_min_wait_s: Some(7),
            ..DhcpInfo::default()
        };
        let mut seen = Seen::default();
        let mut state = CwmpState::default();
        let notes = Sources {
            doc: &d,
            dhcp: &dhcp,
        }
        .apply(&mut seen, &mut state);
        assert_eq!(state.provisioning_code, "FROM-DHCP");
        assert_eq!(state.cwmp_retry_minimum_wait_interval, 7);
        assert_eq!(notes.len(), 2, "{notes:?}");
        // The ACS sets it; the same DHCP options again change nothing.
        state.provisioning_code = "FROM-ACS".into();
        state.cwmp_retry_minimum_wait_interval = 30;
        let sources = Sources {
            doc: &d,
            dhcp: &dhcp,
        };
        assert!(sources.apply(&mut seen, &mut state).is_empty());
        assert_eq!(state.provisioning_code, "FROM-ACS");
        assert_eq!(state.cwmp_retry_minimum_wait_interval, 30);
        // The installer types a code: it wins now.
        d.management.provisioning_code = "CLAIM-1".into();
        Sources {
            doc: &d,
            dhcp: &dhcp,
        }
        .apply(&mut seen, &mut state);
        assert_eq!(state.provisioning_code, "CLAIM-1");
        // New DHCP options with a new code: that wins.
        dhcp.provisioning_code = Some("FROM-DHCP-2".into());
        Sources {
            doc: &d,
            dhcp: &dhcp,
        }
        .apply(&mut seen, &mut state);
        assert_eq!(state.provisioning_code, "FROM-DHCP-2");
        // Once the ACS set the URL, DHCP is ignored altogether.
        d.management.acs_url_source = AcsUrlSource::Acs;
        dhcp.provisioning_code = Some("FROM-DHCP-3".into());
        Sources {
            doc: &d,
            dhcp: &dhcp,
        }
        .apply(&mut seen, &mut state);
        assert_eq!(state.provisioning_code, "FROM-DHCP-2");
    }

    /// Both changed at once (a first boot): the installer's code wins over DHCP's.
    #[test]
    fn installer_code_wins_a_tie() {
        let mut d = doc("http://doc/", AcsUrlSource::Factory);
        d.management.provisioning_code = "CLAIM-9".into();
        let dhcp = DhcpInfo {
            provisioning_code: Some("SITE".into()),
            ..DhcpInfo::default()
        };
        let mut state = CwmpState::default();
        Sources {
            doc: &d,
            dhcp: &dhcp,
        }
        .apply(&mut Seen::default(), &mut state);
        assert_eq!(state.provisioning_code, "CLAIM-9");
        // No code anywhere, first look: the state keeps what it had (the ACS's).
        let bare = doc("http://doc/", AcsUrlSource::Factory);
        let mut state = CwmpState {
            provisioning_code: "KEPT".into(),
            ..CwmpState::default()
        };
        Sources {
            doc: &bare,
            dhcp: &DhcpInfo::default(),
        }
        .apply(&mut Seen::default(), &mut state);
        assert_eq!(state.provisioning_code, "KEPT");
    }
}

//! The SIP front door: allow-list, scanner filter, per-source flood limit and blocks.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::limiter::{make_room, shrink_to, RateLimiter, DEFAULT_MAX_SOURCES};
use crate::net::{canonical, NetList};
use crate::verdict::{Reason, Verdict};

/// User-Agent markers of known SIP scanners and brute-forcers.
///
/// A request is a scanner's when its `User-Agent` header, or the display name of its
/// `From` or `To` header, contains one of these as a word: compared without regard to
/// ASCII case, and with no ASCII letter right before or after it (`sipcli/v1.8` and
/// `"sipvicious"<sip:100@1.1.1.1>` match; `sip-client` does not match `sip-cli`).
///
/// Gathered from the lists that public fail2ban filters, Kamailio and OpenSIPS scripts and
/// iptables string-match rules use against SIP scanning, kept to the names that are tools
/// and not products:
///
/// | marker | what sends it |
/// |---|---|
/// | `friendly-scanner` | SIPVicious (`svmap`, `svwar`, `svcrack`) and the many bots built on it: the classic probe |
/// | `friendly-request` | later SIPVicious-based bots |
/// | `sipvicious` | SIPVicious: the `From`/`To` display name of its probes, and its newer User-Agent |
/// | `sipcli` | sipcli, a REGISTER brute-forcer (`sipcli/v1.8`) |
/// | `sip-scan`, `sipscan` | sip-scan and other SIP scanners |
/// | `VaxSIPUserAgent`, `VaxIPUserAgent` | the VaxVoIP SDK's default, used by scanning bots |
/// | `pplsip`, `sippts` | Pepelux's sipscan / SIPPTS suite |
/// | `sundayddr` | a scanner seen in honeypots since 2011 |
/// | `iWar` | iWar, a war dialer with SIP support |
/// | `SIVuS` | SiVuS, a SIP vulnerability scanner |
/// | `smap` | smap, a SIP network mapper |
/// | `siparmyknife` | SIP Army Knife, a SIP fuzzer |
///
/// Deliberately **not** listed: `sipsak` (an administrator's test tool, also used by
/// monitoring), `SIPp` (load and interop testing), `Asterisk PBX` (Asterisk's default,
/// faked by some scanners but sent by many real PBXs) and product names that appear in
/// some lists (`eyeBeam`, `PortSIP`, `CSipSimple`, `Cisco`): blocking a real phone or PBX
/// costs more than letting a scanner meet the SIP stack's authentication.
pub const SCANNER_USER_AGENTS: &[&str] = &[
    "friendly-scanner",
    "friendly-request",
    "sipvicious",
    "sipcli",
    "sip-scan",
    "sipscan",
    "VaxSIPUserAgent",
    "VaxIPUserAgent",
    "pplsip",
    "sippts",
    "sundayddr",
    "iWar",
    "SIVuS",
    "smap",
    "siparmyknife",
];

/// How much of a message the scanner filter reads at most: the head up to the blank line,
/// and never more than this many bytes.
pub const MAX_SCAN: usize = 4096;

/// The window over which a source's [`Reason::Flood`] drops are counted.
pub const FLOOD_WINDOW: Duration = Duration::from_secs(10);

/// A source with this many [`Reason::Flood`] drops within [`FLOOD_WINDOW`] is blocked for
/// [`SipScreenSettings::block_for`]. With the default limits (20/s, burst 40) a source
/// sending steadily at 30 requests a second is blocked after about 9 s, one at 100 a second
/// after about 1 s, and a single burst of 90 at once straight away.
pub const FLOOD_BLOCK_AFTER: u32 = 50;

/// What the SIP front door lets in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipScreenSettings {
    /// Source networks allowed to send SIP. Default: empty, which allows every source.
    pub allow: NetList,
    /// The configured SIP servers (registrar, proxies, outbound proxy, as resolved):
    /// always allowed, never rate-limited, never blocked, whatever they send. Default:
    /// none (the agent sets them with [`SipScreen::set_exempt`] as it resolves them).
    pub exempt: Vec<IpAddr>,
    /// Drop requests from [`SCANNER_USER_AGENTS`] and block their source. Default: on.
    pub scanner_filter: bool,
    /// Requests a second per source, on average (0: no flood limit). Default: 20, far above
    /// what a real peer sends to a gateway (a handful of requests per call) and far below
    /// a scanner's hundreds a second.
    pub rate_per_s: u32,
    /// Requests per source at once. Default: 40 (a peer's burst of SUBSCRIBEs or
    /// OPTIONS after a restart fits).
    pub burst: u32,
    /// How long a scanner's or flooder's source stays blocked (zero: drop its messages but
    /// block nothing). Default: 10 minutes, fail2ban's default ban time.
    pub block_for: Duration,
    /// Bound on each per-source table (rate buckets, flood strikes, blocks). Default:
    /// 4096, a few hundred kilobytes in all.
    pub max_sources: usize,
}

impl Default for SipScreenSettings {
    fn default() -> Self {
        Self {
            allow: NetList::any(),
            exempt: Vec::new(),
            scanner_filter: true,
            rate_per_s: 20,
            burst: 40,
            block_for: Duration::from_secs(600),
            max_sources: DEFAULT_MAX_SOURCES,
        }
    }
}

/// What the SIP front door has done since it was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SipScreenCounters {
    /// Messages accepted.
    pub accepted: u64,
    /// Messages dropped: source not in the allow-list.
    pub not_allowed: u64,
    /// Requests dropped as a scanner's (each blocks its source).
    pub scanner: u64,
    /// Requests dropped as over the per-source rate.
    pub flood: u64,
    /// Messages dropped because their source was blocked.
    pub blocked: u64,
    /// Sources blocked now (as of the last [`SipScreen::screen`] or [`SipScreen::expire`]).
    pub blocked_sources_now: u64,
}

#[derive(Debug, Clone, Copy)]
struct Strikes {
    since: Instant,
    last: Instant,
    count: u32,
}

/// The SIP front door: decides, per received datagram (or per message read from a TCP or
/// TLS stream), whether the SIP stack sees it. Sans-IO: the caller passes the source,
/// the bytes and the time.
///
/// The checks, in order:
///
/// 1. a source in [`SipScreenSettings::exempt`] is accepted, whatever it sends;
/// 2. a source outside [`SipScreenSettings::allow`] is dropped ([`Reason::NotAllowed`]);
/// 3. a blocked source is dropped ([`Reason::Blocked`]), requests and responses alike;
/// 4. a response (`SIP/2.0 ...`) is accepted: responses are never counted as a scanner's
///    or a flood, since the transaction layer drops those that match nothing;
/// 5. a request from a scanner ([`SCANNER_USER_AGENTS`], when
///    [`SipScreenSettings::scanner_filter`] is on) is dropped ([`Reason::Scanner`]) and its
///    source blocked for [`SipScreenSettings::block_for`];
/// 6. a request over the source's rate is dropped ([`Reason::Flood`]); after
///    [`FLOOD_BLOCK_AFTER`] of those within [`FLOOD_WINDOW`] the source is blocked too.
///
/// Sources are compared as IP addresses (the port is ignored), IPv4-mapped IPv6 as IPv4.
/// Every table is bounded by [`SipScreenSettings::max_sources`]; the scanner filter reads
/// at most [`MAX_SCAN`] bytes and allocates nothing; no input panics.
///
/// On a TCP or TLS connection, the shell should close the connection on the first
/// [`Verdict::Drop`] (and refuse new connections from a blocked source: [`Self::is_blocked`]).
#[derive(Debug, Clone)]
pub struct SipScreen {
    settings: SipScreenSettings,
    /// `settings.exempt`, canonical (IPv4-mapped as IPv4).
    exempt: Vec<IpAddr>,
    limiter: RateLimiter,
    strikes: HashMap<IpAddr, Strikes>,
    /// Blocked sources and when each block ends.
    blocks: HashMap<IpAddr, Instant>,
    /// The earliest end of a block (or earlier): when to sweep `blocks` next.
    next_expiry: Option<Instant>,
    counters: SipScreenCounters,
}

impl Default for SipScreen {
    fn default() -> Self {
        Self::new(SipScreenSettings::default())
    }
}

impl SipScreen {
    /// A front door with `settings`, no source known yet.
    pub fn new(settings: SipScreenSettings) -> Self {
        let limiter = RateLimiter::new(settings.rate_per_s, settings.burst, settings.max_sources);
        let exempt = settings.exempt.iter().map(|&ip| canonical(ip)).collect();
        Self {
            settings,
            exempt,
            limiter,
            strikes: HashMap::new(),
            blocks: HashMap::new(),
            next_expiry: None,
            counters: SipScreenCounters::default(),
        }
    }

    /// Replaces the settings (a new configuration), keeping the counters, the blocks and
    /// each source's rate state (cut down to the new bounds). Sources that are exempt now
    /// are unblocked.
    pub fn set_settings(&mut self, settings: SipScreenSettings) {
        self.limiter
            .set_limits(settings.rate_per_s, settings.burst, settings.max_sources);
        self.settings = settings;
        let max = self.max_sources();
        shrink_to(&mut self.blocks, max, |_| false, |&until| until);
        shrink_to(&mut self.strikes, max, |_| false, |s| s.last);
        self.apply_exempt();
    }

    /// Replaces the exempt sources (the SIP servers, as newly resolved), unblocking them.
    pub fn set_exempt(&mut self, exempt: Vec<IpAddr>) {
        self.settings.exempt = exempt;
        self.apply_exempt();
    }

    /// The settings in force.
    pub fn settings(&self) -> &SipScreenSettings {
        &self.settings
    }

    /// Decides on one message `msg` received from `from` at `now`.
    pub fn screen(&mut self, from: SocketAddr, msg: &[u8], now: Instant) -> Verdict {
        let ip = canonical(from.ip());
        self.expire(now);
        if self.exempt.contains(&ip) {
            return self.accept();
        }
        if !self.settings.allow.allows(ip) {
            self.counters.not_allowed += 1;
            return Verdict::Drop(Reason::NotAllowed);
        }
        if self.blocks.contains_key(&ip) {
            self.counters.blocked += 1;
            return Verdict::Drop(Reason::Blocked);
        }
        if is_response(msg) {
            return self.accept();
        }
        if self.settings.scanner_filter && find_scanner(msg).is_some() {
            self.counters.scanner += 1;
            self.block(ip, now);
            return Verdict::Drop(Reason::Scanner);
        }
        if !self.limiter.allow(ip, now) {
            self.counters.flood += 1;
            if self.strike(ip, now) {
                self.block(ip, now);
            }
            return Verdict::Drop(Reason::Flood);
        }
        self.accept()
    }

    /// Ends the blocks that are over at `now` (also done by every [`screen`](Self::screen));
    /// for a shell that wants [`SipScreenCounters::blocked_sources_now`] exact while no
    /// message arrives, or that schedules it at [`next_expiry`](Self::next_expiry).
    pub fn expire(&mut self, now: Instant) {
        if self.next_expiry.is_some_and(|e| now >= e) {
            self.blocks.retain(|_, until| *until > now);
            self.next_expiry = self.blocks.values().min().copied();
            self.counters.blocked_sources_now = self.blocks.len() as u64;
        }
    }

    /// When the earliest block ends (a deadline for [`expire`](Self::expire)), if any.
    pub fn next_expiry(&self) -> Option<Instant> {
        self.next_expiry
    }

    /// Whether `ip` is blocked at `now` (for refusing a TCP/TLS connection before reading).
    pub fn is_blocked(&self, ip: IpAddr, now: Instant) -> bool {
        self.blocked_until(ip).is_some_and(|until| until > now)
    }

    /// When the block on `ip` ends, if it is blocked (an ended block may show until the
    /// next [`expire`](Self::expire)).
    pub fn blocked_until(&self, ip: IpAddr) -> Option<Instant> {
        self.blocks.get(&canonical(ip)).copied()
    }

    /// Ends the block on `ip` now (an administrator's action).
    pub fn unblock(&mut self, ip: IpAddr) {
        let ip = canonical(ip);
        self.blocks.remove(&ip);
        self.strikes.remove(&ip);
        self.counters.blocked_sources_now = self.blocks.len() as u64;
    }

    /// The counters.
    pub fn counters(&self) -> SipScreenCounters {
        self.counters
    }

    fn accept(&mut self) -> Verdict {
        self.counters.accepted += 1;
        Verdict::Accept
    }

    fn max_sources(&self) -> usize {
        self.settings.max_sources.max(1)
    }

    fn apply_exempt(&mut self) {
        self.exempt = self
            .settings
            .exempt
            .iter()
            .map(|&ip| canonical(ip))
            .collect();
        for ip in &self.exempt {
            self.blocks.remove(ip);
            self.strikes.remove(ip);
            self.limiter.forget(*ip);
        }
        self.counters.blocked_sources_now = self.blocks.len() as u64;
    }

    fn block(&mut self, ip: IpAddr, now: Instant) {
        self.strikes.remove(&ip);
        let Some(until) = now.checked_add(self.settings.block_for) else {
            return;
        };
        if until <= now {
            return; // block_for is zero
        }
        if !self.blocks.contains_key(&ip) {
            // Ended blocks go first, then those ending soonest.
            let max = self.max_sources();
            make_room(&mut self.blocks, max, |&u| u <= now, |&u| u);
        }
        self.blocks.insert(ip, until);
        self.limiter.forget(ip);
        self.next_expiry = Some(self.next_expiry.map_or(until, |e| e.min(until)));
        self.counters.blocked_sources_now = self.blocks.len() as u64;
    }

    /// Counts one flood drop of `ip`; whether it has earned a block.
    fn strike(&mut self, ip: IpAddr, now: Instant) -> bool {
        if !self.strikes.contains_key(&ip) {
            let max = self.max_sources();
            make_room(
                &mut self.strikes,
                max,
                |s| now.saturating_duration_since(s.since) >= FLOOD_WINDOW,
                |s| s.last,
            );
        }
        let s = self.strikes.entry(ip).or_insert(Strikes {
            since: now,
            last: now,
            count: 0,
        });
        if now.saturating_duration_since(s.since) >= FLOOD_WINDOW {
            s.since = now;
            s.count = 0;
        }
        s.count += 1;
        s.last = s.last.max(now);
        s.count >= FLOOD_BLOCK_AFTER
    }
}

/// Whether `msg` is a SIP response (its start line, after any leading CRLFs, begins with
/// `SIP/2.0 `; the version compared without regard to case, RFC 3261 §7.1).
pub fn is_response(msg: &[u8]) -> bool {
    let msg = skip_crlf(msg);
    msg.get(..8)
        .is_some_and(|v| v.eq_ignore_ascii_case(b"SIP/2.0 "))
}

/// The [`SCANNER_USER_AGENTS`] marker that `msg` carries in its `User-Agent` header or in
/// the display name of its `From` or `To` header (header names without regard to case,
/// `f` and `t` included), if any.
///
/// Reads the head only, at most [`MAX_SCAN`] bytes; tolerates any bytes (not UTF-8, no
/// CR, folded or malformed lines) and allocates nothing. A marker split across a folded
/// line is not seen.
pub fn find_scanner(msg: &[u8]) -> Option<&'static str> {
    let head = skip_crlf(msg);
    let head = &head[..head.len().min(MAX_SCAN)];
    let mut lines = head.split(|&b| b == b'\n');
    lines.next(); // the start line
    let mut current = Field::Other;
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break; // the end of the head
        }
        let value = if line[0] == b' ' || line[0] == b'\t' {
            line // a folded continuation of the current header
        } else if let Some(colon) = line.iter().position(|&b| b == b':') {
            current = Field::of(trim(&line[..colon]));
            &line[colon + 1..]
        } else {
            current = Field::Other;
            continue;
        };
        let found = match current {
            Field::UserAgent => find_marker(value),
            Field::Party => find_marker(display_name(value)),
            Field::Other => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    UserAgent,
    /// `From` or `To`.
    Party,
    Other,
}

impl Field {
    fn of(name: &[u8]) -> Field {
        let is = |n: &[u8]| name.eq_ignore_ascii_case(n);
        if is(b"user-agent") {
            Field::UserAgent
        } else if is(b"from") || is(b"f") || is(b"to") || is(b"t") {
            Field::Party
        } else {
            Field::Other
        }
    }
}

fn skip_crlf(msg: &[u8]) -> &[u8] {
    let start = msg
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(msg.len());
    &msg[start..]
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &s[start..end.max(start)]
}

/// The display-name part of (one line of) a `From`/`To` value: what precedes `<`, or a
/// quoted string on a line of its own; nothing for a bare URI.
fn display_name(value: &[u8]) -> &[u8] {
    match value.iter().position(|&b| b == b'<') {
        Some(lt) => &value[..lt],
        None if trim(value).first() == Some(&b'"') => value,
        None => &[],
    }
}

/// The first marker found in `hay` as a word (no ASCII letter on either side).
fn find_marker(hay: &[u8]) -> Option<&'static str> {
    for (i, &c) in hay.iter().enumerate() {
        if !c.is_ascii_alphabetic() || (i > 0 && hay[i - 1].is_ascii_alphabetic()) {
            continue;
        }
        for marker in SCANNER_USER_AGENTS {
            let m = marker.as_bytes();
            if !m[0].eq_ignore_ascii_case(&c) {
                continue;
            }
            let Some(word) = hay.get(i..i + m.len()) else {
                continue;
            };
            let after = hay.get(i + m.len());
            if word.eq_ignore_ascii_case(m) && !after.is_some_and(u8::is_ascii_alphabetic) {
                return Some(marker);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_words_and_start_with_a_letter() {
        for m in SCANNER_USER_AGENTS {
            assert!(m.as_bytes()[0].is_ascii_alphabetic(), "{m}");
            assert!(m.as_bytes().last().unwrap().is_ascii_alphabetic(), "{m}");
            assert_eq!(find_marker(m.as_bytes()), Some(*m));
        }
    }

    #[test]
    fn legitimate_agents_are_not_scanners() {
        for ua in [
            "sipsak 0.9.8",
            "sipsak",
            "SIPp",
            "SIPp/Linux",
            "Tipring/0.1.0",
            "Asterisk PBX 20.5.0",
            "FPBX-16.0.40(18.20.0)",
            "Linphone/5.2.0 (belle-sip/5.2.0)",
            "MicroSIP/3.21.3",
            "Z 5.6.1 v2.10.20.5",
            "Yealink SIP-T46S 66.86.0.15",
            "Grandstream HT802 1.0.43.11",
            "Cisco-SIPGateway/IOS-15.x",
            "FreeSWITCH-mod_sofia/1.10.9",
            "kamailio (5.7.2 (x86_64/linux))",
            "OpenSIPS (3.4.2 (x86_64/linux))",
            "my sip-client 1.0",
            "smapper",
            "Kiwar",
            "friendly",
        ] {
            assert_eq!(find_marker(ua.as_bytes()), None, "{ua}");
        }
    }

    #[test]
    fn scanner_agents_match_without_regard_to_case() {
        for (ua, marker) in [
            ("friendly-scanner", "friendly-scanner"),
            ("Friendly-Scanner", "friendly-scanner"),
            ("sipcli/v1.8", "sipcli"),
            ("SIPVicious 0.3.4", "sipvicious"),
            ("VaxSIPUserAgent/3.1", "VaxSIPUserAgent"),
            ("pplsip", "pplsip"),
            ("sundayddr", "sundayddr"),
            ("iWar", "iWar"),
            ("SIVuS Scanner 1.09", "SIVuS"),
            ("smap 0.6.0", "smap"),
            ("x_sip-scan_x", "sip-scan"),
        ] {
            assert_eq!(find_marker(ua.as_bytes()), Some(marker), "{ua}");
        }
    }

    #[test]
    fn the_head_is_read_and_the_body_is_not() {
        let with_body =
            b"INVITE sip:1@h SIP/2.0\r\nUser-Agent: Good\r\n\r\nv=0\r\nUser-Agent: sipcli\r\n";
        assert_eq!(find_scanner(with_body), None);
        let ua = b"OPTIONS sip:1@h SIP/2.0\nuser-agent   :friendly-scanner\n\n";
        assert_eq!(find_scanner(ua), Some("friendly-scanner"));
        // Past MAX_SCAN bytes nothing is read.
        let mut far = b"OPTIONS sip:1@h SIP/2.0\r\n".to_vec();
        for _ in 0..MAX_SCAN / 10 {
            far.extend_from_slice(b"X-Pad: ab\r\n");
        }
        far.extend_from_slice(b"User-Agent: sipcli\r\n\r\n");
        assert_eq!(find_scanner(&far), None);
    }

    #[test]
    fn display_names_of_from_and_to_but_not_their_uris() {
        let m = |from: &str| {
            let msg = format!("OPTIONS sip:1@h SIP/2.0\r\nFrom: {from}\r\n\r\n");
            find_scanner(msg.as_bytes())
        };
        assert_eq!(
            m("\"sipvicious\"<sip:100@1.1.1.1>;tag=1"),
            Some("sipvicious")
        );
        assert_eq!(m("sipvicious <sip:100@1.1.1.1>"), Some("sipvicious"));
        assert_eq!(m("<sip:sipvicious@1.1.1.1>"), None);
        assert_eq!(m("sip:smap@192.0.2.1;tag=9"), None);
        let compact = b"OPTIONS sip:1@h SIP/2.0\r\nt: \"iWar\" <sip:1@h>\r\n\r\n";
        assert_eq!(find_scanner(compact), Some("iWar"));
        // A folded User-Agent.
        let folded = b"OPTIONS sip:1@h SIP/2.0\r\nUser-Agent: Some\r\n  friendly-scanner\r\n\r\n";
        assert_eq!(find_scanner(folded), Some("friendly-scanner"));
        // Another header's fold is not a User-Agent.
        let other = b"OPTIONS sip:1@h SIP/2.0\r\nSubject: x\r\n sipcli\r\n\r\n";
        assert_eq!(find_scanner(other), None);
    }

    #[test]
    fn responses_are_recognised_after_keepalive_crlfs() {
        assert!(is_response(b"SIP/2.0 200 OK\r\n"));
        assert!(is_response(b"\r\n\r\nsip/2.0 401 Unauthorized\r\n"));
        assert!(!is_response(b"OPTIONS sip:a SIP/2.0\r\n"));
        assert!(!is_response(b"SIP/2.0"));
        assert!(!is_response(b"\r\n\r\n"));
        assert!(!is_response(b""));
    }

    #[test]
    fn trim_edges() {
        assert_eq!(trim(b"  a b \t"), b"a b");
        assert_eq!(trim(b"   "), b"");
        assert_eq!(trim(b""), b"");
    }
}

//! The RFC 5424 formatter: a pure function from a [`Record`] to the bytes of one
//! SYSLOG-MSG (RFC 5424 §6), with no clock and no I/O.
//!
//! ```text
//! <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [tipring@32473 key="value" ...] MSG
//! ```
//!
//! * PRI is `facility * 8 + severity` (§6.2.1).
//! * TIMESTAMP is RFC 3339 in UTC with milliseconds, `2024-02-29T23:59:58.123Z` (§6.2.3);
//!   `-` when there is no time or it is before 1970 or after 9999.
//! * HOSTNAME, APP-NAME, PROCID and MSGID are PRINTUSASCII (`!`..=`~`) cut to 255, 48,
//!   128 and 32 characters (§6.2.4–6.2.7): any other character (space, control, non-ASCII)
//!   becomes `_`, one per character; an empty field is the NILVALUE `-`.
//! * STRUCTURED-DATA is one SD-ELEMENT with the SD-ID `tipring@32473`, or `-` when there
//!   are no parameters. 32473 is the private enterprise number that RFC 5612 reserves for
//!   documentation; a deployment that owns a PEN may want its own (§7.2.2). SD-NAMEs are
//!   PRINTUSASCII without `=`, `]` and `"`, at most 32 characters (other characters become
//!   `_`); PARAM-VALUEs are UTF-8 with `"`, `\` and `]` escaped by a backslash (§6.3.3).
//!   Parameters whose name looks like a secret ([`is_secret_name`]) are sent as `***`.
//! * MSG is the message as UTF-8 **without a BOM**. RFC 5424 §6.4 says a Unicode MSG
//!   SHOULD start with a BOM, but common receivers keep it as part of the text: rsyslog
//!   writes it into its files (`%msg%` starts with the three bytes EF BB BF), and so do
//!   many log pipelines behind it. rsyslog's own forwarder sends no BOM either. Without
//!   one, MSG is MSG-ANY (§6.4), which any receiver accepts; the bytes are still UTF-8.
//!   The SP before MSG is omitted when the message is empty.

use std::time::{SystemTime, UNIX_EPOCH};

/// The SD-ID of the one SD-ELEMENT: `name@PEN` with the documentation PEN of RFC 5612.
pub const SD_ID: &str = "tipring@32473";

/// Field length limits of RFC 5424 §6 (in characters, which are ASCII bytes here).
const HOSTNAME_MAX: usize = 255;
const APP_NAME_MAX: usize = 48;
const PROCID_MAX: usize = 128;
const MSGID_MAX: usize = 32;
const SD_NAME_MAX: usize = 32;

/// What a secret parameter's value is replaced with.
pub const MASK: &str = "***";

/// A syslog facility (RFC 5424 §6.2.1, table 1): 0 (kernel) to 23 (local7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Facility(u8);

impl Facility {
    /// Kernel messages (0).
    pub const KERN: Facility = Facility(0);
    /// User-level messages (1).
    pub const USER: Facility = Facility(1);
    /// System daemons (3).
    pub const DAEMON: Facility = Facility(3);
    /// Local use 0 (16), the default.
    pub const LOCAL0: Facility = Facility(16);
    /// Local use 7 (23).
    pub const LOCAL7: Facility = Facility(23);

    /// The facility with this code, if it is one (0..=23).
    pub fn new(code: u8) -> Option<Facility> {
        (code <= 23).then_some(Facility(code))
    }

    /// Its numerical code.
    pub fn code(self) -> u8 {
        self.0
    }
}

impl Default for Facility {
    fn default() -> Self {
        Facility::LOCAL0
    }
}

/// A syslog severity (RFC 5424 §6.2.1, table 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Severity {
    /// 0: system is unusable.
    Emergency = 0,
    /// 1: action must be taken immediately.
    Alert = 1,
    /// 2: critical conditions.
    Critical = 2,
    /// 3: error conditions.
    Error = 3,
    /// 4: warning conditions.
    Warning = 4,
    /// 5: normal but significant condition.
    Notice = 5,
    /// 6: informational messages.
    Informational = 6,
    /// 7: debug-level messages.
    Debug = 7,
}

impl Severity {
    /// Its numerical code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<tracing::Level> for Severity {
    /// ERROR → err (3), WARN → warning (4), INFO → info (6), DEBUG and TRACE → debug (7).
    fn from(level: tracing::Level) -> Self {
        match level {
            tracing::Level::ERROR => Severity::Error,
            tracing::Level::WARN => Severity::Warning,
            tracing::Level::INFO => Severity::Informational,
            _ => Severity::Debug,
        }
    }
}

/// One message to format. The formatter sanitises every field: a `Record` may carry any
/// text.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    /// When the event happened; `None` for the NILVALUE.
    pub time: Option<SystemTime>,
    /// The facility.
    pub facility: Facility,
    /// The severity.
    pub severity: Severity,
    /// HOSTNAME (the gateway's name or address); empty for `-`.
    pub hostname: &'a str,
    /// APP-NAME; empty for `-`.
    pub app_name: &'a str,
    /// PROCID (the process id); empty for `-`.
    pub procid: &'a str,
    /// MSGID (the kind of message); empty for `-`.
    pub msgid: &'a str,
    /// The SD-PARAMs of the `tipring@32473` element, `(name, value)`, in order.
    pub params: &'a [(String, String)],
    /// MSG.
    pub message: &'a str,
}

/// Whether a field of this name holds a secret, whose value must never leave the
/// gateway: its name (case-insensitive) contains `password`, `passwd`, `secret`, `token`,
/// `authorization` or `credential`, or ends with `key` (`key`, `api_key`, `privateKey`).
/// `keypad` or `keepalive` are not secrets.
pub fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    const WORDS: [&str; 6] = [
        "password",
        "passwd",
        "secret",
        "token",
        "authorization",
        "credential",
    ];
    WORDS.iter().any(|w| lower.contains(w)) || lower.ends_with("key")
}

/// Appends the SYSLOG-MSG for `rec` to `out`, whatever its length.
pub fn format_5424(rec: &Record<'_>, out: &mut Vec<u8>) {
    push_header(rec, out);
    push_sd(rec.params, out);
    push_msg(rec.message, out);
}

/// Appends the SYSLOG-MSG for `rec` to `out` in at most `max` bytes, and tells whether
/// something had to be left out.
///
/// A message that is too long keeps its header, then its SD-PARAMs whole and in order
/// while they fit in what is left after a reserve for the message (a quarter of `max`, or
/// less when the message is shorter), then as much of MSG as fits, cut at a character
/// boundary. So the result is always well-formed RFC 5424. Only a header longer than
/// `max` (a 255-character hostname with a `max` under ~500) is cut as bytes.
pub fn format_5424_within(rec: &Record<'_>, max: usize, out: &mut Vec<u8>) -> bool {
    let start = out.len();
    format_5424(rec, out);
    if out.len() - start <= max {
        return false;
    }
    out.truncate(start);
    push_header(rec, out);
    let reserve = (max / 4).min(rec.message.len() + 1);
    let budget = max.saturating_sub(reserve);
    let mut kept = 0;
    while kept < rec.params.len() {
        let mark = out.len();
        push_sd(&rec.params[..kept + 1], out);
        let fits = out.len() - start <= budget;
        out.truncate(mark);
        if !fits {
            break;
        }
        kept += 1;
    }
    push_sd(&rec.params[..kept], out);
    let room = max.saturating_sub(out.len() - start + 1);
    if room > 0 && !rec.message.is_empty() {
        push_msg(&rec.message[..floor_char_boundary(rec.message, room)], out);
    }
    if out.len() - start > max {
        out.truncate(start + max);
    }
    true
}

/// The largest `i <= n` that is a character boundary of `s`.
pub(crate) fn floor_char_boundary(s: &str, n: usize) -> usize {
    if n >= s.len() {
        return s.len();
    }
    let mut i = n;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID ` (with the SP before SD).
fn push_header(rec: &Record<'_>, out: &mut Vec<u8>) {
    let pri = u16::from(rec.facility.code()) * 8 + u16::from(rec.severity.code());
    out.push(b'<');
    out.extend_from_slice(pri.to_string().as_bytes());
    out.extend_from_slice(b">1 ");
    push_timestamp(rec.time, out);
    for (value, max) in [
        (rec.hostname, HOSTNAME_MAX),
        (rec.app_name, APP_NAME_MAX),
        (rec.procid, PROCID_MAX),
        (rec.msgid, MSGID_MAX),
    ] {
        out.push(b' ');
        push_printusascii(value, max, out);
    }
    out.push(b' ');
}

/// A header field: PRINTUSASCII, at most `max` characters, `-` when empty.
fn push_printusascii(value: &str, max: usize, out: &mut Vec<u8>) {
    let start = out.len();
    for c in value.chars().take(max) {
        out.push(if c.is_ascii_graphic() { c as u8 } else { b'_' });
    }
    if out.len() == start {
        out.push(b'-');
    }
}

/// STRUCTURED-DATA: `-` or `[tipring@32473 name="value" ...]`.
fn push_sd(params: &[(String, String)], out: &mut Vec<u8>) {
    if params.is_empty() {
        out.push(b'-');
        return;
    }
    out.push(b'[');
    out.extend_from_slice(SD_ID.as_bytes());
    for (name, value) in params {
        out.push(b' ');
        let start = out.len();
        for c in name.chars().take(SD_NAME_MAX) {
            let ok = c.is_ascii_graphic() && !matches!(c, '=' | ']' | '"');
            out.push(if ok { c as u8 } else { b'_' });
        }
        if out.len() == start {
            out.push(b'_');
        }
        out.extend_from_slice(b"=\"");
        let value = if is_secret_name(name) { MASK } else { value };
        for b in value.bytes() {
            if matches!(b, b'"' | b'\\' | b']') {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.push(b'"');
    }
    out.push(b']');
}

/// ` MSG`, nothing for an empty message.
fn push_msg(message: &str, out: &mut Vec<u8>) {
    if !message.is_empty() {
        out.push(b' ');
        out.extend_from_slice(message.as_bytes());
    }
}

/// `YYYY-MM-DDThh:mm:ss.mmmZ`, or `-`.
fn push_timestamp(time: Option<SystemTime>, out: &mut Vec<u8>) {
    let Some(since) = time.and_then(|t| t.duration_since(UNIX_EPOCH).ok()) else {
        out.push(b'-');
        return;
    };
    let secs = since.as_secs();
    let (y, m, d) = civil_from_days(secs / 86_400);
    if y > 9999 {
        out.push(b'-');
        return;
    }
    let tod = secs % 86_400;
    let text = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        tod / 3600,
        tod / 60 % 60,
        tod % 60,
        since.subsec_millis()
    );
    out.extend_from_slice(text.as_bytes());
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's
/// `civil_from_days`, for non-negative counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// 2024-02-29T23:59:58.123Z, a leap day.
    fn t0() -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(1_709_251_198_123)
    }

    fn rec<'a>(params: &'a [(String, String)], message: &'a str) -> Record<'a> {
        Record {
            time: Some(t0()),
            facility: Facility::LOCAL0,
            severity: Severity::Informational,
            hostname: "gw1.example.net",
            app_name: "tipring-agent",
            procid: "4242",
            msgid: "tipring_line",
            params,
            message,
        }
    }

    fn line(r: &Record<'_>) -> String {
        let mut out = Vec::new();
        format_5424(r, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn full_line() {
        let params = p(&[("port", "1"), ("call_id", "abc@h")]);
        assert_eq!(
            line(&rec(&params, "off hook")),
            "<134>1 2024-02-29T23:59:58.123Z gw1.example.net tipring-agent 4242 tipring_line \
             [tipring@32473 port=\"1\" call_id=\"abc@h\"] off hook"
        );
    }

    /// RFC 5424 §6.2.1: PRI = facility * 8 + severity, from <0> to <191>.
    #[test]
    fn pri_arithmetic() {
        let mut r = rec(&[], "m");
        r.time = None;
        for (fac, sev, pri) in [
            (Facility::KERN, Severity::Emergency, "<0>"),
            (Facility::USER, Severity::Notice, "<13>"),
            (Facility::DAEMON, Severity::Error, "<27>"),
            (Facility::LOCAL0, Severity::Warning, "<132>"),
            (Facility::LOCAL7, Severity::Debug, "<191>"),
        ] {
            r.facility = fac;
            r.severity = sev;
            assert!(line(&r).starts_with(&format!("{pri}1 - ")), "{}", line(&r));
        }
        assert_eq!(Facility::new(23), Some(Facility::LOCAL7));
        assert_eq!(Facility::new(24), None);
    }

    #[test]
    fn levels_to_severities() {
        use tracing::Level;
        let map = [
            (Level::ERROR, 3),
            (Level::WARN, 4),
            (Level::INFO, 6),
            (Level::DEBUG, 7),
            (Level::TRACE, 7),
        ];
        for (level, code) in map {
            assert_eq!(Severity::from(level).code(), code, "{level}");
        }
    }

    /// RFC 5424 §6.2.3 / RFC 3339: the formatter's own calendar, checked at known dates.
    #[test]
    fn timestamps() {
        let at = |ms: u64| {
            let mut out = Vec::new();
            push_timestamp(Some(UNIX_EPOCH + Duration::from_millis(ms)), &mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(at(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(at(1_709_251_198_123), "2024-02-29T23:59:58.123Z");
        assert_eq!(at(1_735_689_599_999), "2024-12-31T23:59:59.999Z");
        assert_eq!(at(4_102_444_800_000), "2100-01-01T00:00:00.000Z");
        assert_eq!(at(253_402_300_799_000), "9999-12-31T23:59:59.000Z");
        assert_eq!(at(253_402_300_800_000), "-");
        let mut out = Vec::new();
        push_timestamp(Some(UNIX_EPOCH - Duration::from_secs(1)), &mut out);
        assert_eq!(out, b"-");
    }

    /// RFC 5424 §6.2: every nil field is `-`; no SP before an empty MSG.
    #[test]
    fn nil_fields() {
        let r = Record {
            time: None,
            facility: Facility::LOCAL0,
            severity: Severity::Informational,
            hostname: "",
            app_name: "",
            procid: "",
            msgid: "",
            params: &[],
            message: "",
        };
        assert_eq!(line(&r), "<134>1 - - - - - -");
        let r = Record {
            message: "text",
            ..r
        };
        assert_eq!(line(&r), "<134>1 - - - - - - text");
    }

    /// RFC 5424 §6.3.3: `"`, `\` and `]` are escaped in PARAM-VALUE, nothing else is.
    #[test]
    fn param_value_escaping() {
        let params = p(&[("v", r#"a"b\c]d[e=f 'g' é"#)]);
        let mut r = rec(&params, "m");
        r.time = None;
        assert_eq!(
            line(&r),
            "<134>1 - gw1.example.net tipring-agent 4242 tipring_line \
             [tipring@32473 v=\"a\\\"b\\\\c\\]d[e=f 'g' é\"] m"
        );
    }

    /// RFC 5424 §6.3.3: SD-NAME is 1*32 PRINTUSASCII except `=`, SP, `]`, `"`.
    #[test]
    fn sd_names_sanitised() {
        let long = "a".repeat(40);
        let params = p(&[
            ("a=b", "1"),
            ("c d", "2"),
            ("e]f\"g", "3"),
            ("hé", "4"),
            ("", "5"),
            (&long, "6"),
        ]);
        let mut out = Vec::new();
        push_sd(&params, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "[tipring@32473 a_b=\"1\" c_d=\"2\" e_f_g=\"3\" h_=\"4\" _=\"5\" {}=\"6\"]",
                "a".repeat(32)
            )
        );
    }

    /// RFC 5424 §6.2.4–6.2.7: PRINTUSASCII only, length limits 255/48/128/32.
    #[test]
    fn header_fields_sanitised_and_cut() {
        let host = "h".repeat(300);
        let app = "a".repeat(60);
        let procid = "9".repeat(130);
        let msgid = "m".repeat(40);
        let r = Record {
            time: None,
            facility: Facility::LOCAL0,
            severity: Severity::Debug,
            hostname: &host,
            app_name: &app,
            procid: &procid,
            msgid: &msgid,
            params: &[],
            message: "",
        };
        assert_eq!(
            line(&r),
            format!(
                "<135>1 - {} {} {} {} -",
                "h".repeat(255),
                "a".repeat(48),
                "9".repeat(128),
                "m".repeat(32)
            )
        );
        let r = Record {
            hostname: "passerelle-général\u{7f}",
            app_name: "tipring agent",
            procid: "\t",
            msgid: "日本",
            ..r
        };
        assert_eq!(
            line(&r),
            "<135>1 - passerelle-g_n_ral_ tipring_agent _ __ -"
        );
    }

    #[test]
    fn secrets_masked() {
        let params = p(&[
            ("password", "hunter2"),
            ("sip_Password", "x"),
            ("auth_token", "t"),
            ("Authorization", "Digest ..."),
            ("client_secret", "s"),
            ("key", "k"),
            ("privateKey", "k"),
            ("keypad", "5"),
            ("keepalive", "30"),
            ("user", "alice"),
        ]);
        let mut r = rec(&params, "m");
        r.time = None;
        assert_eq!(
            line(&r),
            "<134>1 - gw1.example.net tipring-agent 4242 tipring_line [tipring@32473 \
             password=\"***\" sip_Password=\"***\" auth_token=\"***\" Authorization=\"***\" \
             client_secret=\"***\" key=\"***\" privateKey=\"***\" keypad=\"5\" \
             keepalive=\"30\" user=\"alice\"] m"
        );
    }

    #[test]
    fn message_is_utf8_without_bom() {
        let r = rec(&[], "appel de «Zoë» ☎");
        let mut out = Vec::new();
        format_5424(&r, &mut out);
        assert!(out.ends_with(" - appel de «Zoë» ☎".as_bytes()));
        assert!(!out.windows(3).any(|w| w == [0xef, 0xbb, 0xbf]));
    }

    #[test]
    fn within_limit_is_untouched() {
        let params = p(&[("port", "1")]);
        let r = rec(&params, "short");
        let (mut a, mut b) = (Vec::new(), Vec::new());
        format_5424(&r, &mut a);
        assert!(!format_5424_within(&r, a.len(), &mut b));
        assert_eq!(a, b);
    }

    /// A long message is cut at a character boundary, params kept.
    #[test]
    fn long_message_cut_at_char_boundary() {
        let params = p(&[("port", "1")]);
        let msg = "é".repeat(1000);
        let r = Record {
            time: None,
            ..rec(&params, &msg)
        };
        let head = "<134>1 - gw1.example.net tipring-agent 4242 tipring_line \
                    [tipring@32473 port=\"1\"] ";
        for max in [200, 201, 202, 480] {
            let mut out = Vec::new();
            assert!(format_5424_within(&r, max, &mut out));
            let s = String::from_utf8(out).expect("cut at a char boundary");
            assert!(s.len() == max || s.len() == max - 1, "{max}: {}", s.len());
            assert!(s.starts_with(head), "{s}");
            assert!(s[head.len()..].chars().all(|c| c == 'é'));
        }
    }

    /// Params that do not fit are left out whole (the SD stays well-formed) and a
    /// quarter of the limit stays for the message.
    #[test]
    fn long_params_dropped_whole() {
        let big = "v".repeat(300);
        let params = p(&[("a", "1"), ("b", &big), ("c", "3")]);
        let msg = "m".repeat(300);
        let r = Record {
            time: None,
            ..rec(&params, &msg)
        };
        let mut out = Vec::new();
        assert!(format_5424_within(&r, 300, &mut out));
        let s = String::from_utf8(out).unwrap();
        let head = "<134>1 - gw1.example.net tipring-agent 4242 tipring_line \
                    [tipring@32473 a=\"1\"] ";
        assert!(s.starts_with(head), "{s}");
        assert_eq!(s.len(), 300);
        assert!(s[head.len()..].chars().all(|c| c == 'm'));

        // Not even the first parameter fits: SD is nil.
        let huge = p(&[("x", &"v".repeat(1000))]);
        let r = Record {
            time: None,
            ..rec(&huge, "hello")
        };
        let mut out = Vec::new();
        assert!(format_5424_within(&r, 480, &mut out));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<134>1 - gw1.example.net tipring-agent 4242 tipring_line - hello"
        );
    }
}

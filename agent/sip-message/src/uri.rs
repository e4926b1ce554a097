//! URIs: `sip:`/`sips:` (RFC 3261 §19.1), `tel:` (RFC 3966) and any other scheme kept
//! opaque (RFC 3261 §25.1 `absoluteURI`).
//!
//! # Escapes
//!
//! The user, password, parameter and header parts of a SIP URI are stored in *canonical
//! escaped form*: an escape of an unreserved character is decoded (`%61` -> `a`), an escape
//! of any other octet is kept with upper-case hex (`%3a` -> `%3A`, `%00` stays `%00`), a
//! reserved character that the part allows raw is kept raw, and a raw character the part
//! does not allow (`#`, non-ASCII) is escaped. Two URIs that RFC 3261 §19.1.4 calls
//! equivalent in these parts therefore store the same text, `%00` never truncates anything,
//! and unescaping is never applied twice (`%2541` stays the three characters `%41` once
//! decoded, RFC 4475 §3.1.1.3). [`unescape`] gives the octets; [`SipUri::user_unescaped`]
//! and friends give text.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::params::{Param, Params};
use crate::text::clip;

/// A URI as found in a Request-URI, a name-addr or a Route.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Uri {
    /// `sip:` or `sips:`.
    Sip(SipUri),
    /// `tel:`.
    Tel(TelUri),
    /// Any other scheme, kept as text.
    Other(OtherUri),
}

/// The host part of a SIP URI or Via.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name, as received (compare case-insensitively).
    Domain(String),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address (written as a reference, `[2001:db8::1]`).
    Ipv6(Ipv6Addr),
}

/// A `sip:` or `sips:` URI (RFC 3261 §19.1.1). `user`, `password`, parameter values and
/// headers are in canonical escaped form (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SipUri {
    /// `sips:` rather than `sip:`.
    pub secure: bool,
    /// The user part (may contain `;`-parameters of its own, RFC 4475 §3.1.1.9).
    pub user: Option<String>,
    /// The password part (deprecated, but part of the grammar).
    pub password: Option<String>,
    /// The host.
    pub host: Host,
    /// The port, when given.
    pub port: Option<u16>,
    /// `uri-parameters` (`;transport=tcp;lr`).
    pub params: Params,
    /// `headers` (`?Replaces=...&Subject=...`), name and value each in escaped form.
    pub headers: Vec<(String, String)>,
}

/// A `tel:` URI (RFC 3966).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TelUri {
    /// The number as written, with visual separators (`+1-201-555-0123`).
    pub number: String,
    /// Parameters (`;phone-context=...;ext=...`).
    pub params: Params,
}

/// A URI of a scheme this crate does not interpret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OtherUri {
    /// The scheme, lower-cased.
    pub scheme: String,
    /// Everything after the colon, verbatim.
    pub rest: String,
}

// ---------------------------------------------------------------------------------------
// character classes (RFC 3261 §25.1)

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        )
}

fn user_raw(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'&' | b'=' | b'+' | b'$' | b',' | b';' | b'?' | b'/')
}

fn password_raw(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'&' | b'=' | b'+' | b'$' | b',')
}

fn param_raw(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'[' | b']' | b'/' | b':' | b'&' | b'+' | b'$')
}

fn header_raw(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'[' | b']' | b'/' | b'?' | b':' | b'+' | b'$')
}

/// Characters that can never be in a URI here: white space, controls, `<>"`, and `%`
/// (which only starts an escape).
fn forbidden(b: u8) -> bool {
    b <= b' ' || b == 0x7f || matches!(b, b'<' | b'>' | b'"')
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn push_escaped(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(HEX[(b >> 4) as usize] as char);
    out.push(HEX[(b & 15) as usize] as char);
}

/// Bring one URI part to canonical escaped form, rejecting what cannot be in it.
fn canonical(part: &str, raw_ok: fn(u8) -> bool, what: &'static str) -> Result<String> {
    let bytes = part.as_bytes();
    // Fast path: nothing to change.
    if bytes.iter().all(|&b| raw_ok(b)) {
        return Ok(part.to_owned());
    }
    let mut out = String::with_capacity(part.len() + 8);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex_val),
                bytes.get(i + 2).copied().and_then(hex_val),
            ) else {
                return Err(Error::syntax(
                    "URI",
                    format!("bad %-escape in {what}: {:?}", clip(part)),
                ));
            };
            let d = h * 16 + l;
            if is_unreserved(d) {
                out.push(d as char);
            } else {
                push_escaped(&mut out, d);
            }
            i += 3;
        } else if raw_ok(b) {
            out.push(b as char);
            i += 1;
        } else if forbidden(b) {
            return Err(Error::syntax(
                "URI",
                format!(
                    "character {:?} not allowed in {what}: {:?}",
                    b as char,
                    clip(part)
                ),
            ));
        } else {
            // Tolerated raw character that should have been escaped (`#`, `{`, non-ASCII,
            // a reserved character the part does not allow raw).
            push_escaped(&mut out, b);
            i += 1;
        }
    }
    Ok(out)
}

/// Decode `%HH` escapes into octets (one pass, never recursive). Malformed escapes are
/// kept as they are.
pub fn unescape(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex_val),
                bytes.get(i + 2).copied().and_then(hex_val),
            ) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn unescape_text(s: &str) -> String {
    match String::from_utf8(unescape(s)) {
        Ok(t) => t,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Escape text for the user part of a SIP URI (everything but unreserved and
/// user-unreserved characters becomes `%HH`).
pub fn escape_user(plain: &str) -> String {
    escape_with(plain, user_raw)
}

/// Escape text for a URI parameter value.
pub fn escape_param(plain: &str) -> String {
    escape_with(plain, param_raw)
}

/// Escape text for a URI header value (`?Replaces=` takes the Replaces value through this).
pub fn escape_header(plain: &str) -> String {
    escape_with(plain, header_raw)
}

fn escape_with(plain: &str, raw_ok: fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(plain.len());
    for &b in plain.as_bytes() {
        if raw_ok(b) {
            out.push(b as char);
        } else {
            push_escaped(&mut out, b);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Host

impl Host {
    /// Parse a host: a domain name, an IPv4 address or an IPv6 reference `[...]`.
    pub fn parse(s: &str) -> Result<Host> {
        if let Some(inner) = s.strip_prefix('[') {
            let inner = inner.strip_suffix(']').ok_or_else(|| {
                Error::syntax("host", format!("unterminated IPv6 reference {:?}", clip(s)))
            })?;
            return inner
                .parse::<Ipv6Addr>()
                .map(Host::Ipv6)
                .map_err(|_| Error::syntax("host", format!("bad IPv6 address {:?}", clip(s))));
        }
        if s.is_empty() {
            return Err(Error::syntax("host", "empty host"));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        {
            return Err(Error::syntax("host", format!("bad host {:?}", clip(s))));
        }
        if let Ok(v4) = s.parse::<Ipv4Addr>() {
            return Ok(Host::Ipv4(v4));
        }
        Ok(Host::Domain(s.to_owned()))
    }

    /// The address when the host is an IP literal.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Host::Domain(_) => None,
            Host::Ipv4(a) => Some(IpAddr::V4(*a)),
            Host::Ipv6(a) => Some(IpAddr::V6(*a)),
        }
    }

    /// RFC 3261 §19.1.4: hosts compare case-insensitively; IP literals by value.
    pub fn matches(&self, other: &Host) -> bool {
        match (self, other) {
            (Host::Domain(a), Host::Domain(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => a == b,
        }
    }
}

impl From<IpAddr> for Host {
    fn from(a: IpAddr) -> Host {
        match a {
            IpAddr::V4(a) => Host::Ipv4(a),
            IpAddr::V6(a) => Host::Ipv6(a),
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::Ipv4(a) => write!(f, "{a}"),
            Host::Ipv6(a) => write!(f, "[{a}]"),
        }
    }
}

impl FromStr for Host {
    type Err = Error;
    fn from_str(s: &str) -> Result<Host> {
        Host::parse(s)
    }
}

/// Split `host[:port]` where host may be an IPv6 reference.
pub(crate) fn parse_hostport(s: &str) -> Result<(Host, Option<u16>)> {
    let (host, port) = if s.starts_with('[') {
        let close = s.find(']').ok_or_else(|| {
            Error::syntax("host", format!("unterminated IPv6 reference {:?}", clip(s)))
        })?;
        let rest = &s[close + 1..];
        let port = if rest.is_empty() {
            None
        } else {
            Some(rest.strip_prefix(':').ok_or_else(|| {
                Error::syntax("host", format!("junk after IPv6 reference {:?}", clip(s)))
            })?)
        };
        (&s[..close + 1], port)
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let host = Host::parse(host)?;
    let port =
        match port {
            None => None,
            Some(p) => {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Error::syntax("port", format!("bad port {:?}", clip(p))));
                }
                Some(p.parse::<u16>().map_err(|_| {
                    Error::syntax("port", format!("port out of range {:?}", clip(p)))
                })?)
            }
        };
    Ok((host, port))
}

// ---------------------------------------------------------------------------------------
// SipUri

impl SipUri {
    /// `sip:host` with nothing else.
    pub fn new(host: Host) -> SipUri {
        SipUri {
            secure: false,
            user: None,
            password: None,
            host,
            port: None,
            params: Params::new(),
            headers: Vec::new(),
        }
    }

    /// Set the user part from plain text (escaped as needed).
    pub fn with_user(mut self, plain_user: &str) -> SipUri {
        self.user = Some(escape_user(plain_user));
        self
    }

    /// Set the port.
    pub fn with_port(mut self, port: u16) -> SipUri {
        self.port = Some(port);
        self
    }

    /// Add a URI parameter; the value is plain text (escaped as needed).
    pub fn with_param(mut self, name: &str, plain_value: Option<&str>) -> SipUri {
        self.params.push(Param {
            name: escape_param(name),
            value: plain_value.map(escape_param),
            quoted: false,
        });
        self
    }

    /// Add a URI header (`?name=value`); the value is plain text (escaped as needed).
    pub fn with_header(mut self, name: &str, plain_value: &str) -> SipUri {
        self.headers
            .push((escape_header(name), escape_header(plain_value)));
        self
    }

    /// Make it a `sips:` URI.
    pub fn secure(mut self) -> SipUri {
        self.secure = true;
        self
    }

    /// The user part with escapes decoded (lossy for octets that are not UTF-8).
    pub fn user_unescaped(&self) -> Option<String> {
        self.user.as_deref().map(unescape_text)
    }

    /// A URI parameter's value with escapes decoded.
    pub fn param_unescaped(&self, name: &str) -> Option<String> {
        self.params.get(name).map(unescape_text)
    }

    /// A URI header's value with escapes decoded (`?Replaces=` gives the Replaces value).
    pub fn header_unescaped(&self, name: &str) -> Option<String> {
        let wanted = escape_header(name);
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&wanted))
            .map(|(_, v)| unescape_text(v))
    }

    /// The `transport` parameter, lower-cased.
    pub fn transport(&self) -> Option<String> {
        self.params.get("transport").map(str::to_ascii_lowercase)
    }

    fn parse_after_scheme(secure: bool, s: &str) -> Result<SipUri> {
        if s.is_empty() {
            return Err(Error::syntax("URI", "empty SIP URI"));
        }
        if let Some(b) = s.bytes().find(|&b| forbidden(b)) {
            return Err(Error::syntax(
                "URI",
                format!("character {:?} in URI {:?}", b as char, clip(s)),
            ));
        }
        // userinfo: neither user nor password may hold a raw '@', so the first '@' ends it.
        let (userinfo, rest) = match s.find('@') {
            Some(at) => (Some(&s[..at]), &s[at + 1..]),
            None => (None, s),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(ui) => {
                let (u, p) = match ui.find(':') {
                    Some(c) => (&ui[..c], Some(&ui[c + 1..])),
                    None => (ui, None),
                };
                if u.is_empty() {
                    return Err(Error::syntax("URI", "empty user part before '@'"));
                }
                (
                    Some(canonical(u, user_raw, "user")?),
                    p.map(|p| canonical(p, password_raw, "password"))
                        .transpose()?,
                )
            }
        };
        let hp_end = rest.find([';', '?']).unwrap_or(rest.len());
        let (host, port) = parse_hostport(&rest[..hp_end])?;
        let mut rest = &rest[hp_end..];
        let mut params = Params::new();
        while let Some(r) = rest.strip_prefix(';') {
            let end = r.find([';', '?']).unwrap_or(r.len());
            let item = &r[..end];
            let (name, value) = match item.find('=') {
                Some(eq) => (&item[..eq], Some(&item[eq + 1..])),
                None => (item, None),
            };
            if name.is_empty() {
                return Err(Error::syntax("URI", "empty URI parameter name"));
            }
            let name = canonical(name, param_raw, "parameter name")?;
            let value = value
                .map(|v| canonical(v, param_raw, "parameter value"))
                .transpose()?;
            params.push(Param {
                name,
                value,
                quoted: false,
            });
            rest = &r[end..];
        }
        let mut headers = Vec::new();
        if let Some(r) = rest.strip_prefix('?') {
            for item in r.split('&') {
                let (name, value) = item.split_once('=').ok_or_else(|| {
                    Error::syntax("URI", format!("URI header without '=': {:?}", clip(item)))
                })?;
                if name.is_empty() {
                    return Err(Error::syntax("URI", "empty URI header name"));
                }
                headers.push((
                    canonical(name, header_raw, "header name")?,
                    canonical(value, header_raw, "header value")?,
                ));
            }
        }
        Ok(SipUri {
            secure,
            user,
            password,
            host,
            port,
            params,
            headers,
        })
    }

    /// URI equivalence per RFC 3261 §19.1.4.
    pub fn matches(&self, other: &SipUri) -> bool {
        if self.secure != other.secure
            || self.user != other.user
            || self.password != other.password
            || !self.host.matches(&other.host)
            || self.port != other.port
        {
            return false;
        }
        const MUST_BE_IN_BOTH: [&str; 5] = ["user", "ttl", "method", "maddr", "transport"];
        for p in &self.params {
            match other.params.param(&p.name) {
                Some(q) => {
                    let same = match (&p.value, &q.value) {
                        (None, None) => true,
                        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                        _ => false,
                    };
                    if !same {
                        return false;
                    }
                }
                None => {
                    if MUST_BE_IN_BOTH
                        .iter()
                        .any(|n| n.eq_ignore_ascii_case(&p.name))
                    {
                        return false;
                    }
                }
            }
        }
        for q in &other.params {
            if !self.params.has(&q.name)
                && MUST_BE_IN_BOTH
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(&q.name))
            {
                return false;
            }
        }
        let contains = |a: &[(String, String)], b: &[(String, String)]| {
            a.iter().all(|(n, v)| {
                b.iter()
                    .any(|(m, w)| n.eq_ignore_ascii_case(m) && v.eq_ignore_ascii_case(w))
            })
        };
        self.headers.len() == other.headers.len()
            && contains(&self.headers, &other.headers)
            && contains(&other.headers, &self.headers)
    }
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "sips:" } else { "sip:" })?;
        if let Some(u) = &self.user {
            f.write_str(u)?;
            if let Some(p) = &self.password {
                write!(f, ":{p}")?;
            }
            f.write_str("@")?;
        }
        write!(f, "{}", self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        for p in &self.params {
            write!(f, ";{}", p.name)?;
            if let Some(v) = &p.value {
                write!(f, "={v}")?;
            }
        }
        for (i, (n, v)) in self.headers.iter().enumerate() {
            f.write_str(if i == 0 { "?" } else { "&" })?;
            write!(f, "{n}={v}")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// TelUri

impl TelUri {
    /// A `tel:` URI for `number` (`+12015550123` or a local number).
    pub fn new(number: &str) -> TelUri {
        TelUri {
            number: number.to_owned(),
            params: Params::new(),
        }
    }

    /// The number without visual separators (`-`, `.`, `(`, `)`), RFC 3966 §5.1.1.
    pub fn digits(&self) -> String {
        self.number
            .chars()
            .filter(|c| !matches!(c, '-' | '.' | '(' | ')'))
            .collect()
    }

    /// True for a global number (`+...`).
    pub fn is_global(&self) -> bool {
        self.number.starts_with('+')
    }

    fn parse_after_scheme(s: &str) -> Result<TelUri> {
        let (number, rest) = match s.find(';') {
            Some(i) => (&s[..i], &s[i..]),
            None => (s, ""),
        };
        let ok = |b: u8| {
            b.is_ascii_hexdigit() || matches!(b, b'+' | b'*' | b'#' | b'-' | b'.' | b'(' | b')')
        };
        if number.is_empty() || !number.bytes().all(ok) || number[1..].contains('+') {
            return Err(Error::syntax(
                "URI",
                format!("bad tel number {:?}", clip(number)),
            ));
        }
        let mut params = Params::new();
        for item in rest.split(';').skip(1) {
            let (name, value) = match item.find('=') {
                Some(eq) => (&item[..eq], Some(&item[eq + 1..])),
                None => (item, None),
            };
            if name.is_empty() {
                return Err(Error::syntax("URI", "empty tel parameter name"));
            }
            params.push(Param {
                name: canonical(name, param_raw, "parameter name")?,
                value: value
                    .map(|v| canonical(v, param_raw, "parameter value"))
                    .transpose()?,
                quoted: false,
            });
        }
        Ok(TelUri {
            number: number.to_owned(),
            params,
        })
    }

    /// Equivalence per RFC 3966 §4: numbers without visual separators, case-insensitive;
    /// the same set of parameters.
    pub fn matches(&self, other: &TelUri) -> bool {
        if !self.digits().eq_ignore_ascii_case(&other.digits())
            || self.params.len() != other.params.len()
        {
            return false;
        }
        self.params.iter().all(|p| {
            other
                .params
                .param(&p.name)
                .is_some_and(|q| match (&p.value, &q.value) {
                    (None, None) => true,
                    (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                    _ => false,
                })
        })
    }
}

impl fmt::Display for TelUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tel:{}", self.number)?;
        for p in &self.params {
            write!(f, ";{}", p.name)?;
            if let Some(v) = &p.value {
                write!(f, "={v}")?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Uri

impl Uri {
    /// Parse a URI. The whole string must be the URI (no white space, no `<>`).
    pub fn parse(s: &str) -> Result<Uri> {
        let colon = s
            .find(':')
            .ok_or_else(|| Error::syntax("URI", format!("no scheme in {:?}", clip(s))))?;
        let scheme = &s[..colon];
        let rest = &s[colon + 1..];
        let sb = scheme.as_bytes();
        if sb.is_empty()
            || !sb[0].is_ascii_alphabetic()
            || !sb
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        {
            return Err(Error::syntax("URI", format!("bad scheme in {:?}", clip(s))));
        }
        if scheme.eq_ignore_ascii_case("sip") {
            SipUri::parse_after_scheme(false, rest).map(Uri::Sip)
        } else if scheme.eq_ignore_ascii_case("sips") {
            SipUri::parse_after_scheme(true, rest).map(Uri::Sip)
        } else if scheme.eq_ignore_ascii_case("tel") {
            TelUri::parse_after_scheme(rest).map(Uri::Tel)
        } else {
            if rest.is_empty() || rest.bytes().any(forbidden) {
                return Err(Error::syntax(
                    "URI",
                    format!("bad {scheme}: URI {:?}", clip(s)),
                ));
            }
            Ok(Uri::Other(OtherUri {
                scheme: scheme.to_ascii_lowercase(),
                rest: rest.to_owned(),
            }))
        }
    }

    /// A `sip:user@host` URI (the user given as plain text).
    pub fn sip(user: Option<&str>, host: Host) -> Uri {
        let mut u = SipUri::new(host);
        u.user = user.map(escape_user);
        Uri::Sip(u)
    }

    /// The scheme, lower-case: `sip`, `sips`, `tel` or another.
    pub fn scheme(&self) -> &str {
        match self {
            Uri::Sip(u) if u.secure => "sips",
            Uri::Sip(_) => "sip",
            Uri::Tel(_) => "tel",
            Uri::Other(o) => &o.scheme,
        }
    }

    /// The SIP/SIPS URI, if it is one.
    pub fn as_sip(&self) -> Option<&SipUri> {
        match self {
            Uri::Sip(u) => Some(u),
            _ => None,
        }
    }

    /// The SIP/SIPS URI, mutable.
    pub fn as_sip_mut(&mut self) -> Option<&mut SipUri> {
        match self {
            Uri::Sip(u) => Some(u),
            _ => None,
        }
    }

    /// The tel URI, if it is one.
    pub fn as_tel(&self) -> Option<&TelUri> {
        match self {
            Uri::Tel(u) => Some(u),
            _ => None,
        }
    }

    /// The user part of a SIP URI (escaped form) or the number of a tel URI.
    pub fn user(&self) -> Option<&str> {
        match self {
            Uri::Sip(u) => u.user.as_deref(),
            Uri::Tel(t) => Some(&t.number),
            Uri::Other(_) => None,
        }
    }

    /// The host of a SIP URI.
    pub fn host(&self) -> Option<&Host> {
        self.as_sip().map(|u| &u.host)
    }

    /// The URI parameters (empty for opaque URIs).
    pub fn params(&self) -> Option<&Params> {
        match self {
            Uri::Sip(u) => Some(&u.params),
            Uri::Tel(t) => Some(&t.params),
            Uri::Other(_) => None,
        }
    }

    /// URI equivalence: RFC 3261 §19.1.4 for SIP/SIPS, RFC 3966 §4 for tel,
    /// case-insensitive scheme and exact text for others.
    pub fn matches(&self, other: &Uri) -> bool {
        match (self, other) {
            (Uri::Sip(a), Uri::Sip(b)) => a.matches(b),
            (Uri::Tel(a), Uri::Tel(b)) => a.matches(b),
            (Uri::Other(a), Uri::Other(b)) => a.scheme == b.scheme && a.rest == b.rest,
            _ => false,
        }
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uri::Sip(u) => u.fmt(f),
            Uri::Tel(t) => t.fmt(f),
            Uri::Other(o) => write!(f, "{}:{}", o.scheme, o.rest),
        }
    }
}

impl FromStr for Uri {
    type Err = Error;
    fn from_str(s: &str) -> Result<Uri> {
        Uri::parse(s)
    }
}

impl From<SipUri> for Uri {
    fn from(u: SipUri) -> Uri {
        Uri::Sip(u)
    }
}

impl From<TelUri> for Uri {
    fn from(u: TelUri) -> Uri {
        Uri::Tel(u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip(s: &str) -> SipUri {
        match Uri::parse(s).unwrap() {
            Uri::Sip(u) => u,
            other => panic!("not sip: {other:?}"),
        }
    }

    // RFC 3261 §19.1.4: the equivalent sets.
    #[test]
    fn rfc3261_19_1_4_equivalent() {
        let pairs = [
            (
                "sip:%61lice@atlanta.com;transport=TCP",
                "sip:alice@AtLanTa.CoM;Transport=tcp",
            ),
            ("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"),
            ("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"),
            (
                "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
                "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com",
            ),
            (
                "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
                "sip:alice@atlanta.com?priority=urgent&subject=project%20x",
            ),
        ];
        for (a, b) in pairs {
            let (a, b) = (Uri::parse(a).unwrap(), Uri::parse(b).unwrap());
            assert!(a.matches(&b), "{a} ~ {b}");
            assert!(b.matches(&a), "{b} ~ {a}");
        }
    }

    // RFC 3261 §19.1.4: the non-equivalent sets.
    #[test]
    fn rfc3261_19_1_4_not_equivalent() {
        let pairs = [
            (
                "SIP:ALICE@AtLanTa.CoM;Transport=udp",
                "sip:alice@AtLanTa.CoM;Transport=UDP",
            ),
            ("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"),
            ("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"),
            (
                "sip:bob@biloxi.com",
                "sip:bob@biloxi.com:6000;transport=tcp",
            ),
            (
                "sip:carol@chicago.com",
                "sip:carol@chicago.com?Subject=next%20meeting",
            ),
            ("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"),
            ("sip:a@b", "sips:a@b"),
        ];
        for (a, b) in pairs {
            let (a, b) = (Uri::parse(a).unwrap(), Uri::parse(b).unwrap());
            assert!(!a.matches(&b), "{a} !~ {b}");
            assert!(!b.matches(&a), "{b} !~ {a}");
        }
    }

    // RFC 4475 §3.1.1.3: escapes decoded once; %2541 is "%41", not "A".
    #[test]
    fn escapes_decoded_once() {
        let u = sip("sip:sips%3Auser%40example.com@example.net");
        assert_eq!(u.user.as_deref(), Some("sips%3Auser%40example.com"));
        assert_eq!(u.user_unescaped().as_deref(), Some("sips:user@example.com"));
        let c = sip("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31");
        assert_eq!(c.user.as_deref(), Some("caller"));
        assert!(c.params.has("lr"));
        assert_eq!(c.params.get("name"), Some("value%2541"));
        assert_eq!(c.param_unescaped("name").as_deref(), Some("value%41"));
        assert_ne!(c.param_unescaped("name").as_deref(), Some("valueA"));
        assert_eq!(
            c.to_string(),
            "sip:caller@host5.example.net;lr;name=value%2541"
        );
    }

    // RFC 4475 §3.1.1.4: %00 does not truncate; two different users stay different.
    #[test]
    fn escaped_null() {
        let a = sip("sip:%00@host5.example.com");
        let b = sip("sip:%00%00@host5.example.com");
        let c = sip("sip:null-%00-null@example.com");
        assert_eq!(a.user_unescaped().unwrap().as_bytes(), b"\0");
        assert_eq!(b.user_unescaped().unwrap().as_bytes(), b"\0\0");
        assert_eq!(c.user_unescaped().unwrap(), "null-\0-null");
        assert!(!a.matches(&b));
    }

    // RFC 4475 §3.1.1.9: user part with ';' parameters.
    #[test]
    fn semicolon_in_user() {
        let u = sip("sip:user;par=u%40example.net@example.com");
        assert_eq!(
            u.user_unescaped().as_deref(),
            Some("user;par=u@example.net")
        );
        assert!(matches!(&u.host, Host::Domain(d) if d == "example.com"));
        assert!(u.params.is_empty());
    }

    // RFC 4475 §3.1.1.2: the unusual but legal user and password characters.
    #[test]
    fn wide_user_and_password() {
        let u = sip("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com");
        assert_eq!(
            u.user.as_deref(),
            Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        );
        assert_eq!(
            u.password.as_deref(),
            Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        );
    }

    // RFC 3261 §19.1.1, RFC 5118 §4.1: IPv6 references, ports, headers.
    #[test]
    fn ipv6_port_headers() {
        let u = sip("sip:alice@[2001:db8::10]:5070;transport=tcp?Replaces=a%40b%3Bto-tag%3D1%3Bfrom-tag%3D2");
        assert_eq!(u.host, Host::Ipv6("2001:db8::10".parse().unwrap()));
        assert_eq!(u.port, Some(5070));
        assert_eq!(u.transport().as_deref(), Some("tcp"));
        assert_eq!(
            u.header_unescaped("replaces").as_deref(),
            Some("a@b;to-tag=1;from-tag=2")
        );
        assert_eq!(Uri::parse(&u.to_string()).unwrap(), Uri::Sip(u));
        assert!(Uri::parse("sip:[2001:db8::1").is_err());
        assert!(Uri::parse("sip:host:99999").is_err());
        assert!(Uri::parse("sip:user@example.com; lr").is_err());
        assert!(Uri::parse("sip:user@").is_err());
    }

    // RFC 3966 and RFC 3261 §25.1 absoluteURI.
    #[test]
    fn tel_and_opaque() {
        let t = Uri::parse("tel:+1-201-555-0123;ext=22").unwrap();
        assert_eq!(t.scheme(), "tel");
        let tel = t.as_tel().unwrap();
        assert_eq!(tel.digits(), "+12015550123");
        assert!(tel.matches(&TelUri::parse_after_scheme("+1.201.555.0123;EXT=22").unwrap()));
        assert_eq!(t.to_string(), "tel:+1-201-555-0123;ext=22");
        let o = Uri::parse("nobodyKnowsThisScheme:totallyopaquecontent").unwrap();
        assert_eq!(o.scheme(), "nobodyknowsthisscheme");
        let o = Uri::parse("soap.beep://192.0.2.103:3002").unwrap();
        assert_eq!(o.to_string(), "soap.beep://192.0.2.103:3002");
        assert!(Uri::parse("<sip:user@example.com>").is_err());
        assert!(Uri::parse("1abc:x").is_err());
    }

    // Lenient: a raw '#' (sent by phones for feature codes) is stored escaped.
    #[test]
    fn raw_hash_is_escaped() {
        let u = sip("sip:*67#100@pbx");
        assert_eq!(u.user.as_deref(), Some("*67%23100"));
        assert!(u.matches(&sip("sip:*67%23100@pbx")));
        assert_eq!(
            Uri::sip(Some("a b"), Host::Domain("h".into())).to_string(),
            "sip:a%20b@h"
        );
    }
}

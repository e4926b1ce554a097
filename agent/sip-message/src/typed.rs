//! Typed header values, read on demand from the raw text in [`Headers`].
//!
//! Each type parses with [`TypedHeader::parse`] (or `FromStr`) and writes itself with
//! `Display`, so a builder is: make the value, then
//! [`Headers::push_typed`](crate::Headers::push_typed) or `headers.push(NAME, v.to_string())`.
//! Parsing never panics; a value that breaks its grammar is an [`Error::Syntax`].

use std::fmt;

use crate::error::{Error, Result};
use crate::headers::Headers;
use crate::method::Method;
use crate::name_addr::NameAddr;
use crate::params::Params;
use crate::text::{clip, is_token, parse_header_params, parse_u32, trim_lws, write_quoted};

/// A header value type with a fixed header name.
pub trait TypedHeader: Sized + fmt::Display {
    /// The canonical header name.
    const NAME: &'static str;
    /// Parse one value (one list element for list headers).
    fn parse(value: &str) -> Result<Self>;
}

/// Implement `FromStr` through `TypedHeader::parse`.
macro_rules! from_str_via_typed {
    ($($t:ty),*) => {$(
        impl std::str::FromStr for $t {
            type Err = Error;
            fn from_str(s: &str) -> Result<$t> {
                <$t as TypedHeader>::parse(s)
            }
        }
    )*};
}

from_str_via_typed!(
    CSeq,
    MediaType,
    SessionExpires,
    RAck,
    Event,
    SubscriptionState,
    Replaces,
    Reason,
    RetryAfter,
    AlertInfo,
    crate::name_addr::Contact
);

/// Split `value` into the text before the first top-level `;` and the `;params` rest.
fn split_params(value: &str) -> (&str, &str) {
    let v = trim_lws(value);
    let mut i = 0;
    let b = v.as_bytes();
    while i < b.len() {
        match b[i] {
            b'"' => match crate::text::quoted_end(&b[i..]) {
                Some(n) => i += n,
                None => return (v, ""),
            },
            b';' => return (trim_lws(&v[..i]), &v[i..]),
            _ => i += 1,
        }
    }
    (v, "")
}

/// Check a Call-ID: one or two non-empty words around an optional `@`, no white space or
/// control characters (RFC 3261 §25.1 `callid`; any other visible character is tolerated).
pub(crate) fn check_call_id(v: &str) -> Result<()> {
    let ok = !v.is_empty()
        && v.bytes().all(|b| b > b' ' && b != 0x7f)
        && v.split('@').count() <= 2
        && v.split('@').all(|w| !w.is_empty());
    if ok {
        Ok(())
    } else {
        Err(Error::syntax(
            "Call-ID",
            format!("bad Call-ID {:?}", clip(v)),
        ))
    }
}

// ---------------------------------------------------------------------------------------

/// CSeq: sequence number and method (RFC 3261 §20.16).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CSeq {
    /// Sequence number, less than 2^31 when we send it (§8.1.1.5), up to 2^32-1 accepted.
    pub seq: u32,
    /// The method.
    pub method: Method,
}

impl CSeq {
    /// A CSeq value.
    pub fn new(seq: u32, method: Method) -> CSeq {
        CSeq { seq, method }
    }
}

impl TypedHeader for CSeq {
    const NAME: &'static str = "CSeq";
    fn parse(value: &str) -> Result<CSeq> {
        let v = trim_lws(value);
        let n = v.bytes().take_while(u8::is_ascii_digit).count();
        let seq = parse_u32("CSeq", &v[..n])?;
        let rest = &v[n..];
        let method = trim_lws(rest);
        if method.len() == rest.len() {
            return Err(Error::syntax(
                "CSeq",
                format!("no white space before the method in {:?}", clip(v)),
            ));
        }
        Ok(CSeq {
            seq,
            method: Method::parse(method)?,
        })
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

// ---------------------------------------------------------------------------------------

/// A media type with parameters (Content-Type, RFC 3261 §20.15; Accept elements §20.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaType {
    /// Type, e.g. `application` (compare case-insensitively).
    pub mtype: String,
    /// Subtype, e.g. `sdp`.
    pub subtype: String,
    /// Parameters (`charset`, `boundary`, ...).
    pub params: Params,
}

impl MediaType {
    /// `type/subtype` without parameters.
    pub fn new(mtype: &str, subtype: &str) -> MediaType {
        MediaType {
            mtype: mtype.to_owned(),
            subtype: subtype.to_owned(),
            params: Params::new(),
        }
    }

    /// `application/sdp`.
    pub fn sdp() -> MediaType {
        MediaType::new("application", "sdp")
    }

    /// `type/subtype`, lower-cased.
    pub fn essence(&self) -> String {
        format!("{}/{}", self.mtype, self.subtype).to_ascii_lowercase()
    }

    /// True when `self` (possibly with `*` wildcards, as in Accept) covers `other`.
    pub fn covers(&self, other: &MediaType) -> bool {
        (self.mtype == "*" || self.mtype.eq_ignore_ascii_case(&other.mtype))
            && (self.subtype == "*" || self.subtype.eq_ignore_ascii_case(&other.subtype))
    }
}

impl TypedHeader for MediaType {
    const NAME: &'static str = "Content-Type";
    fn parse(value: &str) -> Result<MediaType> {
        let (essence, params) = split_params(value);
        let (t, s) = essence
            .split_once('/')
            .ok_or_else(|| Error::syntax("media type", format!("no '/' in {:?}", clip(value))))?;
        let (t, s) = (trim_lws(t), trim_lws(s));
        if !is_token(t) || !is_token(s) {
            return Err(Error::syntax(
                "media type",
                format!("bad media type {:?}", clip(value)),
            ));
        }
        Ok(MediaType {
            mtype: t.to_owned(),
            subtype: s.to_owned(),
            params: parse_header_params(params)?,
        })
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}{}", self.mtype, self.subtype, self.params)
    }
}

// ---------------------------------------------------------------------------------------

/// Who refreshes a session timer (RFC 4028 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refresher {
    /// The UAC refreshes.
    Uac,
    /// The UAS refreshes.
    Uas,
}

/// Session-Expires (RFC 4028 §4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionExpires {
    /// Interval in seconds.
    pub delta: u32,
    /// The `refresher` parameter.
    pub refresher: Option<Refresher>,
    /// Other parameters.
    pub params: Params,
}

impl TypedHeader for SessionExpires {
    const NAME: &'static str = "Session-Expires";
    fn parse(value: &str) -> Result<SessionExpires> {
        let (delta, params) = split_params(value);
        let delta = parse_u32("Session-Expires", delta)?;
        let mut params = parse_header_params(params)?;
        let refresher = match params.get("refresher") {
            None => None,
            Some(r) if r.eq_ignore_ascii_case("uac") => Some(Refresher::Uac),
            Some(r) if r.eq_ignore_ascii_case("uas") => Some(Refresher::Uas),
            Some(r) => return Err(Error::syntax("Session-Expires", format!("refresher={r:?}"))),
        };
        params.remove("refresher");
        Ok(SessionExpires {
            delta,
            refresher,
            params,
        })
    }
}

impl fmt::Display for SessionExpires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.delta)?;
        match self.refresher {
            Some(Refresher::Uac) => f.write_str(";refresher=uac")?,
            Some(Refresher::Uas) => f.write_str(";refresher=uas")?,
            None => {}
        }
        write!(f, "{}", self.params)
    }
}

// ---------------------------------------------------------------------------------------

/// RAck (RFC 3262 §7.2): the RSeq and CSeq of the reliable provisional response.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RAck {
    /// The response's RSeq.
    pub rseq: u32,
    /// The CSeq number of the request the response answers.
    pub cseq: u32,
    /// The CSeq method.
    pub method: Method,
}

impl TypedHeader for RAck {
    const NAME: &'static str = "RAck";
    fn parse(value: &str) -> Result<RAck> {
        let mut it = trim_lws(value).split([' ', '\t']).filter(|s| !s.is_empty());
        let (Some(a), Some(b), Some(m), None) = (it.next(), it.next(), it.next(), it.next()) else {
            return Err(Error::syntax(
                "RAck",
                format!("expected 'rseq cseq method' in {:?}", clip(value)),
            ));
        };
        Ok(RAck {
            rseq: parse_u32("RAck", a)?,
            cseq: parse_u32("RAck", b)?,
            method: Method::parse(m)?,
        })
    }
}

impl fmt::Display for RAck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.rseq, self.cseq, self.method)
    }
}

// ---------------------------------------------------------------------------------------

/// Event (RFC 6665 §8.2.1): package name, `id` and other parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Event {
    /// Event package (with template suffixes), e.g. `message-summary`, `refer`.
    pub package: String,
    /// Parameters; `id` among them.
    pub params: Params,
}

impl Event {
    /// An event with no parameters.
    pub fn new(package: &str) -> Event {
        Event {
            package: package.to_owned(),
            params: Params::new(),
        }
    }

    /// The `id` parameter.
    pub fn id(&self) -> Option<&str> {
        self.params.get("id")
    }
}

impl TypedHeader for Event {
    const NAME: &'static str = "Event";
    fn parse(value: &str) -> Result<Event> {
        let (package, params) = split_params(value);
        if !is_token(package) {
            return Err(Error::syntax(
                "Event",
                format!("bad event package {:?}", clip(package)),
            ));
        }
        Ok(Event {
            package: package.to_owned(),
            params: parse_header_params(params)?,
        })
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.package, self.params)
    }
}

// ---------------------------------------------------------------------------------------

/// The state in a Subscription-State header (RFC 6665 §8.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SubState {
    /// `active`.
    Active,
    /// `pending`.
    Pending,
    /// `terminated`.
    Terminated,
    /// An extension state.
    Other(String),
}

/// Subscription-State (RFC 6665 §8.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubscriptionState {
    /// The state.
    pub state: SubState,
    /// Parameters (`expires`, `reason`, `retry-after`, ...).
    pub params: Params,
}

impl SubscriptionState {
    /// A state with no parameters.
    pub fn new(state: SubState) -> SubscriptionState {
        SubscriptionState {
            state,
            params: Params::new(),
        }
    }

    /// The `expires` parameter.
    pub fn expires(&self) -> Result<Option<u32>> {
        self.params
            .get("expires")
            .map(|v| parse_u32("Subscription-State expires", v))
            .transpose()
    }

    /// The `reason` parameter.
    pub fn reason(&self) -> Option<&str> {
        self.params.get("reason")
    }

    /// The `retry-after` parameter.
    pub fn retry_after(&self) -> Result<Option<u32>> {
        self.params
            .get("retry-after")
            .map(|v| parse_u32("Subscription-State retry-after", v))
            .transpose()
    }
}

impl TypedHeader for SubscriptionState {
    const NAME: &'static str = "Subscription-State";
    fn parse(value: &str) -> Result<SubscriptionState> {
        let (state, params) = split_params(value);
        if !is_token(state) {
            return Err(Error::syntax(
                "Subscription-State",
                format!("bad state {:?}", clip(state)),
            ));
        }
        let state = match state.to_ascii_lowercase().as_str() {
            "active" => SubState::Active,
            "pending" => SubState::Pending,
            "terminated" => SubState::Terminated,
            _ => SubState::Other(state.to_owned()),
        };
        Ok(SubscriptionState {
            state,
            params: parse_header_params(params)?,
        })
    }
}

impl fmt::Display for SubscriptionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match &self.state {
            SubState::Active => "active",
            SubState::Pending => "pending",
            SubState::Terminated => "terminated",
            SubState::Other(s) => s,
        };
        write!(f, "{s}{}", self.params)
    }
}

// ---------------------------------------------------------------------------------------

/// Replaces (RFC 3891 §6.1): the dialog to replace. Also read from a Refer-To URI's
/// `?Replaces=` header (see [`SipUri::header_unescaped`](crate::SipUri::header_unescaped)).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Replaces {
    /// Call-ID of the dialog.
    pub call_id: String,
    /// `to-tag`.
    pub to_tag: String,
    /// `from-tag`.
    pub from_tag: String,
    /// `early-only` flag.
    pub early_only: bool,
    /// Other parameters.
    pub params: Params,
}

impl TypedHeader for Replaces {
    const NAME: &'static str = "Replaces";
    fn parse(value: &str) -> Result<Replaces> {
        let (call_id, params) = split_params(value);
        check_call_id(call_id)?;
        let mut params = parse_header_params(params)?;
        let to_tag = params
            .get("to-tag")
            .ok_or_else(|| Error::syntax("Replaces", "missing to-tag"))?
            .to_owned();
        let from_tag = params
            .get("from-tag")
            .ok_or_else(|| Error::syntax("Replaces", "missing from-tag"))?
            .to_owned();
        let early_only = params.has("early-only");
        params.remove("to-tag");
        params.remove("from-tag");
        params.remove("early-only");
        Ok(Replaces {
            call_id: call_id.to_owned(),
            to_tag,
            from_tag,
            early_only,
            params,
        })
    }
}

impl fmt::Display for Replaces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{};to-tag={};from-tag={}",
            self.call_id, self.to_tag, self.from_tag
        )?;
        if self.early_only {
            f.write_str(";early-only")?;
        }
        write!(f, "{}", self.params)
    }
}

// ---------------------------------------------------------------------------------------

/// Reason (RFC 3326 §2): protocol, cause and text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reason {
    /// `SIP`, `Q.850`, ...
    pub protocol: String,
    /// The `cause` parameter.
    pub cause: Option<u16>,
    /// The `text` parameter (unquoted).
    pub text: Option<String>,
    /// Other parameters.
    pub params: Params,
}

impl TypedHeader for Reason {
    const NAME: &'static str = "Reason";
    fn parse(value: &str) -> Result<Reason> {
        let (protocol, params) = split_params(value);
        if !is_token(protocol) {
            return Err(Error::syntax(
                "Reason",
                format!("bad protocol {:?}", clip(protocol)),
            ));
        }
        let mut params = parse_header_params(params)?;
        let cause = params
            .get("cause")
            .map(|c| {
                parse_u32("Reason cause", c).and_then(|n| {
                    u16::try_from(n).map_err(|_| Error::syntax("Reason", "cause too large"))
                })
            })
            .transpose()?;
        let text = params.get("text").map(str::to_owned);
        params.remove("cause");
        params.remove("text");
        Ok(Reason {
            protocol: protocol.to_owned(),
            cause,
            text,
            params,
        })
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.protocol)?;
        if let Some(c) = self.cause {
            write!(f, ";cause={c}")?;
        }
        if let Some(t) = &self.text {
            f.write_str(";text=")?;
            write_quoted(f, t)?;
        }
        write!(f, "{}", self.params)
    }
}

// ---------------------------------------------------------------------------------------

/// Retry-After (RFC 3261 §20.33).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RetryAfter {
    /// Seconds.
    pub delta: u32,
    /// The comment, without parentheses.
    pub comment: Option<String>,
    /// Parameters (`duration`, ...).
    pub params: Params,
}

impl TypedHeader for RetryAfter {
    const NAME: &'static str = "Retry-After";
    fn parse(value: &str) -> Result<RetryAfter> {
        let v = trim_lws(value);
        let n = v.bytes().take_while(u8::is_ascii_digit).count();
        let delta = parse_u32("Retry-After", &v[..n])?;
        let mut rest = trim_lws(&v[n..]);
        let mut comment = None;
        if rest.starts_with('(') {
            let close = rest
                .rfind(')')
                .ok_or_else(|| Error::syntax("Retry-After", "unterminated comment"))?;
            comment = Some(rest[1..close].to_owned());
            rest = &rest[close + 1..];
        }
        let params = parse_header_params(rest)?;
        if let Some(d) = params.get("duration") {
            parse_u32("Retry-After duration", d)?;
        }
        Ok(RetryAfter {
            delta,
            comment,
            params,
        })
    }
}

impl fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.delta)?;
        if let Some(c) = &self.comment {
            write!(f, " ({c})")?;
        }
        write!(f, "{}", self.params)
    }
}

// ---------------------------------------------------------------------------------------

/// Alert-Info (RFC 3261 §20.4; RFC 7462 `info=` values): an optional `<URI>` and
/// parameters. The common non-standard forms without a URI (`info=alert-autoanswer`,
/// `Bellcore-dr2`) are read as parameters only.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AlertInfo {
    /// The URI in `<>`.
    pub uri: Option<crate::uri::Uri>,
    /// Parameters (`info=...`), or the bare tokens of a non-standard value.
    pub params: Params,
}

impl AlertInfo {
    /// The `info` parameter, or the first bare token of a non-standard value.
    pub fn info(&self) -> Option<&str> {
        self.params.get("info").or_else(|| {
            if self.uri.is_none() {
                self.params
                    .iter()
                    .next()
                    .filter(|p| p.value.is_none())
                    .map(|p| p.name.as_str())
            } else {
                None
            }
        })
    }
}

impl TypedHeader for AlertInfo {
    const NAME: &'static str = "Alert-Info";
    fn parse(value: &str) -> Result<AlertInfo> {
        let v = trim_lws(value);
        if let Some(r) = v.strip_prefix('<') {
            let close = r
                .find('>')
                .ok_or_else(|| Error::syntax("Alert-Info", "missing '>'"))?;
            Ok(AlertInfo {
                uri: Some(crate::uri::Uri::parse(&r[..close])?),
                params: parse_header_params(&r[close + 1..])?,
            })
        } else {
            Ok(AlertInfo {
                uri: None,
                params: parse_header_params(&format!(";{v}"))?,
            })
        }
    }
}

impl fmt::Display for AlertInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.uri {
            Some(u) => write!(f, "<{u}>{}", self.params),
            None => {
                for (i, p) in self.params.iter().enumerate() {
                    if i > 0 {
                        f.write_str(";")?;
                    }
                    write!(f, "{p}")?;
                }
                Ok(())
            }
        }
    }
}

// ---------------------------------------------------------------------------------------

impl Headers {
    /// Require tokens (RFC 3261 §20.32).
    pub fn require(&self) -> Result<Vec<&str>> {
        self.tokens("Require")
    }

    /// Proxy-Require tokens (RFC 3261 §20.29).
    pub fn proxy_require(&self) -> Result<Vec<&str>> {
        self.tokens("Proxy-Require")
    }

    /// Supported tokens (RFC 3261 §20.37).
    pub fn supported(&self) -> Result<Vec<&str>> {
        self.tokens("Supported")
    }

    /// Unsupported tokens (RFC 3261 §20.40).
    pub fn unsupported(&self) -> Result<Vec<&str>> {
        self.tokens("Unsupported")
    }

    /// Session-Expires (RFC 4028).
    pub fn session_expires(&self) -> Result<Option<SessionExpires>> {
        self.typed_opt()
    }

    /// Min-SE (RFC 4028 §5), seconds.
    pub fn min_se(&self) -> Result<Option<u32>> {
        self.optional("Min-SE")?
            .map(|v| {
                let (d, p) = split_params(v);
                parse_header_params(p)?;
                parse_u32("Min-SE", d)
            })
            .transpose()
    }

    /// RSeq (RFC 3262 §7.1).
    pub fn rseq(&self) -> Result<Option<u32>> {
        self.optional("RSeq")?
            .map(|v| parse_u32("RSeq", trim_lws(v)))
            .transpose()
    }

    /// RAck (RFC 3262 §7.2).
    pub fn rack(&self) -> Result<Option<RAck>> {
        self.typed_opt()
    }

    /// Event (RFC 6665).
    pub fn event(&self) -> Result<Option<Event>> {
        self.typed_opt()
    }

    /// Subscription-State (RFC 6665).
    pub fn subscription_state(&self) -> Result<Option<SubscriptionState>> {
        self.typed_opt()
    }

    /// Refer-To (RFC 3515 §2.1); its URI may carry `?Replaces=`.
    pub fn refer_to(&self) -> Result<Option<NameAddr>> {
        self.optional("Refer-To")?.map(NameAddr::parse).transpose()
    }

    /// Referred-By (RFC 3892).
    pub fn referred_by(&self) -> Result<Option<NameAddr>> {
        self.optional("Referred-By")?
            .map(NameAddr::parse)
            .transpose()
    }

    /// Replaces (RFC 3891).
    pub fn replaces(&self) -> Result<Option<Replaces>> {
        self.typed_opt()
    }

    /// Every Reason (RFC 3326).
    pub fn reasons(&self) -> Result<Vec<Reason>> {
        self.typed_all()
    }

    /// Retry-After (RFC 3261 §20.33).
    pub fn retry_after(&self) -> Result<Option<RetryAfter>> {
        self.typed_opt()
    }

    /// Every Alert-Info (RFC 3261 §20.4).
    pub fn alert_info(&self) -> Result<Vec<AlertInfo>> {
        self.typed_all()
    }

    /// P-Asserted-Identity values (RFC 3325 §9.1).
    pub fn p_asserted_identity(&self) -> Result<Vec<NameAddr>> {
        self.values("P-Asserted-Identity")
            .into_iter()
            .map(NameAddr::parse)
            .collect()
    }

    /// Remote-Party-ID values (draft-ietf-sip-privacy-04; `party`, `privacy`, `screen`
    /// parameters).
    pub fn remote_party_id(&self) -> Result<Vec<NameAddr>> {
        self.values("Remote-Party-ID")
            .into_iter()
            .map(NameAddr::parse)
            .collect()
    }

    /// Accept media ranges (RFC 3261 §20.1); empty when absent.
    pub fn accept(&self) -> Result<Vec<MediaType>> {
        self.values("Accept")
            .into_iter()
            .filter(|v| !v.is_empty())
            .map(<MediaType as TypedHeader>::parse)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 3261 §20.16; RFC 4475 §3.1.1.1 (leading zeros, folded), §3.1.2.4 (overflow).
    #[test]
    fn cseq() {
        let c = CSeq::parse("0009\r\n  INVITE").unwrap();
        assert_eq!((c.seq, c.method.clone()), (9, Method::Invite));
        assert_eq!(c.to_string(), "9 INVITE");
        assert!(CSeq::parse("36893488147419103232 REGISTER").is_err());
        assert!(CSeq::parse("1INVITE").is_err());
        assert!(CSeq::parse("INVITE").is_err());
        assert!(CSeq::parse("-1 INVITE").is_err());
        assert_eq!(CSeq::parse("4294967295 ACK").unwrap().seq, u32::MAX);
    }

    // RFC 3261 §20.15 / RFC 2045 §5.1.
    #[test]
    fn media_type() {
        let m = MediaType::parse("multipart/mixed;boundary=7a9cbec02ceef655").unwrap();
        assert_eq!(m.essence(), "multipart/mixed");
        assert_eq!(m.params.get("boundary"), Some("7a9cbec02ceef655"));
        let m = MediaType::parse("Application/SDP ; charset = \"utf-8\"").unwrap();
        assert!(MediaType::sdp().covers(&m));
        assert!(MediaType::parse("*/*").unwrap().covers(&m));
        assert!(MediaType::parse("application").is_err());
    }

    // RFC 4028 §4, §5.
    #[test]
    fn session_timer() {
        let s = SessionExpires::parse("1800;refresher=uac").unwrap();
        assert_eq!((s.delta, s.refresher), (1800, Some(Refresher::Uac)));
        assert_eq!(s.to_string(), "1800;refresher=uac");
        assert!(SessionExpires::parse("1800;refresher=me").is_err());
        let mut h = Headers::new();
        h.push("Min-SE", "90");
        assert_eq!(h.min_se().unwrap(), Some(90));
    }

    // RFC 3262 §7.2; RFC 6665 §8.2; RFC 3891 §6.1; RFC 3326 §2; RFC 3261 §20.33.
    #[test]
    fn assorted() {
        let r = RAck::parse("776656 1 INVITE").unwrap();
        assert_eq!((r.rseq, r.cseq), (776656, 1));
        let e = Event::parse("refer;id=93809824").unwrap();
        assert_eq!((e.package.as_str(), e.id()), ("refer", Some("93809824")));
        let s = SubscriptionState::parse("terminated;reason=noresource").unwrap();
        assert_eq!(s.state, SubState::Terminated);
        assert_eq!(s.reason(), Some("noresource"));
        let s = SubscriptionState::parse("active;expires=3600").unwrap();
        assert_eq!(s.expires().unwrap(), Some(3600));
        let rp =
            Replaces::parse("98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff;early-only")
                .unwrap();
        assert_eq!(rp.call_id, "98732@sip.example.com");
        assert_eq!(
            (rp.to_tag.as_str(), rp.from_tag.as_str(), rp.early_only),
            ("ff87ff", "r33th4x0r", true)
        );
        assert_eq!(Replaces::parse(&rp.to_string()).unwrap(), rp);
        assert!(Replaces::parse("abc;to-tag=1").is_err());
        let re = Reason::parse("Q.850;cause=16;text=\"Terminated\"").unwrap();
        assert_eq!(
            (re.cause, re.text.as_deref()),
            (Some(16), Some("Terminated"))
        );
        assert_eq!(re.to_string(), "Q.850;cause=16;text=\"Terminated\"");
        let ra = RetryAfter::parse("18000;duration=3600").unwrap();
        assert_eq!(ra.delta, 18000);
        let ra = RetryAfter::parse("120 (I'm in a meeting)").unwrap();
        assert_eq!(ra.comment.as_deref(), Some("I'm in a meeting"));
        assert!(RetryAfter::parse("949302838503028349304023988").is_err());
        let a = AlertInfo::parse("<http://www.example.com/sounds/moo.wav>;info=alert-internal")
            .unwrap();
        assert_eq!(a.info(), Some("alert-internal"));
        assert_eq!(
            AlertInfo::parse("info=alert-autoanswer").unwrap().info(),
            Some("alert-autoanswer")
        );
        assert_eq!(
            AlertInfo::parse("Bellcore-dr2").unwrap().info(),
            Some("Bellcore-dr2")
        );
        assert_eq!(
            AlertInfo::parse("Bellcore-dr2").unwrap().to_string(),
            "Bellcore-dr2"
        );
        assert!(check_call_id("a@b@c").is_err());
        assert!(check_call_id("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{").is_ok());
        assert!(check_call_id("has space").is_err());
    }
}

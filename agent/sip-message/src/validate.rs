//! What a UA must answer before it processes a request, and which responses it drops
//! (RFC 3261 §8.2, §8.1.3.3; RFC 4475).
//!
//! * [`check_request`] runs the checks of RFC 3261 §8.2.1–§8.2.3 in order (version,
//!   the headers a response is built from, method, CSeq, Request-URI scheme, Require,
//!   body type, Accept) and returns the [`Rejection`] to send, if any.
//! * [`check_response`] says when a response must be dropped silently.
//! * [`ParseError::rejection`] maps a message too broken to parse to a `400` when enough
//!   was salvaged to answer it, and [`build_response`] copies Via, From, To, Call-ID and
//!   CSeq into a response (RFC 3261 §8.2.6).
//!
//! An ACK is never answered (RFC 3261 §17.2.1): [`check_request`] still reports the fault
//! so the caller can log it, and the caller drops the ACK.

use crate::error::{ParseError, ParseErrorKind};
use crate::headers::Headers;
use crate::message::{content_length_of, reason_phrase, Request, Response, Version};
use crate::method::Method;
use crate::name_addr::{Contact, NameAddr};
use crate::typed::{MediaType, TypedHeader};
use crate::via::Via;

/// What a UA accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UaPolicy {
    /// Methods the UA handles; others get `405` (known methods) or `501` (extensions),
    /// with `Allow` listing these.
    pub methods_allowed: Vec<Method>,
    /// Request-URI schemes served (lower-case, e.g. `sip`, `sips`, `tel`); others get `416`.
    pub schemes: Vec<String>,
    /// Option tags the UA supports; a `Require` naming another gets `420` + `Unsupported`.
    pub supported: Vec<String>,
    /// Body types the UA reads; another gets `415` + `Accept`.
    pub accepted_content_types: Vec<MediaType>,
    /// The warn-agent written in a `Warning: 399` header (RFC 3261 §20.43).
    pub warn_agent: String,
}

impl Default for UaPolicy {
    /// An analog telephone adapter's UA: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE,
    /// PRACK, NOTIFY and REFER; `sip`, `sips` and `tel`; `100rel`, `replaces`, `timer`;
    /// SDP, DTMF relay, sipfrag and message-summary bodies.
    fn default() -> UaPolicy {
        UaPolicy {
            methods_allowed: vec![
                Method::Invite,
                Method::Ack,
                Method::Bye,
                Method::Cancel,
                Method::Options,
                Method::Info,
                Method::Update,
                Method::Prack,
                Method::Notify,
                Method::Refer,
            ],
            schemes: vec!["sip".into(), "sips".into(), "tel".into()],
            supported: vec!["100rel".into(), "replaces".into(), "timer".into()],
            accepted_content_types: vec![
                MediaType::sdp(),
                MediaType::new("application", "dtmf-relay"),
                MediaType::new("application", "dtmf"),
                MediaType::new("message", "sipfrag"),
                MediaType::new("application", "simple-message-summary"),
            ],
            warn_agent: "tipring".into(),
        }
    }
}

/// The response a request must get instead of being processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Status code.
    pub status: u16,
    /// Reason phrase naming the fault.
    pub reason: String,
    /// Extra headers for the response (`Allow`, `Unsupported`, `Accept`, `Warning`).
    pub headers: Vec<(String, String)>,
}

impl Rejection {
    fn new(status: u16, reason: impl Into<String>) -> Rejection {
        Rejection {
            status,
            reason: reason.into(),
            headers: Vec::new(),
        }
    }

    fn bad(reason: impl Into<String>) -> Rejection {
        Rejection::new(400, reason)
    }

    fn with(mut self, name: &str, value: String) -> Rejection {
        self.headers.push((name.to_owned(), value));
        self
    }

    /// The response to send: [`build_response`] from the request's headers plus this
    /// rejection's own headers.
    pub fn to_response(&self, request_headers: &Headers, to_tag: Option<&str>) -> Response {
        let mut r = build_response(request_headers, self.status, &self.reason, to_tag);
        for (n, v) in &self.headers {
            r.headers.push(n.as_str(), v.clone());
        }
        r
    }
}

/// Why a response is dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discard {
    /// What is wrong with it, for the log.
    pub reason: String,
}

fn discard(reason: impl Into<String>) -> Discard {
    Discard {
        reason: reason.into(),
    }
}

/// Build a response to a request (RFC 3261 §8.2.6): same Via fields in order, From,
/// Call-ID and CSeq; To with `to_tag` added when it has no tag yet; Timestamp echoed
/// in a 100 (§8.2.6.1). Missing fields are simply not copied.
pub fn build_response(
    request_headers: &Headers,
    status: u16,
    reason: &str,
    to_tag: Option<&str>,
) -> Response {
    let reason = if reason.is_empty() {
        reason_phrase(status)
    } else {
        reason
    };
    let mut r = Response::new(status, reason);
    for v in request_headers.get_all("Via") {
        r.headers.push("Via", v);
    }
    if let Some(v) = request_headers.get("From") {
        r.headers.push("From", v);
    }
    if let Some(v) = request_headers.get("To") {
        let mut to = v.to_owned();
        if let Some(tag) = to_tag {
            let has_tag = match NameAddr::parse(v) {
                Ok(na) => na.tag().is_some(),
                Err(_) => false,
            };
            if !has_tag {
                to.push_str(";tag=");
                to.push_str(tag);
            }
        }
        r.headers.push("To", to);
    }
    for name in ["Call-ID", "CSeq"] {
        if let Some(v) = request_headers.get(name) {
            r.headers.push(name, v);
        }
    }
    if status == 100 {
        if let Some(v) = request_headers.get("Timestamp") {
            r.headers.push("Timestamp", v);
        }
    }
    r
}

impl Request {
    /// [`build_response`] for this request.
    pub fn make_response(&self, status: u16, reason: &str, to_tag: Option<&str>) -> Response {
        build_response(&self.headers, status, reason, to_tag)
    }
}

/// Check the headers every response is built from and the core scalars; the first
/// fault found becomes a `400` naming it.
fn check_core_headers(req: &Request) -> Result<(), Rejection> {
    let h = &req.headers;
    let vias = h.values("Via");
    if vias.is_empty() {
        return Err(Rejection::bad("Missing Via"));
    }
    for v in vias {
        Via::parse(v).map_err(|_| Rejection::bad("Malformed Via"))?;
    }
    for (name, label) in [("From", "From"), ("To", "To")] {
        match h.count(name) {
            0 => return Err(Rejection::bad(format!("Missing {label}"))),
            1 => {}
            _ => return Err(Rejection::bad(format!("Multiple {label} values"))),
        }
        NameAddr::parse(h.get(name).unwrap_or_default())
            .map_err(|_| Rejection::bad(format!("Malformed {label}")))?;
    }
    match h.count("Call-ID") {
        0 => return Err(Rejection::bad("Missing Call-ID")),
        1 => {}
        _ => return Err(Rejection::bad("Multiple Call-ID values")),
    }
    h.call_id()
        .map_err(|_| Rejection::bad("Malformed Call-ID"))?;
    match h.count("CSeq") {
        0 => return Err(Rejection::bad("Missing CSeq")),
        1 => {}
        _ => return Err(Rejection::bad("Multiple CSeq values")),
    }
    h.cseq().map_err(|_| Rejection::bad("Malformed CSeq"))?;
    if h.count("Max-Forwards") > 1 {
        return Err(Rejection::bad("Multiple Max-Forwards values"));
    }
    h.max_forwards()
        .map_err(|_| Rejection::bad("Malformed Max-Forwards"))?;
    content_length_of(h).map_err(|e| Rejection::bad(capitalise(&e.kind.to_string())))?;
    if let Some(cl) = h.get("Content-Length") {
        if cl.trim().parse::<usize>().ok() != Some(req.body.len()) {
            return Err(Rejection::bad("Content-Length does not match the body"));
        }
    }
    h.expires()
        .map_err(|_| Rejection::bad("Malformed Expires"))?;
    let contacts = h
        .values("Contact")
        .into_iter()
        .map(<Contact as TypedHeader>::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| Rejection::bad("Malformed Contact"))?;
    if contacts.iter().any(|c| c.expires().is_err()) {
        return Err(Rejection::bad("Malformed Contact expires"));
    }
    h.routes().map_err(|_| Rejection::bad("Malformed Route"))?;
    h.record_routes()
        .map_err(|_| Rejection::bad("Malformed Record-Route"))?;
    h.content_type()
        .map_err(|_| Rejection::bad("Malformed Content-Type"))?;
    h.require()
        .map_err(|_| Rejection::bad("Malformed Require"))?;
    if let Some(u) = req.uri.as_sip() {
        if !u.headers.is_empty() {
            return Err(Rejection::bad("Request-URI has header parameters"));
        }
    }
    Ok(())
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn allow_value(policy: &UaPolicy) -> String {
    policy
        .methods_allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Decide what a UA must answer before it processes `req` (RFC 3261 §8.2.1–§8.2.3,
/// RFC 4475). `Ok(())` means: go on and process it.
///
/// Order: `505` for a version other than SIP/2.0; `400` for missing, repeated or
/// malformed Via/From/To/Call-ID/CSeq/Max-Forwards/Content-Length/Expires/Contact/
/// Route/Record-Route/Content-Type/Require and for a Request-URI with headers; `405`/`501`
/// with `Allow` for a method not in the policy; `400` when the CSeq method differs from
/// the request's; `416` for a Request-URI scheme not served; `400` for a REGISTER whose To
/// is not a SIP/SIPS address (when REGISTER is allowed, i.e. acting as a registrar);
/// `420` with `Unsupported` for Require tags not supported (not for ACK/CANCEL);
/// `400`/`415` with `Accept` for a body without type or of a type not read; `406` with
/// `Warning: 399` for an INVITE whose Accept excludes `application/sdp`.
pub fn check_request(req: &Request, policy: &UaPolicy) -> Result<(), Rejection> {
    if req.version != Version::SIP_2_0 {
        return Err(Rejection::new(505, "Version Not Supported"));
    }
    check_core_headers(req)?;
    if !policy.methods_allowed.contains(&req.method) {
        let status = if req.method.is_known() { 405 } else { 501 };
        return Err(
            Rejection::new(status, reason_phrase(status)).with("Allow", allow_value(policy))
        );
    }
    let cseq = req
        .headers
        .cseq()
        .map_err(|_| Rejection::bad("Malformed CSeq"))?;
    if cseq.method != req.method {
        return Err(Rejection::bad(
            "CSeq method does not match the request method",
        ));
    }
    let scheme = req.uri.scheme();
    if !policy
        .schemes
        .iter()
        .any(|s| s.eq_ignore_ascii_case(scheme))
    {
        return Err(Rejection::new(416, "Unsupported URI Scheme"));
    }
    if req.method == Method::Register {
        let to = req
            .headers
            .to()
            .map_err(|_| Rejection::bad("Malformed To"))?;
        if !matches!(to.uri.scheme(), "sip" | "sips") {
            return Err(Rejection::bad("To is not a SIP or SIPS address of record"));
        }
    }
    if req.method != Method::Ack && req.method != Method::Cancel {
        let required = req
            .headers
            .require()
            .map_err(|_| Rejection::bad("Malformed Require"))?;
        let unsupported: Vec<&str> = required
            .into_iter()
            .filter(|t| !policy.supported.iter().any(|s| s.eq_ignore_ascii_case(t)))
            .collect();
        if !unsupported.is_empty() {
            return Err(
                Rejection::new(420, "Bad Extension").with("Unsupported", unsupported.join(", "))
            );
        }
    }
    if !req.body.is_empty() {
        let Ok(Some(ct)) = req.headers.content_type() else {
            return Err(Rejection::bad("Missing Content-Type for a body"));
        };
        if !policy.accepted_content_types.iter().any(|a| a.covers(&ct)) {
            let accept = policy
                .accepted_content_types
                .iter()
                .map(MediaType::essence)
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Rejection::new(415, "Unsupported Media Type").with("Accept", accept));
        }
        for enc in req.headers.values("Content-Encoding") {
            if !enc.is_empty() && !enc.eq_ignore_ascii_case("identity") {
                return Err(Rejection::new(415, "Unsupported Content-Encoding")
                    .with("Accept-Encoding", "identity".into()));
            }
        }
    }
    if req.method == Method::Invite && req.headers.contains("Accept") {
        let ranges = req
            .headers
            .accept()
            .map_err(|_| Rejection::bad("Malformed Accept"))?;
        if !ranges.is_empty() && !ranges.iter().any(|r| r.covers(&MediaType::sdp())) {
            return Err(Rejection::new(406, "Not Acceptable").with(
                "Warning",
                format!(
                    "399 {} \"Accept does not allow application/sdp\"",
                    policy.warn_agent
                ),
            ));
        }
    }
    Ok(())
}

/// Decide whether a UAC drops a response silently (RFC 3261 §8.1.3.3, §7.2; RFC 4475
/// §3.1.2.5, §3.1.2.19, §3.3.10): another version than SIP/2.0, a status outside
/// 100..=699, not exactly one Via (a UAC's responses carry only its own Via), or missing,
/// repeated or malformed From/To/Call-ID/CSeq, or malformed Contact, Content-Length,
/// Expires, Min-Expires, RSeq or Retry-After.
pub fn check_response(resp: &Response) -> Result<(), Discard> {
    if resp.version != Version::SIP_2_0 {
        return Err(discard("version is not SIP/2.0"));
    }
    if !(100..=699).contains(&resp.status) {
        return Err(discard("status code out of range"));
    }
    let h = &resp.headers;
    let vias = h.values("Via");
    if vias.len() != 1 {
        return Err(discard(format!(
            "{} Via values (a UAC expects exactly one)",
            vias.len()
        )));
    }
    Via::parse(vias[0]).map_err(|e| discard(format!("malformed Via: {e}")))?;
    h.from().map_err(|e| discard(format!("From: {e}")))?;
    h.to().map_err(|e| discard(format!("To: {e}")))?;
    h.call_id().map_err(|e| discard(format!("Call-ID: {e}")))?;
    h.cseq().map_err(|e| discard(format!("CSeq: {e}")))?;
    content_length_of(h).map_err(|e| discard(e.to_string()))?;
    let contacts = h.contacts().map_err(|e| discard(format!("Contact: {e}")))?;
    if contacts.iter().any(|c| c.expires().is_err()) {
        return Err(discard("Contact expires out of range"));
    }
    h.expires().map_err(|e| discard(format!("Expires: {e}")))?;
    h.min_expires()
        .map_err(|e| discard(format!("Min-Expires: {e}")))?;
    h.rseq().map_err(|e| discard(format!("RSeq: {e}")))?;
    h.retry_after()
        .map_err(|e| discard(format!("Retry-After: {e}")))?;
    Ok(())
}

impl ParseError {
    /// The `400` (or `513` for an oversize message) a transport sends for a request too
    /// broken to parse — when the parser salvaged a request's method (not ACK) and one
    /// From, To, Call-ID and CSeq and a readable top Via to answer with. `None` means:
    /// drop it (responses are always dropped).
    pub fn rejection(&self) -> Option<Rejection> {
        let s = self.salvage()?;
        if s.method == Method::Ack {
            return None;
        }
        let h = &s.headers;
        if ["From", "To", "Call-ID", "CSeq"]
            .iter()
            .any(|n| h.count(n) != 1)
        {
            return None;
        }
        h.top_via().ok()?;
        let (status, reason) = match self.kind {
            ParseErrorKind::TooLarge => (513, "Message Too Large".to_owned()),
            ParseErrorKind::StartLine => (400, "Malformed Request-Line".to_owned()),
            kind => (400, capitalise(&kind.to_string())),
        };
        Some(Rejection::new(status, reason))
    }

    /// The response to send for this error (see [`rejection`](Self::rejection)).
    pub fn response(&self, to_tag: Option<&str>) -> Option<Response> {
        let rej = self.rejection()?;
        Some(rej.to_response(&self.salvage()?.headers, to_tag))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;

    fn req(text: &str) -> Request {
        match Message::parse(text.as_bytes()).unwrap() {
            Message::Request(r) => r,
            Message::Response(_) => panic!("response"),
        }
    }

    const BASE: &str = "OPTIONS sip:ata@192.0.2.10 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n\
From: <sip:pbx@192.0.2.1>;tag=1\r\n\
To: <sip:ata@192.0.2.10>\r\n\
Call-ID: c1\r\n\
CSeq: 1 OPTIONS\r\n\
Max-Forwards: 70\r\n";

    // RFC 3261 §8.2.1: 405 for a known but unsupported method, 501 for an unknown one.
    #[test]
    fn methods() {
        let p = UaPolicy::default();
        assert!(check_request(&req(&format!("{BASE}\r\n")), &p).is_ok());
        let r = req(&BASE.replace("OPTIONS", "SUBSCRIBE"));
        let rej = check_request(&r, &p).unwrap_err();
        assert_eq!(rej.status, 405);
        assert!(rej
            .headers
            .iter()
            .any(|(n, v)| n == "Allow" && v.contains("INVITE")));
        let rej = check_request(&req(&BASE.replace("OPTIONS", "FOO")), &p).unwrap_err();
        assert_eq!(rej.status, 501);
    }

    // RFC 3261 §8.2.2.3: 420 with Unsupported.
    #[test]
    fn require() {
        let p = UaPolicy::default();
        let r = req(&format!("{BASE}Require: timer, foo\r\n\r\n"));
        let rej = check_request(&r, &p).unwrap_err();
        assert_eq!(rej.status, 420);
        assert_eq!(rej.headers, [("Unsupported".to_owned(), "foo".to_owned())]);
        let resp = rej.to_response(&r.headers, Some("abc"));
        assert_eq!(resp.headers.to().unwrap().tag(), Some("abc"));
        assert_eq!(resp.headers.get("Unsupported"), Some("foo"));
        assert_eq!(resp.headers.get("Call-ID"), Some("c1"));
    }

    // RFC 3261 §8.2.3: 415 with Accept; §8.2.6.2 build_response keeps an existing tag.
    #[test]
    fn body_type_and_response_copy() {
        let p = UaPolicy::default();
        let r = req(&format!(
            "{BASE}Content-Type: text/html\r\nContent-Length: 2\r\n\r\nhi"
        ));
        let rej = check_request(&r, &p).unwrap_err();
        assert_eq!(rej.status, 415);
        assert!(rej.headers[0].1.contains("application/sdp"));
        let r = req(&BASE.replace("To: <sip:ata@192.0.2.10>", "To: <sip:ata@192.0.2.10>;tag=x"));
        let resp = r.make_response(200, "", Some("y"));
        assert_eq!(resp.reason, "OK");
        assert_eq!(resp.headers.to().unwrap().tag(), Some("x"));
    }

    // RFC 3261 §8.1.3.3: more than one Via in a response -> discard.
    #[test]
    fn responses() {
        let ok = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n";
        let m = Message::parse(ok.as_bytes()).unwrap();
        assert!(check_response(m.as_response().unwrap()).is_ok());
        let two = ok.replace("Via:", "Via: SIP/2.0/UDP b;branch=z9hG4bK2\r\nVia:");
        let m = Message::parse(two.as_bytes()).unwrap();
        assert!(check_response(m.as_response().unwrap()).is_err());
    }
}

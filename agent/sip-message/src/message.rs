//! Messages: parse a datagram, write bytes (RFC 3261 §7).

use std::borrow::Cow;
use std::fmt;

use crate::error::{ParseError, ParseErrorKind, Salvage};
use crate::headers::Headers;
use crate::method::Method;
use crate::text::{clip, is_token, trim_lws};
use crate::uri::Uri;

/// Size limits applied while parsing (datagrams and stream frames).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest message, start line to end of body. Default 64 KiB (65 536 bytes), which
    /// also covers the largest UDP datagram.
    pub max_message_size: usize,
    /// Most header fields (each value of a list header counts one). Default 256.
    pub max_headers: usize,
    /// Longest header field after unfolding. Default 16 KiB.
    pub max_header_line: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_message_size: 64 * 1024,
            max_headers: 256,
            max_header_line: 16 * 1024,
        }
    }
}

/// The SIP version of a start line (`SIP/2.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    /// Major number.
    pub major: u8,
    /// Minor number.
    pub minor: u8,
}

impl Version {
    /// `SIP/2.0`, the only version RFC 3261 speaks.
    pub const SIP_2_0: Version = Version { major: 2, minor: 0 };

    /// Parse `SIP/x.y` (the `SIP` case-insensitively).
    pub fn parse(s: &str) -> Option<Version> {
        let rest = s
            .get(..4)
            .filter(|p| p.eq_ignore_ascii_case("SIP/"))
            .map(|_| &s[4..])?;
        let (a, b) = rest.split_once('.')?;
        let num = |t: &str| {
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                t.parse::<u8>().ok()
            }
        };
        Some(Version {
            major: num(a)?,
            minor: num(b)?,
        })
    }
}

impl Default for Version {
    fn default() -> Version {
        Version::SIP_2_0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIP/{}.{}", self.major, self.minor)
    }
}

/// A SIP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The Request-URI.
    pub uri: Uri,
    /// The version from the request line.
    pub version: Version,
    /// Header fields.
    pub headers: Headers,
    /// The body (framed by Content-Length when parsed).
    pub body: Vec<u8>,
}

/// A SIP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The version from the status line.
    pub version: Version,
    /// Status code, 100..=699 when parsed.
    pub status: u16,
    /// Reason phrase (may be empty, RFC 4475 §3.1.1.13; UTF-8, §3.1.1.12).
    pub reason: String,
    /// Header fields.
    pub headers: Headers,
    /// The body.
    pub body: Vec<u8>,
}

/// A request or a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

impl Request {
    /// A request with no headers and no body.
    pub fn new(method: Method, uri: Uri) -> Request {
        Request {
            method,
            uri,
            version: Version::SIP_2_0,
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    /// Write the request (see [`Message::to_bytes`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len());
        out.extend_from_slice(
            format!("{} {} {}\r\n", self.method, self.uri, self.version).as_bytes(),
        );
        write_headers_and_body(&mut out, &self.headers, &self.body);
        out
    }
}

impl Response {
    /// A response with no headers and no body.
    pub fn new(status: u16, reason: impl Into<String>) -> Response {
        Response {
            version: Version::SIP_2_0,
            status,
            reason: reason.into(),
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    /// 1xx.
    pub fn is_provisional(&self) -> bool {
        self.status < 200
    }

    /// 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Write the response (see [`Message::to_bytes`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len());
        let reason = self.reason.replace(['\r', '\n'], " ");
        out.extend_from_slice(
            format!("{} {:03} {}\r\n", self.version, self.status, reason).as_bytes(),
        );
        write_headers_and_body(&mut out, &self.headers, &self.body);
        out
    }
}

/// Header lines with canonical names; Content-Length written from the body, in the place
/// of the first Content-Length field or at the end.
fn write_headers_and_body(out: &mut Vec<u8>, headers: &Headers, body: &[u8]) {
    let mut wrote_cl = false;
    for h in headers {
        if h.name.is("Content-Length") {
            if !wrote_cl {
                out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
                wrote_cl = true;
            }
            continue;
        }
        out.extend_from_slice(h.name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        if h.value.contains(['\r', '\n']) {
            out.extend_from_slice(h.value.replace(['\r', '\n'], " ").as_bytes());
        } else {
            out.extend_from_slice(h.value.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    }
    if !wrote_cl {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}

impl Message {
    /// Parse one UDP datagram with the default [`Limits`].
    ///
    /// Leading CRLFs are skipped, header lines are unfolded, compact names expanded and
    /// list values split. The body is framed by Content-Length: octets after it are
    /// ignored (RFC 3261 §18.3, RFC 4475 §3.1.1.8), a Content-Length larger than the
    /// data is an error (RFC 4475 §3.1.2.2), and without Content-Length the body is the
    /// rest of the datagram. A datagram with no empty line after the headers is taken as
    /// headers only.
    pub fn parse(datagram: &[u8]) -> Result<Message, ParseError> {
        Self::parse_with(datagram, &Limits::default())
    }

    /// [`Message::parse`] with explicit limits.
    pub fn parse_with(datagram: &[u8], limits: &Limits) -> Result<Message, ParseError> {
        parse_message(datagram, limits)
    }

    /// Write the message: start line, headers with canonical names (one line per value),
    /// Content-Length set from the body, empty line, body.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }

    /// The header fields, mutable.
    pub fn headers_mut(&mut self) -> &mut Headers {
        match self {
            Message::Request(r) => &mut r.headers,
            Message::Response(r) => &mut r.headers,
        }
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        match self {
            Message::Request(r) => &r.body,
            Message::Response(r) => &r.body,
        }
    }

    /// True for a request.
    pub fn is_request(&self) -> bool {
        matches!(self, Message::Request(_))
    }

    /// The request, if it is one.
    pub fn as_request(&self) -> Option<&Request> {
        match self {
            Message::Request(r) => Some(r),
            Message::Response(_) => None,
        }
    }

    /// The response, if it is one.
    pub fn as_response(&self) -> Option<&Response> {
        match self {
            Message::Response(r) => Some(r),
            Message::Request(_) => None,
        }
    }
}

impl From<Request> for Message {
    fn from(r: Request) -> Message {
        Message::Request(r)
    }
}

impl From<Response> for Message {
    fn from(r: Response) -> Message {
        Message::Response(r)
    }
}

// ---------------------------------------------------------------------------------------
// the parser

/// Where the header section ends: (end of the last header line, start of the body).
/// `None` when there is no empty line.
pub(crate) fn find_head_end(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while let Some(off) = memchr(b'\n', &bytes[i..]) {
        let nl = i + off;
        // An empty line follows this line end?
        let next = nl + 1;
        if bytes.get(next) == Some(&b'\n') {
            return Some((nl, next + 1));
        }
        if bytes.get(next) == Some(&b'\r') && bytes.get(next + 1) == Some(&b'\n') {
            return Some((nl, next + 2));
        }
        i = next;
    }
    None
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// Number of leading CR/LF octets (RFC 3261 §7.5: ignore CRLFs before the start line).
pub(crate) fn leading_crlf(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count()
}

enum StartLine {
    Request {
        method: Method,
        uri: Uri,
        version: Version,
    },
    Response {
        version: Version,
        status: u16,
        reason: String,
    },
}

/// Parse a start line. On error, also return the method when the line looks like a
/// request (for salvage).
fn parse_start_line(line: &str) -> Result<StartLine, (ParseError, Option<Method>)> {
    if line
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("SIP/"))
    {
        let (version, rest) = line.split_once(' ').unwrap_or((line, ""));
        let version = Version::parse(version).ok_or_else(|| {
            (
                ParseError::new(
                    ParseErrorKind::StartLine,
                    format!("bad version in {:?}", clip(line)),
                ),
                None,
            )
        })?;
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        let status = (code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()))
            .then(|| code.parse::<u16>().ok())
            .flatten()
            .filter(|s| (100..=699).contains(s))
            .ok_or_else(|| {
                (
                    ParseError::new(
                        ParseErrorKind::StatusCode,
                        format!("bad status code {:?}", clip(code)),
                    ),
                    None,
                )
            })?;
        return Ok(StartLine::Response {
            version,
            status,
            reason: reason.to_owned(),
        });
    }
    let first = line.split(' ').next().unwrap_or("");
    let method = is_token(first).then(|| Method::from_token(first));
    let err = |kind, detail: String| (ParseError::new(kind, detail), method.clone());
    let parts: Vec<&str> = line.split(' ').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
        return Err(err(
            ParseErrorKind::StartLine,
            format!(
                "request line is not 'Method SP Request-URI SP SIP-Version': {:?}",
                clip(line)
            ),
        ));
    }
    let Some(m) = method.clone() else {
        return Err(err(
            ParseErrorKind::StartLine,
            format!("bad method {:?}", clip(parts[0])),
        ));
    };
    let version = Version::parse(parts[2]).ok_or_else(|| {
        err(
            ParseErrorKind::StartLine,
            format!("bad version {:?}", clip(parts[2])),
        )
    })?;
    let uri = Uri::parse(parts[1]).map_err(|e| err(ParseErrorKind::RequestUri, e.to_string()))?;
    Ok(StartLine::Request {
        method: m,
        uri,
        version,
    })
}

fn header_name_ok(name: &str) -> bool {
    is_token(name)
}

/// Split the header section into fields. Returns the first fault, if any, alongside
/// everything that could be read.
fn parse_header_lines<'a>(
    lines: impl Iterator<Item = &'a str>,
    limits: &Limits,
    headers: &mut Headers,
) -> Option<ParseError> {
    let mut first_error: Option<ParseError> = None;
    let note = |e: ParseError, first_error: &mut Option<ParseError>| {
        if first_error.is_none() {
            *first_error = Some(e);
        }
    };
    // Current logical header (name, value) being accumulated across folded lines.
    let mut current: Option<(&'a str, Cow<'a, str>)> = None;
    let finish = |cur: Option<(&'a str, Cow<'a, str>)>,
                  headers: &mut Headers,
                  first_error: &mut Option<ParseError>| {
        if let Some((name, value)) = cur {
            if name.len() + value.len() > limits.max_header_line {
                note(
                    ParseError::new(
                        ParseErrorKind::HeaderTooLong,
                        format!("header {name} too long"),
                    ),
                    first_error,
                );
                return;
            }
            headers.push_parsed(name, trim_lws(&value));
        }
    };
    for line in lines {
        if line.is_empty() {
            // Only the end of a datagram that has no empty line after its headers.
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match &mut current {
                Some((_, v)) => {
                    let cont = trim_lws(line);
                    if !cont.is_empty() {
                        let s = v.to_mut();
                        let trimmed_len = s.trim_end_matches([' ', '\t']).len();
                        s.truncate(trimmed_len);
                        s.push(' ');
                        s.push_str(cont);
                    }
                }
                None => note(
                    ParseError::new(
                        ParseErrorKind::HeaderSyntax,
                        "continuation line before any header",
                    ),
                    &mut first_error,
                ),
            }
            continue;
        }
        finish(current.take(), headers, &mut first_error);
        if headers.len() >= limits.max_headers {
            note(
                ParseError::new(
                    ParseErrorKind::TooManyHeaders,
                    format!("more than {} header fields", limits.max_headers),
                ),
                &mut first_error,
            );
            break;
        }
        let Some(colon) = line.find(':') else {
            note(
                ParseError::new(
                    ParseErrorKind::HeaderSyntax,
                    format!("header line without ':': {:?}", clip(line)),
                ),
                &mut first_error,
            );
            continue;
        };
        let name = line[..colon].trim_end_matches([' ', '\t']);
        if !header_name_ok(name) {
            note(
                ParseError::new(
                    ParseErrorKind::HeaderSyntax,
                    format!("bad header name {:?}", clip(name)),
                ),
                &mut first_error,
            );
            continue;
        }
        current = Some((name, Cow::Borrowed(&line[colon + 1..])));
    }
    finish(current.take(), headers, &mut first_error);
    first_error
}

fn parse_message(datagram: &[u8], limits: &Limits) -> Result<Message, ParseError> {
    if datagram.len() > limits.max_message_size {
        return Err(ParseError::new(
            ParseErrorKind::TooLarge,
            format!(
                "{} bytes, limit {}",
                datagram.len(),
                limits.max_message_size
            ),
        ));
    }
    let start = leading_crlf(datagram);
    let bytes = &datagram[start..];
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::new(ParseErrorKind::Empty, "no start line"));
    }
    let (head_end, body_start) = find_head_end(bytes).unwrap_or((bytes.len(), bytes.len()));
    let mut head: Cow<'_, str> = match std::str::from_utf8(&bytes[..head_end]) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(&bytes[..head_end]),
    };
    if has_bare_cr(&head) {
        // A CR that does not end a line is white space, not a line break.
        head = Cow::Owned(replace_bare_cr(&head));
    }
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let start_line = lines.next().unwrap_or("");
    let mut headers = Headers::new();
    let start_result = parse_start_line(start_line);
    let header_error = parse_header_lines(lines, limits, &mut headers);

    let salvage = |err: ParseError, method: Option<Method>, headers: Headers| -> ParseError {
        let mut err = err;
        if let Some(method) = method {
            err.salvage = Some(Box::new(Salvage { method, headers }));
        }
        err
    };
    let request_method = match &start_result {
        Ok(StartLine::Request { method, .. }) => Some(method.clone()),
        Ok(StartLine::Response { .. }) => None,
        Err((_, m)) => m.clone(),
    };
    let start = match start_result {
        Ok(s) => s,
        Err((e, m)) => return Err(salvage(e, m, headers)),
    };
    if let Some(e) = header_error {
        return Err(salvage(e, request_method, headers));
    }

    // Body framing by Content-Length.
    let available = &bytes[body_start.min(bytes.len())..];
    let body = match content_length_of(&headers) {
        Err(e) => return Err(salvage(e, request_method, headers)),
        Ok(None) => available.to_vec(),
        Ok(Some(n)) => {
            if n > available.len() {
                let e = ParseError::new(
                    ParseErrorKind::BodyTruncated,
                    format!("Content-Length {n} but {} body bytes", available.len()),
                );
                return Err(salvage(e, request_method, headers));
            }
            available[..n].to_vec()
        }
    };
    Ok(match start {
        StartLine::Request {
            method,
            uri,
            version,
        } => Message::Request(Request {
            method,
            uri,
            version,
            headers,
            body,
        }),
        StartLine::Response {
            version,
            status,
            reason,
        } => Message::Response(Response {
            version,
            status,
            reason,
            headers,
            body,
        }),
    })
}

/// True when a CR appears that is not followed by LF (a CR at the very end is a line end).
fn has_bare_cr(s: &str) -> bool {
    let b = s.as_bytes();
    s.match_indices('\r')
        .any(|(i, _)| i + 1 < b.len() && b[i + 1] != b'\n')
}

fn replace_bare_cr(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        if c == '\r' && i + 1 < b.len() && b[i + 1] != b'\n' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// The Content-Length of parsed headers: `None` when absent; an error when repeated,
/// negative or not a number.
pub(crate) fn content_length_of(headers: &Headers) -> Result<Option<usize>, ParseError> {
    let mut values = headers.get_all("Content-Length");
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ParseError::new(
            ParseErrorKind::MultipleContentLength,
            "multiple Content-Length values",
        ));
    }
    let v = trim_lws(first);
    if v.starts_with('-') {
        return Err(ParseError::new(
            ParseErrorKind::NegativeContentLength,
            format!("negative Content-Length {:?}", clip(v)),
        ));
    }
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::new(
            ParseErrorKind::ContentLength,
            format!("Content-Length {:?} is not a number", clip(v)),
        ));
    }
    v.parse::<usize>().map(Some).map_err(|_| {
        ParseError::new(
            ParseErrorKind::ContentLength,
            format!("Content-Length {:?} too large", clip(v)),
        )
    })
}

/// The usual reason phrase for a status code (RFC 3261 §21 and extensions); `""` for
/// codes it does not know.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        199 => "Early Dialog Terminated",
        200 => "OK",
        202 => "Accepted",
        204 => "No Notification",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        305 => "Use Proxy",
        380 => "Alternative Service",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        410 => "Gone",
        412 => "Conditional Request Failed",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        421 => "Extension Required",
        422 => "Session Interval Too Small",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        484 => "Address Incomplete",
        485 => "Ambiguous",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        489 => "Bad Event",
        491 => "Request Pending",
        493 => "Undecipherable",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        580 => "Precondition Failure",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &[u8] = b"\r\n\r\nINVITE sip:bob@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@example.com>\r\n\
From: Alice <sip:alice@example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.example.com\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@192.0.2.1>\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\r\nv=0\r\nEXTRA";

    // RFC 3261 §7.5 leading CRLFs; §18.3 Content-Length framing (extra octets dropped).
    #[test]
    fn parse_request() {
        let m = Message::parse(INVITE).unwrap();
        let r = m.as_request().unwrap();
        assert_eq!(r.method, Method::Invite);
        assert_eq!(r.uri.to_string(), "sip:bob@example.com");
        assert_eq!(r.body, b"v=0\r");
        assert_eq!(r.headers.cseq().unwrap().seq, 314159);
        assert_eq!(
            r.headers.call_id().unwrap(),
            "a84b4c76e66710@pc33.example.com"
        );
        assert_eq!(r.headers.max_forwards().unwrap(), Some(70));
        let again = Message::parse(&m.to_bytes()).unwrap();
        assert_eq!(again, m);
    }

    // RFC 3261 §7.2 status line; RFC 4475 §3.1.1.13 empty reason, §3.1.2.19 big code.
    #[test]
    fn status_lines() {
        let m = Message::parse(b"SIP/2.0 100 \r\nContent-Length: 0\r\n\r\n").unwrap();
        assert_eq!(m.as_response().unwrap().reason, "");
        let m = Message::parse(b"SIP/2.0 180\r\n\r\n").unwrap();
        assert_eq!(m.as_response().unwrap().status, 180);
        let e = Message::parse(b"SIP/2.0 4294967301 better not break the receiver\r\n\r\n")
            .unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::StatusCode);
        assert!(e.salvage().is_none());
        assert!(Message::parse(b"SIP/2.0 099 Low\r\n\r\n").is_err());
        assert!(Message::parse(b"SIP/2.0 700 High\r\n\r\n").is_err());
    }

    // RFC 3261 §7.1: single SP separators (RFC 4475 §3.1.2.8-10), framing errors (§3.1.2.2,
    // §3.1.2.3, §3.3.9) keep the salvaged headers.
    #[test]
    fn request_line_and_framing_errors() {
        for bad in [
            &b"INVITE  sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n"[..],
            b"INVITE sip:a@b SIP/2.0 \r\nCall-ID: x\r\n\r\n",
            b"INVITE sip:a@b; lr SIP/2.0\r\nCall-ID: x\r\n\r\n",
            b"INVITE <sip:a@b> SIP/2.0\r\nCall-ID: x\r\n\r\n",
            b"INVITE sip:a@b SIP/2.0\r\nCall-ID: x\r\nContent-Length: 10\r\n\r\nshort",
            b"INVITE sip:a@b SIP/2.0\r\nCall-ID: x\r\nContent-Length: -1\r\n\r\n",
            b"INVITE sip:a@b SIP/2.0\r\nCall-ID: x\r\nl: 1\r\nContent-Length: 1\r\n\r\nab",
        ] {
            let e = Message::parse(bad).unwrap_err();
            let s = e.salvage().expect("salvage");
            assert_eq!(s.method, Method::Invite);
            assert_eq!(s.headers.get("Call-ID"), Some("x"));
        }
        assert_eq!(
            Message::parse(b"\r\n\r\n").unwrap_err().kind,
            ParseErrorKind::Empty
        );
        assert_eq!(Message::parse(b"").unwrap_err().kind, ParseErrorKind::Empty);
        assert_eq!(
            Message::parse(b"OPTIONS sip:a@b SIP/2.0\r\nNoColonHere\r\n\r\n")
                .unwrap_err()
                .kind,
            ParseErrorKind::HeaderSyntax
        );
    }

    // RFC 3261 §7.3.1: folding; no blank line at the end of a datagram (RFC 4475 baddn).
    #[test]
    fn folding_and_no_blank_line() {
        let m =
            Message::parse(b"OPTIONS sip:a@b SIP/2.0\r\nSubject: one\r\n  two\r\n\tthree\r\nl: 0")
                .unwrap();
        assert_eq!(m.headers().get("subject"), Some("one two three"));
        assert_eq!(m.body(), b"");
        assert!(Message::parse(b"OPTIONS sip:a@b SIP/2.0\r\n two\r\n\r\n").is_err());
    }

    #[test]
    fn limits() {
        let small = Limits {
            max_message_size: 100,
            max_headers: 2,
            max_header_line: 20,
        };
        assert_eq!(
            Message::parse_with(INVITE, &small).unwrap_err().kind,
            ParseErrorKind::TooLarge
        );
        let l = Limits {
            max_message_size: 1000,
            ..small
        };
        assert_eq!(
            Message::parse_with(INVITE, &l).unwrap_err().kind,
            ParseErrorKind::HeaderTooLong
        );
        let l = Limits {
            max_header_line: 1000,
            ..l
        };
        assert_eq!(
            Message::parse_with(INVITE, &l).unwrap_err().kind,
            ParseErrorKind::TooManyHeaders
        );
    }

    // Serialisation: canonical names, Content-Length from the body.
    #[test]
    fn to_bytes_canonical() {
        let mut r = Response::new(200, "OK");
        r.headers.push("v", "SIP/2.0/UDP h;branch=z9hG4bK1");
        r.headers.push("content-length", "999");
        r.body = b"hello".to_vec();
        assert_eq!(
            r.to_bytes(),
            b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nContent-Length: 5\r\n\r\nhello"
        );
        assert_eq!(reason_phrase(486), "Busy Here");
    }
}

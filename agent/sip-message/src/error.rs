//! Errors of the SIP message layer.
//!
//! Two kinds:
//!
//! * [`ParseError`] — a datagram or stream could not be framed or parsed as a SIP message.
//!   It keeps what could be salvaged from a broken request (the method and the header
//!   fields), so that the transport can still answer `400` (see [`ParseError::rejection`]).
//! * [`Error`] — a typed header, URI, SDP body or digest value could not be read, a
//!   required header is missing or repeated, or a value given to a builder is unusable.
//!
//! Neither is for protocol outcomes: a request that a UA must refuse is a
//! [`Rejection`](crate::Rejection), carried as data.

use crate::headers::Headers;
use crate::method::Method;

/// What went wrong reading a typed value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A required header field is absent.
    #[error("missing header {header}")]
    MissingHeader {
        /// The canonical header name.
        header: String,
    },
    /// A header field that allows one value has several.
    #[error("header {header} has more than one value")]
    MultipleValues {
        /// The canonical header name.
        header: String,
    },
    /// A value does not follow its grammar.
    #[error("invalid {what}: {detail}")]
    Syntax {
        /// The element being read (`"Via"`, `"URI"`, `"SDP"`, ...).
        what: &'static str,
        /// What is wrong, for logs and reason phrases.
        detail: String,
    },
    /// A digest computation was asked for something it cannot do (unknown algorithm,
    /// `auth-int` without a body, a challenge without a nonce, ...).
    #[error("digest: {0}")]
    Digest(String),
}

impl Error {
    pub(crate) fn syntax(what: &'static str, detail: impl Into<String>) -> Error {
        Error::Syntax {
            what,
            detail: detail.into(),
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Why a datagram or a stream could not be read as a SIP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Nothing but white space (or nothing at all).
    Empty,
    /// Larger than [`Limits::max_message_size`](crate::Limits::max_message_size).
    TooLarge,
    /// More header fields than [`Limits::max_headers`](crate::Limits::max_headers).
    TooManyHeaders,
    /// A header field (after unfolding) longer than
    /// [`Limits::max_header_line`](crate::Limits::max_header_line).
    HeaderTooLong,
    /// The request line or status line is malformed (RFC 3261 §7.1, §7.2).
    StartLine,
    /// The Request-URI cannot be parsed.
    RequestUri,
    /// The status code is not three digits in 100..=699 (RFC 3261 §7.2, §21).
    StatusCode,
    /// A header line has no colon or a bad name (RFC 3261 §7.3).
    HeaderSyntax,
    /// Content-Length is not a number (RFC 3261 §20.14).
    ContentLength,
    /// Content-Length is negative (RFC 4475 §3.1.2.3).
    NegativeContentLength,
    /// Content-Length appears more than once (RFC 4475 §3.3.9).
    MultipleContentLength,
    /// Content-Length is larger than the data that arrived (RFC 4475 §3.1.2.2).
    BodyTruncated,
    /// On a stream: Content-Length is missing (RFC 3261 §18.3 makes it mandatory).
    MissingContentLength,
}

impl std::fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ParseErrorKind::Empty => "empty message",
            ParseErrorKind::TooLarge => "message too large",
            ParseErrorKind::TooManyHeaders => "too many header fields",
            ParseErrorKind::HeaderTooLong => "header field too long",
            ParseErrorKind::StartLine => "malformed start line",
            ParseErrorKind::RequestUri => "malformed Request-URI",
            ParseErrorKind::StatusCode => "bad status code",
            ParseErrorKind::HeaderSyntax => "malformed header field",
            ParseErrorKind::ContentLength => "bad Content-Length",
            ParseErrorKind::NegativeContentLength => "negative Content-Length",
            ParseErrorKind::MultipleContentLength => "multiple Content-Length values",
            ParseErrorKind::BodyTruncated => "Content-Length larger than message",
            ParseErrorKind::MissingContentLength => "missing Content-Length on a stream",
        })
    }
}

/// What the parser could still read from a broken request: enough, when the five
/// headers RFC 3261 §8.2.6 copies are there, to answer it with `400`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Salvage {
    /// The method from the request line (the text before its first space).
    pub method: Method,
    /// Every header field that could be split into name and value.
    pub headers: Headers,
}

/// A datagram or stream that could not be read as a SIP message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {detail}")]
pub struct ParseError {
    /// The class of fault.
    pub kind: ParseErrorKind,
    /// What is wrong, in words fit for a log line or a reason phrase.
    pub detail: String,
    pub(crate) salvage: Option<Box<Salvage>>,
}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, detail: impl Into<String>) -> ParseError {
        ParseError {
            kind,
            detail: detail.into(),
            salvage: None,
        }
    }

    /// The method and headers salvaged from a broken *request*, if any.
    pub fn salvage(&self) -> Option<&Salvage> {
        self.salvage.as_deref()
    }

    /// True for faults that leave a stream out of step, so a TCP/TLS transport must close
    /// the connection (RFC 3261 §18.3; RFC 4475 §3.1.2.2, §3.1.2.3, §3.3.9).
    pub fn is_framing(&self) -> bool {
        matches!(
            self.kind,
            ParseErrorKind::TooLarge
                | ParseErrorKind::HeaderTooLong
                | ParseErrorKind::TooManyHeaders
                | ParseErrorKind::ContentLength
                | ParseErrorKind::NegativeContentLength
                | ParseErrorKind::MultipleContentLength
                | ParseErrorKind::BodyTruncated
                | ParseErrorKind::MissingContentLength
        )
    }
}

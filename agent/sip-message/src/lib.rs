//! The SIP message layer of Tipring: parse and write SIP messages (RFC 3261 §7), read
//! header fields typed on demand, frame messages on streams, decide what a UA must answer
//! before processing a request (RFC 4475), compute and verify digest credentials
//! (RFC 2617 / RFC 7616 / RFC 8760) and read and write SDP (RFC 4566 / RFC 3264).
//!
//! It is sans-IO and has no clock or randomness: the transaction, dialog and UA layer
//! (`tipring-sip`) feeds it bytes and gets values back.
//!
//! # Parse, read typed headers, answer, write
//!
//! ```
//! use tipring_sip_message::{check_request, Message, Method, UaPolicy};
//!
//! let datagram = b"INVITE sip:1001@192.0.2.51 SIP/2.0\r\n\
//! v: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK74bf9;rport\r\n\
//! Max-Forwards: 70\r\n\
//! f: \"Alice\" <sip:alice@pbx.example.com>;tag=9fxced76sl\r\n\
//! t: <sip:1001@pbx.example.com>\r\n\
//! i: 3848276298220188511@pbx.example.com\r\n\
//! CSeq: 1 INVITE\r\n\
//! Contact: <sip:alice@192.0.2.20>;+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\"\r\n\
//! Content-Length: 0\r\n\r\n";
//!
//! let Message::Request(req) = Message::parse(datagram)? else { unreachable!() };
//! assert_eq!(req.method, Method::Invite);
//!
//! // Headers are kept as text (compact names expanded) and typed when asked for.
//! let via = req.headers.top_via()?;
//! assert_eq!(via.branch(), Some("z9hG4bK74bf9"));
//! assert!(via.has_rport());
//! let from = req.headers.from()?;
//! assert_eq!(from.display.as_deref(), Some("Alice"));
//! assert_eq!(from.tag(), Some("9fxced76sl"));
//! assert_eq!(req.headers.cseq()?.seq, 1);
//! assert_eq!(req.headers.call_id()?, "3848276298220188511@pbx.example.com");
//! let contact = &req.headers.contacts()?[0];
//! assert_eq!(
//!     contact.addr().unwrap().params.get("+sip.instance"),
//!     Some("<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>")
//! );
//!
//! // What must be answered before processing (RFC 3261 §8.2): nothing here.
//! check_request(&req, &UaPolicy::default()).expect("acceptable");
//!
//! // Build a response (Via, From, To, Call-ID, CSeq copied; our To tag added) and write it.
//! let mut ringing = req.make_response(180, "Ringing", Some("a6c85cf"));
//! ringing.headers.push("Contact", "<sip:1001@192.0.2.51>");
//! let bytes = ringing.to_bytes();
//! assert!(bytes.starts_with(b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 192.0.2.20:5060;"));
//! let back = Message::parse(&bytes)?;
//! assert_eq!(back.headers().to()?.tag(), Some("a6c85cf"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A request that must be refused gets a [`Rejection`]; a datagram too broken to parse
//! may still be answered from what the parser salvaged:
//!
//! ```
//! use tipring_sip_message::Message;
//!
//! let broken = b"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
//! From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: x1\r\n\
//! CSeq: 1 INVITE\r\nContent-Length: -999\r\n\r\n";
//! let err = Message::parse(broken).unwrap_err();
//! let resp = err.response(Some("t1")).expect("enough salvaged to answer");
//! assert_eq!((resp.status, resp.reason.as_str()), (400, "Negative Content-Length"));
//! ```
//!
//! On TCP/TLS, a [`StreamFramer`] cuts the byte stream into messages by Content-Length
//! and reports CRLF keep-alives; [`auth`] answers and checks digest challenges; [`sdp`]
//! reads and writes session descriptions.
//!
//! # What was taken from rsip, and why its parser was not used
//!
//! The model follows rsip 0.4 (Televiska/rsip): headers are kept untyped, as text, and
//! typed on demand, which tolerates vendor quirks in fields nobody reads. The API shape
//! too: a `Headers` list with name-based access, one Rust type per typed header that
//! parses from and displays to its text (rsip's `header.typed()` is
//! [`Headers::typed`] / [`TypedHeader`] here), `Method` with an extension variant, and
//! request/response structs with public fields.
//!
//! rsip's own parser was not used: measured against RFC 4475 and PBX traffic
//! (`shared/notes/rsip-0.4-assessment.md`) it accepts a fixed method list only, drops the
//! user part at the first `.`, has no IPv6 references, `tel:` or URI headers, breaks on
//! quoted parameter values such as `+sip.instance="<urn:...>"`, loses compact header
//! forms in the typed API, ignores Content-Length for framing, and in digest rejects the
//! `SHA-256` token, reads `nc` as decimal, hashes MD5-sess and auth-int wrongly and
//! re-prints the URI when verifying. Those faults live in its parsers, not in a wrapper's
//! reach, and it is no longer released. This crate passes all 49 RFC 4475 messages (see
//! `tests/sip_message/rfc4475.rs`).
//!
//! # Limits
//!
//! [`Limits`] caps the message size (64 KiB by default), the number of header fields
//! (256) and the length of one unfolded header field (16 KiB).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth;
pub mod error;
pub mod framer;
pub mod headers;
pub mod message;
pub mod method;
pub mod name_addr;
pub mod params;
pub mod sdp;
mod text;
pub mod typed;
pub mod uri;
pub mod validate;
pub mod via;

pub use error::{Error, ParseError, ParseErrorKind, Result, Salvage};
pub use framer::{Frame, StreamFramer};
pub use headers::{Header, HeaderName, Headers};
pub use message::{reason_phrase, Limits, Message, Request, Response, Version};
pub use method::Method;
pub use name_addr::{Contact, NameAddr};
pub use params::{Param, Params};
pub use typed::{
    AlertInfo, CSeq, Event, MediaType, RAck, Reason, Refresher, Replaces, RetryAfter,
    SessionExpires, SubState, SubscriptionState, TypedHeader,
};
pub use uri::{Host, OtherUri, SipUri, TelUri, Uri};
pub use validate::{build_response, check_request, check_response, Discard, Rejection, UaPolicy};
pub use via::{Transport, Via};

//! What [`Transports::recv`](crate::Transports::recv) reports.

use std::io;

use tipring_sip::Peer;
use tipring_sip_message::ParseError;

/// Something that happened on the transports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// One whole SIP message (a datagram, or a frame cut from a stream by
    /// Content-Length), for [`tipring_sip::Input::Receive`].
    Message {
        /// Who sent it: replies sent to this peer go back over the same connection
        /// (RFC 3261 §18.2.2).
        from: Peer,
        /// The bytes, start line to end of body.
        data: Vec<u8>,
    },
    /// A TCP or TLS connection is gone. Messages to `peer` now open a new one.
    Closed {
        /// The other end.
        peer: Peer,
        /// Why.
        reason: CloseReason,
    },
}

/// Why a connection was closed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer closed it (end of stream).
    PeerClosed,
    /// The peer sent a stream that cannot be framed (no or bad Content-Length, a message
    /// over the size limit): the stream is out of step and is closed (RFC 3261 §18.3).
    Framing(ParseError),
    /// More unframed bytes than [`TransportConfig::max_buffer`](crate::TransportConfig).
    BufferFull {
        /// Bytes that would have been buffered.
        buffered: usize,
    },
    /// Nothing was received and no message sent for the idle timeout.
    Idle,
    /// A keep-alive ping got no pong in time: the flow has failed (RFC 5626 §4.4.1).
    PongTimeout,
    /// The TLS handshake of a connection the peer opened failed (untrusted or missing
    /// client certificate, timeout, ...).
    Handshake(String),
    /// Writing a message took longer than the write timeout.
    WriteTimeout,
    /// Reading or writing failed.
    Io {
        /// The class of failure.
        kind: io::ErrorKind,
        /// The error in words.
        detail: String,
    },
    /// [`Transports::close`](crate::Transports::close) asked for it.
    Requested,
}

impl CloseReason {
    pub(crate) fn io(e: &io::Error) -> Self {
        CloseReason::Io {
            kind: e.kind(),
            detail: e.to_string(),
        }
    }

    /// Whether the peer misbehaved (framing error, buffer overflow), as opposed to a
    /// network failure or a local decision.
    pub fn is_peer_fault(&self) -> bool {
        matches!(
            self,
            CloseReason::Framing(_) | CloseReason::BufferFull { .. }
        )
    }
}

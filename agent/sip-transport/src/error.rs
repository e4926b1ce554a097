//! Errors of the transport layer.
//!
//! Two families, as in the rest of Tipring: the caller's own mistakes (configuration, a
//! transport that was not enabled, a message over the size limit) and failures to reach a
//! peer ([`Error::is_transport_failure`]), which the user agent turns into a transport
//! error for the transaction (RFC 3261 §8.1.3.1, §17.1.4).

use std::io;
use std::net::SocketAddr;

use tipring_sip::{Peer, TransportKind};

/// A transport-layer error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configured local address could not be bound.
    #[error("cannot bind {kind:?} on {addr}: {source}")]
    Bind {
        /// Which transport.
        kind: TransportKind,
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// The configuration is inconsistent (a TLS listener without a certificate, ...).
    #[error("bad transport configuration: {0}")]
    Config(String),
    /// A certificate or key could not be read from PEM.
    #[error("bad PEM data: {0}")]
    Pem(String),
    /// The TLS configuration was refused by rustls.
    #[error("bad TLS configuration: {0}")]
    TlsSetup(String),
    /// A message was sent on a transport that is not enabled (no UDP socket, no TLS
    /// client configuration).
    #[error("{0:?} transport is not enabled")]
    NotEnabled(TransportKind),
    /// A message is larger than [`Limits::max_message_size`](tipring_sip_message::Limits).
    #[error("message of {size} bytes over the limit of {max}")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// No new connection can be opened: the connection table is full.
    #[error("cannot connect to {peer}: already {max} connections")]
    TooManyConnections {
        /// Where the message was going.
        peer: Peer,
        /// The configured maximum.
        max: usize,
    },
    /// The TCP connection could not be established.
    #[error("cannot connect to {peer}: {source}")]
    Connect {
        /// Where.
        peer: Peer,
        /// Why.
        source: io::Error,
    },
    /// The TCP connection or TLS handshake took longer than the connect timeout.
    #[error("connecting to {peer} timed out")]
    ConnectTimeout {
        /// Where.
        peer: Peer,
    },
    /// The TLS handshake failed (certificate not trusted, wrong name, no common cipher...).
    #[error("TLS handshake with {peer} failed: {source}")]
    Handshake {
        /// Where.
        peer: Peer,
        /// Why (wraps the `rustls::Error`).
        source: io::Error,
    },
    /// The connection's send queue is full: the peer does not read fast enough.
    #[error("send queue to {peer} is full")]
    QueueFull {
        /// Where.
        peer: Peer,
    },
    /// Sending a datagram failed.
    #[error("sending to {peer} failed: {source}")]
    Send {
        /// Where.
        peer: Peer,
        /// Why.
        source: io::Error,
    },
}

impl Error {
    /// Whether this is a failure to reach the peer (connect, handshake, queue, send):
    /// the user agent should treat it as a transport error of the transaction
    /// (RFC 3261 §17.1.4) and try the next server. Other errors are API misuse or bad
    /// configuration.
    pub fn is_transport_failure(&self) -> bool {
        matches!(
            self,
            Error::TooManyConnections { .. }
                | Error::Connect { .. }
                | Error::ConnectTimeout { .. }
                | Error::Handshake { .. }
                | Error::QueueFull { .. }
                | Error::Send { .. }
        )
    }

    /// The TLS error behind a failed handshake (an untrusted certificate, a name
    /// mismatch, an alert from the peer...), if that is what this is.
    pub fn tls_cause(&self) -> Option<&rustls::Error> {
        match self {
            Error::Handshake { source, .. } => source.get_ref()?.downcast_ref(),
            _ => None,
        }
    }
}

/// Result of this crate.
pub type Result<T> = std::result::Result<T, Error>;

//! Errors of the status endpoint.

use std::net::SocketAddr;

/// What went wrong starting the status endpoint.
///
/// Peer misbehaviour (a bad request, a slow client) is never an `Error`: it is answered
/// with an HTTP status or the connection is closed, and the server goes on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// API misuse: the address is not a loopback address and
    /// [`ServerOptions::allow_non_loopback`](crate::ServerOptions::allow_non_loopback) was not set.
    #[error(
        "refusing to serve status on non-loopback address {addr}: set allow_non_loopback to expose it"
    )]
    NotLoopback {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// API misuse: an option is out of range.
    #[error("invalid status server option: {0}")]
    InvalidOption(&'static str),
    /// The listening socket could not be bound.
    #[error("cannot bind status endpoint to {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

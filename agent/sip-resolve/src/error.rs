//! Errors of server location.
//!
//! Three families: the caller's mistakes (a [`ServerSpec`](crate::ServerSpec) that does
//! not parse, a configuration without name servers), DNS failures that may pass
//! ([`Error::is_temporary`]: no answer, a failing or misbehaving server, a truncated
//! answer, a socket error) and definitive answers (the name does not exist, or the
//! domain says it offers no SIP service).

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::dns::{Name, Rcode, RecordType, WireError};

/// A server-location error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server text is not `host`, `host:port`, an IP address or `[IPv6]:port`.
    #[error("invalid SIP server {input:?}: {reason}")]
    InvalidSpec {
        /// The text given.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The resolver configuration cannot work (no name servers, zero attempts...).
    #[error("invalid resolver configuration: {0}")]
    InvalidConfig(&'static str),
    /// The resolver configuration file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    ResolvConf {
        /// Which file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A socket operation failed (binding the query socket, receiving).
    #[error("DNS socket error: {0}")]
    Io(#[from] io::Error),
    /// No name server answered in time, after every retry.
    #[error("no answer from any name server for {name} {rtype}")]
    Timeout {
        /// The name asked for.
        name: Name,
        /// The type asked for.
        rtype: RecordType,
    },
    /// The answer did not fit in a UDP datagram (TC set, RFC 1035 §4.1.1) and this
    /// resolver does not retry over TCP.
    #[error("answer for {name} {rtype} from {server} was truncated (TC)")]
    Truncated {
        /// The name asked for.
        name: Name,
        /// The type asked for.
        rtype: RecordType,
        /// The server that truncated it.
        server: SocketAddr,
    },
    /// Every name server answered with an error code (SERVFAIL, REFUSED...).
    #[error("name servers failed for {name} {rtype}: {rcode}")]
    ServerFailure {
        /// The name asked for.
        name: Name,
        /// The type asked for.
        rtype: RecordType,
        /// The last code received.
        rcode: Rcode,
    },
    /// A name server sent an answer to our query that is not a valid DNS message.
    #[error("malformed answer from {server}: {source}")]
    Malformed {
        /// Who sent it.
        server: SocketAddr,
        /// What is wrong with it.
        source: WireError,
    },
    /// A chain of aliases (CNAME) that is too long or loops.
    #[error("CNAME chain from {name} is too long or loops")]
    CnameChain {
        /// Where the chain started.
        name: Name,
    },
    /// The name exists nowhere in DNS, or has no address of the families asked for.
    #[error("no address found for {name}")]
    NotFound {
        /// The name.
        name: Name,
    },
    /// The domain's only SRV record has the target `.`: "the service is decidedly not
    /// available at this domain" (RFC 2782).
    #[error("{name} says it offers no SIP service over this transport (SRV target `.`)")]
    ServiceUnavailable {
        /// The SRV owner name.
        name: Name,
    },
}

impl Error {
    /// Whether trying again later may give another result: timeouts, server failures,
    /// malformed or truncated answers, socket errors. Spec and configuration errors are
    /// the caller's to fix; `NotFound` and `ServiceUnavailable` are answers (they may
    /// change when the zone does, at the negative-cache TTL).
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            Error::Io(_)
                | Error::Timeout { .. }
                | Error::Truncated { .. }
                | Error::ServerFailure { .. }
                | Error::Malformed { .. }
        )
    }
}

/// Result of this crate.
pub type Result<T> = std::result::Result<T, Error>;

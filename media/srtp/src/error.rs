//! The crate's error type.
//!
//! Packet faults ([`Error::AuthFailed`], [`Error::Replayed`], [`Error::TooShort`],
//! [`Error::BadHeader`], [`Error::KeyExhausted`], [`Error::TooManyStreams`]) mean "drop
//! this packet": they are what a peer (or an attacker on the path) sent, each is counted
//! in [`Stats`](crate::Stats), and the context is left as it was. The SDES variants are a
//! peer's bad or unacceptable `a=crypto` line. [`Error::WrongDirection`],
//! [`Error::BufferTooSmall`] and [`Error::InvalidPolicy`] are API misuse by the caller.

/// Everything that can go wrong in this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The authentication tag did not verify (RFC 3711 §3.3 step 5): forged, corrupted,
    /// or protected with another key. Dropped and counted.
    #[error("SRTP authentication failed")]
    AuthFailed,
    /// The packet index was already received, or is older than the replay window
    /// (RFC 3711 §3.3.2). On the sending side: the index was already used, and protecting
    /// it again would reuse keystream. Dropped and counted.
    #[error("SRTP packet replayed or too old for the replay window")]
    Replayed,
    /// Shorter than a header plus the trailer (SRTCP index, MKI, tag). Dropped and counted.
    #[error("packet too short for SRTP/SRTCP")]
    TooShort,
    /// Not RTP/RTCP version 2, or the CSRC list / header extension runs past the end.
    /// Dropped and counted.
    #[error("malformed RTP/RTCP header")]
    BadHeader,
    /// The master key has reached its lifetime (RFC 3711 §9.2: 2^48 SRTP or 2^31 SRTCP
    /// packets, or the smaller SDES lifetime): re-key. Counted.
    #[error("SRTP master key lifetime exhausted; re-key required")]
    KeyExhausted,
    /// A packet for a new SSRC arrived while the context already tracks its maximum
    /// number of streams. Dropped and counted.
    #[error("too many SRTP streams (SSRCs) in one context")]
    TooManyStreams,
    /// The MKI in the packet is not the one in the policy (RFC 3711 §3.3 step 2).
    /// Counted as an authentication failure.
    #[error("SRTP packet carries an unknown MKI")]
    UnknownMki,

    /// `protect_*` called on an inbound context, or `unprotect_*` on an outbound one.
    #[error("operation not allowed on a context of this direction")]
    WrongDirection,
    /// The caller's buffer has no room for the tag (and MKI / SRTCP index).
    #[error("buffer too small for the SRTP trailer")]
    BufferTooSmall,
    /// The [`Policy`](crate::Policy) is not usable (bad key derivation rate, zero streams).
    #[error("invalid SRTP policy: {0}")]
    InvalidPolicy(&'static str),

    /// An `a=crypto` line that does not follow RFC 4568 §9.1's grammar.
    #[error("malformed a=crypto attribute: {0}")]
    MalformedCrypto(&'static str),
    /// An `a=crypto` line naming a crypto-suite this crate does not implement.
    #[error("unsupported SRTP crypto-suite {0:?}")]
    UnsupportedSuite(String),
    /// An `a=crypto` session parameter that this crate does not accept
    /// (UNENCRYPTED_SRTP, UNENCRYPTED_SRTCP, UNAUTHENTICATED_SRTP, FEC_KEY, or an
    /// unknown mandatory one).
    #[error("unsupported SDES session parameter {0:?}")]
    UnsupportedSessionParam(String),
    /// More than one `inline:` key in one line (key lists need MKI-based key selection).
    #[error("a=crypto with more than one key is not supported")]
    MultipleKeys,
    /// No line of an offer names a supported suite with acceptable parameters.
    #[error("no acceptable a=crypto line in the offer")]
    NoAcceptableCrypto,
}

/// This crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

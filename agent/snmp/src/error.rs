//! Errors of the SNMP engine.
//!
//! Two kinds, kept apart as the design asks (peer misbehaviour vs API misuse):
//!
//! * [`DecodeError`] — bytes from the network are not a well-formed SNMP message (BER,
//!   bounds). The engine never returns it from [`Engine::handle`](crate::Engine::handle):
//!   such datagrams are dropped and counted (`snmpInASNParseErrs`); the manager client
//!   returns it inside [`Error::Decode`].
//! * [`Error`] — the caller gave something unusable: a configuration that names an unknown
//!   view or user, a password that is too short, an OID string that does not parse.
//!
//! Protocol outcomes (a Report, an error-status in a Response, an inform that was never
//! acknowledged) are data, not errors.

/// Why a datagram is not a well-formed SNMP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The data ends inside a tag, length or value.
    #[error("truncated BER")]
    Truncated,
    /// The indefinite length form, or a length of more than 4 octets (RFC 3417 §8).
    #[error("unsupported BER length form")]
    BadLength,
    /// A tag other than the one the grammar expects here.
    #[error("unexpected tag 0x{found:02x}")]
    UnexpectedTag {
        /// The tag octet found.
        found: u8,
    },
    /// A high-tag-number form tag (SNMP uses only single-octet tags).
    #[error("multi-octet tag")]
    LongTag,
    /// An OID sub-identifier padded with leading 0x80 octets (X.690 §8.19.2).
    #[error("0x80 padding in a sub-identifier")]
    NonMinimal,
    /// A value outside its type's range (a 33-bit Counter32, a 6-octet INTEGER...).
    #[error("value out of range")]
    OutOfRange,
    /// An OBJECT IDENTIFIER that is empty, longer than 128 sub-identifiers, or has a
    /// sub-identifier above 2^32-1 (RFC 3416 §4.1: at most 128 sub-identifiers).
    #[error("invalid OBJECT IDENTIFIER")]
    BadOid,
    /// Octets left over after a complete element where none may be.
    #[error("trailing data")]
    TrailingData,
    /// The datagram is larger than the engine accepts.
    #[error("message too large")]
    TooLarge,
    /// A field has a value the protocol forbids (an unknown PDU type, msgFlags priv
    /// without auth, a version that does not exist...).
    #[error("invalid field: {0}")]
    Invalid(&'static str),
}

/// What the caller did wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The engine or client configuration is unusable; the text says which part.
    #[error("invalid SNMP configuration: {0}")]
    Config(String),
    /// An OID string did not parse (`"1.3.6.1.2.1"` form, optional leading dot).
    #[error("invalid OID {0:?}")]
    OidSyntax(String),
    /// An IP network string did not parse (`"192.0.2.0/24"`, `"2001:db8::/32"`, or a bare
    /// address).
    #[error("invalid IP network {0:?}")]
    NetSyntax(String),
    /// A datagram given to the manager client is not a well-formed SNMP message.
    #[error("malformed SNMP message: {0}")]
    Decode(#[from] DecodeError),
    /// A datagram given to the manager client is well-formed but answers nothing the
    /// client asked, or fails its security checks; the text says which.
    #[error("unexpected SNMP message: {0}")]
    Unexpected(String),
}

/// Result with the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

//! Errors of the UDPTL layer.
//!
//! Kept apart as the design asks (peer misbehaviour vs API misuse):
//!
//! * [`DecodeError`] — a datagram from the network is malformed (or too large for us). `Copy`,
//!   so a receiver counts it without allocating.
//! * [`IfpError`] — an IFP packet fails the structural check of T.38 Annex A.
//! * [`EncodeError`] — what the caller asked the encoder for cannot be sent.
//! * [`Error`] — any of the above, with [`Result`].

/// Why a UDPTL datagram was rejected (T.38 §9.1, Annex A; X.691 aligned PER).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The datagram ends inside a field.
    #[error("truncated UDPTL datagram")]
    Truncated,
    /// A length determinant uses the fragmented form (first octet 0xC0..0xFF), which a UDPTL
    /// datagram never needs (X.691 §11.9.3.8).
    #[error("fragmented length determinant (0x{0:02X})")]
    Fragmented(u8),
    /// The primary IFP packet is empty (an IFP is at least one octet).
    #[error("empty primary IFP packet")]
    EmptyPrimary,
    /// `fec-npackets` is negative or wider than 32 bits.
    #[error("fec-npackets is not a non-negative 32-bit integer")]
    BadFecNpackets,
    /// Octets follow the end of the UDPTL packet.
    #[error("{0} octets after the end of the UDPTL packet")]
    TrailingBytes(usize),
    /// An IFP (primary, secondary or FEC entry) is larger than the configured `max_ifp`.
    #[error("IFP of {len} octets exceeds the limit of {max}")]
    IfpTooLarge {
        /// Its length.
        len: usize,
        /// The configured limit.
        max: usize,
    },
}

/// Why an IFP packet failed [`check_ifp`](crate::check_ifp) (T.38 Annex A, X.691 aligned PER).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum IfpError {
    /// The packet ends inside a field.
    #[error("truncated IFP packet")]
    Truncated,
    /// Octets follow the end of the IFP packet.
    #[error("{0} octets after the end of the IFP packet")]
    TrailingBytes(usize),
    /// The data-field count uses the fragmented length form.
    #[error("fragmented length determinant in the data field")]
    Fragmented,
    /// A `t30-indicator` value unknown to this T.38 version.
    #[error("unknown t30-indicator {0}")]
    UnknownIndicator(u8),
    /// A `t30-data` value unknown to this T.38 version.
    #[error("unknown t30-data {0}")]
    UnknownData(u8),
    /// A `field-type` value unknown to this T.38 version.
    #[error("unknown field-type {0}")]
    UnknownFieldType(u8),
    /// An extension-addition index too large for the normally-small form (X.691 §10.6).
    #[error("enumeration extension index out of range")]
    ExtensionOutOfRange,
    /// An indicator packet carrying a data field (T.38 §6.2.1: indicators carry none).
    #[error("t30-indicator packet with a data field")]
    IndicatorWithData,
}

/// Why [`Encoder::encode`](crate::Encoder::encode) refused an IFP (API misuse or a far end
/// whose `T38FaxMaxDatagram` is too small).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// An empty IFP packet (an IFP is at least one octet).
    #[error("empty IFP packet")]
    EmptyIfp,
    /// The IFP would need a fragmented length determinant (16384 octets or more).
    #[error("IFP of {0} octets needs a fragmented length (at most 16383)")]
    IfpTooLarge(usize),
    /// The primary IFP alone does not fit in the far end's `T38FaxMaxDatagram`.
    #[error("datagram of {needed} octets exceeds the far end's maximum of {max}")]
    DatagramTooSmall {
        /// Octets the smallest datagram carrying this IFP needs.
        needed: usize,
        /// The far end's maximum datagram.
        max: usize,
    },
}

/// Any error of this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A malformed datagram.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A malformed IFP packet.
    #[error(transparent)]
    Ifp(#[from] IfpError),
    /// An IFP that cannot be sent.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

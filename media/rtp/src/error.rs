//! Errors of the RTP layer.
//!
//! Three kinds, kept apart as the design asks (peer misbehaviour vs API misuse):
//!
//! * [`RtpError`] and [`RtcpError`] — a datagram from the network is malformed. They are
//!   `Copy` so a session can count drops per reason without allocating.
//! * [`EventError`] — an RFC 4733 telephone-event payload is malformed.
//! * [`Error`] — what a caller of this crate gets: one of the above, or a misuse of the API
//!   (buffer too small, value out of range).

/// Why an RTP packet was rejected (RFC 3550 §5.1, §5.3.1; RFC 8285).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum RtpError {
    /// Fewer than the 12 bytes of the fixed header.
    #[error("shorter than the 12-byte fixed header ({len} bytes)")]
    TooShort {
        /// Length of the datagram.
        len: usize,
    },
    /// The version field is not 2.
    #[error("version {0}, expected 2")]
    BadVersion(u8),
    /// The CSRC count says more identifiers than the datagram holds.
    #[error("CSRC count {count} runs past the end of the packet")]
    CsrcOverrun {
        /// The CC field.
        count: u8,
    },
    /// The X bit is set but the 4-byte extension header does not fit.
    #[error("header extension header runs past the end of the packet")]
    ExtensionHeaderOverrun,
    /// The header extension length runs past the end of the packet.
    #[error("header extension of {words} words runs past the end of the packet")]
    ExtensionOverrun {
        /// The extension's length field (32-bit words).
        words: u16,
    },
    /// The P bit is set but the datagram has no room for the padding count.
    #[error("padding bit set on a packet without payload")]
    PaddingMissing,
    /// The padding count is zero (it includes itself, so at least 1).
    #[error("padding count is zero")]
    PaddingZero,
    /// The padding count exceeds the bytes after the header.
    #[error("padding count {padding} exceeds the {available} bytes after the header")]
    PaddingOverrun {
        /// The padding count (last byte).
        padding: u8,
        /// Bytes available after the header (payload + padding).
        available: usize,
    },
    /// An RFC 8285 extension element runs past the extension block.
    #[error("header extension element runs past the extension block")]
    ExtensionElementOverrun,
}

/// Why an RTCP compound packet was rejected (RFC 3550 §6.4–6.6, Appendix A.2; RFC 3611).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum RtcpError {
    /// Empty datagram or fewer than the 4 bytes of a common header.
    #[error("shorter than an RTCP header")]
    TooShort,
    /// A packet's version is not 2.
    #[error("version {0}, expected 2")]
    BadVersion(u8),
    /// A packet's length field runs past the datagram.
    #[error("length field runs past the end of the compound packet")]
    LengthOverrun,
    /// The first packet of the compound is not SR or RR (A.2).
    #[error("first packet is type {0}, not SR or RR")]
    FirstNotReport(u8),
    /// A packet other than the last has the P bit set (A.2).
    #[error("padding on a packet that is not the last of the compound")]
    PaddingNotLast,
    /// The padding count is zero or exceeds the packet.
    #[error("bad padding count")]
    BadPadding,
    /// SR/RR report count runs past the packet.
    #[error("report blocks run past the packet")]
    ReportOverrun,
    /// SR shorter than the sender info.
    #[error("sender report shorter than its sender info")]
    SenderInfoTruncated,
    /// SDES chunk or item runs past the packet, or chunk count mismatch.
    #[error("SDES chunk malformed")]
    BadSdes,
    /// BYE SSRC list or reason runs past the packet.
    #[error("BYE malformed")]
    BadBye,
    /// APP packet shorter than its SSRC and name.
    #[error("APP packet too short")]
    BadApp,
    /// XR packet or one of its report blocks is malformed.
    #[error("XR report block malformed")]
    BadXr,
    /// The compound packet carries no SDES CNAME (RFC 3550 §6.1).
    #[error("compound packet without an SDES CNAME")]
    MissingCname,
}

/// Why an RFC 4733 telephone-event payload was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// The payload is empty or not a multiple of the 4-byte event block.
    #[error("telephone-event payload of {0} bytes is not a positive multiple of 4")]
    BadLength(usize),
}

/// Errors returned by this crate's API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A malformed RTP packet (peer misbehaviour).
    #[error("malformed RTP packet: {0}")]
    Rtp(#[from] RtpError),
    /// A malformed RTCP packet (peer misbehaviour).
    #[error("malformed RTCP packet: {0}")]
    Rtcp(#[from] RtcpError),
    /// A malformed telephone-event payload (peer misbehaviour).
    #[error("malformed telephone-event: {0}")]
    Event(#[from] EventError),
    /// The caller's output buffer cannot hold what is to be written.
    #[error("buffer too small: need {needed} bytes, have {available}")]
    BufferTooSmall {
        /// Bytes required.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// A value given by the caller is out of range (API misuse).
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Check that `buf` can hold `needed` bytes.
pub(crate) fn ensure_room(buf: &[u8], needed: usize) -> Result<()> {
    if buf.len() < needed {
        Err(Error::BufferTooSmall {
            needed,
            available: buf.len(),
        })
    } else {
        Ok(())
    }
}

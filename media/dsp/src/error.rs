//! Errors of this crate.

/// What went wrong in a call into this crate.
///
/// Faults in received signals (a caller-ID message with a bad checksum, say) are also
/// reported here, by [`crate::callerid::decode`]; everything else is API misuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A character that is not a DTMF digit (`0-9`, `*`, `#`, `A-D`).
    #[error("invalid DTMF digit {0:?}")]
    InvalidDigit(char),
    /// Too few bytes for a whole message.
    #[error("message truncated: need {needed} bytes, have {have}")]
    Truncated {
        /// Bytes the message header says are needed.
        needed: usize,
        /// Bytes available.
        have: usize,
    },
    /// The message checksum does not match its content.
    #[error("bad checksum: computed {computed:#04x}, received {received:#04x}")]
    BadChecksum {
        /// The checksum computed over the received bytes.
        computed: u8,
        /// The checksum byte received.
        received: u8,
    },
    /// A message type this crate does not know.
    #[error("unknown message type {0:#04x}")]
    UnknownMessageType(u8),
    /// A message whose content is not valid for its type.
    #[error("malformed message: {0}")]
    Malformed(&'static str),
    /// A configuration value out of its documented range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
    /// A frame whose length is not what the call needs (a multiple of 80 samples, both
    /// directions the same length).
    #[error("bad frame length: {len} samples ({reason})")]
    FrameLength {
        /// Samples passed.
        len: usize,
        /// What was expected.
        reason: &'static str,
    },
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

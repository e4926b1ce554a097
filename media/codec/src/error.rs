//! Codec errors.

/// Why a codec refused input or could not be created.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
#[non_exhaustive]
pub enum Error {
    /// The PCM or payload length is not a whole number of codec frames.
    #[error("{codec}: length {len} is not a whole number of {frame}-unit frames")]
    FrameLength {
        /// The codec's name.
        codec: &'static str,
        /// The length given.
        len: usize,
        /// The codec's frame size in the unit of `len`.
        frame: usize,
    },
    /// The codec exists but this build does not contain it (a cargo feature is off).
    #[error("{codec}: not compiled in (enable cargo feature `{feature}`)")]
    NotCompiled {
        /// The codec's name.
        codec: &'static str,
        /// The cargo feature that adds it.
        feature: &'static str,
    },
    /// The SDP encoding name / clock rate pair names no codec this crate knows.
    #[error("unknown codec {name}/{clock}")]
    UnknownCodec {
        /// The SDP encoding name given.
        name: String,
        /// The RTP clock rate given.
        clock: u32,
    },
    /// A parameter is outside what the codec supports (a bitrate, a mode, a sample rate).
    #[error("{codec}: unsupported parameter: {what}")]
    Unsupported {
        /// The codec's name.
        codec: &'static str,
        /// What was refused.
        what: String,
    },
    /// The peer sent a payload the codec cannot read (peer misbehaviour, not API misuse).
    #[error("{codec}: malformed payload: {what}")]
    Payload {
        /// The codec's name.
        codec: &'static str,
        /// What is wrong with it.
        what: String,
    },
    /// The codec library behind a feature-gated codec reported an error.
    #[error("{codec}: library error: {what}")]
    Backend {
        /// The codec's name.
        codec: &'static str,
        /// The library's message.
        what: String,
    },
}

/// Result of codec operations.
pub type Result<T> = std::result::Result<T, Error>;

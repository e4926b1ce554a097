//! Media session errors.

/// Why a media session could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value out of range; names the field.
    #[error("media config: {field}: {reason}")]
    Config {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The codec cannot be built (not compiled in, bad parameters).
    #[error("codec: {0}")]
    Codec(#[from] tipring_codec::Error),
    /// SRTP keys or policy refused.
    #[error("SRTP: {0}")]
    Srtp(#[from] tipring_srtp::Error),
    /// The jitter buffer refused its configuration.
    #[error("jitter buffer: {0}")]
    Jitter(#[from] tipring_jitter::Error),
    /// The echo canceller refused its configuration.
    #[error("echo canceller: {0}")]
    Dsp(#[from] tipring_dsp::Error),
}

/// Result of media session set-up.
pub type Result<T> = std::result::Result<T, Error>;

//! Errors of the hardware abstraction layer.

use crate::port::LineFeed;

/// Everything that can go wrong when driving an FXS port or configuring the simulator.
///
/// These are API-misuse or backend errors; line events (hook flashes, hang-ups) are data,
/// reported through [`crate::FxsPort::poll_event`].
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A [`crate::HookTiming`] whose windows are empty or overlap.
    #[error("invalid hook timing: {0}")]
    InvalidHookTiming(&'static str),
    /// The backend cannot apply this line feed (hardware fault or unsupported state).
    #[error("line feed {0:?} is not supported by this backend")]
    UnsupportedFeed(LineFeed),
    /// A digit the keypad or rotary dial does not have.
    #[error("invalid digit {digit:?} for the {what}")]
    InvalidDigit {
        /// The offending character.
        digit: char,
        /// Which input rejected it ("keypad", "rotary dial", "type 2 acknowledgement").
        what: &'static str,
    },
    /// A simulator configuration value out of range.
    #[error("invalid simulator configuration: {0}")]
    InvalidConfig(String),
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

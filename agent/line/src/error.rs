//! Errors of the line crate: configuration the caller got wrong, and port tests the line
//! cannot take now.
//!
//! Faults of the line itself (a number the dial plan refuses, a caller who hangs up) are not
//! errors: they are events in the state machine's outputs.

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The dial plan text is not valid; `position` is the byte offset of the fault.
    #[error("dial plan: at position {position}: {message}")]
    DialPlan {
        /// Byte offset into the dial plan text.
        position: usize,
        /// What is wrong there.
        message: String,
    },
    /// A configuration field has a value the line cannot use.
    #[error("line config: {field}: {message}")]
    Config {
        /// The field's name, e.g. `timers.interdigit_short`.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A port test ([`crate::PortDriver::start_test`]) cannot run now; the reason is one
    /// line for the installer (`the phone is off hook (hang it up to ring it)`).
    #[error("port test refused: {0}")]
    TestRefused(String),
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

//! Errors of this crate: only API misuse (a bad configuration). Peer misbehaviour (late,
//! duplicate, garbage packets) is never an error: it is counted and reported as an event.

/// What went wrong.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is out of range; the text names the field and the rule.
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

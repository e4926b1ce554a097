//! The crate's error: a number that is not one of an enumeration's values.
//!
//! Written out by hand (Display, std::error::Error) rather than with `thiserror`, to
//! keep the crate free of dependencies.

use std::fmt;

/// What can go wrong with this crate's conversions.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// An INTEGER that is not one of the named numbers of an enumerated type
    /// (RFC 2578 §7.1.1: only the named numbers are valid values); for example a
    /// `tipringRegState` of 9.
    UnknownValue {
        /// The Rust enum (`RegState`, `IfOperStatus`, ...).
        enumeration: &'static str,
        /// The number received.
        value: i32,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnknownValue { enumeration, value } => {
                write!(f, "{value} is not a value of {enumeration}")
            }
        }
    }
}

impl std::error::Error for Error {}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

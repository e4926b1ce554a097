//! The crate's error type.

use std::path::PathBuf;

/// What went wrong in a fax channel or a test document.
///
/// [`FaxError::RejectedIfp`] is the far end's fault (a packet spandsp could not
/// parse); the others are the caller's (a bad configuration or path) or the file
/// system's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FaxError {
    /// A configuration value is out of range (API misuse).
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// spandsp could not allocate or initialise one of its objects.
    #[error("spandsp could not create the {0}")]
    Init(&'static str),
    /// The peer sent an IFP packet that spandsp rejected (truncated, unknown
    /// type, bad length). Peer misbehaviour: count it and carry on.
    #[error("IFP packet seq {seq} ({len} octets) rejected by spandsp")]
    RejectedIfp {
        /// The UDPTL sequence number it arrived with.
        seq: u16,
        /// Its length in octets.
        len: usize,
    },
    /// A path that cannot be handed to C (not UTF-8, or containing NUL).
    #[error("path cannot be passed to spandsp: {0}")]
    BadPath(PathBuf),
    /// A file could not be read or written.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A TIFF file could not be opened or decoded.
    #[error("TIFF {path}: {reason}")]
    Tiff {
        /// The file.
        path: PathBuf,
        /// What libtiff (or our reader) objected to.
        reason: String,
    },
}

/// `Result` with [`FaxError`].
pub type Result<T> = std::result::Result<T, FaxError>;

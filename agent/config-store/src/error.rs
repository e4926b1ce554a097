//! Errors of the configuration store.

use std::path::PathBuf;

use tipring_config::ConfigErrors;

/// What can go wrong storing or loading the configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The document was refused (API misuse: validate before storing); nothing was written.
    #[error(transparent)]
    Invalid(#[from] ConfigErrors),
    /// The stored form of the document would exceed the file size limit; nothing was
    /// written.
    #[error("the stored document would be {size} bytes, more than the {limit}-byte limit")]
    TooLarge {
        /// Bytes the file would have.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Neither `config.json` nor `config.prev.json` exists: nothing was ever stored here.
    #[error("no configuration stored in {}", dir.display())]
    Empty {
        /// The store's directory.
        dir: PathBuf,
    },
    /// Files exist but none holds a valid configuration.
    #[error(
        "no valid configuration in {}: config.json: {current}; config.prev.json: {previous}",
        dir.display()
    )]
    NoValidConfig {
        /// The store's directory.
        dir: PathBuf,
        /// Why `config.json` was refused.
        current: String,
        /// Why `config.prev.json` was refused.
        previous: String,
    },
    /// `rollback` found no valid previous version.
    #[error("no previous configuration to roll back to: {reason}")]
    NoPrevious {
        /// Why `config.prev.json` cannot be used.
        reason: String,
    },
    /// A file system operation failed. The files on disk still hold a valid configuration
    /// (the old one or the new one).
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// The operation (`write`, `fsync`, `rename`, ...).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

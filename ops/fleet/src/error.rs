//! The fleet's errors.

/// What went wrong building or running a fleet (a failed CWMP session is not an error: it
/// is counted in [`Stats`](crate::Stats)).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The ACS URL does not parse.
    #[error("ACS URL {url}: {why}")]
    AcsUrl {
        /// The URL given.
        url: String,
        /// Why it was refused.
        why: String,
    },
    /// The settings contradict themselves (no devices, a zero interval...).
    #[error("fleet settings: {0}")]
    Config(String),
    /// A password file could not be read or has a bad line.
    #[error("password file {path}: {why}")]
    PasswordFile {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
    /// The in-process provisioner of the lab could not be started or set up.
    #[error("lab provisioner: {0}")]
    Lab(String),
}

/// The fleet's results.
pub type Result<T> = std::result::Result<T, Error>;

//! The harness's error type.
//!
//! Every variant that concerns a running peer names the peer's log file and carries the
//! last lines of it, so a test that fails with `.expect()` shows why without a second run.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// What can go wrong while starting, driving or querying a peer.
///
/// A peer *answering* something a test did not want (a 401 for a wrong password, a failed
/// SIPp call) is not an error: it is data in [`crate::peers::SippOutcome`]. These variants
/// are for a peer that could not be run or did not behave like a process at all.
///
/// Its `Debug` output is its message (with the log tail on real lines), so a test's
/// `.unwrap()` shows the reason, the log path and the install command as they are.
#[non_exhaustive]
#[derive(thiserror::Error)]
pub enum Error {
    /// An external program the test needs is not installed.
    #[error(
        "`{tool}` not found (searched PATH, /usr/sbin, /usr/local/sbin, /sbin): \
         run `ops/install-deps` or `apt-get install {package}`"
    )]
    MissingTool {
        /// The program looked for, e.g. `kamailio`.
        tool: &'static str,
        /// The Debian package that provides it, e.g. `sip-tester` for `sipp`.
        package: &'static str,
    },

    /// The caller asked for something the harness cannot express (a password with a `"` in
    /// it, a scenario file that does not exist, ...).
    #[error("invalid peer configuration: {0}")]
    InvalidConfig(String),

    /// An operating-system call failed.
    #[error("{what}: {source}")]
    Io {
        /// What the harness was doing.
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The peer started but did not answer in time.
    #[error("{peer} was not ready after {waited:?}; log {}:\n{tail}", log.display())]
    NotReady {
        /// Which peer, e.g. `kamailio`.
        peer: String,
        /// How long the harness waited.
        waited: Duration,
        /// Its log file, or the directory of its logs.
        log: PathBuf,
        /// The last lines of the log.
        tail: String,
    },

    /// The peer exited when it should have kept running, or exited without producing
    /// its results (e.g. SIPp rejected the scenario file).
    #[error("{peer} exited ({status}); log {}:\n{tail}", log.display())]
    Exited {
        /// Which peer.
        peer: String,
        /// Its exit status, as text.
        status: String,
        /// Its log file, or the directory of its logs.
        log: PathBuf,
        /// The last lines of the log.
        tail: String,
    },

    /// The peer was still running when the caller's deadline passed; it has been stopped.
    #[error("{peer} was still running after {waited:?} and was stopped; log {}:\n{tail}", log.display())]
    Timeout {
        /// Which peer.
        peer: String,
        /// The deadline that passed.
        waited: Duration,
        /// Its log file, or the directory of its logs.
        log: PathBuf,
        /// The last lines of the log.
        tail: String,
    },

    /// A test certificate could not be made, or a TLS client could not be set up from
    /// what it was given (no certificate in a CA file, ...). A handshake a peer refuses
    /// is an [`Error::Io`].
    #[error("TLS setup: {0}")]
    Tls(String),

    /// A Kamailio module the configuration needs is not installed (its package is not).
    #[error(
        "Kamailio module `{module}` is not installed: run `ops/install-deps` or \
         `apt-get install {package}`; log {}:\n{tail}", log.display()
    )]
    MissingModule {
        /// The module file, e.g. `tls.so`.
        module: &'static str,
        /// The Debian package that provides it, e.g. `kamailio-tls-modules`.
        package: &'static str,
        /// Kamailio's log, which says so.
        log: PathBuf,
        /// The last lines of the log.
        tail: String,
    },

    /// A management command (`kamcmd`) failed.
    #[error("`{command}` failed: {detail}")]
    Rpc {
        /// The command line.
        command: String,
        /// Its exit status and output.
        detail: String,
    },
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Result type of the harness.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An [`Error::Io`] with a description of what was being done.
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_is_the_message() {
        let err = Error::MissingTool {
            tool: "sipp",
            package: "sip-tester",
        };
        let debug = format!("{err:?}");
        assert_eq!(debug, err.to_string());
        assert!(debug.contains("apt-get install sip-tester"), "{debug}");
    }
}

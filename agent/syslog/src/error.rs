//! Errors of the syslog crate.
//!
//! Only the caller's mistakes (a configuration that cannot work) and an unfinished
//! shutdown are errors. Failures to reach the collector are not: the sender retries with
//! back-off and counts them in [`SyslogStats`](crate::SyslogStats), since logging must
//! never take the gateway down.

/// A syslog error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A field of [`SyslogConfig`](crate::SyslogConfig) is unusable.
    #[error("syslog configuration: `{field}` {reason}")]
    Config {
        /// The field's name (`server`, `facility`, `transport.ca`, ...).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// [`SyslogHandle::shutdown`](crate::SyslogHandle::shutdown) ran out of time before
    /// the queue was sent.
    #[error("syslog shutdown: {unsent} queued messages not sent within the timeout")]
    ShutdownTimeout {
        /// How many messages were still queued (not counting one being written).
        unsent: usize,
    },
}

impl Error {
    pub(crate) fn config(field: &'static str, reason: impl Into<String>) -> Self {
        Error::Config {
            field,
            reason: reason.into(),
        }
    }
}

/// Result of this crate.
pub type Result<T> = std::result::Result<T, Error>;

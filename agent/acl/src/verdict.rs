//! What a screen decides about one packet or connection.

use std::fmt;

/// Why a packet (or connection) is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The source is not in the service's allow-list.
    NotAllowed,
    /// The message is a known scanner's (see
    /// [`SCANNER_USER_AGENTS`](crate::SCANNER_USER_AGENTS)); the source is now blocked.
    Scanner,
    /// The source is over its rate (for a [`Gate`](crate::Gate): the per-source rate limit).
    Flood,
    /// The source is blocked for a while after a scanner message or a flood.
    Blocked,
}

impl Reason {
    /// A short, stable name for logs and metric labels: `not_allowed`, `scanner`,
    /// `flood`, `blocked`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NotAllowed => "not_allowed",
            Reason::Scanner => "scanner",
            Reason::Flood => "flood",
            Reason::Blocked => "blocked",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reason::NotAllowed => "source not in the allow-list",
            Reason::Scanner => "known SIP scanner",
            Reason::Flood => "source over its rate limit",
            Reason::Blocked => "source blocked for a while",
        })
    }
}

impl std::error::Error for Reason {}

/// The decision on one received SIP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Hand the message to the SIP stack.
    Accept,
    /// Drop it silently (no response: a response tells a scanner there is a SIP stack here).
    Drop(Reason),
}

impl Verdict {
    /// Whether the message goes on to the SIP stack.
    pub fn is_accept(self) -> bool {
        self == Verdict::Accept
    }
}

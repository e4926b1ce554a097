//! Errors of the access-control crate.
//!
//! Only the caller's mistakes are errors: an allow-list entry that is not a network. What
//! peers send is never an error here; it is a [`Verdict`](crate::Verdict).

use std::fmt;

/// An access-control error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An entry of an allow-list is unusable.
    #[error("allow-list entry {index}: {problem}")]
    Entry {
        /// The entry's position in the list, from 0 (as in a configuration path,
        /// `admin.allow[2]`).
        index: usize,
        /// The entry as given.
        entry: String,
        /// What is wrong with it (its message names the entry again, so it reads on its
        /// own beside a configuration path).
        problem: EntryProblem,
    },
}

/// The name the agent's configuration validation uses for [`Error`].
pub type AclError = Error;

/// Result of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Why an allow-list entry was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryProblem {
    /// The entry is empty (or only white space).
    Empty,
    /// The part before any `/` is not an IPv4 or IPv6 address.
    BadAddress {
        /// The entry as given.
        entry: String,
    },
    /// The part after the `/` is not a number of bits.
    BadPrefix {
        /// The entry as given.
        entry: String,
    },
    /// The prefix is longer than the address (`/33` on IPv4, `/129` on IPv6).
    PrefixTooLong {
        /// The entry as given.
        entry: String,
        /// The prefix length given.
        prefix: u32,
        /// The address's length in bits (32 or 128).
        max: u8,
    },
    /// The address has bits set past the prefix (`10.0.0.1/8`): most likely a typo for
    /// the network or for a host, so it is refused rather than guessed.
    HostBitsSet {
        /// The entry as given.
        entry: String,
        /// The network the prefix covers (`10.0.0.0/8`).
        network: String,
    },
}

impl fmt::Display for EntryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryProblem::Empty => f.write_str("the entry is empty"),
            EntryProblem::BadAddress { entry } => write!(
                f,
                "{entry:?} is not an IP address or network \
                 (like 192.0.2.7, 192.0.2.0/24 or 2001:db8::/32)"
            ),
            EntryProblem::BadPrefix { entry } => write!(
                f,
                "{entry:?} has a bad prefix length (the number of network bits after the /)"
            ),
            EntryProblem::PrefixTooLong { entry, prefix, max } => {
                let family = if *max == 32 { "an IPv4" } else { "an IPv6" };
                write!(
                    f,
                    "{entry:?}: the prefix /{prefix} is longer than the {max} bits of {family} address"
                )
            }
            EntryProblem::HostBitsSet { entry, network } => {
                write!(f, "{entry} has host bits set; did you mean {network}?")
            }
        }
    }
}

//! Errors of the firmware slots.

use std::path::PathBuf;

use crate::Slot;

/// What can go wrong installing, booting or reading the slots.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The image (header or payload) was refused; the inactive slot was wiped and the
    /// active one never touched. [`Error::fault_code`] gives the TR-069 fault.
    #[error(transparent)]
    Firmware(#[from] tipring_firmware::Error),
    /// An install was asked for while the active slot runs on trial (booted but not yet
    /// confirmed): the inactive slot is the way back, so it is not overwritten until
    /// [`Slots::confirm`](crate::Slots::confirm) (API misuse by the agent).
    #[error("{active} runs on trial: confirm it before installing into the other slot")]
    TrialInProgress {
        /// The slot on trial.
        active: Slot,
    },
    /// The payload does not fit in a slot; nothing was written.
    #[error("payload of {size} bytes does not fit the {capacity}-byte slot")]
    TooLarge {
        /// The manifest's `payload_size`.
        size: u64,
        /// The slot capacity.
        capacity: u64,
    },
    /// [`Slots::boot_next`](crate::Slots::boot_next) named a slot that cannot boot next.
    #[error("{slot} cannot boot next: {reason}")]
    NotBootable {
        /// The slot.
        slot: Slot,
        /// Why not.
        reason: String,
    },
    /// An installer was used after it failed (it already cleaned up; start again).
    #[error("the install already failed; begin a new one")]
    InstallClosed,
    /// `boot.json` is unreadable or inconsistent (it is only ever replaced atomically, so
    /// this means outside damage: a hand edit, a file system that lied about `fsync`).
    #[error("bad boot state {}: {reason}", path.display())]
    BadState {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Neither slot holds an image that passes its check (outside damage).
    #[error("no bootable slot: {reason}")]
    NoBootableSlot {
        /// What was wrong with the candidates.
        reason: String,
    },
    /// A file system operation failed. `boot.json` still describes a bootable state.
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

impl Error {
    /// The TR-069 fault code (Amendment 6 §A.5.1) for the TransferComplete of the Download
    /// that failed this way; every code is one that cwmp-1-2.xsd's
    /// `TransferCompleteCPEFaultCodeType` allows. An image refusal keeps
    /// [`tipring_firmware::Error::fault_code`] (9018 corrupted, 9019 authentication, 9010
    /// not for this device); a payload too large for the slot is 9010; an install during a
    /// trial boot is 9001 (request denied); the device's own failures (I/O, damaged state)
    /// are 9002 (internal error).
    pub fn fault_code(&self) -> u32 {
        match self {
            Error::Firmware(e) => e.fault_code(),
            Error::TooLarge { .. } => tipring_firmware::fault::FILE_TRANSFER_FAILURE,
            Error::TrialInProgress { .. } | Error::NotBootable { .. } => 9001,
            Error::InstallClosed
            | Error::BadState { .. }
            | Error::NoBootableSlot { .. }
            | Error::Io { .. } => tipring_firmware::fault::INTERNAL_ERROR,
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

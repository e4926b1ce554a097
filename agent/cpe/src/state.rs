//! What the CPE must remember across reboots (TR-069 Amendment 6 §3.7.1.5, Table 8).
//!
//! Events that must not be lost (0 BOOTSTRAP, 7 TRANSFER COMPLETE, the `M` events) and the
//! TransferComplete calls not yet acknowledged are kept here until the ACS has them; the
//! engine emits [`crate::Output::Persist`] whenever this changes and the shell writes it
//! atomically. Events that a reboot makes moot (2 PERIODIC, 3 SCHEDULED, 4 VALUE CHANGE,
//! 8 DIAGNOSTICS COMPLETE) are dropped at boot; 6 CONNECTION REQUEST is never retried.

use serde::{Deserialize, Serialize};

/// One pending Inform event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingEvent {
    /// `1 BOOT`, `M Download`...
    pub code: String,
    /// The CommandKey of an `M` event (empty otherwise).
    #[serde(default)]
    pub command_key: String,
}

/// A finished transfer to report with TransferComplete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinishedTransfer {
    /// The Download/Upload's CommandKey.
    pub command_key: String,
    /// 0 on success, else the fault code (9010, 9018, 9019...).
    pub fault_code: u32,
    /// The fault string (empty on success).
    #[serde(default)]
    pub fault_string: String,
    /// When the transfer started and completed (Unix seconds; 0: unknown).
    pub start: i64,
    /// See `start`.
    pub complete: i64,
    /// Whether it was a Download (else an Upload): picks `M Download` / `M Upload`.
    pub download: bool,
}

/// A transfer the ACS asked for that has not finished (Download/Upload with a delay, or in
/// progress), for GetQueuedTransfers and for resuming after a reboot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedTransfer {
    /// CommandKey.
    pub command_key: String,
    /// Download (true) or Upload.
    pub download: bool,
    /// FileType ("1 Firmware Upgrade Image", "3 Vendor Configuration File"...).
    pub file_type: String,
    /// URL.
    pub url: String,
    /// Credentials for the file server (kept so the transfer survives a reboot; the shell's
    /// state file is mode 0600).
    #[serde(default)]
    pub username: String,
    /// See `username`.
    #[serde(default)]
    pub password: String,
    /// FileSize (0: unknown).
    #[serde(default)]
    pub file_size: u32,
    /// TargetFileName.
    #[serde(default)]
    pub target_file_name: String,
    /// When to start (Unix seconds).
    pub due: i64,
    /// Started (handed to the shell).
    #[serde(default)]
    pub started: bool,
}

/// A ScheduleInform waiting to come due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledInform {
    /// Due (Unix seconds).
    pub due: i64,
    /// Its CommandKey.
    pub command_key: String,
}

/// The persisted part of the engine.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PersistedState {
    /// The ACS URL the CPE last bootstrapped with (a new URL means 0 BOOTSTRAP again).
    #[serde(default)]
    pub bootstrapped_url: Option<String>,
    /// Events not yet delivered.
    #[serde(default)]
    pub events: Vec<PendingEvent>,
    /// TransferComplete calls not yet acknowledged.
    #[serde(default)]
    pub finished: Vec<FinishedTransfer>,
    /// Transfers waiting or running.
    #[serde(default)]
    pub queued: Vec<QueuedTransfer>,
    /// ScheduleInform requests not yet due.
    #[serde(default)]
    pub scheduled: Vec<ScheduledInform>,
}

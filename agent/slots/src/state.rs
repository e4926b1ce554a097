//! `boot.json`: which slot runs, which boots next, the trial and each slot's record.

use serde::{Deserialize, Serialize};

/// One of the two firmware slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Slot {
    /// `slot-a`, `Device.DeviceInfo.FirmwareImage.1`.
    A,
    /// `slot-b`, `Device.DeviceInfo.FirmwareImage.2`.
    B,
}

impl Slot {
    /// Both slots, A first.
    pub const ALL: [Slot; 2] = [Slot::A, Slot::B];

    /// The other slot.
    pub fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
        }
    }

    /// The slot's directory name, `slot-a` or `slot-b` (also its TR-181 `Name`).
    pub fn name(self) -> &'static str {
        match self {
            Slot::A => "slot-a",
            Slot::B => "slot-b",
        }
    }

    /// The TR-181 instance number of `Device.DeviceInfo.FirmwareImage.{i}` (1 or 2).
    pub fn instance(self) -> u32 {
        match self {
            Slot::A => 1,
            Slot::B => 2,
        }
    }

    /// The TR-181 path of the slot's row, `Device.DeviceInfo.FirmwareImage.{i}` (what
    /// `DeviceInfo.ActiveFirmwareImage` and `BootFirmwareImage` hold).
    pub fn path(self) -> String {
        format!("Device.DeviceInfo.FirmwareImage.{}", self.instance())
    }

    fn index(self) -> usize {
        match self {
            Slot::A => 0,
            Slot::B => 1,
        }
    }
}

impl std::fmt::Display for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What `boot.json` records about a slot's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordState {
    /// No image (never installed, or wiped by an aborted install).
    Empty,
    /// An install is writing into the slot; its files are not an image. Found at
    /// [`Slots::open`](crate::Slots::open), it means the install was interrupted.
    Installing,
    /// A complete image whose payload matched its signed manifest when written.
    Installed,
    /// The last install's payload failed its check (size or digest); files wiped.
    ValidationFailed,
    /// The last install failed for another reason (I/O, interrupted); files wiped.
    InstallationFailed,
    /// The image was booted but never confirmed, or failed its boot check; the device
    /// rolled back and will not boot it again. Files kept for inspection.
    ActivationFailed,
}

/// A slot's record in `boot.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotRecord {
    /// What the slot holds.
    pub state: RecordState,
    /// The version installed or attempted (from its manifest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Why the last install or boot of this slot failed (TR-181 `BootFailureLog` for an
    /// activation failure); empty otherwise.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub log: String,
}

impl SlotRecord {
    pub(crate) fn empty() -> Self {
        SlotRecord {
            state: RecordState::Empty,
            version: None,
            log: String::new(),
        }
    }
}

/// The boot state, as `boot.json` holds it:
///
/// ```json
/// { "format": 1, "active": "a", "pending": "b", "tries_left": 0, "previous": null,
///   "a": { "state": "installed", "version": "1.4.0" },
///   "b": { "state": "installed", "version": "1.5.0" } }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootState {
    /// Layout version of the file (1).
    pub format: u32,
    /// The slot that runs (booted last).
    pub active: Slot,
    /// A slot installed and verified that boots next, not yet tried.
    pub pending: Option<Slot>,
    /// While the active slot is on trial: how many more boots it gets before the device
    /// rolls back (0: the next unconfirmed boot rolls back).
    pub tries_left: u32,
    /// While the active slot is on trial: the slot to roll back to. `None` once confirmed.
    pub previous: Option<Slot>,
    /// Why the trial failed, when the agent failed it ([`crate::Slots::fail_trial`]): the
    /// next boot rolls back and reports this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trial_failure: Option<String>,
    /// Slot A's record.
    pub a: SlotRecord,
    /// Slot B's record.
    pub b: SlotRecord,
}

/// The format number of `boot.json`.
pub(crate) const STATE_FORMAT: u32 = 1;

impl BootState {
    /// A fresh device: slot A active (the factory firmware, no image file), both empty.
    pub(crate) fn factory() -> Self {
        BootState {
            format: STATE_FORMAT,
            active: Slot::A,
            pending: None,
            tries_left: 0,
            previous: None,
            trial_failure: None,
            a: SlotRecord::empty(),
            b: SlotRecord::empty(),
        }
    }

    /// A slot's record.
    pub fn record(&self, slot: Slot) -> &SlotRecord {
        match slot {
            Slot::A => &self.a,
            Slot::B => &self.b,
        }
    }

    pub(crate) fn record_mut(&mut self, slot: Slot) -> &mut SlotRecord {
        match slot {
            Slot::A => &mut self.a,
            Slot::B => &mut self.b,
        }
    }

    /// Whether the active slot runs on trial (booted, not yet confirmed).
    pub fn on_trial(&self) -> bool {
        self.previous.is_some()
    }

    /// The invariants every written state keeps.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.format != STATE_FORMAT {
            return Err(format!("format {} is not {STATE_FORMAT}", self.format));
        }
        let bootable = |s: Slot| {
            matches!(
                self.record(s).state,
                RecordState::Empty | RecordState::Installed
            )
        };
        if !bootable(self.active) {
            return Err(format!(
                "active {} is {:?}",
                self.active,
                self.record(self.active).state
            ));
        }
        if let Some(p) = self.pending {
            if p == self.active {
                return Err("pending is the active slot".into());
            }
            if self.record(p).state != RecordState::Installed {
                return Err(format!("pending {p} is {:?}", self.record(p).state));
            }
            if self.previous.is_some() {
                return Err("pending during a trial".into());
            }
        }
        match self.previous {
            Some(p) if p == self.active => return Err("previous is the active slot".into()),
            Some(p) if !bootable(p) => {
                return Err(format!("previous {p} is {:?}", self.record(p).state))
            }
            None if self.tries_left != 0 => return Err("tries left without a trial".into()),
            _ => {}
        }
        Ok(())
    }

    pub(crate) fn slot_index(slot: Slot) -> usize {
        slot.index()
    }
}

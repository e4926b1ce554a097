//! `tipring-slots`: the gateway's A/B firmware slots on disk, crash-safe.
//!
//! A firmware image pushed by the ACS (TR-069 Download, FileType "1 Firmware Upgrade
//! Image", Amendment 6 §A.3.2.8) is written into the **inactive** slot while its payload is
//! hashed against the signed manifest (`tipring-firmware`'s [`PayloadCheck`]); only a
//! payload that matches becomes `pending` (boots next). The active slot is never written
//! during an install, so a bad image, a cancelled download or a crash at any point leaves
//! the running firmware bootable. After the switch the new slot runs **on trial**: it gets
//! [`DEFAULT_TRIES`] boots to be [`confirm`](Slots::confirm)ed by the agent, and the boot
//! after the last unconfirmed one rolls back to the previous slot.
//!
//! This is the simulated device's storage (a directory); a real device would put flash
//! partitions behind the same operations.
//!
//! # Layout
//!
//! ```text
//! DIR/boot.json            the boot state (BootState), replaced atomically
//! DIR/slot-a/image         slot A's payload
//! DIR/slot-a/manifest.json its manifest (JSON, as verified)
//! DIR/slot-b/...           the same for slot B
//! ```
//!
//! plus, only while something is being written: `boot.json.tmp`, `slot-x/image.part`,
//! `slot-x/manifest.json.tmp`. `boot.json`:
//!
//! ```json
//! { "format": 1, "active": "a", "pending": null, "tries_left": 0, "previous": null,
//!   "a": { "state": "installed", "version": "1.4.0" }, "b": { "state": "empty" } }
//! ```
//!
//! `active` runs; `pending` boots next; while `previous` is set the active slot is on trial
//! with `tries_left` more boots; each slot's record says whether it holds an image
//! ([`RecordState`]). A fresh directory starts with slot A active and empty: the factory
//! firmware (the agent's built-in version) with no image file.
//!
//! # Why it survives a crash or power loss
//!
//! * `boot.json` is only ever replaced whole: written to `boot.json.tmp`, `fsync`ed,
//!   renamed over `boot.json`, directory `fsync`ed. At every moment it is the old state or
//!   the new one, and every state it can hold is bootable.
//! * An install first records the inactive slot as `installing` in `boot.json`, and only
//!   then wipes and writes it. The payload goes to `image.part`; at `finish` it is `fsync`ed
//!   and renamed to `image`, the manifest likewise, the slot directory `fsync`ed, and only
//!   then does `boot.json` name the slot `pending`. So `boot.json` never points at a slot
//!   whose files are not durable, and the active slot's files are never opened for writing.
//! * [`Slots::open`] finishes what a crash interrupted: an `installing` slot is wiped and
//!   recorded `installation_failed`; temp files are removed; files of a slot that holds no
//!   image are removed.
//! * [`Slots::boot`] checks a slot's image against its manifest (size and SHA-256) before
//!   it switches to it, and the active slot's at every boot, so even damage from outside
//!   (a file system that lied about `fsync`) ends in a rollback, not a brick.
//!
//! The tests stop every sequence (install, failed install, boot, rollback, confirm, first
//! open) after each file system step and halfway through each write, then power-fail the
//! disk in every way the model allows (any prefix of each directory's operations not yet
//! `fsync`ed; unsynced data kept, lost or torn), and check that the device still opens,
//! boots a verified image of the old or the new version, and goes on installing. A second
//! test SIGKILLs a real installer process many times.
//!
//! # TR-181
//!
//! [`Slots::firmware_images`] gives the two rows of `Device.DeviceInfo.FirmwareImage.{i}`
//! (instance 1 = slot A, 2 = slot B): `Name`, `Version`, `Available`, `Status`,
//! `BootFailureLog`; [`Slot::path`] of the active slot is `DeviceInfo.ActiveFirmwareImage`,
//! of [`Slots::boot_slot`] `DeviceInfo.BootFirmwareImage`.
//!
//! # Example
//!
//! ```no_run
//! use tipring_firmware::Verifier;
//! use tipring_slots::{BootOutcome, Slots};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let trusted_key = [0u8; 32];
//! let mut slots = Slots::open("/var/lib/tipring/firmware")?;
//! // At agent start: maybe switch to a newly installed slot, or roll back.
//! match slots.boot()? {
//!     BootOutcome::Switched { to, .. } => println!("running new firmware in {to}"),
//!     BootOutcome::RolledBack { from, reason, .. } => eprintln!("{from} failed: {reason}"),
//!     _ => {}
//! }
//! // ... once the agent is up and has reached the ACS:
//! slots.confirm()?;
//!
//! // A Download of a firmware image: the whole file streams in chunks.
//! let verifier = Verifier::new("tipring", "TR-FXS4")
//!     .with_key("release-2025", trusted_key)
//!     .with_running(slots.active().manifest.as_ref());
//! let mut install = slots.begin_image(&verifier);
//! # let chunks: Vec<Vec<u8>> = Vec::new();
//! for chunk in chunks {
//!     if let Err(e) = install.write(&chunk) {
//!         // TransferComplete with FaultCode e.fault_code(); the active slot is untouched
//!         eprintln!("refused ({}): {e}", e.fault_code());
//!         return Ok(());
//!     }
//! }
//! let installed = install.finish()?; // pending: boots next
//! println!("{} {:?} boots next", installed.slot, installed.version);
//! # Ok(())
//! # }
//! ```

mod error;
mod fs;
mod install;
mod state;

#[cfg(test)]
mod memfs;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use tipring_firmware::{Manifest, PayloadCheck};

pub use error::{Error, Result};
pub use install::{ImageInstall, Installer};
pub use state::{BootState, RecordState, Slot, SlotRecord};

use fs::{Fs, RealFs};

/// The boot state file.
pub const BOOT_FILE: &str = "boot.json";
/// Where the next boot state is written before it is renamed into place.
pub const BOOT_TMP: &str = "boot.json.tmp";
/// A slot's payload file.
pub const IMAGE_FILE: &str = "image";
/// A slot's manifest file.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The payload while it is being written.
pub const IMAGE_PART: &str = "image.part";
/// The manifest while it is being written.
pub const MANIFEST_TMP: &str = "manifest.json.tmp";

/// Boots a new slot gets to be confirmed: the switch boot and two more; the boot after the
/// third unconfirmed one rolls back.
pub const DEFAULT_TRIES: u32 = 3;

/// Default slot capacity (bytes of payload).
pub const DEFAULT_CAPACITY: u64 = 256 * 1024 * 1024;

/// Largest `boot.json` read.
const MAX_STATE_BYTES: usize = 64 * 1024;

/// Largest stored manifest read (pretty-printed, it is larger than in the image).
const MAX_MANIFEST_FILE: usize = 4 * tipring_firmware::MAX_MANIFEST_LEN;

fn slot_file(slot: Slot, file: &str) -> String {
    format!("{}/{file}", slot.name())
}

/// TR-181 `Device.DeviceInfo.FirmwareImage.{i}.Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImageStatus {
    /// `NoImage`: the slot is empty.
    NoImage,
    /// `Active`: the running image.
    Active,
    /// `Downloading`: an install is writing into the slot.
    Downloading,
    /// `Available`: installed and verified, ready to be activated.
    Available,
    /// `ValidationFailed`: the last image's payload failed its check.
    ValidationFailed,
    /// `InstallationFailed`: the last install failed (I/O, interrupted).
    InstallationFailed,
    /// `ActivationFailed`: booted but not confirmed, or failed its boot check; rolled back.
    ActivationFailed,
}

impl ImageStatus {
    /// The TR-181 enumeration value.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageStatus::NoImage => "NoImage",
            ImageStatus::Active => "Active",
            ImageStatus::Downloading => "Downloading",
            ImageStatus::Available => "Available",
            ImageStatus::ValidationFailed => "ValidationFailed",
            ImageStatus::InstallationFailed => "InstallationFailed",
            ImageStatus::ActivationFailed => "ActivationFailed",
        }
    }
}

impl std::fmt::Display for ImageStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a slot holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotInfo {
    /// The slot.
    pub slot: Slot,
    /// The version installed (or attempted, for a failed install); `None` when the slot
    /// never held an image (the factory slot).
    pub version: Option<String>,
    /// The slot's manifest, when it holds an image.
    pub manifest: Option<Manifest>,
    /// Its TR-181 status.
    pub status: ImageStatus,
}

/// One row of TR-181 `Device.DeviceInfo.FirmwareImage.{i}` (TR-181 2.17).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmwareImage {
    /// The instance number `{i}` (1 = slot A, 2 = slot B).
    pub instance: u32,
    /// `Name`: `slot-a` / `slot-b`; empty unless the status is `Active`, `Available`,
    /// `InstallationFailed` or `ActivationFailed` (TR-181's rule for `Name`).
    pub name: String,
    /// `Version`: the image's version; empty when the slot holds none, or for
    /// `ValidationFailed` (TR-181's rule for `Version`). The active factory slot has no
    /// image: the agent reports its built-in version there.
    pub version: String,
    /// `Available`: the device may boot this image (active or installed).
    pub available: bool,
    /// `Status`.
    pub status: ImageStatus,
    /// `BootFailureLog`: why the image failed to install or boot; empty otherwise.
    pub boot_failure_log: String,
}

/// What [`Slots::boot`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootOutcome {
    /// The active slot boots, confirmed (or never switched from).
    Normal {
        /// The slot.
        slot: Slot,
    },
    /// The pending slot passed its check and is now active, on trial.
    Switched {
        /// The slot that ran before (the rollback target).
        from: Slot,
        /// The new active slot.
        to: Slot,
        /// Boots it gets after this one before a rollback.
        tries_left: u32,
    },
    /// The active slot, still unconfirmed, boots again.
    Trial {
        /// The slot.
        slot: Slot,
        /// Boots it gets after this one before a rollback.
        tries_left: u32,
    },
    /// The active slot was not confirmed in time (or failed its check): the previous slot
    /// is active again and the failed one is `ActivationFailed`.
    RolledBack {
        /// The failed slot.
        from: Slot,
        /// The slot running now.
        to: Slot,
        /// Why.
        reason: String,
    },
    /// The pending slot failed its check and was discarded (`ValidationFailed`); the
    /// active slot boots as before.
    Rejected {
        /// The discarded slot.
        slot: Slot,
        /// The slot that runs.
        running: Slot,
        /// Why.
        reason: String,
    },
}

/// The device's two firmware slots in one directory (one writer: the agent).
pub struct Slots {
    dir: PathBuf,
    fs: Box<dyn Fs>,
    state: BootState,
    /// Each slot's manifest, when it holds an image and the manifest reads.
    manifests: [Option<Manifest>; 2],
    capacity: u64,
    tries: u32,
}

impl std::fmt::Debug for Slots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slots")
            .field("dir", &self.dir)
            .field("state", &self.state)
            .field("capacity", &self.capacity)
            .field("tries", &self.tries)
            .finish_non_exhaustive()
    }
}

impl Slots {
    /// Open the slots in `dir` (created, mode 0700, with a factory state when new), and
    /// finish whatever a crash interrupted (see the crate docs). Does not boot: call
    /// [`boot`](Self::boot) once at agent start.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        fs::ensure_dir(&dir).map_err(|source| Error::Io {
            op: "create directory",
            path: dir.clone(),
            source,
        })?;
        Self::open_with(dir.clone(), Box::new(RealFs { dir }))
    }

    fn open_with(dir: PathBuf, fs: Box<dyn Fs>) -> Result<Self> {
        let mut s = Slots {
            dir,
            fs,
            state: BootState::factory(),
            manifests: [None, None],
            capacity: DEFAULT_CAPACITY,
            tries: DEFAULT_TRIES,
        };
        s.load()?;
        Ok(s)
    }

    /// Limit the payload a slot takes (default [`DEFAULT_CAPACITY`]).
    pub fn with_capacity(mut self, bytes: u64) -> Self {
        self.capacity = bytes;
        self
    }

    /// Boots a new slot gets to be confirmed (default [`DEFAULT_TRIES`]; at least 1).
    pub fn with_tries(mut self, tries: u32) -> Self {
        self.tries = tries.max(1);
        self
    }

    /// The slots' directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The boot state (as `boot.json` holds it).
    pub fn state(&self) -> &BootState {
        &self.state
    }

    fn io(&self, op: &'static str, rel: &str) -> impl FnOnce(std::io::Error) -> Error {
        let path = if rel.is_empty() {
            self.dir.clone()
        } else {
            self.dir.join(rel)
        };
        move |source| Error::Io { op, path, source }
    }

    /// Read `boot.json` (or start the factory state), then recover.
    fn load(&mut self) -> Result<()> {
        for slot in Slot::ALL {
            self.fs
                .create_dir(slot.name())
                .map_err(self.io("create directory", slot.name()))?;
        }
        let bytes = self
            .fs
            .read(BOOT_FILE, MAX_STATE_BYTES)
            .map_err(self.io("read", BOOT_FILE))?;
        let mut dirty = false;
        match bytes {
            None => {
                // A new directory (or one whose first boot.json never became durable:
                // then nothing was installed yet either).
                self.fs.sync_dir("").map_err(self.io("fsync", ""))?;
                self.state = BootState::factory();
                dirty = true;
            }
            Some(bytes) => {
                let bad = |reason: String| Error::BadState {
                    path: self.dir.join(BOOT_FILE),
                    reason,
                };
                if bytes.len() > MAX_STATE_BYTES {
                    return Err(bad(format!("larger than {MAX_STATE_BYTES} bytes")));
                }
                let state: BootState =
                    serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
                state.check().map_err(bad)?;
                self.state = state;
            }
        }
        let _ = self.fs.remove(BOOT_TMP);
        // An install that did not finish: its slot holds no image.
        for slot in Slot::ALL {
            if self.state.record(slot).state == RecordState::Installing {
                let r = self.state.record_mut(slot);
                r.state = RecordState::InstallationFailed;
                r.log = "interrupted: the install did not finish (crash or power loss)".into();
                dirty = true;
            }
        }
        if dirty {
            let next = self.state.clone();
            self.write_state(next)?;
        }
        for slot in Slot::ALL {
            self.clean_slot(slot);
            self.manifests[BootState::slot_index(slot)] = if self.holds_image(slot) {
                self.read_manifest(slot).ok()
            } else {
                None
            };
        }
        Ok(())
    }

    /// Whether a slot's record says its files are an image.
    fn holds_image(&self, slot: Slot) -> bool {
        matches!(
            self.state.record(slot).state,
            RecordState::Installed | RecordState::ActivationFailed
        )
    }

    /// Remove the temp files of `slot`, and all its files when it holds no image.
    /// Best effort: what cannot be removed now is ignored, and removed by the next install
    /// or open.
    fn clean_slot(&mut self, slot: Slot) {
        let mut names = vec![IMAGE_PART, MANIFEST_TMP];
        if !self.holds_image(slot) {
            names.extend([IMAGE_FILE, MANIFEST_FILE]);
        }
        for name in names {
            let _ = self.fs.remove(&slot_file(slot, name));
        }
    }

    fn read_manifest(&mut self, slot: Slot) -> std::result::Result<Manifest, String> {
        let path = slot_file(slot, MANIFEST_FILE);
        let bytes = match self.fs.read(&path, MAX_MANIFEST_FILE) {
            Ok(Some(b)) => b,
            Ok(None) => return Err(format!("{path} missing")),
            Err(e) => return Err(format!("{path}: {e}")),
        };
        Manifest::from_json(&bytes).map_err(|e| format!("{path}: {e}"))
    }

    /// Check a slot's image against its manifest (size and SHA-256); the manifest, or why
    /// the slot cannot boot.
    fn check_slot(&mut self, slot: Slot) -> std::result::Result<Manifest, String> {
        let manifest = self.read_manifest(slot)?;
        let mut check = PayloadCheck::new(&manifest);
        let mut failed = None;
        let path = slot_file(slot, IMAGE_FILE);
        let found = self.fs.read_chunks(&path, &mut |chunk| {
            if failed.is_none() {
                if let Err(e) = check.update(chunk) {
                    failed = Some(e);
                }
            }
        });
        match found {
            Ok(true) => {}
            Ok(false) => return Err(format!("{path} missing")),
            Err(e) => return Err(format!("{path}: {e}")),
        }
        if let Some(e) = failed {
            return Err(format!("{path}: {e}"));
        }
        check.finish().map_err(|e| format!("{path}: {e}"))?;
        Ok(manifest)
    }

    /// Re-check a slot's image against its manifest (size and SHA-256); `Ok(())` when it
    /// would boot. For diagnostics; [`boot`](Self::boot) does this itself.
    pub fn verify_slot(&mut self, slot: Slot) -> std::result::Result<(), String> {
        if !self.holds_image(slot) {
            return Err(format!(
                "{slot} holds no image ({:?})",
                self.state.record(slot).state
            ));
        }
        self.check_slot(slot).map(|_| ())
    }

    /// Replace `boot.json` with `next` (tmp, fsync, rename, directory fsync), then adopt it.
    fn write_state(&mut self, next: BootState) -> Result<()> {
        debug_assert_eq!(next.check(), Ok(()), "{next:?}");
        let bytes = serde_json::to_vec_pretty(&next).map_err(|e| Error::Io {
            op: "serialise",
            path: self.dir.join(BOOT_TMP),
            source: std::io::Error::other(e),
        })?;
        self.fs
            .remove(BOOT_TMP)
            .map_err(self.io("remove", BOOT_TMP))?;
        self.fs
            .write_new(BOOT_TMP, &bytes)
            .map_err(self.io("write", BOOT_TMP))?;
        self.fs
            .sync_file(BOOT_TMP)
            .map_err(self.io("fsync", BOOT_TMP))?;
        self.fs
            .rename(BOOT_TMP, BOOT_FILE)
            .map_err(self.io("rename", BOOT_TMP))?;
        self.fs.sync_dir("").map_err(self.io("fsync", ""))?;
        self.state = next;
        Ok(())
    }

    /// What `slot` holds.
    pub fn slot(&self, slot: Slot) -> SlotInfo {
        let record = self.state.record(slot);
        let manifest = self.manifests[BootState::slot_index(slot)].clone();
        let status = if slot == self.state.active {
            ImageStatus::Active
        } else {
            match record.state {
                RecordState::Empty => ImageStatus::NoImage,
                RecordState::Installing => ImageStatus::Downloading,
                RecordState::Installed => ImageStatus::Available,
                RecordState::ValidationFailed => ImageStatus::ValidationFailed,
                RecordState::InstallationFailed => ImageStatus::InstallationFailed,
                RecordState::ActivationFailed => ImageStatus::ActivationFailed,
            }
        };
        SlotInfo {
            slot,
            version: manifest
                .as_ref()
                .map(|m| m.version.to_string())
                .or_else(|| record.version.clone()),
            manifest,
            status,
        }
    }

    /// The running slot.
    pub fn active(&self) -> SlotInfo {
        self.slot(self.state.active)
    }

    /// The other slot (where the next install goes).
    pub fn inactive(&self) -> SlotInfo {
        self.slot(self.state.active.other())
    }

    /// The slot that boots next: the pending one, else the active one
    /// (TR-181 `DeviceInfo.BootFirmwareImage`).
    pub fn boot_slot(&self) -> Slot {
        self.state.pending.unwrap_or(self.state.active)
    }

    /// The two rows of TR-181 `Device.DeviceInfo.FirmwareImage.{i}`, slot A first.
    pub fn firmware_images(&self) -> [FirmwareImage; 2] {
        Slot::ALL.map(|slot| {
            let info = self.slot(slot);
            let named = matches!(
                info.status,
                ImageStatus::Active
                    | ImageStatus::Available
                    | ImageStatus::InstallationFailed
                    | ImageStatus::ActivationFailed
            );
            FirmwareImage {
                instance: slot.instance(),
                name: if named {
                    slot.name().to_string()
                } else {
                    String::new()
                },
                version: if named {
                    info.version.unwrap_or_default()
                } else {
                    String::new()
                },
                available: matches!(info.status, ImageStatus::Active | ImageStatus::Available),
                status: info.status,
                boot_failure_log: self.state.record(slot).log.clone(),
            }
        })
    }

    /// Start installing an image with this (verified) `manifest` into the inactive slot;
    /// write its payload through the returned [`Installer`]. Pass only a manifest that
    /// `tipring_firmware::Verifier` accepted (or use [`begin_image`](Self::begin_image),
    /// which verifies the whole image stream itself).
    ///
    /// Refused while the active slot is on trial ([`Error::TrialInProgress`]) and for a
    /// payload larger than the slot ([`Error::TooLarge`]). A pending install in the
    /// inactive slot is replaced.
    pub fn begin_install(&mut self, manifest: &Manifest) -> Result<Installer<'_>> {
        manifest.validate()?;
        if self.state.on_trial() {
            return Err(Error::TrialInProgress {
                active: self.state.active,
            });
        }
        if manifest.payload_size > self.capacity {
            return Err(Error::TooLarge {
                size: manifest.payload_size,
                capacity: self.capacity,
            });
        }
        let target = self.state.active.other();
        let mut next = self.state.clone();
        next.pending = None;
        *next.record_mut(target) = SlotRecord {
            state: RecordState::Installing,
            version: Some(manifest.version.to_string()),
            log: String::new(),
        };
        self.write_state(next)?;
        self.manifests[BootState::slot_index(target)] = None;
        Installer::start(self, target, manifest)
    }

    /// Start installing a whole image stream (header, then payload) into the inactive
    /// slot: the header is buffered and verified by `verifier` before anything is written.
    pub fn begin_image<'a>(
        &'a mut self,
        verifier: &tipring_firmware::Verifier,
    ) -> ImageInstall<'a> {
        ImageInstall::new(self, verifier.clone())
    }

    /// Record a failed install of `target` (state, log), wipe its files. Returns the
    /// result of writing the state; the caller reports its own error either way.
    fn fail_install(&mut self, target: Slot, state: RecordState, log: String) -> Result<()> {
        let mut next = self.state.clone();
        if next.pending == Some(target) {
            next.pending = None;
        }
        let r = next.record_mut(target);
        r.state = state;
        r.log = log;
        let written = self.write_state(next);
        self.manifests[BootState::slot_index(target)] = None;
        if written.is_ok() {
            self.clean_slot(target);
        }
        written
    }

    /// The boot sequence, called once at agent start (what a bootloader does):
    ///
    /// 1. a pending slot whose image passes its check becomes active, on trial with
    ///    `tries - 1` boots left ([`BootOutcome::Switched`]); one that fails is discarded
    ///    ([`BootOutcome::Rejected`]) and the active slot boots;
    /// 2. an active slot on trial boots again while it has tries left
    ///    ([`BootOutcome::Trial`]), and rolls back to the previous slot when none are left
    ///    or its image fails its check ([`BootOutcome::RolledBack`]);
    /// 3. a confirmed active slot boots after its image passes its check
    ///    ([`BootOutcome::Normal`]); if it fails, the other slot, if it holds a good
    ///    image, takes over ([`BootOutcome::RolledBack`]).
    ///
    /// Each decision is in `boot.json` before the slot runs, so a crash during a boot
    /// counts as that boot.
    pub fn boot(&mut self) -> Result<BootOutcome> {
        let from = self.state.active;
        if let Some(to) = self.state.pending {
            match self.check_slot(to) {
                Ok(manifest) => {
                    let mut next = self.state.clone();
                    next.pending = None;
                    next.previous = Some(from);
                    next.active = to;
                    next.tries_left = self.tries - 1;
                    self.write_state(next)?;
                    self.manifests[BootState::slot_index(to)] = Some(manifest);
                    return Ok(BootOutcome::Switched {
                        from,
                        to,
                        tries_left: self.tries - 1,
                    });
                }
                Err(reason) => {
                    self.fail_install(to, RecordState::ValidationFailed, reason.clone())?;
                    // The active slot boots as it would have.
                    return match self.boot_active()? {
                        BootOutcome::Normal { .. } | BootOutcome::Trial { .. } => {
                            Ok(BootOutcome::Rejected {
                                slot: to,
                                running: self.state.active,
                                reason,
                            })
                        }
                        other => Ok(other),
                    };
                }
            }
        }
        self.boot_active()
    }

    fn boot_active(&mut self) -> Result<BootOutcome> {
        let active = self.state.active;
        let check = if self.holds_image(active) {
            self.check_slot(active).map(|_| ())
        } else {
            // The factory slot: the built-in firmware, no image file to check.
            Ok(())
        };
        if let Some(previous) = self.state.previous {
            return match check {
                Ok(()) if self.state.tries_left > 0 => {
                    let mut next = self.state.clone();
                    next.tries_left -= 1;
                    let tries_left = next.tries_left;
                    self.write_state(next)?;
                    Ok(BootOutcome::Trial {
                        slot: active,
                        tries_left,
                    })
                }
                Ok(()) => {
                    let reason = self
                        .state
                        .trial_failure
                        .clone()
                        .unwrap_or_else(|| format!("not confirmed after {} boots", self.tries));
                    self.roll_back(previous, reason)
                }
                Err(reason) => self.roll_back(previous, reason),
            };
        }
        match check {
            Ok(()) => Ok(BootOutcome::Normal { slot: active }),
            Err(reason) => {
                let other = active.other();
                if self.state.record(other).state == RecordState::Installed {
                    if let Err(why) = self.check_slot(other) {
                        return Err(Error::NoBootableSlot {
                            reason: format!("{reason}; {why}"),
                        });
                    }
                    self.roll_back(other, reason)
                } else {
                    Err(Error::NoBootableSlot { reason })
                }
            }
        }
    }

    /// Make `to` active (confirmed) and record the active slot's failure.
    fn roll_back(&mut self, to: Slot, reason: String) -> Result<BootOutcome> {
        let from = self.state.active;
        if self.holds_image(to) {
            if let Err(why) = self.check_slot(to) {
                return Err(Error::NoBootableSlot {
                    reason: format!("{from}: {reason}; {to}: {why}"),
                });
            }
        }
        let mut next = self.state.clone();
        next.active = to;
        next.previous = None;
        next.pending = None;
        next.tries_left = 0;
        next.trial_failure = None;
        let r = next.record_mut(from);
        r.state = RecordState::ActivationFailed;
        r.log = reason.clone();
        self.write_state(next)?;
        Ok(BootOutcome::RolledBack { from, to, reason })
    }

    /// The agent runs fine on the active slot: end its trial (no rollback any more; the
    /// other slot may be installed into again). `true` if a trial ended, `false` if there
    /// was none.
    pub fn confirm(&mut self) -> Result<bool> {
        if !self.state.on_trial() {
            return Ok(false);
        }
        let mut next = self.state.clone();
        next.previous = None;
        next.tries_left = 0;
        next.trial_failure = None;
        self.write_state(next)?;
        Ok(true)
    }

    /// The running firmware failed its health check (its lines did not register again in
    /// time): the next boot rolls back to the previous slot and reports `reason`. `true`
    /// if a trial was failed, `false` if there was none.
    pub fn fail_trial(&mut self, reason: &str) -> Result<bool> {
        if !self.state.on_trial() {
            return Ok(false);
        }
        let mut next = self.state.clone();
        next.tries_left = 0;
        next.trial_failure = Some(reason.to_string());
        self.write_state(next)?;
        Ok(true)
    }

    /// Make the inactive `slot` boot next (the ACS setting `DeviceInfo.BootFirmwareImage`
    /// to an `Available` image, e.g. back to the previous version); naming the active slot
    /// cancels a pending switch. Refused during a trial and for a slot without a verified
    /// image.
    pub fn boot_next(&mut self, slot: Slot) -> Result<()> {
        if self.state.on_trial() {
            return Err(Error::TrialInProgress {
                active: self.state.active,
            });
        }
        let mut next = self.state.clone();
        if slot == self.state.active {
            next.pending = None;
        } else {
            if self.state.record(slot).state != RecordState::Installed {
                return Err(Error::NotBootable {
                    slot,
                    reason: format!("it is {}", self.slot(slot).status),
                });
            }
            next.pending = Some(slot);
        }
        if next != self.state {
            self.write_state(next)?;
        }
        Ok(())
    }
}

//! Writing an image into the inactive slot.

use tipring_firmware::{Manifest, PayloadCheck, Verifier, MAX_HEADER_LEN};

use crate::state::{BootState, RecordState, SlotRecord};
use crate::{
    slot_file, Error, Result, Slot, SlotInfo, Slots, IMAGE_FILE, IMAGE_PART, MANIFEST_FILE,
    MANIFEST_TMP,
};

/// An install in progress: payload chunks go into the inactive slot's `image.part` while
/// a [`PayloadCheck`] hashes them. [`finish`](Self::finish) makes the slot pending only
/// when size and digest match. Dropping it without `finish` (or [`abort`](Self::abort))
/// wipes the slot; the active slot is never touched.
#[derive(Debug)]
pub struct Installer<'a> {
    slots: &'a mut Slots,
    target: Slot,
    manifest: Manifest,
    /// Taken by `finish`.
    check: Option<PayloadCheck>,
    /// Until finished, failed or aborted.
    open: bool,
}

impl<'a> Installer<'a> {
    /// Wipe `target` (already recorded `installing`) and open its `image.part`.
    pub(crate) fn start(slots: &'a mut Slots, target: Slot, manifest: &Manifest) -> Result<Self> {
        let mut me = Installer {
            slots,
            target,
            manifest: manifest.clone(),
            check: Some(PayloadCheck::new(manifest)),
            open: true,
        };
        for name in [IMAGE_PART, MANIFEST_TMP, IMAGE_FILE, MANIFEST_FILE] {
            let path = slot_file(target, name);
            me.io_step("remove", &path, |fs| fs.remove(&path))?;
        }
        let path = slot_file(target, IMAGE_PART);
        me.io_step("create", &path, |fs| fs.write_new(&path, &[]))?;
        Ok(me)
    }

    /// Run one file system step; on failure record `installation_failed`, wipe, close.
    fn io_step(
        &mut self,
        op: &'static str,
        path: &str,
        f: impl FnOnce(&mut dyn crate::fs::Fs) -> std::io::Result<()>,
    ) -> Result<()> {
        match f(self.slots.fs.as_mut()) {
            Ok(()) => Ok(()),
            Err(source) => {
                let e = Error::Io {
                    op,
                    path: self.slots.dir.join(path),
                    source,
                };
                self.fail(RecordState::InstallationFailed, e.to_string());
                Err(e)
            }
        }
    }

    /// Close the install as failed.
    fn fail(&mut self, state: RecordState, log: String) {
        if std::mem::take(&mut self.open) {
            // The error being reported is the caller's; a failure to record it here
            // leaves `installing` in boot.json, which the next open turns into
            // `installation_failed`.
            let _ = self.slots.fail_install(self.target, state, log);
        }
    }

    /// The slot being written.
    pub fn slot(&self) -> Slot {
        self.target
    }

    /// The manifest being installed.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Payload bytes written so far.
    pub fn written(&self) -> u64 {
        self.check.as_ref().map_or(0, PayloadCheck::received)
    }

    /// Write the next chunk of the payload (any size). More bytes than the manifest
    /// announces fail at once ([`tipring_firmware::Error::SizeMismatch`]): the slot is
    /// wiped and recorded `validation_failed`.
    pub fn write(&mut self, chunk: &[u8]) -> Result<()> {
        let (true, Some(check)) = (self.open, self.check.as_mut()) else {
            return Err(Error::InstallClosed);
        };
        if let Err(e) = check.update(chunk) {
            self.fail(RecordState::ValidationFailed, e.to_string());
            return Err(e.into());
        }
        let path = slot_file(self.target, IMAGE_PART);
        self.io_step("write", &path, |fs| fs.append(&path, chunk))
    }

    /// End of the payload: check size and SHA-256 against the manifest; if they match,
    /// make the image durable and the slot pending (it boots next). Otherwise the slot is
    /// wiped and recorded `validation_failed` and the error says why.
    pub fn finish(mut self) -> Result<SlotInfo> {
        let (true, Some(check)) = (self.open, self.check.take()) else {
            return Err(Error::InstallClosed);
        };
        if let Err(e) = check.finish() {
            self.fail(RecordState::ValidationFailed, e.to_string());
            return Err(e.into());
        }
        let t = self.target;
        let (part, image) = (slot_file(t, IMAGE_PART), slot_file(t, IMAGE_FILE));
        let (tmp, manifest) = (slot_file(t, MANIFEST_TMP), slot_file(t, MANIFEST_FILE));
        let json = serde_json::to_vec_pretty(&self.manifest).unwrap_or_default();
        self.io_step("fsync", &part, |fs| fs.sync_file(&part))?;
        self.io_step("rename", &part, |fs| fs.rename(&part, &image))?;
        self.io_step("write", &tmp, |fs| fs.write_new(&tmp, &json))?;
        self.io_step("fsync", &tmp, |fs| fs.sync_file(&tmp))?;
        self.io_step("rename", &tmp, |fs| fs.rename(&tmp, &manifest))?;
        self.io_step("fsync", t.name(), |fs| fs.sync_dir(t.name()))?;
        let mut next = self.slots.state.clone();
        next.pending = Some(t);
        *next.record_mut(t) = SlotRecord {
            state: RecordState::Installed,
            version: Some(self.manifest.version.to_string()),
            log: String::new(),
        };
        if let Err(e) = self.slots.write_state(next) {
            self.fail(RecordState::InstallationFailed, e.to_string());
            return Err(e);
        }
        self.open = false;
        self.slots.manifests[BootState::slot_index(t)] = Some(self.manifest.clone());
        Ok(self.slots.slot(t))
    }

    /// Cancel the install: the slot is wiped and recorded empty.
    pub fn abort(mut self) -> Result<()> {
        if std::mem::take(&mut self.open) {
            self.slots
                .fail_install(self.target, RecordState::Empty, "install aborted".into())?;
        }
        Ok(())
    }
}

impl Drop for Installer<'_> {
    fn drop(&mut self) {
        self.fail(
            RecordState::InstallationFailed,
            "interrupted: the installer was dropped before finish".into(),
        );
    }
}

/// An install from the whole image stream (as downloaded): the header is buffered (at
/// most [`MAX_HEADER_LEN`] bytes) and verified before anything is written, then the payload
/// streams into the inactive slot through an [`Installer`]. Made by
/// [`Slots::begin_image`].
#[derive(Debug)]
pub struct ImageInstall<'a> {
    stage: Stage<'a>,
}

#[derive(Debug)]
enum Stage<'a> {
    Header {
        slots: &'a mut Slots,
        verifier: Verifier,
        buf: Vec<u8>,
    },
    Payload(Box<Installer<'a>>),
    Closed,
}

impl<'a> ImageInstall<'a> {
    pub(crate) fn new(slots: &'a mut Slots, verifier: Verifier) -> Self {
        ImageInstall {
            stage: Stage::Header {
                slots,
                verifier,
                buf: Vec::new(),
            },
        }
    }

    /// The verified manifest, once the header has arrived.
    pub fn manifest(&self) -> Option<&Manifest> {
        match &self.stage {
            Stage::Payload(i) => Some(i.manifest()),
            _ => None,
        }
    }

    /// The next bytes of the image. A header that fails verification is refused here
    /// (nothing written); a payload that fails its check, when it does.
    pub fn write(&mut self, chunk: &[u8]) -> Result<()> {
        match &mut self.stage {
            Stage::Closed => Err(Error::InstallClosed),
            Stage::Payload(installer) => {
                let r = installer.write(chunk);
                if r.is_err() {
                    self.stage = Stage::Closed;
                }
                r
            }
            Stage::Header { buf, verifier, .. } => {
                let take = chunk.len().min(MAX_HEADER_LEN.saturating_sub(buf.len()));
                buf.extend_from_slice(&chunk[..take]);
                let verified = match verifier.verify_header(buf) {
                    Err(tipring_firmware::Error::Truncated { .. }) if take == chunk.len() => {
                        return Ok(());
                    }
                    Err(e) => {
                        self.stage = Stage::Closed;
                        return Err(e.into());
                    }
                    Ok(v) => v,
                };
                let Stage::Header { slots, buf, .. } =
                    std::mem::replace(&mut self.stage, Stage::Closed)
                else {
                    return Err(Error::InstallClosed);
                };
                let mut installer = slots.begin_install(verified.manifest())?;
                // The payload bytes that came with the header, then the rest of the chunk.
                let (in_buf, rest) = (&buf[verified.header_len()..], &chunk[take..]);
                installer.write(in_buf)?;
                installer.write(rest)?;
                self.stage = Stage::Payload(Box::new(installer));
                Ok(())
            }
        }
    }

    /// End of the image: [`Installer::finish`] (an image that ended inside its header is
    /// [`tipring_firmware::Error::Truncated`], nothing written).
    pub fn finish(self) -> Result<SlotInfo> {
        match self.stage {
            Stage::Payload(installer) => installer.finish(),
            Stage::Header { verifier, buf, .. } => match verifier.verify_header(&buf) {
                Err(e) => Err(e.into()),
                // Cannot be: a complete header moves to the payload stage in `write`.
                Ok(_) => Err(Error::InstallClosed),
            },
            Stage::Closed => Err(Error::InstallClosed),
        }
    }

    /// Cancel: a slot already being written is wiped and recorded empty.
    pub fn abort(self) -> Result<()> {
        match self.stage {
            Stage::Payload(installer) => installer.abort(),
            _ => Ok(()),
        }
    }
}

//! Tests: the install / boot / confirm / rollback cycle on the real file system, every
//! refusal, every crash point of every sequence in a simulated file system (with power
//! loss), and SIGKILLs of a real installer process.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use tipring_firmware::{sign_image, Manifest, SigningKey, Verifier};

use super::*;
use crate::memfs::{DataLoss, Disk, MemFs};

/// A small xorshift64* generator (payloads, kill moments).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

const KEY_ID: &str = "release-2025";

fn key() -> SigningKey {
    SigningKey::from_seed(&[0x42; 32])
}

fn verifier() -> Verifier {
    Verifier::new("tipring", "TR-FXS4").with_key(KEY_ID, key().public_key())
}

/// The payload of version `1.0.{v}`: seeded bytes, its size varying with `v`.
fn payload(v: u64, base: usize) -> Vec<u8> {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15 ^ (v + 1));
    (0..base + (v as usize % 7) * 101)
        .map(|_| r.next() as u8)
        .collect()
}

fn version(v: u64) -> String {
    format!("1.0.{v}")
}

fn manifest(v: u64, payload: &[u8]) -> Manifest {
    Manifest::for_payload(
        "tipring",
        "TR-FXS4",
        version(v).parse().unwrap(),
        KEY_ID,
        "2025-06-01T12:00:00Z",
        payload,
    )
}

/// Install version `v` (payload of `base` bytes) in `chunk`-byte writes.
fn install(s: &mut Slots, v: u64, base: usize, chunk: usize) -> Result<SlotInfo> {
    let p = payload(v, base);
    let mut i = s.begin_install(&manifest(v, &p))?;
    for c in p.chunks(chunk) {
        i.write(c)?;
    }
    i.finish()
}

/// An install of version `v` whose payload differs from its manifest in the middle.
fn install_corrupt(s: &mut Slots, v: u64, base: usize, chunk: usize) -> Result<SlotInfo> {
    let p = payload(v, base);
    let m = manifest(v, &p);
    let mut q = p.clone();
    let mid = q.len() / 2;
    q[mid] ^= 0x10;
    let mut i = s.begin_install(&m)?;
    for c in q.chunks(chunk) {
        i.write(c)?;
    }
    i.finish()
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "tipring-slots-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        TempDir(p)
    }

    fn file(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn active_version(s: &Slots) -> Option<String> {
    s.active().version
}

#[test]
fn good_install_goes_pending_then_boot_switches_then_confirm() {
    let t = TempDir::new("cycle");
    let mut s = Slots::open(&t.0).unwrap();
    // Factory: slot A active without an image, B empty.
    assert_eq!(s.state().active, Slot::A);
    assert_eq!(s.boot().unwrap(), BootOutcome::Normal { slot: Slot::A });
    assert_eq!(s.active().status, ImageStatus::Active);
    assert_eq!(s.active().version, None);
    assert_eq!(s.inactive().status, ImageStatus::NoImage);

    let info = install(&mut s, 1, 5000, 333).unwrap();
    assert_eq!(
        (info.slot, info.status, info.version.as_deref()),
        (Slot::B, ImageStatus::Available, Some("1.0.1"))
    );
    assert_eq!(s.state().pending, Some(Slot::B));
    assert_eq!(s.boot_slot(), Slot::B);
    assert_eq!(files_in(&t.file("slot-b")), [IMAGE_FILE, MANIFEST_FILE]);
    assert_eq!(
        std::fs::read(t.file("slot-b/image")).unwrap(),
        payload(1, 5000)
    );
    assert_eq!(files_in(&t.0), [BOOT_FILE, "slot-a", "slot-b"]);

    // Restart: the pending slot is checked and becomes active, on trial.
    drop(s);
    let mut s = Slots::open(&t.0).unwrap();
    assert_eq!(
        s.boot().unwrap(),
        BootOutcome::Switched {
            from: Slot::A,
            to: Slot::B,
            tries_left: DEFAULT_TRIES - 1
        }
    );
    assert!(s.state().on_trial());
    assert_eq!(active_version(&s).as_deref(), Some("1.0.1"));
    assert_eq!(s.active().manifest, Some(manifest(1, &payload(1, 5000))));
    assert!(s.confirm().unwrap());
    assert!(!s.confirm().unwrap());
    assert_eq!(
        (s.state().previous, s.state().tries_left),
        (None, 0),
        "confirmed"
    );

    // Restarts after the confirm boot the same slot normally.
    drop(s);
    let mut s = Slots::open(&t.0).unwrap();
    assert_eq!(s.boot().unwrap(), BootOutcome::Normal { slot: Slot::B });
    assert_eq!(s.boot().unwrap(), BootOutcome::Normal { slot: Slot::B });

    // The next install goes to the other slot, A.
    let info = install(&mut s, 2, 5000, 4096).unwrap();
    assert_eq!(info.slot, Slot::A);
    assert_eq!(
        s.boot().unwrap(),
        BootOutcome::Switched {
            from: Slot::B,
            to: Slot::A,
            tries_left: 2
        }
    );
    s.confirm().unwrap();
    assert_eq!(active_version(&s).as_deref(), Some("1.0.2"));
    assert_eq!(s.inactive().status, ImageStatus::Available);
    assert_eq!(s.inactive().version.as_deref(), Some("1.0.1"));
    // boot.json holds the state, mode 0600; the directory is 0700.
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&t.file(BOOT_FILE)), 0o600);
    assert_eq!(mode(&t.0), 0o700);
    let text = std::fs::read_to_string(t.file(BOOT_FILE)).unwrap();
    let back: BootState = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, s.state());
    assert!(text.contains("\"active\": \"a\"") && text.contains("\"version\": \"1.0.1\""));
}

#[test]
fn bad_digest_mid_stream_is_refused_and_the_active_slot_kept() {
    let t = TempDir::new("bad");
    let mut s = Slots::open(&t.0).unwrap();
    install(&mut s, 1, 4000, 1000).unwrap();
    s.boot().unwrap();
    s.confirm().unwrap();
    let active_image = std::fs::read(t.file("slot-b/image")).unwrap();

    let e = install_corrupt(&mut s, 2, 4000, 777).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Firmware(tipring_firmware::Error::DigestMismatch { .. })
        ),
        "{e}"
    );
    assert_eq!(e.fault_code(), 9018);
    assert_eq!(s.state().pending, None);
    assert_eq!(s.inactive().status, ImageStatus::ValidationFailed);
    assert!(
        files_in(&t.file("slot-a")).is_empty(),
        "inactive slot wiped"
    );
    assert_eq!(std::fs::read(t.file("slot-b/image")).unwrap(), active_image);
    assert_eq!(s.verify_slot(Slot::B), Ok(()));
    let rows = s.firmware_images();
    assert_eq!(rows[0].status, ImageStatus::ValidationFailed);
    assert!(rows[0].boot_failure_log.contains("digest mismatch"));
    assert_eq!((rows[0].name.as_str(), rows[0].version.as_str()), ("", ""));
    assert!(!rows[0].available);

    // More bytes than announced: refused at the chunk that overflows.
    let p = payload(3, 1000);
    let mut i = s.begin_install(&manifest(3, &p)).unwrap();
    i.write(&p).unwrap();
    let e = i.write(&[0]).unwrap_err();
    assert!(matches!(
        e,
        Error::Firmware(tipring_firmware::Error::SizeMismatch { .. })
    ));
    assert!(matches!(i.write(&[0]), Err(Error::InstallClosed)));
    assert!(matches!(i.finish(), Err(Error::InstallClosed)));
    // Too few bytes.
    let mut i = s.begin_install(&manifest(3, &p)).unwrap();
    i.write(&p[..p.len() - 1]).unwrap();
    assert!(matches!(
        i.finish(),
        Err(Error::Firmware(
            tipring_firmware::Error::SizeMismatch { .. }
        ))
    ));
    assert!(files_in(&t.file("slot-a")).is_empty());

    drop(s);
    let mut s = Slots::open(&t.0).unwrap();
    assert_eq!(s.boot().unwrap(), BootOutcome::Normal { slot: Slot::B });
    assert_eq!(active_version(&s).as_deref(), Some("1.0.1"));
}

#[test]
fn an_interrupted_install_leaves_nothing_pending() {
    let t = TempDir::new("drop");
    let mut s = Slots::open(&t.0).unwrap();
    install(&mut s, 1, 3000, 1000).unwrap();
    // A pending install replaced by one that is dropped half-way: nothing boots next.
    let p = payload(2, 3000);
    let mut i = s.begin_install(&manifest(2, &p)).unwrap();
    assert_eq!((i.slot(), i.written()), (Slot::B, 0));
    i.write(&p[..1000]).unwrap();
    assert_eq!(i.written(), 1000);
    drop(i);
    assert_eq!(s.state().pending, None);
    assert_eq!(s.inactive().status, ImageStatus::InstallationFailed);
    assert!(s.state().b.log.contains("dropped"));
    assert!(files_in(&t.file("slot-b")).is_empty());
    assert_eq!(s.boot().unwrap(), BootOutcome::Normal { slot: Slot::A });
    let row = &s.firmware_images()[1];
    assert_eq!(
        (row.name.as_str(), row.version.as_str()),
        ("slot-b", "1.0.2"),
        "TR-181 names the failed install and its version"
    );

    // Aborted: the slot is simply empty.
    let mut i = s.begin_install(&manifest(2, &p)).unwrap();
    i.write(&p[..10]).unwrap();
    i.abort().unwrap();
    assert_eq!(s.inactive().status, ImageStatus::NoImage);
    assert!(files_in(&t.file("slot-b")).is_empty());

    // The process dies mid-install (the installer never runs its drop): the next open
    // records the interruption and cleans the slot.
    let mut i = s.begin_install(&manifest(2, &p)).unwrap();
    i.write(&p[..10]).unwrap();
    std::mem::forget(i);
    drop(s);
    assert_eq!(files_in(&t.file("slot-b")), [IMAGE_PART]);
    let mut s = Slots::open(&t.0).unwrap();
    assert_eq!(s.inactive().status, ImageStatus::InstallationFailed);
    assert!(s.state().b.log.contains("interrupted"));
    assert!(files_in(&t.file("slot-b")).is_empty());
    assert_eq!(s.boot().unwrap(), BootOutcome::Normal { slot: Slot::A });
}

#[test]
fn three_boots_without_confirm_roll_back() {
    let t = TempDir::new("rollback");
    let mut s = Slots::open(&t.0).unwrap();
    install(&mut s, 1, 2000, 500).unwrap();
    s.boot().unwrap();
    s.confirm().unwrap();
    install(&mut s, 2, 2000, 500).unwrap();
    drop(s);
    // Each boot is a restart of the agent that dies before it confirms.
    let boot = || Slots::open(&t.0).unwrap().boot().unwrap();
    assert_eq!(
        boot(),
        BootOutcome::Switched {
            from: Slot::B,
            to: Slot::A,
            tries_left: 2
        }
    );
    assert_eq!(
        boot(),
        BootOutcome::Trial {
            slot: Slot::A,
            tries_left: 1
        }
    );
    assert_eq!(
        boot(),
        BootOutcome::Trial {
            slot: Slot::A,
            tries_left: 0
        }
    );
    match boot() {
        BootOutcome::RolledBack { from, to, reason } => {
            assert_eq!((from, to), (Slot::A, Slot::B));
            assert!(reason.contains("not confirmed after 3 boots"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let mut s = Slots::open(&t.0).unwrap();
    assert_eq!(s.boot().unwrap(), BootOutcome::Normal { slot: Slot::B });
    assert_eq!(active_version(&s).as_deref(), Some("1.0.1"));
    let rows = s.firmware_images();
    assert_eq!(rows[0].status, ImageStatus::ActivationFailed);
    assert!(!rows[0].available);
    assert_eq!(rows[0].version, "1.0.2");
    assert!(rows[0].boot_failure_log.contains("not confirmed"));
    // It does not come back by itself, and may not be selected to boot.
    assert!(matches!(
        s.boot_next(Slot::A),
        Err(Error::NotBootable { slot: Slot::A, .. })
    ));
    // A new install replaces it.
    install(&mut s, 3, 2000, 500).unwrap();
    assert_eq!(s.inactive().status, ImageStatus::Available);
    assert_eq!(s.firmware_images()[0].boot_failure_log, "");

    // With one try: the switch boot, then the rollback.
    let mut s = Slots::open(&t.0).unwrap().with_tries(1);
    assert!(matches!(
        s.boot().unwrap(),
        BootOutcome::Switched { tries_left: 0, .. }
    ));
    assert!(matches!(s.boot().unwrap(), BootOutcome::RolledBack { .. }));
}

#[test]
fn installs_are_refused_during_a_trial_and_when_too_large() {
    let t = TempDir::new("refuse");
    let mut s = Slots::open(&t.0).unwrap().with_capacity(4000);
    install(&mut s, 1, 2000, 500).unwrap();
    s.boot().unwrap();
    let before = std::fs::read(t.file(BOOT_FILE)).unwrap();
    let e = install(&mut s, 2, 2000, 500).unwrap_err();
    assert!(
        matches!(e, Error::TrialInProgress { active: Slot::B }),
        "{e}"
    );
    assert_eq!(e.fault_code(), 9001);
    assert!(matches!(
        s.boot_next(Slot::A),
        Err(Error::TrialInProgress { .. })
    ));
    s.confirm().unwrap();
    let before_large = std::fs::read(t.file(BOOT_FILE)).unwrap();
    assert_ne!(before, before_large);
    let e = install(&mut s, 2, 5000, 500).unwrap_err();
    assert!(matches!(e, Error::TooLarge { capacity: 4000, .. }), "{e}");
    assert_eq!(e.fault_code(), 9010);
    assert_eq!(std::fs::read(t.file(BOOT_FILE)).unwrap(), before_large);
    // An invalid manifest is refused before anything is written.
    let p = payload(2, 100);
    let mut m = manifest(2, &p);
    m.model = "no spaces allowed".into();
    assert!(matches!(
        s.begin_install(&m),
        Err(Error::Firmware(tipring_firmware::Error::BadManifest(_)))
    ));
    assert_eq!(std::fs::read(t.file(BOOT_FILE)).unwrap(), before_large);
}

/// The ACS points `DeviceInfo.BootFirmwareImage` at the other (Available) image: it boots
/// next, on trial like any switch; pointing it back at the active one cancels.
#[test]
fn boot_next_selects_an_available_image() {
    let t = TempDir::new("bootnext");
    let mut s = Slots::open(&t.0).unwrap();
    for v in [1, 2] {
        install(&mut s, v, 1000, 300).unwrap();
        s.boot().unwrap();
        s.confirm().unwrap();
    }
    assert_eq!(active_version(&s).as_deref(), Some("1.0.2"));
    s.boot_next(Slot::B).unwrap();
    assert_eq!(s.boot_slot(), Slot::B);
    s.boot_next(Slot::A).unwrap();
    assert_eq!(s.state().pending, None);
    s.boot_next(Slot::B).unwrap();
    assert!(matches!(
        s.boot().unwrap(),
        BootOutcome::Switched { to: Slot::B, .. }
    ));
    assert_eq!(active_version(&s).as_deref(), Some("1.0.1"));
}

/// TR-181 `Device.DeviceInfo.FirmwareImage.{i}` rows (Name, Version, Available, Status,
/// BootFailureLog) and `ActiveFirmwareImage`/`BootFirmwareImage` paths through a whole
/// cycle.
#[test]
fn versions_and_manifests_are_reported_as_tr181_firmware_images() {
    let t = TempDir::new("tr181");
    let mut s = Slots::open(&t.0).unwrap();
    let rows = s.firmware_images();
    assert_eq!(
        rows[0],
        FirmwareImage {
            instance: 1,
            name: "slot-a".into(),
            version: String::new(),
            available: true,
            status: ImageStatus::Active,
            boot_failure_log: String::new(),
        }
    );
    assert_eq!(
        rows[1],
        FirmwareImage {
            instance: 2,
            name: String::new(),
            version: String::new(),
            available: false,
            status: ImageStatus::NoImage,
            boot_failure_log: String::new(),
        }
    );
    install(&mut s, 7, 1000, 100).unwrap();
    let rows = s.firmware_images();
    assert_eq!(
        (
            rows[1].name.as_str(),
            rows[1].version.as_str(),
            rows[1].available,
            rows[1].status.as_str()
        ),
        ("slot-b", "1.0.7", true, "Available")
    );
    assert_eq!(Slot::A.path(), "Device.DeviceInfo.FirmwareImage.1");
    assert_eq!(s.boot_slot().path(), "Device.DeviceInfo.FirmwareImage.2");
    s.boot().unwrap();
    let rows = s.firmware_images();
    assert_eq!(rows[1].status, ImageStatus::Active);
    assert_eq!(rows[1].version, "1.0.7");
    assert_eq!(rows[0].status, ImageStatus::NoImage);
    let active = s.active();
    assert_eq!(active.slot, Slot::B);
    let m = active.manifest.unwrap();
    assert_eq!((m.model.as_str(), m.version.as_str()), ("TR-FXS4", "1.0.7"));
    assert_eq!(m.payload_size, payload(7, 1000).len() as u64);
    assert_eq!(s.inactive().slot, Slot::A);
    // The manifest is stored beside the image and survives a restart.
    drop(s);
    let s = Slots::open(&t.0).unwrap();
    assert_eq!(s.active().manifest, Some(m));
}

/// TR-181 2.17 defines these Status values and the Name/Version emptiness rules used
/// above. Skips (printing why) when /work/shared is absent; CI has it.
#[test]
fn status_values_are_tr181_enumerations() {
    let path = "/work/shared/bbf/tr-181-2-17-0-cwmp-full.xml";
    let Ok(xml) = std::fs::read_to_string(path) else {
        eprintln!("skipped: {path} not present (CI provides /work/shared)");
        return;
    };
    let at = xml
        .find("<object name=\"Device.DeviceInfo.FirmwareImage.{i}.\"")
        .expect("FirmwareImage object");
    let object = &xml[at..at + xml[at..].find("</object>").unwrap()];
    for status in [
        ImageStatus::NoImage,
        ImageStatus::Active,
        ImageStatus::Downloading,
        ImageStatus::Available,
        ImageStatus::ValidationFailed,
        ImageStatus::InstallationFailed,
        ImageStatus::ActivationFailed,
    ] {
        assert!(
            object.contains(&format!("<enumeration value=\"{status}\"")),
            "{status}"
        );
    }
    for param in ["Name", "Version", "Available", "Status", "BootFailureLog"] {
        assert!(
            object.contains(&format!("<parameter name=\"{param}\"")),
            "{param}"
        );
    }
}

#[test]
fn damaged_images_are_caught_at_boot() {
    let t = TempDir::new("damage");
    let mut s = Slots::open(&t.0).unwrap();
    install(&mut s, 1, 2000, 500).unwrap();
    s.boot().unwrap();
    s.confirm().unwrap();
    install(&mut s, 2, 2000, 500).unwrap();
    // The pending image is damaged on disk before the restart: discarded, B keeps running.
    let mut img = std::fs::read(t.file("slot-a/image")).unwrap();
    img[10] ^= 1;
    std::fs::write(t.file("slot-a/image"), &img).unwrap();
    drop(s);
    let mut s = Slots::open(&t.0).unwrap();
    match s.boot().unwrap() {
        BootOutcome::Rejected {
            slot,
            running,
            reason,
        } => {
            assert_eq!((slot, running), (Slot::A, Slot::B));
            assert!(reason.contains("digest mismatch"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.inactive().status, ImageStatus::ValidationFailed);
    assert!(files_in(&t.file("slot-a")).is_empty());

    // The running image is damaged: the other slot, if it holds a good image, takes over.
    install(&mut s, 2, 2000, 500).unwrap();
    s.boot().unwrap();
    s.confirm().unwrap();
    assert_eq!(s.state().active, Slot::A);
    std::fs::write(t.file("slot-a/image"), b"short").unwrap();
    let mut s = Slots::open(&t.0).unwrap();
    match s.boot().unwrap() {
        BootOutcome::RolledBack { from, to, reason } => {
            assert_eq!((from, to), (Slot::A, Slot::B));
            assert!(reason.contains("size mismatch"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(active_version(&s).as_deref(), Some("1.0.1"));
    // Both damaged: no bootable slot.
    std::fs::remove_file(t.file("slot-b/manifest.json")).unwrap();
    let mut s = Slots::open(&t.0).unwrap();
    assert!(matches!(s.boot(), Err(Error::NoBootableSlot { .. })));
    // The failed image stays for inspection, and still fails its check.
    assert!(s
        .verify_slot(Slot::A)
        .unwrap_err()
        .contains("size mismatch"));
    assert_eq!(
        s.verify_slot(Slot::B).unwrap_err(),
        "slot-b/manifest.json missing"
    );
}

#[test]
fn a_damaged_boot_json_is_reported() {
    let t = TempDir::new("state");
    let s = Slots::open(&t.0).unwrap();
    drop(s);
    let good = std::fs::read_to_string(t.file(BOOT_FILE)).unwrap();
    for (bad, why) in [
        ("{".to_string(), "EOF"),
        (good.replace("\"format\": 1", "\"format\": 2"), "format 2"),
        (
            good.replace("\"pending\": null", "\"pending\": \"b\""),
            "pending slot-b is Empty",
        ),
        (
            good.replace("\"pending\": null", "\"pending\": \"a\""),
            "pending is the active",
        ),
        (
            good.replace("\"tries_left\": 0", "\"tries_left\": 2"),
            "tries left",
        ),
        (good.replace("{", "{\"x\": 1,"), "unknown field"),
    ] {
        std::fs::write(t.file(BOOT_FILE), &bad).unwrap();
        match Slots::open(&t.0) {
            Err(Error::BadState { reason, .. }) => assert!(reason.contains(why), "{why}: {reason}"),
            other => panic!("{why}: {other:?}"),
        }
    }
}

/// The whole image stream (as downloaded) installs with the header verified first: odd
/// chunk sizes (1 byte through the header), refusals before any write, a cut stream.
#[test]
fn whole_image_streams_install_with_the_header_verified_first() {
    let t = TempDir::new("stream");
    let mut s = Slots::open(&t.0).unwrap();
    let p = payload(1, 6000);
    let image = sign_image(&manifest(1, &p), &p, &key()).unwrap();
    let mut i = s.begin_image(&verifier());
    let mut at = 0;
    let mut size = 1;
    while at < image.len() {
        let n = size.min(image.len() - at);
        i.write(&image[at..at + n]).unwrap();
        at += n;
        size = if at < 500 {
            1
        } else {
            1 + (size * 7 + 3) % 2000
        };
        if at > 500 {
            assert_eq!(i.manifest().map(|m| m.version.as_str()), Some("1.0.1"));
        }
    }
    let info = i.finish().unwrap();
    assert_eq!((info.slot, info.status), (Slot::B, ImageStatus::Available));
    assert_eq!(std::fs::read(t.file("slot-b/image")).unwrap(), p);
    s.boot().unwrap();
    s.confirm().unwrap();

    // Refused headers write nothing: boot.json unchanged, slot A untouched.
    let before = std::fs::read(t.file(BOOT_FILE)).unwrap();
    let p2 = payload(2, 3000);
    let good2 = sign_image(&manifest(2, &p2), &p2, &key()).unwrap();
    let mut forged = good2.clone();
    // Inside the manifest: version 1.0.2 becomes 1.0.3.
    let at = good2.windows(5).position(|w| w == b"1.0.2").unwrap() + 4;
    forged[at] ^= 1;
    let other_model = Verifier::new("tipring", "TR-FXS2").with_key(KEY_ID, key().public_key());
    let impostor = Verifier::new("tipring", "TR-FXS4").with_key(KEY_ID, [9; 32]);
    for (what, v, img, code) in [
        ("forged", verifier(), &forged, 9019),
        ("other model", other_model, &good2, 9010),
        ("unknown signer", impostor, &good2, 9019),
        ("not an image", verifier(), &p2, 9018),
    ] {
        let mut i = s.begin_image(&v);
        let e = img
            .chunks(100)
            .map(|c| i.write(c))
            .find_map(|r| r.err())
            .unwrap_or_else(|| panic!("{what} accepted"));
        assert_eq!(e.fault_code(), code, "{what}: {e}");
        assert!(matches!(i.write(b"x"), Err(Error::InstallClosed)));
        drop(i);
        assert_eq!(std::fs::read(t.file(BOOT_FILE)).unwrap(), before, "{what}");
    }
    // Downgrade below the running image's floor.
    let p5 = payload(5, 3000);
    let mut m5 = manifest(5, &p5);
    m5.min_version = Some("1.0.5".parse().unwrap());
    let img5 = sign_image(&m5, &p5, &key()).unwrap();
    let mut i = s.begin_image(&verifier());
    i.write(&img5).unwrap();
    i.finish().unwrap();
    s.boot().unwrap();
    s.confirm().unwrap();
    let floor = verifier().with_running(s.active().manifest.as_ref());
    let mut i = s.begin_image(&floor);
    let e = i.write(&good2).unwrap_err();
    assert!(matches!(
        e,
        Error::Firmware(tipring_firmware::Error::DowngradeRefused { .. })
    ));
    drop(i);

    // A stream cut in the header: nothing written; cut in the payload: wiped.
    let before = std::fs::read(t.file(BOOT_FILE)).unwrap();
    let mut i = s.begin_image(&verifier());
    i.write(&good2[..50]).unwrap();
    assert!(matches!(
        i.finish(),
        Err(Error::Firmware(tipring_firmware::Error::Truncated { .. }))
    ));
    assert_eq!(std::fs::read(t.file(BOOT_FILE)).unwrap(), before);
    let mut i = s.begin_image(&verifier());
    i.write(&good2[..good2.len() - 10]).unwrap();
    assert!(matches!(
        i.finish(),
        Err(Error::Firmware(
            tipring_firmware::Error::SizeMismatch { .. }
        ))
    ));
    assert_eq!(s.inactive().status, ImageStatus::ValidationFailed);
    assert_eq!(s.state().pending, None);
    // Abort after the header: wiped, empty.
    let mut i = s.begin_image(&verifier());
    i.write(&good2[..good2.len() - 10]).unwrap();
    i.abort().unwrap();
    assert_eq!(s.inactive().status, ImageStatus::NoImage);
}

/// The fault codes are ones TransferComplete may carry (cwmp-1-2.xsd
/// `TransferCompleteCPEFaultCodeType`, TR-069 Amendment 6 §A.3.3.2). Skips (printing why)
/// when /work/shared is absent; CI has it.
#[test]
fn fault_codes_are_transfer_complete_codes() {
    let errors = [
        Error::TrialInProgress { active: Slot::A },
        Error::TooLarge {
            size: 2,
            capacity: 1,
        },
        Error::InstallClosed,
        Error::NoBootableSlot {
            reason: String::new(),
        },
        Error::Firmware(tipring_firmware::Error::NotAnImage),
        Error::Firmware(tipring_firmware::Error::BadSignature(String::new())),
        Error::Firmware(tipring_firmware::Error::WrongModel {
            image: String::new(),
            device: String::new(),
        }),
    ];
    let codes: Vec<u32> = errors.iter().map(Error::fault_code).collect();
    assert_eq!(codes, [9001, 9010, 9002, 9002, 9018, 9019, 9010]);
    let path = "/work/shared/bbf/cwmp-1-2.xsd";
    let Ok(xsd) = std::fs::read_to_string(path) else {
        eprintln!("skipped: {path} not present (CI provides /work/shared)");
        return;
    };
    let at = xsd
        .find("<xs:simpleType name=\"TransferCompleteCPEFaultCodeType\">")
        .unwrap();
    let ty = &xsd[at..at + xsd[at..].find("</xs:simpleType>").unwrap()];
    for code in codes {
        assert!(
            ty.contains(&format!("<xs:enumeration value=\"{code}\"/>")),
            "{code}"
        );
    }
}

#[test]
fn slots_are_send() {
    fn send<T: Send>(_: &T) {}
    let t = TempDir::new("send");
    let s = Slots::open(&t.0).unwrap();
    send(&s);
    assert!(format!("{s:?}").contains("Slots"));
}

// ---------------------------------------------------------------------------------------
// Crash points in the simulated file system.

const DIR: &str = "/mem";

fn mem_open(fs: &MemFs) -> Result<Slots> {
    Slots::open_with(PathBuf::from(DIR), Box::new(fs.clone()))
}

/// The disk after `op` ran to completion on `setup` (settled), and the steps it took.
fn run_clean(setup: &Disk, op: &dyn Fn(&MemFs) -> Result<()>) -> (Disk, usize) {
    let fs = MemFs::new(setup.clone());
    op(&fs).unwrap();
    let disk = fs.disk.lock().unwrap().clone();
    let steps = *fs.steps.lock().unwrap();
    (disk.settled(), steps)
}

/// Payload size in the crash tests (a few appends per install).
const SMALL: usize = 2500;
/// Chunk size in the crash tests.
const CHUNK: usize = 900;

/// Run `op` on `setup`, stopping it after every step k (and, for a write or an append,
/// half-way through it); then power-fail the disk in every way the model allows; then
/// check that the device opens, boots, runs a slot whose image passes its check (or the
/// factory slot) with a version in `allowed`, has no temp files left, and goes on:
/// confirm, install, switch. Every version in `allowed` must turn up.
fn check_every_crash_point(
    setup: &Disk,
    op: impl Fn(&MemFs) -> Result<()>,
    allowed: &[Option<&str>],
) {
    let (_, total) = run_clean(setup, &op);
    assert!(total >= 5, "the sequence has {total} steps");
    let mut seen = BTreeMap::<Option<String>, usize>::new();
    let mut states = 0;
    for k in 0..=total {
        for partial in [false, true] {
            let fs = MemFs::crashing_after(setup.clone(), k, partial);
            let _ = op(&fs);
            let disk = fs.disk.lock().unwrap().clone();
            for keep in disk.power_loss_choices() {
                for loss in [DataLoss::Kept, DataLoss::Lost, DataLoss::Torn] {
                    states += 1;
                    let ctx = format!(
                        "crash after step {k}/{total} (partial {partial}), kept {keep:?}, data {loss:?}"
                    );
                    let mem = MemFs::new(disk.after_power_loss(&keep, loss));
                    let mut s = mem_open(&mem).unwrap_or_else(|e| panic!("{ctx}: open: {e}"));
                    let leftovers: Vec<String> = mem
                        .disk
                        .lock()
                        .unwrap()
                        .names()
                        .into_iter()
                        .filter(|n| n.ends_with(".tmp") || n.ends_with(".part"))
                        .collect();
                    assert!(leftovers.is_empty(), "{ctx}: {leftovers:?}");
                    // boot.json never claims an image that is not there.
                    for slot in Slot::ALL {
                        if s.state().record(slot).state == RecordState::Installed {
                            assert_eq!(s.verify_slot(slot), Ok(()), "{ctx}: {slot}");
                        }
                    }
                    let outcome = s.boot().unwrap_or_else(|e| panic!("{ctx}: boot: {e}"));
                    // The boot-time check is a second line of defence: after a crash on an
                    // honest file system it never has to discard an image.
                    match &outcome {
                        BootOutcome::Rejected { .. } => panic!("{ctx}: {outcome:?}"),
                        BootOutcome::RolledBack { reason, .. } => {
                            assert!(reason.contains("not confirmed"), "{ctx}: {outcome:?}")
                        }
                        _ => {}
                    }
                    let active = s.active();
                    if s.holds_image(active.slot) {
                        assert_eq!(s.verify_slot(active.slot), Ok(()), "{ctx}: {outcome:?}");
                    }
                    assert!(
                        allowed.contains(&active.version.as_deref()),
                        "{ctx}: runs {:?} after {outcome:?}",
                        active.version
                    );
                    *seen.entry(active.version.clone()).or_default() += 1;
                    // The device goes on: confirm, install, switch to the new image.
                    s.confirm().unwrap();
                    let info = install(&mut s, 99, 300, 128)
                        .unwrap_or_else(|e| panic!("{ctx}: install after recovery: {e}"));
                    assert_eq!(info.status, ImageStatus::Available, "{ctx}");
                    assert!(
                        matches!(s.boot().unwrap(), BootOutcome::Switched { .. }),
                        "{ctx}"
                    );
                    assert_eq!(active_version(&s).as_deref(), Some("1.0.99"), "{ctx}");
                }
            }
        }
    }
    for v in allowed {
        assert!(
            seen.contains_key(&v.map(str::to_string)),
            "{v:?} never seen: {seen:?}"
        );
    }
    assert!(states > 50, "{states} crash states");
    eprintln!("{total} steps, {states} crash states, versions run: {seen:?}");
}

/// Slot A holds 1.0.1 (available), slot B runs 1.0.2 confirmed.
fn two_images() -> Disk {
    let (d, _) = run_clean(&Disk::default(), &|fs| {
        let mut s = mem_open(fs)?;
        install(&mut s, 1, SMALL, CHUNK)?;
        s.boot()?;
        s.confirm()?;
        install(&mut s, 2, SMALL, CHUNK)?;
        s.boot()?;
        s.confirm()?;
        Ok(())
    });
    d
}

#[test]
fn crash_at_every_step_of_an_install() {
    let setup = two_images();
    assert_eq!(
        (mem_open(&MemFs::new(setup.clone())).unwrap().state().active),
        Slot::A
    );
    check_every_crash_point(
        &setup,
        |fs| {
            let mut s = mem_open(fs)?;
            install(&mut s, 3, SMALL, CHUNK).map(|_| ())
        },
        &[Some("1.0.2"), Some("1.0.3")],
    );
}

#[test]
fn crash_at_every_step_of_a_refused_install() {
    check_every_crash_point(
        &two_images(),
        |fs| {
            let mut s = mem_open(fs)?;
            match install_corrupt(&mut s, 3, SMALL, CHUNK) {
                Err(Error::Firmware(_)) => Ok(()),
                other => other.map(|_| ()),
            }
        },
        &[Some("1.0.2")],
    );
}

#[test]
fn crash_at_every_step_of_the_first_install() {
    check_every_crash_point(
        &Disk::default(),
        |fs| {
            let mut s = mem_open(fs)?;
            install(&mut s, 1, SMALL, CHUNK).map(|_| ())
        },
        &[None, Some("1.0.1")],
    );
}

#[test]
fn crash_at_every_step_of_a_switch_boot() {
    let (setup, _) = run_clean(&two_images(), &|fs| {
        let mut s = mem_open(fs)?;
        install(&mut s, 3, SMALL, CHUNK).map(|_| ())
    });
    check_every_crash_point(
        &setup,
        |fs| mem_open(fs)?.boot().map(|_| ()),
        &[Some("1.0.3")],
    );
}

#[test]
fn crash_at_every_step_of_a_rollback() {
    // 1.0.3 on trial in slot B with no tries left: the next boot rolls back to 1.0.2.
    let (setup, _) = run_clean(&two_images(), &|fs| {
        let mut s = mem_open(fs)?.with_tries(1);
        install(&mut s, 3, SMALL, CHUNK)?;
        s.boot()?;
        Ok(())
    });
    let mut s = mem_open(&MemFs::new(setup.clone())).unwrap();
    assert_eq!(
        (s.state().tries_left, s.state().previous),
        (0, Some(Slot::A))
    );
    assert!(matches!(s.boot().unwrap(), BootOutcome::RolledBack { .. }));
    check_every_crash_point(
        &setup,
        |fs| mem_open(fs)?.boot().map(|_| ()),
        &[Some("1.0.2")],
    );
}

#[test]
fn crash_at_every_step_of_a_confirm() {
    let (setup, _) = run_clean(&two_images(), &|fs| {
        let mut s = mem_open(fs)?;
        install(&mut s, 3, SMALL, CHUNK)?;
        s.boot()?;
        Ok(())
    });
    check_every_crash_point(
        &setup,
        |fs| {
            let mut s = mem_open(fs)?;
            s.boot()?;
            s.confirm().map(|_| ())
        },
        &[Some("1.0.3")],
    );
}

/// A file system that lied about `fsync`: boot.json names a pending slot whose image is
/// torn. The boot check discards it and the running image keeps running.
#[test]
fn a_torn_pending_image_is_rejected_not_booted() {
    let (mut setup, _) = run_clean(&two_images(), &|fs| {
        let mut s = mem_open(fs)?;
        install(&mut s, 3, SMALL, CHUNK).map(|_| ())
    });
    let img = setup.get("slot-b/image").unwrap().to_vec();
    setup.put("slot-b/image", &img[..img.len() / 2]);
    let mut s = mem_open(&MemFs::new(setup)).unwrap();
    assert!(matches!(
        s.boot().unwrap(),
        BootOutcome::Rejected {
            slot: Slot::B,
            running: Slot::A,
            ..
        }
    ));
    assert_eq!(active_version(&s).as_deref(), Some("1.0.2"));
}

// ---------------------------------------------------------------------------------------
// SIGKILL of a real installer process.

/// The environment variable that turns `real_kill_installer_child` into the installer.
const INSTALLER_DIR_ENV: &str = "TIPRING_SLOTS_INSTALLER_DIR";

/// Payload size of the SIGKILL test.
const KILL_PAYLOAD: usize = 48 * 1024;

/// The installer process of `sigkill_a_real_installer_at_random_moments`: boots, confirms
/// and installs the next version (every fourth attempt a corrupt one) in a loop until it
/// is killed. Not a test on its own.
#[test]
#[ignore = "helper: run as a child process by sigkill_a_real_installer_at_random_moments"]
fn real_kill_installer_child() {
    let dir = std::env::var_os(INSTALLER_DIR_ENV)
        .expect("run by sigkill_a_real_installer_at_random_moments, which sets the directory");
    let mut round = 0u64;
    loop {
        let mut s = Slots::open(&dir).unwrap();
        s.boot().unwrap();
        s.confirm().unwrap();
        let v: u64 = s.active().version.unwrap()[4..].parse().unwrap();
        round += 1;
        if round.is_multiple_of(4) {
            assert!(matches!(
                install_corrupt(&mut s, v + 1, KILL_PAYLOAD, 4093),
                Err(Error::Firmware(_))
            ));
        } else {
            install(&mut s, v + 1, KILL_PAYLOAD, 4093).unwrap();
        }
    }
}

/// A real installer (this test binary, re-executed) is SIGKILLed 100 times at seeded
/// random moments. After each kill the slots open, boot a slot whose image passes its
/// check and equals the payload of its version byte for byte, never go back to an older
/// version, and leave no temp file behind.
#[test]
fn sigkill_a_real_installer_at_random_moments() {
    let t = TempDir::new("kill");
    let mut s = Slots::open(&t.0).unwrap();
    install(&mut s, 1, KILL_PAYLOAD, 4093).unwrap();
    s.boot().unwrap();
    s.confirm().unwrap();
    drop(s);
    let exe = std::env::current_exe().unwrap();
    let mut rng = Rng(0x5EED_C0F1_6000_0002);
    let (mut last, mut interrupted) = (1u64, 0);
    for i in 0..100 {
        let mut child = std::process::Command::new(&exe)
            .args([
                "tests::real_kill_installer_child",
                "--exact",
                "--include-ignored",
                "--test-threads=1",
                "--quiet",
            ])
            .env(INSTALLER_DIR_ENV, &t.0)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros(
            3_000 + rng.next() % 25_000,
        ));
        child.kill().unwrap(); // SIGKILL
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.code().is_none(),
            "kill {i}: the installer stopped by itself: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let state = std::fs::read_to_string(t.file(BOOT_FILE)).unwrap();
        if state.contains("\"installing\"") {
            interrupted += 1;
        }
        let mut s = Slots::open(&t.0).unwrap_or_else(|e| panic!("kill {i}: open: {e}"));
        for slot in ["slot-a", "slot-b"] {
            let names = files_in(&t.file(slot));
            assert!(
                names.iter().all(|n| n == IMAGE_FILE || n == MANIFEST_FILE),
                "kill {i}: {slot}: {names:?}"
            );
        }
        let outcome = s.boot().unwrap_or_else(|e| panic!("kill {i}: boot: {e}"));
        let active = s.active();
        assert_eq!(s.verify_slot(active.slot), Ok(()), "kill {i}: {outcome:?}");
        let v: u64 = active.version.unwrap()[4..].parse().unwrap();
        assert_eq!(
            std::fs::read(t.file(&format!("{}/image", active.slot))).unwrap(),
            payload(v, KILL_PAYLOAD),
            "kill {i}"
        );
        assert!(v >= last, "kill {i}: version went back from {last} to {v}");
        last = v;
        s.confirm().unwrap();
    }
    // The installer made progress and was caught mid-install, so kills landed inside
    // real install sequences.
    assert!(last > 10, "only {last} versions installed in 100 runs");
    assert!(
        interrupted > 5,
        "only {interrupted} kills landed mid-install"
    );
    eprintln!("100 kills: {last} versions installed, {interrupted} installs interrupted");
}

#[test]
fn a_failed_health_check_rolls_back_at_the_next_boot_with_its_reason() {
    let t = TempDir::new("health");
    let mut s = Slots::open(&t.0).unwrap();
    install(&mut s, 1, 4000, 1000).unwrap();
    s.boot().unwrap();
    s.confirm().unwrap();
    install(&mut s, 2, 4000, 1000).unwrap();
    assert!(matches!(s.boot().unwrap(), BootOutcome::Switched { .. }));
    assert!(s.state().on_trial());
    assert!(s
        .fail_trial("registrations did not come back within 600 s")
        .unwrap());
    // The trial's failure survives a restart of the agent (it is in boot.json).
    drop(s);
    let mut s = Slots::open(&t.0).unwrap();
    match s.boot().unwrap() {
        BootOutcome::RolledBack { reason, .. } => {
            assert_eq!(reason, "registrations did not come back within 600 s")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(active_version(&s).as_deref(), Some("1.0.1"));
    assert_eq!(s.state().trial_failure, None);
    assert!(!s.fail_trial("no trial").unwrap(), "nothing to fail now");
}

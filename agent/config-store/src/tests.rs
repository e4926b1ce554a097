//! Tests: the store on the real file system, every crash point of the write sequence in a
//! simulated file system (with power loss), and SIGKILLs of a real writer process.

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use tipring_config::{GatewayConfig, Secret};

use super::*;
use crate::memfs::{DataLoss, Disk, MemFs};

/// A valid document whose device name says which version it was stored as.
fn doc(n: u64) -> GatewayConfig {
    let mut c = GatewayConfig::example(1 + (n % 4) as usize);
    for p in &mut c.ports {
        p.password = Some(Secret::new(format!("pw-{n}-{}", p.extension)));
    }
    c.device.name = format!("v{n}");
    c
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "tipring-config-store-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn store_load_rollback_and_versions_survive_reopening() {
    let t = TempDir::new("basic");
    let mut s = ConfigStore::open(&t.0).unwrap();
    assert_eq!(mode(&t.0), 0o700);
    assert!(matches!(s.load(), Err(Error::Empty { .. })));
    assert!(matches!(s.rollback(), Err(Error::NoPrevious { .. })));
    assert_eq!(s.store(&doc(1)).unwrap(), 1);
    // The same document again is no change: same version, nothing written.
    assert_eq!(s.store(&doc(1)).unwrap(), 1);
    assert_eq!(s.store(&doc(2)).unwrap(), 2);
    drop(s);

    let mut s = ConfigStore::open(&t.0).unwrap();
    let l = s.load().unwrap();
    assert_eq!((l.version, &l.config, &l.recovered), (2, &doc(2), &None));
    assert_eq!(s.store(&doc(3)).unwrap(), 3);
    // Rollback is a change too: the counter rises and the old document comes back.
    assert_eq!(s.rollback().unwrap(), 4);
    let l = s.load().unwrap();
    assert_eq!((l.version, l.config), (4, doc(2)));
    assert_eq!(s.rollback().unwrap(), 5);
    assert_eq!(s.load().unwrap().config, doc(3));

    // The files hold passwords: owner-only.
    assert_eq!(mode(&t.0.join(CURRENT)), 0o600);
    assert_eq!(mode(&t.0.join(PREVIOUS)), 0o600);
    assert_eq!(names(&t.0), [CURRENT, PREVIOUS]);
    // The version is in the same file as the document.
    let text = std::fs::read_to_string(t.0.join(CURRENT)).unwrap();
    assert!(
        text.contains("\"version\": 5") && text.contains("\"v3\""),
        "{text}"
    );
}

#[test]
fn invalid_documents_are_refused_and_the_running_one_kept() {
    let t = TempDir::new("invalid");
    let mut s = ConfigStore::open(&t.0).unwrap();
    s.store(&doc(1)).unwrap();
    let before = std::fs::read(t.0.join(CURRENT)).unwrap();
    // No default passwords: the bare example is refused, naming the fields.
    match s.store(&GatewayConfig::example(2)) {
        Err(Error::Invalid(e)) => {
            assert!(
                e.has_path("ports[0].password") && e.has_path("ports[1].password"),
                "{e}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read(t.0.join(CURRENT)).unwrap(), before);
    assert!(!t.0.join(PREVIOUS).exists());

    let mut s = s.with_dial_plan_check(|p| {
        if p.contains('!') {
            Err("`!` is not a dial-plan character".into())
        } else {
            Ok(())
        }
    });
    let mut bad = doc(2);
    bad.ports[0].dial_plan = "{ x! }".into();
    match s.store(&bad) {
        Err(Error::Invalid(e)) => assert!(e.has_path("ports[0].dial_plan"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.load().unwrap().config, doc(1));
}

#[test]
fn a_bad_current_falls_back_to_the_previous() {
    let t = TempDir::new("fallback");
    let mut s = ConfigStore::open(&t.0).unwrap();
    s.store(&doc(1)).unwrap();
    s.store(&doc(2)).unwrap();
    let good = std::fs::read_to_string(t.0.join(CURRENT)).unwrap();
    let secret = "pw-2-101";
    assert!(good.contains(secret));
    let cases: Vec<(String, &str)> = vec![
        (good[..good.len() / 2].to_string(), "truncated"),
        ("\u{0}\u{0}garbage".into(), "not JSON"),
        (String::new(), "truncated"),
        (good.replace("\"101\"", "\"10x\""), "ports[0].extension"),
        (
            good.replace("\"store_format\": 1", "\"store_format\": 9"),
            "store_format",
        ),
        (
            good.replace(&format!("\"{secret}\""), "123456789"),
            "config.ports[0].password",
        ),
        (format!("{good}{good}"), "trailing"),
        (" ".repeat(MAX_FILE_BYTES + 1), "larger than"),
    ];
    for (content, why) in cases {
        std::fs::write(t.0.join(CURRENT), &content).unwrap();
        let l = s.load().unwrap();
        assert_eq!((l.version, &l.config), (1, &doc(1)), "{why}");
        let reason = l.recovered.expect("recovered").reason;
        assert!(reason.contains(why), "{why}: {reason}");
        assert!(
            !reason.contains("123456789") && !reason.contains("pw-"),
            "{reason}"
        );
    }
    // A store now replaces the bad current and keeps the good previous. The counter does
    // not reuse 2: this store saw it in the refused files.
    std::fs::write(t.0.join(CURRENT), "{").unwrap();
    assert_eq!(s.store(&doc(3)).unwrap(), 3);
    assert_eq!(s.load().unwrap().config, doc(3));
    assert_eq!(s.rollback().unwrap(), 4);
    assert_eq!(s.load().unwrap().config, doc(1));

    // Nothing valid at all.
    std::fs::write(t.0.join(CURRENT), "{").unwrap();
    std::fs::write(t.0.join(PREVIOUS), "").unwrap();
    match s.load() {
        Err(Error::NoValidConfig {
            current, previous, ..
        }) => {
            assert!(current.contains("truncated") && previous.contains("truncated"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(s.rollback(), Err(Error::NoPrevious { .. })));
}

#[test]
fn leftover_temp_files_are_ignored_and_cleaned() {
    let t = TempDir::new("temps");
    let mut s = ConfigStore::open(&t.0).unwrap();
    s.store(&doc(1)).unwrap();
    std::fs::write(t.0.join(CURRENT_TMP), "{\"store_format\": 1, \"vers").unwrap();
    std::fs::write(t.0.join(PREVIOUS_TMP), "junk").unwrap();
    let l = s.load().unwrap();
    assert_eq!((l.version, l.recovered), (1, None));
    assert_eq!(names(&t.0), [CURRENT]);
    // A stale temp does not disturb the next write either.
    std::fs::write(t.0.join(CURRENT_TMP), "stale").unwrap();
    assert_eq!(s.store(&doc(2)).unwrap(), 2);
    assert_eq!(names(&t.0), [CURRENT, PREVIOUS]);
    assert_eq!(mode(&t.0.join(CURRENT)), 0o600);
}

/// The disk's settled state after the whole of `op` ran on `setup`.
fn run_clean(setup: &Disk, op: impl Fn(&mut ConfigStore) -> Result<u64>) -> (Disk, usize) {
    let fs = MemFs::new(setup.clone());
    let mut s = ConfigStore::with_fs(PathBuf::from("/mem"), Box::new(fs.clone()));
    op(&mut s).unwrap();
    let disk = fs.disk.lock().unwrap().clone();
    let steps = *fs.steps.lock().unwrap();
    (disk.after_power_loss(usize::MAX, DataLoss::Kept), steps)
}

/// What `load` may return after a crash: the old document or the new one.
type Outcome = Option<(GatewayConfig, u64)>;

/// Run `op` on `setup`, stopping it after every step k (and, for a write, halfway through
/// it), then power-fail the disk in every way the model allows (any prefix of the directory
/// operations not yet `fsync`ed; unsynced data kept, lost or torn), and check that `load`
/// returns the old or the new document with its own version, never an error, and that the
/// store keeps working from there (store, then rollback to what was loaded).
fn check_every_crash_point(
    setup: &Disk,
    op: impl Fn(&mut ConfigStore) -> Result<u64>,
    old: Outcome,
    new: (GatewayConfig, u64),
    old_is_recovered: bool,
) {
    let (_, total) = run_clean(setup, &op);
    assert!(total >= 5, "the sequence has {total} steps");
    let (mut saw_old, mut saw_new, mut states) = (false, false, 0);
    for k in 0..=total {
        for partial in [false, true] {
            let fs = MemFs::crashing_after(setup.clone(), k, partial);
            let mut s = ConfigStore::with_fs(PathBuf::from("/mem"), Box::new(fs.clone()));
            let r = op(&mut s);
            if k < total {
                assert!(r.is_err(), "step {k}: the crash must surface as an error");
            } else {
                assert_eq!(r.unwrap(), new.1);
            }
            let disk = fs.disk.lock().unwrap().clone();
            for ops in 0..=disk.pending_ops() {
                for loss in [DataLoss::Kept, DataLoss::Lost, DataLoss::Torn] {
                    states += 1;
                    let after = disk.after_power_loss(ops, loss);
                    let ctx = format!("crash after step {k} (partial {partial}), {ops} dir ops kept, data {loss:?}");
                    let mem = MemFs::new(after);
                    let mut s = ConfigStore::with_fs(PathBuf::from("/mem"), Box::new(mem.clone()));
                    let got = match s.load() {
                        Ok(l) => {
                            let is_new = (&l.config, l.version) == (&new.0, new.1);
                            let is_old = old
                                .as_ref()
                                .is_some_and(|(c, v)| (c, *v) == (&l.config, l.version));
                            assert!(
                                is_new || is_old,
                                "{ctx}: loaded {} v{}",
                                l.config.device.name,
                                l.version
                            );
                            // Recovery happens only when the setup had a bad current.
                            if is_new {
                                assert!(l.recovered.is_none(), "{ctx}: {:?}", l.recovered);
                            } else {
                                assert_eq!(l.recovered.is_some(), old_is_recovered, "{ctx}");
                            }
                            saw_new |= is_new;
                            saw_old |= is_old;
                            Some(l)
                        }
                        Err(Error::Empty { .. }) if old.is_none() => {
                            saw_old = true;
                            None
                        }
                        Err(e) => panic!("{ctx}: {e}"),
                    };
                    let names = mem.disk.lock().unwrap().names();
                    assert!(
                        !names.iter().any(|n| n.ends_with(".tmp")),
                        "{ctx}: temps left: {names:?}"
                    );
                    // The store goes on from there: a new version, and rollback returns to
                    // what was loaded.
                    let v = s.store(&doc(99)).unwrap();
                    assert!(v > got.as_ref().map_or(0, |l| l.version), "{ctx}");
                    assert_eq!(s.load().unwrap().config, doc(99), "{ctx}");
                    if let Some(l) = got {
                        assert_eq!(s.rollback().unwrap(), v + 1, "{ctx}");
                        assert_eq!(s.load().unwrap().config, l.config, "{ctx}");
                    }
                }
            }
        }
    }
    assert!(
        saw_old && saw_new,
        "old seen: {saw_old}, new seen: {saw_new}"
    );
    assert!(states > 50, "{states} crash states");
}

/// Current v2 and previous v1, settled on disk.
fn two_versions() -> Disk {
    let (d, _) = run_clean(&Disk::default(), |s| s.store(&doc(1)));
    let (d, _) = run_clean(&d, |s| s.store(&doc(2)));
    d
}

#[test]
fn crash_at_every_step_of_a_store() {
    check_every_crash_point(
        &two_versions(),
        |s| s.store(&doc(3)),
        Some((doc(2), 2)),
        (doc(3), 3),
        false,
    );
}

#[test]
fn crash_at_every_step_of_the_second_store() {
    let (one, _) = run_clean(&Disk::default(), |s| s.store(&doc(1)));
    check_every_crash_point(
        &one,
        |s| s.store(&doc(2)),
        Some((doc(1), 1)),
        (doc(2), 2),
        false,
    );
}

#[test]
fn crash_at_every_step_of_the_first_store() {
    check_every_crash_point(
        &Disk::default(),
        |s| s.store(&doc(1)),
        None,
        (doc(1), 1),
        false,
    );
}

#[test]
fn crash_at_every_step_of_a_rollback() {
    check_every_crash_point(
        &two_versions(),
        |s| s.rollback(),
        Some((doc(2), 2)),
        (doc(1), 3),
        false,
    );
}

/// With a torn `config.json` (a file system that lied about fsync), the store runs the
/// previous version and never copies the bad file over it.
#[test]
fn crash_at_every_step_of_a_store_over_a_bad_current() {
    let mut d = two_versions();
    let good = d.get(CURRENT).unwrap().to_vec();
    d.put(CURRENT, &good[..good.len() / 3]);
    check_every_crash_point(
        &d,
        |s| s.store(&doc(3)),
        Some((doc(1), 1)),
        (doc(3), 2),
        true,
    );
}

/// The environment variable that turns `real_kill_writer_child` into the writer process.
const WRITER_DIR_ENV: &str = "TIPRING_CONFIG_STORE_WRITER_DIR";

/// The writer process of `sigkill_a_real_writer_at_random_moments`: stores documents in a
/// loop until it is killed. Not a test on its own.
#[test]
#[ignore = "helper: run as a child process by sigkill_a_real_writer_at_random_moments"]
fn real_kill_writer_child() {
    let dir = std::env::var_os(WRITER_DIR_ENV)
        .expect("run by sigkill_a_real_writer_at_random_moments, which sets the directory");
    let mut s = ConfigStore::open(dir).unwrap();
    let mut v = s.load().unwrap().version;
    loop {
        let next = s.store(&doc(v + 1)).unwrap();
        assert_eq!(next, v + 1);
        v = next;
    }
}

/// A small xorshift64* generator for the kill moments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// A real writer process (this test binary, re-executed) is SIGKILLed 200 times at
/// seeded random moments; after each kill the store loads a document that matches its
/// version, from `config.json` itself (a kill is not a power loss: nothing is recovered).
#[test]
fn sigkill_a_real_writer_at_random_moments() {
    let t = TempDir::new("kill");
    let mut s = ConfigStore::open(&t.0).unwrap();
    assert_eq!(s.store(&doc(1)).unwrap(), 1);
    let exe = std::env::current_exe().unwrap();
    let mut rng = Rng(0x5EED_C0F1_6000_0001);
    let (mut last, mut temps_seen) = (1u64, 0);
    for i in 0..200 {
        let mut child = std::process::Command::new(&exe)
            .args([
                "tests::real_kill_writer_child",
                "--exact",
                "--include-ignored",
                "--test-threads=1",
                "--quiet",
            ])
            .env(WRITER_DIR_ENV, &t.0)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros(
            2_000 + rng.next() % 20_000,
        ));
        child.kill().unwrap(); // SIGKILL
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.code().is_none(),
            "kill {i}: the writer stopped by itself: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        temps_seen += [CURRENT_TMP, PREVIOUS_TMP]
            .iter()
            .filter(|n| t.0.join(n).exists())
            .count();
        let l = s
            .load()
            .unwrap_or_else(|e| panic!("kill {i}: load failed: {e}"));
        assert_eq!(l.recovered, None, "kill {i}");
        assert_eq!(
            l.config,
            doc(l.version),
            "kill {i}: document and version disagree"
        );
        assert!(
            l.version >= last,
            "kill {i}: version went back from {last} to {}",
            l.version
        );
        last = l.version;
    }
    // The writer made progress, so the kills landed inside real write sequences.
    assert!(last > 20, "only {last} versions written in 200 runs");
    eprintln!("200 kills: {last} versions written, {temps_seen} leftover temp files cleaned");
}

/// The agent moves the store between threads and tasks.
#[test]
fn store_is_send() {
    fn send<T: Send>(_: &T) {}
    let t = TempDir::new("send");
    let s = ConfigStore::open(&t.0)
        .unwrap()
        .with_dial_plan_check(|_| Ok(()));
    send(&s);
    assert!(format!("{s:?}").contains("dial_plan_check: true"));
}

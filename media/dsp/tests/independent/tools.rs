//! Running the external tools (Debian packages installed by CI).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh directory under the system temp dir for this test run.
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("tipring-dsp-{}-{tag}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// Run `tool` with `args`; fails (does not skip) with the install command if it is missing.
pub fn run(tool: &str, package: &str, args: &[&str]) -> Output {
    match Command::new(tool).args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!(
                "`{tool}` is not installed: run `apt-get install {package}` (needed by this test)"
            )
        }
        Err(e) => panic!("running {tool}: {e}"),
    }
}

/// Like [`run`], and the tool must exit successfully.
pub fn run_ok(tool: &str, package: &str, args: &[&str]) -> Output {
    let out = run(tool, package, args);
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Resample a WAV to 16-bit mono raw PCM at `rate` with sox (what multimon-ng reads).
pub fn sox_to_raw(wav: &Path, rate: u32, raw: &Path) {
    let rate = rate.to_string();
    run_ok(
        "sox",
        "sox",
        &[
            path(wav),
            "-t",
            "raw",
            "-e",
            "signed-integer",
            "-b",
            "16",
            "-c",
            "1",
            "-r",
            &rate,
            path(raw),
        ],
    );
}

/// A path as &str (the temp dir is ASCII).
pub fn path(p: &Path) -> &str {
    p.to_str().expect("ASCII temp path")
}

/// Run `tool` with `args` feeding `input` on stdin; must exit successfully.
pub fn run_with_stdin(tool: &str, package: &str, args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = match Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!(
                "`{tool}` is not installed: run `apt-get install {package}` (needed by this test)"
            )
        }
        Err(e) => panic!("running {tool}: {e}"),
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("writing stdin");
    let out = child.wait_with_output().expect("waiting for tool");
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

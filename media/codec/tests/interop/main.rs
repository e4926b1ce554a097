//! Interop tests against independent implementations: sox (G.711) and ffmpeg (G.722,
//! G.726). A missing tool fails the test with the `apt-get install` line that fixes it.

mod g711_sox;
mod g722_ffmpeg;
mod g726_ffmpeg;

use std::path::PathBuf;
use std::process::Command;

/// Fails (not skips) when `tool` is not installed.
pub fn need(tool: &str, package: &str) {
    let ok = Command::new(tool)
        .arg(if tool == "sox" {
            "--version"
        } else {
            "-version"
        })
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(ok, "`{tool}` is missing: apt-get install {package}");
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tipring-codec-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Runs a command, failing the test with its stderr when it fails.
pub fn run(cmd: &mut Command) {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes s16le samples.
pub fn write_s16(path: &std::path::Path, pcm: &[i16]) {
    let bytes: Vec<u8> = pcm.iter().flat_map(|s| s.to_le_bytes()).collect();
    std::fs::write(path, bytes).expect("write pcm");
}

/// Reads s16le samples.
pub fn read_s16(path: &std::path::Path) -> Vec<i16> {
    let b = std::fs::read(path).expect("read pcm");
    b.chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect()
}

/// A seeded speech-like test signal: a few gliding harmonics with a syllabic envelope
/// plus a little noise (splitmix64), at `rate` Hz.
pub fn speechish(rate: u32, n: usize, seed: u64) -> Vec<i16> {
    let mut s = seed;
    let mut noise = move || {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let fs = f64::from(rate);
    let mut phase = [0.0f64; 5];
    (0..n)
        .map(|i| {
            let t = i as f64 / fs;
            let f0 = 110.0 + 40.0 * (2.0 * std::f64::consts::PI * 0.7 * t).sin();
            let env = 0.55 + 0.45 * (2.0 * std::f64::consts::PI * 3.0 * t).sin();
            let mut v = 0.0;
            for (h, p) in phase.iter_mut().enumerate() {
                let hf = (h + 1) as f64;
                *p += 2.0 * std::f64::consts::PI * f0 * hf * [1.0, 1.0, 1.0, 7.3, 13.1][h] / fs;
                v += p.sin() / hf;
            }
            (env * 7000.0 * v + 300.0 * noise()).round() as i16
        })
        .collect()
}

/// Signal-to-noise ratio of `test` against `reference`, in dB.
pub fn snr_db(reference: &[i16], test: &[i16]) -> f64 {
    let (mut s, mut e) = (0.0f64, 0.0f64);
    for (&r, &t) in reference.iter().zip(test) {
        s += f64::from(r).powi(2);
        e += (f64::from(r) - f64::from(t)).powi(2);
    }
    10.0 * (s / e.max(1e-9)).log10()
}

//! ns per SRTP protect / unprotect of a 172-byte RTP packet (12-byte header + 160 bytes
//! of G.711, 20 ms), both suites, beside libsrtp2 (Debian `libsrtp2-dev`) driven by the
//! same loop in C (`benches/ref/libsrtp_bench.c`, compiled here with `cc`). Both sides copy
//! each packet into a work buffer before processing it, and report the best of 5 rounds.
//!
//! Run: `cargo bench -p tipring-srtp`

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use tipring_srtp::{MasterKey, Policy, Profile, SrtpContext};

const PACKETS: u32 = 100_000;
const ROUNDS: u32 = 5;
const PKT: usize = 172;

#[allow(clippy::disallowed_methods)] // the bench is the one place that reads the clock
fn now() -> Instant {
    Instant::now()
}

/// The same packets as the C harness.
fn packet(i: u32) -> [u8; PKT] {
    let mut p = [0u8; PKT];
    p[0] = 0x80;
    p[2..4].copy_from_slice(&(i as u16).to_be_bytes());
    p[4..8].copy_from_slice(&i.wrapping_mul(160).to_be_bytes());
    p[8..12].copy_from_slice(&0x1234_5678u32.to_be_bytes());
    for (k, b) in p.iter_mut().enumerate().skip(12) {
        *b = (k as u32 ^ i) as u8;
    }
    p
}

fn ns(d: Duration) -> f64 {
    d.as_nanos() as f64 / f64::from(PACKETS)
}

/// (protect, unprotect) ns per packet, best of ROUNDS.
fn ours(profile: Profile) -> (f64, f64) {
    let key = MasterKey::from_bytes(std::array::from_fn(|i| (i as u8).wrapping_mul(7) + 1));
    let plain: Vec<[u8; PKT]> = (0..PACKETS).map(packet).collect();
    let slot = PKT + 10;
    let mut prot = vec![0u8; PACKETS as usize * slot];
    let mut lens = vec![0usize; PACKETS as usize];
    let mut buf = [0u8; PKT + 10];
    let (mut best_p, mut best_u) = (f64::MAX, f64::MAX);
    for _ in 0..ROUNDS {
        let mut tx = SrtpContext::outbound(Policy::new(profile, key.clone())).expect("policy");
        let mut rx = SrtpContext::inbound(Policy::new(profile, key.clone())).expect("policy");
        let t0 = now();
        for (i, p) in plain.iter().enumerate() {
            let out = &mut prot[i * slot..(i + 1) * slot];
            out[..PKT].copy_from_slice(p);
            lens[i] = tx.protect_rtp_slice(out, PKT).expect("protect");
        }
        let t1 = now();
        for (i, &len) in lens.iter().enumerate() {
            buf[..len].copy_from_slice(&prot[i * slot..i * slot + len]);
            let n = rx.unprotect_rtp_slice(&mut buf[..len]).expect("unprotect");
            debug_assert_eq!(n, PKT);
        }
        let t2 = now();
        best_p = best_p.min(ns(t1 - t0));
        best_u = best_u.min(ns(t2 - t1));
        std::hint::black_box(&buf);
    }
    (best_p, best_u)
}

/// Builds and runs the libsrtp2 harness; `Err` says what is missing.
fn libsrtp(tag: u32) -> Result<(f64, f64), String> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/ref/libsrtp_bench.c");
    let dir = std::env::temp_dir().join(format!("tipring-srtp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let exe = dir.join("libsrtp_bench");
    let flags = Command::new("pkg-config")
        .args(["--cflags", "--libs", "libsrtp2"])
        .output()
        .map_err(|e| format!("pkg-config: {e} (apt-get install pkg-config)"))?;
    if !flags.status.success() {
        return Err("libsrtp2 not found by pkg-config: apt-get install libsrtp2-dev".into());
    }
    let flags = String::from_utf8_lossy(&flags.stdout).to_string();
    let status = Command::new("cc")
        .arg("-O2")
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .args(flags.split_whitespace())
        .status()
        .map_err(|e| format!("cc: {e} (apt-get install gcc)"))?;
    if !status.success() {
        return Err("compiling the libsrtp2 harness failed: apt-get install libsrtp2-dev".into());
    }
    let out = Command::new(&exe)
        .args([tag.to_string(), PACKETS.to_string(), ROUNDS.to_string()])
        .output()
        .map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        return Err(format!(
            "libsrtp2 harness failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace().map(|s| s.parse::<f64>());
    match (it.next(), it.next()) {
        (Some(Ok(p)), Some(Ok(u))) => Ok((p, u)),
        _ => Err(format!("unexpected harness output {text:?}")),
    }
}

fn main() {
    println!("SRTP, 172-byte RTP packet (G.711 20 ms), ns/packet, best of {ROUNDS} x {PACKETS}");
    let mut missing = None;
    for (profile, tag) in [
        (Profile::AesCm128HmacSha1_80, 80),
        (Profile::AesCm128HmacSha1_32, 32),
    ] {
        let (p, u) = ours(profile);
        let name = profile.sdes_name();
        match libsrtp(tag) {
            Ok((lp, lu)) => {
                println!(
                    "{name}  protect   ours: {p:7.1} ns   libsrtp2: {lp:7.1} ns   (ours/libsrtp2 {:.2})",
                    p / lp
                );
                println!(
                    "{name}  unprotect ours: {u:7.1} ns   libsrtp2: {lu:7.1} ns   (ours/libsrtp2 {:.2})",
                    u / lu
                );
            }
            Err(e) => {
                println!("{name}  protect   ours: {p:7.1} ns   libsrtp2: unavailable");
                println!("{name}  unprotect ours: {u:7.1} ns   libsrtp2: unavailable");
                missing = Some(e);
            }
        }
    }
    if let Some(e) = missing {
        eprintln!("baseline missing: {e}");
        std::process::exit(1);
    }
}

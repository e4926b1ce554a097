//! The lab as a user runs it: the `tipring-lab` binary with commands on its stdin. Its
//! provisioner enrolls both gateways from their factory identities and gives them their
//! extensions (they start as 801, 802); then, with no PBX: A's phone dials B's extension, which reaches gateway B directly
//! (peer-to-peer), B answers, A's voice (a test tone) is heard in B's earpiece at its
//! level, a key pressed on A arrives at B as an RFC 4733 event.

use std::io::Write as _;
use std::process::{Command, Stdio};

/// Level (dBm0) of `hz` in 8 kHz samples (Goertzel; 0 dBm0 = 22 747.66 peak, G.711).
fn level(samples: &[i16], hz: f64) -> f64 {
    let c = 2.0 * (2.0 * std::f64::consts::PI * hz / 8000.0).cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = f64::from(x) + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let p = (s1 * s1 + s2 * s2 - c * s1 * s2).max(1e-9);
    20.0 * (2.0 * p.sqrt() / samples.len() as f64 / 22_747.66).log10()
}

#[test]
fn two_gateways_call_each_other_without_a_pbx() {
    let dir = std::env::temp_dir().join(format!("tipring-lab-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wav = dir.join("b1.wav");
    let script = format!(
        "a lift 1\nsleep 600\na press 1 201\nsleep 2500\nb lift 1\nsleep 800\n\
         b record 1 {wav}\na speak 1 tone 1000 -10 1500\nsleep 1500\nb record 1 stop\n\
         sleep 200\na press 1 5\nsleep 1200\na hang 1\nsleep 1500\nquit\n",
        wav = wav.display()
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_tipring-lab"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "A Ports call each other by extension (port 1 = 801)",
        "B [port 1 ext 201] configuration applied",
        "lab: every gateway was provisioned by the lab's provisioner",
        "A [port 1 ext 101] SIP: calling 201 at peer gateway",
        "B [port 1 ext 201] phone RINGS",
        "A [port 1 ext 101] line: connected",
        "B [port 1 ext 201] line: connected",
        "B [port 1 ext 201] far end sent key 5 (RFC 4733)",
        "B [port 1 ext 201] line: congestion tone",
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }
    let bytes = std::fs::read(&wav).unwrap();
    // 16-bit mono PCM after a 44-byte header (hound writes the canonical layout).
    let samples: Vec<i16> = bytes[44..]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let l = level(&samples[4000..], 1000.0);
    assert!(
        (l + 10.0).abs() < 1.5,
        "B hears A's 1 kHz at {l:.1} dBm0\n{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

//! Per-port line DSP cost per 10 ms frame: DTMF detection + tone generation + caller-ID FSK
//! generation, as channels per core in real time, against the target (2 000 channels/core:
//! a 48-port gateway under 3 % of a core) and against multimon-ng's DTMF decoder.
//!
//! Run: `cargo bench -p tipring-dsp --bench line_dsp`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tipring_dsp::callerid::{self, CallerId, DateTime, Format, Message};
use tipring_dsp::dtmf::{DtmfDetector, DtmfDetectorConfig};
use tipring_dsp::fsk::FskStandard;
use tipring_dsp::tone::{self, ToneGenerator, ToneKind};
use tipring_dsp::{Frame, FRAME_SAMPLES};

#[path = "../tests/independent/wav.rs"]
mod wav;

/// Target: channels per core in real time.
const TARGET_CHANNELS: f64 = 2000.0;
/// Seconds of audio per measurement.
const AUDIO_S: usize = 60;
/// multimon-ng decodes this many copies of the audio in one run.
const MULTIMON_LOOPS: usize = 5;
/// Measurements per stage (the fastest counts).
const REPS: usize = 5;

#[allow(clippy::disallowed_methods)] // a benchmark reads the clock
fn now() -> Instant {
    Instant::now()
}

/// Best-of-REPS time of `f`, which processes `frames` frames.
fn measure(frames: usize, mut f: impl FnMut()) -> f64 {
    let mut best = Duration::MAX;
    for _ in 0..REPS {
        let t = now();
        f();
        best = best.min(t.elapsed());
    }
    best.as_nanos() as f64 / frames as f64
}

/// 60 s of line audio from the phone: the kept DTMF test set (speech, digits under speech,
/// digits, music), looped.
fn line_audio() -> Vec<i16> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/dtmf");
    let mut all = Vec::new();
    for f in [
        "talkoff_speech.wav",
        "masked_10db.wav",
        "nominal.wav",
        "talkoff_music.wav",
        "dur_40ms.wav",
    ] {
        all.extend(wav::read(&dir.join(f)).1);
    }
    let n = AUDIO_S * 8000;
    all.iter().copied().cycle().take(n).collect()
}

fn multimon_baseline(audio: &[i16]) -> Option<(f64, String)> {
    let dir = std::env::temp_dir().join(format!("tipring-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let w = dir.join("line.wav");
    let raw = dir.join("line.raw");
    // Five times the audio, so that CPU time is well above the timer's resolution.
    let looped: Vec<i16> = audio
        .iter()
        .copied()
        .cycle()
        .take(audio.len() * MULTIMON_LOOPS)
        .collect();
    wav::write(&w, 8000, &looped);
    let p = |x: &Path| x.to_str().unwrap_or_default().to_owned();
    let sox = Command::new("sox")
        .args([
            p(&w),
            "-t".into(),
            "raw".into(),
            "-e".into(),
            "signed-integer".into(),
            "-b".into(),
            "16".into(),
        ])
        .args(["-c", "1", "-r", "22050"])
        .arg(p(&raw))
        .stderr(std::process::Stdio::null())
        .status()
        .ok()?;
    if !sox.success() {
        return None;
    }
    // bash's `time` reports the child's user and system CPU time.
    let script = format!(
        "TIMEFORMAT='%3U %3S'; time multimon-ng -q -c -a DTMF -t raw '{}' > /dev/null",
        p(&raw)
    );
    let mut best = f64::MAX;
    let mut digits = String::new();
    for _ in 0..3 {
        let out = Command::new("bash").args(["-c", &script]).output().ok()?;
        if !out.status.success() {
            return None;
        }
        let err = String::from_utf8_lossy(&out.stderr);
        let mut it = err
            .lines()
            .last()?
            .split_whitespace()
            .map(|v| v.parse::<f64>());
        let (Some(Ok(u)), Some(Ok(s))) = (it.next(), it.next()) else {
            return None;
        };
        best = best.min(u + s);
        let dec = Command::new("multimon-ng")
            .args(["-q", "-c", "-a", "DTMF", "-t", "raw"])
            .arg(p(&raw))
            .output()
            .ok()?;
        digits = String::from_utf8_lossy(&dec.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("DTMF: "))
            .collect();
    }
    let _ = std::fs::remove_dir_all(&dir);
    Some((best, digits))
}

fn channels(ns_per_frame: f64) -> f64 {
    10_000_000.0 / ns_per_frame
}

fn main() {
    let audio = line_audio();
    let frames: Vec<Frame> = audio
        .chunks_exact(FRAME_SAMPLES)
        .map(|c| c.try_into().expect("80 samples"))
        .collect();
    let n = frames.len();

    // 1. DTMF detection on speech, music and digits.
    let mut digits = String::new();
    let dtmf_ns = measure(n, || {
        let mut det = DtmfDetector::new(DtmfDetectorConfig::default());
        let mut count = 0usize;
        for f in &frames {
            det.process(black_box(f), |_| count += 1);
        }
        black_box(count);
    });
    {
        let mut det = DtmfDetector::new(DtmfDetectorConfig::default());
        for f in &frames {
            det.process(f, |e| {
                if let tipring_dsp::dtmf::DtmfEvent::Start { digit, .. } = e {
                    digits.push(digit)
                }
            });
        }
    }

    // 2. Tone generation: US dial tone (two components) and the four-component howler.
    let us = tone::plan("us").expect("us plan");
    let tone_ns = measure(n, || {
        let mut g = ToneGenerator::new(us.tone(ToneKind::Dial));
        let mut out: Frame = [0; FRAME_SAMPLES];
        for _ in 0..n {
            g.fill(&mut out);
            black_box(&out);
        }
    });
    let howler_ns = measure(n, || {
        let mut g = ToneGenerator::new(us.tone(ToneKind::OffHookWarning));
        let mut out: Frame = [0; FRAME_SAMPLES];
        for _ in 0..n {
            g.fill(&mut out);
            black_box(&out);
        }
    });

    // 3. Caller-ID FSK generation (an MDMF burst, restarted whenever it ends).
    let msg = callerid::encode(
        &Message::Call(CallerId {
            number: Some("6095551212".into()),
            name: Some("JOHN DOE".into()),
            when: Some(DateTime {
                month: 9,
                day: 30,
                hour: 12,
                minute: 24,
            }),
            ..CallerId::default()
        }),
        Format::Mdmf,
    );
    let fsk_ns = measure(n, || {
        let mut m = callerid::fsk_burst(FskStandard::Bell202, &msg, false, -13.0);
        let mut out: Frame = [0; FRAME_SAMPLES];
        for _ in 0..n {
            if m.is_idle() {
                m = callerid::fsk_burst(FskStandard::Bell202, &msg, false, -13.0);
            }
            m.fill(&mut out);
            black_box(&out);
        }
    });

    let total = dtmf_ns + tone_ns + fsk_ns;
    println!("tipring-dsp line DSP, {AUDIO_S} s of audio ({n} frames of 10 ms), best of {REPS}");
    println!("  detector heard {:?} in the audio", digits);
    println!();
    println!(
        "  {:<44} {:>10} {:>16}",
        "stage", "ns/frame", "channels/core"
    );
    for (name, ns) in [
        ("DTMF detection (speech + music + digits)", dtmf_ns),
        ("tone generation (US dial, 2 tones)", tone_ns),
        ("tone generation (howler, 4 tones) [info]", howler_ns),
        ("caller-ID FSK generation (Bell 202 MDMF)", fsk_ns),
        ("total per port: DTMF + tone + FSK", total),
    ] {
        println!("  {:<44} {:>10.0} {:>16.0}", name, ns, channels(ns));
    }
    println!();
    let ours = channels(total);
    println!("  {:<44} {:>16}", "baseline", "channels/core");
    println!(
        "  {:<44} {:>16.0}",
        "tipring-dsp (total above, worst case)", ours
    );
    println!(
        "  {:<44} {:>16.0}   ({:.1}x the target; 48 ports = {:.2} % of a core)",
        "target (48 ports < 3 % of a core)",
        TARGET_CHANNELS,
        ours / TARGET_CHANNELS,
        48.0 * total / 10_000_000.0 * 100.0
    );
    match multimon_baseline(&audio) {
        Some((cpu_s, heard)) => {
            let same = heard == digits.repeat(MULTIMON_LOOPS);
            println!("  multimon-ng heard the same digits as our detector in every loop: {same}");
            let secs = AUDIO_S * MULTIMON_LOOPS;
            let mm = secs as f64 / cpu_s.max(0.001);
            println!(
                "  {:<44} {:>16.0}   ({cpu_s:.3} s CPU for {secs} s resampled to 22 050 Hz; our DTMF stage is {:.1}x)",
                "multimon-ng -a DTMF (user+sys CPU)",
                mm,
                channels(dtmf_ns) / mm
            );
        }
        None => println!(
            "  multimon-ng baseline: not measured (install: apt-get install multimon-ng sox)"
        ),
    }
}

//! Speech quality and delay through the jitter buffer, scored by PESQ (ITU-T P.862).
//!
//! `cargo bench -p tipring-jitter --bench pesq`
//!
//! Speech from `espeak-ng` (male and female voices, resampled to 8 kHz by `sox`) is G.711
//! µ-law encoded in 20 ms packets, sent through the seeded [`netem`] emulator (20 ms base
//! delay, uniform jitter, reordering allowed, random or Gilbert-Elliott loss) and played
//! out in 10 ms frames by
//!
//! * ours: [`JitterBuffer`] (adaptive delay, time-stretch) + G.711 Appendix I PLC;
//! * baseline: [`FixedBuffer`] with a fixed 60 ms delay and zero-fill;
//! * fixed+PLC: [`FixedBuffer`] with a fixed 60 ms delay and the same App. I PLC (shows
//!   what adaptation and time-stretching cost or gain on their own).
//!
//! Each output is scored against the clean input with the Python `pesq` package
//! (`pesq(8000, ref, deg, 'nb')`, MOS-LQO). The added playout delay is measured from the
//! played frames' RTP timestamps: pull time − send time − base network delay (the G.711
//! PLC's own 3.75 ms look-back delay is not included). It also prints the buffer's CPU
//! cost per pulled frame.
//!
//! Needs: `apt-get install espeak-ng sox` and `pip install pesq numpy`. Set
//! `PESQ_VERBOSE=1` for per-seed counters, `PESQ_KEEP=1` to keep the WAV files.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tipring_codec::g711::{G711Decoder, G711Encoder, Law};
use tipring_codec::{CodecId, Decoder, Encoder};
use tipring_jitter::netem::{Jitter, Loss, Netem, NetemConfig};
use tipring_jitter::{
    Concealment, Config, FixedBuffer, FixedConfig, FrameKind, JitterBuffer, Packet, PayloadKind,
};

/// Harvard sentences (IEEE 1969), alternating a male (Klatt synthesiser) and a female
/// voice. espeak-ng's default male voice is avoided: its buzzy excitation scores only
/// ~3.9 through G.711 alone, far below natural speech (~4.3-4.4); these voices score like
/// natural speech (the "G.711 only" row shows the ceiling).
const SENTENCES: &[(&str, &str)] = &[
    ("en-us+klatt", "The birch canoe slid on the smooth planks."),
    ("en-us+f3", "Glue the sheet to the dark blue background."),
    ("en-us+klatt", "It is easy to tell the depth of a well."),
    ("en-us+f3", "These days a chicken leg is a rare dish."),
];
const SEEDS: &[u64] = &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const BASE_DELAY_MS: u64 = 20;

#[derive(Debug, Clone, Copy)]
struct Case {
    name: &'static str,
    jitter_ms: u64,
    loss: Loss,
}

fn main() {
    let dir = std::env::temp_dir().join(format!("tipring-jitter-pesq-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    check_tools();
    let speech = make_speech(&dir);
    println!(
        "speech: {:.1} s at 8 kHz (espeak-ng, male + female), G.711 µ-law, 20 ms packets, 10 ms pulls",
        speech.len() as f64 / 8000.0
    );
    let ref_wav = dir.join("ref.wav");
    write_wav(&ref_wav, &speech);

    let cases = [
        Case {
            name: "jitter 40, loss 0 %",
            jitter_ms: 40,
            loss: Loss::None,
        },
        Case {
            name: "jitter 40, loss 1 %",
            jitter_ms: 40,
            loss: Loss::Random { p: 0.01 },
        },
        Case {
            name: "jitter 40, loss 3 %",
            jitter_ms: 40,
            loss: Loss::Random { p: 0.03 },
        },
        Case {
            name: "jitter 40, loss 5 %",
            jitter_ms: 40,
            loss: Loss::Random { p: 0.05 },
        },
        Case {
            name: "jitter 40, GE bursty ~3 %",
            jitter_ms: 40,
            loss: Loss::GilbertElliott {
                p: 0.01,
                r: 0.33,
                loss_in_bad: 0.9,
                loss_in_good: 0.002,
            },
        },
        Case {
            name: "jitter 20, loss 1 %",
            jitter_ms: 20,
            loss: Loss::Random { p: 0.01 },
        },
        Case {
            name: "jitter 60, loss 1 %",
            jitter_ms: 60,
            loss: Loss::Random { p: 0.01 },
        },
    ];

    let mut pairs = Vec::new();
    let mut rows = Vec::new();
    for (ci, case) in cases.iter().enumerate() {
        let mut delays = (0.0, 0.0, 0.0, 0.0);
        for &seed in SEEDS {
            let r = simulate(&speech, case, seed);
            let ours = dir.join(format!("c{ci}_s{seed}_ours.wav"));
            let base = dir.join(format!("c{ci}_s{seed}_base.wav"));
            let plc = dir.join(format!("c{ci}_s{seed}_fixed_plc.wav"));
            write_wav(&ours, &r.ours);
            write_wav(&base, &r.baseline);
            write_wav(&plc, &r.baseline_plc);
            pairs.push(ours);
            pairs.push(base);
            pairs.push(plc);
            delays.0 += r.ours_delay_ms / SEEDS.len() as f64;
            delays.1 += r.jitter_p95_ms / SEEDS.len() as f64;
            delays.2 += r.baseline_delay_ms / SEEDS.len() as f64;
            delays.3 += r.ours_late_pct / SEEDS.len() as f64;
            if std::env::var_os("PESQ_VERBOSE").is_some() {
                println!(
                    "{} seed {seed}: late {:.2} %, concealed frames / accelerate / expand {:?}",
                    case.name, r.ours_late_pct, r.ops
                );
            }
        }
        rows.push(delays);
    }
    // The ceiling: G.711 encode + decode, no network, no buffer.
    let ceiling_wav = dir.join("g711_only.wav");
    {
        let mut enc = G711Encoder::new(Law::Ulaw);
        let mut dec = tipring_codec::g711::G711Decoder::new(Law::Ulaw);
        let mut bytes = Vec::new();
        enc.encode(&speech, &mut bytes).expect("encode");
        let mut pcm = Vec::new();
        for c in bytes.chunks(160) {
            dec.decode(c, &mut pcm).expect("decode");
        }
        write_wav(&ceiling_wav, &pcm);
    }
    pairs.push(ceiling_wav);
    let scores = score(&ref_wav, &pairs);
    println!();
    println!(
        "G.711 only (no network, no buffer): PESQ MOS-LQO {:.2}",
        scores[scores.len() - 1]
    );

    println!();
    println!(
        "{:<26} | {:>8} | {:>8} | {:>9} | {:>10} | {:>13} | {:>10} | {:>11} | {:>10}",
        "case (jitter ms, loss)",
        "ours MOS",
        "ours min",
        "base MOS",
        "fixed+PLC",
        "ours delay ms",
        "jitter p95",
        "delay - p95",
        "base delay"
    );
    println!("{}", "-".repeat(126));
    for (ci, case) in cases.iter().enumerate() {
        let n = SEEDS.len();
        let (mut o, mut omin, mut b, mut p) = (0.0, f64::MAX, 0.0, 0.0);
        for s in 0..n {
            let k = 3 * (ci * n + s);
            o += scores[k] / n as f64;
            omin = omin.min(scores[k]);
            b += scores[k + 1] / n as f64;
            p += scores[k + 2] / n as f64;
        }
        let (d, p95, bd, _) = rows[ci];
        println!(
            "{:<26} | {:>8.2} | {:>8.2} | {:>9.2} | {:>10.2} | {:>13.1} | {:>10.1} | {:>11.1} | {:>10.1}",
            case.name,
            o,
            omin,
            b,
            p,
            d,
            p95,
            d - p95,
            bd
        );
    }
    println!();
    println!("targets: ours >= 3.9 at 1 % and >= 3.6 at 3 % random loss with 40 ms jitter; delay - p95 <= 20 ms");
    println!("ours = adaptive JitterBuffer + G.711 App. I PLC; base = fixed 60 ms + zero-fill; fixed+PLC = fixed 60 ms + App. I PLC");
    println!("MOS = mean PESQ MOS-LQO over seeds {SEEDS:?} (min: worst seed); delay = mean added playout delay of");
    println!("played audio (pull time - send time - 20 ms base delay; the PLC's 3.75 ms look-back not included)");

    cpu_cost();
    if std::env::var_os("PESQ_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        println!("files kept in {}", dir.display());
    }
}

struct Outcome {
    ours: Vec<i16>,
    baseline: Vec<i16>,
    baseline_plc: Vec<i16>,
    ours_delay_ms: f64,
    baseline_delay_ms: f64,
    jitter_p95_ms: f64,
    ours_late_pct: f64,
    ops: (u64, u64, u64),
}

/// The one clock read of the benchmark's virtual time.
#[allow(clippy::disallowed_methods)]
fn wall() -> Instant {
    Instant::now()
}

fn simulate(speech: &[i16], case: &Case, seed: u64) -> Outcome {
    let t0 = wall();
    let mut enc = G711Encoder::new(Law::Ulaw);
    let packets: Vec<Vec<u8>> = speech
        .chunks_exact(160)
        .map(|c| {
            let mut p = Vec::new();
            enc.encode(c, &mut p).expect("encode");
            p
        })
        .collect();
    let mut net = Netem::new(NetemConfig {
        base_delay: Duration::from_millis(BASE_DELAY_MS),
        jitter: Jitter::Uniform {
            max: Duration::from_millis(case.jitter_ms),
        },
        reorder: true,
        loss: case.loss,
        seed,
        ..NetemConfig::default()
    });
    let mut ours = JitterBuffer::new(
        Config {
            seed,
            ..Config::default()
        },
        G711Decoder::new(Law::Ulaw),
    )
    .expect("config");
    let mut base = FixedBuffer::new(
        FixedConfig {
            delay_ms: 60,
            concealment: Concealment::ZeroFill,
            ..FixedConfig::default()
        },
        G711Decoder::new(Law::Ulaw),
    )
    .expect("config");

    let mut base_plc = FixedBuffer::new(
        FixedConfig {
            delay_ms: 60,
            concealment: Concealment::Decoder,
            ..FixedConfig::default()
        },
        G711Decoder::new(Law::Ulaw),
    )
    .expect("config");
    let mut out_plc = Vec::with_capacity(speech.len() + 16_000);
    let ts0: u32 = 0x1234_5678;
    let mut out_ours = Vec::with_capacity(speech.len() + 16_000);
    let mut out_base = Vec::with_capacity(speech.len() + 16_000);
    let mut net_delays = Vec::new();
    let (mut d_ours, mut n_ours, mut d_base, mut n_base) = (0.0, 0u64, 0.0, 0u64);
    let ticks = (packets.len() as u64 * 2) + 100;
    let mut sent = 0usize;
    for tick in 0..ticks {
        let now_ms = tick * 10;
        let now = t0 + Duration::from_millis(now_ms);
        while sent < packets.len() && (sent as u64) * 20 <= now_ms {
            net.send(t0 + Duration::from_millis(sent as u64 * 20), sent);
            sent += 1;
        }
        while let Some(d) = net.poll(now) {
            let i = d.packet;
            net_delays.push(d.network_delay.as_secs_f64() * 1e3 - BASE_DELAY_MS as f64);
            let p = Packet {
                ssrc: 7,
                seq: i as u16,
                timestamp: ts0.wrapping_add(160 * i as u32),
                marker: i == 0,
                kind: PayloadKind::Audio,
                payload: &packets[i],
                arrival: d.at,
            };
            ours.insert(&p);
            base.insert(&p);
            base_plc.insert(&p);
        }
        let sent_ms = |ts: u32| f64::from(ts.wrapping_sub(ts0) as i32) / 8.0;
        let f = ours.pull(now);
        if matches!(
            f.kind,
            FrameKind::Normal | FrameKind::Accelerated | FrameKind::Expanded
        ) {
            if let Some(ts) = f.timestamp {
                d_ours += now_ms as f64 - sent_ms(ts) - BASE_DELAY_MS as f64;
                n_ours += 1;
            }
        }
        out_ours.extend_from_slice(f.pcm);
        let f = base.pull(now);
        if f.kind == FrameKind::Normal {
            if let Some(ts) = f.timestamp {
                d_base += now_ms as f64 - sent_ms(ts) - BASE_DELAY_MS as f64;
                n_base += 1;
            }
        }
        out_base.extend_from_slice(f.pcm);
        out_plc.extend_from_slice(base_plc.pull(now).pcm);
    }
    net_delays.sort_by(f64::total_cmp);
    let p95 = net_delays[net_delays.len() * 95 / 100];
    let st = ours.stats();
    Outcome {
        ours: out_ours,
        baseline: out_base,
        baseline_plc: out_plc,
        ours_delay_ms: d_ours / n_ours.max(1) as f64,
        baseline_delay_ms: d_base / n_base.max(1) as f64,
        jitter_p95_ms: p95,
        ours_late_pct: 100.0 * st.late as f64 / packets.len() as f64,
        ops: (st.frames[1], st.accelerate_count, st.expand_count),
    }
}

fn check_tools() {
    for (tool, pkg) in [("espeak-ng", "espeak-ng"), ("sox", "sox")] {
        let ok = Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(ok, "`{tool}` not found: apt-get install {pkg}");
    }
    let ok = Command::new("python3")
        .args(["-c", "import pesq, numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "python3 with the `pesq` package not found: pip install pesq numpy"
    );
}

fn make_speech(dir: &Path) -> Vec<i16> {
    let mut speech = Vec::new();
    for (i, (voice, text)) in SENTENCES.iter().enumerate() {
        let wav = dir.join(format!("s{i}.wav"));
        let raw = dir.join(format!("s{i}.raw"));
        let st = Command::new("espeak-ng")
            .args(["-v", voice, "-s", "150", "-w"])
            .arg(&wav)
            .arg(text)
            .status()
            .expect("run espeak-ng (apt-get install espeak-ng)");
        assert!(st.success(), "espeak-ng failed");
        let st = Command::new("sox")
            .arg(&wav)
            .args([
                "-t",
                "raw",
                "-r",
                "8000",
                "-c",
                "1",
                "-b",
                "16",
                "-e",
                "signed-integer",
            ])
            .arg(&raw)
            .args(["norm", "-6"])
            .status()
            .expect("run sox (apt-get install sox)");
        assert!(st.success(), "sox failed");
        let bytes = std::fs::read(&raw).expect("read raw");
        speech.extend(
            bytes
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]])),
        );
        speech.extend(std::iter::repeat_n(0i16, 1600)); // 200 ms pause
    }
    let whole = speech.len() / 160 * 160;
    speech.truncate(whole);
    speech
}

fn write_wav(path: &Path, pcm: &[i16]) {
    let data_len = (pcm.len() * 2) as u32;
    let mut b = Vec::with_capacity(44 + pcm.len() * 2);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&8000u32.to_le_bytes());
    b.extend_from_slice(&16000u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for s in pcm {
        b.extend_from_slice(&s.to_le_bytes());
    }
    std::fs::write(path, b).expect("write wav");
}

/// Scores every file against `reference` in one Python process.
fn score(reference: &Path, degraded: &[PathBuf]) -> Vec<f64> {
    const SCRIPT: &str = r#"
import sys, wave, numpy as np
from pesq import pesq
def load(p):
    w = wave.open(p, 'rb')
    return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float64)
ref = load(sys.argv[1])
for p in sys.argv[2:]:
    deg = load(p)
    print(pesq(8000, ref, deg, 'nb'), flush=True)
"#;
    let out = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(reference)
        .args(degraded)
        .output()
        .expect("run python3 (pip install pesq numpy)");
    assert!(
        out.status.success(),
        "PESQ scoring failed (pip install pesq numpy): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scores: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().parse().expect("a MOS-LQO number"))
        .collect();
    assert_eq!(scores.len(), degraded.len());
    scores
}

/// A decoder that costs nothing, to time the buffer alone.
#[derive(Debug)]
struct Copy8;
impl Decoder for Copy8 {
    fn codec(&self) -> CodecId {
        CodecId::Pcmu
    }
    fn sample_rate(&self) -> u32 {
        8000
    }
    fn decode(&mut self, p: &[u8], out: &mut Vec<i16>) -> tipring_codec::Result<usize> {
        out.extend(p.iter().map(|&b| i16::from(b as i8) * 64));
        Ok(p.len())
    }
    fn conceal(&mut self, n: usize, out: &mut Vec<i16>) {
        out.extend(std::iter::repeat_n(0, n));
    }
    fn reset(&mut self) {}
}

fn cpu_cost() {
    let t0 = wall();
    let seconds = 600u64;
    let payloads: Vec<Vec<u8>> = (0..50)
        .map(|k| (0..160).map(|i| ((i * 7 + k * 13) % 251) as u8).collect())
        .collect();
    let mut net = Netem::new(NetemConfig {
        base_delay: Duration::from_millis(20),
        jitter: Jitter::Uniform {
            max: Duration::from_millis(40),
        },
        reorder: true,
        loss: Loss::Random { p: 0.01 },
        drift_ppm: 300.0,
        seed: 5,
        ..NetemConfig::default()
    });
    let mut arrivals = Vec::new();
    for i in 0..seconds * 50 {
        net.send(t0 + Duration::from_millis(20 * i), i as usize);
    }
    while let Some(d) = net.poll(t0 + Duration::from_secs(seconds + 2)) {
        arrivals.push((d.at, d.packet));
    }
    let ticks = seconds * 100;
    let run = |ours: bool| -> f64 {
        let mut jb = JitterBuffer::new(
            Config {
                max_events: 0,
                ..Config::default()
            },
            Copy8,
        )
        .expect("config");
        let mut fb = FixedBuffer::new(FixedConfig::default(), Copy8).expect("config");
        let mut k = 0;
        let start = wall();
        for tick in 0..ticks {
            let now = t0 + Duration::from_millis(tick * 10);
            while k < arrivals.len() && arrivals[k].0 <= now {
                let (at, i) = arrivals[k];
                let p = Packet {
                    ssrc: 1,
                    seq: i as u16,
                    timestamp: 160 * i as u32,
                    marker: false,
                    kind: PayloadKind::Audio,
                    payload: &payloads[i % 50],
                    arrival: at,
                };
                if ours {
                    jb.insert(&p);
                } else {
                    fb.insert(&p);
                }
                k += 1;
            }
            if ours {
                std::hint::black_box(jb.pull(now).pcm[0]);
            } else {
                std::hint::black_box(fb.pull(now).pcm[0]);
            }
        }
        wall().duration_since(start).as_nanos() as f64 / ticks as f64
    };
    let ours = run(true);
    let base = run(false);
    println!();
    println!(
        "CPU per pulled 10 ms frame (insert + pull, trivial decoder, 40 ms jitter, 1 % loss, 300 ppm drift):"
    );
    println!("  ours (adaptive JitterBuffer): {ours:.0} ns/frame   baseline (FixedBuffer): {base:.0} ns/frame");
}

//! Line echo canceller against speexdsp's, on the same simulated hybrid and the same speech.
//!
//! The hybrid: ERL 6 dB (the G.168 worst case), a bulk delay and an exponentially decaying
//! seeded random dispersion (the formula of tipring-hal's `sim::EchoPath::taps`), tails of 64
//! and 128 ms. Far end: espeak-ng speech (en-us) at -18 dBm0 active level; near end: line noise
//! at -65 dBm0, plus a second voice (en-gb, female) for the double-talk run.
//!
//! ERLE = 10·log10(echo power / residual echo power) over the 10 ms frames of a 0.5 s window
//! in which the echo is above -45 dBm0. For the linear filters the residual echo is the output
//! minus the near-end signal (speech + noise), which the simulation knows; with an NLP
//! ("+NLP", comfort noise off; speex "+pp", its preprocessor's echo suppression) it is the
//! whole output on echo-only windows, i.e. G.168's combined loss minus the ERL.
//!
//! The double-talk run adds the second voice at the near end from 5 to 7 s: "DT" is the
//! linear ERLE under it, "before"/"after" the ERLE at 4.5-5 s and 9.5-10 s (no divergence:
//! after >= before - 3 dB), and "NE att" the near-end attenuation over the double talk:
//! the energy of the near-end signal alone (speech + noise) over that of the output, in dB
//! (what the canceller, NLP included, takes away from the near-end talker; target <= 3 dB).
//!
//! speexdsp runs as a C program (`benches/ref/speex_aec.c`) compiled here with
//! `cc ... -lspeexdsp` (Debian: `apt-get install libspeexdsp-dev`), on the same raw files; it
//! times its own processing loop.
//!
//! Run: `cargo bench -p tipring-dsp --bench echo`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tipring_dsp::ec::{EcConfig, EchoCanceller};
use tipring_dsp::level::DBM0_RMS;

const RATE: usize = 8000;
/// Frame of the CPU measurement and of speexdsp (20 ms).
const FRAME: usize = 160;
/// Length of the echo-only run.
const RUN_S: f32 = 20.5;
/// ERLE columns: windows ending at these times (s).
const AT: [f32; 5] = [1.0, 2.0, 5.0, 10.0, 20.0];
/// Double talk in the second run.
const DT_START_S: f32 = 5.0;
const DT_END_S: f32 = 7.0;

#[allow(clippy::disallowed_methods)] // a benchmark reads the clock
fn now() -> Instant {
    Instant::now()
}

/// Run a tool; a missing tool fails with the package to install.
fn run(tool: &str, package: &str, args: &[&str]) -> std::process::Output {
    match Command::new(tool).args(args).output() {
        Ok(o) if o.status.success() => o,
        Ok(o) => panic!(
            "{tool} {args:?} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("`{tool}` is not installed: run `apt-get install {package}`")
        }
        Err(e) => panic!("running {tool}: {e}"),
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

fn read_raw(p: &Path) -> Vec<i16> {
    let b = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    b.chunks_exact(2)
        .map(|c| i16::from_ne_bytes([c[0], c[1]]))
        .collect()
}

fn write_raw(p: &Path, v: &[i16]) {
    let b: Vec<u8> = v.iter().flat_map(|x| x.to_ne_bytes()).collect();
    std::fs::write(p, b).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
}

/// espeak-ng speech at 8 kHz, scaled to `dbm0` active level, looped to `n` samples.
fn speech(dir: &Path, voice: &str, text: &str, dbm0: f32, n: usize) -> Vec<f32> {
    let wav = dir.join(format!("{voice}.wav"));
    let raw = dir.join(format!("{voice}.raw"));
    run(
        "espeak-ng",
        "espeak-ng",
        &["-v", voice, "-s", "160", "-w", s(&wav), text],
    );
    run(
        "sox",
        "sox",
        &[
            // Repeatable: sox dithers the 16-bit output with a time-seeded generator
            // otherwise, and the runs would differ by ±1 LSB.
            "-R",
            s(&wav),
            "-r",
            "8000",
            "-t",
            "raw",
            "-e",
            "signed-integer",
            "-b",
            "16",
            "-c",
            "1",
            s(&raw),
        ],
    );
    let v: Vec<f32> = read_raw(&raw).into_iter().map(f32::from).collect();
    // Active level: mean power of the 10 ms frames within 30 dB of the loudest (≈ P.56).
    let frames: Vec<f32> = v
        .chunks_exact(80)
        .map(|c| c.iter().map(|x| x * x).sum::<f32>() / 80.0)
        .collect();
    let max = frames.iter().fold(0.0f32, |a, &b| a.max(b));
    let active: Vec<f32> = frames.into_iter().filter(|&p| p > max * 1e-3).collect();
    let level = active.iter().sum::<f32>() / active.len().max(1) as f32;
    let target = DBM0_RMS * DBM0_RMS * 10f32.powf(dbm0 / 10.0);
    let g = (target / level).sqrt();
    v.iter().map(|x| x * g).cycle().take(n).collect()
}

/// tipring-hal's `sim::EchoPath::taps` formula (copied: tipring-hal depends on this crate):
/// first tap 1, then seeded taps of either sign under an exponential envelope reaching
/// -35 dB at the end, the mean taken out along the envelope (no gain at DC, like the
/// band-pass hybrids of G.168 Annex D), scaled to the ERL.
fn hybrid_taps(dispersion: usize, erl_db: f32, seed: u64) -> Vec<f32> {
    let mut state = seed ^ 0xEC40_EC40_EC40_EC40;
    let mut uniform = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        2.0 * ((z >> 40) as f32 / (1u64 << 24) as f32) - 1.0
    };
    let n = dispersion.max(1);
    let tau = n as f32 / 4.0;
    let env: Vec<f32> = (0..n).map(|k| (-(k as f32) / tau).exp()).collect();
    let mut taps: Vec<f32> = env
        .iter()
        .enumerate()
        .map(|(k, e)| if k == 0 { *e } else { uniform() * e })
        .collect();
    if n > 1 {
        let sum: f32 = taps.iter().sum();
        let w: f32 = env.iter().sum();
        for (t, e) in taps.iter_mut().zip(&env) {
            *t -= sum * e / w;
        }
    }
    let e: f32 = taps.iter().map(|t| t * t).sum();
    let g = (10f32.powf(-erl_db / 10.0) / e).sqrt();
    taps.iter_mut().for_each(|t| *t *= g);
    taps
}

fn echo_of(far: &[f32], delay: usize, taps: &[f32]) -> Vec<f32> {
    (0..far.len())
        .map(|n| {
            taps.iter()
                .enumerate()
                .filter_map(|(k, h)| n.checked_sub(delay + k).map(|i| h * far[i]))
                .sum()
        })
        .collect()
}

fn noise(n: usize, dbm0: f32, seed: u64) -> Vec<f32> {
    let mut st = seed;
    let a = DBM0_RMS * 10f32.powf(dbm0 / 20.0) * 3f32.sqrt();
    (0..n)
        .map(|_| {
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            a * ((st >> 40) as f32 / (1u64 << 23) as f32 - 1.0)
        })
        .collect()
}

fn to_i16(v: &[f32]) -> Vec<i16> {
    v.iter()
        .map(|x| x.round().clamp(-32768.0, 32767.0) as i16)
        .collect()
}

/// One scenario's signals.
struct Scenario {
    far: Vec<i16>,
    /// What comes back from the line: echo + near-end.
    near_in: Vec<i16>,
    echo: Vec<f32>,
    /// Near-end speech + noise (what a perfect canceller leaves).
    near: Vec<f32>,
}

fn scenario(
    far: &[f32],
    talker: Option<&[f32]>,
    delay_ms: usize,
    disp_ms: usize,
    seed: u64,
) -> Scenario {
    let n = far.len();
    let taps = hybrid_taps(disp_ms * 8, 6.0, seed);
    let echo = echo_of(far, delay_ms * 8, &taps);
    let mut near = noise(n, -65.0, seed ^ 0x55);
    if let Some(t) = talker {
        let (a, b) = (
            (DT_START_S * RATE as f32) as usize,
            (DT_END_S * RATE as f32) as usize,
        );
        for (i, v) in near.iter_mut().enumerate().take(b).skip(a) {
            *v += t[i - a];
        }
    }
    let near_in: Vec<f32> = echo.iter().zip(&near).map(|(e, v)| e + v).collect();
    Scenario {
        far: to_i16(far),
        near_in: to_i16(&near_in),
        echo,
        near,
    }
}

/// ERLE over [t0, t1) s: echo power over residual power, on frames with echo above -45 dBm0.
/// `combined` measures against the whole output (NLP) instead of output minus near end.
fn erle(sc: &Scenario, out: &[i16], t0: f32, t1: f32, combined: bool) -> f32 {
    let thr = DBM0_RMS * DBM0_RMS * 10f32.powf(-45.0 / 10.0) * 80.0;
    let (a, b) = ((t0 * RATE as f32) as usize, (t1 * RATE as f32) as usize);
    let (mut pe, mut pr) = (0.0f64, 0.0f64);
    for f in (a..b.min(out.len())).step_by(80) {
        let end = (f + 80).min(out.len());
        let e: f32 = sc.echo[f..end].iter().map(|x| x * x).sum();
        if e < thr {
            continue;
        }
        let r: f32 = (f..end)
            .map(|i| {
                let o = f32::from(out[i]);
                let r = if combined { o } else { o - sc.near[i] };
                r * r
            })
            .sum();
        pe += f64::from(e);
        pr += f64::from(r);
    }
    if pr <= 0.0 {
        return 99.9;
    }
    (10.0 * (pe / pr).log10()).min(99.9) as f32
}

/// Our canceller over the scenario, 20 ms frames; returns the output and ns per frame.
fn ours(sc: &Scenario, tail_ms: u32, nlp: bool) -> (Vec<i16>, f64) {
    let cfg = EcConfig {
        tail_ms,
        nlp,
        cng: false,
        ..EcConfig::default()
    };
    let mut out = sc.near_in.clone();
    let n = out.len() / FRAME * FRAME;
    out.truncate(n);
    let mut best = Duration::MAX;
    let mut result = Vec::new();
    for _ in 0..3 {
        let mut ec = EchoCanceller::new(cfg).expect("valid config");
        let mut buf = out.clone();
        let t = now();
        for (rx, tx) in buf.chunks_exact_mut(FRAME).zip(sc.far.chunks_exact(FRAME)) {
            ec.process(rx, tx).expect("160-sample frames");
        }
        best = best.min(t.elapsed());
        result = buf;
    }
    (result, best.as_nanos() as f64 / (n / FRAME) as f64)
}

/// speexdsp on the scenario: output and its ns per frame; None when it cannot be built.
fn speex(sc: &Scenario, dir: &Path, tail_ms: u32, pp: bool) -> Option<(Vec<i16>, f64)> {
    let bin = dir.join("speex_aec");
    if !bin.exists() {
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/ref/speex_aec.c");
        let st = Command::new("cc")
            .args(["-O2", "-o", s(&bin), s(&src), "-lspeexdsp"])
            .status()
            .ok()?;
        if !st.success() {
            return None;
        }
    }
    let (f, nn, o) = (
        dir.join("far.raw"),
        dir.join("near.raw"),
        dir.join("out.raw"),
    );
    write_raw(&f, &sc.far);
    write_raw(&nn, &sc.near_in);
    let mut best = f64::MAX;
    for _ in 0..3 {
        let out = Command::new(&bin)
            .args([s(&f), s(&nn), s(&o)])
            .arg(FRAME.to_string())
            .arg((tail_ms as usize * 8).to_string())
            .arg(if pp { "1" } else { "0" })
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let ns: f64 = text.trim().strip_prefix("ns_per_frame ")?.parse().ok()?;
        best = best.min(ns);
    }
    Some((read_raw(&o), best))
}

struct Row {
    name: String,
    at: [f32; 5],
    dt: f32,
    before: f32,
    after: f32,
    /// Near-end attenuation during the double talk (dB).
    att: f32,
    ns: f64,
}

/// Near-end attenuation over the double talk: near-end-only energy (speech + noise, what a
/// perfect canceller passes) over the output's energy, in dB (positive = near end lost).
fn near_attenuation(sc: &Scenario, out: &[i16]) -> f32 {
    let (a, b) = (
        (DT_START_S * RATE as f32) as usize,
        (DT_END_S * RATE as f32) as usize,
    );
    let pn: f64 = sc.near[a..b].iter().map(|v| f64::from(v * v)).sum();
    let po: f64 = out[a..b].iter().map(|&v| f64::from(v).powi(2)).sum();
    (10.0 * (pn / po.max(1.0)).log10()) as f32
}

fn main() {
    let dir = std::env::temp_dir().join(format!("tipring-echo-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let n = (RUN_S * RATE as f32) as usize;
    let far = speech(
        &dir,
        "en-us",
        "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue \
         background. It is easy to tell the depth of a well. These days a chicken leg is a \
         rare dish. Rice is often served in round bowls. The juice of lemons makes fine punch. \
         The box was thrown beside the parked truck. The hogs were fed chopped corn and garbage.",
        -18.0,
        n,
    );
    let talker = speech(
        &dir,
        "en-gb+f3",
        "Four hours of steady work faced us. A large size in stockings is hard to sell. \
         The boy was there when the sun rose.",
        -18.0,
        n,
    );

    println!(
        "Line echo cancellation: simulated hybrid, ERL 6 dB, espeak-ng speech at -18 dBm0, \
         line noise -65 dBm0, {FRAME}-sample (20 ms) frames"
    );
    println!(
        "ERLE in dB over 0.5 s windows ending at t (EC_CURVE=1 prints every window); double talk {DT_START_S}-{DT_END_S} s in a \
         second run (ERLE of the echo under the near-end voice; before = 4.5-5 s, after = \
         9.5-10 s; NE att = near-end energy lost over the double talk)"
    );
    for (tail, delay, disp) in [(64u32, 8usize, 24usize), (128, 20, 60)] {
        let a = scenario(&far, None, delay, disp, 0xEC0 + u64::from(tail));
        let b = scenario(&far, Some(&talker), delay, disp, 0xEC0 + u64::from(tail));
        let mut rows = Vec::new();
        let mut add = |name: &str, oa: &[i16], ob: &[i16], ns: f64, combined: bool| {
            let at = AT.map(|t| erle(&a, oa, t - 0.5, t, combined));
            if std::env::var_os("EC_CURVE").is_some() {
                // The whole ERLE curve, one 0.5 s window each (EC_CURVE=1).
                let c: Vec<String> = (1..=(RUN_S * 2.0) as usize)
                    .map(|k| {
                        format!(
                            "{:.0}",
                            erle(&a, oa, (k - 1) as f32 * 0.5, k as f32 * 0.5, combined)
                        )
                    })
                    .collect();
                println!("  curve {name}: {}", c.join(" "));
            }
            rows.push(Row {
                name: name.to_owned(),
                at,
                // During double talk only the linear residual means anything.
                dt: if combined {
                    f32::NAN
                } else {
                    erle(&b, ob, DT_START_S, DT_END_S, false)
                },
                before: erle(&b, ob, DT_START_S - 0.5, DT_START_S, combined),
                after: erle(&b, ob, 9.5, 10.0, combined),
                att: near_attenuation(&b, ob),
                ns,
            });
        };
        let (oa, ns) = ours(&a, tail, false);
        let (ob, _) = ours(&b, tail, false);
        add("tipring (linear)", &oa, &ob, ns, false);
        let (oa, ns) = ours(&a, tail, true);
        let (ob, _) = ours(&b, tail, true);
        add("tipring + NLP (combined)", &oa, &ob, ns, true);
        for pp in [false, true] {
            match (speex(&a, &dir, tail, pp), speex(&b, &dir, tail, pp)) {
                (Some((oa, ns)), Some((ob, _))) => {
                    let name = if pp {
                        "speexdsp + pp (combined)"
                    } else {
                        "speexdsp (linear)"
                    };
                    add(name, &oa, &ob, ns, pp);
                }
                _ => println!(
                    "  speexdsp: not measured (install: apt-get install libspeexdsp-dev gcc)"
                ),
            }
        }
        println!();
        println!("tail {tail} ms, echo delay {delay} ms, dispersion {disp} ms");
        println!(
            "  {:<26} {:>6} {:>6} {:>6} {:>6} {:>6} | {:>6} {:>6} {:>6} {:>6} | {:>9} {:>9}",
            "canceller",
            "1 s",
            "2 s",
            "5 s",
            "10 s",
            "20 s",
            "before",
            "DT",
            "after",
            "NE att",
            "ns/20ms",
            "ch/core"
        );
        for r in &rows {
            let dt = if r.dt.is_nan() {
                "-".to_owned()
            } else {
                format!("{:.1}", r.dt)
            };
            println!(
                "  {:<26} {:>6.1} {:>6.1} {:>6.1} {:>6.1} {:>6.1} | {:>6.1} {:>6} {:>6.1} {:>6.1} | {:>9.0} {:>9.0}",
                r.name, r.at[0], r.at[1], r.at[2], r.at[3], r.at[4], r.before, dt, r.after, r.att, r.ns,
                20e6 / r.ns
            );
        }
    }
    println!();
    println!(
        "targets: >= 20 dB at 1 s, >= 40 dB steady state, after >= before - 3 dB (no divergence), \
         NE att <= 3 dB, \
         fewer ns than speexdsp; ch/core = 20 ms / (ns per frame)"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

//! Cost per 10 ms frame of the media-path helpers: VAD, RFC 3389 comfort noise (encode and
//! generate), gain and fax tone detection, as channels per core, against the per-channel
//! budget (~40 µs per 20 ms for the whole media path, i.e. 20 µs per 10 ms).
//!
//! Run: `cargo bench -p tipring-dsp --bench media_dsp`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use tipring_dsp::cng::{CnEncoder, CnGenerator};
use tipring_dsp::faxtone::FaxToneDetector;
use tipring_dsp::gain::Gain;
use tipring_dsp::vad::{Vad, VadConfig};

const FRAMES: usize = 6000; // 60 s
const REPS: usize = 5;

#[allow(clippy::disallowed_methods)] // a benchmark reads the clock
fn now() -> Instant {
    Instant::now()
}

fn measure(mut f: impl FnMut()) -> f64 {
    let mut best = Duration::MAX;
    for _ in 0..REPS {
        let t = now();
        f();
        best = best.min(t.elapsed());
    }
    best.as_nanos() as f64 / FRAMES as f64
}

fn main() {
    // Seeded noise-like audio with speech-level bursts.
    let mut st = 0x1234_5678u32;
    let audio: Vec<i16> = (0..FRAMES * 80)
        .map(|i| {
            st ^= st << 13;
            st ^= st >> 17;
            st ^= st << 5;
            let loud = (i / 4000) % 2 == 0;
            ((st >> 16) as i16) / if loud { 8 } else { 512 }
        })
        .collect();
    let vad_ns = measure(|| {
        let mut v = Vad::new(VadConfig::default());
        for f in audio.chunks_exact(80) {
            black_box(v.process(black_box(f)));
        }
    });
    let enc = CnEncoder::new(10).expect("order 10");
    let enc_ns = measure(|| {
        for f in audio.chunks_exact(80) {
            black_box(enc.encode(black_box(f)));
        }
    });
    let p = enc.encode(&audio[..800]);
    let gen_ns = measure(|| {
        let mut g = CnGenerator::new(1);
        g.update(&p);
        let mut out = [0i16; 80];
        for _ in 0..FRAMES {
            g.fill(&mut out);
            black_box(&out);
        }
    });
    let gain = Gain::new(-3.5).expect("in range");
    let gain_ns = measure(|| {
        let mut buf = [0i16; 80];
        for f in audio.chunks_exact(80) {
            buf.copy_from_slice(f);
            gain.apply(&mut buf);
            black_box(&buf);
        }
    });
    let fax_ns = measure(|| {
        let mut d = FaxToneDetector::new();
        let mut n = 0;
        for f in audio.chunks_exact(80) {
            d.process(black_box(f), |_| n += 1);
        }
        black_box(n);
    });
    println!("tipring-dsp media helpers, 60 s of audio, 10 ms frames, best of {REPS}");
    println!(
        "  {:<40} {:>10} {:>14}",
        "stage", "ns/frame", "channels/core"
    );
    for (name, ns) in [
        ("VAD (energy + ZCR, hangover)", vad_ns),
        ("CN encode (LPC order 10, per frame)", enc_ns),
        ("CN generate (order 10)", gen_ns),
        ("gain (Q13, saturating)", gain_ns),
        ("fax tone detection (CNG/CED/V.21)", fax_ns),
    ] {
        println!("  {:<40} {:>10.0} {:>14.0}", name, ns, 10_000_000.0 / ns);
    }
    println!("  budget: the whole media path per channel ~20 000 ns per 10 ms (500 channels/core)");
}

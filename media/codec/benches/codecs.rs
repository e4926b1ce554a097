//! Codec speed: ns per 20 ms frame for encode and decode of every codec compiled in, the
//! full-duplex channels per core that implies, and a baseline beside each figure:
//!
//! * G.711: the classic per-sample segment-search encoder vs our table;
//! * G.722, G.726: ffmpeg's codec on the same input, when ffmpeg is installed:
//!   `ffmpeg -benchmark` user time over a raw file (best of 3), printed both as measured
//!   and with the time of the same run with raw s16le passthrough instead of the codec
//!   subtracted (an estimate of the codec alone, the fair comparison).
//!
//! Run: `cargo bench -p tipring-codec` (add `--features g729,opus` for those).

use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use tipring_codec::g711::{self, Law};
use tipring_codec::g722::{G722Decoder, G722Encoder, Mode};
use tipring_codec::plc::Plc;
use tipring_codec::resample::Resampler;
use tipring_codec::{
    new_decoder, new_encoder, CodecId, Decoder, Encoder, EncoderParams, ALL_CODECS,
};

/// The bench's one clock read.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

/// Runs `f` over and over for about `budget`, returns ns per call.
fn time<F: FnMut()>(budget: Duration, mut f: F) -> f64 {
    for _ in 0..50 {
        f();
    }
    let start = now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..100 {
            f();
        }
        n += 100;
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn signal(rate: u32, seconds: u32) -> Vec<i16> {
    let n = (rate * seconds) as usize;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let noise = (seed >> 40) as f64 / (1u64 << 24) as f64 - 0.5;
            let env = 0.6 + 0.4 * (2.0 * std::f64::consts::PI * 3.0 * t).sin();
            let v = (2.0 * std::f64::consts::PI * 140.0 * t).sin()
                + 0.5 * (2.0 * std::f64::consts::PI * 420.0 * t).sin()
                + 0.3 * (2.0 * std::f64::consts::PI * 1900.0 * t).sin();
            (env * 8000.0 * v + 400.0 * noise) as i16
        })
        .collect()
}

/// ffmpeg's figures for one codec, ns per 20 ms frame.
struct Ffmpeg {
    /// `-benchmark` user time of the whole encode / decode run.
    enc: f64,
    dec: f64,
    /// The same runs with the codec replaced by raw s16le passthrough (reading, writing,
    /// ffmpeg's per-frame plumbing), which the codec-only estimate subtracts.
    enc_io: f64,
    dec_io: f64,
}

/// ffmpeg's ns per 20 ms frame to encode and decode a raw file (best of 3 runs each).
fn ffmpeg_ns_per_frame(codec: &str, format: &str, rate: u32, extra: &[&str]) -> Option<Ffmpeg> {
    let dir = std::env::temp_dir().join(format!("tipring-codec-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let seconds = 120;
    let pcm = signal(rate, seconds);
    let raw = dir.join("in.raw");
    let coded = dir.join("coded.bin");
    let copy = dir.join("copy.raw");
    let bytes: Vec<u8> = pcm.iter().flat_map(|s| s.to_le_bytes()).collect();
    std::fs::write(&raw, bytes).ok()?;
    let utime = |args: &[String]| -> Option<f64> {
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let out = Command::new("ffmpeg")
                .args(["-hide_banner", "-nostats", "-benchmark", "-y"])
                .args(args)
                .output()
                .ok()?;
            let text = String::from_utf8_lossy(&out.stderr).to_string();
            let line = text.lines().find(|l| l.starts_with("bench: utime="))?;
            let v = line.trim_start_matches("bench: utime=").split('s').next()?;
            best = best.min(v.parse::<f64>().ok()?);
        }
        Some(best)
    };
    let strings = |v: &[&str]| -> Vec<String> { v.iter().map(|s| s.to_string()).collect() };
    let rate_s = rate.to_string();
    let raw_in = strings(&["-f", "s16le", "-ar", &rate_s, "-ac", "1", "-i"]);
    let mut enc_args = raw_in.clone();
    enc_args.push(raw.display().to_string());
    let mut io_args = enc_args.clone();
    enc_args.extend(strings(&["-c:a", codec]));
    enc_args.extend(strings(extra));
    enc_args.extend(strings(&["-f", format]));
    enc_args.push(coded.display().to_string());
    io_args.extend(strings(&["-c:a", "pcm_s16le", "-f", "s16le"]));
    io_args.push(copy.display().to_string());
    let enc = utime(&enc_args)?;
    let enc_io = utime(&io_args)?;
    let mut dec_args = strings(&["-f", format]);
    if format.starts_with("g726") {
        dec_args.extend(strings(&["-code_size", "4", "-ar", "8000"]));
    }
    dec_args.push("-i".into());
    dec_args.push(coded.display().to_string());
    dec_args.extend(strings(&["-f", "null", "-"]));
    let dec = utime(&dec_args)?;
    let mut io_args = raw_in;
    io_args.push(raw.display().to_string());
    io_args.extend(strings(&["-f", "null", "-"]));
    let dec_io = utime(&io_args)?;
    let _ = std::fs::remove_dir_all(&dir);
    let per_frame = |s: f64| s * 1e9 / f64::from(seconds * 50);
    Some(Ffmpeg {
        enc: per_frame(enc),
        dec: per_frame(dec),
        enc_io: per_frame(enc_io),
        dec_io: per_frame(dec_io),
    })
}

fn main() {
    let budget = Duration::from_millis(300);
    println!("tipring-codec bench: ns per 20 ms frame (release build), 1 core");
    println!("channels/core = 20 ms / (encode + decode), full duplex, codec only\n");

    // G.711 encoder: table vs classic segment search.
    let pcm8 = signal(8000, 1);
    let frame8 = &pcm8[..160];
    let mut codes = [0u8; 160];
    for (law, name) in [(Law::Ulaw, "PCMU"), (Law::Alaw, "PCMA")] {
        let table = time(budget, || {
            law.encode_into(black_box(frame8), &mut codes);
            black_box(&codes);
        });
        let search = time(budget, || {
            for (o, &x) in codes.iter_mut().zip(black_box(frame8)) {
                *o = match law {
                    Law::Ulaw => g711::ulaw_encode_search(x),
                    Law::Alaw => g711::alaw_encode_search(x),
                };
            }
            black_box(&codes);
        });
        println!(
            "{name} encode   ours (table): {table:8.0} ns/frame   baseline (segment search): {search:8.0} ns/frame   ({:.1}x)",
            search / table
        );
    }

    // Every codec through the registry.
    println!();
    let ff: Vec<(CodecId, Option<Ffmpeg>)> = vec![
        (
            CodecId::G722,
            ffmpeg_ns_per_frame("g722", "g722", 16000, &[]),
        ),
        (
            CodecId::G726_32,
            ffmpeg_ns_per_frame("g726le", "g726le", 8000, &["-b:a", "32k"]),
        ),
    ];
    for id in ALL_CODECS {
        if !id.is_available() {
            println!("{:<13} not compiled in", id.encoding_name());
            continue;
        }
        let mut enc = new_encoder(id, &EncoderParams::default()).expect("encoder");
        let mut dec = new_decoder(id).expect("decoder");
        let rate = id.sample_rate();
        let pcm = signal(rate, 2);
        let n = id.samples_per_packet(20);
        let frames: Vec<&[i16]> = pcm.chunks_exact(n).collect();
        let mut payloads: Vec<Vec<u8>> = Vec::new();
        for f in &frames {
            let mut p = Vec::new();
            enc.encode(f, &mut p).expect("encode");
            payloads.push(p);
        }
        enc.reset();
        let mut out = Vec::with_capacity(2048);
        let mut buf = Vec::with_capacity(2048);
        let mut i = 0;
        let e = time(budget, || {
            buf.clear();
            enc.encode(black_box(frames[i % frames.len()]), &mut buf)
                .expect("encode");
            i += 1;
        });
        let mut j = 0;
        let d = time(budget, || {
            out.clear();
            dec.decode(black_box(&payloads[j % payloads.len()]), &mut out)
                .expect("decode");
            j += 1;
        });
        let c = time(budget, || {
            out.clear();
            dec.conceal(n, &mut out);
        });
        let channels = 20e6 / (e + d);
        print!(
            "{:<13} ours: enc {e:8.0}  dec {d:8.0}  long-loss conceal {c:6.0} ns/frame  → {channels:7.0} ch/core ({:6.0}x realtime)",
            id.encoding_name(),
            20e6 / (e + d),
        );
        match ff.iter().find(|(f, _)| *f == id) {
            Some((_, Some(f))) => println!(
                "\n{:<13} baseline ffmpeg: enc {:8.0}  dec {:8.0} ns/frame codec only (I/O subtracted; with I/O: enc {:.0}, dec {:.0})",
                "",
                f.enc - f.enc_io,
                f.dec - f.dec_io,
                f.enc,
                f.dec
            ),
            Some((_, None)) => {
                println!("   baseline ffmpeg: not available (apt-get install ffmpeg)")
            }
            None => println!(),
        }
    }

    // G.722's decoder alone: the registry's decoder above adds the G.711 Appendix I
    // concealment's good-frame bookkeeping (3.75 ms delay line) at 16 kHz.
    {
        let pcm = signal(16000, 2);
        let mut bits = Vec::new();
        G722Encoder::new().encode(&pcm, &mut bits).expect("encode");
        let payloads: Vec<&[u8]> = bits.chunks_exact(160).collect();
        let mut dec = G722Decoder::without_plc(Mode::Kbps64);
        let mut out = Vec::with_capacity(320);
        let mut j = 0;
        let d = time(budget, || {
            out.clear();
            dec.decode(black_box(payloads[j % payloads.len()]), &mut out)
                .expect("decode");
            j += 1;
        });
        println!("G722          ours: dec {d:8.0} ns/frame without concealment (G722Decoder::without_plc)");
    }

    // Supporting DSP.
    println!();
    let mut up = Resampler::up();
    let mut down = Resampler::down();
    let mut wide = Vec::with_capacity(400);
    let mut narrow = Vec::with_capacity(200);
    let u = time(budget, || {
        wide.clear();
        up.process(black_box(frame8), &mut wide);
    });
    let pcm16 = signal(16000, 1);
    let dn = time(budget, || {
        narrow.clear();
        down.process(black_box(&pcm16[..320]), &mut narrow);
    });
    println!("resample 8→16 kHz {u:8.0} ns/frame   16→8 kHz {dn:8.0} ns/frame");
    let mut plc = Plc::new(8000);
    let mut o = Vec::with_capacity(400);
    let mut good = frame8.to_vec();
    let g = time(budget, || {
        o.clear();
        plc.good(black_box(&mut good), &mut o);
    });
    let lossy = time(budget, || {
        o.clear();
        plc.good(&mut good, &mut o);
        plc.conceal(160, &mut o);
        plc.good(&mut good, &mut o);
    });
    println!(
        "G.711 App. I PLC: good-frame bookkeeping {g:6.0} ns/frame; good+lost+good {lossy:6.0} ns per 3 frames"
    );
}

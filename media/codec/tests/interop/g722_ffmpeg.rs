//! G.722 against ffmpeg's independent implementation (libavcodec `g722`, which follows the
//! ITU-T reference): our encoder must produce ffmpeg's octets bit for bit, and our decoder
//! ffmpeg's PCM.

use std::process::Command;

use tipring_codec::g722::{G722Decoder, G722Encoder, Mode};
use tipring_codec::{Decoder, Encoder};

use crate::{need, read_s16, run, scratch, snr_db, speechish, write_s16};

fn ffmpeg() -> Command {
    need("ffmpeg", "ffmpeg");
    let mut c = Command::new("ffmpeg");
    c.args(["-hide_banner", "-loglevel", "error", "-y"]);
    c
}

/// One second of speech-like audio with a high-band component and full-scale clips.
fn signal() -> Vec<i16> {
    let mut x = speechish(16000, 16000, 7);
    for (i, s) in x.iter_mut().enumerate() {
        let hf = 2500.0 * (2.0 * std::f64::consts::PI * 5200.0 * i as f64 / 16000.0).sin();
        *s = s.saturating_add(hf as i16);
    }
    // A burst of extreme values exercises saturation and the scale-factor limits.
    for s in &mut x[12000..12400] {
        *s = if *s >= 0 { i16::MAX } else { i16::MIN };
    }
    x
}

#[test]
fn encoder_bit_exact_with_ffmpeg_and_decoders_agree() {
    let dir = scratch("g722");
    let x = signal();
    let pcm = dir.join("in.raw");
    let ff_bits = dir.join("ff.g722");
    let ff_dec = dir.join("ffdec.raw");
    let our_bits = dir.join("ours.g722");
    let ff_dec_ours = dir.join("ffdec-ours.raw");
    write_s16(&pcm, &x);
    run(ffmpeg()
        .args(["-f", "s16le", "-ar", "16000", "-ac", "1", "-i"])
        .arg(&pcm)
        .args(["-c:a", "g722", "-f", "g722"])
        .arg(&ff_bits));
    let theirs = std::fs::read(&ff_bits).expect("ffmpeg output");

    let mut ours = Vec::new();
    G722Encoder::new().encode(&x, &mut ours).unwrap();
    assert_eq!(ours.len(), theirs.len());
    let first = ours.iter().zip(&theirs).position(|(a, b)| a != b);
    assert_eq!(first, None, "encoders diverge at octet {first:?}");

    // Our decoder against ffmpeg's decoder, on ffmpeg's bit stream.
    run(ffmpeg()
        .args(["-f", "g722", "-i"])
        .arg(&ff_bits)
        .args(["-f", "s16le"])
        .arg(&ff_dec));
    let ff_pcm = read_s16(&ff_dec);
    let mut our_pcm = Vec::new();
    G722Decoder::without_plc(Mode::Kbps64)
        .decode(&theirs, &mut our_pcm)
        .unwrap();
    assert_eq!(our_pcm.len(), ff_pcm.len());
    let first = our_pcm.iter().zip(&ff_pcm).position(|(a, b)| a != b);
    assert_eq!(first, None, "decoders diverge at sample {first:?}");

    // And ffmpeg decodes our stream to the same quality we do (23-sample QMF delay).
    std::fs::write(&our_bits, &ours).unwrap();
    run(ffmpeg()
        .args(["-f", "g722", "-i"])
        .arg(&our_bits)
        .args(["-f", "s16le"])
        .arg(&ff_dec_ours));
    let y = read_s16(&ff_dec_ours);
    let snr = snr_db(&x[1000..11000], &y[1022..11022]);
    assert!(snr > 15.0, "ffmpeg decode of our stream: SNR {snr:.1} dB");
    let _ = std::fs::remove_dir_all(&dir);
}

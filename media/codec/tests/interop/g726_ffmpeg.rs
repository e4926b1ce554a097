//! G.726-32 against ffmpeg's independent implementation (libavcodec `g726le`, RFC 3551
//! packing, and `g726`, the AAL2 / big-endian packing).

use std::process::Command;

use tipring_codec::g726::{G726Decoder, G726Encoder, Packing};
use tipring_codec::{Decoder, Encoder};

use crate::{need, read_s16, run, scratch, snr_db, speechish, write_s16};

fn ffmpeg() -> Command {
    need("ffmpeg", "ffmpeg");
    let mut c = Command::new("ffmpeg");
    c.args(["-hide_banner", "-loglevel", "error", "-y"]);
    c
}

fn first_difference<T: PartialEq>(a: &[T], b: &[T]) -> Option<usize> {
    a.iter().zip(b).position(|(x, y)| x != y)
}

fn check(packing: Packing, format: &str) {
    let dir = scratch(format);
    let x = speechish(8000, 16000, 11);
    let pcm = dir.join("in.raw");
    let ff_bits = dir.join("ff.bits");
    let ff_dec = dir.join("ffdec.raw");
    let our_bits = dir.join("ours.bits");
    let ff_dec_ours = dir.join("ffdec-ours.raw");
    write_s16(&pcm, &x);
    run(ffmpeg()
        .args(["-f", "s16le", "-ar", "8000", "-ac", "1", "-i"])
        .arg(&pcm)
        .args(["-c:a", format, "-b:a", "32k", "-f", format])
        .arg(&ff_bits));
    let theirs = std::fs::read(&ff_bits).expect("ffmpeg output");
    let decode_with_ffmpeg = |bits: &std::path::Path, out: &std::path::Path| {
        run(ffmpeg()
            .args(["-f", format, "-code_size", "4", "-ar", "8000", "-i"])
            .arg(bits)
            .args(["-f", "s16le"])
            .arg(out));
        read_s16(out)
    };

    // Decoders: ours on ffmpeg's stream against ffmpeg's decode of it. libavcodec's G.726
    // is a "straightforward rendition" of G.726 §4 that rounds differently in places
    // (its 11-bit float multiply, the sign of zero DQ), so the two agree closely but not
    // bit for bit; a real divergence (wrong table, wrong adaptation) would fall far below.
    let ff_pcm = decode_with_ffmpeg(&ff_bits, &ff_dec);
    let mut our_pcm = Vec::new();
    G726Decoder::without_plc(packing)
        .decode(&theirs, &mut our_pcm)
        .unwrap();
    assert_eq!(our_pcm.len(), ff_pcm.len());
    let agree = snr_db(&ff_pcm, &our_pcm);
    assert!(
        agree > 30.0,
        "{format}: decoders agree to only {agree:.1} dB"
    );

    // Encoders: the same input gives the same code words while the two states are still
    // identical (the first 100 samples), and many more matching code words than the
    // other nibble order would (checks the packing).
    let mut ours = Vec::new();
    G726Encoder::new(packing).encode(&x, &mut ours).unwrap();
    assert_eq!(ours.len(), theirs.len());
    let codes = |v: &[u8], p: Packing| {
        let mut c = Vec::new();
        p.unpack(v, &mut c);
        c
    };
    let other = match packing {
        Packing::Rfc3551 => Packing::Aal2,
        _ => Packing::Rfc3551,
    };
    let (a, b, swapped) = (
        codes(&ours, packing),
        codes(&theirs, packing),
        codes(&theirs, other),
    );
    assert_eq!(
        first_difference(&a[..100], &b[..100]),
        None,
        "{format}: early codes"
    );
    let eq = a.iter().zip(&b).filter(|(x, y)| x == y).count();
    let eq_swapped = a.iter().zip(&swapped).filter(|(x, y)| x == y).count();
    assert!(
        eq > 3 * eq_swapped && eq * 10 > a.len() * 3,
        "{format}: {eq} vs {eq_swapped}"
    );

    // Quality both ways.
    std::fs::write(&our_bits, &ours).unwrap();
    let y = decode_with_ffmpeg(&our_bits, &ff_dec_ours);
    let snr = snr_db(&x[400..], &y[400..]);
    assert!(
        snr > 15.0,
        "{format}: ffmpeg decode of ours: SNR {snr:.1} dB"
    );
    let snr = snr_db(&x[400..], &our_pcm[400..]);
    assert!(
        snr > 15.0,
        "{format}: our decode of ffmpeg's: SNR {snr:.1} dB"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// RFC 3551 §4.5.4 packing (SDP `G726-32`) = ffmpeg `g726le`.
#[test]
fn rfc3551_packing_matches_ffmpeg_g726le() {
    check(Packing::Rfc3551, "g726le");
}

/// AAL2 packing (SDP `AAL2-G726-32`) = ffmpeg `g726`.
#[test]
fn aal2_packing_matches_ffmpeg_g726() {
    check(Packing::Aal2, "g726");
}

//! FaxMachine <-> FaxMachine over plain audio (the G.711 pass-through
//! baseline) and over G.711 µ-law companded audio.

use tipring_fax::FaxMachine;

use crate::common::{
    check_document, describe, machine_opts, run_audio_pair, scratch, test_document,
};
use crate::tiff_checks::tiffinfo_summary;

/// G.711 µ-law encode (ITU-T G.711, the classic biased segment coder).
fn ulaw_encode(pcm: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 32_635;
    let mut x = i32::from(pcm);
    let sign = if x < 0 { 0x80 } else { 0 };
    if x < 0 {
        x = -x;
    }
    x = x.min(CLIP) + BIAS;
    let exponent = (7 - (x.leading_zeros() as i32 - 17)).clamp(0, 7);
    let mantissa = (x >> (exponent + 3)) & 0x0F;
    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

/// G.711 µ-law decode.
fn ulaw_decode(code: u8) -> i16 {
    let u = !code;
    let exponent = i32::from((u >> 4) & 0x07);
    let mantissa = i32::from(u & 0x0F);
    let x = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    (if u & 0x80 != 0 { -x } else { x }) as i16
}

#[test]
fn ulaw_codec_matches_reference_points() {
    // Reference values from G.711 Table 2: 0 -> 0xFF, max positive -> 0x80.
    assert_eq!(ulaw_encode(0), 0xFF);
    assert_eq!(ulaw_encode(32_767), 0x80);
    assert_eq!(ulaw_encode(-32_768), 0x00);
    assert_eq!(ulaw_decode(0xFF), 0);
    assert_eq!(ulaw_decode(0x80), 32_124);
    for s in (-32_768i32..32_768).step_by(7) {
        let s = s as i16;
        let back = ulaw_decode(ulaw_encode(s));
        let err = (i32::from(back) - i32::from(s)).abs();
        assert!(err <= (i32::from(s).abs() / 16).max(8) + 1, "{s} -> {back}");
    }
}

fn audio_fax(name: &str, ecm: bool, channel: impl Fn(i16) -> i16) -> std::path::PathBuf {
    let dir = scratch(name);
    let doc = test_document(&dir, 3);
    let out = dir.join("received.tif");
    let mut a = FaxMachine::sender(&doc, &machine_opts("A", ecm, 14_400)).expect("sender");
    let mut b = FaxMachine::receiver(&out, &machine_opts("B", ecm, 14_400)).expect("receiver");
    let run = run_audio_pair(&mut a, &mut b, channel);
    println!("{name}: {:.1} s", run.seconds);
    println!("  sender:   {}", describe(&run.tx));
    println!("  receiver: {}", describe(&run.rx));
    let (tx, rx) = (
        run.tx.expect("sender phase E"),
        run.rx.expect("receiver phase E"),
    );
    assert!(tx.success && rx.success, "{} / {}", tx.result, rx.result);
    assert_eq!((tx.pages, rx.pages), (3, 3));
    drop((a, b));
    let worst = check_document(&out, 3);
    println!("  worst page differing fraction: {worst:.6}");
    assert!(worst < 0.001);
    out
}

#[test]
fn plain_audio_baseline() {
    let out = audio_fax("audio_plain", true, |s| s);
    // The independent reader agrees on the received file.
    if let Some((pages, widths)) = tiffinfo_summary(&out) {
        assert_eq!(pages, 3, "tiffinfo page count");
        assert!(
            widths.iter().all(|w| *w == 1728),
            "tiffinfo widths {widths:?}"
        );
    }
}

#[test]
fn ulaw_companded_audio() {
    audio_fax("audio_ulaw_ecm", true, |s| ulaw_decode(ulaw_encode(s)));
    audio_fax("audio_ulaw_no_ecm", false, |s| ulaw_decode(ulaw_encode(s)));
}

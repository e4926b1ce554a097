//! G.711 against sox (an independent implementation of the G.711 tables), over every
//! 16-bit input value.

use std::process::Command;

use tipring_codec::g711;

use crate::{need, run, scratch, write_s16};

/// sox rounds 16-bit input to the 14-bit (µ-law) / 13-bit (A-law) grid, round half up
/// with saturation, before applying the law; ours applies the G.711 decision levels to the
/// exact value. On the grid the two must agree bit for bit (G.711 Tables 1 and 2).
fn sox_grid(x: i16, bits: u32) -> i16 {
    let shift = 16 - bits;
    let half = 1i32 << (shift - 1);
    let max = (1i32 << (bits - 1)) - 1;
    let v = ((i32::from(x) + half) >> shift).clamp(-max - 1, max);
    (v << shift) as i16
}

fn sox_encode(encoding: &str, name: &str) -> (Vec<i16>, Vec<u8>) {
    need("sox", "sox");
    let dir = scratch(name);
    let all: Vec<i16> = (i16::MIN..=i16::MAX).collect();
    let input = dir.join("in.raw");
    let output = dir.join("out.raw");
    write_s16(&input, &all);
    run(Command::new("sox")
        .args([
            "-D", "-t", "raw", "-r", "8000", "-e", "signed", "-b", "16", "-c", "1",
        ])
        .arg(&input)
        .args(["-t", "raw", "-e", encoding, "-b", "8"])
        .arg(&output));
    let codes = std::fs::read(&output).expect("sox output");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(codes.len(), all.len());
    (all, codes)
}

fn check(
    all: &[i16],
    sox: &[u8],
    bits: u32,
    encode: fn(i16) -> u8,
    decode: fn(u8) -> i16,
) -> usize {
    let mut differ_off_grid = 0;
    let mut levels: Vec<i16> = (0..=255u8).map(decode).collect();
    levels.sort_unstable();
    levels.dedup();
    for (&x, &s) in all.iter().zip(sox) {
        let g = sox_grid(x, bits);
        assert_eq!(
            encode(g),
            s,
            "input {x} (grid {g}): ours {:#04x} sox {s:#04x}",
            encode(g)
        );
        let ours = encode(x);
        if ours != s {
            // Only where sox's rounding moved the value, and by at most one output level.
            assert_ne!(g, x, "on-grid input {x} differs");
            let rank = |c: u8| levels.binary_search(&decode(c)).expect("a level");
            // (or µ-law's two zeros, -0 and +0, which decode alike)
            let adjacent = rank(ours).abs_diff(rank(s)) == 1;
            let zeros = decode(ours) == 0 && decode(s) == 0;
            assert!(adjacent || zeros, "input {x}: not adjacent levels");
            differ_off_grid += 1;
        }
    }
    differ_off_grid
}

/// G.711 Table 2 (µ-law) through sox: all 65536 inputs.
#[test]
fn ulaw_matches_sox_on_all_16bit_inputs() {
    let (all, sox) = sox_encode("u-law", "ulaw");
    let n = check(&all, &sox, 14, g711::ulaw_encode, g711::ulaw_decode);
    // Rounding moves at most 2 of every 4 inputs; at most one in 8 crosses a level.
    assert!(n < all.len() / 8, "{n} off-grid differences");
    // sox's decoder agrees with our table for every code.
    let (codes, decoded) = sox_decode("u-law", "ulaw-dec");
    for (c, d) in codes.iter().zip(decoded) {
        assert_eq!(g711::ulaw_decode(*c), d, "code {c:#04x}");
    }
}

/// G.711 Table 1 (A-law) through sox: all 65536 inputs.
#[test]
fn alaw_matches_sox_on_all_16bit_inputs() {
    let (all, sox) = sox_encode("a-law", "alaw");
    let n = check(&all, &sox, 13, g711::alaw_encode, g711::alaw_decode);
    assert!(n < all.len() / 8, "{n} off-grid differences");
    let (codes, decoded) = sox_decode("a-law", "alaw-dec");
    for (c, d) in codes.iter().zip(decoded) {
        assert_eq!(g711::alaw_decode(*c), d, "code {c:#04x}");
    }
}

fn sox_decode(encoding: &str, name: &str) -> (Vec<u8>, Vec<i16>) {
    let dir = scratch(name);
    let codes: Vec<u8> = (0..=255).collect();
    let input = dir.join("in.raw");
    let output = dir.join("out.raw");
    std::fs::write(&input, &codes).expect("write codes");
    run(Command::new("sox")
        .args([
            "-t", "raw", "-r", "8000", "-e", encoding, "-b", "8", "-c", "1",
        ])
        .arg(&input)
        .args(["-t", "raw", "-e", "signed", "-b", "16"])
        .arg(&output));
    let pcm = crate::read_s16(&output);
    let _ = std::fs::remove_dir_all(&dir);
    (codes, pcm)
}

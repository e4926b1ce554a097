//! A tiny WAV (RIFF, 16-bit PCM, mono) reader and writer for the tests.

use std::path::Path;

/// Write `samples` as a 16-bit mono PCM WAV file at `rate` Hz.
pub fn write(path: &Path, rate: u32, samples: &[i16]) {
    let data_len = u32::try_from(samples.len() * 2).expect("WAV too long");
    let mut b = Vec::with_capacity(44 + samples.len() * 2);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * 2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        b.extend_from_slice(&s.to_le_bytes());
    }
    std::fs::write(path, b).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// Read a 16-bit mono PCM WAV file: (sample rate, samples). Panics on anything else.
pub fn read(path: &Path) -> (u32, Vec<i16>) {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    assert!(
        b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WAVE",
        "{}: not a WAV file",
        path.display()
    );
    let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let mut pos = 12;
    let mut rate = None;
    while pos + 8 <= b.len() {
        let id = &b[pos..pos + 4];
        let len = u32_at(pos + 4) as usize;
        let body = pos + 8;
        match id {
            b"fmt " => {
                let format = u16_at(body);
                assert!(
                    format == 1 || format == 0xFFFE,
                    "{}: not PCM",
                    path.display()
                );
                assert_eq!(u16_at(body + 2), 1, "{}: not mono", path.display());
                assert_eq!(u16_at(body + 14), 16, "{}: not 16-bit", path.display());
                rate = Some(u32_at(body + 4));
            }
            b"data" => {
                let end = (body + len).min(b.len());
                let samples = b[body..end]
                    .chunks_exact(2)
                    .map(|c| i16::from_le_bytes([c[0], c[1]]))
                    .collect();
                return (rate.expect("fmt chunk before data"), samples);
            }
            _ => {}
        }
        pos = body + len + (len & 1);
    }
    panic!("{}: no data chunk", path.display());
}

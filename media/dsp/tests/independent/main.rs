//! Checks against independent implementations and kept test data:
//!
//! * `minimodem` (Bell 202 and V.23 receiver, and its caller-ID mode) decodes our caller-ID
//!   FSK bursts, and our demodulator decodes minimodem's transmissions;
//! * `multimon-ng` decodes our DTMF (`-a DTMF`) and our CLIP FSK (`-a CLIPFSK`);
//! * our DTMF detector passes the test set kept in `tests/data/dtmf/`.
//!
//! The tools come from Debian (`apt-get install minimodem multimon-ng sox espeak-ng`); a
//! missing tool fails the test with that command.

mod dtmf_set;
mod minimodem;
mod multimon;
mod tools;
mod wav;

#[test]
fn wav_round_trip() {
    let dir = tools::temp_dir("wav");
    let p = dir.join("x.wav");
    let s: Vec<i16> = (0..1001).map(|i| (i * 37 % 65536 - 32768) as i16).collect();
    wav::write(&p, 8000, &s);
    assert_eq!(wav::read(&p), (8000, s));
}

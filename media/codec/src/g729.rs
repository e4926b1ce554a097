//! G.729 Annex A with Annex B (VAD/DTX/CNG) through Debian's `libbcg729` (feature `g729`).
//!
//! **Licence: bcg729 is GPLv3. A binary built with this feature links it and must be
//! distributed under the GPLv3.** The feature is off by default.
//!
//! This is the crate's only `unsafe` code: a hand-written `extern "C"` block for the six
//! functions of `<bcg729/encoder.h>` / `<bcg729/decoder.h>` and the wrappers that own the
//! channel contexts. Linking is done by `build.rs` (`cargo:rustc-link-lib=bcg729`) only
//! when the feature is on.
//!
//! Payload (RFC 3551 §4.5.6): zero or more 10-octet speech frames, optionally followed by
//! one 2-octet Annex B SID frame. With DTX on, an [`Encoder::encode`] call may append
//! nothing (the encoder decided not to transmit): send no packet then.
#![allow(unsafe_code)]

use std::ptr::NonNull;

use crate::{CodecId, Decoder, Encoder, Error, Result};

/// PCM samples per G.729 frame (10 ms at 8 kHz).
pub const FRAME_SAMPLES: usize = 80;
/// Octets of a speech frame.
pub const SPEECH_OCTETS: usize = 10;
/// Octets of an Annex B SID frame.
pub const SID_OCTETS: usize = 2;

#[repr(C)]
struct EncoderCtx {
    _opaque: [u8; 0],
}

#[repr(C)]
struct DecoderCtx {
    _opaque: [u8; 0],
}

#[allow(non_snake_case)]
extern "C" {
    fn initBcg729EncoderChannel(enableVAD: u8) -> *mut EncoderCtx;
    fn closeBcg729EncoderChannel(ctx: *mut EncoderCtx);
    fn bcg729Encoder(ctx: *mut EncoderCtx, input: *const i16, bitstream: *mut u8, len: *mut u8);
    fn initBcg729DecoderChannel() -> *mut DecoderCtx;
    fn closeBcg729DecoderChannel(ctx: *mut DecoderCtx);
    fn bcg729Decoder(
        ctx: *mut DecoderCtx,
        bitstream: *const u8,
        len: u8,
        frame_erasure: u8,
        sid_frame: u8,
        rfc3389_payload: u8,
        signal: *mut i16,
    );
}

/// G.729A encoder, optionally with Annex B VAD/DTX.
#[derive(Debug)]
pub struct G729Encoder {
    ctx: NonNull<EncoderCtx>,
    vad: bool,
}

// SAFETY: the bcg729 context is plain heap memory owned by this value alone, with no
// thread affinity; `&mut self` serialises every use.
unsafe impl Send for G729Encoder {}

impl G729Encoder {
    /// A new encoder; `vad` turns on Annex B (VAD, DTX, SID frames).
    pub fn new(vad: bool) -> Result<Self> {
        // SAFETY: FFI call with a plain integer argument; a null return is handled.
        let raw = unsafe { initBcg729EncoderChannel(u8::from(vad)) };
        let ctx = NonNull::new(raw).ok_or_else(|| Error::Backend {
            codec: "G729",
            what: "initBcg729EncoderChannel returned null".into(),
        })?;
        Ok(Self { ctx, vad })
    }
}

impl Drop for G729Encoder {
    fn drop(&mut self) {
        // SAFETY: `ctx` came from initBcg729EncoderChannel and is closed exactly once.
        unsafe { closeBcg729EncoderChannel(self.ctx.as_ptr()) }
    }
}

impl Encoder for G729Encoder {
    fn codec(&self) -> CodecId {
        CodecId::G729
    }

    fn sample_rate(&self) -> u32 {
        8000
    }

    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<usize> {
        if !pcm.len().is_multiple_of(FRAME_SAMPLES) {
            return Err(Error::FrameLength {
                codec: "G729",
                len: pcm.len(),
                frame: FRAME_SAMPLES,
            });
        }
        let start = out.len();
        let mut sid: Option<[u8; SID_OCTETS]> = None;
        for frame in pcm.chunks_exact(FRAME_SAMPLES) {
            let mut bits = [0u8; SPEECH_OCTETS];
            let mut len = 0u8;
            // SAFETY: `frame` holds 80 samples (what bcg729Encoder reads); `bits` has room
            // for the 10 octets it may write; `len` is a valid out-pointer.
            unsafe {
                bcg729Encoder(
                    self.ctx.as_ptr(),
                    frame.as_ptr(),
                    bits.as_mut_ptr(),
                    &mut len,
                )
            };
            match usize::from(len) {
                SPEECH_OCTETS => {
                    // A SID may only end a payload (RFC 3551 §4.5.6): speech after it in
                    // the same packet supersedes it.
                    sid = None;
                    out.extend_from_slice(&bits);
                }
                SID_OCTETS => sid = Some([bits[0], bits[1]]),
                _ => {}
            }
        }
        if let Some(s) = sid {
            out.extend_from_slice(&s);
        }
        Ok(out.len() - start)
    }

    fn reset(&mut self) {
        if let Ok(fresh) = G729Encoder::new(self.vad) {
            *self = fresh;
        }
    }
}

/// G.729A decoder: speech and SID frames, with bcg729's own concealment and comfort noise.
#[derive(Debug)]
pub struct G729Decoder {
    ctx: NonNull<DecoderCtx>,
    /// Concealment samples produced beyond what `conceal` was asked for.
    pending: Vec<i16>,
}

// SAFETY: as for the encoder: exclusively owned heap state without thread affinity.
unsafe impl Send for G729Decoder {}

impl G729Decoder {
    /// A new decoder.
    pub fn new() -> Result<Self> {
        // SAFETY: FFI call without arguments; a null return is handled.
        let raw = unsafe { initBcg729DecoderChannel() };
        let ctx = NonNull::new(raw).ok_or_else(|| Error::Backend {
            codec: "G729",
            what: "initBcg729DecoderChannel returned null".into(),
        })?;
        Ok(Self {
            ctx,
            pending: Vec::with_capacity(FRAME_SAMPLES),
        })
    }

    fn frame(&mut self, bits: &[u8], erasure: bool, sid: bool, out: &mut Vec<i16>) {
        let mut pcm = [0i16; FRAME_SAMPLES];
        let mut buf = [0u8; SPEECH_OCTETS];
        buf[..bits.len()].copy_from_slice(bits);
        // SAFETY: `buf` holds at least `bits.len()` (≤ 10) readable octets, `pcm` room for
        // the 80 samples bcg729Decoder writes.
        unsafe {
            bcg729Decoder(
                self.ctx.as_ptr(),
                buf.as_ptr(),
                bits.len() as u8,
                u8::from(erasure),
                u8::from(sid),
                0,
                pcm.as_mut_ptr(),
            )
        };
        out.extend_from_slice(&pcm);
    }
}

impl Drop for G729Decoder {
    fn drop(&mut self) {
        // SAFETY: `ctx` came from initBcg729DecoderChannel and is closed exactly once.
        unsafe { closeBcg729DecoderChannel(self.ctx.as_ptr()) }
    }
}

impl Decoder for G729Decoder {
    fn codec(&self) -> CodecId {
        CodecId::G729
    }

    fn sample_rate(&self) -> u32 {
        8000
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize> {
        let sid = payload.len() % SPEECH_OCTETS;
        if sid != 0 && sid != SID_OCTETS {
            return Err(Error::Payload {
                codec: "G729",
                what: format!("{} octets is not 10·n or 10·n + 2", payload.len()),
            });
        }
        self.pending.clear();
        let start = out.len();
        let speech = payload.len() - sid;
        for frame in payload[..speech].chunks_exact(SPEECH_OCTETS) {
            self.frame(frame, false, false, out);
        }
        if sid == SID_OCTETS {
            self.frame(&payload[speech..], false, true, out);
        }
        Ok(out.len() - start)
    }

    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) {
        let mut remaining = samples;
        while remaining > 0 {
            if self.pending.is_empty() {
                let mut p = std::mem::take(&mut self.pending);
                // Erasure: bcg729 repeats and attenuates speech, or continues comfort
                // noise after a SID (G.729 §4.4, Annex B §4).
                self.frame(&[], true, false, &mut p);
                p.reverse();
                self.pending = p;
            }
            let n = remaining.min(self.pending.len());
            for _ in 0..n {
                out.push(self.pending.pop().unwrap_or(0));
            }
            remaining -= n;
        }
    }

    fn reset(&mut self) {
        if let Ok(fresh) = G729Decoder::new() {
            *self = fresh;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voice(n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| {
                let t = i as f64 / 8000.0;
                let v = (2.0 * std::f64::consts::PI * 150.0 * t).sin()
                    + 0.6 * (2.0 * std::f64::consts::PI * 450.0 * t).sin()
                    + 0.3 * (2.0 * std::f64::consts::PI * 1250.0 * t).sin();
                (6000.0 * v) as i16
            })
            .collect()
    }

    /// Speech: 10 octets per 10 ms (G.729 §3: 80 bits per frame); decoded energy tracks
    /// the input's (CELP does not preserve the waveform, so no SNR check).
    #[test]
    fn speech_round_trip_and_sid_on_silence() {
        let x = voice(8000);
        let mut enc = G729Encoder::new(true).unwrap();
        let mut dec = G729Decoder::new().unwrap();
        let mut y = Vec::new();
        let mut sizes = Vec::new();
        for f in x.chunks(160) {
            let mut p = Vec::new();
            enc.encode(f, &mut p).unwrap();
            sizes.push(p.len());
            dec.decode(&p, &mut y).unwrap();
        }
        assert!(sizes.iter().all(|&s| s == 20), "{sizes:?}");
        let e = |s: &[i16]| s.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / s.len() as f64;
        let ratio = e(&y[800..]) / e(&x[800..]);
        assert!((0.3..3.0).contains(&ratio), "energy ratio {ratio}");
        // Silence with Annex B: DTX sends SID frames (2 octets) or nothing.
        let mut silent_sizes = Vec::new();
        for _ in 0..50 {
            let mut p = Vec::new();
            enc.encode(&[0; 160], &mut p).unwrap();
            silent_sizes.push(p.len());
            if !p.is_empty() {
                dec.decode(&p, &mut y).unwrap();
            } else {
                dec.conceal(160, &mut y);
            }
        }
        // (speech frames continue for the VAD's hangover first)
        let legal = [0, 2, 10, 12, 20];
        assert!(
            silent_sizes.iter().all(|s| legal.contains(s)),
            "{silent_sizes:?}"
        );
        assert!(
            silent_sizes.contains(&2) || silent_sizes.contains(&12),
            "{silent_sizes:?}"
        );
        assert!(silent_sizes.iter().filter(|&&s| s == 0).count() > 25, "DTX");
    }

    #[test]
    fn bad_payload_lengths_are_errors() {
        let mut dec = G729Decoder::new().unwrap();
        let mut out = Vec::new();
        assert!(dec.decode(&[0; 7], &mut out).is_err());
        assert_eq!(dec.decode(&[0; 12], &mut out).unwrap(), 160);
        dec.conceal(100, &mut out);
        assert_eq!(out.len(), 260);
    }
}

//! Opus through libopus (feature `opus`; the `opus` crate's safe API over `audiopus_sys`,
//! which finds Debian's `libopus-dev` with pkg-config rather than building libopus).
//!
//! Opus's RTP clock is always 48000 Hz (RFC 7587 §4.1) but Tipring's media path runs at
//! 8 or 16 kHz: this encoder and decoder work at **16 kHz** (libopus resamples
//! internally), so one 20 ms packet is 320 PCM samples here and 960 RTP timestamp units
//! ([`CodecId::rtp_timestamp_step`]). Mono; SDP still says `opus/48000/2` (RFC 7587 §7).
//!
//! Concealment is libopus's own PLC (decode of a missing packet). In-band FEC can be
//! switched on in the encoder ([`crate::EncoderParams::fec`]); the decoder here does not
//! yet use the next packet's FEC data for a lost one.
//!
//! Licence: libopus is BSD-3-Clause.

use crate::{CodecId, Decoder, Encoder, EncoderParams, Error, Result};

const RATE: u32 = 16000;
/// 2.5 ms at 16 kHz: Opus frame sizes and PLC lengths are multiples of this.
const QUANTUM: usize = 40;
/// The longest Opus packet: 120 ms at 16 kHz.
const MAX_SAMPLES: usize = 1920;

fn backend(e: ::opus::Error) -> Error {
    Error::Backend {
        codec: "opus",
        what: e.to_string(),
    }
}

/// Opus encoder at 16 kHz mono, VoIP application.
#[derive(Debug)]
pub struct OpusEncoder {
    inner: ::opus::Encoder,
    params: EncoderParams,
    buf: Vec<u8>,
}

impl OpusEncoder {
    /// A new encoder; `params.bitrate` (default 24 kbit/s), `dtx` and `fec` apply.
    pub fn new(params: &EncoderParams) -> Result<Self> {
        let mut inner =
            ::opus::Encoder::new(RATE, ::opus::Channels::Mono, ::opus::Application::Voip)
                .map_err(backend)?;
        let bitrate = params.bitrate.unwrap_or(CodecId::Opus.bitrate());
        if !(6000..=510_000).contains(&bitrate) {
            return Err(Error::Unsupported {
                codec: "opus",
                what: format!("bit rate {bitrate}"),
            });
        }
        inner
            .set_bitrate(::opus::Bitrate::Bits(bitrate as i32))
            .map_err(backend)?;
        inner.set_inband_fec(params.fec).map_err(backend)?;
        if params.fec {
            inner.set_packet_loss_perc(10).map_err(backend)?;
        }
        inner.set_dtx(params.dtx).map_err(backend)?;
        Ok(Self {
            inner,
            params: params.clone(),
            buf: vec![0; 1500],
        })
    }
}

impl Encoder for OpusEncoder {
    fn codec(&self) -> CodecId {
        CodecId::Opus
    }

    fn sample_rate(&self) -> u32 {
        RATE
    }

    /// Encodes one Opus frame of 2.5, 5, 10, 20, 40 or 60 ms into one packet.
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<usize> {
        if ![40, 80, 160, 320, 640, 960].contains(&pcm.len()) {
            return Err(Error::FrameLength {
                codec: "opus",
                len: pcm.len(),
                frame: 320,
            });
        }
        let n = self.inner.encode(pcm, &mut self.buf).map_err(backend)?;
        out.extend_from_slice(&self.buf[..n]);
        Ok(n)
    }

    fn reset(&mut self) {
        if let Ok(fresh) = OpusEncoder::new(&self.params) {
            *self = fresh;
        }
    }
}

/// Opus decoder at 16 kHz mono with libopus concealment.
#[derive(Debug)]
pub struct OpusDecoder {
    inner: ::opus::Decoder,
    pcm: Vec<i16>,
    /// Concealment produced beyond what was asked for, oldest last.
    pending: Vec<i16>,
}

impl OpusDecoder {
    /// A new decoder.
    pub fn new() -> Result<Self> {
        Ok(Self {
            inner: ::opus::Decoder::new(RATE, ::opus::Channels::Mono).map_err(backend)?,
            pcm: vec![0; MAX_SAMPLES],
            pending: Vec::with_capacity(QUANTUM),
        })
    }
}

impl Decoder for OpusDecoder {
    fn codec(&self) -> CodecId {
        CodecId::Opus
    }

    fn sample_rate(&self) -> u32 {
        RATE
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize> {
        if payload.is_empty() {
            return Err(Error::Payload {
                codec: "opus",
                what: "empty packet".into(),
            });
        }
        self.pending.clear();
        let n = self
            .inner
            .decode(payload, &mut self.pcm, false)
            .map_err(|e| Error::Payload {
                codec: "opus",
                what: e.to_string(),
            })?;
        out.extend_from_slice(&self.pcm[..n]);
        Ok(n)
    }

    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) {
        let mut remaining = samples;
        while remaining > 0 {
            if self.pending.is_empty() {
                let want = remaining.div_ceil(QUANTUM).min(MAX_SAMPLES / QUANTUM) * QUANTUM;
                let n = self
                    .inner
                    .decode(&[], &mut self.pcm[..want], false)
                    .unwrap_or(0);
                if n == 0 {
                    out.resize(out.len() + remaining, 0);
                    return;
                }
                self.pending.extend(self.pcm[..n].iter().rev());
            }
            let n = remaining.min(self.pending.len());
            for _ in 0..n {
                out.push(self.pending.pop().unwrap_or(0));
            }
            remaining -= n;
        }
    }

    fn reset(&mut self) {
        let _ = self.inner.reset_state();
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 20 ms packets of a tone decode to 320 samples each with the tone's energy; loss is
    /// concealed for any length (RFC 6716 §4.4: the decoder's PLC).
    #[test]
    fn round_trip_and_plc() {
        let mut enc = OpusEncoder::new(&EncoderParams::default()).unwrap();
        let mut dec = OpusDecoder::new().unwrap();
        let x: Vec<i16> = (0..16000)
            .map(|i| {
                (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / 16000.0).sin()) as i16
            })
            .collect();
        let mut y = Vec::new();
        for f in x.chunks(320) {
            let mut p = Vec::new();
            enc.encode(f, &mut p).unwrap();
            assert!(!p.is_empty() && p.len() < 200);
            assert_eq!(dec.decode(&p, &mut y).unwrap(), 320);
        }
        let e = |s: &[i16]| s.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / s.len() as f64;
        let ratio = e(&y[3200..]) / e(&x[3200..]);
        assert!((0.5..2.0).contains(&ratio), "energy ratio {ratio}");
        let before = y.len();
        dec.conceal(333, &mut y);
        assert_eq!(y.len(), before + 333);
        assert!(
            e(&y[before..before + 160]) > 0.1 * e(&x[..]),
            "PLC continues the tone"
        );
        assert!(enc.encode(&[0; 100], &mut Vec::new()).is_err());
        assert!(dec.decode(&[], &mut y).is_err());
    }
}

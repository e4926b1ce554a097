//! ITU-T G.726 ADPCM at 32 kbit/s (4 bits per 8 kHz sample), written from the
//! Recommendation's block descriptions (§4.2 encoder, §4.3 decoder).
//!
//! Input is 16-bit linear PCM, reduced to G.726's 14-bit uniform input (§1: "uniform
//! PCM") by an arithmetic shift; decoder output is the 14-bit reconstruction × 4. (The
//! optional µ-law/A-law front end of §4.2.1 and the synchronous coding adjustment of §4.3.6
//! are not implemented: they matter only for tandem G.711 ↔ G.726 conformance.)
//!
//! # Payload packing
//!
//! RFC 3551 §4.5.4 (SDP `G726-32`) packs the first code word into the *least*
//! significant nibble of the first octet; ITU-T I.366.2 / AAL2 (SDP `AAL2-G726-32`, RFC
//! 3551 notes the difference) into the *most* significant nibble. [`Packing`] selects.
//!
//! G.726 has no concealment; [`G726Decoder`] uses G.711 Appendix I ([`crate::plc::Plc`]).

use crate::plc::Plc;
use crate::{CodecId, Decoder, Encoder, Error, Result};

/// Nibble order of 4-bit code words in an RTP payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Packing {
    /// RFC 3551 §4.5.4: first code word in the low nibble (SDP `G726-32`).
    #[default]
    Rfc3551,
    /// ITU-T I.366.2 Annex E (AAL2): first code word in the high nibble
    /// (SDP `AAL2-G726-32`).
    Aal2,
}

impl Packing {
    /// The SDP codec this packing is negotiated as.
    pub fn codec(self) -> CodecId {
        match self {
            Packing::Rfc3551 => CodecId::G726_32,
            Packing::Aal2 => CodecId::G726_32Aal2,
        }
    }

    /// Packs code words (values 0..16, even count) into octets.
    pub fn pack(self, codes: &[u8], out: &mut Vec<u8>) {
        for pair in codes.chunks_exact(2) {
            let (a, b) = (pair[0] & 0x0F, pair[1] & 0x0F);
            out.push(match self {
                Packing::Rfc3551 => a | (b << 4),
                Packing::Aal2 => (a << 4) | b,
            });
        }
    }

    /// Unpacks octets into code words, two per octet, in time order.
    pub fn unpack(self, payload: &[u8], out: &mut Vec<u8>) {
        for &o in payload {
            let (lo, hi) = (o & 0x0F, o >> 4);
            match self {
                Packing::Rfc3551 => out.extend_from_slice(&[lo, hi]),
                Packing::Aal2 => out.extend_from_slice(&[hi, lo]),
            }
        }
    }
}

/// Converts a payload from one packing to the other without decoding (a passthrough
/// between `G726-32` and `AAL2-G726-32` legs): swaps the nibbles of every octet.
pub fn repack(payload: &mut [u8]) {
    for o in payload {
        *o = o.rotate_left(4);
    }
}

/// Table 1/G.726 (32 kbit/s): quantiser decision levels, log domain (§4.2.4).
const QTAB: [i32; 7] = [-124, 80, 178, 246, 300, 349, 400];
/// Table 6 (32 kbit/s): inverse quantiser output, log domain, by code word.
const DQLN: [i32; 16] = [
    -2048, 4, 135, 213, 273, 323, 373, 425, 425, 373, 323, 273, 213, 135, 4, -2048,
];
/// Table 7 (32 kbit/s): scale factor multiplier W(I), × 32 below.
const WI: [i32; 16] = [
    -12, 18, 41, 64, 112, 198, 355, 1122, 1122, 355, 198, 112, 64, 41, 18, -12,
];
/// Table 8 (32 kbit/s): F(I) for the adaptation speed control, × 512.
const FI: [i32; 16] = [
    0, 0, 0, 0x200, 0x200, 0x200, 0x600, 0xE00, 0xE00, 0x600, 0x200, 0x200, 0x200, 0, 0, 0,
];

/// Index of the first power of two above `v` (0..=15): the exponent of the
/// floating-point formats of §4.2.7/§4.2.10.
#[inline]
fn exponent(v: i32) -> i32 {
    if v <= 0 {
        0
    } else {
        (32 - (v as u32).leading_zeros()) as i32
    }
    .min(15)
}

/// FMULT (§4.2.7): multiply a 16-bit predictor coefficient by an 11-bit floating-point
/// signal value.
fn fmult(an: i32, srn: i32) -> i32 {
    let anmag = if an > 0 { an } else { (-an) & 0x1FFF };
    let anexp = exponent(anmag) - 6;
    let anmant = if anmag == 0 {
        32
    } else if anexp >= 0 {
        anmag >> anexp
    } else {
        anmag << -anexp
    };
    let wanexp = anexp + ((srn >> 6) & 0xF) - 13;
    let wanmant = (anmant * (srn & 0x3F) + 0x30) >> 4;
    let retval = if wanexp >= 0 {
        (wanmant << wanexp) & 0x7FFF
    } else {
        wanmant >> -wanexp
    };
    if (an ^ srn) < 0 {
        -retval
    } else {
        retval
    }
}

/// The shared ADPCM state (§4.2, variables in their ITU widths held in `i32`).
#[derive(Debug, Clone)]
struct State {
    /// Locked (YL, 19 bits) and unlocked (YU) scale factors.
    yl: i32,
    yu: i32,
    /// Short- and long-term averages of F(I); speed control parameter AP.
    dms: i32,
    dml: i32,
    ap: i32,
    /// Pole (a1, a2) and zero (b1..b6) predictor coefficients.
    a: [i32; 2],
    b: [i32; 6],
    /// Signs of DQ + SEZ, delayed 1 and 2.
    pk: [i32; 2],
    /// DQ delayed 1..6 and SR delayed 1..2, in the 11-bit floating format (as i16).
    dq: [i32; 6],
    sr: [i32; 2],
    /// Tone detected.
    td: bool,
}

impl State {
    fn new() -> Self {
        State {
            yl: 34816,
            yu: 544,
            dms: 0,
            dml: 0,
            ap: 0,
            a: [0; 2],
            b: [0; 6],
            pk: [0; 2],
            dq: [32; 6],
            sr: [32; 2],
            td: false,
        }
    }

    /// FMULT/ACCUM: (SEZ, SE) from the zero and pole predictors (§4.2.7).
    fn predict(&self) -> (i32, i32) {
        let mut sezi = 0;
        for i in 0..6 {
            sezi += fmult(self.b[i] >> 2, self.dq[i]);
        }
        let sei = sezi + fmult(self.a[1] >> 2, self.sr[1]) + fmult(self.a[0] >> 2, self.sr[0]);
        (sezi >> 1, sei >> 1)
    }

    /// MIX (§4.2.3): quantiser scale factor Y.
    fn step_size(&self) -> i32 {
        if self.ap >= 256 {
            return self.yu;
        }
        let mut y = self.yl >> 6;
        let dif = self.yu - y;
        let al = self.ap >> 2;
        if dif > 0 {
            y += (dif * al) >> 6;
        } else if dif < 0 {
            y += (dif * al + 0x3F) >> 6;
        }
        y
    }

    /// One sample: given the code word I, reconstruct and adapt; returns SR (14-bit).
    fn step(&mut self, i: u8, se: i32, sez: i32, y: i32) -> i32 {
        let i = (i & 0x0F) as usize;
        let dq = reconstruct(i & 8 != 0, DQLN[i], y);
        let sr = if dq < 0 { se - (dq & 0x3FFF) } else { se + dq };
        let dqsez = sr + sez - se;
        self.update(y, WI[i] << 5, FI[i], dq, sr, dqsez);
        sr
    }

    /// §4.2.4–4.2.9 adaptation after one sample.
    fn update(&mut self, y: i32, wi: i32, fi: i32, dq: i32, sr: i32, dqsez: i32) {
        let pk0 = i32::from(dqsez < 0);
        let mag = dq & 0x7FFF;
        // TRANS: transition detector.
        let ylint = self.yl >> 15;
        let ylfrac = (self.yl >> 10) & 0x1F;
        let thr1 = (32 + ylfrac) << ylint;
        let thr2 = if ylint > 9 { 31 << 10 } else { thr1 };
        let dqthr = (thr2 + (thr2 >> 1)) >> 1;
        let tr = self.td && mag > dqthr;
        // FUNCTW, FILTD, LIMB, FILTE: scale factor adaptation.
        self.yu = (y + ((wi - y) >> 5)).clamp(544, 5120);
        self.yl += self.yu + ((-self.yl) >> 6);
        let mut a2p = 0;
        if tr {
            self.a = [0; 2];
            self.b = [0; 6];
        } else {
            let pks1 = pk0 ^ self.pk[0];
            // UPA2
            a2p = self.a[1] - (self.a[1] >> 7);
            if dqsez != 0 {
                let fa1 = if pks1 != 0 { self.a[0] } else { -self.a[0] };
                if fa1 < -8191 {
                    a2p -= 0x100;
                } else if fa1 > 8191 {
                    a2p += 0xFF;
                } else {
                    a2p += fa1 >> 5;
                }
                if pk0 ^ self.pk[1] != 0 {
                    if a2p <= -12160 {
                        a2p = -12288;
                    } else if a2p >= 12416 {
                        a2p = 12288;
                    } else {
                        a2p -= 0x80;
                    }
                } else if a2p <= -12416 {
                    a2p = -12288;
                } else if a2p >= 12160 {
                    a2p = 12288;
                } else {
                    a2p += 0x80;
                }
            }
            self.a[1] = a2p;
            // UPA1, LIMD
            self.a[0] -= self.a[0] >> 8;
            if dqsez != 0 {
                if pks1 == 0 {
                    self.a[0] += 192;
                } else {
                    self.a[0] -= 192;
                }
            }
            let a1ul = 15360 - a2p;
            self.a[0] = self.a[0].clamp(-a1ul, a1ul);
            // UPB, XOR: zero predictor (32 kbit/s leak 2^-8).
            for c in 0..6 {
                self.b[c] -= self.b[c] >> 8;
                if mag != 0 {
                    if (dq ^ self.dq[c]) >= 0 {
                        self.b[c] += 128;
                    } else {
                        self.b[c] -= 128;
                    }
                }
            }
        }
        // FLOATA: DQ to 4-bit exponent, 6-bit mantissa (stored as a signed 16-bit word).
        self.dq.copy_within(0..5, 1);
        self.dq[0] = if mag == 0 {
            if dq >= 0 {
                0x20
            } else {
                0xFC20u16 as i16 as i32
            }
        } else {
            let e = exponent(mag);
            let v = (e << 6) + ((mag << 6) >> e);
            if dq >= 0 {
                v
            } else {
                (v - 0x400) as i16 as i32
            }
        };
        // FLOATB: SR likewise.
        self.sr[1] = self.sr[0];
        self.sr[0] = if sr == 0 {
            0x20
        } else if sr > 0 {
            let e = exponent(sr);
            (e << 6) + ((sr << 6) >> e)
        } else if sr > -32768 {
            let m = -sr;
            let e = exponent(m);
            ((e << 6) + ((m << 6) >> e) - 0x400) as i16 as i32
        } else {
            0xFC20u16 as i16 as i32
        };
        // DELAY
        self.pk[1] = self.pk[0];
        self.pk[0] = pk0;
        // TONE
        self.td = !tr && a2p < -11776;
        // FILTA, FILTB, SUBTC, FILTC: adaptation speed control.
        self.dms += (fi - self.dms) >> 5;
        self.dml += ((fi << 2) - self.dml) >> 7;
        if tr {
            self.ap = 256;
        } else if y < 1536 || self.td || ((self.dms << 2) - self.dml).abs() >= (self.dml >> 3) {
            self.ap += (0x200 - self.ap) >> 4;
        } else {
            self.ap += (-self.ap) >> 4;
        }
    }

    fn encode(&mut self, x: i16) -> u8 {
        let sl = i32::from(x) >> 2;
        let (sez, se) = self.predict();
        let d = sl - se;
        let y = self.step_size();
        let i = quantize(d, y);
        self.step(i, se, sez, y);
        i
    }

    fn decode(&mut self, i: u8) -> i16 {
        let (sez, se) = self.predict();
        let y = self.step_size();
        let sr = self.step(i, se, sez, y);
        (sr.clamp(-8192, 8191) << 2) as i16
    }
}

/// QUANT (§4.2.4): difference D → 4-bit code word, given scale factor Y.
fn quantize(d: i32, y: i32) -> u8 {
    let dqm = d.abs();
    let exp = exponent(dqm >> 1);
    let mant = ((dqm << 7) >> exp) & 0x7F;
    let dl = (exp << 7) + mant;
    let dln = dl - (y >> 2);
    let i = QTAB.iter().position(|&t| dln < t).unwrap_or(QTAB.len()) as u8;
    if d < 0 {
        15 - i
    } else if i == 0 {
        15
    } else {
        i
    }
}

/// RECONST/ADDA/ANTILOG (§4.2.5): log-domain code word value → DQ in sign-magnitude.
fn reconstruct(negative: bool, dqln: i32, y: i32) -> i32 {
    let dql = dqln + (y >> 2);
    if dql < 0 {
        return if negative { -0x8000 } else { 0 };
    }
    let dex = (dql >> 7) & 15;
    let dqt = 128 + (dql & 127);
    let dq = (dqt << 7) >> (14 - dex);
    if negative {
        dq - 0x8000
    } else {
        dq
    }
}

/// G.726-32 encoder: 8 kHz PCM in, 4 bits per sample packed per [`Packing`].
#[derive(Debug, Clone)]
pub struct G726Encoder {
    state: State,
    packing: Packing,
    codes: Vec<u8>,
}

impl G726Encoder {
    /// An encoder packing per `packing`.
    pub fn new(packing: Packing) -> Self {
        Self {
            state: State::new(),
            packing,
            codes: Vec::with_capacity(480),
        }
    }

    /// Encodes samples to unpacked 4-bit code words (one per sample).
    pub fn encode_codes(&mut self, pcm: &[i16], codes: &mut Vec<u8>) {
        codes.extend(pcm.iter().map(|&x| self.state.encode(x)));
    }
}

impl Encoder for G726Encoder {
    fn codec(&self) -> CodecId {
        self.packing.codec()
    }

    fn sample_rate(&self) -> u32 {
        8000
    }

    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<usize> {
        if !pcm.len().is_multiple_of(2) {
            return Err(Error::FrameLength {
                codec: "G726-32",
                len: pcm.len(),
                frame: 2,
            });
        }
        let mut codes = std::mem::take(&mut self.codes);
        codes.clear();
        self.encode_codes(pcm, &mut codes);
        self.packing.pack(&codes, out);
        self.codes = codes;
        Ok(pcm.len() / 2)
    }

    fn reset(&mut self) {
        self.state = State::new();
    }
}

/// G.726-32 decoder with G.711 Appendix I concealment.
#[derive(Debug, Clone)]
pub struct G726Decoder {
    state: State,
    packing: Packing,
    plc: Option<Plc>,
    codes: Vec<u8>,
    pcm: Vec<i16>,
}

impl G726Decoder {
    /// A decoder reading `packing`, with concealment (3.75 ms delay).
    pub fn new(packing: Packing) -> Self {
        Self {
            state: State::new(),
            packing,
            plc: Some(Plc::new(8000)),
            codes: Vec::with_capacity(480),
            pcm: Vec::with_capacity(480),
        }
    }

    /// A decoder without concealment or delay (the bare G.726 decoder).
    pub fn without_plc(packing: Packing) -> Self {
        Self {
            plc: None,
            ..Self::new(packing)
        }
    }

    /// Decodes unpacked 4-bit code words.
    pub fn decode_codes(&mut self, codes: &[u8], pcm: &mut Vec<i16>) {
        pcm.extend(codes.iter().map(|&i| self.state.decode(i)));
    }
}

impl Decoder for G726Decoder {
    fn codec(&self) -> CodecId {
        self.packing.codec()
    }

    fn sample_rate(&self) -> u32 {
        8000
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize> {
        let mut codes = std::mem::take(&mut self.codes);
        let mut pcm = std::mem::take(&mut self.pcm);
        codes.clear();
        pcm.clear();
        self.packing.unpack(payload, &mut codes);
        // The decoder's state keeps running through a loss: G.726 adapts back within a
        // few ms, and the concealment's cross-fade covers that.
        self.decode_codes(&codes, &mut pcm);
        match &mut self.plc {
            Some(plc) => plc.good(&mut pcm, out),
            None => out.extend_from_slice(&pcm),
        }
        self.codes = codes;
        self.pcm = pcm;
        Ok(payload.len() * 2)
    }

    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) {
        match &mut self.plc {
            Some(plc) => plc.conceal(samples, out),
            None => out.resize(out.len() + samples, 0),
        }
    }

    fn reset(&mut self) {
        self.state = State::new();
        if let Some(plc) = &mut self.plc {
            plc.reset();
        }
    }

    fn delay_samples(&self) -> usize {
        self.plc.as_ref().map_or(0, Plc::delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(f: f64, amp: f64, n: usize) -> Vec<i16> {
        crate::test_signal::tone_at(f, 8000.0, amp, n)
    }

    use crate::test_signal::snr;

    /// 32 kbit/s ADPCM on voice-band tones: G.726 targets roughly 20+ dB SNR (§1).
    #[test]
    fn round_trip_snr() {
        for f in [300.0, 1000.0, 2500.0, 3300.0] {
            let x = tone(f, 10000.0, 2400);
            let mut enc = G726Encoder::new(Packing::Rfc3551);
            let mut dec = G726Decoder::without_plc(Packing::Rfc3551);
            let mut p = Vec::new();
            enc.encode(&x, &mut p).unwrap();
            assert_eq!(p.len(), 1200);
            let mut y = Vec::new();
            dec.decode(&p, &mut y).unwrap();
            let s = snr(&x[400..], &y[400..]);
            assert!(s > 18.0, "{f} Hz: SNR {s:.1}");
        }
    }

    /// RFC 3551 §4.5.4 vs AAL2: same code words, nibbles swapped.
    #[test]
    fn packings_differ_by_nibble_order() {
        let codes = [0x1, 0x2, 0x3, 0x4];
        let (mut le, mut be) = (Vec::new(), Vec::new());
        Packing::Rfc3551.pack(&codes, &mut le);
        Packing::Aal2.pack(&codes, &mut be);
        assert_eq!(le, [0x21, 0x43]);
        assert_eq!(be, [0x12, 0x34]);
        let mut back = Vec::new();
        Packing::Aal2.unpack(&be, &mut back);
        assert_eq!(back, codes);
        repack(&mut le);
        assert_eq!(le, be);
    }

    /// The FMULT/FLOAT formats (§4.2.7) on small known values.
    #[test]
    fn float_formats() {
        assert_eq!(exponent(0), 0);
        assert_eq!(exponent(1), 1);
        assert_eq!(exponent(0x4000), 15);
        // 0x20 is "0.0" in the 11-bit format (mantissa 32, exponent 0): products vanish.
        assert_eq!(fmult(1000, 0x20), 0);
        // Reconstruction of the largest code at the smallest step is positive, sign works.
        assert!(reconstruct(false, 425, 544) > 0);
        assert!(reconstruct(true, 425, 544) < 0);
    }

    /// Random bytes decode without panicking; extremes encode without overflow.
    #[test]
    fn robustness() {
        let mut dec = G726Decoder::new(Packing::Aal2);
        let mut seed = 0x0123_4567_89ab_cdefu64;
        let bytes: Vec<u8> = (0..4000)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 24) as u8
            })
            .collect();
        let mut out = Vec::new();
        dec.decode(&bytes, &mut out).unwrap();
        let mut enc = G726Encoder::new(Packing::Rfc3551);
        let mut p = Vec::new();
        enc.encode(&[i16::MAX, i16::MIN].repeat(400), &mut p)
            .unwrap();
        assert!(enc.encode(&[0; 3], &mut p).is_err());
    }
}

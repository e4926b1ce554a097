//! ITU-T G.722 (7 kHz audio at 64 kbit/s): sub-band ADPCM, written from the
//! Recommendation's block descriptions (§3 encoder, §4 decoder, §6 computational details).
//!
//! 16 kHz PCM is split by a 24-tap QMF (Table 11) into a lower band coded with 6-bit
//! ADPCM and a higher band coded with 2-bit ADPCM; one octet per pair of input samples,
//! `ihigh << 6 | ilow` (§3.1: the higher-band bits are the most significant). The encoder
//! always produces mode 1 (64 kbit/s); the decoder reads modes 1, 2 and 3 (64, 56 and
//! 48 kbit/s: the low band's least significant 0, 1 or 2 bits are ignored, §4.2.1).
//!
//! Input and output are 16-bit PCM at 16 kHz (the Recommendation's 14-bit samples
//! left-justified: the QMF scaling absorbs the two extra bits, as in the ITU reference
//! software). G.722's RTP clock is 8000 Hz (RFC 3551 §4.5.2) although it samples at 16 kHz.
//!
//! A G.722 decoder has no concealment of its own; [`G722Decoder`] runs the G.711
//! Appendix I algorithm at 16 kHz ([`crate::plc::Plc`]) and, after a loss, resets the
//! ADPCM state so that the predictor restarts cleanly.

use crate::plc::Plc;
use crate::{CodecId, Decoder, Encoder, Error, Result};

/// Table 11: QMF coefficients h0, h2, …, h22 (the odd ones are these, reversed).
const QMF: [i32; 12] = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];

/// Table 14 (Q6): lower-band decision levels.
const Q6: [i32; 31] = [
    0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940,
    1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0,
];
/// Lower-band output codes for negative / positive differences, by interval (Table 14).
const ILN: [u8; 31] = [
    0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11,
    10, 9, 8, 7, 6, 5, 4,
];
const ILP: [u8; 31] = [
    0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39,
    38, 37, 36, 35, 34, 33, 32,
];
/// Table 16 (QQ4 × 2^15 as used by INVQAL): 4-bit inverse quantiser.
const QM4: [i32; 16] = [
    0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584,
    1200, 0,
];
/// Table 17: 5-bit inverse quantiser (mode 2, 56 kbit/s).
const QM5: [i32; 32] = [
    -280, -280, -23352, -17560, -14120, -11664, -9752, -8184, -6864, -5712, -4696, -3784, -2960,
    -2208, -1520, -880, 23352, 17560, 14120, 11664, 9752, 8184, 6864, 5712, 4696, 3784, 2960, 2208,
    1520, 880, 280, -280,
];
/// Table 18: 6-bit inverse quantiser (mode 1, 64 kbit/s).
const QM6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232,
    -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776,
    -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
    11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776,
    2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];
/// Table 19: lower-band log scale factor multipliers, indexed through RIL4 → IL4.
const RL42: [usize; 16] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
const WL: [i32; 8] = [-60, -30, 58, 172, 334, 538, 1198, 3042];
/// Table 20: inverse log2 (ILB) for SCALEL / SCALEH.
const ILB: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];
/// Table 21/22: higher-band quantiser codes, inverse quantiser and log scale multipliers.
const IHN: [u8; 3] = [0, 1, 0];
const IHP: [u8; 3] = [0, 3, 2];
const QM2: [i32; 4] = [-7408, -1616, 7408, 1616];
const RH2: [usize; 4] = [2, 1, 2, 1];
const WH: [i32; 3] = [0, -214, 798];

#[inline]
fn sat16(x: i32) -> i32 {
    x.clamp(-32768, 32767)
}

/// One sub-band's ADPCM state (§6.2 variables, one set per band).
#[derive(Debug, Clone, Copy)]
struct Band {
    /// Predicted signal value (SL / SH).
    s: i32,
    /// Pole and zero parts of the prediction.
    sp: i32,
    sz: i32,
    /// Reconstructed signal and partial reconstructed signal, delayed 0..2.
    r: [i32; 3],
    p: [i32; 3],
    /// Pole predictor coefficients a1, a2 (index 0 unused).
    a: [i32; 3],
    /// Quantised difference signal and zero predictor coefficients, delayed 0..6.
    d: [i32; 7],
    b: [i32; 7],
    /// Log scale factor (NBL / NBH) and scale factor (DETL / DETH).
    nb: i32,
    det: i32,
}

impl Band {
    fn new(det: i32) -> Self {
        Band {
            s: 0,
            sp: 0,
            sz: 0,
            r: [0; 3],
            p: [0; 3],
            a: [0; 3],
            d: [0; 7],
            b: [0; 7],
            nb: 0,
            det,
        }
    }

    /// LOGSCL + SCALEL (lower band, §6.2.1.3/4) or LOGSCH + SCALEH (higher band).
    fn adapt_scale(&mut self, w: i32, nb_max: i32, shift_base: i32) {
        self.nb = (((self.nb * 127) >> 7) + w).clamp(0, nb_max);
        let wd1 = ((self.nb >> 6) & 31) as usize;
        let wd2 = shift_base - (self.nb >> 11);
        let wd3 = if wd2 < 0 {
            ILB[wd1] << -wd2
        } else {
            ILB[wd1] >> wd2
        };
        self.det = wd3 << 2;
    }

    /// Block 4 (§6.2.3): reconstruction, pole/zero predictor adaptation and prediction.
    fn block4(&mut self, d: i32) {
        // RECONS, PARREC
        self.d[0] = d;
        self.r[0] = sat16(self.s + d);
        self.p[0] = sat16(self.sz + d);
        // UPPOL2
        let sg0 = self.p[0] >> 15;
        let sg1 = self.p[1] >> 15;
        let sg2 = self.p[2] >> 15;
        let wd1 = sat16(self.a[1] << 2);
        let wd2 = if sg0 == sg1 { -wd1 } else { wd1 }.min(32767);
        let mut wd3 = if sg0 == sg2 { 128 } else { -128 };
        wd3 += wd2 >> 7;
        wd3 += (self.a[2] * 32512) >> 15;
        let ap2 = wd3.clamp(-12288, 12288);
        // UPPOL1
        let wd1 = if sg0 == sg1 { 192 } else { -192 };
        let wd2 = (self.a[1] * 32640) >> 15;
        let lim = sat16(15360 - ap2);
        let ap1 = sat16(wd1 + wd2).clamp(-lim, lim);
        // UPZERO
        let wd1 = if d == 0 { 0 } else { 128 };
        let sgd = d >> 15;
        let mut bp = [0i32; 7];
        for ((bp, &di), &bi) in bp.iter_mut().zip(&self.d).zip(&self.b).skip(1) {
            let wd2 = if (di >> 15) == sgd { wd1 } else { -wd1 };
            *bp = sat16(wd2 + ((bi * 32640) >> 15));
        }
        // DELAYA
        for i in (1..7).rev() {
            self.d[i] = self.d[i - 1];
            self.b[i] = bp[i];
        }
        for i in (1..3).rev() {
            self.r[i] = self.r[i - 1];
            self.p[i] = self.p[i - 1];
        }
        self.a[1] = ap1;
        self.a[2] = ap2;
        // FILTEP
        let wd1 = (self.a[1] * sat16(self.r[1] + self.r[1])) >> 15;
        let wd2 = (self.a[2] * sat16(self.r[2] + self.r[2])) >> 15;
        self.sp = sat16(wd1 + wd2);
        // FILTEZ
        let mut sz = 0;
        for i in (1..7).rev() {
            sz += (self.b[i] * sat16(self.d[i] + self.d[i])) >> 15;
        }
        self.sz = sat16(sz);
        // PREDIC
        self.s = sat16(self.sp + self.sz);
    }
}

/// The shared ADPCM core of encoder and decoder.
#[derive(Debug, Clone)]
struct State {
    low: Band,
    high: Band,
    /// QMF delay line, oldest first.
    x: [i32; 24],
}

impl State {
    fn new() -> Self {
        State {
            low: Band::new(32),
            high: Band::new(8),
            x: [0; 24],
        }
    }

    /// Lower-band adaptation from the 4 most significant bits of `ilow` (§3.3, §4.2).
    fn update_low(&mut self, ilow: u8) {
        let ril = (ilow >> 2) as usize;
        let dlow = (self.low.det * QM4[ril]) >> 15;
        self.low.adapt_scale(WL[RL42[ril]], 18432, 8);
        self.low.block4(dlow);
    }

    /// Higher-band inverse quantiser and adaptation; returns the difference DH.
    fn update_high(&mut self, ihigh: u8) -> i32 {
        let dhigh = (self.high.det * QM2[ihigh as usize]) >> 15;
        self.high.adapt_scale(WH[RH2[ihigh as usize]], 22528, 10);
        self.high.block4(dhigh);
        dhigh
    }

    fn encode_pair(&mut self, x0: i16, x1: i16) -> u8 {
        // Transmit QMF (§3.2): xA from the even coefficients (newest sample × h0).
        self.x.copy_within(2.., 0);
        self.x[22] = i32::from(x0);
        self.x[23] = i32::from(x1);
        let (mut xa, mut xb) = (0i32, 0i32);
        for i in 0..12 {
            xb += self.x[2 * i] * QMF[i];
            xa += self.x[2 * i + 1] * QMF[11 - i];
        }
        let xlow = (xa + xb) >> 14;
        let xhigh = (xa - xb) >> 14;

        // Lower band: SUBTRA, QUANTL (§6.2.1.1).
        let el = sat16(xlow - self.low.s);
        let wd = if el >= 0 { el } else { -(el + 1) };
        let mut i = 1;
        while i < 30 && wd >= (Q6[i] * self.low.det) >> 12 {
            i += 1;
        }
        let ilow = if el < 0 { ILN[i] } else { ILP[i] };
        self.update_low(ilow);

        // Higher band: SUBTRA, QUANTH (§6.2.1.2).
        let eh = sat16(xhigh - self.high.s);
        let wd = if eh >= 0 { eh } else { -(eh + 1) };
        let mih = if wd >= (564 * self.high.det) >> 12 {
            2
        } else {
            1
        };
        let ihigh = if eh < 0 { IHN[mih] } else { IHP[mih] };
        self.update_high(ihigh);

        (ihigh << 6) | ilow
    }

    fn decode_byte(&mut self, code: u8, mode: Mode) -> (i16, i16) {
        let ilow = code & 0x3F;
        let ihigh = code >> 6;
        // Lower band: INVQBL for the mode (§4.2.1), RECONS, LIMIT.
        let wd2 = match mode {
            Mode::Kbps64 => QM6[ilow as usize],
            Mode::Kbps56 => QM5[(ilow >> 1) as usize],
            Mode::Kbps48 => QM4[(ilow >> 2) as usize],
        };
        let rlow = (self.low.s + ((self.low.det * wd2) >> 15)).clamp(-16384, 16383);
        self.update_low(ilow);
        // Higher band.
        let sh = self.high.s;
        let dhigh = self.update_high(ihigh);
        let rhigh = sat16(dhigh + sh).clamp(-16384, 16383);
        // Receive QMF (§4.4).
        self.x.copy_within(2.., 0);
        self.x[22] = rlow + rhigh;
        self.x[23] = rlow - rhigh;
        let (mut x0, mut x1) = (0i32, 0i32);
        for i in 0..12 {
            x1 += self.x[2 * i] * QMF[i];
            x0 += self.x[2 * i + 1] * QMF[11 - i];
        }
        (sat16(x0 >> 11) as i16, sat16(x1 >> 11) as i16)
    }
}

/// G.722 decoder bit rate (§1.2: modes 1–3 differ in how many low-band bits are audio).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// Mode 1: 64 kbit/s, 6-bit lower band.
    #[default]
    Kbps64,
    /// Mode 2: 56 kbit/s, 5-bit lower band (one bit auxiliary data).
    Kbps56,
    /// Mode 3: 48 kbit/s, 4-bit lower band (two bits auxiliary data).
    Kbps48,
}

/// G.722 encoder, 64 kbit/s (mode 1), 16 kHz PCM in, one octet per two samples out.
#[derive(Debug, Clone)]
pub struct G722Encoder {
    state: State,
}

impl G722Encoder {
    /// A fresh encoder (§6.1 reset values).
    pub fn new() -> Self {
        Self {
            state: State::new(),
        }
    }
}

impl Default for G722Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Encoder for G722Encoder {
    fn codec(&self) -> CodecId {
        CodecId::G722
    }

    fn sample_rate(&self) -> u32 {
        16000
    }

    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<usize> {
        if !pcm.len().is_multiple_of(2) {
            return Err(Error::FrameLength {
                codec: "G722",
                len: pcm.len(),
                frame: 2,
            });
        }
        out.reserve(pcm.len() / 2);
        for pair in pcm.chunks_exact(2) {
            out.push(self.state.encode_pair(pair[0], pair[1]));
        }
        Ok(pcm.len() / 2)
    }

    fn reset(&mut self) {
        self.state = State::new();
    }
}

/// G.722 decoder (modes 1–3) with G.711 Appendix I concealment at 16 kHz.
#[derive(Debug, Clone)]
pub struct G722Decoder {
    state: State,
    mode: Mode,
    plc: Option<Plc>,
    scratch: Vec<i16>,
}

impl G722Decoder {
    /// A 64 kbit/s decoder with concealment.
    pub fn new() -> Self {
        Self::with_mode(Mode::Kbps64)
    }

    /// A decoder for `mode`, with concealment.
    pub fn with_mode(mode: Mode) -> Self {
        Self {
            state: State::new(),
            mode,
            plc: Some(Plc::new(16000)),
            scratch: Vec::with_capacity(960),
        }
    }

    /// A decoder without concealment or its 3.75 ms delay: output is exactly the G.722
    /// decoder's (the conformance path); [`Decoder::conceal`] then emits silence.
    pub fn without_plc(mode: Mode) -> Self {
        Self {
            plc: None,
            ..Self::with_mode(mode)
        }
    }
}

impl Default for G722Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder for G722Decoder {
    fn codec(&self) -> CodecId {
        CodecId::G722
    }

    fn sample_rate(&self) -> u32 {
        16000
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize> {
        if let Some(plc) = &self.plc {
            if plc.in_loss() {
                // The ADPCM state is stale after a gap: restart it (the concealment's
                // cross-fade hides the restart).
                self.state = State::new();
            }
        }
        self.scratch.clear();
        for &b in payload {
            let (a, c) = self.state.decode_byte(b, self.mode);
            self.scratch.push(a);
            self.scratch.push(c);
        }
        match &mut self.plc {
            Some(plc) => plc.good(&mut self.scratch, out),
            None => out.extend_from_slice(&self.scratch),
        }
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
        (0..n)
            .map(|i| (amp * (2.0 * std::f64::consts::PI * f * i as f64 / 16000.0).sin()) as i16)
            .collect()
    }

    fn snr(a: &[i16], b: &[i16]) -> f64 {
        let (mut s, mut e) = (0.0f64, 0.0f64);
        for (&x, &y) in a.iter().zip(b) {
            s += f64::from(x).powi(2);
            e += (f64::from(x) - f64::from(y)).powi(2);
        }
        10.0 * (s / e.max(1e-9)).log10()
    }

    /// Round trip through encoder and decoder: tones in both bands come back with high SNR
    /// once aligned for the QMF pair's 23-sample delay (§3.2 + §4.4: 2 × 11.5 taps).
    #[test]
    fn round_trip_snr_low_and_high_band() {
        for (f, min_snr) in [
            (440.0, 25.0),
            (1000.0, 25.0),
            (3000.0, 20.0),
            (5500.0, 10.0),
        ] {
            let x = tone(f, 8000.0, 3200);
            let mut enc = G722Encoder::new();
            let mut dec = G722Decoder::without_plc(Mode::Kbps64);
            let mut bytes = Vec::new();
            enc.encode(&x, &mut bytes).unwrap();
            let mut y = Vec::new();
            dec.decode(&bytes, &mut y).unwrap();
            let d = 22;
            let s = snr(&x[800..3000], &y[800 + d..3000 + d]);
            assert!(s > min_snr, "{f} Hz: SNR {s:.1} dB");
        }
    }

    /// Modes 2 and 3 decode the same stream with less precision (§4.2.1).
    #[test]
    fn lower_modes_decode_with_less_snr() {
        let x = tone(700.0, 8000.0, 3200);
        let mut bytes = Vec::new();
        G722Encoder::new().encode(&x, &mut bytes).unwrap();
        let snrs: Vec<f64> = [Mode::Kbps64, Mode::Kbps56, Mode::Kbps48]
            .into_iter()
            .map(|m| {
                let mut y = Vec::new();
                G722Decoder::without_plc(m).decode(&bytes, &mut y).unwrap();
                snr(&x[800..3000], &y[822..3022])
            })
            .collect();
        assert!(
            snrs[0] > snrs[1] && snrs[1] > snrs[2] && snrs[2] > 12.0,
            "{snrs:?}"
        );
    }

    /// Odd PCM length is an API error, not a panic; any bytes decode without panicking.
    #[test]
    fn odd_length_and_random_bytes() {
        let mut enc = G722Encoder::new();
        assert!(matches!(
            enc.encode(&[0; 3], &mut Vec::new()),
            Err(Error::FrameLength { .. })
        ));
        let mut dec = G722Decoder::new();
        let mut seed = 0x1234_5678_9abc_def0u64;
        let bytes: Vec<u8> = (0..4000)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let mut out = Vec::new();
        dec.decode(&bytes, &mut out).unwrap();
        assert_eq!(out.len(), 8000);
        let mut extreme = Vec::new();
        enc.encode(&[i16::MAX, i16::MIN].repeat(500), &mut extreme)
            .unwrap();
        dec.decode(&extreme, &mut out).unwrap();
    }
}

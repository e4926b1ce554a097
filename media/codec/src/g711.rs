//! ITU-T G.711 µ-law (PCMU) and A-law (PCMA), bit-exact to the G.711 tables.
//!
//! # Quantisation
//!
//! G.711 maps 14-bit (µ-law, Table 2) or 13-bit (A-law, Table 1) uniform PCM to 8-bit codes.
//! Our input is 16-bit; the extra bits are a fraction of the G.711 step and the encoder
//! applies the G.711 decision levels to that *exact* value:
//!
//! * µ-law: sign and magnitude, `|x| >> 2` against the Table 2 decision values (µ-law is
//!   mid-tread, so the magnitude decides and the sign is carried separately);
//! * A-law: `x >> 3` (floor) then the Table 1 decision values with the one's-complement
//!   negative side (A-law is mid-riser: 13-bit `0` is `+1`'s interval and `-1` is `-1`'s).
//!
//! This is what the ITU-T G.191 STL and the classic Sun `g711.c` do on 14/13-bit input.
//! `sox` first *rounds* 16-bit input to 14/13 bits (round half up); on every value of the
//! 14/13-bit grid both agree bit for bit (the tests check all 65536 inputs through sox).
//!
//! Decoding returns the Table 1/2 output value scaled to 16 bits (µ-law ±32124, A-law
//! ±32256). µ-law has two zero codes, `0xFF` (+0) and `0x7F` (-0); both decode to 0 and 0
//! encodes to `0xFF`, so `0x7F` is the one code that does not survive decode→encode.
//!
//! # Speed
//!
//! Decoding is a 256-entry table. Encoding is a table indexed by the 14-bit (µ-law, 16 KiB)
//! or 13-bit (A-law, 8 KiB) value, built at compile time from the segment search
//! ([`ulaw_encode_search`], [`alaw_encode_search`]), which stays public as the reference
//! and the bench baseline.

use crate::plc::Plc;
use crate::{CodecId, Decoder, Encoder, Result};

const ULAW_BIAS: i32 = 0x84;
const ULAW_CLIP14: i32 = 8159;

/// µ-law segment end points (14-bit magnitude + 33), G.711 Table 2.
const SEG_UEND: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
/// A-law segment end points (13-bit magnitude), G.711 Table 1.
const SEG_AEND: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];

const fn segment(v: i32, ends: &[i32; 8]) -> usize {
    let mut i = 0;
    while i < 8 {
        if v <= ends[i] {
            return i;
        }
        i += 1;
    }
    8
}

/// µ-law encode of a 14-bit magnitude (0..=8191) with its sign, by segment search.
const fn ulaw_from14(negative: bool, mag14: i32) -> u8 {
    let mask: u8 = if negative { 0x7F } else { 0xFF };
    let m = if mag14 > ULAW_CLIP14 {
        ULAW_CLIP14
    } else {
        mag14
    } + (ULAW_BIAS >> 2);
    let seg = segment(m, &SEG_UEND);
    if seg >= 8 {
        return 0x7F ^ mask;
    }
    let u = ((seg as i32) << 4) | ((m >> (seg + 1)) & 0x0F);
    (u as u8) ^ mask
}

/// A-law encode of a 13-bit two's complement value (-4096..=4095), by segment search.
const fn alaw_from13(x13: i32) -> u8 {
    let (mask, mag): (u8, i32) = if x13 >= 0 {
        (0xD5, x13)
    } else {
        (0x55, -x13 - 1)
    };
    let seg = segment(mag, &SEG_AEND);
    if seg >= 8 {
        return 0x7F ^ mask;
    }
    let mut a = (seg as i32) << 4;
    if seg < 2 {
        a |= (mag >> 1) & 0x0F;
    } else {
        a |= (mag >> seg) & 0x0F;
    }
    (a as u8) ^ mask
}

/// Encodes one sample to µ-law by the classic segment search (the reference the table is
/// built from; also the bench baseline).
pub const fn ulaw_encode_search(x: i16) -> u8 {
    let x = x as i32;
    let mag = if x < 0 { -x } else { x };
    ulaw_from14(x < 0, mag >> 2)
}

/// Encodes one sample to A-law by the classic segment search (the reference the table is
/// built from; also the bench baseline).
pub const fn alaw_encode_search(x: i16) -> u8 {
    alaw_from13((x as i32) >> 3)
}

const fn ulaw_decode_calc(code: u8) -> i16 {
    let u = !code;
    let t = ((((u & 0x0F) as i32) << 3) + ULAW_BIAS) << ((u & 0x70) >> 4);
    if u & 0x80 != 0 {
        (ULAW_BIAS - t) as i16
    } else {
        (t - ULAW_BIAS) as i16
    }
}

const fn alaw_decode_calc(code: u8) -> i16 {
    let a = code ^ 0x55;
    let mut t = ((a & 0x0F) as i32) << 4;
    let seg = ((a & 0x70) >> 4) as i32;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => t = (t + 0x108) << (seg - 1),
    }
    if a & 0x80 != 0 {
        t as i16
    } else {
        -t as i16
    }
}

const fn build_ulaw_decode() -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = ulaw_decode_calc(i as u8);
        i += 1;
    }
    t
}

const fn build_alaw_decode() -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = alaw_decode_calc(i as u8);
        i += 1;
    }
    t
}

/// µ-law encode table indexed by `(|x| >> 2)` with the sign folded in: index 0..8192 is
/// the positive magnitude, 8192..16384 the negative one.
const fn build_ulaw_encode() -> [u8; 16384] {
    let mut t = [0u8; 16384];
    let mut i = 0;
    while i < 8192 {
        t[i] = ulaw_from14(false, i as i32);
        t[i + 8192] = ulaw_from14(true, i as i32);
        i += 1;
    }
    t
}

/// A-law encode table indexed by the 13-bit value as unsigned (`(x >> 3) & 0x1FFF`).
const fn build_alaw_encode() -> [u8; 8192] {
    let mut t = [0u8; 8192];
    let mut i = 0;
    while i < 8192 {
        let x13 = if i >= 4096 { i as i32 - 8192 } else { i as i32 };
        t[i] = alaw_from13(x13);
        i += 1;
    }
    t
}

/// µ-law code → 16-bit linear (G.711 Table 2 output values × 4).
pub static ULAW_TO_LINEAR: [i16; 256] = build_ulaw_decode();
/// A-law code → 16-bit linear (G.711 Table 1 output values × 8).
pub static ALAW_TO_LINEAR: [i16; 256] = build_alaw_decode();
static LINEAR_TO_ULAW: [u8; 16384] = build_ulaw_encode();
static LINEAR_TO_ALAW: [u8; 8192] = build_alaw_encode();

/// Encodes one 16-bit sample to µ-law (table lookup).
#[inline]
pub fn ulaw_encode(x: i16) -> u8 {
    let neg = usize::from(x < 0) << 13;
    // unsigned_abs maps -32768 to 32768; >> 2 = 8192 would leave the table, so clamp.
    let mag = ((x.unsigned_abs() >> 2) as usize).min(8191);
    LINEAR_TO_ULAW[neg | mag]
}

/// Encodes one 16-bit sample to A-law (table lookup).
#[inline]
pub fn alaw_encode(x: i16) -> u8 {
    LINEAR_TO_ALAW[((x >> 3) as usize) & 0x1FFF]
}

/// Decodes one µ-law code.
#[inline]
pub fn ulaw_decode(code: u8) -> i16 {
    ULAW_TO_LINEAR[code as usize]
}

/// Decodes one A-law code.
#[inline]
pub fn alaw_decode(code: u8) -> i16 {
    ALAW_TO_LINEAR[code as usize]
}

/// Which G.711 companding law.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Law {
    /// µ-law (North America, Japan), RTP `PCMU`.
    Ulaw,
    /// A-law (Europe and most others), RTP `PCMA`.
    Alaw,
}

impl Law {
    fn codec(self) -> CodecId {
        match self {
            Law::Ulaw => CodecId::Pcmu,
            Law::Alaw => CodecId::Pcma,
        }
    }

    /// Encodes a slice sample by sample into `out` (same length).
    pub fn encode_into(self, pcm: &[i16], out: &mut [u8]) {
        match self {
            Law::Ulaw => pcm.iter().zip(out).for_each(|(&x, o)| *o = ulaw_encode(x)),
            Law::Alaw => pcm.iter().zip(out).for_each(|(&x, o)| *o = alaw_encode(x)),
        }
    }

    /// Decodes a slice code by code into `out` (same length).
    pub fn decode_into(self, codes: &[u8], out: &mut [i16]) {
        let table = match self {
            Law::Ulaw => &ULAW_TO_LINEAR,
            Law::Alaw => &ALAW_TO_LINEAR,
        };
        codes
            .iter()
            .zip(out)
            .for_each(|(&c, o)| *o = table[c as usize]);
    }
}

/// G.711 encoder (one byte per 8 kHz sample; any length is a whole number of frames).
#[derive(Debug, Clone)]
pub struct G711Encoder {
    law: Law,
}

impl G711Encoder {
    /// An encoder for `law`.
    pub fn new(law: Law) -> Self {
        Self { law }
    }
}

impl Encoder for G711Encoder {
    fn codec(&self) -> CodecId {
        self.law.codec()
    }

    fn sample_rate(&self) -> u32 {
        8000
    }

    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<usize> {
        let start = out.len();
        out.resize(start + pcm.len(), 0);
        self.law.encode_into(pcm, &mut out[start..]);
        Ok(pcm.len())
    }
}

/// G.711 decoder with ITU-T G.711 Appendix I packet loss concealment.
///
/// Like the Appendix I reference, output runs 3.75 ms (30 samples,
/// [`Decoder::delay_samples`]) behind the payloads so that the start of a loss can be
/// cross-faded into the speech before it; the first 30 samples of a stream are silence.
#[derive(Debug, Clone)]
pub struct G711Decoder {
    law: Law,
    plc: Plc,
    scratch: Vec<i16>,
}

impl G711Decoder {
    /// A decoder for `law`.
    pub fn new(law: Law) -> Self {
        Self {
            law,
            plc: Plc::new(8000),
            scratch: Vec::with_capacity(480),
        }
    }
}

impl Decoder for G711Decoder {
    fn codec(&self) -> CodecId {
        self.law.codec()
    }

    fn sample_rate(&self) -> u32 {
        8000
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize> {
        self.scratch.clear();
        self.scratch.resize(payload.len(), 0);
        self.law.decode_into(payload, &mut self.scratch);
        self.plc.good(&mut self.scratch, out);
        Ok(payload.len())
    }

    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) {
        self.plc.conceal(samples, out);
    }

    fn reset(&mut self) {
        self.plc.reset();
    }

    fn delay_samples(&self) -> usize {
        self.plc.delay()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// G.711 Table 1 (A-law) / Table 2 (µ-law) spot values, scaled to 16 bits.
    #[test]
    fn known_points_g711_tables() {
        // A-law: character 0xD5 (1101 0101 as transmitted, even bits inverted) is +1 in
        // 13-bit units (+8 here); 0x55 is -1; 0xAA / 0x2A the largest values (Table 1).
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_decode(0xAA), 32256);
        assert_eq!(alaw_decode(0x2A), -32256);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_encode(-1), 0x55);
        // µ-law: 0xFF is +0, 0x7F is -0, 0x80 / 0x00 the largest (Table 2: 8031 in
        // 14-bit units, ±32124 here).
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_decode(0x7F), 0);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        // Table 2, segment 1: decision value 1 (14-bit) separates output 0 from output 2.
        assert_eq!(ulaw_encode(3), 0xFF);
        assert_eq!(ulaw_encode(4), 0xFE);
        assert_eq!(ulaw_decode(0xFE), 8);
        // Table 2 segment boundary: 14-bit 31 → 0xF0 (value 30, step 2), 32 → 0xEF.
        assert_eq!(ulaw_decode(0xF0), 30 * 4);
        assert_eq!(ulaw_decode(0xEF), 33 * 4);
    }

    /// G.711 §2 (A-law): the transmitted character has its even bits inverted, i.e. the
    /// code is the natural sign/segment/step value XOR 0x55.
    #[test]
    fn alaw_even_bit_inversion() {
        for x in [0i16, 100, 1000, 10000, -100, -10000] {
            let natural = alaw_encode(x) ^ 0x55;
            let sign = natural & 0x80 != 0;
            assert_eq!(sign, x >= 0, "sign bit for {x}");
        }
        // Natural code 0x80 (positive, segment 0, step 0) is transmitted as 0xD5.
        assert_eq!(0x80 ^ 0x55, 0xD5);
        assert_eq!(alaw_decode(0x80 ^ 0x55), 8);
        // Natural 0xFF (positive, segment 7, step 15) → 0xAA, the largest value.
        assert_eq!(alaw_decode(0xFF ^ 0x55), 32256);
    }

    /// Every code survives decode→encode (G.711 tables are reversible on their output
    /// values), except µ-law -0 (0x7F), which decodes to 0 and re-encodes as +0 (0xFF).
    #[test]
    fn exhaustive_round_trip_all_256_codes() {
        for c in 0..=255u8 {
            assert_eq!(alaw_encode(alaw_decode(c)), c, "A-law {c:#04x}");
            let back = ulaw_encode(ulaw_decode(c));
            if c == 0x7F {
                assert_eq!(back, 0xFF);
            } else {
                assert_eq!(back, c, "µ-law {c:#04x}");
            }
        }
    }

    /// The encode tables equal the segment search for every 16-bit input, and encoding is
    /// monotonic (G.711 decision levels increase with the code's value).
    #[test]
    fn table_equals_search_and_is_monotonic() {
        let mut prev_u = i16::MIN;
        let mut prev_a = i16::MIN;
        for x in i16::MIN..=i16::MAX {
            assert_eq!(ulaw_encode(x), ulaw_encode_search(x), "µ-law {x}");
            assert_eq!(alaw_encode(x), alaw_encode_search(x), "A-law {x}");
            let u = ulaw_decode(ulaw_encode(x));
            let a = alaw_decode(alaw_encode(x));
            assert!(u >= prev_u && a >= prev_a, "monotonic at {x}");
            prev_u = u;
            prev_a = a;
        }
    }

    /// Quantisation error stays within half a step of the segment (G.711 Tables 1/2:
    /// output values sit mid-interval).
    #[test]
    fn error_within_half_step() {
        for x in (i16::MIN..=i16::MAX).step_by(7) {
            let xi = i32::from(x);
            let u = i32::from(ulaw_decode(ulaw_encode(x)));
            let a = i32::from(alaw_decode(alaw_encode(x)));
            // µ-law step in 16-bit units is 8 << segment, A-law 16 << (segment - 1).
            let useg = (i32::from(!ulaw_encode(x) & 0x70)) >> 4;
            let aseg = (i32::from((alaw_encode(x) ^ 0x55) & 0x70)) >> 4;
            let ustep = 8 << useg;
            let astep = 16 << (aseg - 1).max(0);
            if xi.abs() < 32100 {
                assert!((u - xi).abs() <= ustep / 2 + 4, "µ-law {x} -> {u}");
            }
            if xi.abs() < 32200 {
                assert!((a - xi).abs() <= astep / 2 + 8, "A-law {x} -> {a}");
            }
        }
    }

    #[test]
    fn encoder_decoder_traits() {
        let mut enc = G711Encoder::new(Law::Alaw);
        let mut dec = G711Decoder::new(Law::Alaw);
        let pcm: Vec<i16> = (0..160)
            .map(|i| ((i * 300) % 20000 - 10000) as i16)
            .collect();
        let mut payload = Vec::new();
        assert_eq!(enc.encode(&pcm, &mut payload).unwrap(), 160);
        assert_eq!(payload.len(), 160);
        let mut out = Vec::new();
        assert_eq!(dec.decode(&payload, &mut out).unwrap(), 160);
        assert_eq!(out.len(), 160);
        let d = dec.delay_samples();
        assert_eq!(d, 30);
        assert!(out[..d].iter().all(|&s| s == 0));
        for i in d..160 {
            assert_eq!(out[i], alaw_decode(payload[i - d]));
        }
    }
}

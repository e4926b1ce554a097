//! RFC 3389 comfort noise: an encoder that describes background noise as a level and LPC
//! reflection coefficients, a strict payload parser, and a generator that turns a payload
//! back into noise of that level and spectral envelope.
//!
//! Payload (RFC 3389 §3): byte 0 is the noise level in -dBov (0..=127; 0 dBov is the
//! power of a full-scale 16-bit square wave, so a full-scale sine is -3 dBov), then one byte
//! per reflection coefficient, `k = (q - 127) / 128` (§3.2), model order 0..=10 here.

use crate::lpc::{self, Lpc, NoiseShaper, MAX_ORDER};
use crate::{Error, Result};

/// A parsed comfort-noise payload.
#[derive(Debug, Clone, PartialEq)]
pub struct CnPayload {
    /// Noise level in -dBov (0..=127): the level is `-level_dbov` dBov.
    pub level_dbov: u8,
    /// Quantised reflection coefficients (RFC 3389 §3.2), at most 10.
    pub reflection: Vec<u8>,
}

impl CnPayload {
    /// Parse strictly: 1 level byte (0..=127, the MSB is reserved and must be 0) plus
    /// 0..=10 coefficient bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let (&level, rc) = bytes
            .split_first()
            .ok_or(Error::Truncated { needed: 1, have: 0 })?;
        if level > 127 {
            return Err(Error::Malformed("CN level byte above 127"));
        }
        if rc.len() > MAX_ORDER {
            return Err(Error::Malformed("CN model order above 10"));
        }
        Ok(Self {
            level_dbov: level,
            reflection: rc.to_vec(),
        })
    }

    /// The payload bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(1 + self.reflection.len());
        v.push(self.level_dbov);
        v.extend_from_slice(&self.reflection);
        v
    }

    /// Dequantised reflection coefficients.
    pub fn coefficients(&self) -> Vec<f32> {
        self.reflection
            .iter()
            .map(|&q| ((f32::from(q) - 127.0) / 128.0).min(0.992))
            .collect()
    }
}

/// Mean square of a full-scale 16-bit square wave: 0 dBov.
const DBOV_REF: f32 = 32768.0 * 32768.0;

/// Describes background noise frames as [`CnPayload`]s.
#[derive(Debug, Clone)]
pub struct CnEncoder {
    order: usize,
}

impl CnEncoder {
    /// An encoder with LPC order `order` (0..=10).
    pub fn new(order: usize) -> Result<Self> {
        if order > MAX_ORDER {
            return Err(Error::InvalidConfig("CN order must be 0..=10"));
        }
        Ok(Self { order })
    }

    /// The payload describing `noise` (use 20..=100 ms of background).
    pub fn encode(&self, noise: &[i16]) -> CnPayload {
        let x: Vec<f32> = noise.iter().map(|&s| f32::from(s)).collect();
        let mut r = [0.0f32; MAX_ORDER + 1];
        lpc::autocorr_add(&x, &mut r[..=self.order]);
        let ms = if x.is_empty() {
            0.0
        } else {
            r[0] / x.len() as f32
        };
        let level = if ms <= 0.0 {
            127
        } else {
            (-10.0 * (ms / DBOV_REF).log10()).round().clamp(0.0, 127.0) as u8
        };
        r[0] *= 1.0001;
        let lpc = lpc::levinson(&r[..=self.order], self.order);
        let reflection = (0..self.order)
            .map(|i| {
                let k = if i < lpc.order { lpc.k[i] } else { 0.0 };
                (k * 128.0 + 127.0).round().clamp(0.0, 254.0) as u8
            })
            .collect();
        CnPayload {
            level_dbov: level,
            reflection,
        }
    }
}

/// Turns [`CnPayload`]s into comfort noise (seeded, so reproducible).
#[derive(Debug, Clone)]
pub struct CnGenerator {
    shaper: NoiseShaper,
}

impl CnGenerator {
    /// A generator producing silence until the first [`update`](Self::update).
    pub fn new(seed: u64) -> Self {
        Self {
            shaper: NoiseShaper::new(seed),
        }
    }

    /// Take the level and spectral envelope of a new payload.
    pub fn update(&mut self, p: &CnPayload) {
        let k = p.coefficients();
        let lpc: Lpc = Lpc::from_reflection(&k);
        let ms = DBOV_REF * 10f32.powf(-f32::from(p.level_dbov) / 10.0);
        self.shaper.set(lpc, ms);
    }

    /// Fill `out` with noise.
    pub fn fill(&mut self, out: &mut [i16]) {
        for o in out {
            *o = self.shaper.next().round().clamp(-32768.0, 32767.0) as i16;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ec::tests::white;

    fn ms(v: &[i16]) -> f32 {
        v.iter().map(|&s| f32::from(s).powi(2)).sum::<f32>() / v.len() as f32
    }

    /// RFC 3389 §3.1: the generated noise has the level the payload asks for (within 1 dB).
    #[test]
    fn generated_level_matches_payload() {
        for level in [30u8, 50, 70] {
            let p = CnPayload {
                level_dbov: level,
                reflection: vec![127 + 64, 127 - 32],
            };
            let mut g = CnGenerator::new(1);
            g.update(&p);
            let mut out = vec![0i16; 16_000];
            g.fill(&mut out);
            let got = -10.0 * (ms(&out) / DBOV_REF).log10();
            assert!((got - f32::from(level)).abs() < 1.0, "{level}: {got}");
        }
    }

    /// RFC 3389 §3.2: the reflection coefficients carry the spectral envelope: low-pass noise
    /// encoded and regenerated stays low-pass, at the same level.
    #[test]
    fn spectral_shape_survives_encode_generate() {
        let w: Vec<f32> = white(8000, -30.0, 5);
        let mut prev = 0.0;
        let lp: Vec<i16> = w
            .iter()
            .map(|&v| {
                prev = 0.9 * prev + 0.3 * v;
                prev.round() as i16
            })
            .collect();
        let p = CnEncoder::new(6).unwrap().encode(&lp);
        assert_eq!(p.reflection.len(), 6);
        let back = CnPayload::parse(&p.to_bytes()).unwrap();
        assert_eq!(back, p);
        let mut g = CnGenerator::new(2);
        g.update(&p);
        let mut out = vec![0i16; 8000];
        g.fill(&mut out);
        let lvl = |v: &[i16]| 10.0 * ms(v).log10();
        assert!((lvl(&out) - lvl(&lp)).abs() < 1.0);
        // High-frequency content: power of the first difference over the power (2 for
        // white noise, small for low-pass noise).
        let hf = |v: &[i16]| {
            let d: f32 = v
                .windows(2)
                .map(|w| (f32::from(w[1]) - f32::from(w[0])).powi(2))
                .sum::<f32>();
            d / (ms(v) * v.len() as f32)
        };
        let (hin, hout) = (hf(&lp), hf(&out));
        assert!(hin < 0.4, "input {hin}");
        assert!((hout - hin).abs() < 0.1, "output {hout}, input {hin}");
    }

    /// RFC 3389 §3: strict parsing: one level byte plus at most ten coefficients; reserved bit
    /// clear; random bytes never panic.
    #[test]
    fn parser_is_strict_and_total() {
        assert!(CnPayload::parse(&[]).is_err());
        assert!(CnPayload::parse(&[128]).is_err());
        assert!(CnPayload::parse(&[40; 12]).is_err());
        assert_eq!(CnPayload::parse(&[40]).unwrap().reflection.len(), 0);
        assert_eq!(CnPayload::parse(&[40; 11]).unwrap().reflection.len(), 10);
        let mut rng = crate::lpc::SplitMix64::new(9);
        for _ in 0..2000 {
            let n = (rng.next_u64() % 16) as usize;
            let b: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
            if let Ok(p) = CnPayload::parse(&b) {
                let mut g = CnGenerator::new(1);
                g.update(&p);
                let mut out = [0i16; 80];
                g.fill(&mut out);
            }
        }
    }
}

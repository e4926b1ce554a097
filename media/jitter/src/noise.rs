//! Comfort-noise sources for DTX gaps (RFC 3389 CN packets).
//!
//! The jitter buffer asks a [`NoiseSource`] to fill silence periods announced by a CN
//! packet at the packet's level. [`WhiteNoise`] is the built-in source; a spectrally shaped
//! RFC 3389 generator can replace it through [`crate::JitterBuffer::set_noise_source`].

use crate::rng::SplitMix64;

/// Something that fills PCM with comfort noise.
pub trait NoiseSource: Send + std::fmt::Debug {
    /// Overwrites `out` with noise at `level_dbov` (RFC 3389 §3: the noise level in
    /// −dBov, 0..=127; 127 means silence).
    fn fill(&mut self, level_dbov: u8, out: &mut [i16]);

    /// A CN packet's whole payload (level and, with RFC 3389 §3.2, the spectral
    /// reflection coefficients) reached playout: a shaped generator takes its envelope
    /// from it. The default ignores it.
    fn update(&mut self, payload: &[u8]) {
        let _ = payload;
    }
}

/// RMS amplitude of a noise at `−level_dbov` dBov, taking 0 dBov as the RMS of a
/// full-scale sine (32767/√2), the G.711 convention RFC 3389 refers to.
pub fn dbov_to_rms(level_dbov: u8) -> f64 {
    if level_dbov >= 127 {
        return 0.0;
    }
    32767.0 / std::f64::consts::SQRT_2 * 10f64.powf(-f64::from(level_dbov) / 20.0)
}

/// Seeded uniform white noise at the requested level.
#[derive(Debug, Clone)]
pub struct WhiteNoise {
    rng: SplitMix64,
}

impl WhiteNoise {
    /// A source with its own seed (runs are reproducible).
    pub fn new(seed: u64) -> Self {
        Self {
            rng: SplitMix64::new(seed),
        }
    }
}

impl NoiseSource for WhiteNoise {
    fn fill(&mut self, level_dbov: u8, out: &mut [i16]) {
        // A uniform variable on [-a, a] has RMS a/√3.
        let a = dbov_to_rms(level_dbov) * 3f64.sqrt();
        for s in out {
            let u = self.rng.next_f64() * 2.0 - 1.0;
            *s = (u * a).clamp(-32768.0, 32767.0) as i16;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_noise_has_the_rfc3389_level() {
        // RFC 3389 §3: level 30 means −30 dBov.
        let mut n = WhiteNoise::new(1);
        let mut buf = vec![0i16; 16_000];
        n.fill(30, &mut buf);
        let rms = (buf.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / 16_000.0).sqrt();
        let want = dbov_to_rms(30);
        assert!((20.0 * (rms / want).log10()).abs() < 0.3, "{rms} vs {want}");
        n.fill(127, &mut buf);
        assert!(buf.iter().all(|&s| s == 0));
    }
}

//! Single-bin DFT power detector (the Goertzel algorithm).
//!
//! The level is scaled so that a sine of `L` dBm0 exactly at the bin frequency reads `L`
//! (to within the leakage of the rectangular window, which is zero when a whole number of
//! periods is analysed and small when the block is long).

use crate::level::{peak_to_dbm0, SILENCE_DBM0};
use crate::SAMPLE_RATE;

/// Single-bin DFT power detector (Goertzel). Construct once, reuse.
#[derive(Debug, Clone)]
pub struct Goertzel {
    coeff: f32,
    s1: f32,
    s2: f32,
    n: usize,
}

impl Goertzel {
    /// A detector for `freq_hz` at [`SAMPLE_RATE`].
    pub fn new(freq_hz: f32) -> Self {
        let w = 2.0 * std::f64::consts::PI * f64::from(freq_hz) / f64::from(SAMPLE_RATE);
        Self {
            coeff: (2.0 * w.cos()) as f32,
            s1: 0.0,
            s2: 0.0,
            n: 0,
        }
    }

    /// Forget everything pushed so far.
    pub fn reset(&mut self) {
        self.s1 = 0.0;
        self.s2 = 0.0;
        self.n = 0;
    }

    /// Feed samples.
    pub fn push(&mut self, samples: &[i16]) {
        let (mut s1, mut s2) = (self.s1, self.s2);
        for &x in samples {
            let s0 = f32::from(x) + self.coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        self.s1 = s1;
        self.s2 = s2;
        self.n += samples.len();
    }

    /// Number of samples pushed since the last reset.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether nothing was pushed since the last reset.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Squared magnitude of the DFT bin, `|X(f)|²`.
    pub fn power(&self) -> f32 {
        (self.s1 * self.s1 + self.s2 * self.s2 - self.coeff * self.s1 * self.s2).max(0.0)
    }

    /// Peak amplitude of the sine at this frequency that would give the accumulated power
    /// (`2 |X| / N`).
    pub fn amplitude(&self) -> f32 {
        if self.n == 0 {
            return 0.0;
        }
        2.0 * self.power().sqrt() / self.n as f32
    }

    /// Level in dBm0 of a sine at this frequency that would give the accumulated power over
    /// the samples pushed since reset (so a -13 dBm0 tone at exactly freq reads ≈ -13).
    /// [`SILENCE_DBM0`] when nothing (or silence) was pushed.
    pub fn level_dbm0(&self) -> f32 {
        if self.n == 0 {
            return SILENCE_DBM0;
        }
        peak_to_dbm0(self.amplitude())
    }
}

/// One-shot convenience: level in dBm0 of the `freq_hz` component of `samples`.
pub fn tone_level_dbm0(samples: &[i16], freq_hz: f32) -> f32 {
    let mut g = Goertzel::new(freq_hz);
    g.push(samples);
    g.level_dbm0()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::level::dbm0_to_peak;

    fn sine(dbm0: f32, freq: f32, n: usize) -> Vec<i16> {
        let a = dbm0_to_peak(dbm0);
        (0..n)
            .map(|i| {
                let t = i as f32 / SAMPLE_RATE as f32;
                (a * (2.0 * std::f32::consts::PI * freq * t).sin()).round() as i16
            })
            .collect()
    }

    /// ITU-T E.180 §2 tone levels are per frequency component: the detector must read the
    /// level of each component of a dual tone independently.
    #[test]
    fn reads_component_levels_of_a_dual_tone() {
        let a = sine(-13.0, 350.0, 8000);
        let b = sine(-20.0, 440.0, 8000);
        let mix: Vec<i16> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
        assert!((tone_level_dbm0(&mix, 350.0) + 13.0).abs() < 0.1);
        assert!((tone_level_dbm0(&mix, 440.0) + 20.0).abs() < 0.1);
        assert!(tone_level_dbm0(&mix, 1000.0) < -60.0);
    }

    #[test]
    fn reset_and_incremental_push() {
        let s = sine(-10.0, 1000.0, 800);
        let mut g = Goertzel::new(1000.0);
        g.push(&s[..123]);
        g.push(&s[123..]);
        assert_eq!(g.len(), 800);
        assert!((g.level_dbm0() + 10.0).abs() < 0.05);
        g.reset();
        assert!(g.is_empty());
        assert_eq!(g.level_dbm0(), SILENCE_DBM0);
        g.push(&[0; 80]);
        assert_eq!(g.level_dbm0(), SILENCE_DBM0);
    }
}

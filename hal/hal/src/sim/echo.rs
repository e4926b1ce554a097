//! The hybrid echo path of the simulated line.

use std::time::Duration;

use super::rng::SplitMix64;
use crate::{Error, Result, SAMPLE_RATE};

/// A 2-wire hybrid echo path: what the gateway sends comes back, delayed and attenuated, in
/// what it receives.
///
/// The impulse response is `delay` of nothing followed by an exponentially decaying, seeded
/// random tail of `dispersion` length (taps of either sign, the first positive and the
/// largest in envelope, amplitude falling to about −35 dB at the end, no gain at DC as a
/// transformer-coupled hybrid has none), scaled so that the echo return loss for white
/// input is exactly `erl_db` (sum of squared taps = 10^(−ERL/10)), as ITU-T G.168 models a
/// hybrid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EchoPath {
    /// Pure delay before the first echo tap (0 ..= 1 s).
    pub delay: Duration,
    /// Echo return loss in dB (0 ..= 100): how much weaker the echo is than the signal sent.
    pub erl_db: f32,
    /// Length of the decaying tail (0 ..= 200 ms; 0 = a single tap).
    pub dispersion: Duration,
}

impl Default for EchoPath {
    /// 5 ms delay, 12 dB ERL, 4 ms dispersion: a typical short local loop with a mismatched
    /// hybrid (ITU-T G.168 asks echo cancellers to cope with ERL down to 6 dB).
    fn default() -> Self {
        Self {
            delay: Duration::from_millis(5),
            erl_db: 12.0,
            dispersion: Duration::from_millis(4),
        }
    }
}

impl EchoPath {
    /// Check the ranges documented on the fields.
    pub fn validate(&self) -> Result<()> {
        if self.delay > Duration::from_secs(1) {
            return Err(Error::InvalidConfig(format!(
                "echo delay {:?} exceeds 1 s",
                self.delay
            )));
        }
        if self.dispersion > Duration::from_millis(200) {
            return Err(Error::InvalidConfig(format!(
                "echo dispersion {:?} exceeds 200 ms",
                self.dispersion
            )));
        }
        if !(0.0..=100.0).contains(&self.erl_db) {
            return Err(Error::InvalidConfig(format!(
                "echo ERL {} dB outside 0..=100",
                self.erl_db
            )));
        }
        Ok(())
    }

    /// Delay in whole samples.
    pub fn delay_samples(&self) -> usize {
        duration_to_samples(self.delay)
    }

    /// The impulse response taps after the delay (at least one), scaled to the ERL.
    pub fn taps(&self, seed: u64) -> Vec<f32> {
        let n = duration_to_samples(self.dispersion).max(1);
        let mut rng = SplitMix64::new(seed ^ 0xEC40_EC40_EC40_EC40);
        let tau = n as f32 / 4.0;
        let env: Vec<f32> = (0..n).map(|k| (-(k as f32) / tau).exp()).collect();
        let mut taps: Vec<f32> = env
            .iter()
            .enumerate()
            .map(|(k, e)| {
                let r = if k == 0 {
                    1.0
                } else {
                    2.0 * rng.uniform() - 1.0
                };
                r * e
            })
            .collect();
        // A hybrid couples through transformers and capacitors: no DC passes (the G.168
        // Annex D echo paths are band-pass). Take the mean out along the envelope so the
        // taps sum to zero.
        if n > 1 {
            let sum: f32 = taps.iter().sum();
            let w: f32 = env.iter().sum();
            for (t, e) in taps.iter_mut().zip(&env) {
                *t -= sum * e / w;
            }
        }
        let energy: f32 = taps.iter().map(|t| t * t).sum();
        let target = 10f32.powf(-self.erl_db / 10.0);
        let scale = (target / energy).sqrt();
        for t in &mut taps {
            *t *= scale;
        }
        taps
    }
}

pub(crate) fn duration_to_samples(d: Duration) -> usize {
    (d.as_nanos() * u128::from(SAMPLE_RATE) / 1_000_000_000) as usize
}

/// The running echo filter: a delay line and the tail taps.
#[derive(Debug, Clone)]
pub(crate) struct EchoFilter {
    taps: Vec<f32>,
    delay: usize,
    /// Circular history of the input, `delay + taps.len()` long.
    hist: Vec<f32>,
    pos: usize,
}

impl EchoFilter {
    pub(crate) fn new(path: &EchoPath, seed: u64) -> Self {
        let taps = path.taps(seed);
        let delay = path.delay_samples();
        let len = delay + taps.len();
        Self {
            taps,
            delay,
            hist: vec![0.0; len],
            pos: 0,
        }
    }

    /// Push one input sample, return the echo sample that comes back at the same instant.
    pub(crate) fn step(&mut self, x: f32) -> f32 {
        let len = self.hist.len();
        self.hist[self.pos] = x;
        let mut y = 0.0;
        // Tap k multiplies the input from delay + k samples ago.
        let mut idx = (self.pos + len - self.delay % len) % len;
        for &t in &self.taps {
            y += t * self.hist[idx];
            idx = if idx == 0 { len - 1 } else { idx - 1 };
        }
        self.pos = (self.pos + 1) % len;
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taps_have_the_erl() {
        // ITU-T G.168 §3 defines ERL as the attenuation of the echo path; for white input it
        // is 10·log10(1 / Σh²).
        for erl in [6.0f32, 12.0, 30.0] {
            let p = EchoPath {
                erl_db: erl,
                ..EchoPath::default()
            };
            let e: f32 = p.taps(1).iter().map(|t| t * t).sum();
            assert!((-10.0 * e.log10() - erl).abs() < 0.01);
        }
    }

    #[test]
    fn no_dc_passes_the_hybrid() {
        // G.168 Annex D's measured hybrids are band-pass: a constant comes back as nothing.
        let p = EchoPath {
            erl_db: 6.0,
            dispersion: Duration::from_millis(24),
            ..EchoPath::default()
        };
        for seed in 1..5 {
            let t = p.taps(seed);
            let dc: f32 = t.iter().sum();
            let rms = t.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!(dc.abs() < 1e-4 * rms.max(1e-6), "seed {seed}: DC gain {dc}");
            assert!(t[0] > 0.0 && t.iter().any(|&x| x < 0.0));
        }
    }

    #[test]
    fn impulse_comes_back_after_the_delay() {
        let p = EchoPath {
            delay: Duration::from_millis(5),
            erl_db: 0.0,
            dispersion: Duration::ZERO,
        };
        let mut f = EchoFilter::new(&p, 1);
        let out: Vec<f32> = (0..100)
            .map(|i| f.step(if i == 0 { 1.0 } else { 0.0 }))
            .collect();
        let peak = out.iter().position(|&y| y != 0.0).unwrap();
        assert_eq!(peak, 40);
        assert!((out[40] - 1.0).abs() < 1e-6);
        assert_eq!(out.iter().filter(|&&y| y != 0.0).count(), 1);
    }

    #[test]
    fn dispersed_response_matches_taps() {
        let p = EchoPath::default();
        let taps = p.taps(3);
        assert_eq!(taps.len(), 32);
        let mut f = EchoFilter::new(&p, 3);
        let out: Vec<f32> = (0..200)
            .map(|i| f.step(if i == 0 { 1.0 } else { 0.0 }))
            .collect();
        assert!(out[..40].iter().all(|&y| y == 0.0));
        for (k, t) in taps.iter().enumerate() {
            assert!((out[40 + k] - t).abs() < 1e-7);
        }
        assert!(out[72..].iter().all(|&y| y == 0.0));
        assert!(EchoPath {
            delay: Duration::from_secs(2),
            ..p
        }
        .validate()
        .is_err());
        assert!(EchoPath { erl_db: -1.0, ..p }.validate().is_err());
    }
}

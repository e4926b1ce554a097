//! Time-stretching of decoded PCM by whole pitch periods with overlap-add (a small
//! WSOLA / NetEQ accelerate + preemptive-expand).
//!
//! *Accelerate* replaces two consecutive segments of one pitch period `L`, `x[0..L]` and
//! `x[L..2L]`, by one cross-fade from the first into the second: `L` samples shorter and
//! continuous at both ends. *Expand* inserts a cross-fade from `x[L..2L]` back into
//! `x[0..L]` after `x[0..L]`: `L` samples longer. On voiced speech `L` is the pitch period
//! (normalized correlation ≥ [`VOICED_CORR`]), so the result has no audible seam; on low
//! energy audio (pauses) any `L` works and the largest allowed is taken.

use std::collections::VecDeque;

/// Normalized correlation above which a segment counts as periodic with that lag.
pub(crate) const VOICED_CORR: f64 = 0.9;
/// Normalized correlation accepted when the buffer is far from its target.
pub(crate) const URGENT_CORR: f64 = 0.6;
/// RMS below which audio counts as a pause (about −45 dBov).
pub(crate) const LOW_ENERGY_RMS: f64 = 130.0;

/// Lag search range and scratch memory for one sample rate.
#[derive(Debug, Clone)]
pub(crate) struct Stretcher {
    /// Shortest lag: 2.5 ms (a 400 Hz pitch).
    pub(crate) min_lag: usize,
    /// Longest lag: 15 ms (a 67 Hz pitch).
    pub(crate) max_lag: usize,
    step: usize,
    scratch: Vec<i16>,
}

/// The result of a lag search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Lag {
    pub(crate) lag: usize,
    pub(crate) corr: f64,
    pub(crate) low_energy: bool,
}

impl Stretcher {
    pub(crate) fn new(sample_rate: u32) -> Self {
        let sr = sample_rate as usize;
        let max_lag = sr * 15 / 1000;
        Self {
            min_lag: (sr * 25 / 10_000).max(2),
            max_lag,
            step: (sr / 8000).max(1),
            scratch: Vec::with_capacity(max_lag),
        }
    }

    /// Accelerate: the lag up to `hi` whose two segments `x[0..L]`, `x[L..2L]` at the
    /// front of `x` are most alike. `None` when no lag fits.
    ///
    /// A pause (low energy over all of `x` and `hist`, the audio just played) takes the
    /// largest lag; otherwise, unless `periodic_ok`, there is no candidate (and no cost).
    pub(crate) fn search_accel(
        &self,
        hist: &[i16],
        x: &[i16],
        hi: usize,
        periodic_ok: bool,
    ) -> Option<Lag> {
        let hi = hi.min(self.max_lag).min(x.len() / 2);
        let lo = self.min_lag;
        if hi < lo {
            return None;
        }
        if rms(x).max(rms(hist)) < LOW_ENERGY_RMS {
            return Some(Lag {
                lag: hi,
                corr: 1.0,
                low_energy: true,
            });
        }
        if !periodic_ok {
            return None;
        }
        Some(self.best(lo, hi, |lag, step| {
            norm_corr(&x[..lag], &x[lag..2 * lag], step)
        }))
    }

    /// Expand: the lag in `[lo, hi]` for which the last `L` played samples (`hist`) are
    /// most like the next `L` samples `x[0..L]`.
    pub(crate) fn search_expand(
        &self,
        hist: &[i16],
        x: &[i16],
        lo: usize,
        hi: usize,
        periodic_ok: bool,
    ) -> Option<Lag> {
        let hi = hi.min(self.max_lag).min(x.len()).min(hist.len());
        let lo = lo.max(self.min_lag);
        if hi < lo {
            return None;
        }
        let n = hist.len();
        if rms(&hist[n - hi..]).max(rms(&x[..hi])) < LOW_ENERGY_RMS {
            return Some(Lag {
                lag: hi,
                corr: 1.0,
                low_energy: true,
            });
        }
        if !periodic_ok {
            return None;
        }
        Some(self.best(lo, hi, |lag, step| {
            norm_corr(&hist[n - lag..], &x[..lag], step)
        }))
    }

    /// Coarse search on a decimated grid, then refinement around the best lag.
    fn best(&self, lo: usize, hi: usize, corr: impl Fn(usize, usize) -> f64) -> Lag {
        let mut best = (lo, f64::MIN);
        let mut lag = lo;
        while lag <= hi {
            let c = corr(lag, self.step);
            if c > best.1 {
                best = (lag, c);
            }
            lag += self.step;
        }
        if self.step > 1 {
            let centre = best.0;
            best.1 = f64::MIN;
            for lag in centre.saturating_sub(self.step).max(lo)..=(centre + self.step).min(hi) {
                let c = corr(lag, 1);
                if c > best.1 {
                    best = (lag, c);
                }
            }
        }
        Lag {
            lag: best.0,
            corr: best.1,
            low_energy: false,
        }
    }

    /// Removes `lag` samples from the front of `buf` (needs `2·lag` samples): `x[0..L]`
    /// and `x[L..2L]` become one cross-fade from the first into the second.
    pub(crate) fn accelerate(&mut self, buf: &mut VecDeque<i16>, lag: usize) -> bool {
        if lag == 0 || buf.len() < 2 * lag {
            return false;
        }
        for i in 0..lag {
            let a = i32::from(buf[i]);
            let b = i32::from(buf[lag + i]);
            buf[lag + i] = fade(a, b, i, lag);
        }
        buf.drain(..lag);
        true
    }

    /// Inserts `lag` samples before the front of `buf` (needs `lag` samples in `buf` and
    /// in `hist`, the samples played just before): a cross-fade from the period just
    /// played (`hist[n−L..n]`, which continues the signal after `hist[n−1]` when `L` is
    /// the pitch period) into `x[0..L]` (which leads into `x[0]` one period later).
    pub(crate) fn expand(&mut self, buf: &mut VecDeque<i16>, hist: &[i16], lag: usize) -> bool {
        let n = hist.len();
        if lag == 0 || buf.len() < lag || n < lag {
            return false;
        }
        self.scratch.clear();
        for i in 0..lag {
            let a = i32::from(hist[n - lag + i]);
            let b = i32::from(buf[i]);
            self.scratch.push(fade(a, b, i, lag));
        }
        for &s in self.scratch.iter().rev() {
            buf.push_front(s);
        }
        true
    }
}

pub(crate) fn rms(x: &[i16]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

/// Linear cross-fade from `a` (weight 1 at `i = 0`) to `b` over `n` samples.
fn fade(a: i32, b: i32, i: usize, n: usize) -> i16 {
    let (i, n) = (i as i64, n as i64);
    let v = (i64::from(a) * (n - i) + i64::from(b) * i) / n;
    v.clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16
}

/// Normalized correlation of `a` and `b` (same length), every `step`-th sample.
fn norm_corr(a: &[i16], b: &[i16], step: usize) -> f64 {
    let (mut xy, mut xx, mut yy) = (0i64, 0i64, 0i64);
    for (&x, &y) in a.iter().zip(b).step_by(step) {
        let (x, y) = (i64::from(x), i64::from(y));
        xy += x * y;
        xx += x * x;
        yy += y * y;
    }
    if xx == 0 || yy == 0 {
        return 0.0;
    }
    xy as f64 / ((xx as f64) * (yy as f64)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(n: usize, period: f64, amp: f64) -> Vec<i16> {
        (0..n)
            .map(|i| (amp * (std::f64::consts::TAU * i as f64 / period).sin()) as i16)
            .collect()
    }

    #[test]
    fn finds_the_pitch_period() {
        // A 160 Hz tone at 8 kHz: period 50 samples (a male voice's pitch).
        let st = Stretcher::new(8000);
        let x = sine(400, 50.0, 8000.0);
        let lag = st.search_accel(&[], &x, 60, true).unwrap();
        assert_eq!(lag.lag, 50);
        assert!(lag.corr > 0.99 && !lag.low_energy);
        // At 16 kHz (coarse grid of 2 then refinement) the period is 100 samples.
        let st = Stretcher::new(16_000);
        let x = sine(800, 100.0, 8000.0);
        assert_eq!(st.search_accel(&[], &x, 110, true).unwrap().lag, 100);
        // Expand search: history then the future, one period apart.
        let st = Stretcher::new(8000);
        let x = sine(400, 50.0, 8000.0);
        let lag = st
            .search_expand(&x[..150], &x[150..], 30, 120, true)
            .unwrap();
        assert_eq!(lag.lag, 50);
        assert!(lag.corr > 0.99);
    }

    #[test]
    fn low_energy_takes_the_largest_lag() {
        let st = Stretcher::new(8000);
        let x = sine(400, 37.0, 50.0);
        let lag = st.search_accel(&[], &x, 100, false).unwrap();
        assert!(lag.low_energy);
        assert_eq!(lag.lag, 100);
        assert!(st.search_accel(&[], &x[..30], 100, true).is_none());
        // Loud aperiodic audio is not a candidate unless allowed.
        let loud = sine(400, 37.0, 8000.0);
        assert!(st.search_accel(&[], &loud, 100, false).is_none());
        // Nor is a quiet tail after loud history (not a pause).
        assert!(st.search_accel(&loud, &x, 100, false).is_none());
    }

    #[test]
    fn accelerate_and_expand_keep_a_periodic_signal_clean() {
        // Removing or inserting one whole period of a periodic signal must leave the
        // signal unchanged apart from its length: max deviation from the ideal continuation
        // stays within rounding.
        let mut st = Stretcher::new(8000);
        let x = sine(400, 40.0, 10_000.0);
        let mut buf: VecDeque<i16> = x.iter().copied().collect();
        assert!(st.accelerate(&mut buf, 40));
        assert_eq!(buf.len(), 360);
        for (i, &s) in buf.iter().enumerate() {
            assert!((i32::from(s) - i32::from(x[i])).abs() <= 2, "accel {i}");
        }
        // Expand: history x[0..200] played, buf = x[200..400]; inserting one period
        // keeps the waveform continuous: hist ++ buf equals a 440-sample sine.
        let mut buf: VecDeque<i16> = x[200..].iter().copied().collect();
        assert!(st.expand(&mut buf, &x[..200], 40));
        assert_eq!(buf.len(), 240);
        let joined: Vec<i16> = x[..200]
            .iter()
            .copied()
            .chain(buf.iter().copied())
            .collect();
        let ideal = sine(440, 40.0, 10_000.0);
        for (i, &s) in joined.iter().enumerate() {
            assert!(
                (i32::from(s) - i32::from(ideal[i])).abs() <= 2,
                "expand {i}"
            );
        }
        // Too short: refused, untouched.
        let mut buf: VecDeque<i16> = x[..50].iter().copied().collect();
        assert!(!st.accelerate(&mut buf, 40));
        assert!(!st.expand(&mut buf, &x[..30], 40));
        assert_eq!(buf.len(), 50);
    }
}

//! Session retry waits (TR-069 Amendment 6 §3.2.1.1, Table 3).
//!
//! After the m-th failed attempt in a row (m = 1, 2, ...) the CPE waits a random time in
//! `[min × (k/1000)^(m-1), min × (k/1000)^m]` seconds, where `min` is
//! `CWMPRetryMinimumWaitInterval` (default 5 s) and `k` is `CWMPRetryIntervalMultiplier`
//! (default 2000, i.e. ×2). From the tenth attempt on the range stays where it is. With the
//! defaults that is Table 3: 5-10 s, 10-20 s, 20-40 s, ... 2560-5120 s.

use std::time::Duration;

/// The retry policy's two parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// `CWMPRetryMinimumWaitInterval`, seconds (1..=65535).
    pub min_wait_s: u32,
    /// `CWMPRetryIntervalMultiplier`, thousandths (1000..=65535).
    pub multiplier: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            min_wait_s: 5,
            multiplier: 2000,
        }
    }
}

impl RetryPolicy {
    /// The wait range before retry attempt `m` (1 for the first retry), in seconds.
    pub fn range(&self, m: u32) -> (f64, f64) {
        let min = f64::from(self.min_wait_s.max(1));
        let k = f64::from(self.multiplier.max(1000)) / 1000.0;
        let n = m.clamp(1, 10);
        let lo = min * k.powi(n as i32 - 1);
        (lo, lo * k)
    }

    /// The wait before retry attempt `m`, at `fraction` (0..1, from the caller's RNG) of
    /// the range.
    pub fn wait(&self, m: u32, fraction: f64) -> Duration {
        let (lo, hi) = self.range(m);
        Duration::from_secs_f64(lo + (hi - lo) * fraction.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_3_with_the_defaults() {
        // TR-069 Amd 6 §3.2.1.1 Table 3: 5-10, 10-20, ..., 2560-5120 from the 10th on.
        let p = RetryPolicy::default();
        let expect = [
            (5.0, 10.0),
            (10.0, 20.0),
            (20.0, 40.0),
            (40.0, 80.0),
            (80.0, 160.0),
            (160.0, 320.0),
            (320.0, 640.0),
            (640.0, 1280.0),
            (1280.0, 2560.0),
            (2560.0, 5120.0),
            (2560.0, 5120.0),
        ];
        for (m, e) in (1..).zip(expect) {
            assert_eq!(p.range(m), e, "attempt {m}");
        }
    }

    #[test]
    fn other_parameters_scale_the_ranges() {
        let p = RetryPolicy {
            min_wait_s: 10,
            multiplier: 1500,
        };
        assert_eq!(p.range(1), (10.0, 15.0));
        assert_eq!(p.range(2), (15.0, 22.5));
        assert_eq!(p.wait(1, 0.5), Duration::from_secs_f64(12.5));
    }
}

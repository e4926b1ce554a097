//! A tiny seeded PRNG (SplitMix64) for keep-alive jitter: no global RNG.

use std::time::Duration;

/// SplitMix64 (Steele, Lea, Flood 2014), seeded from the configuration.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A wait drawn uniformly between 80 % and 100 % of `interval` (RFC 5626 §4.4.1).
    pub(crate) fn keepalive_wait(&mut self, interval: Duration) -> Duration {
        let low = interval * 4 / 5;
        let span = u64::try_from((interval - low).as_nanos()).unwrap_or(u64::MAX);
        low + Duration::from_nanos(self.next_u64() % span.saturating_add(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 5626 §4.4.1: keep-alive waits are randomly distributed between 80 % and 100 %
    // of the interval.
    #[test]
    fn keepalive_wait_stays_between_80_and_100_percent() {
        let mut rng = Rng::new(7);
        let interval = Duration::from_secs(120);
        let waits: Vec<Duration> = (0..1000).map(|_| rng.keepalive_wait(interval)).collect();
        assert!(waits
            .iter()
            .all(|w| *w >= Duration::from_secs(96) && *w <= interval));
        // Spread over the range, not stuck at one end.
        assert!(waits.iter().any(|w| *w < Duration::from_secs(100)));
        assert!(waits.iter().any(|w| *w > Duration::from_secs(116)));
        // Same seed, same waits (reproducible).
        let mut again = Rng::new(7);
        assert_eq!(again.keepalive_wait(interval), waits[0]);
    }

    // SplitMix64 reference output for seed 0 (first value 0xE220A8397B1DCDAF).
    #[test]
    fn splitmix_reference_value() {
        assert_eq!(Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }
}

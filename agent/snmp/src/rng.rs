//! A small seeded PRNG (SplitMix64) for request-ids, msgIDs and privacy salts. The engine
//! never touches a global RNG: the seed comes from the configuration.

/// SplitMix64 (Steele, Lea, Flood 2014): one 64-bit state, full period, good enough for
/// identifiers and salts that must not repeat (not for keys).
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
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

    /// A positive 31-bit value: request-ids and msgIDs (RFC 3412 §6: msgID 0..2^31-1).
    pub(crate) fn next_id(&mut self) -> i32 {
        // Masked to 31 bits, so the cast cannot wrap to a negative value.
        ((self.next_u64() >> 33) & 0x7FFF_FFFF) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_and_vary() {
        let mut r = SplitMix64::new(7);
        let ids: Vec<i32> = (0..1000).map(|_| r.next_id()).collect();
        assert!(ids.iter().all(|&i| i >= 0));
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert!(sorted.len() > 990);
        // Same seed, same sequence: runs are reproducible.
        let mut a = SplitMix64::new(42);
        let mut b = SplitMix64::new(42);
        assert_eq!(a.next_u64(), b.next_u64());
    }
}

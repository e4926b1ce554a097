//! Per-source token buckets in a bounded table.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

use crate::net::canonical;

/// The default bound on the sources a table remembers (per table).
pub const DEFAULT_MAX_SOURCES: usize = 4096;

/// Bucket units per token: tokens are counted in billionths, so a refill of `rate` tokens
/// per second is `rate` units per nanosecond, exactly, in integers.
const UNIT: u64 = 1_000_000_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Units in the bucket at `last`.
    units: u64,
    /// When the source was last seen.
    last: Instant,
}

/// A token bucket per source address: `rate_per_s` packets (or connections) a second on
/// average, `burst` at once.
///
/// A new source starts with a full bucket. `rate_per_s == 0` means unlimited: every
/// [`allow`](Self::allow) is `true` and nothing is remembered. A `burst` of 0 is taken
/// as 1.
///
/// **Bounded memory.** At most `max_sources` sources are remembered (0 is taken as 1).
/// When a new source arrives at a full table, the buckets that have refilled are
/// forgotten first (a full bucket and no bucket are the same thing); if that frees
/// nothing, the quarter of the table idle longest goes. So a flood of spoofed sources
/// costs a bounded table and amortised O(1) work per packet, and a source that keeps
/// sending is the last to be forgotten. What a spoofed flood can do is make the limiter
/// forget a source that has been quiet for a while, which then starts again with a full
/// bucket.
///
/// IPv4-mapped IPv6 sources count as their IPv4 address.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    rate_per_s: u32,
    burst: u32,
    max_sources: usize,
    buckets: HashMap<IpAddr, Bucket>,
}

impl Default for RateLimiter {
    /// Unlimited ([`RateLimiter::unlimited`]).
    fn default() -> Self {
        Self::unlimited()
    }
}

impl RateLimiter {
    /// A limiter of `rate_per_s` a second with bursts of `burst`, remembering at most
    /// `max_sources` sources.
    pub fn new(rate_per_s: u32, burst: u32, max_sources: usize) -> Self {
        Self {
            rate_per_s,
            burst: burst.max(1),
            max_sources: max_sources.max(1),
            buckets: HashMap::new(),
        }
    }

    /// A limiter that allows everything (rate 0).
    pub fn unlimited() -> Self {
        Self::new(0, 0, DEFAULT_MAX_SOURCES)
    }

    /// Changes the limits, keeping what is known of each source (a bucket holding more
    /// than the new burst is cut down to it; the table is cut down to `max_sources`).
    pub fn set_limits(&mut self, rate_per_s: u32, burst: u32, max_sources: usize) {
        self.rate_per_s = rate_per_s;
        self.burst = burst.max(1);
        self.max_sources = max_sources.max(1);
        if rate_per_s == 0 {
            self.buckets = HashMap::new();
            return;
        }
        let cap = self.capacity();
        for b in self.buckets.values_mut() {
            b.units = b.units.min(cap);
        }
        shrink_to(&mut self.buckets, self.max_sources, |_| false, |b| b.last);
    }

    /// Whether one more packet (or connection) from `ip` at `now` is within the limit; if
    /// it is, one token is taken.
    pub fn allow(&mut self, ip: IpAddr, now: Instant) -> bool {
        if self.rate_per_s == 0 {
            return true;
        }
        let ip = canonical(ip);
        let (rate, cap) = (self.rate_per_s, self.capacity());
        if let Some(b) = self.buckets.get_mut(&ip) {
            refill(b, rate, cap, now);
            return if b.units >= UNIT {
                b.units -= UNIT;
                true
            } else {
                false
            };
        }
        make_room(
            &mut self.buckets,
            self.max_sources,
            |b| refilled(b, rate, cap, now) >= cap,
            |b| b.last,
        );
        self.buckets.insert(
            ip,
            Bucket {
                units: cap - UNIT,
                last: now,
            },
        );
        true
    }

    /// The rate a second (0: unlimited).
    pub fn rate_per_s(&self) -> u32 {
        self.rate_per_s
    }

    /// The burst (at least 1).
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// The bound on remembered sources (at least 1).
    pub fn max_sources(&self) -> usize {
        self.max_sources
    }

    /// How many sources are remembered now (at most [`max_sources`](Self::max_sources)).
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// Whether no source is remembered.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// Forgets `ip` (its next packet starts with a full bucket).
    pub fn forget(&mut self, ip: IpAddr) {
        self.buckets.remove(&canonical(ip));
    }

    fn capacity(&self) -> u64 {
        u64::from(self.burst) * UNIT
    }
}

fn refilled(b: &Bucket, rate: u32, cap: u64, now: Instant) -> u64 {
    let elapsed = now.saturating_duration_since(b.last).as_nanos();
    let add = elapsed.saturating_mul(u128::from(rate));
    let units = u128::from(b.units).saturating_add(add);
    units.min(u128::from(cap)) as u64
}

fn refill(b: &mut Bucket, rate: u32, cap: u64, now: Instant) {
    b.units = refilled(b, rate, cap, now);
    // A `now` earlier than the last one (callers on several threads) neither refills nor
    // moves the clock back.
    b.last = b.last.max(now);
}

/// Makes room in `map` for one more entry under the bound `max`: when it is full, drops the
/// entries that are `forgettable`, then (if that freed nothing) the quarter with the oldest
/// `stamp`. Amortised O(1) per insert: each full sweep frees at least a quarter.
pub(crate) fn make_room<V>(
    map: &mut HashMap<IpAddr, V>,
    max: usize,
    forgettable: impl Fn(&V) -> bool,
    stamp: impl Fn(&V) -> Instant,
) {
    if map.len() < max {
        return;
    }
    map.retain(|_, v| !forgettable(v));
    if map.len() < max || map.is_empty() {
        return;
    }
    let mut stamps: Vec<Instant> = map.values().map(&stamp).collect();
    let k = (stamps.len() / 4).max(1) - 1;
    let (_, cutoff, _) = stamps.select_nth_unstable(k);
    let cutoff = *cutoff;
    // At least k + 1 entries are at or before the cutoff: this frees one or more.
    map.retain(|_, v| stamp(v) > cutoff);
}

/// Cuts `map` down to at most `max` entries (after the bound was lowered).
pub(crate) fn shrink_to<V>(
    map: &mut HashMap<IpAddr, V>,
    max: usize,
    forgettable: impl Fn(&V) -> bool,
    stamp: impl Fn(&V) -> Instant,
) {
    while map.len() > max {
        make_room(map, max, &forgettable, &stamp);
    }
    if map.capacity() > max.saturating_mul(4) {
        map.shrink_to(max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use std::time::Duration;

    fn t0() -> Instant {
        #[allow(clippy::disallowed_methods)] // the test's epoch; virtual time from here
        Instant::now()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_burst_then_the_rate() {
        let t = t0();
        let mut l = RateLimiter::new(10, 5, 16);
        let a = ip("192.0.2.1");
        for i in 0..5 {
            assert!(l.allow(a, t), "burst token {i}");
        }
        assert!(!l.allow(a, t), "the burst is spent");
        // 10/s: one token every 100 ms.
        assert!(!l.allow(a, t + ms(99)));
        assert!(l.allow(a, t + ms(100)));
        assert!(!l.allow(a, t + ms(150)));
        assert!(l.allow(a, t + ms(200)));
        // A long pause refills to the burst, not beyond.
        let later = t + Duration::from_secs(60);
        for _ in 0..5 {
            assert!(l.allow(a, later));
        }
        assert!(!l.allow(a, later));
        // Another source has its own bucket.
        assert!(l.allow(ip("192.0.2.2"), later));
    }

    #[test]
    fn a_steady_sender_at_the_rate_is_never_refused() {
        let t = t0();
        let mut l = RateLimiter::new(20, 1, 16);
        let a = ip("2001:db8::1");
        for i in 0..1000 {
            assert!(l.allow(a, t + ms(50 * i)), "packet {i}");
        }
        // Twice the rate: every other packet refused.
        let t = t + Duration::from_secs(100);
        let allowed = (0..1000).filter(|i| l.allow(a, t + ms(25 * i))).count();
        assert!((499..=501).contains(&allowed), "{allowed}");
    }

    #[test]
    fn rate_zero_is_unlimited_and_remembers_nothing() {
        let t = t0();
        let mut l = RateLimiter::unlimited();
        for i in 0..10_000u32 {
            assert!(l.allow(IpAddr::V4(Ipv4Addr::from(i)), t));
        }
        assert!(l.is_empty());
        assert_eq!(RateLimiter::default().rate_per_s(), 0);
        assert_eq!(RateLimiter::new(5, 0, 0).burst(), 1);
        assert_eq!(RateLimiter::new(5, 0, 0).max_sources(), 1);
    }

    #[test]
    fn v4_mapped_sources_share_the_v4_bucket() {
        let t = t0();
        let mut l = RateLimiter::new(1, 2, 16);
        assert!(l.allow(ip("192.0.2.1"), t));
        assert!(l.allow(ip("::ffff:192.0.2.1"), t));
        assert!(!l.allow(ip("192.0.2.1"), t));
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn the_table_stays_bounded_under_100k_spoofed_sources() {
        let t = t0();
        let max = 1000;
        let mut l = RateLimiter::new(1, 3, max);
        let flooder = ip("198.51.100.66");
        let mut flooder_allowed = 0;
        for i in 0..100_000u32 {
            let now = t + Duration::from_micros(u64::from(i) * 10);
            l.allow(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | i)), now);
            if l.allow(flooder, now) {
                flooder_allowed += 1;
            }
            assert!(l.len() <= max, "{} sources at {i}", l.len());
        }
        // One second of virtual time: the flooder kept sending, so it was never forgotten
        // and got its burst plus one refill, not a fresh bucket per sweep.
        assert!(flooder_allowed <= 4, "{flooder_allowed}");
    }

    #[test]
    fn full_buckets_are_forgotten_before_busy_ones() {
        let t = t0();
        let mut l = RateLimiter::new(1, 2, 4);
        let busy = ip("192.0.2.1");
        assert!(l.allow(busy, t));
        assert!(l.allow(busy, t));
        assert!(!l.allow(busy, t));
        for i in 2..=4 {
            l.allow(ip(&format!("192.0.2.{i}")), t);
        }
        assert_eq!(l.len(), 4);
        // 1.5 s later the three one-packet sources are full again; the busy one is not
        // (1.5 tokens), so a newcomer evicts the full ones and the busy one keeps its state.
        let later = t + ms(1500);
        assert!(l.allow(ip("192.0.2.9"), later));
        assert_eq!(l.len(), 2);
        assert!(l.allow(busy, later));
        assert!(
            !l.allow(busy, later),
            "the busy bucket was kept, not refilled"
        );
    }

    #[test]
    fn lowered_limits_keep_state_and_the_bound() {
        let t = t0();
        let mut l = RateLimiter::new(1, 10, 100);
        for i in 0..100u32 {
            l.allow(IpAddr::V4(Ipv4Addr::from(i)), t + ms(u64::from(i)));
        }
        let a = IpAddr::V4(Ipv4Addr::from(99));
        l.set_limits(1, 2, 10);
        assert!(l.len() <= 10);
        assert!(l.allow(a, t + ms(99)));
        assert!(l.allow(a, t + ms(99)));
        assert!(
            !l.allow(a, t + ms(99)),
            "the bucket was cut down to the new burst"
        );
        l.set_limits(0, 0, 10);
        assert!(l.is_empty() && l.allow(a, t));
    }

    #[test]
    fn time_going_backwards_neither_refills_nor_panics() {
        let t = t0() + Duration::from_secs(10);
        let mut l = RateLimiter::new(1, 1, 4);
        let a = ip("192.0.2.1");
        assert!(l.allow(a, t));
        assert!(!l.allow(a, t - Duration::from_secs(5)));
        assert!(!l.allow(a, t + ms(999)));
        assert!(l.allow(a, t + ms(1000)));
    }
}

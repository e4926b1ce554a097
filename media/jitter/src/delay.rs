//! Delay estimation in the spirit of WebRTC NetEQ's `DelayManager` / underrun optimizer.
//!
//! Each arriving packet gets a *relative delay*: how much later it arrived than the fastest
//! packet of the last [`BASE_WINDOW_US`], after mapping RTP timestamps to time
//! (`arrival − timestamp/clock`, minus the window's minimum of that). The maximum relative
//! delay of each resample interval (500 ms by default) goes into a histogram with a
//! forgetting factor; the target playout delay is a quantile (0.95 by default) of that
//! histogram. Taking the per-interval maximum rather than every packet makes the 0.95
//! quantile of the histogram land near the top of the per-packet distribution, so very few
//! packets arrive after their playout time while the delay stays close to the jitter.
//! A second, per-packet histogram gives the network jitter 95th percentile for statistics.

use std::collections::VecDeque;

/// How far back the "fastest recent packet" is searched, in µs (NetEQ uses 2 s).
pub(crate) const BASE_WINDOW_US: i64 = 2_000_000;
/// Histogram bucket width in µs.
const BUCKET_US: i64 = 2_000;
/// Bound on the base-window deque (monotonic, so it rarely holds more than a few entries).
const BASE_WINDOW_CAP: usize = 1024;

/// A histogram of delays in [`BUCKET_US`] buckets with exponential forgetting.
#[derive(Debug, Clone)]
pub(crate) struct Histogram {
    buckets: Vec<f64>,
    forget: f64,
    start_weight: f64,
    adds: u64,
}

impl Histogram {
    pub(crate) fn new(max_us: i64, forget: f64, start_weight: f64) -> Self {
        let n = (max_us / BUCKET_US).max(1) as usize + 1;
        Self {
            buckets: vec![0.0; n],
            forget,
            start_weight,
            adds: 0,
        }
    }

    /// Adds one observation. Like NetEQ's histogram, the forgetting factor starts small
    /// (`1 − start_weight/(n+1)`) so that the first observations are weighed about
    /// equally, and grows to `forget`.
    pub(crate) fn add(&mut self, value_us: i64) {
        self.adds += 1;
        let ff = if self.start_weight > 0.0 {
            (1.0 - self.start_weight / (self.adds as f64 + 1.0)).clamp(0.0, self.forget)
        } else {
            self.forget
        };
        let last = self.buckets.len() - 1;
        let idx = ((value_us.max(0) / BUCKET_US) as usize).min(last);
        let mut sum = 0.0;
        for b in &mut self.buckets {
            *b *= ff;
            sum += *b;
        }
        // Keep the total mass at 1: the new observation gets what forgetting freed.
        self.buckets[idx] += 1.0 - sum;
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.adds == 0
    }

    /// The `q` quantile in µs, interpolated linearly inside its bucket.
    pub(crate) fn quantile_us(&self, q: f64) -> i64 {
        let total: f64 = self.buckets.iter().sum();
        if total <= 0.0 {
            return 0;
        }
        let want = q * total;
        let mut acc = 0.0;
        for (i, &b) in self.buckets.iter().enumerate() {
            if acc + b >= want && b > 0.0 {
                let frac = ((want - acc) / b).clamp(0.0, 1.0);
                return i as i64 * BUCKET_US + (frac * BUCKET_US as f64) as i64;
            }
            acc += b;
        }
        self.buckets.len() as i64 * BUCKET_US
    }
}

/// Tunables of the estimator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DelayParams {
    pub(crate) quantile: f64,
    pub(crate) forget: f64,
    pub(crate) resample_us: i64,
    pub(crate) max_us: i64,
}

/// Relative-delay tracker and target-delay estimator.
#[derive(Debug, Clone)]
pub(crate) struct DelayEstimator {
    params: DelayParams,
    /// Monotonic deque of (arrival, base) where base = arrival − media time; the front is
    /// the window minimum.
    base: VecDeque<(i64, i64)>,
    interval: Histogram,
    per_packet: Histogram,
    interval_start: Option<i64>,
    interval_max: i64,
    target_cache: Option<i64>,
}

impl DelayEstimator {
    pub(crate) fn new(params: DelayParams) -> Self {
        Self {
            params,
            base: VecDeque::with_capacity(BASE_WINDOW_CAP),
            interval: Histogram::new(params.max_us, params.forget, 2.0),
            // Per-packet jitter statistic: about the last 1000 packets.
            per_packet: Histogram::new(params.max_us, 0.999, 2.0),
            interval_start: None,
            interval_max: 0,
            target_cache: None,
        }
    }

    /// Forgets the arrival/timestamp mapping (a new stream), keeping the histograms: the
    /// network did not change because the sender restarted its timestamps.
    pub(crate) fn reset_base(&mut self) {
        self.base.clear();
    }

    /// The current mapping offset (the window minimum of arrival − media time), if any.
    pub(crate) fn base_us(&self) -> Option<i64> {
        self.base.front().map(|&(_, b)| b)
    }

    /// The relative delay a packet with this arrival and media time would have, without
    /// recording it.
    pub(crate) fn relative_delay(&self, arrival_us: i64, media_us: i64) -> Option<i64> {
        self.base_us().map(|b| arrival_us - media_us - b)
    }

    /// Records a packet; returns its relative delay in µs (≥ 0).
    pub(crate) fn update(&mut self, arrival_us: i64, media_us: i64) -> i64 {
        let b = arrival_us - media_us;
        while self
            .base
            .front()
            .is_some_and(|&(t, _)| t < arrival_us - BASE_WINDOW_US)
        {
            self.base.pop_front();
        }
        while self.base.back().is_some_and(|&(_, v)| v >= b) {
            self.base.pop_back();
        }
        if self.base.len() == BASE_WINDOW_CAP {
            self.base.pop_front();
        }
        self.base.push_back((arrival_us, b));
        let rel = (b - self.base_us().unwrap_or(b)).max(0);

        self.per_packet.add(rel);
        match self.interval_start {
            None => {
                self.interval_start = Some(arrival_us);
                self.interval_max = rel;
            }
            Some(start) if arrival_us >= start + self.params.resample_us => {
                self.interval.add(self.interval_max);
                self.target_cache = None;
                self.interval_start = Some(arrival_us);
                self.interval_max = rel;
            }
            Some(_) => self.interval_max = self.interval_max.max(rel),
        }
        rel
    }

    /// The delay the buffer should hold, in µs, before clamping to the configured range:
    /// the quantile of the per-interval maxima, or — until the first interval closes —
    /// the larger of `start_us` and the running maximum.
    pub(crate) fn target_us(&mut self, start_us: i64) -> i64 {
        if self.interval.is_empty() {
            return start_us.max(self.interval_max);
        }
        if let Some(t) = self.target_cache {
            return t;
        }
        let t = self.interval.quantile_us(self.params.quantile);
        self.target_cache = Some(t);
        t
    }

    /// 95th percentile of the per-packet relative delay (the network jitter), in µs.
    pub(crate) fn jitter_p95_us(&self) -> i64 {
        self.per_packet.quantile_us(0.95)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    fn params() -> DelayParams {
        DelayParams {
            quantile: 0.95,
            forget: 0.983,
            resample_us: 500_000,
            max_us: 1_000_000,
        }
    }

    #[test]
    fn histogram_quantile_of_uniform() {
        let mut h = Histogram::new(200_000, 0.9999, 2.0);
        let mut r = SplitMix64::new(1);
        for _ in 0..20_000 {
            h.add((r.next_f64() * 100_000.0) as i64);
        }
        let q = h.quantile_us(0.95);
        assert!((q - 95_000).abs() < 3_000, "{q}");
        let q = h.quantile_us(0.5);
        assert!((q - 50_000).abs() < 4_000, "{q}");
    }

    #[test]
    fn relative_delay_is_against_fastest_packet() {
        let mut d = DelayEstimator::new(params());
        // Packets every 20 ms of media time; the third is 30 ms late.
        assert_eq!(d.update(100_000, 0), 0);
        assert_eq!(d.update(120_000, 20_000), 0);
        assert_eq!(d.update(170_000, 40_000), 30_000);
        // A faster packet moves the base: later packets are measured against it.
        assert_eq!(d.update(175_000, 80_000), 0);
        assert_eq!(d.update(200_000, 100_000), 5_000);
    }

    #[test]
    fn target_tracks_quantile_of_interval_maxima() {
        // NetEQ-style: uniform 0..40 ms jitter, 20 ms packets: the per-500 ms maximum is
        // close to 40 ms, so the target ends up just under 40 ms and above the per-packet
        // p95 (38 ms).
        let mut d = DelayEstimator::new(params());
        let mut r = SplitMix64::new(9);
        for i in 0..3000i64 {
            let media = i * 20_000;
            let arrival = media + (r.next_f64() * 40_000.0) as i64;
            d.update(arrival, media);
        }
        let t = d.target_us(60_000);
        assert!((36_000..=42_000).contains(&t), "{t}");
        let p95 = d.jitter_p95_us();
        assert!((34_000..=40_000).contains(&p95), "{p95}");
    }
}

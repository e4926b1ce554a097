//! A seeded, sans-IO network emulator for media tests and benchmarks.
//!
//! [`Netem`] sits between a sender and a receiver that both live in virtual time. The
//! sender calls [`Netem::send`] with the time *on its own clock* and a packet of any
//! `Clone` type (RTP bytes, a parsed packet, an id); the receiver asks
//! [`Netem::poll`] (or [`Netem::deliver`]) for every packet due at or before `now`, and
//! [`Netem::next_due`] tells a driver loop the next deadline to jump to. Nothing reads a
//! clock and all randomness comes from [`NetemConfig::seed`], so a run is reproducible.
//!
//! Impairments, each independent and off by default:
//!
//! * constant one-way [`NetemConfig::base_delay`];
//! * [`Jitter`]: extra per-packet delay from a uniform, normal-ish (Irwin-Hall) or
//!   heavy-tailed (clipped Pareto) distribution;
//! * reordering ([`NetemConfig::reorder`]): with `false` the link is FIFO, a packet is
//!   never delivered before the one sent ahead of it (jitter then only bunches packets);
//! * [`Loss`]: Bernoulli (random) or Gilbert-Elliott bursty loss;
//! * duplication ([`NetemConfig::duplicate`]): the copy gets its own jitter;
//! * sender clock drift ([`NetemConfig::drift_ppm`]): the sender's clock runs fast
//!   (positive) or slow (negative) against the receiver's, so packets stamped 20 ms apart
//!   on the sender's clock are really `20 ms / (1 + ppm·1e-6)` apart.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use tipring_jitter::netem::{Jitter, Loss, Netem, NetemConfig};
//!
//! let cfg = NetemConfig {
//!     base_delay: Duration::from_millis(30),
//!     jitter: Jitter::Uniform { max: Duration::from_millis(40) },
//!     reorder: true,
//!     loss: Loss::Random { p: 0.01 },
//!     seed: 42,
//!     ..NetemConfig::default()
//! };
//! let mut net = Netem::new(cfg);
//! let t0 = Instant::now();
//! for i in 0..50u32 {
//!     net.send(t0 + Duration::from_millis(20 * u64::from(i)), i);
//! }
//! let mut got = 0;
//! while let Some(d) = net.poll(t0 + Duration::from_secs(2)) {
//!     assert!(d.network_delay >= Duration::from_millis(30));
//!     got += 1;
//! }
//! assert_eq!(got as u64, net.stats().delivered);
//! ```

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use crate::rng::SplitMix64;

/// Per-packet extra delay on top of [`NetemConfig::base_delay`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Jitter {
    /// No jitter: every packet takes exactly the base delay.
    None,
    /// Uniform in `[0, max]` (95th percentile = 0.95·max).
    Uniform {
        /// Largest extra delay.
        max: Duration,
    },
    /// Normal-ish (sum of four uniforms, Irwin-Hall) over `[0, max]`: mean `max/2`,
    /// standard deviation `max/√48`.
    Normal {
        /// Largest extra delay.
        max: Duration,
    },
    /// Heavy tail: a Pareto (shape 1.5) around `scale`, clipped at `max`: mostly a few
    /// ms, with rare spikes up to `max` (a congested access link or a Wi-Fi retry burst).
    HeavyTail {
        /// Scale of the Pareto distribution (about the median extra delay × 1.7).
        scale: Duration,
        /// Clip: the largest extra delay.
        max: Duration,
    },
}

/// Which packets the network loses.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Loss {
    /// Nothing is lost.
    None,
    /// Each packet is lost independently with probability `p` (Bernoulli).
    Random {
        /// Loss probability, 0..=1.
        p: f64,
    },
    /// Gilbert-Elliott two-state model: in state Good a packet is lost with
    /// `loss_in_good`, in Bad with `loss_in_bad`; after each packet the chain moves
    /// Good→Bad with probability `p` and Bad→Good with `r`. Mean loss =
    /// `(r·loss_in_good + p·loss_in_bad) / (p + r)`; mean Bad sojourn = `1/r` packets.
    GilbertElliott {
        /// P(Good → Bad) per packet.
        p: f64,
        /// P(Bad → Good) per packet.
        r: f64,
        /// Loss probability in the Bad state (1 − h in Gilbert-Elliott notation).
        loss_in_bad: f64,
        /// Loss probability in the Good state (1 − k).
        loss_in_good: f64,
    },
}

/// Emulator configuration; [`Default`] is a perfect link (no delay, no impairment).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetemConfig {
    /// Constant one-way delay.
    pub base_delay: Duration,
    /// Extra per-packet delay distribution.
    pub jitter: Jitter,
    /// Whether a packet may overtake one sent earlier (`false`: FIFO link).
    pub reorder: bool,
    /// Loss model.
    pub loss: Loss,
    /// Probability that a delivered packet is also delivered a second time.
    pub duplicate: f64,
    /// Sender clock error in parts per million (positive: the sender's clock runs fast).
    pub drift_ppm: f64,
    /// Seed of the emulator's PRNG.
    pub seed: u64,
}

impl Default for NetemConfig {
    fn default() -> Self {
        Self {
            base_delay: Duration::ZERO,
            jitter: Jitter::None,
            reorder: false,
            loss: Loss::None,
            duplicate: 0.0,
            drift_ppm: 0.0,
            seed: 0,
        }
    }
}

/// A packet coming out of the emulator.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery<T> {
    /// When it arrives at the receiver (receiver's clock).
    pub at: Instant,
    /// When it really left the sender, on the receiver's clock (drift applied).
    pub sent_at: Instant,
    /// `at - sent_at`: base delay + jitter (+ FIFO hold-back).
    pub network_delay: Duration,
    /// The packet as given to [`Netem::send`].
    pub packet: T,
}

/// Counters of an emulator run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetemStats {
    /// Packets given to [`Netem::send`].
    pub sent: u64,
    /// Packets the loss model dropped.
    pub lost: u64,
    /// Extra copies created by duplication.
    pub duplicated: u64,
    /// Packets handed out by [`Netem::poll`] (copies included).
    pub delivered: u64,
}

#[derive(Debug)]
struct InFlight<T> {
    due: Instant,
    order: u64,
    sent_at: Instant,
    packet: T,
}

impl<T> PartialEq for InFlight<T> {
    fn eq(&self, other: &Self) -> bool {
        self.due == other.due && self.order == other.order
    }
}
impl<T> Eq for InFlight<T> {}
impl<T> PartialOrd for InFlight<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for InFlight<T> {
    // Reversed: BinaryHeap is a max-heap, we want the earliest due first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.due, other.order).cmp(&(self.due, self.order))
    }
}

/// The emulator; see the [module docs](self).
#[derive(Debug)]
pub struct Netem<T> {
    cfg: NetemConfig,
    rng: SplitMix64,
    queue: BinaryHeap<InFlight<T>>,
    epoch: Option<Instant>,
    last_due: Option<Instant>,
    order: u64,
    bad_state: bool,
    stats: NetemStats,
}

impl<T: Clone> Netem<T> {
    /// A new emulator with an empty link.
    pub fn new(cfg: NetemConfig) -> Self {
        Self {
            cfg,
            rng: SplitMix64::new(cfg.seed ^ 0x6E65_7465_6D00_0001),
            queue: BinaryHeap::new(),
            epoch: None,
            last_due: None,
            order: 0,
            bad_state: false,
            stats: NetemStats::default(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &NetemConfig {
        &self.cfg
    }

    /// Sends `packet` at `at` on the *sender's* clock (the first call fixes the instant
    /// where both clocks agree). Returns how many copies will be delivered (0: lost,
    /// 2: duplicated).
    pub fn send(&mut self, at: Instant, packet: T) -> usize {
        self.stats.sent += 1;
        let epoch = *self.epoch.get_or_insert(at);
        let sent_at = match at.checked_duration_since(epoch) {
            Some(local) => {
                let scale = 1.0 / (1.0 + self.cfg.drift_ppm * 1e-6);
                epoch + local.mul_f64(scale.max(0.0))
            }
            None => at,
        };
        if self.lose() {
            self.stats.lost += 1;
            return 0;
        }
        let copies = if self.cfg.duplicate > 0.0 && self.rng.chance(self.cfg.duplicate) {
            self.stats.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let mut due = sent_at + self.cfg.base_delay + self.jitter();
            if !self.cfg.reorder {
                if let Some(last) = self.last_due {
                    due = due.max(last);
                }
            }
            self.last_due = Some(self.last_due.map_or(due, |l| l.max(due)));
            self.order += 1;
            self.queue.push(InFlight {
                due,
                order: self.order,
                sent_at,
                packet: packet.clone(),
            });
        }
        copies
    }

    /// The next packet due at or before `now`, earliest first (ties in send order).
    pub fn poll(&mut self, now: Instant) -> Option<Delivery<T>> {
        if self.queue.peek()?.due > now {
            return None;
        }
        let p = self.queue.pop()?;
        self.stats.delivered += 1;
        Some(Delivery {
            at: p.due,
            sent_at: p.sent_at,
            network_delay: p.due.saturating_duration_since(p.sent_at),
            packet: p.packet,
        })
    }

    /// Every packet due at or before `now` (allocates; [`Netem::poll`] does not).
    pub fn deliver(&mut self, now: Instant) -> Vec<Delivery<T>> {
        std::iter::from_fn(|| self.poll(now)).collect()
    }

    /// When the next packet arrives, if any is in flight.
    pub fn next_due(&self) -> Option<Instant> {
        self.queue.peek().map(|p| p.due)
    }

    /// Packets in flight.
    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }

    /// Counters so far.
    pub fn stats(&self) -> NetemStats {
        self.stats
    }

    fn lose(&mut self) -> bool {
        match self.cfg.loss {
            Loss::None => false,
            Loss::Random { p } => self.rng.chance(p),
            Loss::GilbertElliott {
                p,
                r,
                loss_in_bad,
                loss_in_good,
            } => {
                let lost = self.rng.chance(if self.bad_state {
                    loss_in_bad
                } else {
                    loss_in_good
                });
                self.bad_state = if self.bad_state {
                    !self.rng.chance(r)
                } else {
                    self.rng.chance(p)
                };
                lost
            }
        }
    }

    fn jitter(&mut self) -> Duration {
        match self.cfg.jitter {
            Jitter::None => Duration::ZERO,
            Jitter::Uniform { max } => max.mul_f64(self.rng.next_f64()),
            Jitter::Normal { max } => {
                let s: f64 = (0..4).map(|_| self.rng.next_f64()).sum();
                max.mul_f64(s / 4.0)
            }
            Jitter::HeavyTail { scale, max } => {
                // Pareto with shape 1.5, shifted to start at 0: scale·(u^(-1/1.5) − 1).
                let u = 1.0 - self.rng.next_f64(); // (0, 1]
                let x = u.powf(-1.0 / 1.5) - 1.0;
                let d = scale.as_secs_f64() * x;
                Duration::from_secs_f64(d.min(max.as_secs_f64()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)]
    fn epoch() -> Instant {
        Instant::now()
    }

    fn run(cfg: NetemConfig, n: u32) -> (Netem<u32>, Vec<Delivery<u32>>) {
        let t0 = epoch();
        let mut net = Netem::new(cfg);
        for i in 0..n {
            net.send(t0 + Duration::from_millis(20 * u64::from(i)), i);
        }
        let out = net.deliver(t0 + Duration::from_secs(3600));
        (net, out)
    }

    #[test]
    fn perfect_link_is_fifo_with_base_delay() {
        let cfg = NetemConfig {
            base_delay: Duration::from_millis(25),
            ..NetemConfig::default()
        };
        let (net, out) = run(cfg, 100);
        assert_eq!(out.len(), 100);
        for (i, d) in out.iter().enumerate() {
            assert_eq!(d.packet, i as u32);
            assert_eq!(d.network_delay, Duration::from_millis(25));
        }
        assert_eq!(net.stats().delivered, 100);
        assert_eq!(net.in_flight(), 0);
    }

    #[test]
    fn uniform_jitter_range_and_reordering() {
        let cfg = NetemConfig {
            base_delay: Duration::from_millis(10),
            jitter: Jitter::Uniform {
                max: Duration::from_millis(60),
            },
            reorder: true,
            seed: 3,
            ..NetemConfig::default()
        };
        let (_, out) = run(cfg, 2000);
        let mut reordered = 0;
        for w in out.windows(2) {
            if w[1].packet < w[0].packet {
                reordered += 1;
            }
        }
        assert!(
            reordered > 100,
            "60 ms jitter at 20 ms spacing reorders: {reordered}"
        );
        let mut d: Vec<f64> = out
            .iter()
            .map(|d| d.network_delay.as_secs_f64() * 1e3 - 10.0)
            .collect();
        d.sort_by(f64::total_cmp);
        assert!(d[0] >= 0.0 && d[d.len() - 1] <= 60.0);
        let p95 = d[d.len() * 95 / 100];
        assert!((p95 - 57.0).abs() < 2.5, "p95 {p95}");
    }

    #[test]
    fn fifo_never_reorders() {
        for jitter in [
            Jitter::Uniform {
                max: Duration::from_millis(60),
            },
            Jitter::Normal {
                max: Duration::from_millis(60),
            },
            Jitter::HeavyTail {
                scale: Duration::from_millis(5),
                max: Duration::from_millis(200),
            },
        ] {
            let cfg = NetemConfig {
                jitter,
                reorder: false,
                seed: 9,
                ..NetemConfig::default()
            };
            let (_, out) = run(cfg, 1000);
            assert!(out.windows(2).all(|w| w[0].packet < w[1].packet));
        }
    }

    #[test]
    fn bernoulli_loss_rate() {
        let cfg = NetemConfig {
            loss: Loss::Random { p: 0.05 },
            seed: 11,
            ..NetemConfig::default()
        };
        let (net, out) = run(cfg, 20_000);
        let rate = net.stats().lost as f64 / 20_000.0;
        assert!((rate - 0.05).abs() < 0.006, "{rate}");
        assert_eq!(out.len() as u64 + net.stats().lost, 20_000);
    }

    #[test]
    fn gilbert_elliott_mean_loss_and_burstiness() {
        // p = 0.01, r = 0.25, loss in Bad 1.0, in Good 0: mean loss p/(p+r) = 3.85 %,
        // mean burst length 1/r = 4 packets.
        let cfg = NetemConfig {
            loss: Loss::GilbertElliott {
                p: 0.01,
                r: 0.25,
                loss_in_bad: 1.0,
                loss_in_good: 0.0,
            },
            seed: 5,
            ..NetemConfig::default()
        };
        let (net, out) = run(cfg, 50_000);
        let rate = net.stats().lost as f64 / 50_000.0;
        assert!((rate - 0.0385).abs() < 0.008, "{rate}");
        // Count bursts: gaps in the delivered sequence.
        let mut bursts = 0u64;
        let mut prev = None;
        for d in &out {
            if let Some(p) = prev {
                if d.packet != p + 1 {
                    bursts += 1;
                }
            }
            prev = Some(d.packet);
        }
        let mean_burst = net.stats().lost as f64 / bursts as f64;
        assert!((mean_burst - 4.0).abs() < 0.8, "{mean_burst}");
    }

    #[test]
    fn duplication_delivers_copies() {
        let cfg = NetemConfig {
            duplicate: 0.1,
            seed: 1,
            ..NetemConfig::default()
        };
        let (net, out) = run(cfg, 5000);
        assert_eq!(out.len() as u64, 5000 + net.stats().duplicated);
        let d = net.stats().duplicated as f64 / 5000.0;
        assert!((d - 0.1).abs() < 0.02, "{d}");
    }

    #[test]
    fn drift_compresses_the_sender_timeline() {
        let cfg = NetemConfig {
            drift_ppm: 1000.0,
            ..NetemConfig::default()
        };
        let (_, out) = run(cfg, 501); // 10 s on the sender's clock
        let span = out[500].at - out[0].at;
        // 10 s / 1.001 = 9.99001 s.
        let err = (span.as_secs_f64() - 10.0 / 1.001).abs();
        assert!(err < 1e-6, "{span:?}");
    }

    #[test]
    fn same_seed_same_run_and_next_due() {
        let cfg = NetemConfig {
            jitter: Jitter::HeavyTail {
                scale: Duration::from_millis(4),
                max: Duration::from_millis(300),
            },
            reorder: true,
            loss: Loss::Random { p: 0.1 },
            seed: 77,
            ..NetemConfig::default()
        };
        let (_, a) = run(cfg, 300);
        let (_, b) = run(cfg, 300);
        let ka: Vec<_> = a.iter().map(|d| (d.packet, d.network_delay)).collect();
        let kb: Vec<_> = b.iter().map(|d| (d.packet, d.network_delay)).collect();
        assert_eq!(ka, kb);
        assert!(a
            .iter()
            .all(|d| d.network_delay <= Duration::from_millis(300)));

        let t0 = epoch();
        let mut net = Netem::new(NetemConfig {
            base_delay: Duration::from_millis(7),
            ..NetemConfig::default()
        });
        net.send(t0, 1u8);
        assert_eq!(net.next_due(), Some(t0 + Duration::from_millis(7)));
        assert!(net.poll(t0 + Duration::from_millis(6)).is_none());
        assert_eq!(
            net.poll(t0 + Duration::from_millis(7)).map(|d| d.packet),
            Some(1)
        );
    }
}

//! Per-source reception statistics (RFC 3550 Appendix A.1, A.3, A.8; §6.4.1).
//!
//! ```
//! use tipring_rtp::stats::{ReceiverStats, SeqUpdate};
//! let mut s = ReceiverStats::new(1000, 2);
//! assert_eq!(s.update_seq(1000), SeqUpdate::Probation); // first packet: on probation
//! assert!(matches!(s.update_seq(1001), SeqUpdate::Valid { .. }));
//! assert_eq!(s.expected(), 1);
//! ```

use std::time::{Duration, Instant};

use crate::ntp::{duration_to_short, short_to_duration, NtpTime};
use crate::rtcp::{ReportBlock, CUMULATIVE_LOST_MAX, CUMULATIVE_LOST_MIN};

/// Packets in sequence before a source is valid (A.1).
pub const MIN_SEQUENTIAL: u32 = 2;
/// Largest forward jump taken as loss rather than a restart (A.1).
pub const MAX_DROPOUT: u16 = 3000;
/// Largest backward step taken as reordering rather than a restart (A.1).
pub const MAX_MISORDER: u16 = 100;
const RTP_SEQ_MOD: u32 = 1 << 16;

/// What [`ReceiverStats::update_seq`] made of a sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqUpdate {
    /// The source is still on probation; the packet is not valid yet.
    Probation,
    /// In order (possibly after a gap of lost packets).
    Valid {
        /// Extended sequence number (cycles × 65536 + seq).
        extended: u32,
    },
    /// A duplicate or reordered packet within MAX_MISORDER (counted as received, A.1).
    Late {
        /// Its extended sequence number.
        extended: u32,
    },
    /// A jump too large; dropped unless the next packet confirms a restart.
    BadJump,
    /// Two sequential packets after a big jump: the sender restarted; statistics reset.
    Restarted {
        /// Extended sequence number after the restart.
        extended: u32,
    },
}

/// Reception state of one source.
#[derive(Debug, Clone)]
pub struct ReceiverStats {
    max_seq: u16,
    cycles: u32,
    base_seq: u32,
    bad_seq: u32,
    probation: u32,
    min_sequential: u32,
    received: u32,
    expected_prior: u32,
    received_prior: u32,
    transit: Option<u32>,
    jitter_q4: u32,
    last_sr: Option<(u32, Instant)>,
    received_since_report: bool,
}

impl ReceiverStats {
    /// A source first seen with `seq`, on probation for `min_sequential` packets
    /// (A.1 `init_seq` with `max_seq = seq - 1`).
    pub fn new(seq: u16, min_sequential: u32) -> Self {
        let mut s = Self {
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: 0,
            probation: min_sequential,
            min_sequential,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            transit: None,
            jitter_q4: 0,
            last_sr: None,
            received_since_report: false,
        };
        s.init_seq(seq);
        s.max_seq = seq.wrapping_sub(1);
        s
    }

    fn init_seq(&mut self, seq: u16) {
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = RTP_SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
    }

    /// Still on probation.
    pub fn on_probation(&self) -> bool {
        self.probation > 0
    }

    /// A.1 `update_seq`.
    pub fn update_seq(&mut self, seq: u16) -> SeqUpdate {
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init_seq(seq);
                    self.count_received();
                    return SeqUpdate::Valid {
                        extended: self.extended_max(),
                    };
                }
            } else {
                self.probation = self.min_sequential.saturating_sub(1);
                self.max_seq = seq;
            }
            return SeqUpdate::Probation;
        }
        if udelta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(RTP_SEQ_MOD);
            }
            self.max_seq = seq;
            self.count_received();
            SeqUpdate::Valid {
                extended: self.extended_max(),
            }
        } else if u32::from(udelta) <= RTP_SEQ_MOD - u32::from(MAX_MISORDER) {
            if u32::from(seq) == self.bad_seq {
                // Two sequential packets: assume the other side restarted without
                // telling us; re-sync (A.1).
                self.init_seq(seq);
                self.transit = None;
                self.count_received();
                SeqUpdate::Restarted {
                    extended: self.extended_max(),
                }
            } else {
                self.bad_seq = (u32::from(seq) + 1) & (RTP_SEQ_MOD - 1);
                SeqUpdate::BadJump
            }
        } else {
            // Duplicate or reordered packet.
            self.count_received();
            let back = u32::from(self.max_seq.wrapping_sub(seq));
            SeqUpdate::Late {
                extended: self.extended_max().wrapping_sub(back),
            }
        }
    }

    fn count_received(&mut self) {
        self.received = self.received.wrapping_add(1);
        self.received_since_report = true;
    }

    /// A.8 interarrival jitter: `arrival` is the arrival time in timestamp units (any
    /// fixed origin), `rtp_timestamp` the packet's timestamp.
    pub fn update_jitter(&mut self, arrival: u32, rtp_timestamp: u32) {
        let transit = arrival.wrapping_sub(rtp_timestamp);
        if let Some(prev) = self.transit {
            let d = (transit.wrapping_sub(prev) as i32).unsigned_abs();
            // J += (|D| - J) / 16, kept scaled by 16 (A.8's integer form).
            self.jitter_q4 = self
                .jitter_q4
                .wrapping_add(d)
                .wrapping_sub((self.jitter_q4 + 8) >> 4);
        }
        self.transit = Some(transit);
    }

    /// Interarrival jitter in timestamp units.
    pub fn jitter(&self) -> u32 {
        self.jitter_q4 >> 4
    }

    /// Extended highest sequence number received.
    pub fn extended_max(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    /// Packets expected (A.3).
    pub fn expected(&self) -> u32 {
        self.extended_max()
            .wrapping_sub(self.base_seq)
            .wrapping_add(1)
    }

    /// Packets received (duplicates included, as in A.1).
    pub fn received(&self) -> u32 {
        self.received
    }

    /// Cumulative lost (may be negative with duplicates), not yet clamped.
    pub fn lost(&self) -> i64 {
        i64::from(self.expected()) - i64::from(self.received)
    }

    /// Note an SR from this source: its NTP time and when it arrived (§6.4.1 LSR/DLSR).
    pub fn on_sender_report(&mut self, ntp: NtpTime, arrival: Instant) {
        self.last_sr = Some((ntp.middle32(), arrival));
    }

    /// Whether packets arrived since the last [`ReceiverStats::report_block`].
    pub fn received_since_report(&self) -> bool {
        self.received_since_report
    }

    /// A report block for `ssrc` as of `now` (A.3), starting a new reporting interval.
    pub fn report_block(&mut self, ssrc: u32, now: Instant) -> ReportBlock {
        let expected = self.expected();
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        self.expected_prior = expected;
        let received_interval = self.received.wrapping_sub(self.received_prior);
        self.received_prior = self.received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        };
        self.received_since_report = false;
        let (last_sr, delay_since_last_sr) = match self.last_sr {
            Some((lsr, at)) => (lsr, duration_to_short(now.saturating_duration_since(at))),
            None => (0, 0),
        };
        ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost: self.lost().clamp(
                i64::from(CUMULATIVE_LOST_MIN),
                i64::from(CUMULATIVE_LOST_MAX),
            ) as i32,
            extended_highest_seq: self.extended_max(),
            jitter: self.jitter(),
            last_sr,
            delay_since_last_sr,
        }
    }
}

/// Round-trip time from a report block about us (RFC 3550 §6.4.1): `arrival` is the
/// middle 32 bits of our NTP clock when the block arrived. `None` without an SR
/// reference (LSR 0) or when the result would be negative.
pub fn round_trip_time(arrival: u32, last_sr: u32, delay_since_last_sr: u32) -> Option<Duration> {
    if last_sr == 0 {
        return None;
    }
    let rtt = arrival
        .wrapping_sub(last_sr)
        .wrapping_sub(delay_since_last_sr);
    // A "negative" RTT (clock skew, bogus values) shows as a huge number.
    (rtt < 0x8000_0000).then(|| short_to_duration(rtt))
}

/// A duration in RTP timestamp units at `clock_rate` Hz (wrapping at 2^32).
pub fn to_rtp_units(d: Duration, clock_rate: u32) -> u32 {
    ((d.as_nanos() * u128::from(clock_rate)) / 1_000_000_000) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)]
    fn epoch() -> Instant {
        Instant::now()
    }

    fn validated(seq: u16) -> ReceiverStats {
        let mut s = ReceiverStats::new(seq, MIN_SEQUENTIAL);
        assert_eq!(s.update_seq(seq), SeqUpdate::Probation);
        assert!(matches!(
            s.update_seq(seq.wrapping_add(1)),
            SeqUpdate::Valid { .. }
        ));
        s
    }

    #[test]
    fn probation_requires_min_sequential_in_order() {
        // RFC 3550 A.1: a source is valid after MIN_SEQUENTIAL consecutive packets; an
        // out-of-order one restarts the probation.
        let mut s = ReceiverStats::new(10, MIN_SEQUENTIAL);
        assert_eq!(s.update_seq(10), SeqUpdate::Probation);
        assert_eq!(s.update_seq(50), SeqUpdate::Probation);
        assert!(s.on_probation());
        assert_eq!(s.update_seq(51), SeqUpdate::Valid { extended: 51 });
        assert!(!s.on_probation());
        assert_eq!(s.expected(), 1);
        assert_eq!(s.received(), 1);
    }

    #[test]
    fn wrap_gives_cycles() {
        // A.1: the sequence number wraps; the extended counter carries the cycles.
        let mut s = validated(65534);
        assert_eq!(s.update_seq(0), SeqUpdate::Valid { extended: 65536 });
        assert_eq!(s.update_seq(1), SeqUpdate::Valid { extended: 65537 });
        assert_eq!(s.expected(), 3);
        assert_eq!(s.lost(), 0);
        // A late packet from before the wrap keeps its own cycle.
        assert_eq!(s.update_seq(65535), SeqUpdate::Late { extended: 65535 });
    }

    #[test]
    fn loss_reorder_duplicate() {
        let mut s = validated(100);
        assert!(matches!(
            s.update_seq(104),
            SeqUpdate::Valid { extended: 104 }
        ));
        assert_eq!(s.lost(), 2); // 101..=104 expected, 102 and 103 missing
        assert_eq!(s.update_seq(102), SeqUpdate::Late { extended: 102 });
        assert_eq!(s.lost(), 1);
        // A duplicate counts as received and may drive loss negative (A.3 note).
        s.update_seq(104);
        s.update_seq(104);
        s.update_seq(104);
        assert_eq!(s.lost(), -2);
        let rb = s.report_block(1, epoch());
        assert_eq!(rb.cumulative_lost, -2);
        assert_eq!(rb.fraction_lost, 0);
    }

    #[test]
    fn big_jump_needs_confirmation() {
        // A.1: a jump beyond MAX_DROPOUT is dropped unless the next packet follows it.
        let mut s = validated(1000);
        assert_eq!(s.update_seq(30_000), SeqUpdate::BadJump);
        assert_eq!(s.update_seq(1002), SeqUpdate::Valid { extended: 1002 });
        assert_eq!(s.update_seq(40_000), SeqUpdate::BadJump);
        assert_eq!(
            s.update_seq(40_001),
            SeqUpdate::Restarted { extended: 40_001 }
        );
        assert_eq!(s.expected(), 1);
        assert_eq!(s.update_seq(40_002), SeqUpdate::Valid { extended: 40_002 });
        // Backward beyond MAX_MISORDER is a jump too.
        assert_eq!(s.update_seq(40_002 - 200), SeqUpdate::BadJump);
        assert_eq!(
            s.update_seq(40_002 - 50),
            SeqUpdate::Late { extended: 39_952 }
        );
    }

    #[test]
    fn fraction_lost_per_interval_a3() {
        // A.3: fraction = lost in interval * 256 / expected in interval.
        let now = epoch();
        let mut s = validated(0);
        for seq in 2..=101u16 {
            if seq % 4 != 0 {
                s.update_seq(seq);
            }
        }
        // Expected 101 (1..=101; packet 0 was the probation one), lost 25 (4, 8 .. 100).
        let rb = s.report_block(9, now);
        assert_eq!(rb.extended_highest_seq, 101);
        assert_eq!(rb.cumulative_lost, 25);
        assert_eq!(rb.fraction_lost, (25 * 256 / 101) as u8);
        for seq in 102..=201u16 {
            s.update_seq(seq);
        }
        let rb = s.report_block(9, now);
        assert_eq!(rb.fraction_lost, 0);
        assert_eq!(rb.cumulative_lost, 25);
    }

    #[test]
    fn jitter_a8_converges_to_mean_deviation() {
        // A.8: with the transit time alternating between two values 40 units apart,
        // |D| = 40 for every packet and J converges to 40.
        let mut s = validated(0);
        let mut ts = 0u32;
        for i in 0..2000u32 {
            let wobble = if i % 2 == 0 { 0 } else { 40 };
            s.update_jitter(ts.wrapping_add(1000 + wobble), ts);
            ts = ts.wrapping_add(160);
        }
        assert!((s.jitter() as i64 - 40).abs() <= 1, "{}", s.jitter());
        // Constant transit => jitter decays to 0.
        for _ in 0..2000 {
            s.update_jitter(ts.wrapping_add(5000), ts);
            ts = ts.wrapping_add(160);
        }
        assert_eq!(s.jitter(), 0);
    }

    #[test]
    fn lsr_dlsr_and_rtt() {
        // §6.4.1 example: SR sent at ...; the figure's values: LSR 0xb705:2000,
        // DLSR 0x0005:4000 (5.25 s), A = 0xb710:8000 => RTT 0x0006:2000 = 6.125 s.
        let rtt = round_trip_time(0xB710_8000, 0xB705_2000, 0x0005_4000).unwrap();
        assert_eq!(rtt, Duration::from_millis(6125));
        assert_eq!(round_trip_time(5, 0, 0), None);
        assert_eq!(round_trip_time(0x1000, 0x2000, 0), None);
        let now = epoch();
        let mut s = validated(0);
        s.on_sender_report(NtpTime::new(0x0001_B705, 0x2000_0000), now);
        let rb = s.report_block(1, now + Duration::from_millis(5250));
        assert_eq!(rb.last_sr, 0xB705_2000);
        assert_eq!(rb.delay_since_last_sr, 0x0005_4000);
        assert_eq!(to_rtp_units(Duration::from_millis(20), 8000), 160);
    }
}

//! RTCP XR (RFC 3611) report blocks this crate produces and reads: VoIP Metrics (BT=7,
//! §4.7) with its collector, and Statistics Summary (BT=6, §4.6). Receiver Reference
//! Time and DLRR live in [`crate::rtcp`].
//!
//! The [`VoipMetricsCollector`] is fed, in sequence order, with what happened to every
//! packet (received and played, lost in the network, discarded late/early by the jitter
//! buffer — the jitter buffer knows that, the session does not), plus delays and levels;
//! it keeps the Gilbert burst/gap model of §4.7.2 and rates the call with the E-model
//! ([`crate::emodel`]).
//!
//! ```
//! use tipring_rtp::emodel::EModelCodec;
//! use tipring_rtp::xr::{PacketOutcome, VoipMetricsCollector, VoipMetricsConfig};
//! use std::time::Duration;
//!
//! let mut c = VoipMetricsCollector::new(VoipMetricsConfig {
//!     codec: EModelCodec::G711 { plc: true },
//!     ..VoipMetricsConfig::default()
//! });
//! for i in 0..1000 {
//!     c.record(if i % 100 == 7 { PacketOutcome::Lost } else { PacketOutcome::Received });
//! }
//! c.set_round_trip_delay(Duration::from_millis(80));
//! let m = c.metrics(0x1234);
//! assert_eq!(m.loss_rate, 2); // 1 % of 256, truncated
//! assert!(m.mos_cq().unwrap() > 4.0);
//! ```

use std::time::Duration;

use crate::emodel::{burst_ratio, EModelCodec, EModelParams, EModelRating};
use crate::rtcp::{be16, be32};

/// The "unavailable" value of the 8-bit XR VoIP metrics (RFC 3611 §4.7.4–4.7.5).
pub const UNAVAILABLE: u8 = 127;

/// Packet loss concealment in use (RFC 3611 §4.7.6, RX config PLC bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Plc {
    /// 00: unspecified.
    #[default]
    Unspecified,
    /// 01: disabled.
    Disabled,
    /// 10: enhanced (e.g. G.711 Appendix I).
    Enhanced,
    /// 11: standard (the codec's own).
    Standard,
}

/// Jitter buffer adaptivity (RFC 3611 §4.7.6, RX config JBA bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JitterBufferAdaptivity {
    /// 00: unknown.
    #[default]
    Unknown,
    /// 01: reserved value.
    Reserved,
    /// 10: non-adaptive.
    NonAdaptive,
    /// 11: adaptive.
    Adaptive,
}

/// The RX config byte (RFC 3611 §4.7.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RxConfig {
    /// PLC.
    pub plc: Plc,
    /// Jitter buffer adaptivity.
    pub jba: JitterBufferAdaptivity,
    /// Jitter buffer adjustment rate (0..=15).
    pub jb_rate: u8,
}

impl RxConfig {
    /// The wire byte.
    pub fn to_byte(self) -> u8 {
        let plc = match self.plc {
            Plc::Unspecified => 0,
            Plc::Disabled => 1,
            Plc::Enhanced => 2,
            Plc::Standard => 3,
        };
        let jba = match self.jba {
            JitterBufferAdaptivity::Unknown => 0,
            JitterBufferAdaptivity::Reserved => 1,
            JitterBufferAdaptivity::NonAdaptive => 2,
            JitterBufferAdaptivity::Adaptive => 3,
        };
        (plc << 6) | (jba << 4) | (self.jb_rate & 0x0F)
    }

    /// From the wire byte.
    pub fn from_byte(b: u8) -> Self {
        Self {
            plc: [
                Plc::Unspecified,
                Plc::Disabled,
                Plc::Enhanced,
                Plc::Standard,
            ][usize::from(b >> 6)],
            jba: [
                JitterBufferAdaptivity::Unknown,
                JitterBufferAdaptivity::Reserved,
                JitterBufferAdaptivity::NonAdaptive,
                JitterBufferAdaptivity::Adaptive,
            ][usize::from((b >> 4) & 3)],
            jb_rate: b & 0x0F,
        }
    }
}

/// The VoIP Metrics report block (RFC 3611 §4.7), field by field as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoipMetrics {
    /// Source the metrics describe.
    pub ssrc: u32,
    /// Lost packets / expected, in 1/256.
    pub loss_rate: u8,
    /// Discarded packets / expected, in 1/256.
    pub discard_rate: u8,
    /// Fraction of packets in bursts lost or discarded, 1/256.
    pub burst_density: u8,
    /// Fraction of packets in gaps lost or discarded, 1/256.
    pub gap_density: u8,
    /// Mean burst duration, ms.
    pub burst_duration: u16,
    /// Mean gap duration, ms.
    pub gap_duration: u16,
    /// Most recent round-trip delay, ms (0 = unknown).
    pub round_trip_delay: u16,
    /// End-system delay (jitter buffer, codec, packetisation), ms (0 = unknown).
    pub end_system_delay: u16,
    /// Speech signal level, dBm0 (127 = unavailable).
    pub signal_level: i8,
    /// Silent-period noise level, dBm0 (127 = unavailable).
    pub noise_level: i8,
    /// Residual echo return loss, dB (127 = unavailable).
    pub rerl: u8,
    /// The Gmin used for the burst/gap model.
    pub gmin: u8,
    /// R factor, 0..=100 (127 = unavailable).
    pub r_factor: u8,
    /// External R factor (127 = unavailable).
    pub ext_r_factor: u8,
    /// MOS-LQ × 10 (127 = unavailable).
    pub mos_lq: u8,
    /// MOS-CQ × 10 (127 = unavailable).
    pub mos_cq: u8,
    /// Receiver configuration.
    pub rx_config: RxConfig,
    /// Jitter buffer nominal delay, ms.
    pub jb_nominal: u16,
    /// Jitter buffer maximum delay, ms.
    pub jb_maximum: u16,
    /// Jitter buffer absolute maximum, ms.
    pub jb_abs_max: u16,
}

impl VoipMetrics {
    /// Read the 32 bytes after the block header.
    pub(crate) fn read(b: &[u8]) -> Self {
        Self {
            ssrc: be32(b, 0),
            loss_rate: b[4],
            discard_rate: b[5],
            burst_density: b[6],
            gap_density: b[7],
            burst_duration: be16(b, 8),
            gap_duration: be16(b, 10),
            round_trip_delay: be16(b, 12),
            end_system_delay: be16(b, 14),
            signal_level: b[16] as i8,
            noise_level: b[17] as i8,
            rerl: b[18],
            gmin: b[19],
            r_factor: b[20],
            ext_r_factor: b[21],
            mos_lq: b[22],
            mos_cq: b[23],
            rx_config: RxConfig::from_byte(b[24]),
            // b[25] reserved: ignored on reception.
            jb_nominal: be16(b, 26),
            jb_maximum: be16(b, 28),
            jb_abs_max: be16(b, 30),
        }
    }

    /// Write the 32 bytes after the block header.
    pub(crate) fn write(&self, b: &mut [u8]) {
        b[0..4].copy_from_slice(&self.ssrc.to_be_bytes());
        b[4] = self.loss_rate;
        b[5] = self.discard_rate;
        b[6] = self.burst_density;
        b[7] = self.gap_density;
        b[8..10].copy_from_slice(&self.burst_duration.to_be_bytes());
        b[10..12].copy_from_slice(&self.gap_duration.to_be_bytes());
        b[12..14].copy_from_slice(&self.round_trip_delay.to_be_bytes());
        b[14..16].copy_from_slice(&self.end_system_delay.to_be_bytes());
        b[16] = self.signal_level as u8;
        b[17] = self.noise_level as u8;
        b[18] = self.rerl;
        b[19] = self.gmin;
        b[20] = self.r_factor;
        b[21] = self.ext_r_factor;
        b[22] = self.mos_lq;
        b[23] = self.mos_cq;
        b[24] = self.rx_config.to_byte();
        b[25] = 0;
        b[26..28].copy_from_slice(&self.jb_nominal.to_be_bytes());
        b[28..30].copy_from_slice(&self.jb_maximum.to_be_bytes());
        b[30..32].copy_from_slice(&self.jb_abs_max.to_be_bytes());
    }

    /// R factor, if available.
    pub fn r(&self) -> Option<u8> {
        (self.r_factor <= 100).then_some(self.r_factor)
    }

    /// MOS-LQ, if available.
    pub fn mos_lq(&self) -> Option<f64> {
        (self.mos_lq != UNAVAILABLE).then(|| f64::from(self.mos_lq) / 10.0)
    }

    /// MOS-CQ, if available.
    pub fn mos_cq(&self) -> Option<f64> {
        (self.mos_cq != UNAVAILABLE).then(|| f64::from(self.mos_cq) / 10.0)
    }

    /// Loss rate as a fraction.
    pub fn loss_fraction(&self) -> f64 {
        f64::from(self.loss_rate) / 256.0
    }
}

/// The Statistics Summary report block (RFC 3611 §4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatisticsSummary {
    /// Type-specific byte: L (0x80), D (0x40), J (0x20) flags and ToH (bits 4–3).
    pub flags: u8,
    /// Source.
    pub ssrc: u32,
    /// First sequence number of the interval.
    pub begin_seq: u16,
    /// Last sequence number + 1.
    pub end_seq: u16,
    /// Lost packets.
    pub lost_packets: u32,
    /// Duplicated packets.
    pub dup_packets: u32,
    /// Minimum jitter (timestamp units).
    pub min_jitter: u32,
    /// Maximum jitter.
    pub max_jitter: u32,
    /// Mean jitter.
    pub mean_jitter: u32,
    /// Standard deviation of jitter.
    pub dev_jitter: u32,
    /// Minimum TTL or hop limit.
    pub min_ttl: u8,
    /// Maximum TTL or hop limit.
    pub max_ttl: u8,
    /// Mean TTL or hop limit.
    pub mean_ttl: u8,
    /// Deviation of TTL or hop limit.
    pub dev_ttl: u8,
}

impl StatisticsSummary {
    pub(crate) fn read(flags: u8, b: &[u8]) -> Self {
        Self {
            flags,
            ssrc: be32(b, 0),
            begin_seq: be16(b, 4),
            end_seq: be16(b, 6),
            lost_packets: be32(b, 8),
            dup_packets: be32(b, 12),
            min_jitter: be32(b, 16),
            max_jitter: be32(b, 20),
            mean_jitter: be32(b, 24),
            dev_jitter: be32(b, 28),
            min_ttl: b[32],
            max_ttl: b[33],
            mean_ttl: b[34],
            dev_ttl: b[35],
        }
    }

    pub(crate) fn write(&self, b: &mut [u8]) {
        b[0..4].copy_from_slice(&self.ssrc.to_be_bytes());
        b[4..6].copy_from_slice(&self.begin_seq.to_be_bytes());
        b[6..8].copy_from_slice(&self.end_seq.to_be_bytes());
        for (i, v) in [
            self.lost_packets,
            self.dup_packets,
            self.min_jitter,
            self.max_jitter,
            self.mean_jitter,
            self.dev_jitter,
        ]
        .iter()
        .enumerate()
        {
            b[8 + 4 * i..12 + 4 * i].copy_from_slice(&v.to_be_bytes());
        }
        b[32] = self.min_ttl;
        b[33] = self.max_ttl;
        b[34] = self.mean_ttl;
        b[35] = self.dev_ttl;
    }
}

/// What became of one packet, in sequence order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketOutcome {
    /// Arrived in time and played.
    Received,
    /// Never arrived.
    Lost,
    /// Arrived too late or too early and was thrown away by the jitter buffer.
    Discarded,
}

/// Configuration of a [`VoipMetricsCollector`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VoipMetricsConfig {
    /// Gmin of the burst/gap model (RFC 3611 §4.7.2 recommends 16).
    pub gmin: u8,
    /// Audio per packet (ptime), for the burst and gap durations.
    pub packet_duration: Duration,
    /// The codec, for Ie and Bpl.
    pub codec: EModelCodec,
    /// RX config to report.
    pub rx_config: RxConfig,
    /// Talker echo loudness rating to rate with (G.107 default 65 dB).
    pub telr: f64,
}

impl Default for VoipMetricsConfig {
    fn default() -> Self {
        Self {
            gmin: 16,
            packet_duration: Duration::from_millis(20),
            codec: EModelCodec::G711 { plc: true },
            rx_config: RxConfig {
                plc: Plc::Enhanced,
                jba: JitterBufferAdaptivity::Adaptive,
                jb_rate: 0,
            },
            telr: 65.0,
        }
    }
}

/// Collects the VoIP metrics of one received stream (RFC 3611 §4.7).
#[derive(Debug, Clone)]
pub struct VoipMetricsCollector {
    cfg: VoipMetricsConfig,
    received: u64,
    lost: u64,
    discarded: u64,
    // Burst/gap model (§4.7.2): a burst is a run that starts and ends with a loss or
    // discard, holds fewer than Gmin consecutive received packets anywhere, and has at
    // least two losses; everything else is gap.
    run: u64,
    pending: Option<(u64, u64)>, // (packets, losses) of the burst candidate
    bursts: u64,
    burst_pkts: u64,
    burst_losses: u64,
    gap_pkts: u64,
    gap_losses: u64,
    // Two-state Markov chain of good/bad packets for BurstR (G.107 §7.5).
    prev_bad: Option<bool>,
    good_from: u64,
    good_to_bad: u64,
    bad_from: u64,
    bad_to_good: u64,
    rtt: Option<Duration>,
    end_system: Option<Duration>,
    signal: Option<i8>,
    noise: Option<i8>,
    rerl: Option<u8>,
    jb: (u16, u16, u16),
}

fn ms16(d: Duration) -> u16 {
    u16::try_from(d.as_millis()).unwrap_or(u16::MAX)
}

fn ratio256(num: u64, den: u64) -> u8 {
    (num * 256)
        .checked_div(den)
        .map_or(0, |v| u8::try_from(v).unwrap_or(255))
}

impl VoipMetricsCollector {
    /// A collector with `cfg`.
    pub fn new(cfg: VoipMetricsConfig) -> Self {
        Self {
            cfg,
            received: 0,
            lost: 0,
            discarded: 0,
            run: 0,
            pending: None,
            bursts: 0,
            burst_pkts: 0,
            burst_losses: 0,
            gap_pkts: 0,
            gap_losses: 0,
            prev_bad: None,
            good_from: 0,
            good_to_bad: 0,
            bad_from: 0,
            bad_to_good: 0,
            rtt: None,
            end_system: None,
            signal: None,
            noise: None,
            rerl: None,
            jb: (0, 0, 0),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &VoipMetricsConfig {
        &self.cfg
    }

    /// Change the codec (after a re-INVITE).
    pub fn set_codec(&mut self, codec: EModelCodec) {
        self.cfg.codec = codec;
    }

    /// Record the next packet's fate (call in sequence order).
    pub fn record(&mut self, outcome: PacketOutcome) {
        let bad = match outcome {
            PacketOutcome::Received => {
                self.received += 1;
                false
            }
            PacketOutcome::Lost => {
                self.lost += 1;
                true
            }
            PacketOutcome::Discarded => {
                self.discarded += 1;
                true
            }
        };
        if let Some(prev) = self.prev_bad {
            if prev {
                self.bad_from += 1;
                self.bad_to_good += u64::from(!bad);
            } else {
                self.good_from += 1;
                self.good_to_bad += u64::from(bad);
            }
        }
        self.prev_bad = Some(bad);
        if !bad {
            self.run += 1;
            return;
        }
        let gmin = u64::from(self.cfg.gmin.max(1));
        match self.pending {
            Some((pkts, losses)) if self.run < gmin => {
                self.pending = Some((pkts + self.run + 1, losses + 1));
            }
            _ => {
                let (bursts, bp, bl, gp, gl) = self.closed_with_pending();
                (
                    self.bursts,
                    self.burst_pkts,
                    self.burst_losses,
                    self.gap_pkts,
                    self.gap_losses,
                ) = (bursts, bp, bl, gp, gl);
                self.pending = Some((1, 1));
            }
        }
        self.run = 0;
    }

    /// Totals with the pending burst candidate and the received run closed.
    fn closed_with_pending(&self) -> (u64, u64, u64, u64, u64) {
        let (mut bursts, mut bp, mut bl, mut gp, mut gl) = (
            self.bursts,
            self.burst_pkts,
            self.burst_losses,
            self.gap_pkts,
            self.gap_losses,
        );
        if let Some((pkts, losses)) = self.pending {
            if losses >= 2 {
                bursts += 1;
                bp += pkts;
                bl += losses;
            } else {
                gp += pkts;
                gl += losses;
            }
        }
        gp += self.run;
        (bursts, bp, bl, gp, gl)
    }

    /// Latest round-trip delay (from RTCP; the session sets it).
    pub fn set_round_trip_delay(&mut self, rtt: Duration) {
        self.rtt = Some(rtt);
    }

    /// End-system delay: jitter buffer + packetisation + codec + DSP, one way.
    pub fn set_end_system_delay(&mut self, d: Duration) {
        self.end_system = Some(d);
    }

    /// Signal and noise level (dBm0) and residual echo return loss (dB) from the DSP;
    /// `None` reports 127 (unavailable).
    pub fn set_levels(&mut self, signal: Option<i8>, noise: Option<i8>, rerl: Option<u8>) {
        self.signal = signal;
        self.noise = noise;
        self.rerl = rerl;
    }

    /// Jitter buffer nominal, maximum and absolute maximum delays.
    pub fn set_jitter_buffer(&mut self, nominal: Duration, maximum: Duration, abs_max: Duration) {
        self.jb = (ms16(nominal), ms16(maximum), ms16(abs_max));
    }

    /// Packets recorded so far.
    pub fn packets(&self) -> u64 {
        self.received + self.lost + self.discarded
    }

    /// G.107 BurstR of the loss seen so far (1 when random or too little data).
    pub fn burst_r(&self) -> f64 {
        if self.good_from == 0 || self.bad_from == 0 {
            return 1.0;
        }
        let p = self.good_to_bad as f64 / self.good_from as f64;
        let q = self.bad_to_good as f64 / self.bad_from as f64;
        burst_ratio(p, q)
    }

    /// E-model parameters from what was measured (loss incl. discards, BurstR, one-way
    /// delay = RTT/2 + end-system delay with T = Ta and Tr = 2T).
    pub fn emodel_params(&self) -> EModelParams {
        let n = self.packets();
        let ppl = if n == 0 {
            0.0
        } else {
            100.0 * (self.lost + self.discarded) as f64 / n as f64
        };
        let ta = self.rtt.map_or(0.0, |r| r.as_secs_f64() * 500.0)
            + self.end_system.map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        EModelParams {
            ppl,
            burst_r: self.burst_r(),
            ta_ms: ta,
            t_ms: ta,
            tr_ms: 2.0 * ta,
            telr: self.cfg.telr,
            ..self.cfg.codec.params()
        }
    }

    /// Conversational and listening ratings, or `None` before any packet.
    pub fn rating(&self) -> Option<(EModelRating, EModelRating)> {
        (self.packets() > 0).then(|| {
            let p = self.emodel_params();
            (p.rate(), p.rate_listening())
        })
    }

    /// The VoIP Metrics block for `ssrc` as of now.
    pub fn metrics(&self, ssrc: u32) -> VoipMetrics {
        let n = self.packets();
        let (bursts, bp, bl, gp, gl) = self.closed_with_pending();
        let pkt_ms = self.cfg.packet_duration.as_secs_f64() * 1000.0;
        let dur = |pkts: u64, count: u64| -> u16 {
            if count == 0 {
                0
            } else {
                (pkts as f64 * pkt_ms / count as f64).min(65535.0) as u16
            }
        };
        let rating = self.rating();
        let to_r = |r: f64| r.clamp(0.0, 100.0) as u8;
        let to_mos = |m: f64| (m * 10.0).round().clamp(10.0, 50.0) as u8;
        VoipMetrics {
            ssrc,
            loss_rate: ratio256(self.lost, n),
            discard_rate: ratio256(self.discarded, n),
            burst_density: ratio256(bl, bp),
            gap_density: ratio256(gl, gp),
            burst_duration: dur(bp, bursts),
            gap_duration: dur(gp, bursts.max(u64::from(gp > 0))),
            round_trip_delay: self.rtt.map_or(0, ms16),
            end_system_delay: self.end_system.map_or(0, ms16),
            signal_level: self.signal.unwrap_or(UNAVAILABLE as i8),
            noise_level: self.noise.unwrap_or(UNAVAILABLE as i8),
            rerl: self.rerl.unwrap_or(UNAVAILABLE),
            gmin: self.cfg.gmin,
            r_factor: rating.map_or(UNAVAILABLE, |(c, _)| to_r(c.r)),
            ext_r_factor: UNAVAILABLE,
            mos_lq: rating.map_or(UNAVAILABLE, |(_, l)| to_mos(l.mos)),
            mos_cq: rating.map_or(UNAVAILABLE, |(c, _)| to_mos(c.mos)),
            rx_config: self.cfg.rx_config,
            jb_nominal: self.jb.0,
            jb_maximum: self.jb.1,
            jb_abs_max: self.jb.2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::{Compound, RtcpPacket, RtcpWriter, XrBlock};

    fn feed(c: &mut VoipMetricsCollector, pattern: &str) {
        for ch in pattern.chars() {
            c.record(match ch {
                'L' => PacketOutcome::Lost,
                'D' => PacketOutcome::Discarded,
                _ => PacketOutcome::Received,
            });
        }
    }

    #[test]
    fn gilbert_burst_and_gap() {
        // RFC 3611 §4.7.2 with Gmin 16: "LRLL" is a burst (no 16 received in a row
        // inside it); an isolated loss after >= 16 received belongs to the gap.
        let mut c = VoipMetricsCollector::new(VoipMetricsConfig::default());
        let g = "R".repeat(40);
        feed(&mut c, &format!("{g}LRLD{g}L{g}"));
        let m = c.metrics(1);
        // Burst: 4 packets, 3 bad => density 3/4 = 192/256; duration 4 x 20 ms.
        assert_eq!(m.burst_density, 192);
        assert_eq!(m.burst_duration, 80);
        // Gap: 121 packets, 1 lost => 256/121 = 2.
        assert_eq!(m.gap_density, 2);
        assert_eq!(m.gap_duration, 121 * 20);
        // Rates over 125 packets: lost 3 => 6, discarded 1 => 2.
        assert_eq!(m.loss_rate, 6);
        assert_eq!(m.discard_rate, 2);
        assert_eq!(m.gmin, 16);
    }

    #[test]
    fn gmin_one_makes_every_multi_loss_run_a_burst() {
        let mut c = VoipMetricsCollector::new(VoipMetricsConfig {
            gmin: 1,
            ..VoipMetricsConfig::default()
        });
        feed(&mut c, "RRRRLLRRRRLLLRRR");
        let m = c.metrics(1);
        assert_eq!(m.burst_density, 255); // all lost: 256/256 saturates at 255
        assert_eq!(m.burst_duration, 50); // two bursts of 2 and 3 packets
    }

    #[test]
    fn no_packets_means_unavailable_quality() {
        let c = VoipMetricsCollector::new(VoipMetricsConfig::default());
        let m = c.metrics(9);
        assert_eq!(m.r_factor, UNAVAILABLE);
        assert_eq!(m.mos_cq, UNAVAILABLE);
        assert_eq!(m.mos_lq, UNAVAILABLE);
        assert_eq!(m.signal_level, 127);
        assert_eq!(m.rerl, 127);
        assert_eq!(m.ext_r_factor, UNAVAILABLE);
        assert_eq!(m.r(), None);
    }

    #[test]
    fn clean_g711_rates_93_and_delay_lowers_cq_only() {
        // E-model (G.107): clean G.711 = R 93, MOS 4.4; with 300 ms RTT + 150 ms end
        // delay (Ta = 300 ms) MOS-CQ drops while MOS-LQ stays (RFC 3611 §4.7.5).
        let mut c = VoipMetricsCollector::new(VoipMetricsConfig::default());
        feed(&mut c, &"R".repeat(500));
        let m = c.metrics(1);
        assert_eq!(m.r_factor, 93);
        assert_eq!(m.mos_cq, 44);
        assert_eq!(m.mos_lq, 44);
        c.set_round_trip_delay(Duration::from_millis(300));
        c.set_end_system_delay(Duration::from_millis(150));
        let m = c.metrics(1);
        assert_eq!(m.round_trip_delay, 300);
        assert_eq!(m.end_system_delay, 150);
        assert!(m.r_factor < 75, "{}", m.r_factor);
        assert!(m.mos_cq < m.mos_lq);
        assert_eq!(m.mos_lq, 44);
    }

    #[test]
    fn bursty_loss_has_burst_r_above_one() {
        let mut random = VoipMetricsCollector::new(VoipMetricsConfig::default());
        let mut bursty = VoipMetricsCollector::new(VoipMetricsConfig::default());
        for i in 0..2000 {
            random.record(if i % 20 == 3 {
                PacketOutcome::Lost
            } else {
                PacketOutcome::Received
            });
            bursty.record(if i % 200 < 10 {
                PacketOutcome::Lost
            } else {
                PacketOutcome::Received
            });
        }
        assert!((random.burst_r() - 1.0).abs() < 0.1, "{}", random.burst_r());
        assert!(bursty.burst_r() > 5.0, "{}", bursty.burst_r());
        let (r_rand, _) = random.rating().unwrap();
        let (r_burst, _) = bursty.rating().unwrap();
        assert!(r_burst.r < r_rand.r, "same 5 % loss, bursts rate worse");
    }

    #[test]
    fn voip_metrics_block_round_trip() {
        // RFC 3611 §4.7 block layout: 36 bytes, BT=7, block length 8.
        let mut c = VoipMetricsCollector::new(VoipMetricsConfig::default());
        feed(&mut c, &format!("{}LL{}", "R".repeat(30), "R".repeat(30)));
        c.set_levels(Some(-20), Some(-60), Some(45));
        c.set_jitter_buffer(
            Duration::from_millis(40),
            Duration::from_millis(80),
            Duration::from_millis(200),
        );
        let m = c.metrics(0xABCD);
        let mut buf = [0u8; 128];
        let mut w = RtcpWriter::new(&mut buf);
        w.receiver_report(5, &[], &[]).unwrap();
        w.sdes_cname(5, b"x").unwrap();
        w.xr(5, &[XrBlock::VoipMetrics(m)]).unwrap();
        let n = w.finish();
        // RR (8 bytes) + SDES (12 bytes), then the XR header: SSRC + 36-byte block = 10 words.
        assert_eq!(&buf[20..24], &[0x80, 207, 0, 10]);
        assert_eq!(&buf[28..32], &[7, 0, 0, 8]);
        assert_eq!(buf[32 + 16], 0xEC); // signal level -20 dBm0, two's complement
        let comp = Compound::parse(&buf[..n]).unwrap();
        let Some(RtcpPacket::Xr(xr)) = comp.packets().nth(2) else {
            panic!()
        };
        assert_eq!(xr.blocks().next(), Some(XrBlock::VoipMetrics(m)));
        assert_eq!(m.signal_level, -20);
        assert_eq!(m.jb_abs_max, 200);
        assert_eq!(
            RxConfig::from_byte(m.rx_config.to_byte()),
            m.rx_config,
            "RX config byte round-trips"
        );
        assert_eq!(m.rx_config.to_byte(), 0xB0); // PLC enhanced (10), JBA adaptive (11)
    }
}

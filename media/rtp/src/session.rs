//! The sans-IO RTP session (RFC 3550): sending, receiving with per-source statistics,
//! RTCP scheduling (§6.3, A.7), SSRC collisions (§8.2), symmetric RTP / latching, media
//! timeout.
//!
//! Driving it (all times injected, all bytes into caller buffers):
//!
//! ```text
//! session.send_audio(now, payload, samples, marker, &mut buf)?  -> Transmit { to, len }
//! session.receive(now, from, datagram)                          -> Received::{Rtp, Rtcp, Dropped}
//! session.poll_timeout()                                        -> next deadline
//! session.handle_timeout(now, &mut buf)?                        -> Option<Transmit> (RTCP)
//! session.poll_event()                                          -> Latched, MediaTimeout, ...
//! session.close(now, &mut buf)?                                 -> Transmit (RTCP BYE)
//! ```
//!
//! # Latching (symmetric RTP, NAT)
//!
//! The session first sends to the address from SDP. The first source (SSRC + transport
//! address) that passes probation (`MIN_SEQUENTIAL` packets in sequence, RFC 3550 A.1)
//! with an accepted payload type — and the expected SSRC, if one is configured — becomes
//! the *active* source and, if it came from elsewhere, the remote address latches to it.
//! Afterwards another address is adopted only when the active source has been silent for
//! `relatch_after` *and* the newcomer has passed probation, so one spoofed packet cannot
//! hijack the call. A new SSRC from the *same* address (a PBX switching streams) is
//! adopted as soon as it passes probation. RTCP latches separately, to the address RTCP
//! from the active SSRC comes from (with rtcp-mux, RFC 5761, that is the RTP port).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::error::{Result, RtcpError, RtpError};
use crate::events::EventPacket;
use crate::ntp::{duration_to_short, NtpTime};
use crate::packet::{classify, DatagramKind, RtpHeader, RtpPacket};
use crate::rng::SplitMix64;
use crate::rtcp::{
    Compound, DlrrItem, DlrrItems, ReportBlock, RtcpPacket, RtcpWriter, SenderInfo, XrBlock,
};
use crate::stats::{round_trip_time, to_rtp_units, ReceiverStats, SeqUpdate, MIN_SEQUENTIAL};
use crate::xr::{VoipMetrics, VoipMetricsCollector, VoipMetricsConfig};

/// RFC 3550 §6.2 minimum RTCP interval.
pub const RTCP_MIN_INTERVAL: Duration = Duration::from_secs(5);
/// IPv4 + UDP header bytes counted in the average RTCP size (§6.3.3).
const IP_UDP_OVERHEAD: f64 = 28.0;
/// e − 3/2: compensates the timer reconsideration's bias towards short intervals (A.7).
const COMPENSATION: f64 = std::f64::consts::E - 1.5;

/// A set of payload types (0..=127).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PayloadTypes(u128);

impl PayloadTypes {
    /// The empty set.
    pub const fn empty() -> Self {
        Self(0)
    }

    /// This set plus `pt` (ignored above 127).
    pub const fn with(self, pt: u8) -> Self {
        if pt > 127 {
            self
        } else {
            Self(self.0 | (1u128 << pt))
        }
    }

    /// Whether `pt` is in the set.
    pub const fn contains(self, pt: u8) -> bool {
        pt <= 127 && self.0 & (1u128 << pt) != 0
    }
}

/// Session configuration.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// RTP clock rate of the audio (8000 for G.711/G.722/G.729).
    pub clock_rate: u32,
    /// Payload type of the audio we send.
    pub payload_type: u8,
    /// Payload types we accept (audio, telephone-event, comfort noise, ...).
    pub receive_payload_types: PayloadTypes,
    /// Payload type of RFC 4733 telephone-events we send, if negotiated.
    pub telephone_event_payload_type: Option<u8>,
    /// Our SDES CNAME (at most 255 bytes).
    pub cname: String,
    /// Remote RTP address from SDP.
    pub remote_rtp: SocketAddr,
    /// Remote RTCP address from SDP; `None` for rtcp-mux (RFC 5761).
    pub remote_rtcp: Option<SocketAddr>,
    /// Session bandwidth in bit/s, IP/UDP/RTP headers included (G.711 at 20 ms: 80 000).
    pub session_bandwidth: u32,
    /// Use the reduced minimum RTCP interval 360 / (bandwidth in kbit/s) s (§6.2).
    pub reduced_minimum: bool,
    /// Seed for SSRC, initial sequence number / timestamp and interval randomisation.
    pub rng_seed: u64,
    /// Accept RTP only with this SSRC (from SDP `a=ssrc`), if set.
    pub expected_ssrc: Option<u32>,
    /// Symmetric RTP: latch the remote address to the far end's real source.
    pub latching: bool,
    /// How long the active source must be silent before another address may take over.
    pub relatch_after: Duration,
    /// Packets in sequence before a source is valid (RFC 3550 A.1 `MIN_SEQUENTIAL`).
    pub probation: u32,
    /// Raise [`SessionEvent::MediaTimeout`] after this long without RTP.
    pub media_timeout: Option<Duration>,
    /// Reject compound RTCP without CNAME (RFC 3550 §6.1). When false, bare reports
    /// from sloppy peers are still used.
    pub require_cname: bool,
    /// Send RTCP XR (VoIP Metrics, RRTR, DLRR — RFC 3611) with this collector setup.
    pub xr: Option<VoipMetricsConfig>,
}

impl SessionConfig {
    /// G.711 µ-law (PT 0) at 8 kHz toward `remote`, rtcp-mux off (RTCP on port + 1),
    /// telephone-event on PT 101, latching on, 30 s media timeout, XR on.
    pub fn pcmu(remote: SocketAddr, cname: &str, rng_seed: u64) -> Self {
        let mut rtcp = remote;
        rtcp.set_port(remote.port().wrapping_add(1));
        Self {
            clock_rate: 8000,
            payload_type: 0,
            receive_payload_types: PayloadTypes::empty().with(0).with(13).with(101),
            telephone_event_payload_type: Some(101),
            cname: cname.to_owned(),
            remote_rtp: remote,
            remote_rtcp: Some(rtcp),
            session_bandwidth: 80_000,
            reduced_minimum: false,
            rng_seed,
            expected_ssrc: None,
            latching: true,
            relatch_after: Duration::from_secs(2),
            probation: MIN_SEQUENTIAL,
            media_timeout: Some(Duration::from_secs(30)),
            require_cname: true,
            xr: Some(VoipMetricsConfig::default()),
        }
    }
}

/// A datagram to send: `len` bytes at the start of the caller's buffer, to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    /// Destination.
    pub to: SocketAddr,
    /// Bytes written to the buffer.
    pub len: usize,
}

/// Why a received datagram was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DropReason {
    /// Not RTP or RTCP (STUN, DTLS, ... — handled elsewhere, or garbage).
    NotRtp(DatagramKind),
    /// Malformed RTP.
    MalformedRtp(RtpError),
    /// Malformed RTCP.
    MalformedRtcp(RtcpError),
    /// A payload type not negotiated.
    UnexpectedPayloadType(u8),
    /// Not the SSRC announced in SDP.
    UnexpectedSsrc,
    /// The source is on probation (RFC 3550 A.1).
    Probation,
    /// A sequence jump awaiting confirmation (A.1).
    BadSequence,
    /// A second source while the latched one is still alive (possible hijack).
    NotLatched,
    /// Our own SSRC from elsewhere: collision resolved by changing ours (§8.2).
    SsrcCollision,
    /// Our own SSRC again from the same address: a loop (§8.2).
    Loop,
    /// The session was closed.
    Closed,
}

/// Counter slots of [`DropReason`], independent of the error detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropKind {
    /// [`DropReason::NotRtp`].
    NotRtp,
    /// [`DropReason::MalformedRtp`].
    MalformedRtp,
    /// [`DropReason::MalformedRtcp`].
    MalformedRtcp,
    /// [`DropReason::UnexpectedPayloadType`].
    UnexpectedPayloadType,
    /// [`DropReason::UnexpectedSsrc`].
    UnexpectedSsrc,
    /// [`DropReason::Probation`].
    Probation,
    /// [`DropReason::BadSequence`].
    BadSequence,
    /// [`DropReason::NotLatched`].
    NotLatched,
    /// [`DropReason::SsrcCollision`].
    SsrcCollision,
    /// [`DropReason::Loop`].
    Loop,
    /// [`DropReason::Closed`].
    Closed,
}

impl DropKind {
    /// Every kind, in counter order.
    pub const ALL: [DropKind; 11] = [
        DropKind::NotRtp,
        DropKind::MalformedRtp,
        DropKind::MalformedRtcp,
        DropKind::UnexpectedPayloadType,
        DropKind::UnexpectedSsrc,
        DropKind::Probation,
        DropKind::BadSequence,
        DropKind::NotLatched,
        DropKind::SsrcCollision,
        DropKind::Loop,
        DropKind::Closed,
    ];
}

impl DropReason {
    /// The counter this reason counts in.
    pub fn kind(&self) -> DropKind {
        match self {
            DropReason::NotRtp(_) => DropKind::NotRtp,
            DropReason::MalformedRtp(_) => DropKind::MalformedRtp,
            DropReason::MalformedRtcp(_) => DropKind::MalformedRtcp,
            DropReason::UnexpectedPayloadType(_) => DropKind::UnexpectedPayloadType,
            DropReason::UnexpectedSsrc => DropKind::UnexpectedSsrc,
            DropReason::Probation => DropKind::Probation,
            DropReason::BadSequence => DropKind::BadSequence,
            DropReason::NotLatched => DropKind::NotLatched,
            DropReason::SsrcCollision => DropKind::SsrcCollision,
            DropReason::Loop => DropKind::Loop,
            DropReason::Closed => DropKind::Closed,
        }
    }
}

/// Session counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// RTP packets sent (all SSRCs).
    pub rtp_sent: u64,
    /// RTCP compounds sent.
    pub rtcp_sent: u64,
    /// RTP packets delivered.
    pub rtp_received: u64,
    /// RTCP compounds used.
    pub rtcp_received: u64,
    /// Times the RTP remote address latched or re-latched.
    pub latches: u64,
    /// Times the RTCP remote address latched or re-latched.
    pub rtcp_latches: u64,
    /// Times our SSRC changed after a collision.
    pub ssrc_changes: u64,
    dropped: [u64; DropKind::ALL.len()],
}

impl Counters {
    /// Datagrams dropped for `kind`.
    pub fn dropped(&self, kind: DropKind) -> u64 {
        self.dropped[kind as usize]
    }

    /// All drops.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }
}

/// A delivered RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpReceived<'a> {
    /// The packet (payload, PT, timestamp, marker, ...).
    pub packet: RtpPacket<'a>,
    /// Extended sequence number of this packet.
    pub extended_seq: u32,
    /// A duplicate or reordered packet (RFC 3550 A.1 still counts it).
    pub late: bool,
}

/// What an RTCP compound told us.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RtcpInfo {
    /// SSRC of the first packet's sender.
    pub sender_ssrc: u32,
    /// The sender's report block about our stream, if any.
    pub report: Option<ReportBlock>,
    /// Round-trip time measured from it (or from XR DLRR).
    pub rtt: Option<Duration>,
    /// The far end's VoIP Metrics about our stream (RFC 3611 §4.7).
    pub voip_metrics: Option<VoipMetrics>,
    /// The compound carried a BYE for the active source.
    pub bye: bool,
}

/// The outcome of [`RtpSession::receive`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Received<'a> {
    /// RTP from the active source, to hand to the jitter buffer.
    Rtp(RtpReceived<'a>),
    /// RTCP, processed.
    Rtcp(RtcpInfo),
    /// Not used; counted in [`Counters`].
    Dropped(DropReason),
}

/// Something the call path should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// RTP now goes to `to` (the far end's real source).
    Latched {
        /// Previous destination.
        from: SocketAddr,
        /// New destination.
        to: SocketAddr,
    },
    /// RTCP now goes to `to`.
    RtcpLatched {
        /// Previous destination.
        from: SocketAddr,
        /// New destination.
        to: SocketAddr,
    },
    /// A different remote SSRC became the active source.
    SourceChanged {
        /// The previous SSRC, if there was one.
        old: Option<u32>,
        /// The new SSRC.
        new: u32,
    },
    /// Our SSRC collided and was changed (RFC 3550 §8.2); a BYE for `old` is sent.
    SsrcCollision {
        /// The SSRC we gave up.
        old: u32,
        /// The SSRC we now use.
        new: u32,
    },
    /// The active source sent RTCP BYE.
    Bye {
        /// Its SSRC.
        ssrc: u32,
        /// Its reason text, lossily decoded.
        reason: Option<String>,
    },
    /// No RTP for the configured media timeout.
    MediaTimeout {
        /// How long it has been silent.
        silent_for: Duration,
    },
}

#[derive(Debug, Clone)]
struct Source {
    ssrc: u32,
    addr: SocketAddr,
    stats: ReceiverStats,
    last_rtp: Instant,
}

/// One RTP session: one local SSRC, one remote party.
#[derive(Debug)]
pub struct RtpSession {
    cfg: SessionConfig,
    rng: SplitMix64,
    ssrc: u32,
    seq: u16,
    ts: u32,
    packets_sent: u32,
    octets_sent: u32,
    last_sent: Option<(Instant, u32)>,
    sent_since_report: bool,
    sent_in_prev_interval: bool,
    wall: (Instant, NtpTime),
    epoch: Instant,
    remote_rtp: SocketAddr,
    remote_rtcp: SocketAddr,
    active: Option<Source>,
    candidate: Option<Source>,
    // RTCP timing (A.7).
    tp: Instant,
    tn: Instant,
    pmembers: u32,
    avg_rtcp_size: f64,
    initial: bool,
    prev_report_at: Instant,
    // Media timeout.
    last_media: Instant,
    timeout_raised: bool,
    // Round trip.
    rtt: Option<Duration>,
    last_rrtr: Option<(u32, u32, Instant)>,
    remote_metrics: Option<VoipMetrics>,
    xr: Option<VoipMetricsCollector>,
    // Collisions.
    pending_bye: Option<u32>,
    collision_addrs: [Option<SocketAddr>; 4],
    closed: bool,
    counters: Counters,
    events: VecDeque<SessionEvent>,
}

impl RtpSession {
    /// A new session at `now`; `wall` is the wall-clock time at `now` (read by the
    /// caller), used for SR and XR NTP timestamps.
    pub fn new(cfg: SessionConfig, now: Instant, wall: NtpTime) -> Self {
        let mut rng = SplitMix64::new(cfg.rng_seed);
        let ssrc = rng.next_u32();
        let seq = rng.next_u32() as u16;
        let ts = rng.next_u32();
        let remote_rtp = cfg.remote_rtp;
        let remote_rtcp = cfg.remote_rtcp.unwrap_or(remote_rtp);
        let xr = cfg.xr.map(VoipMetricsCollector::new);
        let mut s = Self {
            cfg,
            rng,
            ssrc,
            seq,
            ts,
            packets_sent: 0,
            octets_sent: 0,
            last_sent: None,
            sent_since_report: false,
            sent_in_prev_interval: false,
            wall: (now, wall),
            epoch: now,
            remote_rtp,
            remote_rtcp,
            active: None,
            candidate: None,
            tp: now,
            tn: now,
            pmembers: 1,
            // A.7: "the probable size of the first RTCP packet".
            avg_rtcp_size: 100.0,
            initial: true,
            prev_report_at: now,
            last_media: now,
            timeout_raised: false,
            rtt: None,
            last_rrtr: None,
            remote_metrics: None,
            xr,
            pending_bye: None,
            collision_addrs: [None; 4],
            closed: false,
            counters: Counters::default(),
            events: VecDeque::new(),
        };
        s.tn = now + s.rtcp_interval();
        s
    }

    /// Our current SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Where RTP goes now.
    pub fn remote_addr(&self) -> SocketAddr {
        self.remote_rtp
    }

    /// Where RTCP goes now.
    pub fn remote_rtcp_addr(&self) -> SocketAddr {
        self.remote_rtcp
    }

    /// SSRC of the active remote source.
    pub fn remote_ssrc(&self) -> Option<u32> {
        self.active.as_ref().map(|s| s.ssrc)
    }

    /// Statistics of the active remote source.
    pub fn receiver_stats(&self) -> Option<&ReceiverStats> {
        self.active.as_ref().map(|s| &s.stats)
    }

    /// Latest round-trip time.
    pub fn rtt(&self) -> Option<Duration> {
        self.rtt
    }

    /// The far end's latest VoIP Metrics about our stream.
    pub fn remote_voip_metrics(&self) -> Option<&VoipMetrics> {
        self.remote_metrics.as_ref()
    }

    /// Our VoIP Metrics collector (feed it from the jitter buffer), if XR is on.
    pub fn xr_mut(&mut self) -> Option<&mut VoipMetricsCollector> {
        self.xr.as_mut()
    }

    /// Counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The timestamp the next audio packet will carry (anchor RFC 4733 events on it).
    pub fn next_timestamp(&self) -> u32 {
        self.ts
    }

    /// Change the audio payload type (after a re-INVITE).
    pub fn set_payload_type(&mut self, pt: u8) {
        self.cfg.payload_type = pt;
    }

    /// Re-anchor the wall clock (the caller read `wall` at `now`).
    pub fn set_wall_clock(&mut self, now: Instant, wall: NtpTime) {
        self.wall = (now, wall);
    }

    /// The next event for the call path.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    fn ntp_at(&self, now: Instant) -> NtpTime {
        let (at, wall) = self.wall;
        match now.checked_duration_since(at) {
            Some(d) => wall.plus(d),
            None => NtpTime(wall.0.wrapping_sub(crate::ntp::duration_to_ntp(at - now))),
        }
    }

    /// Send one audio packet of `samples` samples; `marker` on the first packet of a
    /// talkspurt (RFC 3551 §4.1). Writes into `out`.
    pub fn send_audio(
        &mut self,
        now: Instant,
        payload: &[u8],
        samples: u32,
        marker: bool,
        out: &mut [u8],
    ) -> Result<Transmit> {
        let ts = self.ts;
        let t = self.send(now, self.cfg.payload_type, ts, marker, payload, out)?;
        self.ts = self.ts.wrapping_add(samples);
        Ok(t)
    }

    /// Send one RFC 4733 telephone-event packet from a
    /// [`TelephoneEventSender`](crate::events::TelephoneEventSender).
    pub fn send_event(
        &mut self,
        now: Instant,
        ev: &EventPacket,
        out: &mut [u8],
    ) -> Result<Transmit> {
        let pt = self
            .cfg
            .telephone_event_payload_type
            .ok_or(crate::Error::InvalidArgument(
                "no telephone-event payload type",
            ))?;
        self.send(now, pt, ev.timestamp, ev.marker, &ev.payload, out)
    }

    /// Advance the media clock without sending (silence suppression, or audio replaced
    /// by telephone-events).
    pub fn skip_samples(&mut self, samples: u32) {
        self.ts = self.ts.wrapping_add(samples);
    }

    fn send(
        &mut self,
        now: Instant,
        pt: u8,
        ts: u32,
        marker: bool,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<Transmit> {
        if self.closed {
            return Err(crate::Error::InvalidArgument("session closed"));
        }
        let len = RtpHeader {
            marker,
            ..RtpHeader::new(pt, self.seq, ts, self.ssrc)
        }
        .write(payload, 0, out)?;
        self.seq = self.seq.wrapping_add(1);
        self.packets_sent = self.packets_sent.wrapping_add(1);
        self.octets_sent = self.octets_sent.wrapping_add(payload.len() as u32);
        self.last_sent = Some((now, ts));
        self.sent_since_report = true;
        self.counters.rtp_sent += 1;
        Ok(Transmit {
            to: self.remote_rtp,
            len,
        })
    }

    fn drop_it<'a>(&mut self, reason: DropReason) -> Received<'a> {
        self.counters.dropped[reason.kind() as usize] += 1;
        Received::Dropped(reason)
    }

    /// Process a datagram that arrived from `from` on the RTP (or muxed) port — or the
    /// RTCP port: RTP and RTCP are told apart by content (RFC 5761 §4).
    pub fn receive<'a>(
        &mut self,
        now: Instant,
        from: SocketAddr,
        datagram: &'a [u8],
    ) -> Received<'a> {
        if self.closed {
            return self.drop_it(DropReason::Closed);
        }
        match classify(datagram) {
            DatagramKind::Rtp => self.receive_rtp(now, from, datagram),
            DatagramKind::Rtcp => self.receive_rtcp(now, from, datagram),
            other => self.drop_it(DropReason::NotRtp(other)),
        }
    }

    /// §8.2: a packet with our SSRC. Returns the drop reason.
    fn collision(&mut self, from: SocketAddr) -> DropReason {
        if self.collision_addrs.contains(&Some(from)) {
            return DropReason::Loop;
        }
        self.collision_addrs.rotate_right(1);
        self.collision_addrs[0] = Some(from);
        let old = self.ssrc;
        let mut new = self.rng.next_u32();
        while new == old || Some(new) == self.remote_ssrc() {
            new = self.rng.next_u32();
        }
        self.ssrc = new;
        self.pending_bye = Some(old);
        self.packets_sent = 0;
        self.octets_sent = 0;
        self.counters.ssrc_changes += 1;
        self.events
            .push_back(SessionEvent::SsrcCollision { old, new });
        DropReason::SsrcCollision
    }

    fn receive_rtp<'a>(
        &mut self,
        now: Instant,
        from: SocketAddr,
        datagram: &'a [u8],
    ) -> Received<'a> {
        let packet = match RtpPacket::parse(datagram) {
            Ok(p) => p,
            Err(e) => return self.drop_it(DropReason::MalformedRtp(e)),
        };
        let pt = packet.payload_type();
        if !self.cfg.receive_payload_types.contains(pt) {
            return self.drop_it(DropReason::UnexpectedPayloadType(pt));
        }
        let ssrc = packet.ssrc();
        if ssrc == self.ssrc {
            let r = self.collision(from);
            return self.drop_it(r);
        }
        if self.cfg.expected_ssrc.is_some_and(|e| e != ssrc) {
            return self.drop_it(DropReason::UnexpectedSsrc);
        }
        let seq = packet.sequence_number();
        let arrival = to_rtp_units(
            now.saturating_duration_since(self.epoch),
            self.cfg.clock_rate,
        );
        let is_active = self
            .active
            .as_ref()
            .is_some_and(|a| a.ssrc == ssrc && a.addr == from);
        if !is_active {
            return self.receive_candidate(now, from, packet, arrival);
        }
        let Some(active) = self.active.as_mut() else {
            return self.drop_it(DropReason::NotLatched);
        };
        let (extended, late) = match active.stats.update_seq(seq) {
            SeqUpdate::Valid { extended } | SeqUpdate::Restarted { extended } => (extended, false),
            SeqUpdate::Late { extended } => (extended, true),
            SeqUpdate::Probation => return self.drop_it(DropReason::Probation),
            SeqUpdate::BadJump => return self.drop_it(DropReason::BadSequence),
        };
        active.stats.update_jitter(arrival, packet.timestamp());
        active.last_rtp = now;
        self.media_seen(now);
        self.counters.rtp_received += 1;
        Received::Rtp(RtpReceived {
            packet,
            extended_seq: extended,
            late,
        })
    }

    fn media_seen(&mut self, now: Instant) {
        self.last_media = now;
        self.timeout_raised = false;
    }

    fn receive_candidate<'a>(
        &mut self,
        now: Instant,
        from: SocketAddr,
        packet: RtpPacket<'a>,
        arrival: u32,
    ) -> Received<'a> {
        let ssrc = packet.ssrc();
        let seq = packet.sequence_number();
        let same = self
            .candidate
            .as_ref()
            .is_some_and(|c| c.ssrc == ssrc && c.addr == from);
        if !same {
            self.candidate = Some(Source {
                ssrc,
                addr: from,
                stats: ReceiverStats::new(seq, self.cfg.probation.max(1)),
                last_rtp: now,
            });
        }
        let Some(cand) = self.candidate.as_mut() else {
            return self.drop_it(DropReason::Probation);
        };
        cand.last_rtp = now;
        let update = cand.stats.update_seq(seq);
        let extended = match update {
            SeqUpdate::Valid { extended } | SeqUpdate::Restarted { extended } => extended,
            SeqUpdate::Probation | SeqUpdate::Late { .. } => {
                return self.drop_it(DropReason::Probation)
            }
            SeqUpdate::BadJump => return self.drop_it(DropReason::BadSequence),
        };
        cand.stats.update_jitter(arrival, packet.timestamp());
        // The candidate is valid. May it take over?
        let take_over = match &self.active {
            None => true,
            Some(a) if a.addr == from => true, // new SSRC, same address
            Some(a) => now.saturating_duration_since(a.last_rtp) >= self.cfg.relatch_after,
        };
        if !take_over {
            return self.drop_it(DropReason::NotLatched);
        }
        let Some(cand) = self.candidate.take() else {
            return self.drop_it(DropReason::NotLatched);
        };
        let old = self.active.replace(cand);
        if old.as_ref().map(|o| o.ssrc) != Some(ssrc) {
            self.events.push_back(SessionEvent::SourceChanged {
                old: old.as_ref().map(|o| o.ssrc),
                new: ssrc,
            });
        }
        if self.cfg.latching && from != self.remote_rtp {
            let prev = self.remote_rtp;
            self.remote_rtp = from;
            self.counters.latches += 1;
            self.events.push_back(SessionEvent::Latched {
                from: prev,
                to: from,
            });
        }
        self.media_seen(now);
        self.counters.rtp_received += 1;
        Received::Rtp(RtpReceived {
            packet,
            extended_seq: extended,
            late: false,
        })
    }

    fn receive_rtcp<'a>(
        &mut self,
        now: Instant,
        from: SocketAddr,
        datagram: &'a [u8],
    ) -> Received<'a> {
        let parsed = if self.cfg.require_cname {
            Compound::parse(datagram)
        } else {
            Compound::parse_relaxed(datagram)
        };
        let compound = match parsed {
            Ok(c) => c,
            Err(e) => return self.drop_it(DropReason::MalformedRtcp(e)),
        };
        let mut info = RtcpInfo {
            sender_ssrc: 0,
            report: None,
            rtt: None,
            voip_metrics: None,
            bye: false,
        };
        let active_ssrc = self.remote_ssrc();
        let arrival_mid = self.ntp_at(now).middle32();
        let mut first = true;
        for p in compound.packets() {
            let sender = match p {
                RtcpPacket::SenderReport(sr) => Some(sr.ssrc),
                RtcpPacket::ReceiverReport(rr) => Some(rr.ssrc),
                _ => None,
            };
            if first {
                info.sender_ssrc = sender.unwrap_or(0);
                first = false;
                if info.sender_ssrc == self.ssrc {
                    let r = self.collision(from);
                    return self.drop_it(r);
                }
            }
            let trusted = active_ssrc.is_none_or(|a| Some(a) == sender || a == info.sender_ssrc);
            match p {
                RtcpPacket::SenderReport(sr) => {
                    if let Some(a) = self.active.as_mut().filter(|a| a.ssrc == sr.ssrc) {
                        a.stats.on_sender_report(sr.info.ntp, now);
                    }
                    if trusted {
                        self.take_report(sr.reports.iter(), arrival_mid, &mut info);
                    }
                }
                RtcpPacket::ReceiverReport(rr) if trusted => {
                    self.take_report(rr.reports.iter(), arrival_mid, &mut info);
                }
                RtcpPacket::Bye(bye) => {
                    if let Some(a) = active_ssrc.filter(|a| bye.ssrcs().any(|s| s == *a)) {
                        info.bye = true;
                        self.events.push_back(SessionEvent::Bye {
                            ssrc: a,
                            reason: bye.reason.map(|r| String::from_utf8_lossy(r).into_owned()),
                        });
                        self.active = None;
                        self.reverse_reconsideration(now);
                    }
                }
                RtcpPacket::Xr(xr) if trusted => {
                    for b in xr.blocks() {
                        match b {
                            XrBlock::ReceiverReferenceTime(t) => {
                                self.last_rrtr = Some((xr.ssrc, t.middle32(), now));
                            }
                            XrBlock::Dlrr(items) => {
                                for it in items.iter().filter(|i| i.ssrc == self.ssrc) {
                                    if let Some(rtt) = round_trip_time(
                                        arrival_mid,
                                        it.last_rr,
                                        it.delay_since_last_rr,
                                    ) {
                                        info.rtt = Some(rtt);
                                    }
                                }
                            }
                            XrBlock::VoipMetrics(m) if m.ssrc == self.ssrc => {
                                info.voip_metrics = Some(m);
                                self.remote_metrics = Some(m);
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(rtt) = info.rtt {
            self.rtt = Some(rtt);
            if let Some(x) = self.xr.as_mut() {
                x.set_round_trip_delay(rtt);
            }
        }
        // RTCP latching: only to RTCP from the active (validated) source.
        if self.cfg.latching
            && active_ssrc == Some(info.sender_ssrc)
            && from != self.remote_rtcp
            && !info.bye
        {
            let prev = self.remote_rtcp;
            self.remote_rtcp = from;
            self.counters.rtcp_latches += 1;
            self.events.push_back(SessionEvent::RtcpLatched {
                from: prev,
                to: from,
            });
        }
        // §6.3.3: avg_rtcp_size = 1/16 * packet_size + 15/16 * avg_rtcp_size.
        self.avg_rtcp_size += (datagram.len() as f64 + IP_UDP_OVERHEAD - self.avg_rtcp_size) / 16.0;
        self.counters.rtcp_received += 1;
        Received::Rtcp(info)
    }

    fn take_report(
        &mut self,
        blocks: impl Iterator<Item = ReportBlock>,
        arrival_mid: u32,
        info: &mut RtcpInfo,
    ) {
        for b in blocks.filter(|b| b.ssrc == self.ssrc) {
            info.report = Some(b);
            if let Some(rtt) = round_trip_time(arrival_mid, b.last_sr, b.delay_since_last_sr) {
                info.rtt = Some(rtt);
            }
        }
    }

    fn members(&self) -> u32 {
        1 + u32::from(self.active.is_some())
    }

    fn senders(&self) -> (u32, bool) {
        let we_sent = self.sent_since_report || self.sent_in_prev_interval;
        let remote = self
            .active
            .as_ref()
            .is_some_and(|a| a.last_rtp >= self.prev_report_at);
        (u32::from(we_sent) + u32::from(remote), we_sent)
    }

    /// The deterministic interval T before randomisation (RFC 3550 A.7 `rtcp_interval`
    /// without the random factor and compensation), in seconds.
    fn rtcp_base_interval(&self) -> f64 {
        let members = f64::from(self.members());
        let (senders, we_sent) = self.senders();
        let senders = f64::from(senders);
        let mut rtcp_bw = f64::from(self.cfg.session_bandwidth) * 0.05 / 8.0; // bytes/s
        let mut min = if self.cfg.reduced_minimum && self.cfg.session_bandwidth > 0 {
            360.0 / (f64::from(self.cfg.session_bandwidth) / 1000.0)
        } else {
            RTCP_MIN_INTERVAL.as_secs_f64()
        };
        if self.initial {
            min /= 2.0;
        }
        let mut n = members;
        if senders <= members * 0.25 {
            if we_sent {
                rtcp_bw *= 0.25;
                n = senders;
            } else {
                rtcp_bw *= 0.75;
                n -= senders;
            }
        }
        let t = if rtcp_bw > 0.0 {
            self.avg_rtcp_size * n / rtcp_bw
        } else {
            min
        };
        t.max(min)
    }

    /// A.7 `rtcp_interval`: T × U(0.5, 1.5) / (e − 3/2).
    fn rtcp_interval(&mut self) -> Duration {
        let t = self.rtcp_base_interval();
        let r = self.rng.next_f64() + 0.5;
        Duration::from_secs_f64(t * r / COMPENSATION)
    }

    /// A.7 `OnReceive` of a BYE: pull tn and tp in as membership shrinks.
    fn reverse_reconsideration(&mut self, now: Instant) {
        let members = self.members();
        if members < self.pmembers {
            let f = f64::from(members) / f64::from(self.pmembers);
            if let Some(ahead) = self.tn.checked_duration_since(now) {
                self.tn = now + ahead.mul_f64(f);
            }
            if let Some(behind) = now.checked_duration_since(self.tp) {
                self.tp = now.checked_sub(behind.mul_f64(f)).unwrap_or(self.tp);
            }
            self.pmembers = members;
        }
    }

    /// When [`RtpSession::handle_timeout`] wants to run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        if self.pending_bye.is_some() {
            return Some(self.tp.min(self.tn));
        }
        let mut t = self.tn;
        if let (Some(mt), false) = (self.cfg.media_timeout, self.timeout_raised) {
            t = t.min(self.last_media + mt);
        }
        Some(t)
    }

    /// Run due timers: raise the media timeout, and when the RTCP timer expires (with
    /// reconsideration, A.7 `OnExpire`) write a compound report into `out`.
    pub fn handle_timeout(&mut self, now: Instant, out: &mut [u8]) -> Result<Option<Transmit>> {
        if self.closed {
            return Ok(None);
        }
        if let Some(mt) = self.cfg.media_timeout {
            let silent = now.saturating_duration_since(self.last_media);
            if !self.timeout_raised && silent >= mt {
                self.timeout_raised = true;
                self.events
                    .push_back(SessionEvent::MediaTimeout { silent_for: silent });
            }
        }
        if let Some(old) = self.pending_bye {
            // §8.2: BYE for the old SSRC, at once.
            let mut w = RtcpWriter::new(out);
            w.receiver_report(old, &[], &[])?;
            w.sdes_cname(old, self.cfg.cname.as_bytes())?;
            w.bye(&[old], Some(b"SSRC collision"))?;
            let len = w.finish();
            self.pending_bye = None;
            self.counters.rtcp_sent += 1;
            return Ok(Some(Transmit {
                to: self.remote_rtcp,
                len,
            }));
        }
        if now < self.tn {
            return Ok(None);
        }
        let t = self.rtcp_interval();
        if self.tp + t > now {
            // Reconsideration: membership grew; reschedule.
            self.tn = self.tp + t;
            return Ok(None);
        }
        let len = self.build_report(now, out, None)?;
        self.avg_rtcp_size += (len as f64 + IP_UDP_OVERHEAD - self.avg_rtcp_size) / 16.0;
        self.prev_report_at = self.tp;
        self.tp = now;
        self.initial = false;
        self.tn = now + self.rtcp_interval();
        self.pmembers = self.members();
        self.counters.rtcp_sent += 1;
        Ok(Some(Transmit {
            to: self.remote_rtcp,
            len,
        }))
    }

    /// Write a compound report (SR if we sent since the last one, else RR; SDES CNAME;
    /// XR if configured; BYE if `bye`).
    fn build_report(&mut self, now: Instant, out: &mut [u8], bye: Option<&[u8]>) -> Result<usize> {
        let ntp = self.ntp_at(now);
        let mut blocks = [ReportBlock::default(); 1];
        let mut nblocks = 0;
        if let Some(a) = self.active.as_mut() {
            if a.stats.received_since_report() || bye.is_some() {
                blocks[0] = a.stats.report_block(a.ssrc, now);
                nblocks = 1;
            }
        }
        let mut w = RtcpWriter::new(out);
        if self.sent_since_report {
            let rtp_timestamp = match self.last_sent {
                Some((at, ts)) => ts.wrapping_add(to_rtp_units(
                    now.saturating_duration_since(at),
                    self.cfg.clock_rate,
                )),
                None => self.ts,
            };
            let info = SenderInfo {
                ntp,
                rtp_timestamp,
                packet_count: self.packets_sent,
                octet_count: self.octets_sent,
            };
            w.sender_report(self.ssrc, &info, &blocks[..nblocks], &[])?;
        } else {
            w.receiver_report(self.ssrc, &blocks[..nblocks], &[])?;
        }
        w.sdes_cname(self.ssrc, self.cfg.cname.as_bytes())?;
        if let Some(x) = self.xr.as_mut() {
            let dlrr_item;
            let mut xr_blocks = [XrBlock::ReceiverReferenceTime(ntp); 3];
            let mut n = 1;
            if let Some((ssrc, lrr, at)) = self.last_rrtr {
                dlrr_item = [DlrrItem {
                    ssrc,
                    last_rr: lrr,
                    delay_since_last_rr: duration_to_short(now.saturating_duration_since(at)),
                }];
                xr_blocks[n] = XrBlock::Dlrr(DlrrItems::Items(&dlrr_item));
                n += 1;
            }
            if let Some(a) = self.active.as_ref() {
                if let Some(rtt) = self.rtt {
                    x.set_round_trip_delay(rtt);
                }
                xr_blocks[n] = XrBlock::VoipMetrics(x.metrics(a.ssrc));
                n += 1;
            }
            w.xr(self.ssrc, &xr_blocks[..n])?;
        }
        if let Some(reason) = bye {
            w.bye(&[self.ssrc], (!reason.is_empty()).then_some(reason))?;
        }
        self.sent_in_prev_interval = self.sent_since_report;
        self.sent_since_report = false;
        Ok(w.finish())
    }

    /// End the session: write the final compound with BYE (RFC 3550 §6.6) into `out`.
    /// Afterwards nothing is sent and received datagrams are dropped.
    pub fn close(&mut self, now: Instant, reason: &[u8], out: &mut [u8]) -> Result<Transmit> {
        if self.closed {
            return Err(crate::Error::InvalidArgument("session already closed"));
        }
        let len = self.build_report(now, out, Some(reason))?;
        self.closed = true;
        self.counters.rtcp_sent += 1;
        Ok(Transmit {
            to: self.remote_rtcp,
            len,
        })
    }
}

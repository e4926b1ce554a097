//! RFC 4733 telephone-events: DTMF digits 0–15 and flash (event 16) as RTP packets.
//!
//! * [`TelephoneEventSender`] turns "event started / stopped" (from the line's DTMF or
//!   hook-flash detector) or queued digits into one [`EventPacket`] per ptime: same
//!   timestamp, growing duration, marker on the first packet, the end packet (E bit)
//!   sent three times with the same duration (§2.5.1.4), events longer than 0xFFFF
//!   timestamp units split into segments (§2.5.1.3), a minimum duration, and a gap
//!   between back-to-back digits.
//! * [`TelephoneEventReceiver`] turns received payloads into exactly one
//!   [`EventNotice::Start`] and one [`EventNotice::End`] per event, whatever the loss,
//!   reordering and E-bit retransmissions; an event whose end packets are all lost ends
//!   on a timeout.
//!
//! ```
//! use tipring_rtp::events::{EventNotice, TelephoneEventReceiver, TelephoneEventSender,
//!     EventSenderConfig, EventReceiverConfig};
//! # #[allow(clippy::disallowed_methods)] let now = std::time::Instant::now();
//! let mut tx = TelephoneEventSender::new(EventSenderConfig::default());
//! tx.queue(5, 10, 800).unwrap(); // digit 5, -10 dBm0, 100 ms
//! tx.set_clock(1000);
//! let mut rx = TelephoneEventReceiver::new(EventReceiverConfig::default());
//! let mut seen = Vec::new();
//! while let Some(p) = tx.poll() {
//!     rx.receive(now, p.timestamp, &p.payload, |n| seen.push(n)).unwrap();
//! }
//! assert_eq!(seen, vec![
//!     EventNotice::Start { event: 5, volume: 10, timestamp: 1000 },
//!     EventNotice::End { event: 5, duration: 800, timestamp: 1000 },
//! ]);
//! ```

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::error::{EventError, Result};

/// Event code of a hook flash (RFC 4733 §3.2, Table 7).
pub const EVENT_FLASH: u8 = 16;
/// Largest duration of one report (§2.5.1.3).
pub const MAX_SEGMENT: u32 = 0xFFFF;

/// One 4-byte event report (RFC 4733 §2.3).
///
/// ```text
///  0                   1                   2                   3
/// |     event     |E|R| volume    |          duration             |
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Event code (0–9, * = 10, # = 11, A–D = 12–15, flash = 16, ...).
    pub event: u8,
    /// E bit: the event has ended.
    pub end: bool,
    /// Power level as −dBm0 (0..=63).
    pub volume: u8,
    /// Duration in timestamp units since the report's timestamp.
    pub duration: u16,
}

impl TelephoneEvent {
    /// The wire form (the R bit is written 0).
    pub fn to_bytes(&self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3F),
            d[0],
            d[1],
        ]
    }

    fn read(b: &[u8]) -> Self {
        Self {
            event: b[0],
            end: b[1] & 0x80 != 0,
            volume: b[1] & 0x3F,
            duration: u16::from_be_bytes([b[2], b[3]]),
        }
    }
}

/// Parse a telephone-event payload: one or more 4-byte reports, nothing else.
pub fn parse_payload(
    payload: &[u8],
) -> std::result::Result<impl Iterator<Item = TelephoneEvent> + '_, EventError> {
    if payload.is_empty() || !payload.len().is_multiple_of(4) {
        return Err(EventError::BadLength(payload.len()));
    }
    Ok(payload.chunks_exact(4).map(TelephoneEvent::read))
}

/// One packet for [`crate::session::RtpSession::send_event`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPacket {
    /// RTP timestamp: the event (segment) start.
    pub timestamp: u32,
    /// M bit: first packet of an event.
    pub marker: bool,
    /// The 4-byte payload.
    pub payload: [u8; 4],
}

impl EventPacket {
    /// The report in the payload.
    pub fn event(&self) -> TelephoneEvent {
        TelephoneEvent::read(&self.payload)
    }
}

/// Sender settings, in timestamp units (8 kHz: 160 = 20 ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSenderConfig {
    /// Packet interval (ptime); [`TelephoneEventSender::poll`] is called once per ptime.
    pub ptime: u32,
    /// Shortest event sent, however short the detected one.
    pub min_duration: u32,
    /// How often the end packet is sent (RFC 4733 §2.5.1.4 recommends 3).
    pub end_repeats: u8,
    /// Silence between back-to-back events (so "55" is two tones at the far end).
    pub gap: u32,
}

impl Default for EventSenderConfig {
    fn default() -> Self {
        Self {
            ptime: 160,
            min_duration: 320,
            end_repeats: 3,
            gap: 400,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    event: u8,
    volume: u8,
    /// `None`: until [`TelephoneEventSender::stop`].
    duration: Option<u32>,
}

#[derive(Debug, Clone, Copy)]
struct Sending {
    p: Pending,
    stop: bool,
    seg_ts: u32,
    seg_offset: u32,
    total: u32,
    first: bool,
    ends_sent: u8,
    end_duration: u16,
}

/// Sends RFC 4733 events, one packet per ptime.
#[derive(Debug, Clone)]
pub struct TelephoneEventSender {
    cfg: EventSenderConfig,
    queue: VecDeque<Pending>,
    current: Option<Sending>,
    clock: u32,
    gap_left: u32,
}

impl TelephoneEventSender {
    /// A sender with `cfg`.
    pub fn new(cfg: EventSenderConfig) -> Self {
        Self {
            cfg,
            queue: VecDeque::new(),
            current: None,
            clock: 0,
            gap_left: 0,
        }
    }

    /// Set the media clock: the timestamp the next [`poll`](Self::poll) corresponds to
    /// (take it from [`crate::session::RtpSession::next_timestamp`]).
    pub fn set_clock(&mut self, timestamp: u32) {
        self.clock = timestamp;
    }

    /// Nothing sending or queued.
    pub fn is_idle(&self) -> bool {
        self.current.is_none() && self.queue.is_empty() && self.gap_left == 0
    }

    fn check(event: u8, volume: u8) -> Result<()> {
        if event > EVENT_FLASH {
            return Err(crate::Error::InvalidArgument("event code above 16"));
        }
        if volume > 63 {
            return Err(crate::Error::InvalidArgument("volume above 63"));
        }
        Ok(())
    }

    /// An event detected on the line starts now; it lasts until [`stop`](Self::stop).
    /// If another event is still being sent, this one follows it.
    pub fn start(&mut self, event: u8, volume: u8) -> Result<()> {
        Self::check(event, volume)?;
        self.queue.push_back(Pending {
            event,
            volume,
            duration: None,
        });
        Ok(())
    }

    /// The event from [`start`](Self::start) has stopped on the line.
    pub fn stop(&mut self) {
        if let Some(c) = self
            .current
            .as_mut()
            .filter(|c| c.p.duration.is_none() && !c.stop)
        {
            c.stop = true;
            return;
        }
        if let Some(q) = self.queue.iter_mut().find(|q| q.duration.is_none()) {
            q.duration = Some(0);
        }
    }

    /// Queue an event of known `duration` (timestamp units) to go after everything
    /// before it (dialling a string of digits).
    pub fn queue(&mut self, event: u8, volume: u8, duration: u32) -> Result<()> {
        Self::check(event, volume)?;
        self.queue.push_back(Pending {
            event,
            volume,
            duration: Some(duration),
        });
        Ok(())
    }

    /// Call once per ptime; returns the packet to send this tick, if any. The media
    /// clock advances by ptime per call.
    pub fn poll(&mut self) -> Option<EventPacket> {
        let ptime = self.cfg.ptime.max(1);
        if self.current.is_none() {
            if self.gap_left > 0 {
                self.gap_left = self.gap_left.saturating_sub(ptime);
                self.clock = self.clock.wrapping_add(ptime);
                return None;
            }
            let Some(p) = self.queue.pop_front() else {
                self.clock = self.clock.wrapping_add(ptime);
                return None;
            };
            self.current = Some(Sending {
                p,
                stop: false,
                seg_ts: self.clock,
                seg_offset: 0,
                total: 0,
                first: true,
                ends_sent: 0,
                end_duration: 0,
            });
        }
        let repeats = self.cfg.end_repeats.max(1);
        let min = self.cfg.min_duration;
        let c = self.current.as_mut()?;
        let pkt = if c.ends_sent > 0 {
            // §2.5.1.4: retransmit the final report, same duration.
            c.ends_sent += 1;
            EventPacket {
                timestamp: c.seg_ts,
                marker: false,
                payload: TelephoneEvent {
                    event: c.p.event,
                    end: true,
                    volume: c.p.volume,
                    duration: c.end_duration,
                }
                .to_bytes(),
            }
        } else {
            c.total = c.total.saturating_add(ptime);
            let wanted = match c.p.duration {
                Some(d) => Some(d.max(min)),
                None if c.stop => Some(min),
                None => None,
            };
            let mut end = false;
            if let Some(w) = wanted {
                if c.total >= w {
                    if c.p.duration.is_some() {
                        // A queued digit lasts exactly what was asked (a live event
                        // reports the time that really passed).
                        c.total = w;
                    }
                    end = true;
                }
            }
            let seg = c.total - c.seg_offset;
            if seg > MAX_SEGMENT {
                // §2.5.1.3: a long event is reported in segments of at most 0xFFFF; the
                // next segment starts where this one ends, without the marker. An end
                // falling in this tick is reported on the next one.
                let pkt = EventPacket {
                    timestamp: c.seg_ts,
                    marker: false,
                    payload: TelephoneEvent {
                        event: c.p.event,
                        end: false,
                        volume: c.p.volume,
                        duration: MAX_SEGMENT as u16,
                    }
                    .to_bytes(),
                };
                c.seg_ts = c.seg_ts.wrapping_add(MAX_SEGMENT);
                c.seg_offset += MAX_SEGMENT;
                self.clock = self.clock.wrapping_add(ptime);
                return Some(pkt);
            }
            let marker = c.first;
            c.first = false;
            if end {
                c.ends_sent = 1;
                c.end_duration = seg as u16;
            }
            EventPacket {
                timestamp: c.seg_ts,
                marker,
                payload: TelephoneEvent {
                    event: c.p.event,
                    end,
                    volume: c.p.volume,
                    duration: seg as u16,
                }
                .to_bytes(),
            }
        };
        if c.ends_sent >= repeats {
            self.current = None;
            self.gap_left = self.cfg.gap;
        }
        self.clock = self.clock.wrapping_add(ptime);
        Some(pkt)
    }
}

/// What the receiver reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventNotice {
    /// An event began: start regenerating it toward the phone.
    Start {
        /// Event code.
        event: u8,
        /// Volume (−dBm0).
        volume: u8,
        /// Its RTP timestamp.
        timestamp: u32,
    },
    /// The event ended (E bit seen, a newer event started, or timeout).
    End {
        /// Event code.
        event: u8,
        /// Total duration in timestamp units (all segments).
        duration: u32,
        /// The RTP timestamp of its first segment.
        timestamp: u32,
    },
}

/// Receiver settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventReceiverConfig {
    /// End an event after this long without an update (all E packets lost); 2 × ptime
    /// plus a margin for jitter.
    pub timeout: Duration,
}

impl Default for EventReceiverConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_millis(2 * 20 + 50),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Current {
    first_ts: u32,
    seg_ts: u32,
    event: u8,
    base: u32,
    duration: u32,
    last_update: Instant,
}

/// Receives RFC 4733 events; see the module docs.
#[derive(Debug, Clone)]
pub struct TelephoneEventReceiver {
    cfg: EventReceiverConfig,
    current: Option<Current>,
    ended: [Option<u32>; 8],
    ended_pos: usize,
}

fn newer(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

impl TelephoneEventReceiver {
    /// A receiver with `cfg`.
    pub fn new(cfg: EventReceiverConfig) -> Self {
        Self {
            cfg,
            current: None,
            ended: [None; 8],
            ended_pos: 0,
        }
    }

    fn mark_ended(&mut self, ts: u32) {
        self.ended[self.ended_pos] = Some(ts);
        self.ended_pos = (self.ended_pos + 1) % self.ended.len();
    }

    fn finish(&mut self, emit: &mut impl FnMut(EventNotice)) {
        if let Some(c) = self.current.take() {
            emit(EventNotice::End {
                event: c.event,
                duration: c.base + c.duration,
                timestamp: c.first_ts,
            });
            self.mark_ended(c.seg_ts);
        }
    }

    /// Process a telephone-event packet's `timestamp` and `payload`, calling `emit`
    /// for each notice. A malformed payload is an error and changes nothing.
    pub fn receive(
        &mut self,
        now: Instant,
        timestamp: u32,
        payload: &[u8],
        mut emit: impl FnMut(EventNotice),
    ) -> std::result::Result<(), EventError> {
        let mut ts = timestamp;
        for ev in parse_payload(payload)? {
            self.report(now, ts, ev, &mut emit);
            // Several reports in one packet follow one another (RFC 4733 §2.5.1.5).
            ts = ts.wrapping_add(u32::from(ev.duration));
        }
        Ok(())
    }

    fn report(
        &mut self,
        now: Instant,
        ts: u32,
        ev: TelephoneEvent,
        emit: &mut impl FnMut(EventNotice),
    ) {
        if self.ended.contains(&Some(ts)) {
            return; // E retransmission or a late packet of a finished event
        }
        let dur = u32::from(ev.duration);
        if let Some(c) = self.current.as_mut() {
            if c.seg_ts == ts {
                c.duration = c.duration.max(dur);
                c.last_update = now;
                if ev.end {
                    self.finish(emit);
                }
                return;
            }
            if !newer(ts, c.seg_ts) {
                return; // older than the current event: stale
            }
            if ev.event == c.event && ts == c.seg_ts.wrapping_add(MAX_SEGMENT) {
                // §2.5.1.3: next segment of the same long event.
                let old = c.seg_ts;
                c.base += MAX_SEGMENT;
                c.seg_ts = ts;
                c.duration = dur;
                c.last_update = now;
                self.mark_ended(old);
                if ev.end {
                    self.finish(emit);
                }
                return;
            }
            self.finish(emit);
        }
        emit(EventNotice::Start {
            event: ev.event,
            volume: ev.volume,
            timestamp: ts,
        });
        self.current = Some(Current {
            first_ts: ts,
            seg_ts: ts,
            event: ev.event,
            base: 0,
            duration: dur,
            last_update: now,
        });
        if ev.end {
            self.finish(emit);
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) should run.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.current.map(|c| c.last_update + self.cfg.timeout)
    }

    /// End an event whose updates stopped (its E packets were lost).
    pub fn handle_timeout(&mut self, now: Instant, mut emit: impl FnMut(EventNotice)) {
        if self
            .current
            .is_some_and(|c| now.saturating_duration_since(c.last_update) >= self.cfg.timeout)
        {
            self.finish(&mut emit);
        }
    }

    /// An event is in progress.
    pub fn active(&self) -> Option<u8> {
        self.current.map(|c| c.event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)]
    fn epoch() -> Instant {
        Instant::now()
    }

    fn drain(tx: &mut TelephoneEventSender) -> Vec<EventPacket> {
        let mut v = Vec::new();
        for _ in 0..10_000 {
            if let Some(p) = tx.poll() {
                v.push(p);
            } else if tx.is_idle() {
                break;
            }
        }
        v
    }

    #[test]
    fn payload_is_strict() {
        // RFC 4733 §2.3: 4 bytes per report.
        assert!(parse_payload(&[]).is_err());
        assert_eq!(
            parse_payload(&[1, 2, 3]).err(),
            Some(EventError::BadLength(3))
        );
        assert!(parse_payload(&[1, 2, 3, 4, 5]).is_err());
        let e: Vec<_> = parse_payload(&[0x0B, 0x8A, 0x03, 0x20]).unwrap().collect();
        assert_eq!(
            e,
            vec![TelephoneEvent {
                event: 11,
                end: true,
                volume: 10,
                duration: 800
            }]
        );
        assert_eq!(e[0].to_bytes(), [0x0B, 0x8A, 0x03, 0x20]);
    }

    #[test]
    fn sender_sequence_marker_growth_and_three_ends() {
        // RFC 4733 §2.5.1.2–2.5.1.4: same timestamp, marker on the first, duration grows
        // by ptime, the final report (E) sent three times with the same duration.
        let mut tx = TelephoneEventSender::new(EventSenderConfig::default());
        tx.set_clock(8000);
        tx.queue(1, 10, 800).unwrap();
        let v = drain(&mut tx);
        assert_eq!(v.len(), 5 + 2);
        assert!(v.iter().all(|p| p.timestamp == 8000));
        assert!(v[0].marker && v[1..].iter().all(|p| !p.marker));
        let durs: Vec<u16> = v.iter().map(|p| p.event().duration).collect();
        assert_eq!(durs, vec![160, 320, 480, 640, 800, 800, 800]);
        let ends: Vec<bool> = v.iter().map(|p| p.event().end).collect();
        assert_eq!(ends, vec![false, false, false, false, true, true, true]);
    }

    #[test]
    fn live_event_and_minimum_duration() {
        let mut tx = TelephoneEventSender::new(EventSenderConfig::default());
        tx.set_clock(0);
        tx.start(EVENT_FLASH, 0).unwrap();
        let p1 = tx.poll().unwrap();
        assert!(p1.marker);
        assert_eq!(p1.event().event, 16);
        tx.stop(); // after 20 ms: minimum 40 ms applies
        let v = drain(&mut tx);
        assert_eq!(v[0].event().duration, 320);
        assert!(v[0].event().end);
        assert_eq!(v.len(), 3);
        assert!(tx.start(17, 0).is_err());
        assert!(tx.start(1, 64).is_err());
    }

    #[test]
    fn back_to_back_digits_get_new_timestamps_and_gap() {
        let cfg = EventSenderConfig::default();
        let mut tx = TelephoneEventSender::new(cfg);
        tx.set_clock(1000);
        tx.queue(5, 10, 480).unwrap();
        tx.queue(5, 10, 480).unwrap();
        let v = drain(&mut tx);
        let firsts: Vec<&EventPacket> = v.iter().filter(|p| p.marker).collect();
        assert_eq!(firsts.len(), 2);
        assert_eq!(firsts[0].timestamp, 1000);
        // 3 growing + 2 extra end packets (5 ticks), then a 400-unit gap (3 ticks).
        assert_eq!(firsts[1].timestamp, 1000 + 5 * 160 + 3 * 160);
    }

    #[test]
    fn long_event_splits_at_ffff() {
        // §2.5.1.3: reports saturate at 0xFFFF; a new segment starts at ts + 0xFFFF,
        // without the marker.
        let mut tx = TelephoneEventSender::new(EventSenderConfig::default());
        tx.set_clock(0);
        tx.queue(EVENT_FLASH, 0, 100_000).unwrap();
        let v = drain(&mut tx);
        let seg2: Vec<_> = v.iter().filter(|p| p.timestamp == 0xFFFF).collect();
        assert!(!seg2.is_empty());
        assert!(seg2.iter().all(|p| !p.marker));
        assert!(v
            .iter()
            .any(|p| p.timestamp == 0 && p.event().duration == 0xFFFF && !p.event().end));
        let last = v.last().unwrap();
        assert!(last.event().end);
        assert_eq!(u32::from(last.event().duration) + 0xFFFF, 100_000);
        // The receiver rebuilds one event of the full length.
        let mut rx = TelephoneEventReceiver::new(EventReceiverConfig::default());
        let mut n = Vec::new();
        let t = epoch();
        for p in &v {
            rx.receive(t, p.timestamp, &p.payload, |e| n.push(e))
                .unwrap();
        }
        assert_eq!(
            n,
            vec![
                EventNotice::Start {
                    event: 16,
                    volume: 0,
                    timestamp: 0
                },
                EventNotice::End {
                    event: 16,
                    duration: 100_000,
                    timestamp: 0
                }
            ]
        );
    }

    fn run(packets: &[EventPacket], order: &[usize]) -> Vec<EventNotice> {
        let mut rx = TelephoneEventReceiver::new(EventReceiverConfig::default());
        let t = epoch();
        let mut n = Vec::new();
        for &i in order {
            let p = packets[i];
            rx.receive(t, p.timestamp, &p.payload, |e| n.push(e))
                .unwrap();
        }
        rx.handle_timeout(t + Duration::from_secs(1), |e| n.push(e));
        n
    }

    #[test]
    fn receiver_dedupes_reorders_and_times_out() {
        let mut tx = TelephoneEventSender::new(EventSenderConfig::default());
        tx.set_clock(0);
        tx.queue(3, 7, 640).unwrap();
        tx.queue(9, 7, 640).unwrap();
        let v = drain(&mut tx);
        let want = vec![
            EventNotice::Start {
                event: 3,
                volume: 7,
                timestamp: 0,
            },
            EventNotice::End {
                event: 3,
                duration: 640,
                timestamp: 0,
            },
            EventNotice::Start {
                event: 9,
                volume: 7,
                timestamp: v[6..].iter().find(|p| p.marker).unwrap().timestamp,
            },
            EventNotice::End {
                event: 9,
                duration: 640,
                timestamp: v[6..].iter().find(|p| p.marker).unwrap().timestamp,
            },
        ];
        let all: Vec<usize> = (0..v.len()).collect();
        assert_eq!(run(&v, &all), want);
        // Every packet twice, pairs swapped: same notices.
        let mut dup: Vec<usize> = Vec::new();
        for i in (0..v.len()).step_by(2) {
            if i + 1 < v.len() {
                dup.extend([i + 1, i, i + 1, i]);
            } else {
                dup.extend([i, i]);
            }
        }
        assert_eq!(run(&v, &dup), want);
        // All E packets of the second event lost: it ends by timeout with what was
        // last heard.
        let no_end: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| !(v[i].event().end && v[i].event().event == 9))
            .collect();
        let got = run(&v, &no_end);
        assert_eq!(got.len(), 4);
        assert!(matches!(
            got[3],
            EventNotice::End {
                event: 9,
                duration: 480,
                ..
            }
        ));
        // All end packets of the first event lost: it ends when the second starts.
        let no_first_end: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| !(v[i].event().end && v[i].event().event == 3))
            .collect();
        let got = run(&v, &no_first_end);
        assert_eq!(got.len(), 4);
        assert!(matches!(
            got[1],
            EventNotice::End {
                event: 3,
                duration: 480,
                ..
            }
        ));
        // Only the last E packet of the first event arrives: start + end once.
        let got = run(&v, &[4]);
        assert_eq!(got.len(), 2);
        // Stale packets of the first event after the second started are ignored.
        let mut late = all.clone();
        late.extend([0, 1, 2]);
        assert_eq!(run(&v, &late), want);
    }

    #[test]
    fn receiver_timeout_deadline() {
        let mut rx = TelephoneEventReceiver::new(EventReceiverConfig::default());
        let t = epoch();
        let mut n = Vec::new();
        let p = TelephoneEvent {
            event: 1,
            end: false,
            volume: 5,
            duration: 160,
        };
        rx.receive(t, 100, &p.to_bytes(), |e| n.push(e)).unwrap();
        assert_eq!(rx.poll_timeout(), Some(t + Duration::from_millis(90)));
        rx.handle_timeout(t + Duration::from_millis(89), |e| n.push(e));
        assert_eq!(rx.active(), Some(1));
        rx.handle_timeout(t + Duration::from_millis(90), |e| n.push(e));
        assert_eq!(rx.active(), None);
        assert_eq!(n.len(), 2);
        assert!(rx.receive(t, 100, &[1, 2], |_| {}).is_err());
    }
}

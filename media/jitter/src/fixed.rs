//! A fixed-delay baseline buffer: [`FixedBuffer`].
//!
//! Playout starts `delay_ms` after the first packet arrives and then advances exactly one
//! frame per pull: no adaptation, no time-stretch, no drift correction. A packet arriving
//! after its playout time is discarded; a missing one is replaced by zeros
//! ([`Concealment::ZeroFill`], the classic "no PLC" baseline) or by the decoder's own
//! concealment ([`Concealment::Decoder`]). It exists to be compared against
//! [`crate::JitterBuffer`].

use std::collections::VecDeque;
use std::time::Instant;

use tipring_codec::Decoder;

use crate::store::{extend_seq, extend_ts, SeqWindow, Store};
use crate::{DiscardReason, FrameKind, InsertOutcome, Packet, PayloadKind, PlayoutFrame, Result};

/// How a [`FixedBuffer`] fills missing audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Concealment {
    /// Zeros (silence).
    ZeroFill,
    /// `Decoder::conceal` (e.g. G.711 Appendix I).
    Decoder,
}

/// Configuration of a [`FixedBuffer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedConfig {
    /// Delay between the first packet's arrival and its playout, ms.
    pub delay_ms: u32,
    /// Pull period, ms (5..=60).
    pub frame_ms: u32,
    /// RTP clock rate; `None` takes it from the decoder's codec.
    pub clock_rate: Option<u32>,
    /// What replaces missing audio.
    pub concealment: Concealment,
    /// At most this many packets are buffered (later ones are discarded beyond).
    pub max_packets: usize,
    /// Larger payloads are discarded.
    pub max_payload: usize,
}

impl Default for FixedConfig {
    fn default() -> Self {
        Self {
            delay_ms: 60,
            frame_ms: 10,
            clock_rate: None,
            concealment: Concealment::ZeroFill,
            max_packets: 100,
            max_payload: 1500,
        }
    }
}

/// Counters of a [`FixedBuffer`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FixedStats {
    /// Packets accepted.
    pub received: u64,
    /// Packets discarded as late (after their playout time).
    pub late: u64,
    /// Packets discarded as duplicates or because the buffer was full.
    pub other_discarded: u64,
    /// Samples filled by concealment or zeros.
    pub concealed_samples: u64,
}

/// The fixed-delay baseline buffer: playout starts `delay_ms` after the first arrival and
/// advances one frame per pull; late packets are discarded, missing audio zero-filled or
/// concealed by the decoder ([`Concealment`]).
#[derive(Debug)]
pub struct FixedBuffer<D: Decoder> {
    cfg: FixedConfig,
    decoder: D,
    rate: u32,
    clock: u32,
    frame: usize,
    epoch: Option<Instant>,
    ssrc: Option<u32>,
    hi_seq: i64,
    ts_ref: i64,
    start_us: Option<i64>,
    play_ts: i64,
    store: Store,
    seen: SeqWindow,
    sync: VecDeque<i16>,
    scratch: Vec<i16>,
    out: Vec<i16>,
    stats: FixedStats,
}

impl<D: Decoder> FixedBuffer<D> {
    /// A fixed buffer feeding `decoder`.
    pub fn new(cfg: FixedConfig, decoder: D) -> Result<Self> {
        use crate::Error::InvalidConfig as E;
        let rate = decoder.sample_rate();
        let clock = cfg
            .clock_rate
            .unwrap_or_else(|| decoder.codec().rtp_clock_rate());
        if clock == 0 || rate == 0 || clock > 192_000 || rate > 192_000 {
            return Err(E("clock and sample rate must be 1..=192000 Hz"));
        }
        if !(5..=60).contains(&cfg.frame_ms) || !(rate * cfg.frame_ms).is_multiple_of(1000) {
            return Err(E("frame_ms must be 5..=60 and a whole number of samples"));
        }
        if cfg.delay_ms > 5000 || cfg.max_packets == 0 || cfg.max_payload == 0 {
            return Err(E("need delay_ms <= 5000, max_packets > 0, max_payload > 0"));
        }
        let frame = (rate * cfg.frame_ms / 1000) as usize;
        Ok(Self {
            decoder,
            rate,
            clock,
            frame,
            epoch: None,
            ssrc: None,
            hi_seq: 0,
            ts_ref: 0,
            start_us: None,
            play_ts: 0,
            store: Store::new(cfg.max_packets, cfg.max_payload),
            seen: SeqWindow::new(),
            sync: VecDeque::with_capacity(4 * frame + rate as usize / 4),
            scratch: Vec::with_capacity(rate as usize / 4),
            out: vec![0; frame],
            stats: FixedStats::default(),
            cfg,
        })
    }

    /// PCM samples per pulled frame.
    pub fn frame_samples(&self) -> usize {
        self.frame
    }

    /// Packets waiting in the buffer.
    pub fn buffered_packets(&self) -> usize {
        self.store.len()
    }

    /// Decoded samples waiting to be played.
    pub fn buffered_samples(&self) -> usize {
        self.sync.len()
    }

    /// The decoder.
    pub fn decoder(&self) -> &D {
        &self.decoder
    }

    /// Counters so far.
    pub fn stats(&self) -> FixedStats {
        self.stats
    }

    /// Offers an arriving packet.
    pub fn insert(&mut self, p: &Packet<'_>) -> InsertOutcome {
        let t = self.us(p.arrival);
        if self.ssrc != Some(p.ssrc) {
            // New stream: restart the fixed timeline from this packet.
            while let Some(s) = self.store.pop_front() {
                self.store.recycle(s);
            }
            self.sync.clear();
            self.seen.clear();
            self.decoder.reset();
            self.ssrc = Some(p.ssrc);
            self.hi_seq = (1 << 16) + i64::from(p.seq);
            self.ts_ref = (1 << 32) + i64::from(p.timestamp);
            self.play_ts = self.ts_ref;
            self.start_us = Some(t + i64::from(self.cfg.delay_ms) * 1000);
        }
        let ext_seq = extend_seq(self.hi_seq, p.seq);
        let ext_ts = extend_ts(self.ts_ref, p.timestamp);
        if p.payload.len() > self.cfg.max_payload
            || self.store.len() >= self.cfg.max_packets
            || matches!(p.kind, PayloadKind::ComfortNoise { .. })
        {
            self.stats.other_discarded += 1;
            return InsertOutcome::Discarded(DiscardReason::Overflow);
        }
        match self.seen.get(ext_seq) {
            Some(true) => {
                self.stats.other_discarded += 1;
                return InsertOutcome::Discarded(DiscardReason::Duplicate);
            }
            None => {
                self.stats.late += 1;
                return InsertOutcome::Discarded(DiscardReason::Late);
            }
            Some(false) => {}
        }
        self.seen.mark(ext_seq);
        if ext_ts < self.play_ts || self.store.contains(ext_ts) {
            self.stats.late += 1;
            return InsertOutcome::Discarded(DiscardReason::Late);
        }
        if ext_seq > self.hi_seq {
            self.hi_seq = ext_seq;
            self.ts_ref = ext_ts;
        }
        self.store
            .insert(ext_ts, ext_seq, ext_ts, p.marker, None, p.payload);
        self.stats.received += 1;
        InsertOutcome::Accepted
    }

    /// The next frame; call every `frame_ms`.
    pub fn pull(&mut self, now: Instant) -> PlayoutFrame<'_> {
        let t = self.us(now);
        let mut kind = FrameKind::Normal;
        let mut timestamp = None;
        match self.start_us {
            None => {
                self.sync.extend(std::iter::repeat_n(0, self.frame));
                kind = FrameKind::Silence;
            }
            Some(start) if t + i64::from(self.cfg.frame_ms) * 1000 <= start => {
                self.sync.extend(std::iter::repeat_n(0, self.frame));
                kind = FrameKind::Silence;
            }
            Some(start) => {
                if t < start {
                    // Start mid-frame, exactly `delay_ms` after the first arrival.
                    let k = ((start - t) as u64 * u64::from(self.rate)).div_ceil(1_000_000);
                    self.sync.extend(std::iter::repeat_n(0, k as usize));
                    self.start_us = Some(t);
                }
                timestamp = Some(
                    (self.play_ts
                        - (self.sync.len() as u64 * u64::from(self.clock) / u64::from(self.rate))
                            as i64) as u32,
                );
                while self.sync.len() < self.frame {
                    if self.fill_one() {
                        kind = FrameKind::Concealed;
                    }
                }
            }
        }
        for (o, s) in self.out.iter_mut().zip(self.sync.drain(..self.frame)) {
            *o = s;
        }
        PlayoutFrame {
            pcm: &self.out,
            kind,
            timestamp,
        }
    }

    /// Adds audio at `play_ts`; `true` when it had to conceal.
    fn fill_one(&mut self) -> bool {
        while self.store.front().is_some_and(|f| f.ext_ts < self.play_ts) {
            if let Some(s) = self.store.pop_front() {
                self.stats.late += 1;
                self.store.recycle(s);
            }
        }
        let need = self.frame - self.sync.len();
        if self.store.front().is_some_and(|f| f.ext_ts == self.play_ts) {
            if let Some(pkt) = self.store.pop_front() {
                self.scratch.clear();
                let n = self
                    .decoder
                    .decode(&pkt.payload, &mut self.scratch)
                    .unwrap_or(0);
                self.store.recycle(pkt);
                if n > 0 {
                    self.sync.extend(self.scratch.drain(..));
                    self.play_ts +=
                        (n as u64 * u64::from(self.clock) / u64::from(self.rate)) as i64;
                    return false;
                }
            }
        }
        // Missing: fill up to the next packet or the end of this frame.
        let gap = self.store.front().map_or(usize::MAX, |f| {
            ((f.ext_ts - self.play_ts) as u64 * u64::from(self.rate) / u64::from(self.clock))
                as usize
        });
        let n = need.min(gap.max(1));
        match self.cfg.concealment {
            Concealment::ZeroFill => self.sync.extend(std::iter::repeat_n(0, n)),
            Concealment::Decoder => {
                self.scratch.clear();
                self.decoder.conceal(n, &mut self.scratch);
                self.scratch.resize(n, 0);
                self.sync.extend(self.scratch.drain(..));
            }
        }
        self.stats.concealed_samples += n as u64;
        self.play_ts += ((n as u64 * u64::from(self.clock) / u64::from(self.rate)) as i64).max(1);
        true
    }

    fn us(&mut self, at: Instant) -> i64 {
        let epoch = *self.epoch.get_or_insert(at);
        match at.checked_duration_since(epoch) {
            Some(d) => d.as_micros().min(i64::MAX as u128) as i64,
            None => -(epoch.duration_since(at).as_micros().min(i64::MAX as u128) as i64),
        }
    }
}

//! The adaptive jitter buffer: [`JitterBuffer`].

use std::collections::VecDeque;
use std::time::Instant;

use tipring_codec::Decoder;

use crate::delay::{DelayEstimator, DelayParams};
use crate::noise::{NoiseSource, WhiteNoise};
use crate::store::{extend_seq, extend_ts, SeqWindow, Store, MAX_DROPOUT, MAX_MISORDER};
use crate::stretch::{Stretcher, URGENT_CORR, VOICED_CORR};
use crate::{
    DiscardReason, Event, FrameKind, InsertOutcome, Packet, PayloadKind, PlayoutFrame, Result,
};

/// Extended sequence numbers start in cycle 1 so that packets reordered before the first
/// one stay positive.
const SEQ_ORIGIN: i64 = 1 << 16;
/// Extended timestamps start in cycle 1 for the same reason.
const TS_ORIGIN: i64 = 1 << 32;
/// Missed sequence numbers remembered at most (beyond, the oldest is declared lost).
const MISSED_CAP: usize = 512;
/// Playout delay above target (µs) that starts accelerating.
const ACCEL_MARGIN_US: i64 = 5_000;
/// How long (µs) the delay may stay above target waiting for a pause before voiced
/// audio is shortened too (continuous audio such as music on hold has no pauses).
const VOICED_AFTER_US: i64 = 3_000_000;
/// Slack below target (µs) that starts a preemptive expand in a pause.
const EXPAND_MARGIN_US: i64 = 1_000;
/// Slack below target (µs) that starts a preemptive expand in voiced speech too.
const EXPAND_VOICED_MARGIN_US: i64 = 2_000;
/// Quiet audio played for this long (ms) makes a pause, where the delay may move freely.
const PAUSE_MS: u32 = 120;
/// Buffer level above target (µs) where unvoiced audio may be shortened too.
const URGENT_MARGIN_US: i64 = 80_000;
/// After a pitch search that found no clean cut or repetition, wait this long (µs) before
/// the next: noise-like audio would otherwise be searched on every pull for nothing.
const SEARCH_BACKOFF_US: i64 = 40_000;
/// Sequence numbers of non-audio packets remembered ([`JitterBuffer::note_foreign`]).
const FOREIGN_CAP: usize = 64;
/// Safety bound on the work of one pull (each step makes progress; this only guards bugs).
const MAX_STEPS_PER_PULL: usize = 256;

/// Configuration of a [`JitterBuffer`]. [`Default`] suits G.711 at 10 ms frames.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// RTP clock rate in Hz; `None` takes it from the decoder's codec
    /// ([`tipring_codec::CodecId::rtp_clock_rate`]: not always the PCM rate, G.722 runs an
    /// 8000 Hz clock over 16 kHz audio, Opus 48000 Hz).
    pub clock_rate: Option<u32>,
    /// Pull period in ms (the caller pulls one frame this often): 10 or 20 usually,
    /// 5..=60 accepted.
    pub frame_ms: u32,
    /// Smallest target delay, ms.
    pub min_delay_ms: u32,
    /// The absolute maximum delay, ms (RFC 3611 §4.7.7 "JB abs max"): the target never
    /// exceeds it, and a missing packet is declared lost this long after its playout time.
    pub max_delay_ms: u32,
    /// Target delay before any measurement, ms.
    pub start_delay_ms: u32,
    /// `true`: the target follows the measured delay; `false`: it stays at
    /// `start_delay_ms` (time-stretch still holds it there against clock drift).
    pub adaptive: bool,
    /// Quantile of the delay histogram used as target (0.95 like NetEQ).
    pub quantile: f64,
    /// Forgetting factor of the delay histogram, per resample interval.
    pub forget_factor: f64,
    /// The histogram takes the largest relative delay of each interval this long, ms.
    pub resample_interval_ms: u32,
    /// At most this many packets are buffered (oldest dropped first beyond).
    pub max_packets: usize,
    /// At most this many payload bytes are buffered.
    pub max_bytes: usize,
    /// Larger payloads are discarded.
    pub max_payload: usize,
    /// When the buffer runs dry, conceal at most this long (ms) before playing silence.
    pub max_expand_ms: u32,
    /// Event queue bound (oldest dropped and counted beyond); 0 disables events.
    pub max_events: usize,
    /// Seed of the comfort-noise generator.
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            clock_rate: None,
            frame_ms: 10,
            min_delay_ms: 0,
            max_delay_ms: 500,
            start_delay_ms: 40,
            adaptive: true,
            quantile: 0.95,
            forget_factor: 0.983,
            resample_interval_ms: 500,
            max_packets: 100,
            max_bytes: 64 * 1024,
            max_payload: 1500,
            max_expand_ms: 100,
            max_events: 1024,
            seed: 0,
        }
    }
}

impl Config {
    fn validate(&self, clock: u32, rate: u32) -> Result<()> {
        use crate::Error::InvalidConfig as E;
        if clock == 0 || clock > 192_000 {
            return Err(E("clock_rate must be 1..=192000 Hz"));
        }
        if rate == 0 || rate > 192_000 {
            return Err(E("decoder sample rate must be 1..=192000 Hz"));
        }
        if !(5..=60).contains(&self.frame_ms) || !(rate * self.frame_ms).is_multiple_of(1000) {
            return Err(E("frame_ms must be 5..=60 and a whole number of samples"));
        }
        if self.max_delay_ms == 0 || self.max_delay_ms > 5000 {
            return Err(E("max_delay_ms must be 1..=5000"));
        }
        if self.min_delay_ms > self.start_delay_ms || self.start_delay_ms > self.max_delay_ms {
            return Err(E("need min_delay_ms <= start_delay_ms <= max_delay_ms"));
        }
        if !(self.quantile > 0.0 && self.quantile < 1.0) {
            return Err(E("quantile must be in (0, 1)"));
        }
        if !(self.forget_factor > 0.0 && self.forget_factor < 1.0) {
            return Err(E("forget_factor must be in (0, 1)"));
        }
        if self.resample_interval_ms == 0 {
            return Err(E("resample_interval_ms must be > 0"));
        }
        if self.max_packets == 0 || self.max_packets > 10_000 {
            return Err(E("max_packets must be 1..=10000"));
        }
        if self.max_payload == 0 || self.max_bytes < self.max_payload {
            return Err(E("need 0 < max_payload <= max_bytes"));
        }
        if self.max_expand_ms > 5000 {
            return Err(E("max_expand_ms must be <= 5000"));
        }
        Ok(())
    }
}

/// Counters and delay figures, for RTCP XR VoIP metrics (RFC 3611 §4.7).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    /// Packets accepted into the buffer.
    pub received: u64,
    /// Packets that never arrived by their playout time (and not within the absolute
    /// maximum delay after it).
    pub lost: u64,
    /// Packets discarded: `late + duplicate + overflow + out_of_range + flushed`.
    pub discarded: u64,
    /// Discarded because they arrived after their playout time.
    pub late: u64,
    /// Discarded as duplicates.
    pub duplicate: u64,
    /// Discarded because the buffer was full (or the payload too large).
    pub overflow: u64,
    /// Discarded as a sequence/timestamp jump not (yet) confirmed as a new stream.
    pub out_of_range: u64,
    /// Discarded by a stream reset (SSRC change, confirmed jump, [`JitterBuffer::reset`]).
    pub flushed: u64,
    /// Payloads the decoder rejected (played as concealment).
    pub decode_errors: u64,
    /// Target ("nominal") playout delay, ms.
    pub nominal_delay_ms: u32,
    /// Playout delay of the last pulled frame of decoded audio, ms (relative to the
    /// fastest packet).
    pub current_delay_ms: u32,
    /// Largest playout delay seen, ms.
    pub max_delay_ms: u32,
    /// The configured absolute maximum delay, ms.
    pub abs_max_delay_ms: u32,
    /// Whether the buffer adapts its delay (RFC 3611 JBA: 3 adaptive, 2 non-adaptive).
    pub adaptive: bool,
    /// Samples produced by concealment.
    pub concealed_samples: u64,
    /// Concealment episodes (runs of concealed frames).
    pub concealment_events: u64,
    /// Accelerate operations (time compression).
    pub accelerate_count: u64,
    /// Preemptive-expand operations (time expansion).
    pub expand_count: u64,
    /// Samples removed by accelerate.
    pub samples_removed: u64,
    /// Samples inserted by preemptive expand.
    pub samples_inserted: u64,
    /// Frames pulled, by kind: normal, concealed, expanded, accelerated, comfort noise,
    /// silence.
    pub frames: [u64; 6],
    /// Events dropped because the queue was full.
    pub events_dropped: u64,
    /// 95th percentile of the measured network jitter (relative delay), ms.
    pub jitter_p95_ms: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// No stream yet (or just reset).
    Idle,
    /// A talkspurt (or the stream) starts at `end_ts`; play it when its delay reaches the
    /// target.
    Waiting,
    /// Decoding continuously.
    Playing,
    /// Comfort noise after a CN packet.
    Cn,
}

/// What one pull produced, before reducing to a [`FrameKind`].
#[derive(Debug, Default, Clone, Copy)]
struct Produced {
    normal: bool,
    concealed: bool,
    cn: bool,
    silence: bool,
}

/// Adaptive jitter buffer with decoder-owned concealment and time-stretching.
///
/// Sans-IO: [`JitterBuffer::insert`] every arriving packet (with its arrival time) and
/// [`JitterBuffer::pull`] one frame every [`Config::frame_ms`]. See the
/// [crate docs](crate) for the model and an example.
#[derive(Debug)]
pub struct JitterBuffer<D: Decoder> {
    cfg: Config,
    decoder: D,
    noise: Box<dyn NoiseSource>,
    rate: u32,
    clock: u32,
    frame: usize,
    tol_ts: i64,
    epoch: Option<Instant>,
    // Stream state.
    ssrc: Option<u32>,
    hi_seq: i64,
    ts_ref: i64,
    ts_origin: i64,
    probation: Option<(u16, u32)>,
    store: Store,
    seen: SeqWindow,
    // Playout state.
    mode: Mode,
    end_ts: i64,
    last_seq: Option<i64>,
    sync: VecDeque<i16>,
    scratch: Vec<i16>,
    out: Vec<i16>,
    /// The last samples played (for expand).
    hist: Vec<i16>,
    /// Quiet samples played in a row (a pause when long enough).
    quiet_run: usize,
    /// Since when the delay has been above target (µs), if it is.
    excess_since: Option<i64>,
    stall: usize,
    silent: bool,
    in_concealment: bool,
    cn_level: Option<u8>,
    missed: VecDeque<(i64, i64)>,
    /// No periodic (pitch) search before this time (µs): the last one failed.
    search_after: i64,
    /// Extended sequence numbers the stream spent on other payloads (RFC 4733 events):
    /// neither lost nor a break in the sequence.
    foreign: VecDeque<i64>,
    delay: DelayEstimator,
    stretcher: Stretcher,
    stats: Stats,
    events: VecDeque<Event>,
}

impl<D: Decoder> JitterBuffer<D> {
    /// A buffer feeding `decoder`. Fails on an inconsistent [`Config`].
    pub fn new(cfg: Config, decoder: D) -> Result<Self> {
        let rate = decoder.sample_rate();
        let clock = cfg
            .clock_rate
            .unwrap_or_else(|| decoder.codec().rtp_clock_rate());
        cfg.validate(clock, rate)?;
        let frame = (rate * cfg.frame_ms / 1000) as usize;
        let stretcher = Stretcher::new(rate);
        let sync_cap = 4 * (frame + 2 * stretcher.max_lag) + rate as usize / 4;
        let delay = DelayEstimator::new(DelayParams {
            quantile: cfg.quantile,
            forget: cfg.forget_factor,
            resample_us: i64::from(cfg.resample_interval_ms) * 1000,
            max_us: i64::from(cfg.max_delay_ms) * 1000,
        });
        Ok(Self {
            decoder,
            noise: Box::new(WhiteNoise::new(cfg.seed)),
            rate,
            clock,
            frame,
            tol_ts: i64::from(clock / 1000).max(1),
            epoch: None,
            ssrc: None,
            hi_seq: 0,
            ts_ref: 0,
            ts_origin: 0,
            probation: None,
            store: Store::new(cfg.max_packets, cfg.max_payload),
            seen: SeqWindow::new(),
            mode: Mode::Idle,
            end_ts: 0,
            last_seq: None,
            sync: VecDeque::with_capacity(sync_cap),
            scratch: Vec::with_capacity(sync_cap),
            out: vec![0; frame],
            hist: Vec::with_capacity(stretcher.max_lag + frame),
            quiet_run: 0,
            excess_since: None,
            stall: 0,
            silent: false,
            in_concealment: false,
            cn_level: None,
            missed: VecDeque::with_capacity(MISSED_CAP),
            search_after: i64::MIN,
            foreign: VecDeque::with_capacity(FOREIGN_CAP),
            delay,
            stretcher,
            stats: Stats {
                abs_max_delay_ms: cfg.max_delay_ms,
                adaptive: cfg.adaptive,
                nominal_delay_ms: cfg.start_delay_ms,
                ..Stats::default()
            },
            events: VecDeque::with_capacity(cfg.max_events.min(4096)),
            cfg,
        })
    }

    /// Replaces the comfort-noise generator (e.g. with an RFC 3389 spectral one).
    pub fn set_noise_source(&mut self, noise: Box<dyn NoiseSource>) {
        self.noise = noise;
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// PCM samples per pulled frame.
    pub fn frame_samples(&self) -> usize {
        self.frame
    }

    /// The decoder.
    pub fn decoder(&self) -> &D {
        &self.decoder
    }

    /// The decoder, mutably.
    pub fn decoder_mut(&mut self) -> &mut D {
        &mut self.decoder
    }

    /// Packets waiting in the buffer.
    pub fn buffered_packets(&self) -> usize {
        self.store.len()
    }

    /// Decoded samples waiting to be played.
    pub fn buffered_samples(&self) -> usize {
        self.sync.len()
    }

    /// The current target delay in ms.
    pub fn target_delay_ms(&mut self) -> u32 {
        (self.target_us() / 1000) as u32
    }

    /// A snapshot of the statistics.
    pub fn stats(&self) -> Stats {
        let mut s = self.stats;
        s.jitter_p95_ms = self.delay.jitter_p95_us() as f64 / 1000.0;
        s
    }

    /// The next per-packet event, oldest first.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Forgets the stream (e.g. on a re-INVITE to another source): buffered packets are
    /// flushed, pending losses are declared, the decoder is reset. The delay histogram is
    /// kept: the network did not change.
    pub fn reset(&mut self) {
        self.reset_stream();
    }

    /// A packet of the same stream that carried something else than audio (RFC 4733
    /// telephone-events share the audio's SSRC and sequence numbers, RFC 4733 §2.1): its
    /// sequence number is not a loss, and audio resuming after it is contiguous.
    pub fn note_foreign(&mut self, ssrc: u32, seq: u16) {
        if self.ssrc != Some(ssrc) {
            return;
        }
        let ext = extend_seq(self.hi_seq, seq);
        let dseq = ext - self.hi_seq;
        if !(-MAX_MISORDER..=MAX_DROPOUT).contains(&dseq) || self.seen.get(ext) != Some(false) {
            return;
        }
        self.seen.mark(ext);
        if dseq > 0 {
            self.hi_seq = ext;
        }
        if self.foreign.len() == FOREIGN_CAP {
            self.foreign.pop_front();
        }
        self.foreign.push_back(ext);
    }

    /// Offers an arriving packet. Never fails: bad packets are counted and reported.
    pub fn insert(&mut self, p: &Packet<'_>) -> InsertOutcome {
        let t = self.us(p.arrival);
        if self.ssrc.is_some_and(|s| s != p.ssrc) {
            self.reset_stream();
        }
        if self.ssrc.is_none() {
            self.start_stream(p);
        }
        let mut ext_seq = extend_seq(self.hi_seq, p.seq);
        let mut ext_ts = extend_ts(self.ts_ref, p.timestamp);
        if p.payload.len() > self.cfg.max_payload {
            return self.discard(ext_seq, DiscardReason::Overflow);
        }

        // RFC 3550 A.1: a large sequence jump (or a timestamp far off the arrival-time
        // mapping) is a restart only when the next packet confirms it.
        let dseq = ext_seq - self.hi_seq;
        let media = self.media_us(ext_ts);
        let threshold = (2 * i64::from(self.cfg.max_delay_ms) * 1000).max(2_000_000);
        let far = self
            .delay
            .relative_delay(t, media)
            .is_some_and(|r| r.abs() > threshold);
        if !(-MAX_MISORDER..=MAX_DROPOUT).contains(&dseq) || far {
            let confirmed = self.probation.is_some_and(|(s, ts)| {
                s == p.seq
                    && (i64::from(p.timestamp.wrapping_sub(ts) as i32)).abs()
                        < 2 * i64::from(self.clock)
            });
            if !confirmed {
                self.probation = Some((p.seq.wrapping_add(1), p.timestamp));
                return self.discard(ext_seq, DiscardReason::OutOfRange);
            }
            self.reset_stream();
            self.start_stream(p);
            ext_seq = extend_seq(self.hi_seq, p.seq);
            ext_ts = extend_ts(self.ts_ref, p.timestamp);
        }
        self.probation = None;
        let media = self.media_us(ext_ts);

        match self.seen.get(ext_seq) {
            Some(true) => return self.discard(ext_seq, DiscardReason::Duplicate),
            None => return self.discard(ext_seq, DiscardReason::Late),
            Some(false) => {}
        }
        self.seen.mark(ext_seq);
        // Late arrivals still tell how late the network is.
        self.delay.update(t, media);
        if let Some(i) = self.missed.iter().position(|&(s, _)| s == ext_seq) {
            self.missed.remove(i);
            return self.discard(ext_seq, DiscardReason::Late);
        }
        let behind_seq = self.last_seq.is_some_and(|l| ext_seq <= l);
        let behind_ts =
            matches!(self.mode, Mode::Playing | Mode::Cn) && ext_ts < self.end_ts - self.tol_ts;
        if behind_seq || behind_ts {
            return self.discard(ext_seq, DiscardReason::Late);
        }
        if dseq > 0 {
            self.hi_seq = ext_seq;
            self.ts_ref = ext_ts;
        }

        // Bounded memory: drop the oldest packets (those closest to playout) first.
        let len = p.payload.len();
        while self.store.len() >= self.cfg.max_packets
            || self.store.bytes() + len > self.cfg.max_bytes
        {
            match self.store.front() {
                Some(f) if f.key < ext_seq => {
                    if let Some(old) = self.store.pop_front() {
                        let s = old.ext_seq;
                        self.store.recycle(old);
                        self.discard(s, DiscardReason::Overflow);
                    }
                }
                _ => return self.discard(ext_seq, DiscardReason::Overflow),
            }
        }
        let cn = match p.kind {
            PayloadKind::Audio => None,
            PayloadKind::ComfortNoise { level_dbov } => Some(level_dbov),
        };
        self.store
            .insert(ext_seq, ext_seq, ext_ts, p.marker, cn, p.payload);
        if self.mode == Mode::Idle {
            self.mode = Mode::Waiting;
            self.end_ts = ext_ts;
        }
        self.stats.received += 1;
        self.push_event(Event::Received {
            seq: ext_seq.max(0) as u64,
        });
        InsertOutcome::Accepted
    }

    /// Produces the next frame of [`JitterBuffer::frame_samples`] samples; call every
    /// [`Config::frame_ms`].
    pub fn pull(&mut self, now: Instant) -> PlayoutFrame<'_> {
        let (kind, timestamp) = self.pull_inner(now);
        PlayoutFrame {
            pcm: &self.out,
            kind,
            timestamp,
        }
    }

    /// Like [`JitterBuffer::pull`], writing into `out` (`out.len()` must equal
    /// [`JitterBuffer::frame_samples`]; a shorter or longer `out` gets the common prefix).
    pub fn pull_into(&mut self, now: Instant, out: &mut [i16]) -> (FrameKind, Option<u32>) {
        let r = self.pull_inner(now);
        let n = out.len().min(self.out.len());
        out[..n].copy_from_slice(&self.out[..n]);
        r
    }

    fn pull_inner(&mut self, now: Instant) -> (FrameKind, Option<u32>) {
        let t = self.us(now);
        self.finalize_missed(t);
        let produced = self.fill(t);
        let mut kind = if produced.concealed {
            FrameKind::Concealed
        } else if produced.normal {
            FrameKind::Normal
        } else if produced.cn {
            FrameKind::ComfortNoise
        } else {
            FrameKind::Silence
        };

        let mut timestamp = None;
        if self.mode == Mode::Playing || (self.mode == Mode::Waiting && produced.normal) {
            if kind == FrameKind::Normal && self.stall == 0 {
                kind = self.stretch(t);
            }
            let front_ts = self.end_ts - self.pcm_to_ts(self.sync.len());
            timestamp = Some(front_ts as u32);
            if produced.normal && !produced.concealed {
                let d = t - self.delay.base_us().unwrap_or(t) - self.media_us(front_ts);
                let d_ms = (d.max(0) / 1000) as u32;
                self.stats.current_delay_ms = d_ms;
                self.stats.max_delay_ms = self.stats.max_delay_ms.max(d_ms);
            }
        }
        self.stats.nominal_delay_ms = (self.target_us() / 1000) as u32;

        for (o, s) in self.out.iter_mut().zip(self.sync.drain(..self.frame)) {
            *o = s;
        }
        self.hist.extend_from_slice(&self.out);
        if crate::stretch::rms(&self.out) < crate::stretch::LOW_ENERGY_RMS {
            self.quiet_run = self.quiet_run.saturating_add(self.frame);
        } else {
            self.quiet_run = 0;
        }
        let excess = self.hist.len().saturating_sub(self.stretcher.max_lag);
        self.hist.drain(..excess);
        let idx = match kind {
            FrameKind::Normal => 0,
            FrameKind::Concealed => 1,
            FrameKind::Expanded => 2,
            FrameKind::Accelerated => 3,
            FrameKind::ComfortNoise => 4,
            FrameKind::Silence => 5,
        };
        self.stats.frames[idx] += 1;
        (kind, timestamp)
    }

    /// Fills the sync buffer up to one frame.
    fn fill(&mut self, t: i64) -> Produced {
        let mut p = Produced::default();
        let mut concealed_now = false;
        for _ in 0..MAX_STEPS_PER_PULL {
            let need = match self.frame.checked_sub(self.sync.len()) {
                Some(n) if n > 0 => n,
                _ => break,
            };
            match self.mode {
                Mode::Idle => {
                    self.push_quiet(need, &mut p);
                }
                Mode::Waiting => {
                    let Some((f_ts, f_cn)) = self.store.front().map(|f| (f.ext_ts, f.cn)) else {
                        self.push_quiet(need, &mut p);
                        continue;
                    };
                    if let Some(level) = f_cn {
                        self.consume_cn(level, t);
                        continue;
                    }
                    // Start at the first pull where the packet's delay reaches the
                    // target (frame-aligned, so its slack is the whole target).
                    self.end_ts = f_ts;
                    let base = self.delay.base_us().unwrap_or(t);
                    let due = base + self.media_us(f_ts) + self.target_us();
                    if due <= t {
                        self.mode = Mode::Playing;
                    } else {
                        self.push_quiet(need, &mut p);
                    }
                }
                Mode::Cn => match self.store.front().map(|f| f.cn) {
                    Some(Some(level)) => self.consume_cn(level, t),
                    Some(None) => self.mode = Mode::Waiting,
                    None => self.push_quiet(need, &mut p),
                },
                Mode::Playing => {
                    // Drop anything that fell behind the playout point.
                    while self
                        .store
                        .front()
                        .is_some_and(|f| f.ext_ts < self.end_ts - self.tol_ts)
                    {
                        if let Some(old) = self.store.pop_front() {
                            let s = old.ext_seq;
                            self.store.recycle(old);
                            self.discard(s, DiscardReason::Late);
                        }
                    }
                    let front = self
                        .store
                        .front()
                        .map(|f| (f.ext_ts, f.ext_seq, f.marker, f.cn));
                    match front {
                        Some((_, _, _, Some(level))) => self.consume_cn(level, t),
                        Some((ts, _, _, None)) if ts <= self.end_ts + self.tol_ts => {
                            if self.decode_front(t) {
                                p.normal = true;
                            }
                        }
                        Some((ts, seq, marker, None)) => {
                            let contiguous = self.last_seq.is_some_and(|l| {
                                seq > l && (l + 1..seq).all(|s| self.foreign.contains(&s))
                            });
                            let gap_us = self.media_us(ts) - self.media_us(self.end_ts);
                            if marker
                                || contiguous
                                || self.silent
                                || gap_us > i64::from(self.cfg.max_delay_ms) * 1000
                            {
                                // Talkspurt start after DTX, or a resync: jump to target.
                                self.stall = 0;
                                self.silent = false;
                                self.mode = Mode::Waiting;
                                continue;
                            }
                            let gap = self.ts_to_pcm(ts - self.end_ts);
                            if self.stall > 0 {
                                // What was concealed while waiting covers the lost packet.
                                let credit = self.stall.min(gap);
                                self.end_ts += self.pcm_to_ts(credit);
                                self.stall = 0;
                                continue;
                            }
                            let n = need.min(gap.max(1));
                            self.conceal(n);
                            self.end_ts += self.pcm_to_ts(n);
                            p.concealed = true;
                            concealed_now = true;
                        }
                        None => {
                            let max_expand = self.ms_to_pcm(self.cfg.max_expand_ms);
                            if self.stall < max_expand && !self.silent {
                                // Nothing to play: the next packet is late or lost.
                                // Conceal without advancing the playout point.
                                let n = need.min(max_expand - self.stall).max(1);
                                self.conceal(n);
                                self.stall += n;
                                p.concealed = true;
                                concealed_now = true;
                            } else {
                                self.silent = true;
                                self.push_quiet(need, &mut p);
                            }
                        }
                    }
                }
            }
        }
        if !(p.normal || p.concealed || p.cn || p.silence) && self.mode == Mode::Playing {
            // The frame is the rest of an earlier decoded packet.
            p.normal = true;
        }
        // Guard: whatever happened, deliver a whole frame.
        if self.sync.len() < self.frame {
            let n = self.frame - self.sync.len();
            self.sync.extend(std::iter::repeat_n(0, n));
            p.silence = true;
        }
        if concealed_now && !self.in_concealment {
            self.stats.concealment_events += 1;
        }
        self.in_concealment = concealed_now;
        p
    }

    /// Moves the playout delay toward the target by one pitch period (or a chunk of a
    /// pause).
    ///
    /// Two quantities matter. The *level* `D` is the delay of the sample about to be
    /// played (what the listener experiences). The *slack* `S` is how late the next
    /// not-yet-decoded packet may arrive and still be in time: it is needed at the pull
    /// that first runs out of decoded samples, so `S = D − (misalignment of the sync
    /// buffer to the frame grid)`, changing in whole frames. Expand when `S` is below the
    /// target (inserting enough to cross a frame boundary, otherwise `S` does not move);
    /// accelerate when `D` is above it, removing only what keeps `S ≥ target`.
    fn stretch(&mut self, t: i64) -> FrameKind {
        let target = self.target_us();
        let base = self.delay.base_us().unwrap_or(t);
        let frame_us = i64::from(self.cfg.frame_ms) * 1000;
        let slack = |s: &Self| {
            let r = s.sync.len().saturating_sub(s.frame);
            t + frame_us * (r / s.frame + 1) as i64 - base - s.media_us(s.end_ts)
        };
        let level = t - base - self.media_us(self.end_ts - self.pcm_to_ts(self.sync.len()));
        let next_here = |s: &Self| {
            s.store
                .front()
                .is_some_and(|f| f.cn.is_none() && (f.ext_ts - s.end_ts).abs() <= s.tol_ts)
        };

        let in_pause = self.quiet_run >= self.ms_to_pcm(PAUSE_MS);
        if t < self.search_after && !in_pause {
            // The last pitch search found nothing to cut or repeat cleanly; audio that
            // is not periodic (noise, unvoiced speech) stays so for a while.
            return FrameKind::Normal;
        }
        let deficit = target - slack(self);
        if (deficit > EXPAND_VOICED_MARGIN_US || (in_pause && deficit > EXPAND_MARGIN_US))
            && !next_here(self)
        {
            let a = (self.sync.len() - self.frame) % self.frame;
            let lo = self.frame - a;
            let periodic_ok = deficit > EXPAND_VOICED_MARGIN_US;
            let x = self.sync.make_contiguous();
            let Some(lag) =
                self.stretcher
                    .search_expand(&self.hist, x, lo, usize::MAX, periodic_ok)
            else {
                return FrameKind::Normal;
            };
            if lag.low_energy && !in_pause && !periodic_ok {
                return FrameKind::Normal;
            }
            if (lag.low_energy || lag.corr >= VOICED_CORR)
                && self.stretcher.expand(&mut self.sync, &self.hist, lag.lag)
            {
                self.stats.expand_count += 1;
                self.stats.samples_inserted += lag.lag as u64;
                return FrameKind::Expanded;
            }
            self.search_after = t + SEARCH_BACKOFF_US;
            return FrameKind::Normal;
        }

        let excess = level - target;
        if excess <= ACCEL_MARGIN_US {
            self.excess_since = None;
            return FrameKind::Normal;
        }
        let since = *self.excess_since.get_or_insert(t);
        // Look ahead: decode further packets that follow without a gap.
        let want = self.frame + 2 * self.stretcher.max_lag;
        while self.sync.len() < want && next_here(self) {
            if !self.decode_front(t) {
                break;
            }
        }
        let r = self.sync.len() - self.frame;
        let frames_spare = ((slack(self) - target) / frame_us).max(0) as usize;
        let allowed = (r % self.frame + frames_spare * self.frame)
            .min(self.us_to_pcm(excess))
            .min(r);
        // Pauses first: shortening speech moves its timing inside an utterance, which
        // listeners (and PESQ) notice more than a shorter pause.
        let periodic_ok = excess > URGENT_MARGIN_US || t - since > VOICED_AFTER_US;
        let x = self.sync.make_contiguous();
        let Some(lag) = self
            .stretcher
            .search_accel(&self.hist, x, allowed, periodic_ok)
        else {
            return FrameKind::Normal;
        };
        let ok = if lag.low_energy {
            in_pause || periodic_ok
        } else {
            lag.corr >= VOICED_CORR || (excess > URGENT_MARGIN_US && lag.corr >= URGENT_CORR)
        };
        if !ok {
            if !lag.low_energy {
                self.search_after = t + SEARCH_BACKOFF_US;
            }
            return FrameKind::Normal;
        }
        if self.stretcher.accelerate(&mut self.sync, lag.lag) {
            self.stats.accelerate_count += 1;
            self.stats.samples_removed += lag.lag as u64;
            return FrameKind::Accelerated;
        }
        FrameKind::Normal
    }

    /// Decodes the front packet into the sync buffer. `false` if the decoder refused it.
    fn decode_front(&mut self, t: i64) -> bool {
        let Some(pkt) = self.store.pop_front() else {
            return false;
        };
        self.scratch.clear();
        let ok = match self.decoder.decode(&pkt.payload, &mut self.scratch) {
            Ok(n) if n > 0 => {
                self.note_played(pkt.ext_seq, t);
                self.sync.extend(self.scratch.drain(..));
                self.end_ts = pkt.ext_ts + self.pcm_to_ts(n);
                self.stall = 0;
                self.silent = false;
                self.cn_level = None;
                true
            }
            _ => {
                // Played as a loss: the gap to the next packet is concealed; the sequence
                // number already counts as arrived so it is not reported lost.
                self.stats.decode_errors += 1;
                false
            }
        };
        self.store.recycle(pkt);
        ok
    }

    /// Records that `seq` reached playout; earlier never-arrived sequence numbers become
    /// candidates for loss.
    fn note_played(&mut self, seq: i64, t: i64) {
        if let Some(last) = self.last_seq {
            let first = (last + 1).max(seq - MAX_DROPOUT);
            for s in first..seq {
                if self.seen.get(s) != Some(true) {
                    if self.missed.len() == MISSED_CAP {
                        if let Some((old, _)) = self.missed.pop_front() {
                            self.declare_lost(old);
                        }
                    }
                    self.missed.push_back((s, t));
                }
            }
        }
        self.last_seq = Some(self.last_seq.map_or(seq, |l| l.max(seq)));
    }

    fn finalize_missed(&mut self, t: i64) {
        let horizon = i64::from(self.cfg.max_delay_ms) * 1000;
        while self
            .missed
            .front()
            .is_some_and(|&(_, at)| t - at >= horizon)
        {
            if let Some((s, _)) = self.missed.pop_front() {
                self.declare_lost(s);
            }
        }
    }

    fn declare_lost(&mut self, seq: i64) {
        self.stats.lost += 1;
        self.push_event(Event::Lost {
            seq: seq.max(0) as u64,
        });
    }

    fn consume_cn(&mut self, level: u8, t: i64) {
        if let Some(pkt) = self.store.pop_front() {
            self.note_played(pkt.ext_seq, t);
            self.end_ts = self.end_ts.max(pkt.ext_ts);
            self.noise.update(&pkt.payload);
            self.store.recycle(pkt);
        }
        self.cn_level = Some(level);
        self.stall = 0;
        self.silent = false;
        self.mode = Mode::Cn;
    }

    /// Pushes comfort noise (after a CN packet) or silence.
    fn push_quiet(&mut self, n: usize, p: &mut Produced) {
        if n == 0 {
            return;
        }
        let start = self.sync.len();
        self.sync.extend(std::iter::repeat_n(0, n));
        match (self.mode, self.cn_level) {
            (Mode::Cn | Mode::Waiting, Some(level)) => {
                let (a, b) = self.sync.as_mut_slices();
                let total = a.len();
                if start >= total {
                    self.noise.fill(level, &mut b[start - total..]);
                } else {
                    self.noise.fill(level, &mut a[start..]);
                    self.noise.fill(level, b);
                }
                p.cn = true;
            }
            _ => p.silence = true,
        }
    }

    fn conceal(&mut self, n: usize) {
        self.scratch.clear();
        self.decoder.conceal(n, &mut self.scratch);
        self.scratch.resize(n, 0);
        self.sync.extend(self.scratch.drain(..));
        self.stats.concealed_samples += n as u64;
        self.cn_level = None;
    }

    fn start_stream(&mut self, p: &Packet<'_>) {
        self.ssrc = Some(p.ssrc);
        self.hi_seq = SEQ_ORIGIN + i64::from(p.seq);
        self.ts_ref = TS_ORIGIN + i64::from(p.timestamp);
        self.ts_origin = self.ts_ref;
        self.delay.reset_base();
    }

    fn reset_stream(&mut self) {
        while let Some((s, _)) = self.missed.pop_front() {
            self.declare_lost(s);
        }
        while let Some(old) = self.store.pop_front() {
            let s = old.ext_seq;
            self.store.recycle(old);
            self.discard(s, DiscardReason::Flushed);
        }
        self.sync.clear();
        self.hist.clear();
        self.decoder.reset();
        self.delay.reset_base();
        self.seen.clear();
        self.foreign.clear();
        self.ssrc = None;
        self.probation = None;
        self.mode = Mode::Idle;
        self.last_seq = None;
        self.stall = 0;
        self.silent = false;
        self.cn_level = None;
    }

    fn discard(&mut self, seq: i64, reason: DiscardReason) -> InsertOutcome {
        let st = &mut self.stats;
        st.discarded += 1;
        match reason {
            DiscardReason::Late => st.late += 1,
            DiscardReason::Duplicate => st.duplicate += 1,
            DiscardReason::Overflow => st.overflow += 1,
            DiscardReason::OutOfRange => st.out_of_range += 1,
            DiscardReason::Flushed => st.flushed += 1,
        }
        self.push_event(Event::Discarded {
            seq: seq.max(0) as u64,
            reason,
        });
        InsertOutcome::Discarded(reason)
    }

    fn push_event(&mut self, e: Event) {
        if self.cfg.max_events == 0 {
            return;
        }
        if self.events.len() >= self.cfg.max_events {
            self.events.pop_front();
            self.stats.events_dropped += 1;
        }
        self.events.push_back(e);
    }

    fn target_us(&mut self) -> i64 {
        let start = i64::from(self.cfg.start_delay_ms) * 1000;
        let t = if self.cfg.adaptive {
            self.delay.target_us(start)
        } else {
            start
        };
        t.clamp(
            i64::from(self.cfg.min_delay_ms) * 1000,
            i64::from(self.cfg.max_delay_ms) * 1000,
        )
    }

    /// Microseconds since the first instant this buffer saw (negative before it).
    fn us(&mut self, at: Instant) -> i64 {
        let epoch = *self.epoch.get_or_insert(at);
        match at.checked_duration_since(epoch) {
            Some(d) => d.as_micros().min(i64::MAX as u128) as i64,
            None => -(epoch.duration_since(at).as_micros().min(i64::MAX as u128) as i64),
        }
    }

    fn media_us(&self, ext_ts: i64) -> i64 {
        ((i128::from(ext_ts - self.ts_origin) * 1_000_000) / i128::from(self.clock)) as i64
    }

    fn pcm_to_ts(&self, n: usize) -> i64 {
        (n as u64 * u64::from(self.clock) / u64::from(self.rate)) as i64
    }

    fn ts_to_pcm(&self, ts: i64) -> usize {
        (ts.max(0) as u64 * u64::from(self.rate) / u64::from(self.clock)) as usize
    }

    fn us_to_pcm(&self, us: i64) -> usize {
        (us.max(0) as u64 * u64::from(self.rate) / 1_000_000) as usize
    }

    fn ms_to_pcm(&self, ms: u32) -> usize {
        (u64::from(ms) * u64::from(self.rate) / 1000) as usize
    }
}

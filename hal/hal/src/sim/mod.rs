//! The simulated backend: a virtual analog phone on the far end of a port, in virtual time.
//!
//! [`SimPort`] implements [`FxsPort`] exactly as a SLIC driver would, and on its other side
//! it plays a telephone set: hook switch, rotary dial, DTMF keypad (tones in the audio,
//! not events), handset microphone and earpiece, ringer, caller-ID display with its own FSK
//! and DTMF receivers, and type 2 (call-waiting) caller ID with the CAS handshake. Between
//! the two lie a seeded hybrid echo path and optional line noise.
//!
//! Nothing here reads a clock. Time moves only when the gateway side calls
//! [`FxsPort::transfer`] (one 10 ms frame, `now` = end of the frame) — or when a test uses
//! the conveniences [`SimPort::run_until`] and [`SimPort::play`], which do the same. Phone
//! actions are queued in advance on a timeline and happen, to the sample, when the frames
//! reach them:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use tipring_hal::sim::{Heard, SimConfig, SimPort};
//! use tipring_hal::{FxsPort, HookEvent, LineFeed};
//!
//! # fn main() -> tipring_hal::Result<()> {
//! # #[allow(clippy::disallowed_methods)]
//! let t0 = Instant::now(); // any epoch; the simulator never reads the clock itself
//! let ms = |n: u64| t0 + Duration::from_millis(n);
//! let mut port = SimPort::new(SimConfig::default(), t0)?;
//!
//! // The phone: lift at 100 ms, dial "42" on the rotary dial, hang up 1 s after that.
//! port.lift(ms(100));
//! port.dial_rotary(ms(600), "42")?;
//! port.hang_up(ms(1000));
//!
//! // The gateway: plays a 440 Hz tone and polls hook events, frame by frame.
//! let tone: Vec<i16> = (0..80)
//!     .map(|i| (8000.0 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 8000.0).sin()) as i16)
//!     .collect();
//! let tx: [i16; 80] = tone.try_into().unwrap(); // 440 Hz = 4.4 periods per frame: close enough
//! let mut rx = [0i16; 80];
//! let mut events = Vec::new();
//! for frame in 1..=600 {
//!     port.transfer(ms(10 * frame), &tx, &mut rx);
//!     while let Some(e) = port.poll_event() {
//!         events.push(e.event);
//!     }
//! }
//! assert_eq!(
//!     events,
//!     [HookEvent::OffHook, HookEvent::PulseDigit(4), HookEvent::PulseDigit(2), HookEvent::OnHook]
//! );
//! assert_eq!(port.line_feed(), LineFeed::ForwardActive);
//! # Ok(())
//! # }
//! ```
//!
//! Line realism: audio passes only while the loop is closed on a feed with battery, or, on
//! hook, while the feed is on-hook transmission. With the feed [`LineFeed::Open`] the SLIC
//! cannot see the loop: a change of the hook switch is seen when battery comes back, at that
//! moment. Going off hook while the feed is [`LineFeed::Ringing`] trips the ring at once
//! (also when ringing is applied to a phone already off hook).

mod cid;
mod config;
mod echo;
mod line;
mod monitor;
mod rng;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use tipring_dsp::cadence::{After, CadenceStep};
use tipring_dsp::callerid::Message;
use tipring_dsp::dtmf::{self, DtmfSender};
use tipring_dsp::level::dbm0_to_peak;
use tipring_dsp::tone::PLANS;
use tipring_dsp::{Frame, FRAME_SAMPLES, SAMPLE_RATE};

pub use config::{KeyPress, RotaryDial, SimConfig};

/// A device on the line beside the handset — a fax machine or a modem: while the loop is
/// closed it hears what the line plays (as the earpiece does) and what it sends is added
/// to the microphone, block by block (any length, 8 kHz).
pub trait LineDevice: Send + std::fmt::Debug {
    /// `heard`: what the line played to the phone in this block; fill `said` (zeros on
    /// entry) with what the device sends back in the same block.
    fn exchange(&mut self, heard: &[i16], said: &mut [i16]);

    /// Something the device has to tell its user, once (a fax machine's result).
    fn report(&mut self) -> Option<String> {
        None
    }
}
pub use echo::EchoPath;
pub use line::{measured_cadence, LineVoltage, RingBurst};
pub use monitor::{tone_segments, Heard, HeardChange, ToneSegment};

use cid::{OnHookReceiver, Type2Output, Type2Receiver, CAS_HIGH_HZ, CAS_LOW_HZ};
use echo::EchoFilter;
use monitor::ToneMonitor;
use rng::SplitMix64;

use crate::hook::{HookDecoder, HookTiming};
use crate::port::{FxsPort, HookState, LineFeed, PortEvent};
use crate::{Error, Result};

const NS_PER_SAMPLE: u64 = 1_000_000_000 / SAMPLE_RATE as u64;
const SAMPLES_PER_MS: u64 = SAMPLE_RATE as u64 / 1000;

/// A phone action on the timeline.
#[derive(Debug, Clone)]
enum Op {
    /// Hook switch up (true) or down.
    Hook(bool),
    /// Rotary dial contacts open (true) or closed.
    Dial(bool),
    /// Start keying DTMF digits.
    Keys { digits: String, press: KeyPress },
    /// Start speaking into the handset.
    Speak(Vec<i16>),
    /// Start a sine into the handset: frequency (Hz), peak amplitude, samples.
    SpeakTone(f32, f32, usize),
    /// Send the type 2 acknowledgement digit (scheduled by the phone itself).
    Type2Ack,
}

/// Something the phone's user is saying.
#[derive(Debug, Clone)]
enum Speech {
    /// Recorded samples and how far they have been played.
    Clip(Vec<i16>, usize),
    /// A sine made as it plays.
    Tone {
        step: f64,
        phase: f64,
        peak: f32,
        left: usize,
    },
}

#[derive(Debug, Clone)]
struct Scheduled {
    sample: u64,
    at: Instant,
    op: Op,
}

/// A simulated FXS port with a virtual analog phone on it (see the [module docs](self)).
#[derive(Debug)]
pub struct SimPort {
    cfg: SimConfig,
    start: Instant,
    /// Index of the next sample to run.
    sample: u64,
    /// Latest `now` given to `transfer`.
    now: Instant,
    feed: LineFeed,
    /// Sample at which the current ringing feed was applied.
    ring_start: u64,
    decoder: HookDecoder,
    hook_up: bool,
    dial_open: bool,
    /// Loop state last shown to the hook decoder.
    sensed_closed: bool,
    ops: VecDeque<Scheduled>,
    timeline_end: Instant,
    keypad: DtmfSender,
    ack: DtmfSender,
    speech: VecDeque<Speech>,
    echo: Option<EchoFilter>,
    noise_rms: f32,
    noise_line: SplitMix64,
    noise_phone: SplitMix64,
    earpiece: Vec<i16>,
    monitor: ToneMonitor,
    voltage: LineVoltage,
    voltage_log: Vec<(Instant, LineVoltage)>,
    ring_log: Vec<RingBurst>,
    on_hook_rx: OnHookReceiver,
    on_hook_active: bool,
    type2: Option<Type2Receiver>,
    caller_id_log: Vec<(Instant, Message)>,
    vmwi: bool,
    mic: Vec<i16>,
    mic2: Vec<i16>,
    heard: Vec<i16>,
    ear: Vec<i16>,
    device: Option<Box<dyn LineDevice>>,
    device_said: Vec<i16>,
}

impl SimPort {
    /// A port whose time starts at `start`, feed [`LineFeed::ForwardActive`], phone on hook.
    /// Err if `cfg` is invalid ([`SimConfig::validate`]).
    pub fn new(cfg: SimConfig, start: Instant) -> Result<Self> {
        cfg.validate()?;
        let mut freqs: Vec<f32> = vec![CAS_LOW_HZ, CAS_HIGH_HZ];
        let mut mods: Vec<(f32, f32)> = Vec::new();
        for plan in PLANS {
            for kind in tipring_dsp::tone::ToneKind::ALL {
                let spec = plan.tone(kind);
                freqs.extend(spec.components.iter().map(|c| c.freq_hz));
                if let Some(m) = spec.modulation {
                    for c in spec.components {
                        freqs.push(c.freq_hz - m.freq_hz);
                        freqs.push(c.freq_hz + m.freq_hz);
                        mods.push((c.freq_hz, m.freq_hz));
                    }
                }
            }
        }
        let noise_rms = cfg
            .noise_dbm0
            .map_or(0.0, |l| dbm0_to_peak(l) * std::f32::consts::FRAC_1_SQRT_2);
        let echo = cfg.echo.as_ref().map(|e| EchoFilter::new(e, cfg.seed));
        let type2 = cfg.type2_ack.map(|_| Type2Receiver::new(cfg.caller_id));
        Ok(Self {
            decoder: HookDecoder::new(cfg.hook_timing),
            on_hook_rx: OnHookReceiver::new(cfg.caller_id),
            keypad: DtmfSender::new(cfg.keypress.low_dbm0, cfg.keypress.high_dbm0),
            ack: DtmfSender::new(cfg.keypress.low_dbm0, cfg.keypress.high_dbm0),
            noise_line: SplitMix64::new(cfg.seed ^ 0x11AE),
            noise_phone: SplitMix64::new(cfg.seed ^ 0xEA40),
            monitor: ToneMonitor::new(start, &freqs, &mods),
            start,
            sample: 0,
            now: start,
            feed: LineFeed::ForwardActive,
            ring_start: 0,
            hook_up: false,
            dial_open: false,
            sensed_closed: false,
            ops: VecDeque::new(),
            timeline_end: start,
            speech: VecDeque::new(),
            echo,
            noise_rms,
            earpiece: Vec::new(),
            voltage: LineVoltage::Forward,
            voltage_log: vec![(start, LineVoltage::Forward)],
            ring_log: Vec::new(),
            on_hook_active: false,
            type2,
            caller_id_log: Vec::new(),
            vmwi: false,
            mic: Vec::new(),
            mic2: Vec::new(),
            heard: Vec::new(),
            ear: Vec::new(),
            device: None,
            device_said: Vec::new(),
            cfg,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SimConfig {
        &self.cfg
    }

    /// Time of the next sample to run (the end of the last frame exchanged).
    pub fn now(&self) -> Instant {
        self.time_of(self.sample)
    }

    // ----- phone actions -------------------------------------------------------------------

    /// Lift the handset at `at` (or when the previous queued action ends, if later).
    pub fn lift(&mut self, at: Instant) {
        let t = self.schedule(at, Duration::ZERO);
        self.push_op(t, Op::Hook(true));
    }

    /// Put the handset down.
    pub fn hang_up(&mut self, at: Instant) {
        let t = self.schedule(at, Duration::ZERO);
        self.push_op(t, Op::Hook(false));
    }

    /// Press the hook switch for `duration` (a flash if short, a hang-up and a new call if
    /// long). Done on hook it lifts the handset at the end.
    pub fn flash(&mut self, at: Instant, duration: Duration) {
        let t = self.schedule(at, duration);
        self.push_op(t, Op::Hook(false));
        self.push_op(t + duration, Op::Hook(true));
    }

    /// Dial `digits` (0–9) on the rotary dial: per digit n pulses (10 for "0") at the
    /// configured rate and break ratio, each digit followed by the inter-digit pause.
    /// Err (nothing queued) on any other character.
    pub fn dial_rotary(&mut self, at: Instant, digits: &str) -> Result<()> {
        let counts: Vec<u32> = digits
            .chars()
            .map(|c| match c.to_digit(10) {
                Some(0) => Ok(10),
                Some(n) => Ok(n),
                None => Err(Error::InvalidDigit {
                    digit: c,
                    what: "rotary dial",
                }),
            })
            .collect::<Result<_>>()?;
        let (brk, make) = self.cfg.rotary.pulse();
        let period = brk + make;
        let total: Duration = counts
            .iter()
            .map(|&n| period * n + self.cfg.rotary.inter_digit)
            .sum();
        let mut t = self.schedule(at, total);
        for n in counts {
            for _ in 0..n {
                self.push_op(t, Op::Dial(true));
                self.push_op(t + brk, Op::Dial(false));
                t += period;
            }
            t += self.cfg.rotary.inter_digit;
        }
        Ok(())
    }

    /// Key DTMF `digits` (0–9, *, #, A–D) with the configured key press. Err (nothing
    /// queued) on an invalid digit.
    pub fn press(&mut self, at: Instant, digits: &str) -> Result<()> {
        self.press_with(at, digits, self.cfg.keypress)
    }

    /// Key DTMF `digits` with the given tone/pause lengths and levels.
    pub fn press_with(&mut self, at: Instant, digits: &str, press: KeyPress) -> Result<()> {
        if let Some(bad) = digits.chars().find(|&d| dtmf::frequencies(d).is_none()) {
            return Err(Error::InvalidDigit {
                digit: bad,
                what: "keypad",
            });
        }
        let per = u64::from(press.on_ms) + u64::from(press.off_ms);
        let t = self.schedule(
            at,
            Duration::from_millis(per * digits.chars().count() as u64),
        );
        self.push_op(
            t,
            Op::Keys {
                digits: digits.to_string(),
                press,
            },
        );
        Ok(())
    }

    /// Say a steady sine of `hz` at `dbm0` for `duration` into the handset microphone
    /// (made as it plays: a long tone costs no memory).
    pub fn speak_tone(&mut self, at: Instant, hz: f32, dbm0: f32, duration: Duration) {
        let t = self.schedule(at, duration);
        let n = (duration.as_nanos() / u128::from(NS_PER_SAMPLE)) as usize;
        self.push_op(
            t,
            Op::SpeakTone(hz, tipring_dsp::level::dbm0_to_peak(dbm0), n),
        );
    }

    /// Speak `samples` (8 kHz) into the handset microphone.
    pub fn speak(&mut self, at: Instant, samples: &[i16]) {
        let t = self.schedule(
            at,
            Duration::from_nanos(samples.len() as u64 * NS_PER_SAMPLE),
        );
        self.push_op(t, Op::Speak(samples.to_vec()));
    }

    /// Connect a device to the line beside the handset (a fax machine), or remove it:
    /// it is heard only while the loop is closed (lift the handset to go off hook).
    pub fn attach(&mut self, device: Option<Box<dyn LineDevice>>) {
        self.device = device;
    }

    /// The device on the line, if any.
    pub fn device_mut(&mut self) -> Option<&mut (dyn LineDevice + 'static)> {
        self.device.as_deref_mut()
    }

    // ----- phone observations ----------------------------------------------------------------

    /// Whether the handset is lifted (the hook switch, not what the SLIC has decoded).
    pub fn is_off_hook(&self) -> bool {
        self.hook_up
    }

    /// Everything the earpiece played while the handset was lifted (zeros while the line
    /// carried no audio), since the last [`take_earpiece`](Self::take_earpiece).
    pub fn earpiece(&self) -> &[i16] {
        &self.earpiece
    }

    /// Take the earpiece recording.
    pub fn take_earpiece(&mut self) -> Vec<i16> {
        std::mem::take(&mut self.earpiece)
    }

    /// What the phone hears now, over the last ~50 ms (silence while on hook).
    pub fn listen(&self) -> Heard {
        self.monitor.current().clone()
    }

    /// Every change of what the phone heard, with its time (tone starts and stops are
    /// edge-accurate to about a millisecond).
    pub fn heard_log(&self) -> &[HeardChange] {
        self.monitor.log()
    }

    /// The tones heard, as segments (start, end, frequencies), derived from the heard log.
    pub fn heard_tones(&self) -> Vec<ToneSegment> {
        tone_segments(self.monitor.log())
    }

    /// Whether ringing voltage is on the line now.
    pub fn is_ringing(&self) -> bool {
        self.voltage == LineVoltage::Ringing
    }

    /// Every ring burst seen.
    pub fn ring_log(&self) -> &[RingBurst] {
        &self.ring_log
    }

    /// The measured cadence of the finished ring bursts ([`measured_cadence`]).
    pub fn ring_cadence(&self) -> Vec<CadenceStep> {
        measured_cadence(&self.ring_log)
    }

    /// Caller-ID messages the display received (on hook, or off hook via type 2), with the
    /// time each was complete.
    pub fn caller_id_log(&self) -> &[(Instant, Message)] {
        &self.caller_id_log
    }

    /// The message-waiting lamp, as the last VMWI message set it.
    pub fn vmwi_lamp(&self) -> bool {
        self.vmwi
    }

    /// The voltage on the line now.
    pub fn line_voltage(&self) -> LineVoltage {
        self.voltage
    }

    /// Every change of line voltage, starting with the initial one.
    pub fn voltage_log(&self) -> &[(Instant, LineVoltage)] {
        &self.voltage_log
    }

    /// Times the DC polarity reversed (Forward ↔ Reverse, across any open or ringing
    /// interval in between).
    pub fn polarity_reversals(&self) -> Vec<Instant> {
        let mut last = None;
        let mut out = Vec::new();
        for &(at, v) in &self.voltage_log {
            if matches!(v, LineVoltage::Forward | LineVoltage::Reverse) {
                if last.is_some_and(|l| l != v) {
                    out.push(at);
                }
                last = Some(v);
            }
        }
        out
    }

    // ----- driving conveniences --------------------------------------------------------------

    /// Exchange silent frames until `until` (as the gateway would, sending nothing); returns
    /// what the gateway received.
    pub fn run_until(&mut self, until: Instant) -> Vec<i16> {
        let mut out = Vec::new();
        let mut rx = [0i16; FRAME_SAMPLES];
        while self.now() < until {
            let end = self.time_of(self.sample + FRAME_SAMPLES as u64);
            self.transfer(end, &[0; FRAME_SAMPLES], &mut rx);
            out.extend_from_slice(&rx);
        }
        out
    }

    /// Send `audio` toward the phone, frame by frame from now (the last frame padded with
    /// silence); returns what the gateway received meanwhile.
    pub fn play(&mut self, audio: &[i16]) -> Vec<i16> {
        let mut out = Vec::with_capacity(audio.len() + FRAME_SAMPLES);
        let mut rx = [0i16; FRAME_SAMPLES];
        for chunk in audio.chunks(FRAME_SAMPLES) {
            let mut tx = [0i16; FRAME_SAMPLES];
            tx[..chunk.len()].copy_from_slice(chunk);
            let end = self.time_of(self.sample + FRAME_SAMPLES as u64);
            self.transfer(end, &tx, &mut rx);
            out.extend_from_slice(&rx);
        }
        out
    }

    // ----- internals ------------------------------------------------------------------------

    fn time_of(&self, sample: u64) -> Instant {
        self.start + Duration::from_nanos(sample * NS_PER_SAMPLE)
    }

    /// First sample at or after `t`.
    fn sample_ceil(&self, t: Instant) -> u64 {
        (t.saturating_duration_since(self.start).as_nanos() as u64).div_ceil(NS_PER_SAMPLE)
    }

    /// Start of an action of length `len` asked for at `at`: not before the previous queued
    /// action ends, nor before now.
    fn schedule(&mut self, at: Instant, len: Duration) -> Instant {
        let t = at.max(self.timeline_end).max(self.now());
        self.timeline_end = t + len;
        t
    }

    fn push_op(&mut self, at: Instant, op: Op) {
        let sample = self.sample_ceil(at);
        let pos = self.ops.partition_point(|o| o.sample <= sample);
        self.ops.insert(pos, Scheduled { sample, at, op });
    }

    fn loop_closed(&self) -> bool {
        self.hook_up && !self.dial_open
    }

    /// The loop or the feed changed at `at` (sample `s`): tell the decoder what the SLIC can
    /// see, and trip the ring.
    fn loop_changed(&mut self, at: Instant, s: u64) {
        let closed = self.loop_closed();
        if self.feed.has_battery() && closed != self.sensed_closed {
            self.decoder.on_switch(at, closed);
            self.sensed_closed = closed;
        }
        if closed && matches!(self.feed, LineFeed::Ringing(_)) {
            // Ring trip.
            self.feed = LineFeed::ForwardActive;
            self.update_voltage(s);
        }
    }

    fn voltage_at(&self, s: u64) -> LineVoltage {
        match self.feed {
            LineFeed::Open => LineVoltage::Open,
            LineFeed::ForwardActive | LineFeed::ForwardOnHookTransmission => LineVoltage::Forward,
            LineFeed::ReverseActive | LineFeed::ReverseOnHookTransmission => LineVoltage::Reverse,
            LineFeed::Ringing(c) => {
                if c.is_on_at(s.saturating_sub(self.ring_start) / SAMPLES_PER_MS) {
                    LineVoltage::Ringing
                } else {
                    LineVoltage::Forward
                }
            }
        }
    }

    fn update_voltage(&mut self, s: u64) {
        let v = self.voltage_at(s);
        if v == self.voltage {
            return;
        }
        let at = self.time_of(s);
        if self.voltage == LineVoltage::Ringing {
            if let Some(b) = self.ring_log.last_mut() {
                b.end = Some(at);
            }
        }
        if v == LineVoltage::Ringing {
            self.ring_log.push(RingBurst {
                start: at,
                end: None,
            });
        }
        self.voltage = v;
        self.voltage_log.push((at, v));
    }

    /// End a finished After::Stop ringing cadence.
    fn ring_housekeeping(&mut self, s: u64) {
        if let LineFeed::Ringing(c) = self.feed {
            if c.after == After::Stop && s - self.ring_start >= c.period_ms() * SAMPLES_PER_MS {
                self.feed = LineFeed::ForwardActive;
            }
        }
    }

    /// The next sample after `s` at which the ringing voltage changes or the cadence ends.
    fn ring_boundary(&self, s: u64) -> Option<u64> {
        let LineFeed::Ringing(c) = self.feed else {
            return None;
        };
        let ms = (s - self.ring_start) / SAMPLES_PER_MS;
        let change = c
            .next_change_after(ms)
            .map(|d| self.ring_start + (ms + d) * SAMPLES_PER_MS);
        let stop =
            (c.after == After::Stop).then(|| self.ring_start + c.period_ms() * SAMPLES_PER_MS);
        [change, stop]
            .into_iter()
            .flatten()
            .filter(|&b| b > s)
            .min()
    }

    fn apply_ops(&mut self, s: u64) {
        while self.ops.front().is_some_and(|o| o.sample <= s) {
            let Some(Scheduled { at, op, .. }) = self.ops.pop_front() else {
                break;
            };
            match op {
                Op::Hook(up) => {
                    self.hook_up = up;
                    if !up {
                        if let Some(t2) = &mut self.type2 {
                            t2.reset();
                        }
                    }
                    self.loop_changed(at, s);
                }
                Op::Dial(open) => {
                    self.dial_open = open;
                    self.loop_changed(at, s);
                }
                Op::Keys { digits, press } => {
                    self.keypad = DtmfSender::new(press.low_dbm0, press.high_dbm0);
                    // Digits were checked when queued.
                    let _queued = self.keypad.push(&digits, press.on_ms, press.off_ms).is_ok();
                }
                Op::Speak(samples) => self.speech.push_back(Speech::Clip(samples, 0)),
                Op::SpeakTone(hz, peak, left) => self.speech.push_back(Speech::Tone {
                    step: 2.0 * std::f64::consts::PI * f64::from(hz)
                        / f64::from(crate::SAMPLE_RATE),
                    phase: 0.0,
                    peak,
                    left,
                }),
                Op::Type2Ack => {
                    if let (Some(d), Some(t2)) = (self.cfg.type2_ack, &mut self.type2) {
                        let ms = self.cfg.type2_ack_duration.as_millis() as u32;
                        let _queued = self.ack.push(&d.to_string(), ms, 0).is_ok();
                        t2.acked(s);
                    }
                }
            }
        }
    }

    /// Run `tx.len()` samples from `self.sample`.
    fn run_samples(&mut self, tx: &[i16], rx: &mut [i16]) {
        let base = self.sample;
        let n = tx.len();
        let mut i = 0;
        while i < n {
            let s = base + i as u64;
            self.apply_ops(s);
            self.ring_housekeeping(s);
            self.update_voltage(s);
            let mut next = base + n as u64;
            if let Some(o) = self.ops.front() {
                next = next.min(o.sample);
            }
            if let Some(b) = self.ring_boundary(s) {
                next = next.min(b);
            }
            let len = (next.max(s + 1) - s) as usize;
            self.chunk(s, &tx[i..i + len], &mut rx[i..i + len]);
            i += len;
        }
        self.sample = base + n as u64;
        // What happens exactly at the end of the run is already true at its end.
        self.apply_ops(self.sample);
        self.ring_housekeeping(self.sample);
        self.update_voltage(self.sample);
    }

    /// Samples `s ..` with everything on the line constant.
    fn chunk(&mut self, s: u64, tx: &[i16], rx: &mut [i16]) {
        let n = tx.len();
        let conducts = matches!(
            self.feed,
            LineFeed::ForwardActive
                | LineFeed::ReverseActive
                | LineFeed::ForwardOnHookTransmission
                | LineFeed::ReverseOnHookTransmission
        );
        let off_path = self.loop_closed() && conducts;
        let on_path = !self.hook_up && self.feed.is_on_hook_transmission();

        // The microphone: keypad, type 2 acknowledgement, speech.
        self.mic.resize(n, 0);
        self.mic2.resize(n, 0);
        self.keypad.fill(&mut self.mic);
        self.ack.fill(&mut self.mic2);
        let mut mic: Vec<f32> = self
            .mic
            .iter()
            .zip(&self.mic2)
            .map(|(&a, &b)| f32::from(a) + f32::from(b))
            .collect();
        for sp in &mut self.speech {
            match sp {
                Speech::Clip(clip, pos) => {
                    for (m, &v) in mic.iter_mut().zip(clip[*pos..].iter()) {
                        *m += f32::from(v);
                    }
                    *pos = (*pos + n).min(clip.len());
                }
                Speech::Tone {
                    step,
                    phase,
                    peak,
                    left,
                } => {
                    for m in mic.iter_mut().take(*left) {
                        *m += (*peak * phase.sin() as f32).round();
                        *phase = (*phase + *step) % (2.0 * std::f64::consts::PI);
                    }
                    *left = left.saturating_sub(n);
                }
            }
        }
        self.speech.retain(|sp| match sp {
            Speech::Clip(clip, pos) => *pos < clip.len(),
            Speech::Tone { left, .. } => *left > 0,
        });
        // A device on the line hears this block as sent and answers in it.
        if let (Some(dev), true) = (self.device.as_mut(), off_path) {
            self.device_said.clear();
            self.device_said.resize(n, 0);
            dev.exchange(tx, &mut self.device_said);
            for (m, &d) in mic.iter_mut().zip(&self.device_said) {
                *m += f32::from(d);
            }
        }

        self.heard.clear();
        for k in 0..n {
            let t = f32::from(tx[k]);
            let echo = match &mut self.echo {
                Some(e) => e.step(if off_path { t } else { 0.0 }),
                None => 0.0,
            };
            let (nl, np) = if self.noise_rms > 0.0 && (off_path || on_path) {
                (
                    self.noise_rms * self.noise_line.gaussian(),
                    self.noise_rms * self.noise_phone.gaussian(),
                )
            } else {
                (0.0, 0.0)
            };
            rx[k] = if off_path {
                saturate(mic[k] + echo + nl)
            } else if on_path {
                saturate(nl)
            } else {
                0
            };
            self.heard.push(if off_path || on_path {
                saturate(t + np)
            } else {
                0
            });
        }

        // The earpiece (handset lifted) and the tone monitor listening to it.
        self.ear.clear();
        if off_path {
            self.ear.extend_from_slice(&self.heard);
        } else {
            self.ear.resize(n, 0);
        }
        if self.hook_up {
            self.earpiece.extend_from_slice(&self.ear);
        }
        self.monitor.push(&self.ear);

        // Caller-ID display.
        let end = self.time_of(s + n as u64);
        let mut msgs = Vec::new();
        if on_path {
            self.on_hook_active = true;
            self.on_hook_rx.process(&self.heard, &mut msgs);
        } else if self.on_hook_active {
            self.on_hook_active = false;
            self.on_hook_rx.path_closed(&mut msgs, self.cfg.caller_id);
        }
        if off_path {
            if let Some(t2) = &mut self.type2 {
                let mut outs = Vec::new();
                t2.process(s, &self.heard, &mut outs);
                for o in outs {
                    match o {
                        Type2Output::Message(m) => msgs.push(m),
                        Type2Output::CasEnded(at) => {
                            let t = self.time_of(at) + self.cfg.type2_ack_delay;
                            self.push_op(t, Op::Type2Ack);
                        }
                    }
                }
            }
        }
        for m in msgs {
            if let Message::Vmwi { active } = m {
                self.vmwi = active;
            }
            self.caller_id_log.push((end, m));
        }
    }
}

fn saturate(x: f32) -> i16 {
    x.round().clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16
}

impl FxsPort for SimPort {
    fn set_line_feed(&mut self, feed: LineFeed) -> Result<()> {
        let s = self.sample;
        let at = self.now.max(self.time_of(s));
        self.feed = feed;
        if matches!(feed, LineFeed::Ringing(_)) {
            self.ring_start = s;
            self.ring_housekeeping(s);
        }
        // Battery back (the SLIC sees the loop again), or a ring trip on an off-hook phone.
        self.loop_changed(at, s);
        self.update_voltage(s);
        Ok(())
    }

    fn line_feed(&self) -> LineFeed {
        self.feed
    }

    fn set_hook_timing(&mut self, timing: HookTiming) -> Result<()> {
        self.decoder.set_timing(timing)
    }

    fn hook_state(&self) -> HookState {
        self.decoder.state()
    }

    fn transfer(&mut self, now: Instant, tx: &Frame, rx: &mut Frame) {
        // The frame ends at `now`; if `now` jumped ahead, the phone lives through the gap
        // with silence from the gateway (what it sent in the gap is lost, like a TDM slip).
        let target = (now.saturating_duration_since(self.start).as_nanos() as u64) / NS_PER_SAMPLE;
        let frame = FRAME_SAMPLES as u64;
        let silence = [0i16; FRAME_SAMPLES];
        let mut sink = [0i16; FRAME_SAMPLES];
        while target > self.sample + frame {
            let n = (target - frame - self.sample).min(frame) as usize;
            self.run_samples(&silence[..n], &mut sink[..n]);
        }
        self.run_samples(tx, rx);
        self.now = self.now.max(now);
        let t = self.now.max(self.time_of(self.sample));
        self.decoder.advance(t);
    }

    fn poll_event(&mut self) -> Option<PortEvent> {
        self.decoder.poll_event()
    }
}

//! The per-port state machine: hook events and line audio in, line feed, tones, caller ID and
//! call commands out. Sans-IO: it never reads a clock and never touches a port or a socket.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use tipring_dsp::cadence::{After, Cadence, CadenceStep};
use tipring_dsp::callerid::{self, CallerId, EtsiAlert, Message, Signalling};
use tipring_dsp::dtmf::{DtmfDetector, DtmfEvent, DtmfSender};
use tipring_dsp::fsk::FskModulator;
use tipring_dsp::tone::{ToneGenerator, ToneKind, ToneSpec};
use tipring_dsp::{Frame, SAMPLE_RATE};
use tipring_hal::{HookEvent, LineFeed, PortEvent};

use crate::config::LineConfig;
use crate::dialplan::{RejectReason, Verdict};
use crate::error::Result;

/// Something that happens on the network side of the line (the SIP user agent reports it).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NetworkEvent {
    /// A call for this line: ring the phone, with this caller ID. `ring` overrides the
    /// cadence (distinctive ringing, e.g. from `Alert-Info`).
    IncomingCall {
        /// Who is calling.
        caller: CallerId,
        /// Distinctive ring cadence, if any.
        ring: Option<Cadence>,
    },
    /// The caller gave up before the phone answered (CANCEL).
    CallCancelled,
    /// Our outgoing call is ringing at the far end (180): play ringback.
    RemoteRinging,
    /// Our outgoing call has early media (183 with SDP): stop local ringback.
    EarlyMedia,
    /// The far end answered our outgoing call (200).
    Answered,
    /// The far end is busy (486/600).
    Busy,
    /// The call failed for another reason (404, 480, 503, timeout, ...).
    Failed,
    /// The far end hung up (BYE).
    RemoteHangup,
    /// A second call arrives during a call (call waiting): beep, and send its caller ID to
    /// the off-hook phone if type 2 caller ID is on.
    CallWaiting {
        /// Who is calling.
        caller: CallerId,
    },
    /// Voicemail has (or no longer has) messages: lamp on the phone and stutter dial tone.
    MessageWaiting(bool),
}

/// What the line asks of the SIP side: the interface the SIP user agent implements.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallCommand {
    /// Place a call to this number (after dial-plan substitutions).
    Dial {
        /// The number.
        number: String,
    },
    /// The phone answered the incoming call.
    Answer,
    /// The phone hung up: end the call (CANCEL or BYE).
    Hangup,
    /// Refuse the incoming call: the line is busy.
    RejectBusy,
    /// The caller flashed the hook during a call (for hold, transfer, conference).
    Flash,
    /// A DTMF key pressed during a call (to send as RFC 4733 or SIP INFO).
    Digit(char),
}

/// Where a dialled digit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigitSource {
    /// A DTMF tone detected in the line audio.
    Dtmf,
    /// Hook pulses from a rotary dial.
    Pulse,
}

/// What the line reports for logs, management and the demo.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LineEvent {
    /// The state changed.
    State(LineState),
    /// A tone starts playing to the phone.
    Tone(ToneKind),
    /// A digit was dialled.
    Digit {
        /// The key.
        digit: char,
        /// Tone or pulses.
        source: DigitSource,
    },
    /// The dial plan says the number is complete.
    NumberComplete {
        /// The number to call.
        number: String,
    },
    /// The dial plan refused the number.
    NumberRejected {
        /// The keys dialled.
        digits: String,
        /// Why.
        reason: RejectReason,
    },
    /// A caller-ID or VMWI message was sent to the phone.
    CallerIdSent(Message),
    /// A hook flash.
    Flash,
}

/// A snapshot of where the line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineState {
    /// On hook, nothing happening.
    Idle,
    /// Ringing the phone for an incoming call.
    Ringing,
    /// Off hook, dial tone, no digit yet.
    DialTone,
    /// Collecting digits.
    Dialling,
    /// The number is complete; waiting for the call to connect.
    Calling,
    /// In a call.
    Connected,
    /// A treatment tone (busy, reorder, congestion) after a failure.
    Treatment(ToneKind),
    /// Off-hook warning (howler): the receiver was left off hook.
    OffHookWarning,
    /// Silence until the phone hangs up.
    Lockout,
}

impl fmt::Display for LineState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineState::Idle => f.write_str("idle"),
            LineState::Ringing => f.write_str("ringing"),
            LineState::DialTone => f.write_str("dial tone"),
            LineState::Dialling => f.write_str("dialling"),
            LineState::Calling => f.write_str("calling"),
            LineState::Connected => f.write_str("connected"),
            LineState::Treatment(k) => write!(f, "{} tone", k.name()),
            LineState::OffHookWarning => f.write_str("off-hook warning"),
            LineState::Lockout => f.write_str("lockout"),
        }
    }
}

/// Inputs to [`Line::handle_input`].
#[derive(Debug)]
pub enum Input<'a> {
    /// A hook event from the port.
    Hook(PortEvent),
    /// 10 ms of audio received from the line, ending at `now`.
    Audio {
        /// End of the frame.
        now: Instant,
        /// The samples.
        frame: &'a Frame,
    },
    /// Something from the network side.
    Network {
        /// When it arrived.
        now: Instant,
        /// What it is.
        event: NetworkEvent,
    },
    /// Time has reached `now` (call when [`Line::poll_timeout`] is due).
    Timeout(Instant),
}

/// Outputs of [`Line::poll_output`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// Set the port's line feed.
    LineFeed(LineFeed),
    /// Ask the SIP side to do something.
    Call(CallCommand),
    /// Report something.
    Event(LineEvent),
}

/// What the line is sending to the phone.
#[derive(Debug)]
enum Audio {
    Silence,
    Tone(ToneGenerator),
    Fsk(FskModulator),
    Dtmf(DtmfSender),
}

/// A timed step of a signalling sequence (caller ID, VMWI, call waiting).
#[derive(Debug)]
enum Step {
    Feed(LineFeed),
    Tone(ToneSpec, Option<ToneKind>),
    Fsk(Vec<u8>, bool),
    Dtmf(String),
    /// Open the window for the type-2 acknowledgement; the FSK waits for it.
    AwaitAck(Vec<u8>),
    /// The acknowledgement window closed without an ack.
    AckTimeout,
}

#[derive(Debug, PartialEq, Eq)]
enum St {
    Idle,
    Ringing,
    Dialling { digits: String },
    Calling,
    Connected,
    Treatment(ToneKind),
    Howler,
    Lockout,
}

/// The state machine of one line. See the crate docs for how to drive it.
#[derive(Debug)]
pub struct Line {
    cfg: LineConfig,
    st: St,
    off_hook: bool,
    /// State timer (digit timers, treatment progression, warmline).
    deadline: Option<Instant>,
    /// Signalling steps (caller ID, VMWI, type 2) with their start times.
    script: VecDeque<(Instant, Step)>,
    audio: Audio,
    dtmf: DtmfDetector,
    /// A type-2 caller-ID message waiting for the phone's acknowledgement.
    awaiting_ack: Option<Vec<u8>>,
    message_waiting: bool,
    /// The far end sends early media (183 with SDP) while we are calling.
    early_media: bool,
    /// VMWI not yet sent because the line was busy.
    vmwi_pending: bool,
    outputs: VecDeque<Output>,
}

/// Milliseconds of FSK or DTMF audio from a sample count.
fn samples_to_duration(samples: usize) -> Duration {
    Duration::from_micros(samples as u64 * 1_000_000 / u64::from(SAMPLE_RATE))
}

/// One ring burst of 250 ms: ETSI EN 300 659-1 §6.1.2 ring-pulse alerting (200–300 ms).
static RING_PULSE: [CadenceStep; 1] = [CadenceStep::new(250, 0)];

/// Longest caller name Bell 202 phones show (GR-30-CORE).
const BELL_NAME_MAX: usize = 15;

/// DTMF CLIP digit timing: 70 ms tone, 70 ms pause (ETSI ES 200 778-1 asks ≥ 50 ms each).
const CLIP_DTMF_ON_MS: u32 = 70;
const CLIP_DTMF_OFF_MS: u32 = 70;

impl Line {
    /// A line on an idle, on-hook port. The first output sets the feed to forward active.
    pub fn new(cfg: LineConfig) -> Result<Self> {
        cfg.validate()?;
        let dtmf = DtmfDetector::new(cfg.dtmf);
        let mut line = Self {
            cfg,
            st: St::Idle,
            off_hook: false,
            deadline: None,
            script: VecDeque::new(),
            audio: Audio::Silence,
            dtmf,
            awaiting_ack: None,
            message_waiting: false,
            early_media: false,
            vmwi_pending: false,
            outputs: VecDeque::new(),
        };
        line.outputs
            .push_back(Output::LineFeed(LineFeed::ForwardActive));
        Ok(line)
    }

    /// The configuration in force.
    pub fn config(&self) -> &LineConfig {
        &self.cfg
    }

    /// Replace the configuration. Takes effect for the next call; a call in progress keeps
    /// running. Refused (and the old one kept) if it does not validate.
    pub fn set_config(&mut self, cfg: LineConfig) -> Result<()> {
        cfg.validate()?;
        self.dtmf = DtmfDetector::new(cfg.dtmf);
        self.cfg = cfg;
        Ok(())
    }

    /// Where the line is now.
    pub fn state(&self) -> LineState {
        match &self.st {
            St::Idle => LineState::Idle,
            St::Ringing => LineState::Ringing,
            St::Dialling { digits } if digits.is_empty() => LineState::DialTone,
            St::Dialling { .. } => LineState::Dialling,
            St::Calling => LineState::Calling,
            St::Connected => LineState::Connected,
            St::Treatment(k) => LineState::Treatment(*k),
            St::Howler => LineState::OffHookWarning,
            St::Lockout => LineState::Lockout,
        }
    }

    /// Whether the phone is off hook (as far as the line knows).
    pub fn is_off_hook(&self) -> bool {
        self.off_hook
    }

    /// Whether the call's voice path is through to the phone: connected, or calling with
    /// early media from the far end. The port's driver then exchanges audio with the
    /// network ([`crate::driver::VoicePath`]).
    pub fn voice_connected(&self) -> bool {
        self.st == St::Connected || (self.st == St::Calling && self.early_media)
    }

    /// Whether the line's own signalling (caller-ID FSK or DTMF CLIP on a call-waiting
    /// alert, or the window for the phone's type-2 acknowledgement) must have the voice path
    /// muted both ways: the far end must not hear the data, nor the phone's ack, and the
    /// phone's CPE must receive the data clean (SR-TSV-002476 §3.3).
    pub fn mutes_voice(&self) -> bool {
        matches!(self.audio, Audio::Fsk(_) | Audio::Dtmf(_)) || self.awaiting_ack.is_some()
    }

    /// Whether voicemail is waiting (lamp and stutter dial tone).
    pub fn message_waiting(&self) -> bool {
        self.message_waiting
    }

    /// The next output, if any. Drain after every input.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`Input::Timeout`] is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.deadline, self.script.front().map(|(t, _)| *t)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Feed one input.
    pub fn handle_input(&mut self, input: Input<'_>) {
        match input {
            Input::Hook(ev) => self.on_hook_event(ev),
            Input::Audio { now, frame } => self.on_audio(now, frame),
            Input::Network { now, event } => self.on_network(now, event),
            Input::Timeout(now) => self.on_timeout(now),
        }
    }

    /// The next 10 ms of audio toward the phone: tones, caller ID, or silence.
    pub fn produce_audio(&mut self, out: &mut Frame) {
        match &mut self.audio {
            Audio::Silence => out.fill(0),
            Audio::Tone(g) => g.fill(out),
            Audio::Fsk(m) => m.fill(out),
            Audio::Dtmf(s) => s.fill(out),
        }
    }

    // ----- inputs -------------------------------------------------------------------------

    fn on_hook_event(&mut self, ev: PortEvent) {
        let now = ev.at;
        match ev.event {
            HookEvent::OffHook => {
                if self.off_hook {
                    return;
                }
                self.off_hook = true;
                self.on_off_hook(now);
            }
            HookEvent::OnHook => {
                if !self.off_hook {
                    return;
                }
                self.off_hook = false;
                if matches!(self.st, St::Calling | St::Connected) {
                    self.call(CallCommand::Hangup);
                }
                self.go_idle(now);
            }
            HookEvent::Flash { .. } => {
                if !self.off_hook {
                    return;
                }
                self.event(LineEvent::Flash);
                if self.st == St::Connected {
                    self.call(CallCommand::Flash);
                }
            }
            HookEvent::PulseDigit(d) => {
                if self.off_hook && d <= 9 {
                    self.on_digit(now, char::from(b'0' + d), DigitSource::Pulse);
                }
            }
        }
    }

    fn on_off_hook(&mut self, now: Instant) {
        match self.st {
            St::Ringing => {
                // Answer. The SLIC has tripped the ring already; make the feed explicit.
                self.script.clear();
                self.audio = Audio::Silence;
                self.feed(LineFeed::ForwardActive);
                self.call(CallCommand::Answer);
                self.enter(St::Connected, None);
            }
            _ => {
                self.script.clear();
                self.feed(LineFeed::ForwardActive);
                match self.cfg.hotline.clone() {
                    Some(h) if h.delay.is_zero() => self.complete(now, h.number),
                    hotline => {
                        let kind = if self.message_waiting {
                            ToneKind::StutterDial
                        } else {
                            ToneKind::Dial
                        };
                        self.play(kind);
                        let wait = match hotline {
                            Some(h) => h.delay.min(self.cfg.timers.first_digit),
                            None => self.cfg.timers.first_digit,
                        };
                        self.dtmf = DtmfDetector::new(self.cfg.dtmf);
                        self.enter(
                            St::Dialling {
                                digits: String::new(),
                            },
                            Some(now + wait),
                        );
                    }
                }
            }
        }
    }

    fn on_audio(&mut self, now: Instant, frame: &Frame) {
        if !self.off_hook || !matches!(self.st, St::Dialling { .. } | St::Calling | St::Connected) {
            return;
        }
        let mut events: [Option<DtmfEvent>; 4] = [None; 4];
        let mut n = 0;
        self.dtmf.process(frame, |e| {
            if n < events.len() {
                events[n] = Some(e);
                n += 1;
            }
        });
        for e in events.into_iter().flatten() {
            match e {
                DtmfEvent::Start { digit, .. } => {
                    if self.awaiting_ack.is_some() && matches!(digit, 'A' | 'D') {
                        continue; // the acknowledgement is acted on at its end
                    }
                    self.on_digit(now, digit, DigitSource::Dtmf);
                }
                DtmfEvent::End { digit, .. } => {
                    if matches!(digit, 'A' | 'D') {
                        if let Some(msg) = self.awaiting_ack.take() {
                            self.ack_received(now, msg);
                        }
                    }
                }
            }
        }
    }

    fn on_digit(&mut self, now: Instant, digit: char, source: DigitSource) {
        match &mut self.st {
            St::Dialling { digits } => {
                if digits.is_empty() {
                    // The first digit stops dial tone.
                    self.audio = Audio::Silence;
                }
                let terminator = digit == '#'
                    && self.cfg.pound_terminates
                    && !self.cfg.dial_plan.accepts_next(digits, '#');
                let so_far = digits.clone();
                let verdict = if terminator {
                    self.cfg.dial_plan.on_terminator(&so_far)
                } else {
                    digits.push(digit);
                    self.cfg.dial_plan.evaluate(digits)
                };
                self.event(LineEvent::Digit { digit, source });
                self.apply_verdict(now, verdict);
            }
            St::Connected | St::Calling if source == DigitSource::Dtmf => {
                self.call(CallCommand::Digit(digit));
            }
            _ => {}
        }
    }

    fn apply_verdict(&mut self, now: Instant, verdict: Verdict) {
        let t = self.cfg.timers;
        match verdict {
            Verdict::Complete(number) => self.complete(now, number),
            Verdict::CompleteAfterShortTimer(_) => self.deadline = Some(now + t.interdigit_short),
            Verdict::Incomplete => self.deadline = Some(now + t.interdigit_long),
            Verdict::Rejected(reason) => {
                let digits = match &self.st {
                    St::Dialling { digits } => digits.clone(),
                    _ => String::new(),
                };
                self.event(LineEvent::NumberRejected { digits, reason });
                self.treatment(now, ToneKind::Congestion);
            }
        }
    }

    fn complete(&mut self, _now: Instant, number: String) {
        self.audio = Audio::Silence;
        self.event(LineEvent::NumberComplete {
            number: number.clone(),
        });
        self.call(CallCommand::Dial { number });
        self.enter(St::Calling, None);
    }

    fn on_network(&mut self, now: Instant, event: NetworkEvent) {
        match event {
            NetworkEvent::IncomingCall { caller, ring } => {
                if self.st != St::Idle || self.off_hook {
                    self.call(CallCommand::RejectBusy);
                    return;
                }
                self.start_alerting(now, &caller, ring);
            }
            NetworkEvent::CallCancelled => {
                if self.st == St::Ringing {
                    self.go_idle(now);
                }
            }
            NetworkEvent::RemoteRinging => {
                if self.st == St::Calling {
                    self.play(ToneKind::Ringback);
                }
            }
            NetworkEvent::EarlyMedia => {
                if self.st == St::Calling {
                    self.audio = Audio::Silence;
                    self.early_media = true;
                }
            }
            NetworkEvent::Answered => {
                if self.st == St::Calling {
                    self.audio = Audio::Silence;
                    self.enter(St::Connected, None);
                }
            }
            NetworkEvent::Busy => {
                if self.st == St::Calling {
                    self.treatment(now, ToneKind::Busy);
                }
            }
            NetworkEvent::Failed => {
                if self.st == St::Calling {
                    self.treatment(now, ToneKind::Congestion);
                }
            }
            NetworkEvent::RemoteHangup => match self.st {
                St::Calling | St::Connected => self.treatment(now, ToneKind::Congestion),
                St::Ringing => self.go_idle(now),
                _ => {}
            },
            NetworkEvent::CallWaiting { caller } => {
                if self.st == St::Connected {
                    self.start_call_waiting(now, &caller);
                }
            }
            NetworkEvent::MessageWaiting(on) => {
                self.message_waiting = on;
                if self.st == St::Idle && self.script.is_empty() {
                    self.send_vmwi(now);
                } else {
                    self.vmwi_pending = true;
                }
            }
        }
    }

    fn on_timeout(&mut self, now: Instant) {
        while let Some((at, _)) = self.script.front() {
            if *at > now {
                break;
            }
            let (at, step) = self.script.pop_front().expect("front exists");
            self.run_step(at, step);
        }
        if self.deadline.is_some_and(|d| d <= now) {
            self.deadline = None;
            self.state_timer(now);
        }
    }

    fn state_timer(&mut self, now: Instant) {
        let t = self.cfg.timers;
        match &self.st {
            St::Dialling { digits } if digits.is_empty() => {
                match self.cfg.hotline.clone() {
                    // Warmline: no key within the delay.
                    Some(h) if h.delay <= t.first_digit => self.complete(now, h.number),
                    _ => self.treatment(now, ToneKind::Congestion),
                }
            }
            St::Dialling { digits } => {
                let verdict = self.cfg.dial_plan.on_timeout(&digits.clone());
                self.apply_verdict(now, verdict);
            }
            St::Treatment(_) => {
                self.play(ToneKind::OffHookWarning);
                self.enter(St::Howler, Some(now + t.howler));
            }
            St::Howler => {
                self.audio = Audio::Silence;
                self.enter(St::Lockout, None);
            }
            _ => {}
        }
    }

    // ----- caller ID, VMWI and call waiting sequences ---------------------------------------

    fn start_alerting(&mut self, now: Instant, caller: &CallerId, ring: Option<Cadence>) {
        let cadence = ring.unwrap_or_else(|| self.cfg.ring());
        let cid = self.cfg.caller_id;
        let mut caller = caller.clone();
        if cid.signalling == Signalling::Bell202 {
            // GR-30-CORE MDMF: a name has at most 15 characters on North American phones.
            if let Some(name) = caller.name.as_mut() {
                if let Some((cut, _)) = name.char_indices().nth(BELL_NAME_MAX) {
                    name.truncate(cut);
                }
            }
        }
        let msg = Message::Call(caller.clone());
        let ring_forever = Cadence {
            steps: cadence.steps,
            after: After::Repeat,
        };
        let mut t = now;
        let mut steps: Vec<(Instant, Step)> = Vec::new();
        match cid.signalling {
            Signalling::Off => steps.push((t, Step::Feed(LineFeed::Ringing(ring_forever)))),
            Signalling::Bell202 | Signalling::Etsi(EtsiAlert::AfterFirstRing) => {
                // GR-30-CORE §3.1 / EN 300 659-1 §6.1.3: FSK starts ≥ 500 ms after the first
                // ring ends and ends ≥ 200 ms before the second ring.
                let once = Cadence {
                    steps: cadence.steps,
                    after: After::Stop,
                };
                steps.push((t, Step::Feed(LineFeed::Ringing(once))));
                let last_off = cadence.steps.last().map_or(0, |s| s.off_ms);
                let burst_end =
                    t + Duration::from_millis(cadence.period_ms() - u64::from(last_off));
                let fsk_at = burst_end + Duration::from_millis(500);
                let bytes = callerid::encode(&msg, cid.format);
                let fsk_len = self.fsk_duration(&bytes, false);
                steps.push((fsk_at, Step::Feed(LineFeed::ForwardOnHookTransmission)));
                steps.push((fsk_at, Step::Fsk(bytes, false)));
                let second = (t + Duration::from_millis(cadence.period_ms()))
                    .max(fsk_at + fsk_len + Duration::from_millis(200));
                steps.push((second, Step::Feed(LineFeed::Ringing(ring_forever))));
            }
            Signalling::Etsi(alert) => {
                let bytes = callerid::encode(&msg, cid.format);
                let fsk_len = self.fsk_duration(&bytes, false);
                if alert == EtsiAlert::RingPulse {
                    // EN 300 659-1 §6.1.2: a 200–300 ms ring pulse, FSK 500–800 ms after it.
                    let pulse = Cadence {
                        steps: &RING_PULSE,
                        after: After::Stop,
                    };
                    steps.push((t, Step::Feed(LineFeed::Ringing(pulse))));
                    t += Duration::from_millis(250 + 650);
                    steps.push((t, Step::Feed(LineFeed::ForwardOnHookTransmission)));
                } else {
                    // EN 300 659-1 §6.1.1 (and BT SIN 227): line reversal, DT-AS ≥ 100 ms
                    // later, FSK 45–500 ms after the DT-AS.
                    steps.push((t, Step::Feed(LineFeed::ReverseOnHookTransmission)));
                    t += Duration::from_millis(100);
                    steps.push((t, Step::Tone(callerid::DT_AS, None)));
                    t += Duration::from_millis(callerid::DT_AS.cadence.period_ms() + 60);
                }
                steps.push((t, Step::Fsk(bytes, false)));
                // Ringing 200–500 ms after the FSK ends.
                t += fsk_len + Duration::from_millis(250);
                steps.push((t, Step::Feed(LineFeed::Ringing(ring_forever))));
            }
            Signalling::DtmfClip => {
                // Line reversal, then 'A' number 'C' in DTMF, then ringing.
                steps.push((t, Step::Feed(LineFeed::ReverseOnHookTransmission)));
                t += Duration::from_millis(100);
                let digits = callerid::dtmf_clip_digits(&caller);
                let len =
                    digits.chars().count() as u64 * u64::from(CLIP_DTMF_ON_MS + CLIP_DTMF_OFF_MS);
                steps.push((t, Step::Dtmf(digits)));
                t += Duration::from_millis(len + 250);
                steps.push((t, Step::Feed(LineFeed::Ringing(ring_forever))));
            }
        }
        self.script = steps.into();
        self.enter(St::Ringing, None);
        // Steps due now run at once.
        self.on_timeout(now);
        if cid.signalling != Signalling::Off {
            self.event(LineEvent::CallerIdSent(msg));
        }
    }

    fn start_call_waiting(&mut self, now: Instant, caller: &CallerId) {
        // The subscriber alerting signal: one burst of the plan's call-waiting tone.
        let sas = self.cfg.tone_plan.tone(ToneKind::CallWaiting);
        let burst = sas.cadence.steps.first().map_or(300, |s| s.on_ms);
        let mut t = now;
        self.script
            .push_back((t, Step::Tone(*sas, Some(ToneKind::CallWaiting))));
        t += Duration::from_millis(u64::from(burst));
        let cid = self.cfg.caller_id;
        if cid.type2 && cid.signalling.fsk_standard().is_some() {
            // SR-TSV-002476: CAS (80 ms), then the phone acknowledges with DTMF 'D' or 'A'
            // within 160 ms; the FSK follows the acknowledgement.
            t += Duration::from_millis(20);
            self.script.push_back((t, Step::Tone(callerid::CAS, None)));
            t += Duration::from_millis(callerid::CAS.cadence.period_ms());
            let bytes = callerid::encode(&Message::Call(caller.clone()), cid.format);
            self.script.push_back((t, Step::AwaitAck(bytes)));
            // The window: 160 ms plus the time the detector needs to see the ack end.
            self.script
                .push_back((t + Duration::from_millis(260), Step::AckTimeout));
        }
        self.on_timeout(now);
    }

    fn ack_received(&mut self, now: Instant, bytes: Vec<u8>) {
        // Drop the pending timeout and send the FSK 60 ms after the ack (50–500 ms).
        self.script.retain(|(_, s)| !matches!(s, Step::AckTimeout));
        self.script
            .push_back((now + Duration::from_millis(60), Step::Fsk(bytes, true)));
    }

    fn send_vmwi(&mut self, now: Instant) {
        self.vmwi_pending = false;
        let cid = self.cfg.caller_id;
        let Some(_) = cid.signalling.fsk_standard() else {
            return;
        };
        let msg = Message::Vmwi {
            active: self.message_waiting,
        };
        let bytes = callerid::encode(&msg, cid.format);
        let len = self.fsk_duration(&bytes, false);
        let mut t = now;
        if matches!(
            cid.signalling,
            Signalling::Etsi(EtsiAlert::LineReversalDtAs)
        ) {
            self.script
                .push_back((t, Step::Feed(LineFeed::ReverseOnHookTransmission)));
            t += Duration::from_millis(100);
            self.script
                .push_back((t, Step::Tone(callerid::DT_AS, None)));
            t += Duration::from_millis(callerid::DT_AS.cadence.period_ms() + 60);
        } else {
            // GR-30-CORE §3.2: ringless message waiting, on-hook transmission.
            self.script
                .push_back((t, Step::Feed(LineFeed::ForwardOnHookTransmission)));
            t += Duration::from_millis(200);
        }
        self.script.push_back((t, Step::Fsk(bytes, false)));
        t += len + Duration::from_millis(100);
        self.script
            .push_back((t, Step::Feed(LineFeed::ForwardActive)));
        self.event(LineEvent::CallerIdSent(msg));
        self.on_timeout(now);
    }

    fn fsk_duration(&self, bytes: &[u8], off_hook: bool) -> Duration {
        let std = self
            .cfg
            .caller_id
            .signalling
            .fsk_standard()
            .unwrap_or(tipring_dsp::fsk::FskStandard::Bell202);
        let m = callerid::fsk_burst(std, bytes, off_hook, self.cfg.caller_id.level_dbm0);
        samples_to_duration(m.remaining_samples())
    }

    fn run_step(&mut self, _at: Instant, step: Step) {
        match step {
            Step::Feed(feed) => self.feed(feed),
            Step::Tone(spec, kind) => {
                self.audio = Audio::Tone(ToneGenerator::new(&spec));
                if let Some(kind) = kind {
                    self.event(LineEvent::Tone(kind));
                }
            }
            Step::Fsk(bytes, off_hook) => {
                let cid = self.cfg.caller_id;
                if let Some(std) = cid.signalling.fsk_standard() {
                    self.audio =
                        Audio::Fsk(callerid::fsk_burst(std, &bytes, off_hook, cid.level_dbm0));
                }
            }
            Step::Dtmf(digits) => {
                let mut s = DtmfSender::default();
                if s.push(&digits, CLIP_DTMF_ON_MS, CLIP_DTMF_OFF_MS).is_ok() {
                    self.audio = Audio::Dtmf(s);
                }
            }
            Step::AwaitAck(bytes) => {
                self.audio = Audio::Silence;
                self.awaiting_ack = Some(bytes);
            }
            Step::AckTimeout => self.awaiting_ack = None,
        }
    }

    // ----- helpers ------------------------------------------------------------------------

    fn go_idle(&mut self, now: Instant) {
        self.script.clear();
        self.awaiting_ack = None;
        self.audio = Audio::Silence;
        self.feed(LineFeed::ForwardActive);
        self.enter(St::Idle, None);
        if self.vmwi_pending && !self.off_hook {
            self.send_vmwi(now);
        }
    }

    fn treatment(&mut self, now: Instant, kind: ToneKind) {
        self.script.clear();
        self.awaiting_ack = None;
        self.play(kind);
        self.enter(
            St::Treatment(kind),
            Some(now + self.cfg.timers.permanent_signal),
        );
    }

    fn play(&mut self, kind: ToneKind) {
        self.audio = Audio::Tone(ToneGenerator::new(self.cfg.tone_plan.tone(kind)));
        self.event(LineEvent::Tone(kind));
    }

    fn enter(&mut self, st: St, deadline: Option<Instant>) {
        let changed = std::mem::discriminant(&st) != std::mem::discriminant(&self.st)
            || matches!((&st, &self.st), (St::Treatment(a), St::Treatment(b)) if a != b);
        self.st = st;
        self.deadline = deadline;
        if changed {
            self.early_media = false;
            self.event(LineEvent::State(self.state()));
            if self.st == St::Howler {
                tracing::info!("off-hook warning: receiver left off hook");
            }
        }
    }

    fn feed(&mut self, feed: LineFeed) {
        self.outputs.push_back(Output::LineFeed(feed));
    }

    fn call(&mut self, cmd: CallCommand) {
        self.outputs.push_back(Output::Call(cmd));
    }

    fn event(&mut self, ev: LineEvent) {
        self.outputs.push_back(Output::Event(ev));
    }
}

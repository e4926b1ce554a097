//! The per-port state machine: hook events and line audio in, line feed, tones, caller ID and
//! call commands out. Sans-IO: it never reads a clock and never touches a port or a socket.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use tipring_dsp::cadence::{After, Cadence, CadenceStep};
use tipring_dsp::callerid::{self, CallerId, EtsiAlert, Message, Signalling};
use tipring_dsp::dtmf::{DtmfDetector, DtmfEvent, DtmfSender};
use tipring_dsp::fsk::FskModulator;
use tipring_dsp::tone::{ToneGenerator, ToneKind, TonePlan, ToneSpec};
use tipring_dsp::{Frame, SAMPLE_RATE};
use tipring_hal::{HookEvent, LineFeed, PortEvent};

use crate::config::{CodeAction, FlashMode, ForwardKind, LineConfig};
use crate::dialplan::{RejectReason, Verdict};
use crate::error::Result;

/// One of the (at most two) network calls of a line.
///
/// The first leg is the call that existed first; the second is a consultation call (flash,
/// then dial) or a waiting call that was answered. A leg keeps its name while both exist.
/// When the first leg ends and the second remains — the line sent
/// [`CallCommand::HangupLeg`]`(Leg::First)`, or the SIP side reported the first leg's
/// [`NetworkEvent::RemoteHangup`] — the remaining call **becomes the first leg** for every
/// later command and event (the line reports [`ServiceEvent::SecondBecameFirst`]). Both
/// sides see the same events, so they renumber at the same point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Leg {
    /// The original call.
    First,
    /// The consultation call, or the answered waiting call.
    Second,
}

impl Leg {
    /// The other leg.
    pub fn other(self) -> Leg {
        match self {
            Leg::First => Leg::Second,
            Leg::Second => Leg::First,
        }
    }
}

/// Progress of the second leg (see [`NetworkEvent::Second`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecondEvent {
    /// The consultation call rings at the far end (180).
    Ringing,
    /// The consultation call has early media (183 with SDP).
    EarlyMedia,
    /// The consultation call was answered (200).
    Answered,
    /// The consultation call's far end is busy (486/600).
    Busy,
    /// The consultation call failed for another reason.
    Failed,
    /// The second leg's far end hung up (BYE).
    RemoteHangup,
}

/// A feature set or cleared from the phone with a star code; the SIP side keeps it (it
/// answers 302, refuses with 486/603, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Feature {
    /// Forward every call to this number; `None` clears it.
    ForwardAll(Option<String>),
    /// Forward calls to this number when the line is busy; `None` clears it.
    ForwardBusy(Option<String>),
    /// Forward unanswered calls to this number; `None` clears it.
    ForwardNoAnswer(Option<String>),
    /// Do not disturb on or off.
    DoNotDisturb(bool),
    /// Anonymous call rejection on or off.
    AnonymousReject(bool),
}

/// A supplementary service the user just used, for logs and management
/// ([`LineEvent::Service`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServiceEvent {
    /// Flash: the call was put on hold; consultation dial tone.
    Held,
    /// Back to the held call (flash, or lifting the phone on a reminder ring).
    Resumed,
    /// A consultation call to this number (the second leg).
    Consulting {
        /// The number called.
        number: String,
    },
    /// Flash before the consultation call answered: it was abandoned.
    ConsultationAbandoned,
    /// Flash with the consultation call answered: three-way conference.
    Conference,
    /// Flash in conference: the last party added was dropped.
    PartyDropped,
    /// A call waits: the call-waiting tone (and type 2 caller ID) plays.
    CallWaiting,
    /// A waiting call was refused (emergency call, call waiting off, line already has two
    /// calls or a call waiting).
    WaitingRefused,
    /// The waiting call was answered (flash); the first leg is on hold.
    WaitingAnswered,
    /// Flash with two calls: now talking to `active`, the other is on hold.
    Swapped {
        /// The leg now active.
        active: Leg,
    },
    /// Hang-up during a consultation: transfer requested.
    TransferRequested {
        /// With the consultation call answered (REFER with Replaces).
        attended: bool,
    },
    /// Hung up with a call on hold: the phone rings again for it.
    Recall,
    /// The first leg ended; the second leg is now the first.
    SecondBecameFirst,
    /// A feature star code was dialled.
    FeatureSet(Feature),
    /// Caller-ID blocking (`*67`) or unblocking (`*82`) for the next call.
    CallerIdPrivacy {
        /// True: withheld.
        private: bool,
    },
    /// A speed-dial key was dialled.
    SpeedDial {
        /// The key.
        key: String,
        /// The number it dials.
        number: String,
    },
    /// An emergency number was dialled.
    EmergencyCall {
        /// The number.
        number: String,
    },
    /// A flash during an emergency call was ignored.
    FlashIgnored,
}

/// Something that happens on the network side of the line (the SIP user agent reports it).
///
/// The call events (`RemoteRinging` to `RemoteHangup`) are about the first leg
/// ([`Leg::First`]); the second leg's come as [`NetworkEvent::Second`].
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
    /// the off-hook phone if type 2 caller ID is on. The line answers
    /// [`CallCommand::RejectBusy`] when it will not alert it (emergency call, call waiting
    /// off, a second call or a waiting call already there, no call connected).
    CallWaiting {
        /// Who is calling.
        caller: CallerId,
    },
    /// The waiting caller gave up (CANCEL) before the call was answered.
    WaitingCancelled,
    /// An event of the second leg.
    Second(SecondEvent),
    /// Voicemail has (or no longer has) messages: lamp on the phone and stutter dial tone.
    MessageWaiting(bool),
}

/// What the line asks of the SIP side: the interface the SIP user agent implements.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallCommand {
    /// Place a call to this number (after dial-plan substitutions): the first leg.
    Dial {
        /// The number.
        number: String,
        /// Withhold caller ID on this call (`*67`, or [`LineConfig::privacy_default`]
        /// without `*82`): `Privacy: id` (RFC 3323/3325) and an anonymous From.
        private: bool,
        /// The number is one of [`LineConfig::emergency_numbers`]: give it priority, do not
        /// forward it. Never `private`. The line ignores flash and refuses call waiting
        /// during the call.
        emergency: bool,
    },
    /// The phone answered the incoming call (this call becomes the first leg).
    Answer,
    /// The phone hung up: end every call of the line (CANCEL or BYE).
    Hangup,
    /// Refuse the call just offered ([`NetworkEvent::IncomingCall`] or
    /// [`NetworkEvent::CallWaiting`]): the line is busy.
    RejectBusy,
    /// A hook flash to pass on ([`FlashMode::Relay`] only).
    Flash,
    /// A DTMF key pressed during a call, for the active leg (both in a conference).
    Digit(char),
    /// Put the only call (the first leg) on hold.
    Hold,
    /// Take the only call (the first leg) off hold.
    Resume,
    /// Consultation: with the first leg held by a preceding `Hold`, call this number as
    /// the second leg.
    DialSecond {
        /// The number.
        number: String,
        /// Withhold caller ID on this call.
        private: bool,
    },
    /// Hold the first leg and answer the waiting call; it becomes the second leg.
    AnswerWaiting,
    /// Hold the active leg and resume the held one.
    Swap,
    /// Resume both legs and mix them locally (three-way conference).
    Conference,
    /// Connect the first and second legs to each other and leave both: attended (REFER
    /// with Replaces; the second leg answered) or blind (the second leg still ringing:
    /// cancel it and REFER the first leg to its number). The line is idle afterwards.
    Transfer {
        /// The second leg was answered.
        attended: bool,
    },
    /// End one leg only (the other goes on, see [`Leg`] for the renumbering).
    HangupLeg(Leg),
    /// Set or clear a feature (dialled as a star code).
    Feature(Feature),
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
    /// The confirmation tone (three short bursts of dial tone, then steady dial tone, see
    /// [`confirmation_tone`]) starts: a feature code was accepted, or a code prompts for
    /// more keys (recall dial tone).
    ConfirmationTone,
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
    /// A supplementary service was used.
    Service(ServiceEvent),
}

/// A snapshot of where the line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
    /// The only call is on hold: consultation dial tone (or digits, or a treatment tone
    /// after a failed consultation, or silence after the consulted party hung up).
    Held,
    /// First leg on hold, a consultation call (second leg) ringing or answered.
    Consulting,
    /// Both legs mixed (three-way conference).
    Conference,
    /// Two calls: one active, one on hold (after answering a waiting call).
    TwoCalls,
    /// A call waits: alerted during a call (or after the active call ended).
    CallWaiting,
    /// On hook with a call on hold: the phone rings as a reminder.
    Recall,
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
            LineState::Held => f.write_str("on hold"),
            LineState::Consulting => f.write_str("consulting"),
            LineState::Conference => f.write_str("conference"),
            LineState::TwoCalls => f.write_str("two calls"),
            LineState::CallWaiting => f.write_str("call waiting"),
            LineState::Recall => f.write_str("recall ringing"),
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

/// Three 100 ms bursts with 100 ms gaps.
static CONFIRMATION_STEPS: [CadenceStep; 3] = [CadenceStep::new(100, 100); 3];

/// The confirmation tone of a tone plan: the plan's dial tone in three 100 ms bursts with
/// 100 ms gaps, then steady dial tone.
///
/// Telcordia GR-506-CORE (LSSGR signalling) defines the North American confirmation tone
/// as three 0.1 s on / 0.1 s off bursts of 350 + 440 Hz, and recall dial tone as the same
/// three bursts followed by steady dial tone; PBXs document the same values (e.g. the AT&T
/// System 75 tone table). The line plays recall dial tone both after a feature code
/// (confirmation, then dial tone again as Cisco SPA and Grandstream HT adapters do) and
/// after a code that asks for more keys (`*67`, `*72`).
pub fn confirmation_tone(plan: &TonePlan) -> ToneSpec {
    let dial = plan.tone(ToneKind::Dial);
    ToneSpec {
        components: dial.components,
        modulation: dial.modulation,
        cadence: Cadence {
            steps: &CONFIRMATION_STEPS,
            after: After::Steady,
        },
    }
}

/// What the line is sending to the phone.
#[derive(Debug)]
enum Audio {
    Silence,
    Tone(ToneGenerator),
    /// The CAS of a type-2 alert: the voice path is muted around it.
    Cas(ToneGenerator),
    Fsk(FskModulator),
    Dtmf(DtmfSender),
}

/// A timed step of a signalling sequence (caller ID, VMWI, call waiting).
#[derive(Debug)]
enum Step {
    Feed(LineFeed),
    Tone(ToneSpec, Option<ToneKind>),
    /// The CPE alerting signal of a type-2 alert.
    Cas,
    Fsk(Vec<u8>, bool),
    Dtmf(String),
    /// Open the window for the type-2 acknowledgement; the FSK waits for it.
    AwaitAck(Vec<u8>),
    /// The acknowledgement window closed without an ack.
    AckTimeout,
}

/// Keys collected from a dial tone (the first one, or the consultation dial tone).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Collector {
    /// Keys since the dial tone (or since the last code was recognised).
    digits: String,
    /// Caller ID withheld on the call being dialled.
    private: bool,
    /// A forward-activation code was dialled: `digits` is the forward-to number.
    forward: Option<ForwardKind>,
    /// A key was pressed since the phone went off hook (a warmline no longer fires).
    keyed: bool,
}

impl Collector {
    fn new(private: bool) -> Self {
        Self {
            digits: String::new(),
            private,
            forward: None,
            keyed: false,
        }
    }
}

/// The held-call sub-state: the first leg is on hold and there is no second leg.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HeldPhase {
    /// Consultation dial tone, collecting the number.
    Dialling(Collector),
    /// A failed consultation's tone.
    Treatment(ToneKind),
    /// Nothing plays (the consulted party hung up, or the treatment ended).
    Silent,
}

/// Where the consultation call (second leg) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SecondLeg {
    Calling,
    Ringing,
    Early,
    Answered,
}

#[derive(Debug, PartialEq, Eq)]
enum St {
    Idle,
    Ringing,
    Dialling(Collector),
    Calling,
    Connected,
    Treatment(ToneKind),
    Howler,
    Lockout,
    Held(HeldPhase),
    Consulting(SecondLeg),
    Conference,
    TwoCalls {
        active: Leg,
    },
    /// The active call ended while a call waits.
    WaitingOnly,
    /// On hook, ringing for the held call.
    Recall,
}

/// How a run of keys ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Key,
    Timer,
    Pound,
}

/// What to do with the keys collected so far.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decision {
    Wait(Duration),
    Number {
        number: String,
        speed_key: Option<String>,
    },
    Code(CodeAction),
    Feature(Feature),
    Reject(RejectReason),
}

/// The state machine of one line. See the crate docs for how to drive it.
#[derive(Debug)]
pub struct Line {
    cfg: LineConfig,
    st: St,
    off_hook: bool,
    /// State timer (digit timers, treatment progression, warmline, recall).
    deadline: Option<Instant>,
    /// Signalling steps (caller ID, VMWI, type 2) with their start times, in time order.
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
    /// The caller of a waiting call, while it is alerted.
    waiting: Option<CallerId>,
    /// The first leg is an emergency call.
    emergency: bool,
    /// Who the first leg is with (for the reminder ring's caller ID).
    first_party: Option<CallerId>,
    /// Who the second leg is with.
    second_party: Option<CallerId>,
    outputs: VecDeque<Output>,
}

/// Milliseconds of FSK or DTMF audio from a sample count.
fn samples_to_duration(samples: usize) -> Duration {
    Duration::from_micros(samples as u64 * 1_000_000 / u64::from(SAMPLE_RATE))
}

/// A party known only by the number dialled.
fn party(number: &str) -> CallerId {
    CallerId {
        number: Some(number.to_string()),
        ..CallerId::default()
    }
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
            waiting: None,
            emergency: false,
            first_party: None,
            second_party: None,
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
            St::Dialling(c) if c.digits.is_empty() => LineState::DialTone,
            St::Dialling(_) => LineState::Dialling,
            St::Calling => LineState::Calling,
            St::Connected if self.waiting.is_some() => LineState::CallWaiting,
            St::Connected => LineState::Connected,
            St::Treatment(k) => LineState::Treatment(*k),
            St::Howler => LineState::OffHookWarning,
            St::Lockout => LineState::Lockout,
            St::Held(_) => LineState::Held,
            St::Consulting(_) => LineState::Consulting,
            St::Conference => LineState::Conference,
            St::TwoCalls { .. } => LineState::TwoCalls,
            St::WaitingOnly => LineState::CallWaiting,
            St::Recall => LineState::Recall,
        }
    }

    /// The leg the phone talks to with two calls up and one on hold (after answering a
    /// waiting call, or while consulting); `None` otherwise (one call, or a conference).
    pub fn active_leg(&self) -> Option<Leg> {
        match self.st {
            St::TwoCalls { active } => Some(active),
            St::Consulting(_) => Some(Leg::Second),
            _ => None,
        }
    }

    /// Whether the current (first-leg) call is an emergency call.
    pub fn is_emergency_call(&self) -> bool {
        self.emergency
    }

    /// Whether the phone is off hook (as far as the line knows).
    pub fn is_off_hook(&self) -> bool {
        self.off_hook
    }

    /// Whether the call's voice path is through to the phone: connected (one call, the
    /// active one of two, or a conference), or calling with early media from the far end.
    /// The port's driver then exchanges audio with the network
    /// ([`crate::driver::VoicePath`]); which legs it carries is the SIP side's business
    /// ([`Line::active_leg`]).
    pub fn voice_connected(&self) -> bool {
        match self.st {
            St::Connected | St::Conference | St::TwoCalls { .. } => true,
            St::Consulting(s) => matches!(s, SecondLeg::Early | SecondLeg::Answered),
            St::Calling => self.early_media,
            _ => false,
        }
    }

    /// Whether the line's own signalling (the CAS, caller-ID FSK or DTMF CLIP of a
    /// call-waiting alert, or the window for the phone's type-2 acknowledgement) must have
    /// the voice path muted both ways: the far end must not hear the data, nor the phone's
    /// ack, and the phone's CPE must receive the CAS and the data clean (SR-TSV-002476
    /// §3.3; a CAS under speech is missed or falsed).
    pub fn mutes_voice(&self) -> bool {
        matches!(self.audio, Audio::Cas(_) | Audio::Fsk(_) | Audio::Dtmf(_))
            || self.awaiting_ack.is_some()
    }

    /// Whether voicemail is waiting (lamp and stutter dial tone).
    pub fn message_waiting(&self) -> bool {
        self.message_waiting
    }

    /// Re-arm the dial-tone timer from `now` (the first-digit timer, or a warmline's
    /// delay), as going off hook does; nothing unless the line is at dial tone. The port
    /// driver holds the line's timers during a tone test and calls this when it ends, so
    /// the user gets a whole dial-tone period after the test.
    pub(crate) fn restart_dial_timer(&mut self, now: Instant) {
        let St::Dialling(c) = &self.st else {
            return;
        };
        if !c.digits.is_empty() {
            return;
        }
        let first = self.cfg.timers.first_digit;
        let wait = match &self.cfg.hotline {
            Some(h) if !c.keyed && c.forward.is_none() && !h.delay.is_zero() => h.delay.min(first),
            _ => first,
        };
        self.deadline = Some(now + wait);
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
        let done = match &mut self.audio {
            Audio::Silence => {
                out.fill(0);
                false
            }
            Audio::Tone(g) | Audio::Cas(g) => {
                g.fill(out);
                false
            }
            Audio::Fsk(m) => {
                m.fill(out);
                m.is_idle()
            }
            Audio::Dtmf(s) => {
                s.fill(out);
                s.is_idle()
            }
        };
        if done {
            // The data is sent: the voice path is no longer muted for it.
            self.audio = Audio::Silence;
        }
    }

    // ----- hook events --------------------------------------------------------------------

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
                self.on_on_hook(now);
            }
            HookEvent::Flash { .. } => {
                if !self.off_hook {
                    return;
                }
                self.event(LineEvent::Flash);
                self.on_flash(now);
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
                self.stop_signalling();
                self.feed(LineFeed::ForwardActive);
                self.call(CallCommand::Answer);
                self.enter(St::Connected, None);
            }
            St::Recall => {
                // Answering the reminder ring takes the held call off hold.
                self.stop_signalling();
                self.feed(LineFeed::ForwardActive);
                self.resume();
            }
            _ => {
                self.script.clear();
                self.feed(LineFeed::ForwardActive);
                self.dtmf = DtmfDetector::new(self.cfg.dtmf);
                match self.cfg.hotline.clone() {
                    Some(h) if h.delay.is_zero() => {
                        let private = self.cfg.privacy_default;
                        self.complete(now, h.number, private);
                    }
                    hotline => {
                        let wait = match hotline {
                            Some(h) => h.delay.min(self.cfg.timers.first_digit),
                            None => self.cfg.timers.first_digit,
                        };
                        self.dial_tone(false);
                        self.deadline = Some(now + wait);
                    }
                }
            }
        }
    }

    /// GR-571-CORE-style hang-up handling with services: a waiting call rings the phone, a
    /// held call reminder-rings it, a consultation is transferred, a conference ends.
    fn on_on_hook(&mut self, now: Instant) {
        match &self.st {
            St::Calling | St::Connected => match self.waiting.take() {
                Some(caller) => {
                    // The waiting call is offered again as an ordinary incoming call.
                    self.call(CallCommand::HangupLeg(Leg::First));
                    self.first_party = Some(caller.clone());
                    self.emergency = false;
                    self.start_alerting(now, &caller, None, false);
                }
                None => {
                    self.call(CallCommand::Hangup);
                    self.go_idle(now);
                }
            },
            St::WaitingOnly => {
                let caller = self.waiting.take().unwrap_or_default();
                self.first_party = Some(caller.clone());
                self.start_alerting(now, &caller, None, false);
            }
            St::Held(_) => self.recall(now),
            St::Consulting(s) => {
                let attended = *s == SecondLeg::Answered;
                self.call(CallCommand::Transfer { attended });
                self.event(LineEvent::Service(ServiceEvent::TransferRequested {
                    attended,
                }));
                self.go_idle(now);
            }
            St::Conference => {
                // ATA convention: the conference is the gateway's; hanging up ends it all.
                self.call(CallCommand::Hangup);
                self.go_idle(now);
            }
            St::TwoCalls { active } => {
                let active = *active;
                self.call(CallCommand::HangupLeg(active));
                if active == Leg::First {
                    self.second_becomes_first();
                } else {
                    self.second_party = None;
                }
                self.recall(now);
            }
            _ => self.go_idle(now),
        }
    }

    fn on_flash(&mut self, now: Instant) {
        if self.emergency && matches!(self.st, St::Calling | St::Connected) {
            self.event(LineEvent::Service(ServiceEvent::FlashIgnored));
            return;
        }
        if self.cfg.flash_mode == FlashMode::Relay {
            if self.st == St::Connected {
                if self.waiting.is_some() {
                    // The PBX answers the waiting call itself; stop our alert.
                    self.stop_signalling();
                    self.set_waiting(None);
                }
                self.call(CallCommand::Flash);
            }
            return;
        }
        match &self.st {
            St::Connected if self.waiting.is_some() => {
                self.stop_signalling();
                let caller = self.waiting.take();
                self.second_party = caller;
                self.call(CallCommand::AnswerWaiting);
                self.enter(
                    St::TwoCalls {
                        active: Leg::Second,
                    },
                    None,
                );
                self.event(LineEvent::Service(ServiceEvent::WaitingAnswered));
            }
            St::Connected => {
                self.stop_signalling();
                self.call(CallCommand::Hold);
                self.event(LineEvent::Service(ServiceEvent::Held));
                self.dial_tone(true);
                self.deadline = Some(now + self.cfg.timers.first_digit);
            }
            St::WaitingOnly => {
                self.stop_signalling();
                self.first_party = self.waiting.take();
                self.call(CallCommand::Answer);
                self.enter(St::Connected, None);
                self.event(LineEvent::Service(ServiceEvent::WaitingAnswered));
            }
            St::Held(_) => self.resume(),
            St::Consulting(SecondLeg::Answered) => {
                self.audio = Audio::Silence;
                self.call(CallCommand::Conference);
                self.enter(St::Conference, None);
                self.event(LineEvent::Service(ServiceEvent::Conference));
            }
            St::Consulting(_) => {
                self.audio = Audio::Silence;
                self.second_party = None;
                self.call(CallCommand::HangupLeg(Leg::Second));
                self.event(LineEvent::Service(ServiceEvent::ConsultationAbandoned));
                self.resume();
            }
            St::Conference => {
                self.second_party = None;
                self.call(CallCommand::HangupLeg(Leg::Second));
                self.enter(St::Connected, None);
                self.event(LineEvent::Service(ServiceEvent::PartyDropped));
            }
            St::TwoCalls { active } => {
                let active = active.other();
                self.call(CallCommand::Swap);
                self.enter(St::TwoCalls { active }, None);
                self.event(LineEvent::Service(ServiceEvent::Swapped { active }));
            }
            _ => {}
        }
    }

    // ----- audio and digits ---------------------------------------------------------------

    fn on_audio(&mut self, now: Instant, frame: &Frame) {
        let listening = matches!(
            self.st,
            St::Dialling(_)
                | St::Held(HeldPhase::Dialling(_))
                | St::Calling
                | St::Connected
                | St::Consulting(_)
                | St::Conference
                | St::TwoCalls { .. }
        );
        if !self.off_hook || !listening {
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
        match &self.st {
            St::Dialling(_) | St::Held(HeldPhase::Dialling(_)) => self.collect(now, digit, source),
            St::Connected
            | St::Calling
            | St::Consulting(_)
            | St::Conference
            | St::TwoCalls { .. }
                if source == DigitSource::Dtmf =>
            {
                self.call(CallCommand::Digit(digit));
            }
            _ => {}
        }
    }

    fn collector(&self) -> Option<&Collector> {
        match &self.st {
            St::Dialling(c) | St::Held(HeldPhase::Dialling(c)) => Some(c),
            _ => None,
        }
    }

    /// Store the collector back into the dialling state (reporting DialTone <-> Dialling).
    fn set_collector(&mut self, c: Collector) {
        let before = self.state();
        match &mut self.st {
            St::Dialling(slot) | St::Held(HeldPhase::Dialling(slot)) => *slot = c,
            _ => return,
        }
        self.state_changed(before);
    }

    /// A key from a dial tone (the first one, or the consultation dial tone).
    fn collect(&mut self, now: Instant, digit: char, source: DigitSource) {
        let Some(c) = self.collector() else {
            return;
        };
        let mut c = c.clone();
        if c.digits.is_empty() {
            // The first key stops dial tone (or the recall dial tone of a code).
            self.audio = Audio::Silence;
        }
        c.keyed = true;
        let end = if digit == '#' && self.pound_ends(&c) {
            End::Pound
        } else {
            c.digits.push(digit);
            End::Key
        };
        self.set_collector(c.clone());
        self.event(LineEvent::Digit { digit, source });
        let decision = self.decide(&c, end);
        self.act(now, c, decision);
    }

    /// Whether `#` now ends the keys rather than being one of them.
    fn pound_ends(&self, c: &Collector) -> bool {
        if c.forward.is_some() {
            return true;
        }
        let mut probe = c.digits.clone();
        probe.push('#');
        let codes = &self.cfg.feature_codes;
        self.cfg.pound_terminates
            && !self.cfg.dial_plan.accepts_next(&c.digits, '#')
            && codes.lookup(&probe).is_none()
            && !codes.is_proper_prefix(&probe)
    }

    /// The order of recognition: a forward-to number being collected; an emergency number
    /// (at once); a feature code (exact match, before the dial plan); a speed-dial key (on
    /// `#` or the short timer); the dial plan, which a prefix of a code or a key holds back
    /// so that `*7` can still become `*72`.
    fn decide(&self, c: &Collector, end: End) -> Decision {
        let t = self.cfg.timers;
        let plan = &self.cfg.dial_plan;
        let d = c.digits.as_str();
        if let Some(kind) = c.forward {
            return match end {
                End::Key if d.chars().count() > crate::dialplan::MAX_NUMBER_LEN => {
                    Decision::Reject(RejectReason::NoMatch)
                }
                End::Key => Decision::Wait(t.interdigit_short),
                _ if d.is_empty() => Decision::Reject(RejectReason::Incomplete),
                // The forward-to number must be one the line could dial; never an
                // emergency number (forwarding every call there would flood it).
                _ => match plan.on_timeout(d) {
                    Verdict::Complete(n)
                        if !self.cfg.is_emergency(&n) && !self.cfg.is_emergency(d) =>
                    {
                        Decision::Feature(kind.feature(Some(n)))
                    }
                    Verdict::Rejected(r) => Decision::Reject(r),
                    _ => Decision::Reject(RejectReason::Barred),
                },
            };
        }
        if self.cfg.is_emergency(d) {
            return Decision::Number {
                number: d.to_string(),
                speed_key: None,
            };
        }
        if let Some(action) = self.cfg.feature_codes.lookup(d) {
            return Decision::Code(action);
        }
        let held_back = self.cfg.feature_codes.is_proper_prefix(d)
            || self
                .cfg
                .speed_dial
                .keys()
                .any(|k| k.len() > d.len() && k.starts_with(d));
        let speed = self.cfg.speed_dial.get(d);
        match end {
            End::Key => {
                if speed.is_some() {
                    return Decision::Wait(t.interdigit_short);
                }
                match plan.evaluate(d) {
                    Verdict::Complete(number) if !held_back => Decision::Number {
                        number,
                        speed_key: None,
                    },
                    Verdict::Complete(_) | Verdict::CompleteAfterShortTimer(_) => {
                        Decision::Wait(t.interdigit_short)
                    }
                    Verdict::Incomplete => Decision::Wait(t.interdigit_long),
                    Verdict::Rejected(_) if held_back => Decision::Wait(t.interdigit_long),
                    Verdict::Rejected(r) => Decision::Reject(r),
                }
            }
            End::Timer | End::Pound => {
                if let Some(number) = speed {
                    return Decision::Number {
                        number: number.clone(),
                        speed_key: Some(d.to_string()),
                    };
                }
                match plan.on_timeout(d) {
                    Verdict::Complete(number) | Verdict::CompleteAfterShortTimer(number) => {
                        Decision::Number {
                            number,
                            speed_key: None,
                        }
                    }
                    Verdict::Rejected(r) => Decision::Reject(r),
                    Verdict::Incomplete => Decision::Reject(RejectReason::Incomplete),
                }
            }
        }
    }

    fn act(&mut self, now: Instant, mut c: Collector, decision: Decision) {
        let consult = matches!(self.st, St::Held(_));
        match decision {
            Decision::Wait(d) => self.deadline = Some(now + d),
            Decision::Reject(reason) => {
                self.event(LineEvent::NumberRejected {
                    digits: c.digits,
                    reason,
                });
                self.dial_failed(now);
            }
            Decision::Number { number, speed_key } => {
                if let Some(key) = speed_key {
                    self.event(LineEvent::Service(ServiceEvent::SpeedDial {
                        key,
                        number: number.clone(),
                    }));
                }
                if !consult {
                    self.complete(now, number, c.private);
                } else if self.cfg.is_emergency(&number) {
                    // An emergency call is the line's only call: the held call ends.
                    self.call(CallCommand::HangupLeg(Leg::First));
                    self.first_party = None;
                    self.complete(now, number, false);
                } else {
                    self.dial_second(number, c.private);
                }
            }
            Decision::Code(CodeAction::Privacy(private)) => {
                c.private = private;
                c.digits.clear();
                self.event(LineEvent::Service(ServiceEvent::CallerIdPrivacy {
                    private,
                }));
                self.prompt(now, c);
            }
            Decision::Code(CodeAction::Prompt(kind)) => {
                c.forward = Some(kind);
                c.digits.clear();
                self.prompt(now, c);
            }
            Decision::Code(CodeAction::Set(feature)) | Decision::Feature(feature) => {
                self.call(CallCommand::Feature(feature.clone()));
                self.event(LineEvent::Service(ServiceEvent::FeatureSet(feature)));
                let mut fresh = Collector::new(self.cfg.privacy_default);
                fresh.keyed = true;
                self.prompt(now, fresh);
            }
        }
    }

    /// Confirmation / recall dial tone, then wait for keys again.
    fn prompt(&mut self, now: Instant, c: Collector) {
        self.audio = Audio::Tone(ToneGenerator::new(&confirmation_tone(self.cfg.tone_plan)));
        self.event(LineEvent::ConfirmationTone);
        self.set_collector(c);
        self.deadline = Some(now + self.cfg.timers.first_digit);
    }

    /// Dial tone (stutter when voicemail waits) for a new call or a consultation.
    fn dial_tone(&mut self, consult: bool) {
        let kind = if self.message_waiting {
            ToneKind::StutterDial
        } else {
            ToneKind::Dial
        };
        self.play(kind);
        let c = Collector::new(self.cfg.privacy_default);
        let st = if consult {
            St::Held(HeldPhase::Dialling(c))
        } else {
            St::Dialling(c)
        };
        self.enter(st, None);
    }

    /// Reorder after a refused number or a dial-tone timeout.
    fn dial_failed(&mut self, now: Instant) {
        if matches!(self.st, St::Held(_)) {
            self.play(ToneKind::Congestion);
            self.enter(
                St::Held(HeldPhase::Treatment(ToneKind::Congestion)),
                Some(now + self.cfg.timers.permanent_signal),
            );
        } else {
            self.treatment(now, ToneKind::Congestion);
        }
    }

    /// Place the first leg's call.
    fn complete(&mut self, _now: Instant, number: String, private: bool) {
        let emergency = self.cfg.is_emergency(&number);
        self.audio = Audio::Silence;
        self.event(LineEvent::NumberComplete {
            number: number.clone(),
        });
        if emergency {
            self.event(LineEvent::Service(ServiceEvent::EmergencyCall {
                number: number.clone(),
            }));
        }
        self.first_party = Some(party(&number));
        self.emergency = emergency;
        self.call(CallCommand::Dial {
            number,
            // A PSAP always gets the caller's identity.
            private: private && !emergency,
            emergency,
        });
        self.enter(St::Calling, None);
    }

    /// Place the consultation call (second leg).
    fn dial_second(&mut self, number: String, private: bool) {
        self.audio = Audio::Silence;
        self.event(LineEvent::NumberComplete {
            number: number.clone(),
        });
        self.event(LineEvent::Service(ServiceEvent::Consulting {
            number: number.clone(),
        }));
        self.second_party = Some(party(&number));
        self.call(CallCommand::DialSecond { number, private });
        self.enter(St::Consulting(SecondLeg::Calling), None);
    }

    fn resume(&mut self) {
        self.audio = Audio::Silence;
        self.call(CallCommand::Resume);
        self.enter(St::Connected, None);
        self.event(LineEvent::Service(ServiceEvent::Resumed));
    }

    /// On hook with the first leg on hold: ring the phone for it, with its caller ID.
    fn recall(&mut self, now: Instant) {
        let caller = self.first_party.clone().unwrap_or_default();
        self.event(LineEvent::Service(ServiceEvent::Recall));
        self.start_alerting(now, &caller, None, true);
    }

    fn second_becomes_first(&mut self) {
        self.first_party = self.second_party.take();
        self.event(LineEvent::Service(ServiceEvent::SecondBecameFirst));
    }

    // ----- network events -----------------------------------------------------------------

    fn on_network(&mut self, now: Instant, event: NetworkEvent) {
        match event {
            NetworkEvent::IncomingCall { caller, ring } => {
                if self.st != St::Idle || self.off_hook {
                    self.call(CallCommand::RejectBusy);
                    return;
                }
                self.first_party = Some(caller.clone());
                self.start_alerting(now, &caller, ring, false);
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
            NetworkEvent::RemoteHangup => self.first_hung_up(now),
            NetworkEvent::CallWaiting { caller } => {
                let alert = self.st == St::Connected
                    && self.waiting.is_none()
                    && !self.emergency
                    && self.cfg.call_waiting;
                if alert {
                    self.set_waiting(Some(caller.clone()));
                    self.event(LineEvent::Service(ServiceEvent::CallWaiting));
                    self.start_call_waiting(now, &caller);
                } else {
                    self.call(CallCommand::RejectBusy);
                    self.event(LineEvent::Service(ServiceEvent::WaitingRefused));
                }
            }
            NetworkEvent::WaitingCancelled => match self.st {
                St::Connected if self.waiting.is_some() => {
                    self.stop_signalling();
                    self.set_waiting(None);
                }
                St::WaitingOnly => {
                    self.waiting = None;
                    self.treatment(now, ToneKind::Congestion);
                }
                // Ringing for the waiting call after a hang-up.
                St::Ringing => self.go_idle(now),
                _ => {}
            },
            NetworkEvent::Second(ev) => self.on_second(now, ev),
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

    /// The first leg's far end hung up.
    fn first_hung_up(&mut self, now: Instant) {
        match &self.st {
            St::Calling | St::Connected if self.waiting.is_some() => {
                // The waiting call stays: alert it again, flash answers it.
                self.script.clear();
                self.awaiting_ack = None;
                self.first_party = None;
                self.emergency = false;
                self.play(ToneKind::CallWaiting);
                self.enter(St::WaitingOnly, None);
            }
            St::Calling | St::Connected => self.treatment(now, ToneKind::Congestion),
            St::Ringing | St::Recall => self.go_idle(now),
            St::Held(HeldPhase::Dialling(c)) => {
                // The consultation dial tone becomes an ordinary one.
                let c = c.clone();
                self.first_party = None;
                self.enter(St::Dialling(c), self.deadline);
            }
            St::Held(_) => {
                self.first_party = None;
                self.treatment(now, ToneKind::Congestion);
            }
            St::Consulting(s) => {
                let s = *s;
                self.second_becomes_first();
                match s {
                    SecondLeg::Answered => self.enter(St::Connected, None),
                    SecondLeg::Early => {
                        self.enter(St::Calling, None);
                        self.early_media = true;
                    }
                    SecondLeg::Calling | SecondLeg::Ringing => self.enter(St::Calling, None),
                }
            }
            St::Conference => {
                self.second_becomes_first();
                self.enter(St::Connected, None);
            }
            St::TwoCalls { active } => {
                let active = *active;
                self.second_becomes_first();
                if active == Leg::First {
                    // The remaining call is on hold: silence until flash resumes it.
                    self.audio = Audio::Silence;
                    self.enter(St::Held(HeldPhase::Silent), None);
                } else {
                    self.enter(St::Connected, None);
                }
            }
            _ => {}
        }
    }

    fn on_second(&mut self, now: Instant, ev: SecondEvent) {
        let ends = matches!(
            ev,
            SecondEvent::Busy | SecondEvent::Failed | SecondEvent::RemoteHangup
        );
        match (&self.st, ev) {
            (St::Consulting(SecondLeg::Calling), SecondEvent::Ringing) => {
                self.play(ToneKind::Ringback);
                self.enter(St::Consulting(SecondLeg::Ringing), None);
            }
            (St::Consulting(s), SecondEvent::EarlyMedia) if *s != SecondLeg::Answered => {
                self.audio = Audio::Silence;
                self.enter(St::Consulting(SecondLeg::Early), None);
            }
            (St::Consulting(s), SecondEvent::Answered) if *s != SecondLeg::Answered => {
                self.audio = Audio::Silence;
                self.enter(St::Consulting(SecondLeg::Answered), None);
            }
            (St::Consulting(s), SecondEvent::Busy | SecondEvent::Failed)
                if *s != SecondLeg::Answered =>
            {
                let kind = if ev == SecondEvent::Busy {
                    ToneKind::Busy
                } else {
                    ToneKind::Congestion
                };
                self.second_party = None;
                self.play(kind);
                self.enter(
                    St::Held(HeldPhase::Treatment(kind)),
                    Some(now + self.cfg.timers.permanent_signal),
                );
            }
            (St::Consulting(_), _) if ends => {
                // ATA convention: nothing plays; flash goes back to the held call.
                self.second_party = None;
                self.audio = Audio::Silence;
                self.enter(St::Held(HeldPhase::Silent), None);
            }
            (St::Conference, _) | (St::TwoCalls { active: Leg::First }, _) if ends => {
                self.second_party = None;
                self.enter(St::Connected, None);
            }
            (
                St::TwoCalls {
                    active: Leg::Second,
                },
                _,
            ) if ends => {
                self.second_party = None;
                self.audio = Audio::Silence;
                self.enter(St::Held(HeldPhase::Silent), None);
            }
            _ => {}
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
            St::Dialling(c) | St::Held(HeldPhase::Dialling(c)) => {
                let c = c.clone();
                let consult = matches!(self.st, St::Held(_));
                if !c.digits.is_empty() {
                    let decision = self.decide(&c, End::Timer);
                    self.act(now, c, decision);
                    return;
                }
                match self.cfg.hotline.clone() {
                    // Warmline: no key within the delay.
                    Some(h)
                        if !consult
                            && !c.keyed
                            && c.forward.is_none()
                            && h.delay <= t.first_digit =>
                    {
                        self.complete(now, h.number, c.private)
                    }
                    _ => {
                        if c.forward.is_some() {
                            self.event(LineEvent::NumberRejected {
                                digits: String::new(),
                                reason: RejectReason::Incomplete,
                            });
                        }
                        self.dial_failed(now);
                    }
                }
            }
            St::Treatment(_) => {
                self.play(ToneKind::OffHookWarning);
                self.enter(St::Howler, Some(now + t.howler));
            }
            St::Howler => {
                self.audio = Audio::Silence;
                self.enter(St::Lockout, None);
            }
            St::Held(HeldPhase::Treatment(_)) => {
                self.audio = Audio::Silence;
                self.enter(St::Held(HeldPhase::Silent), None);
            }
            St::Recall => {
                // Nobody came back to the held call.
                self.call(CallCommand::Hangup);
                self.go_idle(now);
            }
            _ => {}
        }
    }

    // ----- caller ID, VMWI and call waiting sequences ---------------------------------------

    /// Ring the phone with caller ID: for an incoming call, or (`recall`) as the reminder
    /// ring of a held call.
    fn start_alerting(
        &mut self,
        now: Instant,
        caller: &CallerId,
        ring: Option<Cadence>,
        recall: bool,
    ) {
        self.awaiting_ack = None;
        self.audio = Audio::Silence;
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
        if recall {
            self.enter(St::Recall, Some(now + self.cfg.timers.recall));
        } else {
            self.enter(St::Ringing, None);
        }
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
        self.schedule(t, Step::Tone(*sas, Some(ToneKind::CallWaiting)));
        t += Duration::from_millis(u64::from(burst));
        let cid = self.cfg.caller_id;
        if cid.type2 && cid.signalling.fsk_standard().is_some() {
            // SR-TSV-002476: CAS (80 ms), then the phone acknowledges with DTMF 'D' or 'A'
            // within 160 ms; the FSK follows the acknowledgement.
            t += Duration::from_millis(20);
            self.schedule(t, Step::Cas);
            t += Duration::from_millis(callerid::CAS.cadence.period_ms());
            let bytes = callerid::encode(&Message::Call(caller.clone()), cid.format);
            self.schedule(t, Step::AwaitAck(bytes));
            // The window: 160 ms plus the time the detector needs to see the ack end.
            self.schedule(t + Duration::from_millis(260), Step::AckTimeout);
        }
        // The rest of the plan's call-waiting cadence (GR-571-CORE: a second burst 10 s
        // later), which the CAS and FSK above cut short.
        if let Some((first, rest)) = sas.cadence.steps.split_first() {
            if !rest.is_empty() {
                let again = ToneSpec {
                    cadence: Cadence {
                        steps: rest,
                        after: sas.cadence.after,
                    },
                    ..*sas
                };
                let at =
                    now + Duration::from_millis(u64::from(first.on_ms) + u64::from(first.off_ms));
                self.schedule(at, Step::Tone(again, Some(ToneKind::CallWaiting)));
            }
        }
        self.on_timeout(now);
    }

    fn ack_received(&mut self, now: Instant, bytes: Vec<u8>) {
        // Drop the pending timeout and send the FSK 60 ms after the ack (50–500 ms).
        self.script.retain(|(_, s)| !matches!(s, Step::AckTimeout));
        self.schedule(now + Duration::from_millis(60), Step::Fsk(bytes, true));
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
            self.schedule(t, Step::Feed(LineFeed::ReverseOnHookTransmission));
            t += Duration::from_millis(100);
            self.schedule(t, Step::Tone(callerid::DT_AS, None));
            t += Duration::from_millis(callerid::DT_AS.cadence.period_ms() + 60);
        } else {
            // GR-30-CORE §3.2: ringless message waiting, on-hook transmission.
            self.schedule(t, Step::Feed(LineFeed::ForwardOnHookTransmission));
            t += Duration::from_millis(200);
        }
        self.schedule(t, Step::Fsk(bytes, false));
        t += len + Duration::from_millis(100);
        self.schedule(t, Step::Feed(LineFeed::ForwardActive));
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
            Step::Cas => self.audio = Audio::Cas(ToneGenerator::new(&callerid::CAS)),
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

    /// Add a signalling step, keeping the script in time order (equal times keep their
    /// order).
    fn schedule(&mut self, at: Instant, step: Step) {
        let i = self.script.partition_point(|(t, _)| *t <= at);
        self.script.insert(i, (at, step));
    }

    /// Stop caller-ID, call-waiting and other signalling toward the phone.
    fn stop_signalling(&mut self) {
        self.script.clear();
        self.awaiting_ack = None;
        self.audio = Audio::Silence;
    }

    fn set_waiting(&mut self, caller: Option<CallerId>) {
        let before = self.state();
        self.waiting = caller;
        self.state_changed(before);
    }

    fn go_idle(&mut self, now: Instant) {
        self.stop_signalling();
        self.waiting = None;
        self.emergency = false;
        self.first_party = None;
        self.second_party = None;
        self.feed(LineFeed::ForwardActive);
        self.enter(St::Idle, None);
        if self.vmwi_pending && !self.off_hook {
            self.send_vmwi(now);
        }
    }

    fn treatment(&mut self, now: Instant, kind: ToneKind) {
        self.script.clear();
        self.awaiting_ack = None;
        self.emergency = false;
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
        let before = self.state();
        if std::mem::discriminant(&st) != std::mem::discriminant(&self.st) {
            self.early_media = false;
        }
        self.st = st;
        self.deadline = deadline;
        self.state_changed(before);
    }

    /// Report the state if it is no longer `before`.
    fn state_changed(&mut self, before: LineState) {
        let now = self.state();
        if now != before {
            self.event(LineEvent::State(now));
            if now == LineState::OffHookWarning {
                tracing::info!("off-hook warning: receiver left off hook");
            }
        }
    }

    fn feed(&mut self, feed: LineFeed) {
        self.outputs.push_back(Output::LineFeed(feed));
    }

    fn call(&mut self, cmd: CallCommand) {
        tracing::debug!(?cmd, "call command");
        self.outputs.push_back(Output::Call(cmd));
    }

    fn event(&mut self, ev: LineEvent) {
        self.outputs.push_back(Output::Event(ev));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LineTimers;

    #[test]
    fn confirmation_tone_is_three_short_bursts_of_dial_tone_then_steady() {
        // GR-506-CORE: confirmation tone 350 + 440 Hz, 0.1 s on / 0.1 s off × 3; recall
        // dial tone = the same bursts followed by steady dial tone.
        let us = tipring_dsp::tone::plan("us").unwrap();
        let t = confirmation_tone(us);
        assert_eq!(t.components, us.tone(ToneKind::Dial).components);
        let on: Vec<bool> = (0..8).map(|i| t.cadence.is_on_at(i * 100 + 50)).collect();
        assert_eq!(on, [true, false, true, false, true, false, true, true]);
        assert!(t.cadence.is_on_at(60_000));
        // Other plans: their own dial tone (e.g. 425 Hz in Germany).
        let de = tipring_dsp::tone::plan("de").unwrap();
        assert_eq!(confirmation_tone(de).components[0].freq_hz, 425.0);
    }

    #[test]
    fn legs_and_states_have_names() {
        assert_eq!(Leg::First.other(), Leg::Second);
        assert_eq!(Leg::Second.other(), Leg::First);
        for (s, name) in [
            (LineState::Held, "on hold"),
            (LineState::Consulting, "consulting"),
            (LineState::Conference, "conference"),
            (LineState::TwoCalls, "two calls"),
            (LineState::CallWaiting, "call waiting"),
            (LineState::Recall, "recall ringing"),
        ] {
            assert_eq!(s.to_string(), name);
        }
    }

    /// A line on the US plan with `plan` and a speed-dial key "2".
    fn line(plan: &str) -> Line {
        let mut cfg = LineConfig::for_country("us").unwrap();
        cfg.dial_plan = plan.parse().unwrap();
        cfg.speed_dial.insert("2".into(), "5551234".into());
        Line::new(cfg).unwrap()
    }

    fn keys(digits: &str) -> Collector {
        Collector {
            digits: digits.into(),
            ..Collector::new(false)
        }
    }

    #[test]
    fn recognition_order_emergency_codes_speed_dial_then_plan() {
        let l = line("{ [3469]11 | [2-9]xxxxxx | *xx | x+T }");
        let t = LineTimers::default();
        let number = |n: &str| Decision::Number {
            number: n.into(),
            speed_key: None,
        };
        // 911 would wait for the short timer under the plan; emergency numbers do not.
        assert_eq!(l.decide(&keys("911"), End::Key), number("911"));
        // *78 is a code before it is the plan's `*xx`.
        assert_eq!(
            l.decide(&keys("*78"), End::Key),
            Decision::Code(CodeAction::Set(Feature::DoNotDisturb(true)))
        );
        // *6 starts *67: held back for the long timer even where the plan grows.
        assert_eq!(
            l.decide(&keys("*6"), End::Key),
            Decision::Wait(t.interdigit_long)
        );
        assert_eq!(l.decide(&keys("*69"), End::Key), number("*69"));
        // The speed-dial key waits for # or the short timer, then dials its number.
        assert_eq!(
            l.decide(&keys("2"), End::Key),
            Decision::Wait(t.interdigit_short)
        );
        assert_eq!(
            l.decide(&keys("2"), End::Pound),
            Decision::Number {
                number: "5551234".into(),
                speed_key: Some("2".into())
            }
        );
        assert_eq!(l.decide(&keys("2345678"), End::Key), number("2345678"));
        // A forward-to number: the plan must accept it, and no emergency number.
        let mut fwd = keys("5550100");
        fwd.forward = Some(ForwardKind::Busy);
        assert_eq!(l.decide(&fwd, End::Key), Decision::Wait(t.interdigit_short));
        assert_eq!(
            l.decide(&fwd, End::Timer),
            Decision::Feature(Feature::ForwardBusy(Some("5550100".into())))
        );
        fwd.digits = "911".into();
        assert_eq!(
            l.decide(&fwd, End::Pound),
            Decision::Reject(RejectReason::Barred)
        );
        fwd.digits.clear();
        assert_eq!(
            l.decide(&fwd, End::Pound),
            Decision::Reject(RejectReason::Incomplete)
        );
    }

    #[test]
    fn random_inputs_never_panic() {
        // Seeded xorshift: hook events, keys and network events in any order.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let t0 = {
            #[allow(clippy::disallowed_methods)] // the test's epoch; time is virtual from here
            let t = Instant::now();
            t
        };
        for round in 0..40 {
            let mut l = line("{ [2-9]xxxxxx | *xx | x+T }");
            let mut reported = LineState::Idle;
            let mut now = t0;
            for _ in 0..300 {
                now += Duration::from_millis(10 + next() % 400);
                let ev = match next() % 24 {
                    0 => Input::Hook(PortEvent {
                        at: now,
                        event: HookEvent::OffHook,
                    }),
                    1 => Input::Hook(PortEvent {
                        at: now,
                        event: HookEvent::OnHook,
                    }),
                    2 | 3 => Input::Hook(PortEvent {
                        at: now,
                        event: HookEvent::Flash {
                            duration: Duration::from_millis(300),
                        },
                    }),
                    4..=7 => Input::Hook(PortEvent {
                        at: now,
                        event: HookEvent::PulseDigit((next() % 10) as u8),
                    }),
                    8 => Input::Timeout(now),
                    n => Input::Network {
                        now,
                        event: match n {
                            9 => NetworkEvent::IncomingCall {
                                caller: CallerId::default(),
                                ring: None,
                            },
                            10 => NetworkEvent::CallWaiting {
                                caller: CallerId::default(),
                            },
                            11 => NetworkEvent::WaitingCancelled,
                            12 => NetworkEvent::RemoteHangup,
                            13 => NetworkEvent::Answered,
                            14 => NetworkEvent::RemoteRinging,
                            15 => NetworkEvent::Busy,
                            16 => NetworkEvent::CallCancelled,
                            17 => NetworkEvent::Second(SecondEvent::Answered),
                            18 => NetworkEvent::Second(SecondEvent::Ringing),
                            19 => NetworkEvent::Second(SecondEvent::RemoteHangup),
                            20 => NetworkEvent::Second(SecondEvent::Busy),
                            21 => NetworkEvent::EarlyMedia,
                            22 => NetworkEvent::MessageWaiting(round % 2 == 0),
                            _ => NetworkEvent::Second(SecondEvent::EarlyMedia),
                        },
                    },
                };
                l.handle_input(ev);
                if l.poll_timeout().is_some_and(|d| d <= now) {
                    l.handle_input(Input::Timeout(now));
                }
                let mut frame = [0i16; tipring_dsp::FRAME_SAMPLES];
                l.produce_audio(&mut frame);
                while let Some(o) = l.poll_output() {
                    if let Output::Event(LineEvent::State(s)) = o {
                        reported = s;
                    }
                }
                // Every state change is reported.
                assert_eq!(reported, l.state(), "round {round}");
                // The voice path is only through with a call.
                if l.voice_connected() {
                    assert!(l.is_off_hook());
                }
            }
        }
    }
}

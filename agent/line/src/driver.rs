//! Glue between a [`Line`] and an [`FxsPort`]: one call per 10 ms frame.
//!
//! The line is sans-IO; something has to move PCM frames and hook events between it and
//! the port and apply the line feeds it asks for. [`PortDriver::tick`] does exactly that,
//! in the order a real TDM interrupt would: exchange a frame, hand hook events and the
//! received audio to the line, run due timers, apply line-feed commands, and prepare the
//! next frame. Call commands and events are handed back to the caller (the SIP side, logs).
//!
//! The driver also runs the port diagnostics of the admin pages ([`PortDriver::start_test`]):
//! ringing the phone, or playing a tone to it, for a while, beside the line's own call
//! control (see the crate docs, *Port tests*).

use std::time::{Duration, Instant};

use tipring_dsp::cadence::{After, Cadence};
use tipring_dsp::tone::{ToneComponent, ToneGenerator, ToneKind, TonePlan, ToneSpec};
use tipring_dsp::Frame;
use tipring_hal::{FxsPort, HookEvent, HookState, LineFeed};

use crate::error::{Error, Result};
use crate::line::{Input, Line, LineState, NetworkEvent, Output};

/// The network side of a call's voice, as the port driver sees it: every 10 ms while the
/// line's voice path is through ([`Line::voice_connected`]), one frame each way.
///
/// A media session (echo canceller, encoder, RTP; jitter buffer, decoder) implements it.
pub trait VoicePath {
    /// `sent` is the frame the port just played to the phone (the echo canceller's
    /// reference), `received` the frame it captured at the same time (silence while the
    /// line mutes the voice path); fill `next` with the network audio for the next frame.
    fn exchange(&mut self, now: Instant, sent: &Frame, received: &Frame, next: &mut Frame);
}

/// A diagnostic test of a port, for an installer checking the wiring and the phone
/// ([`PortDriver::start_test`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortTest {
    /// Ring the phone with the line's ring cadence ([`LineConfig::ring`]: the configured
    /// cadence, or the tone plan's), repeated, for `duration`. Needs the line idle and on
    /// hook. Lifting the phone trips the ring and ends the test
    /// ([`TestOutcome::Answered`]).
    ///
    /// [`LineConfig::ring`]: crate::LineConfig::ring
    Ring {
        /// How long to ring.
        duration: Duration,
    },
    /// Play `tone` to the phone for `duration`, in place of the dial tone. Needs the phone
    /// off hook with the line at dial tone.
    Tone {
        /// What to play.
        tone: TestTone,
        /// How long to play it.
        duration: Duration,
    },
}

/// The tone of a [`PortTest::Tone`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestTone {
    /// A tone of the line's tone plan, with its cadence (busy tone, ringback, ...).
    Plan(ToneKind),
    /// The milliwatt test tone: [`MILLIWATT`], 1004 Hz at 0 dBm0, steady.
    Milliwatt,
}

impl TestTone {
    /// The tone to play on a line whose tone plan is `plan`.
    pub fn spec(self, plan: &TonePlan) -> ToneSpec {
        match self {
            TestTone::Plan(kind) => *plan.tone(kind),
            TestTone::Milliwatt => MILLIWATT,
        }
    }
}

/// The milliwatt test tone: a steady 1004 Hz sine at 0 dBm0.
///
/// This is the tone of the North American "102-type" milliwatt test line, which a central
/// office sends toward the customer for one-way loss measurements, and the level of the
/// digital milliwatt of ITU-T G.711 §5 (Tables 5/6: the 8-word sequence that decodes to
/// 1 kHz at 0 dBm0). 1004 Hz rather than 1 kHz because 1 kHz is a sub-multiple of the
/// 8 kHz sampling rate: a 1 kHz tone visits only eight sample phases (eight PCM codes),
/// 1004 Hz walks through them all. (ITU-T O.6 and the note to G.711 §5 prefer 1020 Hz at
/// −10 dBm0 for the same reason; this gateway follows the North American 1004 Hz / 0 dBm0
/// practice of analog line testing, which a transmission test set at the jack expects. At
/// 0 dBm0 it is about 10 dB louder than dial tone: loud, but what a milliwatt line sounds
/// like.)
pub const MILLIWATT: ToneSpec = ToneSpec {
    components: &[ToneComponent::new(1004.0, 0.0)],
    modulation: None,
    cadence: Cadence::CONTINUOUS,
};

/// How a port test ended ([`PortDriver::take_test_outcome`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestOutcome {
    /// Ring test: the phone went off hook (ring trip) this long after the test started.
    Answered {
        /// From the start of the test to the off-hook event.
        after: Duration,
    },
    /// The ring test rang for its whole duration without an answer, or the tone test
    /// played for its whole duration.
    Completed,
    /// Stopped early: the line needed the port (an incoming call, a message-waiting
    /// signal), the phone hung up or dialled during a tone test, or
    /// [`PortDriver::cancel_test`].
    Interrupted {
        /// Why, in one line.
        reason: String,
    },
}

/// A port test in progress.
#[derive(Debug)]
struct RunningTest {
    started: Instant,
    ends: Instant,
    kind: TestKind,
}

#[derive(Debug)]
enum TestKind {
    /// The port rings; `preempted` once the line has set a line feed of its own.
    Ring { preempted: bool },
    /// The phone hears this instead of the line's audio.
    Tone(ToneGenerator),
}

/// A line bound to a port.
#[derive(Debug)]
pub struct PortDriver<P> {
    line: Line,
    port: P,
    tx: Frame,
    rx: Frame,
    /// The line feed the line asked for last (what a ring test puts back).
    line_feed: LineFeed,
    test: Option<RunningTest>,
    outcome: Option<TestOutcome>,
}
/// Something the caller of [`PortDriver::tick`] must act on or may log.
pub type DriverOutput = Output;

impl<P: FxsPort> PortDriver<P> {
    /// Bind `line` to `port`. Applies the line's initial line feed at once.
    pub fn new(line: Line, port: P) -> Self {
        let mut d = Self {
            line,
            port,
            tx: [0; tipring_dsp::FRAME_SAMPLES],
            rx: [0; tipring_dsp::FRAME_SAMPLES],
            line_feed: LineFeed::ForwardActive,
            test: None,
            outcome: None,
        };
        let mut sink = Vec::new();
        d.drain(&mut sink);
        d
    }

    /// The line.
    pub fn line(&self) -> &Line {
        &self.line
    }

    /// The line, mutably (to change its configuration).
    pub fn line_mut(&mut self) -> &mut Line {
        &mut self.line
    }

    /// The frame the port plays toward the phone at the next tick (tones, caller-ID
    /// data, the call's audio): the line side of the port, on hook or off.
    pub fn next_tx(&self) -> &Frame {
        &self.tx
    }

    /// The port.
    pub fn port(&self) -> &P {
        &self.port
    }

    /// The port, mutably (a simulated port's phone is driven through it).
    pub fn port_mut(&mut self) -> &mut P {
        &mut self.port
    }

    /// Advance one 10 ms frame that ends at `now`. Outputs other than line feeds (which are
    /// applied to the port) are appended to `out`.
    pub fn tick(&mut self, now: Instant, out: &mut Vec<Output>) {
        self.tick_voice(now, out, None);
    }

    /// [`PortDriver::tick`] with the call's voice path: while the line's voice is through,
    /// `voice` gets the frame exchange, and the phone hears the network audio mixed with
    /// the line's own tones (a call-waiting beep plays over the conversation; caller-ID data
    /// mutes it, see [`Line::mutes_voice`]).
    pub fn tick_voice(
        &mut self,
        now: Instant,
        out: &mut Vec<Output>,
        voice: Option<&mut dyn VoicePath>,
    ) {
        self.port.transfer(now, &self.tx, &mut self.rx);
        let sent = self.tx;
        while let Some(ev) = self.port.poll_event() {
            if ev.event == HookEvent::OffHook {
                if let Some(t) = &self.test {
                    if matches!(t.kind, TestKind::Ring { .. }) {
                        // Ring trip: the SLIC has stopped ringing; the line sees the
                        // off-hook as always (and gives dial tone).
                        let after = ev.at.saturating_duration_since(t.started);
                        self.finish(now, TestOutcome::Answered { after });
                    }
                }
            }
            self.line.handle_input(Input::Hook(ev));
            self.drain(out);
            self.check_test(now);
        }
        self.line.handle_input(Input::Audio {
            now,
            frame: &self.rx,
        });
        self.drain(out);
        self.check_test(now);
        // A tone test holds the line's timers: the only one running at dial tone is the
        // dial-tone (first digit / warmline) timer, re-armed when the test ends.
        let hold = matches!(
            self.test,
            Some(RunningTest {
                kind: TestKind::Tone(_),
                ..
            })
        );
        if !hold && self.line.poll_timeout().is_some_and(|t| t <= now) {
            self.line.handle_input(Input::Timeout(now));
            self.drain(out);
            self.check_test(now);
        }
        if self.test.as_ref().is_some_and(|t| t.ends <= now) {
            self.finish(now, TestOutcome::Completed);
        }
        self.line.produce_audio(&mut self.tx);
        if let Some(RunningTest {
            kind: TestKind::Tone(tone),
            ..
        }) = &mut self.test
        {
            tone.fill(&mut self.tx);
        }
        if let Some(voice) = voice.filter(|_| self.line.voice_connected()) {
            let mut net = [0; tipring_dsp::FRAME_SAMPLES];
            if self.line.mutes_voice() {
                voice.exchange(now, &sent, &[0; tipring_dsp::FRAME_SAMPLES], &mut net);
            } else {
                voice.exchange(now, &sent, &self.rx, &mut net);
                for (t, n) in self.tx.iter_mut().zip(net) {
                    *t = t.saturating_add(n);
                }
            }
        }
    }

    /// Hand a network event to the line.
    pub fn network(&mut self, now: Instant, event: NetworkEvent, out: &mut Vec<Output>) {
        self.line.handle_input(Input::Network { now, event });
        self.drain(out);
        self.check_test(now);
    }

    /// Start a port test now. Refused ([`Error::TestRefused`], with a one-line reason)
    /// while another test runs, for a zero duration, and unless the line can take it: a
    /// ring test needs the line idle with the phone on hook; a tone test needs the phone
    /// off hook with the line at dial tone (no key dialled yet).
    ///
    /// A ring test sets the port's feed to ringing at once; a tone test replaces the next
    /// frame toward the phone. The outcome of an earlier test not yet taken is dropped.
    pub fn start_test(&mut self, now: Instant, test: PortTest) -> Result<()> {
        let refuse = |reason: &str| Err(Error::TestRefused(reason.to_string()));
        if self.test.is_some() {
            return refuse("a test is already running on this port");
        }
        let (PortTest::Ring { duration } | PortTest::Tone { duration, .. }) = test;
        if duration.is_zero() {
            return refuse("the test duration is zero");
        }
        let off_hook = self.line.is_off_hook() || self.port.hook_state() == HookState::OffHook;
        let state = self.line.state();
        let kind = match test {
            PortTest::Ring { .. } => {
                if off_hook {
                    return refuse("the phone is off hook (hang it up to ring it)");
                }
                if state != LineState::Idle {
                    return Err(Error::TestRefused(format!("the line is busy ({state})")));
                }
                if self.line_feed != LineFeed::ForwardActive {
                    return refuse("the line is signalling to the phone (message waiting)");
                }
                let ring = self.line.config().ring();
                let feed = LineFeed::Ringing(Cadence {
                    steps: ring.steps,
                    after: After::Repeat,
                });
                if let Err(e) = self.port.set_line_feed(feed) {
                    return Err(Error::TestRefused(format!("the port cannot ring: {e}")));
                }
                TestKind::Ring { preempted: false }
            }
            PortTest::Tone { tone, .. } => {
                if !off_hook {
                    return refuse("the phone is on hook (lift it to hear the tone)");
                }
                if state != LineState::DialTone {
                    return Err(Error::TestRefused(format!(
                        "the line is not at dial tone ({state})"
                    )));
                }
                let mut g = ToneGenerator::new(&tone.spec(self.line.config().tone_plan));
                g.fill(&mut self.tx);
                TestKind::Tone(g)
            }
        };
        tracing::info!(?test, "port test started");
        self.outcome = None;
        self.test = Some(RunningTest {
            started: now,
            ends: now + duration,
            kind,
        });
        Ok(())
    }

    /// Stop the running test, if any: its outcome is [`TestOutcome::Interrupted`]
    /// (`"cancelled"`). The port goes back to what the line asked for.
    pub fn cancel_test(&mut self, now: Instant) {
        if self.test.is_some() {
            self.finish(
                now,
                TestOutcome::Interrupted {
                    reason: "cancelled".into(),
                },
            );
        }
    }

    /// Whether a port test is running.
    pub fn testing(&self) -> bool {
        self.test.is_some()
    }

    /// How the last test ended, once it has ended (returned once).
    pub fn take_test_outcome(&mut self) -> Option<TestOutcome> {
        self.outcome.take()
    }

    /// End a test that the line no longer lets run: a ring test once the line leaves idle or
    /// sets a feed of its own, a tone test once the line leaves dial tone.
    fn check_test(&mut self, now: Instant) {
        let Some(test) = &self.test else {
            return;
        };
        let state = self.line.state();
        let reason = match test.kind {
            TestKind::Ring { preempted } if preempted || state != LineState::Idle => match state {
                LineState::Ringing => "incoming call".to_string(),
                LineState::Idle => "the line signalled to the phone (message waiting)".into(),
                s => format!("the line left idle ({s})"),
            },
            TestKind::Tone(_) if state != LineState::DialTone => {
                if self.line.is_off_hook() {
                    format!("the line left dial tone ({state})")
                } else {
                    "the phone hung up".to_string()
                }
            }
            _ => return,
        };
        self.finish(now, TestOutcome::Interrupted { reason });
    }

    /// End the running test with `outcome`: a ring test gives the port back the line's
    /// feed, a tone test re-arms the line's dial-tone timer (if still at dial tone).
    fn finish(&mut self, now: Instant, outcome: TestOutcome) {
        let Some(test) = self.test.take() else {
            return;
        };
        match test.kind {
            TestKind::Ring { .. } => {
                // After a ring trip, or once the line's own feed is applied, there is
                // nothing to put back.
                let feed = self.line_feed;
                if self.port.line_feed() != feed {
                    if let Err(e) = self.port.set_line_feed(feed) {
                        tracing::warn!(error = %e, ?feed, "port refused a line feed");
                    }
                }
            }
            TestKind::Tone(_) => self.line.restart_dial_timer(now),
        }
        tracing::info!(?outcome, "port test ended");
        self.outcome = Some(outcome);
    }

    fn drain(&mut self, out: &mut Vec<Output>) {
        while let Some(o) = self.line.poll_output() {
            match o {
                Output::LineFeed(feed) => {
                    self.line_feed = feed;
                    if let Some(RunningTest {
                        kind: TestKind::Ring { preempted },
                        ..
                    }) = &mut self.test
                    {
                        // The line's feed wins; the test ends at the next check.
                        *preempted = true;
                    }
                    if let Err(e) = self.port.set_line_feed(feed) {
                        tracing::warn!(error = %e, ?feed, "port refused a line feed");
                    }
                }
                other => out.push(other),
            }
        }
    }
}

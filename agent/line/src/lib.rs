//! Per-port call control for Tipring: the analog line's side of a call.
//!
//! A [`Line`] is the state machine of one FXS port. It takes hook events and 10 ms audio
//! frames from the port, network events from the SIP side, and the time; it gives back
//! line-feed commands for the port (battery, polarity, ringing, on-hook transmission), the
//! audio to play to the phone (tones, caller-ID FSK, DTMF CLIP) and call commands for the
//! SIP side ([`CallCommand`]: dial this number, answer, hang up, ...). It never reads a clock
//! or touches a device, so tests drive it in virtual time.
//!
//! What it does today:
//!
//! * off hook → dial tone (stutter dial tone when voicemail waits) → digit collection from
//!   DTMF tones (detected in the audio) or rotary pulses → number complete by the
//!   [`dialplan`], with short and long inter-digit timers, `#` to end dialling, and
//!   reorder for numbers the plan refuses or bars;
//! * hotline and warmline;
//! * incoming calls: ringing with the tone plan's (or a distinctive) cadence, caller ID
//!   (Bell 202 between the rings; ETSI V.23 after a line reversal + DT-AS, after a ring
//!   pulse, or after the first ring; DTMF CLIP), answer by ring trip, stop on far-end
//!   cancel, busy refusal while off hook;
//! * message waiting (VMWI by FSK) and type 2 caller ID on call waiting (CAS, the phone's
//!   acknowledgement, FSK);
//! * receiver left off hook: reorder, then howler, then lockout;
//! * supplementary services from the phone (below): hold, consultation, three-way
//!   conference, transfer, call waiting, reminder ring, star codes, caller-ID blocking,
//!   speed dial and emergency numbers.
//!
//! # Supplementary services
//!
//! A line has at most two network calls, [`Leg::First`] (the original call) and
//! [`Leg::Second`] (a consultation call, or a waiting call that was answered). The SIP side
//! reports the first leg's progress with the plain [`NetworkEvent`]s and the second's with
//! [`NetworkEvent::Second`]; when the first leg ends and the second remains, the second
//! becomes the first (see [`Leg`]). The conventions are those of analog telephone adapters
//! (Cisco SPA, Grandstream HT) and of the CO features they copy (Telcordia GR-571 call
//! waiting, GR-506 tones):
//!
//! | where                          | the user does     | the line sends                        |
//! |--------------------------------|-------------------|---------------------------------------|
//! | in a call                      | flash             | `Hold`; consultation dial tone (stutter if voicemail waits) |
//! | consultation dial tone         | dials a number    | `DialSecond` (the dial plan, star codes and speed dial apply) |
//! | consultation dial tone / failed or ended consultation | flash | `Resume` |
//! | consultation ringing           | flash             | `HangupLeg(Second)`, `Resume`         |
//! | consultation answered          | flash             | `Conference` (mixed on the gateway)   |
//! | conference                     | flash             | `HangupLeg(Second)`: back to the first |
//! | conference                     | hangs up          | `Hangup`: every call ends             |
//! | consultation ringing / answered | hangs up         | `Transfer { attended: false / true }` |
//! | held call, no consultation     | hangs up          | reminder ring with the held party's caller ID; lift: `Resume` |
//! | call waiting (tone + type 2 caller ID) | flash     | `AnswerWaiting`                       |
//! | two calls                      | flash             | `Swap` (again and again)              |
//! | two calls                      | hangs up          | `HangupLeg(active)`, reminder ring for the held one |
//! | call waiting                   | hangs up          | `HangupLeg(First)`, the phone rings for the waiting call; lift: `Answer` |
//! | waiting call, first call ended | flash             | `Answer`                              |
//! | emergency call                 | flash             | nothing (and call waiting is refused) |
//!
//! When the consulted party hangs up (or a held call's partner does), the line plays
//! nothing until the user flashes back to the remaining call, as ATAs do.
//! With [`FlashMode::Relay`] the flash is passed on instead ([`CallCommand::Flash`]) for a
//! PBX that runs these services itself.
//!
//! From dial tone, star codes ([`FeatureCodes`], North American vertical service codes by
//! default) are recognised before the dial plan: `*72` number `#` forwards all calls,
//! `*73` clears it (`*90`/`*91` busy, `*92`/`*93` no answer), `*78`/`*79` do not disturb,
//! `*77`/`*87` anonymous call rejection — each sent as [`CallCommand::Feature`] and
//! confirmed with [`confirmation_tone`]; `*67` withholds caller ID on the next call and
//! `*82` sends it on a line that withholds it by default (`private` in
//! [`CallCommand::Dial`]). Speed-dial keys dial their number on `#` or the short timer;
//! emergency numbers are dialled as soon as they are complete and flagged `emergency`.
//!
//! # Driving a line
//!
//! The [`PortDriver`] binds a line to an [`FxsPort`](tipring_hal::FxsPort) and does one
//! frame per call; a binary calls it every 10 ms, a test in a loop:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use tipring_hal::sim::{SimConfig, SimPort};
//! use tipring_line::{CallCommand, Line, LineConfig, Output, PortDriver};
//!
//! /// Lift the phone, press 911, run 2 s of frames: did the line dial 911?
//! /// `t0` comes from the caller (a binary's clock, or a test's epoch).
//! fn dials_911(t0: Instant) -> bool {
//!     let mut cfg = LineConfig::for_country("us").unwrap();
//!     cfg.dial_plan = "{ 911 | 1xxxxxxxxxx }".parse().unwrap();
//!     let port = SimPort::new(SimConfig::default(), t0).unwrap();
//!     let mut port = PortDriver::new(Line::new(cfg).unwrap(), port);
//!     port.port_mut().lift(t0);
//!     port.port_mut().press(t0 + Duration::from_millis(300), "911").unwrap();
//!
//!     let mut out = Vec::new();
//!     let mut now = t0;
//!     for _ in 0..200 {
//!         now += Duration::from_millis(10); // virtual time: no sleeping
//!         port.tick(now, &mut out);
//!     }
//!     // 911 is an emergency number of the US plan: dialled at once, flagged, never private.
//!     out.contains(&Output::Call(CallCommand::Dial {
//!         number: "911".into(),
//!         private: false,
//!         emergency: true,
//!     }))
//! }
//! ```
//!
//! (The same scenario runs in `tests/line/dialling.rs`.)
//!
//! # Port tests
//!
//! For an installer checking the wiring and the phone (the admin pages' diagnostics), the
//! driver runs one test at a time per port beside the line ([`PortDriver::start_test`],
//! [`PortDriver::cancel_test`], [`PortDriver::testing`], [`PortDriver::take_test_outcome`]):
//!
//! * [`PortTest::Ring`] rings an idle, on-hook line with its ring cadence (repeated) for a
//!   while, then gives the port back the feed the line last asked for
//!   ([`TestOutcome::Completed`]). Lifting the phone trips the ring:
//!   [`TestOutcome::Answered`] with the time to answer; the line sees an ordinary
//!   off-hook and gives dial tone (no call is placed). If the line needs the port — an
//!   incoming call, a message-waiting signal — its feed wins and the test ends
//!   [`TestOutcome::Interrupted`].
//! * [`PortTest::Tone`] plays a tone of the line's plan, or the 1004 Hz 0 dBm0
//!   [`MILLIWATT`], to an off-hook phone at dial tone in place of the dial tone, then dial
//!   tone comes back. The line keeps its hook events and audio: hanging up or dialling a
//!   key interrupts the test. The line's dial-tone timer (first digit, or a warmline's
//!   delay) is held during the test and re-armed when it ends, so the user gets a whole
//!   dial-tone period afterwards and is not sent to reorder because of the test.
//!
//! A test the line cannot take now is refused with [`Error::TestRefused`] and a one-line
//! reason for the installer.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use tipring_hal::sim::{SimConfig, SimPort};
//! use tipring_line::{Line, LineConfig, PortDriver, PortTest, TestOutcome};
//!
//! # #[allow(clippy::disallowed_methods)]
//! let t0 = Instant::now(); // a binary's clock; any epoch works
//! let line = Line::new(LineConfig::for_country("us").unwrap()).unwrap();
//! let mut port = PortDriver::new(line, SimPort::new(SimConfig::default(), t0).unwrap());
//! let ring = PortTest::Ring { duration: Duration::from_secs(10) };
//! port.start_test(t0, ring).unwrap();
//! port.port_mut().lift(t0 + Duration::from_secs(3)); // the installer's helper answers
//! let (mut now, mut out) = (t0, Vec::new());
//! while port.testing() {
//!     now += Duration::from_millis(10);
//!     port.tick(now, &mut out);
//! }
//! assert!(matches!(
//!     port.take_test_outcome(),
//!     Some(TestOutcome::Answered { after }) if after < Duration::from_millis(3100)
//! ));
//! ```
//!
//! Without the driver, the loop is the usual sans-IO one: feed [`Input`]s to
//! [`Line::handle_input`], drain [`Line::poll_output`], call [`Line::produce_audio`] for
//! each outgoing frame and [`Input::Timeout`] when [`Line::poll_timeout`] is due. Here a
//! rotary phone holds a call, consults a colleague and transfers by hanging up, with the
//! SIP side played by hand:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use tipring_hal::{HookEvent, PortEvent};
//! use tipring_line::{
//!     CallCommand, Input, Line, LineConfig, NetworkEvent, Output, SecondEvent,
//! };
//!
//! fn commands(line: &mut Line) -> Vec<CallCommand> {
//!     std::iter::from_fn(|| line.poll_output())
//!         .filter_map(|o| match o {
//!             Output::Call(c) => Some(c),
//!             _ => None,
//!         })
//!         .collect()
//! }
//!
//! let mut cfg = LineConfig::for_country("us").unwrap();
//! cfg.dial_plan = "[2-9]xxxxxx".parse().unwrap();
//! let mut line = Line::new(cfg).unwrap();
//! # #[allow(clippy::disallowed_methods)]
//! let mut now = Instant::now(); // a binary's clock; any epoch works
//! let mut hook = |line: &mut Line, now: Instant, event: HookEvent| {
//!     line.handle_input(Input::Hook(PortEvent { at: now, event }))
//! };
//! let mut dial = |line: &mut Line, now: &mut Instant, number: &str| {
//!     for d in number.bytes() {
//!         *now += Duration::from_millis(700);
//!         hook(line, *now, HookEvent::PulseDigit(d - b'0'));
//!     }
//! };
//!
//! hook(&mut line, now, HookEvent::OffHook);
//! dial(&mut line, &mut now, "5551234");
//! line.handle_input(Input::Network { now, event: NetworkEvent::Answered });
//! now += Duration::from_secs(5);
//! hook(&mut line, now, HookEvent::Flash { duration: Duration::from_millis(300) });
//! dial(&mut line, &mut now, "5550002");
//! let second = NetworkEvent::Second(SecondEvent::Answered);
//! line.handle_input(Input::Network { now, event: second });
//! hook(&mut line, now, HookEvent::OnHook);
//! assert_eq!(
//!     commands(&mut line),
//!     [
//!         CallCommand::Dial { number: "5551234".into(), private: false, emergency: false },
//!         CallCommand::Hold,
//!         CallCommand::DialSecond { number: "5550002".into(), private: false },
//!         CallCommand::Transfer { attended: true },
//!     ]
//! );
//! ```

#![forbid(unsafe_code)]

pub mod alert;
pub mod config;
pub mod dialplan;
pub mod driver;
pub mod error;
pub mod line;

pub use config::{CallerIdConfig, FeatureCodes, FlashMode, Hotline, LineConfig, LineTimers};
pub use driver::{PortDriver, PortTest, TestOutcome, TestTone, VoicePath, MILLIWATT};
pub use error::{Error, Result};
pub use line::{
    confirmation_tone, CallCommand, DigitSource, Feature, Input, Leg, Line, LineEvent, LineState,
    NetworkEvent, Output, SecondEvent, ServiceEvent,
};

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
//! * receiver left off hook: reorder, then howler, then lockout; flash reported as an event.
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
//!     out.contains(&Output::Call(CallCommand::Dial { number: "911".into() }))
//! }
//! ```
//!
//! (The same scenario runs in `tests/line/dialling.rs`.)
//!
//! Without the driver, the loop is the usual sans-IO one: feed [`Input`]s to
//! [`Line::handle_input`], drain [`Line::poll_output`], call [`Line::produce_audio`] for
//! each outgoing frame and [`Input::Timeout`] when [`Line::poll_timeout`] is due.

#![forbid(unsafe_code)]

pub mod config;
pub mod dialplan;
pub mod driver;
pub mod error;
pub mod line;

pub use config::{CallerIdConfig, Hotline, LineConfig, LineTimers};
pub use driver::{PortDriver, VoicePath};
pub use error::{Error, Result};
pub use line::{CallCommand, DigitSource, Input, Line, LineEvent, LineState, NetworkEvent, Output};

//! The FXS port boundary of Tipring: the SLIC driver trait [`FxsPort`], a reusable hook-switch
//! decoder [`HookDecoder`], and [`sim`], a simulated analog line with a virtual phone on it.
//!
//! Call control (`tipring-line`) sees a port only through [`FxsPort`]: it sets the line feed
//! (battery, polarity, on-hook transmission, ringing with a cadence), reads decoded hook
//! events (off hook, on hook, flash, pulse digits) and exchanges one 10 ms frame of 8 kHz
//! PCM per call of [`FxsPort::transfer`], full duplex like a TDM slot. Nothing here reads a
//! clock: the time is the `now` of each frame.
//!
//! # Implementing a backend
//!
//! A backend maps the feeds onto its chip's line-feed register, moves PCM between the TDM
//! bus and the frames, and reports hook events. Chips that decode pulses and flashes in
//! hardware report those; chips that only give the loop-closure bit can hand its transitions
//! to a [`HookDecoder`], as this (loopback) backend does:
//!
//! ```
//! use std::time::Instant;
//! use tipring_hal::{
//!     Frame, FxsPort, HookDecoder, HookState, HookTiming, LineFeed, PortEvent, Result,
//! };
//!
//! /// A stand-in for a SLIC: one register for the feed, one bit for loop closure.
//! #[derive(Debug)]
//! struct LoopbackSlic {
//!     feed: LineFeed,
//!     loop_closed: bool,
//!     hook: HookDecoder,
//! }
//!
//! impl LoopbackSlic {
//!     /// The chip's loop-closure interrupt, with the time it was latched.
//!     fn on_loop_interrupt(&mut self, at: Instant, closed: bool) {
//!         self.loop_closed = closed;
//!         self.hook.on_switch(at, closed);
//!     }
//! }
//!
//! impl FxsPort for LoopbackSlic {
//!     fn set_line_feed(&mut self, feed: LineFeed) -> Result<()> {
//!         self.feed = feed; // write the chip's line-feed register here
//!         Ok(())
//!     }
//!     fn line_feed(&self) -> LineFeed {
//!         self.feed
//!     }
//!     fn set_hook_timing(&mut self, timing: HookTiming) -> Result<()> {
//!         self.hook.set_timing(timing)
//!     }
//!     fn hook_state(&self) -> HookState {
//!         self.hook.state()
//!     }
//!     fn transfer(&mut self, now: Instant, tx: &Frame, rx: &mut Frame) {
//!         rx.copy_from_slice(tx); // a real chip: write tx to the TDM slot, read rx from it
//!         self.hook.advance(now);
//!     }
//!     fn poll_event(&mut self) -> Option<PortEvent> {
//!         self.hook.poll_event()
//!     }
//! }
//!
//! # #[allow(clippy::disallowed_methods)]
//! let t0 = Instant::now();
//! let mut slic = LoopbackSlic {
//!     feed: LineFeed::Open,
//!     loop_closed: false,
//!     hook: HookDecoder::new(HookTiming::default()),
//! };
//! slic.set_line_feed(LineFeed::ForwardActive)?;
//! slic.on_loop_interrupt(t0, true);
//! let mut rx = [0; 80];
//! slic.transfer(t0 + std::time::Duration::from_millis(20), &[0; 80], &mut rx);
//! assert_eq!(slic.poll_event().map(|e| e.event), Some(tipring_hal::HookEvent::OffHook));
//! # Ok::<(), tipring_hal::Error>(())
//! ```
//!
//! # Driving the simulated line in a test
//!
//! [`sim::SimPort`] is a port with a phone on it. The test queues what the phone does
//! (lift, dial, press keys, speak, hang up) at chosen instants, then steps the port frame
//! by frame — as call control would — and looks at both sides: hook events and received
//! audio on the gateway side; ringing, what was heard, caller-ID display on the phone side.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use tipring_hal::sim::{Heard, SimConfig, SimPort};
//! use tipring_hal::{FxsPort, HookEvent};
//! use tipring_dsp::tone::{plan, ToneGenerator, ToneKind};
//!
//! # #[allow(clippy::disallowed_methods)]
//! let t0 = Instant::now();
//! let ms = |n: u64| t0 + Duration::from_millis(n);
//! let mut port = SimPort::new(SimConfig::default(), t0)?;
//! port.lift(ms(50));
//! port.press(ms(500), "5")?; // DTMF tones in the audio, not an event
//!
//! // The gateway: dial tone after the off-hook, frame by frame.
//! let mut dial_tone = ToneGenerator::new(plan("us").unwrap().tone(ToneKind::Dial));
//! let (mut tx, mut rx) = ([0i16; 80], [0i16; 80]);
//! let mut off_hook = false;
//! for frame in 1..=100 {
//!     if off_hook {
//!         dial_tone.fill(&mut tx);
//!     }
//!     port.transfer(ms(10 * frame), &tx, &mut rx);
//!     while let Some(e) = port.poll_event() {
//!         off_hook |= e.event == HookEvent::OffHook;
//!     }
//! }
//! assert!(off_hook);
//! assert!(port.listen().is_tone(&[350.0, 440.0])); // the phone hears US dial tone
//! # Ok::<(), tipring_hal::Error>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod hook;
pub mod port;
pub mod sim;

pub use error::{Error, Result};
pub use hook::{HookDecoder, HookTiming};
pub use port::{FxsPort, HookEvent, HookState, LineFeed, PortEvent};
pub use tipring_dsp::cadence::{After, Cadence, CadenceStep};
pub use tipring_dsp::{Frame, FRAME_SAMPLES, SAMPLE_RATE};

//! Line-side DSP for Tipring: what an FXS port needs between its 8 kHz PCM and its call
//! control.
//!
//! * [`level`]: dBm0 levels (ITU-T G.711 reference).
//! * [`goertzel`]: single-frequency level measurement.
//! * [`tone`]: call-progress tones of eight national plans ([`tone::PLANS`]) and a cheap
//!   phase-continuous [`tone::ToneGenerator`]; [`cadence`] describes on/off patterns.
//! * [`dtmf`]: a DTMF sender and an ITU-T Q.24-grade detector.
//! * [`fsk`]: Bell 202 / V.23 FSK modulator and demodulator with UART framing.
//! * [`callerid`]: SDMF/MDMF/ETSI messages, FSK bursts, DTMF CLIP, CAS / DT-AS alerting.
//!
//! Everything is sans-IO and clock-free: the caller pushes and pulls samples, 10 ms
//! [`Frame`]s or any other length, and time is the sample count.
//!
//! # Driving a port
//!
//! Per 10 ms frame, a port's media loop plays whatever tone or signal is due toward the phone
//! and runs the DTMF detector on what comes back:
//!
//! ```
//! use tipring_dsp::dtmf::{DtmfDetector, DtmfDetectorConfig, DtmfEvent, DtmfSender};
//! use tipring_dsp::tone::{self, ToneGenerator, ToneKind};
//! use tipring_dsp::Frame;
//!
//! let plan = tone::plan("uk").expect("known plan");
//! let mut to_phone = ToneGenerator::new(plan.tone(ToneKind::Dial));
//! let mut detector = DtmfDetector::new(DtmfDetectorConfig::default());
//! // Stands in for the phone's keypad.
//! let mut keypad = DtmfSender::default();
//! keypad.push("42", 80, 80).unwrap();
//!
//! let mut dialled = String::new();
//! for _ in 0..50 {
//!     let mut out: Frame = [0; 80];
//!     to_phone.fill(&mut out); // -> the line
//!     let mut from_phone: Frame = [0; 80];
//!     keypad.fill(&mut from_phone); // <- the line
//!     detector.process(&from_phone, |ev| {
//!         if let DtmfEvent::Start { digit, .. } = ev {
//!             dialled.push(digit);
//!         }
//!     });
//! }
//! assert_eq!(dialled, "42");
//! ```
//!
//! Caller ID: [`callerid::encode`] a message, then play [`callerid::fsk_burst`] (or DTMF
//! CLIP digits through a [`dtmf::DtmfSender`]) in the silent interval the country's
//! [`callerid::Signalling`] prescribes; see the [`callerid`] module.

#![forbid(unsafe_code)]

pub mod cadence;
pub mod callerid;
pub mod dtmf;
pub mod error;
pub mod fsk;
pub mod goertzel;
pub mod level;
mod osc;
pub mod tone;

pub use error::{Error, Result};

/// Sample rate of the narrowband line path, in Hz.
pub const SAMPLE_RATE: u32 = 8000;
/// Samples in one 10 ms frame at [`SAMPLE_RATE`].
pub const FRAME_SAMPLES: usize = 80;
/// One 10 ms frame of 16-bit linear PCM at 8 kHz.
pub type Frame = [i16; FRAME_SAMPLES];

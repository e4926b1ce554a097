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
//! * [`ec`]: the G.168 line echo canceller for the 2-wire hybrid (proportionate multidelay
//!   frequency-domain filter with a residual-echo-driven step, two-path, double-talk
//!   detection, NLP with comfort noise, per-frame ERL/ERLE metrics).
//! * [`vad`] and [`cng`]: voice activity detection and RFC 3389 comfort noise (off by
//!   default; the port decides).
//! * [`gain`]: per-port TX/RX gain.
//! * [`faxtone`]: CNG, CED/ANS, ANSam, /ANS phase reversals (echo canceller disabling) and
//!   V.21 flag detection for fax.
//!
//! Dependencies: `thiserror`, and `realfft` (with `rustfft` under it) for the echo
//! canceller's 160-point real FFT — one 10 ms block per transform, so no buffering delay; a
//! hand-rolled mixed-radix FFT without SIMD intrinsics (the workspace forbids `unsafe`) would
//! cost several times more, and the canceller's whole budget is a few µs per frame (see the
//! [`ec`] module docs).
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
//! With the echo canceller, a port's 20 ms loop sends the network's audio to the line, then
//! cleans what comes back with it as the reference (and listens for fax answer tones that
//! must switch the canceller off):
//!
//! ```
//! use tipring_dsp::ec::{EcConfig, EchoCanceller};
//! use tipring_dsp::faxtone::{FaxToneDetector, FaxToneKind};
//! use tipring_dsp::gain::Gain;
//!
//! let mut ec = EchoCanceller::new(EcConfig { tail_ms: 64, ..EcConfig::default() }).unwrap();
//! let mut fax = FaxToneDetector::new();
//! let rx_gain = Gain::new(-3.0).unwrap();
//! // Stand-ins for the network audio and the hybrid (echo 1 ms late, 6 dB down).
//! let mut seed = 1u32;
//! let mut line_echo = vec![0i16; 8];
//! for _ in 0..100 {
//!     let tx: Vec<i16> = (0..160)
//!         .map(|_| {
//!             seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
//!             ((seed >> 16) as i16) / 8
//!         })
//!         .collect(); // from the network -> to the line
//!     line_echo.extend(tx.iter().map(|s| s / 2));
//!     let mut rx: Vec<i16> = line_echo.drain(..160).collect(); // <- from the line
//!     ec.process(&mut rx, &tx).unwrap();
//!     fax.process(&rx, |ev| {
//!         if ev.kind == FaxToneKind::DisableEchoCanceller {
//!             ec.set_enabled(false);
//!         }
//!     });
//!     rx_gain.apply(&mut rx); // -> encode and send to the network
//! }
//! let m = ec.metrics();
//! assert!(m.erle_db > 20.0, "{m:?}");
//! ```
//!
//! Caller ID: [`callerid::encode`] a message, then play [`callerid::fsk_burst`] (or DTMF
//! CLIP digits through a [`dtmf::DtmfSender`]) in the silent interval the country's
//! [`callerid::Signalling`] prescribes; see the [`callerid`] module.

#![forbid(unsafe_code)]

pub mod cadence;
pub mod callerid;
pub mod cng;
pub mod dtmf;
pub mod ec;
pub mod error;
pub mod faxtone;
pub mod fsk;
pub mod gain;
pub mod goertzel;
pub mod level;
mod lpc;
mod osc;
pub mod tone;
pub mod vad;

pub use error::{Error, Result};

/// Sample rate of the narrowband line path, in Hz.
pub const SAMPLE_RATE: u32 = 8000;
/// Samples in one 10 ms frame at [`SAMPLE_RATE`].
pub const FRAME_SAMPLES: usize = 80;
/// One 10 ms frame of 16-bit linear PCM at 8 kHz.
pub type Frame = [i16; FRAME_SAMPLES];

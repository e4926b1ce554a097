//! One call's voice path for Tipring, sans-IO: what an FXS port's media needs between its
//! 8 kHz line frames and the RTP datagrams of the call.
//!
//! ```text
//!  phone ──► line frame ──► echo canceller ─► gain ─► DTMF → RFC 4733 (tone cut) ─► encoder ─► RTP ─► SRTP ──► network
//!  phone ◄── line frame ◄── gain ◄─ (RFC 4733 keys as tones) ◄─ decoder + PLC ◄─ jitter buffer ◄─ RTP ◄─ SRTP ◄── network
//! ```
//!
//! A [`MediaSession`] is built from the SDP offer/answer result ([`MediaConfig`]); the port
//! driver calls [`MediaSession::exchange`] every 10 ms with the frame it just played to
//! the phone, the frame it captured, and a buffer for the next frame toward the phone.
//! Datagrams from the call's sockets go to [`MediaSession::receive`]; what to send comes
//! from [`MediaSession::poll_transmit`]; RTCP runs on [`MediaSession::poll_timeout`] /
//! [`MediaSession::handle_timeout`]. No clock, no socket: time is the `Instant` of each
//! call, the calendar time for RTCP is given once at the start.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use tipring_media::{Channel, MediaConfig, MediaSession, NtpTime};
//!
//! # #[allow(clippy::disallowed_methods)]
//! let t0 = Instant::now(); // a binary's clock, or a test's epoch
//! let far: std::net::SocketAddr = "127.0.0.1:40000".parse().unwrap();
//! let mut media = MediaSession::new(MediaConfig::pcmu(far, 7), t0, NtpTime::from_unix(Duration::from_secs(1_700_000_000))).unwrap();
//! let (sent, heard) = ([0i16; 80], [1000i16; 80]);
//! let mut next = [0i16; 80];
//! let mut buf = [0u8; tipring_media::MAX_DATAGRAM];
//! let mut packets = 0;
//! for i in 1..=10u32 {
//!     let now = t0 + Duration::from_millis(10 * u64::from(i));
//!     media.exchange(now, &sent, &heard, &mut next);
//!     while let Some(t) = media.poll_transmit(&mut buf) {
//!         assert_eq!((t.channel, t.to), (Channel::Rtp, far));
//!         packets += 1; // socket.send_to(&buf[..t.len], t.to)
//!     }
//! }
//! // 100 ms of audio at 20 ms per packet, less the 20 ms held back to cut DTMF tones.
//! assert_eq!(packets, 4);
//! ```
//!
//! Choices: audio toward the network is held back 20 ms so that a key pressed on the
//! phone can be cut from it once recognised and sent as RFC 4733 events instead (while an
//! event is sent its packets replace the audio, §2.5.1.2 practice); keys from the far end
//! are played as tones replacing the audio; a V.25 /ANS (2100 Hz with phase reversals)
//! switches the echo canceller off (G.164); payload types and keys that change in a
//! re-INVITE rebuild the session.

#![forbid(unsafe_code)]

mod config;
pub mod error;
mod session;
mod stats;

pub use config::{DtmfMode, JitterSettings, MediaConfig, SrtpKeys};
pub use error::{Error, Result};
pub use session::{Channel, MediaEvent, MediaSession, Transmit, MAX_DATAGRAM};
pub use stats::MediaStats;
pub use tipring_rtp::NtpTime;
pub use tipring_srtp::Profile;

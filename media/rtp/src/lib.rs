//! RTP and RTCP for Tipring (RFC 3550), sans-IO.
//!
//! * [`packet`]: zero-copy RTP parsing ([`RtpPacket`]), a writer into a caller buffer
//!   ([`RtpHeader::write`]), RFC 8285 header extensions, and the RFC 7983 / RFC 5761
//!   demultiplexer ([`classify`]).
//! * [`rtcp`]: compound RTCP — SR, RR, SDES, BYE, APP, XR — parsed with the RFC 3550 A.2
//!   checks and written by [`rtcp::RtcpWriter`].
//! * [`stats`]: per-source reception statistics (A.1 sequence validation, A.8 jitter,
//!   A.3 loss, LSR/DLSR and RTT).
//! * [`session`]: [`RtpSession`], the state machine of one call leg: send, receive,
//!   RTCP timing (§6.3 / A.7), SSRC collisions (§8.2), symmetric RTP latching, media
//!   timeout.
//! * [`events`]: RFC 4733 telephone-events (DTMF and flash), sender and receiver.
//! * [`emodel`]: the ITU-T G.107 E-model (R factor, MOS).
//! * [`xr`]: RTCP XR VoIP Metrics (RFC 3611 §4.7) and their collector.
//!
//! Nothing here reads a clock or a global RNG: `now: Instant` arrives with every call,
//! the wall clock (for SR/XR NTP timestamps) is an [`NtpTime`] the caller passes in, and
//! randomness comes from `rng_seed` in [`SessionConfig`]. Nothing allocates per packet.
//!
//! # Driving a session
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::{Duration, SystemTime};
//! use tipring_rtp::{NtpTime, Received, RtpSession, SessionConfig};
//!
//! # #[allow(clippy::disallowed_methods)]
//! let t0 = std::time::Instant::now(); // the binary's clock, read outside the core
//! # #[allow(clippy::disallowed_methods)]
//! let wall = NtpTime::from_system_time(SystemTime::now());
//! let pbx: SocketAddr = "192.0.2.20:14586".parse().unwrap();
//! let mut a = RtpSession::new(SessionConfig::pcmu(pbx, "port1@gw", 1), t0, wall);
//! let me: SocketAddr = "192.0.2.51:4000".parse().unwrap();
//! let mut b = RtpSession::new(SessionConfig::pcmu(me, "pbx", 2), t0, wall);
//!
//! let mut buf = [0u8; 1500];
//! let frame = [0xFFu8; 160]; // 20 ms of G.711 silence
//! for i in 0..50u32 {
//!     let now = t0 + Duration::from_millis(20 * u64::from(i));
//!     // A sends; the datagram travels to B...
//!     let tx = a.send_audio(now, &frame, 160, i == 0, &mut buf).unwrap();
//!     assert_eq!(tx.to, pbx);
//!     match b.receive(now, me, &buf[..tx.len]) {
//!         Received::Rtp(p) => assert_eq!(p.packet.payload().len(), 160), // -> jitter buffer
//!         Received::Dropped(why) => assert_eq!(i, 0, "{why:?}"), // first one: probation
//!         Received::Rtcp(_) => unreachable!(),
//!     }
//!     // ... and each side runs its timers.
//!     while a.poll_timeout().is_some_and(|t| t <= now) {
//!         match a.handle_timeout(now, &mut buf).unwrap() {
//!             Some(rtcp) => { b.receive(now, me, &buf[..rtcp.len]); }
//!             None => break,
//!         }
//!     }
//! }
//! assert_eq!(b.receiver_stats().unwrap().received(), 49);
//! ```

#![forbid(unsafe_code)]

pub mod emodel;
pub mod error;
pub mod events;
pub mod ntp;
pub mod packet;
pub mod rng;
pub mod rtcp;
pub mod session;
pub mod stats;
pub mod xr;

#[cfg(test)]
mod proptests;

pub use error::{Error, EventError, Result, RtcpError, RtpError};
pub use ntp::NtpTime;
pub use packet::{classify, DatagramKind, RtpHeader, RtpPacket};
pub use session::{Received, RtpSession, SessionConfig, SessionEvent, Transmit};

//! Receive-side RTP media timing for Tipring: an adaptive jitter buffer with concealment,
//! time-stretching and clock-drift handling, a fixed-delay baseline, and a seeded network
//! emulator.
//!
//! * [`JitterBuffer`] — the adaptive buffer. It owns a [`tipring_codec::Decoder`] (which
//!   owns packet-loss concealment, e.g. G.711 Appendix I). Its target delay is a quantile
//!   of the measured relative-delay distribution, in the manner of WebRTC NetEQ's delay
//!   manager ([`Config::quantile`]); it moves the actual delay toward the target by
//!   removing ("accelerate") or inserting ("preemptive expand") whole pitch periods with
//!   overlap-add, which also absorbs sender clock drift; it jumps straight to the target
//!   at talkspurt starts.
//! * [`FixedBuffer`] — a fixed-delay, zero-fill (or decoder-PLC) baseline for comparisons.
//! * [`netem`] — a seeded, sans-IO network emulator (delay, jitter, reordering, random and
//!   Gilbert-Elliott loss, duplication, clock drift) for tests and benchmarks in this and
//!   other crates.
//!
//! Everything is sans-IO: time arrives as [`std::time::Instant`]s in the calls, randomness
//! comes from seeds.
//!
//! # Model
//!
//! Each packet's *relative delay* is its arrival time minus its RTP timestamp mapped to
//! time, measured against the fastest packet of the last two seconds. The largest relative
//! delay of every 500 ms goes into a histogram with a forgetting factor; the target delay
//! is its 0.95 quantile, clamped to `[min_delay_ms, max_delay_ms]`. The buffer's *current
//! delay* is the same quantity for the sample being played. When the next packet is
//! missing at playout time:
//!
//! * if later packets are buffered, the missing one is lost: the decoder conceals its
//!   duration and playout moves past it (a later arrival is discarded as late);
//! * if nothing is buffered, the packet may just be late: the decoder conceals without
//!   moving the playout point (the delay grows; accelerate later brings it back), for at
//!   most `max_expand_ms`, then silence;
//! * a timestamp gap with the marker bit, or with no sequence gap, is a DTX pause, not
//!   loss: playout restarts at the target delay.
//!
//! Time-stretching prefers pauses: a delay above target is removed in pauses (120 ms of
//! quiet audio), and from voiced audio only when it has persisted for 3 s (continuous
//! audio such as music on hold) or is large; moving the timing inside an utterance is
//! what listeners (and PESQ) notice. Expansion happens when the *slack* of the next
//! packet (how late it may still arrive) falls below the target, pauses first.
//!
//! # Driving it
//!
//! ```
//! use std::time::{Duration, Instant};
//! use tipring_codec::{CodecId, Decoder};
//! use tipring_jitter::{Config, FrameKind, JitterBuffer, Packet, PayloadKind};
//!
//! // A stand-in decoder: one byte -> one sample. Use tipring_codec's G.711 in real code.
//! #[derive(Debug)]
//! struct Bytes;
//! impl Decoder for Bytes {
//!     fn codec(&self) -> CodecId { CodecId::Pcmu }
//!     fn sample_rate(&self) -> u32 { 8000 }
//!     fn decode(&mut self, p: &[u8], out: &mut Vec<i16>) -> tipring_codec::Result<usize> {
//!         out.extend(p.iter().map(|&b| i16::from(b) * 64));
//!         Ok(p.len())
//!     }
//!     fn conceal(&mut self, n: usize, out: &mut Vec<i16>) { out.extend(std::iter::repeat_n(0, n)) }
//!     fn reset(&mut self) {}
//! }
//!
//! let mut jb = JitterBuffer::new(Config::default(), Bytes).unwrap(); // 10 ms frames
//! let t0 = Instant::now();
//! let payload = [100u8; 160]; // 20 ms at 8 kHz
//! let mut played = Vec::new();
//! for tick in 0..100u32 {
//!     let now = t0 + Duration::from_millis(10 * u64::from(tick));
//!     if tick % 2 == 0 {
//!         // A packet every 20 ms (normally: from the socket, via the RTP parser).
//!         jb.insert(&Packet {
//!             ssrc: 1,
//!             seq: (tick / 2) as u16,
//!             timestamp: 160 * (tick / 2),
//!             marker: tick == 0,
//!             kind: PayloadKind::Audio,
//!             payload: &payload,
//!             arrival: now,
//!         });
//!     }
//!     let frame = jb.pull(now); // every 10 ms, toward the line
//!     assert_eq!(frame.pcm.len(), 80);
//!     played.push(frame.kind);
//! }
//! // After the start-up delay every frame is decoded audio; nothing is concealed.
//! assert!(played.iter().all(|k| *k != FrameKind::Concealed));
//! assert!(played.iter().filter(|k| **k == FrameKind::Normal).count() > 90);
//! while let Some(event) = jb.poll_event() {
//!     // feed an RTCP XR collector (RFC 3611 §4.7)
//!     let _ = event;
//! }
//! assert_eq!(jb.stats().received, 50);
//! ```

#![forbid(unsafe_code)]

mod buffer;
mod delay;
pub mod error;
mod fixed;
pub mod netem;
pub mod noise;
mod rng;
mod store;
mod stretch;

use std::time::Instant;

pub use buffer::{Config, JitterBuffer, Stats};
pub use error::{Error, Result};
pub use fixed::{Concealment, FixedBuffer, FixedConfig, FixedStats};
pub use noise::{NoiseSource, WhiteNoise};

/// What a packet carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadKind {
    /// Coded audio for the decoder.
    Audio,
    /// An RFC 3389 comfort-noise packet: silence follows until the next audio packet.
    ComfortNoise {
        /// Noise level in −dBov (RFC 3389 §3).
        level_dbov: u8,
    },
}

/// An arriving RTP packet, as the RTP layer parsed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Synchronization source; a change restarts the stream.
    pub ssrc: u32,
    /// RTP sequence number.
    pub seq: u16,
    /// RTP timestamp, in units of the RTP clock.
    pub timestamp: u32,
    /// RTP marker bit (first packet of a talkspurt for audio, RFC 3551 §4.1).
    pub marker: bool,
    /// Audio or comfort noise.
    pub kind: PayloadKind,
    /// The payload (copied into the buffer's own memory).
    pub payload: &'a [u8],
    /// When it arrived (receiver's clock).
    pub arrival: Instant,
}

/// What a pulled frame contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FrameKind {
    /// Decoded audio (possibly preceded by silence at a talkspurt start).
    Normal,
    /// At least partly concealment of missing audio.
    Concealed,
    /// Decoded audio lengthened by a preemptive expand.
    Expanded,
    /// Decoded audio shortened by an accelerate.
    Accelerated,
    /// Comfort noise (after an RFC 3389 CN packet).
    ComfortNoise,
    /// Silence (nothing to play: before the stream, during DTX without CN).
    Silence,
}

/// One frame of playout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlayoutFrame<'a> {
    /// The PCM at the decoder's sample rate, `frame_ms` long.
    pub pcm: &'a [i16],
    /// What it is.
    pub kind: FrameKind,
    /// RTP timestamp of its first sample when it belongs to the stream's timeline
    /// (approximate around time-stretch operations), `None` for silence/noise outside it.
    pub timestamp: Option<u32>,
}

/// Why a packet was not (or no longer) buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DiscardReason {
    /// It arrived after its playout time.
    Late,
    /// A copy had already arrived.
    Duplicate,
    /// The buffer was full, or the payload larger than `max_payload`.
    Overflow,
    /// A sequence/timestamp jump not confirmed by the next packet (RFC 3550 A.1).
    OutOfRange,
    /// Flushed by a stream reset.
    Flushed,
}

/// What happened to a packet, for RTCP XR (RFC 3611) loss/discard run-length and burst
/// metrics. `seq` is the extended sequence number (cycles × 65536 + RTP seq, starting at
/// cycle 1); its low 16 bits are the RTP sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Event {
    /// Accepted into the buffer.
    Received {
        /// Extended sequence number.
        seq: u64,
    },
    /// Never arrived: reported once its playout time is `max_delay_ms` past.
    Lost {
        /// Extended sequence number.
        seq: u64,
    },
    /// Arrived but not played.
    Discarded {
        /// Extended sequence number.
        seq: u64,
        /// Why.
        reason: DiscardReason,
    },
}

/// What [`JitterBuffer::insert`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Buffered for playout.
    Accepted,
    /// Not buffered.
    Discarded(DiscardReason),
}

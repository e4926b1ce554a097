//! SRTP and SRTCP (RFC 3711) with SDES keying (RFC 4568) for Tipring: the
//! `AES_CM_128_HMAC_SHA1_80` and `AES_CM_128_HMAC_SHA1_32` suites, replay protection,
//! rollover-counter tracking, master-key lifetimes. Sans-IO: packets are bytes in and out,
//! keys come from the caller's RNG; no clock, no socket, no allocation per packet.
//!
//! # Driving it
//!
//! One [`SrtpContext`] per direction. With SDES each side's `a=crypto` line carries the
//! key *it sends with*: our line keys our outbound context, the peer's line our inbound
//! one. All SSRCs of a direction share the context (streams are created on their first
//! packet, up to [`Policy::max_streams`]).
//!
//! ```
//! use tipring_srtp::{CryptoAttribute, Error, SrtpContext};
//!
//! # fn main() -> Result<(), Error> {
//! // Offer received in SDP; answer with 30 bytes from our CSPRNG (here a fixed stand-in).
//! let offer = ["a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"];
//! let theirs = CryptoAttribute::select(offer)?;
//! let ours = theirs.answer([7u8; 30]);
//! let answer_line = ours.to_sdp_line(); // goes into our SDP answer
//! # assert!(answer_line.starts_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
//!
//! let mut send = SrtpContext::outbound(ours.policy())?;
//! let mut recv = SrtpContext::inbound(theirs.policy())?;
//!
//! // Outgoing RTP (reserve send.rtp_overhead() bytes of capacity to avoid a realloc).
//! let mut packet = Vec::with_capacity(172 + send.rtp_overhead());
//! packet.extend_from_slice(&[0x80, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0, 42]);
//! packet.extend_from_slice(&[0xD5; 160]);
//! send.protect_rtp(&mut packet)?;
//! assert_eq!(packet.len(), 182);
//!
//! // Incoming SRTP: drop whatever fails; every refusal is counted in recv.stats().
//! let mut datagram = packet.clone(); // (really: what the socket delivered)
//! match recv.unprotect_rtp(&mut datagram) {
//!     Ok(()) => { /* datagram is now the plain RTP packet */ }
//!     Err(Error::AuthFailed | Error::Replayed | Error::TooShort | Error::BadHeader) => {}
//!     Err(e) => return Err(e),
//! }
//! # assert_eq!(recv.stats().dropped(), 1); // the doc's key is not the sender's
//! # Ok(())
//! # }
//! ```
//!
//! In place on a receive buffer: [`SrtpContext::unprotect_rtp_slice`] returns the plain
//! length; [`SrtpContext::protect_rtp_slice`] protects `buf[..len]` into `buf`.
//!
//! # Processing order
//!
//! `unprotect` follows RFC 3711 §3.3 with the tag checked first: estimate the index
//! (Appendix A), verify the tag in constant time ([`subtle`]), then the 128-packet replay
//! list (§3.3.2), then decrypt, then update ROC and replay list. A refused packet leaves
//! the context and the buffer unchanged; a new SSRC gets a stream only once one of its
//! packets authenticates, so forged packets cannot fill the stream table.
//!
//! # Scope and choices
//!
//! * SRTCP: E flag and 31-bit index, always the 80-bit tag (RFC 3711 §3.4; RFC 4568
//!   §6.2 for `_32`). An authentic SRTCP packet with E = 0 is accepted unencrypted.
//! * Key derivation (§4.3) with key_derivation_rate 0 or 2^n (SDES `KDR=n`). With a
//!   non-zero rate SRTCP's `r` is the 32-bit `0 || index` of §4.3.2 (checked against the
//!   NIST SP 800-135 SRTP-KDF vectors); with rate 0 it is 48 bits wide as in libsrtp. libsrtp
//!   itself does not implement non-zero rates, so KDR interop is proven by vectors only.
//! * Master-key lifetime: 2^48 SRTP / 2^31 SRTCP packets (§9.2) or the smaller SDES
//!   lifetime, counted per context; then [`Error::KeyExhausted`] until re-keyed.
//! * MKI: one key per context, so the MKI of the `a=crypto` line is sent as a fixed field
//!   and checked on receipt; SDES key lists (`inline:..;inline:..`) are refused.
//! * SDES session parameters that weaken SRTP (`UNENCRYPTED_SRTP`, `UNENCRYPTED_SRTCP`,
//!   `UNAUTHENTICATED_SRTP`) are refused, as is `FEC_KEY`; see [`CryptoAttribute`].
//! * Key material is zeroed on drop ([`zeroize`], and RustCrypto's own `zeroize`
//!   features for the AES round keys and HMAC state); `Debug` prints `<redacted>`.
//!
//! # Why pure Rust rather than libsrtp2
//!
//! The workspace forbids `unsafe`, and binding libsrtp2 (Debian `libsrtp2-1`) would need
//! FFI; it would also add a C build/link step to every target. RustCrypto's `aes` uses
//! AES-NI (and VAES) when the CPU has them, detected at run time, and otherwise a
//! constant-time fixsliced software AES; `sha1` uses the SHA extensions when present.
//! The CTR mode of SRTP is a few lines over the block cipher (so the `ctr` crate is not
//! needed: it would re-key or clone the cipher per packet). The bench
//! (`cargo bench -p tipring-srtp`) measures protect/unprotect of a 172-byte G.711
//! packet beside libsrtp2 built from a small C harness; the interop test checks our output
//! against libsrtp byte for byte.

mod context;
mod error;
mod keys;
mod policy;
mod replay;
mod sdes;

pub use context::{Direction, SrtpContext, Stats};
pub use error::{Error, Result};
pub use keys::{MasterKey, MASTER_KEY_LEN, MASTER_KEY_SALT_LEN, MASTER_SALT_LEN};
pub use policy::{Policy, Profile, MAX_MKI_LEN, RTCP_TAG_LEN};
pub use replay::REPLAY_WINDOW;
pub use sdes::{CryptoAttribute, Mki};

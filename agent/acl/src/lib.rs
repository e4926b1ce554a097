//! Management access control for the Tipring agent: which packets and connections the
//! gateway's services see at all.
//!
//! Four services face the network, and each asks this crate first:
//!
//! * **SIP** goes through a [`SipScreen`], per received datagram (or per message read
//!   from a TCP or TLS stream), before the SIP stack parses it: an allow-list of source
//!   networks ([`NetList`]), the configured SIP servers exempt from everything, a filter
//!   for known scanners ([`SCANNER_USER_AGENTS`], `friendly-scanner` and its kin), a
//!   per-source request rate, and a block of [`SipScreenSettings::block_for`] on sources
//!   caught scanning or flooding. The answer is a [`Verdict`]: `Accept`, or `Drop` with a
//!   [`Reason`], dropped silently (an answer would tell a scanner a SIP stack is here).
//! * **The admin pages** (per new connection), **SNMP** (per datagram) and **the TR-069
//!   connection-request port** (per connection) each go through a [`Gate`]: an allow-list
//!   and a per-source [`RateLimiter`].
//!
//! Everything is sans-IO, like the protocol cores: no socket, no clock (the caller passes
//! `now`), no thread, no global RNG. Every table is bounded (a flood from spoofed sources
//! costs a fixed amount of memory), messages are read at most [`MAX_SCAN`] bytes deep
//! without allocating, and no input panics.
//!
//! An empty allow-list allows every source: "nothing configured" leaves a service
//! reachable. Entries are parsed strictly ([`NetList::parse`]): `10.0.0.1/8` is refused
//! with "did you mean 10.0.0.0/8?" rather than guessed.
//!
//! # Example
//!
//! The agent's shell reads the clock and the sockets; this crate only decides.
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::Instant;
//!
//! use tipring_acl::{Gate, NetList, RateLimiter, Reason, SipScreen, SipScreenSettings, Verdict};
//!
//! # fn main() -> Result<(), tipring_acl::Error> {
//! // From the configuration (validated beforehand with `tipring_acl::validate`).
//! let mut sip = SipScreen::new(SipScreenSettings {
//!     allow: NetList::parse(&["198.51.100.0/24", "2001:db8::/32"])?,
//!     ..SipScreenSettings::default()
//! });
//! // The SIP servers, as resolved (again at each re-resolution).
//! sip.set_exempt(vec!["198.51.100.10".parse().unwrap()]);
//!
//! let now = Instant::now(); // the shell's clock
//! let from: SocketAddr = "198.51.100.77:5060".parse().unwrap();
//! let probe = b"OPTIONS sip:100@192.0.2.1 SIP/2.0\r\n\
//!     Via: SIP/2.0/UDP 198.51.100.77:5060;branch=z9hG4bK-1\r\n\
//!     From: \"sipvicious\"<sip:100@1.1.1.1>;tag=6435\r\n\
//!     To: \"sipvicious\"<sip:100@1.1.1.1>\r\n\
//!     User-Agent: friendly-scanner\r\n\
//!     CSeq: 1 OPTIONS\r\nCall-ID: 7617\r\nContent-Length: 0\r\n\r\n";
//! match sip.screen(from, probe, now) {
//!     Verdict::Accept => { /* hand the bytes to the SIP stack */ }
//!     Verdict::Drop(reason) => { /* drop; log at debug, count */ let _ = reason; }
//! }
//! assert_eq!(sip.screen(from, probe, now), Verdict::Drop(Reason::Blocked));
//! assert_eq!(sip.counters().scanner, 1);
//!
//! // The admin pages: one gate, asked per accepted connection.
//! let mut admin = Gate::new(NetList::parse(&["192.0.2.0/24"])?, RateLimiter::new(10, 30, 4096));
//! let peer: SocketAddr = "203.0.113.9:40000".parse().unwrap();
//! if let Err(reason) = admin.check(peer.ip(), now) {
//!     // close the connection before the TLS handshake
//!     assert_eq!(reason, Reason::NotAllowed);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Why hand-rolled
//!
//! No maintained crate screens SIP for scanners: the public practice is fail2ban filters,
//! iptables string matches and Kamailio/OpenSIPS script lines over a list of User-Agent
//! strings, which [`SCANNER_USER_AGENTS`] collects. For CIDR matching the `ipnet` and
//! `ipnetwork` crates are well kept, but the matching is about forty lines here, and the
//! parser wants errors that name the entry and what to write instead, so this crate
//! depends on nothing but `thiserror`.

mod error;
mod gate;
mod limiter;
mod net;
mod sip;
mod verdict;

pub use error::{AclError, EntryProblem, Error, Result};
pub use gate::{Gate, GateCounters};
pub use limiter::{RateLimiter, DEFAULT_MAX_SOURCES};
pub use net::{canonical, validate, NetList};
pub use sip::{
    find_scanner, is_response, SipScreen, SipScreenCounters, SipScreenSettings, FLOOD_BLOCK_AFTER,
    FLOOD_WINDOW, MAX_SCAN, SCANNER_USER_AGENTS,
};
pub use verdict::{Reason, Verdict};

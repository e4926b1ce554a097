//! Sans-IO SIP user agent for Tipring's FXS ports.
//!
//! One [`UserAgent`] serves every port of a gateway: each port is an [`Account`] (its
//! extension, digest credentials and a failover list of registrars / outbound proxies).
//! The core never touches a socket or a clock: the shell hands it received messages,
//! commands from the line side and the time, and sends what it asks to send.
//!
//! Layers, bottom up:
//!
//! * [`transaction`]: the four RFC 3261 §17 state machines (with RFC 6026's Accepted
//!   states), pure functions of bytes and time.
//! * registration: REGISTER with digest (MD5 / SHA-256, qop, nonce count, stale nonces),
//!   refresh before expiry, 423 Min-Expires, failover on timer F or 5xx, RFC 5626 back-off,
//!   OPTIONS probes to return to the primary; the state of each account is reported.
//! * diagnostics: [`Command::Ping`] sends an OPTIONS to the account's registrar on demand
//!   and reports status, reason, round-trip time, `Server` and `Allow` as an
//!   [`Event::Ping`] (no answer by timer F, or a transport failure: no status), apart
//!   from the keep-alives and probes (a ping never causes a failover or a REGISTER).
//! * calls: INVITE as caller and callee with SDP offer/answer ([`media`]), 180/183/200/ACK,
//!   2xx retransmission until ACK, CANCEL (and the CANCEL/200 race), BYE, 486 when busy,
//!   302 redirects, PRACK (RFC 3262), session timers (RFC 4028), hold/resume by re-INVITE
//!   with 491 glare back-off, consultation calls (the held call becomes the account's
//!   other call, reported as `CallEvent::OtherParty`), transfers (blind and attended REFER
//!   as transferor, REFER as transferee, INVITE with Replaces), DTMF by SIP INFO,
//!   message-summary SUBSCRIBE/NOTIFY (RFC 3842), OPTIONS.
//! * NAT and transports: `received`/`rport` both ways (RFC 3581), public Contact learned
//!   from the registrar, [`Input::TransportError`] fails waiting transactions at once.
//!
//! The shell (`tipring-sip-transport` for UDP/TCP/TLS sockets) stays outside: it feeds
//! whole messages in and sends what comes out.
//!
//! Messages are parsed and checked by `tipring-sip-message`: a malformed request gets the
//! RFC's answer (400 with a reason, 505, 501, 416, 420, 415, ...) or is dropped, and is
//! reported as [`Event::BadMessage`] for counters; the agent keeps running.
//!
//! # Driving it
//!
//! ```
//! use std::time::Instant;
//! use tipring_sip::{Account, Command, Input, Output, Peer, Secret, TransportKind, UaConfig, UserAgent};
//!
//! let registrar = Peer::udp("127.0.0.1:5060".parse().unwrap());
//! let cfg = UaConfig {
//!     local: "127.0.0.1:5070".parse().unwrap(),
//!     transport: TransportKind::Udp,
//!     user_agent: "Tipring".into(),
//!     timers: Default::default(),
//!     registration: Default::default(),
//!     rng_seed: [1; 32], // a deployment seeds from the OS
//!     codecs: vec![tipring_sip::media::PCMU, tipring_sip::media::PCMA],
//!     srtp: Default::default(),
//!     accounts: vec![Account {
//!         user: "101".into(),
//!         auth_user: None,
//!         password: Secret::new("secret"),
//!         domain: "pbx.example.com".into(),
//!         display_name: None,
//!         servers: vec![registrar],
//!         expires: 3600,
//!         register: true,
//!         rtp_port: 40000,
//!         rtp_port_second: 40002,
//!         subscribe_mwi: false,
//!         codecs: Vec::new(),
//!         t38: Some(Default::default()), // accept T.38 fax re-INVITEs
//!     }],
//! };
//! let mut ua = UserAgent::new(cfg);
//!
//! /// One step of the shell's loop; `now` comes from the shell's clock.
//! fn register(ua: &mut UserAgent, now: Instant, registrar: Peer) {
//!     ua.handle_input(Input::Command { now, command: Command::Register(0) });
//!     while let Some(out) = ua.poll_output() {
//!         match out {
//!             Output::Transmit { to, data } => assert_eq!(to, registrar), // send `data` to `to`
//!             Output::Event(e) => println!("{e:?}"),
//!         }
//!     }
//!     // Then: feed `Input::Receive` for each datagram, and `Input::Timeout(now)` when
//!     // `ua.poll_timeout()` is due.
//! }
//! # let _ = (&mut ua, register as fn(&mut UserAgent, Instant, Peer), registrar);
//! ```

#![forbid(unsafe_code)]

mod auth;
pub mod config;
pub mod fax;
pub mod media;
pub mod rng;
pub mod timers;
pub mod transaction;
pub mod ua;

pub use config::{Account, Peer, RegistrationPolicy, Secret, TransportKind, UaConfig};
pub use ua::{
    AccountId, CallEvent, Command, Event, Input, Output, PingResult, RegistrationFailure,
    RegistrationState, Stats, UserAgent, MAX_PINGS, PING_HEADER_MAX,
};

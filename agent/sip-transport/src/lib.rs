//! SIP transports for the Tipring agent: UDP, TCP and TLS (RFC 3261 §18) on tokio.
//!
//! This crate is part of the agent's *shell*, not of a sans-IO core: it owns sockets and
//! runs tokio tasks, and its timers (idle connections, keep-alives, connect and write
//! timeouts) read tokio's clock. The SIP user agent ([`tipring_sip::UserAgent`]) stays
//! sans-IO; this crate carries its bytes.
//!
//! [`Transports::bind`] binds what [`TransportConfig`] asks for (a UDP socket, a TCP
//! listener, a TLS listener; each optional). Then:
//!
//! * [`Transports::send`] routes a message by [`Peer::transport`]: a datagram for UDP;
//!   for TCP and TLS the existing connection to that address, whichever side opened it
//!   (RFC 3261 §18.2.2), else a new one. TLS servers are verified against the configured
//!   CA certificates and the expected name of each server (RFC 5922); a client
//!   certificate is offered when one is configured (mutual TLS).
//! * [`Transports::recv`] yields [`Event`]s: whole messages ([`Event::Message`], one
//!   datagram or one Content-Length frame of a stream, however the bytes were split
//!   into reads) and closed connections ([`Event::Closed`]). Double-CRLF pings are
//!   answered with a CRLF pong (RFC 5626 §3.5.1); a stream that cannot be framed is
//!   reported and then closed (RFC 3261 §18.3).
//! * Connections with nothing received or sent for [`TransportConfig::idle_timeout`]
//!   are closed; connections to the peers of [`KeepAliveConfig::peers`] instead get a
//!   CRLF ping every 80–100 % of the interval and are closed (with
//!   [`CloseReason::PongTimeout`]) when a pong does not come back (RFC 5626 §4.4.1).
//! * Everything is bounded: message size ([`tipring_sip_message::Limits`]), connections,
//!   unframed bytes and queued messages per connection, queued events.
//!
//! # Driving a user agent
//!
//! The shell's loop: send what the user agent asks for, then wait for a message or the
//! user agent's next deadline, whichever comes first.
//!
//! ```no_run
//! use std::time::Instant;
//!
//! use tipring_sip::{Input, Output, UserAgent};
//! use tipring_sip_transport::{Event, TransportConfig, Transports};
//!
//! // The binary is where the real clock is read.
//! #[allow(clippy::disallowed_methods)]
//! async fn run(mut ua: UserAgent, cfg: TransportConfig) -> tipring_sip_transport::Result<()> {
//!     let mut transports = Transports::bind(cfg).await?;
//!     loop {
//!         while let Some(output) = ua.poll_output() {
//!             match output {
//!                 Output::Transmit { to, data } => {
//!                     if let Err(e) = transports.send(to, data).await {
//!                         // `e.is_transport_failure()`: a transport error of the
//!                         // transaction (RFC 3261 §17.1.4), for the UA to act on.
//!                         tracing::warn!(%to, error = %e, "SIP send failed");
//!                     }
//!                 }
//!                 Output::Event(event) => tracing::info!(?event, "SIP event"),
//!             }
//!         }
//!         let deadline = ua.poll_timeout();
//!         let wait = async {
//!             match deadline {
//!                 Some(at) => tokio::time::sleep_until(at.into()).await,
//!                 None => std::future::pending().await,
//!             }
//!         };
//!         tokio::select! {
//!             event = transports.recv() => match event {
//!                 Event::Message { from, data } => ua.handle_input(Input::Receive {
//!                     now: Instant::now(),
//!                     from,
//!                     data: &data,
//!                 }),
//!                 Event::Closed { peer, reason } => {
//!                     tracing::info!(%peer, ?reason, "SIP connection closed");
//!                 }
//!                 _ => {}
//!             },
//!             () = wait => ua.handle_input(Input::Timeout(Instant::now())),
//!         }
//!     }
//! }
//! ```
//!
//! The user agent's own socket address (for Via and Contact) is
//! [`Transports::local_addr`] of the transport it uses.
//!
//! # TLS material
//!
//! [`TlsConfig`] takes DER certificates and keys ([`CertificateDer`], [`PrivateKeyDer`]);
//! [`certs_from_pem`] and [`Identity::from_pem`] read them from PEM files. Servers are
//! verified against [`TlsConfig::ca_certs`] only (no system store) and the name
//! configured for their address in [`TlsConfig::server_names`] (the SIP domain), else
//! [`TlsConfig::default_server_name`], else their IP address. The crypto provider is
//! always rustls' `ring`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
mod conn;
pub mod error;
pub mod event;
mod rng;
mod tls;
mod transport;

pub use config::{
    certs_from_pem, ClientAuth, Identity, KeepAliveConfig, TlsConfig, TransportConfig,
};
pub use error::{Error, Result};
pub use event::{CloseReason, Event};
pub use rustls_pki_types::{CertificateDer, PrivateKeyDer};
pub use tipring_sip::{Peer, TransportKind};
pub use transport::Transports;

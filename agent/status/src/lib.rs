//! `tipring-status`: the gateway's local status endpoint.
//!
//! The agent keeps a [`GatewayStatus`] snapshot (per-port hook, line state, SIP
//! registration, the current call with its codec and quality figures, SIP counters) and
//! replaces it about once a second in a [`tokio::sync::watch`] channel. A
//! [`StatusServer`] serves the latest snapshot over HTTP/1.1:
//!
//! * `GET /status` — the whole snapshot as JSON;
//! * `GET /status/ports/N` — port `N` as JSON (404 if there is none);
//! * `GET /metrics` — Prometheus text exposition format 0.0.4 ([`metrics::encode`]);
//! * `GET /healthz` — `ok`.
//!
//! Anything else is 404, a method other than GET/HEAD 405.
//!
//! # Secure by default
//!
//! * It listens on loopback ([`DEFAULT_ADDR`], `127.0.0.1:8080`); another address is
//!   refused unless [`ServerOptions::allow_non_loopback`] is set (it has no authentication).
//! * Inputs are bounded: the request head to 8 KiB and 64 header fields (431 beyond), a
//!   slow client has 5 s
//!   to send it and 15 s for the whole exchange, at most 16 connections at once (503
//!   beyond), one request per connection; request bodies are never read.
//! * The snapshot types have no field that could hold a password, a digest credential or
//!   an SRTP key (see [`model`]); free text in them is escaped by the JSON and Prometheus
//!   encoders. Logs (`tracing`, at `debug` per request) name peer, method, path (cut to
//!   96 bytes) and status only, never header fields.
//!
//! # Wiring it up
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use tipring_status::{GatewayStatus, PortStatus, StatusServer, DEFAULT_ADDR};
//! use tokio::sync::watch;
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> Result<(), tipring_status::Error> {
//!     let (tx, rx) = watch::channel(Arc::new(GatewayStatus::default()));
//!     let server = StatusServer::bind(DEFAULT_ADDR).await?;
//!     let task = tokio::spawn(server.run(rx));
//!
//!     let mut tick = tokio::time::interval(Duration::from_secs(1));
//!     for uptime_s in 0..60 {
//!         tick.tick().await;
//!         // The agent maps its line, SIP and media state here.
//!         let snapshot = GatewayStatus {
//!             version: env!("CARGO_PKG_VERSION").into(),
//!             uptime_s,
//!             ports: vec![PortStatus { port: 1, extension: "201".into(), ..Default::default() }],
//!             ..Default::default()
//!         };
//!         tx.send_replace(Arc::new(snapshot));
//!     }
//!     drop(tx); // the server stops when the last sender is gone
//!     let _ = task.await;
//!     Ok(())
//! }
//! ```
//!
//! # Choices
//!
//! The HTTP stack is hyper 1 (`http1` server) with `hyper-util`'s tokio adapters: the
//! same layer axum is built on, with the limits this endpoint needs (head size, header
//! read timeout) set directly on hyper's connection builder; four fixed routes do not
//! need axum's router. The Prometheus encoder is hand-written ([`metrics`] says why).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
pub mod metrics;
pub mod model;
mod server;

pub use error::{Error, Result};
pub use model::{
    AccessCounters, CallStatus, Direction, GatewayStatus, Hook, PortCounters, PortStatus,
    RegistrationState, RegistrationStatus, SipCounters,
};
pub use server::{
    ServerOptions, StatusServer, StatusSource, DEFAULT_ADDR, MAX_HEADER_FIELDS, MIN_HEAD_BYTES,
};

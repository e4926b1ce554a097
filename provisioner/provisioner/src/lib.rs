//! `tipring-provisioner`: Tipring's central server — a TR-069 ACS with zero-touch
//! enrollment, profiles that render each gateway's configuration from templates, per-device
//! secrets sealed with a key kept outside the database, connection requests, and a REST
//! API with its command-line client.
//!
//! It is the tokio shell around two cores: [`tipring_acs`] (sans-IO CWMP sessions,
//! admission, the task queue, provisioning plans) and [`tipring_store`] (the Store trait
//! and its SQLite backend).
//!
//! * [`server`] binds the ACS endpoint ([`cwmp`]: POST `/cwmp`, HTTP digest or a factory
//!   client certificate over TLS) and the API ([`api`]: `/api/v1/...`, bearer tokens with
//!   roles, audit log), and runs the connection-request sender ([`connreq`]) and the
//!   staged firmware rollouts ([`rollouts`], [`firmware`]).
//! * [`ctl`] is the API's command-line client; [`pki`] reads device certificates and makes
//!   a test factory CA.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let running = tipring_provisioner::server::start(tipring_provisioner::server::ServeArgs {
//!     data: "/var/lib/tipring-provisioner".into(),
//!     ..Default::default()
//! })
//! .await?;
//! println!("ACS at {}, API at {}", running.app.settings.acs_url, running.api_addr);
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

pub mod api;
pub mod app;
pub mod auth;
pub mod connreq;
pub mod console;
pub mod ctl;
pub mod cwmp;
pub mod digest;
pub mod error;
pub mod events;
pub mod firmware;
pub mod pki;
pub mod provision;
pub mod rollouts;
pub mod server;
pub mod views;

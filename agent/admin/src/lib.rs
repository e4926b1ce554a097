//! `tipring-admin`: the gateway's local admin pages over HTTPS, for the installer on site.
//!
//! * **TLS** with rustls: the configured certificate, else a self-signed one made on first
//!   start and kept in the state directory ([`tls::server_config`]; its SHA-256
//!   fingerprint is printed at start so it can be checked against the browser's warning).
//! * **No default password.** On first start a random password (4 groups of 5 characters
//!   from an alphabet without look-alikes, ~116 bits) is made, stored only as a
//!   PBKDF2-HMAC-SHA256 hash (`admin.json`, mode 0600), and handed back once by
//!   [`Admin::open`] for the agent to print on its console — it is not derived from a
//!   factory secret and never logged. Signing in with it leads to the password page until
//!   it is changed.
//! * **Lock-out**: 5 failed sign-ins from one address within 15 minutes lock that address
//!   out for 15 minutes (429 with `Retry-After`); 50 from all addresses together lock
//!   everyone out for 5 minutes ([`auth::Lockout`]).
//! * **Sessions**: a random 256-bit token in a `Secure; HttpOnly; SameSite=Strict` cookie,
//!   ending after 15 minutes unused or 8 hours after sign-in; every form carries the
//!   session's own token, and a POST from another origin is refused.
//! * **Pages** are HTML written on the server, without script (and without self-refreshing:
//!   a running test offers a refresh link); the content security policy allows only the
//!   pages' own stylesheet. Requests are bounded (forms 1 MiB + 16 KiB; a firmware image
//!   64 MiB, only from a signed-in browser, read as it arrives and passed on in pieces —
//!   never held whole; 64 header fields, 10 s to send the head, 30 s per connection, 32
//!   connections).
//! * **What they show and do**: Status (ports, SIP, uplink, ACS, firmware slots, access
//!   counters), Configuration (one form per section of [`SECTIONS`], each a whole new
//!   document for the gateway to check and store), Maintenance (firmware upload, support
//!   bundle, restart, factory reset), Diagnostics ([`Diagnostic`]: ring, tone, media
//!   loopback, SIP OPTIONS ping, packet capture), Password. The gateway supplies what is
//!   not in its status as a [`DeviceView`] and carries out [`Action`]s; results come back
//!   in the next view.
//! * **Access control** is the gateway's: [`AdminServer::with_access`] asks it per
//!   connection, before the TLS handshake.
//!
//! The core ([`Admin::handle_view`]) is sans-IO: a [`Request`], the time and the
//! [`View`] in, an [`Outcome`] out (a response, a configuration to apply, or an action);
//! [`AdminServer`] is the tokio/hyper/rustls shell.
//!
//! ```no_run
//! # async fn f() -> Result<(), tipring_admin::Error> {
//! use std::sync::Arc;
//! use tipring_admin::{Admin, AdminServer, FileStore};
//! let dir = std::path::Path::new("/var/lib/tipring");
//! let (admin, first) = Admin::open("gw-1", Box::new(FileStore::new(dir)))?;
//! if let Some(pw) = first {
//!     println!("admin pages: first-start password for `admin`: {pw} (shown once)");
//! }
//! let (tls, fingerprint) = tipring_admin::tls::server_config(None, Some(dir), &["gw-1.local".into()])?;
//! println!("admin certificate SHA-256 {fingerprint}");
//! let server = AdminServer::bind("0.0.0.0:8443".parse().unwrap(), tls, admin).await?;
//! let (_tx, rx) = tokio::sync::watch::channel(tipring_admin::View::default());
//! server.run(rx, None, None).await;
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

pub mod auth;
mod core;
mod edit;
pub mod pages;
mod server;
mod stream;
pub mod tls;
pub mod view;

pub use crate::core::{
    file_safe, support_bundle, Action, Admin, AdminStats, Apply, CredentialStore, FileStore,
    MemoryStore, Outcome, Request, Response, UploadChunk, View, COOKIE, MAX_BODY, SECURITY_HEADERS,
    USER,
};
pub use edit::SECTIONS;
pub use server::{AccessCheck, AdminServer, Applier};
pub use view::{
    AccessCounters, AcsView, CaptureFile, DeviceView, Diagnosis, Diagnostic, FirmwareSlot,
    TaskState, Uplink,
};

use std::path::{Path, PathBuf};

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The OS random source failed.
    #[error("no randomness from the operating system")]
    Random,
    /// The credential file is not what we wrote.
    #[error("admin credential: {0}")]
    Credential(String),
    /// A file could not be read or written.
    #[error("{path}: {err}", path = .0.display(), err = .1)]
    Io(PathBuf, std::io::Error),
    /// The certificate or key.
    #[error("admin TLS: {0}")]
    Tls(String),
    /// The listening socket.
    #[error("admin pages: cannot listen on {0}: {1}")]
    Bind(std::net::SocketAddr, std::io::Error),
}

/// Write `bytes` to `path` readable by the owner only (0600).
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let _ = std::fs::remove_file(path);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::Io(path.to_path_buf(), e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::Io(path.to_path_buf(), e))
}

//! Remote syslog for the Tipring agent: the agent's `tracing` events as RFC 5424
//! messages to a collector over UDP (RFC 5426), TCP (RFC 6587 octet counting) or TLS
//! (RFC 5425).
//!
//! This crate belongs to the agent's *shell*: it spawns a tokio task and owns a socket.
//! [`layer`] returns two things:
//!
//! * a [`SyslogLayer`] for the agent's `tracing_subscriber` registry. On each event it
//!   formats one message ([`format_5424`], a pure function; the time comes from a
//!   [`Clock`]) and queues it without waiting: when the queue
//!   ([`SyslogConfig::queue`] messages) is full, the message is dropped and counted. The
//!   caller never blocks on the network.
//! * a [`SyslogHandle`]: counters ([`SyslogHandle::stats`]) and
//!   [`SyslogHandle::shutdown`], which sends what is queued within a time limit.
//!
//! The sender task drains the queue: one datagram per message over UDP, one
//! `LEN SP MSG` frame per message over TCP and TLS. A connection that fails or that the
//! collector closes is opened again when the next message is due, after a back-off of
//! 1 s doubling to 60 s (reset by a successful send); the message that failed is kept
//! and sent on the new connection. When the queue runs dry after drops, the task sends
//! one `N messages dropped` notice (MSGID `tipring_syslog`, `[tipring@32473
//! dropped="N"]`).
//!
//! TLS runs on rustls with the `ring` provider; the collector's certificate must chain
//! to a CA of [`Transport::Tls::ca`] and carry [`Transport::Tls::server_name`] (or the
//! host of [`SyslogConfig::server`]). No client certificate is offered.
//!
//! See [`format`](mod@crate::format) for the exact message layout: STRUCTURED-DATA is one
//! `[tipring@32473 ...]` element of the event's fields (secrets masked), MSG is UTF-8
//! without a BOM.
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use tipring_syslog::{SyslogConfig, Transport};
//! use tracing_subscriber::layer::SubscriberExt as _;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! let mut cfg = SyslogConfig::new(
//!     "logs.example.net:6514",
//!     Transport::Tls { ca: "/etc/tipring/syslog-ca.pem".into(), server_name: String::new() },
//! );
//! cfg.hostname = "gw-0042".to_owned();
//! let (syslog, handle) = tipring_syslog::layer(cfg, rt.handle())?;
//! let subscriber = tracing_subscriber::registry()
//!     .with(tracing_subscriber::fmt::layer())
//!     .with(syslog);
//! tracing::subscriber::set_global_default(subscriber)?;
//!
//! rt.block_on(async {
//!     tracing::info!(port = 1, number = "201", "registered");
//!     // ... the agent runs ...
//!     tracing::info!(sent = handle.stats().sent, "shutting down");
//!     if let Err(e) = handle.shutdown(Duration::from_secs(2)).await {
//!         eprintln!("{e}");
//!     }
//! });
//! # Ok(())
//! # }
//! ```

mod config;
mod error;
pub mod format;
mod layer;
mod sender;

use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use config::{SyslogConfig, Transport};
pub use error::{Error, Result};
pub use format::{format_5424, format_5424_within, Facility, Record, Severity};
pub use layer::{Clock, SyslogLayer, SystemClock};

use layer::{Counters, Quiet, Shared};
use sender::Target;

/// Validates `cfg`, spawns the sender task on `rt` and returns the layer and its
/// handle. Event times are read from the [`SystemClock`].
///
/// It may be called outside the runtime (before `block_on`). Nothing is connected yet:
/// an unreachable collector shows in [`SyslogStats::connect_errors`], not here.
pub fn layer(
    cfg: SyslogConfig,
    rt: &tokio::runtime::Handle,
) -> Result<(SyslogLayer, SyslogHandle)> {
    layer_with_clock(cfg, rt, Arc::new(SystemClock))
}

/// [`layer`] with another [`Clock`] (a fixed one in tests).
pub fn layer_with_clock(
    cfg: SyslogConfig,
    rt: &tokio::runtime::Handle,
    clock: Arc<dyn Clock>,
) -> Result<(SyslogLayer, SyslogHandle)> {
    let checked = cfg.validate()?;
    let shared = Arc::new(Shared {
        hostname: cfg.hostname,
        app_name: cfg.app_name,
        procid: std::process::id().to_string(),
        facility: checked.facility,
        max_message: cfg.max_message,
        clock,
        counters: Counters::default(),
    });
    let (tx, rx) = mpsc::channel(cfg.queue);
    let (stop_tx, stop_rx) = watch::channel(false);
    let target = Target {
        server: cfg.server,
        udp: cfg.transport == Transport::Udp,
        tls: checked.tls,
    };
    let task = rt.spawn(Quiet::new(sender::run(rx, shared.clone(), target, stop_rx)));
    let layer = SyslogLayer {
        shared: shared.clone(),
        tx: tx.clone(),
        min_level: cfg.min_level,
    };
    let handle = SyslogHandle {
        shared,
        tx,
        control: Arc::new(Control {
            stop: stop_tx,
            task: Mutex::new(Some(task)),
        }),
    };
    Ok((layer, handle))
}

/// Counters of a [`SyslogLayer`], from [`SyslogHandle::stats`]. All counts are since
/// [`layer`] was called.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyslogStats {
    /// Messages handed to the transport (datagrams sent, frames written), drop notices
    /// included.
    pub sent: u64,
    /// Events dropped because the queue was full.
    pub dropped: u64,
    /// Failed sends (a datagram refused, a connection that broke while writing).
    pub send_errors: u64,
    /// Connections opened (for UDP: sockets set up).
    pub connects: u64,
    /// Failed attempts to resolve, connect or complete a TLS handshake.
    pub connect_errors: u64,
    /// Messages cut to [`SyslogConfig::max_message`].
    pub truncated: u64,
    /// Messages waiting in the queue now.
    pub queued: u64,
    /// Whether a connection (or UDP socket) is up now.
    pub connected: bool,
}

/// The handle of a [`SyslogLayer`]: counters and shutdown. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SyslogHandle {
    shared: Arc<Shared>,
    tx: mpsc::Sender<Vec<u8>>,
    control: Arc<Control>,
}

#[derive(Debug)]
struct Control {
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl SyslogHandle {
    /// The counters now (a few atomic loads).
    pub fn stats(&self) -> SyslogStats {
        let c = &self.shared.counters;
        SyslogStats {
            sent: c.sent.load(Relaxed),
            dropped: c.dropped.load(Relaxed),
            send_errors: c.send_errors.load(Relaxed),
            connects: c.connects.load(Relaxed),
            connect_errors: c.connect_errors.load(Relaxed),
            truncated: c.truncated.load(Relaxed),
            queued: self.queued() as u64,
            connected: c.connected.load(Relaxed),
        }
    }

    fn queued(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// Stops taking events, sends what is queued (and a last drop notice), closes the
    /// connection and ends the sender task, waiting at most `timeout`. Past it, the task
    /// is aborted and [`Error::ShutdownTimeout`] says how many messages were left.
    /// Events after the call are ignored (not counted as dropped). A second call returns
    /// `Ok` at once.
    pub async fn shutdown(&self, timeout: Duration) -> Result<()> {
        self.control.stop.send_replace(true);
        let task = self
            .control
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(mut task) = task else {
            return Ok(());
        };
        match tokio::time::timeout(timeout, &mut task).await {
            Ok(_) => Ok(()),
            Err(_) => {
                let unsent = self.queued();
                task.abort();
                Err(Error::ShutdownTimeout { unsent })
            }
        }
    }
}

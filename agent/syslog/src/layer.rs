//! The `tracing` layer: formats each event on the caller's thread and hands the bytes to
//! the sender task through a bounded queue, never waiting.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::SystemTime;

use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use crate::format::{format_5424_within, Facility, Record, Severity};

/// Where the layer reads the time of each event. Tests pass a fixed clock; the agent
/// passes [`SystemClock`]. Any `Fn() -> SystemTime` is a clock.
pub trait Clock: Send + Sync + 'static {
    /// The wall-clock time now.
    fn now(&self) -> SystemTime;
}

impl<F: Fn() -> SystemTime + Send + Sync + 'static> Clock for F {
    fn now(&self) -> SystemTime {
        self()
    }
}

/// The system's wall clock: the one place this crate reads it.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// The counters, shared by the layer, the sender and every handle.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) sent: AtomicU64,
    pub(crate) dropped: AtomicU64,
    /// Drops not yet reported by a notice.
    pub(crate) unreported: AtomicU64,
    pub(crate) send_errors: AtomicU64,
    pub(crate) connects: AtomicU64,
    pub(crate) connect_errors: AtomicU64,
    pub(crate) truncated: AtomicU64,
    pub(crate) connected: AtomicBool,
}

/// What the layer and the sender both need to format messages.
pub(crate) struct Shared {
    pub(crate) hostname: String,
    pub(crate) app_name: String,
    pub(crate) procid: String,
    pub(crate) facility: Facility,
    pub(crate) max_message: usize,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) counters: Counters,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("hostname", &self.hostname)
            .field("app_name", &self.app_name)
            .field("procid", &self.procid)
            .field("facility", &self.facility)
            .field("max_message", &self.max_message)
            .field("counters", &self.counters)
            .finish_non_exhaustive()
    }
}

/// The MSGID of messages about this crate itself (the drop notice).
pub(crate) const OWN_MSGID: &str = "tipring_syslog";

impl Shared {
    /// One formatted message, at most `max_message` bytes.
    pub(crate) fn format(
        &self,
        severity: Severity,
        msgid: &str,
        params: &[(String, String)],
        message: &str,
    ) -> Vec<u8> {
        let record = Record {
            time: Some(self.clock.now()),
            facility: self.facility,
            severity,
            hostname: &self.hostname,
            app_name: &self.app_name,
            procid: &self.procid,
            msgid,
            params,
            message,
        };
        let mut out = Vec::with_capacity(256);
        if format_5424_within(&record, self.max_message, &mut out) {
            self.counters.truncated.fetch_add(1, Relaxed);
        }
        out
    }

    /// The "N messages dropped" notice, if drops happened since the last one.
    pub(crate) fn drop_notice(&self) -> Option<Vec<u8>> {
        let n = self.counters.unreported.swap(0, Relaxed);
        if n == 0 {
            return None;
        }
        tracing::warn!(dropped = n, "syslog queue was full: messages dropped");
        let params = [("dropped".to_owned(), n.to_string())];
        let message = format!("{n} messages dropped: the syslog queue was full");
        Some(self.format(Severity::Warning, OWN_MSGID, &params, &message))
    }
}

/// The [`Layer`] that sends events to syslog. Made by [`layer`](crate::layer).
///
/// For each event at or above [`SyslogConfig::min_level`](crate::SyslogConfig::min_level)
/// it formats one RFC 5424 message (fields as SD-PARAMs, see [`format`](mod@crate::format)) and
/// queues it with `try_send`: when the queue is full the message is dropped and counted.
/// MSGID is the first `::` segment of the event's target (the crate, as
/// `tipring_line`, or a target set with `target: "..."`). Spans are not looked at.
/// Events emitted by the sender task itself (its own warnings, rustls's logs during a
/// handshake) are skipped, so a failing collector cannot feed itself.
///
/// The level check is done here, not in [`Layer::enabled`], because a layer's `enabled`
/// would filter events out for every other layer of the subscriber too. Other filters
/// can be added with [`Layer::with_filter`].
pub struct SyslogLayer {
    pub(crate) shared: Arc<Shared>,
    pub(crate) tx: mpsc::Sender<Vec<u8>>,
    pub(crate) min_level: Level,
}

impl fmt::Debug for SyslogLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyslogLayer")
            .field("shared", &self.shared)
            .field("min_level", &self.min_level)
            .finish_non_exhaustive()
    }
}

impl<S: Subscriber> Layer<S> for SyslogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        if *meta.level() > self.min_level || IN_SENDER.with(Cell::get) {
            return;
        }
        let counters = &self.shared.counters;
        if self.tx.is_closed() {
            return; // shut down
        }
        if self.tx.capacity() == 0 {
            counters.dropped.fetch_add(1, Relaxed);
            counters.unreported.fetch_add(1, Relaxed);
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let msgid = meta.target().split("::").next().unwrap_or_default();
        let bytes = self.shared.format(
            Severity::from(*meta.level()),
            msgid,
            &fields.params,
            &fields.message,
        );
        if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(bytes) {
            counters.dropped.fetch_add(1, Relaxed);
            counters.unreported.fetch_add(1, Relaxed);
        }
    }
}

/// The message and the other fields of an event.
#[derive(Default)]
struct Fields {
    message: String,
    params: Vec<(String, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, format!("{value:?}"));
    }
}

impl Fields {
    fn put(&mut self, field: &Field, value: String) {
        match field.name() {
            "message" => self.message = value,
            // tracing-log's metadata of bridged `log` records: noise here.
            name if name.starts_with("log.") => {}
            name => self.params.push((name.to_owned(), value)),
        }
    }
}

thread_local! {
    /// Set while this thread polls the sender task.
    static IN_SENDER: Cell<bool> = const { Cell::new(false) };
}

/// Marks the thread as "in the sender" while the inner future is polled, so that events
/// it emits are not sent to syslog.
pub(crate) struct Quiet<F> {
    inner: Pin<Box<F>>,
}

impl<F> Quiet<F> {
    pub(crate) fn new(inner: F) -> Self {
        Self {
            inner: Box::pin(inner),
        }
    }
}

impl<F: Future> Future for Quiet<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let before = IN_SENDER.with(|f| f.replace(true));
        let out = self.inner.as_mut().poll(cx);
        IN_SENDER.with(|f| f.set(before));
        out
    }
}

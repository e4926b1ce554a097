//! Live updates for the console: `GET /api/v1/events`, a server-sent event stream of
//! what changed on this node (any role may listen; it carries ids and states, no values).
//!
//! Each event is one `data:` line of JSON: `{"type":"device","id":...}` when a device's
//! record changed (a session ended, an operator changed it), `{"type":"task","id":...,
//! "device":...,"state":...}` when a task was queued or settled, `{"type":"rollout",
//! "id":...,"state":...}` when a rollout stepped or was operated, and `{"type":"resync"}`
//! when this listener fell behind and missed some (reload what is shown). A comment line
//! every 15 s keeps proxies from closing an idle stream.
//!
//! Events come from this node only: behind a balancer, a console sees the changes of the
//! node it is connected to live, and the others' at its next resync (the console redraws
//! every 20 s whatever the stream says; a running rollout's page polls every 5 s).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::routing::get;
use axum::Router;
use futures_util::Stream;
use serde::Serialize;
use tokio::sync::broadcast;

use crate::app::App;
use crate::auth::Caller;

/// How many events a slow listener may lag before it is told to resync.
const BACKLOG: usize = 1024;

/// Something that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A device's record changed.
    Device {
        /// Its id.
        id: String,
    },
    /// A task was queued or changed state.
    Task {
        /// The task's id.
        id: i64,
        /// Its device.
        device: String,
        /// Its state (`queued`, `done`, `failed`...).
        state: String,
    },
    /// A rollout changed.
    Rollout {
        /// Its id.
        id: String,
        /// Its state (`running`, `done`...).
        state: String,
    },
    /// Events were missed: reload.
    Resync,
}

/// The node's event bus: cheap to publish to with nobody listening.
#[derive(Debug, Clone)]
pub struct Events(broadcast::Sender<Event>);

impl Default for Events {
    fn default() -> Self {
        Self(broadcast::channel(BACKLOG).0)
    }
}

impl Events {
    /// Tell every listener.
    pub fn publish(&self, e: Event) {
        let _ = self.0.send(e);
    }

    /// A device changed.
    pub fn device(&self, id: &str) {
        self.publish(Event::Device { id: id.to_string() });
    }

    /// A task was queued or changed.
    pub fn task(&self, t: &tipring_acs::model::Task) {
        let state = serde_json::to_value(t.state)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        self.publish(Event::Task {
            id: t.id,
            device: t.device.clone(),
            state,
        });
    }

    /// A new listener.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.0.subscribe()
    }
}

/// The events route (merged into the API's router).
pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/api/v1/events", get(stream))
}

async fn stream(
    State(app): State<Arc<App>>,
    _caller: Caller,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let rx = app.events.subscribe();
    let s = futures_util::stream::unfold(rx, |mut rx| async move {
        let e = match rx.recv().await {
            Ok(e) => e,
            Err(broadcast::error::RecvError::Lagged(_)) => Event::Resync,
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        let data = serde_json::to_string(&e).unwrap_or_else(|_| "{}".into());
        Some((Ok(SseEvent::default().data(data)), rx))
    });
    Sse::new(s).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

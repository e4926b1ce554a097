//! The provisioner's shared state: the store, the secret sealer, the live CWMP sessions,
//! and the one real clock.

use std::sync::Arc;

use tipring_store::{Sealer, Store};

/// Settings the server runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The ACS URL devices are told to use (rendered into their configuration as
    /// `{{acs_url}}`), e.g. `https://acs.example.net:7547/cwmp`.
    pub acs_url: String,
    /// How long a CWMP session may sit idle between two POSTs before it is dropped.
    pub session_timeout_s: i64,
    /// Largest request body taken (CWMP and API), bytes.
    pub max_body: usize,
    /// Accept HTTP digest over plain HTTP (tests and labs on loopback); otherwise devices
    /// must come over TLS.
    pub allow_plain_http: bool,
    /// The periodic inform interval of a device that has not told its own: it is online
    /// while its last Inform is no older than that (plus a grace).
    pub default_inform_interval_s: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            acs_url: "http://127.0.0.1:7547/cwmp".into(),
            session_timeout_s: 60,
            max_body: 1 << 20,
            allow_plain_http: true,
            default_inform_interval_s: 3600,
        }
    }
}

/// Everything a request handler needs.
#[derive(Debug)]
pub struct App {
    /// Where everything is kept.
    pub store: Arc<dyn Store>,
    /// Opens and seals per-device secrets (the key lives outside the database).
    pub sealer: Sealer,
    /// How the server runs.
    pub settings: Settings,
    /// The live CWMP sessions, by cookie.
    pub sessions: crate::cwmp::Sessions,
    /// Wakes the connection-request sender.
    pub kick: tokio::sync::mpsc::UnboundedSender<String>,
    /// Firmware images and their download URLs.
    pub firmware: crate::firmware::Firmware,
    /// The plans this node made lately: per device, the fingerprint of the plan's inputs
    /// and the plan's digest (see [`crate::provision::PlanMemo`]).
    pub plans: crate::provision::PlanMemo,
    /// What changed, for the console's live updates.
    pub events: crate::events::Events,
    /// The fleet's numbers as last counted (second, answer): consoles redrawing on live
    /// events ask often, and a count of 100,000 devices takes tens of milliseconds.
    pub stats: std::sync::Mutex<Option<(i64, serde_json::Value)>>,
}

/// How a sealed file server password reads in a stored task.
const SEALED_PREFIX: &str = "sealed:";
/// The name a task's file server password is sealed under (with its device's id).
const TASK_PASSWORD: &str = "task.file_password";

/// Seal a task's file server password (Upload, ScheduleDownload) before it is stored: the
/// task's JSON in the database holds `sealed:<base64>`, opened only for the RPC
/// ([`open_task`]). A password already sealed is left as it is.
pub fn seal_task(sealer: &Sealer, task: &mut tipring_acs::model::Task) {
    use base64::Engine as _;
    let device = task.device.clone();
    if let Some(p) = task.kind.password_mut() {
        if p.expose().is_empty() || p.expose().starts_with(SEALED_PREFIX) {
            return;
        }
        let sealed = sealer.seal(&device, TASK_PASSWORD, p.expose());
        *p = tipring_acs::model::Secret::new(format!(
            "{SEALED_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(sealed)
        ));
    }
}

/// Open what [`seal_task`] sealed (for the session that sends the RPC). A password that
/// does not open (another key) is emptied, and the reason logged, rather than sent sealed.
pub fn open_task(sealer: &Sealer, task: &mut tipring_acs::model::Task) {
    use base64::Engine as _;
    let device = task.device.clone();
    let id = task.id;
    if let Some(p) = task.kind.password_mut() {
        let Some(b64) = p.expose().strip_prefix(SEALED_PREFIX) else {
            return;
        };
        let opened = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| e.to_string())
            .and_then(|b| {
                sealer
                    .open(&device, TASK_PASSWORD, &b)
                    .map_err(|e| e.to_string())
            });
        *p = match opened {
            Ok(v) => tipring_acs::model::Secret::new(v.as_str()),
            Err(why) => {
                tracing::error!(task = id, %why, "a task's file server password does not open");
                tipring_acs::model::Secret::new("")
            }
        };
    }
}

/// Unix seconds now: the provisioner's one wall clock.
#[allow(clippy::disallowed_methods)] // the shell owns the clock
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Random bytes from the operating system (tokens, passwords, nonces, session ids).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    use ring::rand::SecureRandom as _;
    let mut b = [0u8; N];
    ring::rand::SystemRandom::new()
        .fill(&mut b)
        .expect("the operating system's random source works");
    b
}

/// A random token of `bytes` random bytes, URL-safe base64 without padding.
pub fn random_token(bytes: usize) -> String {
    use base64::Engine as _;
    let mut v = Vec::with_capacity(bytes);
    while v.len() < bytes {
        v.extend_from_slice(&random_bytes::<32>());
    }
    v.truncate(bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v)
}

/// SHA-256 of a string, lowercase hex.
pub fn sha256_hex(s: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// SHA-256 of bytes, lowercase hex.
pub fn sha256_hex_bytes(b: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(b)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Run a blocking store call off the async threads.
pub async fn db<T, F>(app: &Arc<App>, f: F) -> Result<T, tipring_store::Error>
where
    T: Send + 'static,
    F: FnOnce(&dyn Store) -> Result<T, tipring_store::Error> + Send + 'static,
{
    let store = Arc::clone(&app.store);
    match tokio::task::spawn_blocking(move || f(store.as_ref())).await {
        Ok(r) => r,
        Err(e) => Err(tipring_store::Error::Database(format!(
            "store task failed: {e}"
        ))),
    }
}

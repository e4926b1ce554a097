//! Remote syslog in the running agent: the layer `management.syslog` asks for
//! ([`syslog_layer`]) and its replacement when the section changes ([`reload_syslog`]).
//!
//! Logging is the process's: the binary installs the subscriber once, with the syslog
//! layer inside a `tracing_subscriber::reload` layer, and hands this module the function
//! that swaps it ([`set_reloader`]). A changed section then takes effect at once: the new
//! collector's sender starts, the old one sends what it has queued and stops. A process
//! without a reloader (the in-process tests) keeps whatever it started with.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tipring_config::{GatewayConfig, Syslog, SyslogLevel, SyslogTransport};

/// Swaps the syslog layer in the installed subscriber (`None`: no syslog).
pub type Reloader =
    Box<dyn Fn(Option<tipring_syslog::SyslogLayer>) -> Result<(), String> + Send + Sync>;

static RELOADER: OnceLock<Reloader> = OnceLock::new();
/// The running layer's handle (counters, shutdown) and the section it was made from.
static RUNNING: Mutex<Option<(tipring_syslog::SyslogHandle, Syslog)>> = Mutex::new(None);

/// The syslog layer `cfg` asks for, its sender on `rt` (`None`: no `management.syslog`).
pub fn syslog_layer(
    cfg: &GatewayConfig,
    rt: &tokio::runtime::Handle,
) -> anyhow::Result<Option<(tipring_syslog::SyslogLayer, tipring_syslog::SyslogHandle)>> {
    let Some(s) = &cfg.management.syslog else {
        return Ok(None);
    };
    let transport = match s.transport {
        SyslogTransport::Udp => tipring_syslog::Transport::Udp,
        SyslogTransport::Tcp => tipring_syslog::Transport::Tcp,
        SyslogTransport::Tls => tipring_syslog::Transport::Tls {
            ca: s.ca_file.clone().unwrap_or_default().into(),
            server_name: s.server_name.clone().unwrap_or_default(),
        },
    };
    let mut c = tipring_syslog::SyslogConfig::new(s.server.clone(), transport);
    c.facility = s.facility;
    c.hostname = cfg
        .device
        .name
        .chars()
        .filter(|ch| ch.is_ascii_graphic())
        .collect();
    c.min_level = match s.level {
        SyslogLevel::Error => tracing::Level::ERROR,
        SyslogLevel::Warn => tracing::Level::WARN,
        SyslogLevel::Info => tracing::Level::INFO,
        SyslogLevel::Debug => tracing::Level::DEBUG,
    };
    let (layer, handle) =
        tipring_syslog::layer(c, rt).map_err(|e| anyhow::anyhow!("management.syslog: {e}"))?;
    Ok(Some((layer, handle)))
}

/// The binary's subscriber is installed: `reload` swaps its syslog layer, which was made
/// from `section` (with `handle`).
pub fn set_reloader(reload: Reloader, running: Option<(tipring_syslog::SyslogHandle, Syslog)>) {
    if RELOADER.set(reload).is_ok() {
        if let Ok(mut r) = RUNNING.lock() {
            *r = running;
        }
    }
}

/// The running syslog sender's handle (to flush it at the end).
pub fn running_handle() -> Option<tipring_syslog::SyslogHandle> {
    RUNNING
        .lock()
        .ok()
        .and_then(|r| r.as_ref().map(|(h, _)| h.clone()))
}

/// Follow `cfg`'s `management.syslog` when it differs from the running one. Returns a line
/// for the console when something changed (or could not).
pub fn reload_syslog(cfg: &GatewayConfig) -> Option<String> {
    let reload = RELOADER.get()?;
    let mut running = RUNNING.lock().ok()?;
    let now = running.as_ref().map(|(_, s)| s);
    if now == cfg.management.syslog.as_ref() {
        return None;
    }
    let rt = tokio::runtime::Handle::try_current().ok()?;
    let (layer, handle) = match syslog_layer(cfg, &rt) {
        Ok(Some((l, h))) => (Some(l), Some(h)),
        Ok(None) => (None, None),
        Err(e) => return Some(format!("syslog not changed: {e:#}")),
    };
    if let Err(e) = reload(layer) {
        return Some(format!("syslog not changed: {e}"));
    }
    if let Some((old, _)) = running.take() {
        rt.spawn(async move {
            let _ = old.shutdown(Duration::from_secs(2)).await;
        });
    }
    *running = handle.zip(cfg.management.syslog.clone());
    Some(match &cfg.management.syslog {
        Some(s) => format!(
            "syslog to {} over {}",
            s.server,
            match s.transport {
                SyslogTransport::Udp => "UDP",
                SyslogTransport::Tcp => "TCP",
                SyslogTransport::Tls => "TLS",
            }
        ),
        None => "syslog off".into(),
    })
}

//! The fleet: many [`Cpe`] engines over [`SimDevice`]s, one scheduler (sorted deadlines in
//! a binary heap, in the caller's task), and at most [`FleetConfig::max_in_flight`]
//! sessions at a time, each on a task of its own that owns the gateway for the session's
//! length and hands it back when the session is over.
//!
//! An idle gateway costs its engine, its data model and one heap entry: no task, no
//! socket, no timer. A session opens one HTTP connection (the agent's
//! [`HttpSession`]: cookies, Basic or digest, a deadline on every exchange) and closes it
//! when the session ends.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tipring_agent::acs_http::{AcsUrl, ClientSettings, HttpSession};
use tipring_config::{GatewayConfig, Secret};
use tipring_cpe::connreq::{ConnReqAuth, RateLimit, Verdict};
use tipring_cpe::{Action, Cpe, CpeConfig, FinishedTransfer, Input, Output, PersistedState, Start};
use tipring_datamodel::{Attributes, CwmpState, DeviceIdentity, LiveState};

use crate::device::SimDevice;
use crate::error::{Error, Result};

/// Largest firmware image a simulated gateway downloads (it counts the bytes and drops
/// them).
pub const MAX_DOWNLOAD: usize = 64 << 20;

/// The monotonic clock (the fleet is a shell: it reads the clock here only).
#[allow(clippy::disallowed_methods)]
pub fn now() -> Instant {
    Instant::now()
}

/// Unix seconds (for the engine's calendar and transfer times).
#[allow(clippy::disallowed_methods)]
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Which password each gateway authenticates with before the ACS gives it its own
/// (ManagementServer.Password, which replaces it once set).
#[derive(Clone, Default)]
pub enum Passwords {
    /// None: the gateway sends no credentials (the ACS quarantines or challenges it).
    #[default]
    None,
    /// The same for every gateway.
    Shared(String),
    /// By serial number (a pre-registration's `initial_secret` each); a serial not listed
    /// has none.
    BySerial(BTreeMap<String, String>),
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Passwords::None => f.write_str("None"),
            Passwords::Shared(_) => f.write_str("Shared(***)"),
            Passwords::BySerial(m) => write!(f, "BySerial({} serials)", m.len()),
        }
    }
}

impl Passwords {
    fn for_serial(&self, serial: &str) -> Option<String> {
        match self {
            Passwords::None => None,
            Passwords::Shared(p) => Some(p.clone()),
            Passwords::BySerial(m) => m.get(serial).cloned(),
        }
    }

    /// Read a password file: one `SERIAL PASSWORD` per line (blank lines and `#` comments
    /// skipped).
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let err = |why: String| Error::PasswordFile {
            path: path.display().to_string(),
            why,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let mut m = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut it = line.split_whitespace();
            match (it.next(), it.next(), it.next()) {
                (Some(s), Some(p), None) => {
                    m.insert(s.to_string(), p.to_string());
                }
                _ => return Err(err(format!("line {}: want `SERIAL PASSWORD`", n + 1))),
            }
        }
        Ok(Passwords::BySerial(m))
    }
}

/// How a fleet is made and runs.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// How many gateways.
    pub devices: usize,
    /// Serial numbers are this prefix and a 6-digit number (`FLEET000001`...).
    pub serial_prefix: String,
    /// The first serial's number.
    pub first_serial: u32,
    /// ManufacturerOUI.
    pub oui: String,
    /// ProductClass (the provisioner reads the port count from its trailing digits).
    pub product_class: String,
    /// FXS ports per gateway.
    pub ports: usize,
    /// The ACS URL (`http://` or `https://`; https needs a TLS configuration this first
    /// version does not take: plain HTTP only).
    pub acs_url: String,
    /// Credentials before the ACS sets them.
    pub passwords: Passwords,
    /// PeriodicInformInterval the engines run with (1 s or more; the configuration
    /// document shows it clamped to the 30 s..7 days it allows).
    pub inform_interval: Duration,
    /// Most sessions in flight at once.
    pub max_in_flight: usize,
    /// Deadline of one HTTP exchange.
    pub timeout: Duration,
    /// Send Basic credentials over plain HTTP (the provisioner takes them on loopback
    /// when started without `--require-tls`).
    pub basic_over_http: bool,
    /// Seeds the engines' cwmp:IDs, retry jitter and digest client nonces.
    pub seed: u64,
    /// DeviceInfo.SoftwareVersion the gateways report.
    pub software_version: String,
    /// Share of firmware downloads (0.0..=1.0) that fail on purpose after the image was
    /// fetched (TransferComplete with 9010), decided per gateway and CommandKey from the
    /// seed: a rollout's failure-rate halt can be tried.
    pub download_failure_rate: f64,
    /// Share of firmware installs (0.0..=1.0) whose health check fails on purpose: the
    /// gateway boots the new image, reports it (`1 BOOT`), and at its next session goes
    /// back to its previous version and boots again — as the agent does when the
    /// registrations of a trial image do not come back. Decided as the failures are.
    pub rollback_rate: f64,
}

impl Default for FleetConfig {
    fn default() -> Self {
        Self {
            devices: 100,
            serial_prefix: "FLEET".into(),
            first_serial: 1,
            oui: "00D0C9".into(),
            product_class: "FXS2".into(),
            ports: 2,
            acs_url: "http://127.0.0.1:7547/cwmp".into(),
            passwords: Passwords::None,
            inform_interval: Duration::from_secs(3600),
            max_in_flight: 128,
            timeout: Duration::from_secs(30),
            basic_over_http: true,
            seed: 0x7469_7072_696e_6701,
            software_version: "0.1.0".into(),
            download_failure_rate: 0.0,
            rollback_rate: 0.0,
        }
    }
}

impl FleetConfig {
    /// The serial number of gateway `index` (0-based).
    pub fn serial(&self, index: usize) -> String {
        format!(
            "{}{:06}",
            self.serial_prefix,
            self.first_serial as usize + index
        )
    }
}

/// What the fleet counted.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Sessions that ended with the ACS's 204.
    pub sessions_ok: u64,
    /// Sessions that failed (no answer, refused, a broken exchange).
    pub sessions_failed: u64,
    /// Session latency (first POST to the end), microseconds, of the good sessions.
    pub latencies_us: Vec<u32>,
    /// Gateways holding the ACS password the provisioner gave them.
    pub provisioned: usize,
    /// Downloads done (good or not).
    pub downloads: u64,
    /// Reboots and factory resets the ACS asked for.
    pub reboots: u64,
    /// Gateways lost to a panicking session task (a bug; should stay 0).
    pub lost: usize,
}

impl Stats {
    /// The `p`-th percentile (0..=100) of the good sessions' latency.
    pub fn percentile(&self, p: f64) -> Option<Duration> {
        if self.latencies_us.is_empty() {
            return None;
        }
        let mut v = self.latencies_us.clone();
        v.sort_unstable();
        let rank = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
        Some(Duration::from_micros(u64::from(v[rank.min(v.len() - 1)])))
    }

    /// Sessions ended, good or not.
    pub fn sessions(&self) -> u64 {
        self.sessions_ok + self.sessions_failed
    }
}

/// One simulated gateway.
struct Gateway {
    cpe: Cpe,
    dev: SimDevice,
    /// Sessions run (seeds each HTTP session's nonces).
    sessions: u32,
    /// Connection Request authentication, made at the first request (with the
    /// credentials it checks).
    cr: Option<Box<CrAuth>>,
    /// A trial image that will fail its health check: the version to go back to.
    rollback_to: Option<String>,
    /// The ACS's digest challenge from the last session, answered at once in the next
    /// (no 401 round trip while the ACS takes its nonce).
    auth: Option<Box<tipring_agent::acs_http::AuthMemo>>,
}

/// A gateway's Connection Request checker and the credentials it was made with.
struct CrAuth {
    username: String,
    password: String,
    auth: ConnReqAuth,
}

/// A Connection Request the listener hands to the scheduler.
pub(crate) struct CrRequest {
    /// The gateway.
    pub(crate) index: u32,
    /// The HTTP method.
    pub(crate) method: String,
    /// The path, without the query.
    pub(crate) path: String,
    /// The `Authorization` header.
    pub(crate) authorization: Option<String>,
    /// The scheduler's verdict.
    pub(crate) reply: tokio::sync::oneshot::Sender<Verdict>,
}

/// What one session task reports.
struct Report {
    /// `None`: nothing to say after all (no session opened).
    ok: Option<bool>,
    latency: Duration,
    provisioned_now: bool,
    /// A factory reset forgot the ACS password.
    unprovisioned_now: bool,
    downloads: u64,
    reboots: u64,
}

/// Shared by the session tasks.
#[derive(Debug)]
struct Shared {
    url: AcsUrl,
    download_failure_rate: f64,
    rollback_rate: f64,
    timeout: Duration,
    basic_over_http: bool,
    seed: u64,
}

/// Many simulated gateways (see the module docs).
pub struct Fleet {
    cfg: FleetConfig,
    shared: Arc<Shared>,
    slots: Vec<Option<Box<Gateway>>>,
    due: Vec<Option<Instant>>,
    heap: BinaryHeap<Reverse<(Instant, u32)>>,
    stats: Stats,
    /// Connection Requests from the listener, when one runs.
    cr_rx: Option<tokio::sync::mpsc::Receiver<CrRequest>>,
    cr_task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Fleet {
    fn drop(&mut self) {
        if let Some(t) = self.cr_task.take() {
            t.abort();
        }
    }
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("devices", &self.slots.len())
            .field("stats", &self.stats.sessions())
            .finish_non_exhaustive()
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn seed32(x: u64) -> [u8; 32] {
    let mut s = [0u8; 32];
    for (i, chunk) in s.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&splitmix(x ^ (i as u64) << 56).to_le_bytes());
    }
    s
}

impl Fleet {
    /// Make the gateways, each at boot with `0 BOOTSTRAP` and `1 BOOT` due at once.
    pub fn new(cfg: FleetConfig) -> Result<Self> {
        if cfg.devices == 0 || cfg.devices > u32::MAX as usize {
            return Err(Error::Config("devices: 1 or more".into()));
        }
        if cfg.inform_interval < Duration::from_secs(1) {
            return Err(Error::Config("inform interval: at least 1 s".into()));
        }
        if cfg.max_in_flight == 0 {
            return Err(Error::Config("max in flight: at least 1".into()));
        }
        if cfg.ports == 0 || cfg.ports > 48 {
            return Err(Error::Config("ports: 1..=48".into()));
        }
        let url: AcsUrl = cfg
            .acs_url
            .parse()
            .map_err(|e: anyhow::Error| Error::AcsUrl {
                url: cfg.acs_url.clone(),
                why: format!("{e:#}"),
            })?;
        if url.tls {
            return Err(Error::AcsUrl {
                url: cfg.acs_url.clone(),
                why: "https is not simulated yet: use plain http".into(),
            });
        }
        let shared = Arc::new(Shared {
            url,
            download_failure_rate: cfg.download_failure_rate,
            rollback_rate: cfg.rollback_rate,
            timeout: cfg.timeout,
            basic_over_http: cfg.basic_over_http,
            seed: cfg.seed,
        });
        // Every port in service and registered (the fleet runs no SIP: the ACS sees what a
        // healthy gateway reports).
        let port = tipring_datamodel::PortLive {
            sip_status: tipring_datamodel::ClientStatus::Up,
            line_status: tipring_datamodel::LineStatus::Up,
            ..Default::default()
        };
        let live = Arc::new(LiveState {
            ports: vec![port; cfg.ports],
            ..LiveState::default()
        });
        let factory = factory_config(&cfg)?;
        let now = now();
        let unix = unix_now();
        let mut slots = Vec::with_capacity(cfg.devices);
        let mut due = Vec::with_capacity(cfg.devices);
        let mut heap = BinaryHeap::with_capacity(cfg.devices);
        for i in 0..cfg.devices {
            let serial = cfg.serial(i);
            let dev = SimDevice {
                config: factory.clone(),
                state: CwmpState::default(),
                attributes: Attributes::default(),
                identity: DeviceIdentity {
                    manufacturer_oui: cfg.oui.clone(),
                    product_class: cfg.product_class.clone(),
                    model_name: format!("FXS{}", cfg.ports),
                    description: format!("Tipring FXS gateway, {} ports (simulated)", cfg.ports),
                    software_version: cfg.software_version.clone(),
                    serial_number: serial.clone(),
                    ..DeviceIdentity::default()
                },
                live: Arc::clone(&live),
                initial_secret: cfg.passwords.for_serial(&serial),
                sets: 0,
            };
            let cpe = Cpe::new(
                engine_config(&cfg, splitmix(cfg.seed ^ i as u64)),
                PersistedState::default(),
                Start::Boot,
                now,
                unix,
            );
            let t = cpe.poll_timeout();
            due.push(t);
            if let Some(t) = t {
                heap.push(Reverse((t, i as u32)));
            }
            slots.push(Some(Box::new(Gateway {
                cpe,
                dev,
                sessions: 0,
                cr: None,
                rollback_to: None,
                auth: None,
            })));
        }
        Ok(Self {
            cfg,
            shared,
            slots,
            due,
            heap,
            stats: Stats::default(),
            cr_rx: None,
            cr_task: None,
        })
    }

    /// The settings.
    pub fn config(&self) -> &FleetConfig {
        &self.cfg
    }

    /// How many gateways.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether there are none (never, once made).
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// What was counted so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Hand the counters over and start afresh (the provisioned count stays).
    pub fn take_stats(&mut self) -> Stats {
        let provisioned = self.stats.provisioned;
        let lost = self.stats.lost;
        let s = std::mem::take(&mut self.stats);
        self.stats.provisioned = provisioned;
        self.stats.lost = lost;
        s
    }

    /// The serial numbers of the gateways, in order.
    pub fn serials(&self) -> Vec<String> {
        (0..self.slots.len()).map(|i| self.cfg.serial(i)).collect()
    }

    /// Change every gateway's PeriodicInformInterval (between runs: all are idle); the
    /// next periodic Inform of each falls one interval after now.
    pub fn set_inform_interval(&mut self, interval: Duration) -> Result<()> {
        if interval < Duration::from_secs(1) {
            return Err(Error::Config("inform interval: at least 1 s".into()));
        }
        self.cfg.inform_interval = interval;
        let now = now();
        self.heap.clear();
        for (i, slot) in self.slots.iter_mut().enumerate() {
            let Some(gw) = slot.as_mut() else {
                continue;
            };
            let mut c = gw.cpe.config().clone();
            c.periodic_interval = interval;
            gw.cpe
                .handle_input(Input::Reconfigure { now, config: c }, &mut gw.dev);
            self.due[i] = next_due(&gw.cpe, now);
            if let Some(t) = self.due[i] {
                self.heap.push(Reverse((t, i as u32)));
            }
        }
        Ok(())
    }

    /// Run sessions as they come due until `stop` says so (checked after every session)
    /// or `deadline` passes; then wait for the sessions in flight to end.
    pub async fn run_until(&mut self, deadline: Instant, mut stop: impl FnMut(&Stats) -> bool) {
        let mut set: tokio::task::JoinSet<(u32, Box<Gateway>, Report)> =
            tokio::task::JoinSet::new();
        let max = self.cfg.max_in_flight;
        let mut cr_rx = self.cr_rx.take();
        loop {
            let now = now();
            if stop(&self.stats) || now >= deadline {
                break;
            }
            while set.len() < max {
                match self.heap.peek() {
                    Some(Reverse((t, _))) if *t <= now => {}
                    _ => break,
                }
                let Some(Reverse((t, i))) = self.heap.pop() else {
                    break;
                };
                let idx = i as usize;
                if self.due[idx] != Some(t) {
                    continue; // a stale entry: the gateway was rescheduled since
                }
                self.due[idx] = None;
                let Some(gw) = self.slots[idx].take() else {
                    continue;
                };
                let shared = Arc::clone(&self.shared);
                set.spawn(async move {
                    let (gw, report) = session(gw, i, &shared).await;
                    (i, gw, report)
                });
            }
            let next = self
                .heap
                .peek()
                .map_or(deadline, |Reverse((t, _))| *t)
                .min(deadline);
            let can_start = set.len() < max;
            tokio::select! {
                Some(r) = set.join_next(), if !set.is_empty() => self.collect(r),
                Some(req) = recv_opt(&mut cr_rx) => self.connection_request(req),
                _ = tokio::time::sleep_until(next.into()), if can_start || set.is_empty() => {}
            }
        }
        while let Some(r) = set.join_next().await {
            self.collect(r);
        }
        self.cr_rx = cr_rx;
    }

    /// Take Connection Requests for every gateway on one socket at `addr` (port 0: any):
    /// gateway `FLEET000007`'s ConnectionRequestURL is `http://ADDR/cr/FLEET000007`. The
    /// requests are checked (HTTP digest against the ConnectionRequestUsername/Password
    /// the ACS set, nonce replay, the engine's rate limit) while
    /// [`run_until`](Self::run_until) runs (between runs they wait, then get 503); one
    /// that passes opens a session with `6 CONNECTION REQUEST` at once. Returns the
    /// address bound. Needs a tokio runtime.
    pub async fn listen_connection_requests(
        &mut self,
        addr: std::net::SocketAddr,
    ) -> Result<std::net::SocketAddr> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Error::Config(format!("connection requests on {addr}: {e}")))?;
        let bound = listener
            .local_addr()
            .map_err(|e| Error::Config(format!("connection requests: {e}")))?;
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if let Some(gw) = slot.as_mut() {
                let live = LiveState {
                    connection_request_url: format!("http://{bound}/cr/{}", self.cfg.serial(i)),
                    ..(*gw.dev.live).clone()
                };
                gw.dev.live = Arc::new(live);
            }
        }
        let (tx, rx) = tokio::sync::mpsc::channel(1024);
        self.cr_rx = Some(rx);
        let routing = Arc::new((
            self.cfg.serial_prefix.clone(),
            self.cfg.first_serial,
            self.slots.len(),
        ));
        if let Some(t) = self.cr_task.take() {
            t.abort();
        }
        self.cr_task = Some(tokio::spawn(crate::connreq::serve(listener, tx, routing)));
        Ok(bound)
    }

    fn connection_request(&mut self, req: CrRequest) {
        let now = now();
        let idx = req.index as usize;
        let Some(gw) = self.slots.get_mut(idx).and_then(|s| s.as_mut()) else {
            // In a session: it will see the ACS soon enough.
            let _ = req.reply.send(Verdict::TooMany);
            return;
        };
        let user = gw.dev.state.connection_request_username.clone();
        let pass = gw
            .dev
            .state
            .connection_request_password
            .expose()
            .to_string();
        let path = gw
            .dev
            .live
            .connection_request_url
            .split_once("/cr/")
            .map(|(_, s)| format!("/cr/{s}"))
            .unwrap_or_default();
        let stale = gw
            .cr
            .as_ref()
            .is_none_or(|c| c.username != user || c.password != pass);
        if stale {
            gw.cr = Some(Box::new(CrAuth {
                auth: ConnReqAuth::new(
                    &user,
                    &pass,
                    &path,
                    seed32(splitmix(self.cfg.seed ^ u64::from(req.index) ^ 0xc0)),
                    RateLimit::default(),
                ),
                username: user,
                password: pass,
            }));
        }
        let Some(cr) = gw.cr.as_mut() else {
            return;
        };
        let verdict = cr
            .auth
            .check(now, &req.method, &req.path, req.authorization.as_deref());
        if verdict == Verdict::Accept {
            gw.cpe
                .handle_input(Input::ConnectionRequest(now), &mut gw.dev);
            self.due[idx] = next_due(&gw.cpe, now);
            if let Some(t) = self.due[idx] {
                self.heap.push(Reverse((t, req.index)));
            }
        }
        let _ = req.reply.send(verdict);
    }

    fn collect(
        &mut self,
        r: std::result::Result<(u32, Box<Gateway>, Report), tokio::task::JoinError>,
    ) {
        let (i, gw, report) = match r {
            Ok(x) => x,
            Err(e) => {
                tracing::error!(error = %e, "a session task failed; its gateway is lost");
                self.stats.lost += 1;
                self.stats.sessions_failed += 1;
                return;
            }
        };
        match report.ok {
            Some(true) => {
                self.stats.sessions_ok += 1;
                self.stats
                    .latencies_us
                    .push(report.latency.as_micros().min(u128::from(u32::MAX)) as u32);
            }
            Some(false) => self.stats.sessions_failed += 1,
            None => {}
        }
        if report.provisioned_now {
            self.stats.provisioned += 1;
        }
        if report.unprovisioned_now {
            self.stats.provisioned = self.stats.provisioned.saturating_sub(1);
        }
        self.stats.downloads += report.downloads;
        self.stats.reboots += report.reboots;
        let idx = i as usize;
        self.due[idx] = next_due(&gw.cpe, now());
        if let Some(t) = self.due[idx] {
            self.heap.push(Reverse((t, i)));
        }
        self.slots[idx] = Some(gw);
    }

    /// Whether gateway `index` holds the ACS password the provisioner gave it (between
    /// runs).
    pub fn is_provisioned(&self, index: usize) -> bool {
        self.slots
            .get(index)
            .and_then(|s| s.as_ref())
            .is_some_and(|g| g.dev.has_acs_password())
    }

    /// DeviceInfo.SoftwareVersion of gateway `index` (between runs): a firmware download
    /// that installed changes it.
    pub fn software_version(&self, index: usize) -> Option<&str> {
        self.slots
            .get(index)
            .and_then(|s| s.as_ref())
            .map(|g| g.dev.identity.software_version.as_str())
    }

    /// The configuration gateway `index` runs (between runs).
    pub fn gateway_config(&self, index: usize) -> Option<&GatewayConfig> {
        self.slots
            .get(index)
            .and_then(|s| s.as_ref())
            .map(|g| &g.dev.config)
    }
}

/// When a gateway must run next: at once when its engine opened a session on an input
/// (its first POST waits in the engine's outputs), else when the engine says.
fn next_due(cpe: &Cpe, now: Instant) -> Option<Instant> {
    if cpe.in_session() {
        Some(now)
    } else {
        cpe.poll_timeout()
    }
}

async fn recv_opt<T>(rx: &mut Option<tokio::sync::mpsc::Receiver<T>>) -> Option<T> {
    match rx {
        Some(r) => r.recv().await,
        None => std::future::pending().await,
    }
}

/// The document a gateway leaves the factory with: the example configuration of its port
/// count, the ACS URL, no PBX.
fn factory_config(cfg: &FleetConfig) -> Result<GatewayConfig> {
    let mut c = GatewayConfig::example(cfg.ports);
    c.device.name = "fleet".into();
    c.sip.servers.clear();
    for p in &mut c.ports {
        p.password = None;
    }
    c.management.cwmp = Some(tipring_config::Cwmp {
        acs_url: cfg.acs_url.clone(),
        username: None,
        password: None,
        // The document allows 30 s..7 days; the engine runs with the fleet's interval,
        // which may be shorter for load tests.
        periodic_inform_interval_s: cfg.inform_interval.as_secs().clamp(30, 604_800) as u32,
    });
    c.validate()
        .map_err(|e| Error::Config(format!("the factory configuration: {e}")))?;
    Ok(c)
}

fn engine_config(cfg: &FleetConfig, seed: u64) -> CpeConfig {
    CpeConfig {
        acs_url: cfg.acs_url.clone(),
        periodic_enable: true,
        periodic_interval: cfg.inform_interval,
        periodic_time: None,
        retry: tipring_cpe::retry::RetryPolicy::default(),
        rng_seed: seed32(seed),
    }
}

fn http_session(gw: &Gateway, index: u32, shared: &Shared) -> HttpSession {
    let (user, pass) = gw.dev.credentials().unwrap_or_default();
    let mut settings = ClientSettings::new(&user, &pass);
    settings.timeout = shared.timeout;
    settings.basic_over_http = shared.basic_over_http;
    let seed = splitmix(shared.seed ^ (u64::from(index) << 20) ^ u64::from(gw.sessions));
    HttpSession::new(shared.url.clone(), settings, seed32(seed))
}

/// Run what is due on one gateway: a session (if one opens), then what the ACS asked
/// for (reboot, factory reset, downloads), and the sessions those bring at once.
async fn session(mut gw: Box<Gateway>, index: u32, shared: &Shared) -> (Box<Gateway>, Report) {
    let had_password = gw.dev.has_acs_password();
    let mut report = Report {
        ok: None,
        latency: Duration::ZERO,
        provisioned_now: false,
        unprovisioned_now: false,
        downloads: 0,
        reboots: 0,
    };
    let t0 = now();
    // A trial image that reported its boot fails its health check now: back to the old
    // version, and boot again (the engine's next Inform says `1 BOOT` on it).
    if gw.rollback_to.is_some() && !gw.cpe.in_session() && gw.cpe.state().events.is_empty() {
        if let Some(old) = gw.rollback_to.take() {
            gw.dev.identity.software_version = old;
            report.reboots += 1;
            reboot(&mut gw, false);
        }
    }
    gw.cpe.handle_input(Input::Timeout(t0), &mut gw.dev);
    let mut actions = Vec::new();
    let mut guard = 0;
    loop {
        exchange(&mut gw, index, shared, &mut report, &mut actions).await;
        // What the ACS asked for, after the session (the engine hands it out then); a
        // transfer's outcome opens the session that reports it, run by the next round.
        let Some(a) = actions.pop() else {
            break;
        };
        guard += 1;
        if guard > 16 {
            break;
        }
        match a {
            Action::Reboot => {
                report.reboots += 1;
                reboot(&mut gw, false);
            }
            Action::FactoryReset => {
                report.reboots += 1;
                reboot(&mut gw, true);
            }
            Action::Download(q) => {
                report.downloads += 1;
                // Two draws from the seed, the gateway and the CommandKey.
                let unit = |salt: u64| {
                    let mut h = splitmix(shared.seed ^ u64::from(index) ^ salt);
                    for b in q.command_key.bytes() {
                        h = splitmix(h ^ u64::from(b));
                    }
                    (h >> 11) as f64 / (1u64 << 53) as f64
                };
                let fail = unit(0) < shared.download_failure_rate;
                let roll_back = unit(0x5eed) < shared.rollback_rate;
                let (result, version) = download(&q, &gw.dev.identity.model_name, fail).await;
                let reboot = version.is_some();
                if let Some(v) = version {
                    // Installed: it runs after the reboot the engine asks for.
                    let old = std::mem::replace(&mut gw.dev.identity.software_version, v);
                    if roll_back {
                        gw.rollback_to = Some(old);
                    }
                }
                gw.cpe.handle_input(
                    Input::TransferDone {
                        now: now(),
                        result,
                        reboot,
                    },
                    &mut gw.dev,
                );
            }
            Action::Upload(q) => {
                let t = unix_now();
                gw.cpe.handle_input(
                    Input::TransferDone {
                        now: now(),
                        result: FinishedTransfer {
                            command_key: q.command_key,
                            fault_code: 9011,
                            fault_string: "the simulated gateway has nothing to upload".into(),
                            start: t,
                            complete: t,
                            download: false,
                        },
                        reboot: false,
                    },
                    &mut gw.dev,
                );
            }
        }
    }
    report.provisioned_now = !had_password && gw.dev.has_acs_password();
    report.unprovisioned_now = had_password && !gw.dev.has_acs_password();
    (gw, report)
}

/// One exchange with the ACS: every POST the engine has (a session it opened), until the
/// session ends; the actions it hands out are collected.
async fn exchange(
    gw: &mut Gateway,
    index: u32,
    shared: &Shared,
    report: &mut Report,
    actions: &mut Vec<Action>,
) {
    let mut http: Option<HttpSession> = None;
    let mut first_post: Option<Instant> = None;
    // 8005 asks for the Inform again in the same HTTP session: a few rounds at most.
    for _round in 0..4 {
        while let Some(out) = gw.cpe.poll_output() {
            match out {
                Output::Post { body, new_session } => {
                    first_post.get_or_insert_with(now);
                    if new_session || http.is_none() {
                        gw.sessions = gw.sessions.wrapping_add(1);
                        let mut h = http_session(gw, index, shared);
                        if let Some(memo) = gw.auth.take() {
                            h.resume_auth(*memo);
                        }
                        http = Some(h);
                    }
                    let Some(h) = http.as_mut() else {
                        continue;
                    };
                    let r = h.post(&body).await;
                    let now = now();
                    match r {
                        Ok(reply) => gw.cpe.handle_input(
                            Input::Reply {
                                now,
                                status: reply.status,
                                body: &reply.body,
                            },
                            &mut gw.dev,
                        ),
                        Err(e) => gw.cpe.handle_input(
                            Input::Failed {
                                now,
                                reason: format!("{e:#}"),
                            },
                            &mut gw.dev,
                        ),
                    }
                }
                Output::SessionEnded { ok } => {
                    report.ok = Some(ok);
                    report.latency = first_post.map_or(Duration::ZERO, |t| t.elapsed());
                    // Closed between sessions; its digest challenge is kept for the next.
                    if let Some(h) = http.take() {
                        gw.auth = h.auth_memo().map(Box::new);
                    }
                }
                Output::Action(a) => actions.push(a),
                // The engine keeps its own state; a reboot carries `cpe.state()` over.
                Output::Persist(_) => {}
            }
        }
        if report.ok.is_some() || gw.cpe.poll_timeout().is_none_or(|t| t > now()) {
            break;
        }
        gw.cpe.handle_input(Input::Timeout(now()), &mut gw.dev);
    }
    drop(http);
}

/// Boot again (at once): the engine starts over with what it persisted; a factory reset
/// also forgets the configuration, the CWMP state and the attributes.
fn reboot(gw: &mut Gateway, factory: bool) {
    let now = now();
    let cfg = gw.cpe.config().clone();
    let state = if factory {
        let mut c = gw.dev.config.clone();
        if let Some(cw) = c.management.cwmp.as_mut() {
            cw.username = None;
            cw.password = None;
        }
        gw.dev.config = c;
        gw.dev.state = CwmpState::default();
        gw.dev.attributes = Attributes::default();
        gw.auth = None;
        PersistedState::default()
    } else {
        gw.cpe.state().clone()
    };
    gw.cpe = Cpe::new(cfg, state, Start::Boot, now, unix_now());
}

/// Fetch a file the ACS named; report the outcome, and for a firmware image the
/// version it installs. A firmware image must be a Tipring image for this `model` whose
/// payload has the manifest's size and SHA-256; its signature is not checked (the
/// simulated gateways hold no release key yet) and nothing is written anywhere. `fail`:
/// report a failure after the fetch all the same (an injected fault).
async fn download(
    q: &tipring_cpe::QueuedTransfer,
    model: &str,
    fail: bool,
) -> (FinishedTransfer, Option<String>) {
    let start = unix_now();
    let firmware = q.file_type.starts_with('1');
    let outcome: std::result::Result<Option<String>, (u32, String)> = async {
        let url: AcsUrl = q
            .url
            .parse()
            .map_err(|e: anyhow::Error| (9013, format!("{e:#}")))?;
        if url.tls {
            return Err((9013, "https downloads are not simulated".to_string()));
        }
        let mut settings = ClientSettings::new(&q.username, &q.password);
        settings.basic_over_http = true;
        let mut s = HttpSession::new(url, settings, seed32(start as u64));
        let r = s
            .get(MAX_DOWNLOAD)
            .await
            .map_err(|e| (9015, format!("{e:#}")))?;
        match r.status {
            200..=299 => {}
            401 | 403 => return Err((9012, format!("HTTP {}", r.status))),
            s => return Err((9016, format!("HTTP {s}"))),
        }
        if q.file_size > 0 && r.body.len() as u64 != u64::from(q.file_size) {
            return Err((
                9017,
                format!("{} bytes, {} announced", r.body.len(), q.file_size),
            ));
        }
        if fail {
            return Err((9010, "injected failure (fleet simulator)".to_string()));
        }
        if !firmware {
            return Ok(None);
        }
        let header = tipring_firmware::Image::parse_header(&r.body)
            .map_err(|e| (9018, format!("not a firmware image: {e}")))?;
        let m = &header.manifest;
        if m.model != model {
            return Err((9018, format!("an image for {}, not {model}", m.model)));
        }
        let payload = &r.body[header.len..];
        if payload.len() as u64 != m.payload_size
            || tipring_firmware::Sha256::of(payload) != m.payload_sha256
        {
            return Err((9018, "the payload does not match its manifest".to_string()));
        }
        Ok(Some(m.version.to_string()))
    }
    .await;
    let (fault_code, fault_string, version) = match outcome {
        Ok(v) => (0, String::new(), v),
        Err((c, s)) => (c, s, None),
    };
    (
        FinishedTransfer {
            command_key: q.command_key.clone(),
            fault_code,
            fault_string,
            start,
            complete: unix_now(),
            download: true,
        },
        version,
    )
}

/// The ACS password a gateway's configuration holds (ManagementServer.Password, set by
/// the ACS when it provisions the gateway).
pub fn acs_password(config: &GatewayConfig) -> Option<&Secret> {
    config.management.cwmp.as_ref()?.password.as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_the_good_sessions() {
        let s = Stats {
            latencies_us: (1..=100).rev().collect(),
            ..Stats::default()
        };
        assert_eq!(s.percentile(0.0), Some(Duration::from_micros(1)));
        assert_eq!(s.percentile(50.0), Some(Duration::from_micros(51)));
        assert_eq!(s.percentile(99.0), Some(Duration::from_micros(99)));
        assert_eq!(s.percentile(100.0), Some(Duration::from_micros(100)));
        assert_eq!(Stats::default().percentile(99.0), None);
    }

    #[test]
    fn password_file_lines() {
        let dir = std::env::temp_dir().join(format!("tipring-fleet-pw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("pw.txt");
        std::fs::write(
            &f,
            "# serial password\nFLEET000001 s3cret-one-12\n\nFLEET000002  two-2222222\n",
        )
        .unwrap();
        let Passwords::BySerial(m) = Passwords::from_file(&f).unwrap() else {
            panic!("by serial");
        };
        assert_eq!(m.len(), 2);
        assert_eq!(m["FLEET000002"], "two-2222222");
        std::fs::write(&f, "FLEET000001\n").unwrap();
        let e = Passwords::from_file(&f).unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn gateways_boot_with_a_session_due_and_their_own_identity() {
        let fleet = Fleet::new(FleetConfig {
            devices: 3,
            passwords: Passwords::Shared("initial-secret".into()),
            ..FleetConfig::default()
        })
        .unwrap();
        assert_eq!(
            fleet.serials(),
            ["FLEET000001", "FLEET000002", "FLEET000003"]
        );
        let g = fleet.slots[1].as_ref().unwrap();
        assert!(g.cpe.poll_timeout().is_some_and(|t| t <= now()));
        assert_eq!(
            g.cpe
                .state()
                .events
                .iter()
                .map(|e| e.code.as_str())
                .collect::<Vec<_>>(),
            ["0 BOOTSTRAP", "1 BOOT"]
        );
        assert_eq!(
            g.dev.credentials(),
            Some(("00D0C9-FXS2-FLEET000002".into(), "initial-secret".into()))
        );
        assert!(!fleet.is_provisioned(1));
        assert!(Fleet::new(FleetConfig {
            acs_url: "https://acs.example/cwmp".into(),
            ..FleetConfig::default()
        })
        .is_err());
    }
}

//! The gateway's SNMP agent: `tipring-snmp`'s engine on a UDP socket of its own thread,
//! serving [`views`] of the gateway's state, and sending the notifications the state's
//! changes call for.
//!
//! * The thread blocks in `recv_from` on one socket (IPv4 or IPv6 — `[::]:161` takes
//!   both) with one reusable buffer: a request costs one `recvfrom`, the engine, one
//!   `sendto`. Nothing of the run loop is on that path; the run loop hands the thread a
//!   new [`Feed`] (status snapshot + configuration) when it has one, once a second.
//! * snmpEngineID and snmpEngineBoots live in `STATE_DIR/snmp-engine.json`: the ID is made
//!   once (RFC 3411 format 5, random octets under our enterprise number) and boots grows by
//!   one at every start, written before the socket opens (RFC 3414 §2.2.2).
//! * Set (with `set_enabled` and a v3 user with `write`): sysContact.0, sysName.0 and
//!   sysLocation.0 are writable. They are `management.snmp.contact`, `device.name` and
//!   `management.snmp.location` of the one configuration document, so a Set is a
//!   configuration change like a reload or an ACS's SetParameterValues: the thread checks
//!   the values (wrongType, wrongLength, wrongValue, inconsistentValue against the whole
//!   document), hands the new document to the run loop ([`ConfigSet`]), which stores it
//!   as a new version and applies it, and answers once that is done (commitFailed when
//!   the store refuses it; nothing changes then). Every other object is read-only.
//! * Notifications: coldStart at the agent's first start, warmStart after an in-process
//!   reboot; linkDown/linkUp when a port's service state changes; TIPRING-MIB's
//!   raise/clear pairs (registration lost/restored, port fault/cleared, call quality
//!   low/restored — rate limited), configuration changed and firmware upgrade result.

// The SNMP thread is shell: it owns its clock (sysUpTime, engine time, inform timers).
#![allow(clippy::disallowed_methods)]

pub mod host;
mod tree;
pub mod views;

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tipring_config::{GatewayConfig, SnmpAuth, SnmpNotifyKind, SnmpPriv};
use tipring_mibs::tipring::notifications as tn;
use tipring_mibs::tipring::{ConfigState, ServiceState};
use tipring_snmp::{
    AuthProtocol, Community, EngineConfig, ErrorStatus, IpNet, Lookup, Mib, NotifyKind, Oid,
    PrivProtocol, Target, TargetSecurity, User, Value, View,
};
use tipring_status::GatewayStatus;

use views::State;

/// What the run loop hands the SNMP thread.
#[derive(Debug, Clone)]
pub struct Feed {
    /// The gateway's status now.
    pub status: Arc<GatewayStatus>,
    /// The running configuration (with its secrets: the thread derives USM keys).
    pub config: Arc<GatewayConfig>,
    /// Its version (0 without a store).
    pub config_version: u64,
    /// The last refused change, if the last change attempt was refused.
    pub config_refused: Option<String>,
}

/// A configuration change made by an SNMP Set, for the run loop to store and apply. The
/// SNMP thread waits for `reply` before it answers the manager.
#[derive(Debug)]
pub struct ConfigSet {
    /// The whole new document (secrets included).
    pub config: GatewayConfig,
    /// What was set, for the log: `sysContact.0, sysLocation.0`.
    pub what: String,
    /// Ok(the new version) once stored and applied, or why not.
    pub reply: std::sync::mpsc::SyncSender<Result<u64, String>>,
}

/// Where the SNMP thread sends its Sets.
pub type SetSender = tokio::sync::mpsc::UnboundedSender<ConfigSet>;

/// How the agent starts.
#[derive(Debug, Clone)]
pub struct SnmpSettings {
    /// The state directory (engine ID and boots); without one the ID derives from the
    /// serial number and boots is 1.
    pub dir: Option<PathBuf>,
    /// What the device is.
    pub info: views::DeviceInfo,
    /// An in-process reboot (warmStart) rather than the agent's first start (coldStart).
    pub warm: bool,
    /// When the agent (sysUpTime 0) started.
    pub start: Instant,
    /// Seeds salts and request ids.
    pub seed: u64,
    /// `management.access.snmp` and its rate (None: every source).
    pub access: Option<Arc<crate::access::Gates>>,
}

/// The running SNMP agent.
#[derive(Debug)]
pub struct SnmpAgent {
    local: SocketAddr,
    feed: mpsc::Sender<Arc<Feed>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The file of the engine's identity.
const ENGINE_FILE: &str = "snmp-engine.json";

#[derive(serde::Serialize, serde::Deserialize)]
struct EngineFile {
    engine_id: String,
    boots: u32,
}

/// The engine ID and this start's boots, persisted (boots + 1) before use.
fn engine_identity(settings: &SnmpSettings) -> anyhow::Result<(Vec<u8>, u32)> {
    let fresh = || {
        let mut id = (tipring_mibs::ENTERPRISE | 0x8000_0000)
            .to_be_bytes()
            .to_vec();
        id.push(5); // RFC 3411 §5: format 5, octets administratively assigned
        let r = crate::sim::os_seed();
        id.extend_from_slice(&r[..12]);
        id
    };
    let Some(dir) = &settings.dir else {
        let text = if settings.info.serial.is_empty() {
            "tipring"
        } else {
            &settings.info.serial
        };
        return Ok((
            EngineConfig::text_engine_id(tipring_mibs::ENTERPRISE, text),
            1,
        ));
    };
    let path = dir.join(ENGINE_FILE);
    let (id, boots) = match std::fs::read(&path) {
        Ok(bytes) => {
            let f: EngineFile = serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is damaged", path.display()))?;
            let id = (0..f.engine_id.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(f.engine_id.get(i..i + 2).unwrap_or("zz"), 16))
                .collect::<Result<Vec<u8>, _>>()
                .with_context(|| format!("{}: engine_id is not hex", path.display()))?;
            // RFC 3414 §2.2.2: at 2^31-1 the engine stops counting.
            (id, f.boots.saturating_add(1).min(0x7fff_ffff))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (fresh(), 1),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let f = EngineFile {
        engine_id: id.iter().map(|b| format!("{b:02x}")).collect(),
        boots,
    };
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!("{ENGINE_FILE}.tmp"));
    {
        use std::io::Write as _;
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&serde_json::to_vec_pretty(&f)?)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    Ok((id, boots))
}

fn auth(a: SnmpAuth) -> Option<AuthProtocol> {
    Some(match a {
        SnmpAuth::None => return None,
        SnmpAuth::Md5 => AuthProtocol::Md5,
        SnmpAuth::Sha1 => AuthProtocol::Sha1,
        SnmpAuth::Sha224 => AuthProtocol::Sha224,
        SnmpAuth::Sha256 => AuthProtocol::Sha256,
        SnmpAuth::Sha384 => AuthProtocol::Sha384,
        SnmpAuth::Sha512 => AuthProtocol::Sha512,
    })
}

fn privacy(p: SnmpPriv) -> Option<PrivProtocol> {
    Some(match p {
        SnmpPriv::None => return None,
        SnmpPriv::Des => PrivProtocol::Des,
        SnmpPriv::Aes128 => PrivProtocol::Aes128,
        SnmpPriv::Aes192 => PrivProtocol::Aes192,
        SnmpPriv::Aes256 => PrivProtocol::Aes256,
    })
}

/// The engine's configuration from the document's `management.snmp`: communities
/// read-only over the whole tree from their source networks; each v3 user reads the whole
/// tree at its own security level (and writes with `write` and `set_enabled`).
pub fn engine_config(
    cfg: &tipring_config::Snmp,
    engine_id: Vec<u8>,
    seed: u64,
) -> anyhow::Result<EngineConfig> {
    let mut e = EngineConfig::new(engine_id);
    e.seed = seed;
    e.allow_des = cfg.allow_des;
    e.set_enabled = cfg.set_enabled;
    e.authentication_traps = cfg.authentication_traps;
    e.add_view(View::everything("all"));
    let sources = cfg
        .community_sources
        .iter()
        .map(|c| {
            tipring_config::cidr(c)
                .map(|(addr, prefix)| IpNet::new(addr, prefix))
                .map_err(|e| anyhow::anyhow!("management.snmp.community_sources: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    for c in &cfg.communities {
        let mut community = Community::read_only(c.expose(), "all");
        community.sources = sources.clone();
        e.communities.push(community);
    }
    for u in &cfg.v3_users {
        let user = match (
            auth(u.auth_protocol),
            u.auth_password.as_ref(),
            privacy(u.priv_protocol),
            u.priv_password.as_ref(),
        ) {
            (Some(a), Some(ap), Some(p), Some(pp)) => {
                User::auth_priv(&u.name, a, ap.expose(), p, pp.expose())
            }
            (Some(a), Some(ap), None, _) => User::auth(&u.name, a, ap.expose()),
            _ => User::no_auth(&u.name),
        };
        let level = user.level();
        e.users.push(user);
        e.allow_user(
            &u.name,
            level,
            "all",
            (u.write && cfg.set_enabled).then_some("all"),
        );
    }
    for t in &cfg.notification_targets {
        let addr: SocketAddr = t
            .address
            .parse()
            .with_context(|| format!("notification target {}", t.address))?;
        let kind = match t.kind {
            SnmpNotifyKind::Trap => NotifyKind::Trap,
            SnmpNotifyKind::Inform => NotifyKind::Inform,
        };
        let security = match (&t.community, &t.user) {
            (Some(c), _) => TargetSecurity::V2c {
                community: c.expose().to_string(),
            },
            (None, Some(name)) => {
                let level = e
                    .users
                    .iter()
                    .find(|u| &u.name == name)
                    .map(User::level)
                    .with_context(|| format!("notification target user {name}"))?;
                TargetSecurity::V3 {
                    user: name.clone(),
                    level,
                }
            }
            (None, None) => anyhow::bail!("notification target {addr}: no community or user"),
        };
        e.targets.push(Target {
            addr,
            kind,
            security,
            timeout: Duration::from_secs(u64::from(t.timeout_s.max(1))),
            retries: t.retries,
        });
    }
    Ok(e)
}

impl SnmpAgent {
    /// Bind `management.snmp.listen` and start serving. Fails (and nothing runs) when the
    /// socket cannot be bound or the settings cannot be turned into an engine.
    /// `sets` is where Sets of writable objects go (None: every object is read-only).
    pub fn start(
        settings: SnmpSettings,
        first: Arc<Feed>,
        sets: Option<SetSender>,
    ) -> anyhow::Result<Self> {
        let snmp = first
            .config
            .management
            .snmp
            .clone()
            .context("no management.snmp section")?;
        let (engine_id, boots) = engine_identity(&settings)?;
        let ecfg = engine_config(&snmp, engine_id, settings.seed)?;
        let now = Instant::now();
        let engine = tipring_snmp::Engine::new(ecfg, boots, now)
            .map_err(|e| anyhow::anyhow!("SNMP engine: {e}"))?;
        let socket = UdpSocket::bind(&snmp.listen)
            .with_context(|| format!("SNMP: cannot bind {}", snmp.listen))?;
        socket.set_read_timeout(Some(TICK))?;
        let local = socket.local_addr()?;
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let worker = Worker::new(engine, socket, rx, Arc::clone(&stop), settings, first, sets);
        let thread = std::thread::Builder::new()
            .name("snmp".into())
            .spawn(move || worker.run())?;
        tracing::info!(%local, boots, "SNMP agent listening");
        Ok(Self {
            local,
            feed: tx,
            stop,
            thread: Some(thread),
        })
    }

    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// A new status snapshot or configuration.
    pub fn update(&self, feed: Arc<Feed>) {
        let _ = self.feed.send(feed);
    }

    /// Stop the thread (pending informs are dropped).
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SnmpAgent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// How often the thread looks at its inbox and timers when no request comes.
const TICK: Duration = Duration::from_millis(100);
/// Host figures are sampled this often.
const HOST_EVERY: Duration = Duration::from_secs(5);
/// Call-quality notifications of a port: at most one per this interval.
const QUALITY_EVERY: Duration = Duration::from_secs(60);

/// How long a Set waits for the run loop to store and apply the change.
const SET_WAIT: Duration = Duration::from_secs(10);

/// The MIB the engine serves: the views over the state.
struct AgentMib {
    tree: tree::Tree<State>,
    state: State,
    /// The running configuration with its secrets (a Set starts from it).
    full: Arc<GatewayConfig>,
    sets: Option<SetSender>,
    stop: Arc<AtomicBool>,
}

/// The writable objects: the configuration field each one is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writable {
    Contact,
    Name,
    Location,
}

impl Writable {
    fn of(oid: &[u32]) -> Option<Self> {
        use tipring_mibs::snmpv2::system as sys;
        Some(match oid {
            o if o == sys::CONTACT => Self::Contact,
            o if o == sys::NAME => Self::Name,
            o if o == sys::LOCATION => Self::Location,
            _ => return None,
        })
    }

    fn label(self) -> &'static str {
        match self {
            Self::Contact => "sysContact.0",
            Self::Name => "sysName.0",
            Self::Location => "sysLocation.0",
        }
    }

    /// The document field, as configuration errors name it.
    fn path(self) -> &'static str {
        match self {
            Self::Contact => "management.snmp.contact",
            Self::Name => "device.name",
            Self::Location => "management.snmp.location",
        }
    }

    /// Allowed length in characters (the document's limits; DisplayString allows 255).
    fn length(self) -> std::ops::RangeInclusive<usize> {
        match self {
            Self::Name => 1..=64,
            Self::Contact | Self::Location => 0..=255,
        }
    }
}

impl AgentMib {
    /// The new document the Set's varbinds make, checked (RFC 3416 §4.2.5 order: type,
    /// length, value, then consistency with everything else).
    fn set_document(
        &self,
        varbinds: &[(Oid, Value)],
    ) -> Result<(GatewayConfig, Vec<Writable>), (usize, ErrorStatus)> {
        let mut new = (*self.full).clone();
        let mut done = Vec::new();
        for (i, (oid, value)) in varbinds.iter().enumerate() {
            let Some(w) = Writable::of(oid.as_slice()) else {
                return Err((
                    i,
                    match self.get(oid.as_slice()) {
                        Lookup::Value(_) => ErrorStatus::NotWritable,
                        _ => ErrorStatus::NoCreation,
                    },
                ));
            };
            let Value::OctetString(bytes) = value else {
                return Err((i, ErrorStatus::WrongType));
            };
            let Ok(text) = std::str::from_utf8(bytes) else {
                return Err((i, ErrorStatus::WrongValue));
            };
            if !w.length().contains(&text.chars().count()) || bytes.len() > 255 {
                return Err((i, ErrorStatus::WrongLength));
            }
            if text.chars().any(char::is_control) {
                return Err((i, ErrorStatus::WrongValue));
            }
            let text = text.to_string();
            match w {
                Writable::Name => new.device.name = text,
                Writable::Contact | Writable::Location => {
                    let Some(snmp) = new.management.snmp.as_mut() else {
                        return Err((i, ErrorStatus::NotWritable));
                    };
                    if w == Writable::Contact {
                        snmp.contact = text;
                    } else {
                        snmp.location = text;
                    }
                }
            }
            done.push(w);
        }
        if let Err(errors) = new.validate() {
            // Name the varbind whose field the document refuses, else the first.
            let at = errors
                .errors()
                .iter()
                .find_map(|e| done.iter().position(|w| w.path() == e.path))
                .unwrap_or(0);
            tracing::info!(%errors, "SNMP Set refused");
            return Err((at, ErrorStatus::InconsistentValue));
        }
        Ok((new, done))
    }
}

impl Mib for AgentMib {
    fn get(&self, oid: &[u32]) -> Lookup {
        self.tree.get(&self.state, oid)
    }

    fn next(&self, oid: &[u32]) -> Option<(Oid, Value)> {
        self.tree.next(&self.state, oid)
    }

    fn set(&mut self, varbinds: &[(Oid, Value)]) -> Result<(), (usize, ErrorStatus)> {
        let Some(sets) = self.sets.clone() else {
            return Err((0, ErrorStatus::NotWritable));
        };
        let (new, done) = self.set_document(varbinds)?;
        if new == *self.full {
            return Ok(());
        }
        let what = done
            .iter()
            .map(|w| w.label())
            .collect::<Vec<_>>()
            .join(", ");
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let set = ConfigSet {
            config: new.clone(),
            what,
            reply: tx,
        };
        if sets.send(set).is_err() {
            return Err((0, ErrorStatus::CommitFailed));
        }
        let deadline = Instant::now() + SET_WAIT;
        loop {
            match rx.recv_timeout(TICK) {
                Ok(Ok(version)) => {
                    self.state.config = Arc::new(new.redacted());
                    self.state.config_version = version;
                    self.full = Arc::new(new);
                    return Ok(());
                }
                Ok(Err(why)) => {
                    tracing::warn!(%why, "SNMP Set not applied");
                    return Err((0, ErrorStatus::CommitFailed));
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout)
                    if Instant::now() < deadline && !self.stop.load(Ordering::Relaxed) => {}
                // No answer: the change may still be applied later (RFC 3416: undoFailed
                // says the agent cannot tell).
                Err(_) => return Err((0, ErrorStatus::UndoFailed)),
            }
        }
    }
}

/// What was last notified of a port.
#[derive(Debug, Clone, Default)]
struct PortWatch {
    service: Option<ServiceState>,
    reg_lost: bool,
    quality_low: bool,
    quality_sent: Option<Instant>,
}

struct Worker {
    engine: tipring_snmp::Engine,
    socket: UdpSocket,
    inbox: mpsc::Receiver<Arc<Feed>>,
    stop: Arc<AtomicBool>,
    mib: AgentMib,
    feed: Arc<Feed>,
    sampler: host::HostSampler,
    ports: Vec<PortWatch>,
    warm: bool,
    seed: u64,
    access: Option<Arc<crate::access::Gates>>,
}

impl Worker {
    fn new(
        engine: tipring_snmp::Engine,
        socket: UdpSocket,
        inbox: mpsc::Receiver<Arc<Feed>>,
        stop: Arc<AtomicBool>,
        settings: SnmpSettings,
        first: Arc<Feed>,
        sets: Option<SetSender>,
    ) -> Self {
        let mut sampler = host::HostSampler::default();
        let now = Instant::now();
        let state = State {
            status: Arc::clone(&first.status),
            config: Arc::new(first.config.redacted()),
            config_version: first.config_version,
            config_state: (ConfigState::Ok, String::new()),
            config_last_change: 0,
            info: settings.info.clone(),
            host: sampler.sample(now),
            start: settings.start,
            now,
            if_last_change: vec![0; first.status.ports.len()],
            uplink_last_change: 0,
        };
        Self {
            engine,
            socket,
            inbox,
            stop: Arc::clone(&stop),
            mib: AgentMib {
                tree: views::tree(),
                state,
                full: Arc::clone(&first.config),
                sets,
                stop,
            },
            feed: first,
            sampler,
            ports: Vec::new(),
            warm: settings.warm,
            seed: settings.seed,
            access: settings.access.clone(),
        }
    }

    fn run(mut self) {
        let mut buf = vec![0u8; 65_536];
        let mut out = Vec::with_capacity(2048);
        let mut next_tick = Instant::now();
        let mut next_host = next_tick + HOST_EVERY;
        self.start_notifications(Instant::now());
        while !self.stop.load(Ordering::Relaxed) {
            match self.socket.recv_from(&mut buf) {
                Ok((_, from))
                    if self
                        .access
                        .as_ref()
                        .is_some_and(|g| !g.allow(crate::access::Service::Snmp, from.ip())) => {}
                Ok((n, from)) => {
                    let now = Instant::now();
                    self.mib.state.now = now;
                    self.engine
                        .handle(now, from, &buf[..n], &mut self.mib, &mut out);
                    if !out.is_empty() {
                        if let Err(e) = self.socket.send_to(&out, from) {
                            tracing::debug!(%from, error = %e, "SNMP answer not sent");
                        }
                    }
                    self.send_due(now);
                    if now < next_tick {
                        continue;
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "SNMP socket");
                    std::thread::sleep(TICK);
                }
            }
            let now = Instant::now();
            next_tick = now + TICK;
            self.mib.state.now = now;
            if now >= next_host {
                self.mib.state.host = self.sampler.sample(now);
                next_host = now + HOST_EVERY;
            }
            let mut latest = None;
            while let Ok(f) = self.inbox.try_recv() {
                latest = Some(f);
            }
            if let Some(f) = latest {
                self.take(now, f);
            }
            self.send_due(now);
        }
    }

    /// Send what the engine has due (inform retransmissions, discovery).
    fn send_due(&mut self, now: Instant) {
        let (due, _) = self.engine.poll(now);
        for o in due {
            let _ = self.socket.send_to(&o.bytes, o.to);
        }
    }

    fn send(&mut self, now: Instant, trap: &[u32], varbinds: Vec<(Oid, Value)>) {
        let n = tipring_snmp::Notification {
            trap_oid: Oid::from_slice(trap),
            varbinds,
        };
        let uptime = self.mib.state.uptime();
        for o in self.engine.notify(now, uptime, &n) {
            if let Err(e) = self.socket.send_to(&o.bytes, o.to) {
                tracing::debug!(to = %o.to, error = %e, "SNMP notification not sent");
            }
        }
        tracing::info!(
            notification = tipring_mibs::describe(trap),
            "SNMP notification"
        );
    }

    /// The objects a TIPRING-MIB notification carries, for row `index` (or `.0`).
    fn objects(&self, trap: &[u32], index: u32) -> Vec<(Oid, Value)> {
        tn::varbinds_of(trap)
            .unwrap_or(&[])
            .iter()
            .filter_map(|object| {
                let scalar = self
                    .mib
                    .tree
                    .get(&self.mib.state, &[object, &[0][..]].concat());
                let (oid, v) = match scalar {
                    Lookup::Value(v) => ([object, &[0][..]].concat(), v),
                    _ => {
                        let oid = [object, &[index][..]].concat();
                        match self.mib.tree.get(&self.mib.state, &oid) {
                            Lookup::Value(v) => (oid, v),
                            _ => return None,
                        }
                    }
                };
                Some((Oid::from_slice(&oid), v))
            })
            .collect()
    }

    fn link_objects(&self, if_index: u32) -> Vec<(Oid, Value)> {
        tipring_mibs::if_mib::LINK_VARBINDS
            .iter()
            .filter_map(|object| {
                let oid = [object, &[if_index][..]].concat();
                match self.mib.tree.get(&self.mib.state, &oid) {
                    Lookup::Value(v) => Some((Oid::from_slice(&oid), v)),
                    _ => None,
                }
            })
            .collect()
    }

    fn start_notifications(&mut self, now: Instant) {
        let trap = if self.warm {
            tipring_mibs::snmpv2::WARM_START
        } else {
            tipring_mibs::snmpv2::COLD_START
        };
        self.send(now, trap, Vec::new());
        if self.mib.state.info.last_upgrade.is_some() {
            let objects = self.objects(tn::FIRMWARE_UPGRADE_RESULT, 0);
            self.send(now, tn::FIRMWARE_UPGRADE_RESULT, objects);
        }
        let feed = Arc::clone(&self.feed);
        self.observe(now, &feed);
    }

    /// A new feed: reconfigure the engine if its settings changed, then notify what the
    /// new state calls for.
    fn take(&mut self, now: Instant, f: Arc<Feed>) {
        let old = std::mem::replace(&mut self.feed, Arc::clone(&f));
        if old.config.management.snmp != f.config.management.snmp {
            if let Some(s) = &f.config.management.snmp {
                let id = self.engine.engine_id().to_vec();
                self.seed = self.seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
                match engine_config(s, id, self.seed).and_then(|c| {
                    self.engine
                        .reconfigure(c)
                        .map_err(|e| anyhow::anyhow!("{e}"))
                }) {
                    Ok(()) => tracing::info!("SNMP settings applied"),
                    Err(e) => tracing::warn!(error = %e, "SNMP settings not applied"),
                }
            }
        }
        let st = &mut self.mib.state;
        st.status = Arc::clone(&f.status);
        if !Arc::ptr_eq(&old.config, &f.config) {
            st.config = Arc::new(f.config.redacted());
            self.mib.full = Arc::clone(&f.config);
        }
        let config_changed =
            old.config_version != f.config_version || old.config_refused != f.config_refused;
        st.config_version = f.config_version;
        if config_changed {
            st.config_state = match &f.config_refused {
                Some(why) => (ConfigState::Refused, why.clone()),
                None => (ConfigState::Ok, String::new()),
            };
            st.config_last_change = st.uptime();
            let objects = self.objects(tn::CONFIG_CHANGED, 0);
            self.send(now, tn::CONFIG_CHANGED, objects);
        }
        self.observe(now, &f);
    }

    /// Compare each port with what was last notified.
    fn observe(&mut self, now: Instant, f: &Feed) {
        let threshold = f
            .config
            .management
            .snmp
            .as_ref()
            .map_or(35, |s| u64::from(s.quality_low_mos_x10));
        let n = f.status.ports.len();
        self.ports.resize(n, PortWatch::default());
        self.mib.state.if_last_change.resize(n, 0);
        for (i, p) in f.status.ports.iter().enumerate() {
            let port = i as u32 + 1;
            let service = views::service_state(p);
            let was = self.ports[i].service.replace(service);
            if was.is_some_and(|w| w != service) {
                self.mib.state.if_last_change[i] = self.mib.state.uptime();
                let link = if service == ServiceState::InService {
                    tipring_mibs::if_mib::LINK_UP
                } else {
                    tipring_mibs::if_mib::LINK_DOWN
                };
                let objects = self.link_objects(port);
                self.send(now, link, objects);
                if service == ServiceState::Fault || was == Some(ServiceState::Fault) {
                    let trap = if service == ServiceState::Fault {
                        tn::PORT_FAULT
                    } else {
                        tn::PORT_FAULT_CLEARED
                    };
                    let objects = self.objects(trap, port);
                    self.send(now, trap, objects);
                }
            }
            let reg = views::reg_state(p);
            use tipring_mibs::tipring::RegState;
            let lost = reg == RegState::Failed;
            if lost && !self.ports[i].reg_lost {
                self.ports[i].reg_lost = true;
                let objects = self.objects(tn::REGISTRATION_LOST, port);
                self.send(now, tn::REGISTRATION_LOST, objects);
            } else if reg == RegState::Registered && self.ports[i].reg_lost {
                self.ports[i].reg_lost = false;
                let objects = self.objects(tn::REGISTRATION_RESTORED, port);
                self.send(now, tn::REGISTRATION_RESTORED, objects);
            }
            let mos = p.call.as_ref().map_or(0, views::mos_x10);
            let w = &self.ports[i];
            let low = threshold > 0 && mos > 0 && mos < threshold;
            let may = w
                .quality_sent
                .is_none_or(|t| now.duration_since(t) >= QUALITY_EVERY);
            if low && !w.quality_low && may {
                self.ports[i].quality_low = true;
                self.ports[i].quality_sent = Some(now);
                let objects = self.objects(tn::CALL_QUALITY_LOW, port);
                self.send(now, tn::CALL_QUALITY_LOW, objects);
            } else if w.quality_low && (p.call.is_none() || mos >= threshold) {
                self.ports[i].quality_low = false;
                let objects = self.objects(tn::CALL_QUALITY_RESTORED, port);
                self.send(now, tn::CALL_QUALITY_RESTORED, objects);
            }
        }
    }
}

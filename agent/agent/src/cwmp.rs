//! The gateway as a TR-069 CPE: `tipring-cpe`'s engine, driven by the agent's run loop,
//! on the TR-181/TR-104 tree of `tipring-datamodel`.
//!
//! * [`AgentDevice`] answers the ACS's RPCs on the tree: GetParameterValues reads the
//!   running configuration, the CWMP state and a live snapshot of the ports; a
//!   SetParameterValues is validated as a whole, stored durably (a new configuration
//!   version in the store) and handed to the run loop to apply to the ports it touches —
//!   the same path as a local `reload`; attributes persist; parameters with passive or
//!   active notification are watched for `4 VALUE CHANGE`.
//! * [`CwmpRunner`] carries the sessions (one HTTP session per CWMP session, posted on a
//!   task so the voice path never waits for the ACS), the Connection Request listener,
//!   file transfers, and the persisted CPE state (`cpe.json`, `cwmp-state.json`,
//!   `attributes.json`, `bootstrap.json` in the state directory, each written atomically).
//! * The ACS it talks to is the one the bootstrap chain puts in force
//!   ([`crate::bootstrap`]): a URL the ACS or the installer set, else DHCP's (the options
//!   file is read again every second), else the factory default; `ManagementServer.URL`
//!   shows that URL, and when it changes the next session goes to the new ACS with
//!   `0 BOOTSTRAP`.
//!
//! The run loop asks [`CwmpRunner::next`] for what happened and gives it to
//! [`CwmpRunner::handle`]; what the loop must do comes back as [`Todo`]s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tipring_config::GatewayConfig;
use tipring_cpe::connreq::{ConnReqAuth, RateLimit};
use tipring_cpe::{
    tree, Action, Cpe, CpeConfig, Device, FinishedTransfer, Input, Output, PersistedState,
    SetFault, Start,
};
use tipring_cwmp::{
    AddObjectResponse, DeviceId, FaultCode, ParameterAttribute, ParameterInfo, ParameterValue,
    SetParameterAttributesStruct, Status,
};
use tipring_datamodel::{Attributes, CwmpState, DeviceIdentity, LiveState, Tree, Value};

use crate::acs_http::{AcsUrl, ClientSettings, HttpSession, Reply};
use crate::bootstrap::{acs_url_in_force, DhcpFile, DhcpInfo, Seen, Sources, UrlOrigin};
use crate::transfer::{Installed, Outcome, TransferSettings};

/// Files of the CPE in the state directory.
const CPE_FILE: &str = "cpe.json";
const STATE_FILE: &str = "cwmp-state.json";
const ATTRIBUTES_FILE: &str = "attributes.json";
/// What the ProvisioningCode's writers said when last looked at ([`crate::bootstrap::Seen`]).
pub const BOOTSTRAP_FILE: &str = "bootstrap.json";

/// What the CPE keeps between boots when there is no state directory (an in-process
/// reboot carries it over).
#[derive(Debug, Clone, Default)]
pub struct Memory {
    cpe: PersistedState,
    state: CwmpState,
    attributes: Attributes,
    seen: Seen,
}

/// Write `bytes` to `dir/name` atomically (tmp, fsync, rename, directory fsync).
fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let tmp = dir.join(format!("{name}.tmp"));
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, dir.join(name))?;
    std::fs::File::open(dir)?.sync_all()
}

fn read_json<T: serde::de::DeserializeOwned + Default>(dir: &Path, name: &str) -> T {
    match std::fs::read(dir.join(name)) {
        Ok(b) => serde_json::from_slice(&b).unwrap_or_else(|e| {
            tracing::warn!(file = name, error = %e, "unreadable CPE state file; starting afresh");
            T::default()
        }),
        Err(_) => T::default(),
    }
}

/// The gateway's parameters for the CPE engine (see the module docs).
#[allow(missing_debug_implementations)] // holds the whole configuration, secrets included
pub struct AgentDevice {
    /// The configuration in force (the document as stored).
    pub config: GatewayConfig,
    /// What the tree shows: the document with `management.cwmp.acs_url` = the URL in
    /// force (see [`refresh_view`](Self::refresh_view)).
    view: GatewayConfig,
    /// What DHCP says now.
    pub dhcp: DhcpInfo,
    /// `--factory-acs-url`.
    pub factory_url: Option<String>,
    /// ManagementServer settings and the ParameterKey.
    pub state: CwmpState,
    /// Notification / AccessList.
    pub attributes: Attributes,
    /// The latest live snapshot.
    pub live: LiveState,
    /// DeviceInfo.
    pub identity: DeviceIdentity,
    /// A configuration the ACS set, stored, for the run loop to apply.
    pub set_config: Option<(GatewayConfig, tipring_config::ConfigChange)>,
    /// The CWMP state or attributes changed: persist them.
    dirty: bool,
    /// The configuration store (lent by the run loop for the duration of an input).
    pub managed: Option<crate::managed::Managed>,
    /// Values seen at the last check, and changes with notification since the last
    /// delivered Inform.
    last_seen: Vec<(String, Value)>,
    changed: BTreeMap<String, Value>,
    active_pending: bool,
}

/// The `management.cwmp` section a document without one runs with (the URL comes from
/// DHCP or `--factory-acs-url`).
fn bare_cwmp() -> tipring_config::Cwmp {
    tipring_config::Cwmp {
        acs_url: String::new(),
        username: None,
        password: None,
        periodic_inform_interval_s: 3600,
    }
}

/// Whether a parameter name is `ManagementServer.URL` (TR-181 `Device.`, or the TR-098
/// `InternetGatewayDevice.` of the same name).
fn is_url_parameter(name: &str) -> bool {
    name.ends_with(".ManagementServer.URL")
}

impl AgentDevice {
    fn tree(&self) -> Tree<'_> {
        Tree::new(&self.view, &self.state, &self.live, &self.identity)
    }

    /// The ACS URL in force and where it came from (the bootstrap chain).
    pub fn in_force(&self) -> Option<(String, UrlOrigin)> {
        acs_url_in_force(
            &self.config,
            self.dhcp.acs_url.as_deref(),
            self.factory_url.as_deref(),
        )
    }

    /// Rebuild what the tree shows after the document, DHCP or the factory URL changed.
    pub fn refresh_view(&mut self) {
        let url = self.in_force().map(|(u, _)| u).unwrap_or_default();
        let mut view = self.config.clone();
        match view.management.cwmp.as_mut() {
            Some(c) => c.acs_url = url,
            None if !url.is_empty() => {
                view.management.cwmp = Some(tipring_config::Cwmp {
                    acs_url: url,
                    ..bare_cwmp()
                })
            }
            None => {}
        }
        self.view = view;
    }

    /// A document the tree wrote, as the document to store: the tree saw the URL in
    /// force, and the document keeps its own unless the ACS wrote `ManagementServer.URL`.
    /// Then the document has the ACS's URL, marked `acs` (TR-069 §3.1: a URL set by
    /// other means than DHCP); an empty one hands the gateway back to DHCP and the
    /// factory default (the document's factory URL, when it still has one, stays).
    fn to_document(&self, mut cfg: GatewayConfig, wrote_url: bool) -> GatewayConfig {
        use tipring_config::AcsUrlSource;
        let doc_url = self
            .config
            .management
            .cwmp
            .as_ref()
            .map(|d| d.acs_url.clone())
            .unwrap_or_default();
        let written = cfg
            .management
            .cwmp
            .as_ref()
            .map(|c| c.acs_url.clone())
            .unwrap_or_default();
        let factory_doc = self.config.management.acs_url_source == AcsUrlSource::Factory;
        if wrote_url && !written.is_empty() {
            cfg.management.acs_url_source = AcsUrlSource::Acs;
        } else if let Some(c) = cfg.management.cwmp.as_mut() {
            if wrote_url {
                cfg.management.acs_url_source = AcsUrlSource::Factory;
            }
            c.acs_url = if wrote_url && !factory_doc {
                String::new()
            } else {
                doc_url
            };
        }
        if self.config.management.cwmp.is_none() && cfg.management.cwmp == Some(bare_cwmp()) {
            cfg.management.cwmp = None;
        }
        cfg
    }

    /// Compare the tree with the last check: record changes of parameters with
    /// notification; true when an active one changed (a session is due).
    pub fn check_values(&mut self) -> bool {
        let Ok(now) = self.tree().get(&[String::new()]) else {
            return false;
        };
        if self.last_seen.is_empty() {
            self.last_seen = now;
            return false;
        }
        let mut active = false;
        for c in self.attributes.changed(&self.last_seen, &now) {
            active |= c.notification == tipring_datamodel::Notification::Active;
            self.changed.insert(c.name, c.value);
        }
        self.last_seen = now;
        let signal = active && !self.active_pending;
        self.active_pending |= active;
        signal
    }
}

impl Device for AgentDevice {
    fn device_id(&self) -> DeviceId {
        DeviceId {
            manufacturer: self.identity.manufacturer.clone(),
            oui: self.identity.manufacturer_oui.clone(),
            product_class: self.identity.product_class.clone(),
            serial_number: self.identity.serial_number.clone(),
        }
    }

    fn inform_parameters(&mut self) -> Vec<ParameterValue> {
        let mut out = tree::inform_parameters(&self.tree());
        for (n, v) in &self.changed {
            if !out.iter().any(|p| &p.name == n) {
                out.push(tree::to_cwmp(n.clone(), v));
            }
        }
        out
    }

    fn has_value_changes(&self) -> bool {
        !self.changed.is_empty()
    }

    fn inform_delivered(&mut self) {
        self.changed.clear();
        self.active_pending = false;
    }

    fn get_values(&mut self, names: &[String]) -> Result<Vec<ParameterValue>, FaultCode> {
        tree::get_values(&self.tree(), names)
    }

    fn get_names(&mut self, path: &str, next: bool) -> Result<Vec<ParameterInfo>, FaultCode> {
        tree::get_names(&self.tree(), path, next)
    }

    fn set_values(&mut self, values: &[ParameterValue], key: &str) -> Result<Status, SetFault> {
        let check = |plan: &str| {
            plan.parse::<tipring_line::dialplan::DialPlan>()
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        let wrote_url = values.iter().any(|p| is_url_parameter(&p.name));
        let applied = tree::set_values(&self.tree().with_dial_plan_check(&check), values)?;
        let internal = |why: String| {
            tracing::warn!(%why, "SetParameterValues could not be applied");
            SetFault {
                code: FaultCode::INTERNAL_ERROR,
                parameters: Vec::new(),
            }
        };
        let doc = self.to_document(applied.config, wrote_url);
        if doc != self.config {
            // The agent must be able to run it, and it must be on disk, before we say yes.
            crate::config::options(&doc).map_err(|e| internal(format!("{e:#}")))?;
            let change = match self.managed.as_mut() {
                Some(m) => m
                    .commit(doc.clone(), false)
                    .map_err(|e| internal(format!("{e:#}")))?,
                None => tipring_config::diff(&self.config, &doc),
            };
            self.set_config = Some((doc.clone(), change));
            self.config = doc;
            self.refresh_view();
        }
        self.state = applied.state;
        self.state.parameter_key = key.to_string();
        self.dirty = true;
        // What the ACS set is not a change to notify it of (TR-069 A.3.2.4): the baseline
        // moves to the values it wrote, now.
        if let Ok(now) = self.tree().get(&[String::new()]) {
            self.last_seen = now;
        }
        Ok(Status::Applied)
    }

    fn get_attributes(&mut self, names: &[String]) -> Result<Vec<ParameterAttribute>, FaultCode> {
        tree::get_attributes(&self.tree(), &self.attributes, names)
    }

    fn set_attributes(
        &mut self,
        attributes: &[SetParameterAttributesStruct],
    ) -> Result<(), FaultCode> {
        self.attributes = tree::set_attributes(&self.tree(), &self.attributes, attributes)?;
        self.dirty = true;
        Ok(())
    }

    fn add_object(&mut self, object: &str, _key: &str) -> Result<AddObjectResponse, FaultCode> {
        tree::add_object(&self.tree(), object)
    }

    fn delete_object(&mut self, object: &str, _key: &str) -> Result<Status, FaultCode> {
        tree::delete_object(&self.tree(), object)
    }
}

/// What the run loop must do after a CWMP event.
#[derive(Debug)]
pub enum Todo {
    /// Print this.
    Say(String),
    /// The ACS changed the configuration (already stored): apply what changed.
    Apply(Box<GatewayConfig>, tipring_config::ConfigChange),
    /// Reboot the device (the loop ends; the agent starts again).
    Reboot,
    /// Factory reset, then reboot.
    FactoryReset,
}

/// Something for [`CwmpRunner::handle`].
#[derive(Debug)]
pub enum Happened {
    /// The ACS answered (or not).
    Reply(anyhow::Result<Reply>),
    /// A Connection Request got through.
    ConnectionRequest,
    /// A transfer finished.
    Transfer(Outcome),
    /// The engine's timer came due.
    Timer,
}

/// Settings for [`CwmpRunner::start`].
#[derive(Debug, Clone)]
pub struct RunnerSettings {
    /// State directory (`None`: nothing persists beyond the process).
    pub dir: Option<PathBuf>,
    /// DeviceInfo.
    pub identity: DeviceIdentity,
    /// Where Connection Requests are taken (`None`: off).
    pub connection_request_listen: Option<std::net::SocketAddr>,
    /// Boot or process restart.
    pub start: Start,
    /// OS randomness.
    pub seed: [u8; 32],
    /// Downloads: slots, keys, TLS.
    pub transfer: Option<TransferSettings>,
    /// TLS for an https ACS.
    pub tls: Option<std::sync::Arc<rustls::ClientConfig>>,
    /// The factory default ACS URL (`--factory-acs-url`); before the document's.
    pub factory_acs_url: Option<String>,
    /// The DHCP options file the OS's DHCP client hook writes (read again when it changes).
    pub dhcp_options: Option<PathBuf>,
    /// `management.access.connection_request` (None: every source).
    pub access: Option<std::sync::Arc<crate::access::Gates>>,
}

/// A transfer to run (a download or an upload with its outcome).
type TransferJob = std::pin::Pin<Box<dyn std::future::Future<Output = Outcome> + Send>>;

/// The CPE in the agent (see the module docs).
pub struct CwmpRunner {
    cpe: Cpe,
    /// The device (its `managed` is lent during inputs).
    pub device: AgentDevice,
    url: Option<AcsUrl>,
    client: ClientSettings,
    /// The HTTP session in use, when no POST is out.
    http: Option<HttpSession>,
    inflight: Option<tokio::task::JoinHandle<(HttpSession, anyhow::Result<Reply>)>>,
    transfer: Option<tokio::task::JoinHandle<Outcome>>,
    /// Transfers the engine started while one ran: one at a time, in order (two firmware
    /// images must not race for the inactive slot).
    waiting: std::collections::VecDeque<TransferJob>,
    cr: Option<crate::connreq::ConnReqListener>,
    settings: RunnerSettings,
    memory: Memory,
    started: Instant,
    firmware: FirmwareLive,
    /// The finished calls (`CallLog`).
    calls: crate::calllog::CallHistory,
    /// The running firmware was confirmed (after the first good session, and once its
    /// lines registered again when it runs on trial with a health check).
    confirmed: bool,
    /// A session succeeded since the start.
    session_ok: bool,
    /// A new image on trial must have its lines registered again by then, or the device
    /// rolls back (`management.firmware_health_check_s`); None: no health check.
    trial_deadline: Option<Instant>,
    /// The health check's length, for the log.
    health_s: u32,
    /// The last session opened by an active notification, and one waiting for the
    /// DefaultActiveNotificationThrottle.
    last_active: Option<Instant>,
    active_deferred: bool,
    /// The DHCP options file.
    dhcp_file: Option<DhcpFile>,
    /// What the ProvisioningCode's writers said when last looked at.
    seen: Seen,
    /// Lines to print (from the start, before the loop asks).
    notes: Vec<String>,
    /// The URL in force last announced (empty: none).
    announced: String,
    /// The last session that ended well, and the last session's end and outcome (unix
    /// seconds), for the admin pages.
    last_ok: Option<i64>,
    last_end: Option<(i64, bool)>,
    /// The latest status snapshot and configuration version (the support bundle's).
    last_status: std::sync::Arc<tipring_status::GatewayStatus>,
    config_version: u64,
}

impl std::fmt::Debug for CwmpRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CwmpRunner")
            .field("cpe", &self.cpe)
            .finish_non_exhaustive()
    }
}

#[allow(clippy::disallowed_methods)] // the binary side's clocks
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[allow(clippy::disallowed_methods)]
fn mono_now() -> Instant {
    Instant::now()
}

impl CwmpRunner {
    /// Start the CPE for `config` at `now`. The document need not have `management.cwmp`
    /// when the factory URL or DHCP names the ACS (the section's defaults then apply: no
    /// HTTP credentials, an Inform an hour).
    pub async fn start(
        config: &GatewayConfig,
        settings: RunnerSettings,
        memory: Memory,
        now: Instant,
    ) -> anyhow::Result<Self> {
        let cwmp = config.management.cwmp.clone().unwrap_or_else(bare_cwmp);
        let mut memory = match &settings.dir {
            Some(d) => Memory {
                cpe: read_json(d, CPE_FILE),
                state: read_json(d, STATE_FILE),
                attributes: std::fs::read(d.join(ATTRIBUTES_FILE))
                    .ok()
                    .and_then(|b| Attributes::from_json(&b).ok())
                    .unwrap_or_default(),
                seen: read_json(d, BOOTSTRAP_FILE),
            },
            None => memory,
        };
        let mut notes = Vec::new();
        let mut dhcp_file = settings.dhcp_options.clone().map(DhcpFile::new);
        let dhcp = match dhcp_file.as_mut().and_then(DhcpFile::poll) {
            Some((info, problems)) => {
                for p in problems {
                    tracing::warn!("{p}");
                    notes.push(p);
                }
                info
            }
            None => DhcpInfo::default(),
        };
        // The ProvisioningCode and retry settings the installer or DHCP changed since
        // the last look go into the CWMP state before the first Inform.
        let mut seen = memory.seen.clone();
        notes.extend(
            Sources {
                doc: config,
                dhcp: &dhcp,
            }
            .apply(&mut seen, &mut memory.state),
        );
        let mut client = ClientSettings::new(
            cwmp.username.as_deref().unwrap_or(""),
            cwmp.password.as_ref().map(|p| p.expose()).unwrap_or(""),
        );
        client.tls = settings.tls.clone();
        let mut device = AgentDevice {
            config: config.clone(),
            view: config.clone(),
            dhcp,
            factory_url: settings.factory_acs_url.clone(),
            state: memory.state.clone(),
            attributes: memory.attributes.clone(),
            live: LiveState::default(),
            identity: settings.identity.clone(),
            set_config: None,
            dirty: seen != memory.seen,
            managed: None,
            last_seen: Vec::new(),
            changed: BTreeMap::new(),
            active_pending: false,
        };
        device.refresh_view();
        // The baseline of notified values is what the device shows as it starts (before
        // its first session and its first live snapshot): a line that registers a second
        // later is a change the ACS hears of, even when its BOOT session read the line
        // before.
        device.check_values();
        let in_force = device.in_force();
        let url: Option<AcsUrl> = in_force.as_ref().and_then(|(u, _)| u.parse().ok());
        let unix = unix_now();
        let cpe = Cpe::new(
            cpe_config(
                config,
                in_force.as_ref().map_or("", |(u, _)| u.as_str()),
                &device.state,
                settings.seed,
            ),
            memory.cpe.clone(),
            settings.start,
            now,
            unix,
        );
        let mut runner = Self {
            cpe,
            device,
            url,
            client,
            http: None,
            inflight: None,
            transfer: None,
            waiting: std::collections::VecDeque::new(),
            cr: None,
            firmware: firmware_live(settings.transfer.as_ref().map(|t| t.slots_dir.as_path())),
            calls: crate::calllog::CallHistory::default(),
            settings,
            memory,
            started: now,
            confirmed: false,
            session_ok: false,
            trial_deadline: None,
            health_s: config.management.firmware_health_check_s,
            last_active: None,
            active_deferred: false,
            dhcp_file,
            seen,
            notes,
            announced: in_force.map(|(u, _)| u).unwrap_or_default(),
            last_ok: None,
            last_end: None,
            last_status: std::sync::Arc::default(),
            config_version: 0,
        };
        if std::mem::take(&mut runner.device.dirty) {
            runner.persist_device();
        }
        let on_trial = runner
            .settings
            .transfer
            .as_ref()
            .and_then(|t| tipring_slots::Slots::open(&t.slots_dir).ok())
            .is_some_and(|s| s.state().on_trial());
        if on_trial && runner.health_s > 0 {
            runner.trial_deadline = Some(now + Duration::from_secs(u64::from(runner.health_s)));
        }
        runner.restart_listener().await;
        Ok(runner)
    }

    /// Keep the new firmware (end its trial).
    fn confirm_firmware(&mut self) {
        self.confirmed = true;
        if let Some(t) = &self.settings.transfer {
            if let Ok(mut slots) = tipring_slots::Slots::open(&t.slots_dir) {
                if let Err(e) = slots.confirm() {
                    tracing::warn!(error = %e, "cannot confirm the firmware");
                }
            }
        }
    }

    /// The health check of a new image on trial, once a second: kept when a TR-069
    /// session succeeded and `registered` (every port that registers is registered); if
    /// the lines are not registered by the deadline, the trial fails and the device
    /// reboots into the previous image.
    pub fn firmware_health(&mut self, registered: bool, now: Instant) -> Vec<Todo> {
        let Some(deadline) = self.trial_deadline else {
            return Vec::new();
        };
        if registered && self.session_ok {
            self.trial_deadline = None;
            self.confirm_firmware();
            return vec![Todo::Say(
                "firmware: the lines registered again; the new image is kept".into(),
            )];
        }
        if now < deadline || registered {
            return Vec::new();
        }
        self.trial_deadline = None;
        match &self.settings.transfer {
            Some(t) => trial_failed(&t.slots_dir, self.health_s),
            None => trial_failed_todo(self.health_s),
        }
    }

    /// The ACS URL in force and where it came from (`None`: nothing names an ACS yet;
    /// the CPE waits for DHCP).
    pub fn acs(&self) -> Option<(String, UrlOrigin)> {
        self.device.in_force()
    }

    /// Lines from the start worth printing (DHCP options refused, ProvisioningCode set).
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// The engine's settings now: the URL in force, the periodic and retry settings.
    fn engine_config(&self) -> CpeConfig {
        let url = self.device.in_force().map(|(u, _)| u).unwrap_or_default();
        cpe_config(
            &self.device.config,
            &url,
            &self.device.state,
            self.settings.seed,
        )
    }

    /// Read the DHCP options file again (the run loop asks every second, and at SIGHUP):
    /// when what DHCP says changed, the URL in force, the ProvisioningCode and the retry
    /// settings follow (TR-069 §3.1), and a new URL means a session with `0 BOOTSTRAP`.
    pub fn poll_dhcp(
        &mut self,
        now: Instant,
        managed: &mut Option<crate::managed::Managed>,
    ) -> Vec<Todo> {
        let Some((info, problems)) = self.dhcp_file.as_mut().and_then(DhcpFile::poll) else {
            return Vec::new();
        };
        let mut todo: Vec<Todo> = problems
            .into_iter()
            .map(|p| {
                tracing::warn!("{p}");
                Todo::Say(p)
            })
            .collect();
        if info != self.device.dhcp {
            if !crate::bootstrap::dhcp_counts(&self.device.config) && info.acs_url.is_some() {
                todo.push(Todo::Say(
                    "TR-069: DHCP names an ACS, but the URL was set by other means: kept".into(),
                ));
            }
            self.device.dhcp = info;
            todo.extend(self.rebootstrap(now, managed));
        }
        todo
    }

    /// The document, DHCP or the factory URL changed: move the ProvisioningCode and retry
    /// settings whose writer changed, and follow the URL in force.
    fn rebootstrap(
        &mut self,
        now: Instant,
        managed: &mut Option<crate::managed::Managed>,
    ) -> Vec<Todo> {
        let seen = self.seen.clone();
        let notes = Sources {
            doc: &self.device.config,
            dhcp: &self.device.dhcp,
        }
        .apply(&mut self.seen, &mut self.device.state);
        let mut todo: Vec<Todo> = notes.into_iter().map(Todo::Say).collect();
        if !todo.is_empty() || self.seen != seen {
            self.device.dirty = true;
        }
        self.device.refresh_view();
        let now_in_force = self.device.in_force();
        self.url = now_in_force.as_ref().and_then(|(u, _)| u.parse().ok());
        let text = now_in_force.as_ref().map_or("", |(u, _)| u.as_str());
        if text != self.announced {
            self.announced = text.to_string();
            todo.push(Todo::Say(match &now_in_force {
                Some((u, origin)) => format!("TR-069: ACS now {u} ({origin})"),
                None => "TR-069: no ACS URL (waiting for DHCP)".into(),
            }));
        }
        let cfg = self.engine_config();
        todo.extend(self.input(Input::Reconfigure { now, config: cfg }, managed));
        if std::mem::take(&mut self.device.dirty) {
            self.persist_device();
        }
        todo
    }

    /// What to carry over an in-process reboot.
    pub fn memory(&self) -> Memory {
        Memory {
            cpe: self.cpe.state().clone(),
            state: self.device.state.clone(),
            attributes: self.device.attributes.clone(),
            seen: self.seen.clone(),
        }
    }

    /// (Re)start the Connection Request listener with the current credentials.
    async fn restart_listener(&mut self) {
        self.cr = None;
        let (Some(addr), user, pw) = (
            self.settings.connection_request_listen,
            self.device.state.connection_request_username.clone(),
            self.device
                .state
                .connection_request_password
                .expose()
                .to_string(),
        ) else {
            return;
        };
        if user.is_empty() || pw.is_empty() {
            // No credentials, no listener: a Connection Request is never unauthenticated.
            self.device.live.connection_request_url.clear();
            self.device.live.udp_connection_request_address.clear();
            return;
        }
        let path = format!("/cr/{}", self.settings.identity.serial_number);
        let auth = ConnReqAuth::new(&user, &pw, &path, self.settings.seed, RateLimit::default());
        match crate::connreq::listen(addr, auth, mono_now, self.settings.access.clone()).await {
            Ok(l) => {
                self.device.live.connection_request_url = format!("http://{}{path}", l.local);
                self.device.live.udp_connection_request_address =
                    l.udp.map(|a| a.to_string()).unwrap_or_default();
                self.cr = Some(l);
            }
            Err(e) => tracing::warn!(error = %e, "no connection request listener"),
        }
    }

    /// The firmware slots for the tree.
    pub fn firmware(&self) -> &FirmwareLive {
        &self.firmware
    }

    /// The live state for the tree from a status snapshot taken now: the firmware slots,
    /// and the call log brought up to date with it.
    pub fn live_state(&mut self, status: &tipring_status::GatewayStatus) -> LiveState {
        self.calls.observe(status, unix_now());
        self.last_status = std::sync::Arc::new(status.clone());
        live_state(status, &self.firmware, &self.calls)
    }

    /// The ACS as the admin pages show it (`inform_interval_s` from the configuration).
    pub fn acs_view(&self, inform_interval_s: u32) -> tipring_admin::AcsView {
        let (url, origin) = self
            .acs()
            .map(|(u, o)| (u, o.to_string()))
            .unwrap_or_default();
        tipring_admin::AcsView {
            url,
            origin,
            last_contact: self
                .last_ok
                .map(tipring_firmware::rfc3339_utc)
                .unwrap_or_default(),
            last_session: match self.last_end {
                None => "none since the start".into(),
                Some((t, ok)) => format!(
                    "{} {}",
                    tipring_firmware::rfc3339_utc(t),
                    if ok { "ok" } else { "failed (retrying)" }
                ),
            },
            connection_request_url: self.connection_request_url().to_string(),
            inform_interval_s,
        }
    }

    /// The running configuration's version (the support bundle's; refreshed every second).
    pub fn set_config_version(&mut self, version: u64) {
        self.config_version = version;
    }

    /// The Connection Request URL (empty when not listening).
    pub fn connection_request_url(&self) -> &str {
        &self.device.live.connection_request_url
    }

    /// Wait for the next thing to handle.
    pub async fn next(&mut self) -> Happened {
        let timer = self.cpe.poll_timeout();
        tokio::select! {
            r = async { self.inflight.as_mut().expect("guarded").await }, if self.inflight.is_some() => {
                self.inflight = None;
                match r {
                    Ok((session, reply)) => {
                        self.http = Some(session);
                        Happened::Reply(reply)
                    }
                    Err(e) => Happened::Reply(Err(anyhow::anyhow!("HTTP task: {e}"))),
                }
            }
            Some(()) = async { self.cr.as_mut().expect("guarded").accepted.recv().await }, if self.cr.is_some() => {
                Happened::ConnectionRequest
            }
            o = async { self.transfer.as_mut().expect("guarded").await }, if self.transfer.is_some() => {
                self.transfer = self.waiting.pop_front().map(tokio::spawn);
                match o {
                    Ok(o) => Happened::Transfer(o),
                    Err(e) => Happened::Transfer(Outcome {
                        result: FinishedTransfer {
                            command_key: String::new(),
                            fault_code: 9002,
                            fault_string: format!("transfer task: {e}"),
                            start: 0,
                            complete: 0,
                            download: true,
                        },
                        installed: None,
                    }),
                }
            }
            () = async {
                match timer {
                    Some(t) => tokio::time::sleep_until(t.into()).await,
                    None => std::future::pending().await,
                }
            } => Happened::Timer,
        }
    }

    /// Run `job` now, or after the transfers before it.
    fn start_transfer(&mut self, job: TransferJob) {
        if self.transfer.is_none() {
            self.transfer = Some(tokio::spawn(job));
        } else {
            self.waiting.push_back(job);
        }
    }

    /// Give the engine an input, lending it the configuration store.
    fn input(
        &mut self,
        input: Input<'_>,
        managed: &mut Option<crate::managed::Managed>,
    ) -> Vec<Todo> {
        self.device.managed = managed.take();
        self.cpe.handle_input(input, &mut self.device);
        *managed = self.device.managed.take();
        self.drain()
    }

    fn drain(&mut self) -> Vec<Todo> {
        let mut todo = Vec::new();
        while let Some(out) = self.cpe.poll_output() {
            match out {
                Output::Post { body, new_session } => {
                    let Some(url) = self.url.clone() else {
                        continue;
                    };
                    let session = match (new_session, self.http.take()) {
                        (false, Some(s)) => s,
                        _ => HttpSession::new(url, self.client.clone(), self.settings.seed),
                    };
                    let mut session = session;
                    self.inflight = Some(tokio::spawn(async move {
                        let r = session.post(&body).await;
                        (session, r)
                    }));
                }
                Output::SessionEnded { ok } => {
                    self.http = None;
                    let t = unix_now();
                    self.last_end = Some((t, ok));
                    if ok {
                        self.last_ok = Some(t);
                    }
                    if ok && !self.confirmed {
                        self.session_ok = true;
                        // The firmware runs and reaches the ACS: keep it (with a health
                        // check, once its lines registered again too).
                        if self.trial_deadline.is_none() {
                            self.confirm_firmware();
                        }
                    }
                    todo.push(Todo::Say(format!(
                        "CWMP: session {}",
                        if ok { "done" } else { "failed (will retry)" }
                    )));
                }
                Output::Persist(state) => {
                    self.memory.cpe = state.clone();
                    if let Some(d) = &self.settings.dir {
                        if let Err(e) = write_atomic(
                            d,
                            CPE_FILE,
                            &serde_json::to_vec_pretty(&state).unwrap_or_default(),
                        ) {
                            tracing::error!(error = %e, "cannot persist the CPE state");
                        }
                    }
                }
                Output::Action(Action::Reboot) => todo.push(Todo::Reboot),
                Output::Action(Action::FactoryReset) => todo.push(Todo::FactoryReset),
                Output::Action(Action::Download(q)) => {
                    todo.push(Todo::Say(format!(
                        "CWMP: downloading {} ({})",
                        q.url, q.file_type
                    )));
                    match self.settings.transfer.clone() {
                        Some(s) => {
                            self.start_transfer(Box::pin(async move {
                                crate::transfer::download(&q, &s, unix_now).await
                            }));
                        }
                        None => {
                            let q2 = q.clone();
                            self.start_transfer(Box::pin(async move {
                                Outcome {
                                    result: FinishedTransfer {
                                        command_key: q2.command_key,
                                        fault_code: 9010,
                                        fault_string: "no state directory: nowhere to install"
                                            .into(),
                                        start: 0,
                                        complete: 0,
                                        download: true,
                                    },
                                    installed: None,
                                }
                            }));
                        }
                    }
                }
                Output::Action(Action::Upload(q)) => {
                    let body = if is_support_bundle(&q.file_type) {
                        let view = tipring_admin::View {
                            status: std::sync::Arc::clone(&self.last_status),
                            config: Some(std::sync::Arc::new(self.device.config.clone())),
                            version: self.config_version,
                            device: std::sync::Arc::default(),
                        };
                        tipring_admin::support_bundle(
                            &self.device.config.device.name,
                            &view,
                            crate::logbuf::recent(),
                        )
                    } else if q.file_type.contains("Log") {
                        crate::logbuf::recent().into_bytes()
                    } else {
                        serde_json::to_vec_pretty(&self.device.config.redacted())
                            .unwrap_or_default()
                    };
                    let s = self.settings.transfer.clone();
                    self.start_transfer(Box::pin(async move {
                        match s {
                            Some(s) => crate::transfer::upload(&q, &s, body, unix_now).await,
                            None => Outcome {
                                result: FinishedTransfer {
                                    command_key: q.command_key,
                                    fault_code: 9011,
                                    fault_string: "uploads are not set up".into(),
                                    start: 0,
                                    complete: 0,
                                    download: false,
                                },
                                installed: None,
                            },
                        }
                    }));
                }
            }
        }
        if let Some((cfg, change)) = self.device.set_config.take() {
            todo.push(Todo::Apply(Box::new(cfg), change));
        }
        if std::mem::take(&mut self.device.dirty) {
            self.persist_device();
        }
        todo
    }

    fn persist_device(&mut self) {
        self.memory.state = self.device.state.clone();
        self.memory.attributes = self.device.attributes.clone();
        self.memory.seen = self.seen.clone();
        if let Some(d) = &self.settings.dir {
            let state = serde_json::to_vec_pretty(&self.device.state).unwrap_or_default();
            let attrs = self.device.attributes.to_json();
            let seen = serde_json::to_vec_pretty(&self.seen).unwrap_or_default();
            for (name, bytes) in [
                (STATE_FILE, state),
                (ATTRIBUTES_FILE, attrs.into_bytes()),
                (BOOTSTRAP_FILE, seen),
            ] {
                if let Err(e) = write_atomic(d, name, &bytes) {
                    tracing::error!(file = name, error = %e, "cannot persist CWMP state");
                }
            }
        }
    }

    /// Handle what [`next`](Self::next) returned.
    pub async fn handle(
        &mut self,
        what: Happened,
        now: Instant,
        managed: &mut Option<crate::managed::Managed>,
    ) -> Vec<Todo> {
        let old_state = self.device.state.clone();
        let mut todo = match what {
            Happened::Timer => self.input(Input::Timeout(now), managed),
            Happened::ConnectionRequest => {
                let mut t = vec![Todo::Say("CWMP: connection request".into())];
                t.extend(self.input(Input::ConnectionRequest(now), managed));
                t
            }
            Happened::Reply(Ok(r)) => self.input(
                Input::Reply {
                    now,
                    status: r.status,
                    body: &r.body,
                },
                managed,
            ),
            Happened::Reply(Err(e)) => self.input(
                Input::Failed {
                    now,
                    reason: format!("{e:#}"),
                },
                managed,
            ),
            Happened::Transfer(o) => {
                self.firmware = firmware_live(
                    self.settings
                        .transfer
                        .as_ref()
                        .map(|t| t.slots_dir.as_path()),
                );
                let mut t = Vec::new();
                let reboot = matches!(o.installed, Some(Installed::Firmware { .. }));
                match o.installed {
                    Some(Installed::Firmware { version }) => t.push(Todo::Say(format!(
                        "CWMP: firmware {version} installed; it boots next"
                    ))),
                    Some(Installed::Config(cfg)) => {
                        let stored = match managed.as_mut() {
                            Some(m) => m.commit((*cfg).clone(), false),
                            None => Ok(tipring_config::diff(&self.device.config, &cfg)),
                        };
                        match stored {
                            Ok(change) => {
                                self.device.config = (*cfg).clone();
                                self.device.refresh_view();
                                t.push(Todo::Apply(cfg, change));
                            }
                            Err(e) => t.push(Todo::Say(format!(
                                "CWMP: configuration file not stored: {e:#}"
                            ))),
                        }
                    }
                    None => t.push(Todo::Say(format!(
                        "CWMP: transfer {} failed ({} {})",
                        o.result.command_key, o.result.fault_code, o.result.fault_string
                    ))),
                }
                t.extend(self.input(
                    Input::TransferDone {
                        now,
                        result: o.result,
                        reboot,
                    },
                    managed,
                ));
                t
            }
        };
        // ManagementServer settings the ACS changed take effect now.
        if self.device.state != old_state {
            let cfg = self.engine_config();
            todo.extend(self.input(Input::Reconfigure { now, config: cfg }, managed));
            if self.device.state.connection_request_username
                != old_state.connection_request_username
                || self.device.state.connection_request_password
                    != old_state.connection_request_password
            {
                self.restart_listener().await;
                match self.connection_request_url() {
                    "" => todo.push(Todo::Say("TR-069: connection requests off".into())),
                    url => todo.push(Todo::Say(format!("TR-069: connection requests at {url}"))),
                }
            }
        }
        todo
    }

    /// The configuration in force changed (locally or by the ACS): ManagementServer.URL
    /// and the periodic settings may have moved.
    pub fn reconfigured(
        &mut self,
        config: &GatewayConfig,
        now: Instant,
        managed: &mut Option<crate::managed::Managed>,
    ) -> Vec<Todo> {
        self.device.config = config.clone();
        let c = config.management.cwmp.clone().unwrap_or_else(bare_cwmp);
        self.client.username = c.username.clone().unwrap_or_default();
        self.client.password = c
            .password
            .as_ref()
            .map(|p| p.expose().to_string())
            .unwrap_or_default();
        self.rebootstrap(now, managed)
    }

    /// Refresh the live snapshot and look for notified value changes (once a second).
    pub fn refresh(
        &mut self,
        live: LiveState,
        now: Instant,
        managed: &mut Option<crate::managed::Managed>,
    ) -> Vec<Todo> {
        self.config_version = managed.as_ref().map_or(0, |m| m.version());
        let url = std::mem::take(&mut self.device.live.connection_request_url);
        let udp = std::mem::take(&mut self.device.live.udp_connection_request_address);
        self.device.live = live;
        self.device.live.connection_request_url = url;
        self.device.live.udp_connection_request_address = udp;
        self.device.live.uptime_s = (now - self.started).as_secs() as u32;
        let active = self.device.check_values() || self.active_deferred;
        if !active {
            return Vec::new();
        }
        // ManagementServer.DefaultActiveNotificationThrottle: at most one such session
        // per interval; a change within it waits for the interval's end.
        let throttle = Duration::from_secs(u64::from(
            self.device.state.default_active_notification_throttle,
        ));
        if self
            .last_active
            .is_some_and(|t| now.saturating_duration_since(t) < throttle)
        {
            self.active_deferred = true;
            return Vec::new();
        }
        self.active_deferred = false;
        self.last_active = Some(now);
        self.input(Input::ActiveValueChange(now), managed)
    }
}

/// A new image on trial whose lines did not register within `health_s` of the upgrade:
/// the trial fails in `slots_dir` and the device reboots into the previous image (the
/// todo), or nothing when the trial could not be recorded as failed.
pub fn trial_failed(slots_dir: &Path, health_s: u32) -> Vec<Todo> {
    match tipring_slots::Slots::open(slots_dir)
        .and_then(|mut s| s.fail_trial(&trial_reason(health_s)))
    {
        Ok(true) => trial_failed_todo(health_s),
        Ok(false) => Vec::new(),
        Err(e) => {
            tracing::error!(error = %e, "cannot fail the firmware trial");
            Vec::new()
        }
    }
}

fn trial_reason(health_s: u32) -> String {
    format!("the lines did not register within {health_s} s of the upgrade")
}

fn trial_failed_todo(health_s: u32) -> Vec<Todo> {
    vec![
        Todo::Say(format!(
            "firmware: {}; rolling back to the previous image",
            trial_reason(health_s)
        )),
        Todo::Reboot,
    ]
}

/// The firmware slots as TR-181 shows them: the rows, the active and the boot image.
#[derive(Debug, Clone, Default)]
pub struct FirmwareLive {
    images: Vec<tipring_datamodel::FirmwareImage>,
    active: Option<u32>,
    boot: Option<u32>,
}

/// Read the slots directory for TR-181 (empty when there is none).
pub fn firmware_live(dir: Option<&Path>) -> FirmwareLive {
    let Some(slots) = dir.and_then(|d| tipring_slots::Slots::open(d).ok()) else {
        return FirmwareLive::default();
    };
    let index = |s: tipring_slots::Slot| match s {
        tipring_slots::Slot::A => 1,
        tipring_slots::Slot::B => 2,
    };
    FirmwareLive {
        images: slots
            .firmware_images()
            .into_iter()
            .map(|r| tipring_datamodel::FirmwareImage {
                name: r.name,
                version: if r.version.is_empty() && r.status == tipring_slots::ImageStatus::Active {
                    // The factory slot: the agent's own version.
                    env!("CARGO_PKG_VERSION").to_string()
                } else {
                    r.version
                },
                available: r.available,
                status: match r.status {
                    tipring_slots::ImageStatus::Active => tipring_datamodel::FirmwareStatus::Active,
                    tipring_slots::ImageStatus::Available => {
                        tipring_datamodel::FirmwareStatus::Available
                    }
                    tipring_slots::ImageStatus::InstallationFailed => {
                        tipring_datamodel::FirmwareStatus::InstallationFailed
                    }
                    tipring_slots::ImageStatus::ValidationFailed => {
                        tipring_datamodel::FirmwareStatus::ValidationFailed
                    }
                    tipring_slots::ImageStatus::Downloading => {
                        tipring_datamodel::FirmwareStatus::Downloading
                    }
                    tipring_slots::ImageStatus::ActivationFailed => {
                        tipring_datamodel::FirmwareStatus::ActivationFailed
                    }
                    _ => tipring_datamodel::FirmwareStatus::NoImage,
                },
                boot_failure_log: r.boot_failure_log,
            })
            .collect(),
        active: Some(index(slots.active().slot)),
        boot: Some(index(slots.boot_slot())),
    }
}

/// `Device.DeviceInfo.VendorLogFile.{i}`: 1 the console log, 2 the support bundle (an
/// Upload of `4 Vendor Log File 2` sends it).
pub fn vendor_log_files() -> Vec<tipring_datamodel::VendorLogFile> {
    vec![
        tipring_datamodel::VendorLogFile {
            name: "console.log".into(),
            maximum_size: 1 << 20,
            persistent: false,
        },
        tipring_datamodel::VendorLogFile {
            name: "support-bundle.json".into(),
            maximum_size: 4 << 20,
            persistent: false,
        },
    ]
}

/// Whether an Upload's FileType asks for the support bundle: `4 Vendor Log File 2`, the
/// second `VendorLogFile` (TR-069 A.4.1.5: the instance number follows the type).
pub fn is_support_bundle(file_type: &str) -> bool {
    file_type.trim() == "4 Vendor Log File 2"
}

/// The live part of the tree from a status snapshot and the firmware slots.
pub fn live_state(
    status: &tipring_status::GatewayStatus,
    fw: &FirmwareLive,
    calls: &crate::calllog::CallHistory,
) -> LiveState {
    use tipring_datamodel::{
        CallStatus, ClientStatus, ExtensionStatus, FxsStatus, LineStatus, PortLive,
    };
    use tipring_status::RegistrationState as R;
    let ports = status
        .ports
        .iter()
        .map(|p| PortLive {
            fxs_status: FxsStatus::Up,
            sip_status: match p.registration.state {
                R::Registered => ClientStatus::Up,
                R::Registering => ClientStatus::Registering,
                R::Failed => ClientStatus::ErrorRegistration,
                R::Idle => ClientStatus::Initializing,
                R::Disabled => ClientStatus::Disabled,
            },
            line_status: LineStatus::Up,
            extension_status: ExtensionStatus::Up,
            call_status: match p.line_state.as_str() {
                "idle" => CallStatus::Idle,
                "dial tone" | "dialling" => CallStatus::Dialing,
                "calling" => CallStatus::Delivered,
                "ringing" | "recall ringing" => CallStatus::Alerting,
                s if s.ends_with(" tone") => CallStatus::Disconnected,
                _ => CallStatus::Connected,
            },
            echo_canceller_in_use: p.call.as_ref().is_some_and(|c| c.erle_db.is_some()),
            message_waiting: false,
            stats: tipring_datamodel::LineStats {
                rtp_packets_sent: p.call.as_ref().map_or(0, |c| c.packets_sent as u32),
                rtp_packets_received: p.call.as_ref().map_or(0, |c| c.packets_received as u32),
                rtp_packets_lost: p.call.as_ref().map_or(0, |c| c.packets_lost as u32),
                // Counters since the agent started (the status does not split answered
                // and failed calls by direction: those stay 0).
                incoming_received: u32::try_from(p.counters.calls_incoming).unwrap_or(u32::MAX),
                outgoing_attempted: u32::try_from(p.counters.calls_outgoing).unwrap_or(u32::MAX),
                ..Default::default()
            },
            fax: fax_stats(&p.counters),
        })
        .collect();
    LiveState {
        uptime_s: status.uptime_s as u32,
        firmware_images: fw.images.clone(),
        active_firmware_image: fw.active,
        boot_firmware_image: fw.boot,
        ports,
        call_log: calls.records(),
        vendor_log_files: vendor_log_files(),
        ..LiveState::default()
    }
}

/// The `POTS.FXS.{i}.X_TIPRING_Fax...` counters from a port's counters since the agent
/// started (unsignedInt: a count past 2^32 - 1 reads as the maximum).
fn fax_stats(c: &tipring_status::PortCounters) -> tipring_datamodel::FaxStats {
    let u = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    tipring_datamodel::FaxStats {
        sent: u(c.fax_sent),
        received: u(c.fax_received),
        failed: u(c.fax_failed),
        pages: u(c.fax_pages),
        passthrough: u(c.fax_passthrough),
        malformed: u(c.fax_malformed),
    }
}

/// The engine's settings from the configuration, the ACS URL in force and the CWMP state.
fn cpe_config(
    config: &GatewayConfig,
    acs_url: &str,
    state: &CwmpState,
    seed: [u8; 32],
) -> CpeConfig {
    let cwmp = config.management.cwmp.as_ref();
    CpeConfig {
        acs_url: acs_url.to_string(),
        periodic_enable: state.periodic_inform_enable,
        periodic_interval: Duration::from_secs(u64::from(
            cwmp.map_or(3600, |c| c.periodic_inform_interval_s).max(1),
        )),
        periodic_time: tipring_cwmp::time::parse_date_time(&state.periodic_inform_time).filter(
            |t| !tipring_cwmp::time::is_unknown_time(&state.periodic_inform_time) && *t > 0,
        ),
        retry: tipring_cpe::retry::RetryPolicy {
            min_wait_s: state.cwmp_retry_minimum_wait_interval.max(1),
            multiplier: state.cwmp_retry_interval_multiplier.max(1000),
        },
        rng_seed: seed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tipring_config::{AcsUrlSource, Cwmp, Secret};

    const FACTORY: &str = "http://factory.example/cwmp";
    const DHCP: &str = "http://dhcp.example:7547/";

    fn device(cwmp: Option<&str>, source: AcsUrlSource, dhcp: Option<&str>) -> AgentDevice {
        let mut config = GatewayConfig::example(1);
        config.ports[0].password = Some(Secret::new("port-s3cret"));
        config.management.cwmp = cwmp.map(|u| Cwmp {
            acs_url: u.into(),
            ..bare_cwmp()
        });
        config.management.acs_url_source = source;
        config.validate().unwrap();
        let mut d = AgentDevice {
            view: config.clone(),
            config,
            dhcp: DhcpInfo {
                acs_url: dhcp.map(str::to_string),
                ..DhcpInfo::default()
            },
            factory_url: None,
            state: CwmpState::default(),
            attributes: Attributes::default(),
            live: LiveState::default(),
            identity: DeviceIdentity::default(),
            set_config: None,
            dirty: false,
            managed: None,
            last_seen: Vec::new(),
            changed: BTreeMap::new(),
            active_pending: false,
        };
        d.refresh_view();
        d
    }

    fn url(d: &mut AgentDevice) -> String {
        d.get_values(&["Device.ManagementServer.URL".into()])
            .unwrap()[0]
            .value
            .clone()
    }

    fn set(d: &mut AgentDevice, name: &str, value: &str) {
        if let Err(f) = d.set_values(&[ParameterValue::string(name, value)], "k") {
            panic!("{name} = {value:?}: {f:?}");
        }
    }

    /// TR-069 Amendment 6 §3.1: ManagementServer.URL shows the URL in force (DHCP's over
    /// the factory default), and a write of another parameter leaves the document's own
    /// URL and its source alone.
    #[test]
    fn the_tree_shows_the_url_in_force() {
        let mut d = device(Some(FACTORY), AcsUrlSource::Factory, Some(DHCP));
        assert_eq!(url(&mut d), DHCP);
        set(
            &mut d,
            "Device.ManagementServer.PeriodicInformInterval",
            "600",
        );
        let c = d.config.management.cwmp.as_ref().unwrap();
        assert_eq!(
            (c.acs_url.as_str(), c.periodic_inform_interval_s),
            (FACTORY, 600)
        );
        assert_eq!(d.config.management.acs_url_source, AcsUrlSource::Factory);
        assert_eq!(url(&mut d), DHCP);
    }

    /// A URL the ACS sets is stored marked `acs` and wins over DHCP; an empty one hands
    /// the device back to DHCP and the factory default.
    #[test]
    fn the_acs_sets_and_clears_the_url() {
        let mut d = device(Some(FACTORY), AcsUrlSource::Factory, Some(DHCP));
        set(
            &mut d,
            "Device.ManagementServer.URL",
            "https://acs.example/x",
        );
        assert_eq!(d.config.management.acs_url_source, AcsUrlSource::Acs);
        assert_eq!(url(&mut d), "https://acs.example/x");
        assert_eq!(d.in_force().unwrap().1, UrlOrigin::Acs);
        assert!(
            d.set_config.take().is_some(),
            "stored and handed to the loop"
        );
        set(&mut d, "Device.ManagementServer.URL", "");
        assert_eq!(d.config.management.acs_url_source, AcsUrlSource::Factory);
        assert_eq!(d.config.management.cwmp.as_ref().unwrap().acs_url, "");
        assert_eq!(d.in_force().unwrap(), (DHCP.to_string(), UrlOrigin::Dhcp));
        // Cleared on a factory document: its factory URL stays.
        let mut d = device(Some(FACTORY), AcsUrlSource::Factory, None);
        set(&mut d, "Device.ManagementServer.URL", "");
        assert_eq!(d.config.management.cwmp.as_ref().unwrap().acs_url, FACTORY);
        assert_eq!(url(&mut d), FACTORY);
    }

    /// A document without `management.cwmp` (the factory flag or DHCP names the ACS): the
    /// tree shows a section, the document does not grow one for an unrelated write.
    #[test]
    fn a_document_without_a_cwmp_section() {
        let mut d = device(None, AcsUrlSource::Factory, Some(DHCP));
        assert_eq!(url(&mut d), DHCP);
        set(&mut d, "Device.DeviceInfo.ProvisioningCode", "C-1");
        assert_eq!(d.state.provisioning_code, "C-1");
        assert!(d.config.management.cwmp.is_none());
        set(&mut d, "Device.ManagementServer.URL", "http://acs.example/");
        let c = d.config.management.cwmp.as_ref().unwrap();
        assert_eq!(c.acs_url, "http://acs.example/");
        assert_eq!(d.config.management.acs_url_source, AcsUrlSource::Acs);
    }

    /// The status snapshot's fax counters reach `POTS.FXS.{i}.X_TIPRING_Fax...`, and the
    /// fax settings written by the ACS become a new document handed to the run loop (or,
    /// refused, leave the document as it was).
    #[test]
    fn fax_counters_and_settings() {
        let mut d = device(Some(FACTORY), AcsUrlSource::Factory, None);
        let status = tipring_status::GatewayStatus {
            ports: vec![tipring_status::PortStatus {
                port: 1,
                counters: tipring_status::PortCounters {
                    fax_sent: 5,
                    fax_received: 4,
                    fax_failed: 3,
                    fax_pages: 21,
                    fax_passthrough: 2,
                    fax_malformed: u64::from(u32::MAX) + 7,
                    ..Default::default()
                },
                ..Default::default()
            }],
            ..Default::default()
        };
        d.live = live_state(
            &status,
            &FirmwareLive::default(),
            &crate::calllog::CallHistory::default(),
        );
        const FXS: &str = "Device.Services.VoiceService.1.POTS.FXS.1.";
        let names: Vec<String> = [
            "Sent",
            "Received",
            "Failed",
            "Pages",
            "PassThrough",
            "Malformed",
        ]
        .iter()
        .map(|n| format!("{FXS}X_TIPRING_Fax{n}"))
        .collect();
        let got: Vec<(String, String)> = d
            .get_values(&names)
            .unwrap()
            .into_iter()
            .map(|p| (p.value, p.kind.local_name().to_string()))
            .collect();
        let want: Vec<(String, String)> = ["5", "4", "3", "21", "2", "4294967295"]
            .iter()
            .map(|v| (v.to_string(), "unsignedInt".to_string()))
            .collect();
        assert_eq!(got, want);

        set(
            &mut d,
            "Device.Services.VoiceService.1.SIP.Client.1.T38Enable",
            "false",
        );
        set(&mut d, &format!("{FXS}FaxPassThrough"), "Force");
        assert!(!d.config.ports[0].fax.t38_enable);
        assert_eq!(
            d.config.ports[0].fax.passthrough,
            tipring_config::FaxPassThrough::Force
        );
        assert!(d.set_config.take().is_some(), "handed to the loop");

        let before = d.config.clone();
        let f = d
            .set_values(
                &[ParameterValue::string(
                    "Device.Services.VoiceService.1.VoIPProfile.1.FaxT38.MaxBitRate",
                    "14000",
                )],
                "k2",
            )
            .unwrap_err();
        assert_eq!(f.parameters.len(), 1);
        assert_eq!(
            f.parameters[0].fault_code,
            FaultCode::INVALID_PARAMETER_VALUE
        );
        assert_eq!(d.config, before);
        assert!(d.set_config.is_none());
    }
}

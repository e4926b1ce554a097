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
//!   `attributes.json` in the state directory, each written atomically).
//!
//! The run loop asks [`CwmpRunner::next`] for what happened and gives it to
//! [`CwmpRunner::handle`]; what the loop must do comes back as [`Todo`]s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tipring_config::GatewayConfig;
use tipring_cpe::connreq::{ConnReqAuth, RateLimit};
use tipring_cpe::{
    Action, Cpe, CpeConfig, Device, FinishedTransfer, Input, Output, PersistedState, SetFault,
    Start,
};
use tipring_cwmp::{
    AddObjectResponse, DeviceId, FaultCode, ParameterAttribute, ParameterInfo, ParameterValue,
    SetParameterAttributesStruct, SetParameterValuesFault, Status,
};
use tipring_datamodel::{
    Attributes, CwmpState, DeviceIdentity, LiveState, SetAttribute, Tree, Value, ValueType,
};

use crate::acs_http::{AcsUrl, ClientSettings, HttpSession, Reply};
use crate::transfer::{Installed, Outcome, TransferSettings};

/// Files of the CPE in the state directory.
const CPE_FILE: &str = "cpe.json";
const STATE_FILE: &str = "cwmp-state.json";
const ATTRIBUTES_FILE: &str = "attributes.json";

/// What the CPE keeps between boots when there is no state directory (an in-process
/// reboot carries it over).
#[derive(Debug, Clone, Default)]
pub struct Memory {
    cpe: PersistedState,
    state: CwmpState,
    attributes: Attributes,
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

/// The datamodel's value as a CWMP ParameterValue.
fn to_cwmp(name: String, v: &Value) -> ParameterValue {
    ParameterValue::new(
        name,
        v.to_string(),
        tipring_cwmp::ValueType::from_xsi(v.value_type().xsd_name()),
    )
}

fn fault(f: &tipring_datamodel::ParamFault) -> FaultCode {
    FaultCode(f.code.code())
}

/// The gateway's parameters for the CPE engine (see the module docs).
#[allow(missing_debug_implementations)] // holds the whole configuration, secrets included
pub struct AgentDevice {
    /// The configuration in force.
    pub config: GatewayConfig,
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

impl AgentDevice {
    fn tree(&self) -> Tree<'_> {
        Tree::new(&self.config, &self.state, &self.live, &self.identity)
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
        let mut out: Vec<ParameterValue> = self
            .tree()
            .forced_inform()
            .into_iter()
            .map(|(n, v)| to_cwmp(n, &v))
            .collect();
        for (n, v) in &self.changed {
            if !out.iter().any(|p| &p.name == n) {
                out.push(to_cwmp(n.clone(), v));
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
        self.tree()
            .get(names)
            .map(|v| v.into_iter().map(|(n, v)| to_cwmp(n, &v)).collect())
            .map_err(|f| fault(&f))
    }

    fn get_names(&mut self, path: &str, next: bool) -> Result<Vec<ParameterInfo>, FaultCode> {
        self.tree()
            .names(path, next)
            .map(|v| {
                v.into_iter()
                    .map(|(name, writable)| ParameterInfo { name, writable })
                    .collect()
            })
            .map_err(|f| fault(&f))
    }

    fn set_values(&mut self, values: &[ParameterValue], key: &str) -> Result<Status, SetFault> {
        let writes: Vec<(String, String, Option<ValueType>)> = values
            .iter()
            .map(|p| {
                let ty = match &p.kind {
                    tipring_cwmp::ValueType::Unknown(_) => None,
                    k => ValueType::from_xsd(k.local_name()),
                };
                (p.name.clone(), p.value.clone(), ty)
            })
            .collect();
        let check = |plan: &str| {
            plan.parse::<tipring_line::dialplan::DialPlan>()
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        let applied = self
            .tree()
            .with_dial_plan_check(&check)
            .set(&writes)
            .map_err(|faults| SetFault {
                code: FaultCode::INVALID_ARGUMENTS,
                parameters: faults
                    .iter()
                    .map(|(name, f)| SetParameterValuesFault {
                        parameter_name: name.clone(),
                        fault_code: fault(f),
                        fault_string: f.message.clone(),
                    })
                    .collect(),
            })?;
        let internal = |why: String| {
            tracing::warn!(%why, "SetParameterValues could not be applied");
            SetFault {
                code: FaultCode::INTERNAL_ERROR,
                parameters: Vec::new(),
            }
        };
        if applied.config_changed {
            // The agent must be able to run it, and it must be on disk, before we say yes.
            crate::config::options(&applied.config).map_err(|e| internal(format!("{e:#}")))?;
            let change = match self.managed.as_mut() {
                Some(m) => m
                    .commit(applied.config.clone(), false)
                    .map_err(|e| internal(format!("{e:#}")))?,
                None => tipring_config::diff(&self.config, &applied.config),
            };
            self.set_config = Some((applied.config.clone(), change));
            self.config = applied.config;
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
        self.tree()
            .get_attributes(&self.attributes, names)
            .map(|v| {
                v.into_iter()
                    .map(|a| ParameterAttribute {
                        name: a.name,
                        notification: tipring_cwmp::Notification::from_u8(a.notification.code())
                            .unwrap_or_default(),
                        access_list: a.access_list,
                    })
                    .collect()
            })
            .map_err(|f| fault(&f))
    }

    fn set_attributes(
        &mut self,
        attributes: &[SetParameterAttributesStruct],
    ) -> Result<(), FaultCode> {
        let changes: Vec<SetAttribute> = attributes
            .iter()
            .map(|a| SetAttribute {
                name: a.name.clone(),
                notification: a
                    .notification_change
                    .then(|| u32::from(a.notification.as_u8())),
                access_list: a.access_list_change.then(|| a.access_list.clone()),
            })
            .collect();
        let new = self
            .tree()
            .set_attributes(&self.attributes, &changes)
            .map_err(|f| fault(&f))?;
        self.attributes = new;
        self.dirty = true;
        Ok(())
    }

    fn add_object(&mut self, object: &str, _key: &str) -> Result<AddObjectResponse, FaultCode> {
        self.tree()
            .add_object(object)
            .map(|instance_number| AddObjectResponse {
                instance_number,
                status: Status::Applied,
            })
            .map_err(|f| fault(&f))
    }

    fn delete_object(&mut self, object: &str, _key: &str) -> Result<Status, FaultCode> {
        self.tree()
            .delete_object(object)
            .map(|()| Status::Applied)
            .map_err(|f| fault(&f))
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
}

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
    cr: Option<crate::connreq::ConnReqListener>,
    settings: RunnerSettings,
    memory: Memory,
    started: Instant,
    firmware: FirmwareLive,
    /// The running firmware was confirmed (after the first good session).
    confirmed: bool,
    /// The last session opened by an active notification, and one waiting for the
    /// DefaultActiveNotificationThrottle.
    last_active: Option<Instant>,
    active_deferred: bool,
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
    /// Start the CPE for `config` (which must have `management.cwmp`), at `now`.
    pub async fn start(
        config: &GatewayConfig,
        settings: RunnerSettings,
        memory: Memory,
        now: Instant,
    ) -> anyhow::Result<Self> {
        let cwmp = config
            .management
            .cwmp
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("management.cwmp is not set"))?;
        let memory = match &settings.dir {
            Some(d) => Memory {
                cpe: read_json(d, CPE_FILE),
                state: read_json(d, STATE_FILE),
                attributes: std::fs::read(d.join(ATTRIBUTES_FILE))
                    .ok()
                    .and_then(|b| Attributes::from_json(&b).ok())
                    .unwrap_or_default(),
            },
            None => memory,
        };
        let url: Option<AcsUrl> = cwmp.acs_url.parse().ok();
        let mut client = ClientSettings::new(
            cwmp.username.as_deref().unwrap_or(""),
            cwmp.password.as_ref().map(|p| p.expose()).unwrap_or(""),
        );
        client.tls = settings.tls.clone();
        let unix = unix_now();
        let cpe = Cpe::new(
            cpe_config(config, &memory.state, settings.seed),
            memory.cpe.clone(),
            settings.start,
            now,
            unix,
        );
        let device = AgentDevice {
            config: config.clone(),
            state: memory.state.clone(),
            attributes: memory.attributes.clone(),
            live: LiveState::default(),
            identity: settings.identity.clone(),
            set_config: None,
            dirty: false,
            managed: None,
            last_seen: Vec::new(),
            changed: BTreeMap::new(),
            active_pending: false,
        };
        let mut runner = Self {
            cpe,
            device,
            url,
            client,
            http: None,
            inflight: None,
            transfer: None,
            cr: None,
            firmware: firmware_live(settings.transfer.as_ref().map(|t| t.slots_dir.as_path())),
            settings,
            memory,
            started: now,
            confirmed: false,
            last_active: None,
            active_deferred: false,
        };
        runner.restart_listener().await;
        Ok(runner)
    }

    /// What to carry over an in-process reboot.
    pub fn memory(&self) -> Memory {
        Memory {
            cpe: self.cpe.state().clone(),
            state: self.device.state.clone(),
            attributes: self.device.attributes.clone(),
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
            return;
        }
        let path = format!("/cr/{}", self.settings.identity.serial_number);
        let auth = ConnReqAuth::new(&user, &pw, &path, self.settings.seed, RateLimit::default());
        match crate::connreq::listen(addr, auth, mono_now).await {
            Ok(l) => {
                self.device.live.connection_request_url = format!("http://{}{path}", l.local);
                self.cr = Some(l);
            }
            Err(e) => tracing::warn!(error = %e, "no connection request listener"),
        }
    }

    /// The firmware slots for the tree.
    pub fn firmware(&self) -> &FirmwareLive {
        &self.firmware
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
                self.transfer = None;
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
                    if ok && !self.confirmed {
                        // The firmware runs and reaches the ACS: keep it.
                        self.confirmed = true;
                        if let Some(t) = &self.settings.transfer {
                            if let Ok(mut slots) = tipring_slots::Slots::open(&t.slots_dir) {
                                if let Err(e) = slots.confirm() {
                                    tracing::warn!(error = %e, "cannot confirm the firmware");
                                }
                            }
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
                            self.transfer = Some(tokio::spawn(async move {
                                crate::transfer::download(&q, &s, unix_now).await
                            }));
                        }
                        None => {
                            let q2 = q.clone();
                            self.transfer = Some(tokio::spawn(async move {
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
                    let body = if q.file_type.contains("Log") {
                        crate::logbuf::recent().into_bytes()
                    } else {
                        serde_json::to_vec_pretty(&self.device.config.redacted())
                            .unwrap_or_default()
                    };
                    let s = self.settings.transfer.clone();
                    self.transfer = Some(tokio::spawn(async move {
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
        if let Some(d) = &self.settings.dir {
            let state = serde_json::to_vec_pretty(&self.device.state).unwrap_or_default();
            let attrs = self.device.attributes.to_json();
            for (name, bytes) in [(STATE_FILE, state), (ATTRIBUTES_FILE, attrs.into_bytes())] {
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
            let cfg = cpe_config(&self.device.config, &self.device.state, self.settings.seed);
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
        if let Some(c) = &config.management.cwmp {
            self.url = c.acs_url.parse().ok();
            self.client.username = c.username.clone().unwrap_or_default();
            self.client.password = c
                .password
                .as_ref()
                .map(|p| p.expose().to_string())
                .unwrap_or_default();
        }
        let cfg = cpe_config(config, &self.device.state, self.settings.seed);
        self.input(Input::Reconfigure { now, config: cfg }, managed)
    }

    /// Refresh the live snapshot and look for notified value changes (once a second).
    pub fn refresh(
        &mut self,
        live: LiveState,
        now: Instant,
        managed: &mut Option<crate::managed::Managed>,
    ) -> Vec<Todo> {
        let url = std::mem::take(&mut self.device.live.connection_request_url);
        self.device.live = live;
        self.device.live.connection_request_url = url;
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

/// The live part of the tree from a status snapshot and the firmware slots.
pub fn live_state(status: &tipring_status::GatewayStatus, fw: &FirmwareLive) -> LiveState {
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
                ..Default::default()
            },
        })
        .collect();
    LiveState {
        uptime_s: status.uptime_s as u32,
        firmware_images: fw.images.clone(),
        active_firmware_image: fw.active,
        boot_firmware_image: fw.boot,
        ports,
        ..LiveState::default()
    }
}

/// The engine's settings from the configuration and the CWMP state.
fn cpe_config(config: &GatewayConfig, state: &CwmpState, seed: [u8; 32]) -> CpeConfig {
    let cwmp = config.management.cwmp.as_ref();
    CpeConfig {
        acs_url: cwmp.map(|c| c.acs_url.clone()).unwrap_or_default(),
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

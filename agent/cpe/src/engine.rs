//! The CPE session engine (TR-069 Amendment 6 §3.7): when to open a session, what to say
//! in it, and what the ACS's RPCs do.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use tipring_cwmp::{
    event_code, parse, AllQueuedTransfer, Body, CwmpVersion, Envelope, EventStruct, Fault,
    FaultCode, Header, Inform, QueuedTransfer as CwmpQueued, Status, TransferComplete,
    TransferFault, TransferResponse, TransferState,
};

use crate::device::Device;
use crate::retry::RetryPolicy;
use crate::state::{
    FinishedTransfer, PendingEvent, PersistedState, QueuedTransfer, ScheduledInform,
};

/// The RPCs the CPE answers (GetRPCMethods).
pub const CPE_METHODS: &[&str] = &[
    "GetRPCMethods",
    "SetParameterValues",
    "GetParameterValues",
    "GetParameterNames",
    "SetParameterAttributes",
    "GetParameterAttributes",
    "AddObject",
    "DeleteObject",
    "Reboot",
    "Download",
    "Upload",
    "FactoryReset",
    "ScheduleInform",
    "GetQueuedTransfers",
    "GetAllQueuedTransfers",
    "CancelTransfer",
];

/// Most queued transfers accepted (A.3.2.8: 9004 beyond).
pub const MAX_QUEUED_TRANSFERS: usize = 8;
/// Most pending ScheduleInform requests kept.
pub const MAX_SCHEDULED: usize = 16;
/// Most RPCs in one session before the CPE gives up on it (a runaway ACS).
pub const MAX_RPCS_PER_SESSION: u32 = 10_000;
/// Most CPE-side fault replies to 8005 "retry request" before the session is abandoned.
const MAX_INFORM_RETRY_FAULTS: u32 = 3;

/// The engine's settings (ManagementServer's parameters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpeConfig {
    /// ManagementServer.URL (empty: no ACS, no sessions).
    pub acs_url: String,
    /// PeriodicInformEnable.
    pub periodic_enable: bool,
    /// PeriodicInformInterval (at least 1 s).
    pub periodic_interval: Duration,
    /// PeriodicInformTime (Unix seconds): periodic informs fall on this time plus whole
    /// intervals; `None`: counted from the end of the last session (the CPE's choice).
    pub periodic_time: Option<i64>,
    /// CWMPRetryMinimumWaitInterval / CWMPRetryIntervalMultiplier.
    pub retry: RetryPolicy,
    /// Seed for cwmp:IDs and retry jitter (from the OS in a deployment).
    pub rng_seed: [u8; 32],
}

impl Default for CpeConfig {
    fn default() -> Self {
        Self {
            acs_url: String::new(),
            periodic_enable: true,
            periodic_interval: Duration::from_secs(3600),
            periodic_time: None,
            retry: RetryPolicy::default(),
            rng_seed: [0x5a; 32],
        }
    }
}

/// Inputs to [`Cpe::handle_input`].
#[derive(Debug)]
pub enum Input<'a> {
    /// Time passed ([`Cpe::poll_timeout`] came due).
    Timeout(Instant),
    /// The ACS answered the last [`Output::Post`]: HTTP status and body.
    Reply {
        /// Now.
        now: Instant,
        /// HTTP status.
        status: u16,
        /// The body (an envelope, or empty).
        body: &'a [u8],
    },
    /// The last [`Output::Post`] got no answer (connection refused, TLS, timeout...).
    Failed {
        /// Now.
        now: Instant,
        /// Why, for the log.
        reason: String,
    },
    /// An authenticated Connection Request arrived (TR-069 §3.2.2, or Annex G over UDP).
    ConnectionRequest(Instant),
    /// A parameter with active notification changed: 4 VALUE CHANGE, a session now.
    ActiveValueChange(Instant),
    /// A transfer handed out with [`Action::Download`] / [`Action::Upload`] finished.
    TransferDone {
        /// Now.
        now: Instant,
        /// The outcome.
        result: FinishedTransfer,
        /// The device must reboot to use it (a firmware image now in the boot slot): the
        /// engine records the events, asks for the reboot, and reports after the boot
        /// (`1 BOOT`, `7 TRANSFER COMPLETE`, `M Download` in one Inform).
        reboot: bool,
    },
    /// ManagementServer settings changed (by the ACS or the local configuration).
    Reconfigure {
        /// Now.
        now: Instant,
        /// The new settings.
        config: CpeConfig,
    },
}

impl Input<'_> {
    fn now(&self) -> Instant {
        match self {
            Input::Timeout(now) | Input::ConnectionRequest(now) | Input::ActiveValueChange(now) => {
                *now
            }
            Input::Reply { now, .. }
            | Input::Failed { now, .. }
            | Input::TransferDone { now, .. }
            | Input::Reconfigure { now, .. } => *now,
        }
    }
}

/// What the engine asks the shell to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// POST this to the ACS (empty: the empty POST). `new_session`: the first POST of a
    /// session, which opens a new HTTP session (fresh cookies and authentication).
    Post {
        /// The envelope (or empty).
        body: Vec<u8>,
        /// First POST of a session.
        new_session: bool,
    },
    /// The session is over; `ok` tells a normal end (204) from a failure.
    SessionEnded {
        /// A normal end.
        ok: bool,
    },
    /// Something for the device to do.
    Action(Action),
    /// Write this state durably (it changed).
    Persist(PersistedState),
}

/// Device actions the ACS asked for, handed out once the session has ended (the CPE
/// completes the session before rebooting or transferring).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Reboot (`M Reboot` is already recorded for the Inform after the boot).
    Reboot,
    /// Factory reset, then reboot (the device comes back with `0 BOOTSTRAP`).
    FactoryReset,
    /// Start this download; report with [`Input::TransferDone`].
    Download(QueuedTransfer),
    /// Start this upload; report with [`Input::TransferDone`].
    Upload(QueuedTransfer),
}

/// Where a session is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// No session.
    Idle,
    /// The Inform is out with these events.
    Informing {
        events: Vec<PendingEvent>,
        id: String,
    },
    /// The CPE's own request is out: a TransferComplete for this CommandKey.
    Requesting { command_key: String, id: String },
    /// The empty POST or an RPC response is out; the ACS speaks next.
    Serving,
}

/// Why the engine starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// The device booted: `1 BOOT` (and `0 BOOTSTRAP` when the ACS URL is new).
    Boot,
    /// The management process restarted without a device boot: no `1 BOOT`.
    Restart,
}

/// The sans-IO CPE (see the crate docs).
pub struct Cpe {
    cfg: CpeConfig,
    state: PersistedState,
    phase: Phase,
    /// Consecutive failed sessions (the Inform's RetryCount).
    retries: u32,
    /// After a failure: no session before this.
    retry_at: Option<Instant>,
    /// The next periodic inform.
    periodic_at: Option<Instant>,
    /// A session is wanted.
    wanted: bool,
    /// The ACS said HoldRequests in its last message.
    hold: bool,
    /// Actions to hand out when the session ends.
    deferred: Vec<Action>,
    /// Reboot or factory reset on its way: no more sessions.
    going_down: bool,
    rpcs: u32,
    inform_faults: u32,
    /// The ACS asked for the Inform again (8005): it goes in the same HTTP session.
    inform_again: bool,
    rng: u64,
    /// Pairs the monotonic clock with the calendar: `(instant, Unix seconds)`.
    wall: (Instant, i64),
    outputs: VecDeque<Output>,
    /// The namespace the ACS used last (replies use it).
    version: CwmpVersion,
}

impl std::fmt::Debug for Cpe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cpe")
            .field("phase", &self.phase)
            .field("retries", &self.retries)
            .field("events", &self.state.events)
            .finish_non_exhaustive()
    }
}

impl Cpe {
    /// An engine at `now`, which is `unix` on the calendar, with the state the shell kept.
    /// A session is due at once (the boot's Inform): call
    /// [`handle_input`](Self::handle_input) with [`Input::Timeout`] at
    /// [`poll_timeout`](Self::poll_timeout).
    pub fn new(
        cfg: CpeConfig,
        mut state: PersistedState,
        start: Start,
        now: Instant,
        unix: i64,
    ) -> Self {
        // Table 8: a reboot makes these moot, and 6 CONNECTION REQUEST is never kept.
        state.events.retain(|e| {
            let moot = matches!(
                e.code.as_str(),
                event_code::PERIODIC
                    | event_code::SCHEDULED
                    | event_code::VALUE_CHANGE
                    | event_code::CONNECTION_REQUEST
                    | event_code::DIAGNOSTICS_COMPLETE
            );
            let rebooted_boot = start == Start::Boot && e.code == event_code::BOOT;
            !(moot || rebooted_boot)
        });
        for q in &mut state.queued {
            // A transfer cut by the restart runs again from the beginning.
            q.started = false;
        }
        let rng = u64::from_le_bytes(cfg.rng_seed[..8].try_into().expect("8 bytes")) | 1;
        let mut cpe = Self {
            cfg,
            state,
            phase: Phase::Idle,
            retries: 0,
            retry_at: None,
            periodic_at: None,
            wanted: false,
            hold: false,
            deferred: Vec::new(),
            going_down: false,
            rpcs: 0,
            inform_faults: 0,
            inform_again: false,
            rng,
            wall: (now, unix),
            outputs: VecDeque::new(),
            version: CwmpVersion::default(),
        };
        if !cpe.cfg.acs_url.is_empty()
            && cpe.state.bootstrapped_url.as_deref() != Some(cpe.cfg.acs_url.as_str())
        {
            cpe.add_event(event_code::BOOTSTRAP, "");
        }
        if start == Start::Boot {
            cpe.add_event(event_code::BOOT, "");
        }
        cpe.wanted = !cpe.state.events.is_empty() || !cpe.state.finished.is_empty();
        cpe.persist();
        cpe.schedule_periodic(now);
        cpe
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`Input::Timeout`] is next due (in the past: at once).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let start = (self.wanted && self.can_start()).then_some(self.wall.0);
        let transfers = self
            .state
            .queued
            .iter()
            .filter(|q| !q.started)
            .map(|q| self.instant_of(q.due));
        let scheduled = self.state.scheduled.iter().map(|s| self.instant_of(s.due));
        [start, self.retry_at, self.periodic_at]
            .into_iter()
            .flatten()
            .chain(transfers)
            .chain(scheduled)
            .min()
    }

    /// Whether a session is in progress.
    pub fn in_session(&self) -> bool {
        self.phase != Phase::Idle
    }

    /// The persisted state (also handed out with [`Output::Persist`]).
    pub fn state(&self) -> &PersistedState {
        &self.state
    }

    /// Consecutive failed sessions.
    pub fn retry_count(&self) -> u32 {
        self.retries
    }

    /// The settings in force.
    pub fn config(&self) -> &CpeConfig {
        &self.cfg
    }

    /// Feed one input; `device` supplies the Inform's parameters and answers the RPCs.
    pub fn handle_input(&mut self, input: Input<'_>, device: &mut dyn Device) {
        let now = input.now();
        match input {
            Input::Timeout(now) => self.on_timeout(now),
            Input::Reply { now, status, body } => self.on_reply(now, status, body, device),
            Input::Failed { now, reason } => {
                tracing::warn!(%reason, "CWMP session failed");
                self.fail(now);
            }
            Input::ConnectionRequest(_) => {
                self.add_event(event_code::CONNECTION_REQUEST, "");
                self.want();
            }
            Input::ActiveValueChange(_) => {
                self.add_event(event_code::VALUE_CHANGE, "");
                self.want();
            }
            Input::TransferDone { result, reboot, .. } => {
                self.state
                    .queued
                    .retain(|q| q.command_key != result.command_key);
                let m = if result.download {
                    event_code::M_DOWNLOAD
                } else {
                    event_code::M_UPLOAD
                };
                self.add_event(event_code::TRANSFER_COMPLETE, "");
                self.add_event(m, &result.command_key);
                self.state.finished.push(result);
                self.persist();
                if reboot {
                    self.going_down = true;
                    self.outputs.push_back(Output::Action(Action::Reboot));
                } else {
                    self.want();
                }
            }
            Input::Reconfigure { now, config } => {
                let url_changed = config.acs_url != self.cfg.acs_url;
                self.cfg = config;
                if url_changed && !self.cfg.acs_url.is_empty() {
                    // A new ACS: bootstrap with it (§3.2.1.1 / Table 8: 0 BOOTSTRAP).
                    self.add_event(event_code::BOOTSTRAP, "");
                    self.persist();
                    self.retries = 0;
                    self.retry_at = None;
                    self.want();
                }
                self.schedule_periodic(now);
            }
        }
        if self.wanted && self.can_start() {
            self.start_session(now, device);
        }
    }

    // ----- timing -------------------------------------------------------------------------

    fn unix(&self, now: Instant) -> i64 {
        let (at, unix) = self.wall;
        if now >= at {
            unix + (now - at).as_secs() as i64
        } else {
            unix - (at - now).as_secs() as i64
        }
    }

    fn instant_of(&self, unix: i64) -> Instant {
        let (at, base) = self.wall;
        if unix >= base {
            at + Duration::from_secs((unix - base) as u64)
        } else {
            at.checked_sub(Duration::from_secs((base - unix) as u64))
                .unwrap_or(at)
        }
    }

    fn fraction(&mut self) -> f64 {
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn new_id(&mut self) -> String {
        let a = self.fraction();
        format!("{:08x}", (a * f64::from(u32::MAX)) as u32)
    }

    /// The next periodic inform from `now` (TR-069 §3.2.1: PeriodicInformTime sets the
    /// phase; without one, an interval after now).
    fn schedule_periodic(&mut self, now: Instant) {
        self.periodic_at = None;
        if !self.cfg.periodic_enable || self.cfg.acs_url.is_empty() {
            return;
        }
        let interval = self.cfg.periodic_interval.as_secs().max(1) as i64;
        let due = match self.cfg.periodic_time {
            Some(reference) => {
                let t = self.unix(now);
                let k = (t - reference).div_euclid(interval) + 1;
                reference + k * interval
            }
            None => self.unix(now) + interval,
        };
        self.periodic_at = Some(self.instant_of(due));
    }

    fn on_timeout(&mut self, now: Instant) {
        if self.retry_at.is_some_and(|t| t <= now) {
            self.retry_at = None;
            self.wanted = true;
        }
        if self.periodic_at.is_some_and(|t| t <= now) {
            self.add_event(event_code::PERIODIC, "");
            self.wanted = true;
            self.schedule_periodic(now);
        }
        let t = self.unix(now);
        let due: Vec<ScheduledInform> = self
            .state
            .scheduled
            .iter()
            .filter(|s| s.due <= t)
            .cloned()
            .collect();
        if !due.is_empty() {
            self.state.scheduled.retain(|s| s.due > t);
            self.add_event(event_code::SCHEDULED, "");
            for s in due {
                self.add_event(event_code::M_SCHEDULE_INFORM, &s.command_key);
            }
            self.persist();
            self.wanted = true;
        }
        // Transfers whose delay ran out start once no session runs (they need the link).
        if self.phase == Phase::Idle && !self.going_down {
            let mut started = false;
            for q in self
                .state
                .queued
                .iter_mut()
                .filter(|q| !q.started && q.due <= t)
            {
                q.started = true;
                started = true;
                let action = if q.download {
                    Action::Download(q.clone())
                } else {
                    Action::Upload(q.clone())
                };
                self.outputs.push_back(Output::Action(action));
            }
            if started {
                self.persist();
            }
        }
    }

    // ----- sessions -----------------------------------------------------------------------

    fn want(&mut self) {
        self.wanted = true;
        // A new event that needs a session cuts a retry wait short (§3.2.1.1).
        self.retry_at = None;
    }

    fn can_start(&self) -> bool {
        self.phase == Phase::Idle
            && !self.going_down
            && self.retry_at.is_none()
            && !self.cfg.acs_url.is_empty()
    }

    fn add_event(&mut self, code: &str, command_key: &str) {
        // Single events appear once (Table 7); M events once per CommandKey.
        let dup =
            self.state.events.iter().any(|e| {
                e.code == code && (!code.starts_with("M ") || e.command_key == command_key)
            });
        if !dup {
            self.state.events.push(PendingEvent {
                code: code.to_string(),
                command_key: command_key.to_string(),
            });
        }
    }

    fn persist(&mut self) {
        self.outputs.push_back(Output::Persist(self.state.clone()));
    }

    fn post(&mut self, env: &Envelope, new_session: bool) {
        self.outputs.push_back(Output::Post {
            body: env.to_xml(),
            new_session,
        });
    }

    fn post_empty(&mut self) {
        self.phase = Phase::Serving;
        self.outputs.push_back(Output::Post {
            body: Vec::new(),
            new_session: false,
        });
    }

    fn start_session(&mut self, now: Instant, device: &mut dyn Device) {
        self.wanted = false;
        self.hold = false;
        self.rpcs = 0;
        if device.has_value_changes() {
            self.add_event(event_code::VALUE_CHANGE, "");
        }
        let events = self.state.events.clone();
        let inform = Inform {
            device_id: device.device_id(),
            events: events
                .iter()
                .map(|e| EventStruct {
                    event_code: e.code.clone(),
                    command_key: e.command_key.clone(),
                })
                .collect(),
            max_envelopes: 1,
            current_time: tipring_cwmp::time::format_date_time(self.unix(now)),
            retry_count: self.retries,
            parameters: device.inform_parameters(),
        };
        let id = self.new_id();
        let mut env = Envelope::new(id.clone(), Body::Inform(inform));
        env.version = CwmpVersion::default();
        // CWMP 1.4 §3.5: the Inform carries the versions the CPE supports.
        env.header.supported_versions = Some("1.0,1.1,1.2,1.3,1.4".into());
        self.phase = Phase::Informing { events, id };
        tracing::info!(retry = self.retries, "CWMP session: Inform");
        let new_session = !std::mem::take(&mut self.inform_again);
        self.post(&env, new_session);
    }

    /// The session failed: keep the undelivered events and wait (§3.2.1.1).
    fn fail(&mut self, now: Instant) {
        let was = std::mem::replace(&mut self.phase, Phase::Idle);
        if was == Phase::Idle {
            return;
        }
        // A failed session never retries 6 CONNECTION REQUEST (Table 8).
        self.state
            .events
            .retain(|e| e.code != event_code::CONNECTION_REQUEST);
        self.persist();
        self.retries = self.retries.saturating_add(1);
        let f = self.fraction();
        let wait = self.cfg.retry.wait(self.retries, f);
        tracing::info!(retry = self.retries, ?wait, "CWMP session will be retried");
        self.retry_at = Some(now + wait);
        self.deferred.clear();
        self.outputs.push_back(Output::SessionEnded { ok: false });
    }

    /// The ACS ended the session (204 / empty 200 after our empty POST).
    fn end(&mut self, now: Instant) {
        self.phase = Phase::Idle;
        self.retries = 0;
        self.inform_faults = 0;
        self.outputs.push_back(Output::SessionEnded { ok: true });
        if self.cfg.periodic_time.is_none() {
            self.schedule_periodic(now);
        }
        for a in std::mem::take(&mut self.deferred) {
            if matches!(a, Action::Reboot | Action::FactoryReset) {
                self.going_down = true;
            }
            self.outputs.push_back(Output::Action(a));
        }
        // Events that came up during the session get a session of their own. (A
        // TransferComplete the ACS held back waits for the next session: asking again at
        // once would loop with an ACS that always holds.)
        if !self.state.events.is_empty() {
            self.wanted = true;
        }
        self.on_timeout(now);
    }

    fn on_reply(&mut self, now: Instant, status: u16, body: &[u8], device: &mut dyn Device) {
        if self.phase == Phase::Idle {
            return;
        }
        if status == 204 || (status == 200 && body.iter().all(u8::is_ascii_whitespace)) {
            // No envelope: the ACS has nothing (more) to say.
            match &self.phase {
                Phase::Serving => self.end(now),
                // An empty answer to the Inform or to our request is not a session.
                _ => self.fail(now),
            }
            return;
        }
        if status != 200 {
            self.fail(now);
            return;
        }
        let env = match parse(body) {
            Ok(Some(env)) => env,
            Ok(None) => {
                self.fail(now);
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "the ACS sent an envelope we cannot read");
                if self.phase == Phase::Serving {
                    // Answer as the SOAP rules say and let the ACS go on.
                    let fault = match &e {
                        tipring_cwmp::Error::MustUnderstand { element, .. } => {
                            Fault::must_understand(element)
                        }
                        _ => Fault::cwmp(FaultCode::INVALID_ARGUMENTS),
                    };
                    let env = Envelope {
                        version: self.version,
                        header: Header {
                            id: e.id().map(str::to_string),
                            ..Header::default()
                        },
                        body: Some(Body::Fault(fault)),
                    };
                    self.post(&env, false);
                } else {
                    self.fail(now);
                }
                return;
            }
        };
        self.version = env.version;
        if let Some(h) = env.header.hold_requests {
            self.hold = h;
        }
        match self.phase.clone() {
            Phase::Informing { events, id } => self.on_inform_reply(now, env, &events, &id, device),
            Phase::Requesting { command_key, id } => {
                self.on_request_reply(now, env, &command_key, &id, device)
            }
            Phase::Serving => self.serve(now, env, device),
            Phase::Idle => {}
        }
    }

    fn on_inform_reply(
        &mut self,
        now: Instant,
        env: Envelope,
        sent: &[PendingEvent],
        id: &str,
        device: &mut dyn Device,
    ) {
        match env.body {
            Some(Body::InformResponse(_)) => {
                if env.id().is_some_and(|i| i != id) {
                    tracing::debug!("InformResponse with another cwmp:ID");
                }
                device.inform_delivered();
                // The events are delivered (§3.7.1.5): drop exactly those.
                self.state.events.retain(|e| !sent.contains(e));
                if sent.iter().any(|e| e.code == event_code::BOOTSTRAP) {
                    self.state.bootstrapped_url = Some(self.cfg.acs_url.clone());
                }
                self.persist();
                self.retries = 0;
                self.inform_faults = 0;
                self.next_cpe_request(now);
            }
            Some(Body::Fault(f)) if f.code() == Some(FaultCode::ACS_RETRY_REQUEST) => {
                // 8005: send the Inform again in the same session (A.3.1.1).
                self.inform_faults += 1;
                if self.inform_faults > MAX_INFORM_RETRY_FAULTS {
                    self.fail(now);
                    return;
                }
                self.phase = Phase::Idle;
                self.wanted = true;
                self.inform_again = true;
            }
            _ => self.fail(now),
        }
    }

    /// After the InformResponse: our own requests (unless the ACS holds them), then the
    /// empty POST.
    fn next_cpe_request(&mut self, _now: Instant) {
        if !self.hold {
            if let Some(t) = self.state.finished.first().cloned() {
                let id = self.new_id();
                let tc = TransferComplete {
                    command_key: t.command_key.clone(),
                    fault: (t.fault_code != 0).then(|| TransferFault {
                        code: FaultCode(t.fault_code),
                        string: if t.fault_string.is_empty() {
                            FaultCode(t.fault_code).text().to_string()
                        } else {
                            t.fault_string.clone()
                        },
                    }),
                    start_time: time_or_unknown(t.start),
                    complete_time: time_or_unknown(t.complete),
                };
                let mut env = Envelope::new(id.clone(), Body::TransferComplete(tc));
                env.version = self.version;
                self.phase = Phase::Requesting {
                    command_key: t.command_key,
                    id,
                };
                self.post(&env, false);
                return;
            }
        }
        self.post_empty();
    }

    fn on_request_reply(
        &mut self,
        now: Instant,
        env: Envelope,
        command_key: &str,
        _id: &str,
        device: &mut dyn Device,
    ) {
        match env.body {
            Some(Body::TransferCompleteResponse) => {
                if let Some(i) = self
                    .state
                    .finished
                    .iter()
                    .position(|f| f.command_key == command_key)
                {
                    self.state.finished.remove(i);
                }
                self.persist();
                self.next_cpe_request(now);
            }
            Some(Body::Fault(f)) if f.code() == Some(FaultCode::ACS_RETRY_REQUEST) => {
                // Try it again later in this session's turn.
                self.post_empty();
            }
            Some(Body::Fault(_)) => {
                // Refused: do not loop on it, leave it for the next session.
                self.post_empty();
            }
            // The ACS sent an RPC instead (HoldRequests): serve it, ours waits.
            Some(_) => self.serve(now, env, device),
            None => self.fail(now),
        }
    }

    /// An RPC from the ACS: answer it.
    fn serve(&mut self, now: Instant, env: Envelope, device: &mut dyn Device) {
        self.rpcs += 1;
        if self.rpcs > MAX_RPCS_PER_SESSION {
            self.fail(now);
            return;
        }
        let Some(body) = env.body.clone() else {
            // An envelope without a message: treat as the end (nothing asked).
            self.end(now);
            return;
        };
        let answer = match body {
            Body::GetRpcMethods => {
                Body::GetRpcMethodsResponse(CPE_METHODS.iter().map(|s| s.to_string()).collect())
            }
            Body::GetParameterValues(names) => match device.get_values(&names) {
                Ok(v) => Body::GetParameterValuesResponse(v),
                Err(c) => fault(c),
            },
            Body::GetParameterNames(g) => match device.get_names(&g.parameter_path, g.next_level) {
                Ok(v) => Body::GetParameterNamesResponse(v),
                Err(c) => fault(c),
            },
            Body::SetParameterValues(s) => {
                match device.set_values(&s.parameters, &s.parameter_key) {
                    Ok(st) => Body::SetParameterValuesResponse(st),
                    Err(f) => Body::Fault(Fault::set_parameter_values(f.code, f.parameters)),
                }
            }
            Body::GetParameterAttributes(names) => match device.get_attributes(&names) {
                Ok(v) => Body::GetParameterAttributesResponse(v),
                Err(c) => fault(c),
            },
            Body::SetParameterAttributes(a) => match device.set_attributes(&a) {
                Ok(()) => Body::SetParameterAttributesResponse,
                Err(c) => fault(c),
            },
            Body::AddObject(a) => match device.add_object(&a.object_name, &a.parameter_key) {
                Ok(r) => Body::AddObjectResponse(r),
                Err(c) => fault(c),
            },
            Body::DeleteObject(d) => match device.delete_object(&d.object_name, &d.parameter_key) {
                Ok(st) => Body::DeleteObjectResponse(st),
                Err(c) => fault(c),
            },
            Body::Reboot(command_key) => {
                self.add_event(event_code::M_REBOOT, &command_key);
                self.persist();
                self.deferred.push(Action::Reboot);
                Body::RebootResponse
            }
            Body::FactoryReset => {
                self.deferred.push(Action::FactoryReset);
                Body::FactoryResetResponse
            }
            Body::ScheduleInform(s) => {
                if s.delay_seconds == 0 || self.state.scheduled.len() >= MAX_SCHEDULED {
                    fault(if s.delay_seconds == 0 {
                        FaultCode::INVALID_ARGUMENTS
                    } else {
                        FaultCode::RESOURCES_EXCEEDED
                    })
                } else {
                    self.state.scheduled.push(ScheduledInform {
                        due: self.unix(now) + i64::from(s.delay_seconds),
                        command_key: s.command_key,
                    });
                    self.persist();
                    Body::ScheduleInformResponse
                }
            }
            Body::Download(d) => match device.accepts_download(&d.file_type) {
                Err(c) => fault(c),
                Ok(()) => self.queue_transfer(
                    now,
                    QueuedTransfer {
                        command_key: d.command_key,
                        download: true,
                        file_type: d.file_type,
                        url: d.url,
                        username: d.username,
                        password: d.password,
                        file_size: d.file_size,
                        target_file_name: d.target_file_name,
                        due: 0,
                        started: false,
                    },
                    d.delay_seconds,
                ),
            },
            Body::Upload(u) => match device.accepts_upload(&u.file_type) {
                Err(c) => fault(c),
                Ok(()) => self.queue_transfer(
                    now,
                    QueuedTransfer {
                        command_key: u.command_key,
                        download: false,
                        file_type: u.file_type,
                        url: u.url,
                        username: u.username,
                        password: u.password,
                        file_size: 0,
                        target_file_name: String::new(),
                        due: 0,
                        started: false,
                    },
                    u.delay_seconds,
                ),
            },
            Body::GetQueuedTransfers => Body::GetQueuedTransfersResponse(
                self.state
                    .queued
                    .iter()
                    .map(|q| CwmpQueued {
                        command_key: q.command_key.clone(),
                        state: transfer_state(q),
                    })
                    .collect(),
            ),
            Body::GetAllQueuedTransfers => Body::GetAllQueuedTransfersResponse(
                self.state
                    .queued
                    .iter()
                    .map(|q| AllQueuedTransfer {
                        command_key: q.command_key.clone(),
                        state: transfer_state(q),
                        is_download: q.download,
                        file_type: q.file_type.clone(),
                        file_size: q.file_size,
                        target_file_name: q.target_file_name.clone(),
                    })
                    .collect(),
            ),
            Body::CancelTransfer(key) => {
                match self.state.queued.iter().position(|q| q.command_key == key) {
                    None => fault(FaultCode::INVALID_ARGUMENTS),
                    Some(i) if self.state.queued[i].started => {
                        fault(FaultCode::CANCELATION_NOT_PERMITTED)
                    }
                    Some(i) => {
                        self.state.queued.remove(i);
                        self.persist();
                        Body::CancelTransferResponse
                    }
                }
            }
            // Responses to requests we did not make, or a Fault from the ACS to one of our
            // answers: nothing to answer; hand the turn back.
            Body::Fault(_)
            | Body::TransferCompleteResponse
            | Body::InformResponse(_)
            | Body::AutonomousTransferCompleteResponse => {
                self.post_empty();
                return;
            }
            other => {
                tracing::info!(method = other.method_name(), "ACS RPC not supported");
                fault(FaultCode::METHOD_NOT_SUPPORTED)
            }
        };
        let reply = Envelope {
            version: env.version,
            header: Header {
                id: env.header.id.clone(),
                ..Header::default()
            },
            body: Some(answer),
        };
        self.phase = Phase::Serving;
        self.post(&reply, false);
    }

    fn queue_transfer(&mut self, now: Instant, mut q: QueuedTransfer, delay: u32) -> Body {
        if self.state.queued.len() >= MAX_QUEUED_TRANSFERS {
            return fault(FaultCode::RESOURCES_EXCEEDED);
        }
        if self
            .state
            .queued
            .iter()
            .any(|x| x.command_key == q.command_key)
            && !q.command_key.is_empty()
        {
            // The same request again (a retried session): already queued.
            return transfer_pending(q.download);
        }
        q.due = self.unix(now) + i64::from(delay);
        let download = q.download;
        self.state.queued.push(q);
        self.persist();
        transfer_pending(download)
    }
}

fn transfer_pending(download: bool) -> Body {
    // Status 1: the transfer has not finished; TransferComplete will follow (A.3.2.8).
    let r = TransferResponse {
        status: Status::Pending,
        start_time: tipring_cwmp::time::UNKNOWN_TIME.to_string(),
        complete_time: tipring_cwmp::time::UNKNOWN_TIME.to_string(),
    };
    if download {
        Body::DownloadResponse(r)
    } else {
        Body::UploadResponse(r)
    }
}

fn transfer_state(q: &QueuedTransfer) -> TransferState {
    if q.started {
        TransferState::InProgress
    } else {
        TransferState::NotStarted
    }
}

fn fault(code: FaultCode) -> Body {
    Body::Fault(Fault::cwmp(code))
}

fn time_or_unknown(unix: i64) -> String {
    if unix <= 0 {
        tipring_cwmp::time::UNKNOWN_TIME.to_string()
    } else {
        tipring_cwmp::time::format_date_time(unix)
    }
}

//! One CWMP session after admission (TR-069 Amendment 6 §3.7): the InformResponse, the
//! CPE's own requests, the ACS's RPCs (tasks and the provisioning pass), and what the
//! session learned.
//!
//! # The exchange
//!
//! [`Session::start`] answers the Inform (InformResponse, MaxEnvelopes 1, the Inform's
//! `cwmp:ID` and namespace, and `cwmp:UseCWMPVersion` when the CPE offered a list of
//! versions, §3.5). Every later POST goes to [`Session::handle`]:
//!
//! * a CPE request — TransferComplete (matched to its transfer task — Download, Upload,
//!   ScheduleDownload — by CommandKey),
//!   AutonomousTransferComplete, GetRPCMethods, RequestDownload, Kicked, a repeated
//!   Inform — is answered with its response (an unknown method with Fault 8000);
//! * the empty POST (§3.7.2.4: the CPE has no more requests) is answered with the next
//!   RPC, or `204 No Content` when nothing is left, which ends the session;
//! * a response or a Fault is matched to the RPC in flight by `cwmp:ID` (a response
//!   without an ID is taken for the one in flight; one with another ID is a protocol
//!   error: `400`, the session ends), recorded, and answered with the next RPC or 204;
//! * a body that is not a readable envelope: a request we can still identify gets a
//!   CWMP fault (8003 invalid arguments, or a SOAP MustUnderstand fault); a response we
//!   cannot read counts as a failure of its RPC and the session goes on; anything else
//!   is answered `400` and ends the session; a body over [`AcsConfig::max_body`] is
//!   answered `413` and ends it. Nothing panics.
//!
//! Every RPC carries `cwmp:HoldRequests` (when [`AcsConfig::hold_requests`]): true while
//! more RPCs may follow, so that the CPE keeps its own requests until the ACS is done,
//! and false on the last one (§3.7.2.3, Table 6). At most [`AcsConfig::max_rpcs`] RPCs
//! are sent; the rest waits for the next session.
//!
//! A device that is not approved gets nothing: whatever tasks and plan are given, its
//! session is the InformResponse and then 204.
//!
//! # Tasks
//!
//! Tasks are sent in id order, a due Provision task first and Reboot/FactoryReset last;
//! a task whose `next_attempt_at` is later than now waits. Each [`TaskKind`] is one RPC
//! (Provision is the pass below); its result goes to [`Task::result`] as JSON:
//!
//! | kind | RPC | result |
//! |---|---|---|
//! | GetParameterValues | GetParameterValues | `{"values": [{"name", "value", "type"}]}` |
//! | SetParameterValues | SetParameterValues (ParameterKey `task-<id>`; types from the cache, else our definitions, else `xsd:string`) | `{"status": 0/1}` |
//! | GetParameterNames | GetParameterNames | `{"names": [{"name", "writable"}]}` |
//! | AddObject | AddObject | `{"instance_number", "status"}` |
//! | DeleteObject | DeleteObject | `{"status"}` |
//! | Reboot | Reboot (CommandKey `task-<id>`) | `{}` |
//! | FactoryReset | FactoryReset | `{}` (the device's provisioned digest is cleared) |
//! | Download | Download (CommandKey `task-<id>`) | `{"status", "start_time", "complete_time"}`, then the TransferComplete's `{"transfer": "complete"/"failed", "start_time", "complete_time"}` |
//! | GetParameterAttributes | GetParameterAttributes (A.3.2.5) | `{"attributes": [{"name", "notification": 0..6, "access_list": [..]}]}` |
//! | SetParameterAttributes | SetParameterAttributes (A.3.2.4; NotificationChange / AccessListChange true where the change gives a value) | `{}` |
//! | Upload | Upload (A.4.1.5, CommandKey `task-<id>`) | as Download |
//! | ScheduleInform | ScheduleInform (A.4.1.2, CommandKey `task-<id>`) | `{}` |
//! | GetRpcMethods | GetRPCMethods (A.3.1.1) | `{"methods": [..]}` |
//! | GetAllQueuedTransfers | GetAllQueuedTransfers (A.4.1.7) | `{"transfers": [{"command_key", "state": "not_started"/"in_progress"/"completed", "is_download", "file_type", "file_size", "target_file_name"}]}` |
//! | CancelTransfer | CancelTransfer (A.4.1.9) | `{"cancelled_task": <id> or null}` |
//! | ScheduleDownload | ScheduleDownload (A.4.1.8, CommandKey `task-<id>`) | `{}`, then the TransferComplete's, as Download |
//!
//! A Download or Upload answered with status 1, and every ScheduleDownload (its response
//! has no status: the transfer happens in a time window), stays `InFlight` until its
//! TransferComplete (in this session or a later one: pass it again with the device's
//! tasks); status 0 completes it at once. A CancelTransfer the CPE accepts cancels the
//! transfer task of that CommandKey (`Cancelled`, `"cancelled_by"` in its result) when
//! that task is among the session's. GetParameterValues and GetParameterNames results go
//! to the parameter cache (`seen_at` = now; `writable` from GetParameterNames; secrets
//! are not cached); the other results stay in the task (the cache has no room for
//! attributes, and the device record none for the CPE's method list).
//!
//! Arguments no CPE may accept are not sent: a notification over 6, a ScheduleInform
//! delay of 0 (A.4.1.2), a ScheduleDownload with no or more than two windows, a window
//! ending before it starts, overlapping windows or a file size over an unsignedInt
//! (A.4.1.8). Such a task fails when the session starts, with fault 9003
//! (`"not sent: ..."`), no attempt counted: it takes none of the session's RPCs and does
//! not keep `HoldRequests` true. The file server password of an Upload or ScheduleDownload goes only into the
//! RPC: never into a log, an audit record, or `Debug` output (the provisioner keeps it
//! sealed in the store and opens it only for the session).
//!
//! Faults: the permanent codes — 9000 method not supported (an optional RPC the CPE does
//! not implement), 9001 request denied, 9003
//! invalid arguments, 9005-9009 (name, type, value, not writable, notification), 9018
//! and 9019 (a corrupt or unauthenticated file), 9021-9026 and 9028-9032 — fail a task at
//! once. Every other fault (9002, 9004, 9010-9017, 9020, vendor codes) and a session
//! failure (fault code 0: no response, an unreadable or unexpected one, a session that
//! ended badly) puts it in `Retrying`, `next_attempt_at` = now +
//! `retry_base_s × 2^(attempts before this fault)`, capped at `retry_max_s`, until it has
//! faulted `max_attempts` times: then it fails too. Each failed task adds one to the
//! device's `open_faults`. A session that ends badly ([`Session::finish`] with
//! `ended_ok` false, or an RPC left unanswered) never marks a task done.
//!
//! # The provisioning pass
//!
//! With a [`ProvisionPlan`], a pass runs when a Provision task is due, or — without a
//! Provision task waiting for its retry time — when the device has not got this plan
//! yet (its `provisioned_digest` differs), when it bootstraps (`0 BOOTSTRAP`: what the
//! ACS set is gone), and, when the plan's drift policy is [`DriftPolicy::Correct`], when
//! it boots (`1 BOOT`: a check) or its Inform reports (`4 VALUE CHANGE`) a planned value
//! other than the plan's. A pass started without a task gets one (id 0, by
//! `provisioner`), returned with the outcome when it changed something or did not
//! complete. With [`DriftPolicy::Report`], a drifted Inform is audited
//! (`device.drift`, naming the parameters) and nothing is changed.
//!
//! 1. **Read**: GetParameterValues of the objects holding the plan's parameters.
//! 2. **Find the instances** when that faults 9005 or an instance the plan needs is not
//!    in the answer: GetParameterNames with NextLevel true on each table (outermost
//!    first; never on the root, which some CPEs refuse), the plan's instances mapped in
//!    order onto those that exist, AddObject for the missing ones; then read again, this
//!    time each instance as a whole (a partial path the CPE has, whatever it lacks below).
//! 3. **Compare**: a parameter the CPE does not have is skipped (named in the result);
//!    values are compared by type (`1` is `true`).
//! 4. **Set**: one SetParameterValues of every value that differs, plus every secret when
//!    the plan is new to the device (digest differs, or `0 BOOTSTRAP`), typed as the CPE
//!    reported them (ParameterKey `prov-<digest prefix>`). Nothing differs: no
//!    SetParameterValues at all. When the CPE refuses it only because some parameters
//!    are unknown (9005) or not writable (9008) to it, those are skipped and the rest is
//!    sent once more; any other fault is the pass's fault.
//!
//! A complete pass records the plan's digest on the device (`provisioned_digest`,
//! `provisioned_at`) and in [`SessionOutcome::provisioned`].

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use serde_json::json;
use tipring_cwmp::{
    event_code, parse_with, AddObject, Body, CwmpVersion, DeleteObject, Download, Envelope,
    Error as CwmpError, Fault, FaultCode, GetParameterNames, Header, Limits, Notification,
    ParameterInfo, ParameterValue, ScheduleDownload, ScheduleInform, SetParameterAttributesStruct,
    SetParameterValues, Status, TimeWindow as CwmpTimeWindow, TransferResponse, TransferState,
    Upload, ValueType,
};
use tipring_datamodel::definitions;

use crate::admission::audit;
use crate::inform::InformInfo;
use crate::model::{
    AuditEntry, CachedParameter, Device, DriftPolicy, Enrollment, Task, TaskFault, TaskKind,
    TaskState,
};
use crate::provision::{definition_template, depth, is_secret_name, ProvisionPlan};

/// The methods the ACS answers (GetRPCMethods from the CPE, Annex A.3.1.1).
pub const ACS_METHODS: &[&str] = &[
    "Inform",
    "GetRPCMethods",
    "TransferComplete",
    "AutonomousTransferComplete",
    "RequestDownload",
    "Kicked",
];

/// The session's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcsConfig {
    /// Most RPCs sent in one session.
    pub max_rpcs: u32,
    /// First retry wait after a fault, seconds.
    pub retry_base_s: i64,
    /// Longest retry wait, seconds.
    pub retry_max_s: i64,
    /// Faults after which a task fails.
    pub max_attempts: u32,
    /// Largest body accepted from the CPE, bytes.
    pub max_body: usize,
    /// Send `cwmp:HoldRequests` on the ACS's RPCs.
    pub hold_requests: bool,
}

impl Default for AcsConfig {
    /// 64 RPCs a session, retries after 60 s doubling up to a day, 5 attempts, 4 MiB
    /// bodies, HoldRequests on.
    fn default() -> Self {
        Self {
            max_rpcs: 64,
            retry_base_s: 60,
            retry_max_s: 86_400,
            max_attempts: 5,
            max_body: 4 * 1024 * 1024,
            hold_requests: true,
        }
    }
}

impl AcsConfig {
    /// The CWMP reader's limits for these settings.
    pub fn limits(&self) -> Limits {
        Limits {
            max_bytes: self.max_body,
            ..Limits::default()
        }
    }

    /// The wait before the next attempt after a fault, given the faults before it.
    pub fn backoff(&self, attempts_before: u32) -> i64 {
        let factor = 1i64 << attempts_before.min(40);
        self.retry_base_s
            .max(0)
            .saturating_mul(factor)
            .min(self.retry_max_s.max(0))
    }
}

/// The answer to one POST. `Debug` shows the body's size, not the body (a
/// SetParameterValues carries passwords).
#[derive(Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status: 200 with an envelope, 204 (empty) at the end, 400/413 on bad input.
    pub status: u16,
    /// The body (empty with 204, 400, 413).
    pub body: Vec<u8>,
    /// The session is over: call [`Session::finish`].
    pub done: bool,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("body_bytes", &self.body.len())
            .field("done", &self.done)
            .finish()
    }
}

impl Reply {
    fn envelope(env: &Envelope) -> Reply {
        Reply {
            status: 200,
            body: env.to_xml(),
            done: false,
        }
    }

    fn end(status: u16) -> Reply {
        Reply {
            status,
            body: Vec::new(),
            done: true,
        }
    }
}

/// What a session leaves behind, to store in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionOutcome {
    /// The device record (provisioned digest, open faults).
    pub device: Device,
    /// Parameters seen (Inform, GetParameterValues, GetParameterNames), one per name.
    pub parameters: Vec<CachedParameter>,
    /// Object instances deleted: drop cached names under these prefixes.
    pub removed_prefixes: Vec<String>,
    /// Every task touched, in its new state (a Provision task made by the session has id 0).
    pub tasks: Vec<Task>,
    /// Tasks that failed in this session.
    pub new_faults: u32,
    /// What to audit.
    pub audit: Vec<AuditEntry>,
    /// The plan's digest, when the plan was applied completely.
    pub provisioned: Option<String>,
}

/// Whose turn it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    /// After the InformResponse, before the CPE's empty POST.
    Cpe,
    /// The ACS sends RPCs.
    Acs,
    /// 204 (or an error status) was sent.
    Done,
}

/// What an RPC in flight is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum For {
    Task(usize),
    Pass,
    /// The call log, read after calls (see [`crate::calls`]).
    CallLog,
}

#[derive(Debug, Clone)]
struct InFlight {
    id: String,
    what: For,
}

/// A step of the provisioning pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Read,
    Discover,
    Set,
    /// Ask for active notification of the lines' registration status (a full pass only).
    Watch,
    Done,
}

/// The provisioning pass (see the module documentation). `Debug` leaves out the values
/// to set (passwords).
struct Pass {
    /// Its task (index into the session's tasks).
    task: usize,
    /// Push the secrets too.
    full: bool,
    step: Step,
    /// Instances were looked up (GetParameterNames): read instance by instance.
    discovered: bool,
    /// Planned instance path → the CPE's (`...Line.2.` → `...Line.3.`).
    renames: Vec<(String, String)>,
    /// Tables to look up: planned table path and the instance numbers wanted.
    tables: Vec<(String, Vec<u32>)>,
    cursor: usize,
    /// AddObject to send: (planned table, wanted instance, the CPE's table path).
    adds: VecDeque<(String, u32, String)>,
    /// The RPC in flight is an AddObject (else a GetParameterNames) during discovery.
    adding: bool,
    /// Planned prefixes the CPE does not have.
    missing: Vec<String>,
    skipped: Vec<String>,
    added: Vec<String>,
    sets: Vec<ParameterValue>,
    secrets: usize,
    status: u8,
    /// The SetParameterValues was sent again without names the CPE refused as unknown
    /// or read-only.
    retried_set: bool,
    /// The CPE accepted active notification of the lines' status.
    watching: bool,
}

impl Pass {
    /// After the values are set (or nothing differed): a full pass (a plan new to the
    /// device, or a bootstrap) also asks for notification of the lines' status.
    fn after_set(&self) -> Step {
        if self.full {
            Step::Watch
        } else {
            Step::Done
        }
    }
}

impl std::fmt::Debug for Pass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pass")
            .field("task", &self.task)
            .field("full", &self.full)
            .field("step", &self.step)
            .field("discovered", &self.discovered)
            .field("renames", &self.renames)
            .field("sets", &self.sets.len())
            .field("skipped", &self.skipped.len())
            .field("added", &self.added)
            .finish_non_exhaustive()
    }
}

/// A fault of the RPC in flight: code (0: session failure), text, per-parameter faults.
type RpcFault = (u32, String, Vec<(String, u32, String)>);

/// One CWMP session (see the module documentation).
#[derive(Debug)]
pub struct Session {
    cfg: AcsConfig,
    info: InformInfo,
    device: Device,
    tasks: Vec<Task>,
    touched: BTreeSet<usize>,
    queue: VecDeque<usize>,
    /// Downloads answered with status 1: waiting for their TransferComplete.
    awaiting: BTreeSet<usize>,
    /// A Provision task the session made.
    synthesized: Option<usize>,
    plan: Option<ProvisionPlan>,
    pass: Option<Pass>,
    cache: HashMap<String, CachedParameter>,
    seen: BTreeMap<String, CachedParameter>,
    /// The Inform told of calls: read the call log before the session ends.
    read_calls: bool,
    removed: Vec<String>,
    audit: Vec<AuditEntry>,
    in_flight: Option<InFlight>,
    turn: Turn,
    rpcs: u32,
    next_id: u64,
    new_faults: u32,
    provisioned: Option<String>,
    version: CwmpVersion,
    now: i64,
}

impl Session {
    /// Opens the session of an admitted device: the InformResponse to send, and the
    /// session that handles the rest. `device` is the record admission returned
    /// (approved, or pending for an empty session), `tasks` the device's open tasks
    /// (queued, retrying, in flight), `plan` its provisioning plan if a profile applies,
    /// `cache` its cached parameters.
    pub fn start(
        cfg: &AcsConfig,
        info: InformInfo,
        device: Device,
        tasks: Vec<Task>,
        plan: Option<ProvisionPlan>,
        cache: Vec<CachedParameter>,
        now: i64,
    ) -> (Session, Reply) {
        let mut s = Session {
            cfg: cfg.clone(),
            version: info.version,
            device,
            tasks,
            touched: BTreeSet::new(),
            queue: VecDeque::new(),
            awaiting: BTreeSet::new(),
            synthesized: None,
            plan,
            pass: None,
            cache: cache.into_iter().map(|c| (c.name.clone(), c)).collect(),
            seen: BTreeMap::new(),
            read_calls: false,
            removed: Vec::new(),
            audit: Vec::new(),
            in_flight: None,
            turn: Turn::Cpe,
            rpcs: 0,
            next_id: 1,
            new_faults: 0,
            provisioned: None,
            now,
            info,
        };
        for p in s.info.parameters.clone() {
            s.remember(&p, None);
        }
        if s.device.enrollment == Enrollment::Approved {
            s.plan_work(now);
            s.read_calls = s
                .info
                .parameters
                .iter()
                .any(|p| crate::calls::is_call_counter(&p.name));
        }
        let header = Header {
            id: s.info.id.clone(),
            use_version: s.info.use_version().map(|v| v.protocol().to_string()),
            ..Header::default()
        };
        let env = Envelope {
            version: s.version,
            header,
            body: Some(Body::InformResponse(1)),
        };
        (s, Reply::envelope(&env))
    }

    /// Handles one POST of the session (see the module documentation).
    pub fn handle(&mut self, body: &[u8], now: i64) -> Reply {
        self.now = now;
        if self.turn == Turn::Done {
            return Reply::end(204);
        }
        if body.len() > self.cfg.max_body {
            self.turn = Turn::Done;
            return Reply::end(413);
        }
        match parse_with(body, &self.cfg.limits()) {
            Ok(None) | Ok(Some(Envelope { body: None, .. })) => self.on_empty_post(),
            Ok(Some(env)) => self.on_envelope(env),
            Err(e) => self.on_unreadable(e),
        }
    }

    /// Tasks queued while the session is open (by another node, or the API: the store's
    /// task wake-ups): those the session does not have yet are sent in it, before a
    /// Reboot or FactoryReset still waiting, as the session's own would be. Provision tasks
    /// wait for the next session (the plan is made at its start), as does everything once
    /// the session ended. The ids of the tasks it took.
    pub fn add_tasks(&mut self, tasks: Vec<Task>) -> Vec<i64> {
        let mut taken = Vec::new();
        if self.turn == Turn::Done || self.device.enrollment != Enrollment::Approved {
            return taken;
        }
        for t in tasks {
            if t.kind == TaskKind::Provision || self.tasks.iter().any(|x| x.id == t.id) {
                continue;
            }
            taken.push(t.id);
            let i = self.tasks.len();
            self.tasks.push(t);
            match self.task_rpc(i) {
                Err(why) => {
                    self.touched.insert(i);
                    self.fail_now(i, not_sent(why));
                }
                Ok(_) => {
                    let last = self.queue.iter().position(|&q| {
                        matches!(
                            self.tasks[q].kind,
                            TaskKind::Reboot | TaskKind::FactoryReset
                        )
                    });
                    self.queue.insert(last.unwrap_or(self.queue.len()), i);
                }
            }
        }
        taken
    }

    /// Ends the session: what to store. `ended_ok` is false when it ended badly (a
    /// timeout, a broken connection, an error status): anything in flight is then a
    /// session failure and goes back to retrying, never done.
    pub fn finish(mut self, now: i64, ended_ok: bool) -> SessionOutcome {
        self.now = now;
        if let Some(f) = self.in_flight.take() {
            let message = if ended_ok {
                "the session ended without a response"
            } else {
                "the session failed before the response"
            };
            match f.what {
                For::Task(i) => self.task_fault(i, (0, message.into(), Vec::new())),
                For::Pass => self.pass_fault((0, message.into(), Vec::new())),
                For::CallLog => {}
            }
        }
        if self.pass.as_ref().is_some_and(|p| p.step == Step::Done) {
            self.finish_pass();
        }
        if let Some(pass) = self.pass.take() {
            if pass.step != Step::Done {
                // Cut short by the RPC budget: not the CPE's fault, no attempt counted.
                let t = &mut self.tasks[pass.task];
                t.state = TaskState::Queued;
                t.next_attempt_at = now;
                t.updated_at = now;
            }
        }
        for i in self.touched.clone() {
            let t = &mut self.tasks[i];
            if t.state == TaskState::InFlight && !self.awaiting.contains(&i) {
                t.state = TaskState::Queued;
                t.updated_at = now;
            }
        }
        let mut tasks = Vec::new();
        for i in &self.touched {
            if Some(*i) == self.synthesized {
                let t = &self.tasks[*i];
                let did_something = t.state != TaskState::Done
                    || t.result.as_ref().is_some_and(|r| {
                        r["changed"].as_array().is_some_and(|a| !a.is_empty())
                            || r["added"].as_array().is_some_and(|a| !a.is_empty())
                            || r["secrets"].as_u64().is_some_and(|n| n > 0)
                    });
                if !did_something {
                    continue;
                }
            }
            tasks.push(self.tasks[*i].clone());
        }
        SessionOutcome {
            device: self.device,
            parameters: self.seen.into_values().collect(),
            removed_prefixes: self.removed,
            tasks,
            new_faults: self.new_faults,
            audit: self.audit,
            provisioned: self.provisioned,
        }
    }

    /// The device record as the session has it so far.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Whether the session is over.
    pub fn is_done(&self) -> bool {
        self.turn == Turn::Done
    }

    // ---- planning the work --------------------------------------------------------------

    fn plan_work(&mut self, now: i64) {
        let due = |t: &Task| t.next_attempt_at <= now;
        let open = |t: &Task| {
            matches!(
                t.state,
                TaskState::Queued | TaskState::Retrying | TaskState::InFlight
            )
        };
        // Provision: a task governs; without one, the plan's triggers make one.
        let governing = self
            .tasks
            .iter()
            .position(|t| t.kind == TaskKind::Provision && open(t));
        let mut provision: Option<usize> = None;
        let plan = self.plan.clone();
        match (&plan, governing) {
            (None, Some(i)) => {
                if due(&self.tasks[i]) {
                    self.touched.insert(i);
                    let fault = (
                        0,
                        "no provisioning plan: no profile applies to this device".to_string(),
                        Vec::new(),
                    );
                    self.fail_now(i, fault);
                }
            }
            (Some(plan), g) => {
                let digest_ok =
                    self.device.provisioned_digest.as_deref() == Some(plan.digest.as_str());
                let drift = if digest_ok && self.info.has_event(event_code::VALUE_CHANGE) {
                    self.drifted(plan)
                } else {
                    Vec::new()
                };
                let correct = plan.drift == DriftPolicy::Correct;
                if !drift.is_empty() {
                    let detail = json!({
                        "parameters": drift,
                        "policy": if correct { "correct" } else { "report" },
                    });
                    self.audit
                        .push(audit(&self.device.id, now, "device.drift", detail));
                }
                let triggered = !digest_ok
                    || self.info.is_bootstrap()
                    || (correct && (self.info.is_boot() || !drift.is_empty()));
                match g {
                    Some(i) if due(&self.tasks[i]) => provision = Some(i),
                    Some(_) => {}
                    None if triggered => {
                        self.tasks.push(Task {
                            id: 0,
                            device: self.device.id.clone(),
                            kind: TaskKind::Provision,
                            state: TaskState::Queued,
                            attempts: 0,
                            next_attempt_at: now,
                            fault: None,
                            result: None,
                            created_at: now,
                            created_by: "provisioner".into(),
                            updated_at: now,
                        });
                        let i = self.tasks.len() - 1;
                        self.synthesized = Some(i);
                        provision = Some(i);
                    }
                    None => {}
                }
            }
            (None, None) => {}
        }
        let mut order: Vec<usize> = (0..self.tasks.len())
            .filter(|&i| {
                let t = &self.tasks[i];
                open(t) && due(t) && t.kind != TaskKind::Provision
            })
            .collect();
        // A transfer in flight waits for its TransferComplete; it is not sent again.
        order.retain(|&i| {
            let t = &self.tasks[i];
            let waiting = t.state == TaskState::InFlight && t.kind.is_transfer();
            if waiting {
                self.awaiting.insert(i);
            }
            !waiting
        });
        // Arguments no CPE may accept: failed now, never queued (so that HoldRequests
        // and the RPC budget count only what is sent).
        let mut invalid = Vec::new();
        order.retain(|&i| match self.task_rpc(i) {
            Ok(_) => true,
            Err(why) => {
                invalid.push((i, why));
                false
            }
        });
        for (i, why) in invalid {
            self.touched.insert(i);
            self.fail_now(i, not_sent(why));
        }
        let last = |t: &Task| matches!(t.kind, TaskKind::Reboot | TaskKind::FactoryReset);
        order.sort_by_key(|&i| (last(&self.tasks[i]), self.tasks[i].id, i));
        self.queue.extend(provision);
        self.queue.extend(order);
    }

    /// Planned, non-secret parameters whose value in the Inform differs from the plan.
    fn drifted(&self, plan: &ProvisionPlan) -> Vec<String> {
        let mut out = Vec::new();
        for p in &self.info.parameters {
            if let Some(want) = plan.get(&p.name) {
                if !want.secret && !same_value(&p.value, &want.value, &want.kind) {
                    out.push(p.name.clone());
                }
            }
        }
        out
    }

    // ---- the exchange -------------------------------------------------------------------

    fn on_empty_post(&mut self) -> Reply {
        if let Some(f) = self.in_flight.take() {
            // The CPE said "nothing more" instead of answering.
            let fault = (
                0,
                "the CPE sent an empty POST instead of a response".to_string(),
                Vec::new(),
            );
            match f.what {
                For::Task(i) => self.task_fault(i, fault),
                For::Pass => self.pass_fault(fault),
                For::CallLog => {}
            }
        }
        self.turn = Turn::Acs;
        self.next_reply()
    }

    fn on_envelope(&mut self, env: Envelope) -> Reply {
        let Some(body) = env.body.clone() else {
            return self.on_empty_post();
        };
        if !body.is_response() {
            return self.on_cpe_request(&env, body);
        }
        let Some(f) = self.in_flight.clone() else {
            // A response to nothing: take it as the CPE handing the turn over.
            self.turn = Turn::Acs;
            return self.next_reply();
        };
        if env.id().is_some_and(|id| id != f.id) {
            // §3.7.2.3: a response carries the cwmp:ID of its request.
            tracing::warn!(device = %self.device.id, expected = %f.id, got = ?env.id(), "CWMP response to another request");
            self.turn = Turn::Done;
            return Reply::end(400);
        }
        self.in_flight = None;
        match f.what {
            For::Task(i) => self.on_task_response(i, body),
            For::Pass => self.on_pass_response(body),
            For::CallLog => self.on_call_log(body),
        }
        self.turn = Turn::Acs;
        self.next_reply()
    }

    fn on_unreadable(&mut self, e: CwmpError) -> Reply {
        tracing::warn!(device = %self.device.id, error = %e, "unreadable CWMP body");
        let method = match &e {
            CwmpError::InvalidArgument { method, .. } => method.clone(),
            _ => String::new(),
        };
        let is_response = method.ends_with("Response") || method == "Fault";
        match (&e, e.id()) {
            (CwmpError::InvalidArgument { .. }, _) if is_response && self.in_flight.is_some() => {
                let f = self.in_flight.take().map(|f| f.what);
                let fault = (0, format!("unreadable {method}: {e}"), Vec::new());
                match f {
                    Some(For::Task(i)) => self.task_fault(i, fault),
                    Some(For::Pass) => self.pass_fault(fault),
                    Some(For::CallLog) | None => {}
                }
                self.turn = Turn::Acs;
                self.next_reply()
            }
            (CwmpError::InvalidArgument { .. }, Some(id)) => self.fault_reply(
                id.to_string(),
                Fault::cwmp(FaultCode::ACS_INVALID_ARGUMENTS),
            ),
            (CwmpError::MustUnderstand { element, .. }, Some(id)) => {
                self.fault_reply(id.to_string(), Fault::must_understand(element))
            }
            (CwmpError::TooLarge { .. }, _) => {
                self.turn = Turn::Done;
                Reply::end(413)
            }
            _ => {
                self.turn = Turn::Done;
                Reply::end(400)
            }
        }
    }

    fn fault_reply(&self, id: String, fault: Fault) -> Reply {
        let env = Envelope {
            version: self.version,
            header: Header::with_id(id),
            body: Some(Body::Fault(fault)),
        };
        Reply::envelope(&env)
    }

    fn on_cpe_request(&mut self, env: &Envelope, body: Body) -> Reply {
        let now = self.now;
        let id = self.device.id.clone();
        let answer = match body {
            Body::TransferComplete(tc) => {
                self.on_transfer_complete(&tc);
                Body::TransferCompleteResponse
            }
            Body::AutonomousTransferComplete(a) => {
                let detail = json!({
                    "transfer_url": a.transfer_url, "announce_url": a.announce_url,
                    "is_download": a.is_download, "file_type": a.file_type,
                    "file_size": a.file_size, "target_file_name": a.target_file_name,
                    "fault": a.fault.as_ref().map(|f| json!({"code": f.code.0, "string": f.string})),
                    "start_time": a.start_time, "complete_time": a.complete_time,
                });
                self.audit
                    .push(audit(&id, now, "device.autonomous_transfer", detail));
                Body::AutonomousTransferCompleteResponse
            }
            Body::GetRpcMethods => {
                Body::GetRpcMethodsResponse(ACS_METHODS.iter().map(|m| m.to_string()).collect())
            }
            Body::RequestDownload(r) => {
                let args: Vec<_> = r
                    .file_type_args
                    .iter()
                    .map(|a| json!({"name": a.name, "value": a.value}))
                    .collect();
                self.audit.push(audit(
                    &id,
                    now,
                    "device.request_download",
                    json!({"file_type": r.file_type, "args": args}),
                ));
                Body::RequestDownloadResponse
            }
            Body::Kicked(k) => {
                self.audit.push(audit(
                    &id,
                    now,
                    "device.kicked",
                    json!({"command": k.command, "referer": k.referer, "arg": k.arg}),
                ));
                Body::KickedResponse(k.next)
            }
            // A repeated Inform (a CPE that retries it in the same connection).
            Body::Inform(_) => Body::InformResponse(1),
            _ => Body::Fault(Fault::cwmp(FaultCode::ACS_METHOD_NOT_SUPPORTED)),
        };
        Reply::envelope(&env.reply(answer))
    }

    fn on_transfer_complete(&mut self, tc: &tipring_cwmp::TransferComplete) {
        let key = tc.command_key.trim();
        let found = self.tasks.iter().position(|t| {
            t.kind.is_transfer()
                && command_key(t) == key
                && matches!(
                    t.state,
                    TaskState::InFlight | TaskState::Queued | TaskState::Retrying
                )
        });
        let fault = tc
            .fault
            .as_ref()
            .filter(|f| f.code != FaultCode::NONE)
            .map(|f| (f.code.0, f.string.clone()));
        let Some(i) = found else {
            self.audit.push(audit(
                &self.device.id,
                self.now,
                "transfer.unmatched",
                json!({"command_key": key, "fault": fault.as_ref().map(|f| f.0)}),
            ));
            return;
        };
        self.touched.insert(i);
        self.awaiting.remove(&i);
        // A transfer still queued here was sent by a session whose outcome was lost.
        self.queue.retain(|&q| q != i);
        let mut result = self.tasks[i].result.clone().unwrap_or_else(|| json!({}));
        result["start_time"] = json!(tc.start_time);
        result["complete_time"] = json!(tc.complete_time);
        match fault {
            None => {
                result["transfer"] = json!("complete");
                let t = &mut self.tasks[i];
                t.result = Some(result);
                t.state = TaskState::Done;
                t.fault = None;
                t.updated_at = self.now;
            }
            Some((code, string)) => {
                result["transfer"] = json!("failed");
                self.tasks[i].result = Some(result);
                self.task_fault(i, (code, string, Vec::new()));
            }
        }
    }

    /// The next RPC, or 204.
    fn next_reply(&mut self) -> Reply {
        loop {
            if self.pass.is_some() {
                match self.pass_rpc() {
                    // Over budget: the pass waits for the next session (finish).
                    Some(_) if self.rpcs >= self.cfg.max_rpcs => break,
                    Some(body) => return self.send(body, For::Pass),
                    // The pass finished (or failed) without another RPC.
                    None => {
                        self.pass = None;
                        continue;
                    }
                }
            }
            if self.rpcs >= self.cfg.max_rpcs {
                break;
            }
            let Some(i) = self.queue.pop_front() else {
                if std::mem::take(&mut self.read_calls) {
                    let root = match self.info.root {
                        crate::model::Root::InternetGatewayDevice => "InternetGatewayDevice.",
                        _ => "Device.",
                    };
                    let path = crate::calls::call_log_path(root);
                    return self.send(Body::GetParameterValues(vec![path]), For::CallLog);
                }
                break;
            };
            if self.tasks[i].kind == TaskKind::Provision {
                self.start_pass(i);
                continue;
            }
            self.touched.insert(i);
            let body = match self.task_rpc(i) {
                Ok(body) => body,
                // plan_work took such tasks out already; kept for safety.
                Err(why) => {
                    self.fail_now(i, not_sent(why));
                    continue;
                }
            };
            let t = &mut self.tasks[i];
            t.state = TaskState::InFlight;
            t.updated_at = self.now;
            return self.send(body, For::Task(i));
        }
        self.turn = Turn::Done;
        Reply::end(204)
    }

    fn send(&mut self, body: Body, what: For) -> Reply {
        self.rpcs += 1;
        let id = format!("acs-{}", self.next_id);
        self.next_id += 1;
        let more = self.rpcs < self.cfg.max_rpcs
            && (!self.queue.is_empty()
                || self.read_calls
                || self.pass.as_ref().is_some_and(|p| {
                    matches!(p.step, Step::Read | Step::Discover) || (p.step == Step::Set && p.full)
                }));
        let env = Envelope {
            version: self.version,
            header: Header {
                id: Some(id.clone()),
                hold_requests: self.cfg.hold_requests.then_some(more),
                ..Header::default()
            },
            body: Some(body),
        };
        self.in_flight = Some(InFlight { id, what });
        Reply::envelope(&env)
    }

    // ---- tasks --------------------------------------------------------------------------

    /// A task's RPC, or why it cannot be sent (arguments no CPE may accept).
    fn task_rpc(&self, i: usize) -> Result<Body, String> {
        let t = &self.tasks[i];
        let key = command_key(t);
        Ok(match &t.kind {
            TaskKind::GetParameterValues { names } => Body::GetParameterValues(names.clone()),
            TaskKind::SetParameterValues { values } => {
                Body::SetParameterValues(SetParameterValues {
                    parameters: values
                        .iter()
                        .map(|(n, v)| ParameterValue::new(n.clone(), v.clone(), self.type_of(n)))
                        .collect(),
                    parameter_key: key,
                })
            }
            TaskKind::GetParameterNames { path, next_level } => {
                Body::GetParameterNames(GetParameterNames {
                    parameter_path: path.clone(),
                    next_level: *next_level,
                })
            }
            TaskKind::AddObject { path } => Body::AddObject(AddObject {
                object_name: path.clone(),
                parameter_key: key,
            }),
            TaskKind::DeleteObject { path } => Body::DeleteObject(DeleteObject {
                object_name: path.clone(),
                parameter_key: key,
            }),
            TaskKind::Reboot => Body::Reboot(key),
            TaskKind::FactoryReset => Body::FactoryReset,
            TaskKind::Download {
                file_type,
                url,
                file_size,
                target_file_name,
            } => Body::Download(Download {
                command_key: key,
                file_type: file_type.clone(),
                url: url.clone(),
                file_size: u32::try_from(*file_size).unwrap_or(u32::MAX),
                target_file_name: target_file_name.clone(),
                ..Download::default()
            }),
            TaskKind::GetParameterAttributes { names } => {
                Body::GetParameterAttributes(names.clone())
            }
            TaskKind::SetParameterAttributes { attributes } => {
                let mut list = Vec::with_capacity(attributes.len());
                for a in attributes {
                    let notification = match a.notification {
                        None => None,
                        Some(n) => Some(Notification::from_u8(n).ok_or_else(|| {
                            format!("notification {n} of {} is not 0..=6", a.name)
                        })?),
                    };
                    list.push(SetParameterAttributesStruct {
                        name: a.name.clone(),
                        notification_change: notification.is_some(),
                        notification: notification.unwrap_or_default(),
                        access_list_change: a.access_list.is_some(),
                        access_list: a.access_list.clone().unwrap_or_default(),
                    });
                }
                Body::SetParameterAttributes(list)
            }
            TaskKind::Upload {
                file_type,
                url,
                username,
                password,
            } => Body::Upload(Upload {
                command_key: key,
                file_type: file_type.clone(),
                url: url.clone(),
                username: username.clone().unwrap_or_default(),
                password: password
                    .as_ref()
                    .map(|p| p.expose().to_string())
                    .unwrap_or_default(),
                delay_seconds: 0,
            }),
            TaskKind::ScheduleInform { delay_seconds } => {
                if *delay_seconds == 0 {
                    return Err("ScheduleInform needs a delay of at least 1 s".into());
                }
                Body::ScheduleInform(ScheduleInform {
                    delay_seconds: *delay_seconds,
                    command_key: key,
                })
            }
            TaskKind::GetRpcMethods => Body::GetRpcMethods,
            TaskKind::GetAllQueuedTransfers => Body::GetAllQueuedTransfers,
            TaskKind::CancelTransfer { command_key } => Body::CancelTransfer(command_key.clone()),
            TaskKind::ScheduleDownload {
                file_type,
                url,
                file_size,
                target_file_name,
                time_windows,
                username,
                password,
            } => {
                check_windows(time_windows)?;
                let file_size = u32::try_from(*file_size)
                    .map_err(|_| format!("file size {file_size} is over 4294967295"))?;
                Body::ScheduleDownload(ScheduleDownload {
                    command_key: key,
                    file_type: file_type.clone(),
                    url: url.clone(),
                    username: username.clone().unwrap_or_default(),
                    password: password
                        .as_ref()
                        .map(|p| p.expose().to_string())
                        .unwrap_or_default(),
                    file_size,
                    target_file_name: target_file_name.clone(),
                    time_windows: time_windows
                        .iter()
                        .map(|w| CwmpTimeWindow {
                            window_start: w.window_start,
                            window_end: w.window_end,
                            window_mode: w.window_mode.clone(),
                            user_message: w.user_message.clone(),
                            max_retries: w.max_retries,
                        })
                        .collect(),
                })
            }
            // Provision never reaches here (the pass sends its own RPCs).
            TaskKind::Provision => Body::GetRpcMethods,
        })
    }

    /// The type to send a value with: the cache's, else our definition's, else string.
    fn type_of(&self, name: &str) -> ValueType {
        if let Some(c) = self.cache.get(name).or_else(|| self.seen.get(name)) {
            if !c.xsd_type.is_empty() {
                return ValueType::from_xsi(&c.xsd_type);
            }
        }
        definitions()
            .param(&definition_template(name))
            .map(|d| ValueType::from_xsi(d.ty.wire_type().xsd_name()))
            .unwrap_or_default()
    }

    fn on_task_response(&mut self, i: usize, body: Body) {
        let kind = self.tasks[i].kind.clone();
        let result = match (&kind, body) {
            (_, Body::Fault(f)) => {
                let fault = fault_of(&f);
                self.task_fault(i, fault);
                return;
            }
            (TaskKind::GetParameterValues { .. }, Body::GetParameterValuesResponse(values)) => {
                for v in &values {
                    self.remember(v, None);
                }
                let list: Vec<_> = values
                    .iter()
                    .map(|v| {
                        let value = if is_secret_name(&v.name) {
                            ""
                        } else {
                            v.value.as_str()
                        };
                        json!({"name": v.name, "value": value,
                               "type": format!("xsd:{}", v.kind.local_name())})
                    })
                    .collect();
                json!({ "values": list })
            }
            (TaskKind::SetParameterValues { .. }, Body::SetParameterValuesResponse(st)) => {
                json!({ "status": st.as_u8() })
            }
            (TaskKind::GetParameterNames { .. }, Body::GetParameterNamesResponse(names)) => {
                for n in &names {
                    self.remember_name(n);
                }
                let list: Vec<_> = names
                    .iter()
                    .map(|n| json!({"name": n.name, "writable": n.writable}))
                    .collect();
                json!({ "names": list })
            }
            (TaskKind::AddObject { .. }, Body::AddObjectResponse(r)) => {
                json!({"instance_number": r.instance_number, "status": r.status.as_u8()})
            }
            (TaskKind::DeleteObject { path }, Body::DeleteObjectResponse(st)) => {
                self.removed.push(path.clone());
                json!({ "status": st.as_u8() })
            }
            (TaskKind::Reboot, Body::RebootResponse) => json!({}),
            (TaskKind::FactoryReset, Body::FactoryResetResponse) => {
                self.device.provisioned_digest = None;
                self.device.provisioned_at = None;
                json!({})
            }
            (TaskKind::Download { .. }, Body::DownloadResponse(r))
            | (TaskKind::Upload { .. }, Body::UploadResponse(r)) => {
                let Some(result) = self.on_transfer_response(i, &r) else {
                    return;
                };
                result
            }
            (TaskKind::ScheduleDownload { .. }, Body::ScheduleDownloadResponse) => {
                // A.4.1.8: the transfer happens later, in a window; TransferComplete
                // (`M ScheduleDownload`) tells how it went.
                let t = &mut self.tasks[i];
                t.result = Some(json!({}));
                t.updated_at = self.now;
                self.awaiting.insert(i);
                return;
            }
            (
                TaskKind::GetParameterAttributes { .. },
                Body::GetParameterAttributesResponse(list),
            ) => {
                let list: Vec<_> = list
                    .iter()
                    .map(|a| {
                        json!({"name": a.name, "notification": a.notification.as_u8(),
                               "access_list": a.access_list})
                    })
                    .collect();
                json!({ "attributes": list })
            }
            (TaskKind::SetParameterAttributes { .. }, Body::SetParameterAttributesResponse) => {
                json!({})
            }
            (TaskKind::ScheduleInform { .. }, Body::ScheduleInformResponse) => json!({}),
            (TaskKind::GetRpcMethods, Body::GetRpcMethodsResponse(methods)) => {
                json!({ "methods": methods })
            }
            (TaskKind::GetAllQueuedTransfers, Body::GetAllQueuedTransfersResponse(list)) => {
                let list: Vec<_> = list
                    .iter()
                    .map(|q| {
                        json!({"command_key": q.command_key, "state": transfer_state(q.state),
                               "is_download": q.is_download, "file_type": q.file_type,
                               "file_size": q.file_size, "target_file_name": q.target_file_name})
                    })
                    .collect();
                json!({ "transfers": list })
            }
            (TaskKind::CancelTransfer { command_key }, Body::CancelTransferResponse) => {
                let cancelled = self.cancel_transfer(i, command_key);
                json!({ "cancelled_task": cancelled })
            }
            (_, other) => {
                let message = format!("unexpected {} to {}", other.method_name(), kind_name(&kind));
                self.task_fault(i, (0, message, Vec::new()));
                return;
            }
        };
        let t = &mut self.tasks[i];
        t.state = TaskState::Done;
        t.result = Some(result);
        t.fault = None;
        t.updated_at = self.now;
    }

    /// A DownloadResponse or UploadResponse (A.3.2.8, A.4.1.5): status 0 completes the
    /// task (its result is returned); status 1 leaves it in flight for its
    /// TransferComplete (`None`).
    fn on_transfer_response(
        &mut self,
        i: usize,
        r: &TransferResponse,
    ) -> Option<serde_json::Value> {
        let result = json!({
            "status": r.status.as_u8(),
            "start_time": r.start_time,
            "complete_time": r.complete_time,
        });
        if r.status == Status::Pending {
            let t = &mut self.tasks[i];
            t.result = Some(result);
            t.updated_at = self.now;
            self.awaiting.insert(i);
            return None;
        }
        Some(result)
    }

    /// A CancelTransfer the CPE accepted (A.4.1.9): the transfer task of that CommandKey,
    /// if it is one of ours and still open, is cancelled (no TransferComplete will come).
    /// Its id, if any.
    fn cancel_transfer(&mut self, by: usize, key: &str) -> Option<i64> {
        let key = key.trim();
        let j = self.tasks.iter().position(|t| {
            t.kind.is_transfer()
                && command_key(t) == key
                && matches!(
                    t.state,
                    TaskState::InFlight | TaskState::Queued | TaskState::Retrying
                )
        })?;
        self.touched.insert(j);
        self.awaiting.remove(&j);
        self.queue.retain(|&q| q != j);
        let by_id = self.tasks[by].id;
        let t = &mut self.tasks[j];
        let mut result = t.result.clone().unwrap_or_else(|| json!({}));
        result["cancelled_by"] = json!(by_id);
        t.result = Some(result);
        t.state = TaskState::Cancelled;
        t.updated_at = self.now;
        Some(t.id)
    }

    /// Records a fault on a task: retry with back-off, or fail.
    fn task_fault(&mut self, i: usize, (code, message, parameters): RpcFault) {
        self.touched.insert(i);
        self.awaiting.remove(&i);
        let now = self.now;
        let t = &mut self.tasks[i];
        let before = t.attempts;
        t.attempts = t.attempts.saturating_add(1);
        t.fault = Some(TaskFault {
            code,
            message,
            parameters,
        });
        t.updated_at = now;
        if is_permanent(code) || t.attempts >= self.cfg.max_attempts {
            self.mark_failed(i);
        } else {
            t.state = TaskState::Retrying;
            t.next_attempt_at = now.saturating_add(self.cfg.backoff(before));
        }
    }

    /// Fails a task without an attempt (nothing was sent).
    fn fail_now(&mut self, i: usize, (code, message, parameters): RpcFault) {
        let t = &mut self.tasks[i];
        t.fault = Some(TaskFault {
            code,
            message,
            parameters,
        });
        t.updated_at = self.now;
        self.mark_failed(i);
    }

    fn mark_failed(&mut self, i: usize) {
        let t = &mut self.tasks[i];
        t.state = TaskState::Failed;
        tracing::info!(device = %self.device.id, task = t.id, attempts = t.attempts, "task failed");
        self.device.open_faults = self.device.open_faults.saturating_add(1);
        self.new_faults += 1;
        let (code, message) = t
            .fault
            .as_ref()
            .map(|f| (f.code, f.message.clone()))
            .unwrap_or_default();
        let detail = json!({
            "task": t.id, "kind": kind_name(&t.kind), "attempts": t.attempts,
            "code": code, "message": message,
        });
        self.audit.push(provisioner_audit(
            &self.device.id,
            self.now,
            "task.failed",
            detail,
        ));
    }

    // ---- the cache ----------------------------------------------------------------------

    fn remember(&mut self, v: &ParameterValue, writable: Option<bool>) {
        if v.name.is_empty() || v.name.ends_with('.') || is_secret_name(&v.name) {
            return;
        }
        let writable = writable
            .or_else(|| self.seen.get(&v.name).and_then(|c| c.writable))
            .or_else(|| self.cache.get(&v.name).and_then(|c| c.writable));
        self.seen.insert(
            v.name.clone(),
            CachedParameter {
                name: v.name.clone(),
                value: v.value.clone(),
                xsd_type: format!("xsd:{}", v.kind.local_name()),
                writable,
                seen_at: self.now,
            },
        );
    }

    fn remember_name(&mut self, n: &ParameterInfo) {
        if n.name.is_empty() || n.name.ends_with('.') || is_secret_name(&n.name) {
            return;
        }
        let mut c = self
            .seen
            .get(&n.name)
            .or_else(|| self.cache.get(&n.name))
            .cloned()
            .unwrap_or_else(|| CachedParameter {
                name: n.name.clone(),
                value: String::new(),
                xsd_type: String::new(),
                writable: None,
                seen_at: self.now,
            });
        c.writable = Some(n.writable);
        self.seen.insert(n.name.clone(), c);
    }

    /// The call log read after calls: its recent calls by quality band, on the device
    /// record (the log itself is not cached). A CPE without one (9005) is left as it was.
    fn on_call_log(&mut self, body: Body) {
        match body {
            Body::GetParameterValuesResponse(values) => {
                let q = crate::calls::quality(
                    values.iter().map(|v| (v.name.as_str(), v.value.as_str())),
                    self.now,
                );
                self.device.calls_at = Some(self.now);
                self.device.calls_mos = q.mos;
                self.device.calls_jitter = q.jitter;
            }
            other => {
                tracing::info!(device = %self.device.id, answer = other.method_name(), "no call log");
            }
        }
    }

    // ---- the provisioning pass ----------------------------------------------------------

    fn start_pass(&mut self, task: usize) {
        let Some(plan) = &self.plan else {
            return;
        };
        let digest_ok = self.device.provisioned_digest.as_deref() == Some(plan.digest.as_str());
        self.touched.insert(task);
        let t = &mut self.tasks[task];
        t.state = TaskState::InFlight;
        t.updated_at = self.now;
        self.pass = Some(Pass {
            task,
            full: !digest_ok || self.info.is_bootstrap(),
            step: Step::Read,
            discovered: false,
            renames: Vec::new(),
            tables: Vec::new(),
            cursor: 0,
            adds: VecDeque::new(),
            adding: false,
            missing: Vec::new(),
            skipped: Vec::new(),
            added: Vec::new(),
            sets: Vec::new(),
            secrets: 0,
            status: 0,
            retried_set: false,
            watching: false,
        });
    }

    /// The pass's next RPC; `None` when it is over (its task settled).
    fn pass_rpc(&mut self) -> Option<Body> {
        let plan = self.plan.as_ref()?;
        let pass = self.pass.as_mut()?;
        loop {
            match pass.step {
                Step::Read => {
                    let names = read_names(plan, pass);
                    if names.is_empty() {
                        // Nothing of the plan exists on this CPE.
                        pass.skipped = plan.parameters.iter().map(|p| p.name.clone()).collect();
                        pass.step = Step::Done;
                        continue;
                    }
                    return Some(Body::GetParameterValues(names));
                }
                Step::Discover => {
                    if let Some((_, _, table)) = pass.adds.front() {
                        pass.adding = true;
                        return Some(Body::AddObject(AddObject {
                            object_name: table.clone(),
                            parameter_key: parameter_key(plan),
                        }));
                    }
                    while pass.cursor < pass.tables.len() {
                        let table = pass.tables[pass.cursor].0.clone();
                        if pass.missing.iter().any(|m| table.starts_with(m.as_str())) {
                            pass.cursor += 1;
                            continue;
                        }
                        pass.adding = false;
                        return Some(Body::GetParameterNames(GetParameterNames {
                            parameter_path: rename(&pass.renames, &table),
                            next_level: true,
                        }));
                    }
                    pass.discovered = true;
                    pass.step = Step::Read;
                }
                Step::Set => {
                    return Some(Body::SetParameterValues(SetParameterValues {
                        parameters: pass.sets.clone(),
                        parameter_key: parameter_key(plan),
                    }))
                }
                Step::Watch => {
                    // Registration changes at once (active), calls with the next Inform
                    // (passive: then the session reads the call log).
                    let list: Vec<SetParameterAttributesStruct> = self
                        .seen
                        .keys()
                        .filter_map(|n| {
                            if crate::lines::is_line_status(n) {
                                Some((n, Notification::Active))
                            } else if crate::calls::is_call_counter(n) {
                                Some((n, Notification::Passive))
                            } else {
                                None
                            }
                        })
                        .map(|(n, notification)| SetParameterAttributesStruct {
                            name: n.clone(),
                            notification_change: true,
                            notification,
                            access_list_change: false,
                            access_list: Vec::new(),
                        })
                        .collect();
                    if list.is_empty() {
                        pass.step = Step::Done;
                        continue;
                    }
                    return Some(Body::SetParameterAttributes(list));
                }
                Step::Done => break,
            }
        }
        self.finish_pass();
        None
    }

    fn on_pass_response(&mut self, body: Body) {
        let Some(step) = self.pass.as_ref().map(|p| p.step) else {
            return;
        };
        match (step, body) {
            (Step::Read, Body::GetParameterValuesResponse(values)) => {
                for v in &values {
                    self.remember(v, None);
                }
                self.compare(&values);
            }
            (Step::Read, Body::Fault(f))
                if f.code() == Some(FaultCode::INVALID_PARAMETER_NAME)
                    && self.pass.as_ref().is_some_and(|p| !p.discovered) =>
            {
                self.begin_discovery();
            }
            (Step::Discover, Body::GetParameterNamesResponse(names)) => {
                for n in &names {
                    self.remember_name(n);
                }
                self.on_table(&names);
            }
            (Step::Discover, Body::Fault(f))
                if f.code() == Some(FaultCode::INVALID_PARAMETER_NAME)
                    && self.pass.as_ref().is_some_and(|p| !p.adding) =>
            {
                // The CPE has no such table: its parameters are skipped.
                if let Some(p) = self.pass.as_mut() {
                    let table = p.tables[p.cursor].0.clone();
                    p.missing.push(table);
                    p.cursor += 1;
                }
            }
            (Step::Discover, Body::AddObjectResponse(r)) => {
                if let Some(p) = self.pass.as_mut() {
                    if let Some((table, wanted, actual)) = p.adds.pop_front() {
                        let path = format!("{actual}{}.", r.instance_number);
                        p.renames.push((format!("{table}{wanted}."), path.clone()));
                        p.added.push(path);
                    }
                }
            }
            (Step::Set, Body::SetParameterValuesResponse(st)) => {
                let names: Vec<(String, String, ValueType)> = self
                    .pass
                    .as_ref()
                    .map(|p| {
                        p.sets
                            .iter()
                            .map(|v| (v.name.clone(), v.value.clone(), v.kind.clone()))
                            .collect()
                    })
                    .unwrap_or_default();
                for (name, value, kind) in names {
                    self.remember(&ParameterValue::new(name, value, kind), None);
                }
                if let Some(p) = self.pass.as_mut() {
                    p.status = st.as_u8();
                    p.step = p.after_set();
                }
            }
            (Step::Set, Body::Fault(f)) => self.on_set_fault(&f),
            (Step::Watch, Body::SetParameterAttributesResponse) => {
                if let Some(p) = self.pass.as_mut() {
                    p.watching = true;
                    p.step = Step::Done;
                }
            }
            // A CPE that will not notify is still provisioned; its line status is only as
            // fresh as its last read.
            (Step::Watch, Body::Fault(_)) => {
                if let Some(p) = self.pass.as_mut() {
                    p.step = Step::Done;
                }
            }
            (_, Body::Fault(f)) => self.pass_fault(fault_of(&f)),
            (_, other) => {
                let message = format!(
                    "unexpected {} in the provisioning pass",
                    other.method_name()
                );
                self.pass_fault((0, message, Vec::new()));
            }
        }
    }

    /// A refused SetParameterValues: when every parameter in error is one the CPE does not
    /// have (9005) or will not let the ACS write (9008), those are skipped and the rest is
    /// sent once more; any other fault fails the pass.
    fn on_set_fault(&mut self, f: &Fault) {
        let fault = fault_of(f);
        let Some(p) = self.pass.as_mut() else {
            return;
        };
        let refused: Vec<String> = fault.2.iter().map(|(n, _, _)| n.clone()).collect();
        let only_unsettable =
            !refused.is_empty() && fault.2.iter().all(|(_, c, _)| matches!(c, 9005 | 9008));
        if p.retried_set || !only_unsettable {
            self.pass_fault(fault);
            return;
        }
        p.retried_set = true;
        let before = p.sets.len();
        p.sets.retain(|v| !refused.contains(&v.name));
        if p.sets.len() == before {
            // The fault names parameters we did not send: nothing to learn from it.
            self.pass_fault(fault);
            return;
        }
        p.secrets = p.sets.iter().filter(|v| is_secret_name(&v.name)).count();
        p.skipped.extend(refused);
        p.step = if p.sets.is_empty() {
            p.after_set()
        } else {
            Step::Set
        };
    }

    fn begin_discovery(&mut self) {
        let Some(plan) = &self.plan else {
            return;
        };
        let Some(p) = self.pass.as_mut() else {
            return;
        };
        let mut tables: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for inst in &plan.instances {
            let trimmed = inst.trim_end_matches('.');
            if let Some((table, n)) = trimmed.rsplit_once('.') {
                if let Ok(n) = n.parse::<u32>() {
                    tables.entry(format!("{table}.")).or_default().push(n);
                }
            }
        }
        let mut tables: Vec<(String, Vec<u32>)> = tables
            .into_iter()
            .map(|(t, mut v)| {
                v.sort_unstable();
                v.dedup();
                (t, v)
            })
            .collect();
        tables.sort_by(|a, b| depth(&a.0).cmp(&depth(&b.0)).then_with(|| a.0.cmp(&b.0)));
        p.tables = tables;
        p.cursor = 0;
        p.step = Step::Discover;
    }

    /// A table's GetParameterNames answer: map the planned instances onto those that
    /// exist, in order; AddObject the rest.
    fn on_table(&mut self, names: &[ParameterInfo]) {
        let Some(p) = self.pass.as_mut() else {
            return;
        };
        let Some((table, wanted)) = p.tables.get(p.cursor).cloned() else {
            return;
        };
        p.cursor += 1;
        let actual = rename(&p.renames, &table);
        let mut existing: Vec<u32> = names
            .iter()
            .filter_map(|n| {
                let rest = n.name.strip_prefix(actual.as_str())?;
                let num = rest.strip_suffix('.')?;
                if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                num.parse::<u32>().ok()
            })
            .collect();
        existing.sort_unstable();
        existing.dedup();
        for (k, w) in wanted.iter().enumerate() {
            match existing.get(k) {
                Some(e) => p
                    .renames
                    .push((format!("{table}{w}."), format!("{actual}{e}."))),
                None => p.adds.push_back((table.clone(), *w, actual.clone())),
            }
        }
    }

    /// Compare a read with the plan: what to set, what the CPE lacks.
    fn compare(&mut self, values: &[ParameterValue]) {
        let Some(plan) = &self.plan else {
            return;
        };
        let Some(p) = self.pass.as_mut() else {
            return;
        };
        let got: HashMap<&str, &ParameterValue> =
            values.iter().map(|v| (v.name.as_str(), v)).collect();
        // An instance the plan needs that the answer does not show: look them up once.
        if !p.discovered {
            let absent = plan.instances.iter().any(|inst| {
                let actual = rename(&p.renames, inst);
                !values.iter().any(|v| v.name.starts_with(actual.as_str()))
            });
            if absent {
                self.begin_discovery();
                return;
            }
        }
        p.sets.clear();
        p.skipped.clear();
        p.secrets = 0;
        for want in &plan.parameters {
            if p.missing.iter().any(|m| want.name.starts_with(m.as_str())) {
                p.skipped.push(want.name.clone());
                continue;
            }
            let name = rename(&p.renames, &want.name);
            let Some(have) = got.get(name.as_str()) else {
                p.skipped.push(want.name.clone());
                continue;
            };
            let push = if want.secret {
                p.full
            } else {
                !same_value(&have.value, &want.value, &want.kind)
            };
            if push {
                let kind = if have.kind != ValueType::String {
                    have.kind.clone()
                } else {
                    want.kind.clone()
                };
                if want.secret {
                    p.secrets += 1;
                }
                p.sets
                    .push(ParameterValue::new(name, want.value.clone(), kind));
            }
        }
        p.step = if p.sets.is_empty() {
            p.after_set()
        } else {
            Step::Set
        };
    }

    /// The pass completed: its task is done, the device provisioned.
    fn finish_pass(&mut self) {
        let (Some(plan), Some(p)) = (self.plan.as_ref(), self.pass.take()) else {
            return;
        };
        if !plan.parameters.is_empty() && p.skipped.len() >= plan.parameters.len() {
            let fault = (
                FaultCode::INVALID_PARAMETER_NAME.0,
                "the CPE has none of the plan's parameters".to_string(),
                Vec::new(),
            );
            self.task_fault(p.task, fault);
            return;
        }
        let changed: Vec<&str> = p
            .sets
            .iter()
            .filter(|v| !is_secret_name(&v.name))
            .map(|v| v.name.as_str())
            .collect();
        let result = json!({
            "digest": plan.digest,
            "changed": changed,
            "secrets": p.secrets,
            "added": p.added,
            "skipped": p.skipped,
            "status": p.status,
            "watching_lines": p.watching,
        });
        tracing::info!(
            device = %self.device.id,
            changed = changed.len(),
            secrets = p.secrets,
            skipped = p.skipped.len(),
            "provisioned"
        );
        self.device.provisioned_digest = Some(plan.digest.clone());
        self.device.provisioned_at = Some(self.now);
        self.provisioned = Some(plan.digest.clone());
        if !p.sets.is_empty() || !p.added.is_empty() {
            let detail = json!({
                "digest": plan.digest, "changed": changed.len(), "secrets": p.secrets,
                "added": p.added, "skipped": p.skipped.len(),
            });
            self.audit.push(provisioner_audit(
                &self.device.id,
                self.now,
                "device.provisioned",
                detail,
            ));
        }
        let t = &mut self.tasks[p.task];
        t.state = TaskState::Done;
        t.fault = None;
        t.result = Some(result);
        t.updated_at = self.now;
    }

    fn pass_fault(&mut self, fault: RpcFault) {
        if let Some(p) = self.pass.take() {
            self.task_fault(p.task, fault);
        }
    }
}

/// The objects to read: with instances unknown, the parents of the planned parameters;
/// once looked up, each instance that holds a planned parameter, as a whole. Objects
/// inside another listed object are left out.
fn read_names(plan: &ProvisionPlan, pass: &Pass) -> Vec<String> {
    let mut objects = BTreeSet::new();
    for want in &plan.parameters {
        if pass
            .missing
            .iter()
            .any(|m| want.name.starts_with(m.as_str()))
        {
            continue;
        }
        let name = rename(&pass.renames, &want.name);
        let object = if pass.discovered {
            crate::provision::instance_prefixes(&name).pop()
        } else {
            name.rfind('.').map(|i| name[..=i].to_string())
        };
        if let Some(o) = object {
            objects.insert(o);
        }
    }
    let all: Vec<String> = objects.into_iter().collect();
    all.iter()
        .filter(|o| {
            !all.iter()
                .any(|other| other != *o && o.starts_with(other.as_str()))
        })
        .cloned()
        .collect()
}

/// A planned name on the CPE: the longest renamed instance prefix replaced.
fn rename(renames: &[(String, String)], name: &str) -> String {
    let best = renames
        .iter()
        .filter(|(from, _)| name.starts_with(from.as_str()))
        .max_by_key(|(from, _)| from.len());
    match best {
        Some((from, to)) => format!("{to}{}", &name[from.len()..]),
        None => name.to_string(),
    }
}

fn parameter_key(plan: &ProvisionPlan) -> String {
    format!("prov-{}", &plan.digest[..plan.digest.len().min(16)])
}

/// The CommandKey / ParameterKey of a task's RPC.
pub fn command_key(task: &Task) -> String {
    format!("task-{}", task.id)
}

/// The name of a task's kind: its serde tag (`"get_parameter_attributes"`, ...), for
/// audit records and logs.
pub fn kind_name(kind: &TaskKind) -> &'static str {
    match kind {
        TaskKind::GetParameterValues { .. } => "get_parameter_values",
        TaskKind::SetParameterValues { .. } => "set_parameter_values",
        TaskKind::GetParameterNames { .. } => "get_parameter_names",
        TaskKind::AddObject { .. } => "add_object",
        TaskKind::DeleteObject { .. } => "delete_object",
        TaskKind::Reboot => "reboot",
        TaskKind::FactoryReset => "factory_reset",
        TaskKind::Download { .. } => "download",
        TaskKind::Provision => "provision",
        TaskKind::GetParameterAttributes { .. } => "get_parameter_attributes",
        TaskKind::SetParameterAttributes { .. } => "set_parameter_attributes",
        TaskKind::Upload { .. } => "upload",
        TaskKind::ScheduleInform { .. } => "schedule_inform",
        TaskKind::GetRpcMethods => "get_rpc_methods",
        TaskKind::GetAllQueuedTransfers => "get_all_queued_transfers",
        TaskKind::CancelTransfer { .. } => "cancel_transfer",
        TaskKind::ScheduleDownload { .. } => "schedule_download",
    }
}

/// The fault of a task whose arguments no CPE may accept (9003, nothing sent).
fn not_sent(why: String) -> RpcFault {
    (
        FaultCode::INVALID_ARGUMENTS.0,
        format!("not sent: {why}"),
        Vec::new(),
    )
}

/// A queued transfer's state as the result names it (Annex A.4.1.1: 1, 2, 3).
fn transfer_state(s: TransferState) -> &'static str {
    match s {
        TransferState::NotStarted => "not_started",
        TransferState::InProgress => "in_progress",
        TransferState::Completed => "completed",
    }
}

/// ScheduleDownload's windows (Annex A.4.1.8): one or two, each ending no earlier than
/// it starts, the second starting no earlier than the first ends.
fn check_windows(windows: &[crate::model::TimeWindow]) -> Result<(), String> {
    if windows.is_empty() || windows.len() > 2 {
        return Err(format!(
            "ScheduleDownload takes 1 or 2 time windows, not {}",
            windows.len()
        ));
    }
    for (k, w) in windows.iter().enumerate() {
        if w.window_end < w.window_start {
            return Err(format!("time window {k} ends before it starts"));
        }
        if w.max_retries < -1 {
            return Err(format!(
                "time window {k}: max_retries {} is below -1",
                w.max_retries
            ));
        }
    }
    if let [a, b] = windows {
        if b.window_start < a.window_end {
            return Err("the second time window overlaps or precedes the first".into());
        }
    }
    Ok(())
}

fn provisioner_audit(
    device: &str,
    now: i64,
    action: &str,
    detail: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        id: 0,
        at: now,
        actor: "provisioner".into(),
        action: action.into(),
        target: device.into(),
        detail,
    }
}

/// A CPE fault as a task records it.
fn fault_of(f: &Fault) -> RpcFault {
    match &f.cwmp {
        Some(c) => (
            c.code.0,
            if c.string.is_empty() {
                c.code.text().to_string()
            } else {
                c.string.clone()
            },
            c.set_parameter_values_faults
                .iter()
                .map(|p| {
                    (
                        p.parameter_name.clone(),
                        p.fault_code.0,
                        p.fault_string.clone(),
                    )
                })
                .collect(),
        ),
        None => (
            0,
            format!("SOAP fault {}: {}", f.soap_code.as_str(), f.soap_string),
            Vec::new(),
        ),
    }
}

/// Faults that no retry will mend.
fn is_permanent(code: u32) -> bool {
    matches!(
        code,
        9000 | 9001 | 9003 | 9005..=9009 | 9018 | 9019 | 9021..=9026 | 9028..=9032
    )
}

/// Two values of a type compared by meaning (`1` and `true`, ` 5` and `5`).
pub(crate) fn same_value(a: &str, b: &str, kind: &ValueType) -> bool {
    let bool_of = |s: &str| match s.trim() {
        "1" => Some(true),
        "0" => Some(false),
        t if t.eq_ignore_ascii_case("true") => Some(true),
        t if t.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    };
    match kind {
        ValueType::Boolean => match (bool_of(a), bool_of(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a.trim() == b.trim(),
        },
        ValueType::Int | ValueType::UnsignedInt | ValueType::Long | ValueType::UnsignedLong => {
            match (a.trim().parse::<i128>(), b.trim().parse::<i128>()) {
                (Ok(x), Ok(y)) => x == y,
                _ => a.trim() == b.trim(),
            }
        }
        _ => a == b || a.trim() == b.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kind names (audit records) are the serde tags of the task JSON.
    #[test]
    fn kind_names_are_the_serde_tags() {
        use crate::model::{AttributeChange, TimeWindow};
        let all = [
            TaskKind::GetParameterValues { names: Vec::new() },
            TaskKind::SetParameterValues { values: Vec::new() },
            TaskKind::GetParameterNames {
                path: String::new(),
                next_level: true,
            },
            TaskKind::AddObject { path: "A.".into() },
            TaskKind::DeleteObject {
                path: "A.1.".into(),
            },
            TaskKind::Reboot,
            TaskKind::FactoryReset,
            TaskKind::Download {
                file_type: String::new(),
                url: String::new(),
                file_size: 0,
                target_file_name: String::new(),
            },
            TaskKind::Provision,
            TaskKind::GetParameterAttributes { names: Vec::new() },
            TaskKind::SetParameterAttributes {
                attributes: vec![AttributeChange {
                    name: "A.b".into(),
                    notification: None,
                    access_list: None,
                }],
            },
            TaskKind::Upload {
                file_type: String::new(),
                url: String::new(),
                username: None,
                password: None,
            },
            TaskKind::ScheduleInform { delay_seconds: 1 },
            TaskKind::GetRpcMethods,
            TaskKind::GetAllQueuedTransfers,
            TaskKind::CancelTransfer {
                command_key: String::new(),
            },
            TaskKind::ScheduleDownload {
                file_type: String::new(),
                url: String::new(),
                file_size: 0,
                target_file_name: String::new(),
                time_windows: vec![TimeWindow {
                    window_start: 0,
                    window_end: 1,
                    window_mode: String::new(),
                    user_message: String::new(),
                    max_retries: -1,
                }],
                username: None,
                password: None,
            },
        ];
        for kind in &all {
            let tag = serde_json::to_value(kind).unwrap()["kind"].clone();
            assert_eq!(tag, kind_name(kind), "{kind:?}");
        }
    }

    /// TR-069 Amendment 6 Annex A.4.1.8: one or two windows, each WindowEnd not before
    /// its WindowStart, the second after the first, MaxRetries -1 or more.
    #[test]
    fn schedule_download_windows() {
        let w = |s, e| crate::model::TimeWindow {
            window_start: s,
            window_end: e,
            window_mode: "1 At Any Time".into(),
            user_message: String::new(),
            max_retries: -1,
        };
        assert!(check_windows(&[w(0, 0)]).is_ok());
        assert!(check_windows(&[w(0, 10), w(10, 20)]).is_ok());
        assert!(check_windows(&[]).is_err());
        assert!(check_windows(&[w(0, 1), w(2, 3), w(4, 5)]).is_err());
        assert!(check_windows(&[w(5, 4)]).is_err());
        assert!(check_windows(&[w(0, 10), w(9, 20)]).is_err());
        assert!(check_windows(&[w(10, 20), w(0, 5)]).is_err());
        let mut bad = w(0, 1);
        bad.max_retries = -2;
        assert!(check_windows(&[bad]).is_err());
    }

    /// Exponential back-off with a cap.
    #[test]
    fn backoff_doubles_and_caps() {
        let c = AcsConfig {
            retry_base_s: 60,
            retry_max_s: 600,
            ..AcsConfig::default()
        };
        assert_eq!(c.backoff(0), 60);
        assert_eq!(c.backoff(1), 120);
        assert_eq!(c.backoff(3), 480);
        assert_eq!(c.backoff(4), 600);
        assert_eq!(c.backoff(200), 600);
    }

    /// TR-069 Amendment 6 Annex A.5.1: which CPE faults a retry cannot mend.
    #[test]
    fn permanent_and_transient_faults() {
        for c in [9000, 9001, 9003, 9005, 9006, 9007, 9008, 9018, 9019] {
            assert!(is_permanent(c), "{c}");
        }
        for c in [0, 9002, 9004, 9010, 9011, 9015, 9017, 9020, 9027, 9850] {
            assert!(!is_permanent(c), "{c}");
        }
    }

    /// TR-069 Amendment 6 Annex A.2.1: boolean and integer lexical forms.
    #[test]
    fn values_compare_by_type() {
        assert!(same_value("1", "true", &ValueType::Boolean));
        assert!(same_value("False", "0", &ValueType::Boolean));
        assert!(!same_value("1", "false", &ValueType::Boolean));
        assert!(same_value(" 5060", "5060", &ValueType::UnsignedInt));
        assert!(!same_value("5061", "5060", &ValueType::UnsignedInt));
        assert!(same_value("pbx ", "pbx", &ValueType::String));
        assert!(!same_value("Pbx", "pbx", &ValueType::String));
    }

    #[test]
    fn renames_take_the_longest_prefix() {
        let r = vec![
            ("A.VP.1.".to_string(), "A.VP.3.".to_string()),
            ("A.VP.1.Line.2.".to_string(), "A.VP.3.Line.5.".to_string()),
        ];
        assert_eq!(rename(&r, "A.VP.1.Line.2.Enable"), "A.VP.3.Line.5.Enable");
        assert_eq!(
            rename(&r, "A.VP.1.SIP.ProxyServer"),
            "A.VP.3.SIP.ProxyServer"
        );
        assert_eq!(rename(&r, "B.x"), "B.x");
    }
}

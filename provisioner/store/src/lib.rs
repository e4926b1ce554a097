//! `tipring-store`: where the provisioner keeps everything — devices and their cached
//! parameters, tasks, sites, profiles, enrollment (pre-registrations and claim codes),
//! sealed per-device secrets, API tokens and the audit log.
//!
//! * [`Store`] is the contract: reads, and [`Store::apply`], which writes a batch of
//!   [`Write`]s in one transaction (a session's whole outcome lands, or none of it does).
//! * [`SqliteStore`] is the embedded backend: one SQLite file in WAL mode, migrations
//!   embedded in the crate and applied on open, one writer and a small pool of readers
//!   (reads never wait for a write in progress).
//! * [`PgStore`] is the PostgreSQL backend, for several provisioner nodes on one database:
//!   the same schema and behaviour, a small connection pool, tasks claimed with
//!   `FOR UPDATE SKIP LOCKED` ([`Store::claim_due_tasks`]). [`open`] picks the backend from
//!   a URL (`postgres://...`, `sqlite:PATH` or a plain path).
//! * [`Sealer`] seals per-device secrets (SIP passwords, ACS credentials) with AES-256-GCM
//!   under a key kept in a file outside the database; the store only sees sealed bytes.
//!
//! Calls block; async callers use `tokio::task::spawn_blocking`. Times are Unix seconds
//! passed in by the caller: the store reads no clock. The one source of randomness is the
//! operating system's, in [`Sealer`] only (its key and its AES-GCM nonces must be
//! unpredictable, so a seeded generator will not do).
//!
//! The schema is in `migrations/NNNN_*.sql` (SQLite) and `migrations/pg/NNNN_*.sql`
//! (PostgreSQL, the same steps), embedded at build time; `schema_version` records the steps
//! applied, and a database from a newer build is refused ([`Error::TooNew`]).
//!
//! ```
//! use tipring_acs::model::{AuditEntry, Device, DeviceKey, Enrollment, Task, TaskKind, TaskState};
//! use tipring_store::{Sealer, SqliteStore, Store, TaskFilter, Write};
//!
//! let store = SqliteStore::open_in_memory()?; // SqliteStore::open("/var/lib/tipring/store.sqlite")
//! let sealer = Sealer::from_key(&[7; 32]); // Sealer::load_or_create(path) in production
//! let now = 1_700_000_000;
//!
//! let key = DeviceKey { oui: "00D09E".into(), product_class: "FXS4".into(), serial: "S1".into() };
//! let mut device = Device::new(key, now);
//! device.enrollment = Enrollment::Approved;
//! let reboot = Task {
//!     id: 0, // 0: insert; apply returns the new id
//!     device: device.id.clone(),
//!     kind: TaskKind::Reboot,
//!     state: TaskState::Queued,
//!     attempts: 0,
//!     next_attempt_at: now,
//!     fault: None,
//!     result: None,
//!     created_at: now,
//!     created_by: "admin".into(),
//!     updated_at: now,
//! };
//! let ids = store.apply(vec![
//!     Write::PutDevice(device.clone()),
//!     Write::PutSecret {
//!         device: device.id.clone(),
//!         name: "ports.1.password".into(),
//!         sealed: sealer.seal(&device.id, "ports.1.password", "s3cret!"),
//!     },
//!     Write::PutTask(reboot),
//!     Write::Audit(AuditEntry {
//!         id: 0,
//!         at: now,
//!         actor: "admin".into(),
//!         action: "task.queue".into(),
//!         target: device.id.clone(),
//!         detail: serde_json::json!({ "kind": "reboot" }),
//!     }),
//! ])?;
//! assert_eq!(ids.len(), 2); // the task's id, then the audit record's
//!
//! assert_eq!(store.device(&device.id)?, Some(device.clone()));
//! assert_eq!(store.due_tasks(&device.id, now)?[0].id, ids[0]);
//! let sealed = store.secret(&device.id, "ports.1.password")?.expect("stored");
//! assert_eq!(sealer.open(&device.id, "ports.1.password", &sealed)?.as_str(), "s3cret!");
//! let filter = TaskFilter { device: Some(device.id.clone()), ..TaskFilter::default() };
//! assert_eq!(store.tasks(&filter)?.len(), 1);
//! # Ok::<(), tipring_store::Error>(())
//! ```

#![forbid(unsafe_code)]

mod codec;
mod error;
mod migrate;
mod pg;
mod rollouts;
mod seal;
mod sqlite;

pub use error::{Error, Result};
pub use migrate::SCHEMA_VERSION;
pub use pg::{PgStore, PG_CONNECTIONS};
pub use seal::{Sealer, KEY_LEN, OVERHEAD};
pub use sqlite::{SqliteStore, BUSY_TIMEOUT, READERS};

/// Open the store a URL names (the provisioner's `--store` setting):
///
/// * `postgres://...` or `postgresql://...`: a [`PgStore`] (several nodes on one database);
/// * `sqlite:PATH` (or `sqlite://PATH`), or a plain path: a [`SqliteStore`].
///
/// Any other `scheme://` is [`Error::Url`]. Either way the schema is brought up to date
/// (or a newer one refused with [`Error::TooNew`]).
///
/// ```no_run
/// let store = tipring_store::open("postgres://tipring@db.example.net/tipring")?;
/// let local = tipring_store::open("sqlite:/var/lib/tipring/store.sqlite")?;
/// # Ok::<(), tipring_store::Error>(())
/// ```
pub fn open(url: &str) -> Result<Box<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Box::new(PgStore::open(url)?));
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    if url == path && url.contains("://") {
        return Err(Error::Url(format!(
            "{}: not postgres://, postgresql:// or sqlite:",
            url.split("://").next().unwrap_or(url)
        )));
    }
    if path.is_empty() {
        return Err(Error::Url(format!("{url}: no path")));
    }
    Ok(Box::new(SqliteStore::open(path)?))
}

use tipring_acs::model::{
    AuditEntry, CachedParameter, ClaimCode, Device, Enrollment, Preregistration, Profile, Role,
    Site, Task, TaskState,
};
use tipring_acs::rollout::{DeviceState, Outcome, Record, Summary};

/// The number of rows a listing returns when its filter's limit is 0.
pub const DEFAULT_LIMIT: u32 = 100;
/// The most rows a listing returns, whatever its filter asks.
pub const MAX_LIMIT: u32 = 1000;

/// An API token as stored: only a hash of the token.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApiToken {
    /// Unique name (the actor in the audit log).
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// SHA-256 (hex) of the token.
    pub token_sha256: String,
    /// Made when (Unix seconds).
    pub created_at: i64,
    /// Revoked when, if it is.
    pub revoked_at: Option<i64>,
}

/// Which devices a listing wants (every field narrows; None/empty: any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceFilter {
    /// In this site.
    pub site: Option<String>,
    /// Carrying this tag.
    pub tag: Option<String>,
    /// In this enrollment state.
    pub enrollment: Option<Enrollment>,
    /// Of this model.
    pub model: Option<String>,
    /// Running this software version.
    pub software_version: Option<String>,
    /// Id contains this text (SQL `LIKE` with `%`, `_` and `\` escaped, so they match
    /// only themselves; ASCII letters match either case).
    pub text: Option<String>,
    /// With open faults only.
    pub faulted: bool,
    /// Serial starts with this (exactly, case and all; an index range).
    pub serial_prefix: Option<String>,
    /// Online or offline at a time ([`Presence`]).
    pub presence: Option<Presence>,
    /// With at least one voice line not registered.
    pub lines_down: bool,
    /// The order (then by id, so pages never overlap).
    pub sort: DeviceSort,
    /// Largest first.
    pub descending: bool,
    /// At most this many (0: a default of 100; capped at 1000).
    pub limit: u32,
    /// Skip this many (in the sort order).
    pub offset: u32,
}

/// Online or offline: a device is online at `now` while its last Inform is no older than
/// its periodic inform interval (`inform_interval_s`, else `default_interval_s`) plus a
/// grace of a tenth of it and 30 s (an Inform is a little late, a session takes a while).
/// Never seen: offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presence {
    /// Online (else offline).
    pub online: bool,
    /// Now, Unix seconds.
    pub now: i64,
    /// The interval of a device that has not told its own.
    pub default_interval_s: u32,
}

impl Presence {
    /// Whether a device is online by this rule (the SQL the stores run says the same).
    pub fn is_online(device: &Device, now: i64, default_interval_s: u32) -> bool {
        let iv = i64::from(device.inform_interval_s.unwrap_or(default_interval_s));
        device
            .last_inform
            .is_some_and(|t| t >= now - (iv * 11 / 10 + 30))
    }
}

/// How a device listing is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum DeviceSort {
    /// By id (OUI-ProductClass-Serial).
    #[default]
    Id,
    /// By serial number.
    Serial,
    /// By last Inform (never seen first).
    LastInform,
    /// By model.
    Model,
    /// By software version (as text).
    SoftwareVersion,
    /// By site (none first).
    Site,
    /// By open faults.
    Faults,
    /// By voice lines not registered.
    LinesDown,
}

impl DeviceSort {
    /// Every order, with its API name.
    pub const ALL: &'static [(&'static str, DeviceSort)] = &[
        ("id", DeviceSort::Id),
        ("serial", DeviceSort::Serial),
        ("last_inform", DeviceSort::LastInform),
        ("model", DeviceSort::Model),
        ("software_version", DeviceSort::SoftwareVersion),
        ("site", DeviceSort::Site),
        ("faults", DeviceSort::Faults),
        ("lines_down", DeviceSort::LinesDown),
    ];

    /// The ORDER BY expression (without the direction), the same on both engines.
    pub(crate) fn column(self) -> &'static str {
        match self {
            DeviceSort::Id => "id",
            DeviceSort::Serial => "serial",
            DeviceSort::LastInform => "last_inform",
            DeviceSort::Model => "model",
            DeviceSort::SoftwareVersion => "software_version",
            DeviceSort::Site => "COALESCE(site, '')",
            DeviceSort::Faults => "open_faults",
            DeviceSort::LinesDown => "(lines - lines_up)",
        }
    }
}

impl DeviceFilter {
    /// ` ORDER BY ...` for this filter's sort.
    pub(crate) fn order_by(&self) -> String {
        let dir = if self.descending { "DESC" } else { "ASC" };
        match self.sort {
            DeviceSort::Id => format!(" ORDER BY id {dir}"),
            // Never seen first (ascending), as both engines' indexes hold them.
            DeviceSort::LastInform => {
                let nulls = if self.descending { "LAST" } else { "FIRST" };
                format!(" ORDER BY last_inform {dir} NULLS {nulls}, id {dir}")
            }
            s => format!(" ORDER BY {} {dir}, id {dir}", s.column()),
        }
    }
}

/// The fleet in numbers, for the console's overview.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FleetStats {
    /// Every device known.
    pub devices: u64,
    /// Waiting for approval.
    pub pending: u64,
    /// Approved.
    pub approved: u64,
    /// Rejected.
    pub rejected: u64,
    /// Approved and online ([`Presence`]).
    pub online: u64,
    /// Approved and not online.
    pub offline: u64,
    /// With open faults.
    pub faulted: u64,
    /// Voice lines across the fleet (as last seen).
    pub lines: u64,
    /// Of which registered.
    pub lines_up: u64,
    /// Devices with at least one line not registered.
    pub devices_lines_down: u64,
    /// Calls of the last day per MOS-LQ band: good, fair, poor, bad
    /// ([`tipring_acs::calls::MOS_BANDS`]), as the devices' call logs showed them.
    pub calls_mos: [u64; 4],
    /// The same calls per mean-jitter band ([`tipring_acs::calls::JITTER_BANDS`]).
    pub calls_jitter: [u64; 4],
    /// Approved devices per model and software version, most first.
    pub versions: Vec<VersionCount>,
}

/// How many approved devices of a model run a version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VersionCount {
    /// Model.
    pub model: String,
    /// Software version.
    pub software_version: String,
    /// How many.
    pub devices: u64,
}

/// Which tasks a listing wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFilter {
    /// Of this device.
    pub device: Option<String>,
    /// In this state.
    pub state: Option<TaskState>,
    /// At most this many (0: 100; capped at 1000), newest first.
    pub limit: u32,
}

/// Which audit records a listing wants, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// By this actor.
    pub actor: Option<String>,
    /// On this target.
    pub target: Option<String>,
    /// This action.
    pub action: Option<String>,
    /// At or after (Unix seconds).
    pub since: Option<i64>,
    /// At most this many (0: 100; capped at 1000).
    pub limit: u32,
}

/// One write. A [`Store::apply`] carries several; they happen together or not at all.
///
/// "Insert or replace" is an update in place when the key exists (never a delete and
/// re-insert: replacing a device keeps its parameters, tasks and secrets). A write naming
/// a device, site, task, profile, pre-registration or claim code that does not exist fails
/// with [`Error::NotFound`] as noted on each variant.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// Insert or replace a device (by id). Its site, when it names one, must exist
    /// ([`Error::NotFound`] otherwise): [`Write::DeleteSite`] relies on it.
    PutDevice(Device),
    /// Remove a device with its parameters, tasks and secrets ([`Error::NotFound`] if
    /// there is no such device). Claim codes it used keep its id.
    DeleteDevice(String),
    /// Insert or replace cached parameters of a device (the device must exist).
    PutParameters {
        /// Device id.
        device: String,
        /// Values seen.
        parameters: Vec<CachedParameter>,
    },
    /// Forget a device's cached parameters under a prefix (a GetParameterNames showed them
    /// gone, a DeleteObject removed them). The prefix is matched exactly, character by
    /// character (no wildcards); an empty prefix forgets them all; none matching is fine.
    DeleteParameters {
        /// Device id.
        device: String,
        /// Name prefix (`...Line.3.`).
        prefix: String,
    },
    /// Insert a task (id 0) or update it (by id). [`Store::apply`] returns new ids in order.
    /// Its device must exist; an id other than 0 that names no task is [`Error::NotFound`].
    /// Task ids are never reused.
    PutTask(Task),
    /// Insert or replace a site.
    PutSite(Site),
    /// Remove a site (refused with [`Error::InUse`] while devices or claims name it — or
    /// pre-registrations: a device admitted from one joins its site; [`Error::NotFound`] if
    /// there is no such site).
    DeleteSite(String),
    /// Insert or replace a profile.
    PutProfile(Profile),
    /// Remove a profile ([`Error::NotFound`] if there is none).
    DeleteProfile(String),
    /// Insert or replace a pre-registration (by serial, oui, product class). Its site,
    /// when it names one, must exist ([`Error::NotFound`] otherwise).
    PutPreregistration(Preregistration),
    /// Remove the pre-registrations of a serial (every OUI / product class;
    /// [`Error::NotFound`] if there is none).
    DeletePreregistration(String),
    /// Insert or replace a claim code (by its hash). Its site, when it names one, must
    /// exist ([`Error::NotFound`] otherwise).
    PutClaim(ClaimCode),
    /// Remove a claim code by its hash (revoke it before it is used, or forget a used one
    /// so that its site can be deleted); [`Error::NotFound`] if there is none.
    DeleteClaim(String),
    /// Mark a claim code used by a device; fails with [`Error::Conflict`] if it is already
    /// used, so two devices racing for one code cannot both win ([`Error::NotFound`] for
    /// an unknown code). Expiry is the caller's check: a write carries no clock.
    ConsumeClaim {
        /// The code's hash.
        code_sha256: String,
        /// The device's id.
        device: String,
    },
    /// Insert or replace a sealed secret of a device (the device must exist).
    PutSecret {
        /// Device id.
        device: String,
        /// Name (`acs_password`, `ports.1.password`, ...).
        name: String,
        /// Sealed bytes ([`Sealer::seal`]).
        sealed: Vec<u8>,
    },
    /// Insert or replace an API token (by name). A token whose hash another token
    /// already has is [`Error::Conflict`].
    PutToken(ApiToken),
    /// Append an audit record (its id is assigned).
    Audit(AuditEntry),
    /// A claimed transfer task (Download, Upload, ScheduleDownload) the CPE accepted and
    /// will report by TransferComplete, perhaps sessions later: it stays in flight but its
    /// lease ends, so no node claims and sends it again
    /// ([`Store::awaiting_transfers`] finds it). A task not in flight is left alone.
    AwaitTransfer(i64),
    /// Insert a new rollout with a row per target ([`Error::Conflict`] if its id is taken).
    /// Later changes go through [`Store::update_rollout`] and [`Write::ReportRollout`].
    PutRollout(Box<Record>),
    /// A target of a rollout reported: one conditional update that moves the device only
    /// where [`Rollout::transition`](tipring_acs::rollout::Rollout::transition) allows (a
    /// repeated report changes nothing; a device not in the rollout is no error).
    ReportRollout {
        /// The rollout's id.
        rollout: String,
        /// The device's id.
        device: String,
        /// What it reported.
        outcome: Outcome,
        /// When (Unix seconds).
        at: i64,
    },
}

/// The devices a batch gives new tasks, once each (for [`Store::task_wakeups`]).
pub(crate) fn new_task_devices(writes: &[Write]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in writes {
        if let Write::PutTask(t) = w {
            if t.id == 0 && !out.contains(&t.device) {
                out.push(t.device.clone());
            }
        }
    }
    out
}

/// Senders of wake-ups in this process (dropped receivers are forgotten).
#[derive(Debug, Default)]
pub(crate) struct Wakers(std::sync::Mutex<Vec<std::sync::mpsc::Sender<String>>>);

impl Wakers {
    pub(crate) fn subscribe(&self) -> std::sync::mpsc::Receiver<String> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(tx);
        rx
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_empty()
    }

    pub(crate) fn wake(&self, devices: &[String]) {
        if devices.is_empty() {
            return;
        }
        let mut senders = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        senders.retain(|tx| devices.iter().all(|d| tx.send(d.clone()).is_ok()));
    }
}

/// Where a device stands in a rollout it is a target of ([`Store::device_rollouts`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRollout {
    /// The rollout's id.
    pub rollout: String,
    /// The version the rollout installs.
    pub version: String,
    /// The device's state in it.
    pub state: DeviceState,
}

/// The store: reads, and atomic batches of writes.
///
/// Calls block (the database's I/O happens on the calling thread); async callers use
/// `tokio::task::spawn_blocking`. Implementations are shared across threads.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Apply every write in one transaction; the ids of the inserted tasks and audit
    /// records, in order. On any error nothing is written.
    fn apply(&self, writes: Vec<Write>) -> Result<Vec<i64>>;

    /// A device by id.
    fn device(&self, id: &str) -> Result<Option<Device>>;
    /// Devices matching a filter, ordered by id.
    fn devices(&self, filter: &DeviceFilter) -> Result<Vec<Device>>;
    /// How many devices match (limit and offset ignored).
    fn count_devices(&self, filter: &DeviceFilter) -> Result<u64>;
    /// A device's cached parameters under a prefix (empty: all), ordered by name.
    fn parameters(&self, device: &str, prefix: &str) -> Result<Vec<CachedParameter>>;

    /// Tasks of a device that are due: Queued, or Retrying with `next_attempt_at <= now`,
    /// in id order.
    fn due_tasks(&self, device: &str, now: i64) -> Result<Vec<Task>>;
    /// Claim the due tasks of a device for a node, atomically: every task that is due (as
    /// [`Store::due_tasks`] says) or in flight with a lease that ran out (`lease_until <=
    /// now`: the node that held it died) becomes [`TaskState::InFlight`], claimed by `node`
    /// until `now + lease_s`, with `updated_at = now`; they are returned in id order. Two
    /// nodes claiming at once never both get one task (SQLite: its single writer;
    /// PostgreSQL: `FOR UPDATE SKIP LOCKED`). A [`Write::PutTask`] that moves a task out
    /// of InFlight (done, retrying...) ends its lease.
    fn claim_due_tasks(
        &self,
        device: &str,
        now: i64,
        node: &str,
        lease_s: i64,
    ) -> Result<Vec<Task>>;
    /// A device's transfer tasks in flight (Download, Upload, ScheduleDownload), in id
    /// order: those awaiting their TransferComplete ([`Write::AwaitTransfer`]), and those a
    /// node claimed and may have sent before it died (its lease not yet run out). The
    /// session that carries a TransferComplete gets them, so that the report is matched
    /// to its task instead of the task being sent again when the lease runs out.
    fn awaiting_transfers(&self, device: &str) -> Result<Vec<Task>>;
    /// A task by id.
    fn task(&self, id: i64) -> Result<Option<Task>>;
    /// Tasks matching a filter.
    fn tasks(&self, filter: &TaskFilter) -> Result<Vec<Task>>;

    /// A site by name.
    fn site(&self, name: &str) -> Result<Option<Site>>;
    /// All sites, by name.
    fn sites(&self) -> Result<Vec<Site>>;
    /// A profile by name.
    fn profile(&self, name: &str) -> Result<Option<Profile>>;
    /// All profiles, by name.
    fn profiles(&self) -> Result<Vec<Profile>>;

    /// The pre-registration for a serial (and, where it names them, OUI and product class).
    fn preregistration(
        &self,
        serial: &str,
        oui: &str,
        product_class: &str,
    ) -> Result<Option<Preregistration>>;
    /// All pre-registrations, by serial.
    fn preregistrations(&self) -> Result<Vec<Preregistration>>;
    /// A claim code by its hash.
    fn claim(&self, code_sha256: &str) -> Result<Option<ClaimCode>>;
    /// All claim codes, newest first.
    fn claims(&self) -> Result<Vec<ClaimCode>>;

    /// A sealed secret of a device.
    fn secret(&self, device: &str, name: &str) -> Result<Option<Vec<u8>>>;
    /// The names of a device's secrets.
    fn secret_names(&self, device: &str) -> Result<Vec<String>>;
    /// Every sealed secret of a device, by name (one query).
    fn secrets(&self, device: &str) -> Result<Vec<(String, Vec<u8>)>>;

    /// A token by the hash of its value (revoked ones too: the caller checks).
    fn token_by_hash(&self, token_sha256: &str) -> Result<Option<ApiToken>>;
    /// All tokens, by name.
    fn tokens(&self) -> Result<Vec<ApiToken>>;

    /// Audit records, newest first.
    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>>;

    /// Every rollout, newest first, with counts over all its devices.
    fn rollouts(&self) -> Result<Vec<Summary>>;
    /// The ids of the rollouts that are running (the driver steps these).
    fn running_rollouts(&self) -> Result<Vec<String>>;
    /// A rollout with every device's state (no UTC offsets: see
    /// [`Store::update_rollout`]).
    fn rollout(&self, id: &str) -> Result<Option<Record>>;
    /// Change a rollout under a lock, exactly once across nodes: in one transaction, lock
    /// its row, load it (with the UTC offsets of its queued targets), let `change` change
    /// it and name writes to make with it (the Download tasks a step starts, audit
    /// records), store the changed header and device rows and those writes, commit. If any
    /// write fails nothing is stored. `Ok(None)`: no such rollout, or another node holds
    /// its lock right now (PostgreSQL's `FOR UPDATE SKIP LOCKED`: the caller tries again
    /// later, and a node that died holding it released it with its connection); `change`
    /// was not called. Otherwise the ids [`Store::apply`] would return for the writes.
    fn update_rollout(
        &self,
        id: &str,
        change: &mut dyn FnMut(&mut Record) -> Vec<Write>,
    ) -> Result<Option<Vec<i64>>>;
    /// Wake-ups: the id of each device that gets a new task ([`Write::PutTask`] with id 0),
    /// once its batch committed — on PostgreSQL from every node sharing the database
    /// (`NOTIFY tipring_tasks` in the batch's transaction, a `LISTEN` on a connection of
    /// its own, re-opened if it drops), on SQLite from this process. A node with a CWMP
    /// session open for that device hands it the new task in that same session. Several
    /// receivers may be taken; one that is dropped is forgotten.
    fn task_wakeups(&self) -> Result<std::sync::mpsc::Receiver<String>>;

    /// The rollouts a device is a started, installed or confirmed target of (a BOOT Inform
    /// confirms it, or shows it rolled back).
    fn device_rollouts(&self, device: &str) -> Result<Vec<DeviceRollout>>;

    /// The fleet in numbers at `now` (online as [`Presence`] says, with this default
    /// interval): aggregate queries over the devices table, no parameter cache read.
    fn fleet_stats(&self, now: i64, default_interval_s: u32) -> Result<FleetStats>;
}

//! The PostgreSQL backend: the same tables as SQLite (`migrations/pg/`), a small pool of
//! connections of the blocking `postgres` client, every [`Store::apply`] one transaction.
//!
//! Why the blocking `postgres` crate: the [`Store`] trait is synchronous (callers already
//! run it on `spawn_blocking` threads), and `postgres` is tokio-postgres with a private
//! current-thread runtime per connection, so there is no runtime handle to thread through
//! and no async in the store. It must not be called from inside an async task (it would
//! block the executor, and tokio refuses nested `block_on`): `spawn_blocking` threads are
//! fine, as for SQLite.
//!
//! Unlike SQLite there is no single writer: up to [`PG_CONNECTIONS`] transactions run at
//! once, and PostgreSQL's row locks and constraints keep them apart (see
//! [`Store::claim_due_tasks`] and `Write::ConsumeClaim`).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use postgres::types::ToSql;
use postgres::{Client, GenericClient, NoTls, Row, Statement};
use tipring_acs::model::{
    AuditEntry, CachedParameter, ClaimCode, Device, DeviceKey, Preregistration, Profile, Site, Task,
};

use crate::codec::{self, from_json, json, opt_json};
use crate::error::{Error, Result};
use crate::migrate;
use crate::rollouts;
use crate::{
    ApiToken, AuditFilter, DeviceFilter, DeviceRollout, FleetStats, Store, TaskFilter,
    VersionCount, Write,
};
use tipring_acs::rollout::{Record, Summary};

/// Connections a [`PgStore`] keeps open at most (a call past that waits for one).
pub const PG_CONNECTIONS: usize = 8;

/// The PostgreSQL [`Store`], for several provisioner nodes on one database.
///
/// * [`PgStore::open`] takes a libpq-style URL (`postgres://user:pass@host:5432/db`, or
///   `postgres://user@/db?host=/run/postgresql` for a unix socket), connects, and brings
///   the schema up to [`crate::SCHEMA_VERSION`] under an advisory lock.
/// * Up to [`PG_CONNECTIONS`] connections, opened on demand, kept for reuse with their
///   prepared statements; a connection found closed is dropped and replaced.
/// * Text columns are `COLLATE "C"`: orderings and prefix ranges are by code point, as on
///   SQLite, whatever the database's locale.
pub struct PgStore {
    pool: Pool,
    wakers: Arc<crate::Wakers>,
    /// Whether the LISTEN thread runs.
    listening: Arc<AtomicBool>,
    /// Where, for Debug and errors (no password).
    shown: String,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("at", &self.shown)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connect to the database at `url` and bring its schema up to date: each missing
    /// migration in its own transaction, under `pg_advisory_xact_lock`, so that nodes
    /// starting together migrate once. A database written by a newer provisioner is
    /// refused with [`Error::TooNew`]; a URL that does not parse with [`Error::Url`]; a
    /// server that cannot be reached with [`Error::Database`].
    pub fn open(url: &str) -> Result<Self> {
        let config: postgres::Config = url
            .parse()
            .map_err(|e| Error::Url(format!("{}: {e}", redact(url))))?;
        let shown = describe(&config);
        let pool = Pool {
            config,
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
        };
        {
            let mut lent = pool.take().map_err(|e| at(&shown, e))?;
            let version = migrate::pg_migrate(&mut lent.conn().client, migrate::PG_MIGRATIONS)
                .map_err(|e| at(&shown, e))?;
            tracing::debug!(at = %shown, version, "store open (PostgreSQL)");
        }
        Ok(Self {
            pool,
            shown,
            wakers: Arc::default(),
            listening: Arc::default(),
        })
    }

    /// The schema version of the database.
    pub fn schema_version(&self) -> Result<u32> {
        self.pool
            .with(|c| migrate::pg_current_version(&mut c.client))
    }
}

/// Host, port, database and user of a config (never its password).
fn describe(c: &postgres::Config) -> String {
    let host = match c.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = c.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{host}:{port}/{}",
        c.get_user().unwrap_or(""),
        c.get_dbname().unwrap_or("")
    )
}

/// A URL with the password (between `:` and `@` of the authority) replaced by `***`.
fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &authority[..colon],
            &rest[at..]
        ),
        _ => url.to_owned(),
    }
}

fn at(shown: &str, e: Error) -> Error {
    match e {
        Error::Database(m) => Error::Database(format!("{shown}: {m}")),
        other => other,
    }
}

/// One pooled connection and its prepared statements (by SQL text).
struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

struct Pool {
    config: postgres::Config,
    state: Mutex<PoolState>,
    returned: Condvar,
}

struct PoolState {
    idle: Vec<Conn>,
    /// Open connections, idle or lent.
    open: usize,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn with<T>(&self, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        let mut lent = self.take()?;
        f(lent.conn())
    }

    /// Let every idle connection go: one was found closed by the server (a restart, a
    /// terminated backend), so the others idle since then most likely are too, and the
    /// client notices only when it next uses one.
    fn forget_idle(&self) {
        let mut st = self.lock();
        let n = st.idle.len();
        st.idle.clear();
        st.open -= n;
        drop(st);
        self.returned.notify_all();
    }

    fn take(&self) -> Result<Lent<'_>> {
        let mut st = self.lock();
        loop {
            while let Some(conn) = st.idle.pop() {
                if conn.client.is_closed() {
                    // The server went away (restart, idle timeout): forget it.
                    st.open -= 1;
                    continue;
                }
                return Ok(Lent {
                    pool: self,
                    conn: Some(conn),
                });
            }
            if st.open < PG_CONNECTIONS {
                st.open += 1;
                drop(st);
                return match self.config.connect(NoTls) {
                    Ok(client) => Ok(Lent {
                        pool: self,
                        conn: Some(Conn {
                            client,
                            statements: HashMap::new(),
                        }),
                    }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.returned.notify_one();
                        Err(e.into())
                    }
                };
            }
            st = self
                .returned
                .wait(st)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// A connection on loan; back to the pool when dropped (closed ones are let go).
struct Lent<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
}

impl Lent<'_> {
    fn conn(&mut self) -> &mut Conn {
        match &mut self.conn {
            Some(c) => c,
            None => unreachable!("a lent connection is present until dropped"),
        }
    }
}

impl Drop for Pool {
    /// The blocking client closes a connection by running its own small runtime, which
    /// panics on a thread that drives an async runtime (where the last handle on a store
    /// is often dropped): the connections are closed on a thread of their own.
    fn drop(&mut self) {
        let idle = std::mem::take(
            &mut self
                .state
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner)
                .idle,
        );
        if idle.is_empty() {
            return;
        }
        let closer = std::thread::Builder::new()
            .name("pg-close".into())
            .spawn(move || drop(idle));
        if let Ok(t) = closer {
            let _ = t.join();
        }
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // A transaction left open by an error was rolled back when its `Transaction`
            // was dropped, so an open connection is clean to reuse.
            let mut st = self.pool.lock();
            if conn.client.is_closed() {
                st.open -= 1;
            } else {
                st.idle.push(conn);
            }
            drop(st);
            self.pool.returned.notify_one();
        }
    }
}

type Param<'a> = &'a (dyn ToSql + Sync);

/// A client (or a transaction on it) with its connection's statement cache.
struct Db<'a, C: GenericClient> {
    client: &'a mut C,
    statements: &'a mut HashMap<String, Statement>,
}

impl<C: GenericClient> Db<'_, C> {
    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        let s = self.statement(sql)?;
        Ok(self.client.execute(&s, params)?)
    }

    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>> {
        let s = self.statement(sql)?;
        Ok(self.client.query(&s, params)?)
    }

    fn query_opt(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Option<Row>> {
        let s = self.statement(sql)?;
        Ok(self.client.query_opt(&s, params)?)
    }

    fn collect<T>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        decode: impl Fn(&Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.query(sql, params)?.iter().map(decode).collect()
    }

    fn one<T>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        decode: impl Fn(&Row) -> Result<T>,
    ) -> Result<Option<T>> {
        self.query_opt(sql, params)?
            .as_ref()
            .map(decode)
            .transpose()
    }

    fn exists(&mut self, sql: &str, key: &str) -> Result<bool> {
        Ok(self.query_opt(sql, &[&key])?.is_some())
    }

    fn count(&mut self, sql: &str, key: &str) -> Result<i64> {
        match self.query_opt(sql, &[&key])? {
            Some(row) => Ok(row.try_get(0)?),
            None => Ok(0),
        }
    }
}

impl PgStore {
    /// Run `f` on a pooled connection outside any transaction (one autocommit statement
    /// per read, as on SQLite's readers). A pooled connection the server closed since its
    /// last use (a restart, a terminated backend) fails its next statement: the read is
    /// then tried once more on a new connection, so a server restart costs no error.
    fn read<T>(&self, f: impl Fn(&mut Db<'_, Client>) -> Result<T>) -> Result<T> {
        let mut retried = false;
        loop {
            let mut lent = self.pool.take()?;
            let conn = lent.conn();
            let Conn { client, statements } = conn;
            match f(&mut Db { client, statements }) {
                Err(e)
                    if !retried
                        && (conn.client.is_closed() || matches!(e, Error::ConnectionLost(_))) =>
                {
                    retried = true;
                    drop(lent);
                    self.pool.forget_idle();
                }
                other => return other,
            }
        }
    }
}

/// Dynamic query arguments (filters).
#[derive(Default)]
struct Args {
    values: Vec<Box<dyn ToSql + Sync>>,
}

impl Args {
    /// Add a value; its placeholder (`$n`).
    fn push(&mut self, v: impl ToSql + Sync + 'static) -> String {
        self.values.push(Box::new(v));
        format!("${}", self.values.len())
    }

    fn refs(&self) -> Vec<Param<'_>> {
        self.values.iter().map(|b| &**b as Param<'_>).collect()
    }
}

fn where_clause(clauses: &[String]) -> String {
    if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    }
}

fn device_where(f: &DeviceFilter, args: &mut Args) -> String {
    let mut clauses = Vec::new();
    if let Some(site) = &f.site {
        clauses.push(format!("site = {}", args.push(site.clone())));
    }
    if let Some(tag) = &f.tag {
        clauses.push(format!(
            "EXISTS (SELECT 1 FROM jsonb_array_elements_text(devices.tags::jsonb) AS t(v) \
             WHERE t.v = {})",
            args.push(tag.clone())
        ));
    }
    if let Some(e) = f.enrollment {
        clauses.push(format!(
            "enrollment = {}",
            args.push(codec::enrollment_text(e).to_owned())
        ));
    }
    if let Some(m) = &f.model {
        clauses.push(format!("model = {}", args.push(m.clone())));
    }
    if let Some(v) = &f.software_version {
        clauses.push(format!("software_version = {}", args.push(v.clone())));
    }
    if let Some(text) = &f.text {
        // ILIKE under COLLATE "C" folds ASCII letters only, as SQLite's LIKE does.
        clauses.push(format!(
            "id ILIKE {} ESCAPE '\\'",
            args.push(format!("%{}%", codec::like_escape(text)))
        ));
    }
    if f.faulted {
        clauses.push("open_faults > 0".to_owned());
    }
    if let Some(prefix) = &f.serial_prefix {
        clauses.push(format!("serial >= {}", args.push(prefix.clone())));
        if let Some(hi) = codec::prefix_bound(prefix) {
            clauses.push(format!("serial < {}", args.push(hi)));
        }
    }
    if let Some(p) = f.presence {
        let (now, def) = (args.push(p.now), args.push(i64::from(p.default_interval_s)));
        let since = format!("{now} - (COALESCE(inform_interval_s, {def}) * 11 / 10 + 30)");
        clauses.push(if p.online {
            format!("last_inform >= {since}")
        } else {
            format!("(last_inform IS NULL OR last_inform < {since})")
        });
    }
    if f.lines_down {
        clauses.push("lines_up < lines".to_owned());
    }
    where_clause(&clauses)
}

fn u32_col(row: &Row, i: usize) -> Result<u32> {
    let v: i64 = row.try_get(i)?;
    u32::try_from(v).map_err(|_| Error::Database(format!("column {i} holds {v}")))
}

fn device(row: &Row) -> Result<Device> {
    let tags: String = row.try_get(6)?;
    let enrollment: String = row.try_get(4)?;
    let root: String = row.try_get(12)?;
    Ok(Device {
        id: row.try_get(0)?,
        key: DeviceKey {
            oui: row.try_get(1)?,
            product_class: row.try_get(2)?,
            serial: row.try_get(3)?,
        },
        enrollment: codec::enrollment_from(&enrollment)?,
        site: row.try_get(5)?,
        tags: from_json(&tags)?,
        manufacturer: row.try_get(7)?,
        model: row.try_get(8)?,
        software_version: row.try_get(9)?,
        hardware_version: row.try_get(10)?,
        provisioning_code: row.try_get(11)?,
        root: codec::root_from(&root)?,
        connection_request_url: row.try_get(13)?,
        last_address: row.try_get(14)?,
        first_seen: row.try_get(15)?,
        last_inform: row.try_get(16)?,
        last_boot: row.try_get(17)?,
        provisioned_digest: row.try_get(18)?,
        provisioned_at: row.try_get(19)?,
        cert_sha256: row.try_get(20)?,
        open_faults: u32_col(row, 21)?,
        utc_offset_min: row.try_get(22)?,
        lines: u32_col(row, 23)?,
        lines_up: u32_col(row, 24)?,
        inform_interval_s: codec::opt_u32(row.try_get(25)?, 25)?,
        calls_at: row.try_get(26)?,
        calls_mos: codec::bands(27, |i| u32_col(row, i))?,
        calls_jitter: codec::bands(31, |i| u32_col(row, i))?,
    })
}

fn parameter(row: &Row) -> Result<CachedParameter> {
    Ok(CachedParameter {
        name: row.try_get(0)?,
        value: row.try_get(1)?,
        xsd_type: row.try_get(2)?,
        writable: row.try_get(3)?,
        seen_at: row.try_get(4)?,
    })
}

fn task(row: &Row) -> Result<Task> {
    let kind: String = row.try_get(2)?;
    let state: String = row.try_get(3)?;
    Ok(Task {
        id: row.try_get(0)?,
        device: row.try_get(1)?,
        kind: from_json(&kind)?,
        state: codec::task_state_from(&state)?,
        attempts: u32_col(row, 4)?,
        next_attempt_at: row.try_get(5)?,
        fault: opt_json(row.try_get(6)?)?,
        result: opt_json(row.try_get(7)?)?,
        created_at: row.try_get(8)?,
        created_by: row.try_get(9)?,
        updated_at: row.try_get(10)?,
    })
}

fn site(row: &Row) -> Result<Site> {
    let variables: String = row.try_get(2)?;
    Ok(Site {
        name: row.try_get(0)?,
        description: row.try_get(1)?,
        variables: from_json(&variables)?,
    })
}

fn profile(row: &Row) -> Result<Profile> {
    let tags: String = row.try_get(4)?;
    let variables: String = row.try_get(6)?;
    let drift: String = row.try_get(7)?;
    Ok(Profile {
        name: row.try_get(0)?,
        priority: row.try_get(1)?,
        model: row.try_get(2)?,
        site: row.try_get(3)?,
        tags: from_json(&tags)?,
        template: row.try_get(5)?,
        variables: from_json(&variables)?,
        drift: codec::drift_from(&drift)?,
    })
}

fn preregistration(row: &Row) -> Result<Preregistration> {
    let tags: String = row.try_get(4)?;
    Ok(Preregistration {
        serial: row.try_get(0)?,
        oui: row.try_get(1)?,
        product_class: row.try_get(2)?,
        site: row.try_get(3)?,
        tags: from_json(&tags)?,
        initial_secret_sha256: row.try_get(5)?,
    })
}

fn claim(row: &Row) -> Result<ClaimCode> {
    let tags: String = row.try_get(2)?;
    Ok(ClaimCode {
        code_sha256: row.try_get(0)?,
        site: row.try_get(1)?,
        tags: from_json(&tags)?,
        expires_at: row.try_get(3)?,
        used_by: row.try_get(4)?,
        created_at: row.try_get(5)?,
        created_by: row.try_get(6)?,
    })
}

fn token(row: &Row) -> Result<ApiToken> {
    let role: String = row.try_get(1)?;
    Ok(ApiToken {
        name: row.try_get(0)?,
        role: codec::role_from(&role)?,
        token_sha256: row.try_get(2)?,
        created_at: row.try_get(3)?,
        revoked_at: row.try_get(4)?,
    })
}

fn audit(row: &Row) -> Result<AuditEntry> {
    let detail: String = row.try_get(5)?;
    Ok(AuditEntry {
        id: row.try_get(0)?,
        at: row.try_get(1)?,
        actor: row.try_get(2)?,
        action: row.try_get(3)?,
        target: row.try_get(4)?,
        detail: from_json(&detail)?,
    })
}

impl Store for PgStore {
    fn apply(&self, writes: Vec<Write>) -> Result<Vec<i64>> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        let mut writes = Some(writes);
        let mut lent = self.pool.take()?;
        let mut retried = false;
        loop {
            // The batch is kept for a second try until the first has failed.
            let batch = if retried {
                writes.take().unwrap_or_default()
            } else {
                writes.clone().unwrap_or_default()
            };
            let Conn { client, statements } = lent.conn();
            let failed: std::result::Result<Error, postgres::Error> = match client.transaction() {
                Ok(mut tx) => {
                    let mut db = Db {
                        client: &mut tx,
                        statements,
                    };
                    match apply_all(&mut db, batch) {
                        Ok(ids) => {
                            // A connection lost during COMMIT is not tried again: the
                            // batch may have landed.
                            tx.commit()?;
                            return Ok(ids);
                        }
                        // Lost before COMMIT: nothing of the batch is stored.
                        Err(e @ Error::ConnectionLost(_)) => Ok(e),
                        Err(e) => return Err(e),
                    }
                }
                // BEGIN failed: nothing of the batch was sent.
                Err(e) => Err(e),
            };
            let failed = match failed {
                Ok(lost) => lost,
                Err(e) => {
                    let lost = e.is_closed()
                        || e.code().is_some_and(|c| {
                            c.code().starts_with("57P0") || c.code().starts_with("08")
                        });
                    if !(lost || lent.conn().client.is_closed()) {
                        return Err(e.into());
                    }
                    Error::ConnectionLost(crate::error::pg_text(&e))
                }
            };
            // A connection the server closed since its last use (a restart, a terminated
            // backend): once more on a new one.
            if retried {
                return Err(failed);
            }
            retried = true;
            drop(lent);
            self.pool.forget_idle();
            lent = self.pool.take()?;
        }
    }

    fn device(&self, id: &str) -> Result<Option<Device>> {
        let sql = format!(
            "SELECT {} FROM devices WHERE id = $1",
            codec::DEVICE_COLUMNS
        );
        self.read(|db| db.one(&sql, &[&id], device))
    }

    fn devices(&self, filter: &DeviceFilter) -> Result<Vec<Device>> {
        let mut args = Args::default();
        let clause = device_where(filter, &mut args);
        let limit = args.push(codec::limit(filter.limit));
        let offset = args.push(i64::from(filter.offset));
        let sql = format!(
            "SELECT {} FROM devices{clause}{} LIMIT {limit} OFFSET {offset}",
            codec::DEVICE_COLUMNS,
            filter.order_by()
        );
        self.read(|db| db.collect(&sql, &args.refs(), device))
    }

    fn count_devices(&self, filter: &DeviceFilter) -> Result<u64> {
        let mut args = Args::default();
        let clause = device_where(filter, &mut args);
        let sql = format!("SELECT COUNT(*) FROM devices{clause}");
        self.read(|db| {
            let n: i64 = match db.query_opt(&sql, &args.refs())? {
                Some(row) => row.try_get(0)?,
                None => 0,
            };
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn parameters(&self, device: &str, prefix: &str) -> Result<Vec<CachedParameter>> {
        let cols = codec::PARAMETER_COLUMNS;
        self.read(|db| match codec::prefix_bound(prefix) {
            Some(hi) => db.collect(
                &format!(
                    "SELECT {cols} FROM parameters \
                     WHERE device = $1 AND name >= $2 AND name < $3 ORDER BY name"
                ),
                &[&device, &prefix, &hi],
                parameter,
            ),
            None => db.collect(
                &format!(
                    "SELECT {cols} FROM parameters \
                     WHERE device = $1 AND name >= $2 ORDER BY name"
                ),
                &[&device, &prefix],
                parameter,
            ),
        })
    }

    fn due_tasks(&self, device: &str, now: i64) -> Result<Vec<Task>> {
        let sql = format!(
            "SELECT {} FROM tasks WHERE device = $1 AND \
             (state = 'queued' OR (state = 'retrying' AND next_attempt_at <= $2)) ORDER BY id",
            codec::TASK_COLUMNS
        );
        self.read(|db| db.collect(&sql, &[&device, &now], task))
    }

    fn rollouts(&self) -> Result<Vec<Summary>> {
        self.read(|db| {
            let counts = db.collect(
                "SELECT rollout, state, COUNT(*) FROM rollout_devices GROUP BY rollout, state",
                &[],
                |r| {
                    let state: String = r.try_get(1)?;
                    Ok((
                        r.try_get::<_, String>(0)?,
                        rollouts::device_state_from(&state)?,
                        r.try_get::<_, i64>(2)?,
                    ))
                },
            )?;
            let heads = db.collect(
                &format!(
                    "SELECT {} FROM rollouts ORDER BY created_at DESC, id",
                    rollouts::COLUMNS
                ),
                &[],
                head,
            )?;
            heads
                .into_iter()
                .map(|h| {
                    let mine: Vec<_> = counts
                        .iter()
                        .filter(|(x, _, _)| *x == h.id)
                        .map(|(_, s, n)| (*s, *n))
                        .collect();
                    rollouts::summary(h, &mine)
                })
                .collect()
        })
    }

    fn running_rollouts(&self) -> Result<Vec<String>> {
        self.read(|db| {
            db.collect(
                "SELECT id FROM rollouts WHERE state = 'running' ORDER BY id",
                &[],
                |r| Ok(r.try_get(0)?),
            )
        })
    }

    fn rollout(&self, id: &str) -> Result<Option<Record>> {
        self.read(|db| {
            let sql = format!("SELECT {} FROM rollouts WHERE id = $1", rollouts::COLUMNS);
            match db.one(&sql, &[&id], head)? {
                Some(h) => rollout_of(db, h).map(Some),
                None => Ok(None),
            }
        })
    }

    fn update_rollout(
        &self,
        id: &str,
        change: &mut dyn FnMut(&mut Record) -> Vec<Write>,
    ) -> Result<Option<Vec<i64>>> {
        let mut lent = self.pool.take()?;
        let Conn { client, statements } = lent.conn();
        let mut tx = client.transaction()?;
        let ids = {
            let mut db = Db {
                client: &mut tx,
                statements,
            };
            // The row lock is the rollout's: held to the commit, skipped by the other
            // nodes meanwhile, and released by the server if this node's connection dies.
            let sql = format!(
                "SELECT {} FROM rollouts WHERE id = $1 FOR UPDATE SKIP LOCKED",
                rollouts::COLUMNS
            );
            let Some(h) = db.one(&sql, &[&id], head)? else {
                return Ok(None);
            };
            let mut rec = rollout_of(&mut db, h)?;
            let before = rec.rollout.clone();
            let writes = change(&mut rec);
            db.execute(
                "UPDATE rollouts SET header = $2, state = $3, updated_at = $4 WHERE id = $1",
                &[
                    &rec.id,
                    &rollouts::header_json(&rec.rollout)?,
                    &rollouts::state_text(&rec.rollout.state),
                    &rec.updated_at,
                ],
            )?;
            let changed = rollouts::changed(&before, &rec.rollout);
            if !changed.is_empty() {
                let devices: Vec<&str> = changed.iter().map(|c| c.0.as_str()).collect();
                let states: Vec<&str> = changed
                    .iter()
                    .map(|c| rollouts::device_state_text(c.1))
                    .collect();
                let codes: Vec<Option<i64>> = changed.iter().map(|c| c.2).collect();
                db.execute(
                    "UPDATE rollout_devices rd SET state = x.s, fault_code = x.c, \
                     updated_at = $2 FROM UNNEST($3::TEXT[], $4::TEXT[], $5::BIGINT[]) \
                     AS x(d, s, c) WHERE rd.rollout = $1 AND rd.device = x.d",
                    &[&rec.id, &rec.updated_at, &devices, &states, &codes],
                )?;
            }
            apply_all(&mut db, writes)?
        };
        tx.commit()?;
        Ok(Some(ids))
    }

    fn task_wakeups(&self) -> Result<std::sync::mpsc::Receiver<String>> {
        let rx = self.wakers.subscribe();
        if !self.listening.swap(true, Ordering::SeqCst) {
            let config = self.pool.config.clone();
            let wakers = Arc::clone(&self.wakers);
            let shown = self.shown.clone();
            let flag = Arc::clone(&self.listening);
            let (ready_tx, ready) = std::sync::mpsc::channel();
            std::thread::Builder::new()
                .name("pg-listen".into())
                .spawn(move || {
                    listen(&config, &wakers, &shown, ready_tx);
                    flag.store(false, Ordering::SeqCst);
                })
                .map_err(|e| Error::Database(format!("LISTEN thread: {e}")))?;
            // Listening before this returns, so no task queued after it goes unheard (a
            // server that does not answer in time: the thread keeps trying).
            let _ = ready.recv_timeout(std::time::Duration::from_secs(5));
        }
        Ok(rx)
    }

    fn device_rollouts(&self, device: &str) -> Result<Vec<DeviceRollout>> {
        self.read(|db| {
            db.collect(
                "SELECT rd.rollout, r.version, rd.state FROM rollout_devices rd \
                 JOIN rollouts r ON r.id = rd.rollout WHERE rd.device = $1 \
                 AND rd.state IN ('started', 'installed', 'confirmed') ORDER BY rd.rollout",
                &[&device],
                |r| {
                    let state: String = r.try_get(2)?;
                    Ok(DeviceRollout {
                        rollout: r.try_get(0)?,
                        version: r.try_get(1)?,
                        state: rollouts::device_state_from(&state)?,
                    })
                },
            )
        })
    }

    fn fleet_stats(&self, now: i64, default_interval_s: u32) -> Result<FleetStats> {
        let def = i64::from(default_interval_s);
        self.read(|db| {
            let row = db
                .query_opt(
                    &codec::pg_placeholders(codec::FLEET_COUNTS_SQL),
                    &[&now, &def],
                )?
                .ok_or_else(|| Error::Database("no row from an aggregate".into()))?;
            let mut counts = [0i64; codec::FLEET_COUNTS];
            for (i, v) in counts.iter_mut().enumerate() {
                *v = row.try_get(i)?;
            }
            let versions = db.collect(codec::FLEET_VERSIONS_SQL, &[], |r| {
                Ok(VersionCount {
                    model: r.try_get(0)?,
                    software_version: r.try_get(1)?,
                    devices: u64::try_from(r.try_get::<_, i64>(2)?).unwrap_or(0),
                })
            })?;
            Ok(codec::fleet_stats(counts, versions))
        })
    }

    fn claim_due_tasks(
        &self,
        device: &str,
        now: i64,
        node: &str,
        lease_s: i64,
    ) -> Result<Vec<Task>> {
        // The inner SELECT locks the claimable rows, skipping those another node's claim
        // holds; a row another claim changed and committed meanwhile is re-checked against
        // the WHERE clause on its newest version (READ COMMITTED), and is no longer
        // claimable. So each task goes to exactly one claimer.
        let sql = format!(
            "WITH due AS (SELECT id FROM tasks WHERE device = $1 AND \
             (state = 'queued' OR (state = 'retrying' AND next_attempt_at <= $2) \
             OR (state = 'in_flight' AND lease_until <= $2)) \
             ORDER BY id FOR UPDATE SKIP LOCKED) \
             UPDATE tasks SET state = 'in_flight', claimed_by = $3::TEXT, \
             lease_until = $2 + $4::BIGINT, updated_at = $2 \
             FROM due WHERE tasks.id = due.id RETURNING {}",
            task_columns_of("tasks")
        );
        let mut tasks =
            self.read(|db| db.collect(&sql, &[&device, &now, &node, &lease_s], task))?;
        tasks.sort_by_key(|t| t.id);
        Ok(tasks)
    }

    fn awaiting_transfers(&self, device: &str) -> Result<Vec<Task>> {
        let sql = format!(
            "SELECT {} FROM tasks WHERE device = $1 AND state = 'in_flight' ORDER BY id",
            codec::TASK_COLUMNS
        );
        let all = self.read(|db| db.collect(&sql, &[&device], task))?;
        Ok(all.into_iter().filter(|t| t.kind.is_transfer()).collect())
    }

    fn task(&self, id: i64) -> Result<Option<Task>> {
        let sql = format!("SELECT {} FROM tasks WHERE id = $1", codec::TASK_COLUMNS);
        self.read(|db| db.one(&sql, &[&id], task))
    }

    fn tasks(&self, filter: &TaskFilter) -> Result<Vec<Task>> {
        let mut args = Args::default();
        let mut clauses = Vec::new();
        if let Some(d) = &filter.device {
            clauses.push(format!("device = {}", args.push(d.clone())));
        }
        if let Some(s) = filter.state {
            clauses.push(format!(
                "state = {}",
                args.push(codec::task_state_text(s).to_owned())
            ));
        }
        let limit = args.push(codec::limit(filter.limit));
        let sql = format!(
            "SELECT {} FROM tasks{} ORDER BY id DESC LIMIT {limit}",
            codec::TASK_COLUMNS,
            where_clause(&clauses)
        );
        self.read(|db| db.collect(&sql, &args.refs(), task))
    }

    fn site(&self, name: &str) -> Result<Option<Site>> {
        let sql = format!("SELECT {} FROM sites WHERE name = $1", codec::SITE_COLUMNS);
        self.read(|db| db.one(&sql, &[&name], site))
    }

    fn sites(&self) -> Result<Vec<Site>> {
        let sql = format!("SELECT {} FROM sites ORDER BY name", codec::SITE_COLUMNS);
        self.read(|db| db.collect(&sql, &[], site))
    }

    fn profile(&self, name: &str) -> Result<Option<Profile>> {
        let sql = format!(
            "SELECT {} FROM profiles WHERE name = $1",
            codec::PROFILE_COLUMNS
        );
        self.read(|db| db.one(&sql, &[&name], profile))
    }

    fn profiles(&self) -> Result<Vec<Profile>> {
        let sql = format!(
            "SELECT {} FROM profiles ORDER BY name",
            codec::PROFILE_COLUMNS
        );
        self.read(|db| db.collect(&sql, &[], profile))
    }

    fn preregistration(
        &self,
        serial: &str,
        oui: &str,
        product_class: &str,
    ) -> Result<Option<Preregistration>> {
        // As on SQLite: an empty OUI / product class matches any, the most specific row
        // wins, OUIs compare without regard to (ASCII) case.
        let sql = format!(
            "SELECT {} FROM preregistrations WHERE serial = $1 \
             AND (oui = '' OR upper(oui) = upper($2)) \
             AND (product_class = '' OR product_class = $3) \
             ORDER BY (oui <> '')::INT + (product_class <> '')::INT DESC, oui DESC, \
             product_class DESC LIMIT 1",
            codec::PREREGISTRATION_COLUMNS
        );
        self.read(|db| db.one(&sql, &[&serial, &oui, &product_class], preregistration))
    }

    fn preregistrations(&self) -> Result<Vec<Preregistration>> {
        let sql = format!(
            "SELECT {} FROM preregistrations ORDER BY serial, oui, product_class",
            codec::PREREGISTRATION_COLUMNS
        );
        self.read(|db| db.collect(&sql, &[], preregistration))
    }

    fn claim(&self, code_sha256: &str) -> Result<Option<ClaimCode>> {
        let sql = format!(
            "SELECT {} FROM claims WHERE code_sha256 = $1",
            codec::CLAIM_COLUMNS
        );
        self.read(|db| db.one(&sql, &[&code_sha256], claim))
    }

    fn claims(&self) -> Result<Vec<ClaimCode>> {
        let sql = format!(
            "SELECT {} FROM claims ORDER BY created_at DESC, code_sha256",
            codec::CLAIM_COLUMNS
        );
        self.read(|db| db.collect(&sql, &[], claim))
    }

    fn secret(&self, device: &str, name: &str) -> Result<Option<Vec<u8>>> {
        self.read(|db| {
            db.one(
                "SELECT sealed FROM secrets WHERE device = $1 AND name = $2",
                &[&device, &name],
                |r| Ok(r.try_get(0)?),
            )
        })
    }

    fn secrets(&self, device: &str) -> Result<Vec<(String, Vec<u8>)>> {
        self.read(|db| {
            db.collect(
                "SELECT name, sealed FROM secrets WHERE device = $1 ORDER BY name",
                &[&device],
                |r| Ok((r.try_get(0)?, r.try_get(1)?)),
            )
        })
    }

    fn secret_names(&self, device: &str) -> Result<Vec<String>> {
        self.read(|db| {
            db.collect(
                "SELECT name FROM secrets WHERE device = $1 ORDER BY name",
                &[&device],
                |r| Ok(r.try_get(0)?),
            )
        })
    }

    fn token_by_hash(&self, token_sha256: &str) -> Result<Option<ApiToken>> {
        let sql = format!(
            "SELECT {} FROM tokens WHERE token_sha256 = $1",
            codec::TOKEN_COLUMNS
        );
        self.read(|db| db.one(&sql, &[&token_sha256], token))
    }

    fn tokens(&self) -> Result<Vec<ApiToken>> {
        let sql = format!("SELECT {} FROM tokens ORDER BY name", codec::TOKEN_COLUMNS);
        self.read(|db| db.collect(&sql, &[], token))
    }

    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let mut args = Args::default();
        let mut clauses = Vec::new();
        for (col, v) in [
            ("actor", &filter.actor),
            ("target", &filter.target),
            ("action", &filter.action),
        ] {
            if let Some(v) = v {
                clauses.push(format!("{col} = {}", args.push(v.clone())));
            }
        }
        if let Some(since) = filter.since {
            clauses.push(format!("at >= {}", args.push(since)));
        }
        let limit = args.push(codec::limit(filter.limit));
        let sql = format!(
            "SELECT {} FROM audit{} ORDER BY id DESC LIMIT {limit}",
            codec::AUDIT_COLUMNS,
            where_clause(&clauses)
        );
        self.read(|db| db.collect(&sql, &args.refs(), audit))
    }
}

/// [`codec::TASK_COLUMNS`] qualified by a table name (for `UPDATE ... FROM ... RETURNING`).
fn task_columns_of(table: &str) -> String {
    codec::TASK_COLUMNS
        .split(',')
        .map(|c| format!("{table}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Devices known to exist inside the batch's transaction.
type Known = HashSet<String>;

fn require_device<C: GenericClient>(db: &mut Db<'_, C>, known: &mut Known, id: &str) -> Result<()> {
    if known.contains(id) {
        return Ok(());
    }
    if db.exists("SELECT 1 FROM devices WHERE id = $1", id)? {
        known.insert(id.to_owned());
        Ok(())
    } else {
        Err(Error::NotFound(format!("device {id}")))
    }
}

fn require_site<C: GenericClient>(db: &mut Db<'_, C>, site: Option<&str>) -> Result<()> {
    match site {
        Some(name) if !db.exists("SELECT 1 FROM sites WHERE name = $1", name)? => {
            Err(Error::NotFound(format!("site {name}")))
        }
        _ => Ok(()),
    }
}

/// The channel of task wake-ups between nodes.
const TASK_CHANNEL: &str = "tipring_tasks";

/// `NOTIFY` the devices' ids, in the batch's transaction (delivered at its commit, to
/// every node listening, this one too).
fn notify<C: GenericClient>(db: &mut Db<'_, C>, devices: &[String]) -> Result<()> {
    for d in devices {
        db.execute("SELECT pg_notify($1, $2)", &[&TASK_CHANNEL, d])?;
    }
    Ok(())
}

/// The LISTEN loop of a node: every notification to this process's receivers; the
/// connection re-opened (after a second) when it drops. Ends when no receiver is left.
fn listen(
    config: &postgres::Config,
    wakers: &crate::Wakers,
    shown: &str,
    ready: std::sync::mpsc::Sender<()>,
) {
    loop {
        match config.connect(NoTls) {
            Ok(mut client) => {
                if let Err(e) = client.batch_execute(&format!("LISTEN {TASK_CHANNEL}")) {
                    tracing::warn!(at = %shown, error = %e, "LISTEN failed");
                } else {
                    let _ = ready.send(());
                    loop {
                        let next = {
                            let mut n = client.notifications();
                            let mut it = n.timeout_iter(std::time::Duration::from_secs(5));
                            fallible_iterator::FallibleIterator::next(&mut it)
                        };
                        match next {
                            Ok(Some(note)) => wakers.wake(&[note.payload().to_string()]),
                            // Quiet for a while: anyone still listening?
                            Ok(None) => {
                                if wakers.is_empty() {
                                    return;
                                }
                                if client.is_closed() {
                                    break;
                                }
                            }
                            Err(e) => {
                                tracing::warn!(at = %shown, error = %e, "LISTEN connection lost");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(at = %shown, error = %e, "LISTEN connection"),
        }
        if wakers.is_empty() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

/// Every write of a batch inside its transaction, then the NOTIFY of the devices it gave
/// tasks; the new ids. An error returns at once: dropping the caller's transaction rolls
/// every earlier write back.
fn apply_all<C: GenericClient>(db: &mut Db<'_, C>, writes: Vec<Write>) -> Result<Vec<i64>> {
    let woken = crate::new_task_devices(&writes);
    let mut ids = Vec::new();
    let mut known = HashSet::new();
    for write in writes {
        apply_one(db, write, &mut ids, &mut known)?;
    }
    notify(db, &woken)?;
    Ok(ids)
}

/// One write inside the batch's transaction: the SQLite backend's `apply_one`, statement
/// for statement, with PostgreSQL's placeholders and `RETURNING id` for new ids.
fn apply_one<C: GenericClient>(
    db: &mut Db<'_, C>,
    write: Write,
    ids: &mut Vec<i64>,
    known: &mut Known,
) -> Result<()> {
    match write {
        Write::PutDevice(d) => {
            put_device(db, &d)?;
            known.insert(d.id);
            Ok(())
        }
        Write::DeleteDevice(id) => {
            known.remove(&id);
            let n = db.execute("DELETE FROM devices WHERE id = $1", &[&id])?;
            if n == 0 {
                return Err(Error::NotFound(format!("device {id}")));
            }
            Ok(())
        }
        Write::PutParameters { device, parameters } => {
            require_device(db, known, &device)?;
            put_parameters(db, &device, &parameters)
        }
        Write::DeleteParameters { device, prefix } => {
            match codec::prefix_bound(&prefix) {
                Some(hi) => db.execute(
                    "DELETE FROM parameters WHERE device = $1 AND name >= $2 AND name < $3",
                    &[&device, &prefix, &hi],
                )?,
                None => db.execute(
                    "DELETE FROM parameters WHERE device = $1 AND name >= $2",
                    &[&device, &prefix],
                )?,
            };
            Ok(())
        }
        Write::PutTask(t) => put_task(db, &t, ids, known),
        Write::PutSite(s) => {
            db.execute(
                "INSERT INTO sites (name, description, variables) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description, \
                 variables = EXCLUDED.variables",
                &[&s.name, &s.description, &json(&s.variables)?],
            )?;
            Ok(())
        }
        Write::DeleteSite(name) => {
            let devices = db.count("SELECT COUNT(*) FROM devices WHERE site = $1", &name)?;
            let claims = db.count("SELECT COUNT(*) FROM claims WHERE site = $1", &name)?;
            let preregistrations = db.count(
                "SELECT COUNT(*) FROM preregistrations WHERE site = $1",
                &name,
            )?;
            if devices > 0 || claims > 0 || preregistrations > 0 {
                return Err(Error::InUse(format!(
                    "site {name} is named by {devices} device(s), {claims} claim code(s) \
                     and {preregistrations} pre-registration(s)"
                )));
            }
            // A device or claim naming the site committed by another node after the counts
            // were read still fails the delete: the foreign keys (a Conflict).
            let n = db.execute("DELETE FROM sites WHERE name = $1", &[&name])?;
            if n == 0 {
                return Err(Error::NotFound(format!("site {name}")));
            }
            Ok(())
        }
        Write::PutProfile(p) => {
            db.execute(
                "INSERT INTO profiles (name, priority, model, site, tags, template, variables, \
                 drift) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (name) DO UPDATE SET priority = EXCLUDED.priority, \
                 model = EXCLUDED.model, site = EXCLUDED.site, tags = EXCLUDED.tags, \
                 template = EXCLUDED.template, variables = EXCLUDED.variables, \
                 drift = EXCLUDED.drift",
                &[
                    &p.name,
                    &p.priority,
                    &p.model,
                    &p.site,
                    &json(&p.tags)?,
                    &p.template,
                    &json(&p.variables)?,
                    &codec::drift_text(p.drift),
                ],
            )?;
            Ok(())
        }
        Write::DeleteProfile(name) => {
            let n = db.execute("DELETE FROM profiles WHERE name = $1", &[&name])?;
            if n == 0 {
                return Err(Error::NotFound(format!("profile {name}")));
            }
            Ok(())
        }
        Write::PutPreregistration(p) => {
            require_site(db, p.site.as_deref())?;
            db.execute(
                "INSERT INTO preregistrations (serial, oui, product_class, site, tags, \
                 initial_secret_sha256) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (serial, oui, product_class) DO UPDATE SET site = EXCLUDED.site, \
                 tags = EXCLUDED.tags, initial_secret_sha256 = EXCLUDED.initial_secret_sha256",
                &[
                    &p.serial,
                    &p.oui,
                    &p.product_class,
                    &p.site,
                    &json(&p.tags)?,
                    &p.initial_secret_sha256,
                ],
            )?;
            Ok(())
        }
        Write::DeletePreregistration(serial) => {
            let n = db.execute("DELETE FROM preregistrations WHERE serial = $1", &[&serial])?;
            if n == 0 {
                return Err(Error::NotFound(format!("pre-registration {serial}")));
            }
            Ok(())
        }
        Write::PutClaim(c) => {
            require_site(db, c.site.as_deref())?;
            db.execute(
                "INSERT INTO claims (code_sha256, site, tags, expires_at, used_by, created_at, \
                 created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (code_sha256) DO UPDATE SET site = EXCLUDED.site, \
                 tags = EXCLUDED.tags, expires_at = EXCLUDED.expires_at, \
                 used_by = EXCLUDED.used_by, created_at = EXCLUDED.created_at, \
                 created_by = EXCLUDED.created_by",
                &[
                    &c.code_sha256,
                    &c.site,
                    &json(&c.tags)?,
                    &c.expires_at,
                    &c.used_by,
                    &c.created_at,
                    &c.created_by,
                ],
            )?;
            Ok(())
        }
        Write::DeleteClaim(code_sha256) => {
            let n = db.execute("DELETE FROM claims WHERE code_sha256 = $1", &[&code_sha256])?;
            if n == 0 {
                return Err(Error::NotFound(format!("claim code {code_sha256}")));
            }
            Ok(())
        }
        Write::ConsumeClaim {
            code_sha256,
            device,
        } => {
            // A racing transaction that updated the row first holds its lock; this UPDATE
            // waits for it to commit, then re-checks `used_by IS NULL` on the new row
            // version (READ COMMITTED) and changes nothing: a Conflict, as on SQLite.
            let n = db.execute(
                "UPDATE claims SET used_by = $2 WHERE code_sha256 = $1 AND used_by IS NULL",
                &[&code_sha256, &device],
            )?;
            if n == 1 {
                return Ok(());
            }
            if db.exists("SELECT 1 FROM claims WHERE code_sha256 = $1", &code_sha256)? {
                Err(Error::Conflict(format!(
                    "claim code {code_sha256} is already used"
                )))
            } else {
                Err(Error::NotFound(format!("claim code {code_sha256}")))
            }
        }
        Write::PutSecret {
            device,
            name,
            sealed,
        } => {
            require_device(db, known, &device)?;
            db.execute(
                "INSERT INTO secrets (device, name, sealed) VALUES ($1, $2, $3) \
                 ON CONFLICT (device, name) DO UPDATE SET sealed = EXCLUDED.sealed",
                &[&device, &name, &sealed],
            )?;
            Ok(())
        }
        Write::PutToken(t) => {
            let other = db.query_opt(
                "SELECT name FROM tokens WHERE token_sha256 = $1 AND name <> $2",
                &[&t.token_sha256, &t.name],
            )?;
            if let Some(row) = other {
                let other: String = row.try_get(0)?;
                return Err(Error::Conflict(format!(
                    "token {other} already has this value"
                )));
            }
            db.execute(
                "INSERT INTO tokens (name, role, token_sha256, created_at, revoked_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, \
                 token_sha256 = EXCLUDED.token_sha256, created_at = EXCLUDED.created_at, \
                 revoked_at = EXCLUDED.revoked_at",
                &[
                    &t.name,
                    &codec::role_text(t.role),
                    &t.token_sha256,
                    &t.created_at,
                    &t.revoked_at,
                ],
            )?;
            Ok(())
        }
        Write::Audit(e) => {
            let row = db.query_opt(
                "INSERT INTO audit (at, actor, action, target, detail) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[&e.at, &e.actor, &e.action, &e.target, &json(&e.detail)?],
            )?;
            ids.push(returned_id(row)?);
            Ok(())
        }
        Write::AwaitTransfer(id) => {
            db.execute(
                "UPDATE tasks SET claimed_by = NULL, lease_until = NULL \
                 WHERE id = $1 AND state = 'in_flight'",
                &[&id],
            )?;
            Ok(())
        }
        Write::PutRollout(r) => insert_rollout(db, &r),
        Write::ReportRollout {
            rollout,
            device,
            outcome,
            at,
        } => {
            let (state, code) = rollouts::reported(&outcome);
            db.execute(
                &format!(
                    "UPDATE rollout_devices SET state = $3, \
                     fault_code = COALESCE($4, fault_code), updated_at = $5 \
                     WHERE rollout = $1 AND device = $2 AND state IN ({})",
                    rollouts::sources_sql(&outcome)
                ),
                &[
                    &rollout,
                    &device,
                    &rollouts::device_state_text(state),
                    &code,
                    &at,
                ],
            )?;
            Ok(())
        }
    }
}

fn insert_rollout<C: GenericClient>(db: &mut Db<'_, C>, r: &Record) -> Result<()> {
    if db.exists("SELECT 1 FROM rollouts WHERE id = $1", &r.id)? {
        return Err(Error::Conflict(format!("rollout {} exists", r.id)));
    }
    db.execute(
        "INSERT INTO rollouts (id, image, version, state, header, created_by, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &r.id,
            &r.image,
            &r.version,
            &rollouts::state_text(&r.rollout.state),
            &rollouts::header_json(&r.rollout)?,
            &r.created_by,
            &r.created_at,
            &r.updated_at,
        ],
    )?;
    // Every target in one statement, as arrays (one round trip for 100 000 rows).
    let devices: Vec<&str> = r.rollout.order.iter().map(String::as_str).collect();
    let positions: Vec<i64> = (0..devices.len() as i64).collect();
    let states: Vec<&str> = r
        .rollout
        .order
        .iter()
        .map(|d| {
            rollouts::device_state_text(
                r.rollout
                    .devices
                    .get(d)
                    .copied()
                    .unwrap_or(tipring_acs::rollout::DeviceState::Queued),
            )
        })
        .collect();
    let codes: Vec<Option<i64>> = r
        .rollout
        .order
        .iter()
        .map(|d| r.rollout.codes.get(d).map(|c| i64::from(*c)))
        .collect();
    db.execute(
        "INSERT INTO rollout_devices (rollout, device, position, state, fault_code, updated_at) \
         SELECT $1, x.d, x.p, x.s, x.c, $2 \
         FROM UNNEST($3::TEXT[], $4::BIGINT[], $5::TEXT[], $6::BIGINT[]) AS x(d, p, s, c)",
        &[&r.id, &r.updated_at, &devices, &positions, &states, &codes],
    )?;
    Ok(())
}

/// A rollout's own row.
fn head(r: &Row) -> Result<rollouts::Head> {
    Ok(rollouts::Head {
        id: r.try_get(0)?,
        image: r.try_get(1)?,
        version: r.try_get(2)?,
        header: r.try_get(3)?,
        created_by: r.try_get(4)?,
        created_at: r.try_get(5)?,
        updated_at: r.try_get(6)?,
    })
}

/// A rollout's devices and its record, from its own row.
fn rollout_of<C: GenericClient>(db: &mut Db<'_, C>, h: rollouts::Head) -> Result<Record> {
    let rows = db.collect(
        "SELECT rd.device, rd.state, rd.fault_code, d.utc_offset_min, d.id IS NOT NULL, \
         rd.updated_at FROM rollout_devices rd \
         LEFT JOIN devices d ON d.id = rd.device WHERE rd.rollout = $1 ORDER BY rd.position",
        &[&h.id],
        |r| {
            let state: String = r.try_get(1)?;
            Ok(rollouts::Row {
                device: r.try_get(0)?,
                state: rollouts::device_state_from(&state)?,
                code: r.try_get(2)?,
                utc_offset: r.try_get(3)?,
                exists: r.try_get(4)?,
                updated_at: r.try_get(5)?,
            })
        },
    )?;
    rollouts::record(h, rows)
}

/// All of a session's parameters in one statement (one round trip, not one per value):
/// the columns as arrays, unnested. A name given twice keeps its last value, as the
/// row-by-row upsert on SQLite does (one INSERT ... ON CONFLICT may not touch a row twice).
fn put_parameters<C: GenericClient>(
    db: &mut Db<'_, C>,
    device: &str,
    parameters: &[CachedParameter],
) -> Result<()> {
    if parameters.is_empty() {
        return Ok(());
    }
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(parameters.len());
    for (i, p) in parameters.iter().enumerate() {
        last.insert(&p.name, i);
    }
    let n = last.len();
    let (mut names, mut values, mut types, mut writable, mut seen) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (i, p) in parameters.iter().enumerate() {
        if last.get(p.name.as_str()) == Some(&i) {
            names.push(p.name.as_str());
            values.push(p.value.as_str());
            types.push(p.xsd_type.as_str());
            writable.push(p.writable);
            seen.push(p.seen_at);
        }
    }
    db.execute(
        "INSERT INTO parameters (device, name, value, xsd_type, writable, seen_at) \
         SELECT $1::TEXT, n, v, x, w, s \
         FROM UNNEST($2::TEXT[], $3::TEXT[], $4::TEXT[], $5::BOOLEAN[], $6::BIGINT[]) \
         AS p(n, v, x, w, s) \
         ON CONFLICT (device, name) DO UPDATE SET value = EXCLUDED.value, \
         xsd_type = EXCLUDED.xsd_type, writable = EXCLUDED.writable, \
         seen_at = EXCLUDED.seen_at",
        &[&device, &names, &values, &types, &writable, &seen],
    )?;
    Ok(())
}

fn returned_id(row: Option<Row>) -> Result<i64> {
    match row {
        Some(r) => Ok(r.try_get(0)?),
        None => Err(Error::Database("INSERT ... RETURNING gave no row".into())),
    }
}

fn put_device<C: GenericClient>(db: &mut Db<'_, C>, d: &Device) -> Result<()> {
    require_site(db, d.site.as_deref())?;
    // One UPSERT: an update in place when the id exists (no delete, so no cascade to the
    // device's parameters, tasks and secrets). PostgreSQL writes a new row version either
    // way and keeps it on the page (HOT) when no indexed column changed.
    db.execute(
        "INSERT INTO devices (id, oui, product_class, serial, enrollment, site, tags, \
         manufacturer, model, software_version, hardware_version, provisioning_code, root, \
         connection_request_url, last_address, first_seen, last_inform, last_boot, \
         provisioned_digest, provisioned_at, cert_sha256, open_faults, utc_offset_min, lines, \
         lines_up, inform_interval_s, calls_at, calls_mos_good, calls_mos_fair, calls_mos_poor, \
         calls_mos_bad, calls_jitter_low, calls_jitter_mid, calls_jitter_high, \
         calls_jitter_severe) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, \
         $35) \
         ON CONFLICT (id) DO UPDATE SET oui = EXCLUDED.oui, \
         product_class = EXCLUDED.product_class, serial = EXCLUDED.serial, \
         enrollment = EXCLUDED.enrollment, site = EXCLUDED.site, tags = EXCLUDED.tags, \
         manufacturer = EXCLUDED.manufacturer, model = EXCLUDED.model, \
         software_version = EXCLUDED.software_version, \
         hardware_version = EXCLUDED.hardware_version, \
         provisioning_code = EXCLUDED.provisioning_code, root = EXCLUDED.root, \
         connection_request_url = EXCLUDED.connection_request_url, \
         last_address = EXCLUDED.last_address, first_seen = EXCLUDED.first_seen, \
         last_inform = EXCLUDED.last_inform, last_boot = EXCLUDED.last_boot, \
         provisioned_digest = EXCLUDED.provisioned_digest, \
         provisioned_at = EXCLUDED.provisioned_at, cert_sha256 = EXCLUDED.cert_sha256, \
         open_faults = EXCLUDED.open_faults, utc_offset_min = EXCLUDED.utc_offset_min, \
         lines = EXCLUDED.lines, lines_up = EXCLUDED.lines_up, \
         inform_interval_s = EXCLUDED.inform_interval_s, calls_at = EXCLUDED.calls_at, \
         calls_mos_good = EXCLUDED.calls_mos_good, calls_mos_fair = EXCLUDED.calls_mos_fair, \
         calls_mos_poor = EXCLUDED.calls_mos_poor, calls_mos_bad = EXCLUDED.calls_mos_bad, \
         calls_jitter_low = EXCLUDED.calls_jitter_low, \
         calls_jitter_mid = EXCLUDED.calls_jitter_mid, \
         calls_jitter_high = EXCLUDED.calls_jitter_high, \
         calls_jitter_severe = EXCLUDED.calls_jitter_severe",
        &[
            &d.id,
            &d.key.oui,
            &d.key.product_class,
            &d.key.serial,
            &codec::enrollment_text(d.enrollment),
            &d.site,
            &json(&d.tags)?,
            &d.manufacturer,
            &d.model,
            &d.software_version,
            &d.hardware_version,
            &d.provisioning_code,
            &codec::root_text(d.root),
            &d.connection_request_url,
            &d.last_address,
            &d.first_seen,
            &d.last_inform,
            &d.last_boot,
            &d.provisioned_digest,
            &d.provisioned_at,
            &d.cert_sha256,
            &i64::from(d.open_faults),
            &d.utc_offset_min,
            &i64::from(d.lines),
            &i64::from(d.lines_up),
            &d.inform_interval_s.map(i64::from),
            &d.calls_at,
            &i64::from(d.calls_mos[0]),
            &i64::from(d.calls_mos[1]),
            &i64::from(d.calls_mos[2]),
            &i64::from(d.calls_mos[3]),
            &i64::from(d.calls_jitter[0]),
            &i64::from(d.calls_jitter[1]),
            &i64::from(d.calls_jitter[2]),
            &i64::from(d.calls_jitter[3]),
        ],
    )?;
    Ok(())
}

fn put_task<C: GenericClient>(
    db: &mut Db<'_, C>,
    t: &Task,
    ids: &mut Vec<i64>,
    known: &mut Known,
) -> Result<()> {
    require_device(db, known, &t.device)?;
    let kind = json(&t.kind)?;
    let fault = t.fault.as_ref().map(json).transpose()?;
    let result = t.result.as_ref().map(json).transpose()?;
    let state = codec::task_state_text(t.state);
    let attempts = i64::from(t.attempts);
    if t.id == 0 {
        let row = db.query_opt(
            "INSERT INTO tasks (device, kind, state, attempts, next_attempt_at, fault, result, \
             created_at, created_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            &[
                &t.device,
                &kind,
                &state,
                &attempts,
                &t.next_attempt_at,
                &fault,
                &result,
                &t.created_at,
                &t.created_by,
                &t.updated_at,
            ],
        )?;
        ids.push(returned_id(row)?);
        return Ok(());
    }
    let n = db.execute(
        "UPDATE tasks SET device = $2, kind = $3, state = $4, attempts = $5, \
         next_attempt_at = $6, fault = $7, result = $8, created_at = $9, created_by = $10, \
         updated_at = $11, \
         claimed_by = CASE WHEN $4 = 'in_flight' THEN claimed_by END, \
         lease_until = CASE WHEN $4 = 'in_flight' THEN lease_until END WHERE id = $1",
        &[
            &t.id,
            &t.device,
            &kind,
            &state,
            &attempts,
            &t.next_attempt_at,
            &fault,
            &result,
            &t.created_at,
            &t.created_by,
            &t.updated_at,
        ],
    )?;
    if n == 0 {
        return Err(Error::NotFound(format!("task {}", t.id)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_shows_in_errors_or_debug() {
        assert_eq!(
            redact("postgres://tipring:s3cret@db.example.net:5432/tipring"),
            "postgres://tipring:***@db.example.net:5432/tipring"
        );
        assert_eq!(
            redact("postgres://tipring@db/tipring?host=/run/postgresql"),
            "postgres://tipring@db/tipring?host=/run/postgresql"
        );
        let c: postgres::Config = "postgres://tipring:s3cret@db.example.net:6000/fleet"
            .parse()
            .unwrap();
        let shown = describe(&c);
        assert_eq!(shown, "postgres://tipring@db.example.net:6000/fleet");
        assert!(!shown.contains("s3cret"));
    }

    #[test]
    fn qualified_task_columns_keep_the_codec_order() {
        let q = task_columns_of("tasks");
        assert!(q.starts_with("tasks.id, tasks.device, tasks.kind"), "{q}");
        assert_eq!(q.split(',').count(), codec::TASK_COLUMNS.split(',').count());
    }

    #[test]
    fn a_url_that_does_not_parse_is_a_url_error() {
        match PgStore::open("postgres://u:pw@host:notaport/db") {
            Err(Error::Url(m)) => assert!(!m.contains("pw@"), "{m}"),
            other => panic!("expected Url, got {other:?}"),
        }
    }
}

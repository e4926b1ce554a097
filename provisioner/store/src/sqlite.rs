//! The SQLite backend: one file in WAL mode, one writer connection behind a mutex, a small
//! pool of reader connections (WAL readers see the last commit and never wait for the
//! writer's open transaction).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension as _, TransactionBehavior};
use tipring_acs::model::{
    AuditEntry, CachedParameter, ClaimCode, Device, Preregistration, Profile, Site, Task,
};

use crate::codec::{self, json};
use crate::error::{Error, Result};
use crate::migrate;
use crate::rollouts;
use crate::{
    ApiToken, AuditFilter, DeviceFilter, DeviceRollout, FleetStats, Store, TaskFilter,
    VersionCount, Write,
};
use tipring_acs::rollout::{Record, Summary};

/// How long a connection waits for another process's lock before giving up with
/// [`Error::Database`] (`database is locked`).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Reader connections kept open at most (a read past that waits for one to come back).
pub const READERS: usize = 4;
/// Prepared statements cached per connection.
const STATEMENT_CACHE: usize = 64;

/// The SQLite [`Store`]: one file (plus its `-wal` and `-shm` companions).
///
/// * WAL journal, `synchronous=NORMAL` (a commit survives a crash of the process; a power
///   cut may lose the last commits but never corrupts the file), foreign keys enforced,
///   a busy timeout of [`BUSY_TIMEOUT`].
/// * One writer connection behind a mutex: [`Store::apply`] runs one `BEGIN IMMEDIATE`
///   transaction at a time.
/// * Up to [`READERS`] reader connections (`query_only`), opened on demand and reused:
///   reads see the last commit and do not wait for a write in progress.
pub struct SqliteStore {
    // Field order is drop order: the connections close before the temporary directory of
    // `open_in_memory` is removed.
    writer: Mutex<Connection>,
    readers: Readers,
    path: PathBuf,
    wakers: crate::Wakers,
    _temp: Option<TempDir>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .field("temporary", &self._temp.is_some())
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Open (creating it if missing) the database at `path` and bring its schema up to
    /// date ([`crate::SCHEMA_VERSION`]): each missing migration in its own transaction.
    /// A database written by a newer provisioner is refused with [`Error::TooNew`]; a file
    /// that is not a SQLite database with [`Error::Database`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_at(path.as_ref().to_path_buf(), None)
    }

    /// A fresh, empty store for tests: a real database file (WAL, like [`SqliteStore::open`],
    /// so readers behave exactly as in production) in a new private directory under the
    /// system's temporary directory, removed when the store is dropped.
    pub fn open_in_memory() -> Result<Self> {
        let temp = TempDir::new()?;
        let path = temp.path.join("store.sqlite");
        Self::open_at(path, Some(temp))
    }

    fn open_at(path: PathBuf, temp: Option<TempDir>) -> Result<Self> {
        let mut writer = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| Error::Database(format!("{}: {e}", path.display())))?;
        configure(&writer, false).map_err(|e| at(&path, e))?;
        // Refuse a newer database before anything (even the journal mode) is written.
        let found = migrate::current_version(&writer).map_err(|e| at(&path, e))?;
        if found > migrate::SCHEMA_VERSION {
            return Err(Error::TooNew {
                found,
                known: migrate::SCHEMA_VERSION,
            });
        }
        let mode: String = writer
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| at(&path, e.into()))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Database(format!(
                "{}: journal mode {mode}, not WAL",
                path.display()
            )));
        }
        let version = migrate::migrate(&mut writer, migrate::MIGRATIONS)?;
        tracing::debug!(path = %path.display(), version, "store open");
        Ok(Self {
            writer: Mutex::new(writer),
            readers: Readers {
                state: Mutex::new(ReaderState {
                    idle: Vec::new(),
                    open: 0,
                }),
                returned: Condvar::new(),
                path: path.clone(),
            },
            path,
            wakers: crate::Wakers::default(),
            _temp: temp,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32> {
        self.readers.with(migrate::current_version)
    }

    /// Write the WAL back into the database file and truncate it (a backup of the main
    /// file alone is then complete). SQLite also does this on its own every ~1000 pages.
    pub fn checkpoint(&self) -> Result<()> {
        let conn = self.writer();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held unwound through the transaction's Drop, which
        // rolled it back: the connection is clean.
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Per-connection settings.
fn configure(conn: &Connection, reader: bool) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    if reader {
        conn.pragma_update(None, "query_only", "ON")?;
    }
    Ok(())
}

fn at(path: &Path, e: Error) -> Error {
    match e {
        Error::Database(m) => Error::Database(format!("{}: {m}", path.display())),
        other => other,
    }
}

struct Readers {
    state: Mutex<ReaderState>,
    returned: Condvar,
    path: PathBuf,
}

struct ReaderState {
    idle: Vec<Connection>,
    /// Open connections, idle or lent.
    open: usize,
}

impl Readers {
    fn lock(&self) -> MutexGuard<'_, ReaderState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Run `f` on a reader connection (an idle one, a new one while fewer than [`READERS`]
    /// are open, or the next one given back).
    fn with<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let lent = self.take()?;
        f(lent.conn())
    }

    fn take(&self) -> Result<Lent<'_>> {
        let mut st = self.lock();
        loop {
            if let Some(conn) = st.idle.pop() {
                return Ok(Lent {
                    readers: self,
                    conn: Some(conn),
                });
            }
            if st.open < READERS {
                st.open += 1;
                drop(st);
                return match self.open_one() {
                    Ok(conn) => Ok(Lent {
                        readers: self,
                        conn: Some(conn),
                    }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.returned.notify_one();
                        Err(e)
                    }
                };
            }
            st = self
                .returned
                .wait(st)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn open_one(&self) -> Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| Error::Database(format!("{}: {e}", self.path.display())))?;
        configure(&conn, true)?;
        Ok(conn)
    }
}

/// A reader connection on loan; it goes back to the pool when dropped (also on a panic).
struct Lent<'a> {
    readers: &'a Readers,
    conn: Option<Connection>,
}

impl Lent<'_> {
    fn conn(&self) -> &Connection {
        match &self.conn {
            Some(c) => c,
            None => unreachable!("a lent connection is present until dropped"),
        }
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // A read that failed half-way inside a transaction leaves none open (every read
            // here is one autocommit statement), so the connection is fit to reuse.
            self.readers.lock().idle.push(conn);
            self.readers.returned.notify_one();
        }
    }
}

/// A private directory for [`SqliteStore::open_in_memory`], removed on drop.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new() -> Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let base = std::env::temp_dir();
        for _ in 0..1000 {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = base.join(format!("tipring-store-{}-{n}", std::process::id()));
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt as _;
                builder.mode(0o700);
            }
            match builder.create(&path) {
                Ok(()) => return Ok(Self { path }),
                // Left by an earlier process with our pid: take the next name.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(Error::Database(format!(
                        "cannot make a temporary directory in {}: {e}",
                        base.display()
                    )))
                }
            }
        }
        Err(Error::Database(format!(
            "cannot make a temporary directory in {}: every name is taken",
            base.display()
        )))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

impl Store for SqliteStore {
    fn apply(&self, writes: Vec<Write>) -> Result<Vec<i64>> {
        let mut ids = Vec::new();
        if writes.is_empty() {
            return Ok(ids);
        }
        let woken = crate::new_task_devices(&writes);
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        ids = apply_all(&tx, writes)?;
        tx.commit()?;
        drop(conn);
        self.wakers.wake(&woken);
        Ok(ids)
    }

    fn device(&self, id: &str) -> Result<Option<Device>> {
        self.readers.with(|c| {
            let mut s = c.prepare_cached(&format!(
                "SELECT {} FROM devices WHERE id = ?1",
                codec::DEVICE_COLUMNS
            ))?;
            let mut rows = s.query([id])?;
            rows.next()?.map(codec::device).transpose()
        })
    }

    fn devices(&self, filter: &DeviceFilter) -> Result<Vec<Device>> {
        let (clause, mut args) = device_where(filter);
        args.push(Value::Integer(codec::limit(filter.limit)));
        args.push(Value::Integer(i64::from(filter.offset)));
        let sql = format!(
            "SELECT {} FROM devices{clause}{} LIMIT ? OFFSET ?",
            codec::DEVICE_COLUMNS,
            filter.order_by()
        );
        self.readers
            .with(|c| collect(c, &sql, rusqlite::params_from_iter(args), codec::device))
    }

    fn count_devices(&self, filter: &DeviceFilter) -> Result<u64> {
        let (clause, args) = device_where(filter);
        let sql = format!("SELECT COUNT(*) FROM devices{clause}");
        self.readers.with(|c| {
            let n: i64 = c
                .prepare_cached(&sql)?
                .query_row(rusqlite::params_from_iter(args), |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn parameters(&self, device: &str, prefix: &str) -> Result<Vec<CachedParameter>> {
        let cols = codec::PARAMETER_COLUMNS;
        self.readers.with(|c| match codec::prefix_bound(prefix) {
            Some(hi) => collect(
                c,
                &format!(
                    "SELECT {cols} FROM parameters \
                     WHERE device = ?1 AND name >= ?2 AND name < ?3 ORDER BY name"
                ),
                params![device, prefix, hi],
                codec::parameter,
            ),
            None => collect(
                c,
                &format!(
                    "SELECT {cols} FROM parameters \
                     WHERE device = ?1 AND name >= ?2 ORDER BY name"
                ),
                params![device, prefix],
                codec::parameter,
            ),
        })
    }

    fn due_tasks(&self, device: &str, now: i64) -> Result<Vec<Task>> {
        let sql = format!(
            "SELECT {} FROM tasks WHERE device = ?1 AND \
             (state = 'queued' OR (state = 'retrying' AND next_attempt_at <= ?2)) ORDER BY id",
            codec::TASK_COLUMNS
        );
        self.readers
            .with(|c| collect(c, &sql, params![device, now], codec::task))
    }

    fn claim_due_tasks(
        &self,
        device: &str,
        now: i64,
        node: &str,
        lease_s: i64,
    ) -> Result<Vec<Task>> {
        // Most sessions have nothing to claim: a reader says so without taking the writer.
        let any = self.readers.with(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT 1 FROM tasks WHERE device = ?1 AND {CLAIMABLE} LIMIT 1"
            ))?
            .query_row(params![device, now], |_| Ok(()))
            .optional()?
            .is_some())
        })?;
        if !any {
            return Ok(Vec::new());
        }
        // One UPDATE in one IMMEDIATE transaction: SQLite's single writer (the file lock,
        // across processes too) serialises claimers, so the second finds the tasks taken.
        let sql = format!(
            "UPDATE tasks SET state = 'in_flight', claimed_by = ?3, lease_until = ?2 + ?4, \
             updated_at = ?2 WHERE device = ?1 AND {} RETURNING {}",
            CLAIMABLE,
            codec::TASK_COLUMNS
        );
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut tasks = collect(&tx, &sql, params![device, now, node, lease_s], codec::task)?;
        tx.commit()?;
        tasks.sort_by_key(|t| t.id);
        Ok(tasks)
    }

    fn awaiting_transfers(&self, device: &str) -> Result<Vec<Task>> {
        let sql = format!(
            "SELECT {} FROM tasks WHERE device = ?1 AND state = 'in_flight' ORDER BY id",
            codec::TASK_COLUMNS
        );
        let all = self
            .readers
            .with(|c| collect(c, &sql, [device], codec::task))?;
        Ok(all.into_iter().filter(|t| t.kind.is_transfer()).collect())
    }

    fn task(&self, id: i64) -> Result<Option<Task>> {
        let sql = format!("SELECT {} FROM tasks WHERE id = ?1", codec::TASK_COLUMNS);
        self.readers.with(|c| one(c, &sql, [id], codec::task))
    }

    fn tasks(&self, filter: &TaskFilter) -> Result<Vec<Task>> {
        let mut clauses = Vec::new();
        let mut args = Vec::new();
        if let Some(d) = &filter.device {
            clauses.push("device = ?");
            args.push(Value::Text(d.clone()));
        }
        if let Some(s) = filter.state {
            clauses.push("state = ?");
            args.push(Value::Text(codec::task_state_text(s).to_owned()));
        }
        args.push(Value::Integer(codec::limit(filter.limit)));
        let sql = format!(
            "SELECT {} FROM tasks{} ORDER BY id DESC LIMIT ?",
            codec::TASK_COLUMNS,
            where_clause(&clauses)
        );
        self.readers
            .with(|c| collect(c, &sql, rusqlite::params_from_iter(args), codec::task))
    }

    fn site(&self, name: &str) -> Result<Option<Site>> {
        let sql = format!("SELECT {} FROM sites WHERE name = ?1", codec::SITE_COLUMNS);
        self.readers.with(|c| one(c, &sql, [name], codec::site))
    }

    fn sites(&self) -> Result<Vec<Site>> {
        let sql = format!("SELECT {} FROM sites ORDER BY name", codec::SITE_COLUMNS);
        self.readers.with(|c| collect(c, &sql, [], codec::site))
    }

    fn profile(&self, name: &str) -> Result<Option<Profile>> {
        let sql = format!(
            "SELECT {} FROM profiles WHERE name = ?1",
            codec::PROFILE_COLUMNS
        );
        self.readers.with(|c| one(c, &sql, [name], codec::profile))
    }

    fn profiles(&self) -> Result<Vec<Profile>> {
        let sql = format!(
            "SELECT {} FROM profiles ORDER BY name",
            codec::PROFILE_COLUMNS
        );
        self.readers.with(|c| collect(c, &sql, [], codec::profile))
    }

    fn preregistration(
        &self,
        serial: &str,
        oui: &str,
        product_class: &str,
    ) -> Result<Option<Preregistration>> {
        // A row's empty OUI / product class matches any; the most specific row wins.
        // OUIs are hex, compared without regard to case (TR-069 Amendment 6 A.3.3.1,
        // DeviceIdStruct, asks for upper case; not every CPE obeys).
        let sql = format!(
            "SELECT {} FROM preregistrations WHERE serial = ?1 \
             AND (oui = '' OR upper(oui) = upper(?2)) \
             AND (product_class = '' OR product_class = ?3) \
             ORDER BY (oui <> '') + (product_class <> '') DESC, oui DESC, product_class DESC \
             LIMIT 1",
            codec::PREREGISTRATION_COLUMNS
        );
        self.readers.with(|c| {
            one(
                c,
                &sql,
                params![serial, oui, product_class],
                codec::preregistration,
            )
        })
    }

    fn preregistrations(&self) -> Result<Vec<Preregistration>> {
        let sql = format!(
            "SELECT {} FROM preregistrations ORDER BY serial, oui, product_class",
            codec::PREREGISTRATION_COLUMNS
        );
        self.readers
            .with(|c| collect(c, &sql, [], codec::preregistration))
    }

    fn claim(&self, code_sha256: &str) -> Result<Option<ClaimCode>> {
        let sql = format!(
            "SELECT {} FROM claims WHERE code_sha256 = ?1",
            codec::CLAIM_COLUMNS
        );
        self.readers
            .with(|c| one(c, &sql, [code_sha256], codec::claim))
    }

    fn claims(&self) -> Result<Vec<ClaimCode>> {
        let sql = format!(
            "SELECT {} FROM claims ORDER BY created_at DESC, code_sha256",
            codec::CLAIM_COLUMNS
        );
        self.readers.with(|c| collect(c, &sql, [], codec::claim))
    }

    fn secret(&self, device: &str, name: &str) -> Result<Option<Vec<u8>>> {
        self.readers.with(|c| {
            Ok(
                c.prepare_cached("SELECT sealed FROM secrets WHERE device = ?1 AND name = ?2")?
                    .query_row([device, name], |r| r.get(0))
                    .optional()?,
            )
        })
    }

    fn secrets(&self, device: &str) -> Result<Vec<(String, Vec<u8>)>> {
        self.readers.with(|c| {
            collect(
                c,
                "SELECT name, sealed FROM secrets WHERE device = ?1 ORDER BY name",
                [device],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
    }

    fn secret_names(&self, device: &str) -> Result<Vec<String>> {
        self.readers.with(|c| {
            collect(
                c,
                "SELECT name FROM secrets WHERE device = ?1 ORDER BY name",
                [device],
                |r| Ok(r.get(0)?),
            )
        })
    }

    fn token_by_hash(&self, token_sha256: &str) -> Result<Option<ApiToken>> {
        let sql = format!(
            "SELECT {} FROM tokens WHERE token_sha256 = ?1",
            codec::TOKEN_COLUMNS
        );
        self.readers
            .with(|c| one(c, &sql, [token_sha256], codec::token))
    }

    fn tokens(&self) -> Result<Vec<ApiToken>> {
        let sql = format!("SELECT {} FROM tokens ORDER BY name", codec::TOKEN_COLUMNS);
        self.readers.with(|c| collect(c, &sql, [], codec::token))
    }

    fn rollouts(&self) -> Result<Vec<Summary>> {
        self.readers.with(|c| {
            let counts = collect(
                c,
                "SELECT rollout, state, COUNT(*) FROM rollout_devices GROUP BY rollout, state",
                [],
                |r| {
                    let state: String = r.get(1)?;
                    Ok((
                        r.get::<_, String>(0)?,
                        rollouts::device_state_from(&state)?,
                        r.get::<_, i64>(2)?,
                    ))
                },
            )?;
            collect(
                c,
                &format!(
                    "SELECT {} FROM rollouts ORDER BY created_at DESC, id",
                    rollouts::COLUMNS
                ),
                [],
                |r| {
                    let h = rollout_head(r)?;
                    let mine: Vec<_> = counts
                        .iter()
                        .filter(|(x, _, _)| *x == h.id)
                        .map(|(_, s, n)| (*s, *n))
                        .collect();
                    rollouts::summary(h, &mine)
                },
            )
        })
    }

    fn running_rollouts(&self) -> Result<Vec<String>> {
        self.readers.with(|c| {
            collect(
                c,
                "SELECT id FROM rollouts WHERE state = 'running' ORDER BY id",
                [],
                |r| Ok(r.get(0)?),
            )
        })
    }

    fn rollout(&self, id: &str) -> Result<Option<Record>> {
        self.readers.with(|c| load_rollout(c, id))
    }

    fn update_rollout(
        &self,
        id: &str,
        change: &mut dyn FnMut(&mut Record) -> Vec<Write>,
    ) -> Result<Option<Vec<i64>>> {
        // The single writer is the lock: no other node or thread writes meanwhile.
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(mut rec) = load_rollout(&tx, id)? else {
            return Ok(None);
        };
        let before = rec.rollout.clone();
        let writes = change(&mut rec);
        tx.prepare_cached(
            "UPDATE rollouts SET header = ?2, state = ?3, updated_at = ?4 WHERE id = ?1",
        )?
        .execute(params![
            rec.id,
            rollouts::header_json(&rec.rollout)?,
            rollouts::state_text(&rec.rollout.state),
            rec.updated_at
        ])?;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE rollout_devices SET state = ?3, fault_code = ?4, updated_at = ?5 \
                 WHERE rollout = ?1 AND device = ?2",
            )?;
            for (device, state, code) in rollouts::changed(&before, &rec.rollout) {
                stmt.execute(params![
                    rec.id,
                    device,
                    rollouts::device_state_text(state),
                    code,
                    rec.updated_at
                ])?;
            }
        }
        let woken = crate::new_task_devices(&writes);
        let ids = apply_all(&tx, writes)?;
        tx.commit()?;
        drop(conn);
        self.wakers.wake(&woken);
        Ok(Some(ids))
    }

    fn task_wakeups(&self) -> Result<std::sync::mpsc::Receiver<String>> {
        Ok(self.wakers.subscribe())
    }

    fn device_rollouts(&self, device: &str) -> Result<Vec<DeviceRollout>> {
        self.readers.with(|c| {
            collect(
                c,
                "SELECT rd.rollout, r.version, rd.state FROM rollout_devices rd \
                 JOIN rollouts r ON r.id = rd.rollout WHERE rd.device = ?1 \
                 AND rd.state IN ('started', 'installed', 'confirmed') ORDER BY rd.rollout",
                [device],
                |r| {
                    let state: String = r.get(2)?;
                    Ok(DeviceRollout {
                        rollout: r.get(0)?,
                        version: r.get(1)?,
                        state: rollouts::device_state_from(&state)?,
                    })
                },
            )
        })
    }

    fn fleet_stats(&self, now: i64, default_interval_s: u32) -> Result<FleetStats> {
        let def = i64::from(default_interval_s);
        self.readers.with(|c| {
            let counts =
                c.prepare_cached(codec::FLEET_COUNTS_SQL)?
                    .query_row(params![now, def], |r| {
                        let mut n = [0i64; codec::FLEET_COUNTS];
                        for (i, v) in n.iter_mut().enumerate() {
                            *v = r.get(i)?;
                        }
                        Ok(n)
                    })?;
            let versions = collect(c, codec::FLEET_VERSIONS_SQL, [], |r| {
                Ok(VersionCount {
                    model: r.get(0)?,
                    software_version: r.get(1)?,
                    devices: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                })
            })?;
            Ok(codec::fleet_stats(counts, versions))
        })
    }

    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let mut clauses = Vec::new();
        let mut args = Vec::new();
        for (col, v) in [
            ("actor = ?", &filter.actor),
            ("target = ?", &filter.target),
            ("action = ?", &filter.action),
        ] {
            if let Some(v) = v {
                clauses.push(col);
                args.push(Value::Text(v.clone()));
            }
        }
        if let Some(since) = filter.since {
            clauses.push("at >= ?");
            args.push(Value::Integer(since));
        }
        args.push(Value::Integer(codec::limit(filter.limit)));
        let sql = format!(
            "SELECT {} FROM audit{} ORDER BY id DESC LIMIT ?",
            codec::AUDIT_COLUMNS,
            where_clause(&clauses)
        );
        self.readers
            .with(|c| collect(c, &sql, rusqlite::params_from_iter(args), codec::audit))
    }
}

/// The tasks [`Store::claim_due_tasks`] takes (`?2` is now): due ones, and in-flight ones
/// whose lease ran out (the node that claimed them died or lost the database).
pub(crate) const CLAIMABLE: &str =
    "(state = 'queued' OR (state = 'retrying' AND next_attempt_at <= ?2) \
     OR (state = 'in_flight' AND lease_until <= ?2))";

fn where_clause(clauses: &[&str]) -> String {
    if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    }
}

/// The WHERE clause (with a leading space, or empty) and its arguments for a device filter.
fn device_where(f: &DeviceFilter) -> (String, Vec<Value>) {
    let mut clauses = Vec::new();
    let mut args = Vec::new();
    if let Some(site) = &f.site {
        clauses.push("site = ?");
        args.push(Value::Text(site.clone()));
    }
    if let Some(tag) = &f.tag {
        clauses.push("EXISTS (SELECT 1 FROM json_each(devices.tags) AS t WHERE t.value = ?)");
        args.push(Value::Text(tag.clone()));
    }
    if let Some(e) = f.enrollment {
        clauses.push("enrollment = ?");
        args.push(Value::Text(codec::enrollment_text(e).to_owned()));
    }
    if let Some(m) = &f.model {
        clauses.push("model = ?");
        args.push(Value::Text(m.clone()));
    }
    if let Some(v) = &f.software_version {
        clauses.push("software_version = ?");
        args.push(Value::Text(v.clone()));
    }
    if let Some(text) = &f.text {
        // ASCII letters match either case (SQLite's LIKE), wildcards only themselves.
        clauses.push("id LIKE ? ESCAPE '\\'");
        args.push(Value::Text(format!("%{}%", codec::like_escape(text))));
    }
    if f.faulted {
        clauses.push("open_faults > 0");
    }
    if let Some(prefix) = &f.serial_prefix {
        clauses.push("serial >= ?");
        args.push(Value::Text(prefix.clone()));
        if let Some(hi) = codec::prefix_bound(prefix) {
            clauses.push("serial < ?");
            args.push(Value::Text(hi));
        }
    }
    if let Some(p) = f.presence {
        clauses.push(if p.online {
            "last_inform >= ? - (COALESCE(inform_interval_s, ?) * 11 / 10 + 30)"
        } else {
            "(last_inform IS NULL OR last_inform < ? - (COALESCE(inform_interval_s, ?) * 11 / 10 + 30))"
        });
        args.push(Value::Integer(p.now));
        args.push(Value::Integer(i64::from(p.default_interval_s)));
    }
    if f.lines_down {
        clauses.push("lines_up < lines");
    }
    (where_clause(&clauses), args)
}

/// Every row of a query, decoded.
fn collect<T, P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    decode: impl Fn(&rusqlite::Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(decode(row)?);
    }
    Ok(out)
}

/// The first row of a query, decoded.
fn one<T, P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    decode: impl Fn(&rusqlite::Row<'_>) -> Result<T>,
) -> Result<Option<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    rows.next()?.map(decode).transpose()
}

fn exists(conn: &Connection, sql: &str, key: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([key], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Devices known to exist inside the batch's transaction (put by it, or looked up once):
/// a session's writes name one device several times.
type Known = HashSet<String>;

fn require_device(conn: &Connection, known: &mut Known, id: &str) -> Result<()> {
    if known.contains(id) {
        return Ok(());
    }
    if exists(conn, "SELECT 1 FROM devices WHERE id = ?1", id)? {
        known.insert(id.to_owned());
        Ok(())
    } else {
        Err(Error::NotFound(format!("device {id}")))
    }
}

fn require_site(conn: &Connection, site: Option<&str>) -> Result<()> {
    match site {
        Some(name) if !exists(conn, "SELECT 1 FROM sites WHERE name = ?1", name)? => {
            Err(Error::NotFound(format!("site {name}")))
        }
        _ => Ok(()),
    }
}

fn count(conn: &Connection, sql: &str, key: &str) -> Result<i64> {
    Ok(conn.prepare_cached(sql)?.query_row([key], |r| r.get(0))?)
}

/// Every write of a batch inside its transaction; the new ids. An error returns at once:
/// dropping the caller's transaction rolls every earlier write back.
fn apply_all(tx: &Connection, writes: Vec<Write>) -> Result<Vec<i64>> {
    let mut ids = Vec::new();
    let mut known = HashSet::new();
    for write in writes {
        apply_one(tx, write, &mut ids, &mut known)?;
    }
    Ok(ids)
}

/// One write inside the batch's transaction.
fn apply_one(tx: &Connection, write: Write, ids: &mut Vec<i64>, known: &mut Known) -> Result<()> {
    match write {
        Write::PutDevice(d) => {
            put_device(tx, &d)?;
            known.insert(d.id);
            Ok(())
        }
        Write::DeleteDevice(id) => {
            known.remove(&id);
            // parameters, tasks and secrets go with it (ON DELETE CASCADE).
            let n = tx
                .prepare_cached("DELETE FROM devices WHERE id = ?1")?
                .execute([&id])?;
            if n == 0 {
                return Err(Error::NotFound(format!("device {id}")));
            }
            Ok(())
        }
        Write::PutParameters { device, parameters } => {
            require_device(tx, known, &device)?;
            let mut s = tx.prepare_cached(
                "INSERT INTO parameters (device, name, value, xsd_type, writable, seen_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (device, name) DO UPDATE SET value = excluded.value, \
                 xsd_type = excluded.xsd_type, writable = excluded.writable, \
                 seen_at = excluded.seen_at",
            )?;
            for p in &parameters {
                s.execute(params![
                    device, p.name, p.value, p.xsd_type, p.writable, p.seen_at
                ])?;
            }
            Ok(())
        }
        Write::DeleteParameters { device, prefix } => {
            match codec::prefix_bound(&prefix) {
                Some(hi) => tx
                    .prepare_cached(
                        "DELETE FROM parameters WHERE device = ?1 AND name >= ?2 AND name < ?3",
                    )?
                    .execute(params![device, prefix, hi])?,
                None => tx
                    .prepare_cached("DELETE FROM parameters WHERE device = ?1 AND name >= ?2")?
                    .execute(params![device, prefix])?,
            };
            Ok(())
        }
        Write::PutTask(t) => put_task(tx, &t, ids, known),
        Write::PutSite(s) => {
            tx.prepare_cached(
                "INSERT INTO sites (name, description, variables) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (name) DO UPDATE SET description = excluded.description, \
                 variables = excluded.variables",
            )?
            .execute(params![s.name, s.description, json(&s.variables)?])?;
            Ok(())
        }
        Write::DeleteSite(name) => {
            let devices = count(tx, "SELECT COUNT(*) FROM devices WHERE site = ?1", &name)?;
            let claims = count(tx, "SELECT COUNT(*) FROM claims WHERE site = ?1", &name)?;
            let preregistrations = count(
                tx,
                "SELECT COUNT(*) FROM preregistrations WHERE site = ?1",
                &name,
            )?;
            if devices > 0 || claims > 0 || preregistrations > 0 {
                return Err(Error::InUse(format!(
                    "site {name} is named by {devices} device(s), {claims} claim code(s) \
                     and {preregistrations} pre-registration(s)"
                )));
            }
            let n = tx
                .prepare_cached("DELETE FROM sites WHERE name = ?1")?
                .execute([&name])?;
            if n == 0 {
                return Err(Error::NotFound(format!("site {name}")));
            }
            Ok(())
        }
        Write::PutProfile(p) => {
            tx.prepare_cached(
                "INSERT INTO profiles (name, priority, model, site, tags, template, variables, \
                 drift) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT (name) DO UPDATE SET priority = excluded.priority, \
                 model = excluded.model, site = excluded.site, tags = excluded.tags, \
                 template = excluded.template, variables = excluded.variables, \
                 drift = excluded.drift",
            )?
            .execute(params![
                p.name,
                p.priority,
                p.model,
                p.site,
                json(&p.tags)?,
                p.template,
                json(&p.variables)?,
                codec::drift_text(p.drift),
            ])?;
            Ok(())
        }
        Write::DeleteProfile(name) => {
            let n = tx
                .prepare_cached("DELETE FROM profiles WHERE name = ?1")?
                .execute([&name])?;
            if n == 0 {
                return Err(Error::NotFound(format!("profile {name}")));
            }
            Ok(())
        }
        Write::PutPreregistration(p) => {
            require_site(tx, p.site.as_deref())?;
            tx.prepare_cached(
                "INSERT INTO preregistrations (serial, oui, product_class, site, tags, \
                 initial_secret_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (serial, oui, product_class) DO UPDATE SET site = excluded.site, \
                 tags = excluded.tags, initial_secret_sha256 = excluded.initial_secret_sha256",
            )?
            .execute(params![
                p.serial,
                p.oui,
                p.product_class,
                p.site,
                json(&p.tags)?,
                p.initial_secret_sha256,
            ])?;
            Ok(())
        }
        Write::DeletePreregistration(serial) => {
            let n = tx
                .prepare_cached("DELETE FROM preregistrations WHERE serial = ?1")?
                .execute([&serial])?;
            if n == 0 {
                return Err(Error::NotFound(format!("pre-registration {serial}")));
            }
            Ok(())
        }
        Write::PutClaim(c) => {
            require_site(tx, c.site.as_deref())?;
            tx.prepare_cached(
                "INSERT INTO claims (code_sha256, site, tags, expires_at, used_by, created_at, \
                 created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                 ON CONFLICT (code_sha256) DO UPDATE SET site = excluded.site, \
                 tags = excluded.tags, expires_at = excluded.expires_at, \
                 used_by = excluded.used_by, created_at = excluded.created_at, \
                 created_by = excluded.created_by",
            )?
            .execute(params![
                c.code_sha256,
                c.site,
                json(&c.tags)?,
                c.expires_at,
                c.used_by,
                c.created_at,
                c.created_by,
            ])?;
            Ok(())
        }
        Write::DeleteClaim(code_sha256) => {
            let n = tx
                .prepare_cached("DELETE FROM claims WHERE code_sha256 = ?1")?
                .execute([&code_sha256])?;
            if n == 0 {
                return Err(Error::NotFound(format!("claim code {code_sha256}")));
            }
            Ok(())
        }
        Write::ConsumeClaim {
            code_sha256,
            device,
        } => {
            // One conditional UPDATE: of two transactions racing for the code, the second
            // (serialised by the write lock) finds used_by set and changes no row.
            let n = tx
                .prepare_cached(
                    "UPDATE claims SET used_by = ?2 WHERE code_sha256 = ?1 AND used_by IS NULL",
                )?
                .execute([&code_sha256, &device])?;
            if n == 1 {
                return Ok(());
            }
            if exists(
                tx,
                "SELECT 1 FROM claims WHERE code_sha256 = ?1",
                &code_sha256,
            )? {
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
            require_device(tx, known, &device)?;
            tx.prepare_cached(
                "INSERT INTO secrets (device, name, sealed) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (device, name) DO UPDATE SET sealed = excluded.sealed",
            )?
            .execute(params![device, name, sealed])?;
            Ok(())
        }
        Write::PutToken(t) => {
            let other: Option<String> = tx
                .prepare_cached("SELECT name FROM tokens WHERE token_sha256 = ?1 AND name <> ?2")?
                .query_row([&t.token_sha256, &t.name], |r| r.get(0))
                .optional()?;
            if let Some(other) = other {
                return Err(Error::Conflict(format!(
                    "token {other} already has this value"
                )));
            }
            tx.prepare_cached(
                "INSERT INTO tokens (name, role, token_sha256, created_at, revoked_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (name) DO UPDATE SET role = excluded.role, \
                 token_sha256 = excluded.token_sha256, created_at = excluded.created_at, \
                 revoked_at = excluded.revoked_at",
            )?
            .execute(params![
                t.name,
                codec::role_text(t.role),
                t.token_sha256,
                t.created_at,
                t.revoked_at,
            ])?;
            Ok(())
        }
        Write::Audit(e) => {
            tx.prepare_cached(
                "INSERT INTO audit (at, actor, action, target, detail) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![e.at, e.actor, e.action, e.target, json(&e.detail)?])?;
            ids.push(tx.last_insert_rowid());
            Ok(())
        }
        Write::AwaitTransfer(id) => {
            tx.prepare_cached(
                "UPDATE tasks SET claimed_by = NULL, lease_until = NULL \
                 WHERE id = ?1 AND state = 'in_flight'",
            )?
            .execute([id])?;
            Ok(())
        }
        Write::PutRollout(r) => insert_rollout(tx, &r),
        Write::ReportRollout {
            rollout,
            device,
            outcome,
            at,
        } => {
            let (state, code) = rollouts::reported(&outcome);
            tx.prepare_cached(&format!(
                "UPDATE rollout_devices SET state = ?3, fault_code = COALESCE(?4, fault_code), \
                 updated_at = ?5 WHERE rollout = ?1 AND device = ?2 AND state IN ({})",
                rollouts::sources_sql(&outcome)
            ))?
            .execute(params![
                rollout,
                device,
                rollouts::device_state_text(state),
                code,
                at
            ])?;
            Ok(())
        }
    }
}

fn insert_rollout(tx: &Connection, r: &Record) -> Result<()> {
    if exists(tx, "SELECT 1 FROM rollouts WHERE id = ?1", &r.id)? {
        return Err(Error::Conflict(format!("rollout {} exists", r.id)));
    }
    tx.prepare_cached(
        "INSERT INTO rollouts (id, image, version, state, header, created_by, created_at, \
         updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        r.id,
        r.image,
        r.version,
        rollouts::state_text(&r.rollout.state),
        rollouts::header_json(&r.rollout)?,
        r.created_by,
        r.created_at,
        r.updated_at
    ])?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO rollout_devices (rollout, device, position, state, fault_code, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (i, d) in r.rollout.order.iter().enumerate() {
        let state = r
            .rollout
            .devices
            .get(d)
            .copied()
            .unwrap_or(tipring_acs::rollout::DeviceState::Queued);
        let code = r.rollout.codes.get(d).map(|c| i64::from(*c));
        stmt.execute(params![
            r.id,
            d,
            i as i64,
            rollouts::device_state_text(state),
            code,
            r.updated_at
        ])?;
    }
    Ok(())
}

/// A rollout with its devices (and the UTC offsets of the queued ones).
fn load_rollout(conn: &Connection, id: &str) -> Result<Option<Record>> {
    let head = one(
        conn,
        &format!("SELECT {} FROM rollouts WHERE id = ?1", rollouts::COLUMNS),
        [id],
        rollout_head,
    )?;
    let Some(head) = head else {
        return Ok(None);
    };
    let rows = collect(
        conn,
        "SELECT rd.device, rd.state, rd.fault_code, d.utc_offset_min, d.id IS NOT NULL, \
         rd.updated_at FROM rollout_devices rd \
         LEFT JOIN devices d ON d.id = rd.device WHERE rd.rollout = ?1 ORDER BY rd.position",
        [&head.id],
        |r| {
            let state: String = r.get(1)?;
            Ok(rollouts::Row {
                device: r.get(0)?,
                state: rollouts::device_state_from(&state)?,
                code: r.get(2)?,
                utc_offset: r.get(3)?,
                exists: r.get(4)?,
                updated_at: r.get(5)?,
            })
        },
    )?;
    rollouts::record(head, rows).map(Some)
}

/// A rollout's own row.
fn rollout_head(r: &rusqlite::Row<'_>) -> Result<rollouts::Head> {
    Ok(rollouts::Head {
        id: r.get(0)?,
        image: r.get(1)?,
        version: r.get(2)?,
        header: r.get(3)?,
        created_by: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
    })
}

fn put_device(tx: &Connection, d: &Device) -> Result<()> {
    require_site(tx, d.site.as_deref())?;
    let tags = json(&d.tags)?;
    // Not an INSERT OR REPLACE: a replace deletes the row first, and the delete would
    // cascade to the device's parameters, tasks and secrets. And not one UPSERT setting
    // every column either: SQLite rewrites the index entries of every indexed column an
    // UPDATE sets, changed or not, and an Inform changes the unindexed ones (last_inform,
    // last_address...) but seldom the indexed ones (site, enrollment, model, software
    // version). So: the unindexed columns, then the indexed ones only when they differ.
    let n = tx
        .prepare_cached(
            "UPDATE devices SET oui = ?2, product_class = ?3, serial = ?4, tags = ?5, \
             manufacturer = ?6, hardware_version = ?7, provisioning_code = ?8, root = ?9, \
             connection_request_url = ?10, last_address = ?11, first_seen = ?12, \
             last_inform = ?13, last_boot = ?14, provisioned_digest = ?15, \
             provisioned_at = ?16, cert_sha256 = ?17, open_faults = ?18, utc_offset_min = ?19, \
             lines = ?20, lines_up = ?21, inform_interval_s = ?22, calls_at = ?23, \
             calls_mos_good = ?24, calls_mos_fair = ?25, calls_mos_poor = ?26, \
             calls_mos_bad = ?27, calls_jitter_low = ?28, calls_jitter_mid = ?29, \
             calls_jitter_high = ?30, calls_jitter_severe = ?31 WHERE id = ?1",
        )?
        .execute(params![
            d.id,
            d.key.oui,
            d.key.product_class,
            d.key.serial,
            tags,
            d.manufacturer,
            d.hardware_version,
            d.provisioning_code,
            codec::root_text(d.root),
            d.connection_request_url,
            d.last_address,
            d.first_seen,
            d.last_inform,
            d.last_boot,
            d.provisioned_digest,
            d.provisioned_at,
            d.cert_sha256,
            d.open_faults,
            d.utc_offset_min,
            d.lines,
            d.lines_up,
            d.inform_interval_s,
            d.calls_at,
            d.calls_mos[0],
            d.calls_mos[1],
            d.calls_mos[2],
            d.calls_mos[3],
            d.calls_jitter[0],
            d.calls_jitter[1],
            d.calls_jitter[2],
            d.calls_jitter[3],
        ])?;
    let enrollment = codec::enrollment_text(d.enrollment);
    if n == 1 {
        tx.prepare_cached(
            "UPDATE devices SET enrollment = ?2, site = ?3, model = ?4, software_version = ?5 \
             WHERE id = ?1 AND (enrollment IS NOT ?2 OR site IS NOT ?3 OR model IS NOT ?4 \
             OR software_version IS NOT ?5)",
        )?
        .execute(params![
            d.id,
            enrollment,
            d.site,
            d.model,
            d.software_version
        ])?;
        return Ok(());
    }
    tx.prepare_cached(
        "INSERT INTO devices (id, oui, product_class, serial, enrollment, site, tags, \
         manufacturer, model, software_version, hardware_version, provisioning_code, root, \
         connection_request_url, last_address, first_seen, last_inform, last_boot, \
         provisioned_digest, provisioned_at, cert_sha256, open_faults, utc_offset_min, lines, \
         lines_up, inform_interval_s, calls_at, calls_mos_good, calls_mos_fair, calls_mos_poor, \
         calls_mos_bad, calls_jitter_low, calls_jitter_mid, calls_jitter_high, \
         calls_jitter_severe) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
         ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, \
         ?35)",
    )?
    .execute(params![
        d.id,
        d.key.oui,
        d.key.product_class,
        d.key.serial,
        enrollment,
        d.site,
        tags,
        d.manufacturer,
        d.model,
        d.software_version,
        d.hardware_version,
        d.provisioning_code,
        codec::root_text(d.root),
        d.connection_request_url,
        d.last_address,
        d.first_seen,
        d.last_inform,
        d.last_boot,
        d.provisioned_digest,
        d.provisioned_at,
        d.cert_sha256,
        d.open_faults,
        d.utc_offset_min,
        d.lines,
        d.lines_up,
        d.inform_interval_s,
        d.calls_at,
        d.calls_mos[0],
        d.calls_mos[1],
        d.calls_mos[2],
        d.calls_mos[3],
        d.calls_jitter[0],
        d.calls_jitter[1],
        d.calls_jitter[2],
        d.calls_jitter[3],
    ])?;
    Ok(())
}

fn put_task(tx: &Connection, t: &Task, ids: &mut Vec<i64>, known: &mut Known) -> Result<()> {
    require_device(tx, known, &t.device)?;
    let kind = json(&t.kind)?;
    let fault = t.fault.as_ref().map(json).transpose()?;
    let result = t.result.as_ref().map(json).transpose()?;
    let state = codec::task_state_text(t.state);
    if t.id == 0 {
        tx.prepare_cached(
            "INSERT INTO tasks (device, kind, state, attempts, next_attempt_at, fault, result, \
             created_at, created_by, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            t.device,
            kind,
            state,
            t.attempts,
            t.next_attempt_at,
            fault,
            result,
            t.created_at,
            t.created_by,
            t.updated_at,
        ])?;
        ids.push(tx.last_insert_rowid());
        return Ok(());
    }
    let n = tx
        .prepare_cached(
            "UPDATE tasks SET device = ?2, kind = ?3, state = ?4, attempts = ?5, \
             next_attempt_at = ?6, fault = ?7, result = ?8, created_at = ?9, created_by = ?10, \
             updated_at = ?11, \
             claimed_by = CASE WHEN ?4 = 'in_flight' THEN claimed_by END, \
             lease_until = CASE WHEN ?4 = 'in_flight' THEN lease_until END WHERE id = ?1",
        )?
        .execute(params![
            t.id,
            t.device,
            kind,
            state,
            t.attempts,
            t.next_attempt_at,
            fault,
            result,
            t.created_at,
            t.created_by,
            t.updated_at,
        ])?;
    if n == 0 {
        return Err(Error::NotFound(format!("task {}", t.id)));
    }
    Ok(())
}

//! `cargo bench -p tipring-store`: what the store costs a CWMP session.
//!
//! * Session commits per second: one `apply` of PutDevice + PutParameters (20 values) +
//!   2 PutTask + 1 Audit — the outcome of a typical session — on a file database (WAL,
//!   synchronous=NORMAL), against issue 9's target of 5000 sessions/s.
//! * Device lookups per second (`Store::device`).
//!
//! Each figure is printed beside its baseline: the same rows written (read) with bare
//! rusqlite — same schema, same pragmas, prepared statements, one transaction per session;
//! every column read back — without our layer (no model types, no JSON, no existence
//! checks, no connection pool).
//!
//! The machine is shared, so the two run in alternating rounds and each figure is the
//! best round's (the one least disturbed by other processes); the median is shown too.
//!
//! Then the same figures for PostgreSQL ([`PgStore`]) on a private server started as the
//! tests start theirs (`tests/store/pg.rs`: the Debian `postgresql` package, unix socket,
//! fsync off — like SQLite's synchronous=NORMAL, a commit is not flushed to disk), against
//! a baseline of bare `postgres` client statements (prepared, one transaction per session,
//! one INSERT per row: the store sends a session's parameters in one statement instead, so
//! it beats this baseline on writes). Both backends also report `apply` from
//! several threads at once (SQLite queues them behind its one writer; PostgreSQL runs
//! them side by side on its pooled connections). When the server cannot be started the bench says why and
//! prints the SQLite figures only.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rusqlite::{params, Connection, OptionalExtension as _, TransactionBehavior};
use tipring_acs::model::{
    AuditEntry, CachedParameter, Device, DeviceKey, Enrollment, Root, Task, TaskKind, TaskState,
};
use tipring_store::{PgStore, SqliteStore, Store, Write};

#[path = "../tests/store/pg.rs"]
mod pg;

/// Issue 9's figure for the provisioner as a whole.
const TARGET_SESSIONS_PER_S: f64 = 5000.0;
const DEVICES: usize = 500;
const ROUNDS: usize = 5;
const SESSIONS_PER_ROUND: usize = 2000;
const LOOKUPS_PER_ROUND: usize = 30_000;
const PARAMS: usize = 20;

#[allow(clippy::disallowed_methods)] // the bench's one clock
fn now() -> Instant {
    Instant::now()
}

fn device(i: usize, t: i64) -> Device {
    let key = DeviceKey {
        oui: "00D09E".into(),
        product_class: "FXS4".into(),
        serial: format!("SN{i:06}"),
    };
    let mut d = Device::new(key, 1_700_000_000);
    d.enrollment = Enrollment::Approved;
    d.tags = vec!["branch".into(), "fxs".into()];
    d.manufacturer = "Tipring".into();
    d.model = "TR-4".into();
    d.software_version = "1.2.3".into();
    d.hardware_version = "A".into();
    d.root = Root::Device;
    d.connection_request_url = Some(format!("http://10.0.{}.{}:7547/cr", i / 250, i % 250));
    d.last_address = Some("10.0.0.1:40000".into());
    d.last_inform = Some(t);
    d
}

fn parameters(t: i64) -> Vec<CachedParameter> {
    (0..PARAMS)
        .map(|p| CachedParameter {
            name: format!(
                "Device.Services.VoiceService.1.VoiceProfile.1.Line.{}.Param{p}",
                p % 4 + 1
            ),
            value: format!("value-{p}-{t}"),
            xsd_type: "xsd:string".into(),
            writable: Some(true),
            seen_at: t,
        })
        .collect()
}

fn task(device: &str, t: i64) -> Task {
    Task {
        id: 0,
        device: device.into(),
        kind: TaskKind::GetParameterValues {
            names: vec!["Device.DeviceInfo.".into()],
        },
        state: TaskState::Queued,
        attempts: 0,
        next_attempt_at: t,
        fault: None,
        result: None,
        created_at: t,
        created_by: "provisioner".into(),
        updated_at: t,
    }
}

/// Session `i`'s outcome as the store takes it.
fn session(i: usize) -> Vec<Write> {
    let t = 1_700_000_000 + i as i64;
    let d = device(i % DEVICES, t);
    let id = d.id.clone();
    vec![
        Write::PutDevice(d),
        Write::PutParameters {
            device: id.clone(),
            parameters: parameters(t),
        },
        Write::PutTask(task(&id, t)),
        Write::PutTask(task(&id, t)),
        Write::Audit(AuditEntry {
            id: 0,
            at: t,
            actor: format!("device:{id}"),
            action: "session.inform".into(),
            target: id,
            detail: serde_json::json!({ "events": ["2 PERIODIC"] }),
        }),
    ]
}

/// Session `i`'s rows as plain values, for the baseline.
struct Rows {
    id: String,
    serial: String,
    cr: String,
    t: i64,
    params: Vec<(String, String)>,
}

fn rows(i: usize) -> Rows {
    let t = 1_700_000_000 + i as i64;
    let d = device(i % DEVICES, t);
    Rows {
        id: d.id.clone(),
        serial: d.key.serial.clone(),
        cr: d.connection_request_url.clone().unwrap_or_default(),
        t,
        params: parameters(t)
            .into_iter()
            .map(|p| (p.name, p.value))
            .collect(),
    }
}

fn ours_writes(store: &dyn Store, round: usize) -> f64 {
    // Build the batches first: the figure is the store's, not the test data's.
    let first = round * SESSIONS_PER_ROUND;
    let batches: Vec<Vec<Write>> = (first..first + SESSIONS_PER_ROUND).map(session).collect();
    let start = now();
    for b in batches {
        store.apply(b).expect("apply");
    }
    SESSIONS_PER_ROUND as f64 / start.elapsed().as_secs_f64()
}

/// Threads applying sessions at once (the sessions of one provisioner's workers, or of
/// several nodes): each thread its own devices, so no two sessions wait for one row.
const WRITER_THREADS: usize = 4;

fn ours_writes_threaded(store: &dyn Store, round: usize) -> f64 {
    // Past every round of `ours_writes`, and each thread on its own devices.
    let first = (ROUNDS + round) * SESSIONS_PER_ROUND;
    let per_thread = SESSIONS_PER_ROUND / WRITER_THREADS;
    // Session i writes device i % DEVICES: thread t takes the devices of its own quarter.
    let share = DEVICES / WRITER_THREADS;
    let batches: Vec<Vec<Vec<Write>>> = (0..WRITER_THREADS)
        .map(|t| {
            (0..per_thread)
                .map(|k| session(first + k * DEVICES + t * share + k % share))
                .collect()
        })
        .collect();
    let start = now();
    std::thread::scope(|scope| {
        for b in batches {
            scope.spawn(move || {
                for w in b {
                    store.apply(w).expect("apply");
                }
            });
        }
    });
    (per_thread * WRITER_THREADS) as f64 / start.elapsed().as_secs_f64()
}

fn ours_reads(store: &dyn Store, ids: &[String]) -> f64 {
    let start = now();
    let mut found = 0;
    for n in 0..LOOKUPS_PER_ROUND {
        if store
            .device(&ids[(n * 7919) % DEVICES])
            .expect("read")
            .is_some()
        {
            found += 1;
        }
    }
    let rate = LOOKUPS_PER_ROUND as f64 / start.elapsed().as_secs_f64();
    assert_eq!(found, LOOKUPS_PER_ROUND);
    rate
}

fn baseline_open(path: &Path) -> Connection {
    let c = Connection::open(path).expect("open");
    c.pragma_update(None, "journal_mode", "WAL").expect("wal");
    c.pragma_update(None, "synchronous", "NORMAL")
        .expect("sync");
    c.pragma_update(None, "foreign_keys", "ON").expect("fk");
    c.execute_batch(include_str!("../migrations/0001_initial.sql"))
        .expect("schema");
    c
}

fn baseline_writes(c: &mut Connection, round: usize) -> f64 {
    let first = round * SESSIONS_PER_ROUND;
    let all: Vec<Rows> = (first..first + SESSIONS_PER_ROUND).map(rows).collect();
    let start = now();
    for r in &all {
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .expect("begin");
        tx.prepare_cached(
            "INSERT INTO devices (id, oui, product_class, serial, enrollment, site, tags, \
             manufacturer, model, software_version, hardware_version, provisioning_code, root, \
             connection_request_url, last_address, first_seen, last_inform, open_faults) \
             VALUES (?1, '00D09E', 'FXS4', ?2, 'approved', NULL, '[\"branch\",\"fxs\"]', \
             'Tipring', 'TR-4', '1.2.3', 'A', '', 'device', ?3, '10.0.0.1:40000', \
             1700000000, ?4, 0) ON CONFLICT (id) DO UPDATE SET \
             connection_request_url = excluded.connection_request_url, \
             last_inform = excluded.last_inform",
        )
        .expect("prepare")
        .execute(params![r.id, r.serial, r.cr, r.t])
        .expect("device");
        {
            let mut s = tx
                .prepare_cached(
                    "INSERT INTO parameters (device, name, value, xsd_type, writable, seen_at) \
                     VALUES (?1, ?2, ?3, 'xsd:string', 1, ?4) \
                     ON CONFLICT (device, name) DO UPDATE SET value = excluded.value, \
                     seen_at = excluded.seen_at",
                )
                .expect("prepare");
            for (name, value) in &r.params {
                s.execute(params![r.id, name, value, r.t]).expect("param");
            }
            let mut s = tx
                .prepare_cached(
                    "INSERT INTO tasks (device, kind, state, attempts, next_attempt_at, \
                     created_at, created_by, updated_at) VALUES (?1, \
                     '{\"kind\":\"get_parameter_values\",\"names\":[\"Device.DeviceInfo.\"]}', \
                     'queued', 0, ?2, ?2, 'provisioner', ?2)",
                )
                .expect("prepare");
            s.execute(params![r.id, r.t]).expect("task");
            s.execute(params![r.id, r.t]).expect("task");
            tx.prepare_cached(
                "INSERT INTO audit (at, actor, action, target, detail) \
                 VALUES (?1, ?2, 'session.inform', ?3, '{\"events\":[\"2 PERIODIC\"]}')",
            )
            .expect("prepare")
            .execute(params![r.t, format!("device:{}", r.id), r.id])
            .expect("audit");
        }
        tx.commit().expect("commit");
    }
    SESSIONS_PER_ROUND as f64 / start.elapsed().as_secs_f64()
}

fn baseline_reads(c: &Connection, ids: &[String]) -> f64 {
    let mut s = c
        .prepare_cached(
            "SELECT id, oui, product_class, serial, enrollment, site, tags, manufacturer, model, \
             software_version, hardware_version, provisioning_code, root, \
             connection_request_url, last_address, first_seen, last_inform, last_boot, \
             provisioned_digest, provisioned_at, cert_sha256, open_faults \
             FROM devices WHERE id = ?1",
        )
        .expect("prepare");
    let start = now();
    let mut found = 0;
    for n in 0..LOOKUPS_PER_ROUND {
        // Every column, as plain strings and integers (no enum or JSON decoding).
        let row = s
            .query_row([&ids[(n * 7919) % DEVICES]], |r| {
                let mut text = Vec::with_capacity(15);
                for i in [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12] {
                    text.push(r.get::<_, String>(i)?);
                }
                for i in [5, 13, 14, 18, 20] {
                    text.push(r.get::<_, Option<String>>(i)?.unwrap_or_default());
                }
                let mut ints = [0i64; 5];
                for (k, i) in [15, 16, 17, 19, 21].into_iter().enumerate() {
                    ints[k] = r.get::<_, Option<i64>>(i)?.unwrap_or(0);
                }
                Ok((text, ints))
            })
            .optional()
            .expect("read");
        if row.is_some() {
            found += 1;
        }
    }
    let rate = LOOKUPS_PER_ROUND as f64 / start.elapsed().as_secs_f64();
    assert_eq!(found, LOOKUPS_PER_ROUND);
    rate
}

fn pg_baseline_writes(c: &mut postgres::Client, round: usize) -> f64 {
    let first = round * SESSIONS_PER_ROUND;
    let all: Vec<Rows> = (first..first + SESSIONS_PER_ROUND).map(rows).collect();
    let device = c
        .prepare(
            "INSERT INTO devices (id, oui, product_class, serial, enrollment, site, tags, \
             manufacturer, model, software_version, hardware_version, provisioning_code, root, \
             connection_request_url, last_address, first_seen, last_inform, open_faults) \
             VALUES ($1, '00D09E', 'FXS4', $2, 'approved', NULL, '[\"branch\",\"fxs\"]', \
             'Tipring', 'TR-4', '1.2.3', 'A', '', 'device', $3, '10.0.0.1:40000', \
             1700000000, $4, 0) ON CONFLICT (id) DO UPDATE SET \
             connection_request_url = EXCLUDED.connection_request_url, \
             last_inform = EXCLUDED.last_inform",
        )
        .expect("prepare");
    let param = c
        .prepare(
            "INSERT INTO parameters (device, name, value, xsd_type, writable, seen_at) \
             VALUES ($1, $2, $3, 'xsd:string', TRUE, $4) \
             ON CONFLICT (device, name) DO UPDATE SET value = EXCLUDED.value, \
             seen_at = EXCLUDED.seen_at",
        )
        .expect("prepare");
    let task = c
        .prepare(
            "INSERT INTO tasks (device, kind, state, attempts, next_attempt_at, \
             created_at, created_by, updated_at) VALUES ($1, \
             '{\"kind\":\"get_parameter_values\",\"names\":[\"Device.DeviceInfo.\"]}', \
             'queued', 0, $2, $2, 'provisioner', $2) RETURNING id",
        )
        .expect("prepare");
    let audit = c
        .prepare(
            "INSERT INTO audit (at, actor, action, target, detail) \
             VALUES ($1, $2, 'session.inform', $3, '{\"events\":[\"2 PERIODIC\"]}') RETURNING id",
        )
        .expect("prepare");
    let start = now();
    for r in &all {
        let mut tx = c.transaction().expect("begin");
        tx.execute(&device, &[&r.id, &r.serial, &r.cr, &r.t])
            .expect("device");
        for (name, value) in &r.params {
            tx.execute(&param, &[&r.id, name, value, &r.t])
                .expect("param");
        }
        tx.query_one(&task, &[&r.id, &r.t]).expect("task");
        tx.query_one(&task, &[&r.id, &r.t]).expect("task");
        tx.query_one(&audit, &[&r.t, &format!("device:{}", r.id), &r.id])
            .expect("audit");
        tx.commit().expect("commit");
    }
    SESSIONS_PER_ROUND as f64 / start.elapsed().as_secs_f64()
}

fn pg_baseline_reads(c: &mut postgres::Client, ids: &[String]) -> f64 {
    let s = c
        .prepare(
            "SELECT id, oui, product_class, serial, enrollment, site, tags, manufacturer, model, \
             software_version, hardware_version, provisioning_code, root, \
             connection_request_url, last_address, first_seen, last_inform, last_boot, \
             provisioned_digest, provisioned_at, cert_sha256, open_faults \
             FROM devices WHERE id = $1",
        )
        .expect("prepare");
    let start = now();
    let mut found = 0;
    for n in 0..LOOKUPS_PER_ROUND {
        let row = c
            .query_opt(&s, &[&ids[(n * 7919) % DEVICES]])
            .expect("read");
        if let Some(r) = row {
            // Every column, as plain strings and integers (no enum or JSON decoding).
            let mut text = Vec::with_capacity(17);
            for i in [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12] {
                text.push(r.get::<_, String>(i));
            }
            for i in [5, 13, 14, 18, 20] {
                text.push(r.get::<_, Option<String>>(i).unwrap_or_default());
            }
            let mut ints = [0i64; 5];
            for (k, i) in [15, 16, 17, 19, 21].into_iter().enumerate() {
                ints[k] = r.get::<_, Option<i64>>(i).unwrap_or(0);
            }
            std::hint::black_box((text, ints));
            found += 1;
        }
    }
    let rate = LOOKUPS_PER_ROUND as f64 / start.elapsed().as_secs_f64();
    assert_eq!(found, LOOKUPS_PER_ROUND);
    rate
}

/// The PostgreSQL figures, or why there are none.
fn postgres_figures(ids: &[String]) {
    println!();
    let server = match std::panic::catch_unwind(pg::server) {
        Ok(s) => s,
        Err(e) => {
            let why = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            println!("PostgreSQL: no figures, the server did not start: {why}");
            return;
        }
    };
    let store = PgStore::open(&server.create_database()).expect("open PgStore");
    let base_url = server.create_database();
    // The baseline's tables: the same migration files, applied by the store once.
    drop(PgStore::open(&base_url).expect("schema for the baseline"));
    let mut base = postgres::Client::connect(&base_url, postgres::NoTls).expect("connect");
    let (mut ow, mut bw, mut or, mut br) = (vec![], vec![], vec![], vec![]);
    let mut ot = vec![];
    for round in 0..ROUNDS {
        if round % 2 == 0 {
            ow.push(ours_writes(&store, round));
            bw.push(pg_baseline_writes(&mut base, round));
        } else {
            bw.push(pg_baseline_writes(&mut base, round));
            ow.push(ours_writes(&store, round));
        }
        ot.push(ours_writes_threaded(&store, round));
        or.push(ours_reads(&store, ids));
        br.push(pg_baseline_reads(&mut base, ids));
    }
    let ((ow, owm), (bw, bwm), (or, orm), (br, brm)) =
        (summary(ow), summary(bw), summary(or), summary(br));
    let (ot, otm) = summary(ot);
    let us = |per_s: f64| 1e6 / per_s;
    println!(
        "PostgreSQL (private server, unix socket {}, fsync=off)",
        server.socket_dir().display()
    );
    println!(
        "  tipring-store apply     {ow:>9.0} sessions/s [{owm:>7.0}]  {:>6.1} us each",
        us(ow)
    );
    println!(
        "  bare postgres, per row  {bw:>9.0} sessions/s [{bwm:>7.0}]  {:>6.1} us each  (baseline)",
        us(bw)
    );
    println!("  ratio store/baseline    {:>9.2}", ow / bw);
    println!(
        "  apply, {WRITER_THREADS} threads       {ot:>9.0} sessions/s [{otm:>7.0}]  (a connection each)"
    );
    println!(
        "  issue 9 target (SQLite) {TARGET_SESSIONS_PER_S:>9.0} sessions/s            (PostgreSQL: report only)"
    );
    println!(
        "  tipring-store device()  {or:>9.0} lookups/s  [{orm:>7.0}]  {:>6.1} us each",
        us(or)
    );
    println!(
        "  bare postgres SELECT    {br:>9.0} lookups/s  [{brm:>7.0}]  {:>6.1} us each  (baseline)",
        us(br)
    );
    println!("  ratio store/baseline    {:>9.2}", or / br);
}

/// (best, median) of per-round rates.
fn summary(mut rates: Vec<f64>) -> (f64, f64) {
    rates.sort_by(f64::total_cmp);
    (rates[rates.len() - 1], rates[rates.len() / 2])
}

fn main() {
    // TIPRING_BENCH_DIR puts the files elsewhere (e.g. /dev/shm to take the disk out).
    let base_dir = std::env::var_os("TIPRING_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir: PathBuf = base_dir.join(format!("tipring-store-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let started = now();

    let store = SqliteStore::open(dir.join("store.sqlite")).expect("open");
    let mut base = baseline_open(&dir.join("baseline.sqlite"));
    let ids: Vec<String> = (0..DEVICES).map(|i| device(i, 0).id).collect();
    let (mut ow, mut bw, mut or, mut br) = (vec![], vec![], vec![], vec![]);
    let mut ot = vec![];
    for round in 0..ROUNDS {
        // Alternate which goes first, so neither always meets the other's write-back.
        if round % 2 == 0 {
            ow.push(ours_writes(&store, round));
            bw.push(baseline_writes(&mut base, round));
        } else {
            bw.push(baseline_writes(&mut base, round));
            ow.push(ours_writes(&store, round));
        }
        ot.push(ours_writes_threaded(&store, round));
        or.push(ours_reads(&store, &ids));
        br.push(baseline_reads(&base, &ids));
    }
    let ((ow, owm), (bw, bwm), (or, orm), (br, brm)) =
        (summary(ow), summary(bw), summary(or), summary(br));
    let (ot, otm) = summary(ot);

    let us = |per_s: f64| 1e6 / per_s;
    println!(
        "tipring-store bench: file database in {}, WAL, synchronous=NORMAL, {DEVICES} devices,",
        dir.display()
    );
    println!("best of {ROUNDS} alternating rounds (median in brackets)");
    println!();
    println!(
        "session commit: PutDevice + PutParameters({PARAMS}) + 2 PutTask + Audit, one transaction \
         ({SESSIONS_PER_ROUND} per round)"
    );
    println!(
        "  tipring-store apply     {ow:>9.0} sessions/s [{owm:>7.0}]  {:>6.1} us each",
        us(ow)
    );
    println!(
        "  bare rusqlite INSERTs   {bw:>9.0} sessions/s [{bwm:>7.0}]  {:>6.1} us each  (baseline)",
        us(bw)
    );
    println!("  ratio store/baseline    {:>9.2}", ow / bw);
    println!(
        "  apply, {WRITER_THREADS} threads       {ot:>9.0} sessions/s [{otm:>7.0}]  (one writer: they queue)"
    );
    println!(
        "  issue 9 target          {TARGET_SESSIONS_PER_S:>9.0} sessions/s            {}",
        if owm >= TARGET_SESSIONS_PER_S {
            "met (median)"
        } else if ow >= TARGET_SESSIONS_PER_S {
            "met (best round only)"
        } else {
            "NOT met"
        }
    );
    println!();
    println!("device lookup by id ({LOOKUPS_PER_ROUND} per round)");
    println!(
        "  tipring-store device()  {or:>9.0} lookups/s  [{orm:>7.0}]  {:>6.1} us each",
        us(or)
    );
    println!(
        "  bare rusqlite SELECT    {br:>9.0} lookups/s  [{brm:>7.0}]  {:>6.1} us each  (baseline)",
        us(br)
    );
    println!("  ratio store/baseline    {:>9.2}", or / br);
    postgres_figures(&ids);
    println!();
    println!("(whole bench: {:.1} s)", started.elapsed().as_secs_f64());
    drop(store);
    drop(base);
    let _ = std::fs::remove_dir_all(&dir);
}

//! What only the PostgreSQL store has: migrations under an advisory lock, reopening a
//! database by URL, and `tipring_store::open` choosing the backend by URL.

use std::sync::{Arc, Barrier};
use std::thread;

use tipring_acs::model::TaskKind;
use tipring_store::{Error, PgStore, Store, Write, SCHEMA_VERSION};

use crate::common::*;
use crate::pg::server;

fn versions(url: &str) -> Vec<i32> {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.query("SELECT version FROM schema_version ORDER BY version", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn every_version() -> Vec<i32> {
    (1..=i32::try_from(SCHEMA_VERSION).unwrap()).collect()
}

#[test]
fn a_new_database_gets_the_whole_schema_and_reopening_changes_nothing() {
    let url = crate::pg::fresh_url();
    let s = PgStore::open(&url).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    drop(s);
    assert_eq!(versions(&url), every_version());
    let s = PgStore::open(&url).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(versions(&url), every_version());
}

/// Several nodes started at once on an empty database: all open, each step is applied
/// once (without the advisory lock the losers fail on "relation already exists", or a
/// step is recorded twice).
#[test]
fn nodes_starting_together_on_an_empty_database_migrate_it_once() {
    const NODES: usize = 6;
    let url = Arc::new(crate::pg::fresh_url());
    let barrier = Arc::new(Barrier::new(NODES));
    let nodes: Vec<_> = (0..NODES)
        .map(|_| {
            let url = Arc::clone(&url);
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                PgStore::open(&url).map(|s| s.schema_version())
            })
        })
        .collect();
    for n in nodes {
        assert_eq!(n.join().unwrap().unwrap().unwrap(), SCHEMA_VERSION);
    }
    assert_eq!(versions(&url), every_version());
}

/// A database from a newer provisioner is refused, and nothing in it changes.
#[test]
fn a_newer_database_is_refused_untouched() {
    let url = crate::pg::fresh_url();
    drop(PgStore::open(&url).unwrap());
    server().execute(
        &url,
        &format!(
            "INSERT INTO schema_version VALUES ({}, 'pg/9999_future.sql')",
            SCHEMA_VERSION + 1
        ),
    );
    match PgStore::open(&url) {
        Err(Error::TooNew { found, known }) => {
            assert_eq!((found, known), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    let mut want = every_version();
    want.push(i32::try_from(SCHEMA_VERSION).unwrap() + 1);
    assert_eq!(versions(&url), want);
}

/// A database as the version-1 build left it (with data) is brought to the current version
/// by the next build, and its data stays.
#[test]
fn a_database_at_version_1_is_upgraded_with_its_data() {
    let url = crate::pg::fresh_url();
    server().execute(
        &url,
        &format!(
            "{}
             CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
             INSERT INTO schema_version VALUES (1, 'pg/0001_initial.sql');
             INSERT INTO devices (id, oui, product_class, serial, enrollment, tags,
                 manufacturer, model, software_version, hardware_version, provisioning_code,
                 root, first_seen, open_faults)
             VALUES ('00D09E-FXS4-S1', '00D09E', 'FXS4', 'S1', 'approved', '[\"a\"]',
                 'Tipring', 'TR-4', '1.0', 'A', '', 'device', 1700000000, 0);
             INSERT INTO tasks (device, kind, state, attempts, next_attempt_at, created_at,
                 created_by, updated_at)
             VALUES ('00D09E-FXS4-S1', '{{\"kind\":\"reboot\"}}', 'queued', 0, 0, 0, 'a', 0);",
            include_str!("../../migrations/pg/0001_initial.sql")
        ),
    );
    let s = PgStore::open(&url).unwrap();
    assert_eq!(versions(&url), every_version());
    let d = s.device("00D09E-FXS4-S1").unwrap().expect("kept");
    assert_eq!(d.tags, ["a"]);
    // The old task is claimable under the new lease columns.
    let got = s.claim_due_tasks(&d.id, T0, "n", 30).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].kind, TaskKind::Reboot);
}

#[test]
fn committed_data_survives_reopening_and_two_stores_see_each_other() {
    let url = crate::pg::fresh_url();
    let d = full_device("S1");
    let ids = {
        let a = PgStore::open(&url).unwrap();
        a.apply(vec![
            Write::PutSite(site("hq")),
            Write::PutDevice(d.clone()),
            Write::PutTask(task(&d.id, TaskKind::Provision)),
            Write::Audit(audit("admin", "x", &d.id, T0)),
        ])
        .unwrap()
    };
    let a = PgStore::open(&url).unwrap();
    let b = PgStore::open(&url).unwrap();
    assert_eq!(a.device(&d.id).unwrap(), Some(d.clone()));
    assert_eq!(b.task(ids[0]).unwrap().unwrap().kind, TaskKind::Provision);
    b.apply(vec![Write::PutSite(site("from-b"))]).unwrap();
    assert_eq!(a.sites().unwrap().len(), 2);
    // Ids carry on.
    let next = a
        .apply(vec![Write::PutTask(task(&d.id, TaskKind::Reboot))])
        .unwrap();
    assert!(next[0] > ids[0]);
}

#[test]
fn open_picks_the_backend_by_url() {
    let url = crate::pg::fresh_url();
    let pg = tipring_store::open(&url).unwrap();
    assert!(format!("{pg:?}").starts_with("PgStore"), "{pg:?}");
    pg.apply(vec![Write::PutSite(site("hq"))]).unwrap();
    assert!(PgStore::open(&url).unwrap().site("hq").unwrap().is_some());
    let pg2 = tipring_store::open(&url.replacen("postgres://", "postgresql://", 1)).unwrap();
    assert!(pg2.site("hq").unwrap().is_some());

    let dir = TempDir::new("open-url");
    let path = dir.join("a.sqlite");
    let lite = tipring_store::open(&format!("sqlite:{}", path.display())).unwrap();
    assert!(format!("{lite:?}").starts_with("SqliteStore"), "{lite:?}");
    lite.apply(vec![Write::PutSite(site("lite"))]).unwrap();
    drop(lite);
    let plain = tipring_store::open(&path.display().to_string()).unwrap();
    assert!(
        plain.site("lite").unwrap().is_some(),
        "a plain path is the same file"
    );

    for bad in ["mysql://db/x", "sqlite:"] {
        match tipring_store::open(bad) {
            Err(Error::Url(_)) => {}
            other => panic!("{bad}: expected Url, got {other:?}"),
        }
    }
    // A server that is not there: a Database error naming where, without the password.
    match tipring_store::open("postgres://u:pw@/x?host=/nonexistent-dir&port=1") {
        Err(Error::Database(m)) => {
            assert!(m.contains("/nonexistent-dir") && !m.contains("pw"), "{m}")
        }
        other => panic!("expected Database, got {other:?}"),
    }
}

/// A batch a constraint refuses is a Conflict, as on SQLite, and the pool stays usable
/// (the failed transaction was rolled back, not left open on the connection).
#[test]
fn a_failed_transaction_leaves_every_pooled_connection_usable() {
    let s = PgStore::open(&crate::pg::fresh_url()).unwrap();
    let d = device("S1");
    s.apply(vec![Write::PutDevice(d.clone())]).unwrap();
    for _ in 0..tipring_store::PG_CONNECTIONS * 2 {
        let res = s.apply(vec![
            Write::PutSite(site("hq")),
            Write::DeleteDevice("ghost".into()),
        ]);
        assert!(matches!(res, Err(Error::NotFound(_))), "{res:?}");
    }
    assert!(s.sites().unwrap().is_empty());
    s.apply(vec![Write::PutSite(site("hq"))]).unwrap();
    assert_eq!(s.sites().unwrap().len(), 1);
}

/// The server closes the pooled connections (a restart, an administrator's
/// pg_terminate_backend): the next reads and batches go through on new connections.
#[test]
fn connections_the_server_closed_are_replaced_without_an_error() {
    let url = crate::pg::fresh_url();
    let s = PgStore::open(&url).unwrap();
    let d = device("S1");
    s.apply(vec![Write::PutDevice(d.clone())]).unwrap();
    let kill = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                WHERE datname = current_database() AND pid <> pg_backend_pid()";
    server().execute(&url, kill);
    assert!(s.device(&d.id).unwrap().is_some());
    server().execute(&url, kill);
    s.apply(vec![Write::PutSite(site("hq"))]).unwrap();
    assert!(s.site("hq").unwrap().is_some());
}

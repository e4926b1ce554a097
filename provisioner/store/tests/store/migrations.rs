//! Schema versions on open: fresh files, older files, newer files, not-a-database files.

use rusqlite::Connection;
use tipring_store::{Error, SqliteStore, Store, SCHEMA_VERSION};

use crate::common::*;

const V1: &str = include_str!("../../migrations/0001_initial.sql");

fn versions(path: &std::path::Path) -> Vec<i64> {
    let c = Connection::open(path).unwrap();
    let mut s = c
        .prepare("SELECT version FROM schema_version ORDER BY version")
        .unwrap();
    s.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

#[test]
fn a_new_file_gets_the_whole_schema_and_reopening_changes_nothing() {
    let dir = TempDir::new("fresh");
    let path = dir.join("store.sqlite");
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(s.path(), path);
    drop(s);
    let want: Vec<i64> = (1..=i64::from(SCHEMA_VERSION)).collect();
    assert_eq!(versions(&path), want);
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    drop(s);
    assert_eq!(versions(&path), want);
    let c = Connection::open(&path).unwrap();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

/// A database written by the version-1 schema (as a first release left it, with data in
/// it) opens, is brought to the current version, and its data reads back.
#[test]
fn a_version_1_database_is_upgraded_with_its_data() {
    let dir = TempDir::new("v1");
    let path = dir.join("store.sqlite");
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch(V1).unwrap();
        c.execute_batch(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
             INSERT INTO schema_version VALUES (1, '0001_initial.sql');
             INSERT INTO sites (name, description, variables)
                 VALUES ('hq', 'head office', '{\"pbx\":\"10.0.0.5\"}');
             INSERT INTO devices (id, oui, product_class, serial, enrollment, site, tags,
                 manufacturer, model, software_version, hardware_version, provisioning_code,
                 root, first_seen, open_faults)
             VALUES ('00D09E-FXS4-S1', '00D09E', 'FXS4', 'S1', 'approved', 'hq', '[\"a\"]',
                 'Tipring', 'TR-4', '1.0', 'A', '', 'device', 1700000000, 0);",
        )
        .unwrap();
    }
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    let d = s.device("00D09E-FXS4-S1").unwrap().expect("kept");
    assert_eq!(d.site.as_deref(), Some("hq"));
    assert_eq!(d.tags, ["a"]);
    assert_eq!(s.site("hq").unwrap().unwrap().variables["pbx"], "10.0.0.5");
}

/// A file from a newer provisioner is refused, and left as it was.
#[test]
fn a_newer_database_is_refused_untouched() {
    let dir = TempDir::new("newer");
    let path = dir.join("store.sqlite");
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch(V1).unwrap();
        c.execute_batch(&format!(
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
             INSERT INTO schema_version VALUES (1, '0001_initial.sql');
             INSERT INTO schema_version VALUES ({}, '9999_future.sql');",
            SCHEMA_VERSION + 1
        ))
        .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    match SqliteStore::open(&path) {
        Err(Error::TooNew { found, known }) => {
            assert_eq!((found, known), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "not even the journal mode"
    );
    let err = SqliteStore::open(&path).unwrap_err().to_string();
    assert!(
        err.contains(&format!("schema version {}", SCHEMA_VERSION + 1))
            && err.contains(&format!("up to {SCHEMA_VERSION}")),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_refused_untouched() {
    let dir = TempDir::new("garbage");
    let path = dir.join("store.sqlite");
    let junk: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 3) as u8).collect();
    std::fs::write(&path, &junk).unwrap();
    match SqliteStore::open(&path) {
        Err(Error::Database(what)) => assert!(what.contains("store.sqlite"), "{what}"),
        other => panic!("expected Database, got {other:?}"),
    }
    assert_eq!(std::fs::read(&path).unwrap(), junk);
}

#[test]
fn a_path_that_cannot_be_created_is_an_error_naming_it() {
    let dir = TempDir::new("nodir");
    let path = dir.join("missing/dir/store.sqlite");
    match SqliteStore::open(&path) {
        Err(Error::Database(what)) => assert!(what.contains("missing/dir"), "{what}"),
        other => panic!("expected Database, got {other:?}"),
    }
}

#[test]
fn open_in_memory_makes_a_fresh_store_each_time_and_cleans_up() {
    let a = store();
    let b = store();
    assert_ne!(a.path(), b.path());
    a.apply(vec![tipring_store::Write::PutSite(site("only-in-a"))])
        .unwrap();
    assert!(b.sites().unwrap().is_empty());
    let dir = a.path().parent().unwrap().to_path_buf();
    assert!(dir.exists());
    drop(a);
    assert!(!dir.exists(), "the temporary directory is removed");
}

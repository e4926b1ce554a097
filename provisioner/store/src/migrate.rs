//! Schema migrations: numbered SQL steps embedded in the crate, applied in order, each in
//! its own transaction, and recorded in the `schema_version` table.

use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior};

use crate::error::{Error, Result};

/// One step of the schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Migration {
    /// 1, 2, 3... without gaps.
    pub version: u32,
    /// Its file's name, for the log.
    pub name: &'static str,
    /// The SQL (several statements).
    pub sql: &'static str,
}

/// Every SQLite step, in order. Never edit a released one: add the next.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_initial.sql",
        sql: include_str!("../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "0002_task_leases.sql",
        sql: include_str!("../migrations/0002_task_leases.sql"),
    },
    Migration {
        version: 3,
        name: "0003_rollouts.sql",
        sql: include_str!("../migrations/0003_rollouts.sql"),
    },
    Migration {
        version: 4,
        name: "0004_console.sql",
        sql: include_str!("../migrations/0004_console.sql"),
    },
];

/// Every PostgreSQL step, in order: the same versions as [`MIGRATIONS`], step for step
/// (one schema version names one set of tables on either engine).
pub(crate) const PG_MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "pg/0001_initial.sql",
        sql: include_str!("../migrations/pg/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "pg/0002_task_leases.sql",
        sql: include_str!("../migrations/pg/0002_task_leases.sql"),
    },
    Migration {
        version: 3,
        name: "pg/0003_rollouts.sql",
        sql: include_str!("../migrations/pg/0003_rollouts.sql"),
    },
    Migration {
        version: 4,
        name: "pg/0004_console.sql",
        sql: include_str!("../migrations/pg/0004_console.sql"),
    },
];

/// The schema version this build writes and reads (the last step's), on either engine.
pub const SCHEMA_VERSION: u32 = 4;

/// The key of the PostgreSQL advisory lock that migrations hold ("tipring" and 1): two
/// nodes starting at once on an empty database take turns, and the second finds the
/// steps done.
const PG_MIGRATION_LOCK: i64 = 0x7469_7072_696e_6701;

const CREATE_VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY NOT NULL,
    name    TEXT NOT NULL
)";

/// The version recorded in a database (0: none yet).
pub(crate) fn current_version(conn: &Connection) -> Result<u32> {
    let has_table: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if has_table.is_none() {
        return Ok(0);
    }
    let v: i64 = conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )?;
    u32::try_from(v).map_err(|_| Error::Database(format!("schema_version holds {v}")))
}

/// Bring a database up to the last of `steps`: each missing step in one IMMEDIATE
/// transaction (the version is read again inside it, so two processes opening one file
/// at once do not both apply a step). A database above the last step is refused with
/// [`Error::TooNew`] before anything is written. Returns the version reached.
pub(crate) fn migrate(conn: &mut Connection, steps: &[Migration]) -> Result<u32> {
    let known = steps.last().map_or(0, |m| m.version);
    debug_assert!(
        steps
            .iter()
            .enumerate()
            .all(|(i, m)| m.version as usize == i + 1),
        "migration versions run 1, 2, 3... without gaps"
    );
    let found = current_version(conn)?;
    if found > known {
        return Err(Error::TooNew { found, known });
    }
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(CREATE_VERSION_TABLE)?;
        let found = current_version(&tx)?;
        if found > known {
            return Err(Error::TooNew { found, known });
        }
        let Some(step) = steps.iter().find(|m| m.version > found) else {
            tx.commit()?;
            return Ok(found);
        };
        tx.execute_batch(step.sql).map_err(|e| {
            Error::Database(format!("migration {} ({}): {e}", step.version, step.name))
        })?;
        tx.execute(
            "INSERT INTO schema_version (version, name) VALUES (?1, ?2)",
            rusqlite::params![step.version, step.name],
        )?;
        tx.commit()?;
        tracing::info!(
            version = step.version,
            name = step.name,
            "applied a schema migration"
        );
    }
}

/// The version recorded in a PostgreSQL database (0: none yet), in the search path's schema.
pub(crate) fn pg_current_version(conn: &mut impl postgres::GenericClient) -> Result<u32> {
    let has_table: bool = conn
        .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])?
        .get(0);
    if !has_table {
        return Ok(0);
    }
    let v: i64 = conn
        .query_one(
            "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_version",
            &[],
        )?
        .get(0);
    u32::try_from(v).map_err(|_| Error::Database(format!("schema_version holds {v}")))
}

/// [`migrate`] for PostgreSQL: each missing step in its own transaction, which first takes
/// the advisory lock [`PG_MIGRATION_LOCK`] (`pg_advisory_xact_lock`, released at commit or
/// rollback) and then reads the version, so concurrent first starts of several nodes apply
/// each step once. A database above the last step is refused with [`Error::TooNew`] with
/// nothing written (the transaction that found it rolls back).
pub(crate) fn pg_migrate(conn: &mut postgres::Client, steps: &[Migration]) -> Result<u32> {
    let known = steps.last().map_or(0, |m| m.version);
    loop {
        let mut tx = conn.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PG_MIGRATION_LOCK])?;
        let found = pg_current_version(&mut tx)?;
        if found > known {
            return Err(Error::TooNew { found, known });
        }
        let Some(step) = steps.iter().find(|m| m.version > found) else {
            tx.commit()?;
            return Ok(found);
        };
        tx.batch_execute(CREATE_VERSION_TABLE)?;
        tx.batch_execute(step.sql).map_err(|e| {
            Error::Database(format!(
                "migration {} ({}): {}",
                step.version,
                step.name,
                crate::error::pg_text(&e)
            ))
        })?;
        tx.execute(
            "INSERT INTO schema_version (version, name) VALUES ($1, $2)",
            &[&i32::try_from(step.version).unwrap_or(i32::MAX), &step.name],
        )?;
        tx.commit()?;
        tracing::info!(
            version = step.version,
            name = step.name,
            "applied a schema migration (PostgreSQL)"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_steps_run_without_gaps_and_end_at_schema_version() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1);
            assert!(m.name.starts_with(&format!("{:04}_", m.version)));
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
        // PostgreSQL has the same steps under the same names, in pg/.
        assert_eq!(PG_MIGRATIONS.len(), MIGRATIONS.len());
        for (pg, lite) in PG_MIGRATIONS.iter().zip(MIGRATIONS) {
            assert_eq!(pg.version, lite.version);
            assert_eq!(pg.name, format!("pg/{}", lite.name));
        }
    }

    #[test]
    fn a_fresh_database_gets_every_step_and_a_second_run_is_a_no_op() {
        let mut c = Connection::open_in_memory().unwrap();
        assert_eq!(current_version(&c).unwrap(), 0);
        assert_eq!(migrate(&mut c, MIGRATIONS).unwrap(), SCHEMA_VERSION);
        assert_eq!(migrate(&mut c, MIGRATIONS).unwrap(), SCHEMA_VERSION);
        let rows: i64 = c
            .query_row("SELECT COUNT(*) FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, i64::from(SCHEMA_VERSION));
    }

    const V2: Migration = Migration {
        version: 2,
        name: "0002_test.sql",
        sql: "ALTER TABLE sites ADD COLUMN color TEXT NOT NULL DEFAULT 'blue';
              CREATE TABLE rollouts (name TEXT PRIMARY KEY);",
    };

    /// A database at version 1, with data, is brought to version 2 by the next build; the
    /// data stays.
    #[test]
    fn a_v1_database_is_upgraded_and_keeps_its_data() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c, &MIGRATIONS[..1]).unwrap();
        c.execute(
            "INSERT INTO sites (name, description, variables) VALUES ('hq', 'x', '{}')",
            [],
        )
        .unwrap();
        assert_eq!(migrate(&mut c, &[MIGRATIONS[0], V2]).unwrap(), 2);
        let color: String = c
            .query_row("SELECT color FROM sites WHERE name = 'hq'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(color, "blue");
        c.execute("INSERT INTO rollouts (name) VALUES ('r1')", [])
            .unwrap();
        assert_eq!(current_version(&c).unwrap(), 2);
    }

    /// The version-1 build meets the version-2 file: refused, and nothing is changed.
    #[test]
    fn a_newer_database_is_refused() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c, &[MIGRATIONS[0], V2]).unwrap();
        match migrate(&mut c, &MIGRATIONS[..1]) {
            Err(Error::TooNew { found: 2, known: 1 }) => {}
            other => panic!("expected TooNew, got {other:?}"),
        }
        assert_eq!(current_version(&c).unwrap(), 2);
    }

    /// A step that fails leaves the database at the step before (one transaction each).
    #[test]
    fn a_failing_step_is_rolled_back_whole() {
        let bad = Migration {
            version: 2,
            name: "0002_bad.sql",
            sql: "CREATE TABLE half_done (x INTEGER); THIS IS NOT SQL;",
        };
        let mut c = Connection::open_in_memory().unwrap();
        let err = migrate(&mut c, &[MIGRATIONS[0], bad]).unwrap_err();
        assert!(err.to_string().contains("0002_bad.sql"), "{err}");
        assert_eq!(current_version(&c).unwrap(), 1);
        let half: Option<i64> = c
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE name = 'half_done'",
                [],
                |r| r.get(0),
            )
            .optional()
            .unwrap();
        assert_eq!(half, None);
    }
}

//! Integration tests of the stores, through the `Store` trait as the provisioner uses it:
//! each behaviour runs on every backend (`common::backends()`: SQLite, and PostgreSQL on a
//! private server this binary starts, `pg.rs`); what only one backend has (files and WAL,
//! advisory locks) has tests of its own. One binary, one module per concern.

mod common;
mod pg;

mod atomicity;
mod claims;
mod concurrency;
mod devices;
mod durability;
mod enrollment;
mod keyfile;
mod migrations;
mod parameters;
mod pg_only;
mod rollouts;
mod secrets;
mod sites_profiles;
mod tasks;
mod tokens_audit;

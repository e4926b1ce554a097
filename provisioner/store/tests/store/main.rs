//! Integration tests of the SQLite store, through the `Store` trait as the provisioner
//! uses it. One binary, one module per concern.

mod common;

mod atomicity;
mod concurrency;
mod devices;
mod durability;
mod enrollment;
mod keyfile;
mod migrations;
mod parameters;
mod secrets;
mod sites_profiles;
mod tasks;
mod tokens_audit;

//! Scenario tests of the ACS core: whole sessions against scripted CPEs whose messages
//! are written with `tipring-cwmp` (our agent's data model on `tipring-datamodel`, and a
//! third-party TR-098 ATA), one file per behaviour.

mod common;

mod admission_rules;
mod bootstrap_provisions_in_one_session;
mod every_rpc_as_a_task;
mod malformed_bodies;
mod task_faults_and_retries;
mod tr098_third_party_cpe;
mod transfer_complete;
mod vendor_informs;

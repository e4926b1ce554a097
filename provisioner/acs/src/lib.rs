//! `tipring-acs`: the sans-IO core of Tipring's TR-069 ACS.
//!
//! Bytes in, bytes out, time passed in as Unix seconds: no socket, no clock, no random
//! numbers. The provisioner's HTTP shell (TLS, HTTP digest, cookies, the session timeout,
//! the store) drives it:
//!
//! 1. [`read_inform`] reads the first POST of a session (the Inform) into an
//!    [`InformInfo`]: who ([`model::DeviceKey`]), why (events), the CWMP version, the data
//!    model root, the well-known values.
//! 2. [`admit`] decides, from what the shell proved about the peer ([`Credential`]: a
//!    verified client certificate or HTTP digest), the device's record, a
//!    pre-registration and a claim code, whether the session is accepted, quarantined
//!    (pending: an empty session) or refused (401/403). The [`admission`] module spells
//!    out the rules.
//! 3. [`render`] and [`plan`] turn the device's profile into its gateway configuration
//!    and that into the TR-104 parameter values it must hold ([`provision`]).
//! 4. [`Session::start`] answers the Inform; [`Session::handle`] answers every later POST
//!    (the CPE's requests, the empty POST, its responses and faults) with the next RPC —
//!    the device's [`model::Task`]s (every RPC of TR-069 Annex A.3/A.4 an ACS sends:
//!    parameter values, names and attributes, objects, Reboot, FactoryReset, Download,
//!    Upload, ScheduleDownload, ScheduleInform, GetRPCMethods, GetAllQueuedTransfers,
//!    CancelTransfer; the table in [`session`] gives each kind's result) and the
//!    provisioning pass — until `204`;
//!    [`Session::finish`] gives the [`SessionOutcome`] to store in one transaction
//!    ([`session`] explains the exchange, the task mapping, the retries and the pass).
//!
//! ```no_run
//! use tipring_acs::model::{Device, Task};
//! use tipring_acs::{admit, plan, read_inform, render, AcsConfig, Admission, Credential, Session, VoicePaths};
//!
//! # fn post() -> Vec<u8> { Vec::new() }
//! # fn respond(_status: u16, _body: &[u8]) {}
//! # fn demo(now: i64, known: Option<Device>, tasks: Vec<Task>,
//! #         profile: tipring_acs::model::Profile, site: tipring_acs::model::Site,
//! #         secret: &dyn Fn(&str) -> Option<String>) -> tipring_acs::Result<()> {
//! let cfg = AcsConfig::default();
//! // The first POST of a new HTTP session: the Inform.
//! let info = read_inform(&post())?;
//! // What TLS or digest proved (the shell's job).
//! let credential = Credential::Digest { username: info.key.id() };
//! let (device, plan) = match admit(&info, &credential, known.as_ref(), None, None, now) {
//!     Admission::Refuse { status, .. } => return Ok(respond(status, b"")),
//!     // Pending: an empty session (InformResponse, then 204).
//!     Admission::Quarantine { device, .. } => (device, None),
//!     Admission::Accept { device, .. } => {
//!         let config = render(&profile, Some(&site), &device, 2, secret)?.config;
//!         let plan = plan(&config, device.root, VoicePaths::detect(&device, &[]))
//!             .with_drift(profile.drift);
//!         (device, Some(plan))
//!     }
//! };
//! let (mut session, reply) = Session::start(&cfg, info, device, tasks, plan, Vec::new(), now);
//! respond(reply.status, &reply.body);
//! let mut done = reply.done;
//! while !done {
//!     let reply = session.handle(&post(), now);
//!     respond(reply.status, &reply.body);
//!     done = reply.done;
//! }
//! let outcome = session.finish(now, true);
//! // Store outcome.device, .tasks, .parameters, .audit in one transaction.
//! # let _ = outcome; Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admission;
pub mod calls;
mod error;
pub mod inform;
pub mod lines;
pub mod model;
pub mod provision;
pub mod rollout;
pub mod session;

pub use admission::{admit, apply_inform, claim_hash, Admission, Credential};
pub use error::{Error, Result};
pub use inform::{read_inform, read_inform_with, InformInfo};
pub use provision::{
    plan, port_count, render, required_secrets, PlannedParameter, ProvisionPlan, RenderedConfig,
    VoicePaths,
};
pub use session::{command_key, kind_name, AcsConfig, Reply, Session, SessionOutcome, ACS_METHODS};

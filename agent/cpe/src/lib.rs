//! `tipring-cpe`: the gateway's TR-069 (CWMP) CPE, sans-IO.
//!
//! [`Cpe`] decides when a session opens (boot, bootstrap, periodic inform with its phase,
//! ScheduleInform, connection request, active value change, a finished transfer, and the
//! retry back-off of TR-069 Amendment 6 §3.2.1.1 after a failure), writes the Inform with
//! the pending events, walks the session (InformResponse, the CPE's TransferComplete
//! requests unless the ACS holds them, the empty POST, the ACS's RPCs, the 204 that ends
//! it), answers every RPC through the [`Device`] trait, and hands out what the device
//! must do (reboot, factory reset, downloads and uploads) once the session has ended. It
//! keeps what must survive a reboot in [`PersistedState`], emitted with
//! [`Output::Persist`] whenever it changes.
//!
//! It never touches a socket or a clock: the shell POSTs what [`Output::Post`] says and
//! feeds the answer back; time comes in every [`Input`]. [`connreq::ConnReqAuth`] checks
//! Connection Requests (HTTP digest, rate limit; Annex G UDP signatures).
//!
//! ```no_run
//! use std::time::Instant;
//! use tipring_cpe::{Cpe, CpeConfig, Input, Output, PersistedState, Start};
//! # fn demo(device: &mut dyn tipring_cpe::Device, unix_now: i64) {
//! let cfg = CpeConfig { acs_url: "https://acs.example.net/cwmp".into(), ..CpeConfig::default() };
//! #[allow(clippy::disallowed_methods)]
//! let now = Instant::now();
//! let mut cpe = Cpe::new(cfg, PersistedState::default(), Start::Boot, now, unix_now);
//! cpe.handle_input(Input::Timeout(now), device); // the boot's Inform
//! while let Some(out) = cpe.poll_output() {
//!     match out {
//!         Output::Post { body, new_session } => { /* POST it; feed Input::Reply back */ }
//!         Output::SessionEnded { ok } => {}
//!         Output::Action(action) => { /* reboot, download... */ }
//!         Output::Persist(state) => { /* write it atomically */ }
//!     }
//! }
//! # }
//! ```

#![forbid(unsafe_code)]

pub mod connreq;
mod device;
mod engine;
pub mod retry;
mod state;
pub mod tree;

pub use device::{Device, SetFault};
pub use engine::{
    Action, Cpe, CpeConfig, Input, Output, Start, CPE_METHODS, MAX_QUEUED_TRANSFERS,
    MAX_RPCS_PER_SESSION, MAX_SCHEDULED,
};
pub use state::{FinishedTransfer, PendingEvent, PersistedState, QueuedTransfer, ScheduledInform};

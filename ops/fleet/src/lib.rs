//! `tipring-fleet`: many simulated Tipring gateways in one process, each on the agent's
//! own CWMP CPE engine ([`tipring_cpe::Cpe`]) and data model (`tipring-datamodel`'s tree
//! over its own [`GatewayConfig`](tipring_config::GatewayConfig)), for bootstrap storms
//! and periodic-Inform load against an ACS.
//!
//! * [`Fleet::new`] makes N gateways (serials `FLEET000001`..., ProductClass `FXS2`), each
//!   booting with `0 BOOTSTRAP` and `1 BOOT` due at once.
//! * [`Fleet::run_until`] runs sessions as they come due: one scheduler (sorted deadlines
//!   in a heap; an idle gateway has no task, socket or timer), at most
//!   [`FleetConfig::max_in_flight`] sessions at a time, one HTTP connection per session
//!   (the agent's [`HttpSession`](tipring_agent::acs_http::HttpSession): Basic with the
//!   pre-registration's initial secret, then digest with the password the ACS set in
//!   `ManagementServer.Password`). SetParameterValues goes through the tree (validated,
//!   all or nothing); Reboot and FactoryReset boot the engine again; a firmware Download
//!   is fetched over HTTP, its manifest checked (`tipring-firmware`: model, payload size
//!   and SHA-256), and the gateway reboots onto its version (`1 BOOT`,
//!   `7 TRANSFER COMPLETE`, `M Download`, the new SoftwareVersion);
//!   [`FleetConfig::download_failure_rate`] makes a share of them fail (9010) on purpose.
//! * [`Stats`]: sessions done and failed, latency percentiles, gateways provisioned.
//! * [`lab`]: the in-process provisioner of the benchmark and the tests (a site, a profile,
//!   pre-registrations with initial secrets); [`rss_bytes`] measures memory.
//!
//! * [`Fleet::listen_connection_requests`]: one socket takes the Connection Requests of
//!   every gateway (`http://ADDR/cr/FLEET000007`, reported as its ConnectionRequestURL),
//!   checked with the engine's digest authentication and rate limit.
//!
//! Not simulated in this first version: Annex G (UDP) connection requests, https ACS
//! URLs and file servers, the image's signature (the gateways hold no release key yet),
//! and writing the image anywhere (it is dropped once checked).
//!
//! ```no_run
//! # async fn demo() -> tipring_fleet::Result<()> {
//! use std::time::Duration;
//! use tipring_fleet::{Fleet, FleetConfig, Passwords};
//! let mut fleet = Fleet::new(FleetConfig {
//!     devices: 1000,
//!     acs_url: "http://127.0.0.1:7547/cwmp".into(),
//!     passwords: Passwords::Shared("initial-secret-1".into()),
//!     inform_interval: Duration::from_secs(300),
//!     ..FleetConfig::default()
//! })?;
//! let n = fleet.len();
//! let deadline = tipring_fleet::now() + Duration::from_secs(600);
//! fleet.run_until(deadline, |s| s.provisioned == n).await;
//! let s = fleet.stats();
//! println!("{} sessions, p99 {:?}", s.sessions_ok, s.percentile(99.0));
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

mod connreq;
mod device;
mod error;
mod fleet;
pub mod lab;

pub use device::SimDevice;
pub use error::{Error, Result};
pub use fleet::{acs_password, now, Fleet, FleetConfig, Passwords, Stats, MAX_DOWNLOAD};

/// This process's resident set size (`VmRSS` of /proc/self/status), bytes; `None` where
/// there is no /proc.
pub fn rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

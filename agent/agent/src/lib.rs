//! The Tipring gateway agent as a library: the simulated gateway ([`sim`]) and its command
//! language ([`command`]), so that end-to-end tests can run the same loop in-process.
//! [`device::run_device`] runs a configured gateway with its management: the TR-069 CPE
//! ([`cwmp`]), which finds its ACS through the zero-touch bootstrap chain
//! ([`bootstrap`]: a URL the ACS set, DHCP options 43/66, the factory default) and names
//! itself by its factory certificate ([`factory`]); the SNMP agent ([`snmp`]).
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use tipring_agent::sim::{self, Options};
//! let opts = Options::from_args(2, "us", sim::DEFAULT_DIAL_PLAN, None, None)?;
//! let script = tokio::io::BufReader::new(&b"lift 1\nsleep 500\npress 1 102\nsleep 3000\nquit\n"[..]);
//! sim::run_with(opts, script, |line| println!("{line}"), false).await
//! # }
//! ```

#![forbid(unsafe_code)]

pub mod access;
pub mod acs_http;
pub mod admin;
pub mod bootstrap;
pub mod calllog;
pub mod command;
pub mod config;
pub mod connreq;
pub mod cwmp;
pub mod device;
pub mod factory;
pub mod fax;
pub mod logbuf;
pub mod logging;
pub mod loopback;
pub mod managed;
pub mod media;
pub mod run;
pub mod sim;
pub mod snmp;
pub mod transfer;
pub mod uplink;

//! The fleet simulator against the provisioner in this process.

mod bootstrap;
mod connreq;
mod firmware;
mod nodes;
mod rollout;

use std::time::Duration;

use tipring_fleet::lab::Lab;
use tipring_fleet::{Fleet, FleetConfig};

/// The tests' runtime: two workers, as the machine has two cores.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// `n` gateways (serials `PREFIX000001`...) pre-registered with the lab and run until each
/// is provisioned; their device ids.
pub async fn provisioned_fleet(
    lab: &Lab,
    n: usize,
    prefix: &str,
    download_failure_rate: f64,
) -> (Fleet, Vec<String>) {
    let cfg = FleetConfig {
        devices: n,
        serial_prefix: prefix.into(),
        max_in_flight: 8,
        download_failure_rate,
        ..FleetConfig::default()
    };
    lab.provisioned_fleet(cfg, Duration::from_secs(120))
        .await
        .unwrap()
}

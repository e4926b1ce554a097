//! The fleet simulator against the provisioner in this process.

mod bootstrap;
mod connreq;
mod firmware;
mod rollout;

use std::time::{Duration, Instant};

use tipring_fleet::lab::{device_id, initial_secret, Lab};
use tipring_fleet::{Fleet, FleetConfig, Passwords};

/// `n` gateways (serials `PREFIX000001`...) pre-registered with the lab and run until each
/// is provisioned; their device ids.
#[allow(clippy::disallowed_methods)] // waits on the wall clock
pub async fn provisioned_fleet(
    lab: &Lab,
    n: usize,
    prefix: &str,
    download_failure_rate: f64,
) -> (Fleet, Vec<String>) {
    let cfg = FleetConfig {
        devices: n,
        serial_prefix: prefix.into(),
        acs_url: lab.acs_url(),
        max_in_flight: 8,
        download_failure_rate,
        ..FleetConfig::default()
    };
    let serials: Vec<String> = (0..n).map(|i| cfg.serial(i)).collect();
    lab.preregister(&serials, &cfg.oui, &cfg.product_class, &initial_secret)
        .await
        .unwrap();
    let cfg = FleetConfig {
        passwords: Passwords::BySerial(
            serials
                .iter()
                .map(|s| (s.clone(), initial_secret(s)))
                .collect(),
        ),
        ..cfg
    };
    let mut fleet = Fleet::new(cfg.clone()).unwrap();
    fleet
        .run_until(Instant::now() + Duration::from_secs(120), |s| {
            s.provisioned == n
        })
        .await;
    assert_eq!(fleet.stats().provisioned, n);
    let ids = serials
        .iter()
        .map(|s| device_id(&cfg.oui, &cfg.product_class, s))
        .collect();
    (fleet, ids)
}

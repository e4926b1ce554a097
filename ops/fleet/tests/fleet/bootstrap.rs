//! Twenty gateways bootstrap against the in-process provisioner: each is enrolled by its
//! pre-registration's initial secret (HTTP Basic on loopback), gets its profile and its
//! own ACS password in that first session, and the store marks it provisioned; its next
//! session is a periodic Inform authenticated by digest with the password the ACS set.

// The test waits on the wall clock for the provisioner and the gateways.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use tipring_fleet::lab::{device_id, initial_secret, Lab};
use tipring_fleet::{rss_bytes, Fleet, FleetConfig, Passwords};

const N: usize = 20;

#[test]
fn twenty_gateways_bootstrap_and_are_provisioned() {
    let rt = crate::runtime();
    rt.block_on(async {
        let lab = Lab::start_temp("test-bootstrap").await.unwrap();
        let cfg = FleetConfig {
            devices: N,
            serial_prefix: "FLTEST".into(),
            acs_url: lab.acs_url(),
            inform_interval: Duration::from_secs(3600),
            max_in_flight: 8,
            ..FleetConfig::default()
        };
        let serials: Vec<String> = (0..N).map(|i| cfg.serial(i)).collect();
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
        let before = rss_bytes();
        let mut fleet = Fleet::new(cfg.clone()).unwrap();
        let after = rss_bytes();
        if let (Some(b), Some(a)) = (before, after) {
            println!(
                "memory: {} bytes per simulated gateway (RSS over {N}; target < 100 KB)",
                a.saturating_sub(b) / N as u64
            );
        }

        fleet
            .run_until(Instant::now() + Duration::from_secs(60), |s| {
                s.provisioned == N
            })
            .await;
        let s = fleet.take_stats();
        assert_eq!(s.provisioned, N, "provisioned by the fleet's count: {s:?}");
        assert_eq!(s.sessions_failed, 0, "{s:?}");
        assert_eq!(s.lost, 0);
        let ids: Vec<String> = serials
            .iter()
            .map(|s| device_id(&cfg.oui, &cfg.product_class, s))
            .collect();
        assert_eq!(lab.count_provisioned(ids).await.unwrap(), N, "by the store");
        for (i, serial) in serials.iter().enumerate() {
            assert!(fleet.is_provisioned(i));
            let c = fleet.gateway_config(i).unwrap();
            // The profile's rendering reached the gateway's own configuration.
            assert_eq!(c.ports.len(), 2);
            assert_eq!(c.ports[0].extension, "201");
            assert_eq!(c.ports[1].extension, "202");
            assert!(c.ports[0].password.is_some(), "generated port password");
            assert_eq!(c.sip.servers.len(), 1);
            let cw = c.management.cwmp.as_ref().unwrap();
            assert_eq!(
                cw.username.as_deref(),
                Some(device_id(&cfg.oui, &cfg.product_class, serial).as_str())
            );
        }

        // A periodic Inform each, now with digest and the ACS's password.
        fleet.set_inform_interval(Duration::from_secs(1)).unwrap();
        fleet
            .run_until(Instant::now() + Duration::from_secs(30), |s| {
                s.sessions() >= N as u64
            })
            .await;
        let s = fleet.stats();
        assert!(s.sessions_ok >= N as u64, "{s:?}");
        assert_eq!(s.sessions_failed, 0, "{s:?}");
        lab.stop();
    });
}

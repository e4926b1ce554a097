//! Connection Requests: the provisioner's reach a provisioned gateway on the fleet's one
//! listener (digest with the credentials the ACS set), which opens a session at once with
//! `6 CONNECTION REQUEST`, an hour before its periodic Inform; a request without
//! credentials is challenged and opens nothing.

// The test waits on the wall clock for the provisioner and the gateways.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use serde_json::json;
use tipring_fleet::lab::{device_id, initial_secret, Lab};
use tipring_fleet::{Fleet, FleetConfig, Passwords};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const N: usize = 3;

#[test]
fn the_provisioners_connection_request_opens_a_session() {
    let rt = crate::runtime();
    rt.block_on(async {
        let lab = Lab::start_temp("test-cr").await.unwrap();
        let cfg = FleetConfig {
            devices: N,
            serial_prefix: "FLCR".into(),
            acs_url: lab.acs_url(),
            inform_interval: Duration::from_secs(3600),
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
        let mut fleet = Fleet::new(cfg.clone()).unwrap();
        let addr = fleet
            .listen_connection_requests("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        fleet
            .run_until(Instant::now() + Duration::from_secs(60), |s| {
                s.provisioned == N
            })
            .await;
        assert_eq!(fleet.take_stats().provisioned, N);

        // No credentials: challenged, nothing opens.
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req = format!(
            "GET /cr/{} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n",
            serials[1]
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let probe = async move {
            let mut out = Vec::new();
            let _ = s.read_to_end(&mut out).await;
            String::from_utf8_lossy(&out).to_string()
        };
        let (answer, ()) = tokio::join!(probe, async {
            fleet
                .run_until(Instant::now() + Duration::from_millis(500), |_| false)
                .await;
        });
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
        assert!(answer.contains("Digest"), "{answer}");
        assert_eq!(fleet.take_stats().sessions(), 0);

        // The provisioner's, through its API: a session follows at once.
        let id = device_id(&cfg.oui, &cfg.product_class, &serials[1]);
        let d = lab
            .ok("GET", &format!("/api/v1/devices/{id}"), json!(null))
            .await
            .unwrap();
        assert_eq!(
            d["device"]["connection_request_url"],
            format!("http://{addr}/cr/{}", serials[1]),
            "{d}"
        );
        let before = d["device"]["last_inform"].as_i64().unwrap();
        // (The API call waits for the gateway's answer: the fleet runs meanwhile.)
        let path = format!("/api/v1/devices/{id}/connection-request");
        let (sent, ()) = tokio::join!(lab.ok("POST", &path, json!(null)), async {
            fleet
                .run_until(Instant::now() + Duration::from_secs(15), |s| {
                    s.sessions() >= 1
                })
                .await;
        });
        sent.unwrap();
        let s = fleet.take_stats();
        assert_eq!((s.sessions_ok, s.sessions_failed), (1, 0), "{s:?}");
        let d = lab
            .ok("GET", &format!("/api/v1/devices/{id}"), json!(null))
            .await
            .unwrap();
        assert!(
            d["device"]["last_inform"].as_i64().unwrap() >= before,
            "{d}"
        );
        lab.stop();
    });
}

//! Staged rollouts through the provisioner's API to simulated gateways: a rollout whose
//! canary fails halts by itself and touches nobody outside the canary; a healthy one goes
//! through its phases (paused and resumed on the way) until every gateway runs the image.

// The test waits on the wall clock for the provisioner and the gateways.
#![allow(clippy::disallowed_methods)]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tipring_fleet::lab::{signed_image, Lab};
use tipring_fleet::Fleet;

const N: usize = 200;

async fn setup(prefix: &str, failure_rate: f64) -> (Lab, Fleet, Vec<String>, String) {
    setup_with(prefix, failure_rate, 0.0).await
}

async fn setup_with(
    prefix: &str,
    failure_rate: f64,
    rollback_rate: f64,
) -> (Lab, Fleet, Vec<String>, String) {
    let lab = Lab::start_temp(&format!("test-rollout-{prefix}"))
        .await
        .unwrap();
    let cfg = tipring_fleet::FleetConfig {
        devices: N,
        serial_prefix: prefix.into(),
        max_in_flight: 8,
        download_failure_rate: failure_rate,
        rollback_rate,
        ..tipring_fleet::FleetConfig::default()
    };
    let (mut fleet, ids) = lab
        .provisioned_fleet(cfg, Duration::from_secs(120))
        .await
        .unwrap();
    let image = lab
        .upload_image(signed_image("9.9.9", 4096).unwrap())
        .await
        .unwrap();
    fleet.set_inform_interval(Duration::from_secs(1)).unwrap();
    let _ = fleet.take_stats();
    (lab, fleet, ids, image)
}

/// Run the fleet until the rollout's state is `want` (or a minute passed); its detail.
async fn run_until_state(lab: &Lab, fleet: &mut Fleet, id: &str, want: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        fleet
            .run_until(Instant::now() + Duration::from_millis(500), |_| false)
            .await;
        let r = lab
            .ok("GET", &format!("/api/v1/rollouts/{id}"), json!(null))
            .await
            .unwrap();
        if r["summary"]["state"]["state"] == want || Instant::now() > deadline {
            return r;
        }
    }
}

#[test]
fn a_failing_canary_halts_the_rollout_and_nobody_else_is_touched() {
    crate::runtime().block_on(async {
        let (lab, mut fleet, ids, image) = setup("FLROKO", 0.5).await;
        let created = lab
            .ok(
                "POST",
                "/api/v1/rollouts",
                json!({ "name": "fw-999", "image": image,
                        "phases": [{ "percent": 10, "min_soak_s": 0 }, { "percent": 100 }],
                        "halt_failure_rate": 0.1 }),
            )
            .await
            .unwrap();
        assert_eq!(created["total"]["devices"], N, "{created}");
        let r = run_until_state(&lab, &mut fleet, "fw-999", "halted").await;
        assert_eq!(r["summary"]["state"]["state"], "halted", "{r}");
        let canary = &r["phases"][0]["progress"];
        assert_eq!(canary["devices"], 20, "{r}");
        let failed = canary["failed"].as_u64().unwrap();
        assert!(failed > 2, "over 10 % of 20 failed: {r}");
        assert_eq!(r["phases"][1]["progress"]["queued"], 180, "{r}");
        assert!(
            r["failures"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["fault_code"] == 9010),
            "the injected fault: {r}"
        );
        // Some time later: still halted, and nobody outside the canary was touched.
        fleet
            .run_until(Instant::now() + Duration::from_secs(3), |_| false)
            .await;
        let r = lab
            .ok("GET", "/api/v1/rollouts/fw-999", json!(null))
            .await
            .unwrap();
        assert_eq!(r["summary"]["state"]["state"], "halted", "{r}");
        assert_eq!(r["phases"][1]["progress"]["queued"], 180, "{r}");
        let s = fleet.stats();
        assert!(s.downloads <= 20, "only the canary downloaded: {s:?}");
        let upgraded: HashSet<usize> = (0..N)
            .filter(|&i| fleet.software_version(i) == Some("9.9.9"))
            .collect();
        let p0 = &r["phases"][0]["progress"];
        let (failed_now, confirmed_now) = (
            p0["failed"].as_u64().unwrap(),
            p0["confirmed"].as_u64().unwrap(),
        );
        assert!(failed_now >= failed, "{r}");
        assert_eq!(upgraded.len() as u64, confirmed_now, "{r}");
        assert!(confirmed_now + failed_now <= 20, "{r}");
        for id in &ids {
            let tasks = lab
                .ok("GET", &format!("/api/v1/devices/{id}/tasks"), json!(null))
                .await
                .unwrap();
            let n = tasks.as_array().map_or(0, |t| {
                t.iter().filter(|t| t["kind"]["kind"] == "download").count()
            });
            assert!(n <= 1, "{id}: {tasks}");
        }
        let audit = lab
            .ok("GET", "/api/v1/audit?action=rollout.halted", json!(null))
            .await
            .unwrap();
        assert_eq!(audit.as_array().map(Vec::len), Some(1), "{audit}");
        lab.stop();
    });
}

#[test]
fn a_healthy_rollout_goes_through_its_phases_to_every_gateway() {
    crate::runtime().block_on(async {
        let (lab, mut fleet, _ids, image) = setup("FLROOK", 0.0).await;
        lab.ok(
            "POST",
            "/api/v1/rollouts",
            json!({ "name": "fw-ok", "image": image,
                    "phases": [{ "percent": 5, "min_soak_s": 1 }, { "percent": 30 },
                               { "percent": 100 }],
                    "max_per_minute": 6000, "halt_failure_rate": 0.05 }),
        )
        .await
        .unwrap();
        // Paused at once: the canary's tasks are queued, nothing more starts.
        let p = lab
            .ok("POST", "/api/v1/rollouts/fw-ok/pause", json!(null))
            .await
            .unwrap();
        assert_eq!(p["summary"]["state"]["state"], "paused", "{p}");
        fleet
            .run_until(Instant::now() + Duration::from_secs(3), |_| false)
            .await;
        let p = lab
            .ok("GET", "/api/v1/rollouts/fw-ok", json!(null))
            .await
            .unwrap();
        assert_eq!(p["summary"]["phase"], 0, "{p}");
        assert_eq!(p["phases"][1]["progress"]["queued"], 50, "{p}");
        lab.ok("POST", "/api/v1/rollouts/fw-ok/resume", json!(null))
            .await
            .unwrap();
        let r = run_until_state(&lab, &mut fleet, "fw-ok", "done").await;
        assert_eq!(r["summary"]["state"]["state"], "done", "{r}");
        assert_eq!(r["summary"]["total"]["confirmed"], N, "{r}");
        for i in 0..N {
            assert_eq!(fleet.software_version(i), Some("9.9.9"), "gateway {i}");
        }
        let phases = lab
            .ok("GET", "/api/v1/audit?action=rollout.phase", json!(null))
            .await
            .unwrap();
        assert_eq!(phases.as_array().map(Vec::len), Some(2), "{phases}");
        lab.stop();
    });
}

#[test]
fn gateways_that_roll_back_after_booting_the_image_count_as_failed() {
    crate::runtime().block_on(async {
        let (lab, mut fleet, _ids, image) = setup_with("FLROBK", 0.0, 0.5).await;
        lab.ok(
            "POST",
            "/api/v1/rollouts",
            json!({ "name": "fw-bk", "image": image,
                    "phases": [{ "percent": 10, "min_soak_s": 30 }, { "percent": 100 }],
                    "halt_failure_rate": 0.1 }),
        )
        .await
        .unwrap();
        let r = run_until_state(&lab, &mut fleet, "fw-bk", "halted").await;
        assert_eq!(r["summary"]["state"]["state"], "halted", "{r}");
        let canary = &r["phases"][0]["progress"];
        assert!(canary["failed"].as_u64().unwrap() > 2, "{r}");
        // A rollback is a failure with code 0, and the gateway is on its old version.
        let failures = r["failures"].as_array().unwrap();
        assert!(failures.iter().all(|f| f["fault_code"] == 0), "{r}");
        let back = (0..N)
            .filter(|&i| fleet.software_version(i) == Some("0.1.0"))
            .count();
        assert!(back >= N - 20, "only canary gateways moved: {back}");
        assert_eq!(r["phases"][1]["progress"]["queued"], 180, "{r}");
        lab.stop();
    });
}

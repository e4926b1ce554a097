//! A staged firmware rollout to N simulated gateways with a 1 % canary that fails: the
//! provisioner (SQLite, in this process) and the fleet on this machine's cores.
//!
//! ```text
//! FLEET_DEVICES=10000 cargo bench -p tipring-fleet --bench rollout
//! ```
//!
//! The gateways bootstrap first; then a signed image is uploaded and a rollout of it
//! created through the API (phases 1 % with a 60 s soak, 10 %, 100 %; halt above 10 %
//! failures in a phase). The fleet injects a download failure (fault 9010) into
//! `FLEET_FAILURE_PERCENT` (20) % of the downloads. Printed: how long until the rollout
//! halted by itself, the canary's counts, and — the point — how many devices outside the
//! canary were touched (Download tasks queued, downloads made, versions changed):
//! the target is 0. Settings: `FLEET_DEVICES` (10 000), `FLEET_FAILURE_PERCENT` (20),
//! `FLEET_IN_FLIGHT` (64), `FLEET_INFORM_S` (periodic Inform interval during the
//! rollout, 10).

// A benchmark reads the wall clock.
#![allow(clippy::disallowed_methods)]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::json;
use tipring_fleet::lab::{signed_image, Lab};
use tipring_fleet::FleetConfig;
use tipring_store::TaskFilter;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs it too: keep that short.
    let quick = std::env::args().all(|a| a != "--bench");
    let n = env("FLEET_DEVICES", if quick { 1000 } else { 10_000 }) as usize;
    let failure = env("FLEET_FAILURE_PERCENT", 20) as f64 / 100.0;
    let in_flight = env("FLEET_IN_FLIGHT", 64) as usize;
    let inform = Duration::from_secs(env("FLEET_INFORM_S", if quick { 1 } else { 10 }));
    let acs_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("acs")
        .enable_all()
        .build()
        .expect("tokio runtime");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("fleet")
        .enable_all()
        .build()
        .expect("tokio runtime");
    let lab = acs_rt
        .block_on(Lab::start_temp("bench-rollout"))
        .expect("provisioner");
    let lab = rt.block_on(async move {
        println!(
            "fleet rollout benchmark: {n} gateways, {:.0} % of downloads fail, periodic Inform every {} s",
            failure * 100.0,
            inform.as_secs()
        );
        let t = Instant::now();
        let cfg = FleetConfig {
            devices: n,
            max_in_flight: in_flight,
            inform_interval: Duration::from_secs(3600),
            download_failure_rate: failure,
            ..FleetConfig::default()
        };
        let (mut fleet, ids) = lab
            .provisioned_fleet(cfg, Duration::from_secs(1800))
            .await
            .expect("bootstrap");
        println!("bootstrap: {n} gateways provisioned in {:.1} s", t.elapsed().as_secs_f64());
        let image = lab
            .upload_image(signed_image("9.9.9", 64 * 1024).expect("image"))
            .await
            .expect("upload");
        fleet.set_inform_interval(inform).expect("interval");
        let _ = fleet.take_stats();

        let t0 = Instant::now();
        let created = lab
            .ok(
                "POST",
                "/api/v1/rollouts",
                json!({ "name": "bench", "image": image,
                        "phases": [{ "percent": 1, "min_soak_s": 60 },
                                   { "percent": 10, "min_soak_s": 60 }, { "percent": 100 }],
                        "max_per_minute": 1000, "halt_failure_rate": 0.1 }),
            )
            .await
            .expect("rollout");
        println!(
            "rollout created in {:.2} s: {} targets",
            t0.elapsed().as_secs_f64(),
            created["total"]["devices"]
        );
        let deadline = t0 + Duration::from_secs(600);
        let mut halted_after = None;
        let mut last = json!(null);
        while Instant::now() < deadline {
            fleet
                .run_until(Instant::now() + Duration::from_millis(500), |_| false)
                .await;
            last = lab
                .ok("GET", "/api/v1/rollouts/bench", json!(null))
                .await
                .expect("rollout");
            if last["summary"]["state"]["state"] != "running" {
                halted_after = Some(t0.elapsed());
                break;
            }
        }
        // Keep the fleet running a while: a halted rollout starts nothing more.
        fleet
            .run_until(Instant::now() + inform * 2 + Duration::from_secs(2), |_| false)
            .await;
        let after = lab
            .ok("GET", "/api/v1/rollouts/bench", json!(null))
            .await
            .expect("rollout");
        // The phase that halted (the canary, 0, unless the canary was too small to fail).
        let phase = after["summary"]["phase"].as_u64().unwrap_or(0) as usize;
        let progress = &after["phases"][phase]["progress"];
        let reached: u64 = (0..=phase)
            .map(|i| after["phases"][i]["progress"]["devices"].as_u64().unwrap_or(0))
            .sum();
        println!(
            "state: {} after {}; reason: {}",
            after["summary"]["state"]["state"],
            halted_after.map_or("-".into(), |d| format!("{:.1} s", d.as_secs_f64())),
            last["summary"]["state"]["reason"]
        );
        println!(
            "phase {} ({} devices; {reached} targets up to it): confirmed {}, failed {}, downloading {}, installed {}",
            phase + 1,
            progress["devices"],
            progress["confirmed"],
            progress["failed"],
            progress["downloading"],
            progress["installed"]
        );
        // Who was touched: Download tasks, downloads made, versions changed.
        let store = std::sync::Arc::clone(&lab.running.app.store);
        let tasks = tokio::task::spawn_blocking(move || {
            store.tasks(&TaskFilter {
                limit: 1000,
                ..TaskFilter::default()
            })
        })
        .await
        .expect("join")
        .expect("tasks");
        let with_task: HashSet<String> = tasks
            .iter()
            .filter(|t| t.created_by == "rollout:bench")
            .map(|t| t.device.clone())
            .collect();
        let rec = lab.running.app.store.rollout("bench").expect("store").expect("rollout");
        let canary_set: HashSet<&String> = rec.rollout.order.iter().take(reached as usize).collect();
        let outside_tasks = with_task.iter().filter(|d| !canary_set.contains(d)).count();
        let outside_versions = ids
            .iter()
            .enumerate()
            .filter(|(i, id)| {
                !canary_set.contains(id) && fleet.software_version(*i) != Some("0.1.0")
            })
            .count();
        let s = fleet.stats();
        println!(
            "touched beyond phase {}: {outside_tasks} Download tasks, {outside_versions} versions changed; fleet downloads {} for {reached} targets (target: 0 beyond, downloads <= targets reached): {}",
            phase + 1,
            s.downloads,
            if outside_tasks == 0 && outside_versions == 0 && s.downloads <= reached
                && after["summary"]["state"]["state"] == "halted"
            {
                "met"
            } else {
                "NOT met"
            }
        );
        lab
    });
    lab.stop();
    drop(acs_rt);
}

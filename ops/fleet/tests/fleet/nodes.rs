//! Two provisioner nodes on one PostgreSQL behind a load balancer; one is killed
//! (SIGKILL, a real process) in the middle of sessions and of a rollout. Nothing is lost
//! (every gateway ends on the new image, the rollout ends done with every target
//! confirmed) and nothing is done twice (one Download task and one download per gateway,
//! each target started once).
//!
//! Each node is this test binary run again as a child process (the ignored test
//! `node_process` with `TIPRING_TEST_NODE` set), serving `tipring_provisioner::server`
//! as the binary does. The nodes share the database and the data directory (the keys that
//! seal secrets and sign download URLs, and the firmware images), as nodes behind a load
//! balancer share a volume. The balancer is a TCP proxy in this test: round robin, and the
//! other node when one does not answer.

// The test waits on the wall clock for the nodes and the gateways.
#![allow(clippy::disallowed_methods)]

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tipring_fleet::lab::{balance, call_ok, provisioned_fleet, set_up, signed_image, upload_image};
use tipring_fleet::{FleetConfig, Passwords};
use tipring_provisioner::ctl::Client;

#[path = "../../../../provisioner/store/tests/store/pg.rs"]
mod pg;

const N: usize = 60;
/// Sessions idle this long are dropped; a dead node's task leases run out after twice it.
const SESSION_TIMEOUT_S: i64 = 5;

/// The child: a provisioner node (run by the test below, never on its own).
#[test]
#[ignore = "a provisioner node, started as a child process by the two-node test"]
fn node_process() {
    let Ok(spec) = std::env::var("TIPRING_TEST_NODE") else {
        return;
    };
    let spec: Value = serde_json::from_str(&spec).expect("node spec");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let running = tipring_provisioner::server::start(tipring_provisioner::server::ServeArgs {
            data: PathBuf::from(spec["data"].as_str().expect("data")),
            store: Some(spec["store"].as_str().expect("store").to_string()),
            cwmp_listen: "127.0.0.1:0".parse().expect("addr"),
            api_listen: "127.0.0.1:0".parse().expect("addr"),
            acs_url: Some(spec["acs_url"].as_str().expect("acs_url").to_string()),
            firmware_keys: vec![tipring_firmware::SigningKey::from_seed(
                &tipring_fleet::lab::RELEASE_KEY_SEED,
            )
            .public_key()],
            session_timeout: SESSION_TIMEOUT_S,
            rollout_tick_ms: 100,
            ..Default::default()
        })
        .await
        .expect("node start");
        println!("NODE {} {}", running.cwmp_addr, running.api_addr);
        std::future::pending::<()>().await;
    });
}

struct Node {
    child: Child,
    cwmp: SocketAddr,
    api: SocketAddr,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_node(data: &Path, store: &str, acs_url: &str) -> Node {
    let spec = json!({ "data": data, "store": store, "acs_url": acs_url });
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--ignored", "--exact", "nodes::node_process", "--nocapture"])
        .env("TIPRING_TEST_NODE", spec.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start a node");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = loop {
        match lines.next() {
            Some(Ok(l)) if l.starts_with("NODE ") => break l,
            Some(Ok(_)) => continue,
            _ => panic!("the node did not start"),
        }
    };
    // Keep draining its output so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let mut parts = line.split_whitespace().skip(1);
    let cwmp = parts
        .next()
        .and_then(|a| a.parse().ok())
        .expect("cwmp addr");
    let api = parts.next().and_then(|a| a.parse().ok()).expect("api addr");
    Node { child, cwmp, api }
}

async fn get(client: &Client, path: &str) -> Value {
    call_ok(client, "GET", path, json!(null)).await.unwrap()
}

#[test]
fn two_nodes_on_one_postgres_lose_nothing_and_do_nothing_twice_when_one_dies() {
    let store = pg::fresh_url();
    let dir = std::env::temp_dir().join(format!("tipring-fleet-nodes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let rt = crate::runtime();
    rt.block_on(async {
        let lb = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let acs_url = format!("http://{}/cwmp", lb.local_addr().unwrap());
        // Node A first (it makes the data directory's keys and the first admin token),
        // then B beside it.
        let a = start_node(&dir, &store, &acs_url);
        let b = start_node(&dir, &store, &acs_url);
        let backends = Arc::new(Mutex::new(vec![a.cwmp, b.cwmp]));
        tokio::spawn(balance(lb, Arc::clone(&backends)));
        let token = std::fs::read_to_string(dir.join("admin.token")).unwrap();
        let via_a = Client::new(&format!("http://{}", a.api), token.trim()).unwrap();
        let via_b = Client::new(&format!("http://{}", b.api), token.trim()).unwrap();
        set_up(&via_a).await.unwrap();

        // Both nodes serve the bootstrap (the balancer alternates).
        let cfg = FleetConfig {
            devices: N,
            serial_prefix: "FLNODE".into(),
            acs_url: acs_url.clone(),
            max_in_flight: 8,
            inform_interval: Duration::from_secs(1),
            passwords: Passwords::Shared(String::new()),
            ..FleetConfig::default()
        };
        let (mut fleet, ids) = provisioned_fleet(&via_b, cfg, Duration::from_secs(120))
            .await
            .unwrap();
        let image = upload_image(&via_a, signed_image("9.9.9", 4096).unwrap())
            .await
            .unwrap();
        call_ok(
            &via_b,
            "POST",
            "/api/v1/rollouts",
            json!({ "name": "two-nodes", "image": image,
                    "phases": [{ "percent": 20, "min_soak_s": 1 }, { "percent": 100 }],
                    "max_per_minute": 600, "halt_failure_rate": 0.2 }),
        )
        .await
        .unwrap();
        let _ = fleet.take_stats();

        // Sessions and the rollout under way on both nodes: kill A.
        fleet
            .run_until(Instant::now() + Duration::from_millis(1500), |_| false)
            .await;
        let mid = get(&via_b, "/api/v1/rollouts/two-nodes").await;
        assert_eq!(mid["summary"]["state"]["state"], "running", "{mid}");
        assert!(
            mid["summary"]["total"]["confirmed"].as_u64().unwrap() < N as u64,
            "killed mid-rollout: {mid}"
        );
        let mut a = a;
        a.child.kill().unwrap();
        a.child.wait().unwrap();
        let sessions_before = fleet.stats().sessions_ok;

        // B alone finishes the rollout.
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut r = json!(null);
        while Instant::now() < deadline {
            fleet
                .run_until(Instant::now() + Duration::from_millis(500), |_| false)
                .await;
            r = get(&via_b, "/api/v1/rollouts/two-nodes").await;
            if r["summary"]["state"]["state"] != "running" {
                break;
            }
        }
        assert_eq!(r["summary"]["state"]["state"], "done", "{r}");
        assert_eq!(r["summary"]["total"]["confirmed"], N, "nothing lost: {r}");
        assert!(
            fleet.stats().sessions_ok > sessions_before,
            "B served the sessions"
        );
        for i in 0..N {
            assert_eq!(fleet.software_version(i), Some("9.9.9"), "gateway {i}");
        }
        // Nothing twice: one download per gateway, one Download task per device.
        let s = fleet.stats();
        assert_eq!(s.downloads, N as u64, "{s:?}");
        for id in &ids {
            let tasks = get(&via_b, &format!("/api/v1/devices/{id}/tasks")).await;
            let downloads: Vec<&Value> = tasks
                .as_array()
                .unwrap()
                .iter()
                .filter(|t| t["kind"]["kind"] == "download")
                .collect();
            assert_eq!(downloads.len(), 1, "{id}: {tasks}");
            assert_eq!(downloads[0]["state"], "done", "{id}: {tasks}");
        }
        // The phase changes were recorded once each, by whichever node made them.
        let phases = get(&via_b, "/api/v1/audit?action=rollout.phase").await;
        assert_eq!(phases.as_array().map(Vec::len), Some(1), "{phases}");
        let done = get(&via_b, "/api/v1/audit?action=rollout.done").await;
        assert_eq!(done.as_array().map(Vec::len), Some(1), "{done}");

        // A node started again joins; a task queued through it reaches the device's
        // session open on B (LISTEN/NOTIFY), in that same session.
        let a2 = start_node(&dir, &store, &acs_url);
        let via_a2 = Client::new(&format!("http://{}", a2.api), token.trim()).unwrap();
        let (mut conn, cookie) = crate::hand_session(b.cwmp, &fleet, 0).await;
        call_ok(
            &via_a2,
            "POST",
            &format!("/api/v1/devices/{}/tasks", ids[0]),
            json!({ "kind": "get_parameter_values", "names": ["Device.DeviceInfo.UpTime"] }),
        )
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (status, _, body) = crate::post(&mut conn, &cookie, "").await;
        assert_eq!(status, 200, "the task, not the end of the session: {body}");
        assert!(body.contains("GetParameterValues"), "{body}");
        assert!(body.contains("Device.DeviceInfo.UpTime"), "{body}");
        drop(a2);
        drop(b);
    });
    let _ = std::fs::remove_dir_all(&dir);
}

//! Bootstrap storm and steady state: the provisioner (SQLite, plain HTTP on loopback) and
//! N simulated gateways in this process, on this machine's cores.
//!
//! ```text
//! FLEET_DEVICES=1000 cargo bench -p tipring-fleet --bench bootstrap
//! ```
//!
//! * memory per simulated gateway (RSS before and after making them);
//! * bootstrap: N pre-registered gateways boot at once (`0 BOOTSTRAP`, `1 BOOT`), are
//!   admitted by their initial secret and get the full profile (extensions, SIP server,
//!   generated port passwords, their ACS and connection-request credentials) in that
//!   first session: time until all are provisioned (the store's `provisioned_digest`),
//!   sessions/s, p50/p99 session latency, and the extrapolation to the issue's 100 000;
//! * steady state: every gateway's periodic Inform at a 1 s interval (offered load N/s):
//!   sessions/s achieved and p99, beside the issue's 5 000/s.
//!
//! Settings: `FLEET_DEVICES` (1000), `FLEET_IN_FLIGHT` (sessions at once, 64),
//! `FLEET_STEADY_SECS` (10), `FLEET_WARM_SECS` (3: before the steady-state window, long
//! enough for every gateway's first two periodic sessions — 60 for 100 000), `FLEET_STORE` (`sqlite`, or `postgres`: a private server
//! started by the bench, as the store tests do), `FLEET_NODES` (1, or 2: two provisioner
//! nodes on the one store behind a round-robin TCP balancer, all in this process — on
//! 2 cores they share the same CPUs, so this shows the cost of coordination, not a
//! scale-out).
//!
//! ```text
//! FLEET_DEVICES=6000 FLEET_STORE=postgres FLEET_NODES=2 cargo bench -p tipring-fleet --bench bootstrap
//! ```

// A benchmark reads the wall clock.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use tipring_fleet::lab::{balance, device_id, initial_secret, Lab};

#[path = "../../../provisioner/store/tests/store/pg.rs"]
#[allow(clippy::disallowed_methods)]
mod pg;
use tipring_fleet::{rss_bytes, Fleet, FleetConfig, Passwords, Stats};

/// The issue's bootstrap storm: 100 000 gateways in under 5 minutes.
const TARGET_DEVICES: f64 = 100_000.0;
const TARGET_BOOTSTRAP_S: f64 = 300.0;
/// The issue's steady state: 5 000 periodic Inform sessions/s with SQLite.
const TARGET_STEADY: f64 = 5_000.0;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    })
}

fn latency_line(s: &Stats) -> String {
    format!(
        "p50 {}, p99 {}, max {}",
        ms(s.percentile(50.0)),
        ms(s.percentile(99.0)),
        ms(s.percentile(100.0))
    )
}

/// CPU seconds (user + system) of this process's threads whose name starts with
/// `prefix`, from /proc/self/task/*/stat (clock ticks of 1/100 s).
fn cpu_seconds(prefix: &str) -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let mut ticks = 0u64;
    for t in dir.flatten() {
        let Ok(stat) = std::fs::read_to_string(t.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ... : the name sits between the first '(' and the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        if !stat[open + 1..close].starts_with(prefix) {
            continue;
        }
        let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        // utime and stime are fields 14 and 15 of stat; 12 and 13 after the name.
        let num = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        ticks += num(11) + num(12);
    }
    ticks as f64 / 100.0
}

/// CPU seconds (user + system) of the whole process, from /proc/self/stat.
fn process_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let Some(close) = stat.rfind(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
    let num = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (num(11) + num(12)) as f64 / 100.0
}

/// CPU seconds of the provisioner's threads (its runtime's workers and blocking pool,
/// named `acs`) and of the rest (the fleet: its runtime and the scheduler on the main
/// thread).
fn cpu() -> (f64, f64) {
    let acs = cpu_seconds("acs");
    (acs, process_cpu_seconds() - acs)
}

fn cpu_line(sessions: u64, start: (f64, f64)) -> String {
    let (a, f) = cpu();
    let (a, f) = (a - start.0, f - start.1);
    let per = |x: f64| x * 1e6 / sessions.max(1) as f64;
    format!(
        "CPU per session: provisioner {:.0} us, fleet {:.0} us (provisioner alone on 2 cores: ~{:.0} sessions/s)",
        per(a),
        per(f),
        2.0 * sessions as f64 / a.max(1e-9)
    )
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs it too: keep that short.
    let quick = std::env::args().all(|a| a != "--bench");
    let n = env("FLEET_DEVICES", if quick { 50 } else { 1000 }) as usize;
    let in_flight = env("FLEET_IN_FLIGHT", 64) as usize;
    let steady_secs = env("FLEET_STEADY_SECS", if quick { 2 } else { 10 });
    // The first periodic Inform after a provisioning pass makes the plan again (the pass
    // read the data model); from the second on a device in sync is cheap. Warm up past
    // both (about two rounds of every gateway at the rate reached).
    let warm_secs = env("FLEET_WARM_SECS", 3);
    // Two runtimes, so that the CPU each side uses can be told apart by thread name.
    let acs_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("acs")
        .thread_keep_alive(Duration::from_secs(3600))
        .enable_all()
        .build()
        .expect("tokio runtime");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("fleet")
        .thread_keep_alive(Duration::from_secs(3600))
        .enable_all()
        .build()
        .expect("tokio runtime");
    let store = match std::env::var("FLEET_STORE").as_deref() {
        Ok("postgres") => Some(pg::fresh_url()),
        Ok("sqlite") | Err(_) => None,
        Ok(other) => panic!("FLEET_STORE={other}: sqlite or postgres"),
    };
    let nodes = env("FLEET_NODES", 1);
    let dir = std::env::temp_dir().join(format!("tipring-fleet-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (lab, _second) = acs_rt.block_on(async {
        if nodes < 2 {
            let lab = Lab::start_on(dir.clone(), store.clone(), None)
                .await
                .expect("provisioner");
            return (lab, None);
        }
        let lb = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/cwmp", lb.local_addr().expect("addr"));
        let lab = Lab::start_on(dir.clone(), store.clone(), Some(url))
            .await
            .expect("provisioner");
        let second = lab.another_node().await.expect("second node");
        let backends = std::sync::Arc::new(std::sync::Mutex::new(vec![
            lab.running.cwmp_addr,
            second.cwmp_addr,
        ]));
        tokio::spawn(balance(lb, backends));
        (lab, Some(second))
    });
    println!(
        "store: {}, {nodes} provisioner node(s)",
        if store.is_some() {
            "PostgreSQL (private server, unix socket)"
        } else {
            "SQLite (WAL)"
        }
    );
    rt.block_on(async move {
        println!(
            "fleet bootstrap benchmark: {n} gateways, {in_flight} sessions in flight, {} cores",
            std::thread::available_parallelism().map_or(0, |p| p.get())
        );
        let base = FleetConfig {
            devices: n,
            acs_url: lab.acs_url(),
            inform_interval: Duration::from_secs(3600),
            max_in_flight: in_flight,
            ..FleetConfig::default()
        };
        let serials: Vec<String> = (0..n).map(|i| base.serial(i)).collect();
        let t = Instant::now();
        lab.preregister(&serials, &base.oui, &base.product_class, &initial_secret)
            .await
            .expect("pre-registrations");
        println!(
            "pre-registered {n} in {:.2} s",
            t.elapsed().as_secs_f64()
        );
        let cfg = FleetConfig {
            passwords: Passwords::BySerial(
                serials.iter().map(|s| (s.clone(), initial_secret(s))).collect(),
            ),
            ..base
        };

        let before = rss_bytes().unwrap_or(0);
        let mut fleet = Fleet::new(cfg.clone()).expect("fleet");
        let after = rss_bytes().unwrap_or(0);
        let per = after.saturating_sub(before) as f64 / n as f64;
        println!(
            "memory: {:.1} KB per simulated gateway at boot (RSS {} -> {} MB); target < 100 KB, Node.js simulator ~54 MB",
            per / 1024.0,
            before >> 20,
            after >> 20
        );

        // Bootstrap storm.
        let t0 = Instant::now();
        let c0 = cpu();
        fleet
            .run_until(t0 + Duration::from_secs(3600), |s| s.provisioned == n)
            .await;
        let took = t0.elapsed().as_secs_f64();
        let s = fleet.take_stats();
        let ids: Vec<String> = serials
            .iter()
            .map(|s| device_id(&cfg.oui, &cfg.product_class, s))
            .collect();
        let stored = lab.count_provisioned(ids).await.expect("store");
        println!(
            "bootstrap: {stored}/{n} provisioned (store) in {took:.2} s; {:.0} sessions/s; {} failed; {}",
            s.sessions_ok as f64 / took,
            s.sessions_failed,
            latency_line(&s)
        );
        println!("bootstrap: {}", cpu_line(s.sessions(), c0));
        let extrapolated = took * TARGET_DEVICES / n as f64;
        println!(
            "bootstrap: 100 000 gateways at this rate: {extrapolated:.0} s (target < {TARGET_BOOTSTRAP_S:.0} s: {})",
            if extrapolated < TARGET_BOOTSTRAP_S { "met" } else { "NOT met" }
        );
        let rss_now = rss_bytes().unwrap_or(0);
        println!(
            "memory: process RSS {} MB after bootstrap (provisioner + {n} provisioned gateways: {:.1} KB per gateway at most)",
            rss_now >> 20,
            rss_now.saturating_sub(before) as f64 / n as f64 / 1024.0
        );

        // Steady state: periodic Informs at a 1 s interval.
        fleet
            .set_inform_interval(Duration::from_secs(1))
            .expect("interval");
        let warm = Instant::now();
        fleet
            .run_until(warm + Duration::from_secs(warm_secs), |_| false)
            .await;
        let _ = fleet.take_stats();
        let t1 = Instant::now();
        let c1 = cpu();
        fleet
            .run_until(t1 + Duration::from_secs(steady_secs), |_| false)
            .await;
        let secs = t1.elapsed().as_secs_f64();
        let s = fleet.take_stats();
        let rate = s.sessions_ok as f64 / secs;
        println!(
            "steady state: {rate:.0} periodic Inform sessions/s (offered {n}/s), {} failed, {}; target >= {TARGET_STEADY:.0}/s: {}",
            s.sessions_failed,
            latency_line(&s),
            if rate >= TARGET_STEADY {
                "met"
            } else if (n as f64) < TARGET_STEADY {
                "offered load below target: raise FLEET_DEVICES"
            } else {
                "NOT met"
            }
        );
        println!("steady state: {}", cpu_line(s.sessions(), c1));
        lab
    })
    .stop();
    drop(acs_rt);
    let _ = std::fs::remove_dir_all(&dir);
}

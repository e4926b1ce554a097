//! Benchmark: 48 ports of a `tipring-agent` process registering with Kamailio from a
//! cold start, and the agent's resident memory with 48 registered idle ports.
//!
//! Run with `ops/bench-sip` (it builds the release agent and passes its path in
//! `TIPRING_AGENT_BIN`). Prints each figure beside its target; decides nothing.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tipring_integration_tests::peers::{Kamailio, KamailioConfig};
use tipring_integration_tests::procstat::{cpu_seconds, rss_kib};

const PORTS: usize = 48;
const DOMAIN: &str = "tipring.test";

#[allow(clippy::disallowed_methods)] // a benchmark measures real time
fn main() {
    let Ok(bin) = std::env::var("TIPRING_AGENT_BIN") else {
        println!("sip_register: set TIPRING_AGENT_BIN (run ops/bench-sip); skipped");
        return;
    };
    let cfg = (0..PORTS).fold(KamailioConfig::new(DOMAIN), |c, i| {
        let user = (101 + i).to_string();
        let pw = format!("pw-{user}");
        c.account(user, pw)
    });
    let kam = Kamailio::start(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let secrets = kam.dir().join("secrets");
    let text: String = (0..PORTS)
        .map(|i| format!("{}:pw-{}\n", 101 + i, 101 + i))
        .collect();
    std::fs::write(&secrets, text).unwrap();

    let start = Instant::now();
    let mut child = Command::new(&bin)
        .args([
            "--sim",
            "--ports",
            &PORTS.to_string(),
            "--sip-domain",
            DOMAIN,
        ])
        .arg("--sip-server")
        .arg(kam.addr().to_string())
        .arg("--sip-secrets")
        .arg(&secrets)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tipring-agent");
    let pid = child.id();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    let mut registered = 0;
    let mut all_at = None;
    let deadline = start + Duration::from_secs(30);
    while registered < PORTS {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((t, l)) if l.contains("SIP: registered") => {
                registered += 1;
                if registered == PORTS {
                    all_at = Some(t);
                }
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    std::thread::sleep(Duration::from_secs(2));
    let rss = rss_kib(pid);
    let cpu0 = cpu_seconds(pid);
    std::thread::sleep(Duration::from_secs(5));
    let cpu1 = cpu_seconds(pid);
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(b"quit\n");
    }
    let _ = child.wait();

    println!("tipring-agent, {PORTS} ports, Kamailio registrar on loopback (digest MD5)");
    println!("  figure                                     measured        target");
    match all_at {
        Some(t) => println!(
            "  cold start to all {PORTS} registered          {:>8.0} ms     < 1000 ms",
            (t - start).as_secs_f64() * 1000.0
        ),
        None => println!(
            "  cold start to all registered              only {registered}/{PORTS} in 30 s"
        ),
    }
    if let Some(kib) = rss {
        println!(
            "  resident memory, {PORTS} idle ports           {:>8.1} MiB    < 20 MiB",
            kib as f64 / 1024.0
        );
    }
    if let (Some(a), Some(b)) = (cpu0, cpu1) {
        println!(
            "  idle CPU (48 simulated lines + SIP)        {:>8.1} % of a core   (the simulated phones and \
             line DSP run every 10 ms)",
            (b - a) / 5.0 * 100.0
        );
    }
}

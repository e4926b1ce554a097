//! Benchmark: a 48-port `tipring-agent` with every port in a call — 24 port-to-port calls
//! through Kamailio on loopback, audio flowing both ways (each caller talks a tone), echo
//! cancellers, jitter buffers and RTCP running — measured for the agent's CPU share of
//! one core and its resident memory.
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
        println!("calls_48: set TIPRING_AGENT_BIN (run ops/bench-sip); skipped");
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
    let spawned = Instant::now();
    let mut child = Command::new(&bin)
        .args([
            "--sim",
            "--ports",
            &PORTS.to_string(),
            "--sip-domain",
            DOMAIN,
        ])
        .args(["--status-addr", "off"])
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
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let wait_for = |what: &str, count: usize, secs: u64| -> usize {
        let end = Instant::now() + Duration::from_secs(secs);
        let mut n = 0;
        while n < count {
            match rx.recv_timeout(end.saturating_duration_since(Instant::now())) {
                Ok(l) if l.contains(what) => n += 1,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        n
    };
    let registered = wait_for("SIP: registered", PORTS, 30);
    let to_registered = spawned.elapsed();
    let half = PORTS / 2;
    let mut send = |cmd: String| {
        stdin.write_all(cmd.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
    };
    for p in 1..=half {
        send(format!("lift {p}"));
    }
    std::thread::sleep(Duration::from_millis(800));
    for p in 1..=half {
        send(format!("press {p} {}", 100 + p + half));
    }
    let rung = wait_for("phone RINGS", half, 30);
    for p in half + 1..=PORTS {
        send(format!("lift {p}"));
    }
    let connected = wait_for("line: connected", PORTS, 30);
    // Everyone talks: callers a 1 kHz tone, called parties a 700 Hz one.
    for p in 1..=PORTS {
        let hz = if p <= half { 1000 } else { 700 };
        send(format!("speak {p} tone {hz} -15 30000"));
    }
    std::thread::sleep(Duration::from_secs(3));
    let cpu0 = cpu_seconds(pid);
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(10));
    let cpu1 = cpu_seconds(pid);
    let wall = t0.elapsed().as_secs_f64();
    let rss = rss_kib(pid);
    send("status".into());
    std::thread::sleep(Duration::from_millis(300));
    let mut lost = 0u64;
    let mut media_lines = 0;
    while let Ok(l) = rx.try_recv() {
        if let Some(rest) = l.split(" lost ").nth(1) {
            media_lines += 1;
            lost += rest
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    send("quit".into());
    let _ = child.wait();

    println!(
        "tipring-agent, {PORTS} ports in {half} calls through Kamailio (G.711, 20 ms, 64 ms EC)"
    );
    println!("  registered {registered}/{PORTS}, rang {rung}/{half}, connected {connected}/{PORTS} lines, {media_lines} calls reporting media, {lost} packets lost");
    println!("  figure                                     measured        target");
    if let (Some(a), Some(b)) = (cpu0, cpu1) {
        println!(
            "  agent CPU, all {PORTS} ports talking          {:>8.1} % of a core   < 15 %",
            (b - a) / wall * 100.0
        );
    }
    println!(
        "  process start to all {PORTS} registered         {:>8.1} ms       (sip_register's 48 ports: 28 ms)",
        to_registered.as_secs_f64() * 1000.0
    );
    if let Some(kib) = rss {
        println!(
            "  resident memory                            {:>8.1} MiB    < 32 MiB",
            kib as f64 / 1024.0
        );
    }
}

//! Load test: our example agent (`examples/snmp_agent.rs`, run as its own process) against
//! net-snmp's snmpd, both on 127.0.0.1, driven by this crate's manager client over UDP
//! with 1, 8 and 32 requests in flight. Measures each agent process's CPU (utime+stime
//! from /proc/PID/stat) per request and the throughput, for v2c GET sysUpTime.0 and v3
//! authPriv (SHA-256 + AES-128) GET, and a full `snmpbulkwalk -Cr25` of each tree.
//!
//! `cargo bench -p tipring-snmp --bench vs_snmpd`
//!
//! The example agent serves a synthetic tree with as many objects as snmpd's walk returns.
//! To measure another agent (the real tipring-agent), set `SNMP_BENCH_AGENT_CMD` to its
//! command line; `{port}`, `{community}`, `{user}` (NAME:SHA-256:AUTHPASS:AES:PRIVPASS),
//! `{user_name}`, `{auth_pass}`, `{priv_pass}` and `{objects}` are substituted, and it
//! must answer the v2c community and the v3 user on 127.0.0.1:{port}. Its stdin is a pipe
//! held open for the whole run. When that agent does more than SNMP (tipring-agent runs
//! the lines, SIP and management too), set `SNMP_BENCH_AGENT_THREAD` to the name of the
//! thread that serves SNMP (`snmp`): the figure compared is then that thread's CPU, and
//! the whole process's is printed beside it. `ops/bench-snmp` does all of this.
//! `SNMP_BENCH_REQUESTS` sets the request count per v2c run (default 100000; v3 runs do half).

#[path = "../examples/snmp_agent.rs"]
#[allow(dead_code)]
mod snmp_agent;

use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tipring_snmp::manager::{Client, ClientConfig, ClientEvent, ClientSecurity, Request};
use tipring_snmp::{AuthProtocol, Oid, PrivProtocol, SecurityLevel, User};

/// Not `public`: tipring-agent refuses the well-known communities.
const COMMUNITY: &str = "bench-ro-7f3a";
const USER: &str = "benchuser";
const AUTH_PASS: &str = "authpass123";
const PRIV_PASS: &str = "privpass123";

#[allow(clippy::disallowed_methods)] // benchmarks read the clock
fn now() -> Instant {
    Instant::now()
}

fn clk_tck() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// utime + stime of a process, in µs.
fn cpu_us(pid: u32, tck: f64) -> f64 {
    stat_cpu_us(
        &std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default(),
        tck,
    )
}

/// utime + stime of the process's threads named `thread` (as /proc shows the name), in µs.
fn thread_cpu_us(pid: u32, thread: &str, tck: f64) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0.0;
    };
    let mut sum = 0.0;
    for t in tasks.flatten() {
        let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
        if stat.contains(&format!("({thread})")) {
            sum += stat_cpu_us(&stat, tck);
        }
    }
    sum
}

/// What the comparison counts for our agent: the SNMP thread's CPU when the process does
/// more than SNMP (`SNMP_BENCH_AGENT_THREAD`), else the process's.
fn agent_cpu_us(agent: &Agent, tck: f64) -> f64 {
    match &agent.thread {
        Some(t) => thread_cpu_us(agent.child.id(), t, tck),
        None => cpu_us(agent.child.id(), tck),
    }
}

fn stat_cpu_us(stat: &str, tck: f64) -> f64 {
    // Fields after the command name (which may contain spaces) start after ") ".
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after ") ".
    let ticks: f64 = f.get(11).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    ticks * 1e6 / tck
}

struct Agent {
    name: &'static str,
    child: Child,
    port: u16,
    /// The thread whose CPU is counted (None: the whole process).
    thread: Option<String>,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_snmpd(dir: &std::path::Path) -> Agent {
    let port = free_port();
    let conf = dir.join("snmpd.conf");
    std::fs::write(
        &conf,
        format!(
            "rocommunity {COMMUNITY} 127.0.0.1\n\
             dontLogTCPWrappersConnects yes\n\
             createUser {USER} SHA-256 {AUTH_PASS} AES {PRIV_PASS}\n\
             rouser {USER} priv\n"
        ),
    )
    .unwrap();
    let child = Command::new("snmpd")
        .args(["-f", "-Lo", "-C", "-c"])
        .arg(&conf)
        .arg(format!("udp:127.0.0.1:{port}"))
        .env("SNMP_PERSISTENT_DIR", dir)
        .env("MIBS", "")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("snmpd: {e} (apt-get install snmpd)"));
    Agent {
        name: "snmpd",
        child,
        port,
        thread: None,
    }
}

fn start_ours(objects: usize) -> Agent {
    let port = free_port();
    let user = format!("{USER}:SHA-256:{AUTH_PASS}:AES:{PRIV_PASS}");
    let child = match std::env::var("SNMP_BENCH_AGENT_CMD") {
        Ok(tpl) => {
            let cmd = tpl
                .replace("{port}", &port.to_string())
                .replace("{community}", COMMUNITY)
                .replace("{user}", &user)
                .replace("{user_name}", USER)
                .replace("{auth_pass}", AUTH_PASS)
                .replace("{priv_pass}", PRIV_PASS)
                .replace("{objects}", &objects.to_string());
            Command::new("sh")
                .arg("-c")
                .arg(format!("exec {cmd}"))
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
        }
        Err(_) => Command::new(std::env::current_exe().unwrap())
            .args([
                "--as-agent",
                "--port",
                &port.to_string(),
                "--community",
                COMMUNITY,
                "--user",
                &user,
                "--objects",
                &objects.to_string(),
            ])
            .stdout(Stdio::null())
            .spawn(),
    }
    .expect("start agent");
    Agent {
        name: "ours",
        child,
        port,
        thread: std::env::var("SNMP_BENCH_AGENT_THREAD")
            .ok()
            .filter(|t| !t.is_empty()),
    }
}

fn v2c_client() -> Client {
    Client::new(ClientConfig::new(ClientSecurity::V2c {
        community: COMMUNITY.into(),
    }))
    .unwrap()
}

fn v3_client() -> Client {
    let u = User::auth_priv(
        USER,
        AuthProtocol::Sha256,
        AUTH_PASS,
        PrivProtocol::Aes128,
        PRIV_PASS,
    );
    Client::new(ClientConfig::new(ClientSecurity::V3 {
        user: u,
        level: SecurityLevel::AuthPriv,
    }))
    .unwrap()
}

/// One request answered (following discovery Reports); None on timeout.
fn one(client: &mut Client, sock: &UdpSocket, req: Request) -> Option<()> {
    let mut buf = [0u8; 65_536];
    let mut bytes = req.bytes;
    for _ in 0..4 {
        sock.send(&bytes).ok()?;
        let n = sock.recv(&mut buf).ok()?;
        match client.handle(now(), &buf[..n]).ok()? {
            ClientEvent::Response(_) => return Some(()),
            ClientEvent::Resend(mut r) => bytes = r.remove(0).bytes,
            ClientEvent::Report { .. } => return None,
        }
    }
    None
}

fn wait_ready(port: u16) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut c = v2c_client();
    let end = now() + Duration::from_secs(20);
    while now() < end {
        let req = c.get(now(), &[Oid::from([1, 3, 6, 1, 2, 1, 1, 3, 0])]);
        if one(&mut c, &sock, req).is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("agent on port {port} never answered");
}

struct Run {
    cpu_us_per_req: f64,
    /// The whole process's CPU per request (same as `cpu_us_per_req` without a thread).
    process_us_per_req: f64,
    req_per_s: f64,
    lost: u64,
}

/// `total` GETs of sysUpTime.0 with `window` in flight.
fn load(agent: &Agent, v3: bool, window: usize, total: u64, tck: f64) -> Run {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.connect(("127.0.0.1", agent.port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut client = if v3 { v3_client() } else { v2c_client() };
    let up = [Oid::from([1, 3, 6, 1, 2, 1, 1, 3, 0])];
    // Discovery and warm-up outside the measurement.
    for _ in 0..50 {
        let req = client.get(now(), &up);
        one(&mut client, &sock, req).expect("warm-up");
    }
    let pid = agent.child.id();
    let c0 = agent_cpu_us(agent, tck);
    let p0 = cpu_us(pid, tck);
    let t0 = now();
    let mut sent = 0u64;
    let mut done = 0u64;
    let mut lost = 0u64;
    let mut in_flight: Vec<i32> = Vec::with_capacity(window);
    let mut buf = [0u8; 65_536];
    while done + lost < total {
        while in_flight.len() < window && sent < total {
            let req = client.get(now(), &up);
            in_flight.push(req.request_id);
            sock.send(&req.bytes).unwrap();
            sent += 1;
        }
        match sock.recv(&mut buf) {
            Ok(n) => {
                if let Ok(ClientEvent::Response(r)) = client.handle(now(), &buf[..n]) {
                    in_flight.retain(|&id| id != r.request_id);
                    done += 1;
                }
            }
            Err(_) => {
                // Lost datagrams: forget them and refill the window.
                for id in in_flight.drain(..) {
                    client.forget(id);
                    lost += 1;
                }
            }
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = agent_cpu_us(agent, tck) - c0;
    let process = cpu_us(pid, tck) - p0;
    Run {
        cpu_us_per_req: cpu / done.max(1) as f64,
        process_us_per_req: process / done.max(1) as f64,
        req_per_s: done as f64 / wall,
        lost,
    }
}

/// `times` full `snmpbulkwalk -Cr25` of the agent's tree: (objects, agent CPU ms per walk,
/// wall ms per walk). Several walks, so the CPU clock's 10 ms tick does not hide ours.
fn walk(agent: &Agent, tck: f64, times: u32) -> (usize, f64, f64) {
    let c0 = agent_cpu_us(agent, tck);
    let t0 = now();
    let mut n = 0;
    for _ in 0..times {
        let out = Command::new("snmpbulkwalk")
            .args([
                "-v2c",
                "-c",
                COMMUNITY,
                "-Cr25",
                "-On",
                "-t",
                "5",
                "-r",
                "1",
                &format!("udp:127.0.0.1:{}", agent.port),
                ".1",
            ])
            .env("MIBS", "")
            .output()
            .expect("snmpbulkwalk (apt-get install snmp)");
        n = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains(" = ") && !l.contains("No more variables"))
            .count();
    }
    let wall = t0.elapsed().as_secs_f64() * 1000.0 / f64::from(times);
    let cpu = (agent_cpu_us(agent, tck) - c0) / 1000.0 / f64::from(times);
    (n, cpu, wall)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--as-agent") {
        if let Err(e) = snmp_agent::run(args[2..].to_vec()) {
            eprintln!("agent: {e}");
            std::process::exit(1);
        }
        return;
    }
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let tck = clk_tck();
    let total: u64 = std::env::var("SNMP_BENCH_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("tipring-snmp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let snmpd = start_snmpd(&dir);
    wait_ready(snmpd.port);
    let (snmpd_objects, _, _) = walk(&snmpd, tck, 1);
    let ours = start_ours(snmpd_objects);
    wait_ready(ours.port);

    let custom = std::env::var("SNMP_BENCH_AGENT_CMD").is_ok();
    let counted = match &ours.thread {
        Some(t) => format!("our agent's `{t}` thread (whole process in brackets)"),
        None => "the agent process".to_string(),
    };
    println!("tipring-snmp vs net-snmp snmpd 5.9.3: agent CPU per request (utime+stime of {counted}; snmpd's process), 127.0.0.1, manager client in this process");
    if custom {
        println!("trees: snmpd walk {snmpd_objects} objects; ours: the agent's own tree");
    } else {
        println!(
            "trees: snmpd walk {snmpd_objects} objects; ours synthetic ~{snmpd_objects} objects"
        );
    }
    for (label, v3) in [
        ("v2c GET sysUpTime.0", false),
        ("v3 authPriv SHA-256/AES GET", true),
    ] {
        for window in [1usize, 8, 32] {
            let n = if v3 { total / 2 } else { total };
            let a = load(&ours, v3, window, n, tck);
            let b = load(&snmpd, v3, window, n, tck);
            let process = if ours.thread.is_some() {
                format!(" [{:6.2}]", a.process_us_per_req)
            } else {
                String::new()
            };
            println!(
                "{label:30} window {window:2}: ours {:6.2}{process} µs/req {:7.0} req/s | snmpd {:6.2} µs/req {:7.0} req/s | CPU ratio {:5.1}x{}",
                a.cpu_us_per_req,
                a.req_per_s,
                b.cpu_us_per_req,
                b.req_per_s,
                b.cpu_us_per_req / a.cpu_us_per_req.max(1e-9),
                if a.lost + b.lost > 0 { format!("  (lost: ours {}, snmpd {})", a.lost, b.lost) } else { String::new() }
            );
        }
    }
    let (na, ca, wa) = walk(&ours, tck, 20);
    let (nb, cb, wb) = walk(&snmpd, tck, 20);
    println!(
        "snmpbulkwalk -Cr25 of the whole tree (mean of 20): ours {na} objects {ca:.1} ms CPU {wa:.0} ms wall | snmpd {nb} objects {cb:.1} ms CPU {wb:.0} ms wall | CPU ratio {:.1}x",
        cb / ca.max(0.5)
    );
    let per = |cpu_ms: f64, n: usize| cpu_ms * 1000.0 / n.max(1) as f64;
    println!(
        "  per object: ours {:.2} µs CPU {:.0} objects/s | snmpd {:.2} µs CPU {:.0} objects/s | CPU ratio {:.1}x, throughput ratio {:.1}x",
        per(ca, na),
        na as f64 * 1000.0 / wa.max(1e-9),
        per(cb, nb),
        nb as f64 * 1000.0 / wb.max(1e-9),
        per(cb, nb) / per(ca, na).max(1e-9),
        (na as f64 / wa.max(1e-9)) / (nb as f64 / wb.max(1e-9)),
    );
    println!(
        "(agent names: {} on port {}, {} on port {})",
        ours.name, ours.port, snmpd.name, snmpd.port
    );
    drop(ours);
    drop(snmpd);
    let _ = std::fs::remove_dir_all(&dir);
}

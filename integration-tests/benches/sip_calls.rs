//! Benchmark: SIPp calling into Tipring's SIP user agent at increasing rates.
//!
//! The UA (`tipring-sip`, the same core the agent runs) serves 48 accounts on a real UDP
//! socket in this process, and auto-answers every call at the SIP level; SIPp
//! (`uac_load.xml`) places short calls spread over the 48 extensions. For each rate the
//! bench prints the calls that succeeded and failed and the UA's CPU time per call
//! (user+system of the thread that runs the UA and its socket), beside the targets
//! (200 calls/s with 0 failures, < 250 µs CPU per call). Decides nothing.
//!
//! `TIPRING_BENCH_SECONDS` sets the seconds per rate (default 20; the 60 s
//! sustained run: `TIPRING_BENCH_SECONDS=60`).

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tipring_integration_tests::peers::Sipp;
use tipring_sip::media::{PCMA, PCMU};
use tipring_sip::{
    Account, CallEvent, Command, Event, Input, Output, Peer, Secret, TransportKind, UaConfig,
    UserAgent,
};

const ACCOUNTS: usize = 48;

/// user+system CPU seconds of a thread (or the process when `stat` is /proc/self/stat).
fn cpu_seconds(stat_path: &str) -> f64 {
    let stat = std::fs::read_to_string(stat_path).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|p| p.1).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let get = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (get(11) + get(12)) / 100.0
}

/// Serve calls until `stop`: answer every INVITE at once.
#[allow(clippy::disallowed_methods)] // the shell side owns the clock
fn serve(sock: UdpSocket, stop: Arc<AtomicBool>, tid: std::sync::mpsc::Sender<String>) {
    // /proc/thread-self -> "<pid>/task/<tid>": the main thread reads our CPU time there.
    let me = std::fs::read_link("/proc/thread-self").map(|p| p.to_string_lossy().into_owned());
    let _ = tid.send(
        me.map(|p| format!("/proc/{p}/stat"))
            .unwrap_or_else(|_| "/proc/self/stat".into()),
    );
    let local = sock.local_addr().unwrap();
    let accounts = (0..ACCOUNTS)
        .map(|i| Account {
            user: (101 + i).to_string(),
            auth_user: None,
            password: Secret::new("unused"),
            domain: "tipring.test".into(),
            display_name: None,
            servers: vec![],
            expires: 3600,
            register: false,
            rtp_port: 40000 + 4 * i as u16,
            rtp_port_second: 40002 + 4 * i as u16,
            subscribe_mwi: false,
            codecs: Vec::new(),
            t38: None,
        })
        .collect();
    let mut ua = UserAgent::new(UaConfig {
        local,
        transport: TransportKind::Udp,
        user_agent: "Tipring-bench".into(),
        timers: Default::default(),
        registration: Default::default(),
        rng_seed: [3; 32],
        codecs: vec![PCMU, PCMA],
        srtp: Default::default(),
        accounts,
    });
    let mut buf = vec![0u8; 65_536];
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        let wait = ua
            .poll_timeout()
            .map(|t| t.saturating_duration_since(now))
            .unwrap_or(Duration::from_millis(50))
            .clamp(Duration::from_micros(100), Duration::from_millis(50));
        sock.set_read_timeout(Some(wait)).unwrap();
        let now = match sock.recv_from(&mut buf) {
            Ok((n, from)) => {
                let now = Instant::now();
                ua.handle_input(Input::Receive {
                    now,
                    from: Peer::udp(from),
                    data: &buf[..n],
                });
                now
            }
            Err(_) => Instant::now(),
        };
        if ua.poll_timeout().is_some_and(|t| t <= now) {
            ua.handle_input(Input::Timeout(now));
        }
        while let Some(out) = ua.poll_output() {
            match out {
                Output::Transmit { to, data } => {
                    let _ = sock.send_to(&data, to.addr);
                }
                Output::Event(Event::Call {
                    account,
                    event: CallEvent::Incoming { .. },
                }) => {
                    ua.handle_input(Input::Command {
                        now,
                        command: Command::Answer(account),
                    });
                }
                Output::Event(_) => {}
            }
        }
    }
}

fn main() {
    let seconds: u32 = std::env::var("TIPRING_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let server = std::thread::spawn({
        let stop = stop.clone();
        move || serve(sock, stop, tid_tx)
    });
    let stat_path = tid_rx.recv().unwrap();
    let dir = std::env::temp_dir().join(format!("tipring-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("callees.csv");
    let lines: String = std::iter::once("SEQUENTIAL\n".to_string())
        .chain((0..ACCOUNTS).map(|i| format!("{}\n", 101 + i)))
        .collect();
    std::fs::write(&csv, lines).unwrap();

    println!("tipring-sip UA, {ACCOUNTS} accounts auto-answering, SIPp uac_load.xml, {seconds} s per rate");
    println!("  rate (calls/s)   ok      failed   retrans   UA CPU per call   target");
    for rate in [50u32, 100, 200, 300, 400] {
        let calls = rate * seconds;
        let cpu0 = cpu_seconds(&stat_path);
        let outcome = Sipp::scenario("uac_load.xml")
            .remote(addr)
            .rate(rate)
            .calls(calls)
            .key("pause_ms", "0")
            .arg("-inf")
            .arg(csv.to_string_lossy().to_string())
            .timeout(Duration::from_secs(u64::from(seconds) + 40))
            .run();
        let cpu = cpu_seconds(&stat_path) - cpu0;
        match outcome {
            Ok(o) => {
                let per_call = if o.successful_calls > 0 {
                    cpu / o.successful_calls as f64 * 1e6
                } else {
                    f64::NAN
                };
                println!(
                    "  {rate:>6}          {:>6}   {:>6}   {:>6}    {per_call:>8.0} µs        200/s with 0 failed; < 250 µs",
                    o.successful_calls, o.failed_calls, o.retransmissions
                );
            }
            Err(e) => println!("  {rate:>6}          SIPp error: {e}"),
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = server.join();
    let _ = std::fs::remove_dir_all(&dir);
}

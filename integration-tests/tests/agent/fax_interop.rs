//! The gateway's T.38 against peers it was not built with: SIPp (UAC) calls a port whose
//! fax machine (`fax receive`) answers; the machine's CED makes the gateway re-INVITE the
//! call to T.38, and SIPp (`uac_t38_reinvite.xml`) checks that offer with regular
//! expressions (`m=image PORT udptl t38`, version 0, 14,400 bit/s, transferred TCF, buffer
//! and datagram sizes, redundancy), logs the gateway's UDPTL port and answers with its own
//! T.38 SDP pointing at a UDP socket of this test. On that socket runs the far end's fax:
//! spandsp's T.38 terminal (`tipring_fax::T38Terminal`, a pure T.38 endpoint, no audio)
//! sending a 2-page document over UDPTL with redundancy (`tipring_udptl`), its clock driven
//! in real time. The port's fax machine must receive both pages intact.
//!
//! Meanwhile the far end misbehaves: from its own address it sends truncated UDPTL, a
//! length field beyond the datagram, a fragmented length, and well-formed UDPTL whose IFP
//! is garbage (at the start of the stream, in the middle of the fax, and after it); from
//! another address (127.0.0.2) a well-formed datagram with the next sequence number. The
//! fax must complete anyway, the status endpoint's `fax_malformed` must count exactly the
//! malformed datagrams from the far end's address (the foreign one is not the gateway's to
//! take or count as the far end's), and the gateway must never send to 127.0.0.2.

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tipring_fax::{FaxOutcome, MachineOptions, T38Terminal};
use tipring_integration_tests::peers::Sipp;
use tipring_udptl::{check_ifp, parse, Encoder, ErrorCorrection, Receiver, UdptlConfig};

use crate::Agent;

const WAIT: Duration = Duration::from_secs(15);
/// A 2-page fax at up to 14,400 bit/s: about 25 s of T.30.
const FAX_TIME: Duration = Duration::from_secs(60);
const PAGES: u32 = 2;
/// One 10 ms tick of the far end's terminal: 80 samples at 8 kHz.
const TICK: Duration = Duration::from_millis(10);

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tipring-faxio-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// UDPTL datagrams that do not parse: truncated in the sequence number, truncated after it
/// (no primary IFP length), a primary length of 64 with 3 octets behind it, a fragmented
/// length determinant (`11xxxxxx`, refused by T.38 implementations), and a real datagram
/// cut short. Each sequence number's high octet is 0, so none looks like RTP (version 2).
fn malformed_udptl(valid: &[u8]) -> Vec<Vec<u8>> {
    let cut = valid[..valid.len() - 2].to_vec();
    let all = vec![
        vec![0x00],
        vec![0x00, 0x07],
        vec![0x00, 0x09, 0x40, 0x01, 0x02, 0x03],
        vec![0x00, 0x0A, 0xC1, 0x04, 0x05, 0x06, 0x00, 0x00],
        cut,
    ];
    for d in &all {
        assert!(parse(d).is_err(), "meant to be malformed: {d:02x?}");
        assert_ne!(d[0] >> 6, 2, "must not look like RTP: {d:02x?}");
    }
    all
}

/// IFP packets that do not decode (T.38 Annex A, version 0): a V.21 data message claiming
/// 5 fields whose first field's 33 octets are not there, and an indicator with a data
/// field (indicators have none).
const GARBAGE_IFPS: [&[u8]; 2] = [&[0xC0, 0x05, 0x80, 0x00, 0x20, 0x01], &[0x80, 0x00]];

/// What the far end did.
#[derive(Debug)]
struct FarEnd {
    /// Where the gateway's UDPTL came from (its `m=image` port).
    gateway: SocketAddr,
    /// The terminal's T.30 outcome.
    outcome: Option<FaxOutcome>,
    /// Malformed datagrams sent from the far end's address.
    malformed_sent: u64,
    /// Of which well-formed UDPTL carrying a garbage IFP.
    garbage_ifp_sent: u64,
    /// Datagrams sent from 127.0.0.2.
    foreign_sent: u64,
    /// Datagrams the gateway sent to 127.0.0.2 (must stay 0).
    foreign_received: u64,
    /// UDPTL datagrams received from the gateway, and how many did not parse.
    received: u64,
    malformed_received: u64,
    /// IFPs the terminal rejected.
    rejected_ifps: u64,
    /// Datagrams sent (fax and bad ones).
    sent: u64,
}

/// The far end's fax: a T.38 terminal sending `doc` over UDPTL on `socket`, to whoever
/// sends it UDPTL first (the gateway, once SIPp answered its re-INVITE), until `stop`;
/// with malformed input along the way.
fn far_end(socket: UdpSocket, doc: &Path, stop: &AtomicBool) -> FarEnd {
    socket.set_nonblocking(true).unwrap();
    let foreign = UdpSocket::bind("127.0.0.2:0").expect("127.0.0.2 is loopback too");
    foreign.set_nonblocking(true).unwrap();
    let cfg = UdptlConfig {
        ec: ErrorCorrection::Redundancy { depth: 3 },
        max_datagram: 400,
        max_ifp: 400,
    };
    let mut tx = Encoder::new(&cfg);
    let mut rx = Receiver::new(&cfg).with_t38_version(0);
    let mut term = T38Terminal::sender(doc, &MachineOptions::default()).unwrap();
    term.set_t38_version(0);
    for g in GARBAGE_IFPS {
        assert!(check_ifp(g, 0).is_err(), "meant to be garbage: {g:02x?}");
    }
    let bad = malformed_udptl(&Encoder::new(&cfg).encode(&[0x06]).unwrap());
    let mut report = FarEnd {
        gateway: SocketAddr::from(([0, 0, 0, 0], 0)),
        outcome: None,
        malformed_sent: 0,
        garbage_ifp_sent: 0,
        foreign_sent: 0,
        foreign_received: 0,
        received: 0,
        malformed_received: 0,
        rejected_ifps: 0,
        sent: 0,
    };
    let mut gateway: Option<SocketAddr> = None;
    let mut buf = [0u8; 2048];
    #[allow(clippy::disallowed_methods)] // a real-time peer
    let deadline = Instant::now() + FAX_TIME + WAIT;
    let mut started: Option<Instant> = None;
    let mut stopped: Option<Instant> = None;
    let mut ticks = 0u64;
    let send = |to: SocketAddr, d: &[u8], sent: &mut u64| {
        socket.send_to(d, to).unwrap();
        *sent += 1;
    };
    loop {
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        // Stopped: once the terminal's T.30 is over too (its phase E follows the DCN it
        // sent, which the port's machine may have taken first), or 5 s after.
        if stop.load(Ordering::SeqCst) {
            let since = *stopped.get_or_insert(now);
            if report.outcome.is_some() || now - since > Duration::from_secs(5) {
                break;
            }
        }
        if now > deadline {
            break;
        }
        // Everything the gateway sent.
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            let to = *gateway.get_or_insert(from);
            assert_eq!(from, to, "UDPTL from another address than the first");
            report.received += 1;
            if rx.receive(&buf[..n]).is_err() {
                report.malformed_received += 1;
                continue;
            }
            while let Some(ifp) = rx.poll() {
                if term.ifp_from_network(ifp.seq, &ifp.data).is_err() {
                    report.rejected_ifps += 1;
                }
            }
        }
        while foreign.recv_from(&mut buf).is_ok() {
            report.foreign_received += 1;
        }
        let Some(to) = gateway else {
            std::thread::sleep(Duration::from_millis(2));
            continue;
        };
        let t0 = *started.get_or_insert_with(|| {
            // The stream opens with a garbage IFP (sequence number 0): the gateway's
            // receiver must drop it and take the terminal's packets that follow.
            let d = tx.encode(GARBAGE_IFPS[0]).unwrap();
            send(to, &d, &mut report.sent);
            report.malformed_sent += 1;
            report.garbage_ifp_sent += 1;
            now
        });
        // The terminal's clock, 80 samples per 10 ms of real time (caught up if late).
        let due = (now - t0).as_millis() as u64 / TICK.as_millis() as u64;
        while ticks < due {
            ticks += 1;
            term.advance(80);
            while let Some(p) = term.poll_ifp() {
                let d = tx.encode(&p.data).unwrap();
                send(to, &d, &mut report.sent);
            }
            // Unparseable datagrams every 2 s.
            if ticks % 200 == 100 && term.outcome().is_none() {
                for d in &bad {
                    send(to, d, &mut report.sent);
                    report.malformed_sent += 1;
                }
            }
            // A garbage IFP in the middle of the stream: it takes a sequence number, so
            // the gateway sees one IFP missing, as if lost, and T.30 must get over it.
            if ticks == 700 && term.outcome().is_none() {
                let d = tx.encode(GARBAGE_IFPS[1]).unwrap();
                send(to, &d, &mut report.sent);
                report.malformed_sent += 1;
                report.garbage_ifp_sent += 1;
            }
            // From another address, a well-formed datagram with the next sequence number
            // (and a garbage IFP, so that taking it would show in the counters), and an
            // unparseable one: neither may reach the relay nor turn its stream around.
            if ticks == 400 {
                let mut plain = Encoder::new(&UdptlConfig {
                    ec: ErrorCorrection::None,
                    ..cfg.clone()
                });
                let mut datagram = plain.encode(GARBAGE_IFPS[0]).unwrap();
                datagram[..2].copy_from_slice(&tx.next_seq().to_be_bytes());
                assert!(parse(&datagram).is_ok());
                for x in [&datagram, &bad[2]] {
                    foreign.send_to(x, to).unwrap();
                    report.foreign_sent += 1;
                }
            }
        }
        if report.outcome.is_none() {
            report.outcome = term.outcome();
        }
        let next = t0 + TICK * (ticks as u32 + 1);
        #[allow(clippy::disallowed_methods)]
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    // Right after the fax: one more round of everything from the far end's address.
    if let Some(to) = gateway {
        for d in &bad {
            send(to, d, &mut report.sent);
            report.malformed_sent += 1;
        }
        let d = tx.encode(GARBAGE_IFPS[0]).unwrap();
        send(to, &d, &mut report.sent);
        report.malformed_sent += 1;
        report.garbage_ifp_sent += 1;
        report.gateway = to;
    }
    std::thread::sleep(Duration::from_millis(100));
    while foreign.recv_from(&mut buf).is_ok() {
        report.foreign_received += 1;
    }
    report
}

/// The port's counters in the status endpoint's JSON (refreshed every second): waits until
/// `ready` holds for them.
fn port_counters(
    agent: &mut Agent,
    ready: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let mut last = serde_json::Value::Null;
    for _ in 0..30 {
        let body = agent.http_get("/status");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        last = json["ports"][0]["counters"].clone();
        if ready(&last) {
            return last;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("the port's counters never got there: {last}");
}

#[test]
fn sipp_takes_our_t38_reinvite_and_a_t38_terminal_faxes_through_bad_input() {
    let dir = scratch("t38");
    let doc = dir.join("sent.tif");
    let got = dir.join("received.tif");
    tipring_fax::document::write_test_document(&doc, PAGES).unwrap();

    let udptl = UdpSocket::bind("127.0.0.1:0").unwrap();
    let t38_port = udptl.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let far = std::thread::spawn({
        let (doc, stop) = (doc.clone(), stop.clone());
        move || far_end(udptl, &doc, &stop)
    });

    // A gateway that does not register: SIPp calls it directly.
    let mut agent = Agent::start_peer_to_peer(1, "127.0.0.1:9".parse().unwrap());
    let line = agent.expect(&["SIP on udp:"], WAIT);
    let gateway_sip: SocketAddr = line
        .split("udp:")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    agent.send(&format!("fax receive 1 {}", got.display()));
    agent.expect(&["fax machine ready to receive"], WAIT);

    let sipp = Sipp::scenario("uac_t38_reinvite.xml")
        .remote(gateway_sip)
        .service("101")
        .key("t38port", t38_port.to_string())
        .arg("-trace_logs")
        .timeout(FAX_TIME + WAIT)
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    agent.expect(&["ext 101]", "phone RINGS"], WAIT);
    agent.send("lift 1");
    agent.expect(&["ext 101]", "fax: asking the far end for T.38"], WAIT);
    let relay = agent.expect(&["ext 101]", "fax: T.38 relay to"], WAIT);
    assert!(
        relay.contains(&format!(
            "127.0.0.1:{t38_port} (version 0, 14400 bit/s, Redundancy"
        )),
        "{relay}"
    );
    let received = agent.expect(&["ext 101]", "fax machine:"], FAX_TIME);
    // The far end's last T.30 frame (DCN) is through: stop it once its T.30 is over too,
    // after its last round of bad datagrams, and give the gateway a moment to take them
    // before the call ends.
    stop.store(true, Ordering::SeqCst);
    let far = far.join().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    agent.send("hang 1");
    let ended = agent.expect(&["ext 101]", "T.38 relay ended"], WAIT);
    let outcome = sipp.wait(WAIT).unwrap_or_else(|e| panic!("{e}"));
    let transcript = agent.transcript();
    eprintln!("far end: {far:?}\n{received}\n{ended}");

    // SIPp: every regular expression on the re-INVITE matched, the call went through.
    assert!(outcome.all_succeeded(), "{outcome}\n{transcript}");
    let log = std::fs::read_dir(&outcome.logs.dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().ends_with("_logs.log"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .expect("SIPp's -trace_logs file");
    let offered: u16 = log
        .split("t38 offer: port ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("SIPp's log: {log}"));
    assert!(log.contains("datagram 400"), "{log}");
    assert_eq!(
        offered,
        far.gateway.port(),
        "UDPTL comes from the port the re-INVITE offered"
    );
    assert_eq!(far.gateway.ip().to_string(), "127.0.0.1");

    // The fax: both ends say so, and the pages are the sent ones.
    assert!(
        received.contains(&format!("received {PAGES} pages, done")),
        "{received}\n{transcript}"
    );
    let o = far.outcome.as_ref().expect("the terminal finished");
    assert!(o.success && o.pages == PAGES, "{o:?}");
    crate::fax::check_pages(&doc, &got);
    assert!(
        ended.contains(&format!("received, {PAGES} pages")),
        "{ended}"
    );
    assert_eq!(far.malformed_received, 0, "the gateway's UDPTL: {far:?}");

    // Bad input: counted, dropped, and no reply ever went to the foreign address.
    assert!(
        far.malformed_sent >= 9 && far.garbage_ifp_sent >= 3,
        "{far:?}"
    );
    assert_eq!(far.foreign_sent, 2);
    assert_eq!(far.foreign_received, 0, "the gateway answered 127.0.0.2");
    assert!(
        ended.contains(&format!(" {} malformed dropped", far.malformed_sent)),
        "{} malformed datagrams sent: {ended}",
        far.malformed_sent
    );
    let counters = port_counters(&mut agent, |c| c["fax_received"] == 1);
    assert_eq!(counters["fax_pages"], u64::from(PAGES), "{counters}");
    assert_eq!(counters["fax_failed"], 0, "{counters}");
    assert_eq!(
        counters["fax_malformed"], far.malformed_sent,
        "{counters}; far end: {far:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

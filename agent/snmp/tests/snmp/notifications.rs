//! Notifications from the engine to net-snmp's snmptrapd over real UDP: a v2c trap, a v3
//! trap (we are authoritative), a v3 inform (snmptrapd is authoritative: discovered
//! first) and a v2c inform; lost informs retried then given up (virtual time).

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tipring_snmp::{
    Engine, InformResult, Notification, NotifyKind, Oid, SecurityLevel, Target, Value,
};

use crate::common::*;

struct Trapd {
    child: Child,
    lines: mpsc::Receiver<String>,
    port: u16,
}

impl Trapd {
    fn start() -> Trapd {
        let dir = snmp_home().join(format!("trapd-{}", free_port()));
        std::fs::create_dir_all(&dir).unwrap();
        let conf = dir.join("snmptrapd.conf");
        std::fs::write(
            &conf,
            format!(
                "createUser -e 0x{} sha256aes SHA-256 {AUTH_PW} AES {PRIV_PW}\n\
                 createUser shaaes SHA {AUTH_PW} AES {PRIV_PW}\n\
                 authUser log sha256aes\n\
                 authUser log shaaes\n\
                 authCommunity log public\n",
                engine_id_hex()
            ),
        )
        .unwrap();
        let port = free_port();
        let spawned = Command::new("snmptrapd")
            .args(["-f", "-Lo", "-n", "-C", "-c"])
            .arg(&conf)
            .args(["-On", &format!("udp:127.0.0.1:{port}")])
            .env("SNMP_PERSISTENT_DIR", &dir)
            .env("MIBS", "")
            .env("HOME", &dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                panic!("net-snmp's snmptrapd is not installed: apt-get install snmptrapd")
            }
            Err(e) => panic!("snmptrapd: {e}"),
        };
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let t = Trapd {
            child,
            lines: rx,
            port,
        };
        t.wait_for("NET-SNMP version", Duration::from_secs(5));
        t
    }

    /// Waits for a line containing `needle`; returns it.
    fn wait_for(&self, needle: &str, within: Duration) -> String {
        let end = now() + within;
        let mut seen = Vec::new();
        while now() < end {
            if let Ok(l) = self.lines.recv_timeout(Duration::from_millis(50)) {
                if l.contains(needle) {
                    return l;
                }
                seen.push(l);
            }
        }
        panic!(
            "snmptrapd never printed {needle:?}; it printed:\n{}",
            seen.join("\n")
        );
    }
}

impl Drop for Trapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn link_down(ifindex: i32) -> Notification {
    Notification {
        trap_oid: Oid::from([1, 3, 6, 1, 6, 3, 1, 1, 5, 3]),
        varbinds: vec![(
            Oid::from([1, 3, 6, 1, 2, 1, 2, 2, 1, 1, ifindex as u32]),
            Value::Integer(ifindex),
        )],
    }
}

/// Sends what the engine produced and runs its receive/poll loop until `done` or 5 s.
fn drive(
    engine: &mut Engine,
    sock: &UdpSocket,
    outs: Vec<tipring_snmp::Outgoing>,
    mut done: impl FnMut(&mut Engine) -> bool,
) {
    for o in outs {
        sock.send_to(&o.bytes, o.to).unwrap();
    }
    let mut mib = test_mib();
    let mut buf = [0u8; 65_536];
    let mut out = Vec::new();
    let end = now() + Duration::from_secs(5);
    while !done(engine) {
        assert!(now() < end, "engine loop timed out");
        if let Ok((n, from)) = sock.recv_from(&mut buf) {
            engine.handle(now(), from, &buf[..n], &mut mib, &mut out);
            if !out.is_empty() {
                sock.send_to(&out, from).unwrap();
            }
        }
        let (outs, _) = engine.poll(now());
        for o in outs {
            sock.send_to(&o.bytes, o.to).unwrap();
        }
    }
}

#[test]
fn snmptrapd_receives_traps_and_acknowledges_informs() {
    let trapd = Trapd::start();
    let to = format!("127.0.0.1:{}", trapd.port).parse().unwrap();
    let mut cfg = test_config();
    cfg.targets = vec![Target::v2c_trap(to, "public")];
    let mut engine = Engine::new(cfg.clone(), 1, now()).unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();

    // v2c trap: sysUpTime.0 and snmpTrapOID.0 first (RFC 3416 §4.2.6).
    let outs = engine.notify(now(), 4242, &link_down(3));
    assert_eq!(outs.len(), 1);
    drive(&mut engine, &sock, outs, |_| true);
    let l = trapd.wait_for(".1.3.6.1.6.3.1.1.5.3", Duration::from_secs(5));
    assert!(
        l.starts_with(".1.3.6.1.2.1.1.3.0 = Timeticks: (4242)"),
        "{l}"
    );
    assert!(l.contains(".1.3.6.1.2.1.2.2.1.1.3 = INTEGER: 3"), "{l}");

    // v3 authPriv trap from our engine ID (snmptrapd has the user with -e OURENGINEID).
    cfg.targets = vec![Target::v3(
        to,
        NotifyKind::Trap,
        "sha256aes",
        SecurityLevel::AuthPriv,
    )];
    engine.reconfigure(cfg.clone()).unwrap();
    let outs = engine.notify(now(), 5000, &link_down(4));
    assert_eq!(outs.len(), 1);
    drive(&mut engine, &sock, outs, |_| true);
    let l = trapd.wait_for(
        ".1.3.6.1.2.1.2.2.1.1.4 = INTEGER: 4",
        Duration::from_secs(5),
    );
    assert!(
        l.contains(".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.6.3.1.1.5.3"),
        "{l}"
    );

    // v3 authPriv inform: snmptrapd is authoritative. The engine probes (RFC 3414 §4),
    // learns its engine ID/boots/time from the Report, sends the inform and gets the
    // Response.
    cfg.targets = vec![Target::v3(
        to,
        NotifyKind::Inform,
        "shaaes",
        SecurityLevel::AuthPriv,
    )];
    engine.reconfigure(cfg.clone()).unwrap();
    let outs = engine.notify(now(), 6000, &link_down(5));
    assert_eq!(outs.len(), 1, "the discovery probe");
    let id = outs[0].inform.unwrap();
    let mut results = Vec::new();
    drive(&mut engine, &sock, outs, |e| {
        results.extend(e.drain_outcomes());
        !results.is_empty()
    });
    assert_eq!(results[0].id, id);
    assert_eq!(results[0].result, InformResult::Acked);
    let l = trapd.wait_for(
        ".1.3.6.1.2.1.2.2.1.1.5 = INTEGER: 5",
        Duration::from_secs(5),
    );
    assert!(l.contains(".1.3.6.1.6.3.1.1.5.3"), "{l}");
    // A second inform reuses the learned engine: no probe.
    let outs = engine.notify(now(), 6100, &link_down(6));
    assert_eq!(outs.len(), 1);
    let mut results = Vec::new();
    drive(&mut engine, &sock, outs, |e| {
        results.extend(e.drain_outcomes());
        !results.is_empty()
    });
    assert_eq!(results[0].result, InformResult::Acked);
    assert_eq!(engine.counters().informs_acked, 2);

    // v2c inform.
    cfg.targets = vec![Target {
        kind: NotifyKind::Inform,
        ..Target::v2c_trap(to, "public")
    }];
    engine.reconfigure(cfg).unwrap();
    let outs = engine.notify(now(), 7000, &link_down(7));
    let mut results = Vec::new();
    drive(&mut engine, &sock, outs, |e| {
        results.extend(e.drain_outcomes());
        !results.is_empty()
    });
    assert_eq!(results[0].result, InformResult::Acked);
    trapd.wait_for(
        ".1.3.6.1.2.1.2.2.1.1.7 = INTEGER: 7",
        Duration::from_secs(5),
    );
}

#[test]
fn lost_informs_are_retried_then_given_up() {
    // Virtual time, nobody answering: v2c inform (3 retries, 1 s fixed) and a v3 inform
    // whose receiver cannot be discovered (the probe is retried the same way).
    let t0 = now();
    let to = "127.0.0.1:9".parse().unwrap();
    let mut cfg = test_config();
    cfg.targets = vec![
        Target {
            kind: NotifyKind::Inform,
            ..Target::v2c_trap(to, "public")
        },
        Target::v3(to, NotifyKind::Inform, "shaaes", SecurityLevel::AuthPriv),
    ];
    let mut engine = Engine::new(cfg, 1, t0).unwrap();
    let outs = engine.notify(t0, 1, &link_down(1));
    assert_eq!(outs.len(), 2);
    let mut sent = outs.len();
    let mut t = t0;
    let mut outcomes = Vec::new();
    for _ in 0..10 {
        let (outs, next) = engine.poll(t);
        sent += outs.len();
        outcomes.extend(engine.drain_outcomes());
        match next {
            Some(n) => {
                assert_eq!(n, t + Duration::from_secs(1), "fixed 1 s timeout");
                t = n;
            }
            None => break,
        }
    }
    // First send + 3 retransmissions each.
    assert_eq!(sent, 8);
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes.iter().all(|o| o.result == InformResult::GaveUp));
    assert_eq!(engine.counters().informs_gave_up, 2);
    assert_eq!(engine.pending_informs(), 0);
}

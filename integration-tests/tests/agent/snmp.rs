//! The gateway as an SNMP agent, checked with net-snmp's own tools: `snmpwalk` /
//! `snmpbulkwalk` in v1, v2c and v3 (noAuthNoPriv, SHA-256/AES, SHA/AES) walk the same
//! tree in strictly increasing order; `snmptable` renders TIPRING-MIB's port table;
//! wrong credentials fail as net-snmp expects and are counted; `snmptrapd` (with
//! TIPRING-MIB loaded) receives coldStart as a v2c trap and as an acknowledged v3
//! inform; stopping the registrar raises tipringRegistrationLost and the table says
//! `failed`.

// The test waits on the wall clock for the gateway, the registrar and snmptrapd.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use tipring_integration_tests::peers::{Kamailio, KamailioConfig};

use crate::services::{scratch, DOMAIN, WAIT};
use crate::Agent;

const COMMUNITY: &str = "n0c-read-7f3";
const TRAP_COMMUNITY: &str = "trap-9c2e";
const AUTH: &str = "auth-pass-0001";
const PRIV: &str = "priv-pass-0001";

fn mibs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/mibs")
}

fn tool(name: &str) -> Command {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(name).exists()))
        .unwrap_or(false)
        || Path::new("/usr/sbin").join(name).exists();
    assert!(
        found,
        "{name} is missing: apt-get install snmp snmptrapd (ops/install-deps does it)"
    );
    let mut c = Command::new(if Path::new("/usr/sbin").join(name).exists() {
        format!("/usr/sbin/{name}")
    } else {
        name.to_string()
    });
    // No user or system snmp.conf: what the test says is all there is.
    c.env("SNMPCONFPATH", scratch("snmp-conf"))
        .env("MIBS", "")
        .stdin(Stdio::null());
    c
}

/// Run a net-snmp command; (success, stdout, stderr).
fn run(mut c: Command) -> (bool, String, String) {
    let out = c.output().expect("run a net-snmp tool");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Credentials for one net-snmp command.
fn creds(c: &mut Command, how: &str) {
    match how {
        "v1" => c.args(["-v1", "-c", COMMUNITY]),
        "v2c" => c.args(["-v2c", "-c", COMMUNITY]),
        "noauth" => c.args(["-v3", "-l", "noAuthNoPriv", "-u", "watcher"]),
        "sha256aes" => c.args([
            "-v3", "-l", "authPriv", "-u", "nms", "-a", "SHA-256", "-A", AUTH, "-x", "AES", "-X",
            PRIV,
        ]),
        "shaaes" => c.args([
            "-v3", "-l", "authPriv", "-u", "legacy", "-a", "SHA", "-A", AUTH, "-x", "AES", "-X",
            PRIV,
        ]),
        other => panic!("{other}"),
    };
}

/// Walk the whole tree; the numeric OIDs in order.
fn walk(agent: &str, how: &str, bulk: bool) -> Vec<Vec<u32>> {
    let mut c = tool(if bulk { "snmpbulkwalk" } else { "snmpwalk" });
    creds(&mut c, how);
    c.args(["-On", "-t", "2", "-r", "1", agent, ".1"]);
    let (ok, out, err) = run(c);
    assert!(ok, "{how} walk failed: {err}");
    // v2c and v3 walks end on endOfMibView, which net-snmp prints after the last object.
    if how != "v1" {
        assert!(
            out.lines()
                .last()
                .is_some_and(|l| l.contains("No more variables left in this MIB View")),
            "{how}: the walk did not end with endOfMibView:\n{}",
            out.lines().rev().take(3).collect::<Vec<_>>().join("\n")
        );
    }
    let oids: Vec<Vec<u32>> = out
        .lines()
        .filter(|l| !l.contains("No more variables"))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|o| o.starts_with('.'))
        .map(|o| o[1..].split('.').map(|n| n.parse().unwrap()).collect())
        .collect();
    for w in oids.windows(2) {
        assert!(
            w[0] < w[1],
            "{how}: {:?} then {:?} is not increasing",
            w[0],
            w[1]
        );
    }
    assert!(
        !err.contains("OID not increasing"),
        "{how}: net-snmp saw a loop: {err}"
    );
    oids
}

fn get(agent: &str, how: &str, oid: &str) -> (bool, String, String) {
    let mut c = tool("snmpget");
    creds(&mut c, how);
    c.args(["-On", "-Oqv", "-t", "1", "-r", "1", agent, oid]);
    run(c)
}

/// Poll `oid` (v2c) until it reads `want`.
fn wait_value(agent: &str, oid: &str, want: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let (_, v, _) = get(agent, "v2c", oid);
        if v.trim() == want {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: still {v}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A free UDP port on loopback.
fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Trapd {
    child: std::process::Child,
    log: PathBuf,
}

impl Drop for Trapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Trapd {
    fn start(dir: &Path, port: u16) -> Self {
        let conf = dir.join("snmptrapd.conf");
        std::fs::write(
            &conf,
            format!(
                "authCommunity log {TRAP_COMMUNITY}\n\
                 createUser informer SHA-256 {AUTH} AES {PRIV}\n\
                 authUser log informer\n"
            ),
        )
        .unwrap();
        let log = dir.join("snmptrapd.log");
        let persist = dir.join("trapd-persist");
        std::fs::create_dir_all(&persist).unwrap();
        let mut c = tool("snmptrapd");
        c.env("SNMP_PERSISTENT_DIR", &persist)
            .args(["-f", "-C", "-c"])
            .arg(&conf)
            .args(["-Lf"])
            .arg(&log)
            .args(["-M"])
            .arg(format!("{}:/usr/share/snmp/mibs", mibs_dir().display()))
            .args(["-m", "SNMPv2-MIB:IF-MIB:TIPRING-MIB"])
            .arg(format!("udp:127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = c.spawn().expect("start snmptrapd");
        let t = Trapd { child, log };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !t.text().contains("NET-SNMP version") {
            assert!(
                Instant::now() < deadline,
                "snmptrapd did not start: {}",
                t.text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        t
    }

    fn text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_for(&self, what: &[&str], within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let t = self.text();
            if what.iter().all(|w| t.contains(w)) {
                return t;
            }
            assert!(
                Instant::now() < deadline,
                "snmptrapd never logged {what:?}:\n{t}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn net_snmp_walks_the_gateway_and_hears_its_notifications() {
    let cfg = ["101", "102"]
        .iter()
        .fold(KamailioConfig::new(DOMAIN).max_expires(10), |c, u| {
            c.account(*u, format!("pw-{u}"))
        });
    let mut k = Some(Kamailio::start(&cfg).unwrap_or_else(|e| panic!("{e}")));
    let dir = scratch("snmp");
    let trap_port = free_udp_port();
    let trapd = Trapd::start(&dir, trap_port);
    let port = |ext: &str| json!({ "extension": ext, "password": format!("pw-{ext}") });
    let user = |name: &str, auth: &str| {
        json!({ "name": name, "auth_protocol": auth, "auth_password": AUTH,
                "priv_protocol": "aes128", "priv_password": PRIV, "write": name == "nms" })
    };
    let doc = json!({
        "schema_version": 1,
        "device": { "name": "snmp-test", "country": "us" },
        "sip": {
            "servers": [k.as_ref().unwrap().addr().to_string()],
            "domain": DOMAIN,
            "listen": "127.0.0.1:0",
            "registration_expiry_s": 60
        },
        "ports": [port("101"), port("102")],
        "management": {
            "http_listen": "127.0.0.1:0",
            "snmp": {
                "listen": "127.0.0.1:0",
                "communities": [COMMUNITY],
                "community_sources": ["127.0.0.0/8"],
                "v3_users": [
                    user("nms", "sha256"),
                    user("legacy", "sha1"),
                    user("informer", "sha256"),
                    { "name": "watcher", "auth_protocol": "none", "priv_protocol": "none" }
                ],
                "notification_targets": [
                    { "address": format!("127.0.0.1:{trap_port}"), "community": TRAP_COMMUNITY },
                    { "address": format!("127.0.0.1:{trap_port}"), "kind": "inform",
                      "user": "informer" }
                ],
                "contact": "noc@example.net",
                "location": "Branch 7, rack 2",
                "set_enabled": true
            }
        }
    });
    let file = dir.join("gateway.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let state = dir.join("state");
    let mut agent = Agent::start_device(tipring_agent::device::DeviceArgs {
        config: Some(file),
        state_dir: Some(state.clone()),
        serial: Some("TR-SNMP-1".into()),
        ..Default::default()
    });
    let line = agent.expect(&["SNMP agent on udp "], WAIT);
    let addr = line.rsplit(' ').next().unwrap().trim().to_string();
    let target = format!("udp:{addr}");
    for ext in ["101", "102"] {
        agent.expect(&[&format!("ext {ext}]"), "SIP: registered"], WAIT);
    }

    // The engine's boots are persisted before the socket opens.
    let engine: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.join("snmp-engine.json")).unwrap()).unwrap();
    assert_eq!(engine["boots"], 1);

    // coldStart reached snmptrapd both ways: as a v2c trap and as a v3 inform.
    let deadline = Instant::now() + WAIT;
    while trapd.text().matches("SNMPv2-MIB::coldStart").count() < 2 {
        assert!(
            Instant::now() < deadline,
            "coldStart did not arrive as both a trap and an inform:\n{}",
            trapd.text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Every version and level walks the same tree, in order, to its end.
    let reference = walk(&target, "v2c", false);
    assert!(reference.len() > 150, "{} objects", reference.len());
    for (how, bulk) in [
        ("v2c", true),
        ("sha256aes", true),
        ("shaaes", false),
        ("noauth", true),
    ] {
        assert_eq!(
            walk(&target, how, bulk),
            reference,
            "{how} walks another tree"
        );
    }
    // v1 skips Counter64 objects (RFC 3584 §4.2.2.1): the rest is the same tree.
    let v1 = walk(&target, "v1", false);
    assert!(v1.len() < reference.len() && v1.len() > 100);
    let has = |o: &[u32]| reference.iter().any(|x| x == o);
    assert!(has(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 3, 1]), "ifType.1");
    assert!(
        has(&[1, 3, 6, 1, 6, 3, 15, 1, 1, 3, 0]),
        "usmStatsUnknownUserNames"
    );

    // Values: the product, a voice port, a registered line.
    let (_, oid, _) = get(&target, "sha256aes", "1.3.6.1.2.1.1.2.0");
    assert_eq!(oid.trim(), ".1.3.6.1.4.1.32473.1.1", "sysObjectID");
    let (_, t, _) = get(&target, "v2c", "1.3.6.1.2.1.2.2.1.3.1");
    assert_eq!(t.trim(), "102", "ifType.1 = voiceFXS");
    let (_, loc, _) = get(&target, "v2c", "1.3.6.1.2.1.1.6.0");
    assert!(loc.contains("Branch 7"), "sysLocation: {loc}");
    // The views are refreshed once a second from the gateway's status.
    let reg_state_1 = "1.3.6.1.4.1.32473.2.1.3.1.3.1";
    wait_value(
        &target,
        reg_state_1,
        "4",
        "tipringRegState.1 = registered(4)",
    );

    // snmptable renders the port table with TIPRING-MIB loaded.
    let mut c = tool("snmptable");
    creds(&mut c, "sha256aes");
    c.arg("-M")
        .arg(format!("{}:/usr/share/snmp/mibs", mibs_dir().display()))
        .args(["-m", "SNMPv2-MIB:IF-MIB:TIPRING-MIB", "-Cf", ",", "-Ci"])
        .args([&target, "TIPRING-MIB::tipringPortTable"]);
    let (ok, table, err) = run(c);
    assert!(ok, "snmptable: {err}");
    assert!(
        table.contains("101") && table.contains("102") && table.contains("inService"),
        "{table}"
    );
    // The fax table, its six columns in both rows (no fax was made: every counter 0;
    // snmptable shows tipringFaxPages with its UNITS).
    for port in [1, 2] {
        assert!(
            has(&[1, 3, 6, 1, 4, 1, 32473, 2, 1, 7, 1, 6, port]),
            "tipringFaxMalformed.{port}"
        );
    }
    let mut c = tool("snmptable");
    creds(&mut c, "v2c");
    c.arg("-M")
        .arg(format!("{}:/usr/share/snmp/mibs", mibs_dir().display()))
        .args(["-m", "SNMPv2-MIB:IF-MIB:TIPRING-MIB", "-Cf", ",", "-Ci"])
        .args([&target, "TIPRING-MIB::tipringFaxTable"]);
    let (ok, table, err) = run(c);
    assert!(ok, "snmptable: {err}");
    assert!(
        table.contains("tipringFaxPassThrough") && table.contains("tipringFaxMalformed"),
        "{table}"
    );
    for port in ["1", "2"] {
        assert!(
            table
                .lines()
                .any(|l| l == format!("{port},0,0,0,0 pages,0,0")),
            "{table}"
        );
    }

    // Wrong credentials fail as net-snmp expects, and are counted.
    let mut c = tool("snmpget");
    c.args([
        "-v2c",
        "-c",
        "wrong-community",
        "-t",
        "0.3",
        "-r",
        "0",
        &target,
        "1.3.6.1.2.1.1.3.0",
    ]);
    let (ok, out, err) = run(c);
    assert!(
        !ok && (out + &err).contains("Timeout"),
        "wrong community: {err}"
    );
    let mut c = tool("snmpget");
    c.args([
        "-v3",
        "-l",
        "authNoPriv",
        "-u",
        "stranger",
        "-a",
        "SHA-256",
        "-A",
        AUTH,
        "-t",
        "1",
        "-r",
        "0",
        &target,
        "1.3.6.1.2.1.1.3.0",
    ]);
    let (ok, _, err) = run(c);
    assert!(
        !ok && err.contains("Unknown user name"),
        "unknown user: {err}"
    );
    let mut c = tool("snmpget");
    c.args([
        "-v3",
        "-l",
        "authPriv",
        "-u",
        "nms",
        "-a",
        "SHA-256",
        "-A",
        "not-the-password",
        "-x",
        "AES",
        "-X",
        PRIV,
        "-t",
        "1",
        "-r",
        "0",
        &target,
        "1.3.6.1.2.1.1.3.0",
    ]);
    let (ok, _, err) = run(c);
    assert!(
        !ok && err.contains("Authentication failure"),
        "wrong password: {err}"
    );
    let count = |oid: &str| -> u64 {
        let (_, v, _) = get(&target, "sha256aes", oid);
        v.trim().parse().unwrap_or_else(|_| panic!("{oid}: {v}"))
    };
    assert!(count("1.3.6.1.2.1.11.4.0") >= 1, "snmpInBadCommunityNames");
    assert!(
        count("1.3.6.1.6.3.15.1.1.3.0") >= 1,
        "usmStatsUnknownUserNames"
    );
    assert!(count("1.3.6.1.6.3.15.1.1.5.0") >= 1, "usmStatsWrongDigests");

    // Set: sysContact, sysName and sysLocation are the configuration document's. A v3
    // user with `write` changes them: a new version is stored and applied, and
    // tipringConfigChanged goes out. Everything else, and everyone else, is refused the
    // way net-snmp's snmpset expects.
    let set = |how: &str, args: &[&str]| {
        let mut c = tool("snmpset");
        creds(&mut c, how);
        c.args(["-t", "3", "-r", "0", &target]).args(args);
        let (ok, out, err) = run(c);
        (ok, out + &err)
    };
    let contact = "1.3.6.1.2.1.1.4.0";
    let name = "1.3.6.1.2.1.1.5.0";
    let location = "1.3.6.1.2.1.1.6.0";
    let (ok, said) = set(
        "sha256aes",
        &[
            contact,
            "s",
            "ops@example.net",
            location,
            "s",
            "Branch 9, rack 1",
        ],
    );
    assert!(ok, "snmpset: {said}");
    agent.expect(
        &["SNMP: sysContact.0, sysLocation.0 set by a manager"],
        WAIT,
    );
    let (_, v, _) = get(&target, "v2c", contact);
    assert!(v.contains("ops@example.net"), "sysContact after Set: {v}");
    let stored = std::fs::read_to_string(state.join("config.json")).unwrap();
    assert!(stored.contains("Branch 9, rack 1"), "the Set is stored");
    let log = trapd.wait_for(&["TIPRING-MIB::tipringConfigChanged"], WAIT);
    assert!(log.contains("tipringConfigVersion"), "{log}");
    let long = "n".repeat(65);
    for (how, args, want) in [
        // A user without `write`, and every community, may only read.
        ("shaaes", [contact, "s", "x"], "noAccess"),
        ("v2c", [contact, "s", "x"], "noAccess"),
        ("sha256aes", ["1.3.6.1.2.1.1.1.0", "s", "x"], "notWritable"),
        ("sha256aes", [contact, "i", "5"], "wrongType"),
        ("sha256aes", [name, "s", long.as_str()], "wrongLength"),
        ("sha256aes", [location, "s", "a\tb"], "wrongValue"),
    ] {
        let (ok, said) = set(how, &args);
        assert!(
            !ok && said.contains(want),
            "{how} {args:?}: want {want}: {said}"
        );
    }
    // All or nothing: a good sysLocation beside a refused sysName changes neither.
    let (ok, said) = set(
        "sha256aes",
        &[location, "s", "Somewhere else", name, "s", ""],
    );
    assert!(!ok && said.contains("wrongLength"), "{said}");
    let (_, v, _) = get(&target, "v2c", location);
    assert!(
        v.contains("Branch 9"),
        "sysLocation after a refused Set: {v}"
    );

    // The registrar goes away: the port's registration fails, the table says so and
    // tipringRegistrationLost reaches snmptrapd, decoded with TIPRING-MIB.
    drop(k.take());
    wait_value(&target, reg_state_1, "5", "tipringRegState.1 = failed(5)");
    let log = trapd.wait_for(&["TIPRING-MIB::tipringRegistrationLost"], WAIT);
    assert!(log.contains("tipringRegAor.1"), "{log}");
}

#[test]
fn snmp_from_outside_the_access_list_is_dropped_unanswered() {
    // management.access.snmp: only 127.0.0.2 may ask. net-snmp from 127.0.0.1 gets no
    // answer at all (not even a report); from 127.0.0.2 (`--clientaddr`) it does; the
    // drop is counted in /status.
    let dir = scratch("snmp-access");
    let doc = json!({
        "schema_version": 1,
        "device": { "name": "snmp-acl", "country": "us" },
        "sip": { "listen": "127.0.0.1:0", "register": false },
        "ports": [{ "extension": "101" }],
        "management": {
            "http_listen": "127.0.0.1:0",
            "snmp": { "listen": "127.0.0.1:0", "communities": [COMMUNITY] },
            "access": { "snmp": ["127.0.0.2/32"] }
        }
    });
    let file = dir.join("gateway.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let mut agent = Agent::start_device(tipring_agent::device::DeviceArgs {
        config: Some(file),
        state_dir: Some(dir.join("state")),
        serial: Some("TR-SNMP-ACL".into()),
        ..Default::default()
    });
    let line = agent.expect(&["SNMP agent on udp "], WAIT);
    let target = format!("udp:{}", line.rsplit(' ').next().unwrap().trim());
    let get = |from: Option<&str>| {
        let mut c = tool("snmpget");
        creds(&mut c, "v2c");
        if let Some(f) = from {
            c.arg(format!("--clientaddr={f}"));
        }
        c.args(["-On", "-r", "0", "-t", "1", &target, "1.3.6.1.2.1.1.5.0"]);
        run(c)
    };
    let (ok, out, err) = get(None);
    assert!(!ok, "127.0.0.1 got an answer: {out}");
    assert!(err.contains("Timeout"), "{err}");
    let (ok, out, err) = get(Some("127.0.0.2"));
    assert!(ok, "{out}{err}");
    assert!(out.contains("snmp-acl"), "{out}");
    let deadline = Instant::now() + WAIT;
    loop {
        let status: serde_json::Value = serde_json::from_str(&agent.http_get("/status")).unwrap();
        let snmp = status["access"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["service"] == "snmp").cloned());
        // (The snapshot is a second old at most: wait for both to show.)
        if snmp.is_some_and(|s| {
            s["dropped"]["not_allowed"].as_u64() >= Some(1) && s["accepted"].as_u64() >= Some(1)
        }) {
            break;
        }
        assert!(Instant::now() < deadline, "no drop counted: {status}");
        std::thread::sleep(Duration::from_millis(200));
    }
    agent.send("quit");
    let _ = std::fs::remove_dir_all(&dir);
}

//! Run-time configuration through Kamailio: the gateway runs a configuration file kept in
//! a state directory; `reload` applies a changed file to the ports it touches while a call
//! on the others goes on, a refused file changes nothing, a change of the SIP section
//! restarts SIP once the calls are over, and `rollback` returns to the version before.
//! It also carries the no-answer forward scenario (set by the reload).

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use tipring_integration_tests::peers::{Kamailio, KamailioConfig};

use crate::services::{connect, hears, level, scratch, DOMAIN, WAIT};
use crate::Agent;

/// The gateway's document: three ports registering with `server`.
fn document(server: std::net::SocketAddr) -> Value {
    let port = |ext: &str| json!({ "extension": ext, "password": format!("pw-{ext}") });
    json!({
        "schema_version": 1,
        "device": { "name": "reconfig-test", "country": "us" },
        "sip": {
            "servers": [server.to_string()],
            "domain": DOMAIN,
            "listen": "127.0.0.1:0",
            "registration_expiry_s": 300
        },
        "ports": [port("101"), port("102"), port("103")],
        "management": { "http_listen": "127.0.0.1:0" }
    })
}

fn write(path: &Path, doc: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
}

/// The version the state directory's current file holds.
fn stored_version(state: &Path) -> u64 {
    let text = std::fs::read_to_string(state.join("config.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["version"].as_u64().unwrap()
}

fn registrations(agent: &mut Agent, ext: &str) -> usize {
    let tag = format!("ext {ext}]");
    agent
        .transcript()
        .lines()
        .filter(|l| l.contains(&tag) && l.contains("SIP: registered"))
        .count()
}

#[test]
fn reload_changes_only_the_ports_it_touches_and_a_bad_file_changes_nothing() {
    // Accounts 101..=103, and 150 for port 3's new extension.
    let cfg = ["101", "102", "103", "150"]
        .iter()
        .fold(KamailioConfig::new(DOMAIN), |c, u| {
            c.account(*u, format!("pw-{u}"))
        });
    let k = Kamailio::start(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let dir = scratch("reconfig");
    let state = dir.join("state");
    let file = dir.join("gateway.json");
    let mut doc = document(k.addr());
    // Port 1 sends 6 dB quieter than it hears (per-port gain).
    doc["ports"][0]["gain_tx_db"] = json!(-6);
    write(&file, &doc);

    let mut agent = Agent::start_config(&file, &state);
    agent.expect(&["configuration version 1"], WAIT);
    for ext in 101..=103 {
        agent.expect(&[&format!("ext {ext}]"), "SIP: registered"], WAIT);
    }
    connect(&mut agent, 1, 2);

    // Port 3 becomes extension 150; port 2 forwards unanswered calls to it after 5 s.
    doc["ports"][2] = json!({ "extension": "150", "password": "pw-150" });
    doc["ports"][1]["features"] =
        json!({ "forward": { "no_answer": "150", "no_answer_timeout_s": 5 } });
    write(&file, &doc);
    agent.send("reload");
    agent.expect(&["configuration version 2 applied"], WAIT);
    agent.expect(&["[port 3 ext 150] configuration applied"], WAIT);
    agent.expect(&["ext 102]", "wait for the call to end"], WAIT);
    agent.expect(&["ext 150]", "SIP: registered"], WAIT);
    assert_eq!(stored_version(&state), 2);
    // The call between ports 1 and 2 went on through it.
    let heard = hears(&mut agent, &dir, 2, 1, 1004, 1500);
    let l = level(&heard, 1004.0);
    assert!(
        (l + 16.0).abs() < 2.0,
        "port 2 hears port 1's -10 dBm0 with its -6 dB gain at {l:.1} dBm0"
    );
    assert_eq!(
        registrations(&mut agent, "101"),
        1,
        "port 1 did not re-register"
    );
    assert_eq!(
        registrations(&mut agent, "102"),
        1,
        "port 2 did not re-register"
    );

    // A bad file is refused with the field named; version 2 runs on, on disk too.
    let mut bad = doc.clone();
    bad["ports"][0]["dial_plan"] = json!("{ 1xx | [");
    write(&file, &bad);
    agent.mark();
    agent.send("reload");
    agent.expect(&["ports[0].dial_plan"], WAIT);
    agent.expect(&["running configuration (version 2) stays"], WAIT);
    assert_eq!(stored_version(&state), 2);

    // Port 2's new settings apply once its call is over; then a call it leaves
    // unanswered is forwarded to 150 (port 3).
    agent.mark();
    agent.send("hang 1");
    agent.send("hang 2");
    agent.expect(&["ext 102]", "the line's new settings apply now"], WAIT);
    std::thread::sleep(Duration::from_millis(1000));
    agent.mark();
    agent.send("lift 1");
    agent.expect(&["ext 101]", "phone hears 350+440 Hz"], WAIT);
    agent.send("press 1 102");
    agent.expect(&["ext 102]", "phone RINGS"], WAIT);
    agent.expect(
        &["ext 102]", "no answer, forwarding the call to 150 (302)"],
        Duration::from_secs(10),
    );
    agent.expect(&["ext 150]", "phone RINGS"], WAIT);
    agent.send("lift 3");
    agent.expect(&["ext 101]", "line: connected"], WAIT);
    agent.send("hang 1");
    agent.send("hang 3");
    std::thread::sleep(Duration::from_millis(1000));

    // A change to the SIP section restarts SIP (no call is up): every port registers again.
    doc["sip"]["registration_expiry_s"] = json!(600);
    write(&file, &doc);
    agent.mark();
    agent.send("reload");
    agent.expect(&["configuration version 3 applied"], WAIT);
    agent.expect(&["restarting SIP with the new settings"], WAIT);
    let restarted = agent.expect(&["registering 3 ports"], WAIT);
    assert!(restarted.contains("SIP on udp:"), "{restarted}");
    for _ in 0..50 {
        if registrations(&mut agent, "101") >= 2 && registrations(&mut agent, "150") >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        registrations(&mut agent, "101") >= 2,
        "{}",
        agent.transcript()
    );
    assert!(
        registrations(&mut agent, "150") >= 2,
        "{}",
        agent.transcript()
    );

    // Rollback: the version before (expiry 300) comes back as version 4.
    agent.mark();
    agent.send("rollback");
    agent.expect(&["configuration version 4 (rollback) applied"], WAIT);
    assert_eq!(stored_version(&state), 4);
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(state.join("config.json")).unwrap()).unwrap();
    assert_eq!(stored["config"]["sip"]["registration_expiry_s"], json!(300));
    agent.mark();
    agent.send("version");
    agent.expect(&["configuration version 4"], WAIT);
}

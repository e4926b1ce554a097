//! Registration and calls through Kamailio, and a call from SIPp.

use std::time::Duration;

use tipring_integration_tests::peers::{Kamailio, KamailioConfig, Sipp};

use crate::Agent;

const DOMAIN: &str = "tipring.test";
const WAIT: Duration = Duration::from_secs(15);

fn kamailio() -> Kamailio {
    let cfg = (101..=104).fold(KamailioConfig::new(DOMAIN), |c, u| {
        c.account(u.to_string(), format!("pw-{u}"))
    });
    Kamailio::start(&cfg).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_port_registers_and_kamailio_has_the_bindings() {
    let k = kamailio();
    let mut agent = Agent::start(4, vec![k.addr()], DOMAIN, None);
    for ext in 101..=104 {
        agent.expect(&[&format!("ext {ext}]"), "SIP: registered with"], WAIT);
        let regs = k.wait_for_registration(&ext.to_string(), WAIT).unwrap();
        assert!(
            regs[0].contact.contains(&format!("sip:{ext}@127.0.0.1:")),
            "{regs:?}"
        );
    }
}

#[test]
fn a_wrong_password_fails_cleanly_and_is_reported() {
    let k = kamailio();
    let mut agent = Agent::start(1, vec![k.addr()], DOMAIN, Some("not-the-password"));
    let line = agent.expect(&["ext 101]", "registration failed"], WAIT);
    assert!(line.contains("AuthenticationFailed"), "{line}");
    // The gateway is still alive and answers commands.
    agent.send("status");
    agent.expect(&["ext 101]", "on hook"], WAIT);
}

#[test]
fn two_ports_call_each_other_through_kamailio() {
    let k = kamailio();
    let mut agent = Agent::start(2, vec![k.addr()], DOMAIN, None);
    agent.expect(&["ext 101]", "SIP: registered"], WAIT);
    agent.expect(&["ext 102]", "SIP: registered"], WAIT);
    agent.send("lift 1");
    agent.expect(&["ext 101]", "phone hears 350+440 Hz"], WAIT);
    agent.send("press 1 102");
    agent.expect(&["ext 101]", "SIP: calling 102"], WAIT);
    agent.expect(&["ext 102]", "phone RINGS"], WAIT);
    // Caller ID from the INVITE's From, sent as Bell 202 FSK and decoded by the phone.
    agent.expect(&["ext 102]", "caller ID display", "101", "Port 1"], WAIT);
    agent.expect(&["ext 101]", "phone hears 440+480 Hz"], WAIT); // ringback
    agent.send("lift 2");
    agent.expect(&["ext 101]", "line: connected"], WAIT);
    agent.expect(&["ext 102]", "line: connected"], WAIT);
    agent.send("hang 1");
    agent.expect(&["ext 102]", "line: congestion tone"], WAIT);
    let t = agent.transcript();
    assert!(!t.contains("SIP: call failed"), "{t}");
}

#[test]
fn a_sipp_caller_rings_a_port_which_answers() {
    let k = kamailio();
    let mut agent = Agent::start(1, vec![k.addr()], DOMAIN, None);
    agent.expect(&["ext 101]", "SIP: registered"], WAIT);
    let caller = std::thread::spawn({
        let addr = k.addr();
        move || {
            Sipp::scenario("uac_call.xml")
                .remote(addr)
                .service("101")
                .key("pause_ms", "1000")
                .timeout(WAIT)
                .run()
                .unwrap()
        }
    });
    agent.expect(&["ext 101]", "phone RINGS"], WAIT);
    agent.send("lift 1");
    agent.expect(&["ext 101]", "line: connected"], WAIT);
    let outcome = caller.join().unwrap();
    assert!(outcome.all_succeeded(), "{outcome}\n{}", agent.transcript());
    // SIPp hung up after the pause: the port hears the disconnect treatment.
    agent.expect(&["ext 101]", "line: congestion tone"], WAIT);
}

#[test]
fn a_faulted_port_refuses_calls_until_the_fault_clears() {
    // A line fault (the SLIC reports one; `fault` in the simulator) takes the port out of
    // service: a call for it gets 480 Temporarily Unavailable, through Kamailio, and the
    // phone never rings. Once the fault clears, calls ring again.
    let k = kamailio();
    let mut agent = Agent::start(1, vec![k.addr()], DOMAIN, None);
    agent.expect(&["ext 101]", "SIP: registered"], WAIT);
    agent.send("fault 1 tip-ring short");
    agent.expect(&["ext 101]", "line fault: tip-ring short"], WAIT);
    let refused = Sipp::scenario("uac_unavailable.xml")
        .remote(k.addr())
        .service("101")
        .timeout(WAIT)
        .run()
        .unwrap();
    assert!(refused.all_succeeded(), "{refused}\n{}", agent.transcript());
    agent.expect(&["ext 101]", "refusing the call (480)"], WAIT);
    assert!(!agent.transcript().contains("phone RINGS"));

    agent.send("fault 1 clear");
    agent.expect(&["ext 101]", "line fault cleared"], WAIT);
    let caller = std::thread::spawn({
        let addr = k.addr();
        move || {
            Sipp::scenario("uac_call.xml")
                .remote(addr)
                .service("101")
                .key("pause_ms", "200")
                .timeout(WAIT)
                .run()
                .unwrap()
        }
    });
    agent.expect(&["ext 101]", "phone RINGS"], WAIT);
    agent.send("lift 1");
    let outcome = caller.join().unwrap();
    assert!(outcome.all_succeeded(), "{outcome}\n{}", agent.transcript());
}

#[test]
fn alert_info_gives_a_distinctive_ring() {
    // SIPp calls with `Alert-Info: <http://127.0.0.1/Bellcore-dr3>`: the phone rings
    // short-short-long (400/200, 400/200, 800 ms on), not the US 2 s / 4 s.
    let k = kamailio();
    let mut agent = Agent::start(1, vec![k.addr()], DOMAIN, None);
    agent.expect(&["ext 101]", "SIP: registered"], WAIT);
    let caller = std::thread::spawn({
        let addr = k.addr();
        move || {
            Sipp::scenario("uac_call.xml")
                .remote(addr)
                .service("101")
                .key("alert_info", "<http://127.0.0.1/Bellcore-dr3>")
                .timeout(WAIT)
                .run()
                .unwrap()
        }
    });
    agent.expect(&["ext 101]", "phone RINGS"], WAIT);
    std::thread::sleep(Duration::from_millis(2500));
    agent.send("status");
    let line = agent.expect(&["ext 101]", "RINGING (rings so far"], WAIT);
    let steps: Vec<(u32, u32)> = line
        .split("on/off: ")
        .nth(1)
        .unwrap()
        .trim_end_matches(')')
        .split_whitespace()
        .map(|s| {
            let (on, off) = s.split_once('/').unwrap();
            (on.parse().unwrap(), off.parse().unwrap())
        })
        .collect();
    let want = [(400, 200), (400, 200), (800, 0)];
    assert!(steps.len() >= 3, "{line}");
    for (got, want) in steps.iter().zip(want) {
        assert!(
            got.0.abs_diff(want.0) <= 30 && (want.1 == 0 || got.1.abs_diff(want.1) <= 30),
            "{line}"
        );
    }
    agent.send("lift 1");
    agent.expect(&["ext 101]", "line: connected"], WAIT);
    let outcome = caller.join().unwrap();
    assert!(outcome.all_succeeded(), "{outcome}\n{}", agent.transcript());
}

#[test]
fn ports_register_and_call_over_tcp() {
    let k = kamailio();
    let mut agent = Agent::start_on(
        tipring_sip::TransportKind::Tcp,
        2,
        vec![k.addr()],
        DOMAIN,
        None,
    );
    agent.expect(&["SIP on tcp:"], WAIT);
    agent.expect(&["ext 101]", "SIP: registered with tcp:"], WAIT);
    agent.expect(&["ext 102]", "SIP: registered with tcp:"], WAIT);
    let regs = k.wait_for_registration("101", WAIT).unwrap();
    assert!(regs[0].contact.contains("transport=tcp"), "{regs:?}");
    agent.send("lift 1");
    agent.expect(&["ext 101]", "line: dial tone"], WAIT);
    agent.send("press 1 102");
    agent.expect(&["ext 102]", "phone RINGS"], WAIT);
    agent.send("lift 2");
    agent.expect(&["ext 101]", "line: connected"], WAIT);
}

#[test]
fn a_dead_primary_over_tcp_fails_over_to_kamailio_at_once() {
    let k = kamailio();
    // Nothing listens on the primary: the TCP connect is refused.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_addr = dead.local_addr().unwrap();
    drop(dead);
    let tcp = tipring_sip::TransportKind::Tcp;
    let mut agent = Agent::start_on(tcp, 1, vec![dead_addr, k.addr()], DOMAIN, None);
    // Well before timer F (32 s): the refused connection fails the REGISTER at once.
    let line = agent.expect(
        &["ext 101]", "SIP: registered with"],
        Duration::from_secs(5),
    );
    assert!(line.contains(&k.addr().to_string()), "{line}");
}

#[test]
fn quitting_removes_the_bindings() {
    let k = kamailio();
    let mut agent = Agent::start(2, vec![k.addr()], DOMAIN, None);
    agent.expect(&["ext 101]", "SIP: registered"], WAIT);
    agent.expect(&["ext 102]", "SIP: registered"], WAIT);
    assert_eq!(k.registrations().unwrap().len(), 2);
    drop(agent); // types `quit`: the gateway unregisters (expires=0) before leaving
    let regs = k.registrations().unwrap();
    assert!(regs.is_empty(), "bindings left after quit: {regs:?}");
}

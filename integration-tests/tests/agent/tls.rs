//! SIP over TLS (RFC 3261 26.2.1, RFC 5922): the gateway verifies Kamailio's certificate
//! against the CA it is given and the name it expects, registers its ports over TLS and
//! calls between them through Kamailio; with the wrong name or the wrong CA it refuses
//! the handshake, reports the failure, and nothing reaches Kamailio's location table.

use std::path::Path;
use std::time::Duration;

use tipring_integration_tests::peers::{Kamailio, KamailioConfig, TestCa, KAMAILIO_TLS_NAME};

use crate::Agent;

const DOMAIN: &str = "tipring.test";
const WAIT: Duration = Duration::from_secs(15);
/// Well below timer F (32 s): a refused handshake fails the REGISTER at once.
const FAST: Duration = Duration::from_secs(5);

fn kamailio() -> Kamailio {
    let cfg = (101..=102).fold(KamailioConfig::new(DOMAIN).tls(true), |c, u| {
        c.account(u.to_string(), format!("pw-{u}"))
    });
    Kamailio::start(&cfg).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn ports_register_and_call_over_tls() {
    let k = kamailio();
    let tls = k.tls_addr().unwrap();
    let ca = k.ca_pem_path().unwrap();
    let mut agent = Agent::start_tls(2, vec![tls], DOMAIN, ca, KAMAILIO_TLS_NAME);
    agent.expect(&["SIP on tls:"], WAIT);
    for ext in ["101", "102"] {
        let line = agent.expect(&[&format!("ext {ext}]"), "SIP: registered with tls:"], WAIT);
        assert!(line.contains(&tls.to_string()), "{line}");
        // Kamailio received the REGISTER on its TLS socket, and the Contact says tls
        let regs = k.wait_for_registration(ext, WAIT).unwrap();
        assert_eq!(regs.len(), 1, "{regs:?}");
        let contact = regs[0].contact.to_ascii_lowercase();
        assert!(contact.contains("transport=tls"), "{regs:?}");
        assert_eq!(regs[0].socket, Some(format!("tls:{tls}")), "{regs:?}");
    }
    agent.send("lift 1");
    agent.expect(&["ext 101]", "line: dial tone"], WAIT);
    agent.send("press 1 102");
    agent.expect(&["ext 101]", "SIP: calling 102"], WAIT);
    agent.expect(&["ext 102]", "phone RINGS"], WAIT);
    agent.send("lift 2");
    agent.expect(&["ext 101]", "line: connected"], WAIT);
    agent.expect(&["ext 102]", "line: connected"], WAIT);
    agent.send("hang 1");
    agent.expect(&["ext 102]", "line: congestion tone"], WAIT);
    let t = agent.transcript();
    assert!(!t.contains("SIP: call failed"), "{t}");
    // the INVITE went through Kamailio over TLS, both ways
    let log = std::fs::read_to_string(k.log_path()).unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains("tipring: INVITE sip:102@") && l.contains("over tls")),
        "{log}"
    );
}

/// Starts a gateway whose TLS client trusts `ca` and expects `name`, and checks that its
/// port reports a failed registration at once (no waiting for timer F), that Kamailio
/// logged the TLS alert the gateway sent (`alert`: RFC 8446 6.2) in the handshake, and
/// that no REGISTER reached Kamailio's script or location table.
fn registration_is_refused(k: &Kamailio, ca: &Path, name: &str, alert: &str) {
    let tls = k.tls_addr().unwrap();
    let mut agent = Agent::start_tls(1, vec![tls], DOMAIN, ca, name);
    agent.expect(&["SIP on tls:"], WAIT);
    agent.expect(&["ext 101]", "SIP: registration failed"], FAST);
    let t = agent.transcript();
    assert!(!t.contains("SIP: registered with"), "{t}");
    // Kamailio saw the handshake end with our alert, for the name we sent (SNI)
    let sni = format!("(sni: {name})");
    let log = wait_for_log(k, |l| l.contains(alert) && l.contains(&sni));
    // the handshake failed before any SIP: the script never saw a REGISTER
    assert!(!log.contains("tipring: REGISTER"), "{log}");
    assert!(k.registrations().unwrap().is_empty(), "{t}");
    // The gateway is still alive and answers commands.
    agent.send("status");
    agent.expect(&["ext 101]", "on hook"], WAIT);
}

/// Waits until a line of Kamailio's log satisfies `found`; returns the whole log.
fn wait_for_log(k: &Kamailio, found: impl Fn(&str) -> bool) -> String {
    for _ in 0..100 {
        let log = std::fs::read_to_string(k.log_path()).unwrap();
        if log.lines().any(&found) {
            return log;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("not in Kamailio's log:\n{}", k.log_tail(40));
}

#[test]
fn a_wrong_server_name_refuses_the_handshake_and_registers_nothing() {
    let k = kamailio();
    let ca = k.ca_pem_path().unwrap();
    // rustls answers a name mismatch with bad_certificate, OpenSSL prints it as sslv3's
    registration_is_refused(&k, ca, "other.test", "alert bad certificate");
}

#[test]
fn a_ca_that_did_not_sign_kamailio_refuses_the_handshake_and_registers_nothing() {
    let k = kamailio();
    let stranger = k.dir().join("stranger-ca.pem");
    std::fs::write(&stranger, TestCa::new("Stranger CA").unwrap().pem()).unwrap();
    registration_is_refused(&k, &stranger, KAMAILIO_TLS_NAME, "alert unknown ca");
}

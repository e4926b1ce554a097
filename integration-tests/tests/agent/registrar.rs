//! Our REGISTER against SIPp playing registrars that challenge, refuse a short interval,
//! or drop the first request (so our UDP retransmission must carry it).

use std::time::Duration;

use tipring_integration_tests::peers::Sipp;

use crate::Agent;

const WAIT: Duration = Duration::from_secs(15);

fn register_against(scenario: &str, expect: &[&str]) {
    let registrar = Sipp::scenario(scenario)
        .credentials("101", "pw-101")
        .key("expires", "600")
        .timeout(WAIT)
        .spawn()
        .unwrap();
    let mut agent = Agent::start(1, vec![registrar.local_addr()], "tipring.test", None);
    agent.expect(expect, WAIT);
    let outcome = registrar.wait(WAIT).unwrap();
    assert!(
        outcome.all_succeeded(),
        "{scenario}: {outcome}\n{}",
        agent.transcript()
    );
}

#[test]
fn md5_challenge_is_answered_and_verified_by_sipp() {
    register_against(
        "registrar_challenge.xml",
        &["ext 101]", "SIP: registered", "for 600 s"],
    );
}

#[test]
fn sha256_challenge_is_answered() {
    // SIPp 3.6 cannot compute SHA-256 itself: it checks the answer's shape; Kamailio's
    // SHA-256 mode verifies the digest value (see the peers suite).
    register_against(
        "registrar_challenge_sha256.xml",
        &["ext 101]", "SIP: registered"],
    );
}

#[test]
fn interval_too_brief_is_retried_with_min_expires() {
    register_against(
        "registrar_423.xml",
        &["ext 101]", "SIP: registered", "for 3600 s"],
    );
}

#[test]
fn a_dropped_register_is_retransmitted() {
    register_against("registrar_drop.xml", &["ext 101]", "SIP: registered"]);
}

//! Our calls (UAC) against SIPp playing the called side: answered, busy, and an INVITE
//! whose first copy is dropped (so our retransmission carries the call).

use std::time::Duration;

use tipring_integration_tests::peers::{Sipp, SippProcess};

use crate::Agent;

const WAIT: Duration = Duration::from_secs(15);

/// A SIPp callee running `scenario`, and a one-port gateway (no registration) whose
/// phone has lifted and dialled 5551234 toward it.
fn port_dials(scenario: &str) -> (SippProcess, Agent) {
    let callee = Sipp::scenario(scenario).timeout(WAIT).spawn().unwrap();
    let mut agent = Agent::start_peer_to_peer(1, callee.local_addr());
    agent.send("lift 1");
    agent.expect(&["ext 101]", "line: dial tone"], WAIT);
    agent.send("press 1 5551234");
    (callee, agent)
}

/// SIPp must have played its scenario to the end.
fn callee_succeeded(callee: SippProcess, agent: &mut Agent) {
    let outcome = callee.wait(WAIT).unwrap();
    assert!(outcome.all_succeeded(), "{outcome}\n{}", agent.transcript());
}

#[test]
fn a_port_calls_sipp_which_answers_then_hangs_up_from_the_port() {
    let (callee, mut agent) = port_dials("uas_answer.xml");
    agent.expect(&["ext 101]", "SIP: calling 5551234"], WAIT);
    agent.expect(&["ext 101]", "line: connected"], WAIT);
    agent.expect(&["ext 101]", "SIP: media PCMU"], WAIT);
    agent.send("hang 1");
    callee_succeeded(callee, &mut agent);
}

#[test]
fn a_busy_callee_gives_busy_tone() {
    let (callee, mut agent) = port_dials("uas_busy.xml");
    agent.expect(&["ext 101]", "line: busy tone"], WAIT);
    agent.expect(&["ext 101]", "phone hears 480+620 Hz"], WAIT);
    callee_succeeded(callee, &mut agent);
}

#[test]
fn a_dropped_invite_is_retransmitted() {
    let (callee, mut agent) = port_dials("uas_drop_invite.xml");
    agent.expect(&["ext 101]", "line: connected"], WAIT);
    agent.send("hang 1");
    callee_succeeded(callee, &mut agent);
}

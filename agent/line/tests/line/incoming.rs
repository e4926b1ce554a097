//! Incoming calls: ringing with the cadence, ring trip on answer, far-end cancel, busy.

use std::time::Duration;

use tipring_dsp::callerid::{CallerId, Signalling};
use tipring_line::{CallCommand, LineConfig, LineState, NetworkEvent};

use crate::Rig;

fn caller() -> CallerId {
    CallerId {
        number: Some("5551000".into()),
        name: Some("Alice".into()),
        ..CallerId::default()
    }
}

fn no_cid(country: &str) -> Rig {
    let mut cfg = LineConfig::for_country(country).unwrap();
    cfg.caller_id.signalling = Signalling::Off;
    Rig::new(cfg)
}

/// (on, off) durations in ms of the bursts the phone's ringer saw, rounded to 10 ms.
fn bursts(rig: &Rig) -> Vec<(u64, u64)> {
    rig.d
        .port()
        .ring_cadence()
        .iter()
        .map(|s| (u64::from(s.on_ms) / 10 * 10, u64::from(s.off_ms) / 10 * 10))
        .collect()
}

#[test]
fn rings_with_the_plan_cadence() {
    for (country, expect) in [
        ("us", (2000, 4000)),
        ("de", (1000, 4000)),
        ("fr", (1500, 3500)),
    ] {
        let mut rig = no_cid(country);
        rig.network(NetworkEvent::IncomingCall {
            caller: caller(),
            ring: None,
        });
        assert_eq!(rig.d.line().state(), LineState::Ringing);
        rig.run(Duration::from_secs(13));
        let b = bursts(&rig);
        assert!(b.len() >= 2, "{country}: {b:?}");
        for (on, off) in &b[..2] {
            assert!(
                on.abs_diff(expect.0) <= 20,
                "{country}: on {on} ms, want {}",
                expect.0
            );
            assert!(
                off.abs_diff(expect.1) <= 20,
                "{country}: off {off} ms, want {}",
                expect.1
            );
        }
    }
}

#[test]
fn uk_double_ring() {
    let mut rig = no_cid("uk");
    rig.network(NetworkEvent::IncomingCall {
        caller: caller(),
        ring: None,
    });
    rig.run(Duration::from_secs(4));
    let b = bursts(&rig);
    assert!(b.len() >= 2, "{b:?}");
    assert!(
        b[0].0.abs_diff(400) <= 20 && b[0].1.abs_diff(200) <= 20,
        "{b:?}"
    );
    assert!(
        b[1].0.abs_diff(400) <= 20 && b[1].1.abs_diff(2000) <= 20,
        "{b:?}"
    );
}

#[test]
fn answer_trips_the_ring_and_connects() {
    let mut rig = no_cid("us");
    rig.network(NetworkEvent::IncomingCall {
        caller: caller(),
        ring: None,
    });
    rig.run(Duration::from_millis(700));
    assert!(rig.d.port().is_ringing());
    rig.lift();
    assert!(!rig.d.port().is_ringing(), "ring trip");
    assert_eq!(rig.d.line().state(), LineState::Connected);
    assert_eq!(rig.calls(), vec![CallCommand::Answer]);
    rig.run(Duration::from_secs(7));
    assert!(!rig.d.port().is_ringing(), "no ringing after answer");
    // Hanging up ends the call.
    let now = rig.now;
    rig.phone().hang_up(now);
    rig.run(Duration::from_secs(2));
    assert_eq!(rig.calls(), vec![CallCommand::Answer, CallCommand::Hangup]);
    assert_eq!(rig.d.line().state(), LineState::Idle);
}

#[test]
fn answer_in_the_silent_part_of_the_cadence() {
    let mut rig = no_cid("us");
    rig.network(NetworkEvent::IncomingCall {
        caller: caller(),
        ring: None,
    });
    rig.run(Duration::from_secs(3));
    assert!(!rig.d.port().is_ringing());
    rig.lift();
    assert_eq!(rig.d.line().state(), LineState::Connected);
    rig.run(Duration::from_secs(6));
    assert!(!rig.d.port().is_ringing());
}

#[test]
fn far_end_cancel_stops_ringing() {
    let mut rig = no_cid("us");
    rig.network(NetworkEvent::IncomingCall {
        caller: caller(),
        ring: None,
    });
    rig.run(Duration::from_millis(1000));
    assert!(rig.d.port().is_ringing());
    rig.network(NetworkEvent::CallCancelled);
    rig.run(Duration::from_millis(50));
    assert!(!rig.d.port().is_ringing());
    assert_eq!(rig.d.line().state(), LineState::Idle);
    rig.run(Duration::from_secs(10));
    assert!(!rig.d.port().is_ringing(), "stays quiet");
}

#[test]
fn a_second_call_to_a_busy_line_is_refused() {
    let mut rig = no_cid("us");
    rig.lift();
    rig.network(NetworkEvent::IncomingCall {
        caller: caller(),
        ring: None,
    });
    assert_eq!(rig.calls(), vec![CallCommand::RejectBusy]);
    assert!(!rig.d.port().is_ringing());
}

#[test]
fn distinctive_ring_overrides_the_cadence() {
    use tipring_dsp::cadence::{After, Cadence, CadenceStep};
    static STEPS: [CadenceStep; 2] = [CadenceStep::new(800, 400), CadenceStep::new(800, 4000)];
    let mut rig = no_cid("us");
    let ring = Cadence {
        steps: &STEPS,
        after: After::Repeat,
    };
    rig.network(NetworkEvent::IncomingCall {
        caller: caller(),
        ring: Some(ring),
    });
    rig.run(Duration::from_secs(3));
    let b = bursts(&rig);
    assert!(
        b[0].0.abs_diff(800) <= 20 && b[0].1.abs_diff(400) <= 20,
        "{b:?}"
    );
}

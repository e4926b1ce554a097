//! Supplementary services driven by hook flash: hold and consultation, three-way
//! conference, transfer on hang-up, call waiting (answer and swap), reminder ring, and
//! emergency calls that ignore them. The "network" is scripted: the tests feed
//! `NetworkEvent`s and assert the exact `CallCommand`s and what the phone hears.

use std::time::Duration;

use tipring_dsp::callerid::{CallerId, Message};
use tipring_hal::sim::SimConfig;
use tipring_line::{
    CallCommand, Leg, LineConfig, LineEvent, LineState, NetworkEvent, SecondEvent, ServiceEvent,
};

use crate::{heard, next_tone, Rig};

fn alice() -> CallerId {
    CallerId {
        number: Some("5551000".into()),
        name: Some("Alice Smith".into()),
        ..CallerId::default()
    }
}

fn dial_second(number: &str) -> CallCommand {
    CallCommand::DialSecond {
        number: number.into(),
        private: false,
    }
}

/// The first leg (5551234) is connected; flash, dial 5550002: consulting.
fn consulting() -> (Rig, usize) {
    let mut rig = Rig::connected(SimConfig::default());
    let m = rig.mark();
    rig.flash();
    assert_eq!(rig.d.line().state(), LineState::Held);
    rig.press("5550002");
    assert!(rig.run_until_call(Duration::from_secs(3), m, |c| matches!(
        c,
        CallCommand::DialSecond { .. }
    )));
    assert_eq!(
        rig.calls_since(m),
        vec![CallCommand::Hold, dial_second("5550002")]
    );
    assert_eq!(rig.d.line().state(), LineState::Consulting);
    (rig, m)
}

/// Consulting, and the consulted party answered.
fn consult_answered() -> (Rig, usize) {
    let (mut rig, m) = consulting();
    rig.network(NetworkEvent::Second(SecondEvent::Ringing));
    rig.run(Duration::from_millis(300));
    assert_eq!(
        heard(&rig),
        vec![440, 480],
        "ringback of the consultation call"
    );
    rig.network(NetworkEvent::Second(SecondEvent::Answered));
    rig.run(Duration::from_millis(300));
    assert!(heard(&rig).is_empty(), "ringback stops on answer");
    assert!(rig.d.line().voice_connected());
    (rig, m)
}

/// A connected call (type 2 capable phone) with Alice waiting; `m` marks before the alert.
fn waiting() -> (Rig, usize) {
    let mut rig = Rig::connected(SimConfig {
        type2_ack: Some('D'),
        ..SimConfig::default()
    });
    let m = rig.mark();
    let t = rig.now;
    rig.network(NetworkEvent::CallWaiting { caller: alice() });
    assert_eq!(rig.d.line().state(), LineState::CallWaiting);
    rig.run(Duration::from_secs(2));
    // SAS (440 Hz) first, then type 2 caller ID on the off-hook phone.
    let tones = rig.tones_since(t);
    assert_eq!(
        tones.first().map(|s| s.2.clone()),
        Some(vec![440]),
        "{tones:?}"
    );
    assert_eq!(rig.displayed_since(t), vec![Message::Call(alice())]);
    (rig, m)
}

fn service_events(rig: &Rig, m: usize) -> Vec<ServiceEvent> {
    rig.events_since(m)
        .into_iter()
        .filter_map(|e| match e {
            LineEvent::Service(s) => Some(s),
            _ => None,
        })
        .collect()
}

#[test]
fn flash_holds_with_dial_tone_and_flash_again_resumes() {
    let mut rig = Rig::connected(SimConfig::default());
    let m = rig.mark();
    rig.flash();
    assert_eq!(rig.calls_since(m), vec![CallCommand::Hold]);
    assert_eq!(rig.d.line().state(), LineState::Held);
    assert!(
        !rig.d.line().voice_connected(),
        "the held call is not heard"
    );
    assert_eq!(heard(&rig), vec![350, 440], "consultation dial tone");
    rig.flash();
    assert_eq!(
        rig.calls_since(m),
        vec![CallCommand::Hold, CallCommand::Resume]
    );
    assert_eq!(rig.d.line().state(), LineState::Connected);
    rig.run(Duration::from_millis(200));
    assert!(heard(&rig).is_empty(), "dial tone stops: talking again");
    assert_eq!(
        service_events(&rig, m),
        vec![ServiceEvent::Held, ServiceEvent::Resumed]
    );
}

#[test]
fn hold_gives_stutter_dial_tone_when_voicemail_waits() {
    let mut rig = Rig::connected(SimConfig::default());
    rig.network(NetworkEvent::MessageWaiting(true));
    let m = rig.mark();
    let t = rig.now;
    rig.flash();
    rig.run(Duration::from_millis(1500));
    assert!(rig
        .events_since(m)
        .contains(&LineEvent::Tone(tipring_dsp::tone::ToneKind::StutterDial)));
    let bursts = rig
        .tones_since(t)
        .iter()
        .filter(|s| s.2 == vec![350, 440] && s.1.is_some_and(|d| d < Duration::from_millis(150)))
        .count();
    assert!(bursts >= 5, "stutter bursts: {:?}", rig.tones_since(t));
}

#[test]
fn consultation_conference_and_dropping_the_third_party() {
    let (mut rig, m) = consult_answered();
    rig.flash();
    assert_eq!(rig.d.line().state(), LineState::Conference);
    assert!(rig.d.line().voice_connected());
    rig.flash();
    assert_eq!(rig.d.line().state(), LineState::Connected);
    assert_eq!(
        rig.calls_since(m),
        vec![
            CallCommand::Hold,
            dial_second("5550002"),
            CallCommand::Conference,
            CallCommand::HangupLeg(Leg::Second),
        ]
    );
    assert_eq!(
        service_events(&rig, m),
        vec![
            ServiceEvent::Held,
            ServiceEvent::Consulting {
                number: "5550002".into()
            },
            ServiceEvent::Conference,
            ServiceEvent::PartyDropped,
        ]
    );
}

#[test]
fn flash_while_the_consultation_rings_abandons_it_and_resumes() {
    let (mut rig, m) = consulting();
    rig.network(NetworkEvent::Second(SecondEvent::Ringing));
    rig.run(Duration::from_millis(300));
    assert_eq!(heard(&rig), vec![440, 480]);
    rig.flash();
    assert_eq!(
        rig.calls_since(m),
        vec![
            CallCommand::Hold,
            dial_second("5550002"),
            CallCommand::HangupLeg(Leg::Second),
            CallCommand::Resume,
        ]
    );
    assert_eq!(rig.d.line().state(), LineState::Connected);
    rig.run(Duration::from_millis(200));
    assert!(heard(&rig).is_empty(), "ringback stopped");
}

#[test]
fn hanging_up_in_conference_ends_every_call() {
    let (mut rig, m) = consult_answered();
    rig.flash();
    rig.hang_up();
    assert_eq!(
        rig.calls_since(m),
        vec![
            CallCommand::Hold,
            dial_second("5550002"),
            CallCommand::Conference,
            CallCommand::Hangup,
        ]
    );
    assert_eq!(rig.d.line().state(), LineState::Idle);
    rig.run(Duration::from_secs(3));
    assert!(rig.d.port().ring_log().is_empty(), "no reminder ring");
}

#[test]
fn hanging_up_on_an_answered_consultation_is_an_attended_transfer() {
    let (mut rig, m) = consult_answered();
    rig.hang_up();
    assert_eq!(
        rig.calls_since(m),
        vec![
            CallCommand::Hold,
            dial_second("5550002"),
            CallCommand::Transfer { attended: true },
        ]
    );
    assert_eq!(rig.d.line().state(), LineState::Idle);
    // The transferred calls' later events are not the line's any more.
    rig.network(NetworkEvent::RemoteHangup);
    rig.network(NetworkEvent::Second(SecondEvent::RemoteHangup));
    rig.run(Duration::from_secs(3));
    assert_eq!(rig.d.line().state(), LineState::Idle);
    assert!(rig.d.port().ring_log().is_empty());
}

#[test]
fn hanging_up_while_the_consultation_rings_is_a_blind_transfer() {
    let (mut rig, m) = consulting();
    rig.network(NetworkEvent::Second(SecondEvent::Ringing));
    rig.run(Duration::from_millis(200));
    rig.hang_up();
    assert_eq!(
        rig.calls_since(m),
        vec![
            CallCommand::Hold,
            dial_second("5550002"),
            CallCommand::Transfer { attended: false },
        ]
    );
    assert!(service_events(&rig, m).contains(&ServiceEvent::TransferRequested { attended: false }));
    assert_eq!(rig.d.line().state(), LineState::Idle);
}

#[test]
fn busy_consultation_then_flash_goes_back_to_the_held_call() {
    let (mut rig, m) = consulting();
    rig.network(NetworkEvent::Second(SecondEvent::Busy));
    rig.run(Duration::from_millis(100));
    assert_eq!(rig.d.line().state(), LineState::Held);
    assert_eq!(next_tone(&mut rig), vec![480, 620], "busy tone");
    rig.flash();
    // The busy leg is already gone: no HangupLeg, just Resume.
    assert_eq!(
        rig.calls_since(m),
        vec![
            CallCommand::Hold,
            dial_second("5550002"),
            CallCommand::Resume
        ]
    );
    assert_eq!(rig.d.line().state(), LineState::Connected);
}

#[test]
fn failed_consultation_then_hang_up_reminder_rings_with_the_held_callers_id() {
    let (mut rig, m) = consulting();
    rig.network(NetworkEvent::Second(SecondEvent::Failed));
    rig.run(Duration::from_millis(100));
    assert_eq!(next_tone(&mut rig), vec![480, 620], "reorder");
    let t = rig.now;
    rig.hang_up();
    assert_eq!(rig.d.line().state(), LineState::Recall);
    assert!(rig.d.port().is_ringing(), "reminder ring");
    rig.run(Duration::from_secs(6));
    // Type 1 caller ID between the rings: the held party (the number first dialled).
    let shown = rig.displayed_since(t);
    assert_eq!(shown.len(), 1, "{shown:?}");
    match &shown[0] {
        Message::Call(c) => assert_eq!(c.number.as_deref(), Some("5551234")),
        other => panic!("{other:?}"),
    }
    rig.lift();
    assert!(!rig.d.port().is_ringing());
    assert_eq!(rig.d.line().state(), LineState::Connected);
    assert_eq!(
        rig.calls_since(m),
        vec![
            CallCommand::Hold,
            dial_second("5550002"),
            CallCommand::Resume
        ]
    );
    assert!(service_events(&rig, m).contains(&ServiceEvent::Recall));
}

#[test]
fn an_unanswered_reminder_ring_ends_the_held_call() {
    let mut rig = Rig::connected(SimConfig::default());
    let m = rig.mark();
    rig.flash();
    rig.hang_up();
    assert_eq!(rig.d.line().state(), LineState::Recall);
    rig.run(Duration::from_secs(61));
    assert_eq!(
        rig.calls_since(m),
        vec![CallCommand::Hold, CallCommand::Hangup]
    );
    assert_eq!(rig.d.line().state(), LineState::Idle);
    assert!(!rig.d.port().is_ringing());
}

#[test]
fn the_held_party_hanging_up_stops_the_reminder_ring() {
    let mut rig = Rig::connected(SimConfig::default());
    rig.flash();
    rig.hang_up();
    rig.run(Duration::from_millis(500));
    assert!(rig.d.port().is_ringing());
    rig.network(NetworkEvent::RemoteHangup);
    rig.run(Duration::from_millis(100));
    assert!(!rig.d.port().is_ringing());
    assert_eq!(rig.d.line().state(), LineState::Idle);
}

#[test]
fn consulted_party_hangs_up_silence_until_flash_resumes() {
    let (mut rig, m) = consult_answered();
    let t = rig.now;
    rig.network(NetworkEvent::Second(SecondEvent::RemoteHangup));
    rig.run(Duration::from_secs(3));
    assert_eq!(rig.d.line().state(), LineState::Held);
    assert!(rig.tones_since(t).is_empty(), "{:?}", rig.tones_since(t));
    rig.flash();
    assert_eq!(
        rig.calls_since(m),
        vec![
            CallCommand::Hold,
            dial_second("5550002"),
            CallCommand::Resume
        ]
    );
    assert_eq!(rig.d.line().state(), LineState::Connected);
}

#[test]
fn remote_hang_up_in_conference_continues_with_the_other_party() {
    // The first leg leaves: the second becomes the first, two-party call.
    let (mut rig, m) = consult_answered();
    rig.flash();
    rig.network(NetworkEvent::RemoteHangup);
    assert_eq!(rig.d.line().state(), LineState::Connected);
    assert!(service_events(&rig, m).contains(&ServiceEvent::SecondBecameFirst));
    // ... and it is an ordinary call again: flash holds it for a new consultation.
    rig.flash();
    assert_eq!(
        rig.calls_since(m),
        vec![
            CallCommand::Hold,
            dial_second("5550002"),
            CallCommand::Conference,
            CallCommand::Hold,
        ]
    );

    // The second leg leaves: back to the first, nothing to send.
    let (mut rig, m) = consult_answered();
    rig.flash();
    rig.network(NetworkEvent::Second(SecondEvent::RemoteHangup));
    assert_eq!(rig.d.line().state(), LineState::Connected);
    rig.hang_up();
    assert_eq!(
        rig.calls_since(m),
        vec![
            CallCommand::Hold,
            dial_second("5550002"),
            CallCommand::Conference,
            CallCommand::Hangup,
        ]
    );
}

#[test]
fn held_party_hangs_up_while_the_consultation_rings() {
    let (mut rig, m) = consulting();
    rig.network(NetworkEvent::Second(SecondEvent::Ringing));
    rig.network(NetworkEvent::RemoteHangup);
    assert_eq!(rig.d.line().state(), LineState::Calling);
    rig.run(Duration::from_millis(300));
    assert_eq!(heard(&rig), vec![440, 480], "still ringing out");
    // The consultation call is the first leg now: its answer is a first-leg event.
    rig.network(NetworkEvent::Answered);
    assert_eq!(rig.d.line().state(), LineState::Connected);
    rig.hang_up();
    assert_eq!(
        rig.calls_since(m),
        vec![
            CallCommand::Hold,
            dial_second("5550002"),
            CallCommand::Hangup
        ]
    );
}

#[test]
fn call_waiting_flash_answers_then_swaps_back_and_forth() {
    let (mut rig, m) = waiting();
    rig.flash();
    assert_eq!(rig.d.line().state(), LineState::TwoCalls);
    assert_eq!(rig.d.line().active_leg(), Some(Leg::Second));
    rig.flash();
    assert_eq!(rig.d.line().active_leg(), Some(Leg::First));
    rig.flash();
    assert_eq!(rig.d.line().active_leg(), Some(Leg::Second));
    rig.flash();
    assert_eq!(
        rig.calls_since(m),
        vec![
            CallCommand::AnswerWaiting,
            CallCommand::Swap,
            CallCommand::Swap,
            CallCommand::Swap,
        ]
    );
    assert_eq!(
        service_events(&rig, m),
        vec![
            ServiceEvent::CallWaiting,
            ServiceEvent::WaitingAnswered,
            ServiceEvent::Swapped { active: Leg::First },
            ServiceEvent::Swapped {
                active: Leg::Second
            },
            ServiceEvent::Swapped { active: Leg::First },
        ]
    );
    assert!(rig.d.line().voice_connected());
}

/// The 440 Hz bursts heard in the 11 s after a call-waiting alert.
fn sas_bursts(mut rig: Rig) -> Vec<(Duration, Option<Duration>, Vec<u32>)> {
    let t = rig.now;
    rig.network(NetworkEvent::CallWaiting { caller: alice() });
    rig.run(Duration::from_secs(11));
    rig.tones_since(t)
        .into_iter()
        .filter(|s| s.2 == vec![440])
        .collect()
}

#[test]
fn call_waiting_tone_repeats_after_ten_seconds() {
    // US plan (GR-571-CORE): one 300 ms burst of 440 Hz, again 10 s later.
    let mut rig = Rig::connected(SimConfig::default());
    let mut cfg = rig.d.line().config().clone();
    cfg.caller_id.type2 = false;
    rig.d.line_mut().set_config(cfg).unwrap();
    let sas = sas_bursts(rig);
    assert_eq!(sas.len(), 2, "{sas:?}");
    assert!(sas[0].0 < Duration::from_millis(100), "{sas:?}");
    assert!(
        sas[1].0.abs_diff(Duration::from_secs(10)) < Duration::from_millis(100),
        "{sas:?}"
    );
    for s in &sas {
        let d = s.1.expect("burst ended");
        assert!(
            d.abs_diff(Duration::from_millis(300)) < Duration::from_millis(40),
            "{sas:?}"
        );
    }
    // With type 2 caller ID the CAS and the FSK follow the first burst; the second burst
    // still comes 10 s later.
    let sas = sas_bursts(Rig::connected(SimConfig {
        type2_ack: Some('D'),
        ..SimConfig::default()
    }));
    assert_eq!(sas.len(), 2, "{sas:?}");
    assert!(
        sas[1].0.abs_diff(Duration::from_secs(10)) < Duration::from_millis(100),
        "{sas:?}"
    );
}

#[test]
fn waiting_caller_gives_up_the_alert_stops() {
    let (mut rig, m) = waiting();
    rig.run(Duration::from_secs(2));
    let t = rig.now;
    rig.network(NetworkEvent::WaitingCancelled);
    assert_eq!(rig.d.line().state(), LineState::Connected);
    rig.run(Duration::from_secs(8));
    assert!(
        rig.tones_since(t).is_empty(),
        "no second burst: {:?}",
        rig.tones_since(t)
    );
    // A flash is a hold again, not an answer.
    rig.flash();
    assert_eq!(rig.calls_since(m), vec![CallCommand::Hold]);
}

#[test]
fn hang_up_with_one_call_on_hold_hangs_up_the_active_and_rings_for_the_held() {
    // Talking to the waiting caller (second leg), the first is held.
    let (mut rig, m) = waiting();
    rig.flash();
    let t = rig.now;
    rig.hang_up();
    assert_eq!(
        rig.calls_since(m),
        vec![
            CallCommand::AnswerWaiting,
            CallCommand::HangupLeg(Leg::Second)
        ]
    );
    assert_eq!(rig.d.line().state(), LineState::Recall);
    rig.run(Duration::from_secs(6));
    match rig.displayed_since(t).as_slice() {
        [Message::Call(c)] => assert_eq!(c.number.as_deref(), Some("5551234")),
        other => panic!("{other:?}"),
    }
    rig.lift();
    assert_eq!(rig.d.line().state(), LineState::Connected);
    assert_eq!(
        rig.calls_since(m),
        vec![
            CallCommand::AnswerWaiting,
            CallCommand::HangupLeg(Leg::Second),
            CallCommand::Resume
        ]
    );

    // Swapped back to the first leg: it is hung up, the waiting caller's call becomes the
    // first leg and rings with Alice's caller ID.
    let (mut rig, m) = waiting();
    rig.flash();
    rig.flash();
    let t = rig.now;
    rig.hang_up();
    assert_eq!(
        rig.calls_since(m),
        vec![
            CallCommand::AnswerWaiting,
            CallCommand::Swap,
            CallCommand::HangupLeg(Leg::First)
        ]
    );
    assert!(service_events(&rig, m).contains(&ServiceEvent::SecondBecameFirst));
    rig.run(Duration::from_secs(6));
    assert_eq!(rig.displayed_since(t), vec![Message::Call(alice())]);
    rig.lift();
    assert_eq!(rig.calls_since(m).last(), Some(&CallCommand::Resume));
}

#[test]
fn hang_up_during_call_waiting_rings_for_the_waiting_call() {
    let (mut rig, m) = waiting();
    let t = rig.now;
    rig.hang_up();
    assert_eq!(rig.calls_since(m), vec![CallCommand::HangupLeg(Leg::First)]);
    assert_eq!(rig.d.line().state(), LineState::Ringing);
    rig.run(Duration::from_secs(6));
    assert_eq!(
        rig.displayed_since(t),
        vec![Message::Call(alice())],
        "type 1 caller ID"
    );
    rig.lift();
    assert_eq!(
        rig.calls_since(m),
        vec![CallCommand::HangupLeg(Leg::First), CallCommand::Answer]
    );
    assert_eq!(rig.d.line().state(), LineState::Connected);
}

#[test]
fn first_call_ends_while_a_call_waits_flash_answers_it() {
    let (mut rig, m) = waiting();
    rig.network(NetworkEvent::RemoteHangup);
    assert_eq!(rig.d.line().state(), LineState::CallWaiting);
    rig.run(Duration::from_millis(150));
    assert_eq!(heard(&rig), vec![440], "the waiting call is alerted again");
    rig.flash();
    assert_eq!(rig.calls_since(m), vec![CallCommand::Answer]);
    assert_eq!(rig.d.line().state(), LineState::Connected);
}

#[test]
fn a_third_call_or_call_waiting_switched_off_is_refused() {
    let (mut rig, m) = waiting();
    rig.network(NetworkEvent::CallWaiting { caller: alice() });
    rig.flash();
    rig.network(NetworkEvent::CallWaiting { caller: alice() });
    assert_eq!(
        rig.calls_since(m),
        vec![
            CallCommand::RejectBusy,
            CallCommand::AnswerWaiting,
            CallCommand::RejectBusy
        ]
    );

    let mut cfg = LineConfig::for_country("us").unwrap();
    cfg.dial_plan = "[2-9]xxxxxx".parse().unwrap();
    cfg.call_waiting = false;
    let mut rig = Rig::connected(SimConfig::default());
    rig.d.line_mut().set_config(cfg).unwrap();
    let m = rig.mark();
    let t = rig.now;
    rig.network(NetworkEvent::CallWaiting { caller: alice() });
    rig.run(Duration::from_secs(1));
    assert_eq!(rig.calls_since(m), vec![CallCommand::RejectBusy]);
    assert!(rig.tones_since(t).is_empty());
}

/// A NANP plan where 911 alone would wait for the short timer (it could grow into
/// `[2-9]xxxxxx`): the emergency list dials it at once.
fn nanp() -> Rig {
    let mut cfg = LineConfig::for_country("us").unwrap();
    cfg.dial_plan = "{ [3469]11 | 0 | 00 | [2-9]xxxxxx | 1xxx[2-9]xxxxxx | *xx | x+T }"
        .parse()
        .unwrap();
    Rig::with_sim(
        cfg,
        SimConfig {
            type2_ack: Some('D'),
            ..SimConfig::default()
        },
    )
}

#[test]
fn emergency_call_ignores_flash_and_refuses_call_waiting() {
    let mut rig = nanp();
    rig.lift();
    rig.press("*67911");
    let m = 0;
    assert!(rig.run_until_call(Duration::from_secs(3), m, |c| matches!(
        c,
        CallCommand::Dial { .. }
    )));
    assert_eq!(
        rig.calls(),
        vec![CallCommand::Dial {
            number: "911".into(),
            private: false, // *67 does not hide the caller from a PSAP
            emergency: true,
        }]
    );
    assert!(rig.d.line().is_emergency_call());
    rig.network(NetworkEvent::Answered);
    rig.run(Duration::from_millis(200));
    let m = rig.mark();
    let t = rig.now;
    rig.flash();
    assert_eq!(rig.d.line().state(), LineState::Connected);
    assert!(service_events(&rig, m).contains(&ServiceEvent::FlashIgnored));
    rig.network(NetworkEvent::CallWaiting { caller: alice() });
    rig.run(Duration::from_secs(2));
    assert_eq!(rig.calls_since(m), vec![CallCommand::RejectBusy]);
    assert!(rig.tones_since(t).is_empty(), "no call-waiting tone");
    assert!(rig.displayed_since(t).is_empty(), "no type 2 caller ID");
    rig.hang_up();
    assert_eq!(
        rig.calls_since(m),
        vec![CallCommand::RejectBusy, CallCommand::Hangup]
    );
}

#[test]
fn emergency_number_from_the_consultation_dial_tone_ends_the_held_call() {
    let mut rig = Rig::connected(SimConfig::default());
    let m = rig.mark();
    rig.flash();
    rig.press("911");
    assert!(rig.run_until_call(Duration::from_secs(2), m, |c| matches!(
        c,
        CallCommand::Dial { .. }
    )));
    assert_eq!(
        rig.calls_since(m),
        vec![
            CallCommand::Hold,
            CallCommand::HangupLeg(Leg::First),
            CallCommand::Dial {
                number: "911".into(),
                private: false,
                emergency: true
            },
        ]
    );
    assert_eq!(rig.d.line().state(), LineState::Calling);
}

#[test]
fn consultation_number_refused_by_the_plan_gives_reorder_then_flash_resumes() {
    let mut rig = Rig::connected(SimConfig::default());
    let m = rig.mark();
    rig.flash();
    rig.press("1"); // the plan is [2-9]xxxxxx: no match
    rig.run(Duration::from_millis(400));
    assert_eq!(rig.d.line().state(), LineState::Held);
    assert_eq!(next_tone(&mut rig), vec![480, 620]);
    rig.flash();
    assert_eq!(
        rig.calls_since(m),
        vec![CallCommand::Hold, CallCommand::Resume]
    );
}

#[test]
fn keys_during_a_consultation_go_to_the_sip_side() {
    let (mut rig, m) = consult_answered();
    rig.press("5");
    rig.run(Duration::from_millis(500));
    assert_eq!(rig.calls_since(m).last(), Some(&CallCommand::Digit('5')));
}

//! Port diagnostics from the admin pages: ring a port, play a tone on a port
//! ([`PortDriver::start_test`](tipring_line::PortDriver::start_test)).

use std::time::Duration;

use tipring_dsp::callerid::{CallerId, Signalling};
use tipring_dsp::goertzel::Goertzel;
use tipring_dsp::tone::ToneKind;
use tipring_hal::{FxsPort, LineFeed};
use tipring_line::{
    CallCommand, Error, LineConfig, LineState, NetworkEvent, PortTest, TestOutcome, TestTone,
};

use crate::{heard, next_tone, Rig};

fn ring(secs: u64) -> PortTest {
    PortTest::Ring {
        duration: Duration::from_secs(secs),
    }
}

fn tone(tone: TestTone, ms: u64) -> PortTest {
    PortTest::Tone {
        tone,
        duration: Duration::from_millis(ms),
    }
}

fn start(rig: &mut Rig, test: PortTest) {
    let now = rig.now;
    rig.d
        .start_test(now, test)
        .expect("the line takes the test");
    assert!(rig.d.testing());
}

/// The reason a refused test gives.
fn refusal(rig: &mut Rig, test: PortTest) -> String {
    let now = rig.now;
    match rig.d.start_test(now, test) {
        Err(Error::TestRefused(reason)) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Run until the test has ended (at most `limit`); its outcome.
fn outcome(rig: &mut Rig, limit: Duration) -> TestOutcome {
    assert!(
        rig.run_until(limit, |r| !r.d.testing()),
        "the test ended in time"
    );
    let o = rig.d.take_test_outcome().expect("an outcome");
    assert_eq!(rig.d.take_test_outcome(), None, "the outcome is given once");
    o
}

fn interrupted(reason: &str) -> TestOutcome {
    TestOutcome::Interrupted {
        reason: reason.into(),
    }
}

#[test]
fn ring_test_answered_after_a_second_and_a_half() {
    let mut rig = Rig::us();
    start(&mut rig, ring(10));
    assert!(matches!(rig.d.port().line_feed(), LineFeed::Ringing(_)));
    let lift_at = rig.now + Duration::from_millis(1500);
    rig.phone().lift(lift_at);
    let o = outcome(&mut rig, Duration::from_secs(3));
    let TestOutcome::Answered { after } = o else {
        panic!("answered, not {o:?}");
    };
    // The hook decoder's debounce (10 ms) plus up to a frame.
    assert!(
        after >= Duration::from_millis(1500) && after <= Duration::from_millis(1530),
        "answered after {after:?}"
    );
    // Ring trip, then the line saw an ordinary off-hook: dial tone, no call.
    rig.run(Duration::from_millis(200));
    assert!(!rig.d.port().is_ringing());
    assert_eq!(rig.d.port().line_feed(), LineFeed::ForwardActive);
    assert_eq!(rig.d.line().state(), LineState::DialTone);
    assert_eq!(heard(&rig), vec![350, 440]);
    assert_eq!(rig.calls(), vec![]);
    assert_eq!(rig.d.port().ring_log().len(), 1, "one 2 s burst, tripped");
}

#[test]
fn ring_test_unanswered_rings_the_plan_cadence_then_stops() {
    // German ringing: 1 s on, 4 s off. Seven seconds: two bursts.
    let mut rig = Rig::new(LineConfig::for_country("de").unwrap());
    start(&mut rig, ring(7));
    rig.run(Duration::from_millis(500));
    assert!(rig.d.port().is_ringing());
    assert_eq!(
        outcome(&mut rig, Duration::from_secs(7)),
        TestOutcome::Completed
    );
    assert!(rig.elapsed() >= Duration::from_secs(7));
    assert!(!rig.d.port().is_ringing());
    assert_eq!(rig.d.port().line_feed(), LineFeed::ForwardActive);
    assert_eq!(rig.d.line().state(), LineState::Idle);
    let cadence = rig.d.port().ring_cadence();
    assert!(
        cadence[0].on_ms.abs_diff(1000) <= 20 && cadence[0].off_ms.abs_diff(4000) <= 20,
        "{cadence:?}"
    );
    // Quiet afterwards.
    rig.run(Duration::from_secs(10));
    assert_eq!(rig.d.port().ring_log().len(), 2);
    assert!(!rig.d.port().is_ringing());
    assert_eq!(rig.calls(), vec![]);
}

#[test]
fn ring_test_refused_off_hook_busy_or_already_testing() {
    let mut rig = Rig::us();
    rig.lift();
    assert_eq!(
        refusal(&mut rig, ring(5)),
        "the phone is off hook (hang it up to ring it)"
    );
    assert!(!rig.d.testing());
    assert_eq!(rig.d.port().line_feed(), LineFeed::ForwardActive);

    let mut rig = Rig::us();
    rig.network(NetworkEvent::IncomingCall {
        caller: CallerId::default(),
        ring: None,
    });
    assert_eq!(refusal(&mut rig, ring(5)), "the line is busy (ringing)");

    let mut rig = Rig::us();
    assert_eq!(refusal(&mut rig, ring(0)), "the test duration is zero");
    start(&mut rig, ring(5));
    assert_eq!(
        refusal(&mut rig, ring(5)),
        "a test is already running on this port"
    );
    assert_eq!(
        Error::TestRefused("x".into()).to_string(),
        "port test refused: x"
    );
}

#[test]
fn an_incoming_call_interrupts_the_ring_test() {
    let mut cfg = LineConfig::for_country("us").unwrap();
    cfg.caller_id.signalling = Signalling::Off;
    let mut rig = Rig::new(cfg);
    start(&mut rig, ring(20));
    rig.run(Duration::from_millis(2500)); // between two test bursts
    assert!(!rig.d.port().is_ringing());
    rig.network(NetworkEvent::IncomingCall {
        caller: CallerId::default(),
        ring: None,
    });
    assert!(!rig.d.testing());
    assert_eq!(
        rig.d.take_test_outcome(),
        Some(interrupted("incoming call"))
    );
    // The call rings from its own start (not the test's cadence), and is answered as usual.
    assert_eq!(rig.d.line().state(), LineState::Ringing);
    rig.run(Duration::from_millis(100));
    assert!(rig.d.port().is_ringing());
    rig.lift();
    assert_eq!(rig.calls(), vec![CallCommand::Answer]);
    assert_eq!(rig.d.line().state(), LineState::Connected);
}

#[test]
fn cancelling_the_ring_test_stops_the_ringing() {
    let mut rig = Rig::us();
    start(&mut rig, ring(20));
    rig.run(Duration::from_millis(1000));
    assert!(rig.d.port().is_ringing());
    let now = rig.now;
    rig.d.cancel_test(now);
    assert_eq!(rig.d.take_test_outcome(), Some(interrupted("cancelled")));
    rig.run(Duration::from_millis(20));
    assert!(!rig.d.port().is_ringing());
    assert_eq!(rig.d.port().line_feed(), LineFeed::ForwardActive);
    // Nothing to cancel now.
    let now = rig.now;
    rig.d.cancel_test(now);
    assert_eq!(rig.d.take_test_outcome(), None);
}

#[test]
fn tone_test_plays_the_plan_busy_tone_then_dial_tone_again() {
    let mut rig = Rig::us();
    rig.lift();
    assert_eq!(heard(&rig), vec![350, 440]);
    start(&mut rig, tone(TestTone::Plan(ToneKind::Busy), 3000));
    rig.run(Duration::from_millis(200));
    assert_eq!(heard(&rig), vec![480, 620], "US busy tone");
    assert_eq!(rig.d.line().state(), LineState::DialTone);
    assert_eq!(
        outcome(&mut rig, Duration::from_secs(3)),
        TestOutcome::Completed
    );
    rig.run(Duration::from_millis(200));
    assert_eq!(heard(&rig), vec![350, 440], "dial tone again");
    // From the test's start: busy tone in its cadence (0.5 s on, 0.5 s off) for 3 s, then
    // dial tone. (The monitor places a tone-to-tone change late by a few tens of ms.)
    let tones = rig.tones_since(rig.t0 + Duration::from_millis(200));
    let ms = |d: Duration| d.as_millis() as u64;
    let busy: Vec<_> = tones.iter().filter(|t| t.2 == [480, 620]).collect();
    assert_eq!(busy.len(), 3, "{tones:?}");
    for (i, (start, len, _)) in busy.iter().enumerate() {
        let i = i as u64;
        assert!(ms(*start).abs_diff(1000 * i) <= 50, "{tones:?}");
        let end = ms(*start) + len.map_or(0, ms);
        assert!(end.abs_diff(1000 * i + 500) <= 20, "{tones:?}");
    }
    let last = tones.last().expect("a tone");
    assert_eq!(last.2, [350, 440]);
    assert!(ms(last.0).abs_diff(3000) <= 20, "{tones:?}");
    assert_eq!(rig.calls(), vec![]);
}

#[test]
fn milliwatt_is_1004_hz_at_0_dbm0() {
    let mut rig = Rig::us();
    rig.lift();
    start(&mut rig, tone(TestTone::Milliwatt, 1000));
    rig.run(Duration::from_millis(500));
    let ear = rig.phone().take_earpiece();
    let tail = &ear[ear.len() - 1600..];
    let level = |hz: f32| {
        let mut g = Goertzel::new(hz);
        g.push(tail);
        g.level_dbm0()
    };
    let l = level(1004.0);
    assert!(l.abs() < 0.5, "1004 Hz at {l:.2} dBm0");
    assert!(level(440.0) < -40.0, "no dial tone under it");
    assert_eq!(
        outcome(&mut rig, Duration::from_secs(1)),
        TestOutcome::Completed
    );
    assert_eq!(next_tone(&mut rig), vec![350, 440]);
}

#[test]
fn tone_test_refused_on_hook_or_after_dialling() {
    let mut rig = Rig::us();
    let t = tone(TestTone::Milliwatt, 1000);
    assert_eq!(
        refusal(&mut rig, t),
        "the phone is on hook (lift it to hear the tone)"
    );
    rig.lift();
    rig.press("5");
    rig.run(Duration::from_millis(300));
    assert_eq!(rig.d.line().state(), LineState::Dialling);
    assert_eq!(
        refusal(&mut rig, t),
        "the line is not at dial tone (dialling)"
    );
    assert!(!rig.d.testing());
}

#[test]
fn hanging_up_interrupts_the_tone_test() {
    let mut rig = Rig::us();
    rig.lift();
    start(&mut rig, tone(TestTone::Plan(ToneKind::Ringback), 10_000));
    rig.run(Duration::from_millis(500));
    assert_eq!(heard(&rig), vec![440, 480], "US ringback");
    rig.hang_up();
    assert!(!rig.d.testing());
    assert_eq!(
        rig.d.take_test_outcome(),
        Some(interrupted("the phone hung up"))
    );
    assert_eq!(rig.d.line().state(), LineState::Idle);
    assert_eq!(rig.calls(), vec![]);
}

#[test]
fn dialling_during_the_tone_test_interrupts_it() {
    let mut rig = Rig::us();
    rig.lift();
    start(&mut rig, tone(TestTone::Milliwatt, 10_000));
    rig.run(Duration::from_millis(300));
    rig.press("7");
    assert_eq!(
        outcome(&mut rig, Duration::from_secs(1)),
        interrupted("the line left dial tone (dialling)")
    );
    rig.run(Duration::from_millis(100));
    assert!(heard(&rig).is_empty(), "no dial tone after a key");
}

#[test]
fn the_dial_tone_timer_waits_for_the_tone_test() {
    // US first-digit timer: 15 s. The test starts 12 s after the lift and plays 10 s.
    let mut rig = Rig::us();
    rig.lift();
    rig.run(Duration::from_secs(12));
    start(&mut rig, tone(TestTone::Plan(ToneKind::Busy), 10_000));
    assert_eq!(
        outcome(&mut rig, Duration::from_secs(11)),
        TestOutcome::Completed
    );
    assert_eq!(rig.d.line().state(), LineState::DialTone);
    // A whole first-digit period after the test, then reorder as usual.
    rig.run(Duration::from_secs(14));
    assert_eq!(rig.d.line().state(), LineState::DialTone);
    rig.run(Duration::from_millis(1500));
    assert_eq!(
        rig.d.line().state(),
        LineState::Treatment(ToneKind::Congestion)
    );
}

#[test]
fn message_waiting_interrupts_the_ring_test() {
    // The line needs the port for its on-hook VMWI signal: the test gives way.
    let mut rig = Rig::us();
    start(&mut rig, ring(20));
    rig.run(Duration::from_millis(500));
    rig.network(NetworkEvent::MessageWaiting(true));
    assert_eq!(
        rig.d.take_test_outcome(),
        Some(interrupted(
            "the line signalled to the phone (message waiting)"
        ))
    );
    rig.run(Duration::from_secs(2));
    assert!(!rig.d.port().is_ringing());
    assert!(
        rig.d.port().vmwi_lamp(),
        "the phone got the message-waiting signal"
    );
    assert_eq!(rig.d.port().line_feed(), LineFeed::ForwardActive);
}

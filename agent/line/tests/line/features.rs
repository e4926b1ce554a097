//! Star codes from dial tone (forwarding, DND, anonymous call rejection, caller-ID
//! blocking), the confirmation tone, speed dial and emergency numbers.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tipring_line::dialplan::RejectReason;
use tipring_line::{
    CallCommand, Feature, FeatureCodes, Hotline, LineConfig, LineEvent, LineState, ServiceEvent,
};

use crate::{heard, next_tone, Rig};

fn us(plan: &str) -> LineConfig {
    let mut cfg = LineConfig::for_country("us").unwrap();
    cfg.dial_plan = plan.parse().unwrap();
    cfg
}

fn dial(number: &str, private: bool) -> CallCommand {
    CallCommand::Dial {
        number: number.into(),
        private,
        emergency: false,
    }
}

fn feature(f: Feature) -> CallCommand {
    CallCommand::Feature(f)
}

/// Press `keys` and run until a call command comes out (or `limit`); the time it did.
fn press_until_call(rig: &mut Rig, keys: &str, limit: Duration) -> Option<Instant> {
    let m = rig.mark();
    rig.press(keys);
    rig.run_until_call(limit, m, |_| true).then_some(rig.now)
}

/// GR-506-CORE confirmation / recall dial tone: three ~100 ms bursts of 350 + 440 Hz with
/// ~100 ms gaps, then steady dial tone, starting at `t`.
fn assert_confirmation_then_dial_tone(rig: &Rig, t: Instant) {
    let segs: Vec<_> = rig
        .tones_since(t)
        .into_iter()
        .filter(|s| s.2 == vec![350, 440])
        .collect();
    assert!(segs.len() >= 4, "{segs:?}");
    for s in &segs[..3] {
        let d = s.1.expect("a burst ends");
        assert!(
            d.abs_diff(Duration::from_millis(100)) <= Duration::from_millis(25),
            "{segs:?}"
        );
    }
    for w in segs[..4].windows(2) {
        let period = w[1].0 - w[0].0;
        assert!(
            period.abs_diff(Duration::from_millis(200)) <= Duration::from_millis(25),
            "{segs:?}"
        );
    }
    assert!(
        segs[3].1.is_none_or(|d| d > Duration::from_millis(500)),
        "steady dial tone after the bursts: {segs:?}"
    );
}

#[test]
fn forward_all_with_pound_confirms_then_dial_tone_comes_back() {
    let mut rig = Rig::new(us("[2-9]xxxxxx"));
    rig.lift();
    let t = press_until_call(&mut rig, "*725550100#", Duration::from_secs(4)).expect("a command");
    assert_eq!(
        rig.calls(),
        vec![feature(Feature::ForwardAll(Some("5550100".into())))]
    );
    rig.run(Duration::from_millis(1500));
    assert_confirmation_then_dial_tone(&rig, t - Duration::from_millis(20));
    assert_eq!(rig.d.line().state(), LineState::DialTone);
    assert!(rig
        .events()
        .contains(&LineEvent::Service(ServiceEvent::FeatureSet(
            Feature::ForwardAll(Some("5550100".into()))
        ))));
    // Dial tone again: an ordinary call can follow.
    press_until_call(&mut rig, "5551234", Duration::from_secs(3)).expect("dialled");
    assert_eq!(rig.calls()[1], dial("5551234", false));
}

#[test]
fn a_code_that_takes_a_number_prompts_with_recall_dial_tone() {
    let mut rig = Rig::new(us("[2-9]xxxxxx"));
    rig.lift();
    rig.press("*72");
    assert!(rig.run_until(Duration::from_secs(2), |r| r
        .events()
        .contains(&LineEvent::ConfirmationTone)));
    let t = rig.now;
    rig.run(Duration::from_millis(1500));
    assert_confirmation_then_dial_tone(&rig, t - Duration::from_millis(20));
    assert!(rig.calls().is_empty());
}

#[test]
fn forward_busy_number_ends_with_the_interdigit_timer() {
    let mut rig = Rig::new(us("x+T"));
    rig.lift();
    rig.press("*905550100"); // 2 s of keys
    rig.run(Duration::from_secs(5));
    assert!(rig.calls().is_empty(), "waits for # or the 4 s short timer");
    rig.run(Duration::from_secs(2));
    assert_eq!(
        rig.calls(),
        vec![feature(Feature::ForwardBusy(Some("5550100".into())))]
    );
}

#[test]
fn every_default_code_in_one_session() {
    let mut rig = Rig::new(us("x+T"));
    rig.lift();
    for keys in [
        "*73",
        "*91",
        "*93",
        "*925550100#",
        "*78",
        "*79",
        "*77",
        "*87",
    ] {
        press_until_call(&mut rig, keys, Duration::from_secs(3))
            .unwrap_or_else(|| panic!("{keys}: no command"));
        rig.run(Duration::from_millis(800)); // the confirmation tone
        assert_eq!(rig.d.line().state(), LineState::DialTone, "{keys}");
        assert_eq!(heard(&rig), vec![350, 440], "{keys}: dial tone again");
    }
    assert_eq!(
        rig.calls(),
        vec![
            feature(Feature::ForwardAll(None)),
            feature(Feature::ForwardBusy(None)),
            feature(Feature::ForwardNoAnswer(None)),
            feature(Feature::ForwardNoAnswer(Some("5550100".into()))),
            feature(Feature::DoNotDisturb(true)),
            feature(Feature::DoNotDisturb(false)),
            feature(Feature::AnonymousReject(true)),
            feature(Feature::AnonymousReject(false)),
        ]
    );
}

#[test]
fn star_codes_come_before_the_dial_plan_other_star_strings_do_not() {
    // The plan's own `*xx` would complete *78 at once; the code wins.
    let mut rig = Rig::new(us("{ *xx | [2-9]xxxxxx }"));
    rig.lift();
    press_until_call(&mut rig, "*78", Duration::from_secs(2)).expect("a command");
    assert_eq!(rig.calls(), vec![feature(Feature::DoNotDisturb(true))]);

    // *69 is no code (though *6 starts *67): the plan dials it at once.
    let mut rig = Rig::new(us("{ *xx | [2-9]xxxxxx }"));
    rig.lift();
    press_until_call(&mut rig, "*69", Duration::from_secs(2)).expect("a command");
    assert_eq!(rig.calls(), vec![dial("*69", false)]);

    // A prefix of a code the plan alone would complete waits for the short timer.
    let mut rig = Rig::new(us("{ *x | [2-9]xxxxxx }"));
    rig.lift();
    rig.press("*7");
    rig.run(Duration::from_secs(2));
    assert!(rig.calls().is_empty(), "*7 could still become *72");
    rig.run(Duration::from_secs(3));
    assert_eq!(rig.calls(), vec![dial("*7", false)]);
}

#[test]
fn etsi_style_codes_from_config() {
    let mut cfg = us("{ *xx | x+T }");
    cfg.feature_codes = FeatureCodes {
        forward_all_on: Some("*21*".into()),
        forward_all_off: Some("#21#".into()),
        ..FeatureCodes::none()
    };
    let mut rig = Rig::new(cfg);
    rig.lift();
    press_until_call(&mut rig, "*21*5550100#", Duration::from_secs(4)).expect("set");
    rig.run(Duration::from_millis(800));
    press_until_call(&mut rig, "#21#", Duration::from_secs(2)).expect("cleared");
    assert_eq!(
        rig.calls(),
        vec![
            feature(Feature::ForwardAll(Some("5550100".into()))),
            feature(Feature::ForwardAll(None)),
        ]
    );
    // The North American codes are not configured: *72 is just keys for the plan.
    rig.run(Duration::from_millis(800));
    press_until_call(&mut rig, "*72", Duration::from_secs(2)).expect("dialled");
    assert_eq!(rig.calls()[2], dial("*72", false));
}

#[test]
fn forwarding_needs_a_number_and_never_to_an_emergency_number() {
    for keys in ["*72911#", "*72#"] {
        let mut rig = Rig::new(us("x+T"));
        rig.lift();
        rig.press(keys);
        rig.run(Duration::from_secs(2));
        assert!(rig.calls().is_empty(), "{keys}: {:?}", rig.calls());
        assert!(
            rig.events()
                .iter()
                .any(|e| matches!(e, LineEvent::NumberRejected { .. })),
            "{keys}"
        );
        assert_eq!(next_tone(&mut rig), vec![480, 620], "{keys}: reorder");
    }
    // A forward-to number the dial plan bars is refused too.
    let mut rig = Rig::new(us("{ 1900xxxxxxx! | x+T }"));
    rig.lift();
    rig.press("*7219005551234#");
    rig.run(Duration::from_secs(3));
    assert!(rig.calls().is_empty());
    assert!(rig.events().contains(&LineEvent::NumberRejected {
        digits: "19005551234".into(),
        reason: RejectReason::Barred
    }));
}

#[test]
fn star_67_blocks_caller_id_on_this_call_only() {
    let mut rig = Rig::new(us("[2-9]xxxxxx"));
    rig.lift();
    rig.press("*67");
    assert!(rig.run_until(Duration::from_secs(2), |r| r
        .events()
        .contains(&LineEvent::ConfirmationTone)));
    let t = rig.now;
    rig.run(Duration::from_millis(1200));
    assert_confirmation_then_dial_tone(&rig, t - Duration::from_millis(20));
    press_until_call(&mut rig, "5551234", Duration::from_secs(3)).expect("dialled");
    assert_eq!(rig.calls(), vec![dial("5551234", true)]);
    assert!(rig
        .events()
        .contains(&LineEvent::Service(ServiceEvent::CallerIdPrivacy {
            private: true
        })));
    // The next call sends caller ID again.
    rig.hang_up();
    rig.lift();
    press_until_call(&mut rig, "5551234", Duration::from_secs(3)).expect("dialled");
    assert_eq!(rig.calls()[2], dial("5551234", false));
}

#[test]
fn private_by_default_and_star_82_unblocks_one_call() {
    let mut cfg = us("[2-9]xxxxxx");
    cfg.privacy_default = true;
    let mut rig = Rig::new(cfg);
    rig.lift();
    press_until_call(&mut rig, "5551234", Duration::from_secs(3)).expect("dialled");
    rig.hang_up();
    rig.lift();
    press_until_call(&mut rig, "*825551234", Duration::from_secs(4)).expect("dialled");
    assert_eq!(
        rig.calls(),
        vec![
            dial("5551234", true),
            CallCommand::Hangup,
            dial("5551234", false)
        ]
    );
}

#[test]
fn private_consultation_call() {
    let mut rig = Rig::connected(tipring_hal::sim::SimConfig::default());
    let m = rig.mark();
    rig.flash();
    rig.press("*675550002");
    assert!(rig.run_until_call(Duration::from_secs(4), m, |c| matches!(
        c,
        CallCommand::DialSecond { .. }
    )));
    assert_eq!(
        rig.calls_since(m),
        vec![
            CallCommand::Hold,
            CallCommand::DialSecond {
                number: "5550002".into(),
                private: true
            }
        ]
    );
}

fn speed_rig() -> Rig {
    let mut cfg = us("[2-9]xxxxxx | 1[2-9]xxxxxxxxx");
    cfg.speed_dial = BTreeMap::from([
        ("2".to_string(), "5551234".to_string()),
        ("35".to_string(), "18005550199".to_string()),
    ]);
    let mut rig = Rig::new(cfg);
    rig.lift();
    rig
}

#[test]
fn speed_dial_with_pound() {
    let mut rig = speed_rig();
    press_until_call(&mut rig, "2#", Duration::from_secs(2)).expect("dialled");
    assert_eq!(rig.calls(), vec![dial("5551234", false)]);
    assert!(rig
        .events()
        .contains(&LineEvent::Service(ServiceEvent::SpeedDial {
            key: "2".into(),
            number: "5551234".into()
        })));

    let mut rig = speed_rig();
    press_until_call(&mut rig, "35#", Duration::from_secs(2)).expect("dialled");
    assert_eq!(rig.calls(), vec![dial("18005550199", false)]);
}

#[test]
fn speed_dial_by_the_short_timer_and_longer_numbers_still_dial() {
    let mut rig = speed_rig();
    rig.press("2");
    rig.run(Duration::from_secs(3));
    assert!(rig.calls().is_empty());
    rig.run(Duration::from_secs(2));
    assert_eq!(rig.calls(), vec![dial("5551234", false)]);

    // A number that starts with a key is still a number.
    let mut rig = speed_rig();
    press_until_call(&mut rig, "2345678", Duration::from_secs(3)).expect("dialled");
    assert_eq!(rig.calls(), vec![dial("2345678", false)]);
}

#[test]
fn emergency_numbers_dial_at_once_without_the_short_timer() {
    let nanp = "{ [3469]11 | 0 | 00 | [2-9]xxxxxx | 1xxx[2-9]xxxxxx | *xx | x+T }";
    for number in ["911", "112"] {
        let mut rig = Rig::new(us(nanp));
        rig.lift();
        let start = rig.now;
        let at = press_until_call(&mut rig, number, Duration::from_secs(3)).expect("dialled");
        // Keys take about 3 × 200 ms; the short timer alone would be 4 s more.
        assert!(
            at - start < Duration::from_millis(1200),
            "{number}: {:?}",
            at - start
        );
        assert_eq!(
            rig.calls(),
            vec![CallCommand::Dial {
                number: number.into(),
                private: false,
                emergency: true
            }]
        );
        assert!(rig
            .events()
            .contains(&LineEvent::Service(ServiceEvent::EmergencyCall {
                number: number.into()
            })));
    }
    // Other countries' numbers come with their plans.
    let cfg = LineConfig::for_country("uk").unwrap();
    assert!(cfg.is_emergency("999") && cfg.is_emergency("112") && !cfg.is_emergency("911"));
}

#[test]
fn a_hotline_to_an_emergency_number_is_an_emergency_call() {
    let mut cfg = us("x+T");
    cfg.privacy_default = true;
    cfg.hotline = Some(Hotline {
        number: "911".into(),
        delay: Duration::ZERO,
    });
    let mut rig = Rig::new(cfg);
    rig.lift();
    assert_eq!(
        rig.calls(),
        vec![CallCommand::Dial {
            number: "911".into(),
            private: false,
            emergency: true
        }]
    );
}

#[test]
fn warmline_is_not_dialled_after_a_code() {
    let mut cfg = us("[2-9]xxxxxx");
    cfg.hotline = Some(Hotline {
        number: "5550100".into(),
        delay: Duration::from_secs(5),
    });
    let mut rig = Rig::new(cfg);
    rig.lift();
    press_until_call(&mut rig, "*78", Duration::from_secs(2)).expect("DND on");
    rig.run(Duration::from_secs(17));
    assert_eq!(rig.calls(), vec![feature(Feature::DoNotDisturb(true))]);
    assert_eq!(
        rig.d.line().state(),
        LineState::Treatment(tipring_dsp::tone::ToneKind::Congestion),
        "no key after the confirmation: first-digit timeout"
    );
}

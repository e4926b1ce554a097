//! Off hook, dial tone, digit collection by the dial plan, hotline and warmline.

use std::time::Duration;

use tipring_dsp::tone::ToneKind;
use tipring_line::dialplan::RejectReason;
use tipring_line::{CallCommand, DigitSource, Hotline, LineConfig, LineEvent, LineState};

use crate::{heard, heard_level, next_tone, Rig};

fn with_plan(country: &str, plan: &str) -> Rig {
    let mut cfg = LineConfig::for_country(country).unwrap();
    cfg.dial_plan = plan.parse().unwrap();
    Rig::new(cfg)
}

#[test]
fn off_hook_gives_dial_tone_of_the_tone_plan() {
    for (country, freqs) in [
        ("us", vec![350, 440]),
        ("uk", vec![350, 440]), // BT SIN 350: 350 + 440 Hz
        ("de", vec![425]),
        ("fr", vec![440]),
        ("nl", vec![425]),
        ("jp", vec![400]),
        ("cn", vec![450]),
    ] {
        let mut rig = Rig::new(LineConfig::for_country(country).unwrap());
        rig.lift();
        assert_eq!(rig.d.line().state(), LineState::DialTone, "{country}");
        assert_eq!(heard(&rig), freqs, "{country}: dial tone frequencies");
    }
    let mut rig = Rig::us();
    rig.lift();
    let level = heard_level(&rig).expect("a tone");
    // Precise tone plan: 350 + 440 Hz, each at -13 dBm0 (-10 dBm0 together).
    assert!(
        (-11.5..=-8.5).contains(&level),
        "US dial tone level {level} dBm0"
    );
}

#[test]
fn dtmf_digits_complete_a_number_immediately() {
    let mut rig = with_plan(
        "us",
        "{ [3469]11 | 0 | 00 | [2-9]xxxxxx | 1xxx[2-9]xxxxxx | *xx | x+T }",
    );
    rig.lift();
    let now = rig.now;
    rig.phone().press(now, "5551234").unwrap();
    assert!(rig.run_until(Duration::from_secs(3), |r| r.dialled().is_some()));
    assert_eq!(rig.dialled().as_deref(), Some("5551234"));
    let digits: String = rig
        .events()
        .iter()
        .filter_map(|e| match e {
            LineEvent::Digit {
                digit,
                source: DigitSource::Dtmf,
            } => Some(*digit),
            _ => None,
        })
        .collect();
    assert_eq!(digits, "5551234");
    assert_eq!(rig.d.line().state(), LineState::Calling);
    // The dial tone stopped at the first digit.
    assert!(
        heard(&rig).is_empty(),
        "silence while calling, heard {:?}",
        heard(&rig)
    );
}

#[test]
fn first_digit_stops_dial_tone() {
    let mut rig = with_plan("us", "[2-9]xxxxxx");
    rig.lift();
    assert_eq!(heard(&rig), vec![350, 440]);
    let now = rig.now;
    rig.phone().press(now, "5").unwrap();
    rig.run(Duration::from_millis(400));
    assert_eq!(rig.d.line().state(), LineState::Dialling);
    assert!(
        heard(&rig).is_empty(),
        "dial tone must stop, heard {:?}",
        heard(&rig)
    );
}

#[test]
fn rotary_pulses_dial_the_same_way() {
    let mut rig = with_plan("us", "{ [3469]11 | 0 | [2-9]xxxxxx }");
    rig.lift();
    let now = rig.now;
    rig.phone().dial_rotary(now, "5550190").unwrap();
    assert!(rig.run_until(Duration::from_secs(20), |r| r.dialled().is_some()));
    assert_eq!(rig.dialled().as_deref(), Some("5550190"));
    assert!(rig.events().iter().all(|e| !matches!(
        e,
        LineEvent::Digit {
            source: DigitSource::Dtmf,
            ..
        }
    )));
}

#[test]
fn catch_all_waits_for_the_short_timer() {
    let mut rig = with_plan("us", "x+T");
    rig.lift();
    let now = rig.now;
    rig.phone().press(now, "12").unwrap();
    rig.run(Duration::from_millis(500));
    let after_keys = rig.now;
    rig.run(Duration::from_secs(3));
    assert_eq!(rig.dialled(), None, "must wait the 4 s short timer");
    assert!(rig.run_until(Duration::from_secs(2), |r| r.dialled().is_some()));
    assert_eq!(rig.dialled().as_deref(), Some("12"));
    let waited = rig.now - after_keys;
    assert!(
        waited >= Duration::from_secs(3) && waited <= Duration::from_millis(4600),
        "{waited:?}"
    );
}

#[test]
fn pound_ends_dialling() {
    let mut rig = with_plan("us", "x+T");
    rig.lift();
    let now = rig.now;
    rig.phone().press(now, "123#").unwrap();
    assert!(rig.run_until(Duration::from_secs(1), |r| r.dialled().is_some()));
    assert_eq!(rig.dialled().as_deref(), Some("123"));
}

#[test]
fn incomplete_number_is_refused_after_the_long_timer() {
    let mut rig = with_plan("us", "[2-9]xxxxxx");
    rig.lift();
    let now = rig.now;
    rig.phone().press(now, "555").unwrap();
    rig.run(Duration::from_secs(9));
    assert_eq!(rig.d.line().state(), LineState::Dialling);
    rig.run(Duration::from_secs(2));
    assert!(rig.events().contains(&LineEvent::NumberRejected {
        digits: "555".into(),
        reason: RejectReason::Incomplete
    }));
    assert_eq!(
        rig.d.line().state(),
        LineState::Treatment(ToneKind::Congestion)
    );
    rig.run(Duration::from_millis(200));
    assert_eq!(next_tone(&mut rig), vec![480, 620], "reorder tone");
}

#[test]
fn barred_and_unmatched_numbers_get_reorder_at_once() {
    let mut rig = with_plan("us", "{ 1900xxxxxxx! | 1xxxxxxxxxx | 911 }");
    rig.lift();
    let now = rig.now;
    rig.phone().press(now, "19005551234").unwrap();
    rig.run(Duration::from_secs(3));
    assert!(rig.events().iter().any(|e| matches!(
        e,
        LineEvent::NumberRejected {
            reason: RejectReason::Barred,
            ..
        }
    )));
    assert_eq!(rig.dialled(), None);

    let mut rig = with_plan("us", "{ 1xxxxxxxxxx | 911 }");
    rig.lift();
    let now = rig.now;
    rig.phone().press(now, "5").unwrap();
    rig.run(Duration::from_millis(500));
    assert!(rig.events().iter().any(|e| matches!(
        e,
        LineEvent::NumberRejected {
            reason: RejectReason::NoMatch,
            ..
        }
    )));
    // Reorder is cadenced (0.25 s on/off): wait for an on-period.
    assert!(rig.run_until(Duration::from_millis(600), |r| !heard(r).is_empty()));
    assert_eq!(next_tone(&mut rig), vec![480, 620]);
}

#[test]
fn hotline_dials_at_once_without_dial_tone() {
    let mut cfg = LineConfig::for_country("us").unwrap();
    cfg.hotline = Some(Hotline {
        number: "911".into(),
        delay: Duration::ZERO,
    });
    let mut rig = Rig::new(cfg);
    rig.lift();
    assert_eq!(rig.dialled().as_deref(), Some("911"));
    assert!(!rig.events().contains(&LineEvent::Tone(ToneKind::Dial)));
}

#[test]
fn warmline_dials_after_the_delay_unless_a_key_is_pressed() {
    let mut cfg = LineConfig::for_country("us").unwrap();
    cfg.hotline = Some(Hotline {
        number: "200".into(),
        delay: Duration::from_secs(5),
    });
    cfg.dial_plan = "{ 1xx | 2xx }".parse().unwrap();
    let mut rig = Rig::new(cfg.clone());
    rig.lift();
    assert_eq!(heard(&rig), vec![350, 440]);
    rig.run(Duration::from_secs(4));
    assert_eq!(rig.dialled(), None);
    rig.run(Duration::from_millis(1000));
    assert_eq!(rig.dialled().as_deref(), Some("200"));

    let mut rig = Rig::new(cfg);
    rig.lift();
    let now = rig.now;
    rig.phone().press(now, "123").unwrap();
    rig.run(Duration::from_secs(8));
    assert_eq!(
        rig.calls(),
        vec![CallCommand::Dial {
            number: "123".into(),
            private: false,
            emergency: false,
        }]
    );
}

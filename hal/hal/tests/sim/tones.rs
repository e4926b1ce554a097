//! The phone's tone monitor: what it hears and when.

use tipring_dsp::tone::{plan, ToneKind, ToneSpec, PLANS};
use tipring_hal::sim::Heard;
use tipring_hal::Cadence;

use crate::{tone_samples, Noise, Rig};

fn off_hook_rig() -> Rig {
    let mut rig = Rig::quiet();
    rig.port.lift(rig.ms(0));
    rig.run_to(100);
    rig
}

#[test]
fn hears_us_dial_tone() {
    // Telcordia precise tone plan dial tone: 350 + 440 Hz, −13 dBm0 each (−10 dBm0 total).
    let mut rig = off_hook_rig();
    rig.port.play(&tone_samples(
        plan("us").unwrap().tone(ToneKind::Dial),
        4000,
    ));
    match rig.port.listen() {
        Heard::Tone {
            freqs_hz,
            level_dbm0,
        } => {
            assert_eq!(freqs_hz, vec![350.0, 440.0]);
            assert!((level_dbm0 + 10.0).abs() < 0.5, "{level_dbm0}");
        }
        other => panic!("{other:?}"),
    }
    let log = rig.port.heard_log();
    assert_eq!(log.len(), 1);
    let start = rig.rel(log[0].at);
    assert!(
        (start - 100.0).abs() <= 1.0,
        "tone start placed at its first samples: {start}"
    );
}

/// Every tone of every plan (its on-part, made continuous) is recognised with the plan's
/// frequencies; amplitude-modulated tones (AU 425 × 25 Hz, JP 400 × 16 Hz) by their carrier.
#[test]
fn recognises_every_plan_tone() {
    let mut rig = off_hook_rig();
    for p in PLANS {
        for kind in ToneKind::ALL {
            let spec = p.tone(kind);
            let steady = ToneSpec {
                cadence: Cadence::CONTINUOUS,
                ..*spec
            };
            rig.port.play(&tone_samples(&steady, 1200));
            let want: Vec<f32> = spec.components.iter().map(|c| c.freq_hz).collect();
            assert!(
                rig.port.listen().is_tone(&want),
                "{} {:?}: {:?}",
                p.code,
                kind,
                rig.port.listen()
            );
            rig.port.play(&[0; 800]);
            assert_eq!(rig.port.listen(), Heard::Silence, "{} {:?}", p.code, kind);
        }
    }
}

/// The busy cadence (US 0.5 s on / 0.5 s off, UK 0.375 / 0.375, GR-506 and BT SIN 350) can be
/// measured from the heard log to a couple of milliseconds.
#[test]
fn busy_cadence_is_measurable() {
    for (code, on, off) in [("us", 500.0, 500.0), ("uk", 375.0, 375.0)] {
        let mut rig = off_hook_rig();
        let busy = plan(code).unwrap().tone(ToneKind::Busy);
        rig.port.play(&tone_samples(busy, 8 * 3000));
        let segs = rig.port.heard_tones();
        assert!(segs.len() >= 3, "{code}: {segs:?}");
        for (i, s) in segs.iter().enumerate().take(segs.len() - 1) {
            let d = s.duration().unwrap().as_secs_f64() * 1000.0;
            assert!((d - on).abs() <= 2.0, "{code}: burst {i} lasted {d} ms");
            let gap = segs[i + 1]
                .start
                .duration_since(s.end.unwrap())
                .as_secs_f64()
                * 1000.0;
            assert!((gap - off).abs() <= 2.0, "{code}: gap {i} lasted {gap} ms");
            let want: Vec<f32> = busy.components.iter().map(|c| c.freq_hz).collect();
            assert_eq!(s.freqs_hz, want);
        }
        assert!((rig.rel(segs[0].start) - 100.0).abs() <= 1.0);
    }
}

#[test]
fn stutter_dial_tone_turns_steady() {
    let mut rig = off_hook_rig();
    let stutter = plan("us").unwrap().tone(ToneKind::StutterDial);
    rig.port.play(&tone_samples(stutter, 8 * 3000));
    let segs = rig.port.heard_tones();
    assert_eq!(segs.len(), 11, "{segs:?}");
    for s in &segs[..10] {
        let d = s.duration().unwrap().as_secs_f64() * 1000.0;
        assert!((d - 100.0).abs() <= 2.0, "{d}");
    }
    assert!(segs[10].end.is_none(), "steady at the end");
}

#[test]
fn noise_is_other_and_on_hook_is_silence() {
    let mut rig = off_hook_rig();
    rig.port.play(&Noise::new(4).white(-20.0, 4000));
    assert!(
        matches!(rig.port.listen(), Heard::Other { level_dbm0 } if (level_dbm0 + 20.0).abs() < 1.0)
    );
    rig.port.hang_up(rig.port.now());
    rig.port.play(&tone_samples(
        plan("us").unwrap().tone(ToneKind::Dial),
        4000,
    ));
    assert_eq!(rig.port.listen(), Heard::Silence);
    let kinds: Vec<&Heard> = rig.port.heard_log().iter().map(|c| &c.heard).collect();
    assert!(
        matches!(kinds[..], [Heard::Other { .. }, Heard::Silence]),
        "{kinds:?}"
    );
}

#[test]
fn dial_tone_then_ringback_without_a_gap() {
    let mut rig = off_hook_rig();
    rig.port.play(&tone_samples(
        plan("uk").unwrap().tone(ToneKind::Dial),
        4000,
    ));
    rig.port.play(&tone_samples(
        plan("uk").unwrap().tone(ToneKind::Ringback),
        2400,
    ));
    let segs = rig.port.heard_tones();
    assert_eq!(segs[0].freqs_hz, vec![350.0, 440.0]);
    assert_eq!(segs[1].freqs_hz, vec![400.0, 450.0]);
    let change = rig.rel(segs[1].start);
    assert!((change - 600.0).abs() <= 30.0, "{change}");
}

#[test]
fn de_special_dial_tone_is_two_close_tones() {
    // 400 + 425 Hz, 25 Hz apart: told apart in the 50 ms window.
    let mut rig = off_hook_rig();
    rig.port.play(&tone_samples(
        plan("de").unwrap().tone(ToneKind::StutterDial),
        4000,
    ));
    assert!(
        rig.port.listen().is_tone(&[400.0, 425.0]),
        "{:?}",
        rig.port.listen()
    );
}

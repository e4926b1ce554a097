//! The keypad sends DTMF as audio in what the gateway receives.

use tipring_dsp::dtmf::{self, DtmfDetector, DtmfDetectorConfig, DtmfEvent};
use tipring_dsp::goertzel::tone_level_dbm0;
use tipring_dsp::level::rms_dbm0;
use tipring_hal::sim::KeyPress;

use crate::Rig;

const ALL: [f32; 8] = [697.0, 770.0, 852.0, 941.0, 1209.0, 1336.0, 1477.0, 1633.0];

/// Every digit's tone pair (ITU-T Q.23 Table 1) is in the received audio at the keypad's
/// levels, and no other DTMF frequency is.
#[test]
fn keypad_tones_have_the_right_frequencies() {
    let mut rig = Rig::quiet();
    rig.port.lift(rig.ms(0));
    rig.port.press(rig.ms(100), dtmf::DIGITS).unwrap();
    let rx = rig.run_to(100 + 16 * 200 + 100);
    let press = KeyPress::default();
    for (i, digit) in dtmf::DIGITS.chars().enumerate() {
        // The middle 80 ms of each 100 ms tone (at 100 ms + i × 200 ms).
        let start = (100 + i * 200 + 10) * 8;
        let tone = &rx[start..start + 640];
        let (low, high) = dtmf::frequencies(digit).unwrap();
        let l = tone_level_dbm0(tone, low);
        let h = tone_level_dbm0(tone, high);
        assert!((l - press.low_dbm0).abs() < 0.5, "{digit}: low {l}");
        assert!((h - press.high_dbm0).abs() < 0.5, "{digit}: high {h}");
        for f in ALL.iter().filter(|&&f| f != low && f != high) {
            assert!(tone_level_dbm0(tone, *f) < -30.0, "{digit}: {f} Hz present");
        }
        // The 100 ms pause after it is silent.
        let gap = &rx[start + 800..start + 1400];
        assert!(gap.iter().all(|&s| s == 0), "{digit}: pause not silent");
    }
}

#[test]
fn keypad_digits_decode_with_a_dtmf_receiver() {
    let mut rig = Rig::new(tipring_hal::sim::SimConfig::default());
    rig.port.lift(rig.ms(0));
    rig.port.press(rig.ms(300), "2580*#").unwrap();
    let rx = rig.run_to(2000);
    let mut det = DtmfDetector::new(DtmfDetectorConfig::default());
    let mut got = String::new();
    let mut starts = Vec::new();
    det.process(&rx, |e| {
        if let DtmfEvent::Start { digit, at_sample } = e {
            got.push(digit);
            starts.push(at_sample);
        }
    });
    assert_eq!(got, "2580*#");
    // The first tone starts at 300 ms (sample 2400), the others every 200 ms.
    for (i, s) in starts.iter().enumerate() {
        let expected = 2400 + i as u64 * 1600;
        assert!(
            s.abs_diff(expected) <= 80,
            "digit {i} at sample {s}, expected {expected}"
        );
    }
}

#[test]
fn press_with_sets_durations_and_levels() {
    let mut rig = Rig::quiet();
    rig.port.lift(rig.ms(0));
    let press = KeyPress {
        on_ms: 50,
        off_ms: 30,
        low_dbm0: -20.0,
        high_dbm0: -17.0,
    };
    rig.port.press_with(rig.ms(100), "9", press).unwrap();
    rig.port.press_with(rig.ms(100), "1", press).unwrap();
    let rx = rig.run_to(400);
    // "9" from 100 to 150 ms, pause to 180, "1" from 180 to 230 ms.
    let nonzero: Vec<usize> = rx
        .iter()
        .enumerate()
        .filter(|(_, &s)| s != 0)
        .map(|(i, _)| i)
        .collect();
    assert!(nonzero.first().unwrap().abs_diff(800) <= 1);
    assert!(nonzero.last().unwrap().abs_diff(1839) <= 1);
    let nine = &rx[800..1200];
    assert!((tone_level_dbm0(nine, 852.0) + 20.0).abs() < 0.5);
    assert!((tone_level_dbm0(nine, 1477.0) + 17.0).abs() < 0.5);
    assert!(rx[1200..1440].iter().all(|&s| s == 0));
    let one = &rx[1440..1840];
    assert!((tone_level_dbm0(one, 697.0) + 20.0).abs() < 0.5);
    assert!(rms_dbm0(&rx[1840..]) < -100.0);
}

#[test]
fn keys_pressed_on_hook_send_nothing() {
    let mut rig = Rig::quiet();
    rig.port.press(rig.ms(100), "123").unwrap();
    let rx = rig.run_to(1000);
    assert!(rx.iter().all(|&s| s == 0));
    assert!(rig.port.press(rig.ms(100), "12E").is_err());
}

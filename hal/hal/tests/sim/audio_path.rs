//! When the line carries audio: off hook with battery, or on hook with on-hook transmission.

use tipring_dsp::level::rms_dbm0;
use tipring_hal::sim::SimConfig;
use tipring_hal::{FxsPort, LineFeed};

use crate::{tone_samples, Noise, Rig};

fn dial_tone(n: usize) -> Vec<i16> {
    tone_samples(
        tipring_dsp::tone::plan("us")
            .unwrap()
            .tone(tipring_dsp::tone::ToneKind::Dial),
        n,
    )
}

#[test]
fn speech_reaches_the_gateway_sample_exact() {
    let mut rig = Rig::quiet();
    rig.port.lift(rig.ms(0));
    let speech = Noise::new(3).white(-15.0, 1600);
    rig.port.speak(rig.ms(250), &speech);
    let rx = rig.run_to(600);
    assert!(rx[..2000].iter().all(|&s| s == 0));
    assert_eq!(&rx[2000..3600], &speech[..]);
    assert!(rx[3600..].iter().all(|&s| s == 0));
}

#[test]
fn earpiece_records_what_the_gateway_sends_off_hook() {
    let mut rig = Rig::quiet();
    rig.port.lift(rig.ms(0));
    rig.run_to(100);
    let _ = rig.port.take_earpiece();
    let tone = dial_tone(1600);
    rig.port.play(&tone);
    assert_eq!(rig.port.take_earpiece(), tone);
    rig.port.hang_up(rig.port.now());
    rig.port.play(&tone);
    assert!(
        rig.port.earpiece().is_empty(),
        "handset down: nothing recorded"
    );
}

/// On hook the loop is open: nothing passes either way, except with on-hook transmission,
/// where the gateway's audio reaches the phone's caller-ID receiver (ETSI EN 300 659-1 §4).
#[test]
fn no_audio_on_hook_unless_on_hook_transmission() {
    let mut rig = Rig::new(SimConfig {
        noise_dbm0: Some(-50.0),
        ..SimConfig::default()
    });
    rig.port.speak(rig.ms(0), &Noise::new(1).white(-10.0, 8000));
    for feed in [
        LineFeed::ForwardActive,
        LineFeed::ReverseActive,
        LineFeed::Open,
    ] {
        rig.port.set_line_feed(feed).unwrap();
        let rx = rig.port.play(&dial_tone(800));
        assert!(rx.iter().all(|&s| s == 0), "{feed:?}");
    }
    for feed in [
        LineFeed::ForwardOnHookTransmission,
        LineFeed::ReverseOnHookTransmission,
    ] {
        rig.port.set_line_feed(feed).unwrap();
        let rx = rig.port.play(&dial_tone(800));
        // Only the line noise comes back: the phone is not talking.
        assert!(
            (rms_dbm0(&rx) + 50.0).abs() < 1.0,
            "{feed:?}: {}",
            rms_dbm0(&rx)
        );
    }
    assert!(rig.port.earpiece().is_empty());
}

#[test]
fn no_audio_off_hook_without_battery() {
    let mut rig = Rig::quiet();
    rig.port.lift(rig.ms(0));
    rig.port.speak(rig.ms(0), &Noise::new(1).white(-10.0, 8000));
    rig.port.set_line_feed(LineFeed::Open).unwrap();
    let rx = rig.port.play(&dial_tone(800));
    assert!(rx.iter().all(|&s| s == 0));
    assert!(rig.port.earpiece().iter().all(|&s| s == 0));
    rig.port.set_line_feed(LineFeed::ReverseActive).unwrap();
    let rx = rig.port.play(&dial_tone(800));
    assert!(
        rms_dbm0(&rx) > -20.0,
        "battery back: the microphone works again"
    );
}

#[test]
fn line_noise_has_its_level() {
    let mut rig = Rig::new(SimConfig {
        echo: None,
        noise_dbm0: Some(-40.0),
        ..SimConfig::default()
    });
    rig.port.lift(rig.ms(0));
    let rx = rig.run_to(2000);
    let level = rms_dbm0(&rx[80..]);
    assert!((level + 40.0).abs() < 0.5, "{level}");
    let heard = rig.port.take_earpiece();
    assert!((rms_dbm0(&heard[80..]) + 40.0).abs() < 0.5);
    assert_ne!(
        &rx[80..1000],
        &heard[80..1000],
        "independent noise each way"
    );
}

#[test]
fn transfer_with_a_time_jump_runs_the_gap() {
    // A gateway that skips 1 s still sees the phone's actions in between.
    let mut rig = Rig::quiet();
    rig.port.lift(rig.ms(100));
    let mut rx = [0i16; 80];
    rig.port.transfer(rig.ms(10), &[0; 80], &mut rx);
    rig.port.transfer(rig.ms(1010), &[0; 80], &mut rx);
    assert_eq!(rig.port.now(), rig.ms(1010));
    assert_eq!(rig.events(), vec![(110.0, tipring_hal::HookEvent::OffHook)]);
}

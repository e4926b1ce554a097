//! Hook switch, rotary dial and flash through the simulated SLIC.

use std::time::Duration;

use tipring_hal::sim::{RotaryDial, SimConfig};
use tipring_hal::{FxsPort, HookEvent, HookState, LineFeed};

use crate::Rig;

fn dial_all_digits(pps: f32, break_ratio: f32) {
    let mut rig = Rig::new(SimConfig {
        rotary: RotaryDial {
            pps,
            break_ratio,
            ..RotaryDial::default()
        },
        ..SimConfig::default()
    });
    rig.port.lift(rig.ms(100));
    rig.port.dial_rotary(rig.ms(1000), "1234567890").unwrap();
    rig.run_to(20_000);
    let events: Vec<HookEvent> = rig.events().into_iter().map(|e| e.1).collect();
    let mut expected = vec![HookEvent::OffHook];
    expected.extend([1, 2, 3, 4, 5, 6, 7, 8, 9, 0].map(HookEvent::PulseDigit));
    assert_eq!(events, expected, "{pps} pps");
    assert_eq!(rig.port.hook_state(), HookState::OffHook);
}

/// Decadic dialling at the nominal 10 pps, 60/40 break/make (Telcordia GR-506-CORE dial
/// pulse; ETSI ES 201 187).
#[test]
fn rotary_digits_10pps() {
    dial_all_digits(10.0, 0.6);
}

/// A fast 20 pps dial: 30 ms breaks, 20 ms makes.
#[test]
fn rotary_digits_20pps() {
    dial_all_digits(20.0, 0.6);
}

/// A slow 8 pps dial with a 67/33 ratio (84 ms breaks) still decodes.
#[test]
fn rotary_digits_slow_dial() {
    dial_all_digits(8.0, 0.67);
}

#[test]
fn digit_times_follow_the_make_timeout() {
    let mut rig = Rig::new(SimConfig::default());
    rig.port.lift(rig.ms(0));
    rig.port.dial_rotary(rig.ms(1000), "3").unwrap();
    rig.run_to(3000);
    // Pulses at 1000, 1100, 1200 (60 ms breaks); last make at 1260; digit at 1260 + 120.
    assert_eq!(
        rig.events(),
        vec![
            (10.0, HookEvent::OffHook),
            (1380.0, HookEvent::PulseDigit(3))
        ]
    );
}

#[test]
fn flash_300ms_is_a_flash() {
    let mut rig = Rig::new(SimConfig::default());
    rig.port.lift(rig.ms(100));
    rig.port.flash(rig.ms(2000), Duration::from_millis(300));
    rig.run_to(4000);
    assert_eq!(
        rig.events(),
        vec![
            (110.0, HookEvent::OffHook),
            (
                2310.0,
                HookEvent::Flash {
                    duration: Duration::from_millis(300)
                }
            )
        ]
    );
}

#[test]
fn flash_1200ms_is_hang_up_then_new_call() {
    let mut rig = Rig::new(SimConfig::default());
    rig.port.lift(rig.ms(100));
    rig.port.flash(rig.ms(2000), Duration::from_millis(1200));
    rig.run_to(5000);
    assert_eq!(
        rig.events(),
        vec![
            (110.0, HookEvent::OffHook),
            (2900.0, HookEvent::OnHook),
            (3210.0, HookEvent::OffHook)
        ]
    );
}

#[test]
fn hang_up_reported_at_flash_max() {
    let mut rig = Rig::new(SimConfig::default());
    rig.port.lift(rig.ms(0));
    rig.port.hang_up(rig.ms(1000));
    rig.run_to(1850);
    assert_eq!(rig.events(), vec![(10.0, HookEvent::OffHook)]);
    assert_eq!(rig.port.hook_state(), HookState::OnHook);
    rig.run_to(1950);
    assert_eq!(rig.events(), vec![(1900.0, HookEvent::OnHook)]);
}

#[test]
fn actions_queue_in_order() {
    // Actions asked for at the same instant happen one after the other.
    let mut rig = Rig::new(SimConfig::default());
    rig.port.lift(rig.ms(0));
    let t = rig.ms(100);
    rig.port.dial_rotary(t, "2").unwrap();
    rig.port.dial_rotary(t, "3").unwrap();
    rig.port.hang_up(t);
    rig.run_to(4000);
    // "2": pulses at 100 and 200, last make 260, digit at 380; then the 700 ms pause.
    // "3": from 1000, last make 1260, digit at 1380; pause to 2000; hang-up reported at 2900.
    assert_eq!(
        rig.events(),
        vec![
            (10.0, HookEvent::OffHook),
            (380.0, HookEvent::PulseDigit(2)),
            (1380.0, HookEvent::PulseDigit(3)),
            (2900.0, HookEvent::OnHook)
        ]
    );
}

#[test]
fn open_feed_hides_the_loop() {
    let mut rig = Rig::new(SimConfig::default());
    rig.port.set_line_feed(LineFeed::Open).unwrap();
    rig.port.lift(rig.ms(100));
    rig.run_to(1000);
    assert!(rig.events().is_empty(), "no battery, no loop current");
    assert_eq!(rig.port.hook_state(), HookState::OnHook);
    assert!(rig.port.is_off_hook());
    rig.port.set_line_feed(LineFeed::ForwardActive).unwrap();
    rig.run_to(1100);
    assert_eq!(rig.events(), vec![(1010.0, HookEvent::OffHook)]);
}

#[test]
fn open_feed_during_call_is_not_a_flash() {
    // The gateway removes battery for 300 ms (open-loop disconnect); the phone stays off
    // hook, and the SLIC, blind meanwhile, reports nothing.
    let mut rig = Rig::new(SimConfig::default());
    rig.port.lift(rig.ms(0));
    rig.run_to(1000);
    assert_eq!(rig.events().len(), 1);
    rig.port.set_line_feed(LineFeed::Open).unwrap();
    rig.run_to(1300);
    rig.port.set_line_feed(LineFeed::ForwardActive).unwrap();
    rig.run_to(3000);
    assert!(rig.events().is_empty());
}

#[test]
fn dialling_on_hook_does_nothing() {
    let mut rig = Rig::new(SimConfig::default());
    rig.port.dial_rotary(rig.ms(100), "5").unwrap();
    rig.run_to(2000);
    assert!(rig.events().is_empty());
    assert!(rig.port.dial_rotary(rig.ms(100), "5x").is_err());
}

#[test]
fn hook_timing_can_be_changed() {
    let mut rig = Rig::new(SimConfig::default());
    let timing = tipring_hal::HookTiming {
        flash_max: Duration::from_millis(1500),
        ..Default::default()
    };
    rig.port.set_hook_timing(timing).unwrap();
    rig.port.lift(rig.ms(0));
    rig.port.flash(rig.ms(1000), Duration::from_millis(1200));
    rig.run_to(4000);
    assert_eq!(
        rig.events(),
        vec![
            (10.0, HookEvent::OffHook),
            (
                2210.0,
                HookEvent::Flash {
                    duration: Duration::from_millis(1200)
                }
            )
        ]
    );
    let bad = tipring_hal::HookTiming {
        flash_min: Duration::from_millis(50),
        ..Default::default()
    };
    assert!(rig.port.set_hook_timing(bad).is_err());
}

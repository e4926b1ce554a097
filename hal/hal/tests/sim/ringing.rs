//! Ringing cadence, ring trip and polarity as the phone sees them.

use std::time::Duration;

use tipring_dsp::cadence::{After, Cadence, CadenceStep};
use tipring_dsp::tone::plan;
use tipring_hal::sim::{LineVoltage, SimConfig};
use tipring_hal::{FxsPort, HookEvent, LineFeed};

use crate::Rig;

#[test]
fn ringer_measures_the_cadence() {
    // Telcordia GR-506 standard ringing 2 s on / 4 s off; UK 0.4/0.2/0.4/2.0 (BT SIN 350).
    for (code, run_ms) in [("us", 13_000), ("uk", 6_500), ("de", 11_000)] {
        let ring = plan(code).unwrap().ring;
        let mut rig = Rig::new(SimConfig::default());
        rig.port.set_line_feed(LineFeed::Ringing(ring)).unwrap();
        rig.run_to(run_ms);
        let measured = rig.port.ring_cadence();
        let expected: Vec<CadenceStep> = ring
            .steps
            .iter()
            .cycle()
            .take(measured.len())
            .copied()
            .collect();
        assert!(measured.len() >= 2, "{code}: {measured:?}");
        let last = measured.len() - 1;
        assert_eq!(&measured[..last], &expected[..last], "{code}");
        assert_eq!(measured[last].on_ms, expected[last].on_ms, "{code}");
        assert!(rig.events().is_empty());
    }
}

#[test]
fn is_ringing_follows_the_bursts() {
    let mut rig = Rig::new(SimConfig::default());
    rig.port
        .set_line_feed(LineFeed::Ringing(plan("us").unwrap().ring))
        .unwrap();
    rig.run_to(1000);
    assert!(rig.port.is_ringing());
    assert_eq!(rig.port.line_voltage(), LineVoltage::Ringing);
    rig.run_to(3000);
    assert!(!rig.port.is_ringing());
    assert_eq!(rig.port.line_voltage(), LineVoltage::Forward);
    rig.run_to(6500);
    assert!(rig.port.is_ringing());
    assert_eq!(rig.rel(rig.port.ring_log()[1].start), 6000.0);
}

/// The SLIC trips the ring when the phone answers during a burst: ringing stops at once,
/// the feed is forward active, and the off-hook is reported after the debounce.
#[test]
fn ring_trip_during_a_burst() {
    let mut rig = Rig::new(SimConfig::default());
    rig.port
        .set_line_feed(LineFeed::Ringing(plan("us").unwrap().ring))
        .unwrap();
    rig.port.lift(rig.ms(6700));
    rig.run_to(20_000);
    let log = rig.port.ring_log();
    assert_eq!(log.len(), 2);
    assert_eq!(
        rig.rel(log[1].end.unwrap()),
        6700.0,
        "ringing stops at the lift"
    );
    assert_eq!(rig.port.line_feed(), LineFeed::ForwardActive);
    assert!(!rig.port.is_ringing());
    assert_eq!(rig.events(), vec![(6710.0, HookEvent::OffHook)]);
}

#[test]
fn answer_between_bursts_stops_ringing() {
    let mut rig = Rig::new(SimConfig::default());
    rig.port
        .set_line_feed(LineFeed::Ringing(plan("us").unwrap().ring))
        .unwrap();
    rig.port.lift(rig.ms(3000));
    rig.run_to(20_000);
    assert_eq!(rig.port.ring_log().len(), 1);
    assert_eq!(rig.port.line_feed(), LineFeed::ForwardActive);
    assert_eq!(rig.events(), vec![(3010.0, HookEvent::OffHook)]);
}

#[test]
fn ringing_an_off_hook_phone_trips_at_once() {
    let mut rig = Rig::new(SimConfig::default());
    rig.port.lift(rig.ms(0));
    rig.run_to(500);
    rig.port
        .set_line_feed(LineFeed::Ringing(plan("us").unwrap().ring))
        .unwrap();
    rig.run_to(1000);
    assert!(rig.port.ring_log().is_empty());
    assert_eq!(rig.port.line_feed(), LineFeed::ForwardActive);
}

#[test]
fn stop_cadence_ends_forward_active() {
    static ONE: Cadence = Cadence {
        steps: &[CadenceStep::new(300, 200)],
        after: After::Stop,
    };
    let mut rig = Rig::new(SimConfig::default());
    rig.port.set_line_feed(LineFeed::Ringing(ONE)).unwrap();
    rig.run_to(400);
    assert!(matches!(rig.port.line_feed(), LineFeed::Ringing(_)));
    rig.run_to(600);
    assert_eq!(rig.port.line_feed(), LineFeed::ForwardActive);
    assert_eq!(rig.port.ring_cadence(), vec![CadenceStep::new(300, 0)]);
    assert_eq!(
        rig.port.ring_log()[0].duration(),
        Some(Duration::from_millis(300))
    );
}

#[test]
fn polarity_reversals_are_logged() {
    let mut rig = Rig::new(SimConfig::default());
    rig.run_to(100);
    rig.port.set_line_feed(LineFeed::ReverseActive).unwrap();
    rig.run_to(200);
    rig.port
        .set_line_feed(LineFeed::ReverseOnHookTransmission)
        .unwrap();
    rig.run_to(300);
    rig.port.set_line_feed(LineFeed::Open).unwrap();
    rig.run_to(400);
    assert_eq!(rig.port.line_voltage(), LineVoltage::Open);
    rig.port.set_line_feed(LineFeed::ForwardActive).unwrap();
    rig.run_to(500);
    let rev: Vec<f64> = rig
        .port
        .polarity_reversals()
        .iter()
        .map(|&t| rig.rel(t))
        .collect();
    assert_eq!(rev, vec![100.0, 400.0]);
    let volts: Vec<LineVoltage> = rig.port.voltage_log().iter().map(|v| v.1).collect();
    assert_eq!(
        volts,
        vec![
            LineVoltage::Forward,
            LineVoltage::Reverse,
            LineVoltage::Open,
            LineVoltage::Forward
        ]
    );
}

//! Receiver left off hook, treatments, flash, remote hang-up, network progress tones.

use std::time::Duration;

use tipring_dsp::tone::ToneKind;
use tipring_hal::sim::SimConfig;
use tipring_line::{CallCommand, LineEvent, LineState, NetworkEvent};

use crate::{heard, next_tone, Rig};

#[test]
fn receiver_left_off_hook_goes_reorder_then_howler_then_lockout() {
    let mut rig = Rig::us();
    rig.lift();
    rig.run(Duration::from_secs(14));
    assert_eq!(rig.d.line().state(), LineState::DialTone);
    rig.run(Duration::from_secs(2));
    assert_eq!(
        rig.d.line().state(),
        LineState::Treatment(ToneKind::Congestion)
    );
    rig.run(Duration::from_secs(30));
    assert_eq!(rig.d.line().state(), LineState::OffHookWarning);
    assert!(rig.run_until(Duration::from_millis(500), |r| !heard(r).is_empty()));
    assert_eq!(heard(&rig), vec![1400, 2060, 2450, 2600], "US howler");
    rig.run(Duration::from_secs(60));
    assert_eq!(rig.d.line().state(), LineState::Lockout);
    rig.run(Duration::from_millis(200));
    assert!(heard(&rig).is_empty());
    // Hanging up resets the line; lifting again gives dial tone.
    let now = rig.now;
    rig.phone().hang_up(now);
    rig.run(Duration::from_secs(2));
    assert_eq!(rig.d.line().state(), LineState::Idle);
    rig.lift();
    assert_eq!(rig.d.line().state(), LineState::DialTone);
}

fn connected() -> Rig {
    let mut rig = Rig::calling(SimConfig::default());
    rig.network(NetworkEvent::RemoteRinging);
    rig.run(Duration::from_millis(300));
    assert_eq!(heard(&rig), vec![440, 480], "ringback");
    rig.network(NetworkEvent::Answered);
    rig.run(Duration::from_millis(100));
    assert_eq!(rig.d.line().state(), LineState::Connected);
    rig
}

#[test]
fn flash_is_relayed_to_a_pbx_that_runs_the_services() {
    let mut rig = connected();
    let mut cfg = rig.d.line().config().clone();
    cfg.flash_mode = tipring_line::FlashMode::Relay;
    rig.d.line_mut().set_config(cfg).unwrap();
    let now = rig.now;
    rig.phone().flash(now, Duration::from_millis(300));
    rig.run(Duration::from_secs(2));
    assert!(rig.events().contains(&LineEvent::Flash));
    assert!(rig.calls().contains(&CallCommand::Flash));
    assert_eq!(rig.d.line().state(), LineState::Connected);
    assert!(!rig.calls().contains(&CallCommand::Hangup));
}

#[test]
fn a_long_flash_is_a_hang_up() {
    let mut rig = connected();
    let now = rig.now;
    rig.phone().flash(now, Duration::from_millis(1500));
    rig.run(Duration::from_secs(3));
    assert!(!rig.events().contains(&LineEvent::Flash));
    assert!(rig.calls().contains(&CallCommand::Hangup));
    // The phone is off hook again after the long break: fresh dial tone.
    assert_eq!(rig.d.line().state(), LineState::DialTone);
}

#[test]
fn remote_hang_up_gives_reorder() {
    let mut rig = connected();
    rig.network(NetworkEvent::RemoteHangup);
    rig.run(Duration::from_millis(300));
    assert_eq!(
        rig.d.line().state(),
        LineState::Treatment(ToneKind::Congestion)
    );
    assert_eq!(next_tone(&mut rig), vec![480, 620]);
}

#[test]
fn busy_far_end_gives_busy_tone() {
    let mut rig = Rig::calling(SimConfig::default());
    rig.network(NetworkEvent::Busy);
    rig.run(Duration::from_millis(200));
    assert_eq!(rig.d.line().state(), LineState::Treatment(ToneKind::Busy));
    assert_eq!(next_tone(&mut rig), vec![480, 620]);
}

#[test]
fn keys_during_a_call_go_to_the_sip_side() {
    let mut rig = connected();
    let now = rig.now;
    rig.phone().press(now, "12#").unwrap();
    rig.run(Duration::from_secs(1));
    let keys: Vec<CallCommand> = rig
        .calls()
        .into_iter()
        .filter(|c| matches!(c, CallCommand::Digit(_)))
        .collect();
    assert_eq!(
        keys,
        vec![
            CallCommand::Digit('1'),
            CallCommand::Digit('2'),
            CallCommand::Digit('#')
        ]
    );
}

//! The call's voice path through the port driver ([`tipring_line::VoicePath`]).

use std::time::{Duration, Instant};

use tipring_dsp::goertzel::Goertzel;
use tipring_dsp::level::dbm0_to_peak;
use tipring_dsp::Frame;
use tipring_hal::sim::SimConfig;
use tipring_line::{NetworkEvent, VoicePath};

use super::{Rig, FRAME};

/// Stands in for a media session: plays a 1 kHz tone at -10 dBm0 toward the phone and
/// records what the phone sends.
struct Loop {
    n: usize,
    heard: Vec<i16>,
    frames: usize,
}

impl Loop {
    fn new() -> Self {
        Self {
            n: 0,
            heard: Vec::new(),
            frames: 0,
        }
    }
}

fn sine(hz: f32, dbm0: f32, n: usize) -> i16 {
    let w = 2.0 * std::f32::consts::PI * hz / tipring_dsp::SAMPLE_RATE as f32;
    (dbm0_to_peak(dbm0) * (w * n as f32).sin()) as i16
}

impl VoicePath for Loop {
    fn exchange(&mut self, _now: Instant, _sent: &Frame, received: &Frame, next: &mut Frame) {
        self.frames += 1;
        self.heard.extend_from_slice(received);
        for s in next.iter_mut() {
            *s = sine(1000.0, -10.0, self.n);
            self.n += 1;
        }
    }
}

fn run_voice(rig: &mut Rig, voice: &mut Loop, d: Duration) {
    let end = rig.now + d;
    while rig.now < end {
        rig.now += FRAME;
        rig.d.tick_voice(rig.now, &mut rig.outputs, Some(voice));
    }
}

fn level_at(samples: &[i16], hz: f32) -> f32 {
    let mut g = Goertzel::new(hz);
    g.push(samples);
    g.level_dbm0()
}

#[test]
fn no_voice_before_the_call_connects() {
    let mut rig = Rig::calling(SimConfig::default());
    let mut voice = Loop::new();
    run_voice(&mut rig, &mut voice, Duration::from_millis(500));
    assert_eq!(
        voice.frames, 0,
        "calling without early media: no voice path"
    );
}

#[test]
fn connected_call_carries_audio_both_ways() {
    let mut rig = Rig::calling(SimConfig::default());
    rig.network(NetworkEvent::Answered);
    let mut voice = Loop::new();
    rig.phone().take_earpiece();
    let now = rig.now;
    // The phone's user speaks a 440 Hz tone for 300 ms.
    let spoken: Vec<i16> = (0..2400).map(|n| sine(440.0, -10.0, n)).collect();
    rig.phone().speak(now + Duration::from_millis(100), &spoken);
    run_voice(&mut rig, &mut voice, Duration::from_millis(600));
    assert_eq!(voice.frames, 60);
    // Network -> phone: the tone is in the earpiece at about its level.
    let ear = rig.phone().take_earpiece();
    let tail = &ear[ear.len() - 1600..];
    let l = level_at(tail, 1000.0);
    assert!((l + 10.0).abs() < 2.0, "1 kHz heard at {l:.1} dBm0");
    // Phone -> network: the spoken tone reached the voice path.
    let mid = &voice.heard[1600..3200];
    let l = level_at(mid, 440.0);
    assert!((l + 10.0).abs() < 2.0, "440 Hz sent at {l:.1} dBm0");
}

#[test]
fn early_media_opens_the_voice_path_while_calling() {
    let mut rig = Rig::calling(SimConfig::default());
    rig.network(NetworkEvent::EarlyMedia);
    let mut voice = Loop::new();
    run_voice(&mut rig, &mut voice, Duration::from_millis(200));
    assert_eq!(voice.frames, 20);
}

#[test]
fn voice_comes_back_after_type2_caller_id_on_call_waiting() {
    // SR-TSV-002476: the voice path is muted for the CAS, the ack and the FSK only.
    let mut rig = Rig::calling(SimConfig {
        type2_ack: Some('D'),
        ..SimConfig::default()
    });
    rig.network(NetworkEvent::Answered);
    let mut voice = Loop::new();
    run_voice(&mut rig, &mut voice, Duration::from_millis(200));
    rig.network(NetworkEvent::CallWaiting {
        caller: tipring_dsp::callerid::CallerId {
            number: Some("5551000".into()),
            ..Default::default()
        },
    });
    run_voice(&mut rig, &mut voice, Duration::from_millis(600));
    assert!(rig.d.line().mutes_voice(), "muted while caller ID is sent");
    run_voice(&mut rig, &mut voice, Duration::from_millis(1400));
    assert_eq!(rig.d.port().caller_id_log().len(), 1, "type 2 shown");
    assert!(!rig.d.line().mutes_voice(), "the voice path is open again");
    rig.phone().take_earpiece();
    run_voice(&mut rig, &mut voice, Duration::from_millis(300));
    let ear = rig.phone().take_earpiece();
    let l = level_at(&ear[ear.len() - 1600..], 1000.0);
    assert!(
        (l + 10.0).abs() < 2.0,
        "network audio heard again at {l:.1} dBm0"
    );
}

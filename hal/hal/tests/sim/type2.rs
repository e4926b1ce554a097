//! Type 2 (off-hook, call-waiting) caller ID: CAS, the phone's DTMF acknowledgement, FSK.

use tipring_dsp::callerid::{self, CallerId, Format, Message, CAS};
use tipring_dsp::dtmf::{DtmfDetector, DtmfDetectorConfig, DtmfEvent};
use tipring_dsp::fsk::FskStandard;
use tipring_hal::sim::SimConfig;

use crate::{tone_samples, Rig};

fn rig(ack: Option<char>, std: FskStandard) -> Rig {
    let mut rig = Rig::new(SimConfig {
        type2_ack: ack,
        caller_id: std,
        echo: None,
        ..SimConfig::default()
    });
    rig.port.lift(rig.ms(0));
    rig.run_to(500);
    rig
}

/// The CAS (2130 + 2750 Hz, 80 ms) as audio, plus silence to make whole frames.
fn cas() -> Vec<i16> {
    tone_samples(&CAS, 640)
}

/// SR-TSV-002476: after the CAS the CPE mutes, and within the 160 ms the CO waits sends the
/// DTMF acknowledgement ('D' for a non-ADSI set) for 55–65 ms; then the CO sends the FSK
/// (80 mark bits, no seizure) and the set displays it.
#[test]
fn cas_ack_fsk_sequence() {
    let mut rig = rig(Some('D'), FskStandard::Bell202);
    let cas_start = rig.port.now();
    let mut rx = rig.port.play(&cas());
    let cas_end_sample = 640;
    rx.extend(rig.port.play(&[0; 8 * 160]));
    // The ack in what the gateway received: exactly where the phone's tone is non-zero.
    let first = rx.iter().position(|&s| s != 0).expect("an acknowledgement");
    let last = rx.iter().rposition(|&s| s != 0).unwrap();
    let start_ms = (first - cas_end_sample) as f64 / 8.0;
    let len_ms = (last + 1 - first) as f64 / 8.0;
    assert!(
        (30.0..=60.0).contains(&start_ms),
        "ack {start_ms} ms after the CAS"
    );
    assert!((55.0..=65.0).contains(&len_ms), "ack lasted {len_ms} ms");
    assert!(start_ms + len_ms <= 160.0);
    let mut digits = String::new();
    DtmfDetector::new(DtmfDetectorConfig::default()).process(&rx, |e| {
        if let DtmfEvent::Start { digit, .. } = e {
            digits.push(digit);
        }
    });
    assert_eq!(digits, "D");

    let msg = Message::Call(CallerId {
        number: Some("5559876543".into()),
        name: Some("WAITING".into()),
        ..CallerId::default()
    });
    let mut m = callerid::fsk_burst(
        FskStandard::Bell202,
        &callerid::encode(&msg, Format::Mdmf),
        true,
        -13.0,
    );
    let mut fsk = vec![0i16; m.remaining_samples()];
    m.fill(&mut fsk);
    rig.port.play(&fsk);
    rig.port.play(&[0; 800]);
    let log = rig.port.caller_id_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].1, msg);
    assert!(log[0].0 > cas_start);
}

#[test]
fn etsi_type2_with_v23() {
    // ETSI EN 300 659-2: off-hook data after DT-AS and the 'D' acknowledgement, V.23.
    let mut rig = rig(Some('D'), FskStandard::V23);
    rig.port.play(&tone_samples(&callerid::DT_AS, 800));
    let rx = rig.port.play(&[0; 8 * 160]);
    assert!(rx.iter().any(|&s| s != 0), "acknowledged");
    let msg = Message::Call(CallerId {
        number: Some("01234".into()),
        ..CallerId::default()
    });
    let mut m = callerid::fsk_burst(
        FskStandard::V23,
        &callerid::encode(&msg, Format::Mdmf),
        true,
        -13.0,
    );
    let mut fsk = vec![0i16; m.remaining_samples()];
    m.fill(&mut fsk);
    rig.port.play(&fsk);
    rig.port.play(&[0; 800]);
    assert_eq!(
        rig.port
            .caller_id_log()
            .iter()
            .map(|l| l.1.clone())
            .collect::<Vec<_>>(),
        vec![msg]
    );
}

#[test]
fn no_ack_without_type2_support() {
    let mut rig = rig(None, FskStandard::Bell202);
    let mut rx = rig.port.play(&cas());
    rx.extend(rig.port.play(&[0; 8 * 300]));
    assert!(rx.iter().all(|&s| s == 0));
}

#[test]
fn no_ack_on_hook_or_for_a_short_tone() {
    let mut rig = Rig::new(SimConfig {
        type2_ack: Some('D'),
        echo: None,
        ..SimConfig::default()
    });
    let mut rx = rig.port.play(&cas());
    rx.extend(rig.port.play(&[0; 8 * 300]));
    assert!(rx.iter().all(|&s| s == 0), "on hook");
    let mut rig = rig_with_ack();
    // 30 ms of the CAS pair is not a CAS (≥ 60 ms needed).
    let mut rx = rig.port.play(&cas()[..240]);
    rx.extend(rig.port.play(&[0; 8 * 300]));
    assert!(rx.iter().all(|&s| s == 0), "short tone");
}

fn rig_with_ack() -> Rig {
    rig(Some('D'), FskStandard::Bell202)
}

#[test]
fn ack_digit_is_configurable() {
    let mut rig = rig(Some('A'), FskStandard::Bell202);
    let mut rx = rig.port.play(&cas());
    rx.extend(rig.port.play(&[0; 8 * 160]));
    let mut digits = String::new();
    DtmfDetector::new(DtmfDetectorConfig::default()).process(&rx, |e| {
        if let DtmfEvent::Start { digit, .. } = e {
            digits.push(digit);
        }
    });
    assert_eq!(digits, "A");
}

#[test]
fn invalid_ack_digit_is_rejected() {
    let cfg = SimConfig {
        type2_ack: Some('X'),
        ..SimConfig::default()
    };
    assert!(tipring_hal::sim::SimPort::new(cfg, crate::epoch()).is_err());
}

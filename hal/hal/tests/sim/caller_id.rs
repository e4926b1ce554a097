//! The phone's caller-ID display: FSK and DTMF CLIP received on hook.

use tipring_dsp::callerid::{self, Absence, CallerId, DateTime, Format, Message};
use tipring_dsp::dtmf::DtmfSender;
use tipring_dsp::fsk::FskStandard;
use tipring_dsp::tone::plan;
use tipring_hal::sim::SimConfig;
use tipring_hal::{After, Cadence, CadenceStep, FxsPort, LineFeed};

use crate::Rig;

fn caller() -> CallerId {
    CallerId {
        number: Some("5551234567".into()),
        name: Some("TIPRING LAB".into()),
        when: Some(DateTime {
            month: 3,
            day: 14,
            hour: 15,
            minute: 9,
        }),
        ..CallerId::default()
    }
}

/// The FSK burst (seizure, marks, message, trailing marks) as audio.
fn burst(
    std: FskStandard,
    msg: &Message,
    fmt: Format,
    level_dbm0: f32,
    off_hook: bool,
) -> Vec<i16> {
    let mut m = callerid::fsk_burst(std, &callerid::encode(msg, fmt), off_hook, level_dbm0);
    let mut out = vec![0i16; m.remaining_samples()];
    m.fill(&mut out);
    out
}

fn displayed(std: FskStandard, feed: LineFeed, audio: &[i16]) -> Vec<Message> {
    let mut rig = Rig::new(SimConfig {
        caller_id: std,
        ..SimConfig::default()
    });
    rig.run_to(100);
    rig.port.set_line_feed(feed).unwrap();
    rig.port.play(audio);
    rig.run_to(rig.rel(rig.port.now()) as u64 + 200);
    rig.port
        .caller_id_log()
        .iter()
        .map(|(_, m)| m.clone())
        .collect()
}

/// Telcordia GR-30-CORE on-hook data transmission: Bell 202 MDMF (type 0x80) with date,
/// number and name.
#[test]
fn bell202_mdmf_is_displayed() {
    let msg = Message::Call(caller());
    let audio = burst(FskStandard::Bell202, &msg, Format::Mdmf, -13.0, false);
    assert_eq!(
        displayed(
            FskStandard::Bell202,
            LineFeed::ForwardOnHookTransmission,
            &audio
        ),
        vec![msg]
    );
}

/// GR-30-CORE SDMF (type 0x04): date and number only.
#[test]
fn bell202_sdmf_is_displayed() {
    let msg = Message::Call(CallerId {
        name: None,
        ..caller()
    });
    let audio = burst(FskStandard::Bell202, &msg, Format::Sdmf, -13.0, false);
    assert_eq!(
        displayed(
            FskStandard::Bell202,
            LineFeed::ForwardOnHookTransmission,
            &audio
        ),
        vec![msg]
    );
}

/// ETSI EN 300 659-1/-3: V.23 FSK, MDMF layout, sent with reversed polarity; also at a low
/// level (EN 300 659-1 §5.3.1 receivers must work down to −40 dBV; −30 dBm0 here).
#[test]
fn v23_etsi_is_displayed() {
    let msg = Message::Call(CallerId {
        number: None,
        number_absence: Some(Absence::Private),
        ..caller()
    });
    for level in [-13.0, -30.0] {
        let audio = burst(FskStandard::V23, &msg, Format::Mdmf, level, false);
        assert_eq!(
            displayed(
                FskStandard::V23,
                LineFeed::ReverseOnHookTransmission,
                &audio
            ),
            vec![msg.clone()]
        );
    }
}

#[test]
fn no_display_without_on_hook_transmission() {
    let msg = Message::Call(caller());
    let audio = burst(FskStandard::Bell202, &msg, Format::Mdmf, -13.0, false);
    assert!(displayed(FskStandard::Bell202, LineFeed::ForwardActive, &audio).is_empty());
}

/// GR-30-CORE / EN 300 659-3 message waiting (MDMF 0x82): the lamp follows the message.
#[test]
fn vmwi_lamp_follows_messages() {
    let mut rig = Rig::new(SimConfig::default());
    rig.port
        .set_line_feed(LineFeed::ForwardOnHookTransmission)
        .unwrap();
    assert!(!rig.port.vmwi_lamp());
    rig.port.play(&burst(
        FskStandard::Bell202,
        &Message::Vmwi { active: true },
        Format::Mdmf,
        -13.0,
        false,
    ));
    rig.port.play(&[0; 1600]);
    assert!(rig.port.vmwi_lamp());
    rig.port.play(&burst(
        FskStandard::Bell202,
        &Message::Vmwi { active: false },
        Format::Sdmf,
        -13.0,
        false,
    ));
    rig.port.play(&[0; 1600]);
    assert!(!rig.port.vmwi_lamp());
    assert_eq!(rig.port.caller_id_log().len(), 2);
}

/// ETSI EN 300 659-1 Annex B DTMF CLIP: 'A' number 'C', before the first ring.
#[test]
fn dtmf_clip_is_displayed() {
    for cid in [
        CallerId {
            number: Some("0201234567".into()),
            ..CallerId::default()
        },
        CallerId {
            number_absence: Some(Absence::Private),
            ..CallerId::default()
        },
    ] {
        let mut sender = DtmfSender::default();
        sender
            .push(&callerid::dtmf_clip_digits(&cid), 70, 70)
            .unwrap();
        let mut audio = vec![0i16; 8 * 70 * 2 * 16];
        sender.fill(&mut audio);
        let got = displayed(
            FskStandard::V23,
            LineFeed::ReverseOnHookTransmission,
            &audio,
        );
        assert_eq!(got, vec![Message::Call(cid)]);
    }
}

/// GR-30-CORE §3: the data go between the first and second ring. The gateway rings one
/// burst, switches to on-hook transmission, sends, then resumes ringing.
#[test]
fn bell202_between_first_and_second_ring() {
    static FIRST: Cadence = Cadence {
        steps: &[CadenceStep::new(2000, 0)],
        after: After::Stop,
    };
    let mut rig = Rig::new(SimConfig::default());
    rig.port.set_line_feed(LineFeed::Ringing(FIRST)).unwrap();
    rig.run_to(2000);
    assert_eq!(rig.port.line_feed(), LineFeed::ForwardActive);
    rig.run_to(2500);
    rig.port
        .set_line_feed(LineFeed::ForwardOnHookTransmission)
        .unwrap();
    let msg = Message::Call(caller());
    rig.port.play(&burst(
        FskStandard::Bell202,
        &msg,
        Format::Mdmf,
        -13.0,
        false,
    ));
    let shown_at = rig
        .port
        .caller_id_log()
        .first()
        .map(|(t, _)| rig.rel(*t))
        .expect("displayed");
    rig.run_to(6000);
    rig.port
        .set_line_feed(LineFeed::Ringing(plan("us").unwrap().ring))
        .unwrap();
    rig.run_to(7000);
    assert!(rig.port.is_ringing());
    let second_ring = rig.rel(rig.port.ring_log()[1].start);
    assert!(
        shown_at > 2500.0 && shown_at < second_ring,
        "{shown_at} vs {second_ring}"
    );
    assert_eq!(rig.port.caller_id_log()[0].1, msg);
}

//! multimon-ng (an independent multi-protocol decoder) against our DTMF and CLIP FSK.
//! multimon-ng reads 22 050 Hz raw PCM: our 8 kHz output is resampled with sox.

use std::path::Path;

use tipring_dsp::callerid::{self, Absence, CallerId, DateTime, Format, Message};
use tipring_dsp::dtmf::{DtmfSender, DIGITS};
use tipring_dsp::fsk::FskStandard;

use crate::tools::{self, path};
use crate::wav;

/// Run multimon-ng with one demodulator on 8 kHz `pcm`; its stdout.
fn multimon(demod: &str, pcm: &[i16], dir: &Path, name: &str) -> String {
    let w = dir.join(format!("{name}.wav"));
    let raw = dir.join(format!("{name}.raw"));
    wav::write(&w, 8000, pcm);
    tools::sox_to_raw(&w, 22_050, &raw);
    let out = tools::run_ok(
        "multimon-ng",
        "multimon-ng",
        &["-q", "-c", "-a", demod, "-t", "raw", path(&raw)],
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn dtmf_pcm(digits: &str, on_ms: u32, off_ms: u32) -> Vec<i16> {
    let mut tx = DtmfSender::default();
    tx.push(digits, on_ms, off_ms).expect("valid digits");
    let mut pcm = vec![0i16; 800];
    let mut body = vec![0i16; (digits.len() as u32 * (on_ms + off_ms) * 8) as usize + 800];
    tx.fill(&mut body);
    assert!(tx.is_idle());
    pcm.extend(body);
    pcm
}

fn dtmf_digits(stdout: &str) -> String {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("DTMF: "))
        .map(str::trim)
        .collect()
}

/// multimon-ng's DTMF decoder hears all sixteen digits of our sender, at the default levels
/// and at the Q.24-style minimum timing of 40 ms tone / 40 ms pause, and our DTMF CLIP string.
#[test]
fn multimon_decodes_our_dtmf() {
    let dir = tools::temp_dir("multimon-dtmf");
    let out = multimon("DTMF", &dtmf_pcm(DIGITS, 70, 70), &dir, "all");
    assert_eq!(dtmf_digits(&out), DIGITS, "{out}");
    let out = multimon("DTMF", &dtmf_pcm(DIGITS, 40, 40), &dir, "fast");
    assert_eq!(dtmf_digits(&out), DIGITS, "{out}");
    let clip = callerid::dtmf_clip_digits(&CallerId {
        number: Some("0201234567".into()),
        ..CallerId::default()
    });
    let out = multimon("DTMF", &dtmf_pcm(&clip, 70, 70), &dir, "clip");
    assert_eq!(dtmf_digits(&out), "A0201234567C", "{out}");
}

fn clip_fsk(msg: &Message, std: FskStandard, dir: &Path, name: &str) -> String {
    let bytes = callerid::encode(msg, Format::Mdmf);
    let mut m = callerid::fsk_burst(std, &bytes, false, -13.0);
    let mut pcm = vec![0i16; 800 + m.remaining_samples() + 1600];
    m.fill(&mut pcm[800..]);
    multimon("CLIPFSK", &pcm, dir, name)
}

/// multimon-ng's CLIPFSK decoder (ETSI EN 300 659-3 MDMF over V.23) shows the fields of our
/// call set-up (CS) and message-waiting (MWI) messages: date, number (CID) or its absence
/// (RACLI), name (CNT) or its absence (RACNT), and the visual indicator.
#[test]
fn multimon_decodes_our_clip_fsk() {
    let dir = tools::temp_dir("multimon-clip");
    let when = Some(DateTime {
        month: 12,
        day: 24,
        hour: 18,
        minute: 5,
    });
    let full = Message::Call(CallerId {
        number: Some("0612345678".into()),
        name: Some("Jan de Vries".into()),
        when,
        ..CallerId::default()
    });
    let out = clip_fsk(&full, FskStandard::V23, &dir, "full");
    let line = out
        .lines()
        .find(|l| l.starts_with("CLIPFSK: CS"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("DATE=12241805"), "{line}");
    assert!(line.contains("CID=0612345678"), "{line}");
    assert!(line.contains("CNT=Jan de Vries"), "{line}");

    let withheld = Message::Call(CallerId {
        number_absence: Some(Absence::Private),
        name_absence: Some(Absence::Unavailable),
        when,
        ..CallerId::default()
    });
    let out = clip_fsk(&withheld, FskStandard::V23, &dir, "withheld");
    let line = out
        .lines()
        .find(|l| l.starts_with("CLIPFSK: CS"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("RACLI=P"), "{line}");
    assert!(line.contains("RACNT=O"), "{line}");
    assert!(!line.contains("CID="), "{line}");

    for (active, word) in [(true, "Activation"), (false, "Deactivation")] {
        let out = clip_fsk(&Message::Vmwi { active }, FskStandard::V23, &dir, "mwi");
        let line = out
            .lines()
            .find(|l| l.starts_with("CLIPFSK: MWI"))
            .unwrap_or_else(|| panic!("{out}"));
        assert!(line.contains(word), "{line}");
    }
}

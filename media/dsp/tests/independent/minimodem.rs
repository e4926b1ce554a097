//! minimodem (an independent software FSK modem) against our caller-ID FSK, both ways.

use std::path::{Path, PathBuf};

use tipring_dsp::callerid::{self, Absence, CallerId, DateTime, Format, Message, MessageReceiver};
use tipring_dsp::fsk::{FskDemodulator, FskStandard};

use crate::tools::{self, path};
use crate::wav;

/// 100 ms silence, the on-hook burst (GR-30 / EN 300 659-1 preamble), 200 ms silence.
fn burst_wav(std: FskStandard, bytes: &[u8], dir: &Path, name: &str) -> PathBuf {
    let mut m = callerid::fsk_burst(std, bytes, false, -13.0);
    let mut pcm = vec![0i16; 800];
    let mut body = vec![0i16; m.remaining_samples()];
    m.fill(&mut body);
    pcm.extend(body);
    pcm.extend(std::iter::repeat_n(0, 1600));
    let p = dir.join(name);
    wav::write(&p, 8000, &pcm);
    p
}

/// minimodem receive options for raw 8-N-1 bytes with our tones.
fn rx_args(std: FskStandard) -> Vec<&'static str> {
    match std {
        FskStandard::Bell202 => vec!["--rx", "-q", "--ascii", "1200"],
        FskStandard::V23 => vec!["--rx", "-q", "--ascii", "-M", "1300", "-S", "2100", "1200"],
    }
}

pub fn messages() -> Vec<(Message, Format)> {
    let when = Some(DateTime {
        month: 9,
        day: 30,
        hour: 12,
        minute: 24,
    });
    let full = CallerId {
        number: Some("6095551212".into()),
        name: Some("JOHN DOE".into()),
        when,
        ..CallerId::default()
    };
    let private = CallerId {
        number_absence: Some(Absence::Private),
        name_absence: Some(Absence::Private),
        when,
        ..CallerId::default()
    };
    vec![
        (Message::Call(full.clone()), Format::Mdmf),
        (Message::Call(full), Format::Sdmf),
        (Message::Call(private.clone()), Format::Mdmf),
        (Message::Call(private), Format::Sdmf),
        (Message::Vmwi { active: true }, Format::Mdmf),
        (Message::Vmwi { active: false }, Format::Sdmf),
    ]
}

/// minimodem receives exactly our encoded bytes (after the seizure's own framing of 0101…
/// as 0x55 bytes), Bell 202 and V.23, for every message kind.
#[test]
fn minimodem_receives_our_bytes() {
    let dir = tools::temp_dir("minimodem-bytes");
    for std in [FskStandard::Bell202, FskStandard::V23] {
        for (i, (msg, fmt)) in messages().into_iter().enumerate() {
            let bytes = callerid::encode(&msg, fmt);
            let p = burst_wav(std, &bytes, &dir, &format!("{std:?}-{i}.wav"));
            let mut args = rx_args(std);
            args.extend(["-f", path(&p)]);
            let out = tools::run_ok("minimodem", "minimodem", &args);
            assert!(
                out.stdout.ends_with(&bytes),
                "{std:?} {msg:?} {fmt:?}: minimodem gave {:02x?}, we sent {bytes:02x?}",
                out.stdout
            );
            // Everything before the message is the channel seizure, framed as bytes.
            let lead = &out.stdout[..out.stdout.len() - bytes.len()];
            assert!(lead.iter().all(|&b| b == 0x55 || b == 0xD5), "{lead:02x?}");
        }
    }
}

fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .map(str::trim)
}

/// minimodem's own caller-ID mode (Bell 202, SDMF and MDMF) shows our date, number and name.
#[test]
fn minimodem_callerid_mode_shows_our_fields() {
    let dir = tools::temp_dir("minimodem-cid");
    for (i, (msg, fmt)) in messages().into_iter().enumerate() {
        let Message::Call(cid) = &msg else { continue };
        let bytes = callerid::encode(&msg, fmt);
        let p = burst_wav(FskStandard::Bell202, &bytes, &dir, &format!("cid-{i}.wav"));
        let out = tools::run_ok(
            "minimodem",
            "minimodem",
            &["--rx", "-q", "callerid", "-f", path(&p)],
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            field(&text, "Time:"),
            Some("09/30 12:24"),
            "{fmt:?}: {text}"
        );
        let phone = field(&text, "Phone:").map(|p| p.replace('-', ""));
        match (&cid.number, cid.number_absence) {
            (Some(n), _) => assert_eq!(phone.as_deref(), Some(n.as_str()), "{fmt:?}: {text}"),
            // minimodem shows the MDMF absence parameter 'P' as "[blocked]" and the SDMF
            // number field 'P' as it is.
            (None, Some(Absence::Private)) => {
                let shown = if fmt == Format::Mdmf {
                    "[blocked]"
                } else {
                    "P"
                };
                assert_eq!(phone.as_deref(), Some(shown), "{text}")
            }
            (None, _) => panic!("no unavailable case in messages()"),
        }
        if fmt == Format::Mdmf {
            let name = field(&text, "Name:");
            match (&cid.name, cid.name_absence) {
                (Some(n), _) => assert_eq!(name, Some(n.as_str()), "{text}"),
                (None, Some(_)) => assert_eq!(name, Some("[blocked]"), "{text}"),
                (None, None) => assert_eq!(name, None, "{text}"),
            }
        }
    }
}

/// Our demodulator and message receiver decode minimodem's transmissions (an independent
/// modulator with its own timing and amplitude), Bell 202 and V.23.
#[test]
fn we_receive_minimodem_transmissions() {
    let dir = tools::temp_dir("minimodem-tx");
    for std in [FskStandard::Bell202, FskStandard::V23] {
        for (i, (msg, fmt)) in messages().into_iter().enumerate() {
            let bytes = callerid::encode(&msg, fmt);
            // minimodem rounds samples per bit to an integer (7 at 8 kHz = 1143 baud), so it
            // transmits at 48 kHz (exactly 40 samples per bit) and sox resamples to 8 kHz.
            let hi = dir.join(format!("tx-{std:?}-{i}-48k.wav"));
            let p = dir.join(format!("tx-{std:?}-{i}.wav"));
            let mut args = vec!["--tx", "-R", "48000", "-f", path(&hi)];
            if std == FskStandard::V23 {
                args.extend(["-M", "1300", "-S", "2100"]);
            }
            args.push("1200");
            tools::run_with_stdin("minimodem", "minimodem", &args, &bytes);
            tools::run_ok(
                "sox",
                "sox",
                &[path(&hi), "-r", "8000", "-b", "16", path(&p)],
            );
            let (rate, pcm) = wav::read(&p);
            assert_eq!(rate, 8000);
            let mut demod = FskDemodulator::new(std);
            let mut rx = MessageReceiver::new();
            let mut raw = Vec::new();
            let mut got = Vec::new();
            demod.process(&pcm, |b| {
                raw.push(b);
                got.extend(rx.push(b));
            });
            assert_eq!(raw, bytes, "{std:?} {msg:?}: raw bytes");
            // SDMF drops the name: compare with what the bytes themselves say.
            let expected = callerid::decode(&bytes).expect("valid message").0;
            assert_eq!(got, vec![expected], "{std:?} {fmt:?}");
        }
    }
}

//! Caller-ID unit tests. Vectors: the SDMF and MDMF examples of Telcordia GR-30-CORE
//! (as reproduced in most CPE application notes).

use super::*;
use crate::fsk::FskDemodulator;
use crate::tone::ToneGenerator;

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect()
}

fn dt(month: u8, day: u8, hour: u8, minute: u8) -> Option<DateTime> {
    Some(DateTime {
        month,
        day,
        hour,
        minute,
    })
}

/// GR-30-CORE SDMF example: September 30, 12:24, 609 555 1212, checksum 0x51.
#[test]
fn sdmf_vector() {
    let v = hex("04 12 30 39 33 30 31 32 32 34 36 30 39 35 35 35 31 32 31 32 51");
    let cid = CallerId {
        number: Some("6095551212".into()),
        when: dt(9, 30, 12, 24),
        ..CallerId::default()
    };
    assert_eq!(encode(&Message::Call(cid.clone()), Format::Sdmf), v);
    assert_eq!(decode(&v), Ok((Message::Call(cid), v.len())));
}

/// GR-30-CORE SDMF example of a blocked call: number field 'P'. The copies of this example
/// in circulation print checksum 0x12, which breaks the GR-30 rule (all bytes including the
/// checksum sum to 0 mod 256); the correct byte is 0x0E, and the misprint must be rejected.
#[test]
fn sdmf_private_vector() {
    let misprint = hex("04 09 30 39 33 30 31 32 32 34 50 12");
    assert_eq!(
        decode(&misprint),
        Err(Error::BadChecksum {
            computed: 0x0E,
            received: 0x12
        })
    );
    let v = hex("04 09 30 39 33 30 31 32 32 34 50 0E");
    let cid = CallerId {
        number_absence: Some(Absence::Private),
        when: dt(9, 30, 12, 24),
        ..CallerId::default()
    };
    assert_eq!(encode(&Message::Call(cid.clone()), Format::Sdmf), v);
    assert_eq!(decode(&v).unwrap().0, Message::Call(cid));
}

/// GR-30-CORE MDMF example: date 03/24 09:02, name "JOHN DOE", number 800 555 1212. As
/// with the SDMF private example, circulating copies print checksum 0x7D; the bytes sum to
/// a checksum of 0x84.
#[test]
fn mdmf_vector() {
    let body = "80 20 01 08 30 33 32 34 30 39 30 32 07 08 4A 4F 48 4E 20 44 4F 45 \
                02 0A 38 30 30 35 35 35 31 32 31 32";
    let misprint = hex(&format!("{body} 7D"));
    assert_eq!(
        decode(&misprint),
        Err(Error::BadChecksum {
            computed: 0x84,
            received: 0x7D
        })
    );
    let v = hex(&format!("{body} 84"));
    let cid = CallerId {
        number: Some("8005551212".into()),
        name: Some("JOHN DOE".into()),
        when: dt(3, 24, 9, 2),
        ..CallerId::default()
    };
    assert_eq!(decode(&v), Ok((Message::Call(cid.clone()), v.len())));
    // Our encoder puts the number before the name; same content, same length.
    let ours = encode(&Message::Call(cid.clone()), Format::Mdmf);
    assert_eq!(ours.len(), v.len());
    assert_eq!(decode(&ours).unwrap().0, Message::Call(cid));
}

/// GR-30-CORE SDMF VMWI (0x06, 42 42 42 / 6F 6F 6F) and MDMF / EN 300 659-3 VMWI
/// (0x82, parameter 0x0B = FF / 00).
#[test]
fn vmwi_messages() {
    assert_eq!(
        encode(&Message::Vmwi { active: true }, Format::Sdmf),
        hex("06 03 42 42 42 31")
    );
    assert_eq!(
        encode(&Message::Vmwi { active: false }, Format::Sdmf),
        hex("06 03 6F 6F 6F AA")
    );
    assert_eq!(
        encode(&Message::Vmwi { active: true }, Format::Mdmf),
        hex("82 03 0B 01 FF 70")
    );
    assert_eq!(
        encode(&Message::Vmwi { active: false }, Format::Mdmf),
        hex("82 03 0B 01 00 6F")
    );
    for active in [true, false] {
        for fmt in [Format::Sdmf, Format::Mdmf] {
            let b = encode(&Message::Vmwi { active }, fmt);
            assert_eq!(decode(&b).unwrap().0, Message::Vmwi { active });
        }
    }
}

#[test]
fn round_trips() {
    let cases = [
        CallerId {
            number: Some("0123456789".into()),
            when: dt(12, 31, 23, 59),
            ..CallerId::default()
        },
        CallerId {
            number_absence: Some(Absence::Unavailable),
            when: dt(1, 1, 0, 0),
            ..CallerId::default()
        },
        CallerId {
            number: Some("+441234567890".into()),
            name_absence: Some(Absence::Private),
            when: dt(7, 4, 8, 30),
            ..CallerId::default()
        },
        CallerId {
            number_absence: Some(Absence::Private),
            name: Some("Zoë".into()),
            ..CallerId::default()
        },
    ];
    for cid in &cases {
        let b = encode(&Message::Call(cid.clone()), Format::Mdmf);
        assert_eq!(
            decode(&b),
            Ok((Message::Call(cid.clone()), b.len())),
            "{cid:?}"
        );
    }
    // SDMF keeps date and number only.
    let b = encode(&Message::Call(cases[2].clone()), Format::Sdmf);
    let (Message::Call(back), _) = decode(&b).unwrap() else {
        panic!()
    };
    assert_eq!(back.number.as_deref(), Some("+441234567"));
    assert_eq!(back.name, None);
    // No date in SDMF: sent as zeros, read back as None.
    let b = encode(&Message::Call(cases[3].clone()), Format::Sdmf);
    assert_eq!(&b[2..10], b"00000000");
    assert_eq!(
        decode(&b).unwrap().0,
        Message::Call(CallerId {
            number_absence: Some(Absence::Private),
            ..CallerId::default()
        })
    );
}

#[test]
fn limits_truncate() {
    let cid = CallerId {
        number: Some("1".repeat(40)),
        name: Some("N".repeat(80)),
        ..CallerId::default()
    };
    let (Message::Call(back), _) =
        decode(&encode(&Message::Call(cid.clone()), Format::Mdmf)).unwrap()
    else {
        panic!()
    };
    assert_eq!(back.number.unwrap().len(), MDMF_MAX_NUMBER);
    assert_eq!(back.name.unwrap().len(), MDMF_MAX_NAME);
    let (Message::Call(back), _) = decode(&encode(&Message::Call(cid), Format::Sdmf)).unwrap()
    else {
        panic!()
    };
    assert_eq!(back.number.unwrap().len(), SDMF_MAX_NUMBER);
}

#[test]
fn decode_errors() {
    let mut v = hex("04 12 30 39 33 30 31 32 32 34 36 30 39 35 35 35 31 32 31 32 51");
    assert_eq!(
        decode(&v[..10]),
        Err(Error::Truncated {
            needed: 21,
            have: 10
        })
    );
    assert_eq!(
        decode(&v[..1]),
        Err(Error::Truncated { needed: 2, have: 1 })
    );
    v[5] ^= 1;
    assert!(matches!(
        decode(&v),
        Err(Error::BadChecksum { received: 0x51, .. })
    ));
    assert_eq!(
        decode(&hex("05 00 FB")),
        Err(Error::UnknownMessageType(0x05))
    );
    // MDMF parameter longer than the message.
    let bad = finish(MDMF_CALL, &[P_NUMBER, 9, b'1']);
    assert!(matches!(decode(&bad), Err(Error::Malformed(_))));
    // Trailing bytes after a message are not consumed.
    let mut two = encode(&Message::Vmwi { active: true }, Format::Mdmf);
    two.extend_from_slice(&[1, 2, 3]);
    assert_eq!(decode(&two).unwrap().1, 6);
}

#[test]
fn receiver_skips_garbage() {
    let msg = Message::Call(CallerId {
        number: Some("5551234".into()),
        ..CallerId::default()
    });
    let bytes = encode(&msg, Format::Mdmf);
    let mut rx = MessageReceiver::new();
    // Seizure-like bytes, a false MDMF start with a long length, then the message.
    let mut stream = vec![0x55, 0xAA, 0x55, 0x80, 0x7F, 0x04];
    stream.extend_from_slice(&bytes);
    let mut got = Vec::new();
    for b in stream {
        got.extend(rx.push(b));
    }
    assert_eq!(got, vec![msg.clone()]);
    // A corrupted copy yields nothing; the next good one does.
    let mut bad = bytes.clone();
    bad[4] ^= 0x10;
    let got: Vec<_> = bad
        .iter()
        .chain(&bytes)
        .filter_map(|&b| rx.push(b))
        .collect();
    assert_eq!(got, vec![msg]);
}

#[test]
fn preambles() {
    assert_eq!(fsk_preamble(FskStandard::Bell202, false), (300, 180));
    assert_eq!(fsk_preamble(FskStandard::V23, false), (300, 80));
    assert_eq!(fsk_preamble(FskStandard::Bell202, true), (0, 80));
    assert_eq!(fsk_preamble(FskStandard::V23, true), (0, 80));
    assert_eq!(
        Signalling::Bell202.fsk_standard(),
        Some(FskStandard::Bell202)
    );
    assert_eq!(
        Signalling::Etsi(EtsiAlert::RingPulse).fsk_standard(),
        Some(FskStandard::V23)
    );
    assert_eq!(Signalling::DtmfClip.fsk_standard(), None);
    assert_eq!(Signalling::Off.fsk_standard(), None);
}

/// GR-30-CORE §3 / EN 300 659-1: burst = seizure + mark + 10 bits per byte + trailing mark,
/// and the phone recovers the message from it.
#[test]
fn burst_length_and_decode() {
    let msg = Message::Call(CallerId {
        number: Some("0612345678".into()),
        name: Some("Jansen".into()),
        when: dt(5, 6, 7, 8),
        ..CallerId::default()
    });
    let bytes = encode(&msg, Format::Mdmf);
    for (std, off_hook) in [
        (FskStandard::Bell202, false),
        (FskStandard::V23, false),
        (FskStandard::V23, true),
    ] {
        let mut m = fsk_burst(std, &bytes, off_hook, -13.0);
        let (s, k) = fsk_preamble(std, off_hook);
        let bits = u64::from(s + k) + 10 * bytes.len() as u64 + 16;
        assert_eq!(m.remaining_samples() as u64, (bits * 8000).div_ceil(1200));
        let mut pcm = vec![0i16; m.remaining_samples()];
        m.fill(&mut pcm);
        let mut d = FskDemodulator::new(std);
        let mut rx = MessageReceiver::new();
        let mut got = Vec::new();
        d.process(&pcm, |b| got.extend(rx.push(b)));
        assert_eq!(got, vec![msg.clone()], "{std:?} off-hook {off_hook}");
    }
}

/// EN 300 659-1 Annex B (DTMF CLIP): 'A' number 'C'; absence 'B' code 'C'.
#[test]
fn dtmf_clip() {
    let cid = CallerId {
        number: Some("0201234567".into()),
        ..CallerId::default()
    };
    assert_eq!(dtmf_clip_digits(&cid), "A0201234567C");
    assert_eq!(parse_dtmf_clip("A0201234567C"), Some(cid));
    let private = CallerId {
        number_absence: Some(Absence::Private),
        ..CallerId::default()
    };
    assert_eq!(dtmf_clip_digits(&private), "B10C");
    assert_eq!(parse_dtmf_clip("B10C"), Some(private));
    let unavailable = CallerId {
        number_absence: Some(Absence::Unavailable),
        ..CallerId::default()
    };
    assert_eq!(dtmf_clip_digits(&unavailable), "B00C");
    assert_eq!(dtmf_clip_digits(&CallerId::default()), "B00C");
    assert_eq!(parse_dtmf_clip("B00C"), Some(unavailable));
    assert_eq!(
        parse_dtmf_clip("D123#").unwrap().number.as_deref(),
        Some("123")
    );
    for bad in ["", "AC", "A12", "123C", "A1B2C", "B99C", "C123A"] {
        assert_eq!(parse_dtmf_clip(bad), None, "{bad:?}");
    }
    // The digit string is sendable as DTMF.
    let mut tx = crate::dtmf::DtmfSender::default();
    tx.push(
        &dtmf_clip_digits(&CallerId {
            number: Some("(020) 123".into()),
            ..CallerId::default()
        }),
        70,
        70,
    )
    .unwrap();
}

fn play(spec: &ToneSpec, lead_ms: usize, tail_ms: usize) -> Vec<i16> {
    let mut g = ToneGenerator::new(spec);
    let mut out = vec![0i16; lead_ms * 8];
    let mut body = vec![0i16; 8 * 200];
    g.fill(&mut body);
    assert!(g.is_done());
    out.extend(body);
    out.extend(std::iter::repeat_n(0i16, tail_ms * 8));
    out
}

/// SR-TSV-002476 CAS: 2130 + 2750 Hz for 80 ms (-15 dBm0 per tone here); EN 300 659-1
/// DT-AS: the same pair for 100 ms. Generated output has exact duration and level, and the
/// phone's detector fires once per alert.
#[test]
fn cas_and_dt_as() {
    for (spec, ms) in [(&CAS, 80usize), (&DT_AS, 100)] {
        let pcm = play(spec, 0, 0);
        let on = pcm.iter().rposition(|&s| s != 0).unwrap() + 1;
        assert!((ms * 8 - 3..=ms * 8).contains(&on), "{on}");
        assert!((crate::goertzel::tone_level_dbm0(&pcm[..ms * 8], 2130.0) + 15.0).abs() < 0.3);
        assert!((crate::goertzel::tone_level_dbm0(&pcm[..ms * 8], 2750.0) + 15.0).abs() < 0.3);
    }
    for lead in [0, 3, 7, 13] {
        let mut pcm = play(&CAS, lead, 50);
        pcm.extend(play(&DT_AS, 100, 50));
        let mut det = DualToneDetector::new(2130.0, 2750.0, -30.0, 60);
        let hits = pcm.chunks(80).filter(|c| det.process(c)).count();
        assert_eq!(hits, 2, "lead {lead}");
        // DT-AS minimum of 80 ms: only the 100 ms alert fires.
        let mut det = DualToneDetector::new(2130.0, 2750.0, -30.0, 90);
        let hits = pcm.chunks(80).filter(|c| det.process(c)).count();
        assert_eq!(hits, 1, "lead {lead}");
    }
}

#[test]
fn dual_tone_detector_rejects_others() {
    let mut det = DualToneDetector::new(2130.0, 2750.0, -30.0, 60);
    // One tone only, a DTMF digit, the pair too quiet.
    const ONE: &[ToneComponent] = &[ToneComponent::new(2130.0, -10.0)];
    const QUIET: &[ToneComponent] = &[
        ToneComponent::new(2130.0, -40.0),
        ToneComponent::new(2750.0, -40.0),
    ];
    let single = ToneSpec {
        components: ONE,
        modulation: None,
        cadence: crate::cadence::Cadence::CONTINUOUS,
    };
    let mut g = ToneGenerator::new(&single);
    let mut pcm = vec![0i16; 4000];
    g.fill(&mut pcm);
    assert!(!det.process(&pcm));
    let mut tx = crate::dtmf::DtmfSender::default();
    tx.push("0123456789ABCD*#", 100, 20).unwrap();
    let mut pcm = vec![0i16; 8 * 2000];
    tx.fill(&mut pcm);
    assert!(!det.process(&pcm));
    let quiet = ToneSpec {
        components: QUIET,
        modulation: None,
        cadence: crate::cadence::Cadence::CONTINUOUS,
    };
    let mut g = ToneGenerator::new(&quiet);
    let mut pcm = vec![0i16; 4000];
    g.fill(&mut pcm);
    assert!(!det.process(&pcm));
}

//! National tone plans.
//!
//! Sources: ITU-T E.180 Supplement 2 ("Various tones used in national networks") for
//! frequencies and cadences of every country, plus the national documents named per plan.
//! E.180 Supp. 2 gives no levels for most countries; where the national document is not to
//! hand the level is the widely used value (as configured in common analog telephone
//! adapters) and the comment says so. Levels are per component in dBm0.
//!
//! The off-hook warning (howler) of most countries is an escalating tone that a fixed-level
//! [`ToneSpec`] cannot express; plans without a national definition use the North American
//! receiver-off-hook tone (ANSI T1.401: 1400 + 2060 + 2450 + 2600 Hz, 0.1 s on / 0.1 s off)
//! at [`ROH_DBM0`], the loudest level at which the four components cannot clip 16-bit PCM
//! (the analog line card adds the rest of the loudness).

use super::{Modulation, ToneComponent, TonePlan, ToneSpec};
use crate::cadence::{After, Cadence, CadenceStep};
use crate::callerid::{EtsiAlert, Signalling};

/// Per-component level of the four-frequency receiver-off-hook tone: four in-phase peaks of
/// `dbm0_to_peak(-9)` = 8 056 sum to 32 224 < 32 767.
pub const ROH_DBM0: f32 = -9.0;

const fn s(on_ms: u32, off_ms: u32) -> CadenceStep {
    CadenceStep::new(on_ms, off_ms)
}

const fn c(freq_hz: f32, level_dbm0: f32) -> ToneComponent {
    ToneComponent::new(freq_hz, level_dbm0)
}

const fn repeat(steps: &'static [CadenceStep]) -> Cadence {
    Cadence {
        steps,
        after: After::Repeat,
    }
}

const fn then_steady(steps: &'static [CadenceStep]) -> Cadence {
    Cadence {
        steps,
        after: After::Steady,
    }
}

const fn once(steps: &'static [CadenceStep]) -> Cadence {
    Cadence {
        steps,
        after: After::Stop,
    }
}

const fn tone(components: &'static [ToneComponent], cadence: Cadence) -> ToneSpec {
    ToneSpec {
        components,
        modulation: None,
        cadence,
    }
}

const fn am_tone(
    components: &'static [ToneComponent],
    freq_hz: f32,
    depth: f32,
    cadence: Cadence,
) -> ToneSpec {
    ToneSpec {
        components,
        modulation: Some(Modulation { freq_hz, depth }),
        cadence,
    }
}

const CONTINUOUS: Cadence = Cadence::CONTINUOUS;

/// Ten 0.1 s on / 0.1 s off bursts, then steady: the message-waiting stutter of
/// Telcordia GR-506-CORE (LSSGR signaling, §17.2.4 "stutter dial tone"), used here by the
/// plans without a national stutter cadence.
const STUTTER_10: &[CadenceStep] = &[
    s(100, 100),
    s(100, 100),
    s(100, 100),
    s(100, 100),
    s(100, 100),
    s(100, 100),
    s(100, 100),
    s(100, 100),
    s(100, 100),
    s(100, 100),
];

const ROH_COMPONENTS: &[ToneComponent] = &[
    c(1400.0, ROH_DBM0),
    c(2060.0, ROH_DBM0),
    c(2450.0, ROH_DBM0),
    c(2600.0, ROH_DBM0),
];
const ROH: ToneSpec = tone(ROH_COMPONENTS, repeat(&[s(100, 100)]));

// ---------------------------------------------------------------------------------------
/// United States: Telcordia GR-506-CORE §17 / ANSI T1.401 "precise tone plan" (also
/// E.180 Supp. 2, United States). Ringing: 2 s on, 4 s off (GR-506 standard ringing).
/// Caller ID: Telcordia GR-30-CORE Bell 202 FSK between the first and second ring.
pub static US: TonePlan = TonePlan {
    code: "us",
    name: "United States",
    ring: repeat(&[s(2000, 4000)]),
    caller_id: Signalling::Bell202,
    tones: [
        // Dial: 350 + 440 Hz, -13 dBm0 each, continuous.
        tone(&[c(350.0, -13.0), c(440.0, -13.0)], CONTINUOUS),
        // Stutter (message waiting): dial tone 0.1/0.1 s × 10, then steady.
        tone(&[c(350.0, -13.0), c(440.0, -13.0)], then_steady(STUTTER_10)),
        // Busy (line busy): 480 + 620 Hz, -24 dBm0 each, 0.5 s on / 0.5 s off.
        tone(&[c(480.0, -24.0), c(620.0, -24.0)], repeat(&[s(500, 500)])),
        // Audible ringing: 440 + 480 Hz, -19 dBm0 each, 2 s on / 4 s off.
        tone(
            &[c(440.0, -19.0), c(480.0, -19.0)],
            repeat(&[s(2000, 4000)]),
        ),
        // Reorder: 480 + 620 Hz, -24 dBm0 each, 0.25 s on / 0.25 s off.
        tone(&[c(480.0, -24.0), c(620.0, -24.0)], repeat(&[s(250, 250)])),
        // Call waiting: 440 Hz, -13 dBm0, one 0.3 s burst, repeated once after 10 s.
        tone(&[c(440.0, -13.0)], once(&[s(300, 9700), s(300, 0)])),
        // Receiver off-hook: 1400 + 2060 + 2450 + 2600 Hz, 0.1 s on / 0.1 s off.
        ROH,
    ],
};

// ---------------------------------------------------------------------------------------
/// United Kingdom: BT SIN 350 (tones), E.180 Supp. 2 (United Kingdom). Levels as widely
/// configured for BT lines (SIN 350 itself not to hand): dial 350 Hz -20 dBm0 + 440 Hz -23 dBm0,
/// other tones -20 dBm0. Ringing: 0.4 s on, 0.2 s off, 0.4 s on, 2 s off.
/// Caller ID: BT SIN 227 (V.23 FSK before the first ring, after a line reversal and DT-AS).
pub static UK: TonePlan = TonePlan {
    code: "uk",
    name: "United Kingdom",
    ring: repeat(&[s(400, 200), s(400, 2000)]),
    caller_id: Signalling::Etsi(EtsiAlert::LineReversalDtAs),
    tones: [
        tone(&[c(350.0, -20.0), c(440.0, -23.0)], CONTINUOUS),
        // "Interrupted dial tone" (special proceed indication): 0.75 s on / 0.75 s off. BT
        // keeps interrupting it; here it turns steady after four cycles (the ToneKind contract).
        tone(
            &[c(350.0, -20.0), c(440.0, -23.0)],
            then_steady(&[s(750, 750), s(750, 750), s(750, 750), s(750, 750)]),
        ),
        // Busy (engaged): 400 Hz, 0.375 s on / 0.375 s off.
        tone(&[c(400.0, -20.0)], repeat(&[s(375, 375)])),
        // Ringing tone: 400 + 450 Hz, 0.4/0.2/0.4/2.0 s.
        tone(
            &[c(400.0, -20.0), c(450.0, -20.0)],
            repeat(&[s(400, 200), s(400, 2000)]),
        ),
        // Congestion (path engaged): 400 Hz, 0.4 on, 0.35 off, 0.225 on, 0.525 off (SIN 350
        // plays the second burst 6 dB louder; one level here).
        tone(&[c(400.0, -20.0)], repeat(&[s(400, 350), s(225, 525)])),
        // Call waiting: 400 Hz, 0.1 s on, 3 s off, 0.1 s on.
        tone(&[c(400.0, -20.0)], once(&[s(100, 3000), s(100, 0)])),
        ROH,
    ],
};

// ---------------------------------------------------------------------------------------
/// Germany: Deutsche Telekom 1 TR 110-1 / E.180 Supp. 2 (Germany): 425 Hz tones, "Sonderwählton"
/// 400 + 425 Hz. Level -10 dBm0 (the nominal tone level of ITU-T E.180 §2; 1 TR 110 not to
/// hand). Ringing 1 s on / 4 s off. Caller ID: V.23 FSK after the first ring (EN 300 659-1 §6.1.1).
pub static DE: TonePlan = TonePlan {
    code: "de",
    name: "Germany",
    ring: repeat(&[s(1000, 4000)]),
    caller_id: Signalling::Etsi(EtsiAlert::AfterFirstRing),
    tones: [
        tone(&[c(425.0, -10.0)], CONTINUOUS),
        // Special dial tone: 400 + 425 Hz continuous (a 25 Hz beat, no on/off steps).
        tone(&[c(400.0, -13.0), c(425.0, -13.0)], CONTINUOUS),
        tone(&[c(425.0, -10.0)], repeat(&[s(480, 480)])),
        tone(&[c(425.0, -10.0)], repeat(&[s(1000, 4000)])),
        tone(&[c(425.0, -10.0)], repeat(&[s(240, 240)])),
        // Call waiting: 425 Hz 0.2 on, 0.2 off, 0.2 on (E.180 Supp. 2 repeats it after 5 s).
        tone(&[c(425.0, -10.0)], once(&[s(200, 200), s(200, 0)])),
        ROH,
    ],
};

// ---------------------------------------------------------------------------------------
/// France: E.180 Supp. 2 (France): 440 Hz tones; level -10 dBm0 (E.180 §2 nominal; the
/// France Télécom document not to hand). Ringing 1.5 s on / 3.5 s off. Caller ID: V.23 FSK
/// before the first ring after a line reversal and DT-AS (EN 300 659-1 §6.1.2), the widely
/// used setting for French lines.
pub static FR: TonePlan = TonePlan {
    code: "fr",
    name: "France",
    ring: repeat(&[s(1500, 3500)]),
    caller_id: Signalling::Etsi(EtsiAlert::LineReversalDtAs),
    tones: [
        tone(&[c(440.0, -10.0)], CONTINUOUS),
        tone(&[c(440.0, -10.0)], then_steady(STUTTER_10)),
        tone(&[c(440.0, -10.0)], repeat(&[s(500, 500)])),
        tone(&[c(440.0, -10.0)], repeat(&[s(1500, 3500)])),
        tone(&[c(440.0, -10.0)], repeat(&[s(250, 250)])),
        tone(&[c(440.0, -10.0)], once(&[s(300, 0)])),
        ROH,
    ],
};

// ---------------------------------------------------------------------------------------
/// Netherlands: E.180 Supp. 2 (Netherlands) / KPN: 425 Hz tones, special dial tone 0.5 s on
/// 0.05 s off; level -10 dBm0 (E.180 §2 nominal). Ringing 1 s on / 4 s off. Caller ID: DTMF
/// CLIP before the first ring (EN 300 659-1 Annex B), as KPN sends it.
pub static NL: TonePlan = TonePlan {
    code: "nl",
    name: "Netherlands",
    ring: repeat(&[s(1000, 4000)]),
    caller_id: Signalling::DtmfClip,
    tones: [
        tone(&[c(425.0, -10.0)], CONTINUOUS),
        tone(
            &[c(425.0, -10.0)],
            then_steady(&[s(500, 50), s(500, 50), s(500, 50), s(500, 50)]),
        ),
        tone(&[c(425.0, -10.0)], repeat(&[s(500, 500)])),
        tone(&[c(425.0, -10.0)], repeat(&[s(1000, 4000)])),
        tone(&[c(425.0, -10.0)], repeat(&[s(250, 250)])),
        tone(&[c(425.0, -10.0)], once(&[s(500, 0)])),
        ROH,
    ],
};

// ---------------------------------------------------------------------------------------
/// Japan: NTT (E.180 Supp. 2, Japan): 400 Hz tones; ringback 400 Hz amplitude-modulated by
/// 16 Hz (depth 0.85 chosen: E.180 Supp. 2 gives no depth), 1 s on / 2 s off; level -13 dBm0
/// (widely used value). Ringing (16 Hz) 1 s on / 2 s off. Caller ID: NTT "number display" is
/// V.23 FSK after a special ring-pulse (CAR) alert with its own handshake; the nearest variant
/// here is [`EtsiAlert::RingPulse`].
pub static JP: TonePlan = TonePlan {
    code: "jp",
    name: "Japan",
    ring: repeat(&[s(1000, 2000)]),
    caller_id: Signalling::Etsi(EtsiAlert::RingPulse),
    tones: [
        tone(&[c(400.0, -13.0)], CONTINUOUS),
        tone(
            &[c(400.0, -13.0)],
            then_steady(&[s(125, 125), s(125, 125), s(125, 125), s(125, 125)]),
        ),
        tone(&[c(400.0, -13.0)], repeat(&[s(500, 500)])),
        am_tone(&[c(400.0, -16.0)], 16.0, 0.85, repeat(&[s(1000, 2000)])),
        // Congestion: NTT uses busy tone; a faster cadence (0.25/0.25) is chosen to tell them apart.
        tone(&[c(400.0, -13.0)], repeat(&[s(250, 250)])),
        tone(&[c(400.0, -13.0)], once(&[s(100, 100), s(100, 0)])),
        ROH,
    ],
};

// ---------------------------------------------------------------------------------------
/// China: E.180 Supp. 2 (China) / YD/T 1190: 450 Hz tones; level -10 dBm0 (E.180 §2 nominal).
/// Ringing 1 s on / 4 s off. Caller ID: FSK between the first and second ring (YD/T 1190;
/// Bell 202 tones as most Chinese CPE expect — the document itself not to hand).
pub static CN: TonePlan = TonePlan {
    code: "cn",
    name: "China",
    ring: repeat(&[s(1000, 4000)]),
    caller_id: Signalling::Bell202,
    tones: [
        tone(&[c(450.0, -10.0)], CONTINUOUS),
        tone(
            &[c(450.0, -10.0)],
            then_steady(&[s(400, 40), s(400, 40), s(400, 40), s(400, 40)]),
        ),
        tone(&[c(450.0, -10.0)], repeat(&[s(350, 350)])),
        tone(&[c(450.0, -10.0)], repeat(&[s(1000, 4000)])),
        tone(&[c(450.0, -10.0)], repeat(&[s(700, 700)])),
        tone(&[c(450.0, -10.0)], once(&[s(400, 0)])),
        ROH,
    ],
};

// ---------------------------------------------------------------------------------------
/// Australia: AS/ACIF S002 / E.180 Supp. 2 (Australia): 425 Hz tones; dial tone and ringback
/// 425 Hz amplitude-modulated by 25 Hz (depth 0.85 chosen); level -13 dBm0 (widely used
/// value); congestion is busy's cadence at a lower level. Ringing 0.4/0.2/0.4/2.0 s.
/// Caller ID: V.23 FSK before the first ring after a line reversal (ETSI style).
pub static AU: TonePlan = TonePlan {
    code: "au",
    name: "Australia",
    ring: repeat(&[s(400, 200), s(400, 2000)]),
    caller_id: Signalling::Etsi(EtsiAlert::LineReversalDtAs),
    tones: [
        am_tone(&[c(425.0, -16.0)], 25.0, 0.85, CONTINUOUS),
        am_tone(&[c(425.0, -16.0)], 25.0, 0.85, then_steady(STUTTER_10)),
        tone(&[c(425.0, -13.0)], repeat(&[s(375, 375)])),
        am_tone(
            &[c(425.0, -16.0)],
            25.0,
            0.85,
            repeat(&[s(400, 200), s(400, 2000)]),
        ),
        tone(&[c(425.0, -23.0)], repeat(&[s(375, 375)])),
        tone(&[c(425.0, -13.0)], once(&[s(200, 200), s(200, 0)])),
        ROH,
    ],
};

/// Every plan.
pub static PLANS: &[&TonePlan] = &[&US, &UK, &DE, &FR, &NL, &JP, &CN, &AU];

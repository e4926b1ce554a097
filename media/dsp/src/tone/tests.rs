//! Tone plan and generator tests (ITU-T E.180 §2 tone characteristics, E.180 Supp. 2 plans).

use super::*;
use crate::goertzel::tone_level_dbm0;

fn generate(spec: &ToneSpec, samples: usize) -> Vec<i16> {
    let mut g = ToneGenerator::new(spec);
    let mut out = vec![0i16; samples];
    g.fill(&mut out);
    out
}

#[test]
fn every_plan_has_all_tones_and_lookup_works() {
    assert_eq!(PLANS.len(), 8);
    let codes: Vec<_> = PLANS.iter().map(|p| p.code).collect();
    assert_eq!(codes, ["us", "uk", "de", "fr", "nl", "jp", "cn", "au"]);
    for p in PLANS {
        assert!(!p.name.is_empty());
        assert_eq!(plan(p.code).map(|q| q.code), Some(p.code));
        assert_eq!(plan(&p.code.to_uppercase()).map(|q| q.code), Some(p.code));
        for kind in ToneKind::ALL {
            assert!(
                !p.tone(kind).components.is_empty(),
                "{} {}",
                p.code,
                kind.name()
            );
        }
    }
    assert_eq!(plan("GB").map(|p| p.code), Some("uk"));
    assert!(plan("xx").is_none());
    let mut names: Vec<_> = ToneKind::ALL.iter().map(|k| k.name()).collect();
    names.dedup();
    assert_eq!(names.len(), 7);
}

/// E.180 §2: tones lie in the 300–3400 Hz band at moderate levels; the generated sum must not
/// clip 16-bit PCM; cadences have the shape their kind promises.
#[test]
fn levels_and_cadences_are_sane() {
    for p in PLANS {
        assert_eq!(p.ring.after, After::Repeat, "{}", p.code);
        assert!((1000..=10_000).contains(&p.ring.period_ms()), "{}", p.code);
        for kind in ToneKind::ALL {
            let t = p.tone(kind);
            let what = format!("{} {}", p.code, kind.name());
            for c in t.components {
                assert!((300.0..=3400.0).contains(&c.freq_hz), "{what}");
                assert!((-30.0..=-3.0).contains(&c.level_dbm0), "{what}");
            }
            assert!(
                t.peak_amplitude() <= 32767.0,
                "{what} clips: {}",
                t.peak_amplitude()
            );
            if let Some(m) = t.modulation {
                assert!(m.freq_hz > 0.0 && (0.0..=1.0).contains(&m.depth), "{what}");
            }
            let after = t.cadence.after;
            match kind {
                ToneKind::Dial => assert_eq!(t.cadence, Cadence::CONTINUOUS, "{what}"),
                ToneKind::StutterDial => assert_eq!(after, After::Steady, "{what}"),
                ToneKind::Busy
                | ToneKind::Ringback
                | ToneKind::Congestion
                | ToneKind::OffHookWarning => {
                    assert_eq!(after, After::Repeat, "{what}");
                    assert!(t.cadence.period_ms() > 0, "{what}");
                }
                ToneKind::CallWaiting => assert_eq!(after, After::Stop, "{what}"),
            }
        }
    }
    // The US precise tone plan values (ANSI T1.401 / GR-506-CORE).
    let dial = US.tone(ToneKind::Dial);
    assert_eq!(
        dial.components,
        &[
            ToneComponent::new(350.0, -13.0),
            ToneComponent::new(440.0, -13.0)
        ]
    );
    assert_eq!(
        US.tone(ToneKind::Busy).cadence.steps,
        &[crate::cadence::CadenceStep::new(500, 500)]
    );
    assert_eq!(
        US.ring.steps,
        &[crate::cadence::CadenceStep::new(2000, 4000)]
    );
}

/// Every component of every tone is present in the generated output at its specified level
/// (±0.3 dB), measured by Goertzel over one second of the tone without its cadence (the
/// cadence is checked by `cadence_timing`).
#[test]
fn generated_frequencies_and_levels() {
    for p in PLANS {
        for kind in ToneKind::ALL {
            let t = p.tone(kind);
            let steady = ToneSpec {
                cadence: Cadence::CONTINUOUS,
                ..*t
            };
            let out = generate(&steady, 8000);
            let what = format!("{} {}", p.code, kind.name());
            for c in t.components {
                let got = tone_level_dbm0(&out, c.freq_hz);
                assert!(
                    (got - c.level_dbm0).abs() < 0.3,
                    "{what}: {} Hz at {got} dBm0",
                    c.freq_hz
                );
                if let Some(m) = t.modulation {
                    // Each side band is depth/2 of the carrier.
                    let sb = c.level_dbm0 + 20.0 * (m.depth / 2.0).log10();
                    let got = tone_level_dbm0(&out, c.freq_hz + m.freq_hz);
                    assert!((got - sb).abs() < 0.5, "{what}: side band {got} vs {sb}");
                }
            }
            // Nothing much elsewhere (a frequency none of the plans uses).
            assert!(tone_level_dbm0(&out, 3000.0) < -45.0, "{what}");
        }
    }
}

/// Cadence timing: every millisecond of output is on exactly when the cadence says so, over
/// two periods (or the steps plus a second of steady tone).
#[test]
fn cadence_timing() {
    for p in PLANS {
        for kind in ToneKind::ALL {
            let t = p.tone(kind);
            let ms = match t.cadence.after {
                After::Repeat => 2 * t.cadence.period_ms(),
                _ => t.cadence.period_ms() + 1000,
            }
            .clamp(1000, 20_000);
            let out = generate(t, ms as usize * 8);
            for (i, block) in out.chunks(8).enumerate() {
                let on = block.iter().any(|&s| s != 0);
                assert_eq!(
                    on,
                    t.cadence.is_on_at(i as u64),
                    "{} {} at {i} ms",
                    p.code,
                    kind.name()
                );
            }
        }
    }
}

/// Output does not depend on how `fill` is called; a Stop cadence reports done; others never.
#[test]
fn chunking_and_done() {
    let t = UK.tone(ToneKind::Congestion);
    let whole = generate(t, 8 * 3000);
    for chunk in [1, 7, 80, 333] {
        let mut g = ToneGenerator::new(t);
        let mut out = vec![0i16; whole.len()];
        for c in out.chunks_mut(chunk) {
            g.fill(c);
        }
        assert_eq!(out, whole, "chunk {chunk}");
    }
    let mut g = ToneGenerator::new(US.tone(ToneKind::CallWaiting));
    let mut buf = vec![0i16; 8 * 10_500];
    g.fill(&mut buf[..8 * 10_000]);
    assert!(!g.is_done());
    g.fill(&mut buf);
    assert!(g.is_done());
    g.fill(&mut buf);
    assert!(buf.iter().all(|&s| s == 0));
    for kind in [ToneKind::Busy, ToneKind::StutterDial, ToneKind::Dial] {
        let mut g = ToneGenerator::new(US.tone(kind));
        g.fill(&mut buf);
        assert!(!g.is_done());
    }
}

/// Within an on period the waveform is continuous: no sample-to-sample step larger than the
/// tone's own slew (2π f A / 8000 per component) — including across `fill` calls.
#[test]
fn phase_continuous() {
    let t = US.tone(ToneKind::Dial);
    let mut g = ToneGenerator::new(t);
    let mut out = vec![0i16; 8000];
    for c in out.chunks_mut(37) {
        g.fill(c);
    }
    let a = crate::level::dbm0_to_peak(-13.0);
    let max_step = 2.0 * std::f32::consts::PI * (350.0 + 440.0) * a / 8000.0 + 2.0;
    assert!(out
        .windows(2)
        .all(|w| f32::from(w[1] - w[0]).abs() <= max_step));
}

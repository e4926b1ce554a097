//! Echo canceller tests on a simulated hybrid (ITU-T G.168 §6 test conditions, simplified:
//! ERL 6 dB, seeded dispersive echo paths, synthetic speech-like and white signals).

use super::*;
use crate::level::DBM0_RMS;
use crate::lpc::SplitMix64;

/// An exponentially decaying seeded random impulse response after a bulk delay, scaled to
/// the ERL: the formula of tipring-hal's `sim::EchoPath::taps` (taps of either sign, the
/// first one 1 before scaling, the mean taken out along the envelope so that no DC passes,
/// like the band-pass hybrids of G.168 Annex D).
pub(super) fn hybrid(delay: usize, dispersion: usize, erl_db: f32, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed ^ 0xEC40_EC40_EC40_EC40);
    let n = dispersion.max(1);
    let tau = n as f32 / 4.0;
    let env: Vec<f32> = (0..n).map(|k| (-(k as f32) / tau).exp()).collect();
    let mut taps: Vec<f32> = env
        .iter()
        .enumerate()
        .map(|(k, e)| {
            let r = if k == 0 {
                1.0
            } else {
                2.0 * ((rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32) - 1.0
            };
            r * e
        })
        .collect();
    if n > 1 {
        let sum: f32 = taps.iter().sum();
        let w: f32 = env.iter().sum();
        for (t, e) in taps.iter_mut().zip(&env) {
            *t -= sum * e / w;
        }
    }
    let e: f32 = taps.iter().map(|t| t * t).sum();
    let g = (10f32.powf(-erl_db / 10.0) / e).sqrt();
    let mut h = vec![0.0f32; delay];
    h.extend(taps.iter().map(|t| t * g));
    h
}

fn conv(x: &[f32], h: &[f32]) -> Vec<f32> {
    (0..x.len())
        .map(|n| {
            h.iter()
                .enumerate()
                .take(n + 1)
                .map(|(k, t)| t * x[n - k])
                .sum()
        })
        .collect()
}

fn amp(dbm0: f32) -> f32 {
    DBM0_RMS * 10f32.powf(dbm0 / 20.0)
}

/// White noise at `dbm0` (uniform).
pub(crate) fn white(n: usize, dbm0: f32, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    let a = amp(dbm0) * 3f32.sqrt();
    (0..n).map(|_| a * rng.bipolar()).collect()
}

/// A speech-like signal at `dbm0` while active: a glottal pulse train (100-200 Hz, gliding)
/// through three formant resonators that move per syllable, with a syllabic envelope
/// (~4 syllables/s, 200 ms pauses every few syllables) and some aspiration noise.
pub(crate) fn speech_like(n: usize, dbm0: f32, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    let fs = 8000.0f32;
    let mut out = Vec::with_capacity(n);
    let mut t = 0usize;
    // Resonator states.
    let mut st = [[0.0f32; 2]; 3];
    let mut phase = 0.0f32;
    while out.len() < n {
        let syl = 1200 + (rng.next_u64() % 1200) as usize;
        let pause = if rng.next_u64().is_multiple_of(4) {
            1600
        } else {
            200
        };
        let f0 = 100.0 + 100.0 * (rng.bipolar() + 1.0) / 2.0;
        let formants = [
            300.0 + 500.0 * (rng.bipolar() + 1.0) / 2.0,
            900.0 + 1300.0 * (rng.bipolar() + 1.0) / 2.0,
            2300.0 + 800.0 * (rng.bipolar() + 1.0) / 2.0,
        ];
        let coefs: Vec<(f32, f32)> = formants
            .iter()
            .map(|&f| {
                let r = 0.97f32;
                (
                    2.0 * r * (2.0 * std::f32::consts::PI * f / fs).cos(),
                    -r * r,
                )
            })
            .collect();
        for k in 0..syl + pause {
            let env = if k < syl {
                (std::f32::consts::PI * k as f32 / syl as f32).sin()
            } else {
                0.0
            };
            phase += (f0 * (1.0 + 0.1 * k as f32 / syl as f32)) / fs;
            let mut e = 0.3 * rng.bipolar();
            if phase >= 1.0 {
                phase -= 1.0;
                e += 8.0;
            }
            let mut y = 0.0;
            for (s, &(a1, a2)) in st.iter_mut().zip(&coefs) {
                let v = e + a1 * s[0] + a2 * s[1];
                s[1] = s[0];
                s[0] = v;
                y += v;
            }
            out.push(y * env);
            t += 1;
        }
    }
    out.truncate(n);
    let _ = t;
    // Scale to the level over active samples.
    let active: Vec<f32> = out.iter().copied().filter(|v| v.abs() > 1e-3).collect();
    let p = active.iter().map(|v| v * v).sum::<f32>() / active.len().max(1) as f32;
    let g = amp(dbm0) / p.sqrt();
    out.iter_mut().for_each(|v| *v *= g);
    out
}

fn q(v: &[f32]) -> Vec<i16> {
    v.iter()
        .map(|x| x.round().clamp(-32768.0, 32767.0) as i16)
        .collect()
}

/// Runs the canceller; returns its output.
pub(super) fn run(ec: &mut EchoCanceller, far: &[i16], near_in: &[i16]) -> Vec<i16> {
    let mut out = near_in.to_vec();
    for (rx, tx) in out.chunks_exact_mut(160).zip(far.chunks_exact(160)) {
        ec.process(rx, tx).expect("160-sample frames");
    }
    out
}

/// ERLE (dB) over samples [a, b): echo power / (output - near) power on 10 ms frames whose
/// echo is above -45 dBm0.
pub(super) fn erle(echo: &[f32], near: &[f32], out: &[i16], a: usize, b: usize) -> f32 {
    let thr = amp(-45.0).powi(2) * 80.0;
    let (mut pe, mut pr) = (0.0f64, 0.0f64);
    for f in (a..b).step_by(80) {
        let e: f32 = echo[f..f + 80].iter().map(|x| x * x).sum();
        if e < thr {
            continue;
        }
        pe += f64::from(e);
        pr += (f..f + 80)
            .map(|i| f64::from((f32::from(out[i]) - near[i]).powi(2)))
            .sum::<f64>();
    }
    (10.0 * (pe / pr.max(1e-3)).log10()) as f32
}

struct Sim {
    far: Vec<i16>,
    near_in: Vec<i16>,
    echo: Vec<f32>,
    near: Vec<f32>,
}

fn sim(far: Vec<f32>, h: &[f32], near: Vec<f32>) -> Sim {
    let echo = conv(&far, h);
    let near_in: Vec<f32> = echo.iter().zip(&near).map(|(a, b)| a + b).collect();
    Sim {
        far: q(&far),
        near_in: q(&near_in),
        echo,
        near,
    }
}

const S: usize = 8000;

fn cfg(tail_ms: u32) -> EcConfig {
    EcConfig {
        tail_ms,
        nlp: false,
        cng: false,
        ..EcConfig::default()
    }
}

/// The ERLE 0.5 s windows of a run, one per half second.
fn curve_of(s: &Sim, out: &[i16]) -> Vec<f32> {
    (1..=s.far.len() / (S / 2))
        .map(|k| erle(&s.echo, &s.near, out, (k - 1) * S / 2, k * S / 2))
        .collect()
}

/// G.168 §6.4.2.1 (test 1, convergence): combined loss >= 20 dB within 1 s at ERL 6 dB; here
/// the linear filter alone on white noise.
#[test]
fn converges_20_db_within_1_s_on_white_noise() {
    let h = hybrid(40, 128, 6.0, 3);
    let s = sim(white(2 * S, -18.0, 1), &h, white(2 * S, -65.0, 4));
    let mut ec = EchoCanceller::new(cfg(32)).unwrap();
    let out = run(&mut ec, &s.far, &s.near_in);
    let e = erle(&s.echo, &s.near, &out, S / 2, S);
    assert!(
        e >= 20.0,
        "ERLE 0.5-1 s {e:.1} dB; curve {:?}",
        curve_of(&s, &out)
    );
    assert_eq!(ec.metrics().state, EcState::Converged);
}

/// Combined loss minus the ERL (dB) over samples [a, b): echo power over the whole output's
/// power, on 10 ms frames whose echo is above -45 dBm0 (G.168 counts the NLP in).
fn combined(echo: &[f32], out: &[i16], a: usize, b: usize) -> f32 {
    let thr = amp(-45.0).powi(2) * 80.0;
    let (mut pe, mut po) = (0.0f64, 0.0f64);
    for f in (a..b).step_by(80) {
        let e: f32 = echo[f..f + 80].iter().map(|x| x * x).sum();
        if e < thr {
            continue;
        }
        pe += f64::from(e);
        po += out[f..f + 80]
            .iter()
            .map(|&v| f64::from(v).powi(2))
            .sum::<f64>();
    }
    (10.0 * (pe / po.max(1e-3)).log10()) as f32
}

/// G.168 §6.4.2.1 (test 1) on a speech-like signal (formant-filtered pulse train, syllabic
/// envelope): the combined loss (linear filter + NLP) is >= 20 dB beyond the ERL within 1 s;
/// the linear filter alone has 10 dB by then and 20 dB by 3 s.
#[test]
fn converges_on_speech_like_signal() {
    let h = hybrid(40, 128, 6.0, 5);
    let s = sim(speech_like(3 * S, -18.0, 2), &h, white(3 * S, -65.0, 6));
    let mut ec = EchoCanceller::new(cfg(32)).unwrap();
    let out = run(&mut ec, &s.far, &s.near_in);
    let c = curve_of(&s, &out);
    assert!(c[1] >= 10.0, "ERLE 0.5-1 s {:.1} dB; curve {c:?}", c[1]);
    assert!(c[5] >= 20.0, "ERLE 2.5-3 s {:.1} dB; curve {c:?}", c[5]);
    let mut ec = EchoCanceller::new(EcConfig {
        tail_ms: 32,
        cng: false,
        ..EcConfig::default()
    })
    .unwrap();
    let out = run(&mut ec, &s.far, &s.near_in);
    let l = combined(&s.echo, &out, S / 2, S);
    assert!(l >= 20.0, "combined loss over the ERL 0.5-1 s {l:.1} dB");
}

/// G.168 §6.4.2.4 (double talk) with speech at both ends: the near-end talker comes through
/// the converged canceller with its NLP on (output within 3 dB of the near-end-only signal
/// over the double talk), and the linear filter does not diverge.
#[test]
fn speech_double_talk_keeps_the_near_end() {
    let n = 4 * S;
    let h = hybrid(64, 96, 6.0, 41);
    let mut near = white(n, -65.0, 42);
    let talker = speech_like(n, -18.0, 43);
    let (a, b) = (2 * S, 3 * S);
    for i in a..b {
        near[i] += talker[i];
    }
    let s = sim(speech_like(n, -18.0, 44), &h, near);
    let mut ec = EchoCanceller::new(EcConfig {
        tail_ms: 64,
        cng: false,
        ..EcConfig::default()
    })
    .unwrap();
    let out = run(&mut ec, &s.far, &s.near_in);
    let pn: f32 = s.near[a..b].iter().map(|v| v * v).sum();
    let po: f32 = out[a..b].iter().map(|&v| f32::from(v).powi(2)).sum();
    let att = 10.0 * (pn / po).log10();
    assert!(
        att <= 3.0,
        "near end attenuated by {att:.1} dB in double talk"
    );
    let mut ec = EchoCanceller::new(cfg(64)).unwrap();
    let out = run(&mut ec, &s.far, &s.near_in);
    let before = erle(&s.echo, &s.near, &out, 3 * S / 2, 2 * S);
    let after = erle(&s.echo, &s.near, &out, 7 * S / 2, 4 * S);
    assert!(
        after >= before - 3.0,
        "before {before:.1} dB, after {after:.1} dB"
    );
}

/// G.168 §6.4.2.4 (test 3, double talk): the filter must not diverge under near-end speech
/// (the two-path structure holds the foreground): ERLE after the double talk within 3 dB of
/// before.
#[test]
fn no_divergence_in_double_talk() {
    let n = 3 * S;
    let h = hybrid(40, 128, 6.0, 7);
    let mut near = white(n, -65.0, 8);
    let talker = speech_like(n, -15.0, 9);
    for i in (3 * S / 2)..(5 * S / 2) {
        near[i] += talker[i];
    }
    let s = sim(white(n, -18.0, 10), &h, near);
    let mut ec = EchoCanceller::new(cfg(32)).unwrap();
    let mut out = s.near_in.clone();
    let mut dt_seen = false;
    for (k, (rx, tx)) in out
        .chunks_exact_mut(160)
        .zip(s.far.chunks_exact(160))
        .enumerate()
    {
        ec.process(rx, tx).unwrap();
        if k * 160 >= 2 * S && k * 160 < 5 * S / 2 {
            dt_seen |= ec.metrics().double_talk;
        }
    }
    let before = erle(&s.echo, &s.near, &out, S, 3 * S / 2);
    let after = erle(&s.echo, &s.near, &out, 5 * S / 2, 3 * S);
    assert!(before >= 20.0, "before {before:.1}");
    assert!(
        after >= before - 3.0,
        "before {before:.1} dB, after {after:.1} dB"
    );
    assert!(dt_seen, "double talk not detected");
}

/// G.168 §6.4.2.7 (test 9, echo path change): reconverges after the hybrid changes.
#[test]
fn reconverges_after_echo_path_change() {
    let n = 3 * S;
    let far = white(n, -18.0, 11);
    let a = sim(far.clone(), &hybrid(40, 128, 6.0, 12), white(n, -65.0, 13));
    let b = sim(far, &hybrid(100, 100, 8.0, 14), white(n, -65.0, 13));
    let mut near_in = a.near_in[..3 * S / 2].to_vec();
    near_in.extend_from_slice(&b.near_in[3 * S / 2..]);
    let mut echo = a.echo[..3 * S / 2].to_vec();
    echo.extend_from_slice(&b.echo[3 * S / 2..]);
    let mut ec = EchoCanceller::new(cfg(32)).unwrap();
    let out = run(&mut ec, &a.far, &near_in);
    let before = erle(&echo, &a.near, &out, S, 3 * S / 2);
    let after = erle(&echo, &a.near, &out, 5 * S / 2, 3 * S);
    assert!(
        before >= 20.0 && after >= 20.0,
        "before {before:.1}, after {after:.1}"
    );
}

/// Digital silence in both directions gives digital silence out (no noise injected when the
/// NLP has nothing to suppress, no adaptation on silence).
#[test]
fn silence_in_silence_out() {
    let mut ec = EchoCanceller::new(EcConfig::default()).unwrap();
    let far = vec![0i16; S];
    let mut near = vec![0i16; S];
    for (rx, tx) in near.chunks_exact_mut(80).zip(far.chunks_exact(80)) {
        ec.process(rx, tx).unwrap();
    }
    assert!(near.iter().all(|&v| v == 0));
    assert!(ec.impulse_response().iter().all(|&v| v == 0.0));
}

/// G.168 §6.4.2.10 (comfort noise): with the NLP suppressing residual echo, the output sits
/// near the near-end background noise level (within 3 dB), not at silence.
#[test]
fn nlp_comfort_noise_matches_background() {
    let n = 3 * S;
    let h = hybrid(40, 128, 6.0, 15);
    let s = sim(white(n, -18.0, 16), &h, white(n, -55.0, 17));
    let mut ec = EchoCanceller::new(EcConfig {
        tail_ms: 32,
        ..EcConfig::default()
    })
    .unwrap();
    let out = run(&mut ec, &s.far, &s.near_in);
    let m = ec.metrics();
    assert!(m.nlp_active);
    let lvl = crate::level::rms_dbm0(&out[2 * S..]);
    assert!((lvl + 55.0).abs() < 3.0, "output {lvl:.1} dBm0, noise -55");
    assert!(
        (m.noise_dbm0 + 55.0).abs() < 3.0,
        "noise estimate {}",
        m.noise_dbm0
    );
    assert!(m.erl_db > 4.0 && m.erl_db < 8.0, "ERL {}", m.erl_db);
}

/// A 128 ms tail finds an echo 100 ms late (G.168 §6.4.1: the canceller covers any echo
/// delay within its tail capacity).
#[test]
fn tail_128_ms_with_100_ms_delay() {
    let n = 2 * S;
    let h = hybrid(800, 96, 6.0, 18);
    let s = sim(white(n, -18.0, 19), &h, white(n, -65.0, 20));
    let mut ec = EchoCanceller::new(cfg(128)).unwrap();
    let out = run(&mut ec, &s.far, &s.near_in);
    let e = erle(&s.echo, &s.near, &out, 3 * S / 2, 2 * S);
    assert!(e >= 20.0, "ERLE {e:.1}; curve {:?}", curve_of(&s, &out));
    let d = ec.metrics().echo_delay_samples;
    assert!((800..820).contains(&d), "delay {d}");
}

/// G.164/G.165 tone disabling: disabled, the near-end signal passes untouched.
#[test]
fn disabled_passes_through() {
    let mut ec = EchoCanceller::new(EcConfig::default()).unwrap();
    ec.set_enabled(false);
    let far = q(&white(800, -10.0, 21));
    let orig = q(&white(800, -20.0, 22));
    let mut near = orig.clone();
    ec.process(&mut near, &far).unwrap();
    assert_eq!(near, orig);
    assert_eq!(ec.metrics().state, EcState::Disabled);
}

#[test]
fn bad_frames_and_config_are_errors() {
    let mut ec = EchoCanceller::new(EcConfig::default()).unwrap();
    assert!(ec.process(&mut [0; 80], &[0; 160]).is_err());
    assert!(ec.process(&mut [0; 100], &[0; 100]).is_err());
    assert!(ec.process(&mut [], &[]).is_ok());
    for tail_ms in [0, 7, 129] {
        assert!(EchoCanceller::new(EcConfig {
            tail_ms,
            ..EcConfig::default()
        })
        .is_err());
    }
    assert!(EchoCanceller::new(EcConfig {
        step: 0.0,
        ..EcConfig::default()
    })
    .is_err());
}

/// A sine at `dbm0` (level of the sine, ITU-T G.711 reference).
fn tone(n: usize, freq: f32, dbm0: f32, phase: f32) -> Vec<f32> {
    let a = crate::level::dbm0_to_peak(dbm0);
    let w = 2.0 * std::f32::consts::PI * freq / S as f32;
    (0..n).map(|i| a * (w * i as f32 + phase).sin()).collect()
}

/// Media-integration scenario (a), G.168 §6.4.2.4 (double talk) with tones: a near-end
/// talker that starts together with the far end, before the canceller has converged, is not
/// cut. Far end 440 Hz at -16 dBm0 through a short hybrid (ERL 12 dB, 5 ms delay); near end
/// 1004 Hz at -10 dBm0 from the same instant: the output keeps the 1004 Hz tone at -10 dBm0
/// (±1.5 dB) over 1..3 s, with the NLP on and off.
#[test]
fn near_end_tone_over_far_end_tone_is_not_cut() {
    let n = 3 * S;
    let h = hybrid(40, 32, 12.0, 31);
    let mut near = tone(n, 1004.0, -10.0, 0.3);
    for (v, w) in near.iter_mut().zip(white(n, -70.0, 32)) {
        *v += w;
    }
    let s = sim(tone(n, 440.0, -16.0, 0.0), &h, near);
    for nlp in [true, false] {
        let mut ec = EchoCanceller::new(EcConfig {
            tail_ms: 64,
            nlp,
            ..EcConfig::default()
        })
        .unwrap();
        let out = run(&mut ec, &s.far, &s.near_in);
        let lvl = crate::goertzel::tone_level_dbm0(&out[S..3 * S], 1004.0);
        assert!(
            (lvl + 10.0).abs() <= 1.5,
            "nlp {nlp}: 1004 Hz at {lvl:.1} dBm0 over 1..3 s, sent at -10; {:?}",
            ec.metrics()
        );
    }
}

/// Double talk the level detector cannot see: the near end talks first and is 3 dB quieter
/// than the far end that joins half a second later, before the canceller has converged
/// (no far end yet to learn from). The per-frequency test finds the near end (no echo can
/// put energy at 440 Hz when the far end sends 1004 Hz), so neither the NLP nor the filter
/// takes it for echo: it comes out at its level.
#[test]
fn quieter_near_end_talking_first_is_not_taken_for_echo() {
    let n = 3 * S;
    let h = hybrid(40, 32, 12.0, 33);
    let mut far = tone(n, 1004.0, -10.0, 0.0);
    far[..S / 2].fill(0.0);
    let mut near = tone(n, 440.0, -13.0, 0.7);
    for (v, w) in near.iter_mut().zip(white(n, -70.0, 34)) {
        *v += w;
    }
    let s = sim(far, &h, near);
    let mut ec = EchoCanceller::new(EcConfig::default()).unwrap();
    let out = run(&mut ec, &s.far, &s.near_in);
    let lvl = crate::goertzel::tone_level_dbm0(&out[S..3 * S], 440.0);
    assert!(
        (lvl + 13.0).abs() <= 1.5,
        "440 Hz at {lvl:.1} dBm0 over 1..3 s, sent at -13; {:?}",
        ec.metrics()
    );
}

/// Media-integration scenario (b): DTMF keys pressed at the near end (100 ms on, 100 ms
/// off, ITU-T Q.24 timing) while the far end plays a steady 1004 Hz tone come out of the
/// canceller intact: [`crate::dtmf::DtmfDetector`] on the output finds every key, at the
/// default and at a low (-20/-18 dBm0) sending level.
#[test]
fn dtmf_at_near_end_over_far_end_tone_survives() {
    use crate::dtmf::{DtmfDetector, DtmfDetectorConfig, DtmfEvent, DtmfSender};
    let keys = "1234567890*#ABCD";
    let n = S / 2 + keys.len() * 1600 + S / 2;
    let h = hybrid(40, 32, 12.0, 33);
    for (low, high) in [(-8.0, -6.0), (-20.0, -18.0)] {
        let mut sender = DtmfSender::new(low, high);
        sender.push(keys, 100, 100).unwrap();
        let mut dtmf = vec![0i16; n];
        sender.fill(&mut dtmf[S / 2..]);
        let mut near: Vec<f32> = dtmf.iter().map(|&v| f32::from(v)).collect();
        for (v, w) in near.iter_mut().zip(white(n, -65.0, 34)) {
            *v += w;
        }
        let s = sim(tone(n / 160 * 160, 1004.0, -10.0, 0.0), &h, near);
        let mut ec = EchoCanceller::new(EcConfig::default()).unwrap();
        let out = run(&mut ec, &s.far, &s.near_in);
        let mut det = DtmfDetector::new(DtmfDetectorConfig::default());
        let mut got = String::new();
        det.process(&out, |ev| {
            if let DtmfEvent::Start { digit, .. } = ev {
                got.push(digit);
            }
        });
        assert_eq!(
            got, keys,
            "DTMF at {low}/{high} dBm0 over a -10 dBm0 far-end tone"
        );
        // The tone's echo is cancelled meanwhile: before the first key, the output holds no
        // 1004 Hz above -45 dBm0.
        let lvl = crate::goertzel::tone_level_dbm0(&out[S / 4..S / 2], 1004.0);
        assert!(lvl < -45.0, "1004 Hz echo left at {lvl:.1} dBm0");
    }
}

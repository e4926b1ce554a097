//! DTMF unit tests. Clause numbers refer to ITU-T Q.24 (receiver) and Q.23 (frequencies).

use super::*;

/// Deterministic noise (xorshift64*), uniform in [-1, 1).
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let v = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        v as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// Signal builder: f64 sines at exact frequencies and levels, appended segment by segment.
#[derive(Default)]
struct Sig {
    x: Vec<f64>,
}

impl Sig {
    fn silence(mut self, ms: u32) -> Self {
        self.x.extend(std::iter::repeat_n(0.0, ms as usize * 8));
        self
    }

    fn tones(mut self, comps: &[(f64, f32)], ms: u32) -> Self {
        let n0 = self.x.len();
        for i in 0..ms as usize * 8 {
            let t = (n0 + i) as f64 / 8000.0;
            let v: f64 = comps
                .iter()
                .map(|&(f, l)| {
                    f64::from(dbm0_to_peak(l)) * (2.0 * std::f64::consts::PI * f * t).sin()
                })
                .sum();
            self.x.push(v);
        }
        self
    }

    /// Digit with each frequency scaled by (1 + dev) and the given levels.
    fn digit(self, d: char, ms: u32, dev_lo: f64, dev_hi: f64, lvl_lo: f32, lvl_hi: f32) -> Self {
        let (lo, hi) = frequencies(d).unwrap();
        self.tones(
            &[
                (f64::from(lo) * (1.0 + dev_lo), lvl_lo),
                (f64::from(hi) * (1.0 + dev_hi), lvl_hi),
            ],
            ms,
        )
    }

    fn nominal(self, d: char, ms: u32) -> Self {
        self.digit(d, ms, 0.0, 0.0, -10.0, -10.0)
    }

    fn add_noise(mut self, dbm0_rms: f32, seed: u64) -> Self {
        let mut n = Noise(seed);
        // Uniform noise in [-a, a) has RMS a/√3.
        let a = f64::from(crate::level::DBM0_RMS * 10f32.powf(dbm0_rms / 20.0)) * 3f64.sqrt();
        for v in &mut self.x {
            *v += a * n.next();
        }
        self
    }

    fn pcm(&self) -> Vec<i16> {
        self.x
            .iter()
            .map(|&v| v.round().clamp(-32768.0, 32767.0) as i16)
            .collect()
    }
}

fn events(pcm: &[i16]) -> Vec<DtmfEvent> {
    let mut det = DtmfDetector::new(DtmfDetectorConfig::default());
    let mut ev = Vec::new();
    det.process(pcm, |e| ev.push(e));
    det.process(&[0; 800], |e| ev.push(e));
    ev
}

fn digits(pcm: &[i16]) -> String {
    events(pcm)
        .into_iter()
        .filter_map(|e| match e {
            DtmfEvent::Start { digit, .. } => Some(digit),
            DtmfEvent::End { .. } => None,
        })
        .collect()
}

#[test]
fn q23_frequencies() {
    assert_eq!(frequencies('1'), Some((697.0, 1209.0)));
    assert_eq!(frequencies('0'), Some((941.0, 1336.0)));
    assert_eq!(frequencies('#'), Some((941.0, 1477.0)));
    assert_eq!(frequencies('d'), Some((941.0, 1633.0)));
    assert_eq!(frequencies('x'), None);
    assert_eq!(DIGITS.chars().filter_map(frequencies).count(), 16);
}

#[test]
fn sender_rejects_invalid_digit_and_keeps_queue() {
    let mut tx = DtmfSender::default();
    tx.push("12", 50, 50).unwrap();
    assert_eq!(tx.push("3x4", 50, 50), Err(Error::InvalidDigit('x')));
    let mut out = vec![0i16; 8 * 200 + 80];
    tx.fill(&mut out);
    assert!(tx.is_idle());
    assert_eq!(digits(&out), "12");
}

/// Q.23: the sender's output has the two frequencies at the configured levels, exact timing.
#[test]
fn sender_levels_and_timing() {
    let mut tx = DtmfSender::new(-9.0, -7.0);
    tx.push("5", 50, 30).unwrap();
    let mut out = vec![1i16; 8 * 100];
    tx.fill(&mut out[..123]);
    tx.fill(&mut out[123..]);
    let on = &out[..400];
    assert!((crate::goertzel::tone_level_dbm0(on, 770.0) + 9.0).abs() < 0.2);
    assert!((crate::goertzel::tone_level_dbm0(on, 1336.0) + 7.0).abs() < 0.2);
    assert!(out[400..].iter().all(|&s| s == 0));
    assert!(on[390..].iter().any(|&s| s != 0));
    assert!(tx.is_idle());
}

/// Q.24 §3 (valid signal): every digit at nominal frequencies and levels.
#[test]
fn detects_all_sixteen_digits() {
    let mut s = Sig::default().silence(20);
    for d in DIGITS.chars() {
        s = s.nominal(d, 50).silence(50);
    }
    assert_eq!(digits(&s.pcm()), DIGITS);
}

/// Q.24 §4.1 (frequency tolerance): accept ±1.5 %, reject ±3.5 %, in each group.
#[test]
fn frequency_deviation_accept_and_reject() {
    for d in DIGITS.chars() {
        for dev in [0.015, -0.015] {
            for (lo, hi) in [(dev, 0.0), (0.0, dev), (dev, dev), (dev, -dev)] {
                let s = Sig::default()
                    .silence(20)
                    .digit(d, 60, lo, hi, -10.0, -10.0)
                    .silence(60);
                assert_eq!(digits(&s.pcm()), d.to_string(), "digit {d} dev {lo} {hi}");
            }
        }
        for dev in [0.035, -0.035] {
            for (lo, hi) in [(dev, 0.0), (0.0, dev)] {
                let s = Sig::default()
                    .silence(20)
                    .digit(d, 60, lo, hi, -10.0, -10.0)
                    .silence(60);
                assert_eq!(digits(&s.pcm()), "", "digit {d} dev {lo} {hi}");
            }
        }
    }
}

/// Q.24 §4.3 (signal duration): accept 40 ms, reject 20–25 ms, whatever the alignment with
/// the detector's blocks.
#[test]
fn duration_accept_40_reject_25() {
    for offset in (0..80).step_by(5) {
        for d in ['1', '5', '9', '0', 'D'] {
            let mut s = Sig::default();
            s.x.resize(offset, 0.0);
            let s = s.silence(20).nominal(d, 40).silence(60);
            assert_eq!(
                digits(&s.pcm()),
                d.to_string(),
                "40 ms digit {d} offset {offset}"
            );
            for ms in [20, 25] {
                let mut s = Sig::default();
                s.x.resize(offset, 0.0);
                let s = s.silence(20).nominal(d, ms).silence(60);
                assert_eq!(digits(&s.pcm()), "", "{ms} ms digit {d} offset {offset}");
            }
        }
    }
}

/// Q.24 §4.4 (twist): accept 8 dB reverse and 4 dB forward; reject well beyond.
#[test]
fn twist_limits() {
    for d in ['1', '6', '8', '#', 'A'] {
        let ok = [(-6.0, -14.0), (-12.0, -8.0), (-20.0, -28.0), (-22.0, -18.0)];
        for (lo, hi) in ok {
            let s = Sig::default()
                .silence(20)
                .digit(d, 60, 0.0, 0.0, lo, hi)
                .silence(60);
            assert_eq!(
                digits(&s.pcm()),
                d.to_string(),
                "digit {d} low {lo} high {hi}"
            );
        }
        let bad = [(-6.0, -20.0), (-16.0, -6.0)];
        for (lo, hi) in bad {
            let s = Sig::default()
                .silence(20)
                .digit(d, 60, 0.0, 0.0, lo, hi)
                .silence(60);
            assert_eq!(digits(&s.pcm()), "", "digit {d} low {lo} high {hi}");
        }
    }
}

/// Q.24 §4.2 (levels): accept about 0 to -25 dBm0 per tone, reject far below.
#[test]
fn level_range() {
    for lvl in [-3.0, -10.0, -20.0, -25.0, -28.0] {
        let s = Sig::default()
            .silence(20)
            .digit('7', 60, 0.0, 0.0, lvl, lvl)
            .silence(60);
        assert_eq!(digits(&s.pcm()), "7", "level {lvl}");
    }
    for lvl in [-36.0, -45.0] {
        let s = Sig::default()
            .silence(20)
            .digit('7', 60, 0.0, 0.0, lvl, lvl)
            .silence(60);
        assert_eq!(digits(&s.pcm()), "", "level {lvl}");
    }
}

/// Q.24 §4.3.2 (signal interruption): a 10 ms drop-out inside a tone is one digit; a
/// 40 ms pause between two tones of the same digit gives two.
#[test]
fn dropout_and_pause() {
    for offset in (0..80).step_by(10) {
        let mut s = Sig::default();
        s.x.resize(offset, 0.0);
        let mut s = s.silence(20).nominal('3', 120).silence(60);
        // Zero 10 ms in the middle of the (phase-continuous) tone.
        let mid = offset + 160 + 400;
        s.x[mid..mid + 80].fill(0.0);
        assert_eq!(digits(&s.pcm()), "3", "drop-out, offset {offset}");

        let mut s = Sig::default();
        s.x.resize(offset, 0.0);
        let s = s
            .silence(20)
            .nominal('3', 50)
            .silence(40)
            .nominal('3', 50)
            .silence(60);
        assert_eq!(digits(&s.pcm()), "33", "pause, offset {offset}");
    }
}

/// Back-to-back different digits without a pause still give both digits.
#[test]
fn back_to_back_digits() {
    let s = Sig::default()
        .silence(20)
        .nominal('1', 80)
        .nominal('2', 80)
        .silence(60);
    assert_eq!(digits(&s.pcm()), "12");
}

/// Event timing: the Start sample and the duration are within 10 ms of the truth, and
/// Start/End pair up with `current()` in between.
#[test]
fn event_timing_and_current() {
    for offset in (0..80).step_by(8) {
        let mut s = Sig::default();
        s.x.resize(offset, 0.0);
        let s = s.silence(100).nominal('8', 100).silence(100);
        let ev = events(&s.pcm());
        assert_eq!(ev.len(), 2, "{ev:?}");
        let begin = offset as i64 + 800;
        match ev[0] {
            DtmfEvent::Start {
                digit: '8',
                at_sample,
            } => {
                assert!(
                    (at_sample as i64 - begin).abs() <= 80,
                    "start {at_sample} vs {begin}"
                )
            }
            other => panic!("{other:?}"),
        }
        match ev[1] {
            DtmfEvent::End {
                digit: '8',
                at_sample,
                duration_ms,
            } => {
                assert!(
                    (at_sample as i64 - begin - 800).abs() <= 80,
                    "end {at_sample}"
                );
                assert!(
                    (i64::from(duration_ms) - 100).abs() <= 10,
                    "duration {duration_ms}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    let mut det = DtmfDetector::new(DtmfDetectorConfig::default());
    let s = Sig::default().silence(20).nominal('*', 100).pcm();
    det.process(&s, |_| {});
    assert_eq!(det.current(), Some('*'));
    det.process(&[0; 800], |_| {});
    assert_eq!(det.current(), None);
}

/// Block boundaries: the same signal cut into any chunk sizes gives the same events.
#[test]
fn chunking_does_not_change_events() {
    let s = Sig::default()
        .silence(13)
        .nominal('4', 45)
        .silence(45)
        .nominal('C', 70)
        .silence(50)
        .pcm();
    let reference = events(&s);
    assert_eq!(reference.len(), 4);
    for chunk in [1, 7, 79, 80, 81, 333] {
        let mut det = DtmfDetector::new(DtmfDetectorConfig::default());
        let mut ev = Vec::new();
        for c in s.chunks(chunk) {
            det.process(c, |e| ev.push(e));
        }
        det.process(&[0; 800], |e| ev.push(e));
        assert_eq!(ev, reference, "chunk {chunk}");
    }
}

/// Q.24 §4.5 (noise): digits under white noise 15 dB below the tone pair are detected; noise
/// alone gives nothing.
#[test]
fn noise() {
    let mut s = Sig::default().silence(20);
    for d in "147*2580369#".chars() {
        s = s.nominal(d, 60).silence(60);
    }
    // Tone pair at -10 dBm0 each is -7 dBm0 total; noise at -22 dBm0.
    assert_eq!(digits(&s.add_noise(-22.0, 7).pcm()), "147*2580369#");
    let quiet = Sig::default().silence(3000).add_noise(-10.0, 99);
    assert_eq!(digits(&quiet.pcm()), "");
}

/// A single sine (a tone of one group only, e.g. dial tone) is not a digit.
#[test]
fn single_tones_are_not_digits() {
    for f in ALL_HZ {
        let s = Sig::default().tones(&[(f64::from(f), -5.0)], 200);
        assert_eq!(digits(&s.pcm()), "", "{f}");
    }
    // US dial tone and ringback are not digits either.
    let s = Sig::default().tones(&[(350.0, -13.0), (440.0, -13.0)], 500);
    assert_eq!(digits(&s.pcm()), "");
}

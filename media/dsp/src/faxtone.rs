//! Fax and modem tone detection: CNG (T.30 calling tone), CED / ANS (V.25 answer tone),
//! ANSam (V.8, 15 Hz amplitude modulation), /ANS phase reversals (V.25 / G.164–G.165 echo
//! canceller disabling) and V.21 channel-2 HDLC flag preambles (T.30).
//!
//! Work is per 10 ms block: Goertzel levels at 1100, 2100, 1650 and 1850 Hz against the
//! block's total power. 2100 Hz makes exactly 21 periods in 80 samples, so the phase of its
//! DFT bin is the same from block to block and a 180° jump marks a phase reversal.
//! Events carry the sample index (from the first sample pushed) at which they were decided.

use crate::goertzel::Goertzel;

/// What was detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaxToneKind {
    /// T.30 CNG: 1100 Hz, 0.5 s on (reported after 400 ms of tone).
    Cng,
    /// V.25 CED / ANS: 2100 Hz ± 15 Hz (reported after 400 ms of tone).
    Ced,
    /// V.8 ANSam: the 2100 Hz tone is amplitude-modulated at 15 Hz.
    AnsAm,
    /// A 180° phase reversal of the 2100 Hz tone (V.25 /ANS: every 450 ms).
    PhaseReversal,
    /// G.165 disabling condition: 2100 Hz with phase reversals — disable the echo canceller
    /// ([`crate::ec::EchoCanceller::set_enabled`]).
    DisableEchoCanceller,
    /// T.30 V.21 (channel 2, 1650/1850 Hz, 300 bit/s) HDLC flag preamble, after 300 ms.
    V21Flags,
    /// The tone being reported ended.
    End,
}

/// One detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaxToneEvent {
    /// What.
    pub kind: FaxToneKind,
    /// Sample index (at 8 kHz, from the first sample pushed) of the end of the deciding block.
    pub at_sample: u64,
}

/// Lowest level of a tone to count (dBm0): V.25 / T.30 tones are sent at -13..-6 dBm0 and
/// reach us attenuated by the line.
const MIN_DBM0: f32 = -43.0;
const BLOCK: usize = 80;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tone {
    None,
    T1100,
    T2100,
    V21,
}

/// Streaming detector for one port direction.
#[derive(Debug, Clone)]
pub struct FaxToneDetector {
    buf: [i16; BLOCK],
    fill: usize,
    samples: u64,
    current: Tone,
    run: u32,
    reported: bool,
    /// Phase of the 2100 Hz bin two blocks back and one block back.
    phases: [Option<f32>; 2],
    reversals: u32,
    disabled_reported: bool,
    mags: Vec<f32>,
    am_reported: bool,
    /// Blocks of the current V.21 run with space (1850 Hz) energy.
    spaces: u32,
}

impl Default for FaxToneDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl FaxToneDetector {
    /// A fresh detector.
    pub fn new() -> Self {
        Self {
            buf: [0; BLOCK],
            fill: 0,
            samples: 0,
            current: Tone::None,
            run: 0,
            reported: false,
            phases: [None; 2],
            reversals: 0,
            disabled_reported: false,
            mags: Vec::with_capacity(64),
            am_reported: false,
            spaces: 0,
        }
    }

    /// Push samples (any length); `on_event` is called for each detection.
    pub fn process(&mut self, samples: &[i16], mut on_event: impl FnMut(FaxToneEvent)) {
        for &s in samples {
            self.buf[self.fill] = s;
            self.fill += 1;
            self.samples += 1;
            if self.fill == BLOCK {
                self.fill = 0;
                let block = self.buf;
                self.block(&block, &mut on_event);
            }
        }
    }

    fn block(&mut self, b: &[i16; BLOCK], on_event: &mut impl FnMut(FaxToneEvent)) {
        let at = self.samples;
        let total: f32 = b.iter().map(|&s| f32::from(s).powi(2)).sum::<f32>() / BLOCK as f32;
        let lvl = crate::level::rms_dbm0(b);
        // Power of a sine at f in the block, mean-square units: amplitude² / 2.
        let p = |f: f32| {
            let mut g = Goertzel::new(f);
            g.push(b);
            g.amplitude().powi(2) / 2.0
        };
        let (p1100, p2100, p1650, p1850) = (p(1100.0), p(2100.0), p(1650.0), p(1850.0));
        let tone = if lvl < MIN_DBM0 {
            Tone::None
        } else if p1100 > 0.8 * total {
            Tone::T1100
        } else if p2100 > 0.7 * total {
            Tone::T2100
        } else if p1650 + p(1750.0) + p1850 > 0.7 * total {
            Tone::V21
        } else {
            Tone::None
        };
        // The 2100 Hz bin's phase (exactly 21 periods per block).
        let phase = if tone == Tone::T2100 || (self.current == Tone::T2100 && lvl >= MIN_DBM0) {
            let (mut re, mut im) = (0.0f32, 0.0f32);
            for (n, &s) in b.iter().enumerate() {
                let w = 2.0 * std::f32::consts::PI * 2100.0 * n as f32 / 8000.0;
                re += f32::from(s) * w.cos();
                im -= f32::from(s) * w.sin();
            }
            Some(im.atan2(re))
        } else {
            None
        };
        // A reversal straddles one block: compare with the block before the previous one.
        if self.current == Tone::T2100 {
            if let (Some(now), Some(before)) = (phase, self.phases[0]) {
                let mut d = (now - before).abs();
                if d > std::f32::consts::PI {
                    d = 2.0 * std::f32::consts::PI - d;
                }
                if d > 0.75 * std::f32::consts::PI {
                    self.reversals += 1;
                    // Forget the straddling block so one reversal counts once.
                    self.phases = [None, None];
                    on_event(FaxToneEvent {
                        kind: FaxToneKind::PhaseReversal,
                        at_sample: at,
                    });
                    if self.reported && !self.disabled_reported {
                        self.disabled_reported = true;
                        on_event(FaxToneEvent {
                            kind: FaxToneKind::DisableEchoCanceller,
                            at_sample: at,
                        });
                    }
                    return;
                }
            }
        }
        self.phases = [self.phases[1], phase];

        // A reversal block dips in level; keep the 2100 Hz run through one odd block.
        let tone = if tone == Tone::None && self.current == Tone::T2100 && phase.is_some() {
            Tone::T2100
        } else {
            tone
        };
        if tone == self.current && tone != Tone::None {
            self.run += 1;
        } else {
            if self.reported {
                on_event(FaxToneEvent {
                    kind: FaxToneKind::End,
                    at_sample: at,
                });
            }
            self.current = tone;
            self.run = 1;
            self.reported = false;
            self.reversals = 0;
            self.disabled_reported = false;
            self.mags.clear();
            self.am_reported = false;
            self.spaces = 0;
        }
        if tone == Tone::T2100 {
            self.mags.push(p2100.sqrt());
        }
        // Flags are six marks and two spaces: both frequencies must keep coming back.
        if tone == Tone::V21 && p1850 > 0.1 * total {
            self.spaces += 1;
        }
        let (need, kind) = match tone {
            Tone::T1100 => (40, FaxToneKind::Cng),
            Tone::T2100 => (40, FaxToneKind::Ced),
            Tone::V21 => (30, FaxToneKind::V21Flags),
            Tone::None => (u32::MAX, FaxToneKind::End),
        };
        let flags_ok =
            tone != Tone::V21 || (self.spaces * 5 >= self.run && self.spaces * 5 <= 4 * self.run);
        if !self.reported && self.run >= need && flags_ok {
            self.reported = true;
            on_event(FaxToneEvent {
                kind,
                at_sample: at,
            });
            if tone == Tone::T2100 && self.reversals > 0 && !self.disabled_reported {
                self.disabled_reported = true;
                on_event(FaxToneEvent {
                    kind: FaxToneKind::DisableEchoCanceller,
                    at_sample: at,
                });
            }
        }
        // ANSam: the 10 ms magnitudes of the tone swing at 15 Hz (V.8: 20 % modulation).
        if tone == Tone::T2100 && !self.am_reported && self.mags.len() >= 40 {
            let m = &self.mags[self.mags.len() - 40..];
            let mean = m.iter().sum::<f32>() / m.len() as f32;
            let var = m.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / m.len() as f32;
            if mean > 0.0 && var.sqrt() / mean > 0.07 {
                self.am_reported = true;
                on_event(FaxToneEvent {
                    kind: FaxToneKind::AnsAm,
                    at_sample: at,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::level::dbm0_to_peak;

    fn detect(x: &[i16]) -> Vec<FaxToneEvent> {
        let mut d = FaxToneDetector::new();
        let mut ev = Vec::new();
        for c in x.chunks(160) {
            d.process(c, |e| ev.push(e));
        }
        ev
    }

    fn kinds(ev: &[FaxToneEvent]) -> Vec<FaxToneKind> {
        ev.iter().map(|e| e.kind).collect()
    }

    /// A tone of `f` Hz at `dbm0`, `ms` long, with phase reversals every `rev_ms` (0 = none)
    /// and `am` depth of 15 Hz amplitude modulation.
    fn tone(f: f32, dbm0: f32, ms: usize, rev_ms: usize, am: f32) -> Vec<i16> {
        let a = dbm0_to_peak(dbm0);
        (0..ms * 8)
            .map(|n| {
                let t = n as f32 / 8000.0;
                let flip = rev_ms > 0 && (n / (rev_ms * 8)) % 2 == 1;
                let ph = if flip { std::f32::consts::PI } else { 0.0 };
                let env = 1.0 + am * (2.0 * std::f32::consts::PI * 15.0 * t).sin();
                (a * env / (1.0 + am) * (2.0 * std::f32::consts::PI * f * t + ph).sin()) as i16
            })
            .collect()
    }

    /// T.30 §5.3.1.1 CNG: 1100 Hz, 0.5 s on / 3 s off.
    #[test]
    fn cng_detected_per_burst() {
        let mut x = Vec::new();
        for _ in 0..2 {
            x.extend(tone(1100.0, -20.0, 500, 0, 0.0));
            x.extend(vec![0i16; 3000 * 8]);
        }
        let ev = detect(&x);
        let cng: Vec<_> = ev.iter().filter(|e| e.kind == FaxToneKind::Cng).collect();
        assert_eq!(cng.len(), 2, "{ev:?}");
        assert!(
            (3200..4800).contains(&(cng[0].at_sample as usize)),
            "{:?}",
            cng[0]
        );
    }

    /// V.25 §5.2: ANS 2100 Hz ± 15 Hz, 2.6..4 s; a plain tone is CED, not a disabler for a
    /// G.165 canceller.
    #[test]
    fn ced_at_tolerance_edges_without_disabling() {
        for f in [2085.0, 2100.0, 2115.0] {
            let ev = detect(&tone(f, -15.0, 2600, 0, 0.0));
            let k = kinds(&ev);
            assert!(k.contains(&FaxToneKind::Ced), "{f}: {k:?}");
            assert!(
                !k.contains(&FaxToneKind::DisableEchoCanceller),
                "{f}: {k:?}"
            );
            assert!(!k.contains(&FaxToneKind::AnsAm), "{f}: {k:?}");
        }
    }

    /// V.25 §5.2.2 / G.165 §3.4: /ANS with a phase reversal every 450 ms disables the echo
    /// canceller.
    #[test]
    fn phase_reversals_disable_the_canceller() {
        let ev = detect(&tone(2100.0, -15.0, 2600, 450, 0.0));
        let k = kinds(&ev);
        let revs = k
            .iter()
            .filter(|&&e| e == FaxToneKind::PhaseReversal)
            .count();
        assert!((4..=6).contains(&revs), "{k:?}");
        assert!(k.contains(&FaxToneKind::DisableEchoCanceller), "{k:?}");
    }

    /// V.8 §7.1: ANSam is 2100 Hz amplitude-modulated at 15 Hz (20 % depth).
    #[test]
    fn ansam_detected() {
        let k = kinds(&detect(&tone(2100.0, -15.0, 1500, 0, 0.2)));
        assert!(k.contains(&FaxToneKind::AnsAm), "{k:?}");
        assert!(k.contains(&FaxToneKind::Ced), "{k:?}");
    }

    /// T.30 §5.3.5 / V.21: HDLC flags (0x7E) at 300 bit/s on channel 2 (mark 1650 Hz, space
    /// 1850 Hz), sent LSB first, phase-continuous.
    #[test]
    fn v21_flags_detected() {
        let a = dbm0_to_peak(-15.0);
        let mut ph = 0.0f32;
        let mut x = Vec::new();
        for i in 0..(8000 * 6 / 10) {
            let bit = (i * 300 / 8000) % 8;
            let one = (1..=6).contains(&bit);
            let f = if one { 1650.0 } else { 1850.0 };
            ph += 2.0 * std::f32::consts::PI * f / 8000.0;
            x.push((a * ph.sin()) as i16);
        }
        assert!(kinds(&detect(&x)).contains(&FaxToneKind::V21Flags));
        // A steady 1650 Hz tone is not a flag sequence.
        assert!(!kinds(&detect(&tone(1650.0, -15.0, 600, 0, 0.0))).contains(&FaxToneKind::V21Flags));
    }

    /// Negative tests: speech-like signals and DTMF digits never trigger.
    #[test]
    fn speech_and_dtmf_do_not_trigger() {
        let sp: Vec<i16> = crate::ec::tests::speech_like(5 * 8000, -15.0, 3)
            .iter()
            .map(|v| v.round().clamp(-32768.0, 32767.0) as i16)
            .collect();
        assert_eq!(detect(&sp), vec![]);
        let mut s = crate::dtmf::DtmfSender::default();
        s.push("0123456789*#ABCD", 500, 100).unwrap();
        let mut x = vec![0i16; 16 * 600 * 8];
        s.fill(&mut x);
        assert_eq!(detect(&x), vec![]);
    }
}

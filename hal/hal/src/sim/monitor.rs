//! The simulated phone's tone monitor: what a listener would say is on the line.
//!
//! Every 10 ms it analyses the last 50 ms heard (400 samples) against a fixed set of candidate
//! frequencies (every component of every `tone::PLANS` tone, the sidebands of their amplitude
//! modulations, and the CAS/DT-AS pair). Each candidate is a DFT bin evaluated at an exact,
//! non-integer frequency (what a Goertzel filter computes); an orthogonal matching pursuit
//! picks the bins that explain the window, fitting them jointly by least squares so that
//! close tones (400 + 425 Hz, 440 vs 450 Hz) are told apart in a 50 ms window. If the picked
//! tones explain ≥ 85 % of the energy the window is a [`Heard::Tone`], else
//! [`Heard::Other`]; below −50 dBm0 it is [`Heard::Silence`].
//!
//! A change is committed to the log after two agreeing analyses (eight for `Other`, so the
//! partly filled windows at a tone's edges are not logged as noise). The logged time of a sound
//! starting or stopping is not the analysis time: 5 ms sub-block levels locate the edge block,
//! and the first (last) sample above a tenth of the sound's peak amplitude within it gives the
//! edge — to about a millisecond for steady tones, so cadences can be measured from the log.
//! (An amplitude-modulated tone that stops in a trough of its envelope is seen to stop early.)

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use tipring_dsp::level::DBM0_RMS;
use tipring_dsp::SAMPLE_RATE;

/// What the phone hears now (over the last ~50 ms).
#[derive(Debug, Clone, PartialEq)]
pub enum Heard {
    /// Nothing above −50 dBm0.
    Silence,
    /// One tone: its component frequencies (ascending; the sidebands of an amplitude-modulated
    /// tone are folded into its carrier) and its total level.
    Tone {
        /// Component frequencies in Hz, ascending.
        freqs_hz: Vec<f32>,
        /// Total level of the window in dBm0.
        level_dbm0: f32,
    },
    /// Something that is not one of the known tones (speech, noise, DTMF, ...).
    Other {
        /// Total level of the window in dBm0.
        level_dbm0: f32,
    },
}

impl Heard {
    /// Same classification: both silence, both other, or tones with the same frequencies.
    pub fn same_kind(&self, other: &Heard) -> bool {
        match (self, other) {
            (Heard::Silence, Heard::Silence) | (Heard::Other { .. }, Heard::Other { .. }) => true,
            (Heard::Tone { freqs_hz: a, .. }, Heard::Tone { freqs_hz: b, .. }) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1.0)
            }
            _ => false,
        }
    }

    /// True for [`Heard::Silence`].
    pub fn is_silence(&self) -> bool {
        matches!(self, Heard::Silence)
    }

    /// True for a tone whose components are exactly `freqs_hz` (in any order, ±1 Hz).
    pub fn is_tone(&self, freqs_hz: &[f32]) -> bool {
        match self {
            Heard::Tone { freqs_hz: f, .. } => {
                f.len() == freqs_hz.len()
                    && freqs_hz
                        .iter()
                        .all(|x| f.iter().any(|y| (x - y).abs() < 1.0))
            }
            _ => false,
        }
    }
}

/// One entry of the heard log: from `at` on, the phone heard `heard`.
#[derive(Debug, Clone, PartialEq)]
pub struct HeardChange {
    /// When it started (edge-corrected for tone starts and stops, see the module docs).
    pub at: Instant,
    /// What was heard from then on.
    pub heard: Heard,
}

/// A stretch of one tone, derived from the heard log.
#[derive(Debug, Clone, PartialEq)]
pub struct ToneSegment {
    /// When the tone started.
    pub start: Instant,
    /// When it stopped (None: still on).
    pub end: Option<Instant>,
    /// Its component frequencies.
    pub freqs_hz: Vec<f32>,
}

impl ToneSegment {
    /// How long it lasted (None while still on).
    pub fn duration(&self) -> Option<Duration> {
        self.end.map(|e| e.saturating_duration_since(self.start))
    }
}

/// The tone segments in a heard log, in order.
pub fn tone_segments(log: &[HeardChange]) -> Vec<ToneSegment> {
    let mut out = Vec::new();
    for (i, c) in log.iter().enumerate() {
        if let Heard::Tone { freqs_hz, .. } = &c.heard {
            out.push(ToneSegment {
                start: c.at,
                end: log.get(i + 1).map(|n| n.at),
                freqs_hz: freqs_hz.clone(),
            });
        }
    }
    out
}

const WINDOW: usize = 400;
const UPDATE: usize = 80;
const SUB: usize = 40;
const SUB_HISTORY: usize = 40;
/// Samples kept for locating edges (256 ms: a stop is committed ≥ 60 ms after it happened).
const HISTORY: usize = 2048;
/// A sub-block holds the sound if it is at most this far below the sound's peak sub-block.
const EDGE_BLOCK_DB: f32 = 10.0;
/// A sample belongs to the sound if it reaches this fraction of the sound's peak amplitude.
const EDGE_AMPLITUDE: f32 = 0.1;
const MAX_ATOMS: usize = 6;
/// Below this the window is silence.
pub(crate) const SILENCE_DBM0: f32 = -50.0;
/// Fraction of the window energy the picked tones must explain.
const TONE_EXPLAINED: f64 = 0.85;

#[derive(Debug, Clone)]
struct Atom {
    freq: f32,
    cos: Vec<f64>,
    sin: Vec<f64>,
}

#[derive(Debug, Clone, Copy)]
struct SubBlock {
    start: u64,
    level: f32,
}

/// The phone's tone monitor (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct ToneMonitor {
    start: Instant,
    atoms: Vec<Atom>,
    /// Gram matrix of all atom columns (cos_i, sin_i), 2K × 2K.
    gram: Vec<Vec<f64>>,
    /// (carrier, modulation frequency) of the known amplitude-modulated tones.
    modulations: Vec<(f32, f32)>,
    /// The last [`HISTORY`] samples heard; the analysis window is the newest [`WINDOW`].
    hist: VecDeque<i16>,
    /// Sample index of the next sample pushed.
    next: u64,
    sub_energy: f64,
    subs: VecDeque<SubBlock>,
    current: Heard,
    /// A change seen but not yet committed, and how many analyses agreed.
    pending: Option<(Heard, u32)>,
    /// Peak sub-block level of the tone or sound committed now.
    active_level: f32,
    /// Peak sample amplitude of the tone or sound committed now.
    active_peak: f32,
    log: Vec<HeardChange>,
}

impl ToneMonitor {
    /// A monitor whose sample 0 is at `start`, for these candidate frequencies and AM tones.
    pub(crate) fn new(start: Instant, freqs: &[f32], modulations: &[(f32, f32)]) -> Self {
        let mut uniq: Vec<f32> = Vec::new();
        for &f in freqs {
            if f > 0.0 && f < SAMPLE_RATE as f32 / 2.0 && !uniq.iter().any(|u| (u - f).abs() < 0.5)
            {
                uniq.push(f);
            }
        }
        uniq.sort_by(f32::total_cmp);
        let atoms: Vec<Atom> = uniq
            .iter()
            .map(|&freq| {
                let w = 2.0 * std::f64::consts::PI * f64::from(freq) / f64::from(SAMPLE_RATE);
                Atom {
                    freq,
                    cos: (0..WINDOW).map(|n| (w * n as f64).cos()).collect(),
                    sin: (0..WINDOW).map(|n| (w * n as f64).sin()).collect(),
                }
            })
            .collect();
        let cols: Vec<&Vec<f64>> = atoms.iter().flat_map(|a| [&a.cos, &a.sin]).collect();
        let gram = cols
            .iter()
            .map(|a| cols.iter().map(|b| dot(a, b)).collect())
            .collect();
        Self {
            start,
            atoms,
            gram,
            modulations: modulations.to_vec(),
            hist: VecDeque::from(vec![0; HISTORY]),
            next: 0,
            sub_energy: 0.0,
            subs: VecDeque::with_capacity(SUB_HISTORY + 1),
            current: Heard::Silence,
            pending: None,
            active_level: SILENCE_DBM0,
            active_peak: 0.0,
            log: Vec::new(),
        }
    }

    /// What is heard now.
    pub(crate) fn current(&self) -> &Heard {
        &self.current
    }

    /// Every committed change, oldest first.
    pub(crate) fn log(&self) -> &[HeardChange] {
        &self.log
    }

    fn time_of(&self, sample: u64) -> Instant {
        self.start + Duration::from_nanos(sample * 1_000_000_000 / u64::from(SAMPLE_RATE))
    }

    /// Feed the next samples heard.
    pub(crate) fn push(&mut self, samples: &[i16]) {
        for &s in samples {
            let x = f64::from(s);
            self.hist.pop_front();
            self.hist.push_back(s);
            self.sub_energy += x * x;
            self.next += 1;
            if self.next.is_multiple_of(SUB as u64) {
                let level = energy_dbm0(self.sub_energy, SUB);
                self.sub_energy = 0.0;
                if self.subs.len() == SUB_HISTORY {
                    self.subs.pop_front();
                }
                self.subs.push_back(SubBlock {
                    start: self.next - SUB as u64,
                    level,
                });
            }
            if self.next.is_multiple_of(UPDATE as u64) {
                self.update();
            }
        }
    }

    fn update(&mut self) {
        let heard = self.classify();
        if heard.same_kind(&self.current) {
            self.current = heard;
            self.pending = None;
            if !self.current.is_silence() {
                self.active_level = self.active_level.max(self.recent_peak(WINDOW / SUB));
                self.active_peak = self.active_peak.max(self.peak_amplitude(UPDATE));
            }
            return;
        }
        let count = match &self.pending {
            Some((p, n)) if p.same_kind(&heard) => n + 1,
            _ => 1,
        };
        let needed = if matches!(heard, Heard::Other { .. }) {
            8
        } else {
            2
        };
        if count < needed {
            self.pending = Some((heard, count));
            return;
        }
        self.pending = None;
        let at = self.change_time(&heard);
        // Keep the log in time order even when edge estimates are close together.
        let at = match self.log.last() {
            Some(last) if at < last.at => last.at,
            _ => at,
        };
        if heard.is_silence() {
            self.active_level = SILENCE_DBM0;
            self.active_peak = 0.0;
        } else {
            self.active_level = self.recent_peak(WINDOW / SUB);
            self.active_peak = self.peak_amplitude(WINDOW);
        }
        self.current = heard.clone();
        self.log.push(HeardChange { at, heard });
    }

    fn recent_peak(&self, n: usize) -> f32 {
        self.subs
            .iter()
            .rev()
            .take(n)
            .map(|b| b.level)
            .fold(SILENCE_DBM0, f32::max)
    }

    /// Largest |sample| among the newest `n`.
    fn peak_amplitude(&self, n: usize) -> f32 {
        self.hist
            .iter()
            .rev()
            .take(n)
            .map(|&x| f32::from(x).abs())
            .fold(0.0, f32::max)
    }

    /// The sample heard at index `i`, if still in the history.
    fn sample_at(&self, i: u64) -> Option<f32> {
        // hist[HISTORY - 1] is sample next - 1 (before sample 0 the history is zeros).
        let k = (i + HISTORY as u64).checked_sub(self.next)?;
        self.hist
            .get(usize::try_from(k).ok()?)
            .map(|&x| f32::from(x))
    }

    /// The best estimate of when the change to `new` happened.
    fn change_time(&self, new: &Heard) -> Instant {
        let fallback = self.time_of(self.next.saturating_sub(WINDOW as u64 / 2));
        let subs: Vec<SubBlock> = self.subs.iter().copied().collect();
        if self.current.is_silence() && !new.is_silence() {
            // Onset: the earliest loud sub-block of the sound now on (bridging up to two
            // quieter blocks, as in the troughs of an AM tone), then its first loud sample.
            let thr = (self.recent_peak(WINDOW / SUB) - EDGE_BLOCK_DB).max(SILENCE_DBM0);
            let mut earliest = None;
            let mut quiet = 0;
            for (i, b) in subs.iter().enumerate().rev() {
                if b.level >= thr {
                    earliest = Some(i);
                    quiet = 0;
                } else {
                    quiet += 1;
                    if quiet > 2 {
                        break;
                    }
                }
            }
            let Some(i) = earliest else { return fallback };
            let amp = EDGE_AMPLITUDE * self.peak_amplitude(WINDOW);
            let from = subs[i].start.saturating_sub(SUB as u64);
            let to = subs[i].start + SUB as u64;
            return (from..to)
                .find(|&k| self.sample_at(k).is_some_and(|x| x.abs() >= amp))
                .map_or(fallback, |k| self.time_of(k));
        }
        if !self.current.is_silence() && new.is_silence() {
            // Stop: the last sub-block still holding the sound, then its last loud sample.
            let thr = (self.active_level - EDGE_BLOCK_DB).max(SILENCE_DBM0);
            let Some(b) = subs.iter().rev().find(|b| b.level >= thr) else {
                return fallback;
            };
            let amp = EDGE_AMPLITUDE * self.active_peak;
            let to = b.start + 2 * SUB as u64;
            return (b.start..to)
                .rev()
                .find(|&k| self.sample_at(k).is_some_and(|x| x.abs() >= amp))
                .map_or(fallback, |k| self.time_of(k + 1));
        }
        fallback
    }

    fn classify(&self) -> Heard {
        let x: Vec<f64> = self
            .hist
            .iter()
            .skip(HISTORY - WINDOW)
            .map(|&v| f64::from(v))
            .collect();
        let energy = dot(&x, &x);
        let level_dbm0 = energy_dbm0(energy, WINDOW);
        if level_dbm0 < SILENCE_DBM0 {
            return Heard::Silence;
        }
        // Fast path: a steady tone goes on. When the atoms of the tone heard now explain
        // nearly all of the window, the full search below would end with the same atoms
        // (it stops once 99 % is explained), at a fraction of the cost.
        if let Heard::Tone { freqs_hz, .. } = &self.current {
            let picked: Vec<usize> = freqs_hz
                .iter()
                .filter_map(|f| self.atoms.iter().position(|a| (a.freq - f).abs() < 0.5))
                .collect();
            if !picked.is_empty() && picked.len() == freqs_hz.len() {
                let cols: Vec<usize> = picked.iter().flat_map(|&p| [2 * p, 2 * p + 1]).collect();
                let b: Vec<f64> = cols
                    .iter()
                    .map(|&c| {
                        let a = &self.atoms[c / 2];
                        dot(&x, if c % 2 == 0 { &a.cos } else { &a.sin })
                    })
                    .collect();
                if let Some(coef) = self.solve_for(&cols, &b) {
                    let explained: f64 = coef.iter().zip(&b).map(|(x, y)| x * y).sum();
                    if energy - explained < 0.01 * energy {
                        return self.tone_of(&picked, &coef, level_dbm0);
                    }
                }
            }
        }
        // Correlations of the window with every atom column.
        let corr: Vec<f64> = self
            .atoms
            .iter()
            .flat_map(|a| [dot(&x, &a.cos), dot(&x, &a.sin)])
            .collect();
        let mut picked: Vec<usize> = Vec::new();
        let mut coef: Vec<f64> = Vec::new();
        let mut residual = energy;
        while picked.len() < MAX_ATOMS {
            // Residual correlation of column c = corr[c] - Σ coef_k G[k][c] over picked columns.
            let rcorr = |c: usize| -> f64 {
                let mut r = corr[c];
                for (k, &p) in picked.iter().enumerate() {
                    r -= coef[2 * k] * self.gram[2 * p][c]
                        + coef[2 * k + 1] * self.gram[2 * p + 1][c];
                }
                r
            };
            let mut best: Option<(usize, f64)> = None;
            for (j, atom) in self.atoms.iter().enumerate() {
                if picked
                    .iter()
                    .any(|&p| (self.atoms[p].freq - atom.freq).abs() < 12.0)
                {
                    continue;
                }
                let (c, s) = (rcorr(2 * j), rcorr(2 * j + 1));
                let gain =
                    c * c / self.gram[2 * j][2 * j] + s * s / self.gram[2 * j + 1][2 * j + 1];
                if best.is_none_or(|(_, g)| gain > g) {
                    best = Some((j, gain));
                }
            }
            let Some((j, gain)) = best else { break };
            if gain < 0.02 * energy {
                break;
            }
            picked.push(j);
            let cols: Vec<usize> = picked.iter().flat_map(|&p| [2 * p, 2 * p + 1]).collect();
            let b: Vec<f64> = cols.iter().map(|&c| corr[c]).collect();
            match self.solve_for(&cols, &b) {
                Some(c) => {
                    residual = energy - c.iter().zip(&b).map(|(x, y)| x * y).sum::<f64>();
                    coef = c;
                }
                None => {
                    picked.pop();
                    break;
                }
            }
            if residual < 0.01 * energy {
                break;
            }
        }
        if picked.is_empty() || residual > (1.0 - TONE_EXPLAINED) * energy {
            return Heard::Other { level_dbm0 };
        }
        self.tone_of(&picked, &coef, level_dbm0)
    }

    /// Least-squares coefficients of the atom columns `cols` for correlations `b`.
    fn solve_for(&self, cols: &[usize], b: &[f64]) -> Option<Vec<f64>> {
        let g: Vec<Vec<f64>> = cols
            .iter()
            .map(|&a| cols.iter().map(|&c| self.gram[a][c]).collect())
            .collect();
        solve(g, b.to_vec())
    }

    /// The tone the picked atoms with these coefficients make.
    fn tone_of(&self, picked: &[usize], coef: &[f64], level_dbm0: f32) -> Heard {
        let amps: Vec<(f32, f64)> = picked
            .iter()
            .enumerate()
            .map(|(k, &p)| (self.atoms[p].freq, coef[2 * k].hypot(coef[2 * k + 1])))
            .collect();
        let max_amp = amps.iter().map(|a| a.1).fold(0.0, f64::max);
        let mut comps: Vec<(f32, f64)> =
            amps.into_iter().filter(|a| a.1 >= 0.1 * max_amp).collect();
        // Fold the symmetric sidebands of a known AM tone into its carrier.
        for &(carrier, m) in &self.modulations {
            let find =
                |f: f32, comps: &[(f32, f64)]| comps.iter().position(|c| (c.0 - f).abs() < 1.0);
            if find(carrier, &comps).is_none() {
                continue;
            }
            if let (Some(lo), Some(hi)) = (find(carrier - m, &comps), find(carrier + m, &comps)) {
                let (al, ah) = (comps[lo].1, comps[hi].1);
                if al.max(ah) <= 2.0 * al.min(ah) {
                    comps.retain(|c| {
                        (c.0 - (carrier - m)).abs() >= 1.0 && (c.0 - (carrier + m)).abs() >= 1.0
                    });
                }
            }
        }
        let mut freqs_hz: Vec<f32> = comps.iter().map(|c| c.0).collect();
        freqs_hz.sort_by(f32::total_cmp);
        Heard::Tone {
            freqs_hz,
            level_dbm0,
        }
    }
}

/// Dot product with eight independent sums, so the compiler can vectorise it (a single
/// running sum is a chain of dependent additions it must keep in order). The monitor
/// spends most of its time here: every 10 ms, two columns per candidate frequency.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in ca.by_ref().zip(cb.by_ref()) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    acc.iter().sum::<f64>() + tail
}

fn energy_dbm0(energy: f64, n: usize) -> f32 {
    let ms = energy / n as f64;
    let r = f64::from(DBM0_RMS);
    if ms <= 0.0 {
        return tipring_dsp::level::SILENCE_DBM0;
    }
    ((10.0 * (ms / (r * r)).log10()) as f32).max(tipring_dsp::level::SILENCE_DBM0)
}

/// Solve `g · x = b` (small, symmetric positive definite) by Gaussian elimination with partial
/// pivoting; None if it is (nearly) singular.
fn solve(mut g: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    let scale = (0..n).map(|i| g[i][i].abs()).fold(0.0, f64::max);
    for col in 0..n {
        let piv = (col..n).max_by(|&i, &j| g[i][col].abs().total_cmp(&g[j][col].abs()))?;
        if g[piv][col].abs() < 1e-9 * scale {
            return None;
        }
        g.swap(col, piv);
        b.swap(col, piv);
        for row in col + 1..n {
            let f = g[row][col] / g[col][col];
            if f != 0.0 {
                let (top, bottom) = g.split_at_mut(row);
                for (dst, src) in bottom[0][col..].iter_mut().zip(&top[col][col..]) {
                    *dst -= f * src;
                }
                b[row] -= f * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| g[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / g[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tipring_dsp::level::dbm0_to_peak;

    #[allow(clippy::disallowed_methods)]
    fn epoch() -> Instant {
        Instant::now()
    }

    /// Sum of sines (freq, dBm0), optionally amplitude-modulated (freq, depth).
    fn signal(parts: &[(f32, f32)], am: Option<(f32, f32)>, n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| {
                let t = i as f32 / SAMPLE_RATE as f32;
                let s: f32 = parts
                    .iter()
                    .map(|&(f, l)| dbm0_to_peak(l) * (2.0 * std::f32::consts::PI * f * t).sin())
                    .sum();
                let env = am.map_or(1.0, |(f, d)| {
                    1.0 + d * (2.0 * std::f32::consts::PI * f * t).sin()
                });
                (s * env).round() as i16
            })
            .collect()
    }

    fn monitor() -> ToneMonitor {
        // The E.180 Supp. 2 frequencies used below, plus the AM sidebands of 425 × 25 Hz.
        ToneMonitor::new(
            epoch(),
            &[350.0, 400.0, 425.0, 440.0, 450.0, 480.0, 620.0],
            &[(425.0, 25.0)],
        )
    }

    fn heard(parts: &[(f32, f32)], am: Option<(f32, f32)>) -> Heard {
        let mut m = monitor();
        m.push(&signal(parts, am, 2400));
        m.current().clone()
    }

    #[test]
    fn solves_small_systems() {
        let g = vec![vec![4.0, 1.0], vec![1.0, 3.0]];
        let x = solve(g, vec![1.0, 2.0]).unwrap();
        assert!((x[0] - 1.0 / 11.0).abs() < 1e-12 && (x[1] - 7.0 / 11.0).abs() < 1e-12);
        assert!(solve(vec![vec![1.0, 1.0], vec![1.0, 1.0]], vec![1.0, 1.0]).is_none());
    }

    #[test]
    fn tells_close_tones_apart() {
        // US dial 350 + 440 vs UK ringing 400 + 450 vs DE special dial 400 + 425.
        assert!(heard(&[(350.0, -13.0), (440.0, -13.0)], None).is_tone(&[350.0, 440.0]));
        assert!(heard(&[(400.0, -20.0), (450.0, -20.0)], None).is_tone(&[400.0, 450.0]));
        assert!(heard(&[(400.0, -13.0), (425.0, -13.0)], None).is_tone(&[400.0, 425.0]));
        assert!(heard(&[(450.0, -10.0)], None).is_tone(&[450.0]));
    }

    #[test]
    fn am_sidebands_fold_into_the_carrier() {
        // Australian dial tone: 425 Hz modulated by 25 Hz (E.180 Supp. 2) -> heard as 425 Hz.
        assert!(heard(&[(425.0, -16.0)], Some((25.0, 0.85))).is_tone(&[425.0]));
    }

    #[test]
    fn unknown_tone_and_low_level() {
        // A 1 kHz test tone is not a call-progress tone.
        assert!(matches!(
            heard(&[(1000.0, -10.0)], None),
            Heard::Other { .. }
        ));
        // -55 dBm0 is below the -50 dBm0 floor.
        assert_eq!(heard(&[(440.0, -55.0)], None), Heard::Silence);
    }

    #[test]
    fn levels_are_reported() {
        match heard(&[(480.0, -24.0), (620.0, -24.0)], None) {
            Heard::Tone { level_dbm0, .. } => {
                assert!((level_dbm0 + 21.0).abs() < 0.3, "{level_dbm0}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn segments_from_a_log() {
        let t0 = epoch();
        let ms = |n| t0 + Duration::from_millis(n);
        let tone = |f: f32| Heard::Tone {
            freqs_hz: vec![f],
            level_dbm0: -10.0,
        };
        let log = vec![
            HeardChange {
                at: ms(0),
                heard: tone(425.0),
            },
            HeardChange {
                at: ms(500),
                heard: Heard::Silence,
            },
            HeardChange {
                at: ms(1000),
                heard: tone(425.0),
            },
        ];
        let segs = tone_segments(&log);
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[0].duration(), Some(Duration::from_millis(500)));
        assert_eq!(segs[1].end, None);
        assert!(tone(425.0).same_kind(&tone(425.4)));
        assert!(!tone(425.0).same_kind(&tone(400.0)));
        assert!(!tone(425.0).is_tone(&[425.0, 400.0]));
    }
}

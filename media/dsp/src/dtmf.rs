//! DTMF (ITU-T Q.23) generation and detection (ITU-T Q.24 limits).
//!
//! # Sending
//!
//! [`DtmfSender`] queues digits and plays each as `on_ms` of tone and `off_ms` of silence.
//!
//! # Detecting
//!
//! [`DtmfDetector`] analyses the signal every 10 ms over the last 20 ms (160 samples) with
//! a complex single-bin DFT at each of the eight DTMF frequencies. The complex bins are
//! kept on a common time reference, so the phase advance of a bin from one window to the
//! next (10 ms later) measures the *actual* frequency of the tone to within a fraction of a
//! hertz: that is what separates the ±1.5 % that must be accepted from the ±3.5 % that must
//! be rejected (a plain 205-point Goertzel cannot). The level of each tone is then corrected
//! for the window's response at the measured offset. A window is a valid digit when, for
//! the strongest bin of each group:
//!
//! * each tone is at least [`DtmfDetectorConfig::min_level_dbm0`];
//! * the measured frequency is within [`DtmfDetectorConfig::max_freq_deviation`];
//! * each tone stands [`DtmfDetectorConfig::min_group_margin_db`] above the other tones of
//!   its group;
//! * the twist (high minus low level) is within the forward/reverse limits;
//! * the two tones carry at least [`DtmfDetectorConfig::min_tone_energy_ratio`] of the
//!   window's energy (talk-off: speech and music spread their energy);
//! * the high-group tone has no strong second harmonic (talk-off: voiced speech is
//!   harmonic).
//!
//! A digit starts after [`DtmfDetectorConfig::min_on_steps`] consecutive valid windows with
//! the same digit whose tone-energy shares average at least
//! [`DtmfDetectorConfig::min_start_energy_ratio`] (3 steps: a 40 ms tone always gives them,
//! a 25 ms tone never can, because the first and third window share no sample and each needs
//! 70 % tone). It ends after [`DtmfDetectorConfig::end_steps`] windows without it (4 steps: a
//! 10 ms drop-out spoils at most 3 windows, a 40 ms pause always at least 4).
//!
//! Cost: 16 dot products of 80 samples per 10 ms, plus two short Goertzel runs on candidate
//! windows; near-silent blocks skip the dot products.
//!
//! ```
//! use tipring_dsp::dtmf::{DtmfDetector, DtmfDetectorConfig, DtmfEvent, DtmfSender};
//!
//! let mut tx = DtmfSender::default();
//! tx.push("159#", 60, 60).unwrap();
//! let mut rx = DtmfDetector::new(DtmfDetectorConfig::default());
//! let mut digits = String::new();
//! let mut frame = [0i16; 80];
//! while !tx.is_idle() {
//!     tx.fill(&mut frame);
//!     rx.process(&frame, |ev| if let DtmfEvent::Start { digit, .. } = ev { digits.push(digit) });
//! }
//! rx.process(&[0; 400], |_| {});
//! assert_eq!(digits, "159#");
//! ```

use std::collections::VecDeque;

use crate::error::{Error, Result};
use crate::level::dbm0_to_peak;
use crate::osc::{const_cos, const_sin, to_i16, Osc};
use crate::SAMPLE_RATE;

/// The sixteen DTMF digits.
pub const DIGITS: &str = "0123456789*#ABCD";

/// Low-group frequencies (rows), Hz (ITU-T Q.23 Table 1).
pub const LOW_HZ: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
/// High-group frequencies (columns), Hz (ITU-T Q.23 Table 1).
pub const HIGH_HZ: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];

/// Keypad layout: `KEYS[row][col]`.
const KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

fn position(digit: char) -> Option<(usize, usize)> {
    let d = digit.to_ascii_uppercase();
    KEYS.iter()
        .enumerate()
        .find_map(|(r, row)| row.iter().position(|&k| k == d).map(|c| (r, c)))
}

/// (low, high) frequencies of a DTMF digit (ITU-T Q.23). Letters are case-insensitive.
pub fn frequencies(digit: char) -> Option<(f32, f32)> {
    position(digit).map(|(r, c)| (LOW_HZ[r], HIGH_HZ[c]))
}

/// Samples per millisecond.
const SAMPLES_PER_MS: u32 = SAMPLE_RATE / 1000;

/// One queued digit.
#[derive(Debug, Clone, Copy)]
struct Queued {
    low: f32,
    high: f32,
    on: u32,
    off: u32,
}

/// Queues DTMF digits and generates them as audio.
///
/// Default levels: low group -8 dBm0, high group -6 dBm0 per tone. ITU-T Q.23 leaves levels
/// to national documents; ETSI ES 201 235-2 §4.2 sends the high group 2 dB above the low group
/// (pre-emphasis for the line's high-frequency loss) at about -11/-9 dBV; -8/-6 dBm0 keeps
/// that 2 dB forward twist, a total of about -4 dBm0, and cannot clip.
#[derive(Debug, Clone)]
pub struct DtmfSender {
    low_amp: f32,
    high_amp: f32,
    queue: VecDeque<Queued>,
    /// The digit being played: oscillators and samples left of tone and of silence.
    current: Option<(Osc, Osc, u32, u32)>,
}

impl Default for DtmfSender {
    fn default() -> Self {
        Self::new(-8.0, -6.0)
    }
}

impl DtmfSender {
    /// A sender with the given levels per tone in dBm0.
    pub fn new(low_dbm0: f32, high_dbm0: f32) -> Self {
        Self {
            low_amp: dbm0_to_peak(low_dbm0),
            high_amp: dbm0_to_peak(high_dbm0),
            queue: VecDeque::new(),
            current: None,
        }
    }

    /// Queue digits, each `on_ms` of tone followed by `off_ms` of silence. Err on an invalid
    /// digit (queue unchanged).
    pub fn push(&mut self, digits: &str, on_ms: u32, off_ms: u32) -> Result<()> {
        if let Some(bad) = digits.chars().find(|&d| frequencies(d).is_none()) {
            return Err(Error::InvalidDigit(bad));
        }
        for d in digits.chars() {
            if let Some((low, high)) = frequencies(d) {
                self.queue.push_back(Queued {
                    low,
                    high,
                    on: on_ms.saturating_mul(SAMPLES_PER_MS),
                    off: off_ms.saturating_mul(SAMPLES_PER_MS),
                });
            }
        }
        Ok(())
    }

    /// Drop everything queued and stop at once.
    pub fn clear(&mut self) {
        self.queue.clear();
        self.current = None;
    }

    /// Overwrite `out` with the next samples (zeros when idle).
    pub fn fill(&mut self, out: &mut [i16]) {
        let mut pos = 0;
        while pos < out.len() {
            let Some((lo, hi, on, off)) = &mut self.current else {
                match self.queue.pop_front() {
                    Some(q) => {
                        self.current = Some((Osc::new(q.low), Osc::new(q.high), q.on, q.off))
                    }
                    None => {
                        out[pos..].fill(0);
                        return;
                    }
                }
                continue;
            };
            let room = out.len() - pos;
            if *on > 0 {
                let n = room.min(*on as usize);
                for s in &mut out[pos..pos + n] {
                    *s = to_i16(self.low_amp * lo.next_sample() + self.high_amp * hi.next_sample());
                }
                *on -= n as u32;
                pos += n;
            } else if *off > 0 {
                let n = room.min(*off as usize);
                out[pos..pos + n].fill(0);
                *off -= n as u32;
                pos += n;
            } else {
                self.current = None;
            }
        }
        if matches!(self.current, Some((_, _, 0, 0))) {
            self.current = None;
        }
    }

    /// True when nothing is queued or playing.
    pub fn is_idle(&self) -> bool {
        self.current.is_none() && self.queue.is_empty()
    }
}

/// Thresholds of the [`DtmfDetector`]. `Default` meets the ITU-T Q.24 limits listed in the
/// module documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DtmfDetectorConfig {
    /// Minimum level of each tone in dBm0 (default -30; Q.24 operating range is 0 to -25).
    pub min_level_dbm0: f32,
    /// Largest reverse twist (low group louder) accepted, dB (default 10; Q.24 requires 8).
    pub max_reverse_twist_db: f32,
    /// Largest forward twist (high group louder) accepted, dB (default 6; Q.24 requires 4).
    pub max_forward_twist_db: f32,
    /// Largest deviation of either tone from its nominal frequency, as a fraction
    /// (default 0.025: between the ±1.5 % that Q.24 accepts and the ±3.5 % it rejects).
    pub max_freq_deviation: f32,
    /// Smallest share of the window's energy carried by the two tones (default 0.7).
    pub min_tone_energy_ratio: f32,
    /// Smallest mean of that share over the `min_on_steps` windows that start a digit
    /// (default 0.8: a real tone fills most windows completely, speech rarely does).
    pub min_start_energy_ratio: f32,
    /// Smallest margin of each tone over the other three of its group, dB (default 6).
    pub min_group_margin_db: f32,
    /// Largest level of the high-group tone's second harmonic relative to it, dB (default -12).
    pub max_second_harmonic_db: f32,
    /// Consecutive valid 10 ms steps that start a digit (default 3; at most 16).
    pub min_on_steps: u32,
    /// Consecutive steps without the digit that end it (default 4).
    pub end_steps: u32,
}

impl Default for DtmfDetectorConfig {
    fn default() -> Self {
        Self {
            min_level_dbm0: -30.0,
            max_reverse_twist_db: 10.0,
            max_forward_twist_db: 6.0,
            max_freq_deviation: 0.025,
            min_tone_energy_ratio: 0.7,
            min_start_energy_ratio: 0.8,
            min_group_margin_db: 6.0,
            max_second_harmonic_db: -12.0,
            min_on_steps: 3,
            end_steps: 4,
        }
    }
}

/// What the detector reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtmfEvent {
    /// A digit was recognised. `at_sample` = sample index (since the detector was created)
    /// where the tone began (best estimate).
    Start {
        /// The digit (`0-9`, `*`, `#`, `A-D`).
        digit: char,
        /// Estimated first sample of the tone.
        at_sample: u64,
    },
    /// The digit ended; duration in ms.
    End {
        /// The digit.
        digit: char,
        /// Estimated sample just after the tone.
        at_sample: u64,
        /// Estimated duration of the tone, ms.
        duration_ms: u32,
    },
}

/// Analysis hop: 10 ms.
const HOP: usize = 80;
/// Analysis window: 20 ms (two hops).
const WIN: usize = 2 * HOP;
const ALL_HZ: [f32; 8] = [697.0, 770.0, 852.0, 941.0, 1209.0, 1336.0, 1477.0, 1633.0];

/// `TABLES[2k][n] = cos(ω_k n)`, `TABLES[2k+1][n] = sin(ω_k n)` for the 8 DTMF frequencies.
static TABLES: [[f32; HOP]; 16] = build_tables();

const fn build_tables() -> [[f32; HOP]; 16] {
    let mut t = [[0f32; HOP]; 16];
    let mut k = 0;
    while k < 8 {
        let w = 2.0 * std::f64::consts::PI * ALL_HZ[k] as f64 / SAMPLE_RATE as f64;
        let mut n = 0;
        while n < HOP {
            t[2 * k][n] = const_cos(w * n as f64) as f32;
            t[2 * k + 1][n] = const_sin(w * n as f64) as f32;
            n += 1;
        }
        k += 1;
    }
    t
}

/// Dot product with 8 independent accumulators (vectorises).
#[inline]
fn dot(a: &[f32; HOP], b: &[f32; HOP]) -> f32 {
    let mut acc = [0f32; 8];
    for (ca, cb) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for i in 0..8 {
            acc[i] += ca[i] * cb[i];
        }
    }
    (acc[0] + acc[4]) + (acc[1] + acc[5]) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Cplx {
    re: f32,
    im: f32,
}

impl Cplx {
    fn mul(self, o: Cplx) -> Cplx {
        Cplx {
            re: self.re * o.re - self.im * o.im,
            im: self.re * o.im + self.im * o.re,
        }
    }
    fn add(self, o: Cplx) -> Cplx {
        Cplx {
            re: self.re + o.re,
            im: self.im + o.im,
        }
    }
    fn norm2(self) -> f32 {
        self.re * self.re + self.im * self.im
    }
    /// Phase of `self · conj(o)`.
    fn phase_from(self, o: Cplx) -> f32 {
        let re = self.re * o.re + self.im * o.im;
        let im = self.im * o.re - self.re * o.im;
        im.atan2(re)
    }
}

/// Goertzel power of `x` at `freq_hz`.
fn goertzel_power(x: &[f32], freq_hz: f32) -> f32 {
    let coeff = 2.0 * (2.0 * std::f32::consts::PI * freq_hz / SAMPLE_RATE as f32).cos();
    let (mut s1, mut s2) = (0f32, 0f32);
    for &v in x {
        let s0 = v + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    (s1 * s1 + s2 * s2 - coeff * s1 * s2).max(0.0)
}

/// Magnitude response of the 160-sample rectangular window at `df` Hz from the bin.
fn window_gain(df: f32) -> f32 {
    let x = std::f32::consts::PI * df / SAMPLE_RATE as f32;
    if x.abs() < 1e-6 {
        return 1.0;
    }
    ((WIN as f32 * x).sin() / (WIN as f32 * x.sin())).abs()
}

/// The result of analysing one window.
#[derive(Debug, Clone, Copy)]
struct Valid {
    digit: char,
    /// Share of the window's energy in the two tones.
    ratio: f32,
}

/// A DTMF receiver (ITU-T Q.24 style); see the module documentation for the method.
#[derive(Debug, Clone)]
pub struct DtmfDetector {
    cfg: DtmfDetectorConfig,
    // Derived thresholds.
    min_amp2: f32,
    max_rev: f32,
    max_fwd: f32,
    group_margin: f32,
    harmonic_limit: f32,
    silence_energy: f32,
    // Input blocking.
    hop: [f32; HOP],
    hop_len: usize,
    prev_hop: [f32; HOP],
    prev_energy: f32,
    hops_done: u64,
    // Bins: rotators e^{-jω·80m}, the per-hop bins on the common time reference and the
    // window bins of the previous step.
    rot: [Cplx; 8],
    rot_step: [Cplx; 8],
    prev_h: [Cplx; 8],
    prev_g: [Cplx; 8],
    // Digit state.
    run_digit: Option<char>,
    run_len: u32,
    run_start: u64,
    /// Energy shares of the last windows of the run (ring of 16).
    run_ratios: [f32; 16],
    active: Option<Active>,
}

#[derive(Debug, Clone, Copy)]
struct Active {
    digit: char,
    start: u64,
    last_valid_end: u64,
    last_ratio: f32,
    misses: u32,
}

impl DtmfDetector {
    /// A detector with thresholds `cfg`.
    pub fn new(cfg: DtmfDetectorConfig) -> Self {
        let min_amp = dbm0_to_peak(cfg.min_level_dbm0);
        let mut rot_step = [Cplx::default(); 8];
        for (k, r) in rot_step.iter_mut().enumerate() {
            let w = 2.0 * std::f64::consts::PI * f64::from(ALL_HZ[k]) / f64::from(SAMPLE_RATE);
            let a = w * HOP as f64;
            *r = Cplx {
                re: a.cos() as f32,
                im: -a.sin() as f32,
            };
        }
        Self {
            cfg,
            min_amp2: min_amp * min_amp,
            max_rev: 10f32.powf(cfg.max_reverse_twist_db / 10.0),
            max_fwd: 10f32.powf(cfg.max_forward_twist_db / 10.0),
            group_margin: 10f32.powf(cfg.min_group_margin_db / 10.0),
            harmonic_limit: 10f32.powf(cfg.max_second_harmonic_db / 10.0),
            // A hop quieter than a -50 dBm0 sine cannot matter: its bins are taken as zero.
            silence_energy: HOP as f32 * dbm0_to_peak(-50.0).powi(2) / 2.0,
            hop: [0.0; HOP],
            hop_len: 0,
            prev_hop: [0.0; HOP],
            prev_energy: 0.0,
            hops_done: 0,
            rot: [Cplx { re: 1.0, im: 0.0 }; 8],
            rot_step,
            prev_h: [Cplx::default(); 8],
            prev_g: [Cplx::default(); 8],
            run_digit: None,
            run_len: 0,
            run_start: 0,
            run_ratios: [0.0; 16],
            active: None,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &DtmfDetectorConfig {
        &self.cfg
    }

    /// Any length of input; internally blocks the samples. Calls `on_event` for each event.
    pub fn process(&mut self, samples: &[i16], mut on_event: impl FnMut(DtmfEvent)) {
        let mut rest = samples;
        while !rest.is_empty() {
            let n = (HOP - self.hop_len).min(rest.len());
            for (d, &s) in self.hop[self.hop_len..self.hop_len + n]
                .iter_mut()
                .zip(&rest[..n])
            {
                *d = f32::from(s);
            }
            self.hop_len += n;
            rest = &rest[n..];
            if self.hop_len == HOP {
                self.hop_len = 0;
                self.step(&mut on_event);
            }
        }
    }

    /// The digit currently present, if any.
    pub fn current(&self) -> Option<char> {
        self.active.map(|a| a.digit)
    }

    /// Analyse the hop just completed, together with the one before it.
    fn step(&mut self, on_event: &mut impl FnMut(DtmfEvent)) {
        let energy: f32 = self.hop.iter().map(|v| v * v).sum();
        let mut g = [Cplx::default(); 8];
        for k in 0..8 {
            let local = if energy < self.silence_energy {
                Cplx::default()
            } else {
                Cplx {
                    re: dot(&self.hop, &TABLES[2 * k]),
                    im: -dot(&self.hop, &TABLES[2 * k + 1]),
                }
            };
            let h = local.mul(self.rot[k]);
            g[k] = self.prev_h[k].add(h);
            self.prev_h[k] = h;
            let r = self.rot[k].mul(self.rot_step[k]);
            // Keep the rotator on the unit circle (first-order renormalisation).
            let fix = 1.5 - 0.5 * r.norm2();
            self.rot[k] = Cplx {
                re: r.re * fix,
                im: r.im * fix,
            };
        }
        let win_energy = energy + self.prev_energy;
        let hop_index = self.hops_done;
        let result = if hop_index == 0 {
            None
        } else {
            self.analyse(&g, win_energy)
        };
        self.prev_g = g;
        self.prev_energy = energy;
        self.prev_hop = self.hop;
        self.hops_done += 1;
        // The window just analysed spans [start, start + WIN).
        let win_start = (hop_index * HOP as u64).saturating_sub(HOP as u64);
        self.track(result, win_start, on_event);
    }

    /// Validity checks of one 160-sample window with bins `g` and energy `win_energy`.
    fn analyse(&self, g: &[Cplx; 8], win_energy: f32) -> Option<Valid> {
        let n = WIN as f32;
        // Both tones at the minimum level would carry at least this much energy.
        if win_energy < n * self.min_amp2 {
            return None;
        }
        let p: [f32; 8] = std::array::from_fn(|k| g[k].norm2());
        let (lo, hi) = (argmax(&p[..4]), 4 + argmax(&p[4..]));
        for (best, range) in [(lo, 0..4), (hi, 4..8)] {
            if range
                .clone()
                .any(|k| k != best && p[k] * self.group_margin > p[best])
            {
                return None;
            }
        }
        // Actual frequencies from the phase advance over one hop.
        let hz_per_rad = SAMPLE_RATE as f32 / (2.0 * std::f32::consts::PI * HOP as f32);
        let mut amp2 = [0f32; 2];
        for (i, &k) in [lo, hi].iter().enumerate() {
            if self.prev_g[k].norm2() == 0.0 {
                return None;
            }
            let df = g[k].phase_from(self.prev_g[k]) * hz_per_rad;
            if df.abs() > self.cfg.max_freq_deviation * ALL_HZ[k] {
                return None;
            }
            let a = 2.0 * p[k].sqrt() / (n * window_gain(df));
            amp2[i] = a * a;
        }
        let [low2, high2] = amp2;
        if low2 < self.min_amp2 || high2 < self.min_amp2 {
            return None;
        }
        if high2 > low2 * self.max_fwd || low2 > high2 * self.max_rev {
            return None;
        }
        let ratio = n * (low2 + high2) / 2.0 / win_energy;
        if ratio < self.cfg.min_tone_energy_ratio {
            return None;
        }
        // Second harmonic of the high-group tone (only for candidates, so the cost stays low).
        // The low group's harmonics (1394-1882 Hz) lie within 40-85 Hz of high-group tones,
        // whose leakage through a 20 ms window would swamp them, so they are not checked.
        let mut window = [0f32; WIN];
        window[..HOP].copy_from_slice(&self.prev_hop);
        window[HOP..].copy_from_slice(&self.hop);
        if goertzel_power(&window, 2.0 * ALL_HZ[hi]) > self.harmonic_limit * p[hi] {
            return None;
        }
        Some(Valid {
            digit: KEYS[lo][hi - 4],
            ratio: ratio.min(1.0),
        })
    }

    /// Digit state machine, one step per hop.
    fn track(
        &mut self,
        result: Option<Valid>,
        win_start: u64,
        on_event: &mut impl FnMut(DtmfEvent),
    ) {
        let win_end = win_start + WIN as u64;
        // Run of identical valid windows (candidate for a new digit).
        if let Some(v) = result {
            // Same slot arithmetic as `start_ratio_ok` (`hops_done` is one ahead here).
            self.run_ratios[(self.hops_done as usize + 15) % 16] = v.ratio;
        }
        match result {
            Some(v) if self.run_digit == Some(v.digit) => self.run_len += 1,
            Some(v) => {
                self.run_digit = Some(v.digit);
                self.run_len = 1;
                // Tone onset: inside this window if it is only partly tone, else just before it.
                self.run_start = if v.ratio < 0.95 {
                    win_start + ((1.0 - v.ratio) * WIN as f32) as u64
                } else {
                    win_start.saturating_sub(HOP as u64 / 5)
                };
            }
            None => {
                self.run_digit = None;
                self.run_len = 0;
            }
        }
        if let Some(a) = &mut self.active {
            match result {
                Some(v) if v.digit == a.digit => {
                    a.misses = 0;
                    a.last_valid_end = win_end;
                    a.last_ratio = v.ratio;
                }
                _ => a.misses += 1,
            }
            if a.misses >= self.cfg.end_steps {
                let end = if a.last_ratio < 0.95 {
                    a.last_valid_end - ((1.0 - a.last_ratio) * WIN as f32) as u64
                } else {
                    a.last_valid_end + HOP as u64 / 5
                };
                let end = end.max(a.start);
                on_event(DtmfEvent::End {
                    digit: a.digit,
                    at_sample: end,
                    duration_ms: ((end - a.start) / u64::from(SAMPLES_PER_MS)) as u32,
                });
                self.active = None;
            }
        }
        // A run of a digit can only be this long while no digit is active if it began while a
        // different digit was fading out; either way it starts now.
        let need = self.cfg.min_on_steps.clamp(1, 16);
        if self.active.is_none() && self.run_len >= need && self.start_ratio_ok(need) {
            if let Some(digit) = self.run_digit {
                on_event(DtmfEvent::Start {
                    digit,
                    at_sample: self.run_start,
                });
                self.active = Some(Active {
                    digit,
                    start: self.run_start,
                    last_valid_end: win_end,
                    last_ratio: 1.0,
                    misses: 0,
                });
            }
        }
    }
}

impl DtmfDetector {
    /// Whether the last `need` windows of the run carry, on average, enough tone energy.
    fn start_ratio_ok(&self, need: u32) -> bool {
        // `hops_done` was already advanced past the window just tracked.
        let last = self.hops_done as usize + 15;
        let sum: f32 = (0..need as usize)
            .map(|i| self.run_ratios[(last - i) % 16])
            .sum();
        sum / need as f32 >= self.cfg.min_start_energy_ratio
    }
}

fn argmax(p: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in p.iter().enumerate() {
        if v > p[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests;

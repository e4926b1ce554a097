//! Call-progress tones: national tone plans and a cheap, phase-continuous generator.
//!
//! A [`ToneSpec`] is a set of sine components (each with its own level in dBm0, as
//! ITU-T E.180 §2 specifies tones), an optional amplitude modulation and a
//! [`Cadence`]. A [`TonePlan`] holds the seven tones of a country (see [`ToneKind`]), its
//! ringing cadence and its usual caller-ID method; [`PLANS`] lists them and [`plan`] looks
//! one up by code.
//!
//! ```
//! use tipring_dsp::tone::{plan, ToneGenerator, ToneKind};
//! use tipring_dsp::Frame;
//!
//! let us = plan("us").expect("known plan");
//! let mut dial = ToneGenerator::new(us.tone(ToneKind::Dial));
//! let mut frame: Frame = [0; 80];
//! dial.fill(&mut frame); // next 10 ms of 350 + 440 Hz at -13 dBm0 each
//! assert!(frame.iter().any(|&s| s != 0));
//! ```

mod plans;

use crate::cadence::{After, Cadence};
use crate::level::dbm0_to_peak;
use crate::osc::{to_i16, Osc};
use crate::SAMPLE_RATE;

pub use plans::{AU, CN, DE, FR, JP, NL, PLANS, UK, US};

/// One sine component of a tone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToneComponent {
    /// Frequency in Hz.
    pub freq_hz: f32,
    /// Level of this component alone, in dBm0.
    pub level_dbm0: f32,
}

impl ToneComponent {
    /// A component at `freq_hz` and `level_dbm0`.
    pub const fn new(freq_hz: f32, level_dbm0: f32) -> Self {
        Self {
            freq_hz,
            level_dbm0,
        }
    }
}

/// Amplitude modulation, as in Japanese ringback (400 Hz × 16 Hz) or Australian dial tone
/// (425 × 25 Hz).
///
/// The generated signal is `Σ aᵢ sin(2π fᵢ t) · (1 + depth · sin(2π fₘ t))`: each component's
/// `level_dbm0` is the level of its carrier, and the two side bands (at `fᵢ ± fₘ`) are each
/// `depth / 2` of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Modulation {
    /// Modulating frequency in Hz.
    pub freq_hz: f32,
    /// Modulation depth, `0..=1`.
    pub depth: f32,
}

/// A complete tone: components, optional modulation and cadence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToneSpec {
    /// The sine components, summed.
    pub components: &'static [ToneComponent],
    /// Amplitude modulation of the sum, if any.
    pub modulation: Option<Modulation>,
    /// On/off cadence.
    pub cadence: Cadence,
}

impl ToneSpec {
    /// The largest sample magnitude this tone can reach (before 16-bit saturation).
    pub fn peak_amplitude(&self) -> f32 {
        let sum: f32 = self
            .components
            .iter()
            .map(|c| dbm0_to_peak(c.level_dbm0))
            .sum();
        sum * (1.0 + self.modulation.map_or(0.0, |m| m.depth))
    }
}

/// The tones every plan provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToneKind {
    /// Dial tone (proceed to dial).
    Dial,
    /// Stutter (interrupted, then steady) dial tone: message waiting / special dial tone.
    StutterDial,
    /// Busy (engaged) tone.
    Busy,
    /// Ringback (audible ringing, ringing tone).
    Ringback,
    /// Congestion (reorder, path engaged) tone.
    Congestion,
    /// Call-waiting tone (short beeps played into a call).
    CallWaiting,
    /// Off-hook warning (receiver off-hook, howler) tone.
    OffHookWarning,
}

impl ToneKind {
    /// Every tone kind, in declaration order.
    pub const ALL: [ToneKind; 7] = [
        ToneKind::Dial,
        ToneKind::StutterDial,
        ToneKind::Busy,
        ToneKind::Ringback,
        ToneKind::Congestion,
        ToneKind::CallWaiting,
        ToneKind::OffHookWarning,
    ];

    /// A short lower-case name (`"dial"`, `"stutter-dial"`, `"busy"`, `"ringback"`,
    /// `"congestion"`, `"call-waiting"`, `"off-hook-warning"`).
    pub fn name(self) -> &'static str {
        match self {
            ToneKind::Dial => "dial",
            ToneKind::StutterDial => "stutter-dial",
            ToneKind::Busy => "busy",
            ToneKind::Ringback => "ringback",
            ToneKind::Congestion => "congestion",
            ToneKind::CallWaiting => "call-waiting",
            ToneKind::OffHookWarning => "off-hook-warning",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A country's tones, ringing cadence and caller-ID method.
#[derive(Debug)]
pub struct TonePlan {
    /// Lower-case code: `"us"`, `"uk"`, `"de"`, `"fr"`, `"nl"`, `"jp"`, `"cn"`, `"au"`.
    pub code: &'static str,
    /// Country name, e.g. `"United States"`.
    pub name: &'static str,
    /// Ringing cadence (on = ringing voltage applied).
    pub ring: Cadence,
    /// The usual caller-ID method in that country.
    pub caller_id: crate::callerid::Signalling,
    /// The tones, indexed in [`ToneKind::ALL`] order.
    pub tones: [ToneSpec; 7],
}

impl TonePlan {
    /// The tone of `kind`.
    pub fn tone(&self, kind: ToneKind) -> &ToneSpec {
        &self.tones[kind.index()]
    }
}

/// Case-insensitive lookup by code; `"gb"` is an alias of `"uk"`.
pub fn plan(code: &str) -> Option<&'static TonePlan> {
    let code = if code.eq_ignore_ascii_case("gb") {
        "uk"
    } else {
        code
    };
    PLANS
        .iter()
        .copied()
        .find(|p| p.code.eq_ignore_ascii_case(code))
}

/// Where a generator is in its cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    /// In step `step`, on (`on == true`) or off, with `left` samples to go.
    Step { step: usize, on: bool, left: u64 },
    /// On for ever.
    Steady,
    /// Off for ever (after [`After::Stop`] or an empty repeating cadence).
    Stopped,
}

/// Samples per millisecond.
const SAMPLES_PER_MS: u64 = SAMPLE_RATE as u64 / 1000;

/// Generates a tone with its cadence, phase-continuous across calls.
///
/// Each on period starts at phase 0 of every component; within an on period the output is
/// continuous however `fill` is called. Cost per sample: one table look-up with linear
/// interpolation per component (plus one for the modulation).
#[derive(Debug, Clone)]
pub struct ToneGenerator {
    oscs: Vec<(Osc, f32)>,
    modulation: Option<(Osc, f32)>,
    cadence: Cadence,
    seg: Segment,
}

impl ToneGenerator {
    /// A generator for `spec`, positioned at the start of its cadence.
    pub fn new(spec: &ToneSpec) -> Self {
        let oscs = spec
            .components
            .iter()
            .map(|c| (Osc::new(c.freq_hz), dbm0_to_peak(c.level_dbm0)))
            .collect();
        let modulation = spec
            .modulation
            .map(|m| (Osc::new(m.freq_hz), m.depth.clamp(0.0, 1.0)));
        let mut g = Self {
            oscs,
            modulation,
            cadence: spec.cadence,
            seg: Segment::Stopped,
        };
        g.seg = g.enter(0, true);
        g
    }

    /// The segment for step `step` (on or off part), skipping empty parts.
    fn enter(&self, mut step: usize, mut on: bool) -> Segment {
        let steps = self.cadence.steps;
        if self.cadence.period_ms() == 0 {
            return if self.cadence.after == After::Steady {
                Segment::Steady
            } else {
                Segment::Stopped
            };
        }
        loop {
            if step >= steps.len() {
                match self.cadence.after {
                    After::Repeat => {
                        step = 0;
                        on = true;
                    }
                    After::Steady => return Segment::Steady,
                    After::Stop => return Segment::Stopped,
                }
            }
            let ms = if on {
                steps[step].on_ms
            } else {
                steps[step].off_ms
            };
            if ms > 0 {
                return Segment::Step {
                    step,
                    on,
                    left: u64::from(ms) * SAMPLES_PER_MS,
                };
            }
            if on {
                on = false;
            } else {
                step += 1;
                on = true;
            }
        }
    }

    fn restart_phases(&mut self) {
        for (o, _) in &mut self.oscs {
            o.phase = 0;
        }
        if let Some((m, _)) = &mut self.modulation {
            m.phase = 0;
        }
    }

    /// Synthesises `out.len()` samples of tone (no cadence).
    fn synth(&mut self, out: &mut [i16]) {
        match (&mut self.modulation, self.oscs.as_mut_slice()) {
            (None, [(a, ga)]) => {
                for s in out.iter_mut() {
                    *s = to_i16(*ga * a.next_sample());
                }
            }
            (None, [(a, ga), (b, gb)]) => {
                for s in out.iter_mut() {
                    *s = to_i16(*ga * a.next_sample() + *gb * b.next_sample());
                }
            }
            (modulation, oscs) => {
                for s in out.iter_mut() {
                    let mut v = 0.0;
                    for (o, g) in oscs.iter_mut() {
                        v += *g * o.next_sample();
                    }
                    if let Some((m, depth)) = modulation {
                        v *= 1.0 + *depth * m.next_sample();
                    }
                    *s = to_i16(v);
                }
            }
        }
    }

    /// Overwrites `out` with the next samples (zeros in off periods / after a Stop cadence).
    pub fn fill(&mut self, out: &mut [i16]) {
        let mut pos = 0;
        while pos < out.len() {
            match self.seg {
                Segment::Steady => {
                    self.synth(&mut out[pos..]);
                    return;
                }
                Segment::Stopped => {
                    out[pos..].fill(0);
                    return;
                }
                Segment::Step { step, on, left } => {
                    let n = (out.len() - pos).min(usize::try_from(left).unwrap_or(usize::MAX));
                    if on {
                        self.synth(&mut out[pos..pos + n]);
                    } else {
                        out[pos..pos + n].fill(0);
                    }
                    pos += n;
                    let left = left - n as u64;
                    if left > 0 {
                        self.seg = Segment::Step { step, on, left };
                    } else {
                        self.seg = if on {
                            self.enter(step, false)
                        } else {
                            self.enter(step + 1, true)
                        };
                        let now_on = match self.seg {
                            Segment::Step { on, .. } => on,
                            Segment::Steady => true,
                            Segment::Stopped => false,
                        };
                        if now_on && !on {
                            self.restart_phases();
                        }
                    }
                }
            }
        }
    }

    /// True once a cadence with [`After::Stop`] has played out.
    pub fn is_done(&self) -> bool {
        self.seg == Segment::Stopped && self.cadence.after == After::Stop
    }
}

#[cfg(test)]
mod tests;

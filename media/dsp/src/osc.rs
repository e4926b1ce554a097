//! Phase-accumulator sine oscillator with a compile-time table (shared by the generators
//! and the analysers).

/// log2 of the table length.
const TABLE_BITS: u32 = 10;
/// Table length (one period).
const TABLE_LEN: usize = 1 << TABLE_BITS;

/// `sin(2π i / TABLE_LEN)` for `i` in `0..=TABLE_LEN` (one guard entry for interpolation).
static SINE: [f32; TABLE_LEN + 1] = build_table();

/// sin(x) for x in [-π, π] by a Taylor series (accurate to ~1e-16 there); compile time only.
const fn taylor_sin(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    let mut k = 1u32;
    while k < 16 {
        let d = ((2 * k) * (2 * k + 1)) as f64;
        term = -term * x2 / d;
        sum += term;
        k += 1;
    }
    sum
}

/// sin(x) for any finite x, compile time (range reduction, then [`taylor_sin`]).
pub(crate) const fn const_sin(x: f64) -> f64 {
    let tau = 2.0 * std::f64::consts::PI;
    let mut turns = (x / tau) as i64 as f64;
    if x < 0.0 {
        turns -= 1.0;
    }
    // r in [0, 2π), then shifted to [-π, π): sin(r) = -sin(r - π).
    let r = x - turns * tau;
    -taylor_sin(r - std::f64::consts::PI)
}

/// cos(x) for any finite x, compile time.
pub(crate) const fn const_cos(x: f64) -> f64 {
    const_sin(x + std::f64::consts::FRAC_PI_2)
}

const fn build_table() -> [f32; TABLE_LEN + 1] {
    let mut t = [0f32; TABLE_LEN + 1];
    let mut i = 0;
    while i <= TABLE_LEN {
        // Reduce to [-π, π]: sin(2πi/N) = sin(2π(i - N/2)/N + π) = -sin(2π(i - N/2)/N).
        let x = 2.0 * std::f64::consts::PI * (i as f64 - (TABLE_LEN / 2) as f64) / TABLE_LEN as f64;
        t[i] = -taylor_sin(x) as f32;
        i += 1;
    }
    t
}

/// 2^32, the phase of one full turn.
const TURN: f64 = 4_294_967_296.0;

/// Phase increment per sample for `freq_hz` at `rate_hz`.
pub(crate) fn phase_inc(freq_hz: f32, rate_hz: u32) -> u32 {
    let turns = f64::from(freq_hz) / f64::from(rate_hz);
    let turns = turns - turns.floor();
    (turns * TURN).round() as u64 as u32
}

/// sin(2π · phase / 2^32), linearly interpolated from the table (error < 5e-6).
#[inline]
pub(crate) fn sin_phase(phase: u32) -> f32 {
    let idx = (phase >> (32 - TABLE_BITS)) as usize;
    let frac = ((phase << TABLE_BITS) >> 16) as f32 * (1.0 / 65536.0);
    let a = SINE[idx];
    let b = SINE[idx + 1];
    a + (b - a) * frac
}

/// cos(2π · phase / 2^32).
#[inline]
pub(crate) fn cos_phase(phase: u32) -> f32 {
    sin_phase(phase.wrapping_add(1 << 30))
}

/// A sine oscillator: a 32-bit phase accumulator reading the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Osc {
    pub(crate) phase: u32,
    pub(crate) inc: u32,
}

impl Osc {
    /// An oscillator at `freq_hz` (at the crate's sample rate), starting at phase 0.
    pub(crate) fn new(freq_hz: f32) -> Self {
        Self {
            phase: 0,
            inc: phase_inc(freq_hz, crate::SAMPLE_RATE),
        }
    }

    /// The current sine value, then advance one sample.
    #[inline]
    pub(crate) fn next_sample(&mut self) -> f32 {
        let v = sin_phase(self.phase);
        self.phase = self.phase.wrapping_add(self.inc);
        v
    }
}

/// Round (half away from zero) and saturate to 16 bits. (`f32::round` is a library call on
/// baseline x86-64; adding ±0.5 and truncating is one instruction.)
#[inline]
pub(crate) fn to_i16(v: f32) -> i16 {
    ((v + 0.5f32.copysign(v)) as i32).clamp(-32768, 32767) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_libm() {
        for i in 0..4096u32 {
            let phase = i.wrapping_mul(1_048_573 * 997);
            let x = f64::from(phase) / TURN * 2.0 * std::f64::consts::PI;
            assert!(
                (f64::from(sin_phase(phase)) - x.sin()).abs() < 1e-5,
                "phase {phase}"
            );
            assert!(
                (f64::from(cos_phase(phase)) - x.cos()).abs() < 1e-5,
                "phase {phase}"
            );
        }
    }

    #[test]
    fn const_trig_matches_libm() {
        for i in -200..200 {
            let x = f64::from(i) * 0.517;
            assert!((const_sin(x) - x.sin()).abs() < 1e-9, "{x}");
            assert!((const_cos(x) - x.cos()).abs() < 1e-9, "{x}");
        }
    }

    #[test]
    fn rounding_and_saturation() {
        assert_eq!(to_i16(0.49), 0);
        assert_eq!(to_i16(0.5), 1);
        assert_eq!(to_i16(-0.5), -1);
        assert_eq!(to_i16(-1.49), -1);
        assert_eq!(to_i16(40000.0), 32767);
        assert_eq!(to_i16(-40000.0), -32768);
    }

    #[test]
    fn oscillator_frequency_is_exact() {
        // 1000 Hz at 8 kHz: 8 samples per period, 1000 periods per second.
        let mut o = Osc::new(1000.0);
        for _ in 0..8000 {
            o.next_sample();
        }
        assert_eq!(o.phase, 0);
    }
}

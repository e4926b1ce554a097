//! Per-port, per-direction gain: a Q13 integer multiply with saturation.

use crate::{Error, Result};

/// Lowest gain accepted, in dB.
pub const MIN_DB: f32 = -24.0;
/// Highest gain accepted, in dB.
pub const MAX_DB: f32 = 12.0;
/// Fraction bits of the multiplier (+12 dB = ×3.98 fits in i32 with headroom).
const Q: u32 = 13;

/// A fixed gain in dB (any value in -24..=+12; 0.5 dB steps are typical), applied with a
/// Q13 multiply and saturation to the 16-bit range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gain {
    db: f32,
    q: i32,
}

impl Default for Gain {
    /// 0 dB (unity).
    fn default() -> Self {
        Self { db: 0.0, q: 1 << Q }
    }
}

impl Gain {
    /// A gain of `db`; an error outside `MIN_DB..=MAX_DB` (or NaN).
    pub fn new(db: f32) -> Result<Self> {
        if !(MIN_DB..=MAX_DB).contains(&db) {
            return Err(Error::InvalidConfig("gain must be -24..=+12 dB"));
        }
        let lin = 10f64.powf(f64::from(db) / 20.0);
        Ok(Self {
            db,
            q: (lin * f64::from(1u32 << Q)).round() as i32,
        })
    }

    /// The gain in dB.
    pub fn db(&self) -> f32 {
        self.db
    }

    /// Whether this is unity gain (apply is then a no-op).
    pub fn is_unity(&self) -> bool {
        self.q == 1 << Q
    }

    /// Scale `samples` in place, rounding and saturating.
    pub fn apply(&self, samples: &mut [i16]) {
        if self.is_unity() {
            return;
        }
        let q = self.q;
        for s in samples {
            let v = (i32::from(*s) * q + (1 << (Q - 1))) >> Q;
            *s = v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
        }
    }
}

/// The two gains of a port: toward the line (TX, to the phone) and from it (RX, to the
/// network).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PortGain {
    /// Applied to what is sent toward the phone.
    pub tx: Gain,
    /// Applied to what comes from the phone.
    pub rx: Gain,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::level::{dbm0_to_peak, rms_dbm0};

    fn sine(dbm0: f32) -> Vec<i16> {
        let a = dbm0_to_peak(dbm0);
        (0..8000)
            .map(|i| (a * (2.0 * std::f32::consts::PI * 1004.0 * i as f32 / 8000.0).sin()) as i16)
            .collect()
    }

    /// ITU-T G.711 levels: -6 dB on a -10 dBm0 tone reads -16 dBm0 (to 0.05 dB), +6 dB reads
    /// -4, and 0.5 dB steps are resolved.
    #[test]
    fn gain_changes_level_by_its_db() {
        for db in [-24.0f32, -6.0, -0.5, 0.5, 6.0, 12.0] {
            let mut s = sine(-13.0);
            Gain::new(db).unwrap().apply(&mut s);
            let got = rms_dbm0(&s);
            assert!((got - (-13.0 + db)).abs() < 0.05, "{db}: {got}");
        }
    }

    #[test]
    fn saturates_instead_of_wrapping() {
        let mut s = [32000i16, -32000, 1000];
        Gain::new(12.0).unwrap().apply(&mut s);
        assert_eq!(s, [32767, -32768, 3981]);
    }

    #[test]
    fn range_is_checked_and_unity_is_a_no_op() {
        assert!(Gain::new(12.5).is_err());
        assert!(Gain::new(-24.5).is_err());
        assert!(Gain::new(f32::NAN).is_err());
        let mut s = [1i16, -1, 12345];
        Gain::default().apply(&mut s);
        assert_eq!(s, [1, -1, 12345]);
        assert!(Gain::new(0.0).unwrap().is_unity());
    }
}

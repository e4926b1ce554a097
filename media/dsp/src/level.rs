//! Digital signal levels in dBm0.
//!
//! The reference is ITU-T G.711: the full-scale sine of the μ-law (and, to 0.03 dB, the
//! A-law) companding law is at +3.17 dBm0. Linear 16-bit PCM on this line path is taken to map
//! onto G.711 so that the μ-law full-scale sine (peak 32 767 in linear PCM after expansion
//! to 16 bits) is +3.17 dBm0. A 0 dBm0 sine then has a peak of
//! `32767 / 10^(3.17/20) ≈ 22 748` ([`DBM0_PEAK`]).

/// Peak 16-bit amplitude of a 0 dBm0 sine.
///
/// ITU-T G.711 (Tables 1a/2a notes on the theoretical load capacity): the μ-law full-scale
/// sine is +3.17 dBm0, so
/// `0 dBm0 peak = 32767 / 10^(3.17/20) = 22 747.66`. (The A-law full-scale sine is
/// +3.14 dBm0; the 0.03 dB difference is ignored.)
pub const DBM0_PEAK: f32 = 22_747.66;

/// RMS 16-bit amplitude of a 0 dBm0 sine (`DBM0_PEAK / √2`).
pub const DBM0_RMS: f32 = DBM0_PEAK * std::f32::consts::FRAC_1_SQRT_2;

/// The level reported for digital silence, in dBm0.
pub const SILENCE_DBM0: f32 = -120.0;

/// Peak amplitude (16-bit scale) of a sine at `dbm0`.
pub fn dbm0_to_peak(dbm0: f32) -> f32 {
    DBM0_PEAK * 10f32.powf(dbm0 / 20.0)
}

/// Level in dBm0 of a sine with peak amplitude `peak` (16-bit scale); [`SILENCE_DBM0`] at 0.
pub fn peak_to_dbm0(peak: f32) -> f32 {
    if peak <= 0.0 {
        return SILENCE_DBM0;
    }
    (20.0 * (peak / DBM0_PEAK).log10()).max(SILENCE_DBM0)
}

/// RMS level of a block in dBm0 (relative to a 0 dBm0 sine); returns -120.0 for silence
/// (and for an empty block).
pub fn rms_dbm0(samples: &[i16]) -> f32 {
    if samples.is_empty() {
        return SILENCE_DBM0;
    }
    let energy: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    let mean_square = energy / samples.len() as f64;
    if mean_square <= 0.0 {
        return SILENCE_DBM0;
    }
    let ref_ms = f64::from(DBM0_RMS) * f64::from(DBM0_RMS);
    ((10.0 * (mean_square / ref_ms).log10()) as f32).max(SILENCE_DBM0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(peak: f32, freq: f32, n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| {
                let t = i as f32 / crate::SAMPLE_RATE as f32;
                (peak * (2.0 * std::f32::consts::PI * freq * t).sin()).round() as i16
            })
            .collect()
    }

    /// ITU-T G.711: the μ-law full-scale sine (peak 32767) is +3.17 dBm0.
    #[test]
    fn full_scale_sine_is_plus_3_17_dbm0() {
        let s = sine(32767.0, 1004.0, 8000);
        assert!((rms_dbm0(&s) - 3.17).abs() < 0.02, "{}", rms_dbm0(&s));
        assert!((peak_to_dbm0(32767.0) - 3.17).abs() < 0.01);
    }

    /// ITU-T O.133 / G.711 digital milliwatt: a 0 dBm0 1 kHz-ish sine reads 0 dBm0.
    #[test]
    fn zero_dbm0_and_minus_13() {
        let s = sine(dbm0_to_peak(0.0), 1004.0, 8000);
        assert!(rms_dbm0(&s).abs() < 0.02);
        let s = sine(dbm0_to_peak(-13.0), 440.0, 8000);
        assert!((rms_dbm0(&s) + 13.0).abs() < 0.02);
        assert!((dbm0_to_peak(-20.0) - DBM0_PEAK / 10.0).abs() < 0.01);
    }

    #[test]
    fn silence_is_minus_120() {
        assert_eq!(rms_dbm0(&[0; 80]), SILENCE_DBM0);
        assert_eq!(rms_dbm0(&[]), SILENCE_DBM0);
        assert_eq!(peak_to_dbm0(0.0), SILENCE_DBM0);
    }
}

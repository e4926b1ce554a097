//! Linear prediction helpers shared by the echo canceller's whitening filter and comfort
//! noise, and the RFC 3389 comfort-noise codec: autocorrelation, Levinson-Durbin, an all-pole
//! synthesis filter, and a seeded noise source.

/// Highest LPC order used anywhere in this crate (RFC 3389 §3.2 allows up to 10 here).
pub(crate) const MAX_ORDER: usize = 10;

/// Autocorrelation `r[0..=order]` of `x` (biased: plain sums), added into `r`.
pub(crate) fn autocorr_add(x: &[f32], r: &mut [f32]) {
    for (lag, rk) in r.iter_mut().enumerate() {
        if lag >= x.len() {
            break;
        }
        let s: f32 = x[lag..].iter().zip(x).map(|(a, b)| a * b).sum();
        *rk += s;
    }
}

/// Result of [`levinson`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lpc {
    /// Prediction order.
    pub order: usize,
    /// Direct-form predictor `a[1..=order]` of `A(z) = 1 + Σ a_k z^-k` (`a[0]` = 1).
    pub a: [f32; MAX_ORDER + 1],
    /// Reflection coefficients `k[0..order]` (`|k| < 1` for a valid autocorrelation).
    pub k: [f32; MAX_ORDER],
    /// Prediction error power relative to `r[0]`: `Π (1 - k_i²)`.
    pub err_ratio: f32,
}

impl Lpc {
    /// The trivial predictor (order 0, white).
    pub(crate) fn white() -> Self {
        let mut a = [0.0; MAX_ORDER + 1];
        a[0] = 1.0;
        Self {
            order: 0,
            a,
            k: [0.0; MAX_ORDER],
            err_ratio: 1.0,
        }
    }

    /// The direct-form predictor of the reflection coefficients `k` (step-up recursion).
    pub(crate) fn from_reflection(k: &[f32]) -> Self {
        let mut lpc = Self::white();
        let order = k.len().min(MAX_ORDER);
        let mut err = 1.0f32;
        for (i, &ki) in k.iter().take(order).enumerate() {
            let m = i + 1;
            let prev = lpc.a;
            for j in 1..m {
                lpc.a[j] = prev[j] + ki * prev[m - j];
            }
            lpc.a[m] = ki;
            lpc.k[i] = ki;
            err *= 1.0 - ki * ki;
        }
        lpc.order = order;
        lpc.err_ratio = err.max(0.0);
        lpc
    }
}

/// Levinson-Durbin recursion on the autocorrelation `r[0..=order]`: the predictor minimising
/// the forward prediction error. Stops early (lower order) if the recursion becomes unstable
/// or `r[0]` is not positive; the result is always a stable (minimum-phase) `A(z)`.
pub(crate) fn levinson(r: &[f32], order: usize) -> Lpc {
    let order = order.min(MAX_ORDER).min(r.len().saturating_sub(1));
    let mut lpc = Lpc::white();
    if r.is_empty() || r[0].is_nan() || r[0] <= 0.0 {
        return lpc;
    }
    let mut err = r[0];
    for m in 1..=order {
        let mut acc = r[m];
        for j in 1..m {
            acc += lpc.a[j] * r[m - j];
        }
        let k = -acc / err;
        if !k.is_finite() || k.abs() >= 0.9999 {
            break;
        }
        let prev = lpc.a;
        for j in 1..m {
            lpc.a[j] = prev[j] + k * prev[m - j];
        }
        lpc.a[m] = k;
        lpc.k[m - 1] = k;
        err *= 1.0 - k * k;
        lpc.order = m;
    }
    lpc.err_ratio = (err / r[0]).clamp(0.0, 1.0);
    lpc
}

/// SplitMix64: a tiny seeded PRNG (no global state).
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    pub(crate) fn bipolar(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 23) as f32) - 1.0
    }
}

/// Uniform noise on [-1, 1) has variance 1/3.
pub(crate) const BIPOLAR_VAR: f32 = 1.0 / 3.0;

/// All-pole synthesis filter `1 / A(z)` driven by seeded uniform white noise: comfort noise
/// with a given power and spectral envelope.
#[derive(Debug, Clone)]
pub(crate) struct NoiseShaper {
    rng: SplitMix64,
    lpc: Lpc,
    /// Past outputs, `mem[0]` the newest.
    mem: [f32; MAX_ORDER],
    /// Excitation scale.
    gain: f32,
}

impl NoiseShaper {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            rng: SplitMix64::new(seed),
            lpc: Lpc::white(),
            mem: [0.0; MAX_ORDER],
            gain: 0.0,
        }
    }

    /// Set the shape and the output power (mean square, in the caller's units).
    pub(crate) fn set(&mut self, lpc: Lpc, power: f32) {
        self.lpc = lpc;
        // A white excitation of variance `power * err_ratio` through 1/A gives `power`.
        let exc_var = power.max(0.0) * lpc.err_ratio;
        self.gain = (exc_var / BIPOLAR_VAR).sqrt();
    }

    /// Next sample.
    #[inline]
    pub(crate) fn next(&mut self) -> f32 {
        let mut y = self.gain * self.rng.bipolar();
        let p = self.lpc.order;
        for j in 0..p {
            y -= self.lpc.a[j + 1] * self.mem[j];
        }
        if p > 0 {
            self.mem.copy_within(0..p - 1, 1);
            self.mem[0] = y;
        }
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levinson_recovers_an_ar2_process() {
        // x[n] = 1.2 x[n-1] - 0.5 x[n-2] + w[n]: A(z) = 1 - 1.2 z^-1 + 0.5 z^-2.
        let mut rng = SplitMix64::new(7);
        let mut x = vec![0.0f32; 40_000];
        for n in 2..x.len() {
            x[n] = 1.2 * x[n - 1] - 0.5 * x[n - 2] + rng.bipolar();
        }
        let mut r = [0.0f32; 3];
        autocorr_add(&x, &mut r);
        let lpc = levinson(&r, 2);
        assert_eq!(lpc.order, 2);
        assert!((lpc.a[1] + 1.2).abs() < 0.03, "{:?}", lpc.a);
        assert!((lpc.a[2] - 0.5).abs() < 0.03, "{:?}", lpc.a);
        // The step-up recursion from the reflection coefficients gives the same predictor.
        let back = Lpc::from_reflection(&lpc.k[..2]);
        assert!((back.a[1] - lpc.a[1]).abs() < 1e-5 && (back.a[2] - lpc.a[2]).abs() < 1e-5);
    }

    #[test]
    fn levinson_of_silence_is_white() {
        let lpc = levinson(&[0.0; 11], 10);
        assert_eq!(lpc.order, 0);
        assert_eq!(lpc.err_ratio, 1.0);
    }

    #[test]
    fn shaper_output_has_the_requested_power() {
        let mut r = [0.0f32; 5];
        let mut rng = SplitMix64::new(3);
        let mut prev = 0.0;
        let x: Vec<f32> = (0..20_000)
            .map(|_| {
                prev = 0.9 * prev + rng.bipolar();
                prev
            })
            .collect();
        autocorr_add(&x, &mut r);
        let mut s = NoiseShaper::new(1);
        s.set(levinson(&r, 4), 2.0);
        let n = 40_000;
        let p: f32 = (0..n).map(|_| s.next().powi(2)).sum::<f32>() / n as f32;
        assert!((10.0 * (p / 2.0).log10()).abs() < 0.5, "{p}");
    }
}

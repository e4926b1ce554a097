//! Test-only helpers shared by the unit tests: a long, varied, seeded test signal and a
//! checksum to pin an implementation's exact output before it is optimised.

/// splitmix64: the seeded PRNG of the tests.
pub(crate) struct SplitMix(pub u64);

impl SplitMix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-0.5, 0.5).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }
}

/// `seconds` of audio at `rate` Hz made of one-second segments that between them reach
/// every corner of a speech codec: gliding harmonics with a syllabic envelope, a chirp
/// across the whole band, white noise at three levels, full-scale square waves and
/// alternating extremes (saturation, scale-factor limits), silence, and impulses.
pub(crate) fn varied(rate: u32, seconds: usize, seed: u64) -> Vec<i16> {
    let mut rng = SplitMix(seed);
    let fs = f64::from(rate);
    let n = rate as usize;
    let tau = 2.0 * std::f64::consts::PI;
    let mut x = Vec::with_capacity(seconds * n);
    for seg in 0..seconds {
        let mut phase = [0.0f64; 5];
        for i in 0..n {
            let t = i as f64 / fs;
            let v = match seg % 8 {
                0 => {
                    let f0 = 110.0 + 60.0 * (tau * 0.9 * t).sin();
                    let env = 0.5 + 0.5 * (tau * 3.0 * t).sin();
                    let mut v = 0.0;
                    for (h, p) in phase.iter_mut().enumerate() {
                        let hf = (h + 1) as f64;
                        *p += tau * f0 * hf * [1.0, 1.0, 3.1, 9.7, 27.3][h] / fs;
                        v += p.sin() / hf;
                    }
                    env * 9000.0 * v + 200.0 * rng.unit()
                }
                1 => {
                    // Linear chirp from 50 Hz to just under Nyquist.
                    let f1 = 0.49 * fs;
                    20000.0 * (tau * (50.0 * t + 0.5 * (f1 - 50.0) * t * t)).sin()
                }
                2 => 1000.0 * rng.unit(),
                3 => 30000.0 * rng.unit(),
                4 => {
                    if (i / 23) % 2 == 0 {
                        32767.0
                    } else {
                        -32768.0
                    }
                }
                5 => {
                    if i % 2 == 0 {
                        32767.0
                    } else {
                        -32768.0
                    }
                }
                6 => {
                    if i % 397 == 0 {
                        25000.0 * (rng.unit() * 2.0).signum()
                    } else {
                        0.0
                    }
                }
                _ => {
                    // Silence, then a tone switched on abruptly, then tiny noise.
                    if i < n / 3 {
                        0.0
                    } else if i < 2 * n / 3 {
                        12000.0 * (tau * 5300.0 * t).sin() + 8000.0 * (tau * 600.0 * t).sin()
                    } else {
                        8.0 * rng.unit()
                    }
                }
            };
            x.push(v.round().clamp(-32768.0, 32767.0) as i16);
        }
    }
    x
}

/// FNV-1a, 64 bit, over a byte stream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(pub u64);

impl Fnv {
    pub(crate) fn new() -> Self {
        Fnv(0xCBF2_9CE4_8422_2325)
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(0x0100_0000_01B3);
        }
    }

    pub(crate) fn pcm(&mut self, s: &[i16]) {
        for &x in s {
            self.bytes(&x.to_le_bytes());
        }
    }
}

/// A sine of `f` Hz and peak `amp` at `rate` Hz, `n` samples.
pub(crate) fn tone_at(f: f64, rate: f64, amp: f64, n: usize) -> Vec<i16> {
    (0..n)
        .map(|i| (amp * (2.0 * std::f64::consts::PI * f * i as f64 / rate).sin()) as i16)
        .collect()
}

/// Signal-to-noise ratio of `b` against the reference `a`, dB.
pub(crate) fn snr(a: &[i16], b: &[i16]) -> f64 {
    let (mut s, mut e) = (0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        s += f64::from(x).powi(2);
        e += (f64::from(x) - f64::from(y)).powi(2);
    }
    10.0 * (s / e.max(1e-9)).log10()
}

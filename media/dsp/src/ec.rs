//! Line echo canceller for the 2-wire hybrid (ITU-T G.168).
//!
//! What the gateway sends toward the phone (`tx_to_line`, the far-end signal) leaks back
//! through the hybrid into what it receives (`rx_from_line`, the near-end signal). The
//! canceller models that echo path with an adaptive filter over the far-end signal and
//! subtracts its estimate; a non-linear processor removes what is left while nobody talks
//! at the near end.
//!
//! # Design
//!
//! * **Adaptive filter: a proportionate multidelay filter** (partitioned-block
//!   frequency-domain adaptive filter, PBFDAF / MDF — the family of speexdsp's canceller —
//!   with the partition-proportionate step of the PMDF/IPMDF family of Khong, Naylor et al.).
//!   The tail is cut into `M` partitions of one 10 ms block (80 taps): 7 for 64 ms, 13 for
//!   128 ms. Each block, the far end's last 160 samples go through one 160-point real FFT into
//!   a ring of the last `M` spectra; the echo estimate is `Σ_k W_k·X_k` back in the time
//!   domain (overlap-save). Block 80 with a 160-point FFT is exactly the 10 ms frame: no
//!   buffering, no added delay. The update of partition `k` in bin `f` is
//!   `μ(f)·g_k·X_k*(f)·E(f) / Σ_j g_j|X_j(f)|²`:
//!   - the **per-bin power normalisation** decorrelates speech (each bin converges at its
//!     own rate, where a time-domain NLMS on coloured speech crawls along its smallest
//!     eigenvalues);
//!   - the **proportionate gain** `g_k` (IPNLMS-style: a quarter uniform, three quarters
//!     proportional to the partition's coefficient norm, mean 1) gives the partitions that
//!     hold the hybrid's response most of the step; it is normalised by the *gain-weighted*
//!     far-end power `Σ g_j|X_j|²` (as IPNLMS divides by `xᵀGx`), without which the
//!     proportionate update diverges on bursts of far-end energy;
//!   - the **step** `μ(f)` is the estimated residual echo of the bin over its error power
//!     (the optimal NLMS step, which Valin 2007 derives for the MDF), where the residual
//!     echo is `leak·|Y(f)|²` (`Y` the filter's echo estimate) plus a small share of the
//!     block's residual-to-error ratio. `leak` is the larger of two estimates: the
//!     regression of the error's spectral fluctuations on the echo estimate's (Valin's
//!     estimator, which near-end speech does not fool because it does not correlate with the
//!     echo estimate) and the ratio of the residual to the echo estimate measured directly
//!     on echo-only blocks (the regression sees nothing on stationary signals, where the
//!     direct ratio is exact). Near-end speech makes the error large and so the step small,
//!     double talk or not; as the filter converges the step falls, so the misadjustment keeps
//!     falling instead of setting a floor. Before the filter has adapted at all, the step is
//!     the ratio of the largest echo the far end can make (ERL ≥ 6 dB, G.168 §6) to the
//!     error;
//!   - the step of a bin never exceeds the echo the far end can make *in that bin* over the
//!     error there: a near-end tone (or DTMF) in bins where the far end has little energy is
//!     not "cancelled" with the far end's leakage, which per-bin normalisation would
//!     otherwise do;
//!   - the gradient constraint (zeroing the second half of a partition's impulse response,
//!     two FFTs) runs on two partitions per block, round-robin plus the strongest; the others
//!     take the unconstrained update (alternately-updated MDF, as speexdsp does).
//! * **Two-path structure** (the G.168-grade guard against divergence): the filter above is
//!   the *background*; the *foreground*, which makes the output, is only ever a copy of it,
//!   taken when the background's error energy is lower than the foreground's by a
//!   statistically significant margin: the difference of the two, over one block and smoothed
//!   over about 3 and 7 blocks, against its standard deviation under noise
//!   (`4·E·D/N`, `E` the error energy, `D` the energy of the difference of the two echo
//!   estimates; the logic of speexdsp's `Dbf` test). During double talk a copy also needs a
//!   background at least 3 dB better and a much larger margin (the near-end speech in the
//!   errors is not noise, and a background that has fitted some of it must not win). A
//!   background that becomes significantly worse (3 dB) is reset from the foreground.
//! * **Double-talk detection**: (1) a level detector that works from the first block — the
//!   error is louder than the loudest far-end block over the tail, and no hybrid returns more
//!   than it is sent (G.168 assumes an ERL of at least 6 dB; 0 dB leaves room for coloured
//!   signals); it also catches tone-on-tone double talk, which energy-ratio detectors miss;
//!   (2) once the filter has converged, an energy comparison of the foreground's error with
//!   the residual it is known to leave (9 dB above it is near-end speech); 50 ms hangover.
//!   Double talk holds the foreground and the direct leak measurement. 200 ms of "double
//!   talk" at no more than the echo level, while the background cancels better than the
//!   foreground, is an echo path change (G.168 test 9): the step control restarts.
//! * **No adaptation on far-end silence** (below -50 dBm0 over the tail).
//! * **NLP**: when the linear filter has left only residual echo (echo present, no double
//!   talk), the output is replaced by comfort noise at the measured near-end background level
//!   and spectral shape (minimum statistics on the error signal, capped at -40 dBm0 so that a
//!   steady near-end tone is never taken for line noise; an LPC fit of noise-only blocks),
//!   with short cross-fades. Without CNG it is a hard suppressor.
//! * **Tone disabling**: [`EchoCanceller::set_enabled`] (G.164/G.165: a 2100 Hz answer tone
//!   with phase reversals disables echo control for modems and fax; see
//!   [`crate::faxtone`]) passes the near-end signal through untouched.
//!
//! Everything is allocated in [`EchoCanceller::new`]; [`EchoCanceller::process`] does not
//! allocate, and takes any multiple of 80 samples. [`EchoCanceller::metrics`] reports ERL,
//! ERLE, the combined loss and the double-talk and convergence state after every call
//! (RTCP XR's RERL is [`EcMetrics::rerl_db`]).
//!
//! # Why not the time-domain IPNLMS
//!
//! The previous canceller was a two-path time-domain IPNLMS on LPC-pre-whitened signals.
//! On the same bench (espeak-ng speech, ERL 6 dB; `benches/echo.rs`) its linear ERLE
//! plateaued at 21-24 dB (64 ms tail: 16.7 / 20.5 / 21.5 / 20.8 dB at 1 / 2 / 5 / 10 s) and
//! it cost 23.8 µs per 20 ms at 64 ms and 42 µs at 128 ms, 1.6 and 2.3 times speexdsp. This
//! filter costs about 6 µs (64 ms) and 7.5 µs (128 ms), reaches speexdsp's linear ERLE
//! (about 40 dB by 20 s), and its residual-driven per-bin step is what keeps near-end speech
//! and tones out of the adaptation.
//!
//! # Why `realfft`
//!
//! A 160-point real FFT (32·5) is the natural transform for a 10 ms block. `realfft` (over
//! `rustfft`) plans it once per canceller and runs a forward plus inverse pair in about
//! 0.2 µs with its SIMD butterflies; a block needs seven to nine transforms. A hand-rolled
//! mixed-radix FFT would be several times slower without `unsafe` intrinsics, and a
//! power-of-two block (64/128) would need buffering that adds delay to the voice path.
//! Both crates are pure Rust, widely used, and compile in seconds.

use std::fmt;
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::level::DBM0_RMS;
use crate::lpc::{self, NoiseShaper};
use crate::{Error, Result, FRAME_SAMPLES};

/// Samples per block (10 ms) and taps per partition.
const N: usize = FRAME_SAMPLES;
/// FFT size (two blocks, overlap-save).
const NFFT: usize = 2 * N;
/// Bins of the real FFT (0..=N).
const BINS: usize = N + 1;
/// Bins padded to a multiple of 4 (the padding stays zero): whole SIMD lanes.
const BP: usize = 84;
/// Normalisation of 16-bit samples.
const SCALE: f32 = 1.0 / 32768.0;

/// LPC order of the comfort noise's spectral shape.
const CN_ORDER: usize = 6;
/// Far-end power over the tail below which nothing adapts (dBm0).
const FAR_MIN_DBM0: f32 = -50.0;
/// Highest level the background-noise estimate may take (dBm0).
const NOISE_MAX_DBM0: f32 = -40.0;
/// Line noise assumed by the step control until a block without far end measured it (dBm0).
const NOISE_GUESS_DBM0: f32 = -70.0;
/// Double-talk hangover, in blocks.
const DT_HANGOVER: u32 = 5;
/// Error over expected residual (+ noise) that means near-end speech (9 dB).
const DT_RESID_RATIO: f32 = 8.0;
/// Blocks of unexplained double talk that mean the echo path changed.
const PATH_CHANGE_BLOCKS: u32 = 20;

// Step control.
/// Share of the uniform gain in the proportionate gains (IPNLMS α = 0.5).
const PROP_UNIFORM: f32 = 0.25;
/// Largest echo-path power gain assumed before the filter has adapted (ERL 6 dB + 3 dB).
const INIT_ECHO_GAIN: f32 = 0.5;
/// Largest echo-path power gain in any one bin (0 dB: a hybrid is passive).
const BIN_ECHO_GAIN: f32 = 1.0;
/// Sum of initial-phase steps after which the residual-driven step takes over.
const INIT_STEPS: f32 = 15.0;
/// Smallest leak (residual over echo estimate): -40 dB.
const MIN_LEAK: f32 = 1e-4;
/// Smoothing of the error and echo-estimate spectra around which the leak regression
/// measures fluctuations (per block).
const SPEC_AVERAGE: f32 = 0.02;
/// Update rate of the leak regression: `min(BETA0·Syy, BETA_MAX·See) / See` per block.
const BETA0: f32 = 0.02;
const BETA_MAX: f32 = 0.005;

// Two-path thresholds, in variances of the error-energy difference.
/// Significance of a better background (3 sigma).
const COPY_SIGMA2: f32 = 9.0;
/// The same in double talk (5 sigma, and 3 dB better).
const COPY_DT_SIGMA2: f32 = 25.0;
/// Significance of a worse background (4 sigma, and 3 dB worse).
const BACK_SIGMA2: f32 = 16.0;

/// Mean-square value (normalised samples) of a signal at `dbm0`.
fn dbm0_power(dbm0: f32) -> f32 {
    let r = DBM0_RMS * SCALE;
    r * r * 10f32.powf(dbm0 / 10.0)
}

/// 10·log10 of a power ratio, clamped to ±120 dB.
fn db(ratio: f32) -> f32 {
    if ratio.is_nan() || ratio <= 1e-12 {
        -120.0
    } else {
        (10.0 * ratio.log10()).clamp(-120.0, 120.0)
    }
}

/// Configuration of an [`EchoCanceller`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EcConfig {
    /// Echo tail to cover, in ms (8..=128; G.168 §6 asks for the tail capacity of the echo
    /// paths the canceller faces: a local loop is well under 64 ms). Rounded up to whole
    /// 10 ms partitions.
    pub tail_ms: u32,
    /// Run the non-linear processor (residual echo suppression).
    pub nlp: bool,
    /// Fill what the NLP suppresses with comfort noise at the near-end background level
    /// (otherwise silence).
    pub cng: bool,
    /// Seed of the comfort-noise generator.
    pub seed: u64,
    /// Largest step of the adaptive filter (0 < step ≤ 1; 1 is a full NLMS correction per
    /// frequency bin). The step actually taken in each bin is the estimated
    /// residual-echo-to-error ratio of that bin, times this.
    pub step: f32,
}

impl Default for EcConfig {
    /// 64 ms tail, NLP with comfort noise on, step 1.
    fn default() -> Self {
        Self {
            tail_ms: 64,
            nlp: true,
            cng: true,
            seed: 0x7191_4EC0,
            step: 1.0,
        }
    }
}

impl EcConfig {
    /// Check the documented ranges.
    pub fn validate(&self) -> Result<()> {
        if !(8..=128).contains(&self.tail_ms) {
            return Err(Error::InvalidConfig("echo tail must be 8..=128 ms"));
        }
        if !(self.step > 0.0 && self.step <= 1.0) {
            return Err(Error::InvalidConfig(
                "echo canceller step must be in (0, 1]",
            ));
        }
        Ok(())
    }
}

/// Convergence state of the canceller, for a status page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EcState {
    /// Disabled by [`EchoCanceller::set_enabled`] (tone disabling): pass-through.
    Disabled,
    /// Adapting, the filter has not yet removed 10 dB of echo.
    Converging,
    /// The filter removes at least 10 dB of echo.
    Converged,
}

/// Per-frame measurements of an [`EchoCanceller`], updated on far-end-active blocks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EcMetrics {
    /// Echo return loss: far-end level over the level that comes back (dB).
    pub erl_db: f32,
    /// Echo return loss enhancement of the linear filter: near-end-in over error level on
    /// echo-only blocks (dB; includes the line noise, so it saturates at echo-to-noise).
    pub erle_db: f32,
    /// Loss added by the linear filter and the NLP together (dB; G.168's combined loss
    /// minus the ERL).
    pub erle_nlp_db: f32,
    /// Residual echo return loss: `erl_db + erle_nlp_db` (RTCP XR VoIP metrics, RFC 3611
    /// §4.7.6).
    pub rerl_db: f32,
    /// Double talk detected in the last block (near-end speech over the echo).
    pub double_talk: bool,
    /// The NLP suppressed the last block.
    pub nlp_active: bool,
    /// Convergence state.
    pub state: EcState,
    /// The near-end background noise level the comfort noise is made at (dBm0).
    pub noise_dbm0: f32,
    /// Bulk delay of the echo path estimated from the largest tap, in samples.
    pub echo_delay_samples: usize,
}

/// The 160-point real FFT pair with its buffers.
#[derive(Clone)]
struct Fft {
    fwd: Arc<dyn RealToComplex<f32>>,
    inv: Arc<dyn ComplexToReal<f32>>,
    /// Time-domain buffer: input of [`Fft::forward`], output of [`Fft::inverse`].
    time: [f32; NFFT],
    spec: [Complex<f32>; BINS],
    scratch: Vec<Complex<f32>>,
}

impl fmt::Debug for Fft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fft").field("len", &NFFT).finish()
    }
}

impl Fft {
    fn new() -> Self {
        let mut planner = RealFftPlanner::<f32>::new();
        let fwd = planner.plan_fft_forward(NFFT);
        let inv = planner.plan_fft_inverse(NFFT);
        let scratch = vec![Complex::default(); fwd.get_scratch_len().max(inv.get_scratch_len())];
        Self {
            fwd,
            inv,
            time: [0.0; NFFT],
            spec: [Complex::default(); BINS],
            scratch,
        }
    }

    /// Unnormalised forward transform of `self.time` (which it overwrites) into `re`/`im`.
    fn forward(&mut self, re: &mut Spec, im: &mut Spec) {
        // Lengths are fixed by construction: the transform cannot fail.
        let r = self
            .fwd
            .process_with_scratch(&mut self.time, &mut self.spec, &mut self.scratch);
        debug_assert!(r.is_ok());
        for ((r, i), c) in re.iter_mut().zip(im.iter_mut()).zip(&self.spec) {
            *r = c.re;
            *i = c.im;
        }
    }

    /// Forward transform of a block zero-padded in front (`[0; N] ++ block`).
    fn forward_padded(&mut self, block: &[f32; N], re: &mut Spec, im: &mut Spec) {
        self.time[..N].fill(0.0);
        self.time[N..].copy_from_slice(block);
        self.forward(re, im);
    }

    /// Unnormalised inverse transform (`NFFT` times the inverse DFT) of `re`/`im` into
    /// `self.time`.
    fn inverse(&mut self, re: &Spec, im: &Spec) {
        for ((c, &r), &i) in self.spec.iter_mut().zip(re).zip(im) {
            *c = Complex::new(r, i);
        }
        // A real signal's DC and Nyquist bins are real.
        self.spec[0].im = 0.0;
        self.spec[BINS - 1].im = 0.0;
        let r = self
            .inv
            .process_with_scratch(&mut self.spec, &mut self.time, &mut self.scratch);
        debug_assert!(r.is_ok());
    }
}

/// A spectrum split into real and imaginary parts (padded bins stay zero).
type Spec = [f32; BP];

/// A line echo canceller for one port. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct EchoCanceller {
    cfg: EcConfig,
    /// Partitions (10 ms each).
    parts: usize,
    enabled: bool,
    fft: Fft,
    /// The far end's last two blocks, oldest sample first.
    xt: [f32; NFFT],
    /// Ring of the far end's spectra: `x*[(head + M - k) % M]` is the one `k` blocks old.
    xr: Vec<Spec>,
    xi: Vec<Spec>,
    head: usize,
    /// Background (adaptive) and foreground (output) filters, partition `k` at index `k`.
    wbr: Vec<Spec>,
    wbi: Vec<Spec>,
    wfr: Vec<Spec>,
    wfi: Vec<Spec>,
    /// Proportionate gain per partition (mean 1) and the strongest partition.
    gains: Vec<f32>,
    strongest: usize,
    /// Next partition to get the gradient constraint (round-robin).
    constrain_next: usize,
    /// Far-end mean-square level of the last `M + 1` blocks (ring).
    far_pow: Vec<f32>,
    far_pos: usize,
    // Step control.
    /// Smoothed error and echo-estimate power spectra (for the leak regression).
    eh: Spec,
    yh: Spec,
    /// Smoothed regression sums.
    pey: f32,
    pyy: f32,
    /// Residual echo over echo estimate, the regression's value and the step's.
    leak_reg: f32,
    leak: f32,
    /// Smoothed background residual and echo-estimate energies on echo-only blocks.
    lk_e: f32,
    lk_y: f32,
    /// Steps taken in the initial phase, and whether it is over.
    init_sum: f32,
    adapted: bool,
    /// Line-noise energy per block, measured on blocks without far end (or a guess).
    quiet_noise: f32,
    // Two-path bookkeeping: smoothed error-energy differences and their variances.
    davg1: f32,
    davg2: f32,
    dvar1: f32,
    dvar2: f32,
    copied: bool,
    // Detectors and measurements.
    dt_hold: u32,
    double_talk: bool,
    /// Consecutive blocks of unexplained "double talk" at echo level.
    suspect: u32,
    resid_ratio: f32,
    noise: f32,
    noise_smooth: f32,
    noise_init: bool,
    erl_num: f32,
    erl_den: f32,
    erle_num: f32,
    erle_den: f32,
    out_den: f32,
    erle_fast: f32,
    /// The filter has reached 10 dB since the start or the last echo path change.
    conv_latch: bool,
    /// Echo delay from the foreground's largest tap, and whether the foreground changed
    /// since it was computed.
    delay: usize,
    delay_stale: bool,
    // NLP and comfort noise.
    nlp_gain: f32,
    nlp_active: bool,
    bg_r: [f32; CN_ORDER + 1],
    /// The comfort noise's spectral shape (an LPC fit of `bg_r`).
    cn_lpc: lpc::Lpc,
    shaper: NoiseShaper,
    // Per-block buffers: the foreground's error and echo estimate.
    ef: [f32; N],
    yf: [f32; N],
}

/// What [`EchoCanceller::adapt`] needs to know about the block besides the signals.
#[derive(Debug, Clone, Copy)]
struct BlockStats {
    /// Energies of the background's error and echo estimate, and their cross product.
    see: f32,
    syy: f32,
    sey: f32,
    /// Far-end energy of a block, averaged over the tail.
    sxx: f32,
    /// Echo present and no double talk: the direct leak may be measured.
    echo_only: bool,
}

impl EchoCanceller {
    /// A canceller with `cfg`, enabled, filters empty.
    pub fn new(cfg: EcConfig) -> Result<Self> {
        cfg.validate()?;
        let parts = (cfg.tail_ms as usize * 8).div_ceil(N);
        let zero = || vec![[0.0f32; BP]; parts];
        Ok(Self {
            cfg,
            parts,
            enabled: true,
            fft: Fft::new(),
            xt: [0.0; NFFT],
            xr: zero(),
            xi: zero(),
            head: 0,
            wbr: zero(),
            wbi: zero(),
            wfr: zero(),
            wfi: zero(),
            gains: vec![1.0; parts],
            strongest: 0,
            constrain_next: 0,
            far_pow: vec![0.0; parts + 1],
            far_pos: 0,
            eh: [0.0; BP],
            yh: [0.0; BP],
            pey: 0.0,
            pyy: 0.0,
            leak_reg: 1.0,
            leak: 1.0,
            lk_e: 0.0,
            lk_y: 0.0,
            init_sum: 0.0,
            adapted: false,
            quiet_noise: dbm0_power(NOISE_GUESS_DBM0) * N as f32,
            davg1: 0.0,
            davg2: 0.0,
            dvar1: 0.0,
            dvar2: 0.0,
            copied: false,
            dt_hold: 0,
            double_talk: false,
            suspect: 0,
            resid_ratio: 1.0,
            noise: 0.0,
            noise_smooth: 0.0,
            noise_init: false,
            erl_num: 0.0,
            erl_den: 0.0,
            erle_num: 0.0,
            erle_den: 0.0,
            out_den: 0.0,
            erle_fast: 0.0,
            conv_latch: false,
            delay: 0,
            delay_stale: false,
            nlp_gain: 1.0,
            nlp_active: false,
            bg_r: [0.0; CN_ORDER + 1],
            cn_lpc: lpc::Lpc::white(),
            shaper: NoiseShaper::new(cfg.seed),
            ef: [0.0; N],
            yf: [0.0; N],
        })
    }

    /// The configuration.
    pub fn config(&self) -> &EcConfig {
        &self.cfg
    }

    /// Filter length in taps (the tail rounded up to whole 10 ms partitions).
    pub fn taps(&self) -> usize {
        self.parts * N
    }

    /// Enable or disable cancellation. Disabled (G.164/G.165 tone disabling for fax and
    /// modems), [`process`](Self::process) leaves the near-end signal untouched; the filter
    /// is kept, so re-enabling resumes where it was.
    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
    }

    /// Switch the non-linear processor (and its comfort noise) on or off. Data signals
    /// (fax, modems) want the linear canceller only: an NLP clips a quiet far end.
    pub fn set_nlp(&mut self, on: bool) {
        self.cfg.nlp = on;
        self.cfg.cng = on && self.cfg.cng;
    }

    /// Whether cancellation is enabled.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Forget the echo path and all measurements (a new call).
    pub fn reset(&mut self) {
        let enabled = self.enabled;
        *self = Self::new(self.cfg).unwrap_or_else(|_| self.clone());
        self.enabled = enabled;
    }

    /// The foreground filter's impulse response estimate (tap 0 first), in linear gain.
    pub fn impulse_response(&self) -> Vec<f32> {
        let mut fft = self.fft.clone();
        let mut out = Vec::with_capacity(self.taps());
        for (re, im) in self.wfr.iter().zip(&self.wfi) {
            fft.inverse(re, im);
            out.extend(fft.time[..N].iter().map(|v| v / NFFT as f32));
        }
        out
    }

    /// Cancel the echo of `tx_to_line` (what was sent toward the line, the far-end
    /// reference) in `rx_from_line` (what came back, near-end speech plus echo), in place.
    /// Both must be the same length, a multiple of 80 samples (10 ms).
    pub fn process(&mut self, rx_from_line: &mut [i16], tx_to_line: &[i16]) -> Result<()> {
        if rx_from_line.len() != tx_to_line.len() {
            return Err(Error::FrameLength {
                len: rx_from_line.len(),
                reason: "near-end and far-end frames differ in length",
            });
        }
        if !rx_from_line.len().is_multiple_of(N) {
            return Err(Error::FrameLength {
                len: rx_from_line.len(),
                reason: "not a multiple of 80 samples",
            });
        }
        for (rx, tx) in rx_from_line
            .chunks_exact_mut(N)
            .zip(tx_to_line.chunks_exact(N))
        {
            self.block(rx, tx);
        }
        Ok(())
    }

    /// Measurements after the last block.
    pub fn metrics(&self) -> EcMetrics {
        let erl = if self.erl_den > 0.0 {
            db(self.erl_num / self.erl_den)
        } else {
            0.0
        };
        let erle = if self.erle_den > 0.0 {
            db(self.erle_num / self.erle_den)
        } else {
            0.0
        };
        let erle_nlp = if self.out_den > 0.0 {
            db(self.erle_num / self.out_den)
        } else {
            erle
        };
        EcMetrics {
            erl_db: erl,
            erle_db: erle,
            erle_nlp_db: erle_nlp,
            rerl_db: erl + erle_nlp,
            double_talk: self.double_talk,
            nlp_active: self.nlp_active,
            state: self.state(),
            noise_dbm0: db(self.noise / dbm0_power(0.0)),
            echo_delay_samples: self.delay,
        }
    }

    fn state(&self) -> EcState {
        if !self.enabled {
            EcState::Disabled
        } else if self.converged() {
            EcState::Converged
        } else {
            EcState::Converging
        }
    }

    fn converged(&self) -> bool {
        self.copied && self.conv_latch
    }

    /// Slot in the spectrum ring of the far end `k` blocks ago.
    #[inline]
    fn slot(&self, k: usize) -> usize {
        (self.head + self.parts - k) % self.parts
    }

    /// One 10 ms block.
    fn block(&mut self, rx: &mut [i16], tx: &[i16]) {
        // 1. Far end: time window, spectrum, level over the tail.
        self.xt.copy_within(N.., 0);
        let mut bpow = 0.0f32;
        for (dst, &s) in self.xt[N..].iter_mut().zip(tx) {
            *dst = f32::from(s) * SCALE;
            bpow += *dst * *dst;
        }
        self.far_pos = (self.far_pos + 1) % self.far_pow.len();
        self.far_pow[self.far_pos] = bpow / N as f32;
        let px_tail = self.far_pow.iter().sum::<f32>() / self.far_pow.len() as f32;
        let px_peak = self.far_pow.iter().fold(0.0f32, |a, &b| a.max(b));
        let far_active = px_tail > dbm0_power(FAR_MIN_DBM0);
        self.head = (self.head + 1) % self.parts;
        self.fft.time = self.xt;
        self.fft
            .forward(&mut self.xr[self.head], &mut self.xi[self.head]);
        if !self.enabled {
            return;
        }

        // 2. Both filters' echo estimates (one pass over the far-end spectra) and errors.
        let mut d = [0.0f32; N];
        for (v, &s) in d.iter_mut().zip(rx.iter()) {
            *v = f32::from(s) * SCALE;
        }
        let (mut ybr, mut ybi, mut yfr, mut yfi) = ([0.0f32; BP], [0.0; BP], [0.0; BP], [0.0; BP]);
        for k in 0..self.parts {
            let s = self.slot(k);
            spec_mac2(
                (&self.xr[s], &self.xi[s]),
                (&self.wbr[k], &self.wbi[k]),
                (&self.wfr[k], &self.wfi[k]),
                (&mut ybr, &mut ybi),
                (&mut yfr, &mut yfi),
            );
        }
        let inv_n = 1.0 / NFFT as f32;
        let mut eb = [0.0f32; N];
        let mut yb = [0.0f32; N];
        self.fft.inverse(&ybr, &ybi);
        for (((e, y), &dv), &t) in eb
            .iter_mut()
            .zip(yb.iter_mut())
            .zip(&d)
            .zip(&self.fft.time[N..])
        {
            *y = t * inv_n;
            *e = dv - *y;
        }
        self.fft.inverse(&yfr, &yfi);
        for (((e, o), &dv), &t) in self
            .ef
            .iter_mut()
            .zip(self.yf.iter_mut())
            .zip(&d)
            .zip(&self.fft.time[N..])
        {
            *o = t * inv_n;
            *e = dv - *o;
        }
        let n = N as f32;
        let sff = sum_sq(&self.ef);
        let mut sbb = sum_sq(&eb);
        let dbf: f32 = yb
            .iter()
            .zip(&self.yf)
            .map(|(b, f)| (b - f) * (b - f))
            .sum();
        let (pd, pef, pyf) = (sum_sq(&d) / n, sff / n, sum_sq(&self.yf) / n);

        // 3. Noise floor (minimum statistics on the error, +1 dB/s creep; line noise is far
        // below speech, so a steady near-end tone must not pass for it), and the line noise
        // of blocks without far end (the echo has died out) for the step control.
        if !self.noise_init {
            self.noise_smooth = pef;
            self.noise = pef;
            self.noise_init = true;
        }
        self.noise_smooth = 0.7 * self.noise_smooth + 0.3 * pef;
        if self.noise_smooth < self.noise {
            self.noise = self.noise_smooth;
        } else {
            self.noise *= 1.0023;
        }
        self.noise = self.noise.min(dbm0_power(NOISE_MAX_DBM0));
        let noise = self.noise.max(dbm0_power(-100.0));
        if !far_active {
            // A slow average; near-end speech is kept out by a ceiling 6 dB over it.
            let e = sff.min(4.0 * self.quiet_noise);
            self.quiet_noise = 0.95 * self.quiet_noise + 0.05 * e;
        }

        // 4. Double talk.
        let converged = self.converged();
        let echo_present = far_active && (pd > 4.0 * noise || pyf > 4.0 * noise || !converged);
        // Louder than any echo could be: a hybrid returns less than it is sent.
        // And per frequency: the near end carries energy where the far end, over the whole
        // tail, sent too little to echo it (a talker whose spectrum differs from the far
        // end's; a tone over a tone) — catches double talk before convergence, when the
        // near end is quieter than the far end.
        let dt_level =
            echo_present && (pef > px_peak || (pd > 4.0 * noise && self.near_excess(&d)));
        // Well above the residual the converged filter is known to leave.
        let dt_resid =
            echo_present && converged && pef > DT_RESID_RATIO * (pyf * self.resid_ratio + noise);
        if dt_level || dt_resid {
            self.dt_hold = DT_HANGOVER;
        } else {
            self.dt_hold = self.dt_hold.saturating_sub(1);
        }
        self.double_talk = dt_level || dt_resid || self.dt_hold > 0;
        // "Double talk" that the near-end level does not explain (no louder than the echo the
        // measured ERL predicts) while the background cancels better than the foreground, for
        // 200 ms: the echo path changed.
        let erl_gain = if self.erl_num > 0.0 {
            (self.erl_den / self.erl_num).min(1.0)
        } else {
            0.25
        };
        if dt_resid && !dt_level && pd < 2.0 * erl_gain * px_tail && sbb < 0.7 * sff {
            self.suspect += 1;
        } else if !self.double_talk {
            self.suspect = 0;
        }
        if self.suspect > PATH_CHANGE_BLOCKS {
            self.suspect = 0;
            self.path_change();
        }

        // 5. Two-path control (both errors are a-priori: of this block, before the update).
        if far_active && self.two_path(sff, sbb, dbf, self.double_talk) {
            // The background was reset from the foreground: adapt from the foreground's error.
            eb = self.ef;
            yb = self.yf;
            sbb = sff;
        }

        // 6. Adapt the background.
        if far_active {
            let stats = BlockStats {
                see: sbb,
                syy: sum_sq(&yb),
                sey: eb.iter().zip(&yb).map(|(a, b)| a * b).sum(),
                sxx: px_tail * n,
                echo_only: echo_present && !self.double_talk,
            };
            self.adapt(&eb, &yb, stats);
        }

        // 7. Measurements on echo-only blocks.
        let echo_only = echo_present && !self.double_talk;
        if echo_only {
            self.erl_num = 0.98 * self.erl_num + 0.02 * px_tail;
            self.erl_den = 0.98 * self.erl_den + 0.02 * pd;
            if pd > 16.0 * noise {
                // Only where the echo stands well above the line noise.
                self.erle_fast = 0.7 * self.erle_fast + 0.3 * db(pd / pef.max(1e-12));
                if self.erle_fast > 10.0 && self.copied {
                    self.conv_latch = true;
                }
            }
            if pyf > 0.0 {
                let r = ((pef - noise).max(0.0) / pyf).clamp(1e-6, 1.0);
                self.resid_ratio = 0.8 * self.resid_ratio + 0.2 * r;
            }
        }

        // 8. Comfort-noise shape from noise-only blocks.
        let noise_only = !far_active && pef < 2.0 * noise && !self.double_talk;
        if noise_only {
            let mut r = [0.0f32; CN_ORDER + 1];
            lpc::autocorr_add(&self.ef, &mut r);
            for (acc, v) in self.bg_r.iter_mut().zip(r) {
                *acc = 0.9 * *acc + 0.1 * v / n;
            }
            let mut shape = self.bg_r;
            shape[0] *= 1.0001;
            self.cn_lpc = lpc::levinson(&shape, CN_ORDER);
        }

        // 9. NLP and output.
        let suppress = self.cfg.nlp && echo_present && !self.double_talk;
        self.nlp_active = suppress;
        let cn_power = if self.cfg.cng { noise } else { 0.0 };
        if self.cfg.nlp {
            self.shaper.set(self.cn_lpc, cn_power);
        }
        let target = if suppress { 0.0 } else { 1.0 };
        let rate = if suppress { 0.1 } else { 0.02 };
        let mut pout = 0.0f32;
        for (o, &e) in rx.iter_mut().zip(&self.ef) {
            let v = if self.cfg.nlp && (suppress || self.nlp_gain < 1.0) {
                self.nlp_gain += (target - self.nlp_gain) * rate;
                let cn = if self.cfg.cng {
                    self.shaper.next()
                } else {
                    0.0
                };
                self.nlp_gain * e + (1.0 - self.nlp_gain) * cn
            } else {
                e
            };
            pout += v * v;
            *o = (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
        }
        if !suppress && self.nlp_gain > 0.999 {
            self.nlp_gain = 1.0;
        }
        if echo_only {
            self.erle_num = 0.98 * self.erle_num + 0.02 * pd;
            self.erle_den = 0.98 * self.erle_den + 0.02 * pef;
            self.out_den = 0.98 * self.out_den + 0.02 * pout / n;
        }
        if self.delay_stale && self.head == 0 {
            self.update_delay();
        }
    }

    /// Whether most of the near-end block's spectrum (2× its zero-padded power, to compare
    /// with the far end's two-block windows) stands above what the far end sent in the same
    /// bins over the whole tail (per-bin echo gain at most [`BIN_ECHO_GAIN`]): energy no echo
    /// can explain.
    fn near_excess(&mut self, d: &[f32; N]) -> bool {
        let (mut dr, mut di) = ([0.0f32; BP], [0.0f32; BP]);
        self.fft.forward_padded(d, &mut dr, &mut di);
        let mut far = [0.0f32; BP];
        for k in 0..self.parts {
            let s = self.slot(k);
            for ((f, r), i) in far.iter_mut().zip(&self.xr[s]).zip(&self.xi[s]) {
                *f = f.max(r * r + i * i);
            }
        }
        let (mut total, mut excess) = (0.0f32, 0.0f32);
        for ((r, i), f) in dr[..BINS].iter().zip(&di[..BINS]).zip(&far[..BINS]) {
            let p = 2.0 * (r * r + i * i);
            total += p;
            excess += (p - BIN_ECHO_GAIN * f).max(0.0);
        }
        excess > 0.5 * total
    }

    /// Background vs foreground from the energies of the two errors (`sff`, `sbb`) and of
    /// their difference `dbf`, over this block and smoothed over ~3 and ~7 blocks: copy the
    /// background when it is significantly better, reset it from the foreground when it is
    /// significantly worse (then returns true).
    fn two_path(&mut self, sff: f32, sbb: f32, dbf: f32, double_talk: bool) -> bool {
        if dbf <= 1e-15 {
            return false;
        }
        let diff = sff - sbb;
        // sff - sbb = 2<ef, yb - yf> - dbf: with both filters equally good, the cross term is
        // the noise in the errors against the difference, of variance 4·(error power)·dbf.
        let var = 4.0 * sff.min(sbb) * dbf / N as f32;
        self.davg1 = 0.6 * self.davg1 + 0.4 * diff;
        self.davg2 = 0.85 * self.davg2 + 0.15 * diff;
        self.dvar1 = 0.36 * self.dvar1 + 0.16 * var;
        self.dvar2 = 0.7225 * self.dvar2 + 0.0225 * var;
        // `a` exceeds `t` standard deviations `sqrt(v)`, with its sign.
        let sig = |a: f32, v: f32, t: f32| a * a.abs() > t * v;
        let (t, clear) = if double_talk {
            (COPY_DT_SIGMA2, sbb < 0.5 * sff)
        } else {
            (COPY_SIGMA2, true)
        };
        if clear
            && (sig(diff, var, t)
                || sig(self.davg1, self.dvar1, t)
                || sig(self.davg2, self.dvar2, t))
        {
            self.copy_to_foreground();
            self.clear_two_path();
            return false;
        }
        if sbb > 2.0 * sff
            && (sig(-diff, var, BACK_SIGMA2)
                || sig(-self.davg1, self.dvar1, BACK_SIGMA2)
                || sig(-self.davg2, self.dvar2, BACK_SIGMA2))
        {
            for k in 0..self.parts {
                self.wbr[k] = self.wfr[k];
                self.wbi[k] = self.wfi[k];
            }
            self.update_gains();
            self.clear_two_path();
            return true;
        }
        false
    }

    fn clear_two_path(&mut self) {
        self.davg1 = 0.0;
        self.davg2 = 0.0;
        self.dvar1 = 0.0;
        self.dvar2 = 0.0;
    }

    fn copy_to_foreground(&mut self) {
        for k in 0..self.parts {
            self.wfr[k] = self.wbr[k];
            self.wfi[k] = self.wbi[k];
        }
        self.copied = true;
        self.delay_stale = true;
    }

    /// An echo path change: restart the step control and the convergence state (the filters
    /// stay, the background reconverges from the foreground).
    fn path_change(&mut self) {
        self.erle_fast = 0.0;
        self.conv_latch = false;
        self.resid_ratio = 1.0;
        self.adapted = false;
        self.init_sum = 0.0;
        self.lk_e = self.lk_y;
        self.pey = self.pyy;
        self.leak = 1.0;
        self.dt_hold = 0;
        self.double_talk = false;
    }

    /// One proportionate, residual-echo-controlled update of the background filter from its
    /// error `eb` and echo estimate `yb`.
    fn adapt(&mut self, eb: &[f32; N], yb: &[f32; N], st: BlockStats) {
        let m = self.parts as f32;
        let (mut er, mut ei) = ([0.0f32; BP], [0.0f32; BP]);
        self.fft.forward_padded(eb, &mut er, &mut ei);
        let (mut yr, mut yi) = ([0.0f32; BP], [0.0f32; BP]);
        self.fft.forward_padded(yb, &mut yr, &mut yi);

        // Far-end power per bin over the tail, plain and gain-weighted.
        let mut xs = [0.0f32; BP];
        let mut xg = [0.0f32; BP];
        for k in 0..self.parts {
            let s = self.slot(k);
            let g = self.gains[k];
            let (xr, xi) = (&self.xr[s], &self.xi[s]);
            for j in 0..BP {
                let p = xr[j] * xr[j] + xi[j] * xi[j];
                xs[j] += p;
                xg[j] += g * p;
            }
        }

        // Leak of the echo estimate into the error. (1) Valin 2007: the regression of the
        // error's spectral fluctuations on the echo estimate's, updated faster when the echo
        // estimate is strong against the error.
        let mut rf = [0.0f32; BP];
        let mut yf = [0.0f32; BP];
        let (mut pey, mut pyy) = (0.0f32, 0.0f32);
        for j in 0..BINS {
            rf[j] = er[j] * er[j] + ei[j] * ei[j];
            yf[j] = yr[j] * yr[j] + yi[j] * yi[j];
            let e = rf[j] - self.eh[j];
            let y = yf[j] - self.yh[j];
            pey += e * y;
            pyy += y * y;
            self.eh[j] = (1.0 - SPEC_AVERAGE) * self.eh[j] + SPEC_AVERAGE * rf[j];
            self.yh[j] = (1.0 - SPEC_AVERAGE) * self.yh[j] + SPEC_AVERAGE * yf[j];
        }
        let see = st.see + N as f32 * dbm0_power(-90.0);
        if pyy > 0.0 {
            let pyy = pyy.sqrt();
            let pey = pey / pyy;
            let alpha = (BETA0 * st.syy).min(BETA_MAX * see) / see;
            self.pey = (1.0 - alpha) * self.pey + alpha * pey;
            self.pyy = (1.0 - alpha) * self.pyy + alpha * pyy;
        }
        self.pyy = self.pyy.max(1e-3 * NFFT as f32 * dbm0_power(-90.0));
        self.pey = self.pey.clamp(MIN_LEAK * self.pyy, self.pyy);
        self.leak_reg = self.pey / self.pyy;
        // (2) The residual (less the line noise) over the echo estimate on echo-only blocks.
        if st.echo_only {
            self.lk_e = 0.9 * self.lk_e + 0.1 * (st.see - self.quiet_noise).max(0.0);
            self.lk_y = 0.9 * self.lk_y + 0.1 * st.syy;
        }
        let direct = if self.lk_y > 0.0 {
            (self.lk_e / self.lk_y).clamp(MIN_LEAK, 1.0)
        } else {
            1.0
        };
        self.leak = self.leak_reg.max(direct);

        // Residual-to-error ratio of the block (at least the part of the error correlated with
        // the echo estimate; at most one half).
        let rer = ((1e-4 * st.sxx + 3.0 * self.leak * st.syy) / see)
            .max(st.sey * st.sey / (see * st.syy + 1e-30))
            .min(0.5);

        if !self.adapted && self.init_sum > INIT_STEPS {
            self.adapted = true;
        }
        let init_step = if self.adapted {
            0.0
        } else {
            let r = (INIT_ECHO_GAIN * st.sxx).min(see) / see;
            self.init_sum += r;
            r
        };

        // Per-bin step: estimated residual echo over error, never more than the echo the far
        // end could make in that bin (so that a near-end tone in a bin where the far end has
        // little energy is not "cancelled" with the far end's leakage).
        let delta = m * NFFT as f32 * dbm0_power(-70.0);
        let bin_cap = BIN_ECHO_GAIN * 0.5 / m;
        let mut c = [0.0f32; BP];
        for j in 0..BINS {
            let e = rf[j] + 1e-20;
            let mu = if self.adapted {
                let r = (self.leak * yf[j]).min(0.5 * e);
                (0.7 * r + 0.3 * rer * e) / e
            } else {
                init_step
            };
            let mu = mu.min(bin_cap * xs[j] / e);
            c[j] = self.cfg.step * mu / (xg[j] + delta);
        }
        for k in 0..self.parts {
            let s = self.slot(k);
            let g = self.gains[k];
            let (xr, xi) = (&self.xr[s], &self.xi[s]);
            let (wr, wi) = (&mut self.wbr[k], &mut self.wbi[k]);
            for j in 0..BP {
                let cg = c[j] * g;
                // conj(X)·E
                let pr = xr[j] * er[j] + xi[j] * ei[j];
                let pi = xr[j] * ei[j] - xi[j] * er[j];
                wr[j] += cg * pr;
                wi[j] += cg * pi;
            }
        }

        // Gradient constraint on two partitions: round-robin and the strongest.
        let rr = self.constrain_next;
        self.constrain_next = (rr + 1) % self.parts;
        self.constrain(rr);
        if self.strongest != rr {
            self.constrain(self.strongest);
        }
        self.update_gains();
    }

    /// Zero the second half of partition `k`'s impulse response (a linear, not circular,
    /// convolution).
    fn constrain(&mut self, k: usize) {
        self.fft.inverse(&self.wbr[k], &self.wbi[k]);
        let inv_n = 1.0 / NFFT as f32;
        for v in &mut self.fft.time[..N] {
            *v *= inv_n;
        }
        self.fft.time[N..].fill(0.0);
        self.fft.forward(&mut self.wbr[k], &mut self.wbi[k]);
    }

    /// IPNLMS-style gains per partition from the background's coefficient norms (mean 1).
    fn update_gains(&mut self) {
        let mut total = 0.0f32;
        let mut best = (0, 0.0f32);
        for (k, (g, (wr, wi))) in self
            .gains
            .iter_mut()
            .zip(self.wbr.iter().zip(&self.wbi))
            .enumerate()
        {
            *g = (sum_sq(wr) + sum_sq(wi)).sqrt();
            total += *g;
            if *g > best.1 {
                best = (k, *g);
            }
        }
        self.strongest = best.0;
        let m = self.parts as f32;
        if total <= 1e-12 {
            self.gains.fill(1.0);
            return;
        }
        for g in &mut self.gains {
            *g = PROP_UNIFORM + (1.0 - PROP_UNIFORM) * m * *g / total;
        }
    }

    /// The echo delay from the foreground's largest tap (in its strongest partition).
    fn update_delay(&mut self) {
        let mut best = (0, 0.0f32);
        for (k, (wr, wi)) in self.wfr.iter().zip(&self.wfi).enumerate() {
            let e = sum_sq(wr) + sum_sq(wi);
            if e > best.1 {
                best = (k, e);
            }
        }
        let k = best.0;
        self.fft.inverse(&self.wfr[k], &self.wfi[k]);
        let peak = self.fft.time[..N]
            .iter()
            .enumerate()
            .fold((0, 0.0f32), |(bi, bv), (i, &v)| {
                if v.abs() > bv {
                    (i, v.abs())
                } else {
                    (bi, bv)
                }
            });
        self.delay = k * N + peak.0;
        self.delay_stale = false;
    }
}

/// `yb += Wb·X`, `yf += Wf·X` (complex, per bin), one pass over `X`.
#[inline]
fn spec_mac2(
    (xr, xi): (&Spec, &Spec),
    (br, bi): (&Spec, &Spec),
    (fr, fi): (&Spec, &Spec),
    (ybr, ybi): (&mut Spec, &mut Spec),
    (yfr, yfi): (&mut Spec, &mut Spec),
) {
    for j in 0..BP {
        ybr[j] += br[j] * xr[j] - bi[j] * xi[j];
        ybi[j] += br[j] * xi[j] + bi[j] * xr[j];
        yfr[j] += fr[j] * xr[j] - fi[j] * xi[j];
        yfi[j] += fr[j] * xi[j] + fi[j] * xr[j];
    }
}

fn sum_sq(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum()
}

#[cfg(test)]
pub(crate) mod tests;

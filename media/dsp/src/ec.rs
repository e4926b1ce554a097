//! Line echo canceller for the 2-wire hybrid (ITU-T G.168).
//!
//! What the gateway sends toward the phone (`tx_to_line`, the far-end signal) leaks back
//! through the hybrid into what it receives (`rx_from_line`, the near-end signal). The
//! canceller models that echo path with an adaptive FIR filter over the far-end signal and
//! subtracts its estimate:
//!
//! * **Adaptive filter**: time-domain, `tail_ms * 8` taps (8..=128 ms), proportionate NLMS
//!   (IPNLMS with the proportionate gain per 2 ms segment, so the sparse response of a
//!   hybrid after its bulk delay converges fast) on *pre-whitened* signals: both the far-end
//!   regressor and the error pass through the same adaptive 4th-order LPC inverse filter of the
//!   far end, which removes most of the eigenvalue spread of speech (an LTI echo path is the
//!   same between whitened signals, so the filter that cancels them is the one that cancels
//!   the raw echo).
//! * **Two-path structure** (the G.168-grade guard against divergence): a *background* filter
//!   adapts continuously; the *foreground* filter, which makes the output, is only ever a copy of
//!   the background taken when the background has cancelled better on two blocks in a row.
//!   Double talk can disturb the background, never the foreground; when the background has
//!   become clearly worse than the foreground it is reset from it.
//! * **Double-talk detection**: the Geigel detector (|near| ≥ 0.5·max |far| over the tail,
//!   G.168 Appendix) while the canceller has not converged, and, once it has, an energy
//!   comparison of the foreground's error against the residual it is known to leave
//!   (6 dB above it means someone is talking at the near end), with 50 ms hangover. Double
//!   talk slows the background's adaptation and holds the foreground.
//! * **No adaptation on far-end silence** (below -50 dBm0 over the tail).
//! * **NLP**: when the linear filter has left only residual echo (echo present, no
//!   double talk), the output is replaced by comfort noise at the measured near-end
//!   background level and spectral shape (minimum statistics on the error signal, an LPC
//!   fit of noise-only blocks), with short cross-fades. Without CNG it is a hard suppressor.
//! * **Tone disabling**: [`EchoCanceller::set_enabled`] (G.164/G.165: a 2100 Hz answer tone
//!   with phase reversals disables echo control for modems and fax; see
//!   [`crate::faxtone`]) passes the near-end signal through untouched.
//!
//! Work happens in 10 ms blocks; [`EchoCanceller::process`] takes any multiple of 80
//! samples. [`EchoCanceller::metrics`] reports ERL, ERLE, the combined loss and the
//! double-talk and convergence state after every call (RTCP XR's RERL is
//! [`EcMetrics::rerl_db`]).

use crate::level::DBM0_RMS;
use crate::lpc::{self, NoiseShaper};
use crate::{Error, Result, FRAME_SAMPLES};

/// Samples per internal block (10 ms).
const BLOCK: usize = FRAME_SAMPLES;
/// Taps per proportionate-gain segment (2 ms).
const SEG: usize = 16;
/// Order of the whitening filter `A(z)` (an LPC inverse filter of the far end).
const WORD: usize = 8;
/// Blocks between updates of the whitening filter.
const WHITEN_EVERY: u32 = 2;
/// Normalisation of 16-bit samples.
const SCALE: f32 = 1.0 / 32768.0;

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
    /// paths the canceller faces: a local loop is well under 64 ms).
    pub tail_ms: u32,
    /// Run the non-linear processor (residual echo suppression).
    pub nlp: bool,
    /// Fill what the NLP suppresses with comfort noise at the near-end background level
    /// (otherwise silence).
    pub cng: bool,
    /// Seed of the comfort-noise generator.
    pub seed: u64,
    /// Initial NLMS step size of the background filter (0 < mu ≤ 1); it falls to half and
    /// then 0.3 of this as the filter converges (ERLE 15 and 25 dB).
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

/// A line echo canceller for one port. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct EchoCanceller {
    cfg: EcConfig,
    taps: usize,
    enabled: bool,
    /// Background (adaptive) and foreground (output) filters, oldest tap first: `h[taps-1]`
    /// multiplies the newest far-end sample.
    hb: Vec<f32>,
    hf: Vec<f32>,
    /// Proportionate gain per segment (mean 1).
    gains: Vec<f32>,
    /// Far-end history + the current block: `taps` past samples then `BLOCK` new ones.
    x: Vec<f32>,
    /// The same, pre-whitened.
    xw: Vec<f32>,
    /// Last raw near-end sample (pre-emphasis state) and last output before the NLP
    /// (de-emphasis state).
    /// Whitening filter `A(z)` (a[0] = 1), the smoothed far-end autocorrelation it comes
    /// from, and the blocks since it was last computed.
    wa: [f32; WORD + 1],
    wr: [f32; WORD + 1],
    wa_age: u32,
    /// Last `WORD` near-end inputs and foreground errors (newest last), for whitening them.
    d_hist: [f32; WORD],
    ef_hist: [f32; WORD],
    /// Tap ranges where the foreground filter has its energy (all but -50 dB of it).
    fg_ranges: Vec<(usize, usize)>,
    /// Segments the background filter runs over: all of them until converged, then the
    /// foreground's active span with a 4 ms margin (taps outside are zero).
    bg_window: (usize, usize),
    /// Consecutive blocks of double talk (a "double talk" that lasts too long is an echo
    /// path change: the background goes back to the full tail).
    dt_blocks: u32,
    /// Step of the update still to apply (computed from the last sample's error).
    pending: f32,
    /// Per-block far-end maxima over the tail (ring), for Geigel.
    far_max: Vec<f32>,
    far_max_pos: usize,
    // Two-path bookkeeping.
    better: u32,
    worse: u32,
    copied: bool,
    // Detectors and measurements.
    dt_hold: u32,
    double_talk: bool,
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
    // NLP and comfort noise.
    nlp_gain: f32,
    nlp_active: bool,
    bg_r: [f32; CN_ORDER + 1],
    shaper: NoiseShaper,
    // Scratch for one block.
    ef: [f32; BLOCK],
    yf: [f32; BLOCK],
}

/// LPC order of the comfort noise's spectral shape.
const CN_ORDER: usize = 6;
/// Far-end power over the tail below which nothing adapts.
const FAR_MIN_DBM0: f32 = -50.0;
/// Double-talk hangover, in blocks.
const DT_HANGOVER: u32 = 5;

impl EchoCanceller {
    /// A canceller with `cfg`, enabled, filters empty.
    pub fn new(cfg: EcConfig) -> Result<Self> {
        cfg.validate()?;
        let taps = (cfg.tail_ms as usize * 8).div_ceil(SEG) * SEG;
        Ok(Self {
            cfg,
            taps,
            enabled: true,
            hb: vec![0.0; taps],
            hf: vec![0.0; taps],
            gains: vec![1.0; taps / SEG],
            x: vec![0.0; WORD + taps + BLOCK],
            xw: vec![0.0; taps + BLOCK],
            wa: {
                let mut a = [0.0; WORD + 1];
                a[0] = 1.0;
                a
            },
            wr: [0.0; WORD + 1],
            wa_age: 0,
            d_hist: [0.0; WORD],
            ef_hist: [0.0; WORD],
            fg_ranges: Vec::new(),
            bg_window: (0, taps / SEG),
            dt_blocks: 0,
            pending: 0.0,
            far_max: vec![0.0; taps.div_ceil(BLOCK) + 1],
            far_max_pos: 0,
            better: 0,
            worse: 0,
            copied: false,
            dt_hold: 0,
            double_talk: false,
            resid_ratio: 1.0,
            noise: 0.0,
            noise_smooth: 0.0,
            noise_init: false,
            erl_num: 0.0,
            erl_den: 0.0,
            erle_num: 0.0,
            erle_den: 0.0,
            out_den: 0.0,
            erle_fast: 1.0,
            nlp_gain: 1.0,
            nlp_active: false,
            bg_r: [0.0; CN_ORDER + 1],
            shaper: NoiseShaper::new(cfg.seed),
            ef: [0.0; BLOCK],
            yf: [0.0; BLOCK],
        })
    }

    /// The configuration.
    pub fn config(&self) -> &EcConfig {
        &self.cfg
    }

    /// Filter length in taps (the tail rounded up to 2 ms).
    pub fn taps(&self) -> usize {
        self.taps
    }

    /// Enable or disable cancellation. Disabled (G.164/G.165 tone disabling for fax and
    /// modems), [`process`](Self::process) leaves the near-end signal untouched; the filter
    /// is kept, so re-enabling resumes where it was.
    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
        self.pending = 0.0;
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
        self.hf.iter().rev().copied().collect()
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
        if !rx_from_line.len().is_multiple_of(BLOCK) {
            return Err(Error::FrameLength {
                len: rx_from_line.len(),
                reason: "not a multiple of 80 samples",
            });
        }
        for (rx, tx) in rx_from_line
            .chunks_exact_mut(BLOCK)
            .zip(tx_to_line.chunks_exact(BLOCK))
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
        let peak = self
            .hf
            .iter()
            .enumerate()
            .fold((0, 0.0f32), |(bi, bv), (i, &v)| {
                if v.abs() > bv {
                    (i, v.abs())
                } else {
                    (bi, bv)
                }
            });
        EcMetrics {
            erl_db: erl,
            erle_db: erle,
            erle_nlp_db: erle_nlp,
            rerl_db: erl + erle_nlp,
            double_talk: self.double_talk,
            nlp_active: self.nlp_active,
            state: self.state(),
            noise_dbm0: db(self.noise / dbm0_power(0.0)),
            echo_delay_samples: self.taps - 1 - peak.0,
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
        self.copied && self.erle_fast > 10.0
    }

    /// One 10 ms block.
    fn block(&mut self, rx: &mut [i16], tx: &[i16]) {
        let l = self.taps;
        // 1. Far end into the history (raw at WORD.., whitened at 0..), far-end level.
        let mut bmax = 0.0f32;
        for (dst, &s) in self.x[WORD + l..].iter_mut().zip(tx) {
            *dst = f32::from(s) * SCALE;
            bmax = bmax.max(dst.abs());
        }
        self.far_max[self.far_max_pos] = bmax;
        self.far_max_pos = (self.far_max_pos + 1) % self.far_max.len();
        let px_tail = mean_sq(&self.x[WORD + BLOCK..]);
        let far_active = px_tail > dbm0_power(FAR_MIN_DBM0);
        self.wa_age += 1;
        if self.update_whitening() {
            self.whiten(0);
        } else {
            self.whiten(l);
        }

        if !self.enabled {
            self.shift();
            return;
        }

        // 2. The filters, sample by sample. The background runs between whitened signals
        // and adapts on every other sample (a periodic partial update: half the cost);
        // the foreground runs on the raw far end, over its active taps only.
        let mut d = [0.0f32; BLOCK];
        let mut dw = [0.0f32; BLOCK];
        let mut dmax = 0.0f32;
        for (v, &s) in d.iter_mut().zip(rx.iter()) {
            *v = f32::from(s) * SCALE;
            dmax = dmax.max(v.abs());
        }
        whiten_into(&self.wa, &mut self.d_hist, &d, &mut dw);
        // Variable step: fast while converging, finer as the residual falls.
        let base = if self.erle_fast < 15.0 {
            self.cfg.step
        } else if self.erle_fast < 25.0 {
            0.5 * self.cfg.step
        } else {
            0.3 * self.cfg.step
        };
        let mu = if !far_active {
            0.0
        } else if self.double_talk && self.converged() {
            base * 0.25
        } else {
            base
        };
        let delta = l as f32 * dbm0_power(-60.0);
        let mut pebw = 0.0f32;
        if !far_active {
            self.pending = 0.0;
        }
        let (wa, wb) = (self.bg_window.0 * SEG, self.bg_window.1 * SEG);
        let mut nb = 0usize;
        for i in 0..BLOCK {
            let xs = &self.xw[i + 1..i + 1 + l];
            if i % 2 == 1 {
                // The background: error on odd samples, after the update from the last one.
                // The pending update is for the regressor of sample i - 2.
                let gains = &self.gains[wa / SEG..wb / SEG];
                let (yb, xgx) = if self.pending != 0.0 {
                    let xp = &self.xw[i - 1..i - 1 + l];
                    update_dot(
                        &mut self.hb[wa..wb],
                        gains,
                        &xs[wa..wb],
                        &xp[wa..wb],
                        self.pending,
                    )
                } else {
                    dot_xgx(&self.hb[wa..wb], gains, &xs[wa..wb])
                };
                let ebw = dw[i] - yb;
                pebw += ebw * ebw;
                nb += 1;
                self.pending = if mu > 0.0 {
                    mu * ebw / (xgx + delta)
                } else {
                    0.0
                };
            }
            let xr = &self.x[WORD + i + 1..WORD + i + 1 + l];
            let mut yf = 0.0;
            for &(a, b) in &self.fg_ranges {
                yf += dot(&self.hf[a..b], &xr[a..b]);
            }
            self.ef[i] = d[i] - yf;
            self.yf[i] = yf;
        }
        let mut efw = [0.0f32; BLOCK];
        whiten_into(&self.wa, &mut self.ef_hist, &self.ef, &mut efw);
        let pefw = sum_sq(&efw);
        // The pending update is for the window ending at the last sample: it applies at the
        // next block's first odd sample with xp = that window, which has moved by one sample;
        // dropping it costs one update in 40.
        self.pending = 0.0;
        let peb_n = nb.max(1) as f32;
        let n = BLOCK as f32;
        let peb = pebw / peb_n;
        let pefw = pefw / n;
        let pdw = mean_sq(&dw);
        let pd = mean_sq(&d);
        let pef = mean_sq(&self.ef);
        let pyf = mean_sq(&self.yf);

        // 3. Noise floor (minimum statistics on the error, +1 dB/s creep).
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
        let noise = self.noise.max(dbm0_power(-100.0));

        // 4. Double talk.
        // Until converged the noise floor may still be the echo itself (a far end without
        // pauses): any far-end activity counts then.
        let echo_present =
            far_active && (pd > 4.0 * noise || pyf > 4.0 * noise || !self.converged());
        let dt_now = if !echo_present {
            false
        } else if self.converged() {
            let expected = pyf * self.resid_ratio + noise;
            pef > 4.0 * expected && pef > 2.0 * noise
        } else {
            let far = self.far_max.iter().fold(0.0f32, |a, &b| a.max(b));
            dmax > 0.5 * far && pd > 4.0 * noise
        };
        if dt_now {
            self.dt_hold = DT_HANGOVER;
        } else {
            self.dt_hold = self.dt_hold.saturating_sub(1);
        }
        self.double_talk = dt_now || self.dt_hold > 0;

        // 5. Two-path control.
        if echo_present {
            let much_better = peb < 0.5 * pefw;
            let near_loud = self.erl_num > 0.0 && pd > 2.0 * px_tail * self.erl_den / self.erl_num;
            let dt = (self.double_talk && self.converged()) || near_loud;
            if peb < 0.8 * pefw && peb < pdw && (!dt || much_better) {
                self.better += 1;
            } else {
                self.better = 0;
            }
            if self.better >= 2 {
                self.copy_to_foreground();
                self.better = 0;
            }
            if peb > 4.0 * pefw && pefw < 0.25 * pdw {
                self.worse += 1;
            } else {
                self.worse = 0;
            }
            if self.worse >= 2 {
                self.hb.copy_from_slice(&self.hf);
                self.pending = 0.0;
                self.update_gains();
                self.worse = 0;
            }
        }

        // Background window: the active span once converged, the whole tail otherwise.
        // Near-end louder than any echo could be (3 dB over the measured echo path loss):
        // certainly talk, never a path change.
        let near_loud = self.erl_num > 0.0 && pd > 2.0 * px_tail * self.erl_den / self.erl_num;
        if self.double_talk && echo_present && !near_loud {
            self.dt_blocks += 1;
        } else if !self.double_talk || near_loud {
            self.dt_blocks = 0;
        }
        let nseg = self.gains.len();
        let full = (0, nseg);
        if self.erle_fast > 20.0 && self.copied && self.bg_window == full {
            if let (Some(first), Some(last)) = (self.fg_ranges.first(), self.fg_ranges.last()) {
                let a = (first.0 / SEG).saturating_sub(2);
                let b = (last.1 / SEG + 2).min(nseg);
                self.bg_window = (a, b);
                self.hb[..a * SEG].fill(0.0);
                self.hb[b * SEG..].fill(0.0);
            }
        } else if self.bg_window != full && self.erle_fast < 10.0 {
            self.bg_window = full;
        }
        if self.dt_blocks > 20 {
            // 200 ms of "double talk" that the foreground cannot explain is far more often an
            // echo path change: adapt from scratch speed on the whole tail.
            self.erle_fast = 0.0;
            self.bg_window = full;
            self.dt_blocks = 0;
        }

        // 6. Measurements on echo-only blocks.
        // Before convergence the Geigel detector is too pessimistic at ERL 6 dB (a dispersive
        // echo peaks above half the far end) to gate the measurements.
        let echo_only = echo_present && !(self.double_talk && self.converged());
        if echo_only {
            self.erl_num = 0.98 * self.erl_num + 0.02 * px_tail;
            self.erl_den = 0.98 * self.erl_den + 0.02 * pd;
            self.erle_fast = 0.7 * self.erle_fast + 0.3 * db(pd / pef.max(1e-12));
            if pyf > 0.0 {
                let r = ((pef - noise).max(0.0) / pyf).clamp(1e-5, 1.0);
                self.resid_ratio = 0.8 * self.resid_ratio + 0.2 * r;
            }
        }

        // 7. Comfort-noise shape from noise-only blocks.
        let noise_only = !far_active && pef < 2.0 * noise && !self.double_talk;
        if noise_only {
            let mut r = [0.0f32; CN_ORDER + 1];
            lpc::autocorr_add(&self.ef, &mut r);
            for (acc, v) in self.bg_r.iter_mut().zip(r) {
                *acc = 0.9 * *acc + 0.1 * v / n;
            }
        }

        // 8. NLP and output.
        let suppress = self.cfg.nlp && echo_present && !self.double_talk;
        self.nlp_active = suppress;
        let cn_power = if self.cfg.cng { noise } else { 0.0 };
        if self.cfg.nlp {
            let mut shape = self.bg_r;
            shape[0] *= 1.0001;
            self.shaper.set(lpc::levinson(&shape, CN_ORDER), cn_power);
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

        // 9. Proportionate gains from the background filter.
        self.update_gains();
        self.shift();
    }

    /// Foreground := background, keeping only the segments that hold all but -50 dB of
    /// the energy (the rest is adaptation noise, and skipping it makes the foreground cheap).
    fn copy_to_foreground(&mut self) {
        let nseg = self.gains.len();
        let mut e: Vec<(f32, usize)> = self
            .hb
            .chunks_exact(SEG)
            .enumerate()
            .map(|(i, c)| (c.iter().map(|v| v * v).sum::<f32>(), i))
            .collect();
        let total: f32 = e.iter().map(|v| v.0).sum();
        e.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut keep = vec![true; nseg];
        let mut dropped = 0.0;
        for &(en, i) in &e {
            if dropped + en > total * 1e-5 {
                break;
            }
            dropped += en;
            keep[i] = false;
        }
        self.fg_ranges.clear();
        for (i, &k) in keep.iter().enumerate() {
            let (a, b) = (i * SEG, (i + 1) * SEG);
            if k {
                self.hf[a..b].copy_from_slice(&self.hb[a..b]);
                match self.fg_ranges.last_mut() {
                    Some(r) if r.1 == a => r.1 = b,
                    _ => self.fg_ranges.push((a, b)),
                }
            } else {
                self.hf[a..b].fill(0.0);
            }
        }
        self.copied = true;
    }

    /// IPNLMS gains (α = 0.5) per segment from the background filter's tap magnitudes.
    fn update_gains(&mut self) {
        let nseg = self.gains.len();
        let mut total = 0.0f32;
        for (g, seg) in self.gains.iter_mut().zip(self.hb.chunks_exact(SEG)) {
            *g = seg.iter().map(|v| v.abs()).sum();
            total += *g;
        }
        let mean = total / nseg as f32 + 1e-9;
        for g in &mut self.gains {
            *g = 0.25 + 0.75 * *g / mean;
        }
    }

    /// Keep the last `taps` (+ `WORD`) samples of history for the next block.
    fn shift(&mut self) {
        let l = self.taps;
        self.x.copy_within(BLOCK..BLOCK + WORD + l, 0);
        self.xw.copy_within(BLOCK..BLOCK + l, 0);
    }

    /// Whitened far end from index `from` of the window on (all of it after `A` changed,
    /// so the whole window is always filtered by the same `A`).
    fn whiten(&mut self, from: usize) {
        let a = self.wa;
        for (j, w) in self.xw.iter_mut().enumerate().skip(from) {
            // x[WORD + j] is the sample, x[WORD + j - k] its k-th predecessor.
            let xs = &self.x[j..=j + WORD];
            let mut v = 0.0;
            for k in 0..=WORD {
                v += a[k] * xs[WORD - k];
            }
            *w = v;
        }
    }

    /// Track the far end's autocorrelation; every `WHITEN_EVERY` blocks of far-end activity,
    /// a new `A(z)`. Returns whether it changed.
    fn update_whitening(&mut self) -> bool {
        let l = self.taps;
        let base = WORD + l;
        let mut r = [0.0f32; WORD + 1];
        for (k, rk) in r.iter_mut().enumerate() {
            *rk = self.x[base..base + BLOCK]
                .iter()
                .zip(&self.x[base - k..base - k + BLOCK])
                .map(|(a, b)| a * b)
                .sum();
        }
        if r[0] < BLOCK as f32 * dbm0_power(FAR_MIN_DBM0) {
            return false;
        }
        for (acc, v) in self.wr.iter_mut().zip(r) {
            *acc = 0.6 * *acc + 0.4 * v;
        }
        if self.wa_age < WHITEN_EVERY {
            return false;
        }
        self.wa_age = 0;
        // A -25 dB white-noise floor and a lag window keep A(z) mild (no huge gain at
        // frequencies where the far end has no energy).
        let mut w = self.wr;
        w[0] *= 1.003;
        for (k, v) in w.iter_mut().enumerate().skip(1) {
            let g = (-0.5 * (0.02 * k as f32).powi(2)).exp();
            *v *= g;
        }
        let lpc = lpc::levinson(&w, WORD);
        self.wa.copy_from_slice(&lpc.a[..=WORD]);
        true
    }
}

/// `out = A(z) input`, with `hist` the last `WORD` inputs (newest last), updated.
fn whiten_into(a: &[f32; WORD + 1], hist: &mut [f32; WORD], input: &[f32], out: &mut [f32]) {
    let mut buf = [0.0f32; WORD + BLOCK];
    buf[..WORD].copy_from_slice(hist);
    buf[WORD..WORD + input.len()].copy_from_slice(input);
    for (j, o) in out.iter_mut().enumerate().take(input.len()) {
        let mut v = 0.0;
        for k in 0..=WORD {
            v += a[k] * buf[WORD + j - k];
        }
        *o = v;
    }
    hist.copy_from_slice(&buf[input.len()..input.len() + WORD]);
}

fn sum_sq(v: &[f32]) -> f32 {
    let (chunks, rest) = v.as_chunks::<8>();
    let mut acc = [0.0f32; 8];
    for c in chunks {
        for k in 0..8 {
            acc[k] += c[k] * c[k];
        }
    }
    acc.iter().sum::<f32>() + rest.iter().map(|x| x * x).sum::<f32>()
}

fn mean_sq(v: &[f32]) -> f32 {
    if v.is_empty() {
        0.0
    } else {
        sum_sq(v) / v.len() as f32
    }
}

/// `h·x` (equal lengths, multiples of [`SEG`]).
#[inline]
fn dot(h: &[f32], x: &[f32]) -> f32 {
    let mut acc = [0.0f32; SEG];
    let (h, _) = h.as_chunks::<SEG>();
    let (x, _) = x.as_chunks::<SEG>();
    for (h, x) in h.iter().zip(x) {
        for k in 0..SEG {
            acc[k] += h[k] * x[k];
        }
    }
    acc.iter().sum()
}

/// `(h·x, xᵀGx)`: the filter output and the proportionate norm of the regressor (the
/// IPNLMS step is normalised by `xᵀGx`, not `xᵀx`, or a burst of far-end energy in the
/// high-gain segments makes it unstable).
#[inline]
fn dot_xgx(h: &[f32], gains: &[f32], x: &[f32]) -> (f32, f32) {
    let mut acc = [0.0f32; SEG];
    let mut xgx = [0.0f32; SEG];
    let (h, _) = h.as_chunks::<SEG>();
    let (x, _) = x.as_chunks::<SEG>();
    for ((h, x), &g) in h.iter().zip(x).zip(gains) {
        for k in 0..SEG {
            acc[k] += h[k] * x[k];
            xgx[k] += g * (x[k] * x[k]);
        }
    }
    (acc.iter().sum(), xgx.iter().sum())
}

/// The pending IPNLMS update `h += c·g·xp` fused with [`dot_xgx`] on the updated taps: one
/// pass over the taps.
#[inline]
fn update_dot(h: &mut [f32], gains: &[f32], x: &[f32], xp: &[f32], c: f32) -> (f32, f32) {
    let mut acc = [0.0f32; SEG];
    let mut xgx = [0.0f32; SEG];
    let (h, _) = h.as_chunks_mut::<SEG>();
    let (x, _) = x.as_chunks::<SEG>();
    let (xp, _) = xp.as_chunks::<SEG>();
    for (((h, x), p), &g) in h.iter_mut().zip(x).zip(xp).zip(gains) {
        let cg = c * g;
        for k in 0..SEG {
            h[k] += cg * p[k];
            acc[k] += h[k] * x[k];
            xgx[k] += g * (x[k] * x[k]);
        }
    }
    (acc.iter().sum(), xgx.iter().sum())
}

#[cfg(test)]
pub(crate) mod tests;

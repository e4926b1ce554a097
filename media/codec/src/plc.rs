//! Packet loss concealment after ITU-T G.711 Appendix I, for any decoder without its own.
//!
//! The algorithm (G.711 App. I §I.2), at 8 kHz, generalised to 16 kHz by scaling every
//! length by `rate / 8000`:
//!
//! * a 48.75 ms history (`3 × 15 ms + 3.75 ms`) of the decoded output is kept; output runs
//!   3.75 ms ([`Plc::delay`]) behind the input so the start of a loss can be smoothed into
//!   speech not yet played (§I.2.1);
//! * at the first lost sample the pitch period is estimated by normalised
//!   cross-correlation of the last 20 ms against the history, 5..15 ms lags (40..120
//!   samples), coarse search on a 2:1 decimated signal then refined (§I.2.2);
//! * the last pitch period is repeated; the last ¼ period of real speech is overlap-added
//!   with the signal one period earlier so the repetition joins without a click (§I.2.3);
//! * at 10 ms and again at 20 ms into the loss one more period is added to the repeated
//!   buffer (less buzzy), cross-faded over ¼ period (§I.2.4);
//! * from 10 ms on the output is attenuated linearly by 20 % per 10 ms, reaching silence at
//!   60 ms (§I.2.5);
//! * the first good audio after the loss is cross-faded with the continued synthetic
//!   signal over ¼ period + 4 ms per extra 10 ms lost, at most 10 ms (§I.2.6).
//!
//! The caller may pass any lengths; the algorithm's 10 ms boundaries are counted in
//! samples. Steady state does not allocate.
//!
//! ```
//! use tipring_codec::plc::Plc;
//! let mut plc = Plc::new(8000);
//! let mut out = Vec::new();
//! let mut frame: Vec<i16> = (0..160).map(|i| ((i % 64) as i16 - 32) * 100).collect();
//! plc.good(&mut frame, &mut out); // a received 20 ms frame, 3.75 ms late
//! plc.conceal(160, &mut out);     // a lost one
//! assert_eq!(out.len(), 320);
//! ```

/// Attenuation per 10 ms after the first 10 ms of a loss (§I.2.5).
const ATTEN_PER_FRAME: f32 = 0.2;
/// Minimum energy of the correlation window, so silence yields no spurious pitch.
const CORR_MIN_POWER: f32 = 250.0;
/// Frames (10 ms) after which the concealment is silent.
const SILENT_AFTER_FRAMES: usize = 6;

/// G.711 Appendix I concealment state for one stream at 8 or 16 kHz.
#[derive(Debug, Clone)]
pub struct Plc {
    /// 10 ms in samples.
    frame: usize,
    pitch_min: usize,
    pitch_max: usize,
    /// Decimation of the coarse pitch search.
    ndec: usize,
    corr_len: usize,
    /// ¼ of the longest pitch: the output delay.
    overlap_max: usize,
    /// Extra end-of-loss overlap per 10 ms lost (4 ms).
    overlap_incr: usize,
    history: Vec<i16>,
    pitchbuf: Vec<f32>,
    lastq: Vec<f32>,
    /// Pending cross-fade from the old repeated buffer into the extended one.
    xfade: Vec<f32>,
    xfade_pos: usize,
    /// Samples concealed in the current loss; 0 while audio is good.
    lost: usize,
    pitch: usize,
    poverlap: usize,
    poffset: usize,
    pitchblen: usize,
    scratch: Vec<i16>,
}

impl Plc {
    /// A concealer for `rate` Hz audio; 8000 and 16000 are the rates the algorithm is
    /// tuned for (other multiples of 8000 scale likewise; others round down to one).
    pub fn new(rate: u32) -> Self {
        let k = (rate / 8000).max(1) as usize;
        let pitch_max = 120 * k;
        let overlap_max = pitch_max / 4;
        let hist = 3 * pitch_max + overlap_max;
        Self {
            frame: 80 * k,
            pitch_min: 40 * k,
            pitch_max,
            ndec: 2 * k,
            corr_len: 160 * k,
            overlap_max,
            overlap_incr: 32 * k,
            history: vec![0; hist],
            pitchbuf: vec![0.0; hist],
            lastq: vec![0.0; overlap_max],
            xfade: vec![0.0; overlap_max],
            xfade_pos: overlap_max,
            lost: 0,
            pitch: pitch_max,
            poverlap: overlap_max,
            poffset: 0,
            pitchblen: pitch_max,
            scratch: vec![0; 80 * k],
        }
    }

    /// Output delay in samples (3.75 ms): everything passed in comes out this much later.
    pub fn delay(&self) -> usize {
        self.overlap_max
    }

    /// History length in samples (48.75 ms).
    pub fn history_len(&self) -> usize {
        self.history.len()
    }

    /// Whether the last call was a concealment (the stream is in a loss).
    pub fn in_loss(&self) -> bool {
        self.lost > 0
    }

    /// The pitch period (samples) chosen for the current or last loss.
    pub fn pitch(&self) -> usize {
        self.pitch
    }

    /// Forgets everything (a new stream).
    pub fn reset(&mut self) {
        self.history.iter_mut().for_each(|s| *s = 0);
        self.lost = 0;
        self.xfade_pos = self.overlap_max;
    }

    /// Feeds received, decoded audio. If it ends a loss, its start is cross-faded with the
    /// synthetic continuation (modifying `pcm`). Appends `pcm.len()` samples of delayed
    /// output to `out`.
    pub fn good(&mut self, pcm: &mut [i16], out: &mut Vec<i16>) {
        if pcm.is_empty() {
            return;
        }
        if self.lost > 0 {
            self.end_loss(pcm);
        }
        let frame = self.frame;
        for chunk in pcm.chunks(frame) {
            self.push(chunk, out);
        }
    }

    /// Appends `samples` of concealment to `out` (delayed like [`Plc::good`], so the first
    /// 3.75 ms of a loss are still the last received audio, smoothed).
    pub fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) {
        let mut remaining = samples;
        let mut buf = std::mem::take(&mut self.scratch);
        while remaining > 0 {
            let in_frame = self.lost % self.frame;
            let frame_idx = self.lost / self.frame;
            if in_frame == 0 {
                match frame_idx {
                    0 => self.start_loss(),
                    1 | 2 => self.add_period(),
                    _ => {}
                }
            }
            let n = remaining.min(self.frame - in_frame);
            let chunk = &mut buf[..n];
            if frame_idx >= SILENT_AFTER_FRAMES {
                chunk.iter_mut().for_each(|s| *s = 0);
            } else {
                let incr = ATTEN_PER_FRAME / self.frame as f32;
                for (i, s) in chunk.iter_mut().enumerate() {
                    let mut v = self.next_synthetic();
                    if self.xfade_pos < self.poverlap {
                        let w = (self.xfade_pos + 1) as f32 / self.poverlap as f32;
                        v = (1.0 - w) * self.xfade[self.xfade_pos] + w * v;
                        self.xfade_pos += 1;
                    }
                    let t = self.lost + i;
                    let g = if t < self.frame {
                        1.0
                    } else {
                        (1.0 - (t - self.frame) as f32 * incr).max(0.0)
                    };
                    *s = sat(v * g);
                }
            }
            self.lost += n;
            remaining -= n;
            self.push(chunk, out);
        }
        self.scratch = buf;
    }

    /// Appends `chunk` (≤ 10 ms) to the history and emits the delayed output.
    fn push(&mut self, chunk: &[i16], out: &mut Vec<i16>) {
        let n = chunk.len();
        let h = self.history.len();
        self.history.copy_within(n.., 0);
        self.history[h - n..].copy_from_slice(chunk);
        let d = self.overlap_max;
        out.extend_from_slice(&self.history[h - d - n..h - d]);
    }

    fn next_synthetic(&mut self) -> f32 {
        let start = self.pitchbuf.len() - self.pitchblen;
        let v = self.pitchbuf[start + self.poffset];
        self.poffset += 1;
        if self.poffset == self.pitchblen {
            self.poffset = 0;
        }
        v
    }

    /// §I.2.2–I.2.3: pitch estimate, one-period buffer, smoothed join.
    fn start_loss(&mut self) {
        for (p, &h) in self.pitchbuf.iter_mut().zip(&self.history) {
            *p = f32::from(h);
        }
        self.pitch = self.find_pitch();
        self.poverlap = self.pitch / 4;
        let h = self.pitchbuf.len();
        let po = self.poverlap;
        self.lastq[..po].copy_from_slice(&self.pitchbuf[h - po..]);
        self.poffset = 0;
        self.pitchblen = self.pitch;
        self.xfade_pos = po;
        self.join_end();
        // The history tail is not yet played: replace it with the smoothed join.
        for i in 0..po {
            self.history[h - po + i] = sat(self.pitchbuf[h - po + i]);
        }
    }

    /// §I.2.4: one more period in the repeated buffer, cross-faded from the old one.
    fn add_period(&mut self) {
        let po = self.poverlap;
        let save = self.poffset;
        for i in 0..po {
            self.xfade[i] = self.next_synthetic();
        }
        self.xfade_pos = 0;
        self.poffset = save;
        while self.poffset > self.pitch {
            self.poffset -= self.pitch;
        }
        self.pitchblen += self.pitch;
        self.join_end();
    }

    /// Overlap-adds the last ¼ period of real speech (`lastq`) with the ¼ period before the
    /// repeated buffer's start, into the buffer's end, so wrapping around is smooth.
    fn join_end(&mut self) {
        let h = self.pitchbuf.len();
        let po = self.poverlap;
        let start = h - self.pitchblen;
        let incr = 1.0 / po as f32;
        let mut lw = 1.0 - incr;
        let mut rw = incr;
        for i in 0..po {
            let v = lw * self.lastq[i] + rw * self.pitchbuf[start - po + i];
            self.pitchbuf[h - po + i] = f32::from(sat(v));
            lw -= incr;
            rw += incr;
        }
    }

    /// §I.2.6: cross-fade the synthetic continuation into the first good samples.
    fn end_loss(&mut self, pcm: &mut [i16]) {
        let frames = self.lost.div_ceil(self.frame);
        let olen = (self.poverlap + (frames - 1) * self.overlap_incr)
            .min(self.frame)
            .min(pcm.len());
        let gain = if self.lost >= SILENT_AFTER_FRAMES * self.frame {
            0.0
        } else if self.lost <= self.frame {
            1.0
        } else {
            (1.0 - (self.lost - self.frame) as f32 * ATTEN_PER_FRAME / self.frame as f32).max(0.0)
        };
        if olen > 0 {
            let incr = 1.0 / olen as f32;
            let incrg = incr * gain;
            let mut lw = (1.0 - incr) * gain;
            let mut rw = incr;
            for s in pcm.iter_mut().take(olen) {
                let syn = self.next_synthetic();
                *s = sat(lw * syn + rw * f32::from(*s));
                lw -= incrg;
                rw += incr;
            }
        }
        self.lost = 0;
        self.xfade_pos = self.overlap_max;
    }

    /// §I.2.2: pitch period in samples, by normalised cross-correlation of the last
    /// `corr_len` samples with earlier ones, lags `pitch_min..=pitch_max`.
    fn find_pitch(&self) -> usize {
        let h = self.pitchbuf.len();
        let l = &self.pitchbuf[h - self.corr_len..];
        let rbase = h - self.corr_len - self.pitch_max;
        let diff = self.pitch_max - self.pitch_min;
        let nd = self.ndec;
        // Coarse search on every `nd`-th sample.
        let mut best = f32::MIN;
        let mut best_j = 0;
        let mut j = 0;
        while j <= diff {
            let r = &self.pitchbuf[rbase + j..rbase + j + self.corr_len];
            let (mut e, mut c) = (0.0f32, 0.0f32);
            for i in (0..self.corr_len).step_by(nd) {
                e += r[i] * r[i];
                c += r[i] * l[i];
            }
            let c = c / e.max(CORR_MIN_POWER).sqrt();
            if c >= best {
                best = c;
                best_j = j;
            }
            j += nd;
        }
        // Fine search around the coarse maximum on every sample.
        let lo = best_j.saturating_sub(nd - 1);
        let hi = (best_j + nd - 1).min(diff);
        let mut best = f32::MIN;
        let mut best_j = lo;
        for j in lo..=hi {
            let r = &self.pitchbuf[rbase + j..rbase + j + self.corr_len];
            let (mut e, mut c) = (0.0f32, 0.0f32);
            for i in 0..self.corr_len {
                e += r[i] * r[i];
                c += r[i] * l[i];
            }
            let c = c / (e * nd as f32).max(CORR_MIN_POWER * nd as f32).sqrt();
            if c > best {
                best = c;
                best_j = j;
            }
        }
        self.pitch_max - best_j
    }
}

fn sat(v: f32) -> i16 {
    v.round().clamp(-32768.0, 32767.0) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vowel-like signal: 125 Hz fundamental and harmonics with decaying amplitude.
    fn vowel(rate: u32, n: usize) -> Vec<i16> {
        let f0 = 125.0f64;
        (0..n)
            .map(|i| {
                let t = i as f64 / f64::from(rate);
                let mut v = 0.0;
                for h in 1..=8 {
                    let hf = f64::from(h);
                    v += 6000.0 / hf * (2.0 * std::f64::consts::PI * f0 * hf * t + 0.3 * hf).sin();
                }
                v.round() as i16
            })
            .collect()
    }

    fn corr(a: &[i16], b: &[i16]) -> f64 {
        let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
        for (&x, &y) in a.iter().zip(b) {
            let (x, y) = (f64::from(x), f64::from(y));
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }
        if aa == 0.0 || bb == 0.0 {
            return 0.0;
        }
        ab / (aa * bb).sqrt()
    }

    fn max_step(s: &[i16]) -> i32 {
        s.windows(2)
            .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
            .max()
            .unwrap_or(0)
    }

    /// Runs `signal` through the PLC in 10 ms frames, losing frames `lost`; returns the
    /// output realigned to the input (delay removed).
    fn run(rate: u32, signal: &[i16], lost: std::ops::Range<usize>) -> Vec<i16> {
        let mut plc = Plc::new(rate);
        let frame = (rate / 100) as usize;
        let mut out = Vec::new();
        for (f, chunk) in signal.chunks(frame).enumerate() {
            if lost.contains(&f) {
                plc.conceal(chunk.len(), &mut out);
            } else {
                let mut c = chunk.to_vec();
                plc.good(&mut c, &mut out);
            }
        }
        out.drain(..plc.delay());
        out
    }

    /// App. I on a 20 ms erasure of a sustained vowel: the concealment tracks the true
    /// signal far better than silence would, finds the 8 ms pitch (64 samples), and joins
    /// without a click at either end.
    #[test]
    fn vowel_20ms_erasure_is_concealed_smoothly() {
        for rate in [8000u32, 16000] {
            let frame = (rate / 100) as usize;
            let sig = vowel(rate, frame * 20);
            let out = run(rate, &sig, 10..12);
            let (a, b) = (10 * frame, 12 * frame);
            let c = corr(&out[a..b], &sig[a..b]);
            assert!(c > 0.8, "{rate} Hz: correlation {c}");
            // Zero fill has correlation 0 and error energy equal to the signal's; ours far less.
            let err: f64 = out[a..b]
                .iter()
                .zip(&sig[a..b])
                .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
                .sum();
            let energy: f64 = sig[a..b].iter().map(|&y| f64::from(y).powi(2)).sum();
            assert!(
                err < 0.4 * energy,
                "{rate} Hz: error {err} vs zero-fill {energy}"
            );
            // The true signal's own largest step, with a margin: no click.
            let limit = max_step(&sig) * 3 / 2;
            let edge = frame / 2;
            assert!(
                max_step(&out[a - edge..a + edge]) <= limit,
                "{rate} Hz: start click"
            );
            assert!(
                max_step(&out[b - edge..b + 2 * edge]) <= limit,
                "{rate} Hz: end click"
            );
            let mut plc = Plc::new(rate);
            let mut o = Vec::new();
            let mut c = sig[..10 * frame].to_vec();
            plc.good(&mut c, &mut o);
            plc.conceal(1, &mut o);
            assert_eq!(plc.pitch(), (rate / 125) as usize, "pitch at {rate} Hz");
        }
    }

    /// §I.2.5: energy falls from 10 ms on (20 % per 10 ms) and is zero from 60 ms.
    #[test]
    fn long_loss_fades_to_silence_at_60ms() {
        let sig = vowel(8000, 800);
        let mut plc = Plc::new(8000);
        let mut out = Vec::new();
        let mut head = sig[..400].to_vec();
        plc.good(&mut head, &mut out);
        out.clear();
        plc.conceal(800, &mut out);
        // Undo the delay: concealment starts `delay` samples into `out`.
        let d = plc.delay();
        let syn = &out[d..];
        let energy = |f: usize| -> f64 {
            syn[f * 80..(f + 1) * 80]
                .iter()
                .map(|&s| f64::from(s).powi(2))
                .sum()
        };
        let e: Vec<f64> = (0..9).map(energy).collect();
        for f in 1..6 {
            assert!(
                e[f] < e[f - 1] * 0.95 || e[f] == 0.0,
                "frame {f} energy {e:?}"
            );
        }
        // Frame 4 (40..50 ms) has gain 0.4..0.2: at most 0.16 of frame 0's energy.
        assert!(e[4] < e[0] * 0.2, "{e:?}");
        assert!(syn[480..].iter().all(|&s| s == 0), "silent after 60 ms");
        assert!(e[0] > 0.0);
    }

    /// Concealment in odd-sized pieces equals concealment in 10 ms pieces.
    #[test]
    fn chunking_does_not_change_output() {
        let sig = vowel(8000, 640);
        let mut a = Plc::new(8000);
        let mut b = Plc::new(8000);
        let (mut oa, mut ob) = (Vec::new(), Vec::new());
        a.good(&mut sig[..320].to_vec(), &mut oa);
        b.good(&mut sig[..320].to_vec(), &mut ob);
        a.conceal(240, &mut oa);
        for n in [7, 33, 80, 1, 119] {
            b.conceal(n, &mut ob);
        }
        a.good(&mut sig[320..].to_vec(), &mut oa);
        b.good(&mut sig[320..].to_vec(), &mut ob);
        assert_eq!(oa, ob);
    }

    /// Silence in, silence out (no spurious pitch from the energy floor), and good audio
    /// after a loss is passed through unchanged once the overlap is over.
    #[test]
    fn silence_and_recovery() {
        let mut plc = Plc::new(8000);
        let mut out = Vec::new();
        plc.good(&mut [0i16; 160], &mut out);
        plc.conceal(160, &mut out);
        assert!(out.iter().all(|&s| s == 0));
        let sig = vowel(8000, 160);
        out.clear();
        plc.good(&mut sig.clone(), &mut out);
        let d = plc.delay();
        assert_eq!(&out[d + 80..], &sig[80..160 - d]);
    }
}

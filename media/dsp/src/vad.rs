//! Voice activity detection: frame energy against an adaptive noise floor, a zero-crossing
//! check for weak unvoiced sounds, and a hangover.
//!
//! Off by default in a port (the caller decides whether to send RFC 3389 comfort noise
//! instead of silence frames); see [`crate::cng`].

use crate::level::rms_dbm0;

/// Configuration of a [`Vad`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VadConfig {
    /// Speech must be this far above the noise floor (dB).
    pub margin_db: f32,
    /// Nothing below this level is speech (dBm0).
    pub min_dbm0: f32,
    /// Frames stay "speech" this long after the last active one (ms).
    pub hangover_ms: u32,
}

impl Default for VadConfig {
    /// 9 dB margin, -55 dBm0 floor, 200 ms hangover.
    fn default() -> Self {
        Self {
            margin_db: 9.0,
            min_dbm0: -55.0,
            hangover_ms: 200,
        }
    }
}

/// A voice activity detector for one direction of one port. Feed 10 ms frames (or any
/// length; the hangover counts samples).
#[derive(Debug, Clone)]
pub struct Vad {
    cfg: VadConfig,
    noise_db: Option<f32>,
    hang: u32,
    active: bool,
}

impl Vad {
    /// A detector with `cfg`.
    pub fn new(cfg: VadConfig) -> Self {
        Self {
            cfg,
            noise_db: None,
            hang: 0,
            active: false,
        }
    }

    /// The current noise floor estimate (dBm0), once a frame was seen.
    pub fn noise_dbm0(&self) -> Option<f32> {
        self.noise_db
    }

    /// Whether the last frame was speech (hangover included).
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Classify a frame; returns whether it is speech (hangover included).
    pub fn process(&mut self, frame: &[i16]) -> bool {
        if frame.is_empty() {
            return self.active;
        }
        let lvl = rms_dbm0(frame);
        let zc = frame
            .windows(2)
            .filter(|w| (w[0] >= 0) != (w[1] >= 0))
            .count() as f32
            / frame.len() as f32;
        let noise = *self.noise_db.get_or_insert(lvl);
        let loud = lvl > noise + self.cfg.margin_db;
        // Fricatives are weak but noisy-high: accept a smaller margin with many crossings.
        let fricative = lvl > noise + self.cfg.margin_db / 2.0 && zc > 0.45;
        let speech = lvl > self.cfg.min_dbm0 && (loud || fricative);
        // Noise floor: follow down at once, creep up 0.5 dB per frame outside speech (and
        // slowly inside it, so a step in the background is learnt within seconds).
        let rise = if speech { 0.01 } else { 0.5 };
        self.noise_db = Some(if lvl < noise {
            lvl
        } else {
            (noise + rise).min(lvl)
        });
        if speech {
            self.hang = self.cfg.hangover_ms * 8;
            self.active = true;
        } else {
            self.hang = self.hang.saturating_sub(frame.len() as u32);
            self.active = self.hang > 0;
        }
        self.active
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ec::tests::{speech_like, white};

    fn q(v: &[f32]) -> Vec<i16> {
        v.iter().map(|x| x.round() as i16).collect()
    }

    /// ITU-T G.729 Annex B-style requirement (and RFC 3389 §4's premise): speech onset is
    /// flagged within 20 ms, background noise at -50 dBm0 never is.
    #[test]
    fn onset_within_20_ms_and_no_false_triggers_on_noise() {
        let noise = white(16_000, -50.0, 1);
        let mut vad = Vad::new(VadConfig::default());
        for f in q(&noise).chunks_exact(80) {
            assert!(!vad.process(f), "false trigger on -50 dBm0 noise");
        }
        let speech = speech_like(8000, -20.0, 2);
        let onset = speech.iter().position(|v| v.abs() > 50.0).unwrap();
        let mix: Vec<f32> = speech
            .iter()
            .zip(white(8000, -50.0, 3))
            .map(|(a, b)| a + b)
            .collect();
        let mix = q(&mix);
        let first = mix
            .chunks_exact(80)
            .position(|f| vad.process(f))
            .expect("speech detected");
        assert!(
            first * 80 <= onset + 160,
            "onset {onset}, detected at frame {first}"
        );
    }

    #[test]
    fn hangover_then_inactive() {
        let mut vad = Vad::new(VadConfig::default());
        let loud = q(&white(800, -20.0, 4));
        let quiet = vec![0i16; 80];
        for _ in 0..20 {
            vad.process(&quiet);
        }
        assert!(vad.process(&loud[..80]));
        for _ in 0..19 {
            assert!(vad.process(&quiet));
        }
        assert!(!vad.process(&quiet));
    }
}

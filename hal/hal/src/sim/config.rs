//! Configuration of the simulated line and phone.

use std::time::Duration;

use tipring_dsp::fsk::FskStandard;

use super::echo::EchoPath;
use crate::hook::HookTiming;
use crate::{Error, Result};

/// How the phone's keypad sends DTMF: tone and pause lengths and the level of each group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyPress {
    /// Tone length per digit, ms.
    pub on_ms: u32,
    /// Pause after each digit, ms.
    pub off_ms: u32,
    /// Low-group (row) tone level, dBm0.
    pub low_dbm0: f32,
    /// High-group (column) tone level, dBm0.
    pub high_dbm0: f32,
}

impl Default for KeyPress {
    /// 100 ms tone, 100 ms pause; −8 dBm0 low group, −6 dBm0 high group (the defaults of
    /// `tipring_dsp::dtmf::DtmfSender`: the 2 dB forward twist of ETSI ES 201 235-2 §4.2 that
    /// phones use to offset the line's high-frequency loss), far inside the ITU-T Q.24
    /// receiver limits.
    fn default() -> Self {
        Self {
            on_ms: 100,
            off_ms: 100,
            low_dbm0: -8.0,
            high_dbm0: -6.0,
        }
    }
}

impl KeyPress {
    fn validate(&self) -> Result<()> {
        if self.on_ms == 0 || self.on_ms > 10_000 || self.off_ms > 10_000 {
            return Err(Error::InvalidConfig(format!(
                "key press on {} ms / off {} ms",
                self.on_ms, self.off_ms
            )));
        }
        for l in [self.low_dbm0, self.high_dbm0] {
            if !(-60.0..=3.0).contains(&l) {
                return Err(Error::InvalidConfig(format!(
                    "DTMF level {l} dBm0 outside -60..=3"
                )));
            }
        }
        Ok(())
    }
}

/// A rotary dial: pulse rate, break ratio and the pause the user leaves between digits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RotaryDial {
    /// Pulses per second (nominal 10; 20 pps dials exist). 1 ..= 40.
    pub pps: f32,
    /// Fraction of each pulse period the loop is open (nominal 0.6, the 60/40 break/make).
    /// Strictly between 0 and 1.
    pub break_ratio: f32,
    /// Loop closed after each digit's last pulse before the next digit starts (the dial
    /// being wound up again), ~700 ms.
    pub inter_digit: Duration,
}

impl Default for RotaryDial {
    fn default() -> Self {
        Self {
            pps: 10.0,
            break_ratio: 0.6,
            inter_digit: Duration::from_millis(700),
        }
    }
}

impl RotaryDial {
    /// (break, make) of one pulse.
    pub fn pulse(&self) -> (Duration, Duration) {
        // Whole microseconds, so that 10 pps at 0.6 is exactly 60/40 ms despite f32 ratios.
        let period_us = (1e6 / f64::from(self.pps)).round();
        let break_us = (period_us * f64::from(self.break_ratio)).round();
        (
            Duration::from_micros(break_us as u64),
            Duration::from_micros((period_us - break_us) as u64),
        )
    }

    fn validate(&self) -> Result<()> {
        let ratio_ok = self.break_ratio > 0.0 && self.break_ratio < 1.0;
        if !(1.0..=40.0).contains(&self.pps) || !ratio_ok {
            return Err(Error::InvalidConfig(format!(
                "rotary dial {} pps, break ratio {}",
                self.pps, self.break_ratio
            )));
        }
        Ok(())
    }
}

/// Everything about a simulated port: the phone, the line and the SLIC's hook windows.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// The FSK standard of the phone's caller-ID display (it also decodes DTMF CLIP).
    pub caller_id: FskStandard,
    /// Type 2 (off-hook, call-waiting) caller ID: the DTMF digit the phone answers a CAS
    /// with (`Some('D')` per SR-TSV-002476 for a non-ADSI phone, `Some('A')` for ADSI);
    /// `None` = the phone does not support it.
    pub type2_ack: Option<char>,
    /// Time from the end of the CAS to the start of the acknowledgement (SR-TSV-002476 asks
    /// for the ack within 100 ms of the CAS end; the 160 ms window the CO waits covers
    /// that). Default 40 ms.
    pub type2_ack_delay: Duration,
    /// Length of the acknowledgement tone (55–65 ms). Default 60 ms.
    pub type2_ack_duration: Duration,
    /// The hybrid echo path from what the gateway sends into what it receives (off hook).
    /// `None` = a perfect hybrid.
    pub echo: Option<EchoPath>,
    /// White line noise at this level (dBm0), in both directions while the line carries
    /// audio. `None` = a noiseless line.
    pub noise_dbm0: Option<f32>,
    /// Seed of everything random (echo impulse response, noise).
    pub seed: u64,
    /// The hook-decoding windows the port starts with.
    pub hook_timing: HookTiming,
    /// The phone's rotary dial.
    pub rotary: RotaryDial,
    /// The phone's keypad defaults (used by `press`).
    pub keypress: KeyPress,
}

impl Default for SimConfig {
    /// Bell 202 caller ID, no type 2, the default echo path (5 ms, 12 dB ERL, 4 ms
    /// dispersion), no noise, seed 1, default hook timing, a 10 pps 60/40 dial.
    fn default() -> Self {
        Self {
            caller_id: FskStandard::Bell202,
            type2_ack: None,
            type2_ack_delay: Duration::from_millis(40),
            type2_ack_duration: Duration::from_millis(60),
            echo: Some(EchoPath::default()),
            noise_dbm0: None,
            seed: 1,
            hook_timing: HookTiming::default(),
            rotary: RotaryDial::default(),
            keypress: KeyPress::default(),
        }
    }
}

impl SimConfig {
    /// Check every part.
    pub fn validate(&self) -> Result<()> {
        self.hook_timing.validate()?;
        self.rotary.validate()?;
        self.keypress.validate()?;
        if let Some(e) = &self.echo {
            e.validate()?;
        }
        if let Some(n) = self.noise_dbm0 {
            if !(-120.0..=0.0).contains(&n) {
                return Err(Error::InvalidConfig(format!(
                    "noise level {n} dBm0 outside -120..=0"
                )));
            }
        }
        if let Some(d) = self.type2_ack {
            if tipring_dsp::dtmf::frequencies(d).is_none() {
                return Err(Error::InvalidDigit {
                    digit: d,
                    what: "type 2 acknowledgement",
                });
            }
        }
        if self.type2_ack_duration.is_zero() || self.type2_ack_duration > Duration::from_millis(500)
        {
            return Err(Error::InvalidConfig(format!(
                "type 2 ack duration {:?}",
                self.type2_ack_duration
            )));
        }
        if self.type2_ack_delay > Duration::from_millis(500) {
            return Err(Error::InvalidConfig(format!(
                "type 2 ack delay {:?}",
                self.type2_ack_delay
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let cfg = SimConfig::default();
        assert!(cfg.validate().is_ok());
        assert_eq!(cfg.echo, Some(EchoPath::default()));
        assert_eq!(cfg.caller_id, FskStandard::Bell202);
        assert_eq!(cfg.seed, 1);
        assert_eq!(cfg.type2_ack, None);
    }

    #[test]
    fn rotary_pulse_is_60_40_at_10pps() {
        let (b, m) = RotaryDial::default().pulse();
        assert_eq!(
            (b, m),
            (Duration::from_millis(60), Duration::from_millis(40))
        );
        let fast = RotaryDial {
            pps: 20.0,
            ..RotaryDial::default()
        };
        assert_eq!(
            fast.pulse(),
            (Duration::from_millis(30), Duration::from_millis(20))
        );
    }

    #[test]
    fn invalid_values_are_rejected() {
        let ok = SimConfig::default();
        let bad = [
            SimConfig {
                rotary: RotaryDial {
                    pps: 0.5,
                    ..RotaryDial::default()
                },
                ..ok.clone()
            },
            SimConfig {
                rotary: RotaryDial {
                    break_ratio: 1.0,
                    ..RotaryDial::default()
                },
                ..ok.clone()
            },
            SimConfig {
                keypress: KeyPress {
                    on_ms: 0,
                    ..KeyPress::default()
                },
                ..ok.clone()
            },
            SimConfig {
                keypress: KeyPress {
                    low_dbm0: 10.0,
                    ..KeyPress::default()
                },
                ..ok.clone()
            },
            SimConfig {
                noise_dbm0: Some(5.0),
                ..ok.clone()
            },
            SimConfig {
                type2_ack: Some('E'),
                ..ok.clone()
            },
            SimConfig {
                type2_ack_duration: Duration::ZERO,
                ..ok.clone()
            },
            SimConfig {
                echo: Some(EchoPath {
                    erl_db: f32::NAN,
                    ..EchoPath::default()
                }),
                ..ok.clone()
            },
            SimConfig {
                hook_timing: HookTiming {
                    flash_min: Duration::from_millis(50),
                    ..HookTiming::default()
                },
                ..ok
            },
        ];
        for cfg in bad {
            assert!(cfg.validate().is_err(), "{cfg:?}");
        }
    }
}

//! Configuration of one line (FXS port): tone plan, dial plan, timers, hotline, caller ID.

use std::time::Duration;

use tipring_dsp::cadence::Cadence;
use tipring_dsp::callerid::{Format, Signalling};
use tipring_dsp::dtmf::DtmfDetectorConfig;
use tipring_dsp::tone::{self, TonePlan};

use crate::dialplan::DialPlan;
use crate::error::{Error, Result};

/// Timers of the line, with the defaults integrators know from ATAs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTimers {
    /// Dial tone without a first digit before the line gives up (permanent signal).
    /// Default 15 s.
    pub first_digit: Duration,
    /// Wait after a number that is complete but could still grow. Default 4 s
    /// (Cisco's `Interdigit_Short_Timer` is 3 s, Grandstream's 4 s).
    pub interdigit_short: Duration,
    /// Wait after a number that is still incomplete before refusing it. Default 10 s
    /// (Cisco's `Interdigit_Long_Timer`).
    pub interdigit_long: Duration,
    /// How long reorder, busy or congestion tone plays before the off-hook warning
    /// (howler) starts. Default 30 s.
    pub permanent_signal: Duration,
    /// How long the howler plays before the line falls silent until the phone hangs up
    /// (lockout). Default 60 s.
    pub howler: Duration,
}

impl Default for LineTimers {
    fn default() -> Self {
        Self {
            first_digit: Duration::from_secs(15),
            interdigit_short: Duration::from_secs(4),
            interdigit_long: Duration::from_secs(10),
            permanent_signal: Duration::from_secs(30),
            howler: Duration::from_secs(60),
        }
    }
}

/// Hotline and warmline: a number dialled without the caller dialling it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hotline {
    /// The number to dial.
    pub number: String,
    /// Zero: a hotline (dial at once on off-hook, no dial tone). Otherwise a warmline: dial
    /// tone, and the number is dialled if no key is pressed within this time.
    pub delay: Duration,
}

/// How this line sends caller ID.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallerIdConfig {
    /// The signalling toward an on-hook phone (type 1); `Off` disables caller ID.
    pub signalling: Signalling,
    /// SDMF or MDMF (ETSI always uses the MDMF layout).
    pub format: Format,
    /// Send the name and number to an off-hook phone on call waiting (type 2, with CAS and
    /// the phone's acknowledgement).
    pub type2: bool,
    /// FSK transmit level (GR-30-CORE: −13.5 dBm0 nominal).
    pub level_dbm0: f32,
}

impl CallerIdConfig {
    /// The usual caller ID of a tone plan's country, MDMF, type 2 on.
    pub fn for_plan(plan: &TonePlan) -> Self {
        Self {
            signalling: plan.caller_id,
            format: Format::Mdmf,
            type2: true,
            level_dbm0: -13.5,
        }
    }
}

/// Everything one line needs to run.
#[derive(Debug, Clone)]
pub struct LineConfig {
    /// Tones and ring cadence of the country.
    pub tone_plan: &'static TonePlan,
    /// Which numbers may be dialled and when they are complete.
    pub dial_plan: DialPlan,
    /// Timers.
    pub timers: LineTimers,
    /// Hotline or warmline, if any.
    pub hotline: Option<Hotline>,
    /// Caller ID.
    pub caller_id: CallerIdConfig,
    /// Ring cadence; `None` uses the tone plan's.
    pub ring_cadence: Option<Cadence>,
    /// `#` ends dialling (when no dial-plan pattern takes `#` at that point).
    pub pound_terminates: bool,
    /// DTMF detector thresholds.
    pub dtmf: DtmfDetectorConfig,
}

impl LineConfig {
    /// Defaults for a country (tone plan code such as `us`, `uk`, `de`), with the catch-all
    /// dial plan `x+T`.
    pub fn for_country(code: &str) -> Result<Self> {
        let plan = tone::plan(code).ok_or_else(|| Error::Config {
            field: "tone_plan",
            message: format!(
                "unknown tone plan `{code}` (known: {})",
                tone::PLANS
                    .iter()
                    .map(|p| p.code)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })?;
        Ok(Self::new(plan))
    }

    /// Defaults for a tone plan.
    pub fn new(plan: &'static TonePlan) -> Self {
        Self {
            tone_plan: plan,
            dial_plan: DialPlan::default(),
            timers: LineTimers::default(),
            hotline: None,
            caller_id: CallerIdConfig::for_plan(plan),
            ring_cadence: None,
            pound_terminates: true,
            dtmf: DtmfDetectorConfig::default(),
        }
    }

    /// The ring cadence in force.
    pub fn ring(&self) -> Cadence {
        self.ring_cadence.unwrap_or(self.tone_plan.ring)
    }

    /// Checks the fields the dial plan parser cannot: timers and numbers.
    pub fn validate(&self) -> Result<()> {
        let t = &self.timers;
        let positive = [
            ("timers.first_digit", t.first_digit),
            ("timers.interdigit_short", t.interdigit_short),
            ("timers.interdigit_long", t.interdigit_long),
            ("timers.permanent_signal", t.permanent_signal),
            ("timers.howler", t.howler),
        ];
        for (field, d) in positive {
            if d.is_zero() || d > Duration::from_secs(3600) {
                return Err(Error::Config {
                    field,
                    message: format!("{d:?} is outside 1 ms ..= 1 h"),
                });
            }
        }
        if t.interdigit_short > t.interdigit_long {
            return Err(Error::Config {
                field: "timers.interdigit_short",
                message: "must not be longer than timers.interdigit_long".into(),
            });
        }
        if let Some(h) = &self.hotline {
            let ok = !h.number.is_empty()
                && h.number.len() <= crate::dialplan::MAX_NUMBER_LEN
                && h.number
                    .chars()
                    .all(|c| c.is_ascii_digit() || "*#+".contains(c));
            if !ok {
                return Err(Error::Config {
                    field: "hotline.number",
                    message: format!("`{}` is not a dialable number", h.number),
                });
            }
        }
        let ring = self.ring();
        if ring.steps.is_empty() || ring.period_ms() == 0 {
            return Err(Error::Config {
                field: "ring_cadence",
                message: "a ring cadence needs at least one on/off step".into(),
            });
        }
        if !(-40.0..=0.0).contains(&self.caller_id.level_dbm0) {
            return Err(Error::Config {
                field: "caller_id.level_dbm0",
                message: format!("{} is outside -40 ..= 0 dBm0", self.caller_id.level_dbm0),
            });
        }
        Ok(())
    }
}

//! Configuration of one line (FXS port): tone plan, dial plan, timers, hotline, caller ID,
//! and the supplementary services driven from the phone (feature codes, speed dial,
//! emergency numbers, caller-ID blocking, flash handling).

use std::collections::BTreeMap;
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
    /// How long the phone is rung for a held call after it was hung up with the call on
    /// hold (reminder ring); unanswered, the held call is ended (`Hangup`). Default 60 s.
    pub recall: Duration,
}

impl Default for LineTimers {
    fn default() -> Self {
        Self {
            first_digit: Duration::from_secs(15),
            interdigit_short: Duration::from_secs(4),
            interdigit_long: Duration::from_secs(10),
            permanent_signal: Duration::from_secs(30),
            howler: Duration::from_secs(60),
            recall: Duration::from_secs(60),
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

/// What a hook flash does during a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlashMode {
    /// The gateway runs the supplementary services itself (the usual ATA behaviour): hold
    /// and consultation, three-way conference, transfer on hang-up, call-waiting answer and
    /// swap, each sent to the SIP side as its own [`CallCommand`](crate::CallCommand).
    #[default]
    Services,
    /// The flash is passed on as [`CallCommand::Flash`](crate::CallCommand::Flash) (RFC 4733
    /// event 16 or SIP INFO) for a PBX that runs the services itself; the line does no hold,
    /// conference or transfer of its own.
    Relay,
}

/// The star codes (vertical service codes) the line recognises when dialled from dial
/// tone, before the dial plan sees the keys. `None` disables a code.
///
/// A code is 2–8 keys of `0-9 * #` starting with `*` or `#`; codes are distinct and none
/// is a prefix of another, so recognition never has to guess. Codes that take a number
/// (the three forward activations) are followed by the number and `#`, or the number and
/// the short inter-digit timer.
///
/// The defaults are the North American vertical service codes (NANPA VSC assignments,
/// the codes Cisco SPA and Grandstream HT adapters ship with). ETSI-style networks write
/// them as `*21*` / `#21#` (CFU), `*67*` / `#67#` (CFB), `*61*` / `#61#` (CFNR).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureCodes {
    /// Forward all calls to the number that follows. Default `*72`.
    pub forward_all_on: Option<String>,
    /// Cancel forwarding of all calls. Default `*73`.
    pub forward_all_off: Option<String>,
    /// Forward calls when busy to the number that follows. Default `*90`.
    pub forward_busy_on: Option<String>,
    /// Cancel forwarding when busy. Default `*91`.
    pub forward_busy_off: Option<String>,
    /// Forward unanswered calls to the number that follows. Default `*92`.
    pub forward_no_answer_on: Option<String>,
    /// Cancel forwarding of unanswered calls. Default `*93`.
    pub forward_no_answer_off: Option<String>,
    /// Do not disturb on. Default `*78`.
    pub dnd_on: Option<String>,
    /// Do not disturb off. Default `*79`.
    pub dnd_off: Option<String>,
    /// Anonymous call rejection on. Default `*77`.
    pub anonymous_reject_on: Option<String>,
    /// Anonymous call rejection off. Default `*87`.
    pub anonymous_reject_off: Option<String>,
    /// Withhold caller ID on the call dialled next (prefix). Default `*67`.
    pub block_caller_id: Option<String>,
    /// Send caller ID on the call dialled next, on a line that withholds it by default
    /// ([`LineConfig::privacy_default`]). Default `*82`.
    pub unblock_caller_id: Option<String>,
}

impl Default for FeatureCodes {
    fn default() -> Self {
        let c = |s: &str| Some(s.to_string());
        Self {
            forward_all_on: c("*72"),
            forward_all_off: c("*73"),
            forward_busy_on: c("*90"),
            forward_busy_off: c("*91"),
            forward_no_answer_on: c("*92"),
            forward_no_answer_off: c("*93"),
            dnd_on: c("*78"),
            dnd_off: c("*79"),
            anonymous_reject_on: c("*77"),
            anonymous_reject_off: c("*87"),
            block_caller_id: c("*67"),
            unblock_caller_id: c("*82"),
        }
    }
}

impl FeatureCodes {
    /// No codes at all: every key goes to the dial plan.
    pub fn none() -> Self {
        Self {
            forward_all_on: None,
            forward_all_off: None,
            forward_busy_on: None,
            forward_busy_off: None,
            forward_no_answer_on: None,
            forward_no_answer_off: None,
            dnd_on: None,
            dnd_off: None,
            anonymous_reject_on: None,
            anonymous_reject_off: None,
            block_caller_id: None,
            unblock_caller_id: None,
        }
    }

    /// Every configured code with its field name and meaning.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&'static str, &str, CodeAction)> {
        use crate::line::Feature as F;
        [
            (
                "feature_codes.forward_all_on",
                &self.forward_all_on,
                CodeAction::Prompt(ForwardKind::All),
            ),
            (
                "feature_codes.forward_all_off",
                &self.forward_all_off,
                CodeAction::Set(F::ForwardAll(None)),
            ),
            (
                "feature_codes.forward_busy_on",
                &self.forward_busy_on,
                CodeAction::Prompt(ForwardKind::Busy),
            ),
            (
                "feature_codes.forward_busy_off",
                &self.forward_busy_off,
                CodeAction::Set(F::ForwardBusy(None)),
            ),
            (
                "feature_codes.forward_no_answer_on",
                &self.forward_no_answer_on,
                CodeAction::Prompt(ForwardKind::NoAnswer),
            ),
            (
                "feature_codes.forward_no_answer_off",
                &self.forward_no_answer_off,
                CodeAction::Set(F::ForwardNoAnswer(None)),
            ),
            (
                "feature_codes.dnd_on",
                &self.dnd_on,
                CodeAction::Set(F::DoNotDisturb(true)),
            ),
            (
                "feature_codes.dnd_off",
                &self.dnd_off,
                CodeAction::Set(F::DoNotDisturb(false)),
            ),
            (
                "feature_codes.anonymous_reject_on",
                &self.anonymous_reject_on,
                CodeAction::Set(F::AnonymousReject(true)),
            ),
            (
                "feature_codes.anonymous_reject_off",
                &self.anonymous_reject_off,
                CodeAction::Set(F::AnonymousReject(false)),
            ),
            (
                "feature_codes.block_caller_id",
                &self.block_caller_id,
                CodeAction::Privacy(true),
            ),
            (
                "feature_codes.unblock_caller_id",
                &self.unblock_caller_id,
                CodeAction::Privacy(false),
            ),
        ]
        .into_iter()
        .filter_map(|(field, code, action)| code.as_deref().map(|c| (field, c, action)))
    }

    /// The action of a code dialled exactly.
    pub(crate) fn lookup(&self, keys: &str) -> Option<CodeAction> {
        self.entries()
            .find(|(_, code, _)| *code == keys)
            .map(|(_, _, a)| a)
    }

    /// Whether `keys` is the start (not the whole) of some code.
    pub(crate) fn is_proper_prefix(&self, keys: &str) -> bool {
        self.entries()
            .any(|(_, code, _)| code.len() > keys.len() && code.starts_with(keys))
    }

    fn validate(&self) -> Result<()> {
        let all: Vec<(&'static str, &str)> = self.entries().map(|(f, c, _)| (f, c)).collect();
        for (field, code) in &all {
            let keys_ok = code
                .chars()
                .all(|c| c.is_ascii_digit() || c == '*' || c == '#');
            if !(2..=8).contains(&code.len()) || !keys_ok || !code.starts_with(['*', '#']) {
                return Err(Error::Config {
                    field,
                    message: format!(
                        "`{code}` is not a feature code (2-8 keys of 0-9 * #, starting with * or #)"
                    ),
                });
            }
        }
        for (i, (field, a)) in all.iter().enumerate() {
            for (other, b) in &all[i + 1..] {
                if a.starts_with(b) || b.starts_with(a) {
                    return Err(Error::Config {
                        field,
                        message: format!(
                            "`{a}` clashes with {other} `{b}` (codes must differ and neither may start the other)"
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Which forwarding a forward-activation code sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ForwardKind {
    All,
    Busy,
    NoAnswer,
}

impl ForwardKind {
    pub(crate) fn feature(self, number: Option<String>) -> crate::line::Feature {
        use crate::line::Feature as F;
        match self {
            ForwardKind::All => F::ForwardAll(number),
            ForwardKind::Busy => F::ForwardBusy(number),
            ForwardKind::NoAnswer => F::ForwardNoAnswer(number),
        }
    }
}

/// What a recognised feature code does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CodeAction {
    /// Caller-ID blocking for the call dialled next (true = withhold).
    Privacy(bool),
    /// A forward-to number follows.
    Prompt(ForwardKind),
    /// A feature set or cleared at once.
    Set(crate::line::Feature),
}

/// Usual emergency numbers of a tone plan's country (dialled at once, flagged as
/// emergency calls). 112 everywhere (ETSI/GSM), plus the national ones.
pub fn emergency_numbers_for(plan_code: &str) -> Vec<String> {
    let list: &[&str] = match plan_code {
        "us" => &["911", "112"],
        "uk" => &["999", "112"],
        "au" => &["000", "112"],
        "de" => &["110", "112"],
        "fr" => &["15", "17", "18", "112"],
        "jp" => &["110", "119"],
        "cn" => &["110", "119", "120"],
        _ => &["112"],
    };
    list.iter().map(|s| s.to_string()).collect()
}

/// Longest emergency number accepted, in digits.
pub const MAX_EMERGENCY_LEN: usize = 8;
/// Longest speed-dial key, in digits.
pub const MAX_SPEED_DIAL_KEY_LEN: usize = 4;
/// Most speed-dial entries a line may have.
pub const MAX_SPEED_DIAL_ENTRIES: usize = 100;

fn dialable(number: &str) -> bool {
    !number.is_empty()
        && number.len() <= crate::dialplan::MAX_NUMBER_LEN
        && number
            .chars()
            .all(|c| c.is_ascii_digit() || "*#+".contains(c))
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
    /// What a hook flash does during a call. Default: the line runs the services.
    pub flash_mode: FlashMode,
    /// Alert a second call during a call (tone and type 2 caller ID). Off: a waiting call
    /// is refused at once (`RejectBusy`). Default on.
    pub call_waiting: bool,
    /// Star codes recognised from dial tone. Default: North American codes.
    pub feature_codes: FeatureCodes,
    /// Speed dial: a dialled key (`"2"`) followed by `#` or the short inter-digit timer
    /// dials its number (`"5551234"`). Keys are 1–4 digits; numbers are dialled as they
    /// are written (the dial plan does not rewrite them).
    pub speed_dial: BTreeMap<String, String>,
    /// Emergency numbers: dialled as soon as they are complete (no timer), flagged
    /// `emergency` (the SIP side gives them priority and bypasses forwarding), never sent
    /// private; the line ignores flash and refuses call waiting during such a call.
    /// Default: the country's ([`emergency_numbers_for`]).
    pub emergency_numbers: Vec<String>,
    /// Withhold caller ID on every call unless the caller dials the unblock code (`*82`)
    /// first. Default off (send caller ID unless `*67`).
    pub privacy_default: bool,
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
            flash_mode: FlashMode::default(),
            call_waiting: true,
            feature_codes: FeatureCodes::default(),
            speed_dial: BTreeMap::new(),
            emergency_numbers: emergency_numbers_for(plan.code),
            privacy_default: false,
        }
    }

    /// The ring cadence in force.
    pub fn ring(&self) -> Cadence {
        self.ring_cadence.unwrap_or(self.tone_plan.ring)
    }

    /// Whether `number` is one of the emergency numbers.
    pub fn is_emergency(&self, number: &str) -> bool {
        self.emergency_numbers.iter().any(|n| n == number)
    }

    /// Checks the fields the dial plan parser cannot: timers, numbers and codes.
    pub fn validate(&self) -> Result<()> {
        let t = &self.timers;
        let positive = [
            ("timers.first_digit", t.first_digit),
            ("timers.interdigit_short", t.interdigit_short),
            ("timers.interdigit_long", t.interdigit_long),
            ("timers.permanent_signal", t.permanent_signal),
            ("timers.howler", t.howler),
            ("timers.recall", t.recall),
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
            if !dialable(&h.number) {
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
        self.feature_codes.validate()?;
        for (i, n) in self.emergency_numbers.iter().enumerate() {
            if n.is_empty() || n.len() > MAX_EMERGENCY_LEN || !n.chars().all(|c| c.is_ascii_digit())
            {
                return Err(Error::Config {
                    field: "emergency_numbers",
                    message: format!("`{n}` is not 1-{MAX_EMERGENCY_LEN} digits"),
                });
            }
            if self.emergency_numbers[..i].contains(n) {
                return Err(Error::Config {
                    field: "emergency_numbers",
                    message: format!("`{n}` is listed twice"),
                });
            }
        }
        if self.speed_dial.len() > MAX_SPEED_DIAL_ENTRIES {
            return Err(Error::Config {
                field: "speed_dial",
                message: format!("more than {MAX_SPEED_DIAL_ENTRIES} entries"),
            });
        }
        for (key, number) in &self.speed_dial {
            if key.is_empty()
                || key.len() > MAX_SPEED_DIAL_KEY_LEN
                || !key.chars().all(|c| c.is_ascii_digit())
            {
                return Err(Error::Config {
                    field: "speed_dial",
                    message: format!("key `{key}` is not 1-{MAX_SPEED_DIAL_KEY_LEN} digits"),
                });
            }
            if self.is_emergency(key) {
                return Err(Error::Config {
                    field: "speed_dial",
                    message: format!("key `{key}` is an emergency number"),
                });
            }
            if !dialable(number) {
                return Err(Error::Config {
                    field: "speed_dial",
                    message: format!("`{number}` (key `{key}`) is not a dialable number"),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us() -> LineConfig {
        LineConfig::for_country("us").unwrap()
    }

    fn field_of(cfg: &LineConfig) -> &'static str {
        match cfg.validate() {
            Err(Error::Config { field, .. }) => field,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_the_north_american_vertical_service_codes() {
        // NANPA VSC assignments: *72/*73 call forwarding, *90/*91 busy, *92/*93 no answer,
        // *78/*79 DND, *77/*87 anonymous call rejection, *67 CLID blocking, *82 unblocking.
        let cfg = us();
        cfg.validate().unwrap();
        let c = &cfg.feature_codes;
        assert_eq!(c.lookup("*72"), Some(CodeAction::Prompt(ForwardKind::All)));
        assert_eq!(
            c.lookup("*73"),
            Some(CodeAction::Set(crate::line::Feature::ForwardAll(None)))
        );
        assert_eq!(
            c.lookup("*87"),
            Some(CodeAction::Set(crate::line::Feature::AnonymousReject(
                false
            )))
        );
        assert_eq!(c.lookup("*67"), Some(CodeAction::Privacy(true)));
        assert_eq!(c.lookup("*82"), Some(CodeAction::Privacy(false)));
        assert_eq!(c.lookup("*69"), None);
        assert!(c.is_proper_prefix("*") && c.is_proper_prefix("*7"));
        assert!(!c.is_proper_prefix("*72") && !c.is_proper_prefix("*6 "));
        assert_eq!(c.entries().count(), 12);
        assert_eq!(FeatureCodes::none().entries().count(), 0);
        assert_eq!(cfg.emergency_numbers, ["911", "112"]);
        assert!(!cfg.privacy_default && cfg.call_waiting);
        assert_eq!(cfg.flash_mode, FlashMode::Services);
    }

    #[test]
    fn feature_codes_must_be_well_formed_and_unambiguous() {
        for bad in ["*", "72", "*7a", "*123456789", "*6 7", ""] {
            let mut cfg = us();
            cfg.feature_codes.dnd_on = Some(bad.into());
            assert_eq!(field_of(&cfg), "feature_codes.dnd_on", "{bad:?}");
        }
        // The same code twice.
        let mut cfg = us();
        cfg.feature_codes.dnd_on = Some("*72".into());
        assert!(cfg.validate().is_err());
        // One code starting another: *7 would hide *72.
        let mut cfg = us();
        cfg.feature_codes.dnd_on = Some("*7".into());
        assert!(cfg.validate().is_err());
        let mut cfg = us();
        cfg.feature_codes.anonymous_reject_on = Some("*721".into());
        assert!(cfg.validate().is_err());
        // ETSI style is fine.
        let mut cfg = us();
        cfg.feature_codes = FeatureCodes {
            forward_all_on: Some("*21*".into()),
            forward_all_off: Some("#21#".into()),
            ..FeatureCodes::none()
        };
        cfg.validate().unwrap();
    }

    #[test]
    fn speed_dial_and_emergency_numbers_are_checked() {
        let mut cfg = us();
        cfg.speed_dial.insert("2".into(), "5551234".into());
        cfg.speed_dial.insert("99".into(), "+4930123".into());
        cfg.validate().unwrap();
        for (key, number) in [
            ("", "1"),
            ("12345", "1"),
            ("*2", "1"),
            ("3", ""),
            ("3", "55a"),
        ] {
            let mut cfg = us();
            cfg.speed_dial.insert(key.into(), number.into());
            assert_eq!(field_of(&cfg), "speed_dial", "{key:?} -> {number:?}");
        }
        let mut cfg = us();
        cfg.speed_dial.insert("911".into(), "5551234".into());
        assert_eq!(field_of(&cfg), "speed_dial", "a key may not shadow 911");
        let mut cfg = us();
        cfg.speed_dial = (0..=MAX_SPEED_DIAL_ENTRIES)
            .map(|i| (i.to_string(), "1".to_string()))
            .collect();
        assert_eq!(field_of(&cfg), "speed_dial");
        for bad in [vec!["911", "911"], vec![""], vec!["9*1"], vec!["123456789"]] {
            let mut cfg = us();
            cfg.emergency_numbers = bad.iter().map(|s| s.to_string()).collect();
            assert_eq!(field_of(&cfg), "emergency_numbers", "{bad:?}");
        }
        let mut cfg = us();
        cfg.emergency_numbers.clear();
        cfg.validate().unwrap();
        let mut cfg = us();
        cfg.timers.recall = Duration::ZERO;
        assert_eq!(field_of(&cfg), "timers.recall");
    }

    #[test]
    fn national_emergency_numbers() {
        assert_eq!(emergency_numbers_for("uk"), ["999", "112"]);
        assert_eq!(emergency_numbers_for("au"), ["000", "112"]);
        assert_eq!(emergency_numbers_for("nl"), ["112"]);
        for plan in tipring_dsp::tone::PLANS {
            let cfg = LineConfig::new(plan);
            cfg.validate().unwrap();
            assert!(cfg.is_emergency("112") || plan.code == "jp" || plan.code == "cn");
        }
    }
}

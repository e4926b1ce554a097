//! Hook-switch decoding: debounce, hook flash, hang-up and pulse (rotary) digits.
//!
//! Many SLICs only report the raw loop-closure bit; [`HookDecoder`] turns its transitions into
//! [`HookEvent`]s from their timing, the way an ATA's firmware does. The windows are in
//! [`HookTiming`]. Break lengths are measured between the raw edges (the exact timestamps given
//! to [`HookDecoder::on_switch`]); an edge counts once the new state has lasted the debounce
//! time.
//!
//! How a break (loop open while a call is up) of length `d` is classified:
//!
//! | `d`                                          | result                                   |
//! |----------------------------------------------|------------------------------------------|
//! | `< debounce`                                 | glitch, never seen                       |
//! | `debounce ..< pulse_break_min`               | ignored (gap)                            |
//! | `pulse_break_min ..= pulse_break_max`        | one dial pulse                           |
//! | `pulse_break_max <.. flash_min`              | ignored (gap)                            |
//! | `flash_min ..< flash_max`                    | [`HookEvent::Flash`]                     |
//! | `>= flash_max`                               | [`HookEvent::OnHook`] at break start + `flash_max` |
//!
//! Pulses separated by makes shorter than `pulse_make_max` form one digit, reported
//! ([`HookEvent::PulseDigit`]) when the make after the last pulse reaches `pulse_make_max`.
//! More than ten pulses is not a digit and is dropped; a flash or a hang-up that interrupts a
//! pulse train drops the incomplete digit. Breaks in the gaps neither count as pulses nor end
//! a digit.
//!
//! Event times (`PortEvent::at`): `OffHook` and `Flash` at the closing edge + `debounce` (when
//! the closure is certain), `PulseDigit` at the last make + `pulse_make_max`, `OnHook` at the
//! break start + `flash_max` — that is how real gateways report a hang-up. An event whose time
//! falls while an unconfirmed switch change is pending is held until the change is confirmed
//! or rejected (at most `debounce` later), so events never have to be taken back.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::port::{HookEvent, HookState, PortEvent};
use crate::{Error, Result};

/// Hook-timing windows. The defaults are the values integrators know from ATAs and SLIC
/// reference firmware; each field documents its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HookTiming {
    /// A switch change shorter than this is contact bounce and ignored. Default 10 ms.
    pub debounce: Duration,
    /// Shortest break that counts as a dial pulse. Default 20 ms.
    pub pulse_break_min: Duration,
    /// Longest break that counts as a dial pulse (inclusive). Default 90 ms: the nominal break
    /// is 60 ms at 10 pps with a 60/40 ratio, 67 ms with 67/33, and 84 ms for a slow 8 pps
    /// dial.
    pub pulse_break_max: Duration,
    /// A make (loop closed) that lasts this long after a pulse ends the digit (the
    /// inter-digit pause). Default 120 ms: three times the nominal 40 ms make at 10 pps, and
    /// well below the few hundred milliseconds a dial takes to be wound up again.
    pub pulse_make_max: Duration,
    /// Shortest break that is a hook flash. Default 100 ms.
    pub flash_min: Duration,
    /// A break this long (exclusive for flashes) is a hang-up. Default 900 ms, the upper end
    /// of the 300–1000 ms flash ranges that PBXs and ATAs accept.
    pub flash_max: Duration,
}

impl Default for HookTiming {
    fn default() -> Self {
        Self {
            debounce: Duration::from_millis(10),
            pulse_break_min: Duration::from_millis(20),
            pulse_break_max: Duration::from_millis(90),
            pulse_make_max: Duration::from_millis(120),
            flash_min: Duration::from_millis(100),
            flash_max: Duration::from_millis(900),
        }
    }
}

impl HookTiming {
    /// Check that the windows are in order and do not overlap:
    /// `debounce < pulse_break_min <= pulse_break_max < flash_min < flash_max` and
    /// `debounce < pulse_make_max`.
    pub fn validate(&self) -> Result<()> {
        if self.debounce >= self.pulse_break_min {
            return Err(Error::InvalidHookTiming(
                "pulse_break_min must exceed debounce",
            ));
        }
        if self.pulse_break_min > self.pulse_break_max {
            return Err(Error::InvalidHookTiming(
                "pulse_break_min must not exceed pulse_break_max",
            ));
        }
        if self.pulse_break_max >= self.flash_min {
            return Err(Error::InvalidHookTiming(
                "pulse window overlaps the flash window",
            ));
        }
        if self.flash_min >= self.flash_max {
            return Err(Error::InvalidHookTiming(
                "flash window is empty (flash_min >= flash_max)",
            ));
        }
        if self.pulse_make_max <= self.debounce {
            return Err(Error::InvalidHookTiming(
                "pulse_make_max must exceed debounce",
            ));
        }
        Ok(())
    }
}

/// Where the debounced loop is in a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// On hook, no call (initially, and after [`HookEvent::OnHook`]).
    Idle,
    /// Loop closed since `since`; `pulses` counted of a digit in progress (0 = none).
    Closed { since: Instant, pulses: u32 },
    /// Loop open since `since` during a call; `pulses` of the digit in progress.
    Break { since: Instant, pulses: u32 },
}

/// Decodes raw hook-switch transitions into hook events (see the [module docs](self)).
///
/// Sans-IO: it never reads a clock. Feed it raw transitions with [`on_switch`](Self::on_switch),
/// tell it the time with [`advance`](Self::advance) (at least by
/// [`next_deadline`](Self::next_deadline)), and drain [`poll_event`](Self::poll_event).
///
/// ```
/// use std::time::{Duration, Instant};
/// use tipring_hal::{HookDecoder, HookEvent, HookTiming};
///
/// # #[allow(clippy::disallowed_methods)]
/// let t0 = Instant::now(); // any epoch: the decoder only compares instants
/// let ms = |n: u64| t0 + Duration::from_millis(n);
/// let mut dec = HookDecoder::new(HookTiming::default());
/// dec.on_switch(ms(0), true); // lifted
/// dec.on_switch(ms(1000), false); // a 60 ms dial pulse
/// dec.on_switch(ms(1060), true);
/// dec.advance(ms(2000));
/// assert_eq!(dec.poll_event().unwrap().event, HookEvent::OffHook);
/// let digit = dec.poll_event().unwrap();
/// assert_eq!(digit.event, HookEvent::PulseDigit(1));
/// assert_eq!(digit.at, ms(1060 + 120)); // when the make reached pulse_make_max
/// ```
#[derive(Debug, Clone)]
pub struct HookDecoder {
    timing: HookTiming,
    /// Latest raw switch state (true = loop closed).
    raw_closed: bool,
    /// Debounced switch state.
    stable_closed: bool,
    /// Time of a raw change away from `stable_closed`, not yet confirmed.
    pending: Option<Instant>,
    phase: Phase,
    /// Latest time seen; earlier inputs are clamped to it.
    now: Option<Instant>,
    events: VecDeque<PortEvent>,
}

impl HookDecoder {
    /// A decoder for a phone that is on hook. `timing` should be valid
    /// ([`HookTiming::validate`]); [`set_timing`](Self::set_timing) checks it.
    pub fn new(timing: HookTiming) -> Self {
        Self {
            timing,
            raw_closed: false,
            stable_closed: false,
            pending: None,
            phase: Phase::Idle,
            now: None,
            events: VecDeque::new(),
        }
    }

    /// The windows in use.
    pub fn timing(&self) -> HookTiming {
        self.timing
    }

    /// Replace the windows (Err, and no change, if they are invalid). A break or pulse train
    /// in progress is judged by the new windows.
    pub fn set_timing(&mut self, timing: HookTiming) -> Result<()> {
        timing.validate()?;
        self.timing = timing;
        Ok(())
    }

    /// A raw transition of the loop: `off_hook` true when the loop closed, at its exact time.
    /// Times earlier than one already seen are taken as that time.
    pub fn on_switch(&mut self, at: Instant, off_hook: bool) {
        let at = self.clamp(at);
        self.advance(at);
        if off_hook == self.raw_closed {
            return;
        }
        self.raw_closed = off_hook;
        self.pending = if off_hook == self.stable_closed {
            None // the change did not last the debounce time: a glitch
        } else {
            Some(at)
        };
    }

    /// Let time pass up to `now`, producing the events that became certain.
    pub fn advance(&mut self, now: Instant) {
        let now = self.clamp(now);
        self.now = Some(now);
        loop {
            if let Some(deadline) = self.timer() {
                let blocked = self.pending.is_some_and(|p| p < deadline);
                if deadline <= now && !blocked {
                    self.fire(deadline);
                    continue;
                }
            }
            if let Some(p) = self.pending {
                let confirmed_at = p + self.timing.debounce;
                if confirmed_at <= now {
                    self.pending = None;
                    self.stable_closed = !self.stable_closed;
                    self.edge(p, self.stable_closed, confirmed_at);
                    continue;
                }
            }
            break;
        }
    }

    /// The earliest time at which [`advance`](Self::advance) may produce an event or change
    /// the debounced state, if anything is pending.
    pub fn next_deadline(&self) -> Option<Instant> {
        let confirm = self.pending.map(|p| p + self.timing.debounce);
        match (self.timer(), confirm) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next decoded event, oldest first.
    pub fn poll_event(&mut self) -> Option<PortEvent> {
        self.events.pop_front()
    }

    /// The debounced switch state now. It is [`HookState::OnHook`] during a dial pulse or a
    /// flash too; call control should act on events, not on this.
    pub fn state(&self) -> HookState {
        if self.stable_closed {
            HookState::OffHook
        } else {
            HookState::OnHook
        }
    }

    fn clamp(&self, t: Instant) -> Instant {
        match self.now {
            Some(now) if t < now => now,
            _ => t,
        }
    }

    /// The phase's own deadline: hang-up for a break, end of digit for a make after pulses.
    fn timer(&self) -> Option<Instant> {
        match self.phase {
            Phase::Break { since, .. } => Some(since + self.timing.flash_max),
            Phase::Closed { since, pulses } if pulses > 0 => {
                Some(since + self.timing.pulse_make_max)
            }
            _ => None,
        }
    }

    fn emit(&mut self, at: Instant, event: HookEvent) {
        self.events.push_back(PortEvent { at, event });
    }

    fn fire(&mut self, deadline: Instant) {
        match self.phase {
            Phase::Break { .. } => {
                // Break reached flash_max: hang-up (an incomplete digit is dropped).
                self.emit(deadline, HookEvent::OnHook);
                self.phase = Phase::Idle;
            }
            Phase::Closed { since, pulses } => {
                if (1..=10).contains(&pulses) {
                    // 10 pulses = digit 0.
                    self.emit(deadline, HookEvent::PulseDigit((pulses % 10) as u8));
                }
                self.phase = Phase::Closed { since, pulses: 0 };
            }
            Phase::Idle => {}
        }
    }

    /// A confirmed (debounced) edge that happened at `t`, confirmed at `confirmed_at`.
    fn edge(&mut self, t: Instant, closed: bool, confirmed_at: Instant) {
        let timing = self.timing;
        self.phase = match (self.phase, closed) {
            (Phase::Idle, true) => {
                self.emit(confirmed_at, HookEvent::OffHook);
                Phase::Closed {
                    since: t,
                    pulses: 0,
                }
            }
            (Phase::Closed { pulses, .. }, false) => Phase::Break { since: t, pulses },
            (Phase::Break { since, pulses }, true) => {
                let d = t.saturating_duration_since(since);
                if d >= timing.pulse_break_min && d <= timing.pulse_break_max {
                    Phase::Closed {
                        since: t,
                        pulses: pulses.saturating_add(1),
                    }
                } else if d >= timing.flash_min && d < timing.flash_max {
                    self.emit(confirmed_at, HookEvent::Flash { duration: d });
                    Phase::Closed {
                        since: t,
                        pulses: 0,
                    }
                } else {
                    // A break in a gap between windows: ignored.
                    Phase::Closed { since: t, pulses }
                }
            }
            // The debounced state alternates, so these do not occur.
            (phase, _) => phase,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)]
    fn epoch() -> Instant {
        Instant::now()
    }

    struct Rig {
        t0: Instant,
        dec: HookDecoder,
    }

    impl Rig {
        fn new() -> Self {
            Self::with(HookTiming::default())
        }
        fn with(timing: HookTiming) -> Self {
            timing.validate().unwrap();
            Self {
                t0: epoch(),
                dec: HookDecoder::new(timing),
            }
        }
        fn at(&self, ms: u64) -> Instant {
            self.t0 + Duration::from_millis(ms)
        }
        fn sw(&mut self, ms: u64, off: bool) {
            let t = self.at(ms);
            self.dec.on_switch(t, off);
        }
        /// Off hook at 0, then the given (break_start, break_len) pairs, then advance far.
        fn events(&mut self, until_ms: u64) -> Vec<(u64, HookEvent)> {
            let t = self.at(until_ms);
            self.dec.advance(t);
            let mut out = Vec::new();
            while let Some(e) = self.dec.poll_event() {
                out.push(((e.at - self.t0).as_millis() as u64, e.event));
            }
            out
        }
        fn lifted() -> Self {
            let mut r = Self::new();
            r.sw(0, true);
            assert_eq!(r.events(500), vec![(10, HookEvent::OffHook)]);
            r
        }
        /// One break of `len_ms` at 1000 ms, then closed.
        fn one_break(len_ms: u64) -> Vec<(u64, HookEvent)> {
            let mut r = Self::lifted();
            r.sw(1000, false);
            r.sw(1000 + len_ms, true);
            r.events(5000)
        }
    }

    #[test]
    fn off_hook_after_debounce() {
        let mut r = Rig::new();
        r.sw(100, true);
        assert!(r.events(109).is_empty());
        assert_eq!(r.dec.state(), HookState::OnHook);
        assert_eq!(r.events(110), vec![(110, HookEvent::OffHook)]);
        assert_eq!(r.dec.state(), HookState::OffHook);
    }

    #[test]
    fn debounce_edge() {
        // A closure of 9 ms is contact bounce; 10 ms (= debounce) counts.
        let mut r = Rig::new();
        r.sw(0, true);
        r.sw(9, false);
        assert!(r.events(2000).is_empty());
        assert_eq!(r.dec.state(), HookState::OnHook);
        let mut r = Rig::new();
        r.sw(0, true);
        r.sw(10, false);
        assert_eq!(
            r.events(2000),
            vec![(10, HookEvent::OffHook), (910, HookEvent::OnHook)]
        );
    }

    #[test]
    fn glitch_inside_call_is_ignored() {
        // A 5 ms open during a call neither ends it nor counts as a pulse.
        let mut r = Rig::lifted();
        r.sw(1000, false);
        r.sw(1005, true);
        assert!(r.events(5000).is_empty());
        assert_eq!(r.dec.state(), HookState::OffHook);
    }

    #[test]
    fn glitch_inside_break_does_not_split_it() {
        // A 5 ms bounce closed in the middle of a 300 ms flash: still one 300 ms flash.
        let mut r = Rig::lifted();
        r.sw(1000, false);
        r.sw(1150, true);
        r.sw(1155, false);
        r.sw(1300, true);
        let d = Duration::from_millis(300);
        assert_eq!(
            r.events(5000),
            vec![(1310, HookEvent::Flash { duration: d })]
        );
    }

    // Pulse window: decadic (loop-disconnect) dialling, nominally 10 pps with a 60/40
    // break/make (Telcordia GR-506-CORE dial-pulse signalling, ETSI ES 201 187), accepted as
    // [pulse_break_min, pulse_break_max] inclusive.
    #[test]
    fn pulse_break_min_edge() {
        assert!(
            Rig::one_break(19).is_empty(),
            "19 ms break is in the gap below the pulse window"
        );
        assert_eq!(
            Rig::one_break(20),
            vec![(1020 + 120, HookEvent::PulseDigit(1))]
        );
    }

    #[test]
    fn pulse_break_max_edge() {
        assert_eq!(
            Rig::one_break(90),
            vec![(1090 + 120, HookEvent::PulseDigit(1))]
        );
        assert!(
            Rig::one_break(91).is_empty(),
            "91 ms break is in the gap below the flash window"
        );
        assert!(Rig::one_break(99).is_empty());
    }

    #[test]
    fn flash_window_edges() {
        let f = |ms| HookEvent::Flash {
            duration: Duration::from_millis(ms),
        };
        assert_eq!(Rig::one_break(100), vec![(1110, f(100))]);
        assert_eq!(Rig::one_break(899), vec![(1909, f(899))]);
        // 900 ms = flash_max: hang-up, reported at break start + flash_max, then a new call.
        assert_eq!(
            Rig::one_break(900),
            vec![(1900, HookEvent::OnHook), (1910, HookEvent::OffHook)]
        );
        assert_eq!(
            Rig::one_break(1200),
            vec![(1900, HookEvent::OnHook), (2210, HookEvent::OffHook)]
        );
    }

    #[test]
    fn hang_up_reported_at_flash_max() {
        let mut r = Rig::lifted();
        r.sw(1000, false);
        assert!(r.events(1899).is_empty());
        assert_eq!(r.dec.state(), HookState::OnHook);
        assert_eq!(r.dec.next_deadline(), Some(r.at(1900)));
        assert_eq!(r.events(1900), vec![(1900, HookEvent::OnHook)]);
        assert_eq!(r.dec.next_deadline(), None);
    }

    #[test]
    fn event_held_while_change_pending() {
        // The phone closes the loop 5 ms before flash_max; the hang-up is held until the
        // closure is confirmed (then it is an 895 ms flash) ...
        let mut r = Rig::lifted();
        r.sw(1000, false);
        r.sw(1895, true);
        assert!(r.events(1904).is_empty());
        let d = Duration::from_millis(895);
        assert_eq!(
            r.events(1905),
            vec![(1905, HookEvent::Flash { duration: d })]
        );
        // ... or rejected as a bounce (then the hang-up stands, with its own time).
        let mut r = Rig::lifted();
        r.sw(1000, false);
        r.sw(1895, true);
        r.sw(1899, false);
        assert_eq!(r.events(1950), vec![(1900, HookEvent::OnHook)]);
    }

    fn dial(r: &mut Rig, start_ms: u64, pulses: u32, brk: u64, make: u64) -> u64 {
        let mut t = start_ms;
        for _ in 0..pulses {
            r.sw(t, false);
            r.sw(t + brk, true);
            t += brk + make;
        }
        t
    }

    #[test]
    fn pulse_digits_all_ten() {
        // Digit n = n breaks, 0 = ten breaks (decadic dialling).
        for digit in 0u8..=9 {
            let mut r = Rig::lifted();
            let pulses = if digit == 0 { 10 } else { u32::from(digit) };
            let end = dial(&mut r, 1000, pulses, 60, 40);
            let last_make = end - 40;
            assert_eq!(
                r.events(end + 1000),
                vec![(last_make + 120, HookEvent::PulseDigit(digit))]
            );
        }
    }

    #[test]
    fn eleven_pulses_are_not_a_digit() {
        let mut r = Rig::lifted();
        dial(&mut r, 1000, 11, 60, 40);
        assert!(r.events(5000).is_empty());
    }

    #[test]
    fn pulse_make_max_edge() {
        // Makes of 119 ms join the pulses into one digit; 120 ms ends the digit.
        let mut r = Rig::lifted();
        dial(&mut r, 1000, 3, 60, 119);
        assert_eq!(
            r.events(5000).iter().map(|e| e.1).collect::<Vec<_>>(),
            vec![HookEvent::PulseDigit(3)]
        );
        let mut r = Rig::lifted();
        dial(&mut r, 1000, 3, 60, 120);
        let digits: Vec<_> = r.events(5000).iter().map(|e| e.1).collect();
        assert_eq!(digits, vec![HookEvent::PulseDigit(1); 3]);
    }

    #[test]
    fn gap_breaks_neither_count_nor_end_digit() {
        // pulse, 95 ms gap break (ignored), pulse: one digit "2".
        let mut r = Rig::lifted();
        r.sw(1000, false);
        r.sw(1060, true);
        r.sw(1100, false);
        r.sw(1195, true);
        r.sw(1235, false);
        r.sw(1295, true);
        assert_eq!(r.events(5000), vec![(1295 + 120, HookEvent::PulseDigit(2))]);
    }

    #[test]
    fn flash_drops_incomplete_digit() {
        let mut r = Rig::lifted();
        r.sw(1000, false);
        r.sw(1060, true);
        r.sw(1100, false);
        r.sw(1400, true);
        let d = Duration::from_millis(300);
        assert_eq!(
            r.events(5000),
            vec![(1410, HookEvent::Flash { duration: d })]
        );
    }

    #[test]
    fn fast_dial_20pps() {
        // 20 pps, 60/40: 30 ms break, 20 ms make (makes still outlast the 10 ms debounce).
        let mut r = Rig::lifted();
        let end = dial(&mut r, 1000, 7, 30, 20);
        assert_eq!(
            r.events(end + 500),
            vec![(end - 20 + 120, HookEvent::PulseDigit(7))]
        );
    }

    #[test]
    fn time_never_runs_backwards() {
        let mut r = Rig::new();
        r.sw(100, true);
        r.dec.advance(r.at(200));
        r.sw(50, false); // taken as 200 ms
        assert_eq!(r.events(1099), vec![(110, HookEvent::OffHook)]);
        assert_eq!(r.events(1100), vec![(1100, HookEvent::OnHook)]);
    }

    #[test]
    fn timing_validation() {
        let ok = HookTiming::default();
        assert!(ok.validate().is_ok());
        let ms = Duration::from_millis;
        let bad = [
            HookTiming {
                debounce: ms(20),
                ..ok
            },
            HookTiming {
                pulse_break_min: ms(95),
                ..ok
            },
            HookTiming {
                pulse_break_max: ms(100),
                ..ok
            },
            HookTiming {
                flash_max: ms(100),
                ..ok
            },
            HookTiming {
                pulse_make_max: ms(10),
                ..ok
            },
        ];
        for b in bad {
            assert!(
                matches!(b.validate(), Err(Error::InvalidHookTiming(_))),
                "{b:?}"
            );
            let mut dec = HookDecoder::new(ok);
            assert!(dec.set_timing(b).is_err());
            assert_eq!(dec.timing(), ok);
        }
    }
}

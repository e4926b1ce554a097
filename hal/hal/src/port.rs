//! The FXS port boundary: what a SLIC driver (Silicon Labs ProSLIC, Microchip VE-series, ...)
//! offers to call control.

use std::time::{Duration, Instant};

use tipring_dsp::cadence::Cadence;
use tipring_dsp::Frame;

use crate::hook::HookTiming;
use crate::Result;

/// SLIC line-feed state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFeed {
    /// No battery; loop closure cannot be detected.
    Open,
    /// Normal battery, loop supervision on (idle line, or talking).
    ForwardActive,
    /// Reversed polarity (answer supervision, ETSI caller-ID alerting).
    ReverseActive,
    /// On-hook transmission: audio path up while on hook (caller ID, VMWI), forward polarity.
    ForwardOnHookTransmission,
    /// On-hook transmission with reversed polarity (ETSI caller ID after a line reversal).
    ReverseOnHookTransmission,
    /// Ringing voltage during the cadence's on-steps (forward active in between). The SLIC
    /// trips the ring by itself when the phone goes off hook: ringing stops at once, the feed
    /// becomes ForwardActive and an OffHook event is reported. A cadence with After::Stop ends
    /// in ForwardActive.
    Ringing(Cadence),
}

impl LineFeed {
    /// True for the reversed-polarity feeds.
    pub fn is_reverse(&self) -> bool {
        matches!(
            self,
            LineFeed::ReverseActive | LineFeed::ReverseOnHookTransmission
        )
    }

    /// True for the on-hook transmission feeds.
    pub fn is_on_hook_transmission(&self) -> bool {
        matches!(
            self,
            LineFeed::ForwardOnHookTransmission | LineFeed::ReverseOnHookTransmission
        )
    }

    /// True if the feed applies battery, so that loop closure can be detected (every feed but
    /// [`LineFeed::Open`]).
    pub fn has_battery(&self) -> bool {
        !matches!(self, LineFeed::Open)
    }
}

/// Debounced state of the hook switch (loop open or closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookState {
    /// Loop open: handset on its cradle (or a dial pulse / flash break in progress).
    OnHook,
    /// Loop closed: handset lifted.
    OffHook,
}

/// A hook event, decoded from hook-switch timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookEvent {
    /// The phone went off hook (reported once the closure has lasted the debounce time).
    OffHook,
    /// On hook for longer than the flash window: the phone hung up.
    OnHook,
    /// A hook flash (break inside the flash window).
    Flash {
        /// How long the loop was open.
        duration: Duration,
    },
    /// A pulse-dialled digit 0..=9 (10 breaks = 0).
    PulseDigit(u8),
}

/// A hook event with the time it was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortEvent {
    /// When the event became certain (see [`crate::HookDecoder`] for each event's time).
    pub at: Instant,
    /// What happened.
    pub event: HookEvent,
}

/// What a real FXS port driver offers.
///
/// A backend owns one analog port: a SLIC with its line feed, loop supervision and a 10 ms
/// PCM slot on a TDM bus. Call control (`tipring-line`) drives it without knowing whether
/// the port is a chip or [`crate::sim::SimPort`].
pub trait FxsPort {
    /// Set the line feed. Err if the backend cannot (hardware fault, unsupported state).
    fn set_line_feed(&mut self, feed: LineFeed) -> Result<()>;
    /// The line feed now (after a ring trip or a finished [`After::Stop`](tipring_dsp::cadence::After::Stop)
    /// cadence this is [`LineFeed::ForwardActive`], not the ringing feed that was set).
    fn line_feed(&self) -> LineFeed;
    /// Replace the hook-timing windows used to decode flashes and pulse digits.
    fn set_hook_timing(&mut self, timing: HookTiming) -> Result<()>;
    /// Debounced hook-switch state right now.
    fn hook_state(&self) -> HookState;
    /// Exchange one 10 ms PCM frame (full duplex, like a TDM bus): `tx` goes toward the phone,
    /// `rx` receives what the line delivered during the same 10 ms. `now` is the time at the
    /// end of that frame; a backend on real hardware is paced by its TDM clock.
    fn transfer(&mut self, now: Instant, tx: &Frame, rx: &mut Frame);
    /// The next decoded hook event, if any (events are produced as `transfer` advances time).
    fn poll_event(&mut self) -> Option<PortEvent>;
}

impl<P: FxsPort + ?Sized> FxsPort for &mut P {
    fn set_line_feed(&mut self, feed: LineFeed) -> Result<()> {
        (**self).set_line_feed(feed)
    }
    fn line_feed(&self) -> LineFeed {
        (**self).line_feed()
    }
    fn set_hook_timing(&mut self, timing: HookTiming) -> Result<()> {
        (**self).set_hook_timing(timing)
    }
    fn hook_state(&self) -> HookState {
        (**self).hook_state()
    }
    fn transfer(&mut self, now: Instant, tx: &Frame, rx: &mut Frame) {
        (**self).transfer(now, tx, rx)
    }
    fn poll_event(&mut self) -> Option<PortEvent> {
        (**self).poll_event()
    }
}

impl<P: FxsPort + ?Sized> FxsPort for Box<P> {
    fn set_line_feed(&mut self, feed: LineFeed) -> Result<()> {
        (**self).set_line_feed(feed)
    }
    fn line_feed(&self) -> LineFeed {
        (**self).line_feed()
    }
    fn set_hook_timing(&mut self, timing: HookTiming) -> Result<()> {
        (**self).set_hook_timing(timing)
    }
    fn hook_state(&self) -> HookState {
        (**self).hook_state()
    }
    fn transfer(&mut self, now: Instant, tx: &Frame, rx: &mut Frame) {
        (**self).transfer(now, tx, rx)
    }
    fn poll_event(&mut self) -> Option<PortEvent> {
        (**self).poll_event()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_predicates() {
        use tipring_dsp::cadence::Cadence;
        assert!(LineFeed::ReverseActive.is_reverse());
        assert!(LineFeed::ReverseOnHookTransmission.is_reverse());
        assert!(!LineFeed::ForwardOnHookTransmission.is_reverse());
        assert!(LineFeed::ForwardOnHookTransmission.is_on_hook_transmission());
        assert!(!LineFeed::ReverseActive.is_on_hook_transmission());
        assert!(!LineFeed::Open.has_battery());
        assert!(LineFeed::Ringing(Cadence::CONTINUOUS).has_battery());
    }

    #[test]
    fn ports_are_object_safe_and_send() {
        fn assert_send<T: Send>() {}
        assert_send::<crate::sim::SimPort>();
        let _boxed: Option<Box<dyn FxsPort + Send>> = None;
    }
}

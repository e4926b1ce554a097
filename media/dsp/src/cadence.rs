//! On/off cadences, shared by tones (busy, ringback, ...) and ringing.

/// One on/off step of a cadence, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CadenceStep {
    /// Time the signal is on.
    pub on_ms: u32,
    /// Time the signal is off after that.
    pub off_ms: u32,
}

impl CadenceStep {
    /// A step of `on_ms` on followed by `off_ms` off.
    pub const fn new(on_ms: u32, off_ms: u32) -> Self {
        Self { on_ms, off_ms }
    }
}

/// What a cadence does after its last step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum After {
    /// Start again from the first step (busy, ringback, ringing).
    Repeat,
    /// Stay on, without interruption (stutter dial tone turns into steady dial tone).
    Steady,
    /// Stay off (a call-waiting beep played once, one ring burst).
    Stop,
}

/// A cadence: a list of on/off steps and what happens after the last one.
///
/// An empty step list with [`After::Steady`] is a continuous signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cadence {
    /// The steps, played in order.
    pub steps: &'static [CadenceStep],
    /// What happens after the last step.
    pub after: After,
}

impl Cadence {
    /// A continuous signal.
    pub const CONTINUOUS: Cadence = Cadence {
        steps: &[],
        after: After::Steady,
    };

    /// Whether the signal is on at `t_ms` milliseconds after the cadence started.
    pub fn is_on_at(&self, t_ms: u64) -> bool {
        let period: u64 = self.period_ms();
        if period == 0 {
            return self.after == After::Steady;
        }
        let t = if self.after == After::Repeat {
            t_ms % period
        } else {
            t_ms
        };
        if t >= period {
            return self.after == After::Steady;
        }
        let mut start = 0u64;
        for s in self.steps {
            let on_end = start + u64::from(s.on_ms);
            if t < on_end {
                return true;
            }
            let off_end = on_end + u64::from(s.off_ms);
            if t < off_end {
                return false;
            }
            start = off_end;
        }
        false
    }

    /// Total length of one pass through the steps, in milliseconds.
    pub fn period_ms(&self) -> u64 {
        self.steps
            .iter()
            .map(|s| u64::from(s.on_ms) + u64::from(s.off_ms))
            .sum()
    }

    /// Milliseconds from `t_ms` until the on/off state next changes, or `None` if it never
    /// changes again.
    pub fn next_change_after(&self, t_ms: u64) -> Option<u64> {
        let period = self.period_ms();
        if period == 0 {
            return None;
        }
        let (base, t) = if self.after == After::Repeat {
            (t_ms - t_ms % period, t_ms % period)
        } else {
            (0, t_ms)
        };
        if t >= period {
            return None;
        }
        let mut edge = 0u64;
        for s in self.steps {
            for len in [s.on_ms, s.off_ms] {
                edge += u64::from(len);
                if edge > t && len > 0 {
                    let change = base + edge;
                    // The end of the last step is a change only if the state then differs.
                    if edge == period {
                        let now_on = self.is_on_at(t_ms);
                        let then_on = self.is_on_at(change);
                        if now_on == then_on {
                            return if self.after == After::Repeat {
                                self.next_change_after(change)
                            } else {
                                None
                            };
                        }
                    }
                    return Some(change - t_ms);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const US_RING: Cadence = Cadence {
        steps: &[CadenceStep::new(2000, 4000)],
        after: After::Repeat,
    };
    const STUTTER: Cadence = Cadence {
        steps: &[CadenceStep::new(100, 100), CadenceStep::new(100, 100)],
        after: After::Steady,
    };

    #[test]
    fn repeating_cadence_is_periodic() {
        assert!(US_RING.is_on_at(0));
        assert!(US_RING.is_on_at(1999));
        assert!(!US_RING.is_on_at(2000));
        assert!(!US_RING.is_on_at(5999));
        assert!(US_RING.is_on_at(6000));
        assert_eq!(US_RING.next_change_after(0), Some(2000));
        assert_eq!(US_RING.next_change_after(2500), Some(3500));
        assert_eq!(US_RING.next_change_after(6001), Some(1999));
    }

    #[test]
    fn stutter_then_steady() {
        assert!(STUTTER.is_on_at(50));
        assert!(!STUTTER.is_on_at(150));
        assert!(!STUTTER.is_on_at(399));
        assert!(STUTTER.is_on_at(400));
        assert!(STUTTER.is_on_at(100_000));
        assert_eq!(STUTTER.next_change_after(350), Some(50));
        assert_eq!(STUTTER.next_change_after(400), None);
    }

    #[test]
    fn continuous_never_changes() {
        assert!(Cadence::CONTINUOUS.is_on_at(123));
        assert_eq!(Cadence::CONTINUOUS.next_change_after(5), None);
    }
}

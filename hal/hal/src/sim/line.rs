//! What the phone sees of the line feed: DC polarity and ringing voltage.

use std::time::{Duration, Instant};

use tipring_dsp::cadence::CadenceStep;

/// The voltage across tip and ring as the phone sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineVoltage {
    /// No battery.
    Open,
    /// Normal polarity battery.
    Forward,
    /// Reversed polarity battery.
    Reverse,
    /// Ringing voltage (during a ring burst).
    Ringing,
}

/// One burst of ringing voltage the phone's ringer saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingBurst {
    /// When the ringing voltage appeared.
    pub start: Instant,
    /// When it went away (None: still ringing).
    pub end: Option<Instant>,
}

impl RingBurst {
    /// Length of the burst (None while it lasts).
    pub fn duration(&self) -> Option<Duration> {
        self.end.map(|e| e.saturating_duration_since(self.start))
    }
}

/// The measured cadence of a ring log: one step per finished burst, `on_ms` its length and
/// `off_ms` the silence to the next burst (0 after the last one). Rounded to whole ms.
pub fn measured_cadence(log: &[RingBurst]) -> Vec<CadenceStep> {
    let ms = |d: Duration| u32::try_from((d.as_micros() + 500) / 1000).unwrap_or(u32::MAX);
    log.iter()
        .enumerate()
        .filter_map(|(i, b)| {
            let end = b.end?;
            let on = ms(end.saturating_duration_since(b.start));
            let off = log
                .get(i + 1)
                .map_or(0, |n| ms(n.start.saturating_duration_since(end)));
            Some(CadenceStep::new(on, off))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cadence_from_bursts() {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let at = |us: u64| t0 + Duration::from_micros(us);
        // UK ringing 0.4/0.2/0.4/2.0 s (BT SIN 350), with sub-millisecond jitter.
        let log = [
            RingBurst {
                start: at(0),
                end: Some(at(400_400)),
            },
            RingBurst {
                start: at(599_800),
                end: Some(at(1_000_000)),
            },
            RingBurst {
                start: at(3_000_000),
                end: None,
            },
        ];
        assert_eq!(
            measured_cadence(&log),
            vec![CadenceStep::new(400, 199), CadenceStep::new(400, 2000)]
        );
        assert_eq!(log[2].duration(), None);
    }
}

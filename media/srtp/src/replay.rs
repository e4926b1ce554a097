//! Packet-index estimation (RFC 3711 §3.3.1, Appendix A) and the replay list
//! (RFC 3711 §3.3.2).

use crate::error::{Error, Result};

/// Replay window size in packets (RFC 3711 §3.3.2 asks for at least 64).
pub const REPLAY_WINDOW: u64 = 128;

/// Highest index 2^48 - 1: SRTP indices are 48 bits (ROC 32 bits || SEQ 16 bits).
const MAX_INDEX: u64 = (1 << 48) - 1;

/// The 48-bit index of a packet with sequence number `seq`, given the highest index
/// received so far (`ROC || s_l`). RFC 3711 Appendix A: pick ROC-1, ROC or ROC+1,
/// whichever puts `seq` closest to `s_l`.
///
/// `Err(Replayed)` when the guess would be ROC-1 with ROC 0 (a packet from before the
/// stream started); `Err(KeyExhausted)` when ROC would pass 2^32 - 1.
pub(crate) fn estimate_index(highest: u64, seq: u16) -> Result<u64> {
    let roc = highest >> 16;
    let s_l = (highest & 0xFFFF) as i32;
    let seq_i = i32::from(seq);
    let v = if s_l < 32768 {
        if seq_i - s_l > 32768 {
            roc.checked_sub(1).ok_or(Error::Replayed)?
        } else {
            roc
        }
    } else if s_l - 32768 > seq_i {
        roc + 1
    } else {
        roc
    };
    let index = (v << 16) | u64::from(seq);
    if index > MAX_INDEX {
        return Err(Error::KeyExhausted);
    }
    Ok(index)
}

/// A sliding window over the last [`REPLAY_WINDOW`] indices: bit `d` set means
/// `highest - d` was received (RFC 3711 §3.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReplayWindow {
    highest: u64,
    bits: u128,
}

impl ReplayWindow {
    /// A window whose first received index is `index`.
    pub(crate) fn new(index: u64) -> Self {
        Self {
            highest: index,
            bits: 1,
        }
    }

    /// The highest index accepted so far.
    pub(crate) fn highest(&self) -> u64 {
        self.highest
    }

    /// `Err(Replayed)` if `index` was already accepted or is left of the window.
    pub(crate) fn check(&self, index: u64) -> Result<()> {
        if index > self.highest {
            return Ok(());
        }
        let delta = self.highest - index;
        if delta >= REPLAY_WINDOW || (self.bits >> delta) & 1 == 1 {
            return Err(Error::Replayed);
        }
        Ok(())
    }

    /// Records `index` as accepted (call only after [`check`](Self::check) and
    /// authentication passed).
    pub(crate) fn update(&mut self, index: u64) {
        if index > self.highest {
            let shift = index - self.highest;
            self.bits = if shift >= REPLAY_WINDOW {
                0
            } else {
                self.bits << shift
            };
            self.bits |= 1;
            self.highest = index;
        } else {
            let delta = self.highest - index;
            if delta < REPLAY_WINDOW {
                self.bits |= 1 << delta;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3711 Appendix A: the three cases of the ROC guess.
    #[test]
    fn rfc3711_appendix_a_index_estimation() {
        // s_l in the lower half: a seq far above s_l belongs to the previous ROC.
        assert_eq!(estimate_index(0x0001_0010, 0xFFF0), Ok(0x0000_FFF0));
        // ... and with ROC 0 there is no previous ROC: a packet from before the start.
        assert_eq!(estimate_index(0x0000_0010, 0xFFF0), Err(Error::Replayed));
        // s_l in the upper half: a seq far below it belongs to the next ROC (wrap).
        assert_eq!(estimate_index(0x0000_FFFE, 0x0002), Ok(0x0001_0002));
        // Near s_l: same ROC.
        assert_eq!(estimate_index(0x0003_8000, 0x7FFF), Ok(0x0003_7FFF));
        assert_eq!(estimate_index(0x0003_1000, 0x1001), Ok(0x0003_1001));
        // Boundaries: exactly 32768 ahead stays in ROC, one more goes back.
        assert_eq!(estimate_index(0x0005_0000, 0x8000), Ok(0x0005_8000));
        assert_eq!(estimate_index(0x0005_0000, 0x8001), Ok(0x0004_8001));
        // ROC may not pass 2^32 - 1 (index space of 2^48 exhausted).
        assert_eq!(
            estimate_index(0xFFFF_FFFF_FFF0, 0x0001),
            Err(Error::KeyExhausted)
        );
    }

    /// RFC 3711 §3.3.2: duplicates and indices left of the window are rejected,
    /// reordering inside the window is accepted once.
    #[test]
    fn rfc3711_3_3_2_replay_window() {
        let mut w = ReplayWindow::new(1000);
        assert_eq!(w.check(1000), Err(Error::Replayed));
        assert_eq!(w.check(1001), Ok(()));
        w.update(1005);
        // Reordered 1001..1004 accepted once each.
        for i in 1001..1005 {
            assert_eq!(w.check(i), Ok(()));
            w.update(i);
            assert_eq!(w.check(i), Err(Error::Replayed));
        }
        // Jump far ahead: everything before the new window is too old.
        w.update(5000);
        assert_eq!(w.highest(), 5000);
        assert_eq!(w.check(5000 - REPLAY_WINDOW), Err(Error::Replayed));
        assert_eq!(w.check(5000 - REPLAY_WINDOW + 1), Ok(()));
        assert_eq!(w.check(1005), Err(Error::Replayed));
        // Shift by exactly the window size clears the bitmap.
        w.update(5000 + REPLAY_WINDOW);
        assert_eq!(w.check(5001), Ok(()));
        assert_eq!(w.check(5000), Err(Error::Replayed));
    }
}

//! Bounded packet storage and sequence-number bookkeeping shared by the buffers.

use std::collections::VecDeque;

/// RFC 3550 Appendix A.1: a sequence jump larger than this is a restart, not loss.
pub(crate) const MAX_DROPOUT: i64 = 3000;
/// RFC 3550 Appendix A.1: packets this far behind the highest are old duplicates/late.
pub(crate) const MAX_MISORDER: i64 = 100;

/// Extends a 16-bit RTP sequence number to the value nearest `reference`.
pub(crate) fn extend_seq(reference: i64, seq: u16) -> i64 {
    reference + i64::from(seq.wrapping_sub(reference as u16) as i16)
}

/// Extends a 32-bit RTP timestamp to the value nearest `reference`.
pub(crate) fn extend_ts(reference: i64, ts: u32) -> i64 {
    reference + i64::from(ts.wrapping_sub(reference as u32) as i32)
}

/// A buffered packet with its payload copied into pooled memory.
#[derive(Debug)]
pub(crate) struct Stored {
    /// Sort key (extended seq for the adaptive buffer, extended timestamp for the fixed).
    pub(crate) key: i64,
    pub(crate) ext_seq: i64,
    pub(crate) ext_ts: i64,
    pub(crate) marker: bool,
    /// `Some(level)` for a comfort-noise packet.
    pub(crate) cn: Option<u8>,
    pub(crate) payload: Vec<u8>,
}

/// Packets sorted by key, bounded in count and bytes, payload buffers recycled.
#[derive(Debug)]
pub(crate) struct Store {
    items: VecDeque<Stored>,
    pool: Vec<Vec<u8>>,
    bytes: usize,
}

impl Store {
    pub(crate) fn new(max_packets: usize, payload_capacity: usize) -> Self {
        let pool_size = max_packets.min(256);
        Self {
            items: VecDeque::with_capacity(max_packets + 1),
            pool: (0..pool_size)
                .map(|_| Vec::with_capacity(payload_capacity.min(2048)))
                .collect(),
            bytes: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn front(&self) -> Option<&Stored> {
        self.items.front()
    }

    pub(crate) fn contains(&self, key: i64) -> bool {
        self.items.binary_search_by_key(&key, |s| s.key).is_ok()
    }

    pub(crate) fn pop_front(&mut self) -> Option<Stored> {
        let s = self.items.pop_front()?;
        self.bytes -= s.payload.len();
        Some(s)
    }

    /// Inserts in key order (the caller rejects duplicates first).
    pub(crate) fn insert(
        &mut self,
        key: i64,
        ext_seq: i64,
        ext_ts: i64,
        marker: bool,
        cn: Option<u8>,
        payload: &[u8],
    ) {
        let mut buf = self.pool.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(payload);
        self.bytes += payload.len();
        let pos = self.items.partition_point(|s| s.key < key);
        self.items.insert(
            pos,
            Stored {
                key,
                ext_seq,
                ext_ts,
                marker,
                cn,
                payload: buf,
            },
        );
    }

    /// Gives a packet's payload buffer back to the pool.
    pub(crate) fn recycle(&mut self, s: Stored) {
        if self.pool.len() < self.items.capacity() {
            self.pool.push(s.payload);
        }
    }
}

/// Which of the last [`SeqWindow::SPAN`] extended sequence numbers have arrived.
#[derive(Debug, Clone)]
pub(crate) struct SeqWindow {
    bits: [u64; 16],
    hi: Option<i64>,
}

impl SeqWindow {
    pub(crate) const SPAN: i64 = 1024;

    pub(crate) fn new() -> Self {
        Self {
            bits: [0; 16],
            hi: None,
        }
    }

    pub(crate) fn clear(&mut self) {
        *self = Self::new();
    }

    fn slot(s: i64) -> (usize, u64) {
        let i = s.rem_euclid(Self::SPAN) as usize;
        (i / 64, 1u64 << (i % 64))
    }

    /// `Some(arrived)` inside the window, `None` when too old to know.
    pub(crate) fn get(&self, s: i64) -> Option<bool> {
        let Some(hi) = self.hi else {
            return Some(false);
        };
        if s > hi {
            return Some(false);
        }
        if hi - s >= Self::SPAN {
            return None;
        }
        let (w, b) = Self::slot(s);
        Some(self.bits[w] & b != 0)
    }

    pub(crate) fn mark(&mut self, s: i64) {
        match self.hi {
            None => self.hi = Some(s),
            Some(hi) if s > hi => {
                if s - hi >= Self::SPAN {
                    self.bits = [0; 16];
                } else {
                    for x in hi + 1..=s {
                        let (w, b) = Self::slot(x);
                        self.bits[w] &= !b;
                    }
                }
                self.hi = Some(s);
            }
            Some(hi) if hi - s >= Self::SPAN => return,
            Some(_) => {}
        }
        let (w, b) = Self::slot(s);
        self.bits[w] |= b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_extension_across_wrap() {
        // RFC 3550 §A.1: 16-bit sequence numbers wrap; the extended value keeps counting.
        assert_eq!(extend_seq(65_535, 0), 65_536);
        assert_eq!(extend_seq(65_536, 65_535), 65_535);
        assert_eq!(extend_seq(65_536 * 3 + 10, 5), 65_536 * 3 + 5);
        assert_eq!(extend_ts(0xFFFF_FF00, 0x0000_0040), 0x1_0000_0040);
        assert_eq!(extend_ts(0x1_0000_0040, 0xFFFF_FF00), 0xFFFF_FF00);
    }

    #[test]
    fn seq_window_tracks_arrivals() {
        let mut w = SeqWindow::new();
        assert_eq!(w.get(5), Some(false));
        w.mark(100);
        w.mark(102);
        assert_eq!(w.get(100), Some(true));
        assert_eq!(w.get(101), Some(false));
        assert_eq!(w.get(103), Some(false));
        w.mark(101);
        assert_eq!(w.get(101), Some(true));
        w.mark(100 + SeqWindow::SPAN + 50);
        assert_eq!(w.get(100), None);
        assert_eq!(w.get(100 + SeqWindow::SPAN + 49), Some(false));
        // A slot reused after the window moved must read as not arrived.
        assert_eq!(w.get(102 + SeqWindow::SPAN), Some(false));
    }

    #[test]
    fn store_keeps_order_and_bytes() {
        let mut s = Store::new(8, 100);
        s.insert(3, 3, 30, false, None, &[1, 2, 3]);
        s.insert(1, 1, 10, false, None, &[1]);
        s.insert(2, 2, 20, true, Some(40), &[]);
        assert_eq!(s.len(), 3);
        assert_eq!(s.bytes(), 4);
        assert!(s.contains(2) && !s.contains(4));
        let a = s.pop_front().unwrap();
        assert_eq!((a.key, a.payload.as_slice()), (1, &[1u8][..]));
        s.recycle(a);
        assert_eq!(s.front().unwrap().cn, Some(40));
        assert_eq!(s.bytes(), 3);
    }
}

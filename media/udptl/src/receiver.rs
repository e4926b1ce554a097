//! The receiving side: in-order delivery, loss recovery from redundancy or parity FEC.

use std::collections::VecDeque;

use crate::encoder::{UdptlConfig, HISTORY};
use crate::error::DecodeError;
use crate::ifp::read_ifp;
use crate::packet::{parse, Packet, Recovery};

/// Most IFPs waiting in [`Receiver::poll`]'s queue; beyond it the oldest are dropped and
/// counted lost (a caller polls after every datagram, so this is only a bound).
pub const QUEUE_CAP: usize = 256;

/// The sequence window: a datagram at most this far ahead of the expected sequence number
/// is a gap (loss) to fill, at most this far behind a duplicate or a late one. Farther away
/// is a jump: believed only when the next datagram follows it (a restart of the far end's
/// numbering), so that a corrupt or forged sequence number cannot derail the stream. 512
/// datagrams are 5 to 10 s of T.38 at 50 to 100 packets/s: longer than T.30's own timeouts.
pub const MAX_GAP: u16 = 512;

/// An IFP packet delivered in sequence order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ifp {
    /// Its UDPTL sequence number.
    pub seq: u16,
    /// The IFP packet.
    pub data: Vec<u8>,
    /// Rebuilt from a later datagram's redundancy or FEC rather than received as a primary.
    pub recovered: bool,
}

/// Counters of a [`Receiver`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UdptlStats {
    /// Well-formed datagrams.
    pub received: u64,
    /// Malformed datagrams (nothing delivered from them).
    pub malformed: u64,
    /// Datagrams dropped as duplicates, late ones (already delivered or skipped), or as an
    /// unconfirmed jump outside the window ([`MAX_GAP`]).
    pub late: u64,
    /// Restarts of the numbering accepted (a jump confirmed by the next datagram).
    pub resyncs: u64,
    /// IFPs rebuilt from secondary IFPs (redundancy).
    pub recovered: u64,
    /// IFPs rebuilt from parity FEC.
    pub recovered_fec: u64,
    /// Sequence numbers skipped without their IFP.
    pub lost: u64,
    /// IFPs handed out by [`Receiver::poll`].
    pub delivered: u64,
}

#[derive(Debug, Clone)]
struct Slot {
    seq: u16,
    data: Vec<u8>,
}

/// Turns UDPTL datagrams back into IFPs, in sequence order, each exactly once.
///
/// The first datagram sets the expected sequence number (arithmetic is modulo 65536). A
/// datagram up to [`MAX_GAP`] ahead of it first yields the missing IFPs it can rebuild (from
/// its secondary IFPs, or from its parity FEC and the last [`HISTORY`] IFPs), marked
/// `recovered`, then its primary; sequence numbers it cannot rebuild are skipped and counted
/// lost, so the layer above sees the jump. A datagram up to [`MAX_GAP`] behind (a duplicate,
/// or late) is dropped and counted, its IFP kept for later FEC. A datagram farther away in
/// either direction is held back: if the next one follows it, the numbering restarted
/// there and both are delivered; otherwise it is dropped. A receiver accepts redundancy
/// and FEC alike, whatever it negotiated.
#[derive(Debug, Clone)]
pub struct Receiver {
    max_ifp: usize,
    t38_version: Option<u8>,
    expected: Option<u16>,
    /// A datagram outside the window, held until the next one confirms or refutes the jump.
    probation: Option<Slot>,
    /// The last IFPs by `seq % HISTORY`, a slot valid only if its `seq` matches.
    history: [Option<Slot>; HISTORY],
    out: VecDeque<Ifp>,
    stats: UdptlStats,
}

impl Receiver {
    /// A receiver for `cfg` (only `max_ifp` matters to it).
    pub fn new(cfg: &UdptlConfig) -> Self {
        Self {
            max_ifp: cfg.max_ifp,
            t38_version: None,
            expected: None,
            probation: None,
            history: Default::default(),
            out: VecDeque::new(),
            stats: UdptlStats::default(),
        }
    }

    /// Sets the negotiated T.38 version (`T38FaxVersion`). Parity FEC rebuilds an IFP padded
    /// with zeros to the longest one of its group; the receiver strips that padding by
    /// reading the IFP's structure, which differs between version 0 and later. Without a
    /// version, it tries the version-2 layout, then version 0.
    pub fn with_t38_version(mut self, version: u8) -> Self {
        self.t38_version = Some(version);
        self
    }

    /// The counters.
    pub fn stats(&self) -> UdptlStats {
        self.stats
    }

    /// The sequence number expected next (`None` before the first datagram).
    pub fn expected_seq(&self) -> Option<u16> {
        self.expected
    }

    /// The next IFP in sequence order.
    pub fn poll(&mut self) -> Option<Ifp> {
        let ifp = self.out.pop_front()?;
        self.stats.delivered += 1;
        Some(ifp)
    }

    /// Takes in one datagram. A malformed one (or one carrying an IFP over `max_ifp`) is
    /// counted and returned as `Err`, and delivers nothing.
    pub fn receive(&mut self, datagram: &[u8]) -> Result<(), DecodeError> {
        let packet = match parse(datagram).and_then(|p| self.check_sizes(p)) {
            Ok(p) => p,
            Err(e) => {
                self.stats.malformed += 1;
                return Err(e);
            }
        };
        self.stats.received += 1;
        let seq = packet.seq;
        let expected = *self.expected.get_or_insert(seq);
        let ahead = seq.wrapping_sub(expected);
        let behind = expected.wrapping_sub(seq);
        if ahead > MAX_GAP && behind > MAX_GAP {
            self.jump(seq, packet.primary);
            return Ok(());
        }
        if self.probation.take().is_some() {
            self.stats.late += 1;
        }
        if ahead > MAX_GAP {
            self.stats.late += 1;
            // Still worth keeping for parity FEC over a later loss.
            if usize::from(behind) <= HISTORY && self.lookup(seq).is_none() {
                self.remember(seq, packet.primary.to_vec());
            }
            return Ok(());
        }
        if ahead > 0 {
            self.fill_gap(expected, &packet);
        }
        self.deliver(seq, packet.primary.to_vec(), false);
        self.expected = Some(seq.wrapping_add(1));
        Ok(())
    }

    /// A datagram outside the window: hold it, or restart the numbering if it follows the
    /// one held.
    fn jump(&mut self, seq: u16, primary: &[u8]) {
        match self.probation.take() {
            Some(held) if held.seq.wrapping_add(1) == seq => {
                self.stats.resyncs += 1;
                self.history = Default::default();
                self.deliver(held.seq, held.data, false);
                self.deliver(seq, primary.to_vec(), false);
                self.expected = Some(seq.wrapping_add(1));
            }
            previous => {
                if previous.is_some() {
                    self.stats.late += 1;
                }
                self.probation = Some(Slot {
                    seq,
                    data: primary.to_vec(),
                });
            }
        }
    }

    fn check_sizes<'a>(&self, p: Packet<'a>) -> Result<Packet<'a>, DecodeError> {
        let others = match &p.recovery {
            Recovery::Redundancy(list) => list,
            Recovery::Fec { data, .. } => data,
        };
        let max = self.max_ifp;
        match std::iter::once(&p.primary)
            .chain(others)
            .find(|d| d.len() > max)
        {
            Some(d) => Err(DecodeError::IfpTooLarge { len: d.len(), max }),
            None => Ok(p),
        }
    }

    /// Rebuilds what it can of `expected .. packet.seq` and delivers it; counts the rest lost.
    fn fill_gap(&mut self, expected: u16, packet: &Packet<'_>) {
        let seq = packet.seq;
        let gap = usize::from(seq.wrapping_sub(expected));
        // Forget whatever the skipped slots held: they are missing now.
        if gap >= HISTORY {
            self.history = Default::default();
        } else {
            (0..gap).for_each(|i| self.forget(expected.wrapping_add(i as u16)));
        }
        let reach = match &packet.recovery {
            Recovery::Redundancy(list) => list.len(),
            Recovery::Fec { .. } => HISTORY,
        };
        let lookback = gap.min(reach);
        self.stats.lost += (gap - lookback) as u64;

        let mut rebuilt: Vec<Option<Vec<u8>>> = vec![None; lookback];
        // rebuilt[i] is for seq - lookback + i, i.e. `seq - (lookback - i)`.
        match &packet.recovery {
            Recovery::Redundancy(list) => {
                for (i, slot) in rebuilt.iter_mut().enumerate() {
                    let back = lookback - i; // secondary index back - 1
                    *slot = list
                        .get(back - 1)
                        .filter(|d| !d.is_empty())
                        .map(|d| d.to_vec());
                }
            }
            Recovery::Fec { npackets, data } => {
                for (back, ifp) in self.fec_rebuild(seq, *npackets, data, lookback) {
                    rebuilt[lookback - back] = Some(ifp);
                }
            }
        }
        let fec = matches!(packet.recovery, Recovery::Fec { .. });
        for (i, ifp) in rebuilt.into_iter().enumerate() {
            let s = seq.wrapping_sub((lookback - i) as u16);
            match ifp {
                Some(data) => {
                    if fec {
                        self.stats.recovered_fec += 1;
                    } else {
                        self.stats.recovered += 1;
                    }
                    self.deliver(s, data, true);
                }
                None => self.stats.lost += 1,
            }
        }
    }

    /// Parity recovery: each entry `k` is the XOR of the IFPs `seq + k - n*m + j*m`,
    /// `j in 0..n` (`n` = npackets, `m` = entries). An entry with exactly one unknown IFP,
    /// which is one of the missing ones (at most `lookback` back), rebuilds it. Returns
    /// (distance back from `seq`, IFP) pairs.
    fn fec_rebuild(
        &self,
        seq: u16,
        npackets: u32,
        data: &[&[u8]],
        lookback: usize,
    ) -> Vec<(usize, Vec<u8>)> {
        let n = npackets as usize;
        let m = data.len();
        let mut out = Vec::new();
        if n == 0 || m == 0 || n > HISTORY || m > HISTORY || n * m > HISTORY {
            return out;
        }
        for (k, parity) in data.iter().enumerate() {
            // Distances back from seq of the group's members.
            let backs = (0..n).map(|j| n * m - k - j * m);
            let mut unknown = None;
            let mut unknowns = 0;
            for back in backs.clone() {
                if self.lookup(seq.wrapping_sub(back as u16)).is_none() {
                    unknowns += 1;
                    unknown = Some(back);
                }
            }
            let Some(back) = unknown.filter(|b| unknowns == 1 && *b <= lookback) else {
                continue;
            };
            let mut ifp = parity.to_vec();
            let mut consistent = true;
            for other in backs.filter(|b| *b != back) {
                let known = self.lookup(seq.wrapping_sub(other as u16)).unwrap_or(&[]);
                // The parity is as long as the longest member; a longer one means garbage.
                consistent &= known.len() <= ifp.len();
                ifp.iter_mut().zip(known).for_each(|(a, b)| *a ^= b);
            }
            if !consistent {
                continue;
            }
            self.strip_padding(&mut ifp);
            if !ifp.is_empty() && ifp.len() <= self.max_ifp {
                out.push((back, ifp));
            }
        }
        out
    }

    /// Cuts the zero padding an XOR rebuild leaves after a shorter IFP: the IFP's own
    /// structure says where it ends.
    fn strip_padding(&self, ifp: &mut Vec<u8>) {
        let versions: &[u8] = match &self.t38_version {
            Some(v) => std::slice::from_ref(v),
            None => &[2, 0],
        };
        for version in versions {
            if let Ok((_, len)) = read_ifp(ifp, *version) {
                if ifp[len..].iter().all(|b| *b == 0) {
                    ifp.truncate(len);
                    return;
                }
            }
        }
    }

    fn deliver(&mut self, seq: u16, data: Vec<u8>, recovered: bool) {
        self.remember(seq, data.clone());
        if self.out.len() == QUEUE_CAP {
            self.out.pop_front();
            self.stats.lost += 1;
        }
        self.out.push_back(Ifp {
            seq,
            data,
            recovered,
        });
    }

    fn slot(seq: u16) -> usize {
        usize::from(seq) % HISTORY
    }

    fn remember(&mut self, seq: u16, data: Vec<u8>) {
        self.history[Self::slot(seq)] = Some(Slot { seq, data });
    }

    fn forget(&mut self, seq: u16) {
        self.history[Self::slot(seq)] = None;
    }

    fn lookup(&self, seq: u16) -> Option<&[u8]> {
        match &self.history[Self::slot(seq)] {
            Some(s) if s.seq == seq => Some(&s.data),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoder::{Encoder, ErrorCorrection};

    fn cfg(ec: ErrorCorrection) -> UdptlConfig {
        UdptlConfig {
            ec,
            max_datagram: 1400,
            max_ifp: 300,
        }
    }

    /// IFPs of different lengths and contents, all well-formed (version 2): a V.17 14400
    /// t4-non-ecm-data field of `1 + i % 5` octets.
    fn ifp(i: usize) -> Vec<u8> {
        let data: Vec<u8> = (0..1 + i % 5).map(|j| (i * 7 + j) as u8).collect();
        crate::encode_ifp(crate::MsgType::Data(8), &[(6, &data)], 2).unwrap()
    }

    fn drain(rx: &mut Receiver) -> Vec<Ifp> {
        std::iter::from_fn(|| rx.poll()).collect()
    }

    /// Sends `count` IFPs from seq `start`, drops those in `lost`, returns what came out.
    fn run(
        ec: ErrorCorrection,
        start: u16,
        count: usize,
        lost: &[usize],
    ) -> (Vec<Ifp>, UdptlStats) {
        let c = cfg(ec);
        let mut tx = Encoder::new(&c);
        tx.set_next_seq(start);
        let mut rx = Receiver::new(&c);
        let mut out = Vec::new();
        for i in 0..count {
            let d = tx.encode(&ifp(i)).unwrap();
            if !lost.contains(&i) {
                rx.receive(&d).unwrap();
            }
            out.extend(drain(&mut rx));
        }
        (out, rx.stats())
    }

    fn check_in_order(out: &[Ifp], start: u16, skipped: &[usize]) {
        let want: Vec<(u16, Vec<u8>)> = (0..out.len() + skipped.len())
            .filter(|i| !skipped.contains(i))
            .map(|i| (start.wrapping_add(i as u16), ifp(i)))
            .collect();
        let got: Vec<(u16, Vec<u8>)> = out.iter().map(|x| (x.seq, x.data.clone())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn no_loss_delivers_everything_once() {
        for ec in [
            ErrorCorrection::None,
            ErrorCorrection::Redundancy { depth: 3 },
            ErrorCorrection::Fec {
                span: 3,
                entries: 3,
            },
        ] {
            let (out, st) = run(ec, 0, 40, &[]);
            check_in_order(&out, 0, &[]);
            assert!(out.iter().all(|x| !x.recovered));
            assert_eq!(
                (st.received, st.delivered, st.lost, st.late),
                (40, 40, 0, 0),
                "{ec:?}"
            );
        }
    }

    #[test]
    fn redundancy_recovers_up_to_depth() {
        for depth in 1..=4u8 {
            for burst in 1..=usize::from(depth) {
                let lost: Vec<usize> = (10..10 + burst).collect();
                let (out, st) = run(ErrorCorrection::Redundancy { depth }, 0, 30, &lost);
                check_in_order(&out, 0, &[]);
                assert_eq!(out.iter().filter(|x| x.recovered).count(), burst);
                assert!(out[10..10 + burst].iter().all(|x| x.recovered));
                assert_eq!((st.recovered, st.lost, st.delivered), (burst as u64, 0, 30));
            }
            // One more than the depth: the oldest one is lost for good.
            let burst = usize::from(depth) + 1;
            let lost: Vec<usize> = (10..10 + burst).collect();
            let (out, st) = run(ErrorCorrection::Redundancy { depth }, 0, 30, &lost);
            check_in_order(&out, 0, &[10]);
            assert_eq!((st.recovered, st.lost), (u64::from(depth), 1));
        }
    }

    #[test]
    fn no_error_correction_counts_losses() {
        let (out, st) = run(ErrorCorrection::None, 0, 20, &[3, 4, 9]);
        check_in_order(&out, 0, &[3, 4, 9]);
        assert_eq!((st.lost, st.recovered, st.delivered), (3, 0, 17));
    }

    #[test]
    fn fec_recovers_single_and_interleaved_bursts() {
        // span 3, entries 1: one loss among any 3 consecutive is rebuilt.
        let (out, st) = run(
            ErrorCorrection::Fec {
                span: 3,
                entries: 1,
            },
            0,
            30,
            &[7],
        );
        check_in_order(&out, 0, &[]);
        assert!(out[7].recovered);
        assert_eq!((st.recovered_fec, st.lost), (1, 0));
        // span 2, entries 3: a burst of 3 falls in 3 different groups, all rebuilt.
        let (out, st) = run(
            ErrorCorrection::Fec {
                span: 2,
                entries: 3,
            },
            0,
            30,
            &[10, 11, 12],
        );
        check_in_order(&out, 0, &[]);
        assert_eq!((st.recovered_fec, st.lost), (3, 0));
        // span 3, entries 1, a burst of 2: same group, not rebuildable.
        let (out, st) = run(
            ErrorCorrection::Fec {
                span: 3,
                entries: 1,
            },
            0,
            30,
            &[10, 11],
        );
        check_in_order(&out, 0, &[10, 11]);
        assert_eq!((st.recovered_fec, st.lost), (0, 2));
    }

    #[test]
    fn fec_strips_the_zero_padding() {
        // ifp(i) has 1 + i % 5 data octets: losing a short one after a long one.
        let (out, _) = run(
            ErrorCorrection::Fec {
                span: 4,
                entries: 1,
            },
            0,
            20,
            &[10],
        );
        assert!(out[10].recovered);
        assert_eq!(out[10].data, ifp(10));
        assert!(out[10].data.len() < ifp(9).len());
        // Version 0: a no-signal indicator (one zero octet) lost between two data packets.
        let c = cfg(ErrorCorrection::Fec {
            span: 2,
            entries: 1,
        });
        let mut tx = Encoder::new(&c);
        let mut rx = Receiver::new(&c).with_t38_version(0);
        let long: &[u8] = &[0xC6, 0x01, 0xE0, 0x00, 0x02, 1, 2, 3];
        let d: Vec<Vec<u8>> = [long, &[0x00], long]
            .iter()
            .map(|i| tx.encode(i).unwrap())
            .collect();
        rx.receive(&d[0]).unwrap();
        rx.receive(&d[2]).unwrap(); // parity over seq 0 and 1
        let got = drain(&mut rx);
        assert_eq!(got[1].seq, 1);
        assert_eq!(got[1].data, [0x00]);
        assert!(got[1].recovered);
    }

    #[test]
    fn wraps_around_65535() {
        for ec in [
            ErrorCorrection::Redundancy { depth: 2 },
            ErrorCorrection::Fec {
                span: 2,
                entries: 2,
            },
        ] {
            // Starts at 65530; loses 65535 and 0 (indexes 5 and 6).
            let (out, st) = run(ec, 65530, 15, &[5, 6]);
            check_in_order(&out, 65530, &[]);
            assert_eq!(out[5].seq, 65535);
            assert_eq!(out[6].seq, 0);
            assert!(out[5].recovered && out[6].recovered);
            assert_eq!(st.lost, 0, "{ec:?}");
        }
    }

    #[test]
    fn duplicates_and_late_datagrams_are_dropped() {
        let c = cfg(ErrorCorrection::Redundancy { depth: 1 });
        let mut tx = Encoder::new(&c);
        let mut rx = Receiver::new(&c);
        let d: Vec<Vec<u8>> = (0..6).map(|i| tx.encode(&ifp(i)).unwrap()).collect();
        rx.receive(&d[0]).unwrap();
        rx.receive(&d[0]).unwrap(); // duplicate
        rx.receive(&d[2]).unwrap(); // recovers 1 from its secondary
        rx.receive(&d[1]).unwrap(); // late: already delivered
        rx.receive(&d[5]).unwrap(); // 3 lost (depth 1), 4 recovered
        rx.receive(&d[3]).unwrap(); // late: already skipped
        let got: Vec<(u16, bool)> = drain(&mut rx)
            .iter()
            .map(|x| (x.seq, x.recovered))
            .collect();
        assert_eq!(
            got,
            [(0, false), (1, true), (2, false), (4, true), (5, false)]
        );
        let st = rx.stats();
        assert_eq!(
            (st.received, st.late, st.recovered, st.lost, st.delivered),
            (6, 3, 2, 1, 5)
        );
    }

    #[test]
    fn late_datagram_helps_later_fec() {
        // span 3, entries 1: datagram s carries the parity of s-3, s-2, s-1.
        // 4 and 5 are missing when 6 arrives (two unknowns in 6's group: both lost); 5 then
        // arrives late and is kept; 7 is lost; 8's parity over 5, 6, 7 rebuilds 7 thanks to
        // the late 5.
        let c = cfg(ErrorCorrection::Fec {
            span: 3,
            entries: 1,
        });
        let mut tx = Encoder::new(&c);
        let mut rx = Receiver::new(&c);
        let d: Vec<Vec<u8>> = (0..9).map(|i| tx.encode(&ifp(i)).unwrap()).collect();
        for i in [0, 1, 2, 3, 6, 5, 8] {
            rx.receive(&d[i]).unwrap();
        }
        let got: Vec<(u16, bool)> = drain(&mut rx)
            .iter()
            .map(|x| (x.seq, x.recovered))
            .collect();
        assert_eq!(
            got,
            [
                (0, false),
                (1, false),
                (2, false),
                (3, false),
                (6, false),
                (7, true),
                (8, false)
            ]
        );
        let st = rx.stats();
        assert_eq!((st.late, st.lost, st.recovered_fec), (1, 2, 1));
    }

    #[test]
    fn malformed_and_oversized_are_counted() {
        let c = cfg(ErrorCorrection::None);
        let mut rx = Receiver::new(&c);
        assert_eq!(rx.receive(&[0, 1]), Err(DecodeError::Truncated));
        let mut tx = Encoder::new(&UdptlConfig {
            max_datagram: 2000,
            ..c.clone()
        });
        let big = tx.encode(&[0x55; 301]).unwrap();
        assert_eq!(
            rx.receive(&big),
            Err(DecodeError::IfpTooLarge { len: 301, max: 300 })
        );
        assert_eq!(rx.stats().malformed, 2);
        assert_eq!(rx.stats().received, 0);
        assert!(rx.poll().is_none());
        assert_eq!(rx.expected_seq(), None);
    }

    #[test]
    fn jumps_beyond_the_window_need_confirmation() {
        let c = cfg(ErrorCorrection::None);
        let mut rx = Receiver::new(&c);
        let pkt = |seq: u16| {
            Packet {
                seq,
                primary: &[0x04],
                recovery: Recovery::Redundancy(vec![]),
            }
            .to_vec()
            .unwrap()
        };
        rx.receive(&pkt(1000)).unwrap(); // sets the expected sequence number
        rx.receive(&pkt(1000 + MAX_GAP)).unwrap(); // the farthest gap: all lost
        assert_eq!(rx.stats().lost, u64::from(MAX_GAP - 1));
        let next = 1000 + MAX_GAP + 1;
        // A lone corrupt sequence number far ahead, then far behind: both dropped.
        rx.receive(&pkt(next + 20_000)).unwrap();
        rx.receive(&pkt(next.wrapping_sub(MAX_GAP + 1))).unwrap();
        rx.receive(&pkt(next)).unwrap(); // the stream goes on
        assert_eq!(rx.stats().late, 2);
        // The far end restarts at 0: confirmed by 1, both delivered.
        rx.receive(&pkt(0)).unwrap();
        rx.receive(&pkt(1)).unwrap();
        rx.receive(&pkt(2)).unwrap();
        let seqs: Vec<u16> = drain(&mut rx).iter().map(|x| x.seq).collect();
        assert_eq!(seqs, [1000, 1000 + MAX_GAP, next, 0, 1, 2]);
        let st = rx.stats();
        assert_eq!(
            (st.resyncs, st.late, st.lost, st.received),
            (1, 2, u64::from(MAX_GAP - 1), 8)
        );
        // Behind within the window: late.
        rx.receive(&pkt(3u16.wrapping_sub(MAX_GAP))).unwrap();
        assert_eq!(rx.stats().late, 3);
    }

    #[test]
    fn queue_is_bounded() {
        let c = cfg(ErrorCorrection::None);
        let mut tx = Encoder::new(&c);
        let mut rx = Receiver::new(&c);
        for i in 0..QUEUE_CAP + 10 {
            rx.receive(&tx.encode(&ifp(i)).unwrap()).unwrap();
        }
        assert_eq!(drain(&mut rx).len(), QUEUE_CAP);
        assert_eq!(rx.stats().lost, 10);
    }
}

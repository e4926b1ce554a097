//! The sending side: sequence numbers, redundancy and parity FEC (T.38 §9.1).

use std::collections::VecDeque;

use crate::error::EncodeError;
use crate::packet::{Packet, Recovery};
use crate::per;

/// Most earlier IFPs a sender keeps, and a receiver remembers, for error correction.
pub const HISTORY: usize = 16;

/// Error correction of the datagrams we send (SDP `T38FaxUdpEC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCorrection {
    /// No error correction: an empty `secondary-ifp-packets` list.
    None,
    /// `t38UDPRedundancy`: each datagram repeats up to `depth` earlier IFPs (at most
    /// [`HISTORY`]).
    Redundancy {
        /// Earlier IFPs per datagram.
        depth: u8,
    },
    /// `t38UDPFEC`: each datagram carries `entries` parity entries, entry `k` the XOR of the
    /// `span` earlier IFPs whose sequence numbers are `seq + k - span * entries + j * entries`
    /// (`j` in `0..span`), shorter ones padded with zeros: the `span * entries` IFPs before
    /// this one, interleaved by `entries`. `span` is at most [`HISTORY`] and
    /// `span * entries` at most [`HISTORY`] (entries are reduced to fit).
    Fec {
        /// `fec-npackets`: IFPs per parity entry.
        span: u8,
        /// Parity entries per datagram (the interleaving).
        entries: u8,
    },
}

impl ErrorCorrection {
    /// The same mode with its parameters brought within this crate's bounds.
    fn clamped(self) -> Self {
        let cap = HISTORY as u8;
        match self {
            ErrorCorrection::None | ErrorCorrection::Redundancy { depth: 0 } => {
                ErrorCorrection::None
            }
            ErrorCorrection::Redundancy { depth } => ErrorCorrection::Redundancy {
                depth: depth.min(cap),
            },
            ErrorCorrection::Fec { span, entries } => {
                let span = span.clamp(1, cap);
                ErrorCorrection::Fec {
                    span,
                    entries: entries.clamp(1, cap / span),
                }
            }
        }
    }

    fn history(self) -> usize {
        match self {
            ErrorCorrection::None => 0,
            ErrorCorrection::Redundancy { depth } => usize::from(depth),
            ErrorCorrection::Fec { span, entries } => usize::from(span) * usize::from(entries),
        }
    }
}

/// Configuration of one UDPTL stream (both directions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdptlConfig {
    /// Error correction we send (a receiver accepts either kind regardless).
    pub ec: ErrorCorrection,
    /// The far end's `T38FaxMaxDatagram`: the largest datagram we may send.
    pub max_datagram: usize,
    /// The largest IFP we accept (our `T38FaxMaxIFP`, or the buffer behind the receiver).
    pub max_ifp: usize,
}

impl Default for UdptlConfig {
    /// Redundancy of depth 3 and 400-octet datagrams and IFPs — what Asterisk and spandsp
    /// commonly offer.
    fn default() -> Self {
        Self {
            ec: ErrorCorrection::Redundancy { depth: 3 },
            max_datagram: 400,
            max_ifp: 400,
        }
    }
}

/// Builds UDPTL datagrams from IFP packets: numbers them from 0 (wrapping at 65535), keeps
/// the earlier IFPs that redundancy or FEC repeat, and trims the error-correction part to
/// stay within the far end's maximum datagram.
#[derive(Debug, Clone)]
pub struct Encoder {
    ec: ErrorCorrection,
    max_datagram: usize,
    seq: u16,
    /// Earlier IFPs, oldest first (the last one is `seq - 1`).
    history: VecDeque<Vec<u8>>,
}

impl Encoder {
    /// An encoder for `cfg` (its `ec` clamped to this crate's bounds, see
    /// [`ErrorCorrection`]).
    pub fn new(cfg: &UdptlConfig) -> Self {
        Self {
            ec: cfg.ec.clamped(),
            max_datagram: cfg.max_datagram,
            seq: 0,
            history: VecDeque::new(),
        }
    }

    /// The error correction in force (after clamping).
    pub fn error_correction(&self) -> ErrorCorrection {
        self.ec
    }

    /// The sequence number the next datagram will carry.
    pub fn next_seq(&self) -> u16 {
        self.seq
    }

    /// Wraps `ifp` in the next datagram.
    ///
    /// Redundancy drops the oldest secondary IFPs, and FEC its parity entries, until the
    /// datagram fits `max_datagram`; if the primary alone does not fit, nothing is sent and
    /// the sequence number is not used. For FEC, the first datagrams carry fewer entries
    /// (none until `span` IFPs have been sent), as Asterisk and spandsp do.
    pub fn encode(&mut self, ifp: &[u8]) -> Result<Vec<u8>, EncodeError> {
        self.encode_with_depth(ifp, u8::MAX)
    }

    /// [`Encoder::encode`] with at most `depth` secondary IFPs in this datagram (redundancy
    /// mode; the configured depth still caps it): TR-104 gives T.30 control and image
    /// data their own redundancy (`LowSpeedRedundancy`, `HighSpeedRedundancy`). Other
    /// modes ignore `depth`.
    pub fn encode_with_depth(&mut self, ifp: &[u8], depth: u8) -> Result<Vec<u8>, EncodeError> {
        if ifp.is_empty() {
            return Err(EncodeError::EmptyIfp);
        }
        if ifp.len() > per::MAX_LEN {
            return Err(EncodeError::IfpTooLarge(ifp.len()));
        }
        // seq + primary + the smallest error-recovery part of the mode.
        let minimal = 2
            + per::len_size(ifp.len())
            + ifp.len()
            + match self.ec {
                // choice octet + count 0
                ErrorCorrection::None | ErrorCorrection::Redundancy { .. } => 2,
                // choice octet + npackets (2 octets) + count 0
                ErrorCorrection::Fec { .. } => 4,
            };
        if minimal > self.max_datagram {
            return Err(EncodeError::DatagramTooSmall {
                needed: minimal,
                max: self.max_datagram,
            });
        }
        let out = match self.ec {
            ErrorCorrection::None => self.build(ifp, Recovery::Redundancy(Vec::new()))?,
            ErrorCorrection::Redundancy { depth: most } => {
                let mut n = usize::from(most.min(depth)).min(self.history.len());
                loop {
                    let list = self
                        .history
                        .iter()
                        .rev()
                        .take(n)
                        .map(Vec::as_slice)
                        .collect();
                    let out = self.build(ifp, Recovery::Redundancy(list))?;
                    if out.len() <= self.max_datagram || n == 0 {
                        break out;
                    }
                    n -= 1;
                }
            }
            ErrorCorrection::Fec { span, entries } => {
                let span = usize::from(span);
                // Wind up: only as many entries as the history covers.
                let mut entries = usize::from(entries).min(self.history.len() / span);
                loop {
                    let parity = self.parity(span, entries);
                    let npackets = if entries == 0 { 0 } else { span as u32 };
                    let data = parity.iter().map(Vec::as_slice).collect();
                    let out = self.build(ifp, Recovery::Fec { npackets, data })?;
                    if out.len() <= self.max_datagram || entries == 0 {
                        break out;
                    }
                    entries -= 1;
                }
            }
        };
        self.seq = self.seq.wrapping_add(1);
        let keep = self.ec.history();
        if keep > 0 {
            if self.history.len() == keep {
                self.history.pop_front();
            }
            self.history.push_back(ifp.to_vec());
        }
        Ok(out)
    }

    /// Test hook: start numbering at `seq`.
    #[cfg(test)]
    pub(crate) fn set_next_seq(&mut self, seq: u16) {
        self.seq = seq;
    }

    fn build(&self, ifp: &[u8], recovery: Recovery<'_>) -> Result<Vec<u8>, EncodeError> {
        Packet {
            seq: self.seq,
            primary: ifp,
            recovery,
        }
        .to_vec()
    }

    /// The `entries` parity entries over the last `span * entries` IFPs.
    fn parity(&self, span: usize, entries: usize) -> Vec<Vec<u8>> {
        let len = self.history.len();
        (0..entries)
            .map(|k| {
                let mut acc: Vec<u8> = Vec::new();
                for j in 0..span {
                    // seq + k - span*entries + j*entries, as a distance back from seq.
                    let back = span * entries - k - j * entries;
                    let ifp = &self.history[len - back];
                    if acc.len() < ifp.len() {
                        acc.resize(ifp.len(), 0);
                    }
                    acc.iter_mut().zip(ifp).for_each(|(a, b)| *a ^= b);
                }
                acc
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::parse;

    fn cfg(ec: ErrorCorrection, max_datagram: usize) -> UdptlConfig {
        UdptlConfig {
            ec,
            max_datagram,
            max_ifp: 1000,
        }
    }

    #[test]
    fn none_mode_by_hand() {
        let mut e = Encoder::new(&cfg(ErrorCorrection::None, 100));
        assert_eq!(
            e.encode(&[0x04]).unwrap(),
            [0x00, 0x00, 0x01, 0x04, 0x00, 0x00]
        );
        assert_eq!(
            e.encode(&[0x06]).unwrap(),
            [0x00, 0x01, 0x01, 0x06, 0x00, 0x00]
        );
        assert_eq!(e.next_seq(), 2);
    }

    #[test]
    fn redundancy_winds_up_most_recent_first() {
        let mut e = Encoder::new(&cfg(ErrorCorrection::Redundancy { depth: 2 }, 100));
        assert_eq!(e.encode(&[1]).unwrap(), [0, 0, 1, 1, 0x00, 0]);
        assert_eq!(e.encode(&[2]).unwrap(), [0, 1, 1, 2, 0x00, 1, 1, 1]);
        // seq 2: primary 3, secondaries 2 (seq 1) then 1 (seq 0).
        assert_eq!(e.encode(&[3]).unwrap(), [0, 2, 1, 3, 0x00, 2, 1, 2, 1, 1]);
        assert_eq!(e.encode(&[4]).unwrap(), [0, 3, 1, 4, 0x00, 2, 1, 3, 1, 2]);
    }

    #[test]
    fn fec_by_hand() {
        // span 2, entries 1: entry 0 of seq s covers s-2, s-1.
        let mut e = Encoder::new(&cfg(
            ErrorCorrection::Fec {
                span: 2,
                entries: 1,
            },
            100,
        ));
        // Nothing to cover yet: npackets 0, no entries.
        assert_eq!(e.encode(&[0x10]).unwrap(), [0, 0, 1, 0x10, 0x80, 1, 0, 0]);
        assert_eq!(
            e.encode(&[0x20, 0x01]).unwrap(),
            [0, 1, 2, 0x20, 0x01, 0x80, 1, 0, 0]
        );
        // 0x10 ^ 0x20 = 0x30, then 0x01 (the shorter one padded with zero).
        assert_eq!(
            e.encode(&[0x40]).unwrap(),
            [0, 2, 1, 0x40, 0x80, 1, 2, 1, 2, 0x30, 0x01]
        );
        // (0x20 0x01) ^ (0x40) = 0x60 0x01.
        assert_eq!(
            e.encode(&[0x80]).unwrap(),
            [0, 3, 1, 0x80, 0x80, 1, 2, 1, 2, 0x60, 0x01]
        );
    }

    #[test]
    fn fec_interleaving() {
        let mut e = Encoder::new(&cfg(
            ErrorCorrection::Fec {
                span: 3,
                entries: 2,
            },
            1000,
        ));
        let ifps: Vec<Vec<u8>> = (0..10u8).map(|i| vec![1 << (i % 8), i]).collect();
        let mut last = Vec::new();
        for ifp in &ifps {
            last = e.encode(ifp).unwrap();
        }
        let p = parse(&last).unwrap();
        assert_eq!(p.seq, 9);
        let crate::packet::Recovery::Fec { npackets, data } = p.recovery else {
            panic!("{:?}", p.recovery)
        };
        assert_eq!(npackets, 3);
        assert_eq!(data.len(), 2);
        // Entry k covers 9 + k - 6 + 2j: k=0 -> 3, 5, 7; k=1 -> 4, 6, 8.
        for (k, seqs) in [[3usize, 5, 7], [4, 6, 8]].iter().enumerate() {
            let mut x = vec![0u8; 2];
            for s in seqs {
                x.iter_mut().zip(&ifps[*s]).for_each(|(a, b)| *a ^= b);
            }
            assert_eq!(data[k], x.as_slice(), "entry {k}");
        }
    }

    #[test]
    fn trims_oldest_redundancy_to_fit() {
        let mut e = Encoder::new(&cfg(ErrorCorrection::Redundancy { depth: 3 }, 40));
        for i in 0..3u8 {
            e.encode(&[i; 10]).unwrap();
        }
        // seq(2) + primary(1+10) + choice(1) + count(1) = 15; each secondary 11.
        // 15 + 11 + 11 = 37 fits, a third secondary (48) does not.
        let out = e.encode(&[9; 10]).unwrap();
        assert_eq!(out.len(), 37);
        let p = parse(&out).unwrap();
        assert_eq!(
            p.recovery,
            Recovery::Redundancy(vec![&[2u8; 10][..], &[1u8; 10][..]])
        );
        // A primary that alone does not fit is refused and uses no sequence number.
        assert_eq!(
            e.encode(&[7; 36]),
            Err(EncodeError::DatagramTooSmall {
                needed: 41,
                max: 40
            })
        );
        assert_eq!(e.next_seq(), 4);
        // Exactly fitting alone: no secondaries at all.
        let out = e.encode(&[7; 35]).unwrap();
        assert_eq!(out.len(), 40);
        assert_eq!(parse(&out).unwrap().recovery, Recovery::Redundancy(vec![]));
    }

    #[test]
    fn trims_fec_entries_to_fit() {
        let mut e = Encoder::new(&cfg(
            ErrorCorrection::Fec {
                span: 2,
                entries: 2,
            },
            30,
        ));
        for i in 0..4u8 {
            e.encode(&[i; 8]).unwrap();
        }
        // seq 2 + primary 9 + 0x80 + npackets 2 + count 1 = 15; each entry 9: two = 33 > 30.
        let p = e.encode(&[5; 8]).unwrap();
        assert_eq!(p.len(), 24);
        let Recovery::Fec { npackets, data } = parse(&p).unwrap().recovery else {
            panic!()
        };
        assert_eq!((npackets, data.len()), (2, 1));
    }

    #[test]
    fn clamps_and_refusals() {
        let e = Encoder::new(&cfg(
            ErrorCorrection::Fec {
                span: 5,
                entries: 9,
            },
            100,
        ));
        assert_eq!(
            e.error_correction(),
            ErrorCorrection::Fec {
                span: 5,
                entries: 3
            }
        );
        let e = Encoder::new(&cfg(
            ErrorCorrection::Fec {
                span: 0,
                entries: 0,
            },
            100,
        ));
        assert_eq!(
            e.error_correction(),
            ErrorCorrection::Fec {
                span: 1,
                entries: 1
            }
        );
        let e = Encoder::new(&cfg(ErrorCorrection::Redundancy { depth: 200 }, 100));
        assert_eq!(
            e.error_correction(),
            ErrorCorrection::Redundancy { depth: 16 }
        );
        let mut e = Encoder::new(&cfg(ErrorCorrection::None, 100_000));
        assert_eq!(e.encode(&[]), Err(EncodeError::EmptyIfp));
        assert_eq!(
            e.encode(&[0; 16_384]),
            Err(EncodeError::IfpTooLarge(16_384))
        );
        assert_eq!(e.encode(&[0; 16_383]).unwrap().len(), 2 + 2 + 16_383 + 2);
    }

    #[test]
    fn depth_per_datagram_is_capped_by_the_configured_one() {
        let mut e = Encoder::new(&cfg(ErrorCorrection::Redundancy { depth: 3 }, 400));
        for i in 0..4u8 {
            e.encode(&[i + 1]).unwrap();
        }
        let one = e.encode_with_depth(&[9], 1).unwrap();
        let Recovery::Redundancy(list) = crate::parse(&one).unwrap().recovery else {
            panic!("redundancy");
        };
        assert_eq!(list, vec![&[4u8][..]]);
        let all = e.encode_with_depth(&[10], 9).unwrap();
        let Recovery::Redundancy(list) = crate::parse(&all).unwrap().recovery else {
            panic!("redundancy");
        };
        assert_eq!(list.len(), 3, "the configured depth caps it");
        assert_eq!(list[0], &[9u8][..], "most recent first");
    }

    #[test]
    fn sequence_wraps() {
        let mut e = Encoder::new(&cfg(ErrorCorrection::Redundancy { depth: 1 }, 100));
        e.seq = 65535;
        assert_eq!(&e.encode(&[1]).unwrap()[..2], [0xFF, 0xFF]);
        assert_eq!(&e.encode(&[2]).unwrap()[..2], [0x00, 0x00]);
        assert_eq!(e.next_seq(), 1);
    }
}

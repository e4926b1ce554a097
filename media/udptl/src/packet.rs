//! The UDPTL packet (T.38 §9.1, Annex A), read zero-copy and written.
//!
//! ```text
//! UDPTLPacket ::= SEQUENCE {
//!   seq-number          INTEGER (0..65535),                 -- 2 octets, big-endian
//!   primary-ifp-packet  TYPE-IDENTIFIER.&Type(IFPPacket),   -- open type: length + octets
//!   error-recovery      CHOICE {                            -- 1 bit + 7 padding bits:
//!     secondary-ifp-packets SEQUENCE OF TYPE-IDENTIFIER.&Type(IFPPacket),   -- 0x00, count, open types
//!     fec-info SEQUENCE { fec-npackets INTEGER,             -- 0x80, length + octets,
//!                         fec-data SEQUENCE OF OCTET STRING } } }   -- count, length + octets each
//! ```
//!
//! Every length (open type, SEQUENCE OF count, OCTET STRING, INTEGER) is an X.691 aligned
//! PER length determinant: one octet below 128, two octets (`0x80 | hi`, `lo`) below 16384.
//! Secondary IFPs run most recent first: `seq - 1`, `seq - 2`, ...

use crate::error::{DecodeError, EncodeError};
use crate::per;

/// The error-recovery part of a UDPTL packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery<'a> {
    /// `secondary-ifp-packets`: earlier IFPs, most recent first (`seq - 1`, `seq - 2`, ...).
    /// Empty when no error correction is in use.
    Redundancy(Vec<&'a [u8]>),
    /// `fec-info`: parity over earlier IFPs (T.38 §9.1, Annex C).
    Fec {
        /// `fec-npackets`: how many IFPs each parity entry covers (the span).
        npackets: u32,
        /// `fec-data`: one parity entry per interleaved group.
        data: Vec<&'a [u8]>,
    },
}

/// A UDPTL packet borrowing the datagram it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<'a> {
    /// `seq-number`.
    pub seq: u16,
    /// `primary-ifp-packet`: the IFP for `seq`.
    pub primary: &'a [u8],
    /// `error-recovery`.
    pub recovery: Recovery<'a>,
}

/// Parses one UDPTL datagram (zero-copy).
///
/// Refuses: truncation anywhere, a fragmented length determinant, an empty primary IFP, a
/// negative or over-wide `fec-npackets`, and octets after the packet. The padding bits after
/// the error-recovery choice bit are ignored. Nothing is allocated from a length field: the
/// lists grow only as their entries are actually read from the datagram.
pub fn parse(datagram: &[u8]) -> Result<Packet<'_>, DecodeError> {
    let seq = match datagram {
        [hi, lo, ..] => u16::from_be_bytes([*hi, *lo]),
        _ => return Err(DecodeError::Truncated),
    };
    let mut pos = 2;
    let primary = per::read_octets(datagram, &mut pos)?;
    if primary.is_empty() {
        return Err(DecodeError::EmptyPrimary);
    }
    let choice = *datagram.get(pos).ok_or(DecodeError::Truncated)?;
    pos += 1;
    let recovery = if choice & 0x80 == 0 {
        let count = per::read_len(datagram, &mut pos)?;
        let mut list = Vec::new();
        for _ in 0..count {
            list.push(per::read_octets(datagram, &mut pos)?);
        }
        Recovery::Redundancy(list)
    } else {
        let npackets = per::read_uint(datagram, &mut pos)?;
        let count = per::read_len(datagram, &mut pos)?;
        let mut data = Vec::new();
        for _ in 0..count {
            data.push(per::read_octets(datagram, &mut pos)?);
        }
        Recovery::Fec { npackets, data }
    };
    if pos != datagram.len() {
        return Err(DecodeError::TrailingBytes(datagram.len() - pos));
    }
    Ok(Packet {
        seq,
        primary,
        recovery,
    })
}

impl Packet<'_> {
    /// Octets [`Packet::write`] appends.
    pub fn encoded_len(&self) -> usize {
        fn octets(d: &[u8]) -> usize {
            per::len_size(d.len()) + d.len()
        }
        let recovery = match &self.recovery {
            Recovery::Redundancy(list) => {
                1 + per::len_size(list.len()) + list.iter().map(|d| octets(d)).sum::<usize>()
            }
            Recovery::Fec { npackets, data } => {
                let mut n = Vec::new();
                per::write_uint(&mut n, *npackets);
                1 + n.len()
                    + per::len_size(data.len())
                    + data.iter().map(|d| octets(d)).sum::<usize>()
            }
        };
        2 + octets(self.primary) + recovery
    }

    /// Appends the aligned-PER encoding of this packet to `out`.
    ///
    /// Refuses an empty primary or secondary IFP (an open type is never empty) and any IFP,
    /// FEC entry or list of 16384 or more (which would need the fragmented length form).
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        fn check_ifp(d: &[u8]) -> Result<(), EncodeError> {
            if d.is_empty() {
                Err(EncodeError::EmptyIfp)
            } else if d.len() > per::MAX_LEN {
                Err(EncodeError::IfpTooLarge(d.len()))
            } else {
                Ok(())
            }
        }
        check_ifp(self.primary)?;
        match &self.recovery {
            Recovery::Redundancy(list) => {
                if list.len() > per::MAX_LEN {
                    return Err(EncodeError::IfpTooLarge(list.len()));
                }
                list.iter().try_for_each(|d| check_ifp(d))?;
            }
            Recovery::Fec { data, .. } => {
                if data.len() > per::MAX_LEN {
                    return Err(EncodeError::IfpTooLarge(data.len()));
                }
                if let Some(d) = data.iter().find(|d| d.len() > per::MAX_LEN) {
                    return Err(EncodeError::IfpTooLarge(d.len()));
                }
            }
        }
        out.reserve(self.encoded_len());
        out.extend_from_slice(&self.seq.to_be_bytes());
        per::write_octets(out, self.primary);
        match &self.recovery {
            Recovery::Redundancy(list) => {
                out.push(0x00);
                per::write_len(out, list.len());
                list.iter().for_each(|d| per::write_octets(out, d));
            }
            Recovery::Fec { npackets, data } => {
                out.push(0x80);
                per::write_uint(out, *npackets);
                per::write_len(out, data.len());
                data.iter().for_each(|d| per::write_octets(out, d));
            }
        }
        Ok(())
    }

    /// The encoding as a new vector (see [`Packet::write`]).
    pub fn to_vec(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        self.write(&mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No error recovery, seq 5, primary = the CED indicator.
    ///
    /// * `00 05` — seq-number 5 (INTEGER (0..65535): 16 bits, octet-aligned).
    /// * `01` — open-type length 1.
    /// * `04` — the IFP: CED indicator (see `ifp.rs`).
    /// * `00` — error-recovery choice 0 (secondary-ifp-packets), then 7 padding bits.
    /// * `00` — SEQUENCE OF count 0.
    const NONE_CED: [u8; 6] = [0x00, 0x05, 0x01, 0x04, 0x00, 0x00];

    /// Redundancy, seq 0x1234, primary = v21 HDLC data `FF 03`, two secondaries.
    ///
    /// * `12 34` — seq-number 0x1234.
    /// * `07` + `C0 01 80 00 01 FF 03` — open type of 7 octets: the IFP (t30-data v21 with
    ///   one hdlc-data field of 2 octets, T.38 version 2+, see `ifp.rs`).
    /// * `00` — choice 0, secondary-ifp-packets.
    /// * `02` — two secondaries.
    /// * `01 06` — seq 0x1233: the V.21 preamble indicator.
    /// * `01 02` — seq 0x1232: the CNG indicator.
    const REDUNDANCY: [u8; 16] = [
        0x12, 0x34, 0x07, 0xC0, 0x01, 0x80, 0x00, 0x01, 0xFF, 0x03, 0x00, 0x02, 0x01, 0x06, 0x01,
        0x02,
    ];

    /// FEC, seq 9, primary = no-signal, npackets 3, two parity entries.
    ///
    /// * `00 09` — seq-number 9.
    /// * `01 00` — open type of 1 octet: the no-signal indicator.
    /// * `80` — choice 1, fec-info, then 7 padding bits.
    /// * `01 03` — fec-npackets: INTEGER of 1 octet, value 3.
    /// * `02` — two fec-data entries.
    /// * `02 0A 0B`, `01 0C` — OCTET STRINGs of 2 and 1 octets.
    const FEC: [u8; 13] = [
        0x00, 0x09, 0x01, 0x00, 0x80, 0x01, 0x03, 0x02, 0x02, 0x0A, 0x0B, 0x01, 0x0C,
    ];

    #[test]
    fn hand_vectors_parse_and_round_trip() {
        let p = parse(&NONE_CED).unwrap();
        assert_eq!(p.seq, 5);
        assert_eq!(p.primary, [0x04]);
        assert_eq!(p.recovery, Recovery::Redundancy(vec![]));
        assert_eq!(p.to_vec().unwrap(), NONE_CED);

        let p = parse(&REDUNDANCY).unwrap();
        assert_eq!(p.seq, 0x1234);
        assert_eq!(p.primary, [0xC0, 0x01, 0x80, 0x00, 0x01, 0xFF, 0x03]);
        assert_eq!(
            p.recovery,
            Recovery::Redundancy(vec![&[0x06][..], &[0x02][..]])
        );
        assert_eq!(p.to_vec().unwrap(), REDUNDANCY);
        assert_eq!(p.encoded_len(), REDUNDANCY.len());

        let p = parse(&FEC).unwrap();
        assert_eq!(p.seq, 9);
        assert_eq!(p.primary, [0x00]);
        assert_eq!(
            p.recovery,
            Recovery::Fec {
                npackets: 3,
                data: vec![&[0x0A, 0x0B][..], &[0x0C][..]]
            }
        );
        assert_eq!(p.to_vec().unwrap(), FEC);
        assert_eq!(p.encoded_len(), FEC.len());
    }

    #[test]
    fn two_octet_lengths() {
        let ifp = vec![0x55u8; 300];
        let p = Packet {
            seq: 65535,
            primary: &ifp,
            recovery: Recovery::Redundancy(vec![&ifp]),
        };
        let bytes = p.to_vec().unwrap();
        // 300 = 0x012C -> `81 2C`.
        assert_eq!(&bytes[..4], [0xFF, 0xFF, 0x81, 0x2C]);
        assert_eq!(&bytes[304..308], [0x00, 0x01, 0x81, 0x2C]);
        assert_eq!(parse(&bytes).unwrap(), p);
    }

    #[test]
    fn malformed() {
        assert_eq!(parse(&[]), Err(DecodeError::Truncated));
        assert_eq!(parse(&[0]), Err(DecodeError::Truncated));
        assert_eq!(parse(&[0, 0]), Err(DecodeError::Truncated));
        assert_eq!(parse(&[0, 0, 0, 0, 0]), Err(DecodeError::EmptyPrimary));
        assert_eq!(parse(&NONE_CED[..4]), Err(DecodeError::Truncated));
        assert_eq!(parse(&NONE_CED[..5]), Err(DecodeError::Truncated));
        let mut t = NONE_CED.to_vec();
        t.push(0);
        assert_eq!(parse(&t), Err(DecodeError::TrailingBytes(1)));
        let mut f = NONE_CED.to_vec();
        f[2] = 0xC1;
        assert_eq!(parse(&f), Err(DecodeError::Fragmented(0xC1)));
        // Inflated secondary count: fails on the data, allocates nothing up front.
        let mut c = NONE_CED.to_vec();
        c[5] = 0xBF;
        c.push(0xFF);
        assert_eq!(parse(&c), Err(DecodeError::Truncated));
        for cut in 0..REDUNDANCY.len() {
            assert!(parse(&REDUNDANCY[..cut]).is_err(), "{cut}");
        }
        for cut in 0..FEC.len() {
            assert!(parse(&FEC[..cut]).is_err(), "{cut}");
        }
        let mut neg = FEC.to_vec();
        neg[6] = 0x83;
        assert_eq!(parse(&neg), Err(DecodeError::BadFecNpackets));
    }

    #[test]
    fn write_refuses_what_cannot_be_encoded() {
        let p = Packet {
            seq: 1,
            primary: &[],
            recovery: Recovery::Redundancy(vec![]),
        };
        assert_eq!(p.to_vec(), Err(EncodeError::EmptyIfp));
        let big = vec![0u8; 16_384];
        let p = Packet {
            seq: 1,
            primary: &big,
            recovery: Recovery::Redundancy(vec![]),
        };
        assert_eq!(p.to_vec(), Err(EncodeError::IfpTooLarge(16_384)));
        let p = Packet {
            seq: 1,
            primary: &[1],
            recovery: Recovery::Redundancy(vec![&[]]),
        };
        assert_eq!(p.to_vec(), Err(EncodeError::EmptyIfp));
    }
}

//! UDPTL, the UDP transport of ITU-T T.38 fax relay (T.38 §9.1, Annex A), sans-IO.
//!
//! * [`parse`] reads a datagram zero-copy into a [`Packet`]: sequence number, primary IFP,
//!   and its [`Recovery`] part (secondary IFPs, or parity FEC); [`Packet::write`] writes one.
//! * [`Encoder`] numbers IFPs into datagrams with the negotiated [`ErrorCorrection`]
//!   (SDP `T38FaxUdpEC`: none, `t38UDPRedundancy`, `t38UDPFEC`), within the far end's
//!   `T38FaxMaxDatagram`.
//! * [`Receiver`] hands IFPs back in sequence order, exactly once, rebuilding lost ones from
//!   redundancy or FEC, with [`UdptlStats`].
//! * [`check_ifp`] checks the structure of a T.38 IFP packet (Annex A) for a T.38 version;
//!   [`encode_ifp`] writes one.
//!
//! The encoding is ASN.1 ALIGNED PER (X.691), written by hand: no Rust crate of the field
//! implements UDPTL or T.38's ASN.1, and the subset needed is small (a 16-bit integer,
//! octet-aligned length determinants, open types, two extensible enumerations). The layout
//! was settled from the T.38 ASN.1 modules and X.691, compared with Asterisk's
//! `main/udptl.c` and spandsp's `t38_core.c`, and is checked in the tests against tshark's
//! independent T.38 dissector. FEC follows the scheme those implementations share: parity
//! entry `k` of a datagram is the XOR of `span` earlier IFPs interleaved by the number of
//! entries, padded with zeros to the longest.
//!
//! Everything read is untrusted: sizes are bounded (lengths below 16384, the fragmented
//! length form refused, IFPs at most `max_ifp`, [`HISTORY`] earlier IFPs, [`QUEUE_CAP`]
//! queued ones), nothing is allocated from a length field before the data is there, a
//! sequence number more than [`MAX_GAP`] away is believed only when the next datagram
//! follows it, and nothing panics. There are no sockets, clocks, threads or random numbers here.
//!
//! # A lost datagram recovered
//!
//! ```
//! use tipring_udptl::{check_ifp, Encoder, ErrorCorrection, Receiver, UdptlConfig};
//!
//! let cfg = UdptlConfig {
//!     ec: ErrorCorrection::Redundancy { depth: 2 },
//!     max_datagram: 400,
//!     max_ifp: 400,
//! };
//! let mut tx = Encoder::new(&cfg);
//! let mut rx = Receiver::new(&cfg);
//!
//! // IFPs as the T.38 layer produces them: CED, V.21 preamble, then V.21 HDLC data.
//! let ifps: [&[u8]; 3] = [&[0x04], &[0x06], &[0xC0, 0x01, 0x80, 0x00, 0x01, 0xFF, 0x13]];
//! assert!(ifps.iter().all(|ifp| check_ifp(ifp, 2).is_ok()));
//! let datagrams: Vec<Vec<u8>> = ifps.iter().map(|ifp| tx.encode(ifp).unwrap()).collect();
//!
//! // The network loses the second datagram.
//! rx.receive(&datagrams[0]).unwrap();
//! rx.receive(&datagrams[2]).unwrap();
//!
//! let got: Vec<_> = std::iter::from_fn(|| rx.poll()).collect();
//! assert_eq!(got.len(), 3);
//! assert_eq!((got[1].seq, got[1].data.as_slice(), got[1].recovered), (1, ifps[1], true));
//! assert_eq!(rx.stats().recovered, 1);
//! assert_eq!(rx.stats().lost, 0);
//! ```

#![forbid(unsafe_code)]

pub mod encoder;
pub mod error;
pub mod ifp;
pub mod packet;
mod per;
pub mod receiver;

pub use encoder::{Encoder, ErrorCorrection, UdptlConfig, HISTORY};
pub use error::{DecodeError, EncodeError, Error, IfpError, Result};
pub use ifp::{check_ifp, encode_ifp, field_type_name, IfpInfo, MsgType};
pub use packet::{parse, Packet, Recovery};
pub use receiver::{Ifp, Receiver, UdptlStats, MAX_GAP, QUEUE_CAP};

//! RTP packets (RFC 3550 §5.1): a zero-copy reader, a writer into a caller buffer, RFC 8285
//! header extensions read on demand, and the RFC 7983 / RFC 5761 datagram demultiplexer.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |V=2|P|X|  CC   |M|     PT      |       sequence number         |
//! |                           timestamp                           |
//! |           synchronization source (SSRC) identifier            |
//! |            contributing source (CSRC) identifiers             |  x CC
//! | [profile-defined 16 bits]     | [extension length in words]   |  if X
//! | [extension data ...]                                          |
//! | payload ...                   | [padding ... | pad count]     |  if P
//! ```

use crate::error::{ensure_room, Result, RtpError};

/// The only RTP version this crate speaks.
pub const RTP_VERSION: u8 = 2;
/// Length of the fixed RTP header.
pub const RTP_HEADER_LEN: usize = 12;
/// Profile value of an RFC 8285 one-byte header extension block.
pub const ONE_BYTE_PROFILE: u16 = 0xBEDE;
/// Profile value (upper 12 bits) of an RFC 8285 two-byte header extension block.
pub const TWO_BYTE_PROFILE: u16 = 0x1000;

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A validated RTP packet borrowing the datagram it was read from.
///
/// All structural checks happen in [`RtpPacket::parse`]; the accessors are then plain
/// loads. RFC 8285 extension elements are read lazily by [`HeaderExtension::elements`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    data: &'a [u8],
    /// Offset of the extension header (if X), else the payload start.
    ext_at: usize,
    payload_at: usize,
    payload_end: usize,
}

impl<'a> RtpPacket<'a> {
    /// Parse and validate `data` (RFC 3550 §5.1, A.1 header validity checks).
    ///
    /// Rejects: short datagrams, version != 2, a CSRC count beyond the datagram, an
    /// extension header or extension beyond the datagram, a P bit without a count byte, a
    /// zero padding count, or a padding count larger than what follows the header.
    pub fn parse(data: &'a [u8]) -> std::result::Result<Self, RtpError> {
        if data.len() < RTP_HEADER_LEN {
            return Err(RtpError::TooShort { len: data.len() });
        }
        let b0 = data[0];
        let version = b0 >> 6;
        if version != RTP_VERSION {
            return Err(RtpError::BadVersion(version));
        }
        let cc = b0 & 0x0F;
        let ext_at = RTP_HEADER_LEN + 4 * usize::from(cc);
        if ext_at > data.len() {
            return Err(RtpError::CsrcOverrun { count: cc });
        }
        let mut payload_at = ext_at;
        if b0 & 0x10 != 0 {
            if ext_at + 4 > data.len() {
                return Err(RtpError::ExtensionHeaderOverrun);
            }
            let words = be16(data, ext_at + 2);
            payload_at = ext_at + 4 + 4 * usize::from(words);
            if payload_at > data.len() {
                return Err(RtpError::ExtensionOverrun { words });
            }
        }
        let mut payload_end = data.len();
        if b0 & 0x20 != 0 {
            let available = data.len() - payload_at;
            if available == 0 {
                return Err(RtpError::PaddingMissing);
            }
            let padding = data[data.len() - 1];
            if padding == 0 {
                return Err(RtpError::PaddingZero);
            }
            if usize::from(padding) > available {
                return Err(RtpError::PaddingOverrun { padding, available });
            }
            payload_end -= usize::from(padding);
        }
        Ok(Self {
            data,
            ext_at,
            payload_at,
            payload_end,
        })
    }

    /// The whole datagram.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// The P bit.
    pub fn has_padding(&self) -> bool {
        self.data[0] & 0x20 != 0
    }

    /// Number of padding bytes (including the count byte); 0 without the P bit.
    pub fn padding_len(&self) -> usize {
        self.data.len() - self.payload_end
    }

    /// The X bit.
    pub fn has_extension(&self) -> bool {
        self.data[0] & 0x10 != 0
    }

    /// The CC field.
    pub fn csrc_count(&self) -> usize {
        usize::from(self.data[0] & 0x0F)
    }

    /// The M bit.
    pub fn marker(&self) -> bool {
        self.data[1] & 0x80 != 0
    }

    /// The payload type (7 bits).
    pub fn payload_type(&self) -> u8 {
        self.data[1] & 0x7F
    }

    /// The 16-bit sequence number.
    pub fn sequence_number(&self) -> u16 {
        be16(self.data, 2)
    }

    /// The RTP timestamp.
    pub fn timestamp(&self) -> u32 {
        be32(self.data, 4)
    }

    /// The synchronisation source.
    pub fn ssrc(&self) -> u32 {
        be32(self.data, 8)
    }

    /// The `i`-th contributing source, if `i < csrc_count()`.
    pub fn csrc(&self, i: usize) -> Option<u32> {
        (i < self.csrc_count()).then(|| be32(self.data, RTP_HEADER_LEN + 4 * i))
    }

    /// The contributing sources in order.
    pub fn csrcs(&self) -> impl Iterator<Item = u32> + 'a {
        let data = self.data;
        (0..self.csrc_count()).map(move |i| be32(data, RTP_HEADER_LEN + 4 * i))
    }

    /// The header extension (RFC 3550 §5.3.1), if the X bit is set.
    pub fn extension(&self) -> Option<HeaderExtension<'a>> {
        self.has_extension().then(|| HeaderExtension {
            profile: be16(self.data, self.ext_at),
            data: &self.data[self.ext_at + 4..self.payload_at],
        })
    }

    /// The payload, without header, extension or padding.
    pub fn payload(&self) -> &'a [u8] {
        &self.data[self.payload_at..self.payload_end]
    }

    /// The header fields as a writer description (CSRCs copied into `csrc_buf`).
    pub fn header<'b>(&self, csrc_buf: &'b mut [u32; 15]) -> RtpHeader<'b>
    where
        'a: 'b,
    {
        let n = self.csrc_count();
        for (slot, c) in csrc_buf.iter_mut().zip(self.csrcs()) {
            *slot = c;
        }
        RtpHeader {
            marker: self.marker(),
            payload_type: self.payload_type(),
            sequence_number: self.sequence_number(),
            timestamp: self.timestamp(),
            ssrc: self.ssrc(),
            csrcs: &csrc_buf[..n],
            extension: self.extension(),
        }
    }
}

/// An RTP header extension block: the 16-bit profile value and the data words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderExtension<'a> {
    /// The "defined by profile" field (0xBEDE for RFC 8285 one-byte, 0x100x for two-byte).
    pub profile: u16,
    /// The extension data (a multiple of 4 bytes).
    pub data: &'a [u8],
}

/// RFC 8285 element layout of a header extension block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionForm {
    /// One-byte headers (profile 0xBEDE).
    OneByte,
    /// Two-byte headers (profile 0x100x); `appbits` is the low 4 bits.
    TwoByte {
        /// The 4 application bits.
        appbits: u8,
    },
    /// Some other profile-defined extension, opaque here.
    Other,
}

impl<'a> HeaderExtension<'a> {
    /// The RFC 8285 form of this block.
    pub fn form(&self) -> ExtensionForm {
        if self.profile == ONE_BYTE_PROFILE {
            ExtensionForm::OneByte
        } else if self.profile & 0xFFF0 == TWO_BYTE_PROFILE {
            ExtensionForm::TwoByte {
                appbits: (self.profile & 0x0F) as u8,
            }
        } else {
            ExtensionForm::Other
        }
    }

    /// Iterate the RFC 8285 elements (empty for [`ExtensionForm::Other`]). A malformed
    /// element yields one `Err` and ends the iteration.
    pub fn elements(&self) -> ExtensionElements<'a> {
        ExtensionElements {
            data: self.data,
            pos: 0,
            form: self.form(),
            done: false,
        }
    }

    /// The first element with `id`, if the block is well formed up to it.
    pub fn get(&self, id: u8) -> Option<&'a [u8]> {
        self.elements()
            .map_while(|e| e.ok())
            .find(|e| e.id == id)
            .map(|e| e.data)
    }
}

/// One RFC 8285 header extension element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtensionElement<'a> {
    /// Local identifier (1..=14 one-byte, 1..=255 two-byte).
    pub id: u8,
    /// Element data.
    pub data: &'a [u8],
}

/// Iterator over RFC 8285 elements; see [`HeaderExtension::elements`].
#[derive(Debug, Clone)]
pub struct ExtensionElements<'a> {
    data: &'a [u8],
    pos: usize,
    form: ExtensionForm,
    done: bool,
}

impl<'a> Iterator for ExtensionElements<'a> {
    type Item = std::result::Result<ExtensionElement<'a>, RtpError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            if self.pos >= self.data.len() {
                self.done = true;
                return None;
            }
            let b = self.data[self.pos];
            match self.form {
                ExtensionForm::Other => {
                    self.done = true;
                    return None;
                }
                ExtensionForm::OneByte => {
                    // RFC 8285 §4.2: ID 0 is a padding byte; ID 15 stops processing.
                    let id = b >> 4;
                    if id == 0 {
                        self.pos += 1;
                        continue;
                    }
                    if id == 15 {
                        self.done = true;
                        return None;
                    }
                    let len = usize::from(b & 0x0F) + 1;
                    let start = self.pos + 1;
                    if start + len > self.data.len() {
                        self.done = true;
                        return Some(Err(RtpError::ExtensionElementOverrun));
                    }
                    self.pos = start + len;
                    return Some(Ok(ExtensionElement {
                        id,
                        data: &self.data[start..start + len],
                    }));
                }
                ExtensionForm::TwoByte { .. } => {
                    // RFC 8285 §4.3: ID 0 is a padding byte; the length may be 0.
                    if b == 0 {
                        self.pos += 1;
                        continue;
                    }
                    if self.pos + 2 > self.data.len() {
                        self.done = true;
                        return Some(Err(RtpError::ExtensionElementOverrun));
                    }
                    let len = usize::from(self.data[self.pos + 1]);
                    let start = self.pos + 2;
                    if start + len > self.data.len() {
                        self.done = true;
                        return Some(Err(RtpError::ExtensionElementOverrun));
                    }
                    self.pos = start + len;
                    return Some(Ok(ExtensionElement {
                        id: b,
                        data: &self.data[start..start + len],
                    }));
                }
            }
        }
    }
}

/// Write RFC 8285 elements into `buf` as an extension data block (zero-padded to a
/// multiple of 4). Returns the data length. One-byte form needs ids 1..=14 and 1..=16 bytes
/// of data; two-byte form ids 1..=255 and up to 255 bytes.
pub fn write_extension_elements(
    form: ExtensionForm,
    elements: &[ExtensionElement<'_>],
    buf: &mut [u8],
) -> Result<usize> {
    let mut pos = 0;
    for e in elements {
        match form {
            ExtensionForm::OneByte => {
                if !(1..=14).contains(&e.id) || e.data.is_empty() || e.data.len() > 16 {
                    return Err(crate::Error::InvalidArgument(
                        "one-byte extension: id 1..=14, 1..=16 bytes",
                    ));
                }
                ensure_room(buf, pos + 1 + e.data.len())?;
                buf[pos] = (e.id << 4) | (e.data.len() as u8 - 1);
                pos += 1;
            }
            ExtensionForm::TwoByte { .. } => {
                if e.id == 0 || e.data.len() > 255 {
                    return Err(crate::Error::InvalidArgument(
                        "two-byte extension: id 1..=255, up to 255 bytes",
                    ));
                }
                ensure_room(buf, pos + 2 + e.data.len())?;
                buf[pos] = e.id;
                buf[pos + 1] = e.data.len() as u8;
                pos += 2;
            }
            ExtensionForm::Other => {
                return Err(crate::Error::InvalidArgument(
                    "elements need the one- or two-byte form",
                ))
            }
        }
        buf[pos..pos + e.data.len()].copy_from_slice(e.data);
        pos += e.data.len();
    }
    let padded = pos.div_ceil(4) * 4;
    ensure_room(buf, padded)?;
    buf[pos..padded].fill(0);
    Ok(padded)
}

/// The header of an RTP packet to write (RFC 3550 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader<'a> {
    /// M bit.
    pub marker: bool,
    /// Payload type (0..=127).
    pub payload_type: u8,
    /// Sequence number.
    pub sequence_number: u16,
    /// RTP timestamp.
    pub timestamp: u32,
    /// Synchronisation source.
    pub ssrc: u32,
    /// Contributing sources (at most 15).
    pub csrcs: &'a [u32],
    /// Header extension (data length a multiple of 4, at most 65535 words).
    pub extension: Option<HeaderExtension<'a>>,
}

impl<'a> RtpHeader<'a> {
    /// A plain header: no CSRC, no extension.
    pub fn new(payload_type: u8, sequence_number: u16, timestamp: u32, ssrc: u32) -> Self {
        Self {
            marker: false,
            payload_type,
            sequence_number,
            timestamp,
            ssrc,
            csrcs: &[],
            extension: None,
        }
    }

    /// Bytes of header (fixed + CSRCs + extension).
    pub fn len(&self) -> usize {
        RTP_HEADER_LEN + 4 * self.csrcs.len() + self.extension.map_or(0, |e| 4 + e.data.len())
    }

    /// Always false: a header has at least 12 bytes.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Write header, `payload` and `padding` bytes of padding (0 = none; the filler is
    /// zeros and the last byte the count, RFC 3550 §5.1) into `buf`. Returns the packet
    /// length. Allocates nothing.
    pub fn write(&self, payload: &[u8], padding: u8, buf: &mut [u8]) -> Result<usize> {
        if self.payload_type > 127 {
            return Err(crate::Error::InvalidArgument("payload type above 127"));
        }
        if self.csrcs.len() > 15 {
            return Err(crate::Error::InvalidArgument("more than 15 CSRCs"));
        }
        if let Some(e) = self.extension {
            if e.data.len() % 4 != 0 || e.data.len() / 4 > usize::from(u16::MAX) {
                return Err(crate::Error::InvalidArgument(
                    "extension data must be whole 32-bit words",
                ));
            }
        }
        let hlen = self.len();
        let total = hlen + payload.len() + usize::from(padding);
        ensure_room(buf, total)?;
        buf[0] = (RTP_VERSION << 6)
            | if padding > 0 { 0x20 } else { 0 }
            | if self.extension.is_some() { 0x10 } else { 0 }
            | self.csrcs.len() as u8;
        buf[1] = (u8::from(self.marker) << 7) | self.payload_type;
        buf[2..4].copy_from_slice(&self.sequence_number.to_be_bytes());
        buf[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        buf[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        let mut pos = RTP_HEADER_LEN;
        for c in self.csrcs {
            buf[pos..pos + 4].copy_from_slice(&c.to_be_bytes());
            pos += 4;
        }
        if let Some(e) = self.extension {
            buf[pos..pos + 2].copy_from_slice(&e.profile.to_be_bytes());
            buf[pos + 2..pos + 4].copy_from_slice(&((e.data.len() / 4) as u16).to_be_bytes());
            buf[pos + 4..pos + 4 + e.data.len()].copy_from_slice(e.data);
            pos += 4 + e.data.len();
        }
        buf[pos..pos + payload.len()].copy_from_slice(payload);
        pos += payload.len();
        if padding > 0 {
            let end = pos + usize::from(padding);
            buf[pos..end - 1].fill(0);
            buf[end - 1] = padding;
            pos = end;
        }
        Ok(pos)
    }
}

/// What a datagram arriving on a media port is (RFC 7983 §7, RFC 5761 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatagramKind {
    /// STUN (first byte 0..=3).
    Stun,
    /// ZRTP (first byte 16..=19).
    Zrtp,
    /// DTLS (first byte 20..=63).
    Dtls,
    /// TURN channel data (first byte 64..=79).
    TurnChannel,
    /// RTP (first byte 128..=191, second byte outside 192..=223).
    Rtp,
    /// RTCP (first byte 128..=191, packet type 192..=223 — RFC 5761 §4).
    Rtcp,
    /// Anything else (empty, or a first byte no protocol claims).
    Unknown,
}

/// Classify a datagram received on a (possibly multiplexed) media port.
///
/// RFC 7983 splits by the first byte; RFC 5761 §4 then tells RTCP from RTP by the second
/// byte: RTCP packet types 192..=223 correspond to RTP payload types 64..=95 with the
/// marker bit set, which RFC 5761 forbids for RTP on a muxed port.
pub fn classify(datagram: &[u8]) -> DatagramKind {
    let Some(&b0) = datagram.first() else {
        return DatagramKind::Unknown;
    };
    match b0 {
        0..=3 => DatagramKind::Stun,
        16..=19 => DatagramKind::Zrtp,
        20..=63 => DatagramKind::Dtls,
        64..=79 => DatagramKind::TurnChannel,
        128..=191 => match datagram.get(1) {
            Some(192..=223) => DatagramKind::Rtcp,
            Some(_) => DatagramKind::Rtp,
            None => DatagramKind::Unknown,
        },
        _ => DatagramKind::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    /// RFC 3550 §5.1 layout built by hand: V=2, P=0, X=0, CC=0, M=1, PT=0 (PCMU),
    /// seq 0x1234, ts 0xDEADBEEF, SSRC 0x11223344, 4 bytes of payload.
    const PLAIN: [u8; 16] = [
        0x80, 0x80, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x11, 0x22, 0x33, 0x44, 0xFF, 0xFE, 0x7F,
        0x00,
    ];

    #[test]
    fn parses_fixed_header_fields() {
        let p = RtpPacket::parse(&PLAIN).unwrap();
        assert!(p.marker());
        assert_eq!(p.payload_type(), 0);
        assert_eq!(p.sequence_number(), 0x1234);
        assert_eq!(p.timestamp(), 0xDEAD_BEEF);
        assert_eq!(p.ssrc(), 0x1122_3344);
        assert_eq!(p.csrc_count(), 0);
        assert_eq!(p.payload(), &[0xFF, 0xFE, 0x7F, 0x00]);
        assert!(p.extension().is_none());
        assert_eq!(p.padding_len(), 0);
    }

    #[test]
    fn csrcs_extension_padding() {
        // CC=2, X=1 with an RFC 8285 one-byte block, P=1 with 3 bytes of padding.
        let mut b = vec![0xB2, 0x08, 0, 1, 0, 0, 0, 160, 0xAA, 0xBB, 0xCC, 0xDD];
        b.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2]); // CSRCs
        b.extend_from_slice(&[0xBE, 0xDE, 0, 1]); // one-byte profile, 1 word
        b.extend_from_slice(&[0x10, 0x42, 0x00, 0x00]); // id 1 len 1: 0x42, then padding
        b.extend_from_slice(&[9, 9]); // payload
        b.extend_from_slice(&[0, 0, 3]); // padding
        let p = RtpPacket::parse(&b).unwrap();
        assert_eq!(p.csrcs().collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(p.payload(), &[9, 9]);
        assert_eq!(p.padding_len(), 3);
        let ext = p.extension().unwrap();
        assert_eq!(ext.form(), ExtensionForm::OneByte);
        assert_eq!(ext.get(1), Some(&[0x42][..]));
        assert_eq!(ext.elements().count(), 1);
        // Re-serialise and compare bytes.
        let mut cs = [0u32; 15];
        let h = p.header(&mut cs);
        let mut out = [0u8; 64];
        let n = h
            .write(p.payload(), p.padding_len() as u8, &mut out)
            .unwrap();
        assert_eq!(&out[..n], &b[..]);
    }

    #[test]
    fn two_byte_extension_elements() {
        // RFC 8285 §4.3: two-byte header, zero-length element allowed, 0 = padding.
        let data = [0x05, 0x00, 0x07, 0x02, 0xAB, 0xCD, 0x00, 0x00];
        let e = HeaderExtension {
            profile: 0x1003,
            data: &data,
        };
        assert_eq!(e.form(), ExtensionForm::TwoByte { appbits: 3 });
        let v: Vec<_> = e.elements().collect::<std::result::Result<_, _>>().unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!((v[0].id, v[0].data), (5, &[][..]));
        assert_eq!((v[1].id, v[1].data), (7, &[0xAB, 0xCD][..]));
        let bad = HeaderExtension {
            profile: 0xBEDE,
            data: &[0x13, 0x01, 0x02, 0x00],
        };
        assert_eq!(
            bad.elements().next(),
            Some(Err(RtpError::ExtensionElementOverrun))
        );
        let mut buf = [0u8; 16];
        let n =
            write_extension_elements(ExtensionForm::TwoByte { appbits: 3 }, &v, &mut buf).unwrap();
        assert_eq!(&buf[..n], &data);
    }

    #[test]
    fn every_malformation_is_named() {
        // RFC 3550 A.1 header validity checks.
        assert_eq!(
            RtpPacket::parse(&PLAIN[..11]),
            Err(RtpError::TooShort { len: 11 })
        );
        let mut v1 = PLAIN;
        v1[0] = 0x40;
        assert_eq!(RtpPacket::parse(&v1), Err(RtpError::BadVersion(1)));
        let mut cc = PLAIN;
        cc[0] = 0x82; // 2 CSRCs = 8 bytes, only 4 after the header
        assert_eq!(
            RtpPacket::parse(&cc),
            Err(RtpError::CsrcOverrun { count: 2 })
        );
        let mut x = PLAIN;
        x[0] = 0x90; // X with 4 bytes left: header fits, length 0x7F00 words does not
        assert_eq!(
            RtpPacket::parse(&x),
            Err(RtpError::ExtensionOverrun { words: 0x7F00 })
        );
        let mut xh = [0u8; 14];
        xh[..12].copy_from_slice(&PLAIN[..12]);
        xh[0] = 0x90;
        assert_eq!(RtpPacket::parse(&xh), Err(RtpError::ExtensionHeaderOverrun));
        let mut p0 = PLAIN;
        p0[0] = 0xA0; // P with last byte 0
        assert_eq!(RtpPacket::parse(&p0), Err(RtpError::PaddingZero));
        let mut pbig = PLAIN;
        pbig[0] = 0xA0;
        pbig[15] = 5; // 5 > 4 bytes after the header
        assert_eq!(
            RtpPacket::parse(&pbig),
            Err(RtpError::PaddingOverrun {
                padding: 5,
                available: 4
            })
        );
        let mut pnone = [0u8; 12];
        pnone.copy_from_slice(&PLAIN[..12]);
        pnone[0] = 0xA0;
        assert_eq!(RtpPacket::parse(&pnone), Err(RtpError::PaddingMissing));
        // Padding equal to everything after the header is allowed: empty payload.
        let mut pall = PLAIN;
        pall[0] = 0xA0;
        pall[15] = 4;
        assert_eq!(RtpPacket::parse(&pall).unwrap().payload(), &[]);
    }

    #[test]
    fn writer_checks_arguments_and_room() {
        let h = RtpHeader::new(0, 1, 2, 3);
        let mut small = [0u8; 13];
        assert_eq!(
            h.write(&[1, 2], 0, &mut small),
            Err(Error::BufferTooSmall {
                needed: 14,
                available: 13
            })
        );
        let bad = RtpHeader::new(128, 1, 2, 3);
        assert!(matches!(
            bad.write(&[], 0, &mut [0u8; 20]),
            Err(Error::InvalidArgument(_))
        ));
        let mut buf = [0u8; 16];
        let n = RtpHeader {
            marker: true,
            ..RtpHeader::new(0, 0x1234, 0xDEAD_BEEF, 0x1122_3344)
        }
        .write(&[0xFF, 0xFE, 0x7F, 0x00], 0, &mut buf)
        .unwrap();
        assert_eq!(&buf[..n], &PLAIN);
    }

    #[test]
    fn demux_per_rfc7983_and_rfc5761() {
        assert_eq!(classify(&PLAIN), DatagramKind::Rtp);
        assert_eq!(classify(&[0x81, 200, 0, 6]), DatagramKind::Rtcp); // SR
        assert_eq!(classify(&[0x80, 223]), DatagramKind::Rtcp);
        assert_eq!(classify(&[0x80, 224]), DatagramKind::Rtp); // PT 96 with marker
        assert_eq!(classify(&[0x80, 0x60]), DatagramKind::Rtp); // PT 96
        assert_eq!(classify(&[0x00, 0x01, 0, 0]), DatagramKind::Stun);
        assert_eq!(classify(&[22, 0xFE, 0xFD]), DatagramKind::Dtls);
        assert_eq!(classify(&[0x40, 0]), DatagramKind::TurnChannel);
        assert_eq!(classify(&[0x10]), DatagramKind::Zrtp);
        assert_eq!(classify(&[]), DatagramKind::Unknown);
        assert_eq!(classify(&[0xFF, 0]), DatagramKind::Unknown);
    }
}

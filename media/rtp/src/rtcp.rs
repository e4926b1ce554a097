//! RTCP compound packets (RFC 3550 §6): zero-copy parse with the Appendix A.2 validity
//! checks, and a writer into a caller buffer.
//!
//! Packet types: SR (200), RR (201), SDES (202), BYE (203), APP (204) and XR (207, RFC
//! 3611 with the Receiver Reference Time, DLRR, Statistics Summary and VoIP Metrics
//! blocks). Unknown packet types are kept as [`RtcpPacket::Unknown`] and skipped by the
//! session, not treated as errors.
//!
//! ```
//! use tipring_rtp::rtcp::{Compound, RtcpPacket, RtcpWriter, ReportBlock};
//!
//! let mut buf = [0u8; 256];
//! let mut w = RtcpWriter::new(&mut buf);
//! w.receiver_report(0x1234, &[ReportBlock { ssrc: 0x99, ..ReportBlock::default() }], &[])
//!     .unwrap();
//! w.sdes_cname(0x1234, b"port1@gw.example").unwrap();
//! let n = w.finish();
//! let c = Compound::parse(&buf[..n]).unwrap();
//! assert_eq!(c.cname(), Some(&b"port1@gw.example"[..]));
//! assert!(matches!(c.packets().next(), Some(RtcpPacket::ReceiverReport(_))));
//! ```

use crate::error::{ensure_room, Result, RtcpError};
use crate::ntp::NtpTime;
use crate::xr::{StatisticsSummary, VoipMetrics};

/// Sender report.
pub const PT_SR: u8 = 200;
/// Receiver report.
pub const PT_RR: u8 = 201;
/// Source description.
pub const PT_SDES: u8 = 202;
/// Goodbye.
pub const PT_BYE: u8 = 203;
/// Application-defined.
pub const PT_APP: u8 = 204;
/// Extended report (RFC 3611).
pub const PT_XR: u8 = 207;

/// SDES item type CNAME (RFC 3550 §6.5.1).
pub const SDES_CNAME: u8 = 1;

/// XR block type: Receiver Reference Time (RFC 3611 §4.4).
pub const XR_RRTR: u8 = 4;
/// XR block type: DLRR (RFC 3611 §4.5).
pub const XR_DLRR: u8 = 5;
/// XR block type: Statistics Summary (RFC 3611 §4.6).
pub const XR_STATS: u8 = 6;
/// XR block type: VoIP Metrics (RFC 3611 §4.7).
pub const XR_VOIP_METRICS: u8 = 7;

pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

pub(crate) fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A reception report block (RFC 3550 §6.4.1), 24 bytes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: u32,
    /// Fraction lost since the previous report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative packets lost (24-bit signed; clamped on write).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub extended_highest_seq: u32,
    /// Interarrival jitter in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the last SR's NTP timestamp (0 if none).
    pub last_sr: u32,
    /// Delay since that SR in 1/65536 s (0 if none).
    pub delay_since_last_sr: u32,
}

/// Largest / smallest value of the 24-bit signed cumulative-lost field.
pub const CUMULATIVE_LOST_MAX: i32 = 0x7F_FFFF;
/// See [`CUMULATIVE_LOST_MAX`].
pub const CUMULATIVE_LOST_MIN: i32 = -0x80_0000;

impl ReportBlock {
    /// Wire size.
    pub const LEN: usize = 24;

    fn read(b: &[u8]) -> Self {
        let raw = (u32::from(b[5]) << 16) | (u32::from(b[6]) << 8) | u32::from(b[7]);
        Self {
            ssrc: be32(b, 0),
            fraction_lost: b[4],
            cumulative_lost: ((raw << 8) as i32) >> 8,
            extended_highest_seq: be32(b, 8),
            jitter: be32(b, 12),
            last_sr: be32(b, 16),
            delay_since_last_sr: be32(b, 20),
        }
    }

    fn write(&self, out: &mut [u8]) {
        out[0..4].copy_from_slice(&self.ssrc.to_be_bytes());
        out[4] = self.fraction_lost;
        let lost = self
            .cumulative_lost
            .clamp(CUMULATIVE_LOST_MIN, CUMULATIVE_LOST_MAX) as u32;
        out[5..8].copy_from_slice(&lost.to_be_bytes()[1..]);
        out[8..12].copy_from_slice(&self.extended_highest_seq.to_be_bytes());
        out[12..16].copy_from_slice(&self.jitter.to_be_bytes());
        out[16..20].copy_from_slice(&self.last_sr.to_be_bytes());
        out[20..24].copy_from_slice(&self.delay_since_last_sr.to_be_bytes());
    }
}

/// Report blocks of an SR or RR, read from the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlocks<'a> {
    data: &'a [u8],
}

impl<'a> ReportBlocks<'a> {
    /// Number of blocks.
    pub fn len(&self) -> usize {
        self.data.len() / ReportBlock::LEN
    }

    /// No blocks.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The blocks in order.
    pub fn iter(&self) -> impl Iterator<Item = ReportBlock> + 'a {
        self.data
            .chunks_exact(ReportBlock::LEN)
            .map(ReportBlock::read)
    }
}

/// The sender info of an SR (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// Wall-clock time when the report was sent.
    pub ntp: NtpTime,
    /// The same instant in RTP timestamp units.
    pub rtp_timestamp: u32,
    /// Packets sent since the start (or the last SSRC change).
    pub packet_count: u32,
    /// Payload octets sent.
    pub octet_count: u32,
}

/// A sender report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderReport<'a> {
    /// Sender's SSRC.
    pub ssrc: u32,
    /// Sender info.
    pub info: SenderInfo,
    /// Reception report blocks.
    pub reports: ReportBlocks<'a>,
    /// Profile-specific extension after the blocks.
    pub extension: &'a [u8],
}

/// A receiver report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverReport<'a> {
    /// Reporter's SSRC.
    pub ssrc: u32,
    /// Reception report blocks.
    pub reports: ReportBlocks<'a>,
    /// Profile-specific extension after the blocks.
    pub extension: &'a [u8],
}

/// An SDES packet (validated chunks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sdes<'a> {
    data: &'a [u8],
}

/// One SDES chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesChunk<'a> {
    /// The source described.
    pub ssrc: u32,
    items: &'a [u8],
}

/// One SDES item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesItem<'a> {
    /// Item type (1 = CNAME, 2 = NAME, ...).
    pub kind: u8,
    /// Item text (UTF-8 by the RFC, not checked here).
    pub value: &'a [u8],
}

/// Walk one SDES chunk starting at `at`; return (end of items (exclusive), next chunk).
fn sdes_chunk_bounds(data: &[u8], at: usize) -> std::result::Result<(usize, usize), RtcpError> {
    if at + 4 > data.len() {
        return Err(RtcpError::BadSdes);
    }
    let mut pos = at + 4;
    loop {
        let Some(&kind) = data.get(pos) else {
            return Err(RtcpError::BadSdes);
        };
        if kind == 0 {
            // RFC 3550 §6.5: the list ends with one or more null octets up to the next
            // 32-bit boundary.
            let end = (pos + 1).div_ceil(4) * 4;
            if end > data.len() || data[pos..end].iter().any(|&b| b != 0) {
                return Err(RtcpError::BadSdes);
            }
            return Ok((pos, end));
        }
        let Some(&len) = data.get(pos + 1) else {
            return Err(RtcpError::BadSdes);
        };
        pos += 2 + usize::from(len);
        if pos > data.len() {
            return Err(RtcpError::BadSdes);
        }
    }
}

impl<'a> Sdes<'a> {
    fn parse(count: u8, body: &'a [u8]) -> std::result::Result<Self, RtcpError> {
        let mut at = 0;
        for _ in 0..count {
            at = sdes_chunk_bounds(body, at)?.1;
        }
        if at != body.len() {
            return Err(RtcpError::BadSdes);
        }
        Ok(Self { data: body })
    }

    /// The chunks in order.
    pub fn chunks(&self) -> impl Iterator<Item = SdesChunk<'a>> + 'a {
        let data = self.data;
        let mut at = 0;
        std::iter::from_fn(move || {
            let (items_end, next) = sdes_chunk_bounds(data, at).ok()?;
            let chunk = SdesChunk {
                ssrc: be32(data, at),
                items: &data[at + 4..items_end],
            };
            at = next;
            Some(chunk)
        })
    }
}

impl<'a> SdesChunk<'a> {
    /// The items of this chunk (the terminating null excluded).
    pub fn items(&self) -> impl Iterator<Item = SdesItem<'a>> + 'a {
        let data = self.items;
        let mut pos = 0;
        std::iter::from_fn(move || {
            if pos + 2 > data.len() {
                return None;
            }
            let len = usize::from(data[pos + 1]);
            let item = SdesItem {
                kind: data[pos],
                value: data.get(pos + 2..pos + 2 + len)?,
            };
            pos += 2 + len;
            Some(item)
        })
    }

    /// This chunk's CNAME, if any.
    pub fn cname(&self) -> Option<&'a [u8]> {
        self.items().find(|i| i.kind == SDES_CNAME).map(|i| i.value)
    }
}

/// A BYE packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bye<'a> {
    ssrcs: &'a [u8],
    /// Reason for leaving, if given.
    pub reason: Option<&'a [u8]>,
}

impl<'a> Bye<'a> {
    fn parse(count: u8, body: &'a [u8]) -> std::result::Result<Self, RtcpError> {
        let n = 4 * usize::from(count);
        if n > body.len() {
            return Err(RtcpError::BadBye);
        }
        let rest = &body[n..];
        let reason = if rest.is_empty() {
            None
        } else {
            let len = usize::from(rest[0]);
            let end = 1 + len;
            let padded = end.div_ceil(4) * 4;
            if padded != rest.len() || rest[end..].iter().any(|&b| b != 0) {
                return Err(RtcpError::BadBye);
            }
            Some(&rest[1..end])
        };
        Ok(Self {
            ssrcs: &body[..n],
            reason,
        })
    }

    /// The sources leaving.
    pub fn ssrcs(&self) -> impl Iterator<Item = u32> + 'a {
        self.ssrcs.chunks_exact(4).map(|c| be32(c, 0))
    }
}

/// An APP packet (kept, not interpreted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct App<'a> {
    /// Subtype (5 bits).
    pub subtype: u8,
    /// Source.
    pub ssrc: u32,
    /// Four ASCII characters.
    pub name: [u8; 4],
    /// Application data.
    pub data: &'a [u8],
}

/// One DLRR sub-block (RFC 3611 §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DlrrItem {
    /// The receiver whose RRTR is answered.
    pub ssrc: u32,
    /// Middle 32 bits of that RRTR's NTP timestamp.
    pub last_rr: u32,
    /// Delay since receiving it, 1/65536 s.
    pub delay_since_last_rr: u32,
}

/// DLRR sub-blocks: read from the wire or given by the caller for writing. Equality
/// compares the sub-blocks, whatever the representation.
#[derive(Debug, Clone, Copy)]
pub enum DlrrItems<'a> {
    /// As on the wire (12 bytes each).
    Wire(&'a [u8]),
    /// Items to write.
    Items(&'a [DlrrItem]),
}

impl PartialEq for DlrrItems<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for DlrrItems<'_> {}

impl<'a> DlrrItems<'a> {
    /// Number of sub-blocks.
    pub fn len(&self) -> usize {
        match self {
            DlrrItems::Wire(b) => b.len() / 12,
            DlrrItems::Items(i) => i.len(),
        }
    }

    /// No sub-blocks.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sub-block `i`.
    pub fn get(&self, i: usize) -> Option<DlrrItem> {
        match self {
            DlrrItems::Wire(b) => b.get(i * 12..i * 12 + 12).map(|c| DlrrItem {
                ssrc: be32(c, 0),
                last_rr: be32(c, 4),
                delay_since_last_rr: be32(c, 8),
            }),
            DlrrItems::Items(items) => items.get(i).copied(),
        }
    }

    /// The sub-blocks in order.
    pub fn iter(&self) -> impl Iterator<Item = DlrrItem> + 'a {
        let this = *self;
        (0..self.len()).filter_map(move |i| this.get(i))
    }
}

/// One XR report block (RFC 3611 §3, §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XrBlock<'a> {
    /// BT=4: the reporter's NTP time, for receiver RTT.
    ReceiverReferenceTime(NtpTime),
    /// BT=5: answers to receivers' RRTR blocks.
    Dlrr(DlrrItems<'a>),
    /// BT=6: statistics summary.
    StatisticsSummary(StatisticsSummary),
    /// BT=7: VoIP metrics.
    VoipMetrics(VoipMetrics),
    /// Any other block, kept raw.
    Unknown {
        /// Block type.
        block_type: u8,
        /// Type-specific byte.
        type_specific: u8,
        /// Block contents (a multiple of 4 bytes).
        data: &'a [u8],
    },
}

/// An XR packet (validated blocks). Equality compares the decoded blocks, so reserved
/// bits (ignored on reception, RFC 3611 §4) do not count.
#[derive(Debug, Clone, Copy)]
pub struct Xr<'a> {
    /// Reporter's SSRC.
    pub ssrc: u32,
    data: &'a [u8],
}

fn xr_block_at(data: &[u8], at: usize) -> std::result::Result<(XrBlock<'_>, usize), RtcpError> {
    if at + 4 > data.len() {
        return Err(RtcpError::BadXr);
    }
    let bt = data[at];
    let ts = data[at + 1];
    let words = usize::from(be16(data, at + 2));
    let start = at + 4;
    let end = start + 4 * words;
    if end > data.len() {
        return Err(RtcpError::BadXr);
    }
    let body = &data[start..end];
    let block = match bt {
        XR_RRTR => {
            if words != 2 {
                return Err(RtcpError::BadXr);
            }
            XrBlock::ReceiverReferenceTime(NtpTime::new(be32(body, 0), be32(body, 4)))
        }
        XR_DLRR => {
            if words % 3 != 0 {
                return Err(RtcpError::BadXr);
            }
            XrBlock::Dlrr(DlrrItems::Wire(body))
        }
        XR_STATS => {
            if words != 9 {
                return Err(RtcpError::BadXr);
            }
            XrBlock::StatisticsSummary(StatisticsSummary::read(ts, body))
        }
        XR_VOIP_METRICS => {
            if words != 8 {
                return Err(RtcpError::BadXr);
            }
            XrBlock::VoipMetrics(VoipMetrics::read(body))
        }
        _ => XrBlock::Unknown {
            block_type: bt,
            type_specific: ts,
            data: body,
        },
    };
    Ok((block, end))
}

impl PartialEq for Xr<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.ssrc == other.ssrc && self.blocks().eq(other.blocks())
    }
}

impl Eq for Xr<'_> {}

impl<'a> Xr<'a> {
    fn parse(body: &'a [u8]) -> std::result::Result<Self, RtcpError> {
        if body.len() < 4 {
            return Err(RtcpError::BadXr);
        }
        let data = &body[4..];
        let mut at = 0;
        while at < data.len() {
            at = xr_block_at(data, at)?.1;
        }
        Ok(Self {
            ssrc: be32(body, 0),
            data,
        })
    }

    /// The report blocks in order.
    pub fn blocks(&self) -> impl Iterator<Item = XrBlock<'a>> + 'a {
        let data = self.data;
        let mut at = 0;
        std::iter::from_fn(move || {
            if at >= data.len() {
                return None;
            }
            let (b, next) = xr_block_at(data, at).ok()?;
            at = next;
            Some(b)
        })
    }
}

/// One packet of a compound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtcpPacket<'a> {
    /// SR.
    SenderReport(SenderReport<'a>),
    /// RR.
    ReceiverReport(ReceiverReport<'a>),
    /// SDES.
    Sdes(Sdes<'a>),
    /// BYE.
    Bye(Bye<'a>),
    /// APP.
    App(App<'a>),
    /// XR.
    Xr(Xr<'a>),
    /// A packet type this crate does not know (kept raw, skipped by the session).
    Unknown {
        /// Packet type.
        packet_type: u8,
        /// The 5-bit count field.
        count: u8,
        /// Everything after the 4-byte header, padding excluded.
        body: &'a [u8],
    },
}

fn parse_reports(
    body: &[u8],
    at: usize,
    count: u8,
) -> std::result::Result<(ReportBlocks<'_>, &[u8]), RtcpError> {
    let end = at + ReportBlock::LEN * usize::from(count);
    if end > body.len() {
        return Err(RtcpError::ReportOverrun);
    }
    Ok((
        ReportBlocks {
            data: &body[at..end],
        },
        &body[end..],
    ))
}

fn parse_packet(pt: u8, count: u8, body: &[u8]) -> std::result::Result<RtcpPacket<'_>, RtcpError> {
    Ok(match pt {
        PT_SR => {
            if body.len() < 24 {
                return Err(RtcpError::SenderInfoTruncated);
            }
            let (reports, extension) = parse_reports(body, 24, count)?;
            RtcpPacket::SenderReport(SenderReport {
                ssrc: be32(body, 0),
                info: SenderInfo {
                    ntp: NtpTime::new(be32(body, 4), be32(body, 8)),
                    rtp_timestamp: be32(body, 12),
                    packet_count: be32(body, 16),
                    octet_count: be32(body, 20),
                },
                reports,
                extension,
            })
        }
        PT_RR => {
            if body.len() < 4 {
                return Err(RtcpError::ReportOverrun);
            }
            let (reports, extension) = parse_reports(body, 4, count)?;
            RtcpPacket::ReceiverReport(ReceiverReport {
                ssrc: be32(body, 0),
                reports,
                extension,
            })
        }
        PT_SDES => RtcpPacket::Sdes(Sdes::parse(count, body)?),
        PT_BYE => RtcpPacket::Bye(Bye::parse(count, body)?),
        PT_APP => {
            if body.len() < 8 {
                return Err(RtcpError::BadApp);
            }
            RtcpPacket::App(App {
                subtype: count,
                ssrc: be32(body, 0),
                name: [body[4], body[5], body[6], body[7]],
                data: &body[8..],
            })
        }
        PT_XR => RtcpPacket::Xr(Xr::parse(body)?),
        _ => RtcpPacket::Unknown {
            packet_type: pt,
            count,
            body,
        },
    })
}

/// Split the packet at `at`: (packet type, count, body without padding, next offset).
fn packet_at(data: &[u8], at: usize) -> std::result::Result<(u8, u8, &[u8], usize), RtcpError> {
    if at + 4 > data.len() {
        return Err(RtcpError::TooShort);
    }
    let b0 = data[at];
    let version = b0 >> 6;
    if version != 2 {
        return Err(RtcpError::BadVersion(version));
    }
    let len = 4 * (usize::from(be16(data, at + 2)) + 1);
    let end = at + len;
    if end > data.len() {
        return Err(RtcpError::LengthOverrun);
    }
    let mut body_end = end;
    if b0 & 0x20 != 0 {
        if end != data.len() {
            return Err(RtcpError::PaddingNotLast);
        }
        // §6.4.1: the count includes itself "(it will be a multiple of four)".
        let pad = usize::from(data[end - 1]);
        if pad == 0 || pad % 4 != 0 || pad > len - 4 {
            return Err(RtcpError::BadPadding);
        }
        body_end -= pad;
    }
    Ok((data[at + 1], b0 & 0x1F, &data[at + 4..body_end], end))
}

/// A validated compound RTCP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compound<'a> {
    data: &'a [u8],
}

impl<'a> Compound<'a> {
    /// Parse with the RFC 3550 A.2 checks (version 2 everywhere, first packet SR or RR,
    /// padding only on the last packet, lengths summing exactly to the datagram, every
    /// known packet well formed) and require an SDES CNAME (§6.1).
    pub fn parse(data: &'a [u8]) -> std::result::Result<Self, RtcpError> {
        let c = Self::parse_relaxed(data)?;
        if c.cname().is_none() {
            return Err(RtcpError::MissingCname);
        }
        Ok(c)
    }

    /// As [`Compound::parse`] without the CNAME requirement (some endpoints send bare
    /// RRs; a session may choose to accept them).
    pub fn parse_relaxed(data: &'a [u8]) -> std::result::Result<Self, RtcpError> {
        if data.is_empty() {
            return Err(RtcpError::TooShort);
        }
        let mut at = 0;
        while at < data.len() {
            let (pt, count, body, next) = packet_at(data, at)?;
            if at == 0 && pt != PT_SR && pt != PT_RR {
                return Err(RtcpError::FirstNotReport(pt));
            }
            parse_packet(pt, count, body)?;
            at = next;
        }
        Ok(Self { data })
    }

    /// The datagram.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// The packets in order.
    pub fn packets(&self) -> impl Iterator<Item = RtcpPacket<'a>> + 'a {
        let data = self.data;
        let mut at = 0;
        std::iter::from_fn(move || {
            if at >= data.len() {
                return None;
            }
            let (pt, count, body, next) = packet_at(data, at).ok()?;
            at = next;
            parse_packet(pt, count, body).ok()
        })
    }

    /// The first CNAME in the compound.
    pub fn cname(&self) -> Option<&'a [u8]> {
        self.packets().find_map(|p| match p {
            RtcpPacket::Sdes(s) => s.chunks().find_map(|c| c.cname()),
            _ => None,
        })
    }
}

/// Writes a compound RTCP packet into a caller buffer, packet by packet. Allocates
/// nothing. The caller starts with an SR or RR (RFC 3550 §6.1); [`RtcpWriter::finish`]
/// returns the length.
#[derive(Debug)]
pub struct RtcpWriter<'b> {
    buf: &'b mut [u8],
    pos: usize,
    last: Option<usize>,
}

impl<'b> RtcpWriter<'b> {
    /// A writer at the start of `buf`.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            last: None,
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.pos
    }

    /// Nothing written yet.
    pub fn is_empty(&self) -> bool {
        self.pos == 0
    }

    /// The compound length.
    pub fn finish(self) -> usize {
        self.pos
    }

    /// Reserve a packet of `body_len` bytes (a multiple of 4) and write its header.
    fn begin(&mut self, count: u8, pt: u8, body_len: usize) -> Result<usize> {
        if count > 31 {
            return Err(crate::Error::InvalidArgument("RTCP count field above 31"));
        }
        if !body_len.is_multiple_of(4) || body_len / 4 > usize::from(u16::MAX) {
            return Err(crate::Error::InvalidArgument(
                "RTCP body must be whole words",
            ));
        }
        let at = self.pos;
        ensure_room(self.buf, at + 4 + body_len)?;
        self.buf[at] = 0x80 | count;
        self.buf[at + 1] = pt;
        self.buf[at + 2..at + 4].copy_from_slice(&((body_len / 4) as u16).to_be_bytes());
        self.pos = at + 4 + body_len;
        self.last = Some(at);
        Ok(at + 4)
    }

    fn reports(&mut self, at: usize, blocks: &[ReportBlock], ext: &[u8]) -> usize {
        let mut p = at;
        for b in blocks {
            b.write(&mut self.buf[p..p + ReportBlock::LEN]);
            p += ReportBlock::LEN;
        }
        self.buf[p..p + ext.len()].copy_from_slice(ext);
        p + ext.len()
    }

    /// A sender report with up to 31 report blocks and an optional profile extension
    /// (whole words).
    pub fn sender_report(
        &mut self,
        ssrc: u32,
        info: &SenderInfo,
        blocks: &[ReportBlock],
        extension: &[u8],
    ) -> Result<()> {
        let count = u8::try_from(blocks.len()).unwrap_or(u8::MAX);
        let at = self.begin(
            count,
            PT_SR,
            24 + ReportBlock::LEN * blocks.len() + extension.len(),
        )?;
        let b = &mut self.buf[at..];
        b[0..4].copy_from_slice(&ssrc.to_be_bytes());
        b[4..8].copy_from_slice(&info.ntp.seconds().to_be_bytes());
        b[8..12].copy_from_slice(&info.ntp.fraction().to_be_bytes());
        b[12..16].copy_from_slice(&info.rtp_timestamp.to_be_bytes());
        b[16..20].copy_from_slice(&info.packet_count.to_be_bytes());
        b[20..24].copy_from_slice(&info.octet_count.to_be_bytes());
        self.reports(at + 24, blocks, extension);
        Ok(())
    }

    /// A receiver report with up to 31 report blocks.
    pub fn receiver_report(
        &mut self,
        ssrc: u32,
        blocks: &[ReportBlock],
        extension: &[u8],
    ) -> Result<()> {
        let count = u8::try_from(blocks.len()).unwrap_or(u8::MAX);
        let at = self.begin(
            count,
            PT_RR,
            4 + ReportBlock::LEN * blocks.len() + extension.len(),
        )?;
        self.buf[at..at + 4].copy_from_slice(&ssrc.to_be_bytes());
        self.reports(at + 4, blocks, extension);
        Ok(())
    }

    /// An SDES packet with one chunk holding the CNAME (at most 255 bytes).
    pub fn sdes_cname(&mut self, ssrc: u32, cname: &[u8]) -> Result<()> {
        self.sdes(&[(
            ssrc,
            &[SdesItem {
                kind: SDES_CNAME,
                value: cname,
            }],
        )])
    }

    /// An SDES packet: chunks of (SSRC, items). Item types must be non-zero, values at
    /// most 255 bytes.
    pub fn sdes(&mut self, chunks: &[(u32, &[SdesItem<'_>])]) -> Result<()> {
        let mut len = 0;
        for (_, items) in chunks {
            let mut l = 4;
            for it in *items {
                if it.kind == 0 || it.value.len() > 255 {
                    return Err(crate::Error::InvalidArgument(
                        "SDES item type 0 or value above 255 bytes",
                    ));
                }
                l += 2 + it.value.len();
            }
            len += (l + 1).div_ceil(4) * 4;
        }
        let count = u8::try_from(chunks.len()).unwrap_or(u8::MAX);
        let mut p = self.begin(count, PT_SDES, len)?;
        for (ssrc, items) in chunks {
            let start = p;
            self.buf[p..p + 4].copy_from_slice(&ssrc.to_be_bytes());
            p += 4;
            for it in *items {
                self.buf[p] = it.kind;
                self.buf[p + 1] = it.value.len() as u8;
                self.buf[p + 2..p + 2 + it.value.len()].copy_from_slice(it.value);
                p += 2 + it.value.len();
            }
            let end = start + (p - start + 1).div_ceil(4) * 4;
            self.buf[p..end].fill(0);
            p = end;
        }
        Ok(())
    }

    /// A BYE for `ssrcs` (up to 31) with an optional reason (at most 255 bytes).
    pub fn bye(&mut self, ssrcs: &[u32], reason: Option<&[u8]>) -> Result<()> {
        if reason.is_some_and(|r| r.len() > 255) {
            return Err(crate::Error::InvalidArgument("BYE reason above 255 bytes"));
        }
        let rlen = reason.map_or(0, |r| (1 + r.len()).div_ceil(4) * 4);
        let count = u8::try_from(ssrcs.len()).unwrap_or(u8::MAX);
        let mut p = self.begin(count, PT_BYE, 4 * ssrcs.len() + rlen)?;
        for s in ssrcs {
            self.buf[p..p + 4].copy_from_slice(&s.to_be_bytes());
            p += 4;
        }
        if let Some(r) = reason {
            self.buf[p] = r.len() as u8;
            self.buf[p + 1..p + 1 + r.len()].copy_from_slice(r);
            self.buf[p + 1 + r.len()..p + rlen].fill(0);
        }
        Ok(())
    }

    /// An APP packet (data whole words).
    pub fn app(&mut self, subtype: u8, ssrc: u32, name: [u8; 4], data: &[u8]) -> Result<()> {
        let p = self.begin(subtype, PT_APP, 8 + data.len())?;
        self.buf[p..p + 4].copy_from_slice(&ssrc.to_be_bytes());
        self.buf[p + 4..p + 8].copy_from_slice(&name);
        self.buf[p + 8..p + 8 + data.len()].copy_from_slice(data);
        Ok(())
    }

    /// An XR packet from `ssrc` with `blocks`.
    pub fn xr(&mut self, ssrc: u32, blocks: &[XrBlock<'_>]) -> Result<()> {
        let mut len = 4;
        for b in blocks {
            len += 4 + match b {
                XrBlock::ReceiverReferenceTime(_) => 8,
                XrBlock::Dlrr(items) => 12 * items.len(),
                XrBlock::StatisticsSummary(_) => 36,
                XrBlock::VoipMetrics(_) => 32,
                XrBlock::Unknown { data, .. } => data.len(),
            };
        }
        let mut p = self.begin(0, PT_XR, len)?;
        self.buf[p..p + 4].copy_from_slice(&ssrc.to_be_bytes());
        p += 4;
        for b in blocks {
            let (bt, ts, body_len) = match b {
                XrBlock::ReceiverReferenceTime(_) => (XR_RRTR, 0, 8),
                XrBlock::Dlrr(items) => (XR_DLRR, 0, 12 * items.len()),
                XrBlock::StatisticsSummary(s) => (XR_STATS, s.flags, 36),
                XrBlock::VoipMetrics(_) => (XR_VOIP_METRICS, 0, 32),
                XrBlock::Unknown {
                    block_type,
                    type_specific,
                    data,
                } => (*block_type, *type_specific, data.len()),
            };
            if body_len % 4 != 0 || body_len / 4 > usize::from(u16::MAX) {
                return Err(crate::Error::InvalidArgument(
                    "XR block must be whole words",
                ));
            }
            self.buf[p] = bt;
            self.buf[p + 1] = ts;
            self.buf[p + 2..p + 4].copy_from_slice(&((body_len / 4) as u16).to_be_bytes());
            let body = &mut self.buf[p + 4..p + 4 + body_len];
            match b {
                XrBlock::ReceiverReferenceTime(t) => {
                    body[0..4].copy_from_slice(&t.seconds().to_be_bytes());
                    body[4..8].copy_from_slice(&t.fraction().to_be_bytes());
                }
                XrBlock::Dlrr(items) => {
                    for (i, it) in items.iter().enumerate() {
                        let c = &mut body[12 * i..12 * i + 12];
                        c[0..4].copy_from_slice(&it.ssrc.to_be_bytes());
                        c[4..8].copy_from_slice(&it.last_rr.to_be_bytes());
                        c[8..12].copy_from_slice(&it.delay_since_last_rr.to_be_bytes());
                    }
                }
                XrBlock::StatisticsSummary(s) => s.write(body),
                XrBlock::VoipMetrics(m) => m.write(body),
                XrBlock::Unknown { data, .. } => body.copy_from_slice(data),
            }
            p += 4 + body_len;
        }
        Ok(())
    }

    /// A packet of any type, body written verbatim (whole words).
    pub fn raw(&mut self, packet_type: u8, count: u8, body: &[u8]) -> Result<()> {
        let p = self.begin(count, packet_type, body.len())?;
        self.buf[p..p + body.len()].copy_from_slice(body);
        Ok(())
    }

    /// Pad the compound's last packet by `n` bytes (a positive multiple of 4; zeros, the
    /// last byte the count) and set its P bit (RFC 3550 §6.4.1). Call last.
    pub fn pad_last(&mut self, n: u8) -> Result<()> {
        let Some(at) = self.last else {
            return Err(crate::Error::InvalidArgument("no packet to pad"));
        };
        if n == 0 || !n.is_multiple_of(4) {
            return Err(crate::Error::InvalidArgument(
                "RTCP padding must be a positive multiple of 4",
            ));
        }
        let end = self.pos + usize::from(n);
        ensure_room(self.buf, end)?;
        let words = be16(self.buf, at + 2) as usize + usize::from(n) / 4;
        if words > usize::from(u16::MAX) {
            return Err(crate::Error::InvalidArgument("RTCP packet too long"));
        }
        self.buf[self.pos..end - 1].fill(0);
        self.buf[end - 1] = n;
        self.buf[at] |= 0x20;
        self.buf[at + 2..at + 4].copy_from_slice(&(words as u16).to_be_bytes());
        self.pos = end;
        Ok(())
    }

    /// Re-serialise a parsed packet (used by round-trip tests and relays).
    pub fn packet(&mut self, p: &RtcpPacket<'_>) -> Result<()> {
        match p {
            RtcpPacket::SenderReport(sr) => {
                let mut blocks = [ReportBlock::default(); 31];
                let n = copy_blocks(&sr.reports, &mut blocks);
                self.sender_report(sr.ssrc, &sr.info, &blocks[..n], sr.extension)
            }
            RtcpPacket::ReceiverReport(rr) => {
                let mut blocks = [ReportBlock::default(); 31];
                let n = copy_blocks(&rr.reports, &mut blocks);
                self.receiver_report(rr.ssrc, &blocks[..n], rr.extension)
            }
            RtcpPacket::Sdes(s) => {
                // Chunks are re-emitted one packet-body at a time without allocating:
                // the validated body is already in canonical form.
                let count = s.chunks().count() as u8;
                self.raw(PT_SDES, count, s.data)
            }
            RtcpPacket::Bye(b) => {
                let count = (b.ssrcs.len() / 4) as u8;
                let rlen = b.reason.map_or(0, |r| (1 + r.len()).div_ceil(4) * 4);
                let mut p = self.begin(count, PT_BYE, b.ssrcs.len() + rlen)?;
                self.buf[p..p + b.ssrcs.len()].copy_from_slice(b.ssrcs);
                p += b.ssrcs.len();
                if let Some(r) = b.reason {
                    self.buf[p] = r.len() as u8;
                    self.buf[p + 1..p + 1 + r.len()].copy_from_slice(r);
                    self.buf[p + 1 + r.len()..p + rlen].fill(0);
                }
                Ok(())
            }
            RtcpPacket::App(a) => self.app(a.subtype, a.ssrc, a.name, a.data),
            RtcpPacket::Xr(x) => {
                let mut blocks = [XrBlock::ReceiverReferenceTime(NtpTime(0)); 16];
                let mut n = 0;
                for b in x.blocks() {
                    if n == blocks.len() {
                        return Err(crate::Error::InvalidArgument("more than 16 XR blocks"));
                    }
                    blocks[n] = b;
                    n += 1;
                }
                self.xr(x.ssrc, &blocks[..n])
            }
            RtcpPacket::Unknown {
                packet_type,
                count,
                body,
            } => self.raw(*packet_type, *count, body),
        }
    }
}

fn copy_blocks(r: &ReportBlocks<'_>, out: &mut [ReportBlock; 31]) -> usize {
    let mut n = 0;
    for (slot, b) in out.iter_mut().zip(r.iter()) {
        *slot = b;
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 3550 §6.4.1 SR (one report block) + §6.5 SDES CNAME, built by hand from the
    /// figures.
    fn sr_sdes() -> Vec<u8> {
        hex("
            81 c8 00 0c  11 22 33 44
            e8 4e 2c 00  80 00 00 00   00 00 3e 80
            00 00 00 64  00 00 3e 80
            55 66 77 88  0a ff ff fe  00 01 00 05  00 00 00 20
            2c 00 00 00  00 01 80 00
            81 ca 00 04  11 22 33 44  01 08 67 77 40 74 65 73 74 2e 00 00
        ")
    }

    #[test]
    fn sr_hex_vector() {
        let b = sr_sdes();
        let c = Compound::parse(&b).unwrap();
        let pkts: Vec<_> = c.packets().collect();
        assert_eq!(pkts.len(), 2);
        let RtcpPacket::SenderReport(sr) = pkts[0] else {
            panic!("not SR")
        };
        assert_eq!(sr.ssrc, 0x1122_3344);
        assert_eq!(sr.info.ntp, NtpTime::new(0xE84E_2C00, 0x8000_0000));
        assert_eq!(sr.info.rtp_timestamp, 16000);
        assert_eq!(sr.info.packet_count, 100);
        assert_eq!(sr.info.octet_count, 16000);
        let rb: Vec<_> = sr.reports.iter().collect();
        assert_eq!(
            rb,
            vec![ReportBlock {
                ssrc: 0x5566_7788,
                fraction_lost: 10,
                cumulative_lost: -2, // 24-bit two's complement 0xfffffe
                extended_highest_seq: 0x0001_0005,
                jitter: 32,
                last_sr: 0x2C00_0000,
                delay_since_last_sr: 0x0001_8000,
            }]
        );
        assert_eq!(c.cname(), Some(&b"gw@test."[..]));
        // Write it back byte for byte.
        let mut out = [0u8; 128];
        let mut w = RtcpWriter::new(&mut out);
        w.sender_report(sr.ssrc, &sr.info, &rb, &[]).unwrap();
        w.sdes_cname(0x1122_3344, b"gw@test.").unwrap();
        let n = w.finish();
        assert_eq!(&out[..n], &b[..]);
    }

    #[test]
    fn rr_bye_with_reason_vector() {
        // RR with no blocks (§6.4.2), SDES CNAME "a", BYE (§6.6) with reason "hangup".
        let b = hex("
            80 c9 00 01  00 00 00 07
            81 ca 00 02  00 00 00 07  01 01 61 00
            81 cb 00 03  00 00 00 07  06 68 61 6e 67 75 70 00
        ");
        let c = Compound::parse(&b).unwrap();
        let pkts: Vec<_> = c.packets().collect();
        assert!(
            matches!(pkts[0], RtcpPacket::ReceiverReport(r) if r.ssrc == 7 && r.reports.is_empty())
        );
        let RtcpPacket::Bye(bye) = pkts[2] else {
            panic!()
        };
        assert_eq!(bye.ssrcs().collect::<Vec<_>>(), vec![7]);
        assert_eq!(bye.reason, Some(&b"hangup"[..]));
        let mut out = [0u8; 64];
        let mut w = RtcpWriter::new(&mut out);
        w.receiver_report(7, &[], &[]).unwrap();
        w.sdes_cname(7, b"a").unwrap();
        w.bye(&[7], Some(b"hangup")).unwrap();
        let n = w.finish();
        assert_eq!(&out[..n], &b[..]);
    }

    #[test]
    fn a2_validity_checks() {
        let good = sr_sdes();
        // First packet not SR/RR.
        let sdes_first = hex("81 ca 00 02 00 00 00 07 01 01 61 00");
        assert_eq!(
            Compound::parse(&sdes_first),
            Err(RtcpError::FirstNotReport(PT_SDES))
        );
        // Version 1.
        let mut v = good.clone();
        v[0] = 0x41;
        assert_eq!(Compound::parse(&v), Err(RtcpError::BadVersion(1)));
        // Lengths do not sum: one extra byte.
        let mut extra = good.clone();
        extra.push(0);
        assert_eq!(Compound::parse(&extra), Err(RtcpError::TooShort));
        // Length overruns.
        let mut over = good.clone();
        over[3] = 0x20;
        assert_eq!(Compound::parse(&over), Err(RtcpError::LengthOverrun));
        // Padding on the first packet.
        let mut pad = good.clone();
        pad[0] |= 0x20;
        assert_eq!(Compound::parse(&pad), Err(RtcpError::PaddingNotLast));
        // Report count beyond the packet.
        let mut rc = good.clone();
        rc[0] = 0x82;
        assert_eq!(Compound::parse(&rc), Err(RtcpError::ReportOverrun));
        // SDES chunk without terminating null.
        let mut sdes = good.clone();
        let l = sdes.len();
        sdes[l - 2] = 0x41;
        assert_eq!(Compound::parse(&sdes), Err(RtcpError::BadSdes));
        // No CNAME: bare RR.
        let bare = hex("80 c9 00 01 00 00 00 07");
        assert_eq!(Compound::parse(&bare), Err(RtcpError::MissingCname));
        assert!(Compound::parse_relaxed(&bare).is_ok());
        assert_eq!(Compound::parse(&[]), Err(RtcpError::TooShort));
    }

    #[test]
    fn padding_on_last_packet_and_unknown_types() {
        let mut out = [0u8; 128];
        let mut w = RtcpWriter::new(&mut out);
        w.receiver_report(9, &[], &[]).unwrap();
        w.sdes_cname(9, b"x").unwrap();
        w.raw(210, 3, &[1, 2, 3, 4]).unwrap();
        w.app(1, 9, *b"TEST", &[0, 0, 0, 1]).unwrap();
        w.pad_last(8).unwrap();
        let n = w.finish();
        let c = Compound::parse(&out[..n]).unwrap();
        let pkts: Vec<_> = c.packets().collect();
        assert_eq!(pkts.len(), 4);
        assert_eq!(
            pkts[2],
            RtcpPacket::Unknown {
                packet_type: 210,
                count: 3,
                body: &[1, 2, 3, 4]
            }
        );
        assert!(
            matches!(pkts[3], RtcpPacket::App(a) if a.name == *b"TEST" && a.data == [0, 0, 0, 1])
        );
        // Bad padding count.
        let mut bad = out[..n].to_vec();
        let l = bad.len();
        bad[l - 1] = 0;
        assert_eq!(Compound::parse(&bad), Err(RtcpError::BadPadding));
        bad[l - 1] = 200;
        assert_eq!(Compound::parse(&bad), Err(RtcpError::BadPadding));
        bad[l - 1] = 3;
        assert_eq!(Compound::parse(&bad), Err(RtcpError::BadPadding));
    }

    #[test]
    fn xr_rrtr_dlrr_vector() {
        // RFC 3611 §4.4 RRTR and §4.5 DLRR built by hand.
        let b = hex("
            80 c9 00 01  00 00 00 07
            81 ca 00 02  00 00 00 07  01 01 61 00
            80 cf 00 08  00 00 00 07
            04 00 00 02  e8 4e 2c 00  40 00 00 00
            05 00 00 03  00 00 00 09  2c 00 40 00  00 00 80 00
        ");
        let c = Compound::parse(&b).unwrap();
        let RtcpPacket::Xr(xr) = c.packets().nth(2).unwrap() else {
            panic!()
        };
        let blocks: Vec<_> = xr.blocks().collect();
        assert_eq!(
            blocks[0],
            XrBlock::ReceiverReferenceTime(NtpTime::new(0xE84E_2C00, 0x4000_0000))
        );
        let XrBlock::Dlrr(d) = blocks[1] else {
            panic!()
        };
        assert_eq!(
            d.iter().collect::<Vec<_>>(),
            vec![DlrrItem {
                ssrc: 9,
                last_rr: 0x2C00_4000,
                delay_since_last_rr: 0x8000
            }]
        );
        let mut out = [0u8; 128];
        let mut w = RtcpWriter::new(&mut out);
        for p in c.packets() {
            w.packet(&p).unwrap();
        }
        let n = w.finish();
        assert_eq!(&out[..n], &b[..]);
        // DLRR of 2 words: not a multiple of the 3-word sub-block.
        let bad = hex("
            80 c9 00 01  00 00 00 07
            81 ca 00 02  00 00 00 07  01 01 61 00
            80 cf 00 04  00 00 00 07  05 00 00 02  00 00 00 09  2c 00 40 00
        ");
        assert_eq!(Compound::parse(&bad), Err(RtcpError::BadXr));
    }

    #[test]
    fn writer_rejects_misuse() {
        let mut out = [0u8; 16];
        let mut w = RtcpWriter::new(&mut out);
        assert!(matches!(
            w.receiver_report(1, &[ReportBlock::default(); 2], &[]),
            Err(crate::Error::BufferTooSmall { .. })
        ));
        assert!(w.pad_last(4).is_err());
        let mut big = [0u8; 2048];
        let mut w = RtcpWriter::new(&mut big);
        assert!(matches!(
            w.receiver_report(1, &[ReportBlock::default(); 32], &[]),
            Err(crate::Error::InvalidArgument(_))
        ));
        // Cumulative lost clamps to 24-bit signed on write (RFC 3550 A.3).
        w.receiver_report(
            1,
            &[ReportBlock {
                cumulative_lost: 10_000_000,
                ..ReportBlock::default()
            }],
            &[],
        )
        .unwrap();
        w.sdes_cname(1, b"c").unwrap();
        let n = w.finish();
        let c = Compound::parse(&big[..n]).unwrap();
        let RtcpPacket::ReceiverReport(rr) = c.packets().next().unwrap() else {
            panic!()
        };
        assert_eq!(rr.reports.iter().next().unwrap().cumulative_lost, 0x7F_FFFF);
    }
}

//! Synthesized IP packets: an IPv4 (RFC 791) or IPv6 (RFC 8200) header, a UDP
//! (RFC 768) or TCP (RFC 9293) header, and the payload, with every length and checksum
//! filled in as a host's stack would have.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::checksum::{internet_checksum, pseudo_v4, pseudo_v6, IPPROTO_TCP, IPPROTO_UDP};

pub(crate) const IPV4_HEADER_LEN: usize = 20;
pub(crate) const IPV6_HEADER_LEN: usize = 40;
pub(crate) const UDP_HEADER_LEN: usize = 8;
pub(crate) const TCP_HEADER_LEN: usize = 20;

/// TTL (IPv4) and Hop Limit (IPv6) of every packet: Linux's default.
pub(crate) const TTL: u8 = 64;
/// The TCP window advertised in every segment (no window scaling).
pub(crate) const TCP_WINDOW: u16 = 65_535;
pub(crate) const TCP_ACK: u8 = 0x10;
pub(crate) const TCP_PSH: u8 = 0x08;

/// The address pair of one packet, after family mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ends {
    V4 { src: Ipv4Addr, dst: Ipv4Addr },
    V6 { src: Ipv6Addr, dst: Ipv6Addr },
}

impl Ends {
    /// Both IPv4 (after reading an IPv4-mapped IPv6 address, `::ffff:a.b.c.d`, as IPv4):
    /// an IPv4 packet. Otherwise an IPv6 packet, an IPv4 side written as IPv4-mapped.
    pub(crate) fn new(src: IpAddr, dst: IpAddr) -> Self {
        match (unmap(src), unmap(dst)) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => Ends::V4 { src, dst },
            (src, dst) => Ends::V6 {
                src: as_v6(src),
                dst: as_v6(dst),
            },
        }
    }

    pub(crate) fn ip_header_len(self) -> usize {
        match self {
            Ends::V4 { .. } => IPV4_HEADER_LEN,
            Ends::V6 { .. } => IPV6_HEADER_LEN,
        }
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it stands for; any other unchanged.
pub(crate) fn unmap(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(a, IpAddr::V4),
        v4 => v4,
    }
}

fn as_v6(a: IpAddr) -> Ipv6Addr {
    match a {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}

/// The transport header of one packet; lengths and the checksum are filled in by
/// [`build_headers`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Transport {
    Udp {
        sport: u16,
        dport: u16,
    },
    Tcp {
        sport: u16,
        dport: u16,
        seq: u32,
        ack: u32,
        flags: u8,
    },
}

impl Transport {
    fn header_len(self) -> usize {
        match self {
            Transport::Udp { .. } => UDP_HEADER_LEN,
            Transport::Tcp { .. } => TCP_HEADER_LEN,
        }
    }

    fn proto(self) -> u8 {
        match self {
            Transport::Udp { .. } => IPPROTO_UDP,
            Transport::Tcp { .. } => IPPROTO_TCP,
        }
    }
}

/// The largest payload one packet of `transport` over `ends` can carry without
/// overflowing a 16-bit length field: the IPv4 Total Length (which counts the IP header)
/// or the IPv6 Payload Length (which does not), and for UDP its own Length field.
pub(crate) fn max_payload(ends: Ends, transport: Transport) -> usize {
    let ip_overhead = match ends {
        Ends::V4 { .. } => IPV4_HEADER_LEN,
        Ends::V6 { .. } => 0,
    };
    usize::from(u16::MAX) - ip_overhead - transport.header_len()
}

/// The IP and transport headers of one packet (at most 60 bytes), with every length and
/// checksum computed over `payload`. `payload` must fit in [`max_payload`]; a longer one
/// is cut to fit, so no length field is ever wrong.
pub(crate) fn build_headers(
    ends: Ends,
    ip_id: u16,
    transport: Transport,
    payload: &[u8],
) -> ([u8; IPV6_HEADER_LEN + TCP_HEADER_LEN], usize, usize) {
    let payload = &payload[..payload.len().min(max_payload(ends, transport))];
    let t_len = transport.header_len();
    // Fits by max_payload: at most 65535.
    let seg_len = u16::try_from(t_len + payload.len()).unwrap_or(u16::MAX);

    let mut t = [0u8; TCP_HEADER_LEN];
    match transport {
        Transport::Udp { sport, dport } => {
            t[0..2].copy_from_slice(&sport.to_be_bytes());
            t[2..4].copy_from_slice(&dport.to_be_bytes());
            t[4..6].copy_from_slice(&seg_len.to_be_bytes());
        }
        Transport::Tcp {
            sport,
            dport,
            seq,
            ack,
            flags,
        } => {
            t[0..2].copy_from_slice(&sport.to_be_bytes());
            t[2..4].copy_from_slice(&dport.to_be_bytes());
            t[4..8].copy_from_slice(&seq.to_be_bytes());
            t[8..12].copy_from_slice(&ack.to_be_bytes());
            t[12] = 5 << 4; // data offset: 5 words, no options
            t[13] = flags;
            t[14..16].copy_from_slice(&TCP_WINDOW.to_be_bytes());
        }
    }
    let t = &mut t[..t_len];
    let proto = transport.proto();
    let mut sum = match ends {
        Ends::V4 { src, dst } => pseudo_v4(src, dst, proto, seg_len),
        Ends::V6 { src, dst } => pseudo_v6(src, dst, proto, seg_len),
    };
    let mut check = sum.add(t).add(payload).finish();
    if proto == IPPROTO_UDP && check == 0 {
        // RFC 768: a computed zero is sent as all ones (zero means "no checksum").
        check = 0xFFFF;
    }
    let at = if proto == IPPROTO_UDP { 6 } else { 16 };
    t[at..at + 2].copy_from_slice(&check.to_be_bytes());

    let mut out = [0u8; IPV6_HEADER_LEN + TCP_HEADER_LEN];
    let ip_len = match ends {
        Ends::V4 { src, dst } => {
            let total = u16::try_from(IPV4_HEADER_LEN + usize::from(seg_len)).unwrap_or(u16::MAX);
            let ip = &mut out[..IPV4_HEADER_LEN];
            ip[0] = 0x45; // version 4, IHL 5
            ip[2..4].copy_from_slice(&total.to_be_bytes());
            ip[4..6].copy_from_slice(&ip_id.to_be_bytes());
            ip[6] = 0x40; // DF, fragment offset 0
            ip[8] = TTL;
            ip[9] = proto;
            ip[12..16].copy_from_slice(&src.octets());
            ip[16..20].copy_from_slice(&dst.octets());
            let check = internet_checksum(ip);
            ip[10..12].copy_from_slice(&check.to_be_bytes());
            IPV4_HEADER_LEN
        }
        Ends::V6 { src, dst } => {
            let ip = &mut out[..IPV6_HEADER_LEN];
            ip[0] = 0x60; // version 6, traffic class 0, flow label 0
            ip[4..6].copy_from_slice(&seg_len.to_be_bytes());
            ip[6] = proto;
            ip[7] = TTL;
            ip[8..24].copy_from_slice(&src.octets());
            ip[24..40].copy_from_slice(&dst.octets());
            IPV6_HEADER_LEN
        }
    };
    out[ip_len..ip_len + t_len].copy_from_slice(t);
    (out, ip_len + t_len, payload.len())
}

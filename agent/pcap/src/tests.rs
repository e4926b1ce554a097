//! Unit tests: checksum vectors, the file layout read back, TCP sequence numbers, limits,
//! splitting, family mapping. The checksum vectors marked "scapy" were computed by scapy
//! 2.8 (an independent implementation) for the same packets; tshark checks whole files
//! in `tests/pcap`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;
use crate::checksum::Checksum;
use crate::frame::{build_headers, Ends, Transport};

const T0: u64 = 1_700_000_000;

fn at(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T0) + Duration::from_millis(ms)
}

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn pkt<'a>(proto: Proto, src: &str, dst: &str, payload: &'a [u8]) -> Packet<'a> {
    Packet {
        time: at(0),
        proto,
        src: sa(src),
        dst: sa(dst),
        payload,
    }
}

#[derive(Debug)]
struct Rec {
    sec: u32,
    usec: u32,
    orig: u32,
    data: Vec<u8>,
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

/// Reads a file this crate wrote: checks the file header, returns the records.
fn records(file: &[u8]) -> Vec<Rec> {
    assert_eq!(le32(file, 0), MAGIC_MICROS);
    assert_eq!(&file[4..8], &[2, 0, 4, 0]);
    assert_eq!(le32(file, 20), LINKTYPE_RAW);
    let snaplen = le32(file, 16);
    let mut out = Vec::new();
    let mut at = FILE_HEADER_LEN;
    while at < file.len() {
        let incl = le32(file, at + 8) as usize;
        let rec = Rec {
            sec: le32(file, at),
            usec: le32(file, at + 4),
            orig: le32(file, at + 12),
            data: file[at + 16..at + 16 + incl].to_vec(),
        };
        assert!(incl as u32 <= snaplen && incl as u32 <= rec.orig);
        assert!(rec.usec < 1_000_000);
        out.push(rec);
        at += 16 + incl;
    }
    assert_eq!(at, file.len());
    out
}

/// A parsed synthesized packet (whole, not snaplen-cut).
#[derive(Debug)]
struct Ip {
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    /// IPv4 Identification (0 for IPv6).
    id: u16,
    /// The transport header and payload.
    seg: Vec<u8>,
}

/// Parses a whole packet and checks every length and checksum in it.
fn check_packet(p: &[u8]) -> Ip {
    let ip = match p[0] >> 4 {
        4 => {
            assert_eq!(p[0], 0x45);
            assert_eq!(usize::from(be16(p, 2)), p.len(), "IPv4 total length");
            assert_eq!(&p[6..9], &[0x40, 0, 64], "DF, TTL 64");
            assert_eq!(
                Checksum::new().add(&p[..20]).finish(),
                0,
                "IPv4 header checksum"
            );
            let a: [u8; 4] = p[12..16].try_into().unwrap();
            let b: [u8; 4] = p[16..20].try_into().unwrap();
            Ip {
                src: Ipv4Addr::from(a).into(),
                dst: Ipv4Addr::from(b).into(),
                proto: p[9],
                id: be16(p, 4),
                seg: p[20..].to_vec(),
            }
        }
        6 => {
            assert_eq!(usize::from(be16(p, 4)), p.len() - 40, "IPv6 payload length");
            assert_eq!(p[7], 64);
            let a: [u8; 16] = p[8..24].try_into().unwrap();
            let b: [u8; 16] = p[24..40].try_into().unwrap();
            Ip {
                src: Ipv6Addr::from(a).into(),
                dst: Ipv6Addr::from(b).into(),
                proto: p[6],
                id: 0,
                seg: p[40..].to_vec(),
            }
        }
        v => panic!("IP version {v}"),
    };
    let len = u16::try_from(ip.seg.len()).unwrap();
    let mut sum = match (ip.src, ip.dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => checksum::pseudo_v4(s, d, ip.proto, len),
        (IpAddr::V6(s), IpAddr::V6(d)) => checksum::pseudo_v6(s, d, ip.proto, len),
        _ => panic!("mixed"),
    };
    assert_eq!(sum.add(&ip.seg).finish(), 0, "transport checksum");
    match ip.proto {
        17 => {
            assert_eq!(be16(&ip.seg, 4), len, "UDP length");
            assert_ne!(be16(&ip.seg, 6), 0, "UDP checksum present");
        }
        6 => assert_eq!(ip.seg[12], 0x50),
        p => panic!("protocol {p}"),
    }
    ip
}

fn payload_of(ip: &Ip) -> &[u8] {
    &ip.seg[if ip.proto == 17 { 8 } else { 20 }..]
}

fn one(cap: &mut Capture, p: &Packet<'_>) -> Ip {
    cap.record(p);
    let file = cap.file.clone();
    check_packet(&records(&file).pop().unwrap().data)
}

#[test]
fn file_header_layout() {
    let file = Capture::new(Limits {
        snaplen: 1500,
        ..Limits::default()
    })
    .finish();
    assert_eq!(
        file,
        [
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xdc, 0x05, 0, 0, 101, 0,
            0, 0
        ]
    );
}

/// The IPv4 header example that Wikipedia's "Internet checksum" / "IPv4 header checksum"
/// article computes by hand: 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7.
#[test]
fn ipv4_header_checksum_known_vector() {
    let ends = Ends::new(
        Ipv4Addr::new(192, 168, 0, 1).into(),
        Ipv4Addr::new(192, 168, 0, 199).into(),
    );
    // Total length 0x73 = 115 = 20 + 8 + 87.
    let t = Transport::Udp { sport: 1, dport: 2 };
    let (h, hlen, _) = build_headers(ends, 0, t, &[0; 87]);
    assert_eq!(
        &h[..20],
        &[
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7
        ]
    );
    assert_eq!(hlen, 28);
}

/// scapy: IP(src="192.0.2.10", dst="198.51.100.20", id=1, flags="DF", ttl=64)
/// / UDP(sport=5060, dport=5060) / b"OPTIONS sip:pbx.example.net SIP/2.0\r\n\r\n"
/// has IP checksum 0x4e57 and UDP checksum 0x40b1, 67 bytes.
#[test]
fn udp_v4_checksum_known_vector() {
    let mut cap = Capture::new(Limits::default());
    let body = b"OPTIONS sip:pbx.example.net SIP/2.0\r\n\r\n";
    cap.record(&pkt(
        Proto::Udp,
        "192.0.2.10:5060",
        "198.51.100.20:5060",
        body,
    ));
    let rec = &records(&cap.finish())[0];
    assert_eq!(rec.data.len(), 67);
    assert_eq!(be16(&rec.data, 4), 1, "first IPv4 ID");
    assert_eq!(be16(&rec.data, 10), 0x4e57);
    assert_eq!(be16(&rec.data, 26), 0x40b1);
}

/// scapy: IPv6(src="2001:db8::10", dst="2001:db8::20", hlim=64) / UDP(sport=5060,
/// dport=5062) / b"OPTIONS sip:[2001:db8::20] SIP/2.0\r\nContent-Length: 0\r\n\r\n!"
/// (odd length) has UDP checksum 0x81a9, 106 bytes.
#[test]
fn udp_v6_checksum_known_vector() {
    let mut cap = Capture::new(Limits::default());
    let body = b"OPTIONS sip:[2001:db8::20] SIP/2.0\r\nContent-Length: 0\r\n\r\n!";
    cap.record(&pkt(
        Proto::Udp,
        "[2001:db8::10]:5060",
        "[2001:db8::20]:5062",
        body,
    ));
    let rec = &records(&cap.finish())[0];
    assert_eq!(rec.data.len(), 106);
    assert_eq!(be16(&rec.data, 46), 0x81a9);
}

/// scapy: IP(src="192.0.2.10", dst="198.51.100.20", id=7, flags="DF", ttl=64)
/// / TCP(sport=40000, dport=5060, seq=1000, ack=2000, flags="PA", window=65535)
/// / b"MESSAGE sip:x SIP/2.0\r\n": IP checksum 0x4e60, TCP checksum 0x752e; and
/// IPv6(src="2001:db8::10", dst="2001:db8::20", hlim=64) / TCP(sport=40000, dport=5061,
/// seq=0xfffffff0, ack=5, flags="PA", window=65535) / b"BYE": TCP checksum 0x1cd3.
#[test]
fn tcp_checksum_known_vectors() {
    let v4 = Ends::new(
        Ipv4Addr::new(192, 0, 2, 10).into(),
        Ipv4Addr::new(198, 51, 100, 20).into(),
    );
    let t = Transport::Tcp {
        sport: 40000,
        dport: 5060,
        seq: 1000,
        ack: 2000,
        flags: frame::TCP_PSH | frame::TCP_ACK,
    };
    let (h, hlen, _) = build_headers(v4, 7, t, b"MESSAGE sip:x SIP/2.0\r\n");
    assert_eq!(hlen, 40);
    assert_eq!(be16(&h, 10), 0x4e60);
    assert_eq!(be16(&h, 36), 0x752e);

    let v6 = Ends::new(
        "2001:db8::10".parse::<IpAddr>().unwrap(),
        "2001:db8::20".parse::<IpAddr>().unwrap(),
    );
    let t = Transport::Tcp {
        sport: 40000,
        dport: 5061,
        seq: 0xffff_fff0,
        ack: 5,
        flags: frame::TCP_PSH | frame::TCP_ACK,
    };
    let (h, hlen, _) = build_headers(v6, 0, t, b"BYE");
    assert_eq!(hlen, 60);
    assert_eq!(be16(&h, 56), 0x1cd3);
}

/// RFC 768: a UDP checksum that computes to zero is sent as 0xffff.
#[test]
fn udp_zero_checksum_is_sent_as_all_ones() {
    let ends = Ends::new(
        Ipv4Addr::new(10, 0, 0, 1).into(),
        Ipv4Addr::new(10, 0, 0, 2).into(),
    );
    let t = Transport::Udp {
        sport: 1000,
        dport: 2000,
    };
    let (h, _, _) = build_headers(ends, 1, t, &[0, 0]);
    // Putting the checksum of [0, 0] in as the payload makes the sum all ones.
    let fix = [h[26], h[27]];
    let (h, _, _) = build_headers(ends, 1, t, &fix);
    assert_eq!(be16(&h, 26), 0xffff);
    let mut whole = h[..28].to_vec();
    whole.extend_from_slice(&fix);
    check_packet(&whole);
}

#[test]
fn ip_id_counts_ipv4_packets_only() {
    let mut cap = Capture::new(Limits::default());
    let ids: Vec<u16> = [
        ("192.0.2.1:1", "192.0.2.2:2"),
        ("[2001:db8::1]:1", "[2001:db8::2]:2"),
        ("192.0.2.1:1", "192.0.2.2:2"),
    ]
    .iter()
    .map(|(s, d)| one(&mut cap, &pkt(Proto::Udp, s, d, b"x")).id)
    .collect();
    assert_eq!(ids, [1, 0, 2]);
}

#[test]
fn ip_id_wraps() {
    let mut cap = Capture::new(Limits::default());
    cap.ip_id = u16::MAX;
    let p = pkt(Proto::Udp, "192.0.2.1:1", "192.0.2.2:2", b"x");
    assert_eq!(one(&mut cap, &p).id, u16::MAX);
    assert_eq!(one(&mut cap, &p).id, 0);
}

struct Seg {
    seq: u32,
    ack: u32,
    flags: u8,
    data: Vec<u8>,
}

fn tcp(ip: &Ip) -> Seg {
    assert_eq!(ip.proto, 6);
    assert_eq!(be16(&ip.seg, 14), 65_535, "window");
    Seg {
        seq: be32(&ip.seg, 4),
        ack: be32(&ip.seg, 8),
        flags: ip.seg[13],
        data: payload_of(ip).to_vec(),
    }
}

#[test]
fn tcp_sequence_numbers_continue_per_direction() {
    let mut cap = Capture::new(Limits::default());
    let (a, b) = ("192.0.2.10:40000", "198.51.100.20:5060");
    let s1 = tcp(&one(
        &mut cap,
        &pkt(Proto::Tcp, a, b, b"MESSAGE sip:x SIP/2.0\r\n"),
    ));
    let s2 = tcp(&one(
        &mut cap,
        &pkt(Proto::Tcp, a, b, b"Content-Length: 0\r\n\r\n"),
    ));
    assert_eq!(s2.seq, s1.seq.wrapping_add(23));
    assert_eq!((s1.flags, s2.flags), (0x18, 0x18), "PSH|ACK");
    assert_eq!(s1.ack, s2.ack, "nothing came back yet");

    // The answer acknowledges all that was sent, and is acknowledged in turn.
    let r1 = tcp(&one(
        &mut cap,
        &pkt(Proto::Tcp, b, a, b"SIP/2.0 200 OK\r\n\r\n"),
    ));
    assert_eq!(r1.ack, s2.seq.wrapping_add(21));
    assert_eq!(r1.seq, s1.ack);
    let s3 = tcp(&one(&mut cap, &pkt(Proto::Tcp, a, b, b"x")));
    assert_eq!(s3.seq, r1.ack);
    assert_eq!(s3.ack, r1.seq.wrapping_add(18));

    // Another connection (another port) has its own numbers.
    let other = tcp(&one(
        &mut cap,
        &pkt(Proto::Tcp, "192.0.2.10:40001", b, b"x"),
    ));
    assert_ne!(other.seq, s3.seq.wrapping_add(1));
    assert_eq!(cap.tcp_next_seq.len(), 3);
}

#[test]
fn tcp_sequence_numbers_wrap() {
    let mut cap = Capture::new(Limits::default());
    let (a, b) = (sa("192.0.2.10:40000"), sa("198.51.100.20:5060"));
    let key = (a.ip(), a.port(), b.ip(), b.port());
    cap.tcp_next_seq.insert(key, u32::MAX - 1);
    let s1 = tcp(&one(
        &mut cap,
        &pkt(
            Proto::Tcp,
            "192.0.2.10:40000",
            "198.51.100.20:5060",
            b"abcd",
        ),
    ));
    let s2 = tcp(&one(
        &mut cap,
        &pkt(Proto::Tcp, "192.0.2.10:40000", "198.51.100.20:5060", b"e"),
    ));
    assert_eq!((s1.seq, s2.seq), (u32::MAX - 1, 2));
}

#[test]
fn empty_tcp_record_is_a_bare_ack() {
    let mut cap = Capture::new(Limits::default());
    let (a, b) = ("192.0.2.10:40000", "198.51.100.20:5060");
    let s1 = tcp(&one(&mut cap, &pkt(Proto::Tcp, a, b, b"")));
    let s2 = tcp(&one(&mut cap, &pkt(Proto::Tcp, a, b, b"x")));
    assert_eq!((s1.flags, s1.data.len()), (0x10, 0));
    assert_eq!(s2.seq, s1.seq);
    assert_eq!(cap.packets(), 2);
}

#[test]
fn v4_mapped_and_plain_v4_are_one_flow() {
    let mut cap = Capture::new(Limits::default());
    let s1 = one(
        &mut cap,
        &pkt(
            Proto::Tcp,
            "[::ffff:192.0.2.10]:40000",
            "198.51.100.20:5060",
            b"abc",
        ),
    );
    assert_eq!(s1.src, "192.0.2.10".parse::<IpAddr>().unwrap());
    let s2 = one(
        &mut cap,
        &pkt(
            Proto::Tcp,
            "192.0.2.10:40000",
            "[::ffff:198.51.100.20]:5060",
            b"d",
        ),
    );
    assert_eq!(s2.dst, "198.51.100.20".parse::<IpAddr>().unwrap());
    assert_eq!(tcp(&s2).seq, tcp(&s1).seq.wrapping_add(3));
}

#[test]
fn mixed_families_become_ipv6_with_a_mapped_side() {
    let mut cap = Capture::new(Limits::default());
    let ip = one(
        &mut cap,
        &pkt(Proto::Udp, "192.0.2.10:5060", "[2001:db8::20]:5060", b"x"),
    );
    assert_eq!(ip.src, "::ffff:192.0.2.10".parse::<IpAddr>().unwrap());
    assert_eq!(ip.dst, "2001:db8::20".parse::<IpAddr>().unwrap());
    let ip = one(
        &mut cap,
        &pkt(
            Proto::Tcp,
            "[2001:db8::20]:5060",
            "[::ffff:192.0.2.10]:7",
            b"y",
        ),
    );
    assert_eq!(ip.src, "2001:db8::20".parse::<IpAddr>().unwrap());
    assert_eq!(ip.dst, "::ffff:192.0.2.10".parse::<IpAddr>().unwrap());
    // Both mapped: plain IPv4. A scope id is dropped.
    let ip = one(
        &mut cap,
        &pkt(
            Proto::Udp,
            "[::ffff:10.0.0.1]:1",
            "[::ffff:10.0.0.2]:2",
            b"z",
        ),
    );
    assert_eq!(ip.src, "10.0.0.1".parse::<IpAddr>().unwrap());
    let ip = one(
        &mut cap,
        &pkt(Proto::Udp, "[fe80::1%3]:1", "[fe80::2%3]:2", b"z"),
    );
    assert_eq!(ip.src, "fe80::1".parse::<IpAddr>().unwrap());
    // IPv4-compatible (deprecated ::a.b.c.d) is not IPv4-mapped: it stays IPv6.
    let ip = one(
        &mut cap,
        &pkt(Proto::Udp, "[::10.0.0.1]:1", "10.0.0.2:2", b"z"),
    );
    assert_eq!(ip.src, "::10.0.0.1".parse::<IpAddr>().unwrap());
}

#[test]
fn max_packets_drops_the_rest() {
    let mut cap = Capture::new(Limits {
        max_packets: 3,
        ..Limits::default()
    });
    let p = pkt(Proto::Udp, "192.0.2.1:1", "192.0.2.2:2", &[0x80; 172]);
    for _ in 0..5 {
        cap.record(&p);
    }
    assert_eq!((cap.packets(), cap.dropped(), cap.is_full()), (3, 2, true));
    let bytes = cap.bytes();
    let file = cap.finish();
    assert_eq!(file.len(), bytes);
    assert_eq!(records(&file).len(), 3);
}

#[test]
fn max_bytes_drops_the_rest_and_stays_full() {
    let each = RECORD_HEADER_LEN + 28 + 100;
    let mut cap = Capture::new(Limits {
        max_bytes: FILE_HEADER_LEN + 2 * each + 10,
        ..Limits::default()
    });
    let big = pkt(Proto::Udp, "192.0.2.1:1", "192.0.2.2:2", &[7; 100]);
    let small = pkt(Proto::Udp, "192.0.2.1:1", "192.0.2.2:2", &[7; 1]);
    for _ in 0..3 {
        cap.record(&big);
    }
    assert_eq!((cap.packets(), cap.dropped()), (2, 1));
    // A packet that would still fit is dropped too: the file is one stretch of time.
    cap.record(&small);
    assert_eq!((cap.packets(), cap.dropped()), (2, 2));
    assert_eq!(cap.bytes(), FILE_HEADER_LEN + 2 * each);
    assert!(cap.bytes() <= cap.limits().max_bytes);
}

#[test]
fn exactly_at_the_limit_fits() {
    let mut cap = Capture::new(Limits {
        max_bytes: FILE_HEADER_LEN + RECORD_HEADER_LEN + 28 + 5,
        max_packets: 1,
        ..Limits::default()
    });
    cap.record(&pkt(Proto::Udp, "192.0.2.1:1", "192.0.2.2:2", b"12345"));
    assert_eq!((cap.packets(), cap.dropped(), cap.is_full()), (1, 0, false));
    cap.record(&pkt(Proto::Udp, "192.0.2.1:1", "192.0.2.2:2", b""));
    assert_eq!((cap.packets(), cap.dropped(), cap.is_full()), (1, 1, true));
}

#[test]
fn a_split_message_is_dropped_whole_and_counted_per_segment() {
    let mut cap = Capture::new(Limits {
        max_packets: 2,
        ..Limits::default()
    });
    let big = vec![b'a'; 3 * 65_495];
    cap.record(&pkt(Proto::Tcp, "192.0.2.1:1", "192.0.2.2:2", &big));
    assert_eq!((cap.packets(), cap.dropped()), (0, 3));
    assert_eq!(cap.bytes(), FILE_HEADER_LEN);
}

#[test]
fn limits_below_the_file_header_keep_the_header() {
    let mut cap = Capture::new(Limits {
        max_bytes: 0,
        max_packets: 0,
        snaplen: 0,
    });
    cap.record(&pkt(Proto::Udp, "192.0.2.1:1", "192.0.2.2:2", b"x"));
    assert_eq!((cap.packets(), cap.dropped()), (0, 1));
    assert_eq!(cap.limits().snaplen, MIN_SNAPLEN);
    assert_eq!(cap.finish().len(), FILE_HEADER_LEN);
}

fn split_check(src: &str, dst: &str, seg: usize) {
    let mut cap = Capture::new(Limits::default());
    let msg: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    cap.record(&pkt(Proto::Tcp, src, dst, &msg));
    cap.record(&pkt(Proto::Tcp, src, dst, b"next"));
    let recs = records(&cap.finish());
    let segs: Vec<Seg> = recs.iter().map(|r| tcp(&check_packet(&r.data))).collect();
    let sizes: Vec<usize> = segs.iter().map(|s| s.data.len()).collect();
    assert_eq!(sizes, [seg, seg, seg, 200_000 - 3 * seg, 4]);
    let flags: Vec<u8> = segs.iter().map(|s| s.flags).collect();
    assert_eq!(flags, [0x10, 0x10, 0x10, 0x18, 0x18]);
    for w in segs.windows(2) {
        assert_eq!(w[1].seq, w[0].seq.wrapping_add(w[0].data.len() as u32));
        assert_eq!(w[1].ack, w[0].ack);
    }
    let joined: Vec<u8> = segs[..4].iter().flat_map(|s| s.data.clone()).collect();
    assert_eq!(joined, msg);
    assert!(recs.iter().all(|r| r.orig as usize == r.data.len()));
}

#[test]
fn huge_tcp_payload_splits_into_valid_segments() {
    // IPv4: total length 20 + 20 + 65,495 = 65,535.
    split_check("192.0.2.10:40000", "198.51.100.20:5060", 65_495);
    // IPv6: payload length 20 + 65,515 = 65,535.
    split_check("[2001:db8::10]:40000", "[2001:db8::20]:5060", 65_515);
}

#[test]
fn huge_udp_payload_is_cut_to_a_valid_datagram() {
    let mut cap = Capture::new(Limits::default());
    let big = vec![0x55; 100_000];
    cap.record(&pkt(Proto::Udp, "192.0.2.1:1", "192.0.2.2:2", &big));
    cap.record(&pkt(Proto::Udp, "[2001:db8::1]:1", "[2001:db8::2]:2", &big));
    cap.record(&pkt(
        Proto::Udp,
        "192.0.2.1:1",
        "192.0.2.2:2",
        &big[..65_507],
    ));
    assert_eq!((cap.packets(), cap.truncated()), (3, 2));
    let recs = records(&cap.finish());
    let lens: Vec<usize> = recs
        .iter()
        .map(|r| payload_of(&check_packet(&r.data)).len())
        .collect();
    assert_eq!(lens, [65_507, 65_527, 65_507]);
    assert_eq!(recs[0].data.len(), 65_535);
    assert_eq!(recs[1].data.len(), 65_575);
}

#[test]
fn snaplen_cuts_records_but_not_lengths() {
    let mut cap = Capture::new(Limits {
        snaplen: 96,
        ..Limits::default()
    });
    let rtp = [0x80u8; 172];
    cap.record(&pkt(Proto::Udp, "192.0.2.1:10000", "192.0.2.2:20000", &rtp));
    cap.record(&pkt(
        Proto::Udp,
        "192.0.2.1:10000",
        "192.0.2.2:20000",
        &rtp[..10],
    ));
    let file = cap.finish();
    assert_eq!(le32(&file, 16), 96);
    let recs = records(&file);
    assert_eq!((recs[0].data.len(), recs[0].orig), (96, 200));
    assert_eq!(
        be16(&recs[0].data, 2),
        200,
        "IP total length is the real one"
    );
    assert_eq!((recs[1].data.len(), recs[1].orig), (38, 38));

    assert_eq!(
        Capture::new(Limits {
            snaplen: 1,
            ..Limits::default()
        })
        .limits()
        .snaplen,
        64
    );
    let huge = Limits {
        snaplen: u32::MAX,
        ..Limits::default()
    };
    assert_eq!(Capture::new(huge).limits().snaplen, MAX_SNAPLEN);
}

#[test]
fn snaplen_counts_towards_max_bytes() {
    let mut cap = Capture::new(Limits {
        snaplen: 64,
        max_bytes: FILE_HEADER_LEN + 2 * (RECORD_HEADER_LEN + 64),
        max_packets: 10,
    });
    for _ in 0..3 {
        cap.record(&pkt(Proto::Udp, "192.0.2.1:1", "192.0.2.2:2", &[0; 1000]));
    }
    assert_eq!((cap.packets(), cap.dropped()), (2, 1));
}

#[test]
fn timestamps() {
    let mut cap = Capture::new(Limits::default());
    let mut p = pkt(Proto::Udp, "192.0.2.1:1", "192.0.2.2:2", b"x");
    p.time = at(1_234) + Duration::from_nanos(567_890);
    cap.record(&p);
    p.time = UNIX_EPOCH - Duration::from_secs(5);
    cap.record(&p);
    if let Some(t) = UNIX_EPOCH.checked_add(Duration::from_secs(1 << 40)) {
        p.time = t;
        cap.record(&p);
    }
    let recs = records(&cap.finish());
    assert_eq!((recs[0].sec, recs[0].usec), (1_700_000_001, 234_567));
    assert_eq!((recs[1].sec, recs[1].usec), (0, 0));
    if let Some(r) = recs.get(2) {
        assert_eq!((r.sec, r.usec), (u32::MAX, 999_999));
    }
}

#[test]
fn ports_and_payload_are_carried() {
    let mut cap = Capture::new(Limits::default());
    for (proto, off) in [(Proto::Udp, 0), (Proto::Tcp, 2)] {
        let ip = one(
            &mut cap,
            &pkt(proto, "192.0.2.1:0", "192.0.2.2:65535", b"hello"),
        );
        assert_eq!(ip.proto, if off == 0 { 17 } else { 6 });
        assert_eq!((be16(&ip.seg, 0), be16(&ip.seg, 2)), (0, 65_535));
        assert_eq!(payload_of(&ip), b"hello");
    }
}

/// A deterministic sweep over awkward inputs: nothing panics, every record is a valid
/// packet, and the counters add up.
#[test]
fn awkward_inputs_never_panic() {
    let addrs = [
        "0.0.0.0:0",
        "255.255.255.255:65535",
        "[::]:0",
        "[::ffff:1.2.3.4]:5060",
        "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
        "[fe80::1%4294967295]:1",
        "127.0.0.1:5061",
    ];
    let sizes = [
        0, 1, 2, 3, 4, 5, 59, 60, 61, 1500, 65_495, 65_496, 65_507, 65_508, 65_515, 65_516, 65_527,
        65_528, 131_031,
    ];
    let data = vec![0xA5u8; 131_031];
    for snaplen in [0, 64, 65, 1000, 65_535, 65_575, u32::MAX] {
        let mut cap = Capture::new(Limits {
            max_bytes: 4 << 20,
            max_packets: 1_000,
            snaplen,
        });
        let mut calls = 0usize;
        for (i, s) in addrs.iter().enumerate() {
            for d in &addrs[i..] {
                for &n in &sizes {
                    for proto in [Proto::Udp, Proto::Tcp] {
                        cap.record(&pkt(proto, s, d, &data[..n]));
                        cap.record(&pkt(proto, d, s, &data[..n]));
                        calls += 2;
                    }
                }
            }
        }
        assert!(cap.is_full());
        assert!(cap.packets() + cap.dropped() >= calls);
        assert!(cap.bytes() <= 4 << 20);
        let packets = cap.packets();
        let recs = records(&cap.finish());
        assert_eq!(recs.len(), packets);
        for r in &recs {
            if r.orig as usize == r.data.len() {
                check_packet(&r.data);
            }
        }
    }
}

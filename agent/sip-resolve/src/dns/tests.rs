//! Codec tests: messages written by hand from the RFC formats, byte by byte, and a
//! mutation / truncation robustness test.

use super::*;
use tipring_sip::rng::Rng;

fn name(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

/// `dig example.com A` with ID 0x1234: the header (RFC 1035 §4.1.1) and one question
/// (§4.1.2), as every stub resolver sends it.
const QUERY_EXAMPLE_COM_A: &[u8] = &[
    0x12, 0x34, // ID
    0x01, 0x00, // QR=0 OPCODE=0 AA=0 TC=0 RD=1 RA=0 Z=0 RCODE=0
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // QD=1 AN=0 NS=0 AR=0
    7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, // QNAME
    0x00, 0x01, // QTYPE A
    0x00, 0x01, // QCLASS IN
];

/// A recursive server's answer to `_sip._udp.example.com SRV` (RFC 2782), with the
/// targets' addresses in the additional section, every name compressed (RFC 1035
/// §4.1.4; the SRV targets too, which RFC 3597 §4 tells decoders to accept).
const SRV_RESPONSE: &[u8] = &[
    0xBE, 0xEF, // ID
    0x81, 0x80, // QR=1 RD=1 RA=1 RCODE=NOERROR
    0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, // QD=1 AN=2 NS=0 AR=2
    // offset 12: QNAME _sip._udp.example.com
    4, b'_', b's', b'i', b'p', // 12
    4, b'_', b'u', b'd', b'p', // 17
    7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', // 22
    3, b'c', b'o', b'm', 0, // 30
    0x00, 0x21, 0x00, 0x01, // QTYPE SRV, QCLASS IN
    // offset 39: answer 1
    0xC0, 12, // -> _sip._udp.example.com
    0x00, 0x21, 0x00, 0x01, // SRV IN
    0x00, 0x00, 0x0E, 0x10, // TTL 3600
    0x00, 13, // RDLENGTH
    0x00, 10, 0x00, 60, 0x13, 0xC4, // priority 10, weight 60, port 5060
    4, b's', b'i', b'p', b'1', 0xC0, 22, // offset 57: sip1 -> example.com
    // offset 64: answer 2
    0xC0, 12, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x0E, 0x10, 0x00, 13, //
    0x00, 20, 0x00, 0, 0x13, 0xC4, // priority 20, weight 0, port 5060
    4, b's', b'i', b'p', b'2', 0xC0, 22, // offset 82: sip2 -> example.com
    // offset 89: additional 1, sip1.example.com A 192.0.2.1
    0xC0, 57, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0E, 0x10, 0x00, 4, //
    192, 0, 2, 1, //
    // offset 105: additional 2, sip2.example.com AAAA 2001:db8::2
    0xC0, 82, 0x00, 0x1C, 0x00, 0x01, 0x00, 0x00, 0x0E, 0x10, 0x00, 16, //
    0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
];

/// `nosuch.example.com A` answered NXDOMAIN, the zone's SOA in the authority section
/// for negative caching (RFC 2308 §3), its names compressed against the question.
const NXDOMAIN_RESPONSE: &[u8] = &[
    0x00, 0x07, // ID
    0x81, 0x83, // QR=1 RD=1 RA=1 RCODE=3 NXDOMAIN
    0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, // QD=1 AN=0 NS=1 AR=0
    // offset 12
    6, b'n', b'o', b's', b'u', b'c', b'h', // 12
    7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, // 19
    0x00, 0x01, 0x00, 0x01, // A IN
    // offset 36: example.com SOA, TTL 900
    0xC0, 19, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x03, 0x84, 0x00, 33, //
    2, b'n', b's', 0xC0, 19, // MNAME ns.example.com (5)
    5, b'a', b'd', b'm', b'i', b'n', 0xC0, 19, // RNAME admin.example.com (8)
    0x78, 0x49, 0x4C, 0x7B, // SERIAL 2018069627
    0x00, 0x00, 0x1C, 0x20, // REFRESH 7200
    0x00, 0x00, 0x0E, 0x10, // RETRY 3600
    0x00, 0x12, 0x75, 0x00, // EXPIRE 1209600
    0x00, 0x00, 0x01, 0x2C, // MINIMUM 300
];

/// `www.example.com AAAA` answered through an alias: CNAME to `host.example.net`, then
/// the AAAA of that name (RFC 1034 §3.6.2, §4.3.2 step 3a).
const CNAME_RESPONSE: &[u8] = &[
    0x42, 0x42, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, //
    // offset 12
    3, b'w', b'w', b'w', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, 0x00,
    0x1C, 0x00, 0x01, // AAAA IN
    // offset 33: www.example.com CNAME host.example.net, TTL 60
    0xC0, 12, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 60, 0x00, 18, //
    4, b'h', b'o', b's', b't', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'n', b'e', b't',
    0, // offset 45..63
    // offset 63: host.example.net AAAA 2001:db8::10, TTL 300
    0xC0, 45, 0x00, 0x1C, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2C, 0x00, 16, //
    0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The answer to a query over UDP that did not fit in 512 octets: TC set, answer
/// section empty (RFC 1035 §4.1.1, RFC 2181 §9).
const TRUNCATED_RESPONSE: &[u8] = &[
    0x55, 0x66, 0x83, 0x80, // QR=1 TC=1 RD=1 RA=1
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
    4, b'_', b's', b'i', b'p', 4, b'_', b't', b'c', b'p', 3, b'b', b'i', b'g', 0, //
    0x00, 0x21, 0x00, 0x01,
];

const SAMPLES: &[&[u8]] = &[
    QUERY_EXAMPLE_COM_A,
    SRV_RESPONSE,
    NXDOMAIN_RESPONSE,
    CNAME_RESPONSE,
    TRUNCATED_RESPONSE,
];

// RFC 1035 §4.1.1-§4.1.2: a query is a header with RD and one question.
#[test]
fn encodes_a_query_byte_for_byte() {
    let q = Message::query(0x1234, name("example.com"), RecordType::A);
    assert_eq!(q.encode().unwrap(), QUERY_EXAMPLE_COM_A);
    assert_eq!(
        Message::encode_query(0x1234, &name("example.com"), RecordType::A),
        QUERY_EXAMPLE_COM_A
    );
    let back = Message::decode(QUERY_EXAMPLE_COM_A).unwrap();
    assert_eq!(back, q);
    assert!(!back.header.response);
    assert!(back.header.recursion_desired);
}

// RFC 1035 §4.1.4: the example of the RFC itself. F.ISI.ARPA at offset 20, FOO.F.ISI.ARPA
// as a label and a pointer to 20 at offset 40, ARPA as a pointer to 26 at offset 64, the
// root at 92.
#[test]
fn rfc1035_compression_example() {
    let mut buf = vec![0u8; 94];
    buf[20..32].copy_from_slice(b"\x01F\x03ISI\x04ARPA\x00");
    buf[40..46].copy_from_slice(b"\x03FOO\xC0\x14");
    buf[64..66].copy_from_slice(b"\xC0\x1A");
    buf[92] = 0;
    let at = |pos| {
        let mut r = Reader { buf: &buf, pos };
        (r.name().unwrap(), r.pos)
    };
    assert_eq!(at(20), (name("f.isi.arpa"), 32));
    assert_eq!(at(40), (name("foo.f.isi.arpa"), 46));
    assert_eq!(at(64), (name("arpa"), 66));
    assert_eq!(at(92), (Name::root(), 93));
}

// RFC 2782 (SRV RDATA: priority, weight, port, target), RFC 3596 §2.2 (AAAA RDATA), and
// RFC 1035 §4.1.4 pointers into earlier record data.
#[test]
fn decodes_srv_response_with_additionals() {
    let m = Message::decode(SRV_RESPONSE).unwrap();
    assert_eq!(m.header.id, 0xBEEF);
    assert!(m.header.response && m.header.recursion_available && !m.header.truncated);
    assert_eq!(m.header.rcode, Rcode::NOERROR);
    assert_eq!(
        m.questions,
        [Question {
            name: name("_sip._udp.example.com"),
            rtype: RecordType::SRV,
            class: CLASS_IN
        }]
    );
    let srv: Vec<_> = m
        .answers
        .iter()
        .map(|r| {
            assert_eq!(r.name, name("_sip._udp.example.com"));
            assert_eq!(r.ttl, 3600);
            r.data.clone()
        })
        .collect();
    assert_eq!(
        srv,
        [
            RData::Srv(Srv {
                priority: 10,
                weight: 60,
                port: 5060,
                target: name("sip1.example.com")
            }),
            RData::Srv(Srv {
                priority: 20,
                weight: 0,
                port: 5060,
                target: name("sip2.example.com")
            }),
        ]
    );
    assert!(m.authorities.is_empty());
    assert_eq!(
        m.additionals,
        [
            Record::new(
                name("sip1.example.com"),
                3600,
                RData::A("192.0.2.1".parse().unwrap())
            ),
            Record::new(
                name("sip2.example.com"),
                3600,
                RData::Aaaa("2001:db8::2".parse().unwrap())
            ),
        ]
    );
}

// RFC 2308 §3: the NXDOMAIN answer carries the SOA; §5: its TTL and MINIMUM bound the
// negative cache entry.
#[test]
fn decodes_nxdomain_with_soa() {
    let m = Message::decode(NXDOMAIN_RESPONSE).unwrap();
    assert_eq!(m.header.rcode, Rcode::NXDOMAIN);
    assert!(m.answers.is_empty());
    assert_eq!(
        m.authorities,
        [Record::new(
            name("example.com"),
            900,
            RData::Soa(Soa {
                mname: name("ns.example.com"),
                rname: name("admin.example.com"),
                serial: 2_018_069_627,
                refresh: 7200,
                retry: 3600,
                expire: 1_209_600,
                minimum: 300,
            })
        )]
    );
}

// RFC 1034 §3.6.2: an alias and the record of the canonical name in one answer.
#[test]
fn decodes_cname_chain() {
    let m = Message::decode(CNAME_RESPONSE).unwrap();
    assert_eq!(
        m.answers,
        [
            Record::new(
                name("www.example.com"),
                60,
                RData::Cname(name("host.example.net"))
            ),
            Record::new(
                name("host.example.net"),
                300,
                RData::Aaaa("2001:db8::10".parse().unwrap())
            ),
        ]
    );
}

// RFC 1035 §4.1.1: TC tells the caller the message was cut to fit; the codec reports it.
#[test]
fn truncation_flag_is_visible() {
    let m = Message::decode(TRUNCATED_RESPONSE).unwrap();
    assert!(m.header.truncated);
    assert!(Header::decode(TRUNCATED_RESPONSE).unwrap().truncated);
    assert!(m.answers.is_empty());
}

// RFC 1035 §4.1.4: pointers are to "a prior occurance of the same name"; one pointing
// at itself, forwards, or into a cycle must not hang the decoder.
#[test]
fn pointer_loops_are_refused() {
    let mut msg = QUERY_EXAMPLE_COM_A[..12].to_vec();
    msg.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1]); // points at itself
    assert_eq!(Message::decode(&msg), Err(WireError::BadPointer(12)));

    let mut msg = QUERY_EXAMPLE_COM_A[..12].to_vec();
    msg.extend_from_slice(&[0xC0, 14, 0xC0, 12, 0, 1, 0, 1]); // forwards, then back
    assert_eq!(Message::decode(&msg), Err(WireError::BadPointer(12)));

    // Two names pointing at each other: the question (12) is a label and a pointer
    // forward to the answer's owner (18), which points back at the question.
    let mut msg = vec![0, 0, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
    msg.extend_from_slice(&[1, b'a', 0xC0, 18]); // 12: "a" then -> 18
    msg.extend_from_slice(&[0, 1, 0, 1]);
    msg.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 10, 0, 0, 1]); // 18
    assert!(matches!(
        Message::decode(&msg),
        Err(WireError::BadPointer(14))
    ));
}

// RFC 1035 §2.3.4: a name built from pointers may not exceed 255 octets.
#[test]
fn decompressed_names_are_bounded() {
    // A chain of 63-octet labels, each followed by a pointer to the previous one.
    let mut msg = vec![0, 0, 0x81, 0x80, 0, 0, 0, 5, 0, 0, 0, 0];
    let mut prev: Option<u16> = None;
    for _ in 0..5 {
        let at = msg.len() as u16;
        msg.push(63);
        msg.extend_from_slice(&[b'x'; 63]);
        match prev {
            Some(p) => msg.extend_from_slice(&(0xC000 | p).to_be_bytes()),
            None => msg.push(0),
        }
        msg.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 10, 0, 0, 1]);
        prev = Some(at);
    }
    assert!(matches!(
        Message::decode(&msg),
        Err(WireError::NameTooLong(_))
    ));
}

// RFC 1035 §3.4.1 / RFC 3596 §2.2: A data is 4 octets, AAAA 16; RFC 2782: SRV has three
// 16-bit fields and a name.
#[test]
fn rdata_length_must_match_type() {
    // Take the SRV response and claim the first A additional has 5 octets.
    let mut m = SRV_RESPONSE.to_vec();
    m[99..101].copy_from_slice(&[0, 5]);
    m.insert(105, 0);
    assert_eq!(
        Message::decode(&m),
        Err(WireError::BadRdata(RecordType::A, 101))
    );
    // An SRV whose RDLENGTH is one octet longer than its data.
    let mut m = SRV_RESPONSE.to_vec();
    m[50] = 14;
    m.insert(64, 0);
    assert_eq!(
        Message::decode(&m),
        Err(WireError::BadRdata(RecordType::SRV, 51))
    );
}

// RFC 3597 §5: unknown types are carried as opaque data and shown as TYPEnnn.
#[test]
fn unknown_types_round_trip_opaque() {
    let mut m = Message::query(9, name("example.com"), RecordType(65280));
    m.header.response = true;
    m.answers.push(Record::new(
        name("example.com"),
        5,
        RData::Other {
            rtype: RecordType(65280),
            data: vec![1, 2, 3],
        },
    ));
    let bytes = m.encode().unwrap();
    assert_eq!(Message::decode(&bytes).unwrap(), m);
    assert_eq!(RecordType(65280).to_string(), "TYPE65280");
}

// RFC 1035 §4.1.4: our encoder compresses, and decoding gives back the same message.
#[test]
fn encoder_compresses_and_round_trips() {
    for sample in SAMPLES {
        let m = Message::decode(sample).unwrap();
        let bytes = m.encode().unwrap();
        assert_eq!(Message::decode(&bytes).unwrap(), m);
        // Our encoder never writes SRV targets compressed, so it may be longer than the
        // hand-compressed sample, but never by more than those two targets' suffixes.
        assert!(
            bytes.len() <= sample.len() + 2 * 11,
            "{} bytes",
            bytes.len()
        );
    }
    // The CNAME sample is compressed exactly as a server would: same bytes.
    assert_eq!(
        Message::decode(CNAME_RESPONSE).unwrap().encode().unwrap(),
        CNAME_RESPONSE
    );
}

// RFC 2181 §8: a TTL with the most significant bit set is treated as zero.
#[test]
fn ttl_with_top_bit_counts_as_zero() {
    let r = Record::new(
        name("a.example"),
        0x8000_0000,
        RData::A(Ipv4Addr::LOCALHOST),
    );
    assert_eq!(r.effective_ttl(), 0);
    let r = Record::new(
        name("a.example"),
        0x7FFF_FFFF,
        RData::A(Ipv4Addr::LOCALHOST),
    );
    assert_eq!(r.effective_ttl(), 0x7FFF_FFFF);
}

/// Decodes and, when that succeeds, checks that encode -> decode gives the same message.
fn check_robust(bytes: &[u8]) {
    if let Ok(m) = Message::decode(bytes) {
        let again = m.encode().expect("a decoded message encodes");
        assert_eq!(
            Message::decode(&again).as_ref(),
            Ok(&m),
            "round trip of {bytes:02x?}"
        );
    }
    let _ = Header::decode(bytes);
}

// Robustness (RFC 1035 §4.1 framing read from untrusted datagrams): every strict prefix
// of a sample is an error, and no single-octet or random mutation panics; whatever still
// decodes survives an encode/decode round trip.
#[test]
fn mutations_and_truncations_never_panic() {
    for sample in SAMPLES {
        for len in 0..sample.len() {
            assert!(
                Message::decode(&sample[..len]).is_err(),
                "prefix of {len} octets decoded"
            );
        }
        for i in 0..sample.len() {
            for v in [
                0x00,
                0xFF,
                0xC0,
                0x3F,
                0x40,
                sample[i] ^ 1,
                sample[i] ^ 0x80,
            ] {
                let mut m = sample.to_vec();
                m[i] = v;
                check_robust(&m);
            }
        }
    }
    let mut rng = Rng::from_seed([7; 32]);
    for round in 0..20_000u32 {
        let sample = SAMPLES[round as usize % SAMPLES.len()];
        let mut m = sample.to_vec();
        for _ in 0..1 + rng.next_u64() % 4 {
            let i = (rng.next_u64() % m.len() as u64) as usize;
            m[i] = rng.next_u64() as u8;
        }
        if rng.next_u64().is_multiple_of(4) {
            let cut = (rng.next_u64() % (m.len() as u64 + 1)) as usize;
            m.truncate(cut);
        } else if rng.next_u64().is_multiple_of(4) {
            m.extend((0..rng.next_u64() % 16).map(|_| rng.next_u64() as u8));
        }
        check_robust(&m);
    }
}

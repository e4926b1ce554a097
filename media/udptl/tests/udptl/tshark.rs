//! tshark (Wireshark's T.38 dissector, an independent ASN.1 PER decoder) reads what the
//! encoder writes: a classic pcap file is built by hand (Ethernet / IPv4 / UDP on loopback,
//! port 4000) and tshark's fields are compared with our own reading of the same datagrams
//! (sequence numbers, message types, field types and lengths, secondary counts, FEC
//! npackets and entries); tshark must report nothing malformed. Skipped, with a message,
//! when tshark is not installed (Debian package `tshark`). `KEEP_PCAP=1` keeps the files
//! in the temporary directory.

use std::path::{Path, PathBuf};

use std::process::Command;

use tipring_udptl::{
    check_ifp, encode_ifp, parse, Encoder, ErrorCorrection, MsgType, Recovery, UdptlConfig,
};

const PORT: u16 = 4000;

/// A classic pcap file (LINKTYPE_ETHERNET) with one UDP datagram per record.
fn pcap(datagrams: &[Vec<u8>]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&0xA1B2_C3D4u32.to_le_bytes()); // magic, microseconds
    f.extend_from_slice(&2u16.to_le_bytes()); // version 2.4
    f.extend_from_slice(&4u16.to_le_bytes());
    f.extend_from_slice(&0i32.to_le_bytes()); // thiszone
    f.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
    f.extend_from_slice(&65_535u32.to_le_bytes()); // snaplen
    f.extend_from_slice(&1u32.to_le_bytes()); // Ethernet
    for (i, d) in datagrams.iter().enumerate() {
        let mut frame = Vec::new();
        frame.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02]); // dst, src
        frame.extend_from_slice(&0x0800u16.to_be_bytes());
        let udp_len = 8 + d.len();
        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&((20 + udp_len) as u16).to_be_bytes());
        ip.extend_from_slice(&(i as u16).to_be_bytes()); // identification
        ip.extend_from_slice(&[0x40, 0, 64, 17, 0, 0]); // DF, TTL 64, UDP, checksum 0
        ip.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1]);
        let sum = ip
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum::<u32>();
        let sum = (sum & 0xFFFF) + (sum >> 16);
        let sum = !((sum & 0xFFFF) + (sum >> 16)) as u16;
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&(PORT + 1).to_be_bytes());
        frame.extend_from_slice(&PORT.to_be_bytes());
        frame.extend_from_slice(&(udp_len as u16).to_be_bytes());
        frame.extend_from_slice(&[0, 0]); // no UDP checksum (IPv4)
        frame.extend_from_slice(d);
        f.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        f.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        f.extend_from_slice(&frame);
    }
    f
}

const FIELDS: [&str; 12] = [
    "t38.seq_number",
    "t38.type_of_msg",
    "t38.t30_indicator",
    "t38.t30_data",
    "t38.field_type",
    "t38.field_data",
    "t38.error_recovery",
    "t38.secondary_ifp_packets",
    "t38.fec_npackets",
    "t38.fec_data",
    "_ws.malformed",
    "_ws.expert.severity",
];

/// One dissected frame: each field's occurrences, in tree order (the primary IFP first).
type Row = Vec<Vec<String>>;

fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs tshark over `datagrams`; `pre_corrigendum` selects the T.38 (1998) field-type
/// encoding, i.e. version 0.
fn dissect(name: &str, datagrams: &[Vec<u8>], pre_corrigendum: bool) -> Vec<Row> {
    let file = format!("tipring-udptl-{}-{name}.pcap", std::process::id());
    let path: PathBuf = std::env::temp_dir().join(file);
    std::fs::write(&path, pcap(datagrams)).unwrap();
    let rows = run_tshark(&path, pre_corrigendum);
    if std::env::var_os("KEEP_PCAP").is_none() {
        let _ = std::fs::remove_file(&path);
    }
    assert_eq!(
        rows.len(),
        datagrams.len(),
        "{name}: tshark saw a different frame count"
    );
    rows
}

fn run_tshark(path: &Path, pre_corrigendum: bool) -> Vec<Row> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-n")
        .arg("-r")
        .arg(path)
        .args(["-d", &format!("udp.port=={PORT},t38")])
        .args([
            "-o",
            &format!(
                "t38.use_pre_corrigendum_asn1_specification:{}",
                if pre_corrigendum { "TRUE" } else { "FALSE" }
            ),
        ])
        .args([
            "-T",
            "fields",
            "-E",
            "separator=/t",
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=|",
        ]);
    for f in FIELDS {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("run tshark");
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            line.split('\t')
                .map(|f| {
                    if f.is_empty() {
                        Vec::new()
                    } else {
                        f.split('|').map(str::to_owned).collect()
                    }
                })
                .collect()
        })
        .collect()
}

fn field<'a>(row: &'a Row, name: &str) -> &'a [String] {
    let i = FIELDS.iter().position(|f| *f == name).unwrap();
    row.get(i).map(Vec::as_slice).unwrap_or(&[])
}

/// The numeric values of a field (tshark prints a number for enumerated fields with -T
/// fields).
fn nums(row: &Row, name: &str) -> Vec<i64> {
    field(row, name)
        .iter()
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{name}: {v}")))
        .collect()
}

/// Compares tshark's dissection of `datagrams` with our own parse of them.
fn compare(name: &str, datagrams: &[Vec<u8>], version: u8) {
    let rows = dissect(name, datagrams, version == 0);
    for (i, (d, row)) in datagrams.iter().zip(&rows).enumerate() {
        let what = format!("{name} frame {}: {row:?}", i + 1);
        let p = parse(d).unwrap();
        assert!(field(row, "_ws.malformed").is_empty(), "malformed: {what}");
        // Expert info: nothing at Warning (0x600000) or Error (0x800000) level.
        assert!(
            nums(row, "_ws.expert.severity")
                .iter()
                .all(|s| *s < 0x60_0000),
            "expert: {what}"
        );
        assert_eq!(nums(row, "t38.seq_number"), [i64::from(p.seq)], "{what}");

        // Every IFP tshark dissects, primary first, then the secondaries in order.
        let ifps: Vec<&[u8]> = match &p.recovery {
            Recovery::Redundancy(list) => std::iter::once(p.primary)
                .chain(list.iter().copied())
                .collect(),
            Recovery::Fec { .. } => vec![p.primary],
        };
        let (mut types, mut indicators, mut data, mut field_types, mut field_lens) =
            (vec![], vec![], vec![], vec![], vec![]);
        for ifp in &ifps {
            let info = check_ifp(ifp, version).unwrap();
            match info.msg {
                MsgType::Indicator(v) => {
                    types.push(0);
                    indicators.push(i64::from(v));
                }
                MsgType::Data(v) => {
                    types.push(1);
                    data.push(i64::from(v));
                }
            }
            for (t, len) in info.fields {
                field_types.push(i64::from(t));
                if len > 0 {
                    field_lens.push(len);
                }
            }
        }
        assert_eq!(nums(row, "t38.type_of_msg"), types, "{what}");
        assert_eq!(nums(row, "t38.t30_indicator"), indicators, "{what}");
        assert_eq!(nums(row, "t38.t30_data"), data, "{what}");
        assert_eq!(nums(row, "t38.field_type"), field_types, "{what}");
        let lens: Vec<usize> = field(row, "t38.field_data")
            .iter()
            .map(|h| h.len() / 2)
            .collect();
        assert_eq!(lens, field_lens, "{what}");
        match &p.recovery {
            Recovery::Redundancy(list) => {
                assert_eq!(nums(row, "t38.error_recovery"), [0], "{what}");
                assert_eq!(
                    nums(row, "t38.secondary_ifp_packets"),
                    [list.len() as i64],
                    "{what}"
                );
                assert!(field(row, "t38.fec_npackets").is_empty(), "{what}");
            }
            Recovery::Fec { npackets, data } => {
                assert_eq!(nums(row, "t38.error_recovery"), [1], "{what}");
                assert_eq!(
                    nums(row, "t38.fec_npackets"),
                    [i64::from(*npackets)],
                    "{what}"
                );
                assert_eq!(nums(row, "t38.fec_data"), [data.len() as i64], "{what}");
            }
        }
    }
}

/// A T.30 DIS frame (address, control, FCF, FIF) as T.38 carries it: each octet
/// least significant bit first, the order of the line (T.38 §7.4; T.30 §5.3).
const DIS: &[u8] = &[
    0xFF, 0xC8, 0x01, 0x00, 0x77, 0x1F, 0x01, 0x01, 0x89, 0x01, 0x01, 0x01, 0x18,
];
/// A T.30 CFR frame.
const CFR: &[u8] = &[0xFF, 0xC8, 0x21];

/// A fax-like IFP sequence of T.38 `version` (0 or 2+).
fn fax_ifps(version: u8) -> Vec<Vec<u8>> {
    let ind = |v| encode_ifp(MsgType::Indicator(v), &[], version).unwrap();
    let data = |v, fields: &[(u8, &[u8])]| encode_ifp(MsgType::Data(v), fields, version).unwrap();
    let page: Vec<u8> = (0..120u8).collect();
    let mut ifps = vec![
        ind(1), // CNG
        ind(2), // CED
        ind(3), // V.21 preamble
        // V.21 HDLC: DIS then its FCS, in one IFP and in two.
        data(0, &[(0, DIS), (2, &[])]),
        data(0, &[(0, CFR)]),
        data(0, &[(4, &[])]), // hdlc-fcs-OK-sig-end
        ind(0),
        ind(15), // V.17 14400 long training
        data(8, &[(6, &page)]),
        data(8, &[(6, &page[..40]), (7, &[])]), // t4-non-ecm-sig-end
        ind(0),
        // A data-less field followed by another field: packed, not padded (X.691).
        data(0, &[(0, DIS)]),
        data(0, &[(2, &[]), (0, CFR), (4, &[])]),
    ];
    if version > 0 {
        ifps.push(ind(16)); // v8-ansam (extension addition)
        ifps.push(ind(22)); // v33-14400-training
        ifps.push(data(9, &[(8, b"\x01\x02")])); // v8, cm-message
                                                 // v34-pri-rate, jm-message then v34rate (field-type additions 1 and 3).
        ifps.push(data(10, &[(9, b"\x05"), (11, b"144")]));
    }
    ifps
}

fn modes() -> [ErrorCorrection; 4] {
    [
        ErrorCorrection::None,
        ErrorCorrection::Redundancy { depth: 3 },
        ErrorCorrection::Fec {
            span: 3,
            entries: 2,
        },
        ErrorCorrection::Fec {
            span: 2,
            entries: 1,
        },
    ]
}

fn encode_all(ec: ErrorCorrection, ifps: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut e = Encoder::new(&UdptlConfig {
        ec,
        max_datagram: 400,
        max_ifp: 400,
    });
    ifps.iter().map(|i| e.encode(i).unwrap()).collect()
}

fn skip() -> bool {
    if tshark_available() {
        return false;
    }
    eprintln!("tshark not found (apt-get install tshark): skipping the tshark checks");
    true
}

#[test]
fn tshark_reads_every_mode_version_2() {
    if skip() {
        return;
    }
    for (m, ec) in modes().into_iter().enumerate() {
        compare(&format!("v2-mode{m}"), &encode_all(ec, &fax_ifps(2)), 2);
    }
}

#[test]
fn tshark_reads_every_mode_version_0() {
    if skip() {
        return;
    }
    for (m, ec) in modes().into_iter().enumerate() {
        compare(&format!("v0-mode{m}"), &encode_all(ec, &fax_ifps(0)), 0);
    }
}

#[test]
fn tshark_reads_sequence_wrap_and_trimmed_datagrams() {
    if skip() {
        return;
    }
    let ifps = fax_ifps(2);
    let mut e = Encoder::new(&UdptlConfig {
        ec: ErrorCorrection::Redundancy { depth: 4 },
        max_datagram: 200, // forces trimming of the redundancy around the page data
        max_ifp: 400,
    });
    let mut kept = Vec::new();
    // From the start of a cycle of the fax-like sequence, so that tshark's T.30 reassembly
    // sees whole frames.
    let first = 65_530 - 65_530 % ifps.len();
    for i in 0..65_545usize {
        let d = e.encode(&ifps[i % ifps.len()]).unwrap();
        assert!(d.len() <= 200);
        if i >= first {
            kept.push(d);
        }
    }
    let seqs: Vec<u16> = kept.iter().map(|d| parse(d).unwrap().seq).collect();
    assert!(seqs.contains(&65_535) && seqs.contains(&0));
    compare("wrap", &kept, 2);
}

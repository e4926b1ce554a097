//! Independent check: our RTP and RTCP written to a pcap, dissected by scapy
//! (`pip install scapy`), fields compared.

use std::io::Write;
use std::process::Command;

use tipring_rtp::rtcp::{ReportBlock, RtcpWriter, SenderInfo};
use tipring_rtp::{NtpTime, RtpHeader};

/// Minimal pcap (LINKTYPE_ETHERNET) of UDP/IPv4 datagrams.
fn pcap(datagrams: &[(u16, &[u8])]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&0xA1B2_C3D4u32.to_le_bytes());
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&4u16.to_le_bytes());
    f.extend_from_slice(&0i32.to_le_bytes());
    f.extend_from_slice(&0u32.to_le_bytes());
    f.extend_from_slice(&65535u32.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    for (i, (port, payload)) in datagrams.iter().enumerate() {
        let mut frame = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00];
        let total = 20 + 8 + payload.len();
        let mut ip = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0x40,
            0,
            64,
            17,
            0,
            0,
            192,
            0,
            2,
            51,
            192,
            0,
            2,
            20,
        ];
        let mut sum: u32 = ip
            .chunks(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
            .sum();
        while sum > 0xFFFF {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        let ck = !(sum as u16);
        ip[10..12].copy_from_slice(&ck.to_be_bytes());
        frame.extend_from_slice(&ip);
        let ulen = (8 + payload.len()) as u16;
        frame.extend_from_slice(&4000u16.to_be_bytes());
        frame.extend_from_slice(&port.to_be_bytes());
        frame.extend_from_slice(&ulen.to_be_bytes());
        frame.extend_from_slice(&0u16.to_be_bytes());
        frame.extend_from_slice(payload);
        f.extend_from_slice(&(i as u32).to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        f.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        f.extend_from_slice(&frame);
    }
    f
}

const SCRIPT: &str = r#"
import sys
try:
    from scapy.all import rdpcap, UDP
    from scapy.layers.rtp import RTP
    from scapy.contrib.rtcp import RTCP
except ImportError:
    print("MISSING-SCAPY")
    sys.exit(3)
for p in rdpcap(sys.argv[1]):
    data = bytes(p[UDP].payload)
    if 192 <= data[1] <= 223:
        # scapy dissects one RTCP packet at a time: walk the compound by its length.
        while data:
            r = RTCP(data)
            ssrc = "-" if r.sourcesync is None else hex(r.sourcesync)
            print("RTCP", r.packet_type, r.count, r.length, ssrc)
            if r.packet_type == 200:
                si = r.sender_info
                print("SI", si.ntp_timestamp >> 32, si.ntp_timestamp & 0xFFFFFFFF,
                      si.rtp_timestamp, si.sender_packet_count, si.sender_octet_count)
            if r.packet_type in (200, 201):
                for b in r.report_blocks:
                    print("RB", hex(b.sourcesync), b.fraction_lost, b.cumulative_lost,
                          b.highest_seqnum_recv, b.interarrival_jitter,
                          hex(b.last_SR_timestamp), b.delay_since_last_SR)
            if r.packet_type == 202:
                for c in r.sdes_chunks:
                    for it in c.items:
                        if it.chunk_type:
                            print("SDES", hex(c.sourcesync), it.chunk_type, it.value.decode())
            data = data[(r.length + 1) * 4:]
    else:
        r = RTP(data)
        print("RTP", r.version, r.marker, r.payload_type, r.sequence, r.timestamp,
              hex(r.sourcesync), [hex(x) for x in r.sync], len(bytes(r.payload)))
"#;

#[test]
fn scapy_dissects_our_rtp_and_rtcp() {
    let mut rtp = [0u8; 256];
    let csrcs = [0x0A0B_0C0D, 0x0102_0304];
    let n = RtpHeader {
        marker: true,
        csrcs: &csrcs,
        ..RtpHeader::new(0, 4242, 0xDEAD_BEEF, 0x1122_3344)
    }
    .write(&[0xD5; 160], 0, &mut rtp)
    .unwrap();

    let mut sr = [0u8; 256];
    let mut w = RtcpWriter::new(&mut sr);
    w.sender_report(
        0x1122_3344,
        &SenderInfo {
            ntp: NtpTime::new(0xE84E_2C00, 0x8000_0000),
            rtp_timestamp: 16000,
            packet_count: 100,
            octet_count: 16000,
        },
        &[ReportBlock {
            ssrc: 0x5566_7788,
            fraction_lost: 10,
            cumulative_lost: 3,
            extended_highest_seq: 0x0001_0005,
            jitter: 32,
            last_sr: 0x2C00_0000,
            delay_since_last_sr: 0x0001_8000,
        }],
        &[],
    )
    .unwrap();
    w.sdes_cname(0x1122_3344, b"port1@gw.example").unwrap();
    let m = w.finish();

    let dir = std::env::temp_dir().join(format!("tipring-rtp-scapy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("rtp.pcap");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(&pcap(&[(14586, &rtp[..n]), (14587, &sr[..m])]))
        .unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(&path)
        .output()
        .expect("python3 not found: apt-get install python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains("MISSING-SCAPY"),
        "scapy is missing: pip install scapy"
    );
    assert!(
        out.status.success(),
        "scapy failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        vec![
            "RTP 2 1 0 4242 3735928559 0x11223344 ['0xa0b0c0d', '0x1020304'] 160",
            "RTCP 200 1 12 0x11223344",
            "SI 3897437184 2147483648 16000 100 16000",
            "RB 0x55667788 10 3 65541 32 0x2c000000 98304",
            "RTCP 202 1 6 -",
            "SDES 0x11223344 1 port1@gw.example",
        ],
        "full output:\n{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

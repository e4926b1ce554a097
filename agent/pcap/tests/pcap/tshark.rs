//! tshark reads a capture of a small call: SIP over UDP (IPv4, IPv6, and a mixed pair),
//! over TCP (a message written in two pieces, and one too big for one segment), over TLS
//! (decrypted, on TCP 5061), and RTP, on ports the captured SDP announced and on ports
//! only the RTP heuristic finds. Every frame must decode as expected, every IPv4 header,
//! UDP and TCP checksum must be verified Good, tshark must see no malformed packet and
//! no TCP sequence problem, and capinfos must count the packets. A second run over a copy
//! with three corrupted bytes shows that the checks do catch bad checksums.
//!
//! Skipped, with a message, when tshark is not installed (Debian package `tshark`).
//! `KEEP_PCAP=1` keeps the file in the temporary directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tipring_pcap::{Capture, Limits, Packet, Proto, FILE_HEADER_LEN, RECORD_HEADER_LEN};

const GW: &str = "192.0.2.10";
const PBX: &str = "198.51.100.20";
const GW6: &str = "2001:db8::10";
const PBX6: &str = "2001:db8::20";

/// The fields compared per frame (`-T fields`, every occurrence, `|` between them).
const FIELDS: [&str; 13] = [
    "frame.number",
    "ip.src",
    "ipv6.src",
    "udp.srcport",
    "tcp.srcport",
    "sip.Method",
    "sip.Status-Code",
    "rtp.seq",
    "ip.checksum.status",
    "udp.checksum.status",
    "tcp.checksum.status",
    "tcp.analysis.flags",
    "_ws.malformed",
];

/// tshark's checksum status values (Wireshark's `proto.h`): 0 Bad, 1 Good,
/// 2 Unverified, 3 Not present, 4 Illegal.
const BAD: &str = "ip.checksum.status==0 || udp.checksum.status==0 || tcp.checksum.status==0";

/// What one frame must show; `None` fields must be absent.
#[derive(Debug, Clone, Copy, Default)]
struct Expect {
    ip_src: Option<&'static str>,
    ipv6_src: Option<&'static str>,
    udp_srcport: Option<u16>,
    tcp_srcport: Option<u16>,
    method: Option<&'static str>,
    status: Option<&'static str>,
    rtp_seq: Option<u16>,
}

/// One recorded message and what tshark must make of each frame it becomes.
struct Step {
    proto: Proto,
    src: String,
    dst: String,
    payload: Vec<u8>,
    frames: Vec<Expect>,
}

fn sip(first: &str, via: &str, cseq: &str, ctype: &str, body: &[u8]) -> Vec<u8> {
    let mut m = format!(
        "{first}\r\n\
         Via: SIP/2.0/{via};branch=z9hG4bK-{cseq_n}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:201@pbx.example.net>;tag=gw1\r\n\
         To: <sip:200@pbx.example.net>\r\n\
         Call-ID: 7f3a@{GW}\r\n\
         CSeq: {cseq}\r\n",
        cseq_n = cseq.replace(' ', "-"),
    )
    .into_bytes();
    if !ctype.is_empty() {
        m.extend_from_slice(format!("Content-Type: {ctype}\r\n").as_bytes());
    }
    m.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    m.extend_from_slice(body);
    m
}

fn sdp(ip: &str, port: u16) -> Vec<u8> {
    format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
    )
    .into_bytes()
}

/// An RTP version 2 packet, PT 0 (PCMU), 20 ms of silence.
fn rtp(seq: u16, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 0x00];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[0xFF; 160]);
    p
}

fn step(proto: Proto, src: &str, dst: &str, payload: Vec<u8>, frames: Vec<Expect>) -> Step {
    Step {
        proto,
        src: src.to_owned(),
        dst: dst.to_owned(),
        payload,
        frames,
    }
}

fn udp4(src: &'static str, port: u16) -> Expect {
    Expect {
        ip_src: Some(src),
        udp_srcport: Some(port),
        ..Expect::default()
    }
}

fn udp6(src: &'static str, port: u16) -> Expect {
    Expect {
        ipv6_src: Some(src),
        udp_srcport: Some(port),
        ..Expect::default()
    }
}

fn tcp4(src: &'static str, port: u16) -> Expect {
    Expect {
        ip_src: Some(src),
        tcp_srcport: Some(port),
        ..Expect::default()
    }
}

fn call() -> Vec<Step> {
    use Proto::{Tcp, Udp};
    let gw = format!("{GW}:5060");
    let pbx = format!("{PBX}:5060");
    let gw_tcp = format!("{GW}:40000");
    let gw6 = format!("[{GW6}]:5060");
    let pbx6 = format!("[{PBX6}]:5060");

    let invite = sip(
        "INVITE sip:200@pbx.example.net SIP/2.0",
        &format!("UDP {GW}:5060"),
        "1 INVITE",
        "application/sdp",
        &sdp(GW, 10_000),
    );
    let ok = sip(
        "SIP/2.0 200 OK",
        &format!("UDP {GW}:5060"),
        "1 INVITE",
        "application/sdp",
        &sdp(PBX, 20_000),
    );
    // One MESSAGE over TCP, written in two pieces: headers, then the rest and the body.
    let message = sip(
        "MESSAGE sip:200@pbx.example.net SIP/2.0",
        &format!("TCP {GW}:40000"),
        "2 MESSAGE",
        "text/plain",
        b"Line 1 is off hook.",
    );
    let (m1, m2) = message.split_at(message.len() - 40);
    let options6 = sip(
        &format!("OPTIONS sip:[{PBX6}] SIP/2.0"),
        &format!("UDP [{GW6}]:5060"),
        "3 OPTIONS",
        "",
        b"",
    );
    let register = sip(
        "REGISTER sip:pbx.example.net SIP/2.0",
        &format!("TLS {GW}:40001"),
        "4 REGISTER",
        "",
        b"",
    );
    let registered = sip(
        "SIP/2.0 200 OK",
        &format!("TLS {GW}:40001"),
        "4 REGISTER",
        "",
        b"",
    );
    let mixed = sip(
        &format!("OPTIONS sip:[{PBX6}] SIP/2.0"),
        &format!("UDP {GW}:5060"),
        "5 OPTIONS",
        "",
        b"",
    );
    // Too big for one segment: 65,495 bytes, then the rest.
    let big = sip(
        "MESSAGE sip:200@pbx.example.net SIP/2.0",
        &format!("TCP {GW}:40000"),
        "6 MESSAGE",
        "text/plain",
        &vec![b'a'; 100_000],
    );
    let big_ok = sip(
        "SIP/2.0 200 OK",
        &format!("TCP {GW}:40000"),
        "6 MESSAGE",
        "",
        b"",
    );

    let with = |e: Expect, f: &dyn Fn(&mut Expect)| {
        let mut e = e;
        f(&mut e);
        e
    };
    let mut steps = vec![
        step(
            Udp,
            &gw,
            &pbx,
            invite,
            vec![with(udp4(GW, 5060), &|e| e.method = Some("INVITE"))],
        ),
        step(
            Udp,
            &pbx,
            &gw,
            ok,
            vec![with(udp4(PBX, 5060), &|e| e.status = Some("200"))],
        ),
        step(Tcp, &gw_tcp, &pbx, m1.to_vec(), vec![tcp4(GW, 40000)]),
        step(
            Tcp,
            &gw_tcp,
            &pbx,
            m2.to_vec(),
            vec![with(tcp4(GW, 40000), &|e| e.method = Some("MESSAGE"))],
        ),
        step(
            Udp,
            &gw6,
            &pbx6,
            options6,
            vec![with(udp6(GW6, 5060), &|e| e.method = Some("OPTIONS"))],
        ),
    ];
    // RTP to the ports the SDP above announced.
    for seq in 100..103 {
        steps.push(step(
            Udp,
            &format!("{GW}:10000"),
            &format!("{PBX}:20000"),
            rtp(seq, 0x1234_5678),
            vec![with(udp4(GW, 10_000), &|e| e.rtp_seq = Some(seq))],
        ));
    }
    // RTP of a call set up before the capture: only the heuristic finds it.
    for seq in [7, 8] {
        steps.push(step(
            Udp,
            &format!("[{GW6}]:30000"),
            &format!("[{PBX6}]:30002"),
            rtp(seq, 0x0bad_cafe),
            vec![with(udp6(GW6, 30_000), &|e| e.rtp_seq = Some(seq))],
        ));
    }
    steps.extend([
        // SIP over TLS, recorded decrypted; the gateway's dual-stack socket reports an
        // IPv4-mapped address.
        step(
            Tcp,
            &format!("[::ffff:{GW}]:40001"),
            &format!("{PBX}:5061"),
            register,
            vec![with(tcp4(GW, 40001), &|e| e.method = Some("REGISTER"))],
        ),
        step(
            Tcp,
            &format!("{PBX}:5061"),
            &format!("{GW}:40001"),
            registered,
            vec![with(tcp4(PBX, 5061), &|e| e.status = Some("200"))],
        ),
        // A pair that cannot exist: IPv6, the IPv4 side mapped.
        step(
            Udp,
            &gw,
            &pbx6,
            mixed,
            vec![with(udp6("::ffff:192.0.2.10", 5060), &|e| {
                e.method = Some("OPTIONS")
            })],
        ),
        step(
            Tcp,
            &gw_tcp,
            &pbx,
            big,
            vec![
                tcp4(GW, 40000),
                with(tcp4(GW, 40000), &|e| e.method = Some("MESSAGE")),
            ],
        ),
        step(
            Tcp,
            &pbx,
            &gw_tcp,
            big_ok,
            vec![with(tcp4(PBX, 5060), &|e| e.status = Some("200"))],
        ),
    ]);
    steps
}

fn at(i: usize) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_millis(20 * i as u64)
}

fn capture(steps: &[Step]) -> Vec<u8> {
    let mut cap = Capture::new(Limits::default());
    for (i, s) in steps.iter().enumerate() {
        let src: SocketAddr = s.src.parse().unwrap();
        let dst: SocketAddr = s.dst.parse().unwrap();
        cap.record(&Packet {
            time: at(i),
            proto: s.proto,
            src,
            dst,
            payload: &s.payload,
        });
    }
    let frames: usize = steps.iter().map(|s| s.frames.len()).sum();
    assert_eq!((cap.packets(), cap.dropped()), (frames, 0));
    cap.finish()
}

fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn skip() -> bool {
    if tshark_available() {
        return false;
    }
    eprintln!("tshark not installed; skipping (apt-get install tshark)");
    true
}

/// A file in the temporary directory, removed on drop unless `KEEP_PCAP` is set.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> Self {
        let file = format!("tipring-pcap-{}-{name}.pcap", std::process::id());
        let path = std::env::temp_dir().join(file);
        std::fs::write(&path, bytes).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if std::env::var_os("KEEP_PCAP").is_none() {
            let _ = std::fs::remove_file(&self.0);
        } else {
            eprintln!("kept {}", self.0.display());
        }
    }
}

/// Runs tshark over `path` with the checksum checks on, TLS port 5061 read as SIP and
/// the RTP heuristic on; returns stdout's lines.
fn tshark(path: &Path, extra: &[&str]) -> Vec<String> {
    let out = Command::new("tshark")
        .arg("-n")
        .arg("-r")
        .arg(path)
        .args(["-d", "tcp.port==5061,sip"])
        .args(["-o", "rtp.heuristic_rtp:TRUE"])
        .args(["-o", "ip.check_checksum:TRUE"])
        .args(["-o", "udp.check_checksum:TRUE"])
        .args(["-o", "tcp.check_checksum:TRUE"])
        .args(extra)
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn fields(path: &Path) -> Vec<Vec<String>> {
    let mut args = vec![
        "-T",
        "fields",
        "-E",
        "separator=/t",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=|",
    ];
    for f in FIELDS {
        args.extend(["-e", f]);
    }
    tshark(path, &args)
        .into_iter()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

#[test]
fn tshark_decodes_a_captured_call() {
    if skip() {
        return;
    }
    let steps = call();
    let file = TempFile::new("call", &capture(&steps));
    let expected: Vec<Expect> = steps.iter().flat_map(|s| s.frames.clone()).collect();
    let rows = fields(&file.0);
    assert_eq!(rows.len(), expected.len(), "frame count: {rows:#?}");
    for (i, (row, e)) in rows.iter().zip(&expected).enumerate() {
        let get = |name: &str| {
            let k = FIELDS.iter().position(|f| *f == name).unwrap();
            row.get(k).cloned().unwrap_or_default()
        };
        let n = i + 1;
        assert_eq!(get("frame.number"), n.to_string());
        let want = [
            ("ip.src", opt(e.ip_src)),
            ("ipv6.src", opt(e.ipv6_src)),
            ("udp.srcport", opt(e.udp_srcport)),
            ("tcp.srcport", opt(e.tcp_srcport)),
            ("sip.Method", opt(e.method)),
            ("sip.Status-Code", opt(e.status)),
            ("rtp.seq", opt(e.rtp_seq)),
            // Every checksum present is verified Good; IPv6 has no header checksum.
            ("ip.checksum.status", opt(e.ip_src.map(|_| 1))),
            ("udp.checksum.status", opt(e.udp_srcport.map(|_| 1))),
            ("tcp.checksum.status", opt(e.tcp_srcport.map(|_| 1))),
            ("tcp.analysis.flags", String::new()),
            ("_ws.malformed", String::new()),
        ];
        for (name, value) in want {
            assert_eq!(get(name), value, "frame {n}, {name}: {row:?}");
        }
    }
    // No frame with a bad checksum.
    let bad = tshark(&file.0, &["-Y", BAD, "-T", "fields", "-e", "frame.number"]);
    assert!(bad.is_empty(), "bad checksums in frames {bad:?}");
    capinfos_counts(&file.0, expected.len());
}

/// capinfos (from the same package) counts the packets.
fn capinfos_counts(path: &Path, n: usize) {
    let Ok(out) = Command::new("capinfos")
        .arg("-c")
        .arg("-M")
        .arg(path)
        .output()
    else {
        eprintln!("capinfos not installed; skipping the packet count");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let count = text
        .lines()
        .find_map(|l| l.strip_prefix("Number of packets:"))
        .map(str::trim);
    assert_eq!(count, Some(n.to_string().as_str()), "capinfos: {text}");
}

/// The start of each record's packet in `file`.
fn packet_offsets(file: &[u8]) -> Vec<usize> {
    let mut at = FILE_HEADER_LEN;
    let mut out = Vec::new();
    while at < file.len() {
        let incl = u32::from_le_bytes(file[at + 8..at + 12].try_into().unwrap()) as usize;
        out.push(at + RECORD_HEADER_LEN);
        at += RECORD_HEADER_LEN + incl;
    }
    out
}

/// The checks above would catch a wrong checksum: flip a bit of frame 1's SIP payload
/// (UDP), of frame 2's TTL (IPv4 header only: TTL is not in the UDP pseudo-header) and
/// of the last byte of the file (TCP).
#[test]
fn tshark_flags_corrupted_checksums() {
    if skip() {
        return;
    }
    let steps = call();
    let mut bytes = capture(&steps);
    let at = packet_offsets(&bytes);
    bytes[at[0] + 28 + 10] ^= 0x01;
    bytes[at[1] + 8] ^= 0x01;
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    let file = TempFile::new("corrupt", &bytes);
    let bad = tshark(
        &file.0,
        &[
            "-Y",
            BAD,
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "ip.checksum.status",
            "-e",
            "udp.checksum.status",
            "-e",
            "tcp.checksum.status",
        ],
    );
    let n = at.len();
    assert_eq!(
        bad,
        [
            "1\t1\t0\t".to_owned(),
            "2\t0\t1\t".to_owned(),
            format!("{n}\t1\t\t0"),
        ]
    );
}

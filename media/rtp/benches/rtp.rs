//! Micro-benchmarks of the per-packet paths, printed beside a baseline:
//!
//! * RTP parse vs a `memcpy` of the same bytes and vs a naive allocating parser;
//! * `send_audio` (header write + counters) vs a `memcpy` of the payload;
//! * `receive` with statistics (A.1 sequence, A.8 jitter, latching) vs the parse alone;
//! * an RTCP compound (SR + report block + SDES + XR VoIP metrics) built and parsed.
//!
//! Run with `cargo bench -p tipring-rtp`. Timing is printed, never asserted.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tipring_rtp::rtcp::{Compound, ReportBlock, RtcpWriter, SenderInfo, XrBlock};
use tipring_rtp::xr::{PacketOutcome, VoipMetricsCollector, VoipMetricsConfig};
use tipring_rtp::{NtpTime, Received, RtpHeader, RtpPacket, RtpSession, SessionConfig};

/// The benchmark's one clock.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

/// Run `f` for about `budget` after a warm-up; ns per call.
fn measure(budget: Duration, mut f: impl FnMut()) -> f64 {
    for _ in 0..2_000 {
        f();
    }
    let mut iters: u64 = 0;
    let start = now();
    loop {
        for _ in 0..1_000 {
            f();
        }
        iters += 1_000;
        let el = start.elapsed();
        if el >= budget {
            return el.as_nanos() as f64 / iters as f64;
        }
    }
}

/// What a straightforward allocating parser would do.
#[derive(Debug)]
#[allow(dead_code)]
struct NaivePacket {
    marker: bool,
    pt: u8,
    seq: u16,
    ts: u32,
    ssrc: u32,
    csrcs: Vec<u32>,
    payload: Vec<u8>,
}

fn naive_parse(b: &[u8]) -> Option<NaivePacket> {
    if b.len() < 12 || b[0] >> 6 != 2 {
        return None;
    }
    let cc = usize::from(b[0] & 15);
    let mut at = 12;
    let mut csrcs = Vec::new();
    for _ in 0..cc {
        csrcs.push(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?));
        at += 4;
    }
    if b[0] & 0x10 != 0 {
        let words = u16::from_be_bytes(b.get(at + 2..at + 4)?.try_into().ok()?);
        at += 4 + 4 * usize::from(words);
    }
    let mut end = b.len();
    if b[0] & 0x20 != 0 {
        end = end.checked_sub(usize::from(*b.last()?))?;
    }
    Some(NaivePacket {
        marker: b[1] & 0x80 != 0,
        pt: b[1] & 0x7F,
        seq: u16::from_be_bytes([b[2], b[3]]),
        ts: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
        ssrc: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
        csrcs,
        payload: b.get(at..end)?.to_vec(),
    })
}

fn main() {
    let budget = Duration::from_millis(300);
    let t0 = now();
    let wall = NtpTime::from_unix(Duration::from_secs(1_700_000_000));
    let gw: SocketAddr = "192.0.2.51:4000".parse().unwrap();
    let pbx: SocketAddr = "192.0.2.20:14586".parse().unwrap();

    let mut pkt = [0u8; 256];
    let n = RtpHeader::new(0, 1, 160, 0x1234)
        .write(&[0xD5; 160], 0, &mut pkt)
        .unwrap();
    let pkt = &pkt[..n];

    println!("tipring-rtp micro-benchmarks (G.711, 20 ms, {n}-byte RTP packets)");
    let ours = measure(budget, || {
        let p = RtpPacket::parse(black_box(pkt)).unwrap();
        black_box((p.sequence_number(), p.payload().len()));
    });
    let mut copy = [0u8; 256];
    let memcpy = measure(budget, || {
        copy[..pkt.len()].copy_from_slice(black_box(pkt));
        black_box(&copy);
    });
    let naive = measure(budget, || {
        black_box(naive_parse(black_box(pkt)));
    });
    println!(
        "RTP parse          ours: {ours:7.1} ns/pkt   memcpy of the packet: {memcpy:6.1} ns   naive allocating parser: {naive:6.1} ns"
    );

    let mut tx = RtpSession::new(SessionConfig::pcmu(pbx, "gw", 1), t0, wall);
    let payload = [0xD5u8; 160];
    let mut out = [0u8; 512];
    let send = measure(budget, || {
        black_box(
            tx.send_audio(t0, black_box(&payload), 160, false, &mut out)
                .unwrap(),
        );
    });
    let pcopy = measure(budget, || {
        out[12..172].copy_from_slice(black_box(&payload));
        black_box(&out);
    });
    println!("send_audio         ours: {send:7.1} ns/pkt   memcpy of the payload: {pcopy:5.1} ns");

    let mut rx = RtpSession::new(SessionConfig::pcmu(gw, "pbx", 2), t0, wall);
    let mut buf = pkt.to_vec();
    let mut seq: u16 = 0;
    let mut ts: u32 = 0;
    let mut at = t0;
    let recv = measure(budget, || {
        seq = seq.wrapping_add(1);
        ts = ts.wrapping_add(160);
        at += Duration::from_millis(20);
        buf[2..4].copy_from_slice(&seq.to_be_bytes());
        buf[4..8].copy_from_slice(&ts.to_be_bytes());
        let r = rx.receive(at, pbx, black_box(&buf));
        black_box(matches!(r, Received::Rtp(_)));
    });
    println!(
        "receive + stats    ours: {recv:7.1} ns/pkt   parse alone: {ours:6.1} ns   ({} delivered)",
        rx.counters().rtp_received
    );

    let mut c = VoipMetricsCollector::new(VoipMetricsConfig::default());
    let record = measure(budget, || {
        c.record(black_box(PacketOutcome::Received));
    });
    let mut rtcp = [0u8; 512];
    let info = SenderInfo {
        ntp: wall,
        rtp_timestamp: 5,
        packet_count: 100,
        octet_count: 16000,
    };
    let rb = ReportBlock {
        ssrc: 9,
        ..ReportBlock::default()
    };
    let build = measure(budget, || {
        let m = c.metrics(9);
        let mut w = RtcpWriter::new(&mut rtcp);
        w.sender_report(1, &info, &[rb], &[]).unwrap();
        w.sdes_cname(1, b"port1@gw.example").unwrap();
        w.xr(1, &[XrBlock::VoipMetrics(m)]).unwrap();
        black_box(w.finish());
    });
    let len = {
        let m = c.metrics(9);
        let mut w = RtcpWriter::new(&mut rtcp);
        w.sender_report(1, &info, &[rb], &[]).unwrap();
        w.sdes_cname(1, b"port1@gw.example").unwrap();
        w.xr(1, &[XrBlock::VoipMetrics(m)]).unwrap();
        w.finish()
    };
    let parse_rtcp = measure(budget, || {
        let c = Compound::parse(black_box(&rtcp[..len])).unwrap();
        black_box(c.packets().count());
    });
    let rcopy = measure(budget, || {
        copy[..len].copy_from_slice(black_box(&rtcp[..len]));
        black_box(&copy);
    });
    println!(
        "RTCP SR+SDES+XR    build (incl. E-model): {build:7.1} ns   parse: {parse_rtcp:6.1} ns   memcpy: {rcopy:5.1} ns   ({len} bytes)"
    );
    println!("XR collector       record: {record:7.1} ns/pkt");
    // Per channel per 20 ms frame: one send, one receive, one XR record, and an RTCP
    // report every ~5 s (1/250 of the frames).
    let per_frame = send + recv + record + build / 250.0;
    println!(
        "per channel-frame  {per_frame:7.1} ns  (budget for the whole media path: ~40 000 ns)"
    );
}

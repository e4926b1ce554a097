//! RTCP at the RFC 3550 §6.3 / A.7 interval, SR vs RR, RTT from LSR/DLSR and XR DLRR,
//! XR VoIP metrics across, BYE on close.

use std::time::{Duration, Instant};

use tipring_rtp::rtcp::{Compound, RtcpPacket, XrBlock};
use tipring_rtp::session::{SessionConfig, SessionEvent};
use tipring_rtp::xr::PacketOutcome;
use tipring_rtp::{Received, RtpSession};

use crate::common::*;

/// Run A and B for `secs` of virtual time with a one-way network delay; A sends audio
/// only if `a_sends`. Returns the RTCP compounds each side sent, with send times.
struct Run {
    a_rtcp: Vec<(Instant, Vec<u8>)>,
    b_rtcp: Vec<(Instant, Vec<u8>)>,
}

fn run(
    a: &mut RtpSession,
    b: &mut RtpSession,
    t0: Instant,
    secs: u64,
    delay: Duration,
    a_sends: bool,
) -> Run {
    let mut out = Run {
        a_rtcp: vec![],
        b_rtcp: vec![],
    };
    // In-flight datagrams: (arrival, to_a, bytes).
    let mut wire: Vec<(Instant, bool, Vec<u8>)> = vec![];
    let gw = addr(GW);
    let pbx = addr(PBX);
    let end = t0 + Duration::from_secs(secs);
    let mut now = t0;
    let mut tick = 0u32;
    while now < end {
        if a_sends {
            let (_, bytes) = frame(a, now, tick == 0);
            wire.push((now + delay, false, bytes));
        }
        let (_, bytes) = frame(b, now, tick == 0);
        wire.push((now + delay, true, bytes));
        let mut buf = [0u8; 1500];
        if a.poll_timeout().is_some_and(|t| t <= now) {
            if let Some(tx) = a.handle_timeout(now, &mut buf).unwrap() {
                out.a_rtcp.push((now, buf[..tx.len].to_vec()));
                wire.push((now + delay, false, buf[..tx.len].to_vec()));
            }
        }
        if b.poll_timeout().is_some_and(|t| t <= now) {
            if let Some(tx) = b.handle_timeout(now, &mut buf).unwrap() {
                out.b_rtcp.push((now, buf[..tx.len].to_vec()));
                wire.push((now + delay, true, buf[..tx.len].to_vec()));
            }
        }
        now += Duration::from_millis(20);
        tick += 1;
        let (due, later): (Vec<_>, Vec<_>) = wire.into_iter().partition(|(t, _, _)| *t <= now);
        wire = later;
        for (t, to_a, bytes) in due {
            let r = if to_a {
                a.receive(t, pbx, &bytes)
            } else {
                b.receive(t, gw, &bytes)
            };
            if let Received::Rtp(p) = r {
                if to_a {
                    if let Some(x) = a.xr_mut() {
                        // The jitter buffer would report this; every 50th is late.
                        x.record(if p.extended_seq % 50 == 0 {
                            PacketOutcome::Discarded
                        } else {
                            PacketOutcome::Received
                        });
                    }
                }
            }
        }
    }
    out
}

fn first_type(bytes: &[u8]) -> u8 {
    bytes[1]
}

#[test]
fn interval_is_randomised_around_five_seconds() {
    // RFC 3550 A.7: first report after T/2 (initial) x U(0.5, 1.5) / (e - 3/2), then
    // T = 5 s minimum x U(0.5, 1.5) / 1.21828 => every interval in [2.05, 6.16] s; timer
    // reconsideration then pulls the mean back up to T, which is what the e - 3/2
    // compensation is for (§6.3.1).
    let t0 = epoch();
    let (mut a, mut b) = pair(t0);
    let r = run(&mut a, &mut b, t0, 300, Duration::from_millis(30), true);
    let first = r.a_rtcp[0].0 - t0;
    assert!(
        first >= Duration::from_millis(1000) && first <= Duration::from_millis(3100),
        "{first:?}"
    );
    let gaps: Vec<f64> = r
        .a_rtcp
        .windows(2)
        .map(|w| (w[1].0 - w[0].0).as_secs_f64())
        .collect();
    for g in &gaps {
        assert!((2.0..=6.2).contains(g), "interval {g}");
    }
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    assert!((mean - 5.0).abs() < 0.5, "mean {mean}");
    // Randomised: not all equal.
    assert!(gaps.iter().any(|g| (g - gaps[0]).abs() > 0.1));
}

#[test]
fn reduced_minimum_is_360_over_kbps() {
    // §6.2: reduced minimum = 360 / session bandwidth in kbit/s: 360/160 = 2.25 s.
    let t0 = epoch();
    let mut cfg = SessionConfig::pcmu(addr(PBX), "gw", 3);
    cfg.reduced_minimum = true;
    cfg.session_bandwidth = 160_000;
    let mut a = RtpSession::new(cfg, t0, wall());
    let mut b = RtpSession::new(SessionConfig::pcmu(addr(GW), "pbx", 4), t0, wall());
    let r = run(&mut a, &mut b, t0, 120, Duration::from_millis(10), true);
    let gaps: Vec<f64> = r
        .a_rtcp
        .windows(2)
        .map(|w| (w[1].0 - w[0].0).as_secs_f64())
        .collect();
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    assert!((mean - 2.25).abs() < 0.3, "mean {mean}");
}

#[test]
fn sr_when_sending_rr_when_not_and_cname_always() {
    let t0 = epoch();
    let (mut a, mut b) = pair(t0);
    let r = run(&mut a, &mut b, t0, 30, Duration::from_millis(30), false);
    assert!(!r.a_rtcp.is_empty() && !r.b_rtcp.is_empty());
    // A only receives: RR (201). B sends: SR (200).
    assert!(r.a_rtcp.iter().all(|(_, p)| first_type(p) == 201));
    assert!(r.b_rtcp.iter().all(|(_, p)| first_type(p) == 200));
    for (_, p) in r.a_rtcp.iter().chain(&r.b_rtcp) {
        assert!(Compound::parse(p).unwrap().cname().is_some());
    }
    // A's RR carries a report block about B with loss 0 and a jitter near 0.
    let (_, last) = r.a_rtcp.last().unwrap();
    let c = Compound::parse(last).unwrap();
    let Some(RtcpPacket::ReceiverReport(rr)) = c.packets().next() else {
        panic!()
    };
    let rb = rr.reports.iter().next().unwrap();
    assert_eq!(rb.ssrc, b.ssrc());
    assert_eq!(rb.cumulative_lost, 0);
    assert!(rb.jitter < 5);
    assert_ne!(rb.last_sr, 0, "A echoes B's SR time");
}

#[test]
fn rtt_from_sr_rr_and_from_xr_dlrr() {
    // §6.4.1: RTT = A - LSR - DLSR. One-way delay 40 ms => RTT 80 ms (to the 1/65536 s
    // resolution of the fields, plus the 20 ms tick of this harness).
    let t0 = epoch();
    let (mut a, mut b) = pair(t0);
    run(&mut a, &mut b, t0, 30, Duration::from_millis(40), true);
    for s in [&a, &b] {
        let rtt = s.rtt().expect("RTT measured");
        assert!(
            rtt >= Duration::from_millis(79) && rtt <= Duration::from_millis(101),
            "{rtt:?}"
        );
    }
    // Receivers only (A does not send): B measures via SR/RR; A via XR RRTR/DLRR
    // (RFC 3611 §4.4-4.5), since nobody answers an SR of A.
    let (mut a, mut b) = pair(t0);
    run(&mut a, &mut b, t0, 30, Duration::from_millis(40), false);
    let rtt = a.rtt().expect("A measures RTT through XR DLRR");
    assert!(
        rtt >= Duration::from_millis(79) && rtt <= Duration::from_millis(101),
        "{rtt:?}"
    );
}

#[test]
fn voip_metrics_travel_to_the_far_end() {
    let t0 = epoch();
    let (mut a, mut b) = pair(t0);
    run(&mut a, &mut b, t0, 30, Duration::from_millis(40), true);
    // A records 1 in 50 packets discarded; B sees A's view of B's stream.
    let m = b.remote_voip_metrics().expect("XR from A");
    assert_eq!(m.ssrc, b.ssrc());
    assert_eq!(m.discard_rate, (256 / 50) as u8);
    assert_eq!(m.loss_rate, 0);
    let r = m.r().unwrap();
    assert!((75..93).contains(&r), "R {r}");
    assert!(m.mos_lq().unwrap() >= m.mos_cq().unwrap());
    assert!(
        m.round_trip_delay >= 79 && m.round_trip_delay <= 101,
        "{}",
        m.round_trip_delay
    );
    // The XR block parsed back from the wire equals the collector's.
    let _ = XrBlock::VoipMetrics(*m);
}

#[test]
fn close_sends_bye_and_far_end_reports_it() {
    let t0 = epoch();
    let (mut a, mut b) = pair(t0);
    run(&mut a, &mut b, t0, 2, Duration::from_millis(10), true);
    let now = t0 + Duration::from_secs(3);
    let mut buf = [0u8; 1500];
    let tx = a.close(now, b"hangup", &mut buf).unwrap();
    assert_eq!(tx.to, addr("192.0.2.20:14587"), "RTCP on port + 1");
    let c = Compound::parse(&buf[..tx.len]).unwrap();
    let Some(RtcpPacket::Bye(bye)) = c.packets().last() else {
        panic!("BYE last")
    };
    assert_eq!(bye.ssrcs().collect::<Vec<_>>(), vec![a.ssrc()]);
    assert_eq!(bye.reason, Some(&b"hangup"[..]));
    let Received::Rtcp(info) = b.receive(now, addr(GW), &buf[..tx.len]) else {
        panic!()
    };
    assert!(info.bye);
    let evs: Vec<_> = std::iter::from_fn(|| b.poll_event()).collect();
    assert!(evs.contains(&SessionEvent::Bye {
        ssrc: a.ssrc(),
        reason: Some("hangup".into())
    }));
    assert!(a.send_audio(now, &[0; 160], 160, false, &mut buf).is_err());
    assert_eq!(a.poll_timeout(), None);
}

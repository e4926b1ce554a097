//! Symmetric RTP: latch to the real source, resist hijack, re-latch after silence.

use std::time::Duration;

use tipring_rtp::session::{DropKind, DropReason, SessionConfig, SessionEvent};
use tipring_rtp::{Received, RtpSession};

use crate::common::*;

fn gw(t0: std::time::Instant) -> RtpSession {
    RtpSession::new(SessionConfig::pcmu(addr(PBX), "port1@gw", 5), t0, wall())
}

#[test]
fn latches_to_nat_source_after_probation() {
    let t0 = epoch();
    let mut s = gw(t0);
    assert_eq!(s.remote_addr(), addr(PBX));
    let nat = addr("198.51.100.7:30000");
    // First packet: on probation (RFC 3550 A.1), not delivered, no latch yet.
    assert_eq!(
        s.receive(t0, nat, &rtp(0xAAAA, 100, 0, 0)),
        Received::Dropped(DropReason::Probation)
    );
    assert_eq!(s.remote_addr(), addr(PBX));
    // Second in sequence: valid, delivered, latched.
    assert!(deliver(&mut s, t0, nat, &rtp(0xAAAA, 101, 160, 0)));
    assert_eq!(s.remote_addr(), nat);
    assert_eq!(s.counters().latches, 1);
    assert_eq!(
        s.poll_event(),
        Some(SessionEvent::SourceChanged {
            old: None,
            new: 0xAAAA
        })
    );
    assert_eq!(
        s.poll_event(),
        Some(SessionEvent::Latched {
            from: addr(PBX),
            to: nat
        })
    );
    // Our RTP now goes there.
    let (t, _) = frame(&mut s, t0, false);
    assert_eq!(t.to, nat);
}

#[test]
fn spoofed_packets_do_not_hijack_a_live_source() {
    let t0 = epoch();
    let mut s = gw(t0);
    let real = addr(PBX);
    let evil = addr("203.0.113.66:5000");
    let mut now = t0;
    for i in 0..10u16 {
        deliver(&mut s, now, real, &rtp(0xAAAA, i, u32::from(i) * 160, 0));
        now += Duration::from_millis(20);
    }
    // One spoofed packet with the real SSRC and the next sequence number.
    assert!(!deliver(&mut s, now, evil, &rtp(0xAAAA, 10, 1600, 0)));
    // Even a valid-looking sequence from the attacker while the real source is alive.
    for i in 0..20u16 {
        let spoof = rtp(0xBBBB, 500 + i, 0, 0);
        let r = s.receive(now, evil, &spoof);
        assert!(matches!(r, Received::Dropped(_)), "{r:?}");
        deliver(&mut s, now, real, &rtp(0xAAAA, 10 + i, 0, 0));
        now += Duration::from_millis(20);
    }
    assert_eq!(s.remote_addr(), real);
    assert!(s.counters().dropped(DropKind::NotLatched) > 0);
    assert_eq!(s.remote_ssrc(), Some(0xAAAA));
}

#[test]
fn relatches_after_old_source_is_silent() {
    let t0 = epoch();
    let mut s = gw(t0);
    let first = addr(PBX);
    let moved = addr("198.51.100.9:41000"); // NAT rebinding
    deliver(&mut s, t0, first, &rtp(0xAAAA, 1, 0, 0));
    assert!(deliver(&mut s, t0, first, &rtp(0xAAAA, 2, 160, 0)));
    // 1 s later the source moves: not yet (old one silent only 1 s < 2 s).
    let t1 = t0 + Duration::from_secs(1);
    deliver(&mut s, t1, moved, &rtp(0xAAAA, 3, 320, 0));
    assert!(!deliver(&mut s, t1, moved, &rtp(0xAAAA, 4, 480, 0)));
    assert_eq!(s.remote_addr(), first);
    // After 2 s of silence from the old address, the mover takes over.
    let t2 = t0 + Duration::from_millis(2100);
    assert!(deliver(&mut s, t2, moved, &rtp(0xAAAA, 5, 640, 0)));
    assert_eq!(s.remote_addr(), moved);
    assert_eq!(
        s.counters().latches,
        1,
        "the first source was the SDP address"
    );
}

#[test]
fn new_ssrc_from_same_address_switches_at_once() {
    let t0 = epoch();
    let mut s = gw(t0);
    let pbx = addr(PBX);
    deliver(&mut s, t0, pbx, &rtp(0xAAAA, 1, 0, 0));
    deliver(&mut s, t0, pbx, &rtp(0xAAAA, 2, 160, 0));
    // The PBX bridges another leg: new SSRC, new sequence, same address.
    assert!(!deliver(&mut s, t0, pbx, &rtp(0xCCCC, 9000, 0, 0)));
    assert!(deliver(&mut s, t0, pbx, &rtp(0xCCCC, 9001, 160, 0)));
    assert_eq!(s.remote_ssrc(), Some(0xCCCC));
    let evs: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    assert!(evs.contains(&SessionEvent::SourceChanged {
        old: Some(0xAAAA),
        new: 0xCCCC
    }));
}

#[test]
fn expected_ssrc_and_payload_type_filter() {
    let t0 = epoch();
    let mut cfg = SessionConfig::pcmu(addr(PBX), "gw", 5);
    cfg.expected_ssrc = Some(0x1234);
    let mut s = RtpSession::new(cfg, t0, wall());
    let pbx = addr(PBX);
    assert_eq!(
        s.receive(t0, pbx, &rtp(0x9999, 1, 0, 0)),
        Received::Dropped(DropReason::UnexpectedSsrc)
    );
    assert_eq!(
        s.receive(t0, pbx, &rtp(0x1234, 1, 0, 8)),
        Received::Dropped(DropReason::UnexpectedPayloadType(8))
    );
    deliver(&mut s, t0, pbx, &rtp(0x1234, 1, 0, 0));
    assert!(deliver(&mut s, t0, pbx, &rtp(0x1234, 2, 160, 0)));
    // telephone-event (101) is accepted too.
    assert!(deliver(&mut s, t0, pbx, &rtp(0x1234, 3, 320, 101)));
}

#[test]
fn rtcp_latches_separately_with_rtcp_mux() {
    let t0 = epoch();
    let mut cfg = SessionConfig::pcmu(addr(PBX), "gw", 5);
    cfg.remote_rtcp = None; // rtcp-mux (RFC 5761)
    let mut s = RtpSession::new(cfg, t0, wall());
    assert_eq!(s.remote_rtcp_addr(), addr(PBX));
    let mut b = RtpSession::new(SessionConfig::pcmu(addr(GW), "pbx", 6), t0, wall());
    let nat = addr("198.51.100.7:30000");
    let mut now = t0;
    let mut rtcp_seen = false;
    for _ in 0..400 {
        let (_, bytes) = frame(&mut b, now, false);
        s.receive(now, nat, &bytes);
        let mut buf = [0u8; 1500];
        if b.poll_timeout().is_some_and(|t| t <= now) {
            if let Some(tx) = b.handle_timeout(now, &mut buf).unwrap() {
                // The PBX's RTCP comes from the same NAT binding (muxed).
                assert!(matches!(
                    s.receive(now, nat, &buf[..tx.len]),
                    Received::Rtcp(_)
                ));
                rtcp_seen = true;
            }
        }
        now += std::time::Duration::from_millis(20);
    }
    assert!(rtcp_seen);
    assert_eq!(s.remote_addr(), nat);
    assert_eq!(s.remote_rtcp_addr(), nat);
    assert_eq!(s.counters().rtcp_latches, 1);
}

#[test]
fn media_timeout_fires_once_and_rearms() {
    let t0 = epoch();
    let mut s = gw(t0);
    let mut buf = [0u8; 1500];
    let pbx = addr(PBX);
    deliver(&mut s, t0, pbx, &rtp(0xAAAA, 1, 0, 0));
    deliver(&mut s, t0, pbx, &rtp(0xAAAA, 2, 160, 0));
    let mut now = t0;
    let mut timeouts = 0;
    while now < t0 + Duration::from_secs(75) {
        let next = s.poll_timeout().unwrap();
        now = next.max(now);
        s.handle_timeout(now, &mut buf).unwrap();
        while let Some(e) = s.poll_event() {
            if let SessionEvent::MediaTimeout { silent_for } = e {
                assert!(silent_for >= Duration::from_secs(30));
                assert!(now >= t0 + Duration::from_secs(30));
                timeouts += 1;
            }
        }
        if now >= t0 + Duration::from_secs(40) && s.receiver_stats().unwrap().received() == 1 {
            // Media resumes at 40 s: the timeout re-arms.
            assert!(deliver(&mut s, now, pbx, &rtp(0xAAAA, 3, 320, 0)));
        }
        now += Duration::from_millis(1);
    }
    assert_eq!(timeouts, 2, "at 30 s, then again 30 s after media resumed");
}

//! Bad input is dropped and counted; SSRC collisions and loops (RFC 3550 §8.2).

use tipring_rtp::rtcp::{Compound, RtcpPacket};
use tipring_rtp::session::{DropKind, DropReason, SessionEvent};
use tipring_rtp::{DatagramKind, Received, RtcpError, RtpError};

use crate::common::*;

#[test]
fn malformed_datagrams_are_counted_per_reason() {
    let t0 = epoch();
    let (mut a, _) = pair(t0);
    let pbx = addr(PBX);
    let good = rtp(0xAAAA, 1, 0, 0);
    let mut v1 = good.clone();
    v1[0] = 0x40; // version 1: first byte 64 => TURN range by RFC 7983
    let mut cc = good[..20].to_vec();
    cc[0] = 0x8F; // 15 CSRCs in 20 bytes
    let mut pad = good.clone();
    pad[0] |= 0x20;
    *pad.last_mut().unwrap() = 200; // padding beyond length
    let cases: Vec<(Vec<u8>, DropReason)> = vec![
        (
            good[..8].to_vec(),
            DropReason::MalformedRtp(RtpError::TooShort { len: 8 }),
        ),
        (
            cc,
            DropReason::MalformedRtp(RtpError::CsrcOverrun { count: 15 }),
        ),
        (
            pad,
            DropReason::MalformedRtp(RtpError::PaddingOverrun {
                padding: 200,
                available: 160,
            }),
        ),
        (v1, DropReason::NotRtp(DatagramKind::TurnChannel)),
        (vec![0, 1, 0, 0], DropReason::NotRtp(DatagramKind::Stun)),
        (vec![], DropReason::NotRtp(DatagramKind::Unknown)),
        (
            vec![0x80, 200, 0, 9, 1, 2, 3, 4],
            DropReason::MalformedRtcp(RtcpError::LengthOverrun),
        ),
        (
            vec![0x80, 202, 0, 0],
            DropReason::MalformedRtcp(RtcpError::FirstNotReport(202)),
        ),
    ];
    for (bytes, want) in &cases {
        assert_eq!(a.receive(t0, pbx, bytes), Received::Dropped(*want));
    }
    let c = a.counters();
    assert_eq!(c.dropped(DropKind::MalformedRtp), 3);
    assert_eq!(c.dropped(DropKind::NotRtp), 3);
    assert_eq!(c.dropped(DropKind::MalformedRtcp), 2);
    assert_eq!(c.dropped_total(), 8);
    assert_eq!(c.rtp_received, 0);
}

#[test]
fn ssrc_collision_changes_ours_and_sends_bye_then_loop_is_detected() {
    let t0 = epoch();
    let (mut a, _) = pair(t0);
    let old = a.ssrc();
    let other = addr("192.0.2.99:5000");
    assert_eq!(
        a.receive(t0, other, &rtp(old, 1, 0, 0)),
        Received::Dropped(DropReason::SsrcCollision)
    );
    let new = a.ssrc();
    assert_ne!(new, old);
    assert_eq!(
        a.poll_event(),
        Some(SessionEvent::SsrcCollision { old, new })
    );
    // The BYE for the old SSRC goes out at once.
    assert_eq!(a.poll_timeout(), Some(t0));
    let mut buf = [0u8; 512];
    let tx = a.handle_timeout(t0, &mut buf).unwrap().unwrap();
    let c = Compound::parse(&buf[..tx.len]).unwrap();
    let Some(RtcpPacket::Bye(b)) = c.packets().last() else {
        panic!()
    };
    assert_eq!(b.ssrcs().collect::<Vec<_>>(), vec![old]);
    // Our new SSRC coming back from the same address: a loop, not a new collision.
    assert_eq!(
        a.receive(t0, other, &rtp(new, 2, 0, 0)),
        Received::Dropped(DropReason::Loop)
    );
    assert_eq!(a.ssrc(), new);
    assert_eq!(a.counters().ssrc_changes, 1);
    // Packets now carry the new SSRC.
    let (_, bytes) = frame(&mut a, t0, false);
    assert_eq!(
        u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
        new
    );
}

#[test]
fn random_garbage_never_panics_and_is_all_dropped_or_used() {
    // A seeded flood of junk and mutated packets at a live session.
    let t0 = epoch();
    let (mut a, mut b) = pair(t0);
    let mut state = 0x1234_5678_9ABC_DEF0u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let pbx = addr(PBX);
    let mut buf = [0u8; 1500];
    for i in 0..3000u32 {
        let now = t0 + std::time::Duration::from_millis(u64::from(i));
        let (_, mut bytes) = frame(&mut b, now, false);
        if i % 7 == 0 {
            if let Some(tx) = b.handle_timeout(now, &mut buf).unwrap() {
                bytes = buf[..tx.len].to_vec();
            }
        }
        for _ in 0..(next() % 4) {
            let at = (next() as usize) % bytes.len();
            bytes[at] ^= next() as u8;
        }
        if next() % 5 == 0 {
            bytes.truncate((next() as usize) % (bytes.len() + 1));
        }
        let _ = a.receive(now, pbx, &bytes);
        let _ = a.handle_timeout(now, &mut buf);
    }
    let c = a.counters();
    assert_eq!(c.rtp_received + c.rtcp_received + c.dropped_total(), 3000);
    assert!(c.rtp_received > 1000);
}

//! Per-source request rates: floods dropped, then blocked; blocks end; servers exempt.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tipring_acl::{Reason, SipScreen, SipScreenSettings, Verdict, FLOOD_BLOCK_AFTER};

use crate::{addr, ms, request, response, t0};

#[test]
fn a_response_from_an_exempt_server_is_never_dropped_even_at_1000_per_second() {
    let t = t0();
    let server = addr("198.51.100.10:5060");
    let mut s = SipScreen::new(SipScreenSettings {
        exempt: vec![server.ip()],
        ..SipScreenSettings::default()
    });
    let ok = response("200 OK");
    let invite = request(
        "INVITE",
        "198.51.100.10",
        &["User-Agent: Asterisk PBX 20.5.0"],
    );
    for i in 0..10_000u64 {
        let msg = if i % 2 == 0 { &ok } else { &invite };
        assert!(s.screen(server, msg, t + ms(i)).is_accept(), "message {i}");
    }
    assert_eq!(s.counters().accepted, 10_000);
}

#[test]
fn responses_from_other_sources_are_not_counted_as_a_flood() {
    let t = t0();
    let mut s = SipScreen::default();
    let ok = response("180 Ringing");
    for i in 0..1000u64 {
        assert!(s
            .screen(addr("192.0.2.50:5060"), &ok, t + ms(i))
            .is_accept());
    }
}

#[test]
fn a_flood_from_one_source_gets_flood_then_blocked_and_the_block_ends() {
    let t = t0();
    let settings = SipScreenSettings::default();
    let (burst, block_for) = (settings.burst, settings.block_for);
    let mut s = SipScreen::new(settings);
    let flooder = addr("203.0.113.99:5060");
    let register = request(
        "REGISTER",
        "203.0.113.99",
        &["User-Agent: Grandstream HT802"],
    );
    // 1000 requests a second.
    let mut verdicts = Vec::new();
    for i in 0..500u64 {
        verdicts.push(s.screen(flooder, &register, t + ms(i)));
    }
    let accepted = verdicts.iter().filter(|v| v.is_accept()).count();
    let first_flood = verdicts
        .iter()
        .position(|v| *v == Verdict::Drop(Reason::Flood))
        .expect("a flood drop");
    let first_block = verdicts
        .iter()
        .position(|v| *v == Verdict::Drop(Reason::Blocked))
        .expect("then a block");
    assert!(
        first_flood >= burst as usize,
        "the burst first: {first_flood}"
    );
    assert!(first_flood < first_block);
    assert!(
        verdicts[first_block..]
            .iter()
            .all(|v| *v == Verdict::Drop(Reason::Blocked)),
        "blocked from then on"
    );
    let c = s.counters();
    assert_eq!(c.flood, u64::from(FLOOD_BLOCK_AFTER));
    assert_eq!(c.accepted, accepted as u64);
    assert!(accepted <= burst as usize + 2, "{accepted}");
    assert_eq!(c.blocked_sources_now, 1);

    // Still blocked just before block_for has passed since the block...
    let blocked_at = t + ms(first_block as u64 - 1);
    let until = s.blocked_until(flooder.ip()).unwrap();
    assert_eq!(until, blocked_at + block_for);
    assert_eq!(s.next_expiry(), Some(until));
    assert_eq!(
        s.screen(flooder, &register, until - ms(1)),
        Verdict::Drop(Reason::Blocked)
    );
    // ...and let in (with a full bucket) once it has.
    assert!(s.screen(flooder, &register, until).is_accept());
    assert_eq!(s.counters().blocked_sources_now, 0);
    assert_eq!(s.next_expiry(), None);
}

#[test]
fn a_source_just_over_the_rate_is_limited_but_not_blocked() {
    let t = t0();
    let mut s = SipScreen::new(SipScreenSettings {
        rate_per_s: 10,
        burst: 10,
        ..SipScreenSettings::default()
    });
    let peer = addr("192.0.2.33:5060");
    let options = request("OPTIONS", "192.0.2.33", &[]);
    // 12 a second for a minute: 2 a second over, 20 drops per 10 s window (< 50).
    let mut drops = 0;
    for i in 0..720u64 {
        match s.screen(peer, &options, t + Duration::from_micros(i * 83_334)) {
            Verdict::Accept => {}
            Verdict::Drop(Reason::Flood) => drops += 1,
            other => panic!("{other:?} at {i}"),
        }
    }
    assert!((100..=130).contains(&drops), "{drops}");
    assert_eq!(s.counters().blocked_sources_now, 0);
}

#[test]
fn a_zero_block_time_drops_but_blocks_nothing() {
    let t = t0();
    let mut s = SipScreen::new(SipScreenSettings {
        block_for: Duration::ZERO,
        ..SipScreenSettings::default()
    });
    let scanner = request("OPTIONS", "203.0.113.66", &["User-Agent: friendly-scanner"]);
    let clean = request("OPTIONS", "203.0.113.66", &[]);
    let from = addr("203.0.113.66:5060");
    assert_eq!(s.screen(from, &scanner, t), Verdict::Drop(Reason::Scanner));
    assert!(s.screen(from, &clean, t).is_accept());
    assert_eq!(s.next_expiry(), None);
}

#[test]
fn rate_zero_means_no_flood_limit() {
    let t = t0();
    let mut s = SipScreen::new(SipScreenSettings {
        rate_per_s: 0,
        ..SipScreenSettings::default()
    });
    let options = request("OPTIONS", "192.0.2.33", &[]);
    for _ in 0..10_000 {
        assert!(s.screen(addr("192.0.2.33:5060"), &options, t).is_accept());
    }
}

#[test]
fn tables_stay_bounded_under_a_spoofed_scanner_and_flood_storm() {
    let t = t0();
    let max = 512;
    let mut s = SipScreen::new(SipScreenSettings {
        rate_per_s: 1,
        burst: 1,
        max_sources: max,
        ..SipScreenSettings::default()
    });
    let scanner = request("OPTIONS", "203.0.113.66", &["User-Agent: friendly-scanner"]);
    let clean = request("OPTIONS", "203.0.113.66", &[]);
    for i in 0..100_000u32 {
        let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | i));
        let from = SocketAddr::new(ip, 5060);
        let now = t + Duration::from_micros(u64::from(i) * 10);
        let msg = if i % 3 == 0 { &scanner } else { &clean };
        for _ in 0..3 {
            s.screen(from, msg, now);
        }
        assert!(s.counters().blocked_sources_now <= max as u64);
    }
    let now_blocked = s.counters().blocked_sources_now;
    assert!(now_blocked > max as u64 / 2, "{now_blocked}");
    // A settings change that lowers the bound cuts the tables down.
    s.set_settings(SipScreenSettings {
        max_sources: 16,
        ..s.settings().clone()
    });
    assert!(s.counters().blocked_sources_now <= 16);
    let c = s.counters();
    assert!(c.scanner > 30_000 && c.flood > 0, "{c:?}");
}

#[test]
fn set_settings_keeps_counters_and_blocks() {
    let t = t0();
    let mut s = SipScreen::default();
    let from = addr("203.0.113.66:5060");
    let scanner = request("OPTIONS", "203.0.113.66", &["User-Agent: sundayddr"]);
    assert!(!s.screen(from, &scanner, t).is_accept());
    s.set_settings(SipScreenSettings {
        rate_per_s: 5,
        ..SipScreenSettings::default()
    });
    assert_eq!(s.counters().scanner, 1);
    assert_eq!(s.settings().rate_per_s, 5);
    assert_eq!(
        s.screen(from, &request("OPTIONS", "203.0.113.66", &[]), t + ms(1)),
        Verdict::Drop(Reason::Blocked)
    );
    s.unblock(from.ip());
    assert!(s
        .screen(from, &request("OPTIONS", "203.0.113.66", &[]), t + ms(2))
        .is_accept());
}

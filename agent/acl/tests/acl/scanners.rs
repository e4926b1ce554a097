//! Known scanners are dropped and blocked; real phones, PBXs and test tools are not.

use tipring_acl::{NetList, Reason, SipScreen, SipScreenSettings, Verdict};

use crate::{addr, ms, request, response, t0};

/// The classic SIPVicious `svmap` probe, byte for byte in its layout.
const SIPVICIOUS_OPTIONS: &[u8] = b"OPTIONS sip:100@192.0.2.1 SIP/2.0\r\n\
Via: SIP/2.0/UDP 203.0.113.66:5060;branch=z9hG4bK-2471478101;rport\r\n\
Content-Length: 0\r\n\
From: \"sipvicious\"<sip:100@1.1.1.1>;tag=6434396633623535313363340131363131333437343436\r\n\
Accept: application/sdp\r\n\
User-Agent: friendly-scanner\r\n\
To: \"sipvicious\"<sip:100@1.1.1.1>\r\n\
Contact: sip:100@203.0.113.66:5060\r\n\
CSeq: 1 OPTIONS\r\n\
Call-ID: 761718190587327372373730\r\n\
Max-Forwards: 70\r\n\r\n";

#[test]
fn the_sipvicious_options_probe_is_dropped_and_its_source_blocked() {
    let t = t0();
    let mut s = SipScreen::default();
    let scanner = addr("203.0.113.66:5060");
    assert_eq!(
        s.screen(scanner, SIPVICIOUS_OPTIONS, t),
        Verdict::Drop(Reason::Scanner)
    );
    // Whatever it sends next, from any port: blocked.
    let plain = request(
        "REGISTER",
        "203.0.113.66",
        &["User-Agent: Yealink SIP-T46S"],
    );
    assert_eq!(
        s.screen(addr("203.0.113.66:5070"), &plain, t + ms(10)),
        Verdict::Drop(Reason::Blocked)
    );
    assert_eq!(
        s.screen(addr("203.0.113.66:5060"), &response("200 OK"), t + ms(20)),
        Verdict::Drop(Reason::Blocked),
        "a blocked source's responses are dropped too"
    );
    assert!(s.is_blocked("203.0.113.66".parse().unwrap(), t + ms(30)));
    let c = s.counters();
    assert_eq!((c.scanner, c.blocked, c.blocked_sources_now), (1, 2, 1));
    // Another source is not affected.
    assert!(s.screen(addr("198.51.100.5:5060"), &plain, t).is_accept());
}

#[test]
fn a_register_from_sipcli_is_a_scanner() {
    let t = t0();
    let mut s = SipScreen::default();
    let msg = request("REGISTER", "203.0.113.7", &["User-Agent: sipcli/v1.8"]);
    assert_eq!(
        s.screen(addr("203.0.113.7:43210"), &msg, t),
        Verdict::Drop(Reason::Scanner)
    );
    // Header names without regard to case, odd spacing, LF-only line ends.
    let lf = b"REGISTER sip:192.0.2.1 SIP/2.0\nVia: SIP/2.0/UDP 203.0.113.8\nuser-AGENT :  SipCli/v1.8\n\n";
    assert_eq!(
        s.screen(addr("203.0.113.8:5060"), lf, t),
        Verdict::Drop(Reason::Scanner)
    );
}

#[test]
fn sipp_and_sipsak_and_real_agents_are_accepted() {
    let t = t0();
    let mut s = SipScreen::default();
    let sdp_invite = |ua: Option<&str>| {
        let mut headers = vec!["Subject: Performance Test", "Content-Type: application/sdp"];
        let line;
        if let Some(ua) = ua {
            line = format!("User-Agent: {ua}");
            headers.push(&line);
        }
        request("INVITE", "198.51.100.20", &headers)
    };
    let cases: Vec<(String, Vec<u8>)> = vec![
        ("SIPp without a User-Agent".into(), sdp_invite(None)),
        ("SIPp".into(), sdp_invite(Some("SIPp"))),
        (
            "sipsak".into(),
            request("OPTIONS", "198.51.100.20", &["User-Agent: sipsak 0.9.8"]),
        ),
        (
            "Tipring".into(),
            request("INVITE", "198.51.100.20", &["User-Agent: Tipring/0.1.0"]),
        ),
        (
            "Asterisk".into(),
            request(
                "OPTIONS",
                "198.51.100.20",
                &["User-Agent: Asterisk PBX 20.5.0"],
            ),
        ),
        (
            "Linphone".into(),
            request(
                "INVITE",
                "198.51.100.20",
                &["User-Agent: Linphone/5.2.0 (belle-sip/5.2.0)"],
            ),
        ),
    ];
    for (i, (what, msg)) in cases.iter().enumerate() {
        assert_eq!(
            s.screen(addr("198.51.100.20:5060"), msg, t + ms(i as u64 * 100)),
            Verdict::Accept,
            "{what}"
        );
    }
    assert_eq!(s.counters().accepted, cases.len() as u64);
    assert_eq!(s.counters().scanner, 0);
}

#[test]
fn the_scanner_filter_can_be_turned_off() {
    let t = t0();
    let mut s = SipScreen::new(SipScreenSettings {
        scanner_filter: false,
        ..SipScreenSettings::default()
    });
    assert!(s
        .screen(addr("203.0.113.66:5060"), SIPVICIOUS_OPTIONS, t)
        .is_accept());
}

#[test]
fn a_source_outside_the_allow_list_is_not_allowed_even_for_responses() {
    let t = t0();
    let mut s = SipScreen::new(SipScreenSettings {
        allow: NetList::parse(&["192.0.2.0/24", "2001:db8::/32"]).unwrap(),
        ..SipScreenSettings::default()
    });
    let ok = request("OPTIONS", "192.0.2.9", &[]);
    assert!(s.screen(addr("192.0.2.9:5060"), &ok, t).is_accept());
    assert!(s
        .screen(addr("[::ffff:192.0.2.9]:5060"), &ok, t)
        .is_accept());
    assert!(s.screen(addr("[2001:db8::9]:5060"), &ok, t).is_accept());
    for from in ["203.0.113.9:5060", "[2001:db9::9]:5060"] {
        assert_eq!(
            s.screen(addr(from), &ok, t),
            Verdict::Drop(Reason::NotAllowed)
        );
        assert_eq!(
            s.screen(addr(from), &response("200 OK"), t),
            Verdict::Drop(Reason::NotAllowed)
        );
    }
    // Not-allowed scanners are counted as not allowed, and block nothing.
    assert_eq!(
        s.screen(addr("203.0.113.66:5060"), SIPVICIOUS_OPTIONS, t),
        Verdict::Drop(Reason::NotAllowed)
    );
    let c = s.counters();
    assert_eq!(
        (c.accepted, c.not_allowed, c.scanner, c.blocked_sources_now),
        (3, 5, 0, 0)
    );
}

#[test]
fn an_exempt_server_is_allowed_even_outside_the_allow_list_and_never_blocked() {
    let t = t0();
    let mut s = SipScreen::new(SipScreenSettings {
        allow: NetList::parse(&["192.0.2.0/24"]).unwrap(),
        exempt: vec!["::ffff:198.51.100.10".parse().unwrap()],
        ..SipScreenSettings::default()
    });
    let server = addr("198.51.100.10:5060");
    // Even if it relays a scanner's request.
    assert!(s.screen(server, SIPVICIOUS_OPTIONS, t).is_accept());
    assert_eq!(s.counters().scanner, 0);
    // A scanner blocked, then made exempt (the server moved there): unblocked.
    let mut s = SipScreen::default();
    let moved = addr("203.0.113.66:5060");
    assert!(!s.screen(moved, SIPVICIOUS_OPTIONS, t).is_accept());
    s.set_exempt(vec![moved.ip()]);
    assert_eq!(s.counters().blocked_sources_now, 0);
    assert!(s.screen(moved, &response("200 OK"), t).is_accept());
}

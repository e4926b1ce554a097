//! Messages in the shapes Asterisk, FreeSWITCH, Kamailio, SIPp and common phones
//! (Polycom, Yealink, Grandstream, Cisco SPA) send, from `tests/data/*.sip`.

use std::fs;

use tipring_sip_message::auth::{choose, Algorithm, Challenge, Credentials, Qop};
use tipring_sip_message::sdp::{Direction, SessionDescription};
use tipring_sip_message::{
    check_request, check_response, Contact, Host, Message, Method, NameAddr, Refresher, Replaces,
    Request, Response, SipUri, SubState, Transport, TypedHeader, UaPolicy, Uri, Via,
};

use crate::common::{assert_round_trip, data_dir, registrar_policy};

fn load(name: &str) -> Message {
    let bytes = fs::read(data_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    Message::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn req(name: &str) -> Request {
    match load(name) {
        Message::Request(r) => r,
        Message::Response(_) => panic!("{name}: response"),
    }
}

fn resp(name: &str) -> Response {
    match load(name) {
        Message::Response(r) => r,
        Message::Request(_) => panic!("{name}: request"),
    }
}

fn sdp(body: &[u8]) -> SessionDescription {
    let s = SessionDescription::parse(body).unwrap();
    assert_eq!(
        SessionDescription::parse(&s.to_bytes()).unwrap(),
        s,
        "SDP round trip"
    );
    s
}

/// Every corpus file parses, round-trips, and passes the UA checks.
#[test]
fn every_file_parses_round_trips_and_is_accepted() {
    let mut names: Vec<String> = fs::read_dir(data_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".sip"))
        .collect();
    names.sort();
    assert!(names.len() >= 20, "corpus files: {}", names.len());
    for name in names {
        let m = load(&name);
        assert_round_trip(&name, &m);
        match &m {
            Message::Request(r) => {
                let policy = if matches!(r.method, Method::Register) {
                    registrar_policy()
                } else {
                    UaPolicy::default()
                };
                check_request(r, &policy).unwrap_or_else(|rej| panic!("{name}: rejected {rej:?}"));
            }
            Message::Response(r) => {
                check_response(r).unwrap_or_else(|d| panic!("{name}: dropped {d:?}"))
            }
        }
        if m.headers()
            .get("Content-Type")
            .is_some_and(|c| c.starts_with("application/sdp"))
        {
            sdp(m.body());
        }
        println!("{name:<45} ok");
    }
}

// RFC 5626 §4.2 (+sip.instance, reg-id), RFC 3261 §10.2.
#[test]
fn yealink_register_outbound() {
    let r = req("yealink_register_outbound.sip");
    let c = r.headers.contacts().unwrap();
    let a = c[0].addr().unwrap();
    assert_eq!(
        a.params.get("+sip.instance"),
        Some("<urn:uuid:00000000-0000-1000-8000-805EC0A1B2C3>")
    );
    assert_eq!(a.params.get("reg-id"), Some("1"));
    assert_eq!(a.uri.as_sip().unwrap().transport().as_deref(), Some("udp"));
    assert_eq!(r.headers.expires().unwrap(), Some(3600));
    assert!(r.headers.supported().unwrap().contains(&"outbound"));
    assert_eq!(r.headers.allow().unwrap().len(), 14);
    assert_eq!(r.headers.top_via().unwrap().port, Some(5062));
    assert!(r.headers.top_via().unwrap().has_rport());
    assert_eq!(
        r.headers.from().unwrap().display.as_deref(),
        Some("Desk 1001")
    );
}

// RFC 8760 §2.4 (SHA-256 and MD5 challenges), RFC 7616 §3.4 response; the registrar side
// verifies what the client computed.
#[test]
fn asterisk_401_digest_round() {
    let r = resp("asterisk_401_sha256_md5.sip");
    let v = r.headers.top_via().unwrap();
    assert_eq!((v.rport(), v.received()), (Some(5062), Some("192.0.2.51")));
    let chs = r.headers.www_authenticate();
    assert_eq!(chs.len(), 2);
    let ch = choose(&chs).unwrap();
    assert_eq!(ch.algorithm, Algorithm::Sha256);
    assert_eq!(ch.realm, "asterisk");
    assert_eq!(ch.opaque.as_deref(), Some("5b2f3c6e1b8e4a7d"));
    let uri = "sip:pbx.example.com:5060";
    let cred = ch
        .respond("1001", "s3cret", &Method::Register, uri, b"", "0a1b2c3d", 1)
        .unwrap();
    let text = cred.to_string();
    assert!(
        text.contains("algorithm=SHA-256")
            && text.contains("nc=00000001")
            && text.contains("uri=\"sip:pbx.example.com:5060\"")
    );
    let received = Credentials::parse(&text).unwrap();
    assert!(received.verify("s3cret", &Method::Register, b""));
    assert!(!received.verify("wrong", &Method::Register, b""));
}

// RFC 3261 §22.4 Authorization as a phone sends it.
#[test]
fn polycom_register_authorization() {
    let r = req("polycom_register_authorization.sip");
    let c = Credentials::parse(r.headers.get("Authorization").unwrap()).unwrap();
    assert_eq!(
        (c.username.as_str(), c.uri.as_str()),
        ("1002", "sip:pbx.example.com")
    );
    assert_eq!(
        (c.qop, c.nc, c.algorithm),
        (Some(Qop::Auth), Some(1), Some(Algorithm::Md5))
    );
    let contact = &r.headers.contacts().unwrap()[0];
    assert!(contact
        .addr()
        .unwrap()
        .params
        .get("methods")
        .unwrap()
        .contains("REFER"));
}

// RFC 3325 P-Asserted-Identity, RPID, RFC 4028 timers, Alert-Info, SDP rtcp.
#[test]
fn freeswitch_invite() {
    let r = req("freeswitch_invite_pai_sdp.sip");
    let pai = r.headers.p_asserted_identity().unwrap();
    assert_eq!(pai.len(), 2);
    assert_eq!(pai[0].display.as_deref(), Some("Alice Example"));
    assert_eq!(pai[0].uri.user(), Some("+15551230000"));
    assert_eq!(pai[1].uri.scheme(), "tel");
    let rpid = r.headers.remote_party_id().unwrap();
    assert_eq!(rpid[0].params.get("party"), Some("calling"));
    let se = r.headers.session_expires().unwrap().unwrap();
    assert_eq!((se.delta, se.refresher), (1800, Some(Refresher::Uac)));
    assert_eq!(r.headers.min_se().unwrap(), Some(90));
    assert_eq!(
        r.headers.alert_info().unwrap()[0].info(),
        Some("alert-external")
    );
    let s = sdp(&r.body);
    assert_eq!(s.media[0].rtcp().unwrap().unwrap().port, 24603);
    assert_eq!(s.origin.session_version, 1700000001);
    assert_eq!(r.uri.as_sip().unwrap().transport().as_deref(), Some("udp"));
}

#[test]
fn asterisk_invite() {
    let r = req("asterisk_invite_sdp.sip");
    assert!(r.headers.supported().unwrap().contains(&"100rel"));
    assert_eq!(r.headers.cseq().unwrap().seq, 17745);
    let s = sdp(&r.body);
    let m = &s.media[0];
    assert_eq!(m.payload_types(), [0, 8, 9, 101]);
    assert_eq!(m.rtpmap(9).unwrap().unwrap().encoding, "G722");
    assert_eq!(m.ptime().unwrap(), Some(20));
    assert_eq!(s.media_direction(0), Direction::SendRecv);
}

// RFC 3261 §7.3.3 compact forms as Grandstream sends them.
#[test]
fn grandstream_compact() {
    let r = req("grandstream_invite_compact.sip");
    assert_eq!(
        r.headers.call_id().unwrap(),
        "1750325317-5060-1@BHC.B.A.AHA"
    );
    assert_eq!(r.headers.from().unwrap().tag(), Some("1409586436"));
    assert_eq!(r.headers.to().unwrap().uri.user(), Some("2002"));
    assert_eq!(r.headers.contacts().unwrap().len(), 1);
    assert_eq!(
        r.headers.supported().unwrap(),
        ["replaces", "path", "timer"]
    );
    assert_eq!(
        r.headers.content_type().unwrap().unwrap().essence(),
        "application/sdp"
    );
    assert_eq!(
        r.headers.content_length().unwrap(),
        Some(r.body.len() as u32)
    );
    let bytes = r.to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("\r\nCall-ID: 1750325317")
            && text.contains("\r\nContact: <sip:2001@")
            && text.contains("\r\nSupported: replaces\r\n")
    );
    let f = sdp(&r.body).media[0].fmtps().unwrap();
    assert!(f
        .iter()
        .any(|f| f.format == "18" && f.params == "annexb=no"));
}

// RFC 3842 message-summary NOTIFY (unsolicited).
#[test]
fn asterisk_mwi() {
    let r = req("asterisk_notify_mwi.sip");
    assert_eq!(
        r.headers.event().unwrap().unwrap().package,
        "message-summary"
    );
    assert_eq!(
        r.headers.subscription_state().unwrap().unwrap().state,
        SubState::Active
    );
    assert!(String::from_utf8_lossy(&r.body).contains("Messages-Waiting: yes"));
}

// RFC 3515 Refer-To with RFC 3891 Replaces in the URI.
#[test]
fn cisco_refer_replaces() {
    let r = req("cisco_spa_refer_replaces.sip");
    let to = r.headers.refer_to().unwrap().unwrap();
    let u = to.uri.as_sip().unwrap();
    let rep = Replaces::parse(&u.header_unescaped("Replaces").unwrap()).unwrap();
    assert_eq!(rep.call_id, "7a1c4e2f-3b5d4e6f@192.0.2.80");
    assert_eq!(
        (rep.to_tag.as_str(), rep.from_tag.as_str(), rep.early_only),
        ("as7d3e2f1a", "d4c3b2a1e0f9a8b7i0", false)
    );
    assert_eq!(
        r.headers.referred_by().unwrap().unwrap().uri.user(),
        Some("1003")
    );
    // Building the same Refer-To from parts gives an equivalent URI.
    let built = SipUri::new(Host::Domain("pbx.example.com".into()))
        .with_user("300")
        .with_header("Replaces", &rep.to_string());
    assert!(Uri::Sip(built).matches(&to.uri));
}

// RFC 3966 tel URIs.
#[test]
fn tel_uris() {
    let r = req("tel_uri_invite.sip");
    let t = r.uri.as_tel().unwrap();
    assert_eq!(t.number, "+15551239876");
    assert_eq!(t.params.get("phone-context"), Some("example.com"));
    let from = r.headers.from().unwrap();
    assert_eq!(from.uri.as_tel().unwrap().digits(), "+15551230000");
    assert_eq!(r.headers.top_via().unwrap().transport, Transport::Tcp);
    let c = r.headers.contacts().unwrap();
    assert_eq!(
        c[0].addr().unwrap().uri.params().unwrap().get("user"),
        Some("phone")
    );
}

// RFC 5118 IPv6 in Request-URI, Via, Record-Route, Contact and SDP.
#[test]
fn ipv6() {
    let r = req("kamailio_ipv6_invite.sip");
    assert_eq!(
        r.uri.host(),
        Some(&Host::Ipv6("2001:db8::51".parse().unwrap()))
    );
    assert_eq!(r.uri.as_sip().unwrap().port, Some(5062));
    let vias = r.headers.vias().unwrap();
    assert_eq!(vias[0].host, Host::Ipv6("2001:db8::1".parse().unwrap()));
    assert_eq!(vias[1].received(), Some("2001:db8::20"));
    assert_eq!(vias[1].rport(), Some(5060));
    let rr = r.headers.record_routes().unwrap();
    assert_eq!(rr.len(), 2);
    assert!(rr[0].uri.params().unwrap().has("lr"));
    assert!(r.headers.contacts().unwrap()[0]
        .addr()
        .unwrap()
        .uri
        .params()
        .unwrap()
        .has("ob"));
    let s = sdp(&r.body);
    assert_eq!(
        s.connection.unwrap().ip(),
        Some("2001:db8::20".parse().unwrap())
    );
    assert_eq!(s.media[0].direction(), Some(Direction::SendOnly));
    let p = resp("kamailio_200_record_route.sip");
    assert_eq!(
        p.headers.record_routes().unwrap()[0]
            .uri
            .params()
            .unwrap()
            .get("did"),
        Some("a1b.c2d1")
    );
    assert_eq!(p.headers.require().unwrap(), ["timer"]);
    assert_eq!(
        p.headers.session_expires().unwrap().unwrap().refresher,
        Some(Refresher::Uas)
    );
    let v6 = req("polycom_invite_alert_info_ipv6_contact.sip");
    let via = v6.headers.top_via().unwrap();
    assert_eq!(
        (via.transport.clone(), via.port),
        (Transport::Tls, Some(5061))
    );
    let c = v6.headers.contacts().unwrap();
    assert_eq!(c[0].addr().unwrap().uri.scheme(), "sips");
    assert_eq!(
        v6.headers.alert_info().unwrap()[0].info(),
        Some("alert-internal")
    );
    assert_eq!(sdp(&v6.body).media[0].crypto().len(), 1);
}

// RFC 3262: RSeq in a reliable 183, RAck in the PRACK.
#[test]
fn reliable_provisional() {
    let p = resp("freeswitch_183_100rel.sip");
    assert_eq!(p.headers.rseq().unwrap(), Some(776656));
    assert_eq!(p.headers.require().unwrap(), ["100rel"]);
    let prack = req("yealink_prack.sip");
    let rack = prack.headers.rack().unwrap().unwrap();
    assert_eq!(
        (rack.rseq, rack.cseq, rack.method),
        (776656, 2, Method::Invite)
    );
}

// RFC 3326 Reason; RFC 6665 Subscription-State; RFC 3420 sipfrag; RFC 3261 §20.33.
#[test]
fn assorted_headers() {
    let bye = req("asterisk_bye_reason.sip");
    let reasons = bye.headers.reasons().unwrap();
    assert_eq!(
        (reasons[0].protocol.as_str(), reasons[0].cause),
        ("Q.850", Some(16))
    );
    assert_eq!(reasons[0].text.as_deref(), Some("Normal Clearing"));
    let n = req("notify_refer_sipfrag.sip");
    let ev = n.headers.event().unwrap().unwrap();
    assert_eq!((ev.package.as_str(), ev.id()), ("refer", Some("103")));
    let st = n.headers.subscription_state().unwrap().unwrap();
    assert_eq!(
        (&st.state, st.reason()),
        (&SubState::Terminated, Some("noresource"))
    );
    let frag = Message::parse(&n.body).unwrap();
    assert_eq!(frag.as_response().unwrap().status, 200);
    let r = resp("sipp_503_retry_after.sip");
    let ra = r.headers.retry_after().unwrap().unwrap();
    assert_eq!(
        (ra.delta, ra.comment.as_deref(), ra.params.get("duration")),
        (120, Some("overloaded"), Some("3600"))
    );
    assert_eq!(
        resp("kamailio_422_min_se.sip").headers.min_se().unwrap(),
        Some(1800)
    );
    let p = resp("asterisk_407_proxy_auth.sip");
    let ch = &p.headers.proxy_authenticate()[0];
    assert_eq!(
        (ch.algorithm, ch.stale, ch.qop.len()),
        (Algorithm::Md5Sess, true, 2)
    );
    let ack = req("ack_2xx_with_route.sip");
    assert_eq!(ack.headers.routes().unwrap().len(), 1);
    let info = req("freeswitch_info_dtmf.sip");
    assert_eq!(
        info.headers.content_type().unwrap().unwrap().essence(),
        "application/dtmf-relay"
    );
}

/// Build a REGISTER with the builders, write it, read it back.
#[test]
fn build_register_from_parts() {
    let registrar = SipUri::new(Host::Domain("pbx.example.com".into()));
    let aor = NameAddr::new(Uri::Sip(registrar.clone().with_user("1001"))).with_display("Line 1");
    let mut from = aor.clone();
    from.set_tag("a73kszlfl");
    let contact = NameAddr::new(Uri::Sip(
        SipUri::new(Host::Ipv4("192.0.2.51".parse().unwrap()))
            .with_user("1001")
            .with_port(5062),
    ))
    .with_param("reg-id", Some("1"))
    .with_param(
        "+sip.instance",
        Some("<urn:uuid:00000000-0000-1000-8000-000000000001>"),
    );
    let mut r = Request::new(Method::Register, Uri::Sip(registrar));
    let via = Via::new(
        Transport::Udp,
        Host::Ipv4("192.0.2.51".parse().unwrap()),
        Some(5062),
        "z9hG4bK.1",
    );
    r.headers.push_typed(&via);
    r.headers.push("Max-Forwards", "70");
    r.headers.push("From", from.to_string());
    r.headers.push("To", aor.to_string());
    r.headers.push("Call-ID", "reg-1@192.0.2.51");
    r.headers
        .push_typed(&tipring_sip_message::CSeq::new(1, Method::Register));
    r.headers.push_typed(&Contact::Addr(contact.clone()));
    r.headers.push("Expires", "3600");
    let bytes = r.to_bytes();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.starts_with("REGISTER sip:pbx.example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.51:5062;branch=z9hG4bK.1\r\n"));
    assert!(text.ends_with("Expires: 3600\r\nContent-Length: 0\r\n\r\n"));
    let back = Message::parse(&bytes).unwrap();
    let back = back.as_request().unwrap();
    assert_eq!(back.headers.from().unwrap(), from);
    assert_eq!(back.headers.contacts().unwrap(), [Contact::Addr(contact)]);
    assert_eq!(back.headers.top_via().unwrap(), via);
    check_request(back, &registrar_policy()).unwrap();
    // A 200 for it, with our To tag.
    let ok = back.make_response(200, "", Some("srv1"));
    let okb = Message::parse(&ok.to_bytes()).unwrap();
    check_response(okb.as_response().unwrap()).unwrap();
    assert_eq!(okb.headers().to().unwrap().tag(), Some("srv1"));
    assert_eq!(okb.headers().cseq().unwrap().method, Method::Register);
    // Challenge -> credentials -> verify, as the test registrar does.
    let ch = Challenge::new("tipring", "n0nce", Algorithm::Sha256);
    let hdr = ch.to_string();
    let parsed = Challenge::parse(&hdr).unwrap();
    let cred = parsed
        .respond(
            "1001",
            "pw",
            &Method::Register,
            &back.uri.to_string(),
            b"",
            "cn",
            1,
        )
        .unwrap();
    assert!(Credentials::parse(&cred.to_string())
        .unwrap()
        .verify("pw", &Method::Register, b""));
}

//! INVITE both ways: ringing, answer, ACK, 2xx retransmission, CANCEL, BYE, busy, garbage.

use std::time::Duration;

use tipring_sip::{CallEvent, Command, Event};
use tipring_sip_message::{Message, Method, Request};

use crate::{account, peer, reply, Rig, SERVER_A};

const PHONE: &str = "127.0.0.1:5090";

fn call_events(rig: &mut Rig) -> Vec<CallEvent> {
    rig.take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Call { event, .. } => Some(event),
            _ => None,
        })
        .collect()
}

fn invite_from_phone(to_user: &str, branch: &str) -> Request {
    let text = format!(
        "INVITE sip:{to_user}@127.0.0.1:5070 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {PHONE};branch={branch}\r\n\
         Max-Forwards: 70\r\n\
         From: \"Alice Smith\" <sip:5551000@pbx.test>;tag=a1\r\n\
         To: <sip:{to_user}@pbx.test>\r\n\
         Call-ID: call-1@{PHONE}\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:5551000@{PHONE}>\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: 0\r\n\r\n"
    );
    match Message::parse(text.as_bytes()).unwrap() {
        Message::Request(r) => r,
        _ => unreachable!(),
    }
}

fn in_dialog(method: &str, branch: &str, to_tag: &str, cseq: u32) -> Vec<u8> {
    format!(
        "{method} sip:101@127.0.0.1:5070 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {PHONE};branch={branch}\r\n\
         Max-Forwards: 70\r\n\
         From: \"Alice Smith\" <sip:5551000@pbx.test>;tag=a1\r\n\
         To: <sip:101@pbx.test>;tag={to_tag}\r\n\
         Call-ID: call-1@{PHONE}\r\n\
         CSeq: {cseq} {method}\r\n\
         Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

#[test]
fn outgoing_call_rings_answers_acks_and_hangs_up() {
    let mut rig = Rig::new(vec![account("101")]);
    rig.command(Command::Dial {
        account: 0,
        number: "102".into(),
        private: false,
    });
    let (to, invite) = rig.one_request();
    assert_eq!(to, peer(SERVER_A));
    assert_eq!(invite.method, Method::Invite);
    assert_eq!(invite.uri.to_string(), "sip:102@pbx.test");
    let sdp = String::from_utf8(invite.body.clone()).unwrap();
    assert!(sdp.contains("m=audio 40000 RTP/AVP 0 8 101"), "{sdp}");
    rig.receive(SERVER_A, reply(&invite, 100, None));
    rig.receive(SERVER_A, reply(&invite, 180, Some("b2")));
    assert_eq!(call_events(&mut rig), vec![CallEvent::Ringing]);
    // No INVITE retransmission once a provisional response arrived.
    rig.advance(Duration::from_secs(5));
    assert!(rig.take_sent().is_empty());
    let mut ok = reply(&invite, 200, Some("b2"));
    ok.headers.push("Contact", "<sip:102@127.0.0.1:5092>");
    rig.receive(SERVER_A, ok.clone());
    assert_eq!(call_events(&mut rig), vec![CallEvent::Answered]);
    let (ack_to, ack) = rig.one_request();
    assert_eq!(ack.method, Method::Ack);
    assert_eq!(ack_to, peer(SERVER_A));
    assert_eq!(
        ack.uri.to_string(),
        "sip:102@127.0.0.1:5092",
        "ACK to the remote target"
    );
    assert_eq!(
        ack.headers.cseq().unwrap().seq,
        invite.headers.cseq().unwrap().seq
    );
    // A retransmitted 200 is ACKed again, not reported twice.
    rig.receive(SERVER_A, ok);
    assert_eq!(rig.one_request().1.method, Method::Ack);
    assert!(call_events(&mut rig).is_empty());
    rig.command(Command::Hangup(0));
    let (_, bye) = rig.one_request();
    assert_eq!(bye.method, Method::Bye);
    assert_eq!(bye.headers.to().unwrap().params.get("tag"), Some("b2"));
    assert!(bye.headers.cseq().unwrap().seq > invite.headers.cseq().unwrap().seq);
}

#[test]
fn early_media_brings_its_session_before_the_answer() {
    // RFC 3960: a 183 with SDP carries the answer; the PBX's ringback or announcement
    // flows with it, so the media starts before the 200.
    let mut rig = Rig::new(vec![account("101")]);
    rig.command(Command::Dial {
        account: 0,
        number: "102".into(),
        private: false,
    });
    let (_, invite) = rig.one_request();
    let mut progress = reply(&invite, 183, Some("b2"));
    let sdp = "v=0\r\no=pbx 1 1 IN IP4 127.0.0.9\r\ns=-\r\nc=IN IP4 127.0.0.9\r\nt=0 0\r\n\
               m=audio 7000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";
    progress.headers.push("Content-Type", "application/sdp");
    progress.body = sdp.as_bytes().to_vec();
    rig.receive(SERVER_A, progress);
    let events = rig.take_events();
    let media = events.iter().position(|e| {
        matches!(e, Event::Media { session, .. }
            if session.codec.name == "PCMA" && session.remote.to_string() == "127.0.0.9:7000")
    });
    let early = events.iter().position(|e| {
        matches!(
            e,
            Event::Call {
                event: CallEvent::EarlyMedia,
                ..
            }
        )
    });
    assert!(media.is_some() && media < early, "{events:?}");
}

#[test]
fn busy_and_not_found_are_reported_and_acked() {
    for (status, expect) in [
        (486, CallEvent::Busy),
        (404, CallEvent::Failed { status: 404 }),
    ] {
        let mut rig = Rig::new(vec![account("101")]);
        rig.command(Command::Dial {
            account: 0,
            number: "102".into(),
            private: false,
        });
        let (_, invite) = rig.one_request();
        let resp = reply(&invite, status, Some("b2"));
        rig.receive(SERVER_A, resp.clone());
        assert_eq!(call_events(&mut rig), vec![expect.clone()]);
        let (_, ack) = rig.one_request();
        assert_eq!(ack.method, Method::Ack);
        assert_eq!(
            ack.headers.top_via().unwrap().branch(),
            invite.headers.top_via().unwrap().branch(),
            "a non-2xx ACK is part of the INVITE transaction"
        );
        rig.receive(SERVER_A, resp);
        assert_eq!(
            rig.one_request().1.method,
            Method::Ack,
            "re-ACK a retransmitted final"
        );
    }
}

#[test]
fn cancel_before_answer() {
    let mut rig = Rig::new(vec![account("101")]);
    rig.command(Command::Dial {
        account: 0,
        number: "102".into(),
        private: false,
    });
    let (_, invite) = rig.one_request();
    rig.receive(SERVER_A, reply(&invite, 180, Some("b2")));
    call_events(&mut rig);
    rig.command(Command::Hangup(0));
    let (_, cancel) = rig.one_request();
    assert_eq!(cancel.method, Method::Cancel);
    assert_eq!(cancel.uri, invite.uri);
    assert_eq!(
        cancel.headers.top_via().unwrap().branch(),
        invite.headers.top_via().unwrap().branch()
    );
    rig.receive(SERVER_A, reply(&cancel, 200, Some("b2")));
    rig.receive(SERVER_A, reply(&invite, 487, Some("b2")));
    assert_eq!(rig.one_request().1.method, Method::Ack);
    assert!(!rig.ua.has_call(0));
}

#[test]
fn incoming_call_rings_the_account_and_is_answered() {
    let mut rig = Rig::new(vec![account("101"), account("102")]);
    let invite = invite_from_phone("102", "z9hG4bKin1");
    rig.receive(PHONE, invite.clone());
    let resps = rig.responses();
    assert_eq!(
        resps.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![100, 180]
    );
    let tag = resps[1]
        .headers
        .to()
        .unwrap()
        .params
        .get("tag")
        .unwrap()
        .to_string();
    let evs = rig.take_events();
    assert!(
        evs.contains(&Event::Call {
            account: 1,
            event: CallEvent::Incoming {
                number: Some("5551000".into()),
                name: Some("Alice Smith".into()),
                private: false,
                alert_info: None
            }
        }),
        "{evs:?}"
    );
    // A retransmitted INVITE gets the last response again, no second ring.
    rig.receive(PHONE, invite.clone());
    assert_eq!(
        rig.responses().iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![180]
    );
    assert!(rig.take_events().is_empty());

    rig.command(Command::Answer(1));
    let ok = rig.responses();
    assert_eq!(ok[0].status, 200);
    assert!(String::from_utf8_lossy(&ok[0].body).contains("m=audio"));
    // The 200 is retransmitted (T1, 2T1, ...) until the ACK.
    rig.advance(Duration::from_millis(1600));
    assert_eq!(
        rig.responses().len(),
        2,
        "200 retransmitted at 0.5 s and 1.5 s"
    );
    rig.receive_bytes(PHONE, &in_dialog("ACK", "z9hG4bKack", &tag, 1));
    rig.advance(Duration::from_secs(10));
    assert!(
        rig.take_sent().is_empty(),
        "the ACK stops the retransmissions"
    );
    // The caller hangs up.
    rig.receive_bytes(PHONE, &in_dialog("BYE", "z9hG4bKbye", &tag, 2));
    assert_eq!(rig.responses()[0].status, 200);
    assert_eq!(
        call_events(&mut rig),
        vec![CallEvent::Answered, CallEvent::RemoteHangup]
    );
}

#[test]
fn caller_cancels_a_ringing_call() {
    let mut rig = Rig::new(vec![account("101")]);
    rig.receive(PHONE, invite_from_phone("101", "z9hG4bKin2"));
    rig.take_sent();
    let cancel = format!(
        "CANCEL sip:101@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP {PHONE};branch=z9hG4bKin2\r\n\
         Max-Forwards: 70\r\nFrom: \"Alice Smith\" <sip:5551000@pbx.test>;tag=a1\r\n\
         To: <sip:101@pbx.test>\r\nCall-ID: call-1@{PHONE}\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n"
    );
    rig.receive_bytes(PHONE, cancel.as_bytes());
    let statuses: Vec<u16> = rig.responses().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![200, 487]);
    assert!(call_events(&mut rig).contains(&CallEvent::Cancelled));
    assert!(!rig.ua.has_call(0));
}

#[test]
fn a_second_call_gets_busy_and_unknown_users_404() {
    let mut rig = Rig::new(vec![account("101")]);
    rig.receive(PHONE, invite_from_phone("101", "z9hG4bKa"));
    rig.take_sent();
    let mut second = invite_from_phone("101", "z9hG4bKb");
    second.headers.set("Call-ID", "call-2@x");
    rig.receive(PHONE, second);
    assert_eq!(
        rig.responses().iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![100, 486]
    );
    rig.receive(PHONE, invite_from_phone("999", "z9hG4bKc"));
    assert_eq!(
        rig.responses().iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![100, 404]
    );
}

#[test]
fn garbage_is_answered_or_dropped_and_the_ua_keeps_working() {
    let mut rig = Rig::new(vec![account("101")]);
    rig.receive_bytes(PHONE, b"\x00\x01garbage\r\n\r\n");
    rig.receive_bytes(PHONE, b"INVITE sip:101@x SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bKq\r\nCSeq: 99999999999 INVITE\r\n\r\n");
    rig.take_sent();
    assert_eq!(
        rig.ua.stats().bad_answered + rig.ua.stats().bad_dropped,
        2,
        "counted"
    );
    let bad = rig.take_events();
    assert!(
        bad.iter().all(|e| matches!(e, Event::BadMessage { .. })) && bad.len() == 2,
        "{bad:?}"
    );
    rig.receive(PHONE, invite_from_phone("101", "z9hG4bKok"));
    assert_eq!(
        rig.responses().iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![100, 180]
    );
}

#[test]
fn options_is_answered_with_allow() {
    let mut rig = Rig::new(vec![account("101")]);
    let opt = format!(
        "OPTIONS sip:101@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP {PHONE};branch=z9hG4bKo\r\n\
         Max-Forwards: 70\r\nFrom: <sip:probe@pbx.test>;tag=p\r\nTo: <sip:101@pbx.test>\r\n\
         Call-ID: opt@x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    rig.receive_bytes(PHONE, opt.as_bytes());
    let r = rig.responses();
    assert_eq!(r[0].status, 200);
    assert!(r[0].headers.get("Allow").unwrap().contains("INVITE"));
}

fn with_offer(mut invite: Request, sdp: &str) -> Request {
    invite.body = sdp.as_bytes().to_vec();
    invite.headers.set("Content-Length", sdp.len().to_string());
    invite
}

const OPUS_ONLY: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                         m=audio 5004 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n";
const PCMA_FIRST: &str =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                          m=audio 5004 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";

#[test]
fn an_offer_without_a_common_codec_gets_488_and_no_ringing() {
    let mut rig = Rig::new(vec![account("101")]);
    rig.receive(
        PHONE,
        with_offer(invite_from_phone("101", "z9hG4bKo1"), OPUS_ONLY),
    );
    assert_eq!(
        rig.responses().iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![100, 488]
    );
    assert!(call_events(&mut rig).is_empty());
    assert!(!rig.ua.has_call(0));
}

#[test]
fn the_answer_follows_the_offerers_codec_order() {
    let mut rig = Rig::new(vec![account("101")]);
    rig.receive(
        PHONE,
        with_offer(invite_from_phone("101", "z9hG4bKo2"), PCMA_FIRST),
    );
    rig.take_sent();
    rig.command(Command::Answer(0));
    let ok = rig.responses().remove(0);
    let sdp = String::from_utf8(ok.body).unwrap();
    assert!(sdp.contains("m=audio 40000 RTP/AVP 8 101\r\n"), "{sdp}");
    let media: Vec<_> = rig
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Media { session, .. } => Some(session),
            _ => None,
        })
        .collect();
    assert_eq!(media.len(), 1);
    assert_eq!(media[0].codec.name, "PCMA");
    assert_eq!(media[0].remote, "127.0.0.1:5004".parse().unwrap());
}

#[test]
fn unsolicited_message_summary_notify_sets_message_waiting() {
    let mut rig = Rig::new(vec![account("101")]);
    for (body, waiting) in [
        (
            "Messages-Waiting: yes\r\nVoice-Message: 2/8 (0/2)\r\n",
            true,
        ),
        ("Messages-Waiting: no\r\n", false),
    ] {
        let notify = format!(
            "NOTIFY sip:101@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP {PHONE};branch=z9hG4bKn{waiting}\r\n\
             Max-Forwards: 70\r\nFrom: <sip:asterisk@pbx.test>;tag=n\r\nTo: <sip:101@pbx.test>\r\n\
             Call-ID: mwi-{waiting}@x\r\nCSeq: 1 NOTIFY\r\nEvent: message-summary\r\n\
             Subscription-State: active\r\nContent-Type: application/simple-message-summary\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        rig.receive_bytes(PHONE, notify.as_bytes());
        assert_eq!(rig.responses()[0].status, 200);
        assert_eq!(
            rig.take_events(),
            vec![Event::MessageWaiting {
                account: 0,
                waiting
            }]
        );
    }
}

/// A connected outgoing call from account 0 to 102 (remote target 127.0.0.1:5092).
fn connected_call(rig: &mut Rig) -> Request {
    rig.command(Command::Dial {
        account: 0,
        number: "102".into(),
        private: false,
    });
    let (_, invite) = rig.one_request();
    let mut ok = reply(&invite, 200, Some("b2"));
    ok.headers.push("Contact", "<sip:102@127.0.0.1:5092>");
    rig.receive(SERVER_A, ok);
    rig.take_sent();
    call_events(rig);
    invite
}

#[test]
fn dtmf_as_sip_info_both_ways() {
    let mut rig = Rig::new(vec![account("101")]);
    let invite = connected_call(&mut rig);
    rig.command(Command::SendDtmf {
        account: 0,
        digit: '5',
        duration_ms: 160,
    });
    let (_, info) = rig.one_request();
    assert_eq!(info.method, Method::Info);
    assert_eq!(
        info.headers.get("Content-Type"),
        Some("application/dtmf-relay")
    );
    assert_eq!(
        String::from_utf8(info.body).unwrap(),
        "Signal=5\r\nDuration=160\r\n"
    );
    let call_id = invite.headers.call_id().unwrap().to_string();
    // In our dialog: the To tag is ours (the From tag of our INVITE).
    let ours = invite
        .headers
        .from()
        .unwrap()
        .params
        .get("tag")
        .unwrap()
        .to_string();
    let body = "Signal=11\r\nDuration=100\r\n";
    let incoming = format!(
        "INFO sip:101@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP {SERVER_A};branch=z9hG4bKi\r\n\
         Max-Forwards: 70\r\nFrom: <sip:102@pbx.test>;tag=b2\r\nTo: <sip:101@pbx.test>;tag={ours}\r\n\
         Call-ID: {call_id}\r\nCSeq: 5 INFO\r\nContent-Type: application/dtmf-relay\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    rig.receive_bytes(SERVER_A, incoming.as_bytes());
    assert_eq!(rig.responses()[0].status, 200);
    assert_eq!(call_events(&mut rig), vec![CallEvent::Dtmf('#')]);
}

#[test]
fn a_302_is_followed_to_the_new_target() {
    let mut rig = Rig::new(vec![account("101")]);
    rig.command(Command::Dial {
        account: 0,
        number: "102".into(),
        private: false,
    });
    let (_, invite) = rig.one_request();
    let mut moved = reply(&invite, 302, Some("r"));
    moved.headers.push("Contact", "<sip:5551234@pbx.test>");
    rig.receive(SERVER_A, moved);
    let sent = rig.take_sent();
    let methods: Vec<String> = sent
        .iter()
        .filter_map(|(_, m)| m.as_request().map(|r| r.method.to_string()))
        .collect();
    assert_eq!(methods, vec!["ACK", "INVITE"]);
    let again = sent[1].1.as_request().unwrap();
    assert_eq!(again.uri.to_string(), "sip:5551234@pbx.test");
    assert_eq!(
        again.headers.call_id().unwrap(),
        invite.headers.call_id().unwrap()
    );
    assert!(
        call_events(&mut rig).is_empty(),
        "a redirect is not a failure"
    );
}

#[test]
fn reliable_provisionals_are_pracked() {
    // RFC 3262 as UAC: a 180 with Require: 100rel and RSeq gets a PRACK with RAck.
    let mut rig = Rig::new(vec![account("101")]);
    rig.command(Command::Dial {
        account: 0,
        number: "102".into(),
        private: false,
    });
    let (_, invite) = rig.one_request();
    assert!(invite.headers.get("Supported").unwrap().contains("100rel"));
    let mut ringing = reply(&invite, 180, Some("b2"));
    ringing.headers.push("Require", "100rel");
    ringing.headers.push("RSeq", "7");
    ringing.headers.push("Contact", "<sip:102@127.0.0.1:5092>");
    rig.receive(SERVER_A, ringing.clone());
    let (_, prack) = rig.one_request();
    assert_eq!(prack.method, Method::Prack);
    let cseq = invite.headers.cseq().unwrap().seq;
    assert_eq!(
        prack.headers.get("RAck"),
        Some(format!("7 {cseq} INVITE").as_str())
    );
    assert_eq!(prack.uri.to_string(), "sip:102@127.0.0.1:5092");
    assert_eq!(prack.headers.to().unwrap().params.get("tag"), Some("b2"));
    // A retransmitted 180 (same RSeq) is not PRACKed again.
    rig.receive(SERVER_A, ringing);
    assert!(rig.take_sent().is_empty());
}

#[test]
fn a_caller_requiring_100rel_gets_a_reliable_180() {
    let mut rig = Rig::new(vec![account("101")]);
    let mut invite = invite_from_phone("101", "z9hG4bKrel");
    invite.headers.push("Require", "100rel");
    rig.receive(PHONE, invite);
    let r = rig.responses();
    assert_eq!(r[1].status, 180);
    assert_eq!(r[1].headers.get("RSeq"), Some("1"));
    assert_eq!(r[1].headers.get("Require"), Some("100rel"));
    let tag = r[1]
        .headers
        .to()
        .unwrap()
        .params
        .get("tag")
        .unwrap()
        .to_string();
    rig.advance(Duration::from_millis(600));
    assert_eq!(
        rig.responses().iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![180],
        "retransmitted"
    );
    let prack = format!(
        "PRACK sip:101@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP {PHONE};branch=z9hG4bKpr\r\n\
         Max-Forwards: 70\r\nFrom: \"Alice Smith\" <sip:5551000@pbx.test>;tag=a1\r\n\
         To: <sip:101@pbx.test>;tag={tag}\r\nCall-ID: call-1@{PHONE}\r\nCSeq: 2 PRACK\r\n\
         RAck: 1 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    );
    rig.receive_bytes(PHONE, prack.as_bytes());
    assert_eq!(rig.responses()[0].status, 200);
    rig.advance(Duration::from_secs(5));
    assert!(rig.take_sent().is_empty(), "no more 180s after the PRACK");
}

#[test]
fn session_timer_we_refresh_with_update() {
    // RFC 4028: the 200 names us (the UAC) as refresher: UPDATE at half the interval.
    let mut rig = Rig::new(vec![account("101")]);
    rig.command(Command::Dial {
        account: 0,
        number: "102".into(),
        private: false,
    });
    let (_, invite) = rig.one_request();
    assert!(invite
        .headers
        .tokens("Supported")
        .unwrap()
        .contains(&"timer"));
    let mut ok = reply(&invite, 200, Some("b2"));
    ok.headers.push("Contact", "<sip:102@127.0.0.1:5092>");
    ok.headers.push("Session-Expires", "120;refresher=uac");
    rig.receive(SERVER_A, ok);
    rig.take_sent();
    rig.advance(Duration::from_secs(59));
    assert!(rig.take_sent().is_empty());
    rig.advance(Duration::from_millis(1100));
    let (_, update) = rig.one_request();
    assert_eq!(update.method, Method::Update);
    assert_eq!(
        update.headers.get("Session-Expires"),
        Some("120;refresher=uac")
    );
}

#[test]
fn session_timer_expires_when_the_peer_does_not_refresh() {
    let mut rig = Rig::new(vec![account("101")]);
    let mut invite = invite_from_phone("101", "z9hG4bKse");
    invite.headers.push("Supported", "timer");
    invite.headers.push("Session-Expires", "90");
    rig.receive(PHONE, invite);
    let tag = rig.responses()[1]
        .headers
        .to()
        .unwrap()
        .params
        .get("tag")
        .unwrap()
        .to_string();
    rig.command(Command::Answer(0));
    let ok = rig.responses().remove(0);
    assert_eq!(ok.headers.get("Session-Expires"), Some("90;refresher=uac"));
    assert_eq!(ok.headers.get("Require"), Some("timer"));
    rig.receive_bytes(PHONE, &in_dialog("ACK", "z9hG4bKsa", &tag, 1));
    // A refresh at 40 s moves the expiry to 40 + 60 s.
    rig.advance(Duration::from_secs(40));
    rig.receive_bytes(PHONE, &in_dialog("UPDATE", "z9hG4bKup", &tag, 2));
    assert_eq!(rig.responses()[0].status, 200);
    rig.advance(Duration::from_secs(55));
    assert!(rig.ua.has_call(0), "refreshed");
    rig.advance(Duration::from_secs(10));
    assert!(!rig.ua.has_call(0), "expired 60 s after the last refresh");
    let sent = rig.take_sent();
    assert!(sent
        .iter()
        .any(|(_, m)| m.as_request().is_some_and(|r| r.method == Method::Bye)));
}

#[test]
fn responses_carry_received_and_rport_for_the_callers_nat() {
    let mut rig = Rig::new(vec![account("101")]);
    let mut invite = invite_from_phone("101", "z9hG4bKnat");
    // The caller thinks it is 10.0.0.5:5060 and asks for rport; it arrives from PHONE.
    invite.headers.remove_first("Via");
    invite
        .headers
        .push_front("Via", "SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKnat;rport");
    rig.receive(PHONE, invite);
    let sent = rig.take_sent();
    assert!(
        sent.iter().all(|(to, _)| *to == peer(PHONE)),
        "answers go to the source"
    );
    let (_, Message::Response(r)) = &sent[0] else {
        panic!()
    };
    let via = r.headers.get("Via").unwrap();
    assert!(
        via.contains("received=127.0.0.1") && via.contains("rport=5090"),
        "{via}"
    );
}

/// An SDP offer from the phone at `PHONE`.
fn with_phone_offer(mut invite: Request) -> Request {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
               m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
    invite.headers.set("Content-Length", sdp.len().to_string());
    invite.body = sdp.as_bytes().to_vec();
    invite
}

fn media_ports(rig: &mut Rig) -> Vec<u16> {
    rig.take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Media { session, .. } => Some(session.remote.port()),
            _ => None,
        })
        .collect()
}

#[test]
fn call_waiting_rings_as_the_other_call_and_is_answered_and_swapped() {
    let mut rig = Rig::new(vec![account("101")]);
    let _first = connected_call(&mut rig);
    // A second caller while we talk: 180, and the port hears of it as the other call.
    rig.receive(
        PHONE,
        with_phone_offer(invite_from_phone("101", "z9hG4bKcw")),
    );
    let statuses: Vec<u16> = rig.responses().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![100, 180], "rings, no 486");
    let events = call_events(&mut rig);
    assert!(
        matches!(&events[..], [CallEvent::OtherParty(inner)] if matches!(**inner, CallEvent::Incoming { .. })),
        "{events:?}"
    );
    // Answer it: the first call goes on hold (re-INVITE sendonly), the second gets 200
    // with an SDP on the account's second RTP port.
    rig.command(Command::AnswerOther(0));
    let sent = rig.take_sent();
    let reinvite = sent.iter().find_map(|(_, m)| match m {
        Message::Request(r) if r.method == Method::Invite => Some(r.clone()),
        _ => None,
    });
    let hold_sdp = String::from_utf8(reinvite.expect("hold re-INVITE").body).unwrap();
    assert!(hold_sdp.contains("a=sendonly"), "{hold_sdp}");
    assert!(hold_sdp.contains("m=audio 40000 "), "{hold_sdp}");
    let ok = sent.iter().find_map(|(_, m)| match m {
        Message::Response(r) if r.status == 200 => Some(r.clone()),
        _ => None,
    });
    let answer_sdp = String::from_utf8(ok.expect("200 for the waiting call").body).unwrap();
    assert!(
        answer_sdp.contains("m=audio 40002 "),
        "second port: {answer_sdp}"
    );
    assert!(media_ports(&mut rig).contains(&6000));
    // The far end of the first call accepts the hold; the waiting caller ACKs our 200.
    let reinvite = reinvite_of(&sent);
    rig.receive(SERVER_A, reply(&reinvite, 200, Some("b2")));
    let ack = in_dialog_ack(&ok_tag(&sent));
    rig.receive_bytes(PHONE, &ack);
    rig.take_sent();
    call_events(&mut rig);
    // Swap: hold the answered call (the waiting caller), resume the first.
    rig.command(Command::Swap(0));
    let sent = rig.take_sent();
    let reinvites: Vec<(String, String)> = sent
        .iter()
        .filter_map(|(to, m)| match m {
            Message::Request(r) if r.method == Method::Invite => Some((
                to.addr.to_string(),
                String::from_utf8(r.body.clone()).unwrap(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(reinvites.len(), 2, "{reinvites:?}");
    assert!(reinvites[0].0 == PHONE && reinvites[0].1.contains("a=sendonly"));
    assert!(reinvites[1].1.contains("a=sendrecv") && reinvites[1].1.contains("m=audio 40000 "));
}

fn reinvite_of(sent: &[(tipring_sip::Peer, Message)]) -> Request {
    sent.iter()
        .find_map(|(_, m)| match m {
            Message::Request(r) if r.method == Method::Invite => Some(r.clone()),
            _ => None,
        })
        .expect("a re-INVITE")
}

fn ok_tag(sent: &[(tipring_sip::Peer, Message)]) -> String {
    sent.iter()
        .find_map(|(_, m)| match m {
            Message::Response(r) if r.status == 200 => r
                .headers
                .to()
                .ok()
                .and_then(|t| t.params.get("tag").map(str::to_string)),
            _ => None,
        })
        .expect("our 200's To tag")
}

fn in_dialog_ack(to_tag: &str) -> Vec<u8> {
    in_dialog("ACK", "z9hG4bKcwack", to_tag, 1)
}

#[test]
fn a_third_call_while_one_waits_gets_busy() {
    let mut rig = Rig::new(vec![account("101")]);
    let _first = connected_call(&mut rig);
    rig.receive(
        PHONE,
        with_phone_offer(invite_from_phone("101", "z9hG4bKcw")),
    );
    rig.take_sent();
    let mut third = invite_from_phone("101", "z9hG4bK3");
    third.headers.set("Call-ID", "call-3@127.0.0.1:5090");
    rig.receive(PHONE, third);
    let statuses: Vec<u16> = rig.responses().iter().map(|r| r.status).collect();
    assert!(statuses.contains(&486), "{statuses:?}");
}

#[test]
fn a_ringing_call_is_forwarded_with_302() {
    let mut rig = Rig::new(vec![account("101")]);
    rig.receive(PHONE, invite_from_phone("101", "z9hG4bKfw"));
    rig.take_sent();
    call_events(&mut rig);
    rig.command(Command::Redirect {
        account: 0,
        target: "5559".into(),
        other: false,
    });
    let r = rig.responses();
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].status, 302);
    assert_eq!(r[0].headers.get("Contact"), Some("<sip:5559@pbx.test>"));
    assert!(!rig.ua.has_call(0), "the call is gone");
}

#[test]
fn a_private_call_withholds_the_identity_rfc3323() {
    let mut rig = Rig::new(vec![account("101")]);
    rig.command(Command::Dial {
        account: 0,
        number: "102".into(),
        private: true,
    });
    let (_, invite) = rig.one_request();
    let from = invite.headers.get("From").unwrap();
    assert!(from.contains("sip:anonymous@anonymous.invalid"), "{from}");
    assert!(!from.contains("101"), "{from}");
    assert_eq!(invite.headers.get("Privacy"), Some("id"));
    let ppi = invite.headers.get("P-Preferred-Identity").unwrap();
    assert!(ppi.contains("sip:101@pbx.test"), "{ppi}");
    // The dialog keeps the anonymous URI: the BYE's From is the INVITE's.
    let mut ok = reply(&invite, 200, Some("b2"));
    ok.headers.push("Contact", "<sip:102@127.0.0.1:5080>");
    rig.receive(SERVER_A, ok);
    rig.take_sent();
    rig.command(Command::Hangup(0));
    let (_, bye) = rig.one_request();
    assert_eq!(bye.method, Method::Bye);
    assert_eq!(bye.headers.get("From"), Some(from));
    // The next call is not private.
    rig.command(Command::Dial {
        account: 0,
        number: "102".into(),
        private: false,
    });
    let (_, invite) = rig.one_request();
    assert!(invite.headers.get("From").unwrap().contains("sip:101@"));
    assert_eq!(invite.headers.get("Privacy"), None);
}

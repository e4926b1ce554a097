//! REFER (RFC 3515) as transferee and transferor, and INVITE with Replaces (RFC 3891).

use tipring_sip::{CallEvent, Command, Event};
use tipring_sip_message::{Message, Method, Request};

use crate::{account, reply, Rig, SERVER_A};

/// A connected outgoing call from 101 to 102; the INVITE that made it.
fn connected(rig: &mut Rig) -> Request {
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
    rig.take_events();
    invite
}

/// A request from the far end (102) inside the call made by `invite`.
fn from_far_end(invite: &Request, method: &str, cseq: u32, extra: &str, body: &str) -> Vec<u8> {
    let from_tag = invite
        .headers
        .from()
        .unwrap()
        .params
        .get("tag")
        .unwrap()
        .to_string();
    let call_id = invite.headers.call_id().unwrap();
    format!(
        "{method} sip:101@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP {SERVER_A};branch=z9hG4bK{method}{cseq}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:102@pbx.test>;tag=b2\r\nTo: <sip:101@pbx.test>;tag={from_tag}\r\n\
         Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn requests(sent: &[(tipring_sip::Peer, Message)]) -> Vec<&Request> {
    sent.iter().filter_map(|(_, m)| m.as_request()).collect()
}

fn call_events(rig: &mut Rig) -> Vec<CallEvent> {
    rig.take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Call { event, .. } => Some(event),
            _ => None,
        })
        .collect()
}

#[test]
fn transferee_calls_the_refer_target_then_leaves_the_transferor() {
    let mut rig = Rig::new(vec![account("101")]);
    let invite = connected(&mut rig);
    let refer = from_far_end(
        &invite,
        "REFER",
        2,
        "Refer-To: <sip:103@pbx.test>\r\nReferred-By: <sip:102@pbx.test>\r\n",
        "",
    );
    rig.receive_bytes(SERVER_A, &refer);
    let sent = rig.take_sent();
    let statuses: Vec<u16> = sent
        .iter()
        .filter_map(|(_, m)| m.as_response().map(|r| r.status))
        .collect();
    assert_eq!(statuses, vec![202]);
    let reqs = requests(&sent);
    let notify = reqs
        .iter()
        .find(|r| r.method == Method::Notify)
        .expect("NOTIFY 100");
    assert_eq!(notify.headers.get("Event"), Some("refer"));
    assert_eq!(
        String::from_utf8_lossy(&notify.body),
        "SIP/2.0 100 Trying\r\n"
    );
    assert_eq!(
        notify.headers.call_id().unwrap(),
        invite.headers.call_id().unwrap()
    );
    let new_invite = reqs
        .iter()
        .find(|r| r.method == Method::Invite)
        .expect("INVITE to 103");
    assert_eq!(new_invite.uri.to_string(), "sip:103@pbx.test");
    assert_eq!(
        new_invite.headers.get("Referred-By"),
        Some("<sip:102@pbx.test>")
    );
    let new_invite = (*new_invite).clone();
    // The target answers: ACK it, NOTIFY 200 to the transferor; BYE the transferor only
    // once that NOTIFY is answered (a BYE alongside it could overtake it).
    let mut ok = reply(&new_invite, 200, Some("c3"));
    ok.headers.push("Contact", "<sip:103@127.0.0.1:5093>");
    rig.receive(SERVER_A, ok);
    let sent = rig.take_sent();
    let methods: Vec<String> = requests(&sent)
        .iter()
        .map(|r| r.method.to_string())
        .collect();
    assert_eq!(methods, vec!["ACK", "NOTIFY"]);
    let reqs = requests(&sent);
    let final_notify = (*reqs[1]).clone();
    assert!(String::from_utf8_lossy(&final_notify.body).starts_with("SIP/2.0 200"));
    assert!(final_notify
        .headers
        .get("Subscription-State")
        .unwrap()
        .starts_with("terminated"));
    assert_eq!(call_events(&mut rig), vec![CallEvent::Replaced]);
    assert!(rig.ua.has_call(0), "the port is in a call with the target");
    rig.receive(SERVER_A, reply(&final_notify, 200, None));
    let sent = rig.take_sent();
    let reqs = requests(&sent);
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].method, Method::Bye);
    assert_eq!(
        reqs[0].headers.call_id().unwrap(),
        invite.headers.call_id().unwrap()
    );
    assert!(rig.ua.has_call(0), "still in the call with the target");
}

#[test]
fn a_transferor_that_hangs_up_on_the_final_notify_gets_no_bye() {
    let mut rig = Rig::new(vec![account("101")]);
    let invite = connected(&mut rig);
    let refer = from_far_end(&invite, "REFER", 2, "Refer-To: <sip:103@pbx.test>\r\n", "");
    rig.receive_bytes(SERVER_A, &refer);
    let sent = rig.take_sent();
    let new_invite = (*requests(&sent)
        .into_iter()
        .find(|r| r.method == Method::Invite)
        .unwrap())
    .clone();
    let mut ok = reply(&new_invite, 200, Some("c3"));
    ok.headers.push("Contact", "<sip:103@127.0.0.1:5093>");
    rig.receive(SERVER_A, ok);
    let sent = rig.take_sent();
    let final_notify = (*requests(&sent)[1]).clone();
    // The transferor's BYE (RFC 5589 §6) comes before the NOTIFY's answer.
    rig.receive_bytes(SERVER_A, &from_far_end(&invite, "BYE", 3, "", ""));
    let sent = rig.take_sent();
    let statuses: Vec<u16> = sent
        .iter()
        .filter_map(|(_, m)| m.as_response().map(|r| r.status))
        .collect();
    assert_eq!(statuses, vec![200]);
    rig.receive(SERVER_A, reply(&final_notify, 200, None));
    assert!(
        requests(&rig.take_sent()).is_empty(),
        "no BYE: the dialog is over"
    );
    assert!(rig.ua.has_call(0), "the call with the target goes on");
}

#[test]
fn a_failed_transfer_returns_to_the_original_call() {
    let mut rig = Rig::new(vec![account("101")]);
    let invite = connected(&mut rig);
    rig.receive_bytes(
        SERVER_A,
        &from_far_end(&invite, "REFER", 2, "Refer-To: <sip:103@pbx.test>\r\n", ""),
    );
    let sent = rig.take_sent();
    let new_invite = requests(&sent)
        .into_iter()
        .find(|r| r.method == Method::Invite)
        .unwrap()
        .clone();
    rig.receive(SERVER_A, reply(&new_invite, 486, Some("c3")));
    let sent = rig.take_sent();
    let reqs = requests(&sent);
    let notify = reqs
        .iter()
        .find(|r| r.method == Method::Notify)
        .expect("final NOTIFY");
    assert!(String::from_utf8_lossy(&notify.body).starts_with("SIP/2.0 486"));
    assert!(
        !reqs.iter().any(|r| r.method == Method::Bye),
        "the original call stays"
    );
    assert!(
        call_events(&mut rig).is_empty(),
        "the line is not told of the failed attempt"
    );
    // The original call is back: a BYE from the transferor ends it as usual.
    rig.receive_bytes(SERVER_A, &from_far_end(&invite, "BYE", 3, "", ""));
    assert_eq!(call_events(&mut rig), vec![CallEvent::RemoteHangup]);
}

#[test]
fn transferor_refers_and_hangs_up_on_success() {
    let mut rig = Rig::new(vec![account("101")]);
    let invite = connected(&mut rig);
    rig.command(Command::BlindTransfer {
        account: 0,
        target: "103".into(),
    });
    let (_, refer) = rig.one_request();
    assert_eq!(refer.method, Method::Refer);
    assert_eq!(refer.headers.get("Refer-To"), Some("<sip:103@pbx.test>"));
    rig.receive(SERVER_A, reply(&refer, 202, None));
    let notify = from_far_end(
        &invite,
        "NOTIFY",
        2,
        "Event: refer\r\nSubscription-State: terminated\r\nContent-Type: message/sipfrag;version=2.0\r\n",
        "SIP/2.0 200 OK\r\n",
    );
    rig.receive_bytes(SERVER_A, &notify);
    let sent = rig.take_sent();
    assert!(sent
        .iter()
        .any(|(_, m)| m.as_response().is_some_and(|r| r.status == 200)));
    assert!(requests(&sent).iter().any(|r| r.method == Method::Bye));
    assert_eq!(call_events(&mut rig), vec![CallEvent::Transferred]);
    assert!(!rig.ua.has_call(0));
}

#[test]
fn invite_with_replaces_takes_over_the_call() {
    let mut rig = Rig::new(vec![account("101")]);
    let invite = connected(&mut rig);
    let our_tag = invite
        .headers
        .from()
        .unwrap()
        .params
        .get("tag")
        .unwrap()
        .to_string();
    let call_id = invite.headers.call_id().unwrap().to_string();
    let replacing = format!(
        "INVITE sip:101@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5094;branch=z9hG4bKrep\r\n\
         Max-Forwards: 70\r\nFrom: <sip:104@pbx.test>;tag=d4\r\nTo: <sip:101@pbx.test>\r\n\
         Call-ID: rep-1@x\r\nCSeq: 1 INVITE\r\nContact: <sip:104@127.0.0.1:5094>\r\n\
         Replaces: {call_id};to-tag={our_tag};from-tag=b2\r\nContent-Length: 0\r\n\r\n"
    );
    rig.receive_bytes("127.0.0.1:5094", replacing.as_bytes());
    let sent = rig.take_sent();
    let statuses: Vec<u16> = sent
        .iter()
        .filter_map(|(_, m)| m.as_response().map(|r| r.status))
        .collect();
    assert_eq!(statuses, vec![100, 200], "answered at once, no ringing");
    let bye = requests(&sent)
        .into_iter()
        .find(|r| r.method == Method::Bye)
        .expect("BYE old call");
    assert_eq!(bye.headers.call_id().unwrap(), call_id);
    assert!(call_events(&mut rig).contains(&CallEvent::Replaced));
    // A Replaces for a dialog we do not have is refused with 481.
    let stray = replacing
        .replace("rep-1@x", "rep-2@x")
        .replace("z9hG4bKrep", "z9hG4bKrep2")
        .replace(&call_id, "nope");
    rig.receive_bytes("127.0.0.1:5094", stray.as_bytes());
    let statuses: Vec<u16> = rig.responses().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![100, 481]);
}

#[test]
fn hold_and_resume_by_re_invite() {
    let mut rig = Rig::new(vec![account("101")]);
    let invite = connected(&mut rig);
    rig.command(Command::Hold(0));
    let (_, hold) = rig.one_request();
    assert_eq!(hold.method, Method::Invite);
    assert_eq!(
        hold.headers.call_id().unwrap(),
        invite.headers.call_id().unwrap()
    );
    assert_eq!(
        hold.headers.to().unwrap().params.get("tag"),
        Some("b2"),
        "in the dialog"
    );
    let sdp = String::from_utf8(hold.body.clone()).unwrap();
    assert!(sdp.contains("a=sendonly"), "{sdp}");
    let mut ok = reply(&hold, 200, Some("b2"));
    ok.body = sdp.replace("sendonly", "recvonly").into_bytes();
    ok.headers.push("Content-Type", "application/sdp");
    rig.receive(SERVER_A, ok);
    assert_eq!(rig.one_request().1.method, Method::Ack);
    assert!(call_events(&mut rig).contains(&CallEvent::HoldChanged { held: true }));
    rig.command(Command::Resume(0));
    let (_, resume) = rig.one_request();
    let sdp2 = String::from_utf8(resume.body.clone()).unwrap();
    assert!(sdp2.contains("a=sendrecv"), "{sdp2}");
    // Same session id, version one higher (RFC 3264 §8).
    let origin = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("o="))
            .unwrap()
            .split(' ')
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let (o1, o2) = (origin(&sdp), origin(&sdp2));
    assert_eq!(o1[1], o2[1]);
    assert_eq!(
        o2[2].parse::<u64>().unwrap(),
        o1[2].parse::<u64>().unwrap() + 1
    );
}

#[test]
fn glare_gets_491_and_our_re_invite_is_retried_later() {
    let mut rig = Rig::new(vec![account("101")]);
    let invite = connected(&mut rig);
    rig.command(Command::Hold(0));
    let (_, hold) = rig.one_request();
    // The far end re-INVITEs at the same moment: it gets 491 from us...
    rig.receive_bytes(SERVER_A, &from_far_end(&invite, "INVITE", 2, "", ""));
    let statuses: Vec<u16> = rig.responses().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![100, 491]);
    // ...and we get 491 from it: ACK, then a new try after 2.1-4 s (we own the Call-ID).
    rig.receive(SERVER_A, reply(&hold, 491, Some("b2")));
    assert_eq!(rig.one_request().1.method, Method::Ack);
    rig.advance(std::time::Duration::from_millis(2000));
    assert!(rig
        .take_sent()
        .iter()
        .all(|(_, m)| !m.as_request().is_some_and(|r| r.method == Method::Invite)));
    rig.advance(std::time::Duration::from_millis(2100));
    let sent = rig.take_sent();
    let again: Vec<&Request> = requests(&sent)
        .into_iter()
        .filter(|r| r.method == Method::Invite)
        .collect();
    let mut cseqs: Vec<u32> = again
        .iter()
        .map(|r| r.headers.cseq().unwrap().seq)
        .collect();
    cseqs.dedup();
    assert_eq!(cseqs.len(), 1, "retried once (UDP retransmissions aside)");
    assert!(String::from_utf8_lossy(&again[0].body).contains("a=sendonly"));
}

#[test]
fn bye_during_our_re_invite_ends_the_call_cleanly() {
    let mut rig = Rig::new(vec![account("101")]);
    let invite = connected(&mut rig);
    rig.command(Command::Hold(0));
    let (_, hold) = rig.one_request();
    rig.receive_bytes(SERVER_A, &from_far_end(&invite, "BYE", 2, "", ""));
    assert_eq!(rig.responses()[0].status, 200);
    assert_eq!(call_events(&mut rig), vec![CallEvent::RemoteHangup]);
    // The far end then answers the re-INVITE with 481: ACKed, nothing else happens.
    rig.receive(SERVER_A, reply(&hold, 481, Some("b2")));
    let sent = rig.take_sent();
    let methods: Vec<String> = requests(&sent)
        .iter()
        .map(|r| r.method.to_string())
        .collect();
    assert_eq!(
        methods,
        vec!["ACK"],
        "a non-2xx to the re-INVITE is still ACKed"
    );
    assert!(call_events(&mut rig).is_empty());
    assert!(!rig.ua.has_call(0));
}

#[test]
fn attended_transfer_refers_the_held_party_to_the_consulted_one() {
    let mut rig = Rig::new(vec![account("101")]);
    let first = connected(&mut rig); // 101 <-> 102
    rig.command(Command::Consult {
        account: 0,
        number: "103".into(),
    });
    let sent = rig.take_sent();
    let reqs = requests(&sent);
    let hold = reqs
        .iter()
        .find(|r| {
            r.method == Method::Invite
                && r.headers.call_id().unwrap() == first.headers.call_id().unwrap()
        })
        .expect("hold re-INVITE");
    let consult = reqs
        .iter()
        .find(|r| r.method == Method::Invite && r.uri.to_string() == "sip:103@pbx.test")
        .expect("INVITE to 103");
    let (hold, consult) = ((*hold).clone(), (*consult).clone());
    // The held party accepts the hold (answered with the held call in place).
    rig.receive(SERVER_A, reply(&hold, 200, Some("b2")));
    // 103 answers the consultation.
    let mut ok = reply(&consult, 200, Some("c3"));
    ok.headers.push("Contact", "<sip:103@127.0.0.1:5093>");
    rig.receive(SERVER_A, ok);
    let evs = call_events(&mut rig);
    assert!(
        evs.contains(&CallEvent::OtherParty(Box::new(CallEvent::HoldChanged {
            held: true
        }))),
        "{evs:?}"
    );
    assert!(evs.contains(&CallEvent::Answered), "{evs:?}");
    rig.take_sent();
    // Transfer: REFER to the held party, Refer-To the consulted one with Replaces.
    rig.command(Command::AttendedTransfer(0));
    let (_, refer) = rig.one_request();
    assert_eq!(refer.method, Method::Refer);
    assert_eq!(
        refer.headers.call_id().unwrap(),
        first.headers.call_id().unwrap()
    );
    let refer_to = refer.headers.refer_to().unwrap().unwrap();
    let tipring_sip_message::Uri::Sip(target) = &refer_to.uri else {
        panic!()
    };
    assert_eq!(target.user.as_deref(), Some("103"));
    let replaces = target
        .header_unescaped("Replaces")
        .expect("Replaces in Refer-To");
    let our_tag = consult
        .headers
        .from()
        .unwrap()
        .params
        .get("tag")
        .unwrap()
        .to_string();
    assert_eq!(
        replaces,
        format!(
            "{};to-tag=c3;from-tag={our_tag}",
            consult.headers.call_id().unwrap()
        )
    );
    // The held party reports success: we leave it (BYE) and the event says so.
    rig.receive(SERVER_A, reply(&refer, 202, None));
    let notify = from_far_end(
        &first,
        "NOTIFY",
        3,
        "Event: refer\r\nSubscription-State: terminated\r\nContent-Type: message/sipfrag;version=2.0\r\n",
        "SIP/2.0 200 OK\r\n",
    );
    rig.receive_bytes(SERVER_A, &notify);
    let sent = rig.take_sent();
    let bye = requests(&sent)
        .into_iter()
        .find(|r| r.method == Method::Bye)
        .expect("BYE to the held party");
    assert_eq!(
        bye.headers.call_id().unwrap(),
        first.headers.call_id().unwrap()
    );
    assert!(
        call_events(&mut rig).contains(&CallEvent::OtherParty(Box::new(CallEvent::Transferred)))
    );
}

#[test]
fn a_blind_transfer_waits_for_the_ringing_consultation_to_be_cancelled() {
    let mut rig = Rig::new(vec![account("101")]);
    let first = connected(&mut rig); // 101 <-> 102
    rig.command(Command::Consult {
        account: 0,
        number: "103".into(),
    });
    let sent = rig.take_sent();
    let reqs = requests(&sent);
    let hold = (*reqs
        .iter()
        .find(|r| r.method == Method::Invite && r.headers.call_id() == first.headers.call_id())
        .unwrap())
    .clone();
    let consult = (*reqs
        .iter()
        .find(|r| r.method == Method::Invite && r.uri.to_string() == "sip:103@pbx.test")
        .unwrap())
    .clone();
    rig.receive(SERVER_A, reply(&hold, 200, Some("b2")));
    rig.receive(SERVER_A, reply(&consult, 180, Some("c3")));
    rig.take_sent();
    // Hang up while 103 rings: CANCEL it, and transfer 102 to 103 — but not before 103
    // is free again.
    rig.command(Command::Hangup(0));
    rig.command(Command::BlindTransferOther {
        account: 0,
        target: "103".into(),
    });
    let sent = rig.take_sent();
    let methods: Vec<String> = requests(&sent)
        .iter()
        .map(|r| r.method.to_string())
        .collect();
    assert_eq!(methods, vec!["CANCEL"], "no REFER while 103 still rings");
    let cancel = (*requests(&sent)[0]).clone();
    rig.receive(SERVER_A, reply(&cancel, 200, Some("c3")));
    assert!(requests(&rig.take_sent()).is_empty());
    rig.receive(SERVER_A, reply(&consult, 487, Some("c3")));
    let sent = rig.take_sent();
    let refer = requests(&sent)
        .into_iter()
        .find(|r| r.method == Method::Refer)
        .expect("REFER once the consultation is over");
    assert_eq!(refer.headers.call_id(), first.headers.call_id());
    assert!(refer.headers.get("Refer-To").unwrap().contains("sip:103@"));
}

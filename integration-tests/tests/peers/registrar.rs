//! The SIPp registrar and "drop" scenarios, played against `register_auth.xml` /
//! `uac_call.xml` (SIPp vs SIPp) or against the hand-driven client where no SIPp scenario
//! plays the UA's part (SHA-256, 423, retransmission of a REGISTER).

use std::time::Duration;

use tipring_integration_tests::peers::{Sipp, SippOutcome, SippProcess};

use crate::support::{auth_param, Digest, Hash, RawUa, Response};
use crate::{DOMAIN, WAIT};

fn registrar(scenario: &str) -> SippProcess {
    Sipp::scenario(scenario)
        .credentials("alice", "secret")
        .key("expires", "1800")
        .spawn()
        .unwrap()
}

fn finished(registrar: SippProcess) -> SippOutcome {
    registrar.wait(WAIT).unwrap()
}

#[test]
fn register_auth_completes_against_registrar_challenge() {
    let server = registrar("registrar_challenge.xml");
    let client = Sipp::scenario("register_auth.xml")
        .remote(server.local_addr())
        .service("alice")
        .credentials("alice", "secret")
        .timeout(WAIT)
        .run()
        .unwrap();
    assert!(client.all_succeeded(), "{client}");
    let server = finished(server);
    assert!(server.all_succeeded(), "{server}");
    // the challenge offered qop=auth with MD5, and the 200 granted the registrar's expiry
    let messages = client.messages();
    assert!(
        messages.contains("WWW-Authenticate: Digest realm=\"tipring.test\"")
            && messages.contains("qop=\"auth\", algorithm=MD5"),
        "{messages}"
    );
    assert!(
        messages.contains(";transport=UDP>;expires=1800"),
        "{messages}"
    );

    // a wrong password: the registrar's <verifyauth> refuses it with 403, both sides fail
    let server = registrar("registrar_challenge.xml");
    let client = Sipp::scenario("register_auth.xml")
        .remote(server.local_addr())
        .service("alice")
        .credentials("alice", "not-secret")
        .timeout(WAIT)
        .run()
        .unwrap();
    assert_eq!(
        (client.successful_calls, client.failed_calls),
        (0, 1),
        "{client}"
    );
    assert!(
        client.errors().contains("SIP/2.0 403 Forbidden"),
        "{client}"
    );
    let server = finished(server);
    assert_eq!(
        (server.successful_calls, server.failed_calls),
        (0, 1),
        "{server}"
    );
}

/// REGISTER, 401, REGISTER with the credentials `authorize` makes of the challenge.
fn register_after_challenge(
    server: &SippProcess,
    authorize: impl Fn(&Response, &str) -> String,
) -> Response {
    let ua = RawUa::new(server.local_addr());
    ua.send(&ua.register("alice", DOMAIN, 1, 3600, ""));
    let challenge = ua.final_response(WAIT, "REGISTER");
    assert_eq!(challenge.status, 401, "{}", challenge.text);
    let uri = format!("sip:{DOMAIN}");
    let authz = format!("Authorization: {}\r\n", authorize(&challenge, &uri));
    ua.send(&ua.register("alice", DOMAIN, 2, 3600, &authz));
    ua.final_response(WAIT, "REGISTER with credentials")
}

#[test]
fn registrar_challenge_sha256_wants_a_sha256_answer() {
    let answer_with = |hash: Hash| {
        move |challenge: &Response, uri: &str| {
            let www = challenge.header("WWW-Authenticate").unwrap();
            assert_eq!(
                auth_param(www, "algorithm").as_deref(),
                Some("SHA-256"),
                "{www}"
            );
            assert_eq!(auth_param(www, "qop").as_deref(), Some("auth"), "{www}");
            let realm = auth_param(www, "realm").unwrap();
            let nonce = auth_param(www, "nonce").unwrap();
            Digest {
                hash,
                user: "alice",
                realm: &realm,
                password: "secret",
                method: "REGISTER",
                uri,
                nonce: &nonce,
                nc: "00000001",
                cnonce: "6e1b2d3c",
                qop: Some("auth"),
            }
            .credentials()
        }
    };

    let server = registrar("registrar_challenge_sha256.xml");
    let ok = register_after_challenge(&server, answer_with(Hash::Sha256));
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(
        ok.header("Contact").unwrap().ends_with(";expires=1800"),
        "{}",
        ok.text
    );
    assert!(finished(server).all_succeeded());

    // an MD5 answer to a SHA-256 challenge is refused
    let server = registrar("registrar_challenge_sha256.xml");
    let refused = register_after_challenge(&server, answer_with(Hash::Md5));
    assert_eq!(refused.status, 403, "{}", refused.text);
    let server = finished(server);
    assert_eq!(
        (server.successful_calls, server.failed_calls),
        (0, 1),
        "{server}"
    );
}

/// REGISTER for 60 s, 423 with Min-Expires, then the REGISTER `retry` makes (CSeq 2).
fn register_after_423(retry: impl Fn(&RawUa) -> String) -> (Response, SippOutcome) {
    let server = Sipp::scenario("registrar_423.xml").spawn().unwrap();
    let ua = RawUa::new(server.local_addr());
    ua.send(&ua.register("alice", DOMAIN, 1, 60, ""));
    let too_brief = ua.final_response(WAIT, "REGISTER");
    assert_eq!(too_brief.status, 423, "{}", too_brief.text);
    assert_eq!(too_brief.header("Min-Expires"), Some("3600"));
    ua.send(&retry(&ua));
    let answer = ua.final_response(WAIT, "second REGISTER");
    (answer, finished(server))
}

#[test]
fn registrar_423_wants_at_least_min_expires() {
    // RFC 3261 10.2.8: retry with the Min-Expires value (Expires header)
    let (ok, server) = register_after_423(|ua| ua.register("alice", DOMAIN, 2, 3600, ""));
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(
        ok.header("Contact").unwrap().ends_with(";expires=3600"),
        "{}",
        ok.text
    );
    assert!(server.all_succeeded(), "{server}");

    // or with a Contact expires parameter, which overrides the header (RFC 3261 10.2.1.1)
    let (ok, server) = register_after_423(|ua| {
        ua.register("alice", DOMAIN, 2, 60, "").replacen(
            ">\r\nExpires: 60",
            ">;expires=7200\r\nExpires: 60",
            1,
        )
    });
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(server.all_succeeded(), "{server}");

    // asking for too little again is refused
    let (refused, server) = register_after_423(|ua| ua.register("alice", DOMAIN, 2, 600, ""));
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(
        (server.successful_calls, server.failed_calls),
        (0, 1),
        "{server}"
    );
}

#[test]
fn registrar_drop_answers_only_the_retransmission() {
    let server = Sipp::scenario("registrar_drop.xml")
        .key("expires", "900")
        .spawn()
        .unwrap();
    let ua = RawUa::new(server.local_addr());
    let register = ua.register("alice", DOMAIN, 1, 3600, "");
    ua.send(&register);
    // T1 = 500 ms (RFC 3261 17.1.2.2): nothing comes back for the first transmission
    assert!(
        ua.recv(Duration::from_millis(500)).is_none(),
        "the first REGISTER was answered"
    );
    ua.send(&register);
    let ok = ua.final_response(WAIT, "the retransmitted REGISTER");
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(
        ok.header("Contact").unwrap().ends_with(";expires=900"),
        "{}",
        ok.text
    );
    let server = finished(server);
    assert!(server.all_succeeded(), "{server}");

    // a UA that never retransmits is left without an answer
    let server = Sipp::scenario("registrar_drop.xml").spawn().unwrap();
    let ua = RawUa::new(server.local_addr());
    ua.send(&ua.register("alice", DOMAIN, 1, 3600, ""));
    assert!(ua.recv(Duration::from_millis(700)).is_none());
    let server = server.stop().unwrap();
    assert_eq!(server.successful_calls, 0, "{server}");
}

#[test]
fn uas_drop_invite_answers_only_the_retransmitted_invite() {
    let callee = Sipp::scenario("uas_drop_invite.xml").spawn().unwrap();
    let caller = Sipp::scenario("uac_call.xml")
        .remote(callee.local_addr())
        .service("alice")
        .key("pause_ms", "100")
        .timeout(WAIT)
        .run()
        .unwrap();
    assert!(caller.all_succeeded(), "{caller}");
    // SIPp's own Timer A retransmission (retrans="500") is what got the call through
    assert!(caller.retransmissions >= 1, "{caller}");
    let invites = caller.messages().matches("\nINVITE sip:").count()
        + usize::from(caller.messages().starts_with("INVITE sip:"));
    assert!(
        invites >= 2,
        "{invites} INVITE(s) sent:\n{}",
        caller.messages()
    );
    let callee = callee.wait(WAIT).unwrap();
    assert!(callee.all_succeeded(), "{callee}");
}

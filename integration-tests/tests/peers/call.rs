//! Calls: SIPp UAC -> Kamailio -> SIPp UAS (registered through `register_auth.xml` with
//! the UAS's port as Contact), and SIPp's built-in scenarios back to back.

use tipring_integration_tests::peers::{Kamailio, KamailioConfig, Sipp, SippProcess};

use crate::{kamailio, DOMAIN, WAIT};

/// Registers `user` (password `pw-<user>`) with the SIPp `callee` as its contact.
fn register_callee(k: &Kamailio, user: &str, callee: &SippProcess) {
    let outcome = Sipp::scenario("register_auth.xml")
        .remote(k.addr())
        .service(user)
        .credentials(user, format!("pw-{user}"))
        .key("contact_port", callee.local_addr().port().to_string())
        .timeout(WAIT)
        .run()
        .unwrap();
    assert!(outcome.all_succeeded(), "{outcome}");
    let regs = k.wait_for_registration(user, WAIT).unwrap();
    let expected = format!("sip:{user}@{}", callee.local_addr());
    assert!(regs[0].contact.starts_with(&expected), "{regs:?}");
}

#[test]
fn uac_call_reaches_a_registered_uas_through_a_record_routing_kamailio() {
    let k = kamailio(KamailioConfig::new(DOMAIN).record_route(true));
    let callee = Sipp::scenario("uas_answer.xml").spawn().unwrap();
    register_callee(&k, "102", &callee);

    let caller = Sipp::scenario("uac_call.xml")
        .remote(k.addr())
        .service("102")
        .key("pause_ms", "200")
        .timeout(WAIT)
        .run()
        .unwrap();
    assert!(caller.all_succeeded(), "{caller}\n{}", k.log_tail(30));
    assert_eq!(caller.successful_calls, 1, "{caller}");

    let callee = callee.wait(WAIT).unwrap();
    assert!(callee.all_succeeded(), "{callee}");
    // Kamailio stayed in the path: the 200 carried its Record-Route, and the BYE went
    // with a Route header (RFC 3261 12.1.2, 12.2.1.1)
    let messages = caller.messages();
    assert!(
        messages.contains("Record-Route: <sip:127.0.0.1:"),
        "{messages}"
    );
    let bye = messages.split("BYE sip:").nth(1).expect("no BYE sent");
    assert!(bye.contains("\nRoute: <sip:127.0.0.1:"), "{bye}");
}

#[test]
fn uac_call_auth_answers_the_proxy_challenge() {
    let k = kamailio(
        KamailioConfig::new(DOMAIN)
            .invite_auth(true)
            .record_route(false),
    );
    let callee = Sipp::scenario("uas_answer.xml").spawn().unwrap();
    register_callee(&k, "102", &callee);

    // a wrong password: challenged again, the call fails before reaching the callee
    let refused = Sipp::scenario("uac_call_auth.xml")
        .remote(k.addr())
        .service("102")
        .credentials("101", "wrong")
        .timeout(WAIT)
        .run()
        .unwrap();
    assert_eq!(
        (refused.successful_calls, refused.failed_calls),
        (0, 1),
        "{refused}"
    );
    let challenges = refused.messages().matches("SIP/2.0 407").count();
    assert_eq!(challenges, 2, "{refused}\n{}", refused.messages());

    let caller = Sipp::scenario("uac_call_auth.xml")
        .remote(k.addr())
        .service("102")
        .credentials("101", "pw-101")
        .key("pause_ms", "100")
        .timeout(WAIT)
        .run()
        .unwrap();
    assert!(caller.all_succeeded(), "{caller}\n{}", k.log_tail(30));
    let messages = caller.messages();
    assert!(
        messages.contains("SIP/2.0 407"),
        "no challenge seen:\n{messages}"
    );
    assert!(
        messages.contains("Proxy-Authorization: Digest"),
        "{messages}"
    );
    // without record-route, the BYE went straight to the callee's contact as R-URI
    assert!(!messages.contains("Record-Route:"), "{messages}");

    let callee = callee.wait(WAIT).unwrap();
    assert!(callee.all_succeeded(), "{callee}");
}

#[test]
fn a_busy_callee_fails_the_call_with_486() {
    let k = kamailio(KamailioConfig::new(DOMAIN));
    let callee = Sipp::scenario("uas_busy.xml").spawn().unwrap();
    register_callee(&k, "103", &callee);

    let caller = Sipp::scenario("uac_call.xml")
        .remote(k.addr())
        .service("103")
        .timeout(WAIT)
        .run()
        .unwrap();
    assert_eq!(caller.exit_code, Some(1), "{caller}");
    assert_eq!(
        (caller.successful_calls, caller.failed_calls),
        (0, 1),
        "{caller}"
    );
    assert!(
        caller.errors().contains("SIP/2.0 486 Busy Here"),
        "{caller}"
    );

    // the busy UAS got its ACK (from Kamailio's transaction, hop by hop)
    let callee = callee.wait(WAIT).unwrap();
    assert!(callee.all_succeeded(), "{callee}");
}

#[test]
fn builtin_uac_and_uas_complete_calls_back_to_back() {
    let uas = Sipp::builtin("uas").calls(3).spawn().unwrap();
    let uac = Sipp::builtin("uac")
        .remote(uas.local_addr())
        .calls(3)
        .rate(50)
        .timeout(WAIT)
        .run()
        .unwrap();
    assert!(uac.all_succeeded(), "{uac}");
    assert_eq!(uac.successful_calls, 3, "{uac}");
    let uas = uas.wait(WAIT).unwrap();
    assert_eq!(uas.successful_calls, 3, "{uas}");
}

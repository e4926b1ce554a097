//! SIPp `register_auth.xml` against Kamailio.

use tipring_integration_tests::peers::{KamailioConfig, Sipp, Transport};

use crate::{kamailio, DOMAIN, WAIT};

#[test]
fn register_auth_succeeds_with_the_right_password_and_fails_with_a_wrong_one() {
    let k = kamailio(KamailioConfig::new(DOMAIN));

    let ok = Sipp::scenario("register_auth.xml")
        .remote(k.addr())
        .service("101")
        .credentials("101", "pw-101")
        .key("expires", "300")
        .timeout(WAIT)
        .run()
        .unwrap();
    assert!(ok.all_succeeded(), "{ok}");
    assert_eq!((ok.successful_calls, ok.failed_calls), (1, 0), "{ok}");

    let regs = k.registrations().unwrap();
    assert_eq!(regs.len(), 1, "{regs:?}");
    assert_eq!(regs[0].aor, "101");
    assert!(
        regs[0].contact.starts_with("sip:101@127.0.0.1:"),
        "{regs:?}"
    );
    assert!(
        regs[0].expires.is_some_and(|e| e <= 300 && e > 250),
        "{regs:?}"
    );

    let wrong = Sipp::scenario("register_auth.xml")
        .remote(k.addr())
        .service("102")
        .credentials("102", "not-the-password")
        .timeout(WAIT)
        .run()
        .unwrap();
    assert_eq!(wrong.exit_code, Some(1), "{wrong}");
    assert_eq!(
        (wrong.successful_calls, wrong.failed_calls),
        (0, 1),
        "{wrong}"
    );
    // Kamailio challenged the wrong credentials again; SIPp expected 200
    assert!(wrong.errors().contains("SIP/2.0 401"), "{wrong}");
    let aors: Vec<String> = k
        .registrations()
        .unwrap()
        .into_iter()
        .map(|r| r.aor)
        .collect();
    assert_eq!(aors, ["101"]);
}

#[test]
fn register_auth_works_over_tcp() {
    let k = kamailio(KamailioConfig::new(DOMAIN));
    let ok = Sipp::scenario("register_auth.xml")
        .transport(Transport::Tcp)
        .remote(k.addr())
        .service("104")
        .credentials("104", "pw-104")
        .timeout(WAIT)
        .run()
        .unwrap();
    assert!(ok.all_succeeded(), "{ok}");
    let regs = k.wait_for_registration("104", WAIT).unwrap();
    assert!(regs[0].contact.ends_with(";transport=TCP"), "{regs:?}");
}

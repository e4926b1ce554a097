//! REGISTER: digest challenges, refresh, 423, wrong password, failover with back-off.

use std::time::Duration;

use tipring_sip::{Command, Event, RegistrationFailure, RegistrationState};
use tipring_sip_message::auth::{Algorithm, Challenge, Credentials};
use tipring_sip_message::{Method, Request};

use crate::{account, peer, reply, Rig, SERVER_A, SERVER_B};

fn challenge(req: &Request, algorithm: Algorithm, nonce: &str) -> tipring_sip_message::Response {
    let mut r = reply(req, 401, Some("reg"));
    r.headers.push(
        "WWW-Authenticate",
        Challenge::new("pbx.test", nonce, algorithm).to_string(),
    );
    r
}

fn ok(req: &Request, expires: u32) -> tipring_sip_message::Response {
    let mut r = reply(req, 200, Some("reg"));
    let contact = req.headers.get("Contact").unwrap().to_string();
    r.headers
        .push("Contact", format!("{contact};expires={expires}"));
    r
}

fn credentials(req: &Request) -> Credentials {
    Credentials::parse(
        req.headers
            .get("Authorization")
            .expect("Authorization sent"),
    )
    .unwrap()
}

fn state(rig: &Rig) -> RegistrationState {
    rig.ua.registration(0).unwrap().clone()
}

#[test]
fn register_401_then_200_then_refresh() {
    for algorithm in [Algorithm::Md5, Algorithm::Sha256] {
        let mut rig = Rig::new(vec![account("101")]);
        rig.command(Command::Register(0));
        let (to, first) = rig.one_request();
        assert_eq!(to, peer(SERVER_A));
        assert_eq!(first.method, Method::Register);
        assert_eq!(first.headers.get("Expires"), Some("3600"));
        assert!(first
            .headers
            .top_via()
            .unwrap()
            .branch()
            .unwrap()
            .starts_with("z9hG4bK"));
        rig.receive(SERVER_A, challenge(&first, algorithm, "n1"));
        let (_, second) = rig.one_request();
        let c = credentials(&second);
        assert!(
            c.verify("pw-101", &Method::Register, &[]),
            "{algorithm:?}: digest verifies"
        );
        assert_eq!(
            second.headers.call_id().unwrap(),
            first.headers.call_id().unwrap()
        );
        assert_eq!(
            second.headers.cseq().unwrap().seq,
            first.headers.cseq().unwrap().seq + 1
        );
        rig.receive(SERVER_A, ok(&second, 120));
        assert_eq!(
            state(&rig),
            RegistrationState::Registered {
                server: peer(SERVER_A),
                expires: 120
            }
        );
        // Refresh 60 s before expiry (at most half of it): at 60 s, with nc=2 on the nonce.
        rig.advance(Duration::from_secs(59));
        assert!(
            rig.take_sent().iter().all(|(_, m)| !m.is_request()),
            "no refresh yet"
        );
        rig.advance(Duration::from_millis(1100));
        let (_, refresh) = rig.one_request();
        assert_eq!(refresh.method, Method::Register);
        assert_eq!(credentials(&refresh).nc, Some(2));
        assert!(credentials(&refresh).verify("pw-101", &Method::Register, &[]));
    }
}

#[test]
fn wrong_password_is_reported_not_retried_in_a_loop() {
    let mut rig = Rig::new(vec![account("101")]);
    rig.command(Command::Register(0));
    let (_, first) = rig.one_request();
    rig.receive(SERVER_A, challenge(&first, Algorithm::Md5, "n1"));
    let (_, second) = rig.one_request();
    rig.receive(SERVER_A, challenge(&second, Algorithm::Md5, "n2"));
    assert!(matches!(
        state(&rig),
        RegistrationState::Failed {
            reason: RegistrationFailure::AuthenticationFailed { status: 401 },
            ..
        }
    ));
    rig.advance(Duration::from_secs(600));
    assert!(
        rig.take_sent().is_empty(),
        "no REGISTER storm after an auth failure"
    );
}

#[test]
fn stale_nonce_is_answered_again() {
    let mut rig = Rig::new(vec![account("101")]);
    rig.command(Command::Register(0));
    let (_, first) = rig.one_request();
    rig.receive(SERVER_A, challenge(&first, Algorithm::Md5, "n1"));
    let (_, second) = rig.one_request();
    let mut stale = reply(&second, 401, Some("reg"));
    let mut ch = Challenge::new("pbx.test", "n2", Algorithm::Md5);
    ch.stale = true;
    stale.headers.push("WWW-Authenticate", ch.to_string());
    rig.receive(SERVER_A, stale);
    let (_, third) = rig.one_request();
    assert_eq!(credentials(&third).nonce, "n2");
    rig.receive(SERVER_A, ok(&third, 3600));
    assert!(matches!(state(&rig), RegistrationState::Registered { .. }));
}

#[test]
fn interval_too_brief_raises_the_expiry() {
    let mut rig = Rig::new(vec![Account {
        expires: 60,
        ..account("101")
    }]);
    rig.command(Command::Register(0));
    let (_, first) = rig.one_request();
    assert_eq!(first.headers.get("Expires"), Some("60"));
    let mut r = reply(&first, 423, Some("reg"));
    r.headers.push("Min-Expires", "1800");
    rig.receive(SERVER_A, r);
    let (_, second) = rig.one_request();
    assert_eq!(second.headers.get("Expires"), Some("1800"));
    rig.receive(SERVER_A, ok(&second, 1800));
    assert_eq!(
        state(&rig),
        RegistrationState::Registered {
            server: peer(SERVER_A),
            expires: 1800
        }
    );
}

use tipring_sip::Account;

#[test]
fn silent_primary_fails_over_to_the_backup_after_timer_f() {
    let mut rig = Rig::new(vec![account("101")]);
    rig.command(Command::Register(0));
    let (to, _) = rig.one_request();
    assert_eq!(to, peer(SERVER_A));
    // UDP retransmissions to the primary (timer E), then timer F at 32 s.
    rig.advance(Duration::from_millis(31_900));
    let retrans = rig.take_sent();
    assert_eq!(retrans.len(), 10, "E: 0.5, 1.5, 3.5, 7.5, 11.5, ... 31.5 s");
    assert!(retrans.iter().all(|(p, _)| *p == peer(SERVER_A)));
    rig.advance(Duration::from_millis(200));
    let (to, req) = rig.one_request();
    assert_eq!(to, peer(SERVER_B), "failover to the backup");
    rig.receive(SERVER_B, ok(&req, 600));
    assert_eq!(
        state(&rig),
        RegistrationState::Registered {
            server: peer(SERVER_B),
            expires: 600
        }
    );
}

#[test]
fn all_servers_down_backs_off_with_jitter_then_retries_the_primary() {
    let mut rig = Rig::new(vec![account("101")]);
    rig.command(Command::Register(0));
    rig.advance(Duration::from_secs(65));
    match state(&rig) {
        RegistrationState::Failed {
            reason: RegistrationFailure::NoServerReachable,
            retry_at,
        } => {
            let wait = retry_at - rig.now;
            // RFC 5626 §4.5: first wait in [base/2, base] = [15 s, 30 s] after the second F.
            assert!(wait <= Duration::from_secs(30), "{wait:?}");
        }
        other => panic!("{other:?}"),
    }
    rig.take_sent();
    rig.advance(Duration::from_secs(31));
    let sent = rig.take_sent();
    assert!(
        !sent.is_empty() && sent[0].0 == peer(SERVER_A),
        "retry starts at the primary"
    );
    let reported: Vec<_> = rig
        .take_events()
        .into_iter()
        .filter(|e| matches!(e, Event::Registration { .. }))
        .collect();
    assert!(
        reported.len() >= 3,
        "state changes are reported: {reported:?}"
    );
}

#[test]
fn unregister_sends_expires_zero() {
    let mut rig = Rig::new(vec![account("101")]);
    rig.command(Command::Register(0));
    let (_, first) = rig.one_request();
    rig.receive(SERVER_A, ok(&first, 3600));
    rig.command(Command::Unregister(0));
    let (_, un) = rig.one_request();
    assert_eq!(un.headers.get("Expires"), Some("0"));
    rig.receive(SERVER_A, ok(&un, 0));
    assert_eq!(state(&rig), RegistrationState::Idle);
}

#[test]
fn returns_to_the_primary_when_it_answers_a_probe() {
    let mut rig = Rig::new(vec![account("101")]);
    rig.command(Command::Register(0));
    rig.advance(Duration::from_millis(32_100));
    let (to, req) = rig
        .take_sent()
        .into_iter()
        .rev()
        .find_map(|(p, m)| match m {
            tipring_sip_message::Message::Request(r) => Some((p, r)),
            _ => None,
        })
        .unwrap();
    assert_eq!(to, peer(SERVER_B));
    rig.receive(SERVER_B, ok(&req, 3600));
    // 60 s later: OPTIONS to the primary; no answer yet -> stays on the backup.
    rig.advance(Duration::from_secs(60));
    let (to, probe) = rig.one_request();
    assert_eq!(
        (to, probe.method.clone()),
        (peer(SERVER_A), Method::Options)
    );
    rig.receive(SERVER_A, reply(&probe, 200, Some("p")));
    let (to, again) = rig.one_request();
    assert_eq!(
        (to, again.method.clone()),
        (peer(SERVER_A), Method::Register)
    );
    rig.receive(SERVER_A, ok(&again, 3600));
    assert_eq!(
        state(&rig),
        RegistrationState::Registered {
            server: peer(SERVER_A),
            expires: 3600
        }
    );
}

#[test]
fn message_summary_subscription_after_registration() {
    let mut rig = Rig::new(vec![Account {
        subscribe_mwi: true,
        ..account("101")
    }]);
    rig.command(Command::Register(0));
    let (_, reg) = rig.one_request();
    rig.receive(SERVER_A, ok(&reg, 3600));
    let (to, sub) = rig.one_request();
    assert_eq!(
        (to, sub.method.clone()),
        (peer(SERVER_A), Method::Subscribe)
    );
    assert_eq!(sub.headers.get("Event"), Some("message-summary"));
    assert_eq!(
        sub.headers.get("Accept"),
        Some("application/simple-message-summary")
    );
    // The server challenges; the second SUBSCRIBE carries credentials.
    rig.receive(SERVER_A, challenge(&sub, Algorithm::Md5, "s1"));
    let (_, sub2) = rig.one_request();
    assert!(credentials(&sub2).verify("pw-101", &Method::Subscribe, &[]));
    let mut accepted = reply(&sub2, 202, Some("srv"));
    accepted.headers.push("Expires", "600");
    rig.receive(SERVER_A, accepted);
    // Refreshed inside the dialog before it runs out (600 s - 60 s).
    rig.advance(Duration::from_secs(539));
    assert!(rig.take_sent().iter().all(|(_, m)| !m.is_request()));
    rig.advance(Duration::from_millis(1100));
    let (_, refresh) = rig.one_request();
    assert_eq!(refresh.method, Method::Subscribe);
    assert_eq!(refresh.headers.to().unwrap().params.get("tag"), Some("srv"));
    assert_eq!(
        refresh.headers.call_id().unwrap(),
        sub.headers.call_id().unwrap()
    );
}

#[test]
fn behind_a_nat_the_contact_takes_the_address_the_registrar_saw() {
    // RFC 3581: the registrar stamps received/rport on our Via; the binding must name the
    // public address, so we register again with it.
    let mut rig = Rig::new(vec![account("101")]);
    rig.command(Command::Register(0));
    let (_, first) = rig.one_request();
    assert!(first
        .headers
        .get("Contact")
        .unwrap()
        .contains("127.0.0.1:5070"));
    let mut resp = ok(&first, 3600);
    let via = resp.headers.remove_first("Via").unwrap();
    let via = via.replace(";rport", ";rport=40123;received=198.51.100.7");
    resp.headers.push_front("Via", via);
    rig.receive(SERVER_A, resp);
    let (_, second) = rig.one_request();
    assert!(
        second
            .headers
            .get("Contact")
            .unwrap()
            .contains("198.51.100.7:40123"),
        "{:?}",
        second.headers.get("Contact")
    );
    rig.receive(SERVER_A, ok(&second, 3600));
    assert!(matches!(state(&rig), RegistrationState::Registered { .. }));
    assert!(
        rig.take_sent().is_empty(),
        "no loop once the address is known"
    );
}

#[test]
fn a_transport_failure_fails_over_at_once() {
    let mut rig = Rig::new(vec![account("101")]);
    rig.command(Command::Register(0));
    let (to, _) = rig.one_request();
    assert_eq!(to, peer(SERVER_A));
    rig.transport_error(peer(SERVER_A));
    let (to, req) = rig.one_request();
    assert_eq!(
        (to, req.method.clone()),
        (peer(SERVER_B), Method::Register),
        "no wait for timer F"
    );
}

#[test]
fn options_keepalive_detects_a_dead_registrar_and_fails_over() {
    let mut rig = Rig::new(vec![account("101"), account("102")]);
    rig.ua = tipring_sip::UserAgent::new(tipring_sip::UaConfig {
        registration: tipring_sip::RegistrationPolicy {
            keepalive: Some(Duration::from_secs(30)),
            ..Default::default()
        },
        ..rig.ua.config().clone()
    });
    for a in 0..2 {
        rig.command(Command::Register(a));
        let (_, req) = rig.one_request();
        rig.receive(SERVER_A, ok(&req, 3600));
    }
    // One ping per registrar, not per account.
    rig.advance(Duration::from_secs(30));
    let (to, ping) = rig.one_request();
    assert_eq!((to, ping.method.clone()), (peer(SERVER_A), Method::Options));
    rig.receive(SERVER_A, reply(&ping, 200, Some("k")));
    rig.advance(Duration::from_secs(30));
    let (_, ping) = rig.one_request();
    // This one is never answered: after timer F both accounts move to the backup.
    let _ = ping;
    rig.advance(Duration::from_secs(33));
    let to_b: Vec<_> = rig
        .take_sent()
        .into_iter()
        .filter(|(p, m)| {
            *p == peer(SERVER_B) && m.as_request().is_some_and(|r| r.method == Method::Register)
        })
        .collect();
    let mut call_ids: Vec<String> = to_b
        .iter()
        .map(|(_, m)| m.headers().call_id().unwrap().to_string())
        .collect();
    call_ids.sort();
    call_ids.dedup();
    assert_eq!(call_ids.len(), 2, "both accounts fail over");
}

#[test]
fn a_new_identity_removes_the_old_binding_then_registers_afresh() {
    let mut rig = Rig::new(vec![account("101")]);
    rig.command(Command::Register(0));
    let (_, first) = rig.one_request();
    rig.receive(SERVER_A, ok(&first, 3600));
    assert!(matches!(state(&rig), RegistrationState::Registered { .. }));
    let old_call_id = first.headers.get("Call-ID").unwrap().to_string();

    // The display name alone changes: nothing is sent.
    rig.command(Command::UpdateAccount {
        account: 0,
        settings: Box::new(tipring_sip::Account {
            display_name: Some("Lobby".into()),
            ..account("101")
        }),
    });
    assert!(rig.take_sent().is_empty(), "no REGISTER for a display name");

    // A new extension: the old binding goes first (Expires: 0, old AOR, same Call-ID) ...
    rig.command(Command::UpdateAccount {
        account: 0,
        settings: Box::new(account("150")),
    });
    let (_, removal) = rig.one_request();
    assert_eq!(removal.method, Method::Register);
    assert_eq!(removal.headers.get("Expires"), Some("0"));
    assert!(removal.headers.get("To").unwrap().contains("sip:101@"));
    assert_eq!(removal.headers.get("Call-ID"), Some(old_call_id.as_str()));
    rig.receive(SERVER_A, ok(&removal, 0));
    // ... then the new one registers in a dialog of its own.
    let (_, fresh) = rig.one_request();
    assert_eq!(fresh.headers.get("Expires"), Some("3600"));
    assert!(fresh.headers.get("To").unwrap().contains("sip:150@"));
    assert_ne!(fresh.headers.get("Call-ID"), Some(old_call_id.as_str()));
    rig.receive(SERVER_A, ok(&fresh, 3600));
    assert!(matches!(state(&rig), RegistrationState::Registered { .. }));
    // A late answer to the removal changes nothing.
    rig.receive(SERVER_A, ok(&removal, 0));
    assert!(matches!(state(&rig), RegistrationState::Registered { .. }));
}

#[test]
fn a_new_identity_registers_even_when_the_old_binding_cannot_be_removed() {
    let mut rig = Rig::new(vec![account("101")]);
    rig.command(Command::Register(0));
    let (_, first) = rig.one_request();
    rig.receive(SERVER_A, ok(&first, 3600));
    rig.command(Command::UpdateAccount {
        account: 0,
        settings: Box::new(account("150")),
    });
    let (_, removal) = rig.one_request();
    assert_eq!(removal.headers.get("Expires"), Some("0"));
    rig.receive(SERVER_A, reply(&removal, 403, Some("reg")));
    let (_, fresh) = rig.one_request();
    assert!(fresh.headers.get("To").unwrap().contains("sip:150@"));
    assert_eq!(fresh.headers.get("Expires"), Some("3600"));
}

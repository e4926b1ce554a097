//! Diagnostics: the on-demand OPTIONS ping (`Command::Ping` -> `Event::Ping`), kept apart
//! from registration, keep-alives and primary probes.

use std::time::Duration;

use tipring_sip::{
    Account, Command, Event, PingResult, RegistrationPolicy, RegistrationState, UaConfig,
    UserAgent, MAX_PINGS, PING_HEADER_MAX,
};
use tipring_sip_message::auth::{Algorithm, Challenge};
use tipring_sip_message::{Message, Method, Request, Response};

use crate::{account, peer, reply, Rig, SERVER_A, SERVER_B};

fn ok(req: &Request, expires: u32) -> Response {
    let mut r = reply(req, 200, Some("reg"));
    let contact = req.headers.get("Contact").unwrap().to_string();
    r.headers
        .push("Contact", format!("{contact};expires={expires}"));
    r
}

/// A rig with account 0 registered with the primary.
fn registered(policy: RegistrationPolicy) -> Rig {
    let mut rig = Rig::new(vec![account("101")]);
    rig.ua = UserAgent::new(UaConfig {
        registration: policy,
        ..rig.ua.config().clone()
    });
    rig.command(Command::Register(0));
    let (_, reg) = rig.one_request();
    rig.receive(SERVER_A, ok(&reg, 3600));
    rig.take_events();
    rig
}

/// A rig with account 0 registered with the backup (the primary never answered).
fn registered_with_backup() -> Rig {
    let mut rig = Rig::new(vec![account("101")]);
    rig.command(Command::Register(0));
    rig.advance(Duration::from_millis(32_100));
    let (to, reg) = rig
        .take_sent()
        .into_iter()
        .rev()
        .find_map(|(p, m)| match m {
            Message::Request(r) => Some((p, r)),
            _ => None,
        })
        .unwrap();
    assert_eq!((to, reg.method.clone()), (peer(SERVER_B), Method::Register));
    rig.receive(SERVER_B, ok(&reg, 3600));
    rig.take_events();
    rig
}

/// The ping results reported since the last take, with their account and id.
fn pings(rig: &mut Rig) -> Vec<(usize, u64, PingResult)> {
    rig.take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Ping {
                account,
                id,
                result,
            } => Some((account, id, result)),
            _ => None,
        })
        .collect()
}

fn one_ping(rig: &mut Rig) -> PingResult {
    let mut p = pings(rig);
    assert_eq!(p.len(), 1, "expected one ping result, got {p:#?}");
    p.pop().unwrap().2
}

fn state(rig: &Rig) -> RegistrationState {
    rig.ua.registration(0).unwrap().clone()
}

/// Requests sent since the last take, with where they went.
fn requests(rig: &mut Rig) -> Vec<(tipring_sip::Peer, Method)> {
    rig.take_sent()
        .into_iter()
        .filter_map(|(p, m)| m.as_request().map(|r| (p, r.method.clone())))
        .collect()
}

#[test]
fn ping_answered_200_reports_status_rtt_server_and_allow() {
    let mut rig = registered(RegistrationPolicy::default());
    rig.command(Command::Ping { account: 0, id: 7 });
    let (to, options) = rig.one_request();
    assert_eq!(
        (to, options.method.clone()),
        (peer(SERVER_A), Method::Options)
    );
    assert_eq!(options.headers.get("User-Agent"), Some("Tipring-test"));
    assert!(options
        .headers
        .get("To")
        .unwrap()
        .contains("sip:101@pbx.test"));
    // A provisional answer is not the result.
    rig.advance(Duration::from_millis(100));
    rig.receive(SERVER_A, reply(&options, 100, None));
    assert!(pings(&mut rig).is_empty());
    rig.advance(Duration::from_millis(150));
    let mut resp = reply(&options, 200, Some("srv"));
    resp.headers.push("Server", "Asterisk PBX 20.5.0");
    resp.headers.push("Allow", "INVITE, ACK, CANCEL");
    resp.headers.push("Allow", "OPTIONS, BYE");
    rig.receive(SERVER_A, resp);
    let mut got = pings(&mut rig);
    assert_eq!(got.len(), 1, "{got:#?}");
    let (account, id, r) = got.pop().unwrap();
    assert_eq!((account, id), (0, 7));
    assert_eq!(r.server, Some(peer(SERVER_A)));
    assert_eq!(r.status, Some(200));
    assert_eq!(r.reason, "OK");
    assert_eq!(
        r.rtt,
        Some(Duration::from_millis(250)),
        "virtual time elapsed"
    );
    assert_eq!(r.server_header.as_deref(), Some("Asterisk PBX 20.5.0"));
    assert_eq!(
        r.allow.as_deref(),
        Some("INVITE, ACK, CANCEL, OPTIONS, BYE")
    );
    // A retransmitted 200 reports nothing more.
    rig.receive(SERVER_A, reply(&options, 200, Some("srv")));
    assert!(pings(&mut rig).is_empty());
    assert!(requests(&mut rig).is_empty());
}

#[test]
fn a_ping_reports_user_agent_when_there_is_no_server_header_and_bounds_it() {
    let mut rig = registered(RegistrationPolicy::default());
    rig.command(Command::Ping { account: 0, id: 1 });
    let (_, options) = rig.one_request();
    let mut resp = reply(&options, 200, Some("srv"));
    resp.headers.push("User-Agent", "x".repeat(1000));
    rig.receive(SERVER_A, resp);
    let r = one_ping(&mut rig);
    assert_eq!(r.server_header, Some("x".repeat(PING_HEADER_MAX)));
    assert_eq!(r.allow, None);
    assert_eq!(r.rtt, Some(Duration::ZERO));
}

#[test]
fn ping_answered_401_is_reported_and_not_authenticated() {
    let mut rig = registered(RegistrationPolicy::default());
    rig.command(Command::Ping { account: 0, id: 2 });
    let (_, options) = rig.one_request();
    let mut challenge = reply(&options, 401, Some("srv"));
    challenge.headers.push(
        "WWW-Authenticate",
        Challenge::new("pbx.test", "n1", Algorithm::Md5).to_string(),
    );
    rig.receive(SERVER_A, challenge);
    let r = one_ping(&mut rig);
    assert_eq!(r.status, Some(401), "the server is reachable");
    assert_eq!(r.reason, "Unauthorized");
    assert!(requests(&mut rig).is_empty(), "no OPTIONS with credentials");
    rig.advance(Duration::from_secs(60));
    assert!(requests(&mut rig).is_empty(), "no REGISTER either");
    assert_eq!(
        state(&rig),
        RegistrationState::Registered {
            server: peer(SERVER_A),
            expires: 3600
        }
    );
}

#[test]
fn unanswered_ping_ends_after_timer_f_without_a_failover() {
    let mut rig = registered(RegistrationPolicy::default());
    rig.command(Command::Ping { account: 0, id: 3 });
    let (to, _) = rig.one_request();
    assert_eq!(to, peer(SERVER_A));
    // Timer E retransmissions, then timer F at 64·T1 = 32 s.
    rig.advance(Duration::from_millis(31_900));
    let retrans = requests(&mut rig);
    assert!(!retrans.is_empty());
    assert!(retrans
        .iter()
        .all(|r| *r == (peer(SERVER_A), Method::Options)));
    assert!(pings(&mut rig).is_empty(), "still waiting before timer F");
    rig.advance(Duration::from_millis(100));
    let r = one_ping(&mut rig);
    assert_eq!(r.server, Some(peer(SERVER_A)));
    assert_eq!((r.status, r.rtt), (None, None));
    assert!(r.reason.contains("timer F"), "{}", r.reason);
    // The registrar is not given up on because of a ping.
    rig.advance(Duration::from_secs(60));
    assert!(requests(&mut rig).is_empty(), "no REGISTER to the backup");
    assert!(rig.take_events().is_empty());
    assert_eq!(
        state(&rig),
        RegistrationState::Registered {
            server: peer(SERVER_A),
            expires: 3600
        }
    );
}

#[test]
fn a_transport_failure_ends_the_ping_at_once() {
    let mut rig = registered(RegistrationPolicy::default());
    rig.command(Command::Ping { account: 0, id: 4 });
    rig.one_request();
    rig.transport_error(peer(SERVER_A));
    let r = one_ping(&mut rig);
    assert_eq!(r.status, None);
    assert!(r.reason.contains("transport"), "{}", r.reason);
    assert!(requests(&mut rig).is_empty(), "no failover");
    assert!(matches!(state(&rig), RegistrationState::Registered { .. }));
}

#[test]
fn pings_the_backup_when_registered_there_and_its_answer_does_not_return_to_the_primary() {
    let mut rig = registered_with_backup();
    rig.command(Command::Ping { account: 0, id: 5 });
    let (to, options) = rig.one_request();
    assert_eq!(
        (to, options.method.clone()),
        (peer(SERVER_B), Method::Options)
    );
    rig.receive(SERVER_B, reply(&options, 200, Some("srv")));
    let r = one_ping(&mut rig);
    assert_eq!((r.server, r.status), (Some(peer(SERVER_B)), Some(200)));
    assert!(
        requests(&mut rig).is_empty(),
        "not taken for a primary probe's answer: no REGISTER"
    );
    assert_eq!(
        state(&rig),
        RegistrationState::Registered {
            server: peer(SERVER_B),
            expires: 3600
        }
    );
    // The primary probe still runs on its own schedule (60 s after registering).
    rig.advance(Duration::from_secs(60));
    assert_eq!(requests(&mut rig), vec![(peer(SERVER_A), Method::Options)]);
}

#[test]
fn a_ping_does_not_disturb_the_keepalive() {
    let mut rig = registered(RegistrationPolicy {
        keepalive: Some(Duration::from_secs(30)),
        ..Default::default()
    });
    rig.advance(Duration::from_secs(10));
    rig.command(Command::Ping { account: 0, id: 6 });
    let (_, ping) = rig.one_request();
    // The keep-alive goes out on time while the ping is outstanding, and is answered.
    rig.advance(Duration::from_secs(20));
    let mut keepalive = None;
    for (p, m) in rig.take_sent() {
        if let Message::Request(r) = m {
            assert_eq!((p, r.method.clone()), (peer(SERVER_A), Method::Options));
            if r.headers.call_id().unwrap() != ping.headers.call_id().unwrap() {
                keepalive = Some(r);
            }
        }
    }
    let keepalive = keepalive.expect("the keep-alive was sent");
    rig.receive(SERVER_A, reply(&keepalive, 200, Some("k")));
    assert!(
        pings(&mut rig).is_empty(),
        "a keep-alive answer is not the ping's"
    );
    // The ping itself is never answered: reported at timer F, with no failover.
    rig.advance(Duration::from_secs(13));
    let r = one_ping(&mut rig);
    assert_eq!(r.status, None);
    let sent = requests(&mut rig);
    assert!(
        sent.iter().all(|r| *r == (peer(SERVER_A), Method::Options)),
        "{sent:?}"
    );
    assert!(matches!(state(&rig), RegistrationState::Registered { .. }));
    // The next keep-alive round comes 30 s after the last.
    rig.advance(Duration::from_secs(17));
    let sent = requests(&mut rig);
    assert!(
        sent.contains(&(peer(SERVER_A), Method::Options)),
        "{sent:?}"
    );
}

#[test]
fn pings_refused_at_once_with_a_reason() {
    let mut rig = Rig::new(vec![
        account("101"),
        Account {
            register: false,
            ..account("102")
        },
        Account {
            servers: Vec::new(),
            ..account("103")
        },
    ]);
    rig.command(Command::Ping { account: 9, id: 1 });
    let r = one_ping(&mut rig);
    assert_eq!((r.server, r.status), (None, None));
    assert_eq!(r.reason, "no such account");
    rig.command(Command::Ping { account: 1, id: 2 });
    let r = one_ping(&mut rig);
    assert_eq!(r.server, Some(peer(SERVER_A)));
    assert_eq!(r.reason, "the account does not register");
    rig.command(Command::Ping { account: 2, id: 3 });
    assert_eq!(one_ping(&mut rig).reason, "the account has no server");
    assert!(rig.take_sent().is_empty());

    // Not registered (yet): the first server is asked.
    for id in 0..MAX_PINGS as u64 {
        rig.command(Command::Ping { account: 0, id });
    }
    let sent = requests(&mut rig);
    assert_eq!(sent.len(), MAX_PINGS);
    assert!(sent.iter().all(|r| *r == (peer(SERVER_A), Method::Options)));
    rig.command(Command::Ping { account: 0, id: 99 });
    let mut got = pings(&mut rig);
    assert_eq!(got.len(), 1);
    let (_, id, r) = got.pop().unwrap();
    assert_eq!((id, r.status), (99, None));
    assert_eq!(r.reason, "too many pings in progress");
    assert!(rig.take_sent().is_empty());
    // Once they are over, pinging works again.
    rig.advance(Duration::from_secs(33));
    assert_eq!(pings(&mut rig).len(), MAX_PINGS);
    rig.take_sent();
    rig.command(Command::Ping {
        account: 0,
        id: 100,
    });
    assert_eq!(requests(&mut rig), vec![(peer(SERVER_A), Method::Options)]);
}

//! In-process tests of the engine: the bad-input corpus, seeded mutation fuzzing, the USM
//! time window, VACM in walks, counters, authenticationFailure rate limiting, informs in
//! virtual time. (Interop with net-snmp's tools is in tests/.)

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::manager::{Client, ClientConfig, ClientEvent, ClientSecurity};
use crate::*;

#[allow(clippy::disallowed_methods)] // tests need an epoch; everything else is relative
fn t0() -> Instant {
    Instant::now()
}

const FROM: &str = "192.0.2.10:40000";

fn from() -> SocketAddr {
    FROM.parse().unwrap()
}

fn engine_id() -> Vec<u8> {
    EngineConfig::text_engine_id(99999, "unit")
}

fn mib() -> MapMib {
    let mut m = MapMib::new();
    m.insert([1, 3, 6, 1, 2, 1, 1, 1, 0], Value::string("unit test"));
    m.insert([1, 3, 6, 1, 2, 1, 1, 5, 0], Value::string("gw"));
    for r in 1..=20u32 {
        m.insert(
            [1, 3, 6, 1, 2, 1, 2, 2, 1, 2, r],
            Value::string(&format!("if{r}")),
        );
        m.insert(
            [1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, r],
            Value::Counter64(u64::from(r) << 40),
        );
    }
    m.insert([1, 3, 6, 1, 4, 1, 99999, 1, 0], Value::Integer(7));
    m.writable = true;
    m
}

fn config() -> EngineConfig {
    let mut c = EngineConfig::new(engine_id());
    c.add_view(View::everything("all"));
    // A view without the interface table (except ifDescr.7) and without the private tree.
    c.add_view(
        View::new("limited")
            .include(Oid::from([1, 3, 6, 1]))
            .exclude(Oid::from([1, 3, 6, 1, 2, 1, 2]))
            .include(Oid::from([1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 7]))
            .exclude(Oid::from([1, 3, 6, 1, 4])),
    );
    c.communities.push(Community::read_only("public", "all"));
    c.communities
        .push(Community::read_only("limited", "limited"));
    let mut rw = Community::read_only("private", "all");
    rw.write_view = Some("all".into());
    c.communities.push(rw);
    c.users.push(User::auth_priv(
        "alice",
        AuthProtocol::Sha256,
        "authpass123",
        PrivProtocol::Aes128,
        "privpass123",
    ));
    c.allow_user("alice", SecurityLevel::AuthPriv, "all", Some("all"));
    c.users
        .push(User::auth("bob", AuthProtocol::Md5, "authpass123"));
    c.allow_user("bob", SecurityLevel::AuthNoPriv, "limited", None);
    c.set_enabled = true;
    c.seed = 99;
    c
}

struct Rig {
    engine: Engine,
    mib: MapMib,
    t: Instant,
    out: Vec<u8>,
}

impl Rig {
    fn new(cfg: EngineConfig) -> Rig {
        let t = t0();
        Rig {
            engine: Engine::new(cfg, 5, t).unwrap(),
            mib: mib(),
            t,
            out: Vec::new(),
        }
    }

    fn send(&mut self, bytes: &[u8]) -> Handled {
        self.engine
            .handle(self.t, from(), bytes, &mut self.mib, &mut self.out)
    }

    /// Sends a client's request, follows Resends; returns the final event.
    fn ask(&mut self, client: &mut Client, req: manager::Request) -> ClientEvent {
        let mut bytes = req.bytes;
        for _ in 0..4 {
            self.send(&bytes);
            assert!(!self.out.is_empty(), "no answer");
            match client.handle(self.t, &self.out.clone()).unwrap() {
                ClientEvent::Resend(mut r) => bytes = r.remove(0).bytes,
                other => return other,
            }
        }
        panic!("resend loop")
    }
}

fn community_client(v1: bool, community: &str) -> Client {
    let sec = if v1 {
        ClientSecurity::V1 {
            community: community.into(),
        }
    } else {
        ClientSecurity::V2c {
            community: community.into(),
        }
    };
    Client::new(ClientConfig::new(sec)).unwrap()
}

fn alice() -> Client {
    let u = User::auth_priv(
        "alice",
        AuthProtocol::Sha256,
        "authpass123",
        PrivProtocol::Aes128,
        "privpass123",
    );
    Client::new(ClientConfig::new(ClientSecurity::V3 {
        user: u,
        level: SecurityLevel::AuthPriv,
    }))
    .unwrap()
}

fn response(e: ClientEvent) -> manager::Response {
    match e {
        ClientEvent::Response(r) => r,
        other => panic!("expected a Response, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------

#[test]
fn unconfigured_engine_answers_nothing() {
    let t = t0();
    let mut e = Engine::new(EngineConfig::new(engine_id()), 1, t).unwrap();
    let mut m = mib();
    let mut out = Vec::new();
    let mut c = community_client(false, "public");
    let req = c.get(t, &[Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0])]);
    assert_eq!(
        e.handle(t, from(), &req.bytes, &mut m, &mut out),
        Handled::Dropped(DropReason::BadCommunity)
    );
    assert!(out.is_empty());
    assert_eq!(e.counters().snmp_in_bad_community_names, 1);
    // v3: no user configured, so not even the discovery probe gets a Report.
    let mut a = alice();
    let req = a.get(t, &[Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0])]);
    assert_eq!(
        e.handle(t, from(), &req.bytes, &mut m, &mut out),
        Handled::Dropped(DropReason::Usm(ReportReason::UnknownUserName))
    );
    assert!(out.is_empty());
    assert_eq!(e.counters().usm_unknown_user_names, 1);
}

#[test]
fn get_getnext_and_views() {
    let mut rig = Rig::new(config());
    let mut c = community_client(false, "public");
    let req = c.get(
        rig.t,
        &[
            Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0]),
            Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 1]),
            Oid::from([1, 3, 6, 1, 9]),
        ],
    );
    let r = response(rig.ask(&mut c, req));
    assert_eq!(r.varbinds[0].1, VarBindValue::Value(Value::string("gw")));
    assert_eq!(r.varbinds[1].1, VarBindValue::NoSuchInstance);
    assert_eq!(r.varbinds[2].1, VarBindValue::NoSuchObject);

    // RFC 3415 §3.2: outside the view is noSuchObject for Get, skipped by GetNext — the
    // excluded interface table is jumped over except ifDescr.7, and the private tree too.
    let mut l = community_client(false, "limited");
    let req = l.get(
        rig.t,
        &[
            Oid::from([1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 3]),
            Oid::from([1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 7]),
        ],
    );
    let r = response(rig.ask(&mut l, req));
    assert_eq!(r.varbinds[0].1, VarBindValue::NoSuchObject);
    assert_eq!(r.varbinds[1].1, VarBindValue::Value(Value::string("if7")));
    let mut walked = Vec::new();
    let mut cur = Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0]);
    loop {
        let req = l.get_next(rig.t, &[cur.clone()]);
        let r = response(rig.ask(&mut l, req));
        let (o, v) = r.varbinds[0].clone();
        if v == VarBindValue::EndOfMibView {
            break;
        }
        walked.push(o.clone());
        cur = o;
    }
    assert_eq!(walked[0], Oid::from([1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 7]));
    assert_eq!(
        walked[1],
        Oid::from([1, 3, 6, 1, 2, 1, 11, 1, 0]),
        "ifXTable (31) sorts after snmp (11)"
    );
    assert!(walked.iter().all(|o| !o.starts_with(&[1, 3, 6, 1, 4])));
    assert!(walked
        .iter()
        .any(|o| o.starts_with(&[1, 3, 6, 1, 2, 1, 31])));
    assert_eq!(
        walked.last().unwrap(),
        &Oid::from([1, 3, 6, 1, 6, 3, 15, 1, 1, 6, 0])
    );
}

#[test]
fn v1_skips_counter64_and_uses_no_such_name() {
    let mut rig = Rig::new(config());
    let mut c = community_client(true, "public");
    // RFC 3584 §4.2.2.1: GetNext steps over Counter64 objects.
    let req = c.get_next(rig.t, &[Oid::from([1, 3, 6, 1, 2, 1, 11, 32, 0])]);
    let r = response(rig.ask(&mut c, req));
    assert!(
        r.varbinds[0].0 > Oid::from([1, 3, 6, 1, 2, 1, 31, 99]),
        "{:?}",
        r.varbinds[0].0
    );
    let req = c.get(
        rig.t,
        &[
            Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0]),
            Oid::from([1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1]),
        ],
    );
    let r = response(rig.ask(&mut c, req));
    assert_eq!(
        (r.error_status, r.error_index),
        (ErrorStatus::NoSuchName, 2)
    );
    assert_eq!(r.varbinds.len(), 2, "v1 errors echo the request");
    assert_eq!(r.varbinds[1].1, VarBindValue::Value(Value::Null));
    // A v2c manager sees the Counter64.
    let mut c2 = community_client(false, "public");
    let req = c2.get(rig.t, &[Oid::from([1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1])]);
    let r = response(rig.ask(&mut c2, req));
    assert_eq!(
        r.varbinds[0].1,
        VarBindValue::Value(Value::Counter64(1 << 40))
    );
}

#[test]
fn getbulk_rows_and_end_of_view() {
    let mut rig = Rig::new(config());
    let mut c = community_client(false, "public");
    let req = c.get_bulk(
        rig.t,
        1,
        3,
        &[
            Oid::from([1, 3, 6, 1, 2, 1, 1, 1]),
            Oid::from([1, 3, 6, 1, 2, 1, 2, 2, 1, 2]),
            Oid::from([1, 3, 6, 1, 6, 3, 15, 1, 1, 5]),
        ],
    );
    let r = response(rig.ask(&mut c, req));
    // 1 + 3 rows of 2, the second repeater ending: 6.0 then endOfMibView; then the engine
    // stops early only when every repeater has ended.
    assert_eq!(r.varbinds.len(), 7);
    assert_eq!(r.varbinds[0].0, Oid::from([1, 3, 6, 1, 2, 1, 1, 1, 0]));
    assert_eq!(
        r.varbinds[1].0,
        Oid::from([1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 1])
    );
    assert_eq!(
        r.varbinds[2].0,
        Oid::from([1, 3, 6, 1, 6, 3, 15, 1, 1, 5, 0])
    );
    assert_eq!(
        r.varbinds[4].0,
        Oid::from([1, 3, 6, 1, 6, 3, 15, 1, 1, 6, 0])
    );
    assert_eq!(r.varbinds[6].1, VarBindValue::EndOfMibView);
    assert_eq!(
        r.varbinds[6].0,
        Oid::from([1, 3, 6, 1, 6, 3, 15, 1, 1, 6, 0])
    );
    // Every repeater at the end: one row of endOfMibView, then stop.
    let req = c.get_bulk(
        rig.t,
        0,
        50,
        &[Oid::from([1, 3, 6, 1, 6, 3, 15, 1, 1, 6, 0])],
    );
    let r = response(rig.ask(&mut c, req));
    assert_eq!(
        r.varbinds,
        vec![(
            Oid::from([1, 3, 6, 1, 6, 3, 15, 1, 1, 6, 0]),
            VarBindValue::EndOfMibView
        )]
    );
    // max-repetitions far beyond the cap: at most what fits and at most 1000 bindings.
    let req = c.get_bulk(rig.t, 0, i32::MAX, &[Oid::from([1, 3, 6])]);
    let r = response(rig.ask(&mut c, req));
    assert!(rig.out.len() <= DEFAULT_MAX_MESSAGE_SIZE);
    assert!(!r.varbinds.is_empty() && r.varbinds.len() < 1000);
}

#[test]
fn set_rules() {
    let mut rig = Rig::new(config());
    let name = Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0]);
    let mut ro = community_client(false, "public");
    let req = ro.set(rig.t, &[(name.clone(), Value::string("x"))]);
    let r = response(rig.ask(&mut ro, req));
    assert_eq!((r.error_status, r.error_index), (ErrorStatus::NoAccess, 1));
    assert_eq!(rig.engine.counters().snmp_in_bad_community_uses, 1);
    let mut rw = community_client(false, "private");
    // All or nothing: the second binding fails, the first is not applied.
    let req = rw.set(
        rig.t,
        &[
            (name.clone(), Value::string("new")),
            (Oid::from([1, 3, 6, 1, 2, 1, 1, 9, 0]), Value::Integer(1)),
        ],
    );
    let r = response(rig.ask(&mut rw, req));
    assert_eq!(
        (r.error_status, r.error_index),
        (ErrorStatus::NoCreation, 2)
    );
    assert_eq!(
        rig.mib.get(name.as_slice()),
        Lookup::Value(Value::string("gw"))
    );
    // Engine objects are not writable except snmpSetSerialNo.
    let req = rw.set(
        rig.t,
        &[(Oid::from([1, 3, 6, 1, 2, 1, 11, 1, 0]), Value::Counter32(0))],
    );
    let r = response(rig.ask(&mut rw, req));
    assert_eq!(r.error_status, ErrorStatus::NotWritable);
    let serial = Oid::from([1, 3, 6, 1, 6, 3, 1, 1, 6, 1, 0]);
    let req = rw.get(rig.t, std::slice::from_ref(&serial));
    let VarBindValue::Value(Value::Integer(s)) = response(rig.ask(&mut rw, req)).varbinds[0].1
    else {
        panic!()
    };
    let req = rw.set(
        rig.t,
        &[
            (serial.clone(), Value::Integer(s)),
            (name.clone(), Value::string("new")),
        ],
    );
    assert_eq!(
        response(rig.ask(&mut rw, req)).error_status,
        ErrorStatus::NoError
    );
    assert_eq!(
        rig.mib.get(name.as_slice()),
        Lookup::Value(Value::string("new"))
    );
    let req = rw.set(rig.t, &[(serial, Value::Integer(s))]);
    assert_eq!(
        response(rig.ask(&mut rw, req)).error_status,
        ErrorStatus::InconsistentValue
    );
    // Set disabled in the configuration: noAccess whatever the community.
    let mut cfg = config();
    cfg.set_enabled = false;
    rig.engine.reconfigure(cfg).unwrap();
    let req = rw.set(rig.t, &[(name, Value::string("z"))]);
    assert_eq!(
        response(rig.ask(&mut rw, req)).error_status,
        ErrorStatus::NoAccess
    );
    // v3 bob has no write view: noAccess (not counted as a community misuse).
    let before = rig.engine.counters().snmp_in_bad_community_uses;
    let bob = User::auth("bob", AuthProtocol::Md5, "authpass123");
    let mut b = Client::new(ClientConfig::new(ClientSecurity::V3 {
        user: bob,
        level: SecurityLevel::AuthNoPriv,
    }))
    .unwrap();
    let mut cfg = config();
    cfg.set_enabled = true;
    rig.engine.reconfigure(cfg).unwrap();
    let req = b.set(
        rig.t,
        &[(Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0]), Value::string("b"))],
    );
    assert_eq!(
        response(rig.ask(&mut b, req)).error_status,
        ErrorStatus::NoAccess
    );
    assert_eq!(rig.engine.counters().snmp_in_bad_community_uses, before);
}

#[test]
fn time_window_edges_rfc3414_3_2_step_7() {
    let mut rig = Rig::new(config());
    rig.t += Duration::from_secs(1000);
    let now_time = rig.engine.engine_time(rig.t);
    assert_eq!(now_time, 1000);
    let probe = |rig: &mut Rig, boots: u32, time: u32| {
        let mut a = alice();
        a.set_peer_engine(rig.t, &engine_id(), boots, time);
        let req = a.get(rig.t, &[Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0])]);
        rig.send(&req.bytes)
    };
    // |time - ours| <= 150 is inside; 151 is outside, either way.
    assert_eq!(probe(&mut rig, 5, 1150), Handled::Response);
    assert_eq!(probe(&mut rig, 5, 850), Handled::Response);
    assert_eq!(
        probe(&mut rig, 5, 1151),
        Handled::Report(ReportReason::NotInTimeWindow)
    );
    assert_eq!(
        probe(&mut rig, 5, 849),
        Handled::Report(ReportReason::NotInTimeWindow)
    );
    // Other boots: outside.
    assert_eq!(
        probe(&mut rig, 4, 1000),
        Handled::Report(ReportReason::NotInTimeWindow)
    );
    assert_eq!(
        probe(&mut rig, 6, 1000),
        Handled::Report(ReportReason::NotInTimeWindow)
    );
    assert_eq!(rig.engine.counters().usm_not_in_time_windows, 4);
    // The Report is authenticated (authNoPriv) and carries our boots and time: the client
    // adopts them and its retry gets through.
    let mut a = alice();
    a.set_peer_engine(rig.t, &engine_id(), 5, 5000);
    let req = a.get(rig.t, &[Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0])]);
    let r = response(rig.ask(&mut a, req));
    assert_eq!(r.varbinds[0].1, VarBindValue::Value(Value::string("gw")));
    assert_eq!(a.peer_engine(rig.t).unwrap().2, 1000);
    // An engine whose boots reached 2^31-1 is locked (RFC 3414 §2.2.2).
    let mut locked = Engine::new(config(), 0x7fff_ffff, rig.t).unwrap();
    let mut a = alice();
    a.set_peer_engine(rig.t, &engine_id(), 0x7fff_ffff, 0);
    let req = a.get(rig.t, &[Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0])]);
    let mut m = mib();
    let mut out = Vec::new();
    assert_eq!(
        locked.handle(rig.t, from(), &req.bytes, &mut m, &mut out),
        Handled::Report(ReportReason::NotInTimeWindow)
    );
}

#[test]
fn v3_reports_need_the_reportable_flag_and_levels_are_checked() {
    let mut rig = Rig::new(config());
    let mut a = alice();
    let req = a.get(rig.t, &[Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0])]);
    // The probe: unknown (empty) engine ID → Report usmStatsUnknownEngineIDs.
    assert_eq!(
        rig.send(&req.bytes),
        Handled::Report(ReportReason::UnknownEngineId)
    );
    // Without the reportable flag (msgFlags octet is at a fixed place in the probe: flip
    // it off), the same message is dropped but still counted.
    let mut b = req.bytes.clone();
    let pos = b.windows(3).position(|w| w == [0x04, 0x01, 0x04]).unwrap();
    b[pos + 2] = 0x00;
    assert_eq!(
        rig.send(&b),
        Handled::Dropped(DropReason::Usm(ReportReason::UnknownEngineId))
    );
    assert_eq!(rig.engine.counters().usm_unknown_engine_ids, 2);
    // priv without auth: snmpInvalidMsgs (RFC 3412 §7.2 step 5).
    b[pos + 2] = 0x06;
    assert_eq!(rig.send(&b), Handled::Dropped(DropReason::InvalidMsg));
    assert_eq!(rig.engine.counters().snmp_invalid_msgs, 1);
    // A security model other than USM: snmpUnknownSecurityModels (step 4).
    let mut b = req.bytes.clone();
    b[pos + 2] = 0x04;
    assert_eq!(b[pos + 3..pos + 5], [0x02, 0x01]);
    b[pos + 5] = 7;
    assert_eq!(
        rig.send(&b),
        Handled::Dropped(DropReason::UnknownSecurityModel)
    );
    assert_eq!(rig.engine.counters().snmp_unknown_security_models, 1);
    // Wrong digest and wrong user, after discovery.
    let ev = rig.ask(&mut a, req);
    assert!(matches!(ev, ClientEvent::Response(_)));
    let req = a.get(rig.t, &[Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0])]);
    let mut bad = req.bytes.clone();
    let n = bad.len();
    bad[n - 1] ^= 0x55; // ciphertext changed: the MAC no longer matches
    assert_eq!(rig.send(&bad), Handled::Report(ReportReason::WrongDigest));
    assert_eq!(rig.engine.counters().usm_wrong_digests, 1);
}

#[test]
fn authentication_failure_traps_are_rate_limited() {
    let mut cfg = config();
    cfg.authentication_traps = true;
    cfg.authentication_trap_interval = Duration::from_secs(10);
    cfg.targets
        .push(Target::v2c_trap("192.0.2.99:162".parse().unwrap(), "traps"));
    let mut rig = Rig::new(cfg);
    let mut c = community_client(false, "wrong");
    for _ in 0..3 {
        let req = c.get(rig.t, &[Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0])]);
        rig.send(&req.bytes);
    }
    let (outs, _) = rig.engine.poll(rig.t);
    assert_eq!(outs.len(), 1, "one per interval");
    let mut r = Reader(&outs[0].bytes);
    assert!(
        r.contains(&[0x2b, 6, 1, 6, 3, 1, 1, 5, 5]),
        "authenticationFailure OID"
    );
    rig.t += Duration::from_secs(10);
    let req = c.get(rig.t, &[Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0])]);
    rig.send(&req.bytes);
    assert_eq!(rig.engine.poll(rig.t).0.len(), 1);
    assert_eq!(rig.engine.counters().auth_failure_traps, 2);
    assert_eq!(rig.engine.counters().snmp_in_bad_community_names, 4);
}

struct Reader<'a>(&'a [u8]);
impl Reader<'_> {
    fn contains(&mut self, needle: &[u8]) -> bool {
        self.0.windows(needle.len()).any(|w| w == needle)
    }
}

#[test]
fn reconfigure_keeps_counters_boots_and_time() {
    let mut rig = Rig::new(config());
    let mut c = community_client(false, "nope");
    let req = c.get(rig.t, &[Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0])]);
    rig.send(&req.bytes);
    rig.t += Duration::from_secs(42);
    let mut cfg = config();
    cfg.communities.push(Community::read_only("nope", "all"));
    rig.engine.reconfigure(cfg).unwrap();
    assert_eq!(rig.engine.counters().snmp_in_bad_community_names, 1);
    assert_eq!(rig.engine.boots(), 5);
    assert_eq!(rig.engine.engine_time(rig.t), 42);
    let req = c.get(
        rig.t,
        &[
            Oid::from([1, 3, 6, 1, 6, 3, 10, 2, 1, 3, 0]),
            Oid::from([1, 3, 6, 1, 6, 3, 10, 2, 1, 2, 0]),
        ],
    );
    let r = response(rig.ask(&mut c, req));
    assert_eq!(r.varbinds[0].1, VarBindValue::Value(Value::Integer(42)));
    assert_eq!(r.varbinds[1].1, VarBindValue::Value(Value::Integer(5)));
    // A bad configuration is refused and the old one stays.
    let mut bad = config();
    bad.communities
        .push(Community::read_only("x", "no-such-view"));
    assert!(rig.engine.reconfigure(bad).is_err());
    assert!(rig
        .engine
        .config()
        .communities
        .iter()
        .any(|c| c.community == "nope"));
}

// ---------------------------------------------------------------------------------------
// Bad input

/// A valid v2c GET captured from net-snmp 5.9.3.
const V2C_GET: &str =
    "302902010104067075626c6963a01c0204039f6016020100020100300e300c06082b060102010103000500";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Wraps `content` in a TLV.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = content.len();
    if n < 128 {
        v.push(n as u8);
    } else if n < 256 {
        v.extend([0x81, n as u8]);
    } else {
        v.extend([0x82, (n >> 8) as u8, n as u8]);
    }
    v.extend_from_slice(content);
    v
}

fn v2c_with_pdu(pdu: &[u8]) -> Vec<u8> {
    let mut c = vec![0x02, 0x01, 0x01];
    c.extend(tlv(0x04, b"public"));
    c.extend_from_slice(pdu);
    tlv(0x30, &c)
}

fn get_pdu(name_content: &[u8]) -> Vec<u8> {
    let vb = tlv(0x30, &[tlv(0x06, name_content), vec![0x05, 0x00]].concat());
    let mut c = vec![0x02, 0x01, 0x05, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00];
    c.extend(tlv(0x30, &vb));
    tlv(0xa0, &c)
}

#[test]
fn bad_input_corpus_is_dropped_and_counted() {
    let good = hex(V2C_GET);
    let mut parse: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("lone tag", vec![0x30]),
        (
            "indefinite length",
            [&[0x30, 0x80][..], &good[2..], &[0, 0]].concat(),
        ),
        (
            "five length octets",
            [&[0x30, 0x85, 0, 0, 0, 0, 0x29][..], &good[2..]].concat(),
        ),
        (
            "length past the end",
            [&[0x30, 0x82, 0xff, 0xff][..], &good[2..]].concat(),
        ),
        ("trailing octet", [&good[..], &[0]].concat()),
        (
            "high tag number",
            [&[0x3f, 0x81, 0x00][..], &good[2..]].concat(),
        ),
        ("PDU type 0xa9", {
            let mut b = good.clone();
            b[13] = 0xa9;
            b
        }),
        ("v1 GetBulk", {
            let mut b = good.clone();
            b[4] = 0;
            b[13] = 0xa5;
            b
        }),
        (
            "OID with 0x80 padding",
            v2c_with_pdu(&get_pdu(&[0x2b, 0x80, 0x06])),
        ),
        (
            "OID of 129 sub-identifiers",
            v2c_with_pdu(&get_pdu(&[vec![0x2b], vec![1; 127]].concat())),
        ),
        (
            "sub-identifier 2^32",
            v2c_with_pdu(&get_pdu(&[0x2b, 0x90, 0x80, 0x80, 0x80, 0x00])),
        ),
        ("empty OID", v2c_with_pdu(&get_pdu(&[]))),
        (
            "unterminated sub-identifier",
            v2c_with_pdu(&get_pdu(&[0x2b, 0x86])),
        ),
        ("nested 5000 deep", {
            let mut v = vec![0x05, 0x00];
            for _ in 0..5000 {
                v = tlv(0x30, &v);
            }
            v
        }),
        (
            "request-id of 9 octets",
            v2c_with_pdu(&tlv(
                0xa0,
                &[
                    &[0x02, 0x09][..],
                    &[0x7f; 9],
                    &[0x02, 1, 0, 0x02, 1, 0, 0x30, 0],
                ]
                .concat(),
            )),
        ),
        (
            "1001 bindings",
            v2c_with_pdu(&tlv(
                0xa0,
                &[
                    &[0x02, 1, 1, 0x02, 1, 0, 0x02, 1, 0][..],
                    &tlv(0x30, &tlv(0x30, &[0x06, 1, 0x2b, 0x05, 0]).repeat(1001)),
                ]
                .concat(),
            )),
        ),
        (
            "over 64 KiB",
            v2c_with_pdu(&tlv(
                0xa0,
                &[
                    &[0x02, 1, 1, 0x02, 1, 0, 0x02, 1, 0][..],
                    &tlv(
                        0x30,
                        &tlv(
                            0x30,
                            &[&[0x06, 1, 0x2b, 0x04, 0x82, 0x03, 0xe8][..], &[b'x'; 1000]].concat(),
                        )
                        .repeat(70),
                    ),
                ]
                .concat(),
            )),
        ),
        (
            "value with a constructed tag",
            v2c_with_pdu(&tlv(
                0xa0,
                &[
                    &[0x02, 1, 1, 0x02, 1, 0, 0x02, 1, 0][..],
                    &tlv(
                        0x30,
                        &tlv(0x30, &[&[0x06, 1, 0x2b][..], &tlv(0x30, &[])].concat()),
                    ),
                ]
                .concat(),
            )),
        ),
        (
            "NULL with contents",
            v2c_with_pdu(&tlv(
                0xa0,
                &[
                    &[0x02, 1, 1, 0x02, 1, 0, 0x02, 1, 0][..],
                    &tlv(0x30, &tlv(0x30, &[0x06, 1, 0x2b, 0x05, 1, 0])),
                ]
                .concat(),
            )),
        ),
        (
            "v3 msgMaxSize 100",
            tlv(
                0x30,
                &[
                    &[0x02, 1, 3][..],
                    &tlv(0x30, &[0x02, 1, 1, 0x02, 1, 100, 0x04, 1, 4, 0x02, 1, 3]),
                    &tlv(0x04, &[]),
                    &tlv(0x30, &[]),
                ]
                .concat(),
            ),
        ),
        (
            "v3 bad USM parameters",
            tlv(
                0x30,
                &[
                    &[0x02, 1, 3][..],
                    &tlv(
                        0x30,
                        &[0x02, 1, 1, 0x02, 2, 0x05, 0xdc, 0x04, 1, 4, 0x02, 1, 3],
                    ),
                    &tlv(0x04, &[1, 2, 3]),
                    &tlv(0x30, &[]),
                ]
                .concat(),
            ),
        ),
        (
            "v3 two-octet msgFlags",
            tlv(
                0x30,
                &[
                    &[0x02, 1, 3][..],
                    &tlv(
                        0x30,
                        &[0x02, 1, 1, 0x02, 2, 0x05, 0xdc, 0x04, 2, 4, 4, 0x02, 1, 3],
                    ),
                    &tlv(0x04, &[]),
                    &tlv(0x30, &[]),
                ]
                .concat(),
            ),
        ),
    ];
    for cut in 1..good.len() {
        parse.push(("truncated", good[..cut].to_vec()));
    }
    let mut rig = Rig::new(config());
    let mut expected = 0;
    for (what, bytes) in &parse {
        let h = rig.send(bytes);
        expected += 1;
        assert_eq!(h, Handled::Dropped(DropReason::Parse), "{what}");
        assert!(rig.out.is_empty(), "{what}");
        assert_eq!(
            rig.engine.counters().snmp_in_asn_parse_errs,
            expected,
            "{what}"
        );
        assert!(decode_check(bytes).is_err(), "{what}");
    }
    // Unknown versions: snmpInBadVersions.
    for v in [2u8, 4, 0x7f] {
        let mut b = good.clone();
        b[4] = v;
        assert_eq!(rig.send(&b), Handled::Dropped(DropReason::BadVersion));
    }
    let mut b = good.clone();
    b[4] = 0xff; // -1
    assert_eq!(rig.send(&b), Handled::Dropped(DropReason::BadVersion));
    assert_eq!(rig.engine.counters().snmp_in_bad_versions, 4);
    assert_eq!(rig.engine.counters().snmp_in_pkts as usize, parse.len() + 4);
    // Legal oddities are accepted: a negative request-id, a four-octet -1, a non-UTF-8
    // community-like string (unknown here, so dropped as a bad community, not a parse
    // error), long-form lengths with spare octets.
    let neg = v2c_with_pdu(&tlv(
        0xa0,
        &[
            &[0x02, 4, 0xff, 0xff, 0xff, 0xff, 0x02, 1, 0, 0x02, 1, 0][..],
            &tlv(
                0x30,
                &tlv(0x30, &[0x06, 8, 0x2b, 6, 1, 2, 1, 1, 5, 0, 0x05, 0]),
            ),
        ]
        .concat(),
    ));
    assert_eq!(rig.send(&neg), Handled::Response);
    let mut odd = good.clone();
    odd[7] = 0xff;
    assert_eq!(rig.send(&odd), Handled::Dropped(DropReason::BadCommunity));
    let long = [&[0x30, 0x83, 0x00, 0x00, 0x29][..], &good[2..]].concat();
    assert_eq!(rig.send(&long), Handled::Response);
}

/// Minimal seeded PRNG for the mutation test (xorshift64*).
struct Xs(u64);
impl Xs {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(x: &mut Xs, base: &[u8]) -> Vec<u8> {
    let mut b = base.to_vec();
    for _ in 0..1 + x.below(4) {
        match x.below(7) {
            0 if !b.is_empty() => {
                let i = x.below(b.len());
                b[i] ^= 1 << x.below(8);
            }
            1 if !b.is_empty() => {
                let i = x.below(b.len());
                b[i] = x.next() as u8;
            }
            2 if !b.is_empty() => {
                let i = x.below(b.len());
                b.truncate(i);
            }
            3 => {
                let i = x.below(b.len() + 1);
                b.insert(
                    i,
                    [0x00, 0x30, 0x80, 0x81, 0x82, 0xff, 0x06, 0x02][x.below(8)],
                );
            }
            4 if !b.is_empty() => {
                let i = x.below(b.len());
                b.remove(i);
            }
            5 if b.len() > 4 => {
                let i = x.below(b.len() - 2);
                let j = (i + 1 + x.below(8)).min(b.len());
                let seg = b[i..j].to_vec();
                let k = x.below(b.len());
                for (n, s) in seg.into_iter().enumerate() {
                    b.insert(k + n, s);
                }
            }
            _ => {
                // Length octets are where BER parsers die: poke one.
                if let Some(i) = (1..b.len()).find(|&i| x.below(3) == 0 && b[i - 1] & 0x20 != 0) {
                    b[i] = [0x00, 0x7f, 0x80, 0x81, 0x84, 0xff][x.below(6)];
                }
            }
        }
    }
    b
}

#[test]
fn seeded_mutation_fuzz_never_panics_and_answers_well_formed() {
    let mut rig = Rig::new(config());
    let t = rig.t;
    // Real messages: net-snmp's v2c GET, and this crate's v1/v2c/v3 requests of every kind
    // (the v3 ones authenticated and encrypted for this engine).
    let mut bases = vec![hex(V2C_GET)];
    let o = [
        Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0]),
        Oid::from([1, 3, 6, 1, 2, 1, 2, 2, 1, 2]),
    ];
    for v1 in [true, false] {
        let mut c = community_client(v1, "private");
        bases.push(c.get(t, &o).bytes);
        bases.push(c.get_next(t, &o).bytes);
        bases.push(c.set(t, &[(o[0].clone(), Value::string("fuzz"))]).bytes);
        if !v1 {
            bases.push(c.get_bulk(t, 1, 10, &o).bytes);
        }
    }
    let mut a = alice();
    bases.push(a.get(t, &o).bytes); // the discovery probe
    a.set_peer_engine(t, &engine_id(), 5, 0);
    bases.push(a.get(t, &o).bytes);
    bases.push(a.get_bulk(t, 0, 20, &o).bytes);
    let mut x = Xs(0x5eed_1234_abcd_0001);
    let n = 6000;
    let mut answered = 0;
    for i in 0..n {
        let base = &bases[i % bases.len()];
        let m = mutate(&mut x, base);
        let _ = decode_check(&m);
        match rig.send(&m) {
            Handled::Response | Handled::Report(_) => {
                answered += 1;
                assert!(!rig.out.is_empty());
                assert!(rig.out.len() <= DEFAULT_MAX_MESSAGE_SIZE);
                assert_eq!(
                    decode_check(&rig.out),
                    Ok(()),
                    "answer to mutant {i} does not decode"
                );
            }
            _ => assert!(rig.out.is_empty()),
        }
    }
    let c = rig.engine.counters();
    assert_eq!(c.snmp_in_pkts as usize, n);
    // Some mutants still parse and get answers; most are dropped and counted somewhere.
    assert!(answered > 0 && answered < n, "{answered}");
    assert!(c.snmp_in_asn_parse_errs > 1000, "{c:?}");
}

// ---------------------------------------------------------------------------------------
// Informs to a v3 receiver, with a receiver simulated from the crate's own message code.

/// A fake authoritative inform receiver.
struct Receiver {
    engine_id: Vec<u8>,
    keys: crate::usm::LocalKeys,
}

impl Receiver {
    fn new(engine_id: &[u8]) -> Receiver {
        let master = crate::usm::MasterKeys::from_passwords(
            Some((AuthProtocol::Sha256, b"authpass123")),
            Some((PrivProtocol::Aes128, b"privpass123")),
        );
        Receiver {
            engine_id: engine_id.to_vec(),
            keys: master.localize(engine_id),
        }
    }

    /// (msgID, USM boots/time, PDU tag, request-id) of an incoming message.
    fn read(&self, bytes: &[u8]) -> (i32, u32, u32, u8, i32) {
        let crate::msg::Message::V3(m) = crate::msg::decode_message(bytes).unwrap() else {
            panic!("not v3")
        };
        let keys = (m.flags & 1 != 0).then_some(&self.keys);
        let o = crate::peer::open_v3(bytes, &m, keys).unwrap();
        (m.msg_id, o.boots, o.time, o.pdu_tag, o.request_id)
    }

    #[allow(clippy::too_many_arguments)]
    fn answer(
        &self,
        msg_id: i32,
        level: SecurityLevel,
        boots: u32,
        time: u32,
        tag: u8,
        request_id: i32,
        vbs: &[(Oid, VarBindValue)],
    ) -> Vec<u8> {
        let h = crate::msg::V3Out {
            msg_id,
            max_size: 1472,
            level,
            reportable: false,
            engine_id: &self.engine_id,
            boots,
            time,
            user: if level == SecurityLevel::NoAuthNoPriv {
                b""
            } else {
                b"alice"
            },
            keys: Some(&self.keys),
            context_engine_id: &self.engine_id,
            context_name: b"",
            salt: 77,
        };
        let p = crate::msg::PduOut {
            tag,
            request_id,
            a: 0,
            b: 0,
            list: crate::msg::VbList::Items(vbs),
        };
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        crate::msg::encode_v3(&mut out, &mut scratch, &h, &p);
        out
    }
}

fn report_vb(counter: u32) -> Vec<(Oid, VarBindValue)> {
    vec![(
        Oid::from([1, 3, 6, 1, 6, 3, 15, 1, 1, counter, 0]),
        VarBindValue::Value(Value::Counter32(1)),
    )]
}

#[test]
fn v3_inform_discovery_time_sync_and_rediscovery_rfc3414_4() {
    let rx_addr: SocketAddr = "192.0.2.50:162".parse().unwrap();
    let mut cfg = config();
    cfg.targets.push(Target::v3(
        rx_addr,
        NotifyKind::Inform,
        "alice",
        SecurityLevel::AuthPriv,
    ));
    let mut rig = Rig::new(cfg);
    let rx = Receiver::new(&EngineConfig::text_engine_id(8072, "receiver"));
    let n = Notification {
        trap_oid: Oid::from([1, 3, 6, 1, 6, 3, 1, 1, 5, 1]),
        varbinds: vec![],
    };

    // 1. The probe: noAuthNoPriv, reportable, empty engine ID.
    let outs = rig.engine.notify(rig.t, 100, &n);
    assert_eq!(outs.len(), 1);
    let (probe_id, boots, _, tag, _) = rx.read(&outs[0].bytes);
    assert_eq!((boots, tag), (0, 0xa0));
    // 2. The receiver's discovery Report: engine ID, boots 3, time 1000.
    let rep = rx.answer(
        probe_id,
        SecurityLevel::NoAuthNoPriv,
        3,
        1000,
        0xa8,
        0,
        &report_vb(4),
    );
    let from = rx_addr;
    assert_eq!(
        rig.engine
            .handle(rig.t, from, &rep, &mut rig.mib, &mut rig.out),
        Handled::PeerLearned
    );
    let (outs, _) = rig.engine.poll(rig.t);
    assert_eq!(outs.len(), 1, "the inform itself");
    let (msg_id, boots, time, tag, rid) = rx.read(&outs[0].bytes);
    assert_eq!((boots, time, tag), (3, 1000, 0xa6));
    // 3. notInTimeWindow (authenticated): the engine adopts boots 4 / time 50 and resends.
    let rep = rx.answer(
        msg_id,
        SecurityLevel::AuthNoPriv,
        4,
        50,
        0xa8,
        rid,
        &report_vb(2),
    );
    assert_eq!(
        rig.engine
            .handle(rig.t, from, &rep, &mut rig.mib, &mut rig.out),
        Handled::PeerLearned
    );
    let (outs, _) = rig.engine.poll(rig.t);
    let (msg_id, boots, time, _, rid2) = rx.read(&outs[0].bytes);
    assert_eq!((boots, time, rid2), (4, 50, rid));
    // 4. unknownEngineID (the receiver was replaced): the engine probes again.
    let rep = rx.answer(
        msg_id,
        SecurityLevel::NoAuthNoPriv,
        4,
        50,
        0xa8,
        0,
        &report_vb(4),
    );
    assert_eq!(
        rig.engine
            .handle(rig.t, from, &rep, &mut rig.mib, &mut rig.out),
        Handled::PeerLearned
    );
    let (outs, _) = rig.engine.poll(rig.t);
    let (probe2, boots, _, tag, _) = rx.read(&outs[0].bytes);
    assert_eq!((boots, tag), (0, 0xa0));
    let rep = rx.answer(
        probe2,
        SecurityLevel::NoAuthNoPriv,
        5,
        7,
        0xa8,
        0,
        &report_vb(4),
    );
    rig.engine
        .handle(rig.t, from, &rep, &mut rig.mib, &mut rig.out);
    let (outs, _) = rig.engine.poll(rig.t);
    let (msg_id, boots, _, _, rid3) = rx.read(&outs[0].bytes);
    assert_eq!((boots, rid3), (5, rid));
    // 5. The Response acknowledges it; a forged one (wrong keys) would not.
    let forged = Receiver::new(b"\x80\x00\x00\x01\x02").answer(
        msg_id,
        SecurityLevel::AuthPriv,
        5,
        7,
        0xa2,
        rid,
        &[],
    );
    assert!(matches!(
        rig.engine
            .handle(rig.t, from, &forged, &mut rig.mib, &mut rig.out),
        Handled::Dropped(_)
    ));
    let resp = rx.answer(msg_id, SecurityLevel::AuthPriv, 5, 7, 0xa2, rid, &[]);
    let h = rig
        .engine
        .handle(rig.t, from, &resp, &mut rig.mib, &mut rig.out);
    let Handled::InformAcked(id) = h else {
        panic!("{h:?}")
    };
    let done = rig.engine.drain_outcomes();
    assert_eq!(
        done,
        vec![InformOutcome {
            id,
            target: rx_addr,
            result: InformResult::Acked
        }]
    );
    assert_eq!(rig.engine.pending_informs(), 0);
    // 6. A Report the engine cannot fix ends the inform as Refused.
    let outs = rig.engine.notify(rig.t, 200, &n);
    let (msg_id, _, _, _, rid) = rx.read(&outs[0].bytes);
    let rep = rx.answer(
        msg_id,
        SecurityLevel::NoAuthNoPriv,
        5,
        7,
        0xa8,
        rid,
        &report_vb(3),
    );
    rig.engine
        .handle(rig.t, from, &rep, &mut rig.mib, &mut rig.out);
    let done = rig.engine.drain_outcomes();
    assert_eq!(
        done[0].result,
        InformResult::Refused(ReportReason::UnknownUserName)
    );
}

//! The whole engine on arbitrary datagrams: never panics, answers only with messages that
//! decode, never larger than the configured maximum, and counts every datagram.

#![no_main]

use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use tipring_snmp::{
    decode_check, AuthProtocol, Community, Engine, EngineConfig, MapMib, Oid, PrivProtocol,
    SecurityLevel, User, Value, View,
};

fn config() -> EngineConfig {
    let mut c = EngineConfig::new(EngineConfig::text_engine_id(99999, "fuzz"));
    c.add_view(View::everything("all"));
    c.add_view(View::new("some").include(Oid::from([1, 3, 6, 1, 2, 1, 1])).exclude(Oid::from([1, 3, 6, 1, 2, 1, 1, 9])));
    c.communities.push(Community::read_only("public", "all"));
    let mut rw = Community::read_only("private", "some");
    rw.write_view = Some("some".into());
    c.communities.push(rw);
    c.users.push(User::auth_priv("alice", AuthProtocol::Sha256, "authpass123", PrivProtocol::Aes128, "privpass123"));
    c.allow_user("alice", SecurityLevel::AuthPriv, "all", Some("all"));
    c.users.push(User::no_auth("guest"));
    c.allow_user("guest", SecurityLevel::NoAuthNoPriv, "some", None);
    c.set_enabled = true;
    c
}

fn mib() -> MapMib {
    let mut m = MapMib::new();
    m.insert([1, 3, 6, 1, 2, 1, 1, 5, 0], Value::string("fuzz"));
    for r in 1..=30u32 {
        m.insert([1, 3, 6, 1, 2, 1, 2, 2, 1, 2, r], Value::string("if"));
        m.insert([1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, r], Value::Counter64(u64::from(r)));
    }
    m.writable = true;
    m
}

/// One engine for the whole run: its keys are localised once (the slow part).
static STATE: OnceLock<Mutex<(Instant, Engine, MapMib)>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let state = STATE.get_or_init(|| {
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        Mutex::new((t0, Engine::new(config(), 1, t0).expect("engine"), mib()))
    });
    let mut g = state.lock().unwrap();
    let (t0, engine, m) = &mut *g;
    let mut out = Vec::new();
    let from = "192.0.2.1:1024".parse().unwrap();
    let before = engine.counters().snmp_in_pkts;
    engine.handle(*t0, from, data, m, &mut out);
    if !out.is_empty() {
        assert!(out.len() <= engine.config().max_message_size);
        assert_eq!(decode_check(&out), Ok(()));
    }
    assert_eq!(engine.counters().snmp_in_pkts, before.wrapping_add(1));
    let _ = engine.poll(*t0);
});

//! Connection Request checks (TR-069 Amd 6 §3.2.2, Annex G): digest with replay and
//! staleness rules, the rate limit, and UDP signatures.

use std::time::{Duration, Instant};

use tipring_cpe::connreq::{udp_signature, ConnReqAuth, RateLimit, Verdict};
use tipring_sip_message::auth::Challenge;
use tipring_sip_message::Method;

fn auth() -> (ConnReqAuth, Instant) {
    #[allow(clippy::disallowed_methods)] // an epoch for virtual time
    let t0 = Instant::now();
    let limit = RateLimit {
        burst: 2,
        every: Duration::from_secs(10),
    };
    (
        ConnReqAuth::new("acs", "cr-secret", "/cr/abc123", [3; 32], limit),
        t0,
    )
}

/// Answer the first (SHA-256) challenge of a 401 like an ACS does.
fn answer(v: &Verdict, user: &str, pw: &str, nc: u32) -> String {
    let Verdict::Challenge(values) = v else {
        panic!("{v:?}")
    };
    assert_eq!(values.len(), 2, "SHA-256 and MD5 offered");
    let c = Challenge::parse(&values[0]).unwrap();
    c.respond(
        user,
        pw,
        &Method::Other("GET".into()),
        "/cr/abc123",
        b"",
        "cn0",
        nc,
    )
    .unwrap()
    .to_string()
}

#[test]
fn digest_then_accept_and_replays_are_refused() {
    let (mut a, t0) = auth();
    assert_eq!(a.check(t0, "GET", "/other", None), Verdict::NotFound);
    assert_eq!(a.check(t0, "POST", "/cr/abc123", None), Verdict::BadMethod);
    let ch = a.check(t0, "GET", "/cr/abc123", None);
    let good = answer(&ch, "acs", "cr-secret", 1);
    assert_eq!(
        a.check(t0, "GET", "/cr/abc123", Some(&good)),
        Verdict::Accept
    );
    // The same credentials again (nc not higher): a replay.
    assert!(matches!(
        a.check(t0, "GET", "/cr/abc123", Some(&good)),
        Verdict::Challenge(_)
    ));
    // Wrong password.
    let ch = a.check(t0, "GET", "/cr/abc123", None);
    let bad = answer(&ch, "acs", "guess", 1);
    assert!(matches!(
        a.check(t0, "GET", "/cr/abc123", Some(&bad)),
        Verdict::Challenge(_)
    ));
    // A nonce older than a minute is stale.
    let ch = a.check(t0, "GET", "/cr/abc123", None);
    let late = answer(&ch, "acs", "cr-secret", 1);
    match a.check(
        t0 + Duration::from_secs(61),
        "GET",
        "/cr/abc123",
        Some(&late),
    ) {
        Verdict::Challenge(v) => assert!(v[0].contains("stale=true"), "{v:?}"),
        v => panic!("{v:?}"),
    }
}

#[test]
fn the_rate_limit_holds_then_refills() {
    let (mut a, t0) = auth();
    let mut ok = 0;
    let mut busy = 0;
    for i in 0..4u32 {
        let ch = a.check(t0, "GET", "/cr/abc123", None);
        let cred = answer(&ch, "acs", "cr-secret", 1);
        match a.check(
            t0 + Duration::from_millis(u64::from(i)),
            "GET",
            "/cr/abc123",
            Some(&cred),
        ) {
            Verdict::Accept => ok += 1,
            Verdict::TooMany => busy += 1,
            v => panic!("{v:?}"),
        }
    }
    assert_eq!((ok, busy), (2, 2), "a burst of 2");
    let ch = a.check(t0, "GET", "/cr/abc123", None);
    let cred = answer(&ch, "acs", "cr-secret", 1);
    assert_eq!(
        a.check(
            t0 + Duration::from_secs(11),
            "GET",
            "/cr/abc123",
            Some(&cred)
        ),
        Verdict::Accept,
        "a token back after 10 s"
    );
}

#[test]
fn udp_connection_requests_annex_g() {
    let (mut a, t0) = auth();
    let unix = 1_780_000_000i64;
    let msg = |ts: i64, id: &str, pw: &str| {
        let ts = ts.to_string();
        let sig = udp_signature(pw, &ts, id, "acs", "nonce9");
        format!("GET http://198.51.100.7:7547?ts={ts}&id={id}&un=acs&cn=nonce9&sig={sig} HTTP/1.1\r\n\r\n")
    };
    assert!(a.check_udp(t0, unix, msg(unix, "1", "cr-secret").as_bytes()));
    // Replayed id, or an older timestamp: refused.
    assert!(!a.check_udp(t0, unix, msg(unix + 1, "1", "cr-secret").as_bytes()));
    assert!(!a.check_udp(t0, unix, msg(unix - 1, "2", "cr-secret").as_bytes()));
    // Bad signature; far from our clock.
    assert!(!a.check_udp(t0, unix, msg(unix + 2, "3", "nope").as_bytes()));
    assert!(!a.check_udp(t0, unix, msg(unix + 3600, "4", "cr-secret").as_bytes()));
    assert!(a.check_udp(t0, unix, msg(unix + 5, "5", "cr-secret").as_bytes()));
    assert!(!a.check_udp(t0, unix, b"garbage"));
    assert!(!a.check_udp(t0, unix, &[0xff; 4000]));
}

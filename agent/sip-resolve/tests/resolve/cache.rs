//! Answers cached for their TTL, shared between locates.

use std::time::Duration;

use tipring_sip_resolve::dns::RecordType;
use tipring_sip_resolve::{ServerSpec, TransportKind};

use crate::fake::{q, resolver, text, FakeDns, Zone};

fn spec(s: &str) -> ServerSpec {
    s.parse().unwrap()
}

// RFC 1035 §3.2.1: a record is reused for its TTL, then asked for again.
#[tokio::test]
async fn answers_are_reused_until_their_ttl_ends() {
    let dns = FakeDns::start(
        Zone::new()
            .srv("_sip._udp.pbx.test", 1, 0, 5060, "sip.pbx.test")
            .a_ttl("sip.pbx.test", "127.0.11.1", 1),
    )
    .await;
    let r = resolver(&[&dns]);
    let first = r
        .locate(&spec("pbx.test"), TransportKind::Udp)
        .await
        .unwrap();
    assert_eq!(dns.count(), 2);
    let second = r
        .locate(&spec("pbx.test"), TransportKind::Udp)
        .await
        .unwrap();
    assert_eq!(first, second);
    assert_eq!(dns.count(), 2, "served from the cache");
    assert_eq!(r.cached_answers(), 2);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let third = r
        .locate(&spec("pbx.test"), TransportKind::Udp)
        .await
        .unwrap();
    assert_eq!(text(&third), ["udp:127.0.11.1:5060"]);
    assert_eq!(
        dns.queries()[2..],
        [q("sip.pbx.test", RecordType::A)],
        "the 1 s A record expired, the 300 s SRV did not"
    );

    r.clear_cache();
    r.locate(&spec("pbx.test"), TransportKind::Udp)
        .await
        .unwrap();
    assert_eq!(dns.count(), 5);
}

// Locates running at once on one resolver each get their answers (separate sockets,
// shared cache).
#[tokio::test]
async fn concurrent_locates() {
    let dns = FakeDns::start(
        Zone::new()
            .a("one.test", "127.0.12.1")
            .a("two.test", "127.0.12.2")
            .a("three.test", "127.0.12.3"),
    )
    .await;
    let r = resolver(&[&dns]);
    let (one, two, three) = (
        spec("one.test:5060"),
        spec("two.test:5060"),
        spec("three.test:5060"),
    );
    let (a, b, c) = tokio::join!(
        r.locate(&one, TransportKind::Udp),
        r.locate(&two, TransportKind::Udp),
        r.locate(&three, TransportKind::Udp),
    );
    assert_eq!(text(&a.unwrap()), ["udp:127.0.12.1:5060"]);
    assert_eq!(text(&b.unwrap()), ["udp:127.0.12.2:5060"]);
    assert_eq!(text(&c.unwrap()), ["udp:127.0.12.3:5060"]);
    assert_eq!(r.cached_answers(), 3);
}

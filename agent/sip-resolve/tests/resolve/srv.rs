//! SRV: priority order, weighted order from the seed, additional-section addresses.

use tipring_sip_resolve::dns::RecordType;
use tipring_sip_resolve::{Resolver, ServerSpec, TransportKind};

use crate::fake::{config, q, resolver, text, FakeDns, Zone};

fn spec(s: &str) -> ServerSpec {
    s.parse().unwrap()
}

// RFC 3263 §4.2 + RFC 2782: `_sip._udp` asked first; targets by ascending priority, each
// on its SRV port.
#[tokio::test]
async fn srv_targets_by_priority() {
    let dns = FakeDns::start(
        Zone::new()
            .srv("_sip._udp.pbx.test", 30, 0, 5062, "c.pbx.test")
            .srv("_sip._udp.pbx.test", 10, 0, 5060, "a.pbx.test")
            .srv("_sip._udp.pbx.test", 20, 0, 5061, "b.pbx.test")
            .a("a.pbx.test", "127.0.1.1")
            .a("b.pbx.test", "127.0.1.2")
            .a("c.pbx.test", "127.0.1.3"),
    )
    .await;
    let r = resolver(&[&dns]);
    let peers = r
        .locate(&spec("pbx.test"), TransportKind::Udp)
        .await
        .unwrap();
    assert_eq!(
        text(&peers),
        [
            "udp:127.0.1.1:5060",
            "udp:127.0.1.2:5061",
            "udp:127.0.1.3:5062"
        ]
    );
    let mut queries = dns.queries();
    assert_eq!(queries.remove(0), q("_sip._udp.pbx.test", RecordType::SRV));
    queries.sort();
    assert_eq!(
        queries,
        [
            q("a.pbx.test", RecordType::A),
            q("b.pbx.test", RecordType::A),
            q("c.pbx.test", RecordType::A)
        ]
    );
}

// RFC 3263 §4.2: TCP asks `_sip._tcp`, TLS `_sips._tcp`.
#[tokio::test]
async fn srv_owner_follows_the_transport() {
    let dns = FakeDns::start(
        Zone::new()
            .srv("_sip._tcp.pbx.test", 1, 0, 5080, "tcp.pbx.test")
            .srv("_sips._tcp.pbx.test", 1, 0, 5081, "tls.pbx.test")
            .a("tcp.pbx.test", "127.0.2.1")
            .a("tls.pbx.test", "127.0.2.2"),
    )
    .await;
    let r = resolver(&[&dns]);
    let tcp = r
        .locate(&spec("pbx.test"), TransportKind::Tcp)
        .await
        .unwrap();
    assert_eq!(text(&tcp), ["tcp:127.0.2.1:5080"]);
    let tls = r
        .locate(&spec("pbx.test"), TransportKind::Tls)
        .await
        .unwrap();
    assert_eq!(text(&tls), ["tls:127.0.2.2:5081"]);
}

// RFC 2782: within a priority, "larger weights SHOULD be given a proportionately higher
// probability of being selected". Weights 90/10: over 300 locates (the records cached
// after the first), the heavy target leads about 90 % of the time; the sequence of
// orders is a function of the seed.
#[tokio::test]
async fn weights_shape_the_order_from_the_seed() {
    let dns = FakeDns::start(
        Zone::new()
            .srv("_sip._udp.pbx.test", 1, 90, 5060, "heavy.pbx.test")
            .srv("_sip._udp.pbx.test", 1, 10, 5060, "light.pbx.test")
            .a("heavy.pbx.test", "127.0.3.1")
            .a("light.pbx.test", "127.0.3.2"),
    )
    .await;
    let firsts = |r: Resolver| async move {
        let mut v = Vec::new();
        for _ in 0..300 {
            let peers = r
                .locate(&spec("pbx.test"), TransportKind::Udp)
                .await
                .unwrap();
            assert_eq!(peers.len(), 2);
            v.push(peers[0].addr.ip().to_string());
        }
        v
    };
    let a = firsts(resolver(&[&dns])).await;
    assert_eq!(dns.count(), 3, "SRV and two A, then the cache");
    let heavy = a.iter().filter(|ip| *ip == "127.0.3.1").count();
    assert!(
        (240..=290).contains(&heavy),
        "heavy first {heavy} times of 300"
    );

    assert_eq!(firsts(resolver(&[&dns])).await, a, "same seed, same orders");
    let mut other = config(&[&dns]);
    other.rng_seed = [12; 32];
    let b = firsts(Resolver::new(other).unwrap()).await;
    assert_ne!(b, a, "another seed, other orders");
}

// RFC 2782: addresses of the targets in the additional section need no query.
#[tokio::test]
async fn additional_addresses_save_queries() {
    let dns = FakeDns::start(
        Zone::new()
            .with_additional()
            .srv("_sip._udp.pbx.test", 1, 0, 5060, "sip.pbx.test")
            .a("sip.pbx.test", "127.0.4.1")
            .a("sip.pbx.test", "127.0.4.2"),
    )
    .await;
    let r = resolver(&[&dns]);
    let peers = r
        .locate(&spec("pbx.test"), TransportKind::Udp)
        .await
        .unwrap();
    assert_eq!(text(&peers), ["udp:127.0.4.1:5060", "udp:127.0.4.2:5060"]);
    assert_eq!(dns.queries(), [q("_sip._udp.pbx.test", RecordType::SRV)]);
}

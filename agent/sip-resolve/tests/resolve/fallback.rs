//! No SRV, explicit ports, IP literals, aliases, names that do not exist.

use tipring_sip_resolve::dns::RecordType;
use tipring_sip_resolve::{Error, IpFamilies, Resolver, ServerSpec, TransportKind};

use crate::fake::{config, name, q, resolver, text, FakeDns, Zone};

fn spec(s: &str) -> ServerSpec {
    s.parse().unwrap()
}

// RFC 3263 §4.2: "If no SRV records were found, the client performs an A or AAAA record
// lookup of the domain name", port 5060 (5061 for TLS).
#[tokio::test]
async fn no_srv_falls_back_to_a_records() {
    let dns = FakeDns::start(Zone::new().a("pbx.test", "127.0.5.1")).await;
    let r = resolver(&[&dns]);
    let udp = r
        .locate(&spec("pbx.test"), TransportKind::Udp)
        .await
        .unwrap();
    assert_eq!(text(&udp), ["udp:127.0.5.1:5060"]);
    assert_eq!(
        dns.queries(),
        [
            q("_sip._udp.pbx.test", RecordType::SRV),
            q("pbx.test", RecordType::A)
        ]
    );
    let tls = r
        .locate(&spec("pbx.test"), TransportKind::Tls)
        .await
        .unwrap();
    assert_eq!(text(&tls), ["tls:127.0.5.1:5061"]);
    assert_eq!(dns.queries()[2], q("_sips._tcp.pbx.test", RecordType::SRV));
    assert_eq!(dns.count(), 3, "the A record came from the cache");
}

// RFC 3263 §4.2: a port in the URI means no SRV lookup.
#[tokio::test]
async fn explicit_port_skips_srv() {
    let dns = FakeDns::start(
        Zone::new()
            .srv("_sip._udp.pbx.test", 1, 0, 5099, "elsewhere.pbx.test")
            .a("pbx.test", "127.0.6.1"),
    )
    .await;
    let r = resolver(&[&dns]);
    let peers = r
        .locate(&spec("pbx.test:5070"), TransportKind::Udp)
        .await
        .unwrap();
    assert_eq!(text(&peers), ["udp:127.0.6.1:5070"]);
    assert_eq!(dns.queries(), [q("pbx.test", RecordType::A)]);
}

// RFC 3263 §4.2: an IP literal is used as is; DNS is never asked.
#[tokio::test]
async fn ip_literal_asks_nothing() {
    let dns = FakeDns::start(Zone::new()).await;
    let r = resolver(&[&dns]);
    let v4 = r
        .locate(&spec("127.0.0.9"), TransportKind::Udp)
        .await
        .unwrap();
    assert_eq!(text(&v4), ["udp:127.0.0.9:5060"]);
    let v6 = r
        .locate(&spec("[::1]:5070"), TransportKind::Tcp)
        .await
        .unwrap();
    assert_eq!(text(&v6), ["tcp:[::1]:5070"]);
    assert_eq!(dns.count(), 0);
}

// RFC 1034 §3.6.2: aliases are followed, whether the server chases them (answer holds
// CNAME and A) or stops at the alias (the resolver asks for the target).
#[tokio::test]
async fn cname_targets_are_followed() {
    for zone in [Zone::new(), Zone::new().stop_at_cname()] {
        let stops = format!("{zone:?}").contains("stop_at_cname: true");
        let dns = FakeDns::start(
            zone.srv("_sip._udp.pbx.test", 1, 0, 5060, "sip.pbx.test")
                .cname("sip.pbx.test", "host.provider.test")
                .a("host.provider.test", "127.0.7.1"),
        )
        .await;
        let r = resolver(&[&dns]);
        let peers = r
            .locate(&spec("pbx.test"), TransportKind::Udp)
            .await
            .unwrap();
        assert_eq!(text(&peers), ["udp:127.0.7.1:5060"]);
        let asked_target = dns
            .queries()
            .contains(&q("host.provider.test", RecordType::A));
        assert_eq!(asked_target, stops, "{:?}", dns.queries());
    }
}

// RFC 2308 §2.1: NXDOMAIN for the host: an answer, not a failure — NotFound.
#[tokio::test]
async fn nxdomain_is_not_found() {
    let dns = FakeDns::start(Zone::new().a("pbx.test", "127.0.8.1")).await;
    let r = resolver(&[&dns]);
    let e = r
        .locate(&spec("nosuch.test:5060"), TransportKind::Udp)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::NotFound { name: n } if n == &name("nosuch.test")),
        "{e}"
    );
    assert!(!e.is_temporary());
    // Through SRV too: no SRV, and no address for the domain.
    let e = r
        .locate(&spec("nosuch.test"), TransportKind::Udp)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
}

// Both families: each host's IPv4 addresses, then its IPv6 ones (the default order).
#[tokio::test]
async fn both_families() {
    let dns = FakeDns::start(
        Zone::new()
            .a("pbx.test", "127.0.9.1")
            .aaaa("pbx.test", "::1"),
    )
    .await;
    let mut c = config(&[&dns]);
    c.families = IpFamilies::V4ThenV6;
    let r = Resolver::new(c).unwrap();
    let peers = r
        .locate(&spec("pbx.test:5060"), TransportKind::Udp)
        .await
        .unwrap();
    assert_eq!(text(&peers), ["udp:127.0.9.1:5060", "udp:[::1]:5060"]);
}

//! Silent, failing and truncating name servers.

use std::time::Duration;

use tipring_sip_resolve::dns::RecordType;
use tipring_sip_resolve::{Error, Resolver, ServerSpec, TransportKind};
use tokio::time::Instant;

use crate::fake::{config, q, resolver, text, FakeDns, Mode, Zone};

fn spec(s: &str) -> ServerSpec {
    s.parse().unwrap()
}

fn zone() -> Zone {
    Zone::new().a("pbx.test", "127.0.10.1")
}

// resolv.conf(5) "timeout": a server that does not answer is left after the timeout for
// the next one.
#[tokio::test]
async fn silent_first_server_then_second() {
    let silent = FakeDns::start(zone().mode(Mode::Silent)).await;
    let good = FakeDns::start(zone()).await;
    let r = resolver(&[&silent, &good]);
    let t0 = Instant::now();
    let peers = r
        .locate(&spec("pbx.test:5060"), TransportKind::Udp)
        .await
        .unwrap();
    let took = t0.elapsed();
    assert_eq!(text(&peers), ["udp:127.0.10.1:5060"]);
    assert!(took >= Duration::from_millis(200), "answered in {took:?}");
    assert_eq!(silent.queries(), [q("pbx.test", RecordType::A)]);
    assert_eq!(good.queries(), [q("pbx.test", RecordType::A)]);
}

// resolv.conf(5) "attempts": two rounds over two silent servers, then Timeout.
#[tokio::test]
async fn every_server_silent_is_a_timeout() {
    let s1 = FakeDns::start(zone().mode(Mode::Silent)).await;
    let s2 = FakeDns::start(zone().mode(Mode::Silent)).await;
    let r = resolver(&[&s1, &s2]);
    let t0 = Instant::now();
    let e = r
        .locate(&spec("pbx.test:5060"), TransportKind::Udp)
        .await
        .unwrap_err();
    let took = t0.elapsed();
    assert!(
        matches!(
            e,
            Error::Timeout {
                rtype: RecordType::A,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.is_temporary());
    assert!(took >= Duration::from_millis(800), "gave up after {took:?}");
    assert!(took < Duration::from_secs(3), "gave up after {took:?}");
    assert_eq!((s1.count(), s2.count()), (2, 2));
}

// RFC 1035 §4.1.1 SERVFAIL: the next server is asked at once, not after the timeout.
#[tokio::test]
async fn servfail_moves_on_without_waiting() {
    let failing = FakeDns::start(zone().mode(Mode::ServFail)).await;
    let good = FakeDns::start(zone()).await;
    let mut c = config(&[&failing, &good]);
    c.timeout = Duration::from_secs(5);
    let r = Resolver::new(c).unwrap();
    let t0 = Instant::now();
    let peers = r
        .locate(&spec("pbx.test:5060"), TransportKind::Udp)
        .await
        .unwrap();
    assert_eq!(text(&peers), ["udp:127.0.10.1:5060"]);
    assert!(t0.elapsed() < Duration::from_secs(2));
    assert_eq!(failing.count(), 1);

    // Only failing servers: the code is reported.
    let r = resolver(&[&failing]);
    let e = r
        .locate(&spec("pbx.test:5060"), TransportKind::Udp)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::ServerFailure { .. }), "{e}");
}

// RFC 1035 §4.1.1 TC: the caller sees the truncation.
#[tokio::test]
async fn truncated_answer_is_reported() {
    let dns = FakeDns::start(zone().mode(Mode::Truncate)).await;
    let r = resolver(&[&dns]);
    let e = r
        .locate(&spec("pbx.test:5060"), TransportKind::Udp)
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Truncated { server, .. } if server == dns.addr),
        "{e}"
    );
}

// A lookup of the SRV name that fails (not NXDOMAIN/NODATA) is not taken for "no SRV":
// the domain's A records are not used in its place.
#[tokio::test]
async fn srv_failure_is_not_a_fallback() {
    let dns = FakeDns::start(zone().mode(Mode::ServFail)).await;
    let r = resolver(&[&dns]);
    let e = r
        .locate(&spec("pbx.test"), TransportKind::Udp)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::ServerFailure {
                rtype: RecordType::SRV,
                ..
            }
        ),
        "{e}"
    );
    assert!(dns.queries().iter().all(|(_, t)| *t == RecordType::SRV));
}

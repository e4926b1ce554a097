//! CRLF keep-alives on flows to chosen peers (RFC 5626 §3.5.1, §4.4.1).

use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;
use tokio::time::timeout;

use tipring_sip_transport::{CloseReason, Event, Peer, TransportKind, Transports};

use crate::common::{any, closed, next, quiet, read_exact, request, udp_tcp};

// RFC 5626 §4.4.1: the flow's client pings, accepts pongs and keeps pinging; a ping with
// no pong within the pong timeout fails the flow, which is reported and closed.
#[tokio::test]
async fn pings_until_a_pong_is_missing() {
    let server = TcpListener::bind(any()).await.unwrap();
    let to = Peer {
        transport: TransportKind::Tcp,
        addr: server.local_addr().unwrap(),
    };
    let mut cfg = udp_tcp();
    cfg.keepalive.peers.insert(to);
    cfg.keepalive.interval = Duration::from_millis(100);
    cfg.keepalive.pong_timeout = Duration::from_millis(300);
    // Keep-alives, not idleness, decide this flow's life.
    cfg.idle_timeout = Duration::from_millis(50);
    let mut t = Transports::bind(cfg).await.unwrap();

    t.send(to, request(1)).await.unwrap();
    let (mut conn, _) = server.accept().await.unwrap();
    assert_eq!(read_exact(&mut conn, request(1).len()).await, request(1));
    for _ in 0..3 {
        let started = tokio::time::Instant::now();
        assert_eq!(read_exact(&mut conn, 4).await, b"\r\n\r\n");
        // 80..100 % of the interval, plus scheduling slack.
        assert!(started.elapsed() < Duration::from_millis(400));
        conn.write_all(b"\r\n").await.unwrap();
    }
    assert!(t.is_connected(to));
    // Stop answering: the next ping fails the flow.
    assert_eq!(read_exact(&mut conn, 4).await, b"\r\n\r\n");
    assert_eq!(
        next(&mut t).await,
        Event::Closed {
            peer: to,
            reason: CloseReason::PongTimeout
        }
    );
    assert!(closed(&mut conn).await);
}

// RFC 5626 §3.5.1 on both ends: one Transports pings, the other answers by itself, and
// the flow stays up with nothing reported to either caller.
#[tokio::test]
async fn two_transports_keep_a_flow_alive() {
    let mut b = Transports::bind(udp_tcp()).await.unwrap();
    let to = Peer {
        transport: TransportKind::Tcp,
        addr: b.local_addr(TransportKind::Tcp).unwrap(),
    };
    let mut cfg = udp_tcp();
    cfg.keepalive.peers.insert(to);
    cfg.keepalive.interval = Duration::from_millis(50);
    cfg.keepalive.pong_timeout = Duration::from_millis(200);
    let mut a = Transports::bind(cfg).await.unwrap();
    a.send(to, request(1)).await.unwrap();
    assert!(matches!(next(&mut b).await, Event::Message { .. }));
    // About ten ping/pong rounds.
    quiet(&mut a, Duration::from_millis(600)).await;
    assert!(a.is_connected(to));
    assert_eq!(b.connections(), 1);
    // Still usable.
    a.send(to, request(2)).await.unwrap();
    let got = timeout(Duration::from_secs(5), b.recv()).await.unwrap();
    assert!(matches!(got, Event::Message { data, .. } if data == request(2)));
}

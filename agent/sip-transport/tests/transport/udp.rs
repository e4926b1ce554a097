//! UDP (RFC 3261 §18.1.1, §18.2.1): one datagram is one message.

use std::time::Duration;

use tokio::net::UdpSocket;

use tipring_sip_transport::{Error, Event, Peer, TransportConfig, TransportKind, Transports};

use crate::common::{any, next, quiet, request};

// RFC 3261 §18.2.2: a response goes back to the source address of the request.
#[tokio::test]
async fn udp_round_trip() {
    let mut a = Transports::bind(crate::common::udp_tcp()).await.unwrap();
    let mut b = Transports::bind(crate::common::udp_tcp()).await.unwrap();
    let a_addr = a.local_addr(TransportKind::Udp).unwrap();
    let b_addr = b.local_addr(TransportKind::Udp).unwrap();

    a.send(Peer::udp(b_addr), request(1)).await.unwrap();
    let Event::Message { from, data } = next(&mut b).await else {
        panic!("expected a message")
    };
    assert_eq!(from, Peer::udp(a_addr));
    assert_eq!(data, request(1));

    b.send(from, request(2)).await.unwrap();
    assert_eq!(
        next(&mut a).await,
        Event::Message {
            from: Peer::udp(b_addr),
            data: request(2)
        }
    );
    assert_eq!(a.connections(), 0, "UDP opens no connection");
}

// Blank keep-alive datagrams are not messages; datagrams over the size limit
// (Limits::max_message_size) are dropped, not truncated.
#[tokio::test]
async fn blank_and_oversized_datagrams_are_dropped() {
    let mut cfg = crate::common::udp_tcp();
    cfg.limits.max_message_size = 1024;
    cfg.max_buffer = 2048;
    let mut t = Transports::bind(cfg).await.unwrap();
    let to = t.local_addr(TransportKind::Udp).unwrap();
    let raw = UdpSocket::bind(any()).await.unwrap();
    raw.send_to(b"\r\n\r\n", to).await.unwrap();
    raw.send_to(&[b'X'; 1500], to).await.unwrap();
    raw.send_to(&request(3), to).await.unwrap();
    let Event::Message { data, .. } = next(&mut t).await else {
        panic!("expected a message")
    };
    assert_eq!(data, request(3));
    quiet(&mut t, Duration::from_millis(100)).await;
}

// Sends are refused, not attempted, when they cannot work: over the size limit, or on a
// transport that is not bound. Neither is a transport failure of the peer.
#[tokio::test]
async fn misuse_is_not_a_transport_failure() {
    let t = Transports::bind(TransportConfig {
        tcp: Some(any()),
        ..TransportConfig::default()
    })
    .await
    .unwrap();
    let peer = Peer::udp(any());
    let e = t.send(peer, request(1)).await.unwrap_err();
    assert!(matches!(e, Error::NotEnabled(TransportKind::Udp)), "{e}");
    assert!(!e.is_transport_failure());
    let tls = Peer {
        transport: TransportKind::Tls,
        addr: any(),
    };
    let e = t.send(tls, request(1)).await.unwrap_err();
    assert!(matches!(e, Error::NotEnabled(TransportKind::Tls)), "{e}");
    let e = t.send(peer, vec![b'X'; 70_000]).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::TooLarge {
                size: 70_000,
                max: 65_536
            }
        ),
        "{e}"
    );
    assert!(!e.is_transport_failure());
}

//! TCP (RFC 3261 §18.3): Content-Length framing, connection reuse, pings, closing.

use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

use tipring_sip_message::ParseErrorKind;
use tipring_sip_transport::{
    CloseReason, Error, Event, Peer, TransportConfig, TransportKind, Transports,
};

use crate::common::{any, closed, next, quiet, read_exact, request, udp_tcp};

fn tcp(addr: std::net::SocketAddr) -> Peer {
    Peer {
        transport: TransportKind::Tcp,
        addr,
    }
}

/// A transports object with TCP and a raw client connected to its listener.
async fn with_client(cfg: TransportConfig) -> (Transports, TcpStream, Peer) {
    let t = Transports::bind(cfg).await.unwrap();
    let client = TcpStream::connect(t.local_addr(TransportKind::Tcp).unwrap())
        .await
        .unwrap();
    client.set_nodelay(true).unwrap();
    let peer = tcp(client.local_addr().unwrap());
    (t, client, peer)
}

// RFC 3261 §18.3: a message arriving in many small segments is delivered once, whole.
#[tokio::test]
async fn message_split_over_many_writes() {
    let (mut t, mut client, peer) = with_client(udp_tcp()).await;
    let msg = request(1);
    for chunk in msg.chunks(7) {
        client.write_all(chunk).await.unwrap();
        client.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(
        next(&mut t).await,
        Event::Message {
            from: peer,
            data: msg
        }
    );
    quiet(&mut t, Duration::from_millis(50)).await;
}

// RFC 3261 §18.3: two messages in one segment are cut apart by Content-Length.
#[tokio::test]
async fn two_messages_in_one_write() {
    let (mut t, mut client, peer) = with_client(udp_tcp()).await;
    let mut both = request(1);
    both.extend_from_slice(&request(2));
    client.write_all(&both).await.unwrap();
    for n in [1, 2] {
        assert_eq!(
            next(&mut t).await,
            Event::Message {
                from: peer,
                data: request(n)
            }
        );
    }
}

// RFC 5626 §3.5.1: a double-CRLF ping is answered by a single CRLF pong, and is not a
// message.
#[tokio::test]
async fn crlf_ping_is_answered_with_pong() {
    let (mut t, mut client, _) = with_client(udp_tcp()).await;
    client.write_all(b"\r\n\r\n").await.unwrap();
    assert_eq!(read_exact(&mut client, 2).await, b"\r\n");
    // The connection still carries messages after the ping.
    client.write_all(&request(5)).await.unwrap();
    assert!(matches!(next(&mut t).await, Event::Message { .. }));
}

// RFC 3261 §18.3: without Content-Length a stream cannot be framed: the transport
// reports it, then closes the connection. Messages before the bad one are delivered.
#[tokio::test]
async fn framing_error_closes_the_connection() {
    let (mut t, mut client, peer) = with_client(udp_tcp()).await;
    let mut stream = request(1);
    stream.extend_from_slice(b"OPTIONS sip:gw@tipring.test SIP/2.0\r\nCall-ID: x\r\n\r\n");
    client.write_all(&stream).await.unwrap();
    assert_eq!(
        next(&mut t).await,
        Event::Message {
            from: peer,
            data: request(1)
        }
    );
    let Event::Closed {
        peer: gone,
        reason: CloseReason::Framing(e),
    } = next(&mut t).await
    else {
        panic!("expected a framing close")
    };
    assert_eq!(gone, peer);
    assert_eq!(e.kind, ParseErrorKind::MissingContentLength);
    assert!(closed(&mut client).await, "the connection must be closed");
    assert_eq!(t.connections(), 0);
}

// RFC 3261 §18.3 with Limits::max_message_size: a Content-Length over the limit closes
// the connection instead of buffering the body.
#[tokio::test]
async fn oversized_content_length_closes_the_connection() {
    let (mut t, mut client, _) = with_client(udp_tcp()).await;
    client
        .write_all(b"MESSAGE sip:gw@tipring.test SIP/2.0\r\nContent-Length: 100000\r\n\r\nhi")
        .await
        .unwrap();
    let Event::Closed {
        reason: CloseReason::Framing(e),
        ..
    } = next(&mut t).await
    else {
        panic!("expected a framing close")
    };
    assert_eq!(e.kind, ParseErrorKind::TooLarge);
    assert!(closed(&mut client).await);
}

// The per-connection buffer cap (TransportConfig::max_buffer) holds even while the
// framer is still waiting for the end of the headers.
#[tokio::test]
async fn buffer_cap_closes_the_connection() {
    let mut cfg = udp_tcp();
    cfg.limits.max_message_size = 1000;
    cfg.max_buffer = 1000;
    let (mut t, mut client, _) = with_client(cfg).await;
    client.write_all(&[b'A'; 900]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    client.write_all(&[b'A'; 200]).await.unwrap();
    let event = next(&mut t).await;
    assert!(
        matches!(
            event,
            Event::Closed {
                reason: CloseReason::BufferFull { buffered: 1100 },
                ..
            }
        ),
        "{event:?}"
    );
    assert!(closed(&mut client).await);
}

// RFC 3261 §18.1.1: requests to the same address reuse the open connection.
#[tokio::test]
async fn two_sends_use_one_connection() {
    let t = Transports::bind(udp_tcp()).await.unwrap();
    let server = TcpListener::bind(any()).await.unwrap();
    let to = tcp(server.local_addr().unwrap());
    t.send(to, request(1)).await.unwrap();
    t.send(to, request(2)).await.unwrap();
    let (mut conn, _) = timeout(Duration::from_secs(5), server.accept())
        .await
        .unwrap()
        .unwrap();
    let mut both = request(1);
    both.extend_from_slice(&request(2));
    assert_eq!(read_exact(&mut conn, both.len()).await, both);
    assert!(
        timeout(Duration::from_millis(200), server.accept())
            .await
            .is_err(),
        "a second connection was opened"
    );
    assert_eq!(t.connections(), 1);
    assert!(t.is_connected(to));
}

// RFC 3261 §18.2.2: a response goes back over the connection the request came in on.
// The client's port has no listener, so only the existing connection can carry it.
#[tokio::test]
async fn peer_opened_connection_carries_the_reply() {
    let (mut t, mut client, peer) = with_client(udp_tcp()).await;
    client.write_all(&request(1)).await.unwrap();
    let Event::Message { from, .. } = next(&mut t).await else {
        panic!("expected a message")
    };
    assert_eq!(from, peer);
    t.send(from, request(2)).await.unwrap();
    assert_eq!(read_exact(&mut client, request(2).len()).await, request(2));
    assert_eq!(t.connections(), 1);
}

// RFC 3261 §17.1.4: a connection that cannot be made is a transport error the UA maps
// onto the transaction; afterwards the peer is simply reconnected.
#[tokio::test]
async fn refused_connection_is_a_transport_failure() {
    let t = Transports::bind(udp_tcp()).await.unwrap();
    let gone = TcpListener::bind(any()).await.unwrap();
    let to = tcp(gone.local_addr().unwrap());
    drop(gone);
    let e = t.send(to, request(1)).await.unwrap_err();
    assert!(matches!(e, Error::Connect { .. }), "{e}");
    assert!(e.is_transport_failure());
    assert_eq!(t.connections(), 0);
}

// A connection closed by the peer is reported; the next send opens a new one.
#[tokio::test]
async fn reconnects_after_the_peer_closed() {
    let mut t = Transports::bind(udp_tcp()).await.unwrap();
    let server = TcpListener::bind(any()).await.unwrap();
    let to = tcp(server.local_addr().unwrap());
    t.send(to, request(1)).await.unwrap();
    let (conn, _) = server.accept().await.unwrap();
    drop(conn);
    assert_eq!(
        next(&mut t).await,
        Event::Closed {
            peer: to,
            reason: CloseReason::PeerClosed
        }
    );
    t.send(to, request(2)).await.unwrap();
    let (mut conn, _) = timeout(Duration::from_secs(5), server.accept())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read_exact(&mut conn, request(2).len()).await, request(2));
}

// Idle connections are closed after TransportConfig::idle_timeout.
#[tokio::test]
async fn idle_connection_is_closed() {
    let mut cfg = udp_tcp();
    cfg.idle_timeout = Duration::from_millis(200);
    let (mut t, mut client, peer) = with_client(cfg).await;
    client.write_all(&request(1)).await.unwrap();
    assert!(matches!(next(&mut t).await, Event::Message { .. }));
    assert_eq!(
        next(&mut t).await,
        Event::Closed {
            peer,
            reason: CloseReason::Idle
        }
    );
    assert!(closed(&mut client).await);
}

// TransportConfig::max_connections bounds both directions.
#[tokio::test]
async fn connection_limit() {
    let mut cfg = udp_tcp();
    cfg.max_connections = 1;
    let (mut t, mut first, peer) = with_client(cfg).await;
    first.write_all(&request(1)).await.unwrap();
    assert!(matches!(next(&mut t).await, Event::Message { .. }));
    let mut second = TcpStream::connect(t.local_addr(TransportKind::Tcp).unwrap())
        .await
        .unwrap();
    assert!(
        closed(&mut second).await,
        "the second connection must be refused"
    );
    let server = TcpListener::bind(any()).await.unwrap();
    let e = t
        .send(tcp(server.local_addr().unwrap()), request(2))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::TooManyConnections { max: 1, .. }), "{e}");
    // The first connection still works.
    t.send(peer, request(3)).await.unwrap();
    assert_eq!(read_exact(&mut first, request(3).len()).await, request(3));
}

// Transports::close closes a connection on request and says so.
#[tokio::test]
async fn close_on_request() {
    let (mut t, mut client, peer) = with_client(udp_tcp()).await;
    client.write_all(&request(1)).await.unwrap();
    assert!(matches!(next(&mut t).await, Event::Message { .. }));
    assert!(t.close(peer));
    assert_eq!(
        next(&mut t).await,
        Event::Closed {
            peer,
            reason: CloseReason::Requested
        }
    );
    assert!(closed(&mut client).await);
    assert!(!t.close(peer));
}

// Dropping the transports closes its connections.
#[tokio::test]
async fn drop_closes_connections() {
    let (mut t, mut client, _) = with_client(udp_tcp()).await;
    client.write_all(&request(1)).await.unwrap();
    assert!(matches!(next(&mut t).await, Event::Message { .. }));
    drop(t);
    assert!(closed(&mut client).await);
}

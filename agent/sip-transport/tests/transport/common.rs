//! Helpers: configurations on loopback, bounded waits, scripted raw peers, messages.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::AsyncReadExt as _;
use tokio::net::TcpStream;
use tokio::time::timeout;

use tipring_sip_transport::{Event, TransportConfig, Transports};

/// Any loopback port.
pub fn any() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// UDP and TCP on ephemeral loopback ports.
pub fn udp_tcp() -> TransportConfig {
    TransportConfig {
        udp: Some(any()),
        tcp: Some(any()),
        ..TransportConfig::default()
    }
}

/// A request with a body, framed by Content-Length.
pub fn request(n: u32) -> Vec<u8> {
    let body = format!("body number {n}\r\n");
    format!(
        "OPTIONS sip:gw@tipring.test SIP/2.0\r\n\
         Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK{n}\r\n\
         From: <sip:test@tipring.test>;tag={n}\r\n\
         To: <sip:gw@tipring.test>\r\n\
         Call-ID: {n}@tipring.test\r\n\
         CSeq: {n} OPTIONS\r\n\
         Max-Forwards: 70\r\n\
         Content-Type: text/plain\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The next event, or a panic after 5 s.
pub async fn next(t: &mut Transports) -> Event {
    timeout(Duration::from_secs(5), t.recv())
        .await
        .expect("no transport event within 5 s")
}

/// No event for `d`.
pub async fn quiet(t: &mut Transports, d: Duration) {
    if let Ok(e) = timeout(d, t.recv()).await {
        panic!("unexpected event {e:?}");
    }
}

/// Read exactly `n` bytes from a raw peer within 5 s.
pub async fn read_exact(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    timeout(Duration::from_secs(5), s.read_exact(&mut buf))
        .await
        .expect("peer read timed out")
        .expect("peer read failed");
    buf
}

/// Whether the other side closed the raw stream (EOF or reset) within 5 s.
pub async fn closed(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    loop {
        match timeout(Duration::from_secs(5), s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

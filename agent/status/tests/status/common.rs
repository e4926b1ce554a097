//! Helpers: a sample snapshot, a server on an ephemeral loopback port, a raw HTTP client.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tipring_status::{
    CallStatus, Direction, GatewayStatus, Hook, PortStatus, RegistrationState, RegistrationStatus,
    ServerOptions, SipCounters, StatusServer,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Two ports: port 1 registered and in an SRTP call with every figure, port 2 idle and
/// failing to register.
pub fn sample() -> GatewayStatus {
    GatewayStatus {
        version: "0.1.0".into(),
        uptime_s: 3600,
        config_version: Some("42".into()),
        ports: vec![
            PortStatus {
                port: 1,
                extension: "201".into(),
                hook: Hook::Off,
                line_state: "connected".into(),
                registration: RegistrationStatus {
                    state: RegistrationState::Registered,
                    server: Some("pbx.example.net:5061".into()),
                    expires_in: Some(1800),
                    ..Default::default()
                },
                call: Some(CallStatus {
                    direction: Direction::Outgoing,
                    remote_number: "5551234".into(),
                    codec: "PCMU".into(),
                    srtp: true,
                    duration_s: 75,
                    packets_sent: 3750,
                    packets_received: 3740,
                    packets_lost: 10,
                    jitter_ms: 4.5,
                    jitter_buffer_ms: 40.0,
                    mos_lq: Some(4.12),
                    mos_cq: Some(4.03),
                    r_factor: Some(89.5),
                    rtt_ms: Some(23.0),
                    erle_db: Some(31.5),
                }),
                ..Default::default()
            },
            PortStatus {
                port: 2,
                extension: "202".into(),
                hook: Hook::On,
                line_state: "idle".into(),
                registration: RegistrationStatus {
                    state: RegistrationState::Failed,
                    server: Some("pbx.example.net:5061".into()),
                    expires_in: None,
                    ..Default::default()
                },
                call: None,
                ..Default::default()
            },
        ],
        sip: SipCounters {
            messages_sent: 120,
            messages_received: 118,
            bad_answered: 1,
            bad_dropped: 2,
            transport_errors: 0,
            registration_failures: 3,
            calls_incoming: 4,
            calls_outgoing: 5,
        },
        access: vec![tipring_status::AccessCounters {
            service: "sip".into(),
            allowed: Vec::new(),
            accepted: 118,
            dropped: [("scanner".into(), 2), ("flood".into(), 40)].into(),
        }],
    }
}

/// A running server: its address, the snapshot sender, the task.
pub struct Running {
    pub addr: SocketAddr,
    pub tx: watch::Sender<Arc<GatewayStatus>>,
    pub task: JoinHandle<()>,
}

pub async fn start_with(snapshot: GatewayStatus, options: ServerOptions) -> Running {
    let server = StatusServer::bind_with(SocketAddr::from(([127, 0, 0, 1], 0)), options)
        .await
        .expect("bind loopback");
    let addr = server.local_addr().expect("local addr");
    let (tx, rx) = watch::channel(Arc::new(snapshot));
    let task = tokio::spawn(server.run(rx));
    Running { addr, tx, task }
}

pub async fn start(snapshot: GatewayStatus) -> Running {
    start_with(snapshot, ServerOptions::default()).await
}

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn parse_reply(raw: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of head in {text:?}"));
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    assert_eq!(parts.next(), Some("HTTP/1.1"), "{status_line}");
    let status = parts
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers = lines
        .map(|l| {
            let (k, v) = l
                .split_once(':')
                .unwrap_or_else(|| panic!("bad header {l:?}"));
            (k.trim().to_string(), v.trim().to_string())
        })
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

/// Sends `raw` and reads until the server closes (it always does: no keep-alive).
pub async fn raw_request(addr: SocketAddr, raw: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(raw).await.expect("write request");
    read_all(&mut s, Duration::from_secs(5)).await
}

/// Reads until EOF (or a reset, which ends the stream too), failing after `limit`.
pub async fn read_all(s: &mut TcpStream, limit: Duration) -> Vec<u8> {
    let mut out = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(limit, read)
        .await
        .expect("server did not close the connection in time");
    out
}

pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    parse_reply(&raw_request(addr, req.as_bytes()).await)
}

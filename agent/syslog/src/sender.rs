//! The sender task: drains the queue into a UDP socket, a TCP connection or a TLS
//! session, reconnecting with back-off.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{lookup_host, TcpStream, UdpSocket};
use tokio::sync::{mpsc, watch};
use tokio::time::timeout;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::config::Tls;
use crate::layer::Shared;

/// Resolving, connecting and the TLS handshake, each.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// One frame's write: a collector that reads nothing for this long is given up on and
/// reconnected to.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Closing the connection at shutdown (TLS close_notify).
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Where and how to send.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) server: String,
    pub(crate) tls: Option<Tls>,
    pub(crate) udp: bool,
}

/// The back-off between failed attempts: 1 s, doubling, at most 60 s.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    failures: u32,
}

impl Backoff {
    pub(crate) const FIRST: Duration = Duration::from_secs(1);
    pub(crate) const MAX: Duration = Duration::from_secs(60);

    /// The wait after one more failure.
    pub(crate) fn next_wait(&mut self) -> Duration {
        let wait = Self::FIRST
            .saturating_mul(1 << self.failures.min(6))
            .min(Self::MAX);
        self.failures = self.failures.saturating_add(1);
        wait
    }

    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }
}

enum Conn {
    Udp(UdpSocket),
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// The task: runs until the queue is closed (shutdown) and drained.
pub(crate) async fn run(
    mut rx: mpsc::Receiver<Vec<u8>>,
    shared: Arc<Shared>,
    target: Target,
    mut stop: watch::Receiver<bool>,
) {
    let counters = &shared.counters;
    let mut conn: Option<Conn> = None;
    let mut backoff = Backoff::default();
    let mut pending: Option<Vec<u8>> = None;
    let mut stop_armed = true;
    loop {
        let msg = match pending.take() {
            Some(m) => m,
            None => match rx.try_recv() {
                Ok(m) => m,
                Err(e) => {
                    // The queue ran dry: the moment to report drops.
                    if let Some(notice) = shared.drop_notice() {
                        notice
                    } else if e == mpsc::error::TryRecvError::Disconnected {
                        break;
                    } else {
                        tokio::select! {
                            m = rx.recv() => match m {
                                Some(m) => m,
                                None => continue,
                            },
                            changed = stop.changed(), if stop_armed => {
                                stop_armed = false;
                                if changed.is_ok() {
                                    rx.close();
                                }
                                continue;
                            }
                            () = closed(&mut conn) => {
                                tracing::info!(server = %target.server, "syslog collector closed the connection");
                                conn = None;
                                counters.connected.store(false, Relaxed);
                                continue;
                            }
                        }
                    }
                }
            },
        };
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match connect(&target).await {
                Ok(c) => {
                    counters.connects.fetch_add(1, Relaxed);
                    counters.connected.store(true, Relaxed);
                    tracing::debug!(server = %target.server, "syslog collector connected");
                    conn.insert(c)
                }
                Err(e) => {
                    counters.connect_errors.fetch_add(1, Relaxed);
                    let wait = backoff.next_wait();
                    tracing::warn!(server = %target.server, error = %e, ?wait, "cannot reach the syslog collector");
                    pending = Some(msg);
                    tokio::time::sleep(wait).await;
                    continue;
                }
            },
        };
        match write(c, &msg).await {
            Ok(()) => {
                counters.sent.fetch_add(1, Relaxed);
                backoff.reset();
            }
            Err(e) => {
                counters.send_errors.fetch_add(1, Relaxed);
                if matches!(c, Conn::Udp(_)) {
                    // A datagram is not retried (an ICMP error from an earlier one, often).
                    tracing::debug!(server = %target.server, error = %e, "syslog datagram not sent");
                    continue;
                }
                conn = None;
                counters.connected.store(false, Relaxed);
                let wait = backoff.next_wait();
                tracing::warn!(server = %target.server, error = %e, ?wait, "syslog connection failed");
                pending = Some(msg);
                tokio::time::sleep(wait).await;
            }
        }
    }
    if let Some(c) = conn {
        close(c).await;
    }
    counters.connected.store(false, Relaxed);
}

/// Resolves the server and opens the transport.
async fn connect(target: &Target) -> io::Result<Conn> {
    let addrs: Vec<SocketAddr> = timeout(CONNECT_TIMEOUT, lookup_host(&target.server))
        .await
        .map_err(|_| timed_out("resolving"))??
        .collect();
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the name has no address");
    if target.udp {
        let addr = *addrs.first().ok_or(last)?;
        let local = match addr {
            SocketAddr::V4(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
            SocketAddr::V6(_) => SocketAddr::from(([0u16; 8], 0)),
        };
        let socket = UdpSocket::bind(local).await?;
        socket.connect(addr).await?;
        return Ok(Conn::Udp(socket));
    }
    for addr in addrs {
        let tcp = match timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                last = e;
                continue;
            }
            Err(_) => {
                last = timed_out("connecting");
                continue;
            }
        };
        tcp.set_nodelay(true)?;
        let Some(tls) = &target.tls else {
            return Ok(Conn::Tcp(tcp));
        };
        let connector = TlsConnector::from(tls.config.clone());
        return match timeout(CONNECT_TIMEOUT, connector.connect(tls.name.clone(), tcp)).await {
            Ok(Ok(s)) => Ok(Conn::Tls(Box::new(s))),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(timed_out("TLS handshake")),
        };
    }
    Err(last)
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("{what} timed out"))
}

/// One message: a datagram, or an octet-counted frame (RFC 6587 §3.4.1, RFC 5425 §4.3).
async fn write(c: &mut Conn, msg: &[u8]) -> io::Result<()> {
    match c {
        Conn::Udp(s) => s.send(msg).await.map(drop),
        Conn::Tcp(s) => write_frame(s, msg).await,
        Conn::Tls(s) => write_frame(&mut **s, msg).await,
    }
}

async fn write_frame<W: AsyncWrite + Unpin>(w: &mut W, msg: &[u8]) -> io::Result<()> {
    let mut frame = Vec::with_capacity(msg.len() + 8);
    frame.extend_from_slice(msg.len().to_string().as_bytes());
    frame.push(b' ');
    frame.extend_from_slice(msg);
    timeout(WRITE_TIMEOUT, async {
        w.write_all(&frame).await?;
        w.flush().await
    })
    .await
    .map_err(|_| timed_out("writing"))?
}

/// Resolves when the collector closes the stream (a syslog collector sends nothing; what
/// it might send is read and ignored). Never resolves for UDP or without a connection.
async fn closed(conn: &mut Option<Conn>) {
    async fn eof<R: AsyncRead + Unpin>(r: &mut R) {
        let mut buf = [0u8; 512];
        while let Ok(n) = r.read(&mut buf).await {
            if n == 0 {
                return;
            }
        }
    }
    match conn {
        Some(Conn::Tcp(s)) => eof(s).await,
        Some(Conn::Tls(s)) => eof(&mut **s).await,
        _ => std::future::pending().await,
    }
}

/// Closes a stream politely (TLS close_notify, TCP FIN).
async fn close(c: Conn) {
    let _ = match c {
        Conn::Udp(_) => return,
        Conn::Tcp(mut s) => timeout(CLOSE_TIMEOUT, s.shutdown()).await,
        Conn::Tls(mut s) => timeout(CLOSE_TIMEOUT, s.shutdown()).await,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_minute() {
        let mut b = Backoff::default();
        let secs: Vec<u64> = (0..9).map(|_| b.next_wait().as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        b.reset();
        assert_eq!(b.next_wait(), Backoff::FIRST);
    }
}

//! The Connection Request listener (TR-069 Amendment 6 §3.2.2): an HTTP server on the
//! address ManagementServer.ConnectionRequestURL names, answering `GET` on its path with
//! digest authentication ([`tipring_cpe::connreq::ConnReqAuth`]: nonces, replay, rate
//! limit); each accepted request is passed on through a channel, and the CPE opens a
//! session with `6 CONNECTION REQUEST`. A UDP socket on the same address and port takes
//! Annex G requests (G.2.1: a signed HTTP GET line in one datagram), for an ACS that
//! cannot reach the gateway over TCP; its address is `UDPConnectionRequestAddress`
//! (the local one: without STUN the gateway does not learn its NAT mapping).
//!
//! Everything it reads is bounded: request heads (8 KiB, hyper's limit set below), one
//! request per connection, a 10 s deadline per connection, at most 16 connections at once.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use hyper::header::{HeaderValue, WWW_AUTHENTICATE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tipring_cpe::connreq::{ConnReqAuth, Verdict};

/// Connections served at once.
const MAX_CONNECTIONS: usize = 16;

/// A running listener: where it is and the channel accepted requests arrive on.
#[derive(Debug)]
pub struct ConnReqListener {
    /// The bound address.
    pub local: SocketAddr,
    /// Where Annex G UDP requests are taken (None: the UDP port could not be bound).
    pub udp: Option<SocketAddr>,
    /// One `()` per accepted Connection Request.
    pub accepted: tokio::sync::mpsc::Receiver<()>,
    task: tokio::task::JoinHandle<()>,
    udp_task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for ConnReqListener {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(t) = &self.udp_task {
            t.abort();
        }
    }
}

/// Unix seconds, for the Annex G timestamp check (the binary's wall clock).
#[allow(clippy::disallowed_methods)]
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Bind `addr` and serve Connection Requests checked by `auth`. `clock` reads the
/// monotonic time for the checker (the binary's one clock).
pub async fn listen(
    addr: SocketAddr,
    auth: ConnReqAuth,
    clock: fn() -> std::time::Instant,
    access: Option<Arc<crate::access::Gates>>,
) -> anyhow::Result<ConnReqListener> {
    let allowed = Arc::new(move |ip: std::net::IpAddr| {
        access
            .as_ref()
            .is_none_or(|g| g.allow(crate::access::Service::ConnectionRequest, ip))
    });
    let allowed_udp = Arc::clone(&allowed);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("connection request listener on {addr}"))?;
    let local = listener.local_addr()?;
    let (tx, accepted) = tokio::sync::mpsc::channel(8);
    let auth = Arc::new(Mutex::new(auth));
    // Annex G: the same address and port over UDP.
    let (udp, udp_task) = match tokio::net::UdpSocket::bind(local).await {
        Ok(sock) => {
            let udp = sock.local_addr().ok();
            let (auth, tx) = (Arc::clone(&auth), tx.clone());
            let task = tokio::spawn(async move {
                let mut buf = [0u8; 1500];
                loop {
                    let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
                        continue;
                    };
                    if !allowed_udp(peer.ip()) {
                        continue;
                    }
                    let ok = auth.lock().expect("not poisoned").check_udp(
                        clock(),
                        unix_now(),
                        &buf[..n],
                    );
                    tracing::debug!(%peer, ok, "UDP connection request");
                    if ok && tx.try_send(()).is_err() {
                        tracing::debug!("a connection request is already pending");
                    }
                }
            });
            (udp, Some(task))
        }
        Err(e) => {
            tracing::warn!(%local, error = %e, "no UDP connection request listener");
            (None, None)
        }
    };
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            if !allowed(peer.ip()) {
                drop(stream);
                continue;
            }
            let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
                // Busy: drop the connection rather than queue it.
                continue;
            };
            let (auth, tx) = (Arc::clone(&auth), tx.clone());
            tokio::spawn(async move {
                let _permit = permit;
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let verdict = {
                        let mut a = auth.lock().expect("not poisoned");
                        a.check(
                            clock(),
                            req.method().as_str(),
                            req.uri().path(),
                            req.headers()
                                .get(hyper::header::AUTHORIZATION)
                                .and_then(|v| v.to_str().ok()),
                        )
                    };
                    tracing::debug!(%peer, ?verdict, "connection request");
                    if verdict == Verdict::Accept && tx.try_send(()).is_err() {
                        tracing::debug!("a connection request is already pending");
                    }
                    async move { Ok::<_, std::convert::Infallible>(respond(verdict)) }
                });
                let conn = http1::Builder::new()
                    .max_buf_size(8192)
                    .keep_alive(false)
                    .serve_connection(TokioIo::new(stream), service);
                let _ = tokio::time::timeout(Duration::from_secs(10), conn).await;
            });
        }
    });
    Ok(ConnReqListener {
        local,
        udp,
        accepted,
        task,
        udp_task,
    })
}

fn respond(v: Verdict) -> Response<String> {
    let (status, body) = match &v {
        Verdict::Accept => (StatusCode::OK, ""),
        Verdict::Challenge(_) => (StatusCode::UNAUTHORIZED, ""),
        Verdict::TooMany => (StatusCode::SERVICE_UNAVAILABLE, "busy\n"),
        Verdict::BadMethod => (StatusCode::METHOD_NOT_ALLOWED, ""),
        Verdict::NotFound => (StatusCode::NOT_FOUND, ""),
    };
    let mut r = Response::new(body.to_string());
    *r.status_mut() = status;
    if let Verdict::Challenge(values) = v {
        for c in values {
            if let Ok(h) = HeaderValue::from_str(&c) {
                r.headers_mut().append(WWW_AUTHENTICATE, h);
            }
        }
    }
    if status == StatusCode::METHOD_NOT_ALLOWED {
        r.headers_mut()
            .insert(hyper::header::ALLOW, HeaderValue::from_static("GET"));
    }
    r
}

//! The HTTP/1.1 server: hyper 1 for the protocol, a hand-written router for four routes.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::time::Duration;

use hyper::header::{HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use crate::error::{Error, Result};
use crate::metrics;
use crate::model::GatewayStatus;

/// Where the endpoint listens unless told otherwise: `127.0.0.1:8080` (loopback only).
pub const DEFAULT_ADDR: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080));

/// The smallest request-head limit hyper can enforce (its minimum read buffer), and the
/// default: 8 KiB for the request line and all header fields together.
pub const MIN_HEAD_BYTES: usize = 8192;

/// Most header fields a request may carry (a request with more is answered `431`).
pub const MAX_HEADER_FIELDS: usize = 64;

/// What the source of snapshots is: the agent holds the [`watch::Sender`] and replaces the
/// snapshot (about once a second); each request reads the latest one.
pub type StatusSource = watch::Receiver<Arc<GatewayStatus>>;

/// Limits and exposure of the endpoint. [`Default`] is secure: loopback only, small limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerOptions {
    /// Allow binding an address other than loopback (`127.0.0.0/8`, `::1`). Off by
    /// default: the endpoint has no authentication, so exposing it must be a decision.
    pub allow_non_loopback: bool,
    /// Connections served at once; more are answered `503` (best effort: a non-blocking
    /// write) and closed at once. Default 16.
    pub max_connections: usize,
    /// Largest request head (request line plus header fields), bytes; a larger one is
    /// answered `431` and the connection closed, as is a head of more than
    /// [`MAX_HEADER_FIELDS`] fields. At least [`MIN_HEAD_BYTES`], default 8 KiB.
    pub max_head_bytes: usize,
    /// Time a client has to send its whole request head. Default 5 s.
    pub header_read_timeout: Duration,
    /// Time a connection may live in all (head, handling, writing the response to a slow
    /// reader); the connection is dropped when it runs out. Default 15 s.
    pub connection_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            allow_non_loopback: false,
            max_connections: 16,
            max_head_bytes: MIN_HEAD_BYTES,
            header_read_timeout: Duration::from_secs(5),
            connection_timeout: Duration::from_secs(15),
        }
    }
}

impl ServerOptions {
    fn validate(&self) -> Result<()> {
        if self.max_connections == 0 {
            return Err(Error::InvalidOption("max_connections must be at least 1"));
        }
        if !(MIN_HEAD_BYTES..=1 << 20).contains(&self.max_head_bytes) {
            return Err(Error::InvalidOption(
                "max_head_bytes must be between 8 KiB and 1 MiB",
            ));
        }
        if self.header_read_timeout.is_zero() || self.connection_timeout.is_zero() {
            return Err(Error::InvalidOption("timeouts must be above zero"));
        }
        Ok(())
    }
}

/// The status endpoint: a bound listener, ready to [`run`](StatusServer::run).
///
/// Routes (`GET`, and `HEAD` as RFC 9110 §9.3.2 asks of a server that has `GET`):
///
/// | path | answer |
/// |---|---|
/// | `/status` | the whole [`GatewayStatus`] as JSON |
/// | `/status/ports/N` | one [`PortStatus`](crate::PortStatus) (by its `port` number) as JSON, or 404 |
/// | `/metrics` | Prometheus text format 0.0.4 ([`metrics::encode`]) |
/// | `/healthz` | `ok` |
///
/// Any other path is `404`; any other method `405` with `Allow: GET, HEAD`. The query
/// string is ignored. Every response closes the connection (no keep-alive), so a
/// connection's life is bounded by [`ServerOptions::connection_timeout`].
#[derive(Debug)]
pub struct StatusServer {
    listener: TcpListener,
    options: ServerOptions,
}

impl StatusServer {
    /// Binds `addr` with the default [`ServerOptions`]: `addr` must be a loopback address
    /// (use [`DEFAULT_ADDR`] unless configured otherwise). Port 0 picks a free port.
    ///
    /// # Errors
    /// [`Error::NotLoopback`] for any other address; [`Error::Bind`] when the socket
    /// cannot be bound (in use, no permission).
    pub async fn bind(addr: SocketAddr) -> Result<Self> {
        Self::bind_with(addr, ServerOptions::default()).await
    }

    /// Binds `addr` with the given options. A non-loopback address needs
    /// [`ServerOptions::allow_non_loopback`].
    ///
    /// # Errors
    /// [`Error::NotLoopback`], [`Error::InvalidOption`], [`Error::Bind`].
    pub async fn bind_with(addr: SocketAddr, options: ServerOptions) -> Result<Self> {
        options.validate()?;
        if !options.allow_non_loopback && !addr.ip().to_canonical().is_loopback() {
            return Err(Error::NotLoopback { addr });
        }
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        if let Ok(local) = listener.local_addr() {
            info!(addr = %local, "status endpoint listening");
            if !local.ip().to_canonical().is_loopback() {
                warn!(addr = %local, "status endpoint exposed beyond loopback (no authentication)");
            }
        }
        Ok(Self { listener, options })
    }

    /// The address actually bound (with the port the OS chose for port 0).
    ///
    /// # Errors
    /// The socket's error, if the OS cannot tell (it always can for a bound socket).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves requests from the latest snapshot in `source` until every
    /// [`watch::Sender`] of it is dropped; then stops accepting, drops connections still
    /// open, and returns. A snapshot sent with `send`/`send_replace` is what the next
    /// request sees.
    ///
    /// Run it on its own task: `tokio::spawn(server.run(rx))`.
    pub async fn run(self, source: StatusSource) {
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .keep_alive(false)
            .half_close(false)
            .max_buf_size(self.options.max_head_bytes.max(MIN_HEAD_BYTES))
            .max_header_size(self.options.max_head_bytes)
            .max_headers(MAX_HEADER_FIELDS)
            .header_read_timeout(self.options.header_read_timeout);
        let builder = Arc::new(builder);
        let mut closed = source.clone();
        let mut connections: JoinSet<()> = JoinSet::new();
        loop {
            tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        while connections.try_join_next().is_some() {}
                        if connections.len() >= self.options.max_connections {
                            debug!(%peer, "status endpoint busy: 503");
                            reject_busy(&stream);
                            continue;
                        }
                        connections.spawn(serve_connection(
                            stream,
                            peer,
                            source.clone(),
                            Arc::clone(&builder),
                            self.options.connection_timeout,
                        ));
                    }
                    Err(e) => {
                        // Out of descriptors and the like: transient, so wait and go on.
                        warn!(error = %e, "status endpoint accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                changed = closed.changed() => {
                    if changed.is_err() {
                        info!("status source closed: status endpoint stopping");
                        break;
                    }
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        connections.shutdown().await;
    }
}

/// Answers a connection over the limit without a task: the few bytes fit in any socket
/// buffer, so a non-blocking write is enough; whatever happens, the socket is then closed.
fn reject_busy(stream: &TcpStream) {
    const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 5\r\nretry-after: 1\r\nconnection: close\r\n\r\nbusy\n";
    let _ = stream.try_write(BUSY);
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    source: StatusSource,
    builder: Arc<http1::Builder>,
    limit: Duration,
) {
    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
        // Clone the Arc and release the watch lock at once: never held across an await.
        let snapshot = Arc::clone(&source.borrow());
        let response = respond(req.method(), req.uri().path(), &snapshot);
        debug!(
            %peer,
            method = %req.method(),
            path = %truncate(req.uri().path(), 96),
            status = response.status().as_u16(),
            "status request"
        );
        async move { Ok::<_, Infallible>(response) }
    });
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    match tokio::time::timeout(limit, connection).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => debug!(%peer, error = %e, "status connection ended with an error"),
        Err(_) => debug!(%peer, "status connection timed out"),
    }
}

/// At most `max` bytes of `s`, cut at a character boundary (for logs).
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The route a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Status,
    Port(u32),
    Metrics,
    Health,
    NotFound,
}

fn route(path: &str) -> Route {
    match path {
        "/status" => Route::Status,
        "/metrics" => Route::Metrics,
        "/healthz" => Route::Health,
        _ => match path.strip_prefix("/status/ports/") {
            // Digits only: `u32::from_str` would also take a leading `+`.
            Some(n) if !n.is_empty() && n.len() <= 10 && n.bytes().all(|b| b.is_ascii_digit()) => {
                n.parse().map_or(Route::NotFound, Route::Port)
            }
            _ => Route::NotFound,
        },
    }
}

/// The answer to `method path` from `snapshot` (pure: no I/O).
pub(crate) fn respond(method: &Method, path: &str, snapshot: &GatewayStatus) -> Response<String> {
    if method != Method::GET && method != Method::HEAD {
        // RFC 9110 §15.5.6: a 405 response carries Allow.
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    match route(path) {
        Route::Status => json(snapshot),
        Route::Port(n) => match snapshot.port(n) {
            Some(port) => json(port),
            None => text(StatusCode::NOT_FOUND, "no such port\n"),
        },
        Route::Metrics => with_type(
            StatusCode::OK,
            metrics::CONTENT_TYPE,
            metrics::encode(snapshot),
        ),
        Route::Health => text(StatusCode::OK, "ok\n"),
        Route::NotFound => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

fn json<T: serde::Serialize>(value: &T) -> Response<String> {
    match serde_json::to_string(value) {
        Ok(mut body) => {
            body.push('\n');
            with_type(StatusCode::OK, "application/json", body)
        }
        // Our types always serialize (no maps with non-string keys); answer sanely anyway.
        Err(e) => {
            warn!(error = %e, "status snapshot did not serialize");
            text(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
        }
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<String> {
    with_type(status, "text/plain; charset=utf-8", body.to_string())
}

fn with_type(status: StatusCode, content_type: &'static str, body: String) -> Response<String> {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PortStatus;

    fn snapshot() -> GatewayStatus {
        GatewayStatus {
            ports: vec![
                PortStatus {
                    port: 1,
                    extension: "201".into(),
                    ..PortStatus::default()
                },
                PortStatus {
                    port: 2,
                    extension: "202".into(),
                    ..PortStatus::default()
                },
            ],
            ..GatewayStatus::default()
        }
    }

    #[test]
    fn routes() {
        assert_eq!(route("/status"), Route::Status);
        assert_eq!(route("/metrics"), Route::Metrics);
        assert_eq!(route("/healthz"), Route::Health);
        assert_eq!(route("/status/ports/2"), Route::Port(2));
        assert_eq!(route("/status/ports/0004294967295"), Route::NotFound); // > 10 digits
        assert_eq!(route("/status/ports/4294967295"), Route::Port(u32::MAX));
        assert_eq!(route("/status/ports/4294967296"), Route::NotFound);
        for bad in [
            "/",
            "/status/",
            "/status/ports/",
            "/status/ports/+1",
            "/status/ports/-1",
            "/status/ports/1/",
            "/status/ports/1x",
            "/metrics/",
            "/STATUS",
            "",
        ] {
            assert_eq!(route(bad), Route::NotFound, "{bad:?}");
        }
    }

    /// RFC 9110 §15.5.6: 405 names the allowed methods in `Allow`.
    #[test]
    fn other_methods_get_405_with_allow() {
        for m in [Method::POST, Method::PUT, Method::DELETE, Method::OPTIONS] {
            let r = respond(&m, "/status", &snapshot());
            assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
            assert_eq!(r.headers()[ALLOW], "GET, HEAD");
        }
    }

    #[test]
    fn one_port_by_number() {
        let r = respond(&Method::GET, "/status/ports/2", &snapshot());
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.body().contains("\"extension\":\"202\""), "{}", r.body());
        let r = respond(&Method::GET, "/status/ports/3", &snapshot());
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("aé", 2), "a");
        assert_eq!(truncate("abcdef", 3), "abc");
    }

    #[test]
    fn options_are_validated() {
        let bad = [
            ServerOptions {
                max_connections: 0,
                ..ServerOptions::default()
            },
            ServerOptions {
                max_head_bytes: 4096,
                ..ServerOptions::default()
            },
            ServerOptions {
                header_read_timeout: Duration::ZERO,
                ..ServerOptions::default()
            },
        ];
        for o in bad {
            assert!(
                matches!(o.validate(), Err(Error::InvalidOption(_))),
                "{o:?}"
            );
        }
        assert!(ServerOptions::default().validate().is_ok());
    }
}

//! The HTTPS shell around [`Admin`]: rustls, hyper HTTP/1.1, bounded requests.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, info, warn};

use crate::core::{Admin, Outcome, Request, View, MAX_BODY, SECURITY_HEADERS};
use crate::Error;

/// Connections at once (more are closed at once).
pub const MAX_CONNECTIONS: usize = 32;
/// A connection's whole life: TLS handshake, request, response.
const CONNECTION_LIMIT: Duration = Duration::from_secs(30);

/// Where the pages send a configuration to be stored and applied; the answer is the new
/// version, or why it was refused (nothing changed then).
pub type Applier = tokio::sync::mpsc::UnboundedSender<(
    tipring_config::GatewayConfig,
    String,
    tokio::sync::oneshot::Sender<Result<u64, String>>,
)>;

/// Largest firmware image the maintenance page takes (signed-in browsers only).
pub const MAX_FIRMWARE: usize = 64 * 1024 * 1024;

/// The access control of the admin pages: called with each new connection's source
/// address; `false` closes the connection before the TLS handshake.
pub type AccessCheck = Arc<dyn Fn(std::net::IpAddr) -> bool + Send + Sync>;

/// The admin pages, bound and ready to serve.
pub struct AdminServer {
    listener: TcpListener,
    tls: TlsAcceptor,
    admin: Arc<Mutex<Admin>>,
    access: Option<AccessCheck>,
}

impl std::fmt::Debug for AdminServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminServer")
            .field("addr", &self.listener.local_addr().ok())
            .finish_non_exhaustive()
    }
}

impl AdminServer {
    /// Bind `addr` (port 0 picks one) with this TLS configuration.
    pub async fn bind(
        addr: SocketAddr,
        tls: Arc<rustls::ServerConfig>,
        admin: Admin,
    ) -> Result<Self, Error> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| Error::Bind(addr, e))?;
        Ok(Self {
            listener,
            tls: TlsAcceptor::from(tls),
            admin: Arc::new(Mutex::new(admin)),
            access: None,
        })
    }

    /// Admit only the connections `check` allows (dropped ones are closed at once).
    pub fn with_access(mut self, check: AccessCheck) -> Self {
        self.access = Some(check);
        self
    }

    /// The address bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The shared state (for counters).
    pub fn admin(&self) -> Arc<Mutex<Admin>> {
        Arc::clone(&self.admin)
    }

    /// Serve until every sender of `status` is gone; configuration changes go to `apply`
    /// (without one, the configuration page only shows), maintenance actions to `actions`.
    pub async fn run(
        self,
        status: watch::Receiver<View>,
        apply: Option<Applier>,
        actions: Option<tokio::sync::mpsc::UnboundedSender<crate::core::Action>>,
    ) {
        if let Ok(a) = self.listener.local_addr() {
            info!(addr = %a, "admin pages listening (HTTPS)");
        }
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .keep_alive(true)
            .max_buf_size(16 * 1024)
            .max_headers(64)
            .header_read_timeout(Duration::from_secs(10));
        let builder = Arc::new(builder);
        let mut closed = status.clone();
        let mut connections: JoinSet<()> = JoinSet::new();
        loop {
            tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        if self.access.as_ref().is_some_and(|ok| !ok(peer.ip().to_canonical())) {
                            debug!(%peer, "admin pages: source not allowed, connection dropped");
                            drop(stream);
                            continue;
                        }
                        while connections.try_join_next().is_some() {}
                        if connections.len() >= MAX_CONNECTIONS {
                            debug!(%peer, "admin pages busy: connection closed");
                            continue;
                        }
                        let (tls, admin, status, builder, apply, actions) = (self.tls.clone(), Arc::clone(&self.admin), status.clone(), Arc::clone(&builder), apply.clone(), actions.clone());
                        connections.spawn(async move {
                            let work = async {
                                let stream = match tls.accept(stream).await {
                                    Ok(s) => s,
                                    Err(e) => {
                                        debug!(%peer, error = %e, "admin TLS handshake failed");
                                        return;
                                    }
                                };
                                let service = service_fn(move |req| {
                                    let (admin, status, apply, actions) = (Arc::clone(&admin), status.clone(), apply.clone(), actions.clone());
                                    async move { Ok::<_, Infallible>(answer(req, peer, &admin, &status, apply.as_ref(), actions.as_ref()).await) }
                                });
                                if let Err(e) = builder.serve_connection(TokioIo::new(stream), service).await {
                                    debug!(%peer, error = %e, "admin connection ended with an error");
                                }
                            };
                            if tokio::time::timeout(CONNECTION_LIMIT, work).await.is_err() {
                                debug!(%peer, "admin connection timed out");
                            }
                        });
                    }
                    Err(e) => {
                        warn!(error = %e, "admin accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                changed = closed.changed() => if changed.is_err() { break },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        connections.shutdown().await;
    }
}

async fn answer(
    req: hyper::Request<hyper::body::Incoming>,
    peer: SocketAddr,
    admin: &Mutex<Admin>,
    status: &watch::Receiver<View>,
    apply: Option<&Applier>,
    actions: Option<&tokio::sync::mpsc::UnboundedSender<crate::core::Action>>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    #[allow(clippy::disallowed_methods)] // the shell's clock
    let arrived = Instant::now();
    let cookie = parts.headers.get("cookie").and_then(|v| v.to_str().ok());
    // A firmware image is larger than any form: it streams on to the gateway, for
    // signed-in browsers only.
    if parts.method == hyper::Method::POST
        && parts.uri.path() == "/firmware"
        && admin.lock().is_ok_and(|a| a.signed_in(cookie, arrived))
    {
        let resp = firmware(&parts, body, peer, admin, status, actions).await;
        return to_hyper(resp, &parts, peer);
    }
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return plain(413, "request too large"),
    };
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let request = Request {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        cookie: header("cookie"),
        origin: header("origin"),
        host: header("host"),
        content_type: header("content-type"),
        body: &body,
        peer: peer.ip().to_canonical(),
    };
    let view = status.borrow().clone();
    #[allow(clippy::disallowed_methods)] // the shell's clock
    let now = Instant::now();
    let outcome = match admin.lock() {
        Ok(mut a) => a.handle_view(&request, now, &view),
        Err(_) => return plain(500, "internal error"),
    };
    let resp = match outcome {
        Outcome::Respond(r) => r,
        Outcome::Act(page, action) => match actions {
            Some(tx) if action.restarts() => {
                // A moment for the page to reach the browser first.
                let tx = tx.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    let _ = tx.send(action);
                });
                page
            }
            Some(tx) => {
                let _ = tx.send(action);
                page
            }
            None => return plain(503, "this gateway takes no maintenance actions from here"),
        },
        Outcome::Apply(change) => {
            let result = match apply {
                None => Err("this gateway takes no changes from the admin pages".to_string()),
                Some(tx) => {
                    let (reply, answer) = tokio::sync::oneshot::channel();
                    if tx.send((change.config, change.what, reply)).is_err() {
                        Err("the gateway is stopping".to_string())
                    } else {
                        match tokio::time::timeout(Duration::from_secs(15), answer).await {
                            Ok(Ok(r)) => r,
                            _ => Err("the gateway did not answer in time".to_string()),
                        }
                    }
                }
            };
            // The page shows the configuration as it is now: the gateway publishes a new
            // one before it answers.
            let view = status.borrow().clone();
            match admin.lock() {
                Ok(a) => a.applied(result, &change.csrf, &view),
                Err(_) => return plain(500, "internal error"),
            }
        }
    };
    to_hyper(resp, &parts, peer)
}

/// The core's answer as hyper's, with the security headers (a HEAD gets no body).
fn to_hyper(
    resp: crate::core::Response,
    parts: &http::request::Parts,
    peer: SocketAddr,
) -> hyper::Response<Full<Bytes>> {
    debug!(%peer, method = %parts.method, path = %parts.uri.path(), status = resp.status, "admin request");
    let mut b = hyper::Response::builder().status(resp.status);
    for (k, v) in SECURITY_HEADERS {
        if !resp.headers.iter().any(|(n, _)| n == k) {
            b = b.header(*k, *v);
        }
    }
    for (k, v) in &resp.headers {
        b = b.header(*k, v);
    }
    let body = if parts.method == hyper::Method::HEAD {
        Bytes::new()
    } else {
        Bytes::from(resp.body)
    };
    b.body(Full::new(body))
        .unwrap_or_else(|_| plain(500, "internal error"))
}

/// A firmware upload, read as it arrives: the form token first, then the image, passed on
/// in pieces to the gateway (which checks the image's header from its first piece and
/// writes the rest straight into the inactive slot). At most [`MAX_FIRMWARE`] bytes; a
/// body cut short, too large or malformed ends the image without its end mark, and the
/// gateway discards what it wrote.
async fn firmware(
    parts: &http::request::Parts,
    mut body: hyper::body::Incoming,
    peer: SocketAddr,
    admin: &Mutex<Admin>,
    status: &watch::Receiver<View>,
    actions: Option<&tokio::sync::mpsc::UnboundedSender<crate::core::Action>>,
) -> crate::core::Response {
    use crate::core::{Action, Response, UploadChunk};
    use crate::stream::{MultipartStream, Piece};
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let request = Request {
        method: "POST",
        path: "/firmware",
        cookie: header("cookie"),
        origin: header("origin"),
        host: header("host"),
        content_type: header("content-type"),
        body: &[],
        peer: peer.ip().to_canonical(),
    };
    let Some(boundary) = request.content_type.and_then(crate::core::boundary) else {
        return Response::html(400, "<p>Not a form upload.</p>".into());
    };
    let mut reader = MultipartStream::new(&boundary);
    let mut current = String::new();
    let mut token = Vec::new();
    let mut tx: Option<tokio::sync::mpsc::Sender<UploadChunk>> = None;
    let mut session_csrf: Option<String> = None;
    let mut answer: Option<Response> = None;
    let (mut received, mut total) = (0u64, 0usize);
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            break; // the connection failed: the image ends without its mark
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        total += data.len();
        if total > MAX_FIRMWARE {
            answer = Some(Response::html(413, "<p>The image is too large.</p>".into()));
            break;
        }
        let pieces = match reader.feed(&data) {
            Ok(p) => p,
            Err(e) => {
                answer = Some(Response::html(
                    400,
                    format!("<p>Not a form upload: {e}.</p>"),
                ));
                break;
            }
        };
        for piece in pieces {
            match piece {
                Piece::Part(name) => {
                    if let Some(t) = tx.take() {
                        let _ = t.send(UploadChunk::End).await;
                    }
                    current = name;
                    if current == "image" && answer.is_none() && session_csrf.is_none() {
                        let csrf = String::from_utf8_lossy(&token).into_owned();
                        let view = status.borrow().clone();
                        #[allow(clippy::disallowed_methods)] // the shell's clock
                        let now = Instant::now();
                        let begun = match admin.lock() {
                            Ok(mut a) => a.firmware_begin(&request, &csrf, now, &view),
                            Err(_) => Err(Response::html(500, String::new())),
                        };
                        match (begun, actions) {
                            (Ok(csrf), Some(a)) => {
                                let (t, rx) = tokio::sync::mpsc::channel(4);
                                if a.send(Action::Firmware(rx)).is_ok() {
                                    tx = Some(t);
                                    session_csrf = Some(csrf);
                                } else {
                                    answer = Some(Response::html(
                                        503,
                                        "<p>The gateway is stopping.</p>".into(),
                                    ));
                                }
                            }
                            (Ok(_), None) => {
                                answer = Some(Response::html(
                                    503,
                                    "<p>This gateway takes no firmware from here.</p>".into(),
                                ));
                            }
                            (Err(r), _) => answer = Some(r),
                        }
                    }
                }
                Piece::Data(d) => match current.as_str() {
                    "csrf" if token.len() < 256 => token.extend_from_slice(&d),
                    "image" if tx.is_some() => {
                        received += d.len() as u64;
                        let sent = match &tx {
                            Some(t) => t.send(UploadChunk::Data(d)).await.is_ok(),
                            None => false,
                        };
                        if !sent {
                            tx = None; // refused already: the rest is read and dropped
                        }
                    }
                    _ => {}
                },
                Piece::Done => {
                    if let Some(t) = tx.take() {
                        let _ = t.send(UploadChunk::End).await;
                    }
                }
            }
        }
        if answer.is_some() {
            break;
        }
    }
    drop(tx); // still here: the body ended early, the gateway discards the image
    if let Some(r) = answer {
        return r;
    }
    if !reader.done() && session_csrf.is_some() {
        return Response::html(
            400,
            "<p>The upload was cut short; nothing was installed.</p>".into(),
        );
    }
    let view = status.borrow().clone();
    match (session_csrf, admin.lock()) {
        (Some(csrf), Ok(a)) => a.firmware_sent(&csrf, received, &view),
        // No image part: the form's token decides what to say.
        (None, Ok(mut a)) => {
            #[allow(clippy::disallowed_methods)] // the shell's clock
            let now = Instant::now();
            let csrf = String::from_utf8_lossy(&token).into_owned();
            match a.firmware_begin(&request, &csrf, now, &view) {
                Ok(csrf) => a.firmware_sent(&csrf, 0, &view),
                Err(r) => r,
            }
        }
        (_, Err(_)) => Response::html(500, String::new()),
    }
}

fn plain(status: u16, text: &'static str) -> hyper::Response<Full<Bytes>> {
    let mut r = hyper::Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    r
}

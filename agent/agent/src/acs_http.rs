//! HTTP(S) toward the ACS for CWMP sessions.
//!
//! A TR-069 session is a series of POSTs to the ACS URL (TR-069 §3.4): the CPE's Inform,
//! its other requests, an empty POST to hand over, the ACS's RPCs in the responses and the
//! CPE's answers in the next POSTs, until the ACS answers 204. [`HttpSession`] carries one
//! such session:
//!
//! * one persistent HTTP/1.1 connection, opened lazily and reopened when the ACS closes it
//!   between two POSTs (§3.4.1 asks the CPE to keep it; some ACSs close anyway);
//! * the ACS's cookies, sent back on every later POST of the session (§3.4.2: an ACS may
//!   keep its session state in a cookie);
//! * authentication (§3.4.4): Basic (only over TLS unless allowed for tests) or Digest
//!   (RFC 7616: MD5, SHA-256, `qop=auth`); a challenge is answered once, and the digest is
//!   then sent pre-emptively with a rising nonce count for the rest of the session;
//! * HTTPS with rustls, verifying the ACS against the configured CA certificates, with an
//!   optional client certificate that identifies the device;
//! * a deadline on every exchange and a bound on the response size.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use tipring_agent::acs_http::{AcsUrl, ClientSettings, HttpSession};
//! let url: AcsUrl = "http://acs.example.net:7547/cwmp".parse()?;
//! let mut session = HttpSession::new(url, ClientSettings::new("cpe-0001", "secret"), [7; 32]);
//! let reply = session.post(b"<soap:Envelope>...</soap:Envelope>").await?;
//! if reply.status == 204 { /* the ACS ended the session */ }
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{
    HeaderValue, AUTHORIZATION, CONTENT_TYPE, COOKIE, SET_COOKIE, WWW_AUTHENTICATE,
};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tipring_sip_message::auth::Challenge;
use tipring_sip_message::Method;

/// Largest response body read from the ACS (an RPC with thousands of parameters fits).
pub const MAX_BODY: usize = 4 << 20;

/// An ACS URL: `http://` or `https://`, host (name, IPv4 or `[IPv6]`), optional port, path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcsUrl {
    /// `https`.
    pub tls: bool,
    /// Host name or address (without brackets).
    pub host: String,
    /// Port (default 80 / 443).
    pub port: u16,
    /// Path and query, at least `/`.
    pub path: String,
}

impl std::str::FromStr for AcsUrl {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> anyhow::Result<Self> {
        let (tls, rest) = if let Some(r) = s.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = s.strip_prefix("http://") {
            (false, r)
        } else {
            bail!("`{s}`: an ACS URL starts with http:// or https://");
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.contains('@') {
            bail!("`{s}`: credentials go in the ACS username and password, not the URL");
        }
        let default_port = if tls { 443 } else { 80 };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6
                .split_once(']')
                .with_context(|| format!("`{s}`: unclosed [ in the host"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().with_context(|| format!("`{s}`: bad port"))?,
                None if after.is_empty() => default_port,
                None => bail!("`{s}`: junk after the IPv6 address"),
            };
            (h.to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (
                    h.to_string(),
                    p.parse().with_context(|| format!("`{s}`: bad port"))?,
                ),
                None => (authority.to_string(), default_port),
            }
        };
        if host.is_empty() || port == 0 {
            bail!("`{s}`: no host or port");
        }
        Ok(Self {
            tls,
            host,
            port,
            path: path.to_string(),
        })
    }
}

impl std::fmt::Display for AcsUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}://{}{}",
            if self.tls { "https" } else { "http" },
            self.authority(),
            self.path
        )
    }
}

impl AcsUrl {
    /// `host[:port]` for the Host header (the port only when not the default).
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == if self.tls { 443 } else { 80 } {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// How to reach and authenticate to the ACS.
#[derive(Clone)]
pub struct ClientSettings {
    /// ManagementServer.Username.
    pub username: String,
    /// ManagementServer.Password.
    pub password: String,
    /// rustls configuration for https (trust anchors, optional client certificate);
    /// `None`: https URLs are refused.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Deadline of one exchange (connect + request + whole response).
    pub timeout: Duration,
    /// Send Basic credentials over plain HTTP (off: only over TLS, as §3.4.4 advises).
    pub basic_over_http: bool,
    /// Connect here instead of resolving the URL's host (tests, or a pinned address).
    pub connect_to: Option<SocketAddr>,
}

impl std::fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSettings")
            .field("username", &self.username)
            .field("password", &"***")
            .field("tls", &self.tls.is_some())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ClientSettings {
    /// Plain settings: 30 s per exchange, Basic only over TLS.
    pub fn new(username: &str, password: &str) -> Self {
        Self {
            username: username.to_string(),
            password: password.to_string(),
            tls: None,
            timeout: Duration::from_secs(30),
            basic_over_http: false,
            connect_to: None,
        }
    }
}

/// The ACS's answer to one POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status (200 with an envelope, 204 at the end of the session, 401 refused...).
    pub status: u16,
    /// The body (an envelope, or empty).
    pub body: Vec<u8>,
}

/// The authentication in use for the session.
#[derive(Debug, Clone)]
enum Auth {
    None,
    Basic,
    Digest { challenge: Challenge, nc: u32 },
}

/// What a session learned of the ACS's authentication, to open the next one with: a
/// digest challenge whose nonce the ACS still takes spares the next session its 401
/// round trip (RFC 7616 §3.3 allows the reuse; a nonce the ACS no longer takes is simply
/// challenged again).
#[derive(Debug, Clone)]
pub struct AuthMemo(Auth);

/// One CWMP session's HTTP side (see the module docs).
pub struct HttpSession {
    url: AcsUrl,
    settings: ClientSettings,
    conn: Option<SendRequest<String>>,
    cookies: BTreeMap<String, String>,
    auth: Auth,
    rng: u64,
    method: hyper::Method,
    max_body: usize,
    /// The body of a PUT (any bytes).
    raw_body: Option<Vec<u8>>,
}

impl std::fmt::Debug for HttpSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSession")
            .field("url", &self.url.to_string())
            .field("cookies", &self.cookies.len())
            .finish_non_exhaustive()
    }
}

impl HttpSession {
    /// A session toward `url`; `seed` seeds the digest client nonces.
    pub fn new(url: AcsUrl, settings: ClientSettings, seed: [u8; 32]) -> Self {
        let rng = u64::from_le_bytes(seed[..8].try_into().expect("8 bytes")) | 1;
        Self {
            url,
            settings,
            conn: None,
            cookies: BTreeMap::new(),
            auth: Auth::None,
            rng,
            method: hyper::Method::POST,
            max_body: MAX_BODY,
            raw_body: None,
        }
    }

    /// The authentication this session uses now, for the next one (None: none yet).
    pub fn auth_memo(&self) -> Option<AuthMemo> {
        match self.auth {
            Auth::None => None,
            ref a => Some(AuthMemo(a.clone())),
        }
    }

    /// Start with what an earlier session learned ([`HttpSession::auth_memo`]): its first
    /// request carries the credentials at once.
    pub fn resume_auth(&mut self, memo: AuthMemo) {
        self.auth = memo.0;
    }

    /// POST `body` (an envelope; empty for the empty POST) and read the answer, answering
    /// one authentication challenge on the way. A connection the ACS closed is reopened
    /// once.
    pub async fn post(&mut self, body: &[u8]) -> anyhow::Result<Reply> {
        let text = std::str::from_utf8(body)
            .context("a CWMP envelope is UTF-8")?
            .to_string();
        self.method = hyper::Method::POST;
        self.authenticated(&text).await
    }

    /// GET the URL (a file to download), with the same authentication rules; the body is
    /// bounded by `max_body`.
    pub async fn get(&mut self, max_body: usize) -> anyhow::Result<Reply> {
        self.method = hyper::Method::GET;
        self.max_body = max_body;
        self.authenticated("").await
    }

    /// PUT `body` to the URL (an Upload), with the same authentication rules.
    pub async fn put(&mut self, body: Vec<u8>) -> anyhow::Result<Reply> {
        self.method = hyper::Method::PUT;
        self.raw_body = Some(body);
        let r = self.authenticated("").await;
        self.raw_body = None;
        r
    }

    async fn authenticated(&mut self, text: &str) -> anyhow::Result<Reply> {
        let text = text.to_string();
        let first = self.exchange(&text).await?;
        if first.status != 401 {
            return Ok(first.reply);
        }
        let had = !matches!(self.auth, Auth::None);
        let fresh = self.take_challenge(&first)?;
        if had && !fresh {
            // Our credentials were refused: say so rather than loop.
            return Ok(first.reply);
        }
        let again = self.exchange(&text).await?;
        if again.status == 401 && self.take_challenge(&again)? {
            // A stale nonce: one more try with the new one.
            return Ok(self.exchange(&text).await?.reply);
        }
        Ok(again.reply)
    }

    /// Learn the challenge of a 401; true when it is new (another nonce, or stale).
    fn take_challenge(&mut self, r: &Exchange) -> anyhow::Result<bool> {
        let mut digest = None;
        let mut basic = false;
        for v in &r.challenges {
            if v.len() >= 6 && v[..6].eq_ignore_ascii_case("digest") {
                if let Ok(c) = Challenge::parse(v) {
                    // Prefer SHA-256 when offered (RFC 7616 §3.7).
                    let better = digest.as_ref().is_none_or(|d: &Challenge| {
                        d.algorithm.as_str().starts_with("MD5")
                            && c.algorithm.as_str().starts_with("SHA")
                    });
                    if better {
                        digest = Some(c);
                    }
                }
            } else if v.len() >= 5 && v[..5].eq_ignore_ascii_case("basic") {
                basic = true;
            }
        }
        if let Some(c) = digest {
            let new = match &self.auth {
                Auth::Digest { challenge, .. } => challenge.nonce != c.nonce || c.stale,
                _ => true,
            };
            self.auth = Auth::Digest {
                challenge: c,
                nc: 0,
            };
            return Ok(new);
        }
        if basic {
            if !self.url.tls && !self.settings.basic_over_http {
                bail!("the ACS asks for Basic authentication over plain HTTP: refused (use https)");
            }
            let new = !matches!(self.auth, Auth::Basic);
            self.auth = Auth::Basic;
            return Ok(new);
        }
        bail!("401 without a challenge this client understands")
    }

    fn authorization(&mut self) -> Option<String> {
        match &mut self.auth {
            Auth::None => None,
            Auth::Basic => {
                use base64::Engine as _;
                let pair = format!("{}:{}", self.settings.username, self.settings.password);
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                ))
            }
            Auth::Digest { challenge, nc } => {
                *nc += 1;
                // xorshift64*: a fresh client nonce per request (seeded by the caller).
                self.rng ^= self.rng >> 12;
                self.rng ^= self.rng << 25;
                self.rng ^= self.rng >> 27;
                let cnonce = format!("{:016x}", self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D));
                challenge
                    .respond(
                        &self.settings.username,
                        &self.settings.password,
                        &Method::Other(self.method.as_str().into()),
                        &self.url.path,
                        &[],
                        &cnonce,
                        *nc,
                    )
                    .ok()
                    .map(|c| c.to_string())
            }
        }
    }

    /// One request and its answer, within the deadline; reconnects once if the kept
    /// connection turned out closed.
    async fn exchange(&mut self, body: &str) -> anyhow::Result<Exchange> {
        let deadline = self.settings.timeout;
        match tokio::time::timeout(deadline, self.exchange_inner(body)).await {
            Ok(r) => r,
            Err(_) => {
                self.conn = None;
                bail!("the ACS did not answer within {deadline:?}")
            }
        }
    }

    async fn exchange_inner(&mut self, body: &str) -> anyhow::Result<Exchange> {
        for attempt in 0..2 {
            let reused = self.conn.as_ref().is_some_and(|c| !c.is_closed());
            if !reused {
                self.conn = Some(self.connect().await?);
            }
            let req = self.request(body)?;
            let sender = self.conn.as_mut().expect("connected above");
            if sender.ready().await.is_err() {
                self.conn = None;
                continue;
            }
            match sender.send_request(req).await {
                Ok(resp) => return self.read(resp).await,
                // A kept connection the ACS had closed: once more on a new one.
                Err(e) if reused && attempt == 0 => {
                    tracing::debug!(error = %e, "ACS connection was closed; reconnecting");
                    self.conn = None;
                }
                Err(e) => {
                    self.conn = None;
                    return Err(anyhow::Error::new(e).context("POST to the ACS"));
                }
            }
        }
        bail!("the ACS closed the connection twice")
    }

    fn request(&mut self, body: &str) -> anyhow::Result<Request<String>> {
        let mut b = Request::builder()
            .method(self.method.clone())
            .uri(self.url.path.as_str())
            .header(hyper::header::HOST, self.url.authority())
            .header(
                hyper::header::USER_AGENT,
                concat!("Tipring/", env!("CARGO_PKG_VERSION")),
            );
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            b = b.header(COOKIE, c.join("; "));
        }
        if let Some(a) = self.authorization() {
            b = b.header(AUTHORIZATION, HeaderValue::from_str(&a)?);
        }
        if let Some(raw) = &self.raw_body {
            // An Upload's file.
            let body = String::from_utf8_lossy(raw).into_owned();
            return Ok(b
                .header(CONTENT_TYPE, "application/octet-stream")
                .body(body)?);
        }
        if !body.is_empty() {
            // TR-069 §3.4.1: text/xml; the empty POST carries no Content-Type.
            b = b
                .header(CONTENT_TYPE, "text/xml; charset=\"utf-8\"")
                .header("SOAPAction", "");
        }
        Ok(b.body(body.to_string())?)
    }

    async fn read(
        &mut self,
        resp: hyper::Response<hyper::body::Incoming>,
    ) -> anyhow::Result<Exchange> {
        let status = resp.status();
        for v in resp.headers().get_all(SET_COOKIE) {
            if let Some((k, v)) = v
                .to_str()
                .ok()
                .and_then(|s| s.split(';').next())
                .and_then(|kv| kv.split_once('='))
            {
                self.cookies
                    .insert(k.trim().to_string(), v.trim().to_string());
            }
        }
        let challenges = resp
            .headers()
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        let close = resp
            .headers()
            .get(hyper::header::CONNECTION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let mut body = resp.into_body();
        let mut bytes = Vec::new();
        while let Some(frame) = std::future::poll_fn(|cx| {
            hyper::body::Body::poll_frame(std::pin::Pin::new(&mut body), cx)
        })
        .await
        {
            let frame = frame.context("reading the ACS's answer")?;
            if let Some(d) = frame.data_ref() {
                if bytes.len() + d.len() > self.max_body {
                    self.conn = None;
                    bail!("the answer is larger than {} bytes", self.max_body);
                }
                bytes.extend_from_slice(d);
            }
        }
        if close {
            self.conn = None;
        }
        Ok(Exchange {
            status: status.as_u16(),
            challenges,
            reply: Reply {
                status: status.as_u16(),
                body: bytes,
            },
        })
    }

    async fn connect(&self) -> anyhow::Result<SendRequest<String>> {
        let addr = match self.settings.connect_to {
            Some(a) => a,
            None => tokio::net::lookup_host((self.url.host.as_str(), self.url.port))
                .await
                .with_context(|| format!("resolving {}", self.url.host))?
                .next()
                .with_context(|| format!("{} has no address", self.url.host))?,
        };
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to the ACS at {addr}"))?;
        let _ = tcp.set_nodelay(true);
        if self.url.tls {
            let cfg = self
                .settings
                .tls
                .clone()
                .context("an https ACS URL needs TLS settings (CA certificates)")?;
            let name = rustls::pki_types::ServerName::try_from(self.url.host.clone())
                .with_context(|| format!("`{}` as a TLS server name", self.url.host))?;
            let tls = tokio_rustls::TlsConnector::from(cfg)
                .connect(name, tcp)
                .await
                .with_context(|| format!("TLS with the ACS at {addr}"))?;
            handshake(TokioIo::new(tls)).await
        } else {
            handshake(TokioIo::new(tcp)).await
        }
    }
}

async fn handshake<T>(io: T) -> anyhow::Result<SendRequest<String>>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .context("HTTP handshake with the ACS")?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "ACS connection ended");
        }
    });
    Ok(sender)
}

/// A response with what the session needs from its headers.
struct Exchange {
    status: u16,
    challenges: Vec<String>,
    reply: Reply,
}

impl std::ops::Deref for Exchange {
    type Target = Reply;
    fn deref(&self) -> &Reply {
        &self.reply
    }
}

/// A rustls client configuration for an https ACS: servers must chain to a certificate in
/// `ca_pem` (the system store is not used); `client` is the device's certificate chain and
/// key (PEM) when the ACS identifies devices by certificate.
pub fn tls_config(
    ca_pem: &[u8],
    client: Option<(&[u8], &[u8])>,
) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in tipring_sip_transport::certs_from_pem(ca_pem).context("ACS CA certificates")? {
        roots.add(cert).context("ACS CA certificate")?;
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots);
    let cfg = match client {
        Some((chain, key)) => {
            let id = tipring_sip_transport::Identity::from_pem(chain, key)
                .context("the device's client certificate")?;
            builder.with_client_auth_cert(id.cert_chain, id.key)?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(cfg))
}

/// A status code's number (for callers matching on [`Reply::status`]).
pub fn is_success(status: u16) -> bool {
    StatusCode::from_u16(status).is_ok_and(|s| s.is_success())
}

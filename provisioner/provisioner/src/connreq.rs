//! Connection requests (TR-069 §3.2.2): an HTTP GET to the device's ConnectionRequestURL,
//! answering its digest challenge with the ConnectionRequestUsername/Password the ACS set
//! (kept sealed as the device's `cr_username` / `cr_password` secrets). The device then
//! opens a session with `6 CONNECTION REQUEST` and takes its queued tasks.
//!
//! A device behind NAT cannot be reached over TCP; when it has reported a
//! `ManagementServer.UDPConnectionRequestAddress` (TR-069 Annex G, learnt with STUN) and
//! the HTTP request fails, the request goes as Annex G UDP datagrams instead: an HTTP GET
//! line whose query carries `ts`, `id`, `un`, `cn` and `sig` = HMAC-SHA1 over them keyed
//! with the password (G.2.1.1), sent several times with the same `id` (G.2.1.2).

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Empty};
use hyper::body::Bytes;

use crate::app::{db, App};

/// How long one connection request may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Names of the sealed secrets that hold a device's connection-request credentials.
pub const CR_USERNAME: &str = "cr_username";
/// See [`CR_USERNAME`].
pub const CR_PASSWORD: &str = "cr_password";

/// Send connection requests for the device ids that arrive, a few at a time.
pub async fn worker(app: Arc<App>, mut kicks: tokio::sync::mpsc::UnboundedReceiver<String>) {
    let limit = Arc::new(tokio::sync::Semaphore::new(16));
    while let Some(id) = kicks.recv().await {
        let Ok(permit) = Arc::clone(&limit).acquire_owned().await else {
            return;
        };
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            match send(&app, &id).await {
                Ok(status) => tracing::info!(device = %id, status, "connection request sent"),
                Err(e) => tracing::warn!(device = %id, error = %e, "connection request failed"),
            }
            drop(permit);
        });
    }
}

/// One connection request; the device's final HTTP status.
pub async fn send(app: &Arc<App>, id: &str) -> anyhow::Result<u16> {
    let key = id.to_string();
    let (device, user, pass) = db(app, move |s| {
        Ok((
            s.device(&key)?,
            s.secret(&key, CR_USERNAME)?,
            s.secret(&key, CR_PASSWORD)?,
        ))
    })
    .await?;
    let device = device.ok_or_else(|| anyhow::anyhow!("no such device"))?;
    let url = device
        .connection_request_url
        .ok_or_else(|| anyhow::anyhow!("the device has not reported a ConnectionRequestURL"))?;
    let creds = match (user, pass) {
        (Some(u), Some(p)) => Some((
            app.sealer.open(id, CR_USERNAME, &u)?.to_string(),
            app.sealer.open(id, CR_PASSWORD, &p)?.to_string(),
        )),
        _ => None,
    };
    let http = tokio::time::timeout(TIMEOUT, get(&url, creds.clone()))
        .await
        .map_err(|_| anyhow::anyhow!("no answer within {TIMEOUT:?}"))
        .and_then(|r| r);
    if http.is_ok() {
        return http;
    }
    // Annex G: the UDP address the device learnt with STUN, from the parameter cache.
    let key = id.to_string();
    let udp = db(app, move |s| s.parameters(&key, ""))
        .await?
        .into_iter()
        .find(|p| {
            p.name
                .ends_with("ManagementServer.UDPConnectionRequestAddress")
        })
        .map(|p| p.value)
        .filter(|v| !v.is_empty());
    match (udp, creds) {
        (Some(addr), Some((user, pass))) => {
            send_udp(&addr, &user, &pass, crate::app::unix_now()).await?;
            tracing::info!(device = %id, %addr, "HTTP connection request failed; sent Annex G UDP");
            Ok(0)
        }
        _ => http,
    }
}

/// How many copies of one UDP Connection Request go out (Annex G.2.1.2: the ACS sends it
/// several times, the CPE acts once per `id`).
const UDP_COPIES: usize = 3;

/// The datagram of an Annex G UDP Connection Request (G.2.1.1) to `addr`
/// (`host:port`), signed with the connection-request password.
pub fn udp_request(
    addr: &str,
    username: &str,
    password: &str,
    ts: i64,
    id: &str,
    cn: &str,
) -> Vec<u8> {
    let ts = ts.to_string();
    let key = ring::hmac::Key::new(
        ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        password.as_bytes(),
    );
    let tag = ring::hmac::sign(&key, format!("{ts}{id}{username}{cn}").as_bytes());
    let sig: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    let esc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    format!(
        "GET http://{addr}?ts={ts}&id={id}&un={}&cn={cn}&sig={sig} HTTP/1.1\r\nHost: {addr}\r\n\r\n",
        esc(username)
    )
    .into_bytes()
}

/// Send one Annex G UDP Connection Request to `addr` (several copies).
pub async fn send_udp(addr: &str, username: &str, password: &str, now: i64) -> anyhow::Result<()> {
    let target = tokio::net::lookup_host(addr)
        .await?
        .next()
        .ok_or_else(|| anyhow::anyhow!("{addr}: no address"))?;
    let bind: std::net::SocketAddr = if target.is_ipv4() {
        "0.0.0.0:0".parse()?
    } else {
        "[::]:0".parse()?
    };
    let sock = tokio::net::UdpSocket::bind(bind).await?;
    let id = crate::app::random_token(9);
    let cn = crate::app::random_token(12);
    let datagram = udp_request(addr, username, password, now, &id, &cn);
    for i in 0..UDP_COPIES {
        sock.send_to(&datagram, target).await?;
        if i + 1 < UDP_COPIES {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}

/// GET `url` (http only, as TR-069 connection requests are), answering one digest
/// challenge with `creds`.
pub async fn get(url: &str, creds: Option<(String, String)>) -> anyhow::Result<u16> {
    let uri: hyper::Uri = url.parse()?;
    if uri.scheme_str() != Some("http") {
        anyhow::bail!("a connection request URL is http://");
    }
    let host = uri
        .host()
        .ok_or_else(|| anyhow::anyhow!("no host in {url}"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri.port_u16().unwrap_or(80);
    let path = uri
        .path_and_query()
        .map_or("/".to_string(), |p| p.as_str().to_string());
    let authority = uri
        .authority()
        .map_or(host.to_string(), |a| a.as_str().to_string());
    // Each request on a connection of its own: many CPEs close the connection after the
    // 401 (ours serves one request per connection).
    let send = |auth: Option<String>| {
        let (path, authority) = (path.clone(), authority.clone());
        async move {
            let stream = tokio::net::TcpStream::connect((host, port)).await?;
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            let mut b = hyper::Request::get(path.as_str()).header(hyper::header::HOST, &authority);
            if let Some(a) = auth {
                b = b.header(hyper::header::AUTHORIZATION, a);
            }
            let resp = sender.send_request(b.body(Empty::<Bytes>::new())?).await?;
            let status = resp.status().as_u16();
            let challenge = resp
                .headers()
                .get_all(hyper::header::WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find(|v| v.trim_start().to_ascii_lowercase().starts_with("digest"))
                .map(String::from);
            let _ = resp.into_body().collect().await;
            anyhow::Ok((status, challenge))
        }
    };
    let (status, challenge) = send(None).await?;
    if status != 401 {
        return Ok(status);
    }
    let (Some(challenge), Some((user, pass))) = (challenge, creds) else {
        return Ok(status);
    };
    let cnonce = crate::app::random_token(12);
    let auth = crate::digest::answer(&challenge, "GET", &path, &user, &pass, &cnonce)
        .ok_or_else(|| anyhow::anyhow!("a digest challenge we cannot answer: {challenge}"))?;
    Ok(send(Some(auth)).await?.0)
}

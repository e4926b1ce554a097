//! Connection requests (TR-069 §3.2.2): an HTTP GET to the device's ConnectionRequestURL,
//! answering its digest challenge with the ConnectionRequestUsername/Password the ACS set
//! (kept sealed as the device's `cr_username` / `cr_password` secrets). The device then
//! opens a session with `6 CONNECTION REQUEST` and takes its queued tasks.

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
    tokio::time::timeout(TIMEOUT, get(&url, creds))
        .await
        .map_err(|_| anyhow::anyhow!("no answer within {TIMEOUT:?}"))?
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
    let stream = tokio::net::TcpStream::connect((host, port)).await?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let authority = uri
        .authority()
        .map_or(host.to_string(), |a| a.as_str().to_string());
    let request = |auth: Option<String>| {
        let mut b = hyper::Request::get(path.as_str()).header(hyper::header::HOST, &authority);
        if let Some(a) = auth {
            b = b.header(hyper::header::AUTHORIZATION, a);
        }
        b.body(Empty::<Bytes>::new())
    };
    let first = sender.send_request(request(None)?).await?;
    let status = first.status().as_u16();
    if status != 401 {
        return Ok(status);
    }
    let challenge = first
        .headers()
        .get_all(hyper::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.trim_start().to_ascii_lowercase().starts_with("digest"))
        .map(String::from);
    let _ = first.into_body().collect().await;
    let (Some(challenge), Some((user, pass))) = (challenge, creds) else {
        return Ok(status);
    };
    let cnonce = crate::app::random_token(12);
    let auth = crate::digest::answer(&challenge, "GET", &path, &user, &pass, &cnonce)
        .ok_or_else(|| anyhow::anyhow!("a digest challenge we cannot answer: {challenge}"))?;
    let second = sender.send_request(request(Some(auth))?).await?;
    Ok(second.status().as_u16())
}

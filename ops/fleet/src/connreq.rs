//! The fleet's Connection Request listener: one socket for every simulated gateway, the
//! gateway named by the path (`/cr/FLEET000007`). Each request goes to the scheduler,
//! which checks it against that gateway's credentials with the engine's
//! [`ConnReqAuth`](tipring_cpe::connreq::ConnReqAuth) and answers with its verdict.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use tipring_cpe::connreq::Verdict;

use crate::fleet::CrRequest;

/// How long a request waits for the scheduler (it answers only while a run is on).
const WAIT: Duration = Duration::from_secs(5);

type Resp = hyper::Response<Full<Bytes>>;

fn status(code: u16) -> Resp {
    let mut r = hyper::Response::new(Full::new(Bytes::new()));
    *r.status_mut() =
        hyper::StatusCode::from_u16(code).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    r
}

/// The gateway index a path names: `/cr/` + the serial prefix + its number.
fn index_of(path: &str, prefix: &str, first: u32, len: usize) -> Option<u32> {
    let n: u64 = path
        .strip_prefix("/cr/")?
        .strip_prefix(prefix)?
        .parse()
        .ok()?;
    let i = n.checked_sub(u64::from(first))?;
    (i < len as u64).then_some(i as u32)
}

async fn handle(
    req: hyper::Request<hyper::body::Incoming>,
    tx: &tokio::sync::mpsc::Sender<CrRequest>,
    routing: &(String, u32, usize),
) -> Resp {
    let path = req.uri().path().to_string();
    let Some(index) = index_of(&path, &routing.0, routing.1, routing.2) else {
        return status(404);
    };
    let (reply, verdict) = tokio::sync::oneshot::channel();
    let cr = CrRequest {
        index,
        method: req.method().as_str().to_string(),
        path,
        authorization: req
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        reply,
    };
    if tx.send(cr).await.is_err() {
        return status(503);
    }
    match tokio::time::timeout(WAIT, verdict).await {
        Ok(Ok(Verdict::Accept)) => status(200),
        Ok(Ok(Verdict::Challenge(values))) => {
            let mut r = status(401);
            for v in values {
                if let Ok(h) = hyper::header::HeaderValue::from_str(&v) {
                    r.headers_mut().append(hyper::header::WWW_AUTHENTICATE, h);
                }
            }
            r
        }
        Ok(Ok(Verdict::BadMethod)) => status(405),
        Ok(Ok(Verdict::NotFound)) => status(404),
        // Over the rate limit, in a session, or no run on.
        _ => status(503),
    }
}

/// Serve Connection Requests on `listener` until aborted.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    tx: tokio::sync::mpsc::Sender<CrRequest>,
    routing: Arc<(String, u32, usize)>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let tx = tx.clone();
        let routing = Arc::clone(&routing);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(
                move |req: hyper::Request<hyper::body::Incoming>| {
                    let tx = tx.clone();
                    let routing = Arc::clone(&routing);
                    async move { Ok::<_, std::convert::Infallible>(handle(req, &tx, &routing).await) }
                },
            );
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::index_of;

    #[test]
    fn paths_name_gateways_by_serial() {
        assert_eq!(index_of("/cr/FLEET000001", "FLEET", 1, 10), Some(0));
        assert_eq!(index_of("/cr/FLEET000010", "FLEET", 1, 10), Some(9));
        assert_eq!(index_of("/cr/FLEET000011", "FLEET", 1, 10), None);
        assert_eq!(index_of("/cr/FLEET000000", "FLEET", 1, 10), None);
        assert_eq!(index_of("/cr/OTHER000001", "FLEET", 1, 10), None);
        assert_eq!(index_of("/FLEET000001", "FLEET", 1, 10), None);
    }
}

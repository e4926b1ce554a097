//! The ACS endpoint: CWMP sessions over HTTP(S) (TR-069 §3.4).
//!
//! A session is a series of POSTs on one connection (and one cookie): the Inform, then
//! whatever [`tipring_acs::session::Session`] answers until it says 204. The shell here
//! does what the core cannot: TLS and the client certificate, HTTP authentication
//! (digest against the device's sealed ACS password; Basic over TLS against a
//! pre-registration's initial secret), loading the device, its due tasks, its profile
//! and secrets, generating secrets a profile needs (stored sealed *before* any is sent),
//! and writing what the session learned in one transaction when it ends.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use tipring_acs::admission::{admit, Admission, Credential};
use tipring_acs::model::{AuditEntry, Device, Enrollment, Task};
use tipring_acs::session::{Reply, Session};
use tipring_store::Write;

use crate::app::{db, random_token, sha256_hex, unix_now, App};
use crate::pki::CertIdentity;

/// The sealed secret holding a device's ACS password (HTTP digest toward us).
pub const ACS_PASSWORD: &str = "acs_password";
/// The session cookie.
const COOKIE: &str = "tipring_acs_session";

/// A session between two POSTs.
#[derive(Debug)]
struct Live {
    session: Session,
    device: String,
    last: i64,
    /// The tasks this node claimed for the session, as they were before the claim: those
    /// the session leaves untouched go back to the queue when it ends.
    claimed: Vec<Task>,
    /// New tasks were queued for the device meanwhile (a task wake-up): claim them into
    /// the session before its next reply.
    woken: bool,
    /// Parameters its Inform carried: a session that learned more read the data model,
    /// and the node's memo of the device's plan is dropped.
    inform_params: usize,
}

/// The live sessions, by cookie.
#[derive(Debug, Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Live>>,
}

impl Sessions {
    fn take(&self, id: &str) -> Option<Live> {
        self.map.lock().ok()?.remove(id)
    }

    fn put(&self, id: String, live: Live) {
        if let Ok(mut m) = self.map.lock() {
            m.insert(id, live);
        }
    }

    /// A device got new tasks: its open session on this node (if any) takes them before
    /// its next reply. A session between `take` and `put` (a POST being handled) misses
    /// it; the task then waits for the device's next session.
    pub fn wake(&self, device: &str) {
        if let Ok(mut m) = self.map.lock() {
            for l in m.values_mut().filter(|l| l.device == device) {
                l.woken = true;
            }
        }
    }

    /// How many sessions are open.
    pub fn len(&self) -> usize {
        self.map.lock().map_or(0, |m| m.len())
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn expired(&self, before: i64) -> Vec<Live> {
        let Ok(mut m) = self.map.lock() else {
            return Vec::new();
        };
        let ids: Vec<String> = m
            .iter()
            .filter(|(_, l)| l.last < before)
            .map(|(k, _)| k.clone())
            .collect();
        ids.into_iter().filter_map(|k| m.remove(&k)).collect()
    }
}

/// One connection's facts.
#[derive(Debug, Clone)]
struct Conn {
    peer: SocketAddr,
    tls: bool,
    cert: Option<CertIdentity>,
    /// The session this connection carries (for CPEs that drop cookies).
    session: Arc<Mutex<Option<String>>>,
}

/// Accept devices on `listener` (TLS when `tls`), forever.
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "ACS accept");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let app = Arc::clone(&app);
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            match acceptor {
                Some(a) => {
                    let tls = match tokio::time::timeout(
                        std::time::Duration::from_secs(10),
                        a.accept(stream),
                    )
                    .await
                    {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            tracing::info!(%peer, error = %e, "ACS TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    };
                    let cert = tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|c| c.first())
                        .and_then(|c| crate::pki::identity(c).ok());
                    let conn = Conn {
                        peer,
                        tls: true,
                        cert,
                        session: Arc::default(),
                    };
                    serve_conn(app, conn, hyper_util::rt::TokioIo::new(tls)).await;
                }
                None => {
                    let conn = Conn {
                        peer,
                        tls: false,
                        cert: None,
                        session: Arc::default(),
                    };
                    serve_conn(app, conn, hyper_util::rt::TokioIo::new(stream)).await;
                }
            }
        });
    }
}

async fn serve_conn<I>(app: Arc<App>, conn: Conn, io: I)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let app = Arc::clone(&app);
        let conn = conn.clone();
        async move { Ok::<_, std::convert::Infallible>(handle(app, conn, req).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service)
        .await;
}

type Resp = hyper::Response<Full<Bytes>>;

fn plain(status: u16, text: &str) -> Resp {
    let mut r = hyper::Response::new(Full::new(Bytes::from(text.to_string())));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_REQUEST);
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn reply_response(reply: Reply, cookie: Option<&str>) -> Resp {
    let mut r = hyper::Response::new(Full::new(Bytes::from(reply.body)));
    *r.status_mut() =
        hyper::StatusCode::from_u16(reply.status).unwrap_or(hyper::StatusCode::NO_CONTENT);
    if reply.status == 200 {
        r.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("text/xml; charset=\"utf-8\""),
        );
        r.headers_mut()
            .insert("SOAPAction", hyper::header::HeaderValue::from_static(""));
    }
    if let Some(c) = cookie {
        if let Ok(v) =
            hyper::header::HeaderValue::from_str(&format!("{COOKIE}={c}; Path=/; HttpOnly"))
        {
            r.headers_mut().insert(hyper::header::SET_COOKIE, v);
        }
    }
    r
}

fn cookie_of(req: &hyper::Request<hyper::body::Incoming>) -> Option<String> {
    req.headers()
        .get_all(hyper::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

async fn handle(app: Arc<App>, conn: Conn, req: hyper::Request<hyper::body::Incoming>) -> Resp {
    if req.method() == hyper::Method::GET && req.uri().path().starts_with("/firmware/") {
        let pq = req
            .uri()
            .path_and_query()
            .map_or(String::new(), |p| p.as_str().to_string());
        let range = req
            .headers()
            .get(hyper::header::RANGE)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let app2 = Arc::clone(&app);
        let served = tokio::task::spawn_blocking(move || {
            app2.firmware.serve(&pq, range.as_deref(), unix_now())
        })
        .await;
        let Ok((status, headers, body)) = served else {
            return plain(500, "\n");
        };
        if status == 200 || status == 206 {
            tracing::info!(peer = %conn.peer, status, bytes = body.len(), "firmware served");
        }
        let mut r = hyper::Response::new(Full::new(Bytes::from(body)));
        *r.status_mut() =
            hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::NOT_FOUND);
        for (k, v) in headers {
            if let Ok(v) = hyper::header::HeaderValue::from_str(&v) {
                r.headers_mut().insert(k, v);
            }
        }
        return r;
    }
    if req.method() != hyper::Method::POST {
        return plain(405, "the ACS takes POST (TR-069 §3.4)\n");
    }
    let cookie = cookie_of(&req);
    let auth = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let body = match Limited::new(req.into_body(), app.settings.max_body)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => return plain(413, "request body too large\n"),
    };
    let now = unix_now();
    // A session in progress: by cookie, else the one this connection carries.
    let carried = conn.session.lock().ok().and_then(|s| s.clone());
    for id in [cookie.clone(), carried].into_iter().flatten() {
        if let Some(mut live) = app.sessions.take(&id) {
            if std::mem::take(&mut live.woken) {
                take_new_tasks(&app, &mut live, now).await;
            }
            let reply = live.session.handle(&body, now);
            if reply.done {
                if let Ok(mut s) = conn.session.lock() {
                    *s = None;
                }
                finish(&app, live, now, true).await;
            } else {
                live.last = now;
                app.sessions.put(id, live);
            }
            return reply_response(reply, None);
        }
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        // An empty POST with no session: nothing to do (§3.7.1.4: end it).
        return plain(204, "");
    }
    match start(&app, &conn, auth.as_deref(), &body, now).await {
        Ok((id, live, reply)) => {
            let done = reply.done;
            if done {
                finish(&app, live, now, true).await;
                reply_response(reply, None)
            } else {
                if let Ok(mut s) = conn.session.lock() {
                    *s = Some(id.clone());
                }
                app.sessions.put(id.clone(), live);
                reply_response(reply, Some(&id))
            }
        }
        Err(resp) => resp,
    }
}

/// This process's name among the provisioner nodes that share a store: tasks it claims
/// are leased to it, and go back to the queue if it dies holding them.
fn node_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "node".into());
        format!("{host}-{}-{}", std::process::id(), random_token(6))
    })
}

/// Stateless digest nonces: a time and an HMAC of it under a key made at start.
fn nonce_key() -> &'static ring::hmac::Key {
    static KEY: std::sync::OnceLock<ring::hmac::Key> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &crate::app::random_bytes::<32>())
    })
}

fn make_nonce(now: i64) -> String {
    let tag = ring::hmac::sign(nonce_key(), now.to_string().as_bytes());
    let hex: String = tag.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{now}.{hex}")
}

fn nonce_ok(nonce: &str, now: i64) -> bool {
    let Some((t, hex)) = nonce.split_once('.') else {
        return false;
    };
    let Ok(t) = t.parse::<i64>() else {
        return false;
    };
    if !(now - 300..=now + 5).contains(&t) {
        return false;
    }
    let tag = ring::hmac::sign(nonce_key(), t.to_string().as_bytes());
    let want: String = tag.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    crate::digest::same(want.as_bytes(), hex.as_bytes())
}

fn challenge_response(now: i64, basic: bool) -> Resp {
    let mut r = plain(401, "authentication required\n");
    let v = if basic {
        format!("Basic realm=\"{}\"", crate::digest::REALM)
    } else {
        crate::digest::challenge(&make_nonce(now), crate::digest::Algorithm::Sha256, false)
    };
    if let Ok(h) = hyper::header::HeaderValue::from_str(&v) {
        r.headers_mut().insert(hyper::header::WWW_AUTHENTICATE, h);
    }
    r
}

/// Everything known about a device before its session starts.
#[derive(Debug)]
struct Known {
    device: Option<Device>,
    /// The rollouts it is an active target of (read on BOOT Informs only).
    rollouts: Vec<tipring_store::DeviceRollout>,
    prereg: Option<tipring_acs::model::Preregistration>,
    claim: Option<tipring_acs::model::ClaimCode>,
    /// Every sealed secret of the device (its ACS password among them).
    secrets: Vec<(String, Vec<u8>)>,
}

async fn start(
    app: &Arc<App>,
    conn: &Conn,
    auth: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(String, Live, Reply), Resp> {
    let info = tipring_acs::inform::read_inform(body).map_err(|e| {
        tracing::info!(peer = %conn.peer, error = %e, "not an Inform");
        plain(400, "a session starts with an Inform\n")
    })?;
    let id = info.key.id();
    let known = {
        let (id, key, code) = (id.clone(), info.key.clone(), info.provisioning_code.clone());
        let boot = info.is_boot();
        db(app, move |s| {
            Ok(Known {
                rollouts: if boot {
                    s.device_rollouts(&id)?
                } else {
                    Vec::new()
                },
                device: s.device(&id)?,
                prereg: s.preregistration(&key.serial, &key.oui, &key.product_class)?,
                claim: if code.is_empty() {
                    None
                } else {
                    s.claim(&sha256_hex(&code))?
                },
                secrets: s.secrets(&id)?,
            })
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "store");
            plain(503, "the store is unavailable\n")
        })?
    };
    let acs_password = known
        .secrets
        .iter()
        .find(|(n, _)| n == ACS_PASSWORD)
        .map(|(_, v)| v);
    let password = match acs_password {
        Some(sealed) => Some(app.sealer.open(&id, ACS_PASSWORD, sealed).map_err(|e| {
            tracing::error!(device = %id, error = %e, "the ACS password does not open");
            plain(500, "server key problem\n")
        })?),
        None => None,
    };
    let basic_allowed = conn.tls || app.settings.allow_plain_http;
    let credential = match (&conn.cert, auth) {
        (Some(c), _) => Credential::Certificate {
            serial: c.serial.clone(),
            oui: c.oui.clone(),
            product_class: c.product_class.clone(),
            sha256: c.sha256.clone(),
        },
        (None, Some(h)) if h.trim_start().to_ascii_lowercase().starts_with("digest") => {
            let Some(pw) = &password else {
                return Err(challenge_response(
                    now,
                    known.prereg.is_some() && basic_allowed,
                ));
            };
            match crate::digest::verify(h, "POST", pw.as_str(), |n| nonce_ok(n, now)) {
                Ok(username) => Credential::Digest { username },
                Err(why) => {
                    tracing::info!(device = %id, peer = %conn.peer, why, "digest refused");
                    return Err(challenge_response(now, false));
                }
            }
        }
        (None, Some(h)) if basic_allowed => match crate::digest::parse_basic(h) {
            Some((user, pass)) => {
                let by_password = password
                    .as_ref()
                    .is_some_and(|pw| crate::digest::same(pw.as_str().as_bytes(), pass.as_bytes()));
                let by_initial = password.is_none()
                    && known
                        .prereg
                        .as_ref()
                        .and_then(|p| p.initial_secret_sha256.as_deref())
                        .is_some_and(|h| h == sha256_hex(&pass));
                if by_password || by_initial {
                    Credential::Digest { username: user }
                } else {
                    tracing::info!(device = %id, peer = %conn.peer, "basic credentials refused");
                    return Err(challenge_response(now, password.is_none()));
                }
            }
            None => return Err(challenge_response(now, password.is_none())),
        },
        (None, _) => {
            if password.is_some() {
                return Err(challenge_response(now, false));
            }
            if basic_allowed
                && known
                    .prereg
                    .as_ref()
                    .is_some_and(|p| p.initial_secret_sha256.is_some())
            {
                return Err(challenge_response(now, true));
            }
            Credential::None
        }
    };
    let admission = admit(
        &info,
        &credential,
        known.device.as_ref(),
        known.prereg.as_ref(),
        known.claim.as_ref(),
        now,
    );
    let (device, mut writes, quarantined) = match admission {
        Admission::Refuse {
            status,
            reason,
            audit,
        } => {
            tracing::info!(device = %id, peer = %conn.peer, status, %reason, "session refused");
            if !audit.is_empty() {
                let w: Vec<Write> = audit.into_iter().map(Write::Audit).collect();
                let _ = db(app, move |s| s.apply(w)).await;
            }
            return Err(if status == 401 {
                challenge_response(now, false)
            } else {
                plain(status, &format!("{reason}\n"))
            });
        }
        Admission::Quarantine { device, audit } => {
            let mut w = vec![Write::PutDevice(device.clone())];
            w.extend(audit.into_iter().map(Write::Audit));
            (device, w, true)
        }
        Admission::Accept {
            device,
            audit,
            consume_claim,
        } => {
            let mut w = vec![Write::PutDevice(device.clone())];
            w.extend(audit.into_iter().map(Write::Audit));
            if let Some(code_sha256) = consume_claim {
                w.push(Write::ConsumeClaim {
                    code_sha256,
                    device: device.id.clone(),
                });
            }
            // A BOOT on the rollout's version confirms it; on the old one after an
            // install, the device rolled back.
            w.extend(crate::rollouts::boot_reports(
                &info,
                &device.id,
                &known.rollouts,
                now,
            ));
            (device, w, false)
        }
    };
    let mut device = device;
    device.last_address = Some(conn.peer.ip().to_string());
    if let Some(Write::PutDevice(d)) = writes.first_mut() {
        d.last_address = device.last_address.clone();
    }
    // Store what admission decided before the session runs: a claim is spent once, a new
    // device exists before its session writes to it. A known device whose Inform changed
    // nothing but itself (a periodic Inform) is written once, when the session ends.
    let applied = if writes.len() > 1 || known.device.is_none() {
        let w = writes.clone();
        db(app, move |s| s.apply(w)).await
    } else {
        Ok(Vec::new())
    };
    if let Err(e) = applied {
        tracing::warn!(device = %id, error = %e, "admission not stored");
        return Err(plain(409, "enrollment conflict; try again\n"));
    }
    writes.clear();
    let (tasks, awaiting, cache, plan) = if quarantined || device.enrollment != Enrollment::Approved
    {
        (Vec::new(), Vec::new(), Vec::new(), None)
    } else {
        let key = device.id.clone();
        // Claimed (leased to this node) so that two nodes never run one task; the
        // session sees each task as it was before the claim (a claimed Download is not
        // one awaiting its TransferComplete).
        let node = node_id().to_string();
        let lease = app.settings.session_timeout_s * 2;
        let transfer_done = info.has_event(tipring_cwmp::event_code::TRANSFER_COMPLETE);
        let (secrets, for_plan) = (known.secrets.clone(), device.clone());
        let (tasks, awaiting, inputs) = db(app, move |s| {
            // The transfers an earlier session sent: this session's TransferComplete
            // reports one of them.
            let awaiting = if transfer_done {
                s.awaiting_transfers(&key)?
            } else {
                Vec::new()
            };
            let tasks = claim(s, &key, now, &node, lease)?;
            let inputs = crate::provision::PlanInputs::read(s, &for_plan, secrets)?;
            Ok((tasks, awaiting, inputs))
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "store");
            plain(503, "the store is unavailable\n")
        })?;
        // A periodic Inform of a device that has its plan, with nothing to do: no plan, no
        // parameter cache (see provision::PlanMemo).
        let quiet = info.events.iter().all(|e| {
            matches!(
                e.event_code.as_str(),
                tipring_cwmp::event_code::PERIODIC
                    | tipring_cwmp::event_code::CONNECTION_REQUEST
                    | tipring_cwmp::event_code::SCHEDULED
            )
        });
        let in_sync = quiet
            && tasks.is_empty()
            && awaiting.is_empty()
            && crate::provision::fingerprint(&inputs, &device, &app.settings.acs_url)
                .is_some_and(|fp| app.plans.unchanged(&device, &fp));
        if in_sync {
            // Nothing claimed, nothing awaited: the InformResponse, then 204.
            (tasks, awaiting, Vec::new(), None)
        } else {
            let key = device.id.clone();
            let cache = db(app, move |s| s.parameters(&key, ""))
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "store");
                    plain(503, "the store is unavailable\n")
                })?;
            let plan = match crate::provision::plan_for(app, &device, &cache, inputs, now).await {
                Ok(p) => p,
                Err(why) => {
                    tracing::warn!(device = %id, %why, "no provisioning plan");
                    let entry = AuditEntry {
                        id: 0,
                        at: now,
                        actor: "provisioner".into(),
                        action: "provision.error".into(),
                        target: id.clone(),
                        detail: serde_json::json!({ "error": why }),
                    };
                    let _ = db(app, move |s| s.apply(vec![Write::Audit(entry)])).await;
                    None
                }
            };
            (tasks, awaiting, cache, plan)
        }
    };
    let cfg = tipring_acs::AcsConfig::default();
    // As stored (passwords sealed): what goes back to the queue if the session leaves it.
    let claimed = tasks.clone();
    let mut tasks = tasks;
    tasks.extend(awaiting);
    for t in &mut tasks {
        crate::app::open_task(&app.sealer, t);
    }
    let inform_params = info.parameters.len();
    let (session, reply) = Session::start(&cfg, info, device, tasks, plan, cache, now);
    let cookie = random_token(24);
    Ok((
        cookie,
        Live {
            session,
            device: id,
            last: now,
            claimed,
            woken: false,
            inform_params,
        },
        reply,
    ))
}

/// Claim a device's due tasks for this node; each as it was before the claim (a claimed
/// Download is not one awaiting its TransferComplete).
fn claim(
    s: &dyn tipring_store::Store,
    device: &str,
    now: i64,
    node: &str,
    lease: i64,
) -> tipring_store::Result<Vec<Task>> {
    let due = s.due_tasks(device, now)?;
    let claimed = s.claim_due_tasks(device, now, node, lease)?;
    Ok(claimed
        .into_iter()
        .map(|mut t| {
            if let Some(d) = due.iter().find(|d| d.id == t.id) {
                t.state = d.state;
                t.updated_at = d.updated_at;
            }
            t
        })
        .collect())
}

/// Tasks queued for the device while its session is open: claimed, and handed to the
/// session; those it does not take go back to the queue when it ends, as its own do.
async fn take_new_tasks(app: &Arc<App>, live: &mut Live, now: i64) {
    let key = live.device.clone();
    let node = node_id().to_string();
    let lease = app.settings.session_timeout_s * 2;
    match db(app, move |s| claim(s, &key, now, &node, lease)).await {
        Ok(tasks) if !tasks.is_empty() => {
            let mut opened = tasks.clone();
            for t in &mut opened {
                crate::app::open_task(&app.sealer, t);
            }
            let taken = live.session.add_tasks(opened);
            tracing::debug!(device = %live.device, tasks = taken.len(), "tasks joined an open session");
            live.claimed.extend(tasks);
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(device = %live.device, error = %e, "new tasks not claimed"),
    }
}

/// Follow the store's task wake-ups (every node's, on PostgreSQL) for the open sessions.
pub fn follow_wakeups(app: &Arc<App>) -> anyhow::Result<()> {
    let rx = app.store.task_wakeups()?;
    // Weak: the store holds the sending side, so the thread ends when the app goes.
    let app = Arc::downgrade(app);
    std::thread::Builder::new()
        .name("task-wakeups".into())
        .spawn(move || {
            for device in rx {
                let Some(app) = app.upgrade() else {
                    return;
                };
                app.sessions.wake(&device);
            }
        })?;
    Ok(())
}

/// Write what a session learned, in one transaction.
async fn finish(app: &Arc<App>, live: Live, now: i64, ok: bool) {
    let mut outcome = live.session.finish(now, ok);
    if outcome.parameters.len() > live.inform_params || !outcome.removed_prefixes.is_empty() {
        app.plans.forget(&live.device);
    }
    let reports = crate::rollouts::task_reports(&mut outcome.tasks, now);
    for t in &mut outcome.tasks {
        crate::app::seal_task(&app.sealer, t);
    }
    let mut writes = vec![Write::PutDevice(outcome.device.clone())];
    if !outcome.parameters.is_empty() {
        writes.push(Write::PutParameters {
            device: live.device.clone(),
            parameters: outcome.parameters.clone(),
        });
    }
    for prefix in &outcome.removed_prefixes {
        writes.push(Write::DeleteParameters {
            device: live.device.clone(),
            prefix: prefix.clone(),
        });
    }
    writes.extend(outcome.tasks.iter().cloned().map(Write::PutTask));
    // Sent and accepted, reported later by TransferComplete: not to be claimed again.
    writes.extend(
        outcome
            .tasks
            .iter()
            .filter(|t| t.state == tipring_acs::model::TaskState::InFlight && t.id != 0)
            .map(|t| Write::AwaitTransfer(t.id)),
    );
    // Claimed but not touched (the RPC budget, a session cut short): back to the queue.
    writes.extend(
        live.claimed
            .iter()
            .filter(|c| !outcome.tasks.iter().any(|t| t.id == c.id))
            .cloned()
            .map(Write::PutTask),
    );
    writes.extend(outcome.audit.iter().cloned().map(Write::Audit));
    let rollouts: std::collections::BTreeSet<String> = reports
        .iter()
        .filter_map(|w| match w {
            Write::ReportRollout { rollout, .. } => Some(rollout.clone()),
            _ => None,
        })
        .collect();
    writes.extend(reports);
    let settled = outcome.tasks.clone();
    let id = live.device.clone();
    let key = id.clone();
    let learned = outcome.parameters;
    let removed = outcome.removed_prefixes;
    let stored = db(app, move |s| {
        // What operators own (enrollment, site, tags) may have changed during the
        // session: keep theirs. A device deleted meanwhile stays deleted.
        let Some(fresh) = s.device(&key)? else {
            return Ok(false);
        };
        if let Some(Write::PutDevice(d)) = writes.first_mut() {
            d.enrollment = fresh.enrollment;
            d.site = fresh.site;
            d.tags = fresh.tags;
            summarize(s, d, &learned, &removed)?;
        }
        s.apply(writes).map(|_| true)
    })
    .await;
    match stored {
        Ok(true) => {
            app.events.device(&id);
            for t in settled.iter().filter(|t| t.id != 0) {
                app.events.task(t);
            }
            for r in rollouts {
                app.events.publish(crate::events::Event::Rollout {
                    id: r,
                    state: "reported".into(),
                });
            }
        }
        Ok(false) => tracing::info!(device = %id, "deleted during its session; outcome dropped"),
        Err(e) => tracing::error!(device = %id, error = %e, "session outcome not stored"),
    }
}

/// Keep the device's summary columns true to what the session learned: its periodic
/// inform interval, and its voice lines and how many are registered (recounted over the
/// cached statuses with this session's values on top, when any line status changed).
fn summarize(
    s: &dyn tipring_store::Store,
    d: &mut Device,
    learned: &[tipring_acs::model::CachedParameter],
    removed: &[String],
) -> tipring_store::Result<()> {
    use tipring_acs::lines;
    if let Some(p) = learned.iter().find(|p| lines::is_inform_interval(&p.name)) {
        if let Ok(v) = p.value.trim().parse::<u32>() {
            d.inform_interval_s = Some(v);
        }
    }
    let root = match d.root {
        tipring_acs::model::Root::InternetGatewayDevice => "InternetGatewayDevice.",
        _ => "Device.",
    };
    let voice = format!("{root}Services.VoiceService.");
    let touched = learned.iter().any(|p| lines::is_line_status(&p.name))
        || removed
            .iter()
            .any(|r| r.starts_with(&voice) || voice.starts_with(r.as_str()));
    if !touched {
        return Ok(());
    }
    let mut statuses: std::collections::BTreeMap<String, String> = s
        .parameters(&d.id, &voice)?
        .into_iter()
        .filter(|p| lines::is_line_status(&p.name))
        .map(|p| (p.name, p.value))
        .collect();
    statuses.retain(|name, _| !removed.iter().any(|r| name.starts_with(r.as_str())));
    for p in learned.iter().filter(|p| lines::is_line_status(&p.name)) {
        statuses.insert(p.name.clone(), p.value.clone());
    }
    (d.lines, d.lines_up) = lines::count(statuses.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    Ok(())
}

/// Drop sessions idle past the timeout (their in-flight tasks go back to the queue).
pub async fn reaper(app: Arc<App>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        tick.tick().await;
        let now = unix_now();
        for live in app.sessions.expired(now - app.settings.session_timeout_s) {
            tracing::info!(device = %live.device, "CWMP session timed out");
            finish(&app, live, now, false).await;
        }
    }
}

//! The REST API (`/api/v1/...`, JSON). Every call needs a token (`Authorization: Bearer`);
//! read-only tokens read, operators also change devices, enrollment, sites, profiles and
//! tasks, admins also manage tokens and reveal secrets. Every change is written together
//! with its audit record, or not at all. Bad input is a 4xx with
//! `{"error": ..., "field": ...}` naming what is wrong. `GET /api/openapi.json` describes it.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tipring_acs::model::{
    AuditEntry, ClaimCode, Device, DriftPolicy, Enrollment, Preregistration, Profile, Role, Site,
    Task, TaskKind, TaskState,
};
use tipring_store::{AuditFilter, DeviceFilter, TaskFilter, Write};

use crate::app::{db, random_token, sha256_hex, unix_now, App};
use crate::auth::{new_token, parse_role, role_name, Caller};
use crate::error::{ApiError, ApiResult};

/// The API's routes.
pub fn router(app: Arc<App>) -> Router {
    let max_body = app.settings.max_body;
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/api/v1/devices", get(list_devices))
        .route(
            "/api/v1/devices/{id}",
            get(get_device).patch(patch_device).delete(delete_device),
        )
        .route("/api/v1/devices/{id}/approve", post(approve_device))
        .route("/api/v1/devices/{id}/reject", post(reject_device))
        .route(
            "/api/v1/devices/{id}/tasks",
            post(queue_task).get(device_tasks),
        )
        .route(
            "/api/v1/devices/{id}/connection-request",
            post(connection_request),
        )
        .route("/api/v1/devices/{id}/secrets", get(secret_names))
        .route(
            "/api/v1/devices/{id}/secrets/{name}/reveal",
            post(reveal_secret),
        )
        .route("/api/v1/tasks", get(list_tasks))
        .route("/api/v1/tasks/{id}", get(get_task).delete(cancel_task))
        .route(
            "/api/v1/preregistrations",
            get(list_preregistrations).post(import_preregistrations),
        )
        .route(
            "/api/v1/preregistrations/{serial}",
            axum::routing::delete(delete_preregistration),
        )
        .route("/api/v1/claims", get(list_claims).post(create_claim))
        .route("/api/v1/sites", get(list_sites))
        .route(
            "/api/v1/sites/{name}",
            get(get_site).put(put_site).delete(delete_site),
        )
        .route("/api/v1/profiles", get(list_profiles))
        .route(
            "/api/v1/profiles/{name}",
            get(get_profile).put(put_profile).delete(delete_profile),
        )
        .route("/api/v1/profiles/{name}/apply", post(apply_profile))
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{name}", axum::routing::delete(revoke_token))
        .route("/api/v1/audit", get(list_audit))
        .route(
            "/api/v1/firmware",
            get(list_firmware)
                .post(upload_firmware)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_IMAGE)),
        )
        .route(
            "/api/v1/firmware/{id}",
            get(get_firmware).delete(delete_firmware),
        )
        .route("/api/v1/devices/{id}/firmware", post(upgrade_device))
        .merge(crate::rollouts::routes())
        .merge(crate::console::routes())
        .merge(crate::events::routes())
        .merge(crate::views::routes())
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such endpoint") })
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .with_state(app)
}

async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
}

// ---------------------------------------------------------------------------------------
// Helpers

/// Parse a JSON body, naming the field that does not fit.
pub(crate) fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> ApiResult<T> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path == "?" || path.is_empty() {
            ApiError::field("body", format!("not the JSON this call takes: {inner}"))
        } else {
            ApiError::field(path, inner.to_string())
        }
    })
}

/// A name: 1..=64 of `[A-Za-z0-9._-]`.
pub(crate) fn check_name(field: &str, s: &str) -> ApiResult<()> {
    if s.is_empty()
        || s.len() > 64
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err(ApiError::field(
            field,
            "must be 1 to 64 characters of A-Z a-z 0-9 . _ -",
        ));
    }
    Ok(())
}

pub(crate) fn check_tags(field: &str, tags: &[String]) -> ApiResult<()> {
    if tags.len() > 32 {
        return Err(ApiError::field(field, "at most 32 tags"));
    }
    for (i, t) in tags.iter().enumerate() {
        check_name(&format!("{field}[{i}]"), t)?;
    }
    Ok(())
}

pub(crate) fn audit(caller: &Caller, action: &str, target: &str, detail: Value) -> Write {
    Write::Audit(AuditEntry {
        id: 0,
        at: unix_now(),
        actor: caller.name.clone(),
        action: action.into(),
        target: target.into(),
        detail,
    })
}

pub(crate) async fn device_or_404(app: &Arc<App>, id: &str) -> ApiResult<Device> {
    let key = id.to_string();
    db(app, move |s| s.device(&key))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("device {id}")))
}

async fn site_must_exist(app: &Arc<App>, field: &str, site: &Option<String>) -> ApiResult<()> {
    if let Some(name) = site {
        check_name(field, name)?;
        let n = name.clone();
        if db(app, move |s| s.site(&n)).await?.is_none() {
            return Err(ApiError::field(field, format!("no site named {name}")));
        }
    }
    Ok(())
}

pub(crate) fn task(device: &str, kind: TaskKind, by: &str) -> Task {
    let now = unix_now();
    Task {
        id: 0,
        device: device.to_string(),
        kind,
        state: TaskState::Queued,
        attempts: 0,
        next_attempt_at: now,
        fault: None,
        result: None,
        created_at: now,
        created_by: by.to_string(),
        updated_at: now,
    }
}

fn enrollment_name(e: Enrollment) -> &'static str {
    match e {
        Enrollment::Pending => "pending",
        Enrollment::Approved => "approved",
        Enrollment::Rejected => "rejected",
    }
}

// ---------------------------------------------------------------------------------------
// Devices

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeviceQuery {
    site: Option<String>,
    tag: Option<String>,
    enrollment: Option<String>,
    model: Option<String>,
    software_version: Option<String>,
    q: Option<String>,
    /// Serial starts with this.
    serial: Option<String>,
    /// `online` or `offline`.
    status: Option<String>,
    #[serde(default)]
    faulted: bool,
    /// Only devices with a voice line not registered.
    #[serde(default)]
    lines_down: bool,
    /// `id` (default), `serial`, `last_inform`, `model`, `software_version`, `site`,
    /// `faults`, `lines_down`.
    sort: Option<String>,
    /// `asc` (default) or `desc`.
    order: Option<String>,
    #[serde(default)]
    limit: u32,
    #[serde(default)]
    offset: u32,
}

async fn list_devices(
    State(app): State<Arc<App>>,
    _caller: Caller,
    query: Result<Query<DeviceQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = query.map_err(|e| ApiError::field("query", e.body_text()))?;
    let filter = device_filter(&app, q)?;
    let (devices, total) = db(&app, move |s| {
        Ok((s.devices(&filter)?, s.count_devices(&filter)?))
    })
    .await?;
    let now = unix_now();
    let iv = app.settings.default_inform_interval_s;
    let devices: Vec<Value> = devices
        .into_iter()
        .map(|d| {
            let online = tipring_store::Presence::is_online(&d, now, iv);
            let mut v = serde_json::to_value(d).unwrap_or(Value::Null);
            v["online"] = Value::Bool(online);
            v
        })
        .collect();
    Ok(Json(json!({ "total": total, "devices": devices })))
}

/// The store's filter for a device listing's query (shared with the bulk actions).
pub(crate) fn device_filter(app: &App, q: DeviceQuery) -> ApiResult<DeviceFilter> {
    let enrollment = match q.enrollment.as_deref() {
        None => None,
        Some("pending") => Some(Enrollment::Pending),
        Some("approved") => Some(Enrollment::Approved),
        Some("rejected") => Some(Enrollment::Rejected),
        Some(_) => {
            return Err(ApiError::field(
                "enrollment",
                "one of pending, approved, rejected",
            ))
        }
    };
    if q.limit > 1000 {
        return Err(ApiError::field("limit", "at most 1000"));
    }
    let presence = match q.status.as_deref() {
        None | Some("") => None,
        Some(s @ ("online" | "offline")) => Some(tipring_store::Presence {
            online: s == "online",
            now: unix_now(),
            default_interval_s: app.settings.default_inform_interval_s,
        }),
        Some(_) => return Err(ApiError::field("status", "online or offline")),
    };
    let sort = match q.sort.as_deref() {
        None | Some("") => tipring_store::DeviceSort::Id,
        Some(s) => tipring_store::DeviceSort::ALL
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                let names: Vec<&str> = tipring_store::DeviceSort::ALL
                    .iter()
                    .map(|(n, _)| *n)
                    .collect();
                ApiError::field("sort", format!("one of {}", names.join(", ")))
            })?,
    };
    let descending = match q.order.as_deref() {
        None | Some("") | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ApiError::field("order", "asc or desc")),
    };
    let nonempty = |s: Option<String>| s.filter(|s| !s.is_empty());
    Ok(DeviceFilter {
        site: nonempty(q.site),
        tag: nonempty(q.tag),
        enrollment,
        model: nonempty(q.model),
        software_version: nonempty(q.software_version),
        text: nonempty(q.q),
        faulted: q.faulted,
        serial_prefix: nonempty(q.serial),
        presence,
        lines_down: q.lines_down,
        sort,
        descending,
        limit: q.limit,
        offset: q.offset,
    })
}

async fn get_device(
    State(app): State<Arc<App>>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let device = device_or_404(&app, &id).await?;
    let key = id.clone();
    let (parameters, tasks, secrets, profiles) = db(&app, move |s| {
        Ok((
            s.parameters(&key, "")?,
            s.tasks(&TaskFilter {
                device: Some(key.clone()),
                state: None,
                limit: 50,
            })?,
            s.secret_names(&key)?,
            s.profiles()?,
        ))
    })
    .await?;
    let profile = crate::provision::select_profile(&profiles, &device).map(|p| p.name.clone());
    let online = tipring_store::Presence::is_online(
        &device,
        unix_now(),
        app.settings.default_inform_interval_s,
    );
    let tasks: Vec<Task> = tasks.into_iter().map(shown).collect();
    let faults: Vec<&Task> = tasks
        .iter()
        .filter(|t| t.state == TaskState::Failed)
        .collect();
    Ok(Json(json!({
        "device": device,
        "online": online,
        "profile": profile,
        "parameters": parameters,
        "tasks": tasks,
        "faults": faults,
        "secrets": secrets,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DevicePatch {
    #[serde(default, deserialize_with = "some")]
    site: Option<Option<String>>,
    tags: Option<Vec<String>>,
}

/// `"site": null` clears, an absent `site` leaves it.
fn some<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

async fn patch_device(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Device>> {
    caller.require(Role::Operator)?;
    let patch: DevicePatch = body(&bytes)?;
    let mut device = device_or_404(&app, &id).await?;
    if let Some(site) = &patch.site {
        site_must_exist(&app, "site", site).await?;
        device.site = site.clone();
    }
    if let Some(tags) = patch.tags {
        check_tags("tags", &tags)?;
        device.tags = tags;
    }
    let detail = json!({ "site": device.site, "tags": device.tags });
    let writes = vec![
        Write::PutDevice(device.clone()),
        audit(&caller, "device.update", &id, detail),
    ];
    db(&app, move |s| s.apply(writes)).await?;
    app.events.device(&id);
    Ok(Json(device))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Approval {
    site: Option<String>,
    tags: Option<Vec<String>>,
}

async fn approve_device(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Operator)?;
    let a: Approval = if bytes.is_empty() {
        Approval::default()
    } else {
        body(&bytes)?
    };
    site_must_exist(&app, "site", &a.site).await?;
    let mut device = device_or_404(&app, &id).await?;
    device.enrollment = Enrollment::Approved;
    if a.site.is_some() {
        device.site = a.site;
    }
    if let Some(tags) = a.tags {
        check_tags("tags", &tags)?;
        device.tags = tags;
    }
    let detail = json!({ "site": device.site, "tags": device.tags });
    let writes = vec![
        Write::PutDevice(device.clone()),
        Write::PutTask(task(&id, TaskKind::Provision, &caller.name)),
        audit(&caller, "device.approve", &id, detail),
    ];
    let ids = db(&app, move |s| s.apply(writes)).await?;
    app.events.device(&id);
    let _ = app.kick.send(id.clone());
    Ok(Json(json!({ "device": device, "task": ids.first() })))
}

async fn reject_device(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Device>> {
    caller.require(Role::Operator)?;
    let mut device = device_or_404(&app, &id).await?;
    device.enrollment = Enrollment::Rejected;
    let writes = vec![
        Write::PutDevice(device.clone()),
        audit(&caller, "device.reject", &id, json!({})),
    ];
    db(&app, move |s| s.apply(writes)).await?;
    app.events.device(&id);
    Ok(Json(device))
}

async fn delete_device(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require(Role::Admin)?;
    // The store refuses to delete what is not there (404), in the same transaction.
    let writes = vec![
        Write::DeleteDevice(id.clone()),
        audit(&caller, "device.delete", &id, json!({})),
    ];
    db(&app, move |s| s.apply(writes)).await?;
    Ok(StatusCode::NO_CONTENT)
}

// No deny_unknown_fields: serde does not allow it beside `flatten`.
#[derive(Debug, Deserialize)]
struct TaskRequest {
    #[serde(flatten)]
    kind: TaskKind,
    /// Ask the device to connect now.
    #[serde(default)]
    connection_request: bool,
}

fn check_task(kind: &TaskKind) -> ApiResult<()> {
    let path_ok = |field: &str, p: &str, object: bool| {
        if p.len() > 256 || p.chars().any(|c| c.is_control() || c == ' ') {
            return Err(ApiError::field(field, "not a parameter path"));
        }
        if object && !p.ends_with('.') {
            return Err(ApiError::field(field, "an object path ends with '.'"));
        }
        Ok(())
    };
    match kind {
        TaskKind::GetParameterValues { names } => {
            if names.is_empty() || names.len() > 1000 {
                return Err(ApiError::field("names", "1 to 1000 names"));
            }
            for (i, n) in names.iter().enumerate() {
                path_ok(&format!("names[{i}]"), n, false)?;
            }
        }
        TaskKind::SetParameterValues { values } => {
            if values.is_empty() || values.len() > 1000 {
                return Err(ApiError::field("values", "1 to 1000 values"));
            }
            for (i, (n, v)) in values.iter().enumerate() {
                path_ok(&format!("values[{i}][0]"), n, false)?;
                if n.ends_with('.') {
                    return Err(ApiError::field(
                        format!("values[{i}][0]"),
                        "a parameter, not an object",
                    ));
                }
                if v.len() > 4096 {
                    return Err(ApiError::field(
                        format!("values[{i}][1]"),
                        "at most 4096 bytes",
                    ));
                }
            }
        }
        TaskKind::GetParameterNames { path, .. } => path_ok("path", path, false)?,
        TaskKind::AddObject { path } | TaskKind::DeleteObject { path } => {
            path_ok("path", path, true)?
        }
        TaskKind::Download { url, file_type, .. } => {
            if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() > 1024 {
                return Err(ApiError::field("url", "an http:// or https:// URL"));
            }
            if file_type.is_empty() || file_type.len() > 64 {
                return Err(ApiError::field(
                    "file_type",
                    "e.g. \"1 Firmware Upgrade Image\"",
                ));
            }
        }
        TaskKind::GetParameterAttributes { names } => {
            if names.is_empty() || names.len() > 1000 {
                return Err(ApiError::field("names", "1 to 1000 names"));
            }
            for (i, n) in names.iter().enumerate() {
                path_ok(&format!("names[{i}]"), n, false)?;
            }
        }
        TaskKind::SetParameterAttributes { attributes } => {
            if attributes.is_empty() || attributes.len() > 1000 {
                return Err(ApiError::field("attributes", "1 to 1000 changes"));
            }
            for (i, a) in attributes.iter().enumerate() {
                path_ok(&format!("attributes[{i}].name"), &a.name, false)?;
                if a.notification.is_some_and(|n| n > 6) {
                    return Err(ApiError::field(
                        format!("attributes[{i}].notification"),
                        "0 (off) to 6",
                    ));
                }
                if a.notification.is_none() && a.access_list.is_none() {
                    return Err(ApiError::field(
                        format!("attributes[{i}]"),
                        "give notification, access_list or both",
                    ));
                }
            }
        }
        TaskKind::Upload { url, file_type, .. }
        | TaskKind::ScheduleDownload { url, file_type, .. } => {
            if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() > 1024 {
                return Err(ApiError::field("url", "an http:// or https:// URL"));
            }
            if file_type.is_empty() || file_type.len() > 64 {
                return Err(ApiError::field("file_type", "e.g. \"2 Vendor Log File\""));
            }
            if let TaskKind::ScheduleDownload { time_windows, .. } = kind {
                if time_windows.is_empty() || time_windows.len() > 2 {
                    return Err(ApiError::field("time_windows", "one or two windows"));
                }
            }
        }
        TaskKind::ScheduleInform { delay_seconds } => {
            if *delay_seconds == 0 {
                return Err(ApiError::field("delay_seconds", "at least 1"));
            }
        }
        TaskKind::CancelTransfer { command_key } => {
            if command_key.is_empty() || command_key.len() > 32 {
                return Err(ApiError::field(
                    "command_key",
                    "1 to 32 characters (task-ID)",
                ));
            }
        }
        TaskKind::Reboot
        | TaskKind::FactoryReset
        | TaskKind::Provision
        | TaskKind::GetRpcMethods
        | TaskKind::GetAllQueuedTransfers => {}
    }
    Ok(())
}

/// A task as the API shows it: file-server passwords emptied.
fn shown(mut t: Task) -> Task {
    t.kind = t.kind.redacted();
    t
}

async fn queue_task(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(Role::Operator)?;
    let req: TaskRequest = body(&bytes)?;
    check_task(&req.kind)?;
    let device = device_or_404(&app, &id).await?;
    if device.enrollment != Enrollment::Approved {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "device {id} is {}: approve it first",
                enrollment_name(device.enrollment)
            ),
        ));
    }
    let mut t = task(&id, req.kind.clone(), &caller.name);
    // A file server password is kept sealed, opened only for the RPC.
    crate::app::seal_task(&app.sealer, &mut t);
    let detail = serde_json::to_value(req.kind.redacted()).unwrap_or(Value::Null);
    let writes = vec![Write::PutTask(t), audit(&caller, "task.queue", &id, detail)];
    let ids = db(&app, move |s| s.apply(writes)).await?;
    if let Some(&tid) = ids.first() {
        app.events.publish(crate::events::Event::Task {
            id: tid,
            device: id.clone(),
            state: "queued".into(),
        });
    }
    if req.connection_request {
        let _ = app.kick.send(id.clone());
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({ "task": ids.first(), "connection_request": req.connection_request })),
    ))
}

async fn device_tasks(
    State(app): State<Arc<App>>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Task>>> {
    device_or_404(&app, &id).await?;
    let f = TaskFilter {
        device: Some(id),
        state: None,
        limit: 100,
    };
    Ok(Json(
        db(&app, move |s| s.tasks(&f))
            .await?
            .into_iter()
            .map(shown)
            .collect(),
    ))
}

async fn connection_request(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require(Role::Operator)?;
    let device = device_or_404(&app, &id).await?;
    if device.connection_request_url.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("device {id} has not told us its ConnectionRequestURL"),
        ));
    }
    let writes = vec![audit(&caller, "device.connection_request", &id, json!({}))];
    db(&app, move |s| s.apply(writes)).await?;
    let _ = app.kick.send(id);
    Ok(StatusCode::ACCEPTED)
}

async fn secret_names(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<String>>> {
    caller.require(Role::Operator)?;
    device_or_404(&app, &id).await?;
    Ok(Json(db(&app, move |s| s.secret_names(&id)).await?))
}

async fn reveal_secret(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Admin)?;
    let (d, n) = (id.clone(), name.clone());
    let sealed = db(&app, move |s| s.secret(&d, &n))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("secret {name} of device {id}")))?;
    let value = app.sealer.open(&id, &name, &sealed).map_err(|e| {
        tracing::error!(device = %id, secret = %name, error = %e, "a secret does not open");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the secret does not open with this server's key",
        )
    })?;
    // The reveal is recorded before the value leaves: no record, no value.
    let writes = vec![audit(
        &caller,
        "secret.reveal",
        &id,
        json!({ "name": name }),
    )];
    db(&app, move |s| s.apply(writes)).await?;
    Ok(Json(
        json!({ "device": id, "name": name, "value": value.as_str() }),
    ))
}

// ---------------------------------------------------------------------------------------
// Tasks

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskQuery {
    device: Option<String>,
    state: Option<String>,
    #[serde(default)]
    limit: u32,
}

fn parse_task_state(s: &str) -> Option<TaskState> {
    serde_json::from_value(Value::String(s.to_string())).ok()
}

async fn list_tasks(
    State(app): State<Arc<App>>,
    _caller: Caller,
    query: Result<Query<TaskQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Vec<Task>>> {
    let Query(q) = query.map_err(|e| ApiError::field("query", e.body_text()))?;
    let state = match q.state.as_deref() {
        None => None,
        Some(s) => Some(parse_task_state(s).ok_or_else(|| {
            ApiError::field(
                "state",
                "one of queued, in_flight, done, retrying, failed, cancelled",
            )
        })?),
    };
    if q.limit > 1000 {
        return Err(ApiError::field("limit", "at most 1000"));
    }
    let f = TaskFilter {
        device: q.device,
        state,
        limit: q.limit,
    };
    Ok(Json(
        db(&app, move |s| s.tasks(&f))
            .await?
            .into_iter()
            .map(shown)
            .collect(),
    ))
}

async fn get_task(
    State(app): State<Arc<App>>,
    _caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Task>> {
    db(&app, move |s| s.task(id))
        .await?
        .map(|t| Json(shown(t)))
        .ok_or_else(|| ApiError::not_found(format!("task {id}")))
}

async fn cancel_task(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Task>> {
    caller.require(Role::Operator)?;
    let mut t = db(&app, move |s| s.task(id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("task {id}")))?;
    if !matches!(t.state, TaskState::Queued | TaskState::Retrying) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("task {id} is no longer waiting; it cannot be cancelled"),
        ));
    }
    t.state = TaskState::Cancelled;
    t.updated_at = unix_now();
    let target = t.device.clone();
    let writes = vec![
        Write::PutTask(t.clone()),
        audit(&caller, "task.cancel", &target, json!({ "task": id })),
    ];
    db(&app, move |s| s.apply(writes)).await?;
    app.events.task(&t);
    Ok(Json(shown(t)))
}

// ---------------------------------------------------------------------------------------
// Enrollment

async fn list_preregistrations(
    State(app): State<Arc<App>>,
    _caller: Caller,
) -> ApiResult<Json<Vec<Preregistration>>> {
    Ok(Json(db(&app, |s| s.preregistrations()).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PreregIn {
    serial: String,
    #[serde(default)]
    oui: String,
    #[serde(default)]
    product_class: String,
    site: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    /// The device's initial ACS password (devices without a factory certificate); only
    /// its SHA-256 is kept.
    initial_secret: Option<String>,
}

/// Parse a CSV of pre-registrations: a header line naming the columns (`serial` is
/// required; `oui`, `product_class`, `site`, `tags` separated by `;`, `initial_secret`
/// optional), then one device per line. Errors name the line and column.
fn parse_prereg_csv(text: &str) -> ApiResult<(Vec<PreregIn>, Vec<usize>)> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((_, header)) = lines.next() else {
        return Err(ApiError::field(
            "csv",
            "empty: the first line names the columns",
        ));
    };
    let cols: Vec<String> = header.split(',').map(|c| c.trim().to_lowercase()).collect();
    const KNOWN: &[&str] = &[
        "serial",
        "oui",
        "product_class",
        "site",
        "tags",
        "initial_secret",
    ];
    for c in &cols {
        if !KNOWN.contains(&c.as_str()) {
            return Err(ApiError::field(
                "csv line 1",
                format!("unknown column {c:?} (known: {})", KNOWN.join(", ")),
            ));
        }
    }
    if !cols.iter().any(|c| c == "serial") {
        return Err(ApiError::field("csv line 1", "a serial column is required"));
    }
    let mut out = Vec::new();
    let mut numbers = Vec::new();
    for (n, line) in lines {
        numbers.push(n + 1);
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != cols.len() {
            return Err(ApiError::field(
                format!("csv line {}", n + 1),
                format!("{} cells; the header has {}", cells.len(), cols.len()),
            ));
        }
        let get = |name: &str| {
            cols.iter()
                .position(|c| c == name)
                .map(|i| cells[i].to_string())
                .unwrap_or_default()
        };
        let site = get("site");
        let secret = get("initial_secret");
        out.push(PreregIn {
            serial: get("serial"),
            oui: get("oui"),
            product_class: get("product_class"),
            site: (!site.is_empty()).then_some(site),
            tags: get("tags")
                .split(';')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect(),
            initial_secret: (!secret.is_empty()).then_some(secret),
        });
    }
    Ok((out, numbers))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportQuery {
    /// Check every row and say what would be imported; store nothing.
    #[serde(default)]
    dry_run: bool,
}

/// Check one pre-registration: the field at fault and why.
fn check_prereg(
    p: &PreregIn,
    sites: &BTreeMap<String, ()>,
    seen: &mut std::collections::BTreeSet<(String, String, String)>,
) -> Result<(), (&'static str, String)> {
    if p.serial.is_empty()
        || p.serial.len() > 64
        || p.serial.chars().any(|c| c.is_control() || c == ' ')
    {
        return Err(("serial", "1 to 64 printable characters".into()));
    }
    if !p.oui.is_empty() && (p.oui.len() != 6 || !p.oui.bytes().all(|b| b.is_ascii_hexdigit())) {
        return Err(("oui", "6 hex digits".into()));
    }
    if p.product_class.len() > 64 {
        return Err(("product_class", "at most 64 characters".into()));
    }
    if let Some(site) = &p.site {
        if !sites.contains_key(site) {
            return Err(("site", format!("no site named {site}")));
        }
    }
    if let Err(e) = check_tags("tags", &p.tags) {
        return Err(("tags", e.message().to_string()));
    }
    if let Some(s) = &p.initial_secret {
        if s.len() < 12 || s.len() > 128 {
            return Err((
                "initial_secret",
                "12 to 128 characters (value not shown)".into(),
            ));
        }
    }
    if !seen.insert((p.serial.clone(), p.oui.clone(), p.product_class.clone())) {
        return Err(("serial", "listed twice".into()));
    }
    Ok(())
}

/// Import pre-registrations (JSON array, or CSV with `Content-Type: text/csv`). Every row
/// is checked; with any row wrong nothing is stored and the answer (400, naming the first
/// wrong row's field as `[i].field`) lists each row with its error in `rows`. `?dry_run=true` answers the same list (200) and stores nothing.
async fn import_preregistrations(
    State(app): State<Arc<App>>,
    caller: Caller,
    query: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(Role::Operator)?;
    let Query(q) = query.map_err(|e| ApiError::field("query", e.body_text()))?;
    let csv = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    let (items, lines): (Vec<PreregIn>, Vec<usize>) = if csv {
        let text =
            std::str::from_utf8(&bytes).map_err(|_| ApiError::field("csv", "not UTF-8 text"))?;
        parse_prereg_csv(text)?
    } else {
        (body(&bytes)?, Vec::new())
    };
    if items.is_empty() || items.len() > 100_000 {
        return Err(ApiError::field("body", "1 to 100000 devices"));
    }
    let sites: BTreeMap<String, ()> = db(&app, |s| s.sites())
        .await?
        .into_iter()
        .map(|s| (s.name, ()))
        .collect();
    let mut writes = Vec::with_capacity(items.len() + 1);
    let mut seen = std::collections::BTreeSet::new();
    let mut rows = Vec::with_capacity(items.len());
    let mut first_error: Option<ApiError> = None;
    for (i, p) in items.iter().enumerate() {
        let checked = check_prereg(p, &sites, &mut seen);
        let error = match &checked {
            Ok(()) => Value::Null,
            Err((field, why)) => {
                if first_error.is_none() {
                    let why = match lines.get(i) {
                        Some(n) => format!("csv line {n}: {why}"),
                        None => why.clone(),
                    };
                    first_error = Some(ApiError::field(format!("[{i}].{field}"), why));
                }
                json!({ "field": field, "error": why })
            }
        };
        rows.push(json!({
            "row": i + 1,
            "line": lines.get(i),
            "serial": p.serial,
            "oui": p.oui.to_uppercase(),
            "product_class": p.product_class,
            "site": p.site,
            "tags": p.tags,
            "initial_secret": p.initial_secret.is_some(),
            "error": error,
        }));
        if checked.is_err() {
            continue;
        }
        writes.push(Write::PutPreregistration(Preregistration {
            serial: p.serial.clone(),
            oui: p.oui.to_uppercase(),
            product_class: p.product_class.clone(),
            site: p.site.clone(),
            tags: p.tags.clone(),
            initial_secret_sha256: p.initial_secret.as_deref().map(sha256_hex),
        }));
    }
    let invalid = rows.iter().filter(|r| !r["error"].is_null()).count();
    let report = json!({ "valid": rows.len() - invalid, "invalid": invalid, "rows": rows });
    if q.dry_run {
        return Ok((StatusCode::OK, Json(report)));
    }
    if let Some(e) = first_error {
        return Err(e.with_detail("rows", report["rows"].clone()));
    }
    let n = items.len();
    writes.push(audit(
        &caller,
        "preregistration.import",
        "preregistrations",
        json!({ "count": n }),
    ));
    db(&app, move |s| s.apply(writes)).await?;
    Ok((StatusCode::CREATED, Json(json!({ "imported": n }))))
}

async fn delete_preregistration(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(serial): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require(Role::Operator)?;
    let writes = vec![
        Write::DeletePreregistration(serial.clone()),
        audit(&caller, "preregistration.delete", &serial, json!({})),
    ];
    db(&app, move |s| s.apply(writes)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_claims(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> ApiResult<Json<Vec<ClaimCode>>> {
    caller.require(Role::Operator)?;
    Ok(Json(db(&app, |s| s.claims()).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimIn {
    site: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    /// Lifetime in seconds (default 7 days, at most 90 days).
    ttl_s: Option<i64>,
}

/// Default claim code lifetime.
const CLAIM_TTL: i64 = 7 * 24 * 3600;
/// Longest claim code lifetime.
const CLAIM_TTL_MAX: i64 = 90 * 24 * 3600;

async fn create_claim(
    State(app): State<Arc<App>>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(Role::Operator)?;
    let c: ClaimIn = body(&bytes)?;
    site_must_exist(&app, "site", &c.site).await?;
    check_tags("tags", &c.tags)?;
    let ttl = c.ttl_s.unwrap_or(CLAIM_TTL);
    if !(60..=CLAIM_TTL_MAX).contains(&ttl) {
        return Err(ApiError::field("ttl_s", "60 s to 90 days"));
    }
    // 20 characters of a 32-letter alphabet: 100 bits, easy to type from a label.
    let alphabet = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let raw = crate::app::random_bytes::<20>();
    let code: String = raw
        .iter()
        .enumerate()
        .flat_map(|(i, b)| {
            let c = alphabet[usize::from(*b) % 32] as char;
            (i > 0 && i % 5 == 0).then_some('-').into_iter().chain([c])
        })
        .collect();
    let now = unix_now();
    let claim = ClaimCode {
        code_sha256: sha256_hex(&code),
        site: c.site,
        tags: c.tags,
        expires_at: now + ttl,
        used_by: None,
        created_at: now,
        created_by: caller.name.clone(),
    };
    let detail = json!({ "site": claim.site, "expires_at": claim.expires_at,
                         "code_sha256": claim.code_sha256 });
    let writes = vec![
        Write::PutClaim(claim.clone()),
        audit(
            &caller,
            "claim.create",
            claim.site.as_deref().unwrap_or(""),
            detail,
        ),
    ];
    db(&app, move |s| s.apply(writes)).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "code": code, "expires_at": claim.expires_at, "site": claim.site,
                     "note": "shown once: give it to the installer; the gateway sends it as its ProvisioningCode" }),
        ),
    ))
}

// ---------------------------------------------------------------------------------------
// Sites and profiles

async fn list_sites(State(app): State<Arc<App>>, _caller: Caller) -> ApiResult<Json<Vec<Site>>> {
    Ok(Json(db(&app, |s| s.sites()).await?))
}

async fn get_site(
    State(app): State<Arc<App>>,
    _caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Site>> {
    let n = name.clone();
    db(&app, move |s| s.site(&n))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("site {name}")))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteIn {
    #[serde(default)]
    description: String,
    #[serde(default)]
    variables: BTreeMap<String, String>,
}

fn check_variables(field: &str, vars: &BTreeMap<String, String>) -> ApiResult<()> {
    if vars.len() > 100 {
        return Err(ApiError::field(field, "at most 100 variables"));
    }
    for (k, v) in vars {
        if k.is_empty()
            || k.len() > 64
            || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            || k.starts_with("secret")
        {
            return Err(ApiError::field(
                format!("{field}.{k}"),
                "a variable name is 1 to 64 of A-Z a-z 0-9 _ (not secret...)",
            ));
        }
        if v.len() > 1024 || v.chars().any(char::is_control) {
            return Err(ApiError::field(
                format!("{field}.{k}"),
                "at most 1024 characters, no control characters",
            ));
        }
    }
    Ok(())
}

/// A site from a PUT body (checked).
pub(crate) fn site_from(name: &str, bytes: &Bytes) -> ApiResult<Site> {
    check_name("name", name)?;
    let s: SiteIn = body(bytes)?;
    if s.description.len() > 1024 {
        return Err(ApiError::field("description", "at most 1024 characters"));
    }
    check_variables("variables", &s.variables)?;
    Ok(Site {
        name: name.to_string(),
        description: s.description,
        variables: s.variables,
    })
}

async fn put_site(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(name): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Site>> {
    caller.require(Role::Operator)?;
    let site = site_from(&name, &bytes)?;
    let detail = json!({ "variables": site.variables.keys().collect::<Vec<_>>() });
    let writes = vec![
        Write::PutSite(site.clone()),
        audit(&caller, "site.put", &name, detail),
    ];
    db(&app, move |s| s.apply(writes)).await?;
    Ok(Json(site))
}

async fn delete_site(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require(Role::Operator)?;
    // The store refuses to delete what is not there (404), in the same transaction.
    let writes = vec![
        Write::DeleteSite(name.clone()),
        audit(&caller, "site.delete", &name, json!({})),
    ];
    db(&app, move |s| s.apply(writes)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_profiles(
    State(app): State<Arc<App>>,
    _caller: Caller,
) -> ApiResult<Json<Vec<Profile>>> {
    Ok(Json(db(&app, |s| s.profiles()).await?))
}

async fn get_profile(
    State(app): State<Arc<App>>,
    _caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Profile>> {
    let n = name.clone();
    db(&app, move |s| s.profile(&n))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("profile {name}")))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileIn {
    #[serde(default)]
    priority: i32,
    model: Option<String>,
    site: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    /// The configuration template: a JSON document (or a string holding one).
    template: Value,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    drift: DriftPolicy,
}

/// A profile from a PUT body (checked, its site too).
pub(crate) async fn profile_from(app: &Arc<App>, name: &str, bytes: &Bytes) -> ApiResult<Profile> {
    check_name("name", name)?;
    let p: ProfileIn = body(bytes)?;
    site_must_exist(app, "site", &p.site).await?;
    check_tags("tags", &p.tags)?;
    check_variables("variables", &p.variables)?;
    if let Some(m) = &p.model {
        if m.is_empty() || m.len() > 64 {
            return Err(ApiError::field("model", "1 to 64 characters"));
        }
    }
    let template = match p.template {
        Value::String(s) => s,
        v @ Value::Object(_) => v.to_string(),
        _ => {
            return Err(ApiError::field(
                "template",
                "a JSON object (the configuration template)",
            ))
        }
    };
    if template.len() > 256 * 1024 {
        return Err(ApiError::field("template", "at most 256 KiB"));
    }
    let profile = Profile {
        name: name.to_string(),
        priority: p.priority,
        model: p.model,
        site: p.site,
        tags: p.tags,
        template,
        variables: p.variables,
        drift: p.drift,
    };
    crate::provision::check_profile(&profile)
        .map_err(|(field, why)| ApiError::field(field, why))?;
    Ok(profile)
}

async fn put_profile(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(name): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Profile>> {
    caller.require(Role::Operator)?;
    let profile = profile_from(&app, &name, &bytes).await?;
    let detail = json!({ "priority": profile.priority, "model": profile.model,
                         "site": profile.site, "tags": profile.tags });
    let writes = vec![
        Write::PutProfile(profile.clone()),
        audit(&caller, "profile.put", &name, detail),
    ];
    db(&app, move |s| s.apply(writes)).await?;
    Ok(Json(profile))
}

async fn delete_profile(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require(Role::Operator)?;
    // The store refuses to delete what is not there (404), in the same transaction.
    let writes = vec![
        Write::DeleteProfile(name.clone()),
        audit(&caller, "profile.delete", &name, json!({})),
    ];
    db(&app, move |s| s.apply(writes)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Queue a provisioning pass on every approved device the profile now governs, and ask
/// each one to connect (a profile change reaches a site at once).
async fn apply_profile(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Operator)?;
    let n = name.clone();
    let (profile, profiles) = db(&app, move |s| Ok((s.profile(&n)?, s.profiles()?))).await?;
    let profile = profile.ok_or_else(|| ApiError::not_found(format!("profile {name}")))?;
    let filter = DeviceFilter {
        site: profile.site.clone(),
        enrollment: Some(Enrollment::Approved),
        limit: 1000,
        ..DeviceFilter::default()
    };
    let mut targets = Vec::new();
    let mut offset = 0;
    loop {
        let f = DeviceFilter {
            offset,
            ..filter.clone()
        };
        let page = db(&app, move |s| s.devices(&f)).await?;
        let n = page.len();
        targets.extend(page.into_iter().filter(|d| {
            crate::provision::select_profile(&profiles, d).is_some_and(|p| p.name == name)
        }));
        if n < 1000 {
            break;
        }
        offset += 1000;
    }
    let mut writes: Vec<Write> = targets
        .iter()
        .map(|d| Write::PutTask(task(&d.id, TaskKind::Provision, &caller.name)))
        .collect();
    writes.push(audit(
        &caller,
        "profile.apply",
        &name,
        json!({ "devices": targets.len() }),
    ));
    db(&app, move |s| s.apply(writes)).await?;
    for d in &targets {
        let _ = app.kick.send(d.id.clone());
    }
    Ok(Json(json!({
        "profile": name,
        "devices": targets.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
    })))
}

// ---------------------------------------------------------------------------------------
// Tokens and audit

async fn list_tokens(State(app): State<Arc<App>>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require(Role::Admin)?;
    let tokens = db(&app, |s| s.tokens()).await?;
    Ok(Json(Value::Array(
        tokens
            .into_iter()
            .map(|t| {
                json!({ "name": t.name, "role": role_name(t.role), "created_at": t.created_at,
                        "revoked_at": t.revoked_at })
            })
            .collect(),
    )))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenIn {
    name: String,
    role: String,
}

async fn create_token(
    State(app): State<Arc<App>>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(Role::Admin)?;
    let t: TokenIn = body(&bytes)?;
    check_name("name", &t.name)?;
    let role = parse_role(&t.role)
        .ok_or_else(|| ApiError::field("role", "one of read_only, operator, admin"))?;
    let n = t.name.clone();
    if db(&app, |s| s.tokens()).await?.iter().any(|x| x.name == n) {
        return Err(ApiError::field("name", "a token with this name exists"));
    }
    let (token, stored) = new_token(&t.name, role);
    let writes = vec![
        Write::PutToken(stored),
        audit(&caller, "token.create", &t.name, json!({ "role": t.role })),
    ];
    db(&app, move |s| s.apply(writes)).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "name": t.name, "role": t.role, "token": token,
                     "note": "shown once; only its hash is kept" })),
    ))
}

async fn revoke_token(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require(Role::Admin)?;
    let mut t = db(&app, |s| s.tokens())
        .await?
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| ApiError::not_found(format!("token {name}")))?;
    if t.revoked_at.is_some() {
        return Ok(StatusCode::NO_CONTENT);
    }
    t.revoked_at = Some(unix_now());
    let writes = vec![
        Write::PutToken(t),
        audit(&caller, "token.revoke", &name, json!({})),
    ];
    db(&app, move |s| s.apply(writes)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    actor: Option<String>,
    target: Option<String>,
    action: Option<String>,
    since: Option<i64>,
    #[serde(default)]
    limit: u32,
}

async fn list_audit(
    State(app): State<Arc<App>>,
    caller: Caller,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    caller.require(Role::Operator)?;
    let Query(q) = query.map_err(|e| ApiError::field("query", e.body_text()))?;
    if q.limit > 1000 {
        return Err(ApiError::field("limit", "at most 1000"));
    }
    let f = AuditFilter {
        actor: q.actor,
        target: q.target,
        action: q.action,
        since: q.since,
        limit: q.limit,
    };
    Ok(Json(db(&app, move |s| s.audit(&f)).await?))
}

// ---------------------------------------------------------------------------------------
// Firmware

/// Largest firmware image taken, bytes.
const MAX_IMAGE: usize = 256 << 20;

async fn list_firmware(
    State(app): State<Arc<App>>,
    _caller: Caller,
) -> ApiResult<Json<Vec<crate::firmware::ImageInfo>>> {
    let app2 = Arc::clone(&app);
    let list = tokio::task::spawn_blocking(move || app2.firmware.list())
        .await
        .unwrap_or_default();
    Ok(Json(list))
}

async fn get_firmware(
    State(app): State<Arc<App>>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<crate::firmware::ImageInfo>> {
    app.firmware
        .get(&id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("firmware image {id}")))
}

/// Upload a signed image (the body is the image file): verified against the trusted
/// release keys before it is kept.
async fn upload_firmware(
    State(app): State<Arc<App>>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<crate::firmware::ImageInfo>)> {
    caller.require(Role::Operator)?;
    let app2 = Arc::clone(&app);
    let by = caller.name.clone();
    let added = tokio::task::spawn_blocking(move || app2.firmware.add(&bytes, &by, unix_now()))
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "upload failed"))?;
    let info = match added {
        Ok(i) => i,
        Err(crate::firmware::Refused::Image(why)) => return Err(ApiError::field("image", why)),
        Err(e) => {
            tracing::error!(error = %e, "firmware store");
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot store the image",
            ));
        }
    };
    let detail = json!({ "version": info.version, "model": info.model, "size": info.size });
    let writes = vec![audit(&caller, "firmware.upload", &info.id, detail)];
    db(&app, move |s| s.apply(writes)).await?;
    Ok((StatusCode::CREATED, Json(info)))
}

async fn delete_firmware(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require(Role::Admin)?;
    match app.firmware.remove(&id) {
        Ok(true) => {}
        Ok(false) => return Err(ApiError::not_found(format!("firmware image {id}"))),
        Err(e) => {
            tracing::error!(error = %e, "firmware store");
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot remove the image",
            ));
        }
    }
    let writes = vec![audit(&caller, "firmware.delete", &id, json!({}))];
    db(&app, move |s| s.apply(writes)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpgradeIn {
    /// The image's id.
    image: String,
    /// Ask the device to connect now.
    #[serde(default)]
    connection_request: bool,
}

/// How long a device's download URL stays good.
pub(crate) const DOWNLOAD_TTL: i64 = 7 * 24 * 3600;

/// Queue a firmware Download of a stored image for one device, with a URL only it may
/// use (signed, expiring).
async fn upgrade_device(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(Role::Operator)?;
    let u: UpgradeIn = body(&bytes)?;
    let image = app
        .firmware
        .get(&u.image)
        .ok_or_else(|| ApiError::field("image", "no such firmware image"))?;
    let device = device_or_404(&app, &id).await?;
    if device.enrollment != Enrollment::Approved {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("device {id} is not approved"),
        ));
    }
    let url = app.firmware.url(
        &crate::firmware::base_url(&app.settings.acs_url),
        &image.id,
        &id,
        unix_now() + DOWNLOAD_TTL,
    );
    let kind = TaskKind::Download {
        file_type: "1 Firmware Upgrade Image".into(),
        url,
        file_size: image.size,
        target_file_name: String::new(),
    };
    let detail = json!({ "image": image.id, "version": image.version });
    let writes = vec![
        Write::PutTask(task(&id, kind, &caller.name)),
        audit(&caller, "device.firmware", &id, detail),
    ];
    let ids = db(&app, move |s| s.apply(writes)).await?;
    if u.connection_request {
        let _ = app.kick.send(id.clone());
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({ "task": ids.first(), "version": image.version })),
    ))
}

/// A random strong password for a device secret: 24 characters, ~143 bits.
pub fn strong_password() -> String {
    random_token(18)
}

//! API calls made for the console (any API client may use them):
//!
//! * `GET /api/v1/whoami`: the calling token's name and role (the console shows only the
//!   actions the role may take; the API refuses the others anyway).
//! * `GET /api/v1/stats`: the fleet in numbers ([`tipring_store::FleetStats`]): online and
//!   offline, pending, faulted, voice lines registered, the day's calls by MOS-LQ and
//!   jitter band ([`tipring_acs::calls`]), firmware versions — aggregate
//!   queries over the devices table (100,000 devices: 40-80 ms, `cargo bench -p
//!   tipring-store --bench console`), answered again from memory for 2 s.
//! * `POST /api/v1/devices/bulk`: one action on a selection (ids) or on every device a
//!   listing filter matches: `tag`, `untag`, `site`, `reboot`, `provision` (re-provision),
//!   `assign_profile`. The caller states how many devices it expects to act on
//!   (`expected`, what it showed the operator when asking for confirmation); if the
//!   selection no longer has that many, nothing is done (409). Changes are written 1,000
//!   devices per transaction, each device's change with its task, and one audit record
//!   names the action, the selection and the count.
//! * `POST /api/v1/profiles/{name}/preview?device=ID` and
//!   `POST /api/v1/sites/{name}/preview?device=ID`: the configuration a draft (the body a
//!   PUT would take) renders for one device, and the TR-069 parameters it becomes, before
//!   anything is saved. Nothing is written: secrets the device does not have yet are not
//!   generated, and every secret shows as masked.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tipring_acs::model::{Device, Enrollment, Profile, Role, Site, TaskKind};
use tipring_store::Write;

use crate::api::{audit, body, check_name, device_or_404, task, DeviceQuery};
use crate::app::{db, unix_now, App};
use crate::auth::{role_name, Caller};
use crate::error::{ApiError, ApiResult};

/// The most devices one bulk action takes.
pub const MAX_BULK: usize = 100_000;
/// Devices per transaction in a bulk action.
const BULK_BATCH: usize = 1000;
/// How a secret shows in a preview.
const MASK: &str = "••••••••";

/// The routes (merged into the API's router).
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v1/whoami", get(whoami))
        .route("/api/v1/stats", get(stats))
        .route("/api/v1/devices/bulk", post(bulk))
        .route("/api/v1/profiles/{name}/preview", post(preview_profile))
        .route("/api/v1/sites/{name}/preview", post(preview_site))
        .route("/api/v1/claims/{code_sha256}/expire", post(expire_claim))
}

/// End a claim code's life now (it was handed out by mistake, or lost): a gateway that
/// sends it later is treated as one without a code.
async fn expire_claim(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(hash): Path<String>,
) -> ApiResult<Json<tipring_acs::model::ClaimCode>> {
    caller.require(Role::Operator)?;
    let h = hash.clone();
    let mut claim = db(&app, move |s| s.claim(&h))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("claim code {hash}")))?;
    let now = unix_now();
    if claim.used_by.is_some() || claim.expires_at <= now {
        return Ok(Json(claim));
    }
    claim.expires_at = now;
    let writes = vec![
        Write::PutClaim(claim.clone()),
        audit(
            &caller,
            "claim.expire",
            claim.site.as_deref().unwrap_or(""),
            json!({ "code_sha256": claim.code_sha256 }),
        ),
    ];
    db(&app, move |s| s.apply(writes)).await?;
    Ok(Json(claim))
}

async fn whoami(caller: Caller) -> Json<Value> {
    Json(json!({ "name": caller.name, "role": role_name(caller.role) }))
}

/// How long a count of the fleet is answered again, seconds.
const STATS_FRESH_S: i64 = 2;

async fn stats(State(app): State<Arc<App>>, _caller: Caller) -> ApiResult<Json<Value>> {
    let now = unix_now();
    if let Some((at, v)) = app.stats.lock().ok().and_then(|c| c.clone()) {
        if now - at < STATS_FRESH_S && now >= at {
            return Ok(Json(v));
        }
    }
    let iv = app.settings.default_inform_interval_s;
    let stats = db(&app, move |s| s.fleet_stats(now, iv)).await?;
    let mut v = serde_json::to_value(stats).unwrap_or(Value::Null);
    v["at"] = json!(now);
    v["default_inform_interval_s"] = json!(iv);
    if let Ok(mut c) = app.stats.lock() {
        *c = Some((now, v.clone()));
    }
    Ok(Json(v))
}

// ---------------------------------------------------------------------------------------
// Bulk actions

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case", tag = "action")]
enum BulkAction {
    /// Add a tag.
    Tag { tag: String },
    /// Remove a tag.
    Untag { tag: String },
    /// Move to a site (`null`: none).
    Site { site: Option<String> },
    /// Reboot.
    Reboot,
    /// Run the provisioning pass again.
    Provision,
    /// Give the devices what the profile selects on (its site and tags), so that it
    /// governs them, and re-provision them.
    AssignProfile { profile: String },
}

/// The selection part of a bulk action's body (the rest is the [`BulkAction`]: serde
/// cannot deny unknown fields across a flatten, so the two are read apart).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkIn {
    /// These devices...
    #[serde(default)]
    devices: Vec<String>,
    /// ...or every device this listing filter matches (its `limit`/`offset` ignored).
    filter: Option<DeviceQuery>,
    /// How many devices the caller expects the selection to hold.
    expected: usize,
    /// Ask each device to connect now (reboot, provision, assign_profile).
    #[serde(default)]
    connection_request: bool,
}

/// Read a part of a body, naming the field at fault.
fn part<T: serde::de::DeserializeOwned>(v: Value) -> ApiResult<T> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            ApiError::field("body", inner.to_string())
        } else {
            ApiError::field(path, inner.to_string())
        }
    })
}

async fn bulk(State(app): State<Arc<App>>, caller: Caller, bytes: Bytes) -> ApiResult<Json<Value>> {
    caller.require(Role::Operator)?;
    let mut whole: Value = body(&bytes)?;
    let Some(obj) = whole.as_object_mut() else {
        return Err(ApiError::field("body", "a JSON object"));
    };
    let mut head = serde_json::Map::new();
    for k in ["devices", "filter", "expected", "connection_request"] {
        if let Some(v) = obj.remove(k) {
            head.insert(k.to_string(), v);
        }
    }
    let b: BulkIn = part(Value::Object(head))?;
    let action: BulkAction = part(whole)?;
    let (devices, selection) = match (b.devices.is_empty(), b.filter) {
        (false, None) => {
            if b.devices.len() > MAX_BULK {
                return Err(ApiError::field("devices", format!("at most {MAX_BULK}")));
            }
            let ids = b.devices.clone();
            let found = db(&app, move |s| {
                let mut out = Vec::with_capacity(ids.len());
                for id in &ids {
                    if let Some(d) = s.device(id)? {
                        out.push(d);
                    }
                }
                Ok(out)
            })
            .await?;
            (found, json!({ "devices": b.devices.len() }))
        }
        (true, Some(q)) => {
            let shown = json!({ "filter": format!("{q:?}") });
            let filter = crate::api::device_filter(&app, q)?;
            let all = db(&app, move |s| crate::rollouts::matching(s, filter)).await?;
            if all.len() > MAX_BULK {
                return Err(ApiError::field(
                    "filter",
                    format!("matches more than {MAX_BULK} devices: narrow it"),
                ));
            }
            (all, shown)
        }
        _ => {
            return Err(ApiError::field(
                "devices",
                "give either devices (ids) or filter, not both",
            ))
        }
    };
    if devices.len() != b.expected {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "the selection holds {} devices, not the {} expected: nothing done; look again",
                devices.len(),
                b.expected
            ),
        ));
    }
    let (name, changes) = plan_bulk(&app, &caller, &action, devices).await?;
    let n = changes.len();
    let mut kicked = Vec::new();
    let mut skipped = Vec::new();
    for chunk in changes.chunks(BULK_BATCH) {
        let mut writes = Vec::new();
        for c in chunk {
            match c {
                Change::Skip(id, why) => skipped.push(json!({ "device": id, "why": why })),
                Change::Apply(d, kind) => {
                    if let Some(d) = d {
                        writes.push(Write::PutDevice((**d).clone()));
                    }
                    let id = match (d, kind) {
                        (Some(d), _) => d.id.clone(),
                        (None, Some((id, _))) => id.clone(),
                        (None, None) => continue,
                    };
                    if let Some((_, kind)) = kind {
                        writes.push(Write::PutTask(task(&id, kind.clone(), &caller.name)));
                        kicked.push(id);
                    }
                }
            }
        }
        if !writes.is_empty() {
            db(&app, move |s| s.apply(writes)).await?;
        }
    }
    let done = n - skipped.len();
    let detail = json!({ "action": name, "selection": selection, "devices": done,
                         "skipped": skipped.len() });
    let writes = vec![audit(&caller, "device.bulk", name, detail)];
    db(&app, move |s| s.apply(writes)).await?;
    for c in &changes {
        if let Change::Apply(Some(d), _) = c {
            app.events.device(&d.id);
        }
    }
    if b.connection_request {
        for id in &kicked {
            let _ = app.kick.send(id.clone());
        }
    }
    Ok(Json(json!({
        "action": name,
        "devices": done,
        "skipped": skipped,
        "tasks": kicked.len(),
    })))
}

/// One device's part of a bulk action: its changed record and/or a task, or why not.
enum Change {
    Apply(Option<Box<Device>>, Option<(String, TaskKind)>),
    Skip(String, String),
}

async fn plan_bulk(
    app: &Arc<App>,
    caller: &Caller,
    action: &BulkAction,
    devices: Vec<Device>,
) -> ApiResult<(&'static str, Vec<Change>)> {
    let _ = caller;
    let approved = |d: &Device| d.enrollment == Enrollment::Approved;
    let task_for = |d: Device, kind: TaskKind| {
        if approved(&d) {
            Change::Apply(None, Some((d.id, kind)))
        } else {
            Change::Skip(d.id, "not approved".into())
        }
    };
    Ok(match action {
        BulkAction::Tag { tag } | BulkAction::Untag { tag } => {
            check_name("tag", tag)?;
            let add = matches!(action, BulkAction::Tag { .. });
            let changes = devices
                .into_iter()
                .map(|mut d| {
                    let had = d.tags.contains(tag);
                    if add && !had {
                        if d.tags.len() >= 32 {
                            return Change::Skip(d.id, "has 32 tags already".into());
                        }
                        d.tags.push(tag.clone());
                    } else if !add && had {
                        d.tags.retain(|t| t != tag);
                    } else {
                        return Change::Apply(None, None);
                    }
                    Change::Apply(Some(Box::new(d)), None)
                })
                .collect();
            (if add { "tag" } else { "untag" }, changes)
        }
        BulkAction::Site { site } => {
            if let Some(name) = site {
                check_name("site", name)?;
                let n = name.clone();
                if db(app, move |s| s.site(&n)).await?.is_none() {
                    return Err(ApiError::field("site", format!("no site named {name}")));
                }
            }
            let changes = devices
                .into_iter()
                .map(|mut d| {
                    d.site = site.clone();
                    Change::Apply(Some(Box::new(d)), None)
                })
                .collect();
            ("site", changes)
        }
        BulkAction::Reboot => (
            "reboot",
            devices
                .into_iter()
                .map(|d| task_for(d, TaskKind::Reboot))
                .collect(),
        ),
        BulkAction::Provision => (
            "provision",
            devices
                .into_iter()
                .map(|d| task_for(d, TaskKind::Provision))
                .collect(),
        ),
        BulkAction::AssignProfile { profile } => {
            let (wanted, profiles) = db(app, {
                let n = profile.clone();
                move |s| Ok((s.profile(&n)?, s.profiles()?))
            })
            .await?;
            let wanted = wanted
                .ok_or_else(|| ApiError::field("profile", format!("no profile {profile}")))?;
            let changes = devices
                .into_iter()
                .map(|mut d| {
                    if !approved(&d) {
                        return Change::Skip(d.id, "not approved".into());
                    }
                    if wanted.model.as_ref().is_some_and(|m| *m != d.model) {
                        return Change::Skip(
                            d.id,
                            format!(
                                "the profile is for model {}",
                                wanted.model.as_deref().unwrap_or("")
                            ),
                        );
                    }
                    if let Some(site) = &wanted.site {
                        d.site = Some(site.clone());
                    }
                    for t in &wanted.tags {
                        if !d.tags.contains(t) {
                            d.tags.push(t.clone());
                        }
                    }
                    match crate::provision::select_profile(&profiles, &d) {
                        Some(p) if p.name == wanted.name => {
                            let id = d.id.clone();
                            Change::Apply(Some(Box::new(d)), Some((id, TaskKind::Provision)))
                        }
                        Some(p) => Change::Skip(
                            d.id,
                            format!(
                                "profile {} (priority {}) still governs it",
                                p.name, p.priority
                            ),
                        ),
                        None => Change::Skip(d.id, "the profile does not select it".into()),
                    }
                })
                .collect();
            ("assign_profile", changes)
        }
    })
}

// ---------------------------------------------------------------------------------------
// Previews

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewQuery {
    device: String,
}

type PreviewQueryIn = Result<Query<PreviewQuery>, axum::extract::rejection::QueryRejection>;

/// The device a preview is for (its absence named as the `device` field).
fn preview_query(query: PreviewQueryIn) -> ApiResult<PreviewQuery> {
    query
        .map(|Query(q)| q)
        .map_err(|_| ApiError::field("device", "name a device to preview for"))
}

async fn preview_profile(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(name): Path<String>,
    query: PreviewQueryIn,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Operator)?;
    let q = preview_query(query)?;
    let draft = crate::api::profile_from(&app, &name, &bytes).await?;
    let device = device_or_404(&app, &q.device).await?;
    let (mut profiles, site, cache) = inputs(&app, &device, None).await?;
    profiles.retain(|p| p.name != draft.name);
    profiles.push(draft.clone());
    let governing = crate::provision::select_profile(&profiles, &device).map(|p| p.name.clone());
    let mut v = render(&app, &draft, site.as_ref(), &device, &cache)?;
    v["profile"] = json!(draft.name);
    v["governs"] = json!(governing.as_deref() == Some(draft.name.as_str()));
    v["governing_profile"] = json!(governing);
    Ok(Json(v))
}

async fn preview_site(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(name): Path<String>,
    query: PreviewQueryIn,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    caller.require(Role::Operator)?;
    let q = preview_query(query)?;
    let draft = crate::api::site_from(&name, &bytes)?;
    let mut device = device_or_404(&app, &q.device).await?;
    // The device as a member of the site being edited.
    device.site = Some(draft.name.clone());
    let (profiles, _, cache) = inputs(&app, &device, Some(draft.clone())).await?;
    let Some(profile) = crate::provision::select_profile(&profiles, &device).cloned() else {
        return Err(ApiError::field(
            "device",
            format!("no profile governs {} in site {}", device.id, draft.name),
        ));
    };
    let mut v = render(&app, &profile, Some(&draft), &device, &cache)?;
    v["profile"] = json!(profile.name);
    v["governs"] = json!(true);
    v["governing_profile"] = json!(profile.name);
    Ok(Json(v))
}

type Inputs = (
    Vec<Profile>,
    Option<Site>,
    Vec<tipring_acs::model::CachedParameter>,
);

async fn inputs(app: &Arc<App>, device: &Device, site: Option<Site>) -> ApiResult<Inputs> {
    let d = device.clone();
    db(app, move |s| {
        let site = match (site, &d.site) {
            (Some(s), _) => Some(s),
            (None, Some(n)) => s.site(n)?,
            (None, None) => None,
        };
        Ok((s.profiles()?, site, s.parameters(&d.id, "")?))
    })
    .await
    .map_err(Into::into)
}

/// Render a profile for a device with every secret masked; the document and the
/// parameters it becomes.
fn render(
    app: &Arc<App>,
    profile: &Profile,
    site: Option<&Site>,
    device: &Device,
    cache: &[tipring_acs::model::CachedParameter],
) -> ApiResult<Value> {
    use tipring_acs::provision as p;
    let ports = crate::provision::ports_of(profile, site, device, cache)
        .map_err(|e| ApiError::field("variables.ports", e))?;
    let mut profile = profile.clone();
    profile
        .variables
        .entry("acs_url".into())
        .or_insert_with(|| app.settings.acs_url.clone());
    // A stand-in every password rule accepts; never a stored value.
    let stand_in = |_: &str| Some("Masked-Secret-0000000000".to_string());
    let rendered = p::render(&profile, site, device, ports, &stand_in)
        .map_err(|e| ApiError::field("template", e.to_string()))?;
    let secrets: BTreeSet<String> = rendered.secret_names.iter().cloned().collect();
    let plan = p::plan(
        &rendered.config,
        device.root,
        p::VoicePaths::detect(device, cache),
    );
    let parameters: Vec<Value> = plan
        .parameters
        .iter()
        .map(|pp| {
            json!({
                "name": pp.name,
                "value": if pp.secret { MASK } else { pp.value.as_str() },
                "secret": pp.secret,
            })
        })
        .collect();
    let mut doc = serde_json::to_value(&rendered.config).unwrap_or(Value::Null);
    mask(&mut doc);
    Ok(json!({
        "device": device.id,
        "ports": ports,
        "config": doc,
        "secrets": secrets,
        "parameters": parameters,
    }))
}

/// Replace the stand-in secret wherever it landed in the rendered document.
fn mask(v: &mut Value) {
    match v {
        Value::String(s) if s.contains("Masked-Secret-0000000000") => *s = MASK.to_string(),
        Value::Array(a) => a.iter_mut().for_each(mask),
        Value::Object(o) => o.values_mut().for_each(mask),
        _ => {}
    }
}

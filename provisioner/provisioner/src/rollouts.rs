//! Staged firmware rollouts: the API's verbs (`/api/v1/rollouts`), the driver every node
//! runs, and the reports a CWMP session makes.
//!
//! * **Create** (`POST /api/v1/rollouts`): a stored image, a target filter (model — the
//!   image's by default —, site, tag, current version, or a list of ids; approved devices
//!   only, and none already on the image's version), phases, a rate, a maintenance window
//!   in device-local time and a halt threshold. The targets are resolved once, at creation:
//!   a device enrolled later is not in it (make another rollout).
//! * **Drive** ([`driver`]): every node steps each running rollout every tick, through
//!   [`Store::update_rollout`](tipring_store::Store::update_rollout): the rollout's row is
//!   locked, stepped ([`tipring_acs::rollout::Rollout::step`]), and stored in one
//!   transaction with the Download tasks it starts and the audit records of phase changes
//!   and halts. Another node finds it locked and skips it; a node that dies mid-step
//!   leaves nothing half-done. After the commit the started devices get a connection
//!   request (best effort: the task also waits for their next periodic Inform).
//! * **Report** ([`boot_reports`], [`task_reports`]): a session's BOOT Inform confirms a
//!   started or installed device on the new version, or fails a device that installed and
//!   came back on its old one (the health check rolled it back, fault code 0); a rollout
//!   Download's TransferComplete marks it installed, and its fault fails it (the task is
//!   not retried: the rollout counts it and the operator decides). Each report is one
//!   conditional update in the session's own transaction, so a repeated one counts once.
//! * **Operate**: pause, resume (also after a halt), cancel; `GET` shows each phase's
//!   queued / downloading / installed / confirmed / failed and the failures' fault codes.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tipring_acs::inform::InformInfo;
use tipring_acs::model::{AuditEntry, Enrollment, Role, Task, TaskKind, TaskState};
use tipring_acs::rollout::{
    Action, DeviceState, Outcome, Phase, Record, Rollout, RolloutSpec, Window,
};
use tipring_store::{DeviceFilter, DeviceRollout, Write, MAX_LIMIT};

use crate::api::{audit, body, check_name, task, DOWNLOAD_TTL};
use crate::app::{db, unix_now, App};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

/// The `created_by` of the Download tasks a rollout queues: `rollout:<id>`.
const TASK_PREFIX: &str = "rollout:";
/// The most targets one rollout takes.
pub const MAX_TARGETS: usize = 1_000_000;

/// The rollout routes (merged into the API's router).
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v1/rollouts", get(list).post(create))
        .route("/api/v1/rollouts/{id}", get(show))
        .route("/api/v1/rollouts/{id}/pause", post(pause))
        .route("/api/v1/rollouts/{id}/resume", post(resume))
        .route("/api/v1/rollouts/{id}/cancel", post(cancel))
}

/// Which devices a rollout targets (every field narrows).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Targets {
    /// Of this model (default: the image's).
    model: Option<String>,
    site: Option<String>,
    tag: Option<String>,
    /// Running this version now.
    software_version: Option<String>,
    /// Only these ids (with the other fields still applied).
    #[serde(default)]
    devices: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PhaseIn {
    percent: u8,
    #[serde(default)]
    min_soak_s: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowIn {
    /// `HH:MM`, device-local time.
    start: String,
    /// `HH:MM` (before `start`: it wraps past midnight).
    end: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateIn {
    name: String,
    image: String,
    #[serde(default)]
    targets: Targets,
    phases: Vec<PhaseIn>,
    #[serde(default)]
    max_per_minute: u32,
    window: Option<WindowIn>,
    halt_failure_rate: f64,
    /// A started device that reports nothing for this long fails (default: a day).
    #[serde(default = "a_day")]
    report_timeout_s: i64,
}

fn a_day() -> i64 {
    86_400
}

fn minute_of(field: &str, hhmm: &str) -> ApiResult<u16> {
    let bad = || ApiError::field(field, "HH:MM, 00:00 to 24:00");
    let (h, m) = hhmm.split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 24 || m > 59 || (h == 24 && m > 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Every device id a filter matches, in pages of the store's largest listing.
pub(crate) fn matching(
    s: &dyn tipring_store::Store,
    mut filter: DeviceFilter,
) -> tipring_store::Result<Vec<tipring_acs::model::Device>> {
    let mut all = Vec::new();
    filter.limit = MAX_LIMIT;
    filter.offset = 0;
    loop {
        let page = s.devices(&filter)?;
        let n = page.len();
        all.extend(page);
        if n < MAX_LIMIT as usize || all.len() > MAX_TARGETS {
            return Ok(all);
        }
        filter.offset += MAX_LIMIT;
    }
}

async fn create(
    State(app): State<Arc<App>>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(Role::Operator)?;
    let c: CreateIn = body(&bytes)?;
    check_name("name", &c.name)?;
    let image = app
        .firmware
        .get(&c.image)
        .ok_or_else(|| ApiError::field("image", "no such firmware image"))?;
    let window = match &c.window {
        None => None,
        Some(w) => Some(Window {
            start_minute: minute_of("window.start", &w.start)? % 1440,
            end_minute: minute_of("window.end", &w.end)?,
        }),
    };
    let spec = RolloutSpec {
        name: c.name.clone(),
        phases: c
            .phases
            .iter()
            .map(|p| Phase {
                percent: p.percent,
                min_soak_s: p.min_soak_s,
            })
            .collect(),
        max_per_minute: c.max_per_minute,
        window,
        halt_failure_rate: c.halt_failure_rate,
        report_timeout_s: c.report_timeout_s,
    };
    spec.check()
        .map_err(|(field, why)| ApiError::field(field, why))?;
    let model = c
        .targets
        .model
        .clone()
        .unwrap_or_else(|| image.model.clone());
    if model != image.model {
        return Err(ApiError::field(
            "targets.model",
            format!("the image is for model {}", image.model),
        ));
    }
    if c.targets.devices.len() > MAX_TARGETS {
        return Err(ApiError::field("targets.devices", "too many devices"));
    }
    let filter = DeviceFilter {
        site: c.targets.site.clone(),
        tag: c.targets.tag.clone(),
        enrollment: Some(Enrollment::Approved),
        model: Some(model),
        software_version: c.targets.software_version.clone(),
        ..DeviceFilter::default()
    };
    let devices = db(&app, move |s| matching(s, filter)).await?;
    if devices.len() > MAX_TARGETS {
        return Err(ApiError::field("targets", "matches too many devices"));
    }
    let only: std::collections::HashSet<&String> = c.targets.devices.iter().collect();
    let targets: Vec<String> = devices
        .into_iter()
        .filter(|d| d.software_version != image.version)
        .filter(|d| only.is_empty() || only.contains(&d.id))
        .map(|d| d.id)
        .collect();
    if targets.is_empty() {
        return Err(ApiError::field(
            "targets",
            "no approved device of this model matches that is not already on the image's version",
        ));
    }
    let now = unix_now();
    let rollout = Rollout::new(spec, targets, now);
    let n = rollout.order.len();
    let record = Record {
        id: c.name.clone(),
        image: image.id.clone(),
        version: image.version.clone(),
        created_by: caller.name.clone(),
        created_at: now,
        updated_at: now,
        rollout,
        utc_offsets: Default::default(),
        gone: Default::default(),
    };
    let detail = json!({ "image": image.id, "version": image.version, "targets": n });
    let writes = vec![
        Write::PutRollout(Box::new(record.clone())),
        audit(&caller, "rollout.create", &c.name, detail),
    ];
    db(&app, move |s| s.apply(writes)).await?;
    // The first step at once, rather than at the next tick.
    step_one(&app, &c.name, now).await;
    Ok((StatusCode::CREATED, Json(json!(record.summary()))))
}

async fn list(State(app): State<Arc<App>>, _caller: Caller) -> ApiResult<Json<Value>> {
    let all = db(&app, |s| s.rollouts()).await?;
    Ok(Json(json!({ "rollouts": all })))
}

async fn load(app: &Arc<App>, id: &str) -> ApiResult<Record> {
    let key = id.to_string();
    db(app, move |s| s.rollout(&key))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("rollout {id}")))
}

fn detail(rec: &Record) -> Value {
    let r = &rec.rollout;
    let phases: Vec<Value> = r
        .progress()
        .into_iter()
        .zip(&r.spec.phases)
        .map(|(p, spec)| json!({ "percent": spec.percent, "min_soak_s": spec.min_soak_s, "progress": p }))
        .collect();
    let failures: Vec<Value> = r
        .order
        .iter()
        .filter(|d| r.devices.get(*d) == Some(&DeviceState::Failed))
        .map(|d| json!({ "device": d, "fault_code": r.codes.get(d) }))
        .collect();
    json!({
        "summary": rec.summary(),
        "spec": r.spec,
        "phase_started_at": r.phase_started_at,
        "phase_finished_at": r.phase_finished_at,
        "phases": phases,
        "failures": failures,
    })
}

async fn show(
    State(app): State<Arc<App>>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(detail(&load(&app, &id).await?)))
}

/// Change a rollout under its lock; the lock may be held by a node stepping it, so a few
/// tries.
async fn operate(
    app: &Arc<App>,
    caller: &Caller,
    id: &str,
    action: &'static str,
    verb: fn(&mut Rollout),
) -> ApiResult<Json<Value>> {
    caller.require(Role::Operator)?;
    for _ in 0..50 {
        let key = id.to_string();
        let entry = AuditEntry {
            id: 0,
            at: unix_now(),
            actor: caller.name.clone(),
            action: action.into(),
            target: id.to_string(),
            detail: json!({}),
        };
        let done = db(app, move |s| {
            s.update_rollout(&key, &mut |rec| {
                verb(&mut rec.rollout);
                rec.updated_at = entry.at;
                let mut e = entry.clone();
                e.detail = json!({ "state": rec.rollout.state });
                vec![Write::Audit(e)]
            })
        })
        .await?;
        if done.is_some() {
            let shown = detail(&load(app, id).await?);
            app.events.publish(crate::events::Event::Rollout {
                id: id.to_string(),
                state: shown["summary"]["state"]["state"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            });
            return Ok(Json(shown));
        }
        // Locked by a step in progress, or gone.
        load(app, id).await?;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        format!("rollout {id} is busy; try again"),
    ))
}

async fn pause(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    operate(&app, &caller, &id, "rollout.pause", Rollout::pause).await
}

async fn resume(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    operate(&app, &caller, &id, "rollout.resume", Rollout::resume).await
}

async fn cancel(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    operate(&app, &caller, &id, "rollout.cancel", Rollout::cancel).await
}

fn system_audit(now: i64, action: &str, target: &str, detail: Value) -> Write {
    Write::Audit(AuditEntry {
        id: 0,
        at: now,
        actor: "provisioner".into(),
        action: action.into(),
        target: target.into(),
        detail,
    })
}

/// Step one rollout now; the devices it started get a connection request. False when it
/// was not stepped (gone, or another node holds it).
pub async fn step_one(app: &Arc<App>, id: &str, now: i64) -> bool {
    let key = id.to_string();
    let app2 = Arc::clone(app);
    let stepped = db(app, move |s| {
        let base = crate::firmware::base_url(&app2.settings.acs_url);
        let mut started = Vec::new();
        let mut changed = false;
        let done = s.update_rollout(&key, &mut |rec| {
            started.clear();
            let before = (rec.rollout.state.clone(), rec.rollout.phase);
            let mut w = Vec::new();
            let Some(image) = app2.firmware.get(&rec.image) else {
                let reason = format!("firmware image {} is gone", rec.image);
                rec.rollout.state = tipring_acs::rollout::State::Halted {
                    reason: reason.clone(),
                };
                rec.updated_at = now;
                w.push(system_audit(
                    now,
                    "rollout.halted",
                    &rec.id,
                    json!({ "reason": reason }),
                ));
                return w;
            };
            for action in rec.step(now) {
                match action {
                    Action::Start(device) if rec.gone.contains(&device) => {
                        // Deleted since the rollout began: it cannot be upgraded, and
                        // counts as failed (9002, internal error) rather than stall.
                        rec.rollout
                            .report(&device, Outcome::Failed { code: 9002 }, now);
                        w.push(system_audit(
                            now,
                            "rollout.device_gone",
                            &rec.id,
                            json!({ "device": device }),
                        ));
                    }
                    Action::Start(device) => {
                        let url = app2
                            .firmware
                            .url(&base, &image.id, &device, now + DOWNLOAD_TTL);
                        let kind = TaskKind::Download {
                            file_type: "1 Firmware Upgrade Image".into(),
                            url,
                            file_size: image.size,
                            target_file_name: String::new(),
                        };
                        let mut t: Task = task(&device, kind, &format!("{TASK_PREFIX}{}", rec.id));
                        t.created_at = now;
                        t.next_attempt_at = now;
                        t.updated_at = now;
                        w.push(Write::PutTask(t));
                        started.push(device);
                    }
                    Action::PhaseStarted(i) => w.push(system_audit(
                        now,
                        "rollout.phase",
                        &rec.id,
                        json!({ "phase": i + 1, "percent": rec.rollout.spec.phases[i].percent }),
                    )),
                    Action::Halted(reason) => w.push(system_audit(
                        now,
                        "rollout.halted",
                        &rec.id,
                        json!({ "reason": reason }),
                    )),
                    Action::Done => w.push(system_audit(now, "rollout.done", &rec.id, json!({}))),
                }
            }
            changed = before != (rec.rollout.state.clone(), rec.rollout.phase);
            w
        })?;
        Ok(done.map(|_| (started, changed)))
    })
    .await;
    match stepped {
        Ok(Some((started, changed))) => {
            if changed || !started.is_empty() {
                app.events.publish(crate::events::Event::Rollout {
                    id: id.to_string(),
                    state: "stepped".into(),
                });
            }
            for d in started {
                let _ = app.kick.send(d);
            }
            true
        }
        Ok(None) => false,
        Err(e) => {
            tracing::warn!(rollout = %id, error = %e, "rollout step failed");
            false
        }
    }
}

/// Step every running rollout every `tick`, forever (every node runs one).
pub async fn driver(app: Arc<App>, tick: Duration) {
    let mut timer = tokio::time::interval(tick);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        timer.tick().await;
        let ids = match db(&app, |s| s.running_rollouts()).await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "rollouts not listed");
                continue;
            }
        };
        for id in ids {
            step_one(&app, &id, unix_now()).await;
        }
    }
}

/// What a BOOT Inform tells the rollouts the device is in: confirmed on the new version,
/// or failed (code 0) when it installed it and came back on another (rolled back).
pub fn boot_reports(
    info: &InformInfo,
    device: &str,
    mine: &[DeviceRollout],
    now: i64,
) -> Vec<Write> {
    if !info.is_boot() {
        return Vec::new();
    }
    mine.iter()
        .filter_map(|r| {
            let outcome = if info.software_version == r.version {
                Outcome::Confirmed
            } else if matches!(r.state, DeviceState::Installed | DeviceState::Confirmed) {
                Outcome::Failed { code: 0 }
            } else {
                return None;
            };
            Some(Write::ReportRollout {
                rollout: r.rollout.clone(),
                device: device.to_string(),
                outcome,
                at: now,
            })
        })
        .collect()
}

/// What a session's tasks tell the rollouts: a rollout Download done is installed; one
/// that faulted is failed with the fault's code, and is not retried (the task becomes
/// Failed here). Returns the reports; `tasks` is changed in place.
pub fn task_reports(tasks: &mut [Task], now: i64) -> Vec<Write> {
    let mut out = Vec::new();
    for t in tasks.iter_mut() {
        let Some(rollout) = t.created_by.strip_prefix(TASK_PREFIX) else {
            continue;
        };
        if !matches!(t.kind, TaskKind::Download { .. }) {
            continue;
        }
        let outcome = match (t.state, &t.fault) {
            (TaskState::Done, _) => Outcome::Installed,
            (TaskState::Retrying | TaskState::Failed, Some(f)) => {
                t.state = TaskState::Failed;
                Outcome::Failed { code: f.code }
            }
            _ => continue,
        };
        out.push(Write::ReportRollout {
            rollout: rollout.to_string(),
            device: t.device.clone(),
            outcome,
            at: now,
        });
    }
    out
}

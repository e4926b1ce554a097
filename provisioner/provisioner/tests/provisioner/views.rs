//! The calls made for the console: who am I, the fleet's numbers, sorted and filtered
//! listings, bulk actions (refused when the selection is not what the operator was shown),
//! render previews that write nothing, import dry runs with per-row errors, claim expiry,
//! and the live event stream.

use std::time::Duration;

use serde_json::{json, Value};
use tipring_acs::model::{Device, DeviceKey, Enrollment};
use tipring_provisioner::ctl::Client;
use tipring_store::Write;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::{body, provisioner, token};

async fn ok(c: &Client, method: &str, path: &str, b: Value) -> Value {
    let (s, v) = c.call(method, path, body(&b)).await.unwrap();
    assert!((200..300).contains(&s), "{method} {path}: {s} {v}");
    v
}

/// A small fleet written as Informs would have: serial, enrollment, site, lines up of
/// lines, seconds since its last Inform.
fn fleet(running: &tipring_provisioner::server::Running) -> Vec<String> {
    let now = tipring_provisioner::app::unix_now();
    let mut ids = Vec::new();
    let mut writes = vec![Write::PutSite(tipring_acs::model::Site {
        name: "hq".into(),
        description: String::new(),
        variables: [("pbx", "127.0.0.1:5060"), ("domain", "hq.test")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    })];
    for (serial, enrollment, up, ago) in [
        ("TRV001", Enrollment::Approved, 2, Some(10)),
        ("TRV002", Enrollment::Approved, 1, Some(20)),
        ("TRV003", Enrollment::Approved, 2, Some(100_000)),
        ("TRV004", Enrollment::Pending, 0, Some(5)),
    ] {
        let key = DeviceKey {
            oui: "00D0C9".into(),
            product_class: "FXS2".into(),
            serial: serial.into(),
        };
        let mut d = Device::new(key, now - 200_000);
        d.enrollment = enrollment;
        d.model = "FXS2".into();
        d.software_version = if serial == "TRV003" { "1.1" } else { "1.0" }.into();
        d.site = (enrollment == Enrollment::Approved).then(|| "hq".to_string());
        d.lines = 2;
        d.lines_up = up;
        d.last_inform = ago.map(|a| now - a);
        ids.push(d.id.clone());
        writes.push(Write::PutDevice(d));
    }
    running.app.store.apply(writes).unwrap();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whoami_stats_and_listings() {
    let (running, admin) = provisioner("views-stats").await;
    let ids = fleet(&running);
    assert_eq!(
        ok(&admin, "GET", "/api/v1/whoami", Value::Null).await,
        json!({ "name": "admin", "role": "admin" })
    );
    let s = ok(&admin, "GET", "/api/v1/stats", Value::Null).await;
    assert_eq!(s["devices"], 4);
    assert_eq!(s["approved"], 3);
    assert_eq!(s["pending"], 1);
    assert_eq!(
        s["online"], 2,
        "TRV003 informed more than an hour (and a grace) ago"
    );
    assert_eq!(s["offline"], 1);
    assert_eq!(
        (s["lines"].clone(), s["lines_up"].clone()),
        (json!(8), json!(5))
    );
    assert_eq!(s["devices_lines_down"], 2);
    assert_eq!(
        s["versions"],
        json!([{ "model": "FXS2", "software_version": "1.0", "devices": 2 },
               { "model": "FXS2", "software_version": "1.1", "devices": 1 }])
    );

    let list = |q: &str| {
        let q = q.to_string();
        let admin = &admin;
        async move {
            let v = ok(admin, "GET", &format!("/api/v1/devices?{q}"), Value::Null).await;
            v["devices"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["key"]["serial"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    // A pending device in contact is online too; the overview counts approved ones.
    assert_eq!(list("status=online").await, ["TRV001", "TRV002", "TRV004"]);
    assert_eq!(
        list("status=online&enrollment=approved").await,
        ["TRV001", "TRV002"]
    );
    assert_eq!(list("status=offline&enrollment=approved").await, ["TRV003"]);
    assert_eq!(
        list("lines_down=true&enrollment=approved").await,
        ["TRV002"]
    );
    assert_eq!(
        list("serial=TRV00&sort=last_inform&order=desc").await,
        ["TRV004", "TRV001", "TRV002", "TRV003"]
    );
    assert_eq!(list("serial=TRV001").await, ["TRV001"]);
    let v = ok(&admin, "GET", "/api/v1/devices?serial=TRV001", Value::Null).await;
    assert_eq!(v["devices"][0]["online"], true);
    for (q, field) in [
        ("sort=colour", "sort"),
        ("order=up", "order"),
        ("status=asleep", "status"),
    ] {
        let (s, v) = admin
            .call("GET", &format!("/api/v1/devices?{q}"), None)
            .await
            .unwrap();
        assert_eq!((s, v["field"].as_str()), (400, Some(field)), "{q}: {v}");
    }
    // A device page names the profile that governs it and whether it is online.
    let d = ok(
        &admin,
        "GET",
        &format!("/api/v1/devices/{}", ids[0]),
        Value::Null,
    )
    .await;
    assert_eq!(d["online"], true);
    assert_eq!(d["profile"], Value::Null);
    running.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_actions_act_only_on_the_selection_the_operator_saw() {
    let (running, admin) = provisioner("views-bulk").await;
    let ids = fleet(&running);
    let tasks = |id: &str| {
        running
            .app
            .store
            .tasks(&tipring_store::TaskFilter {
                device: Some(id.to_string()),
                ..Default::default()
            })
            .unwrap()
            .len()
    };
    // The filter now matches 3, not the 2 the operator was shown: nothing happens.
    let by_filter = json!({ "action": "tag", "tag": "floor2",
                            "filter": { "site": "hq" }, "expected": 2 });
    let (s, v) = admin
        .call("POST", "/api/v1/devices/bulk", body(&by_filter))
        .await
        .unwrap();
    assert_eq!(s, 409, "{v}");
    let d = running.app.store.device(&ids[0]).unwrap().unwrap();
    assert!(d.tags.is_empty());
    // With the right count, every device the filter matches.
    let mut right = by_filter.clone();
    right["expected"] = json!(3);
    let v = ok(&admin, "POST", "/api/v1/devices/bulk", right).await;
    assert_eq!(
        (v["action"].clone(), v["devices"].clone()),
        (json!("tag"), json!(3))
    );
    for id in &ids[..3] {
        assert_eq!(
            running.app.store.device(id).unwrap().unwrap().tags,
            ["floor2"]
        );
    }
    // Bad input names its field; an unknown field is refused, not ignored.
    for (b, field) in [
        (
            json!({ "action": "tag", "tag": "no spaces", "devices": [ids[0]], "expected": 1 }),
            "tag",
        ),
        (
            json!({ "action": "tag", "tag": "x", "devices": [ids[0]], "expected": 1, "colour": 1 }),
            "body",
        ),
        (
            json!({ "action": "explode", "devices": [ids[0]], "expected": 1 }),
            "action",
        ),
        (
            json!({ "action": "site", "site": "atlantis", "devices": [ids[0]], "expected": 1 }),
            "site",
        ),
        (
            json!({ "action": "reboot", "devices": [ids[0]], "filter": {}, "expected": 1 }),
            "devices",
        ),
    ] {
        let (s, v) = admin
            .call("POST", "/api/v1/devices/bulk", body(&b))
            .await
            .unwrap();
        assert_eq!(s, 400, "{b}: {v}");
        assert_eq!(v["field"].as_str(), Some(field), "{b}: {v}");
    }
    // Reboot by ids: the pending device is skipped, with why.
    let before: Vec<usize> = ids.iter().map(|id| tasks(id)).collect();
    let v = ok(
        &admin,
        "POST",
        "/api/v1/devices/bulk",
        json!({ "action": "reboot", "devices": [ids[0], ids[3]], "expected": 2 }),
    )
    .await;
    assert_eq!(v["devices"], 1);
    assert_eq!(v["skipped"][0]["device"], json!(ids[3]));
    assert_eq!(v["skipped"][0]["why"], "not approved");
    assert_eq!(tasks(&ids[0]), before[0] + 1);
    assert_eq!(tasks(&ids[3]), before[3]);
    // Assign a profile: the devices get what it selects on, and a provisioning pass.
    ok(
        &admin,
        "PUT",
        "/api/v1/profiles/lobby",
        json!({ "priority": 5, "tags": ["lobby"], "template": { "device": { "name": "x" } } }),
    )
    .await;
    let v = ok(
        &admin,
        "POST",
        "/api/v1/devices/bulk",
        json!({ "action": "assign_profile", "profile": "lobby", "devices": [ids[1]], "expected": 1 }),
    )
    .await;
    assert_eq!(v["devices"], 1, "{v}");
    let d = ok(
        &admin,
        "GET",
        &format!("/api/v1/devices/{}", ids[1]),
        Value::Null,
    )
    .await;
    assert_eq!(d["profile"], "lobby");
    assert!(d["device"]["tags"]
        .as_array()
        .unwrap()
        .contains(&json!("lobby")));
    assert!(d["tasks"].to_string().contains("provision"), "{d}");
    // One audit record per bulk action, naming it and the count.
    let audit = ok(
        &admin,
        "GET",
        "/api/v1/audit?action=device.bulk",
        Value::Null,
    )
    .await;
    assert_eq!(audit.as_array().unwrap().len(), 3, "{audit}");
    // A read-only token may not.
    let ro = token(
        &admin,
        &format!("http://{}", running.api_addr),
        "ro",
        "read_only",
    )
    .await;
    let (s, _) = ro
        .call(
            "POST",
            "/api/v1/devices/bulk",
            body(&json!({ "action": "reboot", "devices": [ids[0]], "expected": 1 })),
        )
        .await
        .unwrap();
    assert_eq!(s, 403);
    running.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previews_render_for_a_device_and_write_nothing() {
    let (running, admin) = provisioner("views-preview").await;
    let ids = fleet(&running);
    let template = json!({
        "device": { "name": "{{site}}-{{serial}}", "country": "us" },
        "sip": { "servers": ["{{pbx}}"], "domain": "{{domain}}" },
        "ports": [ { "$each_port": { "extension": "20{{port}}",
                                      "password": "{{secret:ports.#.password}}" } } ]
    });
    let draft = json!({ "site": "hq", "template": template, "variables": { "ports": "2" } });
    let path = format!("/api/v1/profiles/fxs/preview?device={}", ids[0]);
    let v = ok(&admin, "POST", &path, draft.clone()).await;
    assert_eq!(v["governs"], true);
    assert_eq!(v["ports"], 2);
    let params = v["parameters"].as_array().unwrap();
    let get = |suffix: &str| {
        params
            .iter()
            .find(|p| p["name"].as_str().unwrap().ends_with(suffix))
            .unwrap_or_else(|| panic!("no {suffix} in {v}"))
            .clone()
    };
    assert_eq!(get("SIP.Client.2.AuthPassword")["secret"], true);
    assert_eq!(get("SIP.Client.2.AuthPassword")["value"], "••••••••");
    assert_eq!(get("CallControl.Line.2.DirectoryNumber")["value"], "202");
    assert!(!v.to_string().contains("Masked-Secret"), "{v}");
    // Nothing was saved: no profile, no secret made for the device.
    assert_eq!(
        admin
            .call("GET", "/api/v1/profiles/fxs", None)
            .await
            .unwrap()
            .0,
        404
    );
    assert!(running.app.store.secret_names(&ids[0]).unwrap().is_empty());
    // A site draft, rendered with the stored profile that governs the device.
    ok(&admin, "PUT", "/api/v1/profiles/fxs", draft.clone()).await;
    let v = ok(
        &admin,
        "POST",
        &format!("/api/v1/sites/hq/preview?device={}", ids[0]),
        json!({ "variables": { "pbx": "10.9.9.9:5060", "domain": "new.test" } }),
    )
    .await;
    assert_eq!(v["profile"], "fxs");
    assert!(v.to_string().contains("10.9.9.9"), "{v}");
    let hq = ok(&admin, "GET", "/api/v1/sites/hq", Value::Null).await;
    assert_eq!(
        hq["variables"]["pbx"], "127.0.0.1:5060",
        "the site is unchanged"
    );
    // What does not render is refused with its field.
    let mut bad = draft.clone();
    bad["template"]["sip"]["servers"] = json!(["{{nowhere}}"]);
    let (s, e) = admin.call("POST", &path, body(&bad)).await.unwrap();
    assert_eq!((s, e["field"].as_str()), (400, Some("template")), "{e}");
    let (s, _) = admin
        .call(
            "POST",
            "/api/v1/profiles/fxs/preview?device=00D0C9-FXS2-NOPE",
            body(&draft),
        )
        .await
        .unwrap();
    assert_eq!(s, 404);
    let (s, e) = admin
        .call("POST", "/api/v1/profiles/fxs/preview", body(&draft))
        .await
        .unwrap();
    assert_eq!((s, e["field"].as_str()), (400, Some("device")), "{e}");
    running.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_are_checked_row_by_row_and_claims_expire() {
    let (running, admin) = provisioner("views-import").await;
    fleet(&running);
    let csv = "serial,site,tags\nTRN1,hq,desk\nTRN2,atlantis,\nTRN1,hq,\n";
    let dry = admin
        .call(
            "POST",
            "/api/v1/preregistrations?dry_run=true",
            Some(("text/csv", csv.as_bytes().to_vec())),
        )
        .await
        .unwrap();
    assert_eq!(dry.0, 200, "{}", dry.1);
    assert_eq!(
        (dry.1["valid"].clone(), dry.1["invalid"].clone()),
        (json!(1), json!(2))
    );
    let rows = dry.1["rows"].as_array().unwrap();
    assert_eq!(rows[0]["error"], Value::Null);
    assert_eq!(rows[1]["line"], 3);
    assert_eq!(rows[1]["error"]["field"], "site");
    assert_eq!(rows[2]["error"]["error"], "listed twice");
    let (s, v) = admin
        .call(
            "POST",
            "/api/v1/preregistrations",
            Some(("text/csv", csv.as_bytes().to_vec())),
        )
        .await
        .unwrap();
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["field"], "[1].site");
    assert_eq!(v["rows"].as_array().unwrap().len(), 3);
    assert_eq!(
        ok(&admin, "GET", "/api/v1/preregistrations", Value::Null).await,
        json!([])
    );

    let c = ok(&admin, "POST", "/api/v1/claims", json!({ "site": "hq" })).await;
    assert!(c["expires_at"].as_i64().unwrap() > tipring_provisioner::app::unix_now());
    let list = ok(&admin, "GET", "/api/v1/claims", Value::Null).await;
    let hash = list[0]["code_sha256"].as_str().unwrap().to_string();
    let e = ok(
        &admin,
        "POST",
        &format!("/api/v1/claims/{hash}/expire"),
        Value::Null,
    )
    .await;
    assert!(e["expires_at"].as_i64().unwrap() <= tipring_provisioner::app::unix_now());
    let (s, _) = admin
        .call("POST", "/api/v1/claims/ffff/expire", None)
        .await
        .unwrap();
    assert_eq!(s, 404);
    running.stop();
}

/// Read a server-sent event stream until `want` holds for one event's JSON.
async fn wait_event(
    stream: &mut tokio::net::TcpStream,
    buf: &mut String,
    want: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        while let Some(i) = buf.find("\n\n") {
            let chunk: String = buf.drain(..i + 2).collect();
            for line in chunk.lines() {
                if let Some(data) = line.strip_prefix("data:") {
                    if let Ok(v) = serde_json::from_str::<Value>(data.trim()) {
                        if want(&v) {
                            return v;
                        }
                    }
                }
            }
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout_at(deadline, stream.read(&mut chunk))
            .await
            .expect("the event came in time")
            .unwrap();
        assert!(n > 0, "the stream ended");
        buf.push_str(&String::from_utf8_lossy(&chunk[..n]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_tells_what_changed() {
    let (running, admin) = provisioner("views-events").await;
    let ids = fleet(&running);
    let token = running.admin_token.clone().unwrap();
    let open = |token: String| {
        let addr = running.api_addr;
        async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            let req = format!(
                "GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nAccept: text/event-stream\r\n\r\n",
                token.trim()
            );
            s.write_all(req.as_bytes()).await.unwrap();
            s
        }
    };
    // No token, no stream.
    let mut anon = open(String::new()).await;
    let mut head = [0u8; 64];
    let n = anon.read(&mut head).await.unwrap();
    assert!(String::from_utf8_lossy(&head[..n]).starts_with("HTTP/1.1 401"));

    let mut s = open(token).await;
    let mut buf = String::new();
    // The headers first (the stream has begun once they are read).
    let mut chunk = [0u8; 1024];
    let n = s.read(&mut chunk).await.unwrap();
    buf.push_str(&String::from_utf8_lossy(&chunk[..n]));
    assert!(buf.starts_with("HTTP/1.1 200"), "{buf}");
    assert!(
        buf.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{buf}"
    );
    let i = buf.find("\r\n\r\n").unwrap();
    buf.drain(..i + 4);
    // An operator approves the pending device: its change is told.
    ok(
        &admin,
        "POST",
        &format!("/api/v1/devices/{}/approve", ids[3]),
        json!({}),
    )
    .await;
    let e = wait_event(&mut s, &mut buf, |v| v["type"] == "device").await;
    assert_eq!(e["id"], json!(ids[3]));
    // A task queued for a device: its id, device and state.
    let t = ok(
        &admin,
        "POST",
        &format!("/api/v1/devices/{}/tasks", ids[0]),
        json!({ "kind": "reboot" }),
    )
    .await;
    let e = wait_event(&mut s, &mut buf, |v| v["type"] == "task").await;
    assert_eq!(
        e,
        json!({ "type": "task", "id": t["task"], "device": ids[0], "state": "queued" })
    );
    running.stop();
}

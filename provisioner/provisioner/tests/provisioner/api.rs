use serde_json::{json, Value};
use tipring_provisioner::ctl::Client;

use crate::{body, provisioner, token};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_wants_a_token_and_its_role() {
    let (running, admin) = provisioner("roles").await;
    let base = format!("http://{}", running.api_addr);
    // The first admin token is also in the data directory, readable by its owner only.
    let nobody = Client::new(&base, "").unwrap();
    let forged = Client::new(&base, "tpr_not-a-real-token").unwrap();
    for (method, path) in [
        ("GET", "/api/v1/devices"),
        ("GET", "/api/v1/sites"),
        ("PUT", "/api/v1/sites/x"),
        ("GET", "/api/v1/audit"),
        ("POST", "/api/v1/tokens"),
        ("POST", "/api/v1/devices/x/secrets/y/reveal"),
    ] {
        for c in [&nobody, &forged] {
            let (s, v) = c.call(method, path, body(&json!({}))).await.unwrap();
            assert_eq!(s, 401, "{method} {path}: {v}");
            assert!(v["error"].as_str().unwrap().contains("token"), "{v}");
        }
    }
    let reader = token(&admin, &base, "noc-viewer", "read_only").await;
    let operator = token(&admin, &base, "ops-alice", "operator").await;

    // read_only reads, and is refused every change.
    let (s, _) = reader.call("GET", "/api/v1/sites", None).await.unwrap();
    assert_eq!(s, 200);
    let (s, v) = reader
        .call(
            "PUT",
            "/api/v1/sites/paris",
            body(&json!({ "variables": {} })),
        )
        .await
        .unwrap();
    assert_eq!(s, 403, "{v}");
    assert!(v["error"].as_str().unwrap().contains("operator"));
    // operator changes; but tokens and secrets are admin's.
    let (s, v) = operator
        .call(
            "PUT",
            "/api/v1/sites/paris",
            body(&json!({ "description": "Paris office", "variables": { "pbx": "10.0.0.5" } })),
        )
        .await
        .unwrap();
    assert_eq!(s, 200, "{v}");
    let (s, _) = operator
        .call(
            "POST",
            "/api/v1/tokens",
            body(&json!({ "name": "x", "role": "admin" })),
        )
        .await
        .unwrap();
    assert_eq!(s, 403);
    let (s, _) = operator
        .call(
            "POST",
            "/api/v1/devices/d/secrets/acs_password/reveal",
            None,
        )
        .await
        .unwrap();
    assert_eq!(s, 403);
    let (s, _) = operator.call("GET", "/api/v1/audit", None).await.unwrap();
    assert_eq!(s, 200);

    // Every change is audited with who did it.
    let (_, log) = admin.call("GET", "/api/v1/audit", None).await.unwrap();
    let log = log.as_array().unwrap();
    let by = |actor: &str, action: &str| {
        log.iter()
            .any(|e| e["actor"] == actor && e["action"] == action)
    };
    assert!(by("ops-alice", "site.put"), "{log:?}");
    assert!(by("admin", "token.create"));
    assert!(!log.iter().any(|e| e["actor"] == "noc-viewer"));

    // A revoked token stops working at once.
    let (s, _) = admin
        .call("DELETE", "/api/v1/tokens/ops-alice", None)
        .await
        .unwrap();
    assert_eq!(s, 204);
    let (s, _) = operator.call("GET", "/api/v1/sites", None).await.unwrap();
    assert_eq!(s, 401);
    running.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_names_the_field_and_writes_nothing() {
    let (running, admin) = provisioner("bad-input").await;
    let call = |m: &'static str, p: &'static str, v: Value| {
        let admin = admin.clone();
        async move { admin.call(m, p, body(&v)).await.unwrap() }
    };
    let (s, v) = call(
        "PUT",
        "/api/v1/sites/lyon",
        json!({ "variables": { "bad-name": "x" } }),
    )
    .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (400, Some("variables.bad-name")),
        "{v}"
    );
    let (s, v) = call("PUT", "/api/v1/sites/lyon", json!({ "colour": "blue" })).await;
    assert_eq!(s, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("colour"), "{v}");
    let (s, v) = admin
        .call(
            "PUT",
            "/api/v1/sites/lyon",
            Some(("application/json", b"{not json".to_vec())),
        )
        .await
        .unwrap();
    assert_eq!((s, v["field"].as_str()), (400, Some("body")), "{v}");
    let (s, v) = call("PUT", "/api/v1/sites/bad%20name", json!({})).await;
    assert_eq!((s, v["field"].as_str()), (400, Some("name")), "{v}");
    let (s, v) = call("POST", "/api/v1/claims", json!({ "site": "nowhere" })).await;
    assert_eq!((s, v["field"].as_str()), (400, Some("site")), "{v}");
    let (s, v) = call("POST", "/api/v1/claims", json!({ "ttl_s": 5 })).await;
    assert_eq!((s, v["field"].as_str()), (400, Some("ttl_s")), "{v}");
    let (s, v) = call("PUT", "/api/v1/profiles/p", json!({ "template": 7 })).await;
    assert_eq!((s, v["field"].as_str()), (400, Some("template")), "{v}");
    let (s, v) = call(
        "POST",
        "/api/v1/tokens",
        json!({ "name": "t", "role": "root" }),
    )
    .await;
    assert_eq!((s, v["field"].as_str()), (400, Some("role")), "{v}");
    let (s, _) = call(
        "POST",
        "/api/v1/devices/nope/tasks",
        json!({ "kind": "reboot" }),
    )
    .await;
    assert_eq!(s, 404);
    let (s, v) = admin
        .call("GET", "/api/v1/devices?limit=5000", None)
        .await
        .unwrap();
    assert_eq!((s, v["field"].as_str()), (400, Some("limit")), "{v}");
    let (s, v) = admin
        .call("GET", "/api/v1/devices?enrollment=maybe", None)
        .await
        .unwrap();
    assert_eq!((s, v["field"].as_str()), (400, Some("enrollment")), "{v}");

    // A CSV import with one bad line imports nothing.
    let (s, _) = call("PUT", "/api/v1/sites/lyon", json!({})).await;
    assert_eq!(s, 200);
    let csv = "serial,oui,site,tags\nTR0001,00D0C9,lyon,lobby\nTR0002,00D0C9,atlantis,\n";
    let (s, v) = admin
        .call(
            "POST",
            "/api/v1/preregistrations",
            Some(("text/csv", csv.as_bytes().to_vec())),
        )
        .await
        .unwrap();
    assert_eq!((s, v["field"].as_str()), (400, Some("[1].site")), "{v}");
    let (_, list) = admin
        .call("GET", "/api/v1/preregistrations", None)
        .await
        .unwrap();
    assert_eq!(list, json!([]), "nothing half-written");
    let csv = "serial,oui,site,tags\nTR0001,00D0C9,lyon,lobby;lift\nTR0002,,lyon,\n";
    let (s, v) = admin
        .call(
            "POST",
            "/api/v1/preregistrations",
            Some(("text/csv", csv.as_bytes().to_vec())),
        )
        .await
        .unwrap();
    assert_eq!((s, v["imported"].as_u64()), (201, Some(2)), "{v}");
    let (_, list) = admin
        .call("GET", "/api/v1/preregistrations", None)
        .await
        .unwrap();
    assert_eq!(list[0]["tags"], json!(["lobby", "lift"]));

    // A claim code is shown once; the store keeps its hash.
    let (s, v) = call("POST", "/api/v1/claims", json!({ "site": "lyon" })).await;
    assert_eq!(s, 201, "{v}");
    let code = v["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 23, "{code}");
    let (_, claims) = admin.call("GET", "/api/v1/claims", None).await.unwrap();
    assert!(!claims.to_string().contains(&code));
    assert_eq!(claims[0]["site"], "lyon");

    // The API describes itself.
    let (s, doc) = admin.call("GET", "/api/openapi.json", None).await.unwrap();
    assert_eq!(s, 200);
    assert_eq!(doc["openapi"], "3.0.3");
    for p in [
        "/api/v1/devices/{id}/approve",
        "/api/v1/claims",
        "/api/v1/audit",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p}");
    }
    running.stop();
}

/// Every operation the OpenAPI document lists, with its path parameters filled in.
fn operations(doc: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            // A stream never ends: tests/provisioner/views.rs reads it.
            if op["x-stream"] == true {
                continue;
            }
            let role = op["description"]
                .as_str()
                .and_then(|d| d.strip_prefix("Role: "))
                .map(|r| r.trim_end_matches('.').to_string())
                .unwrap_or_default();
            let concrete = path
                .replace("{id}", "00D0C9-FXS4-NOPE")
                .replace("{name}", "x")
                .replace("{serial}", "x")
                .replace("{code_sha256}", "x");
            let concrete = if path.starts_with("/api/v1/tasks/{id}") {
                path.replace("{id}", "999")
            } else {
                concrete
            };
            out.push((method.to_uppercase(), concrete, role));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_roles_hold_on_every_endpoint() {
    let (running, admin) = provisioner("all-endpoints").await;
    let base = format!("http://{}", running.api_addr);
    let (_, doc) = admin.call("GET", "/api/openapi.json", None).await.unwrap();
    let ops = operations(&doc);
    assert!(ops.len() >= 30, "{} operations", ops.len());
    let nobody = Client::new(&base, "").unwrap();
    let reader = token(&admin, &base, "r", "read_only").await;
    let operator = token(&admin, &base, "o", "operator").await;
    let rank = |r: &str| match r {
        "read_only" => 0,
        "operator" => 1,
        "admin" => 2,
        other => panic!("undocumented role {other:?}"),
    };
    for (method, path, role) in &ops {
        let (s, v) = nobody.call(method, path, body(&json!({}))).await.unwrap();
        assert_eq!(s, 401, "{method} {path} without a token: {v}");
        for (who, client, have) in [("read_only", &reader, 0), ("operator", &operator, 1)] {
            let (s, v) = client.call(method, path, body(&json!({}))).await.unwrap();
            if have < rank(role) {
                assert_eq!(s, 403, "{method} {path} as {who}: {v}");
            } else {
                assert_ne!(s, 403, "{method} {path} as {who} (documented: {role}): {v}");
                assert_ne!(s, 401, "{method} {path} as {who}: {v}");
            }
        }
    }
    running.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_server_passwords_never_come_back_out() {
    let (running, admin) = provisioner("task-secrets").await;
    // A device as an Inform would have made it, approved.
    let key = tipring_acs::model::DeviceKey {
        oui: "00D0C9".into(),
        product_class: "FXS2".into(),
        serial: "TRSEC1".into(),
    };
    let mut d = tipring_acs::model::Device::new(key, 0);
    d.enrollment = tipring_acs::model::Enrollment::Approved;
    let id = d.id.clone();
    running
        .app
        .store
        .apply(vec![tipring_store::Write::PutDevice(d)])
        .unwrap();
    let path = format!("/api/v1/devices/{id}/tasks");
    let (s, v) = admin
        .call(
            "POST",
            &path,
            body(
                &json!({ "kind": "upload", "url": "https://files.example.net/up",
                          "file_type": "2 Vendor Log File", "username": "u",
                          "password": "file-server-s3cret" }),
            ),
        )
        .await
        .unwrap();
    assert_eq!(s, 201, "{v}");
    let task = v["task"].as_i64().unwrap();
    for p in [
        format!("/api/v1/tasks/{task}"),
        path.clone(),
        "/api/v1/tasks".to_string(),
        format!("/api/v1/devices/{id}"),
        "/api/v1/audit".to_string(),
    ] {
        let (s, v) = admin.call("GET", &p, None).await.unwrap();
        assert_eq!(s, 200, "{p}: {v}");
        assert!(!v.to_string().contains("file-server-s3cret"), "{p}: {v}");
    }
    // Nor is it in the database: sealed there, opened only for the RPC.
    let mut stored = running.app.store.task(task).unwrap().unwrap();
    let raw = serde_json::to_string(&stored.kind).unwrap();
    assert!(!raw.contains("file-server-s3cret"), "{raw}");
    assert!(raw.contains("\"password\":\"sealed:"), "{raw}");
    tipring_provisioner::app::open_task(&running.app.sealer, &mut stored);
    assert_eq!(
        stored.kind.password_mut().map(|p| p.expose().to_string()),
        Some("file-server-s3cret".to_string())
    );
    // Sealing twice does nothing; a task without a password is left alone.
    let mut again = running.app.store.task(task).unwrap().unwrap();
    let before = serde_json::to_string(&again.kind).unwrap();
    tipring_provisioner::app::seal_task(&running.app.sealer, &mut again);
    assert_eq!(serde_json::to_string(&again.kind).unwrap(), before);
    // The new kinds are checked like the old ones.
    let (s, v) = admin
        .call(
            "POST",
            &path,
            body(&json!({ "kind": "schedule_inform", "delay_seconds": 0 })),
        )
        .await
        .unwrap();
    assert_eq!(
        (s, v["field"].as_str()),
        (400, Some("delay_seconds")),
        "{v}"
    );
    let (s, v) = admin
        .call(
            "POST",
            &path,
            body(&json!({ "kind": "set_parameter_attributes",
                          "attributes": [{ "name": "Device.DeviceInfo.ProvisioningCode", "notification": 9 }] })),
        )
        .await
        .unwrap();
    assert_eq!(
        (s, v["field"].as_str()),
        (400, Some("attributes[0].notification")),
        "{v}"
    );
    running.stop();
}

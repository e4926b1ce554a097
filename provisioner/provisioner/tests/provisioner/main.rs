//! The provisioner's REST API on a real socket: authentication, roles, bad input answered
//! with a 4xx naming the field, and nothing half-written.

mod api;
mod console;
mod views;

use std::path::PathBuf;

use serde_json::{json, Value};
use tipring_provisioner::ctl::Client;
use tipring_provisioner::server::{start, Running, ServeArgs};

/// A scratch directory of this test process.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tipring-prov-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A provisioner on loopback ports with a fresh data directory; (it, an admin client).
pub async fn provisioner(name: &str) -> (Running, Client) {
    let args = ServeArgs {
        data: scratch(name),
        cwmp_listen: "127.0.0.1:0".parse().unwrap(),
        api_listen: "127.0.0.1:0".parse().unwrap(),
        ..ServeArgs::default()
    };
    let running = start(args).await.unwrap();
    let token = running
        .admin_token
        .clone()
        .expect("a first start makes an admin token");
    let client = Client::new(&format!("http://{}", running.api_addr), &token).unwrap();
    (running, client)
}

/// A JSON body for [`Client::call`].
pub fn body(v: &Value) -> Option<(&'static str, Vec<u8>)> {
    Some(("application/json", serde_json::to_vec(v).unwrap()))
}

/// A token of this role, made by the admin; a client that uses it.
pub async fn token(admin: &Client, base: &str, name: &str, role: &str) -> Client {
    let (s, v) = admin
        .call(
            "POST",
            "/api/v1/tokens",
            body(&json!({ "name": name, "role": role })),
        )
        .await
        .unwrap();
    assert_eq!(s, 201, "{v}");
    Client::new(base, v["token"].as_str().unwrap()).unwrap()
}

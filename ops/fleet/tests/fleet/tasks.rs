//! A file server password given with an Upload task is kept sealed in the store and
//! reaches the device in clear, in the Upload RPC of its next session (driven by hand
//! here, so the RPC can be read).

// The test waits on the wall clock for the provisioner.
#![allow(clippy::disallowed_methods)]

use serde_json::json;
use tipring_fleet::lab::Lab;

#[test]
fn an_upload_password_is_sealed_at_rest_and_clear_in_the_rpc() {
    crate::runtime().block_on(async {
        let lab = Lab::start_temp("test-upload-secret").await.unwrap();
        let (fleet, ids) = crate::provisioned_fleet(&lab, 1, "FLUPLD", 0.0).await;
        let v = lab
            .ok(
                "POST",
                &format!("/api/v1/devices/{}/tasks", ids[0]),
                json!({ "kind": "upload", "url": "https://files.example.net/up",
                        "file_type": "2 Vendor Log File", "username": "u",
                        "password": "file-server-s3cret" }),
            )
            .await
            .unwrap();
        let id = v["task"].as_i64().unwrap();
        let stored = lab.running.app.store.task(id).unwrap().unwrap();
        let raw = serde_json::to_string(&stored.kind).unwrap();
        assert!(!raw.contains("file-server-s3cret"), "sealed at rest: {raw}");

        // The gateway's next session, by hand: its Inform, then the empty POST.
        let (mut conn, cookie) = crate::hand_session(lab.running.cwmp_addr, &fleet, 0).await;
        let (status, _, body) = crate::post(&mut conn, &cookie, "").await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("Upload"), "{body}");
        assert!(
            body.contains("<Password>file-server-s3cret</Password>"),
            "the password in clear in the RPC: {body}"
        );
        lab.stop();
    });
}

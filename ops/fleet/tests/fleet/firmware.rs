//! Firmware downloads: provisioned gateways get a Download task each, fetch a Tipring
//! image over HTTP, check its manifest (model, payload size and digest), reboot onto it
//! and report `1 BOOT`, `7 TRANSFER COMPLETE` and `M Download` with the new
//! SoftwareVersion; with an injected failure rate of 100 % none installs and each reports
//! 9010.

// The test waits on the wall clock for the provisioner and the gateways.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use serde_json::json;
use tipring_firmware::{sign_image, Manifest, SigningKey};
use tipring_fleet::lab::Lab;
use tipring_fleet::Fleet;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const N: usize = 4;

/// A file server for one image: every GET gets it, then the connection closes.
async fn serve_image(image: Vec<u8>) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            let image = image.clone();
            tokio::spawn(async move {
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    image.len()
                );
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(&image).await;
            });
        }
    });
    format!("http://{addr}/fw.img")
}

async fn run(failure_rate: f64, prefix: &str) -> (Fleet, Lab, Vec<String>, usize) {
    let lab = Lab::start_temp(&format!("test-fw-{prefix}")).await.unwrap();
    let (mut fleet, ids) = crate::provisioned_fleet(&lab, N, prefix, failure_rate).await;
    let payload = vec![0x5au8; 4096];
    let key = SigningKey::from_seed(&[7; 32]);
    let manifest = Manifest::for_payload(
        "tipring",
        "FXS2",
        "9.9.9".parse().unwrap(),
        key.key_id(),
        "2026-01-01T00:00:00Z",
        &payload,
    );
    let image = sign_image(&manifest, &payload, &key).unwrap();
    let size = image.len();
    let url = serve_image(image).await;
    for id in &ids {
        lab.ok(
            "POST",
            &format!("/api/v1/devices/{id}/tasks"),
            json!({ "kind": "download", "file_type": "1 Firmware Upgrade Image",
                    "url": url, "file_size": size, "target_file_name": "" }),
        )
        .await
        .unwrap();
    }
    let _ = fleet.take_stats();
    // Periodic Informs bring the tasks; the downloads, the reboots and the reports follow.
    fleet.set_inform_interval(Duration::from_secs(1)).unwrap();
    fleet
        .run_until(Instant::now() + Duration::from_secs(8), |_| false)
        .await;
    (fleet, lab, ids, size)
}

#[test]
fn gateways_download_check_and_boot_a_firmware_image() {
    let rt = crate::runtime();
    rt.block_on(async {
        let (fleet, lab, ids, _) = run(0.0, "FLFWOK").await;
        let s = fleet.stats();
        assert_eq!(s.downloads, N as u64, "{s:?}");
        assert_eq!(s.reboots, N as u64, "rebooted onto the image: {s:?}");
        assert_eq!(s.sessions_failed, 0, "{s:?}");
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(fleet.software_version(i), Some("9.9.9"));
            let d = lab
                .ok("GET", &format!("/api/v1/devices/{id}"), json!(null))
                .await;
            let d = d.unwrap();
            assert_eq!(d["device"]["software_version"], "9.9.9", "{d}");
        }
        lab.stop();
    });
}

#[test]
fn injected_download_failures_install_nothing() {
    let rt = crate::runtime();
    rt.block_on(async {
        let (fleet, lab, ids, _) = run(1.0, "FLFWKO").await;
        let s = fleet.stats();
        assert_eq!(s.downloads, N as u64, "{s:?}");
        assert_eq!(s.reboots, 0, "{s:?}");
        for i in 0..N {
            assert_eq!(fleet.software_version(i), Some("0.1.0"));
        }
        // Each failure reached the provisioner (TransferComplete with 9010).
        for id in &ids {
            let tasks = lab
                .ok("GET", &format!("/api/v1/devices/{id}/tasks"), json!(null))
                .await
                .unwrap();
            let download = tasks
                .as_array()
                .and_then(|t| t.iter().find(|t| t["kind"]["kind"] == "download"))
                .cloned()
                .unwrap_or_default();
            assert_eq!(download["fault"]["code"], 9010, "{id}: {tasks}");
        }
        lab.stop();
    });
}

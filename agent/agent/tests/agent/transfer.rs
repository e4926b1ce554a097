//! Downloads against a file server on loopback: a good signed image lands in the inactive
//! slot and boots next; truncated, tampered, wrongly signed and other-model images are each
//! refused with their TR-069 fault and the running image untouched; server refusals map to
//! their faults; a configuration file is checked like a reload; an upload is PUT.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tipring_agent::transfer::{download, upload, Installed, TransferSettings};
use tipring_cpe::QueuedTransfer;
use tipring_firmware::{key_id_for, sign_image, Manifest, SigningKey, Verifier, Version};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};

/// Files by path; PUT bodies recorded by path.
type Files = Arc<Mutex<HashMap<String, (u16, Vec<u8>)>>>;

async fn file_server(files: Files) -> std::net::SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let files = Arc::clone(&files);
            tokio::spawn(async move {
                let (r, mut w) = s.into_split();
                let mut r = BufReader::new(r);
                let mut line = String::new();
                if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                let mut parts = line.split_whitespace();
                let (method, path) = (
                    parts.next().unwrap().to_string(),
                    parts.next().unwrap().to_string(),
                );
                let mut len = 0usize;
                loop {
                    let mut h = String::new();
                    r.read_line(&mut h).await.unwrap();
                    if h.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; len];
                r.read_exact(&mut body).await.unwrap();
                let (status, data) = if method == "PUT" {
                    files
                        .lock()
                        .unwrap()
                        .insert(format!("PUT {path}"), (200, body));
                    (201, Vec::new())
                } else {
                    files
                        .lock()
                        .unwrap()
                        .get(&path)
                        .cloned()
                        .unwrap_or((404, Vec::new()))
                };
                // `/cut/...`: the connection drops halfway through the file.
                let cut = path.starts_with("/cut/");
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n",
                    data.len(),
                    if status == 401 {
                        "WWW-Authenticate: Basic realm=\"files\"\r\n"
                    } else {
                        ""
                    }
                );
                w.write_all(head.as_bytes()).await.unwrap();
                let send = if cut {
                    &data[..data.len() / 2]
                } else {
                    &data[..]
                };
                w.write_all(send).await.unwrap();
                let _ = w.shutdown().await;
            });
        }
    });
    addr
}

fn key() -> SigningKey {
    SigningKey::from_seed(&[42; 32])
}

fn image(model: &str, version: &str, payload: &[u8], signer: &SigningKey) -> Vec<u8> {
    let trusted = key();
    let m = Manifest::for_payload(
        "tipring-gw",
        model,
        version.parse::<Version>().unwrap(),
        key_id_for(&trusted.public_key()),
        "2026-11-26T12:00:00Z",
        payload,
    );
    sign_image(&m, payload, signer).unwrap()
}

fn settings(dir: &std::path::Path) -> TransferSettings {
    let k = key();
    TransferSettings {
        tls: None,
        slots_dir: dir.to_path_buf(),
        verifier: Verifier::new("tipring-gw", "FXS48")
            .with_key(key_id_for(&k.public_key()), k.public_key()),
        max_file: 1 << 20,
        seed: [5; 32],
    }
}

fn queued(addr: std::net::SocketAddr, path: &str, file_type: &str) -> QueuedTransfer {
    QueuedTransfer {
        command_key: format!("ck{path}"),
        download: true,
        file_type: file_type.into(),
        url: format!("http://{addr}{path}"),
        username: String::new(),
        password: String::new(),
        file_size: 0,
        target_file_name: String::new(),
        due: 0,
        started: true,
    }
}

fn unix() -> i64 {
    1_780_000_000
}

#[tokio::test]
async fn firmware_images_good_and_bad() {
    let dir = std::env::temp_dir().join(format!("tipring-transfer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let payload = vec![0x5au8; 200_000];
    let good = image("FXS48", "2.0.0", &payload, &key());
    let mut tampered = good.clone();
    let n = tampered.len();
    tampered[n - 1000] ^= 1;
    let files: Files = Arc::new(Mutex::new(HashMap::new()));
    {
        let mut f = files.lock().unwrap();
        f.insert("/good.img".into(), (200, good.clone()));
        f.insert(
            "/truncated.img".into(),
            (200, good[..good.len() / 2].to_vec()),
        );
        f.insert("/tampered.img".into(), (200, tampered));
        f.insert(
            "/impostor.img".into(),
            (
                200,
                image("FXS48", "2.0.0", &payload, &SigningKey::from_seed(&[7; 32])),
            ),
        );
        f.insert(
            "/other-model.img".into(),
            (200, image("FXS8", "2.0.0", &payload, &key())),
        );
        f.insert("/secret.img".into(), (401, Vec::new()));
        f.insert("/cut/good.img".into(), (200, good.clone()));
    }
    let addr = file_server(Arc::clone(&files)).await;
    let s = settings(&dir);
    let fw = "1 Firmware Upgrade Image";
    for (path, fault) in [
        ("/truncated.img", 9018),
        ("/tampered.img", 9018),
        ("/impostor.img", 9019),
        ("/other-model.img", 9010),
        ("/missing.img", 9016),
        ("/secret.img", 9012),
        // The connection drops halfway: unable to complete the download.
        ("/cut/good.img", 9017),
    ] {
        let out = download(&queued(addr, path, fw), &s, unix).await;
        assert_eq!(
            out.result.fault_code, fault,
            "{path}: {}",
            out.result.fault_string
        );
        assert!(out.installed.is_none());
        let slots = tipring_slots::Slots::open(&dir).unwrap();
        assert!(
            slots.boot_slot() == slots.active().slot,
            "{path}: nothing boots next"
        );
    }
    // The file server is gone: 9015.
    let mut q = queued(addr, "/good.img", fw);
    q.url = "http://127.0.0.1:1/good.img".into();
    assert_eq!(download(&q, &s, unix).await.result.fault_code, 9015);
    // Wrong FileSize: 9017.
    let mut q = queued(addr, "/good.img", fw);
    q.file_size = 12;
    assert_eq!(download(&q, &s, unix).await.result.fault_code, 9017);
    // The good one: installed in the other slot, which boots next.
    let out = download(&queued(addr, "/good.img", fw), &s, unix).await;
    assert_eq!(out.result.fault_code, 0, "{}", out.result.fault_string);
    assert_eq!(
        out.installed,
        Some(Installed::Firmware {
            version: "2.0.0".into()
        })
    );
    let mut slots = tipring_slots::Slots::open(&dir).unwrap();
    assert_ne!(slots.boot_slot(), slots.active().slot);
    let outcome = slots.boot().unwrap();
    assert!(format!("{outcome:?}").contains("Switched"), "{outcome:?}");
    assert_eq!(slots.active().version.as_deref(), Some("2.0.0"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn configuration_files_and_uploads() {
    let dir = std::env::temp_dir().join(format!("tipring-transfer-cfg-{}", std::process::id()));
    let good = br#"{ "schema_version": 1, "device": { "name": "x", "country": "us" },
        "sip": { "listen": "127.0.0.1:0" }, "ports": [ { "extension": "301" } ],
        "management": { "http_listen": "127.0.0.1:0" } }"#;
    let files: Files = Arc::new(Mutex::new(HashMap::new()));
    files
        .lock()
        .unwrap()
        .insert("/good.json".into(), (200, good.to_vec()));
    files.lock().unwrap().insert(
        "/bad.json".into(),
        (
            200,
            String::from_utf8_lossy(good)
                .replace("\"301\"", "\"3x1\"")
                .into_bytes(),
        ),
    );
    let addr = file_server(Arc::clone(&files)).await;
    let s = settings(&dir);
    let cfg = "3 Vendor Configuration File";
    let out = download(&queued(addr, "/good.json", cfg), &s, unix).await;
    match out.installed {
        Some(Installed::Config(c)) => assert_eq!(c.ports[0].extension, "301"),
        other => panic!("{other:?} {}", out.result.fault_string),
    }
    let out = download(&queued(addr, "/bad.json", cfg), &s, unix).await;
    assert_eq!(out.result.fault_code, 9018);
    assert!(
        out.result.fault_string.contains("ports[0].extension"),
        "{}",
        out.result.fault_string
    );
    // Upload: PUT to the URL.
    let mut q = queued(addr, "/up/cfg.json", "3 Vendor Configuration File");
    q.download = false;
    let out = upload(&q, &s, b"{\"a\":1}".to_vec(), unix).await;
    assert_eq!(out.result.fault_code, 0, "{}", out.result.fault_string);
    assert!(!out.result.download);
    assert_eq!(files.lock().unwrap()["PUT /up/cfg.json"].1, b"{\"a\":1}");
}

//! The admin pages over real HTTPS, driven by curl (an independent client): the TLS
//! certificate made on first start, sign-in, the status page, lock-out, and bounded
//! requests.

use std::process::Command;
use std::sync::Arc;

use tipring_admin::{Admin, AdminServer, FileStore};
use tipring_status::{GatewayStatus, PortStatus};

fn curl_available() -> bool {
    Command::new("curl").arg("--version").output().is_ok()
}

/// `curl -k` (the certificate is self-signed) with `args`; (status line + headers, body).
fn curl(url: &str, args: &[&str]) -> (String, String) {
    let out = Command::new("curl")
        .args(["-sk", "-D", "-", "--max-time", "10"])
        .args(args)
        .arg(url)
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (head.to_string(), body.to_string())
}

fn status_of(head: &str) -> u16 {
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[test]
fn an_installer_signs_in_over_https_and_a_guesser_is_locked_out() {
    if !curl_available() {
        eprintln!("curl not installed: the HTTPS admin test is skipped");
        return;
    }
    let dir = std::env::temp_dir().join(format!("tipring-admin-https-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (admin, first) = Admin::open("gw-test", Box::new(FileStore::new(&dir))).unwrap();
    let password = first.expect("first start makes a password");
    let stored = std::fs::read_to_string(dir.join("admin.json")).unwrap();
    assert!(!stored.contains(&password), "only the hash is stored");
    let (tls, fingerprint) =
        tipring_admin::tls::server_config(None, Some(&dir), &["127.0.0.1".into()]).unwrap();
    let status = GatewayStatus {
        version: "9.9.9".into(),
        ports: vec![PortStatus {
            port: 1,
            extension: "4711".into(),
            line_state: "idle".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let (tx, rx) = tokio::sync::watch::channel(tipring_admin::View {
        status: Arc::new(status),
        ..Default::default()
    });
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let server = AdminServer::bind("127.0.0.1:0".parse().unwrap(), tls, admin)
                .await
                .unwrap();
            addr_tx.send(server.local_addr().unwrap()).unwrap();
            server.run(rx, None, None).await;
        });
    });
    let base = format!("https://{}", addr_rx.recv().unwrap());

    // The certificate curl sees is the one we made (its fingerprint).
    let out = Command::new("curl")
        .args([
            "-sk",
            "-o",
            "/dev/null",
            "-w",
            "%{certs}",
            "--max-time",
            "10",
        ])
        .arg(format!("{base}/signin"))
        .output()
        .unwrap();
    let certs = String::from_utf8_lossy(&out.stdout);
    if !certs.is_empty() {
        assert!(certs.contains("Tipring gateway"), "{certs}");
    }
    assert_eq!(fingerprint.len(), 95);

    let (head, body) = curl(&format!("{base}/signin"), &[]);
    assert_eq!(status_of(&head), 200, "{head}");
    for h in [
        "content-security-policy: default-src 'none'",
        "x-frame-options: DENY",
        "x-content-type-options: nosniff",
        "cache-control: no-store",
    ] {
        assert!(
            head.to_lowercase().contains(&h.to_lowercase()),
            "{h} missing: {head}"
        );
    }
    assert!(body.contains("<form method=\"post\" action=\"/signin\">"));

    // Not signed in: the status page sends us to sign in.
    let (head, _) = curl(&format!("{base}/status"), &[]);
    assert_eq!(status_of(&head), 303);

    // Signed in with the first-start password: to the password page, then status.
    let jar = dir.join("cookies.txt");
    let jar = jar.to_str().unwrap();
    let (head, _) = curl(
        &format!("{base}/signin"),
        &[
            "-c",
            jar,
            "--data-urlencode",
            "user=admin",
            "--data-urlencode",
            &format!("password={password}"),
        ],
    );
    assert_eq!(status_of(&head), 303, "{head}");
    assert!(head.contains("location: /password"), "{head}");
    let (head, body) = curl(&format!("{base}/status"), &["-b", jar]);
    assert_eq!(status_of(&head), 200, "{head}");
    assert!(body.contains("4711") && body.contains("9.9.9"), "{body}");

    // A guesser from the same address: 5 wrong passwords, then even the right one waits.
    for _ in 0..5 {
        let (head, _) = curl(
            &format!("{base}/signin"),
            &["--data", "user=admin&password=guess"],
        );
        assert_eq!(status_of(&head), 401);
    }
    let (head, body) = curl(
        &format!("{base}/signin"),
        &[
            "--data-urlencode",
            "user=admin",
            "--data-urlencode",
            &format!("password={password}"),
        ],
    );
    assert_eq!(status_of(&head), 429, "{head}");
    assert!(head.to_lowercase().contains("retry-after:"), "{head}");
    assert!(body.contains("Too many failed sign-ins"));

    // A body over the limit is refused before it is read whole.
    let big = dir.join("big.txt");
    std::fs::write(&big, "x".repeat(tipring_admin::MAX_BODY + 1)).unwrap();
    let (head, _) = curl(
        &format!("{base}/signin"),
        &[
            "-H",
            "Expect:",
            "--data-binary",
            &format!("@{}", big.display()),
        ],
    );
    assert_eq!(status_of(&head), 413, "{head}");

    drop(tx);
    thread.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

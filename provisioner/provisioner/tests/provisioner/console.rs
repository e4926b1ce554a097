//! The console's files: served by the API listener without a token (the page asks for
//! one, and every API call it makes carries it), with a policy that lets it load only from
//! this origin.

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::provisioner;

/// GET a path: the status line and headers (lowercased names), and the body.
async fn get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (head.to_ascii_lowercase(), body.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_is_served_from_the_binary_with_a_strict_policy() {
    let (running, _admin) = provisioner("console").await;
    let addr = running.api_addr;
    let (head, _) = get(addr, "/").await;
    assert!(head.starts_with("http/1.1 303"), "{head}");
    assert!(head.contains("location: /console/"), "{head}");
    for (path, kind, needle) in [
        ("/console/", "text/html", "console.js"),
        ("/console/console.js", "text/javascript", "/api/v1"),
        ("/console/console.css", "text/css", "--accent"),
    ] {
        let (head, body) = get(addr, path).await;
        assert!(head.starts_with("http/1.1 200"), "{path}: {head}");
        assert!(
            head.contains(&format!("content-type: {kind}")),
            "{path}: {head}"
        );
        assert!(
            head.contains("content-security-policy: default-src 'self'; script-src 'self';"),
            "{path}: {head}"
        );
        assert!(
            head.contains("x-content-type-options: nosniff"),
            "{path}: {head}"
        );
        assert!(body.contains(needle), "{path}");
    }
    // The script never writes API data as HTML.
    let (_, js) = get(addr, "/console/console.js").await;
    assert!(!js.contains("innerHTML"), "values go in as text");
    // The API behind it still wants a token.
    let (head, _) = get(addr, "/api/v1/devices").await;
    assert!(head.starts_with("http/1.1 401"), "{head}");
    running.stop();
}

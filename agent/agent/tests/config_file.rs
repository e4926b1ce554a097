//! `tipring-agent --config FILE`: a refused file names every problem with its path and
//! starts nothing (exit 2); a good one starts the gateway it describes.

use std::io::Write as _;
use std::process::{Command, Stdio};

fn write(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tipring-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn agent(config: &std::path::Path, stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tipring-agent"))
        .arg("--config")
        .arg(config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A refused file exits before reading its input: a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

const GOOD: &str = r#"{
  "schema_version": 1,
  "device": { "name": "lobby", "country": "us" },
  "sip": { "listen": "127.0.0.1:0" },
  "ports": [
    { "extension": "2001", "dial_plan": "{ 2xxx | x+T }" },
    { "extension": "2002" }
  ],
  "management": { "http_listen": "127.0.0.1:0", "log_format": "human" }
}"#;

#[test]
fn a_bad_file_is_refused_with_every_problem_named() {
    let bad = GOOD.replace("\"2001\"", "\"20a1\"").replace(
        "\"country\": \"us\"",
        "\"country\": \"us\", \"colour\": \"red\"",
    );
    let out = agent(&write("bad.json", &bad), "quit\n");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("colour"), "{err}");
    assert!(
        String::from_utf8_lossy(&out.stdout).is_empty(),
        "nothing started"
    );
    // Fixing the unknown field leaves the extension: named with its path.
    let bad = GOOD.replace("\"2001\"", "\"20a1\"");
    let out = agent(&write("bad2.json", &bad), "quit\n");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ports[0].extension"), "{err}");
    // A registering port without a password: no default passwords.
    let bad = GOOD.replace(
        "\"listen\": \"127.0.0.1:0\"",
        "\"listen\": \"127.0.0.1:0\", \"servers\": [\"127.0.0.1:5060\"]",
    );
    let out = agent(&write("bad3.json", &bad), "quit\n");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ports[0].password"), "{err}");
}

#[test]
fn a_good_file_starts_its_gateway() {
    let out = agent(
        &write("good.json", GOOD),
        "lift 1\nsleep 400\npress 1 2002\nsleep 1500\nstatus\nquit\n",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("[port 2 ext 2002] phone RINGS"), "{text}");
    assert!(text.contains("status on http://127.0.0.1:"), "{text}");
}

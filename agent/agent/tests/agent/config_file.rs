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

/// A running agent whose output is read line by line.
struct Running {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(args: &[&std::ffi::OsStr]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tipring-agent"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead as _;
            for l in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(l);
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    fn send(&mut self, command: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{command}").unwrap();
        stdin.flush().unwrap();
    }

    /// Wait for a line after the ones already matched that holds `part`.
    fn expect(&mut self, part: &str) -> String {
        loop {
            match self.lines.recv_timeout(std::time::Duration::from_secs(10)) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if l.contains(part) {
                        return l;
                    }
                }
                Err(_) => panic!("no line with {part:?}; printed:\n{}", self.seen.join("\n")),
            }
        }
    }

    fn quit(mut self) {
        self.send("quit");
        assert!(self.child.wait().unwrap().success());
    }
}

#[test]
fn reload_sighup_and_rollback_through_the_state_directory() {
    let file = write("managed.json", GOOD);
    let state = file.with_file_name("managed-state");
    let _ = std::fs::remove_dir_all(&state);
    let mut agent = Running::start(&[
        "--config".as_ref(),
        file.as_os_str(),
        "--state-dir".as_ref(),
        state.as_os_str(),
    ]);
    agent.expect("configuration version 1 (stored in");

    // Port 2 becomes extension 2003: only it is touched, and calls find it there.
    std::fs::write(&file, GOOD.replace("\"2002\"", "\"2003\"")).unwrap();
    agent.send("reload");
    agent.expect("configuration version 2 applied");
    agent.expect("[port 2 ext 2003] configuration applied");

    // A bad file names the field; version 2 keeps running.
    std::fs::write(&file, GOOD.replace("\"2002\"", "\"20x3\"")).unwrap();
    agent.send("reload");
    agent.expect("ports[1].extension");
    agent.expect("the running configuration (version 2) stays");
    agent.send("lift 1");
    agent.send("sleep 400");
    agent.send("press 1 2003");
    agent.expect("[port 2 ext 2003] phone RINGS");
    agent.send("hang 1");

    // SIGHUP reads the file again.
    let named = GOOD.replace("\"2002\"", "\"2003\"").replace(
        "{ \"extension\": \"2003\"",
        "{ \"extension\": \"2003\", \"display_name\": \"Lobby\"",
    );
    std::fs::write(&file, named).unwrap();
    let pid = agent.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap()
        .success());
    agent.expect("SIGHUP");
    agent.expect("configuration version 3 applied");
    agent.quit();

    // Started from the state directory alone, version 3 runs; rollback brings back 2.
    let mut agent = Running::start(&["--state-dir".as_ref(), state.as_os_str()]);
    agent.expect("configuration version 3");
    agent.send("rollback");
    agent.expect("configuration version 4 (rollback) applied");
    agent.send("version");
    agent.expect("configuration version 4");
    agent.quit();
    let stored = std::fs::read_to_string(state.join("config.json")).unwrap();
    assert!(stored.contains("\"version\": 4"), "{stored}");
    assert!(
        !stored.contains("Lobby"),
        "the rollback's document is version 2's"
    );
    assert!(std::fs::read_to_string(state.join("config.prev.json"))
        .unwrap()
        .contains("Lobby"));
}

/// `management.syslog`: the agent's events reach a collector as RFC 5424 messages (here
/// a plain UDP socket standing in for one; rsyslog parses our messages in
/// tipring-syslog's own tests), whatever RUST_LOG says, with the device name as HOSTNAME;
/// the stderr log stays as it was.
#[test]
fn syslog_carries_the_agents_events_to_the_collector() {
    let collector = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    collector
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let doc = GOOD.replace(
        "\"log_format\": \"human\" }",
        &format!(
            "\"log_format\": \"human\", \"syslog\": {{ \"server\": \"{}\", \"transport\": \"udp\" }} }}",
            collector.local_addr().unwrap()
        ),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_tipring-agent"))
        .arg("--config")
        .arg(write("syslog.json", &doc))
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = collector.recv(&mut buf) {
        let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
        let done = msg.contains("status endpoint listening");
        got.push(msg);
        if done {
            break;
        }
    }
    let _ = child.stdin.take().unwrap().write_all(b"quit\n");
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = got
        .iter()
        .find(|m| m.contains("status endpoint listening"))
        .unwrap_or_else(|| panic!("no such event among {got:?}"));
    // <local0.info>1 TIMESTAMP lobby tipring-agent PID tipring_status [...] message
    assert!(line.starts_with("<134>1 20"), "{line}");
    assert!(line.contains(" lobby tipring-agent "), "{line}");
    assert!(line.contains("[tipring@32473 addr=\"127.0.0.1:"), "{line}");
    // RUST_LOG=error kept the info event off stderr.
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("status endpoint listening"),
        "stderr keeps its own filter"
    );
}

/// SIGTERM (what systemd sends to stop the service) ends the agent cleanly: a line says
/// so, the run ends as `quit` does, and the exit status is 0.
#[test]
fn sigterm_stops_the_agent_cleanly() {
    let file = write("term.json", GOOD);
    let mut agent = Running::start(&["--config".as_ref(), file.as_os_str()]);
    agent.expect("status on http://");
    let pid = agent.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    agent.expect("SIGTERM: stopping");
    agent.expect("bye");
    assert!(agent.child.wait().unwrap().success());
}

/// A changed `management.syslog` takes effect at the `reload`: the events after it go to
/// the new collector, none to the old one.
#[test]
fn a_changed_syslog_section_moves_the_events_at_once() {
    let a = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for s in [&a, &b] {
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
    }
    let doc = |to: &std::net::UdpSocket| {
        GOOD.replace(
            "\"log_format\": \"human\" }",
            &format!(
                "\"log_format\": \"human\", \"syslog\": {{ \"server\": \"{}\", \"transport\": \"udp\" }} }}",
                to.local_addr().unwrap()
            ),
        )
    };
    let file = write("syslog-move.json", &doc(&a));
    let state = file.with_file_name("syslog-move-state");
    let _ = std::fs::remove_dir_all(&state);
    let mut agent = Running::start(&[
        "--config".as_ref(),
        file.as_os_str(),
        "--state-dir".as_ref(),
        state.as_os_str(),
    ]);
    let mut buf = [0u8; 4096];
    let n = a.recv(&mut buf).expect("collector A hears the start");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("<"));
    std::fs::write(&file, doc(&b)).unwrap();
    agent.send("reload");
    agent.expect(&format!("syslog to {} over UDP", b.local_addr().unwrap()));
    agent.send("lift 1");
    let text = loop {
        let n = b
            .recv(&mut buf)
            .expect("collector B hears the events after the reload");
        let m = String::from_utf8_lossy(&buf[..n]).into_owned();
        if m.contains("line: dial tone") {
            break m;
        }
    };
    assert!(text.contains(" lobby tipring-agent "), "{text}");
    // Collector A heard nothing of it.
    a.set_read_timeout(Some(std::time::Duration::from_millis(300)))
        .unwrap();
    while let Ok(n) = a.recv(&mut buf) {
        let m = String::from_utf8_lossy(&buf[..n]);
        assert!(!m.contains("line: dial tone"), "the old collector: {m}");
    }
    agent.quit();
}

//! The gateway's HTTPS admin pages, whole: a gateway run from a configuration with
//! `management.admin` prints its admin address, certificate fingerprint and — on first
//! start only — the admin password; curl (an independent client) signs in with it and
//! reads the ports' registrations on the status page; at the next start the password is
//! not printed again and still works, and the certificate is the same.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use tipring_integration_tests::peers::{Kamailio, KamailioConfig};

use crate::Agent;

const DOMAIN: &str = "tipring.test";
const WAIT: Duration = Duration::from_secs(15);

fn curl(url: &str, args: &[&str]) -> (u16, String, String) {
    let out = Command::new("curl")
        .args(["-sk", "-D", "-", "--max-time", "10"])
        .args(args)
        .arg(url)
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

/// The admin URL and certificate fingerprint of a started gateway, and the first-start
/// password if it printed one.
fn admin_of(agent: &mut Agent) -> (String, String, Option<String>) {
    let line = agent.expect(&["admin pages on https://"], WAIT);
    let url = line
        .split("on ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let fp = line
        .split("SHA-256 ")
        .nth(1)
        .unwrap()
        .trim_end_matches(')')
        .to_string();
    // The password line follows at once when there is one.
    std::thread::sleep(Duration::from_millis(300));
    let transcript = agent.transcript();
    let password = transcript
        .lines()
        .find(|l| l.contains("first-start password for `admin`: "))
        .map(|l| {
            l.split("`admin`: ")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
                .to_string()
        });
    (url, fp, password)
}

/// Where a test's gateway lives: its scratch directory, state directory, configuration
/// file and the document in it (port 1 as 101 registering with Kamailio, the admin pages
/// on a free loopback port).
struct Site {
    dir: std::path::PathBuf,
    state: std::path::PathBuf,
    file: std::path::PathBuf,
    doc: serde_json::Value,
}

/// Kamailio with accounts 101 and 150, and a gateway's site registering with it.
fn site(name: &str) -> (Kamailio, Site) {
    let cfg = KamailioConfig::new(DOMAIN)
        .account("101", "pw-101")
        .account("150", "pw-150");
    let k = Kamailio::start(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let dir = crate::services::scratch(name);
    let doc = json!({
        "schema_version": 1,
        "device": { "name": "lobby-gw", "country": "us" },
        "sip": { "servers": [k.addr().to_string()], "domain": DOMAIN, "listen": "127.0.0.1:0" },
        "ports": [{ "extension": "101", "password": "pw-101" }],
        "management": { "http_listen": "127.0.0.1:0", "admin": { "listen": "127.0.0.1:0" } }
    });
    let file = dir.join("gateway.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let site = Site {
        state: dir.join("state"),
        dir,
        file,
        doc,
    };
    (k, site)
}

/// Without curl (an independent HTTPS client) the tests are skipped, saying so.
fn no_curl() -> bool {
    let missing = Command::new("curl").arg("--version").output().is_err();
    if missing {
        eprintln!("curl not installed: the admin pages test is skipped");
    }
    missing
}

fn sign_in(url: &str, password: &str, jar: &Path) -> u16 {
    let jar = jar.to_str().unwrap();
    curl(
        &format!("{url}/signin"),
        &[
            "-c",
            jar,
            "--data-urlencode",
            "user=admin",
            "--data-urlencode",
            &format!("password={password}"),
        ],
    )
    .0
}

#[test]
fn the_first_start_password_signs_in_once_printed_and_survives_a_restart() {
    if no_curl() {
        return;
    }
    let (
        _k,
        Site {
            dir,
            state,
            file,
            doc,
        },
    ) = site("admin");

    let mut agent = Agent::start_config(&file, &state);
    agent.expect(&["ext 101]", "SIP: registered"], WAIT);
    let (url, fp, password) = admin_of(&mut agent);
    let password = password.expect("the first start prints the password");
    assert!(
        !std::fs::read_to_string(state.join("admin.json"))
            .unwrap()
            .contains(&password),
        "only its hash is kept"
    );
    let jar = dir.join("jar");
    assert_eq!(sign_in(&url, "not-it", &jar), 401);
    assert_eq!(sign_in(&url, &password, &jar), 303);
    // The status page shows the port registered (the snapshot is fed every second).
    let mut body = String::new();
    for _ in 0..30 {
        let (status, _, b) = curl(&format!("{url}/status"), &["-b", jar.to_str().unwrap()]);
        assert_eq!(status, 200);
        body = b;
        if body.contains("registered with") {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(body.contains("lobby-gw") && body.contains("101"), "{body}");
    assert!(body.contains("registered with"), "{body}");

    // The installer renumbers port 1 to 150 with its own password: stored as a new
    // version, applied, and the port registers afresh as 150.
    let cookies = jar.to_str().unwrap();
    let (status, _, page) = curl(&format!("{url}/config"), &["-b", cookies]);
    assert_eq!(status, 200);
    assert!(page.contains("value=\"101\""), "{page}");
    assert!(!page.contains("pw-101"), "the SIP password is never shown");
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &page[at..at + page[at..].find('"').unwrap()];
    let form = |ext: &str| {
        format!("csrf={csrf}&p0_extension={ext}&p0_display_name=Lobby&p0_enabled=on&p0_password=pw-{ext}")
    };
    // A bad extension is refused with the field named; nothing changes.
    let (status, _, page) = curl(
        &format!("{url}/config"),
        &["-b", cookies, "--data", &form("1x")],
    );
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("ports[0].extension"), "{page}");
    let (status, _, page) = curl(
        &format!("{url}/config"),
        &["-b", cookies, "--data", &form("150")],
    );
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Saved as configuration version 2"), "{page}");
    agent.expect(&["ext 150]", "SIP: registered"], WAIT);
    let stored = std::fs::read_to_string(state.join("config.json")).unwrap();
    assert!(
        stored.contains("\"150\"") && stored.contains("Lobby"),
        "{stored}"
    );

    // Back up version 2, break the file, restore: refused with the reason, nothing changed.
    let (status, head, backup) = curl(&format!("{url}/backup"), &["-b", cookies]);
    assert_eq!(status, 200);
    assert!(head.contains("tipring-lobby-gw-v2.json"), "{head}");
    assert!(
        backup.contains("\"150\"") && backup.contains("pw-150"),
        "a backup restores passwords too"
    );
    let bad = dir.join("bad.json");
    std::fs::write(&bad, backup.replace("\"ports\"", "\"portz\"")).unwrap();
    let restore = |file: &Path| {
        curl(
            &format!("{url}/restore"),
            &[
                "-b",
                cookies,
                "-F",
                &format!("csrf={csrf}"),
                "-F",
                &format!("file=@{}", file.display()),
            ],
        )
    };
    let (status, _, page) = restore(&bad);
    assert_eq!(status, 400, "{page}");
    assert!(
        page.contains("Restore refused, nothing changed") && page.contains("portz"),
        "{page}"
    );
    // The version-1 document (port 1 as 101) restored: applied as version 3.
    let v1 = dir.join("v1.json");
    std::fs::write(&v1, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    agent.mark();
    let (status, _, page) = restore(&v1);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Saved as configuration version 3"), "{page}");
    agent.expect(&["ext 101]", "SIP: registered"], WAIT);
    assert!(
        state.join("config.prev.json").exists(),
        "the one before is kept"
    );

    // The support bundle: log and status, and no secret — neither the SIP passwords nor
    // the first-start admin password (printed on the console only).
    let (status, head, bundle) = curl(&format!("{url}/export"), &["-b", cookies]);
    assert_eq!(status, 200);
    assert!(head.contains("tipring-support-lobby-gw.json"), "{head}");
    // (The log is the binary's console output; this in-process gateway has none.)
    let b: serde_json::Value = serde_json::from_str(&bundle).unwrap();
    assert_eq!(b["status"]["ports"][0]["extension"], "101", "{bundle}");
    assert_eq!(b["config_version"], 3, "{bundle}");
    assert!(b["log"].is_string(), "{bundle}");
    for secret in ["pw-101", "pw-150", password.as_str()] {
        assert!(!bundle.contains(secret), "{secret} in the bundle");
    }
    agent.send("quit");
    drop(agent);

    // The next start: same certificate, no password printed, the old one still signs in.
    let mut agent = Agent::start_config(&file, &state);
    let (url, fp2, again) = admin_of(&mut agent);
    assert_eq!(fp, fp2, "the certificate is kept");
    assert_eq!(again, None, "the password is shown on the first start only");
    assert_eq!(sign_in(&url, &password, &dir.join("jar2")), 303);
    // Restart from the maintenance page: the page answers, then the gateway restarts.
    let jar2 = dir.join("jar2");
    let (_, _, page) = curl(
        &format!("{url}/maintenance"),
        &["-b", jar2.to_str().unwrap()],
    );
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &page[at..at + page[at..].find('"').unwrap()];
    let (status, _, page) = curl(
        &format!("{url}/reboot"),
        &[
            "-b",
            jar2.to_str().unwrap(),
            "--data",
            &format!("csrf={csrf}"),
        ],
    );
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("restarts now"), "{page}");
    agent.expect(&["admin pages: Reboot"], WAIT);
    agent.expect(&["rebooting"], WAIT);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every screen the browser test pictures (and checks with axe-core).
const SCREENS: &[&str] = &[
    "admin-signin",
    "admin-password",
    "admin-status",
    "admin-config",
    "admin-config-saved",
    "admin-diagnostics",
    "admin-diagnostics-result",
    "admin-maintenance",
    "admin-locked",
];

#[test]
fn an_installer_uses_the_admin_pages_in_chromium() {
    let tests = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ops/console-tests");
    assert!(
        tests.join("node_modules/playwright-core").exists(),
        "playwright-core is missing: run ops/install-deps (it runs npm ci in ops/console-tests)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: run ops/install-deps (Debian package chromium)"
    );
    let shots = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("admin-pages");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();

    let (
        _k,
        Site {
            dir, state, file, ..
        },
    ) = site("admin-browser");
    // The backup the installer restores: this very document (port 1 as 101).
    let backup = dir.join("backup.json");
    std::fs::copy(&file, &backup).unwrap();

    let mut agent = Agent::start_config(&file, &state);
    agent.expect(&["ext 101]", "SIP: registered"], WAIT);
    let (url, _, password) = admin_of(&mut agent);
    let password = password.expect("first start");

    let out = Command::new("node")
        .arg(tests.join("admin.test.js"))
        .arg(&url)
        .arg(&password)
        .arg(&backup)
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "the browser test failed: {}{}\n--- gateway:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        agent.transcript()
    );
    for screen in SCREENS {
        assert!(shots.join(format!("{screen}.png")).exists(), "{screen}.png");
    }
    // What the browser did, as the gateway saw it: 150 registered, then 101 again.
    let t = agent.transcript();
    let at_150 = t
        .find("ext 150] SIP: registered")
        .unwrap_or_else(|| panic!("150 never registered:\n{t}"));
    assert!(
        t[at_150..].contains("ext 101] SIP: registered"),
        "101 did not register again after the restore:\n{t}"
    );
    let stored = std::fs::read_to_string(state.join("config.json")).unwrap();
    assert!(stored.contains("\"version\": 3"), "{stored}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The form token of the page `html`.
fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a form") + 19;
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

/// Poll the diagnostics page until `done` shows in the newest row of the test `what`.
fn diagnosis(url: &str, cookies: &str, what: &str, done: &[&str]) -> String {
    let mut page = String::new();
    for _ in 0..100 {
        page = curl(&format!("{url}/diagnostics"), &["-b", cookies]).2;
        let newest = page
            .split("<tbody>")
            .nth(1)
            .and_then(|t| t.split("</tr>").find(|r| r.contains(what)))
            .unwrap_or("");
        if done.iter().any(|d| newest.contains(d)) {
            return newest.to_string();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("no {done:?} on the diagnostics page:\n{page}");
}

#[test]
fn an_installer_runs_the_diagnostics_and_closes_the_gateway() {
    if no_curl() {
        return;
    }
    let (
        k,
        Site {
            dir, state, file, ..
        },
    ) = site("admin-diag");
    let mut agent = Agent::start_config(&file, &state);
    let sip_line = agent.expect(&["SIP on udp:"], WAIT);
    let sip: std::net::SocketAddr = sip_line
        .split("udp:")
        .nth(1)
        .and_then(|r| r.split([',', ' ']).next())
        .unwrap()
        .parse()
        .unwrap();
    agent.expect(&["ext 101]", "SIP: registered"], WAIT);
    let (url, _, password) = admin_of(&mut agent);
    let jar = dir.join("jar");
    assert_eq!(sign_in(&url, &password.unwrap(), &jar), 303);
    let cookies = jar.to_str().unwrap();

    // The status page: uplink, the ACS (off here), firmware (no slots here), access (from
    // the first snapshot, a second after the start).
    let mut page = String::new();
    for _ in 0..30 {
        page = curl(&format!("{url}/status"), &["-b", cookies]).2;
        if page.contains("Access control") {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    // The SIP counters count: the REGISTER went out and its answers came back.
    assert!(
        page.contains("<h2>SIP</h2><p>") && !page.contains("<p>0 messages sent, 0 received"),
        "{page}"
    );
    for part in [
        "<h2>Uplink</h2>",
        "TR-069 is off",
        "<h2>Firmware</h2>",
        "<h2>Access control</h2>",
    ] {
        assert!(page.contains(part), "{part}:\n{page}");
    }

    let (_, _, page) = curl(&format!("{url}/diagnostics"), &["-b", cookies]);
    let csrf = csrf_of(&page);
    let start = |form: &str| {
        let (status, _, page) = curl(
            &format!("{url}/diagnostics"),
            &["-b", cookies, "--data", &format!("csrf={csrf}&{form}")],
        );
        assert_eq!(status, 202, "{form}: {page}");
    };
    // Ring port 1; the phone is picked up after a moment: answered.
    agent.mark();
    start("test=ring&port=1&seconds=20");
    agent.expect(&["phone RINGS"], WAIT);
    agent.send("lift 1");
    let row = diagnosis(
        &url,
        cookies,
        "ring port 1",
        &["answered after", "interrupted"],
    );
    assert!(row.contains("the phone answered after"), "{row}");
    // Off hook at dial tone: a busy tone for 2 s in its place.
    agent.mark();
    start("test=tone&port=1&tone=busy&seconds=2");
    agent.expect(&["phone hears 480"], WAIT);
    let row = diagnosis(&url, cookies, "busy tone", &["completed", "interrupted"]);
    assert!(row.contains("completed"), "{row}");
    agent.send("hang 1");
    // A bad request is refused with the reason.
    let (status, _, page) = curl(
        &format!("{url}/diagnostics"),
        &[
            "-b",
            cookies,
            "--data",
            &format!("csrf={csrf}&test=ring&port=9&seconds=5"),
        ],
    );
    assert_eq!(status, 400);
    assert!(page.contains("Choose a port from 1 to 1"), "{page}");
    // The media loopback through port 1's codec (PCMU first).
    start("test=loopback&port=1");
    let row = diagnosis(&url, cookies, "loopback", &["SINAD", "class=\"error\""]);
    assert!(row.contains("PCMU: 50/50 packets back"), "{row}");
    // The registrar answers an OPTIONS ping, while a capture runs: the OPTIONS and its
    // answer are in it.
    start("test=capture&seconds=2");
    start("test=ping&port=1");
    let row = diagnosis(
        &url,
        cookies,
        "OPTIONS ping",
        &["answered", "class=\"error\""],
    );
    assert!(row.contains(&format!("{} answered", k.addr())), "{row}");
    let row = diagnosis(&url, cookies, "capture", &["packets captured"]);
    assert!(!row.contains(">0 packets"), "{row}");
    assert!(row.contains("packets captured"), "{row}");
    let pcap = dir.join("capture.pcap");
    let out = Command::new("curl")
        .args(["-sk", "--max-time", "10", "-b", cookies, "-o"])
        .arg(&pcap)
        .arg(format!("{url}/diagnostics/capture.pcap"))
        .status()
        .unwrap();
    assert!(out.success());
    // tshark (Wireshark's dissectors) reads the capture: the OPTIONS out, its answer back.
    match Command::new("tshark")
        .args([
            "-r",
            pcap.to_str().unwrap(),
            "-Y",
            "sip.CSeq.method == \"OPTIONS\"",
            "-T",
            "fields",
            "-e",
            "sip.Method",
            "-e",
            "sip.Status-Code",
        ])
        .output()
    {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            assert!(text.lines().any(|l| l.starts_with("OPTIONS")), "{text}");
            assert!(
                text.lines().any(|l| l.trim().len() == 3),
                "an answer: {text}"
            );
        }
        _ => eprintln!("tshark not installed: the capture is not decoded"),
    }

    // A SIP scanner's probe gets no answer, and is counted.
    let probe = format!(
        "OPTIONS sip:100@{sip} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5999;branch=z9hG4bK-scan1\r\n\
         From: \"sipvicious\"<sip:100@1.1.1.1>;tag=1\r\nTo: \"sipvicious\"<sip:100@1.1.1.1>\r\n\
         Call-ID: scan-1\r\nCSeq: 1 OPTIONS\r\nUser-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n"
    );
    // (From 127.0.0.2: the registrar's address, 127.0.0.1, is exempt from the screen.)
    let sock = std::net::UdpSocket::bind("127.0.0.2:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    sock.send_to(probe.as_bytes(), sip).unwrap();
    let mut buf = [0u8; 2048];
    assert!(
        sock.recv_from(&mut buf).is_err(),
        "the scanner got an answer"
    );
    let mut page = String::new();
    for _ in 0..20 {
        page = curl(&format!("{url}/status"), &["-b", cookies]).2;
        if page.contains("1 scanner") {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(page.contains("1 scanner"), "{page}");

    // A flood of well-formed OPTIONS from one source: the first ones (the burst) are
    // answered, the rest dropped as a flood, then the source is blocked.
    let flood = std::net::UdpSocket::bind("127.0.0.3:0").unwrap();
    flood
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let me = flood.local_addr().unwrap();
    for n in 0..200 {
        let options = format!(
            "OPTIONS sip:101@{sip} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-fl{n}\r\n\
             From: <sip:probe@{me}>;tag=f{n}\r\nTo: <sip:101@{sip}>\r\nCall-ID: flood-{n}\r\n\
             CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        );
        flood.send_to(options.as_bytes(), sip).unwrap();
    }
    let mut answers = 0;
    while flood.recv_from(&mut buf).is_ok() {
        answers += 1;
    }
    assert!(
        (1..=60).contains(&answers),
        "{answers} of 200 answered: the burst only"
    );
    for _ in 0..20 {
        page = curl(&format!("{url}/status"), &["-b", cookies]).2;
        if page.contains(" flood") {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(page.contains(" flood"), "{page}");

    // The SIP section: a shorter registration; the gateway registers again with it.
    let (_, _, page) = curl(&format!("{url}/config"), &["-b", cookies]);
    assert!(
        page.contains("id=\"sip\"") && page.contains("id=\"management\""),
        "{page}"
    );
    let (status, _, page) = curl(
        &format!("{url}/config"),
        &[
            "-b",
            cookies,
            "--data",
            &format!(
                "csrf={csrf}&section=sip&servers={}&transport=udp&domain={DOMAIN}&register=on&registration_expiry_s=600&keepalive_s=0&srtp=off",
                k.addr()
            ),
        ],
    );
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Saved as configuration version 2"), "{page}");
    let stored = std::fs::read_to_string(state.join("config.json")).unwrap();
    assert!(
        stored.contains("\"registration_expiry_s\": 600"),
        "{stored}"
    );
    // A bad network in the access list is refused with its field.
    let (status, _, page) = curl(
        &format!("{url}/config"),
        &[
            "-b",
            cookies,
            "--data",
            &format!("csrf={csrf}&section=management&access_form=1&access_admin=10.0.0.1/8"),
        ],
    );
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("management.access.admin[0]"), "{page}");
    // The admin pages closed to all but 10.0.0.0/8: this browser (127.0.0.1) is cut off.
    let (status, _, page) = curl(
        &format!("{url}/config"),
        &["-b", cookies, "--data", &format!("csrf={csrf}&section=management&access_form=1&access_admin=10.0.0.0/8&sip_scanner_filter=on")],
    );
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Saved as configuration version 3"), "{page}");
    let (status, _, _) = curl(&format!("{url}/status"), &["-b", cookies]);
    assert_eq!(status, 0, "a connection from outside the list is dropped");
    agent.send("quit");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_firmware_image_uploaded_on_the_maintenance_page_is_checked_then_booted() {
    use tipring_firmware::{key_id_for, sign_image, Manifest, SigningKey, Version};
    if no_curl() {
        return;
    }
    let dir = crate::services::scratch("admin-firmware");
    let file = dir.join("gateway.json");
    let doc = json!({
        "schema_version": 1,
        "device": { "name": "fw-gw", "country": "us" },
        "sip": { "listen": "127.0.0.1:0", "register": false },
        "ports": [{ "extension": "101" }],
        "management": { "http_listen": "127.0.0.1:0", "admin": { "listen": "127.0.0.1:0" },
                        "firmware_health_check_s": 0 }
    });
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let key = SigningKey::from_seed(&[9; 32]);
    let image = |version: &str, signer: &SigningKey| {
        let payload = vec![0x5a; 300_000];
        let m = Manifest::for_payload(
            "tipring-gw",
            "FXS1",
            version.parse::<Version>().unwrap(),
            key_id_for(&key.public_key()),
            "2026-11-26T12:00:00Z",
            &payload,
        );
        sign_image(&m, &payload, signer).unwrap()
    };
    let args = tipring_agent::device::DeviceArgs {
        config: Some(file.clone()),
        state_dir: Some(dir.join("state")),
        serial: Some("FW-ADMIN-1".into()),
        firmware_keys: vec![key.public_key()],
        ..Default::default()
    };
    let mut agent = Agent::start_device(args);
    let (url, _, password) = admin_of(&mut agent);
    let password = password.expect("first start");
    let jar = dir.join("jar");
    assert_eq!(sign_in(&url, &password, &jar), 303);
    let cookies = jar.to_str().unwrap();
    let (_, _, page) = curl(&format!("{url}/maintenance"), &["-b", cookies]);
    assert!(page.contains("Upload and install"), "{page}");
    let csrf = csrf_of(&page);
    let upload = |bytes: &[u8]| {
        let f = dir.join("image.tfw");
        std::fs::write(&f, bytes).unwrap();
        curl(
            &format!("{url}/firmware"),
            &[
                "-b",
                cookies,
                "-F",
                &format!("csrf={csrf}"),
                "-F",
                &format!("image=@{}", f.display()),
            ],
        )
    };
    let outcome = |want: &[&str]| {
        let mut page = String::new();
        for _ in 0..50 {
            page = curl(&format!("{url}/maintenance"), &["-b", cookies]).2;
            if want.iter().any(|w| page.contains(w)) {
                return page;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("no {want:?} on the maintenance page:\n{page}");
    };
    // Signed by a key the gateway does not trust: refused, the slots as they were.
    let (status, _, _) = upload(&image("2.0.0", &SigningKey::from_seed(&[7; 32])));
    assert_eq!(status, 202);
    let page = outcome(&["refused, the running image is untouched"]);
    assert!(page.contains("NoImage"), "slot B still empty:\n{page}");
    // A good image: checked, installed in slot B, and the gateway restarts into it.
    agent.mark();
    let (status, _, _) = upload(&image("2.0.0", &key));
    assert_eq!(status, 202);
    let page = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        outcome(&["version 2.0.0 checked and installed in slot B"])
    }))
    .unwrap_or_else(|_| panic!("gateway:\n{}", agent.transcript()));
    assert!(page.contains("restarts into it"), "{page}");
    agent.expect_and_mark(&["--- reboot ---"], WAIT);
    agent.expect(&["firmware: Switched"], WAIT);
    let line = agent.expect(&["admin pages on https://"], WAIT);
    let url = line
        .split("on ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    assert!(!agent
        .transcript()
        .rsplit("--- reboot ---")
        .next()
        .unwrap()
        .contains("first-start password"));
    assert_eq!(sign_in(&url, &password, &jar), 303);
    let (_, _, page) = curl(&format!("{url}/status"), &["-b", cookies]);
    let fw = page.split("<h2>Firmware</h2>").nth(1).unwrap();
    let slot_b = fw.split("<tr>").find(|r| r.contains("<td>B</td>")).unwrap();
    assert!(
        slot_b.contains("2.0.0") && slot_b.contains("Active"),
        "{fw}"
    );
    agent.send("quit");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn changed_admin_settings_move_the_pages_without_a_restart() {
    if no_curl() {
        return;
    }
    let (
        _k,
        Site {
            dir,
            state,
            file,
            mut doc,
        },
    ) = site("admin-move");
    let mut agent = Agent::start_config(&file, &state);
    let (url, fp, password) = admin_of(&mut agent);
    let password = password.unwrap();
    assert_eq!(sign_in(&url, &password, &dir.join("jar")), 303);
    // A free port for the new address.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    doc["management"]["admin"]["listen"] = json!(format!("127.0.0.1:{port}"));
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    agent.mark();
    agent.send("reload");
    agent.expect(&[&format!("admin pages: moving to 127.0.0.1:{port}")], WAIT);
    let line = agent.expect(
        &[&format!("admin pages on https://127.0.0.1:{port}/")],
        WAIT,
    );
    assert!(line.contains(&fp), "the same certificate: {line}");
    let moved = format!("https://127.0.0.1:{port}");
    assert_eq!(sign_in(&moved, &password, &dir.join("jar2")), 303);
    assert_eq!(
        curl(&format!("{url}/signin"), &[]).0,
        0,
        "the old address is closed"
    );
    assert_eq!(
        agent
            .transcript()
            .matches("first-start password for")
            .count(),
        1,
        "the password is kept across the move, not made again"
    );
    agent.send("quit");
    let _ = std::fs::remove_dir_all(&dir);
}

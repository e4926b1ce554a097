//! Zero-touch bootstrap end to end, the gateway's device loop against tiny HTTP "ACSs" on
//! loopback (TR-069 Amendment 6 §3.1 and Table 7's `0 BOOTSTRAP`):
//!
//! * the factory certificate names the device (OUI, ProductClass, SerialNumber in the
//!   Inform's DeviceId); a `--serial-number` that differs refuses the start (exit 2);
//! * the DHCP options file's option 43 beats the factory URL: the first Inform goes to its
//!   ACS with `0 BOOTSTRAP` and option 43's ProvisioningCode;
//! * the file changes to another ACS (option 66): the next session goes there, again with
//!   `0 BOOTSTRAP`;
//! * that ACS sets `ManagementServer.URL`: the CPE bootstraps with the new ACS, and from
//!   then on a DHCP change names another ACS in vain; the installer's `provisioning-code`
//!   wins over DHCP's and reaches the ACS at once (`4 VALUE CHANGE`).

use std::collections::VecDeque;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use tipring_cwmp::{parse, Body, Envelope, ParameterValue, SetParameterValues};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};

const WAIT: Duration = Duration::from_secs(20);

/// What every ACS received (tagged with the ACS's number), and RPCs each hands out.
#[derive(Default)]
struct Acss {
    received: Vec<(usize, Envelope)>,
    rpcs: Vec<VecDeque<Body>>,
}

type Shared = Arc<Mutex<Acss>>;

async fn read_request(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<Vec<u8>> {
    let mut line = String::new();
    if r.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        r.read_line(&mut h).await.ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            if n.trim().eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).await.ok()?;
    Some(body)
}

/// ACS number `n`: InformResponse to an Inform, then its RPCs one by one, then 204.
fn answer(acss: &Shared, n: usize, body: &[u8]) -> Vec<u8> {
    let mut s = acss.lock().unwrap();
    let env = parse(body).expect("the CPE's envelopes parse");
    let reply = match env.as_ref().and_then(|e| e.body.as_ref()) {
        Some(Body::Inform(_)) => env.as_ref().map(|e| e.reply(Body::InformResponse(1))),
        _ => s.rpcs[n]
            .pop_front()
            .map(|rpc| Envelope::new(format!("acs{n}-rpc"), rpc)),
    };
    if let Some(e) = env {
        s.received.push((n, e));
    }
    let (status, body) = match reply {
        Some(e) => ("200 OK", e.to_xml()),
        None => ("204 No Content", Vec::new()),
    };
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

/// Start `count` ACSs on loopback, on a thread and runtime of their own.
fn start_acss(count: usize) -> (Shared, Vec<String>) {
    let acss: Shared = Arc::new(Mutex::new(Acss {
        rpcs: vec![VecDeque::new(); count],
        ..Acss::default()
    }));
    let (tx, rx) = mpsc::channel();
    let shared = Arc::clone(&acss);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let mut urls = Vec::new();
            for n in 0..count {
                let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                urls.push(format!("http://{}/acs{n}", l.local_addr().unwrap()));
                let acss = Arc::clone(&shared);
                tokio::spawn(async move {
                    while let Ok((s, _)) = l.accept().await {
                        let acss = Arc::clone(&acss);
                        tokio::spawn(async move {
                            let (r, mut w) = s.into_split();
                            let mut r = BufReader::new(r);
                            while let Some(body) = read_request(&mut r).await {
                                let reply = answer(&acss, n, &body);
                                if w.write_all(&reply).await.is_err() {
                                    return;
                                }
                            }
                        });
                    }
                });
            }
            tx.send(urls).unwrap();
            std::future::pending::<()>().await
        });
    });
    (acss, rx.recv().unwrap())
}

/// The gateway's device loop on a thread of its own: commands in, printed lines out.
struct Gateway {
    commands: tokio::io::DuplexStream,
    writer: tokio::runtime::Runtime,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    /// Lines before this were matched by an earlier [`expect`](Self::expect).
    cursor: usize,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Gateway {
    fn start(args: tipring_agent::device::DeviceArgs) -> Self {
        let (commands, input) = tokio::io::duplex(4096);
        let (tx, lines) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let out_tx = tx.clone();
            let mut out = move |l: &str| drop(out_tx.send(l.to_string()));
            let input = tokio::io::BufReader::new(input);
            if let Err(e) = rt.block_on(tipring_agent::device::run_device(
                args, input, &mut out, false,
            )) {
                let _ = tx.send(format!("agent error: {e:#}"));
            }
        });
        Self {
            commands,
            writer: tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap(),
            lines,
            seen: Vec::new(),
            cursor: 0,
            thread: Some(thread),
        }
    }

    fn send(&mut self, command: &str) {
        let line = format!("{command}\n");
        self.writer
            .block_on(self.commands.write_all(line.as_bytes()))
            .unwrap();
    }

    /// Wait for a line containing `text`, printed after the last line `expect` matched.
    #[allow(clippy::disallowed_methods)] // a real-time test against real sockets
    fn expect(&mut self, text: &str) {
        let end = Instant::now() + WAIT;
        loop {
            if let Some(i) = self.seen[self.cursor..]
                .iter()
                .position(|l| l.contains(text))
            {
                self.cursor += i + 1;
                return;
            }
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    assert!(!l.starts_with("agent error"), "{l}");
                    self.seen.push(l);
                }
                Err(_) => panic!("never printed `{text}`; printed:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// Everything printed so far.
    fn printed(&mut self) -> String {
        while let Ok(l) = self.lines.try_recv() {
            self.seen.push(l);
        }
        self.seen.join("\n")
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.writer.block_on(self.commands.write_all(b"quit\n"));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The first Inform received (by any ACS) after the first `from` messages that `matches`.
#[allow(clippy::disallowed_methods)] // a real-time test against real sockets
fn wait_inform(
    acss: &Shared,
    from: usize,
    what: &str,
    matches: impl Fn(usize, &tipring_cwmp::Inform) -> bool,
) -> (usize, tipring_cwmp::Inform) {
    let end = Instant::now() + WAIT;
    loop {
        let found = acss.lock().unwrap().received[from..]
            .iter()
            .find_map(|(n, e)| match &e.body {
                Some(Body::Inform(i)) if matches(*n, i) => Some((*n, i.clone())),
                _ => None,
            });
        if let Some(f) = found {
            return f;
        }
        assert!(
            Instant::now() < end,
            "no Inform {what}; received: {:#?}",
            acss.lock()
                .unwrap()
                .received
                .iter()
                .map(|(n, e)| (n, events(e)))
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn events(e: &Envelope) -> Vec<String> {
    match &e.body {
        Some(Body::Inform(i)) => i.events.iter().map(|e| e.event_code.clone()).collect(),
        _ => Vec::new(),
    }
}

fn codes(i: &tipring_cwmp::Inform) -> Vec<&str> {
    i.events.iter().map(|e| e.event_code.as_str()).collect()
}

fn param<'a>(i: &'a tipring_cwmp::Inform, name: &str) -> Option<&'a str> {
    i.parameters
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.value.as_str())
}

/// Option 43's hex for the hook's file: sub-option 1 (URL) and 2 (ProvisioningCode).
fn option43(url: &str, code: &str) -> String {
    let mut b = vec![1u8, url.len() as u8];
    b.extend_from_slice(url.as_bytes());
    b.extend([2, code.len() as u8]);
    b.extend_from_slice(code.as_bytes());
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A factory identity directory: a device certificate (CN = OUI-ProductClass-Serial,
/// serialNumber = Serial) made with rcgen, and its key.
fn factory_identity(dir: &std::path::Path, oui: &str, class: &str, serial: &str) {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("{oui}-{class}-{serial}"));
    params.distinguished_name.push(
        rcgen::DnType::CustomDnType(vec![2, 5, 4, 5]),
        rcgen::DnValue::PrintableString(serial.try_into().unwrap()),
    );
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("device.crt"), cert.pem()).unwrap();
    std::fs::write(dir.join("device.key"), key.serialize_pem()).unwrap();
}

fn config(dir: &std::path::Path, factory_url: &str) -> std::path::PathBuf {
    let doc = serde_json::json!({
        "schema_version": 1,
        "device": { "name": "bootstrap-test", "country": "us" },
        "sip": { "listen": "127.0.0.1:0" },
        "ports": [{ "extension": "101" }],
        "management": {
            "http_listen": "127.0.0.1:0",
            "cwmp": { "acs_url": factory_url, "periodic_inform_interval_s": 3600 }
        }
    });
    let file = dir.join("gateway.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    file
}

/// Write the options file as a hook does: a temporary file renamed over it.
fn write_options(path: &std::path::Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn dhcp_moves_the_gateway_between_acss_until_the_acs_sets_its_url() {
    // ACS 0: the factory default; 1: option 43; 2: option 66; 3: the URL ACS 2 sets;
    // 4: a DHCP change after that (never reached).
    let (acss, urls) = start_acss(5);
    let dir = std::env::temp_dir().join(format!("tipring-bootstrap-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    factory_identity(&dir.join("identity"), "00D0FA", "TGW", "SN0042");
    let options = dir.join("dhcp-options");
    write_options(
        &options,
        &format!(
            "# udhcpc bound\noption_43={}\n",
            option43(&urls[1], "CLAIM-42")
        ),
    );
    acss.lock().unwrap().rpcs[2].push_back(Body::SetParameterValues(SetParameterValues {
        parameters: vec![ParameterValue::string(
            "Device.ManagementServer.URL",
            urls[3].clone(),
        )],
        parameter_key: "move-1".into(),
    }));
    let args = tipring_agent::device::DeviceArgs {
        config: Some(config(&dir, &urls[0])),
        state_dir: Some(dir.join("state")),
        factory_identity: Some(dir.join("identity")),
        dhcp_options: Some(options.clone()),
        ..Default::default()
    };
    let mut gw = Gateway::start(args);

    // Option 43 beats the factory URL: BOOTSTRAP to ACS 1 with its ProvisioningCode, and
    // the device is the one the certificate names.
    let (n, first) = wait_inform(&acss, 0, "at boot", |_, _| true);
    assert_eq!(n, 1, "the first Inform goes to option 43's ACS");
    assert_eq!(codes(&first), ["0 BOOTSTRAP", "1 BOOT"]);
    assert_eq!(
        param(&first, "Device.DeviceInfo.ProvisioningCode"),
        Some("CLAIM-42")
    );
    let id = &first.device_id;
    assert_eq!(
        (
            id.oui.as_str(),
            id.product_class.as_str(),
            id.serial_number.as_str()
        ),
        ("00D0FA", "TGW", "SN0042")
    );
    gw.expect("CWMP: session done");

    // The lease now names ACS 2 by option 66: the next session goes there, bootstrapping.
    let mark = acss.lock().unwrap().received.len();
    write_options(&options, &format!("option_66={}\n", urls[2]));
    let (n, second) = wait_inform(&acss, mark, "after the DHCP change", |_, _| true);
    assert_eq!(n, 2);
    assert_eq!(codes(&second), ["0 BOOTSTRAP"]);
    assert_eq!(
        param(&second, "Device.DeviceInfo.ProvisioningCode"),
        Some("CLAIM-42"),
        "the code stays when DHCP stops sending one"
    );

    // ACS 2 set ManagementServer.URL in that session: the CPE bootstraps with ACS 3.
    let (n, third) = wait_inform(&acss, mark, "to the URL the ACS set", |n, _| n == 3);
    assert_eq!(n, 3);
    assert_eq!(codes(&third), ["0 BOOTSTRAP"]);
    gw.expect("(set by the ACS)");
    let stored = std::fs::read_to_string(dir.join("state/config.json")).unwrap();
    assert!(stored.contains("\"acs_url_source\": \"acs\""), "{stored}");
    assert!(stored.contains(&urls[3]), "{stored}");

    // DHCP now names ACS 4 and another code: both ignored (TR-069 §3.1). The installer's
    // code goes to the ACS in force at once.
    write_options(
        &options,
        &format!("option_43={}\n", option43(&urls[4], "SITE-9")),
    );
    gw.expect("the URL was set by other means: kept");
    let mark = acss.lock().unwrap().received.len();
    gw.send("provisioning-code CLAIM-77");
    let (n, change) = wait_inform(&acss, mark, "with the installer's code", |_, i| {
        param(i, "Device.DeviceInfo.ProvisioningCode") == Some("CLAIM-77")
    });
    assert_eq!(n, 3, "the ACS the ACS set, not DHCP's");
    assert!(codes(&change).contains(&"4 VALUE CHANGE"), "{change:?}");
    let printed = gw.printed();
    assert!(!printed.contains("SITE-9"), "{printed}");
    assert!(
        !acss
            .lock()
            .unwrap()
            .received
            .iter()
            .any(|(n, _)| *n == 0 || *n == 4),
        "neither the factory ACS nor the last DHCP one was contacted"
    );
    drop(gw);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A factory certificate for another serial number refuses the start, before anything
/// runs, naming both numbers (exit 2).
#[test]
fn a_serial_number_the_certificate_does_not_name_is_refused() {
    let dir = std::env::temp_dir().join(format!("tipring-identity-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    factory_identity(&dir.join("identity"), "00D0FA", "TGW", "SN0042");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tipring-agent"))
        .arg("--config")
        .arg(config(&dir, "http://127.0.0.1:9/acs"))
        .arg("--factory-identity")
        .arg(dir.join("identity"))
        .args(["--serial-number", "SN0099"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--serial-number SN0099 does not match")
            && err.contains("serial number SN0042"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The hook scripts in `ops/dhcp/` write what the agent reads: run each as its DHCP
/// client would (udhcpc runs its script with the event and `$opt43`/`$tftp`; dhclient
/// sources its exit hooks with `$reason` and `$new_*`), then parse the file.
#[test]
fn the_dhcp_client_hooks_write_what_the_agent_reads() {
    let hooks = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ops/dhcp");
    let dir = std::env::temp_dir().join(format!("tipring-hooks-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let hex = option43("https://acs.example.net/cwmp", "CLAIM-5");
    let colons: Vec<&str> = (0..hex.len()).step_by(2).map(|i| &hex[i..i + 2]).collect();
    let udhcpc = dir.join("udhcpc");
    let status = std::process::Command::new("sh")
        .arg(hooks.join("udhcpc-tipring"))
        .arg("bound")
        .env("TIPRING_DHCP_OPTIONS", &udhcpc)
        .env("UDHCPC_DEFAULT_SCRIPT", dir.join("none"))
        .env("interface", "eth0")
        .env("opt43", &hex)
        .env("tftp", "tftp.example.net")
        .status()
        .unwrap();
    assert!(status.success());
    let dhclient = dir.join("dhclient");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            ". '{}'",
            hooks.join("dhclient-exit-hook-tipring").display()
        ))
        .env("TIPRING_DHCP_OPTIONS", &dhclient)
        .env("reason", "RENEW")
        .env("new_vendor_encapsulated_options", colons.join(":"))
        .env("new_tftp_server_name", "tftp.example.net")
        .status()
        .unwrap();
    assert!(status.success());
    for file in [&udhcpc, &dhclient] {
        let text = std::fs::read_to_string(file).unwrap();
        let (info, problems) = tipring_agent::bootstrap::parse_options_file(&text);
        assert!(problems.is_empty(), "{text}: {problems:?}");
        assert_eq!(
            info.acs_url.as_deref(),
            Some("https://acs.example.net/cwmp"),
            "{text}"
        );
        assert_eq!(info.provisioning_code.as_deref(), Some("CLAIM-5"));
        assert!(text.contains("option_66=tftp.example.net"), "{text}");
    }
    // A lost lease leaves the file alone.
    let status = std::process::Command::new("sh")
        .arg(hooks.join("udhcpc-tipring"))
        .arg("deconfig")
        .env("TIPRING_DHCP_OPTIONS", &udhcpc)
        .env("UDHCPC_DEFAULT_SCRIPT", dir.join("none"))
        .status()
        .unwrap();
    assert!(status.success());
    assert!(std::fs::read_to_string(&udhcpc)
        .unwrap()
        .contains("option_43="));
    let _ = std::fs::remove_dir_all(&dir);
}

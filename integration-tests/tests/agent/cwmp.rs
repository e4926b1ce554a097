//! The agent as a TR-069 CPE against a scripted ACS over real HTTP on loopback (digest
//! authentication, cookies): the bootstrap Inform, parameters read and written on the
//! TR-181/TR-104 tree (an issue 1 alias changes a port's extension, which the gateway
//! applies at once), connection requests with wrong and right credentials, a refused
//! firmware image, a good one installed with a reboot and reported with
//! `7 TRANSFER COMPLETE` + `M Download`, and the ACS's change kept across the reboot.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tipring_cwmp::{parse, Body, Download, Envelope, ParameterValue, SetParameterValues};
use tipring_firmware::{key_id_for, sign_image, Manifest, SigningKey, Version};
use tipring_sip_message::auth::{Algorithm, Challenge, Credentials, Qop};
use tipring_sip_message::Method;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};

use crate::Agent;

const WAIT: Duration = Duration::from_secs(20);
const ACS_USER: &str = "cpe-test";
const ACS_PASSWORD: &str = "acs-s3cret";

/// The scripted ACS: what it received, and RPCs to hand out in the next sessions.
#[derive(Default)]
struct Script {
    received: Vec<Envelope>,
    rpcs: VecDeque<Body>,
    files: std::collections::HashMap<String, Vec<u8>>,
    ids: u32,
}

type Acs = Arc<Mutex<Script>>;

fn digest_ok(auth: Option<&str>, method: &str) -> bool {
    auth.and_then(|a| Credentials::parse(a).ok())
        .is_some_and(|c| {
            c.username == ACS_USER && c.verify(ACS_PASSWORD, &Method::Other(method.into()), b"")
        })
}

/// One HTTP request: method, path, Authorization, body.
async fn read_request(
    r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> Option<(String, String, Option<String>, Vec<u8>)> {
    let mut line = String::new();
    if r.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let (mut len, mut auth) = (0usize, None);
    loop {
        let mut h = String::new();
        r.read_line(&mut h).await.ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':')?;
        match n.trim().to_ascii_lowercase().as_str() {
            "content-length" => len = v.trim().parse().ok()?,
            "authorization" => auth = Some(v.trim().to_string()),
            _ => {}
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).await.ok()?;
    Some((method, path, auth, body))
}

fn http(status: &str, extra: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\n{extra}\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Serve the ACS (POST /acs) and its file server (GET /files/...).
async fn serve(acs: Acs) -> std::net::SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let acs = Arc::clone(&acs);
            tokio::spawn(async move {
                let (r, mut w) = s.into_split();
                let mut r = BufReader::new(r);
                while let Some((method, path, auth, body)) = read_request(&mut r).await {
                    let reply = if method == "PUT" {
                        acs.lock()
                            .unwrap()
                            .files
                            .insert(format!("PUT {path}"), body);
                        http("200 OK", "", b"")
                    } else if method == "GET" {
                        match acs.lock().unwrap().files.get(&path) {
                            Some(f) => http("200 OK", "", f),
                            None => http("404 Not Found", "", b""),
                        }
                    } else if !digest_ok(auth.as_deref(), "POST") {
                        let mut c = Challenge::new("acs", "nonce-1", Algorithm::Md5);
                        c.qop = vec![Qop::Auth];
                        http(
                            "401 Unauthorized",
                            &format!("WWW-Authenticate: {c}\r\n"),
                            b"",
                        )
                    } else {
                        answer(&acs, &body)
                    };
                    if w.write_all(&reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// The ACS's side of a session.
fn answer(acs: &Acs, body: &[u8]) -> Vec<u8> {
    let mut s = acs.lock().unwrap();
    let env = parse(body).expect("the CPE's envelopes parse");
    let reply = match env.as_ref().and_then(|e| e.body.as_ref()) {
        Some(Body::Inform(_)) => Some(env.as_ref().unwrap().reply(Body::InformResponse(1))),
        Some(Body::TransferComplete(_)) => {
            Some(env.as_ref().unwrap().reply(Body::TransferCompleteResponse))
        }
        // The empty POST or an answer to our last RPC: the next RPC, or the end.
        _ => s.rpcs.pop_front().map(|rpc| {
            s.ids += 1;
            Envelope::new(format!("acs-{}", s.ids), rpc)
        }),
    };
    if let Some(e) = env {
        s.received.push(e);
    }
    match reply {
        Some(e) => http(
            "200 OK",
            "Content-Type: text/xml\r\nSet-Cookie: acs=1\r\n",
            &e.to_xml(),
        ),
        None => http("204 No Content", "", b""),
    }
}

fn wait_for<T>(acs: &Acs, what: &str, f: impl Fn(&Envelope) -> Option<T>) -> T {
    wait_for_from(acs, 0, what, f)
}

/// Wait until a message received after the first `from` matches `f`.
#[allow(clippy::disallowed_methods)] // a real-time test against real sockets
fn wait_for_from<T>(acs: &Acs, from: usize, what: &str, f: impl Fn(&Envelope) -> Option<T>) -> T {
    let end = Instant::now() + WAIT;
    loop {
        let found = acs
            .lock()
            .unwrap()
            .received
            .iter()
            .skip(from)
            .rev()
            .find_map(&f);
        if let Some(t) = found {
            return t;
        }
        assert!(Instant::now() < end, "the ACS never got {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn events(e: &Envelope) -> Option<Vec<String>> {
    match &e.body {
        Some(Body::Inform(i)) => Some(
            i.events
                .iter()
                .map(|e| {
                    format!(
                        "{}{}",
                        e.event_code,
                        if e.command_key.is_empty() {
                            String::new()
                        } else {
                            format!(":{}", e.command_key)
                        }
                    )
                })
                .collect(),
        ),
        _ => None,
    }
}

fn value(e: &Envelope, name: &str) -> Option<String> {
    match &e.body {
        Some(Body::GetParameterValuesResponse(v))
        | Some(Body::Inform(tipring_cwmp::Inform { parameters: v, .. })) => {
            v.iter().find(|p| p.name == name).map(|p| p.value.clone())
        }
        _ => None,
    }
}

fn curl_digest(url: &str, user: &str, pw: &str) -> String {
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "5",
            "--digest",
            "-u",
        ])
        .arg(format!("{user}:{pw}"))
        .arg(url)
        .output()
        .expect("curl is needed: apt-get install curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn image(
    version: &str,
    payload: &[u8],
    signer: &SigningKey,
    trusted: &SigningKey,
    model: &str,
) -> Vec<u8> {
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

#[test]
fn the_gateway_is_provisioned_and_upgraded_by_an_acs() {
    let acs: Acs = Arc::default();
    // The ACS runs on a thread (and runtime) of its own.
    let (tx, rx) = std::sync::mpsc::channel();
    let server = Arc::clone(&acs);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            tx.send(serve(server).await).unwrap();
            std::future::pending::<()>().await
        });
    });
    let addr = rx.recv().unwrap();
    let dir = std::env::temp_dir().join(format!("tipring-cwmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("gateway.json");
    let doc = serde_json::json!({
        "schema_version": 1,
        "device": { "name": "cwmp-test", "country": "us" },
        "sip": { "listen": "127.0.0.1:0" },
        "ports": [{ "extension": "101" }, { "extension": "102" }],
        "management": {
            "http_listen": "127.0.0.1:0",
            "cwmp": {
                "acs_url": format!("http://{addr}/acs"),
                "username": ACS_USER,
                "password": ACS_PASSWORD,
                "periodic_inform_interval_s": 3600
            }
        }
    });
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let key = SigningKey::from_seed(&[9; 32]);
    let args = tipring_agent::device::DeviceArgs {
        config: Some(file.clone()),
        state_dir: Some(dir.join("state")),
        serial: Some("TR-E2E-1".into()),
        connection_request_listen: Some("127.0.0.1:0".parse().unwrap()),
        firmware_keys: vec![key.public_key()],
        ..Default::default()
    };
    const VS: &str = "Device.Services.VoiceService.1.";
    // The first session: set connection-request credentials and port 2's number (by its
    // TR-104 issue 1 name), read them back.
    {
        let mut s = acs.lock().unwrap();
        s.rpcs
            .push_back(Body::SetParameterValues(SetParameterValues {
                parameters: vec![
                    ParameterValue::string(
                        "Device.ManagementServer.ConnectionRequestUsername",
                        "acs-cr",
                    ),
                    ParameterValue::string(
                        "Device.ManagementServer.ConnectionRequestPassword",
                        "cr-pw",
                    ),
                    ParameterValue::string(
                        format!("{VS}VoiceProfile.1.Line.2.DirectoryNumber"),
                        "555",
                    ),
                ],
                parameter_key: "provision-1".into(),
            }));
        // Active notification on port 1's call status.
        s.rpcs.push_back(Body::SetParameterAttributes(vec![
            tipring_cwmp::SetParameterAttributesStruct {
                name: format!("{VS}CallControl.Line.1.CallStatus"),
                notification_change: true,
                notification: tipring_cwmp::Notification::Active,
                ..Default::default()
            },
        ]));
        s.rpcs.push_back(Body::GetParameterValues(vec![
            format!("{VS}CallControl.Line.2.DirectoryNumber"),
            "Device.ManagementServer.ConnectionRequestPassword".into(),
            "Device.ManagementServer.ParameterKey".into(),
            "Device.ManagementServer.ConnectionRequestURL".into(),
        ]));
    }
    let mut agent = Agent::start_device(args.clone());
    let first = wait_for(&acs, "the boot Inform", events);
    assert_eq!(first, ["0 BOOTSTRAP", "1 BOOT"]);
    let inform = wait_for(&acs, "an Inform", |e| {
        matches!(e.body, Some(Body::Inform(_))).then(|| e.clone())
    });
    let Some(Body::Inform(i)) = &inform.body else {
        unreachable!()
    };
    assert_eq!(i.device_id.serial_number, "TR-E2E-1");
    assert_eq!(i.device_id.manufacturer, "Tipring");
    assert!(
        value(&inform, "Device.DeviceInfo.SoftwareVersion").is_some(),
        "{i:?}"
    );
    let read = wait_for(&acs, "the values it set", |e| {
        value(e, &format!("{VS}CallControl.Line.2.DirectoryNumber")).map(|_| e.clone())
    });
    assert_eq!(
        value(&read, &format!("{VS}CallControl.Line.2.DirectoryNumber")).unwrap(),
        "555"
    );
    assert_eq!(
        value(&read, "Device.ManagementServer.ConnectionRequestPassword").unwrap(),
        "",
        "secrets read as empty"
    );
    assert_eq!(
        value(&read, "Device.ManagementServer.ParameterKey").unwrap(),
        "provision-1"
    );
    let cr_url = value(&read, "Device.ManagementServer.ConnectionRequestURL").unwrap();
    assert!(cr_url.starts_with("http://127.0.0.1:"), "{cr_url}");
    // The gateway applied the new number to port 2 at once.
    agent.expect(&["[port 2 ext 555] configuration applied"], WAIT);

    // Port 1 goes off hook: its CallStatus changes, which the ACS asked to hear of at once.
    agent.expect(&["CWMP: session done"], WAIT);
    let n = acs.lock().unwrap().received.len();
    agent.send("lift 1");
    let change = wait_for_from(&acs, n, "4 VALUE CHANGE", |e| {
        events(e)
            .filter(|v| v.contains(&"4 VALUE CHANGE".to_string()))
            .map(|_| e.clone())
    });
    assert_eq!(
        value(&change, &format!("{VS}CallControl.Line.1.CallStatus")).as_deref(),
        Some("Dialing"),
        "{:#?}",
        acs.lock().unwrap().received[n..]
            .iter()
            .filter_map(
                |e| events(e).map(|v| (v, value(e, &format!("{VS}CallControl.Line.1.CallStatus"))))
            )
            .collect::<Vec<_>>()
    );
    agent.send("hang 1");

    // Connection requests: wrong credentials start nothing, right ones a session.
    assert_eq!(curl_digest(&cr_url, "acs-cr", "nope"), "401");
    std::thread::sleep(Duration::from_millis(500));
    assert!(!acs
        .lock()
        .unwrap()
        .received
        .iter()
        .any(|e| events(e).is_some_and(|v| v.contains(&"6 CONNECTION REQUEST".to_string()))));
    // A refused image first: signed by a key the device does not trust.
    let payload = vec![0xa5u8; 50_000];
    {
        let mut s = acs.lock().unwrap();
        s.files.insert(
            "/files/evil.img".into(),
            image(
                "9.9.9",
                &payload,
                &SigningKey::from_seed(&[1; 32]),
                &key,
                "FXS2",
            ),
        );
        s.files.insert(
            "/files/fw-2.img".into(),
            image("2.0.0", &payload, &key, &key, "FXS2"),
        );
        s.rpcs.push_back(Body::Download(Download {
            command_key: "evil".into(),
            file_type: "1 Firmware Upgrade Image".into(),
            url: format!("http://{addr}/files/evil.img"),
            ..Download::default()
        }));
    }
    assert_eq!(curl_digest(&cr_url, "acs-cr", "cr-pw"), "200");
    let tc = wait_for(&acs, "TransferComplete for the bad image", |e| {
        match &e.body {
            Some(Body::TransferComplete(t)) if t.command_key == "evil" => Some(t.clone()),
            _ => None,
        }
    });
    assert_eq!(tc.fault.as_ref().map(|f| f.code.0), Some(9019), "{tc:?}");
    assert!(acs
        .lock()
        .unwrap()
        .received
        .iter()
        .any(|e| events(e).is_some_and(|v| v.contains(&"6 CONNECTION REQUEST".to_string()))));
    // The good image: installed, the device reboots, and reports after the boot.
    acs.lock().unwrap().rpcs.push_back(Body::Download(Download {
        command_key: "fw-2".into(),
        file_type: "1 Firmware Upgrade Image".into(),
        url: format!("http://{addr}/files/fw-2.img"),
        file_size: 0,
        ..Download::default()
    }));
    assert_eq!(curl_digest(&cr_url, "acs-cr", "cr-pw"), "200");
    agent.expect_and_mark(&["--- reboot ---"], WAIT);
    agent.expect(&["firmware: Switched"], WAIT);
    let after = wait_for(&acs, "the Inform after the upgrade", |e| {
        events(e)
            .filter(|v| v.contains(&"M Download:fw-2".to_string()))
            .map(|_| e.clone())
    });
    let ev = events(&after).unwrap();
    assert!(
        ev.contains(&"1 BOOT".to_string()) && ev.contains(&"7 TRANSFER COMPLETE".to_string()),
        "{ev:?}"
    );
    assert_eq!(
        value(&after, "Device.DeviceInfo.SoftwareVersion").as_deref(),
        Some("2.0.0")
    );
    let tc = wait_for(&acs, "TransferComplete for fw-2", |e| match &e.body {
        Some(Body::TransferComplete(t)) if t.command_key == "fw-2" => Some(t.clone()),
        _ => None,
    });
    assert!(tc.fault.is_none(), "{tc:?}");
    // The ACS's number for port 2 survived the reboot (the file did not change).
    agent.expect(&["configuration version 2 (stored in"], WAIT);
    agent.send("status");
    agent.expect(&["[port 2 ext 555]", "on hook"], WAIT);
    let slots = tipring_slots::Slots::open(dir.join("state/firmware")).unwrap();
    assert_eq!(slots.active().version.as_deref(), Some("2.0.0"));

    // Upload of the configuration: PUT to the ACS's URL, secrets blanked.
    acs.lock()
        .unwrap()
        .rpcs
        .push_back(Body::Upload(tipring_cwmp::Upload {
            command_key: "backup-1".into(),
            file_type: "3 Vendor Configuration File".into(),
            url: format!("http://{addr}/files/backup.json"),
            ..tipring_cwmp::Upload::default()
        }));
    acs.lock()
        .unwrap()
        .rpcs
        .push_back(Body::Upload(tipring_cwmp::Upload {
            command_key: "bundle-1".into(),
            file_type: "4 Vendor Log File 2".into(),
            url: format!("http://{addr}/files/bundle.json"),
            ..tipring_cwmp::Upload::default()
        }));
    let cr_url = wait_for(&acs, "the new connection request URL", |e| {
        value(e, "Device.ManagementServer.ConnectionRequestURL")
    });
    assert_eq!(curl_digest(&cr_url, "acs-cr", "cr-pw"), "200");
    let tc = wait_for(&acs, "TransferComplete for the upload", |e| match &e.body {
        Some(Body::TransferComplete(t)) if t.command_key == "backup-1" => Some(t.clone()),
        _ => None,
    });
    assert!(tc.fault.is_none(), "{tc:?}");
    let uploaded = acs.lock().unwrap().files["PUT /files/backup.json"].clone();
    let text = String::from_utf8(uploaded).unwrap();
    assert!(text.contains("\"555\""), "{text}");
    assert!(
        !text.contains(ACS_PASSWORD),
        "no secret in the upload: {text}"
    );
    // The support bundle (the second VendorLogFile), asked in the same session: the
    // configuration without its secrets, the status, the recent log.
    let tc = wait_for(&acs, "TransferComplete for the bundle", |e| match &e.body {
        Some(Body::TransferComplete(t)) if t.command_key == "bundle-1" => Some(t.clone()),
        _ => None,
    });
    assert!(tc.fault.is_none(), "{tc:?}");
    let uploaded = acs.lock().unwrap().files["PUT /files/bundle.json"].clone();
    let bundle: serde_json::Value = serde_json::from_slice(&uploaded).unwrap();
    assert_eq!(bundle["bundle"], "tipring-support/1");
    assert_eq!(bundle["config"]["ports"][1]["extension"], "555", "{bundle}");
    assert_eq!(bundle["status"]["ports"][1]["extension"], "555", "{bundle}");
    assert!(bundle["log"].is_string());
    let text = String::from_utf8(uploaded).unwrap();
    assert!(
        !text.contains(ACS_PASSWORD) && !text.contains("cr-pw"),
        "{text}"
    );

    // Reboot RPC: M Reboot with its CommandKey after the boot.
    acs.lock()
        .unwrap()
        .rpcs
        .push_back(Body::Reboot("reboot-7".into()));
    agent.mark();
    assert_eq!(curl_digest(&cr_url, "acs-cr", "cr-pw"), "200");
    agent.expect(&["--- reboot ---"], WAIT);
    let ev = wait_for(&acs, "the Inform after the Reboot", |e| {
        events(e).filter(|v| v.contains(&"M Reboot:reboot-7".to_string()))
    });
    assert!(ev.contains(&"1 BOOT".to_string()), "{ev:?}");

    // Factory reset: back to the file's configuration, bootstrapping again.
    let cr_url = wait_for(&acs, "the connection request URL", |e| {
        value(e, "Device.ManagementServer.ConnectionRequestURL")
    });
    acs.lock().unwrap().rpcs.push_back(Body::FactoryReset);
    let n = acs.lock().unwrap().received.len();
    agent.mark();
    assert_eq!(curl_digest(&cr_url, "acs-cr", "cr-pw"), "200");
    agent.expect(&["factory reset"], WAIT);
    agent.expect(&["configuration version 1 (stored in"], WAIT);
    wait_for_from(&acs, n, "the bootstrap after the reset", |e| {
        events(e).filter(|v| v.contains(&"0 BOOTSTRAP".to_string()))
    });
    agent.send("status");
    agent.expect(&["[port 2 ext 102]", "on hook"], WAIT);
    drop(agent);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_new_image_whose_lines_do_not_register_again_rolls_back_by_itself() {
    // The gateway registers with a server that does not answer (nothing listens): after
    // an upgrade its lines are not registered within the health check (2 s here), so the
    // new image on trial is given up and the device reboots into the previous one, and
    // says why. (The ACS then sees the old version in the BOOT Inform.)
    let acs: Acs = Arc::default();
    let (tx, rx) = std::sync::mpsc::channel();
    let server = Arc::clone(&acs);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            tx.send(serve(server).await).unwrap();
            std::future::pending::<()>().await
        });
    });
    let addr = rx.recv().unwrap();
    let dir = std::env::temp_dir().join(format!("tipring-cwmp-health-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let dead = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let dead_addr = dead.local_addr().unwrap();
    drop(dead);
    let file = dir.join("gateway.json");
    let doc = serde_json::json!({
        "schema_version": 1,
        "device": { "name": "health-test", "country": "us" },
        "sip": { "listen": "127.0.0.1:0", "servers": [dead_addr.to_string()] },
        "ports": [{ "extension": "101", "password": "pw-101-long-enough" }],
        "management": {
            "http_listen": "127.0.0.1:0",
            "firmware_health_check_s": 2,
            "cwmp": {
                "acs_url": format!("http://{addr}/acs"),
                "username": ACS_USER,
                "password": ACS_PASSWORD,
                "periodic_inform_interval_s": 3600
            }
        }
    });
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let key = SigningKey::from_seed(&[9; 32]);
    let payload = vec![0x5au8; 20_000];
    {
        let mut s = acs.lock().unwrap();
        s.files.insert(
            "/files/fw-3.img".into(),
            image("3.0.0", &payload, &key, &key, "FXS1"),
        );
        s.rpcs.push_back(Body::Download(Download {
            command_key: "fw-3".into(),
            file_type: "1 Firmware Upgrade Image".into(),
            url: format!("http://{addr}/files/fw-3.img"),
            ..Download::default()
        }));
    }
    let mut agent = Agent::start_device(tipring_agent::device::DeviceArgs {
        config: Some(file),
        state_dir: Some(dir.join("state")),
        serial: Some("TR-HEALTH-1".into()),
        firmware_keys: vec![key.public_key()],
        ..Default::default()
    });
    agent.expect_and_mark(&["--- reboot ---"], WAIT);
    agent.expect(&["firmware: Switched"], WAIT);
    agent.expect(
        &["firmware: the lines did not register within 2 s of the upgrade"],
        WAIT,
    );
    agent.expect_and_mark(&["--- reboot ---"], WAIT);
    let line = agent.expect(&["firmware: RolledBack"], WAIT);
    assert!(line.contains("did not register within 2 s"), "{line}");
    let slots = tipring_slots::Slots::open(dir.join("state/firmware")).unwrap();
    assert_ne!(slots.active().version.as_deref(), Some("3.0.0"));
    // The ACS hears the old version after the rollback's boot.
    let after = wait_for(&acs, "the Inform after the rollback", |e| {
        let v = value(e, "Device.DeviceInfo.SoftwareVersion")?;
        (events(e)?.contains(&"1 BOOT".to_string()) && v != "3.0.0").then_some(v)
    });
    assert_ne!(after, "3.0.0");
    // The gateway still runs (and writes its state): stop it before cleaning up.
    drop(agent);
    let _ = std::fs::remove_dir_all(&dir);
}

//! Zero-touch provisioning end to end: the provisioner (SQLite, CWMP over TLS with a test
//! factory CA) and gateways that have nothing but their factory identity and the factory
//! ACS URL.
//!
//! * A pre-registered gateway bootstraps and is provisioned in its first session
//!   (extensions, SIP server, generated per-port passwords, its ACS and
//!   connection-request credentials); once its site points at Kamailio (a profile change
//!   that reaches it by connection request), its ports register with the generated
//!   passwords and call each other.
//! * An unknown gateway stays pending and gets no secret and no configuration.
//! * A gateway an installer gave a claim code comes up in the claim's site.
//! * A certificate for another serial number is refused.

// The test waits on the wall clock for the provisioner, the gateways and Kamailio.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tipring_acs::model::DeviceKey;
use tipring_integration_tests::peers::{Kamailio, KamailioConfig};
use tipring_provisioner::ctl::Client;
use tipring_provisioner::pki::FactoryCa;
use tipring_provisioner::server::{start, ServeArgs};

use crate::services::{scratch, DOMAIN};
use crate::Agent;

pub(crate) const WAIT: Duration = Duration::from_secs(30);
pub(crate) const OUI: &str = "00D0C9";

pub(crate) fn key(serial: &str) -> DeviceKey {
    DeviceKey {
        oui: OUI.into(),
        product_class: "FXS2".into(),
        serial: serial.into(),
    }
}

/// The API, called from this (synchronous) test.
pub(crate) struct Api {
    pub(crate) rt: tokio::runtime::Runtime,
    pub(crate) client: Client,
}

impl Api {
    pub(crate) fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let body = body.map(|b| ("application/json", serde_json::to_vec(&b).unwrap()));
        self.rt
            .block_on(self.client.call(method, path, body))
            .unwrap()
    }

    pub(crate) fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (s, v) = self.call(method, path, body);
        assert!((200..300).contains(&s), "{method} {path}: {s} {v}");
        v
    }

    /// Sign an image of this version with the release key the gateways trust, upload it;
    /// its id.
    pub(crate) fn upload_release(&self, version: &str) -> String {
        let payload = vec![0x3cu8; 64_000];
        let manifest = tipring_firmware::Manifest::for_payload(
            "tipring-gw",
            "FXS2",
            version.parse().unwrap(),
            tipring_firmware::key_id_for(&release_key().public_key()),
            "2026-11-26T12:00:00Z",
            &payload,
        );
        let img = tipring_firmware::sign_image(&manifest, &payload, &release_key()).unwrap();
        let (s, v) = self
            .rt
            .block_on(self.client.call(
                "POST",
                "/api/v1/firmware",
                Some(("application/octet-stream", img)),
            ))
            .unwrap();
        assert_eq!(s, 201, "{v}");
        v["id"].as_str().unwrap().to_string()
    }

    /// The device's call log once it shows at least `calls` calls: its parameters by name,
    /// read by GetParameterValues tasks (with a connection request each).
    pub(crate) fn call_log(
        &self,
        id: &str,
        calls: usize,
    ) -> std::collections::BTreeMap<String, String> {
        let end = Instant::now() + WAIT;
        loop {
            let t = self.ok(
                "POST",
                &format!("/api/v1/devices/{id}/tasks"),
                Some(json!({ "kind": "get_parameter_values",
                             "names": ["Device.Services.VoiceService.1.CallLog."],
                             "connection_request": true })),
            );
            let task = t["task"].as_i64().unwrap();
            let done = loop {
                let v = self.ok("GET", &format!("/api/v1/tasks/{task}"), None);
                if v["state"] == "done" {
                    break v;
                }
                assert!(v["state"] != "failed", "{v}");
                assert!(Instant::now() < end, "task {task}: {v}");
                std::thread::sleep(Duration::from_millis(200));
            };
            let log: std::collections::BTreeMap<String, String> = done["result"]["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| {
                    (
                        v["name"].as_str().unwrap().to_string(),
                        v["value"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            let n = log.keys().filter(|k| k.ends_with(".Direction")).count();
            if n >= calls {
                return log;
            }
            assert!(Instant::now() < end, "{n} calls in the log: {log:?}");
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Poll a device until `f` holds.
    pub(crate) fn wait_device(&self, id: &str, what: &str, f: impl Fn(&Value) -> bool) -> Value {
        let end = Instant::now() + WAIT;
        loop {
            let (s, v) = self.call("GET", &format!("/api/v1/devices/{id}"), None);
            if s == 200 && f(&v) {
                return v;
            }
            assert!(Instant::now() < end, "{id}: {what} never happened: {v}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// The factory's configuration of a 2-port gateway: no PBX, the factory ACS URL.
fn factory_config(
    dir: &Path,
    acs_url: &str,
    claim: Option<&str>,
    periodic_inform_s: Option<u32>,
) -> PathBuf {
    let mut doc = json!({
        "schema_version": 1,
        "device": { "name": "factory", "country": "us" },
        "sip": { "servers": [], "listen": "127.0.0.1:0" },
        "ports": [ { "extension": "101" }, { "extension": "102" } ],
        "management": { "http_listen": "127.0.0.1:0", "cwmp": { "acs_url": acs_url } }
    });
    if let Some(code) = claim {
        doc["management"]["provisioning_code"] = json!(code);
    }
    if let Some(s) = periodic_inform_s {
        doc["management"]["cwmp"]["periodic_inform_interval_s"] = json!(s);
    }
    let file = dir.join("factory.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    file
}

pub(crate) fn gateway(
    dir: &Path,
    ca: &FactoryCa,
    serial: &str,
    acs_url: &str,
    claim: Option<&str>,
) -> Agent {
    gateway_informing(dir, ca, serial, acs_url, claim, None)
}

/// A gateway whose factory configuration informs every `periodic_inform_s` (default: an
/// hour).
pub(crate) fn gateway_informing(
    dir: &Path,
    ca: &FactoryCa,
    serial: &str,
    acs_url: &str,
    claim: Option<&str>,
    periodic_inform_s: Option<u32>,
) -> Agent {
    let dir = dir.join(serial);
    std::fs::create_dir_all(&dir).unwrap();
    ca.issue_device(&key(serial), &dir.join("factory")).unwrap();
    let file = factory_config(&dir, acs_url, claim, periodic_inform_s);
    Agent::start_device(tipring_agent::device::DeviceArgs {
        config: Some(file),
        state_dir: Some(dir.join("state")),
        factory_identity: Some(dir.join("factory")),
        connection_request_listen: Some("127.0.0.1:0".parse().unwrap()),
        firmware_keys: vec![release_key().public_key()],
        ..Default::default()
    })
}

/// The release key the gateways and the provisioner trust.
pub(crate) fn release_key() -> tipring_firmware::SigningKey {
    tipring_firmware::SigningKey::from_seed(&[21; 32])
}

pub(crate) const TEMPLATE: &str = r#"{
  "device": { "name": "{{site}}-{{serial}}", "country": "us" },
  "sip": { "servers": ["{{pbx}}"], "domain": "{{domain}}", "listen": "127.0.0.1:0",
           "registration_expiry_s": 60 },
  "ports": [ { "$each_port": {
      "extension": "{{extension}}",
      "display_name": "{{site}} port {{port}}",
      "password": "{{secret:ports.#.password}}"
  } } ]
}"#;

/// A provisioner with its CWMP listener on TLS (a server certificate and a factory CA of
/// its own in `dir`) that takes devices only with a factory certificate, and its API.
pub(crate) fn tls_provisioner(
    dir: &Path,
) -> (FactoryCa, tipring_provisioner::server::Running, Api) {
    let ca = FactoryCa::create(&dir.join("ca")).unwrap();
    ca.issue_server(&["127.0.0.1".to_string()], &dir.join("acs"))
        .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let running = rt
        .block_on(start(ServeArgs {
            data: dir.join("data"),
            cwmp_listen: "127.0.0.1:0".parse().unwrap(),
            api_listen: "127.0.0.1:0".parse().unwrap(),
            tls_cert: Some(dir.join("acs/server.crt")),
            tls_key: Some(dir.join("acs/server.key")),
            device_ca: Some(dir.join("ca/ca.crt")),
            require_tls: true,
            firmware_keys: vec![release_key().public_key()],
            ..ServeArgs::default()
        }))
        .unwrap();
    let acs_url = running.app.settings.acs_url.clone();
    assert!(acs_url.starts_with("https://127.0.0.1:"), "{acs_url}");
    let api = Api {
        client: Client::new(
            &format!("http://{}", running.api_addr),
            running.admin_token.as_deref().unwrap(),
        )
        .unwrap(),
        rt,
    };
    (ca, running, api)
}

#[test]
fn gateways_with_only_a_factory_identity_are_provisioned_or_quarantined() {
    let dir = scratch("zero-touch");
    let (ca, running, api) = tls_provisioner(&dir);
    let acs_url = running.app.settings.acs_url.clone();

    // The operator's side: a site (its PBX not up yet), a profile, a pre-registration.
    api.ok(
        "PUT",
        "/api/v1/sites/branch7",
        Some(
            json!({ "variables": { "pbx": "127.0.0.1:9", "domain": DOMAIN,
                                    "first_extension": "201" } }),
        ),
    );
    api.ok(
        "PUT",
        "/api/v1/profiles/fxs",
        Some(json!({ "site": "branch7", "template": serde_json::from_str::<Value>(TEMPLATE).unwrap() })),
    );
    api.ok(
        "POST",
        "/api/v1/preregistrations",
        Some(json!([{ "serial": "TRZT0001", "oui": OUI, "site": "branch7" }])),
    );

    // A pre-registered gateway comes up provisioned in its first session.
    let id1 = key("TRZT0001").id();
    let mut gw1 = gateway(&dir, &ca, "TRZT0001", &acs_url, None);
    gw1.expect(&["TR-069: configuration version 2 from the ACS"], WAIT);
    gw1.expect(&["[port 1 ext 201]"], WAIT);
    let d = api.wait_device(&id1, "provisioned", |v| {
        v["device"]["provisioned_digest"].is_string()
    });
    assert_eq!(d["device"]["enrollment"], "approved");
    assert_eq!(d["device"]["site"], "branch7");
    let mut names: Vec<String> = serde_json::from_value(d["secrets"].clone()).unwrap();
    names.sort();
    assert_eq!(
        names,
        [
            "acs_password",
            "cr_password",
            "cr_username",
            "ports.1.password",
            "ports.2.password"
        ]
    );

    // The PBX learns the generated passwords (an admin reveals them, audit-logged).
    let reveal = |n: &str| {
        api.ok(
            "POST",
            &format!("/api/v1/devices/{id1}/secrets/{n}/reveal"),
            None,
        )["value"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (pw1, pw2) = (reveal("ports.1.password"), reveal("ports.2.password"));
    assert!(pw1.len() >= 20 && pw1 != pw2);
    let k = Kamailio::start(
        &KamailioConfig::new(DOMAIN)
            .account("201", pw1)
            .account("202", pw2),
    )
    .unwrap_or_else(|e| panic!("{e}"));

    // The site moves to the PBX: the profile change reaches the gateway by connection
    // request, and its ports register with their generated passwords.
    api.ok(
        "PUT",
        "/api/v1/sites/branch7",
        Some(
            json!({ "variables": { "pbx": k.addr().to_string(), "domain": DOMAIN,
                                    "first_extension": "201" } }),
        ),
    );
    let applied = api.ok("POST", "/api/v1/profiles/fxs/apply", None);
    assert_eq!(applied["devices"], json!([id1]));
    // (No periodic Inform is due for an hour: only the connection request brings it.)
    gw1.expect(&["TR-069: configuration version 3 from the ACS"], WAIT);
    gw1.expect(&["[port 1 ext 201]", "SIP: registered"], WAIT);
    gw1.expect(&["[port 2 ext 202]", "SIP: registered"], WAIT);
    gw1.send("lift 1");
    std::thread::sleep(Duration::from_millis(400));
    gw1.send("press 1 202");
    gw1.expect(&["[port 2 ext 202]", "phone RINGS"], WAIT);
    gw1.send("lift 2");
    gw1.expect(&["[port 1 ext 201]", "line: connected"], WAIT);
    std::thread::sleep(Duration::from_secs(3));
    gw1.send("hang 1");
    // The gateway's call log (TR-104 CallLog), read by the ACS: the call from both ends,
    // with its jitter and its quality (MOS-LQ x 100).
    let log = api.call_log(&id1, 2);
    let get = |n: &str| {
        log.get(&format!("Device.Services.VoiceService.1.CallLog.{n}"))
            .cloned()
            .unwrap_or_else(|| panic!("no CallLog.{n} in {log:?}"))
    };
    let mut sides = [get("1.Direction"), get("2.Direction")];
    sides.sort();
    assert_eq!(sides, ["Incoming", "Outgoing"]);
    for i in 1..=2 {
        assert_eq!(get(&format!("{i}.Session.1.StreamType")), "Audio");
        let mos: u32 = get(&format!(
            "{i}.Session.1.Source.VoiceQuality.VoIPQualityIndicator"
        ))
        .parse()
        .unwrap_or_else(|_| panic!("call {i} has no quality: {log:?}"));
        assert!(
            (350..=450).contains(&mos),
            "MOS-LQ x 100 of a clean local call: {mos}"
        );
        let received: u64 = get(&format!("{i}.Session.1.Source.RTP.PacketsReceived"))
            .parse()
            .unwrap();
        assert!(received > 50, "{received} packets");
    }
    let outgoing = if get("1.Direction") == "Outgoing" {
        1
    } else {
        2
    };
    assert_eq!(get(&format!("{outgoing}.CallingPartyNumber")), "201");
    assert_eq!(get(&format!("{outgoing}.CalledPartyNumber")), "202");

    // A firmware image uploaded to the provisioner (verified against the release key)
    // reaches the gateway over the ACS's TLS listener with a URL signed for it alone; the
    // new image boots on trial and is kept once its lines registered again.
    let image_id = api.upload_release("2.0.0");
    api.ok(
        "POST",
        &format!("/api/v1/devices/{id1}/firmware"),
        Some(json!({ "image": image_id, "connection_request": true })),
    );
    gw1.expect(&["firmware 2.0.0 installed"], WAIT);
    gw1.expect_and_mark(&["--- reboot ---"], WAIT);
    gw1.expect(&["firmware: Switched"], WAIT);
    gw1.expect(
        &["firmware: the lines registered again; the new image is kept"],
        WAIT,
    );
    let d = api.wait_device(&id1, "on 2.0.0", |v| {
        v["device"]["software_version"] == "2.0.0"
    });
    assert_eq!(d["device"]["open_faults"], 0);

    // An unknown gateway (a good factory certificate, not pre-registered) stays pending:
    // its session is empty, it gets no secret and keeps its factory configuration.
    let id9 = key("TRZT0009").id();
    let mut gw9 = gateway(&dir, &ca, "TRZT0009", &acs_url, None);
    gw9.expect(&["CWMP: session done"], WAIT);
    let d = api.wait_device(&id9, "pending", |v| v["device"]["enrollment"] == "pending");
    assert_eq!(d["secrets"], json!([]));
    assert!(!gw9.transcript().contains("from the ACS"));

    // A claim code typed in by the installer brings a gateway into the claim's site.
    let claim = api.ok("POST", "/api/v1/claims", Some(json!({ "site": "branch7" })));
    let code = claim["code"].as_str().unwrap().to_string();
    let id3 = key("TRZT0003").id();
    let mut gw3 = gateway(&dir, &ca, "TRZT0003", &acs_url, Some(&code));
    gw3.expect(&["TR-069: configuration version 2 from the ACS"], WAIT);
    let d = api.wait_device(&id3, "claimed", |v| {
        v["device"]["provisioned_digest"].is_string()
    });
    assert_eq!(d["device"]["site"], "branch7");
    let claims = api.ok("GET", "/api/v1/claims", None);
    assert_eq!(claims[0]["used_by"], json!(id3));

    // A certificate for another serial number is refused (403), and the attempt audited.
    let liar = dir.join("TRZT0001/factory");
    let body = tipring_cwmp::Envelope::new(
        "1",
        tipring_cwmp::Body::Inform(tipring_cwmp::Inform {
            device_id: tipring_cwmp::DeviceId {
                manufacturer: "Tipring".into(),
                oui: OUI.into(),
                product_class: "FXS2".into(),
                serial_number: "TRZT0666".into(),
            },
            events: vec![tipring_cwmp::EventStruct {
                event_code: "0 BOOTSTRAP".into(),
                command_key: String::new(),
            }],
            max_envelopes: 1,
            current_time: "2026-11-26T00:00:00Z".into(),
            retry_count: 0,
            parameters: Vec::new(),
        }),
    )
    .to_xml();
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "5",
        ])
        .arg("--cacert")
        .arg(dir.join("ca/ca.crt"))
        .arg("--cert")
        .arg(liar.join("device.crt"))
        .arg("--key")
        .arg(liar.join("device.key"))
        .args(["-H", "Content-Type: text/xml", "--data-binary"])
        .arg(String::from_utf8(body).unwrap())
        .arg(&acs_url)
        .output()
        .expect("curl is needed: apt-get install curl");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "403");
    let audit = api.ok("GET", "/api/v1/audit?action=device.refused", None);
    assert!(audit.to_string().contains("TRZT0666"), "{audit}");
    assert!(
        api.call(
            "GET",
            &format!("/api/v1/devices/{}", key("TRZT0666").id()),
            None
        )
        .0 == 404
    );
    drop((gw1, gw9, gw3, k));
    running.stop();
}

#[test]
fn annex_g_udp_connection_requests_are_what_the_cpe_accepts() {
    // The provisioner's Annex G datagrams, caught on a UDP socket and checked by the CPE
    // side's checker: accepted once per id, refused with the wrong password, refused
    // when replayed.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let addr = sock.local_addr().unwrap().to_string();
    #[allow(clippy::disallowed_methods)]
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    rt.block_on(tipring_provisioner::connreq::send_udp(
        &addr, "acs-cr", "cr pass", unix,
    ))
    .unwrap();
    let mut copies = Vec::new();
    let mut buf = [0u8; 1500];
    for _ in 0..3 {
        let (n, _) = sock.recv_from(&mut buf).unwrap();
        copies.push(buf[..n].to_vec());
    }
    assert!(
        copies.windows(2).all(|w| w[0] == w[1]),
        "three copies of one request"
    );
    let mut right = tipring_cpe::connreq::ConnReqAuth::new(
        "acs-cr",
        "cr pass",
        "/cr",
        [7; 32],
        Default::default(),
    );
    let mut wrong = tipring_cpe::connreq::ConnReqAuth::new(
        "acs-cr",
        "another",
        "/cr",
        [7; 32],
        Default::default(),
    );
    let now = Instant::now();
    assert!(!wrong.check_udp(now, unix, &copies[0]));
    assert!(
        right.check_udp(now, unix, &copies[0]),
        "{}",
        String::from_utf8_lossy(&copies[0])
    );
    assert!(
        !right.check_udp(now, unix, &copies[1]),
        "a copy is acted on once"
    );
}

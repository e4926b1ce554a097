//! The lab's provisioner: a TR-069 ACS over TLS with a lab factory CA, one site per
//! gateway (A's extensions from 101, B's from 201, ...), one profile, and a
//! pre-registration and a factory certificate for every gateway.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::{json, Value};
use tipring_acs::model::DeviceKey;
use tipring_provisioner::ctl::Client;
use tipring_provisioner::pki::FactoryCa;
use tipring_provisioner::server::{start, Running, ServeArgs};

use crate::{letter, Args, LAB_DIAL_PLAN};

/// The lab gateways' OUI (any 6 hex digits: a lab has no manufacturer).
const OUI: &str = "00D0C9";

/// The profile every lab gateway gets: its site's extensions, the lab's dial plan, a
/// generated password per port (kept sealed; the lab has no registrar). The peer routes
/// between the lab's gateways are no TR-104 parameter: the lab's factory configuration
/// carries them.
const TEMPLATE: &str = r#"{
  "device": { "name": "lab-{{site}}", "country": "{{country}}" },
  "sip": { "servers": [], "domain": "{{domain}}", "listen": "{{sip_listen}}" },
  "ports": [ { "$each_port": {
      "extension": "{{extension}}",
      "display_name": "Lab {{site}} port {{port}}",
      "password": "{{secret:ports.#.password}}",
      "dial_plan": "DIAL_PLAN"
  } } ]
}"#;

/// The running lab provisioner.
#[derive(Debug)]
pub struct Lab {
    running: Running,
    dir: PathBuf,
    acs_url: String,
    ports: u16,
    country: String,
    domain: String,
    sip_ports: Vec<u16>,
    /// Bit g is set once gateway g has applied the provisioner's configuration.
    pub ready: Arc<AtomicU32>,
}

fn key(g: usize, ports: u16) -> DeviceKey {
    DeviceKey {
        oui: OUI.into(),
        product_class: format!("FXS{ports}"),
        serial: format!("LAB000{}", letter(g)),
    }
}

fn peers(n: usize, g: usize, sip_ports: &[u16]) -> Value {
    Value::Array(
        (0..n)
            .filter(|&o| o != g)
            .map(|o| {
                json!({ "name": format!("lab-{}", letter(o).to_ascii_lowercase()),
                        "address": format!("127.0.0.1:{}", sip_ports[o]),
                        "prefix": format!("{}", o + 1) })
            })
            .collect(),
    )
}

impl Lab {
    /// Start the provisioner and enroll the lab's gateways.
    pub async fn start(args: &Args, sip_ports: &[u16]) -> anyhow::Result<Self> {
        let n = usize::from(args.gateways);
        let dir = std::env::temp_dir().join(format!("tipring-lab-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let ca = FactoryCa::create(&dir.join("factory-ca"))?;
        ca.issue_server(&["127.0.0.1".to_string()], &dir.join("acs"))?;
        let mut serve = ServeArgs {
            data: dir.join("provisioner"),
            cwmp_listen: "127.0.0.1:0".parse()?,
            api_listen: args.api_listen,
            tls_cert: Some(dir.join("acs/server.crt")),
            tls_key: Some(dir.join("acs/server.key")),
            device_ca: Some(dir.join("factory-ca/ca.crt")),
            require_tls: true,
            ..ServeArgs::default()
        };
        let running = match start(serve.clone()).await {
            Ok(r) => r,
            Err(e) if args.api_listen.port() != 0 => {
                eprintln!(
                    "lab: the API cannot use {} ({e:#}); taking a free port",
                    args.api_listen
                );
                serve.api_listen.set_port(0);
                start(serve).await?
            }
            Err(e) => return Err(e),
        };
        let token = running
            .admin_token
            .clone()
            .context("the lab's provisioner made no admin token")?;
        let api = Client::new(&format!("http://{}", running.api_addr), &token)?;
        let call = |method: &'static str, path: String, body: Value| {
            let api = api.clone();
            async move {
                let (s, v) = api
                    .call(
                        method,
                        &path,
                        Some(("application/json", serde_json::to_vec(&body)?)),
                    )
                    .await?;
                anyhow::ensure!(
                    (200..300).contains(&s),
                    "lab provisioner: {method} {path}: {s} {v}"
                );
                anyhow::Ok(v)
            }
        };
        let mut prereg = Vec::new();
        for (g, sip_port) in sip_ports.iter().enumerate().take(n) {
            let site = format!("lab-{}", letter(g).to_ascii_lowercase());
            call(
                "PUT",
                format!("/api/v1/sites/{site}"),
                json!({ "description": format!("gateway {}", letter(g)),
                        "variables": { "first_extension": format!("{}01", g + 1),
                                       "sip_listen": format!("127.0.0.1:{sip_port}") } }),
            )
            .await?;
            let k = key(g, args.ports);
            prereg.push(json!({ "serial": k.serial, "oui": OUI, "site": site }));
            ca.issue_device(&k, &dir.join(format!("gateway-{}", letter(g))))?;
        }
        let template: Value = serde_json::from_str(&TEMPLATE.replace("DIAL_PLAN", LAB_DIAL_PLAN))?;
        call(
            "PUT",
            "/api/v1/profiles/lab".into(),
            json!({ "template": template,
                    "variables": { "country": args.country, "domain": args.sip_domain } }),
        )
        .await?;
        call(
            "POST",
            "/api/v1/preregistrations".into(),
            Value::Array(prereg),
        )
        .await?;
        let acs_url = running.app.settings.acs_url.clone();
        let token_file = dir.join("provisioner/admin.token");
        println!(
            "lab provisioner: ACS {acs_url}, console http://{}/console/ (sign in with the token in {}), API http://{}/api/v1 — try `tipring-provisioner ctl --url http://{} --token-file {} devices`",
            running.api_addr,
            token_file.display(),
            running.api_addr,
            running.api_addr,
            token_file.display()
        );
        Ok(Self {
            running,
            dir,
            acs_url,
            ports: args.ports,
            country: args.country.clone(),
            domain: args.sip_domain.clone(),
            sip_ports: sip_ports.to_vec(),
            ready: Arc::default(),
        })
    }

    /// Gateway g as its factory made it: a configuration with no extensions of its own
    /// (ports 801, 802, ...) and the factory ACS URL, its certificate, a state directory.
    pub fn device_args(&self, g: usize) -> tipring_agent::device::DeviceArgs {
        let gw = self.dir.join(format!("gateway-{}", letter(g)));
        let ports: Vec<Value> = (1..=self.ports)
            .map(|p| json!({ "extension": format!("{}", 800 + u32::from(p)), "dial_plan": LAB_DIAL_PLAN }))
            .collect();
        let doc = json!({
            "schema_version": 1,
            "device": { "name": format!("factory-{}", letter(g)), "country": self.country },
            "sip": { "servers": [], "domain": self.domain,
                     "listen": format!("127.0.0.1:{}", self.sip_ports[g]),
                     "peers": peers(self.sip_ports.len(), g, &self.sip_ports) },
            "ports": ports,
            "management": { "http_listen": "127.0.0.1:0",
                            "cwmp": { "acs_url": self.acs_url } }
        });
        let file = gw.join("factory.json");
        if let Err(e) = std::fs::write(&file, doc.to_string()) {
            eprintln!("lab: cannot write {}: {e}", file.display());
        }
        tipring_agent::device::DeviceArgs {
            config: Some(file),
            state_dir: Some(gw.join("state")),
            factory_identity: Some(gw),
            connection_request_listen: Some("127.0.0.1:0".parse().expect("literal")),
            ..Default::default()
        }
    }

    /// Wait until every gateway applied its provisioned configuration.
    pub async fn wait_provisioned(&self, n: usize) -> anyhow::Result<()> {
        let all = (1u32 << n) - 1;
        for _ in 0..600 {
            if self.ready.load(Ordering::Relaxed) & all == all {
                println!("lab: every gateway was provisioned by the lab's provisioner");
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("the gateways were not provisioned within 30 s (see the lines above)")
    }

    /// Stop the provisioner and remove the lab's files.
    pub fn stop(self) {
        self.running.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

//! The provisioner in this process, set up for a fleet: plain HTTP on loopback (Basic
//! with a pre-registration's initial secret is taken there), a site, a profile that gives
//! every `FXS2` gateway its extensions, SIP server and generated port passwords, and the
//! fleet's serials pre-registered with initial secrets. The benchmark and the tests use
//! it; the `tipring-fleet` binary talks to a provisioner elsewhere.
//!
//! ```no_run
//! # async fn demo() -> tipring_fleet::Result<()> {
//! use tipring_fleet::lab::{initial_secret, Lab};
//! let lab = Lab::start_temp("demo").await?;
//! let serials = vec!["FLEET000001".to_string()];
//! lab.preregister(&serials, "00D0C9", "FXS2", &initial_secret).await?;
//! println!("ACS at {}", lab.acs_url());
//! # lab.stop(); Ok(()) }
//! ```

use std::path::PathBuf;

use serde_json::{json, Value};
use tipring_provisioner::ctl::Client;
use tipring_provisioner::server::{start, Running, ServeArgs};

use crate::error::{Error, Result};

/// The site every pre-registered gateway of the lab goes to.
pub const SITE: &str = "fleet";

/// The profile's template: a 2-port gateway's extensions, SIP server and generated port
/// passwords (the zero-touch test's).
pub const TEMPLATE: &str = r#"{
  "device": { "name": "{{site}}-{{serial}}", "country": "us" },
  "sip": { "servers": ["{{pbx}}"], "domain": "{{domain}}", "listen": "127.0.0.1:0",
           "registration_expiry_s": 60 },
  "ports": [ { "$each_port": {
      "extension": "{{extension}}",
      "display_name": "{{site}} port {{port}}",
      "password": "{{secret:ports.#.password}}"
  } } ]
}"#;

/// Pre-registrations per API call (the API takes bodies up to 1 MiB).
const PREREG_BATCH: usize = 4000;

/// The seed of the lab's firmware release key: the lab's provisioner trusts it, and
/// [`signed_image`] signs with it. A test key, public in this source: trust it nowhere else.
pub const RELEASE_KEY_SEED: [u8; 32] = [0x1a; 32];

/// A firmware image for the fleet's gateways (model `FXS2`) at `version`, with a payload of
/// `payload_len` bytes, signed with the lab's release key.
pub fn signed_image(version: &str, payload_len: usize) -> Result<Vec<u8>> {
    let key = tipring_firmware::SigningKey::from_seed(&RELEASE_KEY_SEED);
    let payload = vec![0x5au8; payload_len];
    let manifest = tipring_firmware::Manifest::for_payload(
        "tipring",
        "FXS2",
        version.parse().map_err(lab_err)?,
        key.key_id(),
        "2026-01-01T00:00:00Z",
        &payload,
    );
    tipring_firmware::sign_image(&manifest, &payload, &key).map_err(lab_err)
}

/// The initial secret the lab gives a serial (12 characters or more, as the API wants).
pub fn initial_secret(serial: &str) -> String {
    format!("fleet-initial-{serial}")
}

/// A provisioner running in this process (see the module docs).
#[derive(Debug)]
pub struct Lab {
    /// The running server (its store is `running.app.store`).
    pub running: Running,
    /// The API client, with the first admin token.
    pub client: Client,
    /// The data directory (removed by [`stop`](Self::stop) when the lab made it).
    pub dir: PathBuf,
    remove_dir: bool,
    store: Option<String>,
    acs_url: Option<String>,
}

fn lab_err(e: impl std::fmt::Display) -> Error {
    Error::Lab(e.to_string())
}

impl Lab {
    /// Start a provisioner on a fresh data directory under the system's temporary one
    /// (named after `name` and the process), plain HTTP on loopback, with the lab's site
    /// and profile.
    pub async fn start_temp(name: &str) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("tipring-fleet-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut lab = Self::start(dir).await?;
        lab.remove_dir = true;
        Ok(lab)
    }

    /// Start a provisioner with its data in `dir`, plain HTTP on loopback, with the lab's
    /// site and profile.
    pub async fn start(dir: PathBuf) -> Result<Self> {
        Self::start_on(dir, None, None).await
    }

    /// [`start`](Self::start) on a store (`postgres://...`; None: SQLite in `dir`) and,
    /// when given, an ACS URL for the devices other than the node's own (a balancer's).
    pub async fn start_on(
        dir: PathBuf,
        store: Option<String>,
        acs_url: Option<String>,
    ) -> Result<Self> {
        let running = start(Self::args(&dir, store.clone(), acs_url.clone())?)
            .await
            .map_err(|e| Error::Lab(format!("{e:#}")))?;
        let token = running
            .admin_token
            .clone()
            .ok_or_else(|| Error::Lab("the data directory was not fresh".into()))?;
        let client =
            Client::new(&format!("http://{}", running.api_addr), &token).map_err(lab_err)?;
        let lab = Self {
            running,
            client,
            dir,
            remove_dir: false,
            store,
            acs_url,
        };
        set_up(&lab.client).await?;
        Ok(lab)
    }

    /// Another node beside the lab's: the same store and data directory (keys, images),
    /// the same ACS URL. Stop it with [`Running::stop`].
    pub async fn another_node(&self) -> Result<Running> {
        start(Self::args(
            &self.dir,
            self.store.clone(),
            self.acs_url.clone(),
        )?)
        .await
        .map_err(|e| Error::Lab(format!("{e:#}")))
    }

    fn args(
        dir: &std::path::Path,
        store: Option<String>,
        acs_url: Option<String>,
    ) -> Result<ServeArgs> {
        Ok(ServeArgs {
            data: dir.join("data"),
            store,
            acs_url,
            cwmp_listen: "127.0.0.1:0".parse().map_err(lab_err)?,
            api_listen: "127.0.0.1:0".parse().map_err(lab_err)?,
            require_tls: false,
            firmware_keys: vec![
                tipring_firmware::SigningKey::from_seed(&RELEASE_KEY_SEED).public_key()
            ],
            rollout_tick_ms: 200,
            ..ServeArgs::default()
        })
    }

    /// Call the API; a status outside 2xx is an error.
    pub async fn ok(&self, method: &str, path: &str, body: Value) -> Result<Value> {
        call_ok(&self.client, method, path, body).await
    }

    /// Upload a firmware image (see [`signed_image`]); its id.
    pub async fn upload_image(&self, image: Vec<u8>) -> Result<String> {
        upload_image(&self.client, image).await
    }

    /// A fleet of `cfg.devices` gateways pre-registered with the lab (initial secrets
    /// from [`initial_secret`]) and run until each is provisioned, or `within` passed;
    /// their device ids. `cfg.acs_url` is set to the lab's.
    pub async fn provisioned_fleet(
        &self,
        cfg: crate::FleetConfig,
        within: std::time::Duration,
    ) -> Result<(crate::Fleet, Vec<String>)> {
        let cfg = crate::FleetConfig {
            acs_url: self.acs_url(),
            ..cfg
        };
        provisioned_fleet(&self.client, cfg, within).await
    }

    /// The URL devices POST to.
    pub fn acs_url(&self) -> String {
        self.running.app.settings.acs_url.clone()
    }

    /// Pre-register these serials in the lab's site with `secret(serial)` as the initial
    /// secret of each.
    pub async fn preregister(
        &self,
        serials: &[String],
        oui: &str,
        product_class: &str,
        secret: &dyn Fn(&str) -> String,
    ) -> Result<()> {
        preregister(&self.client, serials, oui, product_class, secret).await
    }

    /// How many of these device ids the store holds as provisioned (`provisioned_digest`
    /// set), asked of the store directly.
    pub async fn count_provisioned(&self, ids: Vec<String>) -> Result<usize> {
        let store = std::sync::Arc::clone(&self.running.app.store);
        tokio::task::spawn_blocking(move || {
            let mut n = 0;
            for id in &ids {
                if store
                    .device(id)
                    .map_err(lab_err)?
                    .is_some_and(|d| d.provisioned_digest.is_some())
                {
                    n += 1;
                }
            }
            Ok(n)
        })
        .await
        .map_err(lab_err)?
    }

    /// Stop serving (and remove the data directory the lab made).
    pub fn stop(self) {
        self.running.stop();
        if self.remove_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The provisioner's id of a device (`OUI-ProductClass-Serial`).
pub fn device_id(oui: &str, product_class: &str, serial: &str) -> String {
    tipring_acs::model::DeviceKey {
        oui: oui.into(),
        product_class: product_class.into(),
        serial: serial.into(),
    }
    .id()
}

/// Upload a firmware image (see [`signed_image`]) through an API client; its id.
pub async fn upload_image(client: &Client, image: Vec<u8>) -> Result<String> {
    let (status, v) = client
        .call(
            "POST",
            "/api/v1/firmware",
            Some(("application/octet-stream", image)),
        )
        .await
        .map_err(|e| Error::Lab(format!("upload: {e:#}")))?;
    if status != 201 {
        return Err(Error::Lab(format!("upload: {status} {v}")));
    }
    v["id"]
        .as_str()
        .map(String::from)
        .ok_or_else(|| Error::Lab(format!("upload: no id in {v}")))
}

/// The lab's site and profile, through an API client.
pub async fn set_up(client: &Client) -> Result<()> {
    call_ok(
        client,
        "PUT",
        &format!("/api/v1/sites/{SITE}"),
        json!({ "variables": { "pbx": "127.0.0.1:9", "domain": "fleet.test",
                               "first_extension": "201" } }),
    )
    .await?;
    let template: Value = serde_json::from_str(TEMPLATE).map_err(lab_err)?;
    call_ok(
        client,
        "PUT",
        "/api/v1/profiles/fxs",
        json!({ "site": SITE, "template": template }),
    )
    .await?;
    Ok(())
}

/// Call the API; a status outside 2xx is an error.
pub async fn call_ok(client: &Client, method: &str, path: &str, body: Value) -> Result<Value> {
    let bytes = serde_json::to_vec(&body).map_err(lab_err)?;
    let (status, v) = client
        .call(method, path, Some(("application/json", bytes)))
        .await
        .map_err(|e| Error::Lab(format!("{method} {path}: {e:#}")))?;
    if !(200..300).contains(&status) {
        return Err(Error::Lab(format!("{method} {path}: {status} {v}")));
    }
    Ok(v)
}

/// Pre-register these serials in the lab's site with `secret(serial)` as the initial
/// secret of each, through an API client.
pub async fn preregister(
    client: &Client,
    serials: &[String],
    oui: &str,
    product_class: &str,
    secret: &dyn Fn(&str) -> String,
) -> Result<()> {
    for chunk in serials.chunks(PREREG_BATCH) {
        let list: Vec<Value> = chunk
            .iter()
            .map(|s| {
                json!({ "serial": s, "oui": oui, "product_class": product_class,
                        "site": SITE, "initial_secret": secret(s) })
            })
            .collect();
        call_ok(
            client,
            "POST",
            "/api/v1/preregistrations",
            Value::Array(list),
        )
        .await?;
    }
    Ok(())
}

/// A fleet of `cfg.devices` gateways (toward `cfg.acs_url`) pre-registered through an API
/// client (initial secrets from [`initial_secret`]) and run until each is provisioned, or
/// `within` passed; their device ids.
pub async fn provisioned_fleet(
    client: &Client,
    cfg: crate::FleetConfig,
    within: std::time::Duration,
) -> Result<(crate::Fleet, Vec<String>)> {
    provisioned_fleet_listening(client, cfg, within, None).await
}

/// [`provisioned_fleet`], the gateways taking Connection Requests on `listen` (see
/// [`Fleet::listen_connection_requests`](crate::Fleet::listen_connection_requests)) when
/// it is given, so that they report a ConnectionRequestURL.
#[allow(clippy::disallowed_methods)] // waits on the wall clock
pub async fn provisioned_fleet_listening(
    client: &Client,
    cfg: crate::FleetConfig,
    within: std::time::Duration,
    listen: Option<std::net::SocketAddr>,
) -> Result<(crate::Fleet, Vec<String>)> {
    let n = cfg.devices;
    let serials: Vec<String> = (0..n).map(|i| cfg.serial(i)).collect();
    preregister(
        client,
        &serials,
        &cfg.oui,
        &cfg.product_class,
        &initial_secret,
    )
    .await?;
    let cfg = crate::FleetConfig {
        passwords: crate::Passwords::BySerial(
            serials
                .iter()
                .map(|s| (s.clone(), initial_secret(s)))
                .collect(),
        ),
        ..cfg
    };
    let mut fleet = crate::Fleet::new(cfg.clone())?;
    if let Some(addr) = listen {
        fleet.listen_connection_requests(addr).await?;
    }
    fleet
        .run_until(std::time::Instant::now() + within, |s| s.provisioned == n)
        .await;
    if fleet.stats().provisioned != n {
        return Err(Error::Lab(format!(
            "{} of {n} gateways provisioned in {within:?}",
            fleet.stats().provisioned
        )));
    }
    let ids = serials
        .iter()
        .map(|s| device_id(&cfg.oui, &cfg.product_class, s))
        .collect();
    Ok((fleet, ids))
}

/// A load balancer in front of several nodes' ACS endpoints: each TCP connection goes to
/// the next node in turn, or to the following one when that one does not accept. Runs
/// until the task is dropped.
pub async fn balance(
    listener: tokio::net::TcpListener,
    backends: std::sync::Arc<std::sync::Mutex<Vec<std::net::SocketAddr>>>,
) {
    let turn = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else {
            continue;
        };
        let _ = inbound.set_nodelay(true);
        let backends = std::sync::Arc::clone(&backends);
        let turn = std::sync::Arc::clone(&turn);
        tokio::spawn(async move {
            let list = backends.lock().map(|l| l.clone()).unwrap_or_default();
            let first = turn.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            for k in 0..list.len() {
                let addr = list[(first + k) % list.len()];
                if let Ok(mut out) = tokio::net::TcpStream::connect(addr).await {
                    let _ = out.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    return;
                }
            }
        });
    }
}

//! The gateway as a device: its boots. Each boot reads the configuration (the store, or
//! the `--config` file), lets the A/B slots pick the firmware to run (a new image on trial,
//! or a rollback), and runs the gateway until `quit` — or until the ACS asks for a reboot
//! or a factory reset, after which the device boots again in the same process (sockets
//! closed and reopened, `1 BOOT` in the next Inform).

use std::path::PathBuf;

use anyhow::Context as _;
use tipring_cpe::Start;

use crate::cwmp::{Memory, RunnerSettings};
use crate::run::{run_managed, Boot, RunEnd};

/// What the device needs besides its configuration.
#[derive(Debug, Clone, Default)]
pub struct DeviceArgs {
    /// The configuration file (imported into the store; the factory default after a
    /// factory reset).
    pub config: Option<PathBuf>,
    /// The state directory: configuration store, CPE state, firmware slots.
    pub state_dir: Option<PathBuf>,
    /// DeviceInfo.SerialNumber (default: derived from the device name).
    pub serial: Option<String>,
    /// Where Connection Requests are taken.
    pub connection_request_listen: Option<std::net::SocketAddr>,
    /// Trusted firmware signing keys (Ed25519 public keys). They come with the device,
    /// never from the configuration an ACS can write.
    pub firmware_keys: Vec<[u8; 32]>,
    /// CA certificates (PEM) for an https ACS and file servers.
    pub acs_ca: Option<PathBuf>,
    /// The device's client certificate chain and key (PEM) toward the ACS.
    pub acs_client_cert: Option<(PathBuf, PathBuf)>,
    /// The factory identity directory: `device.crt`, `device.key`, optional `ca.crt`
    /// ([`crate::factory`]). Its certificate names the device (serial, OUI, product
    /// class) and identifies it to the ACS.
    pub factory_identity: Option<PathBuf>,
    /// DeviceInfo.ManufacturerOUI (six hex digits; default: the certificate's, else
    /// `000000`).
    pub oui: Option<String>,
    /// DeviceInfo.ProductClass (default: the certificate's, else the model, `FXS` + ports).
    pub product_class: Option<String>,
    /// The factory default ACS URL, used when neither the ACS, the installer nor DHCP
    /// named one (TR-069 Amendment 6 §3.1); before the document's `acs_url`.
    pub factory_acs_url: Option<String>,
    /// The DHCP options file the OS's DHCP client hook writes (default:
    /// `STATE_DIR/dhcp-options`).
    pub dhcp_options: Option<PathBuf>,
}

/// The device's identity and credentials as the arguments and the factory identity say.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// The factory identity, read.
    pub factory: Option<crate::factory::FactoryIdentity>,
    /// Serial, OUI and product class in force (the certificate's when there is one).
    pub resolved: Option<crate::factory::Resolved>,
}

impl DeviceArgs {
    /// Check what can be checked before anything starts: the factory identity against
    /// `--serial-number`/`--oui`/`--product-class`, the OUI's form, the factory URL.
    pub fn check(&self) -> anyhow::Result<Checked> {
        if let Some(o) = &self.oui {
            if o.len() != 6 || !o.bytes().all(|b| b.is_ascii_hexdigit()) {
                anyhow::bail!("--oui {o}: an OUI is six hex digits");
            }
        }
        if let Some(u) = &self.factory_acs_url {
            if !tipring_config::valid_acs_url(u) {
                anyhow::bail!(
                    "--factory-acs-url {u}: an http:// or https:// URL with a host, at most \
                     {} characters",
                    tipring_config::MAX_ACS_URL_LEN
                );
            }
        }
        let Some(dir) = &self.factory_identity else {
            return Ok(Checked::default());
        };
        let factory = crate::factory::FactoryIdentity::load(dir)?;
        let resolved = factory
            .subject
            .reconcile(&crate::factory::Given {
                serial: self.serial.clone(),
                oui: self.oui.clone(),
                product_class: self.product_class.clone(),
            })
            .context("refusing to start")?;
        Ok(Checked {
            factory: Some(factory),
            resolved: Some(resolved),
        })
    }

    /// The DHCP options file watched: `--dhcp-options`, else `STATE_DIR/dhcp-options`.
    pub fn dhcp_options_file(&self) -> Option<PathBuf> {
        self.dhcp_options.clone().or_else(|| {
            self.state_dir
                .as_ref()
                .map(|d| d.join(crate::bootstrap::DEFAULT_OPTIONS_FILE))
        })
    }

    /// Whether the CWMP client runs with this document: it names an ACS section, or a
    /// factory URL was given, or DHCP may name one (`--dhcp-options`, or the state
    /// directory's options file exists at boot).
    pub fn cwmp_enabled(&self, cfg: &tipring_config::GatewayConfig) -> bool {
        cfg.management.cwmp.is_some()
            || self.factory_acs_url.is_some()
            || self.dhcp_options.is_some()
            || self.dhcp_options_file().is_some_and(|p| p.is_file())
    }
}

/// The product this agent is (firmware images must name it).
pub const PRODUCT: &str = "tipring-gw";

/// Files a factory reset removes (the firmware slots stay).
const RESET_FILES: &[&str] = &[
    "config.json",
    "config.prev.json",
    "imported.sha256",
    "cpe.json",
    "cwmp-state.json",
    "attributes.json",
    crate::cwmp::BOOTSTRAP_FILE,
    // The admin password: the next start makes (and prints) a new first-start one.
    "admin.json",
];

fn identity(
    cfg: &tipring_config::GatewayConfig,
    args: &DeviceArgs,
    checked: &Checked,
) -> tipring_datamodel::DeviceIdentity {
    use sha2::Digest as _;
    let resolved = checked.resolved.as_ref();
    let serial = resolved
        .map(|r| r.serial.clone())
        .or_else(|| args.serial.clone())
        .unwrap_or_else(|| {
            let h = sha2::Sha256::digest(cfg.device.name.as_bytes());
            format!("TR{:02X}{:02X}{:02X}{:02X}", h[0], h[1], h[2], h[3])
        });
    let oui = resolved
        .map(|r| r.oui.clone())
        .or_else(|| args.oui.as_ref().map(|o| o.to_ascii_uppercase()));
    // A certificate of the two-part form (OUI-SerialNumber) names a device with no
    // ProductClass: the Inform's is empty then, so the two agree.
    let product_class = match resolved {
        Some(r) => r.product_class.clone().unwrap_or_default(),
        None => args.product_class.clone().unwrap_or_else(|| model(cfg)),
    };
    let version = args
        .state_dir
        .as_ref()
        .and_then(|d| tipring_slots::Slots::open(d.join("firmware")).ok())
        .and_then(|s| s.active().version)
        .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_string());
    let defaults = tipring_datamodel::DeviceIdentity::default();
    tipring_datamodel::DeviceIdentity {
        manufacturer: "Tipring".into(),
        manufacturer_oui: oui.unwrap_or(defaults.manufacturer_oui.clone()),
        model_name: model(cfg),
        product_class,
        description: format!("Tipring FXS gateway, {} ports", cfg.ports.len()),
        serial_number: serial,
        software_version: version,
        ..defaults
    }
}

/// The hardware model firmware images are checked against: the port count.
pub fn model(cfg: &tipring_config::GatewayConfig) -> String {
    format!("FXS{}", cfg.ports.len())
}

/// TLS toward an https ACS: `--acs-ca` (else the factory identity's `ca.crt`), and the
/// client certificate of `--acs-client-cert` (else the factory identity's).
fn tls(
    args: &DeviceArgs,
    checked: &Checked,
) -> anyhow::Result<Option<std::sync::Arc<rustls::ClientConfig>>> {
    let factory = checked.factory.as_ref();
    let Some(ca) = args
        .acs_ca
        .clone()
        .or_else(|| factory.and_then(|f| f.ca.clone()))
    else {
        return Ok(None);
    };
    let pem = std::fs::read(&ca).with_context(|| format!("--acs-ca {}", ca.display()))?;
    let client_files = args
        .acs_client_cert
        .clone()
        .or_else(|| factory.map(|f| (f.cert.clone(), f.key.clone())));
    let client = match &client_files {
        Some((c, k)) => Some((
            std::fs::read(c).with_context(|| format!("{}", c.display()))?,
            std::fs::read(k).with_context(|| format!("{}", k.display()))?,
        )),
        None => None,
    };
    let cfg = crate::acs_http::tls_config(
        &pem,
        client.as_ref().map(|(c, k)| (c.as_slice(), k.as_slice())),
    )?;
    Ok(Some(cfg))
}

/// Run the device until `quit`, booting again in-process when the ACS asks. `input` and
/// `out` are the prompt's (stdin and stdout in the binary).
pub async fn run_device<R: tokio::io::AsyncBufRead + Unpin>(
    args: DeviceArgs,
    mut input: R,
    out: &mut dyn FnMut(&str),
    interactive: bool,
) -> anyhow::Result<()> {
    let checked = args.check()?;
    let mut memory = Memory::default();
    let mut boots = 0u32;
    loop {
        boots += 1;
        let (managed, notes) =
            crate::managed::Managed::start(args.config.as_deref(), args.state_dir.as_deref())?;
        notes.iter().for_each(|n| out(n));
        let (mut opts, servers) = crate::config::options(managed.running())?;
        if let Some(sip) = opts.sip.as_mut() {
            sip.servers = crate::config::locate_servers(&servers, sip.transport).await?;
        }
        let slots_dir = args.state_dir.as_ref().map(|d| d.join("firmware"));
        let mut firmware_state = None;
        let mut last_upgrade = None;
        if let Some(d) = &slots_dir {
            // The bootloader's decision: a pending image runs on trial, a failed one rolls back.
            use tipring_mibs::tipring::{FirmwareState, UpgradeResult};
            use tipring_slots::BootOutcome;
            match tipring_slots::Slots::open(d).and_then(|mut s| s.boot()) {
                Ok(o) => {
                    out(&format!("firmware: {o:?}"));
                    (firmware_state, last_upgrade) = match &o {
                        BootOutcome::Normal { .. } => (Some(FirmwareState::Running), None),
                        BootOutcome::Switched { .. } => (
                            Some(FirmwareState::Trial),
                            Some((UpgradeResult::Success, String::new())),
                        ),
                        BootOutcome::Trial { .. } => (Some(FirmwareState::Trial), None),
                        BootOutcome::RolledBack { reason, .. } => (
                            Some(FirmwareState::RolledBack),
                            Some((UpgradeResult::Failed, reason.clone())),
                        ),
                        BootOutcome::Rejected { reason, .. } => (
                            Some(FirmwareState::Running),
                            Some((UpgradeResult::Failed, reason.clone())),
                        ),
                    };
                }
                Err(e) => out(&format!("firmware slots: {e}")),
            }
        }
        let running = managed.running().clone();
        let seed = crate::sim::os_seed();
        let cwmp = args.cwmp_enabled(&running).then(|| RunnerSettings {
            dir: args.state_dir.clone(),
            identity: identity(&running, &args, &checked),
            connection_request_listen: args.connection_request_listen,
            start: Start::Boot,
            seed,
            transfer: slots_dir
                .clone()
                .map(|slots_dir| crate::transfer::TransferSettings {
                    tls: tls(&args, &checked).ok().flatten(),
                    slots_dir,
                    verifier: args.firmware_keys.iter().fold(
                        tipring_firmware::Verifier::new(PRODUCT, model(&running)),
                        |v, k| v.with_key(tipring_firmware::key_id_for(k), *k),
                    ),
                    max_file: 64 << 20,
                    seed,
                }),
            tls: tls(&args, &checked).unwrap_or_else(|e| {
                tracing::error!(error = %format!("{e:#}"), "no TLS toward the ACS");
                None
            }),
            factory_acs_url: args.factory_acs_url.clone(),
            dhcp_options: args.dhcp_options_file(),
            access: None,
        });
        // Firmware uploaded from the admin pages: the same slots and keys as a Download.
        let firmware = slots_dir
            .clone()
            .map(|slots_dir| crate::admin::FirmwareBoot {
                slots_dir,
                verifier: args.firmware_keys.iter().fold(
                    tipring_firmware::Verifier::new(PRODUCT, model(&running)),
                    |v, k| v.with_key(tipring_firmware::key_id_for(k), *k),
                ),
                health_check_s: running.management.firmware_health_check_s,
            });
        let id = identity(&running, &args, &checked);
        let snmp = running
            .management
            .snmp
            .as_ref()
            .map(|_| crate::run::SnmpBoot {
                dir: args.state_dir.clone(),
                info: crate::snmp::views::DeviceInfo {
                    serial: id.serial_number.clone(),
                    model: model(&running),
                    firmware_version: id.software_version.clone(),
                    firmware_state,
                    last_upgrade,
                },
                warm: boots > 1,
            });
        let boot = Boot {
            managed: Some(managed),
            cwmp,
            memory: std::mem::take(&mut memory),
            snmp,
            state_dir: args.state_dir.clone(),
            firmware,
        };
        let (end, back) = run_managed(opts, boot, input, &mut *out, interactive).await?;
        input = back;
        match end {
            RunEnd::Quit => return Ok(()),
            RunEnd::Reboot {
                memory: kept,
                factory_reset,
            } => {
                if factory_reset {
                    if let Some(d) = &args.state_dir {
                        for f in RESET_FILES {
                            let _ = std::fs::remove_file(d.join(f));
                        }
                    }
                } else {
                    memory = *kept;
                }
                out("--- reboot ---");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A factory identity directory: a device certificate named as TR-069's DeviceId
    /// (CN = OUI-ProductClass-Serial, serialNumber = Serial), its key, and a CA.
    fn identity_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tipring-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "00D0FA-TGW-SN7");
        params.distinguished_name.push(
            rcgen::DnType::CustomDnType(vec![2, 5, 4, 5]),
            rcgen::DnValue::PrintableString("SN7".try_into().unwrap()),
        );
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        std::fs::write(dir.join("device.crt"), cert.pem()).unwrap();
        std::fs::write(dir.join("device.key"), key.serialize_pem()).unwrap();
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let ca = rcgen::CertificateParams::new(vec!["acs.example".to_string()])
            .unwrap()
            .self_signed(&ca_key)
            .unwrap();
        std::fs::write(dir.join("ca.crt"), ca.pem()).unwrap();
        dir
    }

    /// The certificate names the Inform's DeviceId and is the client certificate toward
    /// an https ACS (with the directory's CA as the trust anchor).
    #[test]
    fn the_factory_identity_names_the_device_and_its_tls() {
        let dir = identity_dir("device-id");
        let args = DeviceArgs {
            factory_identity: Some(dir.clone()),
            ..DeviceArgs::default()
        };
        let checked = args.check().unwrap();
        let cfg = tipring_config::GatewayConfig::example(2);
        let id = identity(&cfg, &args, &checked);
        assert_eq!(
            (
                id.manufacturer_oui.as_str(),
                id.product_class.as_str(),
                id.serial_number.as_str()
            ),
            ("00D0FA", "TGW", "SN7")
        );
        let client = tls(&args, &checked).unwrap().expect("ca.crt gives TLS");
        assert!(client.client_auth_cert_resolver.has_certs());
        // Without one: the options, else the defaults.
        let plain = DeviceArgs {
            oui: Some("00d0fa".into()),
            ..DeviceArgs::default()
        };
        let id = identity(&cfg, &plain, &plain.check().unwrap());
        assert_eq!(id.manufacturer_oui, "00D0FA");
        assert_eq!(id.product_class, "FXS2");
        assert!(id.serial_number.starts_with("TR"));
        assert!(tls(&plain, &Checked::default()).unwrap().is_none());
        // A missing key, a bad OUI, a bad factory URL are refused before anything runs.
        std::fs::remove_file(dir.join("device.key")).unwrap();
        assert!(args.check().unwrap_err().to_string().contains("device.key"));
        for bad in [
            DeviceArgs {
                oui: Some("00D0F".into()),
                ..DeviceArgs::default()
            },
            DeviceArgs {
                factory_acs_url: Some("acs.example".into()),
                ..DeviceArgs::default()
            },
        ] {
            assert!(bad.check().is_err());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

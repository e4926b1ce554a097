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
];

fn identity(
    cfg: &tipring_config::GatewayConfig,
    args: &DeviceArgs,
) -> tipring_datamodel::DeviceIdentity {
    use sha2::Digest as _;
    let serial = args.serial.clone().unwrap_or_else(|| {
        let h = sha2::Sha256::digest(cfg.device.name.as_bytes());
        format!("TR{:02X}{:02X}{:02X}{:02X}", h[0], h[1], h[2], h[3])
    });
    let version = args
        .state_dir
        .as_ref()
        .and_then(|d| tipring_slots::Slots::open(d.join("firmware")).ok())
        .and_then(|s| s.active().version)
        .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_string());
    tipring_datamodel::DeviceIdentity {
        manufacturer: "Tipring".into(),
        model_name: model(cfg),
        product_class: model(cfg),
        description: format!("Tipring FXS gateway, {} ports", cfg.ports.len()),
        serial_number: serial,
        software_version: version,
        ..tipring_datamodel::DeviceIdentity::default()
    }
}

/// The hardware model firmware images are checked against: the port count.
pub fn model(cfg: &tipring_config::GatewayConfig) -> String {
    format!("FXS{}", cfg.ports.len())
}

fn tls(args: &DeviceArgs) -> anyhow::Result<Option<std::sync::Arc<rustls::ClientConfig>>> {
    let Some(ca) = &args.acs_ca else {
        return Ok(None);
    };
    let pem = std::fs::read(ca).with_context(|| format!("--acs-ca {}", ca.display()))?;
    let client = match &args.acs_client_cert {
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
        let cwmp = running.management.cwmp.as_ref().map(|_| RunnerSettings {
            dir: args.state_dir.clone(),
            identity: identity(&running, &args),
            connection_request_listen: args.connection_request_listen,
            start: Start::Boot,
            seed,
            transfer: slots_dir
                .clone()
                .map(|slots_dir| crate::transfer::TransferSettings {
                    tls: tls(&args).ok().flatten(),
                    slots_dir,
                    verifier: args.firmware_keys.iter().fold(
                        tipring_firmware::Verifier::new(PRODUCT, model(&running)),
                        |v, k| v.with_key(tipring_firmware::key_id_for(k), *k),
                    ),
                    max_file: 64 << 20,
                    seed,
                }),
            tls: tls(&args).unwrap_or(None),
        });
        let id = identity(&running, &args);
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

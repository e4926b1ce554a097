//! File transfers the ACS asks for (TR-069 Amendment 6 A.3.2.8 Download, A.4.1.5 Upload),
//! carried out over HTTP(S) with the file server's credentials.
//!
//! * `1 Firmware Upgrade Image`: the file is a signed `tipring-firmware` image; its header
//!   (manifest + Ed25519 signature against the configured keys, model, downgrade floor) is
//!   verified before a byte goes to the inactive A/B slot, and the payload is hashed as it
//!   is written. A good image becomes the slot that boots next; the device then reboots and
//!   reports. Anything else leaves the running image untouched and is reported with its
//!   fault: 9018 file corrupted, 9019 file authentication failure, 9010 wrong model or
//!   downgrade.
//! * `3 Vendor Configuration File`: a `tipring-config` document; it goes through the same
//!   checks as a `reload` and is applied without a reboot (9018 when it does not validate).
//! * Upload of `3 Vendor Configuration File` (the running document with its secrets
//!   blanked, as GetParameterValues shows them) and `4 Vendor Log File` (the agent's recent
//!   log lines), by HTTP PUT.
//!
//! Transport faults: the file server unreachable 9015, refused credentials 9012, a missing
//! file or another refusal 9016, a file cut short or of the wrong FileSize 9017, an
//! unsupported URL scheme 9013.

use std::path::PathBuf;
use std::sync::Arc;

use tipring_cpe::{FinishedTransfer, QueuedTransfer};

use crate::acs_http::{AcsUrl, ClientSettings, HttpSession};

/// TR-069 fault codes used here.
pub mod fault {
    /// File transfer failure (generic).
    pub const FILE_TRANSFER_FAILURE: u32 = 9010;
    /// Upload failure.
    pub const UPLOAD_FAILURE: u32 = 9011;
    /// File transfer server authentication failure.
    pub const SERVER_AUTHENTICATION: u32 = 9012;
    /// Unsupported protocol for file transfer.
    pub const UNSUPPORTED_PROTOCOL: u32 = 9013;
    /// Unable to contact the file server.
    pub const CONTACT_SERVER: u32 = 9015;
    /// Unable to access the file.
    pub const ACCESS_FILE: u32 = 9016;
    /// Unable to complete the download.
    pub const INCOMPLETE: u32 = 9017;
    /// File corrupted.
    pub const CORRUPTED: u32 = 9018;
}

/// What a download needs from the device.
#[derive(Clone)]
pub struct TransferSettings {
    /// Trust anchors (and client certificate) for https file servers.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// The A/B slots directory.
    pub slots_dir: PathBuf,
    /// Firmware signature keys, product and model.
    pub verifier: tipring_firmware::Verifier,
    /// Largest file accepted.
    pub max_file: usize,
    /// Seed for digest client nonces.
    pub seed: [u8; 32],
}

impl std::fmt::Debug for TransferSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransferSettings")
            .field("slots_dir", &self.slots_dir)
            .field("keys", &self.verifier.keys.len())
            .finish_non_exhaustive()
    }
}

/// What a successful download brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    /// A firmware image, now in the slot that boots next (reboot to run it).
    Firmware {
        /// Its version.
        version: String,
    },
    /// A configuration document, checked, to be applied like a `reload`.
    Config(Box<tipring_config::GatewayConfig>),
}

/// A transfer's outcome: the TransferComplete to report, and what it installed.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// For the CPE engine.
    pub result: FinishedTransfer,
    /// Present on success.
    pub installed: Option<Installed>,
}

fn failed(q: &QueuedTransfer, start: i64, end: i64, code: u32, why: String) -> Outcome {
    tracing::warn!(command_key = %q.command_key, code, %why, "transfer failed");
    Outcome {
        result: FinishedTransfer {
            command_key: q.command_key.clone(),
            fault_code: code,
            fault_string: why,
            start,
            complete: end,
            download: q.download,
        },
        installed: None,
    }
}

fn session(q: &QueuedTransfer, s: &TransferSettings) -> Result<HttpSession, (u32, String)> {
    let url: AcsUrl = q
        .url
        .parse()
        .map_err(|e: anyhow::Error| (fault::UNSUPPORTED_PROTOCOL, format!("{e:#}")))?;
    let mut settings = ClientSettings::new(&q.username, &q.password);
    settings.tls = s.tls.clone();
    settings.timeout = std::time::Duration::from_secs(120);
    // Credentials to a file server over plain HTTP are the ACS's choice of URL.
    settings.basic_over_http = true;
    Ok(HttpSession::new(url, settings, s.seed))
}

/// Fetch the file of `q`, mapping HTTP outcomes to TR-069 faults.
async fn fetch(q: &QueuedTransfer, s: &TransferSettings) -> Result<Vec<u8>, (u32, String)> {
    let mut http = session(q, s)?;
    let reply = http.get(s.max_file).await.map_err(|e| {
        let text = format!("{e:#}");
        let code = if text.contains("connecting") || text.contains("resolving") {
            fault::CONTACT_SERVER
        } else {
            fault::INCOMPLETE
        };
        (code, text)
    })?;
    match reply.status {
        200 => {}
        401 | 407 => {
            return Err((
                fault::SERVER_AUTHENTICATION,
                "the file server refused the credentials".into(),
            ))
        }
        status => {
            return Err((
                fault::ACCESS_FILE,
                format!("the file server answered {status}"),
            ))
        }
    }
    if q.file_size > 0 && reply.body.len() != q.file_size as usize {
        return Err((
            fault::INCOMPLETE,
            format!(
                "{} bytes received, FileSize says {}",
                reply.body.len(),
                q.file_size
            ),
        ));
    }
    Ok(reply.body)
}

/// Carry out a Download: fetch, check, install. `unix` reads the calendar.
pub async fn download(q: &QueuedTransfer, s: &TransferSettings, unix: fn() -> i64) -> Outcome {
    let start = unix();
    let body = match fetch(q, s).await {
        Ok(b) => b,
        Err((code, why)) => return failed(q, start, unix(), code, why),
    };
    let installed = if q.file_type.starts_with("1 ") {
        install_firmware(&body, s)
    } else if q.file_type.starts_with("3 ") {
        read_config(&body)
    } else {
        Err((
            fault::FILE_TRANSFER_FAILURE,
            format!("file type `{}` is not supported", q.file_type),
        ))
    };
    match installed {
        Ok(i) => {
            tracing::info!(command_key = %q.command_key, ?i, "download installed");
            Outcome {
                result: FinishedTransfer {
                    command_key: q.command_key.clone(),
                    fault_code: 0,
                    fault_string: String::new(),
                    start,
                    complete: unix(),
                    download: true,
                },
                installed: Some(i),
            }
        }
        Err((code, why)) => failed(q, start, unix(), code, why),
    }
}

fn install_firmware(image: &[u8], s: &TransferSettings) -> Result<Installed, (u32, String)> {
    // In pieces, as it would stream from the network.
    let pieces = image.chunks(64 * 1024).map(Some);
    let info = install_image(pieces, &s.slots_dir, &s.verifier).map_err(|e| match e {
        InstallError::Slots(e) => (e.fault_code(), e.to_string()),
        InstallError::CutShort => (fault::INCOMPLETE, e.to_string()),
    })?;
    Ok(Installed::Firmware {
        version: info.version.map(|v| v.to_string()).unwrap_or_default(),
    })
}

/// Why an image was not installed.
#[derive(Debug)]
pub enum InstallError {
    /// Refused (signature, product, model, downgrade, hash) or the slot failed.
    Slots(tipring_slots::Error),
    /// The image ended before its end (an upload cut short); nothing was kept.
    CutShort,
}

impl std::fmt::Display for InstallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InstallError::Slots(e) => e.fmt(f),
            InstallError::CutShort => f.write_str("the image was cut short"),
        }
    }
}

/// Check a signed image and install it into the inactive slot of `slots_dir` (a TR-069
/// Download and an upload from the admin pages alike), from its pieces as they arrive
/// (`None`: the image was cut short): the header — signature, product, model, no
/// downgrade below the running image — is verified before any payload byte reaches the
/// slot, the payload hashed as it is written. On error the running image is untouched.
pub fn install_image<P: AsRef<[u8]>>(
    pieces: impl IntoIterator<Item = Option<P>>,
    slots_dir: &std::path::Path,
    verifier: &tipring_firmware::Verifier,
) -> Result<tipring_slots::SlotInfo, InstallError> {
    let mut slots = tipring_slots::Slots::open(slots_dir).map_err(InstallError::Slots)?;
    let running = slots.active().manifest.clone();
    let verifier = verifier.clone().with_running(running.as_ref());
    let mut install = slots.begin_image(&verifier);
    for piece in pieces {
        match piece {
            Some(p) => install.write(p.as_ref()).map_err(InstallError::Slots)?,
            None => {
                let _ = install.abort();
                return Err(InstallError::CutShort);
            }
        }
    }
    install.finish().map_err(InstallError::Slots)
}

fn read_config(bytes: &[u8]) -> Result<Installed, (u32, String)> {
    let cfg = tipring_config::deserialize(bytes).map_err(|e| (fault::CORRUPTED, e.to_string()))?;
    cfg.validate_with(&|plan| {
        plan.parse::<tipring_line::dialplan::DialPlan>()
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
    .map_err(|e| (fault::CORRUPTED, e.to_string()))?;
    crate::config::options(&cfg).map_err(|e| (fault::CORRUPTED, format!("{e:#}")))?;
    Ok(Installed::Config(Box::new(cfg)))
}

/// Carry out an Upload of `body` (already produced for the FileType) by HTTP PUT.
pub async fn upload(
    q: &QueuedTransfer,
    s: &TransferSettings,
    body: Vec<u8>,
    unix: fn() -> i64,
) -> Outcome {
    let start = unix();
    let mut http = match session(q, s) {
        Ok(h) => h,
        Err((code, why)) => return failed(q, start, unix(), code, why),
    };
    match http.put(body).await {
        Ok(r) if (200..300).contains(&r.status) => Outcome {
            result: FinishedTransfer {
                command_key: q.command_key.clone(),
                fault_code: 0,
                fault_string: String::new(),
                start,
                complete: unix(),
                download: false,
            },
            installed: None,
        },
        Ok(r) if r.status == 401 => failed(
            q,
            start,
            unix(),
            fault::SERVER_AUTHENTICATION,
            "the file server refused the credentials".into(),
        ),
        Ok(r) => failed(
            q,
            start,
            unix(),
            fault::UPLOAD_FAILURE,
            format!("the file server answered {}", r.status),
        ),
        Err(e) => failed(q, start, unix(), fault::UPLOAD_FAILURE, format!("{e:#}")),
    }
}

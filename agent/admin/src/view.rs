//! What the agent shows the pages beyond the status snapshot: the uplink, the ACS, the
//! firmware slots, the access-control counters and the diagnostics' results. The agent
//! fills a [`DeviceView`] (times already written out, so the pages need no calendar) and
//! publishes it with the [`crate::View`].

use std::sync::Arc;

use serde::Serialize;

/// The gateway's surroundings, as the status, maintenance and diagnostics pages show them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeviceView {
    /// The network interface toward the servers.
    pub uplink: Option<Uplink>,
    /// The TR-069 client, when it runs.
    pub acs: Option<AcsView>,
    /// The A/B firmware slots (empty: the agent runs without a slots directory).
    pub firmware: Vec<FirmwareSlot>,
    /// The last firmware upload from the pages: still being checked, or its outcome.
    pub firmware_upload: Option<TaskState>,
    /// What the access control let in and dropped, per service.
    pub access: Vec<AccessCounters>,
    /// The diagnostics run from the pages, newest first (a few are kept).
    pub diagnostics: Vec<Diagnosis>,
    /// The tone plans the gateway knows: code and name (the region form's choices).
    pub tone_plans: Vec<(String, String)>,
    /// The last packet capture, ready to download.
    #[serde(skip)]
    pub capture: Option<Arc<CaptureFile>>,
}

/// The uplink interface (the one the default route leaves by).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Uplink {
    /// Interface name (`eth0`).
    pub interface: String,
    /// Operational state (`up`, `down`, `unknown`).
    pub state: String,
    /// Link-layer address.
    pub mac: String,
    /// Link speed, e.g. `1000 Mbit/s` (empty when the driver does not say).
    pub speed: String,
    /// The address the gateway sends from toward its first SIP server (or the ACS).
    pub source: String,
    /// The default gateway.
    pub gateway: String,
    /// Name servers (resolv.conf).
    pub dns: Vec<String>,
    /// Bytes received and sent on the interface.
    pub rx_bytes: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
}

/// The TR-069 client as the status page shows it.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct AcsView {
    /// The ACS URL in force (empty: none yet).
    pub url: String,
    /// Where it came from (configuration, DHCP, factory, the ACS).
    pub origin: String,
    /// The last session that ended well (RFC 3339, empty: none since the start).
    pub last_contact: String,
    /// The last session's end and outcome, e.g. `2026-11-27T08:00:00Z failed`.
    pub last_session: String,
    /// The connection-request URL (empty: not listening).
    pub connection_request_url: String,
    /// Seconds between periodic Informs.
    pub inform_interval_s: u32,
}

/// One firmware slot.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct FirmwareSlot {
    /// `A` or `B`.
    pub name: String,
    /// The version it holds (empty: none).
    pub version: String,
    /// TR-181 status (`Active`, `Available`, `NoImage`, ...).
    pub status: String,
    /// Running now.
    pub active: bool,
    /// Boots next.
    pub boot: bool,
    /// Why it failed to install or boot, if it did.
    pub log: String,
}

pub use tipring_status::AccessCounters;

/// A background task's state, as a page shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub enum TaskState {
    /// Still running.
    Running(String),
    /// Finished well.
    Done(String),
    /// Failed, with why.
    Failed(String),
}

/// One diagnostic run from the pages.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Diagnosis {
    /// Its number (per start of the agent).
    pub id: u64,
    /// When it started (RFC 3339).
    pub started: String,
    /// What it is (`ring port 1 for 5 s`).
    pub what: String,
    /// Where it is.
    pub state: TaskState,
}

/// A finished packet capture.
#[derive(Debug, Clone, Default)]
pub struct CaptureFile {
    /// File name to offer (`tipring-gw-1-20261127T080000Z.pcap`).
    pub name: String,
    /// The pcap file.
    pub bytes: Vec<u8>,
}

/// A diagnostic the pages ask the gateway to run (see the Diagnostics page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Diagnostic {
    /// Ring port `port` (1-based) for `seconds`; reports whether the phone answered.
    Ring {
        /// The port.
        port: usize,
        /// How long.
        seconds: u32,
    },
    /// Play a tone to the phone on `port` (off hook) for `seconds`.
    Tone {
        /// The port.
        port: usize,
        /// `dial`, `busy`, `ringback`, `congestion` or `1004hz`.
        tone: String,
        /// How long.
        seconds: u32,
    },
    /// Send a 1004 Hz tone through the port's first codec, RTP over a socket pair on
    /// 127.0.0.1 and the decoder; report packets, delay, level and SINAD.
    Loopback {
        /// The port whose codec is used.
        port: usize,
    },
    /// SIP OPTIONS to the registrar of `port`'s account.
    Ping {
        /// The port.
        port: usize,
    },
    /// Capture the gateway's SIP and RTP for `seconds` into a pcap file.
    Capture {
        /// How long.
        seconds: u32,
    },
}

/// The tones the Diagnostics page offers.
pub const TEST_TONES: &[(&str, &str)] = &[
    ("1004hz", "1004 Hz test tone"),
    ("dial", "dial tone"),
    ("busy", "busy tone"),
    ("ringback", "ringback tone"),
    ("congestion", "congestion tone"),
];

/// Longest ring or tone test, in seconds.
pub const MAX_TEST_S: u32 = 60;
/// Longest capture, in seconds.
pub const MAX_CAPTURE_S: u32 = 300;

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Diagnostic::Ring { port, seconds } => write!(f, "ring port {port} for {seconds} s"),
            Diagnostic::Tone {
                port,
                tone,
                seconds,
            } => {
                let name = TEST_TONES
                    .iter()
                    .find(|(k, _)| k == tone)
                    .map_or(tone.as_str(), |(_, n)| n);
                write!(f, "play {name} on port {port} for {seconds} s")
            }
            Diagnostic::Loopback { port } => write!(f, "media loopback test, port {port}"),
            Diagnostic::Ping { port } => write!(f, "SIP OPTIONS ping, port {port}'s registrar"),
            Diagnostic::Capture { seconds } => write!(f, "capture SIP and RTP for {seconds} s"),
        }
    }
}

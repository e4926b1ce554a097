//! The status snapshot: plain data the agent fills in once per second.
//!
//! These types are the contract between the agent (which maps its line, SIP and media state
//! into them) and the endpoint (which renders them as JSON and as Prometheus metrics).
//!
//! # No secrets, by construction
//!
//! No type here has a field for a password, a digest credential, an SRTP master key or
//! salt, a TLS private key or an authentication token: the snapshot *cannot* carry one, so
//! neither `/status` nor `/metrics` can leak one. [`CallStatus::srtp`] only says whether the
//! call is encrypted. Keep it that way: a field added here is published to anyone who can
//! reach the endpoint. Free-text fields (extension, remote number, server, line state) are
//! escaped by the JSON and Prometheus encoders, never interpreted.

use serde::Serialize;

/// The whole gateway at one instant, as the agent sees it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GatewayStatus {
    /// Software version of the agent (e.g. `0.1.0`).
    pub version: String,
    /// Seconds since the agent started.
    pub uptime_s: u64,
    /// Version of the configuration document in force, if one has been applied.
    pub config_version: Option<String>,
    /// Every FXS port, in port order. Port numbers must be unique.
    pub ports: Vec<PortStatus>,
    /// SIP message and event counters since the agent started.
    pub sip: SipCounters,
    /// What the management access control let in and dropped, per service (empty when
    /// the agent runs without it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub access: Vec<AccessCounters>,
}

/// The management access control's counters of one service, since the agent started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AccessCounters {
    /// `admin`, `snmp`, `connection_request` or `sip`.
    pub service: String,
    /// The allowed source networks, as configured (empty: every source).
    pub allowed: Vec<String>,
    /// Packets or connections let in.
    pub accepted: u64,
    /// Dropped, by reason: `not_allowed`, `rate`, and for SIP `scanner`, `flood`,
    /// `blocked` (a source blocked after a scan or a flood). Reasons never seen are
    /// left out.
    pub dropped: std::collections::BTreeMap<String, u64>,
}

impl GatewayStatus {
    /// The port whose [`PortStatus::port`] is `port`, if any.
    pub fn port(&self, port: u32) -> Option<&PortStatus> {
        self.ports.iter().find(|p| p.port == port)
    }
}

/// One FXS port.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PortStatus {
    /// The port number as the device labels it (the `N` of `/status/ports/N`).
    pub port: u32,
    /// The extension (SIP user) this port registers as; may be empty.
    pub extension: String,
    /// The phone's hook switch.
    pub hook: Hook,
    /// The line's call-control state in words (`idle`, `dial tone`, `connected`, ...).
    pub line_state: String,
    /// The port's SIP registration.
    pub registration: RegistrationStatus,
    /// The call in progress, if any.
    pub call: Option<CallStatus>,
    /// The last call that ended (its final media figures), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_call: Option<CallStatus>,
    /// A line fault the port reports (foreign voltage, thermal overload, ...); the port is
    /// out of service while it lasts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// The port is disabled in the configuration.
    pub disabled: bool,
    /// Counters since the agent started.
    pub counters: PortCounters,
}

/// A port's counters since the agent started. All only ever grow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PortCounters {
    /// Calls that rang the port.
    pub calls_incoming: u64,
    /// Calls dialled from the port.
    pub calls_outgoing: u64,
    /// Calls (either way) that were answered.
    pub calls_answered: u64,
    /// Calls that ended without being answered (busy, refused, missed, abandoned).
    pub calls_failed: u64,
    /// Seconds talked in answered calls that ended.
    pub talk_seconds: u64,
    /// Registration attempts that failed.
    pub registration_failures: u64,
    /// Faxes sent over T.38 (at least one page went out).
    pub fax_sent: u64,
    /// Faxes received over T.38 (at least one page came in).
    pub fax_received: u64,
    /// T.38 fax calls in which no page got through.
    pub fax_failed: u64,
    /// Pages carried over T.38, either way.
    pub fax_pages: u64,
    /// Fax calls carried as G.711 voice-band data (pass-through).
    pub fax_passthrough: u64,
    /// Malformed UDPTL datagrams and IFP packets dropped.
    pub fax_malformed: u64,
}

/// The phone's hook switch. Serialized as `"on"` / `"off"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hook {
    /// On hook (hung up).
    #[default]
    On,
    /// Off hook (handset lifted).
    Off,
}

/// A port's SIP registration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RegistrationStatus {
    /// Where it stands.
    pub state: RegistrationState,
    /// The registrar (host or `host:port`), when one is being used.
    pub server: Option<String>,
    /// Seconds until the binding expires, when registered.
    pub expires_in: Option<u32>,
    /// The address of record (`sip:101@pbx.example.net`), when the port registers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aor: Option<String>,
    /// The status code of the last final answer to a REGISTER (200, 403, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_status: Option<u16>,
}

/// Where a SIP registration stands. Serialized in snake case (`"registered"`, ...).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationState {
    /// SIP is off for this port (local switching only).
    #[default]
    Disabled,
    /// Not registering (before the first attempt, or after unregistering).
    Idle,
    /// A REGISTER is in flight.
    Registering,
    /// Registered: the binding is live.
    Registered,
    /// The last attempt failed; a retry is scheduled.
    Failed,
}

/// Who placed a call. Serialized as `"incoming"` / `"outgoing"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Placed by the far end; the phone rang.
    #[default]
    Incoming,
    /// Dialled from this port.
    Outgoing,
}

/// A call in progress on a port, with its media figures.
///
/// The packet counters belong to this call: they restart at zero with the next call.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CallStatus {
    /// Who placed the call.
    pub direction: Direction,
    /// The other party's number (or SIP user), as known; may be empty.
    pub remote_number: String,
    /// The codec in use (e.g. `PCMU`, `G722`).
    pub codec: String,
    /// Whether the media is encrypted (SRTP). Never the keys.
    pub srtp: bool,
    /// Seconds since the call was answered (0 while it is being set up).
    pub duration_s: u64,
    /// RTP packets sent.
    pub packets_sent: u64,
    /// RTP packets received and accepted.
    pub packets_received: u64,
    /// RTP packets that never arrived by their playout time.
    pub packets_lost: u64,
    /// Interarrival jitter (RFC 3550 §6.4.1), milliseconds.
    pub jitter_ms: f64,
    /// Current jitter-buffer delay, milliseconds.
    pub jitter_buffer_ms: f64,
    /// MOS listening quality (ITU-T P.800.1 MOS-LQE from the G.107 E-model), when known.
    pub mos_lq: Option<f64>,
    /// MOS conversational quality (MOS-CQE), when known.
    pub mos_cq: Option<f64>,
    /// E-model transmission rating R (ITU-T G.107), when known.
    pub r_factor: Option<f64>,
    /// Round-trip time from RTCP (RFC 3550 §6.4.1), milliseconds, when known.
    pub rtt_ms: Option<f64>,
    /// Echo return loss enhancement of the echo canceller, dB, when it is running.
    pub erle_db: Option<f64>,
}

/// SIP counters of the whole gateway since the agent started. All only ever grow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SipCounters {
    /// SIP messages (requests and responses, retransmissions included) sent.
    pub messages_sent: u64,
    /// SIP messages received and parsed.
    pub messages_received: u64,
    /// Bad requests answered with an error status (400, 501, 505, ...).
    pub bad_answered: u64,
    /// Messages dropped without an answer (unparseable, or stray responses).
    pub bad_dropped: u64,
    /// Transport failures (connection refused or lost, TLS failures, ICMP errors).
    pub transport_errors: u64,
    /// REGISTER attempts that ended in failure.
    pub registration_failures: u64,
    /// Incoming calls (INVITEs accepted for a port).
    pub calls_incoming: u64,
    /// Outgoing calls (INVITEs sent).
    pub calls_outgoing: u64,
}

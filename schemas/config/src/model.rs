//! The types of the configuration document.
//!
//! Every struct refuses unknown fields (`deny_unknown_fields`), so a typo is an error that
//! names the field rather than a setting silently ignored. Fields with a sensible default may
//! be left out of a hand-written file; the provisioner renders every field.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// The `schema_version` this crate reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole configuration of one gateway: the same document on the agent and the
/// provisioner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// Version of this document's layout; this software reads version 1.
    pub schema_version: u32,
    /// Identity, country and clock of the device.
    pub device: Device,
    /// SIP servers, transport, TLS, SRTP, RTP ports and survivability peers.
    #[serde(default)]
    pub sip: Sip,
    /// The FXS ports, in port order (port 1 first); 1 to 48 of them.
    #[schemars(length(min = 1, max = 48))]
    pub ports: Vec<Port>,
    /// Emergency numbers (gateway-wide): always dialable, whatever a port's dial plan,
    /// hotline or do-not-disturb say.
    #[serde(default)]
    pub emergency_numbers: Vec<String>,
    /// Status page, logging, TR-069 and SNMP.
    #[serde(default)]
    pub management: Management,
}

/// Identity, country and clock of the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// A name for people (status page, logs, the ACS console).
    pub name: String,
    /// Country: the tone plan, ring cadence and caller-ID standard (`us`, `uk`, `de`, `fr`,
    /// `nl`, `jp`, `cn`, `au`).
    pub country: String,
    /// Time zone: an IANA name (`Europe/Berlin`) or a POSIX TZ string; absent means UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// SIP transport toward the servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// UDP (RFC 3261 §18).
    #[default]
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP (`sips:` servers).
    Tls,
}

/// SRTP policy (SDES keys in the SDP, RFC 4568).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SrtpPolicy {
    /// Plain RTP only.
    #[default]
    Off,
    /// Offer SRTP on RTP/AVP; use it when the peer answers with a key.
    Optional,
    /// RTP/SAVP only; calls without SRTP are refused. Needs TLS signalling.
    Mandatory,
}

/// The SIP side of the gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Sip {
    /// Registrars / outbound proxies in failover order, each `host[:port]` (a domain is
    /// located by DNS SRV then A/AAAA, RFC 3263; IPv6 literals in brackets). Empty: no
    /// server (peer-to-peer lab mode).
    pub servers: Vec<String>,
    /// Transport toward the servers.
    pub transport: Transport,
    /// Domain of the ports' addresses of record.
    pub domain: String,
    /// Local address for SIP, `ip:port` (port 0 picks a free one).
    pub listen: String,
    /// Register the ports with the servers (off: calls go straight to the first server).
    pub register: bool,
    /// Registration expiry to ask for, in seconds.
    pub registration_expiry_s: u32,
    /// Keep-alive interval toward the server in seconds (CRLF / OPTIONS); 0 turns it off.
    pub keepalive_s: u32,
    /// Subscribe every port to message-summary (RFC 3842) for the voicemail lamp.
    pub mwi_subscribe: bool,
    /// TLS settings (used when `transport` is `tls`).
    pub tls: Tls,
    /// SRTP policy of every port.
    pub srtp: SrtpPolicy,
    /// First RTP port: port N (from 0) uses base + 2N for RTP and the next for RTCP;
    /// 0 picks free port pairs.
    pub rtp_port_base: u16,
    /// Peer gateways for survivability: numbers starting with a peer's prefix go straight
    /// to it when no server answers.
    pub peers: Vec<PeerGateway>,
}

impl Default for Sip {
    fn default() -> Self {
        Self {
            servers: Vec::new(),
            transport: Transport::Udp,
            domain: "tipring.local".into(),
            listen: "0.0.0.0:5060".into(),
            register: true,
            registration_expiry_s: 3600,
            keepalive_s: 0,
            mwi_subscribe: false,
            tls: Tls::default(),
            srtp: SrtpPolicy::Off,
            rtp_port_base: 0,
            peers: Vec::new(),
        }
    }
}

/// TLS settings of the SIP transport. Paths are on the gateway's file system.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Tls {
    /// PEM file of CA certificates a server's certificate must chain to (absent: the
    /// system's roots).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// Name the server's certificate must carry (absent: the server's host).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// PEM certificate chain presented to servers that ask for a client certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<String>,
    /// PEM private key of `client_cert`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_key: Option<String>,
}

/// A peer gateway reached directly for survivability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeerGateway {
    /// Short name (letters, digits, `-`, `_`), unique.
    pub name: String,
    /// Its SIP address, `host:port`.
    pub address: String,
    /// Dialled numbers starting with these digits go to this peer; unique.
    pub prefix: String,
}

/// A voice codec, by its SDP name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Codec {
    /// G.711 µ-law.
    #[serde(rename = "pcmu")]
    Pcmu,
    /// G.711 A-law.
    #[serde(rename = "pcma")]
    Pcma,
    /// G.722 wideband.
    #[serde(rename = "g722")]
    G722,
    /// G.726 at 32 kbit/s.
    #[serde(rename = "g726-32")]
    G726_32,
    /// G.729 (when the agent is built with it).
    #[serde(rename = "g729")]
    G729,
    /// Opus (when the agent is built with it).
    #[serde(rename = "opus")]
    Opus,
}

impl Codec {
    /// Every codec, in the usual preference order.
    pub const ALL: [Codec; 6] = [
        Codec::Pcmu,
        Codec::Pcma,
        Codec::G722,
        Codec::G726_32,
        Codec::G729,
        Codec::Opus,
    ];

    /// The name in the document (and in the agent's `--codecs`).
    pub fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "pcmu",
            Codec::Pcma => "pcma",
            Codec::G722 => "g722",
            Codec::G726_32 => "g726-32",
            Codec::G729 => "g729",
            Codec::Opus => "opus",
        }
    }
}

/// How DTMF digits travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DtmfMethod {
    /// RTP telephone-events (RFC 4733).
    #[default]
    Rfc4733,
    /// As tones in the audio.
    Inband,
    /// SIP INFO requests.
    Info,
}

/// A number dialled without the caller dialling it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hotline {
    /// The number.
    pub number: String,
    /// 0: a hotline (dialled at once on off-hook). Otherwise a warmline: dial tone, and the
    /// number is dialled when no key is pressed within this many seconds.
    #[serde(default)]
    pub delay_s: u32,
}

/// Call forwarding of a port (targets are dialable numbers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Forward {
    /// Forward every call here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all: Option<String>,
    /// Forward here when the port is busy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub busy: Option<String>,
    /// Forward here when the port does not answer within `no_answer_timeout_s`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_answer: Option<String>,
    /// Seconds of ringing before a no-answer forward.
    pub no_answer_timeout_s: u32,
}

impl Default for Forward {
    fn default() -> Self {
        Self {
            all: None,
            busy: None,
            no_answer: None,
            no_answer_timeout_s: 20,
        }
    }
}

/// Feature switches of a port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Features {
    /// Call waiting (a second call is announced with a tone instead of busy).
    pub call_waiting: bool,
    /// Block the caller ID of outgoing calls by default (CLIR).
    pub caller_id_block: bool,
    /// Do not disturb: incoming calls are refused.
    pub dnd: bool,
    /// Refuse incoming calls whose caller ID is withheld.
    pub anonymous_rejection: bool,
    /// Call forwarding.
    pub forward: Forward,
}

impl Default for Features {
    fn default() -> Self {
        Self {
            call_waiting: true,
            caller_id_block: false,
            dnd: false,
            anonymous_rejection: false,
            forward: Forward::default(),
        }
    }
}

/// One FXS port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Port {
    /// Whether the port is in service.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Its extension (digits), also its SIP user; unique across ports.
    pub extension: String,
    /// Display name sent as caller ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Authentication user name (absent: the extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_user: Option<String>,
    /// SIP password. There is no default: a registering port needs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// Codecs offered and accepted, in preference order.
    #[serde(default = "default_codecs")]
    pub codecs: Vec<Codec>,
    /// How DTMF digits travel.
    #[serde(default)]
    pub dtmf: DtmfMethod,
    /// Dial plan (digit map), e.g. `{ 1xx | [2-9]xxxxxx | *xx | x+T }`.
    #[serde(default = "default_dial_plan")]
    pub dial_plan: String,
    /// Hotline or warmline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotline: Option<Hotline>,
    /// Speed dial: a one- or two-digit code to the number it dials.
    #[serde(default)]
    pub speed_dial: BTreeMap<String, String>,
    /// Feature switches.
    #[serde(default)]
    pub features: Features,
    /// Gain toward the network (from the phone), dB.
    #[serde(default)]
    pub gain_tx_db: i32,
    /// Gain toward the phone, dB.
    #[serde(default)]
    pub gain_rx_db: i32,
    /// Line echo canceller tail in ms (8..=128; 0 turns it off).
    #[serde(default = "default_echo_tail")]
    pub echo_tail_ms: u32,
    /// How fax calls are carried (T.38 relay, G.711 pass-through).
    #[serde(default)]
    pub fax: Fax,
}

/// G.711 pass-through of fax (TR-104 `POTS.FXS.{i}.FaxPassThrough`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FaxPassThrough {
    /// Never: a fax call stays an ordinary voice call when T.38 cannot be used.
    Disable,
    /// When a fax is detected and T.38 is off or refused by the far end: the call goes
    /// to G.711 voice-band data (echo canceller, VAD and adaptive jitter buffer off).
    #[default]
    Auto,
    /// Every call of the port is voice-band data from its start (a fax-only line).
    Force,
}

/// How T.38 checks the training (TR-104 `FaxT38.TCFMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TcfMethod {
    /// End to end, carried over the network (`transferredTCF`).
    #[default]
    Network,
    /// Each gateway checks its own side (`localTCF`).
    Local,
}

/// UDPTL protection of T.38 packets against loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FaxErrorCorrection {
    /// Each datagram repeats earlier packets (`t38UDPRedundancy`).
    #[default]
    Redundancy,
    /// Parity over earlier packets (`t38UDPFEC`), redundancy if the far end lacks it.
    Fec,
    /// None.
    None,
}

/// T.38 fax relay settings of a port (TR-104 `VoIPProfile.{i}.FaxT38.`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct T38 {
    /// Highest fax modem rate offered, bit/s: 2400, 4800, 7200, 9600, 12000 or 14400
    /// (V.27ter, V.29, V.17).
    pub max_bit_rate: u32,
    /// Copies of each earlier image-data packet in a UDPTL datagram (0..=3).
    pub high_speed_redundancy: u8,
    /// Copies of each earlier T.30 control packet in a UDPTL datagram (0..=5).
    pub low_speed_redundancy: u8,
    /// Where the training check is made.
    pub tcf: TcfMethod,
    /// Error correction mode (T.30 Annex A) allowed.
    pub ecm: bool,
    /// UDPTL error correction offered.
    pub error_correction: FaxErrorCorrection,
    /// Largest UDPTL datagram we take, bytes (T38FaxMaxDatagram, 100..=1400).
    pub max_datagram: u32,
}

impl Default for T38 {
    fn default() -> Self {
        Self {
            max_bit_rate: 14_400,
            high_speed_redundancy: 1,
            low_speed_redundancy: 4,
            tcf: TcfMethod::Network,
            ecm: true,
            error_correction: FaxErrorCorrection::Redundancy,
            max_datagram: 400,
        }
    }
}

/// Fax policy of a port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Fax {
    /// Relay faxes over T.38 (TR-104 `SIP.Client.{i}.T38Enable`): a detected fax
    /// re-INVITEs to `image/t38`, and the far end's T.38 re-INVITE is accepted.
    pub t38_enable: bool,
    /// G.711 pass-through.
    pub passthrough: FaxPassThrough,
    /// T.38 settings.
    pub t38: T38,
    /// Fixed jitter buffer of a pass-through call, ms (20..=200).
    pub jitter_ms: u32,
    /// Earlier packets repeated in each RTP packet of a pass-through call (RFC 2198
    /// redundancy, offered in the pass-through re-INVITE; TR-104
    /// `FaxAndModemRedundancy`), 0..=5; 0: none.
    pub passthrough_redundancy: u8,
}

impl Default for Fax {
    fn default() -> Self {
        Self {
            t38_enable: true,
            passthrough: FaxPassThrough::Auto,
            t38: T38::default(),
            jitter_ms: 60,
            passthrough_redundancy: 2,
        }
    }
}

impl Port {
    /// A port with the defaults and this extension (enabled, no password).
    pub fn new(extension: impl Into<String>) -> Self {
        Self {
            enabled: true,
            extension: extension.into(),
            display_name: None,
            auth_user: None,
            password: None,
            codecs: default_codecs(),
            dtmf: DtmfMethod::default(),
            dial_plan: default_dial_plan(),
            hotline: None,
            speed_dial: BTreeMap::new(),
            features: Features::default(),
            gain_tx_db: 0,
            gain_rx_db: 0,
            echo_tail_ms: default_echo_tail(),
            fax: Fax::default(),
        }
    }

    /// The user name for digest authentication: `auth_user`, else the extension.
    pub fn auth_user(&self) -> &str {
        self.auth_user.as_deref().unwrap_or(&self.extension)
    }
}

fn default_true() -> bool {
    true
}

fn default_codecs() -> Vec<Codec> {
    vec![Codec::Pcmu, Codec::Pcma, Codec::G722]
}

/// The dial plan a port gets when its document says none: extensions 1xx, seven-digit
/// numbers, star codes, anything else after the inter-digit timer.
pub const DEFAULT_DIAL_PLAN: &str = "{ 1xx | [2-9]xxxxxx | *xx | x+T }";

fn default_dial_plan() -> String {
    DEFAULT_DIAL_PLAN.into()
}

fn default_echo_tail() -> u32 {
    64
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}

/// Management: status page, logs, TR-069, SNMP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Management {
    /// Listen address of the status HTTP page, `ip:port`.
    pub http_listen: String,
    /// Log format.
    pub log_format: LogFormat,
    /// TR-069 CWMP client; absent: off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwmp: Option<Cwmp>,
    /// SNMP agent; absent: off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snmp: Option<Snmp>,
    /// The HTTPS admin pages for the installer; absent: off. A change moves (or opens,
    /// or closes) the pages at once; sessions end, the password and certificate stay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin: Option<AdminPages>,
    /// Remote syslog (RFC 5424) of the agent's events; absent: off. A change applies at
    /// once (the old collector gets what was already queued for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub syslog: Option<Syslog>,
    /// Who may reach the gateway's services (admin pages, SNMP, connection requests,
    /// SIP) and how often: everything else is dropped without an answer and counted.
    /// The defaults allow every source, with per-source rate limits and the SIP scanner
    /// filter on.
    #[serde(skip_serializing_if = "Access::is_default")]
    pub access: Access,
    /// Who set `cwmp.acs_url`: the factory (the default: an ACS URL learned from DHCP
    /// takes its place), the installer, or the ACS itself (`ManagementServer.URL`); the
    /// last two win over DHCP (TR-069 Amendment 6 §3.1). The agent writes `acs` when the
    /// ACS sets the URL. An empty `acs_url` is no URL, whatever this says.
    #[serde(skip_serializing_if = "AcsUrlSource::is_factory")]
    pub acs_url_source: AcsUrlSource,
    /// `DeviceInfo.ProvisioningCode` as the installer sets it on the gateway (at most 64
    /// characters; empty: none). The provisioner takes it as the one-time claim code of a
    /// gateway it does not know yet. DHCP (option 43, sub-option 2) and the ACS may set
    /// the parameter too: the latest of the three to change is in force.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub provisioning_code: String,
    /// After a firmware upgrade the new image runs on trial: it is kept once a TR-069
    /// session succeeded and every port that registers is registered again; if the ports
    /// are not registered within this many seconds the gateway rolls back to the previous
    /// image by itself. 0: the first good TR-069 session alone keeps it.
    #[serde(default = "default_health_check")]
    pub firmware_health_check_s: u32,
}

fn default_health_check() -> u32 {
    600
}

/// How syslog messages travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SyslogTransport {
    /// One datagram per message (RFC 5426), usually port 514.
    #[default]
    Udp,
    /// TCP with octet counting (RFC 6587), usually port 514 or 601.
    Tcp,
    /// TLS (RFC 5425), usually port 6514: needs `ca_file`.
    Tls,
}

/// Lowest severity sent to syslog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SyslogLevel {
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warn,
    /// The agent's events (registrations, calls, configuration, faxes) and above.
    #[default]
    Info,
    /// Everything but TRACE.
    Debug,
}

/// Remote syslog (`tipring-syslog`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Syslog {
    /// The collector, `host:port`.
    pub server: String,
    /// UDP, TCP or TLS.
    #[serde(default)]
    pub transport: SyslogTransport,
    /// PEM CA file the collector's certificate must chain to (TLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// Name the collector's certificate must carry (TLS; default: the host of `server`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// Facility, 0..=23 (default 16, local0).
    #[serde(default = "default_facility")]
    pub facility: u8,
    /// Lowest severity sent.
    #[serde(default)]
    pub level: SyslogLevel,
}

fn default_facility() -> u8 {
    16
}

/// The HTTPS admin pages (`tipring-admin`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AdminPages {
    /// Listen address, `ip:port`.
    pub listen: String,
    /// PEM certificate chain to serve; absent: a self-signed certificate made on first
    /// start and kept in the state directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_file: Option<String>,
    /// PEM private key of `cert_file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_file: Option<String>,
}

impl Default for AdminPages {
    fn default() -> Self {
        Self {
            listen: "0.0.0.0:8443".into(),
            cert_file: None,
            key_file: None,
        }
    }
}

/// Management access control (`management.access`). Each list holds source networks in
/// CIDR form (`10.0.0.0/8`, `2001:db8::/32`) or host addresses; an **empty list allows
/// every source**. Datagrams and connections from other sources are dropped without an
/// answer (no ICMP, no TCP reset beyond the kernel's) and counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Access {
    /// Sources allowed to open the HTTPS admin pages.
    pub admin: Vec<String>,
    /// Sources allowed to send SNMP requests (every version; `snmp.community_sources`
    /// narrows v1/v2c further).
    pub snmp: Vec<String>,
    /// Sources allowed to send TR-069 connection requests.
    pub connection_request: Vec<String>,
    /// Sources allowed to send SIP. The configured SIP servers and peer gateways are
    /// always allowed (and never rate-limited or blocked).
    pub sip: Vec<String>,
    /// Drop SIP requests from known scanners (friendly-scanner, sipvicious, sipcli, ...)
    /// and block their source for `block_s`.
    pub sip_scanner_filter: bool,
    /// Per-source rate limits; 0 turns one off.
    pub rate_limits: RateLimits,
    /// Seconds a SIP source stays blocked after a scan or a flood.
    pub block_s: u32,
}

/// Per-source rate limits of `management.access` (a token bucket per source address,
/// bursts of twice the rate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimits {
    /// SIP requests per second from one source (responses are not counted).
    pub sip: u32,
    /// SNMP requests per second from one source.
    pub snmp: u32,
    /// New admin-page connections per second from one source.
    pub admin: u32,
    /// Connection requests per second from one source.
    pub connection_request: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            sip: 20,
            snmp: 100,
            admin: 10,
            connection_request: 2,
        }
    }
}

impl Default for Access {
    fn default() -> Self {
        Self {
            admin: Vec::new(),
            snmp: Vec::new(),
            connection_request: Vec::new(),
            sip: Vec::new(),
            sip_scanner_filter: true,
            rate_limits: RateLimits::default(),
            block_s: 600,
        }
    }
}

impl Access {
    /// Whether these are the defaults (then left out of the file).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

impl Default for Management {
    fn default() -> Self {
        Self {
            http_listen: "127.0.0.1:8080".into(),
            log_format: LogFormat::Human,
            cwmp: None,
            snmp: None,
            admin: None,
            syslog: None,
            access: Access::default(),
            acs_url_source: AcsUrlSource::Factory,
            provisioning_code: String::new(),
            firmware_health_check_s: default_health_check(),
        }
    }
}

/// Who set `management.cwmp.acs_url` (see [`Management::acs_url_source`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AcsUrlSource {
    /// The factory default: used when DHCP names no ACS (and only when the agent has no
    /// `--factory-acs-url`, which is the factory default then).
    #[default]
    Factory,
    /// Set by the installer on the gateway: wins over DHCP.
    Local,
    /// Set by the ACS through `ManagementServer.URL`: wins over DHCP.
    Acs,
}

impl AcsUrlSource {
    /// Whether this is the factory default (it is left out of the file).
    pub fn is_factory(&self) -> bool {
        *self == Self::Factory
    }
}

/// The TR-069 client's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cwmp {
    /// URL of the ACS (`http://` or `https://`); empty: the document names none, and the
    /// agent's factory default (`--factory-acs-url`) or DHCP gives it.
    pub acs_url: String,
    /// User name toward the ACS (HTTP authentication).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password toward the ACS; needed with `username`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// Seconds between periodic Informs.
    #[serde(default = "default_inform_interval")]
    pub periodic_inform_interval_s: u32,
}

fn default_inform_interval() -> u32 {
    3600
}

/// The SNMP agent's settings. Nothing is open by default: no community, no user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Snmp {
    /// Listen address, `ip:port`; `[::]:161` serves IPv4 and IPv6.
    pub listen: String,
    /// SNMPv1/v2c read-only communities (the well-known `public` and `private` are
    /// refused). Empty: v1 and v2c are off.
    pub communities: Vec<Secret>,
    /// Source networks (CIDR, e.g. `10.0.0.0/8`, `2001:db8::/32`) allowed to use the
    /// communities; empty: any source.
    pub community_sources: Vec<String>,
    /// SNMPv3 users (USM, RFC 3414).
    pub v3_users: Vec<SnmpV3User>,
    /// Where notifications go.
    pub notification_targets: Vec<SnmpTarget>,
    /// Send authenticationFailure notifications (rate limited).
    pub authentication_traps: bool,
    /// Allow SNMP Set of the writable objects (sysContact, sysName, sysLocation) by v3
    /// users with `write`; off by default.
    pub set_enabled: bool,
    /// Allow DES privacy (weak; only for managers that have nothing better).
    pub allow_des: bool,
    /// sysContact.
    pub contact: String,
    /// sysLocation.
    pub location: String,
    /// Call quality below this MOS × 10 raises tipringCallQualityLow (0: never).
    pub quality_low_mos_x10: u8,
}

impl Default for Snmp {
    fn default() -> Self {
        Self {
            listen: "0.0.0.0:161".into(),
            communities: Vec::new(),
            community_sources: Vec::new(),
            v3_users: Vec::new(),
            notification_targets: Vec::new(),
            authentication_traps: false,
            set_enabled: false,
            allow_des: false,
            contact: String::new(),
            location: String::new(),
            quality_low_mos_x10: 35,
        }
    }
}

/// SNMPv3 authentication protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SnmpAuth {
    /// No authentication (noAuthNoPriv; the user can then have no privacy either).
    None,
    /// HMAC-MD5-96 (RFC 3414; for old managers).
    Md5,
    /// HMAC-SHA-96 (RFC 3414).
    Sha1,
    /// HMAC-SHA-224 (RFC 7860).
    Sha224,
    /// HMAC-SHA-256 (RFC 7860).
    #[default]
    Sha256,
    /// HMAC-SHA-384 (RFC 7860).
    Sha384,
    /// HMAC-SHA-512 (RFC 7860).
    Sha512,
}

/// SNMPv3 privacy protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SnmpPriv {
    /// No encryption (authNoPriv).
    None,
    /// DES-CBC (RFC 3414 §8): only with `allow_des`.
    Des,
    /// AES-128 CFB (RFC 3826).
    #[default]
    Aes128,
    /// AES-192 CFB, key extended as net-snmp does (`-x AES192`).
    Aes192,
    /// AES-256 CFB, key extended as net-snmp does (`-x AES256`).
    Aes256,
}

/// One SNMPv3 user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnmpV3User {
    /// User name (1..=32 characters, RFC 3411 SnmpAdminString), unique.
    pub name: String,
    /// Authentication protocol.
    #[serde(default)]
    pub auth_protocol: SnmpAuth,
    /// Authentication pass phrase (at least 8 characters, RFC 3414 §11.2); needed unless
    /// `auth_protocol` is `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_password: Option<Secret>,
    /// Privacy protocol.
    #[serde(default)]
    pub priv_protocol: SnmpPriv,
    /// Privacy pass phrase; needed unless `priv_protocol` is `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priv_password: Option<Secret>,
    /// May Set the writable objects (with `set_enabled`).
    #[serde(default)]
    pub write: bool,
}

/// Kind of notification sent to a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SnmpNotifyKind {
    /// SNMPv2-Trap: sent once, not acknowledged.
    #[default]
    Trap,
    /// InformRequest: acknowledged, retried until then.
    Inform,
}

/// A notification receiver (an NMS's trap daemon).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnmpTarget {
    /// `ip:port` of the receiver (162 is the usual port).
    pub address: String,
    /// Trap or inform.
    #[serde(default)]
    pub kind: SnmpNotifyKind,
    /// SNMPv2c community for this receiver; or use `user`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community: Option<Secret>,
    /// SNMPv3: the name of one of `v3_users`, whose credentials and level are used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Inform: seconds to wait for the acknowledgement before a retry.
    #[serde(default = "default_inform_timeout")]
    pub timeout_s: u32,
    /// Inform: retries before giving up.
    #[serde(default = "default_inform_retries")]
    pub retries: u32,
}

fn default_inform_timeout() -> u32 {
    1
}

fn default_inform_retries() -> u32 {
    3
}

/// The emergency numbers of a country, for [`GatewayConfig::example`].
pub(crate) fn emergency_numbers_of(country: &str) -> &'static [&'static str] {
    match country {
        "us" => &["911"],
        "uk" => &["999", "112"],
        "jp" => &["110", "119"],
        "cn" => &["110", "119", "120"],
        "au" => &["000", "112"],
        _ => &["112"],
    }
}

impl GatewayConfig {
    /// A complete example with `ports` ports (extensions 101, 102, ...), US country, one
    /// SIP server (`pbx.example.net`) and the defaults elsewhere.
    ///
    /// It is valid except that every port lacks its password: there are no default
    /// passwords, so the operator (or the provisioner) must set them.
    pub fn example(ports: usize) -> Self {
        let country = "us";
        Self {
            schema_version: SCHEMA_VERSION,
            device: Device {
                name: "tipring-gateway".into(),
                country: country.into(),
                time_zone: None,
            },
            sip: Sip {
                servers: vec!["pbx.example.net".into()],
                ..Sip::default()
            },
            ports: (0..ports)
                .map(|i| {
                    let mut p = Port::new((101 + i).to_string());
                    p.display_name = Some(format!("Port {}", i + 1));
                    p
                })
                .collect(),
            emergency_numbers: emergency_numbers_of(country)
                .iter()
                .map(|s| s.to_string())
                .collect(),
            management: Management::default(),
        }
    }

    /// A copy safe to show (status page, logs, TR-069 GetParameterValues): every secret is
    /// replaced by the empty string, as TR-069 reads passwords; an absent secret stays
    /// absent, so a reader still sees whether one is set.
    pub fn redacted(&self) -> Self {
        let mut c = self.clone();
        for p in &mut c.ports {
            p.password = p.password.as_ref().map(Secret::redacted);
        }
        if let Some(cwmp) = &mut c.management.cwmp {
            cwmp.password = cwmp.password.as_ref().map(Secret::redacted);
        }
        if let Some(snmp) = &mut c.management.snmp {
            for s in &mut snmp.communities {
                *s = s.redacted();
            }
            for u in &mut snmp.v3_users {
                u.auth_password = u.auth_password.as_ref().map(Secret::redacted);
                u.priv_password = u.priv_password.as_ref().map(Secret::redacted);
            }
            for t in &mut snmp.notification_targets {
                t.community = t.community.as_ref().map(Secret::redacted);
            }
        }
        c
    }

    /// The document as pretty JSON (what the config file holds).
    pub fn to_json_pretty(&self) -> String {
        // Cannot fail: every map has string keys and there are no floats or custom
        // serialisers that return errors.
        serde_json::to_string_pretty(self).expect("a GatewayConfig always serialises")
    }
}

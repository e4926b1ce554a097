//! What the tree shows but the configuration does not hold: the device's identity
//! ([`DeviceIdentity`], fixed for a running agent) and its live state ([`LiveState`], a
//! snapshot the agent refreshes: registration and call status, statistics, uptime,
//! firmware slots, interfaces, the connection-request URL, the tone plan).

use serde::{Deserialize, Serialize};
use tipring_config::Codec;

/// An enumeration whose values are the strings of a TR-181/TR-104 enumerated parameter.
macro_rules! str_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $var:ident = $s:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $s)]
                $var,
            )+
        }

        impl $name {
            /// The enumeration value, as the data model spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$var => $s, )+
                }
            }

            /// Every value, in the data model's order.
            pub const ALL: &'static [$name] = &[ $( $name::$var, )+ ];
        }

    };
}

str_enum! {
    /// `Device.Time.Status` (TR-181).
    pub enum TimeStatus {
        /// The NTP client is off.
        #[default]
        Disabled = "Disabled",
        /// The clock has not been synchronised yet.
        Unsynchronized = "Unsynchronized",
        /// The clock is synchronised.
        Synchronized = "Synchronized",
        /// Synchronisation failed.
        ErrorFailedToSynchronize = "Error_FailedToSynchronize",
        /// Another error.
        Error = "Error",
    }
}

str_enum! {
    /// `Device.DeviceInfo.FirmwareImage.{i}.Status` (TR-181).
    pub enum FirmwareStatus {
        /// The slot holds no image.
        #[default]
        NoImage = "NoImage",
        /// The running image.
        Active = "Active",
        /// An image is being downloaded into the slot.
        Downloading = "Downloading",
        /// The downloaded image is being checked.
        Validating = "Validating",
        /// A valid image, not running.
        Available = "Available",
        /// The download failed.
        DownloadFailed = "DownloadFailed",
        /// The image failed its checks (signature, hash).
        ValidationFailed = "ValidationFailed",
        /// Writing the image failed.
        InstallationFailed = "InstallationFailed",
        /// The image failed to boot.
        ActivationFailed = "ActivationFailed",
    }
}

str_enum! {
    /// `Status` of `Device.IP.Interface.{i}` and `Device.Ethernet.Interface.{i}`
    /// (TR-181, after RFC 2863 `ifOperStatus`).
    pub enum InterfaceStatus {
        /// Up.
        Up = "Up",
        /// Down.
        Down = "Down",
        /// Unknown.
        #[default]
        Unknown = "Unknown",
        /// Dormant.
        Dormant = "Dormant",
        /// Not present.
        NotPresent = "NotPresent",
        /// A lower layer is down.
        LowerLayerDown = "LowerLayerDown",
        /// Error.
        Error = "Error",
    }
}

str_enum! {
    /// `Device.IP.Interface.{i}.Type` (TR-181).
    pub enum IpInterfaceType {
        /// An ordinary interface.
        #[default]
        Normal = "Normal",
        /// The loopback interface.
        Loopback = "Loopback",
        /// A tunnel.
        Tunnel = "Tunnel",
        /// Carried in a tunnel.
        Tunneled = "Tunneled",
    }
}

str_enum! {
    /// `Device.IP.Interface.{i}.IPv4Address.{i}.AddressingType` (TR-181).
    pub enum AddressingType {
        /// From DHCP.
        Dhcp = "DHCP",
        /// From IKEv2.
        Ikev2 = "IKEv2",
        /// Link-local (RFC 3927).
        AutoIp = "AutoIP",
        /// From IPCP.
        Ipcp = "IPCP",
        /// Configured.
        #[default]
        Static = "Static",
    }
}

str_enum! {
    /// `Device.Ethernet.Interface.{i}.DuplexMode` (TR-181).
    pub enum DuplexMode {
        /// Half duplex.
        Half = "Half",
        /// Full duplex.
        Full = "Full",
        /// Negotiated.
        #[default]
        Auto = "Auto",
    }
}

str_enum! {
    /// `POTS.FXS.{i}.Status` (TR-104 issue 2).
    pub enum FxsStatus {
        /// In service.
        #[default]
        Up = "Up",
        /// A fault on the line.
        Error = "Error",
        /// A line test runs.
        Testing = "Testing",
        /// Out of service.
        Disabled = "Disabled",
    }
}

str_enum! {
    /// `SIP.Client.{i}.Status` (TR-104 issue 2): the port's registration.
    pub enum ClientStatus {
        /// Registered (or in service without registration).
        Up = "Up",
        /// Starting.
        Initializing = "Initializing",
        /// Registering.
        Registering = "Registering",
        /// Removing its registration.
        Deregistering = "Deregistering",
        /// The configuration does not allow service.
        ErrorMisconfigured = "Error_Misconfigured",
        /// The server cannot be reached.
        ErrorNetwork = "Error_Network",
        /// The server refused the registration.
        ErrorRegistration = "Error_Registration",
        /// Finishing its calls before going out of service.
        Quiescent = "Quiescent",
        /// Out of service.
        #[default]
        Disabled = "Disabled",
    }
}

str_enum! {
    /// `SIP.Network.{i}.Status` (TR-104 issue 2): the servers.
    pub enum NetworkStatus {
        /// A server is in use.
        Up = "Up",
        /// Looking the servers up in DNS.
        Resolving = "Resolving",
        /// DNS failed.
        ErrorDns = "Error_DNS",
        /// Another error.
        ErrorOther = "Error_Other",
        /// No servers (or SIP is off).
        #[default]
        Disabled = "Disabled",
    }
}

str_enum! {
    /// `CallControl.Line.{i}.Status` (TR-104 issue 2).
    pub enum LineStatus {
        /// In service.
        Up = "Up",
        /// A fault.
        Error = "Error",
        /// A test runs.
        Testing = "Testing",
        /// Finishing its calls before going out of service.
        Quiescent = "Quiescent",
        /// Out of service.
        #[default]
        Disabled = "Disabled",
    }
}

str_enum! {
    /// `CallControl.Extension.{i}.Status` (TR-104 issue 2).
    pub enum ExtensionStatus {
        /// In service.
        Up = "Up",
        /// Starting.
        Initializing = "Initializing",
        /// A fault.
        Error = "Error",
        /// A test runs.
        Testing = "Testing",
        /// Finishing its calls before going out of service.
        Quiescent = "Quiescent",
        /// Out of service.
        #[default]
        Disabled = "Disabled",
    }
}

str_enum! {
    /// `CallControl.Line.{i}.CallStatus` and `Extension.{i}.CallStatus` (TR-104 issue 2).
    pub enum CallStatus {
        /// No call.
        #[default]
        Idle = "Idle",
        /// Collecting digits.
        Dialing = "Dialing",
        /// An outgoing call is delivered (ringback).
        Delivered = "Delivered",
        /// In a call.
        Connected = "Connected",
        /// An incoming call rings.
        Alerting = "Alerting",
        /// The far end hung up; the phone is still off hook.
        Disconnected = "Disconnected",
    }
}

str_enum! {
    /// `Tone.EventProfile.{i}.Event.{i}.Function` (TR-104 issue 2): what a tone is for.
    pub enum ToneFunction {
        /// Busy tone.
        Busy = "Busy",
        /// Dial tone.
        #[default]
        Dial = "Dial",
        /// Off-hook warning (howler).
        OffHookWarning = "OffHookWarning",
        /// Ringback.
        RingBack = "RingBack",
        /// Stutter dial tone (message waiting).
        StutterDial = "Stutterdial",
        /// Call-waiting tone.
        CallWaiting = "CallWaiting1",
        /// Congestion (reorder).
        Congestion = "Congestion",
    }
}

/// Who the device is: the `Device.DeviceInfo` identity, the codecs the agent was built
/// with and the line's constants that the configuration does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceIdentity {
    /// `DeviceInfo.Manufacturer`.
    pub manufacturer: String,
    /// `DeviceInfo.ManufacturerOUI`: six upper-case hex digits.
    pub manufacturer_oui: String,
    /// `DeviceInfo.ModelName`.
    pub model_name: String,
    /// `DeviceInfo.Description`.
    pub description: String,
    /// `DeviceInfo.ProductClass`.
    pub product_class: String,
    /// `DeviceInfo.SerialNumber`.
    pub serial_number: String,
    /// `DeviceInfo.HardwareVersion`.
    pub hardware_version: String,
    /// `DeviceInfo.SoftwareVersion`.
    pub software_version: String,
    /// The codecs this build of the agent has (G.729 and Opus are build options). Only
    /// those TR-104 can name appear in `Capabilities.Codec` (Opus cannot).
    pub codecs: Vec<Codec>,
    /// `ManagementServer.SupportedConnReqMethods` (`HTTP`, and `STUN` when the agent
    /// answers UDP connection requests).
    pub conn_req_methods: Vec<String>,
    /// The line's inter-digit timer for an incomplete number, ms
    /// (`InterDigitTimerStd`; `tipring-line`'s `interdigit_long`, 10 s by default).
    pub interdigit_std_ms: u32,
    /// The line's inter-digit timer for a number that could still grow, ms
    /// (`InterDigitTimerOpen`; `tipring-line`'s `interdigit_short`, 4 s by default).
    pub interdigit_open_ms: u32,
}

impl Default for DeviceIdentity {
    fn default() -> Self {
        Self {
            manufacturer: "Tipring".into(),
            manufacturer_oui: "000000".into(),
            model_name: "Tipring FXS gateway".into(),
            description: "Open-source FXS VoIP gateway".into(),
            product_class: "FXS-Gateway".into(),
            serial_number: String::new(),
            hardware_version: String::new(),
            software_version: String::new(),
            codecs: Codec::ALL.to_vec(),
            conn_req_methods: vec!["HTTP".into()],
            interdigit_std_ms: 10_000,
            interdigit_open_ms: 4_000,
        }
    }
}

/// One firmware slot (`Device.DeviceInfo.FirmwareImage.{i}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FirmwareImage {
    /// `Name`.
    pub name: String,
    /// `Version`.
    pub version: String,
    /// `Available`: may be booted.
    pub available: bool,
    /// `Status`.
    pub status: FirmwareStatus,
    /// `BootFailureLog`.
    pub boot_failure_log: String,
}

/// One vendor log file (`Device.DeviceInfo.VendorLogFile.{i}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VendorLogFile {
    /// `Name`: the file's name (an Upload's file).
    pub name: String,
    /// `MaximumSize`, bytes.
    pub maximum_size: u32,
    /// `Persistent`: kept across reboots.
    pub persistent: bool,
}

/// One IPv4 address of an interface (`Device.IP.Interface.{i}.IPv4Address.{i}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Ipv4Address {
    /// `Enable`.
    pub enable: bool,
    /// `IPAddress`, dotted decimal.
    pub address: String,
    /// `SubnetMask`, dotted decimal.
    pub subnet_mask: String,
    /// `AddressingType`.
    pub addressing_type: AddressingType,
}

/// One IP interface (`Device.IP.Interface.{i}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct IpInterface {
    /// `Enable`.
    pub enable: bool,
    /// `Status`.
    pub status: InterfaceStatus,
    /// `Name` (`eth0`).
    pub name: String,
    /// `Type`.
    pub interface_type: IpInterfaceType,
    /// Its IPv4 addresses.
    pub ipv4: Vec<Ipv4Address>,
}

/// One Ethernet interface (`Device.Ethernet.Interface.{i}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EthernetInterface {
    /// `Enable`.
    pub enable: bool,
    /// `Status`.
    pub status: InterfaceStatus,
    /// `Name`.
    pub name: String,
    /// `MACAddress`, `aa:bb:cc:dd:ee:ff`.
    pub mac_address: String,
    /// `MaxBitRate`, Mbit/s; -1 for automatic.
    pub max_bit_rate: i32,
    /// `DuplexMode`.
    pub duplex: DuplexMode,
    /// `Stats.BytesSent`.
    pub bytes_sent: u64,
    /// `Stats.BytesReceived`.
    pub bytes_received: u64,
    /// `Stats.PacketsSent`.
    pub packets_sent: u64,
    /// `Stats.PacketsReceived`.
    pub packets_received: u64,
}

impl Default for EthernetInterface {
    fn default() -> Self {
        Self {
            enable: false,
            status: InterfaceStatus::Unknown,
            name: String::new(),
            mac_address: String::new(),
            max_bit_rate: -1,
            duplex: DuplexMode::Auto,
            bytes_sent: 0,
            bytes_received: 0,
            packets_sent: 0,
            packets_received: 0,
        }
    }
}

/// Call counters of a line (`CallControl.Line.{i}.Stats`, TR-104 issue 2), since boot.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LineStats {
    /// `IncomingCalls.CallsReceived`.
    pub incoming_received: u32,
    /// `IncomingCalls.CallsConnected`.
    pub incoming_connected: u32,
    /// `IncomingCalls.CallsFailed`.
    pub incoming_failed: u32,
    /// `IncomingCalls.CallsDropped`.
    pub incoming_dropped: u32,
    /// `IncomingCalls.TotalCallTime`, seconds.
    pub incoming_call_time_s: u32,
    /// `OutgoingCalls.CallsAttempted`.
    pub outgoing_attempted: u32,
    /// `OutgoingCalls.CallsConnected`.
    pub outgoing_connected: u32,
    /// `OutgoingCalls.CallsFailed`.
    pub outgoing_failed: u32,
    /// `OutgoingCalls.CallsDropped`.
    pub outgoing_dropped: u32,
    /// `OutgoingCalls.TotalCallTime`, seconds.
    pub outgoing_call_time_s: u32,
    /// `RTP.PacketsReceived`.
    pub rtp_packets_received: u32,
    /// `RTP.PacketsSent`.
    pub rtp_packets_sent: u32,
    /// `RTP.PacketsLost`.
    pub rtp_packets_lost: u32,
    /// `RTP.BytesSent`.
    pub rtp_bytes_sent: u32,
    /// `RTP.BytesReceived`.
    pub rtp_bytes_received: u32,
    /// `DSP.Overruns` (jitter buffer overruns).
    pub dsp_overruns: u32,
    /// `DSP.Underruns` (jitter buffer underruns).
    pub dsp_underruns: u32,
}

/// Fax counters of a port since boot (the vendor parameters
/// `POTS.FXS.{i}.X_TIPRING_Fax...`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FaxStats {
    /// `X_TIPRING_FaxSent`: faxes sent over T.38 (at least one page went out).
    pub sent: u32,
    /// `X_TIPRING_FaxReceived`: faxes received over T.38 (at least one page came in).
    pub received: u32,
    /// `X_TIPRING_FaxFailed`: T.38 fax calls in which no page got through.
    pub failed: u32,
    /// `X_TIPRING_FaxPages`: pages carried over T.38, either way.
    pub pages: u32,
    /// `X_TIPRING_FaxPassThrough`: fax calls carried as G.711 voice-band data.
    pub passthrough: u32,
    /// `X_TIPRING_FaxMalformed`: malformed UDPTL datagrams and IFP packets dropped.
    pub malformed: u32,
}

str_enum! {
    /// `CallLog.{i}.Direction` (TR-104 issue 2).
    pub enum CallDirection {
        /// Placed by the far end.
        #[default]
        Incoming = "Incoming",
        /// Dialled from the port.
        Outgoing = "Outgoing",
    }
}

/// One finished call (`VoiceService.{i}.CallLog.{i}`, TR-104 issue 2), with the quality
/// figures of its audio session (`Session.1.Source`: what this gateway received).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CallRecord {
    /// `CallingPartyNumber`.
    pub calling: String,
    /// `CalledPartyNumber`.
    pub called: String,
    /// The FXS port it used, 1-based (`UsedLine` names `CallControl.Line.{n}`).
    pub line: u32,
    /// `Direction`.
    pub direction: CallDirection,
    /// `Start` (dateTime): when it was answered.
    pub start: String,
    /// `Duration`, seconds from the answer to the hang-up.
    pub duration_s: u32,
    /// `Source.RTP.PacketsReceived`.
    pub packets_received: u64,
    /// `Source.RTP.PacketsSent`.
    pub packets_sent: u64,
    /// `Source.RTP.PacketsLost`.
    pub packets_lost: u32,
    /// `Source.RTP.MeanJitter`, milliseconds (the mean of the interarrival jitter seen).
    pub mean_jitter_ms: i32,
    /// `Source.RTP.MaxJitter`, milliseconds.
    pub max_jitter_ms: i32,
    /// `Source.VoiceQuality.VoIPQualityIndicator`: MOS-LQ (ITU-T P.800.1, from the
    /// G.107 E-model) × 100 at the end of the call; None when it was never known.
    pub mos_x100: Option<u32>,
    /// `Source.VoiceQuality.WorstVoIPQualityIndicatorsValues`: the lowest MOS-LQ × 100 seen.
    pub worst_mos_x100: Option<u32>,
}

/// The live state of one FXS port.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PortLive {
    /// `POTS.FXS.{i}.Status`.
    pub fxs_status: FxsStatus,
    /// `SIP.Client.{i}.Status` (also the issue 1 `Line.{i}.Status`).
    pub sip_status: ClientStatus,
    /// `CallControl.Line.{i}.Status`.
    pub line_status: LineStatus,
    /// `CallControl.Extension.{i}.Status`.
    pub extension_status: ExtensionStatus,
    /// `CallStatus` of the line and the extension (also the issue 1 `CallState`).
    pub call_status: CallStatus,
    /// `VoiceProcessing.EchoCancellationInUse`.
    pub echo_canceller_in_use: bool,
    /// Issue 1 `CallingFeatures.MessageWaiting`: the voicemail lamp is lit.
    pub message_waiting: bool,
    /// The line's counters.
    pub stats: LineStats,
    /// The port's fax counters.
    pub fax: FaxStats,
}

/// One frequency of a tone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ToneFrequency {
    /// Hz.
    pub hz: u32,
    /// Level in 0.1 dBm0 (`-130` = -13 dBm0).
    pub power_tenth_dbm0: i32,
}

/// One step of a tone's cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CadenceStep {
    /// Tone on (else silence).
    pub on: bool,
    /// Duration, ms; 0 = until the tone is stopped.
    pub duration_ms: u32,
}

/// One tone of the country's tone plan (the agent maps `tipring-dsp`'s `TonePlan`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Tone {
    /// What it is for.
    pub function: ToneFunction,
    /// Its frequencies (the first two are shown).
    pub frequencies: Vec<ToneFrequency>,
    /// Amplitude modulation frequency, Hz; 0 for none.
    pub modulation_hz: u32,
    /// The cadence; empty for a steady tone.
    pub cadence: Vec<CadenceStep>,
    /// Whether the cadence repeats (else the tone ends after its last step).
    pub repeat: bool,
}

/// A snapshot of the gateway's live state, refreshed by the agent. Everything has a
/// default, so a partial snapshot still gives a complete tree.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LiveState {
    /// `DeviceInfo.UpTime`, seconds since boot.
    pub uptime_s: u32,
    /// `DeviceInfo.FirstUseDate` (dateTime); `None` reads as the unknown time.
    pub first_use_date: Option<String>,
    /// `Time.CurrentLocalTime` (dateTime); `None` reads as the unknown time.
    pub current_local_time: Option<String>,
    /// `Time.Status`.
    pub time_status: TimeStatus,
    /// `ManagementServer.ConnectionRequestURL`.
    pub connection_request_url: String,
    /// `ManagementServer.UDPConnectionRequestAddress` (`host:port`, with STUN).
    pub udp_connection_request_address: String,
    /// `ManagementServer.NATDetected`.
    pub nat_detected: bool,
    /// The firmware slots, in instance order.
    pub firmware_images: Vec<FirmwareImage>,
    /// The running slot (1-based instance number), for `ActiveFirmwareImage`.
    pub active_firmware_image: Option<u32>,
    /// The slot the next boot uses (1-based), for `BootFirmwareImage`.
    pub boot_firmware_image: Option<u32>,
    /// Log files an Upload can fetch.
    pub vendor_log_files: Vec<VendorLogFile>,
    /// IP interfaces.
    pub ip_interfaces: Vec<IpInterface>,
    /// Ethernet interfaces.
    pub ethernet_interfaces: Vec<EthernetInterface>,
    /// `SIP.Network.{i}.Status` (the same for every network: they share the servers).
    pub sip_network_status: NetworkStatus,
    /// Per FXS port, in port order; a missing port reads as the defaults.
    pub ports: Vec<PortLive>,
    /// The tones of the configured country, for `Tone.*`; empty: no tone objects.
    pub tones: Vec<Tone>,
    /// The last finished calls, oldest first (`CallLog.{i}`).
    pub call_log: Vec<CallRecord>,
}

impl LiveState {
    /// The live state of port `index` (0-based), or the defaults.
    pub(crate) fn port(&self, index: usize) -> PortLive {
        self.ports.get(index).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The serde names are the data model's enumeration values (TR-104 issue 2
    /// `SIP.Client.{i}.Status`, TR-181 `Device.Time.Status`).
    #[test]
    fn enums_serialise_as_the_data_model_spells_them() {
        assert_eq!(
            serde_json::to_string(&ClientStatus::ErrorRegistration).unwrap(),
            "\"Error_Registration\""
        );
        assert_eq!(
            ClientStatus::ErrorRegistration.as_str(),
            "Error_Registration"
        );
        assert_eq!(ClientStatus::default(), ClientStatus::Disabled);
        assert_eq!(TimeStatus::ALL.len(), 5);
        for s in ToneFunction::ALL {
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
    }

    #[test]
    fn a_partial_snapshot_reads_with_defaults() {
        let live: LiveState = serde_json::from_str(r#"{"uptime_s": 5, "ports": [{}]}"#).unwrap();
        assert_eq!(live.uptime_s, 5);
        assert_eq!(live.port(0), PortLive::default());
        assert_eq!(live.port(7).call_status, CallStatus::Idle);
    }
}

//! The bindings of parameters to their values: a [`Field`] of the configuration, the CWMP
//! state, the live state or the device identity, seen through a [`View`] (a unit or
//! encoding conversion). Parameters with the same field are aliases.

use std::collections::BTreeMap;
use std::net::{Ipv6Addr, SocketAddr};

use tipring_config::{
    Codec, Cwmp, DtmfMethod, FaxPassThrough, GatewayConfig, Port, Secret, SrtpPolicy, TcfMethod,
    Transport,
};

use crate::error::ParamFault;
use crate::live::{DeviceIdentity, LiveState};
use crate::schema::Instances;
use crate::state::{CwmpState, PortState};
use crate::value::{shown, ParamType, Value, UNKNOWN_TIME};

/// The root of the voice service objects, for references.
const VS: &str = "Device.Services.VoiceService.1.";

/// What a parameter shows: a constant or a field through a view.
#[derive(Debug, Clone)]
pub(crate) enum Binding {
    /// A constant value (with write access: the only value a write may give).
    Const(Value),
    /// A field seen through a view.
    Field(Field, View),
}

impl Binding {
    /// Read the source column of the definition table.
    pub(crate) fn parse(src: &str, ty: &ParamType) -> Result<Binding, String> {
        if let Some(c) = src.strip_prefix('=') {
            return ty
                .parse(c.trim())
                .map(Binding::Const)
                .map_err(|e| format!("constant `{c}`: {}", e.message));
        }
        let (f, v) = src.split_once('/').unwrap_or((src, ""));
        let field = Field::parse(f).ok_or_else(|| format!("unknown field `{f}`"))?;
        let view = View::parse(v).ok_or_else(|| format!("unknown view `{v}`"))?;
        Ok(Binding::Field(field, view))
    }

    /// Whether a write can change what it shows.
    pub(crate) fn writable(&self) -> bool {
        matches!(self, Binding::Field(f, _) if f.writable())
    }
}

/// A conversion between a field's value and a parameter's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum View {
    /// As is.
    Plain,
    /// Boolean negation (`CallerIDEnable` is "not caller_id_block").
    Not,
    /// Issue 1 `Line.{i}.Enable`: `Enabled` / `Disabled` for a boolean.
    V1Enable,
    /// Tenths of a dB for whole dB (`TransmitGain`, unit 0.1 dB).
    Tenth,
    /// Rings for seconds (6 s a ring, issue 1 `CallForwardOnNoAnswerRingCount`).
    Rings,
    /// Issue 1 DTMF names (`RFC2833` for RFC 4733).
    V1Dtmf,
    /// Issue 1 `Line.{i}.Status` from the issue 2 SIP client status.
    V1Status,
    /// Issue 1 `Line.{i}.CallState` from the issue 2 call status.
    V1Call,
    /// `SIP.Client.{i}.RegisterMode`: `RFC3261` registers, `STATIC` does not.
    RegMode,
}

/// Seconds per ring assumed by [`View::Rings`] (a 2 s on / 4 s off cadence).
pub(crate) const SECONDS_PER_RING: u32 = 6;

impl View {
    fn parse(s: &str) -> Option<View> {
        Some(match s {
            "" => View::Plain,
            "not" => View::Not,
            "v1enable" => View::V1Enable,
            "tenth" => View::Tenth,
            "rings" => View::Rings,
            "v1dtmf" => View::V1Dtmf,
            "v1status" => View::V1Status,
            "v1call" => View::V1Call,
            "regmode" => View::RegMode,
            _ => return None,
        })
    }

    /// The parameter's value from the field's.
    pub(crate) fn read(self, v: Value) -> Value {
        match (self, v) {
            (View::Plain, v) => v,
            (View::Not, Value::Boolean(b)) => Value::Boolean(!b),
            (View::V1Enable, Value::Boolean(b)) => {
                Value::str(if b { "Enabled" } else { "Disabled" })
            }
            (View::Tenth, v) => Value::Int(v.as_i128().unwrap_or(0).saturating_mul(10) as i32),
            (View::Rings, v) => {
                let s = v.as_i128().unwrap_or(0).max(0) as u32;
                Value::UnsignedInt(s.div_ceil(SECONDS_PER_RING))
            }
            (View::V1Dtmf, Value::String(s)) if s == "RFC4733" => Value::str("RFC2833"),
            (View::V1Status, Value::String(s)) => Value::str(match s.as_str() {
                "Up" => "Up",
                "Initializing" => "Initializing",
                "Registering" => "Registering",
                "Deregistering" => "Unregistering",
                "Quiescent" => "Quiescent",
                "Disabled" => "Disabled",
                _ => "Error",
            }),
            (View::V1Call, Value::String(s)) => Value::str(match s.as_str() {
                "Dialing" | "Delivered" => "Calling",
                "Connected" => "InCall",
                "Alerting" => "Ringing",
                "Disconnected" => "Disconnecting",
                _ => "Idle",
            }),
            (View::RegMode, Value::Boolean(b)) => Value::str(if b { "RFC3261" } else { "STATIC" }),
            (_, v) => v,
        }
    }

    /// The field's value from a value written to the parameter.
    pub(crate) fn write(self, v: Value) -> Result<Value, ParamFault> {
        Ok(match (self, v) {
            (View::Plain, v) => v,
            (View::Not, Value::Boolean(b)) => Value::Boolean(!b),
            (View::V1Enable, Value::String(s)) => match s.as_str() {
                "Enabled" => Value::Boolean(true),
                "Disabled" => Value::Boolean(false),
                "Quiescent" => {
                    return Err(ParamFault::value(
                        "Quiescent is not supported: write Enabled or Disabled",
                    ))
                }
                _ => return Err(ParamFault::value("one of Disabled, Quiescent, Enabled")),
            },
            (View::Tenth, v) => {
                let t = v.as_i128().unwrap_or(0);
                if t % 10 != 0 {
                    return Err(ParamFault::value(
                        "the gain is set in whole dB: a multiple of 10 (unit 0.1 dB)",
                    ));
                }
                Value::Int((t / 10) as i32)
            }
            (View::Rings, v) => {
                let r = v.as_i128().unwrap_or(0).clamp(0, u32::MAX.into()) as u32;
                Value::UnsignedInt(r.saturating_mul(SECONDS_PER_RING))
            }
            (View::V1Dtmf, Value::String(s)) => match s.as_str() {
                "RFC2833" => Value::str("RFC4733"),
                "RFC4733" => return Err(ParamFault::value("issue 1 names RFC 4733 `RFC2833`")),
                _ => Value::String(s),
            },
            (View::RegMode, Value::String(s)) => match s.as_str() {
                "RFC3261" => Value::Boolean(true),
                "STATIC" => Value::Boolean(false),
                _ => {
                    return Err(ParamFault::value(
                        "RFC3261 (register) or STATIC (do not register)",
                    ))
                }
            },
            (View::V1Status | View::V1Call, _) => {
                return Err(ParamFault::not_writable("a status is read-only"))
            }
            (_, _) => return Err(ParamFault::new(crate::FaultCode::InternalError, "type")),
        })
    }
}

/// Which call forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum FwdKind {
    All,
    Busy,
    NoAnswer,
}

impl FwdKind {
    fn key(self) -> &'static str {
        match self {
            FwdKind::All => "all",
            FwdKind::Busy => "busy",
            FwdKind::NoAnswer => "no_answer",
        }
    }
}

/// The two parameters of a call forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum FwdPart {
    Enable,
    Number,
}

/// Every field a parameter can show. Grouped by where the value lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    Dev(DevField),
    State(StateField),
    Cwmp(CwmpField),
    TimeZone,
    Region,
    Sip(SipField),
    Port(PortField),
    Profile(ProfileField),
    Forward(FwdKind, FwdPart),
    Codec(CodecField),
    PortCodec(PortCodecField),
    Ref(RefField),
    Count(CountField),
    Live(LiveField),
    Line(LineField),
    Tone(ToneField),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum DevField {
    Manufacturer,
    Oui,
    ModelName,
    Description,
    ProductClass,
    SerialNumber,
    HardwareVersion,
    SoftwareVersion,
    ConnReqMethods,
    InterdigitStd,
    InterdigitOpen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum StateField {
    ProvisioningCode,
    ParameterKey,
    PeriodicInformEnable,
    PeriodicInformTime,
    CrUsername,
    CrPassword,
    UpgradesManaged,
    Throttle,
    RetryMin,
    RetryMult,
    StunEnable,
    StunServer,
    StunPort,
    StunUsername,
    StunPassword,
    NtpEnable,
    Ntp1,
    Ntp2,
    ProviderName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CwmpField {
    Url,
    Username,
    Password,
    Interval,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SipField {
    ServerHost,
    ServerPort,
    Transport,
    Domain,
    ListenPort,
    Expires,
    Servers,
    Register,
    Mwi,
    RtpMin,
    RtpMax,
    SrtpEnable,
    SrtpPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum PortField {
    Enabled,
    FxsName,
    Extension,
    DisplayName,
    AuthUser,
    Password,
    MaxSessions,
    RegisterUri,
    GainTx,
    GainRx,
    EcEnable,
    EcTail,
    DialPlan,
    PlanMin,
    PlanMax,
    Clir,
    CallWaiting,
    Acr,
    Dnd,
    NaTimeout,
    Dtmf,
    CodecList,
    ProfileName,
    T38Enable,
    FaxPassThrough,
    T38MaxBitRate,
    T38HighSpeedRedundancy,
    T38LowSpeedRedundancy,
    T38Tcf,
    FaxModemRedundancy,
}

/// Issue 1 profile-wide views of per-port fields: read port 1's, write every port's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ProfileField {
    Dtmf,
    FaxPassThrough,
    DialPlan,
    PlanMin,
    PlanMax,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CodecField {
    Name,
    BitRate,
    Ptime,
    EntryId,
    InUse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum PortCodecField {
    Enable,
    Priority,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RefField {
    Network,
    VoipProfile,
    SipClient,
    FeatureSet,
    Fxs,
    NumberingPlan,
    CapCodec,
    FwActive,
    FwBoot,
    DefaultEventProfile,
    EventTone,
    TonePattern,
    NextPattern,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CountField {
    Of(Instances),
    MaxSessions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum LiveField {
    Uptime,
    FirstUse,
    CrUrl,
    UdpCrAddr,
    Nat,
    TimeStatus,
    LocalTime,
    FwName,
    FwVersion,
    FwAvailable,
    FwStatus,
    FwBootLog,
    LogName,
    LogMax,
    LogPersistent,
    IpifEnable,
    IpifStatus,
    IpifName,
    IpifType,
    Ipv4Enable,
    Ipv4Addr,
    Ipv4Mask,
    Ipv4Type,
    EthEnable,
    EthStatus,
    EthName,
    EthMac,
    EthMaxBitRate,
    EthDuplex,
    EthBytesSent,
    EthBytesReceived,
    EthPacketsSent,
    EthPacketsReceived,
    NetStatus,
    ClCalling,
    ClCalled,
    ClLine,
    ClDirection,
    ClStart,
    ClDuration,
    ClPacketsReceived,
    ClPacketsSent,
    ClPacketsLost,
    ClMeanJitter,
    ClMaxJitter,
    ClQuality,
    ClWorstQuality,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum LineField {
    FxsStatus,
    SipStatus,
    LineStatus,
    ExtStatus,
    CallStatus,
    EcInUse,
    MessageWaiting,
    InReceived,
    InConnected,
    InFailed,
    InDropped,
    InTime,
    OutAttempted,
    OutConnected,
    OutFailed,
    OutDropped,
    OutTime,
    RtpPacketsReceived,
    RtpPacketsSent,
    RtpPacketsLost,
    RtpBytesSent,
    RtpBytesReceived,
    DspOverruns,
    DspUnderruns,
    CallsDropped,
    TotalCallTime,
    FaxSent,
    FaxReceived,
    FaxFailed,
    FaxPages,
    FaxPassThrough,
    FaxMalformed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ToneField {
    Name,
    Function,
    On,
    F1,
    P1,
    F2,
    P2,
    Modulation,
    Duration,
}

impl Field {
    fn parse(s: &str) -> Option<Field> {
        use Field as F;
        let (group, name) = s.split_once('.')?;
        Some(match group {
            "dev" => F::Dev(match name {
                "manufacturer" => DevField::Manufacturer,
                "oui" => DevField::Oui,
                "model_name" => DevField::ModelName,
                "description" => DevField::Description,
                "product_class" => DevField::ProductClass,
                "serial_number" => DevField::SerialNumber,
                "hardware_version" => DevField::HardwareVersion,
                "software_version" => DevField::SoftwareVersion,
                "conn_req_methods" => DevField::ConnReqMethods,
                "interdigit_std" => DevField::InterdigitStd,
                "interdigit_open" => DevField::InterdigitOpen,
                _ => return None,
            }),
            "state" => F::State(match name {
                "provisioning_code" => StateField::ProvisioningCode,
                "parameter_key" => StateField::ParameterKey,
                "periodic_inform_enable" => StateField::PeriodicInformEnable,
                "periodic_inform_time" => StateField::PeriodicInformTime,
                "cr_username" => StateField::CrUsername,
                "cr_password" => StateField::CrPassword,
                "upgrades_managed" => StateField::UpgradesManaged,
                "throttle" => StateField::Throttle,
                "retry_min" => StateField::RetryMin,
                "retry_mult" => StateField::RetryMult,
                "stun_enable" => StateField::StunEnable,
                "stun_server" => StateField::StunServer,
                "stun_port" => StateField::StunPort,
                "stun_username" => StateField::StunUsername,
                "stun_password" => StateField::StunPassword,
                "ntp_enable" => StateField::NtpEnable,
                "ntp1" => StateField::Ntp1,
                "ntp2" => StateField::Ntp2,
                "provider_name" => StateField::ProviderName,
                _ => return None,
            }),
            "cwmp" => F::Cwmp(match name {
                "url" => CwmpField::Url,
                "username" => CwmpField::Username,
                "password" => CwmpField::Password,
                "interval" => CwmpField::Interval,
                _ => return None,
            }),
            "device" => match name {
                "time_zone" => F::TimeZone,
                "region" => F::Region,
                _ => return None,
            },
            "sip" => F::Sip(match name {
                "server_host" => SipField::ServerHost,
                "server_port" => SipField::ServerPort,
                "transport" => SipField::Transport,
                "domain" => SipField::Domain,
                "listen_port" => SipField::ListenPort,
                "expires" => SipField::Expires,
                "servers" => SipField::Servers,
                "register" => SipField::Register,
                "mwi" => SipField::Mwi,
                "rtp_min" => SipField::RtpMin,
                "rtp_max" => SipField::RtpMax,
                "srtp_enable" => SipField::SrtpEnable,
                "srtp_policy" => SipField::SrtpPolicy,
                _ => return None,
            }),
            "port" => F::Port(match name {
                "enabled" => PortField::Enabled,
                "fxs_name" => PortField::FxsName,
                "extension" => PortField::Extension,
                "display_name" => PortField::DisplayName,
                "auth_user" => PortField::AuthUser,
                "password" => PortField::Password,
                "max_sessions" => PortField::MaxSessions,
                "register_uri" => PortField::RegisterUri,
                "gain_tx" => PortField::GainTx,
                "gain_rx" => PortField::GainRx,
                "ec_enable" => PortField::EcEnable,
                "ec_tail" => PortField::EcTail,
                "dial_plan" => PortField::DialPlan,
                "plan_min" => PortField::PlanMin,
                "plan_max" => PortField::PlanMax,
                "clir" => PortField::Clir,
                "call_waiting" => PortField::CallWaiting,
                "acr" => PortField::Acr,
                "dnd" => PortField::Dnd,
                "na_timeout" => PortField::NaTimeout,
                "dtmf" => PortField::Dtmf,
                "codec_list" => PortField::CodecList,
                "profile_name" => PortField::ProfileName,
                "t38_enable" => PortField::T38Enable,
                "fax_passthrough" => PortField::FaxPassThrough,
                "t38_max_bit_rate" => PortField::T38MaxBitRate,
                "t38_hs_redundancy" => PortField::T38HighSpeedRedundancy,
                "t38_ls_redundancy" => PortField::T38LowSpeedRedundancy,
                "t38_tcf" => PortField::T38Tcf,
                "fax_redundancy" => PortField::FaxModemRedundancy,
                _ => return None,
            }),
            "profile" => F::Profile(match name {
                "dtmf" => ProfileField::Dtmf,
                "fax_passthrough" => ProfileField::FaxPassThrough,
                "dial_plan" => ProfileField::DialPlan,
                "plan_min" => ProfileField::PlanMin,
                "plan_max" => ProfileField::PlanMax,
                _ => return None,
            }),
            "fwd" => {
                let (kind, part) = match name {
                    "all_enable" => (FwdKind::All, FwdPart::Enable),
                    "all_number" => (FwdKind::All, FwdPart::Number),
                    "busy_enable" => (FwdKind::Busy, FwdPart::Enable),
                    "busy_number" => (FwdKind::Busy, FwdPart::Number),
                    "na_enable" => (FwdKind::NoAnswer, FwdPart::Enable),
                    "na_number" => (FwdKind::NoAnswer, FwdPart::Number),
                    _ => return None,
                };
                F::Forward(kind, part)
            }
            "codec" => F::Codec(match name {
                "name" => CodecField::Name,
                "bitrate" => CodecField::BitRate,
                "ptime" => CodecField::Ptime,
                "entry_id" => CodecField::EntryId,
                "in_use" => CodecField::InUse,
                _ => return None,
            }),
            "port_codec" => F::PortCodec(match name {
                "enable" => PortCodecField::Enable,
                "priority" => PortCodecField::Priority,
                _ => return None,
            }),
            "ref" => F::Ref(match name {
                "network" => RefField::Network,
                "voip_profile" => RefField::VoipProfile,
                "sip_client" => RefField::SipClient,
                "feature_set" => RefField::FeatureSet,
                "fxs" => RefField::Fxs,
                "numbering_plan" => RefField::NumberingPlan,
                "cap_codec" => RefField::CapCodec,
                "fw_active" => RefField::FwActive,
                "fw_boot" => RefField::FwBoot,
                "default_event_profile" => RefField::DefaultEventProfile,
                "event_tone" => RefField::EventTone,
                "tone_pattern" => RefField::TonePattern,
                "next_pattern" => RefField::NextPattern,
                _ => return None,
            }),
            "count" => F::Count(match name {
                "max_sessions" => CountField::MaxSessions,
                "ports" => CountField::Of(Instances::Ports),
                "codecs" => CountField::Of(Instances::Codecs),
                "firmware" => CountField::Of(Instances::Firmware),
                "logs" => CountField::Of(Instances::Logs),
                "ipif" => CountField::Of(Instances::IpInterfaces),
                "ipv4" => CountField::Of(Instances::Ipv4Addresses),
                "eth" => CountField::Of(Instances::EthernetInterfaces),
                "tone_desc" => CountField::Of(Instances::ToneDescriptions),
                "tone_pattern" => CountField::Of(Instances::TonePatterns),
                "tone_event" => CountField::Of(Instances::ToneEvents),
                "calls" => CountField::Of(Instances::Calls),
                _ => return None,
            }),
            "live" => F::Live(match name {
                "uptime" => LiveField::Uptime,
                "first_use" => LiveField::FirstUse,
                "cr_url" => LiveField::CrUrl,
                "udp_cr_addr" => LiveField::UdpCrAddr,
                "nat" => LiveField::Nat,
                "time_status" => LiveField::TimeStatus,
                "local_time" => LiveField::LocalTime,
                "fw_name" => LiveField::FwName,
                "fw_version" => LiveField::FwVersion,
                "fw_available" => LiveField::FwAvailable,
                "fw_status" => LiveField::FwStatus,
                "fw_boot_log" => LiveField::FwBootLog,
                "log_name" => LiveField::LogName,
                "log_max" => LiveField::LogMax,
                "log_persistent" => LiveField::LogPersistent,
                "ipif_enable" => LiveField::IpifEnable,
                "ipif_status" => LiveField::IpifStatus,
                "ipif_name" => LiveField::IpifName,
                "ipif_type" => LiveField::IpifType,
                "ipv4_enable" => LiveField::Ipv4Enable,
                "ipv4_addr" => LiveField::Ipv4Addr,
                "ipv4_mask" => LiveField::Ipv4Mask,
                "ipv4_type" => LiveField::Ipv4Type,
                "eth_enable" => LiveField::EthEnable,
                "eth_status" => LiveField::EthStatus,
                "eth_name" => LiveField::EthName,
                "eth_mac" => LiveField::EthMac,
                "eth_max_bitrate" => LiveField::EthMaxBitRate,
                "eth_duplex" => LiveField::EthDuplex,
                "eth_bytes_sent" => LiveField::EthBytesSent,
                "eth_bytes_received" => LiveField::EthBytesReceived,
                "eth_packets_sent" => LiveField::EthPacketsSent,
                "eth_packets_received" => LiveField::EthPacketsReceived,
                "net_status" => LiveField::NetStatus,
                "cl_calling" => LiveField::ClCalling,
                "cl_called" => LiveField::ClCalled,
                "cl_line" => LiveField::ClLine,
                "cl_direction" => LiveField::ClDirection,
                "cl_start" => LiveField::ClStart,
                "cl_duration" => LiveField::ClDuration,
                "cl_packets_received" => LiveField::ClPacketsReceived,
                "cl_packets_sent" => LiveField::ClPacketsSent,
                "cl_packets_lost" => LiveField::ClPacketsLost,
                "cl_mean_jitter" => LiveField::ClMeanJitter,
                "cl_max_jitter" => LiveField::ClMaxJitter,
                "cl_quality" => LiveField::ClQuality,
                "cl_worst_quality" => LiveField::ClWorstQuality,
                _ => return None,
            }),
            "line" => F::Line(match name {
                "fxs_status" => LineField::FxsStatus,
                "sip_status" => LineField::SipStatus,
                "line_status" => LineField::LineStatus,
                "ext_status" => LineField::ExtStatus,
                "call_status" => LineField::CallStatus,
                "ec_in_use" => LineField::EcInUse,
                "message_waiting" => LineField::MessageWaiting,
                "in_received" => LineField::InReceived,
                "in_connected" => LineField::InConnected,
                "in_failed" => LineField::InFailed,
                "in_dropped" => LineField::InDropped,
                "in_time" => LineField::InTime,
                "out_attempted" => LineField::OutAttempted,
                "out_connected" => LineField::OutConnected,
                "out_failed" => LineField::OutFailed,
                "out_dropped" => LineField::OutDropped,
                "out_time" => LineField::OutTime,
                "rtp_packets_received" => LineField::RtpPacketsReceived,
                "rtp_packets_sent" => LineField::RtpPacketsSent,
                "rtp_packets_lost" => LineField::RtpPacketsLost,
                "rtp_bytes_sent" => LineField::RtpBytesSent,
                "rtp_bytes_received" => LineField::RtpBytesReceived,
                "dsp_overruns" => LineField::DspOverruns,
                "dsp_underruns" => LineField::DspUnderruns,
                "calls_dropped" => LineField::CallsDropped,
                "total_call_time" => LineField::TotalCallTime,
                "fax_sent" => LineField::FaxSent,
                "fax_received" => LineField::FaxReceived,
                "fax_failed" => LineField::FaxFailed,
                "fax_pages" => LineField::FaxPages,
                "fax_passthrough" => LineField::FaxPassThrough,
                "fax_malformed" => LineField::FaxMalformed,
                _ => return None,
            }),
            "tone" => F::Tone(match name {
                "name" => ToneField::Name,
                "function" => ToneField::Function,
                "on" => ToneField::On,
                "f1" => ToneField::F1,
                "p1" => ToneField::P1,
                "f2" => ToneField::F2,
                "p2" => ToneField::P2,
                "modulation" => ToneField::Modulation,
                "duration" => ToneField::Duration,
                _ => return None,
            }),
            _ => return None,
        })
    }

    /// Whether [`set`](Self::set) can write it.
    pub(crate) fn writable(self) -> bool {
        match self {
            Field::State(f) => f != StateField::ParameterKey,
            Field::Cwmp(_) | Field::TimeZone | Field::Region | Field::Forward(..) => true,
            Field::PortCodec(_) => true,
            Field::Sip(f) => f != SipField::RtpMax,
            Field::Port(f) => !matches!(
                f,
                PortField::FxsName
                    | PortField::MaxSessions
                    | PortField::RegisterUri
                    | PortField::EcTail
                    | PortField::PlanMin
                    | PortField::PlanMax
                    | PortField::ProfileName
            ),
            Field::Profile(f) => matches!(
                f,
                ProfileField::Dtmf | ProfileField::FaxPassThrough | ProfileField::DialPlan
            ),
            _ => false,
        }
    }

    /// Whether the field's value lives in the configuration document (not in the CWMP
    /// state, the live state, the identity or a reference): what an ACS provisions.
    pub(crate) fn in_config(self) -> bool {
        matches!(
            self,
            Field::Cwmp(_)
                | Field::TimeZone
                | Field::Region
                | Field::Sip(_)
                | Field::Port(_)
                | Field::Profile(_)
                | Field::Forward(..)
                | Field::PortCodec(_)
        )
    }

    /// The field's value with a secret's own value (a read through [`get`](Self::get)
    /// gives "" for them): for the values an ACS pushes, never for a GetParameterValues.
    pub(crate) fn get_revealed(self, env: &Env<'_>, ctx: &Ctx) -> Option<Value> {
        let shown = |s: Option<&Secret>| Some(Value::str(s.map_or("", Secret::expose)));
        match self {
            Field::Port(PortField::Password) => shown(env.port(ctx)?.password.as_ref()),
            Field::Cwmp(CwmpField::Password) => shown(
                env.config
                    .management
                    .cwmp
                    .as_ref()
                    .and_then(|c| c.password.as_ref()),
            ),
            Field::State(StateField::CrPassword) => {
                shown(Some(&env.state.connection_request_password))
            }
            Field::State(StateField::StunPassword) => shown(Some(&env.state.stun_password)),
            _ => self.get(env, ctx),
        }
    }

    /// Two writes with the same scope and field write the same value (they conflict when
    /// their values differ): gateway-wide fields ignore the instance.
    pub(crate) fn scope(self, ctx: &Ctx) -> (Option<usize>, Option<usize>) {
        match self {
            Field::Port(_) | Field::Forward(..) => (ctx.port, None),
            Field::PortCodec(_) => (ctx.port, ctx.item),
            _ => (None, None),
        }
    }

    /// The configuration paths (as `tipring-config`'s validation names them) a write to
    /// this field changes, to match validation errors to parameters.
    pub(crate) fn config_paths(self, ctx: &Ctx, ports: usize) -> Vec<String> {
        let p = ctx.port.unwrap_or(0);
        let one = |s: &str| vec![s.to_string()];
        let port = |f: &str| vec![format!("ports[{p}].{f}")];
        match self {
            Field::Cwmp(f) => match f {
                CwmpField::Url => one("management.cwmp.acs_url"),
                CwmpField::Username => one("management.cwmp.username"),
                CwmpField::Password => one("management.cwmp.password"),
                CwmpField::Interval => one("management.cwmp.periodic_inform_interval_s"),
            },
            Field::TimeZone => one("device.time_zone"),
            Field::Region => one("device.country"),
            Field::Sip(f) => match f {
                SipField::ServerHost | SipField::ServerPort | SipField::Servers => {
                    one("sip.servers")
                }
                SipField::Transport => one("sip.transport"),
                SipField::Domain => one("sip.domain"),
                SipField::ListenPort => one("sip.listen"),
                SipField::Expires => one("sip.registration_expiry_s"),
                SipField::Register => one("sip.register"),
                SipField::Mwi => one("sip.mwi_subscribe"),
                SipField::RtpMin | SipField::RtpMax => one("sip.rtp_port_base"),
                SipField::SrtpEnable | SipField::SrtpPolicy => one("sip.srtp"),
            },
            Field::Port(f) => match f {
                PortField::Enabled => port("enabled"),
                PortField::Extension => port("extension"),
                PortField::DisplayName => port("display_name"),
                PortField::AuthUser => port("auth_user"),
                PortField::Password => port("password"),
                PortField::GainTx => port("gain_tx_db"),
                PortField::GainRx => port("gain_rx_db"),
                PortField::EcEnable | PortField::EcTail => port("echo_tail_ms"),
                PortField::DialPlan => port("dial_plan"),
                PortField::Clir => port("features.caller_id_block"),
                PortField::CallWaiting => port("features.call_waiting"),
                PortField::Acr => port("features.anonymous_rejection"),
                PortField::Dnd => port("features.dnd"),
                PortField::NaTimeout => port("features.forward.no_answer_timeout_s"),
                PortField::Dtmf => port("dtmf"),
                PortField::CodecList => port("codecs"),
                PortField::T38Enable => port("fax.t38_enable"),
                PortField::FaxPassThrough => port("fax.passthrough"),
                PortField::T38MaxBitRate => port("fax.t38.max_bit_rate"),
                PortField::T38HighSpeedRedundancy => port("fax.t38.high_speed_redundancy"),
                PortField::T38LowSpeedRedundancy => port("fax.t38.low_speed_redundancy"),
                PortField::T38Tcf => port("fax.t38.tcf"),
                PortField::FaxModemRedundancy => port("fax.passthrough_redundancy"),
                _ => Vec::new(),
            },
            Field::Profile(f) => {
                let leaf = match f {
                    ProfileField::Dtmf => "dtmf",
                    ProfileField::FaxPassThrough => "fax.passthrough",
                    _ => "dial_plan",
                };
                (0..ports).map(|i| format!("ports[{i}].{leaf}")).collect()
            }
            Field::Forward(kind, _) => port(&format!("features.forward.{}", kind.key())),
            Field::PortCodec(_) => port("codecs"),
            _ => Vec::new(),
        }
    }
}

/// Which instance a parameter is read in: the port, the table item, the sub-item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) struct Ctx {
    /// FXS port, 0-based.
    pub port: Option<usize>,
    /// Row of the other tables (codec, firmware slot, interface, tone...), 0-based.
    pub item: Option<usize>,
    /// Row of a table inside another (an interface's IPv4 address), 0-based.
    pub sub: Option<usize>,
}

impl Ctx {
    /// Record the instance number `n` (1-based) of a table of kind `kind`.
    pub(crate) fn enter(&mut self, kind: Instances, n: u32) {
        let i = n.saturating_sub(1) as usize;
        match kind {
            Instances::One => {}
            Instances::Ports => self.port = Some(i),
            Instances::Ipv4Addresses => self.sub = Some(i),
            _ => self.item = Some(i),
        }
    }
}

/// Everything a read needs.
#[derive(Debug)]
pub(crate) struct Env<'a> {
    pub config: &'a GatewayConfig,
    pub state: &'a CwmpState,
    pub live: &'a LiveState,
    pub device: &'a DeviceIdentity,
    /// The TR-104 codecs of this build, in `Capabilities.Codec` order.
    pub codecs: Vec<Codec>,
    /// Tone patterns: (tone, cadence step) in pattern order.
    pub patterns: Vec<(usize, usize)>,
    /// The first pattern of each tone.
    pub first_pattern: Vec<usize>,
}

/// The TR-104 name of a codec (`Capabilities.Codec.{i}.Codec`); `None` for a codec
/// TR-104 cannot name (Opus).
pub(crate) fn tr104_codec(c: Codec) -> Option<(&'static str, u32)> {
    Some(match c {
        Codec::Pcmu => ("G.711MuLaw", 64_000),
        Codec::Pcma => ("G.711ALaw", 64_000),
        Codec::G722 => ("G.722", 64_000),
        Codec::G726_32 => ("G.726", 32_000),
        Codec::G729 => ("G.729", 8_000),
        _ => return None,
    })
}

/// ISO 3166-1 alpha-2 code (`POTS.Region`) of a tone-plan country code, and back.
const REGIONS: [(&str, &str); 8] = [
    ("us", "US"),
    ("uk", "GB"),
    ("de", "DE"),
    ("fr", "FR"),
    ("nl", "NL"),
    ("jp", "JP"),
    ("cn", "CN"),
    ("au", "AU"),
];

fn dtmf_name(d: DtmfMethod) -> &'static str {
    match d {
        DtmfMethod::Rfc4733 => "RFC4733",
        DtmfMethod::Inband => "InBand",
        DtmfMethod::Info => "SIPInfo",
    }
}

fn passthrough_name(p: FaxPassThrough) -> &'static str {
    match p {
        FaxPassThrough::Disable => "Disable",
        FaxPassThrough::Auto => "Auto",
        FaxPassThrough::Force => "Force",
    }
}

fn tcf_name(t: TcfMethod) -> &'static str {
    match t {
        TcfMethod::Local => "Local",
        TcfMethod::Network => "Network",
    }
}

fn transport_name(t: Transport) -> &'static str {
    match t {
        Transport::Udp => "UDP",
        Transport::Tcp => "TCP",
        Transport::Tls => "TLS",
    }
}

fn srtp_name(p: SrtpPolicy) -> &'static str {
    match p {
        SrtpPolicy::Off => "Off",
        SrtpPolicy::Optional => "Optional",
        SrtpPolicy::Mandatory => "Mandatory",
    }
}

/// A SIP server entry split into host (IPv6 in brackets) and port. An entry whose port
/// is not a port stays whole as the host, so that joining gives it back unchanged and the
/// configuration's validation refuses it.
pub(crate) fn split_server(s: &str) -> (String, Option<u16>) {
    let whole = || (s.to_string(), None);
    if s.starts_with('[') {
        let Some(end) = s.find(']') else {
            return whole();
        };
        let rest = &s[end + 1..];
        if rest.is_empty() {
            return (s.to_string(), None);
        }
        return match rest.strip_prefix(':').map(|p| (p, p.parse::<u16>())) {
            Some((p, Ok(port))) if p.bytes().all(|b| b.is_ascii_digit()) => {
                (s[..=end].to_string(), Some(port))
            }
            _ => whole(),
        };
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => match p.parse::<u16>() {
            Ok(port) if p.bytes().all(|b| b.is_ascii_digit()) => (h.to_string(), Some(port)),
            _ => whole(),
        },
        _ => whole(),
    }
}

fn join_server(host: &str, port: Option<u16>) -> String {
    match port {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// A host as TR-104 shows it (IPv6 without brackets) and back.
fn host_shown(h: &str) -> String {
    h.strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(h)
        .to_string()
}

fn host_stored(h: &str) -> String {
    if h.parse::<Ipv6Addr>().is_ok() {
        format!("[{h}]")
    } else {
        h.to_string()
    }
}

/// Fewest and most keys the digit map's patterns accept (TR-104 `NumberingPlan`
/// `Minimum/MaximumNumberOfDigits`), from `tipring-line`'s syntax: keys, `x`, `[...]`
/// count one; `.` (zero or more) and `+` (one or more) make a pattern open-ended (the
/// maximum is then 32); `<left:right>` consumes its left side; `T` and `!` consume nothing;
/// barred (`!`) patterns are ignored.
pub(crate) fn digit_counts(plan: &str) -> (u32, u32) {
    let inner = plan.trim();
    let inner = inner
        .strip_prefix(['{', '('])
        .and_then(|s| s.strip_suffix(['}', ')']))
        .unwrap_or(inner);
    let (mut lo, mut hi) = (u32::MAX, 0u32);
    for pat in inner.split('|') {
        let pat: String = pat.chars().filter(|c| !c.is_whitespace()).collect();
        if pat.is_empty() || pat.ends_with('!') {
            continue;
        }
        let (mut min, mut open) = (0u32, false);
        let mut chars = pat.chars().peekable();
        let mut last_counted = false;
        while let Some(c) = chars.next() {
            match c {
                '[' => {
                    for d in chars.by_ref() {
                        if d == ']' {
                            break;
                        }
                    }
                    min += 1;
                    last_counted = true;
                }
                '<' => {
                    let mut left = 0;
                    let mut in_left = true;
                    for d in chars.by_ref() {
                        match d {
                            '>' => break,
                            ':' => in_left = false,
                            _ if in_left => left += 1,
                            _ => {}
                        }
                    }
                    min += left;
                    last_counted = left > 0;
                }
                '.' if last_counted => {
                    min -= 1;
                    open = true;
                }
                '+' => open = true,
                'T' | 't' | '!' => {}
                _ => {
                    min += 1;
                    last_counted = true;
                }
            }
        }
        let max = if open { 32 } else { min };
        lo = lo.min(min);
        hi = hi.max(max);
    }
    if hi == 0 {
        return (1, 32);
    }
    (lo.clamp(1, 32), hi.clamp(1, 32))
}

fn text(v: &Value) -> Result<&str, ParamFault> {
    v.as_text()
        .ok_or_else(|| ParamFault::new(crate::FaultCode::InternalError, "a text value expected"))
}

fn flag(v: &Value) -> Result<bool, ParamFault> {
    v.as_bool()
        .ok_or_else(|| ParamFault::new(crate::FaultCode::InternalError, "a boolean expected"))
}

fn uint(v: &Value) -> Result<u32, ParamFault> {
    v.as_i128()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| ParamFault::value("out of range"))
}

fn int(v: &Value) -> Result<i32, ParamFault> {
    v.as_i128()
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| ParamFault::value("out of range"))
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

impl Env<'_> {
    fn port(&self, ctx: &Ctx) -> Option<&Port> {
        self.config.ports.get(ctx.port?)
    }

    /// The number of instances of a table of kind `kind` in context `ctx` (its parents'
    /// instances already entered).
    pub(crate) fn count(&self, kind: Instances, ctx: &Ctx) -> usize {
        let l = self.live;
        match kind {
            Instances::One => 1,
            Instances::Ports => self.config.ports.len(),
            Instances::Codecs => self.codecs.len(),
            Instances::Firmware => l.firmware_images.len(),
            Instances::Logs => l.vendor_log_files.len(),
            Instances::IpInterfaces => l.ip_interfaces.len(),
            Instances::Ipv4Addresses => ctx
                .item
                .and_then(|i| l.ip_interfaces.get(i))
                .map_or(0, |x| x.ipv4.len()),
            Instances::EthernetInterfaces => l.ethernet_interfaces.len(),
            Instances::ToneDescriptions | Instances::ToneEvents => l.tones.len(),
            Instances::Calls => l.call_log.len(),
            Instances::TonePatterns => self.patterns.len(),
        }
    }

    fn pattern_ref(&self, index: usize) -> Value {
        Value::String(format!("{VS}Tone.Pattern.{}", index + 1))
    }
}

impl Field {
    /// The field's value in `ctx`; `None` when the instance has none (reads as the
    /// type's zero).
    pub(crate) fn get(self, env: &Env<'_>, ctx: &Ctx) -> Option<Value> {
        let s = |x: &str| Some(Value::str(x));
        match self {
            Field::Dev(f) => {
                let d = env.device;
                match f {
                    DevField::Manufacturer => s(&d.manufacturer),
                    DevField::Oui => s(&d.manufacturer_oui),
                    DevField::ModelName => s(&d.model_name),
                    DevField::Description => s(&d.description),
                    DevField::ProductClass => s(&d.product_class),
                    DevField::SerialNumber => s(&d.serial_number),
                    DevField::HardwareVersion => s(&d.hardware_version),
                    DevField::SoftwareVersion => s(&d.software_version),
                    DevField::ConnReqMethods => s(&d.conn_req_methods.join(",")),
                    DevField::InterdigitStd => Some(Value::UnsignedInt(d.interdigit_std_ms)),
                    DevField::InterdigitOpen => Some(Value::UnsignedInt(d.interdigit_open_ms)),
                }
            }
            Field::State(f) => {
                let st = env.state;
                Some(match f {
                    StateField::ProvisioningCode => Value::str(&st.provisioning_code),
                    StateField::ParameterKey => Value::str(&st.parameter_key),
                    StateField::PeriodicInformEnable => Value::Boolean(st.periodic_inform_enable),
                    StateField::PeriodicInformTime => {
                        Value::DateTime(st.periodic_inform_time.clone())
                    }
                    StateField::CrUsername => Value::str(&st.connection_request_username),
                    StateField::CrPassword | StateField::StunPassword => Value::str(""),
                    StateField::UpgradesManaged => Value::Boolean(st.upgrades_managed),
                    StateField::Throttle => {
                        Value::UnsignedInt(st.default_active_notification_throttle)
                    }
                    StateField::RetryMin => Value::UnsignedInt(st.cwmp_retry_minimum_wait_interval),
                    StateField::RetryMult => Value::UnsignedInt(st.cwmp_retry_interval_multiplier),
                    StateField::StunEnable => Value::Boolean(st.stun_enable),
                    StateField::StunServer => Value::str(&st.stun_server_address),
                    StateField::StunPort => Value::UnsignedInt(st.stun_server_port),
                    StateField::StunUsername => Value::str(&st.stun_username),
                    StateField::NtpEnable => Value::Boolean(st.ntp_enable),
                    StateField::Ntp1 => Value::str(&st.ntp_server1),
                    StateField::Ntp2 => Value::str(&st.ntp_server2),
                    StateField::ProviderName => Value::str(&st.service_provider_name),
                })
            }
            Field::Cwmp(f) => {
                let c = env.config.management.cwmp.as_ref();
                Some(match f {
                    CwmpField::Url => Value::str(c.map_or("", |c| c.acs_url.as_str())),
                    CwmpField::Username => {
                        Value::str(c.and_then(|c| c.username.as_deref()).unwrap_or(""))
                    }
                    CwmpField::Password => Value::str(""),
                    CwmpField::Interval => {
                        Value::UnsignedInt(c.map_or(3600, |c| c.periodic_inform_interval_s))
                    }
                })
            }
            Field::TimeZone => s(env.config.device.time_zone.as_deref().unwrap_or("")),
            Field::Region => {
                let country = env.config.device.country.as_str();
                let region = REGIONS
                    .iter()
                    .find(|(c, _)| *c == country)
                    .map(|(_, r)| r.to_string())
                    .unwrap_or_else(|| country.to_ascii_uppercase());
                Some(Value::String(region))
            }
            Field::Sip(f) => self.get_sip(f, env),
            Field::Port(f) => self.get_port(f, env, ctx),
            Field::Profile(f) => {
                let first = Ctx {
                    port: Some(0),
                    ..Ctx::default()
                };
                let pf = match f {
                    ProfileField::Dtmf => PortField::Dtmf,
                    ProfileField::FaxPassThrough => PortField::FaxPassThrough,
                    ProfileField::DialPlan => PortField::DialPlan,
                    ProfileField::PlanMin => PortField::PlanMin,
                    ProfileField::PlanMax => PortField::PlanMax,
                };
                Field::Port(pf).get(env, &first)
            }
            Field::Forward(kind, part) => {
                let p = env.port(ctx)?;
                let fw = &p.features.forward;
                let active = match kind {
                    FwdKind::All => &fw.all,
                    FwdKind::Busy => &fw.busy,
                    FwdKind::NoAnswer => &fw.no_answer,
                };
                Some(match part {
                    FwdPart::Enable => Value::Boolean(active.is_some()),
                    FwdPart::Number => {
                        let parked = env.state.ports.get(ctx.port?).and_then(|ps| match kind {
                            FwdKind::All => ps.forward_all.as_deref(),
                            FwdKind::Busy => ps.forward_busy.as_deref(),
                            FwdKind::NoAnswer => ps.forward_no_answer.as_deref(),
                        });
                        Value::str(active.as_deref().or(parked).unwrap_or(""))
                    }
                })
            }
            Field::Codec(f) => {
                let i = ctx.item?;
                let codec = *env.codecs.get(i)?;
                let (name, rate) = tr104_codec(codec)?;
                Some(match f {
                    CodecField::Name => Value::str(name),
                    CodecField::BitRate => Value::UnsignedInt(rate),
                    CodecField::Ptime => Value::str("20"),
                    CodecField::EntryId => Value::UnsignedInt(i as u32 + 1),
                    CodecField::InUse => Value::Boolean(
                        env.config
                            .ports
                            .iter()
                            .any(|p| p.enabled && p.codecs.contains(&codec)),
                    ),
                })
            }
            Field::PortCodec(f) => {
                let p = env.port(ctx)?;
                let codec = *env.codecs.get(ctx.item?)?;
                let slots = codec_slots(&p.codecs, &env.codecs);
                let slot = slots.iter().find(|s| s.codec == codec)?;
                Some(match f {
                    PortCodecField::Enable => Value::Boolean(slot.enabled),
                    PortCodecField::Priority => Value::UnsignedInt(slot.priority),
                })
            }
            Field::Ref(f) => {
                let p = ctx.port.map_or(1, |p| p + 1);
                let i = ctx.item.map_or(1, |i| i + 1);
                Some(Value::String(match f {
                    RefField::Network => format!("{VS}SIP.Network.{p}"),
                    RefField::VoipProfile => format!("{VS}VoIPProfile.{p}"),
                    RefField::SipClient => format!("{VS}SIP.Client.{p}"),
                    RefField::FeatureSet => format!("{VS}CallControl.CallingFeatures.Set.{p}"),
                    RefField::Fxs => format!("{VS}POTS.FXS.{p}"),
                    RefField::NumberingPlan => format!("{VS}CallControl.NumberingPlan.{p}"),
                    RefField::CapCodec => format!("{VS}Capabilities.Codec.{i}"),
                    RefField::FwActive | RefField::FwBoot => {
                        let slot = if f == RefField::FwActive {
                            env.live.active_firmware_image
                        } else {
                            env.live.boot_firmware_image
                        };
                        slot.map(|n| format!("Device.DeviceInfo.FirmwareImage.{n}"))
                            .unwrap_or_default()
                    }
                    RefField::DefaultEventProfile => format!("{VS}Tone.EventProfile.1"),
                    RefField::EventTone => format!("{VS}Tone.Description.{i}"),
                    RefField::TonePattern => {
                        let first = *env.first_pattern.get(ctx.item?)?;
                        return Some(env.pattern_ref(first));
                    }
                    RefField::NextPattern => {
                        let k = ctx.item?;
                        let (tone, step) = *env.patterns.get(k)?;
                        let t = env.live.tones.get(tone)?;
                        let steps = t.cadence.len().max(1);
                        if step + 1 < steps {
                            return Some(env.pattern_ref(k + 1));
                        } else if t.repeat && steps > 1 {
                            return Some(env.pattern_ref(*env.first_pattern.get(tone)?));
                        }
                        String::new()
                    }
                }))
            }
            Field::Count(f) => Some(Value::UnsignedInt(match f {
                CountField::Of(kind) => env.count(kind, ctx) as u32,
                CountField::MaxSessions => 2 * env.config.ports.len() as u32,
            })),
            Field::Live(f) => get_live(f, env.live, ctx),
            Field::Line(f) => get_line(f, env.live, ctx),
            Field::Tone(f) => get_tone(f, env, ctx),
        }
    }

    fn get_sip(self, f: SipField, env: &Env<'_>) -> Option<Value> {
        let sip = &env.config.sip;
        let first = sip.servers.first().map(|s| split_server(s));
        Some(match f {
            SipField::ServerHost => {
                Value::String(first.map(|(h, _)| host_shown(&h)).unwrap_or_default())
            }
            SipField::ServerPort => {
                Value::UnsignedInt(first.and_then(|(_, p)| p).map_or(0, u32::from))
            }
            SipField::Transport => Value::str(transport_name(sip.transport)),
            SipField::Domain => Value::str(&sip.domain),
            SipField::ListenPort => Value::UnsignedInt(
                sip.listen
                    .parse::<SocketAddr>()
                    .map_or(0, |a| u32::from(a.port())),
            ),
            SipField::Expires => Value::UnsignedInt(sip.registration_expiry_s),
            SipField::Servers => Value::String(sip.servers.join(",")),
            SipField::Register => Value::Boolean(sip.register),
            SipField::Mwi => Value::Boolean(sip.mwi_subscribe),
            SipField::RtpMin => Value::UnsignedInt(match sip.rtp_port_base {
                0 => 1024,
                b => b.into(),
            }),
            SipField::RtpMax => Value::UnsignedInt(match sip.rtp_port_base {
                0 => 65_535,
                b => (u32::from(b) + 2 * env.config.ports.len() as u32)
                    .saturating_sub(1)
                    .min(65_535),
            }),
            SipField::SrtpEnable => Value::Boolean(sip.srtp != SrtpPolicy::Off),
            SipField::SrtpPolicy => Value::str(srtp_name(sip.srtp)),
        })
    }

    fn get_port(self, f: PortField, env: &Env<'_>, ctx: &Ctx) -> Option<Value> {
        let p = env.port(ctx)?;
        let n = ctx.port? + 1;
        Some(match f {
            PortField::Enabled => Value::Boolean(p.enabled),
            PortField::FxsName => Value::String(format!("FXS{n}")),
            PortField::Extension => Value::str(&p.extension),
            PortField::DisplayName => Value::str(p.display_name.as_deref().unwrap_or("")),
            PortField::AuthUser => Value::str(p.auth_user()),
            PortField::Password => Value::str(""),
            PortField::MaxSessions => {
                Value::UnsignedInt(if p.features.call_waiting { 2 } else { 1 })
            }
            PortField::RegisterUri => {
                Value::String(format!("sip:{}@{}", p.extension, env.config.sip.domain))
            }
            PortField::GainTx => Value::Int(p.gain_tx_db),
            PortField::GainRx => Value::Int(p.gain_rx_db),
            PortField::EcEnable => Value::Boolean(p.echo_tail_ms != 0),
            PortField::EcTail => Value::UnsignedInt(p.echo_tail_ms),
            PortField::DialPlan => Value::str(&p.dial_plan),
            PortField::PlanMin => Value::UnsignedInt(digit_counts(&p.dial_plan).0),
            PortField::PlanMax => Value::UnsignedInt(digit_counts(&p.dial_plan).1),
            PortField::Clir => Value::Boolean(p.features.caller_id_block),
            PortField::CallWaiting => Value::Boolean(p.features.call_waiting),
            PortField::Acr => Value::Boolean(p.features.anonymous_rejection),
            PortField::Dnd => Value::Boolean(p.features.dnd),
            PortField::NaTimeout => Value::UnsignedInt(p.features.forward.no_answer_timeout_s),
            PortField::Dtmf => Value::str(dtmf_name(p.dtmf)),
            PortField::CodecList => {
                let refs: Vec<String> = p
                    .codecs
                    .iter()
                    .filter_map(|c| env.codecs.iter().position(|x| x == c))
                    .map(|i| format!("{VS}CodecProfile.{}", i + 1))
                    .collect();
                Value::String(refs.join(","))
            }
            PortField::ProfileName => Value::String(format!("Port {n}")),
            PortField::T38Enable => Value::Boolean(p.fax.t38_enable),
            PortField::FaxPassThrough => Value::str(passthrough_name(p.fax.passthrough)),
            PortField::T38MaxBitRate => Value::UnsignedInt(p.fax.t38.max_bit_rate),
            PortField::T38HighSpeedRedundancy => {
                Value::UnsignedInt(p.fax.t38.high_speed_redundancy.into())
            }
            PortField::T38LowSpeedRedundancy => {
                Value::UnsignedInt(p.fax.t38.low_speed_redundancy.into())
            }
            PortField::T38Tcf => Value::str(tcf_name(p.fax.t38.tcf)),
            // TR-104: -1 is "no RFC 2198"; the configuration says that with 0.
            PortField::FaxModemRedundancy => Value::Int(match p.fax.passthrough_redundancy {
                0 => -1,
                n => i32::from(n),
            }),
        })
    }
}

fn get_live(f: LiveField, l: &LiveState, ctx: &Ctx) -> Option<Value> {
    let s = |x: &str| Some(Value::str(x));
    let time = |t: &Option<String>| {
        Some(Value::DateTime(
            t.clone().unwrap_or_else(|| UNKNOWN_TIME.into()),
        ))
    };
    let fw = || l.firmware_images.get(ctx.item?);
    let log = || l.vendor_log_files.get(ctx.item?);
    let ipif = || l.ip_interfaces.get(ctx.item?);
    let ipv4 = || ipif()?.ipv4.get(ctx.sub?);
    let eth = || l.ethernet_interfaces.get(ctx.item?);
    let call = || l.call_log.get(ctx.item?);
    // A list of one value, or an empty list when the quality was never known.
    let list = |q: Option<u32>| s(&q.map(|v| v.to_string()).unwrap_or_default());
    match f {
        LiveField::Uptime => Some(Value::UnsignedInt(l.uptime_s)),
        LiveField::FirstUse => time(&l.first_use_date),
        LiveField::CrUrl => s(&l.connection_request_url),
        LiveField::UdpCrAddr => s(&l.udp_connection_request_address),
        LiveField::Nat => Some(Value::Boolean(l.nat_detected)),
        LiveField::TimeStatus => s(l.time_status.as_str()),
        LiveField::LocalTime => time(&l.current_local_time),
        LiveField::FwName => s(&fw()?.name),
        LiveField::FwVersion => s(&fw()?.version),
        LiveField::FwAvailable => Some(Value::Boolean(fw()?.available)),
        LiveField::FwStatus => s(fw()?.status.as_str()),
        LiveField::FwBootLog => s(&fw()?.boot_failure_log),
        LiveField::LogName => s(&log()?.name),
        LiveField::LogMax => Some(Value::UnsignedInt(log()?.maximum_size)),
        LiveField::LogPersistent => Some(Value::Boolean(log()?.persistent)),
        LiveField::IpifEnable => Some(Value::Boolean(ipif()?.enable)),
        LiveField::IpifStatus => s(ipif()?.status.as_str()),
        LiveField::IpifName => s(&ipif()?.name),
        LiveField::IpifType => s(ipif()?.interface_type.as_str()),
        LiveField::Ipv4Enable => Some(Value::Boolean(ipv4()?.enable)),
        LiveField::Ipv4Addr => s(&ipv4()?.address),
        LiveField::Ipv4Mask => s(&ipv4()?.subnet_mask),
        LiveField::Ipv4Type => s(ipv4()?.addressing_type.as_str()),
        LiveField::EthEnable => Some(Value::Boolean(eth()?.enable)),
        LiveField::EthStatus => s(eth()?.status.as_str()),
        LiveField::EthName => s(&eth()?.name),
        LiveField::EthMac => s(&eth()?.mac_address),
        LiveField::EthMaxBitRate => Some(Value::Int(eth()?.max_bit_rate)),
        LiveField::EthDuplex => s(eth()?.duplex.as_str()),
        LiveField::EthBytesSent => Some(Value::UnsignedLong(eth()?.bytes_sent)),
        LiveField::EthBytesReceived => Some(Value::UnsignedLong(eth()?.bytes_received)),
        LiveField::EthPacketsSent => Some(Value::UnsignedLong(eth()?.packets_sent)),
        LiveField::EthPacketsReceived => Some(Value::UnsignedLong(eth()?.packets_received)),
        LiveField::NetStatus => s(l.sip_network_status.as_str()),
        LiveField::ClCalling => s(&call()?.calling),
        LiveField::ClCalled => s(&call()?.called),
        LiveField::ClLine => s(&format!("{VS}CallControl.Line.{}", call()?.line)),
        LiveField::ClDirection => s(call()?.direction.as_str()),
        LiveField::ClStart => Some(Value::DateTime(call()?.start.clone())),
        LiveField::ClDuration => Some(Value::UnsignedInt(call()?.duration_s)),
        LiveField::ClPacketsReceived => Some(Value::UnsignedLong(call()?.packets_received)),
        LiveField::ClPacketsSent => Some(Value::UnsignedLong(call()?.packets_sent)),
        LiveField::ClPacketsLost => Some(Value::UnsignedInt(call()?.packets_lost)),
        LiveField::ClMeanJitter => Some(Value::Int(call()?.mean_jitter_ms)),
        LiveField::ClMaxJitter => Some(Value::Int(call()?.max_jitter_ms)),
        LiveField::ClQuality => list(call()?.mos_x100),
        LiveField::ClWorstQuality => list(call()?.worst_mos_x100),
    }
}

fn get_line(f: LineField, l: &LiveState, ctx: &Ctx) -> Option<Value> {
    let p = l.port(ctx.port?);
    let st = &p.stats;
    let u = |n: u32| Some(Value::UnsignedInt(n));
    match f {
        LineField::FxsStatus => Some(Value::str(p.fxs_status.as_str())),
        LineField::SipStatus => Some(Value::str(p.sip_status.as_str())),
        LineField::LineStatus => Some(Value::str(p.line_status.as_str())),
        LineField::ExtStatus => Some(Value::str(p.extension_status.as_str())),
        LineField::CallStatus => Some(Value::str(p.call_status.as_str())),
        LineField::EcInUse => Some(Value::Boolean(p.echo_canceller_in_use)),
        LineField::MessageWaiting => Some(Value::Boolean(p.message_waiting)),
        LineField::InReceived => u(st.incoming_received),
        LineField::InConnected => u(st.incoming_connected),
        LineField::InFailed => u(st.incoming_failed),
        LineField::InDropped => u(st.incoming_dropped),
        LineField::InTime => u(st.incoming_call_time_s),
        LineField::OutAttempted => u(st.outgoing_attempted),
        LineField::OutConnected => u(st.outgoing_connected),
        LineField::OutFailed => u(st.outgoing_failed),
        LineField::OutDropped => u(st.outgoing_dropped),
        LineField::OutTime => u(st.outgoing_call_time_s),
        LineField::RtpPacketsReceived => u(st.rtp_packets_received),
        LineField::RtpPacketsSent => u(st.rtp_packets_sent),
        LineField::RtpPacketsLost => u(st.rtp_packets_lost),
        LineField::RtpBytesSent => u(st.rtp_bytes_sent),
        LineField::RtpBytesReceived => u(st.rtp_bytes_received),
        LineField::DspOverruns => u(st.dsp_overruns),
        LineField::DspUnderruns => u(st.dsp_underruns),
        LineField::CallsDropped => u(st.incoming_dropped.wrapping_add(st.outgoing_dropped)),
        LineField::TotalCallTime => u(st
            .incoming_call_time_s
            .wrapping_add(st.outgoing_call_time_s)),
        LineField::FaxSent => u(p.fax.sent),
        LineField::FaxReceived => u(p.fax.received),
        LineField::FaxFailed => u(p.fax.failed),
        LineField::FaxPages => u(p.fax.pages),
        LineField::FaxPassThrough => u(p.fax.passthrough),
        LineField::FaxMalformed => u(p.fax.malformed),
    }
}

fn get_tone(f: ToneField, env: &Env<'_>, ctx: &Ctx) -> Option<Value> {
    let i = ctx.item?;
    match f {
        ToneField::Name | ToneField::Function => {
            let t = env.live.tones.get(i)?;
            if f == ToneField::Function {
                return Some(Value::str(t.function.as_str()));
            }
            let region = Field::Region.get(env, ctx)?;
            Some(Value::String(format!("{} {region}", t.function.as_str())))
        }
        _ => {
            let (tone, step) = *env.patterns.get(i)?;
            let t = env.live.tones.get(tone)?;
            let st = t
                .cadence
                .get(step)
                .copied()
                .unwrap_or(crate::live::CadenceStep {
                    on: true,
                    duration_ms: 0,
                });
            let freq = |k: usize| t.frequencies.get(k).copied().unwrap_or_default();
            Some(match f {
                ToneField::On => Value::Boolean(st.on),
                ToneField::F1 => Value::UnsignedInt(freq(0).hz),
                ToneField::P1 => Value::Int(freq(0).power_tenth_dbm0),
                ToneField::F2 => Value::UnsignedInt(freq(1).hz),
                ToneField::P2 => Value::Int(freq(1).power_tenth_dbm0),
                ToneField::Modulation => Value::UnsignedInt(t.modulation_hz),
                _ => Value::UnsignedInt(st.duration_ms),
            })
        }
    }
}

/// One codec of a port in the issue 1 `Codec.List`: enabled or not, and its priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CodecSlot {
    pub codec: Codec,
    pub enabled: bool,
    /// 1 is the most preferred; disabled codecs come after the enabled ones.
    pub priority: u32,
    /// Tie-break: the order before this request.
    pub seq: usize,
    /// Its priority was written in this request (it wins a tie).
    pub written: bool,
}

/// The slots of a port's codecs over the table's codecs.
pub(crate) fn codec_slots(port_codecs: &[Codec], table: &[Codec]) -> Vec<CodecSlot> {
    let enabled: Vec<Codec> = port_codecs
        .iter()
        .copied()
        .filter(|c| table.contains(c))
        .collect();
    let mut slots: Vec<CodecSlot> = enabled
        .iter()
        .enumerate()
        .map(|(k, &codec)| CodecSlot {
            codec,
            enabled: true,
            priority: k as u32 + 1,
            seq: k,
            written: false,
        })
        .collect();
    for &codec in table {
        if !enabled.contains(&codec) {
            let k = slots.len();
            slots.push(CodecSlot {
                codec,
                enabled: false,
                priority: k as u32 + 1,
                seq: k,
                written: false,
            });
        }
    }
    slots
}

/// A call forward being edited: the configuration holds the target only while the
/// forward is enabled, the CWMP state keeps it while disabled.
#[derive(Debug, Clone)]
pub(crate) struct FwdSlot {
    pub enabled: bool,
    pub number: String,
    /// The parameter that enabled it (for the fault when there is no number).
    pub enable_param: Option<String>,
}

/// A configuration and CWMP state being changed by one SetParameterValues, with the
/// fields that several parameters build together.
#[derive(Debug)]
pub(crate) struct Draft {
    pub config: GatewayConfig,
    pub state: CwmpState,
    pub forwards: BTreeMap<(usize, FwdKind), FwdSlot>,
    pub codecs: BTreeMap<usize, Vec<CodecSlot>>,
    /// The server list being edited (host as stored, port).
    pub servers: Option<Vec<(String, Option<u16>)>>,
    /// A server port written while the list is empty, with the parameter that wrote it.
    pub pending_port: Option<(u16, String)>,
}

impl Draft {
    pub(crate) fn new(config: &GatewayConfig, state: &CwmpState) -> Self {
        Self {
            config: config.clone(),
            state: state.clone(),
            forwards: BTreeMap::new(),
            codecs: BTreeMap::new(),
            servers: None,
            pending_port: None,
        }
    }

    fn servers(&mut self) -> &mut Vec<(String, Option<u16>)> {
        let current = &self.config.sip.servers;
        self.servers
            .get_or_insert_with(|| current.iter().map(|s| split_server(s)).collect())
    }

    fn port_mut(&mut self, ctx: &Ctx) -> Result<&mut Port, ParamFault> {
        let p = ctx
            .port
            .ok_or_else(|| ParamFault::new(crate::FaultCode::InternalError, "no port"))?;
        self.config
            .ports
            .get_mut(p)
            .ok_or_else(|| ParamFault::name(format!("there is no port {}", p + 1)))
    }

    fn cwmp_mut(&mut self) -> &mut Cwmp {
        self.config.management.cwmp.get_or_insert_with(|| Cwmp {
            acs_url: String::new(),
            username: None,
            password: None,
            periodic_inform_interval_s: 3600,
        })
    }

    fn port_state(&mut self, p: usize) -> &mut PortState {
        if self.state.ports.len() <= p {
            self.state.ports.resize(p + 1, PortState::default());
        }
        &mut self.state.ports[p]
    }

    /// Write the fields built by several parameters back; faults name the parameter.
    pub(crate) fn finish(&mut self) -> Vec<(String, ParamFault)> {
        let mut faults = Vec::new();
        let forwards = std::mem::take(&mut self.forwards);
        for ((p, kind), slot) in forwards {
            if slot.enabled && slot.number.is_empty() {
                if let Some(name) = slot.enable_param.clone() {
                    faults.push((
                        name,
                        ParamFault::value("a forward needs its number (CallForward...Number)"),
                    ));
                }
                continue;
            }
            let (active, parked) = if slot.enabled {
                (Some(slot.number), None)
            } else {
                (None, opt(&slot.number))
            };
            if let Some(port) = self.config.ports.get_mut(p) {
                let fw = &mut port.features.forward;
                match kind {
                    FwdKind::All => fw.all = active,
                    FwdKind::Busy => fw.busy = active,
                    FwdKind::NoAnswer => fw.no_answer = active,
                }
            }
            let ps = self.port_state(p);
            match kind {
                FwdKind::All => ps.forward_all = parked,
                FwdKind::Busy => ps.forward_busy = parked,
                FwdKind::NoAnswer => ps.forward_no_answer = parked,
            }
        }
        // Drop an all-default tail of per-port state.
        while self.state.ports.last() == Some(&PortState::default()) {
            self.state.ports.pop();
        }
        let codecs = std::mem::take(&mut self.codecs);
        for (p, mut slots) in codecs {
            if let Some(port) = self.config.ports.get_mut(p) {
                slots.sort_by_key(|s| (s.priority, !s.written, s.seq));
                let others: Vec<Codec> = port
                    .codecs
                    .iter()
                    .copied()
                    .filter(|c| !slots.iter().any(|s| s.codec == *c))
                    .collect();
                port.codecs = slots
                    .iter()
                    .filter(|s| s.enabled)
                    .map(|s| s.codec)
                    .chain(others)
                    .collect();
            }
        }
        if let Some(mut servers) = self.servers.take() {
            if let Some((port, name)) = self.pending_port.take() {
                match servers.first_mut() {
                    Some(first) => first.1 = (port != 0).then_some(port),
                    None if port == 0 => {}
                    None => faults.push((
                        name,
                        ParamFault::value("a server port needs a server (ProxyServer)"),
                    )),
                }
            }
            self.config.sip.servers = servers.iter().map(|(h, p)| join_server(h, *p)).collect();
        }
        faults
    }
}

impl Field {
    /// Write `v` (the field's value, after the view) into the draft.
    pub(crate) fn set(
        self,
        d: &mut Draft,
        env: &Env<'_>,
        ctx: &Ctx,
        v: Value,
        param: &str,
    ) -> Result<(), ParamFault> {
        match self {
            Field::State(f) => {
                let st = &mut d.state;
                match f {
                    StateField::ProvisioningCode => st.provisioning_code = text(&v)?.into(),
                    StateField::PeriodicInformEnable => st.periodic_inform_enable = flag(&v)?,
                    StateField::PeriodicInformTime => st.periodic_inform_time = text(&v)?.into(),
                    StateField::CrUsername => st.connection_request_username = text(&v)?.into(),
                    StateField::CrPassword => {
                        st.connection_request_password = Secret::new(text(&v)?)
                    }
                    StateField::UpgradesManaged => st.upgrades_managed = flag(&v)?,
                    StateField::Throttle => st.default_active_notification_throttle = uint(&v)?,
                    StateField::RetryMin => st.cwmp_retry_minimum_wait_interval = uint(&v)?,
                    StateField::RetryMult => st.cwmp_retry_interval_multiplier = uint(&v)?,
                    StateField::StunEnable => st.stun_enable = flag(&v)?,
                    StateField::StunServer => st.stun_server_address = text(&v)?.into(),
                    StateField::StunPort => st.stun_server_port = uint(&v)?,
                    StateField::StunUsername => st.stun_username = text(&v)?.into(),
                    StateField::StunPassword => st.stun_password = Secret::new(text(&v)?),
                    StateField::NtpEnable => st.ntp_enable = flag(&v)?,
                    StateField::Ntp1 => st.ntp_server1 = text(&v)?.into(),
                    StateField::Ntp2 => st.ntp_server2 = text(&v)?.into(),
                    StateField::ProviderName => st.service_provider_name = text(&v)?.into(),
                    StateField::ParameterKey => {
                        return Err(ParamFault::not_writable(
                            "ParameterKey is set by the CWMP session",
                        ))
                    }
                }
            }
            Field::Cwmp(f) => {
                let c = d.cwmp_mut();
                match f {
                    CwmpField::Url => c.acs_url = text(&v)?.into(),
                    CwmpField::Username => c.username = opt(text(&v)?),
                    CwmpField::Password => c.password = opt(text(&v)?).map(Secret::new),
                    CwmpField::Interval => c.periodic_inform_interval_s = uint(&v)?,
                }
            }
            Field::TimeZone => d.config.device.time_zone = opt(text(&v)?),
            Field::Region => {
                let r = text(&v)?.to_ascii_uppercase();
                let country = REGIONS
                    .iter()
                    .find(|(_, iso)| *iso == r)
                    .map(|(c, _)| c.to_string())
                    .unwrap_or_else(|| {
                        if r == "UK" {
                            "uk".into()
                        } else {
                            r.to_ascii_lowercase()
                        }
                    });
                d.config.device.country = country;
            }
            Field::Sip(f) => set_sip(f, d, env, v, param)?,
            Field::Port(f) => set_port(f, d, env, ctx, v)?,
            Field::Profile(f) => {
                for p in 0..d.config.ports.len() {
                    let c = Ctx {
                        port: Some(p),
                        ..Ctx::default()
                    };
                    let pf = match f {
                        ProfileField::Dtmf => PortField::Dtmf,
                        ProfileField::FaxPassThrough => PortField::FaxPassThrough,
                        ProfileField::DialPlan => PortField::DialPlan,
                        _ => return Err(ParamFault::not_writable("derived from the digit map")),
                    };
                    set_port(pf, d, env, &c, v.clone())?;
                }
            }
            Field::Forward(kind, part) => {
                let p = ctx
                    .port
                    .ok_or_else(|| ParamFault::new(crate::FaultCode::InternalError, "no port"))?;
                let slot = d.forwards.entry((p, kind)).or_insert_with(|| FwdSlot {
                    enabled: Field::Forward(kind, FwdPart::Enable)
                        .get(env, ctx)
                        .and_then(|v| v.as_bool())
                        .unwrap_or(false),
                    number: Field::Forward(kind, FwdPart::Number)
                        .get(env, ctx)
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                    enable_param: None,
                });
                {
                    match part {
                        FwdPart::Enable => {
                            slot.enabled = flag(&v)?;
                            slot.enable_param = Some(param.to_string());
                        }
                        FwdPart::Number => slot.number = text(&v)?.trim().to_string(),
                    }
                }
            }
            Field::PortCodec(f) => {
                let p = ctx
                    .port
                    .ok_or_else(|| ParamFault::new(crate::FaultCode::InternalError, "no port"))?;
                let codec = *ctx
                    .item
                    .and_then(|i| env.codecs.get(i))
                    .ok_or_else(|| ParamFault::name("no such codec"))?;
                let slots = codec_slots_mut(d, env, p);
                if let Some(slot) = slots.iter_mut().find(|s| s.codec == codec) {
                    match f {
                        PortCodecField::Enable => slot.enabled = flag(&v)?,
                        PortCodecField::Priority => {
                            slot.priority = uint(&v)?;
                            slot.written = true;
                        }
                    }
                }
            }
            _ => return Err(ParamFault::not_writable("read-only")),
        }
        Ok(())
    }
}

fn codec_slots_mut<'d>(d: &'d mut Draft, env: &Env<'_>, p: usize) -> &'d mut Vec<CodecSlot> {
    let current = d
        .config
        .ports
        .get(p)
        .map(|x| x.codecs.clone())
        .unwrap_or_default();
    d.codecs
        .entry(p)
        .or_insert_with(|| codec_slots(&current, &env.codecs))
}

fn set_sip(
    f: SipField,
    d: &mut Draft,
    env: &Env<'_>,
    v: Value,
    param: &str,
) -> Result<(), ParamFault> {
    let _ = env;
    match f {
        SipField::ServerHost => {
            let host = text(&v)?.trim().to_string();
            let servers = d.servers();
            if host.is_empty() {
                servers.clear();
            } else if let Some(first) = servers.first_mut() {
                first.0 = host_stored(&host);
            } else {
                servers.push((host_stored(&host), None));
            }
        }
        SipField::ServerPort => {
            let port =
                u16::try_from(uint(&v)?).map_err(|_| ParamFault::value("a port is 0..=65535"))?;
            let servers = d.servers();
            match servers.first_mut() {
                Some(first) => first.1 = (port != 0).then_some(port),
                None => d.pending_port = Some((port, param.to_string())),
            }
        }
        SipField::Servers => {
            let list = text(&v)?;
            let servers: Vec<(String, Option<u16>)> = list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(split_server)
                .collect();
            *d.servers() = servers;
        }
        SipField::Transport => {
            d.config.sip.transport = match text(&v)? {
                "UDP" => Transport::Udp,
                "TCP" => Transport::Tcp,
                "TLS" => Transport::Tls,
                other => {
                    return Err(ParamFault::value(format!(
                        "`{}`: UDP, TCP or TLS (SCTP is not supported)",
                        shown(other)
                    )))
                }
            }
        }
        SipField::Domain => d.config.sip.domain = text(&v)?.trim().into(),
        SipField::ListenPort => {
            let port =
                u16::try_from(uint(&v)?).map_err(|_| ParamFault::value("a port is 0..=65535"))?;
            let mut addr: SocketAddr = d
                .config
                .sip
                .listen
                .parse()
                .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 5060)));
            addr.set_port(port);
            d.config.sip.listen = addr.to_string();
        }
        SipField::Expires => d.config.sip.registration_expiry_s = uint(&v)?,
        SipField::Register => d.config.sip.register = flag(&v)?,
        SipField::Mwi => d.config.sip.mwi_subscribe = flag(&v)?,
        SipField::RtpMin => {
            d.config.sip.rtp_port_base =
                u16::try_from(uint(&v)?).map_err(|_| ParamFault::value("a port is 0..=65535"))?
        }
        SipField::SrtpEnable => {
            let on = flag(&v)?;
            let s = &mut d.config.sip.srtp;
            *s = match (on, *s) {
                (false, _) => SrtpPolicy::Off,
                (true, SrtpPolicy::Off) => SrtpPolicy::Optional,
                (true, other) => other,
            };
        }
        SipField::SrtpPolicy => {
            d.config.sip.srtp = match text(&v)? {
                "Off" => SrtpPolicy::Off,
                "Optional" => SrtpPolicy::Optional,
                "Mandatory" => SrtpPolicy::Mandatory,
                _ => return Err(ParamFault::value("Off, Optional or Mandatory")),
            }
        }
        SipField::RtpMax => return Err(ParamFault::not_writable("derived from LocalPortMin")),
    }
    Ok(())
}

fn set_port(
    f: PortField,
    d: &mut Draft,
    env: &Env<'_>,
    ctx: &Ctx,
    v: Value,
) -> Result<(), ParamFault> {
    if f == PortField::CodecList {
        let p = ctx
            .port
            .ok_or_else(|| ParamFault::new(crate::FaultCode::InternalError, "no port"))?;
        let mut chosen: Vec<Codec> = Vec::new();
        for item in text(&v)?
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let n = item
                .trim_end_matches('.')
                .strip_prefix(VS)
                .and_then(|r| r.strip_prefix("CodecProfile."))
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| *n >= 1 && *n <= env.codecs.len())
                .ok_or_else(|| {
                    ParamFault::value(format!(
                        "`{}` is not a {VS}CodecProfile.N reference",
                        shown(item)
                    ))
                })?;
            let codec = env.codecs[n - 1];
            if chosen.contains(&codec) {
                return Err(ParamFault::value(format!(
                    "`{}` is listed twice",
                    shown(item)
                )));
            }
            chosen.push(codec);
        }
        let slots = codec_slots_mut(d, env, p);
        for s in slots.iter_mut() {
            match chosen.iter().position(|c| *c == s.codec) {
                Some(k) => {
                    s.enabled = true;
                    s.priority = k as u32 + 1;
                    s.written = true;
                }
                None => {
                    s.enabled = false;
                    s.priority = 1000 + s.seq as u32;
                }
            }
        }
        return Ok(());
    }
    let port = d.port_mut(ctx)?;
    match f {
        PortField::Enabled => port.enabled = flag(&v)?,
        PortField::Extension => port.extension = text(&v)?.trim().into(),
        PortField::DisplayName => port.display_name = opt(text(&v)?),
        PortField::AuthUser => {
            // Writing the effective value (the extension when none is set) changes nothing.
            let t = text(&v)?;
            if port.auth_user() != t {
                port.auth_user = opt(t);
            }
        }
        PortField::Password => port.password = opt(text(&v)?).map(Secret::new),
        PortField::GainTx => port.gain_tx_db = int(&v)?,
        PortField::GainRx => port.gain_rx_db = int(&v)?,
        PortField::EcEnable => {
            let on = flag(&v)?;
            if !on {
                port.echo_tail_ms = 0;
            } else if port.echo_tail_ms == 0 {
                port.echo_tail_ms = 64;
            }
        }
        PortField::DialPlan => port.dial_plan = text(&v)?.into(),
        PortField::Clir => port.features.caller_id_block = flag(&v)?,
        PortField::CallWaiting => port.features.call_waiting = flag(&v)?,
        PortField::Acr => port.features.anonymous_rejection = flag(&v)?,
        PortField::Dnd => port.features.dnd = flag(&v)?,
        PortField::NaTimeout => port.features.forward.no_answer_timeout_s = uint(&v)?,
        PortField::Dtmf => {
            let t = text(&v)?;
            port.dtmf = match t {
                "RFC4733" => DtmfMethod::Rfc4733,
                "InBand" => DtmfMethod::Inband,
                "SIPInfo" => DtmfMethod::Info,
                _ if t.contains(',') => return Err(ParamFault::value("one DTMF method per port")),
                _ => return Err(ParamFault::value("InBand, RFC4733 or SIPInfo")),
            }
        }
        PortField::T38Enable => port.fax.t38_enable = flag(&v)?,
        PortField::FaxPassThrough => {
            port.fax.passthrough = match text(&v)? {
                "Disable" => FaxPassThrough::Disable,
                "Auto" => FaxPassThrough::Auto,
                "Force" => FaxPassThrough::Force,
                other => {
                    return Err(ParamFault::value(format!(
                        "`{}`: Disable, Auto or Force",
                        shown(other)
                    )))
                }
            }
        }
        // The modem rates are checked by the configuration's validation (9007 there).
        PortField::T38MaxBitRate => port.fax.t38.max_bit_rate = uint(&v)?,
        PortField::T38HighSpeedRedundancy => {
            port.fax.t38.high_speed_redundancy =
                u8::try_from(uint(&v)?).map_err(|_| ParamFault::value("0..=3"))?
        }
        PortField::T38LowSpeedRedundancy => {
            port.fax.t38.low_speed_redundancy =
                u8::try_from(uint(&v)?).map_err(|_| ParamFault::value("0..=5"))?
        }
        PortField::T38Tcf => {
            port.fax.t38.tcf = match text(&v)? {
                "Local" => TcfMethod::Local,
                "Network" => TcfMethod::Network,
                other => {
                    return Err(ParamFault::value(format!(
                        "`{}`: Local or Network",
                        shown(other)
                    )))
                }
            }
        }
        // -1 (no redundancy) and 0 (RFC 2198 with no earlier packet) both send none.
        PortField::FaxModemRedundancy => {
            port.fax.passthrough_redundancy = match int(&v)? {
                -1 | 0 => 0,
                n @ 1..=5 => n as u8,
                _ => return Err(ParamFault::value("-1..=5")),
            }
        }
        _ => return Err(ParamFault::not_writable("read-only")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::{CallStatus, ClientStatus};

    /// TR-104 `NumberingPlan.MinimumNumberOfDigits` / `MaximumNumberOfDigits` from a digit
    /// map in `tipring-line`'s syntax.
    #[test]
    fn digit_counts_of_digit_maps() {
        assert_eq!(digit_counts("{ 1xx | [2-9]xxxxxx | *xx }"), (3, 7));
        assert_eq!(digit_counts(tipring_config::DEFAULT_DIAL_PLAN), (1, 32));
        assert_eq!(digit_counts("{ 911 | 0T | 00! }"), (1, 3));
        assert_eq!(digit_counts("( <9:>xxxxxxx | 1x.T )"), (1, 32));
        assert_eq!(digit_counts("{ <9:>xxxxxxx }"), (8, 8));
        assert_eq!(digit_counts(""), (1, 32));
    }

    #[test]
    fn servers_split_and_join() {
        assert_eq!(
            split_server("pbx.example.net"),
            ("pbx.example.net".into(), None)
        );
        assert_eq!(
            split_server("10.0.0.1:5070"),
            ("10.0.0.1".into(), Some(5070))
        );
        assert_eq!(
            split_server("[2001:db8::1]:5061"),
            ("[2001:db8::1]".into(), Some(5061))
        );
        assert_eq!(
            split_server("[2001:db8::1]"),
            ("[2001:db8::1]".into(), None)
        );
        assert_eq!(host_shown("[2001:db8::1]"), "2001:db8::1");
        assert_eq!(host_stored("2001:db8::1"), "[2001:db8::1]");
        assert_eq!(join_server("[::1]", Some(5060)), "[::1]:5060");
        // A bad port keeps the entry whole, so validation sees (and refuses) it.
        for bad in ["[::1]:99999", "h.example:99999", "h.example:x", "[::1]x"] {
            let (h, p) = split_server(bad);
            assert_eq!(join_server(&h, p), bad);
        }
    }

    /// TR-104 issue 1 vs issue 2 encodings of the same values.
    #[test]
    fn views_convert_both_ways() {
        assert_eq!(View::Tenth.read(Value::Int(-3)), Value::Int(-30));
        assert_eq!(View::Tenth.write(Value::Int(60)).unwrap(), Value::Int(6));
        assert!(View::Tenth.write(Value::Int(15)).is_err());
        assert_eq!(
            View::Rings.read(Value::UnsignedInt(20)),
            Value::UnsignedInt(4)
        );
        assert_eq!(
            View::Rings.write(Value::UnsignedInt(4)).unwrap(),
            Value::UnsignedInt(24)
        );
        assert_eq!(
            View::V1Dtmf.read(Value::str("RFC4733")),
            Value::str("RFC2833")
        );
        assert_eq!(
            View::V1Dtmf.write(Value::str("RFC2833")).unwrap(),
            Value::str("RFC4733")
        );
        assert_eq!(
            View::V1Enable.read(Value::Boolean(false)),
            Value::str("Disabled")
        );
        assert!(View::V1Enable.write(Value::str("Quiescent")).is_err());
        assert_eq!(
            View::V1Status.read(Value::str(ClientStatus::ErrorNetwork.as_str())),
            Value::str("Error")
        );
        assert_eq!(
            View::V1Call.read(Value::str(CallStatus::Alerting.as_str())),
            Value::str("Ringing")
        );
        assert_eq!(
            View::RegMode.read(Value::Boolean(false)),
            Value::str("STATIC")
        );
        assert!(View::RegMode.write(Value::str("TISPAN")).is_err());
    }

    #[test]
    fn codec_slots_put_disabled_codecs_last() {
        let table = [Codec::Pcmu, Codec::Pcma, Codec::G722, Codec::G729];
        let slots = codec_slots(&[Codec::G722, Codec::Opus, Codec::Pcmu], &table);
        let view: Vec<_> = slots
            .iter()
            .map(|s| (s.codec, s.enabled, s.priority))
            .collect();
        assert_eq!(
            view,
            [
                (Codec::G722, true, 1),
                (Codec::Pcmu, true, 2),
                (Codec::Pcma, false, 3),
                (Codec::G729, false, 4)
            ]
        );
    }
}

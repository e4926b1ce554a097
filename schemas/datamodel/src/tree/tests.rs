//! Tests of the tree: each group of parameters read and written, SetParameterValues
//! atomicity and faults (TR-069 Amendment 6 §A.3.2.1), GetParameterNames (§A.3.2.3),
//! attributes (§A.3.2.4/§A.3.2.5), AddObject/DeleteObject (§A.3.2.6/§A.3.2.7), the TR-104
//! issue 1 aliases.

use tipring_config::{Codec, Cwmp, DtmfMethod, GatewayConfig, Secret, SrtpPolicy, Transport};

use super::*;
use crate::live::{
    CadenceStep, CallDirection, CallRecord, CallStatus, ClientStatus, EthernetInterface,
    FirmwareImage, FirmwareStatus, InterfaceStatus, IpInterface, Ipv4Address, LineStats, PortLive,
    Tone, ToneFrequency, ToneFunction, VendorLogFile,
};
use crate::schema::Standard;
use crate::FaultCode;

const VS: &str = "Device.Services.VoiceService.1.";

/// A valid configuration with `ports` ports, passwords, a TR-069 client and values that
/// the TR-104 encodings show exactly (RTP base set, a no-answer timeout of whole rings).
fn config(ports: usize) -> GatewayConfig {
    let mut c = GatewayConfig::example(ports);
    for (i, p) in c.ports.iter_mut().enumerate() {
        p.password = Some(Secret::new(format!("pw-{i}-s3cret")));
        p.features.forward.no_answer_timeout_s = 30;
    }
    c.sip.rtp_port_base = 16384;
    c.management.cwmp = Some(Cwmp {
        acs_url: "https://acs.example.net/cwmp".into(),
        username: Some("cpe-1".into()),
        password: Some(Secret::new("acs-s3cret")),
        periodic_inform_interval_s: 300,
    });
    c.validate().expect("the fixture is valid");
    c
}

fn live(ports: usize) -> LiveState {
    LiveState {
        uptime_s: 1234,
        first_use_date: Some("2024-05-01T10:00:00Z".into()),
        connection_request_url: "http://192.0.2.10:7547/cr".into(),
        firmware_images: vec![
            FirmwareImage {
                name: "slot-a".into(),
                version: "1.2.0".into(),
                available: true,
                status: FirmwareStatus::Active,
                boot_failure_log: String::new(),
            },
            FirmwareImage {
                name: "slot-b".into(),
                version: "1.1.0".into(),
                available: true,
                status: FirmwareStatus::Available,
                boot_failure_log: String::new(),
            },
        ],
        active_firmware_image: Some(1),
        boot_firmware_image: Some(1),
        vendor_log_files: vec![VendorLogFile {
            name: "agent.log".into(),
            maximum_size: 1 << 20,
            persistent: false,
        }],
        ip_interfaces: vec![IpInterface {
            enable: true,
            status: InterfaceStatus::Up,
            name: "eth0".into(),
            ipv4: vec![Ipv4Address {
                enable: true,
                address: "192.0.2.10".into(),
                subnet_mask: "255.255.255.0".into(),
                addressing_type: crate::AddressingType::Dhcp,
            }],
            ..Default::default()
        }],
        ethernet_interfaces: vec![EthernetInterface {
            enable: true,
            status: InterfaceStatus::Up,
            name: "eth0".into(),
            mac_address: "02:00:00:00:00:01".into(),
            bytes_sent: 5_000_000_000,
            ..Default::default()
        }],
        sip_network_status: crate::NetworkStatus::Up,
        ports: (0..ports)
            .map(|i| PortLive {
                sip_status: if i == 0 {
                    ClientStatus::Up
                } else {
                    ClientStatus::ErrorRegistration
                },
                call_status: if i == 0 {
                    CallStatus::Alerting
                } else {
                    CallStatus::Idle
                },
                stats: LineStats {
                    incoming_received: 7,
                    incoming_dropped: 1,
                    outgoing_dropped: 2,
                    incoming_call_time_s: 60,
                    outgoing_call_time_s: 30,
                    rtp_packets_sent: 1000 + i as u32,
                    ..Default::default()
                },
                ..Default::default()
            })
            .collect(),
        tones: vec![
            Tone {
                function: ToneFunction::Dial,
                frequencies: vec![
                    ToneFrequency {
                        hz: 350,
                        power_tenth_dbm0: -130,
                    },
                    ToneFrequency {
                        hz: 440,
                        power_tenth_dbm0: -130,
                    },
                ],
                ..Default::default()
            },
            Tone {
                function: ToneFunction::Busy,
                frequencies: vec![
                    ToneFrequency {
                        hz: 480,
                        power_tenth_dbm0: -240,
                    },
                    ToneFrequency {
                        hz: 620,
                        power_tenth_dbm0: -240,
                    },
                ],
                modulation_hz: 0,
                cadence: vec![
                    CadenceStep {
                        on: true,
                        duration_ms: 500,
                    },
                    CadenceStep {
                        on: false,
                        duration_ms: 500,
                    },
                ],
                repeat: true,
            },
        ],
        call_log: vec![
            CallRecord {
                calling: "201".into(),
                called: "202".into(),
                line: 1,
                direction: CallDirection::Outgoing,
                start: "2026-11-27T10:00:00Z".into(),
                duration_s: 95,
                packets_received: 4750,
                packets_sent: 4751,
                packets_lost: 3,
                mean_jitter_ms: 2,
                max_jitter_ms: 9,
                mos_x100: Some(421),
                worst_mos_x100: Some(398),
            },
            CallRecord {
                calling: "sip:900@pbx.example.net".into(),
                called: "202".into(),
                line: 2,
                direction: CallDirection::Incoming,
                start: "2026-11-27T10:05:00Z".into(),
                duration_s: 4,
                mos_x100: None,
                ..Default::default()
            },
        ],
        ..Default::default()
    }
}

fn device() -> DeviceIdentity {
    DeviceIdentity {
        serial_number: "TR0001".into(),
        hardware_version: "sim-1".into(),
        software_version: "0.1.0".into(),
        ..DeviceIdentity::default()
    }
}

/// Everything a tree borrows.
struct Fx {
    config: GatewayConfig,
    state: CwmpState,
    live: LiveState,
    device: DeviceIdentity,
}

impl Fx {
    fn new(ports: usize) -> Self {
        Self {
            config: config(ports),
            state: CwmpState::default(),
            live: live(ports),
            device: device(),
        }
    }

    fn tree(&self) -> Tree<'_> {
        Tree::new(&self.config, &self.state, &self.live, &self.device)
    }

    /// Apply a successful set to the fixture.
    fn apply(&mut self, values: &[(&str, &str)]) {
        let a = set_ok(&self.tree(), values);
        self.config = a.config;
        self.state = a.state;
    }
}

fn get1(tree: &Tree<'_>, name: &str) -> Value {
    let v = tree
        .get(&[name.to_string()])
        .unwrap_or_else(|f| panic!("{name}: {f}"));
    assert_eq!(v.len(), 1);
    v.into_iter().next().map(|(_, v)| v).unwrap()
}

fn vs(rest: &str) -> String {
    format!("{VS}{rest}")
}

fn req(values: &[(&str, &str)]) -> Vec<(String, String, Option<ValueType>)> {
    values
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string(), None))
        .collect()
}

#[track_caller]
fn set_ok(tree: &Tree<'_>, values: &[(&str, &str)]) -> Applied {
    tree.set(&req(values)).unwrap_or_else(|f| panic!("{f:?}"))
}

#[track_caller]
fn set_err(tree: &Tree<'_>, values: &[(&str, &str)]) -> Vec<(String, ParamFault)> {
    match tree.set(&req(values)) {
        Ok(_) => panic!("the set must fail: {values:?}"),
        Err(f) => f,
    }
}

// ---- GetParameterValues, group by group ----

/// TR-181 `Device.DeviceInfo.` and `Device.RootDataModelVersion`.
#[test]
fn device_info_reads_identity_and_live_state() {
    let fx = Fx::new(2);
    let t = fx.tree();
    assert_eq!(get1(&t, "Device.RootDataModelVersion"), Value::str("2.17"));
    assert_eq!(
        get1(&t, "Device.DeviceInfo.SerialNumber"),
        Value::str("TR0001")
    );
    assert_eq!(
        get1(&t, "Device.DeviceInfo.SoftwareVersion"),
        Value::str("0.1.0")
    );
    assert_eq!(
        get1(&t, "Device.DeviceInfo.UpTime"),
        Value::UnsignedInt(1234)
    );
    assert_eq!(
        get1(&t, "Device.DeviceInfo.FirstUseDate"),
        Value::DateTime("2024-05-01T10:00:00Z".into())
    );
    assert_eq!(
        get1(&t, "Device.DeviceInfo.FirmwareImageNumberOfEntries"),
        Value::UnsignedInt(2)
    );
    assert_eq!(
        get1(&t, "Device.DeviceInfo.FirmwareImage.2.Version"),
        Value::str("1.1.0")
    );
    assert_eq!(
        get1(&t, "Device.DeviceInfo.FirmwareImage.1.Status"),
        Value::str("Active")
    );
    assert_eq!(
        get1(&t, "Device.DeviceInfo.ActiveFirmwareImage"),
        Value::str("Device.DeviceInfo.FirmwareImage.1")
    );
    assert_eq!(
        get1(&t, "Device.DeviceInfo.VendorLogFile.1.Name"),
        Value::str("agent.log")
    );
}

/// TR-181 `Device.ManagementServer.` from `management.cwmp` and the CWMP state.
#[test]
fn management_server_reads_config_and_state() {
    let fx = Fx::new(1);
    let t = fx.tree();
    assert_eq!(
        get1(&t, "Device.ManagementServer.URL"),
        Value::str("https://acs.example.net/cwmp")
    );
    assert_eq!(
        get1(&t, "Device.ManagementServer.Username"),
        Value::str("cpe-1")
    );
    assert_eq!(
        get1(&t, "Device.ManagementServer.PeriodicInformInterval"),
        Value::UnsignedInt(300)
    );
    assert_eq!(
        get1(&t, "Device.ManagementServer.PeriodicInformEnable"),
        Value::Boolean(true)
    );
    assert_eq!(
        get1(&t, "Device.ManagementServer.PeriodicInformTime"),
        Value::DateTime(UNKNOWN_TIME.into())
    );
    assert_eq!(
        get1(&t, "Device.ManagementServer.CWMPRetryMinimumWaitInterval"),
        Value::UnsignedInt(5)
    );
    assert_eq!(
        get1(&t, "Device.ManagementServer.CWMPRetryIntervalMultiplier"),
        Value::UnsignedInt(2000)
    );
    assert_eq!(
        get1(&t, "Device.ManagementServer.ConnectionRequestURL"),
        Value::str("http://192.0.2.10:7547/cr")
    );
    assert_eq!(
        get1(&t, "Device.ManagementServer.InstanceMode"),
        Value::str("InstanceNumber")
    );
    assert_eq!(
        get1(&t, "Device.ManagementServer.SupportedConnReqMethods"),
        Value::str("HTTP")
    );
}

/// TR-181 `Device.Time.`, `Device.IP.`, `Device.Ethernet.`.
#[test]
fn time_ip_and_ethernet() {
    let mut fx = Fx::new(1);
    fx.config.device.time_zone = Some("CET-1CEST,M3.5.0,M10.5.0/3".into());
    let t = fx.tree();
    assert_eq!(
        get1(&t, "Device.Time.LocalTimeZone"),
        Value::str("CET-1CEST,M3.5.0,M10.5.0/3")
    );
    assert_eq!(get1(&t, "Device.Time.Status"), Value::str("Disabled"));
    assert_eq!(
        get1(&t, "Device.Time.CurrentLocalTime"),
        Value::DateTime(UNKNOWN_TIME.into())
    );
    assert_eq!(
        get1(&t, "Device.IP.InterfaceNumberOfEntries"),
        Value::UnsignedInt(1)
    );
    assert_eq!(
        get1(&t, "Device.IP.Interface.1.IPv4Address.1.IPAddress"),
        Value::str("192.0.2.10")
    );
    assert_eq!(
        get1(&t, "Device.IP.Interface.1.IPv4Address.1.AddressingType"),
        Value::str("DHCP")
    );
    assert_eq!(
        get1(&t, "Device.Ethernet.Interface.1.MACAddress"),
        Value::str("02:00:00:00:00:01")
    );
    assert_eq!(
        get1(&t, "Device.Ethernet.Interface.1.MaxBitRate"),
        Value::Int(-1)
    );
    assert_eq!(
        get1(&t, "Device.Ethernet.Interface.1.Stats.BytesSent"),
        Value::UnsignedLong(5_000_000_000)
    );
    let e = t
        .get(&["Device.IP.Interface.1.IPv4Address.2.IPAddress".into()])
        .unwrap_err();
    assert_eq!(e.code, FaultCode::InvalidParameterName);
}

/// TR-104 issue 2: capabilities, POTS, SIP, CallControl, profiles, tones.
#[test]
fn voice_service_reads_every_group() {
    let fx = Fx::new(2);
    let t = fx.tree();
    assert_eq!(
        get1(&t, "Device.Services.VoiceServiceNumberOfEntries"),
        Value::UnsignedInt(1)
    );
    assert_eq!(get1(&t, &vs("Capabilities.MaxLineCount")), Value::Int(2));
    assert_eq!(get1(&t, &vs("Capabilities.MaxSessionCount")), Value::Int(4));
    // Opus is a codec TR-104 cannot name: 5 of the 6.
    assert_eq!(
        get1(&t, &vs("Capabilities.CodecNumberOfEntries")),
        Value::UnsignedInt(5)
    );
    assert_eq!(
        get1(&t, &vs("Capabilities.Codec.1.Codec")),
        Value::str("G.711MuLaw")
    );
    assert_eq!(
        get1(&t, &vs("Capabilities.Codec.4.BitRate")),
        Value::UnsignedInt(32_000)
    );
    assert_eq!(get1(&t, &vs("POTS.Region")), Value::str("US"));
    assert_eq!(get1(&t, &vs("POTS.FXS.2.Name")), Value::str("FXS2"));
    assert_eq!(
        get1(&t, &vs("POTS.FXS.1.VoiceProcessing.EchoCancellationTail")),
        Value::UnsignedInt(64)
    );
    assert_eq!(get1(&t, &vs("SIP.Client.1.Status")), Value::str("Up"));
    assert_eq!(
        get1(&t, &vs("SIP.Client.2.Status")),
        Value::str("Error_Registration")
    );
    assert_eq!(
        get1(&t, &vs("SIP.Client.2.AuthUserName")),
        Value::str("102")
    );
    assert_eq!(
        get1(&t, &vs("SIP.Client.2.RegisterURI")),
        Value::str("sip:102@tipring.local")
    );
    assert_eq!(
        get1(&t, &vs("SIP.Client.2.Network")),
        Value::str(vs("SIP.Network.2"))
    );
    assert_eq!(
        get1(&t, &vs("SIP.Network.2.ProxyServer")),
        Value::str("pbx.example.net")
    );
    assert_eq!(
        get1(&t, &vs("SIP.Network.2.ProxyServerPort")),
        Value::UnsignedInt(0)
    );
    assert_eq!(
        get1(&t, &vs("SIP.Network.1.UserAgentPort")),
        Value::UnsignedInt(5060)
    );
    assert_eq!(
        get1(&t, &vs("SIP.Network.1.RegisterExpires")),
        Value::UnsignedInt(3600)
    );
    assert_eq!(
        get1(&t, &vs("SIP.Network.1.CodecList")),
        Value::str(format!(
            "{VS}CodecProfile.1,{VS}CodecProfile.2,{VS}CodecProfile.3"
        ))
    );
    assert_eq!(
        get1(&t, &vs("CallControl.Line.1.CallStatus")),
        Value::str("Alerting")
    );
    assert_eq!(
        get1(&t, &vs("CallControl.Line.2.Stats.RTP.PacketsSent")),
        Value::UnsignedInt(1001)
    );
    assert_eq!(
        get1(
            &t,
            &vs("CallControl.Line.1.Stats.IncomingCalls.CallsReceived")
        ),
        Value::UnsignedInt(7)
    );
    assert_eq!(
        get1(&t, &vs("CallControl.Extension.2.Name")),
        Value::str("Port 2")
    );
    assert_eq!(
        get1(&t, &vs("CallControl.Extension.2.Provider")),
        Value::str(vs("POTS.FXS.2"))
    );
    assert_eq!(
        get1(&t, &vs("CallControl.NumberingPlan.1.InterDigitTimerStd")),
        Value::UnsignedInt(10_000)
    );
    assert_eq!(
        get1(&t, &vs("CallControl.NumberingPlan.1.MaximumNumberOfDigits")),
        Value::UnsignedInt(32)
    );
    assert_eq!(
        get1(
            &t,
            &vs("CallControl.CallingFeatures.Set.1.CallForwardOnNoAnswerRingTimeout")
        ),
        Value::UnsignedInt(30)
    );
    assert_eq!(
        get1(&t, &vs("VoIPProfile.1.DTMFMethod")),
        Value::str("RFC4733")
    );
    assert_eq!(
        get1(&t, &vs("VoIPProfile.1.RTP.LocalPortMin")),
        Value::UnsignedInt(16384)
    );
    assert_eq!(
        get1(&t, &vs("VoIPProfile.1.RTP.LocalPortMax")),
        Value::UnsignedInt(16387)
    );
    assert_eq!(
        get1(&t, &vs("VoIPProfile.1.RTP.TelephoneEventPayloadType")),
        Value::UnsignedInt(101)
    );
    assert_eq!(
        get1(&t, &vs("VoIPProfile.1.RTP.SRTP.Enable")),
        Value::Boolean(false)
    );
    assert_eq!(
        get1(&t, &vs("CodecProfile.3.Codec")),
        Value::str(vs("Capabilities.Codec.3"))
    );
    assert_eq!(get1(&t, &vs("CodecProfile.3.Enable")), Value::Boolean(true));
    assert_eq!(
        get1(&t, &vs("CodecProfile.5.Enable")),
        Value::Boolean(false)
    );
}

/// TR-104 issue 2 `Tone.`: one description per tone, one pattern per cadence step, the
/// last step of a repeating cadence pointing back at its first.
#[test]
fn tones_reflect_the_tone_plan() {
    let fx = Fx::new(1);
    let t = fx.tree();
    assert_eq!(
        get1(&t, &vs("Tone.DescriptionNumberOfEntries")),
        Value::UnsignedInt(2)
    );
    assert_eq!(
        get1(&t, &vs("Tone.PatternNumberOfEntries")),
        Value::UnsignedInt(3)
    );
    assert_eq!(
        get1(&t, &vs("Tone.Description.1.ToneName")),
        Value::str("Dial US")
    );
    assert_eq!(
        get1(&t, &vs("Tone.Description.2.TonePattern")),
        Value::str(vs("Tone.Pattern.2"))
    );
    assert_eq!(
        get1(&t, &vs("Tone.Pattern.1.Duration")),
        Value::UnsignedInt(0)
    );
    assert_eq!(get1(&t, &vs("Tone.Pattern.1.NextPattern")), Value::str(""));
    assert_eq!(
        get1(&t, &vs("Tone.Pattern.2.Frequency2")),
        Value::UnsignedInt(620)
    );
    assert_eq!(get1(&t, &vs("Tone.Pattern.2.Power1")), Value::Int(-240));
    assert_eq!(
        get1(&t, &vs("Tone.Pattern.2.NextPattern")),
        Value::str(vs("Tone.Pattern.3"))
    );
    assert_eq!(
        get1(&t, &vs("Tone.Pattern.3.ToneOn")),
        Value::Boolean(false)
    );
    assert_eq!(
        get1(&t, &vs("Tone.Pattern.3.NextPattern")),
        Value::str(vs("Tone.Pattern.2"))
    );
    assert_eq!(
        get1(&t, &vs("Tone.EventProfile.1.Event.2.Function")),
        Value::str("Busy")
    );
    assert_eq!(
        get1(&t, &vs("Tone.EventProfile.1.Event.2.Tone")),
        Value::str(vs("Tone.Description.2"))
    );
}

/// TR-104 issue 1 names read the same values as their issue 2 counterparts.
#[test]
fn issue1_names_read_the_same_values() {
    let fx = Fx::new(2);
    let t = fx.tree();
    let pairs = [
        (
            "VoiceProfile.1.Line.2.DirectoryNumber",
            "CallControl.Line.2.DirectoryNumber",
        ),
        (
            "VoiceProfile.1.Line.2.SIP.AuthUserName",
            "SIP.Client.2.AuthUserName",
        ),
        (
            "VoiceProfile.1.SIP.ProxyServer",
            "SIP.Network.1.ProxyServer",
        ),
        (
            "VoiceProfile.1.SIP.RegisterExpires",
            "SIP.Network.1.RegisterExpires",
        ),
        (
            "VoiceProfile.1.RTP.LocalPortMin",
            "VoIPProfile.1.RTP.LocalPortMin",
        ),
        ("VoiceProfile.1.Region", "POTS.Region"),
        (
            "VoiceProfile.1.Line.1.VoiceProcessing.EchoCancellationEnable",
            "POTS.FXS.1.VoiceProcessing.EchoCancellationEnable",
        ),
        (
            "VoiceProfile.1.Line.1.CallingFeatures.CallWaitingEnable",
            "CallControl.CallingFeatures.Set.1.CallWaitingEnable",
        ),
        (
            "VoiceProfile.1.Line.2.Stats.PacketsSent",
            "CallControl.Line.2.Stats.RTP.PacketsSent",
        ),
        (
            "VoiceProfile.1.Line.1.CallingFeatures.CallerIDName",
            "CallControl.Extension.1.Name",
        ),
    ];
    for (v1, v2) in pairs {
        assert_eq!(get1(&t, &vs(v1)), get1(&t, &vs(v2)), "{v1} vs {v2}");
    }
    assert_eq!(
        get1(&t, &vs("VoiceProfile.1.DTMFMethod")),
        Value::str("RFC2833")
    );
    assert_eq!(
        get1(&t, &vs("VoiceProfile.1.Line.1.Enable")),
        Value::str("Enabled")
    );
    assert_eq!(
        get1(&t, &vs("VoiceProfile.1.Line.1.CallState")),
        Value::str("Ringing")
    );
    assert_eq!(
        get1(&t, &vs("VoiceProfile.1.Line.2.Status")),
        Value::str("Error")
    );
    assert_eq!(
        get1(&t, &vs("VoiceProfile.1.Line.1.Stats.CallsDropped")),
        Value::UnsignedInt(3)
    );
    assert_eq!(
        get1(&t, &vs("VoiceProfile.1.Line.1.Stats.TotalCallTime")),
        Value::UnsignedInt(90)
    );
    assert_eq!(
        get1(
            &t,
            &vs("VoiceProfile.1.Line.1.CallingFeatures.CallForwardOnNoAnswerRingCount")
        ),
        Value::UnsignedInt(5)
    );
    assert_eq!(
        get1(
            &t,
            &vs("VoiceProfile.1.Line.1.VoiceProcessing.TransmitGain")
        ),
        Value::Int(0)
    );
    assert_eq!(
        get1(&t, &vs("VoiceProfile.1.Line.1.Codec.List.3.Codec")),
        Value::str("G.722")
    );
    assert_eq!(
        get1(&t, &vs("VoiceProfile.1.Line.1.Codec.List.3.Priority")),
        Value::UnsignedInt(3)
    );
    assert_eq!(
        get1(&t, &vs("VoiceProfile.1.Line.1.Codec.List.5.Enable")),
        Value::Boolean(false)
    );
}

/// TR-098 `InternetGatewayDevice.Services.VoiceService.` reaches the issue 1 profile
/// only; answers keep the name as asked.
#[test]
fn igd_root_aliases_the_issue1_profile() {
    let fx = Fx::new(1);
    let t = fx.tree();
    let name =
        "InternetGatewayDevice.Services.VoiceService.1.VoiceProfile.1.Line.1.DirectoryNumber";
    assert_eq!(get1(&t, name), Value::str("101"));
    let all = t
        .get(&["InternetGatewayDevice.Services.VoiceService.1.VoiceProfile.1.SIP.".into()])
        .unwrap();
    assert!(all
        .iter()
        .all(|(n, _)| n.starts_with("InternetGatewayDevice.")));
    assert!(all.len() > 10);
    let e = t
        .get(&["InternetGatewayDevice.Services.VoiceService.1.POTS.Region".into()])
        .unwrap_err();
    assert_eq!(e.code, FaultCode::InvalidParameterName);
    let a = set_ok(&t, &[(name, "555")]);
    assert_eq!(a.config.ports[0].extension, "555");
}

/// Password-type parameters read as "" (TR-181 `hidden`, TR-104 `secured`), and no
/// secret of the fixture appears anywhere in a full read.
#[test]
fn secrets_read_as_empty() {
    let mut fx = Fx::new(2);
    fx.state.connection_request_password = Secret::new("cr-s3cret");
    fx.state.stun_password = Secret::new("stun-s3cret");
    let t = fx.tree();
    for name in [
        "Device.ManagementServer.Password".to_string(),
        "Device.ManagementServer.ConnectionRequestPassword".to_string(),
        "Device.ManagementServer.STUNPassword".to_string(),
        vs("SIP.Client.1.AuthPassword"),
        vs("VoiceProfile.1.Line.2.SIP.AuthPassword"),
    ] {
        assert_eq!(get1(&t, &name), Value::str(""), "{name}");
    }
    let all = t.get(&["Device.".into()]).unwrap();
    for (n, v) in &all {
        assert!(!v.to_string().contains("s3cret"), "{n} shows a secret");
    }
    let secret_params = definitions().params().iter().filter(|p| p.secret).count();
    assert_eq!(secret_params, 5);
}

/// A full read of `Device.` on an 8-port gateway: well over 500 parameters, every value of
/// its parameter's type, and in a form that parses back under that type.
#[test]
fn a_full_get_of_device_returns_500_plus_typed_values() {
    let fx = Fx::new(8);
    let t = fx.tree();
    let all = t.get(&[String::new()]).unwrap();
    assert!(all.len() > 500, "{}", all.len());
    let same = t.get(&["Device.".into()]).unwrap();
    assert_eq!(all, same);
    let mut names = HashSet::new();
    for (name, value) in &all {
        assert!(names.insert(name.as_str()), "{name} twice");
        let (template, _) = split_instances(name).unwrap();
        let def = definitions().param(&template).unwrap();
        assert_eq!(value.value_type(), def.ty.wire_type(), "{name}");
        assert_eq!(
            def.ty.parse(&value.to_string()).as_ref(),
            Ok(value),
            "{name}"
        );
    }
    // Every definition appears (every table has an instance in this fixture).
    let templates: HashSet<String> = all
        .iter()
        .map(|(n, _)| split_instances(n).unwrap().0)
        .collect();
    for p in definitions().params() {
        assert!(templates.contains(&p.path), "{} never read", p.path);
    }
}

// ---- SetParameterValues ----

/// Every writable parameter accepts its own current value and nothing changes: the
/// bindings read and write the same thing.
#[test]
fn every_writable_parameter_takes_its_value_back_unchanged() {
    let fx = Fx::new(2);
    let t = fx.tree();
    let all = t.get(&["Device.".into()]).unwrap();
    let mut tried = 0;
    for (name, value) in &all {
        let (template, _) = split_instances(name).unwrap();
        let def = definitions().param(&template).unwrap();
        if !def.writable() || def.secret {
            continue;
        }
        let a = t
            .set(&[(name.clone(), value.to_string(), Some(def.ty.wire_type()))])
            .unwrap_or_else(|f| panic!("{name} = {value}: {f:?}"));
        assert!(
            !a.config_changed,
            "{name} = {value} changed the configuration"
        );
        assert!(!a.state_changed, "{name} = {value} changed the CWMP state");
        tried += 1;
    }
    assert!(tried > 100, "{tried}");
}

#[test]
fn management_server_writes() {
    let mut fx = Fx::new(1);
    fx.apply(&[
        (
            "Device.ManagementServer.URL",
            "https://acs2.example.net/cwmp",
        ),
        ("Device.ManagementServer.PeriodicInformInterval", "600"),
        (
            "Device.ManagementServer.PeriodicInformTime",
            "2024-01-01T03:00:00Z",
        ),
        ("Device.ManagementServer.ConnectionRequestUsername", "acs"),
        ("Device.ManagementServer.ConnectionRequestPassword", "cr-pw"),
        ("Device.ManagementServer.Password", "new-acs-pw"),
        ("Device.ManagementServer.STUNServerPort", "3479"),
        (
            "Device.ManagementServer.CWMPRetryIntervalMultiplier",
            "3000",
        ),
        ("Device.DeviceInfo.ProvisioningCode", "ABC.1"),
    ]);
    let cwmp = fx.config.management.cwmp.clone().unwrap();
    assert_eq!(cwmp.acs_url, "https://acs2.example.net/cwmp");
    assert_eq!(cwmp.periodic_inform_interval_s, 600);
    assert_eq!(cwmp.password.unwrap().expose(), "new-acs-pw");
    assert_eq!(fx.state.connection_request_password.expose(), "cr-pw");
    assert_eq!(fx.state.periodic_inform_time, "2024-01-01T03:00:00Z");
    assert_eq!(fx.state.stun_server_port, 3479);
    assert_eq!(fx.state.cwmp_retry_interval_multiplier, 3000);
    assert_eq!(fx.state.provisioning_code, "ABC.1");
    let t = fx.tree();
    assert_eq!(
        get1(&t, "Device.ManagementServer.ConnectionRequestUsername"),
        Value::str("acs")
    );
    assert_eq!(
        get1(&t, "Device.ManagementServer.ConnectionRequestPassword"),
        Value::str("")
    );
    // The session, not SetParameterValues, writes ParameterKey (TR-069 §A.3.2.1).
    let f = set_err(&t, &[("Device.ManagementServer.ParameterKey", "k")]);
    assert_eq!(f[0].1.code, FaultCode::NonWritableParameter);
    // Range of the BBF type (9007) and of the configuration's validation (9007 too).
    let f = set_err(
        &t,
        &[("Device.ManagementServer.CWMPRetryIntervalMultiplier", "999")],
    );
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterValue);
    let f = set_err(
        &t,
        &[("Device.ManagementServer.PeriodicInformInterval", "10")],
    );
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterValue);
    assert!(
        f[0].1.message.contains("periodic_inform_interval_s"),
        "{}",
        f[0].1.message
    );
    // Alias-Based Addressing is not supported: only InstanceNumber.
    let f = set_err(
        &t,
        &[("Device.ManagementServer.InstanceMode", "InstanceAlias")],
    );
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterValue);
    assert!(
        !set_ok(
            &t,
            &[("Device.ManagementServer.InstanceMode", "InstanceNumber")]
        )
        .config_changed
    );
}

/// A gateway without a TR-069 section gets one when the ACS URL is written.
#[test]
fn writing_the_url_creates_the_cwmp_section() {
    let mut fx = Fx::new(1);
    fx.config.management.cwmp = None;
    assert_eq!(
        get1(&fx.tree(), "Device.ManagementServer.URL"),
        Value::str("")
    );
    fx.apply(&[("Device.ManagementServer.URL", "http://acs.example.net/")]);
    let c = fx.config.management.cwmp.unwrap();
    assert_eq!(
        (c.acs_url.as_str(), c.periodic_inform_interval_s),
        ("http://acs.example.net/", 3600)
    );
}

#[test]
fn time_writes() {
    let mut fx = Fx::new(1);
    fx.apply(&[
        ("Device.Time.Enable", "true"),
        ("Device.Time.NTPServer1", "pool.ntp.org"),
        ("Device.Time.LocalTimeZone", "Europe/Berlin"),
    ]);
    assert!(fx.state.ntp_enable);
    assert_eq!(fx.state.ntp_server1, "pool.ntp.org");
    assert_eq!(fx.config.device.time_zone.as_deref(), Some("Europe/Berlin"));
    fx.apply(&[("Device.Time.LocalTimeZone", "")]);
    assert_eq!(fx.config.device.time_zone, None);
    let f = set_err(&fx.tree(), &[("Device.Time.LocalTimeZone", "bad zone!")]);
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterValue);
}

#[test]
fn pots_and_voice_processing_writes() {
    let mut fx = Fx::new(2);
    fx.apply(&[
        (&vs("POTS.Region"), "GB"),
        (&vs("POTS.FXS.2.Enable"), "0"),
        (&vs("POTS.FXS.1.VoiceProcessing.TransmitGain"), "-30"),
        (&vs("POTS.FXS.1.VoiceProcessing.ReceiveGain"), "60"),
        (
            &vs("POTS.FXS.2.VoiceProcessing.EchoCancellationEnable"),
            "false",
        ),
    ]);
    assert_eq!(fx.config.device.country, "uk");
    assert!(!fx.config.ports[1].enabled);
    assert_eq!(
        (fx.config.ports[0].gain_tx_db, fx.config.ports[0].gain_rx_db),
        (-3, 6)
    );
    assert_eq!(fx.config.ports[1].echo_tail_ms, 0);
    fx.apply(&[(
        &vs("POTS.FXS.2.VoiceProcessing.EchoCancellationEnable"),
        "true",
    )]);
    assert_eq!(fx.config.ports[1].echo_tail_ms, 64);
    let t = fx.tree();
    // TransmitGain is in 0.1 dB; the configuration holds whole dB.
    let f = set_err(
        &t,
        &[(&vs("POTS.FXS.1.VoiceProcessing.TransmitGain"), "15")],
    );
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterValue);
    // -20 dB is past the configuration's -12..=12.
    let f = set_err(
        &t,
        &[(&vs("POTS.FXS.1.VoiceProcessing.TransmitGain"), "-200")],
    );
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterValue);
    assert!(f[0].1.message.contains("gain_tx_db"));
    let f = set_err(&t, &[(&vs("POTS.Region"), "XX")]);
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterValue);
    // A deviation: read-only here (9008), with its reason.
    let f = set_err(&t, &[(&vs("POTS.FXS.1.DialType"), "Pulse")]);
    assert_eq!(f[0].1.code, FaultCode::NonWritableParameter);
    assert!(f[0].1.message.contains("pulse"), "{}", f[0].1.message);
}

#[test]
fn sip_client_and_network_writes() {
    let mut fx = Fx::new(2);
    fx.apply(&[
        (&vs("SIP.Client.1.AuthUserName"), "user-a"),
        (&vs("SIP.Client.1.AuthPassword"), "new-pass"),
        (&vs("SIP.Network.1.ProxyServerPort"), "5070"),
        (&vs("SIP.Network.1.ProxyServer"), "2001:db8::5"),
        (&vs("SIP.Network.2.UserAgentTransport"), "TCP"),
        (&vs("SIP.Network.1.UserAgentDomain"), "voice.example.net"),
        (&vs("SIP.Network.1.UserAgentPort"), "5062"),
        (&vs("SIP.Network.1.RegisterExpires"), "600"),
        (&vs("SIP.Client.2.RegisterMode"), "STATIC"),
    ]);
    let c = &fx.config;
    assert_eq!(c.ports[0].auth_user.as_deref(), Some("user-a"));
    assert_eq!(c.ports[0].password.as_ref().unwrap().expose(), "new-pass");
    assert_eq!(c.sip.servers, ["[2001:db8::5]:5070"]);
    assert_eq!(c.sip.transport, Transport::Tcp);
    assert_eq!(c.sip.domain, "voice.example.net");
    assert_eq!(c.sip.listen, "0.0.0.0:5062");
    assert_eq!(c.sip.registration_expiry_s, 600);
    assert!(!c.sip.register);
    let t = fx.tree();
    // Gateway-wide values show in every network instance.
    assert_eq!(
        get1(&t, &vs("SIP.Network.2.ProxyServer")),
        Value::str("2001:db8::5")
    );
    assert_eq!(
        get1(&t, &vs("SIP.Network.2.RegistrarServerPort")),
        Value::UnsignedInt(5070)
    );
    assert_eq!(
        get1(&t, &vs("SIP.Client.1.RegisterMode")),
        Value::str("STATIC")
    );
    // The failover list and an empty proxy (lab mode: no server at all).
    fx.apply(&[(
        &vs("SIP.Network.1.X_TIPRING_Servers"),
        "a.example.net, b.example.net:5080",
    )]);
    assert_eq!(
        fx.config.sip.servers,
        ["a.example.net", "b.example.net:5080"]
    );
    let f = set_err(
        &fx.tree(),
        &[(
            &vs("SIP.Network.1.X_TIPRING_Servers"),
            "a.example.net:99999",
        )],
    );
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterValue);
    fx.apply(&[(&vs("SIP.Network.1.ProxyServer"), "")]);
    assert!(fx.config.sip.servers.is_empty());
    let t = fx.tree();
    // A port without a server is refused.
    let f = set_err(&t, &[(&vs("SIP.Network.1.ProxyServerPort"), "5060")]);
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterValue);
    // SCTP is a TR-104 transport we do not have; an outbound proxy likewise.
    let f = set_err(&t, &[(&vs("SIP.Network.1.ProxyServerTransport"), "SCTP")]);
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterValue);
    let f = set_err(
        &t,
        &[(&vs("SIP.Network.1.OutboundProxy"), "proxy.example.net")],
    );
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterValue);
    assert!(!set_ok(&t, &[(&vs("SIP.Network.1.OutboundProxy"), "")]).config_changed);
    let f = set_err(&t, &[(&vs("SIP.Client.1.Network"), &vs("SIP.Network.2"))]);
    assert_eq!(f[0].1.code, FaultCode::NonWritableParameter);
}

#[test]
fn call_control_writes() {
    let mut fx = Fx::new(2);
    fx.apply(&[
        (&vs("CallControl.Line.1.DirectoryNumber"), "2001"),
        (&vs("CallControl.Extension.2.Name"), "Reception"),
        (&vs("CallControl.Line.2.Enable"), "false"),
        (
            &vs("CallControl.NumberingPlan.1.X_TIPRING_DialPlan"),
            "{ 1xx | 9xxxxxxx }",
        ),
    ]);
    assert_eq!(fx.config.ports[0].extension, "2001");
    assert_eq!(
        fx.config.ports[1].display_name.as_deref(),
        Some("Reception")
    );
    assert!(!fx.config.ports[1].enabled);
    assert_eq!(fx.config.ports[0].dial_plan, "{ 1xx | 9xxxxxxx }");
    let t = fx.tree();
    assert_eq!(
        get1(&t, &vs("CallControl.NumberingPlan.1.MinimumNumberOfDigits")),
        Value::UnsignedInt(3)
    );
    assert_eq!(
        get1(&t, &vs("CallControl.NumberingPlan.1.MaximumNumberOfDigits")),
        Value::UnsignedInt(8)
    );
    assert_eq!(get1(&t, &vs("POTS.FXS.2.Enable")), Value::Boolean(false));
    // Duplicate extensions are refused by validation, on the parameter that caused it.
    let f = set_err(
        &t,
        &[(&vs("CallControl.Extension.2.ExtensionNumber"), "2001")],
    );
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterValue);
    assert!(f[0].1.message.contains("ports[1].extension"));
}

/// With a dial plan parser (the agent passes `tipring-line`'s), bad digit maps are 9007.
#[test]
fn dial_plans_go_through_the_given_parser() {
    let fx = Fx::new(1);
    let check = |p: &str| {
        if p.contains('?') {
            Err("`?` is not dial plan syntax".to_string())
        } else {
            Ok(())
        }
    };
    let t = fx.tree().with_dial_plan_check(&check);
    let f = set_err(&t, &[(&vs("VoiceProfile.1.DigitMap"), "{ 1xx? }")]);
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterValue);
    assert!(f[0].1.message.contains("not dial plan syntax"));
    set_ok(&t, &[(&vs("VoiceProfile.1.DigitMap"), "{ 1xx }")]);
}

/// Call forwarding: the number is kept while the forward is off (CWMP state) and moves
/// into the configuration when it is enabled, in either order within a request.
#[test]
fn call_forward_enable_and_number_pairs() {
    let mut fx = Fx::new(1);
    let set = |k: &str| vs(&format!("CallControl.CallingFeatures.Set.1.{k}"));
    fx.apply(&[(&set("CallForwardUnconditionalNumber"), "5551234")]);
    assert_eq!(fx.config.ports[0].features.forward.all, None);
    assert_eq!(fx.state.ports[0].forward_all.as_deref(), Some("5551234"));
    assert_eq!(
        get1(&fx.tree(), &set("CallForwardUnconditionalNumber")),
        Value::str("5551234")
    );
    fx.apply(&[(&set("CallForwardUnconditionalEnable"), "true")]);
    assert_eq!(
        fx.config.ports[0].features.forward.all.as_deref(),
        Some("5551234")
    );
    assert!(fx.state.ports.is_empty());
    fx.apply(&[
        (&set("CallForwardOnBusyEnable"), "true"),
        (&set("CallForwardOnBusyNumber"), "777"),
        (&set("CallForwardUnconditionalEnable"), "false"),
    ]);
    let fw = &fx.config.ports[0].features.forward;
    assert_eq!((fw.all.as_deref(), fw.busy.as_deref()), (None, Some("777")));
    assert_eq!(fx.state.ports[0].forward_all.as_deref(), Some("5551234"));
    // Enabling without a number is refused on the Enable parameter.
    let f = set_err(&fx.tree(), &[(&set("CallForwardOnNoAnswerEnable"), "true")]);
    assert_eq!(f[0].0, set("CallForwardOnNoAnswerEnable"));
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterValue);
    // A target that is not a dialable number is refused by validation.
    let f = set_err(
        &fx.tree(),
        &[
            (&set("CallForwardOnNoAnswerEnable"), "true"),
            (&set("CallForwardOnNoAnswerNumber"), "abc"),
        ],
    );
    assert_eq!(f.len(), 2);
    assert!(f
        .iter()
        .all(|(_, f)| f.code == FaultCode::InvalidParameterValue));
    fx.apply(&[
        (&set("CallWaitingEnable"), "false"),
        (&set("DoNotDisturbEnable"), "true"),
        (&set("AnonymousCallRejectionEnable"), "true"),
        (&set("AnonymousCallEnable"), "true"),
        (&set("MWIEnable"), "true"),
        (&set("CallForwardOnNoAnswerRingTimeout"), "45"),
    ]);
    let f = &fx.config.ports[0].features;
    assert!(!f.call_waiting && f.dnd && f.anonymous_rejection && f.caller_id_block);
    assert_eq!(f.forward.no_answer_timeout_s, 45);
    assert!(fx.config.sip.mwi_subscribe);
    assert_eq!(
        get1(&fx.tree(), &vs("SIP.Client.1.MaxSessions")),
        Value::UnsignedInt(1)
    );
}

#[test]
fn voip_and_codec_profile_writes() {
    let mut fx = Fx::new(2);
    fx.apply(&[
        (&vs("VoIPProfile.2.DTMFMethod"), "SIPInfo"),
        (&vs("VoIPProfile.1.RTP.LocalPortMin"), "20000"),
        (&vs("VoIPProfile.1.RTP.SRTP.Enable"), "true"),
        (
            &vs("SIP.Network.2.CodecList"),
            &format!("{VS}CodecProfile.3, {VS}CodecProfile.1."),
        ),
    ]);
    assert_eq!(fx.config.ports[1].dtmf, DtmfMethod::Info);
    assert_eq!(fx.config.ports[0].dtmf, DtmfMethod::Rfc4733);
    assert_eq!(fx.config.sip.rtp_port_base, 20000);
    assert_eq!(fx.config.sip.srtp, SrtpPolicy::Optional);
    assert_eq!(fx.config.ports[1].codecs, [Codec::G722, Codec::Pcmu]);
    let t = fx.tree();
    assert_eq!(
        get1(&t, &vs("VoIPProfile.1.RTP.LocalPortMax")),
        Value::UnsignedInt(20003)
    );
    assert_eq!(
        get1(&t, &vs("VoIPProfile.1.RTP.SRTP.X_TIPRING_Policy")),
        Value::str("Optional")
    );
    let f = set_err(&t, &[(&vs("VoIPProfile.1.DTMFMethod"), "InBand,RFC4733")]);
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterValue);
    let f = set_err(
        &t,
        &[(
            &vs("SIP.Network.1.CodecList"),
            &format!("{VS}CodecProfile.9"),
        )],
    );
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterValue);
    // No codec at all is refused by validation ("name at least one codec").
    let f = set_err(&t, &[(&vs("SIP.Network.1.CodecList"), "")]);
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterValue);
    // An odd RTP base is refused (RFC 3550 §11).
    let f = set_err(&t, &[(&vs("VoIPProfile.1.RTP.LocalPortMin"), "20001")]);
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterValue);
    // Mandatory SRTP needs TLS: a combination, so 9007 on the parameter that wrote it.
    let f = set_err(
        &t,
        &[(&vs("VoIPProfile.1.RTP.SRTP.X_TIPRING_Policy"), "Mandatory")],
    );
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterValue);
    fx.apply(&[
        (&vs("VoIPProfile.1.RTP.SRTP.X_TIPRING_Policy"), "Mandatory"),
        (&vs("SIP.Network.1.ProxyServerTransport"), "TLS"),
    ]);
    assert_eq!(fx.config.sip.srtp, SrtpPolicy::Mandatory);
}

/// Issue 1 `Line.{i}.Codec.List.{j}.Enable/Priority` edit the port's codec list.
#[test]
fn issue1_codec_list_edits_the_port_codecs() {
    let mut fx = Fx::new(1);
    let list = |j: u32, k: &str| vs(&format!("VoiceProfile.1.Line.1.Codec.List.{j}.{k}"));
    fx.apply(&[
        (&list(5, "Enable"), "true"),
        (&list(5, "Priority"), "1"),
        (&list(2, "Enable"), "false"),
    ]);
    assert_eq!(
        fx.config.ports[0].codecs,
        [Codec::G729, Codec::Pcmu, Codec::G722]
    );
    let t = fx.tree();
    assert_eq!(get1(&t, &list(5, "Priority")), Value::UnsignedInt(1));
    assert_eq!(get1(&t, &list(1, "Priority")), Value::UnsignedInt(2));
    assert_eq!(
        get1(&t, &vs("SIP.Network.1.CodecList")),
        Value::str(format!(
            "{VS}CodecProfile.5,{VS}CodecProfile.1,{VS}CodecProfile.3"
        ))
    );
    // Opus (not nameable in TR-104) stays in the list, after the others.
    fx.config.ports[0].codecs.push(Codec::Opus);
    fx.apply(&[(&list(3, "Enable"), "false")]);
    assert_eq!(
        fx.config.ports[0].codecs,
        [Codec::G729, Codec::Pcmu, Codec::Opus]
    );
}

/// An issue 1 write is visible at the issue 2 name and the other way round.
#[test]
fn issue1_and_issue2_writes_are_visible_at_each_other() {
    let mut fx = Fx::new(2);
    let pairs: [(&str, &str, &str, &str); 8] = [
        (
            "VoiceProfile.1.Line.2.DirectoryNumber",
            "CallControl.Line.2.DirectoryNumber",
            "3002",
            "4002",
        ),
        (
            "VoiceProfile.1.Line.1.SIP.AuthUserName",
            "SIP.Client.1.AuthUserName",
            "alice",
            "bob",
        ),
        (
            "VoiceProfile.1.SIP.RegistrarServer",
            "SIP.Network.2.ProxyServer",
            "r1.example.net",
            "r2.example.net",
        ),
        (
            "VoiceProfile.1.SIP.UserAgentDomain",
            "SIP.Network.1.UserAgentDomain",
            "d1.example",
            "d2.example",
        ),
        (
            "VoiceProfile.1.RTP.LocalPortMin",
            "VoIPProfile.2.RTP.LocalPortMin",
            "30000",
            "31000",
        ),
        (
            "VoiceProfile.1.Line.2.CallingFeatures.DoNotDisturbEnable",
            "CallControl.CallingFeatures.Set.2.DoNotDisturbEnable",
            "true",
            "false",
        ),
        (
            "VoiceProfile.1.Line.1.VoiceProcessing.ReceiveGain",
            "POTS.FXS.1.VoiceProcessing.ReceiveGain",
            "-40",
            "20",
        ),
        (
            "VoiceProfile.1.Line.1.CallingFeatures.AnonymousCallBlockEnable",
            "CallControl.CallingFeatures.Set.1.AnonymousCallRejectionEnable",
            "true",
            "false",
        ),
    ];
    for (v1, v2, a, b) in pairs {
        fx.apply(&[(&vs(v1), a)]);
        assert_eq!(get1(&fx.tree(), &vs(v2)).to_string(), a, "{v1} -> {v2}");
        fx.apply(&[(&vs(v2), b)]);
        assert_eq!(get1(&fx.tree(), &vs(v1)).to_string(), b, "{v2} -> {v1}");
    }
    // Views: issue 1 Enable strings, RFC2833, CallerIDEnable = not caller_id_block,
    // profile-wide writes reach every port.
    fx.apply(&[(&vs("VoiceProfile.1.Line.2.Enable"), "Disabled")]);
    assert_eq!(
        get1(&fx.tree(), &vs("SIP.Client.2.Enable")),
        Value::Boolean(false)
    );
    fx.apply(&[(&vs("VoiceProfile.1.DTMFMethod"), "InBand")]);
    assert!(fx.config.ports.iter().all(|p| p.dtmf == DtmfMethod::Inband));
    fx.apply(&[(&vs("VoIPProfile.1.DTMFMethod"), "RFC4733")]);
    assert_eq!(
        get1(&fx.tree(), &vs("VoiceProfile.1.DTMFMethod")),
        Value::str("RFC2833")
    );
    fx.apply(&[(
        &vs("VoiceProfile.1.Line.1.CallingFeatures.CallerIDEnable"),
        "false",
    )]);
    assert_eq!(
        get1(
            &fx.tree(),
            &vs("CallControl.CallingFeatures.Set.1.AnonymousCallEnable")
        ),
        Value::Boolean(true)
    );
    fx.apply(&[(
        &vs("VoiceProfile.1.Line.1.CallingFeatures.CallForwardOnNoAnswerRingCount"),
        "3",
    )]);
    assert_eq!(
        get1(
            &fx.tree(),
            &vs("CallControl.CallingFeatures.Set.1.CallForwardOnNoAnswerRingTimeout")
        ),
        Value::UnsignedInt(18)
    );
}

/// TR-069 §A.3.2.1: one bad value among good ones changes nothing, and every bad one is
/// reported with its own code.
#[test]
fn set_is_all_or_nothing_and_reports_each_bad_parameter() {
    let fx = Fx::new(2);
    let t = fx.tree();
    let values = vec![
        (
            vs("CallControl.Line.1.DirectoryNumber"),
            "5000".to_string(),
            None,
        ),
        (vs("POTS.FXS.1.Enable"), "perhaps".to_string(), None),
        (vs("SIP.Network.1.RegisterExpires"), "-1".to_string(), None),
        (vs("POTS.FXS.2.Name"), "x".to_string(), None),
        (vs("POTS.FXS.9.Enable"), "true".to_string(), None),
        (vs("POTS.FXS.1."), "true".to_string(), None),
        (
            vs("SIP.Network.1.UserAgentDomain"),
            "ok.example".to_string(),
            None,
        ),
        (
            vs("CallControl.Line.2.Enable"),
            "1".to_string(),
            Some(ValueType::DateTime),
        ),
        (
            vs("CallControl.Line.1.DirectoryNumber"),
            "5001".to_string(),
            None,
        ),
    ];
    let faults = t.set(&values).unwrap_err();
    let got: Vec<(String, u32)> = faults
        .iter()
        .map(|(n, f)| (n.clone(), f.code.code()))
        .collect();
    assert_eq!(
        got,
        [
            (vs("POTS.FXS.1.Enable"), 9006),
            (vs("SIP.Network.1.RegisterExpires"), 9007),
            (vs("POTS.FXS.2.Name"), 9008),
            (vs("POTS.FXS.9.Enable"), 9005),
            (vs("POTS.FXS.1."), 9005),
            (vs("CallControl.Line.2.Enable"), 9006),
            (vs("CallControl.Line.1.DirectoryNumber"), 9003),
        ]
    );
    // The tree's documents are untouched (the tree cannot change them), and the good
    // values alone are accepted.
    assert_eq!(fx.config.ports[0].extension, "101");
    let ok = t.set(&[values[0].clone(), values[6].clone()]).unwrap();
    assert_eq!(ok.config.ports[0].extension, "5000");
}

/// Two aliases of one value must agree within a request (9003 on both).
#[test]
fn conflicting_aliases_in_one_request() {
    let fx = Fx::new(2);
    let t = fx.tree();
    let f = set_err(
        &t,
        &[
            (&vs("SIP.Network.1.ProxyServer"), "a.example.net"),
            (&vs("SIP.Network.2.RegistrarServer"), "b.example.net"),
        ],
    );
    assert_eq!(f.len(), 2);
    assert!(f.iter().all(|(_, f)| f.code == FaultCode::InvalidArguments));
    // Agreeing aliases are fine, and so are inverse views that agree.
    set_ok(
        &t,
        &[
            (&vs("SIP.Network.1.ProxyServer"), "a.example.net"),
            (&vs("VoiceProfile.1.SIP.RegistrarServer"), "a.example.net"),
            (
                &vs("CallControl.CallingFeatures.Set.1.AnonymousCallEnable"),
                "true",
            ),
            (
                &vs("VoiceProfile.1.Line.1.CallingFeatures.CallerIDEnable"),
                "false",
            ),
        ],
    );
    let f = set_err(
        &t,
        &[
            (
                &vs("CallControl.CallingFeatures.Set.1.AnonymousCallEnable"),
                "true",
            ),
            (
                &vs("VoiceProfile.1.Line.1.CallingFeatures.CallerIDEnable"),
                "true",
            ),
        ],
    );
    assert_eq!(f.len(), 2);
}

/// A change that makes another field invalid cannot be pinned on one parameter: 9003 on
/// every parameter of the request.
#[test]
fn unattributable_validation_errors_are_9003() {
    let mut fx = Fx::new(1);
    fx.config.sip.servers.clear();
    fx.config.ports[0].password = None; // fine in lab mode (no server)
    fx.config.validate().unwrap();
    let f = set_err(
        &fx.tree(),
        &[(&vs("SIP.Network.1.ProxyServer"), "pbx.example.net")],
    );
    assert_eq!(f[0].1.code, FaultCode::InvalidArguments);
    assert!(
        f[0].1.message.contains("ports[0].password"),
        "{}",
        f[0].1.message
    );
    set_ok(
        &fx.tree(),
        &[
            (&vs("SIP.Network.1.ProxyServer"), "pbx.example.net"),
            (&vs("SIP.Client.1.AuthPassword"), "now-set"),
        ],
    );
}

/// `xsi:type`: the parameter's own type and `xsd:string` are accepted, integer types
/// interchange, anything else is 9006.
#[test]
fn xsi_types() {
    let fx = Fx::new(1);
    let t = fx.tree();
    let name = vs("SIP.Network.1.RegisterExpires");
    for ty in [ValueType::UnsignedInt, ValueType::String, ValueType::Int] {
        t.set(&[(name.clone(), "900".into(), Some(ty))]).unwrap();
    }
    let f = t
        .set(&[(name, "900".into(), Some(ValueType::Boolean))])
        .unwrap_err();
    assert_eq!(f[0].1.code, FaultCode::InvalidParameterType);
}

#[test]
fn an_empty_set_changes_nothing() {
    let fx = Fx::new(1);
    let a = fx.tree().set(&[]).unwrap();
    assert!(!a.config_changed && !a.state_changed);
}

// ---- GetParameterNames ----

/// TR-069 §A.3.2.3 at several depths.
#[test]
fn names_next_level_semantics() {
    let fx = Fx::new(2);
    let t = fx.tree();
    assert_eq!(t.names("", true).unwrap(), [("Device.".to_string(), false)]);
    let top = t.names("Device.", true).unwrap();
    let top: Vec<&str> = top.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        top,
        [
            "Device.RootDataModelVersion",
            "Device.Services.",
            "Device.DeviceInfo.",
            "Device.ManagementServer.",
            "Device.Time.",
            "Device.Ethernet.",
            "Device.IP.",
        ]
    );
    // A table with NextLevel lists its instances; an instance its parameters and objects.
    let fxs = t.names(&vs("POTS.FXS."), true).unwrap();
    assert_eq!(
        fxs,
        [(vs("POTS.FXS.1."), false), (vs("POTS.FXS.2."), false)]
    );
    let one = t.names(&vs("POTS.FXS.1."), true).unwrap();
    assert!(one.contains(&(vs("POTS.FXS.1.Enable"), true)));
    assert!(one.contains(&(vs("POTS.FXS.1.Status"), false)));
    assert!(one.contains(&(vs("POTS.FXS.1.VoiceProcessing."), false)));
    assert!(!one.iter().any(|(n, _)| n.contains("TransmitGain")));
    // The level below VoiceService.1 lists tables as `X.`, not their instances.
    let svc = t.names(VS, true).unwrap();
    assert!(svc.contains(&(vs("CodecProfile."), false)));
    assert!(!svc
        .iter()
        .any(|(n, _)| n.starts_with(&vs("CodecProfile.1"))));
    // NextLevel false: the object itself and everything below, objects ending in `.`.
    let stats = t.names(&vs("CallControl.Line.1.Stats."), false).unwrap();
    assert_eq!(stats[0], (vs("CallControl.Line.1.Stats."), false));
    assert!(stats.contains(&(vs("CallControl.Line.1.Stats.RTP."), false)));
    assert!(stats.contains(&(vs("CallControl.Line.1.Stats.DSP.Underruns"), false)));
    assert_eq!(stats.iter().filter(|(n, _)| !n.ends_with('.')).count(), 17);
    // A parameter: itself with NextLevel false, 9003 with NextLevel true.
    assert_eq!(
        t.names("Device.DeviceInfo.UpTime", false).unwrap(),
        [("Device.DeviceInfo.UpTime".to_string(), false)]
    );
    assert_eq!(
        t.names("Device.DeviceInfo.UpTime", true).unwrap_err().code,
        FaultCode::InvalidArguments
    );
    assert_eq!(
        t.names("Device.Nope.", false).unwrap_err().code,
        FaultCode::InvalidParameterName
    );
    assert_eq!(
        t.names(&vs("POTS.FXS.3."), true).unwrap_err().code,
        FaultCode::InvalidParameterName
    );
    // The whole tree: as many parameters as a full get, plus the objects.
    let all = t.names("", false).unwrap();
    let params = all.iter().filter(|(n, _)| !n.ends_with('.')).count();
    assert_eq!(params, t.get(&["Device.".into()]).unwrap().len());
    assert!(all.contains(&("Device.DeviceInfo.FirmwareImage.".to_string(), false)));
    assert!(all.contains(&(vs("VoiceProfile.1.Line.2.Codec.List.5."), false)));
    // Writable flags follow the definitions (deviations are read-only).
    assert!(all.contains(&("Device.DeviceInfo.BootFirmwareImage".to_string(), false)));
    assert!(all.contains(&("Device.ManagementServer.URL".to_string(), true)));
}

// ---- AddObject / DeleteObject ----

#[test]
fn no_object_can_be_added_or_deleted() {
    let fx = Fx::new(2);
    let t = fx.tree();
    let e = t.add_object(&vs("CallControl.Line.")).unwrap_err();
    assert_eq!(e.code, FaultCode::InvalidParameterName);
    assert!(e.message.contains("fixed"));
    assert_eq!(
        t.add_object("Device.DeviceInfo.").unwrap_err().code,
        FaultCode::InvalidParameterName
    );
    assert_eq!(
        t.add_object("Device.X.").unwrap_err().code,
        FaultCode::InvalidParameterName
    );
    let e = t.delete_object(&vs("CallControl.Line.2.")).unwrap_err();
    assert_eq!(e.code, FaultCode::InvalidArguments);
    assert_eq!(
        t.delete_object(&vs("CallControl.Line.3."))
            .unwrap_err()
            .code,
        FaultCode::InvalidParameterName
    );
    assert_eq!(
        t.delete_object(&vs("CallControl.Line.")).unwrap_err().code,
        FaultCode::InvalidParameterName
    );
}

// ---- attributes ----

fn attr(name: &str, n: Option<u32>, access: Option<&[&str]>) -> SetAttribute {
    SetAttribute {
        name: name.into(),
        notification: n,
        access_list: access.map(|a| a.iter().map(|s| s.to_string()).collect()),
    }
}

/// TR-069 §A.3.2.4: notification values, canDeny / forceEnabled, AccessList.
#[test]
fn set_and_get_attributes() {
    let fx = Fx::new(2);
    let t = fx.tree();
    let a = Attributes::new();
    let a = t
        .set_attributes(
            &a,
            &[
                attr(&vs("POTS.FXS.1.Enable"), Some(2), Some(&["Subscriber"])),
                attr("Device.Time.NTPServer1", Some(1), None),
            ],
        )
        .unwrap();
    let got = t
        .get_attributes(&a, &[vs("POTS.FXS.1.Enable"), "Device.Time.".into()])
        .unwrap();
    assert_eq!(got[0].notification, Notification::Active);
    assert_eq!(got[0].access_list, ["Subscriber"]);
    let ntp = got
        .iter()
        .find(|x| x.name == "Device.Time.NTPServer1")
        .unwrap();
    assert_eq!(ntp.notification, Notification::Passive);
    assert!(a.subscriber_may_write(&vs("POTS.FXS.1.Enable")));
    assert!(!a.subscriber_may_write(&vs("POTS.FXS.2.Enable")));
    // Denied active notification (canDeny), forceEnabled, lightweight, out of range.
    let code = |c: &[SetAttribute]| t.set_attributes(&a, c).unwrap_err().code;
    assert_eq!(
        code(&[attr("Device.DeviceInfo.UpTime", Some(2), None)]),
        FaultCode::NotificationRequestRejected
    );
    assert_eq!(
        code(&[attr("Device.DeviceInfo.SoftwareVersion", Some(0), None)]),
        FaultCode::NotificationRequestRejected
    );
    assert_eq!(
        code(&[attr("Device.Time.NTPServer1", Some(4), None)]),
        FaultCode::NotificationRequestRejected
    );
    assert_eq!(
        code(&[attr("Device.Time.NTPServer1", Some(7), None)]),
        FaultCode::InvalidArguments
    );
    assert_eq!(
        code(&[attr("Device.Time.Nope", Some(1), None)]),
        FaultCode::InvalidParameterName
    );
    assert_eq!(
        code(&[attr("Device.Time.NTPServer1", None, Some(&["Admin"]))]),
        FaultCode::InvalidArguments
    );
    // The management server's settings are the ACS's alone.
    assert_eq!(
        code(&[attr(
            "Device.ManagementServer.URL",
            None,
            Some(&["Subscriber"])
        )]),
        FaultCode::RequestDenied
    );
    // All or nothing: a failing entry after a good one leaves the store as it was.
    let before = a.clone();
    let e = t.set_attributes(
        &a,
        &[
            attr("Device.Time.NTPServer2", Some(1), None),
            attr("Device.DeviceInfo.UpTime", Some(2), None),
        ],
    );
    assert!(e.is_err());
    assert_eq!(a, before);
}

/// A partial path sets every parameter below it, leaving those that deny the request.
#[test]
fn partial_path_attributes_skip_denied_parameters() {
    let fx = Fx::new(1);
    let t = fx.tree();
    let a = t
        .set_attributes(
            &Attributes::new(),
            &[attr("Device.DeviceInfo.", Some(2), None)],
        )
        .unwrap();
    assert_eq!(
        a.notification("Device.DeviceInfo.SerialNumber"),
        Notification::Active
    );
    assert_eq!(
        a.notification("Device.DeviceInfo.UpTime"),
        Notification::Off
    );
    assert_eq!(
        a.notification("Device.DeviceInfo.FirmwareImage.2.Status"),
        Notification::Active
    );
    let a = t
        .set_attributes(&a, &[attr("Device.", Some(0), None)])
        .unwrap();
    // SoftwareVersion stays active (forceEnabled); ConnectionRequestURL can be turned off.
    assert_eq!(
        a.notification("Device.DeviceInfo.SoftwareVersion"),
        Notification::Active
    );
    assert_eq!(
        a.notification("Device.ManagementServer.ConnectionRequestURL"),
        Notification::Off
    );
    assert_eq!(a.len(), 1, "{a:?}");
    let a = t
        .set_attributes(
            &a,
            &[attr(
                "Device.ManagementServer.",
                None,
                Some(&["Subscriber"]),
            )],
        )
        .unwrap();
    assert!(a.access_list("Device.ManagementServer.URL").is_empty());
    assert_eq!(
        a.access_list("Device.ManagementServer.NATDetected"),
        ["Subscriber"]
    );
}

/// `4 VALUE CHANGE`: two reads around a change, passive and active parameters only.
#[test]
fn value_changes_between_two_reads() {
    let mut fx = Fx::new(1);
    let a = fx
        .tree()
        .set_attributes(
            &Attributes::new(),
            &[attr(&vs("SIP.Client.1.Status"), Some(2), None)],
        )
        .unwrap();
    let before = fx.tree().get(&["Device.".into()]).unwrap();
    fx.live.ports[0].sip_status = ClientStatus::Registering;
    fx.live.uptime_s += 60;
    let after = fx.tree().get(&["Device.".into()]).unwrap();
    let c = a.changed(&before, &after);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].name, vs("SIP.Client.1.Status"));
    assert_eq!(c[0].value, Value::str("Registering"));
    assert_eq!(c[0].notification, Notification::Active);
}

#[test]
fn forced_inform_parameters() {
    let mut fx = Fx::new(1);
    fx.state.parameter_key = "key-7".into();
    let t = fx.tree();
    let names: Vec<String> = t.forced_inform().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "Device.RootDataModelVersion",
            "Device.DeviceInfo.HardwareVersion",
            "Device.DeviceInfo.SoftwareVersion",
            "Device.DeviceInfo.ProvisioningCode",
            "Device.ManagementServer.ParameterKey",
            "Device.ManagementServer.ConnectionRequestURL",
            "Device.ManagementServer.AliasBasedAddressing",
        ]
    );
    assert!(t.forced_inform().contains(&(
        "Device.ManagementServer.ParameterKey".into(),
        Value::str("key-7")
    )));
}

/// Every standard is represented, and nothing outside TR-181/TR-104 except our vendor
/// parameters.
#[test]
fn definitions_cover_the_three_documents() {
    let count = |s: Standard| {
        definitions()
            .params()
            .iter()
            .filter(|p| p.standard == s)
            .count()
    };
    // The counts the crate documents; update them with datamodel.txt.
    assert_eq!(count(Standard::Tr181), 76);
    assert_eq!(count(Standard::Tr104Issue2), 177);
    assert_eq!(count(Standard::Tr104Issue1), 87);
    assert_eq!(count(Standard::Vendor), 9);
}

/// Seeded random names never panic the resolver.
#[test]
fn random_names_are_faults_not_panics() {
    let fx = Fx::new(2);
    let t = fx.tree();
    let parts = [
        "Device",
        "Services",
        "VoiceService",
        "1",
        "0",
        "99",
        "",
        "POTS",
        "FXS",
        "{i}",
        "Enable",
        "X_TIPRING_Servers",
        "ä",
    ];
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..2000 {
        let mut name = String::new();
        for _ in 0..(x % 7) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            name.push_str(parts[(x % parts.len() as u64) as usize]);
            if !x.is_multiple_of(3) {
                name.push('.');
            }
        }
        let _ = t.get(std::slice::from_ref(&name));
        let _ = t.names(&name, x.is_multiple_of(2));
        let _ = t.set(&[(name.clone(), "1".into(), None)]);
        let _ = t.add_object(&name);
        let _ = t.delete_object(&name);
    }
}

/// Hostile values on every writable parameter are faults or accepted, never panics.
#[test]
fn hostile_values_never_panic() {
    let fx = Fx::new(2);
    let t = fx.tree();
    let long = "9".repeat(5000);
    let values = [
        "",
        " ",
        "ä€",
        "-0",
        "+1",
        "1e3",
        "0x10",
        "4294967296",
        "-2147483649",
        "true,false",
        ",,,",
        "2024-01-01T00:00:0ä",
        "[::1]:99999",
        "Device.Services.VoiceService.1.CodecProfile.0",
        &long,
    ];
    for p in definitions().params() {
        let Ok(all) = t.get(&[p.path.replace("{i}", "1")]) else {
            continue;
        };
        for (name, _) in all {
            for v in values {
                let _ = t.set(&[(name.clone(), v.to_string(), None)]);
            }
        }
    }
}

// ---- provisioning_values: what an ACS pushes ----

/// A configuration that differs from [`config`] in every field the voice service shows.
fn other_config() -> GatewayConfig {
    let mut c = config(2);
    c.device.country = "de".into();
    c.device.time_zone = Some("Europe/Berlin".into());
    c.sip.servers = vec!["pbx-a.example.net:5070".into(), "pbx-b.example.net".into()];
    c.sip.transport = Transport::Tcp;
    c.sip.domain = "branch7.example.net".into();
    c.sip.listen = "0.0.0.0:5080".into();
    c.sip.registration_expiry_s = 600;
    c.sip.mwi_subscribe = true;
    c.sip.srtp = SrtpPolicy::Optional;
    c.sip.rtp_port_base = 20_000;
    for (i, p) in c.ports.iter_mut().enumerate() {
        p.extension = format!("7{i}1");
        p.auth_user = Some(format!("gw7-{i}"));
        p.display_name = Some(format!("Desk {i}"));
        p.password = Some(Secret::new(format!("rotated-{i}-Secret!")));
        p.codecs = vec![Codec::G722, Codec::Pcma];
        p.dtmf = DtmfMethod::Info;
        p.dial_plan = "{ 7xx | 0xxxxxxxxx | *xx }".into();
        p.gain_tx_db = 2;
        p.gain_rx_db = -3;
        p.features.call_waiting = false;
        p.features.dnd = i == 1;
        p.features.caller_id_block = true;
        p.features.anonymous_rejection = true;
        p.features.forward.busy = Some("555".into());
        p.features.forward.no_answer_timeout_s = 18;
    }
    c.management.cwmp = Some(Cwmp {
        acs_url: "https://acs2.example.net/cwmp".into(),
        username: Some("cpe-7".into()),
        password: Some(Secret::new("acs-rotated")),
        periodic_inform_interval_s: 900,
    });
    c.validate().expect("the fixture is valid");
    c
}

fn push(
    values: &[(String, Value)],
    keep: impl Fn(&str) -> bool,
) -> Vec<(String, String, Option<ValueType>)> {
    values
        .iter()
        .filter(|(n, _)| keep(n))
        .map(|(n, v)| (n.clone(), v.to_string(), Some(v.value_type())))
        .collect()
}

/// TR-069 Amendment 6 §A.3.2.1: one SetParameterValues of the issue 2 names (plus the
/// TR-181 ones) of `provisioning_values` turns another configuration into this one,
/// passwords included; pushed to a device that already has it, it changes nothing.
#[test]
fn provisioning_values_carry_a_whole_configuration_with_its_secrets() {
    let target = other_config();
    let (state, live, dev) = (CwmpState::default(), live(2), device());
    let values = Tree::new(&target, &state, &live, &dev).provisioning_values();

    // Secrets carry their values here (and still read as "" through get).
    let pw = vs("SIP.Client.2.AuthPassword");
    let got = values
        .iter()
        .find(|(n, _)| *n == pw)
        .map(|(_, v)| v.clone());
    assert_eq!(got, Some(Value::str("rotated-1-Secret!")));
    let acs_pw = values
        .iter()
        .find(|(n, _)| n == "Device.ManagementServer.Password");
    assert_eq!(
        acs_pw.map(|(_, v)| v.clone()),
        Some(Value::str("acs-rotated"))
    );
    // Only writable parameters of the configuration: no state, constants or read-only ones.
    for (n, _) in &values {
        let (template, _) = split_instances(n).unwrap();
        let def = definitions().param(&template).unwrap();
        assert!(def.writable(), "{n}");
        assert!(!matches!(def.binding, Binding::Const(_)), "{n}");
        assert!(
            !n.contains("ProvisioningCode") && !n.contains("NTPServer") && !n.contains("STUN"),
            "{n}"
        );
    }

    // Issue 2: another configuration becomes exactly the target.
    let issue2 = |n: &str| !n.contains(".VoiceProfile.");
    let before = config(2);
    let a = Tree::new(&before, &state, &live, &dev)
        .set(&push(&values, issue2))
        .unwrap_or_else(|f| panic!("{f:?}"));
    assert_eq!(a.config, target);
    // Idempotent: the target itself does not change.
    let again = Tree::new(&target, &state, &live, &dev)
        .set(&push(&values, issue2))
        .unwrap_or_else(|f| panic!("{f:?}"));
    assert!(!again.config_changed && !again.state_changed);

    // Issue 1 (the VoiceProfile names, no issue 2 voice object): everything issue 1 can
    // say, which is one SIP server.
    let issue1 = |n: &str| !n.starts_with(VS) || n.starts_with(&vs("VoiceProfile."));
    let a1 = Tree::new(&before, &state, &live, &dev)
        .set(&push(&values, issue1))
        .unwrap_or_else(|f| panic!("{f:?}"));
    let mut expected = target.clone();
    expected.sip.servers.truncate(1);
    assert_eq!(a1.config, expected);
}

/// Without a TR-069 section nothing of `ManagementServer` is pushed (an empty URL would
/// cut the device off), and RTP ports the device chooses are not pinned to 1024.
#[test]
fn provisioning_values_leave_out_what_the_configuration_does_not_set() {
    let mut c = config(1);
    c.management.cwmp = None;
    c.sip.rtp_port_base = 0;
    let (state, live, dev) = (CwmpState::default(), live(1), device());
    let values = Tree::new(&c, &state, &live, &dev).provisioning_values();
    assert!(!values
        .iter()
        .any(|(n, _)| n.starts_with("Device.ManagementServer.")));
    assert!(!values.iter().any(|(n, _)| n.ends_with("LocalPortMin")));
    assert!(values
        .iter()
        .any(|(n, _)| *n == vs("SIP.Client.1.AuthPassword")));
    let a = Tree::new(&c, &state, &live, &dev)
        .set(&push(&values, |n| !n.contains(".VoiceProfile.")))
        .unwrap();
    assert!(!a.config_changed, "{:?}", crate::Applied::clone(&a).config);
}

/// The call log: the last finished calls, each with its one audio session, its jitter and
/// its quality (MOS-LQ x 100 as a one-value list; an empty list when never known).
#[test]
fn the_call_log_shows_finished_calls_and_their_quality() {
    let fx = Fx::new(2);
    let t = fx.tree();
    assert_eq!(
        get1(&t, &vs("CallLogNumberOfEntries")),
        Value::UnsignedInt(2)
    );
    assert_eq!(get1(&t, &vs("CallLog.1.Direction")), Value::str("Outgoing"));
    assert_eq!(
        get1(&t, &vs("CallLog.1.UsedLine")),
        Value::str(vs("CallControl.Line.1"))
    );
    assert_eq!(get1(&t, &vs("CallLog.1.Duration")), Value::UnsignedInt(95));
    assert_eq!(
        get1(&t, &vs("CallLog.1.SessionNumberOfEntries")),
        Value::UnsignedInt(1)
    );
    assert_eq!(
        get1(&t, &vs("CallLog.1.Session.1.StreamType")),
        Value::str("Audio")
    );
    assert_eq!(
        get1(&t, &vs("CallLog.1.Session.1.Source.RTP.MeanJitter")),
        Value::Int(2)
    );
    assert_eq!(
        get1(&t, &vs("CallLog.1.Session.1.Source.RTP.PacketsLost")),
        Value::UnsignedInt(3)
    );
    assert_eq!(
        get1(
            &t,
            &vs("CallLog.1.Session.1.Source.VoiceQuality.VoIPQualityIndicator")
        ),
        Value::str("421")
    );
    assert_eq!(
        get1(
            &t,
            &vs("CallLog.2.Session.1.Source.VoiceQuality.VoIPQualityIndicator")
        ),
        Value::str("")
    );
    assert_eq!(
        get1(&t, &vs("CallLog.2.CallingPartyNumber")),
        Value::str("sip:900@pbx.example.net")
    );
    // Read-only, and no third call.
    assert!(t.get(&[vs("CallLog.3.")]).is_err());
}

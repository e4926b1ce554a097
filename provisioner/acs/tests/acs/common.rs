//! Scripted CPEs and the loop that drives a session with them.
//!
//! Every message a CPE sends is built with `tipring-cwmp`'s writer, and every reply of
//! the ACS is read back with its reader, as a real peer would. Two CPEs:
//!
//! * [`TipringCpe`]: our agent's data model (`Device.` root, TR-104 issue 2 and the
//!   `X_TIPRING_` extensions), served by `tipring-datamodel`'s tree over a gateway
//!   configuration, as the agent does — without the agent (the provisioner never
//!   imports `agent/*`);
//! * [`Tr098Cpe`]: a third-party ATA modelled on a map — `InternetGatewayDevice.` root,
//!   TR-104 issue 1 (`VoiceProfile.1.Line.{i}`), lines added with AddObject, no
//!   `VoiceProcessing` object, no BOOTSTRAP event, and a GetParameterNames on the root
//!   refused with 9005.

use std::collections::BTreeMap;

use tipring_acs::model::{
    CachedParameter, Device, DeviceKey, DriftPolicy, Enrollment, Profile, Site, Task, TaskKind,
    TaskState,
};
use tipring_acs::{
    plan, read_inform, render, AcsConfig, ProvisionPlan, Reply, Session, SessionOutcome, VoicePaths,
};
use tipring_config::GatewayConfig;
use tipring_cwmp::{
    parse, AddObjectResponse, AllQueuedTransfer, Body, CwmpVersion, DeviceId, Envelope,
    EventStruct, Fault, FaultCode, Inform, Notification, ParameterAttribute, ParameterInfo,
    ParameterValue, SetParameterValuesFault, Status, TransferResponse, TransferState, ValueType,
};
use tipring_datamodel::{Attributes, CwmpState, DeviceIdentity, LiveState, SetAttribute, Tree};

/// The epoch of the scenarios (2024-05-01T12:00:00Z).
pub const NOW: i64 = 1_714_564_800;

/// What a CPE does with the ACS's messages.
pub trait Cpe {
    /// The Inform of a session with these events (and the parameters it carries).
    fn inform(&mut self, events: &[&str]) -> Envelope;
    /// The answer to one RPC of the ACS.
    fn answer(&mut self, rpc: &Envelope) -> Envelope;
}

/// The profile every scenario renders: one SIP server, an extension range, per-port
/// passwords from secrets.
pub const TEMPLATE: &str = r#"{
  "schema_version": 1,
  "device": { "name": "{{site}}-{{serial}}", "country": "{{country}}" },
  "sip": { "servers": ["{{pbx}}"], "domain": "{{domain}}", "registration_expiry_s": "{{int:expiry}}" },
  "ports": [ { "$each_port": {
      "extension": "{{extension}}",
      "display_name": "{{site}} {{port}}",
      "password": "{{secret:ports.#.password}}"
  } } ]
}"#;

pub fn profile() -> Profile {
    Profile {
        name: "branch".into(),
        priority: 10,
        model: None,
        site: None,
        tags: Vec::new(),
        template: TEMPLATE.into(),
        variables: [("country", "de"), ("expiry", "600")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        drift: DriftPolicy::Correct,
    }
}

pub fn site() -> Site {
    Site {
        name: "berlin".into(),
        description: "Berlin branch".into(),
        variables: [
            ("pbx", "pbx.berlin.example:5070"),
            ("domain", "berlin.example"),
            ("first_extension", "200"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
    }
}

/// The per-device secret store of the scenarios: strong-looking, distinct per port.
pub fn secret(name: &str) -> Option<String> {
    let port = name.strip_prefix("ports.")?.strip_suffix(".password")?;
    Some(format!("Zk8!q{port}-vR2#pL9x"))
}

/// The configuration and plan of a device.
pub fn rendered(device: &Device, ports: u32) -> GatewayConfig {
    render(&profile(), Some(&site()), device, ports, &secret)
        .expect("the scenario template renders")
        .config
}

pub fn plan_for(device: &Device, ports: u32, paths: VoicePaths) -> ProvisionPlan {
    plan(&rendered(device, ports), device.root, paths).with_drift(profile().drift)
}

pub fn approved(key: DeviceKey) -> Device {
    let mut d = Device::new(key, NOW - 3600);
    d.enrollment = Enrollment::Approved;
    d.site = Some("berlin".into());
    d
}

pub fn task(id: i64, device: &Device, kind: TaskKind) -> Task {
    Task {
        id,
        device: device.id.clone(),
        kind,
        state: TaskState::Queued,
        attempts: 0,
        next_attempt_at: 0,
        fault: None,
        result: None,
        created_at: NOW - 60,
        created_by: "ops".into(),
        updated_at: NOW - 60,
    }
}

/// One session as it went.
pub struct Transcript {
    /// The InformResponse.
    pub inform_response: Envelope,
    /// The ACS's RPCs, in order.
    pub rpcs: Vec<Envelope>,
    /// Every reply, in order (the InformResponse first).
    pub replies: Vec<Reply>,
    /// What the session left.
    pub outcome: SessionOutcome,
}

impl Transcript {
    /// The method names of the ACS's RPCs.
    pub fn methods(&self) -> Vec<&str> {
        self.rpcs.iter().filter_map(|e| e.method_name()).collect()
    }

    /// The RPCs of one method.
    pub fn of(&self, method: &str) -> Vec<&Body> {
        self.rpcs
            .iter()
            .filter(|e| e.method_name() == Some(method))
            .filter_map(|e| e.body.as_ref())
            .collect()
    }
}

/// Runs a whole session: the CPE's Inform, its own requests, the empty POST, then every
/// RPC answered until the ACS's 204.
pub fn run(
    cpe: &mut dyn Cpe,
    events: &[&str],
    device: Device,
    tasks: Vec<Task>,
    plan: Option<ProvisionPlan>,
    cache: Vec<CachedParameter>,
    cpe_requests: Vec<Envelope>,
) -> Transcript {
    run_with(
        &AcsConfig::default(),
        cpe,
        events,
        device,
        tasks,
        plan,
        cache,
        cpe_requests,
    )
}

#[allow(clippy::too_many_arguments)]
pub fn run_with(
    cfg: &AcsConfig,
    cpe: &mut dyn Cpe,
    events: &[&str],
    device: Device,
    tasks: Vec<Task>,
    plan: Option<ProvisionPlan>,
    cache: Vec<CachedParameter>,
    cpe_requests: Vec<Envelope>,
) -> Transcript {
    let inform = cpe.inform(events);
    let info = read_inform(&inform.to_xml()).expect("the Inform reads");
    let (mut session, reply) = Session::start(cfg, info, device, tasks, plan, cache, NOW);
    assert_eq!(reply.status, 200);
    let inform_response = read(&reply);
    assert_eq!(inform_response.body, Some(Body::InformResponse(1)));
    assert_eq!(
        inform_response.id(),
        inform.id(),
        "§3.7.2.3: the Inform's cwmp:ID"
    );
    let mut replies = vec![reply];
    for req in cpe_requests {
        let reply = session.handle(&req.to_xml(), NOW);
        assert_eq!(reply.status, 200, "a CPE request is answered");
        let answer = read(&reply);
        assert_eq!(answer.id(), req.id());
        replies.push(reply);
    }
    let mut rpcs = Vec::new();
    let mut reply = session.handle(b"", NOW);
    for _ in 0..1000 {
        let done = reply.done;
        replies.push(reply.clone());
        if done {
            break;
        }
        let rpc = read(&reply);
        let answer = cpe.answer(&rpc);
        rpcs.push(rpc);
        reply = session.handle(&answer.to_xml(), NOW);
    }
    let last = replies.last().expect("a reply");
    assert!(last.done, "the session ends");
    assert_eq!(last.status, 204, "the session ends with 204");
    assert!(last.body.is_empty());
    Transcript {
        inform_response,
        rpcs,
        replies,
        outcome: session.finish(NOW, true),
    }
}

/// An envelope the ACS sent.
pub fn read(reply: &Reply) -> Envelope {
    assert_eq!(reply.status, 200, "an envelope comes with 200");
    parse(&reply.body)
        .expect("the ACS writes readable CWMP")
        .expect("not empty")
}

fn typed(name: String, v: &tipring_datamodel::Value) -> ParameterValue {
    ParameterValue::new(
        name,
        v.to_string(),
        ValueType::from_xsi(v.value_type().xsd_name()),
    )
}

fn fault(code: u32) -> Body {
    Body::Fault(Fault::cwmp(FaultCode(code)))
}

// ---- our agent's data model ----------------------------------------------------------

/// A CPE with our agent's data model.
pub struct TipringCpe {
    pub id: DeviceId,
    pub config: GatewayConfig,
    pub state: CwmpState,
    pub live: LiveState,
    pub identity: DeviceIdentity,
    /// Values the Inform reports as changed (4 VALUE CHANGE).
    pub changed: Vec<String>,
    /// Faults to give instead of answering, by method name, first in first out.
    pub faults: BTreeMap<String, Vec<u32>>,
    /// Every RPC received, by method.
    pub received: Vec<String>,
    /// Parameter attributes (Notification, AccessList), as the agent keeps them.
    pub attributes: Attributes,
    /// Transfers accepted and not finished (Download, Upload, ScheduleDownload).
    pub transfers: Vec<AllQueuedTransfer>,
    /// ScheduleInform requests accepted: (delay, CommandKey).
    pub scheduled: Vec<(u32, String)>,
    /// Answer an Upload with status 0 (done at once) instead of 1.
    pub uploads_at_once: bool,
}

/// The methods our agent answers GetRPCMethods with (TR-069 Amendment 6 Annex A.3.1.1:
/// the required ones and the optional ones it implements).
pub const TIPRING_METHODS: &[&str] = &[
    "GetRPCMethods",
    "SetParameterValues",
    "GetParameterValues",
    "GetParameterNames",
    "SetParameterAttributes",
    "GetParameterAttributes",
    "AddObject",
    "DeleteObject",
    "Reboot",
    "Download",
    "Upload",
    "FactoryReset",
    "ScheduleInform",
    "GetQueuedTransfers",
    "GetAllQueuedTransfers",
    "CancelTransfer",
    "ScheduleDownload",
];

impl TipringCpe {
    /// A factory-fresh gateway with `ports` ports and no passwords.
    pub fn new(serial: &str, ports: usize) -> Self {
        let identity = DeviceIdentity {
            serial_number: serial.into(),
            manufacturer_oui: "00A0B1".into(),
            product_class: "FXS".into(),
            software_version: "0.9.0".into(),
            hardware_version: "sim-1".into(),
            ..DeviceIdentity::default()
        };
        Self {
            id: DeviceId {
                manufacturer: identity.manufacturer.clone(),
                oui: identity.manufacturer_oui.clone(),
                product_class: identity.product_class.clone(),
                serial_number: serial.into(),
            },
            config: GatewayConfig::example(ports),
            state: CwmpState::default(),
            live: LiveState {
                connection_request_url: format!("http://10.0.0.7:7547/{serial}"),
                ..LiveState::default()
            },
            identity,
            changed: Vec::new(),
            faults: BTreeMap::new(),
            received: Vec::new(),
            attributes: Attributes::new(),
            transfers: Vec::new(),
            scheduled: Vec::new(),
            uploads_at_once: false,
        }
    }

    fn queue_transfer(&mut self, key: &str, is_download: bool, file_type: &str, size: u32) {
        self.transfers.push(AllQueuedTransfer {
            command_key: key.into(),
            state: TransferState::NotStarted,
            is_download,
            file_type: file_type.into(),
            file_size: size,
            target_file_name: String::new(),
        });
    }

    /// The same gateway, already configured by hand (passwords set): any change it
    /// accepts leaves a valid configuration.
    pub fn configured(mut self) -> Self {
        for (i, p) in self.config.ports.iter_mut().enumerate() {
            p.password = Some(tipring_config::Secret::new(format!("local-{i}-Pa55")));
        }
        self
    }

    pub fn key(&self) -> DeviceKey {
        DeviceKey {
            oui: self.id.oui.clone(),
            product_class: self.id.product_class.clone(),
            serial: self.id.serial_number.clone(),
        }
    }

    /// The approved device record as admission leaves it after this CPE's Inform.
    pub fn device(&self) -> Device {
        let mut d = approved(self.key());
        d.root = tipring_acs::model::Root::Device;
        d.manufacturer = "Tipring".into();
        d
    }

    fn tree(&self) -> Tree<'_> {
        Tree::new(&self.config, &self.state, &self.live, &self.identity)
    }
}

impl Cpe for TipringCpe {
    fn inform(&mut self, events: &[&str]) -> Envelope {
        let tree = self.tree();
        let mut parameters: Vec<ParameterValue> = tree
            .forced_inform()
            .into_iter()
            .map(|(n, v)| typed(n, &v))
            .collect();
        if !self.changed.is_empty() {
            let got = tree.get(&self.changed).expect("changed names exist");
            parameters.extend(got.into_iter().map(|(n, v)| typed(n, &v)));
        }
        let mut env = Envelope::new(
            "cpe-1",
            Body::Inform(Inform {
                device_id: self.id.clone(),
                events: events.iter().map(|e| EventStruct::new(*e)).collect(),
                max_envelopes: 1,
                current_time: tipring_cwmp::time::format_date_time(NOW),
                retry_count: 0,
                parameters,
            }),
        );
        env.header.supported_versions = Some("1.0,1.1,1.2,1.3,1.4".into());
        env
    }

    fn answer(&mut self, rpc: &Envelope) -> Envelope {
        let body = rpc.body.clone().expect("an RPC");
        self.received.push(body.method_name().to_string());
        if let Some(code) = self
            .faults
            .get_mut(body.method_name())
            .and_then(|q| (!q.is_empty()).then(|| q.remove(0)))
        {
            return rpc.reply(fault(code));
        }
        let answer = match body {
            Body::GetParameterValues(names) => match self.tree().get(&names) {
                Ok(v) => Body::GetParameterValuesResponse(
                    v.iter().map(|(n, v)| typed(n.clone(), v)).collect(),
                ),
                Err(f) => fault(f.code.code()),
            },
            Body::GetParameterNames(g) => {
                match self.tree().names(&g.parameter_path, g.next_level) {
                    Ok(v) => Body::GetParameterNamesResponse(
                        v.into_iter()
                            .map(|(name, writable)| ParameterInfo { name, writable })
                            .collect(),
                    ),
                    Err(f) => fault(f.code.code()),
                }
            }
            Body::SetParameterValues(s) => {
                let writes: Vec<_> = s
                    .parameters
                    .iter()
                    .map(|p| {
                        (
                            p.name.clone(),
                            p.value.clone(),
                            tipring_datamodel::ValueType::from_xsd(p.kind.local_name()),
                        )
                    })
                    .collect();
                let result = self.tree().set(&writes);
                match result {
                    Ok(applied) => {
                        self.config = applied.config;
                        self.state = applied.state;
                        self.state.parameter_key = s.parameter_key.clone();
                        Body::SetParameterValuesResponse(Status::Applied)
                    }
                    Err(faults) => Body::Fault(Fault::set_parameter_values(
                        FaultCode::INVALID_ARGUMENTS,
                        faults
                            .into_iter()
                            .map(|(n, f)| SetParameterValuesFault {
                                parameter_name: n,
                                fault_code: FaultCode(f.code.code()),
                                fault_string: f.message,
                            })
                            .collect(),
                    )),
                }
            }
            Body::AddObject(a) => match self.tree().add_object(&a.object_name) {
                Ok(n) => Body::AddObjectResponse(AddObjectResponse {
                    instance_number: n,
                    status: Status::Applied,
                }),
                Err(f) => fault(f.code.code()),
            },
            Body::Reboot(_) => Body::RebootResponse,
            Body::FactoryReset => Body::FactoryResetResponse,
            Body::Download(d) => {
                self.queue_transfer(&d.command_key, true, &d.file_type, d.file_size);
                Body::DownloadResponse(TransferResponse {
                    status: Status::Pending,
                    start_time: tipring_cwmp::time::UNKNOWN_TIME.into(),
                    complete_time: tipring_cwmp::time::UNKNOWN_TIME.into(),
                })
            }
            Body::GetParameterAttributes(names) => {
                match self.tree().get_attributes(&self.attributes, &names) {
                    Ok(list) => Body::GetParameterAttributesResponse(
                        list.into_iter()
                            .map(|a| ParameterAttribute {
                                name: a.name,
                                notification: Notification::from_u8(a.notification.code())
                                    .unwrap_or_default(),
                                access_list: a.access_list,
                            })
                            .collect(),
                    ),
                    Err(f) => fault(f.code.code()),
                }
            }
            Body::SetParameterAttributes(list) => {
                let changes: Vec<SetAttribute> = list
                    .iter()
                    .map(|a| SetAttribute {
                        name: a.name.clone(),
                        notification: a
                            .notification_change
                            .then(|| u32::from(a.notification.as_u8())),
                        access_list: a.access_list_change.then(|| a.access_list.clone()),
                    })
                    .collect();
                match self.tree().set_attributes(&self.attributes, &changes) {
                    Ok(store) => {
                        self.attributes = store;
                        Body::SetParameterAttributesResponse
                    }
                    Err(f) => fault(f.code.code()),
                }
            }
            Body::GetRpcMethods => {
                Body::GetRpcMethodsResponse(TIPRING_METHODS.iter().map(|m| m.to_string()).collect())
            }
            Body::ScheduleInform(s) if s.delay_seconds == 0 => fault(9003),
            Body::ScheduleInform(s) => {
                self.scheduled.push((s.delay_seconds, s.command_key));
                Body::ScheduleInformResponse
            }
            Body::Upload(_) if self.uploads_at_once => Body::UploadResponse(TransferResponse {
                status: Status::Applied,
                start_time: "2024-05-01T12:00:01Z".into(),
                complete_time: "2024-05-01T12:00:02Z".into(),
            }),
            Body::Upload(u) => {
                self.queue_transfer(&u.command_key, false, &u.file_type, 0);
                Body::UploadResponse(TransferResponse {
                    status: Status::Pending,
                    start_time: tipring_cwmp::time::UNKNOWN_TIME.into(),
                    complete_time: tipring_cwmp::time::UNKNOWN_TIME.into(),
                })
            }
            Body::ScheduleDownload(d) => {
                self.queue_transfer(&d.command_key, true, &d.file_type, d.file_size);
                Body::ScheduleDownloadResponse
            }
            Body::GetAllQueuedTransfers => {
                Body::GetAllQueuedTransfersResponse(self.transfers.clone())
            }
            // A.4.1.9: a transfer not yet started may be cancelled; one in progress not
            // (9021); an unknown CommandKey is an invalid argument.
            Body::CancelTransfer(key) => {
                match self.transfers.iter().position(|t| t.command_key == key) {
                    Some(i) if self.transfers[i].state == TransferState::NotStarted => {
                        self.transfers.remove(i);
                        Body::CancelTransferResponse
                    }
                    Some(_) => fault(9021),
                    None => fault(9003),
                }
            }
            _ => fault(9000),
        };
        rpc.reply(answer)
    }
}

// ---- a third-party TR-098 ATA ----------------------------------------------------------

const IGD: &str = "InternetGatewayDevice.";
pub const IGD_VP: &str = "InternetGatewayDevice.Services.VoiceService.1.VoiceProfile.1.";

/// A parameter of the map CPE: value, type, writable, secret.
#[derive(Debug, Clone)]
pub struct Param {
    pub value: String,
    pub kind: ValueType,
    pub writable: bool,
    pub secret: bool,
}

/// The methods the ATA answers GetRPCMethods with: those it implements, none of the
/// optional ones of Annex A.4 (it answers every other method with 9000).
pub const TR098_METHODS: &[&str] = &[
    "GetRPCMethods",
    "SetParameterValues",
    "GetParameterValues",
    "GetParameterNames",
    "AddObject",
];

/// A TR-098 ATA: issue 1 voice, lines added with AddObject.
pub struct Tr098Cpe {
    pub id: DeviceId,
    pub params: BTreeMap<String, Param>,
    pub next_line: u32,
    /// Every RPC received (method and its first name argument, if any).
    pub received: Vec<String>,
    /// Parameters (by the end of their name) that this ATA lists as writable but refuses
    /// to set (9008), as some firmware does.
    pub refuse_to_set: Vec<String>,
}

fn p(value: &str, kind: ValueType, writable: bool) -> Param {
    Param {
        value: value.into(),
        kind,
        writable,
        secret: false,
    }
}

impl Tr098Cpe {
    /// An ATA with these line instances (no VoiceProcessing object, no anonymous-call
    /// parameters).
    pub fn new(serial: &str, lines: &[u32]) -> Self {
        let mut params = BTreeMap::new();
        let s = ValueType::String;
        let u = ValueType::UnsignedInt;
        for (n, v) in [
            ("DeviceSummary", p("InternetGatewayDevice:1.1[](Baseline:1), VoiceService:1.0[1](Endpoint:1, SIPEndpoint:1)", s.clone(), false)),
            ("DeviceInfo.Manufacturer", p("Acme Telecom", s.clone(), false)),
            ("DeviceInfo.ModelName", p("ATA-2", s.clone(), false)),
            ("DeviceInfo.SoftwareVersion", p("3.0.17", s.clone(), false)),
            ("DeviceInfo.HardwareVersion", p("V2.1", s.clone(), false)),
            ("DeviceInfo.ProvisioningCode", p("", s.clone(), true)),
            ("ManagementServer.ConnectionRequestURL", p("http://10.20.30.40:7547/cr", s.clone(), false)),
            ("ManagementServer.ParameterKey", p("", s.clone(), false)),
            ("Services.VoiceService.1.VoiceProfileNumberOfEntries", p("1", u.clone(), false)),
        ] {
            params.insert(format!("{IGD}{n}"), v);
        }
        let mut cpe = Self {
            id: DeviceId {
                manufacturer: "Acme Telecom".into(),
                oui: "00D09E".into(),
                product_class: "ATA-2".into(),
                serial_number: serial.into(),
            },
            params,
            next_line: lines.iter().max().copied().unwrap_or(0) + 1,
            received: Vec::new(),
            refuse_to_set: Vec::new(),
        };
        cpe.add_profile();
        for &l in lines {
            cpe.add_line(l);
        }
        cpe
    }

    /// An ATA fresh from the factory: no voice profile at all.
    pub fn bare(serial: &str) -> Self {
        let mut cpe = Self::new(serial, &[]);
        cpe.params.retain(|k, _| !k.starts_with(IGD_VP));
        cpe.next_line = 1;
        cpe
    }

    fn add_profile(&mut self) {
        let s = ValueType::String;
        let u = ValueType::UnsignedInt;
        for (n, v) in [
            ("Enable", p("Enabled", s.clone(), true)),
            ("NumberOfLines", p("1", u.clone(), false)),
            ("DTMFMethod", p("InBand", s.clone(), true)),
            ("Region", p("US", s.clone(), true)),
            ("DigitMap", p("x.T", s.clone(), true)),
            ("SIP.ProxyServer", p("", s.clone(), true)),
            ("SIP.ProxyServerPort", p("5060", u.clone(), true)),
            ("SIP.ProxyServerTransport", p("UDP", s.clone(), true)),
            ("SIP.RegistrarServer", p("", s.clone(), true)),
            ("SIP.RegistrarServerPort", p("5060", u.clone(), true)),
            ("SIP.RegistrarServerTransport", p("UDP", s.clone(), true)),
            ("SIP.UserAgentDomain", p("", s.clone(), true)),
            ("SIP.UserAgentPort", p("5060", u.clone(), true)),
            ("SIP.UserAgentTransport", p("UDP", s.clone(), true)),
            ("SIP.OutboundProxy", p("", s.clone(), true)),
            ("SIP.RegisterExpires", p("3600", u.clone(), true)),
            ("RTP.LocalPortMin", p("16384", u.clone(), true)),
            ("RTP.SRTP.Enable", p("0", ValueType::Boolean, true)),
        ] {
            self.params.insert(format!("{IGD_VP}{n}"), v);
        }
    }

    fn add_line(&mut self, l: u32) {
        let s = ValueType::String;
        let b = ValueType::Boolean;
        let line = format!("{IGD_VP}Line.{l}.");
        for (n, v) in [
            ("Enable", p("Disabled", s.clone(), true)),
            ("DirectoryNumber", p("", s.clone(), true)),
            ("Status", p("Disabled", s.clone(), false)),
            ("SIP.AuthUserName", p("", s.clone(), true)),
            ("SIP.URI", p("", s.clone(), true)),
            ("CallingFeatures.CallerIDEnable", p("1", b.clone(), true)),
            ("CallingFeatures.CallerIDName", p("", s.clone(), true)),
            ("CallingFeatures.CallWaitingEnable", p("0", b.clone(), true)),
            (
                "CallingFeatures.CallForwardUnconditionalEnable",
                p("0", b.clone(), true),
            ),
            (
                "CallingFeatures.CallForwardUnconditionalNumber",
                p("", s.clone(), true),
            ),
            ("CallingFeatures.MWIEnable", p("0", b.clone(), true)),
        ] {
            self.params.insert(format!("{line}{n}"), v);
        }
        self.params.insert(
            format!("{line}SIP.AuthPassword"),
            Param {
                value: String::new(),
                kind: s,
                writable: true,
                secret: true,
            },
        );
    }

    pub fn key(&self) -> DeviceKey {
        DeviceKey {
            oui: self.id.oui.clone(),
            product_class: self.id.product_class.clone(),
            serial: self.id.serial_number.clone(),
        }
    }

    pub fn device(&self) -> Device {
        let mut d = approved(self.key());
        d.root = tipring_acs::model::Root::InternetGatewayDevice;
        d.manufacturer = "Acme Telecom".into();
        d.model = "ATA-2".into();
        d
    }

    /// A value as stored (secrets included).
    pub fn value(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(|p| p.value.as_str())
    }

    fn shown(&self, name: &str, p: &Param) -> ParameterValue {
        let value = if p.secret { "" } else { p.value.as_str() };
        ParameterValue::new(name, value, p.kind.clone())
    }

    /// Next-level children of a partial path (objects end in `.`).
    fn children(&self, path: &str) -> Vec<(String, bool)> {
        let mut out: Vec<(String, bool)> = Vec::new();
        for (name, p) in self.params.range(path.to_string()..) {
            let Some(rest) = name.strip_prefix(path) else {
                break;
            };
            let child = match rest.find('.') {
                Some(i) => (format!("{path}{}", &rest[..=i]), false),
                None => (name.clone(), p.writable),
            };
            if !out.iter().any(|(n, _)| *n == child.0) {
                out.push(child);
            }
        }
        out
    }
}

impl Cpe for Tr098Cpe {
    fn inform(&mut self, events: &[&str]) -> Envelope {
        let names = [
            "DeviceSummary",
            "DeviceInfo.HardwareVersion",
            "DeviceInfo.SoftwareVersion",
            "DeviceInfo.ProvisioningCode",
            "ManagementServer.ConnectionRequestURL",
            "ManagementServer.ParameterKey",
        ];
        let parameters = names
            .iter()
            .map(|n| {
                let full = format!("{IGD}{n}");
                self.shown(&full, &self.params[&full])
            })
            .collect();
        let mut env = Envelope::new(
            "1",
            Body::Inform(Inform {
                device_id: self.id.clone(),
                events: events.iter().map(|e| EventStruct::new(*e)).collect(),
                max_envelopes: 1,
                current_time: "2024-05-01T14:00:00+02:00".into(),
                retry_count: 0,
                parameters,
            }),
        );
        env.version = CwmpVersion::V1_0;
        env
    }

    fn answer(&mut self, rpc: &Envelope) -> Envelope {
        let body = rpc.body.clone().expect("an RPC");
        let answer = match body {
            Body::GetParameterValues(names) => {
                self.received.push("GetParameterValues".into());
                let mut out = Vec::new();
                let mut bad = false;
                for n in &names {
                    let hits: Vec<ParameterValue> = self
                        .params
                        .iter()
                        .filter(|(k, _)| *k == n || (n.ends_with('.') && k.starts_with(n.as_str())))
                        .map(|(k, p)| self.shown(k, p))
                        .collect();
                    bad |= hits.is_empty();
                    out.extend(hits);
                }
                if bad {
                    fault(9005)
                } else {
                    Body::GetParameterValuesResponse(out)
                }
            }
            Body::GetParameterNames(g) => {
                self.received
                    .push(format!("GetParameterNames {}", g.parameter_path));
                let path = g.parameter_path.as_str();
                let has_profile = self.params.keys().any(|k| k.starts_with(IGD_VP));
                let empty_table = (path == format!("{IGD}Services.VoiceService.1.VoiceProfile.")
                    && !has_profile)
                    || (path == format!("{IGD_VP}Line.") && has_profile);
                if path.is_empty() || path == IGD || !g.next_level {
                    // This ATA refuses to walk its whole tree.
                    fault(9005)
                } else if empty_table && self.children(path).is_empty() {
                    Body::GetParameterNamesResponse(Vec::new())
                } else {
                    let kids = self.children(path);
                    if kids.is_empty() {
                        fault(9005)
                    } else {
                        Body::GetParameterNamesResponse(
                            kids.into_iter()
                                .map(|(name, writable)| ParameterInfo { name, writable })
                                .collect(),
                        )
                    }
                }
            }
            Body::AddObject(a) => {
                self.received.push(format!("AddObject {}", a.object_name));
                let has_profile = self.params.keys().any(|k| k.starts_with(IGD_VP));
                if a.object_name == format!("{IGD}Services.VoiceService.1.VoiceProfile.")
                    && !has_profile
                {
                    self.add_profile();
                    Body::AddObjectResponse(AddObjectResponse {
                        instance_number: 1,
                        status: Status::Applied,
                    })
                } else if a.object_name == format!("{IGD_VP}Line.") && has_profile {
                    let n = self.next_line;
                    self.next_line += 1;
                    self.add_line(n);
                    Body::AddObjectResponse(AddObjectResponse {
                        instance_number: n,
                        status: Status::Applied,
                    })
                } else {
                    fault(9005)
                }
            }
            Body::SetParameterValues(s) => {
                self.received.push("SetParameterValues".into());
                let faults: Vec<SetParameterValuesFault> = s
                    .parameters
                    .iter()
                    .filter_map(|v| {
                        let refused = self
                            .refuse_to_set
                            .iter()
                            .any(|r| v.name.ends_with(r.as_str()));
                        let code = match self.params.get(&v.name) {
                            None => 9005,
                            Some(p) if !p.writable || refused => 9008,
                            Some(_) => return None,
                        };
                        Some(SetParameterValuesFault {
                            parameter_name: v.name.clone(),
                            fault_code: FaultCode(code),
                            fault_string: String::new(),
                        })
                    })
                    .collect();
                if faults.is_empty() {
                    for v in &s.parameters {
                        if let Some(p) = self.params.get_mut(&v.name) {
                            p.value = v.value.clone();
                        }
                    }
                    Body::SetParameterValuesResponse(Status::Applied)
                } else {
                    Body::Fault(Fault::set_parameter_values(
                        FaultCode::INVALID_ARGUMENTS,
                        faults,
                    ))
                }
            }
            Body::GetRpcMethods => {
                self.received.push("GetRPCMethods".into());
                Body::GetRpcMethodsResponse(TR098_METHODS.iter().map(|m| m.to_string()).collect())
            }
            other => {
                self.received.push(other.method_name().to_string());
                fault(9000)
            }
        };
        rpc.reply(answer)
    }
}

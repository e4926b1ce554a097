//! Our definitions against the Broadband Forum's: every parameter we define must exist in
//! TR-181 Device:2.17 (`tr-181-2-17-0-cwmp-full.xml`), TR-104 issue 2
//! (`tr-104-2-0-2-cwmp-full.xml`) or TR-104 issue 1 (`tr-104-1-1-0-full.xml`) with the
//! same type (string length, range, list), the same access (writable there ⇔ writable
//! here or a documented deviation), the same activeNotify and forcedInform, the same
//! hidden/secured flag; every object must exist with the same multi-instance-ness; and
//! every value a tree reads for an enumerated parameter must be one of its enumeration.
//!
//! The XML lives in /work/shared/bbf (CI has it). When that directory is absent the tests
//! print a message and return without checking.
//!
//! `fax` reads and writes the fax parameters of each port (sets and faults).

mod fax;
mod model;

use std::path::Path;

use model::{BbfModel, BbfParam};
use tipring_config::{
    DtmfMethod, FaxPassThrough, GatewayConfig, Secret, SrtpPolicy, TcfMethod, Transport,
};
use tipring_datamodel::{
    definitions, CadenceStep, CallStatus, ClientStatus, CwmpState, DeviceIdentity,
    EthernetInterface, ExtensionStatus, FirmwareImage, FirmwareStatus, FxsStatus, InterfaceStatus,
    IpInterface, Ipv4Address, LineStatus, LiveState, NetworkStatus, ParamDef, PortLive, Standard,
    TimeStatus, Tone, ToneFrequency, ToneFunction, Tree, ValueType,
};

const BBF_DIR: &str = "/work/shared/bbf";

struct Models {
    tr181: BbfModel,
    tr104i2: BbfModel,
    tr104i1: BbfModel,
}

fn load() -> Option<Models> {
    let dir = Path::new(BBF_DIR);
    if !dir.is_dir() {
        println!(
            "SKIPPED: {BBF_DIR} is absent, so our definitions are not checked against the \
             BBF XML here (CI has the directory)"
        );
        return None;
    }
    let read = |f: &str| {
        let text = std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        BbfModel::parse(&text).unwrap_or_else(|e| panic!("{f}: {e}"))
    };
    Some(Models {
        tr181: read("tr-181-2-17-0-cwmp-full.xml"),
        tr104i2: read("tr-104-2-0-2-cwmp-full.xml"),
        tr104i1: read("tr-104-1-1-0-full.xml"),
    })
}

impl Models {
    /// The BBF file of a path and the path as that file spells it (service models are
    /// relative to `Device.Services.`).
    fn locate<'m>(&'m self, path: &str, standard: Standard) -> (&'m BbfModel, String) {
        let service = path
            .strip_prefix("Device.Services.")
            .unwrap_or(path)
            .to_string();
        match standard {
            Standard::Tr104Issue1 => (&self.tr104i1, service),
            Standard::Tr104Issue2 => (&self.tr104i2, service),
            _ => (&self.tr181, path.to_string()),
        }
    }
}

fn bbf_type(p: &BbfParam) -> String {
    let mut s = String::new();
    match p.list {
        Some(Some(n)) => s.push_str(&format!("list({n}):")),
        Some(None) => s.push_str("list:"),
        None => {}
    }
    s.push_str(&p.base);
    if let Some(n) = p.max_length {
        s.push_str(&format!("({n})"));
    }
    if let Some((lo, hi)) = p.range {
        let side = |x: Option<i64>| x.map(|v| v.to_string()).unwrap_or_default();
        s.push_str(&format!("[{}:{}]", side(lo), side(hi)));
    }
    s
}

fn check_param(m: &Models, def: &ParamDef, problems: &mut Vec<String>) {
    let (model, path) = m.locate(&def.path, def.standard);
    let Some(b) = model.params.get(&path) else {
        problems.push(format!("{}: not in the BBF definition ({path})", def.path));
        return;
    };
    let ours = def.ty.to_string();
    let theirs = bbf_type(b);
    if ours != theirs {
        problems.push(format!("{}: type {ours}, BBF {theirs}", def.path));
    }
    let bbf_writable = b.access == "readWrite";
    if def.bbf_writable() != bbf_writable {
        problems.push(format!(
            "{}: BBF access {}, ours {:?}{}",
            def.path,
            b.access,
            def.access,
            if def.deviation.is_some() {
                " (deviation)"
            } else {
                ""
            }
        ));
    }
    let notify = match def.active_notify {
        tipring_datamodel::ActiveNotify::Normal => "normal",
        tipring_datamodel::ActiveNotify::CanDeny => "canDeny",
        tipring_datamodel::ActiveNotify::ForceEnabled => "forceEnabled",
        tipring_datamodel::ActiveNotify::ForceDefaultEnabled => "forceDefaultEnabled",
    };
    if notify != b.active_notify {
        problems.push(format!(
            "{}: activeNotify {notify}, BBF {}",
            def.path, b.active_notify
        ));
    }
    if def.forced_inform != b.forced_inform {
        problems.push(format!(
            "{}: forcedInform {}, BBF {}",
            def.path, def.forced_inform, b.forced_inform
        ));
    }
    if def.secret != b.secret {
        problems.push(format!(
            "{}: secret {}, BBF hidden/secured {}",
            def.path, def.secret, b.secret
        ));
    }
}

/// TR-181 / TR-104: every parameter we define, as the BBF defines it.
#[test]
fn every_parameter_matches_its_bbf_definition() {
    let Some(m) = load() else { return };
    let schema = definitions();
    let mut problems = Vec::new();
    let mut checked = [0usize; 3];
    for def in schema.params() {
        match def.standard {
            Standard::Vendor => {
                if !def.name.starts_with("X_TIPRING_") {
                    problems.push(format!(
                        "{}: a vendor parameter must be X_TIPRING_",
                        def.path
                    ));
                }
                continue;
            }
            Standard::Tr181 => checked[0] += 1,
            Standard::Tr104Issue2 => checked[1] += 1,
            Standard::Tr104Issue1 => checked[2] += 1,
        }
        check_param(&m, def, &mut problems);
    }
    println!(
        "checked {} TR-181, {} TR-104 issue 2 and {} TR-104 issue 1 parameters",
        checked[0], checked[1], checked[2]
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Every object exists there, single or multi-instance as there.
#[test]
fn every_object_matches_its_bbf_definition() {
    let Some(m) = load() else { return };
    let mut problems = Vec::new();
    for o in definitions().objects() {
        let standard = if o.path.contains(".VoiceProfile.") {
            Standard::Tr104Issue1
        } else if o.path.starts_with("Device.Services.VoiceService") {
            Standard::Tr104Issue2
        } else {
            Standard::Tr181
        };
        let (model, path) = m.locate(&o.path, standard);
        match model.objects.get(&path) {
            None => problems.push(format!("{}: no such BBF object ({path})", o.path)),
            Some(b) if b.multi_instance() != o.is_table() => problems.push(format!(
                "{}: multi-instance {}, BBF maxEntries {}",
                o.path,
                o.is_table(),
                b.max_entries
            )),
            Some(_) => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A gateway whose live state and configuration take the `k`-th value of every
/// enumeration (wrapping), so the reads below cover each value.
fn variant(k: usize) -> (GatewayConfig, LiveState) {
    fn pick<T: Copy>(all: &[T], k: usize) -> T {
        all[k % all.len()]
    }
    let mut config = GatewayConfig::example(2);
    for p in &mut config.ports {
        p.password = Some(Secret::new("pw"));
        p.dtmf = pick(
            &[DtmfMethod::Rfc4733, DtmfMethod::Inband, DtmfMethod::Info],
            k,
        );
        p.fax.passthrough = pick(
            &[
                FaxPassThrough::Disable,
                FaxPassThrough::Auto,
                FaxPassThrough::Force,
            ],
            k,
        );
        p.fax.t38.tcf = pick(&[TcfMethod::Network, TcfMethod::Local], k);
    }
    config.sip.transport = pick(&[Transport::Udp, Transport::Tcp, Transport::Tls], k);
    config.sip.srtp = pick(
        &[SrtpPolicy::Off, SrtpPolicy::Optional, SrtpPolicy::Mandatory],
        k,
    );
    config.sip.register = k.is_multiple_of(2);
    let port = PortLive {
        fxs_status: pick(FxsStatus::ALL, k),
        sip_status: pick(ClientStatus::ALL, k),
        line_status: pick(LineStatus::ALL, k),
        extension_status: pick(ExtensionStatus::ALL, k),
        call_status: pick(CallStatus::ALL, k),
        ..PortLive::default()
    };
    let live = LiveState {
        time_status: pick(TimeStatus::ALL, k),
        sip_network_status: pick(NetworkStatus::ALL, k),
        firmware_images: vec![FirmwareImage {
            status: pick(FirmwareStatus::ALL, k),
            ..FirmwareImage::default()
        }],
        ip_interfaces: vec![IpInterface {
            status: pick(InterfaceStatus::ALL, k),
            interface_type: pick(tipring_datamodel::IpInterfaceType::ALL, k),
            ipv4: vec![Ipv4Address {
                addressing_type: pick(tipring_datamodel::AddressingType::ALL, k),
                ..Ipv4Address::default()
            }],
            ..IpInterface::default()
        }],
        ethernet_interfaces: vec![EthernetInterface {
            status: pick(InterfaceStatus::ALL, k),
            duplex: pick(tipring_datamodel::DuplexMode::ALL, k),
            ..EthernetInterface::default()
        }],
        ports: vec![port.clone(), port],
        tones: vec![Tone {
            function: pick(ToneFunction::ALL, k),
            frequencies: vec![ToneFrequency {
                hz: 425,
                power_tenth_dbm0: -100,
            }],
            cadence: vec![CadenceStep {
                on: true,
                duration_ms: 200,
            }],
            ..Tone::default()
        }],
        ..LiveState::default()
    };
    (config, live)
}

/// Every value we read for an enumerated parameter is in its BBF enumeration (and each
/// item of an enumerated list).
#[test]
fn read_values_are_in_the_bbf_enumerations() {
    let Some(m) = load() else { return };
    let state = CwmpState::default();
    let device = DeviceIdentity::default();
    let mut problems = Vec::new();
    let mut checked = 0;
    for k in 0..9 {
        let (config, live) = variant(k);
        let tree = Tree::new(&config, &state, &live, &device);
        for (name, value) in tree.get(&["Device.".into()]).unwrap() {
            let def = {
                let template: Vec<&str> = name
                    .split('.')
                    .map(|s| {
                        if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
                            "{i}"
                        } else {
                            s
                        }
                    })
                    .collect();
                definitions().param(&template.join(".")).unwrap()
            };
            if def.standard == Standard::Vendor {
                continue;
            }
            let (model, path) = m.locate(&def.path, def.standard);
            let Some(b) = model.params.get(&path) else {
                continue;
            };
            if b.enumeration.is_empty() {
                continue;
            }
            let text = value.to_string();
            let items: Vec<&str> = if def.ty.list.is_some() {
                text.split(',').filter(|s| !s.is_empty()).collect()
            } else {
                vec![text.as_str()]
            };
            for item in items {
                checked += 1;
                if !b.enumeration.iter().any(|e| e == item) {
                    problems.push(format!("{name} = `{item}`: not in {:?}", b.enumeration));
                }
            }
        }
    }
    problems.sort();
    problems.dedup();
    println!("checked {checked} enumerated values");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The wire types we send are those of the BBF base types (TR-069 Table A.3).
#[test]
fn wire_types_follow_the_base_types() {
    for def in definitions().params() {
        let expected = if def.ty.list.is_some() {
            ValueType::String
        } else {
            def.ty.base
        };
        assert_eq!(def.ty.wire_type(), expected, "{}", def.path);
    }
}

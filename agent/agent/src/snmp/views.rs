//! The agent's MIB objects as views of its state: SNMPv2-MIB `system` (RFC 3418), IF-MIB
//! `ifTable`/`ifXTable` (RFC 2863: one row per FXS port, ifIndex = port number, and the
//! uplink), ENTITY-MIB `entPhysicalTable` (RFC 6933: the chassis and its ports),
//! HOST-RESOURCES-MIB (RFC 2790: uptime, processors, memory) and TIPRING-MIB. The SNMP
//! engine adds its own (`snmp` counters, `snmpEngine`, `usmStats`).
//!
//! Every value is read from the status snapshot and the configuration of the moment; no
//! object keeps a copy.

use std::sync::Arc;
use std::time::Instant;

use tipring_mibs::tipring::{
    call_stats_table, call_table, fax_table, port_table, quality_table, reg_table, system as ts,
    CallDirection, CallState, ConfigState, FirmwareState, HookState, QualityCall, RegState,
    ServiceState, UpgradeResult,
};
use tipring_mibs::{entity, host_resources as hr, if_mib, snmpv2, tipring};
use tipring_snmp::{Oid, Value};
use tipring_status::{CallStatus, GatewayStatus, PortStatus, RegistrationState};

use super::host::HostSample;
use super::tree::Tree;

/// The uplink's ifIndex (FXS ports are 1..=48).
pub const UPLINK_IF_INDEX: u32 = 100;
/// entPhysicalIndex of the chassis; port `p` is `CHASSIS + p`.
const CHASSIS: u32 = 1;

/// What the device is, for `system` and ENTITY-MIB.
#[derive(Debug, Clone, Default)]
pub struct DeviceInfo {
    /// Serial number.
    pub serial: String,
    /// Hardware model (`FXS4`).
    pub model: String,
    /// The running firmware's version.
    pub firmware_version: String,
    /// Running / trial / rolled back.
    pub firmware_state: Option<FirmwareState>,
    /// The last upgrade's result and, when it failed, why.
    pub last_upgrade: Option<(UpgradeResult, String)>,
}

/// Everything the objects read.
#[derive(Debug, Clone)]
pub struct State {
    /// The gateway's status snapshot.
    pub status: Arc<GatewayStatus>,
    /// The running configuration, secrets blanked.
    pub config: Arc<tipring_config::GatewayConfig>,
    /// Its version (0 without a store).
    pub config_version: u64,
    /// The last configuration change: accepted, or refused and why.
    pub config_state: (ConfigState, String),
    /// sysUpTime when the configuration last changed.
    pub config_last_change: u32,
    /// The device.
    pub info: DeviceInfo,
    /// The host, sampled every few seconds.
    pub host: HostSample,
    /// When the agent started (sysUpTime 0).
    pub start: Instant,
    /// The moment of the request being answered.
    pub now: Instant,
    /// sysUpTime when each port's ifOperStatus last changed (index = port − 1), and the
    /// uplink's.
    pub if_last_change: Vec<u32>,
    /// The uplink's.
    pub uplink_last_change: u32,
}

impl State {
    /// sysUpTime now, in hundredths of a second (wraps at 2^32 as TimeTicks does).
    pub fn uptime(&self) -> u32 {
        (self.now.saturating_duration_since(self.start).as_millis() / 10) as u32
    }

    fn port(&self, p: u32) -> Option<&PortStatus> {
        self.status.ports.get((p as usize).checked_sub(1)?)
    }
}

fn text(s: &str) -> Option<Value> {
    Some(Value::OctetString(
        tipring_mibs::fit_text(s).as_bytes().to_vec(),
    ))
}

fn int(v: impl Into<i32>) -> Option<Value> {
    Some(Value::Integer(v.into()))
}

fn gauge(v: u64) -> Option<Value> {
    Some(Value::Gauge32(v.min(u64::from(u32::MAX)) as u32))
}

fn counter(v: u64) -> Option<Value> {
    Some(Value::Counter32(v as u32))
}

fn oid(o: &[u32]) -> Option<Value> {
    Some(Value::ObjectId(Oid::from_slice(o)))
}

/// The port's service state: what ifOperStatus follows (not the hook).
pub fn service_state(p: &PortStatus) -> ServiceState {
    if p.fault.is_some() {
        ServiceState::Fault
    } else if p.disabled {
        ServiceState::OutOfService
    } else {
        ServiceState::InService
    }
}

/// The TIPRING-MIB registration state.
pub fn reg_state(p: &PortStatus) -> RegState {
    match p.registration.state {
        RegistrationState::Disabled => RegState::Disabled,
        RegistrationState::Idle => RegState::Unregistered,
        RegistrationState::Registering => RegState::Registering,
        RegistrationState::Registered => RegState::Registered,
        RegistrationState::Failed => RegState::Failed,
    }
}

fn call_state(p: &PortStatus) -> CallState {
    let s = p.line_state.as_str();
    match s {
        "idle" | "dial tone" => CallState::Idle,
        _ if s.starts_with("dialling") => CallState::Dialling,
        "calling" => CallState::Proceeding,
        "ringing" | "call waiting" => CallState::Ringing,
        "held" | "recall" => CallState::Held,
        _ if p.call.is_some() => CallState::Connected,
        _ if s.contains("tone") || s.contains("warning") || s == "lockout" => CallState::Releasing,
        _ => CallState::Idle,
    }
}

/// The figures TIPRING-MIB's quality table shows: the current call's, else the last's.
fn quality(p: &PortStatus) -> (QualityCall, Option<&CallStatus>) {
    match (&p.call, &p.last_call) {
        (Some(c), _) => (QualityCall::InProgress, Some(c)),
        (None, Some(c)) => (QualityCall::Last, Some(c)),
        _ => (QualityCall::None, None),
    }
}

/// MOS × 10 (0 when unknown).
pub fn mos_x10(c: &CallStatus) -> u64 {
    c.mos_lq
        .map_or(0, |m| (m * 10.0).round().clamp(10.0, 50.0) as u64)
}

fn ports(s: &State) -> Vec<u32> {
    (1..=s.status.ports.len() as u32).collect()
}

fn if_rows(s: &State) -> Vec<u32> {
    let mut r = ports(s);
    if s.host.uplink.is_some() {
        r.push(UPLINK_IF_INDEX);
    }
    r
}

fn entities(s: &State) -> Vec<u32> {
    (CHASSIS..=CHASSIS + s.status.ports.len() as u32).collect()
}

/// The uplink's value of an IF-MIB column.
fn uplink_if(s: &State, col: u32) -> Option<Value> {
    use if_mib::if_table as t;
    let d = s.host.uplink.as_ref()?;
    match col {
        t::INDEX => int(UPLINK_IF_INDEX as i32),
        t::DESCR => text(&format!("{} (uplink)", d.name)),
        t::TYPE => int(if d.name == "lo" {
            if_mib::IfType::SoftwareLoopback
        } else {
            if_mib::IfType::EthernetCsmacd
        }),
        t::MTU => int(d.mtu as i32),
        t::SPEED => gauge(u64::from(d.speed_mbps.unwrap_or(0)) * 1_000_000),
        t::PHYS_ADDRESS => Some(Value::OctetString(d.mac.clone())),
        t::ADMIN_STATUS => int(if_mib::IfAdminStatus::Up),
        t::OPER_STATUS => int(if d.up {
            if_mib::IfOperStatus::Up
        } else {
            if_mib::IfOperStatus::Down
        }),
        t::LAST_CHANGE => Some(Value::TimeTicks(s.uplink_last_change)),
        t::IN_OCTETS => counter(d.rx_bytes),
        t::IN_UCAST_PKTS => counter(d.rx_packets.saturating_sub(d.rx_multicast)),
        t::IN_DISCARDS => counter(d.rx_dropped),
        t::IN_ERRORS => counter(d.rx_errors),
        t::IN_UNKNOWN_PROTOS => counter(0),
        t::OUT_OCTETS => counter(d.tx_bytes),
        t::OUT_UCAST_PKTS => counter(d.tx_packets),
        t::OUT_DISCARDS => counter(d.tx_dropped),
        t::OUT_ERRORS => counter(d.tx_errors),
        _ => None,
    }
}

/// An FXS port's value of an IF-MIB column. A voice port carries no packets of its own
/// (its calls' RTP goes out of the uplink), so its traffic counters read 0, as on other
/// voice gateways.
fn port_if(s: &State, p: u32, col: u32) -> Option<Value> {
    use if_mib::if_table as t;
    let st = s.port(p)?;
    match col {
        t::INDEX => int(p as i32),
        t::DESCR => text(&format!("FXS port {p} (extension {})", st.extension)),
        t::TYPE => int(if_mib::IfType::VoiceFxs),
        t::MTU => int(0),
        t::SPEED => gauge(64_000),
        t::PHYS_ADDRESS => Some(Value::OctetString(Vec::new())),
        t::ADMIN_STATUS => int(if st.disabled {
            if_mib::IfAdminStatus::Down
        } else {
            if_mib::IfAdminStatus::Up
        }),
        t::OPER_STATUS => int(if service_state(st) == ServiceState::InService {
            if_mib::IfOperStatus::Up
        } else {
            if_mib::IfOperStatus::Down
        }),
        t::LAST_CHANGE => Some(Value::TimeTicks(
            s.if_last_change.get(p as usize - 1).copied().unwrap_or(0),
        )),
        t::IN_OCTETS
        | t::IN_UCAST_PKTS
        | t::IN_DISCARDS
        | t::IN_ERRORS
        | t::IN_UNKNOWN_PROTOS
        | t::OUT_OCTETS
        | t::OUT_UCAST_PKTS
        | t::OUT_DISCARDS
        | t::OUT_ERRORS => counter(0),
        _ => None,
    }
}

fn if_cell(s: &State, i: u32, col: u32) -> Option<Value> {
    if i == UPLINK_IF_INDEX {
        uplink_if(s, col)
    } else {
        port_if(s, i, col)
    }
}

fn ifx_cell(s: &State, i: u32, col: u32) -> Option<Value> {
    use if_mib::if_x_table as t;
    let up = (i == UPLINK_IF_INDEX)
        .then_some(s.host.uplink.as_ref())
        .flatten();
    let c64 = |v: u64| Some(Value::Counter64(v));
    match col {
        t::NAME => match up {
            Some(d) => text(&d.name),
            None => text(&format!("fxs{i}")),
        },
        t::IN_MULTICAST_PKTS => counter(up.map_or(0, |d| d.rx_multicast)),
        t::IN_BROADCAST_PKTS | t::OUT_MULTICAST_PKTS | t::OUT_BROADCAST_PKTS => counter(0),
        t::HC_IN_OCTETS => c64(up.map_or(0, |d| d.rx_bytes)),
        t::HC_IN_UCAST_PKTS => c64(up.map_or(0, |d| d.rx_packets.saturating_sub(d.rx_multicast))),
        t::HC_IN_MULTICAST_PKTS => c64(up.map_or(0, |d| d.rx_multicast)),
        t::HC_IN_BROADCAST_PKTS | t::HC_OUT_MULTICAST_PKTS | t::HC_OUT_BROADCAST_PKTS => c64(0),
        t::HC_OUT_OCTETS => c64(up.map_or(0, |d| d.tx_bytes)),
        t::HC_OUT_UCAST_PKTS => c64(up.map_or(0, |d| d.tx_packets)),
        t::LINK_UP_DOWN_TRAP_ENABLE => int(snmpv2::TrapEnable::Enabled),
        t::HIGH_SPEED => gauge(match up {
            Some(d) => u64::from(d.speed_mbps.unwrap_or(0)),
            None => 0,
        }),
        t::PROMISCUOUS_MODE => int(tipring_mibs::tc::TruthValue::False),
        t::CONNECTOR_PRESENT => int(tipring_mibs::tc::TruthValue::True),
        t::ALIAS => match s.config.ports.get((i as usize).wrapping_sub(1)) {
            Some(p) if up.is_none() => text(p.display_name.as_deref().unwrap_or("")),
            _ => text(""),
        },
        t::COUNTER_DISCONTINUITY_TIME => Some(Value::TimeTicks(0)),
        _ => None,
    }
}

fn entity_cell(s: &State, i: u32, col: u32) -> Option<Value> {
    use entity::phys_table as t;
    use entity::PhysicalClass;
    let chassis = i == CHASSIS;
    let p = i - CHASSIS;
    let tf = |b: bool| {
        int(if b {
            tipring_mibs::tc::TruthValue::True
        } else {
            tipring_mibs::tc::TruthValue::False
        })
    };
    match col {
        t::DESCR => text(&if chassis {
            format!("Tipring FXS gateway, {} ports", s.status.ports.len())
        } else {
            format!("FXS port {p}")
        }),
        t::VENDOR_TYPE => oid(if chassis {
            tipring::GATEWAY
        } else {
            tipring_mibs::smi::ZERO_DOT_ZERO
        }),
        t::CONTAINED_IN => int(if chassis { 0 } else { CHASSIS as i32 }),
        t::CLASS => int(if chassis {
            PhysicalClass::Chassis
        } else {
            PhysicalClass::Port
        }),
        t::PARENT_REL_POS => int(if chassis { -1 } else { p as i32 }),
        t::NAME => text(&if chassis {
            s.config.device.name.clone()
        } else {
            format!("fxs{p}")
        }),
        t::HARDWARE_REV => text(if chassis { "sim-1" } else { "" }),
        t::FIRMWARE_REV => text(if chassis {
            &s.info.firmware_version
        } else {
            ""
        }),
        t::SOFTWARE_REV => text(if chassis {
            env!("CARGO_PKG_VERSION")
        } else {
            ""
        }),
        t::SERIAL_NUM => text(if chassis { &s.info.serial } else { "" }),
        t::MFG_NAME => text("Tipring"),
        t::MODEL_NAME => text(if chassis { &s.info.model } else { "FXS" }),
        t::ALIAS | t::ASSET_ID => text(""),
        t::IS_FRU => tf(chassis),
        _ => None,
    }
}

fn storage_rows(_: &State) -> Vec<u32> {
    vec![1, 2, 3]
}

fn storage_cell(s: &State, i: u32, col: u32) -> Option<Value> {
    use hr::storage_table as t;
    let h = &s.host;
    let (kind, descr, size, used) = match i {
        1 => (
            hr::STORAGE_RAM,
            "Physical memory",
            h.mem_total_kib,
            h.mem_used_kib,
        ),
        2 => (
            hr::STORAGE_VIRTUAL_MEMORY,
            "Swap space",
            h.swap_total_kib,
            h.swap_used_kib,
        ),
        3 => (
            hr::STORAGE_OTHER,
            "tipring-agent resident memory",
            h.agent_rss_kib,
            h.agent_rss_kib,
        ),
        _ => return None,
    };
    match col {
        t::INDEX => int(i as i32),
        t::TYPE => oid(kind),
        t::DESCR => text(descr),
        t::ALLOCATION_UNITS => int(1024),
        t::SIZE => int(size.min(i32::MAX as u64) as i32),
        t::USED => int(used.min(i32::MAX as u64) as i32),
        t::ALLOCATION_FAILURES => counter(0),
        _ => None,
    }
}

/// hrDeviceIndex of CPU `n` (from 0).
const CPU_DEVICE_BASE: u32 = 768;

fn cpu_rows(s: &State) -> Vec<u32> {
    (0..s.host.cpu_load.len() as u32)
        .map(|n| CPU_DEVICE_BASE + n)
        .collect()
}

fn device_cell(_: &State, i: u32, col: u32) -> Option<Value> {
    use hr::device_table as t;
    let n = i.checked_sub(CPU_DEVICE_BASE)?;
    match col {
        t::INDEX => int(i as i32),
        t::TYPE => oid(hr::DEVICE_PROCESSOR),
        t::DESCR => text(&format!("CPU {n}")),
        t::ID => oid(tipring_mibs::smi::ZERO_DOT_ZERO),
        t::STATUS => int(2), // running(2)
        t::ERRORS => counter(0),
        _ => None,
    }
}

fn processor_cell(s: &State, i: u32, col: u32) -> Option<Value> {
    use hr::processor_table as t;
    let n = i.checked_sub(CPU_DEVICE_BASE)? as usize;
    match col {
        t::FRW_ID => oid(tipring_mibs::smi::ZERO_DOT_ZERO),
        t::LOAD => int(*s.host.cpu_load.get(n)? as i32),
        _ => None,
    }
}

/// The modules the agent implements, for sysORTable: (sysORID, sysORDescr).
const OR_ENTRIES: &[(&[u32], &str)] = &[
    (
        snmpv2::SNMP_MIB,
        "SNMPv2-MIB: system and snmp groups (RFC 3418)",
    ),
    (
        if_mib::IF_MIB,
        "IF-MIB: one interface per FXS port and the uplink (RFC 2863)",
    ),
    (
        entity::ENTITY_MIB,
        "ENTITY-MIB: the chassis and its ports (RFC 6933)",
    ),
    (
        hr::HOST,
        "HOST-RESOURCES-MIB: uptime, processors, memory (RFC 2790)",
    ),
    (
        tipring_mibs::v3::framework::SNMP_FRAMEWORK_MIB,
        "SNMP-FRAMEWORK-MIB: the SNMP engine (RFC 3411)",
    ),
    (
        tipring_mibs::v3::usm::SNMP_USM_MIB,
        "SNMP-USER-BASED-SM-MIB: USM statistics (RFC 3414)",
    ),
    (
        tipring::MIB,
        "TIPRING-MIB: ports, registrations, calls, quality, firmware, configuration",
    ),
];

/// Build the tree of every object the agent serves (the engine's own come on top).
pub fn tree() -> Tree<State> {
    let mut t: Tree<State> = Tree::default();
    use snmpv2::system as sys;
    t.scalar(sys::DESCR, |s| {
        text(&format!(
            "Tipring FXS gateway {} ({} FXS ports), tipring-agent {}",
            s.info.model,
            s.status.ports.len(),
            env!("CARGO_PKG_VERSION")
        ))
    })
    .scalar(sys::OBJECT_ID, |_| oid(tipring_mibs::SYS_OBJECT_ID))
    .scalar(sys::UP_TIME, |s| Some(Value::TimeTicks(s.uptime())))
    .scalar(sys::CONTACT, |s| {
        text(
            s.config
                .management
                .snmp
                .as_ref()
                .map_or("", |c| c.contact.as_str()),
        )
    })
    .scalar(sys::NAME, |s| text(&s.config.device.name))
    .scalar(sys::LOCATION, |s| {
        text(
            s.config
                .management
                .snmp
                .as_ref()
                .map_or("", |c| c.location.as_str()),
        )
    })
    // Application (layer 7) and end-to-end (layer 4) services: 2^6 + 2^3.
    .scalar(sys::SERVICES, |_| int(72))
    .scalar(sys::OR_LAST_CHANGE, |_| Some(Value::TimeTicks(0)));
    {
        use snmpv2::or_table as o;
        t.table(
            o::ENTRY,
            vec![
                (o::ID, |_, i| oid(OR_ENTRIES.get(i as usize - 1)?.0)),
                (o::DESCR, |_, i| text(OR_ENTRIES.get(i as usize - 1)?.1)),
                (o::UP_TIME, |_, _| Some(Value::TimeTicks(0))),
            ],
            |_| (1..=OR_ENTRIES.len() as u32).collect(),
        );
    }
    t.scalar(if_mib::interfaces::NUMBER, |s| int(if_rows(s).len() as i32));
    {
        use if_mib::if_table as c;
        let cols: Vec<(u32, super::tree::Cell<State>)> = vec![
            (c::INDEX, |s, i| if_cell(s, i, c::INDEX)),
            (c::DESCR, |s, i| if_cell(s, i, c::DESCR)),
            (c::TYPE, |s, i| if_cell(s, i, c::TYPE)),
            (c::MTU, |s, i| if_cell(s, i, c::MTU)),
            (c::SPEED, |s, i| if_cell(s, i, c::SPEED)),
            (c::PHYS_ADDRESS, |s, i| if_cell(s, i, c::PHYS_ADDRESS)),
            (c::ADMIN_STATUS, |s, i| if_cell(s, i, c::ADMIN_STATUS)),
            (c::OPER_STATUS, |s, i| if_cell(s, i, c::OPER_STATUS)),
            (c::LAST_CHANGE, |s, i| if_cell(s, i, c::LAST_CHANGE)),
            (c::IN_OCTETS, |s, i| if_cell(s, i, c::IN_OCTETS)),
            (c::IN_UCAST_PKTS, |s, i| if_cell(s, i, c::IN_UCAST_PKTS)),
            (c::IN_DISCARDS, |s, i| if_cell(s, i, c::IN_DISCARDS)),
            (c::IN_ERRORS, |s, i| if_cell(s, i, c::IN_ERRORS)),
            (c::IN_UNKNOWN_PROTOS, |s, i| {
                if_cell(s, i, c::IN_UNKNOWN_PROTOS)
            }),
            (c::OUT_OCTETS, |s, i| if_cell(s, i, c::OUT_OCTETS)),
            (c::OUT_UCAST_PKTS, |s, i| if_cell(s, i, c::OUT_UCAST_PKTS)),
            (c::OUT_DISCARDS, |s, i| if_cell(s, i, c::OUT_DISCARDS)),
            (c::OUT_ERRORS, |s, i| if_cell(s, i, c::OUT_ERRORS)),
        ];
        t.table(c::ENTRY, cols, if_rows);
    }
    {
        use if_mib::if_x_table as c;
        let cols: Vec<(u32, super::tree::Cell<State>)> = vec![
            (c::NAME, |s, i| ifx_cell(s, i, c::NAME)),
            (c::IN_MULTICAST_PKTS, |s, i| {
                ifx_cell(s, i, c::IN_MULTICAST_PKTS)
            }),
            (c::IN_BROADCAST_PKTS, |s, i| {
                ifx_cell(s, i, c::IN_BROADCAST_PKTS)
            }),
            (c::OUT_MULTICAST_PKTS, |s, i| {
                ifx_cell(s, i, c::OUT_MULTICAST_PKTS)
            }),
            (c::OUT_BROADCAST_PKTS, |s, i| {
                ifx_cell(s, i, c::OUT_BROADCAST_PKTS)
            }),
            (c::HC_IN_OCTETS, |s, i| ifx_cell(s, i, c::HC_IN_OCTETS)),
            (c::HC_IN_UCAST_PKTS, |s, i| {
                ifx_cell(s, i, c::HC_IN_UCAST_PKTS)
            }),
            (c::HC_IN_MULTICAST_PKTS, |s, i| {
                ifx_cell(s, i, c::HC_IN_MULTICAST_PKTS)
            }),
            (c::HC_IN_BROADCAST_PKTS, |s, i| {
                ifx_cell(s, i, c::HC_IN_BROADCAST_PKTS)
            }),
            (c::HC_OUT_OCTETS, |s, i| ifx_cell(s, i, c::HC_OUT_OCTETS)),
            (c::HC_OUT_UCAST_PKTS, |s, i| {
                ifx_cell(s, i, c::HC_OUT_UCAST_PKTS)
            }),
            (c::HC_OUT_MULTICAST_PKTS, |s, i| {
                ifx_cell(s, i, c::HC_OUT_MULTICAST_PKTS)
            }),
            (c::HC_OUT_BROADCAST_PKTS, |s, i| {
                ifx_cell(s, i, c::HC_OUT_BROADCAST_PKTS)
            }),
            (c::LINK_UP_DOWN_TRAP_ENABLE, |s, i| {
                ifx_cell(s, i, c::LINK_UP_DOWN_TRAP_ENABLE)
            }),
            (c::HIGH_SPEED, |s, i| ifx_cell(s, i, c::HIGH_SPEED)),
            (c::PROMISCUOUS_MODE, |s, i| {
                ifx_cell(s, i, c::PROMISCUOUS_MODE)
            }),
            (c::CONNECTOR_PRESENT, |s, i| {
                ifx_cell(s, i, c::CONNECTOR_PRESENT)
            }),
            (c::ALIAS, |s, i| ifx_cell(s, i, c::ALIAS)),
            (c::COUNTER_DISCONTINUITY_TIME, |s, i| {
                ifx_cell(s, i, c::COUNTER_DISCONTINUITY_TIME)
            }),
        ];
        t.table(c::ENTRY, cols, if_rows);
    }
    {
        use entity::phys_table as c;
        let cols: Vec<(u32, super::tree::Cell<State>)> = vec![
            (c::DESCR, |s, i| entity_cell(s, i, c::DESCR)),
            (c::VENDOR_TYPE, |s, i| entity_cell(s, i, c::VENDOR_TYPE)),
            (c::CONTAINED_IN, |s, i| entity_cell(s, i, c::CONTAINED_IN)),
            (c::CLASS, |s, i| entity_cell(s, i, c::CLASS)),
            (c::PARENT_REL_POS, |s, i| {
                entity_cell(s, i, c::PARENT_REL_POS)
            }),
            (c::NAME, |s, i| entity_cell(s, i, c::NAME)),
            (c::HARDWARE_REV, |s, i| entity_cell(s, i, c::HARDWARE_REV)),
            (c::FIRMWARE_REV, |s, i| entity_cell(s, i, c::FIRMWARE_REV)),
            (c::SOFTWARE_REV, |s, i| entity_cell(s, i, c::SOFTWARE_REV)),
            (c::SERIAL_NUM, |s, i| entity_cell(s, i, c::SERIAL_NUM)),
            (c::MFG_NAME, |s, i| entity_cell(s, i, c::MFG_NAME)),
            (c::MODEL_NAME, |s, i| entity_cell(s, i, c::MODEL_NAME)),
            (c::ALIAS, |s, i| entity_cell(s, i, c::ALIAS)),
            (c::ASSET_ID, |s, i| entity_cell(s, i, c::ASSET_ID)),
            (c::IS_FRU, |s, i| entity_cell(s, i, c::IS_FRU)),
        ];
        t.table(c::ENTRY, cols, entities);
        t.scalar(entity::general::LAST_CHANGE_TIME, |_| {
            Some(Value::TimeTicks(0))
        });
    }
    t.scalar(hr::system::UPTIME, |s| {
        Some(Value::TimeTicks((s.host.uptime_s * 100.0) as u64 as u32))
    })
    .scalar(hr::storage::MEMORY_SIZE, |s| {
        int(s.host.mem_total_kib.min(i32::MAX as u64) as i32)
    });
    {
        use hr::storage_table as c;
        let cols: Vec<(u32, super::tree::Cell<State>)> = vec![
            (c::INDEX, |s, i| storage_cell(s, i, c::INDEX)),
            (c::TYPE, |s, i| storage_cell(s, i, c::TYPE)),
            (c::DESCR, |s, i| storage_cell(s, i, c::DESCR)),
            (c::ALLOCATION_UNITS, |s, i| {
                storage_cell(s, i, c::ALLOCATION_UNITS)
            }),
            (c::SIZE, |s, i| storage_cell(s, i, c::SIZE)),
            (c::USED, |s, i| storage_cell(s, i, c::USED)),
            (c::ALLOCATION_FAILURES, |s, i| {
                storage_cell(s, i, c::ALLOCATION_FAILURES)
            }),
        ];
        t.table(c::ENTRY, cols, storage_rows);
    }
    {
        use hr::device_table as c;
        let cols: Vec<(u32, super::tree::Cell<State>)> = vec![
            (c::INDEX, |s, i| device_cell(s, i, c::INDEX)),
            (c::TYPE, |s, i| device_cell(s, i, c::TYPE)),
            (c::DESCR, |s, i| device_cell(s, i, c::DESCR)),
            (c::ID, |s, i| device_cell(s, i, c::ID)),
            (c::STATUS, |s, i| device_cell(s, i, c::STATUS)),
            (c::ERRORS, |s, i| device_cell(s, i, c::ERRORS)),
        ];
        t.table(c::ENTRY, cols, cpu_rows);
        use hr::processor_table as p;
        let cols: Vec<(u32, super::tree::Cell<State>)> = vec![
            (p::FRW_ID, |s, i| processor_cell(s, i, p::FRW_ID)),
            (p::LOAD, |s, i| processor_cell(s, i, p::LOAD)),
        ];
        t.table(p::ENTRY, cols, cpu_rows);
    }
    tipring_objects(&mut t);
    t
}

fn tipring_objects(t: &mut Tree<State>) {
    t.scalar(ts::FIRMWARE_VERSION, |s| text(&s.info.firmware_version))
        .scalar(ts::FIRMWARE_STATE, |s| {
            int(s.info.firmware_state.unwrap_or(FirmwareState::Running))
        })
        .scalar(ts::FIRMWARE_LAST_UPGRADE, |s| {
            int(s
                .info
                .last_upgrade
                .as_ref()
                .map_or(UpgradeResult::None, |u| u.0))
        })
        .scalar(ts::FIRMWARE_LAST_UPGRADE_FAULT, |s| {
            text(s.info.last_upgrade.as_ref().map_or("", |u| u.1.as_str()))
        })
        .scalar(ts::CONFIG_VERSION, |s| gauge(s.config_version))
        .scalar(ts::CONFIG_STATE, |s| int(s.config_state.0))
        .scalar(ts::CONFIG_LAST_CHANGE, |s| {
            Some(Value::TimeTicks(s.config_last_change))
        })
        .scalar(ts::CONFIG_LAST_FAULT, |s| text(&s.config_state.1))
        .scalar(ts::QUALITY_MOS_THRESHOLD, |s| {
            let t = s
                .config
                .management
                .snmp
                .as_ref()
                .map_or(35, |c| c.quality_low_mos_x10);
            gauge(u64::from(t.clamp(10, 50)))
        });
    {
        use port_table as c;
        let cols: Vec<(u32, super::tree::Cell<State>)> = vec![
            (c::IF_INDEX, |s, p| s.port(p).and(int(p as i32))),
            (c::EXTENSION, |s, p| text(&s.port(p)?.extension)),
            (c::HOOK_STATE, |s, p| {
                int(match s.port(p)?.hook {
                    tipring_status::Hook::On => HookState::OnHook,
                    tipring_status::Hook::Off => HookState::OffHook,
                })
            }),
            (c::LINE_STATE, |s, p| text(&s.port(p)?.line_state)),
            (c::SERVICE_STATE, |s, p| int(service_state(s.port(p)?))),
            (c::FAULT_REASON, |s, p| {
                text(s.port(p)?.fault.as_deref().unwrap_or(""))
            }),
        ];
        t.table(c::ENTRY, cols, ports);
    }
    {
        use reg_table as c;
        let cols: Vec<(u32, super::tree::Cell<State>)> = vec![
            (c::AOR, |s, p| {
                text(s.port(p)?.registration.aor.as_deref().unwrap_or(""))
            }),
            (c::SERVER, |s, p| {
                text(s.port(p)?.registration.server.as_deref().unwrap_or(""))
            }),
            (c::STATE, |s, p| int(reg_state(s.port(p)?))),
            (c::EXPIRES, |s, p| {
                gauge(u64::from(s.port(p)?.registration.expires_in.unwrap_or(0)))
            }),
            (c::LAST_STATUS, |s, p| {
                gauge(u64::from(s.port(p)?.registration.last_status.unwrap_or(0)))
            }),
            (c::FAILURES, |s, p| {
                counter(s.port(p)?.counters.registration_failures)
            }),
        ];
        t.table(c::ENTRY, cols, ports);
    }
    {
        use call_table as c;
        let cols: Vec<(u32, super::tree::Cell<State>)> = vec![
            (c::STATE, |s, p| int(call_state(s.port(p)?))),
            (c::DIRECTION, |s, p| {
                int(match s.port(p)?.call.as_ref().map(|c| c.direction) {
                    None => CallDirection::None,
                    Some(tipring_status::Direction::Incoming) => CallDirection::Incoming,
                    Some(tipring_status::Direction::Outgoing) => CallDirection::Outgoing,
                })
            }),
            (c::REMOTE_URI, |s, p| {
                let st = s.port(p)?;
                text(&match (&st.call, &s.config.sip.domain) {
                    (Some(c), d) if !c.remote_number.is_empty() && !d.is_empty() => {
                        format!("sip:{}@{d}", c.remote_number)
                    }
                    (Some(c), _) if !c.remote_number.is_empty() => {
                        format!("tel:{}", c.remote_number)
                    }
                    _ => String::new(),
                })
            }),
            (c::CODEC, |s, p| {
                text(s.port(p)?.call.as_ref().map_or("", |c| c.codec.as_str()))
            }),
            (c::SRTP, |s, p| {
                int(if s.port(p)?.call.as_ref().is_some_and(|c| c.srtp) {
                    tipring_mibs::tc::TruthValue::True
                } else {
                    tipring_mibs::tc::TruthValue::False
                })
            }),
            (c::DURATION, |s, p| {
                gauge(s.port(p)?.call.as_ref().map_or(0, |c| c.duration_s))
            }),
        ];
        t.table(c::ENTRY, cols, ports);
    }
    {
        use call_stats_table as c;
        let cols: Vec<(u32, super::tree::Cell<State>)> = vec![
            (c::INCOMING, |s, p| {
                counter(s.port(p)?.counters.calls_incoming)
            }),
            (c::OUTGOING, |s, p| {
                counter(s.port(p)?.counters.calls_outgoing)
            }),
            (c::ANSWERED, |s, p| {
                counter(s.port(p)?.counters.calls_answered)
            }),
            (c::FAILED, |s, p| counter(s.port(p)?.counters.calls_failed)),
            (c::TALK_SECONDS, |s, p| {
                counter(s.port(p)?.counters.talk_seconds)
            }),
        ];
        t.table(c::ENTRY, cols, ports);
    }
    {
        use quality_table as c;
        let cols: Vec<(u32, super::tree::Cell<State>)> = vec![
            (c::CALL, |s, p| int(quality(s.port(p)?).0)),
            (c::PACKETS_SENT, |s, p| {
                gauge(quality(s.port(p)?).1.map_or(0, |c| c.packets_sent))
            }),
            (c::PACKETS_RECEIVED, |s, p| {
                gauge(quality(s.port(p)?).1.map_or(0, |c| c.packets_received))
            }),
            (c::PACKETS_LOST, |s, p| {
                gauge(quality(s.port(p)?).1.map_or(0, |c| c.packets_lost))
            }),
            (c::JITTER, |s, p| {
                gauge(
                    quality(s.port(p)?)
                        .1
                        .map_or(0, |c| (c.jitter_ms * 1000.0) as u64),
                )
            }),
            (c::ROUND_TRIP, |s, p| {
                gauge(quality(s.port(p)?).1.and_then(|c| c.rtt_ms).unwrap_or(0.0) as u64)
            }),
            (c::JITTER_BUFFER_DELAY, |s, p| {
                gauge(
                    quality(s.port(p)?)
                        .1
                        .map_or(0, |c| c.jitter_buffer_ms as u64),
                )
            }),
            (c::MOS, |s, p| {
                gauge(quality(s.port(p)?).1.map_or(0, mos_x10))
            }),
            (c::R_FACTOR, |s, p| {
                gauge(
                    quality(s.port(p)?)
                        .1
                        .and_then(|c| c.r_factor)
                        .unwrap_or(0.0)
                        .clamp(0.0, 100.0) as u64,
                )
            }),
        ];
        t.table(c::ENTRY, cols, ports);
    }
    {
        // The port's fax counters since the agent started (Counter32 wraps at 2^32).
        use fax_table as c;
        let cols: Vec<(u32, super::tree::Cell<State>)> = vec![
            (c::SENT, |s, p| counter(s.port(p)?.counters.fax_sent)),
            (c::RECEIVED, |s, p| {
                counter(s.port(p)?.counters.fax_received)
            }),
            (c::FAILED, |s, p| counter(s.port(p)?.counters.fax_failed)),
            (c::PAGES, |s, p| counter(s.port(p)?.counters.fax_pages)),
            (c::PASS_THROUGH, |s, p| {
                counter(s.port(p)?.counters.fax_passthrough)
            }),
            (c::MALFORMED, |s, p| {
                counter(s.port(p)?.counters.fax_malformed)
            }),
        ];
        t.table(c::ENTRY, cols, ports);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tipring_snmp::Lookup;
    use tipring_status::PortCounters;

    /// Two ports: port 1 with fax counts (one past 2^32), port 2 without.
    fn state() -> State {
        let now = Instant::now();
        let port = |n: u32, counters: PortCounters| PortStatus {
            port: n,
            extension: format!("20{n}"),
            counters,
            ..PortStatus::default()
        };
        let status = GatewayStatus {
            ports: vec![
                port(
                    1,
                    PortCounters {
                        fax_sent: 3,
                        fax_received: 2,
                        fax_failed: 1,
                        fax_pages: 12,
                        fax_passthrough: 4,
                        fax_malformed: (1 << 32) + 5,
                        ..PortCounters::default()
                    },
                ),
                port(2, PortCounters::default()),
            ],
            ..GatewayStatus::default()
        };
        State {
            status: Arc::new(status),
            config: Arc::new(tipring_config::GatewayConfig::example(2)),
            config_version: 1,
            config_state: (ConfigState::Ok, String::new()),
            config_last_change: 0,
            info: DeviceInfo::default(),
            host: HostSample::default(),
            start: now,
            now,
            if_last_change: vec![0, 0],
            uplink_last_change: 0,
        }
    }

    /// TIPRING-MIB `tipringFaxTable`: a GETNEXT walk of the table gives every column of
    /// both rows in OID order, with the status snapshot's counters as Counter32.
    #[test]
    fn the_fax_table_serves_the_port_counters() {
        use fax_table as c;
        let (t, s) = (tree(), state());
        let mut at = c::TABLE.to_vec();
        let mut walked = Vec::new();
        while let Some((oid, v)) = t.next(&s, &at) {
            if !oid.as_slice().starts_with(c::TABLE) {
                break;
            }
            walked.push((oid.as_slice()[c::ENTRY.len()..].to_vec(), v));
            at = oid.as_slice().to_vec();
        }
        let n = |v: u32| Value::Counter32(v);
        let want = vec![
            (vec![c::SENT, 1], n(3)),
            (vec![c::SENT, 2], n(0)),
            (vec![c::RECEIVED, 1], n(2)),
            (vec![c::RECEIVED, 2], n(0)),
            (vec![c::FAILED, 1], n(1)),
            (vec![c::FAILED, 2], n(0)),
            (vec![c::PAGES, 1], n(12)),
            (vec![c::PAGES, 2], n(0)),
            (vec![c::PASS_THROUGH, 1], n(4)),
            (vec![c::PASS_THROUGH, 2], n(0)),
            // Counter32 wraps (RFC 2578 §7.1.6).
            (vec![c::MALFORMED, 1], n(5)),
            (vec![c::MALFORMED, 2], n(0)),
        ];
        assert_eq!(walked, want);
        assert_eq!(c::COLUMNS, [1, 2, 3, 4, 5, 6]);
    }

    /// A Get of one cell; a port that does not exist is noSuchInstance.
    #[test]
    fn fax_cells_by_get() {
        use fax_table as c;
        let (t, s) = (tree(), state());
        let cell = |col: u32, row: u32| t.get(&s, &[c::ENTRY, &[col, row][..]].concat());
        assert_eq!(cell(c::PASS_THROUGH, 1), Lookup::Value(Value::Counter32(4)));
        assert_eq!(cell(c::PAGES, 1), Lookup::Value(Value::Counter32(12)));
        assert_eq!(cell(c::SENT, 3), Lookup::NoSuchInstance);
        assert_eq!(cell(c::MALFORMED, 0), Lookup::NoSuchInstance);
    }
}

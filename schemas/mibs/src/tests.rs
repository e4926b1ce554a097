//! Unit tests: the constants of the MIB modules that are not installed on the build
//! machines (ENTITY-MIB, HOST-RESOURCES-MIB, the SNMPv3 modules) against numbers typed
//! from their RFCs, the shape of the registries, the lookups and the enumerations.
//! (TIPRING-MIB, SNMPv2-MIB and IF-MIB are checked against net-snmp in `tests/mibs`.)

use std::collections::HashSet;

use crate::*;

/// Parses `1.3.6.1` into arcs.
fn arcs(dotted: &str) -> Vec<u32> {
    dotted.split('.').map(|a| a.parse().unwrap()).collect()
}

fn node(module: &str, name: &str) -> &'static MibNode {
    all_nodes()
        .find(|n| n.module == module && n.name == name)
        .unwrap_or_else(|| panic!("no node {module}::{name}"))
}

/// Checks every `(name, OID)` of `table` against the registry of `module`, and that the
/// table names every node of the registry (so a constant added later must be added here,
/// with its RFC number).
fn check_module_against_rfc(module: &str, table: &[(&str, &str)]) {
    for (name, oid) in table {
        assert_eq!(node(module, name).oid, &arcs(oid)[..], "{module}::{name}");
    }
    let listed: HashSet<&str> = table.iter().map(|(n, _)| *n).collect();
    for n in all_nodes().filter(|n| n.module == module) {
        assert!(
            listed.contains(n.name),
            "{module}::{} has no RFC row in this test",
            n.name
        );
    }
}

/// ENTITY-MIB, RFC 6933 §6 (entPhysicalMfgDate/Uris from RFC 4133 §3, entPhysicalUUID from
/// RFC 6933).
#[test]
fn entity_mib_matches_rfc_6933() {
    check_module_against_rfc(
        "ENTITY-MIB",
        &[
            ("entityMIB", "1.3.6.1.2.1.47"),
            ("entityMIBObjects", "1.3.6.1.2.1.47.1"),
            ("entityPhysical", "1.3.6.1.2.1.47.1.1"),
            ("entPhysicalTable", "1.3.6.1.2.1.47.1.1.1"),
            ("entPhysicalEntry", "1.3.6.1.2.1.47.1.1.1.1"),
            ("entPhysicalIndex", "1.3.6.1.2.1.47.1.1.1.1.1"),
            ("entPhysicalDescr", "1.3.6.1.2.1.47.1.1.1.1.2"),
            ("entPhysicalVendorType", "1.3.6.1.2.1.47.1.1.1.1.3"),
            ("entPhysicalContainedIn", "1.3.6.1.2.1.47.1.1.1.1.4"),
            ("entPhysicalClass", "1.3.6.1.2.1.47.1.1.1.1.5"),
            ("entPhysicalParentRelPos", "1.3.6.1.2.1.47.1.1.1.1.6"),
            ("entPhysicalName", "1.3.6.1.2.1.47.1.1.1.1.7"),
            ("entPhysicalHardwareRev", "1.3.6.1.2.1.47.1.1.1.1.8"),
            ("entPhysicalFirmwareRev", "1.3.6.1.2.1.47.1.1.1.1.9"),
            ("entPhysicalSoftwareRev", "1.3.6.1.2.1.47.1.1.1.1.10"),
            ("entPhysicalSerialNum", "1.3.6.1.2.1.47.1.1.1.1.11"),
            ("entPhysicalMfgName", "1.3.6.1.2.1.47.1.1.1.1.12"),
            ("entPhysicalModelName", "1.3.6.1.2.1.47.1.1.1.1.13"),
            ("entPhysicalAlias", "1.3.6.1.2.1.47.1.1.1.1.14"),
            ("entPhysicalAssetID", "1.3.6.1.2.1.47.1.1.1.1.15"),
            ("entPhysicalIsFRU", "1.3.6.1.2.1.47.1.1.1.1.16"),
            ("entPhysicalMfgDate", "1.3.6.1.2.1.47.1.1.1.1.17"),
            ("entPhysicalUris", "1.3.6.1.2.1.47.1.1.1.1.18"),
            ("entPhysicalUUID", "1.3.6.1.2.1.47.1.1.1.1.19"),
            ("entityGeneral", "1.3.6.1.2.1.47.1.4"),
            ("entLastChangeTime", "1.3.6.1.2.1.47.1.4.1"),
            ("entityMIBTraps", "1.3.6.1.2.1.47.2"),
            ("entityMIBTrapPrefix", "1.3.6.1.2.1.47.2.0"),
            ("entConfigChange", "1.3.6.1.2.1.47.2.0.1"),
        ],
    );
    assert_eq!(
        entity::general::LAST_CHANGE_TIME,
        &arcs("1.3.6.1.2.1.47.1.4.1.0")[..]
    );
}

/// IANAPhysicalClass (RFC 6933 §6 IANA-ENTITY-MIB; storageDrive(15) added by IANA in 2015).
#[test]
fn physical_class_matches_iana_entity_mib() {
    use entity::PhysicalClass;
    let expected = [
        ("other", 1),
        ("unknown", 2),
        ("chassis", 3),
        ("backplane", 4),
        ("container", 5),
        ("powerSupply", 6),
        ("fan", 7),
        ("sensor", 8),
        ("module", 9),
        ("port", 10),
        ("stack", 11),
        ("cpu", 12),
        ("energyObject", 13),
        ("battery", 14),
        ("storageDrive", 15),
    ];
    assert_eq!(PhysicalClass::NAMED, &expected[..]);
    assert_eq!(i32::from(PhysicalClass::Chassis), 3);
    assert_eq!(i32::from(PhysicalClass::Module), 9);
    assert_eq!(i32::from(PhysicalClass::Port), 10);
    assert_eq!(i32::from(PhysicalClass::Cpu), 12);
}

/// HOST-RESOURCES-MIB and HOST-RESOURCES-TYPES, RFC 2790 §4 and §5.
#[test]
fn host_resources_mib_matches_rfc_2790() {
    check_module_against_rfc(
        "HOST-RESOURCES-MIB",
        &[
            ("host", "1.3.6.1.2.1.25"),
            ("hrSystem", "1.3.6.1.2.1.25.1"),
            ("hrSystemUptime", "1.3.6.1.2.1.25.1.1"),
            ("hrSystemDate", "1.3.6.1.2.1.25.1.2"),
            ("hrSystemInitialLoadDevice", "1.3.6.1.2.1.25.1.3"),
            ("hrSystemInitialLoadParameters", "1.3.6.1.2.1.25.1.4"),
            ("hrSystemNumUsers", "1.3.6.1.2.1.25.1.5"),
            ("hrSystemProcesses", "1.3.6.1.2.1.25.1.6"),
            ("hrSystemMaxProcesses", "1.3.6.1.2.1.25.1.7"),
            ("hrStorage", "1.3.6.1.2.1.25.2"),
            ("hrMemorySize", "1.3.6.1.2.1.25.2.2"),
            ("hrStorageTable", "1.3.6.1.2.1.25.2.3"),
            ("hrStorageEntry", "1.3.6.1.2.1.25.2.3.1"),
            ("hrStorageIndex", "1.3.6.1.2.1.25.2.3.1.1"),
            ("hrStorageType", "1.3.6.1.2.1.25.2.3.1.2"),
            ("hrStorageDescr", "1.3.6.1.2.1.25.2.3.1.3"),
            ("hrStorageAllocationUnits", "1.3.6.1.2.1.25.2.3.1.4"),
            ("hrStorageSize", "1.3.6.1.2.1.25.2.3.1.5"),
            ("hrStorageUsed", "1.3.6.1.2.1.25.2.3.1.6"),
            ("hrStorageAllocationFailures", "1.3.6.1.2.1.25.2.3.1.7"),
            ("hrDevice", "1.3.6.1.2.1.25.3"),
            ("hrDeviceTable", "1.3.6.1.2.1.25.3.2"),
            ("hrDeviceEntry", "1.3.6.1.2.1.25.3.2.1"),
            ("hrDeviceIndex", "1.3.6.1.2.1.25.3.2.1.1"),
            ("hrDeviceType", "1.3.6.1.2.1.25.3.2.1.2"),
            ("hrDeviceDescr", "1.3.6.1.2.1.25.3.2.1.3"),
            ("hrDeviceID", "1.3.6.1.2.1.25.3.2.1.4"),
            ("hrDeviceStatus", "1.3.6.1.2.1.25.3.2.1.5"),
            ("hrDeviceErrors", "1.3.6.1.2.1.25.3.2.1.6"),
            ("hrProcessorTable", "1.3.6.1.2.1.25.3.3"),
            ("hrProcessorEntry", "1.3.6.1.2.1.25.3.3.1"),
            ("hrProcessorFrwID", "1.3.6.1.2.1.25.3.3.1.1"),
            ("hrProcessorLoad", "1.3.6.1.2.1.25.3.3.1.2"),
            ("hrMIBAdminInfo", "1.3.6.1.2.1.25.7"),
            ("hostResourcesMibModule", "1.3.6.1.2.1.25.7.1"),
        ],
    );
    check_module_against_rfc(
        "HOST-RESOURCES-TYPES",
        &[
            ("hrStorageTypes", "1.3.6.1.2.1.25.2.1"),
            ("hrStorageOther", "1.3.6.1.2.1.25.2.1.1"),
            ("hrStorageRam", "1.3.6.1.2.1.25.2.1.2"),
            ("hrStorageVirtualMemory", "1.3.6.1.2.1.25.2.1.3"),
            ("hrStorageFixedDisk", "1.3.6.1.2.1.25.2.1.4"),
            ("hrStorageRemovableDisk", "1.3.6.1.2.1.25.2.1.5"),
            ("hrStorageFloppyDisk", "1.3.6.1.2.1.25.2.1.6"),
            ("hrStorageCompactDisc", "1.3.6.1.2.1.25.2.1.7"),
            ("hrStorageRamDisk", "1.3.6.1.2.1.25.2.1.8"),
            ("hrStorageFlashMemory", "1.3.6.1.2.1.25.2.1.9"),
            ("hrStorageNetworkDisk", "1.3.6.1.2.1.25.2.1.10"),
            ("hrDeviceTypes", "1.3.6.1.2.1.25.3.1"),
            ("hrDeviceOther", "1.3.6.1.2.1.25.3.1.1"),
            ("hrDeviceUnknown", "1.3.6.1.2.1.25.3.1.2"),
            ("hrDeviceProcessor", "1.3.6.1.2.1.25.3.1.3"),
            ("hrDeviceNetwork", "1.3.6.1.2.1.25.3.1.4"),
        ],
    );
    assert_eq!(
        host_resources::system::UPTIME,
        &arcs("1.3.6.1.2.1.25.1.1.0")[..]
    );
    assert_eq!(
        host_resources::storage::MEMORY_SIZE,
        &arcs("1.3.6.1.2.1.25.2.2.0")[..]
    );
    // hrDeviceStatus, RFC 2790 §4.
    assert_eq!(
        host_resources::HrDeviceStatus::NAMED,
        &[
            ("unknown", 1),
            ("running", 2),
            ("warning", 3),
            ("testing", 4),
            ("down", 5)
        ][..]
    );
}

/// SNMP-FRAMEWORK-MIB (RFC 3411 §5), SNMP-MPD-MIB (RFC 3412 §5), SNMP-TARGET-MIB
/// (RFC 3413 §4.1), SNMP-USER-BASED-SM-MIB (RFC 3414 §5), SNMP-USM-AES-MIB (RFC 3826 §4),
/// SNMP-USM-HMAC-SHA2-MIB (RFC 7860 §5), SNMP-VIEW-BASED-ACM-MIB (RFC 3415 §5),
/// SNMP-COMMUNITY-MIB (RFC 3584 §5.3).
#[test]
fn snmpv3_modules_match_their_rfcs() {
    check_module_against_rfc(
        "SNMP-FRAMEWORK-MIB",
        &[
            ("snmpFrameworkMIB", "1.3.6.1.6.3.10"),
            ("snmpFrameworkAdmin", "1.3.6.1.6.3.10.1"),
            ("snmpAuthProtocols", "1.3.6.1.6.3.10.1.1"),
            ("snmpPrivProtocols", "1.3.6.1.6.3.10.1.2"),
            ("snmpFrameworkMIBObjects", "1.3.6.1.6.3.10.2"),
            ("snmpEngine", "1.3.6.1.6.3.10.2.1"),
            ("snmpEngineID", "1.3.6.1.6.3.10.2.1.1"),
            ("snmpEngineBoots", "1.3.6.1.6.3.10.2.1.2"),
            ("snmpEngineTime", "1.3.6.1.6.3.10.2.1.3"),
            ("snmpEngineMaxMessageSize", "1.3.6.1.6.3.10.2.1.4"),
        ],
    );
    check_module_against_rfc(
        "SNMP-MPD-MIB",
        &[
            ("snmpMPDMIB", "1.3.6.1.6.3.11"),
            ("snmpMPDMIBObjects", "1.3.6.1.6.3.11.2"),
            ("snmpMPDStats", "1.3.6.1.6.3.11.2.1"),
            ("snmpUnknownSecurityModels", "1.3.6.1.6.3.11.2.1.1"),
            ("snmpInvalidMsgs", "1.3.6.1.6.3.11.2.1.2"),
            ("snmpUnknownPDUHandlers", "1.3.6.1.6.3.11.2.1.3"),
        ],
    );
    check_module_against_rfc(
        "SNMP-TARGET-MIB",
        &[
            ("snmpTargetMIB", "1.3.6.1.6.3.12"),
            ("snmpTargetObjects", "1.3.6.1.6.3.12.1"),
            ("snmpUnavailableContexts", "1.3.6.1.6.3.12.1.4"),
            ("snmpUnknownContexts", "1.3.6.1.6.3.12.1.5"),
        ],
    );
    check_module_against_rfc(
        "SNMP-USER-BASED-SM-MIB",
        &[
            ("snmpUsmMIB", "1.3.6.1.6.3.15"),
            ("usmMIBObjects", "1.3.6.1.6.3.15.1"),
            ("usmStats", "1.3.6.1.6.3.15.1.1"),
            ("usmStatsUnsupportedSecLevels", "1.3.6.1.6.3.15.1.1.1"),
            ("usmStatsNotInTimeWindows", "1.3.6.1.6.3.15.1.1.2"),
            ("usmStatsUnknownUserNames", "1.3.6.1.6.3.15.1.1.3"),
            ("usmStatsUnknownEngineIDs", "1.3.6.1.6.3.15.1.1.4"),
            ("usmStatsWrongDigests", "1.3.6.1.6.3.15.1.1.5"),
            ("usmStatsDecryptionErrors", "1.3.6.1.6.3.15.1.1.6"),
            ("usmNoAuthProtocol", "1.3.6.1.6.3.10.1.1.1"),
            ("usmHMACMD5AuthProtocol", "1.3.6.1.6.3.10.1.1.2"),
            ("usmHMACSHAAuthProtocol", "1.3.6.1.6.3.10.1.1.3"),
            ("usmNoPrivProtocol", "1.3.6.1.6.3.10.1.2.1"),
            ("usmDESPrivProtocol", "1.3.6.1.6.3.10.1.2.2"),
        ],
    );
    check_module_against_rfc(
        "SNMP-USM-AES-MIB",
        &[("usmAesCfb128Protocol", "1.3.6.1.6.3.10.1.2.4")],
    );
    check_module_against_rfc(
        "SNMP-USM-HMAC-SHA2-MIB",
        &[
            ("usmHMAC128SHA224AuthProtocol", "1.3.6.1.6.3.10.1.1.4"),
            ("usmHMAC192SHA256AuthProtocol", "1.3.6.1.6.3.10.1.1.5"),
            ("usmHMAC256SHA384AuthProtocol", "1.3.6.1.6.3.10.1.1.6"),
            ("usmHMAC384SHA512AuthProtocol", "1.3.6.1.6.3.10.1.1.7"),
        ],
    );
    check_module_against_rfc(
        "SNMP-VIEW-BASED-ACM-MIB",
        &[("snmpVacmMIB", "1.3.6.1.6.3.16")],
    );
    check_module_against_rfc(
        "SNMP-COMMUNITY-MIB",
        &[("snmpCommunityMIB", "1.3.6.1.6.3.18")],
    );
    // The instances a Report PDU carries (RFC 3414 §3.2, RFC 3412 §7.2).
    assert_eq!(
        v3::usm::stats::UNKNOWN_ENGINE_IDS,
        &arcs("1.3.6.1.6.3.15.1.1.4.0")[..]
    );
    assert_eq!(
        v3::usm::stats::NOT_IN_TIME_WINDOWS,
        &arcs("1.3.6.1.6.3.15.1.1.2.0")[..]
    );
    assert_eq!(
        v3::framework::engine::ID,
        &arcs("1.3.6.1.6.3.10.2.1.1.0")[..]
    );
    assert_eq!(
        v3::target::counters::UNKNOWN_CONTEXTS,
        &arcs("1.3.6.1.6.3.12.1.5.0")[..]
    );
}

/// The enterprise root (RFC 2578 §2 `enterprises`, RFC 5612 §2 documentation PEN).
#[test]
fn tipring_hangs_below_enterprises_dot_enterprise() {
    assert_eq!(TIPRING, &[1, 3, 6, 1, 4, 1, ENTERPRISE][..]);
    assert_eq!(SYS_OBJECT_ID, &[1, 3, 6, 1, 4, 1, ENTERPRISE, 1, 1][..]);
    for node in tipring::nodes() {
        assert!(
            node.oid.starts_with(TIPRING),
            "{} is outside tipring",
            node.name
        );
        assert_eq!(node.module, "TIPRING-MIB");
    }
    assert_eq!(
        tipring::NOTIFICATIONS.last(),
        Some(&0),
        "RFC 2578 §8.5: notifications under .0"
    );
}

/// Only `ENTERPRISE` spells the placeholder number: every other Tipring OID derives from
/// it, so replacing it is a one-line change.
#[test]
fn the_enterprise_number_is_written_once() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap();
            // The number spelled without its digits in one piece, so this test's own
            // source does not count.
            if code.contains(concat!("324", "73")) {
                found.push(format!("{}:{}", path.display(), i + 1));
            }
        }
    }
    assert_eq!(found.len(), 1, "the PEN literal appears at {found:?}");
    assert!(found[0].ends_with(&format!("lib.rs:{}", line_of_enterprise())));
}

fn line_of_enterprise() -> usize {
    include_str!("lib.rs")
        .lines()
        .position(|l| l.starts_with("pub const ENTERPRISE: u32 ="))
        .unwrap()
        + 1
}

#[test]
fn no_two_nodes_share_an_oid_or_a_name() {
    let mut oids = HashSet::new();
    let mut names = HashSet::new();
    for n in all_nodes() {
        assert!(oids.insert(n.oid), "two nodes at {}", dotted(n.oid));
        assert!(
            names.insert((n.module, n.name)),
            "{}::{} twice",
            n.module,
            n.name
        );
    }
    assert!(oids.len() > 300, "only {} nodes", oids.len());
}

/// Every node's parent is a known node (the registries form one tree from `org`), except
/// the roots `org` and `zeroDotZero`.
#[test]
fn every_node_hangs_from_a_known_node() {
    let oids: HashSet<&[u32]> = all_nodes().map(|n| n.oid).collect();
    for n in all_nodes() {
        if n.oid == smi::ORG || n.oid == smi::ZERO_DOT_ZERO {
            continue;
        }
        let parent = &n.oid[..n.oid.len() - 1];
        assert!(
            oids.contains(parent),
            "{}::{} has no known parent",
            n.module,
            n.name
        );
    }
}

/// Scalar instances are the object followed by 0 (RFC 2578 §7.7, "for a scalar, the
/// instance identifier is 0").
#[test]
fn scalar_instances_are_object_dot_zero() {
    let groups: &[&[(&str, &[u32])]] = &[
        tipring::system::SCALARS,
        snmpv2::system::SCALARS,
        snmpv2::snmp::SCALARS,
        snmpv2::trap::SCALARS,
        snmpv2::set::SCALARS,
        if_mib::interfaces::SCALARS,
        if_mib::if_mib_objects::SCALARS,
        entity::general::SCALARS,
        host_resources::system::SCALARS,
        host_resources::storage::SCALARS,
        v3::framework::engine::SCALARS,
        v3::mpd::stats::SCALARS,
        v3::target::counters::SCALARS,
        v3::usm::stats::SCALARS,
    ];
    let mut count = 0;
    for group in groups {
        for (name, instance) in *group {
            let object = all_nodes().find(|n| n.name == *name).unwrap().oid;
            assert_eq!(*instance, &[object, &[0][..]].concat()[..], "{name}");
            count += 1;
        }
    }
    assert_eq!(count, 55);
}

/// Columns are registered under their entry (RFC 2578 §7.10: a columnar object is
/// `entry.column`), with distinct, increasing sub-identifiers.
#[test]
fn table_columns_are_entry_dot_column() {
    let tables: &[(&[u32], &[u32], &[MibNode])] = &[
        (
            tipring::port_table::ENTRY,
            tipring::port_table::COLUMNS,
            tipring::port_table::NODES,
        ),
        (
            tipring::reg_table::ENTRY,
            tipring::reg_table::COLUMNS,
            tipring::reg_table::NODES,
        ),
        (
            tipring::call_table::ENTRY,
            tipring::call_table::COLUMNS,
            tipring::call_table::NODES,
        ),
        (
            tipring::call_stats_table::ENTRY,
            tipring::call_stats_table::COLUMNS,
            tipring::call_stats_table::NODES,
        ),
        (
            tipring::quality_table::ENTRY,
            tipring::quality_table::COLUMNS,
            tipring::quality_table::NODES,
        ),
        (
            tipring::fax_table::ENTRY,
            tipring::fax_table::COLUMNS,
            tipring::fax_table::NODES,
        ),
        (
            snmpv2::or_table::ENTRY,
            snmpv2::or_table::COLUMNS,
            snmpv2::or_table::NODES,
        ),
        (
            if_mib::if_table::ENTRY,
            if_mib::if_table::COLUMNS,
            if_mib::if_table::NODES,
        ),
        (
            if_mib::if_x_table::ENTRY,
            if_mib::if_x_table::COLUMNS,
            if_mib::if_x_table::NODES,
        ),
        (
            entity::phys_table::ENTRY,
            entity::phys_table::COLUMNS,
            entity::phys_table::NODES,
        ),
        (
            host_resources::storage_table::ENTRY,
            host_resources::storage_table::COLUMNS,
            host_resources::storage_table::NODES,
        ),
        (
            host_resources::device_table::ENTRY,
            host_resources::device_table::COLUMNS,
            host_resources::device_table::NODES,
        ),
        (
            host_resources::processor_table::ENTRY,
            host_resources::processor_table::COLUMNS,
            host_resources::processor_table::NODES,
        ),
    ];
    for (entry, columns, nodes) in tables {
        assert!(columns.windows(2).all(|w| w[0] < w[1]), "{}", dotted(entry));
        assert_eq!(nodes.len(), columns.len() + 2);
        assert_eq!(nodes[1].oid, *entry);
        assert_eq!(nodes[0].oid, &entry[..entry.len() - 1]);
        for (node, column) in nodes[2..].iter().zip(columns.iter()) {
            assert_eq!(node.oid, &cell(entry, *column, &[])[..], "{}", node.name);
        }
    }
}

#[test]
fn name_of_names_tipring_nodes_only() {
    assert_eq!(name_of(TIPRING), Some("tipring"));
    assert_eq!(name_of(SYS_OBJECT_ID), Some("tipringGateway"));
    assert_eq!(name_of(tipring::MIB), Some("tipringMIB"));
    assert_eq!(
        name_of(&cell(
            tipring::reg_table::ENTRY,
            tipring::reg_table::STATE,
            &[]
        )),
        Some("tipringRegState")
    );
    assert_eq!(
        name_of(tipring::system::objects::CONFIG_VERSION),
        Some("tipringConfigVersion")
    );
    assert_eq!(
        name_of(tipring::notifications::CALL_QUALITY_LOW),
        Some("tipringCallQualityLow")
    );
    assert_eq!(
        name_of(tipring::conformance::COMPLIANCE),
        Some("tipringCompliance")
    );
    // An instance is not a node; a standard object is not a TIPRING-MIB node.
    assert_eq!(name_of(tipring::system::CONFIG_VERSION), None);
    assert_eq!(name_of(snmpv2::system::GROUP), None);
    assert_eq!(name_of(&[]), None);
}

#[test]
fn lookup_and_describe_name_instances() {
    let oid = cell(
        tipring::port_table::ENTRY,
        tipring::port_table::HOOK_STATE,
        &[12],
    );
    let (node, rest) = lookup(&oid).unwrap();
    assert_eq!(node.name, "tipringPortHookState");
    assert_eq!(rest, &[12]);
    assert_eq!(describe(&oid), "TIPRING-MIB::tipringPortHookState.12");
    assert_eq!(describe(snmpv2::system::UP_TIME), "SNMPv2-MIB::sysUpTime.0");
    assert_eq!(describe(snmpv2::trap::OID), "SNMPv2-MIB::snmpTrapOID.0");
    assert_eq!(describe(if_mib::LINK_DOWN), "IF-MIB::linkDown");
    assert_eq!(
        describe(v3::usm::stats::WRONG_DIGESTS),
        "SNMP-USER-BASED-SM-MIB::usmStatsWrongDigests.0"
    );
    assert_eq!(
        describe(host_resources::STORAGE_RAM),
        "HOST-RESOURCES-TYPES::hrStorageRam"
    );
    assert_eq!(
        describe(tipring::system::FIRMWARE_VERSION),
        "TIPRING-MIB::tipringFirmwareVersion.0"
    );
    // Below a known node but not a named one: the nearest name and the rest.
    assert_eq!(
        describe(&[1, 3, 6, 1, 4, 1, 9, 9]),
        "SNMPv2-SMI::enterprises.9.9"
    );
    // Nothing known: dotted numbers.
    assert_eq!(describe(&[2, 5, 4]), "2.5.4");
    assert_eq!(describe(&[]), "");
    assert!(lookup(&[2, 5]).is_none());
}

#[test]
fn notifications_carry_their_objects() {
    use tipring::notifications::*;
    for n in REGISTRY {
        let objects = varbinds_of(n.oid).unwrap_or_else(|| panic!("{} has no varbinds", n.name));
        assert!(!objects.is_empty());
        for object in objects {
            let name = name_of(object).unwrap();
            assert!(name.starts_with("tipring"), "{name}");
        }
    }
    assert_eq!(VARBINDS.len(), REGISTRY.len());
    assert_eq!(varbinds_of(TIPRING), None);
    let lost = varbinds_of(REGISTRATION_LOST).unwrap();
    assert_eq!(
        lost.iter().map(|o| name_of(o).unwrap()).collect::<Vec<_>>(),
        [
            "tipringRegAor",
            "tipringRegServer",
            "tipringRegState",
            "tipringRegLastStatus"
        ]
    );
    assert_eq!(
        if_mib::LINK_VARBINDS
            .iter()
            .map(|o| describe(o))
            .collect::<Vec<_>>(),
        [
            "IF-MIB::ifIndex",
            "IF-MIB::ifAdminStatus",
            "IF-MIB::ifOperStatus"
        ]
    );
}

/// Round trip of every enumeration: `i32::from`, `try_from`, labels (RFC 2578 §7.1.1:
/// only the named numbers are values).
#[test]
fn enumerations_round_trip() {
    fn check<E>(
        all: &[E],
        named: &[(&str, i32)],
        label: fn(E) -> &'static str,
        from_label: fn(&str) -> Option<E>,
    ) where
        E: Copy
            + PartialEq
            + std::fmt::Debug
            + std::fmt::Display
            + Into<i32>
            + TryFrom<i32, Error = Error>,
    {
        assert_eq!(all.len(), named.len());
        for (e, (name, value)) in all.iter().zip(named) {
            assert_eq!((*e).into(), *value);
            assert_eq!(E::try_from(*value), Ok(*e));
            assert_eq!(label(*e), *name);
            assert_eq!(from_label(name), Some(*e));
            assert_eq!(e.to_string(), format!("{name}({value})"));
        }
        assert_eq!(from_label("noSuchLabel"), None);
        for bad in [0, -1, 1000, i32::MIN, i32::MAX] {
            assert!(E::try_from(bad).is_err(), "{bad}");
        }
    }
    macro_rules! check {
        ($($e:path),+ $(,)?) => { $( {
            use $e as E;
            check(E::ALL, E::NAMED, E::label, E::from_label);
        } )+ };
    }
    check!(
        tipring::HookState,
        tipring::ServiceState,
        tipring::RegState,
        tipring::CallState,
        tipring::CallDirection,
        tipring::QualityCall,
        tipring::FirmwareState,
        tipring::UpgradeResult,
        tipring::ConfigState,
        tc::TruthValue,
        snmpv2::TrapEnable,
        if_mib::IfAdminStatus,
        if_mib::IfOperStatus,
        if_mib::IfType,
        entity::PhysicalClass,
        host_resources::HrDeviceStatus,
    );
}

#[test]
fn unknown_enumeration_values_are_errors() {
    let err = tipring::RegState::try_from(9).unwrap_err();
    assert_eq!(
        err,
        Error::UnknownValue {
            enumeration: "RegState",
            value: 9
        }
    );
    assert_eq!(err.to_string(), "9 is not a value of RegState");
    // ifType is an open IANA list: values outside the gateway's subset are refused.
    assert!(if_mib::IfType::try_from(71).is_err()); // ieee80211
    assert_eq!(if_mib::IfType::try_from(102), Ok(if_mib::IfType::VoiceFxs));
}

#[test]
fn truth_value_is_one_and_two() {
    assert_eq!(i32::from(tc::TruthValue::from(true)), 1);
    assert_eq!(i32::from(tc::TruthValue::from(false)), 2);
    assert!(bool::from(tc::TruthValue::True));
    assert!(!bool::from(tc::TruthValue::False));
}

/// DisplayString / TipringUtf8String are SIZE (0..255) (RFC 2579 §2, TIPRING-MIB).
#[test]
fn fit_text_cuts_at_a_character_boundary() {
    assert_eq!(fit_text("idle"), "idle");
    assert_eq!(fit_text(""), "");
    let ascii = "a".repeat(300);
    assert_eq!(fit_text(&ascii).len(), 255);
    let exact = "b".repeat(255);
    assert_eq!(fit_text(&exact), exact);
    // 'é' is 2 octets: 127 fit in 254 octets, the 128th would end at 256.
    let accents = "é".repeat(200);
    assert_eq!(fit_text(&accents).len(), 254);
    assert_eq!(fit_text(&accents).chars().count(), 127);
    // A 4-octet character straddling the limit is dropped whole.
    let mixed = format!("{}{}", "x".repeat(253), "😀");
    assert_eq!(fit_text(&mixed), "x".repeat(253));
}

#[test]
fn cell_is_entry_column_index() {
    assert_eq!(cell(&[1, 2], 3, &[4, 5]), vec![1, 2, 3, 4, 5]);
    assert_eq!(cell(&[], 7, &[]), vec![7]);
    assert_eq!(
        dotted(&cell(
            if_mib::if_table::ENTRY,
            if_mib::if_table::OPER_STATUS,
            &[2]
        )),
        "1.3.6.1.2.1.2.2.1.8.2"
    );
}

#[test]
fn join_concatenates_at_compile_time() {
    const J: [u32; 5] = join::<5>(&[1, 2], &[3, 4, 5]);
    assert_eq!(J, [1, 2, 3, 4, 5]);
    const E: [u32; 0] = join::<0>(&[], &[]);
    assert_eq!(E, [0u32; 0]);
}

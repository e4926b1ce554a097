//! The crate's SNMPv2-SMI, SNMPv2-MIB and IF-MIB constants against the IETF modules
//! installed in /usr/share/snmp/mibs.

use std::collections::BTreeSet;

use tipring_mibs::{all_nodes as crate_nodes, if_mib, snmpv2, tc, MibNode};

use crate::net_snmp::{all_nodes, definitions, dotted, numeric};

const MODULES: &str = "SNMPv2-MIB:IF-MIB";

/// A `scalars` module's `SCALARS`: descriptor and instance OID.
type Scalars = &'static [(&'static str, &'static [u32])];
const CHECKED: [&str; 3] = ["SNMPv2-SMI", "SNMPv2-MIB", "IF-MIB"];

fn checked_nodes() -> impl Iterator<Item = &'static MibNode> {
    crate_nodes().filter(|n| CHECKED.contains(&n.module))
}

/// Every SNMPv2-SMI, SNMPv2-MIB and IF-MIB node and scalar instance of the crate has the
/// OID net-snmp gives its name.
#[test]
fn every_constant_matches_net_snmp() {
    let mut names = Vec::new();
    let mut expected = Vec::new();
    for node in checked_nodes() {
        names.push(format!("{}::{}", node.module, node.name));
        expected.push(dotted(node.oid));
    }
    let scalar_groups: [(&str, Scalars); 6] = [
        ("SNMPv2-MIB", snmpv2::system::SCALARS),
        ("SNMPv2-MIB", snmpv2::snmp::SCALARS),
        ("SNMPv2-MIB", snmpv2::trap::SCALARS),
        ("SNMPv2-MIB", snmpv2::set::SCALARS),
        ("IF-MIB", if_mib::interfaces::SCALARS),
        ("IF-MIB", if_mib::if_mib_objects::SCALARS),
    ];
    for (module, scalars) in scalar_groups {
        for (name, instance) in scalars {
            names.push(format!("{module}::{name}.0"));
            expected.push(dotted(instance));
        }
    }
    let got = numeric(MODULES, &names);
    let wrong: Vec<String> = names
        .iter()
        .zip(got.iter().zip(&expected))
        .filter(|(_, (got, want))| got != want)
        .map(|(name, (got, want))| format!("{name}: net-snmp {got}, crate {want}"))
        .collect();
    assert!(
        wrong.is_empty(),
        "constants differ from the MIBs:\n{}",
        wrong.join("\n")
    );
    assert!(names.len() > 100, "only {} names checked", names.len());
}

/// Within each group and table the crate covers, every node of the MIB that is not
/// obsolete has a constant (the `snmp` group's obsolete SNMPv1 counters are left out on
/// purpose: RFC 3418 §2 keeps them only for history).
#[test]
fn covered_groups_are_complete() {
    let subtrees = [
        snmpv2::system::GROUP,
        snmpv2::snmp::GROUP,
        snmpv2::trap::GROUP,
        snmpv2::SNMP_TRAPS,
        snmpv2::set::GROUP,
        if_mib::interfaces::GROUP,
        if_mib::if_x_table::TABLE,
    ];
    let ours: BTreeSet<(String, String)> = checked_nodes()
        .map(|n| (n.name.to_string(), dotted(n.oid)))
        .collect();
    let mut candidates = Vec::new();
    for (name, oid) in all_nodes(MODULES) {
        for subtree in subtrees {
            let root = dotted(subtree);
            if oid == root || oid.starts_with(&format!("{root}.")) {
                candidates.push((name.clone(), oid.clone()));
            }
        }
    }
    let missing: Vec<(String, String)> = candidates
        .into_iter()
        .filter(|pair| !ours.contains(pair))
        .collect();
    if missing.is_empty() {
        return;
    }
    let names: Vec<String> = missing
        .iter()
        .map(|(n, _)| format!("SNMPv2-MIB::{n}"))
        .collect();
    // Descriptors are unique across the two modules: ask for each in SNMPv2-MIB or IF-MIB.
    let names: Vec<String> = names
        .into_iter()
        .map(|n| n.replace("SNMPv2-MIB::if", "IF-MIB::if"))
        .collect();
    let defs = definitions(MODULES, &names);
    let current: Vec<&String> = defs
        .iter()
        .filter(|(_, d)| d.status.as_deref() != Some("obsolete"))
        .map(|(n, _)| n)
        .collect();
    assert!(
        current.is_empty(),
        "current MIB nodes without a Rust constant: {current:?}"
    );
    assert!(
        defs.len() >= 20,
        "the obsolete snmp counters were expected: {defs:?}"
    );
}

/// The enumerations of SNMPv2-MIB and IF-MIB objects equal the Rust enums; the `ifType`
/// values the crate names are IANAifType's.
#[test]
fn enumerations_match_the_mibs() {
    let exact: &[(&str, &[(&str, i32)])] = &[
        ("IF-MIB::ifAdminStatus", if_mib::IfAdminStatus::NAMED),
        ("IF-MIB::ifOperStatus", if_mib::IfOperStatus::NAMED),
        ("IF-MIB::ifLinkUpDownTrapEnable", snmpv2::TrapEnable::NAMED),
        (
            "SNMPv2-MIB::snmpEnableAuthenTraps",
            snmpv2::TrapEnable::NAMED,
        ),
        ("IF-MIB::ifPromiscuousMode", tc::TruthValue::NAMED),
        ("IF-MIB::ifConnectorPresent", tc::TruthValue::NAMED),
    ];
    let mut names: Vec<String> = exact.iter().map(|(n, _)| n.to_string()).collect();
    names.push("IF-MIB::ifType".to_string());
    let defs = definitions(MODULES, &names);
    for (object, named) in exact {
        let short = object.split("::").nth(1).unwrap();
        let in_mib = defs[short].enumeration.clone().unwrap();
        let in_crate: Vec<(String, i32)> = named.iter().map(|(l, v)| (l.to_string(), *v)).collect();
        assert_eq!(in_mib, in_crate, "{object}");
    }
    let if_types = defs["ifType"].enumeration.clone().unwrap();
    for (label, value) in if_mib::IfType::NAMED {
        assert!(
            if_types.contains(&(label.to_string(), *value)),
            "{label}({value}) is not an IANAifType value"
        );
    }
}

/// `linkDown`/`linkUp` carry `ifIndex`, `ifAdminStatus`, `ifOperStatus` (IF-MIB).
#[test]
fn link_notification_objects_match_if_mib() {
    let defs = definitions(
        MODULES,
        &["IF-MIB::linkDown".to_string(), "IF-MIB::linkUp".to_string()],
    );
    let in_crate: Vec<String> = if_mib::LINK_VARBINDS
        .iter()
        .map(|o| tipring_mibs::lookup(o).unwrap().0.name.to_string())
        .collect();
    for name in ["linkDown", "linkUp"] {
        assert_eq!(defs[name].objects.clone().unwrap(), in_crate, "{name}");
    }
}

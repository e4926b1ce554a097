//! The crate's TIPRING-MIB constants are exactly what net-snmp reads from
//! TIPRING-MIB.txt, in both directions.

use std::collections::BTreeSet;

use tipring_mibs::tipring::{self, notifications};
use tipring_mibs::{name_of, tc, ENTERPRISE, SYS_OBJECT_ID};

use crate::net_snmp::{all_nodes, definitions, dotted, numeric};

const MODULES: &str = "TIPRING-MIB";

fn qualified(name: &str) -> String {
    format!("TIPRING-MIB::{name}")
}

#[test]
fn the_mib_and_the_crate_use_the_same_enterprise_number() {
    let oids = numeric(
        MODULES,
        &[qualified("tipring"), qualified("tipringGateway")],
    );
    assert_eq!(oids[0], format!("1.3.6.1.4.1.{ENTERPRISE}"));
    assert_eq!(oids[1], dotted(SYS_OBJECT_ID));
}

/// Every registry node (tree, groups, tables, entries, columns, scalar objects,
/// notifications, conformance) and every scalar instance (`.0`) has the OID net-snmp
/// gives its name — one `snmptranslate -On` call for all of them.
#[test]
fn every_constant_matches_net_snmp() {
    let mut names = Vec::new();
    let mut expected = Vec::new();
    for node in tipring::nodes() {
        names.push(qualified(node.name));
        expected.push(dotted(node.oid));
    }
    for (name, instance) in tipring::system::SCALARS {
        names.push(format!("{}.0", qualified(name)));
        expected.push(dotted(instance));
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
        "constants differ from the MIB:\n{}",
        wrong.join("\n")
    );
    assert!(names.len() > 70, "only {} names checked", names.len());
}

/// Every node of TIPRING-MIB (`snmptranslate -Tz`) has a constant, and the crate has
/// none that the MIB lacks.
#[test]
fn every_mib_node_has_a_constant() {
    let root = dotted(tipring::TIPRING);
    let in_mib: BTreeSet<(String, String)> = all_nodes(MODULES)
        .into_iter()
        .filter(|(_, oid)| *oid == root || oid.starts_with(&format!("{root}.")))
        .collect();
    let in_crate: BTreeSet<(String, String)> = tipring::nodes()
        .map(|n| (n.name.to_string(), dotted(n.oid)))
        .collect();
    let missing: Vec<_> = in_mib.difference(&in_crate).collect();
    let extra: Vec<_> = in_crate.difference(&in_mib).collect();
    assert!(
        missing.is_empty(),
        "MIB nodes without a Rust constant: {missing:?}"
    );
    assert!(extra.is_empty(), "Rust constants the MIB lacks: {extra:?}");
    assert!(in_mib.len() > 60, "only {} nodes", in_mib.len());
}

/// Each enumerated object's named numbers (`snmptranslate -Td` SYNTAX) equal its Rust
/// enum's, and every enumerated object of the MIB has one.
#[test]
fn enumerations_match_the_mib() {
    let rust: &[(&str, &[(&str, i32)])] = &[
        ("tipringFirmwareState", tipring::FirmwareState::NAMED),
        ("tipringFirmwareLastUpgrade", tipring::UpgradeResult::NAMED),
        ("tipringConfigState", tipring::ConfigState::NAMED),
        ("tipringPortHookState", tipring::HookState::NAMED),
        ("tipringPortServiceState", tipring::ServiceState::NAMED),
        ("tipringRegState", tipring::RegState::NAMED),
        ("tipringCallState", tipring::CallState::NAMED),
        ("tipringCallDirection", tipring::CallDirection::NAMED),
        ("tipringCallSrtp", tc::TruthValue::NAMED),
        ("tipringQualityCall", tipring::QualityCall::NAMED),
    ];
    let names: Vec<String> = tipring::nodes().map(|n| qualified(n.name)).collect();
    let defs = definitions(MODULES, &names);
    for (object, def) in &defs {
        let Some(enumeration) = &def.enumeration else {
            continue;
        };
        let (_, named) = rust.iter().find(|(o, _)| o == object).unwrap_or_else(|| {
            panic!("{object} is enumerated in the MIB but has no Rust enum here")
        });
        let named: Vec<(String, i32)> = named.iter().map(|(l, v)| (l.to_string(), *v)).collect();
        assert_eq!(enumeration, &named, "{object}");
    }
    for (object, _) in rust {
        assert!(
            defs[*object].enumeration.is_some(),
            "{object} is not enumerated in the MIB"
        );
    }
}

/// Each notification's OBJECTS clause (`snmptranslate -Td`) is, in order, the object
/// list the crate gives the agent.
#[test]
fn notification_objects_match_the_mib() {
    let names: Vec<String> = notifications::REGISTRY
        .iter()
        .map(|n| qualified(n.name))
        .collect();
    let defs = definitions(MODULES, &names);
    for node in notifications::REGISTRY {
        let in_mib = defs[node.name].objects.clone().unwrap_or_default();
        let in_crate: Vec<String> = notifications::varbinds_of(node.oid)
            .unwrap()
            .iter()
            .map(|o| name_of(o).unwrap().to_string())
            .collect();
        assert_eq!(in_mib, in_crate, "{}", node.name);
    }
}

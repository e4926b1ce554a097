//! TIPRING-MIB is a clean SMIv2 module for libsmi and net-snmp.

use crate::net_snmp::{smilint, snmptranslate, MIB_DIR};

fn mib_file() -> String {
    format!("{MIB_DIR}/TIPRING-MIB.txt")
}

/// `smilint -l 4` (RFC 2578/2579/2580 rules and libsmi's style checks up to level 4)
/// prints nothing: no error and no warning.
#[test]
fn smilint_level_4_finds_nothing() {
    let out = smilint(4, &mib_file());
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "smilint -l 4 TIPRING-MIB.txt:\n{}{}",
        out.stdout,
        out.stderr
    );
    assert!(out.success);
}

/// net-snmp loads the module without a diagnostic and shows the whole tree.
#[test]
fn snmptranslate_loads_it_silently() {
    let out = snmptranslate("TIPRING-MIB", &["-Tp"]);
    assert!(out.success, "{}", out.stderr);
    assert!(
        out.stderr.is_empty(),
        "snmptranslate -Tp printed:\n{}",
        out.stderr
    );
    for expected in [
        "+--tipring(",
        "+--tipringGateway(1)",
        "+--tipringPortTable(2)",
        "Index: tipringPortIndex",
        "+-- -R-- EnumVal   tipringRegState(3)",
        "Values: disabled(1), unregistered(2), registering(3), registered(4), failed(5)",
        "+--tipringCallQualityLow(7)",
        "+--tipringCompliance(1)",
    ] {
        assert!(
            out.stdout.contains(expected),
            "-Tp lacks {expected:?}:\n{}",
            out.stdout
        );
    }
}

/// With every parser warning on (`-PW`), net-snmp says nothing about TIPRING-MIB but the
/// note it prints for every conceptual-row type of every MIB ("No known translation for
/// type (XxxEntry)" — IF-MIB's `IfEntry` gets it too), which is about its parser, not the
/// module.
#[test]
fn snmptranslate_strict_parse_has_only_the_row_type_note() {
    let out = snmptranslate("TIPRING-MIB", &["-PW", "-Tp"]);
    assert!(out.success, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("No known translation for type (IfEntry)"),
        "the row-type note is expected for IF-MIB too:\n{}",
        out.stderr
    );
    let ours: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("TIPRING-MIB"))
        .collect();
    assert_eq!(
        ours.len(),
        6,
        "one note per table expected:\n{}",
        ours.join("\n")
    );
    for line in ours {
        assert!(
            line.starts_with("Warning: No known translation for type (Tipring")
                && line.contains("Entry)"),
            "unexpected diagnostic: {line}"
        );
    }
}

/// The form an operator types, `-m +TIPRING-MIB` (added to net-snmp's default module
/// list): whatever it says about default modules missing from this machine, it says
/// nothing about TIPRING-MIB.
#[test]
fn snmptranslate_plus_form_says_nothing_about_tipring() {
    let out = snmptranslate("+TIPRING-MIB", &["-Tp"]);
    assert!(out.success, "{}", out.stderr);
    let ours: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("TIPRING"))
        .collect();
    assert!(ours.is_empty(), "{}", ours.join("\n"));
    assert!(out.stdout.contains("tipringPortTable(2)"));
}

//! Whole-tree walks and reads with net-snmp's tools: the exact set of objects in
//! strictly increasing order, the end of the MIB view, tables, GetBulk and IPv6.

use std::collections::BTreeSet;

use tipring_snmp::Oid;

use crate::common::*;

/// Walks from `.1` and checks order, completeness and a few values.
fn check_walk(out: &std::process::Output, v1: bool, what: &str) {
    let text = stdout(out);
    let mut rows = parse_on(&text);
    // v2c/v3: the walk from .1 meets endOfMibView after the last object, which net-snmp
    // prints as "No more variables left in this MIB View" (RFC 3416 §4.2.2); SNMPv1 ends
    // on noSuchName silently.
    let end = rows
        .iter()
        .position(|(_, v)| v.starts_with("No more variables left in this MIB View"));
    if v1 {
        assert!(end.is_none(), "{what}: endOfMibView in SNMPv1");
    } else {
        let end = end.unwrap_or_else(|| panic!("{what}: no endOfMibView at the end:\n{text}"));
        assert_eq!(end, rows.len() - 1, "{what}: endOfMibView before the end");
        rows.pop();
    }
    assert!(
        out.status.success(),
        "{what}: walk failed: {}",
        all_output(out)
    );
    for w in rows.windows(2) {
        assert!(
            w[0].0 < w[1].0,
            "{what}: not increasing: {} then {}",
            w[0].0,
            w[1].0
        );
    }
    let got: BTreeSet<Oid> = rows.iter().map(|(o, _)| o.clone()).collect();
    let want = expected_walk(v1);
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: missing {missing:?}, extra {extra:?}"
    );
    assert_eq!(rows.len(), want.len(), "{what}: duplicates");
    let find = |o: Oid| {
        rows.iter()
            .find(|(k, _)| *k == o)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(
        find(Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0])),
        "STRING: \"gw-test\"",
        "{what}"
    );
    assert_eq!(find(table_cell(2, 17)), "STRING: \"line17\"", "{what}");
    assert_eq!(find(table_cell(3, 50)), "Counter32: 5000", "{what}");
    if !v1 {
        let mut big = Oid::from_slice(&TEST_BIG);
        big.push(0);
        assert_eq!(find(big), "Counter64: 281474976710661", "{what}");
    }
    // The walk ended by itself past the last object (no "Timeout", no error).
    assert!(!text.contains("Timeout"), "{what}");
}

#[test]
fn net_snmp_walks_the_whole_tree_v1_v2c_v3() {
    let agent = TestAgent::start(test_config());
    let peer = agent.peer();
    // v1 (no Counter64: RFC 3584 §4.2.2.1), v2c GetNext and GetBulk.
    let o = tool(
        "snmpwalk",
        &[
            "-v1", "-c", "public", "-On", "-t", "2", "-r", "1", &peer, ".1",
        ],
    );
    check_walk(&o, true, "v1 snmpwalk");
    let o = tool(
        "snmpwalk",
        &[
            "-v2c", "-c", "public", "-On", "-t", "2", "-r", "1", &peer, ".1",
        ],
    );
    check_walk(&o, false, "v2c snmpwalk");
    let o = tool(
        "snmpbulkwalk",
        &[
            "-v2c", "-c", "public", "-On", "-Cr25", "-t", "2", "-r", "1", &peer, ".1",
        ],
    );
    check_walk(&o, false, "v2c snmpbulkwalk");
    // v3 at every level and with every protocol pair.
    for (name, bulk) in [
        ("noauth", false),
        ("authsha", true),
        ("sha256aes", false),
        ("shaaes", true),
        ("sha512aes256", true),
        ("md5des", true),
        ("sha224aes192", true),
        ("shaaes256c", true),
        ("sha384aes192c", true),
    ] {
        let u = user(name);
        let mut args: Vec<String> = v3_args(&u);
        args.extend(["-On", "-t", "2", "-r", "1", &peer, ".1"].map(String::from));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = tool(if bulk { "snmpbulkwalk" } else { "snmpwalk" }, &argv);
        check_walk(&o, false, &format!("v3 {name}"));
    }
}

#[test]
fn end_of_mib_view_and_v1_no_such_name() {
    let agent = TestAgent::start(test_config());
    let last = ".1.3.6.1.6.3.15.1.1.6.0";
    let o = tool(
        "snmpgetnext",
        &[
            "-v2c",
            "-c",
            "public",
            "-On",
            "-t",
            "2",
            "-r",
            "0",
            &agent.peer(),
            last,
        ],
    );
    let text = all_output(&o);
    assert!(
        text.contains("No more variables left in this MIB View"),
        "{text}"
    );
    // SNMPv1 has no endOfMibView: noSuchName (RFC 1157 §4.1.3).
    let o = tool(
        "snmpgetnext",
        &[
            "-v1",
            "-c",
            "public",
            "-On",
            "-t",
            "2",
            "-r",
            "0",
            &agent.peer(),
            last,
        ],
    );
    let text = all_output(&o);
    assert!(text.contains("noSuchName"), "{text}");
}

#[test]
fn snmptable_renders_the_test_table() {
    let agent = TestAgent::start(test_config());
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mibs");
    let o = tool(
        "snmptable",
        &[
            "-v2c",
            "-c",
            "public",
            "-Ci",
            "-Cf",
            ",",
            "-M",
            &format!("+{dir}"),
            "-m",
            "+TIPRING-TEST-MIB",
            "-t",
            "2",
            "-r",
            "1",
            &agent.peer(),
            "TIPRING-TEST-MIB::testTable",
        ],
    );
    let text = stdout(&o);
    assert!(o.status.success(), "{}", all_output(&o));
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("index,"))
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(
        lines[header],
        "index,testIndex,testName,testCount,testLevel"
    );
    let rows = &lines[header + 1..];
    assert_eq!(rows.len(), ROWS as usize, "{text}");
    for (i, row) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        assert_eq!(*row, format!("{r},{r},line{r},{},{}", r * 100, r % 7));
    }
}

#[test]
fn snmpget_several_and_bulkget_nonrepeaters_repetitions() {
    let agent = TestAgent::start(test_config());
    let peer = agent.peer();
    let o = tool(
        "snmpget",
        &[
            "-v2c",
            "-c",
            "public",
            "-On",
            "-t",
            "2",
            "-r",
            "1",
            &peer,
            ".1.3.6.1.2.1.1.5.0",
            &table_cell(2, 7).to_string(),
            ".1.3.6.1.4.1.99999.9.1.2.0",
            ".1.3.6.1.2.1.1.5.1",
            ".1.3.6.1.4.1.12345.1",
            ".1.3.6.1.6.3.10.2.1.1.0",
        ],
    );
    let rows = parse_on(&stdout(&o));
    let vals: Vec<&str> = rows.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(rows.len(), 6, "{}", all_output(&o));
    assert_eq!(vals[0], "STRING: \"gw-test\"");
    assert_eq!(vals[1], "STRING: \"line7\"");
    assert_eq!(vals[2], "Counter64: 281474976710661");
    assert!(vals[3].contains("No Such Instance"), "{}", vals[3]);
    assert!(vals[4].contains("No Such Object"), "{}", vals[4]);
    // net-snmp folds long hex strings over lines: compare without white space.
    let hex: String = engine_id_hex().to_uppercase();
    let flat: String = stdout(&o).split_whitespace().collect();
    assert!(vals[5].starts_with("Hex-STRING:"), "{}", vals[5]);
    assert!(flat.contains(&format!("Hex-STRING:{hex}")), "{flat}");

    // RFC 3416 §4.2.3: one non-repeater, five repetitions of two repeaters.
    let o = tool(
        "snmpbulkget",
        &[
            "-v2c",
            "-c",
            "public",
            "-On",
            "-Cn1",
            "-Cr5",
            "-t",
            "2",
            "-r",
            "1",
            &peer,
            ".1.3.6.1.2.1.1.4",
            &table_cell(2, 0).to_string(),
            &table_cell(4, 48).to_string(),
        ],
    );
    let rows = parse_on(&stdout(&o));
    assert_eq!(rows.len(), 11, "{}", all_output(&o));
    assert_eq!(rows[0].0, Oid::from([1, 3, 6, 1, 2, 1, 1, 4, 0]));
    for rep in 0..5 {
        assert_eq!(rows[1 + 2 * rep].0, table_cell(2, rep as u32 + 1));
    }
    // The second repeater runs off the table into testBig.0, then into the engine's own
    // objects under 1.3.6.1.6.3 (snmpSetSerialNo first).
    assert_eq!(rows[2].0, table_cell(4, 49));
    assert_eq!(rows[4].0, table_cell(4, 50));
    let mut big = Oid::from_slice(&TEST_BIG);
    big.push(0);
    assert_eq!(rows[6].0, big);
    assert_eq!(rows[8].0, Oid::from([1, 3, 6, 1, 6, 3, 1, 1, 6, 1, 0]));
}

#[test]
fn ipv6_and_source_networks() {
    let agent = TestAgent::start(test_config());
    let Some(v6) = agent.v6 else {
        panic!("IPv6 loopback [::1] is not available on this machine");
    };
    let p6 = format!("udp6:[::1]:{}", v6.port());
    for community in ["public", "v6only"] {
        let o = tool(
            "snmpget",
            &[
                "-v2c",
                "-c",
                community,
                "-On",
                "-t",
                "2",
                "-r",
                "0",
                &p6,
                ".1.3.6.1.2.1.1.5.0",
            ],
        );
        assert!(
            stdout(&o).contains("gw-test"),
            "{community}: {}",
            all_output(&o)
        );
    }
    let u = user("sha256aes");
    let mut args = v3_args(&u);
    args.extend(["-On", "-t", "2", "-r", "0", &p6, ".1.3.6.1.2.1.1.5.0"].map(String::from));
    let o = tool(
        "snmpget",
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(stdout(&o).contains("gw-test"), "{}", all_output(&o));
    // `v6only` from 127.0.0.1 and `far` (192.0.2.0/24) from anywhere here: dropped.
    let before = agent.counters().snmp_in_bad_community_names;
    for community in ["v6only", "far"] {
        let o = tool(
            "snmpget",
            &[
                "-v2c",
                "-c",
                community,
                "-t",
                "0.3",
                "-r",
                "0",
                &agent.peer(),
                ".1.3.6.1.2.1.1.5.0",
            ],
        );
        assert!(
            all_output(&o).contains("Timeout: No Response"),
            "{community}: {}",
            all_output(&o)
        );
    }
    assert_eq!(agent.counters().snmp_in_bad_community_names, before + 2);
}

#[test]
fn snmpset_through_the_write_view() {
    let agent = TestAgent::start(test_config());
    let peer = agent.peer();
    let cell = table_cell(2, 3).to_string();
    let o = tool(
        "snmpset",
        &[
            "-v2c", "-c", "private", "-On", "-t", "2", "-r", "0", &peer, &cell, "s", "renamed",
        ],
    );
    assert!(stdout(&o).contains("renamed"), "{}", all_output(&o));
    let o = tool(
        "snmpget",
        &[
            "-v2c", "-c", "public", "-On", "-t", "2", "-r", "0", &peer, &cell,
        ],
    );
    assert!(stdout(&o).contains("\"renamed\""), "{}", all_output(&o));
    // Read-only community: noAccess (v2c), counted in snmpInBadCommunityUses.
    let o = tool(
        "snmpset",
        &[
            "-v2c", "-c", "public", "-t", "2", "-r", "0", &peer, &cell, "s", "nope",
        ],
    );
    assert!(all_output(&o).contains("noAccess"), "{}", all_output(&o));
    // ... and noSuchName in v1 (RFC 3584 §4.4).
    let o = tool(
        "snmpset",
        &[
            "-v1", "-c", "public", "-t", "2", "-r", "0", &peer, &cell, "s", "nope",
        ],
    );
    assert!(all_output(&o).contains("noSuchName"), "{}", all_output(&o));
    assert_eq!(agent.counters().snmp_in_bad_community_uses, 2);
    // A wrong type from the Mib's point of view: wrongType (v2c), badValue (v1).
    let o = tool(
        "snmpset",
        &[
            "-v2c", "-c", "private", "-t", "2", "-r", "0", &peer, &cell, "i", "5",
        ],
    );
    assert!(all_output(&o).contains("wrongType"), "{}", all_output(&o));
    let o = tool(
        "snmpset",
        &[
            "-v1", "-c", "private", "-t", "2", "-r", "0", &peer, &cell, "i", "5",
        ],
    );
    assert!(all_output(&o).contains("badValue"), "{}", all_output(&o));
    // snmpSetSerialNo is TestAndIncr (RFC 3418): the current value succeeds, then moves.
    let serial = ".1.3.6.1.6.3.1.1.6.1.0";
    let o = tool(
        "snmpget",
        &[
            "-v2c", "-c", "public", "-Oqv", "-t", "2", "-r", "0", &peer, serial,
        ],
    );
    let v: i64 = stdout(&o).trim().parse().unwrap();
    let o = tool(
        "snmpset",
        &[
            "-v2c",
            "-c",
            "private",
            "-t",
            "2",
            "-r",
            "0",
            &peer,
            serial,
            "i",
            &v.to_string(),
        ],
    );
    assert!(o.status.success(), "{}", all_output(&o));
    let o = tool(
        "snmpset",
        &[
            "-v2c",
            "-c",
            "private",
            "-t",
            "2",
            "-r",
            "0",
            &peer,
            serial,
            "i",
            &v.to_string(),
        ],
    );
    assert!(
        all_output(&o).contains("inconsistentValue"),
        "{}",
        all_output(&o)
    );
}

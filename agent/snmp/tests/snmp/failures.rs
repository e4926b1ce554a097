//! Failures as net-snmp's tools report them, and the counters that go up.

use crate::common::*;

const SYS_NAME: &str = ".1.3.6.1.2.1.1.5.0";

fn v3_get(agent: &TestAgent, args: &[String], timeout: &str) -> std::process::Output {
    let mut a: Vec<String> = args.to_vec();
    a.extend(["-t", timeout, "-r", "0", &agent.peer(), SYS_NAME].map(String::from));
    tool("snmpget", &a.iter().map(String::as_str).collect::<Vec<_>>())
}

fn replace(args: &mut [String], flag: &str, value: &str) {
    let i = args.iter().position(|a| a == flag).unwrap();
    args[i + 1] = value.to_string();
}

#[test]
fn wrong_community_times_out_and_counts() {
    let agent = TestAgent::start(test_config());
    let o = tool(
        "snmpget",
        &[
            "-v2c",
            "-c",
            "wrong",
            "-t",
            "0.3",
            "-r",
            "0",
            &agent.peer(),
            SYS_NAME,
        ],
    );
    assert!(
        all_output(&o).contains("Timeout: No Response"),
        "{}",
        all_output(&o)
    );
    let o = tool(
        "snmpget",
        &[
            "-v1",
            "-c",
            "wrong",
            "-t",
            "0.3",
            "-r",
            "0",
            &agent.peer(),
            SYS_NAME,
        ],
    );
    assert!(
        all_output(&o).contains("Timeout: No Response"),
        "{}",
        all_output(&o)
    );
    assert_eq!(agent.counters().snmp_in_bad_community_names, 2);
}

#[test]
fn usm_failures_as_net_snmp_reports_them() {
    let agent = TestAgent::start(test_config());
    let good = v3_args(&user("sha256aes"));

    // Unknown user (RFC 3414 §3.2 step 4).
    let mut a = good.clone();
    replace(&mut a, "-u", "mallory");
    let o = v3_get(&agent, &a, "1");
    assert!(
        all_output(&o).contains("Unknown user name"),
        "{}",
        all_output(&o)
    );
    assert_eq!(agent.counters().usm_unknown_user_names, 1);

    // Wrong authentication password (step 6).
    let mut a = good.clone();
    replace(&mut a, "-A", "not-the-password");
    let o = v3_get(&agent, &a, "1");
    assert!(
        all_output(&o).contains("Authentication failure (incorrect password, community or key)"),
        "{}",
        all_output(&o)
    );
    assert_eq!(agent.counters().usm_wrong_digests, 1);

    // Wrong privacy password (step 8): the ScopedPDU does not decrypt to BER; the engine
    // reports usmStatsDecryptionErrors and net-snmp says "Decryption error".
    let mut a = good.clone();
    replace(&mut a, "-X", "not-the-password");
    let o = v3_get(&agent, &a, "1");
    assert!(
        all_output(&o).contains("Decryption error"),
        "{}",
        all_output(&o)
    );
    assert_eq!(agent.counters().usm_decryption_errors, 1);

    // An authPriv user asking noAuthNoPriv (step 5, and our minimum-level policy).
    let o = v3_get(
        &agent,
        &["-v3", "-u", "sha256aes", "-l", "noAuthNoPriv"].map(String::from),
        "1",
    );
    assert!(
        all_output(&o).contains("Unsupported security level"),
        "{}",
        all_output(&o)
    );
    // An authNoPriv user asking authPriv.
    let mut a = v3_args(&user("authsha"));
    a[4] = "authPriv".into();
    a.extend(["-x", "AES", "-X", PRIV_PW].map(String::from));
    let o = v3_get(&agent, &a, "1");
    assert!(
        all_output(&o).contains("Unsupported security level"),
        "{}",
        all_output(&o)
    );
    assert_eq!(agent.counters().usm_unsupported_sec_levels, 2);

    // Discovery alone leaves usmStatsUnknownEngineIDs at one per net-snmp invocation.
    assert!(agent.counters().usm_unknown_engine_ids >= 5);
}

#[test]
fn wrong_engine_time_resynchronises() {
    let agent = TestAgent::start(test_config());
    // `-e` skips discovery, `-Z 1,100000` claims boots 1 and a time 100000 s ahead: the
    // engine answers an authenticated notInTimeWindow Report (RFC 3414 §3.2 step 7a)
    // carrying its real time; net-snmp adopts it, sends again and prints the value as if
    // nothing happened.
    let mut a = v3_args(&user("sha256aes"));
    a.extend([
        "-e".to_string(),
        format!("0x{}", engine_id_hex()),
        "-Z".into(),
        "1,100000".into(),
    ]);
    let o = v3_get(&agent, &a, "1");
    assert!(stdout(&o).contains("gw-test"), "{}", all_output(&o));
    assert_eq!(agent.counters().usm_not_in_time_windows, 1);
    // Wrong boots too.
    let mut a = v3_args(&user("md5des"));
    a.extend([
        "-e".to_string(),
        format!("0x{}", engine_id_hex()),
        "-Z".into(),
        "9,5".into(),
    ]);
    let o = v3_get(&agent, &a, "1");
    assert!(stdout(&o).contains("gw-test"), "{}", all_output(&o));
    assert_eq!(agent.counters().usm_not_in_time_windows, 2);
}

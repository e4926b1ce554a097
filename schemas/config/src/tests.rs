//! Whole-document tests: parsing, round trips, secrets, size limit, JSON Schema.

use super::*;

fn full() -> GatewayConfig {
    let mut c = GatewayConfig::example(4);
    for (i, p) in c.ports.iter_mut().enumerate() {
        p.password = Some(Secret::new(format!("port-secret-{i}")));
    }
    c.ports[1].hotline = Some(Hotline {
        number: "911".into(),
        delay_s: 5,
    });
    c.ports[2].speed_dial.insert("2".into(), "5551234".into());
    c.sip.transport = Transport::Tls;
    c.sip.srtp = SrtpPolicy::Mandatory;
    c.sip.tls.ca_file = Some("/etc/tipring/ca.pem".into());
    c.sip.peers.push(PeerGateway {
        name: "branch".into(),
        address: "192.0.2.9:5060".into(),
        prefix: "3".into(),
    });
    c.device.time_zone = Some("America/New_York".into());
    c.management.cwmp = Some(Cwmp {
        acs_url: "https://acs.example.net/".into(),
        username: Some("cpe-1".into()),
        password: Some(Secret::new("acs-secret-value")),
        periodic_inform_interval_s: 600,
    });
    c.management.acs_url_source = AcsUrlSource::Local;
    c.management.provisioning_code = "CLAIM-7Q4K".into();
    c.management.snmp = Some(Snmp {
        communities: vec![Secret::new("community-secret")],
        v3_users: vec![SnmpV3User {
            name: "ops".into(),
            auth_protocol: SnmpAuth::Sha256,
            auth_password: Some(Secret::new("auth-secret-value")),
            priv_protocol: SnmpPriv::Aes128,
            priv_password: Some(Secret::new("priv-secret-value")),
            write: false,
        }],
        notification_targets: vec![SnmpTarget {
            address: "192.0.2.1:162".into(),
            kind: SnmpNotifyKind::Trap,
            community: Some(Secret::new("trap-secret-value")),
            user: None,
            timeout_s: 1,
            retries: 3,
        }],
        ..Snmp::default()
    });
    c.validate().unwrap();
    c
}

const SECRETS: [&str; 8] = [
    "port-secret-0",
    "trap-secret-value",
    "port-secret-3",
    "acs-secret-value",
    "community-secret",
    "auth-secret-value",
    "priv-secret-value",
    "secret",
];

#[test]
fn example_round_trips() {
    for c in [GatewayConfig::example(4), full()] {
        let text = c.to_json_pretty();
        let back = deserialize(text.as_bytes()).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.to_json_pretty(), text);
    }
    let c = full();
    assert_eq!(parse(c.to_json_pretty().as_bytes()).unwrap(), c);
}

/// A minimal hand-written file: the defaults fill the rest.
#[test]
fn minimal_file_takes_the_defaults() {
    let text = br#"{
        "schema_version": 1,
        "device": { "name": "lab", "country": "de" },
        "ports": [ { "extension": "201" } ]
    }"#;
    let c = parse(text).unwrap();
    assert!(c.sip.servers.is_empty());
    assert_eq!(c.ports[0].codecs, [Codec::Pcmu, Codec::Pcma, Codec::G722]);
    assert_eq!(c.ports[0].dial_plan, DEFAULT_DIAL_PLAN);
    assert_eq!(c.ports[0].echo_tail_ms, 64);
    assert!(c.ports[0].enabled && c.ports[0].features.call_waiting);
    assert_eq!(c.management.http_listen, "127.0.0.1:8080");
}

#[test]
fn unknown_fields_are_errors_naming_the_field() {
    let text = full().to_json_pretty();
    let cases = [
        ("\"dtmf\"", "\"dtfm\"", "ports[0].dtfm"),
        ("\"domain\"", "\"domian\"", "sip.domian"),
        ("\"acs_url\"", "\"acs_URL\"", "management.cwmp[\"acs_URL\"]"),
        ("\"schema_version\"", "\"schema\"", "schema"),
        (
            "\"no_answer_timeout_s\"",
            "\"timeout\"",
            "ports[0].features.forward.timeout",
        ),
    ];
    for (from, to, path) in cases {
        let bad = text.replacen(from, to, 1);
        let e = deserialize(bad.as_bytes()).unwrap_err();
        assert_eq!(e.errors().len(), 1);
        assert_eq!(e.errors()[0].path, path, "{e}");
        assert!(e.errors()[0].message.contains("unknown field"), "{e}");
    }
}

/// The bootstrap fields (TR-069 Amendment 6 §3.1): left out when at their defaults, read
/// back, and a source that is not one of the three named at its path.
#[test]
fn acs_url_source_in_the_file() {
    let example = GatewayConfig::example(1).to_json_pretty();
    assert!(!example.contains("acs_url_source") && !example.contains("provisioning_code"));
    let text = full().to_json_pretty();
    assert!(text.contains("\"acs_url_source\": \"local\""), "{text}");
    let bad = text.replace(
        "\"acs_url_source\": \"local\"",
        "\"acs_url_source\": \"dhcp\"",
    );
    let e = deserialize(bad.as_bytes()).unwrap_err();
    assert_eq!(e.errors()[0].path, "management.acs_url_source", "{e}");
}

#[test]
fn type_errors_name_the_path_and_position() {
    let mut v: serde_json::Value = serde_json::from_str(&full().to_json_pretty()).unwrap();
    v["ports"][2]["codecs"][1] = "g723".into();
    let e = deserialize(v.to_string().as_bytes()).unwrap_err();
    assert_eq!(e.errors()[0].path, "ports[2].codecs[1]");
    assert!(e.errors()[0].message.contains("g723"), "{e}");
    assert!(e.errors()[0].message.contains("line 1, column"), "{e}");

    let mut v: serde_json::Value = serde_json::from_str(&full().to_json_pretty()).unwrap();
    v["sip"]["rtp_port_base"] = 70000.into();
    let e = deserialize(v.to_string().as_bytes()).unwrap_err();
    assert_eq!(e.errors()[0].path, "sip.rtp_port_base");

    let e = deserialize(br#"{"schema_version": 1, "device": {"name": "x"}}"#).unwrap_err();
    assert_eq!(e.errors()[0].path, "device");
    assert!(e.errors()[0].message.contains("country"), "{e}");

    let text = format!("{} trailing", full().to_json_pretty());
    let e = deserialize(text.as_bytes()).unwrap_err();
    assert_eq!(e.errors()[0].path, "");
    assert!(e.errors()[0].message.contains("trailing"), "{e}");
}

#[test]
fn type_errors_at_secrets_do_not_echo_the_value() {
    let mut v: serde_json::Value = serde_json::from_str(&full().to_json_pretty()).unwrap();
    v["ports"][0]["password"] = 987654321.into();
    let e = deserialize(v.to_string().as_bytes()).unwrap_err();
    assert_eq!(e.errors()[0].path, "ports[0].password");
    assert!(!e.to_string().contains("987654321"), "{e}");

    let mut v: serde_json::Value = serde_json::from_str(&full().to_json_pretty()).unwrap();
    v["management"]["snmp"]["communities"][0] = 424242.into();
    let e = deserialize(v.to_string().as_bytes()).unwrap_err();
    assert_eq!(e.errors()[0].path, "management.snmp.communities[0]");
    assert!(!e.to_string().contains("424242"), "{e}");
}

#[test]
fn parse_validates() {
    let mut c = full();
    c.ports[3].extension = "101".into();
    let e = parse(c.to_json_pretty().as_bytes()).unwrap_err();
    assert!(e.has_path("ports[3].extension"), "{e}");
}

#[test]
fn secrets_never_in_debug_or_redacted_output() {
    let c = full();
    let shown = [
        format!("{c:?}"),
        format!("{c:#?}"),
        format!("{:?}", c.redacted()),
        c.redacted().to_json_pretty(),
    ];
    for text in &shown {
        for s in SECRETS {
            assert!(!text.contains(s), "`{s}` leaked in:\n{text}");
        }
    }
    // The file itself does hold them, and the redacted view still says which are set.
    let file = c.to_json_pretty();
    assert!(file.contains("port-secret-0") && file.contains("priv-secret-value"));
    let r = c.redacted();
    assert!(r.ports[0].password.as_ref().is_some_and(Secret::is_empty));
    // Written back by mistake, a redacted document is refused, not stored.
    let e = r.validate().unwrap_err();
    assert!(e.has_path("ports[0].password"), "{e}");
    assert!(e.has_path("management.cwmp.password"), "{e}");
}

#[test]
fn size_limit() {
    let mut text = full().to_json_pretty();
    text.push_str(&" ".repeat(MAX_DOCUMENT_BYTES + 1 - text.len()));
    assert!(text.len() > MAX_DOCUMENT_BYTES);
    let e = deserialize(text.as_bytes()).unwrap_err();
    assert_eq!(e.errors()[0].path, "");
    assert!(e.to_string().contains("at most"), "{e}");
    // Just under the limit is fine.
    let mut text = full().to_json_pretty();
    text.push_str(&" ".repeat(MAX_DOCUMENT_BYTES - text.len()));
    deserialize(text.as_bytes()).unwrap();
    // A 48-port document is far below it.
    let mut c = GatewayConfig::example(MAX_PORTS);
    c.sip.servers.clear();
    assert!(c.to_json_pretty().len() < MAX_DOCUMENT_BYTES / 10);
}

/// Seeded random bytes and mutilated documents never panic the parser.
#[test]
fn random_input_never_panics() {
    let doc = full().to_json_pretty().into_bytes();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..300 {
        let mut d = doc.clone();
        for _ in 0..1 + next() % 8 {
            let i = (next() as usize) % d.len();
            match next() % 3 {
                0 => d[i] = next() as u8,
                1 => d.truncate(i),
                _ => d.insert(i, b"{}[],:\"0"[(next() % 8) as usize]),
            }
            if d.is_empty() {
                break;
            }
        }
        let _ = parse(&d);
        let junk: Vec<u8> = (0..next() % 200).map(|_| next() as u8).collect();
        let _ = parse(&junk);
    }
}

/// The example (with and without the optional sections) validates against the JSON Schema
/// with an independent validator, Python's `jsonschema`; a broken document does not.
#[test]
fn example_validates_against_the_json_schema() {
    let schema = json_schema();
    let v: serde_json::Value = serde_json::from_str(&schema).unwrap();
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");

    let dir = std::env::temp_dir().join(format!("tipring-config-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let schema_path = dir.join("schema.json");
    std::fs::write(&schema_path, &schema).unwrap();
    let mut typo: serde_json::Value = serde_json::from_str(&full().to_json_pretty()).unwrap();
    typo["ports"][0]["extenson"] = "101".into();
    let mut wrong_enum: serde_json::Value = typo.clone();
    wrong_enum["ports"][0]
        .as_object_mut()
        .unwrap()
        .remove("extenson");
    wrong_enum["sip"]["transport"] = "sctp".into();
    let docs = [
        ("example", GatewayConfig::example(4).to_json_pretty(), true),
        ("full", full().to_json_pretty(), true),
        ("typo", typo.to_string(), false),
        ("wrong_enum", wrong_enum.to_string(), false),
    ];
    let script = r#"
import json, sys
try:
    import jsonschema
except ImportError:
    print("MISSING")
    sys.exit(3)
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
errs = list(v.iter_errors(json.load(open(sys.argv[2]))))
for e in errs:
    print(e.json_path, e.message)
sys.exit(1 if errs else 0)
"#;
    for (name, doc, valid) in docs {
        let doc_path = dir.join(format!("{name}.json"));
        std::fs::write(&doc_path, doc).unwrap();
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&schema_path)
            .arg(&doc_path)
            .output()
            .expect("python3 is needed for this test: apt-get install python3");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            !stdout.contains("MISSING"),
            "the Python `jsonschema` package is needed: pip install jsonschema \
             (or apt-get install python3-jsonschema)"
        );
        assert_eq!(
            out.status.success(),
            valid,
            "{name}: jsonschema said {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

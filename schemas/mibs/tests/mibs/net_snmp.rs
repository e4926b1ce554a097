//! Running `snmptranslate` and `smilint` in a controlled environment, and reading their
//! output.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The directory of TIPRING-MIB.txt (the crate's root).
pub const MIB_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// Where the IETF base MIBs are (ops/install-deps puts them there).
pub const SYSTEM_MIB_DIR: &str = "/usr/share/snmp/mibs";

/// What a tool printed.
#[derive(Debug)]
pub struct Output {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// An empty directory for SNMPCONFPATH and SNMP_PERSISTENT_DIR, so that no snmp.conf of
/// the machine or the user (Debian's says `mibs :`) changes which MIBs are loaded.
fn empty_conf_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join("tipring-mibs-snmpconf");
        // net-snmp creates (and announces on stderr) cert_indexes/ in the persistent
        // directory when it is missing.
        std::fs::create_dir_all(dir.join("cert_indexes")).unwrap();
        dir
    })
}

fn run(mut cmd: Command, tool: &str, package: &str) -> Output {
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("`{tool}` is not installed: apt-get install {package} (or run ops/install-deps)")
        }
        Err(e) => panic!("cannot run {tool}: {e}"),
    };
    Output {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `snmptranslate -M +<crate dir> -m <modules> <args>`, with no configuration file.
/// `modules` is a net-snmp module list (`TIPRING-MIB`, `SNMPv2-MIB:IF-MIB`); without a
/// leading `+`, only those modules and their imports are loaded.
pub fn snmptranslate(modules: &str, args: &[&str]) -> Output {
    let conf = empty_conf_dir();
    let mut cmd = Command::new("snmptranslate");
    cmd.env("SNMPCONFPATH", conf)
        .env("SNMP_PERSISTENT_DIR", conf)
        .env_remove("MIBS")
        .env_remove("MIBDIRS")
        .arg("-M")
        .arg(format!("+{MIB_DIR}"))
        .arg("-m")
        .arg(modules)
        .args(args);
    let out = run(cmd, "snmptranslate", "snmp");
    for base in [
        "SNMPv2-SMI",
        "SNMPv2-TC",
        "SNMPv2-CONF",
        "SNMPv2-MIB",
        "IF-MIB",
        "IANAifType-MIB",
    ] {
        assert!(
            !out.stderr.contains(&format!("Cannot find module ({base})")),
            "the IETF base MIB {base} is not in {SYSTEM_MIB_DIR}: run ops/install-deps\n{}",
            out.stderr
        );
    }
    out
}

/// `smilint -s -l <level> <file>` with SMIPATH = the base MIBs and the crate dir.
pub fn smilint(level: u8, file: &str) -> Output {
    let mut cmd = Command::new("smilint");
    cmd.env("SMIPATH", format!("{SYSTEM_MIB_DIR}:{MIB_DIR}"))
        .arg("-s")
        .arg("-l")
        .arg(level.to_string())
        .arg(file);
    run(cmd, "smilint", "smitools")
}

/// The numeric OIDs (`1.3.6...`, no leading dot) of `names` (`MODULE::descriptor[.instance]`),
/// in order, from one `snmptranslate -On` call that must print nothing on stderr.
pub fn numeric(modules: &str, names: &[String]) -> Vec<String> {
    let mut args = vec!["-On"];
    args.extend(names.iter().map(String::as_str));
    let out = snmptranslate(modules, &args);
    assert!(
        out.success && out.stderr.is_empty(),
        "snmptranslate -On failed:\n{}",
        out.stderr
    );
    let oids: Vec<String> = out
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().trim_start_matches('.').to_string())
        .collect();
    assert_eq!(
        oids.len(),
        names.len(),
        "one OID per name expected:\n{}",
        out.stdout
    );
    oids
}

/// Every node net-snmp knows with `modules` loaded (`snmptranslate -Tz`): descriptor →
/// dotted OID.
pub fn all_nodes(modules: &str) -> Vec<(String, String)> {
    let out = snmptranslate(modules, &["-Tz"]);
    assert!(
        out.success && out.stderr.is_empty(),
        "snmptranslate -Tz failed:\n{}",
        out.stderr
    );
    out.stdout
        .lines()
        .filter_map(|line| {
            let parts: Vec<&str> = line.split('"').collect();
            // "label"<tabs>"oid"  ->  ["", label, tabs, oid, ""]
            (parts.len() == 5).then(|| (parts[1].to_string(), parts[3].to_string()))
        })
        .collect()
}

/// What `snmptranslate -Td` says of one node.
#[derive(Debug, Default)]
pub struct Definition {
    /// The named numbers of an enumerated SYNTAX (`INTEGER {up(1), down(2)}`), in order.
    pub enumeration: Option<Vec<(String, i32)>>,
    /// The OBJECTS clause of a NOTIFICATION-TYPE, in order.
    pub objects: Option<Vec<String>>,
    /// The STATUS clause (`current`, `deprecated`, `obsolete`).
    pub status: Option<String>,
}

/// `snmptranslate -Td` of each of `names` (`MODULE::descriptor`), in one call.
pub fn definitions(modules: &str, names: &[String]) -> HashMap<String, Definition> {
    let mut args = vec!["-Td"];
    args.extend(names.iter().map(String::as_str));
    let out = snmptranslate(modules, &args);
    assert!(
        out.success && out.stderr.is_empty(),
        "snmptranslate -Td failed:\n{}",
        out.stderr
    );
    let mut defs = HashMap::new();
    let mut current: Option<(String, Definition)> = None;
    for line in out.stdout.lines() {
        if current.is_none() {
            if let Some((_, name)) = line.split_once("::") {
                if !line.starts_with(' ') && !name.is_empty() {
                    current = Some((name.trim().to_string(), Definition::default()));
                }
            }
            continue;
        }
        let (_, def) = current.as_mut().unwrap();
        if let Some(syntax) = line.strip_prefix("  SYNTAX\t") {
            if let (Some(open), Some(close)) = (syntax.find('{'), syntax.rfind('}')) {
                def.enumeration = Some(parse_named_numbers(&syntax[open + 1..close]));
            }
        } else if let Some(objects) = line.strip_prefix("  OBJECTS\t") {
            let inner = objects.trim().trim_start_matches('{').trim_end_matches('}');
            def.objects = Some(inner.split(',').map(|o| o.trim().to_string()).collect());
        } else if let Some(status) = line.strip_prefix("  STATUS\t") {
            def.status = Some(status.trim().to_string());
        } else if line.starts_with("::= {") {
            let (name, def) = current.take().unwrap();
            defs.insert(name, def);
        }
    }
    assert_eq!(
        defs.len(),
        names.len(),
        "one definition per name expected:\n{}",
        out.stdout
    );
    defs
}

/// `up(1), down(2)` → `[("up", 1), ("down", 2)]`.
fn parse_named_numbers(list: &str) -> Vec<(String, i32)> {
    list.split(',')
        .map(|item| {
            let item = item.trim();
            let (label, rest) = item
                .split_once('(')
                .unwrap_or_else(|| panic!("bad item {item:?}"));
            (
                label.to_string(),
                rest.trim_end_matches(')').parse().unwrap(),
            )
        })
        .collect()
}

/// Arcs as net-snmp prints them.
pub fn dotted(oid: &[u32]) -> String {
    tipring_mibs::dotted(oid)
}

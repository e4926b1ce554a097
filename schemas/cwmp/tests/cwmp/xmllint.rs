//! Validation of written envelopes with `xmllint --schema` (libxml2-utils) against the
//! CWMP 1.2 XSD from the shared Broadband Forum reference data, wrapped in the minimal
//! SOAP 1.1 envelope and encoding schemas of `tests/xsd/`.
//!
//! Shared by the unit tests (every message type) and the integration tests (corpus).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

static RUN: AtomicUsize = AtomicUsize::new(0);

/// Where the shared reference data lives: `shared/` beside the repository (as CI lays
/// it out) or `/work/shared`.
fn bbf_dir() -> Option<PathBuf> {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bbf");
    [beside, PathBuf::from("/work/shared/bbf")]
        .into_iter()
        .find(|d| d.join("cwmp-1-2.xsd").is_file())
}

/// Validates each `(name, document)` against the schemas and panics with xmllint's
/// report when one does not validate. Returns `false` (after printing why) when the
/// shared reference data is absent, so the caller skips; CI has it.
pub fn validate(docs: &[(String, Vec<u8>)]) -> bool {
    match check(docs) {
        None => false,
        Some(Ok(())) => true,
        Some(Err(report)) => panic!("xmllint rejected output:\n{report}"),
    }
}

/// Runs xmllint on the documents: `None` when the shared reference data is absent
/// (printed as SKIPPED), `Some(Err(report))` when a document does not validate.
/// Panics with the `apt-get install` hint when `xmllint` is missing.
pub fn check(docs: &[(String, Vec<u8>)]) -> Option<Result<(), String>> {
    let Some(bbf) = bbf_dir() else {
        eprintln!(
            "SKIPPED: shared/bbf/cwmp-1-2.xsd not found (beside the repository or in \
             /work/shared); CI has it"
        );
        return None;
    };
    if Command::new("xmllint").arg("--version").output().is_err() {
        panic!("xmllint is missing: apt-get install libxml2-utils");
    }
    let dir = std::env::temp_dir().join(format!(
        "tipring-cwmp-xsd-{}-{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let xsd_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/xsd");
    for f in ["soap-envelope.xsd", "soap-encoding.xsd"] {
        std::fs::copy(xsd_dir.join(f), dir.join(f)).expect("copy xsd");
    }
    // The CWMP XSD imports the SOAP schemas from their http:// locations: point it at
    // the local ones (no network here or in CI).
    let cwmp = std::fs::read_to_string(bbf.join("cwmp-1-2.xsd")).expect("read cwmp-1-2.xsd");
    let cwmp = cwmp
        .replace(
            "schemaLocation=\"http://schemas.xmlsoap.org/soap/envelope/\"",
            "schemaLocation=\"soap-envelope.xsd\"",
        )
        .replace(
            "schemaLocation=\"http://schemas.xmlsoap.org/soap/encoding/\"",
            "schemaLocation=\"soap-encoding.xsd\"",
        );
    std::fs::write(dir.join("cwmp-1-2.xsd"), cwmp).expect("write xsd");
    std::fs::write(
        dir.join("all.xsd"),
        "<?xml version=\"1.0\"?>\n<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" \
         targetNamespace=\"urn:tipring:cwmp-test\">\n\
         <xs:import namespace=\"http://schemas.xmlsoap.org/soap/envelope/\" schemaLocation=\"soap-envelope.xsd\"/>\n\
         <xs:import namespace=\"http://schemas.xmlsoap.org/soap/encoding/\" schemaLocation=\"soap-encoding.xsd\"/>\n\
         <xs:import namespace=\"urn:dslforum-org:cwmp-1-2\" schemaLocation=\"cwmp-1-2.xsd\"/>\n\
         </xs:schema>\n",
    )
    .expect("write driver xsd");
    let mut paths = Vec::new();
    for (i, (name, doc)) in docs.iter().enumerate() {
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let p = dir.join(format!("{i:03}-{safe}.xml"));
        std::fs::write(&p, doc).expect("write doc");
        paths.push(p);
    }
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--nonet")
        .arg("--schema")
        .arg(dir.join("all.xsd"))
        .args(&paths)
        .output()
        .expect("run xmllint");
    let report = String::from_utf8_lossy(&out.stderr).into_owned();
    let _ = std::fs::remove_dir_all(&dir);
    let validated = report.matches(" validates").count();
    if out.status.success() && validated == docs.len() {
        Some(Ok(()))
    } else {
        Some(Err(report))
    }
}

//! Integration tests of tipring-cwmp: the corpus of real-world-shaped messages, the
//! tolerance rules of the reader, schema validation of the writer's output with
//! `xmllint`, and seeded fuzzing.

mod corpus;
mod fuzz;
mod schema;
mod tolerance;
mod xmllint;

use std::path::PathBuf;

use tipring_cwmp::Envelope;

/// The crate's `tests/corpus` directory.
pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Every corpus file, sorted by name, with its bytes.
pub fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir())
        .expect("tests/corpus exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&p).expect("readable corpus file");
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

/// Reads one envelope that must be there.
pub fn read(bytes: &[u8]) -> Envelope {
    tipring_cwmp::parse(bytes)
        .unwrap_or_else(|e| panic!("parse failed: {e}\n{}", String::from_utf8_lossy(bytes)))
        .expect("an envelope, not an empty POST")
}

/// Reads, writes, reads again: the two readings must be equal, and writing the second
/// must give the same bytes as writing the first (the writer is deterministic).
pub fn assert_round_trip(env: &Envelope) {
    let xml = env.to_xml();
    let again = read(&xml);
    assert_eq!(
        &again,
        env,
        "round trip changed the message:\n{}",
        String::from_utf8_lossy(&xml)
    );
    assert_eq!(again.to_xml(), xml);
}

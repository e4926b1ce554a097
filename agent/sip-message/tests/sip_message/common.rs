//! Helpers shared by the test modules.

use std::path::PathBuf;

use tipring_sip_message::{check_request, check_response, MediaType, Message, Method, UaPolicy};

/// What a UA does with a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Parsed and passed the checks: process it.
    Accept,
    /// Answer with this status (and reason).
    Reject(u16, String),
    /// Drop silently.
    Drop(String),
}

/// A UA that also acts as a registrar and takes MESSAGE (the policy the RFC 4475 table
/// is evaluated with: RFC 4475 expects REGISTER and MESSAGE to be processed).
pub fn registrar_policy() -> UaPolicy {
    let mut p = UaPolicy::default();
    p.methods_allowed.push(Method::Register);
    p.methods_allowed.push(Method::Message);
    p.methods_allowed.push(Method::Subscribe);
    p.accepted_content_types
        .push(MediaType::new("multipart", "mixed"));
    p.accepted_content_types
        .push(MediaType::new("text", "plain"));
    p
}

/// Parse a datagram and run the checks a UA runs before processing it.
pub fn treat(bytes: &[u8], policy: &UaPolicy) -> Outcome {
    match Message::parse(bytes) {
        Err(e) => match e.rejection() {
            Some(r) => {
                // The response must be buildable from the salvaged headers.
                let resp = e.response(Some("t1")).expect("response from salvage");
                assert_eq!(resp.status, r.status);
                Outcome::Reject(r.status, r.reason)
            }
            None => Outcome::Drop(e.to_string()),
        },
        Ok(Message::Request(req)) => match check_request(&req, policy) {
            Ok(()) => Outcome::Accept,
            Err(rej) => {
                let resp = rej.to_response(&req.headers, Some("t1"));
                // The response itself must parse back.
                Message::parse(&resp.to_bytes()).expect("rejection response parses");
                Outcome::Reject(rej.status, rej.reason)
            }
        },
        Ok(Message::Response(resp)) => match check_response(&resp) {
            Ok(()) => Outcome::Accept,
            Err(d) => Outcome::Drop(d.reason),
        },
    }
}

/// `../../../shared/testdata/rfc4475` from the crate, or `None` (with a message) when
/// the shared directory is not there.
pub fn rfc4475_dir() -> Option<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let manifest = manifest.canonicalize().unwrap_or(manifest);
    let dir = manifest.join("../../../shared/testdata/rfc4475");
    if dir.join("index.tsv").is_file() {
        Some(dir)
    } else {
        println!(
            "RFC 4475 test data not found at {} — skipping",
            dir.display()
        );
        None
    }
}

/// The crate's own test data directory.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Parse, write, parse again: the second parse equals the first except for a
/// Content-Length the writer adds, and writing again gives the same bytes.
pub fn assert_round_trip(name: &str, m1: &Message) {
    let b1 = m1.to_bytes();
    let m2 = Message::parse(&b1).unwrap_or_else(|e| {
        panic!(
            "{name}: re-parse failed: {e}\n{}",
            String::from_utf8_lossy(&b1)
        )
    });
    let strip = |m: &Message| {
        let mut m = m.clone();
        m.headers_mut().remove("Content-Length");
        m
    };
    assert_eq!(
        strip(&m2),
        strip(m1),
        "{name}: round trip changed the message"
    );
    assert_eq!(m2.to_bytes(), b1, "{name}: second serialisation differs");
}

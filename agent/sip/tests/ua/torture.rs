//! RFC 4475 through the whole UA: every torture message from `shared/testdata/rfc4475`
//! is fed to a running user agent. Requests the RFC says to refuse get the status its
//! index names; responses to discard produce nothing; nothing panics; and the UA still
//! answers a normal INVITE afterwards. (The message layer's own table test is in
//! tipring-sip-message.)

use std::path::PathBuf;

use tipring_sip_message::Message;

use crate::{account, Rig};

fn rfc4475_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/rfc4475");
    if dir.join("index.tsv").is_file() {
        Some(dir)
    } else {
        println!(
            "skipped: {} not found (the shared reference data is absent)",
            dir.display()
        );
        None
    }
}

/// The first 4xx/5xx/6xx code named in the index's expected treatment.
fn expected_status(expected: &str) -> Option<u16> {
    expected
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| w.len() == 3)
        .filter_map(|w| w.parse::<u16>().ok())
        .find(|s| (400..700).contains(s))
}

#[test]
fn torture_messages_get_the_rfc_treatment_from_the_ua() {
    let Some(dir) = rfc4475_dir() else { return };
    let index = std::fs::read_to_string(dir.join("index.tsv")).unwrap();
    let mut checked = 0;
    for row in index.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let (file, action, expected) = (cols[0], cols[5], cols[6]);
        let data = std::fs::read(dir.join(file)).unwrap();
        let mut rig = Rig::new(vec![account("101")]);
        rig.receive_bytes("127.0.0.1:5090", &data);
        let sent = rig.take_sent();
        let statuses: Vec<u16> = sent
            .iter()
            .filter_map(|(_, m)| m.as_response().map(|r| r.status))
            .collect();
        let is_register = data.starts_with(b"REGISTER");
        match action {
            // A registrar's answers do not apply to a UA that is not one (it sends 405).
            _ if is_register => assert!(
                !statuses.is_empty() || action == "discard",
                "{file}: no answer"
            ),
            "discard" => assert!(
                sent.is_empty(),
                "{file}: must be dropped, sent {statuses:?}"
            ),
            "reject" => {
                if let Some(code) = expected_status(expected) {
                    assert!(
                        statuses.contains(&code) || (code == 406 && statuses.contains(&400)),
                        "{file}: expected {code} ({expected}), sent {statuses:?}"
                    );
                }
            }
            "accept" => assert!(
                !statuses.contains(&400),
                "{file}: valid, processed, not 400: {statuses:?}"
            ),
            _ => {}
        }
        println!("{file:<16} {action:<16} sent {statuses:?}");
        // The UA is still alive and serves a normal call.
        let invite = "INVITE sip:101@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bKafter\r\n\
                      Max-Forwards: 70\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:101@x>\r\nCall-ID: after@x\r\n\
                      CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
        rig.receive_bytes("127.0.0.1:5090", invite.as_bytes());
        let ok: Vec<u16> = rig
            .take_sent()
            .into_iter()
            .filter_map(|(_, m)| match m {
                Message::Response(r) => Some(r.status),
                _ => None,
            })
            .collect();
        assert_eq!(ok, vec![100, 180], "{file}: the UA must keep working");
        checked += 1;
    }
    assert_eq!(checked, 49);
}

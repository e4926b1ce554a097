//! Parse -> serialise -> parse: whatever parses must write back to bytes that parse to
//! the same message (Content-Length aside, which the writer always sets), and writing
//! that again must give the same bytes. The stream framer, the typed accessors and the
//! UA checks must not panic on anything.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tipring_sip_message::sdp::SessionDescription;
use tipring_sip_message::{check_request, check_response, Message, StreamFramer, UaPolicy};

fn without_content_length(m: &Message) -> Message {
    let mut m = m.clone();
    m.headers_mut().remove("Content-Length");
    m
}

fuzz_target!(|data: &[u8]| {
    match Message::parse(data) {
        Err(e) => {
            let _ = e.response(Some("fuzz"));
        }
        Ok(m1) => {
            let b1 = m1.to_bytes();
            let m2 = Message::parse(&b1).expect("serialised message must parse");
            assert_eq!(without_content_length(&m2), without_content_length(&m1));
            assert_eq!(m2.to_bytes(), b1);
            let h = m1.headers();
            let _ = (
                h.vias(),
                h.from(),
                h.to(),
                h.call_id(),
                h.cseq(),
                h.contacts(),
                h.routes(),
            );
            let _ = (
                h.www_authenticate(),
                h.refer_to(),
                h.replaces(),
                h.subscription_state(),
            );
            match &m1 {
                Message::Request(r) => {
                    let _ = check_request(r, &UaPolicy::default());
                }
                Message::Response(r) => {
                    let _ = check_response(r);
                }
            }
            if let Ok(s) = SessionDescription::parse(m1.body()) {
                assert_eq!(
                    SessionDescription::parse(&s.to_bytes()).expect("SDP re-parse"),
                    s
                );
            }
        }
    }
    let mut framer = StreamFramer::default();
    for chunk in data.chunks(97) {
        framer.push(chunk);
        while let Ok(Some(_)) = framer.next() {}
    }
});

//! SDP on its own (the media path's offer/answer input): whatever parses must write back
//! to bytes that parse to the same description, and every typed accessor the media code
//! uses (rtpmap, fmtp, ptime, rtcp, crypto, direction, connections) must not panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tipring_sip_message::sdp::SessionDescription;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = SessionDescription::parse(data) else {
        return;
    };
    let again = SessionDescription::parse(&s.to_bytes()).expect("serialised SDP must parse");
    assert_eq!(again, s);
    let _ = s.direction();
    for (i, m) in s.media.iter().enumerate() {
        let _ = (m.rtpmaps(), m.fmtps(), m.ptime(), m.maxptime(), m.rtcp());
        let _ = (m.crypto(), m.direction(), m.payload_types(), m.is_disabled());
        let _ = (s.media_direction(i), s.media_connection(i).map(|c| c.ip()));
    }
});

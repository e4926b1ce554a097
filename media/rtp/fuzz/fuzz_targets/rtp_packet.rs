//! Parse -> write -> compare: an accepted RTP packet writes back to the same bytes (the
//! padding filler normalised to zeros); extension elements and the demultiplexer must
//! not panic. The whole datagram also goes through a session's `receive`.

#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use tipring_rtp::{classify, NtpTime, RtpPacket, RtpSession, SessionConfig};

fuzz_target!(|data: &[u8]| {
    let _ = classify(data);
    if let Ok(p) = RtpPacket::parse(data) {
        if let Some(e) = p.extension() {
            for el in e.elements() {
                let _ = el;
            }
        }
        let mut cs = [0u32; 15];
        let h = p.header(&mut cs);
        let pad = p.padding_len();
        let mut out = vec![0u8; data.len()];
        let n = h.write(p.payload(), pad as u8, &mut out).expect("fits");
        let mut want = data.to_vec();
        if pad > 0 {
            let l = want.len();
            want[l - pad..l - 1].fill(0);
        }
        assert_eq!(&out[..n], &want[..]);
    }
    // A session fed the same bytes twice (so a valid packet passes probation).
    #[allow(clippy::disallowed_methods)]
    let t0 = Instant::now();
    let remote = "192.0.2.1:4000".parse().unwrap();
    let mut s = RtpSession::new(
        SessionConfig::pcmu(remote, "fuzz", 1),
        t0,
        NtpTime::from_unix(Duration::from_secs(1)),
    );
    let _ = s.receive(t0, remote, data);
    let _ = s.receive(t0 + Duration::from_millis(20), remote, data);
});

//! Parse -> write -> parse: an accepted compound writes back to bytes that parse to the
//! same packets, and writing those again gives the same bytes. A session must survive
//! the datagram too.

#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use tipring_rtp::rtcp::{Compound, RtcpWriter};
use tipring_rtp::{NtpTime, RtpSession, SessionConfig};

fn rewrite(c: &Compound<'_>, out: &mut [u8]) -> usize {
    let mut w = RtcpWriter::new(out);
    for p in c.packets() {
        w.packet(&p).expect("a parsed packet can be written");
    }
    w.finish()
}

fuzz_target!(|data: &[u8]| {
    let _ = Compound::parse(data);
    if let Ok(c) = Compound::parse_relaxed(data) {
        let _ = c.cname();
        let mut w1 = vec![0u8; data.len() + 64];
        let n1 = rewrite(&c, &mut w1);
        let c1 = Compound::parse_relaxed(&w1[..n1]).expect("rewritten compound parses");
        let a: Vec<_> = c.packets().collect();
        let b: Vec<_> = c1.packets().collect();
        assert_eq!(a, b);
        let mut w2 = vec![0u8; n1 + 64];
        let n2 = rewrite(&c1, &mut w2);
        assert_eq!(&w1[..n1], &w2[..n2]);
    }
    #[allow(clippy::disallowed_methods)]
    let t0 = Instant::now();
    let remote = "192.0.2.1:4000".parse().unwrap();
    let mut s = RtpSession::new(
        SessionConfig::pcmu(remote, "fuzz", 1),
        t0,
        NtpTime::from_unix(Duration::from_secs(1)),
    );
    let _ = s.receive(t0, remote, data);
    let mut buf = [0u8; 1500];
    let _ = s.handle_timeout(t0 + Duration::from_secs(10), &mut buf);
});

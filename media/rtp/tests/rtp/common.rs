//! Shared helpers: a virtual clock origin, addresses, a two-session harness.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tipring_rtp::{NtpTime, Received, RtpSession, SessionConfig, Transmit};

/// The one clock read of the test binary.
#[allow(clippy::disallowed_methods)]
pub fn epoch() -> Instant {
    Instant::now()
}

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A fixed wall clock: 2024-01-01T00:00:00Z in NTP.
pub fn wall() -> NtpTime {
    NtpTime::from_unix(Duration::from_secs(1_704_067_200))
}

pub const GW: &str = "192.0.2.51:4000";
pub const PBX: &str = "192.0.2.20:14586";

/// The gateway (A) and the PBX (B), each knowing the other's real address.
pub fn pair(t0: Instant) -> (RtpSession, RtpSession) {
    let a = RtpSession::new(SessionConfig::pcmu(addr(PBX), "port1@gw", 11), t0, wall());
    let b = RtpSession::new(SessionConfig::pcmu(addr(GW), "pbx", 22), t0, wall());
    (a, b)
}

/// Send one 20 ms G.711 frame from `s`; return the datagram.
pub fn frame(s: &mut RtpSession, now: Instant, marker: bool) -> (Transmit, Vec<u8>) {
    let mut buf = [0u8; 512];
    let t = s
        .send_audio(now, &[0xD5; 160], 160, marker, &mut buf)
        .unwrap();
    (t, buf[..t.len].to_vec())
}

/// Feed `bytes` to `s` and say whether it was delivered as RTP.
pub fn deliver(s: &mut RtpSession, now: Instant, from: SocketAddr, bytes: &[u8]) -> bool {
    matches!(s.receive(now, from, bytes), Received::Rtp(_))
}

/// A hand-made RTP packet.
pub fn rtp(ssrc: u32, seq: u16, ts: u32, pt: u8) -> Vec<u8> {
    let mut buf = [0u8; 256];
    let n = tipring_rtp::RtpHeader::new(pt, seq, ts, ssrc)
        .write(&[0xFF; 160], 0, &mut buf)
        .unwrap();
    buf[..n].to_vec()
}

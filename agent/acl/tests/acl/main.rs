//! The SIP front door and the gates driven with real-looking messages in virtual time:
//! scanners blocked, real tools let in, floods limited then blocked, blocks ending, and
//! thousands of mangled messages that must not panic.

mod flood;
mod mutations;
mod scanners;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The test's epoch; virtual time from here.
pub fn t0() -> Instant {
    #[allow(clippy::disallowed_methods)] // the one clock read of the test
    Instant::now()
}

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A SIP request as a phone or a tool would send it (CRLF line ends).
pub fn request(method: &str, from_ip: &str, extra_headers: &[&str]) -> Vec<u8> {
    let mut m = format!(
        "{method} sip:4711@192.0.2.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {from_ip}:5060;branch=z9hG4bK776asdhds\r\n\
         Max-Forwards: 70\r\n\
         To: <sip:4711@192.0.2.1>\r\n\
         From: \"Alice\" <sip:alice@{from_ip}>;tag=1928301774\r\n\
         Call-ID: a84b4c76e66710@{from_ip}\r\n\
         CSeq: 314159 {method}\r\n\
         Contact: <sip:alice@{from_ip}:5060>\r\n"
    );
    for h in extra_headers {
        m.push_str(h);
        m.push_str("\r\n");
    }
    m.push_str("Content-Length: 0\r\n\r\n");
    m.into_bytes()
}

/// A response as a SIP server would send it.
pub fn response(status: &str) -> Vec<u8> {
    format!(
        "SIP/2.0 {status}\r\n\
         Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnashds8;received=192.0.2.1\r\n\
         To: <sip:4711@pbx.example.net>;tag=a6c85cf\r\n\
         From: <sip:4711@pbx.example.net>;tag=1928301774\r\n\
         Call-ID: a84b4c76e66710\r\n\
         CSeq: 2 REGISTER\r\n\
         Server: Asterisk PBX 20.5.0\r\n\
         Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

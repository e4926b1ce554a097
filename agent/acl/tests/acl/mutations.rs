//! Garbage, non-UTF-8 bytes, truncated heads and thousands of seeded mutations of real
//! messages: the screen answers every one and never panics.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tipring_acl::{find_scanner, is_response, SipScreen, SipScreenSettings, Verdict, MAX_SCAN};

use crate::{addr, request, response, t0};

/// xorshift64*: a tiny seeded generator, enough to spread mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to a SIP head parser, mixed in more often than chance would.
const INTERESTING: &[u8] = b"\r\n:<>\" \t\0\xff\xc3/;@";

fn mutate(rng: &mut Rng, msg: &mut Vec<u8>) {
    for _ in 0..=rng.below(4) {
        let at = rng.below(msg.len() + 1);
        match rng.below(7) {
            0 if at < msg.len() => msg[at] ^= 1 << rng.below(8),
            1 if at < msg.len() => msg[at] = rng.next() as u8,
            2 => msg.insert(at, INTERESTING[rng.below(INTERESTING.len())]),
            3 => {
                let end = (at + rng.below(64)).min(msg.len());
                msg.drain(at..end);
            }
            4 => msg.truncate(at),
            5 => {
                // Duplicate a slice elsewhere (repeated or split headers).
                let end = (at + rng.below(80)).min(msg.len());
                let piece = msg[at..end].to_vec();
                let to = rng.below(msg.len() + 1);
                msg.splice(to..to, piece);
            }
            _ => {
                let junk: Vec<u8> = (0..rng.below(32)).map(|_| rng.next() as u8).collect();
                msg.splice(at..at, junk);
            }
        }
    }
}

#[test]
fn thousands_of_mutated_messages_never_panic() {
    let t = t0();
    let seeds = [
        request("INVITE", "192.0.2.5", &["User-Agent: friendly-scanner"]),
        request("REGISTER", "192.0.2.5", &["User-Agent: sipcli/v1.8"]),
        request("OPTIONS", "192.0.2.5", &["User-Agent: sipsak 0.9.8"]),
        b"OPTIONS sip:100@192.0.2.1 SIP/2.0\r\nFrom: \"sipvicious\"<sip:100@1.1.1.1>;tag=1\r\nt: \"iWar\"\r\n <sip:1@h>\r\nUser-Agent: a\r\n\tb\r\n\r\n".to_vec(),
        response("401 Unauthorized"),
    ];
    let mut s = SipScreen::new(SipScreenSettings {
        max_sources: 64,
        block_for: Duration::from_secs(1),
        ..SipScreenSettings::default()
    });
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut accepted, mut dropped) = (0, 0);
    for i in 0..5000u64 {
        let mut msg = seeds[rng.below(seeds.len())].clone();
        mutate(&mut rng, &mut msg);
        let from = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(rng.next() as u32 & 0xff)), 5060);
        let _ = find_scanner(&msg);
        let _ = is_response(&msg);
        match s.screen(from, &msg, t + Duration::from_millis(i)) {
            Verdict::Accept => accepted += 1,
            Verdict::Drop(_) => dropped += 1,
        }
    }
    assert_eq!(accepted + dropped, 5000);
    assert!(
        accepted > 0 && dropped > 0,
        "{accepted} accepted, {dropped} dropped"
    );
}

#[test]
fn every_truncation_of_a_scanner_probe_is_handled() {
    let t = t0();
    let probe = request("OPTIONS", "203.0.113.66", &["User-Agent: friendly-scanner"]);
    for len in 0..=probe.len() {
        let mut s = SipScreen::default();
        let v = s.screen(addr("203.0.113.66:5060"), &probe[..len], t);
        // Once the whole marker is in, it is caught (a truncated head has no blank line).
        let has_marker = probe[..len]
            .windows(b"friendly-scanner".len())
            .any(|w| w == b"friendly-scanner");
        let cut_inside_word = probe.get(len).is_some_and(u8::is_ascii_alphabetic);
        if has_marker && !cut_inside_word {
            assert!(!v.is_accept(), "length {len}");
        }
    }
}

#[test]
fn garbage_of_every_kind_is_answered() {
    let t = t0();
    let mut s = SipScreen::default();
    let from = addr("192.0.2.77:5060");
    let mut big = b"OPTIONS sip:a SIP/2.0\r\nUser-Agent: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 1 << 20));
    let cases: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\r\n\r\n".to_vec(),
        b"\r\n".to_vec(),
        b"\n".to_vec(),
        b":".to_vec(),
        b"SIP/2.0".to_vec(),
        b"\xff\xfe\xfd\x00\x01".to_vec(),
        b"OPTIONS\r\nUser-Agent".to_vec(),
        b"OPTIONS\r\nUser-Agent:".to_vec(),
        b"OPTIONS\r\n:\r\n:\r\n".to_vec(),
        b"OPTIONS\r\n \r\n\t\r\n".to_vec(),
        b"OPTIONS\r\nFrom: \"\xff\xfe sipvicious\r\n".to_vec(),
        b"OPTIONS\r\nFrom: <\r\nTo: <<<<\r\n".to_vec(),
        vec![b'\n'; MAX_SCAN * 2],
        vec![b':'; MAX_SCAN * 2],
        vec![0u8; 65_535],
        big,
    ];
    for (i, c) in cases.iter().enumerate() {
        let _ = s.screen(from, c, t + Duration::from_millis(100 * i as u64));
    }
    // Non-UTF-8 around a marker does not hide it.
    let mut s = SipScreen::default();
    let v = s.screen(
        from,
        b"OPTIONS sip:a SIP/2.0\r\nUser-Agent: \xff\xfefriendly-scanner\xc3\r\n\r\n",
        t,
    );
    assert!(!v.is_accept());
}

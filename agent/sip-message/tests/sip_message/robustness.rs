//! Truncation and mutation robustness: every prefix and a few thousand seeded byte
//! mutations of each corpus message go through the parser, the framer, the typed
//! accessors and the UA checks without a panic; whatever parses must survive
//! parse -> write -> parse unchanged (the fuzz target's invariant).

use std::fs;

use tipring_sip_message::sdp::SessionDescription;
use tipring_sip_message::{check_request, check_response, Message, StreamFramer, UaPolicy};

use crate::common::{assert_round_trip, data_dir, rfc4475_dir};

/// splitmix64: a tiny seeded PRNG (no `rand` needed).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut dirs = vec![data_dir()];
    dirs.extend(rfc4475_dir());
    for dir in dirs {
        for e in fs::read_dir(&dir).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".sip") || name.ends_with(".dat") {
                out.push((name, fs::read(e.path()).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Everything a UA would do with a datagram; must not panic.
fn exercise(name: &str, bytes: &[u8], policy: &UaPolicy) {
    match Message::parse(bytes) {
        Err(e) => {
            let _ = e.response(Some("t"));
        }
        Ok(m) => {
            assert_round_trip(name, &m);
            let h = m.headers();
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
                h.max_forwards(),
                h.content_type(),
                h.expires(),
                h.session_expires(),
                h.rack(),
            );
            let _ = (
                h.event(),
                h.subscription_state(),
                h.refer_to(),
                h.replaces(),
                h.reasons(),
            );
            let _ = (
                h.retry_after(),
                h.alert_info(),
                h.p_asserted_identity(),
                h.accept(),
                h.allow(),
            );
            let _ = (h.www_authenticate(), h.proxy_authenticate());
            if let Some(a) = h.get("Authorization") {
                let _ = tipring_sip_message::auth::Credentials::parse(a);
            }
            if let Ok(s) = SessionDescription::parse(m.body()) {
                let again = SessionDescription::parse(&s.to_bytes()).expect("SDP re-parse");
                assert_eq!(again, s, "{name}: SDP round trip");
                for md in &s.media {
                    let _ = (md.rtpmaps(), md.fmtps(), md.ptime(), md.rtcp());
                }
            }
            match &m {
                Message::Request(r) => {
                    if let Err(rej) = check_request(r, policy) {
                        let resp = rej.to_response(&r.headers, Some("t"));
                        Message::parse(&resp.to_bytes()).expect("rejection parses");
                    }
                }
                Message::Response(r) => {
                    let _ = check_response(r);
                }
            }
        }
    }
}

// RFC 4475 §1 ("must not crash"): every prefix of every message.
#[test]
fn every_prefix() {
    let policy = UaPolicy::default();
    let mut n = 0;
    for (name, bytes) in corpus() {
        for len in 0..=bytes.len() {
            exercise(&name, &bytes[..len], &policy);
            n += 1;
        }
        // Over a stream, byte by byte: no panic, and never more than the input.
        let mut f = StreamFramer::default();
        let mut framed = 0;
        for b in &bytes {
            f.push(std::slice::from_ref(b));
            while let Ok(Some(fr)) = f.next() {
                if let tipring_sip_message::Frame::Message(m) = fr {
                    framed += m.len();
                }
            }
        }
        assert!(framed <= bytes.len());
    }
    assert!(n > 20_000, "prefixes tried: {n}");
}

const SPECIAL: &[u8] = b" \t\r\n,;:\"<>%@\\=/?[]\x00\xff*0";

fn mutate(rng: &mut SplitMix, src: &[u8]) -> Vec<u8> {
    let mut v = src.to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(v.len());
        match rng.below(5) {
            0 if !v.is_empty() => v[at] = rng.next() as u8,
            1 if !v.is_empty() => v[at] = SPECIAL[rng.below(SPECIAL.len())],
            2 => v.insert(at.min(v.len()), SPECIAL[rng.below(SPECIAL.len())]),
            3 if !v.is_empty() => {
                v.remove(at);
            }
            _ => {
                let len = rng.below(16).min(v.len() - at.min(v.len()));
                let chunk = v[at..at + len].to_vec();
                let to = rng.below(v.len());
                v.splice(to..to, chunk);
            }
        }
    }
    v
}

// Seeded byte mutations (flip, special characters, insert, delete, duplicate a chunk).
#[test]
fn seeded_mutations() {
    let policy = UaPolicy::default();
    let mut rng = SplitMix(0x5eed_0000_4475);
    let mut parsed = 0;
    let mut total = 0;
    for (name, bytes) in corpus() {
        for _ in 0..400 {
            let m = mutate(&mut rng, &bytes);
            if Message::parse(&m).is_ok() {
                parsed += 1;
            }
            exercise(&name, &m, &policy);
            total += 1;
        }
    }
    println!("{total} mutations, {parsed} still parsed");
    assert!(total >= 20_000, "mutations tried: {total}");
    assert!(
        parsed > total / 4,
        "mutations should mostly stay parseable: {parsed}/{total}"
    );
}

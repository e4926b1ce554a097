//! Seeded fuzz-style tests: random mutations of the corpus and random bytes never make
//! the reader panic, and whatever it accepts can be written and read back equal.
//! (Bad input never panics; a cargo-fuzz target can reuse the same property.)

use crate::corpus;

/// SplitMix64: a tiny seeded PRNG (no global randomness in tests either).
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
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Fragments that stress an XML/SOAP reader when spliced in anywhere.
const TOKENS: &[&[u8]] = &[
    b"<",
    b">",
    b"/>",
    b"</",
    b"&",
    b"&amp;",
    b"&#0;",
    b"&#x1;",
    b"&#xD800;",
    b"&#13;",
    b"&bogus;",
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"-->",
    b"\"",
    b"'",
    b"=",
    b":",
    b"\xff",
    b"\xc3",
    b"\0",
    b"<?pi?>",
    b"<!DOCTYPE x>",
    b" xmlns:cwmp=\"urn:dslforum-org:cwmp-1-4\"",
    b" SOAP-ENV:mustUnderstand=\"1\"",
    b"<X_Vendor>v</X_Vendor>",
    b"<Value xsi:type=\"xsd:int\">",
    b"</Value>",
    b"<ParameterValueStruct>",
    b"4294967296",
    b"-1",
    b"<cwmp:ID>",
    b"<soap:Body>",
    b"</soap:Envelope>",
    b"<SOAP-ENV:Envelope>",
    b" ",
    b"\n",
    b"\t",
];

fn mutate(rng: &mut SplitMix, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(2) {
        let len = out.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] = rng.next() as u8;
            }
            1 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(64)).min(len);
                out.drain(a..b);
            }
            2 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(256)).min(len);
                let span = out[a..b].to_vec();
                let at = rng.below(len);
                out.splice(at..at, span);
            }
            3 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                let at = rng.below(len + 1);
                out.splice(at..at, t.iter().copied());
            }
            4 if len > 0 => out.truncate(rng.below(len)),
            5 if len > 2 => {
                let a = rng.below(len / 2);
                let b = len / 2 + rng.below(len / 2);
                out.swap(a, b);
            }
            _ => {
                // replace a tag name: find a '<' and overwrite the next few bytes
                let skip = rng.below(len.max(1)).min(len);
                if let Some(pos) = out[skip..].iter().position(|&c| c == b'<') {
                    let base = skip + pos;
                    let name = [
                        b"Inform".as_slice(),
                        b"Fault",
                        b"Value",
                        b"Body",
                        b"Header",
                        b"ID",
                    ][rng.below(6)];
                    let start = (base + 1).min(out.len());
                    let end = (start + name.len()).min(out.len());
                    out.splice(start..end, name.iter().copied());
                }
            }
        }
    }
    out
}

/// The property: no panic; anything accepted round-trips.
fn check(input: &[u8]) -> bool {
    match tipring_cwmp::parse_all(input) {
        Ok(envelopes) => {
            for env in &envelopes {
                let xml = env.to_xml();
                let again = tipring_cwmp::parse(&xml)
                    .unwrap_or_else(|e| {
                        panic!(
                            "written form of an accepted input does not read: {e}\ninput: {}\nwritten: {}",
                            String::from_utf8_lossy(input),
                            String::from_utf8_lossy(&xml)
                        )
                    })
                    .expect("an envelope");
                assert_eq!(
                    &again,
                    env,
                    "accepted input does not round-trip\ninput: {}\nwritten: {}",
                    String::from_utf8_lossy(input),
                    String::from_utf8_lossy(&xml)
                );
            }
            true
        }
        Err(_) => false,
    }
}

/// ~18,000 mutated corpus messages (fewer of the 94 KB one, to keep debug builds fast).
#[test]
fn mutated_corpus_never_panics_and_round_trips() {
    let mut rng = SplitMix(0x7469_7072_696e_6706);
    let (mut accepted, mut rejected) = (0, 0);
    for (name, bytes) in corpus() {
        let rounds = if bytes.len() > 20_000 { 60 } else { 600 };
        for _ in 0..rounds {
            let m = mutate(&mut rng, &bytes);
            if check(&m) {
                accepted += 1;
            } else {
                rejected += 1;
            }
        }
        assert!(check(&bytes), "{name} itself must read");
    }
    // both outcomes must occur, or the mutations are not exercising anything
    eprintln!("mutated corpus: {accepted} accepted, {rejected} rejected");
    assert!(
        accepted > 1500 && rejected > 1500,
        "accepted {accepted}, rejected {rejected}"
    );
}

/// Pure random bytes, and random bytes after a valid prefix.
#[test]
fn random_bytes_never_panic() {
    let mut rng = SplitMix(6);
    let prefix = b"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:c=\"urn:dslforum-org:cwmp-1-2\"><s:Body><c:Inform>";
    for i in 0..2_000 {
        let n = rng.below(300);
        let mut bytes: Vec<u8> = if i % 2 == 0 {
            Vec::new()
        } else {
            prefix.to_vec()
        };
        bytes.extend((0..n).map(|_| {
            // bias towards markup characters
            let r = rng.next();
            if r.is_multiple_of(3) {
                b"<>/&;:=\" ab"[(r >> 8) as usize % 11]
            } else {
                (r >> 16) as u8
            }
        }));
        check(&bytes);
    }
}

/// Deep nesting inside a value and inside a vendor element costs no recursion.
#[test]
fn deep_nesting_is_not_a_stack_overflow() {
    let depth = 50_000;
    let nested = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    let xml = format!(
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:c=\"urn:dslforum-org:cwmp-1-2\">\
         <s:Header><X_Deep>{nested}</X_Deep></s:Header><s:Body><c:Reboot><CommandKey>k{nested}</CommandKey>\
         </c:Reboot></s:Body></s:Envelope>"
    );
    let env = crate::read(xml.as_bytes());
    assert_eq!(env.body, Some(tipring_cwmp::Body::Reboot("k".into())));
}

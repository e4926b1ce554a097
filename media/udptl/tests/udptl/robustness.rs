//! Seeded mutation: truncations, bit flips, inflated length fields, over thousands of
//! datagrams and IFPs. Nothing may panic; every malformed datagram is counted; whatever
//! is delivered stays in order and within bounds.

use tipring_udptl::{
    check_ifp, encode_ifp, parse, Encoder, ErrorCorrection, MsgType, Receiver, UdptlConfig,
};

/// xorshift64* (Vigna 2016): deterministic, seeded.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A well-formed IFP of `version`: an indicator, or data with up to 3 fields.
fn random_ifp(rng: &mut XorShift, version: u8) -> Vec<u8> {
    if rng.below(3) == 0 {
        let max = if version == 0 { 16 } else { 23 };
        return encode_ifp(MsgType::Indicator(rng.below(max) as u8), &[], version).unwrap();
    }
    let data_max = if version == 0 { 9 } else { 15 };
    let field_max = if version == 0 { 8 } else { 12 };
    let bufs: Vec<Vec<u8>> = (0..rng.below(4))
        .map(|_| (0..rng.below(40)).map(|_| rng.next() as u8).collect())
        .collect();
    let fields: Vec<(u8, &[u8])> = bufs
        .iter()
        .map(|b| (rng.below(field_max) as u8, b.as_slice()))
        .collect();
    encode_ifp(MsgType::Data(rng.below(data_max) as u8), &fields, version).unwrap()
}

/// One random mutation of `bytes`.
fn mutate(rng: &mut XorShift, bytes: &mut Vec<u8>) {
    if bytes.is_empty() {
        bytes.push(rng.next() as u8);
        return;
    }
    let at = rng.below(bytes.len());
    match rng.below(6) {
        0 => bytes.truncate(at),
        1 => bytes[at] ^= 1 << rng.below(8),
        // Inflated length fields: the largest one-octet and two-octet forms, fragmented.
        2 => bytes[at] = [0x7F, 0xBF, 0xFF, 0xC4][rng.below(4)],
        3 => {
            bytes[at] = 0xBF;
            bytes.insert(at + 1, 0xFF);
        }
        4 => bytes.insert(at, rng.next() as u8),
        _ => {
            bytes.remove(at);
        }
    }
}

#[test]
fn mutated_datagrams_never_panic_and_are_counted() {
    let mut rng = XorShift(0x5EED_0038_0000_0001);
    let modes = [
        ErrorCorrection::None,
        ErrorCorrection::Redundancy { depth: 3 },
        ErrorCorrection::Fec {
            span: 3,
            entries: 3,
        },
        ErrorCorrection::Fec {
            span: 1,
            entries: 4,
        },
    ];
    let mut total_malformed = 0;
    for (m, ec) in modes.iter().enumerate() {
        let cfg = UdptlConfig {
            ec: *ec,
            max_datagram: 600,
            max_ifp: 200,
        };
        let mut tx = Encoder::new(&cfg);
        let mut rx = Receiver::new(&cfg);
        let mut fed = 0u64;
        let mut errors = 0u64;
        let mut last: Option<u16> = None;
        for i in 0..3000 {
            let version = [0, 2, 3][i % 3];
            let mut d = tx.encode(&random_ifp(&mut rng, version)).unwrap();
            // A third pristine, a third lightly and a third heavily mutated, some dropped.
            for _ in 0..(i % 3) * (1 + rng.below(4)) {
                mutate(&mut rng, &mut d);
            }
            if rng.below(10) == 0 {
                continue;
            }
            if let Ok(p) = parse(&d) {
                // What parses re-encodes to something that parses the same.
                if let Ok(again) = p.to_vec() {
                    assert_eq!(parse(&again).unwrap(), p);
                }
            }
            fed += 1;
            errors += u64::from(rx.receive(&d).is_err());
            while let Some(ifp) = rx.poll() {
                assert!(!ifp.data.is_empty() && ifp.data.len() <= cfg.max_ifp);
                if let Some(prev) = last {
                    let step = ifp.seq.wrapping_sub(prev);
                    assert!((1..=0x8000).contains(&step), "{prev} -> {}", ifp.seq);
                }
                last = Some(ifp.seq);
            }
        }
        let st = rx.stats();
        assert_eq!(st.received + st.malformed, fed, "mode {m}");
        assert_eq!(st.malformed, errors, "mode {m}");
        assert!(st.malformed > 500, "mode {m}: {st:?}");
        assert!(st.delivered > 300, "mode {m}: {st:?}");
        total_malformed += st.malformed;
    }
    assert!(total_malformed > 2000);
}

#[test]
fn random_datagrams_never_panic() {
    let mut rng = XorShift(7);
    let cfg = UdptlConfig::default();
    let mut rx = Receiver::new(&cfg);
    for _ in 0..20_000 {
        let d: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
        let _ = parse(&d);
        let _ = rx.receive(&d);
        while rx.poll().is_some() {}
    }
    let st = rx.stats();
    assert_eq!(st.received + st.malformed, 20_000);
}

#[test]
fn mutated_ifps_never_panic() {
    let mut rng = XorShift(0xF00D);
    let mut valid = 0;
    let mut broken = 0;
    for i in 0..20_000 {
        let version = (i % 4) as u8;
        let mut ifp = random_ifp(&mut rng, version);
        // The pristine one checks, with the fields it was built with.
        assert!(check_ifp(&ifp, version).is_ok());
        for _ in 0..1 + rng.below(3) {
            mutate(&mut rng, &mut ifp);
        }
        for v in 0..4 {
            match check_ifp(&ifp, v) {
                Ok(info) => {
                    valid += 1;
                    let data: usize = info.fields.iter().map(|f| f.1).sum();
                    assert!(data <= ifp.len());
                }
                Err(_) => broken += 1,
            }
        }
    }
    assert!(valid > 1000 && broken > 20_000, "{valid} {broken}");
}

//! SRTP/SRTCP unprotect on arbitrary bytes: never panics, every refusal is counted, and
//! nothing forged authenticates. The first byte picks the suite, MKI use and key
//! derivation rate; the rest is fed as a sequence of datagrams (2-byte length prefix),
//! interleaved with genuine packets so the ROC / replay state gets exercised too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tipring_srtp::{MasterKey, Policy, Profile, SrtpContext};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let profile = Profile::ALL[usize::from(mode & 1)];
    let mut policy = Policy::new(profile, MasterKey::from_bytes([0x5A; 30]));
    if mode & 2 != 0 {
        policy.mki = Some(vec![1, 2]);
    }
    if mode & 4 != 0 {
        policy.key_derivation_rate = 1 << (mode >> 4);
    }
    policy.max_streams = 4;
    let mut tx = SrtpContext::outbound(policy.clone()).expect("valid policy");
    let mut rx = SrtpContext::inbound(policy).expect("valid policy");
    let mut refused = 0u64;
    let mut seq = 0u16;
    while rest.len() >= 2 {
        let n = usize::from(u16::from_be_bytes([rest[0], rest[1]])) % 1500;
        rest = &rest[2..];
        let take = n.min(rest.len());
        let (pkt, tail) = rest.split_at(take);
        rest = tail;
        refused += u64::from(rx.unprotect_rtp(&mut pkt.to_vec()).is_err());
        refused += u64::from(rx.unprotect_rtcp(&mut pkt.to_vec()).is_err());
        // A genuine packet whose sequence number jumps by the fuzzed amount.
        seq = seq.wrapping_add(n as u16);
        let mut real = vec![0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        real[2..4].copy_from_slice(&seq.to_be_bytes());
        real.extend_from_slice(pkt.get(..pkt.len().min(64)).unwrap_or_default());
        let plain = real.clone();
        if tx.protect_rtp(&mut real).is_ok() {
            match rx.unprotect_rtp(&mut real) {
                Ok(()) => assert_eq!(real, plain),
                Err(_) => refused += 1,
            }
        }
        let _ = tx.protect_rtcp(&mut pkt.to_vec());
    }
    assert_eq!(rx.stats().dropped(), refused);
});

//! A call's worth of SDES: offer, answer, four contexts, media both ways (RFC 4568 §7).

use tipring_srtp::{CryptoAttribute, Error, Profile, SrtpContext};

fn rtp(seq: u16, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 0];
    p.extend(seq.to_be_bytes());
    p.extend(0u32.to_be_bytes());
    p.extend(ssrc.to_be_bytes());
    p.extend([0xD5; 160]); // G.711 A-law silence
    p
}

#[test]
fn offer_answer_then_media_both_ways() {
    let mut counter = 0u8;
    // Stand-in for the caller's CSRNG: distinct bytes per draw.
    let mut rng = || {
        counter += 1;
        std::array::from_fn(|i| counter.wrapping_mul(37) ^ i as u8)
    };
    let offer = CryptoAttribute::offer(
        &[Profile::AesCm128HmacSha1_32, Profile::AesCm128HmacSha1_80],
        &mut rng,
    );
    let offer_sdp: Vec<String> = offer.iter().map(|a| a.to_sdp_line()).collect();
    // The answerer picks the first line it supports and sends its own key.
    let chosen = CryptoAttribute::select(&offer_sdp).expect("select");
    assert_eq!(chosen.profile, Profile::AesCm128HmacSha1_32);
    let answer = chosen.answer(rng());
    let answer_sdp = answer.to_sdp_line();
    // Offerer: its own line (the tag the answer names) keys its sender, the answer keys
    // its receiver.
    let answer_seen = CryptoAttribute::parse(&answer_sdp).expect("parse answer");
    let ours = offer
        .iter()
        .find(|a| a.tag == answer_seen.tag)
        .expect("tag");
    let mut a_tx = SrtpContext::outbound(ours.policy()).expect("a tx");
    let mut a_rx = SrtpContext::inbound(answer_seen.policy()).expect("a rx");
    let mut b_tx = SrtpContext::outbound(answer.policy()).expect("b tx");
    let mut b_rx = SrtpContext::inbound(chosen.policy()).expect("b rx");
    for seq in 0..50u16 {
        let mut p = rtp(seq, 0xA);
        a_tx.protect_rtp(&mut p).expect("a protect");
        assert_eq!(p.len(), 172 + 4);
        b_rx.unprotect_rtp(&mut p).expect("b unprotect");
        assert_eq!(p, rtp(seq, 0xA));
        let mut q = rtp(seq, 0xB);
        b_tx.protect_rtp(&mut q).expect("b protect");
        // A packet under the wrong direction's key does not verify.
        let mut cross = q.clone();
        assert_eq!(b_rx.unprotect_rtp(&mut cross), Err(Error::AuthFailed));
        a_rx.unprotect_rtp(&mut q).expect("a unprotect");
        assert_eq!(q, rtp(seq, 0xB));
    }
    assert_eq!(b_rx.stats().auth_failed, 50);
    assert_eq!(a_rx.stats().rtp_packets, 50);
}

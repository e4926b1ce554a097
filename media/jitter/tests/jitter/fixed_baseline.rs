//! The fixed-delay baseline: constant delay from the first arrival, zero-fill.

use tipring_jitter::{Concealment, FixedBuffer, FixedConfig, FrameKind, Packet};

use crate::common::*;

fn drive(
    fb: &mut FixedBuffer<TestDecoder>,
    arr: &[Arrival],
    ticks: u64,
) -> (Vec<FrameKind>, Vec<i16>) {
    let t0 = epoch();
    let mut kinds = Vec::new();
    let mut pcm = Vec::new();
    let mut order: Vec<&Arrival> = arr.iter().collect();
    order.sort_by_key(|a| a.at_ms);
    let mut k = 0;
    for tick in 0..ticks {
        if k == order.len() && fb.buffered_packets() == 0 && fb.buffered_samples() == 0 {
            break;
        }
        while k < order.len() && order[k].at_ms <= tick * 10 {
            let a = order[k];
            fb.insert(&Packet {
                ssrc: 1,
                seq: a.seq,
                timestamp: a.ts,
                marker: a.marker,
                kind: a.kind,
                payload: &a.payload,
                arrival: t0 + ms(a.at_ms),
            });
            k += 1;
        }
        let f = fb.pull(t0 + ms(tick * 10));
        kinds.push(f.kind);
        pcm.extend_from_slice(f.pcm);
    }
    (kinds, pcm)
}

#[test]
fn plays_at_fixed_delay_and_zero_fills_late_packets() {
    let mut fb = FixedBuffer::new(FixedConfig::default(), TestDecoder::narrow()).unwrap();
    let mut arr = regular(1..31, 0, 0, 20); // first arrival at 40 ms
    arr[9].at_ms += 100; // packet 10: 100 ms late -> misses its 60 ms budget
    arr[14].at_ms += 50; // packet 15: 50 ms late -> still in time
    let (kinds, pcm) = drive(&mut fb, &arr, 100);
    // First audio exactly 60 ms after the first arrival.
    assert_eq!(pcm.iter().position(|&s| s > 0), Some(100 * 8));
    let order = played_order(&pcm);
    assert_eq!(order, (1..31).filter(|&i| i != 10).collect::<Vec<i16>>());
    let st = fb.stats();
    assert_eq!((st.received, st.late), (29, 1));
    assert_eq!(st.concealed_samples, 160);
    assert_eq!(
        kinds.iter().filter(|&&k| k == FrameKind::Concealed).count(),
        2
    );
    // Zero fill: the gap is zeros, not the decoder's concealment.
    assert_eq!(fb.decoder().concealed, 0);
    let gap = &pcm[(100 + 9 * 20) * 8..(100 + 10 * 20) * 8];
    assert!(gap.iter().all(|&s| s == 0));
}

#[test]
fn decoder_concealment_option_uses_the_plc() {
    let cfg = FixedConfig {
        concealment: Concealment::Decoder,
        ..FixedConfig::default()
    };
    let mut fb = FixedBuffer::new(cfg, TestDecoder::narrow()).unwrap();
    let mut arr = regular(1..31, 0, 0, 20);
    arr.remove(9);
    let (_, pcm) = drive(&mut fb, &arr, 100);
    assert_eq!(pcm.iter().filter(|&&s| s == CONCEAL_VALUE).count(), 160);
}

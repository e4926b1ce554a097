//! In-order, wrapped, reordered, duplicated and multi-frame streams (RFC 3550 §A.1
//! sequence handling; RFC 3551 §4.5 timestamp units).

use tipring_jitter::{Config, DiscardReason, Event, FrameKind, InsertOutcome, JitterBuffer};

use crate::common::*;

fn fixed_target() -> Config {
    Config {
        adaptive: false,
        start_delay_ms: 40,
        min_delay_ms: 0,
        ..Config::default()
    }
}

#[test]
fn in_order_stream_plays_every_packet_once_with_exact_stats() {
    let t0 = epoch();
    let mut jb = narrow_jb(fixed_target());
    let arr = regular(1..51, 1000, 5000, 30);
    let run = drive_schedule(&mut jb, t0, &arr, 140, 10);
    let order = played_order(&run.pcm);
    assert_eq!(order, (1..51).collect::<Vec<i16>>());
    let st = jb.stats();
    assert_eq!(st.received, 50);
    assert_eq!((st.lost, st.discarded, st.late, st.duplicate), (0, 0, 0, 0));
    assert_eq!(run.count(FrameKind::Concealed), 0);
    // Exactly one Received event per packet, in arrival order.
    let mut seqs = Vec::new();
    while let Some(e) = jb.poll_event() {
        match e {
            Event::Received { seq } => seqs.push(seq as u16),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seqs, (1001..1051).collect::<Vec<u16>>());
    // The first packet plays at its arrival + the 40 ms target: 10 ms frames, arrival at
    // 50 ms (packet 1) -> first audio in the frame pulled at 90 ms.
    let first_audio = run.pcm.iter().position(|&s| s > 0).unwrap();
    assert_eq!(first_audio, 90 * 8);
    assert_eq!(st.nominal_delay_ms, 40);
}

#[test]
fn sequence_and_timestamp_wraparound() {
    // RFC 3550 §A.1: the 16-bit sequence number wraps 65535 -> 0 and the 32-bit timestamp
    // wraps too; neither is a loss or a reset.
    let t0 = epoch();
    let mut jb = narrow_jb(fixed_target());
    let arr = regular(1..101, 65_500, u32::MAX - 160 * 40, 30);
    let run = drive_schedule(&mut jb, t0, &arr, 240, 10);
    assert_eq!(played_order(&run.pcm).len(), 100);
    let st = jb.stats();
    assert_eq!((st.received, st.lost, st.discarded), (100, 0, 0));
    assert_eq!(jb.decoder().resets, 0);
    assert_eq!(run.count(FrameKind::Concealed), 0);
    // Extended sequence numbers keep counting across the wrap.
    let mut last = 0;
    while let Some(Event::Received { seq }) = jb.poll_event() {
        assert!(seq > last);
        last = seq;
    }
    assert_eq!(last & 0xFFFF, u64::from(65_500u16.wrapping_add(100)));
}

#[test]
fn reordered_packets_play_in_order() {
    let t0 = epoch();
    let mut jb = narrow_jb(fixed_target());
    let mut arr = regular(1..41, 7, 0, 20);
    // Swap arrival times of neighbours: 2<->3, 6<->7, ... (each 20 ms out of place).
    for i in (1..arr.len() - 1).step_by(4) {
        let a = arr[i].at_ms;
        arr[i].at_ms = arr[i + 1].at_ms;
        arr[i + 1].at_ms = a;
    }
    let run = drive_schedule(&mut jb, t0, &arr, 120, 10);
    assert_eq!(played_order(&run.pcm), (1..41).collect::<Vec<i16>>());
    let st = jb.stats();
    assert_eq!((st.received, st.lost, st.discarded), (40, 0, 0));
}

#[test]
fn duplicates_are_discarded_and_counted() {
    let t0 = epoch();
    let mut jb = narrow_jb(fixed_target());
    let mut arr = regular(1..21, 0, 0, 20);
    let mut dup = arr[4].clone();
    dup.at_ms += 5;
    arr.push(dup);
    let mut dup2 = arr[10].clone();
    dup2.at_ms += 200; // long after it was played
    arr.push(dup2);
    let run = drive_schedule(&mut jb, t0, &arr, 80, 10);
    assert_eq!(played_order(&run.pcm), (1..21).collect::<Vec<i16>>());
    let st = jb.stats();
    assert_eq!(
        (st.received, st.duplicate, st.discarded, st.lost),
        (20, 2, 2, 0)
    );
    let discards: Vec<Event> = std::iter::from_fn(|| jb.poll_event())
        .filter(|e| matches!(e, Event::Discarded { .. }))
        .collect();
    assert_eq!(
        discards,
        vec![
            Event::Discarded {
                seq: 65_536 + 5,
                reason: DiscardReason::Duplicate
            },
            Event::Discarded {
                seq: 65_536 + 11,
                reason: DiscardReason::Duplicate
            }
        ]
    );
}

#[test]
fn multi_frame_packets_are_split_by_decoder_output() {
    // 40 ms packets (320 samples), pulled as 20 ms frames: every frame is decoded audio.
    let t0 = epoch();
    let cfg = Config {
        frame_ms: 20,
        ..fixed_target()
    };
    let mut jb = narrow_jb(cfg);
    assert_eq!(jb.frame_samples(), 160);
    let arr: Vec<Arrival> = (0..25u32)
        .map(|i| Arrival {
            at_ms: 10 + 40 * u64::from(i),
            seq: i as u16,
            ts: 320 * i,
            marker: false,
            kind: tipring_jitter::PayloadKind::Audio,
            payload: vec![(i + 1) as u8; 320],
        })
        .collect();
    let run = drive_schedule(&mut jb, t0, &arr, 60, 20);
    assert_eq!(played_order(&run.pcm), (1..26).collect::<Vec<i16>>());
    assert_eq!(run.count(FrameKind::Concealed), 0);
    // 25 packets x 2 frames of audio each.
    let audio_frames = run
        .pcm
        .chunks(160)
        .filter(|c| c.iter().all(|&s| s > 0))
        .count();
    assert!(audio_frames >= 49, "{audio_frames}");
}

#[test]
fn wideband_codec_with_8khz_rtp_clock() {
    // G.722: RTP clock 8000 (RFC 3551 §4.5.2) but 16 kHz PCM: 20 ms = 160 timestamp units
    // = 320 samples. No gap may be seen between consecutive packets.
    let t0 = epoch();
    let mut jb = JitterBuffer::new(fixed_target(), TestDecoder::wide()).unwrap();
    assert_eq!(jb.frame_samples(), 160);
    let arr = regular(1..51, 0, 0, 20);
    let run = drive_schedule(&mut jb, t0, &arr, 120, 10);
    assert_eq!(played_order(&run.pcm), (1..51).collect::<Vec<i16>>());
    assert_eq!(run.count(FrameKind::Concealed), 0);
    assert_eq!(jb.decoder().concealed, 0);
    // Each packet lasts 20 ms: 320 samples of its value.
    let n = run.pcm.iter().filter(|&&s| s == 1000).count();
    assert_eq!(n, 320);
}

#[test]
fn insert_reports_outcome() {
    let t0 = epoch();
    let mut jb = narrow_jb(fixed_target());
    let payload = [1u8; 160];
    assert_eq!(
        jb.insert(&audio(5, 800, &payload, t0)),
        InsertOutcome::Accepted
    );
    assert_eq!(
        jb.insert(&audio(5, 800, &payload, t0 + ms(1))),
        InsertOutcome::Discarded(DiscardReason::Duplicate)
    );
    assert_eq!(jb.buffered_packets(), 1);
}

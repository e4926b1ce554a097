//! DTX pauses and comfort noise (RFC 3389; RFC 3551 §4.1 marker bit), stream restarts
//! (SSRC change, RFC 3550 §A.1 sequence jumps with probation).

use tipring_jitter::{Config, DiscardReason, Event, FrameKind, PayloadKind};

use crate::common::*;

fn cfg() -> Config {
    Config {
        adaptive: false,
        start_delay_ms: 40,
        ..Config::default()
    }
}

#[test]
fn dtx_gap_is_not_loss_and_talkspurt_restarts_at_target() {
    let t0 = epoch();
    let mut jb = narrow_jb(cfg());
    // Talkspurt 1: packets 0..25. Silence (no packets) for 1 s of media time. Talkspurt 2:
    // 25 more packets, sequence numbers contiguous, timestamp jumped, marker on the first,
    // and a network 25 ms faster than before (the restart must use the new arrivals).
    let mut arr = regular(0..25, 10, 1000, 30);
    let mut second = regular(25..50, 10, 1000 + 8000, 1030 - 25);
    second[0].marker = true;
    arr.extend(second);
    let run = drive_schedule(&mut jb, t0, &arr, 250, 10);
    let st = jb.stats();
    assert_eq!((st.received, st.lost, st.discarded), (50, 0, 0));
    assert_eq!(played_order(&run.pcm).len(), 49); // packet 0 plays value 0
                                                  // The pause is played as (a little concealment then) silence, never as loss.
    assert!(run.count(FrameKind::Silence) > 80);
    // Talkspurt 2's first packet (value 25) starts at the first pull at least the target
    // (40 ms) after it arrived (1005 + 25·20 = 1505 ms): the pull at 1550 ms.
    let first = run.pcm.iter().position(|&s| s == 2500).unwrap();
    assert_eq!(first, 1550 * 8);
}

#[test]
fn comfort_noise_fills_the_pause_at_the_cn_level() {
    let t0 = epoch();
    let mut jb = narrow_jb(cfg());
    let mut arr = regular(0..10, 0, 0, 20);
    // CN packet (RFC 3389) right after the talkspurt, level 30 -dBov.
    arr.push(Arrival {
        at_ms: 20 + 200,
        seq: 10,
        ts: 1600,
        marker: false,
        kind: PayloadKind::ComfortNoise { level_dbov: 30 },
        payload: vec![30],
    });
    let mut next = regular(20..30, 0u16.wrapping_sub(9), 0, 20); // seq 11..=20
    next[0].marker = true;
    arr.extend(next);
    let run = drive_schedule(&mut jb, t0, &arr, 80, 10);
    let cn_frames = run.count(FrameKind::ComfortNoise);
    assert!(cn_frames >= 15, "{cn_frames}");
    // The noise is at -30 dBov (RMS 733 for a full-scale-sine reference) +- 1 dB.
    let idx = run
        .kinds
        .iter()
        .enumerate()
        .filter(|(_, k)| **k == FrameKind::ComfortNoise)
        .map(|(i, _)| i)
        .nth(5)
        .unwrap();
    let frame = &run.pcm[idx * 80..idx * 80 + 80];
    let rms = (frame.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / 80.0).sqrt();
    let want = tipring_jitter::noise::dbov_to_rms(30);
    assert!((20.0 * (rms / want).log10()).abs() < 1.5, "{rms}");
    let st = jb.stats();
    assert_eq!((st.lost, st.discarded), (0, 0));
    assert_eq!(run.count(FrameKind::Concealed), 0);
    // The next talkspurt is played.
    assert!(played_order(&run.pcm).ends_with(&[28, 29]));
}

#[test]
fn ssrc_change_resets_the_stream() {
    let t0 = epoch();
    let mut jb = narrow_jb(cfg());
    let arr = regular(0..10, 500, 777, 20);
    drive_schedule(&mut jb, t0, &arr, 20, 10); // 5 packets still buffered at 200 ms
    let payload = [9u8; 160];
    let mut p = audio(40_000, 123_456, &payload, t0 + ms(200));
    p.ssrc = 0x9999;
    assert_eq!(jb.insert(&p), tipring_jitter::InsertOutcome::Accepted);
    assert_eq!(jb.decoder().resets, 1);
    let st = jb.stats();
    assert!(st.flushed > 0);
    assert_eq!(jb.buffered_packets(), 1);
    let ev: Vec<Event> = std::iter::from_fn(|| jb.poll_event()).collect();
    assert!(ev.contains(&Event::Discarded {
        seq: 65_536 + 508,
        reason: DiscardReason::Flushed
    }));
}

#[test]
fn single_wild_sequence_number_is_ignored_two_restart() {
    // RFC 3550 §A.1: a jump beyond MAX_DROPOUT is accepted only when the next packet
    // follows it.
    let t0 = epoch();
    let mut jb = narrow_jb(cfg());
    let p = [5u8; 160];
    for i in 0..5u16 {
        jb.insert(&audio(
            100 + i,
            u32::from(i) * 160,
            &p,
            t0 + ms(20 * u64::from(i)),
        ));
    }
    let wild = audio(30_000, 800, &p, t0 + ms(100));
    assert_eq!(
        jb.insert(&wild),
        tipring_jitter::InsertOutcome::Discarded(DiscardReason::OutOfRange)
    );
    assert_eq!(
        jb.insert(&audio(105, 800, &p, t0 + ms(100))),
        tipring_jitter::InsertOutcome::Accepted
    );
    assert_eq!(jb.decoder().resets, 0);
    // Two in a row: the stream restarts there.
    jb.insert(&audio(30_000, 99_000, &p, t0 + ms(120)));
    assert_eq!(
        jb.insert(&audio(30_001, 99_160, &p, t0 + ms(140))),
        tipring_jitter::InsertOutcome::Accepted
    );
    assert_eq!(jb.decoder().resets, 1);
    assert_eq!(jb.stats().out_of_range, 2);
}

#[test]
fn timestamp_rebase_with_contiguous_seq_restarts_timeline() {
    // Same SSRC and sequence, but the sender's timestamps jump by hours (a re-based
    // media clock): after probation the buffer re-anchors and keeps playing.
    let t0 = epoch();
    let mut jb = narrow_jb(cfg());
    let mut arr = regular(0..20, 0, 0, 20);
    let mut rebased = regular(20..60, 0, 0x4000_0000, 20);
    for a in &mut rebased {
        a.ts = a.ts.wrapping_sub(160 * 20);
    }
    arr.extend(rebased);
    let run = drive_schedule(&mut jb, t0, &arr, 160, 10);
    let order = played_order(&run.pcm);
    assert!(
        order.ends_with(&(40..60).collect::<Vec<i16>>()),
        "{order:?}"
    );
    assert_eq!(jb.stats().out_of_range, 1);
}

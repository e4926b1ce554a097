//! Loss, late arrival, overflow: concealment and the RFC 3611 §4.7.1 counters (lost vs
//! discarded are disjoint: a packet that arrives too late is discarded, not lost).

use tipring_jitter::{Config, DiscardReason, Event, FrameKind};

use crate::common::*;

fn cfg() -> Config {
    Config {
        adaptive: false,
        start_delay_ms: 40,
        max_delay_ms: 200,
        ..Config::default()
    }
}

fn events(jb: &mut tipring_jitter::JitterBuffer<TestDecoder>) -> Vec<Event> {
    std::iter::from_fn(|| jb.poll_event()).collect()
}

#[test]
fn lost_packet_is_concealed_and_reported_lost() {
    let t0 = epoch();
    let mut jb = narrow_jb(cfg());
    let mut arr = regular(1..31, 100, 0, 20);
    arr.retain(|a| a.seq != 110); // packet index 10 never arrives
    let run = drive_schedule(&mut jb, t0, &arr, 120, 10);
    // 20 ms concealed, exactly where packet 10 belonged.
    assert_eq!(run.count(FrameKind::Concealed), 2);
    assert_eq!(jb.decoder().concealed, 160);
    let order = played_order(&run.pcm);
    assert_eq!(order, (1..31).filter(|&i| i != 10).collect::<Vec<i16>>());
    let st = jb.stats();
    assert_eq!((st.received, st.lost, st.discarded), (29, 1, 0));
    assert_eq!(st.concealed_samples, 160);
    assert_eq!(st.concealment_events, 1);
    let lost: Vec<Event> = events(&mut jb)
        .into_iter()
        .filter(|e| matches!(e, Event::Lost { .. }))
        .collect();
    assert_eq!(lost, vec![Event::Lost { seq: 65_536 + 110 }]);
}

#[test]
fn late_packet_is_discarded_not_lost() {
    let t0 = epoch();
    let mut jb = narrow_jb(cfg());
    let mut arr = regular(1..31, 100, 0, 20);
    // Packet 10 arrives 150 ms late: packets 11, 12 are already waiting at its playout
    // time, so it is concealed and the late copy is discarded.
    arr[9].at_ms += 150;
    let run = drive_schedule(&mut jb, t0, &arr, 120, 10);
    assert_eq!(run.count(FrameKind::Concealed), 2);
    let st = jb.stats();
    assert_eq!((st.received, st.lost, st.late, st.discarded), (29, 0, 1, 1));
    let ev = events(&mut jb);
    assert!(ev.contains(&Event::Discarded {
        seq: 65_536 + 110,
        reason: DiscardReason::Late
    }));
    assert!(!ev.iter().any(|e| matches!(e, Event::Lost { .. })));
}

#[test]
fn briefly_late_packet_with_empty_buffer_is_waited_for() {
    // Nothing else is buffered when packet 10 is due (every packet arrives just in
    // time, 10 is 15 ms later): the buffer conceals without moving the playout point and
    // plays packet 10 when it comes, so nothing is lost; the delay grows by the wait.
    let t0 = epoch();
    let mut jb = narrow_jb(Config {
        start_delay_ms: 0,
        min_delay_ms: 0,
        ..cfg()
    });
    let mut arr = regular(1..31, 100, 0, 20);
    arr[9].at_ms += 15;
    let run = drive_schedule(&mut jb, t0, &arr, 100, 10);
    assert_eq!(played_order(&run.pcm), (1..31).collect::<Vec<i16>>());
    let st = jb.stats();
    assert_eq!((st.received, st.lost, st.discarded), (30, 0, 0));
    assert!(run.count(FrameKind::Concealed) >= 1);
}

#[test]
fn burst_loss_is_concealed_and_every_loss_reported_once() {
    let t0 = epoch();
    let mut jb = narrow_jb(cfg());
    let mut arr = regular(1..61, 0, 0, 20);
    arr.retain(|a| !(20..26).contains(&a.seq)); // 6 packets = 120 ms
    let run = drive_schedule(&mut jb, t0, &arr, 200, 10);
    assert_eq!(jb.decoder().concealed, 6 * 160);
    assert_eq!(run.count(FrameKind::Concealed), 12);
    let st = jb.stats();
    assert_eq!((st.lost, st.discarded, st.received), (6, 0, 54));
    let lost: Vec<u64> = events(&mut jb)
        .into_iter()
        .filter_map(|e| match e {
            Event::Lost { seq } => Some(seq - 65_536),
            _ => None,
        })
        .collect();
    assert_eq!(lost, (20..26).collect::<Vec<u64>>());
}

#[test]
fn overflow_keeps_memory_bounded() {
    // A burst of 50 packets without pulls into a 10-packet buffer: the oldest go first.
    let t0 = epoch();
    let mut jb = narrow_jb(Config {
        max_packets: 10,
        max_bytes: 4000,
        max_payload: 500,
        ..cfg()
    });
    for i in 0..50u16 {
        let p = [1u8; 160];
        jb.insert(&audio(i, u32::from(i) * 160, &p, t0 + ms(u64::from(i))));
        assert!(jb.buffered_packets() <= 10);
    }
    let st = jb.stats();
    assert_eq!((st.received, st.overflow, st.discarded), (50, 40, 40));
    // Byte bound: 25 x 160 bytes > 4000.
    let mut jb = narrow_jb(Config {
        max_packets: 100,
        max_bytes: 1000,
        max_payload: 500,
        ..cfg()
    });
    for i in 0..20u16 {
        let p = [1u8; 160];
        jb.insert(&audio(i, u32::from(i) * 160, &p, t0));
        assert!(jb.buffered_packets() * 160 <= 1000);
    }
    // Oversized payloads are refused outright.
    let big = [0u8; 600];
    assert_eq!(
        jb.insert(&audio(100, 16_000, &big, t0)),
        tipring_jitter::InsertOutcome::Discarded(DiscardReason::Overflow)
    );
    // Evicted packets are discarded, never reported lost when playout skips them.
    let run = drive_schedule(&mut jb, t0, &[], 100, 10);
    assert!(run.count(FrameKind::Normal) > 0);
    assert_eq!(jb.stats().lost, 0);
}

#[test]
fn sequence_numbers_spent_on_telephone_events_are_not_losses() {
    // RFC 4733 §2.1: events share the audio's SSRC and sequence space; while a key is
    // sent (here seq 110..=114, 100 ms) the sender stops audio, then resumes with the
    // timestamp advanced by the event's duration.
    let t0 = epoch();
    let mut jb = narrow_jb(cfg());
    let mut payloads = Vec::new();
    let mut plan = Vec::new(); // (arrival ms, seq, ts, audio?)
    for i in 0..40u32 {
        let seq = 100 + i as u16;
        let audio = !(10..15).contains(&i);
        plan.push((u64::from(i) * 20, seq, i * 160, audio));
        payloads.push(tone_payload(u64::from(i) * 160, 160));
    }
    let mut next = 0;
    let mut kinds = Vec::new();
    for tick in 0..120u64 {
        let now = t0 + ms(tick * 10);
        while next < plan.len() && plan[next].0 <= tick * 10 {
            let (_, seq, ts, audio_pkt) = plan[next];
            if audio_pkt {
                jb.insert(&audio(seq, ts, &payloads[next], now));
            } else {
                jb.note_foreign(0x1234, seq);
            }
            next += 1;
        }
        kinds.push(jb.pull(now).kind);
    }
    let st = jb.stats();
    assert_eq!((st.received, st.lost), (35, 0), "{st:?}");
    assert!(!events(&mut jb)
        .iter()
        .any(|e| matches!(e, Event::Lost { .. })));
    // Without the note, the same gap is five losses.
    let mut jb = narrow_jb(cfg());
    for (i, &(at, seq, ts, audio_pkt)) in plan.iter().enumerate() {
        if audio_pkt {
            jb.insert(&audio(seq, ts, &payloads[i], t0 + ms(at)));
        }
    }
    for tick in 0..200u64 {
        let _ = jb.pull(t0 + ms(tick * 10));
    }
    assert_eq!(jb.stats().lost, 5);
}

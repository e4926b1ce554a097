//! Garbage in never panics, memory stays bounded, every frame has the right length.

use tipring_jitter::{Config, JitterBuffer, Packet, PayloadKind};

use crate::common::*;

/// xorshift64* for the fuzz inputs.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn fuzz(jb: &mut JitterBuffer<TestDecoder>, seed: u64, rounds: usize) {
    let t0 = epoch();
    let mut r = Rng(seed);
    let frame = jb.frame_samples();
    let mut now_us: u64 = 0;
    let (mut seq, mut ts) = (r.next() as u16, r.next() as u32);
    let payload: Vec<u8> = (0..2000).map(|_| r.next() as u8).collect();
    for _ in 0..rounds {
        let mode = r.next() % 8;
        // Mostly plausible streams with wild excursions.
        match mode {
            0 => seq = r.next() as u16,
            1 => ts = r.next() as u32,
            2 => {
                seq = seq.wrapping_sub((r.next() % 200) as u16);
            }
            _ => {
                seq = seq.wrapping_add(1);
                ts = ts.wrapping_add(160);
            }
        }
        let len = (r.next() % 400) as usize;
        let kind = if r.next().is_multiple_of(20) {
            PayloadKind::ComfortNoise {
                level_dbov: r.next() as u8,
            }
        } else {
            PayloadKind::Audio
        };
        // Arrival may even go backwards a little (an unsynchronised caller).
        let arrival_us = now_us.saturating_sub(r.next() % 5_000) + r.next() % 30_000;
        jb.insert(&Packet {
            ssrc: if r.next().is_multiple_of(500) {
                r.next() as u32
            } else {
                1
            },
            seq,
            timestamp: ts,
            marker: r.next().is_multiple_of(10),
            kind,
            payload: &payload[..len],
            arrival: t0 + std::time::Duration::from_micros(arrival_us),
        });
        assert!(jb.buffered_packets() <= jb.config().max_packets);
        if r.next().is_multiple_of(2) {
            now_us += 10_000;
            let f = jb.pull(t0 + std::time::Duration::from_micros(now_us));
            assert_eq!(f.pcm.len(), frame);
            assert!(jb.buffered_samples() < 48_000);
        }
    }
}

#[test]
fn random_packets_never_panic_and_stay_bounded() {
    for seed in 1..6u64 {
        let mut jb = narrow_jb(Config {
            max_packets: 30,
            ..Config::default()
        });
        fuzz(&mut jb, seed, 4000);
        let st = jb.stats();
        assert!(st.received > 0);
        // Every event queued is bounded.
        let mut n = 0;
        while jb.poll_event().is_some() {
            n += 1;
        }
        assert!(n <= jb.config().max_events);
    }
    let mut jb = JitterBuffer::new(
        Config {
            frame_ms: 20,
            ..Config::default()
        },
        TestDecoder::wide(),
    )
    .unwrap();
    fuzz(&mut jb, 99, 4000);
}

#[test]
fn pulls_before_any_packet_and_after_reset_are_silence() {
    let t0 = epoch();
    let mut jb = narrow_jb(Config::default());
    for i in 0..5 {
        let f = jb.pull(t0 + ms(10 * i));
        assert_eq!(f.kind, tipring_jitter::FrameKind::Silence);
        assert!(f.pcm.iter().all(|&s| s == 0));
    }
    jb.reset();
    let mut out = [1i16; 80];
    let (kind, ts) = jb.pull_into(t0 + ms(60), &mut out);
    assert_eq!((kind, ts), (tipring_jitter::FrameKind::Silence, None));
    assert!(out.iter().all(|&s| s == 0));
}

#[test]
fn invalid_configurations_are_rejected() {
    use tipring_jitter::Error;
    let bad = [
        Config {
            frame_ms: 3,
            ..Config::default()
        },
        Config {
            start_delay_ms: 900,
            max_delay_ms: 500,
            ..Config::default()
        },
        Config {
            quantile: 1.0,
            ..Config::default()
        },
        Config {
            max_packets: 0,
            ..Config::default()
        },
        Config {
            clock_rate: Some(0),
            ..Config::default()
        },
    ];
    for cfg in bad {
        assert!(matches!(
            JitterBuffer::new(cfg, TestDecoder::narrow()),
            Err(Error::InvalidConfig(_))
        ));
    }
}

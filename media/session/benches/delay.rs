//! Mouth-to-ear delay added by two gateways' media paths on a zero-delay network.
//!
//! Gateway A's phone starts a 1 kHz tone; the delay is the time from the tone's first
//! sample entering A's media session (the line frame in which it was said) to its
//! arrival in B's earpiece (the line frame in which B plays it), measured by the onset of
//! the tone's energy — i.e. everything the two gateways add: A's DTMF hold-back,
//! packetisation (ptime), B's jitter buffer and its decoder's concealment look-ahead,
//! and each side's 10 ms line frame. The network adds nothing (datagrams are handed
//! across at once). Target (the gateway issue): under 60 ms for both gateways together
//! at 20 ms ptime.
//!
//! Run: `cargo bench -p tipring-media --bench delay`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tipring_media::{Channel, MediaConfig, MediaSession, NtpTime, MAX_DATAGRAM};

fn run(ptime_ms: u32) -> f64 {
    #[allow(clippy::disallowed_methods)] // the benchmark's epoch; virtual time from here
    let t0 = Instant::now();
    let wall = NtpTime::from_unix(Duration::from_secs(1_790_000_000));
    let a_addr: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let b_addr: SocketAddr = "127.0.0.1:50000".parse().unwrap();
    let mk = |remote: SocketAddr, seed| {
        let mut c = MediaConfig::pcmu(remote, seed);
        c.remote_rtcp = None;
        c.ptime_ms = ptime_ms;
        MediaSession::new(c, t0, wall).unwrap()
    };
    let (mut a, mut b) = (mk(b_addr, 1), mk(a_addr, 2));
    let mut buf = [0u8; MAX_DATAGRAM];
    let onset_frame = 300u64; // after 3 s of silence: buffers settled
    let mut heard_at = None;
    let (mut a_sent, mut b_sent) = ([0i16; 80], [0i16; 80]);
    for f in 1..600u64 {
        let now = t0 + Duration::from_millis(10 * f);
        let mut said = [0i16; 80];
        if f >= onset_frame {
            for (i, s) in said.iter_mut().enumerate() {
                let n = (f - onset_frame) * 80 + i as u64;
                *s = (10_000.0 * (2.0 * std::f64::consts::PI * 1000.0 * n as f64 / 8000.0).sin())
                    as i16;
            }
        }
        let mut next_a = [0i16; 80];
        a.exchange(now, &a_sent, &said, &mut next_a);
        a_sent = next_a;
        while let Some(t) = a.poll_transmit(&mut buf) {
            b.receive(now, Channel::Rtp, a_addr, &buf[..t.len]);
        }
        let mut next_b = [0i16; 80];
        b.exchange(now, &b_sent, &[0; 80], &mut next_b);
        b_sent = next_b;
        while let Some(t) = b.poll_transmit(&mut buf) {
            a.receive(now, Channel::Rtp, b_addr, &buf[..t.len]);
        }
        if heard_at.is_none() && f > onset_frame {
            if let Some(i) = next_b.iter().position(|&s| s.unsigned_abs() > 2000) {
                // `next_b` plays during the frame after `f`.
                heard_at = Some((f + 1) * 80 + i as u64);
            }
        }
    }
    let said_at = onset_frame * 80;
    (heard_at.expect("the tone arrived") - said_at) as f64 / 8.0
}

fn main() {
    println!("mouth-to-ear delay added by two gateways, zero-delay network, G.711");
    println!("  {:<12} {:>12} {:>12}", "ptime", "delay", "target");
    for ptime in [10, 20, 30] {
        let target = if ptime == 20 { "< 60 ms" } else { "-" };
        println!(
            "  {:<12} {:>9.1} ms {:>12}",
            format!("{ptime} ms"),
            run(ptime),
            target
        );
    }
}

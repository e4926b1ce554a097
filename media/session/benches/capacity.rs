//! Media capacity: full-duplex channels per core.
//!
//! Each channel is one [`MediaSession`] doing everything a call does every 10 ms: echo
//! canceller on the phone's audio, DTMF detection (for RFC 4733), encoding and RTP
//! packetisation at 20 ms, and on the other way RTP parsing, the jitter buffer, decoding
//! (with concealment ready) and playout; RTCP with XR on its timer. Channels run in pairs
//! whose datagrams are handed across directly (no sockets: this measures the media path,
//! not the kernel). Time is virtual; the CPU time of the whole loop is measured and
//! divided by the channel-seconds simulated.
//!
//! Run: `cargo bench -p tipring-media --bench capacity` (add `--features
//! tipring-codec/g729,tipring-codec/opus` for those codecs). Target (the media issue):
//! at least 500 channels per core for G.711 + 64 ms echo canceller + jitter buffer + DTMF
//! detection + RTCP at 20 ms ptime, i.e. a 48-port gateway under 10 % of one core.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tipring_codec::CodecId;
use tipring_media::{Channel, MediaConfig, MediaSession, NtpTime, MAX_DATAGRAM};

const PAIRS: usize = 10;
const SECONDS: u64 = 20;
const TARGET_CHANNELS_PER_CORE: f64 = 500.0;

/// A speech-like source: noise through a resonance, with a syllabic on/off envelope.
struct Talker {
    x: u64,
    y1: f32,
    y2: f32,
    n: u64,
}

impl Talker {
    fn new(seed: u64) -> Self {
        Self {
            x: seed | 1,
            y1: 0.0,
            y2: 0.0,
            n: 0,
        }
    }

    fn frame(&mut self, out: &mut [i16; 80]) {
        for s in out.iter_mut() {
            self.x ^= self.x << 13;
            self.x ^= self.x >> 7;
            self.x ^= self.x << 17;
            let e = (self.x as u32 as f32 / u32::MAX as f32 - 0.5) * 6000.0;
            let y = e + 1.6 * self.y1 - 0.8 * self.y2;
            self.y2 = self.y1;
            self.y1 = y;
            let on = (self.n / 1600) % 3 != 2; // 200 ms syllables, every third silent
            *s = if on {
                (y * 0.5).clamp(-32768.0, 32767.0) as i16
            } else {
                0
            };
            self.n += 1;
        }
    }
}

struct Case {
    name: &'static str,
    codec: CodecId,
    pt: u8,
    ec: bool,
}

fn run(case: &Case) -> Option<f64> {
    if !case.codec.is_available() {
        return None;
    }
    #[allow(clippy::disallowed_methods)] // a benchmark's own clock
    let t0 = Instant::now();
    let wall = NtpTime::from_unix(Duration::from_secs(1_790_000_000));
    let mut sessions = Vec::new();
    let mut talkers = Vec::new();
    let mut addrs = Vec::new();
    for i in 0..2 * PAIRS {
        let me: SocketAddr = format!("127.0.0.1:{}", 20000 + 2 * i).parse().unwrap();
        let peer: SocketAddr = format!("127.0.0.1:{}", 20000 + 2 * (i ^ 1))
            .parse()
            .unwrap();
        let mut cfg = MediaConfig::pcmu(peer, i as u64 + 1);
        cfg.codec = case.codec;
        cfg.payload_type = case.pt;
        cfg.remote_rtcp = None;
        if !case.ec {
            cfg.echo_canceller = None;
        }
        sessions.push(MediaSession::new(cfg, t0, wall).expect("valid"));
        talkers.push(Talker::new(i as u64 * 7919 + 1));
        addrs.push(me);
    }
    let mut buf = [0u8; MAX_DATAGRAM];
    let mut sent = vec![[0i16; 80]; 2 * PAIRS];
    let mut inbox: Vec<Vec<(SocketAddr, Vec<u8>)>> = vec![Vec::new(); 2 * PAIRS];
    let frames = SECONDS * 100;
    #[allow(clippy::disallowed_methods)]
    let cpu0 = Instant::now();
    for f in 1..=frames {
        let now = t0 + Duration::from_millis(10 * f);
        for i in 0..2 * PAIRS {
            for (from, d) in inbox[i].drain(..) {
                sessions[i].receive(now, Channel::Rtp, from, &d);
            }
            let mut said = [0i16; 80];
            talkers[i].frame(&mut said);
            // a hybrid's worth of echo of what the phone was sent
            for (s, e) in said.iter_mut().zip(sent[i].iter()) {
                *s = s.saturating_add(e / 4);
            }
            let mut next = [0i16; 80];
            sessions[i].exchange(now, &sent[i], &said, &mut next);
            sent[i] = next;
            if sessions[i].poll_timeout().is_some_and(|t| t <= now) {
                sessions[i].handle_timeout(now);
            }
            while let Some(t) = sessions[i].poll_transmit(&mut buf) {
                inbox[i ^ 1].push((addrs[i], buf[..t.len].to_vec()));
            }
            while sessions[i].poll_event().is_some() {}
        }
    }
    #[allow(clippy::disallowed_methods)]
    let cpu = cpu0.elapsed();
    let channel_seconds = (2 * PAIRS) as f64 * SECONDS as f64;
    let received: u64 = sessions.iter().map(|s| s.stats().packets_received).sum();
    assert!(
        received > (2 * PAIRS) as u64 * SECONDS * 45,
        "media flowed: {received}"
    );
    Some(cpu.as_secs_f64() / channel_seconds)
}

fn main() {
    let cases = [
        Case {
            name: "G.711 + EC 64 ms + JB + DTMF + RTCP",
            codec: CodecId::Pcmu,
            pt: 0,
            ec: true,
        },
        Case {
            name: "G.711, no echo canceller",
            codec: CodecId::Pcmu,
            pt: 0,
            ec: false,
        },
        Case {
            name: "G.722 + EC 64 ms (16 kHz path)",
            codec: CodecId::G722,
            pt: 9,
            ec: true,
        },
        Case {
            name: "G.726-32 + EC 64 ms",
            codec: CodecId::G726_32,
            pt: 112,
            ec: true,
        },
        Case {
            name: "G.729A/B + EC 64 ms (feature g729)",
            codec: CodecId::G729,
            pt: 18,
            ec: true,
        },
        Case {
            name: "Opus 16 kHz + EC 64 ms (feature opus)",
            codec: CodecId::Opus,
            pt: 111,
            ec: true,
        },
    ];
    println!(
        "{:<42} {:>16} {:>15} {:>10} {:>15}",
        "full-duplex channel, 20 ms ptime",
        "µs per 20 ms",
        "channels/core",
        "target",
        "48 ports use"
    );
    for case in &cases {
        match run(case) {
            Some(per_channel_second) => {
                let per_frame_us = per_channel_second * 1e6 / 50.0;
                let per_core = 1.0 / per_channel_second;
                println!(
                    "{:<42} {:>16.1} {:>15.0} {:>10} {:>14.1}%",
                    case.name,
                    per_frame_us,
                    per_core,
                    if case.ec && case.codec == CodecId::Pcmu {
                        format!(">= {TARGET_CHANNELS_PER_CORE:.0}")
                    } else {
                        "-".into()
                    },
                    48.0 * per_channel_second * 100.0
                );
            }
            None => println!("{:<42} {:>16}", case.name, "not compiled in"),
        }
    }
}

//! Two media sessions back to back over a seeded emulated network, in virtual time: what
//! one phone says reaches the other phone, keys travel as RFC 4733 events and come out as
//! tones, SRTP protects the stream, and bad datagrams are dropped and counted.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tipring_codec::CodecId;
use tipring_dsp::dtmf::{DtmfDetector, DtmfDetectorConfig, DtmfEvent, DtmfSender};
use tipring_dsp::goertzel::Goertzel;
use tipring_dsp::level::dbm0_to_peak;
use tipring_jitter::netem::{Jitter, Loss, Netem, NetemConfig};
use tipring_media::{
    Channel, MediaConfig, MediaEvent, MediaSession, NtpTime, Profile, SrtpKeys, MAX_DATAGRAM,
};

const A: &str = "127.0.0.1:40000";
const B: &str = "127.0.0.2:50000";
const FRAME: Duration = Duration::from_millis(10);

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn wall() -> NtpTime {
    NtpTime::from_unix(Duration::from_secs(1_790_000_000))
}

/// What the phone on each side says, frame by frame.
type Mouth = Box<dyn FnMut(u64) -> [i16; 80]>;

fn silence() -> Mouth {
    Box::new(|_| [0; 80])
}

fn sine(hz: f32, dbm0: f32) -> Mouth {
    let peak = dbm0_to_peak(dbm0);
    Box::new(move |frame| {
        let mut f = [0i16; 80];
        for (i, s) in f.iter_mut().enumerate() {
            let n = frame * 80 + i as u64;
            *s = (peak * (2.0 * std::f32::consts::PI * hz * n as f32 / 8000.0).sin()) as i16;
        }
        f
    })
}

fn keypad(digits: &str) -> Mouth {
    let mut s = DtmfSender::default();
    s.push(digits, 100, 100).unwrap();
    let mut started = false;
    Box::new(move |frame| {
        let mut f = [0i16; 80];
        // Keys start after half a second of silence.
        started |= frame >= 50;
        if started {
            s.fill(&mut f);
        }
        f
    })
}

/// A 2-wire hybrid: what the port plays comes back delayed and attenuated (ERL 12 dB,
/// 5 ms, a short decaying tail), as tipring-hal's simulated line does.
struct Hybrid {
    hist: Vec<f32>,
    pos: usize,
    taps: Vec<f32>,
}

impl Hybrid {
    fn new() -> Self {
        let delay = 40;
        let mut taps = vec![0.0f32; delay + 32];
        let mut e = 0.0;
        for (k, t) in taps[delay..].iter_mut().enumerate() {
            *t = (if k % 3 == 0 { 1.0 } else { -0.6 }) * (-(k as f32) / 8.0).exp();
            e += *t * *t;
        }
        let scale = (10f32.powf(-12.0 / 10.0) / e).sqrt();
        taps.iter_mut().for_each(|t| *t *= scale);
        Self {
            hist: vec![0.0; taps.len()],
            pos: 0,
            taps,
        }
    }

    fn echo(&mut self, sent: &[i16; 80], into: &mut [i16; 80]) {
        let n = self.hist.len();
        for (x, y) in sent.iter().zip(into.iter_mut()) {
            self.hist[self.pos] = f32::from(*x);
            let mut acc = 0.0;
            for (k, t) in self.taps.iter().enumerate() {
                acc += t * self.hist[(self.pos + n - k) % n];
            }
            self.pos = (self.pos + 1) % n;
            *y = (f32::from(*y) + acc).clamp(-32768.0, 32767.0) as i16;
        }
    }
}

struct Side {
    media: MediaSession,
    hybrid: Option<Hybrid>,
    addr: SocketAddr,
    mouth: Mouth,
    sent: [i16; 80],
    ear: Vec<i16>,
    events: Vec<MediaEvent>,
}

struct Pair {
    a: Side,
    b: Side,
    net: Netem<(SocketAddr, SocketAddr, Vec<u8>)>,
    now: Instant,
    frame: u64,
}

fn cfg(remote: &str, seed: u64) -> MediaConfig {
    let mut c = MediaConfig::pcmu(addr(remote), seed);
    c.remote_rtcp = None; // rtcp-mux: one socket per side in this harness
    c.echo_canceller = None;
    c
}

impl Pair {
    fn new(ca: MediaConfig, cb: MediaConfig, net: NetemConfig) -> Self {
        #[allow(clippy::disallowed_methods)] // the test's epoch; virtual time from here
        let now = Instant::now();
        let side = |c: MediaConfig, a: &str| Side {
            media: MediaSession::new(c, now, wall()).unwrap(),
            addr: addr(a),
            mouth: silence(),
            hybrid: None,
            sent: [0; 80],
            ear: Vec::new(),
            events: Vec::new(),
        };
        Self {
            a: side(ca, A),
            b: side(cb, B),
            net: Netem::new(net),
            now,
            frame: 0,
        }
    }

    fn run(&mut self, d: Duration) {
        let end = self.now + d;
        let mut buf = [0u8; MAX_DATAGRAM];
        while self.now < end {
            self.now += FRAME;
            let now = self.now;
            for side in [&mut self.a, &mut self.b] {
                let mut said = (side.mouth)(self.frame);
                if let Some(h) = side.hybrid.as_mut() {
                    h.echo(&side.sent, &mut said);
                }
                let mut next = [0i16; 80];
                side.media.exchange(now, &side.sent, &said, &mut next);
                side.ear.extend_from_slice(&next);
                side.sent = next;
                if side.media.poll_timeout().is_some_and(|t| t <= now) {
                    side.media.handle_timeout(now);
                }
                while let Some(t) = side.media.poll_transmit(&mut buf) {
                    assert_eq!(t.channel, Channel::Rtp, "rtcp-mux");
                    self.net.send(now, (side.addr, t.to, buf[..t.len].to_vec()));
                }
                while let Some(e) = side.media.poll_event() {
                    side.events.push(e);
                }
            }
            while let Some(d) = self.net.poll(now) {
                let (from, to, data) = d.packet;
                let side = if to == self.a.addr {
                    &mut self.a
                } else {
                    &mut self.b
                };
                side.media.receive(now, Channel::Rtp, from, &data);
            }
            self.frame += 1;
        }
    }
}

fn level(samples: &[i16], hz: f32) -> f32 {
    let mut g = Goertzel::new(hz);
    g.push(samples);
    g.level_dbm0()
}

fn keys(samples: &[i16]) -> String {
    let mut det = DtmfDetector::new(DtmfDetectorConfig::default());
    let mut got = String::new();
    det.process(samples, |e| {
        if let DtmfEvent::Start { digit, .. } = e {
            got.push(digit);
        }
    });
    got
}

/// The keys a side's events report as sent (`sent`) or received.
fn keys_in(events: &[MediaEvent], sent: bool) -> String {
    events
        .iter()
        .filter_map(|e| match (e, sent) {
            (MediaEvent::DtmfSent { digit }, true) => Some(*digit),
            (MediaEvent::DtmfReceived { digit }, false) => Some(*digit),
            _ => None,
        })
        .collect()
}

/// Asserts the last `last_ms` of `ear` carry `hz` at `dbm0` within `tol` dB.
fn assert_hears(ear: &[i16], hz: f32, dbm0: f32, last_ms: usize, tol: f32, what: &str) {
    let l = level(&ear[ear.len() - last_ms * 8..], hz);
    assert!(
        (l - dbm0).abs() < tol,
        "{what}: {hz} Hz at {l:.1} dBm0, not {dbm0}"
    );
}

fn jittery(seed: u64) -> NetemConfig {
    NetemConfig {
        base_delay: Duration::from_millis(20),
        jitter: Jitter::Uniform {
            max: Duration::from_millis(40),
        },
        reorder: true,
        seed,
        ..NetemConfig::default()
    }
}

#[test]
fn what_one_phone_says_the_other_hears_at_its_level() {
    let mut p = Pair::new(cfg(B, 1), cfg(A, 2), jittery(1));
    p.a.mouth = sine(1004.0, -10.0);
    p.b.mouth = sine(440.0, -16.0);
    p.run(Duration::from_secs(3));
    // After the start-up delay (jitter buffer, DTMF hold-back), each ear has the other's
    // tone within 1 dB: G.711 and the buffer's time-stretching keep the level.
    let tail = |v: &Vec<i16>| v[v.len() - 8000..].to_vec();
    let at_b = level(&tail(&p.b.ear), 1004.0);
    let at_a = level(&tail(&p.a.ear), 440.0);
    assert!(
        (at_b + 10.0).abs() < 1.0,
        "B hears 1004 Hz at {at_b:.1} dBm0"
    );
    assert!(
        (at_a + 16.0).abs() < 1.0,
        "A hears 440 Hz at {at_a:.1} dBm0"
    );
    assert!(
        level(&tail(&p.b.ear), 440.0) < -40.0,
        "B does not hear itself"
    );
    let s = p.b.media.stats();
    assert!(s.packets_received > 140, "{s:?}");
    assert_eq!(s.lost, 0, "{s:?}");
}

#[test]
fn wideband_g722_through_the_16_khz_path() {
    let mut ca = cfg(B, 1);
    let mut cb = cfg(A, 2);
    for c in [&mut ca, &mut cb] {
        c.codec = CodecId::G722;
        c.payload_type = 9;
    }
    let mut p = Pair::new(ca, cb, jittery(2));
    p.a.mouth = sine(1004.0, -10.0);
    p.run(Duration::from_secs(2));
    assert_hears(&p.b.ear, 1004.0, -10.0, 1000, 1.5, "B over G.722");
}

#[test]
fn the_tail_of_the_last_dialled_key_is_cut_not_relayed() {
    // The phone still sounds the key that completed the number when the call connects
    // (60 ms of it left): no event goes out and the far end hears no key; a key pressed
    // later in the call is relayed.
    let mut p = Pair::new(cfg(B, 1), cfg(A, 2), jittery(4));
    let mut tail = DtmfSender::default();
    tail.push("2", 60, 0).unwrap();
    let mut later = keypad("5");
    p.a.mouth = Box::new(move |frame| {
        let mut f = [0i16; 80];
        if frame < 10 {
            tail.fill(&mut f);
        } else {
            f = later(frame);
        }
        f
    });
    p.run(Duration::from_secs(2));
    assert_eq!(keys_in(&p.a.events, true), "5");
    assert_eq!(keys_in(&p.b.events, false), "5");
    assert_eq!(keys(&p.b.ear), "5", "the dialling's tail is not heard");
}

#[test]
fn keys_go_as_rfc4733_events_and_come_out_as_tones() {
    let mut p = Pair::new(cfg(B, 1), cfg(A, 2), jittery(3));
    p.a.mouth = keypad("159#");
    p.run(Duration::from_secs(3));
    assert_eq!(keys_in(&p.a.events, true), "159#");
    assert_eq!(keys_in(&p.b.events, false), "159#");
    // The far phone hears the keys, regenerated from the events.
    assert_eq!(keys(&p.b.ear), "159#");
    // The sequence numbers the events took are not counted as lost audio.
    assert_eq!(p.b.media.stats().lost, 0, "{:?}", p.b.media.stats());
}

#[test]
fn keys_pressed_while_the_far_end_talks_get_through_the_echo_canceller() {
    // Double talk with tones: the far end plays 1004 Hz (say, a ringback or a prompt)
    // while the phone's keys go out; the hybrid echoes the far end back; the echo
    // canceller (with its NLP) must not take the keys for echo.
    let mut ca = cfg(B, 1);
    ca.echo_canceller = MediaConfig::pcmu(addr(B), 1).echo_canceller;
    let mut p = Pair::new(ca, cfg(A, 2), jittery(6));
    p.a.hybrid = Some(Hybrid::new());
    p.b.mouth = sine(1004.0, -10.0);
    p.a.mouth = keypad("3690");
    p.run(Duration::from_secs(3));
    assert_eq!(keys_in(&p.a.events, true), "3690");
    // And the far end's tone is cancelled from what A sends: B does not hear it back.
    let tail = &p.b.ear[p.b.ear.len() - 4000..];
    let l = level(tail, 1004.0);
    assert!(l < -35.0, "B hears its own tone back at {l:.1} dBm0");
}

#[test]
fn a_phone_talking_over_the_far_end_is_not_cut_by_the_echo_canceller() {
    let mut ca = cfg(B, 1);
    ca.echo_canceller = MediaConfig::pcmu(addr(B), 1).echo_canceller;
    let mut p = Pair::new(ca, cfg(A, 2), jittery(7));
    p.a.hybrid = Some(Hybrid::new());
    p.b.mouth = sine(440.0, -16.0);
    p.a.mouth = sine(1004.0, -10.0);
    p.run(Duration::from_secs(3));
    assert_hears(&p.b.ear, 1004.0, -10.0, 1000, 1.5, "B, in double talk");
}

#[test]
fn a_phone_talking_before_the_far_end_starts_keeps_talking_through_it() {
    // The phone's user talks first; half a second later the far end starts too (an IVR
    // prompt, a person): the near end must still get through in the double talk.
    let mut ca = cfg(B, 1);
    ca.echo_canceller = MediaConfig::pcmu(addr(B), 1).echo_canceller;
    let mut p = Pair::new(ca, cfg(A, 2), jittery(9));
    p.a.hybrid = Some(Hybrid::new());
    let mut far = sine(1004.0, -10.0);
    p.b.mouth = Box::new(move |f| if f < 50 { [0; 80] } else { far(f) });
    p.a.mouth = sine(440.0, -13.0);
    p.run(Duration::from_secs(3));
    assert_hears(
        &p.b.ear,
        440.0,
        -13.0,
        1500,
        1.5,
        "B, the far end talking too",
    );
}

#[test]
fn keys_are_cut_from_the_audio_when_sent_as_events() {
    // B did not negotiate telephone-event: it drops the event packets and plays only
    // A's audio, from which A has cut the tones.
    let mut cb = cfg(A, 2);
    cb.telephone_event = None;
    let mut p = Pair::new(cfg(B, 1), cb, jittery(4));
    p.a.mouth = keypad("2580");
    p.run(Duration::from_secs(3));
    assert_eq!(keys(&p.b.ear), "", "no key leaked into the audio");
    // Without events at A's end either, the keys go in-band and are heard.
    let mut ca = cfg(B, 1);
    ca.telephone_event = None;
    let mut cb = cfg(A, 2);
    cb.telephone_event = None;
    let mut p = Pair::new(ca, cb, jittery(4));
    p.a.mouth = keypad("2580");
    p.run(Duration::from_secs(3));
    assert_eq!(keys(&p.b.ear), "2580", "in-band keys pass");
}

fn keys_ab() -> (SrtpKeys, SrtpKeys) {
    let (ka, kb) = ([0x11; 30], [0x22; 30]);
    let a = SrtpKeys {
        profile: Profile::AesCm128HmacSha1_80,
        local: ka,
        remote: kb,
    };
    let b = SrtpKeys {
        profile: Profile::AesCm128HmacSha1_80,
        local: kb,
        remote: ka,
    };
    (a, b)
}

#[test]
fn srtp_carries_the_call_and_refuses_forgeries_and_replays() {
    let (ka, kb) = keys_ab();
    let mut ca = cfg(B, 1);
    ca.srtp = Some(ka);
    let mut cb = cfg(A, 2);
    cb.srtp = Some(kb);
    let mut p = Pair::new(ca, cb, NetemConfig::default());
    p.a.mouth = sine(1004.0, -10.0);
    p.run(Duration::from_secs(2));
    assert_hears(&p.b.ear, 1004.0, -10.0, 500, 1.0, "SRTP call");
    // A forged packet (right header, no valid tag) and a replay are refused and counted.
    let mut forged = vec![0x80, 0x00, 0x12, 0x34, 0, 0, 0, 160, 0xde, 0xad, 0xbe, 0xef];
    forged.extend_from_slice(&[0xD5; 170]);
    let now = p.now;
    p.b.media.receive(now, Channel::Rtp, addr(A), &forged);
    let before = p.b.media.stats();
    assert!(before.srtp_auth_failed >= 1, "{before:?}");
    // Capture one of A's real packets and deliver it twice.
    let mut buf = [0u8; MAX_DATAGRAM];
    let mut packet = None;
    for _ in 0..5 {
        p.now += FRAME;
        let said = (p.a.mouth)(0);
        let mut next = [0; 80];
        p.a.media.exchange(p.now, &[0; 80], &said, &mut next);
        if let Some(t) = p.a.media.poll_transmit(&mut buf) {
            packet = Some(buf[..t.len].to_vec());
            break;
        }
    }
    let packet = packet.expect("A sent a packet");
    let now = p.now;
    p.b.media.receive(now, Channel::Rtp, addr(A), &packet);
    p.b.media.receive(now, Channel::Rtp, addr(A), &packet);
    assert_eq!(p.b.media.stats().srtp_replayed, before.srtp_replayed + 1);
}

#[test]
fn wrong_srtp_key_means_silence_not_noise() {
    let (ka, mut kb) = keys_ab();
    kb.remote = [0x33; 30]; // B expects A to use another key
    let mut ca = cfg(B, 1);
    ca.srtp = Some(ka);
    let mut cb = cfg(A, 2);
    cb.srtp = Some(kb);
    let mut p = Pair::new(ca, cb, NetemConfig::default());
    p.a.mouth = sine(1004.0, -10.0);
    p.run(Duration::from_secs(1));
    let s = p.b.media.stats();
    assert!(s.srtp_auth_failed > 40, "{s:?}");
    assert_eq!(s.packets_received, 0);
    assert!(
        p.b.ear.iter().all(|&x| x == 0),
        "nothing undecrypted is played"
    );
}

fn noise(dbm0: f32, seed: u64) -> Mouth {
    let peak = dbm0_to_peak(dbm0) * 1.2247; // uniform noise: RMS = peak/sqrt(3) ~ sine RMS
    let mut x = seed;
    Box::new(move |_| {
        let mut f = [0i16; 80];
        for s in &mut f {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *s = ((x as u32 as f32 / u32::MAX as f32 * 2.0 - 1.0) * peak) as i16;
        }
        f
    })
}

#[test]
fn silence_goes_as_rfc3389_comfort_noise_when_vad_is_on() {
    let mut ca = cfg(B, 1);
    ca.comfort_noise = Some(13);
    ca.vad = true;
    let mut cb = cfg(A, 2);
    cb.comfort_noise = Some(13);
    let mut p = Pair::new(ca, cb, jittery(8));
    p.a.mouth = noise(-50.0, 9); // a quiet room
    p.run(Duration::from_secs(4));
    let s = p.a.media.stats();
    // 4 s at 20 ms would be 200 packets; CN updates go every 200 ms.
    assert!(s.packets_sent < 60, "VAD suppressed the silence: {s:?}");
    let b = p.b.media.stats();
    assert!(b.frames[4] > 100, "B played comfort noise: {b:?}");
    let tail = &p.b.ear[p.b.ear.len() - 8000..];
    let rms = (tail.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / tail.len() as f64).sqrt();
    let dbm0 = 20.0 * (rms / (f64::from(dbm0_to_peak(0.0)) / 2f64.sqrt())).log10();
    assert!((dbm0 + 50.0).abs() < 4.0, "comfort noise at {dbm0:.1} dBm0");
    // Off by default: the same room without VAD sends every packet.
    let mut p = Pair::new(cfg(B, 1), cfg(A, 2), jittery(8));
    p.a.mouth = noise(-50.0, 9);
    p.run(Duration::from_secs(2));
    assert!(p.a.media.stats().packets_sent > 90);
}

#[test]
fn malformed_datagrams_are_dropped_and_counted() {
    let mut p = Pair::new(cfg(B, 1), cfg(A, 2), NetemConfig::default());
    p.a.mouth = sine(1004.0, -10.0);
    p.run(Duration::from_millis(500));
    let now = p.now;
    let bad: [&[u8]; 6] = [
        &[],
        &[0x80, 0x00],                                  // short header
        &[0x8f, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1],    // 15 CSRCs, none present
        &[0xa0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9], // padding beyond the length
        &[0x40, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0], // version 1
        &[0x81, 0xc9, 0, 9, 0, 0, 0, 1],                // RTCP length beyond the datagram
    ];
    let before = p.b.media.stats().dropped_malformed;
    for d in bad {
        p.b.media.receive(now, Channel::Rtp, addr(A), d);
    }
    // Random bytes too: nothing panics.
    let mut x = 0x1234_5678_9abc_def0u64;
    for _ in 0..2000 {
        let mut d = vec![0u8; (x % 200) as usize];
        for b in &mut d {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        p.b.media.receive(now, Channel::Rtp, addr(A), &d);
    }
    let after = p.b.media.stats();
    assert!(after.dropped_malformed >= before + 6, "{after:?}");
    // And the call goes on.
    p.run(Duration::from_secs(1));
    assert_hears(&p.b.ear, 1004.0, -10.0, 500, 1.0, "still hears the call");
}

#[test]
fn rtcp_reports_give_both_sides_quality_figures() {
    let net = NetemConfig {
        base_delay: Duration::from_millis(40),
        loss: Loss::Random { p: 0.02 },
        seed: 5,
        ..NetemConfig::default()
    };
    let mut p = Pair::new(cfg(B, 1), cfg(A, 2), net);
    p.a.mouth = sine(1004.0, -10.0);
    p.b.mouth = sine(600.0, -10.0);
    p.run(Duration::from_secs(16));
    for side in [&p.a, &p.b] {
        let s = side.media.stats();
        assert!(s.rtcp_sent >= 1 && s.rtcp_received >= 1, "{s:?}");
        let rtt = s.rtt.expect("RTT from SR/RR").as_millis();
        assert!(
            (70..=110).contains(&rtt),
            "RTT {rtt} ms over a 40 ms each-way link"
        );
        let mos = s.mos_lq.expect("MOS from the E-model");
        assert!((3.0..4.5).contains(&mos), "MOS-LQ {mos} at 2 % loss: {s:?}");
        assert!(s.lost > 0, "{s:?}");
    }
}

#[test]
fn hold_stops_sending_and_latching_follows_the_real_source() {
    // B's SDP says A is at a private address; A's packets come from A. B latches.
    let mut cb = cfg("10.0.0.1:40000", 2);
    cb.remote_rtp = addr("10.0.0.1:40000");
    let mut p = Pair::new(cfg(B, 1), cb, NetemConfig::default());
    p.a.mouth = sine(1004.0, -10.0);
    p.b.mouth = sine(440.0, -10.0);
    p.run(Duration::from_secs(1));
    assert!(
        p.b.events.contains(&MediaEvent::Latched { to: addr(A) }),
        "{:?}",
        p.b.events
    );
    let l = level(&p.a.ear[p.a.ear.len() - 2000..], 440.0);
    assert!((l + 10.0).abs() < 1.0, "A hears B after latching: {l:.1}");
    // A puts the call on hold (sendonly toward a recvonly B: A stops sending).
    let mut held = cfg(B, 1);
    held.send = false;
    let now = p.now;
    p.a.media.update(held, now, wall()).unwrap();
    let sent = p.a.media.stats().packets_sent;
    p.run(Duration::from_secs(1));
    assert_eq!(p.a.media.stats().packets_sent, sent, "no RTP while held");
}

#[test]
fn a_far_end_gone_silent_times_out_unless_the_call_is_held() {
    let mut ca = cfg(B, 1);
    ca.media_timeout = Some(Duration::from_secs(2));
    let net = NetemConfig {
        loss: Loss::Random { p: 1.0 }, // the far end's packets stop arriving
        ..NetemConfig::default()
    };
    let mut p = Pair::new(ca.clone(), cfg(A, 2), net);
    p.run(Duration::from_secs(3));
    assert!(
        p.a.events.contains(&MediaEvent::Timeout),
        "{:?}",
        p.a.events
    );
    // Held (we receive nothing by agreement): no timeout.
    ca.receive = false;
    let mut p = Pair::new(ca, cfg(A, 2), net);
    p.run(Duration::from_secs(3));
    assert!(
        !p.a.events.contains(&MediaEvent::Timeout),
        "{:?}",
        p.a.events
    );
}

#[test]
fn bad_configuration_names_the_field() {
    let mut c = cfg(B, 1);
    c.ptime_ms = 25;
    let e = MediaSession::new(c, Instant::now_for_test(), wall()).unwrap_err();
    assert!(e.to_string().contains("ptime_ms"), "{e}");
}

trait TestNow {
    fn now_for_test() -> Instant;
}

impl TestNow for Instant {
    #[allow(clippy::disallowed_methods)]
    fn now_for_test() -> Instant {
        Instant::now()
    }
}

#[test]
fn voice_band_data_turns_off_the_voice_processing_and_fixes_the_jitter_buffer() {
    let mut ca = cfg(B, 1);
    ca.echo_canceller = Some(tipring_dsp::ec::EcConfig::default());
    let mut p = Pair::new(ca, cfg(A, 2), jittery(4));
    p.a.mouth = sine(2100.0, -12.0);
    p.run(Duration::from_secs(1));
    assert!(p.a.media.stats().echo_canceller_on);
    p.a.media.voice_band_data(60).unwrap();
    p.a.media.voice_band_data(60).unwrap(); // a second call changes nothing
    p.b.media.voice_band_data(60).unwrap();
    p.run(Duration::from_secs(2));
    let s = p.a.media.stats();
    assert!(s.voice_band_data && s.echo_canceller_on, "{s:?}");
    let c = p.a.media.config();
    assert!(!c.jitter.adaptive && c.jitter.start_ms == 60 && !c.vad);
    assert!(
        c.echo_canceller.is_some_and(|e| !e.nlp && !e.cng),
        "linear canceller only"
    );
    // The modem's tone still gets through at its level, and the fixed buffer holds it
    // near 60 ms instead of following the network.
    assert_hears(&p.b.ear, 2100.0, -12.0, 500, 1.0, "B hears the answer tone");
    let t = p.b.media.stats().jitter_buffer_target_ms;
    assert!((40..=80).contains(&t), "fixed target {t} ms");
}

/// Two fax machines (spandsp's T.30 terminals) talk through two media sessions in
/// voice-band data mode over `net` (with the lines' hybrid echo and the linear echo
/// cancellers, when `hybrids`): the G.711 pass-through path without the gateway.
fn fax_over_vbd(net: NetemConfig, codec: CodecId, hybrids: bool) -> tipring_fax::FaxOutcome {
    fax_over_vbd_red(net, codec, hybrids, None)
}

fn fax_over_vbd_red(
    net: NetemConfig,
    codec: CodecId,
    hybrids: bool,
    red: Option<u8>,
) -> tipring_fax::FaxOutcome {
    let dir = std::env::temp_dir().join(format!("tipring-vbd-{}-{}", net.seed, std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let doc = dir.join("doc.tif");
    tipring_fax::document::write_test_document(&doc, 2).unwrap();
    let opts = tipring_fax::MachineOptions::default();
    let mut tx = tipring_fax::FaxMachine::sender(&doc, &opts).unwrap();
    let mut rx = tipring_fax::FaxMachine::receiver(&dir.join("got.tif"), &opts).unwrap();
    let (mut ca, mut cb) = (cfg(B, 1), cfg(A, 2));
    for c in [&mut ca, &mut cb] {
        if hybrids {
            c.echo_canceller = Some(tipring_dsp::ec::EcConfig::default());
        }
        c.codec = codec;
        c.payload_type = if codec == CodecId::Pcma { 8 } else { 0 };
        c.red = red;
    }
    let mut p = Pair::new(ca, cb, net);
    if hybrids {
        p.a.hybrid = Some(Hybrid::new());
        p.b.hybrid = Some(Hybrid::new());
    }
    p.a.media.voice_band_data(60).unwrap();
    p.b.media.voice_band_data(60).unwrap();
    let mut buf = [0u8; MAX_DATAGRAM];
    let (mut a_said, mut b_said) = ([0i16; 80], [0i16; 80]);
    for _ in 0..12_000 {
        p.now += FRAME;
        let now = p.now;
        tx.tx_audio(&mut a_said);
        rx.tx_audio(&mut b_said);
        for (side, said, m) in [(&mut p.a, &a_said, &mut tx), (&mut p.b, &b_said, &mut rx)] {
            let mut next = [0i16; 80];
            let mut said = *said;
            if let Some(h) = side.hybrid.as_mut() {
                h.echo(&side.sent, &mut said);
            }
            side.media.exchange(now, &side.sent, &said, &mut next);
            side.sent = next;
            m.rx_audio(&next);
            if side.media.poll_timeout().is_some_and(|t| t <= now) {
                side.media.handle_timeout(now);
            }
            while let Some(t) = side.media.poll_transmit(&mut buf) {
                p.net.send(now, (side.addr, t.to, buf[..t.len].to_vec()));
            }
        }
        while let Some(d) = p.net.poll(now) {
            let (from, to, data) = d.packet;
            let side = if to == p.a.addr { &mut p.a } else { &mut p.b };
            side.media.receive(now, Channel::Rtp, from, &data);
        }
        if tx.outcome().is_some() && rx.outcome().is_some() {
            break;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let s = p.b.media.stats();
    eprintln!("B frames by kind {:?}, lost {}", s.frames, s.lost);
    let o = rx.outcome().expect("the receiver finished");
    // No T.30 retries: a 2-page fax at 14,400 bit/s is over in about 30 s.
    assert!(
        s.frames[0] < 3500,
        "{} s of audio: the fax needed retries",
        s.frames[0] / 100
    );
    o
}

#[test]
fn a_fax_crosses_two_sessions_in_voice_band_data_mode() {
    let o = fax_over_vbd(jittery(21), CodecId::Pcmu, false);
    assert!(o.success && o.pages == 2, "{o:?}");
    let o = fax_over_vbd(jittery(22), CodecId::Pcma, true);
    assert!(o.success && o.pages == 2, "{o:?}");
}

#[test]
fn rfc2198_redundancy_carries_a_fax_through_loss() {
    let net = NetemConfig {
        loss: Loss::Random { p: 0.02 },
        ..jittery(31)
    };
    let o = fax_over_vbd_red(net, CodecId::Pcmu, true, Some(121));
    assert!(o.success && o.pages == 2, "{o:?}");
}

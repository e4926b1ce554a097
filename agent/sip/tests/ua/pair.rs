//! Two user agents on a seeded emulated network (latency, jitter, loss), stepped in virtual
//! time: calls survive loss through retransmission, and a CANCEL that crosses the 200
//! ends cleanly on both sides.

use std::time::{Duration, Instant};

use tipring_sip::fax::{T38Params, T38Session, UdpEc};
use tipring_sip::media::{Codec, SrtpKeys, SrtpPolicy};
use tipring_sip::{
    Account, CallEvent, Command, Event, Input, Output, Peer, RegistrationPolicy, Secret,
    TransportKind, UaConfig, UserAgent,
};

const A: &str = "127.0.0.1:5070";
const B: &str = "127.0.0.2:5070";

fn ua(local: &str, user: &str, peer: &str, seed: u8) -> UserAgent {
    ua_with(local, user, peer, seed, SrtpPolicy::Off)
}

fn ua_with(local: &str, user: &str, peer: &str, seed: u8, srtp: SrtpPolicy) -> UserAgent {
    ua_full(local, user, peer, seed, srtp, |_| {})
}

fn ua_full(
    local: &str,
    user: &str,
    peer: &str,
    seed: u8,
    srtp: SrtpPolicy,
    tweak: impl FnOnce(&mut Account),
) -> UserAgent {
    let mut cfg = UaConfig {
        local: local.parse().unwrap(),
        transport: TransportKind::Udp,
        user_agent: "pair".into(),
        timers: Default::default(),
        registration: RegistrationPolicy::default(),
        rng_seed: [seed; 32],
        codecs: vec![tipring_sip::media::PCMU],
        srtp,
        accounts: vec![Account {
            user: user.into(),
            auth_user: None,
            password: Secret::new("x"),
            domain: "pbx.test".into(),
            display_name: None,
            servers: vec![Peer::udp(peer.parse().unwrap())],
            expires: 3600,
            register: false,
            rtp_port: 40000,
            rtp_port_second: 40002,
            subscribe_mwi: false,
            codecs: Vec::new(),
            t38: None,
        }],
    };
    tweak(&mut cfg.accounts[0]);
    UserAgent::new(cfg)
}

/// A seeded network: each datagram is lost with probability `loss`, else delivered after
/// `latency` plus up to `jitter`.
struct Net {
    state: u64,
    loss: f64,
    latency: Duration,
    jitter: Duration,
    in_flight: Vec<(Instant, Peer, Peer, Vec<u8>)>,
    sent: usize,
    lost: usize,
}

impl Net {
    fn rand(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn send(&mut self, now: Instant, from: Peer, to: Peer, data: Vec<u8>) {
        self.sent += 1;
        if self.rand() < self.loss {
            self.lost += 1;
            return;
        }
        let at = now + self.latency + self.jitter.mul_f64(self.rand());
        self.in_flight.push((at, from, to, data));
    }
}

struct Pair {
    a: UserAgent,
    b: UserAgent,
    net: Net,
    now: Instant,
    events_a: Vec<Event>,
    events_b: Vec<Event>,
}

impl Pair {
    fn new(loss: f64, seed: u64) -> Self {
        #[allow(clippy::disallowed_methods)] // the test's epoch; virtual time from here
        let now = Instant::now();
        Self {
            a: ua(A, "101", B, 1),
            b: ua(B, "102", A, 2),
            net: Net {
                state: seed,
                loss,
                latency: Duration::from_millis(40),
                jitter: Duration::from_millis(30),
                in_flight: Vec::new(),
                sent: 0,
                lost: 0,
            },
            now,
            events_a: Vec::new(),
            events_b: Vec::new(),
        }
    }

    fn drain(&mut self) {
        let now = self.now;
        for (ua, me, events) in [
            (&mut self.a, A, &mut self.events_a),
            (&mut self.b, B, &mut self.events_b),
        ] {
            while let Some(o) = ua.poll_output() {
                match o {
                    Output::Transmit { to, data } => {
                        self.net.send(now, Peer::udp(me.parse().unwrap()), to, data)
                    }
                    Output::Event(e) => events.push(e),
                }
            }
        }
    }

    fn command_a(&mut self, command: Command) {
        let now = self.now;
        self.a.handle_input(Input::Command { now, command });
        self.drain();
    }

    fn command_b(&mut self, command: Command) {
        let now = self.now;
        self.b.handle_input(Input::Command { now, command });
        self.drain();
    }

    /// Step to the next event (a delivery or a timer) until `end`.
    fn run_until(&mut self, end: Instant, mut stop: impl FnMut(&Pair) -> bool) {
        loop {
            if stop(self) {
                return;
            }
            let next_net = self.net.in_flight.iter().map(|m| m.0).min();
            let next = [next_net, self.a.poll_timeout(), self.b.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            let Some(next) = next.filter(|t| *t <= end) else {
                self.now = end;
                return;
            };
            self.now = self.now.max(next);
            let now = self.now;
            let due: Vec<_> = {
                let (due, rest) = std::mem::take(&mut self.net.in_flight)
                    .into_iter()
                    .partition(|m| m.0 <= now);
                self.net.in_flight = rest;
                due
            };
            for (_, from, to, data) in due {
                let ua = if to.addr == A.parse().unwrap() {
                    &mut self.a
                } else {
                    &mut self.b
                };
                ua.handle_input(Input::Receive {
                    now,
                    from,
                    data: &data,
                });
            }
            for ua in [&mut self.a, &mut self.b] {
                if ua.poll_timeout().is_some_and(|t| t <= now) {
                    ua.handle_input(Input::Timeout(now));
                }
            }
            self.drain();
        }
    }
}

fn has(events: &[Event], wanted: &CallEvent) -> bool {
    events
        .iter()
        .any(|e| matches!(e, Event::Call { event, .. } if event == wanted))
}

#[test]
fn calls_complete_over_a_lossy_network() {
    for seed in 1..=20u64 {
        let mut p = Pair::new(0.3, seed);
        p.command_a(Command::Dial {
            account: 0,
            number: "102".into(),
            private: false,
        });
        let limit = p.now + Duration::from_secs(30);
        p.run_until(limit, |p| p.b.has_call(0));
        assert!(p.b.has_call(0), "seed {seed}: the INVITE got through");
        p.command_b(Command::Answer(0));
        p.run_until(limit, |p| has(&p.events_a, &CallEvent::Answered));
        assert!(
            has(&p.events_a, &CallEvent::Answered),
            "seed {seed}: caller saw the answer"
        );
        // Let the ACK settle, then the caller hangs up.
        let settle = p.now + Duration::from_secs(20);
        p.run_until(settle, |_| false);
        p.command_a(Command::Hangup(0));
        p.run_until(p.now + Duration::from_secs(40), |p| {
            has(&p.events_b, &CallEvent::RemoteHangup)
        });
        assert!(
            has(&p.events_b, &CallEvent::RemoteHangup),
            "seed {seed}: BYE got through"
        );
        assert!(p.net.lost > 0, "seed {seed}: the network did lose packets");
    }
}

#[test]
fn cancel_crossing_the_200_ends_both_sides() {
    let mut p = Pair::new(0.0, 9);
    p.command_a(Command::Dial {
        account: 0,
        number: "102".into(),
        private: false,
    });
    let limit = p.now + Duration::from_secs(5);
    p.run_until(limit, |p| {
        p.b.has_call(0) && has(&p.events_a, &CallEvent::Ringing)
    });
    // At the same instant the callee answers and the caller gives up: the 200 and the
    // CANCEL cross on the wire (40-70 ms each way).
    p.command_b(Command::Answer(0));
    p.command_a(Command::Hangup(0));
    p.run_until(p.now + Duration::from_secs(40), |_| false);
    // The caller ACKed the 200 and ended the call with BYE (RFC 3261 §9.1); the callee saw
    // the call answered and then hung up; neither side has a call left or saw a failure.
    assert!(!p.a.has_call(0) && !p.b.has_call(0));
    assert!(
        !has(&p.events_a, &CallEvent::Answered),
        "the caller had given up"
    );
    assert!(has(&p.events_b, &CallEvent::RemoteHangup));
    let failed = |ev: &[Event]| {
        ev.iter().any(|e| {
            matches!(
                e,
                Event::Call {
                    event: CallEvent::Failed { .. },
                    ..
                }
            )
        })
    };
    assert!(!failed(&p.events_a) && !failed(&p.events_b));
}

#[test]
fn srtp_calls_get_fresh_keys_that_match_crosswise() {
    fn keys(events: &[Event]) -> Vec<SrtpKeys> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Media { session, .. } => session.srtp.clone(),
                _ => None,
            })
            .collect()
    }
    let mut p = Pair::new(0.0, 3);
    p.a = ua_with(A, "101", B, 1, SrtpPolicy::Mandatory);
    p.b = ua_with(B, "102", A, 2, SrtpPolicy::Optional);
    let mut seen = Vec::new();
    for _ in 0..2 {
        p.events_a.clear();
        p.events_b.clear();
        p.command_a(Command::Dial {
            account: 0,
            number: "102".into(),
            private: false,
        });
        let limit = p.now + Duration::from_secs(5);
        p.run_until(limit, |p| p.b.has_call(0));
        p.command_b(Command::Answer(0));
        p.run_until(limit, |p| has(&p.events_a, &CallEvent::Answered));
        let (ka, kb) = (keys(&p.events_a), keys(&p.events_b));
        assert_eq!((ka.len(), kb.len()), (1, 1), "one SRTP session each side");
        // What one side sends with is what the other receives with (RFC 4568 §6.1).
        assert_eq!(ka[0].local, kb[0].remote);
        assert_eq!(ka[0].remote, kb[0].local);
        assert_ne!(ka[0].local, ka[0].remote);
        seen.push(ka[0].local.clone());
        p.command_a(Command::Hangup(0));
        p.run_until(p.now + Duration::from_secs(5), |p| !p.b.has_call(0));
    }
    assert_ne!(seen[0], seen[1], "every call has its own master key");
}

#[test]
fn a_call_goes_straight_to_a_peer_gateway() {
    // A's registrar is somewhere else (and silent); the call goes to B's address anyway,
    // with B's address in the Request-URI, and B's account takes it.
    let mut p = Pair::new(0.0, 4);
    p.a = ua("127.0.0.1:5070", "101", "127.0.0.9:5060", 1);
    p.command_a(Command::DialPeer {
        account: 0,
        number: "102".into(),
        peer: Peer::udp(B.parse().unwrap()),
        private: false,
    });
    let limit = p.now + Duration::from_secs(5);
    p.run_until(limit, |p| p.b.has_call(0));
    assert!(p.b.has_call(0), "the peer gateway got the INVITE");
    p.command_b(Command::Answer(0));
    p.run_until(limit, |p| has(&p.events_a, &CallEvent::Answered));
    assert!(has(&p.events_a, &CallEvent::Answered));
}

/// A connected call between the two, both sides with this T.38 policy.
fn fax_call(a_t38: Option<T38Params>, b_t38: Option<T38Params>, codec_b: Option<Codec>) -> Pair {
    let mut p = Pair::new(0.0, 11);
    let codecs: Vec<Codec> = codec_b
        .into_iter()
        .chain([tipring_sip::media::PCMU])
        .collect();
    let (ca, cb) = (codecs.clone(), codecs);
    p.a = ua_full(A, "101", B, 1, SrtpPolicy::Off, |acc| {
        acc.t38 = a_t38;
        acc.codecs = ca;
    });
    p.b = ua_full(B, "102", A, 2, SrtpPolicy::Off, |acc| {
        acc.t38 = b_t38;
        acc.codecs = cb;
    });
    p.command_a(Command::Dial {
        account: 0,
        number: "102".into(),
        private: false,
    });
    let limit = p.now + Duration::from_secs(5);
    p.run_until(limit, |p| p.b.has_call(0));
    p.command_b(Command::Answer(0));
    p.run_until(limit, |p| has(&p.events_a, &CallEvent::Answered));
    p.run_until(p.now + Duration::from_secs(1), |_| false);
    p.events_a.clear();
    p.events_b.clear();
    p
}

fn fax_sessions(events: &[Event]) -> Vec<T38Session> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Fax { session, .. } => Some(session.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_fax_switch_to_t38_is_agreed_by_both_sides() {
    let b_params = T38Params {
        max_bit_rate: 9600,
        max_datagram: 300,
        ..T38Params::default()
    };
    let mut p = fax_call(Some(T38Params::default()), Some(b_params), None);
    // The answering gateway heard CED from its fax machine: it asks for T.38.
    p.command_b(Command::SwitchToFax {
        account: 0,
        t38: true,
    });
    p.run_until(p.now + Duration::from_secs(2), |p| {
        !fax_sessions(&p.events_a).is_empty() && !fax_sessions(&p.events_b).is_empty()
    });
    let (fa, fb) = (fax_sessions(&p.events_a), fax_sessions(&p.events_b));
    assert_eq!(
        (fa.len(), fb.len()),
        (1, 1),
        "{:?} {:?}",
        p.events_a,
        p.events_b
    );
    assert_eq!(fa[0].remote, "127.0.0.2:40000".parse().unwrap());
    assert_eq!(fb[0].remote, "127.0.0.1:40000".parse().unwrap());
    assert_eq!(fa[0].params.max_bit_rate, 9600, "the lower rate");
    assert_eq!(fb[0].params.max_bit_rate, 9600);
    assert_eq!(fb[0].params.max_datagram, 400, "what A can receive");
    assert_eq!(fa[0].params.max_datagram, 300, "what B can receive");
    assert_eq!(fa[0].params.udp_ec, UdpEc::Redundancy);
    // The fax call ends as any call does.
    p.command_a(Command::Hangup(0));
    p.run_until(p.now + Duration::from_secs(5), |p| !p.b.has_call(0));
    assert!(has(&p.events_b, &CallEvent::RemoteHangup));
}

#[test]
fn t38_refused_by_the_far_end_is_reported_and_pass_through_follows() {
    let mut p = fax_call(
        Some(T38Params::default()),
        None,
        Some(tipring_sip::media::G722),
    );
    p.command_a(Command::SwitchToFax {
        account: 0,
        t38: true,
    });
    let refused = CallEvent::FaxRefused {
        t38: true,
        status: 488,
    };
    p.run_until(p.now + Duration::from_secs(2), |p| {
        has(&p.events_a, &refused)
    });
    assert!(has(&p.events_a, &refused), "{:?}", p.events_a);
    assert!(fax_sessions(&p.events_b).is_empty());
    // G.711 voice-band data instead: the call ran G.722, the re-INVITE moves it to PCMU.
    p.events_a.clear();
    p.command_a(Command::SwitchToFax {
        account: 0,
        t38: false,
    });
    let codec = |events: &[Event]| {
        events.iter().find_map(|e| match e {
            Event::Media { session, .. } => Some(session.codec.name),
            _ => None,
        })
    };
    p.run_until(p.now + Duration::from_secs(2), |p| {
        codec(&p.events_a).is_some()
    });
    assert_eq!(codec(&p.events_a), Some("PCMU"));
    assert_eq!(codec(&p.events_b), Some("PCMU"));
    assert!(!p.events_a.iter().any(|e| matches!(
        e,
        Event::Call {
            event: CallEvent::FaxRefused { .. },
            ..
        }
    )));
}

#[test]
fn crossing_t38_reinvites_settle_on_one_t38_session() {
    let mut p = fax_call(Some(T38Params::default()), Some(T38Params::default()), None);
    // Both gateways detect the fax at the same moment (CNG on one, CED on the other).
    p.command_a(Command::SwitchToFax {
        account: 0,
        t38: true,
    });
    p.command_b(Command::SwitchToFax {
        account: 0,
        t38: true,
    });
    p.run_until(p.now + Duration::from_secs(8), |_| false);
    let (fa, fb) = (fax_sessions(&p.events_a), fax_sessions(&p.events_b));
    assert!(!fa.is_empty() && !fb.is_empty(), "{:?}", p.events_a);
    assert_eq!(fa.last().unwrap().remote.port(), 40000);
    assert!(p.a.has_call(0) && p.b.has_call(0));
}

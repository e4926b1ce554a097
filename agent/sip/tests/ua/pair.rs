//! Two user agents on a seeded emulated network (latency, jitter, loss), stepped in virtual
//! time: calls survive loss through retransmission, and a CANCEL that crosses the 200
//! ends cleanly on both sides.

use std::time::{Duration, Instant};

use tipring_sip::media::{SrtpKeys, SrtpPolicy};
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
    UserAgent::new(UaConfig {
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
        }],
    })
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

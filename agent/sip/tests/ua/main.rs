//! Scenario tests of the user agent in virtual time against scripted peers built from the
//! same message layer (the real-peer tests with SIPp and Kamailio live in
//! `integration-tests`).

mod calls;
mod pair;
mod ping;
mod registration;
mod torture;
mod transactions;
mod transfer;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tipring_sip::{
    Account, Event, Input, Output, Peer, RegistrationPolicy, Secret, TransportKind, UaConfig,
    UserAgent,
};
use tipring_sip_message::{Message, Request, Response};

pub const SERVER_A: &str = "127.0.0.1:5060";
pub const SERVER_B: &str = "127.0.0.1:5062";
pub const LOCAL: &str = "127.0.0.1:5070";

pub fn peer(s: &str) -> Peer {
    Peer::udp(s.parse::<SocketAddr>().unwrap())
}

pub fn account(user: &str) -> Account {
    Account {
        user: user.into(),
        auth_user: None,
        password: Secret::new(format!("pw-{user}")),
        domain: "pbx.test".into(),
        display_name: Some(format!("Port {user}")),
        servers: vec![peer(SERVER_A), peer(SERVER_B)],
        expires: 3600,
        register: true,
        rtp_port: 40000,
        rtp_port_second: 40002,
        subscribe_mwi: false,
        codecs: Vec::new(),
        t38: None,
    }
}

/// A UA with the given accounts, in virtual time.
#[derive(Debug)]
pub struct Rig {
    pub ua: UserAgent,
    pub now: Instant,
    pub t0: Instant,
    pub sent: Vec<(Peer, Vec<u8>)>,
    pub events: Vec<Event>,
}

impl Rig {
    pub fn new(accounts: Vec<Account>) -> Self {
        #[allow(clippy::disallowed_methods)] // the test's epoch; virtual time from here
        let t0 = Instant::now();
        let cfg = UaConfig {
            local: LOCAL.parse().unwrap(),
            transport: TransportKind::Udp,
            user_agent: "Tipring-test".into(),
            timers: Default::default(),
            registration: RegistrationPolicy::default(),
            rng_seed: [7; 32],
            codecs: vec![tipring_sip::media::PCMU, tipring_sip::media::PCMA],
            srtp: Default::default(),
            accounts,
        };
        Self {
            ua: UserAgent::new(cfg),
            now: t0,
            t0,
            sent: Vec::new(),
            events: Vec::new(),
        }
    }

    fn drain(&mut self) {
        while let Some(o) = self.ua.poll_output() {
            match o {
                Output::Transmit { to, data } => self.sent.push((to, data)),
                Output::Event(e) => self.events.push(e),
            }
        }
    }

    pub fn command(&mut self, command: tipring_sip::Command) {
        let now = self.now;
        self.ua.handle_input(Input::Command { now, command });
        self.drain();
    }

    pub fn transport_error(&mut self, to: Peer) {
        let now = self.now;
        self.ua.handle_input(Input::TransportError { now, to });
        self.drain();
    }

    pub fn receive(&mut self, from: &str, msg: impl Into<Message>) {
        let bytes = msg.into().to_bytes();
        self.receive_bytes(from, &bytes);
    }

    pub fn receive_bytes(&mut self, from: &str, data: &[u8]) {
        let now = self.now;
        self.ua.handle_input(Input::Receive {
            now,
            from: peer(from),
            data,
        });
        self.drain();
    }

    /// Advance virtual time by `d`, running every timer that falls due.
    pub fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        while let Some(t) = self.ua.poll_timeout() {
            if t > end {
                break;
            }
            self.now = self.now.max(t);
            let now = self.now;
            self.ua.handle_input(Input::Timeout(now));
            self.drain();
        }
        self.now = end;
    }

    /// Take what was sent, parsed.
    pub fn take_sent(&mut self) -> Vec<(Peer, Message)> {
        std::mem::take(&mut self.sent)
            .into_iter()
            .map(|(p, d)| (p, Message::parse(&d).expect("the UA sends valid SIP")))
            .collect()
    }

    /// The single request sent since the last take (panics otherwise).
    pub fn one_request(&mut self) -> (Peer, Request) {
        let mut sent = self.take_sent();
        assert_eq!(sent.len(), 1, "expected one message, got {sent:#?}");
        match sent.pop().unwrap() {
            (p, Message::Request(r)) => (p, r),
            (_, m) => panic!("expected a request, got {m:?}"),
        }
    }

    pub fn responses(&mut self) -> Vec<Response> {
        self.take_sent()
            .into_iter()
            .filter_map(|(_, m)| match m {
                Message::Response(r) => Some(r),
                _ => None,
            })
            .collect()
    }

    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }
}

/// A response to `req` as a server would build it.
pub fn reply(req: &Request, status: u16, to_tag: Option<&str>) -> Response {
    req.make_response(status, tipring_sip_message::reason_phrase(status), to_tag)
}

//! The core in virtual time: a scripted network, no sockets, no sleeping.

use super::*;
use crate::dns::Soa;

const NS1: &str = "192.0.2.53:53";
const NS2: &str = "198.51.100.53:53";

fn ns1() -> SocketAddr {
    NS1.parse().unwrap()
}

fn ns2() -> SocketAddr {
    NS2.parse().unwrap()
}

fn n(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

fn a(ip: &str) -> RData {
    RData::A(ip.parse().unwrap())
}

fn aaaa(ip: &str) -> RData {
    RData::Aaaa(ip.parse().unwrap())
}

fn srv(priority: u16, weight: u16, port: u16, target: &str) -> RData {
    RData::Srv(Srv {
        priority,
        weight,
        port,
        target: n(target),
    })
}

fn soa(ttl: u32, minimum: u32) -> Record {
    Record::new(
        n("example.com"),
        ttl,
        RData::Soa(Soa {
            mname: n("ns.example.com"),
            rname: n("admin.example.com"),
            serial: 1,
            refresh: 7200,
            retry: 3600,
            expire: 1_209_600,
            minimum,
        }),
    )
}

#[allow(clippy::disallowed_methods)] // a test needs an epoch
fn epoch() -> Instant {
    Instant::now()
}

fn config() -> ResolverConfig {
    let mut c = ResolverConfig::new(vec![ns1(), ns2()], [1; 32]);
    c.timeout = Duration::from_secs(1);
    c.families = IpFamilies::V4Only;
    c
}

/// A query seen on the wire.
#[derive(Debug, Clone)]
struct Sent {
    to: SocketAddr,
    msg: Message,
}

impl Sent {
    fn question(&self) -> (String, RecordType) {
        let q = &self.msg.questions[0];
        (q.name.to_string(), q.rtype)
    }

    /// The server's answer: these records, this code, an authority section.
    fn reply(&self, rcode: Rcode, answers: Vec<Record>, authorities: Vec<Record>) -> Vec<u8> {
        let mut m = self.msg.clone();
        m.header.response = true;
        m.header.recursion_available = true;
        m.header.rcode = rcode;
        m.answers = answers;
        m.authorities = authorities;
        m.encode().unwrap()
    }

    /// A NOERROR answer with these records owned by the question's name.
    fn records(&self, ttl: u32, data: Vec<RData>) -> Vec<u8> {
        let owner = self.msg.questions[0].name.clone();
        let answers = data
            .into_iter()
            .map(|d| Record::new(owner.clone(), ttl, d))
            .collect();
        self.reply(Rcode::NOERROR, answers, vec![])
    }
}

/// A locate, its cache, and the virtual clock.
struct Harness {
    config: ResolverConfig,
    cache: Cache,
    t0: Instant,
    now: Instant,
    locate: Locate,
    result: Option<Result<Vec<Peer>>>,
}

impl Harness {
    fn new(spec: &str, transport: TransportKind, config: ResolverConfig) -> Self {
        let mut cache = Cache::new(&config);
        let t0 = epoch();
        let locate = Locate::new(
            t0,
            &spec.parse().unwrap(),
            transport,
            &config,
            &mut cache,
            Rng::from_seed([5; 32]),
        );
        Harness {
            config,
            cache,
            t0,
            now: t0,
            locate,
            result: None,
        }
    }

    fn udp(spec: &str) -> Self {
        Harness::new(spec, TransportKind::Udp, config())
    }

    /// A new locate at `now` sharing the cache (and the clock).
    fn again(&mut self, spec: &str) {
        self.locate = Locate::new(
            self.now,
            &spec.parse().unwrap(),
            TransportKind::Udp,
            &self.config,
            &mut self.cache,
            Rng::from_seed([6; 32]),
        );
        self.result = None;
    }

    /// Every query sent since the last call (and the result, if it came).
    fn sent(&mut self) -> Vec<Sent> {
        let mut v = Vec::new();
        while let Some(out) = self.locate.poll_output() {
            match out {
                Output::Transmit { to, data } => v.push(Sent {
                    to,
                    msg: Message::decode(&data).unwrap(),
                }),
                Output::Done(r) => {
                    assert!(self.result.is_none(), "Done given twice");
                    self.result = Some(r);
                }
            }
        }
        v
    }

    /// The one query sent since the last call.
    fn one(&mut self) -> Sent {
        let mut v = self.sent();
        assert_eq!(v.len(), 1, "expected one query, got {v:?}");
        v.remove(0)
    }

    fn receive(&mut self, from: SocketAddr, bytes: &[u8]) {
        self.locate.handle_input(
            &mut self.cache,
            Input::Receive {
                now: self.now,
                from,
                data: bytes,
            },
        );
    }

    /// Jump to the next deadline.
    fn expire(&mut self) {
        let d = self.locate.poll_timeout().expect("a deadline");
        assert!(d >= self.now);
        self.now = d;
        self.locate.handle_input(&mut self.cache, Input::Timeout(d));
    }

    fn at(&self) -> Duration {
        self.now - self.t0
    }

    fn done(&mut self) -> Result<Vec<Peer>> {
        let rest = self.sent();
        assert!(rest.is_empty(), "queries after the end: {rest:?}");
        let r = self.result.take().expect("finished");
        assert_eq!(self.locate.poll_timeout(), None);
        r
    }

    fn peers(&mut self) -> Vec<String> {
        match self.done() {
            Ok(p) => p.iter().map(ToString::to_string).collect(),
            Err(e) => panic!("locate failed: {e}"),
        }
    }
}

// RFC 3263 §4.2: "If TARGET is a numeric IP address, the client uses that address", on
// the URI's port or the transport's default (5060, 5061 for TLS): no DNS at all.
#[test]
fn ip_literal_needs_no_dns() {
    let mut h = Harness::udp("192.0.2.10");
    assert!(h.sent().is_empty());
    assert_eq!(h.peers(), ["udp:192.0.2.10:5060"]);
    let mut h = Harness::new("[2001:db8::1]", TransportKind::Tls, config());
    assert_eq!(h.peers(), ["tls:[2001:db8::1]:5061"]);
    let mut h = Harness::new("192.0.2.10:5080", TransportKind::Tcp, config());
    assert_eq!(h.peers(), ["tcp:192.0.2.10:5080"]);
}

// RFC 3263 §4.2: with a port, "the client performs an A or AAAA record lookup of the
// domain name" — no SRV.
#[test]
fn explicit_port_skips_srv() {
    let mut h = Harness::udp("pbx.example.com:5080");
    let q = h.one();
    assert_eq!(q.to, ns1());
    assert_eq!(q.question(), ("pbx.example.com".into(), RecordType::A));
    assert!(q.msg.header.recursion_desired);
    h.receive(
        ns1(),
        &q.records(300, vec![a("192.0.2.10"), a("192.0.2.11")]),
    );
    assert_eq!(h.peers(), ["udp:192.0.2.10:5080", "udp:192.0.2.11:5080"]);
}

// RFC 3263 §4.2 + RFC 2782: SRV first; lower priority first; each target's addresses in
// target order, on the SRV port.
#[test]
fn srv_targets_in_priority_order() {
    let mut h = Harness::udp("example.com");
    let q = h.one();
    assert_eq!(
        q.question(),
        ("_sip._udp.example.com".into(), RecordType::SRV)
    );
    h.receive(
        ns1(),
        &q.records(
            600,
            vec![
                srv(20, 0, 5070, "backup.example.com"),
                srv(10, 0, 5060, "main.example.com"),
            ],
        ),
    );
    let mut qs = h.sent();
    qs.sort_by_key(|q| q.question());
    assert_eq!(
        qs.iter().map(Sent::question).collect::<Vec<_>>(),
        [
            ("backup.example.com".into(), RecordType::A),
            ("main.example.com".into(), RecordType::A)
        ]
    );
    // Answers in either order give the same list.
    h.receive(ns1(), &qs[1].records(60, vec![a("192.0.2.1")]));
    assert!(h.sent().is_empty() && h.result.is_none());
    h.receive(ns1(), &qs[0].records(60, vec![a("192.0.2.2")]));
    assert_eq!(h.peers(), ["udp:192.0.2.1:5060", "udp:192.0.2.2:5070"]);
}

// RFC 3263 §4.2: SIP over TCP uses `_sip._tcp`, TLS `_sips._tcp`; "If no SRV records
// were found, the client performs an A or AAAA record lookup of the domain name", on the
// default port (5061 for TLS).
#[test]
fn no_srv_falls_back_to_the_domain_on_the_default_port() {
    for (transport, owner, peer) in [
        (
            TransportKind::Udp,
            "_sip._udp.example.com",
            "udp:192.0.2.7:5060",
        ),
        (
            TransportKind::Tcp,
            "_sip._tcp.example.com",
            "tcp:192.0.2.7:5060",
        ),
        (
            TransportKind::Tls,
            "_sips._tcp.example.com",
            "tls:192.0.2.7:5061",
        ),
    ] {
        let mut h = Harness::new("example.com", transport, config());
        let q = h.one();
        assert_eq!(q.question(), (owner.into(), RecordType::SRV));
        h.receive(ns1(), &q.reply(Rcode::NXDOMAIN, vec![], vec![soa(300, 60)]));
        let q = h.one();
        assert_eq!(q.question(), ("example.com".into(), RecordType::A));
        h.receive(ns1(), &q.records(300, vec![a("192.0.2.7")]));
        assert_eq!(h.peers(), [peer]);
    }
    // NODATA (NOERROR, no SRV records) falls back the same way.
    let mut h = Harness::udp("example.com");
    let q = h.one();
    h.receive(ns1(), &q.reply(Rcode::NOERROR, vec![], vec![soa(300, 60)]));
    let q = h.one();
    h.receive(ns1(), &q.records(300, vec![a("192.0.2.8")]));
    assert_eq!(h.peers(), ["udp:192.0.2.8:5060"]);
}

// RFC 2782: "A Target of "." means that the service is decidedly not available at this
// domain."
#[test]
fn srv_target_dot_means_no_service() {
    let mut h = Harness::udp("example.com");
    let q = h.one();
    h.receive(ns1(), &q.records(300, vec![srv(0, 0, 0, ".")]));
    let e = h.done().unwrap_err();
    assert!(
        matches!(&e, Error::ServiceUnavailable { name } if name == &n("_sip._udp.example.com"))
    );
    assert!(!e.is_temporary());
}

// RFC 2782: servers "are urged" to put the targets' addresses in the additional section;
// with them there, no address query is needed.
#[test]
fn additional_section_saves_address_queries() {
    let mut config = config();
    config.families = IpFamilies::V4ThenV6;
    let mut h = Harness::new("example.com", TransportKind::Udp, config);
    let q = h.one();
    let mut m = q.msg.clone();
    m.header.response = true;
    m.answers = vec![Record::new(
        n("_sip._udp.example.com"),
        300,
        srv(1, 0, 5060, "sip.example.com"),
    )];
    m.additionals = vec![
        Record::new(n("sip.example.com"), 300, a("192.0.2.5")),
        Record::new(n("sip.example.com"), 300, aaaa("2001:db8::5")),
        // Not a target of this answer: not taken.
        Record::new(n("evil.example.net"), 300, a("203.0.113.66")),
    ];
    h.receive(ns1(), &m.encode().unwrap());
    assert_eq!(h.peers(), ["udp:192.0.2.5:5060", "udp:[2001:db8::5]:5060"]);
    assert!(h
        .cache
        .get(h.now, &n("evil.example.net"), RecordType::A)
        .is_none());
}

// resolv.conf(5) "timeout": after it, the query goes to the next server; an answer to
// the earlier transmission is still taken.
#[test]
fn timeout_moves_to_the_second_nameserver() {
    let mut h = Harness::udp("pbx.example.com:5060");
    let first = h.one();
    assert_eq!(first.to, ns1());
    h.expire();
    assert_eq!(h.at(), Duration::from_secs(1));
    let second = h.one();
    assert_eq!(second.to, ns2());
    assert_ne!(second.msg.header.id, first.msg.header.id);
    h.receive(ns2(), &second.records(300, vec![a("192.0.2.10")]));
    assert_eq!(h.peers(), ["udp:192.0.2.10:5060"]);

    let mut h = Harness::udp("pbx.example.com:5060");
    let first = h.one();
    h.expire();
    let _second = h.one();
    h.receive(ns1(), &first.records(300, vec![a("192.0.2.11")]));
    assert_eq!(h.peers(), ["udp:192.0.2.11:5060"]);
}

// resolv.conf(5) "attempts": rounds over all servers, then give up.
#[test]
fn every_attempt_times_out() {
    let mut h = Harness::udp("pbx.example.com:5060");
    let mut order = vec![h.one().to];
    for _ in 0..3 {
        h.expire();
        order.push(h.one().to);
    }
    assert_eq!(order, [ns1(), ns2(), ns1(), ns2()]);
    h.expire();
    assert_eq!(h.at(), Duration::from_secs(4));
    let e = h.done().unwrap_err();
    assert!(
        matches!(&e, Error::Timeout { name, rtype: RecordType::A } if name == &n("pbx.example.com"))
    );
    assert!(e.is_temporary());
}

// RFC 1035 §4.1.1: SERVFAIL / REFUSED are the server's failure, not an answer: the next
// server is asked at once; when all fail, the code is reported.
#[test]
fn server_failure_moves_on_at_once() {
    let mut h = Harness::udp("pbx.example.com:5060");
    let q = h.one();
    h.receive(ns1(), &q.reply(Rcode::SERVFAIL, vec![], vec![]));
    let q = h.one();
    assert_eq!(q.to, ns2());
    assert_eq!(h.at(), Duration::ZERO);
    h.receive(ns2(), &q.reply(Rcode::REFUSED, vec![], vec![]));
    for _ in 0..2 {
        let q = h.one();
        h.receive(q.to, &q.reply(Rcode::SERVFAIL, vec![], vec![]));
    }
    let e = h.done().unwrap_err();
    assert!(
        matches!(
            e,
            Error::ServerFailure {
                rcode: Rcode::SERVFAIL,
                ..
            }
        ),
        "{e}"
    );
}

// RFC 5452 §9.1: accept an answer only if it comes from the address queried, carries the
// ID sent, and repeats the question; everything else is ignored.
#[test]
fn answers_that_do_not_match_are_ignored() {
    let mut h = Harness::udp("pbx.example.com:5060");
    let q = h.one();
    let good = q.records(300, vec![a("192.0.2.10")]);
    let spoof = q.records(300, vec![a("203.0.113.66")]);
    // From another address, or the right server's other port.
    h.receive(ns2(), &spoof);
    h.receive("192.0.2.53:5353".parse().unwrap(), &spoof);
    // Wrong ID.
    let mut m = Message::decode(&spoof).unwrap();
    m.header.id ^= 1;
    h.receive(ns1(), &m.encode().unwrap());
    // Another question.
    let mut m = Message::decode(&spoof).unwrap();
    m.questions[0].name = n("other.example.com");
    h.receive(ns1(), &m.encode().unwrap());
    // QR not set (a query, not an answer), and bytes too short for a header.
    let mut m = Message::decode(&spoof).unwrap();
    m.header.response = false;
    h.receive(ns1(), &m.encode().unwrap());
    h.receive(ns1(), &spoof[..11]);
    assert!(h.sent().is_empty() && h.result.is_none());
    h.receive(ns1(), &good);
    assert_eq!(h.peers(), ["udp:192.0.2.10:5060"]);
}

// A datagram with our ID from the server queried that is not a DNS message: that
// server is treated as failed and the next one asked at once.
#[test]
fn malformed_answer_moves_on() {
    let mut h = Harness::udp("pbx.example.com:5060");
    let q = h.one();
    let mut bad = q.records(300, vec![a("192.0.2.10")]);
    bad.truncate(bad.len() - 2);
    h.receive(ns1(), &bad);
    let q2 = h.one();
    assert_eq!(q2.to, ns2());
    for _ in 0..2 {
        h.receive(q2.to, &[]);
    }
    h.expire();
    h.one();
    h.expire();
    h.one();
    h.expire();
    let e = h.done().unwrap_err();
    assert!(
        matches!(e, Error::Malformed { server, .. } if server == ns1()),
        "{e}"
    );
}

// RFC 1035 §4.1.1 TC / RFC 2181 §9: a truncated answer must not be used as if complete;
// without TCP, it is an error the caller sees.
#[test]
fn truncated_answer_is_an_error() {
    let mut h = Harness::udp("big.example.com:5060");
    let q = h.one();
    let mut m = Message::decode(&q.records(300, vec![a("192.0.2.1")])).unwrap();
    m.header.truncated = true;
    h.receive(ns1(), &m.encode().unwrap());
    let e = h.done().unwrap_err();
    assert!(matches!(e, Error::Truncated { server, rtype: RecordType::A, .. } if server == ns1()));
}

// RFC 1034 §3.6.2 / §5.3.3: a CNAME is followed, within the answer or by asking for its
// target; the result is cached under the name asked, for the least TTL of the chain.
#[test]
fn cname_is_followed_and_cached_under_the_alias() {
    let mut h = Harness::udp("sip.example.com:5060");
    let q = h.one();
    // The server stops at the alias (no SOA: not a NODATA answer).
    h.receive(
        ns1(),
        &q.reply(
            Rcode::NOERROR,
            vec![Record::new(
                n("sip.example.com"),
                30,
                RData::Cname(n("host.provider.net")),
            )],
            vec![],
        ),
    );
    let q = h.one();
    assert_eq!(q.question(), ("host.provider.net".into(), RecordType::A));
    h.receive(ns1(), &q.records(600, vec![a("192.0.2.20")]));
    assert_eq!(h.peers(), ["udp:192.0.2.20:5060"]);
    let (_, left) = h
        .cache
        .get(h.now, &n("sip.example.com"), RecordType::A)
        .unwrap();
    assert_eq!(left, 30);
    let (_, left) = h
        .cache
        .get(h.now, &n("host.provider.net"), RecordType::A)
        .unwrap();
    assert_eq!(left, 600);

    // A chain resolved by the server in one answer.
    let mut h = Harness::udp("www.example.com:5060");
    let q = h.one();
    h.receive(
        ns1(),
        &q.reply(
            Rcode::NOERROR,
            vec![
                Record::new(n("www.example.com"), 300, RData::Cname(n("a.example.net"))),
                Record::new(n("a.example.net"), 300, RData::Cname(n("b.example.org"))),
                Record::new(n("b.example.org"), 300, a("192.0.2.30")),
            ],
            vec![],
        ),
    );
    assert_eq!(h.peers(), ["udp:192.0.2.30:5060"]);
}

// RFC 1034 §5.3.3: "bound the amount of work" — CNAME loops end in an error.
#[test]
fn cname_loop_is_an_error() {
    let mut h = Harness::udp("loop.example.com:5060");
    let q = h.one();
    h.receive(
        ns1(),
        &q.reply(
            Rcode::NOERROR,
            vec![
                Record::new(
                    n("loop.example.com"),
                    300,
                    RData::Cname(n("pool.example.com")),
                ),
                Record::new(
                    n("pool.example.com"),
                    300,
                    RData::Cname(n("loop.example.com")),
                ),
            ],
            vec![],
        ),
    );
    let e = h.done().unwrap_err();
    assert!(matches!(e, Error::CnameChain { .. }), "{e}");

    // Aliases that chase each other across queries stop after MAX_CNAME_HOPS.
    let mut h = Harness::udp("c0.example.com:5060");
    for i in 0..=MAX_CNAME_HOPS {
        let q = h.one();
        let owner = q.msg.questions[0].name.clone();
        let next = n(&format!("c{}.example.com", i + 1));
        h.receive(
            ns1(),
            &q.reply(
                Rcode::NOERROR,
                vec![Record::new(owner, 300, RData::Cname(next))],
                vec![],
            ),
        );
    }
    assert!(matches!(h.done(), Err(Error::CnameChain { .. })));
}

// RFC 2308 §2.1 / RFC 3263 §4.2: NXDOMAIN for the host itself: no address.
#[test]
fn nxdomain_is_not_found() {
    let mut h = Harness::udp("nosuch.example.com:5060");
    let q = h.one();
    h.receive(
        ns1(),
        &q.reply(Rcode::NXDOMAIN, vec![], vec![soa(3600, 300)]),
    );
    let e = h.done().unwrap_err();
    assert!(matches!(&e, Error::NotFound { name } if name == &n("nosuch.example.com")));
    assert!(!e.is_temporary());
}

// RFC 1035 §3.2.1: answers are reused until their TTL runs out, then asked again.
#[test]
fn cached_answers_last_their_ttl() {
    let mut h = Harness::udp("example.com");
    let q = h.one();
    h.receive(
        ns1(),
        &q.records(120, vec![srv(1, 0, 5060, "sip.example.com")]),
    );
    let q = h.one();
    h.receive(ns1(), &q.records(60, vec![a("192.0.2.5")]));
    assert_eq!(h.peers(), ["udp:192.0.2.5:5060"]);

    h.now += Duration::from_secs(59);
    h.again("example.com");
    assert!(h.sent().is_empty());
    assert_eq!(h.peers(), ["udp:192.0.2.5:5060"]);

    // At 60 s the A record has expired, the SRV record (120 s) has not.
    h.now = h.t0 + Duration::from_secs(60);
    h.again("example.com");
    let q = h.one();
    assert_eq!(q.question(), ("sip.example.com".into(), RecordType::A));
    h.receive(ns1(), &q.records(60, vec![a("192.0.2.6")]));
    assert_eq!(h.peers(), ["udp:192.0.2.6:5060"]);

    h.now = h.t0 + Duration::from_secs(120);
    h.again("example.com");
    assert_eq!(h.one().question().1, RecordType::SRV);
}

// RFC 2308 §5: a negative answer is cached for min(SOA TTL, SOA MINIMUM); without an
// SOA it is not cached.
#[test]
fn negative_answers_are_cached_per_soa() {
    let mut h = Harness::udp("example.com");
    let q = h.one();
    h.receive(
        ns1(),
        &q.reply(Rcode::NXDOMAIN, vec![], vec![soa(3600, 30)]),
    );
    let q = h.one();
    h.receive(ns1(), &q.records(3600, vec![a("192.0.2.7")]));
    h.peers();
    h.now += Duration::from_secs(29);
    h.again("example.com");
    assert_eq!(h.peers(), ["udp:192.0.2.7:5060"]); // neither SRV nor A asked
    h.now += Duration::from_secs(1);
    h.again("example.com");
    assert_eq!(h.one().question().1, RecordType::SRV);

    let mut h = Harness::udp("example.org");
    let q = h.one();
    h.receive(ns1(), &q.reply(Rcode::NXDOMAIN, vec![], vec![]));
    let q = h.one();
    h.receive(ns1(), &q.records(3600, vec![a("192.0.2.8")]));
    h.peers();
    h.again("example.org");
    assert_eq!(h.one().question().1, RecordType::SRV);
}

// RFC 3263 §4.3 ("try the next element") read with §4.2: a target that does not resolve
// is left out; only an empty list is an error, reported as the first target's failure.
#[test]
fn unresolvable_targets_are_skipped() {
    let mut h = Harness::udp("example.com");
    let q = h.one();
    h.receive(
        ns1(),
        &q.records(
            300,
            vec![
                srv(1, 0, 5060, "gone.example.com"),
                srv(2, 0, 5060, "up.example.com"),
                srv(3, 0, 5062, "up.example.com"),
            ],
        ),
    );
    for q in h.sent() {
        match q.question().0.as_str() {
            "gone.example.com" => h.receive(ns1(), &q.reply(Rcode::NXDOMAIN, vec![], vec![])),
            _ => h.receive(ns1(), &q.records(300, vec![a("192.0.2.9")])),
        }
    }
    // One lookup for the two records of up.example.com, both ports kept.
    assert_eq!(h.peers(), ["udp:192.0.2.9:5060", "udp:192.0.2.9:5062"]);

    let mut h = Harness::udp("example.com");
    let q = h.one();
    h.receive(
        ns1(),
        &q.records(
            300,
            vec![
                srv(1, 0, 5060, "slow.example.com"),
                srv(2, 0, 5060, "gone.example.com"),
            ],
        ),
    );
    for q in h.sent() {
        if q.question().0 == "gone.example.com" {
            h.receive(ns1(), &q.reply(Rcode::NXDOMAIN, vec![], vec![]));
        }
    }
    while h.result.is_none() {
        h.expire();
        h.sent();
    }
    let e = h.result.take().unwrap().unwrap_err();
    assert!(
        matches!(&e, Error::Timeout { name, .. } if name == &n("slow.example.com")),
        "{e}"
    );
}

// The configured family order decides which addresses of a host come first; the same
// address from two targets appears once.
#[test]
fn family_order_and_duplicates() {
    let mut config = config();
    config.families = IpFamilies::V6ThenV4;
    let mut h = Harness::new("pbx.example.com:5060", TransportKind::Udp, config);
    let mut qs = h.sent();
    assert_eq!(qs.len(), 2);
    qs.sort_by_key(|q| q.question());
    h.receive(
        ns1(),
        &qs[0].records(300, vec![a("192.0.2.1"), a("192.0.2.1")]),
    );
    h.receive(ns1(), &qs[1].records(300, vec![aaaa("2001:db8::1")]));
    assert_eq!(h.peers(), ["udp:[2001:db8::1]:5060", "udp:192.0.2.1:5060"]);
}

// RFC 5452 §9.2 asks for unpredictable IDs: ours come from the seed, differ per query
// within a locate, and differ between seeds.
#[test]
fn ids_come_from_the_seed() {
    let ids = |seed: u8| {
        let config = config();
        let mut cache = Cache::new(&config);
        let mut l = Locate::new(
            epoch(),
            &"pbx.example.com:5060".parse().unwrap(),
            TransportKind::Udp,
            &config,
            &mut cache,
            Rng::from_seed([seed; 32]),
        );
        let mut ids = Vec::new();
        while let Some(t) = l.poll_timeout() {
            while let Some(Output::Transmit { data, .. }) = l.poll_output() {
                ids.push(u16::from_be_bytes([data[0], data[1]]));
            }
            l.handle_input(&mut cache, Input::Timeout(t));
        }
        ids
    };
    let a = ids(1);
    assert_eq!(a.len(), 4);
    let unique: HashSet<_> = a.iter().collect();
    assert_eq!(unique.len(), 4);
    assert_eq!(a, ids(1));
    assert_ne!(a, ids(2));
}

// An unusable configuration is reported, not a hang.
#[test]
fn no_nameserver_is_reported() {
    let mut c = config();
    c.nameservers.clear();
    let mut h = Harness::new("example.com", TransportKind::Udp, c.clone());
    assert!(matches!(h.done(), Err(Error::InvalidConfig(_))));
    // An IP literal needs no name server.
    let mut h = Harness::new("192.0.2.1", TransportKind::Udp, c);
    assert_eq!(h.peers(), ["udp:192.0.2.1:5060"]);
}

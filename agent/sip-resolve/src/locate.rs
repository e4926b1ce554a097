//! The sans-IO core: one RFC 3263 §4.2 server location, as a state machine driven by
//! received datagrams and the time.
//!
//! [`Locate::new`] decides what to ask; [`Locate::poll_output`] yields the datagrams to
//! send and, once, the result; [`Locate::handle_input`] takes answers and timeouts;
//! [`Locate::poll_timeout`] says when the next timeout is due. The [`Cache`] is lent to
//! each call, so many locates (and the tokio shell) can share it.
//!
//! Per question: ask the name servers in order, `attempts` rounds, waiting `timeout` for
//! each; a SERVFAIL/REFUSED (or a malformed answer) moves on at once; a truncated answer
//! ends the question with [`Error::Truncated`]. Answers are accepted only from the
//! server asked, with the query's ID, the same question and QR set (RFC 5452 §9.1);
//! anything else is ignored. IDs are random from the seed and never reused within one
//! locate.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use tipring_sip::rng::Rng;
use tipring_sip::{Peer, TransportKind};

use crate::cache::{Cache, Outcome};
use crate::config::{IpFamilies, ResolverConfig};
use crate::dns::{Header, Message, Name, RData, Rcode, Record, RecordType, Srv, CLASS_IN};
use crate::error::{Error, Result};
use crate::spec::{Host, ServerSpec};
use crate::srv;

/// Most CNAMEs followed from one name (RFC 1034 §5.3.3 asks resolvers to bound them).
pub const MAX_CNAME_HOPS: usize = 8;

/// Most SRV targets used from one answer (after ordering); the rest are ignored.
pub const MAX_SRV_TARGETS: usize = 16;

/// The default SIP port: 5060, or 5061 for TLS (RFC 3261 §19.1.2, RFC 3263 §4.2).
pub fn default_port(transport: TransportKind) -> u16 {
    match transport {
        TransportKind::Tls => 5061,
        TransportKind::Udp | TransportKind::Tcp => 5060,
    }
}

/// The SRV owner for SIP over `transport` at `domain` (RFC 3263 §4.2: `_sip._udp`,
/// `_sip._tcp`, and `_sips._tcp` for TLS).
pub fn srv_owner(domain: &Name, transport: TransportKind) -> Result<Name> {
    let prefix = match transport {
        TransportKind::Udp => "_sip._udp",
        TransportKind::Tcp => "_sip._tcp",
        TransportKind::Tls => "_sips._tcp",
    };
    domain.prepend(prefix).map_err(|_| Error::InvalidSpec {
        input: domain.to_string(),
        reason: "the name is too long for an SRV lookup",
    })
}

/// Something that happened to a [`Locate`].
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// A datagram arrived on the query socket.
    Receive {
        /// When.
        now: Instant,
        /// From whom.
        from: SocketAddr,
        /// Its bytes.
        data: &'a [u8],
    },
    /// The time given by [`Locate::poll_timeout`] has come (or passed).
    Timeout(Instant),
}

/// Something a [`Locate`] asks for, or its result.
#[derive(Debug)]
pub enum Output {
    /// Send this query to this name server (UDP).
    Transmit {
        /// The name server.
        to: SocketAddr,
        /// The DNS message.
        data: Vec<u8>,
    },
    /// The failover list, in the order to try it, or why there is none. Given once,
    /// last; the locate does nothing more afterwards.
    Done(Result<Vec<Peer>>),
}

/// Where the query of one question stands.
#[derive(Debug)]
struct Query {
    /// (ID, server) of every transmission, oldest first.
    sent: Vec<(u16, SocketAddr)>,
    /// Index of the next transmission (server = nameservers[i % n]).
    next: usize,
    /// When the last transmission times out.
    deadline: Instant,
    /// The last failure seen (reported if every attempt fails).
    failure: Option<Error>,
}

#[derive(Debug)]
enum State {
    Querying(Query),
    Done(Result<Outcome>),
}

/// One question of the locate, CNAMEs followed.
#[derive(Debug)]
struct Lookup {
    /// The name asked for by the locate.
    name: Name,
    rtype: RecordType,
    /// The name being asked now (after CNAMEs).
    current: Name,
    hops: usize,
    /// Least TTL of the aliases followed so far.
    chain_ttl: u32,
    state: State,
}

/// The network side: name servers, retry policy, IDs, and the output queue.
#[derive(Debug)]
struct Net {
    nameservers: Vec<SocketAddr>,
    timeout: Duration,
    attempts: usize,
    rng: Rng,
    used_ids: HashSet<u16>,
    out: VecDeque<Output>,
}

impl Net {
    /// A random ID not yet used in this locate (a few draws; a repeat after that is
    /// harmless, only less tidy).
    fn fresh_id(&mut self) -> u16 {
        let mut id = self.rng.next_u64() as u16;
        for _ in 0..16 {
            if !self.used_ids.contains(&id) {
                break;
            }
            id = self.rng.next_u64() as u16;
        }
        self.used_ids.insert(id);
        id
    }

    /// Sends the next attempt of `q`; false when every attempt has been made.
    fn transmit(&mut self, now: Instant, q: &mut Query, name: &Name, rtype: RecordType) -> bool {
        let total = self.attempts.saturating_mul(self.nameservers.len());
        if q.next >= total {
            return false;
        }
        let to = self.nameservers[q.next % self.nameservers.len()];
        q.next += 1;
        let id = self.fresh_id();
        tracing::trace!(%name, %rtype, %to, id, "DNS query");
        self.out.push_back(Output::Transmit {
            to,
            data: Message::encode_query(id, name, rtype),
        });
        q.sent.push((id, to));
        q.deadline = now + self.timeout;
        true
    }

    fn start(&mut self, now: Instant, name: &Name, rtype: RecordType) -> Query {
        let mut q = Query {
            sent: Vec::new(),
            next: 0,
            deadline: now,
            failure: None,
        };
        // A validated configuration has at least one attempt and one server.
        self.transmit(now, &mut q, name, rtype);
        q
    }
}

#[derive(Debug)]
enum Phase {
    /// Waiting for the SRV answer.
    Srv {
        owner: Name,
        domain: Name,
        lookup: usize,
    },
    /// Waiting for the addresses of these (host, port) targets, in order.
    Addresses {
        targets: Vec<(Name, u16)>,
    },
    Finished,
}

/// What one answer says about the question asked.
#[derive(Debug)]
enum Interpretation {
    /// Records of the type asked for (CNAMEs followed within the answer).
    Data { records: Vec<RData>, ttl: u32 },
    /// NXDOMAIN or NODATA, with the TTL to cache it for (None: no SOA, do not cache).
    Negative { outcome: Outcome, ttl: Option<u32> },
    /// The answer stops at an alias whose target must be asked for separately.
    Chase { target: Name, ttl: u32 },
    /// The answer's aliases loop or go on too long.
    Loop,
}

/// One RFC 3263 §4.2 server location in progress.
///
/// ```
/// use std::time::Instant;
/// use tipring_sip::TransportKind;
/// use tipring_sip_resolve::dns::{Message, RData, Record};
/// use tipring_sip_resolve::{
///     Cache, Input, IpFamilies, Locate, Output, ResolverConfig, Rng, ServerSpec,
/// };
///
/// let ns = "192.0.2.53:53".parse().unwrap();
/// let mut config = ResolverConfig::new(vec![ns], [7; 32]);
/// config.families = IpFamilies::V4Only;
/// let mut cache = Cache::new(&config);
/// # #[allow(clippy::disallowed_methods)]
/// let now = Instant::now(); // the shell's clock
/// let spec: ServerSpec = "pbx.example.com:5070".parse().unwrap(); // a port: no SRV
/// let rng = Rng::from_seed([1; 32]);
/// let mut locate = Locate::new(now, &spec, TransportKind::Udp, &config, &mut cache, rng);
///
/// // It asks the name server for the A records of pbx.example.com.
/// let Some(Output::Transmit { to, data }) = locate.poll_output() else { panic!() };
/// assert_eq!(to, ns);
/// let query = Message::decode(&data).unwrap();
///
/// // The name server answers; the shell feeds each datagram in (and, when nothing
/// // comes, `Input::Timeout` at `locate.poll_timeout()`).
/// let mut answer = query.clone();
/// answer.header.response = true;
/// let host = query.questions[0].name.clone();
/// answer.answers.push(Record::new(host, 300, RData::A("192.0.2.10".parse().unwrap())));
/// let bytes = answer.encode().unwrap();
/// locate.handle_input(&mut cache, Input::Receive { now, from: ns, data: &bytes });
///
/// let Some(Output::Done(Ok(peers))) = locate.poll_output() else { panic!() };
/// assert_eq!(peers[0].to_string(), "udp:192.0.2.10:5070");
/// assert_eq!(locate.poll_timeout(), None);
/// ```
#[derive(Debug)]
pub struct Locate {
    transport: TransportKind,
    families: IpFamilies,
    net: Net,
    phase: Phase,
    lookups: Vec<Lookup>,
}

impl Locate {
    /// Starts locating `target` for `transport` at `now`: an IP literal is the answer at
    /// once; a domain with a port asks for its addresses; a domain alone asks for the
    /// SRV records first. Cached answers are used without asking again. `rng` gives the
    /// query IDs and the SRV weighted order.
    pub fn new(
        now: Instant,
        target: &ServerSpec,
        transport: TransportKind,
        config: &ResolverConfig,
        cache: &mut Cache,
        rng: Rng,
    ) -> Locate {
        let mut l = Locate {
            transport,
            families: config.families,
            net: Net {
                nameservers: config.nameservers.clone(),
                timeout: config.timeout,
                attempts: usize::try_from(config.attempts).unwrap_or(usize::MAX),
                rng,
                used_ids: HashSet::new(),
                out: VecDeque::new(),
            },
            phase: Phase::Finished,
            lookups: Vec::new(),
        };
        let domain = match &target.host {
            Host::Ip(ip) => {
                let port = target.port.unwrap_or(default_port(transport));
                l.finish(Ok(vec![Peer {
                    transport,
                    addr: SocketAddr::new(*ip, port),
                }]));
                return l;
            }
            Host::Domain(d) => d.clone(),
        };
        if let Err(e) = config.validate() {
            l.finish(Err(e));
            return l;
        }
        match target.port {
            // RFC 3263 §4.2: "If the TARGET was not a numeric IP address, but a port is
            // present in the URI, the client performs an A or AAAA record lookup".
            Some(port) => l.start_addresses(now, cache, vec![(domain, port)]),
            None => match srv_owner(&domain, transport) {
                Ok(owner) => {
                    let lookup = l.start_lookup(now, cache, owner.clone(), RecordType::SRV);
                    l.phase = Phase::Srv {
                        owner,
                        domain,
                        lookup,
                    };
                }
                Err(e) => l.finish(Err(e)),
            },
        }
        l.advance(now, cache);
        l
    }

    /// The next datagram to send, or the result. `None`: wait for a datagram or for
    /// [`Locate::poll_timeout`].
    pub fn poll_output(&mut self) -> Option<Output> {
        self.net.out.pop_front()
    }

    /// When to call [`Locate::handle_input`] with [`Input::Timeout`] if nothing arrives;
    /// `None` once the result has been given.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if matches!(self.phase, Phase::Finished) {
            return None;
        }
        self.lookups
            .iter()
            .filter_map(|l| match &l.state {
                State::Querying(q) => Some(q.deadline),
                State::Done(_) => None,
            })
            .min()
    }

    /// Whether the result has been given (or queued).
    pub fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Finished)
    }

    /// Takes a received datagram or a timeout.
    pub fn handle_input(&mut self, cache: &mut Cache, input: Input<'_>) {
        if self.is_finished() {
            return;
        }
        let now = match input {
            Input::Receive { now, from, data } => {
                self.on_datagram(now, cache, from, data);
                now
            }
            Input::Timeout(now) => {
                self.on_timeout(now);
                now
            }
        };
        self.advance(now, cache);
    }

    fn finish(&mut self, result: Result<Vec<Peer>>) {
        self.phase = Phase::Finished;
        self.net.out.push_back(Output::Done(result));
    }

    /// The index of the lookup of (`name`, `rtype`), started now (from the cache, or by
    /// sending a query) unless it already exists.
    fn start_lookup(
        &mut self,
        now: Instant,
        cache: &mut Cache,
        name: Name,
        rtype: RecordType,
    ) -> usize {
        if let Some(i) = self
            .lookups
            .iter()
            .position(|l| l.name == name && l.rtype == rtype)
        {
            return i;
        }
        let state = match cache.get(now, &name, rtype) {
            Some((outcome, _)) => {
                tracing::trace!(%name, %rtype, "DNS answer from cache");
                State::Done(Ok(outcome))
            }
            None => State::Querying(self.net.start(now, &name, rtype)),
        };
        self.lookups.push(Lookup {
            current: name.clone(),
            name,
            rtype,
            hops: 0,
            chain_ttl: u32::MAX,
            state,
        });
        self.lookups.len() - 1
    }

    fn start_addresses(&mut self, now: Instant, cache: &mut Cache, targets: Vec<(Name, u16)>) {
        for (name, _) in &targets {
            for &rtype in self.families.record_types() {
                self.start_lookup(now, cache, name.clone(), rtype);
            }
        }
        self.phase = Phase::Addresses { targets };
    }

    fn on_timeout(&mut self, now: Instant) {
        for l in &mut self.lookups {
            let State::Querying(q) = &mut l.state else {
                continue;
            };
            if q.deadline > now {
                continue;
            }
            tracing::debug!(name = %l.current, rtype = %l.rtype, server = ?q.sent.last(), "DNS query timed out");
            if !self.net.transmit(now, q, &l.current, l.rtype) {
                let e = q.failure.take().unwrap_or_else(|| Error::Timeout {
                    name: l.current.clone(),
                    rtype: l.rtype,
                });
                l.state = State::Done(Err(e));
            }
        }
    }

    fn on_datagram(&mut self, now: Instant, cache: &mut Cache, from: SocketAddr, data: &[u8]) {
        let Ok(header) = Header::decode(data) else {
            return; // too short to be anyone's answer
        };
        let Some(i) = self.lookups.iter().position(|l| match &l.state {
            State::Querying(q) => q.sent.contains(&(header.id, from)),
            State::Done(_) => false,
        }) else {
            tracing::debug!(%from, id = header.id, "DNS datagram matches no query: ignored");
            return;
        };
        if !header.response {
            return;
        }
        let msg = match Message::decode(data) {
            Ok(m) => m,
            Err(source) => {
                tracing::debug!(%from, error = %source, "malformed DNS answer");
                return self.failed(
                    now,
                    i,
                    (header.id, from),
                    Error::Malformed {
                        server: from,
                        source,
                    },
                );
            }
        };
        let l = &self.lookups[i];
        let same_question = matches!(
            msg.questions.as_slice(),
            [q] if q.name == l.current && q.rtype == l.rtype && q.class == CLASS_IN
        );
        if !same_question || msg.header.opcode != 0 {
            tracing::debug!(%from, "DNS answer to another question: ignored");
            return;
        }
        if msg.header.truncated {
            let e = Error::Truncated {
                name: l.current.clone(),
                rtype: l.rtype,
                server: from,
            };
            self.lookups[i].state = State::Done(Err(e));
            return;
        }
        match msg.header.rcode {
            Rcode::NOERROR | Rcode::NXDOMAIN => self.on_answer(now, cache, i, &msg),
            rcode => {
                let e = Error::ServerFailure {
                    name: l.current.clone(),
                    rtype: l.rtype,
                    rcode,
                };
                self.failed(now, i, (header.id, from), e);
            }
        }
    }

    /// A server failed this query: remember why, and ask the next one at once if this
    /// was the latest transmission (a late failure of an earlier one changes nothing).
    fn failed(&mut self, now: Instant, i: usize, sent: (u16, SocketAddr), e: Error) {
        let l = &mut self.lookups[i];
        let State::Querying(q) = &mut l.state else {
            return;
        };
        q.failure = Some(e);
        if q.sent.last() != Some(&sent) {
            return;
        }
        if !self.net.transmit(now, q, &l.current, l.rtype) {
            let e = q.failure.take().unwrap_or_else(|| Error::Timeout {
                name: l.current.clone(),
                rtype: l.rtype,
            });
            l.state = State::Done(Err(e));
        }
    }

    fn on_answer(&mut self, now: Instant, cache: &mut Cache, i: usize, msg: &Message) {
        let (current, rtype) = (self.lookups[i].current.clone(), self.lookups[i].rtype);
        match interpret(msg, &current, rtype) {
            Interpretation::Data { records, ttl } => {
                cache.insert(
                    now,
                    &current,
                    rtype,
                    Outcome::Records(records.clone()),
                    Some(ttl),
                );
                if rtype == RecordType::SRV {
                    cache_additional_addresses(now, cache, &records, &msg.additionals);
                }
                self.complete(now, cache, i, Outcome::Records(records), Some(ttl));
            }
            Interpretation::Negative { outcome, ttl } => {
                cache.insert(now, &current, rtype, outcome.clone(), ttl);
                self.complete(now, cache, i, outcome, ttl);
            }
            Interpretation::Chase { target, ttl } => {
                let l = &mut self.lookups[i];
                l.hops += 1;
                l.chain_ttl = l.chain_ttl.min(ttl);
                if l.hops > MAX_CNAME_HOPS {
                    l.state = State::Done(Err(Error::CnameChain {
                        name: l.name.clone(),
                    }));
                    return;
                }
                tracing::debug!(from = %l.current, to = %target, "following CNAME");
                l.current = target.clone();
                match cache.get(now, &target, rtype) {
                    Some((outcome, left)) => self.complete(now, cache, i, outcome, Some(left)),
                    None => {
                        let q = self.net.start(now, &target, rtype);
                        self.lookups[i].state = State::Querying(q);
                    }
                }
            }
            Interpretation::Loop => {
                let l = &mut self.lookups[i];
                l.state = State::Done(Err(Error::CnameChain {
                    name: l.name.clone(),
                }));
            }
        }
    }

    /// The lookup has its answer; cache it under the name first asked when aliases were
    /// followed (with the least TTL along the chain, RFC 2181 §10.1.1).
    fn complete(
        &mut self,
        now: Instant,
        cache: &mut Cache,
        i: usize,
        o: Outcome,
        ttl: Option<u32>,
    ) {
        let l = &mut self.lookups[i];
        if l.current != l.name {
            cache.insert(
                now,
                &l.name,
                l.rtype,
                o.clone(),
                ttl.map(|t| t.min(l.chain_ttl)),
            );
        }
        l.state = State::Done(Ok(o));
    }

    /// Moves to the next phase when the current one has what it waited for.
    fn advance(&mut self, now: Instant, cache: &mut Cache) {
        loop {
            match &mut self.phase {
                Phase::Finished => return,
                Phase::Srv {
                    owner,
                    domain,
                    lookup,
                } => {
                    let State::Done(result) = &mut self.lookups[*lookup].state else {
                        return;
                    };
                    let (owner, domain) = (owner.clone(), domain.clone());
                    let result = std::mem::replace(result, Ok(Outcome::NoData));
                    match result {
                        Ok(Outcome::Records(records)) => self.use_srv(now, cache, owner, &records),
                        // RFC 3263 §4.2: "If no SRV records were found, the client performs
                        // an A or AAAA record lookup of the domain name", on the default port.
                        Ok(Outcome::NxDomain | Outcome::NoData) => {
                            tracing::debug!(%owner, "no SRV records: using the domain's addresses");
                            let port = default_port(self.transport);
                            self.start_addresses(now, cache, vec![(domain, port)]);
                        }
                        Err(e) => self.finish(Err(e)),
                    }
                }
                Phase::Addresses { targets } => {
                    let waiting = targets.iter().any(|(name, _)| {
                        self.lookups
                            .iter()
                            .any(|l| &l.name == name && matches!(l.state, State::Querying(_)))
                    });
                    if waiting {
                        return;
                    }
                    let targets = std::mem::take(targets);
                    let result = self.assemble(&targets);
                    self.finish(result);
                }
            }
        }
    }

    /// RFC 2782 / RFC 3263 §4.2: order the SRV records and look up their targets.
    fn use_srv(&mut self, now: Instant, cache: &mut Cache, owner: Name, records: &[RData]) {
        let all: Vec<Srv> = records
            .iter()
            .filter_map(|r| match r {
                RData::Srv(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        // RFC 2782: "A Target of "." means that the service is decidedly not available
        // at this domain."
        let usable: Vec<Srv> = all.into_iter().filter(|s| !s.target.is_root()).collect();
        if usable.is_empty() {
            return self.finish(Err(Error::ServiceUnavailable { name: owner }));
        }
        let mut ordered = srv::order(&usable, &mut self.net.rng);
        ordered.truncate(MAX_SRV_TARGETS);
        let targets = ordered.into_iter().map(|s| (s.target, s.port)).collect();
        self.start_addresses(now, cache, targets);
    }

    /// The failover list: each target's addresses in target order, the families in the
    /// configured order, duplicates dropped.
    fn assemble(&mut self, targets: &[(Name, u16)]) -> Result<Vec<Peer>> {
        let mut results: HashMap<(Name, RecordType), Result<Outcome>> =
            std::mem::take(&mut self.lookups)
                .into_iter()
                .filter_map(|l| match l.state {
                    State::Done(r) => Some(((l.name, l.rtype), r)),
                    State::Querying(_) => None,
                })
                .collect();
        let mut peers: Vec<Peer> = Vec::new();
        let mut first_error = None;
        for (name, port) in targets {
            for &rtype in self.families.record_types() {
                let key = (name.clone(), rtype);
                match results.get(&key) {
                    Some(Ok(Outcome::Records(records))) => {
                        for r in records {
                            let ip = match r {
                                RData::A(a) => IpAddr::V4(*a),
                                RData::Aaaa(a) => IpAddr::V6(*a),
                                _ => continue,
                            };
                            let peer = Peer {
                                transport: self.transport,
                                addr: SocketAddr::new(ip, *port),
                            };
                            if !peers.contains(&peer) {
                                peers.push(peer);
                            }
                        }
                    }
                    Some(Ok(_)) | None => {}
                    Some(Err(e)) => {
                        tracing::debug!(%name, %rtype, error = %e, "address lookup failed");
                        if first_error.is_none() {
                            first_error = results.remove(&key).and_then(|r| r.err());
                        }
                    }
                }
            }
        }
        if !peers.is_empty() {
            return Ok(peers);
        }
        Err(first_error.unwrap_or_else(|| Error::NotFound {
            name: targets
                .first()
                .map(|(n, _)| n.clone())
                .unwrap_or_else(Name::root),
        }))
    }
}

/// Reads the answer to (`qname`, `qtype`): the records of that type for `qname` or for
/// the end of its CNAME chain within the answer (RFC 1034 §4.3.2 step 3a), else a
/// negative answer cached per the SOA (RFC 2308 §5), else an alias to chase.
fn interpret(msg: &Message, qname: &Name, qtype: RecordType) -> Interpretation {
    let mut name = qname.clone();
    let mut ttl = u32::MAX;
    let owned_by = |r: &&Record, name: &Name| r.class == CLASS_IN && &r.name == name;
    for _ in 0..=MAX_CNAME_HOPS {
        let records: Vec<&Record> = msg
            .answers
            .iter()
            .filter(|r| owned_by(r, &name) && r.rtype() == qtype)
            .collect();
        if !records.is_empty() {
            // RFC 2181 §5.2: the TTL of an RRset is the least of its records'.
            let set_ttl = records.iter().map(|r| r.effective_ttl()).min().unwrap_or(0);
            return Interpretation::Data {
                records: records.into_iter().map(|r| r.data.clone()).collect(),
                ttl: ttl.min(set_ttl),
            };
        }
        let alias = msg.answers.iter().find_map(|r| match &r.data {
            RData::Cname(target) if owned_by(&r, &name) => Some((target, r.effective_ttl())),
            _ => None,
        });
        let Some((target, alias_ttl)) = alias else {
            // No data: RFC 2308 §5, a negative answer is cached for min(SOA TTL,
            // SOA MINIMUM), and not at all without an SOA.
            let soa_ttl = msg.authorities.iter().find_map(|r| match &r.data {
                RData::Soa(soa) if r.class == CLASS_IN => Some(r.effective_ttl().min(soa.minimum)),
                _ => None,
            });
            let neg_ttl = soa_ttl.map(|t| t.min(ttl));
            return if msg.header.rcode == Rcode::NXDOMAIN {
                Interpretation::Negative {
                    outcome: Outcome::NxDomain,
                    ttl: neg_ttl,
                }
            } else if name != *qname && soa_ttl.is_none() {
                // The server stopped at the alias without saying the target has no data.
                Interpretation::Chase { target: name, ttl }
            } else {
                Interpretation::Negative {
                    outcome: Outcome::NoData,
                    ttl: neg_ttl,
                }
            };
        };
        ttl = ttl.min(alias_ttl);
        name = target.clone();
    }
    Interpretation::Loop
}

/// RFC 2782 ("Implementors are urged, but not required, to return the address record(s)
/// in the Additional Data section"): the targets' addresses that came with the SRV
/// answer are cached, so they need no query of their own. Only records owned by one of
/// the answer's targets are taken.
fn cache_additional_addresses(
    now: Instant,
    cache: &mut Cache,
    srvs: &[RData],
    additionals: &[Record],
) {
    let targets: HashSet<&Name> = srvs
        .iter()
        .filter_map(|r| match r {
            RData::Srv(s) => Some(&s.target),
            _ => None,
        })
        .collect();
    let mut sets: HashMap<(&Name, RecordType), (Vec<RData>, u32)> = HashMap::new();
    for r in additionals {
        let rtype = r.rtype();
        if r.class != CLASS_IN
            || !targets.contains(&r.name)
            || !(rtype == RecordType::A || rtype == RecordType::AAAA)
        {
            continue;
        }
        let set = sets
            .entry((&r.name, rtype))
            .or_insert((Vec::new(), u32::MAX));
        set.0.push(r.data.clone());
        set.1 = set.1.min(r.effective_ttl());
    }
    for ((name, rtype), (records, ttl)) in sets {
        cache.insert(now, name, rtype, Outcome::Records(records), Some(ttl));
    }
}

#[cfg(test)]
mod tests;

//! A fake recursive name server on 127.0.0.1: answers from a table of records, like a
//! recursive server would (CNAMEs chased, NXDOMAIN / NODATA with the zone's SOA, SRV
//! targets' addresses in the additional section), or misbehaves on request. It logs
//! every question it gets.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tipring_sip_resolve::dns::{Message, Name, RData, Rcode, Record, RecordType, Soa, Srv};
use tipring_sip_resolve::{IpFamilies, Resolver, ResolverConfig};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

/// How the server behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Answer from the table.
    #[default]
    Answer,
    /// Never answer.
    Silent,
    /// Answer every query with SERVFAIL.
    ServFail,
    /// Answer with TC set and no records (as if the answer did not fit).
    Truncate,
}

/// The records served and the behaviour.
#[derive(Debug, Clone, Default)]
pub struct Zone {
    records: Vec<Record>,
    mode: Mode,
    additional: bool,
    stop_at_cname: bool,
    negative_ttl: u32,
}

pub fn name(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

impl Zone {
    pub fn new() -> Self {
        Zone {
            negative_ttl: 60,
            ..Zone::default()
        }
    }

    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Put SRV targets' addresses in the additional section.
    pub fn with_additional(mut self) -> Self {
        self.additional = true;
        self
    }

    /// Answer a CNAME without its target's records (a server that does not chase).
    pub fn stop_at_cname(mut self) -> Self {
        self.stop_at_cname = true;
        self
    }

    pub fn srv(mut self, owner: &str, prio: u16, weight: u16, port: u16, target: &str) -> Self {
        let data = RData::Srv(Srv {
            priority: prio,
            weight,
            port,
            target: name(target),
        });
        self.records.push(Record::new(name(owner), 300, data));
        self
    }

    pub fn a(self, owner: &str, ip: &str) -> Self {
        self.a_ttl(owner, ip, 300)
    }

    pub fn a_ttl(mut self, owner: &str, ip: &str, ttl: u32) -> Self {
        let data = RData::A(ip.parse().unwrap());
        self.records.push(Record::new(name(owner), ttl, data));
        self
    }

    pub fn aaaa(mut self, owner: &str, ip: &str) -> Self {
        let data = RData::Aaaa(ip.parse().unwrap());
        self.records.push(Record::new(name(owner), 300, data));
        self
    }

    pub fn cname(mut self, owner: &str, target: &str) -> Self {
        self.records
            .push(Record::new(name(owner), 300, RData::Cname(name(target))));
        self
    }

    fn of(&self, owner: &Name, rtype: RecordType) -> Vec<Record> {
        self.records
            .iter()
            .filter(|r| &r.name == owner && r.rtype() == rtype)
            .cloned()
            .collect()
    }

    fn soa(&self) -> Record {
        Record::new(
            name("test"),
            self.negative_ttl,
            RData::Soa(Soa {
                mname: name("ns.test"),
                rname: name("admin.test"),
                serial: 1,
                refresh: 3600,
                retry: 600,
                expire: 86_400,
                minimum: self.negative_ttl,
            }),
        )
    }

    /// The response to `query`, or None to stay silent.
    fn respond(&self, query: &Message) -> Option<Message> {
        let mut m = query.clone();
        m.header.response = true;
        m.header.recursion_available = true;
        match self.mode {
            Mode::Silent => return None,
            Mode::ServFail => {
                m.header.rcode = Rcode::SERVFAIL;
                return Some(m);
            }
            Mode::Truncate => {
                m.header.truncated = true;
                return Some(m);
            }
            Mode::Answer => {}
        }
        let q = query.questions.first()?;
        let mut owner = q.name.clone();
        let mut stopped_at_alias = false;
        for _ in 0..10 {
            let data = self.of(&owner, q.rtype);
            if !data.is_empty() {
                m.answers.extend(data);
                break;
            }
            let Some(alias) = self.of(&owner, RecordType::CNAME).into_iter().next() else {
                break;
            };
            let RData::Cname(target) = &alias.data else {
                break;
            };
            owner = target.clone();
            m.answers.push(alias);
            if self.stop_at_cname {
                stopped_at_alias = true;
                break;
            }
        }
        let has_data = m.answers.iter().any(|r| r.rtype() == q.rtype);
        if !has_data && !stopped_at_alias {
            if !self.records.iter().any(|r| r.name == owner) {
                m.header.rcode = Rcode::NXDOMAIN;
            }
            m.authorities.push(self.soa());
        }
        if self.additional && q.rtype == RecordType::SRV {
            for r in &m.answers.clone() {
                if let RData::Srv(s) = &r.data {
                    m.additionals.extend(self.of(&s.target, RecordType::A));
                    m.additionals.extend(self.of(&s.target, RecordType::AAAA));
                }
            }
        }
        Some(m)
    }
}

/// A running fake server; stopped when dropped.
pub struct FakeDns {
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<(String, RecordType)>>>,
    task: JoinHandle<()>,
}

impl FakeDns {
    pub async fn start(zone: Zone) -> FakeDns {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let task_log = Arc::clone(&log);
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            loop {
                let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                    continue;
                };
                let Ok(query) = Message::decode(&buf[..n]) else {
                    continue;
                };
                if let Some(q) = query.questions.first() {
                    task_log.lock().unwrap().push((q.name.to_string(), q.rtype));
                }
                if let Some(resp) = zone.respond(&query) {
                    let bytes = resp.encode().unwrap();
                    let _ = socket.send_to(&bytes, from).await;
                }
            }
        });
        FakeDns { addr, log, task }
    }

    /// Every question received, in order.
    pub fn queries(&self) -> Vec<(String, RecordType)> {
        self.log.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.log.lock().unwrap().len()
    }
}

impl Drop for FakeDns {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A configuration for these servers: short timeout, IPv4 only, a fixed seed.
pub fn config(servers: &[&FakeDns]) -> ResolverConfig {
    let mut c = ResolverConfig::new(servers.iter().map(|s| s.addr).collect(), [11; 32]);
    c.timeout = Duration::from_millis(200);
    c.attempts = 2;
    c.families = IpFamilies::V4Only;
    c
}

pub fn resolver(servers: &[&FakeDns]) -> Resolver {
    Resolver::new(config(servers)).unwrap()
}

/// The peers as text.
pub fn text(peers: &[tipring_sip_resolve::Peer]) -> Vec<String> {
    peers.iter().map(ToString::to_string).collect()
}

/// Queries as (name, type) for comparisons.
pub fn q(name: &str, rtype: RecordType) -> (String, RecordType) {
    (name.to_string(), rtype)
}

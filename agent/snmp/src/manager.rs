//! A sans-IO SNMP manager (command generator, RFC 3413 §3.1): builds Get, GetNext,
//! GetBulk and Set requests for v1, v2c and v3 and reads the Responses. For v3 it
//! discovers the agent's engine ID, boots and time (RFC 3414 §4) with a probe, learns from
//! Reports and sends the request again — the same non-authoritative USM code the engine
//! uses for informs.
//!
//! ```no_run
//! use std::net::UdpSocket;
//! use std::time::Instant;
//! use tipring_snmp::manager::{Client, ClientConfig, ClientEvent, ClientSecurity};
//! use tipring_snmp::{AuthProtocol, Oid, PrivProtocol, SecurityLevel, User};
//!
//! let user = User::auth_priv("alice", AuthProtocol::Sha256, "authpass123", PrivProtocol::Aes128, "privpass123");
//! let mut client = Client::new(ClientConfig::new(ClientSecurity::V3 { user, level: SecurityLevel::AuthPriv }))?;
//! let sock = UdpSocket::bind("127.0.0.1:0")?;
//! sock.connect("127.0.0.1:161")?;
//! let mut req = client.get(Instant::now(), &["1.3.6.1.2.1.1.3.0".parse()?]);
//! let mut buf = [0u8; 65535];
//! loop {
//!     sock.send(&req.bytes)?;
//!     let n = sock.recv(&mut buf)?;
//!     match client.handle(Instant::now(), &buf[..n])? {
//!         ClientEvent::Response(r) => { println!("{:?}", r.varbinds); break; }
//!         ClientEvent::Resend(mut again) => req = again.remove(0), // discovery done
//!         ClientEvent::Report { reason, .. } => { eprintln!("report {reason:?}"); break; }
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::time::Instant;

use crate::ber::tag;
use crate::config::{User, DEFAULT_MAX_MESSAGE_SIZE};
use crate::engine::ReportReason;
use crate::error::{DecodeError, Error, Result};
use crate::msg::{self, decode_message, Message, MessageError, PduOut, V3Out, VbList, Version};
use crate::oid::Oid;
use crate::peer::{self, Peer};
use crate::rng::SplitMix64;
use crate::usm::{MasterKeys, SecurityLevel};
use crate::value::{ErrorStatus, Value, VarBindValue};

/// Version and credentials of a client.
#[derive(Debug, Clone)]
pub enum ClientSecurity {
    /// SNMPv1 with a community.
    V1 {
        /// The community string.
        community: String,
    },
    /// SNMPv2c with a community.
    V2c {
        /// The community string.
        community: String,
    },
    /// SNMPv3 USM as `user` at `level`.
    V3 {
        /// The user (name, protocols, passwords).
        user: User,
        /// The level of the requests.
        level: SecurityLevel,
    },
}

/// Client configuration.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Version and credentials.
    pub security: ClientSecurity,
    /// msgMaxSize we advertise (v3): the agent's Responses must fit in it.
    pub max_message_size: usize,
    /// PRNG seed for request-ids, msgIDs and salts.
    pub seed: u64,
}

impl ClientConfig {
    /// Defaults: 1472-octet messages, seed 1.
    pub fn new(security: ClientSecurity) -> Self {
        ClientConfig {
            security,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            seed: 1,
        }
    }
}

/// A request ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Its request-id (what the Response will carry).
    pub request_id: i32,
    /// The datagram (for a v3 client that has not discovered the agent yet: the probe).
    pub bytes: Vec<u8>,
}

/// A Response-PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The request it answers.
    pub request_id: i32,
    /// error-status (an unknown code is reported as genErr).
    pub error_status: ErrorStatus,
    /// error-index (1-based, 0 for none).
    pub error_index: i32,
    /// The bindings.
    pub varbinds: Vec<(Oid, VarBindValue)>,
}

/// What an incoming datagram means to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// The answer to a request.
    Response(Response),
    /// Discovery or time synchronisation happened: send these (re-encoded requests).
    Resend(Vec<Request>),
    /// The agent sent a Report the client cannot fix by itself.
    Report {
        /// The request it concerns, when known.
        request_id: Option<i32>,
        /// The Report's counter, when it is one of USM's/MPD's.
        reason: Option<ReportReason>,
        /// The Report's first OID.
        oid: Option<Oid>,
    },
}

#[derive(Debug, Clone)]
struct Pending {
    tag: u8,
    a: i32,
    b: i32,
    varbinds: Vec<(Oid, VarBindValue)>,
    msg_id: i32,
    /// Sent as a discovery probe: waits for the agent's engine ID.
    probing: bool,
    resends: u8,
}

/// The manager client. Keys are derived from the passwords once, in [`Client::new`].
#[derive(Debug)]
pub struct Client {
    cfg: ClientConfig,
    master: Option<MasterKeys>,
    peer: Option<Peer>,
    rng: SplitMix64,
    salt: u64,
    pending: HashMap<i32, Pending>,
    scratch: Vec<u8>,
}

impl Client {
    /// A client; for v3 this expands the passwords (slow: 1 MB of hashing each).
    pub fn new(cfg: ClientConfig) -> Result<Self> {
        let master = match &cfg.security {
            ClientSecurity::V3 { user, level } => {
                if user.level() < *level {
                    return Err(Error::Config(format!(
                        "user {:?} has no keys for {level:?}",
                        user.name
                    )));
                }
                Some(MasterKeys::from_passwords(
                    user.auth.as_ref().map(|(p, pw)| (*p, pw.as_bytes())),
                    user.privacy.as_ref().map(|(p, pw)| (*p, pw.as_bytes())),
                ))
            }
            _ => None,
        };
        let mut rng = SplitMix64::new(cfg.seed);
        let salt = rng.next_u64();
        Ok(Client {
            cfg,
            master,
            peer: None,
            rng,
            salt,
            pending: HashMap::new(),
            scratch: Vec::with_capacity(2048),
        })
    }

    /// Sets the msgMaxSize advertised in later v3 requests.
    pub fn set_max_message_size(&mut self, n: usize) {
        self.cfg.max_message_size = n;
    }

    /// The agent's engine ID, boots and time as learned (v3).
    pub fn peer_engine(&self, now: Instant) -> Option<(&[u8], u32, u32)> {
        self.peer
            .as_ref()
            .map(|p| (p.engine_id.as_slice(), p.boots, p.time_at(now)))
    }

    /// Presets the agent's engine ID/boots/time (like net-snmp's `-e`/`-Z`), skipping
    /// discovery.
    pub fn set_peer_engine(&mut self, now: Instant, engine_id: &[u8], boots: u32, time: u32) {
        if let Some(m) = &self.master {
            self.peer = Some(Peer::new(engine_id, boots, time, now, m));
        }
    }

    /// Forgets a request (the caller timed it out).
    pub fn forget(&mut self, request_id: i32) {
        self.pending.remove(&request_id);
    }

    /// A Get of `oids`.
    pub fn get(&mut self, now: Instant, oids: &[Oid]) -> Request {
        self.request(now, tag::GET, 0, 0, names(oids))
    }

    /// A GetNext of `oids`.
    pub fn get_next(&mut self, now: Instant, oids: &[Oid]) -> Request {
        self.request(now, tag::GET_NEXT, 0, 0, names(oids))
    }

    /// A GetBulk (v2c/v3; RFC 3416 §4.2.3).
    pub fn get_bulk(
        &mut self,
        now: Instant,
        non_repeaters: i32,
        max_repetitions: i32,
        oids: &[Oid],
    ) -> Request {
        self.request(
            now,
            tag::GET_BULK,
            non_repeaters,
            max_repetitions,
            names(oids),
        )
    }

    /// A Set.
    pub fn set(&mut self, now: Instant, varbinds: &[(Oid, Value)]) -> Request {
        let vbs = varbinds
            .iter()
            .map(|(o, v)| (o.clone(), VarBindValue::Value(v.clone())))
            .collect();
        self.request(now, tag::SET, 0, 0, vbs)
    }

    fn request(
        &mut self,
        now: Instant,
        t: u8,
        a: i32,
        b: i32,
        varbinds: Vec<(Oid, VarBindValue)>,
    ) -> Request {
        let request_id = self.rng.next_id();
        let mut p = Pending {
            tag: t,
            a,
            b,
            varbinds,
            msg_id: 0,
            probing: false,
            resends: 0,
        };
        let bytes = self.encode(now, request_id, &mut p);
        self.pending.insert(request_id, p);
        Request { request_id, bytes }
    }

    fn encode(&mut self, now: Instant, request_id: i32, p: &mut Pending) -> Vec<u8> {
        let mut out = Vec::new();
        let pdu = PduOut {
            tag: p.tag,
            request_id,
            a: p.a,
            b: p.b,
            list: VbList::Items(&p.varbinds),
        };
        let max_size = i32::try_from(self.cfg.max_message_size).unwrap_or(i32::MAX);
        match &self.cfg.security {
            ClientSecurity::V1 { community } => {
                msg::encode_community(&mut out, Version::V1, community.as_bytes(), &pdu)
            }
            ClientSecurity::V2c { community } => {
                msg::encode_community(&mut out, Version::V2c, community.as_bytes(), &pdu)
            }
            ClientSecurity::V3 { user, level } => {
                p.msg_id = self.rng.next_id();
                match &self.peer {
                    None => {
                        p.probing = true;
                        peer::encode_probe(
                            &mut out,
                            &mut self.scratch,
                            p.msg_id,
                            request_id,
                            max_size,
                        );
                    }
                    Some(peer) => {
                        p.probing = false;
                        self.salt = self.salt.wrapping_add(1);
                        let h = V3Out {
                            msg_id: p.msg_id,
                            max_size,
                            level: *level,
                            reportable: true,
                            engine_id: &peer.engine_id,
                            boots: peer.boots,
                            time: peer.time_at(now),
                            user: user.name.as_bytes(),
                            keys: Some(&peer.keys),
                            context_engine_id: &peer.engine_id,
                            context_name: &[],
                            salt: self.salt,
                        };
                        msg::encode_v3(&mut out, &mut self.scratch, &h, &pdu);
                    }
                }
            }
        }
        out
    }

    /// Reads a datagram from the agent.
    pub fn handle(&mut self, now: Instant, datagram: &[u8]) -> Result<ClientEvent> {
        let m = match decode_message(datagram) {
            Ok(m) => m,
            Err(MessageError::BadVersion) => return Err(DecodeError::Invalid("version").into()),
            Err(MessageError::Parse(e)) => return Err(e.into()),
        };
        match m {
            Message::Community { pdu, .. } => {
                if pdu.tag != tag::RESPONSE {
                    return Err(Error::Unexpected("not a Response".into()));
                }
                if self.pending.remove(&pdu.request_id).is_none() {
                    return Err(Error::Unexpected(format!(
                        "unknown request-id {}",
                        pdu.request_id
                    )));
                }
                let varbinds = peer::decode_varbinds(pdu.varbinds())?;
                Ok(ClientEvent::Response(Response {
                    request_id: pdu.request_id,
                    error_status: ErrorStatus::from_code(pdu.a).unwrap_or(ErrorStatus::GenErr),
                    error_index: pdu.b,
                    varbinds,
                }))
            }
            Message::V3(v3) => self.handle_v3(now, datagram, &v3),
        }
    }

    fn handle_v3(
        &mut self,
        now: Instant,
        whole: &[u8],
        m: &msg::V3Message<'_>,
    ) -> Result<ClientEvent> {
        let Some((&rid, _)) = self.pending.iter().find(|(_, p)| p.msg_id == m.msg_id) else {
            return Err(Error::Unexpected(format!("unknown msgID {}", m.msg_id)));
        };
        let keys = self.peer.as_ref().map(|p| &p.keys);
        let o = peer::open_v3(whole, m, keys).map_err(|e| match e {
            peer::OpenError::Decode(d) => Error::Decode(d),
            other => Error::Unexpected(format!("{other:?}")),
        })?;
        let master = self
            .master
            .clone()
            .ok_or_else(|| Error::Unexpected("v3 message to a community client".into()))?;
        if o.pdu_tag == tag::REPORT {
            let reason = o
                .report_oid()
                .and_then(|r| ReportReason::from_oid(r.as_slice()));
            let probing = self.pending.get(&rid).is_some_and(|p| p.probing);
            let learn = match reason {
                Some(ReportReason::UnknownEngineId) => true,
                Some(ReportReason::NotInTimeWindow) => {
                    o.level > SecurityLevel::NoAuthNoPriv || probing
                }
                _ => probing,
            };
            if learn && o.engine_id.len() >= 5 {
                let same = self
                    .peer
                    .as_ref()
                    .is_some_and(|p| p.engine_id == o.engine_id);
                if same {
                    if let Some(p) = &mut self.peer {
                        p.boots = o.boots;
                        p.time = o.time;
                        p.learned_at = now;
                    }
                } else {
                    self.peer = Some(Peer::new(&o.engine_id, o.boots, o.time, now, &master));
                }
                // Send again every request that waited for discovery, and this one.
                let ids: Vec<i32> = self
                    .pending
                    .iter()
                    .filter(|(id, p)| p.probing || **id == rid)
                    .map(|(id, _)| *id)
                    .collect();
                let mut out = Vec::new();
                for id in ids {
                    let Some(mut p) = self.pending.remove(&id) else {
                        continue;
                    };
                    p.resends += 1;
                    if p.resends > 3 {
                        continue;
                    }
                    let bytes = self.encode(now, id, &mut p);
                    self.pending.insert(id, p);
                    out.push(Request {
                        request_id: id,
                        bytes,
                    });
                }
                return Ok(ClientEvent::Resend(out));
            }
            self.pending.remove(&rid);
            return Ok(ClientEvent::Report {
                request_id: Some(rid),
                reason,
                oid: o.report_oid().cloned(),
            });
        }
        if o.pdu_tag != tag::RESPONSE || o.request_id != rid {
            return Err(Error::Unexpected("not the Response to this request".into()));
        }
        if let Some(p) = &mut self.peer {
            if o.level > SecurityLevel::NoAuthNoPriv && !p.observe(o.boots, o.time, now) {
                return Err(Error::Unexpected("Response outside the time window".into()));
            }
        }
        self.pending.remove(&rid);
        Ok(ClientEvent::Response(Response {
            request_id: rid,
            error_status: ErrorStatus::from_code(o.error_status).unwrap_or(ErrorStatus::GenErr),
            error_index: o.error_index,
            varbinds: o.varbinds,
        }))
    }
}

fn names(oids: &[Oid]) -> Vec<(Oid, VarBindValue)> {
    oids.iter()
        .map(|o| (o.clone(), VarBindValue::Value(Value::Null)))
        .collect()
}

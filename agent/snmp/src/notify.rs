//! Notification originator (RFC 3413 §3.3): SNMPv2-Trap and InformRequest to the
//! configured targets, v2c and v3; inform retransmission; discovery of inform receivers
//! (RFC 3414 §4).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::ber::tag;
use crate::config::{NotifyKind, Target, TargetSecurity};
use crate::engine::{Counters, DropReason, Engine, Handled, InformId, ReportReason};
use crate::msg::{self, PduOut, V3Message, V3Out, VbList, Version};
use crate::oid::Oid;
use crate::peer::{self, Peer};
use crate::usm::SecurityLevel;
use crate::value::{Value, VarBindValue};

/// sysUpTime.0
pub const SYS_UPTIME_0: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 3, 0];
/// snmpTrapOID.0
pub const SNMP_TRAP_OID_0: [u32; 11] = [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];

/// A notification to send: its snmpTrapOID and the bindings that follow sysUpTime.0 and
/// snmpTrapOID.0 (RFC 3416 §4.2.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The NOTIFICATION-TYPE's OID (e.g. linkDown 1.3.6.1.6.3.1.1.5.3).
    pub trap_oid: Oid,
    /// The NOTIFICATION-TYPE's OBJECTS and any extra bindings.
    pub varbinds: Vec<(Oid, Value)>,
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Destination.
    pub to: SocketAddr,
    /// The message.
    pub bytes: Vec<u8>,
    /// The inform this datagram carries or prepares (a discovery probe), if any.
    pub inform: Option<InformId>,
}

/// How an inform ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InformResult {
    /// The receiver answered with a Response.
    Acked,
    /// No answer after every retry (or the receiver's engine could not be discovered).
    GaveUp,
    /// The receiver answered with a Report that retrying cannot fix (unknown user, wrong
    /// digest...).
    Refused(ReportReason),
}

/// The end of one inform, for the shell to log and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InformOutcome {
    /// Which inform.
    pub id: InformId,
    /// Its receiver.
    pub target: SocketAddr,
    /// What happened.
    pub result: InformResult,
}

#[derive(Debug)]
enum PeerState {
    Unknown,
    Probing {
        msg_id: i32,
        deadline: Instant,
        tries_left: u32,
        timeout: Duration,
    },
    Known(Box<Peer>),
}

#[derive(Debug)]
struct PeerSlot {
    addr: SocketAddr,
    user: String,
    state: PeerState,
}

#[derive(Debug)]
struct Pending {
    id: InformId,
    addr: SocketAddr,
    security: TargetSecurity,
    timeout: Duration,
    tries_left: u32,
    request_id: i32,
    /// The msgID of the last transmission (v3).
    msg_id: i32,
    varbinds: Vec<(Oid, VarBindValue)>,
    /// None while waiting for the receiver's engine to be discovered.
    deadline: Option<Instant>,
}

/// Inform and discovery state of an engine.
#[derive(Debug, Default)]
pub(crate) struct Notifier {
    peers: Vec<PeerSlot>,
    pending: Vec<Pending>,
    queued: Vec<Outgoing>,
    outcomes: Vec<InformOutcome>,
    next_id: u64,
}

impl Notifier {
    pub(crate) fn forget_peers(&mut self) {
        self.peers.clear();
        for p in &mut self.pending {
            if matches!(p.security, TargetSecurity::V3 { .. }) {
                p.deadline = None;
            }
        }
    }

    pub(crate) fn queue(&mut self, outs: Vec<Outgoing>) {
        self.queued.extend(outs);
    }

    pub(crate) fn owns_msg_id(&self, msg_id: i32) -> bool {
        self.peers
            .iter()
            .any(|p| matches!(p.state, PeerState::Probing { msg_id: m, .. } if m == msg_id))
            || self
                .pending
                .iter()
                .any(|p| p.msg_id == msg_id && matches!(p.security, TargetSecurity::V3 { .. }))
    }

    /// A v2c Response from `from`: acknowledges the matching inform.
    pub(crate) fn ack_community(
        &mut self,
        from: SocketAddr,
        community: &[u8],
        request_id: i32,
        counters: &mut Counters,
    ) -> Option<InformId> {
        let i = self.pending.iter().position(|p| {
            p.request_id == request_id
                && same_addr(p.addr, from)
                && matches!(&p.security, TargetSecurity::V2c { community: c } if c.as_bytes() == community)
        })?;
        let p = self.pending.swap_remove(i);
        counters.informs_acked = counters.informs_acked.wrapping_add(1);
        self.outcomes.push(InformOutcome {
            id: p.id,
            target: p.addr,
            result: InformResult::Acked,
        });
        Some(p.id)
    }
}

fn same_addr(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port() && a.ip().to_canonical() == b.ip().to_canonical()
}

impl Engine {
    /// Produces a datagram per configured target: v2c SNMPv2-Trap/InformRequest with the
    /// target's community; v3 Trap as the authoritative engine; v3 InformRequest to an
    /// authoritative receiver, discovered first with a probe (RFC 3414 §4) when its engine
    /// ID is not known yet. `uptime_ticks` is sysUpTime.0.
    ///
    /// Informs are retransmitted by [`Engine::poll`] every `timeout` (fixed, not doubled)
    /// until a Response arrives or `retries` are spent; see [`Engine::drain_outcomes`].
    /// A v3 target whose user's notify view (VACM) excludes the trap OID or a binding is
    /// skipped (RFC 3413 §3.3 step 3).
    pub fn notify(&mut self, now: Instant, uptime_ticks: u32, n: &Notification) -> Vec<Outgoing> {
        let mut vbs: Vec<(Oid, VarBindValue)> = Vec::with_capacity(n.varbinds.len() + 2);
        vbs.push((
            Oid::from(SYS_UPTIME_0),
            VarBindValue::Value(Value::TimeTicks(uptime_ticks)),
        ));
        vbs.push((
            Oid::from(SNMP_TRAP_OID_0),
            VarBindValue::Value(Value::ObjectId(n.trap_oid.clone())),
        ));
        vbs.extend(
            n.varbinds
                .iter()
                .map(|(o, v)| (o.clone(), VarBindValue::Value(v.clone()))),
        );
        let mut outs = Vec::new();
        let targets = self.cfg.targets.clone();
        for t in &targets {
            if !self.notify_allowed(t, n) {
                continue;
            }
            match (t.kind, &t.security) {
                (NotifyKind::Trap, TargetSecurity::V2c { community }) => {
                    let rid = self.rng.next_id();
                    let mut bytes = Vec::new();
                    let p = PduOut {
                        tag: tag::TRAP_V2,
                        request_id: rid,
                        a: 0,
                        b: 0,
                        list: VbList::Items(&vbs),
                    };
                    msg::encode_community(&mut bytes, Version::V2c, community.as_bytes(), &p);
                    outs.push(Outgoing {
                        to: t.addr,
                        bytes,
                        inform: None,
                    });
                }
                (NotifyKind::Trap, TargetSecurity::V3 { user, level }) => {
                    if let Some(bytes) = self.encode_v3_trap(now, user, *level, &vbs) {
                        outs.push(Outgoing {
                            to: t.addr,
                            bytes,
                            inform: None,
                        });
                    }
                }
                (NotifyKind::Inform, sec) => {
                    let id = InformId(self.notifier.next_id);
                    self.notifier.next_id += 1;
                    let pending = Pending {
                        id,
                        addr: t.addr,
                        security: sec.clone(),
                        timeout: t.timeout,
                        tries_left: t.retries,
                        request_id: self.rng.next_id(),
                        msg_id: 0,
                        varbinds: vbs.clone(),
                        deadline: None,
                    };
                    self.notifier.pending.push(pending);
                    let i = self.notifier.pending.len() - 1;
                    self.start_inform(now, i, &mut outs);
                }
            }
        }
        self.counters_mut().out_notifications = self
            .counters
            .out_notifications
            .wrapping_add(outs.len() as u32);
        outs
    }

    fn notify_allowed(&self, t: &Target, n: &Notification) -> bool {
        let TargetSecurity::V3 { user, level } = &t.security else {
            return true;
        };
        let Some(u) = self.users.iter().find(|u| *u.name == *user.as_bytes()) else {
            return false;
        };
        let idx = match level {
            SecurityLevel::NoAuthNoPriv => 0,
            SecurityLevel::AuthNoPriv => 1,
            SecurityLevel::AuthPriv => 2,
        };
        match u.authz[idx].and_then(|a| a.notify) {
            None => true,
            Some(v) => {
                let view = &self.views[v];
                view.contains(n.trap_oid.as_slice())
                    && n.varbinds.iter().all(|(o, _)| view.contains(o.as_slice()))
            }
        }
    }

    fn encode_v3_trap(
        &mut self,
        now: Instant,
        user: &str,
        level: SecurityLevel,
        vbs: &[(Oid, VarBindValue)],
    ) -> Option<Vec<u8>> {
        let ui = self
            .users
            .iter()
            .position(|u| *u.name == *user.as_bytes())?;
        let keys = self.users[ui].local.clone();
        let msg_id = self.rng.next_id();
        let rid = self.rng.next_id();
        let salt = self.next_salt();
        let h = V3Out {
            msg_id,
            max_size: i32::try_from(self.cfg.max_message_size).unwrap_or(i32::MAX),
            level,
            reportable: false,
            engine_id: &self.cfg.engine_id,
            boots: self.boots,
            time: self.engine_time(now),
            user: user.as_bytes(),
            keys: Some(&keys),
            context_engine_id: &self.cfg.engine_id,
            context_name: &[],
            salt,
        };
        let p = PduOut {
            tag: tag::TRAP_V2,
            request_id: rid,
            a: 0,
            b: 0,
            list: VbList::Items(vbs),
        };
        let (mut bytes, mut scratch) = (Vec::new(), Vec::new());
        msg::encode_v3(&mut bytes, &mut scratch, &h, &p);
        Some(bytes)
    }

    /// Sends pending inform `i` (or the probe it needs).
    fn start_inform(&mut self, now: Instant, i: usize, outs: &mut Vec<Outgoing>) {
        let (addr, security, timeout, retries) = {
            let p = &self.notifier.pending[i];
            (p.addr, p.security.clone(), p.timeout, p.tries_left)
        };
        match &security {
            TargetSecurity::V2c { .. } => {
                if let Some(o) = self.encode_inform(now, i) {
                    outs.push(o);
                }
            }
            TargetSecurity::V3 { user, .. } => {
                let slot = self.peer_slot(addr, user);
                match self.notifier.peers[slot].state {
                    PeerState::Known(_) => {
                        if let Some(o) = self.encode_inform(now, i) {
                            outs.push(o);
                        }
                    }
                    PeerState::Probing { .. } => {}
                    PeerState::Unknown => {
                        let o = self.send_probe(
                            now,
                            slot,
                            timeout,
                            retries,
                            Some(self.notifier.pending[i].id),
                        );
                        outs.push(o);
                    }
                }
            }
        }
    }

    fn peer_slot(&mut self, addr: SocketAddr, user: &str) -> usize {
        if let Some(i) = self
            .notifier
            .peers
            .iter()
            .position(|p| p.addr == addr && p.user == user)
        {
            return i;
        }
        self.notifier.peers.push(PeerSlot {
            addr,
            user: user.to_string(),
            state: PeerState::Unknown,
        });
        self.notifier.peers.len() - 1
    }

    fn send_probe(
        &mut self,
        now: Instant,
        slot: usize,
        timeout: Duration,
        tries_left: u32,
        inform: Option<InformId>,
    ) -> Outgoing {
        let msg_id = self.rng.next_id();
        let rid = self.rng.next_id();
        let mut bytes = Vec::new();
        let mut scratch = Vec::new();
        peer::encode_probe(
            &mut bytes,
            &mut scratch,
            msg_id,
            rid,
            i32::try_from(self.cfg.max_message_size).unwrap_or(i32::MAX),
        );
        self.notifier.peers[slot].state = PeerState::Probing {
            msg_id,
            deadline: now + timeout,
            tries_left,
            timeout,
        };
        Outgoing {
            to: self.notifier.peers[slot].addr,
            bytes,
            inform: inform.or_else(|| {
                self.notifier
                    .pending
                    .iter()
                    .find(|p| p.addr == self.notifier.peers[slot].addr && p.deadline.is_none())
                    .map(|p| p.id)
            }),
        }
    }

    /// Encodes (or re-encodes, for a retransmission) pending inform `i` and arms its timer.
    fn encode_inform(&mut self, now: Instant, i: usize) -> Option<Outgoing> {
        let msg_id = self.rng.next_id();
        let salt = self.next_salt();
        let max_size = i32::try_from(self.cfg.max_message_size).unwrap_or(i32::MAX);
        let p = &self.notifier.pending[i];
        let pdu = PduOut {
            tag: tag::INFORM,
            request_id: p.request_id,
            a: 0,
            b: 0,
            list: VbList::Items(&p.varbinds),
        };
        let mut bytes = Vec::new();
        match &p.security {
            TargetSecurity::V2c { community } => {
                msg::encode_community(&mut bytes, Version::V2c, community.as_bytes(), &pdu);
            }
            TargetSecurity::V3 { user, level } => {
                let slot = self
                    .notifier
                    .peers
                    .iter()
                    .position(|s| s.addr == p.addr && &s.user == user)?;
                let PeerState::Known(peer) = &self.notifier.peers[slot].state else {
                    return None;
                };
                let h = V3Out {
                    msg_id,
                    max_size,
                    level: *level,
                    reportable: true,
                    engine_id: &peer.engine_id,
                    boots: peer.boots,
                    time: peer.time_at(now),
                    user: user.as_bytes(),
                    keys: Some(&peer.keys),
                    context_engine_id: &self.cfg.engine_id,
                    context_name: &[],
                    salt,
                };
                let mut scratch = Vec::new();
                msg::encode_v3(&mut bytes, &mut scratch, &h, &pdu);
            }
        }
        let p = &mut self.notifier.pending[i];
        p.msg_id = msg_id;
        p.deadline = Some(now + p.timeout);
        Some(Outgoing {
            to: p.addr,
            bytes,
            inform: Some(p.id),
        })
    }

    /// Retransmissions and probes due at `now`, notifications queued by
    /// [`Engine::handle`] (authenticationFailure, informs released by a discovery), and the
    /// next deadline.
    pub fn poll(&mut self, now: Instant) -> (Vec<Outgoing>, Option<Instant>) {
        let mut outs = std::mem::take(&mut self.notifier.queued);
        // Probes.
        for slot in 0..self.notifier.peers.len() {
            if let PeerState::Probing {
                deadline,
                tries_left,
                timeout,
                ..
            } = self.notifier.peers[slot].state
            {
                if deadline > now {
                    continue;
                }
                if tries_left > 0 {
                    let o = self.send_probe(now, slot, timeout, tries_left - 1, None);
                    outs.push(o);
                } else {
                    let (addr, user) = (
                        self.notifier.peers[slot].addr,
                        self.notifier.peers[slot].user.clone(),
                    );
                    self.notifier.peers[slot].state = PeerState::Unknown;
                    self.give_up_waiting(addr, &user, InformResult::GaveUp);
                }
            }
        }
        // Informs.
        let mut i = 0;
        while i < self.notifier.pending.len() {
            match self.notifier.pending[i].deadline {
                Some(d) if d <= now => {
                    if self.notifier.pending[i].tries_left > 0 {
                        self.notifier.pending[i].tries_left -= 1;
                        match self.encode_inform(now, i) {
                            Some(o) => outs.push(o),
                            None => {
                                // The receiver must be discovered again.
                                self.notifier.pending[i].deadline = None;
                                self.start_inform(now, i, &mut outs);
                            }
                        }
                        i += 1;
                    } else {
                        let p = self.notifier.pending.swap_remove(i);
                        self.finish(p.id, p.addr, InformResult::GaveUp);
                    }
                }
                _ => i += 1,
            }
        }
        let c = &mut self.counters_mut().out_notifications;
        *c = c.wrapping_add(outs.len() as u32);
        let next = self
            .notifier
            .peers
            .iter()
            .filter_map(|p| match p.state {
                PeerState::Probing { deadline, .. } => Some(deadline),
                _ => None,
            })
            .chain(self.notifier.pending.iter().filter_map(|p| p.deadline))
            .min();
        (outs, next)
    }

    /// Inform outcomes since the last call.
    pub fn drain_outcomes(&mut self) -> Vec<InformOutcome> {
        std::mem::take(&mut self.notifier.outcomes)
    }

    /// Informs still waiting for an answer.
    pub fn pending_informs(&self) -> usize {
        self.notifier.pending.len()
    }

    fn finish(&mut self, id: InformId, target: SocketAddr, result: InformResult) {
        let c = self.counters_mut();
        match result {
            InformResult::Acked => c.informs_acked = c.informs_acked.wrapping_add(1),
            _ => c.informs_gave_up = c.informs_gave_up.wrapping_add(1),
        }
        self.notifier
            .outcomes
            .push(InformOutcome { id, target, result });
    }

    fn give_up_waiting(&mut self, addr: SocketAddr, user: &str, result: InformResult) {
        let mut i = 0;
        while i < self.notifier.pending.len() {
            let p = &self.notifier.pending[i];
            let matches = p.addr == addr
                && matches!(&p.security, TargetSecurity::V3 { user: u, .. } if u == user);
            if matches && (p.deadline.is_none() || !matches!(result, InformResult::GaveUp)) {
                let p = self.notifier.pending.swap_remove(i);
                self.finish(p.id, p.addr, result);
            } else {
                i += 1;
            }
        }
    }

    /// A v3 message answering one of our probes or informs.
    pub(crate) fn handle_peer_message(
        &mut self,
        now: Instant,
        from: SocketAddr,
        whole: &[u8],
        m: &V3Message<'_>,
    ) -> Handled {
        let _ = from;
        // A discovery Report?
        if let Some(slot) = self.notifier.peers.iter().position(
            |p| matches!(p.state, PeerState::Probing { msg_id, .. } if msg_id == m.msg_id),
        ) {
            let Ok(o) = peer::open_v3(whole, m, None) else {
                return Handled::Dropped(DropReason::Unexpected);
            };
            if o.pdu_tag != tag::REPORT || o.engine_id.len() < 5 {
                return Handled::Dropped(DropReason::Unexpected);
            }
            let user = self.notifier.peers[slot].user.clone();
            let Some(u) = self.users.iter().find(|u| *u.name == *user.as_bytes()) else {
                return Handled::Dropped(DropReason::Unexpected);
            };
            let p = Peer::new(&o.engine_id, o.boots, o.time, now, &u.master);
            let addr = self.notifier.peers[slot].addr;
            self.notifier.peers[slot].state = PeerState::Known(Box::new(p));
            // Release the informs that waited for it.
            let mut outs = Vec::new();
            for i in 0..self.notifier.pending.len() {
                let q = &self.notifier.pending[i];
                let waiting = q.deadline.is_none()
                    && q.addr == addr
                    && matches!(&q.security, TargetSecurity::V3 { user: u, .. } if *u == user);
                if waiting {
                    if let Some(o) = self.encode_inform(now, i) {
                        outs.push(o);
                    }
                }
            }
            self.notifier.queue(outs);
            return Handled::PeerLearned;
        }
        let Some(i) = self
            .notifier
            .pending
            .iter()
            .position(|p| p.msg_id == m.msg_id)
        else {
            return Handled::Dropped(DropReason::Unexpected);
        };
        let (addr, user) = match &self.notifier.pending[i].security {
            TargetSecurity::V3 { user, .. } => (self.notifier.pending[i].addr, user.clone()),
            TargetSecurity::V2c { .. } => return Handled::Dropped(DropReason::Unexpected),
        };
        let Some(slot) = self
            .notifier
            .peers
            .iter()
            .position(|s| s.addr == addr && s.user == user)
        else {
            return Handled::Dropped(DropReason::Unexpected);
        };
        let PeerState::Known(peer) = &mut self.notifier.peers[slot].state else {
            return Handled::Dropped(DropReason::Unexpected);
        };
        let Ok(o) = peer::open_v3(whole, m, Some(&peer.keys)) else {
            return Handled::Dropped(DropReason::Unexpected);
        };
        if o.engine_id != peer.engine_id {
            return Handled::Dropped(DropReason::Unexpected);
        }
        match o.pdu_tag {
            tag::RESPONSE if o.request_id == self.notifier.pending[i].request_id => {
                if o.level > SecurityLevel::NoAuthNoPriv && !peer.observe(o.boots, o.time, now) {
                    return Handled::Dropped(DropReason::Usm(ReportReason::NotInTimeWindow));
                }
                let p = self.notifier.pending.swap_remove(i);
                self.finish(p.id, p.addr, InformResult::Acked);
                Handled::InformAcked(p.id)
            }
            tag::REPORT => {
                let reason = o
                    .report_oid()
                    .and_then(|r| ReportReason::from_oid(r.as_slice()));
                match reason {
                    Some(ReportReason::NotInTimeWindow)
                        if o.level > SecurityLevel::NoAuthNoPriv =>
                    {
                        // RFC 3414 §4: the authenticated Report carries the receiver's
                        // boots/time: adopt them and send again.
                        peer.boots = o.boots;
                        peer.time = o.time;
                        peer.learned_at = now;
                        self.resend_now(now, i)
                    }
                    Some(ReportReason::UnknownEngineId) | Some(ReportReason::NotInTimeWindow) => {
                        // The receiver restarted with a new engine ID (or the Report
                        // could not be authenticated): discover again.
                        let (timeout, tries) = (
                            self.notifier.pending[i].timeout,
                            self.notifier.pending[i].tries_left,
                        );
                        if tries == 0 {
                            let p = self.notifier.pending.swap_remove(i);
                            self.finish(p.id, p.addr, InformResult::GaveUp);
                            return Handled::Dropped(DropReason::Unexpected);
                        }
                        self.notifier.pending[i].tries_left -= 1;
                        self.notifier.pending[i].deadline = None;
                        let id = self.notifier.pending[i].id;
                        let o = self.send_probe(now, slot, timeout, tries - 1, Some(id));
                        self.notifier.queue(vec![o]);
                        Handled::PeerLearned
                    }
                    Some(r) => {
                        let p = self.notifier.pending.swap_remove(i);
                        self.finish(p.id, p.addr, InformResult::Refused(r));
                        Handled::Dropped(DropReason::Usm(r))
                    }
                    None => Handled::Dropped(DropReason::Unexpected),
                }
            }
            _ => Handled::Dropped(DropReason::Unexpected),
        }
    }

    fn resend_now(&mut self, now: Instant, i: usize) -> Handled {
        if self.notifier.pending[i].tries_left == 0 {
            let p = self.notifier.pending.swap_remove(i);
            self.finish(p.id, p.addr, InformResult::GaveUp);
            return Handled::Dropped(DropReason::Usm(ReportReason::NotInTimeWindow));
        }
        self.notifier.pending[i].tries_left -= 1;
        if let Some(o) = self.encode_inform(now, i) {
            self.notifier.queue(vec![o]);
        }
        Handled::PeerLearned
    }
}

//! The agent side: one datagram in, at most one datagram out.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use crate::ber::{self, tag, RawValue};
use crate::config::{EngineConfig, IpNet, SecurityModel};
use crate::error::Result;
use crate::msg::{
    self, decode_message, Message, MessageError, PduOut, RawPdu, ScopedData, V3Message, V3Out,
    VbList, Version, FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE, MAX_VARBINDS,
};
use crate::notify::Notifier;
use crate::objects::{engine_subtree, Step, SNMP_SET_SERIAL_NO, WALK_BUDGET};
use crate::oid::Oid;
use crate::peer;
use crate::rng::SplitMix64;
use crate::usm::{LocalKeys, MasterKeys, SecurityLevel};
use crate::vacm::{self, Authz, CompiledView};
use crate::value::{ErrorStatus, Lookup, Mib, Value, VarBindValue};

/// The engine's counters: the SNMPv2-MIB `snmp` group (RFC 3418), SNMP-MPD-MIB
/// `snmpMPDStats` (RFC 3412), SNMP-TARGET-MIB context counters (RFC 3413), SNMP-USM-MIB
/// `usmStats` (RFC 3414), and notification outcomes for the shell. Counter32 semantics:
/// they wrap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// snmpInPkts: every datagram given to [`Engine::handle`].
    pub snmp_in_pkts: u32,
    /// snmpInBadVersions.
    pub snmp_in_bad_versions: u32,
    /// snmpInBadCommunityNames: unknown community, or a source the community does not
    /// allow (RFC 3418 lets the additional check count here).
    pub snmp_in_bad_community_names: u32,
    /// snmpInBadCommunityUses: an operation the community may not do (Set without write
    /// access).
    pub snmp_in_bad_community_uses: u32,
    /// snmpInASNParseErrs.
    pub snmp_in_asn_parse_errs: u32,
    /// snmpSilentDrops: a Response (even the tooBig one) that could not fit.
    pub snmp_silent_drops: u32,
    /// snmpProxyDrops (we do not proxy: stays 0).
    pub snmp_proxy_drops: u32,
    /// snmpUnknownSecurityModels.
    pub snmp_unknown_security_models: u32,
    /// snmpInvalidMsgs.
    pub snmp_invalid_msgs: u32,
    /// snmpUnknownPDUHandlers.
    pub snmp_unknown_pdu_handlers: u32,
    /// snmpUnavailableContexts.
    pub snmp_unavailable_contexts: u32,
    /// snmpUnknownContexts.
    pub snmp_unknown_contexts: u32,
    /// usmStatsUnsupportedSecLevels.
    pub usm_unsupported_sec_levels: u32,
    /// usmStatsNotInTimeWindows.
    pub usm_not_in_time_windows: u32,
    /// usmStatsUnknownUserNames.
    pub usm_unknown_user_names: u32,
    /// usmStatsUnknownEngineIDs.
    pub usm_unknown_engine_ids: u32,
    /// usmStatsWrongDigests.
    pub usm_wrong_digests: u32,
    /// usmStatsDecryptionErrors.
    pub usm_decryption_errors: u32,
    /// Responses and Reports written.
    pub out_responses: u32,
    /// Notification datagrams produced (traps, informs, retransmissions, probes).
    pub out_notifications: u32,
    /// Informs acknowledged.
    pub informs_acked: u32,
    /// Informs given up after their retries.
    pub informs_gave_up: u32,
    /// authenticationFailure notifications sent.
    pub auth_failure_traps: u32,
}

fn inc(c: &mut u32) {
    *c = c.wrapping_add(1);
}

/// Why a datagram got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// Not well-formed (snmpInASNParseErrs).
    Parse,
    /// Unknown version (snmpInBadVersions).
    BadVersion,
    /// Unknown community (snmpInBadCommunityNames).
    BadCommunity,
    /// The community is not allowed from this source (snmpInBadCommunityNames).
    SourceNotAllowed,
    /// msgSecurityModel is not USM (snmpUnknownSecurityModels).
    UnknownSecurityModel,
    /// Inconsistent v3 header (snmpInvalidMsgs).
    InvalidMsg,
    /// A USM error that is not reportable (the usmStats counter says which).
    Usm(ReportReason),
    /// A Response that would not fit, not even as tooBig (snmpSilentDrops).
    TooBig,
    /// A PDU type we do not take (Trap, Inform, Report, or a Response we did not ask
    /// for).
    Unexpected,
}

/// What a Report sent in answer says (RFC 3414 §3.2, RFC 3412 §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReportReason {
    /// usmStatsUnknownEngineIDs (also discovery).
    UnknownEngineId,
    /// usmStatsUnknownUserNames.
    UnknownUserName,
    /// usmStatsUnsupportedSecLevels.
    UnsupportedSecLevel,
    /// usmStatsWrongDigests.
    WrongDigest,
    /// usmStatsNotInTimeWindows.
    NotInTimeWindow,
    /// usmStatsDecryptionErrors.
    DecryptionError,
    /// snmpUnknownContexts.
    UnknownContext,
    /// snmpUnknownPDUHandlers (a contextEngineID that is not ours).
    UnknownPduHandler,
}

impl ReportReason {
    fn oid(self) -> &'static [u32] {
        match self {
            ReportReason::UnsupportedSecLevel => &[1, 3, 6, 1, 6, 3, 15, 1, 1, 1, 0],
            ReportReason::NotInTimeWindow => &[1, 3, 6, 1, 6, 3, 15, 1, 1, 2, 0],
            ReportReason::UnknownUserName => &[1, 3, 6, 1, 6, 3, 15, 1, 1, 3, 0],
            ReportReason::UnknownEngineId => &[1, 3, 6, 1, 6, 3, 15, 1, 1, 4, 0],
            ReportReason::WrongDigest => &[1, 3, 6, 1, 6, 3, 15, 1, 1, 5, 0],
            ReportReason::DecryptionError => &[1, 3, 6, 1, 6, 3, 15, 1, 1, 6, 0],
            ReportReason::UnknownContext => &[1, 3, 6, 1, 6, 3, 12, 1, 5, 0],
            ReportReason::UnknownPduHandler => &[1, 3, 6, 1, 6, 3, 11, 2, 1, 3, 0],
        }
    }

    /// Which of our Reports a peer's Report OID is.
    pub(crate) fn from_oid(o: &[u32]) -> Option<Self> {
        use ReportReason::*;
        [
            UnsupportedSecLevel,
            NotInTimeWindow,
            UnknownUserName,
            UnknownEngineId,
            WrongDigest,
            DecryptionError,
            UnknownContext,
            UnknownPduHandler,
        ]
        .into_iter()
        .find(|r| o.starts_with(&r.oid()[..r.oid().len() - 1]))
    }

    fn counter(self, c: &mut Counters) -> &mut u32 {
        match self {
            ReportReason::UnknownEngineId => &mut c.usm_unknown_engine_ids,
            ReportReason::UnknownUserName => &mut c.usm_unknown_user_names,
            ReportReason::UnsupportedSecLevel => &mut c.usm_unsupported_sec_levels,
            ReportReason::WrongDigest => &mut c.usm_wrong_digests,
            ReportReason::NotInTimeWindow => &mut c.usm_not_in_time_windows,
            ReportReason::DecryptionError => &mut c.usm_decryption_errors,
            ReportReason::UnknownContext => &mut c.snmp_unknown_contexts,
            ReportReason::UnknownPduHandler => &mut c.snmp_unknown_pdu_handlers,
        }
    }
}

/// Identifies one inform (all its retransmissions) in outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InformId(pub u64);

/// What [`Engine::handle`] did with a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Handled {
    /// A Response is in `out`.
    Response,
    /// A Report is in `out` (discovery, or a USM error the manager should hear about).
    Report(ReportReason),
    /// Nothing to send back.
    Dropped(DropReason),
    /// A Response acknowledged one of our informs.
    InformAcked(InformId),
    /// A Report from an inform receiver taught us its engine ID or time: informs waiting
    /// for it are now due — call [`Engine::poll`].
    PeerLearned,
}

#[derive(Debug)]
pub(crate) struct CommunityEntry {
    community: Vec<u8>,
    sources: Vec<IpNet>,
    read: usize,
    write: Option<usize>,
}

#[derive(Debug)]
pub(crate) struct UserEntry {
    pub(crate) name: Arc<[u8]>,
    pub(crate) master: MasterKeys,
    /// Keys localised to our engine ID.
    pub(crate) local: Arc<LocalKeys>,
    min_level: SecurityLevel,
    /// VACM result per security level (index: NoAuthNoPriv, AuthNoPriv, AuthPriv).
    pub(crate) authz: [Option<Authz>; 3],
}

/// What a request may do, resolved before processing.
#[derive(Debug, Clone, Copy)]
struct Ctx {
    version: Version,
    authz: Option<Authz>,
    /// Largest Response we may build.
    limit: usize,
    community: bool,
}

/// How the Response of a request is wrapped: enough to compute its length.
#[derive(Debug, Clone, Copy)]
enum Wrap<'x> {
    Community {
        version: Version,
        community: &'x [u8],
    },
    V3(V3Out<'x>),
}

impl Wrap<'_> {
    fn total_len(&self, pdu_len: usize) -> usize {
        match self {
            Wrap::Community { version, community } => {
                msg::community_len(*version, community, pdu_len)
            }
            Wrap::V3(h) => h.total_len(pdu_len),
        }
    }

    fn encode(&self, out: &mut Vec<u8>, scratch: &mut Vec<u8>, p: &PduOut<'_>) {
        match self {
            Wrap::Community { version, community } => {
                msg::encode_community(out, *version, community, p)
            }
            Wrap::V3(h) => msg::encode_v3(out, scratch, h, p),
        }
    }
}

/// The outcome of processing a request PDU (the bindings are in `Engine::vbs`).
#[derive(Debug, Clone, Copy)]
struct Outcome {
    status: ErrorStatus,
    /// 1-based; 0 for none.
    index: i32,
    /// Echo the request's bindings instead of `vbs` (v1 errors, Set).
    echo: bool,
}

impl Outcome {
    fn ok() -> Self {
        Outcome {
            status: ErrorStatus::NoError,
            index: 0,
            echo: false,
        }
    }
    fn err(status: ErrorStatus, index: usize) -> Self {
        Outcome {
            status,
            index: i32::try_from(index + 1).unwrap_or(i32::MAX),
            echo: true,
        }
    }
}

/// The SNMP engine: command responder and notification originator, sans-IO.
///
/// See the [crate documentation](crate) for the drive loop.
#[derive(Debug)]
pub struct Engine {
    pub(crate) cfg: EngineConfig,
    /// The engine ID, shared with messages being built.
    engine_id: Arc<[u8]>,
    pub(crate) boots: u32,
    start: Instant,
    pub(crate) rng: SplitMix64,
    salt: u64,
    pub(crate) counters: Counters,
    pub(crate) views: Vec<CompiledView>,
    communities: Vec<CommunityEntry>,
    pub(crate) users: Vec<UserEntry>,
    pub(crate) set_serial: i32,
    last_auth_trap: Option<Instant>,
    pub(crate) notifier: Notifier,
    scratch: Vec<u8>,
    scratch2: Vec<u8>,
    vbs: Vec<(Oid, VarBindValue)>,
    oidbuf: Vec<u32>,
}

fn level_index(l: SecurityLevel) -> usize {
    match l {
        SecurityLevel::NoAuthNoPriv => 0,
        SecurityLevel::AuthNoPriv => 1,
        SecurityLevel::AuthPriv => 2,
    }
}

impl Engine {
    /// Builds an engine. Localises every key here (the slow part: 1 MB of hashing per
    /// password, RFC 3414 A.2), so build it once per configuration.
    ///
    /// `boots` is snmpEngineBoots (the shell persists and increments it at every start);
    /// `now` is when snmpEngineTime is 0.
    pub fn new(config: EngineConfig, boots: u32, now: Instant) -> Result<Self> {
        let mut e = Engine {
            cfg: EngineConfig::new(Vec::new()),
            engine_id: Arc::from(&[][..]),
            boots: boots.min(0x7fff_ffff),
            start: now,
            rng: SplitMix64::new(config.seed),
            salt: 0,
            counters: Counters::default(),
            views: Vec::new(),
            communities: Vec::new(),
            users: Vec::new(),
            set_serial: 0,
            last_auth_trap: None,
            notifier: Notifier::default(),
            scratch: Vec::with_capacity(2048),
            scratch2: Vec::with_capacity(2048),
            vbs: Vec::with_capacity(64),
            oidbuf: Vec::with_capacity(32),
        };
        e.reconfigure(config)?;
        // RFC 3826 §3.1.2.1 / RFC 3414 §8.1.1.1: the salt counter starts at a
        // pseudo-random value.
        e.salt = e.rng.next_u64();
        e.set_serial = e.rng.next_id();
        Ok(e)
    }

    /// A new configuration keeps counters, boots, engine time and pending informs.
    pub fn reconfigure(&mut self, config: EngineConfig) -> Result<()> {
        config.validate()?;
        let view_names: Vec<String> = config.views.iter().map(|v| v.name.clone()).collect();
        let views: Vec<CompiledView> = config.views.iter().map(CompiledView::compile).collect();
        let index = |n: &str| view_names.iter().position(|v| v == n);
        let communities = config
            .communities
            .iter()
            .map(|c| CommunityEntry {
                community: c.community.as_bytes().to_vec(),
                sources: c.sources.clone(),
                read: index(&c.read_view).unwrap_or(0),
                write: c.write_view.as_deref().and_then(index),
            })
            .collect();
        let users = config
            .users
            .iter()
            .map(|u| {
                let master = MasterKeys::from_passwords(
                    u.auth.as_ref().map(|(p, pw)| (*p, pw.as_bytes())),
                    u.privacy.as_ref().map(|(p, pw)| (*p, pw.as_bytes())),
                );
                let local = master.localize(&config.engine_id);
                let authz = [
                    SecurityLevel::NoAuthNoPriv,
                    SecurityLevel::AuthNoPriv,
                    SecurityLevel::AuthPriv,
                ]
                .map(|l| vacm::resolve(&config, &index, SecurityModel::Usm, &u.name, l));
                UserEntry {
                    name: Arc::from(u.name.as_bytes()),
                    master,
                    local: Arc::new(local),
                    min_level: u.min_level.unwrap_or(u.level()),
                    authz,
                }
            })
            .collect();
        self.views = views;
        self.communities = communities;
        self.users = users;
        // Keys may have changed: inform receivers are discovered again.
        self.notifier.forget_peers();
        self.engine_id = Arc::from(config.engine_id.as_slice());
        self.cfg = config;
        Ok(())
    }

    /// The counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// snmpEngineID.
    pub fn engine_id(&self) -> &[u8] {
        &self.cfg.engine_id
    }

    /// snmpEngineBoots.
    pub fn boots(&self) -> u32 {
        self.boots
    }

    /// snmpEngineTime at `now`: seconds since [`Engine::new`] (RFC 3414 §2.2.1).
    pub fn engine_time(&self, now: Instant) -> u32 {
        now.saturating_duration_since(self.start)
            .as_secs()
            .min(0x7fff_ffff) as u32
    }

    /// Hundredths of a second since [`Engine::new`] (used as sysUpTime in the
    /// authenticationFailure notifications the engine sends itself).
    pub fn uptime_ticks(&self, now: Instant) -> u32 {
        (now.saturating_duration_since(self.start).as_millis() / 10) as u32
    }

    /// The configuration in force.
    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    pub(crate) fn next_salt(&mut self) -> u64 {
        self.salt = self.salt.wrapping_add(1);
        self.salt
    }

    /// One incoming datagram from `from`; the reply (if any) is written into `out`
    /// (cleared first), to be sent back to `from`.
    pub fn handle<M: Mib + ?Sized>(
        &mut self,
        now: Instant,
        from: SocketAddr,
        datagram: &[u8],
        mib: &mut M,
        out: &mut Vec<u8>,
    ) -> Handled {
        out.clear();
        inc(&mut self.counters.snmp_in_pkts);
        let handled = match decode_message(datagram) {
            Err(MessageError::BadVersion) => {
                inc(&mut self.counters.snmp_in_bad_versions);
                Handled::Dropped(DropReason::BadVersion)
            }
            Err(MessageError::Parse(_)) => {
                inc(&mut self.counters.snmp_in_asn_parse_errs);
                Handled::Dropped(DropReason::Parse)
            }
            Ok(Message::Community {
                version,
                community,
                pdu,
            }) => self.handle_community(now, from, version, community, &pdu, mib, out),
            Ok(Message::V3(m)) => self.handle_v3(now, from, datagram, &m, mib, out),
        };
        if matches!(handled, Handled::Response | Handled::Report(_)) {
            inc(&mut self.counters.out_responses);
        }
        handled
    }

    #[allow(clippy::too_many_arguments)]
    fn handle_community<M: Mib + ?Sized>(
        &mut self,
        now: Instant,
        from: SocketAddr,
        version: Version,
        community: &[u8],
        pdu: &RawPdu<'_>,
        mib: &mut M,
        out: &mut Vec<u8>,
    ) -> Handled {
        match pdu.tag {
            tag::GET | tag::GET_NEXT | tag::GET_BULK | tag::SET => {}
            tag::RESPONSE => {
                return match self.notifier.ack_community(
                    from,
                    community,
                    pdu.request_id,
                    &mut self.counters,
                ) {
                    Some(id) => Handled::InformAcked(id),
                    None => Handled::Dropped(DropReason::Unexpected),
                }
            }
            _ => return Handled::Dropped(DropReason::Unexpected),
        }
        let Some(ci) = self
            .communities
            .iter()
            .position(|c| c.community == community)
        else {
            inc(&mut self.counters.snmp_in_bad_community_names);
            self.auth_failure(now);
            return Handled::Dropped(DropReason::BadCommunity);
        };
        let c = &self.communities[ci];
        if !c.sources.is_empty() && !c.sources.iter().any(|n| n.contains(from.ip())) {
            inc(&mut self.counters.snmp_in_bad_community_names);
            self.auth_failure(now);
            return Handled::Dropped(DropReason::SourceNotAllowed);
        }
        let ctx = Ctx {
            version,
            authz: Some(Authz {
                read: Some(c.read),
                write: c.write,
                notify: None,
            }),
            limit: self.cfg.max_message_size,
            community: true,
        };
        let wrap = Wrap::Community { version, community };
        self.respond(now, &ctx, &wrap, pdu, mib, out)
    }

    /// Processes a request PDU and writes the Response that fits.
    fn respond<M: Mib + ?Sized>(
        &mut self,
        now: Instant,
        ctx: &Ctx,
        wrap: &Wrap<'_>,
        pdu: &RawPdu<'_>,
        mib: &mut M,
        out: &mut Vec<u8>,
    ) -> Handled {
        let mut vbs = std::mem::take(&mut self.vbs);
        vbs.clear();
        let total = |a: i32, b: i32, list_len: usize| {
            wrap.total_len(msg::pdu_content_len(pdu.request_id, a, b, list_len))
        };
        // What a successful Response with `list_len` octets of bindings needs.
        let fits = |list_len: usize| total(0, 0, list_len) <= ctx.limit;
        let outcome = match pdu.tag {
            tag::GET => self.do_get(now, ctx, pdu, &*mib, &mut vbs),
            tag::GET_NEXT => self.do_get_next(now, ctx, pdu, &*mib, &mut vbs),
            tag::GET_BULK => self.do_get_bulk(now, ctx, pdu, &*mib, &mut vbs, &fits),
            _ => self.do_set(now, ctx, pdu, mib),
        };
        let mut scratch = std::mem::take(&mut self.scratch);
        let list = if outcome.echo {
            VbList::Raw(pdu.list)
        } else if outcome.status == ErrorStatus::TooBig {
            // RFC 3416 §4.2.3: GetBulk's tooBig carries no bindings.
            VbList::Items(&[])
        } else {
            VbList::Items(&vbs)
        };
        let mut p = PduOut {
            tag: tag::RESPONSE,
            request_id: pdu.request_id,
            a: if ctx.version == Version::V1 {
                outcome.status.to_v1().code()
            } else {
                outcome.status.code()
            },
            b: outcome.index,
            list,
        };
        let handled = if total(p.a, p.b, list.content_len()) <= ctx.limit {
            wrap.encode(out, &mut scratch, &p);
            Handled::Response
        } else {
            // RFC 3416 §4.2.1 (and §4.2.2, §4.2.5): tooBig with no bindings; RFC 1157
            // §4.1.2: SNMPv1 echoes the request's bindings with tooBig.
            p.a = ErrorStatus::TooBig.code();
            p.b = 0;
            p.list = if ctx.version == Version::V1 {
                VbList::Raw(pdu.list)
            } else {
                VbList::Items(&[])
            };
            if total(p.a, p.b, p.list.content_len()) <= ctx.limit {
                wrap.encode(out, &mut scratch, &p);
                Handled::Response
            } else {
                inc(&mut self.counters.snmp_silent_drops);
                Handled::Dropped(DropReason::TooBig)
            }
        };
        self.scratch = scratch;
        self.vbs = vbs;
        handled
    }

    fn decode_name(&mut self, name: &[u8]) -> &[u32] {
        // Validated when the PDU was decoded.
        if ber::decode_oid_into(name, &mut self.oidbuf).is_err() {
            self.oidbuf.clear();
        }
        &self.oidbuf
    }

    fn do_get<M: Mib + ?Sized>(
        &mut self,
        now: Instant,
        ctx: &Ctx,
        pdu: &RawPdu<'_>,
        mib: &M,
        vbs: &mut Vec<(Oid, VarBindValue)>,
    ) -> Outcome {
        let v1 = ctx.version == Version::V1;
        let Some(read) = ctx.authz.and_then(|a| a.read) else {
            return Outcome::err(ErrorStatus::AuthorizationError, 0);
        };
        for (i, vb) in pdu.varbinds().enumerate() {
            let Ok(vb) = vb else { continue };
            self.decode_name(vb.name);
            let oid = std::mem::take(&mut self.oidbuf);
            // RFC 3416 §4.2.1 with RFC 3415 §3.2: outside the view is noSuchObject.
            let v = if !self.views[read].contains(&oid) {
                VarBindValue::NoSuchObject
            } else {
                match self.combined_get(&oid, mib, now) {
                    Lookup::Value(v) => VarBindValue::Value(v),
                    Lookup::NoSuchObject => VarBindValue::NoSuchObject,
                    Lookup::NoSuchInstance => VarBindValue::NoSuchInstance,
                }
            };
            let bad_v1 = matches!(
                v,
                VarBindValue::NoSuchObject
                    | VarBindValue::NoSuchInstance
                    | VarBindValue::Value(Value::Counter64(_))
            );
            if v1 && bad_v1 {
                // RFC 3584 §4.2.2.1: noSuchName, and a Counter64 cannot be returned.
                self.oidbuf = oid;
                return Outcome::err(ErrorStatus::NoSuchName, i);
            }
            vbs.push((Oid::from_slice(&oid), v));
            self.oidbuf = oid;
        }
        Outcome::ok()
    }

    fn do_get_next<M: Mib + ?Sized>(
        &mut self,
        now: Instant,
        ctx: &Ctx,
        pdu: &RawPdu<'_>,
        mib: &M,
        vbs: &mut Vec<(Oid, VarBindValue)>,
    ) -> Outcome {
        let v1 = ctx.version == Version::V1;
        let Some(read) = ctx.authz.and_then(|a| a.read) else {
            return Outcome::err(ErrorStatus::AuthorizationError, 0);
        };
        let mut budget = WALK_BUDGET;
        for (i, vb) in pdu.varbinds().enumerate() {
            let Ok(vb) = vb else { continue };
            self.decode_name(vb.name);
            let oid = std::mem::take(&mut self.oidbuf);
            let step = self.next_in_view(read, &oid, mib, now, v1, &mut budget);
            match step {
                Step::Found(o, v) => vbs.push((o, VarBindValue::Value(v))),
                Step::End if v1 => {
                    self.oidbuf = oid;
                    return Outcome::err(ErrorStatus::NoSuchName, i);
                }
                Step::End => vbs.push((Oid::from_slice(&oid), VarBindValue::EndOfMibView)),
                Step::Exhausted => {
                    self.oidbuf = oid;
                    return Outcome::err(ErrorStatus::GenErr, i);
                }
            }
            self.oidbuf = oid;
        }
        Outcome::ok()
    }

    /// RFC 3416 §4.2.3.
    fn do_get_bulk<M: Mib + ?Sized>(
        &mut self,
        now: Instant,
        ctx: &Ctx,
        pdu: &RawPdu<'_>,
        mib: &M,
        vbs: &mut Vec<(Oid, VarBindValue)>,
        fits: &dyn Fn(usize) -> bool,
    ) -> Outcome {
        let Some(read) = ctx.authz.and_then(|a| a.read) else {
            return Outcome::err(ErrorStatus::AuthorizationError, 0);
        };
        let plan = BulkPlan::new(pdu.a, pdu.b, pdu.count);
        let mut budget = WALK_BUDGET;
        let mut list_len = 0usize;
        let mut names: Vec<Oid> = Vec::with_capacity(plan.repeaters);
        for (i, vb) in pdu.varbinds().enumerate() {
            let Ok(vb) = vb else { continue };
            self.decode_name(vb.name);
            let oid = std::mem::take(&mut self.oidbuf);
            if i < plan.non_repeaters {
                let item = match self.next_in_view(read, &oid, mib, now, false, &mut budget) {
                    Step::Found(o, v) => (o, VarBindValue::Value(v)),
                    Step::End => (Oid::from_slice(&oid), VarBindValue::EndOfMibView),
                    Step::Exhausted => {
                        self.oidbuf = oid;
                        return Outcome::err(ErrorStatus::GenErr, i);
                    }
                };
                list_len += ber::varbind_len(item.0.as_slice(), &item.1);
                if !fits(list_len) {
                    // Not even the non-repeaters fit: tooBig (RFC 3416 §4.2.3).
                    self.oidbuf = oid;
                    return Outcome {
                        status: ErrorStatus::TooBig,
                        index: 0,
                        echo: false,
                    };
                }
                vbs.push(item);
            } else {
                names.push(Oid::from_slice(&oid));
            }
            self.oidbuf = oid;
        }
        let mut ended = vec![false; names.len()];
        'rows: for _ in 0..plan.repetitions {
            for (r, name) in names.iter_mut().enumerate() {
                if vbs.len() >= MAX_VARBINDS {
                    break 'rows;
                }
                let item = if ended[r] {
                    (name.clone(), VarBindValue::EndOfMibView)
                } else {
                    match self.next_in_view(read, name.as_slice(), mib, now, false, &mut budget) {
                        Step::Found(o, v) => {
                            name.set_from(o.as_slice());
                            (o, VarBindValue::Value(v))
                        }
                        Step::End => {
                            ended[r] = true;
                            (name.clone(), VarBindValue::EndOfMibView)
                        }
                        // Out of budget: answer what we have.
                        Step::Exhausted => break 'rows,
                    }
                };
                let n = ber::varbind_len(item.0.as_slice(), &item.1);
                if !fits(list_len + n) {
                    break 'rows;
                }
                list_len += n;
                vbs.push(item);
            }
            if ended.iter().all(|&e| e) {
                // Every repeater is at the end of the view: more rows would only repeat
                // endOfMibView.
                break;
            }
        }
        Outcome::ok()
    }

    /// RFC 3416 §4.2.5 (all or nothing), with VACM write views and snmpSetSerialNo.
    fn do_set<M: Mib + ?Sized>(
        &mut self,
        _now: Instant,
        ctx: &Ctx,
        pdu: &RawPdu<'_>,
        mib: &mut M,
    ) -> Outcome {
        let write = if self.cfg.set_enabled {
            ctx.authz.and_then(|a| a.write)
        } else {
            None
        };
        let deny = |s: &mut Self, i: usize| {
            if ctx.community {
                inc(&mut s.counters.snmp_in_bad_community_uses);
            }
            Outcome::err(ErrorStatus::NoAccess, i)
        };
        if ctx.authz.is_none() {
            return Outcome::err(ErrorStatus::AuthorizationError, 0);
        }
        let Some(write) = write else {
            return deny(self, 0);
        };
        let mut theirs: Vec<(Oid, Value)> = Vec::with_capacity(pdu.count);
        let mut index_map: Vec<usize> = Vec::with_capacity(pdu.count);
        let mut serial_ok = false;
        for (i, vb) in pdu.varbinds().enumerate() {
            let Ok(vb) = vb else { continue };
            let Ok(VarBindValue::Value(value)) = RawValue::decode(&vb.value) else {
                return Outcome::err(ErrorStatus::WrongType, i);
            };
            if ctx.version == Version::V1 && matches!(value, Value::Counter64(_)) {
                return Outcome::err(ErrorStatus::BadValue, i);
            }
            let oid = self.decode_name(vb.name).to_vec();
            if !self.views[write].contains(&oid) {
                return deny(self, i);
            }
            if oid == SNMP_SET_SERIAL_NO {
                // RFC 3418 snmpSetSerialNo: TestAndIncr (RFC 2579).
                match value {
                    Value::Integer(v) if v == self.set_serial => serial_ok = true,
                    Value::Integer(_) => return Outcome::err(ErrorStatus::InconsistentValue, i),
                    _ => return Outcome::err(ErrorStatus::WrongType, i),
                }
            } else if engine_subtree(&oid).is_some() {
                return Outcome::err(ErrorStatus::NotWritable, i);
            } else {
                theirs.push((Oid::from_slice(&oid), value));
                index_map.push(i);
            }
        }
        if !theirs.is_empty() {
            if let Err((i, status)) = mib.set(&theirs) {
                let orig = index_map.get(i).copied().unwrap_or(0);
                let status = if status == ErrorStatus::NoError {
                    ErrorStatus::GenErr
                } else {
                    status
                };
                return Outcome::err(status, orig);
            }
        }
        if serial_ok {
            self.set_serial = if self.set_serial == i32::MAX {
                0
            } else {
                self.set_serial + 1
            };
        }
        Outcome {
            status: ErrorStatus::NoError,
            index: 0,
            echo: true,
        }
    }

    // -----------------------------------------------------------------------------------
    // SNMPv3

    fn handle_v3<M: Mib + ?Sized>(
        &mut self,
        now: Instant,
        from: SocketAddr,
        whole: &[u8],
        m: &V3Message<'_>,
        mib: &mut M,
        out: &mut Vec<u8>,
    ) -> Handled {
        // RFC 3412 §7.2 step 5: priv without auth is invalid.
        if m.flags & (FLAG_AUTH | FLAG_PRIV) == FLAG_PRIV {
            inc(&mut self.counters.snmp_invalid_msgs);
            return Handled::Dropped(DropReason::InvalidMsg);
        }
        // RFC 3412 §7.2 step 4.
        if m.security_model != SecurityModel::Usm.code() {
            inc(&mut self.counters.snmp_unknown_security_models);
            return Handled::Dropped(DropReason::UnknownSecurityModel);
        }
        let usm = match msg::decode_usm(m.sec_params) {
            Ok(u) => u,
            Err(_) => {
                inc(&mut self.counters.snmp_in_asn_parse_errs);
                return Handled::Dropped(DropReason::Parse);
            }
        };
        let reportable = m.flags & FLAG_REPORTABLE != 0;
        let level = SecurityLevel::from_flags(m.flags).unwrap_or(SecurityLevel::NoAuthNoPriv);
        // A message from an engine authoritative for it: an answer to our informs/probes.
        if usm.engine_id != self.cfg.engine_id.as_slice() && self.notifier.owns_msg_id(m.msg_id) {
            return self.handle_peer_message(now, from, whole, m);
        }
        // The request-id, when the ScopedPDU is in clear (for Reports).
        let clear_request_id = match m.data {
            ScopedData::Plain(c) => msg::decode_scoped(c)
                .ok()
                .and_then(|s| ber::Reader::new(s.pdu).read_i32().ok())
                .unwrap_or(0),
            ScopedData::Encrypted(_) => 0,
        };
        let report =
            |e: &mut Self, out: &mut Vec<u8>, reason: ReportReason, user: Option<usize>| {
                inc(reason.counter(&mut e.counters));
                if !reportable {
                    return Handled::Dropped(DropReason::Usm(reason));
                }
                e.write_report(now, out, m, usm.user, reason, user, clear_request_id);
                Handled::Report(reason)
            };
        // No USM user configured: the engine stays silent to v3 (not even discovery
        // Reports), like it does to unknown communities.
        if self.users.is_empty() {
            inc(&mut self.counters.usm_unknown_user_names);
            return Handled::Dropped(DropReason::Usm(ReportReason::UnknownUserName));
        }
        // RFC 3414 §3.2 step 3: unknown (or empty: discovery) engine ID.
        if usm.engine_id != self.cfg.engine_id.as_slice() {
            return report(self, out, ReportReason::UnknownEngineId, None);
        }
        // Step 4.
        let Some(ui) = self.users.iter().position(|u| *u.name == *usm.user) else {
            return report(self, out, ReportReason::UnknownUserName, None);
        };
        // Step 5 (plus the user's minimum level, a local policy).
        let user = &self.users[ui];
        if level > user.local.level() || level < user.min_level {
            return report(self, out, ReportReason::UnsupportedSecLevel, None);
        }
        if level >= SecurityLevel::AuthNoPriv {
            // Step 6: the MAC.
            let ok = match &user.local.auth {
                Some((proto, key)) => {
                    peer::verify_mac(whole, usm.auth, key, proto.mac_len(), &mut self.scratch2)
                }
                None => false,
            };
            if !ok {
                self.auth_failure(now);
                return report(self, out, ReportReason::WrongDigest, None);
            }
            // Step 7a: we are authoritative; the time window is 150 s.
            let our_time = self.engine_time(now);
            if self.boots == 0x7fff_ffff
                || usm.boots != self.boots
                || usm.time.abs_diff(our_time) > 150
            {
                return report(self, out, ReportReason::NotInTimeWindow, Some(ui));
            }
        }
        // Step 8: decrypt.
        let mut plain = std::mem::take(&mut self.scratch2);
        let scoped = match (level, m.data) {
            (SecurityLevel::AuthPriv, ScopedData::Encrypted(c)) => {
                let dec = match &self.users[ui].local.privacy {
                    Some(k) => k
                        .decrypt(usm.boots, usm.time, usm.privacy, c, &mut plain)
                        .is_ok(),
                    None => false,
                };
                match dec.then(|| msg::decode_decrypted(&plain).ok()).flatten() {
                    Some(s) => s,
                    None => {
                        let h = report(self, out, ReportReason::DecryptionError, None);
                        self.scratch2 = plain;
                        return h;
                    }
                }
            }
            (SecurityLevel::AuthPriv, _) | (_, ScopedData::Encrypted(_)) => {
                inc(&mut self.counters.snmp_in_asn_parse_errs);
                self.scratch2 = plain;
                return Handled::Dropped(DropReason::Parse);
            }
            (_, ScopedData::Plain(c)) => match msg::decode_scoped(c) {
                Ok(s) => s,
                Err(_) => {
                    inc(&mut self.counters.snmp_in_asn_parse_errs);
                    self.scratch2 = plain;
                    return Handled::Dropped(DropReason::Parse);
                }
            },
        };
        let result = self.dispatch_scoped(now, m, &usm, level, ui, &scoped, reportable, mib, out);
        self.scratch2 = plain;
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn dispatch_scoped<M: Mib + ?Sized>(
        &mut self,
        now: Instant,
        m: &V3Message<'_>,
        usm: &msg::UsmParams<'_>,
        level: SecurityLevel,
        ui: usize,
        scoped: &msg::ScopedPdu<'_>,
        reportable: bool,
        mib: &mut M,
        out: &mut Vec<u8>,
    ) -> Handled {
        let pdu = match msg::decode_pdu(Version::V3, scoped.pdu_tag, scoped.pdu) {
            Ok(p) => p,
            Err(_) => {
                inc(&mut self.counters.snmp_in_asn_parse_errs);
                return Handled::Dropped(DropReason::Parse);
            }
        };
        if !matches!(pdu.tag, tag::GET | tag::GET_NEXT | tag::GET_BULK | tag::SET) {
            inc(&mut self.counters.snmp_unknown_pdu_handlers);
            return Handled::Dropped(DropReason::Unexpected);
        }
        // RFC 3412 §7.2 step 7/§4.2.2: we serve our own contextEngineID (an empty one is
        // taken as ours) and the default context only (RFC 3413 §3.2 step 3).
        let reason = if !scoped.context_engine_id.is_empty()
            && scoped.context_engine_id != self.cfg.engine_id.as_slice()
        {
            Some(ReportReason::UnknownPduHandler)
        } else if !scoped.context_name.is_empty() {
            Some(ReportReason::UnknownContext)
        } else {
            None
        };
        if let Some(reason) = reason {
            inc(reason.counter(&mut self.counters));
            if !reportable {
                return Handled::Dropped(DropReason::Usm(reason));
            }
            self.write_report(
                now,
                out,
                m,
                usm.user,
                reason,
                Some(ui).filter(|_| level > SecurityLevel::NoAuthNoPriv),
                pdu.request_id,
            );
            return Handled::Report(reason);
        }
        let ctx = Ctx {
            version: Version::V3,
            authz: self.users[ui].authz[level_index(level)],
            limit: self
                .cfg
                .max_message_size
                .min(usize::try_from(m.max_size).unwrap_or(usize::MAX)),
            community: false,
        };
        let salt = self.next_salt();
        let time = self.engine_time(now);
        let engine_id = Arc::clone(&self.engine_id);
        let local = Arc::clone(&self.users[ui].local);
        let user_name = Arc::clone(&self.users[ui].name);
        let h = V3Out {
            msg_id: m.msg_id,
            max_size: i32::try_from(self.cfg.max_message_size).unwrap_or(i32::MAX),
            level,
            reportable: false,
            engine_id: &engine_id,
            boots: self.boots,
            time,
            user: &user_name,
            keys: Some(&local),
            context_engine_id: &engine_id,
            context_name: &[],
            salt,
        };
        let wrap = Wrap::V3(h);
        self.respond(now, &ctx, &wrap, &pdu, mib, out)
    }

    /// Writes a Report (RFC 3412 §7.1 step 3, RFC 3414 §3.2): the counter and its value,
    /// our engine ID/boots/time so the manager can synchronise; noAuthNoPriv, except
    /// notInTimeWindow which is authenticated (step 7a) when `user` is given.
    #[allow(clippy::too_many_arguments)]
    fn write_report(
        &mut self,
        now: Instant,
        out: &mut Vec<u8>,
        m: &V3Message<'_>,
        user_name: &[u8],
        reason: ReportReason,
        user: Option<usize>,
        request_id: i32,
    ) {
        let value = *reason.counter(&mut self.counters);
        let items = [(
            Oid::from_slice(reason.oid()),
            VarBindValue::Value(Value::Counter32(value)),
        )];
        let keys = user.map(|u| Arc::clone(&self.users[u].local));
        let level = if keys.is_some() {
            SecurityLevel::AuthNoPriv
        } else {
            SecurityLevel::NoAuthNoPriv
        };
        let time = self.engine_time(now);
        let h = V3Out {
            msg_id: m.msg_id,
            max_size: i32::try_from(self.cfg.max_message_size).unwrap_or(i32::MAX),
            level,
            reportable: false,
            engine_id: &self.cfg.engine_id,
            boots: self.boots,
            time,
            user: user_name,
            keys: keys.as_deref(),
            context_engine_id: &self.cfg.engine_id,
            context_name: &[],
            salt: 0,
        };
        let p = PduOut {
            tag: tag::REPORT,
            request_id,
            a: 0,
            b: 0,
            list: VbList::Items(&items),
        };
        msg::encode_v3(out, &mut self.scratch, &h, &p);
    }

    /// An authentication failure: the authenticationFailure notification (RFC 3418
    /// snmpEnableAuthenTraps), at most one per configured interval.
    fn auth_failure(&mut self, now: Instant) {
        if !self.cfg.authentication_traps {
            return;
        }
        if let Some(last) = self.last_auth_trap {
            if now.saturating_duration_since(last) < self.cfg.authentication_trap_interval {
                return;
            }
        }
        self.last_auth_trap = Some(now);
        inc(&mut self.counters.auth_failure_traps);
        let n = crate::notify::Notification {
            trap_oid: Oid::from([1, 3, 6, 1, 6, 3, 1, 1, 5, 5]),
            varbinds: Vec::new(),
        };
        let ticks = self.uptime_ticks(now);
        let outs = self.notify(now, ticks, &n);
        self.notifier.queue(outs);
    }

    pub(crate) fn counters_mut(&mut self) -> &mut Counters {
        &mut self.counters
    }
}

/// GetBulk arithmetic (RFC 3416 §4.2.3): N non-repeaters, M repetitions, R repeaters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BulkPlan {
    pub(crate) non_repeaters: usize,
    pub(crate) repetitions: usize,
    pub(crate) repeaters: usize,
}

impl BulkPlan {
    pub(crate) fn new(non_repeaters: i32, max_repetitions: i32, count: usize) -> Self {
        // N = max(min(non-repeaters, count), 0); M = max(max-repetitions, 0); R = count - N.
        let n = usize::try_from(non_repeaters.max(0))
            .unwrap_or(0)
            .min(count);
        let m = usize::try_from(max_repetitions.max(0)).unwrap_or(0);
        let r = count - n;
        // Never more than MAX_VARBINDS bindings in all.
        // (r == 0: no repetitions at all.)
        let m = m.min(MAX_VARBINDS.saturating_sub(n).checked_div(r).unwrap_or(0));
        BulkPlan {
            non_repeaters: n,
            repetitions: m,
            repeaters: r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_arithmetic_rfc3416_4_2_3() {
        assert_eq!(
            BulkPlan::new(1, 5, 3),
            BulkPlan {
                non_repeaters: 1,
                repetitions: 5,
                repeaters: 2
            }
        );
        // Negative fields count as zero.
        assert_eq!(
            BulkPlan::new(-3, -1, 2),
            BulkPlan {
                non_repeaters: 0,
                repetitions: 0,
                repeaters: 2
            }
        );
        // More non-repeaters than bindings: all are non-repeaters.
        assert_eq!(
            BulkPlan::new(10, 5, 3),
            BulkPlan {
                non_repeaters: 3,
                repetitions: 0,
                repeaters: 0
            }
        );
        // Clamped so N + M*R <= 1000.
        let p = BulkPlan::new(0, i32::MAX, 3);
        assert_eq!(p.repetitions, 333);
        let p = BulkPlan::new(1, 10_000, 1);
        assert_eq!(p.repetitions, 0);
        let p = BulkPlan::new(0, 10_000, 1);
        assert_eq!(p.repetitions, 1000);
    }
}

//! The non-authoritative side of USM (RFC 3414 §4): what we know of a remote engine that
//! is authoritative for messages we send (an inform receiver, an agent the manager client
//! polls), discovery probes, and opening the messages that engine sends back. Shared by
//! the engine's inform path and the [`manager`](crate::manager) client.

use std::time::Instant;

use crate::ber::{tag, RawValue, VarBinds};
use crate::error::DecodeError;
use crate::msg::{self, PduOut, ScopedData, V3Message, V3Out, VbList};
use crate::oid::Oid;
use crate::usm::{LocalKeys, MasterKeys, SecurityLevel};
use crate::value::VarBindValue;

/// A remote authoritative engine as learned from its Reports and Responses.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    pub(crate) engine_id: Vec<u8>,
    pub(crate) boots: u32,
    /// Its snmpEngineTime at `learned_at`.
    pub(crate) time: u32,
    pub(crate) learned_at: Instant,
    /// Our user's keys localised to its engine ID.
    pub(crate) keys: LocalKeys,
}

impl Peer {
    pub(crate) fn new(
        engine_id: &[u8],
        boots: u32,
        time: u32,
        now: Instant,
        master: &MasterKeys,
    ) -> Self {
        Peer {
            engine_id: engine_id.to_vec(),
            boots,
            time,
            learned_at: now,
            keys: master.localize(engine_id),
        }
    }

    /// Its engine time now, by our clock (RFC 3414 §2.3: the non-authoritative copy
    /// advances with the local clock).
    pub(crate) fn time_at(&self, now: Instant) -> u32 {
        let dt = now.saturating_duration_since(self.learned_at).as_secs();
        (u64::from(self.time) + dt).min(0x7fff_ffff) as u32
    }

    /// RFC 3414 §3.2 step 7b: an authentic message from the peer moves our notion of its
    /// boots/time forward; a message too old is outside the window.
    pub(crate) fn observe(&mut self, boots: u32, time: u32, now: Instant) -> bool {
        let latest = self.time_at(now);
        if boots > self.boots || (boots == self.boots && time > latest) {
            self.boots = boots;
            self.time = time;
            self.learned_at = now;
            return true;
        }
        boots == self.boots && u64::from(time) + 150 >= u64::from(latest)
    }
}

/// A discovery probe (RFC 3414 §4): noAuthNoPriv, reportable, empty engine ID and user,
/// a Get with no variable bindings.
pub(crate) fn encode_probe(
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    msg_id: i32,
    request_id: i32,
    max_size: i32,
) {
    let h = V3Out {
        msg_id,
        max_size,
        level: SecurityLevel::NoAuthNoPriv,
        reportable: true,
        engine_id: &[],
        boots: 0,
        time: 0,
        user: &[],
        keys: None,
        context_engine_id: &[],
        context_name: &[],
        salt: 0,
    };
    let p = PduOut {
        tag: tag::GET,
        request_id,
        a: 0,
        b: 0,
        list: VbList::Names(&[]),
    };
    msg::encode_v3(out, scratch, &h, &p);
}

/// A v3 message from a peer, security checked and decoded.
#[derive(Debug, Clone)]
pub(crate) struct Opened {
    pub(crate) engine_id: Vec<u8>,
    pub(crate) boots: u32,
    pub(crate) time: u32,
    pub(crate) level: SecurityLevel,
    pub(crate) pdu_tag: u8,
    pub(crate) request_id: i32,
    pub(crate) error_status: i32,
    pub(crate) error_index: i32,
    pub(crate) varbinds: Vec<(Oid, VarBindValue)>,
}

impl Opened {
    /// For a Report: the counter it carries.
    pub(crate) fn report_oid(&self) -> Option<&Oid> {
        self.varbinds.first().map(|(o, _)| o)
    }
}

/// Why a peer's message was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenError {
    Decode(DecodeError),
    /// It claims a level our keys cannot check.
    NoKeys,
    WrongDigest,
    Decryption,
}

impl From<DecodeError> for OpenError {
    fn from(e: DecodeError) -> Self {
        OpenError::Decode(e)
    }
}

/// Where `sub` sits inside `whole` (both from the same datagram).
pub(crate) fn offset_in(whole: &[u8], sub: &[u8]) -> Option<usize> {
    let w = whole.as_ptr() as usize;
    let s = sub.as_ptr() as usize;
    (s >= w && s + sub.len() <= w + whole.len()).then(|| s - w)
}

/// Checks the MAC of `whole` whose auth field is `auth` (a sub-slice of it), with `key`.
pub(crate) fn verify_mac(
    whole: &[u8],
    auth: &[u8],
    key: &crate::usm::AuthKey,
    mac_len: usize,
    scratch: &mut Vec<u8>,
) -> bool {
    if auth.len() != mac_len {
        return false;
    }
    let Some(off) = offset_in(whole, auth) else {
        return false;
    };
    scratch.clear();
    scratch.extend_from_slice(whole);
    scratch[off..off + mac_len].fill(0);
    key.verify(scratch, auth)
}

/// Opens a message from an authoritative peer: checks the MAC and decrypts with `keys`
/// (the peer-localised keys; None when only noAuthNoPriv Reports are expected), decodes
/// the scoped PDU into owned values.
pub(crate) fn open_v3(
    whole: &[u8],
    m: &V3Message<'_>,
    keys: Option<&LocalKeys>,
) -> Result<Opened, OpenError> {
    let usm = msg::decode_usm(m.sec_params)?;
    let level = SecurityLevel::from_flags(m.flags).ok_or(DecodeError::Invalid("msgFlags"))?;
    if level >= SecurityLevel::AuthNoPriv {
        let (proto, key) = keys
            .and_then(|k| k.auth.as_ref())
            .ok_or(OpenError::NoKeys)?;
        let mut scratch = Vec::with_capacity(whole.len());
        if !verify_mac(whole, usm.auth, key, proto.mac_len(), &mut scratch) {
            return Err(OpenError::WrongDigest);
        }
    }
    let mut plain = Vec::new();
    let scoped = match (level, m.data) {
        (SecurityLevel::AuthPriv, ScopedData::Encrypted(c)) => {
            let k = keys
                .and_then(|k| k.privacy.as_ref())
                .ok_or(OpenError::NoKeys)?;
            k.decrypt(usm.boots, usm.time, usm.privacy, c, &mut plain)
                .map_err(|_| OpenError::Decryption)?;
            msg::decode_decrypted(&plain).map_err(|_| OpenError::Decryption)?
        }
        (SecurityLevel::AuthPriv, _) | (_, ScopedData::Encrypted(_)) => {
            return Err(DecodeError::Invalid("msgData does not match msgFlags").into())
        }
        (_, ScopedData::Plain(c)) => msg::decode_scoped(c)?,
    };
    let pdu = msg::decode_pdu(msg::Version::V3, scoped.pdu_tag, scoped.pdu)?;
    let varbinds = decode_varbinds(pdu.varbinds())?;
    Ok(Opened {
        engine_id: usm.engine_id.to_vec(),
        boots: usm.boots,
        time: usm.time,
        level,
        pdu_tag: pdu.tag,
        request_id: pdu.request_id,
        error_status: pdu.a,
        error_index: pdu.b,
        varbinds,
    })
}

/// Decodes every binding into owned values.
pub(crate) fn decode_varbinds(vbs: VarBinds<'_>) -> Result<Vec<(Oid, VarBindValue)>, DecodeError> {
    vbs.map(|vb| {
        let vb = vb?;
        let oid = crate::ber::decode_oid(vb.name)?;
        let v = RawValue::decode(&vb.value)?;
        Ok((oid, v))
    })
    .collect()
}

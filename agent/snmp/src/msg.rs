//! SNMP message layouts: v1/v2c community messages (RFC 1157, RFC 1901), v3 messages
//! (RFC 3412 §6) with USM security parameters (RFC 3414 §2.4) and scoped PDUs, and the
//! PDUs of RFC 3416 §3. Decoding borrows from the datagram; encoding writes back to front.

use crate::ber::{self, tag, tlv, Reader, RevWriter, VarBinds};
use crate::error::DecodeError;
use crate::oid::Oid;
use crate::usm::{LocalKeys, SecurityLevel};
use crate::value::VarBindValue;

/// Most variable bindings a PDU may carry (request or response).
pub(crate) const MAX_VARBINDS: usize = 1000;

/// msgFlags bits (RFC 3412 §6.4).
pub(crate) const FLAG_AUTH: u8 = 0x01;
pub(crate) const FLAG_PRIV: u8 = 0x02;
pub(crate) const FLAG_REPORTABLE: u8 = 0x04;

/// The version field of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    V1,
    V2c,
    V3,
}

impl Version {
    pub(crate) fn code(self) -> i64 {
        match self {
            Version::V1 => 0,
            Version::V2c => 1,
            Version::V3 => 3,
        }
    }
}

/// A PDU as found on the wire. For GetBulk `a`/`b` are non-repeaters/max-repetitions,
/// for the others error-status/error-index.
#[derive(Debug, Clone)]
pub(crate) struct RawPdu<'a> {
    pub(crate) tag: u8,
    pub(crate) request_id: i32,
    pub(crate) a: i32,
    pub(crate) b: i32,
    /// Contents of the VarBindList.
    pub(crate) list: &'a [u8],
    pub(crate) count: usize,
}

impl<'a> RawPdu<'a> {
    pub(crate) fn varbinds(&self) -> VarBinds<'a> {
        VarBinds::new(self.list)
    }
}

/// Decodes a PDU of `version` from its tag and contents, checking every varbind.
pub(crate) fn decode_pdu(version: Version, t: u8, c: &[u8]) -> Result<RawPdu<'_>, DecodeError> {
    let allowed = match version {
        // RFC 1157: no GetBulk, Inform, SNMPv2-Trap or Report in SNMPv1.
        Version::V1 => matches!(t, tag::GET | tag::GET_NEXT | tag::RESPONSE | tag::SET),
        _ => matches!(
            t,
            tag::GET
                | tag::GET_NEXT
                | tag::RESPONSE
                | tag::SET
                | tag::GET_BULK
                | tag::INFORM
                | tag::TRAP_V2
                | tag::REPORT
        ),
    };
    if !allowed {
        return Err(DecodeError::Invalid("PDU type"));
    }
    let mut r = Reader::new(c);
    let request_id = r.read_i32()?;
    let a = r.read_i32()?;
    let b = r.read_i32()?;
    let list = r.read(tag::SEQUENCE)?;
    r.finish()?;
    let count = VarBinds::new(list).validate(MAX_VARBINDS)?;
    Ok(RawPdu {
        tag: t,
        request_id,
        a,
        b,
        list,
        count,
    })
}

/// A decoded message, before any security processing.
#[derive(Debug, Clone)]
pub(crate) enum Message<'a> {
    Community {
        version: Version,
        community: &'a [u8],
        pdu: RawPdu<'a>,
    },
    V3(V3Message<'a>),
}

/// Why a datagram was not accepted as a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MessageError {
    /// A well-formed start with a version we do not speak (snmpInBadVersions).
    BadVersion,
    /// Anything else (snmpInASNParseErrs).
    Parse(DecodeError),
}

impl From<DecodeError> for MessageError {
    fn from(e: DecodeError) -> Self {
        MessageError::Parse(e)
    }
}

/// msgData of a v3 message.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ScopedData<'a> {
    /// Contents of the ScopedPDU SEQUENCE.
    Plain(&'a [u8]),
    /// The encryptedPDU OCTET STRING's contents.
    Encrypted(&'a [u8]),
}

/// An SNMPv3 message (RFC 3412 §6).
#[derive(Debug, Clone)]
pub(crate) struct V3Message<'a> {
    pub(crate) msg_id: i32,
    pub(crate) max_size: i32,
    pub(crate) flags: u8,
    pub(crate) security_model: i32,
    /// Contents of msgSecurityParameters.
    pub(crate) sec_params: &'a [u8],
    pub(crate) data: ScopedData<'a>,
}

/// Decodes the outer layer of a datagram.
pub(crate) fn decode_message(buf: &[u8]) -> Result<Message<'_>, MessageError> {
    if buf.len() > crate::config::MAX_ACCEPTED_MESSAGE {
        return Err(DecodeError::TooLarge.into());
    }
    let mut top = Reader::new(buf);
    let body = top.read(tag::SEQUENCE)?;
    top.finish()?;
    let mut r = Reader::new(body);
    let version = r.read_i32()?;
    match version {
        0 | 1 => {
            let v = if version == 0 {
                Version::V1
            } else {
                Version::V2c
            };
            let community = r.read_octets()?;
            let (t, c) = r.read_any()?;
            r.finish()?;
            let pdu = decode_pdu(v, t, c)?;
            Ok(Message::Community {
                version: v,
                community,
                pdu,
            })
        }
        3 => {
            let gd = r.read(tag::SEQUENCE)?;
            let mut g = Reader::new(gd);
            let msg_id = g.read_i32()?;
            let max_size = g.read_i32()?;
            let flags_s = g.read_octets()?;
            let security_model = g.read_i32()?;
            g.finish()?;
            // RFC 3412 §6: msgID 0..2^31-1, msgMaxSize 484..2^31-1, msgFlags one octet,
            // msgSecurityModel 1..2^31-1.
            if msg_id < 0 || max_size < 484 || security_model < 1 {
                return Err(DecodeError::OutOfRange.into());
            }
            let [flags] = flags_s else {
                return Err(DecodeError::Invalid("msgFlags length").into());
            };
            let sec_params = r.read_octets()?;
            let (t, c) = r.read_any()?;
            r.finish()?;
            let data = match t {
                tag::SEQUENCE => ScopedData::Plain(c),
                tag::OCTET_STRING => ScopedData::Encrypted(c),
                found => return Err(DecodeError::UnexpectedTag { found }.into()),
            };
            Ok(Message::V3(V3Message {
                msg_id,
                max_size,
                flags: *flags,
                security_model,
                sec_params,
                data,
            }))
        }
        _ => Err(MessageError::BadVersion),
    }
}

/// USM security parameters (RFC 3414 §2.4).
#[derive(Debug, Clone, Copy)]
pub(crate) struct UsmParams<'a> {
    pub(crate) engine_id: &'a [u8],
    pub(crate) boots: u32,
    pub(crate) time: u32,
    pub(crate) user: &'a [u8],
    pub(crate) auth: &'a [u8],
    pub(crate) privacy: &'a [u8],
}

pub(crate) fn decode_usm(c: &[u8]) -> Result<UsmParams<'_>, DecodeError> {
    let mut outer = Reader::new(c);
    let seq = outer.read(tag::SEQUENCE)?;
    outer.finish()?;
    let mut r = Reader::new(seq);
    let engine_id = r.read_octets()?;
    let boots = r.read_i32()?;
    let time = r.read_i32()?;
    let user = r.read_octets()?;
    let auth = r.read_octets()?;
    let privacy = r.read_octets()?;
    r.finish()?;
    // RFC 3414 §2.4: boots and time 0..2^31-1, user name at most 32 octets, engine ID at
    // most 32 octets; MACs are at most 48 octets (RFC 7860).
    if boots < 0 || time < 0 || user.len() > 32 || engine_id.len() > 32 || auth.len() > 48 {
        return Err(DecodeError::OutOfRange);
    }
    Ok(UsmParams {
        engine_id,
        boots: boots as u32,
        time: time as u32,
        user,
        auth,
        privacy,
    })
}

/// A ScopedPDU (RFC 3412 §6.8).
#[derive(Debug, Clone)]
pub(crate) struct ScopedPdu<'a> {
    pub(crate) context_engine_id: &'a [u8],
    pub(crate) context_name: &'a [u8],
    pub(crate) pdu_tag: u8,
    pub(crate) pdu: &'a [u8],
}

/// Decodes the contents of a ScopedPDU SEQUENCE.
pub(crate) fn decode_scoped(c: &[u8]) -> Result<ScopedPdu<'_>, DecodeError> {
    let mut r = Reader::new(c);
    let context_engine_id = r.read_octets()?;
    let context_name = r.read_octets()?;
    let (pdu_tag, pdu) = r.read_any()?;
    r.finish()?;
    Ok(ScopedPdu {
        context_engine_id,
        context_name,
        pdu_tag,
        pdu,
    })
}

/// Decodes a decrypted ScopedPDU: one SEQUENCE, then possibly padding (DES).
pub(crate) fn decode_decrypted(plain: &[u8]) -> Result<ScopedPdu<'_>, DecodeError> {
    let mut r = Reader::new(plain);
    let seq = r.read(tag::SEQUENCE)?;
    if plain.len() - seq.len() > 16 + 6 {
        // More than a DES pad (7) plus header slack left over: not a decryption.
        return Err(DecodeError::TrailingData);
    }
    decode_scoped(seq)
}

// ---------------------------------------------------------------------------------------
// Encoding

/// The variable bindings of an outgoing PDU.
#[derive(Debug, Clone, Copy)]
pub(crate) enum VbList<'x> {
    /// Encoded VarBindList contents (echoing a request).
    Raw(&'x [u8]),
    /// Bindings to encode.
    Items(&'x [(Oid, VarBindValue)]),
    /// Bindings with a NULL value (requests).
    Names(&'x [Oid]),
}

impl VbList<'_> {
    pub(crate) fn content_len(&self) -> usize {
        match self {
            VbList::Raw(r) => r.len(),
            VbList::Items(items) => items
                .iter()
                .map(|(o, v)| ber::varbind_len(o.as_slice(), v))
                .sum(),
            VbList::Names(names) => names
                .iter()
                .map(|o| tlv(tlv(ber::oid_content_len(o.as_slice())) + 2))
                .sum(),
        }
    }
}

/// An outgoing PDU.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PduOut<'x> {
    pub(crate) tag: u8,
    pub(crate) request_id: i32,
    /// error-status, or non-repeaters for GetBulk.
    pub(crate) a: i32,
    /// error-index, or max-repetitions for GetBulk.
    pub(crate) b: i32,
    pub(crate) list: VbList<'x>,
}

/// Contents length of a PDU whose VarBindList has `list_len` content octets.
pub(crate) fn pdu_content_len(request_id: i32, a: i32, b: i32, list_len: usize) -> usize {
    let i = |v: i32| tlv(ber::int_content_len(i64::from(v)));
    i(request_id) + i(a) + i(b) + tlv(list_len)
}

pub(crate) fn put_pdu(w: &mut RevWriter<'_>, p: &PduOut<'_>) {
    let mark = w.len();
    let lmark = w.len();
    match p.list {
        VbList::Raw(r) => w.put_slice(r),
        VbList::Items(items) => {
            for (o, v) in items.iter().rev() {
                w.put_varbind(o.as_slice(), v);
            }
        }
        VbList::Names(names) => {
            for o in names.iter().rev() {
                w.put_varbind(
                    o.as_slice(),
                    &VarBindValue::Value(crate::value::Value::Null),
                );
            }
        }
    }
    w.close(tag::SEQUENCE, lmark);
    w.put_int(tag::INTEGER, i64::from(p.b));
    w.put_int(tag::INTEGER, i64::from(p.a));
    w.put_int(tag::INTEGER, i64::from(p.request_id));
    w.close(p.tag, mark);
}

/// Total length of a community message whose PDU has `pdu_len` content octets.
pub(crate) fn community_len(version: Version, community: &[u8], pdu_len: usize) -> usize {
    tlv(tlv(ber::int_content_len(version.code())) + tlv(community.len()) + tlv(pdu_len))
}

/// Writes a whole community message into `out` (cleared).
pub(crate) fn encode_community(
    out: &mut Vec<u8>,
    version: Version,
    community: &[u8],
    p: &PduOut<'_>,
) {
    let mut w = RevWriter::new(out);
    put_pdu(&mut w, p);
    w.put_octets(tag::OCTET_STRING, community);
    w.put_int(tag::INTEGER, version.code());
    let n = w.len();
    w.put_header(tag::SEQUENCE, n);
    w.finish();
}

/// The v3 header and security fields of an outgoing message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct V3Out<'x> {
    pub(crate) msg_id: i32,
    pub(crate) max_size: i32,
    pub(crate) level: SecurityLevel,
    pub(crate) reportable: bool,
    /// msgAuthoritativeEngineID and its boots/time.
    pub(crate) engine_id: &'x [u8],
    pub(crate) boots: u32,
    pub(crate) time: u32,
    pub(crate) user: &'x [u8],
    /// Keys for `level` (None only for noAuthNoPriv).
    pub(crate) keys: Option<&'x LocalKeys>,
    pub(crate) context_engine_id: &'x [u8],
    pub(crate) context_name: &'x [u8],
    /// Fresh salt for privacy.
    pub(crate) salt: u64,
}

impl V3Out<'_> {
    fn mac_len(&self) -> usize {
        match (self.level, self.keys.and_then(|k| k.auth.as_ref())) {
            (SecurityLevel::NoAuthNoPriv, _) | (_, None) => 0,
            (_, Some((p, _))) => p.mac_len(),
        }
    }

    fn encrypts(&self) -> bool {
        self.level == SecurityLevel::AuthPriv
    }

    fn is_des(&self) -> bool {
        matches!(
            self.keys.and_then(|k| k.privacy.as_ref()),
            Some(crate::usm::PrivKey::Des { .. })
        )
    }

    /// Total message length for a PDU of `pdu_len` content octets with tag length 1.
    pub(crate) fn total_len(&self, pdu_len: usize) -> usize {
        let scoped =
            tlv(tlv(self.context_engine_id.len()) + tlv(self.context_name.len()) + tlv(pdu_len));
        let data = if self.encrypts() {
            let n = if self.is_des() {
                scoped.div_ceil(8) * 8
            } else {
                scoped
            };
            tlv(n)
        } else {
            scoped
        };
        let i = |v: i64| tlv(ber::int_content_len(v));
        let usm = tlv(self.engine_id.len())
            + i(i64::from(self.boots))
            + i(i64::from(self.time))
            + tlv(self.user.len())
            + tlv(self.mac_len())
            + tlv(if self.encrypts() { 8 } else { 0 });
        let sec = tlv(tlv(usm));
        let gd = tlv(i(i64::from(self.msg_id)) + i(i64::from(self.max_size)) + 3 + 3);
        tlv(3 + gd + sec + data)
    }
}

/// Writes a whole v3 message into `out` (cleared): builds the ScopedPDU in `scratch`,
/// encrypts it, wraps it, then fills in the MAC.
pub(crate) fn encode_v3(out: &mut Vec<u8>, scratch: &mut Vec<u8>, h: &V3Out<'_>, p: &PduOut<'_>) {
    {
        let mut w = RevWriter::new(scratch);
        let mark = w.len();
        put_pdu(&mut w, p);
        w.put_octets(tag::OCTET_STRING, h.context_name);
        w.put_octets(tag::OCTET_STRING, h.context_engine_id);
        w.close(tag::SEQUENCE, mark);
        w.finish();
    }
    let mut priv_params = [0u8; 8];
    let encrypted = match (h.encrypts(), h.keys.and_then(|k| k.privacy.as_ref())) {
        (true, Some(k)) => {
            priv_params = k.encrypt(h.boots, h.time, h.salt, scratch);
            true
        }
        _ => false,
    };
    let mac_len = h.mac_len();
    let mut w = RevWriter::new(out);
    if encrypted {
        w.put_octets(tag::OCTET_STRING, scratch);
    } else {
        w.put_slice(scratch);
    }
    // msgSecurityParameters: OCTET STRING wrapping the UsmSecurityParameters SEQUENCE.
    let sec_mark = w.len();
    let usm_mark = w.len();
    w.put_octets(
        tag::OCTET_STRING,
        if encrypted { &priv_params } else { &[] },
    );
    let auth_end = w.len();
    for _ in 0..mac_len {
        w.put_u8(0);
    }
    let auth_start = w.len();
    w.put_header(tag::OCTET_STRING, mac_len);
    w.put_octets(tag::OCTET_STRING, h.user);
    w.put_int(tag::INTEGER, i64::from(h.time));
    w.put_int(tag::INTEGER, i64::from(h.boots));
    w.put_octets(tag::OCTET_STRING, h.engine_id);
    w.close(tag::SEQUENCE, usm_mark);
    w.close(tag::OCTET_STRING, sec_mark);
    // msgGlobalData.
    let gd = w.len();
    w.put_int(tag::INTEGER, 3); // msgSecurityModel: USM
    let mut flags = h.level.flags();
    if h.reportable {
        flags |= FLAG_REPORTABLE;
    }
    w.put_octets(tag::OCTET_STRING, &[flags]);
    w.put_int(tag::INTEGER, i64::from(h.max_size));
    w.put_int(tag::INTEGER, i64::from(h.msg_id));
    w.close(tag::SEQUENCE, gd);
    w.put_int(tag::INTEGER, 3);
    let n = w.len();
    w.put_header(tag::SEQUENCE, n);
    let out = w.finish();
    if mac_len > 0 {
        if let Some((_, key)) = h.keys.and_then(|k| k.auth.as_ref()) {
            // RFC 3414 §6.3.1 / §7.3.1: MAC over the whole message with the auth field
            // zeroed, then placed in it.
            let total = out.len();
            let (s, e) = (total - auth_start, total - auth_end);
            let mut mac = [0u8; 48];
            key.mac(out, &mut mac[..mac_len]);
            out[s..e].copy_from_slice(&mac[..mac_len]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    // Captured from net-snmp 5.9.3: `snmpget -v2c -c public ... 1.3.6.1.2.1.1.3.0`.
    const V2C_GET: &str =
        "302902010104067075626c6963a01c0204039f6016020100020100300e300c06082b060102010103000500";

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn decodes_net_snmp_get_and_reencodes_identically() {
        let b = hex(V2C_GET);
        let Message::Community {
            version,
            community,
            pdu,
        } = decode_message(&b).unwrap()
        else {
            panic!("not a community message")
        };
        assert_eq!(version, Version::V2c);
        assert_eq!(community, b"public");
        assert_eq!(pdu.tag, tag::GET);
        assert_eq!(pdu.count, 1);
        let p = PduOut {
            tag: pdu.tag,
            request_id: pdu.request_id,
            a: 0,
            b: 0,
            list: VbList::Raw(pdu.list),
        };
        let mut out = Vec::new();
        encode_community(&mut out, version, community, &p);
        assert_eq!(out, b);
        let len = community_len(
            version,
            community,
            pdu_content_len(pdu.request_id, 0, 0, pdu.list.len()),
        );
        assert_eq!(len, b.len());
    }

    #[test]
    fn versions_and_pdu_types() {
        let mut b = hex(V2C_GET);
        b[4] = 2; // version 2 does not exist
        assert_eq!(decode_message(&b).unwrap_err(), MessageError::BadVersion);
        // RFC 3416 GetBulk does not exist in SNMPv1 (RFC 1157): a parse error.
        let mut b = hex(V2C_GET);
        b[4] = 0;
        b[13] = tag::GET_BULK;
        assert!(matches!(decode_message(&b), Err(MessageError::Parse(_))));
        b[4] = 1;
        assert!(decode_message(&b).is_ok());
        // Trailing octets after the message.
        let mut b = hex(V2C_GET);
        b.push(0);
        assert!(matches!(
            decode_message(&b),
            Err(MessageError::Parse(DecodeError::TrailingData))
        ));
    }

    #[test]
    fn v3_total_len_matches_encoding() {
        use crate::usm::{AuthProtocol, MasterKeys, PrivProtocol};
        let mk = MasterKeys::from_passwords(
            Some((AuthProtocol::Sha256, b"authpass123")),
            Some((PrivProtocol::Des, b"privpass123")),
        );
        let keys = mk.localize(b"\x80\x00\x1f\x88\x80\x01\x02\x03\x04");
        let items = vec![(
            Oid::from([1, 3, 6, 1, 2, 1, 1, 3, 0]),
            VarBindValue::Value(Value::TimeTicks(12345)),
        )];
        for level in [
            SecurityLevel::NoAuthNoPriv,
            SecurityLevel::AuthNoPriv,
            SecurityLevel::AuthPriv,
        ] {
            let h = V3Out {
                msg_id: 77,
                max_size: 1472,
                level,
                reportable: false,
                engine_id: b"\x80\x00\x1f\x88\x80\x01\x02\x03\x04",
                boots: 3,
                time: 1000,
                user: b"alice",
                keys: Some(&keys),
                context_engine_id: b"\x80\x00\x1f\x88\x80\x01\x02\x03\x04",
                context_name: b"",
                salt: 5,
            };
            let list = VbList::Items(&items);
            let p = PduOut {
                tag: tag::RESPONSE,
                request_id: -7,
                a: 0,
                b: 0,
                list,
            };
            let (mut out, mut scratch) = (Vec::new(), Vec::new());
            encode_v3(&mut out, &mut scratch, &h, &p);
            assert_eq!(
                out.len(),
                h.total_len(pdu_content_len(-7, 0, 0, list.content_len())),
                "{level:?}"
            );
            let Message::V3(m) = decode_message(&out).unwrap() else {
                panic!()
            };
            assert_eq!(m.msg_id, 77);
            let usm = decode_usm(m.sec_params).unwrap();
            assert_eq!(usm.user, b"alice");
            assert_eq!(
                usm.auth.len(),
                if level == SecurityLevel::NoAuthNoPriv {
                    0
                } else {
                    24
                }
            );
        }
    }
}

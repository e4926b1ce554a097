//! SDP offer/answer (RFC 3264) for one audio stream, as an ATA needs it.
//!
//! We offer our codecs in preference order with `telephone-event`; we answer with the
//! offer's first codec that we support (the offerer's preference, RFC 3264 §6.1), keep
//! `telephone-event` if offered, and mirror the direction (`sendonly` → `recvonly`, ...).
//! An offer with nothing we can use is refused with 488.
//!
//! **SRTP keys (SDES, RFC 4568).** With an [`SrtpPolicy`] other than `Off`, offers carry one
//! `a=crypto` line per suite we run (AES_CM_128_HMAC_SHA1_80 first, then _32), each with
//! its own fresh master key and salt from the caller's [`SdesKeys`]; `Mandatory` offers
//! `RTP/SAVP`, `Optional` offers `RTP/AVP` with the crypto lines ("best-effort SRTP", as
//! most ATAs and PBXs do it: a peer that ignores them gets plain RTP). Answers take the
//! offer's first crypto line with a suite we run, no MKI and no session parameter that
//! weakens SRTP (`UNENCRYPTED_SRTP`, `UNAUTHENTICATED_SRTP`, ... are refused, not obeyed),
//! and reply with the same tag and suite and our own key. `RTP/SAVP` with no usable crypto
//! line, or plain RTP under `Mandatory`, is refused with 488. Keys are [`Secret`]s: they
//! never appear in `Debug` output.
//!
//! **RTCP.** `a=rtcp` (RFC 3605) gives the far end's RTCP port; we offer `a=rtcp-mux`
//! (RFC 5761) and use one port for both when the other side has it too.

use std::net::{IpAddr, SocketAddr};

use base64::Engine as _;
pub use tipring_sip_message::sdp::Direction;
use tipring_sip_message::sdp::{Connection, Media, Origin, SessionDescription};

use crate::config::Secret;

/// A codec we can run, by its static or preferred payload type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Codec {
    /// Payload type we offer it with.
    pub payload_type: u8,
    /// Encoding name as SDP spells it (`PCMU`, `PCMA`, `G722`, `G726-32`, `G729`, `opus`).
    pub name: &'static str,
    /// RTP clock rate (8000; G.722 is 8000 on the wire by RFC 3551's mistake; Opus 48000).
    pub clock_rate: u32,
    /// Channels in the rtpmap (Opus is always `/2` in SDP, RFC 7587 §7); 1 is left out.
    pub channels: u8,
    /// Format parameters we offer, if any.
    pub fmtp: Option<&'static str>,
}

impl Codec {
    const fn narrow(payload_type: u8, name: &'static str) -> Self {
        Self {
            payload_type,
            name,
            clock_rate: 8000,
            channels: 1,
            fmtp: None,
        }
    }
}

/// G.711 µ-law.
pub const PCMU: Codec = Codec::narrow(0, "PCMU");
/// G.711 A-law.
pub const PCMA: Codec = Codec::narrow(8, "PCMA");
/// G.722.
pub const G722: Codec = Codec::narrow(9, "G722");
/// G.726 at 32 kbit/s with RFC 3551 packing (dynamic payload type).
pub const G726_32: Codec = Codec::narrow(112, "G726-32");
/// G.729 Annex A with Annex B silence suppression (RFC 3551 §4.5.6).
pub const G729: Codec = Codec {
    fmtp: Some("annexb=yes"),
    ..Codec::narrow(18, "G729")
};
/// Opus (RFC 7587), mono voice at up to 16 kHz audio bandwidth on our side.
pub const OPUS: Codec = Codec {
    payload_type: 111,
    name: "opus",
    clock_rate: 48000,
    channels: 2,
    fmtp: Some("maxplaybackrate=16000; useinbandfec=1"),
};

/// The dynamic payload type we offer telephone-event (RFC 4733) with.
pub const TELEPHONE_EVENT_PT: u8 = 101;

/// Whether calls use SRTP (keys by SDES in the SDP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SrtpPolicy {
    /// Plain RTP; offers of `RTP/SAVP` are refused with 488.
    #[default]
    Off,
    /// Offer SRTP keys on `RTP/AVP`; use SRTP when the peer answers with a key, plain RTP
    /// when it does not. Answers use SRTP whenever the offer has a usable key.
    Optional,
    /// SRTP or no call: offers are `RTP/SAVP`, answers without a key end the call's media.
    Mandatory,
}

/// SRTP suites we run, in our preference order (RFC 4568 §6.2).
pub const SRTP_SUITES: [&str; 2] = ["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"];

/// Length of an SDES master key and salt (AES-128: 16 + 14 bytes, RFC 4568 §6.2.1).
pub const SDES_KEY_LEN: usize = 30;

/// Our master keys for a call, one per suite in [`SRTP_SUITES`] order, fresh per call from a
/// cryptographic generator.
#[derive(Clone)]
pub struct SdesKeys(pub [[u8; SDES_KEY_LEN]; 2]);

impl std::fmt::Debug for SdesKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SdesKeys(***)")
    }
}

impl SdesKeys {
    fn inline(&self, suite_idx: usize) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0[suite_idx])
    }
}

/// The SRTP keys agreed for a call. Both are master key ‖ master salt (30 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrtpKeys {
    /// The suite, one of [`SRTP_SUITES`].
    pub suite: &'static str,
    /// The key we protect what we send with (the one in our SDP).
    pub local: Secret,
    /// The key the far end protects what it sends with (base64 in their SDP).
    pub remote: Secret,
}

impl SrtpKeys {
    /// A key as bytes (`local` or `remote`), as the SRTP layer takes it.
    pub fn decode(key: &Secret) -> Option<[u8; SDES_KEY_LEN]> {
        let v = base64::engine::general_purpose::STANDARD
            .decode(key.expose())
            .ok()?;
        v.try_into().ok()
    }
}

/// What we need to write our side of the SDP.
#[derive(Debug, Clone)]
pub struct LocalMedia<'a> {
    /// Address in `c=`.
    pub ip: IpAddr,
    /// RTP port in `m=`.
    pub port: u16,
    /// Codecs in preference order.
    pub codecs: &'a [Codec],
    /// `o=` session id.
    pub session: u64,
    /// `o=` version (one higher for each new offer in the session, RFC 3264 §8).
    pub version: u64,
    /// SRTP policy.
    pub srtp: SrtpPolicy,
    /// Our keys, when the policy is not `Off`.
    pub keys: Option<&'a SdesKeys>,
}

/// What offer/answer settled for the call's audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// Our RTP port in this call's SDP (an account's two calls use different ones).
    pub local_port: u16,
    /// Where to send RTP.
    pub remote: SocketAddr,
    /// Where to send RTCP (the RTP address when `rtcp_mux`).
    pub remote_rtcp: SocketAddr,
    /// RTP and RTCP share one port (RFC 5761), both sides agreed.
    pub rtcp_mux: bool,
    /// The codec, with the payload type used on the wire.
    pub codec: Codec,
    /// telephone-event payload type, if both sides have it.
    pub telephone_event: Option<u8>,
    /// Packetisation time in ms.
    pub ptime: u32,
    /// Our direction.
    pub direction: Direction,
    /// SRTP keys, when the call's media is encrypted.
    pub srtp: Option<SrtpKeys>,
    /// RFC 2198 redundant audio (`red/8000`) payload type, when both sides have it (we
    /// offer it for fax pass-through, V.152; what arrives in it is always taken).
    pub red: Option<u8>,
}

/// Why an offer cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The body is not valid SDP.
    Malformed(String),
    /// No audio stream with a codec we support.
    NoCommonCodec,
    /// The offer's SRTP (or its absence) does not meet our policy.
    Srtp(&'static str),
    /// No T.38 stream (`m=image ... udptl t38`) in an offer we can only take as fax.
    NoT38,
}

fn origin(ip: IpAddr, session: u64, version: u64) -> Origin {
    let c = Connection::new(ip);
    Origin {
        username: "tipring".into(),
        session_id: session,
        session_version: version,
        net_type: c.net_type,
        addr_type: c.addr_type,
        address: c.address,
    }
}

fn description(local: &LocalMedia<'_>, media: Media) -> String {
    let mut sdp = SessionDescription::new(origin(local.ip, local.session, local.version));
    sdp.connection = Some(Connection::new(local.ip));
    sdp.media.push(media);
    sdp.to_string()
}

fn rtpmap(c: &Codec) -> String {
    if c.channels > 1 {
        format!(
            "{} {}/{}/{}",
            c.payload_type, c.name, c.clock_rate, c.channels
        )
    } else {
        format!("{} {}/{}", c.payload_type, c.name, c.clock_rate)
    }
}

/// Our offer (a new one, or one in an existing session with a higher `version`):
/// `codecs` in preference order, telephone-event, 20 ms, `direction`.
pub fn offer(local: &LocalMedia<'_>, direction: Direction) -> String {
    let mut pts: Vec<u8> = local.codecs.iter().map(|c| c.payload_type).collect();
    pts.push(TELEPHONE_EVENT_PT);
    let proto = if local.srtp == SrtpPolicy::Mandatory {
        "RTP/SAVP"
    } else {
        "RTP/AVP"
    };
    let mut m = Media::audio(local.port, proto, &pts);
    for c in local.codecs {
        m.push_attr("rtpmap", Some(&rtpmap(c)));
        if let Some(f) = c.fmtp {
            m.push_attr("fmtp", Some(&format!("{} {f}", c.payload_type)));
        }
    }
    m.push_attr(
        "rtpmap",
        Some(&format!("{TELEPHONE_EVENT_PT} telephone-event/8000")),
    );
    m.push_attr("fmtp", Some(&format!("{TELEPHONE_EVENT_PT} 0-16")));
    m.push_attr("ptime", Some("20"));
    m.push_attr("rtcp-mux", None);
    if let (true, Some(keys)) = (local.srtp != SrtpPolicy::Off, local.keys) {
        for (i, suite) in SRTP_SUITES.iter().enumerate() {
            m.push_attr(
                "crypto",
                Some(&format!("{} {suite} inline:{}", i + 1, keys.inline(i))),
            );
        }
    }
    m.set_direction(direction);
    description(local, m)
}

/// The codec and telephone-event of an audio stream, matched against ours by name
/// (payload types of dynamic codecs differ between peers).
fn pick(media: &Media, ours: &[Codec]) -> Option<(Codec, Option<u8>)> {
    let maps = media.rtpmaps().unwrap_or_default();
    let name_of = |pt: u8| -> Option<(String, u32)> {
        maps.iter()
            .find(|m| m.payload_type == pt)
            .map(|m| (m.encoding.to_ascii_uppercase(), m.clock_rate))
            .or_else(|| match pt {
                0 => Some(("PCMU".into(), 8000)),
                8 => Some(("PCMA".into(), 8000)),
                9 => Some(("G722".into(), 8000)),
                18 => Some(("G729".into(), 8000)),
                _ => None,
            })
    };
    let mut codec = None;
    let mut te = None;
    for pt in media.payload_types() {
        let Some((name, rate)) = name_of(pt) else {
            continue;
        };
        if name == "TELEPHONE-EVENT" && rate == 8000 {
            te = te.or(Some(pt));
        } else if codec.is_none() {
            if let Some(c) = ours
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(&name) && c.clock_rate == rate)
            {
                codec = Some(Codec {
                    payload_type: pt,
                    ..*c
                });
            }
        }
    }
    codec.map(|c| (c, te))
}

/// One `a=crypto` line (RFC 4568 §9.1): tag, suite and the key of its first key
/// parameter, if we can run it.
struct Crypto {
    tag: u32,
    suite_idx: usize,
    key: String,
}

/// Parse a crypto line and accept it only if we run it as it is: a suite of ours, one
/// inline key of the right length without MKI, and no session parameters (they would
/// change or weaken the transform: UNENCRYPTED_SRTP, KDR, FEC_ORDER, WSH...).
fn usable_crypto(line: &str) -> Option<Crypto> {
    let mut it = line.split_ascii_whitespace();
    let tag: u32 = it.next()?.parse().ok()?;
    let suite = it.next()?;
    let suite_idx = SRTP_SUITES.iter().position(|s| *s == suite)?;
    let params = it.next()?;
    if it.next().is_some() || params.contains(';') {
        return None;
    }
    let inline = params.strip_prefix("inline:")?;
    let mut parts = inline.split('|');
    let key = parts.next()?;
    for extra in parts {
        // Lifetime (`2^31` or a number) is fine; an MKI (`1:4`) we do not support.
        if extra.contains(':') {
            return None;
        }
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(key).ok()?;
    (bytes.len() == SDES_KEY_LEN).then(|| Crypto {
        tag,
        suite_idx,
        key: key.to_string(),
    })
}

fn rtcp_addr(conn_ip: IpAddr, media: &Media, mux: bool) -> SocketAddr {
    if mux {
        return SocketAddr::new(conn_ip, media.port);
    }
    match media.rtcp() {
        Ok(Some(r)) => {
            let ip = r
                .connection
                .as_ref()
                .and_then(|c| c.ip())
                .unwrap_or(conn_ip);
            SocketAddr::new(ip, r.port)
        }
        _ => SocketAddr::new(conn_ip, media.port.wrapping_add(1)),
    }
}

/// Payload type we offer RFC 2198 redundancy with (dynamic; telephone-event is 101).
pub const RED_PT: u8 = 121;

/// The `red/8000` payload type of a stream whose blocks are all `codec` (its fmtp is
/// `P/P[/P...]` of the codec's payload type, or absent).
fn red_of(media: &Media, codec: &Codec) -> Option<u8> {
    let maps = media.rtpmaps().ok()?;
    let pts = media.payload_types();
    let red = maps
        .iter()
        .find(|m| m.encoding.eq_ignore_ascii_case("red") && m.clock_rate == 8000)
        .map(|m| m.payload_type)
        .filter(|pt| pts.contains(pt))?;
    let fmtp_ok = media
        .attrs("fmtp")
        .flatten()
        .filter_map(|v| v.split_once(' '))
        .find(|(pt, _)| pt.parse::<u8>().ok() == Some(red))
        .is_none_or(|(_, blocks)| {
            blocks
                .split('/')
                .all(|b| b.trim().parse::<u8>().ok() == Some(codec.payload_type))
        });
    fmtp_ok.then_some(red)
}

fn negotiated(
    sdp: &SessionDescription,
    media: &Media,
    codec: Codec,
    te: Option<u8>,
    dir: Direction,
    rtcp_mux: bool,
    srtp: Option<SrtpKeys>,
) -> Option<Negotiated> {
    let conn = media.connection.as_ref().or(sdp.connection.as_ref())?;
    let ip = conn.ip()?;
    Some(Negotiated {
        red: red_of(media, &codec),
        local_port: 0, // set by the caller, who knows our side
        remote: SocketAddr::new(ip, media.port),
        remote_rtcp: rtcp_addr(ip, media, rtcp_mux),
        rtcp_mux,
        codec,
        telephone_event: te,
        ptime: media.ptime().ok().flatten().unwrap_or(20),
        direction: dir,
        srtp,
    })
}

/// Answer a remote offer. Returns our SDP and what was agreed.
pub fn answer(
    remote_offer: &[u8],
    local: &LocalMedia<'_>,
) -> Result<(String, Negotiated), Refusal> {
    let sdp =
        SessionDescription::parse(remote_offer).map_err(|e| Refusal::Malformed(e.to_string()))?;
    let (idx, (codec, te)) = sdp
        .media
        .iter()
        .enumerate()
        .filter(|(_, m)| m.media == "audio" && m.port != 0)
        .find_map(|(i, m)| pick(m, local.codecs).map(|p| (i, p)))
        .ok_or(Refusal::NoCommonCodec)?;
    let offered = &sdp.media[idx];
    let secure_proto = offered.proto.to_ascii_uppercase().contains("SAVP");
    let crypto = match (local.srtp, local.keys) {
        (SrtpPolicy::Off, _) | (_, None) => None,
        _ => offered.crypto().into_iter().find_map(usable_crypto),
    };
    if crypto.is_none() && (secure_proto || local.srtp == SrtpPolicy::Mandatory) {
        return Err(Refusal::Srtp(if secure_proto {
            "RTP/SAVP offered without a crypto line we can use"
        } else {
            "SRTP is mandatory and the offer has no usable key"
        }));
    }
    let their_dir = offered
        .direction()
        .or_else(|| sdp.direction())
        .unwrap_or(Direction::SendRecv);
    let ours = their_dir.answer();
    let mut pts = vec![codec.payload_type];
    pts.extend(te);
    let mut m = Media::audio(local.port, &offered.proto, &pts);
    m.push_attr("rtpmap", Some(&rtpmap(&codec)));
    if let Some(f) = codec.fmtp {
        m.push_attr("fmtp", Some(&format!("{} {f}", codec.payload_type)));
    }
    if let Some(te) = te {
        m.push_attr("rtpmap", Some(&format!("{te} telephone-event/8000")));
        m.push_attr("fmtp", Some(&format!("{te} 0-16")));
    }
    let red = red_of(offered, &codec);
    if let Some(red) = red {
        m.formats.push(red.to_string());
        m.push_attr("rtpmap", Some(&format!("{red} red/8000")));
        let pt = codec.payload_type;
        m.push_attr("fmtp", Some(&format!("{red} {pt}/{pt}")));
    }
    let ptime = offered.ptime().ok().flatten().unwrap_or(20);
    m.push_attr("ptime", Some(&ptime.to_string()));
    let mux = offered.attrs("rtcp-mux").next().is_some();
    if mux {
        m.push_attr("rtcp-mux", None);
    }
    let srtp = match (crypto, local.keys) {
        (Some(c), Some(keys)) => {
            let ours = keys.inline(c.suite_idx);
            m.push_attr(
                "crypto",
                Some(&format!(
                    "{} {} inline:{ours}",
                    c.tag, SRTP_SUITES[c.suite_idx]
                )),
            );
            Some(SrtpKeys {
                suite: SRTP_SUITES[c.suite_idx],
                local: Secret::new(ours),
                remote: Secret::new(c.key),
            })
        }
        _ => None,
    };
    m.set_direction(ours);
    let agreed =
        negotiated(&sdp, offered, codec, te, ours, mux, srtp).ok_or(Refusal::NoCommonCodec)?;
    let agreed = Negotiated {
        local_port: local.port,
        ..agreed
    };
    Ok((description(local, m), agreed))
}

/// Read the far end's answer to our offer (made with the same `local`). `None` when it
/// has no usable audio, or no SRTP key while our policy makes SRTP mandatory.
pub fn read_answer(remote_answer: &[u8], local: &LocalMedia<'_>) -> Option<Negotiated> {
    let sdp = SessionDescription::parse(remote_answer).ok()?;
    let m = sdp
        .media
        .iter()
        .find(|m| m.media == "audio" && m.port != 0)?;
    let (codec, te) = pick(m, local.codecs)?;
    let their = m
        .direction()
        .or_else(|| sdp.direction())
        .unwrap_or(Direction::SendRecv);
    let srtp = match (local.srtp, local.keys) {
        (SrtpPolicy::Off, _) | (_, None) => None,
        (_, Some(keys)) => m
            .crypto()
            .into_iter()
            .filter_map(usable_crypto)
            // The answer must echo one of our tags with its suite (RFC 4568 §7.1.2).
            .find(|c| c.tag as usize == c.suite_idx + 1)
            .map(|c| SrtpKeys {
                suite: SRTP_SUITES[c.suite_idx],
                local: Secret::new(keys.inline(c.suite_idx)),
                remote: Secret::new(c.key),
            }),
    };
    if srtp.is_none() && local.srtp == SrtpPolicy::Mandatory {
        return None;
    }
    let mux = m.attrs("rtcp-mux").next().is_some();
    negotiated(&sdp, m, codec, te, their.answer(), mux, srtp).map(|n| Negotiated {
        local_port: local.port,
        ..n
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn lm(port: u16, codecs: &[Codec]) -> LocalMedia<'_> {
        LocalMedia {
            ip: IP,
            port,
            codecs,
            session: 7,
            version: 1,
            srtp: SrtpPolicy::Off,
            keys: None,
        }
    }

    fn offer_of(port: u16, codecs: &[Codec], dir: Direction) -> String {
        offer(&lm(port, codecs), dir)
    }

    const KEYS_A: SdesKeys = SdesKeys([[0xA1; SDES_KEY_LEN], [0xA2; SDES_KEY_LEN]]);
    const KEYS_B: SdesKeys = SdesKeys([[0xB1; SDES_KEY_LEN], [0xB2; SDES_KEY_LEN]]);

    fn secure<'a>(port: u16, srtp: SrtpPolicy, keys: &'a SdesKeys) -> LocalMedia<'a> {
        LocalMedia {
            srtp,
            keys: Some(keys),
            ..lm(port, &[PCMU, PCMA])
        }
    }

    #[test]
    fn offer_lists_codecs_and_telephone_event() {
        let o = offer_of(40000, &[PCMU, PCMA], Direction::SendRecv);
        assert!(o.contains("m=audio 40000 RTP/AVP 0 8 101\r\n"), "{o}");
        assert!(o.contains("a=rtpmap:101 telephone-event/8000"), "{o}");
        assert!(o.contains("a=sendrecv"), "{o}");
        assert!(o.contains("a=rtcp-mux"), "{o}");
        assert!(!o.contains("a=crypto"), "{o}");
        assert!(SessionDescription::parse(o.as_bytes()).is_ok());
    }

    #[test]
    fn wideband_and_compressed_codecs_are_offered_with_their_parameters() {
        let o = offer_of(40000, &[OPUS, G722, G729, G726_32], Direction::SendRecv);
        assert!(
            o.contains("m=audio 40000 RTP/AVP 111 9 18 112 101\r\n"),
            "{o}"
        );
        assert!(o.contains("a=rtpmap:111 opus/48000/2\r\n"), "{o}");
        assert!(o.contains("a=fmtp:18 annexb=yes\r\n"), "{o}");
        assert!(o.contains("a=rtpmap:112 G726-32/8000\r\n"), "{o}");
    }

    #[test]
    fn answer_takes_the_offerers_first_supported_codec() {
        // RFC 3264 §6.1: the answer keeps the offerer's order.
        let remote = offer_of(5004, &[G722, PCMA, PCMU], Direction::SendRecv);
        let (sdp, agreed) = answer(remote.as_bytes(), &lm(40000, &[PCMU, PCMA])).unwrap();
        assert_eq!(agreed.codec, PCMA);
        assert_eq!(agreed.telephone_event, Some(101));
        assert_eq!(agreed.remote, "127.0.0.1:5004".parse().unwrap());
        assert!(agreed.rtcp_mux);
        assert_eq!(agreed.remote_rtcp, agreed.remote);
        assert!(sdp.contains("m=audio 40000 RTP/AVP 8 101\r\n"), "{sdp}");
    }

    #[test]
    fn rtcp_port_from_rfc3605_or_the_next_port() {
        let base = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                    m=audio 5004 RTP/AVP 0\r\n";
        let (_, n) = answer(base.as_bytes(), &lm(40000, &[PCMU])).unwrap();
        assert!(!n.rtcp_mux);
        assert_eq!(n.remote_rtcp, "127.0.0.1:5005".parse().unwrap());
        let with = format!("{base}a=rtcp:6000 IN IP4 127.0.0.2\r\n");
        let (_, n) = answer(with.as_bytes(), &lm(40000, &[PCMU])).unwrap();
        assert_eq!(n.remote_rtcp, "127.0.0.2:6000".parse().unwrap());
    }

    #[test]
    fn hold_offer_gets_recvonly() {
        let remote = offer_of(5004, &[PCMU], Direction::SendOnly);
        let (sdp, agreed) = answer(remote.as_bytes(), &lm(40000, &[PCMU])).unwrap();
        assert_eq!(agreed.direction, Direction::RecvOnly);
        assert!(sdp.contains("a=recvonly"), "{sdp}");
    }

    #[test]
    fn dynamic_payload_types_match_by_name() {
        let remote = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                      m=audio 5004 RTP/AVP 96 97\r\na=rtpmap:96 opus/48000/2\r\na=rtpmap:97 PCMU/8000\r\n";
        let (_, agreed) = answer(remote.as_bytes(), &lm(40000, &[PCMU])).unwrap();
        assert_eq!(agreed.codec.payload_type, 97);
        assert_eq!(agreed.telephone_event, None);
        let (_, agreed) = answer(remote.as_bytes(), &lm(40000, &[OPUS, PCMU])).unwrap();
        assert_eq!((agreed.codec.name, agreed.codec.payload_type), ("opus", 96));
    }

    #[test]
    fn nothing_in_common_is_refused() {
        let remote = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                      m=audio 5004 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n";
        assert_eq!(
            answer(remote.as_bytes(), &lm(40000, &[PCMU])).map(|_| ()),
            Err(Refusal::NoCommonCodec)
        );
        assert!(matches!(
            answer(b"garbage", &lm(1, &[PCMU])),
            Err(Refusal::Malformed(_))
        ));
    }

    #[test]
    fn answers_are_read() {
        let ours = offer_of(40000, &[PCMU, PCMA], Direction::SendRecv);
        let (theirs, _) = answer(ours.as_bytes(), &lm(6000, &[PCMA])).unwrap();
        let agreed = read_answer(theirs.as_bytes(), &lm(40000, &[PCMU, PCMA])).unwrap();
        assert_eq!(agreed.codec, PCMA);
        assert_eq!(agreed.remote.port(), 6000);
        assert!(agreed.srtp.is_none());
    }

    #[test]
    fn sdes_keys_are_offered_answered_and_read() {
        // RFC 4568 §7.1: one crypto line per suite, the answer echoes one tag with its own key.
        let alice = secure(40000, SrtpPolicy::Mandatory, &KEYS_A);
        let o = offer(&alice, Direction::SendRecv);
        assert!(o.contains("m=audio 40000 RTP/SAVP 0 8 101\r\n"), "{o}");
        assert!(
            o.contains("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:oaGh"),
            "{o}"
        );
        assert!(
            o.contains("a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:oqKi"),
            "{o}"
        );
        let bob = secure(6000, SrtpPolicy::Optional, &KEYS_B);
        let (a, at_bob) = answer(o.as_bytes(), &bob).unwrap();
        assert!(a.contains("m=audio 6000 RTP/SAVP 0 101\r\n"), "{a}");
        assert!(
            a.contains("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:sbGx"),
            "{a}"
        );
        assert_eq!(a.matches("a=crypto").count(), 1, "{a}");
        let at_alice = read_answer(a.as_bytes(), &alice).unwrap();
        let (k_alice, k_bob) = (at_alice.srtp.unwrap(), at_bob.srtp.unwrap());
        assert_eq!(k_alice.suite, "AES_CM_128_HMAC_SHA1_80");
        assert_eq!(k_alice.local, k_bob.remote);
        assert_eq!(k_alice.remote, k_bob.local);
        assert_eq!(SrtpKeys::decode(&k_alice.local), Some(KEYS_A.0[0]));
        assert_eq!(SrtpKeys::decode(&k_alice.remote), Some(KEYS_B.0[0]));
        // Keys never show in Debug output (logs).
        assert!(!format!("{k_alice:?}").contains("oaGh"));
    }

    #[test]
    fn best_effort_srtp_falls_back_to_plain_rtp() {
        let alice = secure(40000, SrtpPolicy::Optional, &KEYS_A);
        let o = offer(&alice, Direction::SendRecv);
        assert!(o.contains("RTP/AVP"), "{o}");
        // A peer without SRTP ignores the crypto lines.
        let (a, plain) = answer(o.as_bytes(), &lm(6000, &[PCMU])).unwrap();
        assert!(plain.srtp.is_none() && !a.contains("crypto"), "{a}");
        assert!(read_answer(a.as_bytes(), &alice).unwrap().srtp.is_none());
        // Under a mandatory policy the same answer is no media at all.
        let strict = secure(40000, SrtpPolicy::Mandatory, &KEYS_A);
        assert!(read_answer(a.as_bytes(), &strict).is_none());
    }

    #[test]
    fn srtp_offers_we_cannot_meet_are_refused() {
        let bob = secure(6000, SrtpPolicy::Optional, &KEYS_B);
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; SDES_KEY_LEN]);
        let with = |proto: &str, crypto: &str| {
            format!(
                "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                 m=audio 5004 {proto} 0\r\n{crypto}"
            )
        };
        // Unknown suite, MKI, a weakening session parameter, a short key: none usable.
        for bad in [
            format!("a=crypto:1 F8_128_HMAC_SHA1_80 inline:{key}\r\n"),
            format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key}|2^20|1:4\r\n"),
            format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key} UNENCRYPTED_SRTP\r\n"),
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=\r\n".to_string(),
        ] {
            let r = answer(with("RTP/SAVP", &bad).as_bytes(), &bob);
            assert!(matches!(r, Err(Refusal::Srtp(_))), "{bad}: {r:?}");
        }
        // A lifetime is fine; the second, usable line is taken after an unusable first.
        let ok = format!(
            "a=crypto:1 F8_128_HMAC_SHA1_80 inline:{key}\r\n\
             a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:{key}|2^31\r\n"
        );
        let (a, n) = answer(with("RTP/SAVP", &ok).as_bytes(), &bob).unwrap();
        assert!(
            a.contains("a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:"),
            "{a}"
        );
        assert_eq!(n.srtp.unwrap().suite, "AES_CM_128_HMAC_SHA1_32");
        // SRTP off: RTP/SAVP is refused; mandatory: plain RTP is refused.
        assert!(matches!(
            answer(with("RTP/SAVP", &ok).as_bytes(), &lm(1, &[PCMU])),
            Err(Refusal::Srtp(_))
        ));
        let strict = secure(6000, SrtpPolicy::Mandatory, &KEYS_B);
        assert!(matches!(
            answer(with("RTP/AVP", "").as_bytes(), &strict),
            Err(Refusal::Srtp(_))
        ));
    }
}

#[cfg(test)]
mod robustness {
    use super::*;

    /// Offer/answer on mutated SDP (bytes flipped, cut, duplicated, crypto lines mangled)
    /// never panics, and whatever is agreed names a codec of ours.
    #[test]
    fn mutated_offers_and_answers_never_panic() {
        let keys = SdesKeys([[1; SDES_KEY_LEN], [2; SDES_KEY_LEN]]);
        let local = LocalMedia {
            ip: IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            port: 4000,
            codecs: &[PCMU, PCMA, G722, OPUS],
            session: 1,
            version: 1,
            srtp: SrtpPolicy::Optional,
            keys: Some(&keys),
        };
        let seed = offer(&local, Direction::SendRecv).into_bytes();
        let mut x = 0x5eed_u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..5000 {
            let mut m = seed.clone();
            for _ in 0..1 + next() % 4 {
                if m.is_empty() {
                    break;
                }
                let i = (next() as usize) % m.len();
                match next() % 4 {
                    0 => m[i] = next() as u8,
                    1 => m.truncate(i),
                    2 => {
                        let j = (next() as usize) % m.len();
                        let chunk = m[i.min(j)..i.max(j)].to_vec();
                        m.splice(i..i, chunk);
                    }
                    _ => {
                        m.remove(i);
                    }
                }
            }
            if let Ok((_, n)) = answer(&m, &local) {
                assert!(local.codecs.iter().any(|c| c.name == n.codec.name));
            }
            if let Some(n) = read_answer(&m, &local) {
                assert!(local.codecs.iter().any(|c| c.name == n.codec.name));
            }
        }
    }
}

#[cfg(test)]
mod sipp_answer {
    use super::*;

    #[test]
    fn sipp_uas_answer_is_read() {
        let sdp = "v=0\r\no=sipp 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                   m=audio 6004 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n\
                   a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n";
        let local = LocalMedia {
            ip: IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            port: 4000,
            codecs: &[PCMU, PCMA, G722],
            session: 1,
            version: 1,
            srtp: SrtpPolicy::Off,
            keys: None,
        };
        let got = read_answer(sdp.as_bytes(), &local);
        assert_eq!(got.map(|n| n.codec), Some(PCMU));
    }
}

#[cfg(test)]
mod red_tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn lm(codecs: &[Codec]) -> LocalMedia<'_> {
        LocalMedia {
            ip: IP,
            port: 40000,
            codecs,
            session: 1,
            version: 1,
            srtp: SrtpPolicy::Off,
            keys: None,
        }
    }

    #[test]
    fn redundancy_offered_is_answered_and_read_back() {
        let offer = crate::fax::vbd_offer(&lm(&[PCMU, PCMA]));
        assert!(
            offer.contains("m=audio 40000 RTP/AVP 0 8 121 101\r\n"),
            "{offer}"
        );
        assert!(offer.contains("a=rtpmap:121 red/8000\r\n"), "{offer}");
        assert!(offer.contains("a=fmtp:121 0/0\r\n"), "{offer}");
        let (ans, agreed) = answer(offer.as_bytes(), &lm(&[PCMU])).unwrap();
        assert_eq!(agreed.red, Some(RED_PT));
        assert!(ans.contains("m=audio 40000 RTP/AVP 0 101 121\r\n"), "{ans}");
        assert!(ans.contains("a=fmtp:121 0/0\r\n"), "{ans}");
        let back = read_answer(ans.as_bytes(), &lm(&[PCMU, PCMA])).unwrap();
        assert_eq!(back.red, Some(RED_PT));
        // Blocks of another codec than the one chosen: not taken.
        let odd = offer.replace("a=fmtp:121 0/0", "a=fmtp:121 0/8");
        assert_eq!(answer(odd.as_bytes(), &lm(&[PCMU])).unwrap().1.red, None);
        // An ordinary offer has none.
        let plain = offer_of(&lm(&[PCMU]));
        assert_eq!(answer(plain.as_bytes(), &lm(&[PCMU])).unwrap().1.red, None);
    }

    fn offer_of(l: &LocalMedia<'_>) -> String {
        offer(l, Direction::SendRecv)
    }
}

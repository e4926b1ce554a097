//! SDP offer/answer (RFC 3264) for one audio stream, as an ATA needs it.
//!
//! We offer our codecs in preference order with `telephone-event`; we answer with the
//! offer's first codec that we support (the offerer's preference, RFC 3264 §6.1), keep
//! `telephone-event` if offered, and mirror the direction (`sendonly` → `recvonly`, ...).
//! An offer with nothing we can use is refused with 488.

use std::net::{IpAddr, SocketAddr};

use tipring_sip_message::sdp::{Connection, Direction, Media, Origin, SessionDescription};

/// A codec we can run, by its static or preferred payload type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Codec {
    /// Payload type we offer it with.
    pub payload_type: u8,
    /// Encoding name (`PCMU`, `PCMA`, `G722`).
    pub name: &'static str,
    /// RTP clock rate (8000; G.722 is 8000 on the wire by RFC 3551's mistake).
    pub clock_rate: u32,
}

/// G.711 µ-law.
pub const PCMU: Codec = Codec {
    payload_type: 0,
    name: "PCMU",
    clock_rate: 8000,
};
/// G.711 A-law.
pub const PCMA: Codec = Codec {
    payload_type: 8,
    name: "PCMA",
    clock_rate: 8000,
};
/// G.722.
pub const G722: Codec = Codec {
    payload_type: 9,
    name: "G722",
    clock_rate: 8000,
};

/// The dynamic payload type we offer telephone-event (RFC 4733) with.
pub const TELEPHONE_EVENT_PT: u8 = 101;

/// What offer/answer settled for the call's audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// Where to send RTP.
    pub remote: SocketAddr,
    /// The codec, with the payload type used on the wire.
    pub codec: Codec,
    /// telephone-event payload type, if both sides have it.
    pub telephone_event: Option<u8>,
    /// Packetisation time in ms.
    pub ptime: u32,
    /// Our direction.
    pub direction: Direction,
}

/// Why an offer cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The body is not valid SDP.
    Malformed(String),
    /// No audio stream with a codec we support.
    NoCommonCodec,
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

fn description(ip: IpAddr, session: u64, version: u64, media: Media) -> String {
    let mut sdp = SessionDescription::new(origin(ip, session, version));
    sdp.connection = Some(Connection::new(ip));
    sdp.media.push(media);
    sdp.to_string()
}

/// Our offer: `codecs` in preference order, telephone-event, 20 ms, `direction`.
pub fn offer(
    ip: IpAddr,
    port: u16,
    codecs: &[Codec],
    session: u64,
    direction: Direction,
) -> String {
    offer_version(ip, port, codecs, session, session, direction)
}

/// An offer in an existing session: same `session` id, a `version` one higher than the
/// last description we sent (RFC 3264 §8, for re-INVITEs).
pub fn offer_version(
    ip: IpAddr,
    port: u16,
    codecs: &[Codec],
    session: u64,
    version: u64,
    direction: Direction,
) -> String {
    let mut pts: Vec<u8> = codecs.iter().map(|c| c.payload_type).collect();
    pts.push(TELEPHONE_EVENT_PT);
    let mut m = Media::audio(port, "RTP/AVP", &pts);
    for c in codecs {
        m.push_attr(
            "rtpmap",
            Some(&format!("{} {}/{}", c.payload_type, c.name, c.clock_rate)),
        );
    }
    m.push_attr(
        "rtpmap",
        Some(&format!("{TELEPHONE_EVENT_PT} telephone-event/8000")),
    );
    m.push_attr("fmtp", Some(&format!("{TELEPHONE_EVENT_PT} 0-16")));
    m.push_attr("ptime", Some("20"));
    m.set_direction(direction);
    description(ip, session, version, m)
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
            if let Some(c) = ours.iter().find(|c| c.name == name && c.clock_rate == rate) {
                codec = Some(Codec {
                    payload_type: pt,
                    ..*c
                });
            }
        }
    }
    codec.map(|c| (c, te))
}

fn negotiated(
    sdp: &SessionDescription,
    media: &Media,
    codec: Codec,
    te: Option<u8>,
    dir: Direction,
) -> Option<Negotiated> {
    let conn = media.connection.as_ref().or(sdp.connection.as_ref())?;
    Some(Negotiated {
        remote: SocketAddr::new(conn.ip()?, media.port),
        codec,
        telephone_event: te,
        ptime: media.ptime().ok().flatten().unwrap_or(20),
        direction: dir,
    })
}

/// Answer a remote offer. Returns our SDP and what was agreed.
pub fn answer(
    remote_offer: &[u8],
    ip: IpAddr,
    port: u16,
    codecs: &[Codec],
    session: u64,
) -> Result<(String, Negotiated), Refusal> {
    let sdp =
        SessionDescription::parse(remote_offer).map_err(|e| Refusal::Malformed(e.to_string()))?;
    let (idx, (codec, te)) = sdp
        .media
        .iter()
        .enumerate()
        .filter(|(_, m)| m.media == "audio" && m.port != 0)
        .find_map(|(i, m)| pick(m, codecs).map(|p| (i, p)))
        .ok_or(Refusal::NoCommonCodec)?;
    let offered = &sdp.media[idx];
    let their_dir = offered
        .direction()
        .or_else(|| sdp.direction())
        .unwrap_or(Direction::SendRecv);
    let ours = their_dir.answer();
    let mut pts = vec![codec.payload_type];
    pts.extend(te);
    let mut m = Media::audio(port, &offered.proto, &pts);
    m.push_attr(
        "rtpmap",
        Some(&format!(
            "{} {}/{}",
            codec.payload_type, codec.name, codec.clock_rate
        )),
    );
    if let Some(te) = te {
        m.push_attr("rtpmap", Some(&format!("{te} telephone-event/8000")));
        m.push_attr("fmtp", Some(&format!("{te} 0-16")));
    }
    let ptime = offered.ptime().ok().flatten().unwrap_or(20);
    m.push_attr("ptime", Some(&ptime.to_string()));
    m.set_direction(ours);
    let agreed = negotiated(&sdp, offered, codec, te, ours).ok_or(Refusal::NoCommonCodec)?;
    Ok((description(ip, session, session, m), agreed))
}

/// Read the far end's answer to our offer.
pub fn read_answer(remote_answer: &[u8], codecs: &[Codec]) -> Option<Negotiated> {
    let sdp = SessionDescription::parse(remote_answer).ok()?;
    let m = sdp
        .media
        .iter()
        .find(|m| m.media == "audio" && m.port != 0)?;
    let (codec, te) = pick(m, codecs)?;
    let their = m
        .direction()
        .or_else(|| sdp.direction())
        .unwrap_or(Direction::SendRecv);
    negotiated(&sdp, m, codec, te, their.answer())
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn offer_lists_codecs_and_telephone_event() {
        let o = offer(IP, 40000, &[PCMU, PCMA], 7, Direction::SendRecv);
        assert!(o.contains("m=audio 40000 RTP/AVP 0 8 101\r\n"), "{o}");
        assert!(o.contains("a=rtpmap:101 telephone-event/8000"), "{o}");
        assert!(o.contains("a=sendrecv"), "{o}");
        assert!(SessionDescription::parse(o.as_bytes()).is_ok());
    }

    #[test]
    fn answer_takes_the_offerers_first_supported_codec() {
        // RFC 3264 §6.1: the answer keeps the offerer's order.
        let remote = offer(IP, 5004, &[G722, PCMA, PCMU], 1, Direction::SendRecv);
        let (sdp, agreed) = answer(remote.as_bytes(), IP, 40000, &[PCMU, PCMA], 9).unwrap();
        assert_eq!(agreed.codec, PCMA);
        assert_eq!(agreed.telephone_event, Some(101));
        assert_eq!(agreed.remote, "127.0.0.1:5004".parse().unwrap());
        assert!(sdp.contains("m=audio 40000 RTP/AVP 8 101\r\n"), "{sdp}");
    }

    #[test]
    fn hold_offer_gets_recvonly() {
        let remote = offer(IP, 5004, &[PCMU], 1, Direction::SendOnly);
        let (sdp, agreed) = answer(remote.as_bytes(), IP, 40000, &[PCMU], 9).unwrap();
        assert_eq!(agreed.direction, Direction::RecvOnly);
        assert!(sdp.contains("a=recvonly"), "{sdp}");
    }

    #[test]
    fn dynamic_payload_types_match_by_name() {
        let remote = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                      m=audio 5004 RTP/AVP 96 97\r\na=rtpmap:96 opus/48000/2\r\na=rtpmap:97 PCMU/8000\r\n";
        let (_, agreed) = answer(remote.as_bytes(), IP, 40000, &[PCMU], 9).unwrap();
        assert_eq!(agreed.codec.payload_type, 97);
        assert_eq!(agreed.telephone_event, None);
    }

    #[test]
    fn nothing_in_common_is_refused() {
        let remote = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                      m=audio 5004 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n";
        assert_eq!(
            answer(remote.as_bytes(), IP, 40000, &[PCMU], 9),
            Err(Refusal::NoCommonCodec)
        );
        assert!(matches!(
            answer(b"garbage", IP, 1, &[PCMU], 1),
            Err(Refusal::Malformed(_))
        ));
    }

    #[test]
    fn answers_are_read() {
        let ours = offer(IP, 40000, &[PCMU, PCMA], 7, Direction::SendRecv);
        let (theirs, _) = answer(ours.as_bytes(), IP, 6000, &[PCMA], 3).unwrap();
        let agreed = read_answer(theirs.as_bytes(), &[PCMU, PCMA]).unwrap();
        assert_eq!(agreed.codec, PCMA);
        assert_eq!(agreed.remote.port(), 6000);
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
        let got = read_answer(sdp.as_bytes(), &[PCMU, PCMA, G722]);
        assert_eq!(got.map(|n| n.codec), Some(PCMU));
    }
}

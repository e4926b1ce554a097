//! Fax in SDP: T.38 (`m=image <port> udptl t38`, ITU-T T.38 Annex D / RFC 3362) and the
//! G.711 voice-band-data offer of a V.152-style pass-through.
//!
//! **T.38 offer/answer** (T.38 Annex D.2.3). We offer our [`T38Params`]; an answer may
//! lower what the offer says, never raise it:
//!
//! * `T38FaxVersion`: the lower of the two;
//! * `T38MaxBitRate`: the lower of the two (it bounds the modems: 14,400 is V.17);
//! * `T38FaxRateManagement`: the answer repeats the offer's (transferredTCF or localTCF);
//! * `T38FaxUdpEC`: FEC only if both do it, else redundancy if both do it, else none;
//! * `T38FaxMaxBuffer`, `T38FaxMaxDatagram`: declarations of what each side can *receive*
//!   (the far end's datagram size is the largest UDPTL datagram we may send);
//! * `T38FaxFillBitRemoval`, `T38FaxTranscodingMMR`, `T38FaxTranscodingJBIG`: booleans,
//!   kept in the answer only when offered and done by us (we never transcode MMR or JBIG).
//!
//! Names are matched without regard to case, booleans accept both the bare form and `:0`/`:1`
//! that several vendors send, and attribute values out of range are refused (488), not
//! guessed. An answer has as many `m=` lines as the offer (RFC 3264 §6): streams other than
//! the T.38 one are rejected with port 0 — a re-INVITE that keeps `m=audio 0` beside
//! `m=image` (as Asterisk and FreeSWITCH send it) is answered the same way.
//!
//! **G.711 pass-through.** To carry fax as voice-band data, a call that runs another codec is
//! re-offered with PCMU and PCMA only, each marked `a=gpmd:<pt> vbd=yes` (ITU-T V.152 §9),
//! with RFC 2198 redundant audio (`red/8000`, V.152 §7.2's protection of VBD against loss):
//! peers that know V.152 treat the stream as VBD (no VAD, no comfort noise, fixed jitter
//! buffer), others see an ordinary G.711 offer.

use std::net::{IpAddr, SocketAddr};

use tipring_sip_message::sdp::{Connection, Media, SessionDescription};

use crate::media::{LocalMedia, Refusal};

/// `T38FaxRateManagement`: where the training check (TCF) is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateManagement {
    /// The TCF is carried end to end (`transferredTCF`; what UDPTL asks for).
    TransferredTcf,
    /// Each gateway makes its own (`localTCF`; meant for TCP).
    LocalTcf,
}

impl RateManagement {
    fn as_str(self) -> &'static str {
        match self {
            RateManagement::TransferredTcf => "transferredTCF",
            RateManagement::LocalTcf => "localTCF",
        }
    }
}

/// `T38FaxUdpEC`: how UDPTL protects IFP packets against loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum UdpEc {
    /// No protection (the attribute is left out).
    None,
    /// Each datagram repeats the previous IFP packets (`t38UDPRedundancy`).
    Redundancy,
    /// Each datagram carries XOR parity of earlier packets (`t38UDPFEC`).
    Fec,
}

/// Our T.38 capabilities, or what offer/answer agreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct T38Params {
    /// `T38FaxVersion` (0..=3).
    pub version: u8,
    /// `T38MaxBitRate` in bit/s (2400..=14400 for the V.27ter/V.29/V.17 modems).
    pub max_bit_rate: u32,
    /// `T38FaxRateManagement`.
    pub rate_management: RateManagement,
    /// `T38FaxMaxBuffer`: bytes of IFP we can buffer.
    pub max_buffer: u32,
    /// `T38FaxMaxDatagram`: the largest UDPTL datagram we can receive.
    pub max_datagram: u32,
    /// `T38FaxUdpEC`.
    pub udp_ec: UdpEc,
    /// `T38FaxFillBitRemoval`.
    pub fill_bit_removal: bool,
}

impl Default for T38Params {
    /// Version 0 (what every peer speaks), 14,400 bit/s, transferred TCF, redundancy,
    /// 400-byte datagrams: the settings gateways ship with.
    fn default() -> Self {
        Self {
            version: 0,
            max_bit_rate: 14_400,
            rate_management: RateManagement::TransferredTcf,
            max_buffer: 2000,
            max_datagram: 400,
            udp_ec: UdpEc::Redundancy,
            fill_bit_removal: false,
        }
    }
}

/// A T.38 stream that offer/answer settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct T38Session {
    /// Our UDPTL port (the call's RTP port).
    pub local_port: u16,
    /// Where to send UDPTL.
    pub remote: SocketAddr,
    /// What was agreed: the lower version and rate, the common error correction, the
    /// offer's rate management; `max_datagram` and `max_buffer` are the *far end's*
    /// (the largest datagram we may send it).
    pub params: T38Params,
}

/// What the far end's T.38 attributes say (absent ones at T.38's defaults).
fn read_params(m: &Media) -> Result<T38Params, Refusal> {
    let bad = |what: &str| Refusal::Malformed(format!("T.38 attribute {what}"));
    let num = |name: &str| -> Result<Option<u32>, Refusal> {
        match m.attr(name) {
            None => Ok(None),
            Some(v) => v.trim().parse::<u32>().map(Some).map_err(|_| bad(name)),
        }
    };
    let flag = |name: &str| -> Result<bool, Refusal> {
        let mut values = m.attrs(name);
        match values.next() {
            None => Ok(false),
            Some(None) => Ok(true),
            Some(Some(v)) => match v.trim() {
                "1" | "" => Ok(true),
                "0" => Ok(false),
                _ => Err(bad(name)),
            },
        }
    };
    let version = num("T38FaxVersion")?.unwrap_or(0);
    if version > 3 {
        return Err(bad("T38FaxVersion"));
    }
    let max_bit_rate = num("T38MaxBitRate")?
        .or(num("T38FaxMaxRate")?)
        .unwrap_or(14_400);
    if !(2400..=33_600).contains(&max_bit_rate) {
        return Err(bad("T38MaxBitRate"));
    }
    let rate_management = match m.attr("T38FaxRateManagement").map(str::trim) {
        None => RateManagement::TransferredTcf,
        Some(v) if v.eq_ignore_ascii_case("transferredTCF") => RateManagement::TransferredTcf,
        Some(v) if v.eq_ignore_ascii_case("localTCF") => RateManagement::LocalTcf,
        Some(_) => return Err(bad("T38FaxRateManagement")),
    };
    let udp_ec = match m.attr("T38FaxUdpEC").map(str::trim) {
        None => UdpEc::None,
        Some(v) if v.eq_ignore_ascii_case("t38UDPRedundancy") => UdpEc::Redundancy,
        Some(v) if v.eq_ignore_ascii_case("t38UDPFEC") => UdpEc::Fec,
        // An EC scheme we do not know is treated as none (the answer leaves it out).
        Some(_) => UdpEc::None,
    };
    // T.38 Annex D: absent buffer/datagram sizes leave the sender to be conservative.
    let max_datagram = num("T38FaxMaxDatagram")?
        .or(num("T38FaxMaxIFP")?)
        .unwrap_or(72);
    if !(20..=65_535).contains(&max_datagram) {
        return Err(bad("T38FaxMaxDatagram"));
    }
    let max_buffer = num("T38FaxMaxBuffer")?.unwrap_or(max_datagram.max(200));
    Ok(T38Params {
        version: version as u8,
        max_bit_rate,
        rate_management,
        max_buffer,
        max_datagram,
        udp_ec,
        fill_bit_removal: flag("T38FaxFillBitRemoval")?,
    })
}

fn image(port: u16, p: &T38Params) -> Media {
    let mut m = Media::audio(port, "udptl", &[]);
    m.media = "image".into();
    m.formats = vec!["t38".into()];
    m.push_attr("T38FaxVersion", Some(&p.version.to_string()));
    m.push_attr("T38MaxBitRate", Some(&p.max_bit_rate.to_string()));
    if p.fill_bit_removal {
        m.push_attr("T38FaxFillBitRemoval", None);
    }
    m.push_attr("T38FaxRateManagement", Some(p.rate_management.as_str()));
    m.push_attr("T38FaxMaxBuffer", Some(&p.max_buffer.to_string()));
    m.push_attr("T38FaxMaxDatagram", Some(&p.max_datagram.to_string()));
    match p.udp_ec {
        UdpEc::None => {}
        UdpEc::Redundancy => m.push_attr("T38FaxUdpEC", Some("t38UDPRedundancy")),
        UdpEc::Fec => m.push_attr("T38FaxUdpEC", Some("t38UDPFEC")),
    }
    m
}

fn session_description(local: &LocalMedia<'_>, media: Vec<Media>) -> String {
    let c = Connection::new(local.ip);
    let mut sdp = SessionDescription::new(tipring_sip_message::sdp::Origin {
        username: "tipring".into(),
        session_id: local.session,
        session_version: local.version,
        net_type: c.net_type.clone(),
        addr_type: c.addr_type.clone(),
        address: c.address.clone(),
    });
    sdp.connection = Some(c);
    sdp.media = media;
    sdp.to_string()
}

/// Our T.38 offer (a re-INVITE in a call: same session, higher version).
pub fn t38_offer(local: &LocalMedia<'_>, ours: &T38Params) -> String {
    session_description(local, vec![image(local.port, ours)])
}

/// Whether `body` is SDP that offers a T.38 stream (a live `m=image ... udptl t38`).
pub fn offers_t38(body: &[u8]) -> bool {
    SessionDescription::parse(body)
        .map(|s| s.media.iter().any(is_t38))
        .unwrap_or(false)
}

fn is_t38(m: &Media) -> bool {
    m.media.eq_ignore_ascii_case("image")
        && m.port != 0
        && m.proto.eq_ignore_ascii_case("udptl")
        && m.formats.iter().any(|f| f.eq_ignore_ascii_case("t38"))
}

fn remote_addr(sdp: &SessionDescription, m: &Media) -> Option<SocketAddr> {
    let ip: IpAddr = m.connection.as_ref().or(sdp.connection.as_ref())?.ip()?;
    Some(SocketAddr::new(ip, m.port))
}

/// What both sides can do: the answer to `offered` from `ours`.
fn agree(offered: &T38Params, ours: &T38Params) -> T38Params {
    let udp_ec = match (offered.udp_ec, ours.udp_ec) {
        (UdpEc::Fec, UdpEc::Fec) => UdpEc::Fec,
        (UdpEc::Fec | UdpEc::Redundancy, UdpEc::Fec | UdpEc::Redundancy) => UdpEc::Redundancy,
        _ => UdpEc::None,
    };
    T38Params {
        version: offered.version.min(ours.version),
        max_bit_rate: offered.max_bit_rate.min(ours.max_bit_rate),
        rate_management: offered.rate_management,
        max_buffer: ours.max_buffer,
        max_datagram: ours.max_datagram,
        udp_ec,
        fill_bit_removal: offered.fill_bit_removal && ours.fill_bit_removal,
    }
}

/// Answer an offer with a T.38 stream: our SDP and the session agreed. Refused when the
/// offer has no live T.38 stream or its attributes are out of range.
pub fn t38_answer(
    remote_offer: &[u8],
    local: &LocalMedia<'_>,
    ours: &T38Params,
) -> Result<(String, T38Session), Refusal> {
    let sdp =
        SessionDescription::parse(remote_offer).map_err(|e| Refusal::Malformed(e.to_string()))?;
    let offered = sdp.media.iter().find(|m| is_t38(m)).ok_or(Refusal::NoT38)?;
    let theirs = read_params(offered)?;
    let remote = remote_addr(&sdp, offered).ok_or(Refusal::NoT38)?;
    let agreed = agree(&theirs, ours);
    let mut answered = false;
    let media = sdp
        .media
        .iter()
        .map(|m| {
            if !answered && is_t38(m) {
                answered = true;
                image(local.port, &agreed)
            } else {
                let mut rejected = Media::audio(0, &m.proto, &[]);
                rejected.media = m.media.clone();
                rejected.formats = m.formats.clone();
                rejected
            }
        })
        .collect();
    let session = T38Session {
        local_port: local.port,
        remote,
        params: T38Params {
            max_buffer: theirs.max_buffer,
            max_datagram: theirs.max_datagram,
            ..agreed
        },
    };
    Ok((session_description(local, media), session))
}

/// Read the far end's answer to our T.38 offer (made with `ours`). `None` when it took no
/// T.38 stream (it answered with audio, or rejected the stream with port 0).
pub fn read_t38_answer(
    remote_answer: &[u8],
    local_port: u16,
    ours: &T38Params,
) -> Option<T38Session> {
    let sdp = SessionDescription::parse(remote_answer).ok()?;
    let m = sdp.media.iter().find(|m| is_t38(m))?;
    let theirs = read_params(m).ok()?;
    let remote = remote_addr(&sdp, m)?;
    // The answer may only lower our offer; take the lower of each in case it did not.
    let agreed = agree(&theirs, ours);
    Some(T38Session {
        local_port,
        remote,
        params: T38Params {
            // The answer repeats our rate management; if it names another, its own stands.
            rate_management: theirs.rate_management,
            udp_ec: theirs.udp_ec.min(ours.udp_ec),
            max_buffer: theirs.max_buffer,
            max_datagram: theirs.max_datagram,
            ..agreed
        },
    })
}

/// A G.711-only offer for voice-band data (V.152): PCMU and PCMA with `gpmd vbd=yes`,
/// telephone-event kept, sendrecv.
pub fn vbd_offer(local: &LocalMedia<'_>) -> String {
    let g711: Vec<crate::media::Codec> = local
        .codecs
        .iter()
        .copied()
        .filter(|c| c.name == "PCMU" || c.name == "PCMA")
        .collect();
    let g711 = if g711.is_empty() {
        vec![crate::media::PCMU, crate::media::PCMA]
    } else {
        g711
    };
    let text = crate::media::offer(
        &LocalMedia {
            codecs: &g711,
            ..local.clone()
        },
        crate::media::Direction::SendRecv,
    );
    let mut sdp = SessionDescription::parse(text.as_bytes()).expect("our own offer parses");
    if let Some(m) = sdp.media.first_mut() {
        for c in &g711 {
            m.push_attr("gpmd", Some(&format!("{} vbd=yes", c.payload_type)));
        }
        // RFC 2198 redundancy of the first G.711 codec, before telephone-event.
        let red = crate::media::RED_PT;
        let pt = g711[0].payload_type;
        let at = m.formats.len().saturating_sub(1);
        m.formats.insert(at, red.to_string());
        m.push_attr("rtpmap", Some(&format!("{red} red/8000")));
        m.push_attr("fmtp", Some(&format!("{red} {pt}/{pt}")));
    }
    sdp.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{SrtpPolicy, PCMU};

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn lm(port: u16) -> LocalMedia<'static> {
        LocalMedia {
            ip: IP,
            port,
            codecs: &[PCMU],
            session: 9,
            version: 3,
            srtp: SrtpPolicy::Off,
            keys: None,
        }
    }

    #[test]
    fn offer_carries_every_t38_attribute() {
        let o = t38_offer(&lm(40000), &T38Params::default());
        for line in [
            "m=image 40000 udptl t38\r\n",
            "a=T38FaxVersion:0\r\n",
            "a=T38MaxBitRate:14400\r\n",
            "a=T38FaxRateManagement:transferredTCF\r\n",
            "a=T38FaxMaxBuffer:2000\r\n",
            "a=T38FaxMaxDatagram:400\r\n",
            "a=T38FaxUdpEC:t38UDPRedundancy\r\n",
            "c=IN IP4 127.0.0.1\r\n",
        ] {
            assert!(o.contains(line), "{line:?} missing from {o}");
        }
        assert!(!o.contains("FillBitRemoval"), "{o}");
        assert!(offers_t38(o.as_bytes()));
    }

    const ASTERISK_STYLE: &str =
        "v=0\r\no=- 1 2 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\n\
m=audio 0 RTP/AVP 0\r\n\
m=image 4000 udptl t38\r\n\
a=t38faxversion:2\r\na=T38MaxBitRate:9600\r\na=T38FaxFillBitRemoval:1\r\n\
a=T38FaxRateManagement:localTCF\r\na=T38FaxMaxBuffer:1800\r\na=T38FaxMaxDatagram:300\r\n\
a=T38FaxUdpEC:t38UDPFEC\r\na=T38FaxTranscodingMMR\r\n";

    #[test]
    fn answer_lowers_the_offer_and_keeps_its_rate_management() {
        let ours = T38Params {
            udp_ec: UdpEc::Redundancy,
            ..T38Params::default()
        };
        let (sdp, s) = t38_answer(ASTERISK_STYLE.as_bytes(), &lm(40000), &ours).unwrap();
        assert_eq!(s.remote, "10.0.0.9:4000".parse().unwrap());
        assert_eq!(s.params.version, 0);
        assert_eq!(s.params.max_bit_rate, 9600);
        assert_eq!(s.params.rate_management, RateManagement::LocalTcf);
        assert_eq!(s.params.udp_ec, UdpEc::Redundancy);
        assert_eq!(s.params.max_datagram, 300, "the far end's receive limit");
        assert!(!s.params.fill_bit_removal, "we do not remove fill bits");
        // Two m-lines answered, the audio one rejected.
        assert!(sdp.contains("m=audio 0 RTP/AVP 0\r\n"), "{sdp}");
        assert!(sdp.contains("m=image 40000 udptl t38\r\n"), "{sdp}");
        assert!(sdp.contains("a=T38FaxRateManagement:localTCF\r\n"), "{sdp}");
        assert!(sdp.contains("a=T38MaxBitRate:9600\r\n"), "{sdp}");
        assert!(sdp.contains("a=T38FaxMaxDatagram:400\r\n"), "ours: {sdp}");
        assert!(!sdp.contains("MMR"), "{sdp}");
        let ours_fec = T38Params {
            udp_ec: UdpEc::Fec,
            ..ours
        };
        let (sdp, s) = t38_answer(ASTERISK_STYLE.as_bytes(), &lm(40000), &ours_fec).unwrap();
        assert_eq!(s.params.udp_ec, UdpEc::Fec);
        assert!(sdp.contains("a=T38FaxUdpEC:t38UDPFEC\r\n"), "{sdp}");
    }

    #[test]
    fn bad_values_are_refused_and_audio_only_offers_are_not_t38() {
        let bad = ASTERISK_STYLE.replace("T38MaxBitRate:9600", "T38MaxBitRate:fast");
        assert!(matches!(
            t38_answer(bad.as_bytes(), &lm(1), &T38Params::default()),
            Err(Refusal::Malformed(_))
        ));
        let bad = ASTERISK_STYLE.replace("t38faxversion:2", "T38FaxVersion:9");
        assert!(t38_answer(bad.as_bytes(), &lm(1), &T38Params::default()).is_err());
        let audio = crate::media::offer(&lm(5000), crate::media::Direction::SendRecv);
        assert!(!offers_t38(audio.as_bytes()));
        assert_eq!(
            t38_answer(audio.as_bytes(), &lm(1), &T38Params::default()).unwrap_err(),
            Refusal::NoT38
        );
        let rejected = ASTERISK_STYLE.replace("m=image 4000", "m=image 0");
        assert!(!offers_t38(rejected.as_bytes()));
    }

    #[test]
    fn reading_an_answer() {
        let ours = T38Params::default();
        let (answer, _) = t38_answer(
            t38_offer(&lm(40000), &ours).as_bytes(),
            &lm(42000),
            &T38Params {
                max_datagram: 200,
                ..ours
            },
        )
        .unwrap();
        let s = read_t38_answer(answer.as_bytes(), 40000, &ours).unwrap();
        assert_eq!(s.remote, "127.0.0.1:42000".parse().unwrap());
        assert_eq!(s.params.max_datagram, 200);
        assert_eq!(s.params.udp_ec, UdpEc::Redundancy);
        assert_eq!(s.local_port, 40000);
        let audio = crate::media::offer(&lm(5000), crate::media::Direction::SendRecv);
        assert!(read_t38_answer(audio.as_bytes(), 1, &ours).is_none());
    }

    #[test]
    fn vbd_offer_is_g711_marked_as_voice_band_data() {
        let codecs = [crate::media::G722, PCMU, crate::media::PCMA];
        let local = LocalMedia {
            codecs: &codecs,
            ..lm(40000)
        };
        let o = vbd_offer(&local);
        assert!(o.contains("m=audio 40000 RTP/AVP 0 8 121 101\r\n"), "{o}");
        assert!(o.contains("a=gpmd:0 vbd=yes\r\n"), "{o}");
        assert!(o.contains("a=gpmd:8 vbd=yes\r\n"), "{o}");
        assert!(!o.contains("G722"), "{o}");
    }
}

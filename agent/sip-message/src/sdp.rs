//! SDP (RFC 4566 / RFC 8866) — the part an analog telephone adapter needs for RFC 3264
//! offer/answer: `v o s c t m a` lines typed, everything else kept.
//!
//! Attributes are stored in order as name/value text and typed on demand:
//! [`Media::rtpmaps`], [`Media::fmtps`], [`Media::ptime`], [`Media::maxptime`],
//! [`Media::direction`] (falling back to the session level with
//! [`SessionDescription::media_direction`]), [`Media::rtcp`]; `crypto` (SDES, RFC 4568) and
//! the T.38 attributes (`T38FaxVersion`, `T38FaxRateManagement`, ...) stay text. Lines of
//! other types (`i u e p b r z k` and unknown ones) are kept in order and written back in
//! their RFC 4566 §5 position, so parse → write → parse is stable.

use std::fmt;
use std::net::IpAddr;

use crate::error::{Error, Result};

fn bad(detail: impl Into<String>) -> Error {
    Error::syntax("SDP", detail)
}

/// `o=` (RFC 4566 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// User name (`-` when none).
    pub username: String,
    /// Session id.
    pub session_id: u64,
    /// Session version (incremented on every new offer, RFC 3264 §8).
    pub session_version: u64,
    /// Network type, `IN`.
    pub net_type: String,
    /// Address type, `IP4` or `IP6`.
    pub addr_type: String,
    /// Unicast address.
    pub address: String,
}

/// `c=` (RFC 4566 §5.7).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Connection {
    /// Network type, `IN`.
    pub net_type: String,
    /// Address type, `IP4` or `IP6`.
    pub addr_type: String,
    /// Address (multicast ones may carry `/ttl/count`).
    pub address: String,
}

impl Connection {
    /// `IN IP4 a.b.c.d` or `IN IP6 ...` for an address.
    pub fn new(ip: IpAddr) -> Connection {
        Connection {
            net_type: "IN".into(),
            addr_type: if ip.is_ipv4() { "IP4" } else { "IP6" }.into(),
            address: ip.to_string(),
        }
    }

    /// The address as an IP, when it is one (without `/ttl`).
    pub fn ip(&self) -> Option<IpAddr> {
        self.address.split('/').next()?.parse().ok()
    }

    /// True for the RFC 2543 hold address `0.0.0.0`.
    pub fn is_hold_address(&self) -> bool {
        self.address == "0.0.0.0"
    }
}

/// An attribute line: `a=name` or `a=name:value`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attribute {
    /// Name.
    pub name: String,
    /// Value after the first `:`.
    pub value: Option<String>,
}

impl Attribute {
    /// An attribute.
    pub fn new(name: &str, value: Option<&str>) -> Attribute {
        Attribute {
            name: name.to_owned(),
            value: value.map(str::to_owned),
        }
    }
}

/// Media direction (RFC 3264 §5.1, RFC 4566 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `sendrecv` (the default).
    SendRecv,
    /// `sendonly`.
    SendOnly,
    /// `recvonly`.
    RecvOnly,
    /// `inactive`.
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    fn from_attr(name: &str) -> Option<Direction> {
        match name {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }

    /// The direction an answer takes for this offered direction (RFC 3264 §6.1), when
    /// the answerer is willing to send and receive.
    pub fn answer(&self) -> Direction {
        match self {
            Direction::SendRecv => Direction::SendRecv,
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            Direction::Inactive => Direction::Inactive,
        }
    }
}

/// `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]` (RFC 4566 §6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RtpMap {
    /// Payload type.
    pub payload_type: u8,
    /// Encoding name (`PCMU`, `telephone-event`, ...).
    pub encoding: String,
    /// Clock rate.
    pub clock_rate: u32,
    /// Channels / encoding parameters.
    pub channels: Option<u32>,
}

impl fmt::Display for RtpMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.payload_type, self.encoding, self.clock_rate
        )?;
        if let Some(c) = self.channels {
            write!(f, "/{c}")?;
        }
        Ok(())
    }
}

/// `a=fmtp:<format> <parameters>` (RFC 4566 §6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fmtp {
    /// The format (payload type for RTP).
    pub format: String,
    /// The parameter text (`0-16`, `annexb=no`, ...).
    pub params: String,
}

/// `a=rtcp:<port> [IN IP4 addr]` (RFC 3605).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rtcp {
    /// RTCP port.
    pub port: u16,
    /// Optional connection address.
    pub connection: Option<Connection>,
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Media {
    /// Media type: `audio`, `image` (T.38), `video`, ...
    pub media: String,
    /// Port (0 = rejected / disabled stream, RFC 3264 §6).
    pub port: u16,
    /// Number of ports (`m=audio 49170/2 ...`).
    pub port_count: Option<u16>,
    /// Protocol: `RTP/AVP`, `RTP/SAVP`, `udptl`, ...
    pub proto: String,
    /// Formats (payload type numbers for RTP, `t38` for udptl).
    pub formats: Vec<String>,
    /// Media-level `c=`.
    pub connection: Option<Connection>,
    /// Attributes in order.
    pub attributes: Vec<Attribute>,
    /// Other lines (`i=`, `b=`, `k=`, unknown), in order, as (type, value).
    pub other: Vec<(char, String)>,
}

impl Media {
    /// `m=audio <port> RTP/AVP <payload types>`.
    pub fn audio(port: u16, proto: &str, payload_types: &[u8]) -> Media {
        Media {
            media: "audio".into(),
            port,
            port_count: None,
            proto: proto.into(),
            formats: payload_types.iter().map(u8::to_string).collect(),
            connection: None,
            attributes: Vec::new(),
            other: Vec::new(),
        }
    }

    /// The formats as RTP payload types (formats that are not numbers are skipped).
    pub fn payload_types(&self) -> Vec<u8> {
        self.formats.iter().filter_map(|f| f.parse().ok()).collect()
    }

    /// Values of the attribute `name`, in order.
    pub fn attrs<'a>(&'a self, name: &'a str) -> impl Iterator<Item = Option<&'a str>> + 'a {
        self.attributes
            .iter()
            .filter(move |a| a.name.eq_ignore_ascii_case(name))
            .map(|a| a.value.as_deref())
    }

    /// The first value of attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
            .and_then(|a| a.value.as_deref())
    }

    /// Append an attribute.
    pub fn push_attr(&mut self, name: &str, value: Option<&str>) {
        self.attributes.push(Attribute::new(name, value));
    }

    /// Every `rtpmap`.
    pub fn rtpmaps(&self) -> Result<Vec<RtpMap>> {
        self.attrs("rtpmap")
            .map(|v| parse_rtpmap(v.unwrap_or("")))
            .collect()
    }

    /// The `rtpmap` of one payload type.
    pub fn rtpmap(&self, pt: u8) -> Result<Option<RtpMap>> {
        Ok(self.rtpmaps()?.into_iter().find(|m| m.payload_type == pt))
    }

    /// Every `fmtp`.
    pub fn fmtps(&self) -> Result<Vec<Fmtp>> {
        self.attrs("fmtp")
            .map(|v| {
                let v = v.unwrap_or("");
                let (format, params) = v.split_once(' ').unwrap_or((v, ""));
                if format.is_empty() {
                    return Err(bad("empty fmtp format"));
                }
                Ok(Fmtp {
                    format: format.to_owned(),
                    params: params.trim().to_owned(),
                })
            })
            .collect()
    }

    /// `ptime` in ms (RFC 4566 §6; fractional values are rounded down).
    pub fn ptime(&self) -> Result<Option<u32>> {
        self.attr("ptime").map(|v| parse_ms("ptime", v)).transpose()
    }

    /// `maxptime` in ms.
    pub fn maxptime(&self) -> Result<Option<u32>> {
        self.attr("maxptime")
            .map(|v| parse_ms("maxptime", v))
            .transpose()
    }

    /// The media-level direction attribute, if any.
    pub fn direction(&self) -> Option<Direction> {
        self.attributes
            .iter()
            .rev()
            .find_map(|a| Direction::from_attr(&a.name.to_ascii_lowercase()))
    }

    /// Replace any direction attribute with `d`.
    pub fn set_direction(&mut self, d: Direction) {
        self.attributes
            .retain(|a| Direction::from_attr(&a.name.to_ascii_lowercase()).is_none());
        self.attributes.push(Attribute::new(d.as_str(), None));
    }

    /// `rtcp` (RFC 3605).
    pub fn rtcp(&self) -> Result<Option<Rtcp>> {
        self.attr("rtcp")
            .map(|v| {
                let mut it = v.split_whitespace();
                let port = it
                    .next()
                    .and_then(|p| p.parse().ok())
                    .ok_or_else(|| bad(format!("bad rtcp {v:?}")))?;
                let connection = match (it.next(), it.next(), it.next()) {
                    (Some(n), Some(t), Some(a)) => Some(Connection {
                        net_type: n.into(),
                        addr_type: t.into(),
                        address: a.into(),
                    }),
                    (None, _, _) => None,
                    _ => return Err(bad(format!("bad rtcp {v:?}"))),
                };
                Ok(Rtcp { port, connection })
            })
            .transpose()
    }

    /// `crypto` lines (SDES, RFC 4568), as text.
    pub fn crypto(&self) -> Vec<&str> {
        self.attrs("crypto").flatten().collect()
    }

    /// True for a stream the answer rejected or that is disabled (port 0).
    pub fn is_disabled(&self) -> bool {
        self.port == 0
    }
}

fn parse_ms(what: &str, v: &str) -> Result<u32> {
    let int = v.split('.').next().unwrap_or("");
    int.trim()
        .parse()
        .map_err(|_| bad(format!("bad {what} {v:?}")))
}

fn parse_rtpmap(v: &str) -> Result<RtpMap> {
    let err = || bad(format!("bad rtpmap {v:?}"));
    let (pt, rest) = v.split_once(' ').ok_or_else(err)?;
    let mut parts = rest.trim().split('/');
    let encoding = parts.next().filter(|e| !e.is_empty()).ok_or_else(err)?;
    let clock_rate = parts.next().and_then(|r| r.parse().ok()).ok_or_else(err)?;
    let channels = parts
        .next()
        .map(|c| c.parse().map_err(|_| err()))
        .transpose()?;
    Ok(RtpMap {
        payload_type: pt.parse().map_err(|_| err())?,
        encoding: encoding.to_owned(),
        clock_rate,
        channels,
    })
}

/// A session description.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionDescription {
    /// `v=` (0).
    pub version: u32,
    /// `o=`.
    pub origin: Origin,
    /// `s=` (`-` when none was given).
    pub session_name: String,
    /// Session-level `c=`.
    pub connection: Option<Connection>,
    /// `t=` lines (start, stop); `0 0` when none was given.
    pub timing: Vec<(u64, u64)>,
    /// Session-level attributes in order.
    pub attributes: Vec<Attribute>,
    /// Media sections.
    pub media: Vec<Media>,
    /// Other session-level lines (`i u e p b r z k`, unknown), in order.
    pub other: Vec<(char, String)>,
}

impl SessionDescription {
    /// A description with one origin and no media (`s=-`, `t=0 0`).
    pub fn new(origin: Origin) -> SessionDescription {
        SessionDescription {
            version: 0,
            origin,
            session_name: "-".into(),
            connection: None,
            timing: vec![(0, 0)],
            attributes: Vec::new(),
            media: Vec::new(),
            other: Vec::new(),
        }
    }

    /// Parse SDP text (CRLF or LF line ends).
    pub fn parse(text: &[u8]) -> Result<SessionDescription> {
        let text = std::str::from_utf8(text).map_err(|_| bad("not UTF-8"))?;
        let mut version = None;
        let mut origin = None;
        let mut session_name = None;
        let mut connection = None;
        let mut timing = Vec::new();
        let mut attributes = Vec::new();
        let mut media: Vec<Media> = Vec::new();
        let mut other = Vec::new();
        for raw in text.split('\n') {
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.trim().is_empty() {
                continue;
            }
            let b = line.as_bytes();
            if b.len() < 2 || b[1] != b'=' || !b[0].is_ascii_alphabetic() {
                return Err(bad(format!(
                    "not a 'x=value' line: {:?}",
                    crate::text::clip(line)
                )));
            }
            let kind = b[0] as char;
            let value = &line[2..];
            match (kind, media.last_mut()) {
                ('v', None) => {
                    version = Some(
                        value
                            .trim()
                            .parse()
                            .map_err(|_| bad(format!("bad v={value:?}")))?,
                    );
                }
                ('o', None) => origin = Some(parse_origin(value)?),
                ('s', None) => session_name = Some(value.to_owned()),
                ('c', None) => connection = Some(parse_connection(value)?),
                ('t', None) => {
                    let (a, b) = value
                        .trim()
                        .split_once(' ')
                        .ok_or_else(|| bad(format!("bad t={value:?}")))?;
                    let n = |s: &str| {
                        s.trim()
                            .parse::<u64>()
                            .map_err(|_| bad(format!("bad t={value:?}")))
                    };
                    timing.push((n(a)?, n(b)?));
                }
                ('a', None) => attributes.push(parse_attr(value)),
                ('m', _) => media.push(parse_media_line(value)?),
                ('c', Some(m)) => m.connection = Some(parse_connection(value)?),
                ('a', Some(m)) => m.attributes.push(parse_attr(value)),
                (k, Some(m)) => m.other.push((k, value.to_owned())),
                (k, None) => other.push((k, value.to_owned())),
            }
        }
        Ok(SessionDescription {
            version: version.ok_or_else(|| bad("missing v="))?,
            origin: origin.ok_or_else(|| bad("missing o="))?,
            session_name: session_name.unwrap_or_else(|| "-".into()),
            connection,
            timing: if timing.is_empty() {
                vec![(0, 0)]
            } else {
                timing
            },
            attributes,
            media,
            other,
        })
    }

    /// The session-level direction attribute, if any.
    pub fn direction(&self) -> Option<Direction> {
        self.attributes
            .iter()
            .rev()
            .find_map(|a| Direction::from_attr(&a.name.to_ascii_lowercase()))
    }

    /// The direction in force for media section `i`: its own, else the session's, else
    /// `sendrecv` (RFC 4566 §6).
    pub fn media_direction(&self, i: usize) -> Direction {
        self.media
            .get(i)
            .and_then(Media::direction)
            .or_else(|| self.direction())
            .unwrap_or(Direction::SendRecv)
    }

    /// The connection in force for media section `i` (media-level, else session-level).
    pub fn media_connection(&self, i: usize) -> Option<&Connection> {
        self.media
            .get(i)
            .and_then(|m| m.connection.as_ref())
            .or(self.connection.as_ref())
    }

    /// Write the description (CRLF line ends).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

/// RFC 4566 §5 order groups for "other" lines: before `c=`, bandwidth, after `t=`.
fn group(kind: char) -> u8 {
    match kind {
        'i' | 'u' | 'e' | 'p' => 0,
        'b' => 1,
        _ => 2,
    }
}

impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.origin;
        write!(f, "v={}\r\n", self.version)?;
        write!(
            f,
            "o={} {} {} {} {} {}\r\n",
            o.username, o.session_id, o.session_version, o.net_type, o.addr_type, o.address
        )?;
        write!(f, "s={}\r\n", self.session_name)?;
        let others = |f: &mut fmt::Formatter<'_>, list: &[(char, String)], g: u8| -> fmt::Result {
            for (k, v) in list.iter().filter(|(k, _)| group(*k) == g) {
                write!(f, "{k}={v}\r\n")?;
            }
            Ok(())
        };
        others(f, &self.other, 0)?;
        if let Some(c) = &self.connection {
            write!(f, "c={} {} {}\r\n", c.net_type, c.addr_type, c.address)?;
        }
        others(f, &self.other, 1)?;
        for (a, b) in &self.timing {
            write!(f, "t={a} {b}\r\n")?;
        }
        others(f, &self.other, 2)?;
        for a in &self.attributes {
            write_attr(f, a)?;
        }
        for m in &self.media {
            write!(f, "m={} {}", m.media, m.port)?;
            if let Some(n) = m.port_count {
                write!(f, "/{n}")?;
            }
            write!(f, " {}", m.proto)?;
            for fmt_ in &m.formats {
                write!(f, " {fmt_}")?;
            }
            f.write_str("\r\n")?;
            others(f, &m.other, 0)?;
            if let Some(c) = &m.connection {
                write!(f, "c={} {} {}\r\n", c.net_type, c.addr_type, c.address)?;
            }
            others(f, &m.other, 1)?;
            others(f, &m.other, 2)?;
            for a in &m.attributes {
                write_attr(f, a)?;
            }
        }
        Ok(())
    }
}

fn write_attr(f: &mut fmt::Formatter<'_>, a: &Attribute) -> fmt::Result {
    match &a.value {
        Some(v) => write!(f, "a={}:{v}\r\n", a.name),
        None => write!(f, "a={}\r\n", a.name),
    }
}

fn parse_attr(value: &str) -> Attribute {
    match value.split_once(':') {
        Some((n, v)) => Attribute::new(n, Some(v)),
        None => Attribute::new(value, None),
    }
}

fn parse_origin(value: &str) -> Result<Origin> {
    let p: Vec<&str> = value.split_whitespace().collect();
    if p.len() != 6 {
        return Err(bad(format!("o= needs 6 fields: {value:?}")));
    }
    let n = |s: &str| {
        s.parse::<u64>()
            .map_err(|_| bad(format!("bad number in o=: {s:?}")))
    };
    Ok(Origin {
        username: p[0].into(),
        session_id: n(p[1])?,
        session_version: n(p[2])?,
        net_type: p[3].into(),
        addr_type: p[4].into(),
        address: p[5].into(),
    })
}

fn parse_connection(value: &str) -> Result<Connection> {
    let p: Vec<&str> = value.split_whitespace().collect();
    if p.len() != 3 {
        return Err(bad(format!("c= needs 3 fields: {value:?}")));
    }
    Ok(Connection {
        net_type: p[0].into(),
        addr_type: p[1].into(),
        address: p[2].into(),
    })
}

fn parse_media_line(value: &str) -> Result<Media> {
    let p: Vec<&str> = value.split_whitespace().collect();
    if p.len() < 3 {
        return Err(bad(format!("m= needs media, port and proto: {value:?}")));
    }
    let (port, count) = match p[1].split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (p[1], None),
    };
    let port = port
        .parse()
        .map_err(|_| bad(format!("bad port in m=: {value:?}")))?;
    let port_count = count
        .map(|c| {
            c.parse()
                .map_err(|_| bad(format!("bad port count in m=: {value:?}")))
        })
        .transpose()?;
    Ok(Media {
        media: p[0].into(),
        port,
        port_count,
        proto: p[2].into(),
        formats: p[3..].iter().map(|s| (*s).to_owned()).collect(),
        connection: None,
        attributes: Vec::new(),
        other: Vec::new(),
    })
}

impl std::str::FromStr for SessionDescription {
    type Err = Error;
    fn from_str(s: &str) -> Result<SessionDescription> {
        SessionDescription::parse(s.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\n\
o=- 1234 5678 IN IP4 192.0.2.10\r\n\
s=Asterisk\r\n\
i=info line\r\n\
c=IN IP4 192.0.2.10\r\n\
b=AS:64\r\n\
t=0 0\r\n\
a=sendrecv\r\n\
m=audio 10000 RTP/SAVP 0 8 9 101\r\n\
b=TIAS:64000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:9 G722/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=maxptime:150\r\n\
a=rtcp:10001 IN IP4 192.0.2.10\r\n\
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\n\
a=x-unknown\r\n\
a=recvonly\r\n\
m=image 0 udptl t38\r\n\
a=T38FaxVersion:0\r\n\
a=T38FaxRateManagement:transferredTCF\r\n";

    // RFC 4566 §5 lines and §6 attributes; RFC 3605 rtcp; RFC 4568 crypto as text.
    #[test]
    fn parse_typed() {
        let s = SessionDescription::parse(OFFER.as_bytes()).unwrap();
        assert_eq!(
            (s.origin.session_id, s.origin.session_version),
            (1234, 5678)
        );
        assert_eq!(
            s.connection.as_ref().unwrap().ip(),
            Some("192.0.2.10".parse().unwrap())
        );
        let a = &s.media[0];
        assert_eq!(a.proto, "RTP/SAVP");
        assert_eq!(a.payload_types(), [0, 8, 9, 101]);
        let maps = a.rtpmaps().unwrap();
        assert_eq!(maps.len(), 4);
        assert_eq!(a.rtpmap(101).unwrap().unwrap().encoding, "telephone-event");
        assert_eq!(
            a.fmtps().unwrap()[0],
            Fmtp {
                format: "101".into(),
                params: "0-16".into()
            }
        );
        assert_eq!(a.ptime().unwrap(), Some(20));
        assert_eq!(a.maxptime().unwrap(), Some(150));
        assert_eq!(a.rtcp().unwrap().unwrap().port, 10001);
        assert_eq!(a.crypto().len(), 1);
        assert_eq!(a.direction(), Some(Direction::RecvOnly));
        assert_eq!(s.direction(), Some(Direction::SendRecv));
        assert_eq!(s.media_direction(0), Direction::RecvOnly);
        assert_eq!(s.media_direction(1), Direction::SendRecv);
        assert_eq!(s.media[1].attr("T38FaxVersion"), Some("0"));
        assert!(s.media[1].is_disabled());
        assert_eq!(Direction::SendOnly.answer(), Direction::RecvOnly);
    }

    // Round trip keeps unknown lines and order.
    #[test]
    fn round_trip() {
        let s = SessionDescription::parse(OFFER.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(s.to_bytes()).unwrap(), OFFER);
        let again = SessionDescription::parse(&s.to_bytes()).unwrap();
        assert_eq!(again, s);
    }

    // Building an answer.
    #[test]
    fn build() {
        let mut s = SessionDescription::new(Origin {
            username: "tipring".into(),
            session_id: 1,
            session_version: 1,
            net_type: "IN".into(),
            addr_type: "IP6".into(),
            address: "2001:db8::5".into(),
        });
        s.connection = Some(Connection::new("2001:db8::5".parse().unwrap()));
        let mut m = Media::audio(4000, "RTP/AVP", &[0, 101]);
        m.push_attr("rtpmap", Some("0 PCMU/8000"));
        m.push_attr("rtpmap", Some("101 telephone-event/8000"));
        m.push_attr("ptime", Some("20"));
        m.set_direction(Direction::SendOnly);
        m.set_direction(Direction::SendRecv);
        s.media.push(m);
        let text = s.to_string();
        assert!(text.contains("c=IN IP6 2001:db8::5\r\n"));
        assert!(text.ends_with("a=ptime:20\r\na=sendrecv\r\n"));
        let back: SessionDescription = text.parse().unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn errors() {
        assert!(SessionDescription::parse(b"o=- 1 1 IN IP4 1.2.3.4\r\n").is_err());
        assert!(SessionDescription::parse(b"v=0\r\n").is_err());
        assert!(SessionDescription::parse(b"v=0\r\no=- x 1 IN IP4 a\r\n").is_err());
        assert!(SessionDescription::parse(
            b"v=0\r\no=- 1 1 IN IP4 a\r\nm =video 3227 RTP/AVP 31\r\n"
        )
        .is_err());
        assert!(
            SessionDescription::parse(b"v=0\r\no=- 1 1 IN IP4 a\r\nm=audio x RTP/AVP 0\r\n")
                .is_err()
        );
        let s = SessionDescription::parse(
            b"v=0\r\no=- 1 1 IN IP4 a\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n",
        )
        .unwrap();
        assert!(s.media[0].rtpmaps().is_err());
    }
}

//! The Via header (RFC 3261 §20.42, §18.2.1; RFC 3581 rport).

use std::fmt;

use crate::error::{Error, Result};
use crate::params::{Param, Params};
use crate::text::{
    clip, is_lws_byte, is_token_byte, parse_header_params, trim_lws, trim_lws_start,
};
use crate::typed::TypedHeader;
use crate::uri::{parse_hostport, Host};

/// The transport of a Via (`UDP`, `TCP`, ...), compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
    /// SCTP.
    Sctp,
    /// WebSocket (RFC 7118).
    Ws,
    /// Secure WebSocket (RFC 7118).
    Wss,
    /// Anything else, upper-cased.
    Other(String),
}

impl Transport {
    /// Parse a transport token (case-insensitive).
    pub fn parse(s: &str) -> Result<Transport> {
        if s.is_empty() || !s.bytes().all(is_token_byte) {
            return Err(Error::syntax("Via", format!("bad transport {:?}", clip(s))));
        }
        let u = s.to_ascii_uppercase();
        Ok(match u.as_str() {
            "UDP" => Transport::Udp,
            "TCP" => Transport::Tcp,
            "TLS" => Transport::Tls,
            "SCTP" => Transport::Sctp,
            "WS" => Transport::Ws,
            "WSS" => Transport::Wss,
            _ => Transport::Other(u),
        })
    }

    /// The token as written in a Via.
    pub fn as_str(&self) -> &str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Sctp => "SCTP",
            Transport::Ws => "WS",
            Transport::Wss => "WSS",
            Transport::Other(s) => s,
        }
    }

    /// The default port (RFC 3261 §19.1.2: 5060, or 5061 over TLS; RFC 7118: 80/443).
    pub fn default_port(&self) -> u16 {
        match self {
            Transport::Tls => 5061,
            Transport::Ws => 80,
            Transport::Wss => 443,
            _ => 5060,
        }
    }

    /// True for the stream transports that frame by Content-Length.
    pub fn is_reliable(&self) -> bool {
        !matches!(self, Transport::Udp)
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The RFC 3261 magic cookie that starts every RFC 3261 branch (§8.1.1.7).
pub const BRANCH_MAGIC_COOKIE: &str = "z9hG4bK";

/// One Via value: `SIP/2.0/UDP host:port;branch=...;received=...;rport=...`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Via {
    /// Protocol name and version, `SIP/2.0` (white space around `/` removed).
    pub protocol: String,
    /// The transport.
    pub transport: Transport,
    /// sent-by host.
    pub host: Host,
    /// sent-by port.
    pub port: Option<u16>,
    /// Parameters in order.
    pub params: Params,
}

impl Via {
    /// `SIP/2.0/<transport> host[:port];branch=<branch>`.
    pub fn new(transport: Transport, host: Host, port: Option<u16>, branch: &str) -> Via {
        let mut params = Params::new();
        params.push(Param::new("branch", Some(branch)));
        Via {
            protocol: "SIP/2.0".to_owned(),
            transport,
            host,
            port,
            params,
        }
    }

    /// The `branch` parameter.
    pub fn branch(&self) -> Option<&str> {
        self.params.get("branch")
    }

    /// True when the branch starts with the RFC 3261 magic cookie.
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch()
            .is_some_and(|b| b.starts_with(BRANCH_MAGIC_COOKIE))
    }

    /// The `received` parameter (RFC 3261 §18.2.1).
    pub fn received(&self) -> Option<&str> {
        self.params.get("received")
    }

    /// True when `rport` is present, with or without a value (RFC 3581).
    pub fn has_rport(&self) -> bool {
        self.params.has("rport")
    }

    /// The `rport` value, when present and a valid port.
    pub fn rport(&self) -> Option<u16> {
        self.params.get("rport").and_then(|v| v.parse().ok())
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&str> {
        self.params.get("maddr")
    }

    /// The `ttl` parameter (0..=255).
    pub fn ttl(&self) -> Option<u8> {
        self.params.get("ttl").and_then(|v| v.parse().ok())
    }

    /// Set `received` (a UAS/proxy receiving from another address, RFC 3261 §18.2.1).
    pub fn set_received(&mut self, addr: &str) {
        self.params.set("received", Some(addr));
    }

    /// Set the `rport` value (RFC 3581 §4).
    pub fn set_rport(&mut self, port: u16) {
        self.params.set("rport", Some(&port.to_string()));
    }

    /// The port to use: the explicit one or the transport's default.
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or_else(|| self.transport.default_port())
    }
}

/// Read `token` then LWS then `/` then LWS.
fn take_token(s: &str) -> (&str, &str) {
    let n = s.bytes().take_while(|&b| is_token_byte(b)).count();
    (&s[..n], trim_lws_start(&s[n..]))
}

impl TypedHeader for Via {
    const NAME: &'static str = "Via";

    fn parse(value: &str) -> Result<Via> {
        let bad = |d: &str| Error::syntax("Via", format!("{d} in {:?}", clip(value)));
        let s = trim_lws(value);
        let (name, rest) = take_token(s);
        let rest = trim_lws_start(rest.strip_prefix('/').ok_or_else(|| bad("expected '/'"))?);
        let (version, rest) = take_token(rest);
        let rest = trim_lws_start(rest.strip_prefix('/').ok_or_else(|| bad("expected '/'"))?);
        let (transport, rest) = take_token(rest);
        if name.is_empty() || version.is_empty() {
            return Err(bad("bad sent-protocol"));
        }
        let transport = Transport::parse(transport)?;
        // sent-by = host [ COLON port ], LWS allowed around the colon.
        let host_len = if rest.starts_with('[') {
            rest.find(']')
                .map(|i| i + 1)
                .ok_or_else(|| bad("unterminated IPv6 reference"))?
        } else {
            rest.bytes()
                .take_while(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
                .count()
        };
        if host_len == 0 {
            return Err(bad("missing sent-by"));
        }
        let host_text = &rest[..host_len];
        let mut rest = trim_lws_start(&rest[host_len..]);
        let mut port_text = None;
        if let Some(r) = rest.strip_prefix(':') {
            let r = trim_lws_start(r);
            let n = r.bytes().take_while(u8::is_ascii_digit).count();
            port_text = Some(&r[..n]);
            rest = &r[n..];
        }
        let hostport = match port_text {
            Some(p) => format!("{host_text}:{p}"),
            None => host_text.to_owned(),
        };
        let (host, port) = parse_hostport(&hostport)?;
        if !rest.is_empty()
            && !rest.starts_with(|c: char| c == ';' || (c.is_ascii() && is_lws_byte(c as u8)))
        {
            return Err(bad("junk after sent-by"));
        }
        let params = parse_header_params(rest)?;
        Ok(Via {
            protocol: format!("{name}/{version}"),
            transport,
            host,
            port,
            params,
        })
    }
}

impl Via {
    /// Parse one Via value (same as [`TypedHeader::parse`]).
    pub fn parse(value: &str) -> Result<Via> {
        <Via as TypedHeader>::parse(value)
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} {}", self.protocol, self.transport, self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write!(f, "{}", self.params)
    }
}

impl std::str::FromStr for Via {
    type Err = Error;
    fn from_str(s: &str) -> Result<Via> {
        Via::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 4475 §3.1.1.1 (wsinv): LWS around '/', ':' and ';'.
    #[test]
    fn tortuous_whitespace() {
        let v = Via::parse("SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw").unwrap();
        assert_eq!(v.protocol, "SIP/2.0");
        assert_eq!(v.transport, Transport::Udp);
        assert_eq!(v.branch(), Some("390skdjuw"));
        assert!(!v.has_rfc3261_branch());
        let v =
            Via::parse("SIP  / 2.0  / TCP     spindle.example.com   ;  branch  =   z9hG4bK9ikj8")
                .unwrap();
        assert_eq!(v.host, Host::Domain("spindle.example.com".into()));
        assert_eq!(v.branch(), Some("z9hG4bK9ikj8"));
        let v = Via::parse("SIP/2.0/UDP host : 5070 ;rport").unwrap();
        assert_eq!(v.port, Some(5070));
    }

    // RFC 3581 §4 rport with and without value; RFC 5118 §4.5 IPv6 sent-by and received.
    #[test]
    fn rport_received_ipv6() {
        let v = Via::parse(
            "SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bKabc;rport;received=2001:db8::9",
        )
        .unwrap();
        assert_eq!(v.host, Host::Ipv6("2001:db8::9".parse().unwrap()));
        assert!(v.has_rport());
        assert_eq!(v.rport(), None);
        assert_eq!(v.received(), Some("2001:db8::9"));
        let mut v = v;
        v.set_rport(40000);
        assert_eq!(v.rport(), Some(40000));
        assert_eq!(
            v.to_string(),
            "SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bKabc;rport=40000;received=2001:db8::9"
        );
        let v = Via::parse("SIP/2.0/UDP 224.2.0.1;maddr=224.2.0.1;ttl=16;branch=z9hG4bKx").unwrap();
        assert_eq!(v.ttl(), Some(16));
        assert_eq!(v.maddr(), Some("224.2.0.1"));
    }

    // RFC 4475 §3.1.1.10: unknown transports are kept; §3.1.2.1: empty params refused.
    #[test]
    fn transports_and_malformed() {
        assert_eq!(
            Via::parse("SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en")
                .unwrap()
                .transport,
            Transport::Other("UNKNOWN".into())
        );
        assert_eq!(
            Via::parse("SIP/2.0/sctp t2.example.com").unwrap().transport,
            Transport::Sctp
        );
        assert!(Via::parse("SIP/2.0/UDP 192.0.2.15;;").is_err());
        assert!(Via::parse("").is_err());
        assert!(Via::parse("SIP/2.0/UDP").is_err());
        assert!(Via::parse("SIP/2.0 host").is_err());
        assert!(Via::parse("SIP/2.0/UDP host:99999").is_err());
        let v = Via::new(
            Transport::Tcp,
            Host::Domain("a.example".into()),
            Some(5062),
            "z9hG4bK1",
        );
        assert_eq!(v.to_string(), "SIP/2.0/TCP a.example:5062;branch=z9hG4bK1");
        assert_eq!(Via::parse(&v.to_string()).unwrap(), v);
    }
}

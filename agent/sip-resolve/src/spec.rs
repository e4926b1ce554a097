//! What an integrator writes for a SIP server: `host`, `host:port`, `1.2.3.4`,
//! `1.2.3.4:5060`, `[::1]` or `[::1]:5070` (the host and port of a SIP URI, RFC 3261
//! §19.1.1 / §25.1 `hostport`).

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

use crate::dns::Name;
use crate::error::{Error, Result};

/// The host part of a [`ServerSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name, resolved through DNS (RFC 3263 §4.2).
    Domain(Name),
    /// An IP address literal: no DNS at all (RFC 3263 §4.2).
    Ip(IpAddr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(n) => write!(f, "{n}"),
            Host::Ip(IpAddr::V6(a)) => write!(f, "[{a}]"),
            Host::Ip(IpAddr::V4(a)) => write!(f, "{a}"),
        }
    }
}

/// A SIP server as configured: a host and an optional port.
///
/// ```
/// use tipring_sip_resolve::{Host, ServerSpec};
///
/// let s: ServerSpec = "pbx.example.com".parse().unwrap();
/// assert!(matches!(s.host, Host::Domain(_)) && s.port.is_none());
/// let s: ServerSpec = "[2001:db8::1]:5070".parse().unwrap();
/// assert_eq!(s.port, Some(5070));
/// assert_eq!(s.to_string(), "[2001:db8::1]:5070");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerSpec {
    /// Where.
    pub host: Host,
    /// The explicit port, if any; with one, RFC 3263 §4.2 skips SRV.
    pub port: Option<u16>,
}

impl ServerSpec {
    /// A server given by domain name, without a port (SRV will be used).
    pub fn domain(name: Name) -> Self {
        ServerSpec {
            host: Host::Domain(name),
            port: None,
        }
    }
}

impl fmt::Display for ServerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
}

fn invalid(input: &str, reason: &'static str) -> Error {
    Error::InvalidSpec {
        input: input.to_owned(),
        reason,
    }
}

fn parse_port(input: &str, text: &str) -> Result<u16> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(input, "the port is not a number"));
    }
    match text.parse::<u16>() {
        Ok(0) | Err(_) => Err(invalid(input, "the port is not in 1-65535")),
        Ok(p) => Ok(p),
    }
}

impl FromStr for ServerSpec {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self> {
        let s = input.trim();
        if s.is_empty() {
            return Err(invalid(input, "empty"));
        }
        // `[v6]` or `[v6]:port` (RFC 3261 §25.1 IPv6reference).
        if let Some(rest) = s.strip_prefix('[') {
            let (addr, after) = rest
                .split_once(']')
                .ok_or_else(|| invalid(input, "no closing `]`"))?;
            let ip: Ipv6Addr = addr
                .parse()
                .map_err(|_| invalid(input, "not an IPv6 address inside `[]`"))?;
            let port = match after {
                "" => None,
                p => Some(parse_port(
                    input,
                    p.strip_prefix(':')
                        .ok_or_else(|| invalid(input, "text after `]` is not `:port`"))?,
                )?),
            };
            return Ok(ServerSpec {
                host: Host::Ip(IpAddr::V6(ip)),
                port,
            });
        }
        // A bare address: IPv4, or IPv6 without brackets (then it cannot carry a port).
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(ServerSpec {
                host: Host::Ip(ip),
                port: None,
            });
        }
        let (host, port) = match s.split_once(':') {
            Some((h, p)) if !p.contains(':') => (h, Some(parse_port(input, p)?)),
            Some(_) => return Err(invalid(input, "an IPv6 address with a port needs `[]`")),
            None => (s, None),
        };
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(ServerSpec {
                host: Host::Ip(ip),
                port,
            });
        }
        if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(invalid(input, "not a valid IPv4 address"));
        }
        let name = Name::from_ascii(host).map_err(|_| invalid(input, "not a valid host name"))?;
        if name.is_root() {
            return Err(invalid(input, "not a valid host name"));
        }
        Ok(ServerSpec {
            host: Host::Domain(name),
            port,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> ServerSpec {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    // RFC 3261 §25.1: hostport = host [ ":" port ]; host = hostname / IPv4address /
    // IPv6reference.
    #[test]
    fn parses_the_forms_of_hostport() {
        let d = |s: &str| Host::Domain(Name::from_ascii(s).unwrap());
        let ip = |s: &str| Host::Ip(s.parse().unwrap());
        let cases = [
            ("pbx.example.com", d("pbx.example.com"), None),
            ("PBX.Example.com.", d("pbx.example.com"), None),
            ("pbx.example.com:5080", d("pbx.example.com"), Some(5080)),
            ("localhost", d("localhost"), None),
            ("1.2.3.4", ip("1.2.3.4"), None),
            ("1.2.3.4:5060", ip("1.2.3.4"), Some(5060)),
            ("[::1]", ip("::1"), None),
            ("[::1]:5070", ip("::1"), Some(5070)),
            ("2001:db8::7", ip("2001:db8::7"), None),
            (" 10.0.0.1:5061 ", ip("10.0.0.1"), Some(5061)),
        ];
        for (text, host, port) in cases {
            assert_eq!(spec(text), ServerSpec { host, port }, "{text}");
        }
    }

    #[test]
    fn displays_as_hostport() {
        for s in [
            "pbx.example.com",
            "pbx.example.com:5080",
            "1.2.3.4:5060",
            "[::1]:5070",
        ] {
            assert_eq!(spec(s).to_string(), s);
        }
        assert_eq!(spec("::1").to_string(), "[::1]");
    }

    #[test]
    fn refuses_what_is_not_hostport() {
        for bad in [
            "",
            "   ",
            "pbx.example.com:",
            "pbx.example.com:0",
            "pbx.example.com:65536",
            "pbx.example.com:50x",
            "sip:pbx.example.com",
            "[::1",
            "[::1]5060",
            "[1.2.3.4]:5060",
            "2001:db8::1:5060:x",
            "1.2.3.400",
            "1.2.3",
            "pbx..example.com",
            "pbx example.com",
            ".",
            "fe80::1%eth0",
        ] {
            let r = bad.parse::<ServerSpec>();
            assert!(
                matches!(r, Err(Error::InvalidSpec { .. })),
                "{bad:?} gave {r:?}"
            );
        }
    }
}

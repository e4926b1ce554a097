//! Resolver configuration, explicit or read from `/etc/resolv.conf`.

use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::time::Duration;

use crate::dns::RecordType;
use crate::error::{Error, Result};

/// The DNS port (RFC 1035 §4.2.1).
pub const DNS_PORT: u16 = 53;

/// How many name servers of `resolv.conf` are used (glibc's `MAXNS`).
pub const MAX_NAMESERVERS: usize = 3;

/// Which address records to look up for each host, and in which order their addresses
/// go into the failover list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IpFamilies {
    /// A records only (the SIP socket is IPv4).
    V4Only,
    /// AAAA records only (the SIP socket is IPv6).
    V6Only,
    /// Both; for each host its IPv4 addresses first.
    #[default]
    V4ThenV6,
    /// Both; for each host its IPv6 addresses first.
    V6ThenV4,
}

impl IpFamilies {
    /// The record types to query, in list order.
    pub fn record_types(self) -> &'static [RecordType] {
        match self {
            IpFamilies::V4Only => &[RecordType::A],
            IpFamilies::V6Only => &[RecordType::AAAA],
            IpFamilies::V4ThenV6 => &[RecordType::A, RecordType::AAAA],
            IpFamilies::V6ThenV4 => &[RecordType::AAAA, RecordType::A],
        }
    }
}

/// Everything the resolver needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolverConfig {
    /// Recursive name servers, tried in order (UDP, usually port 53).
    pub nameservers: Vec<SocketAddr>,
    /// How long to wait for each answer before asking the next server
    /// (`options timeout:` in resolv.conf).
    pub timeout: Duration,
    /// How many rounds over all the servers (`options attempts:`); a question is sent at
    /// most `attempts × nameservers` times.
    pub attempts: u32,
    /// Address families to look up.
    pub families: IpFamilies,
    /// Most answers kept in the cache.
    pub cache_entries: usize,
    /// Longest time a positive answer is cached, whatever its TTL.
    pub max_ttl: Duration,
    /// Longest time a negative answer (NXDOMAIN, no records) is cached (RFC 2308 §5
    /// suggests one to three hours at most; a gateway wants to notice a fix sooner).
    pub max_negative_ttl: Duration,
    /// Seed for query IDs and SRV weighted selection (a deployment seeds from the OS).
    pub rng_seed: [u8; 32],
}

impl ResolverConfig {
    /// A configuration with these name servers and glibc's defaults otherwise (5 s
    /// timeout, 2 attempts), both address families, 256 cache entries, positive answers
    /// kept at most an hour and negative ones five minutes.
    pub fn new(nameservers: Vec<SocketAddr>, rng_seed: [u8; 32]) -> Self {
        ResolverConfig {
            nameservers,
            timeout: Duration::from_secs(5),
            attempts: 2,
            families: IpFamilies::default(),
            cache_entries: 256,
            max_ttl: Duration::from_secs(3600),
            max_negative_ttl: Duration::from_secs(300),
            rng_seed,
        }
    }

    /// Reads the text of a `resolv.conf(5)`: `nameserver` lines (at most three, as
    /// glibc) and `options timeout:N attempts:N` (capped at 30 and 5, as glibc).
    /// Other lines (`search`, `domain`, `sortlist`, other options) do not apply to SIP
    /// server location and are ignored.
    pub fn from_resolv_conf(text: &str, rng_seed: [u8; 32]) -> Result<Self> {
        let mut cfg = ResolverConfig::new(Vec::new(), rng_seed);
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            let mut words = line.split_whitespace();
            match words.next() {
                Some("nameserver") => {
                    let Some(addr) = words.next().and_then(parse_nameserver) else {
                        tracing::debug!(line, "resolv.conf: unusable nameserver line");
                        continue;
                    };
                    if cfg.nameservers.len() < MAX_NAMESERVERS {
                        cfg.nameservers.push(addr);
                    }
                }
                Some("options") => {
                    for opt in words {
                        if let Some(n) = opt.strip_prefix("timeout:").and_then(|n| n.parse().ok()) {
                            cfg.timeout = Duration::from_secs(u64::clamp(n, 1, 30));
                        } else if let Some(n) =
                            opt.strip_prefix("attempts:").and_then(|n| n.parse().ok())
                        {
                            cfg.attempts = u32::clamp(n, 1, 5);
                        }
                    }
                }
                _ => {}
            }
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks that the configuration can work.
    pub fn validate(&self) -> Result<()> {
        if self.nameservers.is_empty() {
            return Err(Error::InvalidConfig("no name servers"));
        }
        if self.attempts == 0 {
            return Err(Error::InvalidConfig("attempts must be at least 1"));
        }
        if self.timeout.is_zero() {
            return Err(Error::InvalidConfig("timeout must not be zero"));
        }
        Ok(())
    }
}

/// A `nameserver` address: IPv4, or IPv6 with an optional numeric `%scope` (an
/// interface name cannot be mapped without the C library, so such a line is skipped).
fn parse_nameserver(text: &str) -> Option<SocketAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, DNS_PORT));
    }
    let (addr, scope) = text.split_once('%')?;
    let ip: Ipv6Addr = addr.parse().ok()?;
    let scope: u32 = scope.parse().ok()?;
    Some(SocketAddr::V6(SocketAddrV6::new(ip, DNS_PORT, 0, scope)))
}

#[cfg(test)]
mod tests {
    use super::*;

    // resolv.conf(5): "nameserver Name server IP address ... Up to MAXNS (currently 3)
    // name servers may be listed"; "timeout:n" capped at 30, "attempts:n" at 5.
    #[test]
    fn reads_resolv_conf() {
        let text = "\
# Generated by NetworkManager
search corp.example.com
; another comment
nameserver 10.0.0.2
nameserver   2001:db8::53
nameserver fe80::1%2
nameserver 192.0.2.4
options ndots:2 timeout:1 attempts:9 rotate
";
        let cfg = ResolverConfig::from_resolv_conf(text, [0; 32]).unwrap();
        assert_eq!(
            cfg.nameservers,
            [
                "10.0.0.2:53".parse().unwrap(),
                "[2001:db8::53]:53".parse().unwrap(),
                SocketAddr::V6(SocketAddrV6::new("fe80::1".parse().unwrap(), 53, 0, 2)),
            ]
        );
        assert_eq!(cfg.timeout, Duration::from_secs(1));
        assert_eq!(cfg.attempts, 5);
    }

    #[test]
    fn skips_unusable_lines_and_keeps_defaults() {
        let text = "nameserver fe80::1%eth0\nnameserver bogus\nnameserver\nnameserver 127.0.0.53\n";
        let cfg = ResolverConfig::from_resolv_conf(text, [0; 32]).unwrap();
        assert_eq!(cfg.nameservers, ["127.0.0.53:53".parse().unwrap()]);
        assert_eq!(cfg.timeout, Duration::from_secs(5));
        assert_eq!(cfg.attempts, 2);
    }

    #[test]
    fn no_nameserver_is_an_error() {
        let r = ResolverConfig::from_resolv_conf("search example.com\n", [0; 32]);
        assert!(matches!(r, Err(Error::InvalidConfig(_))));
        let mut cfg = ResolverConfig::new(vec!["127.0.0.1:53".parse().unwrap()], [0; 32]);
        cfg.attempts = 0;
        assert!(cfg.validate().is_err());
    }

    #[test]
    fn families_order_the_lookups() {
        assert_eq!(
            IpFamilies::V6ThenV4.record_types(),
            [RecordType::AAAA, RecordType::A]
        );
        assert_eq!(IpFamilies::default().record_types()[0], RecordType::A);
    }
}

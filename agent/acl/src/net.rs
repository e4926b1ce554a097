//! Allow-lists of source networks.
//!
//! Prefix matching is hand-rolled (about forty lines): the `ipnet` crate does it well, but
//! one dependency for a mask and a compare is not worth it, and the parser here wants its
//! own errors (which entry, and what to write instead).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::{EntryProblem, Error, Result};

/// One network of a [`NetList`]: an address with the network bits of `prefix` kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Net {
    V4 { addr: u32, prefix: u8 },
    V6 { addr: u128, prefix: u8 },
}

impl Net {
    fn contains(&self, ip: IpAddr) -> bool {
        match (*self, ip) {
            (Net::V4 { addr, prefix }, IpAddr::V4(ip)) => u32::from(ip) & mask32(prefix) == addr,
            (Net::V6 { addr, prefix }, IpAddr::V6(ip)) => u128::from(ip) & mask128(prefix) == addr,
            _ => false,
        }
    }
}

impl fmt::Display for Net {
    /// `192.0.2.0/24`; a single host without its prefix (`192.0.2.7`, `::1`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Net::V4 { addr, prefix: 32 } => write!(f, "{}", Ipv4Addr::from(addr)),
            Net::V4 { addr, prefix } => write!(f, "{}/{prefix}", Ipv4Addr::from(addr)),
            Net::V6 { addr, prefix: 128 } => write!(f, "{}", Ipv6Addr::from(addr)),
            Net::V6 { addr, prefix } => write!(f, "{}/{prefix}", Ipv6Addr::from(addr)),
        }
    }
}

fn mask32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

/// The address a packet from `ip` counts as: an IPv4-mapped IPv6 address
/// (`::ffff:192.0.2.7`, what a dual-stack socket reports for an IPv4 peer) is its IPv4
/// address; every other address is itself.
pub fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// An allow-list of source networks.
///
/// **An empty list allows every source**: it is what "no restriction configured" means, so
/// a gateway whose configuration names no networks stays reachable. To shut a service, the
/// agent does not open it; an allow-list never denies everything.
///
/// Entries are IPv4 or IPv6 networks (`10.0.0.0/8`, `2001:db8::/32`) or single hosts
/// (`192.0.2.7`, `::1`). An IPv4-mapped IPv6 source (`::ffff:10.1.2.3`) matches the IPv4
/// entries, and an IPv4-mapped entry (`::ffff:10.0.0.0/104`) is read as the IPv4 network
/// (`10.0.0.0/8`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetList {
    nets: Vec<Net>,
}

impl NetList {
    /// The empty list, which allows every source.
    pub fn any() -> Self {
        Self::default()
    }

    /// Parses `entries` (surrounding white space is ignored).
    ///
    /// # Errors
    ///
    /// [`Error::Entry`] for the first entry that is empty, not an address, has a bad or too
    /// long prefix, or has host bits set (`10.0.0.1/8`: did you mean `10.0.0.0/8`?).
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<NetList> {
        let nets = entries
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                parse_entry(entry.as_ref()).map_err(|problem| Error::Entry {
                    index,
                    entry: entry.as_ref().to_owned(),
                    problem,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(NetList { nets })
    }

    /// Whether a packet from `ip` may come in: always for an empty list, else when some
    /// entry contains `ip` (IPv4-mapped IPv6 sources compared as IPv4).
    pub fn allows(&self, ip: IpAddr) -> bool {
        if self.nets.is_empty() {
            return true;
        }
        let ip = canonical(ip);
        self.nets.iter().any(|n| n.contains(ip))
    }

    /// Whether the list is empty (and so allows every source).
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// How many entries the list has.
    pub fn len(&self) -> usize {
        self.nets.len()
    }
}

impl fmt::Display for NetList {
    /// The entries in order, in canonical form, separated by `, ` (`10.0.0.0/8, 192.0.2.7,
    /// 2001:db8::/32`); `any` for the empty list.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nets.is_empty() {
            return f.write_str("any");
        }
        for (i, n) in self.nets.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

/// Checks allow-list entries without keeping them (for configuration validation).
///
/// # Errors
///
/// As [`NetList::parse`].
pub fn validate<S: AsRef<str>>(entries: &[S]) -> Result<()> {
    NetList::parse(entries).map(|_| ())
}

fn parse_entry(text: &str) -> std::result::Result<Net, EntryProblem> {
    let entry = text.trim();
    if entry.is_empty() {
        return Err(EntryProblem::Empty);
    }
    let (addr, prefix) = match entry.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (entry, None),
    };
    let addr: IpAddr = addr.parse().map_err(|_| EntryProblem::BadAddress {
        entry: entry.to_owned(),
    })?;
    let max: u8 = if addr.is_ipv4() { 32 } else { 128 };
    let prefix: u32 = match prefix {
        None => u32::from(max),
        // Digits only: `u32::from_str` would take a leading `+`.
        Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
            p.parse().map_err(|_| EntryProblem::BadPrefix {
                entry: entry.to_owned(),
            })?
        }
        Some(_) => {
            return Err(EntryProblem::BadPrefix {
                entry: entry.to_owned(),
            })
        }
    };
    if prefix > u32::from(max) {
        return Err(EntryProblem::PrefixTooLong {
            entry: entry.to_owned(),
            prefix,
            max,
        });
    }
    let prefix = prefix as u8; // <= 128
    let net = match addr {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            Net::V4 {
                addr: bits & mask32(prefix),
                prefix,
            }
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            Net::V6 {
                addr: bits & mask128(prefix),
                prefix,
            }
        }
    };
    let host_bits = match (net, addr) {
        (Net::V4 { addr: n, .. }, IpAddr::V4(a)) => n != u32::from(a),
        (Net::V6 { addr: n, .. }, IpAddr::V6(a)) => n != u128::from(a),
        _ => false,
    };
    if host_bits {
        return Err(EntryProblem::HostBitsSet {
            entry: entry.to_owned(),
            network: net.to_string(),
        });
    }
    Ok(unmap(net))
}

/// `::ffff:a.b.c.d/96+n` is the IPv4 network `a.b.c.d/n`.
fn unmap(net: Net) -> Net {
    const MAPPED: u128 = 0xffff_u128 << 32;
    match net {
        Net::V6 { addr, prefix } if prefix >= 96 && addr >> 32 == MAPPED >> 32 => Net::V4 {
            addr: addr as u32,
            prefix: prefix - 96,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn list(entries: &[&str]) -> NetList {
        NetList::parse(entries).unwrap()
    }

    fn problem(entries: &[&str]) -> (usize, String, String) {
        match NetList::parse(entries).unwrap_err() {
            Error::Entry {
                index,
                entry,
                problem,
            } => (index, entry, problem.to_string()),
        }
    }

    #[test]
    fn networks_and_hosts_of_both_families_match() {
        let l = list(&["10.0.0.0/8", "192.0.2.7", " 2001:db8::/32 ", "::1"]);
        assert_eq!(l.len(), 4);
        assert!(l.allows(ip("10.200.3.4")));
        assert!(l.allows(ip("192.0.2.7")));
        assert!(!l.allows(ip("192.0.2.8")));
        assert!(!l.allows(ip("11.0.0.1")));
        assert!(l.allows(ip("2001:db8:ffff::1")));
        assert!(!l.allows(ip("2001:db9::1")));
        assert!(l.allows(ip("::1")));
        assert!(!l.allows(ip("::2")));
        assert_eq!(l.to_string(), "10.0.0.0/8, 192.0.2.7, 2001:db8::/32, ::1");
    }

    #[test]
    fn an_empty_list_allows_every_source() {
        let l = list(&[]);
        assert!(l.is_empty());
        assert!(l.allows(ip("203.0.113.9")));
        assert!(l.allows(ip("2001:db8::9")));
        assert_eq!(l.to_string(), "any");
        assert_eq!(NetList::any(), l);
    }

    #[test]
    fn v4_mapped_sources_match_v4_entries() {
        let l = list(&["10.0.0.0/8"]);
        assert!(l.allows(ip("::ffff:10.1.2.3")));
        assert!(!l.allows(ip("::ffff:11.1.2.3")));
        // The IPv4-compatible form (::a.b.c.d, deprecated) is not an IPv4 source.
        assert!(!l.allows(ip("::10.1.2.3")));
        // A mapped entry is the IPv4 network.
        let m = list(&["::ffff:192.0.2.0/120"]);
        assert_eq!(m.to_string(), "192.0.2.0/24");
        assert!(m.allows(ip("192.0.2.99")));
        assert!(m.allows(ip("::ffff:192.0.2.99")));
    }

    #[test]
    fn zero_and_full_prefixes() {
        let all4 = list(&["0.0.0.0/0"]);
        assert!(all4.allows(ip("203.0.113.1")));
        assert!(all4.allows(ip("::ffff:203.0.113.1")));
        assert!(
            !all4.allows(ip("2001:db8::1")),
            "/0 of IPv4 is every IPv4 source only"
        );
        let all6 = list(&["::/0"]);
        assert!(all6.allows(ip("2001:db8::1")));
        assert!(!all6.allows(ip("203.0.113.1")));
        let host4 = list(&["192.0.2.7/32"]);
        assert!(host4.allows(ip("192.0.2.7")) && !host4.allows(ip("192.0.2.6")));
        assert_eq!(host4.to_string(), "192.0.2.7");
        let host6 = list(&["2001:db8::7/128"]);
        assert!(host6.allows(ip("2001:db8::7")) && !host6.allows(ip("2001:db8::6")));
        assert_eq!(list(&["2001:db8::/127"]).to_string(), "2001:db8::/127");
    }

    #[test]
    fn host_bits_are_refused_with_the_network_to_write() {
        let (index, entry, msg) = problem(&["192.0.2.7", "10.0.0.1/8"]);
        assert_eq!((index, entry.as_str()), (1, "10.0.0.1/8"));
        assert_eq!(
            msg,
            "10.0.0.1/8 has host bits set; did you mean 10.0.0.0/8?"
        );
        let (_, _, msg) = problem(&["2001:db8::1/32"]);
        assert_eq!(
            msg,
            "2001:db8::1/32 has host bits set; did you mean 2001:db8::/32?"
        );
        let full = NetList::parse(&["10.0.0.0/8", "10.0.0.1/8"]).unwrap_err();
        assert_eq!(
            full.to_string(),
            "allow-list entry 1: 10.0.0.1/8 has host bits set; did you mean 10.0.0.0/8?"
        );
    }

    #[test]
    fn every_bad_entry_names_its_index_and_text() {
        for (entry, says) in [
            ("10.0.0.300", "is not an IP address"),
            ("example.com", "is not an IP address"),
            ("[::1]", "is not an IP address"),
            ("fe80::1%eth0", "is not an IP address"),
            ("010.0.0.1", "is not an IP address"),
            ("10.0.0.0/", "bad prefix length"),
            ("10.0.0.0/+8", "bad prefix length"),
            ("10.0.0.0/8/8", "bad prefix length"),
            ("10.0.0.0/ 8", "bad prefix length"),
            ("10.0.0.0/99999999999", "bad prefix length"),
            (
                "10.0.0.0/33",
                "/33 is longer than the 32 bits of an IPv4 address",
            ),
            (
                "::/129",
                "/129 is longer than the 128 bits of an IPv6 address",
            ),
        ] {
            let (index, got, msg) = problem(&["10.0.0.0/8", entry]);
            assert_eq!(index, 1, "{entry}");
            assert_eq!(got, entry);
            assert!(msg.contains(says), "{entry}: {msg}");
            assert!(msg.contains(entry.trim()), "{entry}: {msg}");
        }
        let (index, _, msg) = problem(&["  "]);
        assert_eq!((index, msg.as_str()), (0, "the entry is empty"));
        assert!(validate(&["10.0.0.0/8".to_string()]).is_ok());
        assert!(validate(&["10.0.0.0/33".to_string()]).is_err());
    }

    #[test]
    fn masks_at_the_edges() {
        assert_eq!(mask32(0), 0);
        assert_eq!(mask32(32), u32::MAX);
        assert_eq!(mask32(8), 0xff00_0000);
        assert_eq!(mask128(0), 0);
        assert_eq!(mask128(128), u128::MAX);
    }
}

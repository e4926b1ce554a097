//! The uplink as the admin pages' status shows it, read from Linux: the interface the
//! default route leaves by (`/proc/net/route`, else `/proc/net/ipv6_route`), its state,
//! MAC, speed and byte counters (`/sys/class/net/IF/`), the name servers
//! (`/etc/resolv.conf`), and the source address the kernel picks toward the first SIP
//! server or the ACS (a connected UDP socket: nothing is sent).
//!
//! The parsers are plain functions over the files' text (tested here); [`read`] does
//! the file reads. On a system without `/proc` (not Linux) there is no uplink to show.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

use tipring_admin::Uplink;

/// The default route in `/proc/net/route` text: interface and gateway.
pub fn default_route_v4(route: &str) -> Option<(String, Ipv4Addr)> {
    route.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let (iface, dest, gw, flags, mask) =
            (f.first()?, f.get(1)?, f.get(2)?, f.get(3)?, f.get(7)?);
        let up = u16::from_str_radix(flags, 16).ok()? & 1 == 1;
        if *dest != "00000000" || *mask != "00000000" || !up {
            return None;
        }
        // The kernel writes the address in host byte order (little-endian here).
        let g = u32::from_str_radix(gw, 16).ok()?;
        Some((iface.to_string(), Ipv4Addr::from(g.swap_bytes())))
    })
}

/// The default route in `/proc/net/ipv6_route` text (`::/0`, not the unreachable
/// route of the loopback): interface and next hop.
pub fn default_route_v6(route: &str) -> Option<(String, Ipv6Addr)> {
    route.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < 10 || f[0] != "0".repeat(32) || f[1] != "00" || f[9] == "lo" {
            return None;
        }
        let hop = u128::from_str_radix(f[4], 16).ok()?;
        Some((f[9].to_string(), Ipv6Addr::from(hop)))
    })
}

/// The `nameserver` lines of resolv.conf.
pub fn name_servers(resolv: &str) -> Vec<String> {
    resolv
        .lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .take(4)
        .collect()
}

/// The local address the kernel would send from toward `to` (no datagram leaves).
pub fn source_toward(to: SocketAddr) -> Option<IpAddr> {
    let any: SocketAddr = if to.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let s = std::net::UdpSocket::bind(any).ok()?;
    s.connect(to).ok()?;
    s.local_addr().ok().map(|a| a.ip())
}

fn read_trim(p: &Path) -> String {
    std::fs::read_to_string(p)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// The uplink now (`toward`: the first SIP server or the ACS, for the source address).
pub fn read(toward: Option<SocketAddr>) -> Option<Uplink> {
    let v4 = std::fs::read_to_string("/proc/net/route")
        .ok()
        .and_then(|r| default_route_v4(&r))
        .map(|(i, g)| (i, IpAddr::V4(g)));
    let (interface, gateway) = v4.or_else(|| {
        std::fs::read_to_string("/proc/net/ipv6_route")
            .ok()
            .and_then(|r| default_route_v6(&r))
            .map(|(i, g)| (i, IpAddr::V6(g)))
    })?;
    if interface.contains('/') || interface.contains("..") {
        return None;
    }
    let sys = Path::new("/sys/class/net").join(&interface);
    let speed = read_trim(&sys.join("speed"));
    let counter = |name: &str| {
        read_trim(&sys.join("statistics").join(name))
            .parse()
            .unwrap_or(0)
    };
    let source = toward
        .or_else(|| match gateway {
            IpAddr::V4(g) if !g.is_unspecified() => Some(SocketAddr::new(gateway, 53)),
            IpAddr::V6(g) if !g.is_unspecified() => Some(SocketAddr::new(gateway, 53)),
            _ => None,
        })
        .and_then(source_toward);
    Some(Uplink {
        interface,
        state: read_trim(&sys.join("operstate")),
        mac: read_trim(&sys.join("address")),
        speed: match speed.parse::<i64>() {
            Ok(s) if s > 0 => format!("{s} Mbit/s"),
            _ => String::new(),
        },
        source: source.map(|s| s.to_string()).unwrap_or_default(),
        gateway: if gateway.is_unspecified() {
            "on link".into()
        } else {
            gateway.to_string()
        },
        dns: std::fs::read_to_string("/etc/resolv.conf")
            .map(|r| name_servers(&r))
            .unwrap_or_default(),
        rx_bytes: counter("rx_bytes"),
        tx_bytes: counter("tx_bytes"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_name_servers_are_read_from_the_kernels_text() {
        let route =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                     eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
                     eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
        assert_eq!(
            default_route_v4(route),
            Some(("eth0".into(), Ipv4Addr::new(192, 0, 2, 1)))
        );
        // A down route (flags without RTF_UP) is not the default.
        assert_eq!(default_route_v4(&route.replace("0003", "0002")), None);
        let v6 = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n\
                  00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth1\n";
        assert_eq!(
            default_route_v6(v6),
            Some(("eth1".into(), "fd00::1".parse().unwrap()))
        );
        assert_eq!(
            name_servers(
                "# x\nnameserver 10.0.0.53\nsearch example.net\nnameserver  2001:db8::53 \n"
            ),
            ["10.0.0.53", "2001:db8::53"]
        );
        assert_eq!(
            source_toward("127.0.0.1:5060".parse().unwrap()),
            Some("127.0.0.1".parse().unwrap())
        );
    }
}

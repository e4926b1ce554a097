//! What HOST-RESOURCES-MIB (RFC 2790) and the uplink's IF-MIB row read from the host:
//! Linux `/proc` files, sampled by the SNMP thread (never per request).

use std::time::Instant;

/// One sample of the host, taken every few seconds.
#[derive(Debug, Clone, Default)]
pub struct HostSample {
    /// Per-CPU load over the last minute, percent (hrProcessorLoad).
    pub cpu_load: Vec<u32>,
    /// Seconds since the host booted (hrSystemUptime).
    pub uptime_s: f64,
    /// RAM: total and used, KiB.
    pub mem_total_kib: u64,
    /// RAM in use (total − available), KiB.
    pub mem_used_kib: u64,
    /// Swap: total and used, KiB.
    pub swap_total_kib: u64,
    /// Swap in use, KiB.
    pub swap_used_kib: u64,
    /// The agent's own resident memory, KiB.
    pub agent_rss_kib: u64,
    /// The uplink interface and its counters.
    pub uplink: Option<NetDev>,
}

/// An interface's counters from `/proc/net/dev`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetDev {
    /// Its name (`eth0`).
    pub name: String,
    /// Received bytes.
    pub rx_bytes: u64,
    /// Received packets.
    pub rx_packets: u64,
    /// Receive errors.
    pub rx_errors: u64,
    /// Received packets dropped.
    pub rx_dropped: u64,
    /// Received multicast packets.
    pub rx_multicast: u64,
    /// Sent bytes.
    pub tx_bytes: u64,
    /// Sent packets.
    pub tx_packets: u64,
    /// Send errors.
    pub tx_errors: u64,
    /// Sent packets dropped.
    pub tx_dropped: u64,
    /// MTU and MAC address, from /sys/class/net.
    pub mtu: u32,
    /// MAC address.
    pub mac: Vec<u8>,
    /// Link up (operstate `up`, or `unknown` on virtual links that carry traffic).
    pub up: bool,
    /// Speed in Mbit/s when the driver says.
    pub speed_mbps: Option<u32>,
}

/// Per-CPU (busy, total) jiffies.
type CpuTimes = Vec<(u64, u64)>;

/// Samples the host; keeps the CPU counters of the last minute for the load average.
#[derive(Debug, Default)]
pub struct HostSampler {
    history: std::collections::VecDeque<(Instant, CpuTimes)>,
}

impl HostSampler {
    /// Take a sample now.
    pub fn sample(&mut self, now: Instant) -> HostSample {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let cpus = parse_cpu_times(&read("/proc/stat"));
        self.history.push_back((now, cpus.clone()));
        while self
            .history
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t).as_secs() > 60)
            && self.history.len() > 1
        {
            self.history.pop_front();
        }
        let cpu_load = match self.history.front() {
            Some((_, old)) if old.len() == cpus.len() => cpus
                .iter()
                .zip(old)
                .map(|((b1, t1), (b0, t0))| {
                    let (db, dt) = (b1.saturating_sub(*b0), t1.saturating_sub(*t0));
                    (db * 100).checked_div(dt).unwrap_or(0) as u32
                })
                .collect(),
            _ => vec![0; cpus.len()],
        };
        let mem = parse_meminfo(&read("/proc/meminfo"));
        let get = |k: &str| mem.iter().find(|(n, _)| n == k).map_or(0, |(_, v)| *v);
        let uptime_s = read("/proc/uptime")
            .split_whitespace()
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.0);
        let agent_rss_kib = parse_meminfo(&read("/proc/self/status"))
            .into_iter()
            .find(|(n, _)| n == "VmRSS")
            .map_or(0, |(_, v)| v);
        HostSample {
            cpu_load,
            uptime_s,
            mem_total_kib: get("MemTotal"),
            mem_used_kib: get("MemTotal").saturating_sub(get("MemAvailable")),
            swap_total_kib: get("SwapTotal"),
            swap_used_kib: get("SwapTotal").saturating_sub(get("SwapFree")),
            agent_rss_kib,
            uplink: uplink(&read("/proc/net/dev")),
        }
    }
}

/// `/proc/stat` `cpuN` lines → (busy, total) jiffies per CPU.
fn parse_cpu_times(stat: &str) -> CpuTimes {
    stat.lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .map(|l| {
            let v: Vec<u64> = l
                .split_whitespace()
                .skip(1)
                .filter_map(|x| x.parse().ok())
                .collect();
            let total: u64 = v.iter().take(8).sum();
            // idle + iowait are not busy.
            let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
            (total.saturating_sub(idle), total)
        })
        .collect()
}

/// `Key:   123 kB` lines.
fn parse_meminfo(text: &str) -> Vec<(String, u64)> {
    text.lines()
        .filter_map(|l| {
            let (k, rest) = l.split_once(':')?;
            let v = rest.split_whitespace().next()?.parse().ok()?;
            Some((k.trim().to_string(), v))
        })
        .collect()
}

/// The uplink: the first interface that is not loopback, with the most traffic (a
/// gateway's WAN port); loopback when there is nothing else.
fn uplink(net_dev: &str) -> Option<NetDev> {
    let mut devs: Vec<NetDev> = net_dev.lines().skip(2).filter_map(parse_net_dev).collect();
    devs.sort_by_key(|d| (d.name == "lo", std::cmp::Reverse(d.rx_bytes + d.tx_bytes)));
    let mut d = devs.into_iter().next()?;
    let sys = |f: &str| std::fs::read_to_string(format!("/sys/class/net/{}/{f}", d.name));
    d.mtu = sys("mtu")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    d.mac = sys("address")
        .ok()
        .map(|s| {
            s.trim()
                .split(':')
                .filter_map(|h| u8::from_str_radix(h, 16).ok())
                .collect()
        })
        .unwrap_or_default();
    d.up = sys("operstate")
        .map(|s| matches!(s.trim(), "up" | "unknown"))
        .unwrap_or(true);
    d.speed_mbps = sys("speed")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|v| u32::try_from(v).ok());
    Some(d)
}

/// One `/proc/net/dev` line: `  eth0: rx_bytes rx_packets errs drop fifo frame compressed
/// multicast tx_bytes tx_packets errs drop ...`.
fn parse_net_dev(line: &str) -> Option<NetDev> {
    let (name, rest) = line.split_once(':')?;
    let v: Vec<u64> = rest
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    if v.len() < 12 {
        return None;
    }
    Some(NetDev {
        name: name.trim().to_string(),
        rx_bytes: v[0],
        rx_packets: v[1],
        rx_errors: v[2],
        rx_dropped: v[3],
        rx_multicast: v[7],
        tx_bytes: v[8],
        tx_packets: v[9],
        tx_errors: v[10],
        tx_dropped: v[11],
        ..NetDev::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_parse() {
        let stat = "cpu  10 0 10 80 0 0 0 0 0 0\ncpu0 5 0 5 40 0 0 0 0 0 0\ncpu1 5 0 5 30 10 0 0 0 0 0\nintr 1";
        assert_eq!(parse_cpu_times(stat), vec![(10, 50), (10, 50)]);
        let mem = parse_meminfo("MemTotal:       16384 kB\nMemAvailable:    4096 kB\n");
        assert_eq!(mem[1], ("MemAvailable".to_string(), 4096));
        let dev = "Inter-|   Receive\n face |bytes\n    lo: 100 2 0 0 0 0 0 0 100 2 0 0 0 0 0 0\n  eth0: 5000 40 1 2 0 0 0 3 7000 50 4 5 0 0 0 0\n";
        let up = uplink(dev).unwrap();
        assert_eq!(up.name, "eth0");
        assert_eq!(
            (
                up.rx_bytes,
                up.rx_errors,
                up.rx_multicast,
                up.tx_packets,
                up.tx_dropped
            ),
            (5000, 1, 3, 50, 5)
        );
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // an epoch for the sampler
    fn load_is_measured_between_samples() {
        let mut s = HostSampler::default();
        let t = Instant::now();
        let first = s.sample(t);
        assert!(first.mem_total_kib > 0, "/proc/meminfo read");
        assert!(first.agent_rss_kib > 0, "/proc/self/status read");
        assert!(!first.cpu_load.is_empty());
        assert!(first.cpu_load.iter().all(|&l| l <= 100));
    }
}

//! A gate for the services other than SIP: an allow-list and a per-source rate limit.

use std::net::IpAddr;
use std::time::Instant;

use crate::limiter::RateLimiter;
use crate::net::NetList;
use crate::verdict::Reason;

/// What a [`Gate`] has done since it was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GateCounters {
    /// Packets or connections let in.
    pub accepted: u64,
    /// Refused: source not in the allow-list.
    pub not_allowed: u64,
    /// Refused: source over its rate.
    pub rate_limited: u64,
}

/// The access check of one non-SIP management service: an allow-list of source networks
/// and a per-source [`RateLimiter`].
///
/// The agent keeps one per service and asks it at the earliest point it knows the
/// source: the admin pages per accepted TCP connection (before the TLS handshake), SNMP
/// per datagram (before BER decoding), the TR-069 connection-request port per
/// connection. A refused connection is closed at once, a refused datagram dropped, with
/// no response. Suggested limits: admin pages 10 connections/s, burst 30 (a browser
/// opens several connections per page); SNMP 200 datagrams/s, burst 400 (a walk sends
/// as fast as the agent answers); connection requests 1/s, burst 5 (an ACS sends one
/// per action).
#[derive(Debug, Clone, Default)]
pub struct Gate {
    allow: NetList,
    limiter: RateLimiter,
    counters: GateCounters,
}

impl Gate {
    /// A gate letting in the sources of `allow` (an empty list: every source) within
    /// `limiter`'s rate.
    pub fn new(allow: NetList, limiter: RateLimiter) -> Self {
        Self {
            allow,
            limiter,
            counters: GateCounters::default(),
        }
    }

    /// Whether a packet or connection from `ip` at `now` may come in: `Err`
    /// [`Reason::NotAllowed`] outside the allow-list, `Err` [`Reason::Flood`] over the
    /// rate (a refused one takes no token).
    pub fn check(&mut self, ip: IpAddr, now: Instant) -> Result<(), Reason> {
        if !self.allow.allows(ip) {
            self.counters.not_allowed += 1;
            return Err(Reason::NotAllowed);
        }
        if !self.limiter.allow(ip, now) {
            self.counters.rate_limited += 1;
            return Err(Reason::Flood);
        }
        self.counters.accepted += 1;
        Ok(())
    }

    /// Replaces the allow-list (a new configuration), keeping counters and rate state.
    pub fn set_allow(&mut self, allow: NetList) {
        self.allow = allow;
    }

    /// Changes the rate limit ([`RateLimiter::set_limits`]), keeping counters.
    pub fn set_limits(&mut self, rate_per_s: u32, burst: u32, max_sources: usize) {
        self.limiter.set_limits(rate_per_s, burst, max_sources);
    }

    /// The allow-list in force.
    pub fn allow_list(&self) -> &NetList {
        &self.allow
    }

    /// The rate limiter.
    pub fn limiter(&self) -> &RateLimiter {
        &self.limiter
    }

    /// The counters.
    pub fn counters(&self) -> GateCounters {
        self.counters
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn t0() -> Instant {
        #[allow(clippy::disallowed_methods)] // the test's epoch; virtual time from here
        Instant::now()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn allow_list_then_rate_and_the_counters() {
        let t = t0();
        let allow = NetList::parse(&["192.0.2.0/24", "2001:db8::/32"]).unwrap();
        let mut g = Gate::new(allow, RateLimiter::new(1, 2, 64));
        assert_eq!(g.check(ip("203.0.113.5"), t), Err(Reason::NotAllowed));
        assert_eq!(g.check(ip("192.0.2.5"), t), Ok(()));
        assert_eq!(g.check(ip("::ffff:192.0.2.5"), t), Ok(()));
        assert_eq!(g.check(ip("192.0.2.5"), t), Err(Reason::Flood));
        assert_eq!(g.check(ip("192.0.2.5"), t + Duration::from_secs(1)), Ok(()));
        assert_eq!(g.check(ip("2001:db8::5"), t), Ok(()));
        assert_eq!(
            g.counters(),
            GateCounters {
                accepted: 4,
                not_allowed: 1,
                rate_limited: 1
            }
        );
        // Not-allowed sources cost no table entry.
        for i in 0..1000u32 {
            let _ = g.check(IpAddr::V4(i.into()), t);
        }
        assert_eq!(g.limiter().len(), 2);
    }

    #[test]
    fn the_default_gate_lets_everything_in_and_can_be_reconfigured() {
        let t = t0();
        let mut g = Gate::default();
        for _ in 0..1000 {
            assert_eq!(g.check(ip("198.51.100.1"), t), Ok(()));
        }
        g.set_allow(NetList::parse(&["10.0.0.0/8"]).unwrap());
        g.set_limits(1, 1, 8);
        assert_eq!(g.check(ip("198.51.100.1"), t), Err(Reason::NotAllowed));
        assert_eq!(g.check(ip("10.0.0.1"), t), Ok(()));
        assert_eq!(g.check(ip("10.0.0.1"), t), Err(Reason::Flood));
        assert_eq!(g.allow_list().to_string(), "10.0.0.0/8");
        assert_eq!(g.counters().accepted, 1001);
    }
}

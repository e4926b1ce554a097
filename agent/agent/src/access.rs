//! Management access control in the agent (`management.access`, decided by
//! `tipring-acl`): one [`Gates`] shared by the services' shells — the admin pages ask per
//! connection, the SNMP thread per datagram, the connection-request listener per
//! connection and per UDP datagram — and the SIP front door ([`SipDoor`]), which the run
//! loop asks per received message before the SIP stack sees it. Dropped traffic gets no
//! answer; everything is counted and shown on the admin pages' status.

use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tipring_acl::{Gate, NetList, SipScreen, SipScreenSettings, Verdict};

/// A service behind a [`Gates`] gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// The HTTPS admin pages.
    Admin,
    /// SNMP.
    Snmp,
    /// TR-069 connection requests.
    ConnectionRequest,
}

/// The gates of the non-SIP services (see the module docs).
#[derive(Debug, Default)]
pub struct Gates {
    admin: Mutex<Gate>,
    snmp: Mutex<Gate>,
    connreq: Mutex<Gate>,
}

fn list(entries: &[String]) -> NetList {
    // The configuration was validated (host bits, prefix lengths): an entry that still
    // does not parse leaves the service closed rather than open.
    NetList::parse(entries).unwrap_or_else(|e| {
        tracing::error!(error = %e, "access list unusable: the service takes no one");
        NetList::parse(&["255.255.255.255/32"]).unwrap_or_default()
    })
}

impl Gates {
    /// Gates set from `management.access`.
    pub fn new(cfg: &tipring_config::Access) -> Self {
        let g = Self::default();
        g.configure(cfg);
        g
    }

    fn gate(&self, s: Service) -> &Mutex<Gate> {
        match s {
            Service::Admin => &self.admin,
            Service::Snmp => &self.snmp,
            Service::ConnectionRequest => &self.connreq,
        }
    }

    /// New lists and limits (the counters stay).
    pub fn configure(&self, cfg: &tipring_config::Access) {
        let r = &cfg.rate_limits;
        for (s, entries, rate) in [
            (Service::Admin, &cfg.admin, r.admin),
            (Service::Snmp, &cfg.snmp, r.snmp),
            (
                Service::ConnectionRequest,
                &cfg.connection_request,
                r.connection_request,
            ),
        ] {
            if let Ok(mut g) = self.gate(s).lock() {
                g.set_allow(list(entries));
                g.set_limits(
                    rate,
                    rate.saturating_mul(2).max(5),
                    tipring_acl::DEFAULT_MAX_SOURCES,
                );
            }
        }
    }

    /// Whether `ip` may reach `service` now (the shell's clock).
    #[allow(clippy::disallowed_methods)]
    pub fn allow(&self, service: Service, ip: IpAddr) -> bool {
        let now = Instant::now();
        let Ok(mut g) = self.gate(service).lock() else {
            return false;
        };
        match g.check(tipring_acl::canonical(ip), now) {
            Ok(()) => true,
            Err(reason) => {
                tracing::debug!(%ip, ?service, %reason, "dropped by the access control");
                false
            }
        }
    }

    /// The counters for the pages.
    pub fn counters(&self, cfg: &tipring_config::Access) -> Vec<tipring_admin::AccessCounters> {
        [
            (Service::Admin, "admin", &cfg.admin),
            (Service::Snmp, "snmp", &cfg.snmp),
            (
                Service::ConnectionRequest,
                "connection_request",
                &cfg.connection_request,
            ),
        ]
        .into_iter()
        .map(|(s, name, allowed)| {
            let c = self
                .gate(s)
                .lock()
                .map(|g| g.counters())
                .unwrap_or_default();
            tipring_admin::AccessCounters {
                service: name.into(),
                allowed: allowed.clone(),
                accepted: c.accepted,
                dropped: vec![
                    ("not_allowed".into(), c.not_allowed),
                    ("rate".into(), c.rate_limited),
                ]
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .collect(),
            }
        })
        .collect()
    }
}

/// The SIP front door: the allow-list, the scanner filter, the per-source rate; the SIP
/// servers exempt.
#[derive(Debug)]
pub struct SipDoor {
    screen: SipScreen,
    allowed: Vec<String>,
}

impl SipDoor {
    /// The door for `management.access`, with the servers' addresses exempt.
    pub fn new(cfg: &tipring_config::Access, servers: Vec<IpAddr>) -> Self {
        let mut d = Self {
            screen: SipScreen::new(SipScreenSettings::default()),
            allowed: Vec::new(),
        };
        d.configure(cfg, servers);
        d
    }

    /// New settings (the counters and blocks stay).
    pub fn configure(&mut self, cfg: &tipring_config::Access, servers: Vec<IpAddr>) {
        let rate = cfg.rate_limits.sip;
        self.screen.set_settings(SipScreenSettings {
            allow: list(&cfg.sip),
            exempt: servers.into_iter().map(tipring_acl::canonical).collect(),
            scanner_filter: cfg.sip_scanner_filter,
            rate_per_s: rate,
            burst: rate.saturating_mul(2),
            block_for: Duration::from_secs(u64::from(cfg.block_s)),
            ..SipScreenSettings::default()
        });
        self.allowed = cfg.sip.clone();
    }

    /// Whether a message from `from` goes on to the SIP stack.
    pub fn admit(&mut self, from: SocketAddr, data: &[u8], now: Instant) -> bool {
        let from = SocketAddr::new(tipring_acl::canonical(from.ip()), from.port());
        match self.screen.screen(from, data, now) {
            Verdict::Accept => true,
            Verdict::Drop(reason) => {
                tracing::debug!(%from, %reason, "SIP dropped by the access control");
                false
            }
        }
    }

    /// The counters for the pages (and `/status`).
    pub fn counters(&self) -> tipring_admin::AccessCounters {
        let c = self.screen.counters();
        tipring_admin::AccessCounters {
            service: "sip".into(),
            allowed: self.allowed.clone(),
            accepted: c.accepted,
            dropped: vec![
                ("not_allowed".into(), c.not_allowed),
                ("scanner".into(), c.scanner),
                ("flood".into(), c.flood),
                ("blocked".into(), c.blocked),
            ]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect(),
        }
    }
}

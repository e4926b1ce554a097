//! What changed between two documents, so the agent restarts only what it must.

use crate::model::{GatewayConfig, Port};

/// The parts of the gateway a new document touches. Apply it as: restart the SIP stack when
/// `restart_sip`; rebuild the lines in `ports` (leaving the others, and their calls, alone);
/// re-register the ports in `reregister`; restart management services when `management`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigChange {
    /// `device` changed (name, country, time zone).
    pub device: bool,
    /// The `sip` section changed: servers, transport, TLS, SRTP, RTP ports, peers... The
    /// SIP stack restarts and every registering port registers again.
    pub restart_sip: bool,
    /// Indexes of the ports whose line must be rebuilt: a changed port, a port added or
    /// removed (an index past the shorter list), and every port when the country (tone plan)
    /// or the emergency numbers change. Sorted, no duplicates.
    pub ports: Vec<usize>,
    /// Indexes of the ports whose SIP identity changed (enabled, extension, display name,
    /// auth user, password) or that were added or removed: they register again even
    /// without `restart_sip`. Sorted, a subset of `ports`.
    pub reregister: Vec<usize>,
    /// The emergency numbers changed (every port's line is in `ports` then).
    pub emergency_numbers: bool,
    /// The `management` section changed (status page, log format, TR-069, SNMP).
    pub management: bool,
    /// The status page moved (`management.http_listen`).
    pub management_http: bool,
}

impl ConfigChange {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

fn identity(p: &Port) -> (bool, &str, Option<&str>, &str, Option<&str>) {
    (
        p.enabled,
        &p.extension,
        p.display_name.as_deref(),
        p.auth_user(),
        p.password.as_ref().map(|s| s.expose()),
    )
}

/// What changed from `old` to `new`.
pub fn diff(old: &GatewayConfig, new: &GatewayConfig) -> ConfigChange {
    let every_line =
        old.device.country != new.device.country || old.emergency_numbers != new.emergency_numbers;
    let n = old.ports.len().max(new.ports.len());
    let mut ports = Vec::new();
    let mut reregister = Vec::new();
    for i in 0..n {
        let (a, b) = (old.ports.get(i), new.ports.get(i));
        if every_line || a != b {
            ports.push(i);
        }
        let same_identity = matches!((a, b), (Some(a), Some(b)) if identity(a) == identity(b));
        if !same_identity {
            reregister.push(i);
        }
    }
    ConfigChange {
        device: old.device != new.device,
        restart_sip: old.sip != new.sip,
        ports,
        reregister,
        emergency_numbers: old.emergency_numbers != new.emergency_numbers,
        management: old.management != new.management,
        management_http: old.management.http_listen != new.management.http_listen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Codec, Secret};

    fn base() -> GatewayConfig {
        let mut c = GatewayConfig::example(4);
        for p in &mut c.ports {
            p.password = Some(Secret::new("pw-12345"));
        }
        c
    }

    #[test]
    fn same_document_changes_nothing() {
        assert!(diff(&base(), &base()).is_empty());
    }

    #[test]
    fn a_port_setting_touches_only_that_port() {
        let mut n = base();
        n.ports[2].codecs = vec![Codec::Pcma];
        let d = diff(&base(), &n);
        assert_eq!(d.ports, [2]);
        assert!(d.reregister.is_empty());
        assert!(!d.restart_sip && !d.management && !d.device);
    }

    #[test]
    fn a_password_change_reregisters_that_port() {
        let mut n = base();
        n.ports[1].password = Some(Secret::new("new-password"));
        let d = diff(&base(), &n);
        assert_eq!(d.ports, [1]);
        assert_eq!(d.reregister, [1]);
    }

    #[test]
    fn added_and_removed_ports() {
        let mut n = base();
        n.ports.truncate(2);
        let d = diff(&base(), &n);
        assert_eq!(d.ports, [2, 3]);
        assert_eq!(d.reregister, [2, 3]);
        let d = diff(&n, &base());
        assert_eq!(d.ports, [2, 3]);
    }

    #[test]
    fn country_and_emergency_numbers_touch_every_line() {
        let mut n = base();
        n.device.country = "de".into();
        let d = diff(&base(), &n);
        assert!(d.device);
        assert_eq!(d.ports, [0, 1, 2, 3]);
        assert!(d.reregister.is_empty());
        let mut n = base();
        n.emergency_numbers.push("112".into());
        let d = diff(&base(), &n);
        assert!(d.emergency_numbers && !d.device);
        assert_eq!(d.ports, [0, 1, 2, 3]);
        let mut n = base();
        n.device.name = "renamed".into();
        let d = diff(&base(), &n);
        assert!(d.device && d.ports.is_empty());
    }

    #[test]
    fn sip_and_management_sections() {
        let mut n = base();
        n.sip.servers.push("backup.example.net".into());
        let d = diff(&base(), &n);
        assert!(d.restart_sip && d.ports.is_empty());
        let mut n = base();
        n.management.http_listen = "127.0.0.1:8081".into();
        let d = diff(&base(), &n);
        assert!(d.management && !d.restart_sip && d.ports.is_empty());
    }
}

//! [`SyslogConfig`] and its validation.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName};

use crate::error::{Error, Result};
use crate::format::Facility;

/// The largest UDP payload over IPv4 (65535 − 8 − 20).
const UDP_MAX: usize = 65_507;
/// Every RFC 5426 receiver must accept 480-byte messages over IPv4 (§3.2).
const MESSAGE_MIN: usize = 480;

/// How messages travel to the collector.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// RFC 5426: one datagram per message (usually port 514).
    Udp,
    /// RFC 6587 §3.4.1: octet-counting (`LEN SP MSG`) over TCP (often port 514 or 601).
    Tcp,
    /// RFC 5425: octet-counting over TLS (port 6514). The server's certificate is
    /// verified against the CA certificates of `ca` and must carry `server_name`.
    Tls {
        /// A PEM file of one or more trusted CA certificates.
        ca: PathBuf,
        /// The name the server's certificate must carry (a DNS name or an IP address);
        /// empty for the host part of [`SyslogConfig::server`].
        server_name: String,
    },
}

/// What [`layer`](crate::layer) needs. [`SyslogConfig::new`] fills in the defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyslogConfig {
    /// The collector, `host:port` (`logs.example.net:6514`, `192.0.2.7:514`,
    /// `[2001:db8::7]:514`). The host is resolved at each (re)connection.
    pub server: String,
    /// UDP, TCP or TLS.
    pub transport: Transport,
    /// The facility code, 0..=23 (default 16, local0).
    pub facility: u8,
    /// APP-NAME (default `tipring-agent`).
    pub app_name: String,
    /// HOSTNAME: the gateway's name or address; empty for the nil value `-`.
    pub hostname: String,
    /// The most verbose level sent (default INFO: DEBUG and TRACE events are not sent).
    pub min_level: tracing::Level,
    /// The longest message in bytes, framing not counted (default 2048, at least 480,
    /// at most 65507 over UDP). Longer messages are cut (see
    /// [`format_5424_within`](crate::format_5424_within)). It applies to every transport.
    pub max_message: usize,
    /// How many formatted messages may wait for the sender (default 1024, at least 1).
    pub queue: usize,
}

impl SyslogConfig {
    /// A configuration for this collector and transport with the defaults.
    pub fn new(server: impl Into<String>, transport: Transport) -> Self {
        Self {
            server: server.into(),
            transport,
            facility: Facility::LOCAL0.code(),
            app_name: "tipring-agent".to_owned(),
            hostname: String::new(),
            min_level: tracing::Level::INFO,
            max_message: 2048,
            queue: 1024,
        }
    }

    /// Checks every field and reads the TLS trust anchors.
    pub(crate) fn validate(&self) -> Result<Checked> {
        let host = split_host_port(&self.server)?;
        let facility = Facility::new(self.facility).ok_or_else(|| {
            Error::config("facility", format!("{} is not in 0..=23", self.facility))
        })?;
        if self.max_message < MESSAGE_MIN {
            return Err(Error::config(
                "max_message",
                format!("{} is under {MESSAGE_MIN} bytes", self.max_message),
            ));
        }
        if self.transport == Transport::Udp && self.max_message > UDP_MAX {
            return Err(Error::config(
                "max_message",
                format!(
                    "{} is over {UDP_MAX} bytes, the largest UDP datagram",
                    self.max_message
                ),
            ));
        }
        if self.queue == 0 {
            return Err(Error::config("queue", "must hold at least one message"));
        }
        let tls = match &self.transport {
            Transport::Tls { ca, server_name } => {
                let name = if server_name.is_empty() {
                    host
                } else {
                    server_name.as_str()
                };
                let name = ServerName::try_from(name.to_owned()).map_err(|e| {
                    Error::config("transport.server_name", format!("`{name}`: {e}"))
                })?;
                Some(Tls {
                    config: client_config(ca)?,
                    name,
                })
            }
            _ => None,
        };
        Ok(Checked { facility, tls })
    }
}

/// A validated configuration's derived parts.
#[derive(Debug)]
pub(crate) struct Checked {
    pub(crate) facility: Facility,
    pub(crate) tls: Option<Tls>,
}

/// The TLS client side: trust anchors and the expected name.
#[derive(Debug, Clone)]
pub(crate) struct Tls {
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) name: ServerName<'static>,
}

/// The host of `host:port`, after checking both parts.
fn split_host_port(server: &str) -> Result<&str> {
    let bad = |why: &str| Error::config("server", format!("`{server}` is not host:port ({why})"));
    let (host, port) = server.rsplit_once(':').ok_or_else(|| bad("no port"))?;
    match port.parse::<u16>() {
        Ok(p) if p != 0 => {}
        _ => return Err(bad("bad port")),
    }
    let host = match host.strip_prefix('[') {
        Some(rest) => {
            let inner = rest.strip_suffix(']').ok_or_else(|| bad("unclosed `[`"))?;
            inner
                .parse::<std::net::Ipv6Addr>()
                .map_err(|_| bad("bad IPv6 address"))?;
            inner
        }
        None => host,
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    if !server.starts_with('[') && host.contains(':') {
        return Err(bad("an IPv6 address needs brackets"));
    }
    if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("space in host"));
    }
    Ok(host)
}

/// A rustls client configuration on the ring provider (never the process default) that
/// trusts the certificates of the PEM file `ca`.
fn client_config(ca: &std::path::Path) -> Result<Arc<ClientConfig>> {
    let field = "transport.ca";
    let pem = std::fs::read(ca)
        .map_err(|e| Error::config(field, format!("cannot read {}: {e}", ca.display())))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert =
            cert.map_err(|e| Error::config(field, format!("bad PEM in {}: {e}", ca.display())))?;
        roots
            .add(cert)
            .map_err(|e| Error::config(field, format!("bad CA in {}: {e}", ca.display())))?;
    }
    if roots.is_empty() {
        return Err(Error::config(
            field,
            format!("{} holds no certificate", ca.display()),
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config(field, e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(r: Result<Checked>) -> &'static str {
        match r {
            Err(Error::Config { field, .. }) => field,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let c = SyslogConfig::new("logs.example.net:514", Transport::Udp);
        assert_eq!(c.facility, 16);
        assert_eq!(c.max_message, 2048);
        assert_eq!(c.queue, 1024);
        assert_eq!(c.min_level, tracing::Level::INFO);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn server_must_be_host_port() {
        for ok in [
            "h:1",
            "192.0.2.7:514",
            "[2001:db8::7]:6514",
            "logs.example.net:65535",
        ] {
            assert!(split_host_port(ok).is_ok(), "{ok}");
        }
        assert_eq!(split_host_port("[::1]:514").unwrap(), "::1");
        for bad in [
            "",
            "host",
            "host:",
            ":514",
            "host:0",
            "host:65536",
            "host:x",
            "::1:514",
            "[::1:514",
            "[nope]:514",
            "a b:514",
        ] {
            let c = SyslogConfig::new(bad, Transport::Tcp);
            assert_eq!(field_of(c.validate()), "server", "{bad}");
        }
    }

    #[test]
    fn errors_name_the_field() {
        let base = SyslogConfig::new("h:514", Transport::Udp);
        let c = SyslogConfig {
            facility: 24,
            ..base.clone()
        };
        assert_eq!(field_of(c.validate()), "facility");
        let c = SyslogConfig {
            facility: 23,
            ..base.clone()
        };
        assert!(c.validate().is_ok());
        let c = SyslogConfig {
            max_message: 479,
            ..base.clone()
        };
        assert_eq!(field_of(c.validate()), "max_message");
        let c = SyslogConfig {
            max_message: 65_508,
            ..base.clone()
        };
        assert_eq!(field_of(c.validate()), "max_message");
        let c = SyslogConfig {
            max_message: 65_508,
            transport: Transport::Tcp,
            ..base.clone()
        };
        assert!(c.validate().is_ok());
        let c = SyslogConfig {
            queue: 0,
            ..base.clone()
        };
        assert_eq!(field_of(c.validate()), "queue");
        let c = SyslogConfig {
            transport: Transport::Tls {
                ca: "/nonexistent/ca.pem".into(),
                server_name: String::new(),
            },
            ..base.clone()
        };
        let err = c.validate().unwrap_err();
        assert!(err.to_string().contains("`transport.ca`"), "{err}");
    }
}

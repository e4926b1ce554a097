//! Configuration of the transports: what to bind, TLS material, limits, keep-alives.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tipring_sip::Peer;
use tipring_sip_message::Limits;

use crate::error::{Error, Result};

/// Everything [`Transports::bind`](crate::Transports::bind) needs.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// Local UDP address to bind (port 0 picks one); `None`: no UDP.
    pub udp: Option<SocketAddr>,
    /// Local TCP listener address; `None`: no listener (outgoing TCP still works).
    pub tcp: Option<SocketAddr>,
    /// Local TLS listener address; needs [`TlsConfig::identity`]. `None`: no listener
    /// (outgoing TLS still works when [`TransportConfig::tls_config`] is set).
    pub tls: Option<SocketAddr>,
    /// TLS trust anchors, identity and expected server names; `None`: no TLS at all.
    pub tls_config: Option<TlsConfig>,
    /// Message size limit: bigger datagrams are dropped, a bigger stream frame closes the
    /// connection, bigger sends are refused.
    pub limits: Limits,
    /// Most TCP + TLS connections open at once (both directions). Default 64.
    pub max_connections: usize,
    /// Most bytes buffered unframed on one connection; more closes it. Default twice
    /// the message size limit.
    pub max_buffer: usize,
    /// Messages queued for writing on one connection before sends fail with
    /// [`Error::QueueFull`]. Default 64.
    pub send_queue: usize,
    /// Events queued for [`Transports::recv`](crate::Transports::recv) before reads
    /// stop (back-pressure). Default 256.
    pub event_queue: usize,
    /// A connection with no message in either direction (and nothing received at all)
    /// for this long is closed. Kept-alive connections are never closed for idleness.
    /// Default 300 s.
    pub idle_timeout: Duration,
    /// Bound on TCP connect plus TLS handshake, in both directions. Default 5 s.
    pub connect_timeout: Duration,
    /// Bound on writing one message; a stuck peer's connection is closed. Default 10 s.
    pub write_timeout: Duration,
    /// CRLF keep-alives (RFC 5626 §3.5.1, §4.4.1).
    pub keepalive: KeepAliveConfig,
    /// Seed of the keep-alive jitter.
    pub rng_seed: u64,
}

impl Default for TransportConfig {
    fn default() -> Self {
        let limits = Limits::default();
        Self {
            udp: None,
            tcp: None,
            tls: None,
            tls_config: None,
            max_buffer: 2 * limits.max_message_size,
            limits,
            max_connections: 64,
            send_queue: 64,
            event_queue: 256,
            idle_timeout: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(5),
            write_timeout: Duration::from_secs(10),
            keepalive: KeepAliveConfig::default(),
            rng_seed: 0,
        }
    }
}

impl TransportConfig {
    pub(crate) fn check(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::Config(m.to_owned()));
        if self.max_connections == 0 || self.send_queue == 0 || self.event_queue == 0 {
            return bad("max_connections, send_queue and event_queue must be at least 1");
        }
        if self.max_buffer < self.limits.max_message_size {
            return bad("max_buffer must hold at least one message of the size limit");
        }
        if self.connect_timeout.is_zero() || self.write_timeout.is_zero() {
            return bad("connect_timeout and write_timeout must be positive");
        }
        if !self.keepalive.peers.is_empty()
            && (self.keepalive.interval.is_zero() || self.keepalive.pong_timeout.is_zero())
        {
            return bad("keep-alive interval and pong timeout must be positive");
        }
        if self.tls.is_some()
            && self
                .tls_config
                .as_ref()
                .is_none_or(|t| t.identity.is_none())
        {
            return bad("a TLS listener needs tls_config with an identity (certificate + key)");
        }
        Ok(())
    }
}

/// CRLF keep-alives on connections to chosen peers, so that NAT bindings and the flow to
/// the registrar stay open (RFC 5626 §4.4.1). OPTIONS pings are the user agent's business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeepAliveConfig {
    /// Peers (TCP or TLS) whose connections carry keep-alives. UDP peers are ignored
    /// (RFC 5626 uses STUN there).
    pub peers: HashSet<Peer>,
    /// Nominal time between pings; each wait is drawn between 80 % and 100 % of it
    /// (RFC 5626 §4.4.1). Default 120 s (RFC 5626 recommends 95 to 120 s on streams).
    pub interval: Duration,
    /// A ping not answered by a pong in this time fails the flow: the connection is
    /// closed with [`CloseReason::PongTimeout`](crate::CloseReason::PongTimeout).
    /// Default 10 s (RFC 5626 §4.4.1).
    pub pong_timeout: Duration,
}

impl Default for KeepAliveConfig {
    fn default() -> Self {
        Self {
            peers: HashSet::new(),
            interval: Duration::from_secs(120),
            pong_timeout: Duration::from_secs(10),
        }
    }
}

/// Whether the TLS listener asks its clients for a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// Do not ask.
    #[default]
    None,
    /// Ask, verify one if sent against [`TlsConfig::ca_certs`], accept clients without.
    Optional,
    /// Ask and require one that verifies against [`TlsConfig::ca_certs`] (mutual TLS).
    Required,
}

/// A certificate chain and its private key.
pub struct Identity {
    /// End-entity certificate first, then intermediates.
    pub cert_chain: Vec<CertificateDer<'static>>,
    /// The key of the end-entity certificate.
    pub key: PrivateKeyDer<'static>,
}

impl Identity {
    /// Read a chain (`CERTIFICATE` blocks) and a key (PKCS#8, PKCS#1 or SEC1 block) from PEM.
    pub fn from_pem(cert_chain_pem: &[u8], key_pem: &[u8]) -> Result<Self> {
        Ok(Self {
            cert_chain: certs_from_pem(cert_chain_pem)?,
            key: PrivateKeyDer::from_pem_slice(key_pem)
                .map_err(|e| Error::Pem(format!("private key: {e}")))?,
        })
    }
}

impl Clone for Identity {
    fn clone(&self) -> Self {
        Self {
            cert_chain: self.cert_chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("certificates", &self.cert_chain.len())
            .field("key", &"***")
            .finish()
    }
}

/// Read every `CERTIFICATE` block of a PEM file (at least one).
pub fn certs_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Pem(format!("certificate: {e}")))?;
    if certs.is_empty() {
        return Err(Error::Pem("no CERTIFICATE block".to_owned()));
    }
    Ok(certs)
}

/// TLS material (RFC 3261 §26.2.1, RFC 5922).
#[derive(Debug, Clone, Default)]
pub struct TlsConfig {
    /// Trust anchors: server certificates (and client certificates on the listener) must
    /// chain to one of these. The system store is not used.
    pub ca_certs: Vec<CertificateDer<'static>>,
    /// Our certificate: required for the listener, and sent as a client certificate when
    /// a server asks (mutual TLS).
    pub identity: Option<Identity>,
    /// The name each server's certificate must carry, by server address: the SIP domain
    /// it was resolved from (RFC 5922 §4). Addresses not listed use
    /// [`TlsConfig::default_server_name`], else their IP address (which the certificate
    /// must then carry as an IP subjectAltName).
    pub server_names: HashMap<SocketAddr, String>,
    /// The name expected of servers not in [`TlsConfig::server_names`].
    pub default_server_name: Option<String>,
    /// Client certificates on the listener.
    pub client_auth: ClientAuth,
}

#[cfg(test)]
mod tests {
    use super::*;

    // The defaults follow RFC 5626 §4.4.1 (120 s keep-alive nominal interval, 10 s pong
    // timeout) and hold one message of the size limit in the buffer.
    #[test]
    fn defaults_are_valid() {
        let cfg = TransportConfig::default();
        cfg.check().unwrap();
        assert_eq!(cfg.keepalive.interval, Duration::from_secs(120));
        assert_eq!(cfg.keepalive.pong_timeout, Duration::from_secs(10));
        assert!(cfg.max_buffer >= cfg.limits.max_message_size);
    }

    #[test]
    fn inconsistent_configurations_are_refused() {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        let bad = [
            TransportConfig {
                max_connections: 0,
                ..TransportConfig::default()
            },
            TransportConfig {
                max_buffer: 100,
                ..TransportConfig::default()
            },
            TransportConfig {
                connect_timeout: Duration::ZERO,
                ..TransportConfig::default()
            },
            TransportConfig {
                keepalive: KeepAliveConfig {
                    peers: HashSet::from([Peer::udp(any)]),
                    interval: Duration::ZERO,
                    ..KeepAliveConfig::default()
                },
                ..TransportConfig::default()
            },
            // A TLS listener needs a certificate.
            TransportConfig {
                tls: Some(any),
                tls_config: Some(TlsConfig::default()),
                ..TransportConfig::default()
            },
        ];
        for cfg in bad {
            assert!(matches!(cfg.check(), Err(Error::Config(_))), "{cfg:?}");
        }
    }

    #[test]
    fn identity_is_never_printed() {
        let id = Identity {
            cert_chain: vec![CertificateDer::from(vec![1, 2, 3])],
            key: PrivateKeyDer::Pkcs8(vec![0x42; 8].into()),
        };
        let shown = format!("{:?}", id.clone());
        assert!(shown.contains("***") && !shown.contains("66"), "{shown}");
        assert!(matches!(Identity::from_pem(b"", b""), Err(Error::Pem(_))));
    }
}

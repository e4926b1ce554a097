//! Configuration of the user agent: where it listens, and one SIP account per FXS port.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use crate::timers::Timers;

/// The transport a message travels on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// UDP: the transaction layer retransmits.
    Udp,
    /// TCP: reliable, framed by Content-Length.
    Tcp,
    /// TLS over TCP.
    Tls,
}

impl TransportKind {
    /// Reliable transports need no retransmissions.
    pub fn is_reliable(self) -> bool {
        !matches!(self, TransportKind::Udp)
    }

    /// The token used in Via (`UDP`, `TCP`, `TLS`).
    pub fn via_token(self) -> &'static str {
        match self {
            TransportKind::Udp => "UDP",
            TransportKind::Tcp => "TCP",
            TransportKind::Tls => "TLS",
        }
    }
}

/// A remote transport address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer {
    /// How to reach it.
    pub transport: TransportKind,
    /// Where.
    pub addr: SocketAddr,
}

impl Peer {
    /// A UDP peer.
    pub fn udp(addr: SocketAddr) -> Self {
        Self {
            transport: TransportKind::Udp,
            addr,
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}",
            self.transport.via_token().to_ascii_lowercase(),
            self.addr
        )
    }
}

/// A password, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a password.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The password itself (for the digest computation only).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// One SIP account: the extension of one FXS port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// User part of the address of record (the extension, e.g. `101`).
    pub user: String,
    /// Authentication user name, if it differs from `user`.
    pub auth_user: Option<String>,
    /// Digest password.
    pub password: Secret,
    /// The domain of the address of record (`sip:101@pbx.example.com`).
    pub domain: String,
    /// Display name sent in From.
    pub display_name: Option<String>,
    /// Registrars / outbound proxies in order of preference (failover list).
    pub servers: Vec<Peer>,
    /// Registration expiry asked for, in seconds (the server may choose another).
    pub expires: u32,
    /// Whether to register at all (peer-to-peer ports do not).
    pub register: bool,
    /// Local RTP port offered in SDP for this account's calls.
    pub rtp_port: u16,
    /// Local RTP port of the account's second call (call waiting, consultation) while
    /// the first one lasts; 0 uses `rtp_port` for both.
    pub rtp_port_second: u16,
    /// Subscribe to message-summary (RFC 3842) once registered, for the MWI lamp and
    /// stutter dial tone (unsolicited NOTIFYs are taken either way).
    pub subscribe_mwi: bool,
    /// The account's codecs in preference order; empty: the user agent's list.
    pub codecs: Vec<crate::media::Codec>,
    /// T.38 fax relay: accept a far end's re-INVITE to `image/t38` and offer T.38 with
    /// these capabilities ([`Command::SwitchToFax`](crate::Command::SwitchToFax)); `None`
    /// refuses T.38 offers with 488.
    pub t38: Option<crate::fax::T38Params>,
}

impl Account {
    /// The user name used for digest authentication.
    pub fn auth_name(&self) -> &str {
        self.auth_user.as_deref().unwrap_or(&self.user)
    }
}

/// Registration retry and refresh policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrationPolicy {
    /// Refresh this long before the binding expires (at most half of the expiry).
    pub refresh_margin: Duration,
    /// Back-off base after every server failed (RFC 5626 §4.5 base-time).
    pub retry_base: Duration,
    /// Back-off ceiling (RFC 5626 §4.5 max-time).
    pub retry_max: Duration,
    /// Wait after the server refused the credentials (403, or 401 twice).
    pub auth_failure_retry: Duration,
    /// While registered to a backup, probe the primary this often.
    pub primary_probe: Duration,
    /// Send OPTIONS to each registrar in use this often, to keep NAT bindings open and
    /// notice a dead registrar between refreshes (a timed-out ping fails over).
    /// `None`: no pings (stream transports keep alive with CRLF instead).
    pub keepalive: Option<Duration>,
}

impl Default for RegistrationPolicy {
    fn default() -> Self {
        Self {
            refresh_margin: Duration::from_secs(60),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(1800),
            auth_failure_retry: Duration::from_secs(1200),
            primary_probe: Duration::from_secs(60),
            keepalive: None,
        }
    }
}

/// Everything the user agent needs.
#[derive(Debug, Clone)]
pub struct UaConfig {
    /// The local address the shell's socket is bound to (goes into Via and Contact).
    pub local: SocketAddr,
    /// The transport of that socket.
    pub transport: TransportKind,
    /// `User-Agent` header value.
    pub user_agent: String,
    /// RFC 3261 timers.
    pub timers: Timers,
    /// Registration policy.
    pub registration: RegistrationPolicy,
    /// Seed for branches, tags, Call-IDs, cnonces and jitter.
    pub rng_seed: [u8; 32],
    /// Codecs offered and accepted, in preference order.
    pub codecs: Vec<crate::media::Codec>,
    /// SRTP with SDES keys: off, offered, or required.
    pub srtp: crate::media::SrtpPolicy,
    /// One account per port, in port order.
    pub accounts: Vec<Account>,
}

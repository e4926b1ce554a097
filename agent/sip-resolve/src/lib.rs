//! RFC 3263 SIP server location for Tipring: from what an integrator writes
//! (`pbx.example.com`, `pbx.example.com:5080`, `192.0.2.10`, `[2001:db8::1]:5070`) to
//! an ordered failover list of [`Peer`]s for the user agent.
//!
//! # The rules (RFC 3263 §4.2, RFC 2782)
//!
//! * An IP address literal is used as it is, on the given port or the default one
//!   (5060, or 5061 for TLS); no DNS.
//! * A domain with a port: its A / AAAA records, on that port; no SRV.
//! * A domain alone: the SRV records of `_sip._udp.<domain>`, `_sip._tcp.<domain>` or
//!   `_sips._tcp.<domain>` (by the configured transport). Targets are ordered by
//!   priority, then at random in proportion to their weights within a priority; each
//!   target's addresses follow in that order, on the SRV port. A lone target `.` means
//!   the domain offers no such service ([`Error::ServiceUnavailable`]). Addresses of the
//!   targets sent in the SRV answer's additional section are used without asking again.
//! * No SRV records (NXDOMAIN or an empty answer): the domain's own A / AAAA records, on
//!   the default port.
//!
//! CNAMEs are followed (within an answer, and by asking again when a server stops at
//! an alias; eight at most). Which address families are looked up, and which comes
//! first for each host, is [`ResolverConfig::families`]. A target that fails to
//! resolve is left out of the list; the list is an error only when it would be empty.
//! The transport is the configured one: NAPTR (RFC 3263 §4.1) is not used.
//!
//! # Layers
//!
//! * [`dns`]: a DNS message encoder/decoder (RFC 1035 header, question and record
//!   sections, name compression; A, AAAA, CNAME, SRV, SOA; other types opaque). It is
//!   bounded and never panics on malformed input; the TC flag is visible in
//!   [`dns::Header::truncated`] and becomes [`Error::Truncated`].
//! * [`Locate`]: the sans-IO core. One server location as a state machine fed with
//!   received datagrams and the time, asking for datagrams to send; retries over the
//!   name servers, ID and question matching, the [`Cache`] (TTL-bound, RFC 2308 negative
//!   caching), SRV ordering. No socket, no clock, no global RNG: tests jump to
//!   deadlines.
//! * [`Resolver`]: the thin tokio shell. Name servers from `/etc/resolv.conf` or given
//!   explicitly; UDP sockets on ephemeral ports; tokio's clock.
//!
//! # Why the DNS code is our own
//!
//! What RFC 3263 needs from DNS is small: three record types (plus CNAME and SOA),
//! UDP queries to a recursive server, and the RFC 2782 selection rules, all of which our
//! tests must drive in virtual time and from a seed. No crate does that step without
//! an async runtime of its own choosing or a clock and RNG of its own: `hickory-resolver`
//! does the DNS part well, but it is a large dependency tree (heavy to build on a
//! 2-core machine and to ship on a gateway), reads the clock and a random generator
//! itself, and would still leave the RFC 3263 steps (SRV ordering, fallback, ports) to
//! us; the small codec crates stop at the wire format; `getaddrinfo` has no SRV and no
//! TTLs. A bounded codec of a few hundred lines, checked by hand-written RFC vectors and
//! a mutation test, is cheaper to keep than any of those.
//!
//! # Using it
//!
//! ```no_run
//! use tipring_sip::TransportKind;
//! use tipring_sip_resolve::{Resolver, ServerSpec};
//!
//! # async fn demo() -> tipring_sip_resolve::Result<()> {
//! let resolver = Resolver::from_system([42; 32])?; // a deployment seeds from the OS
//! let spec: ServerSpec = "pbx.example.com".parse()?;
//! let servers = resolver.locate(&spec, TransportKind::Udp).await?;
//! // e.g. [udp:192.0.2.10:5060, udp:192.0.2.11:5060]: the account's failover list.
//! # let _ = servers;
//! # Ok(())
//! # }
//! ```
//!
//! Answers are cached for their TTL (at most [`ResolverConfig::max_ttl`]), so calling
//! `locate` again before each registration attempt or failover costs nothing until the
//! records expire, and follows the zone when they change. [`Error::is_temporary`] tells
//! DNS trouble (try again later, keep the last list) from a definitive answer.
//!
//! The sans-IO core is driven the same way the shell does it; see [`Locate`].

#![forbid(unsafe_code)]

mod cache;
mod config;
pub mod dns;
mod error;
mod locate;
mod resolver;
mod spec;
mod srv;

pub use cache::Cache;
pub use config::{IpFamilies, ResolverConfig, DNS_PORT, MAX_NAMESERVERS};
pub use error::{Error, Result};
pub use locate::{default_port, srv_owner, Input, Locate, Output, MAX_CNAME_HOPS, MAX_SRV_TARGETS};
pub use resolver::{Resolver, RESOLV_CONF};
pub use spec::{Host, ServerSpec};
/// The seeded generator used for query IDs and SRV weighting (SplitMix64, from
/// `tipring-sip`).
pub use tipring_sip::rng::Rng;
/// Re-exported from `tipring-sip`: what a location gives.
pub use tipring_sip::{Peer, TransportKind};

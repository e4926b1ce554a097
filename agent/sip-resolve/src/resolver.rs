//! The tokio shell: UDP sockets and tokio's clock around the sans-IO [`Locate`].

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tipring_sip::rng::Rng;
use tipring_sip::{Peer, TransportKind};
use tokio::net::UdpSocket;
use tokio::time::Instant;

use crate::cache::Cache;
use crate::config::ResolverConfig;
use crate::dns::{Name, RecordType};
use crate::error::{Error, Result};
use crate::locate::{Input, Locate, Output};
use crate::spec::{Host, ServerSpec};

/// Largest datagram read. Without EDNS an answer is at most 512 octets (RFC 1035
/// §4.2.1); a larger buffer lets an over-long answer decode instead of being cut.
const RECV_BUFFER: usize = 4096;

/// The system's resolver configuration.
pub const RESOLV_CONF: &str = "/etc/resolv.conf";

/// An RFC 3263 server locator on tokio: UDP queries to recursive name servers, with
/// retries, per-TTL caching and seeded IDs and SRV weighting.
///
/// Each [`Resolver::locate`] uses fresh sockets on ephemeral ports (the operating
/// system picks them at random: RFC 5452 §9.2 source-port randomisation) and shares the
/// cache with the others; several may run at once.
#[derive(Debug)]
pub struct Resolver {
    config: ResolverConfig,
    cache: Mutex<Cache>,
    rng: Mutex<Rng>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The data is consistent between calls: a panic elsewhere does not poison it.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Resolver {
    /// A resolver with this configuration.
    pub fn new(config: ResolverConfig) -> Result<Self> {
        config.validate()?;
        Ok(Resolver {
            cache: Mutex::new(Cache::new(&config)),
            rng: Mutex::new(Rng::from_seed(config.rng_seed)),
            config,
        })
    }

    /// A resolver with the name servers and options of a `resolv.conf(5)` file.
    pub fn from_resolv_conf(path: impl AsRef<Path>, rng_seed: [u8; 32]) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::ResolvConf {
            path: path.to_owned(),
            source,
        })?;
        Resolver::new(ResolverConfig::from_resolv_conf(&text, rng_seed)?)
    }

    /// A resolver configured from [`RESOLV_CONF`].
    pub fn from_system(rng_seed: [u8; 32]) -> Result<Self> {
        Resolver::from_resolv_conf(RESOLV_CONF, rng_seed)
    }

    /// The configuration in use.
    pub fn config(&self) -> &ResolverConfig {
        &self.config
    }

    /// Forgets every cached answer.
    pub fn clear_cache(&self) {
        lock(&self.cache).clear();
    }

    /// How many answers the cache holds.
    pub fn cached_answers(&self) -> usize {
        lock(&self.cache).len()
    }

    /// The failover list for `target` over `transport`, in the order to try it
    /// (RFC 3263 §4.2; see the crate documentation for the rules).
    pub async fn locate(&self, target: &ServerSpec, transport: TransportKind) -> Result<Vec<Peer>> {
        let rng = {
            let mut master = lock(&self.rng);
            let mut seed = [0u8; 32];
            for chunk in seed.chunks_mut(8) {
                chunk.copy_from_slice(&master.next_u64().to_le_bytes());
            }
            Rng::from_seed(seed)
        };
        let now = Instant::now().into_std();
        let mut core = Locate::new(
            now,
            target,
            transport,
            &self.config,
            &mut lock(&self.cache),
            rng,
        );
        let mut v4 = Socket::default();
        let mut v6 = Socket::default();
        loop {
            while let Some(output) = core.poll_output() {
                match output {
                    Output::Transmit { to, data } => {
                        let socket = if to.is_ipv4() { &mut v4 } else { &mut v6 };
                        socket.send(to, &data).await;
                    }
                    Output::Done(result) => return result,
                }
            }
            // The core queues its result before it stops asking for a deadline (while
            // unfinished, some query is always in flight); were that ever broken,
            // reporting a timeout beats waiting forever.
            let Some(deadline) = core.poll_timeout() else {
                let name = match &target.host {
                    Host::Domain(d) => d.clone(),
                    Host::Ip(_) => Name::root(),
                };
                return Err(Error::Timeout {
                    name,
                    rtype: RecordType::SRV,
                });
            };
            tokio::select! {
                r = v4.recv() => self.received(&mut core, r)?,
                r = v6.recv() => self.received(&mut core, r)?,
                () = tokio::time::sleep_until(deadline.into()) => {
                    let now = Instant::now().into_std();
                    core.handle_input(&mut lock(&self.cache), Input::Timeout(now));
                }
            }
        }
    }

    fn received(&self, core: &mut Locate, r: io::Result<(&[u8], SocketAddr)>) -> Result<()> {
        match r {
            Ok((data, from)) => {
                let now = Instant::now().into_std();
                core.handle_input(&mut lock(&self.cache), Input::Receive { now, from, data });
                Ok(())
            }
            // An ICMP error reported on the socket: the retry timer deals with it.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
                ) =>
            {
                tracing::debug!(error = %e, "DNS socket reported an error");
                Ok(())
            }
            Err(e) => Err(Error::Io(e)),
        }
    }
}

/// One query socket of one family, bound on first use.
#[derive(Default)]
struct Socket {
    socket: Option<UdpSocket>,
    buf: Vec<u8>,
}

impl Socket {
    /// Sends a query. A failure (no IPv6 on this host, no route) is logged and left to
    /// the retry timer, which moves on to the next name server.
    async fn send(&mut self, to: SocketAddr, data: &[u8]) {
        if self.socket.is_none() {
            let local = if to.is_ipv4() {
                SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))
            } else {
                SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0))
            };
            match UdpSocket::bind(local).await {
                Ok(s) => {
                    self.socket = Some(s);
                    self.buf = vec![0; RECV_BUFFER];
                }
                Err(e) => {
                    tracing::warn!(%local, error = %e, "cannot bind a DNS query socket");
                    return;
                }
            }
        }
        if let Some(s) = &self.socket {
            if let Err(e) = s.send_to(data, to).await {
                tracing::warn!(%to, error = %e, "cannot send a DNS query");
            }
        }
    }

    /// The next datagram; never completes while the socket is not bound.
    async fn recv(&mut self) -> io::Result<(&[u8], SocketAddr)> {
        match &self.socket {
            Some(s) => {
                let (n, from) = s.recv_from(&mut self.buf).await?;
                Ok((&self.buf[..n], from))
            }
            None => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    // The shell's future can be spawned on a multi-threaded runtime.
    #[test]
    fn locate_future_is_send_and_resolver_is_sync() {
        fn assert_sync<T: Sync>() {}
        assert_sync::<Resolver>();
        let r = Resolver::new(ResolverConfig::new(
            vec!["127.0.0.1:53".parse().unwrap()],
            [0; 32],
        ))
        .unwrap();
        let spec: ServerSpec = "192.0.2.1".parse().unwrap();
        let fut = r.locate(&spec, TransportKind::Udp);
        assert_send(&fut);
    }

    #[test]
    fn missing_resolv_conf_is_reported_with_its_path() {
        let e = Resolver::from_resolv_conf("/nonexistent/resolv.conf", [0; 32]).unwrap_err();
        assert!(
            matches!(&e, Error::ResolvConf { path, .. } if path == Path::new("/nonexistent/resolv.conf"))
        );
        assert!(!e.is_temporary());
    }

    #[test]
    fn empty_configuration_is_refused() {
        let r = Resolver::new(ResolverConfig::new(Vec::new(), [0; 32]));
        assert!(matches!(r, Err(Error::InvalidConfig(_))));
    }
}

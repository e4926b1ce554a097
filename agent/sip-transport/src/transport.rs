//! [`Transports`]: the sockets of one SIP agent and the way messages reach them.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, watch};
use tokio::time::timeout;

use tipring_sip::{Peer, TransportKind};

use crate::config::TransportConfig;
use crate::conn::{self, Queued, Shared};
use crate::error::{Error, Result};
use crate::event::Event;
use crate::tls;

/// UDP, TCP and TLS transports of a SIP agent (RFC 3261 §18).
///
/// Dropping it stops every task and closes every socket.
pub struct Transports {
    shared: Arc<Shared>,
    events: mpsc::Receiver<Event>,
    udp: Option<Arc<UdpSocket>>,
    local_udp: Option<SocketAddr>,
    local_tcp: Option<SocketAddr>,
    local_tls: Option<SocketAddr>,
    tls_client: Option<tls::Client>,
    shutdown_rx: watch::Receiver<()>,
    // Dropped with `self`: every task sees the channel close and stops.
    _shutdown: watch::Sender<()>,
}

impl fmt::Debug for Transports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transports")
            .field("udp", &self.local_udp)
            .field("tcp", &self.local_tcp)
            .field("tls", &self.local_tls)
            .field("connections", &self.shared.connection_count())
            .field("tls_client", &self.tls_client)
            .finish()
    }
}

impl Transports {
    /// Check `cfg`, bind what it asks for and start receiving. Must be called inside a
    /// tokio runtime (it spawns the receive tasks).
    pub async fn bind(cfg: TransportConfig) -> Result<Transports> {
        cfg.check()?;
        let tls_client = cfg
            .tls_config
            .as_ref()
            .filter(|t| !t.ca_certs.is_empty())
            .map(tls::Client::new)
            .transpose()?;
        let acceptor = match (&cfg.tls, &cfg.tls_config) {
            (Some(_), Some(t)) => Some(tls::acceptor(t)?),
            _ => None,
        };
        let bind_err = |kind, addr| move |source| Error::Bind { kind, addr, source };
        let udp = match cfg.udp {
            Some(addr) => Some(Arc::new(
                UdpSocket::bind(addr)
                    .await
                    .map_err(bind_err(TransportKind::Udp, addr))?,
            )),
            None => None,
        };
        let tcp = match cfg.tcp {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(bind_err(TransportKind::Tcp, addr))?,
            ),
            None => None,
        };
        let tls = match cfg.tls {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(bind_err(TransportKind::Tls, addr))?,
            ),
            None => None,
        };
        let local = |r: std::io::Result<SocketAddr>, kind, addr| r.map_err(bind_err(kind, addr));
        let local_udp = match (&udp, cfg.udp) {
            (Some(s), Some(a)) => Some(local(s.local_addr(), TransportKind::Udp, a)?),
            _ => None,
        };
        let local_tcp = match (&tcp, cfg.tcp) {
            (Some(l), Some(a)) => Some(local(l.local_addr(), TransportKind::Tcp, a)?),
            _ => None,
        };
        let local_tls = match (&tls, cfg.tls) {
            (Some(l), Some(a)) => Some(local(l.local_addr(), TransportKind::Tls, a)?),
            _ => None,
        };

        let (events_tx, events) = mpsc::channel(cfg.event_queue);
        let shared = Arc::new(Shared::new(cfg, events_tx));
        let (shutdown, shutdown_rx) = watch::channel(());
        if let Some(socket) = &udp {
            tokio::spawn(conn::udp_loop(
                shared.clone(),
                socket.clone(),
                shutdown_rx.clone(),
            ));
        }
        if let Some(listener) = tcp {
            tokio::spawn(conn::accept_loop(
                shared.clone(),
                listener,
                None,
                shutdown_rx.clone(),
            ));
        }
        if let Some(listener) = tls {
            tokio::spawn(conn::accept_loop(
                shared.clone(),
                listener,
                acceptor,
                shutdown_rx.clone(),
            ));
        }
        tracing::info!(udp = ?local_udp, tcp = ?local_tcp, tls = ?local_tls, "SIP transports bound");
        Ok(Transports {
            shared,
            events,
            udp,
            local_udp,
            local_tcp,
            local_tls,
            tls_client,
            shutdown_rx,
            _shutdown: shutdown,
        })
    }

    /// The local address of a transport's socket or listener (with the port the system
    /// picked for port 0), for Via and Contact. `None` when it is not bound.
    pub fn local_addr(&self, kind: TransportKind) -> Option<SocketAddr> {
        match kind {
            TransportKind::Udp => self.local_udp,
            TransportKind::Tcp => self.local_tcp,
            TransportKind::Tls => self.local_tls,
        }
    }

    /// The next event: a whole message, or a closed connection. Cancel-safe, so it can
    /// be a branch of `tokio::select!`. Pending forever if nothing is bound and no
    /// connection is open.
    pub async fn recv(&mut self) -> Event {
        match self.events.recv().await {
            Some(event) => event,
            // Cannot happen: `self.shared` holds a sender. Nothing more will come.
            None => std::future::pending().await,
        }
    }

    /// Open TCP and TLS connections (both directions).
    pub fn connections(&self) -> usize {
        self.shared.connection_count()
    }

    /// Whether a live TCP/TLS connection to or from `peer` exists.
    pub fn is_connected(&self, peer: Peer) -> bool {
        self.shared.is_connected(peer)
    }

    /// Ask the connection to or from `peer` to close; an [`Event::Closed`] with
    /// [`CloseReason::Requested`](crate::CloseReason::Requested) follows. False when there
    /// is no such connection.
    pub fn close(&self, peer: Peer) -> bool {
        self.shared.close(peer)
    }

    /// Send one whole message to `to`, by `to.transport` (RFC 3261 §18.1.1, §18.2.2):
    ///
    /// * UDP: one datagram from the bound socket.
    /// * TCP/TLS: over the existing connection to that address, whichever side opened
    ///   it; otherwise a new connection is opened (TLS: the server's certificate must
    ///   chain to [`TlsConfig::ca_certs`](crate::TlsConfig::ca_certs) and carry the
    ///   expected name). The message is queued to the connection's task and written in
    ///   order; a later write failure closes the connection ([`Event::Closed`]).
    ///
    /// Waits at most the connect timeout. Errors for which
    /// [`Error::is_transport_failure`] holds are the transaction's transport errors
    /// (RFC 3261 §17.1.4).
    pub async fn send(&self, to: Peer, data: Vec<u8>) -> Result<()> {
        let max = self.shared.cfg.limits.max_message_size;
        if data.len() > max {
            return Err(Error::TooLarge {
                size: data.len(),
                max,
            });
        }
        match to.transport {
            TransportKind::Udp => {
                let socket = self
                    .udp
                    .as_ref()
                    .ok_or(Error::NotEnabled(TransportKind::Udp))?;
                socket
                    .send_to(&data, to.addr)
                    .await
                    .map_err(|source| Error::Send { peer: to, source })?;
                Ok(())
            }
            TransportKind::Tcp | TransportKind::Tls => self.send_stream(to, data).await,
        }
    }

    async fn send_stream(&self, to: Peer, data: Vec<u8>) -> Result<()> {
        let data = match self.shared.try_queue(to, data) {
            Queued::Yes => return Ok(()),
            Queued::Full => return Err(Error::QueueFull { peer: to }),
            Queued::NoConnection(data) => data,
        };
        let tls = match to.transport {
            TransportKind::Tls => Some(
                self.tls_client
                    .as_ref()
                    .ok_or(Error::NotEnabled(TransportKind::Tls))?,
            ),
            _ => None,
        };
        let cfg = &self.shared.cfg;
        let full = || Error::TooManyConnections {
            peer: to,
            max: cfg.max_connections,
        };
        if self.shared.connection_count() >= cfg.max_connections {
            return Err(full());
        }
        // One budget for TCP connect and TLS handshake.
        let connect = async {
            let tcp = TcpStream::connect(to.addr)
                .await
                .map_err(|source| Error::Connect { peer: to, source })?;
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(peer = %to, error = %e, "TCP_NODELAY");
            }
            match tls {
                None => {
                    self.adopt(to, tcp, data)?;
                }
                Some(client) => {
                    let name = client.server_name(to.addr);
                    let stream = client
                        .connector
                        .connect(name, tcp)
                        .await
                        .map_err(|source| Error::Handshake { peer: to, source })?;
                    self.adopt(to, stream, data)?;
                }
            }
            Ok(())
        };
        timeout(cfg.connect_timeout, connect)
            .await
            .map_err(|_| Error::ConnectTimeout { peer: to })?
    }

    /// Put a fresh outgoing connection in the table, with `data` queued first.
    fn adopt<S>(&self, to: Peer, stream: S, data: Vec<u8>) -> Result<()>
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        // Another send may have connected meanwhile: use that connection, drop this one.
        let data = match self.shared.try_queue(to, data) {
            Queued::Yes => return Ok(()),
            Queued::Full => return Err(Error::QueueFull { peer: to }),
            Queued::NoConnection(data) => data,
        };
        let slot = self.shared.register(to).ok_or(Error::TooManyConnections {
            peer: to,
            max: self.shared.cfg.max_connections,
        })?;
        tracing::debug!(peer = %to, "connection opened");
        tokio::spawn(conn::run(
            self.shared.clone(),
            to,
            slot,
            stream,
            self.shutdown_rx.clone(),
        ));
        match self.shared.try_queue(to, data) {
            Queued::Yes => Ok(()),
            Queued::Full => Err(Error::QueueFull { peer: to }),
            Queued::NoConnection(_) => Err(Error::Send {
                peer: to,
                source: std::io::Error::from(std::io::ErrorKind::ConnectionAborted),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The shell may run the transports on a multi-threaded runtime and share them.
    #[test]
    fn transports_and_their_futures_are_send() {
        fn is_send<T: Send>(_: &T) {}
        fn is_send_sync<T: Send + Sync>() {}
        fn futures(t: &mut Transports, to: Peer) {
            is_send(&t.send(to, Vec::new()));
            is_send(&t.recv());
        }
        is_send_sync::<Transports>();
        let _: fn(&mut Transports, Peer) = futures;
    }
}

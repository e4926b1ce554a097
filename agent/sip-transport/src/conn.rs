//! The tasks behind [`Transports`](crate::Transports): the connection table, one task per
//! TCP/TLS connection (read, frame, answer pings, write queued messages, keep-alives,
//! idle timer), the listeners' accept loops and the UDP receive loop.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, watch};
use tokio::time::{sleep_until, timeout, Instant};
use tokio_rustls::TlsAcceptor;

use tipring_sip::{Peer, TransportKind};
use tipring_sip_message::{Frame, StreamFramer};

use crate::config::TransportConfig;
use crate::event::{CloseReason, Event};
use crate::rng::Rng;

/// Bytes asked of the socket per read.
const READ_CHUNK: usize = 16 * 1024;

/// A keep-alive ping (RFC 5626 §3.5.1).
const PING: &[u8] = b"\r\n\r\n";
/// The answer to a ping.
const PONG: &[u8] = b"\r\n";

/// What a connection task is asked to do.
#[derive(Debug)]
pub(crate) enum Cmd {
    /// Write one message.
    Send(Vec<u8>),
    /// Close the connection.
    Close,
}

/// The table's view of one connection.
#[derive(Debug)]
pub(crate) struct Handle {
    id: u64,
    tx: mpsc::Sender<Cmd>,
}

/// What became of a message offered to an existing connection.
pub(crate) enum Queued {
    /// Queued for writing.
    Yes,
    /// The connection's queue is full.
    Full,
    /// No live connection: here is the message back.
    NoConnection(Vec<u8>),
}

/// A connection slot just taken in the table.
pub(crate) struct Slot {
    pub(crate) id: u64,
    pub(crate) cmds: mpsc::Receiver<Cmd>,
}

/// State shared by the [`Transports`](crate::Transports) and its tasks.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) cfg: TransportConfig,
    conns: Mutex<HashMap<Peer, Handle>>,
    pub(crate) events: mpsc::Sender<Event>,
    next_id: AtomicU64,
}

impl Shared {
    pub(crate) fn new(cfg: TransportConfig, events: mpsc::Sender<Event>) -> Self {
        Self {
            cfg,
            conns: Mutex::new(HashMap::new()),
            events,
            next_id: AtomicU64::new(1),
        }
    }

    fn table(&self) -> MutexGuard<'_, HashMap<Peer, Handle>> {
        // A panic while holding the lock leaves the map itself consistent.
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn connection_count(&self) -> usize {
        self.table().len()
    }

    pub(crate) fn is_connected(&self, peer: Peer) -> bool {
        self.table().get(&peer).is_some_and(|h| !h.tx.is_closed())
    }

    /// Offer `data` to the connection to `peer`, if there is a live one.
    pub(crate) fn try_queue(&self, peer: Peer, data: Vec<u8>) -> Queued {
        let mut table = self.table();
        let Some(handle) = table.get(&peer) else {
            return Queued::NoConnection(data);
        };
        match handle.tx.try_send(Cmd::Send(data)) {
            Ok(()) => Queued::Yes,
            Err(mpsc::error::TrySendError::Full(_)) => Queued::Full,
            Err(mpsc::error::TrySendError::Closed(cmd)) => {
                table.remove(&peer);
                match cmd {
                    Cmd::Send(data) => Queued::NoConnection(data),
                    Cmd::Close => Queued::NoConnection(Vec::new()),
                }
            }
        }
    }

    /// Ask the connection to `peer` to close.
    pub(crate) fn close(&self, peer: Peer) -> bool {
        self.table()
            .get(&peer)
            .is_some_and(|h| h.tx.try_send(Cmd::Close).is_ok())
    }

    /// Take a slot for a new connection to or from `peer`; `None` when the table is full.
    pub(crate) fn register(&self, peer: Peer) -> Option<Slot> {
        let mut table = self.table();
        table.retain(|_, h| !h.tx.is_closed());
        if table.len() >= self.cfg.max_connections && !table.contains_key(&peer) {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, cmds) = mpsc::channel(self.cfg.send_queue);
        table.insert(peer, Handle { id, tx });
        Some(Slot { id, cmds })
    }

    /// Forget connection `id` to `peer` (not a newer one to the same peer).
    fn remove(&self, peer: Peer, id: u64) {
        let mut table = self.table();
        if table.get(&peer).is_some_and(|h| h.id == id) {
            table.remove(&peer);
        }
    }

    /// Report that a connection closed, after it has left the table.
    async fn closed(&self, peer: Peer, id: u64, reason: CloseReason) {
        self.remove(peer, id);
        tracing::debug!(%peer, ?reason, "connection closed");
        // If the receiver is gone the transports are shutting down: nobody to tell.
        let _ = self.events.send(Event::Closed { peer, reason }).await;
    }
}

/// Sleep until `at`, or forever.
async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Write one whole message (or a ping or pong) within `limit`.
async fn write<W: AsyncWrite + Unpin>(
    wr: &mut W,
    data: &[u8],
    limit: Duration,
) -> Result<(), CloseReason> {
    match timeout(limit, async {
        wr.write_all(data).await?;
        wr.flush().await
    })
    .await
    {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(CloseReason::io(&e)),
        Err(_) => Err(CloseReason::WriteTimeout),
    }
}

/// Keep-alive state of a connection (RFC 5626 §4.4.1).
struct KeepAlive {
    rng: Rng,
    next_ping: Instant,
    pong_due: Option<Instant>,
}

/// Run one established connection until it closes, then report why.
pub(crate) async fn run<S>(
    shared: Arc<Shared>,
    peer: Peer,
    slot: Slot,
    stream: S,
    mut shutdown: watch::Receiver<()>,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let Slot { id, mut cmds } = slot;
    let (mut rd, mut wr) = tokio::io::split(stream);
    let reason = drive(
        &shared,
        peer,
        id,
        &mut rd,
        &mut wr,
        &mut cmds,
        &mut shutdown,
    )
    .await;
    if let Some(reason) = reason {
        // Tell the caller first, then close (RFC 3261 §18.3 for framing errors).
        shared.closed(peer, id, reason).await;
        let _ = timeout(Duration::from_secs(1), wr.shutdown()).await;
    } else {
        shared.remove(peer, id);
    }
}

/// The connection's loop; `None` when the transports shut down.
async fn drive<R, W>(
    shared: &Shared,
    peer: Peer,
    id: u64,
    rd: &mut R,
    wr: &mut W,
    cmds: &mut mpsc::Receiver<Cmd>,
    shutdown: &mut watch::Receiver<()>,
) -> Option<CloseReason>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let cfg = &shared.cfg;
    let mut framer = StreamFramer::new(cfg.limits);
    let mut buf = vec![0u8; READ_CHUNK];
    let mut last_activity = Instant::now();
    let mut keepalive = cfg.keepalive.peers.contains(&peer).then(|| {
        let mut rng = Rng::new(cfg.rng_seed ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        KeepAlive {
            next_ping: last_activity + rng.keepalive_wait(cfg.keepalive.interval),
            rng,
            pong_due: None,
        }
    });
    loop {
        // Kept-alive flows are meant to stay open: no idle timer for them.
        let idle_at = keepalive
            .is_none()
            .then(|| last_activity + cfg.idle_timeout);
        let keepalive_at = keepalive
            .as_ref()
            .map(|k| k.pong_due.unwrap_or(k.next_ping));
        tokio::select! {
            _ = shutdown.changed() => return None,
            read = rd.read(&mut buf) => {
                let n = match read {
                    Ok(0) => return Some(CloseReason::PeerClosed),
                    Ok(n) => n,
                    Err(e) => return Some(CloseReason::io(&e)),
                };
                let buffered = framer.buffered() + n;
                if buffered > cfg.max_buffer {
                    return Some(CloseReason::BufferFull { buffered });
                }
                last_activity = Instant::now();
                framer.push(&buf[..n]);
                loop {
                    match framer.next() {
                        Ok(None) => break,
                        Ok(Some(Frame::Message(data))) => {
                            if shared.events.send(Event::Message { from: peer, data }).await.is_err() {
                                return None;
                            }
                        }
                        // RFC 5626 §3.5.1: answer a double-CRLF ping with a single CRLF.
                        Ok(Some(Frame::KeepAlive)) => {
                            if let Err(reason) = write(wr, PONG, cfg.write_timeout).await {
                                return Some(reason);
                            }
                        }
                        Ok(Some(Frame::Pong)) => {
                            if let Some(k) = keepalive.as_mut() {
                                if k.pong_due.take().is_some() {
                                    let now = Instant::now();
                                    k.next_ping = now + k.rng.keepalive_wait(cfg.keepalive.interval);
                                }
                            }
                        }
                        // RFC 3261 §18.3: the stream is out of step; close it.
                        Err(e) => return Some(CloseReason::Framing(e)),
                    }
                }
            }
            cmd = cmds.recv() => match cmd {
                Some(Cmd::Send(data)) => {
                    if let Err(reason) = write(wr, &data, cfg.write_timeout).await {
                        return Some(reason);
                    }
                    last_activity = Instant::now();
                }
                Some(Cmd::Close) => return Some(CloseReason::Requested),
                // Dropped from the table (replaced or shut down).
                None => return None,
            },
            () = sleep_opt(idle_at) => return Some(CloseReason::Idle),
            () = sleep_opt(keepalive_at) => {
                let k = keepalive.as_mut()?;
                if k.pong_due.is_some() {
                    // RFC 5626 §4.4.1: no pong in time, the flow has failed.
                    return Some(CloseReason::PongTimeout);
                }
                if let Err(reason) = write(wr, PING, cfg.write_timeout).await {
                    return Some(reason);
                }
                k.pong_due = Some(Instant::now() + cfg.keepalive.pong_timeout);
            }
        }
    }
}

/// Accept TCP (or TLS, with `acceptor`) connections until shutdown.
pub(crate) async fn accept_loop(
    shared: Arc<Shared>,
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<()>,
) {
    let kind = if acceptor.is_some() {
        TransportKind::Tls
    } else {
        TransportKind::Tcp
    };
    loop {
        let (tcp, addr) = tokio::select! {
            _ = shutdown.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off a little.
                    tracing::warn!(error = %e, ?kind, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let peer = Peer {
            transport: kind,
            addr,
        };
        let Some(slot) = shared.register(peer) else {
            tracing::warn!(%peer, max = shared.cfg.max_connections, "connection refused: table full");
            continue;
        };
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(%peer, error = %e, "TCP_NODELAY");
        }
        tracing::debug!(%peer, "connection accepted");
        let (sh, sd) = (shared.clone(), shutdown.clone());
        match &acceptor {
            None => {
                tokio::spawn(run(sh, peer, slot, tcp, sd));
            }
            Some(acceptor) => {
                tokio::spawn(handshake_then_run(
                    sh,
                    peer,
                    slot,
                    tcp,
                    acceptor.clone(),
                    sd,
                ));
            }
        }
    }
}

/// Server side of a TLS connection: handshake (bounded by the connect timeout), then run.
async fn handshake_then_run(
    shared: Arc<Shared>,
    peer: Peer,
    slot: Slot,
    tcp: TcpStream,
    acceptor: TlsAcceptor,
    mut shutdown: watch::Receiver<()>,
) {
    let limit = shared.cfg.connect_timeout;
    let result = tokio::select! {
        _ = shutdown.changed() => return,
        r = timeout(limit, acceptor.accept(tcp)) => r,
    };
    match result {
        Ok(Ok(tls)) => run(shared, peer, slot, tls, shutdown).await,
        Ok(Err(e)) => {
            tracing::info!(%peer, error = %e, "TLS handshake failed");
            shared
                .closed(peer, slot.id, CloseReason::Handshake(e.to_string()))
                .await;
        }
        Err(_) => {
            let reason = CloseReason::Handshake("timed out".to_owned());
            shared.closed(peer, slot.id, reason).await;
        }
    }
}

/// Whether a datagram holds nothing but CR and LF (a keep-alive some phones send over
/// UDP; not a message).
pub(crate) fn is_blank(datagram: &[u8]) -> bool {
    datagram.iter().all(|&b| b == b'\r' || b == b'\n')
}

/// Receive datagrams until shutdown.
pub(crate) async fn udp_loop(
    shared: Arc<Shared>,
    socket: Arc<UdpSocket>,
    mut shutdown: watch::Receiver<()>,
) {
    let max = shared.cfg.limits.max_message_size;
    // One byte more than the limit, to see a datagram that is over it.
    let mut buf = vec![0u8; max.min(65_535) + 1];
    loop {
        let (n, addr) = tokio::select! {
            _ = shutdown.changed() => return,
            r = socket.recv_from(&mut buf) => match r {
                Ok(r) => r,
                Err(e) => {
                    tracing::debug!(error = %e, "UDP receive failed");
                    continue;
                }
            },
        };
        let data = &buf[..n];
        if n > max {
            tracing::info!(%addr, size = n, "datagram over the size limit dropped");
            continue;
        }
        if is_blank(data) {
            continue;
        }
        let event = Event::Message {
            from: Peer::udp(addr),
            data: data.to_vec(),
        };
        if shared.events.send(event).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 5626 §3.5.1 keep-alives are for streams; a CRLF-only datagram is no message.
    #[test]
    fn blank_datagrams() {
        assert!(is_blank(b"\r\n\r\n"));
        assert!(is_blank(b"\r\n"));
        assert!(!is_blank(b"OPTIONS sip:a@b SIP/2.0\r\n"));
    }

    fn peer(port: u16) -> Peer {
        Peer {
            transport: TransportKind::Tcp,
            addr: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    // The table is bounded (max_connections), and a closed connection's slot is reused.
    #[test]
    fn table_is_bounded_and_frees_dead_slots() {
        let (tx, _rx) = mpsc::channel(1);
        let shared = Shared::new(
            TransportConfig {
                max_connections: 2,
                ..TransportConfig::default()
            },
            tx,
        );
        let a = shared.register(peer(1)).expect("slot 1");
        let _b = shared.register(peer(2)).expect("slot 2");
        assert!(shared.register(peer(3)).is_none());
        drop(a); // the task of connection 1 ended
        assert!(!shared.is_connected(peer(1)));
        assert!(shared.register(peer(3)).is_some());
        assert_eq!(shared.connection_count(), 2);
    }

    // A message for a dead connection comes back so that a new one can be opened, and a
    // full queue is reported rather than waited on.
    #[test]
    fn queueing_on_dead_and_full_connections() {
        let (tx, _rx) = mpsc::channel(1);
        let shared = Shared::new(
            TransportConfig {
                send_queue: 1,
                ..TransportConfig::default()
            },
            tx,
        );
        let slot = shared.register(peer(1)).expect("slot");
        assert!(matches!(
            shared.try_queue(peer(1), b"one".to_vec()),
            Queued::Yes
        ));
        assert!(matches!(
            shared.try_queue(peer(1), b"two".to_vec()),
            Queued::Full
        ));
        drop(slot);
        match shared.try_queue(peer(1), b"three".to_vec()) {
            Queued::NoConnection(data) => assert_eq!(data, b"three"),
            _ => panic!("a dead connection must give the message back"),
        }
        assert_eq!(shared.connection_count(), 0);
        assert!(matches!(
            shared.try_queue(peer(9), b"x".to_vec()),
            Queued::NoConnection(_)
        ));
    }
}

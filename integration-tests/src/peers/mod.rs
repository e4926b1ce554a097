//! Real SIP peers for tests: Kamailio, SIPp and baresip, started on loopback ports.
//!
//! Each peer gets its own temporary directory (configuration, logs, traces), its own
//! ephemeral ports and its own process group; it is stopped (SIGTERM to the group, then
//! SIGKILL) when its handle is dropped. The directory is deleted then, unless the thread is
//! panicking or `TIPRING_KEEP_PEER_DIRS` is set, in which case its path is printed.
//!
//! Everything binds to 127.0.0.1: SIP, SIPp's media (`-mi`) and control (`-ci`) sockets,
//! Kamailio's listeners, baresip's SIP, RTP and control (`ctrl_tcp`) sockets.

mod baresip;
mod dir;
mod kamailio;
mod process;
mod sipp;
mod tls;

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub use baresip::{
    recording_direction, Baresip, BaresipConfig, BaresipEvent, Codec, EventKind, MediaEncryption,
    RecordingDirection, Registrar,
};
pub(crate) use dir::PeerDir;
pub use kamailio::{DigestAlgorithm, Kamailio, KamailioConfig, Registration};
pub use sipp::{Sipp, SippLogs, SippOutcome, SippProcess};
pub use tls::{options_ping_tls, IssuedCert, TestCa, KAMAILIO_TLS_NAME};

use crate::{Error, Result};

/// The loopback address every peer binds to.
pub const LOOPBACK: [u8; 4] = [127, 0, 0, 1];

/// A SIP transport a peer listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// SIP over UDP (RFC 3261 18.1.1 with retransmissions).
    Udp,
    /// SIP over TCP (stream framing by Content-Length).
    Tcp,
}

impl Transport {
    /// The value of SIPp's `-t` option for one socket per SIPp instance.
    pub fn sipp_mode(self) -> &'static str {
        match self {
            Self::Udp => "u1",
            Self::Tcp => "t1",
        }
    }
}

/// An unused port on 127.0.0.1 for `transport`: bound to port 0, read back, released.
///
/// Another process may take the port between this call and the peer's bind; the peers'
/// `start`/`spawn` detect that ("Address already in use") and retry on a fresh port.
pub fn free_port(transport: Transport) -> Result<u16> {
    let any = SocketAddr::from((LOOPBACK, 0));
    let bound = match transport {
        Transport::Udp => UdpSocket::bind(any).and_then(|s| s.local_addr()),
        Transport::Tcp => TcpListener::bind(any).and_then(|s| s.local_addr()),
    };
    bound
        .map(|addr| addr.port())
        .map_err(|e| Error::io(format!("binding a {transport:?} port on 127.0.0.1"), e))
}

/// An unused port on 127.0.0.1 that is free for both UDP and TCP (Kamailio listens on
/// both with the same number).
pub fn free_port_udp_and_tcp() -> Result<u16> {
    for _ in 0..64 {
        let udp = UdpSocket::bind(SocketAddr::from((LOOPBACK, 0)))
            .map_err(|e| Error::io("binding a UDP port on 127.0.0.1", e))?;
        let port = udp
            .local_addr()
            .map_err(|e| Error::io("reading a bound UDP port", e))?
            .port();
        match TcpListener::bind(SocketAddr::from((LOOPBACK, port))) {
            Ok(_) => return Ok(port),
            Err(e) if e.kind() == ErrorKind::AddrInUse => continue,
            Err(e) => return Err(Error::io(format!("binding TCP port {port}"), e)),
        }
    }
    Err(Error::InvalidConfig(
        "found no port free for both UDP and TCP on 127.0.0.1 in 64 tries".into(),
    ))
}

/// The folder of the SIPp scenario files (`integration-tests/scenarios`).
pub fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// Sends one SIP OPTIONS over UDP from an ephemeral loopback port to `addr` and returns
/// the status line of the first response (e.g. `SIP/2.0 200 OK`).
///
/// Fails with [`Error::Io`] (kind `WouldBlock`/`TimedOut`) when nothing answers within
/// `timeout`; any response counts, even an error status.
pub fn options_ping(addr: SocketAddr, timeout: Duration) -> Result<String> {
    let socket = UdpSocket::bind(SocketAddr::from((LOOPBACK, 0)))
        .map_err(|e| Error::io("binding the OPTIONS probe socket", e))?;
    let local = socket
        .local_addr()
        .map_err(|e| Error::io("reading the probe's address", e))?;
    let request = options_request(addr, local, "UDP", "");
    socket
        .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
        .map_err(|e| Error::io("setting the probe's timeout", e))?;
    socket
        .send_to(request.as_bytes(), addr)
        .map_err(|e| Error::io(format!("sending OPTIONS to {addr}"), e))?;
    let mut buf = [0u8; 4096];
    let (n, _) = socket
        .recv_from(&mut buf)
        .map_err(|e| Error::io(format!("waiting for an answer to OPTIONS from {addr}"), e))?;
    let text = String::from_utf8_lossy(&buf[..n]);
    Ok(text.lines().next().unwrap_or_default().trim().to_owned())
}

/// An OPTIONS request from `local` to `addr` with the mandatory header fields (RFC 3261
/// 8.1.1), a Via for `via_transport` and `uri_params` after the Request-URI's host. Each
/// has its own branch, tag and Call-ID.
fn options_request(
    addr: SocketAddr,
    local: SocketAddr,
    via_transport: &str,
    uri_params: &str,
) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(1);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    format!(
        "OPTIONS sip:{addr}{uri_params} SIP/2.0\r\n\
         Via: SIP/2.0/{via_transport} {local};branch=z9hG4bK-probe-{pid}-{seq};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:probe@{local}>;tag=probe{pid}x{seq}\r\n\
         To: <sip:{addr}>\r\n\
         Call-ID: probe-{pid}-{seq}@127.0.0.1\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

/// The directories searched for tools besides `PATH`: Debian puts `kamailio` and `kamcmd`
/// in /usr/sbin, which is not on a normal user's `PATH`.
const EXTRA_TOOL_DIRS: [&str; 3] = ["/usr/sbin", "/usr/local/sbin", "/sbin"];

/// Where the program `tool` is, or [`Error::MissingTool`] naming its Debian `package`.
pub(crate) fn find_tool(tool: &'static str, package: &'static str) -> Result<PathBuf> {
    let path_dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    path_dirs
        .into_iter()
        .chain(EXTRA_TOOL_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(tool))
        .find(|candidate| candidate.is_file())
        .ok_or(Error::MissingTool { tool, package })
}

/// The harness's one clock: deadlines for peers that run in real time. (The sans-IO cores
/// under test never read a clock; this test harness drives real processes and must.)
#[allow(clippy::disallowed_methods)]
pub(crate) fn now() -> Instant {
    Instant::now()
}

/// The last `lines` lines of a text file, or a note that it could not be read.
pub(crate) fn tail(path: &Path, lines: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("({} unreadable: {e})", path.display()),
    }
}

/// Whether something on this machine listens on 127.0.0.1:`port` (any address for UDP,
/// state LISTEN for TCP), read from /proc/net without binding the port ourselves (binding
/// it would race with the peer that is starting).
pub(crate) fn port_in_use(transport: Transport, port: u16) -> bool {
    let (table, listen_state) = match transport {
        Transport::Udp => ("/proc/net/udp", None),
        Transport::Tcp => ("/proc/net/tcp", Some("0A")),
    };
    let Ok(text) = std::fs::read_to_string(table) else {
        return false;
    };
    proc_net_has_port(&text, port, listen_state)
}

/// Parses a /proc/net/{udp,tcp} table: is there a socket on local port `port` (in state
/// `state`, when given)?
fn proc_net_has_port(table: &str, port: u16, state: Option<&str>) -> bool {
    let wanted = format!("{port:04X}");
    table.lines().skip(1).any(|line| {
        let mut fields = line.split_whitespace();
        let local = fields.nth(1).unwrap_or_default();
        let st = fields.nth(1).unwrap_or_default();
        local.rsplit(':').next() == Some(wanted.as_str()) && state.is_none_or(|s| s == st)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const UDP_TABLE: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  584: 0100007F:62D4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1234 2 0000000000000000 0
";
    const TCP_TABLE: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:62D4 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:9C40 0100007F:62D4 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1
";

    #[test]
    fn proc_net_table_is_read_by_local_port_and_state() {
        // 0x62D4 = 25300
        assert!(proc_net_has_port(UDP_TABLE, 25300, None));
        assert!(!proc_net_has_port(UDP_TABLE, 25301, None));
        assert!(proc_net_has_port(TCP_TABLE, 25300, Some("0A")));
        // 0x9C40 = 40000 is an established connection, not a listener
        assert!(proc_net_has_port(TCP_TABLE, 40000, None));
        assert!(!proc_net_has_port(TCP_TABLE, 40000, Some("0A")));
    }

    #[test]
    fn free_ports_are_bindable_afterwards() {
        let udp = free_port(Transport::Udp).unwrap();
        UdpSocket::bind(SocketAddr::from((LOOPBACK, udp))).unwrap();
        let tcp = free_port(Transport::Tcp).unwrap();
        TcpListener::bind(SocketAddr::from((LOOPBACK, tcp))).unwrap();
        let both = free_port_udp_and_tcp().unwrap();
        let _u = UdpSocket::bind(SocketAddr::from((LOOPBACK, both))).unwrap();
        let _t = TcpListener::bind(SocketAddr::from((LOOPBACK, both))).unwrap();
    }

    #[test]
    fn port_in_use_sees_a_bound_socket() {
        let socket = UdpSocket::bind(SocketAddr::from((LOOPBACK, 0))).unwrap();
        let port = socket.local_addr().unwrap().port();
        assert!(port_in_use(Transport::Udp, port));
        let listener = TcpListener::bind(SocketAddr::from((LOOPBACK, 0))).unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(port_in_use(Transport::Tcp, port));
        drop(listener);
        assert!(!port_in_use(Transport::Tcp, port));
    }

    #[test]
    fn options_ping_reports_silence_as_an_error() {
        // a bound socket that never answers
        let silent = UdpSocket::bind(SocketAddr::from((LOOPBACK, 0))).unwrap();
        let addr = silent.local_addr().unwrap();
        assert!(options_ping(addr, Duration::from_millis(50)).is_err());
    }

    #[test]
    fn options_ping_returns_the_status_line() {
        let server = UdpSocket::bind(SocketAddr::from((LOOPBACK, 0))).unwrap();
        let addr = server.local_addr().unwrap();
        let answer = std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            let (n, from) = server.recv_from(&mut buf).unwrap();
            let request = String::from_utf8_lossy(&buf[..n]).into_owned();
            server
                .send_to(b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", from)
                .unwrap();
            request
        });
        let status = options_ping(addr, Duration::from_secs(2)).unwrap();
        assert_eq!(status, "SIP/2.0 200 OK");
        let request = answer.join().unwrap();
        // RFC 3261 8.1.1: the mandatory header fields of a request
        for header in ["Via:", "Max-Forwards:", "From:", "To:", "Call-ID:", "CSeq:"] {
            assert!(request.contains(header), "{header} missing in {request}");
        }
        assert!(request.starts_with(&format!("OPTIONS sip:{addr} SIP/2.0\r\n")));
    }

    #[test]
    fn missing_tool_names_the_package() {
        let err = find_tool("tipring-no-such-tool", "tipring-no-such-package").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("apt-get install tipring-no-such-package"),
            "{text}"
        );
        assert!(text.contains("ops/install-deps"), "{text}");
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let dir = dir::PeerDir::new("tail-test").unwrap();
        let file = dir.path().join("log");
        std::fs::write(&file, "a\nb\nc\nd\n").unwrap();
        assert_eq!(tail(&file, 2), "c\nd");
        assert_eq!(tail(&file, 10), "a\nb\nc\nd");
        assert!(tail(&dir.path().join("none"), 2).contains("unreadable"));
    }
}

//! The gateway against real SIP peers: `tipring-agent`'s simulated gateway (the same loop
//! as `tipring-agent --sim --sip-server ...`, run in-process on real UDP sockets) registers
//! its ports with Kamailio (over UDP, TCP and TLS), calls between its ports through it,
//! and takes a call from SIPp.

mod admin;
mod console;
mod cwmp;
mod fax;
mod fax_interop;
mod media;
mod reconfig;
mod registrar;
mod services;
mod sip;
mod snmp;
mod tls;
mod uas;
mod zero_touch;

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tipring_agent::sim::{self, Options, SipOptions};
use tokio::io::AsyncWriteExt as _;

thread_local! {
    /// Set while [`Agent::start_media_logged`] starts a gateway.
    static LOG_CAPTURE: std::cell::RefCell<Option<LogBuffer>> = const { std::cell::RefCell::new(None) };
}

/// Log output collected from a gateway.
#[derive(Debug, Clone, Default)]
pub struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl LogBuffer {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A running simulated gateway: commands in, printed lines out.
#[derive(Debug)]
pub struct Agent {
    commands: tokio::io::DuplexStream,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    /// `expect` looks at `seen[from..]` (see [`Agent::mark`]).
    from: usize,
    writer: tokio::runtime::Runtime,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Agent {
    /// Start a gateway with `ports` ports registering with `servers` (passwords `pw-<ext>`,
    /// or `password` for every port when given).
    pub fn start(
        ports: usize,
        servers: Vec<std::net::SocketAddr>,
        domain: &str,
        password: Option<&str>,
    ) -> Self {
        Self::start_on(
            tipring_sip::TransportKind::Udp,
            ports,
            servers,
            domain,
            password,
        )
    }

    /// A gateway that does not register: its calls go straight to `peer` (a SIPp UAS).
    pub fn start_peer_to_peer(ports: usize, peer: std::net::SocketAddr) -> Self {
        let udp = tipring_sip::TransportKind::Udp;
        Self::start_with(udp, None, false, ports, vec![peer], "tipring.test", None)
    }

    /// Like [`Agent::start`], over `transport`.
    pub fn start_on(
        transport: tipring_sip::TransportKind,
        ports: usize,
        servers: Vec<std::net::SocketAddr>,
        domain: &str,
        password: Option<&str>,
    ) -> Self {
        Self::start_with(transport, None, true, ports, servers, domain, password)
    }

    /// Like [`Agent::start`] over TLS: the servers' certificates must chain to a CA in the
    /// PEM file `ca` and carry `server_name` (`SipOptions::tls_ca`, `tls_server_name`).
    pub fn start_tls(
        ports: usize,
        servers: Vec<std::net::SocketAddr>,
        domain: &str,
        ca: &Path,
        server_name: &str,
    ) -> Self {
        let tls = Some((ca, server_name));
        let kind = tipring_sip::TransportKind::Tls;
        Self::start_with(kind, tls, true, ports, servers, domain, None)
    }

    /// A gateway that does not register, with these media options: calls go straight to
    /// `peer` (baresip, SIPp).
    pub fn start_peer_to_peer_media(
        ports: usize,
        peer: std::net::SocketAddr,
        media: tipring_agent::media::MediaOptions,
    ) -> Self {
        let udp = tipring_sip::TransportKind::Udp;
        Self::start_full(
            udp,
            None,
            false,
            ports,
            vec![peer],
            "tipring.test",
            None,
            (media, false),
        )
    }

    fn start_with(
        transport: tipring_sip::TransportKind,
        tls: Option<(&Path, &str)>,
        register: bool,
        ports: usize,
        servers: Vec<std::net::SocketAddr>,
        domain: &str,
        password: Option<&str>,
    ) -> Self {
        Self::start_full(
            transport,
            tls,
            register,
            ports,
            servers,
            domain,
            password,
            (Default::default(), false),
        )
    }

    /// Like [`Agent::start`], with these media options.
    pub fn start_media(
        ports: usize,
        servers: Vec<std::net::SocketAddr>,
        domain: &str,
        media: tipring_agent::media::MediaOptions,
    ) -> Self {
        let udp = tipring_sip::TransportKind::Udp;
        Self::start_full(
            udp,
            None,
            true,
            ports,
            servers,
            domain,
            None,
            (media, false),
        )
    }

    /// Like [`Agent::start`], with a UDP keep-alive every 3 s and SIP timer T1 at 100 ms
    /// (a request gives up after 6.4 s): a dead registrar is found in seconds.
    pub fn start_quick_failover(
        ports: usize,
        servers: Vec<std::net::SocketAddr>,
        domain: &str,
    ) -> Self {
        let udp = tipring_sip::TransportKind::Udp;
        let media = Default::default();
        Self::start_full(udp, None, true, ports, servers, domain, None, (media, true))
    }

    /// A registering gateway whose options `tweak` changes first (extensions, per-port
    /// settings), with these media options.
    pub fn start_tweaked(
        ports: usize,
        servers: Vec<std::net::SocketAddr>,
        domain: &str,
        media: tipring_agent::media::MediaOptions,
        tweak: impl FnOnce(&mut Options),
    ) -> Self {
        let udp = tipring_sip::TransportKind::Udp;
        Self::start_opts(
            udp,
            None,
            true,
            ports,
            servers,
            domain,
            None,
            (media, false),
            tweak,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn start_full(
        transport: tipring_sip::TransportKind,
        tls: Option<(&Path, &str)>,
        register: bool,
        ports: usize,
        servers: Vec<std::net::SocketAddr>,
        domain: &str,
        password: Option<&str>,
        media: (tipring_agent::media::MediaOptions, bool),
    ) -> Self {
        Self::start_opts(
            transport,
            tls,
            register,
            ports,
            servers,
            domain,
            password,
            media,
            |_| {},
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn start_opts(
        transport: tipring_sip::TransportKind,
        tls: Option<(&Path, &str)>,
        register: bool,
        ports: usize,
        servers: Vec<std::net::SocketAddr>,
        domain: &str,
        password: Option<&str>,
        (media, quick): (tipring_agent::media::MediaOptions, bool),
        tweak: impl FnOnce(&mut Options),
    ) -> Self {
        let mut opts = Options::from_args(ports, "us", sim::DEFAULT_DIAL_PLAN, None, None).unwrap();
        opts.status_addr = Some("127.0.0.1:0".parse().unwrap());
        tweak(&mut opts);
        let first = opts.first_extension as usize;
        let secrets = (0..ports)
            .map(|i| {
                let ext = format!("{}", first + i);
                let pw = password
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("pw-{ext}"));
                (ext, pw)
            })
            .collect();
        opts.sip = Some(SipOptions {
            servers,
            domain: domain.to_string(),
            listen: "127.0.0.1:0".parse().unwrap(),
            secrets,
            expires: 300,
            subscribe_mwi: false,
            register,
            transport,
            tls_ca: tls.map(|(ca, _)| ca.to_owned()),
            tls_server_name: tls.map(|(_, name)| name.to_owned()),
            tls_client_cert: None,
            media,
            peers: Vec::new(),
            keepalive: quick.then_some(Duration::from_secs(3)),
            t1: quick.then_some(Duration::from_millis(100)),
        });
        Self::spawn(move |input, out| Box::pin(sim::run_with(opts, input, out, false)))
    }

    /// Like [`Agent::start_media`], with every log record of the gateway (TRACE level,
    /// JSON, as `--log-format json` writes them) collected in the returned buffer.
    pub fn start_media_logged(
        ports: usize,
        servers: Vec<std::net::SocketAddr>,
        domain: &str,
        media: tipring_agent::media::MediaOptions,
    ) -> (Self, LogBuffer) {
        let logs = LogBuffer::default();
        let writer = logs.clone();
        LOG_CAPTURE.with(|c| *c.borrow_mut() = Some(writer));
        let agent = Self::start_media(ports, servers, domain, media);
        LOG_CAPTURE.with(|c| c.borrow_mut().take());
        (agent, logs)
    }

    /// A gateway run from a configuration file kept in `state_dir` (as
    /// `tipring-agent --config FILE --state-dir DIR`), with `reload` and `rollback`.
    pub fn start_config(file: &Path, state_dir: &Path) -> Self {
        let state = state_dir.to_owned();
        let (managed, notes) =
            tipring_agent::managed::Managed::start(Some(file), Some(state_dir)).unwrap();
        let (mut opts, servers) = tipring_agent::config::options(managed.running()).unwrap();
        if let Some(sip) = opts.sip.as_mut() {
            sip.servers = servers.iter().map(|s| s.parse().unwrap()).collect();
        }
        let mut agent = Self::spawn(move |input, out| {
            let boot = tipring_agent::run::Boot {
                managed: Some(managed),
                state_dir: Some(state),
                ..Default::default()
            };
            Box::pin(async move {
                sim::run_managed(opts, boot, input, out, false)
                    .await
                    .map(|_| ())
            })
        });
        agent.seen.extend(notes);
        agent
    }

    /// A whole device (as `tipring-agent --config ... --state-dir ...` runs it): TR-069,
    /// firmware slots, reboots in-process.
    pub fn start_device(args: tipring_agent::device::DeviceArgs) -> Self {
        Self::spawn(move |input, mut out| {
            Box::pin(async move {
                tipring_agent::device::run_device(args, input, &mut *out, false).await
            })
        })
    }

    /// Run `run` (one of the simulator's loops) on a thread of its own.
    fn spawn<F>(run: F) -> Self
    where
        F: FnOnce(
                tokio::io::BufReader<tokio::io::DuplexStream>,
                Box<dyn FnMut(&str)>,
            )
                -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>>>>
            + Send
            + 'static,
    {
        let (commands, input) = tokio::io::duplex(4096);
        let (tx, lines) = mpsc::channel();
        let capture = LOG_CAPTURE.with(|c| c.borrow().clone());
        let thread = std::thread::spawn(move || {
            // The gateway thread's own subscriber: other tests' gateways are not captured.
            // With a single registered dispatcher, tracing-core computes a callsite's
            // interest from the default of whichever thread hits it first (tokio-rs/tracing
            // #3611): another test's gateway thread, with no subscriber, would cache
            // "never" and this gateway's events would vanish. A second, idle dispatcher
            // kept alive for the whole run makes it ask every registered dispatcher.
            static SECOND: std::sync::OnceLock<tracing::Dispatch> = std::sync::OnceLock::new();
            if capture.is_some() {
                SECOND.get_or_init(|| {
                    tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default())
                });
            }
            let _logs = capture.map(|buf| {
                tracing::subscriber::set_default(
                    tracing_subscriber::fmt()
                        .json()
                        .with_max_level(tracing::Level::TRACE)
                        .with_writer(buf)
                        .finish(),
                )
            });
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let input = tokio::io::BufReader::new(input);
            let out_tx = tx.clone();
            let out: Box<dyn FnMut(&str)> =
                Box::new(move |l: &str| drop(out_tx.send(l.to_string())));
            let result = rt.block_on(run(input, out));
            if let Err(e) = result {
                let _ = tx.send(format!("agent error: {e:#}"));
            }
        });
        let writer = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        Self {
            commands,
            lines,
            seen: Vec::new(),
            from: 0,
            writer,
            thread: Some(thread),
        }
    }

    /// Type a command at the prompt.
    pub fn send(&mut self, command: &str) {
        let line = format!("{command}\n");
        self.writer
            .block_on(self.commands.write_all(line.as_bytes()))
            .unwrap();
    }

    /// Wait until a printed line contains every one of `parts`; returns it. Panics with
    /// everything printed so far when `timeout` passes or the gateway stops with an error.
    pub fn expect(&mut self, parts: &[&str], timeout: Duration) -> String {
        let matches = |l: &str| parts.iter().all(|p| l.contains(p));
        if let Some(l) = self.seen[self.from..].iter().find(|l| matches(l)) {
            return l.clone();
        }
        #[allow(clippy::disallowed_methods)] // a real-time test against real processes
        let end = Instant::now() + timeout;
        loop {
            #[allow(clippy::disallowed_methods)]
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if matches(&l) {
                        return l;
                    }
                    // the gateway stopped: nothing more will come
                    if l.starts_with("agent error:") {
                        panic!(
                            "the gateway stopped before a line with {parts:?}; printed:\n{}",
                            self.seen.join("\n")
                        );
                    }
                }
                Err(_) => panic!(
                    "no line with {parts:?} within {timeout:?}; printed:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// GET `path` from the gateway's status endpoint; the body.
    pub fn http_get(&mut self, path: &str) -> String {
        use std::io::{Read as _, Write as _};
        let line = self.expect(&["status on http://"], Duration::from_secs(5));
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap()
            .to_string();
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
        resp.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default()
    }

    /// [`expect`](Self::expect) a line, then look only at the lines printed after it
    /// (those already received included, which [`mark`](Self::mark) would skip).
    pub fn expect_and_mark(&mut self, parts: &[&str], timeout: Duration) -> String {
        let line = self.expect(parts, timeout);
        // Lines printed after it may already be in `seen` (a busy machine): keep them.
        let at = self.seen[self.from..]
            .iter()
            .position(|l| *l == line)
            .map_or(self.seen.len(), |i| self.from + i + 1);
        self.from = at;
        line
    }

    /// Forget what was printed so far: later [`expect`](Self::expect)s look only at what
    /// comes after.
    pub fn mark(&mut self) {
        self.transcript();
        self.from = self.seen.len();
    }

    /// Everything printed so far.
    pub fn transcript(&mut self) -> String {
        while let Ok(l) = self.lines.try_recv() {
            self.seen.push(l);
        }
        self.seen.join("\n")
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.writer.block_on(self.commands.write_all(b"quit\n"));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

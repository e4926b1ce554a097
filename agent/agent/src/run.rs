//! The agent's run loop: the simulated gateway paced by the real clock, its sockets (SIP,
//! RTP, status, connection requests), run-time configuration, and the TR-069 CPE.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::io::AsyncBufReadExt as _;

use tipring_sip::{Peer as SipPeer, TransportKind};

use crate::command::{self, Command};
use crate::media::WallAnchor;
use crate::sim::{wall_clock_now, Gateway, Options, PortOptions, SipOptions, FRAME};

/// Bind the transport the options ask for (on `listen`), with TLS verification and
/// keep-alives toward the servers on stream transports.
async fn open_transports(sip: &SipOptions) -> anyhow::Result<tipring_sip_transport::Transports> {
    use tipring_sip_transport::{certs_from_pem, KeepAliveConfig, TlsConfig, TransportConfig};
    let mut cfg = TransportConfig::default();
    match sip.transport {
        TransportKind::Udp => cfg.udp = Some(sip.listen),
        TransportKind::Tcp => cfg.tcp = Some(sip.listen),
        TransportKind::Tls => {
            // A TLS client only: the gateway opens the connection to the registrar and
            // receives its calls back on it (RFC 3261 §18 connection reuse), so it needs
            // no certificate of its own. A listener (with a gateway certificate) can come
            // with the configuration file.
            let mut tls = TlsConfig::default();
            if let Some(path) = &sip.tls_ca {
                let pem = std::fs::read(path)
                    .with_context(|| format!("--sip-tls-ca: cannot read {}", path.display()))?;
                tls.ca_certs = certs_from_pem(&pem).context("--sip-tls-ca")?;
            }
            tls.default_server_name = sip.tls_server_name.clone();
            if let Some((cert, key)) = &sip.tls_client_cert {
                let read = |p: &std::path::PathBuf| {
                    std::fs::read(p).with_context(|| {
                        format!("--sip-tls-cert/--sip-tls-key: cannot read {}", p.display())
                    })
                };
                let identity = tipring_sip_transport::Identity::from_pem(&read(cert)?, &read(key)?)
                    .context("--sip-tls-cert/--sip-tls-key")?;
                tls.identity = Some(identity);
            }
            cfg.tls_config = Some(tls);
        }
    }
    if sip.transport != TransportKind::Udp {
        cfg.keepalive = KeepAliveConfig {
            peers: sip
                .servers
                .iter()
                .map(|a| SipPeer {
                    transport: sip.transport,
                    addr: *a,
                })
                .collect(),
            ..KeepAliveConfig::default()
        };
    }
    tipring_sip_transport::Transports::bind(cfg)
        .await
        .with_context(|| format!("--sip-listen: cannot bind {}", sip.listen))
}

/// 32 bytes of seed for the SIP identifiers, SRTP keys and media SSRCs: from the kernel's
/// CSPRNG (`/dev/urandom`), or failing that hashed from the process's random hasher keys
/// and the clock (the binary owns both; the cores only ever see the seed).
#[allow(clippy::disallowed_methods)]
pub fn os_seed() -> [u8; 32] {
    use std::hash::{BuildHasher, Hasher};
    use std::io::Read as _;
    let mut seed = [0u8; 32];
    // The kernel's CSPRNG: SRTP master keys come from this seed.
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .is_ok()
    {
        return seed;
    }
    tracing::warn!("no /dev/urandom: seeding from the hasher's random keys");
    for (i, chunk) in seed.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    seed
}

/// Run the simulated gateway in real time, reading commands from stdin until `quit` or
/// end of input, printing to stdout.
pub async fn run(opts: Options, interactive: bool) -> anyhow::Result<()> {
    let stdin = tokio::io::BufReader::new(tokio::io::stdin());
    let print = |line: &str| {
        if interactive {
            // Clear the prompt line before printing over it.
            print!("\r\x1b[K");
        }
        println!("{line}");
    };
    run_with(opts, stdin, print, interactive).await
}

/// Run the device the arguments describe (configuration file and/or state directory),
/// with the prompt on stdin/stdout, rebooting in-process when the ACS asks.
pub async fn run_config(args: crate::device::DeviceArgs, interactive: bool) -> anyhow::Result<()> {
    let stdin = tokio::io::BufReader::new(tokio::io::stdin());
    let mut print = |line: &str| {
        if interactive {
            print!("\r\x1b[K");
        }
        crate::logbuf::push(line);
        println!("{line}");
    };
    crate::device::run_device(args, stdin, &mut print, interactive).await
}

/// Run the simulated gateway in real time with commands read from `input` and every
/// output line handed to `out` (tests drive it this way). Returns at `quit` or the end of
/// `input`.
pub async fn run_with(
    opts: Options,
    input: impl tokio::io::AsyncBufRead + Unpin,
    out: impl FnMut(&str),
    interactive: bool,
) -> anyhow::Result<()> {
    run_managed(opts, Boot::default(), input, out, interactive)
        .await
        .map(|_| ())
}

/// The SIP side's sockets: the SIP transport, the ports' RTP/RTCP pairs and the tasks
/// reading them.
struct SipStack {
    transports: tipring_sip_transport::Transports,
    /// The address SIP is advertised on (a packet capture's local end).
    sip_local: SocketAddr,
    rtp: Vec<crate::media::PortSockets>,
    arrivals: tokio::sync::mpsc::Receiver<crate::media::Arrival>,
    receivers: Vec<tokio::task::JoinHandle<()>>,
}

/// Bind the SIP transport and the RTP ports, and put every port on SIP.
#[allow(clippy::disallowed_methods)] // the binary side owns the one real clock
async fn start_sip(
    gw: &mut Gateway,
    sip: &SipOptions,
    now: Instant,
    out: &mut impl FnMut(&str),
) -> anyhow::Result<SipStack> {
    let t = open_transports(sip).await?;
    // A TLS client has no listener: advertise the configured address until the
    // registrar tells us (Via received/rport) where it sees us.
    let local = t.local_addr(sip.transport).unwrap_or(sip.listen);
    let transport = sip.transport.via_token().to_ascii_lowercase();
    if sip.register {
        out(&format!(
            "SIP on {transport}:{local}, registering {} ports with {:?}",
            gw.ports(),
            sip.servers
        ));
    } else {
        out(&format!(
            "SIP on {transport}:{local}, not registering (peer-to-peer: {})",
            sip.peers
                .iter()
                .map(|p| format!("{}… at {}", p.prefix, p.addr))
                .chain(sip.servers.iter().map(|s| format!("others via {s}")))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let rtp = crate::media::bind_ports(local.ip(), 2 * gw.ports(), sip.media.rtp_port_base).await?;
    let rtp_ports: Vec<u16> = rtp.iter().map(|s| s.rtp_port()).collect();
    out(&format!(
        "RTP on ports {rtp_ports:?} (two per FXS port: its first and second call; RTCP on the next port)"
    ));
    let anchor = WallAnchor {
        at: now,
        unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default(),
    };
    gw.enable_sip(now, sip, local, os_seed(), &rtp_ports, anchor);
    let (arrivals, receivers) = crate::media::spawn_receivers(&rtp);
    Ok(SipStack {
        sip_local: local,
        transports: t,
        rtp,
        arrivals,
        receivers,
    })
}

/// Remove the ports' bindings (expires=0, waiting at most 2 s), then close every socket.
async fn stop_sip(gw: &mut Gateway, mut stack: SipStack, now: Instant) {
    let t = &mut stack.transports;
    gw.unregister_all(now);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while !gw.all_unregistered() {
        for (to, data) in gw.take_outbox() {
            let _ = t.send(to, data).await;
        }
        match tokio::time::timeout_at(deadline, t.recv()).await {
            Ok(tipring_sip_transport::Event::Message { from, data }) => {
                let _ = gw.sip_receive(now, from, &data);
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    for (to, data) in gw.take_outbox() {
        let _ = t.send(to, data).await;
    }
    for r in &stack.receivers {
        r.abort();
    }
    for r in stack.receivers.drain(..) {
        let _ = r.await;
    }
}

/// Start the status endpoint on `addr`; `None` (and a line saying why) if it cannot bind.
async fn start_status(
    addr: SocketAddr,
    first: tipring_status::GatewayStatus,
    out: &mut impl FnMut(&str),
) -> Option<(
    tokio::sync::watch::Sender<std::sync::Arc<tipring_status::GatewayStatus>>,
    tokio::task::JoinHandle<()>,
)> {
    match tipring_status::StatusServer::bind(addr).await {
        Ok(server) => {
            let bound = server.local_addr().unwrap_or(addr);
            out(&format!(
                "status on http://{bound}/status (Prometheus metrics: /metrics)"
            ));
            let (tx, rx) = tokio::sync::watch::channel(std::sync::Arc::new(first));
            Some((tx, tokio::spawn(server.run(rx))))
        }
        Err(e) => {
            // The gateway's calls matter more than its status page.
            tracing::error!(%addr, error = %e, "status endpoint not started");
            out(&format!("status endpoint not started on {addr}: {e}"));
            None
        }
    }
}

/// Where the admin pages' changes and actions go, their access gate, and what their
/// gateway side needs (the same at every (re)start of the pages).
#[derive(Clone)]
struct AdminLinks {
    sets: tokio::sync::mpsc::UnboundedSender<crate::snmp::ConfigSet>,
    actions: tokio::sync::mpsc::UnboundedSender<tipring_admin::Action>,
    gates: std::sync::Arc<crate::access::Gates>,
    state_dir: Option<std::path::PathBuf>,
    firmware: Option<crate::admin::FirmwareBoot>,
    has_runner: bool,
}

/// The admin pages of `cfg` with their gateway side, or `None` (and a line saying why).
async fn open_admin(
    cfg: &tipring_config::AdminPages,
    links: &AdminLinks,
    managed: &Option<crate::managed::Managed>,
    status: std::sync::Arc<tipring_status::GatewayStatus>,
    now: Instant,
    out: &mut impl FnMut(&str),
) -> Option<(crate::admin::AdminSide, tokio::task::JoinHandle<()>)> {
    let name = managed
        .as_ref()
        .map(|m| m.running().device.name.clone())
        .unwrap_or_default();
    let first = tipring_admin::View {
        status,
        config: managed
            .as_ref()
            .map(|m| std::sync::Arc::new(m.running().clone())),
        version: managed.as_ref().map_or(0, |m| m.version()),
        device: std::sync::Arc::default(),
    };
    let (tx, task) = start_admin(cfg, &name, first, links, out).await?;
    let side =
        crate::admin::AdminSide::new(tx, &name, links.firmware.clone(), now, links.has_runner);
    Some((side, task))
}

/// Start the HTTPS admin pages; `None` (and a line saying why) if they cannot start. On
/// first start the admin password is made and printed here, once, on the console only.
async fn start_admin(
    cfg: &tipring_config::AdminPages,
    device: &str,
    first: tipring_admin::View,
    links: &AdminLinks,
    out: &mut impl FnMut(&str),
) -> Option<(
    tokio::sync::watch::Sender<tipring_admin::View>,
    tokio::task::JoinHandle<()>,
)> {
    let AdminLinks {
        sets,
        actions,
        gates,
        state_dir,
        ..
    } = links.clone();
    let dir = state_dir.as_deref();
    let started = async {
        let addr: SocketAddr = cfg.listen.parse().context("management.admin.listen")?;
        let store: Box<dyn tipring_admin::CredentialStore> = match dir {
            Some(d) => Box::new(tipring_admin::FileStore::new(d)),
            None => Box::new(tipring_admin::MemoryStore::default()),
        };
        let (mut admin, password) = tipring_admin::Admin::open(device, store)?;
        admin.set_log_source(crate::logbuf::recent);
        let files = match (&cfg.cert_file, &cfg.key_file) {
            (Some(c), Some(k)) => Some(tipring_admin::tls::CertFiles {
                cert: c.into(),
                key: k.into(),
            }),
            _ => None,
        };
        let mut names = vec!["localhost".to_string()];
        if !device.is_empty()
            && device
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            names.insert(0, device.to_string());
        }
        if !addr.ip().is_unspecified() {
            names.push(addr.ip().to_string());
        }
        let (tls, fingerprint) = tipring_admin::tls::server_config(files.as_ref(), dir, &names)?;
        let server = tipring_admin::AdminServer::bind(addr, tls, admin)
            .await?
            .with_access(std::sync::Arc::new(move |ip| {
                gates.allow(crate::access::Service::Admin, ip)
            }));
        let bound = server.local_addr().unwrap_or(addr);
        anyhow::Ok((server, bound, fingerprint, password))
    };
    match started.await {
        Ok((server, bound, fingerprint, password)) => {
            out(&format!(
                "admin pages on https://{bound}/ (certificate SHA-256 {fingerprint})"
            ));
            if let Some(pw) = password {
                // The console only: never a log record.
                out(&format!(
                    "admin pages: {} `admin`: {pw} (shown once; change it on the Password page)",
                    crate::logbuf::CONSOLE_ONLY
                ));
            }
            let (tx, rx) = tokio::sync::watch::channel(first);
            // The pages' changes go the way SNMP Sets go: stored, a new version, applied.
            let (apply_tx, mut apply_rx) = tokio::sync::mpsc::unbounded_channel::<(
                tipring_config::GatewayConfig,
                String,
                tokio::sync::oneshot::Sender<Result<u64, String>>,
            )>();
            tokio::spawn(async move {
                while let Some((config, what, answer)) = apply_rx.recv().await {
                    let (reply, result) = std::sync::mpsc::sync_channel(1);
                    let set = crate::snmp::ConfigSet {
                        config,
                        what: format!("admin pages: {what}"),
                        reply,
                    };
                    if sets.send(set).is_err() {
                        let _ = answer.send(Err("the gateway is stopping".into()));
                        continue;
                    }
                    let r = tokio::task::spawn_blocking(move || {
                        result
                            .recv_timeout(std::time::Duration::from_secs(15))
                            .unwrap_or_else(|_| Err("no answer from the gateway".into()))
                    })
                    .await
                    .unwrap_or_else(|_| Err("no answer from the gateway".into()));
                    let _ = answer.send(r);
                }
            });
            let task = tokio::spawn(server.run(rx, Some(apply_tx), Some(actions)));
            Some((tx, task))
        }
        Err(e) => {
            tracing::error!(error = %e, "admin pages not started");
            out(&format!("admin pages not started: {e:#}"));
            None
        }
    }
}

/// A configuration change accepted but waiting: the SIP stack restarts once no call is up.
struct PendingSip(SipOptions);

/// What one boot of the gateway starts with, beyond its options.
#[derive(Debug, Default)]
pub struct Boot {
    /// Run-time configuration (`reload`, `rollback`, the ACS's changes).
    pub managed: Option<crate::managed::Managed>,
    /// The TR-069 CPE, when the configuration has `management.cwmp`.
    pub cwmp: Option<crate::cwmp::RunnerSettings>,
    /// What the CPE carried over an in-process reboot (no state directory).
    pub memory: crate::cwmp::Memory,
    /// The SNMP agent's start (it runs when the configuration has `management.snmp`).
    pub snmp: Option<SnmpBoot>,
    /// The state directory (the admin pages keep their credential and certificate there).
    pub state_dir: Option<std::path::PathBuf>,
    /// Where firmware uploaded from the admin pages goes (None: no slots directory).
    pub firmware: Option<crate::admin::FirmwareBoot>,
}

/// What the SNMP agent needs from the device at a boot.
#[derive(Debug, Clone, Default)]
pub struct SnmpBoot {
    /// The state directory (engine ID and boots).
    pub dir: Option<std::path::PathBuf>,
    /// What the device is.
    pub info: crate::snmp::views::DeviceInfo,
    /// Not the first boot of this process (warmStart).
    pub warm: bool,
}

/// How a boot ended.
#[derive(Debug)]
pub enum RunEnd {
    /// `quit` or the end of the input.
    Quit,
    /// The ACS asked for a reboot (a firmware upgrade, a Reboot RPC) or a factory reset.
    Reboot {
        /// The CPE's state to carry over.
        memory: Box<crate::cwmp::Memory>,
        /// Erase the configuration and the CPE's state first.
        factory_reset: bool,
    },
}

/// Run the gateway as [`run_with`] does, with run-time configuration from `boot.managed`
/// (the `reload`, `rollback` and `version` commands, and SIGHUP in the binary, apply a new
/// document to what changed only) and the TR-069 CPE. Returns how the boot ended and the
/// input, for the next boot.
#[allow(clippy::disallowed_methods)] // the binary side owns the one real clock
pub async fn run_managed<R: tokio::io::AsyncBufRead + Unpin>(
    mut opts: Options,
    boot: Boot,
    input: R,
    mut out: impl FnMut(&str),
    interactive: bool,
) -> anyhow::Result<(RunEnd, R)> {
    let mut managed = boot.managed;
    let mut end = RunEnd::Quit;
    let start = Instant::now();
    let mut gw = Gateway::new(&opts, start, Box::new(wall_clock_now))?;
    out(&format!(
        "Tipring simulated gateway: {} FXS ports, tone plan {} ({}), dial plan {}",
        gw.ports(),
        opts.line.tone_plan.code,
        opts.line.tone_plan.name,
        opts.line.dial_plan
    ));
    out(&format!(
        "Ports call each other by extension (port 1 = {}). Type `help` for the commands.",
        gw.extension(0)
    ));
    let prompt = || {
        if interactive {
            use std::io::Write as _;
            print!("tipring> ");
            let _ = std::io::stdout().flush();
        }
    };
    prompt();
    let mut stack = match &opts.sip {
        Some(sip) => Some(start_sip(&mut gw, sip, start, &mut out).await?),
        None => None,
    };
    let status_of = |gw: &Gateway, now: Instant, managed: &Option<crate::managed::Managed>| {
        let mut st = gw.status(now, now - start);
        st.config_version = managed.as_ref().map(|m| m.version().to_string());
        std::sync::Arc::new(st)
    };
    let mut status = match opts.status_addr {
        Some(addr) => {
            let first = (*status_of(&gw, start, &managed)).clone();
            start_status(addr, first, &mut out).await
        }
        None => None,
    };
    let feed_of = |snapshot: &std::sync::Arc<tipring_status::GatewayStatus>,
                   managed: &Option<crate::managed::Managed>,
                   refused: &Option<String>| {
        std::sync::Arc::new(crate::snmp::Feed {
            status: std::sync::Arc::clone(snapshot),
            config: std::sync::Arc::new(managed.as_ref().map_or_else(
                || tipring_config::GatewayConfig::example(0),
                |m| m.running().clone(),
            )),
            config_version: managed.as_ref().map_or(0, |m| m.version()),
            config_refused: refused.clone(),
        })
    };
    let mut refused: Option<String> = None;
    let snmp_boot = boot.snmp.clone();
    // SNMP Sets of writable objects come here to be stored and applied.
    let (set_tx, mut set_rx) = tokio::sync::mpsc::unbounded_channel::<crate::snmp::ConfigSet>();
    // The admin pages' maintenance actions (restart, factory reset).
    let (admin_tx, mut admin_rx) = tokio::sync::mpsc::unbounded_channel::<tipring_admin::Action>();
    // Management access control: the gates of the admin pages, SNMP and connection
    // requests, and the SIP front door (the SIP servers exempt).
    let access_of = |managed: &Option<crate::managed::Managed>| {
        managed
            .as_ref()
            .map(|m| m.running().management.access.clone())
            .unwrap_or_default()
    };
    // The SIP servers and the peer gateways (survivability) are always let in.
    let servers_of = |opts: &Options| -> Vec<std::net::IpAddr> {
        opts.sip
            .as_ref()
            .map(|s| {
                s.servers
                    .iter()
                    .map(SocketAddr::ip)
                    .chain(s.peers.iter().map(|p| p.addr.ip()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let gates = std::sync::Arc::new(crate::access::Gates::new(&access_of(&managed)));
    let mut sip_door = crate::access::SipDoor::new(&access_of(&managed), servers_of(&opts));
    let has_runner = boot.cwmp.is_some();
    let admin_links = AdminLinks {
        sets: set_tx.clone(),
        actions: admin_tx.clone(),
        gates: std::sync::Arc::clone(&gates),
        state_dir: boot.state_dir.clone(),
        firmware: boot.firmware.clone(),
        has_runner,
    };
    let admin_cfg = |managed: &Option<crate::managed::Managed>| {
        managed
            .as_ref()
            .and_then(|m| m.running().management.admin.clone())
    };
    let (mut admin, mut admin_task) = match admin_cfg(&managed) {
        Some(cfg) => {
            let st = status_of(&gw, start, &managed);
            match open_admin(&cfg, &admin_links, &managed, st, start, &mut out).await {
                Some((side, task)) => (Some(side), Some(task)),
                None => (None, None),
            }
        }
        None => (None, None),
    };
    // A changed `management.admin`: the pages move (after a moment, so the answer to the
    // change reaches the browser first) once the old server has let go of its socket.
    let mut admin_move: Option<(Instant, Option<tipring_config::AdminPages>)> = None;

    let start_snmp = |managed: &Option<crate::managed::Managed>,
                      gw: &Gateway,
                      now: Instant,
                      refused: &Option<String>,
                      out: &mut dyn FnMut(&str)| {
        let (Some(b), Some(m)) = (snmp_boot.as_ref(), managed.as_ref()) else {
            return None;
        };
        m.running().management.snmp.as_ref()?;
        let settings = crate::snmp::SnmpSettings {
            dir: b.dir.clone(),
            info: b.info.clone(),
            warm: b.warm,
            start,
            seed: u64::from_le_bytes(crate::sim::os_seed()[..8].try_into().expect("8 bytes")),
            access: Some(std::sync::Arc::clone(&gates)),
        };
        let feed = feed_of(&status_of(gw, now, managed), managed, refused);
        match crate::snmp::SnmpAgent::start(settings, feed, Some(set_tx.clone())) {
            Ok(a) => {
                out(&format!("SNMP agent on udp {}", a.local_addr()));
                Some(a)
            }
            Err(e) => {
                out(&format!("SNMP agent not started: {e:#}"));
                None
            }
        }
    };
    let mut snmp = start_snmp(&managed, &gw, start, &refused, &mut out);
    let mut runner = match (boot.cwmp, managed.as_ref()) {
        (Some(mut settings), Some(m)) => {
            settings.access = Some(std::sync::Arc::clone(&gates));
            match crate::cwmp::CwmpRunner::start(m.running(), settings, boot.memory, start).await {
                Ok(mut r) => {
                    r.take_notes().iter().for_each(|l| out(l));
                    // What a support bundle uploaded before the first refresh shows.
                    r.live_state(&status_of(&gw, start, &managed));
                    r.set_config_version(m.version());
                    out(&format!(
                        "TR-069: {}{}",
                        match r.acs() {
                            Some((url, origin)) => format!("ACS {url} ({origin})"),
                            None => "no ACS URL yet (waiting for DHCP)".into(),
                        },
                        match r.connection_request_url() {
                            "" => String::new(),
                            u => format!(", connection requests at {u}"),
                        }
                    ));
                    Some(r)
                }
                Err(e) => {
                    out(&format!("TR-069 not started: {e:#}"));
                    None
                }
            }
        }
        _ => None,
    };
    let mut pending_sip: Option<PendingSip> = None;
    let mut lines = input.lines();
    let mut ticker = tokio::time::interval(FRAME);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut frames: u32 = 0;
    let mut now = start;
    let mut resume_at = start;
    #[cfg(unix)]
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    // SIGTERM (systemd's stop) ends the run as `quit` does: registrations removed first.
    #[cfg(unix)]
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    loop {
        if let Some(st) = stack.as_ref() {
            for (to, data) in gw.take_outbox() {
                tracing::trace!(%to, bytes = data.len(), start = first_line(&data), "SIP sent");
                if let Some(a) = admin.as_mut().filter(|a| a.capturing()) {
                    let local = st
                        .transports
                        .local_addr(to.transport)
                        .unwrap_or(st.sip_local);
                    a.record(sip_proto(to.transport), local, to.addr, &data);
                }
                if let Err(e) = st.transports.send(to, data).await {
                    tracing::warn!(%to, error = %e, "SIP send failed");
                    if e.is_transport_failure() {
                        gw.sip_transport_error(now, to).iter().for_each(|l| out(l));
                    }
                }
            }
            for (port, channel, to, data) in gw.take_media_out() {
                if let Some(s) = st.rtp.get(port) {
                    s.send(channel, to, &data);
                    if let Some(a) = admin.as_mut().filter(|a| a.capturing()) {
                        if let Some(local) = s.local(channel) {
                            a.record(tipring_pcap::Proto::Udp, local, to, &data);
                        }
                    }
                }
            }
        } else {
            gw.take_media_out();
        }
        if pending_sip.is_some() && !gw.busy() {
            let PendingSip(sip) = pending_sip.take().expect("checked");
            out("restarting SIP with the new settings");
            if let Some(old) = stack.take() {
                stop_sip(&mut gw, old, now).await;
            }
            stack = match start_sip(&mut gw, &sip, now, &mut out).await {
                Ok(s) => Some(s),
                Err(e) => {
                    out(&format!("SIP not restarted: {e:#}"));
                    None
                }
            };
            opts.sip = Some(sip);
        }
        let mut reconfig: Option<bool> = None; // Some(rollback)
        let mut todo: Vec<crate::cwmp::Todo> = Vec::new();
        let mut snmp_set: Option<crate::snmp::ConfigSet> = None;
        // A change typed at the prompt (the ProvisioningCode): stored like any other.
        let mut local_set: Option<tipring_config::GatewayConfig> = None;
        let (mut arrivals, mut transports) = match stack.as_mut() {
            Some(s) => (Some(&mut s.arrivals), Some(&mut s.transports)),
            None => (None, None),
        };
        tokio::select! {
            Some(a) = async { arrivals.as_mut().expect("guarded").recv().await }, if arrivals.is_some() => {
                if let (Some(ad), Some(st)) = (admin.as_mut().filter(|ad| ad.capturing()), stack.as_ref()) {
                    if let Some(local) = st.rtp.get(a.port).and_then(|s| s.local(a.channel)) {
                        ad.record(tipring_pcap::Proto::Udp, a.from, local, &a.data);
                    }
                }
                gw.media_receive(now, a.port, a.channel, a.from, &a.data);
            }
            _ = ticker.tick() => {
                frames += 1;
                now = start + FRAME * frames;
                let printed = gw.tick(now);
                if frames.is_multiple_of(100) {
                    let mut snapshot = status_of(&gw, now, &managed);
                    let access = access_of(&managed);
                    let mut counters = gates.counters(&access);
                    counters.insert(0, sip_door.counters());
                    std::sync::Arc::make_mut(&mut snapshot).access = counters.clone();
                    // Every port that registers is registered (a new image's health check).
                    let registers = managed.as_ref().is_some_and(|m| {
                        m.running().sip.register && !m.running().sip.servers.is_empty()
                    });
                    let registered = !registers
                        || snapshot.ports.iter().filter(|p| !p.disabled).all(|p| {
                            p.registration.state == tipring_status::RegistrationState::Registered
                        });
                    if let Some((tx, _)) = &status {
                        tx.send_replace(std::sync::Arc::clone(&snapshot));
                    }
                    if let Some(a) = admin.as_mut() {
                        let acs = runner.as_ref().map(|r| {
                            r.acs_view(managed.as_ref().and_then(|m| m.running().management.cwmp.as_ref()).map_or(3600, |c| c.periodic_inform_interval_s))
                        });
                        let toward = opts.sip.as_ref().and_then(|s| s.servers.first().copied());
                        todo.extend(a.refresh(now, acs, counters, toward, registered));
                        a.publish(
                            std::sync::Arc::clone(&snapshot),
                            managed.as_ref().map(|m| std::sync::Arc::new(m.running().clone())),
                            managed.as_ref().map_or(0, |m| m.version()),
                        );
                    }
                    if let Some(a) = &snmp {
                        a.update(feed_of(&snapshot, &managed, &refused));
                    }
                    if let Some(r) = runner.as_mut() {
                        todo.extend(r.poll_dhcp(now, &mut managed));
                        let live = r.live_state(&snapshot);
                        todo.extend(r.refresh(live, now, &mut managed));
                        todo.extend(r.firmware_health(registered, now));
                    }
                }
                printed.iter().for_each(|l| out(l));
                if !printed.is_empty() {
                    prompt();
                }
                if let Some(a) = admin.as_mut() {
                    todo.extend(a.poll(now, &mut gw).await);
                }
                if admin_move.as_ref().is_some_and(|(at, _)| now >= *at) {
                    // Dropping the side drops the view's sender: the old server stops.
                    admin = None;
                    let late = admin_move.as_ref().is_some_and(|(at, _)| now >= *at + Duration::from_secs(5));
                    if let Some(t) = admin_task.as_ref().filter(|t| !t.is_finished() && late) {
                        t.abort();
                    }
                    if admin_task.as_ref().is_none_or(|t| t.is_finished()) {
                        admin_task = None;
                        let (_, cfg) = admin_move.take().expect("checked");
                        match cfg {
                            Some(cfg) => {
                                let st = status_of(&gw, now, &managed);
                                if let Some((side, task)) = open_admin(&cfg, &admin_links, &managed, st, now, &mut out).await {
                                    admin = Some(side);
                                    admin_task = Some(task);
                                }
                            }
                            None => out("admin pages off"),
                        }
                    }
                }
            }
            ev = async { transports.as_mut().expect("guarded").recv().await }, if transports.is_some() => {
                match ev {
                    tipring_sip_transport::Event::Message { from, data } => {
                        if !sip_door.admit(from.addr, &data, now) {
                            // Dropped unanswered; a stream from a dropped source is closed.
                            if from.transport != tipring_sip::TransportKind::Udp {
                                if let Some(t) = transports.as_ref() {
                                    t.close(from);
                                }
                            }
                        } else {
                            tracing::trace!(%from, bytes = data.len(), start = first_line(&data), "SIP received");
                            if let (Some(a), Some(t)) = (admin.as_mut().filter(|a| a.capturing()), transports.as_ref()) {
                                let local = t.local_addr(from.transport).unwrap_or(from.addr);
                                a.record(sip_proto(from.transport), from.addr, local, &data);
                            }
                            gw.sip_receive(now, from, &data).iter().for_each(|l| out(l));
                        }
                    }
                    tipring_sip_transport::Event::Closed { peer, reason } => {
                        tracing::info!(%peer, ?reason, "SIP connection closed");
                    }
                    _ => {}
                }
            }
            what = async { runner.as_mut().expect("guarded").next().await }, if runner.is_some() => {
                let r = runner.as_mut().expect("guarded");
                todo.extend(r.handle(what, now, &mut managed).await);
            }
            Some(set) = set_rx.recv() => snmp_set = Some(set),
            Some(action) = admin_rx.recv() => {
                out(&format!("admin pages: {action:?}"));
                if let Some(a) = admin.as_mut() {
                    todo.extend(a.act(now, action, &mut gw));
                }
            }
            Some(()) = async { terminate.as_mut().expect("guarded").recv().await }, if terminate.is_some() => {
                out("SIGTERM: stopping");
                break;
            }
            Some(()) = async { hangup.as_mut().expect("guarded").recv().await }, if hangup.is_some() => {
                out("SIGHUP: reading the configuration (and the DHCP options) again");
                if let Some(r) = runner.as_mut() {
                    todo.extend(r.poll_dhcp(now, &mut managed));
                }
                reconfig = Some(false);
            }
            line = lines.next_line(), if now >= resume_at => {
                let Some(line) = line.context("reading commands")? else { break };
                match command::parse(&line, gw.ports()) {
                    Ok(Command::Quit) => break,
                    Ok(Command::Sleep(d)) => resume_at = now + d,
                    Ok(Command::Reload) if managed.is_some() => reconfig = Some(false),
                    Ok(Command::Rollback) if managed.is_some() => reconfig = Some(true),
                    Ok(Command::Version) if managed.is_some() => {
                        let m = managed.as_ref().expect("guarded");
                        out(&format!("configuration version {}", m.version()));
                    }
                    Ok(Command::ProvisioningCode(code)) if managed.is_some() => {
                        let m = managed.as_ref().expect("guarded");
                        let mut new = m.running().clone();
                        new.management.provisioning_code = code;
                        local_set = Some(new);
                    }
                    Ok(cmd) => match gw.command(now, cmd) {
                        Ok(printed) => printed.iter().for_each(|l| out(l)),
                        Err(e) => out(&format!("error: {e}")),
                    },
                    Err(e) => out(&format!("error: {e}")),
                }
                prompt();
            }
        }
        let mut acs_change: Option<(tipring_config::GatewayConfig, tipring_config::ConfigChange)> =
            None;
        for t in todo {
            match t {
                crate::cwmp::Todo::Say(l) => out(&l),
                crate::cwmp::Todo::Apply(cfg, change) => acs_change = Some((*cfg, change)),
                crate::cwmp::Todo::Reboot | crate::cwmp::Todo::FactoryReset => {
                    let factory_reset = matches!(t, crate::cwmp::Todo::FactoryReset);
                    out(if factory_reset {
                        "factory reset, then reboot"
                    } else {
                        "rebooting"
                    });
                    end = RunEnd::Reboot {
                        memory: Box::new(runner.as_ref().map(|r| r.memory()).unwrap_or_default()),
                        factory_reset,
                    };
                }
            }
        }
        if matches!(end, RunEnd::Reboot { .. }) {
            break;
        }
        // The SNMP thread waits for this before it answers the manager's Set; it is sent
        // once the new feed is on its way, so a Get right after sees the new values.
        let set_reply = snmp_set.as_ref().map(|s| s.reply.clone());
        let admin_before = admin_cfg(&managed);
        let outcome = match (reconfig, managed.as_mut(), acs_change, snmp_set) {
            (_, Some(m), None, None) if local_set.is_some() => {
                let new = local_set.take().expect("guarded");
                out(&format!(
                    "ProvisioningCode {}",
                    match new.management.provisioning_code.as_str() {
                        "" => "cleared".to_string(),
                        c => format!("`{c}` set on the gateway"),
                    }
                ));
                commit_new(&mut gw, m, new, false, now).await
            }
            (_, Some(m), Some((cfg, change)), _) => {
                out(&format!(
                    "TR-069: configuration version {} from the ACS",
                    m.version()
                ));
                apply_change(&mut gw, m, cfg, change, now, false)
                    .await
                    .map(Some)
            }
            (_, Some(m), None, Some(set)) => {
                if set.what.starts_with("admin pages:") {
                    out(&set.what);
                } else {
                    out(&format!("SNMP: {} set by a manager", set.what));
                }
                commit_new(&mut gw, m, set.config, false, now).await
            }
            (Some(rollback), Some(m), None, None) => reconfigure(&mut gw, m, rollback, now).await,
            _ => {
                if let Some(r) = set_reply {
                    let _ = r.send(Err("no configuration store".into()));
                }
                continue;
            }
        };
        let set_result = match &outcome {
            Ok(_) => Ok(managed.as_ref().map_or(0, |m| m.version())),
            Err(e) => Err(format!("{e:#}")),
        };
        if let (Some(r), true) = (runner.as_mut(), matches!(outcome, Ok(Some(_)))) {
            if let Some(running) = managed.as_ref().map(|m| m.running().clone()) {
                for t in r.reconfigured(&running, now, &mut managed) {
                    if let crate::cwmp::Todo::Say(l) = t {
                        out(&l);
                    }
                }
            }
        }
        match outcome {
            Ok(Some(applied)) => {
                applied.lines.iter().for_each(|l| out(l));
                if let Some(sip) = applied.restart_sip {
                    if gw.busy() {
                        out("the new SIP settings apply once no call is up");
                    }
                    pending_sip = Some(PendingSip(sip));
                } else if let (Some(sip), Some(new)) = (opts.sip.as_mut(), applied.sip_now) {
                    *sip = new;
                }
                refused = None;
                let want = managed
                    .as_ref()
                    .and_then(|m| m.running().management.snmp.as_ref())
                    .map(|s| s.listen.clone());
                let moved = match (&snmp, &want) {
                    (Some(a), Some(l)) => l
                        .parse::<std::net::SocketAddr>()
                        .is_ok_and(|l| l.port() != 0 && l != a.local_addr()),
                    (None, None) => false,
                    _ => true,
                };
                if moved {
                    if let Some(a) = snmp.take() {
                        a.stop();
                    }
                    snmp = start_snmp(&managed, &gw, now, &refused, &mut out);
                } else if let Some(a) = &snmp {
                    a.update(feed_of(&status_of(&gw, now, &managed), &managed, &refused));
                }
                if let Some(addr) = applied.status_addr {
                    if let Some((_, task)) = status.take() {
                        task.abort();
                        let _ = task.await;
                    }
                    let first = (*status_of(&gw, now, &managed)).clone();
                    status = start_status(addr, first, &mut out).await;
                }
                opts.per_port = applied.per_port;
                let admin_after = admin_cfg(&managed);
                if admin_after != admin_before {
                    out(&match &admin_after {
                        Some(a) => format!("admin pages: moving to {} in a moment", a.listen),
                        None => "admin pages: closing in a moment".to_string(),
                    });
                    admin_move = Some((now + Duration::from_secs(1), admin_after));
                }
            }
            Ok(None) => out(&format!(
                "configuration unchanged (version {})",
                managed.as_ref().map_or(0, |m| m.version())
            )),
            Err(e) => {
                refused = Some(format!("{e:#}"));
                if let Some(a) = &snmp {
                    a.update(feed_of(&status_of(&gw, now, &managed), &managed, &refused));
                }
                out(&format!(
                    "configuration {e:#}\nthe running configuration (version {}) stays",
                    managed.as_ref().map_or(0, |m| m.version())
                ))
            }
        }
        // Syslog and the access control follow the configuration at once.
        if let Some(m) = managed.as_ref() {
            if let Some(l) = crate::logging::reload_syslog(m.running()) {
                out(&l);
            }
        }
        let access = access_of(&managed);
        gates.configure(&access);
        sip_door.configure(&access, servers_of(&opts));
        // The admin pages see a new configuration before the answer that reports it.
        if let (Some(a), Some(m)) = (&admin, managed.as_ref()) {
            if a.version() != m.version() {
                a.publish(
                    status_of(&gw, now, &managed),
                    Some(std::sync::Arc::new(m.running().clone())),
                    m.version(),
                );
            }
        }
        if let Some(r) = set_reply {
            let _ = r.send(set_result);
        }
        prompt();
    }
    if let Some(a) = snmp.take() {
        a.stop();
    }
    if let Some(st) = stack.take() {
        stop_sip(&mut gw, st, now).await;
    }
    if let Some((_, task)) = status.take() {
        task.abort();
        let _ = task.await;
    }
    if matches!(end, RunEnd::Quit) {
        out("bye");
    }
    Ok((end, lines.into_inner()))
}

/// How a SIP transport shows in a packet capture (TLS as its plaintext on TCP).
fn sip_proto(t: tipring_sip::TransportKind) -> tipring_pcap::Proto {
    match t {
        tipring_sip::TransportKind::Udp => tipring_pcap::Proto::Udp,
        _ => tipring_pcap::Proto::Tcp,
    }
}

/// A SIP message's start line, for the logs: never the headers or the body (they carry
/// digest responses and SDES keys).
fn first_line(data: &[u8]) -> String {
    let end = data
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(data.len())
        .min(200);
    String::from_utf8_lossy(&data[..end]).into_owned()
}

/// What a configuration change did, for the loop to finish (sockets are the loop's).
struct Applied {
    lines: Vec<String>,
    /// The SIP section changed: restart the stack with these settings.
    restart_sip: Option<SipOptions>,
    /// The SIP settings that come with the change (passwords) when the stack stays.
    sip_now: Option<SipOptions>,
    /// The status endpoint moves here.
    status_addr: Option<SocketAddr>,
    per_port: Vec<PortOptions>,
}

/// Check, store and apply the configuration file read again (or the previous version).
/// `Ok(None)`: nothing changed.
async fn reconfigure(
    gw: &mut Gateway,
    m: &mut crate::managed::Managed,
    rollback: bool,
    now: Instant,
) -> anyhow::Result<Option<Applied>> {
    let new = if rollback {
        m.previous()?
    } else {
        match m.reread()? {
            Some(c) => c,
            None => return Ok(None),
        }
    };
    commit_new(gw, m, new, rollback, now).await
}

/// Check, store and apply a new document (a file read again, a rollback, an SNMP Set).
async fn commit_new(
    gw: &mut Gateway,
    m: &mut crate::managed::Managed,
    new: tipring_config::GatewayConfig,
    rollback: bool,
    now: Instant,
) -> anyhow::Result<Option<Applied>> {
    // Checked (and its servers located) before it is stored: a refusal changes nothing.
    let (_, servers) = crate::config::options(&new)?;
    if let Some(sip) = crate::config::options(&new)?.0.sip.as_ref() {
        crate::config::locate_servers(&servers, sip.transport).await?;
    }
    let change = m.commit(new.clone(), rollback)?;
    apply_change(gw, m, new, change, now, rollback)
        .await
        .map(Some)
}

/// Apply a configuration already stored (`m` runs it) to the gateway: `change` says what
/// differs from the one before.
async fn apply_change(
    gw: &mut Gateway,
    m: &crate::managed::Managed,
    new: tipring_config::GatewayConfig,
    change: tipring_config::ConfigChange,
    now: Instant,
    rollback: bool,
) -> anyhow::Result<Applied> {
    let (mut new_opts, servers) = crate::config::options(&new)?;
    if let Some(sip) = new_opts.sip.as_mut() {
        sip.servers = crate::config::locate_servers(&servers, sip.transport).await?;
    }
    let mut lines = vec![format!(
        "configuration version {}{} applied",
        m.version(),
        if rollback { " (rollback)" } else { "" }
    )];
    if m.running().ports.len() != gw.ports() {
        lines.push(format!(
            "the gateway has {} ports; the new count ({}) takes effect at the next start",
            gw.ports(),
            m.running().ports.len()
        ));
    }
    let restart = change.restart_sip;
    lines.extend(gw.reconfigure(
        now,
        &new_opts,
        &change.ports,
        if restart { None } else { new_opts.sip.as_ref() },
    ));
    if change.management {
        lines.push("management settings changed (log format: at the next start)".into());
    }
    let status_addr = change
        .management
        .then_some(new_opts.status_addr)
        .flatten()
        .filter(|_| status_moves(&change));
    Ok(Applied {
        lines,
        restart_sip: if restart { new_opts.sip.clone() } else { None },
        sip_now: new_opts.sip.clone(),
        status_addr,
        per_port: new_opts.per_port,
    })
}

/// Whether a management change moves the status endpoint (not, say, a TR-069 setting).
fn status_moves(change: &tipring_config::ConfigChange) -> bool {
    change.management_http
}

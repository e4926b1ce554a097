//! `tipring-agent`: the process that runs on a Tipring gateway.
//!
//! This build runs the simulated gateway (`--sim`): every FXS port has a virtual analog phone
//! on it, and a person drives the phones from the terminal — lift a handset, press keys or
//! dial pulses, flash, hang up, and see what the line does (tones heard, ringing, caller ID).
//! Ports call each other by extension (port 1 is 101) through a local switch that stands in
//! for the SIP side until the SIP user agent lands.

use tipring_agent::{command, sim};

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

/// The Tipring FXS gateway agent.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, after_help = command::HELP)]
struct Args {
    /// Run a simulated gateway: a virtual analog phone on every port, driven from the
    /// terminal (type `help` at the prompt). This is the only mode of this build.
    #[arg(long)]
    sim: bool,

    /// Number of simulated FXS ports (1..=48).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=48))]
    ports: u16,

    /// Country of the tone plan, ring cadence and caller-ID standard:
    /// us, uk, de, fr, nl, jp, cn, au.
    #[arg(long, default_value = "us")]
    country: String,

    /// Dial plan (digit map) of every port, e.g. "{ 10x | [2-9]xxxxxx | *xx | x+T }".
    #[arg(long, default_value = sim::DEFAULT_DIAL_PLAN)]
    dial_plan: String,

    /// Hotline: every port dials this number as soon as it goes off hook.
    #[arg(long, conflicts_with = "warmline")]
    hotline: Option<String>,

    /// Warmline: NUMBER,SECONDS — dialled when no key is pressed within SECONDS.
    #[arg(long)]
    warmline: Option<String>,

    /// SIP registrar / outbound proxy: an IP[:PORT], or a domain (located by DNS SRV,
    /// then A/AAAA, as RFC 3263 says) or DOMAIN:PORT; repeat for a failover list. With
    /// this, every port registers as its extension (101, 102, ...) and calls go over SIP.
    #[arg(long = "sip-server", value_name = "SERVER")]
    sip_servers: Vec<tipring_sip_resolve::ServerSpec>,

    /// SIP domain of the ports' addresses of record.
    #[arg(long, default_value = "tipring.local")]
    sip_domain: String,

    /// Local UDP address for SIP (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    sip_listen: std::net::SocketAddr,

    /// File of `EXTENSION:PASSWORD` lines with the ports' SIP passwords (kept out of the
    /// command line so they do not show in `ps`).
    #[arg(long, value_name = "FILE")]
    sip_secrets: Option<std::path::PathBuf>,

    /// Registration expiry to ask for, in seconds.
    #[arg(long, default_value_t = 3600)]
    sip_expires: u32,

    /// SIP transport toward the servers: udp, tcp or tls.
    #[arg(long, default_value = "udp", value_parser = ["udp", "tcp", "tls"])]
    sip_transport: String,

    /// PEM file of CA certificates a TLS server's certificate must chain to.
    #[arg(long, value_name = "FILE")]
    sip_tls_ca: Option<std::path::PathBuf>,

    /// Name the TLS server's certificate must carry (default: its IP address).
    #[arg(long, value_name = "NAME")]
    sip_tls_name: Option<String>,

    /// Do not register: calls go straight to the first --sip-server (peer to peer).
    #[arg(long)]
    sip_no_register: bool,

    /// PEM certificate chain presented to TLS servers that ask for a client certificate.
    #[arg(long, value_name = "FILE", requires = "sip_tls_key")]
    sip_tls_cert: Option<std::path::PathBuf>,

    /// PEM private key of --sip-tls-cert.
    #[arg(long, value_name = "FILE", requires = "sip_tls_cert")]
    sip_tls_key: Option<std::path::PathBuf>,

    /// Subscribe every port to message-summary (RFC 3842) for the voicemail lamp;
    /// unsolicited NOTIFYs are taken either way.
    #[arg(long)]
    sip_mwi_subscribe: bool,

    /// The gateway's configuration file (a `tipring-config` JSON document): ports,
    /// extensions and passwords, SIP servers, codecs, features, management. A file with
    /// problems is refused (each named with its path) and nothing starts. With it, the
    /// port, SIP and media options on this command line are not used. At run time,
    /// `reload` (or SIGHUP) reads it again and applies what changed to the ports it
    /// touches; a refused file leaves the running configuration alone.
    #[arg(long, value_name = "FILE")]
    config: Option<std::path::PathBuf>,

    /// Keep the configuration here, crash-safe (config.json and the version before it,
    /// config.prev.json, with a version counter): the --config file is stored as a new
    /// version when it differs; without --config the stored one runs. `rollback` returns
    /// to the previous version.
    #[arg(long, value_name = "DIR")]
    state_dir: Option<std::path::PathBuf>,

    /// Where the status endpoint listens (JSON at /status, Prometheus at /metrics);
    /// loopback only unless you mean otherwise; `off` turns it off.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "IP:PORT|off")]
    status_addr: String,

    /// Extension of port 1 (port N gets this + N - 1).
    #[arg(long, default_value_t = 101, value_name = "EXT")]
    first_extension: u32,

    /// Another gateway that serves numbers starting with PREFIX, reached directly when no
    /// registrar is reachable (or with --sip-no-register): `PREFIX=IP:PORT`, repeatable.
    #[arg(long = "peer-gateway", value_name = "PREFIX=IP:PORT")]
    peer_gateways: Vec<sim::PeerRoute>,

    /// Codecs to offer and accept, in preference order: pcmu, pcma, g722, g726-32 (g729,
    /// opus when built with those cargo features).
    #[arg(long, default_value = "pcmu,pcma,g722", value_name = "LIST")]
    codecs: String,

    /// SRTP with SDES keys: off, optional (offered on RTP/AVP, used when the peer
    /// answers with a key) or mandatory (RTP/SAVP; calls without SRTP are refused).
    #[arg(long, default_value = "off", value_parser = ["off", "optional", "mandatory"])]
    srtp: String,

    /// Line echo canceller tail in ms (8..=128; 0 turns it off).
    #[arg(long, default_value_t = 64, value_name = "MS")]
    echo_tail: u32,

    /// First RTP port: port N uses BASE+2N for RTP and the next for RTCP (0: free ports).
    #[arg(long, default_value_t = 0, value_name = "BASE")]
    rtp_port_base: u16,

    /// Fax on the ports: t38 (T.38 relay, G.711 pass-through when the far end refuses it),
    /// passthrough (G.711 voice-band data only) or off (fax calls stay voice calls).
    #[arg(long, default_value = "t38", value_parser = ["t38", "passthrough", "off"])]
    fax: String,

    /// Simulate a lossy network: drop this percentage (0..=50) of the RTP and T.38 (UDPTL)
    /// datagrams received, at random. For tests and demonstrations only.
    #[arg(long, default_value_t = 0.0, value_name = "PERCENT")]
    media_loss: f64,

    /// DeviceInfo.SerialNumber toward the ACS (default: the factory certificate's, else
    /// derived from device.name). With --factory-identity it must match the certificate.
    #[arg(long, value_name = "SERIAL")]
    serial_number: Option<String>,

    /// DeviceInfo.ManufacturerOUI, six hex digits (default: the factory certificate's,
    /// else 000000). With --factory-identity it must match the certificate.
    #[arg(long, value_name = "HEX6")]
    oui: Option<String>,

    /// DeviceInfo.ProductClass (default: the factory certificate's, else the model,
    /// FXS + the port count). With --factory-identity it must match the certificate.
    #[arg(long, value_name = "CLASS")]
    product_class: Option<String>,

    /// The factory's identity for this gateway: a directory with device.crt (its
    /// certificate, CN = OUI-ProductClass-SerialNumber, serialNumber = the serial),
    /// device.key and optionally ca.crt (the ACS's CA). The certificate identifies the
    /// gateway to the ACS (mutual TLS) and names it: serial, OUI and product class come
    /// from it, and an option above that differs refuses the start.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["acs_client_cert", "acs_client_key"])]
    factory_identity: Option<std::path::PathBuf>,

    /// The factory default ACS URL: used when neither the ACS nor the installer set one
    /// and DHCP names none (TR-069 §3.1); it takes the place of the configuration's
    /// management.cwmp.acs_url (unless that is marked `acs_url_source: local` or `acs`).
    /// Turns the TR-069 client on even when the configuration has no management.cwmp.
    #[arg(long, value_name = "URL")]
    factory_acs_url: Option<String>,

    /// The DHCP options file the OS's DHCP client hook writes (ops/dhcp/): lines
    /// `option_43=HEX` (TR-069 vendor-specific sub-options: 1 ACS URL, 2
    /// ProvisioningCode, 3/4 retry settings) and `option_66=TEXT` (an ACS URL, or a host
    /// taken as http://HOST:7547/). Read again when it changes. Default:
    /// STATE_DIR/dhcp-options (which turns TR-069 on when it exists at start).
    #[arg(long, value_name = "FILE")]
    dhcp_options: Option<std::path::PathBuf>,

    /// Where TR-069 Connection Requests are taken (HTTP digest with the
    /// ConnectionRequestUsername/Password the ACS sets; off until it sets them).
    #[arg(long, default_value = "0.0.0.0:7547", value_name = "IP:PORT")]
    connection_request_listen: std::net::SocketAddr,

    /// A trusted firmware signing key (Ed25519 public key, 64 hex digits), repeatable.
    /// Images signed by no trusted key are refused (TR-069 fault 9019). Keys come with the
    /// device, never from the configuration an ACS can change.
    #[arg(long = "firmware-key", value_name = "HEX")]
    firmware_keys: Vec<String>,

    /// CA certificates (PEM) that an https ACS and file servers must chain to (default:
    /// the --factory-identity's ca.crt).
    #[arg(long, value_name = "FILE")]
    acs_ca: Option<std::path::PathBuf>,

    /// The device's client certificate chain (PEM) toward the ACS (with --acs-client-key).
    #[arg(long, value_name = "FILE", requires = "acs_client_key")]
    acs_client_cert: Option<std::path::PathBuf>,

    /// The key (PEM) of --acs-client-cert.
    #[arg(long, value_name = "FILE", requires = "acs_client_cert")]
    acs_client_key: Option<std::path::PathBuf>,

    /// Log format (logs go to stderr; RUST_LOG sets the filter, default `warn`).
    #[arg(long, value_enum, default_value_t = LogFormat::Human)]
    log_format: LogFormat,
}

fn init_logging(format: LogFormat) {
    init_logging_with(format, None, None);
}

/// Logs to stderr (filtered by RUST_LOG, default `warn`) and, with `syslog`, the agent's
/// events to a collector (filtered by its own level, whatever RUST_LOG says). The syslog
/// layer sits in a reload layer: a changed `management.syslog` swaps it
/// (`tipring_agent::logging`).
fn init_logging_with(
    format: LogFormat,
    syslog: Option<tipring_syslog::SyslogLayer>,
    running: Option<(tipring_syslog::SyslogHandle, tipring_config::Syslog)>,
) {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    use tracing_subscriber::Layer as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let stderr = match format {
        LogFormat::Human => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
    };
    let (syslog, reload) = tracing_subscriber::reload::Layer::new(syslog);
    tracing_subscriber::registry()
        .with(stderr)
        .with(syslog)
        .init();
    tipring_agent::logging::set_reloader(
        Box::new(move |layer| {
            reload
                .modify(|l| *l = layer)
                .map_err(|e| format!("the log subscriber is gone: {e}"))
        }),
        running,
    );
}

/// The media options from the command line; errors name the option.
fn media_options(args: &Args) -> anyhow::Result<tipring_agent::media::MediaOptions> {
    use tipring_agent::media::MediaOptions;
    if args.echo_tail != 0 && !(8..=128).contains(&args.echo_tail) {
        anyhow::bail!(
            "--echo-tail: {} ms is outside 8..=128 (0 turns it off)",
            args.echo_tail
        );
    }
    if !(0.0..=50.0).contains(&args.media_loss) {
        anyhow::bail!("--media-loss: {} % is outside 0..=50", args.media_loss);
    }
    if !args.rtp_port_base.is_multiple_of(2) {
        anyhow::bail!(
            "--rtp-port-base: {} is odd (RTP uses even ports)",
            args.rtp_port_base
        );
    }
    Ok(MediaOptions {
        codecs: MediaOptions::parse_codecs(&args.codecs)?,
        srtp: MediaOptions::parse_srtp(&args.srtp)?,
        echo_tail_ms: args.echo_tail,
        rtp_port_base: args.rtp_port_base,
        loss_percent: args.media_loss,
    })
}

/// Run the gateway a configuration file (or the state directory) describes.
fn run_from_config(args: &Args) -> ExitCode {
    let (file, state_dir) = (args.config.as_deref(), args.state_dir.as_deref());
    // Refuse a bad configuration before anything starts (exit 2, every problem named).
    let checked = tipring_agent::managed::Managed::start(file, state_dir).and_then(|(m, _)| {
        tipring_agent::config::options(m.running()).map(|_| m.running().clone())
    });
    let running = match checked {
        Ok(c) => c,
        Err(e) => {
            init_logging(args.log_format);
            eprintln!("tipring-agent: {e:#}");
            return ExitCode::from(2);
        }
    };
    let mut keys = Vec::new();
    for k in &args.firmware_keys {
        let bytes: Option<Vec<u8>> = (0..k.len())
            .step_by(2)
            .map(|i| k.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect();
        match bytes.and_then(|b| <[u8; 32]>::try_from(b).ok()) {
            Some(key) => keys.push(key),
            None => {
                eprintln!("tipring-agent: --firmware-key `{k}`: expected 64 hex digits");
                return ExitCode::from(2);
            }
        }
    }
    let device = tipring_agent::device::DeviceArgs {
        config: args.config.clone(),
        state_dir: args.state_dir.clone(),
        serial: args.serial_number.clone(),
        connection_request_listen: Some(args.connection_request_listen),
        firmware_keys: keys,
        acs_ca: args.acs_ca.clone(),
        acs_client_cert: args
            .acs_client_cert
            .clone()
            .zip(args.acs_client_key.clone()),
        factory_identity: args.factory_identity.clone(),
        oui: args.oui.clone(),
        product_class: args.product_class.clone(),
        factory_acs_url: args.factory_acs_url.clone(),
        dhcp_options: args.dhcp_options.clone(),
    };
    // A factory identity that names another device refuses the start (exit 2).
    if let Err(e) = device.check() {
        eprintln!("tipring-agent: {e:#}");
        return ExitCode::from(2);
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tipring-agent: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Remote syslog from the stored configuration (a change later swaps it).
    let syslog = match tipring_agent::logging::syslog_layer(&running, rt.handle()) {
        Ok(s) => s,
        Err(e) => {
            init_logging(args.log_format);
            eprintln!("tipring-agent: {e:#}");
            return ExitCode::from(2);
        }
    };
    let (layer, handle) = syslog.map_or((None, None), |(l, h)| (Some(l), Some(h)));
    let section = running.management.syslog.clone();
    init_logging_with(args.log_format, layer, handle.zip(section));
    let interactive = std::io::stdin().is_terminal();
    let result = rt.block_on(async {
        let r = sim::run_config(device, interactive).await;
        if let Some(h) = &tipring_agent::logging::running_handle() {
            tracing::info!(sent = h.stats().sent, "tipring-agent stopping");
            let _ = h.shutdown(std::time::Duration::from_secs(2)).await;
        }
        r
    });
    // A read of stdin still blocks a runtime thread when the run ends by signal (a
    // console that never closes, as under systemd): do not wait for it.
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tipring-agent: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.config.is_some() || args.state_dir.is_some() {
        // Logging starts there, once the configuration says whether to syslog.
        return run_from_config(&args);
    }
    init_logging(args.log_format);
    if !args.sim && args.config.is_none() && args.state_dir.is_none() {
        eprintln!(
            "tipring-agent: this build only runs the simulated gateway; start it with \
             `tipring-agent --sim` (see --help)"
        );
        return ExitCode::from(2);
    }
    let mut opts = match sim::Options::from_args(
        usize::from(args.ports),
        &args.country,
        &args.dial_plan,
        args.hotline.as_deref(),
        args.warmline.as_deref(),
    ) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("tipring-agent: {e}");
            return ExitCode::from(2);
        }
    };
    opts.first_extension = args.first_extension;
    opts.fax.t38_enable = args.fax == "t38";
    if args.fax == "off" {
        opts.fax.passthrough = tipring_config::FaxPassThrough::Disable;
    }
    opts.status_addr = match args.status_addr.as_str() {
        "off" => None,
        a => match a.parse() {
            Ok(addr) => Some(addr),
            Err(_) => {
                eprintln!("tipring-agent: --status-addr: `{a}` is not IP:PORT or `off`");
                return ExitCode::from(2);
            }
        },
    };
    if !args.sip_servers.is_empty() {
        let secrets = match args
            .sip_secrets
            .as_deref()
            .map(sim::SipOptions::read_secrets)
            .transpose()
        {
            Ok(s) => s.unwrap_or_default(),
            Err(e) => {
                eprintln!("tipring-agent: {e:#}");
                return ExitCode::from(2);
            }
        };
        let media = match media_options(&args) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("tipring-agent: {e:#}");
                return ExitCode::from(2);
            }
        };
        opts.sip = Some(sim::SipOptions {
            servers: Vec::new(), // located below, once the runtime runs
            domain: args.sip_domain.clone(),
            listen: args.sip_listen,
            secrets,
            expires: args.sip_expires,
            subscribe_mwi: args.sip_mwi_subscribe,
            register: !args.sip_no_register,
            transport: match args.sip_transport.as_str() {
                "tcp" => tipring_sip::TransportKind::Tcp,
                "tls" => tipring_sip::TransportKind::Tls,
                _ => tipring_sip::TransportKind::Udp,
            },
            tls_ca: args.sip_tls_ca.clone(),
            tls_server_name: args.sip_tls_name.clone(),
            tls_client_cert: args.sip_tls_cert.clone().zip(args.sip_tls_key.clone()),
            media,
            peers: args.peer_gateways.clone(),
            keepalive: None,
            t1: None,
        });
    }
    let interactive = std::io::stdin().is_terminal();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tipring-agent: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(sip) = opts.sip.as_mut() {
        let specs: Vec<String> = args.sip_servers.iter().map(|s| s.to_string()).collect();
        match rt.block_on(tipring_agent::config::locate_servers(&specs, sip.transport)) {
            Ok(servers) => sip.servers = servers,
            Err(e) => {
                eprintln!("tipring-agent: {e:#}");
                return ExitCode::from(2);
            }
        }
    }
    let result = rt.block_on(sim::run(opts, interactive));
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tipring-agent: {e:#}");
            ExitCode::FAILURE
        }
    }
}

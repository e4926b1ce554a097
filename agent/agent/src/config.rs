//! The gateway's configuration file (the `tipring-config` document) turned into the
//! simulator's options.
//!
//! The whole document is validated first (every problem reported with its JSON path,
//! dial plans checked by the line's own parser); a refused file starts nothing. What the
//! simulator cannot yet vary per port (dial plan, codecs, echo tail, features: one line
//! configuration serves every port) is taken from the first port.

use std::net::SocketAddr;

use anyhow::Context as _;
use tipring_config::{GatewayConfig, SrtpPolicy as CfgSrtp, Transport};
use tipring_line::dialplan::DialPlan;
use tipring_sip::media::SrtpPolicy;

use crate::media::MediaOptions;
use crate::sim::{Forwarding, Options, PeerRoute, PortOptions, SipOptions};

/// Largest configuration file read.
const MAX_FILE: u64 = 1 << 20;

/// Port `i`'s settings from its section of the document.
fn port_options(
    cfg: &GatewayConfig,
    i: usize,
    p: &tipring_config::Port,
) -> anyhow::Result<PortOptions> {
    let at = |field: &str| format!("ports[{i}].{field}");
    let mut line =
        tipring_line::LineConfig::for_country(&cfg.device.country).context("device.country")?;
    line.dial_plan = p
        .dial_plan
        .parse::<DialPlan>()
        .with_context(|| at("dial_plan"))?;
    line.hotline = p.hotline.as_ref().map(|h| tipring_line::Hotline {
        number: h.number.clone(),
        delay: std::time::Duration::from_secs(u64::from(h.delay_s)),
    });
    line.speed_dial = p.speed_dial.clone();
    if !cfg.emergency_numbers.is_empty() {
        line.emergency_numbers = cfg.emergency_numbers.clone();
    }
    line.call_waiting = p.features.call_waiting;
    line.privacy_default = p.features.caller_id_block;
    line.validate().with_context(|| at("(line settings)"))?;
    let fw = &p.features.forward;
    let codecs: Vec<&str> = p.codecs.iter().map(|c| c.name()).collect();
    Ok(PortOptions {
        extension: p.extension.clone(),
        display_name: p.display_name.clone(),
        auth_user: p.auth_user.clone(),
        enabled: p.enabled,
        line,
        forwarding: Forwarding {
            all: fw.all.clone(),
            busy: fw.busy.clone(),
            no_answer: fw.no_answer.clone(),
            no_answer_after: std::time::Duration::from_secs(u64::from(fw.no_answer_timeout_s)),
        },
        dnd: p.features.dnd,
        reject_anonymous: p.features.anonymous_rejection,
        codecs: MediaOptions::parse_codecs(&codecs.join(",")).with_context(|| at("codecs"))?,
        echo_tail_ms: Some(p.echo_tail_ms),
        dtmf: p.dtmf,
        tx_gain_db: p.gain_tx_db as f32,
        rx_gain_db: p.gain_rx_db as f32,
        fax: p.fax.clone(),
    })
}

/// Read, parse and validate a configuration file. The error lists every problem, one per
/// line, each with its path in the document.
pub fn load(path: &std::path::Path) -> anyhow::Result<GatewayConfig> {
    let meta = std::fs::metadata(path).with_context(|| format!("{}", path.display()))?;
    if meta.len() > MAX_FILE {
        anyhow::bail!("{}: larger than 1 MiB", path.display());
    }
    let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    let cfg = tipring_config::deserialize(&bytes).map_err(|e| refused(path, &e))?;
    cfg.validate_with(&|plan| {
        plan.parse::<DialPlan>()
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
    .map_err(|e| refused(path, &e))?;
    Ok(cfg)
}

fn refused(path: &std::path::Path, e: &tipring_config::ConfigErrors) -> anyhow::Error {
    let lines: Vec<String> = e
        .errors()
        .iter()
        .map(|f| format!("  {}: {}", f.path, f.message))
        .collect();
    anyhow::anyhow!(
        "{} refused ({} problem(s)):\n{}",
        path.display(),
        lines.len(),
        lines.join("\n")
    )
}

/// The simulator's options from a validated document, and the SIP servers to locate.
pub fn options(cfg: &GatewayConfig) -> anyhow::Result<(Options, Vec<String>)> {
    let first = cfg.ports.first().context("ports: none")?;
    let mut opts = Options::from_args(
        cfg.ports.len(),
        &cfg.device.country,
        &first.dial_plan,
        None,
        None,
    )?;
    opts.per_port = cfg
        .ports
        .iter()
        .enumerate()
        .map(|(i, p)| port_options(cfg, i, p))
        .collect::<anyhow::Result<_>>()?;
    opts.line = opts.per_port[0].line.clone();
    opts.forwarding = opts.per_port[0].forwarding.clone();
    opts.status_addr = Some(
        cfg.management
            .http_listen
            .parse()
            .context("management.http_listen")?,
    );
    let sip = &cfg.sip;
    let codecs: Vec<&str> = first.codecs.iter().map(|c| c.name()).collect();
    let media = MediaOptions {
        codecs: MediaOptions::parse_codecs(&codecs.join(","))?,
        srtp: match sip.srtp {
            CfgSrtp::Off => SrtpPolicy::Off,
            CfgSrtp::Optional => SrtpPolicy::Optional,
            CfgSrtp::Mandatory => SrtpPolicy::Mandatory,
        },
        echo_tail_ms: first.echo_tail_ms,
        rtp_port_base: sip.rtp_port_base,
        loss_percent: 0.0,
    };
    let peers = sip
        .peers
        .iter()
        .map(|p| {
            Ok(PeerRoute {
                prefix: p.prefix.clone(),
                addr: p
                    .address
                    .parse::<SocketAddr>()
                    .with_context(|| format!("sip.peers `{}`: an IP:PORT address", p.name))?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    opts.sip = Some(SipOptions {
        servers: Vec::new(), // located by the caller
        domain: sip.domain.clone(),
        listen: sip.listen.parse().context("sip.listen")?,
        secrets: cfg
            .ports
            .iter()
            .filter_map(|p| {
                Some((
                    p.extension.clone(),
                    p.password.as_ref()?.expose().to_string(),
                ))
            })
            .collect(),
        expires: sip.registration_expiry_s,
        subscribe_mwi: sip.mwi_subscribe,
        register: sip.register && !sip.servers.is_empty(),
        transport: match sip.transport {
            Transport::Udp => tipring_sip::TransportKind::Udp,
            Transport::Tcp => tipring_sip::TransportKind::Tcp,
            Transport::Tls => tipring_sip::TransportKind::Tls,
        },
        tls_ca: sip.tls.ca_file.clone().map(Into::into),
        tls_server_name: sip.tls.server_name.clone(),
        tls_client_cert: sip
            .tls
            .client_cert
            .clone()
            .map(Into::into)
            .zip(sip.tls.client_key.clone().map(Into::into)),
        media,
        peers,
        keepalive: (sip.keepalive_s > 0)
            .then(|| std::time::Duration::from_secs(u64::from(sip.keepalive_s))),
        t1: None,
    });
    Ok((opts, sip.servers.clone()))
}

/// The failover list: every server located (IP literals as they are, domains by DNS SRV /
/// A / AAAA), in the order given.
pub async fn locate_servers(
    servers: &[String],
    transport: tipring_sip::TransportKind,
) -> anyhow::Result<Vec<SocketAddr>> {
    let mut specs = Vec::with_capacity(servers.len());
    for s in servers {
        let spec: tipring_sip_resolve::ServerSpec = s
            .parse()
            .map_err(|e| anyhow::anyhow!("sip server `{s}`: {e}"))?;
        specs.push(spec);
    }
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    let resolver = tipring_sip_resolve::Resolver::from_system(crate::sim::os_seed())
        .context("cannot set up DNS (/etc/resolv.conf)")?;
    let mut out = Vec::new();
    for spec in &specs {
        let peers = resolver
            .locate(spec, transport)
            .await
            .with_context(|| format!("sip server {spec}: cannot locate it"))?;
        for p in peers {
            if !out.contains(&p.addr) {
                out.push(p.addr);
            }
        }
    }
    Ok(out)
}

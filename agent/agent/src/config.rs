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
use crate::sim::{Options, PeerRoute, SipOptions};

/// Largest configuration file read.
const MAX_FILE: u64 = 1 << 20;

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
    if let Some(h) = &first.hotline {
        opts.line.hotline = Some(tipring_line::Hotline {
            number: h.number.clone(),
            delay: std::time::Duration::from_secs(u64::from(h.delay_s)),
        });
    }
    opts.line.speed_dial = first.speed_dial.clone();
    if !cfg.emergency_numbers.is_empty() {
        opts.line.emergency_numbers = cfg.emergency_numbers.clone();
    }
    opts.line.call_waiting = first.features.call_waiting;
    let fw = &first.features.forward;
    opts.forwarding = crate::sim::Forwarding {
        all: fw.all.clone(),
        busy: fw.busy.clone(),
        no_answer: fw.no_answer.clone(),
        no_answer_after: std::time::Duration::from_secs(u64::from(fw.no_answer_timeout_s)),
    };
    opts.line.privacy_default = first.features.caller_id_block;
    opts.line.validate().context("line configuration")?;
    opts.extensions = cfg.ports.iter().map(|p| p.extension.clone()).collect();
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

//! `tipring-lab`: the one-command lab. It starts two or more simulated gateways on loopback
//! — gateway A's ports are extensions 101, 102, ..., gateway B's 201, 202, ... — each with
//! virtual analog phones, RTP media and a SIP user agent, and one prompt to drive every
//! phone: `a lift 1`, `a press 1 201`, `b lift 1`, `a speak 1 tone 1000 -10 2000`,
//! `b record 1 /tmp/b1.wav`, `status`, ...
//!
//! By default the lab also runs a provisioner (the TR-069 ACS with its REST API) and the
//! gateways come up the zero-touch way: each starts with nothing but a factory
//! certificate (from a lab factory CA), a factory configuration (no extensions of its
//! own, the factory ACS URL) and a pre-registration in the provisioner; its first session
//! gives it its site's extensions (A: 101.., B: 201..) and generated secrets. The prompt
//! opens once every gateway is provisioned; the API stays up for `tipring-provisioner ctl`.
//!
//! Without a PBX the gateways reach each other directly by number prefix (peer-to-peer
//! mode: a number starting with `2` goes to gateway B's SIP address) and ports of one
//! gateway call each other through its local switch. With `--sip-server` (a Kamailio, say)
//! every port registers there (`--sip-secrets` holds the passwords) and calls go through
//! it; when it is unreachable the lab falls back to the peer and local routes. That mode,
//! and `--no-provisioner`, configure the gateways directly instead.

use std::io::IsTerminal;
use std::net::SocketAddr;

use anyhow::Context as _;
use clap::Parser;
use tipring_agent::media::MediaOptions;
use tipring_agent::sim::{self, Options, PeerRoute, SipOptions};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};

mod provisioner;

/// Simulated Tipring gateways on loopback, with one prompt for all their phones.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    /// Number of gateways (A, B, C, ...), 1 to 9.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=9))]
    gateways: u8,

    /// FXS ports per gateway (1 to 48).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=48))]
    ports: u16,

    /// Tone plan and caller-ID standard: us uk de fr nl jp cn au.
    #[arg(long, default_value = "us")]
    country: String,

    /// A SIP registrar/proxy every port registers with (repeat for a failover list).
    #[arg(long = "sip-server", value_name = "IP:PORT")]
    sip_servers: Vec<SocketAddr>,

    /// Domain of the ports' addresses of record.
    #[arg(long, default_value = "tipring.lab")]
    sip_domain: String,

    /// EXTENSION:PASSWORD lines for registering with --sip-server.
    #[arg(long, value_name = "FILE")]
    sip_secrets: Option<std::path::PathBuf>,

    /// Codecs in preference order (pcmu, pcma, g722, g726-32).
    #[arg(long, default_value = "pcmu,pcma,g722")]
    codecs: String,

    /// Configure the gateways directly instead of through the lab's provisioner.
    #[arg(long)]
    no_provisioner: bool,

    /// Where the lab provisioner's REST API listens (port 0: any free one).
    #[arg(long, default_value = "127.0.0.1:8180")]
    api_listen: SocketAddr,
}

const HELP: &str = "\
lab commands: prefix a gateway letter to any phone command, e.g.
  a lift 1          lift port 1 of gateway A (extension 101)
  a press 1 201     dial gateway B's port 1
  b lift 1          answer it on B
  a speak 1 tone 1000 -10 2000     talk into A's handset
  b record 1 /tmp/b1.wav / b record 1 stop
  a flash 1 / a hang 1 / b status
  status            every gateway's status
  help              this text (`a help` for the phone commands)
  quit              stop the lab";

/// Extensions of every gateway (101.., 201.., ...) complete at three digits; star codes at
/// three; anything else after the inter-digit timer.
const LAB_DIAL_PLAN: &str = "{ [1-9]xx | *xx | x+T }";

/// A free UDP port on loopback (bound and released; the gateway binds it right after).
fn free_udp_port() -> anyhow::Result<u16> {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").context("finding a free UDP port")?;
    Ok(s.local_addr()?.port())
}

fn letter(g: usize) -> char {
    char::from(b'A' + g as u8)
}

/// Split `a lift 1` into (gateway index, `lift 1`).
fn route(line: &str, gateways: usize) -> Option<(usize, String)> {
    let line = line.trim();
    let (first, rest) = line.split_once(char::is_whitespace)?;
    let name = first.strip_suffix(':').unwrap_or(first);
    let mut chars = name.chars();
    let c = chars.next()?.to_ascii_uppercase();
    if chars.next().is_some() || !c.is_ascii_uppercase() {
        return None;
    }
    let g = usize::from(c as u8 - b'A');
    (g < gateways).then(|| (g, rest.trim().to_string()))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let n = usize::from(args.gateways);
    let secrets = match &args.sip_secrets {
        Some(p) => SipOptions::read_secrets(p)?,
        None => Default::default(),
    };
    if !args.sip_servers.is_empty() && secrets.is_empty() {
        anyhow::bail!(
            "--sip-server needs --sip-secrets (EXTENSION:PASSWORD lines): no default passwords"
        );
    }
    let media = MediaOptions {
        codecs: MediaOptions::parse_codecs(&args.codecs)?,
        ..MediaOptions::default()
    };
    let sip_ports: Vec<u16> = (0..n).map(|_| free_udp_port()).collect::<Result<_, _>>()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let provisioned = args.sip_servers.is_empty() && !args.no_provisioner;
    local.block_on(&rt, async move {
        let mut inputs = Vec::new();
        let mut tasks = Vec::new();
        let mut lab = None;
        if provisioned {
            let p = provisioner::Lab::start(&args, &sip_ports).await?;
            for g in 0..n {
                let (tx, rx) = tokio::io::duplex(4096);
                inputs.push(tx);
                let name = letter(g);
                let device = p.device_args(g);
                let ready = std::sync::Arc::clone(&p.ready);
                tasks.push(tokio::task::spawn_local(async move {
                    let input = tokio::io::BufReader::new(rx);
                    let mut out = |l: &str| {
                        if l.starts_with("configuration version ") && l.ends_with(" applied") {
                            ready.fetch_or(1 << g, std::sync::atomic::Ordering::Relaxed);
                        }
                        println!("{name} {l}");
                    };
                    let r = tipring_agent::device::run_device(device, input, &mut out, false).await;
                    if let Err(e) = r {
                        eprintln!("gateway {name} stopped: {e:#}");
                    }
                }));
            }
            p.wait_provisioned(n).await?;
            lab = Some(p);
        } else {
            for g in 0..n {
                let mut opts = Options::from_args(
                    usize::from(args.ports),
                    &args.country,
                    LAB_DIAL_PLAN,
                    None,
                    None,
                )?;
                opts.first_extension = 100 * (g as u32 + 1) + 1;
                opts.status_addr = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
                let peers = (0..n)
                    .filter(|&o| o != g)
                    .map(|o| PeerRoute {
                        prefix: format!("{}", o + 1),
                        addr: SocketAddr::from(([127, 0, 0, 1], sip_ports[o])),
                    })
                    .collect();
                opts.sip = Some(SipOptions {
                    servers: args.sip_servers.clone(),
                    domain: args.sip_domain.clone(),
                    listen: SocketAddr::from(([127, 0, 0, 1], sip_ports[g])),
                    secrets: secrets.clone(),
                    expires: 300,
                    subscribe_mwi: false,
                    register: !args.sip_servers.is_empty(),
                    transport: tipring_sip::TransportKind::Udp,
                    tls_ca: None,
                    tls_server_name: None,
                    tls_client_cert: None,
                    media: media.clone(),
                    peers,
                    keepalive: None,
                    t1: None,
                });
                let (tx, rx) = tokio::io::duplex(4096);
                inputs.push(tx);
                let name = letter(g);
                tasks.push(tokio::task::spawn_local(async move {
                    let input = tokio::io::BufReader::new(rx);
                    let r = sim::run_with(opts, input, |l| println!("{name} {l}"), false).await;
                    if let Err(e) = r {
                        eprintln!("gateway {name} stopped: {e:#}");
                    }
                }));
            }
        }
        println!(
            "Tipring lab: {n} gateways ({}), {} ports each; extensions {}. Type `help`.",
            (0..n).map(letter).collect::<String>(),
            args.ports,
            (0..n)
                .map(|g| format!("{}: {}01..", letter(g), g + 1))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let interactive = std::io::stdin().is_terminal();
        let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
        loop {
            if interactive {
                use std::io::Write as _;
                print!("lab> ");
                let _ = std::io::stdout().flush();
            }
            let Some(line) = stdin.next_line().await? else {
                break;
            };
            let trimmed = line.trim();
            match trimmed {
                "" => continue,
                "quit" | "exit" | "q" => break,
                "help" | "?" => println!("{HELP}"),
                "status" => {
                    for tx in &mut inputs {
                        tx.write_all(b"status\n").await?;
                    }
                }
                _ if trimmed.starts_with("sleep ") => {
                    let ms: u64 = trimmed[6..].trim().parse().unwrap_or(0);
                    tokio::time::sleep(std::time::Duration::from_millis(ms.min(600_000))).await;
                }
                _ => match route(trimmed, n) {
                    Some((g, cmd)) => {
                        inputs[g].write_all(format!("{cmd}\n").as_bytes()).await?;
                    }
                    None => println!(
                        "error: start with a gateway letter ({}), e.g. `a lift 1` (type `help`)",
                        (0..n).map(letter).collect::<String>()
                    ),
                },
            }
        }
        for tx in &mut inputs {
            let _ = tx.write_all(b"quit\n").await;
        }
        for t in tasks {
            let _ = t.await;
        }
        if let Some(p) = lab {
            p.stop();
        }
        anyhow::Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_routed_by_gateway_letter() {
        assert_eq!(route("a lift 1", 2), Some((0, "lift 1".into())));
        assert_eq!(route("B press 1 101", 2), Some((1, "press 1 101".into())));
        assert_eq!(route("b: hang 1", 2), Some((1, "hang 1".into())));
        assert_eq!(route("c lift 1", 2), None, "no gateway C");
        assert_eq!(route("lift 1", 2), None);
    }
}

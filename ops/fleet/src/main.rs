//! `tipring-fleet`: run N simulated gateways against an ACS and print what they saw.
//!
//! ```text
//! tipring-fleet --devices 1000 --acs http://127.0.0.1:7547/cwmp \
//!     --serial-prefix FLEET --password-file secrets.txt --inform-interval 300 --duration 600 \
//!     --connection-requests 127.0.0.1:0
//! ```

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use tipring_fleet::{now, rss_bytes, Fleet, FleetConfig, Passwords};

/// Simulated Tipring gateways (the agent's CWMP engine and data model, many in one
/// process) against an ACS.
#[derive(Debug, Parser)]
#[command(name = "tipring-fleet", version)]
struct Args {
    /// How many gateways.
    #[arg(long, default_value_t = 100)]
    devices: usize,
    /// The ACS URL (plain http).
    #[arg(long)]
    acs: String,
    /// Serial numbers: this prefix and a 6-digit number.
    #[arg(long, default_value = "FLEET")]
    serial_prefix: String,
    /// The first serial's number.
    #[arg(long, default_value_t = 1)]
    first_serial: u32,
    /// ManufacturerOUI.
    #[arg(long, default_value = "00D0C9")]
    oui: String,
    /// ProductClass.
    #[arg(long, default_value = "FXS2")]
    product_class: String,
    /// Initial passwords: one `SERIAL PASSWORD` a line (the pre-registrations' initial
    /// secrets); without it gateways send no credentials until the ACS sets some.
    #[arg(long)]
    password_file: Option<PathBuf>,
    /// One password for every gateway (instead of --password-file).
    #[arg(long, conflicts_with = "password_file")]
    password: Option<String>,
    /// PeriodicInformInterval, seconds.
    #[arg(long, default_value_t = 300)]
    inform_interval: u64,
    /// Most sessions in flight.
    #[arg(long, default_value_t = 128)]
    max_in_flight: usize,
    /// Run this many seconds, then print the figures and stop.
    #[arg(long, default_value_t = 60)]
    duration: u64,
    /// Take Connection Requests for every gateway on this address (`127.0.0.1:0`: any
    /// port); each gateway reports `http://ADDR/cr/SERIAL` as its ConnectionRequestURL.
    #[arg(long)]
    connection_requests: Option<std::net::SocketAddr>,
    /// Send Basic credentials over plain HTTP (the provisioner's loopback lab takes them).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    basic_over_http: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
        )
        .with_writer(std::io::stderr)
        .init();
    let passwords = match (&args.password_file, &args.password) {
        (Some(f), _) => Passwords::from_file(f)?,
        (None, Some(p)) => Passwords::Shared(p.clone()),
        (None, None) => Passwords::None,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let before = rss_bytes();
        let mut fleet = Fleet::new(FleetConfig {
            devices: args.devices,
            serial_prefix: args.serial_prefix.clone(),
            first_serial: args.first_serial,
            oui: args.oui.clone(),
            product_class: args.product_class.clone(),
            acs_url: args.acs.clone(),
            passwords,
            inform_interval: Duration::from_secs(args.inform_interval.max(1)),
            max_in_flight: args.max_in_flight.max(1),
            basic_over_http: args.basic_over_http,
            ..FleetConfig::default()
        })?;
        if let (Some(b), Some(a)) = (before, rss_bytes()) {
            println!(
                "{} gateways made: {} bytes each (RSS; target < 100 KB)",
                fleet.len(),
                a.saturating_sub(b) / fleet.len() as u64
            );
        }
        if let Some(addr) = args.connection_requests {
            let bound = fleet.listen_connection_requests(addr).await?;
            println!("connection requests on http://{bound}/cr/SERIAL");
        }
        let t0 = now();
        let end = t0 + Duration::from_secs(args.duration);
        let n = fleet.len();
        let mut all_at = None;
        let mut next_print = t0 + Duration::from_secs(5);
        while now() < end {
            let slice = next_print.min(end);
            fleet
                .run_until(slice, |s| {
                    if s.provisioned == n && all_at.is_none() {
                        all_at = Some(now());
                    }
                    false
                })
                .await;
            let s = fleet.stats();
            println!(
                "t={:>5.1}s sessions ok {} failed {} provisioned {}/{} p50 {:?} p99 {:?}",
                t0.elapsed().as_secs_f64(),
                s.sessions_ok,
                s.sessions_failed,
                s.provisioned,
                n,
                s.percentile(50.0).unwrap_or_default(),
                s.percentile(99.0).unwrap_or_default(),
            );
            next_print += Duration::from_secs(5);
        }
        let s = fleet.stats();
        let secs = t0.elapsed().as_secs_f64();
        println!(
            "done: {} sessions in {secs:.1} s ({:.0}/s), {} failed; all provisioned: {}",
            s.sessions_ok,
            s.sessions_ok as f64 / secs,
            s.sessions_failed,
            match all_at {
                Some(t) => format!("after {:.1} s", (t - t0).as_secs_f64()),
                None => format!("no ({}/{n})", s.provisioned),
            }
        );
        anyhow::Ok(())
    })
}

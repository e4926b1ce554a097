//! `tipring-provisioner`: the central TR-069 ACS, REST API and its command-line client.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Tipring's provisioner: a TR-069 ACS with zero-touch enrollment, templates, per-device
/// secrets and a REST API. `serve` (the default) runs it on its embedded defaults: a SQLite
/// database and secret key in the data directory, the ACS and the API on loopback.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    #[command(subcommand)]
    command: Option<Cmd>,
    #[command(flatten)]
    serve: tipring_provisioner::server::ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the provisioner (the default).
    Serve(tipring_provisioner::server::ServeArgs),
    /// Call the REST API: `ctl devices`, `ctl approve ID --site S`, ... (`ctl --help`).
    Ctl(tipring_provisioner::ctl::CtlArgs),
    /// Make an API token directly in the database (on the server; prints it once).
    Token {
        /// The data directory.
        #[arg(long, default_value = "tipring-provisioner-data")]
        data: PathBuf,
        /// Token name.
        name: String,
        /// read_only, operator or admin.
        #[arg(long, default_value = "operator")]
        role: String,
    },
    /// A factory CA for device certificates (labs and tests; a real factory has its own).
    FactoryCa(tipring_provisioner::pki::FactoryCaArgs),
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match args.command {
        None => tipring_provisioner::server::serve_blocking(args.serve),
        Some(Cmd::Serve(s)) => tipring_provisioner::server::serve_blocking(s),
        Some(Cmd::Ctl(c)) => tipring_provisioner::ctl::run_blocking(c),
        Some(Cmd::Token { data, name, role }) => {
            tipring_provisioner::server::make_token(&data, &name, &role)
        }
        Some(Cmd::FactoryCa(a)) => tipring_provisioner::pki::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tipring-provisioner: {e:#}");
            ExitCode::FAILURE
        }
    }
}

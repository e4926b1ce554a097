//! `tipring-provisioner serve`: the store, the ACS endpoint, the REST API, the
//! connection-request sender and the session reaper, on one tokio runtime.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;

use crate::app::{App, Settings};

/// How `serve` runs.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Data directory: the SQLite database (`provisioner.db`), the secret key that seals
    /// per-device secrets (`secret.key`; keep a copy apart from database backups), and the
    /// first admin token (`admin.token`, written once).
    #[arg(long, default_value = "tipring-provisioner-data")]
    pub data: PathBuf,
    /// The store: `postgres://USER@HOST/DB` for several provisioner nodes on one
    /// PostgreSQL, or `sqlite:PATH` (default: `DATA/provisioner.db`).
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// Where the ACS (CWMP) endpoint listens; devices POST to `/cwmp`.
    #[arg(long, default_value = "127.0.0.1:7547")]
    pub cwmp_listen: SocketAddr,
    /// Where the REST API listens (JSON under `/api/v1`, its description at
    /// `/api/openapi.json`).
    #[arg(long, default_value = "127.0.0.1:8180")]
    pub api_listen: SocketAddr,
    /// The ACS URL devices are given (`{{acs_url}}` in templates); default: the CWMP
    /// listener's, over https when --tls-cert is set.
    #[arg(long)]
    pub acs_url: Option<String>,
    /// PEM certificate chain of the ACS (CWMP over TLS; devices may present a factory
    /// certificate, checked against --device-ca).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// PEM CA certificates that devices' factory certificates must chain to.
    #[arg(long, requires = "tls_cert")]
    pub device_ca: Option<PathBuf>,
    /// Refuse HTTP authentication of devices over plain HTTP (production: devices come
    /// over TLS). Off by default so the loopback lab works.
    #[arg(long)]
    pub require_tls: bool,
    /// A trusted firmware release key (Ed25519 public key, 64 hex digits), repeatable:
    /// uploaded images must be signed by one (the same keys the gateways trust).
    #[arg(long = "firmware-key", value_name = "HEX", value_parser = parse_key)]
    pub firmware_keys: Vec<[u8; 32]>,
    /// Seconds a CWMP session may sit idle before it is dropped.
    #[arg(long, default_value_t = 60)]
    pub session_timeout: i64,
    /// Milliseconds between two steps of the running rollouts (each node steps them; a
    /// rollout's lock keeps one step at a time).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=600_000))]
    pub rollout_tick_ms: u64,
    /// Log format: human or json (logs go to stderr; RUST_LOG sets the filter).
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    pub log_format: String,
}

impl Default for ServeArgs {
    fn default() -> Self {
        Self {
            data: PathBuf::from("tipring-provisioner-data"),
            store: None,
            cwmp_listen: "127.0.0.1:7547".parse().expect("literal"),
            api_listen: "127.0.0.1:8180".parse().expect("literal"),
            acs_url: None,
            tls_cert: None,
            tls_key: None,
            device_ca: None,
            require_tls: false,
            firmware_keys: Vec::new(),
            session_timeout: 60,
            rollout_tick_ms: 1000,
            log_format: "human".into(),
        }
    }
}

fn parse_key(s: &str) -> Result<[u8; 32], String> {
    tipring_firmware::hex::decode_array::<32>(s.trim())
        .ok_or_else(|| "64 hex digits (an Ed25519 public key)".to_string())
}

/// A running provisioner (for tests and the lab, which run it in-process).
#[derive(Debug)]
pub struct Running {
    /// The shared state.
    pub app: Arc<App>,
    /// Where the ACS listens.
    pub cwmp_addr: SocketAddr,
    /// Where the API listens.
    pub api_addr: SocketAddr,
    /// The first admin token, when this start made it.
    pub admin_token: Option<String>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stop serving.
    pub fn stop(self) {
        for t in self.tasks {
            t.abort();
        }
    }
}

fn init_logs(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        b.json().try_init()
    } else {
        b.try_init()
    };
}

/// `serve`, on a runtime of its own, until Ctrl-C.
pub fn serve_blocking(args: ServeArgs) -> anyhow::Result<()> {
    init_logs(&args.log_format);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let running = start(args).await?;
        println!(
            "tipring-provisioner: ACS on {} (devices POST to /cwmp), API on http://{}/api/v1 (description: /api/openapi.json)",
            running.app.settings.acs_url, running.api_addr
        );
        if running.admin_token.is_some() {
            println!("first start: an admin API token was written to the data directory's admin.token (shown nowhere else)");
        }
        // Ctrl-C at a terminal, SIGTERM from systemd: both stop it cleanly.
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r?,
            _ = term.recv() => {}
        }
        running.stop();
        Ok(())
    })
}

/// Open the data directory: the store (`store`: a URL, else the directory's SQLite file)
/// and the sealer.
pub fn open_data(
    data: &Path,
    store: Option<&str>,
) -> anyhow::Result<(Arc<dyn tipring_store::Store>, tipring_store::Sealer)> {
    std::fs::create_dir_all(data)
        .with_context(|| format!("cannot make the data directory {}", data.display()))?;
    let url = match store {
        Some(u) => u.to_string(),
        None => format!("sqlite:{}", data.join("provisioner.db").display()),
    };
    let store: Arc<dyn tipring_store::Store> = tipring_store::open(&url)
        .with_context(|| format!("opening the store {}", redact_url(&url)))?
        .into();
    let sealer = tipring_store::Sealer::load_or_create(&data.join("secret.key"))?;
    Ok((store, sealer))
}

/// A store URL for the log: its password (if any) replaced.
fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((userinfo, host)) => {
                let user = userinfo.split(':').next().unwrap_or("");
                format!("{scheme}://{user}@{host}")
            }
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// Start everything; returns once the sockets are bound.
pub async fn start(args: ServeArgs) -> anyhow::Result<Running> {
    // The PostgreSQL client blocks (and runs its own small runtime): off the async threads.
    let (store, sealer) = {
        let (data, url) = (args.data.clone(), args.store.clone());
        tokio::task::spawn_blocking(move || open_data(&data, url.as_deref())).await??
    };
    let admin_token = {
        let store = Arc::clone(&store);
        let path = args.data.join("admin.token");
        tokio::task::spawn_blocking(move || crate::auth::first_admin_token(store.as_ref(), &path))
            .await??
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(c), Some(k)) => Some(crate::pki::server_tls(c, k, args.device_ca.as_deref())?),
        _ => None,
    };
    let cwmp = tokio::net::TcpListener::bind(args.cwmp_listen)
        .await
        .with_context(|| format!("ACS: cannot listen on {}", args.cwmp_listen))?;
    let cwmp_addr = cwmp.local_addr()?;
    let api = tokio::net::TcpListener::bind(args.api_listen)
        .await
        .with_context(|| format!("API: cannot listen on {}", args.api_listen))?;
    let api_addr = api.local_addr()?;
    let acs_url = args.acs_url.clone().unwrap_or_else(|| {
        format!(
            "{}://{cwmp_addr}/cwmp",
            if tls.is_some() { "https" } else { "http" }
        )
    });
    let (kick, kicks) = tokio::sync::mpsc::unbounded_channel();
    let firmware = crate::firmware::Firmware::open(&args.data, args.firmware_keys.clone())?;
    let app = Arc::new(App {
        store,
        sealer,
        settings: Settings {
            acs_url,
            session_timeout_s: args.session_timeout.max(5),
            allow_plain_http: !args.require_tls,
            ..Settings::default()
        },
        sessions: crate::cwmp::Sessions::default(),
        kick,
        firmware,
        plans: crate::provision::PlanMemo::default(),
        events: crate::events::Events::default(),
        stats: std::sync::Mutex::new(None),
    });
    let mut tasks = Vec::new();
    let router = crate::api::router(Arc::clone(&app));
    tasks.push(tokio::spawn(async move {
        if let Err(e) = axum::serve(api, router).await {
            tracing::error!(error = %e, "API server stopped");
        }
    }));
    tasks.push(tokio::spawn(crate::cwmp::serve(
        Arc::clone(&app),
        cwmp,
        tls,
    )));
    tasks.push(tokio::spawn(crate::connreq::worker(
        Arc::clone(&app),
        kicks,
    )));
    tasks.push(tokio::spawn(crate::cwmp::reaper(Arc::clone(&app))));
    {
        let app = Arc::clone(&app);
        tokio::task::spawn_blocking(move || crate::cwmp::follow_wakeups(&app)).await??;
    }
    tasks.push(tokio::spawn(crate::rollouts::driver(
        Arc::clone(&app),
        std::time::Duration::from_millis(args.rollout_tick_ms),
    )));
    tracing::info!(%cwmp_addr, %api_addr, "provisioner started");
    Ok(Running {
        app,
        cwmp_addr,
        api_addr,
        admin_token,
        tasks,
    })
}

/// `tipring-provisioner token NAME --role R`: a token made on the server itself.
pub fn make_token(data: &Path, name: &str, role: &str) -> anyhow::Result<()> {
    let role = crate::auth::parse_role(role)
        .with_context(|| format!("--role {role}: one of read_only, operator, admin"))?;
    let (store, _) = open_data(data, None)?;
    if store.tokens()?.iter().any(|t| t.name == name) {
        anyhow::bail!("a token named {name} exists");
    }
    let (token, stored) = crate::auth::new_token(name, role);
    store.apply(vec![
        tipring_store::Write::PutToken(stored),
        tipring_store::Write::Audit(tipring_acs::model::AuditEntry {
            id: 0,
            at: crate::app::unix_now(),
            actor: "provisioner".into(),
            action: "token.create".into(),
            target: name.into(),
            detail: serde_json::json!({ "role": crate::auth::role_name(role), "via": "command line" }),
        }),
    ])?;
    println!("{token}");
    Ok(())
}

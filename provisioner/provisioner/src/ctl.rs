//! `tipring-provisioner ctl`: the REST API from the command line, as tables for people
//! and `--json` for scripts.
//!
//! ```text
//! export TIPRING_API=http://127.0.0.1:8180 TIPRING_TOKEN=$(cat tipring-provisioner-data/admin.token)
//! tipring-provisioner ctl site-put paris --var pbx=10.1.0.5 --var first_extension=201
//! tipring-provisioner ctl prereg-import serials.csv
//! tipring-provisioner ctl devices --enrollment pending
//! tipring-provisioner ctl approve 00D0C9-FXS4-TR0001 --site paris
//! tipring-provisioner ctl task 00D0C9-FXS4-TR0001 reboot --now
//! ```

use std::path::PathBuf;

use anyhow::Context as _;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use serde_json::{json, Value};

/// `ctl` options.
#[derive(Debug, clap::Args)]
pub struct CtlArgs {
    /// The API's base URL.
    #[arg(long, env = "TIPRING_API", default_value = "http://127.0.0.1:8180")]
    pub url: String,
    /// An API token (or set TIPRING_TOKEN, or --token-file).
    #[arg(long, env = "TIPRING_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// A file holding the token (e.g. the data directory's admin.token).
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// Print the API's JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    cmd: CtlCmd,
}

#[derive(Debug, clap::Subcommand)]
enum CtlCmd {
    /// List devices.
    Devices {
        #[arg(long)]
        site: Option<String>,
        #[arg(long)]
        tag: Option<String>,
        /// pending, approved or rejected.
        #[arg(long)]
        enrollment: Option<String>,
        #[arg(long)]
        model: Option<String>,
        /// Only devices with open faults.
        #[arg(long)]
        faulted: bool,
    },
    /// One device: its record, cached parameters, tasks and faults.
    Device { id: String },
    /// Approve a pending device (into a site).
    Approve {
        id: String,
        #[arg(long)]
        site: Option<String>,
        #[arg(long = "tag")]
        tags: Vec<String>,
    },
    /// Reject a device.
    Reject { id: String },
    /// Queue a task: get NAME..., set NAME=VALUE..., names PATH, attrs NAME...,
    /// notify NAME=0..6..., add PATH, delete PATH, reboot, factory-reset,
    /// download URL [FILETYPE], upload URL [FILETYPE], schedule-inform SECONDS,
    /// rpc-methods, transfers, cancel-transfer KEY, provision.
    Task {
        id: String,
        /// What to do.
        what: String,
        /// Its arguments.
        args: Vec<String>,
        /// Send a connection request so it happens now.
        #[arg(long)]
        now: bool,
    },
    /// Ask a device to connect now.
    Cr { id: String },
    /// List tasks (of a device).
    Tasks {
        #[arg(long)]
        device: Option<String>,
        #[arg(long)]
        state: Option<String>,
    },
    /// List sites.
    Sites,
    /// Create or replace a site.
    SitePut {
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        /// A template variable, NAME=VALUE (repeatable).
        #[arg(long = "var")]
        vars: Vec<String>,
    },
    /// List profiles.
    Profiles,
    /// Create or replace a profile from a JSON file ({"template": {...}, "site": ..., ...}).
    ProfilePut { name: String, file: PathBuf },
    /// Provision every device a profile governs, now.
    ProfileApply { name: String },
    /// Import pre-registrations from a CSV (header: serial,oui,product_class,site,tags).
    PreregImport { file: PathBuf },
    /// List pre-registrations.
    Preregs,
    /// Make a one-time claim code for a site.
    Claim {
        #[arg(long)]
        site: Option<String>,
        /// Lifetime in seconds.
        #[arg(long)]
        ttl: Option<i64>,
    },
    /// The names of a device's secrets.
    Secrets { id: String },
    /// Reveal one secret of a device (admin; audit-logged).
    Reveal { id: String, name: String },
    /// List API tokens.
    Tokens,
    /// Make an API token.
    TokenCreate {
        name: String,
        #[arg(long, default_value = "operator")]
        role: String,
    },
    /// The audit log.
    Audit {
        #[arg(long)]
        actor: Option<String>,
        #[arg(long)]
        target: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

/// Run `ctl` on a small runtime of its own.
pub fn run_blocking(a: CtlArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(a))
}

/// A client of the API.
#[derive(Debug, Clone)]
pub struct Client {
    base: hyper::Uri,
    token: String,
}

impl Client {
    /// A client of the API at `url` with `token`.
    pub fn new(url: &str, token: &str) -> anyhow::Result<Self> {
        let base: hyper::Uri = url.parse().with_context(|| format!("--url {url}"))?;
        if base.scheme_str() != Some("http") {
            anyhow::bail!("--url: http://HOST:PORT (put a TLS proxy in front for remote use)");
        }
        Ok(Self {
            base,
            token: token.trim().to_string(),
        })
    }

    /// One call: (status, JSON body or Null).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> anyhow::Result<(u16, Value)> {
        let host = self.base.host().context("no host in --url")?;
        let port = self.base.port_u16().unwrap_or(80);
        let stream = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port))
            .await
            .with_context(|| format!("cannot reach the API at {}", self.base))?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header(
                hyper::header::HOST,
                self.base.authority().map_or(host, |a| a.as_str()),
            )
            .header(
                hyper::header::AUTHORIZATION,
                format!("Bearer {}", self.token),
            );
        let bytes = match body {
            Some((ct, b)) => {
                req = req.header(hyper::header::CONTENT_TYPE, ct);
                b
            }
            None => Vec::new(),
        };
        let resp = sender
            .send_request(req.body(Full::new(Bytes::from(bytes)))?)
            .await?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await?.to_bytes();
        let v = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()))
        };
        Ok((status, v))
    }
}

fn q(pairs: &[(&str, &Option<String>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", urlencode(v))))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Columns of a table: (header, JSON pointer).
fn table(rows: &[Value], cols: &[(&str, &str)]) -> String {
    // Times are Unix seconds in the API; people read them as UTC dates.
    let is_time = |p: &str| p.ends_with("_at") || p == "/at" || p == "/last_inform";
    let cell = |r: &Value, p: &str| match r.pointer(p) {
        None | Some(Value::Null) => "-".to_string(),
        Some(Value::Number(n)) if is_time(p) => n
            .as_i64()
            .map_or_else(|| n.to_string(), tipring_firmware::rfc3339_utc),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), String::from))
            .collect::<Vec<_>>()
            .join(","),
        Some(v) => v.to_string(),
    };
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| cols.iter().map(|(_, p)| cell(r, p)).collect())
        .collect();
    let widths: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, (h, _))| {
            cells
                .iter()
                .map(|c| c[i].chars().count())
                .chain([h.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |vals: Vec<String>| {
        vals.iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(cols.iter().map(|(h, _)| h.to_string()).collect())];
    out.extend(cells.into_iter().map(line));
    out.join("\n")
}

async fn run(a: CtlArgs) -> anyhow::Result<()> {
    let token = match (&a.token, &a.token_file) {
        (Some(t), _) => t.clone(),
        (None, Some(f)) => std::fs::read_to_string(f)
            .with_context(|| format!("--token-file {}", f.display()))?,
        (None, None) => anyhow::bail!(
            "an API token is needed: --token, TIPRING_TOKEN or --token-file (the first one is in the data directory's admin.token)"
        ),
    };
    let c = Client::new(&a.url, &token)?;
    let js = |v: &Value| serde_json::to_vec(v).unwrap_or_default();
    type Call<'a> = (
        &'a str,
        String,
        Option<(&'a str, Vec<u8>)>,
        &'a [(&'a str, &'a str)],
    );
    let (method, path, body, cols): Call<'_> = match &a.cmd {
        CtlCmd::Devices {
            site,
            tag,
            enrollment,
            model,
            faulted,
        } => (
            "GET",
            format!(
                "/api/v1/devices{}",
                q(&[
                    ("site", site),
                    ("tag", tag),
                    ("enrollment", enrollment),
                    ("model", model),
                    ("faulted", &faulted.then(|| "true".to_string())),
                ])
            ),
            None,
            &[
                ("ID", "/id"),
                ("ENROLLMENT", "/enrollment"),
                ("SITE", "/site"),
                ("MODEL", "/model"),
                ("VERSION", "/software_version"),
                ("LAST INFORM", "/last_inform"),
                ("FAULTS", "/open_faults"),
            ],
        ),
        CtlCmd::Device { id } => (
            "GET",
            format!("/api/v1/devices/{}", urlencode(id)),
            None,
            &[],
        ),
        CtlCmd::Approve { id, site, tags } => {
            let mut b = json!({});
            if let Some(s) = site {
                b["site"] = json!(s);
            }
            if !tags.is_empty() {
                b["tags"] = json!(tags);
            }
            (
                "POST",
                format!("/api/v1/devices/{}/approve", urlencode(id)),
                Some(("application/json", js(&b))),
                &[],
            )
        }
        CtlCmd::Reject { id } => (
            "POST",
            format!("/api/v1/devices/{}/reject", urlencode(id)),
            None,
            &[],
        ),
        CtlCmd::Task {
            id,
            what,
            args,
            now,
        } => {
            let mut b = match what.as_str() {
                    "get" => json!({ "kind": "get_parameter_values", "names": args }),
                    "set" => {
                        let values = args
                            .iter()
                            .map(|a| {
                                a.split_once('=')
                                    .map(|(n, v)| json!([n, v]))
                                    .with_context(|| format!("{a}: NAME=VALUE"))
                            })
                            .collect::<anyhow::Result<Vec<_>>>()?;
                        json!({ "kind": "set_parameter_values", "values": values })
                    }
                    "names" => json!({ "kind": "get_parameter_names",
                                       "path": args.first().cloned().unwrap_or_default(),
                                       "next_level": true }),
                    "add" => json!({ "kind": "add_object", "path": args.first() }),
                    "delete" => json!({ "kind": "delete_object", "path": args.first() }),
                    "reboot" => json!({ "kind": "reboot" }),
                    "factory-reset" => json!({ "kind": "factory_reset" }),
                    "provision" => json!({ "kind": "provision" }),
                    "attrs" => json!({ "kind": "get_parameter_attributes", "names": args }),
                    "notify" => {
                        let attributes = args
                            .iter()
                            .map(|a| {
                                a.split_once('=')
                                    .and_then(|(n, v)| v.parse::<u8>().ok().map(|v| (n, v)))
                                    .map(|(n, v)| json!({ "name": n, "notification": v }))
                                    .with_context(|| format!("{a}: NAME=0..6"))
                            })
                            .collect::<anyhow::Result<Vec<_>>>()?;
                        json!({ "kind": "set_parameter_attributes", "attributes": attributes })
                    }
                    "upload" => json!({ "kind": "upload", "url": args.first(),
                                        "file_type": args.get(1).cloned().unwrap_or_else(|| "2 Vendor Log File".into()) }),
                    "schedule-inform" => json!({ "kind": "schedule_inform",
                        "delay_seconds": args.first().and_then(|a| a.parse::<u32>().ok()).unwrap_or(1) }),
                    "rpc-methods" => json!({ "kind": "get_rpc_methods" }),
                    "transfers" => json!({ "kind": "get_all_queued_transfers" }),
                    "cancel-transfer" => json!({ "kind": "cancel_transfer", "command_key": args.first() }),
                    "download" => json!({ "kind": "download", "url": args.first(),
                                          "file_type": args.get(1).cloned().unwrap_or_else(|| "1 Firmware Upgrade Image".into()),
                                          "file_size": 0, "target_file_name": "" }),
                    other => anyhow::bail!(
                        "unknown task {other}: get, set, names, attrs, notify, add, delete, reboot, factory-reset, download, upload, schedule-inform, rpc-methods, transfers, cancel-transfer, provision"
                    ),
                };
            b["connection_request"] = json!(now);
            (
                "POST",
                format!("/api/v1/devices/{}/tasks", urlencode(id)),
                Some(("application/json", js(&b))),
                &[],
            )
        }
        CtlCmd::Cr { id } => (
            "POST",
            format!("/api/v1/devices/{}/connection-request", urlencode(id)),
            None,
            &[],
        ),
        CtlCmd::Tasks { device, state } => (
            "GET",
            format!(
                "/api/v1/tasks{}",
                q(&[("device", device), ("state", state)])
            ),
            None,
            &[
                ("ID", "/id"),
                ("DEVICE", "/device"),
                ("KIND", "/kind/kind"),
                ("STATE", "/state"),
                ("ATTEMPTS", "/attempts"),
                ("FAULT", "/fault/message"),
            ],
        ),
        CtlCmd::Sites => (
            "GET",
            "/api/v1/sites".into(),
            None,
            &[("NAME", "/name"), ("DESCRIPTION", "/description")],
        ),
        CtlCmd::SitePut {
            name,
            description,
            vars,
        } => {
            let mut variables = serde_json::Map::new();
            for v in vars {
                let (k, val) = v
                    .split_once('=')
                    .with_context(|| format!("--var {v}: NAME=VALUE"))?;
                variables.insert(k.to_string(), json!(val));
            }
            (
                "PUT",
                format!("/api/v1/sites/{}", urlencode(name)),
                Some((
                    "application/json",
                    js(&json!({ "description": description, "variables": variables })),
                )),
                &[],
            )
        }
        CtlCmd::Profiles => (
            "GET",
            "/api/v1/profiles".into(),
            None,
            &[
                ("NAME", "/name"),
                ("PRIORITY", "/priority"),
                ("MODEL", "/model"),
                ("SITE", "/site"),
                ("TAGS", "/tags"),
                ("DRIFT", "/drift"),
            ],
        ),
        CtlCmd::ProfilePut { name, file } => (
            "PUT",
            format!("/api/v1/profiles/{}", urlencode(name)),
            Some((
                "application/json",
                std::fs::read(file).with_context(|| file.display().to_string())?,
            )),
            &[],
        ),
        CtlCmd::ProfileApply { name } => (
            "POST",
            format!("/api/v1/profiles/{}/apply", urlencode(name)),
            None,
            &[],
        ),
        CtlCmd::PreregImport { file } => (
            "POST",
            "/api/v1/preregistrations".into(),
            Some((
                "text/csv",
                std::fs::read(file).with_context(|| file.display().to_string())?,
            )),
            &[],
        ),
        CtlCmd::Preregs => (
            "GET",
            "/api/v1/preregistrations".into(),
            None,
            &[
                ("SERIAL", "/serial"),
                ("OUI", "/oui"),
                ("PRODUCT CLASS", "/product_class"),
                ("SITE", "/site"),
                ("TAGS", "/tags"),
            ],
        ),
        CtlCmd::Claim { site, ttl } => {
            let mut b = json!({});
            if let Some(s) = site {
                b["site"] = json!(s);
            }
            if let Some(t) = ttl {
                b["ttl_s"] = json!(t);
            }
            (
                "POST",
                "/api/v1/claims".into(),
                Some(("application/json", js(&b))),
                &[],
            )
        }
        CtlCmd::Secrets { id } => (
            "GET",
            format!("/api/v1/devices/{}/secrets", urlencode(id)),
            None,
            &[],
        ),
        CtlCmd::Reveal { id, name } => (
            "POST",
            format!(
                "/api/v1/devices/{}/secrets/{}/reveal",
                urlencode(id),
                urlencode(name)
            ),
            None,
            &[],
        ),
        CtlCmd::Tokens => (
            "GET",
            "/api/v1/tokens".into(),
            None,
            &[
                ("NAME", "/name"),
                ("ROLE", "/role"),
                ("CREATED", "/created_at"),
                ("REVOKED", "/revoked_at"),
            ],
        ),
        CtlCmd::TokenCreate { name, role } => (
            "POST",
            "/api/v1/tokens".into(),
            Some((
                "application/json",
                js(&json!({ "name": name, "role": role })),
            )),
            &[],
        ),
        CtlCmd::Audit {
            actor,
            target,
            limit,
        } => (
            "GET",
            format!(
                "/api/v1/audit{}",
                q(&[
                    ("actor", actor),
                    ("target", target),
                    ("limit", &Some(limit.to_string())),
                ])
            ),
            None,
            &[
                ("AT", "/at"),
                ("ACTOR", "/actor"),
                ("ACTION", "/action"),
                ("TARGET", "/target"),
            ],
        ),
    };
    let (status, v) = c.call(method, &path, body).await?;
    if status >= 400 {
        let field = v
            .get("field")
            .and_then(Value::as_str)
            .map(|f| format!(" ({f})"))
            .unwrap_or_default();
        let msg = v
            .get("error")
            .and_then(Value::as_str)
            .map_or_else(|| v.to_string(), String::from);
        anyhow::bail!("{status}: {msg}{field}");
    }
    if a.json || cols.is_empty() {
        if !v.is_null() {
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        return Ok(());
    }
    let rows = match &v {
        Value::Array(rows) => rows.clone(),
        Value::Object(o) => o
            .get("devices")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_else(|| vec![v.clone()]),
        _ => vec![v.clone()],
    };
    println!("{}", table(&rows, cols));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_line_up_and_show_missing_as_dash() {
        let rows = vec![
            json!({ "id": "a", "site": null, "tags": ["x", "y"] }),
            json!({ "id": "longer-id", "site": "paris", "tags": [] }),
        ];
        let t = table(
            &rows,
            &[("ID", "/id"), ("SITE", "/site"), ("TAGS", "/tags")],
        );
        assert_eq!(
            t,
            "ID         SITE   TAGS\na          -      x,y\nlonger-id  paris"
        );
    }
}

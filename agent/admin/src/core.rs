//! The admin pages without sockets: a request in, a response out, time as an argument.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use std::sync::Arc;

use ring::rand::SystemRandom;
use tipring_config::GatewayConfig;
use tipring_status::GatewayStatus;

use crate::auth::{check_new_password, Credential, Lockout, Sessions};
use crate::pages;
use crate::Error;

/// Largest request body taken (a restored configuration with its form; bigger ones are
/// 413).
pub const MAX_BODY: usize = tipring_config::MAX_DOCUMENT_BYTES + 16 * 1024;
/// The session cookie's name.
pub const COOKIE: &str = "tipring_admin";
/// The only user.
pub const USER: &str = "admin";

/// One request, as the shell read it.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The path, without the query.
    pub path: &'a str,
    /// The `Cookie` header, if any.
    pub cookie: Option<&'a str>,
    /// The `Origin` header, if any (checked on POST against cross-site forms).
    pub origin: Option<&'a str>,
    /// The `Host` header, if any.
    pub host: Option<&'a str>,
    /// The `Content-Type` header, if any (a restore is `multipart/form-data`).
    pub content_type: Option<&'a str>,
    /// The body (a form), at most [`MAX_BODY`].
    pub body: &'a [u8],
    /// Who sent it.
    pub peer: IpAddr,
}

/// A response for the shell to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header fields besides the security headers every response gets.
    pub headers: Vec<(&'static str, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Response {
    pub(crate) fn html(status: u16, body: String) -> Self {
        Self {
            status,
            headers: vec![("content-type", "text/html; charset=utf-8".into())],
            body: body.into_bytes(),
        }
    }

    fn redirect(to: &str) -> Self {
        Self {
            status: 303,
            headers: vec![("location", to.to_string())],
            body: Vec::new(),
        }
    }

    fn with(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// Header fields every response carries: no framing, no sniffing, no referrer beyond the
/// gateway itself (`same-origin`: with `no-referrer` browsers send `Origin: null` on
/// forms, and the origin check needs the real one), nothing cached, and a policy that
/// lets the pages load only their own stylesheet.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("cache-control", "no-store"),
];

/// What the pages show: the gateway's latest status and its running configuration.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// The status snapshot.
    pub status: Arc<GatewayStatus>,
    /// The running configuration (secrets included: never rendered), when the gateway
    /// runs one (`--config`).
    pub config: Option<Arc<GatewayConfig>>,
    /// Its version.
    pub version: u64,
    /// The uplink, ACS, firmware slots, access counters and diagnostics.
    pub device: Arc<crate::view::DeviceView>,
}

/// What a request comes to.
#[derive(Debug)]
pub enum Outcome {
    /// Send this.
    Respond(Response),
    /// Store and apply this configuration (as a `reload` would), then answer with
    /// [`Admin::applied`].
    Apply(Box<Apply>),
    /// Send this page, then do the action.
    Act(Response, Action),
}

/// A maintenance action the pages ask of the gateway.
pub enum Action {
    /// Restart the gateway (calls end).
    Reboot,
    /// Erase the configuration, the management state and the admin credential, then
    /// restart (the firmware slots and the device's keys stay).
    FactoryReset,
    /// Check the firmware image arriving on this channel (signature, model, version —
    /// from its first piece) and install it into the inactive slot as it comes, then
    /// restart into it on trial; the outcome goes to
    /// [`crate::view::DeviceView::firmware_upload`]. The channel ending without
    /// [`UploadChunk::End`] means the upload was cut short.
    Firmware(tokio::sync::mpsc::Receiver<UploadChunk>),
    /// Run a diagnostic; its progress and result go to
    /// [`crate::view::DeviceView::diagnostics`].
    Diagnose(crate::view::Diagnostic),
}

impl std::fmt::Debug for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::Reboot => f.write_str("Reboot"),
            Action::FactoryReset => f.write_str("FactoryReset"),
            Action::Firmware(_) => f.write_str("Firmware(upload)"),
            Action::Diagnose(d) => write!(f, "Diagnose({d})"),
        }
    }
}

/// A piece of a firmware upload on its way to the gateway.
#[derive(Debug)]
pub enum UploadChunk {
    /// The next bytes of the image.
    Data(Vec<u8>),
    /// The image is whole.
    End,
}

impl Action {
    /// Whether the gateway goes away after it (the page is sent first, with a moment to
    /// reach the browser).
    pub fn restarts(&self) -> bool {
        matches!(self, Action::Reboot | Action::FactoryReset)
    }
}

/// A configuration the pages want applied.
#[derive(Debug)]
pub struct Apply {
    /// The whole new document.
    pub config: GatewayConfig,
    /// What changed, for the log (`ports[1].extension`, ...), never a value.
    pub what: String,
    /// The session's form token (for the page that answers).
    pub csrf: String,
}

/// Where the credential lives.
pub trait CredentialStore: Send {
    /// The stored credential, if there is one.
    fn load(&mut self) -> Result<Option<Credential>, Error>;
    /// Store it (atomically: the old one or the new one, never half).
    fn save(&mut self, c: &Credential) -> Result<(), Error>;
}

/// `admin.json` in the agent's state directory (mode 0600, written to a temporary file
/// and renamed into place).
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// The credential file in `dir`.
    pub fn new(dir: &Path) -> Self {
        Self {
            path: dir.join("admin.json"),
        }
    }
}

impl CredentialStore for FileStore {
    fn load(&mut self) -> Result<Option<Credential>, Error> {
        match std::fs::read(&self.path) {
            Ok(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| Error::Credential(format!("{}: {e}", self.path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Io(self.path.clone(), e)),
        }
    }

    fn save(&mut self, c: &Credential) -> Result<(), Error> {
        let tmp = self.path.with_extension("json.tmp");
        let text = serde_json::to_vec_pretty(c).expect("a credential serialises");
        crate::write_private(&tmp, &text)?;
        std::fs::rename(&tmp, &self.path).map_err(|e| Error::Io(self.path.clone(), e))
    }
}

/// A store in memory (tests, or a device without a state directory: the first-start
/// password then lasts until the agent stops).
#[derive(Debug, Default)]
pub struct MemoryStore(pub Option<Credential>);

impl CredentialStore for MemoryStore {
    fn load(&mut self) -> Result<Option<Credential>, Error> {
        Ok(self.0.clone())
    }
    fn save(&mut self, c: &Credential) -> Result<(), Error> {
        self.0 = Some(c.clone());
        Ok(())
    }
}

/// Counters of the admin pages (for the status endpoint and logs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdminStats {
    /// Successful sign-ins.
    pub signins: u64,
    /// Failed sign-ins.
    pub failures: u64,
    /// Lock-outs started.
    pub lockouts: u64,
    /// Attempts refused during a lock-out.
    pub refused_locked: u64,
    /// POSTs refused for a missing or wrong form token / foreign origin.
    pub csrf_refused: u64,
}

/// The admin pages' state: the credential, sessions, lock-outs.
pub struct Admin {
    /// The gateway's recent log lines, for the export bundle.
    log_source: Option<Box<dyn Fn() -> String + Send>>,
    device: String,
    cred: Credential,
    store: Box<dyn CredentialStore>,
    lockout: Lockout,
    sessions: Sessions,
    rng: SystemRandom,
    signins: u64,
    csrf_refused: u64,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin")
            .field("device", &self.device)
            .field("sessions", &self.sessions.len())
            .finish_non_exhaustive()
    }
}

impl Admin {
    /// The admin pages of `device` with the credential in `store`. On first start (no
    /// credential yet) a random password is made and stored as a hash; it is returned
    /// (`Some`) so the caller prints it once on the console — it is never logged or kept.
    pub fn open(
        device: &str,
        mut store: Box<dyn CredentialStore>,
    ) -> Result<(Self, Option<String>), Error> {
        let rng = SystemRandom::new();
        let (cred, first) = match store.load()? {
            Some(c) => (c, None),
            None => {
                let (pw, c) = Credential::first_start(USER, &rng)?;
                store.save(&c)?;
                (c, Some(pw))
            }
        };
        Ok((
            Self {
                log_source: None,
                device: device.to_string(),
                cred,
                store,
                lockout: Lockout::default(),
                sessions: Sessions::default(),
                rng,
                signins: 0,
                csrf_refused: 0,
            },
            first,
        ))
    }

    /// Where the export bundle takes the gateway's recent log lines from.
    pub fn set_log_source(&mut self, f: impl Fn() -> String + Send + 'static) {
        self.log_source = Some(Box::new(f));
    }

    /// The counters.
    pub fn stats(&self) -> AdminStats {
        AdminStats {
            signins: self.signins,
            failures: self.lockout.failures,
            lockouts: self.lockout.lockouts,
            refused_locked: self.lockout.refused_locked,
            csrf_refused: self.csrf_refused,
        }
    }

    /// Answer one request from what the gateway shows now.
    pub fn handle_view(&mut self, req: &Request<'_>, now: Instant, view: &View) -> Outcome {
        let signed_in = req
            .cookie
            .and_then(session_cookie)
            .and_then(|t| self.sessions.touch(&t, now).cloned());
        match (signed_in, req.path) {
            (Some(s), "/config") => return self.config_page(req, &s.csrf, view),
            (Some(s), "/backup") if matches!(req.method, "GET" | "HEAD") => {
                return Outcome::Respond(self.backup(&s.csrf, view))
            }
            (Some(s), "/restore") if req.method == "POST" => {
                return self.restore(req, &s.csrf, view)
            }
            (Some(_), "/export") if matches!(req.method, "GET" | "HEAD") => {
                return Outcome::Respond(self.export(view))
            }
            (Some(s), "/maintenance") if matches!(req.method, "GET" | "HEAD") => {
                return Outcome::Respond(self.page(
                    200,
                    "Maintenance",
                    Some(&s.csrf),
                    pages::maintenance(&s.csrf, &view.device, None),
                ));
            }
            (Some(s), "/diagnostics") => return self.diagnostics(req, &s.csrf, view),
            (Some(_), "/diagnostics/capture.pcap") if matches!(req.method, "GET" | "HEAD") => {
                return Outcome::Respond(match &view.device.capture {
                    Some(c) => Response {
                        status: 200,
                        headers: vec![
                            ("content-type", "application/vnd.tcpdump.pcap".into()),
                            (
                                "content-disposition",
                                format!("attachment; filename=\"{}\"", c.name),
                            ),
                        ],
                        body: c.bytes.clone(),
                    },
                    None => Response::html(404, String::new()),
                });
            }
            (Some(s), path @ ("/reboot" | "/factory-reset")) if req.method == "POST" => {
                let form = Form::parse(req.body);
                if form.get("csrf") != Some(s.csrf.as_str()) || !same_origin(req) {
                    self.csrf_refused += 1;
                    return Outcome::Respond(self.forged(&s.csrf));
                }
                if path == "/factory-reset" && form.get("confirm") != Some("erase") {
                    return Outcome::Respond(self.page(
                        400,
                        "Maintenance",
                        Some(&s.csrf),
                        pages::maintenance(
                            &s.csrf,
                            &view.device,
                            Some((false, "Tick the box to confirm the factory reset.")),
                        ),
                    ));
                }
                let (action, text) = if path == "/reboot" {
                    (
                        Action::Reboot,
                        "The gateway restarts now; sign in again in a minute.",
                    )
                } else {
                    (Action::FactoryReset, "The gateway erases its configuration and restarts; sign in again in a minute.")
                };
                tracing::warn!(peer = %req.peer, ?action, "admin pages: maintenance action");
                let page = self.page(
                    200,
                    "Maintenance",
                    None,
                    format!("<p class=\"ok\" role=\"status\">{text}</p>"),
                );
                return Outcome::Act(page, action);
            }
            _ => {}
        }
        Outcome::Respond(self.handle(req, now, view))
    }

    /// Whether `cookie` carries a live session (the shell allows a firmware image's size
    /// only to signed-in browsers). Does not extend the session.
    pub fn signed_in(&self, cookie: Option<&str>, now: Instant) -> bool {
        cookie
            .and_then(session_cookie)
            .is_some_and(|t| self.sessions.alive(&t, now))
    }

    /// A firmware upload from the maintenance page reached its image part, after the form
    /// token `csrf`: whether the image may go on to the gateway (else the page to answer
    /// with once the body is read).
    pub fn firmware_begin(
        &mut self,
        req: &Request<'_>,
        csrf: &str,
        now: Instant,
        view: &View,
    ) -> Result<String, Response> {
        let Some(s) = req
            .cookie
            .and_then(session_cookie)
            .and_then(|t| self.sessions.touch(&t, now).cloned())
        else {
            return Err(Response::redirect("/signin"));
        };
        if csrf != s.csrf || !same_origin(req) {
            self.csrf_refused += 1;
            return Err(self.forged(&s.csrf));
        }
        let refuse = |why: &str| {
            self.page(
                400,
                "Maintenance",
                Some(&s.csrf),
                pages::maintenance(&s.csrf, &view.device, Some((false, why))),
            )
        };
        if view.device.firmware.is_empty() {
            return Err(refuse("This gateway runs without firmware slots."));
        }
        if matches!(
            view.device.firmware_upload,
            Some(crate::view::TaskState::Running(_))
        ) {
            return Err(refuse("An upgrade is already being installed."));
        }
        tracing::warn!(peer = %req.peer, "admin pages: firmware upload started");
        Ok(s.csrf)
    }

    /// The answer to a firmware upload whose body has been read: `received` bytes of the
    /// image went to the gateway (0: the form had no image).
    pub fn firmware_sent(&self, csrf: &str, received: u64, view: &View) -> Response {
        let (status, msg) = if received == 0 {
            (400, (false, "Choose a firmware image file.".to_string()))
        } else {
            (
                202,
                (
                    true,
                    format!(
                        "Image received ({received} bytes): its signature is being checked and it is being installed. Refresh this page (Maintenance) for the outcome."
                    ),
                ),
            )
        };
        self.page(
            status,
            "Maintenance",
            Some(csrf),
            pages::maintenance(csrf, &view.device, Some((msg.0, &msg.1))),
        )
    }

    /// The diagnostics page, and the forms that start a test.
    fn diagnostics(&mut self, req: &Request<'_>, csrf: &str, view: &View) -> Outcome {
        let show = |me: &Self, status: u16, msg: Option<(bool, &str)>| {
            me.page(
                status,
                "Diagnostics",
                Some(csrf),
                pages::diagnostics(csrf, &view.status.ports, &view.device, msg),
            )
        };
        match req.method {
            "GET" | "HEAD" => Outcome::Respond(show(self, 200, None)),
            "POST" => {
                let form = Form::parse(req.body);
                if form.get("csrf") != Some(csrf) || !same_origin(req) {
                    self.csrf_refused += 1;
                    return Outcome::Respond(self.forged(csrf));
                }
                match diagnostic(&form, view.status.ports.len()) {
                    Err(why) => Outcome::Respond(show(self, 400, Some((false, &why)))),
                    Ok(d) => {
                        tracing::info!(peer = %req.peer, test = %d, "admin pages: diagnostic started");
                        let text = format!("Started: {d}. Refresh this page for its result.");
                        Outcome::Act(show(self, 202, Some((true, &text))), Action::Diagnose(d))
                    }
                }
            }
            _ => Outcome::Respond(Response::html(405, String::new())),
        }
    }

    /// What the run loop said of an [`Apply`]: the configuration page with the outcome.
    pub fn applied(&self, result: Result<u64, String>, csrf: &str, view: &View) -> Response {
        let (status, msg) = match &result {
            Ok(v) => (
                200,
                (
                    true,
                    format!("Saved as configuration version {v} and applied."),
                ),
            ),
            Err(e) => (400, (false, format!("Refused, nothing changed: {e}"))),
        };
        let body = match &view.config {
            Some(c) => pages::config_form(c, csrf, &view.device, Some((msg.0, &msg.1))),
            None => String::new(),
        };
        self.page(status, "Configuration", Some(csrf), body)
    }

    /// The support bundle: the configuration with every secret replaced, the status, the
    /// recent log lines — what an installer sends the vendor. Nothing in it can sign in or
    /// register anywhere.
    fn export(&self, view: &View) -> Response {
        let body = support_bundle(
            &self.device,
            view,
            self.log_source.as_ref().map(|f| f()).unwrap_or_default(),
        );
        self.download("support-", "", body)
    }

    /// The running configuration as a file to keep (secrets included: it is what a restore
    /// needs; the page says so).
    fn backup(&self, csrf: &str, view: &View) -> Response {
        let Some(c) = view.config.as_deref() else {
            return self.page(
                404,
                "Backup",
                Some(csrf),
                "<p>No configuration file to back up.</p>".into(),
            );
        };
        let mut body = serde_json::to_vec_pretty(c).expect("a configuration serialises");
        body.push(b'\n');
        tracing::info!(
            version = view.version,
            "admin pages: configuration backup downloaded"
        );
        self.download("", &format!("-v{}", view.version), body)
    }

    /// A configuration file uploaded to be restored: read and checked here (errors named),
    /// stored and applied by the run loop (which keeps the one before it).
    fn restore(&mut self, req: &Request<'_>, csrf: &str, view: &View) -> Outcome {
        let parts = req
            .content_type
            .and_then(boundary)
            .map(|b| multipart(req.body, &b))
            .unwrap_or_default();
        let field = |name: &str| {
            parts
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_slice())
        };
        if field("csrf") != Some(csrf.as_bytes()) || !same_origin(req) {
            self.csrf_refused += 1;
            return Outcome::Respond(self.forged(csrf));
        }
        let refuse = |this: &Self, why: String| {
            let body = match &view.config {
                Some(c) => pages::config_form(c, csrf, &view.device, Some((false, &why))),
                None => format!("<p class=\"error\">{}</p>", pages::esc(&why)),
            };
            Outcome::Respond(this.page(400, "Configuration", Some(csrf), body))
        };
        let Some(file) = field("file").filter(|f| !f.is_empty()) else {
            return refuse(self, "Restore: choose a backup file first.".into());
        };
        match tipring_config::deserialize(file) {
            Ok(config) => {
                tracing::info!(peer = %req.peer, bytes = file.len(), "admin pages restore a configuration backup");
                Outcome::Apply(Box::new(Apply {
                    config,
                    what: "a restored backup".into(),
                    csrf: csrf.to_string(),
                }))
            }
            Err(e) => refuse(self, format!("Restore refused, nothing changed: {e}")),
        }
    }

    fn config_page(&mut self, req: &Request<'_>, csrf: &str, view: &View) -> Outcome {
        let Some(running) = view.config.as_deref() else {
            return Outcome::Respond(self.page(
                404,
                "Configuration",
                Some(csrf),
                "<p>This gateway runs without a configuration file (`--config`): nothing to edit here.</p>".into(),
            ));
        };
        match req.method {
            "GET" | "HEAD" => Outcome::Respond(self.page(
                200,
                "Configuration",
                Some(csrf),
                pages::config_form(running, csrf, &view.device, None),
            )),
            "POST" => {
                let form = Form::parse(req.body);
                if form.get("csrf") != Some(csrf) || !same_origin(req) {
                    self.csrf_refused += 1;
                    return Outcome::Respond(self.forged(csrf));
                }
                // Without a section: the ports form of earlier pages.
                let section = form.get("section").unwrap_or("ports");
                let new = match crate::edit::apply(section, &form, running) {
                    Ok(n) => n,
                    Err(why) => {
                        return Outcome::Respond(self.page(
                            400,
                            "Configuration",
                            Some(csrf),
                            pages::config_form(
                                running,
                                csrf,
                                &view.device,
                                Some((false, &format!("Refused, nothing changed: {why}"))),
                            ),
                        ))
                    }
                };
                let changed = crate::edit::changed(running, &new);
                if changed.is_empty() {
                    return Outcome::Respond(self.page(
                        200,
                        "Configuration",
                        Some(csrf),
                        pages::config_form(
                            running,
                            csrf,
                            &view.device,
                            Some((true, "Nothing changed.")),
                        ),
                    ));
                }
                tracing::info!(peer = %req.peer, what = %changed.join(", "), "admin pages change the configuration");
                Outcome::Apply(Box::new(Apply {
                    config: new,
                    what: changed.join(", "),
                    csrf: csrf.to_string(),
                }))
            }
            _ => Outcome::Respond(Response::html(405, String::new())),
        }
    }

    /// Answer one request; `status` is the gateway's latest snapshot.
    pub fn handle(&mut self, req: &Request<'_>, now: Instant, view: &View) -> Response {
        let status = &*view.status;
        let token = req.cookie.and_then(session_cookie);
        let session = token
            .as_deref()
            .and_then(|t| self.sessions.touch(t, now))
            .cloned();
        match (req.method, req.path) {
            ("GET" | "HEAD", "/style.css") => Response {
                status: 200,
                headers: vec![
                    ("content-type", "text/css; charset=utf-8".into()),
                    ("cache-control", "max-age=3600".into()),
                ],
                body: pages::STYLE.as_bytes().to_vec(),
            },
            ("GET" | "HEAD", "/") => Response::redirect(if session.is_some() {
                "/status"
            } else {
                "/signin"
            }),
            ("GET" | "HEAD", "/signin") => self.page(200, "Sign in", None, pages::signin(None)),
            ("POST", "/signin") => self.signin(req, now),
            (
                _,
                "/signin" | "/signout" | "/status" | "/password" | "/config" | "/backup"
                | "/restore" | "/export" | "/maintenance" | "/reboot" | "/factory-reset" | "/"
                | "/style.css" | "/firmware" | "/diagnostics",
            ) if !matches!(req.method, "GET" | "HEAD" | "POST") => {
                Response::html(405, String::new()).with("allow", "GET, HEAD, POST".into())
            }
            (method, path) => {
                // Everything else is for signed-in browsers only.
                let (Some(s), Some(token)) = (session, token) else {
                    return Response::redirect("/signin");
                };
                if method == "POST" {
                    let form = Form::parse(req.body);
                    if form.get("csrf") != Some(s.csrf.as_str()) || !same_origin(req) {
                        self.csrf_refused += 1;
                        tracing::warn!(peer = %req.peer, path, "admin form refused: no valid form token");
                        return self.forged(&s.csrf);
                    }
                    return match path {
                        "/signout" => {
                            self.sessions.end(&token);
                            tracing::info!(peer = %req.peer, "admin signed out");
                            Response::redirect("/signin").with("set-cookie", clear_cookie())
                        }
                        "/password" => self.change_password(&form, &s.csrf, &token, req.peer),
                        _ => Response::html(404, String::new()),
                    };
                }
                match path {
                    "/status" => {
                        let mut body = String::new();
                        if self.cred.first_start {
                            body.push_str("<p class=\"warn\">The first-start password is still in use: <a href=\"/password\">change it</a>.</p>");
                        }
                        body.push_str(&pages::status(status, &view.device));
                        self.page(200, "Status", Some(&s.csrf), body)
                    }
                    "/password" => {
                        let form = pages::password_form(&s.csrf, self.cred.first_start, None);
                        self.page(200, "Password", Some(&s.csrf), form)
                    }
                    _ => self.page(
                        404,
                        "Not found",
                        Some(&s.csrf),
                        "<p>No such page.</p>".into(),
                    ),
                }
            }
        }
    }

    /// The answer to a POST without this session's form token (or from another origin).
    fn forged(&self, csrf: &str) -> Response {
        self.page(
            403,
            "Refused",
            Some(csrf),
            "<p class=\"error\">This form was not sent by this page. Reload it and try again.</p>"
                .into(),
        )
    }

    /// A JSON file to save as `tipring-{what}-{device}{suffix}.json`.
    fn download(&self, what: &str, suffix: &str, body: Vec<u8>) -> Response {
        let device = file_safe(&self.device);
        Response {
            status: 200,
            headers: vec![
                ("content-type", "application/json".into()),
                (
                    "content-disposition",
                    format!("attachment; filename=\"tipring-{what}{device}{suffix}.json\""),
                ),
            ],
            body,
        }
    }

    fn page(&self, status: u16, title: &str, nav: Option<&str>, body: String) -> Response {
        Response::html(status, pages::page(&self.device, title, nav, &body))
    }

    fn signin(&mut self, req: &Request<'_>, now: Instant) -> Response {
        if let Some(until) = self.lockout.locked(req.peer, now) {
            self.lockout.refused_locked += 1;
            let secs = until.duration_since(now).as_secs().max(1);
            return self
                .page(
                    429,
                    "Sign in",
                    None,
                    pages::signin(Some(&format!(
                        "Too many failed sign-ins: try again in {} min.",
                        secs.div_ceil(60)
                    ))),
                )
                .with("retry-after", secs.to_string());
        }
        if !same_origin(req) {
            self.csrf_refused += 1;
            return self.page(
                403,
                "Sign in",
                None,
                pages::signin(Some("Refused: a form from another site.")),
            );
        }
        let form = Form::parse(req.body);
        let (user, password) = (
            form.get("user").unwrap_or(""),
            form.get("password").unwrap_or(""),
        );
        if !self.cred.verify(user, password) {
            let locked = self.lockout.failed(req.peer, now);
            tracing::warn!(peer = %req.peer, locked = locked.is_some(), "admin sign-in failed");
            return self.page(
                401,
                "Sign in",
                None,
                pages::signin(Some("Wrong user or password.")),
            );
        }
        self.lockout.succeeded(req.peer);
        let token = match self.sessions.start(USER, req.peer, now, &self.rng) {
            Ok(t) => t,
            Err(e) => return Response::html(500, format!("{e}")),
        };
        self.signins += 1;
        tracing::info!(peer = %req.peer, "admin signed in");
        let to = if self.cred.first_start {
            "/password"
        } else {
            "/status"
        };
        Response::redirect(to).with(
            "set-cookie",
            format!("{COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict"),
        )
    }

    fn change_password(&mut self, form: &Form, csrf: &str, token: &str, peer: IpAddr) -> Response {
        let reply = |this: &Self, status: u16, ok: bool, m: &str| {
            this.page(
                status,
                "Password",
                Some(csrf),
                pages::password_form(csrf, this.cred.first_start && !ok, Some((ok, m))),
            )
        };
        let (current, new, confirm) = (
            form.get("current").unwrap_or(""),
            form.get("new").unwrap_or(""),
            form.get("confirm").unwrap_or(""),
        );
        if !self.cred.verify(USER, current) {
            return reply(self, 400, false, "The current password is wrong.");
        }
        if new != confirm {
            return reply(self, 400, false, "The two new passwords differ.");
        }
        if let Err(why) = check_new_password(USER, new) {
            return reply(self, 400, false, &format!("New password: {why}."));
        }
        if new == current {
            return reply(self, 400, false, "New password: not the current one.");
        }
        let cred = match Credential::new(USER, new, &self.rng) {
            Ok(c) => c,
            Err(e) => return reply(self, 500, false, &e.to_string()),
        };
        if let Err(e) = self.store.save(&cred) {
            tracing::error!(error = %e, "admin password not stored");
            return reply(
                self,
                500,
                false,
                "The new password could not be stored; the old one stays.",
            );
        }
        self.cred = cred;
        tracing::info!(%peer, "admin password changed");
        // Other browsers signed in with the old password are signed out; this one stays.
        self.sessions.end_others(token);
        reply(self, 200, true, "Password changed.")
    }
}

/// The boundary of a `multipart/form-data` content type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim_matches('"').to_string())
        .filter(|b| !b.is_empty() && b.len() <= 70)
}

/// The named parts of a `multipart/form-data` body (RFC 7578): (name, content). At most
/// 8 parts; anything malformed ends the list.
fn multipart(body: &[u8], boundary: &str) -> Vec<(String, Vec<u8>)> {
    let delim = format!("--{boundary}");
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    };
    let mut out = Vec::new();
    let Some(mut at) = find(body, delim.as_bytes(), 0) else {
        return out;
    };
    let next_delim = format!("\r\n--{boundary}");
    while out.len() < 8 {
        at += delim.len();
        if body.get(at..at + 2) != Some(b"\r\n") {
            break; // `--` after the boundary: the end
        }
        at += 2;
        let Some(head_end) = find(body, b"\r\n\r\n", at) else {
            break;
        };
        let head = String::from_utf8_lossy(&body[at..head_end]);
        let name = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .and_then(|l| l.split(';').find_map(|p| p.trim().strip_prefix("name=")))
            .map(|n| n.trim_matches('"').to_string());
        let content_start = head_end + 4;
        let Some(end) = find(body, next_delim.as_bytes(), content_start) else {
            break;
        };
        if let Some(n) = name {
            out.push((n, body[content_start..end].to_vec()));
        }
        at = end + 2;
    }
    out
}

/// The session token in a `Cookie` header.
fn session_cookie(header: &str) -> Option<String> {
    header
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
        .filter(|v| v.len() <= 64)
}

fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// A POST's `Origin`, when sent, must be this host (browsers send it on every form).
fn same_origin(req: &Request<'_>) -> bool {
    match (req.origin, req.host) {
        (None, _) => true,
        (Some(o), Some(h)) => o.strip_prefix("https://") == Some(h),
        (Some(_), None) => false,
    }
}

/// The support bundle (JSON, `tipring-support/1`): the configuration with every secret
/// replaced, the status, the uplink/ACS/firmware/access view, and `log` — what an
/// installer sends the vendor, from the maintenance page or over TR-069 Upload (`4 Vendor
/// Log File 2`). Nothing in it can sign in or register anywhere.
pub fn support_bundle(device: &str, view: &View, log: String) -> Vec<u8> {
    let bundle = serde_json::json!({
        "bundle": "tipring-support/1",
        "device": device,
        "config_version": view.version,
        "config": view.config.as_deref().map(tipring_config::GatewayConfig::redacted),
        "status": &*view.status,
        "gateway": &*view.device,
        "log": log,
    });
    serde_json::to_vec_pretty(&bundle).expect("a bundle serialises")
}

/// `name` as a piece of a download's file name: letters, digits and `-`; `_` for the rest.
pub fn file_safe(name: &str) -> String {
    name.chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '-' {
                ch
            } else {
                '_'
            }
        })
        .collect()
}

/// Fields read from one form (the calling section has ~12 per port).
const MAX_FORM_FIELDS: usize = 256;

/// A diagnostic from the Diagnostics page's form, checked.
fn diagnostic(form: &Form, ports: usize) -> Result<crate::view::Diagnostic, String> {
    use crate::view::{Diagnostic, MAX_CAPTURE_S, MAX_TEST_S, TEST_TONES};
    let port = || match form.get("port").map(str::parse::<usize>) {
        Some(Ok(p)) if (1..=ports).contains(&p) => Ok(p),
        _ => Err(format!("Choose a port from 1 to {ports}.")),
    };
    let seconds = |max: u32| match form.get("seconds").map(str::parse::<u32>) {
        Some(Ok(s)) if (1..=max).contains(&s) => Ok(s),
        _ => Err(format!("Give a number of seconds from 1 to {max}.")),
    };
    match form.get("test") {
        Some("ring") => Ok(Diagnostic::Ring {
            port: port()?,
            seconds: seconds(MAX_TEST_S)?,
        }),
        Some("tone") => {
            let tone = form.get("tone").unwrap_or_default();
            if !TEST_TONES.iter().any(|(k, _)| *k == tone) {
                return Err("Choose one of the tones offered.".into());
            }
            Ok(Diagnostic::Tone {
                port: port()?,
                tone: tone.to_string(),
                seconds: seconds(MAX_TEST_S)?,
            })
        }
        Some("loopback") => Ok(Diagnostic::Loopback { port: port()? }),
        Some("ping") => Ok(Diagnostic::Ping { port: port()? }),
        Some("capture") => Ok(Diagnostic::Capture {
            seconds: seconds(MAX_CAPTURE_S)?,
        }),
        _ => Err("No such diagnostic.".into()),
    }
}

/// An `application/x-www-form-urlencoded` body.
#[derive(Debug, Default)]
struct Form(Vec<(String, String)>);

impl Form {
    fn parse(body: &[u8]) -> Self {
        let text = String::from_utf8_lossy(body);
        Self(
            text.split('&')
                .filter(|kv| !kv.is_empty())
                .take(MAX_FORM_FIELDS)
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    (decode(k), decode(v))
                })
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl crate::edit::Fields for Form {
    fn field(&self, name: &str) -> Option<&str> {
        self.get(name)
    }
}

/// Percent-decoding with `+` as space; bad escapes stay as they are.
fn decode(s: &str) -> String {
    fn hex(c: u8) -> Option<u8> {
        (c as char).to_digit(16).map(|d| d as u8)
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn t0() -> Instant {
        #[allow(clippy::disallowed_methods)] // the test's epoch; virtual time from here
        Instant::now()
    }

    const PEER: &str = "192.0.2.10";

    struct Rig {
        admin: Admin,
        password: String,
        now: Instant,
        status: GatewayStatus,
        cookie: Option<String>,
    }

    impl Rig {
        fn new() -> Self {
            let (admin, pw) = Admin::open("gw-1", Box::new(MemoryStore::default())).unwrap();
            Self {
                admin,
                password: pw.expect("first start"),
                now: t0(),
                status: GatewayStatus::default(),
                cookie: None,
            }
        }

        fn send(&mut self, method: &str, path: &str, body: &str, peer: &str) -> Response {
            let cookie = self.cookie.clone();
            let req = Request {
                method,
                path,
                cookie: cookie.as_deref(),
                origin: None,
                host: Some("gw"),
                content_type: None,
                body: body.as_bytes(),
                peer: peer.parse().unwrap(),
            };
            let view = View {
                status: Arc::new(self.status.clone()),
                ..View::default()
            };
            let r = self.admin.handle(&req, self.now, &view);
            if let Some((_, c)) = r.headers.iter().find(|(k, _)| *k == "set-cookie") {
                self.cookie = Some(c.split(';').next().unwrap().to_string());
            }
            r
        }

        /// Sign in with the first-start password.
        fn sign_in(&mut self) -> Response {
            let body = format!("user=admin&password={}", enc(&self.password.clone()));
            self.send("POST", "/signin", &body, PEER)
        }

        fn csrf(&mut self) -> String {
            let r = self.send("GET", "/password", "", PEER);
            let html = String::from_utf8(r.body).unwrap();
            let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
            html[at..at + html[at..].find('"').unwrap()].to_string()
        }
    }

    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }

    #[test]
    fn first_start_sign_in_goes_to_the_password_page_and_a_new_password_works() {
        let mut r = Rig::new();
        assert_eq!(
            r.send("GET", "/status", "", PEER).status,
            303,
            "not signed in"
        );
        let pw = r.password.clone();
        let resp = r.send(
            "POST",
            "/signin",
            &format!("user=admin&password={}", enc(&pw)),
            PEER,
        );
        assert_eq!(resp.status, 303);
        assert!(resp.headers.contains(&("location", "/password".into())));
        let cookie = resp
            .headers
            .iter()
            .find(|(k, _)| *k == "set-cookie")
            .unwrap();
        assert!(
            cookie.1.contains("Secure; HttpOnly; SameSite=Strict"),
            "{}",
            cookie.1
        );
        let status = r.send("GET", "/status", "", PEER);
        assert_eq!(status.status, 200);
        assert!(
            String::from_utf8_lossy(&status.body).contains("first-start password is still in use")
        );
        let csrf = r.csrf();
        // Refusals name the problem and keep the old password.
        for (new, confirm, want) in [
            ("short", "short", "at least 10"),
            ("fax-room-2nd-floor", "fax-room-2nd-flor", "differ"),
        ] {
            let body = format!(
                "csrf={csrf}&current={}&new={}&confirm={}",
                enc(&pw),
                enc(new),
                enc(confirm)
            );
            let resp = r.send("POST", "/password", &body, PEER);
            assert_eq!(resp.status, 400);
            assert!(String::from_utf8_lossy(&resp.body).contains(want));
        }
        let body = format!(
            "csrf={csrf}&current={}&new=fax-room-2nd-floor&confirm=fax-room-2nd-floor",
            enc(&pw)
        );
        let resp = r.send("POST", "/password", &body, PEER);
        assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
        assert!(!r.admin.cred.first_start);
        // The old one no longer signs in, the new one does.
        r.cookie = None;
        let old = format!("user=admin&password={}", enc(&pw));
        assert_eq!(r.send("POST", "/signin", &old, PEER).status, 401);
        let resp = r.send(
            "POST",
            "/signin",
            "user=admin&password=fax-room-2nd-floor",
            PEER,
        );
        assert!(resp.headers.contains(&("location", "/status".into())));
    }

    #[test]
    fn wrong_passwords_lock_the_address_out() {
        let mut r = Rig::new();
        for _ in 0..crate::auth::MAX_FAILURES {
            assert_eq!(
                r.send("POST", "/signin", "user=admin&password=guess", PEER)
                    .status,
                401
            );
        }
        // Now even the right password is refused from that address, with Retry-After.
        let pw = r.password.clone();
        let right = format!("user=admin&password={}", enc(&pw));
        let resp = r.send("POST", "/signin", &right, PEER);
        assert_eq!(resp.status, 429);
        assert!(resp
            .headers
            .iter()
            .any(|(k, v)| *k == "retry-after" && v.parse::<u64>().unwrap() > 800));
        assert!(String::from_utf8_lossy(&resp.body).contains("Too many failed sign-ins"));
        // Another address is not locked; the locked one is free after the window.
        assert_eq!(r.send("POST", "/signin", &right, "192.0.2.11").status, 303);
        r.now += crate::auth::LOCKOUT_WINDOW;
        assert_eq!(r.send("POST", "/signin", &right, PEER).status, 303);
        let s = r.admin.stats();
        assert_eq!((s.failures, s.lockouts, s.refused_locked), (5, 1, 1));
    }

    #[test]
    fn sessions_expire_and_forms_need_their_token() {
        let mut r = Rig::new();
        r.sign_in();
        assert_eq!(r.send("GET", "/status", "", PEER).status, 200);
        // A POST without the page's token (a cross-site form) is refused.
        let resp = r.send("POST", "/signout", "csrf=forged", PEER);
        assert_eq!(resp.status, 403);
        assert_eq!(r.admin.stats().csrf_refused, 1);
        // Idle past the limit: signed out.
        r.now += crate::auth::SESSION_IDLE + Duration::from_secs(1);
        assert_eq!(r.send("GET", "/status", "", PEER).status, 303);
        // Sign out ends the session and clears the cookie.
        r.sign_in();
        let csrf = r.csrf();
        let resp = r.send("POST", "/signout", &format!("csrf={csrf}"), PEER);
        assert_eq!(resp.status, 303);
        assert!(r.cookie.as_deref().unwrap().ends_with('='), "cleared");
        assert_eq!(r.send("GET", "/status", "", PEER).status, 303);
    }

    #[test]
    fn the_configuration_page_asks_for_what_changed_only() {
        let mut r = Rig::new();
        r.sign_in();
        let csrf = r.csrf();
        let mut cfg = tipring_config::GatewayConfig::example(2);
        cfg.ports[0].password = Some(tipring_config::Secret::new("secret-101"));
        let view = View {
            status: Arc::new(GatewayStatus::default()),
            config: Some(Arc::new(cfg)),
            version: 3,
            device: Arc::default(),
        };
        let cookie = r.cookie.clone();
        let req = |body: &'static str, method: &'static str| Request {
            method,
            path: "/config",
            cookie: None,
            origin: Some("https://gw"),
            host: Some("gw"),
            content_type: None,
            body: body.as_bytes(),
            peer: PEER.parse().unwrap(),
        };
        let with_cookie = |mut q: Request<'static>, c: &'static str| {
            q.cookie = Some(c);
            q
        };
        let c: &'static str = Box::leak(cookie.unwrap().into_boxed_str());
        let Outcome::Respond(page) =
            r.admin
                .handle_view(&with_cookie(req("", "GET"), c), r.now, &view)
        else {
            panic!("a page");
        };
        let html = String::from_utf8(page.body).unwrap();
        assert!(!html.contains("secret-101"), "passwords are never shown");
        let body: &'static str = Box::leak(
            format!("csrf={csrf}&p0_extension=150&p0_enabled=on&p0_password=&p1_extension=102&p1_enabled=on").into_boxed_str(),
        );
        match r
            .admin
            .handle_view(&with_cookie(req(body, "POST"), c), r.now, &view)
        {
            Outcome::Apply(a) => {
                assert_eq!(a.what, "ports[0].extension");
                assert_eq!(a.config.ports[0].extension, "150");
                assert_eq!(
                    a.config.ports[0]
                        .password
                        .as_ref()
                        .map(|p| p.expose().to_string()),
                    Some("secret-101".to_string()),
                    "a blank password keeps the stored one"
                );
            }
            Outcome::Respond(r) | Outcome::Act(r, _) => {
                panic!("{}", String::from_utf8_lossy(&r.body))
            }
        }
        // A forged form changes nothing.
        let Outcome::Respond(page) = r.admin.handle_view(
            &with_cookie(req("csrf=x&p0_extension=9", "POST"), c),
            r.now,
            &view,
        ) else {
            panic!("refused");
        };
        assert_eq!(page.status, 403);
    }

    #[test]
    fn maintenance_acts_after_its_page_and_the_bundle_holds_no_secret() {
        let mut r = Rig::new();
        r.sign_in();
        let csrf = r.csrf();
        r.admin
            .set_log_source(|| "[port 1 ext 101] SIP: registered\n".to_string());
        let mut cfg = tipring_config::GatewayConfig::example(1);
        cfg.ports[0].password = Some(tipring_config::Secret::new("secret-101"));
        let view = View {
            status: Arc::new(GatewayStatus::default()),
            config: Some(Arc::new(cfg)),
            version: 4,
            device: Arc::default(),
        };
        let cookie = r.cookie.clone().unwrap();
        let mut ask = |method: &str, path: &str, body: &str| {
            let req = Request {
                method,
                path,
                cookie: Some(&cookie),
                origin: None,
                host: Some("gw"),
                content_type: None,
                body: body.as_bytes(),
                peer: PEER.parse().unwrap(),
            };
            r.admin.handle_view(&req, r.now, &view)
        };
        let Outcome::Respond(bundle) = ask("GET", "/export", "") else {
            panic!("a file");
        };
        let text = String::from_utf8(bundle.body).unwrap();
        assert!(text.contains("SIP: registered") && text.contains("\"config_version\": 4"));
        assert!(!text.contains("secret-101"), "{text}");
        // A factory reset needs its box ticked; a restart does not.
        let Outcome::Respond(p) = ask("POST", "/factory-reset", &format!("csrf={csrf}")) else {
            panic!("refused");
        };
        assert_eq!(p.status, 400);
        assert!(matches!(
            ask(
                "POST",
                "/factory-reset",
                &format!("csrf={csrf}&confirm=erase")
            ),
            Outcome::Act(_, Action::FactoryReset)
        ));
        assert!(matches!(
            ask("POST", "/reboot", &format!("csrf={csrf}")),
            Outcome::Act(_, Action::Reboot)
        ));
        assert!(matches!(
            ask("POST", "/reboot", "csrf=forged"),
            Outcome::Respond(Response { status: 403, .. })
        ));
    }

    #[test]
    fn diagnostics_forms_are_checked_before_anything_runs() {
        use crate::view::Diagnostic as D;
        let d = |body: &str| diagnostic(&Form::parse(body.as_bytes()), 2);
        assert_eq!(
            d("test=ring&port=2&seconds=10"),
            Ok(D::Ring {
                port: 2,
                seconds: 10
            })
        );
        assert_eq!(
            d("test=tone&port=1&tone=busy&seconds=3"),
            Ok(D::Tone {
                port: 1,
                tone: "busy".into(),
                seconds: 3
            })
        );
        assert_eq!(
            d("test=capture&seconds=300"),
            Ok(D::Capture { seconds: 300 })
        );
        assert_eq!(d("test=ping&port=1"), Ok(D::Ping { port: 1 }));
        for (bad, why) in [
            ("test=ring&port=3&seconds=10", "port from 1 to 2"),
            ("test=ring&port=0&seconds=10", "port from 1 to 2"),
            ("test=ring&port=1&seconds=61", "seconds from 1 to 60"),
            ("test=ring&port=1", "seconds from 1 to 60"),
            ("test=capture&seconds=301", "seconds from 1 to 300"),
            ("test=tone&port=1&tone=siren&seconds=3", "tones offered"),
            ("test=reboot", "No such diagnostic"),
        ] {
            let e = d(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn multipart_bodies_split_into_their_named_parts() {
        let b = "XyZ";
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.json\"\r\n\
                    Content-Type: application/json\r\n\r\n{\"a\":\r\n1}\r\n--XyZ--\r\n";
        let parts = multipart(body.as_bytes(), b);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], ("csrf".to_string(), b"tok".to_vec()));
        assert_eq!(parts[1].1, b"{\"a\":\r\n1}".to_vec());
        assert_eq!(
            boundary("multipart/form-data; boundary=\"XyZ\"").as_deref(),
            Some("XyZ")
        );
        assert_eq!(boundary("application/json"), None);
        // Cut short, or without boundaries: nothing, no panic.
        assert!(multipart(&body.as_bytes()[..40], b).is_empty());
        assert!(multipart(b"garbage", b).is_empty());
    }

    #[test]
    fn every_response_is_html_or_css_and_forms_decode() {
        assert_eq!(decode("a%20b+c%zz%4"), "a b c%zz%4");
        assert_eq!(Form::parse(b"x=1&y=%26&z").get("y"), Some("&"));
        assert_eq!(
            session_cookie("a=1; tipring_admin=tok; b=2").as_deref(),
            Some("tok")
        );
        let mut r = Rig::new();
        assert_eq!(r.send("DELETE", "/status", "", PEER).status, 405);
        assert_eq!(
            r.send("GET", "/nope", "", PEER).status,
            303,
            "not signed in"
        );
        let css = r.send("GET", "/style.css", "", PEER);
        assert!(css
            .headers
            .iter()
            .any(|(k, v)| *k == "content-type" && v.starts_with("text/css")));
    }
}

//! Kamailio as a registrar and proxy with digest auth, one private instance per test.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::dir::PeerDir;
use super::process::{describe, PeerProcess, POLL};
use super::tls::{options_ping_tls, TestCa, KAMAILIO_TLS_NAME};
use super::{
    find_tool, free_port, free_port_udp_and_tcp, now, options_ping, tail, Transport, LOOPBACK,
};
use crate::{Error, Result};

/// The configuration template (`integration-tests/peers/kamailio.cfg.tmpl`).
const TEMPLATE: &str = include_str!("../../peers/kamailio.cfg.tmpl");

/// How many fresh ports [`Kamailio::start`] tries when another process took the port.
const START_ATTEMPTS: u32 = 5;

/// How many log lines go into error messages.
const TAIL_LINES: usize = 30;

/// The digest algorithm Kamailio challenges with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DigestAlgorithm {
    /// `algorithm=MD5` (RFC 2617; RFC 3261 22.4).
    #[default]
    Md5,
    /// `algorithm=SHA-256` (RFC 7616; RFC 8760 for SIP).
    Sha256,
}

/// What the Kamailio instance of a test looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KamailioConfig {
    /// SIP domain, also the digest realm and an alias of the proxy (`uri == myself`).
    pub domain: String,
    /// Accounts as (user, password): the users that may register, and the callees that
    /// exist (an unknown callee gets 404, a known one that is not registered 480).
    pub accounts: Vec<(String, String)>,
    /// Challenge initial INVITEs (and other non-REGISTER requests) with 407 too.
    pub invite_auth: bool,
    /// Record-route INVITEs, so in-dialog requests go through the proxy.
    pub record_route: bool,
    /// Digest algorithm of the challenges.
    pub digest: DigestAlgorithm,
    /// Longest registration granted, in seconds (registrar `max_expires`; also the
    /// lifetime given to a REGISTER without an expiry). A short one makes a UA refresh soon.
    pub max_expires: u32,
    /// Listen for TLS too, on its own port ([`Kamailio::tls_addr`]), with a certificate
    /// for [`KAMAILIO_TLS_NAME`] and 127.0.0.1 issued by a CA made for this instance
    /// ([`Kamailio::ca_pem_path`]). Needs the `tls` module (package `kamailio-tls-modules`).
    pub tls: bool,
    /// How long [`Kamailio::start`] waits for the first answer to OPTIONS.
    pub start_timeout: Duration,
}

impl Default for KamailioConfig {
    fn default() -> Self {
        Self {
            domain: "tipring.test".to_owned(),
            accounts: Vec::new(),
            invite_auth: false,
            record_route: true,
            digest: DigestAlgorithm::Md5,
            max_expires: 3600,
            tls: false,
            start_timeout: Duration::from_secs(10),
        }
    }
}

impl KamailioConfig {
    /// A configuration for `domain` with no accounts, REGISTER auth only, record-route on,
    /// MD5.
    pub fn new(domain: impl Into<String>) -> Self {
        Self {
            domain: domain.into(),
            ..Self::default()
        }
    }

    /// Adds the account `user` with `password`.
    pub fn account(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.accounts.push((user.into(), password.into()));
        self
    }

    /// Whether initial INVITEs must authenticate too (407 Proxy Authentication Required).
    pub fn invite_auth(mut self, on: bool) -> Self {
        self.invite_auth = on;
        self
    }

    /// Whether the proxy record-routes.
    pub fn record_route(mut self, on: bool) -> Self {
        self.record_route = on;
        self
    }

    /// The digest algorithm of the challenges.
    pub fn digest(mut self, algorithm: DigestAlgorithm) -> Self {
        self.digest = algorithm;
        self
    }

    /// The longest registration granted, in seconds (at least 1).
    pub fn max_expires(mut self, seconds: u32) -> Self {
        self.max_expires = seconds;
        self
    }

    /// Whether to listen for TLS too (see [`KamailioConfig::tls`]).
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on;
        self
    }

    /// Rejects what the generated configuration could not express safely.
    fn validate(&self) -> Result<()> {
        let invalid = |what: String| Err(Error::InvalidConfig(what));
        let domain_ok = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
        if self.domain.is_empty() || !self.domain.chars().all(domain_ok) {
            return invalid(format!(
                "domain {:?}: use letters, digits, '.', '-'",
                self.domain
            ));
        }
        // RFC 3261 25.1 `unreserved` minus what would need escaping in the cfg
        let user_ok = |c: char| c.is_ascii_alphanumeric() || "-_.!~*+".contains(c);
        // printable ASCII, except what a Kamailio string or pseudo-variable would interpret
        let password_ok = |c: char| c.is_ascii_graphic() && !"\"\\$".contains(c);
        for (i, (user, password)) in self.accounts.iter().enumerate() {
            if user.is_empty() || !user.chars().all(user_ok) {
                return invalid(format!(
                    "user {user:?}: use letters, digits and - _ . ! ~ * +"
                ));
            }
            if password.is_empty() || !password.chars().all(password_ok) {
                return invalid(format!(
                    "password of {user:?}: printable ASCII without '\"', '\\' or '$', not empty"
                ));
            }
            if self.accounts[..i].iter().any(|(u, _)| u == user) {
                return invalid(format!("user {user:?} is listed twice"));
            }
        }
        if self.max_expires == 0 {
            return invalid("max_expires must be at least 1 second".into());
        }
        Ok(())
    }
}

/// Where the TLS listener of an instance is and the files it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TlsSetup {
    /// The TLS listener.
    addr: SocketAddr,
    /// The CA certificate (PEM) that signed `cert`: what clients trust.
    ca: PathBuf,
    /// Kamailio's certificate (PEM).
    cert: PathBuf,
    /// Its private key (PEM).
    key: PathBuf,
}

impl TlsSetup {
    /// Makes a CA and a server certificate for [`KAMAILIO_TLS_NAME`] and 127.0.0.1, and
    /// writes `ca.pem`, `kamailio-cert.pem` and `kamailio-key.pem` into `dir`. The
    /// listener address is filled in by [`Kamailio::start`].
    fn create(dir: &Path) -> Result<Self> {
        let ca = TestCa::new("Tipring test CA (kamailio)")?;
        let server = ca.issue_server(&[KAMAILIO_TLS_NAME, "127.0.0.1"])?;
        let setup = Self {
            addr: SocketAddr::from((LOOPBACK, 0)),
            ca: dir.join("ca.pem"),
            cert: dir.join("kamailio-cert.pem"),
            key: dir.join("kamailio-key.pem"),
        };
        for (path, text) in [
            (&setup.ca, ca.pem()),
            (&setup.cert, server.cert_pem),
            (&setup.key, server.key_pem),
        ] {
            std::fs::write(path, text)
                .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        }
        Ok(setup)
    }

    /// The cfg lines of the TLS listener (the template's TLS token): the core switch, the
    /// listen socket, and the tls module with one default domain set from modparams (no
    /// tls.cfg; the system's /etc/kamailio/tls.cfg is not read). Clients are not asked
    /// for certificates; Kamailio, as a TLS client toward a UA, does not verify them.
    fn cfg_lines(&self) -> Result<String> {
        let quoted = |path: &Path| {
            path.to_str()
                .filter(|p| !p.contains('"'))
                .map(str::to_owned)
                .ok_or_else(|| {
                    Error::InvalidConfig(format!(
                        "{} is not UTF-8 or has a '\"' in it; set TMPDIR to a plain path",
                        path.display()
                    ))
                })
        };
        let (cert, key, ca) = (quoted(&self.cert)?, quoted(&self.key)?, quoted(&self.ca)?);
        Ok(format!(
            "enable_tls=yes\n\
             listen=tls:{addr}\n\
             loadmodule \"tls.so\"\n\
             modparam(\"tls\", \"tls_method\", \"TLSv1.2+\")\n\
             modparam(\"tls\", \"certificate\", \"{cert}\")\n\
             modparam(\"tls\", \"private_key\", \"{key}\")\n\
             modparam(\"tls\", \"ca_list\", \"{ca}\")\n\
             modparam(\"tls\", \"verify_certificate\", 0)\n\
             modparam(\"tls\", \"require_certificate\", 0)",
            addr = self.addr,
        ))
    }
}

/// The kamailio.cfg for `config`, listening on `addr` (UDP and TCP) and on `tls` when
/// given, with its control socket at `ctl_socket`.
fn render_config(
    config: &KamailioConfig,
    addr: SocketAddr,
    tls: Option<&TlsSetup>,
    ctl_socket: &Path,
) -> Result<String> {
    config.validate()?;
    if config.tls != tls.is_some() {
        return Err(Error::InvalidConfig(
            "TLS files are needed exactly when the configuration asks for TLS".into(),
        ));
    }
    let tls_lines = tls
        .map(TlsSetup::cfg_lines)
        .transpose()?
        .unwrap_or_default();
    let mut defines = String::new();
    for (on, name) in [
        (config.invite_auth, "WITH_INVITE_AUTH"),
        (config.record_route, "WITH_RR"),
        (config.digest == DigestAlgorithm::Sha256, "WITH_SHA256"),
        (config.tls, "WITH_TLS"),
    ] {
        if on {
            let _ = writeln!(defines, "#!define {name}");
        }
    }
    let mut accounts = String::new();
    for (user, password) in &config.accounts {
        let _ = writeln!(
            accounts,
            "\tif ($var(user) == \"{user}\") {{ $var(pw) = \"{password}\"; }}"
        );
    }
    let ctl = ctl_socket
        .to_str()
        .ok_or_else(|| Error::InvalidConfig(format!("{} is not UTF-8", ctl_socket.display())))?;
    // a Unix socket path has room for 107 bytes (unix(7))
    if ctl.len() > 100 || ctl.contains('"') {
        return Err(Error::InvalidConfig(format!(
            "control socket path {ctl:?} is too long or quoted; set TMPDIR to a short path"
        )));
    }
    let min_expires = config.max_expires.min(60);
    Ok(TEMPLATE
        .replace("@@DEFINES@@", defines.trim_end())
        .replace("@@ACCOUNTS@@", accounts.trim_end())
        .replace("@@TLS@@", &tls_lines)
        .replace("@@ADDR@@", &addr.to_string())
        .replace("@@DOMAIN@@", &config.domain)
        .replace("@@CTL_SOCKET@@", ctl)
        .replace("@@MAX_EXPIRES@@", &config.max_expires.to_string())
        .replace("@@MIN_EXPIRES@@", &min_expires.to_string()))
}

/// One contact binding in Kamailio's location table (usrloc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The address of record (the user part; the domain is not used).
    pub aor: String,
    /// The registered Contact URI.
    pub contact: String,
    /// Seconds left, as Kamailio reports them (`None` if it says something else).
    pub expires: Option<u64>,
    /// The socket Kamailio received the REGISTER on, as it prints it (`udp:`, `tcp:` or
    /// `tls:` and the address; `None` if it printed none).
    pub socket: Option<String>,
}

/// Parses the text `kamcmd ul.dump` prints.
fn parse_ul_dump(text: &str) -> Vec<Registration> {
    let mut out: Vec<Registration> = Vec::new();
    let mut aor = String::new();
    for line in text.lines().map(str::trim) {
        if let Some(value) = line.strip_prefix("AoR:") {
            aor = value.trim().to_owned();
        } else if let Some(value) = line.strip_prefix("Address:") {
            out.push(Registration {
                aor: aor.clone(),
                contact: value.trim().to_owned(),
                expires: None,
                socket: None,
            });
        } else if let Some(value) = line.strip_prefix("Expires:") {
            if let Some(last) = out.last_mut() {
                last.expires = value.trim().parse().ok();
            }
        } else if let Some(value) = line.strip_prefix("Socket:") {
            if let Some(last) = out.last_mut() {
                last.socket = Some(value.trim().to_owned()).filter(|s| !s.is_empty());
            }
        }
    }
    out
}

/// A running Kamailio, stopped when dropped.
///
/// It listens on UDP and TCP on `127.0.0.1:<free port>` ([`Kamailio::addr`]), and with
/// [`KamailioConfig::tls`] on TLS on another port ([`Kamailio::tls_addr`]). To test
/// failover, start two instances from the same configuration: each gets its own port,
/// directory, certificates and (empty) location table.
#[derive(Debug)]
pub struct Kamailio {
    // field order matters: the process stops before its directory is removed
    process: PeerProcess,
    addr: SocketAddr,
    tls: Option<TlsSetup>,
    domain: String,
    config_path: PathBuf,
    ctl_socket: PathBuf,
    dir: PeerDir,
}

impl Kamailio {
    /// Writes the configuration (and with TLS on, a fresh CA, certificate and key) into a
    /// fresh directory, starts `kamailio -f CFG -DD -E -Y RUNDIR -m 64 -M 8` and waits
    /// until it answers an OPTIONS over UDP, and over TLS (verifying its certificate) when
    /// TLS is on. Its stdout and stderr go to [`Kamailio::log_path`].
    ///
    /// If another process takes a chosen port first, it retries on new ones. Without the
    /// `tls` module it fails with [`Error::MissingModule`].
    pub fn start(config: &KamailioConfig) -> Result<Self> {
        config.validate()?;
        let binary = find_tool("kamailio", "kamailio")?;
        let dir = PeerDir::new("kamailio")?;
        let run_dir = dir.path().join("run");
        std::fs::create_dir_all(&run_dir)
            .map_err(|e| Error::io(format!("creating {}", run_dir.display()), e))?;
        let ctl_socket = run_dir.join("kamailio_ctl");
        let config_path = dir.path().join("kamailio.cfg");
        let log = dir.path().join("kamailio.log");
        let mut tls = config
            .tls
            .then(|| TlsSetup::create(dir.path()))
            .transpose()?;

        let mut attempt = 1;
        loop {
            let addr = SocketAddr::from((LOOPBACK, free_port_udp_and_tcp()?));
            if let Some(tls) = &mut tls {
                tls.addr = SocketAddr::from((LOOPBACK, free_port(Transport::Tcp)?));
                if tls.addr.port() == addr.port() {
                    continue;
                }
            }
            let text = render_config(config, addr, tls.as_ref(), &ctl_socket)?;
            std::fs::write(&config_path, text)
                .map_err(|e| Error::io(format!("writing {}", config_path.display()), e))?;
            let mut command = Command::new(&binary);
            command
                .arg("-f")
                .arg(&config_path)
                .args(["-DD", "-E", "-Y"])
                .arg(&run_dir)
                .args(["-m", "64", "-M", "8"])
                .current_dir(dir.path());
            let mut process = PeerProcess::spawn("kamailio", command, &log)?;
            match wait_ready(&mut process, addr, tls.as_ref(), config.start_timeout) {
                Ok(()) => {
                    tracing::info!(%addr, tls = ?tls.as_ref().map(|t| t.addr), log = %log.display(), "kamailio ready");
                    return Ok(Self {
                        process,
                        addr,
                        tls,
                        domain: config.domain.clone(),
                        config_path,
                        ctl_socket,
                        dir,
                    });
                }
                Err(err) => {
                    drop(process);
                    let log_tail = tail(&log, TAIL_LINES);
                    if config.tls && lacks_tls_module(&log_tail) {
                        dir.keep();
                        return Err(Error::MissingModule {
                            module: "tls.so",
                            package: "kamailio-tls-modules",
                            log,
                            tail: log_tail,
                        });
                    }
                    let lost_port = log_tail.contains("Address already in use");
                    if !lost_port || attempt >= START_ATTEMPTS {
                        dir.keep();
                        return Err(err);
                    }
                    tracing::warn!(%addr, attempt, "port taken by another process; retrying");
                    attempt += 1;
                }
            }
        }
    }

    /// Where it listens, for UDP and TCP.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where it listens for TLS, when [`KamailioConfig::tls`] is on.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls.as_ref().map(|t| t.addr)
    }

    /// The PEM file of the CA that signed its TLS certificate (for [`KAMAILIO_TLS_NAME`]
    /// and 127.0.0.1), when [`KamailioConfig::tls`] is on: what a client must trust.
    pub fn ca_pem_path(&self) -> Option<&Path> {
        self.tls.as_ref().map(|t| t.ca.as_path())
    }

    /// Its SIP domain (also the digest realm).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// Its log (stdout and stderr; one line per request it routes, with `tipring:`).
    pub fn log_path(&self) -> &Path {
        self.process.log()
    }

    /// The kamailio.cfg it runs.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// Its directory (configuration, log, runtime files).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The last `lines` lines of its log, for assertion messages.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(self.log_path(), lines)
    }

    /// Every contact in its location table, from `kamcmd ul.dump` over the control
    /// socket in its runtime directory.
    pub fn registrations(&self) -> Result<Vec<Registration>> {
        let kamcmd = find_tool("kamcmd", "kamailio")?;
        let socket = format!("unix:{}", self.ctl_socket.display());
        let command = format!("kamcmd -s {socket} ul.dump");
        let output = Command::new(kamcmd)
            .args(["-s", &socket, "ul.dump"])
            .output()
            .map_err(|e| Error::io(format!("running {command}"), e))?;
        if !output.status.success() {
            return Err(Error::Rpc {
                command,
                detail: format!(
                    "{}: {}{}",
                    describe(output.status),
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
            });
        }
        Ok(parse_ul_dump(&String::from_utf8_lossy(&output.stdout)))
    }

    /// Waits up to `timeout` until `aor` has at least one contact, and returns them.
    pub fn wait_for_registration(&self, aor: &str, timeout: Duration) -> Result<Vec<Registration>> {
        let deadline = now() + timeout;
        loop {
            let found: Vec<Registration> = self
                .registrations()?
                .into_iter()
                .filter(|r| r.aor == aor)
                .collect();
            if !found.is_empty() {
                return Ok(found);
            }
            if now() >= deadline {
                self.dir.keep();
                return Err(Error::Timeout {
                    peer: format!("kamailio (waiting for a registration of {aor})"),
                    waited: timeout,
                    log: self.log_path().to_owned(),
                    tail: self.log_tail(TAIL_LINES),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Whether Kamailio's log says it could not load the `tls` module (it exits then).
fn lacks_tls_module(log: &str) -> bool {
    log.contains("could not find module <tls>")
}

/// Waits until the Kamailio of `process` answers OPTIONS at `addr` (UDP) and, with `tls`,
/// over TLS too (the handshake verifying its certificate against the CA and
/// [`KAMAILIO_TLS_NAME`]).
fn wait_ready(
    process: &mut PeerProcess,
    addr: SocketAddr,
    tls: Option<&TlsSetup>,
    timeout: Duration,
) -> Result<()> {
    let ca_pem = match tls {
        Some(tls) => std::fs::read(&tls.ca)
            .map_err(|e| Error::io(format!("reading {}", tls.ca.display()), e))?,
        None => Vec::new(),
    };
    let mut udp_ready = false;
    let deadline = now() + timeout;
    loop {
        if let Some(status) = process.try_wait()? {
            return Err(Error::Exited {
                peer: process.name().to_owned(),
                status: describe(status),
                log: process.log().to_owned(),
                tail: tail(process.log(), TAIL_LINES),
            });
        }
        udp_ready = udp_ready || options_ping(addr, Duration::from_millis(100)).is_ok();
        let mut tls_error = None;
        if udp_ready {
            let Some(tls) = tls else {
                return Ok(());
            };
            let wait = Duration::from_millis(500);
            match options_ping_tls(tls.addr, &ca_pem, KAMAILIO_TLS_NAME, wait) {
                Ok(_) => return Ok(()),
                Err(e) => tls_error = Some(e),
            }
        }
        if now() >= deadline {
            let why = tls_error.map_or_else(String::new, |e| format!(" (TLS: {e})"));
            return Err(Error::NotReady {
                peer: format!("{}{why}", process.name()),
                waited: timeout,
                log: process.log().to_owned(),
                tail: tail(process.log(), TAIL_LINES),
            });
        }
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> SocketAddr {
        SocketAddr::from((LOOPBACK, 25060))
    }

    #[test]
    fn every_template_token_is_replaced() {
        let config = KamailioConfig::new("example.test")
            .account("101", "pw-101")
            .account("alice.b", "s3cret!")
            .invite_auth(true)
            .digest(DigestAlgorithm::Sha256)
            .max_expires(30);
        let text = render_config(&config, addr(), None, Path::new("/tmp/x/ctl")).unwrap();
        assert!(!text.contains("@@"), "token left in:\n{text}");
        assert!(text.contains("listen=udp:127.0.0.1:25060\n"));
        assert!(text.contains("listen=tcp:127.0.0.1:25060\n"));
        assert!(text.contains("alias=\"example.test\""));
        assert!(text.contains("pv_auth_check(\"example.test\""));
        assert!(text.contains("if ($var(user) == \"alice.b\") { $var(pw) = \"s3cret!\"; }"));
        assert!(text.contains("unix:/tmp/x/ctl"));
        assert!(text.contains("\"max_expires\", 30)"));
        assert!(text.contains("\"min_expires\", 30)"));
        for define in ["WITH_INVITE_AUTH", "WITH_RR", "WITH_SHA256"] {
            assert!(text.contains(&format!("\n#!define {define}\n")), "{define}");
        }
    }

    #[test]
    fn booleans_off_leave_no_define() {
        let config = KamailioConfig::new("example.test")
            .account("101", "pw")
            .record_route(false);
        let text = render_config(&config, addr(), None, Path::new("/tmp/x/ctl")).unwrap();
        assert!(!text.lines().any(|l| l.starts_with("#!define")), "{text}");
        assert!(text.contains("\"min_expires\", 60)"));
    }

    #[test]
    fn tls_adds_a_listener_and_the_module_only_when_asked() {
        let dir = Path::new("/tmp/x");
        let tls = TlsSetup {
            addr: SocketAddr::from((LOOPBACK, 25061)),
            ca: dir.join("ca.pem"),
            cert: dir.join("kamailio-cert.pem"),
            key: dir.join("kamailio-key.pem"),
        };
        let config = KamailioConfig::new("example.test").tls(true);
        let text = render_config(&config, addr(), Some(&tls), &dir.join("ctl")).unwrap();
        assert!(!text.contains("@@"), "token left in:\n{text}");
        assert!(text.contains("\n#!define WITH_TLS\n"));
        assert!(text.contains("\nenable_tls=yes\n"));
        assert!(text.contains("\nlisten=tls:127.0.0.1:25061\n"));
        assert!(text.contains("\nloadmodule \"tls.so\"\n"));
        assert!(text.contains("modparam(\"tls\", \"certificate\", \"/tmp/x/kamailio-cert.pem\")"));
        assert!(text.contains("modparam(\"tls\", \"private_key\", \"/tmp/x/kamailio-key.pem\")"));
        assert!(text.contains("modparam(\"tls\", \"ca_list\", \"/tmp/x/ca.pem\")"));
        // the plain listeners stay
        assert!(text.contains("listen=udp:127.0.0.1:25060\n"));
        assert!(text.contains("listen=tcp:127.0.0.1:25060\n"));

        let plain = KamailioConfig::new("example.test");
        let text = render_config(&plain, addr(), None, &dir.join("ctl")).unwrap();
        // comments aside (the template documents the TLS token), nothing about TLS
        let config_lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#') || l.starts_with("#!"))
            .collect();
        for line in config_lines {
            assert!(!line.to_ascii_lowercase().contains("tls"), "{line}");
        }

        // files without TLS, or TLS without files, is a harness bug
        assert!(render_config(&plain, addr(), Some(&tls), &dir.join("ctl")).is_err());
        assert!(render_config(&config, addr(), None, &dir.join("ctl")).is_err());
        let quoted = TlsSetup {
            key: PathBuf::from("/tmp/a\"b/key.pem"),
            ..tls
        };
        assert!(matches!(
            render_config(&config, addr(), Some(&quoted), &dir.join("ctl")),
            Err(Error::InvalidConfig(_))
        ));
    }

    #[test]
    fn a_missing_tls_module_is_recognised_in_the_log() {
        // as Kamailio 5.6 prints it when kamailio-tls-modules is not installed
        let log = " 0(17101) ERROR: <core> [core/sr_module.c:510]: ksr_locate_module(): \
                   could not find module <tls> in </usr/lib/x86_64-linux-gnu/kamailio/modules>\n \
                   0(17101) CRITICAL: <core> [core/cfg.y:3787]: yyerror_at(): parse error in \
                   config file /tmp/k/kamailio.cfg, line 37, column 12-19: failed to load module";
        assert!(lacks_tls_module(log));
        assert!(!lacks_tls_module(
            "could not find module <tls_wolfssl> in </usr/lib/kamailio/modules>"
        ));
        let err = Error::MissingModule {
            module: "tls.so",
            package: "kamailio-tls-modules",
            log: PathBuf::from("/tmp/k/kamailio.log"),
            tail: log.to_owned(),
        };
        assert!(
            err.to_string()
                .contains("apt-get install kamailio-tls-modules"),
            "{err}"
        );
    }

    #[test]
    fn tls_files_are_written_and_the_certificate_is_for_kamailio_test() {
        let dir = PeerDir::new("tls-files-test").unwrap();
        let tls = TlsSetup::create(dir.path()).unwrap();
        for path in [&tls.ca, &tls.cert, &tls.key] {
            assert!(path.starts_with(dir.path()), "{}", path.display());
        }
        let ca = std::fs::read_to_string(&tls.ca).unwrap();
        let cert = std::fs::read_to_string(&tls.cert).unwrap();
        let key = std::fs::read_to_string(&tls.key).unwrap();
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"), "{cert}");
        assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_ne!(ca, cert);
    }

    #[test]
    fn unsafe_values_are_refused() {
        let refused = |config: KamailioConfig| {
            matches!(
                render_config(&config, addr(), None, Path::new("/tmp/ctl")),
                Err(Error::InvalidConfig(_))
            )
        };
        let base = || KamailioConfig::new("example.test");
        assert!(refused(base().account("101", "a\"b")));
        assert!(refused(base().account("101", "$var(x)")));
        assert!(refused(base().account("101", "back\\slash")));
        assert!(refused(base().account("101", "")));
        assert!(refused(base().account("", "pw")));
        assert!(refused(base().account("a b", "pw")));
        assert!(refused(base().account("101", "x").account("101", "y")));
        assert!(refused(KamailioConfig::new("bad domain")));
        assert!(refused(base().max_expires(0)));
        let long = format!("/tmp/{}/ctl", "d".repeat(100));
        assert!(matches!(
            render_config(&base(), addr(), None, Path::new(&long)),
            Err(Error::InvalidConfig(_))
        ));
    }

    #[test]
    fn ul_dump_output_is_parsed() {
        // as printed by `kamcmd ul.dump` of Kamailio 5.6 (trimmed)
        let text = "{
	Domains: {
		Domain: {
			Domain: location
			Size: 1024
			AoRs: {
				Info: {
					AoR: 101
					HashID: 3612369
					Contacts: {
						Contact: {
							Address: sip:101@127.0.0.1:25071;transport=UDP
							Expires: 3600
							Q: -1
							Socket: udp:127.0.0.1:5060
						}
						Contact: {
							Address: sip:101@127.0.0.1:25072
							Expires: permanent
						}
					}
				}
				Info: {
					AoR: 102
					Contacts: {
						Contact: {
							Address: sip:102@127.0.0.1:25073;transport=TCP
							Expires: 59
							Socket: tls:127.0.0.1:5061
						}
					}
				}
			}
			Stats: {
				Records: 2
				Max-Slots: 1
			}
		}
	}
}";
        let regs = parse_ul_dump(text);
        assert_eq!(
            regs,
            vec![
                Registration {
                    aor: "101".into(),
                    contact: "sip:101@127.0.0.1:25071;transport=UDP".into(),
                    expires: Some(3600),
                    socket: Some("udp:127.0.0.1:5060".into()),
                },
                Registration {
                    aor: "101".into(),
                    contact: "sip:101@127.0.0.1:25072".into(),
                    expires: None,
                    socket: None,
                },
                Registration {
                    aor: "102".into(),
                    contact: "sip:102@127.0.0.1:25073;transport=TCP".into(),
                    expires: Some(59),
                    socket: Some("tls:127.0.0.1:5061".into()),
                },
            ]
        );
        assert!(parse_ul_dump("{ Domains: { } }").is_empty());
    }
}

//! Kamailio as a registrar and proxy with digest auth, one private instance per test.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::dir::PeerDir;
use super::process::{describe, PeerProcess, POLL};
use super::{find_tool, free_port_udp_and_tcp, now, options_ping, tail, LOOPBACK};
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

/// The kamailio.cfg for `config`, listening on `addr` (UDP and TCP), with its control
/// socket at `ctl_socket`.
fn render_config(config: &KamailioConfig, addr: SocketAddr, ctl_socket: &Path) -> Result<String> {
    config.validate()?;
    let mut defines = String::new();
    for (on, name) in [
        (config.invite_auth, "WITH_INVITE_AUTH"),
        (config.record_route, "WITH_RR"),
        (config.digest == DigestAlgorithm::Sha256, "WITH_SHA256"),
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
            });
        } else if let Some(value) = line.strip_prefix("Expires:") {
            if let Some(last) = out.last_mut() {
                last.expires = value.trim().parse().ok();
            }
        }
    }
    out
}

/// A running Kamailio, stopped when dropped.
///
/// It listens on UDP and TCP on `127.0.0.1:<free port>` ([`Kamailio::addr`]). To test
/// failover, start two instances from the same configuration: each gets its own port,
/// directory and (empty) location table.
#[derive(Debug)]
pub struct Kamailio {
    // field order matters: the process stops before its directory is removed
    process: PeerProcess,
    addr: SocketAddr,
    domain: String,
    config_path: PathBuf,
    ctl_socket: PathBuf,
    dir: PeerDir,
}

impl Kamailio {
    /// Writes the configuration into a fresh directory, starts
    /// `kamailio -f CFG -DD -E -Y RUNDIR -m 64 -M 8` and waits until it answers an OPTIONS
    /// over UDP. Its stdout and stderr go to [`Kamailio::log_path`].
    ///
    /// If another process takes the chosen port first, it retries on a new one.
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

        let mut attempt = 1;
        loop {
            let addr = SocketAddr::from((LOOPBACK, free_port_udp_and_tcp()?));
            let text = render_config(config, addr, &ctl_socket)?;
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
            match wait_ready(&mut process, addr, config.start_timeout) {
                Ok(()) => {
                    tracing::info!(%addr, log = %log.display(), "kamailio ready");
                    return Ok(Self {
                        process,
                        addr,
                        domain: config.domain.clone(),
                        config_path,
                        ctl_socket,
                        dir,
                    });
                }
                Err(err) => {
                    drop(process);
                    let lost_port = tail(&log, TAIL_LINES).contains("Address already in use");
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

/// Waits until the Kamailio of `process` answers OPTIONS at `addr`.
fn wait_ready(process: &mut PeerProcess, addr: SocketAddr, timeout: Duration) -> Result<()> {
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
        if options_ping(addr, Duration::from_millis(100)).is_ok() {
            return Ok(());
        }
        if now() >= deadline {
            return Err(Error::NotReady {
                peer: process.name().to_owned(),
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
        let text = render_config(&config, addr(), Path::new("/tmp/x/ctl")).unwrap();
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
        let text = render_config(&config, addr(), Path::new("/tmp/x/ctl")).unwrap();
        assert!(!text.lines().any(|l| l.starts_with("#!define")), "{text}");
        assert!(text.contains("\"min_expires\", 60)"));
    }

    #[test]
    fn unsafe_values_are_refused() {
        let refused = |config: KamailioConfig| {
            matches!(
                render_config(&config, addr(), Path::new("/tmp/ctl")),
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
            render_config(&base(), addr(), Path::new(&long)),
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
                },
                Registration {
                    aor: "101".into(),
                    contact: "sip:101@127.0.0.1:25072".into(),
                    expires: None,
                },
                Registration {
                    aor: "102".into(),
                    contact: "sip:102@127.0.0.1:25073;transport=TCP".into(),
                    expires: Some(59),
                },
            ]
        );
        assert!(parse_ul_dump("{ Domains: { } }").is_empty());
    }
}

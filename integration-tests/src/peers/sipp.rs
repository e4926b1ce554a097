//! SIPp, as a UAC that runs to completion or as a UAS in the background.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::Arc;
use std::time::Duration;

use super::dir::PeerDir;
use super::process::{describe, PeerProcess, POLL, TERM_GRACE};
use super::{find_tool, free_port, now, port_in_use, scenarios_dir, tail, Transport, LOOPBACK};
use crate::{Error, Result};

/// How many fresh ports [`Sipp::spawn`] tries when another process took the port.
const START_ATTEMPTS: u32 = 5;

/// SIPp's exit code when it could not bind its socket (-2).
const EXIT_BIND_FAILED: i32 = 254;

/// How many log lines go into error messages.
const TAIL_LINES: usize = 40;

/// Values for the `-key` keywords the scenarios in `scenarios/` use, unless the test sets
/// them (`contact_port` defaults to SIPp's own port, `user`/`password` to the credentials).
const DEFAULT_KEYS: [(&str, &str); 6] = [
    ("alert_info", "<urn:alert:service:normal>"),
    ("expires", "3600"),
    ("pause_ms", "500"),
    ("realm", "tipring.test"),
    ("user", "tipring"),
    ("password", "tipring"),
];

/// Options some bundled scenarios need. `-nr`: SIPp otherwise takes a retransmitted
/// request for a copy of one it already has and swallows it, and the "drop" scenarios
/// must see the retransmission as a message of its own.
const SCENARIO_ARGS: [(&str, &[&str]); 2] = [
    ("registrar_drop.xml", &["-nr"]),
    ("uas_drop_invite.xml", &["-nr"]),
];

#[derive(Debug, Clone)]
enum Scenario {
    File(PathBuf),
    Builtin(String),
}

impl Scenario {
    fn label(&self) -> String {
        match self {
            Self::File(path) => path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into(),
            ),
            Self::Builtin(name) => format!("-sn {name}"),
        }
    }
}

/// A SIPp run being set up: scenario, addresses, calls, credentials, keys.
///
/// Defaults: local port free on 127.0.0.1, UDP (`-t u1`), one call (`-m 1`), SIPp's rate,
/// a 30 s deadline, messages traced. Media (`-mi`) and control (`-ci`, `-cp`) sockets are
/// bound to 127.0.0.1 too.
#[derive(Debug, Clone)]
#[must_use = "a Sipp does nothing until run() or spawn()"]
pub struct Sipp {
    scenario: Scenario,
    remote: Option<SocketAddr>,
    local_port: Option<u16>,
    transport: Transport,
    calls: u32,
    rate: Option<u32>,
    service: Option<String>,
    credentials: Option<(String, String)>,
    keys: Vec<(String, String)>,
    timeout: Duration,
    trace_messages: bool,
    args: Vec<String>,
}

impl Sipp {
    /// A scenario file from `integration-tests/scenarios/`, e.g. `"uac_call.xml"`.
    pub fn scenario(file_name: &str) -> Self {
        Self::scenario_file(scenarios_dir().join(file_name))
    }

    /// A scenario file anywhere.
    pub fn scenario_file(path: impl Into<PathBuf>) -> Self {
        Self::with(Scenario::File(path.into()))
    }

    /// One of SIPp's built-in scenarios (`-sn uac`, `-sn uas`, ...).
    pub fn builtin(name: &str) -> Self {
        Self::with(Scenario::Builtin(name.to_owned()))
    }

    fn with(scenario: Scenario) -> Self {
        Self {
            scenario,
            remote: None,
            local_port: None,
            transport: Transport::Udp,
            calls: 1,
            rate: None,
            service: None,
            credentials: None,
            keys: Vec::new(),
            timeout: Duration::from_secs(30),
            trace_messages: true,
            args: Vec::new(),
        }
    }

    /// Where requests go (a UAC's peer; a UAS needs none).
    pub fn remote(mut self, addr: SocketAddr) -> Self {
        self.remote = Some(addr);
        self
    }

    /// SIPp's own port (`-p`); by default a free one.
    pub fn local_port(mut self, port: u16) -> Self {
        self.local_port = Some(port);
        self
    }

    /// UDP or TCP (`-t u1` / `-t t1`).
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// How many calls before SIPp exits (`-m`).
    pub fn calls(mut self, calls: u32) -> Self {
        self.calls = calls;
        self
    }

    /// New calls per second (`-r`).
    pub fn rate(mut self, per_second: u32) -> Self {
        self.rate = Some(per_second);
        self
    }

    /// The `[service]` keyword: the user part of the Request-URI (`-s`).
    pub fn service(mut self, service: impl Into<String>) -> Self {
        self.service = Some(service.into());
        self
    }

    /// Digest credentials for `[authentication]` (`-au`, `-ap`); also the default of the
    /// `user` and `password` keys, which `registrar_challenge.xml` verifies against.
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((user.into(), password.into()));
        self
    }

    /// Sets the scenario keyword `[name]` (`-key name value`).
    pub fn key(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.keys.push((name.into(), value.into()));
        self
    }

    /// How long [`Sipp::run`] waits before stopping SIPp and failing (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether SIPp logs every message it sends and receives (`-trace_msg`; on by default;
    /// turn off for load runs).
    pub fn trace_messages(mut self, on: bool) -> Self {
        self.trace_messages = on;
        self
    }

    /// Any other SIPp option, appended to the command line.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Runs SIPp until it exits (or the timeout passes) and returns what it reported.
    pub fn run(self) -> Result<SippOutcome> {
        let timeout = self.timeout;
        self.spawn()?.wait(timeout)
    }

    /// Starts SIPp in the background and returns once its SIP socket is bound (so a
    /// UAS can be called right away). It is stopped when the handle is dropped.
    pub fn spawn(self) -> Result<SippProcess> {
        let binary = find_tool("sipp", "sip-tester")?;
        if let Scenario::File(path) = &self.scenario {
            if !path.is_file() {
                return Err(Error::InvalidConfig(format!(
                    "no SIPp scenario at {}",
                    path.display()
                )));
            }
        }
        let label = self.scenario.label();
        let dir = Arc::new(PeerDir::new("sipp")?);
        let logs = SippLogs::in_dir(dir.path());
        let mut attempt = 1;
        loop {
            let port = match self.local_port {
                Some(port) => port,
                None => free_port(self.transport)?,
            };
            let control_port = free_port(Transport::Udp)?;
            let command = self.command(&binary, port, control_port, &logs);
            let mut process = PeerProcess::spawn(format!("sipp {label}"), command, &logs.output)?;
            let local_addr = SocketAddr::from((LOOPBACK, port));
            let deadline = now() + Duration::from_secs(10);
            loop {
                if port_in_use(self.transport, port) {
                    return Ok(SippProcess {
                        process,
                        local_addr,
                        label,
                        logs,
                        dir,
                    });
                }
                if let Some(status) = process.try_wait()? {
                    if status.code() == Some(EXIT_BIND_FAILED)
                        && self.local_port.is_none()
                        && attempt < START_ATTEMPTS
                    {
                        tracing::warn!(port, attempt, "sipp could not bind; retrying");
                        break;
                    }
                    // it ran (and maybe finished) before we saw its socket: let wait() judge
                    return Ok(SippProcess {
                        process,
                        local_addr,
                        label,
                        logs,
                        dir,
                    });
                }
                if now() >= deadline {
                    dir.keep();
                    return Err(Error::NotReady {
                        peer: process.name().to_owned(),
                        waited: Duration::from_secs(10),
                        log: logs.output.clone(),
                        tail: tail(&logs.output, TAIL_LINES),
                    });
                }
                std::thread::sleep(POLL);
            }
            attempt += 1;
        }
    }

    /// The command line for SIPp on `port`.
    fn command(&self, binary: &Path, port: u16, control_port: u16, logs: &SippLogs) -> Command {
        let mut command = Command::new(binary);
        command.current_dir(&logs.dir);
        match &self.scenario {
            Scenario::File(path) => {
                command.arg("-sf").arg(path);
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                for (scenario, args) in SCENARIO_ARGS {
                    if scenario == name {
                        command.args(args);
                    }
                }
            }
            Scenario::Builtin(name) => {
                command.args(["-sn", name]);
            }
        }
        if let Some(remote) = self.remote {
            command.arg(remote.to_string());
        }
        command
            .args(["-i", "127.0.0.1", "-mi", "127.0.0.1", "-ci", "127.0.0.1"])
            .args(["-p", &port.to_string(), "-cp", &control_port.to_string()])
            .args(["-t", self.transport.sipp_mode()])
            .args(["-m", &self.calls.to_string()])
            .arg("-nostdin");
        if let Some(rate) = self.rate {
            command.args(["-r", &rate.to_string()]);
        }
        if let Some(service) = &self.service {
            command.args(["-s", service]);
        }
        if let Some((user, password)) = &self.credentials {
            command.args(["-au", user, "-ap", password]);
        }
        for (name, value) in self.keys(port) {
            command.args(["-key", &name, &value]);
        }
        command
            .args(["-trace_err", "-error_file"])
            .arg(&logs.errors)
            .args(["-trace_stat", "-stf"])
            .arg(&logs.stats)
            .args(["-trace_screen", "-screen_file"])
            .arg(&logs.screen);
        if self.trace_messages {
            command
                .args(["-trace_msg", "-message_file"])
                .arg(&logs.messages);
        }
        command.args(&self.args);
        command
    }

    /// Every `-key`: the defaults, then the credentials', then the caller's.
    fn keys(&self, port: u16) -> BTreeMap<String, String> {
        let mut keys: BTreeMap<String, String> = DEFAULT_KEYS
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        keys.insert("contact_port".into(), port.to_string());
        if let Some((user, password)) = &self.credentials {
            keys.insert("user".into(), user.clone());
            keys.insert("password".into(), password.clone());
        }
        keys.extend(self.keys.iter().cloned());
        keys
    }
}

/// The files of one SIPp run (all in its own temporary directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SippLogs {
    /// The directory.
    pub dir: PathBuf,
    /// Unexpected messages and aborted calls (`-trace_err`).
    pub errors: PathBuf,
    /// Statistics as CSV (`-trace_stat`), read for [`SippOutcome`].
    pub stats: PathBuf,
    /// The final screens (`-trace_screen`): message counts per scenario step.
    pub screen: PathBuf,
    /// Every message sent and received (`-trace_msg`), when traced.
    pub messages: PathBuf,
    /// SIPp's stdout and stderr.
    pub output: PathBuf,
}

impl SippLogs {
    /// The last lines of each log that has something in it, for error messages: the error
    /// log, the final screen, the message trace, SIPp's own output.
    pub fn diagnostics(&self) -> String {
        let mut out = String::new();
        for (name, path) in [
            ("errors.log", &self.errors),
            ("screen.log", &self.screen),
            ("messages.log", &self.messages),
            ("sipp.out", &self.output),
        ] {
            let non_empty = std::fs::metadata(path).is_ok_and(|m| m.len() > 0);
            if non_empty {
                out.push_str(&format!("--- {name} ---\n{}\n", tail(path, TAIL_LINES)));
            }
        }
        out
    }

    fn in_dir(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
            errors: dir.join("errors.log"),
            stats: dir.join("stats.csv"),
            screen: dir.join("screen.log"),
            messages: dir.join("messages.log"),
            output: dir.join("sipp.out"),
        }
    }
}

/// A SIPp running in the background (typically a UAS); stopped when dropped.
#[derive(Debug)]
pub struct SippProcess {
    // field order matters: the process stops before its directory may be removed
    process: PeerProcess,
    local_addr: SocketAddr,
    label: String,
    logs: SippLogs,
    dir: Arc<PeerDir>,
}

impl SippProcess {
    /// Where it listens (127.0.0.1 and its `-p` port).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Its files.
    pub fn logs(&self) -> &SippLogs {
        &self.logs
    }

    /// Waits up to `timeout` for SIPp to finish (a UAS finishes after its `-m` calls) and
    /// returns what it reported. On timeout it is stopped and the error carries its
    /// error log.
    pub fn wait(mut self, timeout: Duration) -> Result<SippOutcome> {
        match self.process.wait_timeout(timeout)? {
            Some(status) => self.outcome(status),
            None => {
                self.process.terminate(TERM_GRACE);
                self.dir.keep();
                Err(Error::Timeout {
                    peer: format!("sipp {}", self.label),
                    waited: timeout,
                    log: self.logs.dir.clone(),
                    tail: self.logs.diagnostics(),
                })
            }
        }
    }

    /// Stops SIPp now (SIGTERM: it writes its statistics and exits) and returns what it
    /// reported.
    pub fn stop(mut self) -> Result<SippOutcome> {
        match self.process.terminate(TERM_GRACE) {
            Some(status) => self.outcome(status),
            None => {
                self.dir.keep();
                Err(Error::Exited {
                    peer: format!("sipp {}", self.label),
                    status: "no exit status".into(),
                    log: self.logs.dir.clone(),
                    tail: self.logs.diagnostics(),
                })
            }
        }
    }

    /// Reads the statistics of the exited SIPp.
    fn outcome(self, status: ExitStatus) -> Result<SippOutcome> {
        let stats = std::fs::read_to_string(&self.logs.stats)
            .ok()
            .and_then(|text| parse_stats(&text));
        // 0: all calls succeeded; 1: some failed; 97: stopped by an internal command;
        // 99: normal exit without calls processed. Anything else is a fatal error.
        let normal = matches!(status.code(), Some(0 | 1 | 97 | 99));
        match stats {
            Some(stats) if normal => Ok(SippOutcome::new(
                status.code(),
                stats,
                self.label,
                self.logs,
                self.dir,
            )),
            _ => {
                self.dir.keep();
                Err(Error::Exited {
                    peer: format!("sipp {}", self.label),
                    status: describe(status),
                    log: self.logs.dir.clone(),
                    tail: self.logs.diagnostics(),
                })
            }
        }
    }
}

/// The last line of SIPp's statistics CSV, by column name (`SuccessfulCall(C)`, ...).
fn parse_stats(text: &str) -> Option<BTreeMap<String, String>> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next()?;
    let last = lines.next_back()?;
    let map: BTreeMap<String, String> = header
        .split(';')
        .zip(last.split(';'))
        .filter(|(name, _)| !name.is_empty())
        .map(|(name, value)| (name.to_owned(), value.trim().to_owned()))
        .collect();
    map.contains_key("SuccessfulCall(C)").then_some(map)
}

/// What a finished SIPp reported.
#[derive(Debug)]
pub struct SippOutcome {
    /// SIPp's exit code: 0 all calls succeeded, 1 some failed, 97 stopped by an internal
    /// command, 99 no call processed (`None`: ended by a signal).
    pub exit_code: Option<i32>,
    /// Calls that reached the end of the scenario (`SuccessfulCall(C)`).
    pub successful_calls: u64,
    /// Calls that failed: unexpected message, timeout, ... (`FailedCall(C)`).
    pub failed_calls: u64,
    /// Retransmissions SIPp sent or detected (`Retransmissions(C)`).
    pub retransmissions: u64,
    /// The run's files.
    pub logs: SippLogs,
    scenario: String,
    stats: BTreeMap<String, String>,
    _dir: Arc<PeerDir>,
}

impl SippOutcome {
    fn new(
        exit_code: Option<i32>,
        stats: BTreeMap<String, String>,
        scenario: String,
        logs: SippLogs,
        dir: Arc<PeerDir>,
    ) -> Self {
        let count = |name: &str| {
            stats
                .get(name)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        Self {
            exit_code,
            successful_calls: count("SuccessfulCall(C)"),
            failed_calls: count("FailedCall(C)"),
            retransmissions: count("Retransmissions(C)"),
            logs,
            scenario,
            stats,
            _dir: dir,
        }
    }

    /// Any column of the final statistics, e.g. `FailedUnexpectedMessage(C)`.
    pub fn stat(&self, column: &str) -> Option<&str> {
        self.stats.get(column).map(String::as_str)
    }

    /// Whether every call succeeded: exit code 0, no failed call, at least one success.
    pub fn all_succeeded(&self) -> bool {
        self.exit_code == Some(0) && self.failed_calls == 0 && self.successful_calls > 0
    }

    /// The error log (unexpected messages, aborted calls); empty when there was none.
    pub fn errors(&self) -> String {
        std::fs::read_to_string(&self.logs.errors).unwrap_or_default()
    }

    /// Every message sent and received (empty when messages were not traced).
    pub fn messages(&self) -> String {
        std::fs::read_to_string(&self.logs.messages).unwrap_or_default()
    }
}

impl fmt::Display for SippOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self
            .exit_code
            .map_or_else(|| "none".to_owned(), |c| c.to_string());
        write!(
            f,
            "sipp {}: exit code {code}, {} successful, {} failed, {} retransmissions; files in {}",
            self.scenario,
            self.successful_calls,
            self.failed_calls,
            self.retransmissions,
            self.logs.dir.display()
        )?;
        let errors = tail(&self.logs.errors, TAIL_LINES);
        if self.logs.errors.exists() && !errors.trim().is_empty() {
            write!(f, "\n--- errors ---\n{errors}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(command: &Command) -> Vec<String> {
        command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    fn value_after(args: &[String], flag: &str) -> Option<String> {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    }

    fn key_value(args: &[String], key: &str) -> Option<String> {
        args.windows(3)
            .find(|w| w[0] == "-key" && w[1] == key)
            .map(|w| w[2].clone())
    }

    #[test]
    fn command_line_is_loopback_only_with_files_in_the_peer_dir() {
        let logs = SippLogs::in_dir(Path::new("/tmp/p"));
        let sipp = Sipp::scenario("uac_call.xml")
            .remote(SocketAddr::from((LOOPBACK, 5060)))
            .service("102")
            .credentials("101", "pw")
            .calls(3)
            .rate(10)
            .key("pause_ms", "100");
        let args = argv(&sipp.command(Path::new("sipp"), 4000, 4001, &logs));
        assert!(args.contains(&"127.0.0.1:5060".to_owned()));
        for flag in ["-i", "-mi", "-ci"] {
            assert_eq!(
                value_after(&args, flag).as_deref(),
                Some("127.0.0.1"),
                "{flag}"
            );
        }
        assert_eq!(value_after(&args, "-p").as_deref(), Some("4000"));
        assert_eq!(value_after(&args, "-cp").as_deref(), Some("4001"));
        assert_eq!(value_after(&args, "-t").as_deref(), Some("u1"));
        assert_eq!(value_after(&args, "-m").as_deref(), Some("3"));
        assert_eq!(value_after(&args, "-r").as_deref(), Some("10"));
        assert_eq!(value_after(&args, "-s").as_deref(), Some("102"));
        assert_eq!(value_after(&args, "-au").as_deref(), Some("101"));
        assert_eq!(value_after(&args, "-ap").as_deref(), Some("pw"));
        assert_eq!(
            value_after(&args, "-stf").as_deref(),
            Some("/tmp/p/stats.csv")
        );
        assert_eq!(
            value_after(&args, "-error_file").as_deref(),
            Some("/tmp/p/errors.log")
        );
        assert!(args.contains(&"-nostdin".to_owned()));
        assert!(!args.contains(&"-nr".to_owned()));
        // keys: the caller's, the credentials', the defaults
        assert_eq!(key_value(&args, "pause_ms").as_deref(), Some("100"));
        assert_eq!(key_value(&args, "user").as_deref(), Some("101"));
        assert_eq!(key_value(&args, "password").as_deref(), Some("pw"));
        assert_eq!(key_value(&args, "contact_port").as_deref(), Some("4000"));
        assert_eq!(key_value(&args, "expires").as_deref(), Some("3600"));
    }

    #[test]
    fn drop_scenarios_get_no_retransmission_detection() {
        let logs = SippLogs::in_dir(Path::new("/tmp/p"));
        for name in ["registrar_drop.xml", "uas_drop_invite.xml"] {
            let args = argv(&Sipp::scenario(name).command(Path::new("sipp"), 1, 2, &logs));
            assert!(args.contains(&"-nr".to_owned()), "{name}: {args:?}");
        }
        let args = argv(
            &Sipp::builtin("uas")
                .transport(Transport::Tcp)
                .trace_messages(false)
                .command(Path::new("sipp"), 1, 2, &logs),
        );
        assert_eq!(value_after(&args, "-sn").as_deref(), Some("uas"));
        assert_eq!(value_after(&args, "-t").as_deref(), Some("t1"));
        assert!(!args.contains(&"-trace_msg".to_owned()));
    }

    #[test]
    fn every_bundled_scenario_exists_and_documents_itself() {
        let mut names: Vec<String> = std::fs::read_dir(scenarios_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".xml"))
            .collect();
        names.sort();
        for required in [
            "register_auth.xml",
            "registrar_423.xml",
            "registrar_challenge.xml",
            "registrar_challenge_sha256.xml",
            "registrar_drop.xml",
            "uac_call.xml",
            "uac_call_auth.xml",
            "uac_load.xml",
            "uas_answer.xml",
            "uas_busy.xml",
            "uas_drop_invite.xml",
        ] {
            assert!(names.iter().any(|n| n == required), "{required} missing");
        }
        for name in &names {
            let text = std::fs::read_to_string(scenarios_dir().join(name)).unwrap();
            let stem = name.trim_end_matches(".xml");
            // a header comment that names the file and says what it tests
            assert!(
                text.contains(&format!("<!--\n  {name} - ")),
                "{name}: header"
            );
            assert!(text.contains("Tests:"), "{name}: no 'Tests:' in the header");
            assert!(
                text.contains(&format!("<scenario name=\"{stem}\">")),
                "{name}"
            );
            // every -key keyword it uses has a default here (or is contact_port)
            for key in [
                "expires",
                "pause_ms",
                "realm",
                "user",
                "password",
                "contact_port",
            ] {
                if text.contains(&format!("[{key}]")) {
                    assert!(
                        key == "contact_port" || DEFAULT_KEYS.iter().any(|(k, _)| *k == key),
                        "{name}: [{key}] has no default"
                    );
                }
            }
        }
    }

    #[test]
    fn diagnostics_show_the_logs_that_have_something() {
        let dir = PeerDir::new("sipp-diag-test").unwrap();
        let logs = SippLogs::in_dir(dir.path());
        std::fs::write(&logs.errors, "Aborting call on unexpected message\n").unwrap();
        std::fs::write(&logs.screen, "").unwrap();
        let text = logs.diagnostics();
        assert!(text.contains("--- errors.log ---\nAborting call"), "{text}");
        assert!(!text.contains("screen.log"), "{text}");
        assert!(!text.contains("sipp.out"), "{text}");
    }

    #[test]
    fn statistics_csv_is_read_by_column() {
        // the shape SIPp 3.6.1 writes: a header, then one line per dump (trimmed columns)
        let text = "StartTime;LastResetTime;CurrentTime;SuccessfulCall(P);SuccessfulCall(C);FailedCall(P);FailedCall(C);Retransmissions(C);\n\
                    2026-11-26\t10:07:34.474582\t1795687654.474582;x;y;0;0;0;0;0;\n\
                    2026-11-26\t10:07:34.578122\t1795687654.578122;x;y;0;2;0;1;3;\n";
        let stats = parse_stats(text).unwrap();
        assert_eq!(stats["SuccessfulCall(C)"], "2");
        assert_eq!(stats["FailedCall(C)"], "1");
        assert_eq!(stats["Retransmissions(C)"], "3");
        assert!(parse_stats("StartTime;\n").is_none());
        assert!(parse_stats("").is_none());
    }
}

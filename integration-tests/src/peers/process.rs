//! A peer's process: its own process group, output into a log file, stopped on drop.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use super::now;
use crate::{Error, Result};

/// How long a peer gets to exit after SIGTERM before SIGKILL.
pub(crate) const TERM_GRACE: Duration = Duration::from_secs(3);

/// How often the harness looks at a process or a socket it waits for.
pub(crate) const POLL: Duration = Duration::from_millis(10);

/// A running peer. It leads its own process group (Kamailio forks workers into it), so
/// stopping it signals the whole group; dropping it stops it.
#[derive(Debug)]
pub(crate) struct PeerProcess {
    name: String,
    child: Child,
    log: PathBuf,
    exited: Option<ExitStatus>,
}

impl PeerProcess {
    /// Starts `command` in a new process group with stdin from /dev/null and both
    /// stdout and stderr appended to `log`.
    pub(crate) fn spawn(name: impl Into<String>, mut command: Command, log: &Path) -> Result<Self> {
        let name = name.into();
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| Error::io(format!("opening {}", log.display()), e))?;
        let err = out
            .try_clone()
            .map_err(|e| Error::io(format!("duplicating {}", log.display()), e))?;
        command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        tracing::debug!(peer = %name, ?command, "starting");
        let child = command
            .spawn()
            .map_err(|e| Error::io(format!("starting {name}"), e))?;
        Ok(Self {
            name,
            child,
            log: log.to_owned(),
            exited: None,
        })
    }

    /// The peer's name, for messages.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Its log file.
    pub(crate) fn log(&self) -> &Path {
        &self.log
    }

    /// Its exit status if it has exited (reaping it), `None` while it runs.
    pub(crate) fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        if self.exited.is_none() {
            self.exited = self
                .child
                .try_wait()
                .map_err(|e| Error::io(format!("waiting for {}", self.name), e))?;
        }
        Ok(self.exited)
    }

    /// Waits up to `timeout` for the peer to exit.
    pub(crate) fn wait_timeout(&mut self, timeout: Duration) -> Result<Option<ExitStatus>> {
        let deadline = now() + timeout;
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(Some(status));
            }
            if now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(POLL);
        }
    }

    /// Stops the peer: SIGTERM to its group, up to `grace` to exit, then SIGKILL to the
    /// group. Returns its exit status (`None` if even that could not be collected).
    pub(crate) fn terminate(&mut self, grace: Duration) -> Option<ExitStatus> {
        if let Ok(Some(status)) = self.try_wait() {
            return Some(status);
        }
        self.signal_group("TERM");
        if let Ok(Some(status)) = self.wait_timeout(grace) {
            return Some(status);
        }
        tracing::warn!(peer = %self.name, "did not stop on SIGTERM; killing its process group");
        self.signal_group("KILL");
        // the leader at least, even if the shell could not signal the group
        let _ = self.child.kill();
        let status = self.child.wait().ok();
        self.exited = status;
        status
    }

    /// Sends `signal` to the peer's process group (whose id is the leader's pid, still
    /// ours: the leader has not been reaped when this is called), with the POSIX shell's
    /// `kill` builtin, which needs no package. Without a shell, SIGKILL to the leader.
    fn signal_group(&mut self, signal: &str) {
        let pgid = self.child.id().to_string();
        let sent = Command::new("/bin/sh")
            .args(["-c", "kill -s \"$0\" -- \"-$1\"", signal, &pgid])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if sent.is_err() {
            let _ = self.child.kill();
        }
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        self.terminate(TERM_GRACE);
    }
}

/// An exit status as text: `exit code 1`, `killed by signal 9`.
pub(crate) fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => "unknown status".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peers::dir::PeerDir;

    #[test]
    fn a_group_of_processes_is_stopped_together() {
        let dir = PeerDir::new("process-test").unwrap();
        let log = dir.path().join("log");
        // a leader that forks a child into its group, like Kamailio's workers
        let mut command = Command::new("sh");
        command.args(["-c", "sleep 30 & echo started; wait"]);
        let mut process = PeerProcess::spawn("sh", command, &log).unwrap();
        let deadline = now() + Duration::from_secs(5);
        while !std::fs::read_to_string(&log).unwrap().contains("started") {
            assert!(now() < deadline, "the shell never started");
            std::thread::sleep(POLL);
        }
        assert_eq!(process.try_wait().unwrap(), None);
        let status = process.terminate(Duration::from_secs(2)).unwrap();
        assert!(!status.success(), "{}", describe(status));
        // every member of the group is gone (zombies waiting for init do not count)
        let pgid = process.child.id();
        let deadline = now() + Duration::from_secs(2);
        while live_members(pgid) > 0 {
            assert!(now() < deadline, "process group {pgid} still has members");
            std::thread::sleep(POLL);
        }
    }

    /// How many processes of group `pgid` are alive, from /proc/<pid>/stat (proc(5):
    /// field 3 is the state, field 5 the process group).
    fn live_members(pgid: u32) -> usize {
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path().join("stat")).ok())
            .filter(|stat| {
                // the command name (field 2) is in parentheses and may contain spaces
                let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
                let fields: Vec<&str> = after_name.split_whitespace().collect();
                fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid.to_string()
            })
            .count()
    }

    #[test]
    fn exit_statuses_are_described() {
        let status = Command::new("sh").args(["-c", "exit 3"]).status().unwrap();
        assert_eq!(describe(status), "exit code 3");
    }
}

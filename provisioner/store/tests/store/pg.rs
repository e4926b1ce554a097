//! A private PostgreSQL for the tests and the bench: the Debian `postgresql` package's
//! `initdb` and `pg_ctl`, a data directory under the temporary directory, a unix socket in
//! it and no TCP listener at all (`listen_addresses=''`), so neither a port nor a
//! password is shared with anything else on the machine.
//!
//! PostgreSQL refuses to run as root. As root (CI), the directory is given to the
//! `postgres` user (made by the Debian package) and the server tools run through
//! `runuser -u postgres --`; as anyone else they run as that user.
//!
//! One server per test process, started on first use, and one fresh database per store
//! ([`fresh_url`]). A watchdog shell started with it stops the server (`pg_ctl stop -m
//! immediate`) and removes the directory once the test process is gone, whichever way it
//! ended (statics are never dropped). Set `TIPRING_PG_BIN` to use another server's `bin/`.

#![allow(dead_code)] // shared with benches/store.rs, which uses only part of it

use std::io::{BufRead as _, BufReader};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// Where the tools come from: what a test that cannot run tells the reader to install.
pub const PACKAGE: &str =
    "PostgreSQL server binaries are missing: install the Debian package `postgresql` \
     (apt-get install -y postgresql; ops/install-deps does)";

/// The running server.
pub struct PgServer {
    dir: PathBuf,
    port: u16,
    admin: Mutex<postgres::Client>,
}

impl PgServer {
    /// The socket directory (the `host` of a URL).
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    /// The URL of a database on this server.
    pub fn url(&self, dbname: &str) -> String {
        format!(
            "postgres://postgres@/{dbname}?host={}&port={}",
            self.dir.display(),
            self.port
        )
    }

    /// Make an empty database; its URL.
    pub fn create_database(&self) -> String {
        static N: AtomicU64 = AtomicU64::new(0);
        let name = format!("tipring_{}", N.fetch_add(1, Ordering::Relaxed));
        let mut admin = self.admin.lock().unwrap_or_else(|p| p.into_inner());
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        self.url(&name)
    }

    /// Run SQL on a database of this server (as the superuser), for tests that set a
    /// database up by hand.
    pub fn execute(&self, url: &str, sql: &str) {
        let mut c = postgres::Client::connect(url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect {url}: {e}"));
        c.batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    }
}

/// The server, started on first use. Panics (so the test fails) with [`PACKAGE`] when the
/// tools are missing, or with the server's log when it does not start.
pub fn server() -> &'static PgServer {
    static SERVER: OnceLock<PgServer> = OnceLock::new();
    SERVER.get_or_init(start)
}

/// A fresh, empty database on the shared server; its URL.
pub fn fresh_url() -> String {
    server().create_database()
}

/// The newest `bin/` under /usr/lib/postgresql (or `TIPRING_PG_BIN`).
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TIPRING_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!("{PACKAGE}"),
    }
}

fn is_root() -> bool {
    // /proc/self belongs to the process's effective user.
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

fn id_of(flag: &str) -> u32 {
    let out = Command::new("id")
        .args([flag, "postgres"])
        .output()
        .expect("run id");
    assert!(
        out.status.success(),
        "no `postgres` user to run the server as root: {PACKAGE}"
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a numeric id")
}

/// A port nobody listens on now (only the socket's name uses it: there is no TCP).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(54_329)
}

/// `sh -c script` as the server's user.
fn as_server_user(root: bool, script: &str) -> Command {
    let mut c = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", "sh", "-c", script]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    };
    c.stdin(Stdio::null());
    c
}

fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

fn start() -> PgServer {
    let bin = bin_dir();
    let root = is_root();
    let dir = std::env::temp_dir().join(format!("tipring-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory for PostgreSQL");
    if root {
        std::os::unix::fs::chown(&dir, Some(id_of("-u")), Some(id_of("-g")))
            .expect("give the directory to postgres");
    }
    let data = dir.join("data");
    let port = free_port();
    let (q_bin, q_dir, q_data) = (shell_quote(&bin), shell_quote(&dir), shell_quote(&data));
    let init = as_server_user(
        root,
        &format!(
            "{q_bin}/initdb -D {q_data} -A trust -U postgres -E UTF8 --locale=C --no-sync \
             >{q_dir}/initdb.log 2>&1 || {{ cat {q_dir}/initdb.log >&2; exit 1; }}"
        ),
    )
    .output()
    .unwrap_or_else(|e| panic!("run initdb: {e}; {PACKAGE}"));
    assert!(
        init.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    // The watchdog: start, say so, then stop and clean up once this process is gone.
    let script = format!(
        "{q_bin}/pg_ctl -D {q_data} -l {q_dir}/server.log -w -t 60 \
           -o \"-k {q_dir} -p {port} -c listen_addresses= -c fsync=off \
           -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" \
           start >{q_dir}/pg_ctl.log 2>&1 || {{ echo failed; cat {q_dir}/server.log; exit 1; }}
         echo started
         while [ -d /proc/{pid} ]; do sleep 0.5; done
         {q_bin}/pg_ctl -D {q_data} -m immediate stop >/dev/null 2>&1
         rm -rf {q_dir}",
        pid = std::process::id()
    );
    let mut child = as_server_user(root, &script)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start PostgreSQL: {e}; {PACKAGE}"));
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let mut first = String::new();
    let _ = out.read_line(&mut first);
    if first.trim() != "started" {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut rest);
        panic!("PostgreSQL did not start: {first}{rest}");
    }
    // The watchdog lives on (and outlives us); nobody waits for it.
    drop(child);
    let admin_url = format!(
        "postgres://postgres@/postgres?host={}&port={port}",
        dir.display()
    );
    let admin = postgres::Client::connect(&admin_url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("connect {admin_url}: {e}"));
    PgServer {
        dir,
        port,
        admin: Mutex::new(admin),
    }
}

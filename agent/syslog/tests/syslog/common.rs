//! Helpers: a fixed clock, loopback ports, a scratch directory, a test PKI, a subscriber
//! with the layer, octet-counted frames, and an rsyslogd started for one test.

use std::net::{SocketAddr, TcpListener as StdTcpListener, UdpSocket as StdUdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use tokio::io::{AsyncRead, AsyncReadExt as _};
use tracing::Dispatch;
use tracing_subscriber::layer::SubscriberExt as _;

use tipring_syslog::{Clock, SyslogConfig, SyslogHandle, SyslogStats};

/// The fixed time of every event: a leap day, with milliseconds.
pub const T0_TEXT: &str = "2024-02-29T23:59:58.123Z";

/// A clock stopped at [`T0_TEXT`].
pub fn clock() -> Arc<dyn Clock> {
    Arc::new(|| UNIX_EPOCH + Duration::from_millis(1_709_251_198_123))
}

/// A subscriber with only the syslog layer, and its handle, on the current runtime.
pub fn syslog(cfg: SyslogConfig) -> (Dispatch, SyslogHandle) {
    let rt = tokio::runtime::Handle::current();
    let (layer, handle) = tipring_syslog::layer_with_clock(cfg, &rt, clock()).expect("layer");
    let dispatch = Dispatch::new(tracing_subscriber::registry().with(layer));
    (dispatch, handle)
}

/// Runs `f` (which emits events) with `d` as the subscriber.
pub fn emit(d: &Dispatch, f: impl FnOnce()) {
    tracing::dispatcher::with_default(d, f);
}

/// Polls `handle`'s stats until `cond` holds, or panics after 15 s.
pub async fn wait_stats(handle: &SyslogHandle, what: &str, cond: impl Fn(&SyslogStats) -> bool) {
    for _ in 0..1500 {
        if cond(&handle.stats()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("waited 15 s for {what}: {:?}", handle.stats());
}

/// A free loopback port (TCP or UDP), released for the peer to bind.
pub fn free_port(udp: bool) -> u16 {
    if udp {
        StdUdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    } else {
        StdTcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }
}

/// A directory of its own under the system's temporary directory, removed on drop.
#[derive(Debug)]
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "tipring-syslog-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The DNS name in the collector's certificate (with 127.0.0.1).
pub const SERVER_NAME: &str = "syslog.tipring.test";

/// A test CA and a server certificate it signed, written as PEM files into `dir`:
/// `ca.pem`, `server.pem`, `server.key`.
pub fn write_pki(dir: &Path) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Tipring syslog test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = ca.self_signed(&ca_key).unwrap();

    let key = KeyPair::generate().unwrap();
    let mut srv = CertificateParams::new(vec![SERVER_NAME.to_owned()]).unwrap();
    srv.subject_alt_names
        .push(SanType::IpAddress([127, 0, 0, 1].into()));
    srv.distinguished_name.push(DnType::CommonName, SERVER_NAME);
    srv.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let srv = srv.signed_by(&key, &ca, &ca_key).unwrap();

    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("server.pem"), srv.pem()).unwrap();
    std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
}

/// Reads one RFC 6587 octet-counted frame (`LEN SP MSG`); `None` at a clean EOF.
pub async fn read_frame<R: AsyncRead + Unpin>(r: &mut R) -> Option<Vec<u8>> {
    let mut len = Vec::new();
    loop {
        let mut b = [0u8; 1];
        match r.read(&mut b).await {
            Ok(0) | Err(_) if len.is_empty() => return None,
            Ok(0) | Err(_) => panic!("EOF inside a frame header"),
            Ok(_) if b[0] == b' ' => break,
            Ok(_) => {
                assert!(b[0].is_ascii_digit(), "bad frame header byte {:?}", b[0]);
                len.push(b[0]);
            }
        }
    }
    assert!(len[0] != b'0', "MSG-LEN has a leading zero");
    let n: usize = std::str::from_utf8(&len).unwrap().parse().unwrap();
    let mut msg = vec![0; n];
    r.read_exact(&mut msg).await.expect("a whole frame");
    Some(msg)
}

/// How rsyslogd listens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    Udp,
    Tcp,
    /// TLS with the certificates of [`write_pki`] in the scratch directory.
    Tls,
}

/// One message as rsyslog parsed it (its RFC 5424 properties).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub pri: String,
    pub time: String,
    pub hostname: String,
    pub app_name: String,
    pub procid: String,
    pub msgid: String,
    pub sd: String,
    pub msg: String,
}

/// An rsyslogd in the foreground on a loopback port, writing each message's parsed
/// fields, tab-separated, to a file. Killed on drop.
#[derive(Debug)]
pub struct Rsyslog {
    child: Child,
    pub port: u16,
    out: PathBuf,
    pub dir: Scratch,
}

/// rsyslog's netstream driver for TLS: `gtls` (package rsyslog-gnutls) or `ossl`
/// (rsyslog-openssl), whichever is installed.
fn tls_driver() -> Option<&'static str> {
    let mut dirs = vec![
        PathBuf::from("/usr/lib/rsyslog"),
        PathBuf::from("/usr/lib64/rsyslog"),
    ];
    if let Ok(entries) = std::fs::read_dir("/usr/lib") {
        dirs.extend(entries.flatten().map(|e| e.path().join("rsyslog")));
    }
    ["gtls", "ossl"].into_iter().find(|d| {
        dirs.iter()
            .any(|dir| dir.join(format!("lmnsd_{d}.so")).exists())
    })
}

const INSTALL: &str = "apt-get install rsyslog rsyslog-gnutls";

impl Rsyslog {
    /// Starts rsyslogd, or says why not and returns `None` (the test then passes
    /// without checking anything).
    pub async fn start(input: Input) -> Option<Rsyslog> {
        if Command::new("rsyslogd").arg("-v").output().is_err() {
            eprintln!("SKIPPED: rsyslogd is not installed ({INSTALL})");
            return None;
        }
        let dir = Scratch::new("rsyslog");
        let port = free_port(input == Input::Udp);
        let out = dir.path("out.log");
        let d = dir.0.display();
        let mut conf = format!("global(workDirectory=\"{d}\"");
        let listen = match input {
            Input::Udp => format!(
                "module(load=\"imudp\")\n\
                 input(type=\"imudp\" address=\"127.0.0.1\" port=\"{port}\" ruleset=\"r\")\n"
            ),
            Input::Tcp => format!(
                "module(load=\"imtcp\")\n\
                 input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{port}\" ruleset=\"r\")\n"
            ),
            Input::Tls => {
                let Some(driver) = tls_driver() else {
                    eprintln!("SKIPPED: no rsyslog TLS driver ({INSTALL})");
                    return None;
                };
                write_pki(&dir.0);
                conf.push_str(&format!(
                    "\n  defaultNetstreamDriverCAFile=\"{d}/ca.pem\"\
                     \n  defaultNetstreamDriverCertFile=\"{d}/server.pem\"\
                     \n  defaultNetstreamDriverKeyFile=\"{d}/server.key\""
                ));
                format!(
                    "module(load=\"imtcp\" streamDriver.name=\"{driver}\" \
                     streamDriver.mode=\"1\" streamDriver.authMode=\"anon\")\n\
                     input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{port}\" ruleset=\"r\")\n"
                )
            }
        };
        conf.push_str(")\n");
        conf.push_str(&listen);
        conf.push_str(&format!(
            "template(name=\"fields\" type=\"string\" string=\"%pri%\\t\
             %timereported:::date-rfc3339%\\t%hostname%\\t%app-name%\\t%procid%\\t%msgid%\\t\
             %structured-data%\\t%msg%\\n\")\n\
             ruleset(name=\"r\") {{ action(type=\"omfile\" file=\"{}\" template=\"fields\") }}\n",
            out.display()
        ));
        std::fs::write(dir.path("rsyslog.conf"), conf).unwrap();
        let log = std::fs::File::create(dir.path("rsyslogd.log")).unwrap();
        let child = Command::new("rsyslogd")
            .arg("-n")
            .arg("-f")
            .arg(dir.path("rsyslog.conf"))
            .arg("-i")
            .arg(dir.path("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start rsyslogd: {e}"));
        let mut r = Rsyslog {
            child,
            port,
            out,
            dir,
        };
        r.wait_ready(input).await;
        Some(r)
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Waits until rsyslogd takes messages: a TCP connect succeeds, or (UDP) a probe
    /// datagram shows in the output file.
    async fn wait_ready(&mut self, input: Input) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let probe = StdUdpSocket::bind("127.0.0.1:0").unwrap();
        for _ in 0..200 {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("rsyslogd exited ({status}): {}", self.diagnostics());
            }
            let ready = match input {
                Input::Udp => {
                    probe
                        .send_to(b"<134>1 - - probe - - - probe", addr)
                        .unwrap();
                    self.read_all().iter().any(|p| p.app_name == "probe")
                }
                Input::Tcp | Input::Tls => tokio::net::TcpStream::connect(addr).await.is_ok(),
            };
            if ready {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("rsyslogd not ready in 10 s: {}", self.diagnostics());
    }

    fn diagnostics(&self) -> String {
        let conf = std::fs::read_to_string(self.dir.path("rsyslog.conf")).unwrap_or_default();
        let log = std::fs::read_to_string(self.dir.path("rsyslogd.log")).unwrap_or_default();
        format!("config:\n{conf}\noutput:\n{log}")
    }

    /// Every message in the output file so far, probes included.
    fn read_all(&self) -> Vec<Parsed> {
        let text = std::fs::read_to_string(&self.out).unwrap_or_default();
        text.lines()
            .map(|l| {
                let f: Vec<&str> = l.splitn(8, '\t').collect();
                assert_eq!(f.len(), 8, "unexpected output line {l:?}");
                Parsed {
                    pri: f[0].to_owned(),
                    time: f[1].to_owned(),
                    hostname: f[2].to_owned(),
                    app_name: f[3].to_owned(),
                    procid: f[4].to_owned(),
                    msgid: f[5].to_owned(),
                    sd: f[6].to_owned(),
                    msg: f[7].to_owned(),
                }
            })
            .collect()
    }

    /// The first `n` messages (probes left out), waiting up to 10 s for them.
    pub async fn messages(&self, n: usize) -> Vec<Parsed> {
        for _ in 0..200 {
            let got: Vec<Parsed> = self
                .read_all()
                .into_iter()
                .filter(|p| p.app_name != "probe")
                .collect();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "rsyslog wrote {} of {n} messages in 10 s: {:?}\n{}",
            self.read_all().len(),
            self.read_all(),
            self.diagnostics()
        );
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

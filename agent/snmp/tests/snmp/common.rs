//! The test agent (the engine on real UDP sockets in a thread) and net-snmp tool runners.

use std::collections::BTreeSet;
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tipring_snmp::{
    AuthProtocol, Community, Engine, EngineConfig, IpNet, MapMib, Oid, PrivProtocol, SecurityLevel,
    User, Value, View,
};

/// The test table: enterprises.99999.9.1.1.1.<column>.<row>.
pub const TABLE_ENTRY: [u32; 12] = [1, 3, 6, 1, 4, 1, 99999, 9, 1, 1, 1, 0];
pub const ROWS: u32 = 50;
/// testBig.0 (Counter64).
pub const TEST_BIG: [u32; 10] = [1, 3, 6, 1, 4, 1, 99999, 9, 1, 2];

pub fn table_cell(column: u32, row: u32) -> Oid {
    let mut o = TABLE_ENTRY;
    o[11] = column;
    Oid::from_slice(&o).child(&[row])
}

/// A few scalars, a table of 50 rows × 4 columns and a Counter64.
pub fn test_mib() -> MapMib {
    let mut m = MapMib::new();
    let sys = |i: u32| Oid::from([1, 3, 6, 1, 2, 1, 1, i, 0]);
    m.insert(sys(1), Value::string("Tipring test agent"));
    m.insert(
        sys(2),
        Value::ObjectId(Oid::from([1, 3, 6, 1, 4, 1, 99999, 9])),
    );
    m.insert(sys(3), Value::TimeTicks(4242));
    m.insert(sys(4), Value::string("noc@example.invalid"));
    m.insert(sys(5), Value::string("gw-test"));
    m.insert(sys(6), Value::string("rack 7"));
    for r in 1..=ROWS {
        m.insert(table_cell(1, r), Value::Integer(r as i32));
        m.insert(table_cell(2, r), Value::string(&format!("line{r}")));
        m.insert(table_cell(3, r), Value::Counter32(r * 100));
        m.insert(table_cell(4, r), Value::Gauge32(r % 7));
    }
    let mut big = Oid::from_slice(&TEST_BIG);
    big.push(0);
    m.insert(big, Value::Counter64(0x1_0000_0000_0005));
    m.writable = true;
    m
}

/// The engine's own objects (see the crate docs), as instance OIDs.
pub fn engine_objects() -> Vec<Oid> {
    let mut v: Vec<Oid> = [1, 3, 4, 5, 6, 30, 31, 32]
        .iter()
        .map(|&i| Oid::from([1, 3, 6, 1, 2, 1, 11, i, 0]))
        .collect();
    v.push(Oid::from([1, 3, 6, 1, 6, 3, 1, 1, 6, 1, 0]));
    for i in 1..=4 {
        v.push(Oid::from([1, 3, 6, 1, 6, 3, 10, 2, 1, i, 0]));
    }
    for i in 1..=3 {
        v.push(Oid::from([1, 3, 6, 1, 6, 3, 11, 2, 1, i, 0]));
    }
    for i in 4..=5 {
        v.push(Oid::from([1, 3, 6, 1, 6, 3, 12, 1, i, 0]));
    }
    for i in 1..=6 {
        v.push(Oid::from([1, 3, 6, 1, 6, 3, 15, 1, 1, i, 0]));
    }
    v
}

/// Every object a full walk from `.1` must return (v1 without the Counter64).
pub fn expected_walk(v1: bool) -> BTreeSet<Oid> {
    let mut s: BTreeSet<Oid> = test_mib().objects.keys().cloned().collect();
    s.extend(engine_objects());
    if v1 {
        let mut big = Oid::from_slice(&TEST_BIG);
        big.push(0);
        s.remove(&big);
    }
    s
}

pub const AUTH_PW: &str = "authpass123";
pub const PRIV_PW: &str = "privpass123";

/// The USM users of the test agent: (name, auth, priv).
pub fn users() -> Vec<User> {
    let ap = |n: &str, a, p| User::auth_priv(n, a, AUTH_PW, p, PRIV_PW);
    vec![
        User::no_auth("noauth"),
        User::auth("authsha", AuthProtocol::Sha1, AUTH_PW),
        ap("sha256aes", AuthProtocol::Sha256, PrivProtocol::Aes128),
        ap("shaaes", AuthProtocol::Sha1, PrivProtocol::Aes128),
        ap("sha512aes256", AuthProtocol::Sha512, PrivProtocol::Aes256),
        ap("md5des", AuthProtocol::Md5, PrivProtocol::Des),
        ap("sha224aes192", AuthProtocol::Sha224, PrivProtocol::Aes192),
        ap("shaaes256c", AuthProtocol::Sha1, PrivProtocol::Aes256Cisco),
        ap(
            "sha384aes192c",
            AuthProtocol::Sha384,
            PrivProtocol::Aes192Cisco,
        ),
    ]
}

pub const ENGINE_ID_TEXT: &str = "tipring-test";

pub fn engine_id() -> Vec<u8> {
    EngineConfig::text_engine_id(99999, ENGINE_ID_TEXT)
}

pub fn engine_id_hex() -> String {
    engine_id().iter().map(|b| format!("{b:02x}")).collect()
}

/// The test configuration: communities `public` (read all), `private` (read/write all),
/// `v6only` (from ::1 only), `far` (from 192.0.2.0/24 only); every user of [`users`]
/// reads and writes everything at its own level; DES and Set enabled.
pub fn test_config() -> EngineConfig {
    let mut cfg = EngineConfig::new(engine_id());
    cfg.add_view(View::everything("all"));
    cfg.communities.push(Community::read_only("public", "all"));
    let mut rw = Community::read_only("private", "all");
    rw.write_view = Some("all".into());
    cfg.communities.push(rw);
    let mut v6 = Community::read_only("v6only", "all");
    v6.sources.push("::1/128".parse::<IpNet>().unwrap());
    cfg.communities.push(v6);
    let mut far = Community::read_only("far", "all");
    far.sources.push("192.0.2.0/24".parse::<IpNet>().unwrap());
    cfg.communities.push(far);
    for u in users() {
        cfg.allow_user(&u.name, u.level(), "all", Some("all"));
        cfg.users.push(u);
    }
    cfg.allow_des = true;
    cfg.set_enabled = true;
    cfg.seed = 7;
    cfg
}

/// The engine and the Mib it serves, shared with the test.
pub struct Shared {
    pub engine: Engine,
    pub mib: MapMib,
}

/// The engine served over UDP on 127.0.0.1 and [::1] by two threads.
pub struct TestAgent {
    pub v4: SocketAddr,
    pub v6: Option<SocketAddr>,
    pub shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

#[allow(clippy::disallowed_methods)] // the test harness owns the clock
pub fn now() -> Instant {
    Instant::now()
}

impl TestAgent {
    pub fn start(cfg: EngineConfig) -> TestAgent {
        let engine = Engine::new(cfg, 1, now()).expect("engine");
        let shared = Arc::new(Mutex::new(Shared {
            engine,
            mib: test_mib(),
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let s4 = UdpSocket::bind("127.0.0.1:0").expect("bind v4");
        let v4 = s4.local_addr().unwrap();
        let mut threads = vec![serve(s4, shared.clone(), stop.clone())];
        let v6 = match UdpSocket::bind("[::1]:0") {
            Ok(s6) => {
                let a = s6.local_addr().unwrap();
                threads.push(serve(s6, shared.clone(), stop.clone()));
                Some(a)
            }
            Err(_) => None,
        };
        TestAgent {
            v4,
            v6,
            shared,
            stop,
            threads,
        }
    }

    pub fn counters(&self) -> tipring_snmp::Counters {
        self.shared.lock().unwrap().engine.counters().clone()
    }

    /// net-snmp's agent address for this agent over IPv4.
    pub fn peer(&self) -> String {
        format!("udp:127.0.0.1:{}", self.v4.port())
    }
}

fn serve(sock: UdpSocket, shared: Arc<Mutex<Shared>>, stop: Arc<AtomicBool>) -> JoinHandle<()> {
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65_536];
        let mut out = Vec::with_capacity(2048);
        while !stop.load(Ordering::Relaxed) {
            let Ok((n, from)) = sock.recv_from(&mut buf) else {
                continue;
            };
            let mut g = shared.lock().unwrap();
            let Shared { engine, mib } = &mut *g;
            engine.handle(now(), from, &buf[..n], mib, &mut out);
            drop(g);
            if !out.is_empty() {
                let _ = sock.send_to(&out, from);
            }
        }
    })
}

impl Drop for TestAgent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A private directory for net-snmp's persistent files and configuration lookups, so the
/// tools neither read the user's ~/.snmp nor write /var/lib/snmp.
pub fn snmp_home() -> PathBuf {
    let d = std::env::temp_dir().join(format!("tipring-snmp-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs a net-snmp tool; fails the test (with the install command) when it is missing.
pub fn tool(name: &str, args: &[&str]) -> Output {
    let home = snmp_home();
    let out = Command::new(name)
        .args(args)
        .env("SNMP_PERSISTENT_DIR", &home)
        .env("SNMPCONFPATH", &home)
        .env("HOME", &home)
        .env("MIBS", "")
        .output();
    match out {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "net-snmp's `{name}` is not installed: apt-get install snmp snmptrapd (ops/install-deps does it)"
        ),
        Err(e) => panic!("running {name}: {e}"),
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn all_output(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Parses `-On` output lines (`.1.3.6... = TYPE: value`) into (OID, rest).
pub fn parse_on(text: &str) -> Vec<(Oid, String)> {
    text.lines()
        .filter_map(|l| {
            let (o, rest) = l.split_once(" = ")?;
            let oid: Oid = o.trim().parse().ok()?;
            Some((oid, rest.to_string()))
        })
        .collect()
}

/// The net-snmp `-v3` arguments for one of [`users`].
pub fn v3_args(user: &User) -> Vec<String> {
    let mut a = vec![
        "-v3".to_string(),
        "-u".into(),
        user.name.clone(),
        "-l".into(),
    ];
    a.push(
        match user.level() {
            SecurityLevel::NoAuthNoPriv => "noAuthNoPriv",
            SecurityLevel::AuthNoPriv => "authNoPriv",
            SecurityLevel::AuthPriv => "authPriv",
        }
        .into(),
    );
    if let Some((p, pw)) = &user.auth {
        a.extend([
            "-a".into(),
            p.net_snmp_name().into(),
            "-A".into(),
            pw.clone(),
        ]);
    }
    if let Some((p, pw)) = &user.privacy {
        a.extend([
            "-x".into(),
            p.net_snmp_name().into(),
            "-X".into(),
            pw.clone(),
        ]);
    }
    a
}

pub fn user(name: &str) -> User {
    users()
        .into_iter()
        .find(|u| u.name == name)
        .expect("test user")
}

/// A free UDP port on 127.0.0.1 (bound and released).
pub fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

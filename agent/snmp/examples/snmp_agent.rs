//! A minimal SNMP agent over the engine: one blocking UDP socket on one thread, one
//! reusable buffer (the model for the agent's shell), serving a synthetic tree.
//!
//! ```text
//! cargo run --release -p tipring-snmp --example snmp_agent -- \
//!     --port 16100 --community public --user alice:SHA-256:authpass123:AES:privpass123 \
//!     --objects 1200
//! ```
//!
//! `--bind ADDR` (default 127.0.0.1), `--objects N` (about N objects with the engine's own:
//! the system group, a 10-column interface-like table and a Counter64 column), `--user NAME:AUTH:AUTHPASS[:PRIV:PRIVPASS]`
//! (protocol names as net-snmp's `-a`/`-x`), `--des` (allow DES), `--set` (allow Set on
//! the writable community `--rw COMMUNITY`). Prints `listening on ADDR` once ready.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use tipring_snmp::{
    AuthProtocol, Community, Engine, EngineConfig, Lookup, MapMib, Mib, Oid, PrivProtocol, User,
    Value, View,
};

struct AgentMib {
    map: MapMib,
    start: Instant,
}

const SYS_UPTIME: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 3, 0];

impl AgentMib {
    fn uptime(&self) -> Value {
        #[allow(clippy::disallowed_methods)] // the binary owns the clock
        let now = Instant::now();
        Value::TimeTicks((now.duration_since(self.start).as_millis() / 10) as u32)
    }
}

impl Mib for AgentMib {
    fn get(&self, oid: &[u32]) -> Lookup {
        if oid == SYS_UPTIME {
            return Lookup::Value(self.uptime());
        }
        self.map.get(oid)
    }
    fn next(&self, oid: &[u32]) -> Option<(Oid, Value)> {
        let (o, v) = self.map.next(oid)?;
        if o.as_slice() == SYS_UPTIME {
            return Some((o, self.uptime()));
        }
        Some((o, v))
    }
    fn set(&mut self, vbs: &[(Oid, Value)]) -> Result<(), (usize, tipring_snmp::ErrorStatus)> {
        self.map.set(vbs)
    }
}

/// About `n` objects: system group (7), then a 10-column table with rows of indices 1..,
/// two Counter64 columns among them.
fn synthetic_tree(n: usize, start: Instant) -> AgentMib {
    let mut m = MapMib::new();
    let sys = [1, 3, 6, 1, 2, 1, 1];
    let s = |i: u32| Oid::from_slice(&sys).child(&[i, 0]);
    m.insert(s(1), Value::string("Tipring gateway (example agent)"));
    m.insert(
        s(2),
        Value::ObjectId(Oid::from([1, 3, 6, 1, 4, 1, 99999, 1])),
    );
    m.insert(s(3), Value::TimeTicks(0));
    m.insert(s(4), Value::string("noc@example.invalid"));
    m.insert(s(5), Value::string("gw-example"));
    m.insert(s(6), Value::string("lab"));
    m.insert(s(7), Value::Integer(72));
    // 7 system objects, 24 of the engine's own, 11 per row.
    let rows = (n.saturating_sub(7 + 24) / 11).max(1) as u32;
    for r in 1..=rows {
        let col = |c: u32| Oid::from([1, 3, 6, 1, 2, 1, 2, 2, 1, c, r]);
        m.insert(col(1), Value::Integer(r as i32));
        m.insert(col(2), Value::string(&format!("port{r}")));
        m.insert(col(3), Value::Integer(6));
        m.insert(col(4), Value::Integer(1500));
        m.insert(col(5), Value::Gauge32(1_000_000_000));
        m.insert(col(6), Value::OctetString(vec![0x02, 0, 0, 0, 0, r as u8]));
        m.insert(col(7), Value::Integer(1));
        m.insert(col(8), Value::Integer(1));
        m.insert(col(10), Value::Counter32(r * 1000));
        m.insert(col(16), Value::Counter32(r * 2000));
        m.insert(
            Oid::from([1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, r]),
            Value::Counter64(u64::from(r) << 33),
        );
    }
    AgentMib { map: m, start }
}

fn auth_proto(s: &str) -> Option<AuthProtocol> {
    Some(match s.to_ascii_uppercase().as_str() {
        "MD5" => AuthProtocol::Md5,
        "SHA" | "SHA1" | "SHA-1" => AuthProtocol::Sha1,
        "SHA-224" | "SHA224" => AuthProtocol::Sha224,
        "SHA-256" | "SHA256" => AuthProtocol::Sha256,
        "SHA-384" | "SHA384" => AuthProtocol::Sha384,
        "SHA-512" | "SHA512" => AuthProtocol::Sha512,
        _ => return None,
    })
}

fn priv_proto(s: &str) -> Option<PrivProtocol> {
    Some(match s.to_ascii_uppercase().as_str() {
        "DES" => PrivProtocol::Des,
        "AES" | "AES128" | "AES-128" => PrivProtocol::Aes128,
        "AES192" | "AES-192" => PrivProtocol::Aes192,
        "AES256" | "AES-256" => PrivProtocol::Aes256,
        "AES192C" | "AES-192-C" => PrivProtocol::Aes192Cisco,
        "AES256C" | "AES-256-C" => PrivProtocol::Aes256Cisco,
        _ => return None,
    })
}

fn parse_user(spec: &str) -> Result<User, String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let bad = || format!("bad --user {spec:?}: NAME[:AUTH:AUTHPASS[:PRIV:PRIVPASS]]");
    match parts.as_slice() {
        [name] => Ok(User::no_auth(name)),
        [name, a, ap] => Ok(User::auth(name, auth_proto(a).ok_or_else(bad)?, ap)),
        [name, a, ap, p, pp] => Ok(User::auth_priv(
            name,
            auth_proto(a).ok_or_else(bad)?,
            ap,
            priv_proto(p).ok_or_else(bad)?,
            pp,
        )),
        _ => Err(bad()),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    run(std::env::args().skip(1).collect())
}

/// Parses `args` (without the program name) and serves until killed.
pub fn run(args: Vec<String>) -> Result<(), Box<dyn std::error::Error>> {
    let mut port = 16100u16;
    let mut bind = "127.0.0.1".to_string();
    let mut objects = 1000usize;
    let mut cfg = EngineConfig::new(EngineConfig::text_engine_id(99999, "tipring-example"));
    cfg.add_view(View::everything("all"));
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--port" => port = val()?.parse()?,
            "--bind" => bind = val()?,
            "--objects" => objects = val()?.parse()?,
            "--community" => cfg.communities.push(Community::read_only(&val()?, "all")),
            "--rw" => {
                let mut c = Community::read_only(&val()?, "all");
                c.write_view = Some("all".into());
                cfg.communities.push(c);
            }
            "--user" => {
                let u = parse_user(&val()?)?;
                let level = u.level();
                cfg.allow_user(&u.name.clone(), level, "all", Some("all"));
                cfg.users.push(u);
            }
            "--des" => cfg.allow_des = true,
            "--set" => cfg.set_enabled = true,
            "--help" | "-h" => {
                println!("usage: snmp_agent [--bind ADDR] [--port N] [--objects N] [--community C] [--rw C] [--user NAME:AUTH:PASS:PRIV:PASS] [--des] [--set]");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    #[allow(clippy::disallowed_methods)] // the binary owns the clock
    let start = Instant::now();
    let mut engine = Engine::new(cfg, 1, start)?;
    let mut mib = synthetic_tree(objects, start);
    let addr: SocketAddr = format!("{bind}:{port}").parse()?;
    let sock = UdpSocket::bind(addr)?;
    println!("listening on {}", sock.local_addr()?);
    let mut buf = vec![0u8; 65_536];
    let mut out = Vec::with_capacity(2048);
    let mut next_deadline: Option<Instant> = None;
    let mut timeout: Option<Duration> = None;
    loop {
        // Block until a datagram or the next inform deadline; touch the socket option
        // only when the wait changes (no extra syscall per request).
        let wait = next_deadline.map(|d| {
            #[allow(clippy::disallowed_methods)]
            let now = Instant::now();
            d.saturating_duration_since(now)
                .max(Duration::from_millis(1))
        });
        if wait != timeout {
            sock.set_read_timeout(wait)?;
            timeout = wait;
        }
        let got = sock.recv_from(&mut buf);
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        if let Ok((n, from)) = got {
            engine.handle(now, from, &buf[..n], &mut mib, &mut out);
            if !out.is_empty() {
                let _ = sock.send_to(&out, from);
            }
        }
        if next_deadline.is_some_and(|d| d <= now) || engine.pending_informs() > 0 {
            let (outs, next) = engine.poll(now);
            for o in outs {
                let _ = sock.send_to(&o.bytes, o.to);
            }
            next_deadline = next;
        }
    }
}

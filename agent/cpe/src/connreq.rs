//! Connection Requests (TR-069 Amendment 6 §3.2.2 and Annex G), checked sans-IO.
//!
//! * Over HTTP: the ACS sends `GET` to ManagementServer.ConnectionRequestURL; the CPE
//!   answers `401` with a Digest challenge (RFC 7616, `qop=auth`, MD5 and SHA-256 offered),
//!   then `200` to a request whose credentials verify against
//!   ConnectionRequestUsername/Password. Nonces live 60 s, a nonce count may not go back
//!   (replay), and a token bucket limits accepted requests (§3.2.2: "the CPE SHOULD
//!   restrict the number of Connection Requests it accepts during a given period").
//! * Over UDP (Annex G.2.1): a datagram holding an HTTP GET line whose query carries
//!   `ts` (Unix time), `id` (message id), `un` (username), `cn` (a nonce) and `sig`
//!   (hex HMAC-SHA1 of `ts`+`id`+`un`+`cn` keyed with the password). It is accepted when
//!   the signature verifies, `ts` is fresher than the last accepted one, and `id` was not
//!   seen (replay).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use tipring_sip_message::auth::{Algorithm, Challenge, Credentials, Qop};
use tipring_sip_message::Method;

/// What to answer an HTTP Connection Request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// `200 OK`: authenticated; start a session with `6 CONNECTION REQUEST`.
    Accept,
    /// `401 Unauthorized` with these `WWW-Authenticate` values.
    Challenge(Vec<String>),
    /// `503 Service Unavailable`: over the rate limit.
    TooMany,
    /// `405 Method Not Allowed` (anything but GET).
    BadMethod,
    /// `404 Not Found`: not the connection-request path.
    NotFound,
}

/// Token bucket: `burst` requests at once, then one per `every`.
#[derive(Debug, Clone)]
pub struct RateLimit {
    /// Bucket size.
    pub burst: u32,
    /// Refill period of one token.
    pub every: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            burst: 5,
            every: Duration::from_secs(12),
        }
    }
}

/// Checks Connection Requests (see the module docs).
pub struct ConnReqAuth {
    username: String,
    password: String,
    path: String,
    realm: String,
    limit: RateLimit,
    tokens: f64,
    refilled: Option<Instant>,
    /// Nonces handed out: value, when, highest nonce count used.
    nonces: VecDeque<(String, Instant, u32)>,
    rng: u64,
    /// Annex G: the last accepted `ts`, and recent `id`s.
    udp_last_ts: i64,
    udp_ids: VecDeque<String>,
}

impl std::fmt::Debug for ConnReqAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnReqAuth")
            .field("username", &self.username)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// How long a nonce is honoured.
const NONCE_LIFE: Duration = Duration::from_secs(60);
/// Nonces remembered at most (older ones are forgotten first).
const MAX_NONCES: usize = 64;

impl ConnReqAuth {
    /// Requests to `path` must authenticate as `username`/`password`; `seed` makes nonces.
    pub fn new(
        username: &str,
        password: &str,
        path: &str,
        seed: [u8; 32],
        limit: RateLimit,
    ) -> Self {
        Self {
            username: username.to_string(),
            password: password.to_string(),
            path: path.to_string(),
            realm: "tipring-cpe".to_string(),
            tokens: f64::from(limit.burst),
            limit,
            refilled: None,
            nonces: VecDeque::new(),
            rng: u64::from_le_bytes(seed[8..16].try_into().expect("8 bytes")) | 1,
            udp_last_ts: 0,
            udp_ids: VecDeque::new(),
        }
    }

    fn next(&mut self) -> u64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn take_token(&mut self, now: Instant) -> bool {
        if let Some(t) = self.refilled {
            let gained = now.saturating_duration_since(t).as_secs_f64()
                / self.limit.every.as_secs_f64().max(1e-3);
            self.tokens = (self.tokens + gained).min(f64::from(self.limit.burst));
        }
        self.refilled = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn challenge(&mut self, now: Instant, stale: bool) -> Verdict {
        let nonce = format!("{:016x}{:016x}", self.next(), self.next());
        self.nonces.push_back((nonce.clone(), now, 0));
        while self.nonces.len() > MAX_NONCES {
            self.nonces.pop_front();
        }
        let values = [Algorithm::Sha256, Algorithm::Md5]
            .into_iter()
            .map(|alg| {
                let mut c = Challenge::new(&self.realm, &nonce, alg);
                c.qop = vec![Qop::Auth];
                c.stale = stale;
                c.to_string()
            })
            .collect();
        Verdict::Challenge(values)
    }

    /// Check one HTTP request: its method, its path (without the query) and its
    /// `Authorization` header.
    pub fn check(
        &mut self,
        now: Instant,
        method: &str,
        path: &str,
        authorization: Option<&str>,
    ) -> Verdict {
        if path != self.path {
            return Verdict::NotFound;
        }
        if method != "GET" {
            return Verdict::BadMethod;
        }
        self.nonces
            .retain(|(_, at, _)| now.saturating_duration_since(*at) < NONCE_LIFE);
        let Some(c) = authorization.and_then(|a| Credentials::parse(a).ok()) else {
            return self.challenge(now, false);
        };
        let known = self.nonces.iter().position(|(n, _, _)| *n == c.nonce);
        let Some(i) = known else {
            // An expired (or made-up) nonce: ask again, saying it was stale.
            return self.challenge(now, true);
        };
        let nc = c.nc.unwrap_or(0);
        let fresh = c.qop.is_some() && nc > self.nonces[i].2;
        let good = c.username == self.username
            && c.realm == self.realm
            && c.verify(&self.password, &Method::Other("GET".into()), b"");
        if !good || !fresh {
            // Wrong credentials, or a replayed nonce count.
            return self.challenge(now, false);
        }
        self.nonces[i].2 = nc;
        if !self.take_token(now) {
            return Verdict::TooMany;
        }
        Verdict::Accept
    }

    /// Check an Annex G UDP Connection Request datagram at Unix time `unix`.
    pub fn check_udp(&mut self, now: Instant, unix: i64, datagram: &[u8]) -> bool {
        let Some(q) = udp_query(datagram) else {
            return false;
        };
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let (Some(ts), Some(id), Some(un), Some(cn), Some(sig)) =
            (get("ts"), get("id"), get("un"), get("cn"), get("sig"))
        else {
            return false;
        };
        let Ok(ts_n) = ts.parse::<i64>() else {
            return false;
        };
        if un != self.username {
            return false;
        }
        // G.2.1.3: later than the last accepted one, and not far from the CPE's clock.
        if ts_n <= self.udp_last_ts || (ts_n - unix).abs() > 300 {
            return false;
        }
        if self.udp_ids.iter().any(|x| x == id) {
            return false;
        }
        let text = format!("{ts}{id}{un}{cn}");
        if !hmac_sha1_hex_eq(self.password.as_bytes(), text.as_bytes(), sig) {
            return false;
        }
        if !self.take_token(now) {
            return false;
        }
        self.udp_last_ts = ts_n;
        self.udp_ids.push_back(id.to_string());
        while self.udp_ids.len() > MAX_NONCES {
            self.udp_ids.pop_front();
        }
        true
    }
}

/// The query pairs of a UDP Connection Request's request line
/// (`GET http://host:port?ts=..&id=.. HTTP/1.1`).
fn udp_query(datagram: &[u8]) -> Option<Vec<(String, String)>> {
    if datagram.len() > 1500 {
        return None;
    }
    let text = std::str::from_utf8(datagram).ok()?;
    let line = text.lines().next()?;
    let mut parts = line.split(' ');
    if parts.next()? != "GET" {
        return None;
    }
    let uri = parts.next()?;
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let query = uri.split_once('?')?.1;
    Some(
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// Constant-time comparison of HMAC-SHA1(key, data) with a hex string.
fn hmac_sha1_hex_eq(key: &[u8], data: &[u8], hex: &str) -> bool {
    use hmac::{KeyInit as _, Mac as _};
    let Ok(mut mac) = hmac::Hmac::<sha1::Sha1>::new_from_slice(key) else {
        return false;
    };
    mac.update(data);
    let Some(expected) = decode_hex(hex) else {
        return false;
    };
    mac.verify_slice(&expected).is_ok()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 128 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// HMAC-SHA1 signature (hex) of an Annex G UDP Connection Request, for ACS-side tools
/// and tests.
pub fn udp_signature(password: &str, ts: &str, id: &str, un: &str, cn: &str) -> String {
    use hmac::{KeyInit as _, Mac as _};
    let mut mac =
        hmac::Hmac::<sha1::Sha1>::new_from_slice(password.as_bytes()).expect("any key length");
    mac.update(format!("{ts}{id}{un}{cn}").as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

//! Who may use the admin pages: the admin password (PBKDF2, never stored in clear), the
//! first-start password, lock-out after repeated failures, and sessions that expire.
//!
//! Everything here takes time as an argument (`Instant`), randomness from a
//! [`ring::rand::SecureRandom`]: the core is tested in virtual time.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use base64::Engine as _;
use ring::rand::SecureRandom;
use serde::{Deserialize, Serialize};

use crate::Error;

/// PBKDF2-HMAC-SHA256 iterations for a new hash (OWASP's 2023 floor is 600,000 for
/// SHA-256; a gateway's small CPU signs in rarely, so 210,000 — ~0.2 s on an ARM A7 —
/// with the count stored beside the hash so it can rise later).
pub const PBKDF2_ITERATIONS: u32 = 210_000;
const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;

/// Failed sign-ins from one address within [`LOCKOUT_WINDOW`] that lock it out.
pub const MAX_FAILURES: u32 = 5;
/// How far back failures count, and how long a lock-out lasts.
pub const LOCKOUT_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed sign-ins from all addresses together within [`LOCKOUT_WINDOW`] that lock
/// every address out (a distributed guess), for [`GLOBAL_LOCKOUT`].
pub const MAX_FAILURES_ALL: u32 = 50;
/// How long the all-addresses lock-out lasts.
pub const GLOBAL_LOCKOUT: Duration = Duration::from_secs(5 * 60);
/// A session unused this long ends.
pub const SESSION_IDLE: Duration = Duration::from_secs(15 * 60);
/// A session ends this long after sign-in, used or not.
pub const SESSION_MAX: Duration = Duration::from_secs(8 * 3600);
/// Sessions at once (the oldest ends when a new one would exceed it).
pub const MAX_SESSIONS: usize = 8;
/// Addresses whose failures are remembered (the oldest are forgotten beyond it).
const MAX_TRACKED: usize = 4096;

/// The stored admin credential (`admin.json` in the state directory, mode 0600).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    /// User name (`admin`).
    pub user: String,
    /// PBKDF2-HMAC-SHA256 iterations.
    pub iterations: u32,
    /// Salt, base64.
    pub salt: String,
    /// Derived key, base64.
    pub hash: String,
    /// Still the first-start password (the pages ask to change it).
    pub first_start: bool,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("user", &self.user)
            .field("iterations", &self.iterations)
            .field("first_start", &self.first_start)
            .finish_non_exhaustive()
    }
}

/// Alphabet of generated passwords: no 0/O, 1/l/I (read off a console by an installer).
const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

impl Credential {
    /// A credential for `password`.
    pub fn new(user: &str, password: &str, rng: &dyn SecureRandom) -> Result<Self, Error> {
        let mut salt = [0u8; SALT_LEN];
        rng.fill(&mut salt).map_err(|_| Error::Random)?;
        let hash = derive(password, &salt, PBKDF2_ITERATIONS);
        let b64 = base64::engine::general_purpose::STANDARD;
        Ok(Self {
            user: user.to_string(),
            iterations: PBKDF2_ITERATIONS,
            salt: b64.encode(salt),
            hash: b64.encode(hash),
            first_start: false,
        })
    }

    /// A random first-start password (4 groups of 5 from a 56-letter alphabet: ~116 bits)
    /// and its credential.
    pub fn first_start(user: &str, rng: &dyn SecureRandom) -> Result<(String, Self), Error> {
        let mut bytes = [0u8; 20];
        rng.fill(&mut bytes).map_err(|_| Error::Random)?;
        let mut password = String::with_capacity(23);
        for (i, b) in bytes.iter().enumerate() {
            if i > 0 && i % 5 == 0 {
                password.push('-');
            }
            // 256 is not a multiple of 56: the bias (< 2 %) costs well under a bit.
            password.push(char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]));
        }
        let mut c = Self::new(user, &password, rng)?;
        c.first_start = true;
        Ok((password, c))
    }

    /// Whether `user`/`password` match, in constant time for the password.
    pub fn verify(&self, user: &str, password: &str) -> bool {
        let b64 = base64::engine::general_purpose::STANDARD;
        let (Ok(salt), Ok(hash)) = (b64.decode(&self.salt), b64.decode(&self.hash)) else {
            return false;
        };
        let Some(iterations) = NonZeroU32::new(self.iterations) else {
            return false;
        };
        let ok = ring::pbkdf2::verify(
            ring::pbkdf2::PBKDF2_HMAC_SHA256,
            iterations,
            &salt,
            password.as_bytes(),
            &hash,
        )
        .is_ok();
        ok && user == self.user
    }
}

fn derive(password: &str, salt: &[u8], iterations: u32) -> [u8; HASH_LEN] {
    let mut out = [0u8; HASH_LEN];
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        NonZeroU32::new(iterations).expect("a constant above 0"),
        salt,
        password.as_bytes(),
        &mut out,
    );
    out
}

/// What a new password must be: 10 to 128 characters, not the user name, and not only
/// one kind of character (letters, digits, others).
pub fn check_new_password(user: &str, password: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < 10 {
        return Err("at least 10 characters");
    }
    if n > 128 {
        return Err("at most 128 characters");
    }
    if password.eq_ignore_ascii_case(user) {
        return Err("not the user name");
    }
    let kinds = [
        password.chars().any(char::is_alphabetic),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if kinds.iter().filter(|k| **k).count() < 2 {
        return Err("mix letters with digits or other characters");
    }
    Ok(())
}

/// Failed sign-ins per source address, and the lock-outs they cause.
#[derive(Debug, Default)]
pub struct Lockout {
    by_addr: HashMap<IpAddr, Failures>,
    all: Vec<Instant>,
    all_locked_until: Option<Instant>,
    /// Sign-ins refused because the address (or everyone) was locked out.
    pub refused_locked: u64,
    /// Failed sign-ins.
    pub failures: u64,
    /// Lock-outs started.
    pub lockouts: u64,
}

#[derive(Debug, Default)]
struct Failures {
    at: Vec<Instant>,
    locked_until: Option<Instant>,
}

impl Lockout {
    /// Until when `addr` may not try, if it is locked out now.
    pub fn locked(&self, addr: IpAddr, now: Instant) -> Option<Instant> {
        let own = self
            .by_addr
            .get(&addr)
            .and_then(|f| f.locked_until)
            .filter(|t| *t > now);
        let all = self.all_locked_until.filter(|t| *t > now);
        own.max(all)
    }

    /// A failed sign-in from `addr`; returns the lock-out it started, if any.
    pub fn failed(&mut self, addr: IpAddr, now: Instant) -> Option<Instant> {
        self.failures += 1;
        let from = now.checked_sub(LOCKOUT_WINDOW);
        let recent = |t: &Instant| from.is_none_or(|f| *t > f);
        self.all.retain(recent);
        self.all.push(now);
        if self.by_addr.len() >= MAX_TRACKED && !self.by_addr.contains_key(&addr) {
            // Forget the address whose last failure is oldest.
            if let Some(old) = self
                .by_addr
                .iter()
                .min_by_key(|(_, f)| f.at.last().copied())
                .map(|(a, _)| *a)
            {
                self.by_addr.remove(&old);
            }
        }
        let f = self.by_addr.entry(addr).or_default();
        f.at.retain(recent);
        f.at.push(now);
        let mut started = None;
        if f.at.len() as u32 >= MAX_FAILURES {
            f.locked_until = Some(now + LOCKOUT_WINDOW);
            f.at.clear();
            self.lockouts += 1;
            started = f.locked_until;
        }
        if self.all.len() as u32 >= MAX_FAILURES_ALL {
            self.all_locked_until = Some(now + GLOBAL_LOCKOUT);
            self.all.clear();
            self.lockouts += 1;
            started = started.max(self.all_locked_until);
        }
        started
    }

    /// A successful sign-in from `addr`: its failures are forgotten.
    pub fn succeeded(&mut self, addr: IpAddr) {
        self.by_addr.remove(&addr);
    }
}

/// One signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who.
    pub user: String,
    /// From where it signed in.
    pub addr: IpAddr,
    /// When.
    pub started: Instant,
    /// Last request.
    pub last_seen: Instant,
    /// The token every form of this session carries (against cross-site requests).
    pub csrf: String,
}

/// The sessions, by the token in their cookie.
#[derive(Debug, Default)]
pub struct Sessions {
    by_token: HashMap<String, Session>,
}

fn token(rng: &dyn SecureRandom) -> Result<String, Error> {
    let mut b = [0u8; 32];
    rng.fill(&mut b).map_err(|_| Error::Random)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

impl Sessions {
    /// A new session for `user` from `addr`: its cookie token.
    pub fn start(
        &mut self,
        user: &str,
        addr: IpAddr,
        now: Instant,
        rng: &dyn SecureRandom,
    ) -> Result<String, Error> {
        self.expire(now);
        if self.by_token.len() >= MAX_SESSIONS {
            if let Some(oldest) = self
                .by_token
                .iter()
                .min_by_key(|(_, s)| s.last_seen)
                .map(|(t, _)| t.clone())
            {
                self.by_token.remove(&oldest);
            }
        }
        let t = token(rng)?;
        self.by_token.insert(
            t.clone(),
            Session {
                user: user.to_string(),
                addr,
                started: now,
                last_seen: now,
                csrf: token(rng)?,
            },
        );
        Ok(t)
    }

    /// The live session of `token`, touched (its idle time starts again).
    pub fn touch(&mut self, token: &str, now: Instant) -> Option<&Session> {
        self.expire(now);
        let s = self.by_token.get_mut(token)?;
        s.last_seen = now;
        Some(s)
    }

    /// Whether `token` names a live session (without touching it).
    pub fn alive(&self, token: &str, now: Instant) -> bool {
        self.by_token.get(token).is_some_and(|s| {
            now.duration_since(s.last_seen) < SESSION_IDLE
                && now.duration_since(s.started) < SESSION_MAX
        })
    }

    /// End the session of `token`.
    pub fn end(&mut self, token: &str) {
        self.by_token.remove(token);
    }

    /// End every session but `token`'s (the password changed there).
    pub fn end_others(&mut self, token: &str) {
        self.by_token.retain(|t, _| t == token);
    }

    /// Sessions open now.
    pub fn len(&self) -> usize {
        self.by_token.len()
    }

    /// Whether none is open.
    pub fn is_empty(&self) -> bool {
        self.by_token.is_empty()
    }

    fn expire(&mut self, now: Instant) {
        self.by_token.retain(|_, s| {
            now.duration_since(s.last_seen) < SESSION_IDLE
                && now.duration_since(s.started) < SESSION_MAX
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;

    fn t0() -> Instant {
        #[allow(clippy::disallowed_methods)] // the test's epoch; virtual time from here
        Instant::now()
    }

    #[test]
    fn passwords_are_checked_against_the_hash_only() {
        let rng = SystemRandom::new();
        let (pw, c) = Credential::first_start("admin", &rng).unwrap();
        assert_eq!(pw.len(), 23);
        assert!(pw
            .chars()
            .all(|ch| ch == '-' || ALPHABET.contains(&(ch as u8))));
        assert!(c.first_start);
        assert!(c.verify("admin", &pw));
        assert!(!c.verify("admin", "wrong"));
        assert!(!c.verify("root", &pw));
        let (pw2, _) = Credential::first_start("admin", &rng).unwrap();
        assert_ne!(pw, pw2, "each device its own");
        let text = serde_json::to_string(&c).unwrap();
        assert!(!text.contains(&pw), "never stored in clear");
        assert!(!format!("{c:?}").contains(&c.hash), "Debug hides the hash");
    }

    #[test]
    fn new_passwords_must_be_reasonable() {
        assert!(check_new_password("admin", "short1").is_err());
        assert!(check_new_password("admin", "alllettersonly").is_err());
        assert!(check_new_password("admin", "0123456789").is_err());
        assert!(check_new_password("admin", "Admin").is_err());
        assert!(check_new_password("admin", "fax-room-2nd-floor").is_ok());
        assert!(check_new_password("admin", &"a1".repeat(65)).is_err());
    }

    #[test]
    fn five_failures_lock_an_address_out_for_fifteen_minutes() {
        let now = t0();
        let a: IpAddr = "192.0.2.7".parse().unwrap();
        let b: IpAddr = "192.0.2.8".parse().unwrap();
        let mut l = Lockout::default();
        for i in 0..4 {
            assert_eq!(l.failed(a, now + Duration::from_secs(i)), None);
        }
        assert!(l.locked(a, now + Duration::from_secs(5)).is_none());
        let until = l.failed(a, now + Duration::from_secs(5)).unwrap();
        assert!(l.locked(a, now + Duration::from_secs(6)).is_some());
        assert!(
            l.locked(b, now + Duration::from_secs(6)).is_none(),
            "others may try"
        );
        assert!(l.locked(a, until).is_none(), "over after the window");
        // Failures spread wider than the window never lock.
        let mut l = Lockout::default();
        for i in 0..10 {
            assert_eq!(l.failed(b, now + LOCKOUT_WINDOW * i / 2), None);
        }
        // A success forgets the address's failures.
        let mut l = Lockout::default();
        for _ in 0..4 {
            l.failed(a, now);
        }
        l.succeeded(a);
        assert_eq!(l.failed(a, now), None);
    }

    #[test]
    fn many_addresses_guessing_lock_everyone_out_for_a_while() {
        let now = t0();
        let mut l = Lockout::default();
        for i in 0..MAX_FAILURES_ALL {
            let addr = IpAddr::from([10, 0, (i / 250) as u8, (i % 250) as u8]);
            l.failed(addr, now);
        }
        let someone: IpAddr = "198.51.100.1".parse().unwrap();
        assert!(l.locked(someone, now).is_some());
        assert!(l.locked(someone, now + GLOBAL_LOCKOUT).is_none());
    }

    #[test]
    fn sessions_expire_when_idle_or_old() {
        let rng = SystemRandom::new();
        let now = t0();
        let a: IpAddr = "192.0.2.7".parse().unwrap();
        let mut s = Sessions::default();
        let t = s.start("admin", a, now, &rng).unwrap();
        assert!(s.touch(&t, now + SESSION_IDLE / 2).is_some());
        assert!(
            s.touch(&t, now + SESSION_IDLE).is_some(),
            "touched: idle again"
        );
        assert!(s
            .touch(&t, now + SESSION_IDLE * 2 + Duration::from_secs(1))
            .is_none());
        // Used all the time, it still ends after SESSION_MAX.
        let t = s.start("admin", a, now, &rng).unwrap();
        let mut at = now;
        while at < now + SESSION_MAX - SESSION_IDLE {
            at += SESSION_IDLE / 2;
            assert!(s.touch(&t, at).is_some());
        }
        assert!(s.touch(&t, now + SESSION_MAX).is_none());
        // At most MAX_SESSIONS: the least recently used goes.
        let mut s = Sessions::default();
        let first = s.start("admin", a, now, &rng).unwrap();
        for i in 1..=MAX_SESSIONS as u64 {
            s.start("admin", a, now + Duration::from_secs(i), &rng)
                .unwrap();
        }
        assert_eq!(s.len(), MAX_SESSIONS);
        assert!(s.touch(&first, now + Duration::from_secs(20)).is_none());
        assert!(s.touch("not-a-token", now).is_none());
    }
}

//! HTTP Digest authentication for SIP (RFC 3261 §22; RFC 2617; RFC 7616; RFC 8760).
//!
//! * Client: parse the [`Challenge`]s of a 401/407 ([`Headers::www_authenticate`],
//!   [`Headers::proxy_authenticate`]), pick one ([`choose`]), and answer it with
//!   [`Challenge::respond`], which gives the [`Credentials`] to write into
//!   `Authorization` / `Proxy-Authorization`. The client nonce and nonce count come from
//!   the caller (no randomness in here); the URI is the Request-URI exactly as sent.
//! * Server (the test registrar): parse the [`Credentials`] of a request and
//!   [`Credentials::verify`] them against the password (or a stored H(A1)), using the
//!   `uri` parameter as received — never a re-printed Request-URI.
//!
//! Algorithms: `MD5`, `MD5-sess`, `SHA-256`, `SHA-256-sess` (the token is `SHA-256`; the
//! non-standard `SHA256` is read but never written). qop: `auth`, `auth-int`, or none
//! (RFC 2069 compatibility). The nonce count is written as 8 hex digits.

use std::fmt;

use md5::Md5;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::headers::Headers;
use crate::method::Method;
use crate::text::{
    hex, is_token, is_token_byte, parse_quoted, split_top_level, trim_lws, write_quoted,
};

/// A digest algorithm (RFC 7616 §3.3, RFC 8760 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `MD5` (the default when a challenge names none).
    Md5,
    /// `MD5-sess`.
    Md5Sess,
    /// `SHA-256`.
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
}

impl Algorithm {
    /// Parse the token (case-insensitive; `SHA256` accepted as an alias).
    pub fn parse(s: &str) -> Result<Algorithm> {
        let u = s.to_ascii_uppercase();
        Ok(match u.as_str() {
            "MD5" => Algorithm::Md5,
            "MD5-SESS" => Algorithm::Md5Sess,
            "SHA-256" | "SHA256" => Algorithm::Sha256,
            "SHA-256-SESS" | "SHA256-SESS" => Algorithm::Sha256Sess,
            _ => return Err(Error::Digest(format!("unsupported algorithm {s:?}"))),
        })
    }

    /// The token as written.
    pub fn as_str(&self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
        }
    }

    /// True for the `-sess` variants.
    pub fn is_session(&self) -> bool {
        matches!(self, Algorithm::Md5Sess | Algorithm::Sha256Sess)
    }

    /// Strength rank for [`choose`]: SHA-256 before MD5 (RFC 8760 §2.4).
    fn rank(&self) -> u8 {
        match self {
            Algorithm::Sha256 | Algorithm::Sha256Sess => 2,
            Algorithm::Md5 | Algorithm::Md5Sess => 1,
        }
    }

    /// Lower-case hex digest of `data`.
    pub fn hash(&self, data: &[u8]) -> String {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => hex(&Md5::digest(data)),
            Algorithm::Sha256 | Algorithm::Sha256Sess => hex(&Sha256::digest(data)),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Quality of protection (RFC 2617 §3.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qop {
    /// `auth`.
    Auth,
    /// `auth-int` (the body is hashed into A2).
    AuthInt,
}

impl Qop {
    fn as_str(&self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
        }
    }

    fn parse(s: &str) -> Option<Qop> {
        if s.eq_ignore_ascii_case("auth") {
            Some(Qop::Auth)
        } else if s.eq_ignore_ascii_case("auth-int") {
            Some(Qop::AuthInt)
        } else {
            None
        }
    }
}

/// One auth-param: name, value (unquoted), whether it was quoted.
type AuthParam = (String, String, bool);

/// `scheme auth-param, auth-param, ...` split into the scheme and its parameters.
fn parse_auth_params(value: &str) -> Result<(String, Vec<AuthParam>)> {
    let v = trim_lws(value);
    let n = v.bytes().take_while(|&b| is_token_byte(b)).count();
    if n == 0 {
        return Err(Error::syntax("auth", "missing scheme"));
    }
    let scheme = v[..n].to_owned();
    let mut out = Vec::new();
    for item in split_top_level(&v[n..], b',') {
        if item.is_empty() {
            continue;
        }
        let (name, val) = item
            .split_once('=')
            .ok_or_else(|| Error::syntax("auth", format!("parameter without '=': {item:?}")))?;
        let name = trim_lws(name);
        if !is_token(name) {
            return Err(Error::syntax(
                "auth",
                format!("bad parameter name {name:?}"),
            ));
        }
        let val = trim_lws(val);
        if val.starts_with('"') {
            let (s, rest) = parse_quoted(val)?;
            if !trim_lws(rest).is_empty() {
                return Err(Error::syntax(
                    "auth",
                    format!("junk after quoted value of {name}"),
                ));
            }
            out.push((name.to_owned(), s, true));
        } else {
            if val.is_empty() || val.bytes().any(|b| b == b'"' || b == b' ') {
                return Err(Error::syntax("auth", format!("bad value for {name}")));
            }
            out.push((name.to_owned(), val.to_owned(), false));
        }
    }
    Ok((scheme, out))
}

fn get<'a>(params: &'a [AuthParam], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v, _)| v.as_str())
}

/// A Digest challenge from `WWW-Authenticate` or `Proxy-Authenticate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// `realm`.
    pub realm: String,
    /// `nonce`.
    pub nonce: String,
    /// `opaque`, returned verbatim.
    pub opaque: Option<String>,
    /// `stale=true`: the nonce expired but the credentials were right.
    pub stale: bool,
    /// `algorithm` (MD5 when absent).
    pub algorithm: Algorithm,
    /// The offered qop values (empty: RFC 2069 style, no qop).
    pub qop: Vec<Qop>,
    /// `domain`.
    pub domain: Option<String>,
}

impl Challenge {
    /// A challenge (for the test registrar), qop `auth`.
    pub fn new(realm: &str, nonce: &str, algorithm: Algorithm) -> Challenge {
        Challenge {
            realm: realm.to_owned(),
            nonce: nonce.to_owned(),
            opaque: None,
            stale: false,
            algorithm,
            qop: vec![Qop::Auth],
            domain: None,
        }
    }

    /// Parse a `Digest ...` challenge. Another scheme, an unknown algorithm or a missing
    /// realm/nonce is an error.
    pub fn parse(value: &str) -> Result<Challenge> {
        let (scheme, p) = parse_auth_params(value)?;
        if !scheme.eq_ignore_ascii_case("Digest") {
            return Err(Error::Digest(format!("unsupported scheme {scheme:?}")));
        }
        let realm =
            get(&p, "realm").ok_or_else(|| Error::Digest("challenge without realm".into()))?;
        let nonce =
            get(&p, "nonce").ok_or_else(|| Error::Digest("challenge without nonce".into()))?;
        let algorithm = get(&p, "algorithm")
            .map(Algorithm::parse)
            .transpose()?
            .unwrap_or(Algorithm::Md5);
        let qop = get(&p, "qop")
            .map(|q| {
                q.split(',')
                    .filter_map(|t| Qop::parse(trim_lws(t)))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Challenge {
            realm: realm.to_owned(),
            nonce: nonce.to_owned(),
            opaque: get(&p, "opaque").map(str::to_owned),
            stale: get(&p, "stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
            algorithm,
            qop,
            domain: get(&p, "domain").map(str::to_owned),
        })
    }

    /// Answer the challenge.
    ///
    /// `uri` is the Request-URI exactly as it goes on the wire; `body` is used for
    /// `auth-int`; `cnonce` is the caller's client nonce; `nc` counts the uses of this
    /// nonce (1 for the first). With qop offered, `auth` is preferred to `auth-int`.
    #[allow(clippy::too_many_arguments)]
    pub fn respond(
        &self,
        username: &str,
        password: &str,
        method: &Method,
        uri: &str,
        body: &[u8],
        cnonce: &str,
        nc: u32,
    ) -> Result<Credentials> {
        let qop = if self.qop.contains(&Qop::Auth) {
            Some(Qop::Auth)
        } else if self.qop.contains(&Qop::AuthInt) {
            Some(Qop::AuthInt)
        } else {
            None
        };
        let mut c = Credentials {
            username: username.to_owned(),
            realm: self.realm.clone(),
            nonce: self.nonce.clone(),
            uri: uri.to_owned(),
            response: String::new(),
            algorithm: Some(self.algorithm),
            cnonce: (qop.is_some() || self.algorithm.is_session()).then(|| cnonce.to_owned()),
            opaque: self.opaque.clone(),
            qop,
            nc: qop.map(|_| nc),
        };
        let ha1 = c.ha1(password);
        c.response = c.compute(&ha1, method, body)?;
        Ok(c)
    }
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Digest realm=")?;
        write_quoted(f, &self.realm)?;
        if let Some(d) = &self.domain {
            f.write_str(", domain=")?;
            write_quoted(f, d)?;
        }
        f.write_str(", nonce=")?;
        write_quoted(f, &self.nonce)?;
        if let Some(o) = &self.opaque {
            f.write_str(", opaque=")?;
            write_quoted(f, o)?;
        }
        if self.stale {
            f.write_str(", stale=true")?;
        }
        write!(f, ", algorithm={}", self.algorithm)?;
        if !self.qop.is_empty() {
            let q: Vec<&str> = self.qop.iter().map(Qop::as_str).collect();
            f.write_str(", qop=")?;
            write_quoted(f, &q.join(","))?;
        }
        Ok(())
    }
}

/// Pick the challenge to answer: the strongest supported algorithm (SHA-256 over MD5,
/// RFC 8760 §2.4), the first of equal strength.
pub fn choose(challenges: &[Challenge]) -> Option<&Challenge> {
    let mut best: Option<&Challenge> = None;
    for c in challenges {
        if best.is_none_or(|b| c.algorithm.rank() > b.algorithm.rank()) {
            best = Some(c);
        }
    }
    best
}

/// Digest credentials from `Authorization` or `Proxy-Authorization`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `username`.
    pub username: String,
    /// `realm`.
    pub realm: String,
    /// `nonce`.
    pub nonce: String,
    /// `uri`, exactly as the client sent it.
    pub uri: String,
    /// `response` (hex).
    pub response: String,
    /// `algorithm` (MD5 when absent).
    pub algorithm: Option<Algorithm>,
    /// `cnonce`.
    pub cnonce: Option<String>,
    /// `opaque`.
    pub opaque: Option<String>,
    /// `qop`.
    pub qop: Option<Qop>,
    /// `nc`, the nonce count.
    pub nc: Option<u32>,
}

impl Credentials {
    /// Parse `Digest username="...", ...`. Another scheme is an error (RFC 4475 §3.3.7).
    pub fn parse(value: &str) -> Result<Credentials> {
        let (scheme, p) = parse_auth_params(value)?;
        if !scheme.eq_ignore_ascii_case("Digest") {
            return Err(Error::Digest(format!("unsupported scheme {scheme:?}")));
        }
        let need = |n: &str| {
            get(&p, n)
                .map(str::to_owned)
                .ok_or_else(|| Error::Digest(format!("credentials without {n}")))
        };
        let nc = get(&p, "nc")
            .map(|s| {
                if s.len() == 8 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
                    u32::from_str_radix(s, 16).map_err(|_| Error::Digest(format!("bad nc {s:?}")))
                } else {
                    Err(Error::Digest(format!("nc {s:?} is not 8 hex digits")))
                }
            })
            .transpose()?;
        let qop = get(&p, "qop")
            .map(|q| Qop::parse(q).ok_or_else(|| Error::Digest(format!("unknown qop {q:?}"))))
            .transpose()?;
        Ok(Credentials {
            username: need("username")?,
            realm: need("realm")?,
            nonce: need("nonce")?,
            uri: need("uri")?,
            response: need("response")?,
            algorithm: get(&p, "algorithm").map(Algorithm::parse).transpose()?,
            cnonce: get(&p, "cnonce").map(str::to_owned),
            opaque: get(&p, "opaque").map(str::to_owned),
            qop,
            nc,
        })
    }

    fn alg(&self) -> Algorithm {
        self.algorithm.unwrap_or(Algorithm::Md5)
    }

    /// H(username:realm:password) — what a registrar may store instead of the password.
    pub fn ha1(&self, password: &str) -> String {
        self.alg()
            .hash(format!("{}:{}:{}", self.username, self.realm, password).as_bytes())
    }

    /// The response value for these credentials given H(A1) (RFC 2617 §3.2.2).
    fn compute(&self, ha1: &str, method: &Method, body: &[u8]) -> Result<String> {
        let alg = self.alg();
        let ha1 = if alg.is_session() {
            let cnonce = self
                .cnonce
                .as_deref()
                .ok_or_else(|| Error::Digest("-sess algorithm without cnonce".into()))?;
            alg.hash(format!("{ha1}:{}:{cnonce}", self.nonce).as_bytes())
        } else {
            ha1.to_owned()
        };
        let a2 = match self.qop {
            Some(Qop::AuthInt) => format!("{}:{}:{}", method, self.uri, alg.hash(body)),
            _ => format!("{}:{}", method, self.uri),
        };
        let ha2 = alg.hash(a2.as_bytes());
        Ok(match self.qop {
            Some(q) => {
                let cnonce = self
                    .cnonce
                    .as_deref()
                    .ok_or_else(|| Error::Digest("qop without cnonce".into()))?;
                let nc = self
                    .nc
                    .ok_or_else(|| Error::Digest("qop without nc".into()))?;
                alg.hash(
                    format!(
                        "{ha1}:{}:{nc:08x}:{cnonce}:{}:{ha2}",
                        self.nonce,
                        q.as_str()
                    )
                    .as_bytes(),
                )
            }
            None => alg.hash(format!("{ha1}:{}:{ha2}", self.nonce).as_bytes()),
        })
    }

    /// Server side: true when `response` is right for `password`, the request's method
    /// and body, and the `uri` parameter as received. (Checking realm, nonce freshness,
    /// nc replay and that `uri` names the Request-URI is the registrar's business.)
    pub fn verify(&self, password: &str, method: &Method, body: &[u8]) -> bool {
        self.verify_ha1(&self.ha1(password), method, body)
    }

    /// [`verify`](Self::verify) with a stored H(username:realm:password).
    pub fn verify_ha1(&self, ha1: &str, method: &Method, body: &[u8]) -> bool {
        match self.compute(ha1, method, body) {
            Ok(expected) => {
                let (a, b) = (expected.as_bytes(), self.response.to_ascii_lowercase());
                let b = b.as_bytes();
                a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
            }
            Err(_) => false,
        }
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Digest username=")?;
        write_quoted(f, &self.username)?;
        f.write_str(", realm=")?;
        write_quoted(f, &self.realm)?;
        f.write_str(", nonce=")?;
        write_quoted(f, &self.nonce)?;
        f.write_str(", uri=")?;
        write_quoted(f, &self.uri)?;
        f.write_str(", response=")?;
        write_quoted(f, &self.response)?;
        if let Some(a) = self.algorithm {
            write!(f, ", algorithm={a}")?;
        }
        if let Some(c) = &self.cnonce {
            f.write_str(", cnonce=")?;
            write_quoted(f, c)?;
        }
        if let Some(o) = &self.opaque {
            f.write_str(", opaque=")?;
            write_quoted(f, o)?;
        }
        if let Some(q) = self.qop {
            write!(f, ", qop={}", q.as_str())?;
        }
        if let Some(nc) = self.nc {
            write!(f, ", nc={nc:08x}")?;
        }
        Ok(())
    }
}

impl Headers {
    /// The Digest challenges of `WWW-Authenticate` fields (others skipped).
    pub fn www_authenticate(&self) -> Vec<Challenge> {
        self.get_all("WWW-Authenticate")
            .filter_map(|v| Challenge::parse(v).ok())
            .collect()
    }

    /// The Digest challenges of `Proxy-Authenticate` fields (others skipped).
    pub fn proxy_authenticate(&self) -> Vec<Challenge> {
        self.get_all("Proxy-Authenticate")
            .filter_map(|v| Challenge::parse(v).ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 2617 §3.5: the Mufasa example (MD5, qop=auth).
    #[test]
    fn rfc2617_3_5() {
        let ch = Challenge::parse(
            "Digest\r\n realm=\"testrealm@host.com\",\r\n qop=\"auth,auth-int\",\r\n nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        )
        .unwrap();
        assert_eq!(ch.qop, [Qop::Auth, Qop::AuthInt]);
        assert_eq!(ch.algorithm, Algorithm::Md5);
        let get = Method::Other("GET".into());
        let c = ch
            .respond(
                "Mufasa",
                "Circle Of Life",
                &get,
                "/dir/index.html",
                b"",
                "0a4f113b",
                1,
            )
            .unwrap();
        assert_eq!(c.response, "6629fae49393a05397450978507c4ef1");
        let text = c.to_string();
        assert!(text.contains("nc=00000001"), "{text}");
        let parsed = Credentials::parse(&text).unwrap();
        assert_eq!(parsed, c);
        assert!(parsed.verify("Circle Of Life", &get, b""));
        assert!(!parsed.verify("circle of life", &get, b""));
        // The RFC's own Authorization header verifies.
        let rfc = Credentials::parse(
            "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", qop=auth, nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        )
        .unwrap();
        assert!(rfc.verify("Circle Of Life", &get, b""));
    }

    // RFC 7616 §3.9.1: MD5 and SHA-256 responses for the same request.
    #[test]
    fn rfc7616_3_9_1() {
        let get = Method::Other("GET".into());
        let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
        for (alg, expected) in [
            ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
            (
                "SHA-256",
                "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
            ),
        ] {
            let ch = Challenge::parse(&format!(
                "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm={alg}, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
            ))
            .unwrap();
            let c = ch
                .respond(
                    "Mufasa",
                    "Circle of Life",
                    &get,
                    "/dir/index.html",
                    b"",
                    cnonce,
                    1,
                )
                .unwrap();
            assert_eq!(c.response, expected, "{alg}");
            assert!(c.to_string().contains(&format!("algorithm={alg}")));
            assert!(Credentials::parse(&c.to_string()).unwrap().verify(
                "Circle of Life",
                &get,
                b""
            ));
        }
        // SHA-256 is chosen over MD5.
        let md5 = Challenge::new("r", "n", Algorithm::Md5);
        let sha = Challenge::new("r", "n", Algorithm::Sha256);
        assert_eq!(choose(&[md5.clone(), sha.clone()]), Some(&sha));
        assert_eq!(choose(std::slice::from_ref(&md5)), Some(&md5));
        assert_eq!(choose(&[]), None);
    }

    // RFC 2617 §3.2.2.2 (-sess), §3.2.2.3 (auth-int), RFC 2069 (no qop); nc is hex.
    #[test]
    fn sess_authint_noqop_nc() {
        let inv = Method::Invite;
        let body = b"v=0\r\n";
        for alg in [
            Algorithm::Md5Sess,
            Algorithm::Sha256Sess,
            Algorithm::Md5,
            Algorithm::Sha256,
        ] {
            let mut ch = Challenge::new("pbx", "abc", alg);
            for qop in [vec![Qop::AuthInt], vec![], vec![Qop::Auth]] {
                ch.qop = qop;
                let c = ch
                    .respond(
                        "1001",
                        "pw",
                        &inv,
                        "sip:1002@pbx;transport=udp",
                        body,
                        "cn",
                        10,
                    )
                    .unwrap();
                let back = Credentials::parse(&c.to_string()).unwrap();
                assert_eq!(back, c);
                assert!(back.verify("pw", &inv, body), "{alg} {:?}", c.qop);
                if c.qop == Some(Qop::AuthInt) {
                    assert!(!back.verify("pw", &inv, b"v=1\r\n"));
                    assert!(c.to_string().contains("nc=0000000a"));
                }
                // The URI as received is what verifies, not a re-printed one.
                let mut other = back.clone();
                other.uri = "sip:1002@pbx".into();
                assert!(!other.verify("pw", &inv, body));
            }
        }
        // Hand-computed MD5-sess value (RFC 2617 §3.2.2.2 formula).
        let c = Credentials {
            username: "u".into(),
            realm: "r".into(),
            nonce: "n".into(),
            uri: "sip:x".into(),
            response: String::new(),
            algorithm: Some(Algorithm::Md5Sess),
            cnonce: Some("c".into()),
            opaque: None,
            qop: Some(Qop::Auth),
            nc: Some(1),
        };
        let a = Algorithm::Md5;
        let ha1 = a.hash(format!("{}:n:c", a.hash(b"u:r:p")).as_bytes());
        let ha2 = a.hash(b"REGISTER:sip:x");
        let want = a.hash(format!("{ha1}:n:00000001:c:auth:{ha2}").as_bytes());
        assert_eq!(
            c.compute(&c.ha1("p"), &Method::Register, b"").unwrap(),
            want
        );
    }

    #[test]
    fn parse_errors_and_headers() {
        assert!(Credentials::parse("NoOneKnowsThisScheme opaque-data=here").is_err());
        assert!(Credentials::parse("Digest username=\"a\", nc=10").is_err());
        assert!(Challenge::parse("Digest realm=\"r\"").is_err());
        assert!(Challenge::parse("Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512").is_err());
        assert_eq!(Algorithm::parse("sha256").unwrap(), Algorithm::Sha256);
        let mut h = Headers::new();
        h.push(
            "WWW-Authenticate",
            "Digest realm=\"asterisk\",nonce=\"1\",algorithm=SHA-256,qop=\"auth\"",
        );
        h.push(
            "WWW-Authenticate",
            "Digest realm=\"asterisk\",nonce=\"1\",algorithm=MD5,qop=\"auth\"",
        );
        h.push("WWW-Authenticate", "Basic realm=\"x\"");
        let chs = h.www_authenticate();
        assert_eq!(chs.len(), 2);
        assert_eq!(choose(&chs).unwrap().algorithm, Algorithm::Sha256);
        let ch = Challenge::new("r", "n", Algorithm::Sha256);
        assert_eq!(Challenge::parse(&ch.to_string()).unwrap(), ch);
    }
}

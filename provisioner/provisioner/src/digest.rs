//! HTTP Digest (RFC 7616, `qop=auth`, MD5 and SHA-256) and Basic: the ACS checks devices
//! with it, and answers devices' challenges when it sends connection requests.

use std::collections::BTreeMap;

/// The realm the ACS names in its challenges.
pub const REALM: &str = "tipring-acs";

/// Digest hash algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// MD5 (what most CPEs speak).
    Md5,
    /// SHA-256 (RFC 7616).
    Sha256,
}

impl Algorithm {
    fn name(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Sha256 => "SHA-256",
        }
    }

    /// Hex digest of `s`.
    pub fn hash(self, s: &str) -> String {
        use sha2::Digest as _;
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        match self {
            Self::Md5 => hex(&md5::Md5::digest(s.as_bytes())),
            Self::Sha256 => hex(&sha2::Sha256::digest(s.as_bytes())),
        }
    }
}

/// Parse `Digest k=v, k="v", ...` (or a WWW-Authenticate value) into its parameters,
/// keys lowercased. None when it is not Digest.
pub fn parse_params(header: &str) -> Option<BTreeMap<String, String>> {
    let rest = header.trim();
    let (scheme, rest) = rest.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("digest") {
        return None;
    }
    let mut out = BTreeMap::new();
    let mut s = rest.trim();
    while !s.is_empty() {
        let (k, after) = s.split_once('=')?;
        let k = k.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (v, next) = if let Some(q) = after.strip_prefix('"') {
            let mut val = String::new();
            let mut chars = q.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            val.push(n);
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => val.push(c),
                }
            }
            (val, &q[end?..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        out.insert(k, v);
        s = next.trim_start().trim_start_matches(',').trim_start();
    }
    Some(out)
}

/// A server challenge: `Digest realm=..., qop="auth", nonce=..., algorithm=...`.
pub fn challenge(nonce: &str, algorithm: Algorithm, stale: bool) -> String {
    format!(
        "Digest realm=\"{REALM}\", qop=\"auth\", nonce=\"{nonce}\", opaque=\"{}\", algorithm={}{}",
        Algorithm::Sha256.hash(nonce).get(..16).unwrap_or(""),
        algorithm.name(),
        if stale { ", stale=true" } else { "" }
    )
}

/// A device's Authorization header checked against its password: Ok(username) when the
/// response is right for `method` (and the nonce is one `nonce_ok` accepts).
pub fn verify(
    header: &str,
    method: &str,
    password: &str,
    nonce_ok: impl Fn(&str) -> bool,
) -> Result<String, &'static str> {
    let p = parse_params(header).ok_or("not a Digest Authorization")?;
    let get = |k: &str| {
        p.get(k)
            .map(String::as_str)
            .ok_or("a Digest field is missing")
    };
    let username = get("username")?;
    let nonce = get("nonce")?;
    let uri = get("uri")?;
    let response = get("response")?;
    if get("realm")? != REALM {
        return Err("wrong realm");
    }
    if !nonce_ok(nonce) {
        return Err("stale nonce");
    }
    let alg = match p.get("algorithm").map(|a| a.to_ascii_uppercase()) {
        None => Algorithm::Md5,
        Some(a) if a == "MD5" => Algorithm::Md5,
        Some(a) if a == "SHA-256" => Algorithm::Sha256,
        Some(_) => return Err("unsupported algorithm"),
    };
    let ha1 = alg.hash(&format!("{username}:{REALM}:{password}"));
    let ha2 = alg.hash(&format!("{method}:{uri}"));
    let expected = match p.get("qop").map(String::as_str) {
        Some("auth") => {
            let nc = get("nc")?;
            let cnonce = get("cnonce")?;
            alg.hash(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"))
        }
        None => alg.hash(&format!("{ha1}:{nonce}:{ha2}")),
        Some(_) => return Err("unsupported qop"),
    };
    if same(expected.as_bytes(), response.as_bytes()) {
        Ok(username.to_string())
    } else {
        Err("wrong digest response")
    }
}

/// Equal bytes, compared in time that does not depend on where they differ.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// `Basic` credentials: (username, password).
pub fn parse_basic(header: &str) -> Option<(String, String)> {
    use base64::Engine as _;
    let (scheme, b64) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (u, p) = s.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

/// The Authorization header answering a server's `WWW-Authenticate: Digest ...` (a
/// connection request to a CPE): None when the challenge is not one we can answer.
pub fn answer(
    www_authenticate: &str,
    method: &str,
    uri: &str,
    username: &str,
    password: &str,
    cnonce: &str,
) -> Option<String> {
    let p = parse_params(www_authenticate)?;
    let realm = p.get("realm")?;
    let nonce = p.get("nonce")?;
    let alg = match p.get("algorithm").map(|a| a.to_ascii_uppercase()) {
        None => Algorithm::Md5,
        Some(a) if a == "MD5" => Algorithm::Md5,
        Some(a) if a == "SHA-256" => Algorithm::Sha256,
        Some(_) => return None,
    };
    let qop_auth = p
        .get("qop")
        .is_some_and(|q| q.split(',').any(|x| x.trim() == "auth"));
    let ha1 = alg.hash(&format!("{username}:{realm}:{password}"));
    let ha2 = alg.hash(&format!("{method}:{uri}"));
    let nc = "00000001";
    let response = if qop_auth {
        alg.hash(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"))
    } else {
        alg.hash(&format!("{ha1}:{nonce}:{ha2}"))
    };
    let mut h = format!(
        "Digest username=\"{username}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", algorithm={}, response=\"{response}\"",
        alg.name()
    );
    if qop_auth {
        h.push_str(&format!(", qop=auth, nc={nc}, cnonce=\"{cnonce}\""));
    }
    if let Some(o) = p.get("opaque") {
        h.push_str(&format!(", opaque=\"{o}\""));
    }
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7616_3_9_1_md5_and_sha256_examples() {
        // RFC 7616 §3.9.1: Mufasa / "Circle of Life", realm http-auth@example.org.
        for (alg, want) in [
            (Algorithm::Md5, "8ca523f5e9506fed4657c9700eebdbec"),
            (
                Algorithm::Sha256,
                "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
            ),
        ] {
            let ha1 = alg.hash("Mufasa:http-auth@example.org:Circle of Life");
            let ha2 = alg.hash("GET:/dir/index.html");
            let r = alg.hash(&format!(
                "{ha1}:7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v:00000001:f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ:auth:{ha2}"
            ));
            assert_eq!(r, want, "{alg:?}");
        }
    }

    #[test]
    fn our_answer_verifies_and_a_wrong_password_does_not() {
        let ch = challenge("n0nce", Algorithm::Sha256, false);
        let h = answer(&ch, "POST", "/cwmp", "00D0C9-FXS4-S1", "pw", "c1").unwrap();
        assert_eq!(
            verify(&h, "POST", "pw", |n| n == "n0nce").unwrap(),
            "00D0C9-FXS4-S1"
        );
        assert!(verify(&h, "POST", "other", |_| true).is_err());
        assert!(verify(&h, "POST", "pw", |_| false).is_err());
        assert!(verify(&h, "GET", "pw", |_| true).is_err());
        assert!(verify("Basic Zm9vOmJhcg==", "POST", "pw", |_| true).is_err());
        assert_eq!(
            parse_basic("Basic Zm9vOmJhcg==").unwrap(),
            ("foo".to_string(), "bar".to_string())
        );
    }

    #[test]
    fn malformed_headers_are_refused_not_panicked_on() {
        for h in [
            "",
            "Digest",
            "Digest username=\"unterminated",
            "Digest =,=,=",
            "Digest realm",
            "Basic !!!",
        ] {
            let _ = parse_params(h);
            assert!(verify(h, "POST", "pw", |_| true).is_err());
            let _ = parse_basic(h);
        }
    }
}

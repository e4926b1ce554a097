//! A minimal hand-driven SIP client over UDP, for the scenarios no SIPp scenario plays the
//! other side of (a UA that retransmits, honours 423, answers a SHA-256 challenge), and
//! RFC 2617/7616 digest responses computed with coreutils' `md5sum`/`sha256sum`.
//!
//! It is test scaffolding with fixed message shapes, not a SIP implementation.

use std::io::Write as _;
use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A digest hash function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Md5,
    Sha256,
}

impl Hash {
    /// The `algorithm=` token (RFC 7616 3.3).
    pub fn token(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Sha256 => "SHA-256",
        }
    }

    /// Lowercase hex digest of `input`, computed by coreutils.
    pub fn hex(self, input: &str) -> String {
        let tool = match self {
            Self::Md5 => "md5sum",
            Self::Sha256 => "sha256sum",
        };
        let mut child = Command::new(tool)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `{tool}` ({e}): apt-get install coreutils"));
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{tool} failed");
        String::from_utf8(out.stdout)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }
}

/// The value of `name=` in a challenge or credentials header value (quoted or not).
pub fn auth_param(header: &str, name: &str) -> Option<String> {
    let mut rest = header;
    while let Some(i) = rest.find(name) {
        let before = rest[..i].chars().last();
        let after = &rest[i + name.len()..];
        let boundary = before.is_none_or(|c| c == ' ' || c == ',');
        if let (true, Some(value)) = (boundary, after.trim_start().strip_prefix('=')) {
            let value = value.trim_start();
            return Some(match value.strip_prefix('"') {
                Some(quoted) => quoted.split('"').next().unwrap_or_default().to_owned(),
                None => value
                    .split([',', ' '])
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
        rest = after;
    }
    None
}

/// Everything that goes into one digest response.
#[derive(Debug, Clone)]
pub struct Digest<'a> {
    pub hash: Hash,
    pub user: &'a str,
    pub realm: &'a str,
    pub password: &'a str,
    pub method: &'a str,
    pub uri: &'a str,
    pub nonce: &'a str,
    pub nc: &'a str,
    pub cnonce: &'a str,
    /// `Some("auth")` or `None` (RFC 2069 compatibility, no cnonce/nc).
    pub qop: Option<&'a str>,
}

impl Digest<'_> {
    /// The `response` value (RFC 7616 3.4.1; RFC 2617 3.2.2.1).
    pub fn response(&self) -> String {
        let h = |s: &str| self.hash.hex(s);
        let ha1 = h(&format!("{}:{}:{}", self.user, self.realm, self.password));
        let ha2 = h(&format!("{}:{}", self.method, self.uri));
        match self.qop {
            Some(qop) => h(&format!(
                "{ha1}:{}:{}:{}:{qop}:{ha2}",
                self.nonce, self.nc, self.cnonce
            )),
            None => h(&format!("{ha1}:{}:{ha2}", self.nonce)),
        }
    }

    /// The credentials (for an `Authorization:` or `Proxy-Authorization:` header).
    pub fn credentials(&self) -> String {
        let mut out = format!(
            "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{}\", algorithm={}",
            self.user,
            self.realm,
            self.nonce,
            self.uri,
            self.response(),
            self.hash.token()
        );
        if let Some(qop) = self.qop {
            out.push_str(&format!(
                ", qop={qop}, nc={}, cnonce=\"{}\"",
                self.nc, self.cnonce
            ));
        }
        out
    }
}

/// A SIP response as received.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub text: String,
}

impl Response {
    /// The value of the first header `name` (case-insensitive), trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.text
            .split("\r\n")
            .skip(1)
            .take_while(|l| !l.is_empty())
            .find_map(|line| {
                let (n, v) = line.split_once(':')?;
                n.trim().eq_ignore_ascii_case(name).then_some(v.trim())
            })
    }
}

/// One UDP socket on 127.0.0.1 talking to one peer, with one Call-ID and From tag.
#[derive(Debug)]
pub struct RawUa {
    socket: UdpSocket,
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub call_id: String,
    pub tag: String,
}

impl RawUa {
    pub fn new(remote: SocketAddr) -> Self {
        static SEQ: AtomicU64 = AtomicU64::new(1);
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let local = socket.local_addr().unwrap();
        let pid = std::process::id();
        Self {
            socket,
            local,
            remote,
            call_id: format!("raw-{pid}-{seq}@127.0.0.1"),
            tag: format!("raw{pid}t{seq}"),
        }
    }

    /// A request with the usual header fields (RFC 3261 8.1.1); `to` is the To URI,
    /// `extra` more header lines (each ending in CRLF).
    pub fn request(&self, method: &str, ruri: &str, to: &str, cseq: u32, extra: &str) -> String {
        self.request_in(&self.branch(method, cseq), method, ruri, to, cseq, extra)
    }

    /// The Via branch of this UA's `method` request number `cseq`.
    fn branch(&self, method: &str, cseq: u32) -> String {
        format!("z9hG4bK-{}-{cseq}-{method}", self.tag)
    }

    /// The ACK for a non-2xx final `response` to the INVITE `cseq`: same branch as the
    /// INVITE, the response's To (with its tag), CSeq method ACK (RFC 3261 17.1.1.3).
    pub fn ack_non_2xx(&self, ruri: &str, cseq: u32, response: &Response) -> String {
        let to = response.header("To").expect("a response without To");
        self.request_in(&self.branch("INVITE", cseq), "ACK", ruri, ruri, cseq, "")
            .replace(&format!("To: <{ruri}>\r\n"), &format!("To: {to}\r\n"))
    }

    fn request_in(
        &self,
        branch: &str,
        method: &str,
        ruri: &str,
        to: &str,
        cseq: u32,
        extra: &str,
    ) -> String {
        format!(
            "{method} {ruri} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {local};branch={branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <{to}>;tag={tag}\r\n\
             To: <{to}>\r\n\
             Call-ID: {call_id}\r\n\
             CSeq: {cseq} {method}\r\n\
             {extra}\
             Content-Length: 0\r\n\r\n",
            local = self.local,
            tag = self.tag,
            call_id = self.call_id,
        )
    }

    /// A REGISTER of `user`@`domain` for `expires` seconds, Contact at this socket.
    pub fn register(
        &self,
        user: &str,
        domain: &str,
        cseq: u32,
        expires: u32,
        extra: &str,
    ) -> String {
        let contact = format!(
            "Contact: <sip:{user}@{}>\r\nExpires: {expires}\r\n",
            self.local
        );
        self.request(
            "REGISTER",
            &format!("sip:{domain}"),
            &format!("sip:{user}@{domain}"),
            cseq,
            &format!("{contact}{extra}"),
        )
    }

    pub fn send(&self, message: &str) {
        self.socket
            .send_to(message.as_bytes(), self.remote)
            .unwrap();
    }

    /// The next message within `timeout`, or `None`.
    pub fn recv(&self, timeout: Duration) -> Option<Response> {
        self.socket.set_read_timeout(Some(timeout)).unwrap();
        let mut buf = vec![0u8; 65536];
        let (n, _) = self.socket.recv_from(&mut buf).ok()?;
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        let status = text
            .strip_prefix("SIP/2.0 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        Some(Response { status, text })
    }

    /// The next final (non-1xx) response within `timeout`, or a panic naming `what`.
    pub fn final_response(&self, timeout: Duration, what: &str) -> Response {
        loop {
            let response = self
                .recv(timeout)
                .unwrap_or_else(|| panic!("no answer to {what} within {timeout:?}"));
            if response.status >= 200 {
                return response;
            }
        }
    }
}

#[test]
fn digest_matches_the_rfc_7616_example() {
    // RFC 7616 3.9.1: the MD5 and SHA-256 responses of its worked example
    let mut digest = Digest {
        hash: Hash::Md5,
        user: "Mufasa",
        realm: "http-auth@example.org",
        password: "Circle of Life",
        method: "GET",
        uri: "/dir/index.html",
        nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        nc: "00000001",
        cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        qop: Some("auth"),
    };
    assert_eq!(digest.response(), "8ca523f5e9506fed4657c9700eebdbec");
    digest.hash = Hash::Sha256;
    assert_eq!(
        digest.response(),
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
    );
}

#[test]
fn auth_params_are_read_quoted_or_not() {
    let h =
        r#"Digest realm="tipring.test", nonce="a,b=c", qop="auth", algorithm=SHA-256, stale=false"#;
    assert_eq!(auth_param(h, "realm").as_deref(), Some("tipring.test"));
    assert_eq!(auth_param(h, "nonce").as_deref(), Some("a,b=c"));
    assert_eq!(auth_param(h, "algorithm").as_deref(), Some("SHA-256"));
    assert_eq!(auth_param(h, "stale").as_deref(), Some("false"));
    assert_eq!(auth_param(h, "opaque"), None);
    // "nonce" inside "cnonce" is not the nonce
    assert_eq!(
        auth_param(r#"Digest cnonce="x", nonce="y""#, "nonce").as_deref(),
        Some("y")
    );
}

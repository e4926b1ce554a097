//! The CWMP session's HTTP side against a scripted ACS on loopback: digest and basic
//! authentication, cookies kept for the session, a connection the ACS closes between two
//! POSTs, wrong credentials, a slow ACS, an oversized answer, and HTTPS with a CA.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tipring_agent::acs_http::{AcsUrl, ClientSettings, HttpSession};
use tipring_sip_message::auth::{Algorithm, Challenge, Credentials};
use tipring_sip_message::Method;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};

/// One request as the scripted ACS saw it.
#[derive(Debug, Clone)]
struct Seen {
    headers: Vec<(String, String)>,
    body: String,
    connection: usize,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Script = Arc<dyn Fn(&Seen, usize) -> String + Send + Sync>;

/// A scripted ACS: `answer(request, index)` returns the whole HTTP response text.
async fn acs(answer: Script) -> (std::net::SocketAddr, Arc<Mutex<Vec<Seen>>>) {
    acs_on(answer, None).await
}

/// [`acs`], over TLS when `tls` is given.
async fn acs_on(
    answer: Script,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> (std::net::SocketAddr, Arc<Mutex<Vec<Seen>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        let mut connection = 0;
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            connection += 1;
            let (answer, log) = (Arc::clone(&answer), Arc::clone(&log));
            let tls = tls.clone();
            tokio::spawn(async move {
                match tls {
                    Some(acceptor) => {
                        if let Ok(s) = acceptor.accept(stream).await {
                            serve(s, connection, answer, log).await;
                        }
                    }
                    None => serve(stream, connection, answer, log).await,
                }
            });
        }
    });
    (addr, seen)
}

/// Answer the requests of one connection.
async fn serve<S>(stream: S, connection: usize, answer: Script, log: Arc<Mutex<Vec<Seen>>>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (r, mut w) = tokio::io::split(stream);
    let mut r = BufReader::new(r);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            r.read_line(&mut h).await.unwrap();
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (n, v) = h.split_once(':').unwrap();
            headers.push((n.trim().to_string(), v.trim().to_string()));
        }
        let len: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map_or(0, |(_, v)| v.parse().unwrap());
        let mut body = vec![0; len];
        r.read_exact(&mut body).await.unwrap();
        let req = Seen {
            headers,
            body: String::from_utf8(body).unwrap(),
            connection,
        };
        let n = {
            let mut l = log.lock().unwrap();
            l.push(req.clone());
            l.len() - 1
        };
        let text = answer(&req, n);
        w.write_all(text.as_bytes()).await.unwrap();
        w.flush().await.unwrap();
        if text.contains("Connection: close") {
            let _ = w.shutdown().await;
            return;
        }
    }
}

fn response(status: &str, extra: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\n{extra}\r\n{body}",
        body.len()
    )
}

fn settings(addr: std::net::SocketAddr, user: &str, pw: &str) -> ClientSettings {
    let mut s = ClientSettings::new(user, pw);
    s.connect_to = Some(addr);
    s.timeout = Duration::from_secs(3);
    s
}

fn url(addr: std::net::SocketAddr) -> AcsUrl {
    format!("http://{addr}/cwmp").parse().unwrap()
}

/// The digest check an ACS does (RFC 7616 §3.4), with a fixed nonce.
fn digest_ok(req: &Seen, password: &str) -> bool {
    req.header("Authorization")
        .and_then(|a| Credentials::parse(a).ok())
        .is_some_and(|c| c.verify(password, &Method::Other("POST".into()), b""))
}

#[tokio::test]
async fn digest_then_cookie_for_the_whole_session() {
    let mut ch = Challenge::new("acs", "n-1", Algorithm::Md5);
    ch.qop = vec![tipring_sip_message::auth::Qop::Auth];
    let challenge = ch.to_string();
    let (addr, seen) = acs(Arc::new(move |req, n| {
        if !digest_ok(req, "s3cret") {
            return response(
                "401 Unauthorized",
                &format!("WWW-Authenticate: {challenge}\r\n"),
                "",
            );
        }
        match n {
            1 => response(
                "200 OK",
                "Set-Cookie: session=abc; Path=/\r\nContent-Type: text/xml\r\n",
                "<InformResponse/>",
            ),
            2 => response("200 OK", "", "<GetParameterValues/>"),
            _ => response("204 No Content", "", ""),
        }
    }))
    .await;
    let mut s = HttpSession::new(url(addr), settings(addr, "cpe", "s3cret"), [1; 32]);
    let r = s.post(b"<Inform/>").await.unwrap();
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, &b"<InformResponse/>"[..])
    );
    let r = s.post(b"").await.unwrap();
    assert_eq!(r.body, b"<GetParameterValues/>");
    let r = s.post(b"<GetParameterValuesResponse/>").await.unwrap();
    assert_eq!(r.status, 204);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 4, "one challenge, then three authorised POSTs");
    assert!(seen[0].header("Authorization").is_none());
    // The digest goes pre-emptively after the challenge, with a rising nonce count.
    let ncs: Vec<u32> = seen[1..]
        .iter()
        .map(|r| {
            Credentials::parse(r.header("Authorization").unwrap())
                .unwrap()
                .nc
                .unwrap()
        })
        .collect();
    assert_eq!(ncs, [1, 2, 3]);
    assert_eq!(seen[2].header("Cookie"), Some("session=abc"));
    assert_eq!(seen[3].header("Cookie"), Some("session=abc"));
    // TR-069 §3.4.1: the empty POST has no body and no Content-Type.
    assert_eq!(seen[2].body, "");
    assert!(seen[2].header("Content-Type").is_none());
    assert!(seen[1]
        .header("Content-Type")
        .unwrap()
        .starts_with("text/xml"));
    assert!(seen.iter().all(|r| r.connection == 1), "one connection");
}

#[tokio::test]
async fn wrong_password_is_reported_not_retried_forever() {
    let challenge = Challenge::new("acs", "n-1", Algorithm::Md5).to_string();
    let (addr, seen) = acs(Arc::new(move |_, _| {
        response(
            "401 Unauthorized",
            &format!("WWW-Authenticate: {challenge}\r\n"),
            "",
        )
    }))
    .await;
    let mut s = HttpSession::new(url(addr), settings(addr, "cpe", "wrong"), [2; 32]);
    let r = s.post(b"<Inform/>").await.unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(
        seen.lock().unwrap().len(),
        2,
        "asked, answered once, stopped"
    );
}

#[tokio::test]
async fn basic_only_over_tls_unless_allowed() {
    let (addr, seen) = acs(Arc::new(|req, _| {
        // "cpe:pw" in base64
        if req.header("Authorization") == Some("Basic Y3BlOnB3") {
            response("204 No Content", "", "")
        } else {
            response(
                "401 Unauthorized",
                "WWW-Authenticate: Basic realm=\"acs\"\r\n",
                "",
            )
        }
    }))
    .await;
    let mut s = HttpSession::new(url(addr), settings(addr, "cpe", "pw"), [3; 32]);
    let err = s.post(b"<Inform/>").await.unwrap_err();
    assert!(err.to_string().contains("Basic"), "{err}");
    let mut allowed = settings(addr, "cpe", "pw");
    allowed.basic_over_http = true;
    let mut s = HttpSession::new(url(addr), allowed, [3; 32]);
    assert_eq!(s.post(b"<Inform/>").await.unwrap().status, 204);
    assert_eq!(seen.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn a_connection_closed_by_the_acs_is_reopened_with_the_cookie() {
    let (addr, seen) = acs(Arc::new(|_, n| match n {
        0 => response(
            "200 OK",
            "Set-Cookie: id=7\r\nConnection: close\r\n",
            "<InformResponse/>",
        ),
        _ => response("204 No Content", "", ""),
    }))
    .await;
    let mut s = HttpSession::new(url(addr), settings(addr, "", ""), [4; 32]);
    assert_eq!(s.post(b"<Inform/>").await.unwrap().status, 200);
    assert_eq!(s.post(b"").await.unwrap().status, 204);
    let seen = seen.lock().unwrap();
    assert_eq!(seen[1].connection, 2);
    assert_eq!(seen[1].header("Cookie"), Some("id=7"));
}

#[tokio::test]
async fn a_silent_acs_times_out_and_a_huge_answer_is_refused() {
    // An ACS that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut keep = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            keep.push(s);
        }
    });
    let mut quick = settings(silent, "", "");
    quick.timeout = Duration::from_millis(300);
    let mut s = HttpSession::new(url(silent), quick, [5; 32]);
    let err = s.post(b"<Inform/>").await.unwrap_err();
    assert!(err.to_string().contains("did not answer"), "{err}");
    // 5 MiB of body: over the bound.
    let (addr, _) = acs(Arc::new(|_, _| {
        response("200 OK", "", &"x".repeat(5 << 20))
    }))
    .await;
    let mut s = HttpSession::new(url(addr), settings(addr, "", ""), [6; 32]);
    let err = s.post(b"<Inform/>").await.unwrap_err();
    assert!(err.to_string().contains("larger than"), "{err}");
}

/// A CA and an ACS certificate for `acs.tipring.test` signed by it.
fn pki() -> (String, tokio_rustls::TlsAcceptor) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "test ACS CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["acs.tipring.test".to_string()])
        .unwrap()
        .signed_by(&key, &ca_cert, &ca_key)
        .unwrap();
    let id = tipring_sip_transport::Identity::from_pem(
        leaf.pem().as_bytes(),
        key.serialize_pem().as_bytes(),
    )
    .unwrap();
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(id.cert_chain, id.key)
    .unwrap();
    (
        ca_cert.pem(),
        tokio_rustls::TlsAcceptor::from(Arc::new(server)),
    )
}

#[tokio::test]
async fn https_verifies_the_acs_against_the_configured_ca() {
    let (ca_pem, acceptor) = pki();
    let (addr, seen) = acs_on(
        Arc::new(|_, _| response("204 No Content", "", "")),
        Some(acceptor),
    )
    .await;
    let url: AcsUrl = format!("https://acs.tipring.test:{}/cwmp", addr.port())
        .parse()
        .unwrap();
    let mut good = settings(addr, "", "");
    good.tls = Some(tipring_agent::acs_http::tls_config(ca_pem.as_bytes(), None).unwrap());
    let mut s = HttpSession::new(url.clone(), good, [8; 32]);
    assert_eq!(s.post(b"<Inform/>").await.unwrap().status, 204);
    assert_eq!(seen.lock().unwrap().len(), 1);
    // Another CA: the handshake fails and nothing is sent.
    let (other_ca, _) = pki();
    let mut bad = settings(addr, "", "");
    bad.tls = Some(tipring_agent::acs_http::tls_config(other_ca.as_bytes(), None).unwrap());
    let mut s = HttpSession::new(url, bad, [9; 32]);
    let err = s.post(b"<Inform/>").await.unwrap_err();
    assert!(format!("{err:#}").contains("TLS"), "{err:#}");
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn acs_urls() {
    let u: AcsUrl = "https://acs.example.net/cwmp?x=1".parse().unwrap();
    assert_eq!(
        (u.tls, u.host.as_str(), u.port, u.path.as_str()),
        (true, "acs.example.net", 443, "/cwmp?x=1")
    );
    let u: AcsUrl = "http://[::1]:7547".parse().unwrap();
    assert_eq!(
        (u.host.as_str(), u.port, u.path.as_str()),
        ("::1", 7547, "/")
    );
    assert_eq!(u.authority(), "[::1]:7547");
    for bad in [
        "ftp://x/",
        "http://user:pw@acs/",
        "http://:80/",
        "http://acs:x/",
        "http://[::1/",
    ] {
        assert!(bad.parse::<AcsUrl>().is_err(), "{bad}");
    }
}

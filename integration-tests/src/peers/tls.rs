//! TLS for the peers: a throwaway certificate authority per test run, and an OPTIONS
//! probe over TLS that verifies the server like a SIP UA does (RFC 3261 26.2.1, RFC 5922).

use std::fmt;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};

use crate::{Error, Result};

/// The name in the certificate of every TLS-enabled [`super::Kamailio`] (besides its IP
/// address 127.0.0.1): what a client must expect to accept it.
pub const KAMAILIO_TLS_NAME: &str = "kamailio.test";

/// The longest SIP response [`options_ping_tls`] reads.
const MAX_RESPONSE: usize = 16 * 1024;

fn tls_error(what: &str, e: impl fmt::Display) -> Error {
    Error::Tls(format!("{what}: {e}"))
}

/// A certificate authority made for one test run (ECDSA P-256, by `rcgen`): it signs the
/// certificates of the peers, and a test hands its PEM to the client that must trust them.
///
/// A second `TestCa` is a stranger: certificates of the first do not chain to it.
///
/// ```
/// use tipring_integration_tests::peers::TestCa;
///
/// # fn main() -> tipring_integration_tests::Result<()> {
/// let ca = TestCa::new("Tipring test CA")?;
/// let server = ca.issue_server(&["kamailio.test", "127.0.0.1"])?;
/// assert!(ca.pem().starts_with("-----BEGIN CERTIFICATE-----"));
/// assert!(server.key_pem.contains("PRIVATE KEY"));
/// # Ok(())
/// # }
/// ```
pub struct TestCa {
    name: String,
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl fmt::Debug for TestCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCa")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A certificate issued by a [`TestCa`], and its private key, both PEM.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedCert {
    /// The end-entity certificate (one `CERTIFICATE` block).
    pub cert_pem: String,
    /// Its private key (a PKCS#8 `PRIVATE KEY` block).
    pub key_pem: String,
}

impl fmt::Debug for IssuedCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // the key stays out of logs even though it is a throwaway
        f.debug_struct("IssuedCert")
            .field("cert_pem", &self.cert_pem)
            .finish_non_exhaustive()
    }
}

impl TestCa {
    /// A new self-signed CA certificate with `common_name` as its subject CN, allowed to
    /// sign certificates (basicConstraints cA, keyCertSign; RFC 5280 4.2.1.9, 4.2.1.3).
    pub fn new(common_name: &str) -> Result<Self> {
        let key = KeyPair::generate().map_err(|e| tls_error("generating a CA key", e))?;
        let mut params = CertificateParams::new(Vec::<String>::new())
            .map_err(|e| tls_error("CA parameters", e))?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params
            .self_signed(&key)
            .map_err(|e| tls_error("self-signing the CA", e))?;
        Ok(Self {
            name: common_name.to_owned(),
            cert,
            key,
        })
    }

    /// The CA certificate, PEM: the trust anchor a client is given.
    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// A server certificate for `names` (DNS names or IP addresses, each a subjectAltName,
    /// which is what RFC 5922 7.1 has a SIP client match), signed by this CA, with
    /// extendedKeyUsage serverAuth and a fresh key.
    pub fn issue_server(&self, names: &[&str]) -> Result<IssuedCert> {
        let key = KeyPair::generate().map_err(|e| tls_error("generating a server key", e))?;
        let sans: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params =
            CertificateParams::new(sans).map_err(|e| tls_error("server parameters", e))?;
        if let Some(first) = names.first() {
            params.distinguished_name.push(DnType::CommonName, *first);
        }
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .map_err(|e| tls_error("signing the server certificate", e))?;
        Ok(IssuedCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

/// A rustls client that trusts only the certificates in `ca_pem` (no system store), on
/// the `ring` provider.
fn client_config(ca_pem: &[u8]) -> Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        let cert = cert.map_err(|e| tls_error("reading the CA PEM", e))?;
        roots
            .add(cert)
            .map_err(|e| tls_error("adding a CA certificate", e))?;
    }
    if roots.is_empty() {
        return Err(Error::Tls("the CA PEM holds no certificate".into()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("TLS versions", e))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Connects to `addr` over TLS, verifying its certificate against the CAs in `ca_pem`
/// and the name `server_name` (a DNS name or an IP address), sends one SIP OPTIONS
/// (`Via: SIP/2.0/TLS`) and returns the status line of the response (e.g. `SIP/2.0 200 OK`).
///
/// A refused handshake (unknown issuer, wrong name) is an [`Error::Io`] whose source is
/// rustls' error; silence for `timeout` is an [`Error::Io`] of kind `WouldBlock` or
/// `TimedOut`.
pub fn options_ping_tls(
    addr: SocketAddr,
    ca_pem: &[u8],
    server_name: &str,
    timeout: Duration,
) -> Result<String> {
    let config = client_config(ca_pem)?;
    let name = ServerName::try_from(server_name.to_owned())
        .map_err(|e| Error::InvalidConfig(format!("TLS server name {server_name:?}: {e}")))?;
    let connection = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| tls_error("starting a TLS client", e))?;
    let timeout = timeout.max(Duration::from_millis(1));
    let tcp = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| Error::io(format!("connecting to {addr} (TLS)"), e))?;
    for set in [TcpStream::set_read_timeout, TcpStream::set_write_timeout] {
        set(&tcp, Some(timeout)).map_err(|e| Error::io("setting the probe's timeout", e))?;
    }
    let local = tcp
        .local_addr()
        .map_err(|e| Error::io("reading the probe's address", e))?;
    let request = super::options_request(addr, local, "TLS", ";transport=tls");
    let mut stream = rustls::StreamOwned::new(connection, tcp);
    // the first write drives the handshake, so a refused certificate fails here
    stream
        .write_all(request.as_bytes())
        .and_then(|()| stream.flush())
        .map_err(|e| Error::io(format!("TLS handshake and OPTIONS to {addr}"), e))?;
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    while !response.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream
            .read(&mut buf)
            .map_err(|e| Error::io(format!("waiting for an answer to OPTIONS from {addr}"), e))?;
        if n == 0 || response.len() > MAX_RESPONSE {
            return Err(Error::io(
                format!("reading the answer to OPTIONS from {addr}"),
                std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!(
                        "connection closed or answer too long after {} bytes",
                        response.len()
                    ),
                ),
            ));
        }
        response.extend_from_slice(&buf[..n]);
    }
    stream.conn.send_close_notify();
    let _ = stream.flush();
    let text = String::from_utf8_lossy(&response);
    Ok(text.lines().next().unwrap_or_default().trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A one-shot TLS SIP server with `identity`, answering one request with 200.
    fn one_shot_server(identity: &IssuedCert) -> (SocketAddr, std::thread::JoinHandle<String>) {
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(identity.cert_pem.as_bytes())
                .collect::<std::result::Result<_, _>>()
                .unwrap();
        let key =
            rustls::pki_types::PrivateKeyDer::from_pem_slice(identity.key_pem.as_bytes()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let thread = std::thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut request = Vec::new();
            let mut buf = [0u8; 2048];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut buf) {
                    Ok(0) | Err(_) => return String::from_utf8_lossy(&request).into_owned(),
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            tls.write_all(b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            tls.flush().unwrap();
            String::from_utf8_lossy(&request).into_owned()
        });
        (addr, thread)
    }

    #[test]
    fn a_server_certificate_chains_to_its_ca_by_name_and_address() {
        // RFC 5922 7.1-7.3: the client matches the name it expects against the
        // certificate's subjectAltNames, DNS name or IP address alike
        let ca = TestCa::new("Tipring unit CA").unwrap();
        let identity = ca.issue_server(&[KAMAILIO_TLS_NAME, "127.0.0.1"]).unwrap();
        for name in [KAMAILIO_TLS_NAME, "127.0.0.1"] {
            let (addr, server) = one_shot_server(&identity);
            let status =
                options_ping_tls(addr, ca.pem().as_bytes(), name, Duration::from_secs(5)).unwrap();
            assert_eq!(status, "SIP/2.0 200 OK");
            let request = server.join().unwrap();
            // RFC 3261 18.1.1 / 20.42: the Via names the transport the request went over
            assert!(request.contains("Via: SIP/2.0/TLS 127.0.0.1:"), "{request}");
            assert!(
                request.starts_with(&format!("OPTIONS sip:{addr};transport=tls SIP/2.0\r\n")),
                "{request}"
            );
        }
    }

    #[test]
    fn a_wrong_name_or_a_stranger_ca_refuses_the_handshake() {
        let ca = TestCa::new("Tipring unit CA").unwrap();
        let stranger = TestCa::new("Stranger CA").unwrap();
        let identity = ca.issue_server(&[KAMAILIO_TLS_NAME, "127.0.0.1"]).unwrap();
        for (trust, name) in [
            (stranger.pem(), KAMAILIO_TLS_NAME),
            (ca.pem(), "other.test"),
        ] {
            let (addr, server) = one_shot_server(&identity);
            let err =
                options_ping_tls(addr, trust.as_bytes(), name, Duration::from_secs(5)).unwrap_err();
            assert!(matches!(err, Error::Io { .. }), "{err}");
            assert!(err.to_string().contains("TLS handshake"), "{err}");
            // the server never saw a request
            assert_eq!(server.join().unwrap(), "");
        }
    }

    #[test]
    fn an_empty_or_broken_ca_file_is_refused() {
        let err = options_ping_tls(
            "127.0.0.1:9".parse().unwrap(),
            b"not a certificate",
            KAMAILIO_TLS_NAME,
            Duration::from_millis(10),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Tls(_)), "{err}");
    }
}

//! TLS (RFC 3261 §26.2.1, RFC 5922): server verification by CA and name, mutual TLS,
//! and the stream behaviour of TCP carried over TLS.

use std::net::SocketAddr;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};

use tipring_sip_transport::{
    certs_from_pem, ClientAuth, CloseReason, Error, Event, Identity, Peer, TlsConfig,
    TransportConfig, TransportKind, Transports,
};

use crate::common::{any, next, quiet, request};

const SERVER_NAME: &str = "sip.tipring.test";

/// A test CA that signs server and client certificates.
struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).unwrap();
        Ca { cert, key }
    }

    /// The CA certificate, read back through the crate's PEM loader.
    fn trust(&self) -> Vec<rustls_pki_types::CertificateDer<'static>> {
        certs_from_pem(self.cert.pem().as_bytes()).unwrap()
    }

    /// An end-entity identity for these subjectAltNames, read back from PEM.
    fn issue(&self, names: &[&str], usage: ExtendedKeyUsagePurpose) -> Identity {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "tipring test");
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        Identity::from_pem(cert.pem().as_bytes(), key.serialize_pem().as_bytes()).unwrap()
    }
}

/// A TLS server on loopback with a certificate for SERVER_NAME and 127.0.0.1.
async fn server(ca: &Ca, client_auth: ClientAuth) -> (Transports, Peer) {
    let t = Transports::bind(TransportConfig {
        tls: Some(any()),
        tls_config: Some(TlsConfig {
            ca_certs: ca.trust(),
            identity: Some(ca.issue(
                &[SERVER_NAME, "127.0.0.1"],
                ExtendedKeyUsagePurpose::ServerAuth,
            )),
            client_auth,
            ..TlsConfig::default()
        }),
        ..TransportConfig::default()
    })
    .await
    .unwrap();
    let addr = t.local_addr(TransportKind::Tls).unwrap();
    let peer = Peer {
        transport: TransportKind::Tls,
        addr,
    };
    (t, peer)
}

/// A TLS client trusting `trust`, expecting `name` at `addr` (none: the IP address).
async fn client(
    trust: &Ca,
    addr: SocketAddr,
    name: Option<&str>,
    identity: Option<Identity>,
) -> Transports {
    let mut tls = TlsConfig {
        ca_certs: trust.trust(),
        identity,
        ..TlsConfig::default()
    };
    if let Some(name) = name {
        tls.server_names.insert(addr, name.to_owned());
    }
    Transports::bind(TransportConfig {
        tls_config: Some(tls),
        ..TransportConfig::default()
    })
    .await
    .unwrap()
}

/// The server's report of a failed handshake.
async fn handshake_failure(server: &mut Transports) {
    let event = next(server).await;
    assert!(
        matches!(
            event,
            Event::Closed {
                reason: CloseReason::Handshake(_) | CloseReason::Io { .. },
                ..
            }
        ),
        "{event:?}"
    );
}

// RFC 5922 §7.3: the server certificate chains to the configured CA and carries the
// SIP domain the server was resolved from; then messages flow both ways and the reply
// uses the connection the client opened (RFC 3261 §18.2.2).
#[tokio::test]
async fn verified_with_right_ca_and_name() {
    let ca = Ca::new("Tipring test CA");
    let (mut b, to) = server(&ca, ClientAuth::None).await;
    let mut a = client(&ca, to.addr, Some(SERVER_NAME), None).await;

    a.send(to, request(1)).await.unwrap();
    a.send(to, request(2)).await.unwrap();
    let mut from = None;
    for n in [1, 2] {
        let Event::Message { from: f, data } = next(&mut b).await else {
            panic!("expected a message")
        };
        assert_eq!(data, request(n));
        assert_eq!(f.transport, TransportKind::Tls);
        from = Some(f);
    }
    b.send(from.unwrap(), request(3)).await.unwrap();
    assert_eq!(
        next(&mut a).await,
        Event::Message {
            from: to,
            data: request(3)
        }
    );
    assert_eq!(a.connections(), 1);
    assert_eq!(b.connections(), 1);
}

// RFC 5922 §4: without a configured name the server is checked against its IP address.
#[tokio::test]
async fn ip_address_is_the_default_name() {
    let ca = Ca::new("Tipring test CA");
    let (mut b, to) = server(&ca, ClientAuth::None).await;
    let a = client(&ca, to.addr, None, None).await;
    a.send(to, request(1)).await.unwrap();
    assert!(matches!(next(&mut b).await, Event::Message { .. }));
}

// RFC 3261 §26.2.1: a certificate from an untrusted CA is refused; the failure is a
// transport error for the transaction, and nothing reaches the server's caller.
#[tokio::test]
async fn wrong_ca_is_refused() {
    let ca = Ca::new("Tipring test CA");
    let other = Ca::new("Some other CA");
    let (mut b, to) = server(&ca, ClientAuth::None).await;
    let a = client(&other, to.addr, Some(SERVER_NAME), None).await;
    let e = a.send(to, request(1)).await.unwrap_err();
    assert!(matches!(e, Error::Handshake { .. }), "{e}");
    assert!(e.is_transport_failure());
    assert!(
        matches!(
            e.tls_cause(),
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            ))
        ),
        "{e}"
    );
    assert_eq!(a.connections(), 0);
    handshake_failure(&mut b).await;
    quiet(&mut b, Duration::from_millis(100)).await;
}

// RFC 5922 §7.3: a trusted certificate for another name is refused.
#[tokio::test]
async fn wrong_name_is_refused() {
    let ca = Ca::new("Tipring test CA");
    let (mut b, to) = server(&ca, ClientAuth::None).await;
    let a = client(&ca, to.addr, Some("other.tipring.test"), None).await;
    let e = a.send(to, request(1)).await.unwrap_err();
    assert!(matches!(e, Error::Handshake { .. }), "{e}");
    assert!(
        matches!(
            e.tls_cause(),
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. }
            ))
        ),
        "{e}"
    );
    handshake_failure(&mut b).await;
}

// RFC 5630 §3.2 / RFC 3261 §26.3.2.2: mutual TLS. A client with a certificate from the
// CA is accepted; one without is refused by the server and never delivers a message.
#[tokio::test]
async fn mutual_tls_needs_a_client_certificate() {
    let ca = Ca::new("Tipring test CA");
    let (mut b, to) = server(&ca, ClientAuth::Required).await;
    let id = ca.issue(&["gw1.tipring.test"], ExtendedKeyUsagePurpose::ClientAuth);
    let a = client(&ca, to.addr, Some(SERVER_NAME), Some(id)).await;
    a.send(to, request(1)).await.unwrap();
    let Event::Message { data, .. } = next(&mut b).await else {
        panic!("expected a message")
    };
    assert_eq!(data, request(1));

    // In TLS 1.3 the client finishes its side before the server checks its (missing)
    // certificate: the send may succeed, but the server refuses the connection.
    let mut anonymous = client(&ca, to.addr, Some(SERVER_NAME), None).await;
    match anonymous.send(to, request(2)).await {
        Ok(()) => {
            let event = next(&mut anonymous).await;
            assert!(matches!(event, Event::Closed { .. }), "{event:?}");
        }
        Err(e) => assert!(e.is_transport_failure(), "{e}"),
    }
    handshake_failure(&mut b).await;
    quiet(&mut b, Duration::from_millis(100)).await;
}

// RFC 3261 §18.3 framing applies inside TLS too: a ping is answered, a message split
// across TLS records arrives whole.
#[tokio::test]
async fn tls_streams_are_framed_and_pinged() {
    let ca = Ca::new("Tipring test CA");
    let (mut b, to) = server(&ca, ClientAuth::None).await;
    let mut cfg = TransportConfig {
        tls_config: Some(TlsConfig {
            ca_certs: ca.trust(),
            default_server_name: Some(SERVER_NAME.to_owned()),
            ..TlsConfig::default()
        }),
        ..TransportConfig::default()
    };
    cfg.keepalive.peers.insert(to);
    cfg.keepalive.interval = Duration::from_millis(50);
    cfg.keepalive.pong_timeout = Duration::from_millis(300);
    let mut a = Transports::bind(cfg).await.unwrap();
    let msg = request(1);
    let (head, tail) = msg.split_at(40);
    // Two sends of one message's halves: two TLS records, one message.
    a.send(to, head.to_vec()).await.unwrap();
    a.send(to, tail.to_vec()).await.unwrap();
    let Event::Message { data, .. } = next(&mut b).await else {
        panic!("expected a message")
    };
    assert_eq!(data, msg);
    // Keep-alive pings over TLS are answered by the server's transports.
    quiet(&mut a, Duration::from_millis(400)).await;
    assert!(a.is_connected(to));
}

// Bad TLS material is refused when binding, not at the first connection.
#[tokio::test]
async fn bad_tls_configuration_is_refused_at_bind() {
    assert!(matches!(certs_from_pem(b"not pem"), Err(Error::Pem(_))));
    let e = Transports::bind(TransportConfig {
        tls: Some(any()),
        tls_config: Some(TlsConfig::default()),
        ..TransportConfig::default()
    })
    .await
    .unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e}");
    let ca = Ca::new("Tipring test CA");
    let mut tls = TlsConfig {
        ca_certs: ca.trust(),
        ..TlsConfig::default()
    };
    tls.server_names
        .insert(any(), "not a host name!".to_owned());
    let e = Transports::bind(TransportConfig {
        tls_config: Some(tls),
        ..TransportConfig::default()
    })
    .await
    .unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e}");
}

//! Kamailio's TLS listener on its own: its certificate chains to the CA the harness made
//! for it and carries the name `kamailio.test` and the address 127.0.0.1 (RFC 5922 7.1),
//! and it answers a SIP OPTIONS sent over TLS (RFC 3261 26.2.1; the client is rustls,
//! written independently of Kamailio's OpenSSL).

use std::time::Duration;

use tipring_integration_tests::peers::{
    options_ping, options_ping_tls, KamailioConfig, TestCa, KAMAILIO_TLS_NAME,
};
use tipring_integration_tests::Error;

use crate::{kamailio, DOMAIN};

const PROBE: Duration = Duration::from_secs(5);

#[test]
fn kamailio_answers_options_over_tls_to_a_client_that_verifies_it() {
    let k = kamailio(KamailioConfig::new(DOMAIN).tls(true));
    let tls = k.tls_addr().expect("TLS was asked for");
    assert!(tls.ip().is_loopback());
    assert_ne!(tls.port(), k.addr().port(), "TLS has a port of its own");
    let ca_path = k.ca_pem_path().expect("TLS was asked for");
    assert!(ca_path.starts_with(k.dir()), "{}", ca_path.display());
    let ca = std::fs::read(ca_path).unwrap();

    // the name and the address in the certificate both verify
    for name in [KAMAILIO_TLS_NAME, "127.0.0.1"] {
        let status = options_ping_tls(tls, &ca, name, PROBE).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(status, "SIP/2.0 200 OK", "expecting {name}");
    }
    // the request reached the script over TLS, not over a plain socket
    let log = std::fs::read_to_string(k.log_path()).unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains("tipring: OPTIONS") && l.contains("over tls")),
        "{log}"
    );
    // UDP is still there
    assert_eq!(options_ping(k.addr(), PROBE).unwrap(), "SIP/2.0 200 OK");
}

#[test]
fn kamailio_tls_is_refused_by_a_client_expecting_another_name_or_ca() {
    let k = kamailio(KamailioConfig::new(DOMAIN).tls(true));
    let tls = k.tls_addr().unwrap();
    let ca = std::fs::read(k.ca_pem_path().unwrap()).unwrap();
    let stranger = TestCa::new("Stranger CA").unwrap().pem();

    for (trust, name, why) in [
        (ca.as_slice(), "other.test", "not valid for name"),
        (stranger.as_bytes(), KAMAILIO_TLS_NAME, "UnknownIssuer"),
    ] {
        let err = options_ping_tls(tls, trust, name, PROBE).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, Error::Io { .. }), "{text}");
        assert!(text.contains("TLS handshake"), "{text}");
        assert!(text.contains(why), "{text}");
    }
    // Kamailio survived the aborted handshakes
    assert_eq!(
        options_ping_tls(tls, &ca, KAMAILIO_TLS_NAME, PROBE).unwrap(),
        "SIP/2.0 200 OK"
    );
}

#[test]
fn a_kamailio_without_tls_has_no_tls_listener() {
    let k = kamailio(KamailioConfig::new(DOMAIN));
    assert_eq!(k.tls_addr(), None);
    assert_eq!(k.ca_pem_path(), None);
    let cfg = std::fs::read_to_string(k.config_path()).unwrap();
    assert!(!cfg.contains("tls.so"), "{cfg}");
}

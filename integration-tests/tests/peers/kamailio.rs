//! Kamailio on its own: starts, answers, stops; verifies digests (MD5 and SHA-256) from a
//! hand-driven client.

use std::net::UdpSocket;
use std::time::Duration;

use tipring_integration_tests::peers::{options_ping, DigestAlgorithm, KamailioConfig};

use crate::support::{auth_param, Digest, Hash, RawUa};
use crate::{kamailio, DOMAIN, WAIT};

#[test]
fn kamailio_starts_answers_options_and_stops_on_drop() {
    let first = kamailio(KamailioConfig::new(DOMAIN));
    let second = kamailio(KamailioConfig::new(DOMAIN));
    assert_ne!(
        first.addr(),
        second.addr(),
        "two instances, two ports (failover tests)"
    );
    for k in [&first, &second] {
        let status = options_ping(k.addr(), Duration::from_secs(2)).unwrap();
        assert_eq!(status, "SIP/2.0 200 OK");
        assert!(k.addr().ip().is_loopback());
        assert_eq!(k.domain(), DOMAIN);
        assert!(k.config_path().is_file());
        // its log is captured, and each request is logged by the route
        let log = std::fs::read_to_string(k.log_path()).unwrap();
        assert!(log.contains("tipring: OPTIONS"), "{log}");
        assert!(k.registrations().unwrap().is_empty());
    }

    let addr = first.addr();
    drop(first);
    // stopped: nothing answers, and the port can be bound again (UDP and TCP)
    assert!(options_ping(addr, Duration::from_millis(200)).is_err());
    UdpSocket::bind(addr).expect("kamailio still holds its UDP port");
    std::net::TcpListener::bind(addr).expect("kamailio still holds its TCP port");
    // the other instance is unaffected
    assert!(options_ping(second.addr(), Duration::from_secs(2)).is_ok());
}

/// REGISTER, 401, REGISTER with credentials computed by coreutils: 200 with the right
/// password, 401 again with a wrong one (RFC 3261 22.4; RFC 7616 3.4 for SHA-256).
fn register_with_digest(algorithm: DigestAlgorithm, hash: Hash) {
    let k = kamailio(
        KamailioConfig::new(DOMAIN)
            .digest(algorithm)
            .max_expires(120),
    );
    for (password, expected) in [("wrong", 401), ("pw-103", 200)] {
        let ua = RawUa::new(k.addr());
        ua.send(&ua.register("103", DOMAIN, 1, 60, ""));
        let challenge = ua.final_response(WAIT, "REGISTER");
        assert_eq!(challenge.status, 401, "{}", challenge.text);
        let www = challenge.header("WWW-Authenticate").unwrap();
        assert_eq!(auth_param(www, "realm").as_deref(), Some(DOMAIN));
        assert_eq!(auth_param(www, "qop").as_deref(), Some("auth"));
        let offered = auth_param(www, "algorithm").unwrap_or_else(|| "MD5".into());
        assert_eq!(offered, hash.token(), "{www}");
        let nonce = auth_param(www, "nonce").unwrap();
        let uri = format!("sip:{DOMAIN}");
        let digest = Digest {
            hash,
            user: "103",
            realm: DOMAIN,
            password,
            method: "REGISTER",
            uri: &uri,
            nonce: &nonce,
            nc: "00000001",
            cnonce: "0a4f113b",
            qop: Some("auth"),
        };
        let authz = format!("Authorization: {}\r\n", digest.credentials());
        ua.send(&ua.register("103", DOMAIN, 2, 60, &authz));
        let answer = ua.final_response(WAIT, "REGISTER with credentials");
        assert_eq!(
            answer.status, expected,
            "password {password}: {}",
            answer.text
        );
    }
    let regs = k.wait_for_registration("103", WAIT).unwrap();
    assert_eq!(regs.len(), 1, "{regs:?}");
    assert!(regs[0].expires.is_some_and(|e| e <= 60), "{regs:?}");
}

#[test]
fn kamailio_verifies_md5_digests() {
    register_with_digest(DigestAlgorithm::Md5, Hash::Md5);
}

#[test]
fn kamailio_verifies_sha256_digests() {
    register_with_digest(DigestAlgorithm::Sha256, Hash::Sha256);
}

#[test]
fn kamailio_answers_404_for_unknown_and_480_for_unregistered_users() {
    let k = kamailio(KamailioConfig::new(DOMAIN));
    for (callee, expected) in [("999", 404), ("102", 480)] {
        let ua = RawUa::new(k.addr());
        let ruri = format!("sip:{callee}@{DOMAIN}");
        let contact = format!("Contact: <sip:raw@{}>\r\n", ua.local);
        ua.send(&ua.request("INVITE", &ruri, &ruri, 1, &contact));
        let answer = ua.final_response(WAIT, "INVITE");
        assert_eq!(answer.status, expected, "{callee}: {}", answer.text);
        // ACK the non-2xx final response in its transaction (RFC 3261 17.1.1.3)
        ua.send(&ua.ack_non_2xx(&ruri, 1, &answer));
    }
}

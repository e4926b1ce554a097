//! The Connection Request listener against curl (an independent HTTP digest client):
//! the right credentials start a session, wrong ones and other methods do not.

use std::process::Command;
use std::time::{Duration, Instant};

use tipring_agent::connreq::listen;
use tipring_cpe::connreq::{ConnReqAuth, RateLimit};

#[allow(clippy::disallowed_methods)] // the binary side's clock
fn clock() -> Instant {
    Instant::now()
}

fn curl(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "5",
        ])
        .args(args)
        .output()
        .expect("curl is needed: apt-get install curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn curl_digest_is_accepted_and_wrong_credentials_are_not() {
    let auth = ConnReqAuth::new("acs", "cr-pw", "/cr/TR0001", [4; 32], RateLimit::default());
    let mut l = listen("127.0.0.1:0".parse().unwrap(), auth, clock, None)
        .await
        .unwrap();
    let url = format!("http://{}/cr/TR0001", l.local);
    let u = url.clone();
    let code = tokio::task::spawn_blocking(move || curl(&["--digest", "-u", "acs:cr-pw", &u]))
        .await
        .unwrap();
    assert_eq!(code, "200");
    tokio::time::timeout(Duration::from_secs(2), l.accepted.recv())
        .await
        .expect("the accepted request is passed on")
        .unwrap();
    let u = url.clone();
    let codes = tokio::task::spawn_blocking(move || {
        [
            curl(&["--digest", "-u", "acs:wrong", &u]),
            curl(&[&u]),
            curl(&["--digest", "-u", "acs:cr-pw", "-X", "POST", &u]),
            curl(&["--digest", "-u", "acs:cr-pw", &format!("{u}x")]),
        ]
    })
    .await
    .unwrap();
    assert_eq!(codes, ["401", "401", "405", "404"]);
    assert!(l.accepted.try_recv().is_err(), "nothing else got through");
}

#[tokio::test]
async fn annex_g_udp_requests_are_taken_on_the_same_port() {
    // G.2.1: a signed GET line in one datagram; accepted once per id, refused when
    // replayed, with the wrong signature or from the past.
    let auth = ConnReqAuth::new("acs", "cr-pw", "/cr/TR0002", [5; 32], RateLimit::default());
    let mut l = listen("127.0.0.1:0".parse().unwrap(), auth, clock, None)
        .await
        .unwrap();
    let udp = l.udp.expect("the UDP side is bound");
    assert_eq!(udp.port(), l.local.port());
    #[allow(clippy::disallowed_methods)]
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let datagram = |ts: &str, id: &str, pw: &str| {
        let sig = tipring_cpe::connreq::udp_signature(pw, ts, id, "acs", "c1");
        format!("GET http://{udp}?ts={ts}&id={id}&un=acs&cn=c1&sig={sig} HTTP/1.1\r\n\r\n")
    };
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for d in [
        datagram(&ts, "1", "wrong"),
        datagram("1000", "2", "cr-pw"),
        "GET / HTTP/1.1\r\n\r\n".to_string(),
    ] {
        sock.send_to(d.as_bytes(), udp).await.unwrap();
    }
    let good = datagram(&ts, "3", "cr-pw");
    sock.send_to(good.as_bytes(), udp).await.unwrap();
    sock.send_to(good.as_bytes(), udp).await.unwrap();
    tokio::time::timeout(Duration::from_secs(2), l.accepted.recv())
        .await
        .expect("the signed request is passed on")
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(l.accepted.try_recv().is_err(), "once per id, nothing else");
}

#[tokio::test]
async fn sources_outside_the_access_list_are_dropped_unanswered() {
    // management.access.connection_request: only 10.0.0.0/8 may ask; 127.0.0.1 is
    // dropped on TCP (closed before any HTTP) and on UDP, and counted.
    let access = tipring_config::Access {
        connection_request: vec!["10.0.0.0/8".into()],
        ..Default::default()
    };
    let gates = std::sync::Arc::new(tipring_agent::access::Gates::new(&access));
    let auth = ConnReqAuth::new("acs", "cr-pw", "/cr/TR0003", [6; 32], RateLimit::default());
    let mut l = listen(
        "127.0.0.1:0".parse().unwrap(),
        auth,
        clock,
        Some(std::sync::Arc::clone(&gates)),
    )
    .await
    .unwrap();
    let url = format!("http://{}/cr/TR0003", l.local);
    let code = tokio::task::spawn_blocking(move || curl(&["--digest", "-u", "acs:cr-pw", &url]))
        .await
        .unwrap();
    assert_eq!(code, "000", "no HTTP answer at all");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(l.accepted.try_recv().is_err());
    let c = &gates.counters(&access)[2];
    assert_eq!(c.service, "connection_request");
    assert_eq!(c.accepted, 0, "{c:?}");
    assert!(c.dropped["not_allowed"] >= 1, "{c:?}");
}

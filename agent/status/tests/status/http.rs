//! The HTTP behaviour: routes, JSON shape, errors, limits, snapshot updates.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tipring_status::{Error, GatewayStatus, ServerOptions, StatusServer, MAX_HEADER_FIELDS};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::common::{get, parse_reply, raw_request, read_all, sample, start, start_with};

#[tokio::test]
async fn status_json_has_the_documented_shape() {
    let srv = start(sample()).await;
    let r = get(srv.addr, "/status").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("connection"), Some("close"));
    let v: Value = serde_json::from_str(&r.body).expect("valid JSON");
    // The whole document, field by field: this is the contract the lead maps onto.
    let want = json!({
        "version": "0.1.0",
        "uptime_s": 3600,
        "config_version": "42",
        "ports": [
            {
                "port": 1,
                "extension": "201",
                "hook": "off",
                "line_state": "connected",
                "registration": {
                    "state": "registered",
                    "server": "pbx.example.net:5061",
                    "expires_in": 1800
                },
                "call": {
                    "direction": "outgoing",
                    "remote_number": "5551234",
                    "codec": "PCMU",
                    "srtp": true,
                    "duration_s": 75,
                    "packets_sent": 3750,
                    "packets_received": 3740,
                    "packets_lost": 10,
                    "jitter_ms": 4.5,
                    "jitter_buffer_ms": 40.0,
                    "mos_lq": 4.12,
                    "mos_cq": 4.03,
                    "r_factor": 89.5,
                    "rtt_ms": 23.0,
                    "erle_db": 31.5
                },
                "disabled": false,
                "counters": {
                    "calls_incoming": 0,
                    "calls_outgoing": 0,
                    "calls_answered": 0,
                    "calls_failed": 0,
                    "talk_seconds": 0,
                    "registration_failures": 0,
                    "fax_sent": 0,
                    "fax_received": 0,
                    "fax_failed": 0,
                    "fax_pages": 0,
                    "fax_passthrough": 0,
                    "fax_malformed": 0
                }
            },
            {
                "port": 2,
                "extension": "202",
                "hook": "on",
                "line_state": "idle",
                "registration": {
                    "state": "failed",
                    "server": "pbx.example.net:5061",
                    "expires_in": null
                },
                "call": null,
                "disabled": false,
                "counters": {
                    "calls_incoming": 0,
                    "calls_outgoing": 0,
                    "calls_answered": 0,
                    "calls_failed": 0,
                    "talk_seconds": 0,
                    "registration_failures": 0,
                    "fax_sent": 0,
                    "fax_received": 0,
                    "fax_failed": 0,
                    "fax_pages": 0,
                    "fax_passthrough": 0,
                    "fax_malformed": 0
                }
            }
        ],
        "sip": {
            "messages_sent": 120,
            "messages_received": 118,
            "bad_answered": 1,
            "bad_dropped": 2,
            "transport_errors": 0,
            "registration_failures": 3,
            "calls_incoming": 4,
            "calls_outgoing": 5
        },
        "access": [
            { "service": "sip", "allowed": [], "accepted": 118,
              "dropped": { "flood": 40, "scanner": 2 } }
        ]
    });
    assert_eq!(v, want);
}

#[tokio::test]
async fn one_port_by_number_and_404_for_unknown_ports() {
    let srv = start(sample()).await;
    let r = get(srv.addr, "/status/ports/2").await;
    assert_eq!(r.status, 200);
    let v: Value = serde_json::from_str(&r.body).expect("valid JSON");
    assert_eq!(v["port"], 2);
    assert_eq!(v["registration"]["state"], "failed");
    assert_eq!(v["call"], Value::Null);
    for path in [
        "/status/ports/3",
        "/status/ports/0",
        "/status/ports/x",
        "/status/ports/+1",
    ] {
        assert_eq!(get(srv.addr, path).await.status, 404, "{path}");
    }
}

#[tokio::test]
async fn unknown_paths_are_404_and_query_is_ignored() {
    let srv = start(sample()).await;
    for path in [
        "/",
        "/status/",
        "/metrics/x",
        "/admin",
        "/healthz/../status",
        "/%2e%2e/etc",
    ] {
        let r = get(srv.addr, path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.body, "not found\n");
    }
    let r = get(srv.addr, "/healthz?probe=1").await;
    assert_eq!((r.status, r.body.as_str()), (200, "ok\n"));
}

/// RFC 9110 §15.5.6: a method the resource does not support is 405, with `Allow`.
#[tokio::test]
async fn other_methods_are_405_with_allow() {
    let srv = start(sample()).await;
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"] {
        let req =
            format!("{method} /status HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n");
        let r = parse_reply(&raw_request(srv.addr, req.as_bytes()).await);
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"), "{method}");
    }
}

/// RFC 9110 §9.3.2: HEAD is GET without the content (same status and length).
#[tokio::test]
async fn head_has_no_body() {
    let srv = start(sample()).await;
    let get_reply = get(srv.addr, "/metrics").await;
    let raw = raw_request(
        srv.addr,
        b"HEAD /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .await;
    let r = parse_reply(&raw);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "");
    assert_eq!(
        r.header("content-length")
            .and_then(|v| v.parse::<usize>().ok()),
        Some(get_reply.body.len())
    );
}

/// RFC 6585 §5: a request head over the limit (8 KiB) is refused with 431; one just under
/// is served.
#[tokio::test]
async fn oversized_request_head_is_431() {
    let srv = start(sample()).await;
    let head = |filler: usize| {
        format!(
            "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Filler: {}\r\n\r\n",
            "a".repeat(filler)
        )
    };
    let small = head(7000);
    assert!(small.len() < 8192);
    let r = parse_reply(&raw_request(srv.addr, small.as_bytes()).await);
    assert_eq!(r.status, 200);

    let big = head(8200);
    let raw = raw_request(srv.addr, big.as_bytes()).await;
    let r = parse_reply(&raw);
    assert_eq!(r.status, 431);

    // Too many fields, each small, is refused the same way.
    let fields = |n: usize| {
        let mut req = String::from("GET /healthz HTTP/1.1\r\nHost: localhost\r\n");
        for i in 1..n {
            req.push_str(&format!("X-F{i}: v\r\n"));
        }
        req + "\r\n"
    };
    let r = parse_reply(&raw_request(srv.addr, fields(MAX_HEADER_FIELDS).as_bytes()).await);
    assert_eq!(r.status, 200);
    let r = parse_reply(&raw_request(srv.addr, fields(MAX_HEADER_FIELDS + 1).as_bytes()).await);
    assert_eq!(r.status, 431);
}

#[tokio::test]
async fn a_huge_request_line_is_refused_not_served() {
    let srv = start(sample()).await;
    let req = format!(
        "GET /status?{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "q".repeat(20_000)
    );
    let raw = raw_request(srv.addr, req.as_bytes()).await;
    let r = parse_reply(&raw);
    assert!(r.status == 431 || r.status == 414, "{}", r.status);
}

#[tokio::test]
async fn garbage_is_answered_400_and_the_server_goes_on() {
    let srv = start(sample()).await;
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..20 {
        // splitmix64: seeded noise as a request.
        let mut junk = Vec::with_capacity(256);
        for _ in 0..32 {
            seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            junk.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
        }
        junk.extend_from_slice(b"\r\n\r\n");
        let raw = raw_request(srv.addr, &junk).await;
        // hyper answers a head it cannot parse with 400 and closes.
        assert!(
            raw.starts_with(b"HTTP/1.1 400 "),
            "{:?}",
            String::from_utf8_lossy(&raw)
        );
    }
    assert_eq!(get(srv.addr, "/healthz").await.status, 200);
}

#[tokio::test]
async fn a_snapshot_update_is_visible_on_the_next_request() {
    let srv = start(sample()).await;
    let v: Value = serde_json::from_str(&get(srv.addr, "/status").await.body).unwrap();
    assert_eq!(v["uptime_s"], 3600);

    let mut next = sample();
    next.uptime_s = 3601;
    next.ports[0].call = None;
    next.ports[0].line_state = "idle".into();
    srv.tx.send_replace(Arc::new(next));

    let v: Value = serde_json::from_str(&get(srv.addr, "/status").await.body).unwrap();
    assert_eq!(v["uptime_s"], 3601);
    assert_eq!(v["ports"][0]["call"], Value::Null);
    let m = get(srv.addr, "/metrics").await.body;
    assert!(m.contains("tipring_uptime_seconds 3601\n"), "{m}");
    assert!(m.contains("tipring_port_in_call{port=\"1\",extension=\"201\"} 0\n"));
}

#[tokio::test]
async fn run_returns_when_the_agent_drops_the_sender() {
    let srv = start(sample()).await;
    assert_eq!(get(srv.addr, "/healthz").await.status, 200);
    drop(srv.tx);
    tokio::time::timeout(Duration::from_secs(5), srv.task)
        .await
        .expect("run did not return")
        .expect("run panicked");
    // The listener is gone with it.
    assert!(TcpStream::connect(srv.addr).await.is_err());
}

#[tokio::test]
async fn non_loopback_addresses_need_an_explicit_opt_in() {
    for addr in ["0.0.0.0:0", "[::]:0", "192.0.2.1:8080"] {
        let addr: SocketAddr = addr.parse().unwrap();
        match StatusServer::bind(addr).await {
            Err(Error::NotLoopback { addr: a }) => assert_eq!(a, addr),
            other => panic!("{addr}: {other:?}"),
        }
    }
    // IPv4-mapped loopback is loopback.
    let mapped: SocketAddr = "[::ffff:127.0.0.1]:0".parse().unwrap();
    assert!(!matches!(
        StatusServer::bind(mapped).await,
        Err(Error::NotLoopback { .. })
    ));
    // Bad options are refused before binding.
    let bad = ServerOptions {
        max_connections: 0,
        ..ServerOptions::default()
    };
    assert!(matches!(
        StatusServer::bind_with("127.0.0.1:0".parse().unwrap(), bad).await,
        Err(Error::InvalidOption(_))
    ));
}

#[tokio::test]
async fn a_slow_client_is_cut_off_by_the_header_timeout() {
    let options = ServerOptions {
        header_read_timeout: Duration::from_millis(300),
        ..ServerOptions::default()
    };
    let srv = start_with(sample(), options).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    s.write_all(b"GET /sta").await.unwrap();
    let got = read_all(&mut s, Duration::from_secs(3)).await;
    assert!(!got.starts_with(b"HTTP/1.1 200"), "{got:?}");
}

#[tokio::test]
async fn a_connection_lives_no_longer_than_the_connection_timeout() {
    let options = ServerOptions {
        header_read_timeout: Duration::from_secs(60),
        connection_timeout: Duration::from_millis(300),
        ..ServerOptions::default()
    };
    let srv = start_with(sample(), options).await;
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    s.write_all(b"GET /status HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let got = read_all(&mut s, Duration::from_secs(3)).await;
    assert!(got.is_empty(), "{got:?}");
}

#[tokio::test]
async fn connections_over_the_limit_get_503() {
    let options = ServerOptions {
        max_connections: 2,
        ..ServerOptions::default()
    };
    let srv = start_with(sample(), options).await;
    // Two clients hold their connections open with unfinished requests.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(srv.addr).await.unwrap();
        s.write_all(b"GET /status HTTP/1.1\r\n").await.unwrap();
        held.push(s);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = TcpStream::connect(srv.addr).await.unwrap();
    let got = read_all(&mut third, Duration::from_secs(3)).await;
    let r = parse_reply(&got);
    assert_eq!(r.status, 503);
    assert_eq!(r.body, "busy\n");

    // One hangs up: there is room again.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(get(srv.addr, "/healthz").await.status, 200);
}

/// The snapshot types have no secret fields (see `tipring_status::model`); free text such
/// as an extension that looks like a password is escaped, never interpreted.
#[tokio::test]
async fn hostile_free_text_is_escaped_in_json() {
    let mut st = GatewayStatus::default();
    let mut p = sample().ports.remove(0);
    p.extension = "pw=\"s3cr3t\"\n</script>".into();
    st.ports.push(p);
    let srv = start(st).await;
    let r = get(srv.addr, "/status/ports/1").await;
    assert!(
        r.body.contains(r#""extension":"pw=\"s3cr3t\"\n</script>""#),
        "{}",
        r.body
    );
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["extension"], "pw=\"s3cr3t\"\n</script>");
}

//! The manager client over UDP against the test agent: v3 discovery, GetBulk truncation to
//! a small msgMaxSize (RFC 3416 §4.2.3), tooBig for v2 and v1.

use std::net::UdpSocket;
use std::time::Duration;

use tipring_snmp::manager::{Client, ClientConfig, ClientEvent, ClientSecurity, Request, Response};
use tipring_snmp::{ErrorStatus, Oid, Value, VarBindValue};

use crate::common::*;

/// Sends `req` and answers discovery/time Reports until the Response; returns it with the
/// size of the datagram that carried it.
fn exchange(client: &mut Client, sock: &UdpSocket, mut req: Request) -> (Response, usize) {
    let mut buf = [0u8; 65_536];
    for _ in 0..4 {
        sock.send(&req.bytes).unwrap();
        let n = sock.recv(&mut buf).expect("agent answers");
        match client.handle(now(), &buf[..n]).expect("valid answer") {
            ClientEvent::Response(r) => return (r, n),
            ClientEvent::Resend(mut again) => req = again.remove(0),
            ClientEvent::Report { reason, .. } => panic!("report {reason:?}"),
        }
    }
    panic!("no Response after 4 exchanges")
}

fn connect(agent: &TestAgent) -> UdpSocket {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.connect(agent.v4).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    sock
}

fn v3_client(name: &str, max: usize) -> Client {
    let u = user(name);
    let level = u.level();
    let mut c = ClientConfig::new(ClientSecurity::V3 { user: u, level });
    c.max_message_size = max;
    Client::new(c).unwrap()
}

#[test]
fn v3_client_discovers_and_reads() {
    let agent = TestAgent::start(test_config());
    let sock = connect(&agent);
    let mut client = v3_client("sha512aes256", 1472);
    let req = client.get(now(), &[Oid::from([1, 3, 6, 1, 2, 1, 1, 5, 0])]);
    let (r, _) = exchange(&mut client, &sock, req);
    assert_eq!(
        r.varbinds[0].1,
        VarBindValue::Value(Value::string("gw-test"))
    );
    let (id, boots, _) = client.peer_engine(now()).unwrap();
    assert_eq!(id, engine_id().as_slice());
    assert_eq!(boots, 1);
    // Set through the client, then read back.
    let req = client.set(now(), &[(table_cell(2, 9), Value::string("nine"))]);
    let (r, _) = exchange(&mut client, &sock, req);
    assert_eq!(r.error_status, ErrorStatus::NoError);
    let req = client.get(now(), &[table_cell(2, 9)]);
    let (r, _) = exchange(&mut client, &sock, req);
    assert_eq!(r.varbinds[0].1, VarBindValue::Value(Value::string("nine")));
}

#[test]
fn getbulk_truncates_to_the_requesters_max_size() {
    let agent = TestAgent::start(test_config());
    let sock = connect(&agent);
    for name in ["sha256aes", "md5des", "noauth"] {
        let mut client = v3_client(name, 484);
        let cols: Vec<Oid> = (1..=4).map(|c| table_cell(c, 0)).collect();
        let req = client.get_bulk(now(), 0, 50, &cols);
        let (r, size) = exchange(&mut client, &sock, req);
        assert_eq!(r.error_status, ErrorStatus::NoError);
        assert!(size <= 484, "{name}: {size} octets");
        // The bindings are whole rows in order, as many as fit: the next one (about the
        // size of the last) would not have.
        let n = r.varbinds.len();
        assert!((8..200).contains(&n), "{name}: {n}");
        for (i, (o, _)) in r.varbinds.iter().enumerate() {
            assert_eq!(*o, table_cell(i as u32 % 4 + 1, i as u32 / 4 + 1));
        }
        let last_len = 2 + 2 + o_len(&r.varbinds[n - 1].0) + 2 + 4;
        let slack = if name == "md5des" { 8 } else { 0 };
        assert!(
            484 - size < last_len + slack,
            "{name}: {size} octets with {n} bindings leaves room"
        );
    }
}

/// Rough encoded size of an OID (for the truncation check).
fn o_len(o: &Oid) -> usize {
    o.as_slice()
        .iter()
        .skip(2)
        .map(|&s| {
            if s < 128 {
                1
            } else if s < 16384 {
                2
            } else {
                3
            }
        })
        .sum::<usize>()
        + 1
}

#[test]
fn too_big_v2_empty_v1_echo() {
    let mut cfg = test_config();
    cfg.max_message_size = 484;
    let agent = TestAgent::start(cfg);
    let sock = connect(&agent);
    let many: Vec<Oid> = (1..=22).map(|r| table_cell(2, r)).collect();
    // v2c: tooBig, no bindings (RFC 3416 §4.2.1).
    let mut client = Client::new(ClientConfig::new(ClientSecurity::V2c {
        community: "public".into(),
    }))
    .unwrap();
    let req = client.get(now(), &many);
    assert!(req.bytes.len() <= 484);
    let (r, _) = exchange(&mut client, &sock, req);
    assert_eq!(r.error_status, ErrorStatus::TooBig);
    assert!(r.varbinds.is_empty());
    // GetBulk whose non-repeaters do not fit: tooBig too.
    let req = client.get_bulk(now(), 22, 10, &many);
    let (r, _) = exchange(&mut client, &sock, req);
    assert_eq!(r.error_status, ErrorStatus::TooBig);
    assert!(r.varbinds.is_empty());
    // v1: tooBig echoing the request's bindings (RFC 1157 §4.1.2).
    let mut v1 = Client::new(ClientConfig::new(ClientSecurity::V1 {
        community: "public".into(),
    }))
    .unwrap();
    let req = v1.get(now(), &many);
    let (r, _) = exchange(&mut v1, &sock, req);
    assert_eq!(r.error_status, ErrorStatus::TooBig);
    assert_eq!(r.error_index, 0);
    assert_eq!(r.varbinds.len(), 22);
    assert!(r
        .varbinds
        .iter()
        .all(|(_, v)| *v == VarBindValue::Value(Value::Null)));
}

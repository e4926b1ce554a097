//! RFC 4475 (SIP torture test messages): every file gets the treatment index.tsv names,
//! and the typed headers each valid message exercises read correctly.

use std::collections::BTreeMap;
use std::fs;

use tipring_sip_message::{
    Contact, Frame, Host, Message, Method, Request, Response, StreamFramer, Transport, UaPolicy,
    Uri,
};

use crate::common::{assert_round_trip, registrar_policy, rfc4475_dir, treat, Outcome};

/// The treatment this crate gives each file, checked against index.tsv.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Accept,
    Reject(u16),
    Drop,
}

fn expectations() -> BTreeMap<&'static str, Expect> {
    use Expect::*;
    [
        // 3.1.1 valid
        ("wsinv.dat", Accept),
        ("intmeth.dat", Reject(501)),
        ("esc01.dat", Accept),
        ("escnull.dat", Accept),
        ("esc02.dat", Reject(501)),
        ("lwsdisp.dat", Accept),
        ("longreq.dat", Accept),
        ("dblreq.dat", Accept),
        ("semiuri.dat", Accept),
        ("transports.dat", Accept),
        ("mpart01.dat", Accept),
        ("unreason.dat", Accept),
        ("noreason.dat", Accept),
        // 3.1.2 invalid
        ("badinv01.dat", Reject(400)),
        ("clerr.dat", Reject(400)),
        ("ncl.dat", Reject(400)),
        ("scalar02.dat", Reject(400)),
        ("scalarlg.dat", Drop),
        ("quotbal.dat", Reject(400)),
        ("ltgtruri.dat", Reject(400)),
        ("lwsruri.dat", Reject(400)),
        ("lwsstart.dat", Reject(400)),
        ("trws.dat", Reject(400)),
        ("escruri.dat", Reject(400)),
        ("baddate.dat", Accept),
        ("regbadct.dat", Reject(400)),
        ("badaspec.dat", Reject(400)),
        ("baddn.dat", Reject(400)),
        ("badvers.dat", Reject(505)),
        ("mismatch01.dat", Reject(400)),
        ("mismatch02.dat", Reject(501)),
        ("bigcode.dat", Drop),
        // 3.2 transaction layer
        ("badbranch.dat", Accept),
        // 3.3 application layer
        ("insuf.dat", Reject(400)),
        ("unkscm.dat", Reject(416)),
        ("novelsc.dat", Reject(416)),
        ("unksm2.dat", Reject(400)),
        ("bext01.dat", Reject(420)),
        ("invut.dat", Reject(415)),
        // As a registrar: ignore the unknown scheme (the registrar then challenges).
        // The non-registrar answer (405) is checked in `regaut01_as_plain_ua`.
        ("regaut01.dat", Accept),
        ("multi01.dat", Reject(400)),
        ("mcl01.dat", Reject(400)),
        ("bcast.dat", Drop),
        ("zeromf.dat", Accept),
        ("cparam01.dat", Accept),
        ("cparam02.dat", Accept),
        ("regescrt.dat", Accept),
        ("sdp01.dat", Reject(406)),
        // 3.4 backward compatibility
        ("inv2543.dat", Accept),
    ]
    .into_iter()
    .collect()
}

struct Row {
    file: String,
    section: String,
    ua_action: String,
    expected: String,
}

fn index() -> Option<(std::path::PathBuf, Vec<Row>)> {
    let dir = rfc4475_dir()?;
    let tsv = fs::read_to_string(dir.join("index.tsv")).expect("index.tsv");
    let rows = tsv
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Row {
                file: c[0].to_owned(),
                section: c[1].to_owned(),
                ua_action: c[5].to_owned(),
                expected: c[6].to_owned(),
            }
        })
        .collect();
    Some((dir, rows))
}

/// Our expectation agrees with the index: the status code appears in the expected
/// phrase, a discard is a discard, an accept is allowed.
fn agrees_with_index(e: Expect, row: &Row) -> bool {
    match e {
        Expect::Accept => {
            row.ua_action.starts_with("accept")
                || (row.file == "regaut01.dat" && row.expected.contains("registrar: ignore it"))
        }
        Expect::Reject(code) => {
            row.ua_action.contains("reject") && row.expected.contains(&code.to_string())
        }
        Expect::Drop => row.ua_action == "discard",
    }
}

#[test]
fn rfc4475_table() {
    let Some((dir, rows)) = index() else { return };
    let exp = expectations();
    assert_eq!(rows.len(), 49, "index.tsv rows");
    let policy = registrar_policy();
    let mut failures = Vec::new();
    for row in &rows {
        let bytes = fs::read(dir.join(&row.file)).expect("read .dat");
        let e = *exp
            .get(row.file.as_str())
            .unwrap_or_else(|| panic!("no expectation for {}", row.file));
        assert!(
            agrees_with_index(e, row),
            "{}: our expectation {e:?} disagrees with index.tsv {:?} / {:?}",
            row.file,
            row.ua_action,
            row.expected
        );
        // Round trip on every file that parses (RFC 3261 §7: writing back what was read).
        if let Ok(m) = Message::parse(&bytes) {
            assert_round_trip(&row.file, &m);
        }
        let got = treat(&bytes, &policy);
        let ok = match (&got, e) {
            (Outcome::Accept, Expect::Accept) => true,
            (Outcome::Reject(s, _), Expect::Reject(c)) => *s == c,
            (Outcome::Drop(_), Expect::Drop) => true,
            _ => false,
        };
        let got_text = match &got {
            Outcome::Accept => "accept".to_owned(),
            Outcome::Reject(s, r) => format!("{s} {r}"),
            Outcome::Drop(why) => format!("drop ({why})"),
        };
        println!(
            "{:<15} {:<8} {} expected {:<11} got {}",
            row.file,
            row.section,
            if ok { "ok  " } else { "FAIL" },
            format!("{e:?}"),
            got_text
        );
        if !ok {
            failures.push(row.file.clone());
        }
    }
    assert!(
        failures.is_empty(),
        "RFC 4475 files with the wrong treatment: {failures:?}"
    );
}

fn load(name: &str) -> Option<Message> {
    let dir = rfc4475_dir()?;
    let bytes = fs::read(dir.join(name)).expect("read");
    Some(Message::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}")))
}

fn request(name: &str) -> Option<Request> {
    match load(name)? {
        Message::Request(r) => Some(r),
        Message::Response(_) => panic!("{name} is a response"),
    }
}

fn response(name: &str) -> Option<Response> {
    match load(name)? {
        Message::Response(r) => Some(r),
        Message::Request(_) => panic!("{name} is a request"),
    }
}

fn sip_user(u: &Uri) -> String {
    u.as_sip().expect("sip uri").user_unescaped().expect("user")
}

// RFC 4475 §3.1.1.1: the short tortuous INVITE.
#[test]
fn wsinv() {
    let Some(r) = request("wsinv.dat") else {
        return;
    };
    let h = &r.headers;
    assert_eq!(r.method, Method::Invite);
    assert!(r.uri.params().unwrap().has("unknownparam"));
    assert_eq!(h.to().unwrap().tag(), Some("1918181833n"));
    let from = h.from().unwrap();
    assert_eq!(from.display.as_deref(), Some("J Rosenberg \\\""));
    assert_eq!(from.tag(), Some("98asjd8"));
    assert_eq!(h.max_forwards().unwrap(), Some(68));
    let cseq = h.cseq().unwrap();
    assert_eq!((cseq.seq, cseq.method), (9, Method::Invite));
    let vias = h.vias().unwrap();
    assert_eq!(vias.len(), 3);
    assert_eq!(
        (vias[0].transport.clone(), vias[0].branch()),
        (Transport::Udp, Some("390skdjuw"))
    );
    assert_eq!(vias[1].host, Host::Domain("spindle.example.com".into()));
    assert_eq!(vias[1].branch(), Some("z9hG4bK9ikj8"));
    assert_eq!(vias[2].host, Host::Ipv4("192.168.255.111".parse().unwrap()));
    assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));
    let contacts = h.contacts().unwrap();
    assert_eq!(contacts.len(), 1);
    let c = contacts[0].addr().unwrap();
    assert_eq!(c.display.as_deref(), Some("Quoted string \"\""));
    assert_eq!(c.params.get("newparam"), Some("newvalue"));
    assert!(c.params.has("secondparam"));
    assert_eq!(contacts[0].q().unwrap(), Some(0.33));
    assert_eq!(h.get("Subject"), Some(""));
    assert_eq!(
        h.get("NewFangledHeader"),
        Some("newfangled value continued newfangled value")
    );
    assert_eq!(h.get("UnknownHeaderWithUnusualValue"), Some(";;,,;;,;"));
    assert_eq!(
        h.routes().unwrap()[0]
            .uri
            .params()
            .unwrap()
            .get("unknownwith"),
        Some("value")
    );
    assert_eq!(r.body.len(), 150);
    assert_round_trip("wsinv", &Message::Request(r));
}

// RFC 4475 §3.1.1.2: wide range of valid characters.
#[test]
fn intmeth() {
    let Some(r) = request("intmeth.dat") else {
        return;
    };
    assert_eq!(
        r.method,
        Method::Other("!interesting-Method0123456789_*+`.%indeed'~".into())
    );
    let u = r.uri.as_sip().unwrap();
    assert_eq!(
        u.user.as_deref(),
        Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
    );
    assert_eq!(
        u.password.as_deref(),
        Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
    );
    let to = r.headers.to().unwrap();
    assert_eq!(
        to.display.as_deref(),
        Some("BEL:\u{7} NUL:\u{0} DEL:\u{7f}")
    );
    let from = r.headers.from().unwrap();
    assert_eq!(
        from.display.as_deref(),
        Some("token1~` token2'+_ token3*%!.-")
    );
    assert_eq!(from.params.get("fromParam''~+*_!.-%"), Some("работающий"));
    assert_eq!(from.tag(), Some("_token~1'+`*%!-."));
    assert_eq!(
        r.headers.call_id().unwrap(),
        "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    );
    assert_eq!(r.headers.cseq().unwrap().method, r.method);
    assert_eq!(r.headers.max_forwards().unwrap(), Some(255));
    assert_eq!(
        r.headers.get("extensionHeader-!.%*+_`'~"),
        Some("\u{FEFF}\u{5927}\u{505C}\u{96FB}")
    );
    let Outcome::Reject(501, _) =
        treat(&Message::Request(r.clone()).to_bytes(), &registrar_policy())
    else {
        panic!("intmeth must get 501")
    };
    let rej = tipring_sip_message::check_request(&r, &registrar_policy()).unwrap_err();
    assert!(rej
        .headers
        .iter()
        .any(|(n, v)| n == "Allow" && v.contains("INVITE")));
    assert_round_trip("intmeth", &Message::Request(r));
}

// RFC 4475 §3.1.1.3: %-escaping.
#[test]
fn esc01() {
    let Some(r) = request("esc01.dat") else {
        return;
    };
    assert_eq!(sip_user(&r.uri), "sips:user@example.com");
    assert_eq!(sip_user(&r.headers.to().unwrap().uri), "user");
    assert_eq!(sip_user(&r.headers.from().unwrap().uri), "I have spaces");
    let c = r.headers.contacts().unwrap();
    let cu = c[0].addr().unwrap().uri.as_sip().unwrap();
    assert_eq!(cu.user.as_deref(), Some("caller"));
    assert!(cu.params.has("lr"));
    assert_eq!(cu.param_unescaped("name").as_deref(), Some("value%41"));
    assert_eq!(
        r.headers.call_id().unwrap(),
        "esc01.239409asdfakjkn23onasd0-3234"
    );
    assert_eq!(
        r.headers.content_type().unwrap().unwrap().essence(),
        "application/sdp"
    );
    // The %-decoded To URI is equivalent to the literal one (RFC 3261 §19.1.4).
    assert!(r
        .headers
        .to()
        .unwrap()
        .uri
        .matches(&Uri::parse("sip:user@example.com").unwrap()));
    assert_round_trip("esc01", &Message::Request(r));
}

// RFC 4475 §3.1.1.4: escaped nulls; two distinct contacts.
#[test]
fn escnull() {
    let Some(r) = request("escnull.dat") else {
        return;
    };
    assert_eq!(sip_user(&r.headers.to().unwrap().uri), "null-\0-null");
    let c = r.headers.contacts().unwrap();
    assert_eq!(c.len(), 2);
    let users: Vec<String> = c.iter().map(|c| sip_user(&c.addr().unwrap().uri)).collect();
    assert_eq!(users, ["\0", "\0\0"]);
    assert!(!c[0].addr().unwrap().uri.matches(&c[1].addr().unwrap().uri));
    assert_round_trip("escnull", &Message::Request(r));
}

// RFC 4475 §3.1.1.5: % that is not an escape; 2 Contacts, not 3.
#[test]
fn esc02() {
    let Some(r) = request("esc02.dat") else {
        return;
    };
    assert_eq!(r.method, Method::Other("RE%47IST%45R".into()));
    assert_eq!(r.headers.contacts().unwrap().len(), 2);
    assert_eq!(
        r.headers.get("C%6Fntact"),
        Some("<sip:alias2@host2.example.com>")
    );
    assert_eq!(r.headers.to().unwrap().display.as_deref(), Some("%Z%45"));
    assert_eq!(
        r.headers.top_via().unwrap().branch(),
        Some("z9hG4bK209%fzsnel234")
    );
    assert_round_trip("esc02", &Message::Request(r));
}

// RFC 4475 §3.1.1.6: no LWS between display name and '<'.
#[test]
fn lwsdisp() {
    let Some(r) = request("lwsdisp.dat") else {
        return;
    };
    let from = r.headers.from().unwrap();
    assert_eq!(from.display.as_deref(), Some("caller"));
    assert_eq!(from.tag(), Some("323"));
    assert_round_trip("lwsdisp", &Message::Request(r));
}

// RFC 4475 §3.1.1.7: long values.
#[test]
fn longreq() {
    let Some(r) = request("longreq.dat") else {
        return;
    };
    let to = r.headers.to().unwrap();
    assert!(to
        .display
        .as_deref()
        .unwrap()
        .starts_with("I have a user name of extremeextreme"));
    assert_eq!(to.uri.as_sip().unwrap().port, Some(6000));
    assert_eq!(to.tag(), None);
    assert_eq!(to.uri.params().unwrap().len(), 3);
    assert_eq!(to.uri.params().unwrap().get("longparamnamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamename"), Some("shortvalue"));
    let vias = r.headers.vias().unwrap();
    assert_eq!(vias.len(), 34);
    assert_eq!(vias[0].host, Host::Domain("sip33.example.com".into()));
    assert!(vias[33].branch().unwrap().len() > 100);
    assert_eq!(vias[33].received(), Some("192.0.2.5"));
    assert!(r.headers.call_id().unwrap().len() > 100);
    assert_eq!(
        r.headers.from().unwrap().uri.user().unwrap(),
        "amazinglylongcallername".repeat(5)
    );
    assert_eq!(r.body.len(), 150);
    assert_round_trip("longreq", &Message::Request(r));
}

// RFC 4475 §3.1.1.8: trailing octets after a UDP message are ignored.
#[test]
fn dblreq() {
    let Some(r) = request("dblreq.dat") else {
        return;
    };
    assert_eq!(r.method, Method::Register);
    assert!(r.body.is_empty());
    assert_eq!(
        r.headers.call_id().unwrap(),
        "dblreq.0ha0isndaksdj99sdfafnl3lk233412"
    );
    assert!(!r.headers.contains("Content-Type"));
}

// RFC 4475 §3.1.1.9: user part with ';'.
#[test]
fn semiuri() {
    let Some(r) = request("semiuri.dat") else {
        return;
    };
    assert_eq!(sip_user(&r.uri), "user;par=u@example.net");
    assert_eq!(r.uri.host(), Some(&Host::Domain("example.com".into())));
    assert_eq!(r.headers.accept().unwrap().len(), 6);
    assert_round_trip("semiuri", &Message::Request(r));
}

// RFC 4475 §3.1.1.10: varied transports.
#[test]
fn transports() {
    let Some(r) = request("transports.dat") else {
        return;
    };
    let t: Vec<Transport> = r
        .headers
        .vias()
        .unwrap()
        .into_iter()
        .map(|v| v.transport)
        .collect();
    assert_eq!(
        t,
        [
            Transport::Udp,
            Transport::Sctp,
            Transport::Tls,
            Transport::Other("UNKNOWN".into()),
            Transport::Tcp
        ]
    );
    assert_eq!(
        r.headers.call_id().unwrap(),
        "transports.kijh4akdnaqjkwendsasfdj"
    );
    assert_round_trip("transports", &Message::Request(r));
}

// RFC 4475 §3.1.1.11: binary multipart body framed by Content-Length.
#[test]
fn mpart01() {
    let Some(r) = request("mpart01.dat") else {
        return;
    };
    assert_eq!(r.body.len(), 553);
    assert!(r.body.contains(&0));
    assert!(r.body.starts_with(b"--7a9cbec02ceef655\r\n"));
    assert!(r.body.ends_with(b"--7a9cbec02ceef655--\r\n"));
    let ct = r.headers.content_type().unwrap().unwrap();
    assert_eq!(ct.essence(), "multipart/mixed");
    assert_eq!(ct.params.get("boundary"), Some("7a9cbec02ceef655"));
    assert!(r.headers.top_via().unwrap().has_rport());
    assert_round_trip("mpart01", &Message::Request(r));
}

// RFC 4475 §3.1.1.12 and §3.1.1.13: reason phrases.
#[test]
fn reasons() {
    let Some(r) = response("unreason.dat") else {
        return;
    };
    assert_eq!(r.status, 200);
    assert!(r.reason.starts_with("= 2**3 * 5**2 "));
    assert!(r.reason.contains("\u{043d}\u{043e}"));
    assert_round_trip("unreason", &Message::Response(r));
    let Some(r) = response("noreason.dat") else {
        return;
    };
    assert_eq!((r.status, r.reason.as_str()), (100, ""));
    assert_round_trip("noreason", &Message::Response(r));
}

// RFC 4475 §3.3.12-14: Contact parameters vs URI parameters, escaped URI headers.
#[test]
fn register_contacts() {
    let Some(r) = request("cparam01.dat") else {
        return;
    };
    let c = r.headers.contacts().unwrap();
    let a = c[0].addr().unwrap();
    assert!(a.params.has("unknownparam"));
    assert!(a.uri.params().unwrap().is_empty());
    let Some(r) = request("cparam02.dat") else {
        return;
    };
    let a = r.headers.contacts().unwrap()[0].addr().unwrap().clone();
    assert!(a.params.is_empty());
    assert!(a.uri.params().unwrap().has("unknownparam"));
    let Some(r) = request("regescrt.dat") else {
        return;
    };
    let a = r.headers.contacts().unwrap()[0].addr().unwrap().clone();
    assert_eq!(
        a.uri.as_sip().unwrap().header_unescaped("Route").as_deref(),
        Some("<sip:sip.example.com>")
    );
    assert_round_trip("regescrt", &Message::Request(r));
    assert!(matches!(
        request("escnull.dat").unwrap().headers.contacts().unwrap()[0],
        Contact::Addr(_)
    ));
}

// RFC 4475 §3.4.1: RFC 2543 syntax.
#[test]
fn inv2543() {
    let Some(r) = request("inv2543.dat") else {
        return;
    };
    assert_eq!(r.headers.max_forwards().unwrap(), None);
    assert_eq!(r.headers.top_via().unwrap().branch(), None);
    assert_eq!(r.headers.from().unwrap().tag(), None);
    assert_eq!(r.headers.content_length().unwrap(), None);
    assert!(r.body.starts_with(b"v=0"));
    assert_eq!(
        r.headers.record_routes().unwrap()[0]
            .uri
            .params()
            .unwrap()
            .get("maddr"),
        Some("ss1.example.com")
    );
    // bare addr-spec: ;user=phone is a header parameter of To (RFC 3261 §20.10)
    assert_eq!(r.headers.to().unwrap().params.get("user"), Some("phone"));
}

// RFC 4475 §3.3.5, §3.3.6, §3.3.15, §3.1.1.2: the headers that go with the rejections.
#[test]
fn rejection_headers() {
    let p = registrar_policy();
    let rej =
        |name: &str| tipring_sip_message::check_request(&request(name).unwrap(), &p).unwrap_err();
    if rfc4475_dir().is_none() {
        return;
    }
    let r = rej("bext01.dat");
    assert_eq!(
        r.headers,
        [(
            "Unsupported".into(),
            "nothingSupportsThis, nothingSupportsThisEither".into()
        )]
    );
    let r = rej("invut.dat");
    assert_eq!(r.headers[0].0, "Accept");
    assert!(r.headers[0].1.contains("application/sdp"));
    let r = rej("sdp01.dat");
    assert_eq!(r.headers[0].0, "Warning");
    assert!(r.headers[0].1.starts_with("399 tipring \""));
    let r = rej("esc02.dat");
    assert_eq!(r.headers[0].0, "Allow");
    assert_eq!(rej("badvers.dat").status, 505);
}

// RFC 4475 §3.3.7: a UA that is not a registrar answers REGISTER with 405 + Allow.
#[test]
fn regaut01_as_plain_ua() {
    let Some(r) = request("regaut01.dat") else {
        return;
    };
    let rej = tipring_sip_message::check_request(&r, &UaPolicy::default()).unwrap_err();
    assert_eq!(rej.status, 405);
    assert!(rej.headers.iter().any(|(n, _)| n == "Allow"));
    // As a registrar it passes; the unknown scheme is not digest.
    assert!(tipring_sip_message::check_request(&r, &registrar_policy()).is_ok());
    assert!(
        tipring_sip_message::auth::Credentials::parse(r.headers.get("Authorization").unwrap())
            .is_err()
    );
}

// RFC 4475 over a stream (RFC 3261 §18.3): Content-Length frames; clerr waits for more,
// ncl/mcl01 close the connection, baddn (no empty line) waits; none panics.
#[test]
fn over_a_stream() {
    let Some((dir, rows)) = index() else { return };
    for row in rows {
        let bytes = fs::read(dir.join(&row.file)).unwrap();
        let mut f = StreamFramer::default();
        f.push(&bytes);
        let got = f.next();
        match row.file.as_str() {
            "clerr.dat" | "baddn.dat" => assert_eq!(got.unwrap(), None, "{}", row.file),
            "ncl.dat" | "mcl01.dat" | "inv2543.dat" => {
                assert!(got.unwrap_err().is_framing(), "{}", row.file)
            }
            _ => match got {
                Ok(Some(Frame::Message(m))) => {
                    // dblreq: two messages back to back (the 2nd frames by its own CL).
                    assert!(m.len() <= bytes.len(), "{}", row.file);
                }
                other => panic!("{}: {other:?}", row.file),
            },
        }
    }
}

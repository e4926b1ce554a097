//! Micro-benchmark: parse a typical 1 KB INVITE, then read 11 typed headers.
//!
//! Baseline (shared/notes/rsip-0.4-assessment.md): rsip 0.4 took ~2.2 µs to parse a 1 KB
//! INVITE and ~8 µs with 11 typed accessors. Run with `cargo bench -p tipring-sip-message`.
//! Timing is printed, never asserted.

use std::hint::black_box;
use std::time::{Duration, Instant};

use tipring_sip_message::{Message, UaPolicy};

const INVITE: &[u8] = b"INVITE sip:1001@192.0.2.51:5062;transport=udp SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.20:5060;rport;branch=z9hG4bKPj5a4c1b8e-77d1-4a3f-9f0e-3d1b2c7a9e10\r\n\
From: \"Reception\" <sip:200@pbx.example.com>;tag=0f1e7b4a-3c2d-4e5f-8a9b-1c2d3e4f5a6b\r\n\
To: <sip:1001@192.0.2.51;transport=udp>\r\n\
Contact: <sip:asterisk@192.0.2.20:5060>;+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\"\r\n\
Call-ID: 3f4e5d6c-7b8a-4c9d-8e0f-1a2b3c4d5e6f\r\n\
CSeq: 17745 INVITE\r\n\
Allow: OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, MESSAGE, REFER\r\n\
Supported: 100rel, timer, replaces, norefersub\r\n\
Session-Expires: 1800;refresher=uac\r\n\
Min-SE: 90\r\n\
P-Asserted-Identity: \"Reception\" <sip:200@pbx.example.com>\r\n\
Max-Forwards: 70\r\n\
User-Agent: Asterisk PBX 20.5.0\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 261\r\n\
\r\n\
v=0\r\n\
o=- 1687958520 1687958520 IN IP4 192.0.2.20\r\n\
s=Asterisk\r\n\
c=IN IP4 192.0.2.20\r\n\
t=0 0\r\n\
m=audio 14586 RTP/AVP 0 8 9 101\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:9 G722/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=maxptime:150\r\n\
a=sendrecv\r\n";

/// The benchmark's one clock.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

/// Run `f` for about `budget`, after a warm-up; return ns per call.
fn measure(budget: Duration, mut f: impl FnMut()) -> f64 {
    for _ in 0..2_000 {
        f();
    }
    let mut iters: u64 = 0;
    let start = now();
    loop {
        for _ in 0..1_000 {
            f();
        }
        iters += 1_000;
        let el = start.elapsed();
        if el >= budget {
            return el.as_nanos() as f64 / iters as f64;
        }
    }
}

fn typed_reads(m: &Message) -> usize {
    let h = m.headers();
    let mut n = 0;
    n += h.top_via().expect("via").branch().map_or(0, str::len);
    n += h.from().expect("from").tag().map_or(0, str::len);
    n += h.to().expect("to").params.len();
    n += h.call_id().expect("call-id").len();
    n += h.cseq().expect("cseq").seq as usize;
    n += h.contacts().expect("contact").len();
    n += h.max_forwards().expect("mf").unwrap_or(0) as usize;
    n += h.content_length().expect("cl").unwrap_or(0) as usize;
    n += h.content_type().expect("ct").map_or(0, |c| c.subtype.len());
    n += h.supported().expect("supported").len();
    n += h
        .session_expires()
        .expect("se")
        .map_or(0, |s| s.delta as usize);
    n
}

fn main() {
    assert!(
        INVITE.len() > 900 && INVITE.len() < 1200,
        "INVITE is {} bytes",
        INVITE.len()
    );
    let budget = Duration::from_millis(700);
    let parse = measure(budget, || {
        black_box(Message::parse(black_box(INVITE)).expect("parse"));
    });
    let typed = measure(budget, || {
        let m = Message::parse(black_box(INVITE)).expect("parse");
        black_box(typed_reads(&m));
    });
    let msg = Message::parse(INVITE).expect("parse");
    let write = measure(budget, || {
        black_box(black_box(&msg).to_bytes());
    });
    let policy = UaPolicy::default();
    let check = measure(budget, || {
        let m = Message::parse(black_box(INVITE)).expect("parse");
        let r = m.as_request().expect("request");
        black_box(tipring_sip_message::check_request(r, &policy).is_ok());
    });
    println!("tipring-sip-message, {}-byte INVITE:", INVITE.len());
    println!(
        "  parse                      {:>8.0} ns   (rsip 0.4 baseline ~2200 ns: {:.2}x)",
        parse,
        2200.0 / parse
    );
    println!(
        "  parse + 11 typed headers   {:>8.0} ns   (rsip 0.4 baseline ~8000 ns: {:.2}x)",
        typed,
        8000.0 / typed
    );
    println!("  to_bytes                   {:>8.0} ns", write);
    println!("  parse + check_request      {:>8.0} ns", check);
}

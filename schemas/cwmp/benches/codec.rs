//! Codec throughput: Inform parse and build, and a 500-parameter
//! GetParameterValuesResponse parse and build, each printed beside the floor —
//! the time quick-xml alone takes to tokenize the same bytes (every event read, nothing
//! decoded or kept) — so the ratio shows what the codec adds.
//!
//! Run with `cargo bench -p tipring-cwmp`. Target (brief): an ACS core handling
//! thousands of sessions per second, i.e. Inform parse + InformResponse build well
//! under 100 µs.

use std::hint::black_box;
use std::time::{Duration, Instant};

use quick_xml::events::Event;
use quick_xml::Reader;
use tipring_cwmp::{parse, Body, Envelope};

/// The bench's one clock.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

/// Mean time per call of `f`, over at least `min` of wall time (after a warm-up).
fn time_per_call(min: Duration, mut f: impl FnMut()) -> Duration {
    for _ in 0..50 {
        f();
    }
    let mut iters: u32 = 64;
    loop {
        let start = now();
        for _ in 0..iters {
            f();
        }
        let elapsed = start.elapsed();
        if elapsed >= min {
            return elapsed / iters;
        }
        iters = iters.saturating_mul(2);
    }
}

fn tokenize(bytes: &[u8]) -> usize {
    let mut reader = Reader::from_reader(bytes);
    let mut n = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) | Err(_) => return n,
            Ok(e) => {
                black_box(&e);
                n += 1;
            }
        }
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn report(what: &str, ours: Duration, floor: Duration) {
    println!(
        "{what:<46} ours: {:>8.2} µs/msg ({:>9.0} msg/s)   quick-xml tokenize: {:>7.2} µs   ratio {:>4.1}x",
        micros(ours),
        1.0 / ours.as_secs_f64(),
        micros(floor),
        ours.as_secs_f64() / floor.as_secs_f64()
    );
}

fn load(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn main() {
    let min = Duration::from_millis(if std::env::args().any(|a| a == "--quick") {
        50
    } else {
        700
    });

    let inform_bytes = load("tr181-device-inform-1-2.xml");
    let inform = parse(&inform_bytes).unwrap().unwrap();
    let inform_written = inform.to_xml();
    let gpv_bytes = load("cpe-get-parameter-values-response-500.xml");
    let gpv = parse(&gpv_bytes).unwrap().unwrap();
    let gpv_written = gpv.to_xml();
    let Some(Body::GetParameterValuesResponse(params)) = &gpv.body else {
        unreachable!()
    };
    assert_eq!(params.len(), 500);

    println!(
        "tipring-cwmp codec (Inform: {} bytes, 10 parameters; GPV response: {} bytes, 500 parameters)",
        inform_bytes.len(),
        gpv_bytes.len()
    );

    let floor = time_per_call(min, || {
        black_box(tokenize(black_box(&inform_bytes)));
    });
    let t = time_per_call(min, || {
        black_box(parse(black_box(&inform_bytes)).unwrap());
    });
    report("Inform parse", t, floor);
    let parse_inform = t;

    let floor_w = time_per_call(min, || {
        black_box(tokenize(black_box(&inform_written)));
    });
    let mut buf = Vec::with_capacity(8192);
    let t = time_per_call(min, || {
        buf.clear();
        black_box(&inform).write_xml(&mut buf);
        black_box(&buf);
    });
    report("Inform build (write_xml, reused buffer)", t, floor_w);
    let t = time_per_call(min, || {
        black_box(black_box(&inform).to_xml());
    });
    report("Inform build (to_xml, new Vec)", t, floor_w);

    let response = inform.reply(Body::InformResponse(1));
    let t_resp = time_per_call(min, || {
        black_box(black_box(&response).to_xml());
    });
    let t = time_per_call(min, || {
        let req = parse(black_box(&inform_bytes)).unwrap().unwrap();
        let resp: Envelope = req.reply(Body::InformResponse(1));
        black_box(resp.to_xml());
    });
    report("ACS step: Inform parse + InformResponse build", t, floor);
    println!(
        "    (InformResponse build alone: {:.2} µs; Inform parse {:.2} µs)",
        micros(t_resp),
        micros(parse_inform)
    );

    let floor = time_per_call(min, || {
        black_box(tokenize(black_box(&gpv_bytes)));
    });
    let t = time_per_call(min, || {
        black_box(parse(black_box(&gpv_bytes)).unwrap());
    });
    report("GetParameterValuesResponse x500 parse", t, floor);

    let floor_w = time_per_call(min, || {
        black_box(tokenize(black_box(&gpv_written)));
    });
    let mut buf = Vec::with_capacity(128 * 1024);
    let t = time_per_call(min, || {
        buf.clear();
        black_box(&gpv).write_xml(&mut buf);
        black_box(&buf);
    });
    report("GetParameterValuesResponse x500 build", t, floor_w);
}

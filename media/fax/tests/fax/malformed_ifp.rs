//! Malformed IFP packets are rejected with an error and the gateway keeps
//! working: a fax still completes after garbage was injected mid-call.

use tipring_fax::{FaxError, GatewayConfig, T38Gateway};

use crate::common::{check_document, describe, scratch, test_document, GatewayPair, Loss};

/// Packets spandsp must reject (T.38 §A.1 IFP encoding).
fn garbage() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("empty", vec![]),
        // Indicator (type 0) with the data-field bit set.
        ("indicator with data field", vec![0x80 | (1 << 1)]),
        // V.21 data, one field of 100 octets announced, two present.
        (
            "truncated data field",
            vec![0xC0, 0x01, 0x80, 0x00, 0x63, 0x01, 0x02],
        ),
        // Data type beyond V.17 14400 (4-bit code 9..15 are not defined).
        ("unknown data type", vec![0xC0 | (0x0F << 1), 0x00]),
        // An indicator followed by trailing octets.
        ("trailing octets", vec![0x02, 0xFF, 0xFF, 0xFF]),
    ]
}

#[test]
fn garbage_is_rejected_on_a_fresh_gateway() {
    let mut gw = T38Gateway::new(&GatewayConfig::default()).expect("gateway");
    for (seq, (what, bytes)) in garbage().into_iter().enumerate() {
        match gw.ifp_from_network(seq as u16, &bytes) {
            Err(FaxError::RejectedIfp { len, .. }) => assert_eq!(len, bytes.len()),
            other => panic!("{what}: {other:?}"),
        }
    }
    assert_eq!(gw.stats().ifp_rejected, garbage().len() as u64);
    // Still alive: audio flows.
    let mut out = [1i16; 80];
    gw.audio_from_line(&[0; 80]);
    gw.audio_to_line(&mut out);
}

#[test]
fn fax_completes_after_garbage_mid_call() {
    let dir = scratch("garbage_mid_call");
    let doc = test_document(&dir, 3);
    let out = dir.join("received.tif");
    let mut pair = GatewayPair::new(&doc, &out, &GatewayConfig::default(), true, Loss::None);
    let mut injected = 0;
    // Inject every 2 s from 4 s to 20 s (control and image phases), each with
    // the next sequence number, as if a corrupted datagram had arrived.
    let run = pair.run(|t, p| {
        if (8000 * 4..=8000 * 20).contains(&t) && t.is_multiple_of(16_000) {
            for (what, bytes) in garbage() {
                let seq = p.ab.take_seq();
                let r = p.gw_b.ifp_from_network(seq, &bytes);
                assert!(r.is_err(), "{what} accepted at t={t}");
                injected += 1;
            }
        }
    });
    println!("injected {injected} malformed packets");
    println!("  sender:   {}", describe(&run.tx));
    println!("  receiver: {}", describe(&run.rx));
    println!("  gateway B: {:?}", pair.gw_b.stats());
    assert_eq!(pair.gw_b.stats().ifp_rejected, injected);
    let (tx, rx) = (
        run.tx.expect("sender phase E"),
        run.rx.expect("receiver phase E"),
    );
    assert!(tx.success && rx.success, "{} / {}", tx.result, rx.result);
    drop(pair);
    let worst = check_document(&out, 3);
    assert!(worst < 0.001);
}

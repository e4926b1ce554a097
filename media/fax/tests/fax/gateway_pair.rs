//! Audio fax machine -> T38Gateway -> IFP in memory -> T38Gateway -> audio fax
//! machine: a 3-page document arrives intact, with ECM on and off, at the
//! V.17 (14,400) and V.29 (9,600) limits.

use tipring_fax::GatewayConfig;

use crate::common::{check_document, describe, scratch, test_document, GatewayPair, Loss};

fn gateway_fax(name: &str, ecm: bool, max_bit_rate: u32) {
    let dir = scratch(name);
    let doc = test_document(&dir, 3);
    let out = dir.join("received.tif");
    let cfg = GatewayConfig {
        ecm,
        max_bit_rate,
        ..GatewayConfig::default()
    };
    let mut pair = GatewayPair::new(&doc, &out, &cfg, ecm, Loss::None);
    let run = pair.run(|_, _| {});
    let (sa, sb) = (pair.gw_a.stats(), pair.gw_b.stats());
    println!("{name}: {:.1} s of audio", run.seconds);
    println!("  sender:   {}", describe(&run.tx));
    println!("  receiver: {}", describe(&run.rx));
    println!("  gateway A: {sa:?}");
    println!("  gateway B: {sb:?}");
    let (tx, rx) = (
        run.tx.expect("sender phase E"),
        run.rx.expect("receiver phase E"),
    );
    assert!(tx.success, "sender: {}", tx.result);
    assert!(rx.success, "receiver: {}", rx.result);
    assert_eq!((tx.pages, rx.pages), (3, 3));
    assert_eq!(rx.bit_rate, max_bit_rate);
    assert_eq!(rx.ecm, ecm);
    for s in [sa, sb] {
        assert_eq!(s.pages, 3, "gateway pages");
        assert_eq!(s.bit_rate, max_bit_rate);
        assert_eq!(s.ecm, ecm);
        assert_eq!(s.oversize_ifp, 0);
        assert_eq!(s.ifp_rejected, 0);
    }
    drop(pair);
    let worst = check_document(&out, 3);
    println!("  worst page differing fraction: {worst:.6}");
    assert!(worst < 0.001, "pages differ by {worst}");
}

#[test]
fn v17_14400_ecm() {
    gateway_fax("gw_v17_ecm", true, 14_400);
}

#[test]
fn v17_14400_no_ecm() {
    gateway_fax("gw_v17_no_ecm", false, 14_400);
}

#[test]
fn v29_9600_ecm() {
    gateway_fax("gw_v29_ecm", true, 9600);
}

#[test]
fn v29_9600_no_ecm() {
    gateway_fax("gw_v29_no_ecm", false, 9600);
}

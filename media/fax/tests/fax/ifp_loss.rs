//! IFP loss between two gateways: without redundancy (reported, not asserted)
//! and with every lost packet recovered from the next packet's redundancy.

use tipring_fax::GatewayConfig;

use crate::common::{check_document, describe, scratch, test_document, GatewayPair, Loss, Rng};

const LOSS_RATE: f64 = 0.02;

fn lossy(
    name: &str,
    ecm: bool,
    loss: Loss,
) -> (GatewayPair, crate::common::Run, std::path::PathBuf) {
    let dir = scratch(name);
    let doc = test_document(&dir, 3);
    let out = dir.join("received.tif");
    let cfg = GatewayConfig {
        ecm,
        ..GatewayConfig::default()
    };
    let mut pair = GatewayPair::new(&doc, &out, &cfg, ecm, loss);
    let run = pair.run(|_, _| {});
    println!(
        "{name}: {:.1} s; A->B lost {} of {} ({} recovered), B->A lost {} of {} ({} recovered)",
        run.seconds,
        pair.ab.lost,
        pair.ab.sent,
        pair.ab.recovered,
        pair.ba.lost,
        pair.ba.sent,
        pair.ba.recovered
    );
    println!("  sender:   {}", describe(&run.tx));
    println!("  receiver: {}", describe(&run.rx));
    println!("  gateway A: {:?}", pair.gw_a.stats());
    println!("  gateway B: {:?}", pair.gw_b.stats());
    (pair, run, out)
}

/// 2 % of packet copies lost, nothing recovers them: shows what happens
/// without redundancy. Only reported.
#[test]
fn two_percent_loss_without_redundancy() {
    for (ecm, seed) in [(true, 7), (false, 7), (true, 11), (false, 11)] {
        let name = format!("loss_{}_{seed}", if ecm { "ecm" } else { "no_ecm" });
        let (pair, run, out) = lossy(
            &name,
            ecm,
            Loss::Drop {
                rate: LOSS_RATE,
                rng: Rng::new(seed),
            },
        );
        drop(pair);
        if run.rx.as_ref().is_some_and(|o| o.pages > 0) {
            if let Ok(pages) = tipring_fax::document::read_pages(&out) {
                for (i, p) in pages.iter().enumerate() {
                    let m = tipring_fax::document::compare(
                        &tipring_fax::document::test_page(i as u32 + 1),
                        p,
                    );
                    println!(
                        "  page {}: {}x{}, differing {:.6}",
                        i + 1,
                        p.width,
                        p.height,
                        m.differing
                    );
                }
            }
        }
    }
}

/// The same loss, but each lost packet arrives from the redundancy of the next
/// one (UDPTL redundancy depth 2): the fax succeeds.
#[test]
fn two_percent_loss_recovered_by_redundancy() {
    for ecm in [true, false] {
        let name = format!("recover_{}", if ecm { "ecm" } else { "no_ecm" });
        let (pair, run, out) = lossy(
            &name,
            ecm,
            Loss::Recover {
                rate: LOSS_RATE,
                rng: Rng::new(7),
            },
        );
        assert!(
            pair.ab.lost + pair.ba.lost > 0,
            "the loss model lost nothing"
        );
        drop(pair);
        let (tx, rx) = (
            run.tx.expect("sender phase E"),
            run.rx.expect("receiver phase E"),
        );
        assert!(tx.success && rx.success, "{} / {}", tx.result, rx.result);
        assert_eq!(rx.pages, 3);
        let worst = check_document(&out, 3);
        println!("  worst page differing fraction: {worst:.6}");
        assert!(worst < 0.001);
    }
}

//! Fax between two gateways through Kamailio: a simulated fax machine (spandsp's T.30
//! terminal on the port's line, `fax send`) on gateway A sends a 3-page TIFF to a fax
//! machine on gateway B (`fax receive`), over T.38 (UDPTL with redundancy) at 0, 1 and
//! 3 % datagram loss, and over G.711 pass-through at 0 and 0.5 %. The loss is made by
//! the gateways themselves (`--media-loss`: received RTP/UDPTL datagrams dropped at random;
//! loopback has no netem here). The received pages are read back through libtiff and
//! compared pixel by pixel with the sent ones; `tiffinfo` checks the file independently.
//!
//! Needs kamailio (`ops/install-deps`); tiffinfo is optional.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tipring_agent::media::MediaOptions;
use tipring_integration_tests::peers::{Kamailio, KamailioConfig};

use crate::Agent;

const DOMAIN: &str = "tipring.test";
const WAIT: Duration = Duration::from_secs(15);
/// A 3-page fax at 9,600..14,400 bit/s takes 35..55 s of line time; loss adds retries.
const FAX_TIME: Duration = Duration::from_secs(150);
const PAGES: u32 = 3;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tipring-fax-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    T38,
    PassThrough,
}

/// Gateway A (extension 101) faxes gateway B (extension 201) through Kamailio with
/// `loss` percent of the media datagrams each receives dropped. Returns both transcripts.
fn fax(name: &str, mode: Mode, loss: f64) -> (String, String) {
    let dir = scratch(name);
    let doc = dir.join("sent.tif");
    let got = dir.join("received.tif");
    tipring_fax::document::write_test_document(&doc, PAGES).unwrap();
    let cfg = KamailioConfig::new(DOMAIN)
        .account("101", "pw-101")
        .account("201", "pw-201");
    let k = Kamailio::start(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let media = MediaOptions {
        loss_percent: loss,
        ..MediaOptions::default()
    };
    let policy = |opts: &mut tipring_agent::sim::Options, first: u32| {
        opts.first_extension = first;
        let mut port = opts.port(0);
        port.fax.t38_enable = mode == Mode::T38;
        opts.per_port = vec![port];
    };
    let mut a = Agent::start_tweaked(1, vec![k.addr()], DOMAIN, media.clone(), |o| policy(o, 101));
    let mut b = Agent::start_tweaked(1, vec![k.addr()], DOMAIN, media, |o| policy(o, 201));
    a.expect(&["ext 101]", "SIP: registered"], WAIT);
    b.expect(&["ext 201]", "SIP: registered"], WAIT);
    b.send(&format!("fax receive 1 {}", got.display()));
    b.expect(&["fax machine ready to receive"], WAIT);
    a.send("lift 1");
    a.expect(&["phone hears 350+440 Hz"], WAIT);
    a.send("press 1 201");
    b.expect(&["phone RINGS"], WAIT);
    // The calling machine is on the line from now on (CNG while it rings).
    a.send(&format!("fax send 1 {}", doc.display()));
    a.expect(&["fax machine sending"], WAIT);
    b.send("lift 1");
    let sent = a.expect(&["fax machine:"], FAX_TIME);
    let received = b.expect(&["fax machine:"], FAX_TIME);
    a.send("hang 1");
    b.send("hang 1");
    let ended = |g: &mut Agent| match mode {
        Mode::T38 => g.expect(&["T.38 relay ended"], WAIT),
        Mode::PassThrough => String::new(),
    };
    let (ea, eb) = (ended(&mut a), ended(&mut b));
    let (ta, tb) = (a.transcript(), b.transcript());
    assert!(
        sent.contains(&format!("sent {PAGES} pages, done")),
        "A: {sent}\n{ta}"
    );
    assert!(
        received.contains(&format!("received {PAGES} pages, done")),
        "B: {received}\n{tb}"
    );
    match mode {
        Mode::T38 => {
            for (t, e) in [(&ta, &ea), (&tb, &eb)] {
                assert!(t.contains("fax: T.38 relay to"), "{t}");
                assert!(e.contains(&format!(" {PAGES} pages")), "{e}");
                assert!(e.contains(" 0 malformed"), "{e}");
            }
            assert!(ea.contains("sent,"), "{ea}");
            assert!(eb.contains("received,"), "{eb}");
            assert!(tb.contains("fax: asking the far end for T.38"), "{tb}");
        }
        Mode::PassThrough => {
            for t in [&ta, &tb] {
                assert!(t.contains("fax: G.711 pass-through"), "{t}");
                assert!(
                    t.contains("PCMU to") && t.contains("RFC 2198 redundancy"),
                    "{t}"
                );
                assert!(!t.contains("T.38 relay to"), "{t}");
            }
        }
    }
    check_pages(&doc, &got);
    eprintln!("{name}: {sent} / {received} / {ea} / {eb}");
    let _ = std::fs::remove_dir_all(&dir);
    (ta, tb)
}

/// The received pages are the sent ones: same count and size, and pixel by pixel equal
/// but for what the line's errors (non-ECM) may have spoiled.
pub(crate) fn check_pages(sent: &Path, received: &Path) {
    use tipring_fax::document::{compare, read_pages};
    let s = read_pages(sent).unwrap();
    let r = read_pages(received).unwrap();
    assert_eq!(s.len(), r.len(), "page count");
    for (i, (a, b)) in s.iter().zip(&r).enumerate() {
        let m = compare(a, b);
        assert!(
            m.same_size,
            "page {}: {}x{} sent, {}x{} received",
            i + 1,
            a.width,
            a.height,
            b.width,
            b.height
        );
        assert!(
            m.differing < 0.001,
            "page {}: {:.4} % of the pixels differ",
            i + 1,
            m.differing * 100.0
        );
    }
    // libtiff's own tool reads the received file: as many directories (pages), 1728 wide.
    if let Ok(out) = std::process::Command::new("tiffinfo")
        .arg(received)
        .output()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            text.matches("Image Width: 1728").count(),
            s.len(),
            "tiffinfo:\n{text}"
        );
    } else {
        eprintln!("tiffinfo not installed: the independent TIFF check is skipped");
    }
}

#[test]
fn t38_fax_without_loss() {
    fax("t38-0", Mode::T38, 0.0);
}

#[test]
fn t38_fax_with_1_percent_loss() {
    fax("t38-1", Mode::T38, 1.0);
}

#[test]
fn t38_fax_with_3_percent_loss() {
    fax("t38-3", Mode::T38, 3.0);
}

#[test]
fn g711_pass_through_fax_without_loss() {
    fax("g711-0", Mode::PassThrough, 0.0);
}

#[test]
fn g711_pass_through_fax_with_half_a_percent_loss() {
    fax("g711-05", Mode::PassThrough, 0.5);
}

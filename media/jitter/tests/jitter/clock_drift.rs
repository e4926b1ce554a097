//! Sender clock drift: a sender running ±500 ppm fast/slow makes the buffer level creep
//! by 0.5 ms per second; accelerate/expand keep it bounded over 10 minutes.

use tipring_jitter::netem::{Jitter, Netem, NetemConfig};
use tipring_jitter::Config;

use crate::common::*;

fn run_drift(ppm: f64) -> (tipring_jitter::Stats, Run) {
    let t0 = epoch();
    let mut jb = narrow_jb(Config {
        max_events: 0,
        ..Config::default()
    });
    let mut n = Netem::new(NetemConfig {
        base_delay: ms(20),
        jitter: Jitter::Uniform { max: ms(20) },
        reorder: true,
        drift_ppm: ppm,
        seed: 7,
        ..NetemConfig::default()
    });
    let run = drive_netem(&mut jb, &mut n, t0, 600, 0, 0, false);
    (jb.stats(), run)
}

fn check(ppm: f64) {
    let (st, run) = run_drift(ppm);
    // Without correction the level would move by 300 ms over 10 min.
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for &(t, d, target) in &run.delays {
        if t > 10_000 && t < 600_000 {
            let e = i64::from(d) - i64::from(target);
            lo = lo.min(e);
            hi = hi.max(e);
        }
    }
    assert!(
        lo >= -15 && hi <= 25,
        "ppm {ppm}: level - target in [{lo}, {hi}] ms"
    );
    // 300 ms to absorb: the right operation did the work.
    if ppm > 0.0 {
        assert!(st.samples_removed >= 8 * 250, "{st:?}");
    } else {
        // A slow sender starves the buffer: pitch-period expansion and, when a packet
        // is due before an expansion fits, waiting for it (concealment without skipping
        // anything) add the missing 300 ms; nothing is lost.
        assert!(st.expand_count > 0, "{st:?}");
        assert!(
            st.samples_inserted + st.concealed_samples >= 8 * 250,
            "{st:?}"
        );
    }
    assert_eq!(st.lost, 0);
    assert!(st.late < 50, "late {}", st.late);
}

#[test]
fn fast_sender_500ppm_stays_bounded_for_10_minutes() {
    check(500.0);
}

#[test]
fn slow_sender_500ppm_stays_bounded_for_10_minutes() {
    check(-500.0);
}

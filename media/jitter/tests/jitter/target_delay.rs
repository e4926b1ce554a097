//! The adaptive target follows the measured delay distribution (NetEQ-style quantile of
//! per-interval maxima) and the played delay follows the target.

use std::time::Duration;

use tipring_jitter::netem::{Jitter, Netem, NetemConfig};
use tipring_jitter::{Config, FrameKind};

use crate::common::*;

fn net(max_ms: u64, seed: u64) -> Netem<u32> {
    Netem::new(NetemConfig {
        base_delay: ms(20),
        jitter: Jitter::Uniform { max: ms(max_ms) },
        reorder: true,
        seed,
        ..NetemConfig::default()
    })
}

#[test]
fn target_settles_near_top_of_jitter_and_delay_follows() {
    let t0 = epoch();
    let mut jb = narrow_jb(Config::default());
    let mut n = net(40, 1);
    let run = drive_netem(&mut jb, &mut n, t0, 30, 0, 0, false);
    let st = jb.stats();
    // Uniform 0..40 ms: per-packet p95 = 38 ms.
    assert!(
        (34.0..=41.0).contains(&st.jitter_p95_ms),
        "{}",
        st.jitter_p95_ms
    );
    assert!(
        (36..=46).contains(&st.nominal_delay_ms),
        "{}",
        st.nominal_delay_ms
    );
    // Over the last 20 s the played delay stays within [target - 10, target + 20] ms.
    for &(t, d, target) in run.delays.iter().filter(|x| x.0 > 10_000 && x.0 < 30_000) {
        assert!(
            d + 10 >= target && d <= target + 20,
            "t={t} delay={d} target={target}"
        );
    }
    // Few packets are late (quantile of interval maxima) and none is lost (no loss).
    assert!(st.late <= 10, "late {}", st.late);
    assert_eq!(st.lost, 0);
    assert!(run.count(FrameKind::Normal) > 2500);
}

#[test]
fn target_tracks_a_step_change_in_jitter() {
    let t0 = epoch();
    let mut jb = narrow_jb(Config::default());
    // 20 s at 0..20 ms jitter, then 20 s at 0..60 ms, then 100 s back at 0..20 ms.
    let mut n = net(20, 2);
    drive_netem(&mut jb, &mut n, t0, 20, 0, 0, false);
    let low = jb.target_delay_ms();
    assert!((16..=26).contains(&low), "{low}");

    // Same sender timeline continues (seq and timestamp continue where they stopped).
    let mut n = net(60, 3);
    let t1 = t0 + Duration::from_secs(20);
    let run = drive_netem(&mut jb, &mut n, t1, 20, 1000, 160 * 1000, false);
    // Within 5 s of the step the target is above 50 ms.
    let up = run
        .delays
        .iter()
        .find(|x| x.2 >= 50)
        .map(|x| x.0)
        .expect("target rose");
    assert!(up <= 5_000, "rose after {up} ms");

    let mut n = net(20, 4);
    let t2 = t1 + Duration::from_secs(20);
    let run = drive_netem(&mut jb, &mut n, t2, 100, 2000, 160 * 2000, false);
    let down = run
        .delays
        .iter()
        .find(|x| x.2 <= 26)
        .map(|x| x.0)
        .expect("target fell");
    // The histogram forgets at 0.983 per 500 ms: ~90 s until old maxima fall under 5 %.
    assert!(down <= 100_000, "fell after {down} ms");
    // And the played delay came down with it (accelerate).
    let last = run.delays.last().unwrap();
    assert!(last.1 <= last.2 + 15, "{last:?}");
}

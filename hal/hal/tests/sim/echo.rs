//! The hybrid echo path: delay and echo return loss as configured.

use std::time::Duration;

use tipring_dsp::level::rms_dbm0;
use tipring_hal::sim::{EchoPath, SimConfig};

use crate::{Noise, Rig};

/// Send white noise, find the echo's delay by cross-correlation and its loss by power ratio
/// (ERL as ITU-T G.168 §3.4 defines it).
fn measure(path: EchoPath, seed: u64) -> (usize, f32) {
    let mut rig = Rig::new(SimConfig {
        echo: Some(path),
        seed,
        ..SimConfig::default()
    });
    rig.port.lift(rig.ms(0));
    rig.run_to(100);
    let tx = Noise::new(seed + 7).white(-20.0, 8000);
    let rx = rig.port.play(&tx);
    let max_lag = 8 * 40;
    let corr: Vec<f64> = (0..max_lag)
        .map(|lag| {
            (0..tx.len() - lag)
                .map(|i| f64::from(tx[i]) * f64::from(rx[i + lag]))
                .sum()
        })
        .collect();
    let peak = (0..max_lag)
        .max_by(|&a, &b| corr[a].abs().total_cmp(&corr[b].abs()))
        .unwrap();
    // Skip the first 100 ms (the echo filling up) when measuring power.
    let erl = rms_dbm0(&tx[800..]) - rms_dbm0(&rx[800..]);
    (peak, erl)
}

#[test]
fn default_echo_has_5ms_delay_and_12db_erl() {
    let (delay, erl) = measure(EchoPath::default(), 1);
    assert_eq!(delay, 40, "5 ms at 8 kHz");
    assert!((erl - 12.0).abs() <= 1.0, "ERL {erl}");
}

#[test]
fn configured_echo_path_is_honoured() {
    for (seed, delay_ms, erl_db, disp_ms) in [(2, 12, 20.0, 8), (3, 0, 6.0, 0), (4, 30, 30.0, 16)] {
        let path = EchoPath {
            delay: Duration::from_millis(delay_ms),
            erl_db,
            dispersion: Duration::from_millis(disp_ms),
        };
        let (delay, erl) = measure(path, seed);
        assert_eq!(delay, delay_ms as usize * 8, "{path:?}");
        assert!((erl - erl_db).abs() <= 1.0, "{path:?}: ERL {erl}");
    }
}

#[test]
fn no_echo_without_echo_path_or_on_hook() {
    let tx = Noise::new(5).white(-10.0, 4000);
    let mut rig = Rig::quiet();
    rig.port.lift(rig.ms(0));
    rig.run_to(100);
    assert!(rig.port.play(&tx).iter().all(|&s| s == 0));
    let mut rig = Rig::new(SimConfig::default());
    assert!(
        rig.port.play(&tx).iter().all(|&s| s == 0),
        "on hook: no loop, no echo"
    );
}

#[test]
fn echo_is_seeded() {
    let run = |seed| {
        let mut rig = Rig::new(SimConfig {
            seed,
            ..SimConfig::default()
        });
        rig.port.lift(rig.ms(0));
        rig.run_to(100);
        rig.port.play(&Noise::new(9).white(-10.0, 800))
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}

//! The cost of a full `Device.` GetParameterValues and of a 20-parameter
//! SetParameterValues, beside the baseline of serde_json serialising the same
//! `GatewayConfig` (what a config-store write costs at least).
//!
//! Run with `cargo bench -p tipring-datamodel`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use tipring_config::{GatewayConfig, Secret};
use tipring_datamodel::{CwmpState, DeviceIdentity, LiveState, PortLive, Tree};

/// The bench's clock (benches are binaries: they may read it).
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

/// Mean time of `f` over enough runs to fill about `budget`.
fn time<R>(budget: Duration, mut f: impl FnMut() -> R) -> Duration {
    let start = now();
    let mut n = 0u32;
    while start.elapsed() < budget / 10 {
        black_box(f());
        n += 1;
    }
    let runs = (n * 10).max(10);
    let start = now();
    for _ in 0..runs {
        black_box(f());
    }
    start.elapsed() / runs
}

fn main() {
    let ports = 8;
    let mut config = GatewayConfig::example(ports);
    for p in &mut config.ports {
        p.password = Some(Secret::new("bench-secret"));
    }
    config.validate().expect("valid");
    let state = CwmpState::default();
    let live = LiveState {
        ports: vec![PortLive::default(); ports],
        ..LiveState::default()
    };
    let device = DeviceIdentity::default();
    let tree = Tree::new(&config, &state, &live, &device);
    let all = tree.get(&["Device.".into()]).expect("full get");
    let budget = Duration::from_millis(700);

    let get = time(budget, || tree.get(&["Device.".into()]).map(|v| v.len()));
    let json = time(budget, || serde_json::to_string(&config).map(|s| s.len()));
    println!(
        "full get of Device. ({} parameters, {ports} ports): ours: {:.1} µs/get   \
         serde_json::to_string(GatewayConfig): {:.1} µs",
        all.len(),
        get.as_secs_f64() * 1e6,
        json.as_secs_f64() * 1e6
    );

    const VS: &str = "Device.Services.VoiceService.1.";
    let mut values = Vec::new();
    for i in 1..=ports {
        values.push((
            format!("{VS}CallControl.Line.{i}.DirectoryNumber"),
            format!("{}", 500 + i),
            None,
        ));
        values.push((
            format!("{VS}POTS.FXS.{i}.VoiceProcessing.TransmitGain"),
            "-20".to_string(),
            None,
        ));
    }
    values.push((
        format!("{VS}SIP.Network.1.ProxyServer"),
        "pbx2.example.net".into(),
        None,
    ));
    values.push((
        format!("{VS}SIP.Network.1.RegisterExpires"),
        "600".into(),
        None,
    ));
    values.push((
        "Device.ManagementServer.PeriodicInformEnable".into(),
        "true".into(),
        None,
    ));
    values.push(("Device.Time.NTPServer1".into(), "pool.ntp.org".into(), None));
    assert_eq!(values.len(), 20);
    tree.set(&values).expect("the bench's set is valid");
    let set = time(budget, || tree.set(&values).map(|a| a.config_changed));
    let validate = time(budget, || config.validate().is_ok());
    println!(
        "set of 20 parameters: ours: {:.1} µs/set (includes validate(): {:.1} µs)   \
         serde_json::to_string(GatewayConfig): {:.1} µs",
        set.as_secs_f64() * 1e6,
        validate.as_secs_f64() * 1e6,
        json.as_secs_f64() * 1e6
    );
}

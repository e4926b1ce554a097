//! The console in a real browser (Debian's headless Chromium, driven by playwright-core
//! from `ops/console-tests/`): against the lab's provisioner with simulated gateways that
//! take connection requests, sign in (a wrong token refused first), see the fleet counted,
//! find a gateway by its serial, open it and summon it. The screenshots of each screen are
//! kept in the target directory (`console-screenshots/`).

// The test waits on the wall clock for the browser and the gateways.
#![allow(clippy::disallowed_methods)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tipring_fleet::lab::{provisioned_fleet_listening, Lab};
use tipring_fleet::FleetConfig;

#[test]
fn the_console_signs_in_finds_a_gateway_and_summons_it_in_chromium() {
    let tests = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../console-tests");
    assert!(
        tests.join("node_modules/playwright-core").exists(),
        "playwright-core is missing: run ops/install-deps (it runs npm ci in ops/console-tests)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "{chromium} is missing: run ops/install-deps (Debian package chromium)"
    );
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    crate::runtime().block_on(async {
        let lab = Lab::start_temp("test-console").await.unwrap();
        let cfg = FleetConfig {
            devices: 3,
            serial_prefix: "FLCONS".into(),
            acs_url: lab.acs_url(),
            max_in_flight: 4,
            ..FleetConfig::default()
        };
        let (mut fleet, _ids) = provisioned_fleet_listening(
            &lab.client,
            cfg,
            Duration::from_secs(60),
            Some("127.0.0.1:0".parse().unwrap()),
        )
        .await
        .unwrap();
        let serial = fleet.serials()[1].clone();
        let base = format!("http://{}", lab.running.api_addr);
        let token = lab.dir.join("data/admin.token");
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        let script = tests.join("console.test.js");
        let shots2 = shots.clone();
        let browser = tokio::task::spawn_blocking(move || {
            let out = std::process::Command::new("node")
                .arg(&script)
                .arg(&base)
                .arg(&token)
                .arg(&serial)
                .arg(&shots2)
                .env("CHROMIUM", &chromium)
                .output();
            flag.store(true, Ordering::SeqCst);
            out
        });
        // The gateways answer (the summon's connection request among them) meanwhile.
        let deadline = Instant::now() + Duration::from_secs(120);
        while !done.load(Ordering::SeqCst) && Instant::now() < deadline {
            fleet
                .run_until(Instant::now() + Duration::from_millis(250), |_| false)
                .await;
        }
        let out = browser.await.unwrap().expect("node runs");
        assert!(
            out.status.success(),
            "the browser test failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for screen in ["signin", "overview", "devices", "device"] {
            assert!(shots.join(format!("{screen}.png")).exists(), "{screen}.png");
        }
        lab.stop();
    });
}

//! The console in a real browser against real gateways: the provisioner (CWMP over
//! mutual TLS), three `tipring-agent` gateways with only their factory identities, and
//! Kamailio as the PBX. Headless Chromium (Debian's), driven by playwright-core from
//! `ops/console-tests/operations.test.js`, signs in and works as an operator would:
//!
//! * the overview counts the fleet and its registered lines (the gateways reported their
//!   registrations by active notification, which the provisioning pass asked for), and
//!   the quality of the day's calls (a call made through Kamailio, read from the gateway's
//!   TR-104 call log after its call counters came in an Inform);
//! * finds a gateway by serial prefix, sorts, opens it, sees its two ports registered;
//! * edits a parameter (refused first when it is not a number), and sees the value the
//!   gateway reads back;
//! * approves the pending gateway into a site and watches it become provisioned;
//! * makes a claim code (shown once) and expires it; previews a CSV import whose bad row
//!   is marked and cannot be imported, fixes it and imports it;
//! * previews a site's rendered configuration for a device (secrets masked);
//! * starts a rollout of a signed image to the tagged gateways and watches its progress bar
//!   reach done (each gateway downloads, reboots, and keeps the image once its lines
//!   registered again);
//! * tags the gateways in bulk; reads the audit log and the tokens;
//! * signs in again as a read-only user: no action button anywhere, and the API refuses
//!   the action anyway.
//!
//! Screenshots of each screen are kept in the target directory (`console-operations/`).

// The test waits on the wall clock for the browser, the gateways and Kamailio.
#![allow(clippy::disallowed_methods)]

use std::path::PathBuf;

use serde_json::{json, Value};
use tipring_integration_tests::peers::{Kamailio, KamailioConfig};

use crate::services::{scratch, DOMAIN};
use crate::zero_touch::{gateway, gateway_informing, key, tls_provisioner, TEMPLATE};

/// The screens the browser test keeps a picture of.
const SCREENS: &[&str] = &[
    "overview",
    "devices",
    "device",
    "device-edit",
    "enrollment",
    "enrollment-import",
    "site",
    "profile",
    "firmware",
    "rollout-running",
    "rollout",
    "audit",
    "tokens",
    "device-read-only",
];

#[test]
fn an_operator_runs_real_gateways_from_the_console_in_chromium() {
    let tests = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ops/console-tests");
    assert!(
        tests.join("node_modules/playwright-core").exists(),
        "playwright-core is missing: run ops/install-deps (it runs npm ci in ops/console-tests)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "{chromium} is missing: run ops/install-deps (Debian package chromium)"
    );
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console-operations");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();

    let dir = scratch("console-ops");
    let (ca, running, api) = tls_provisioner(&dir);
    let acs_url = running.app.settings.acs_url.clone();

    // Two sites with their own extensions, one profile for every gateway; two gateways
    // pre-registered (tagged for the rollout), a third not: it will wait for approval.
    for (site, first) in [("hq", "201"), ("annex", "301"), ("lab", "401")] {
        api.ok(
            "PUT",
            &format!("/api/v1/sites/{site}"),
            Some(
                json!({ "variables": { "pbx": "127.0.0.1:9", "domain": DOMAIN,
                                        "first_extension": first } }),
            ),
        );
    }
    let template: Value = serde_json::from_str(TEMPLATE).unwrap();
    api.ok(
        "PUT",
        "/api/v1/profiles/fxs",
        Some(json!({ "template": template })),
    );
    api.ok(
        "POST",
        "/api/v1/preregistrations",
        Some(json!([
            { "serial": "TRCN0001", "oui": crate::zero_touch::OUI, "site": "hq", "tags": ["pilot"] },
            { "serial": "TRCN0002", "oui": crate::zero_touch::OUI, "site": "annex", "tags": ["pilot"] }
        ])),
    );
    let (id1, id2, id3) = (
        key("TRCN0001").id(),
        key("TRCN0002").id(),
        key("TRCN0003").id(),
    );
    let mut gw1 = gateway(&dir, &ca, "TRCN0001", &acs_url, None);
    let gw2 = gateway(&dir, &ca, "TRCN0002", &acs_url, None);
    // The pending one calls in every 30 s (the ACS cannot reach a device it never gave
    // connection-request credentials): approved, it is provisioned at its next Inform.
    let gw3 = gateway_informing(&dir, &ca, "TRCN0003", &acs_url, None, Some(30));
    for id in [&id1, &id2] {
        api.wait_device(id, "provisioned", |v| {
            v["device"]["provisioned_digest"].is_string()
        });
    }
    api.wait_device(&id3, "pending", |v| v["device"]["enrollment"] == "pending");

    // The PBX learns the generated passwords; the sites move to it.
    let reveal = |id: &str, n: &str| {
        api.ok(
            "POST",
            &format!("/api/v1/devices/{id}/secrets/{n}/reveal"),
            None,
        )["value"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let k = Kamailio::start(
        &KamailioConfig::new(DOMAIN)
            .account("201", reveal(&id1, "ports.1.password"))
            .account("202", reveal(&id1, "ports.2.password"))
            .account("301", reveal(&id2, "ports.1.password"))
            .account("302", reveal(&id2, "ports.2.password")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for (site, first) in [("hq", "201"), ("annex", "301")] {
        api.ok(
            "PUT",
            &format!("/api/v1/sites/{site}"),
            Some(
                json!({ "variables": { "pbx": k.addr().to_string(), "domain": DOMAIN,
                                        "first_extension": first } }),
            ),
        );
    }
    api.ok("POST", "/api/v1/profiles/fxs/apply", None);
    // Registered, as the gateways told the ACS by themselves (active notification).
    for id in [&id1, &id2] {
        api.wait_device(id, "both lines registered", |v| {
            v["device"]["lines"] == 2 && v["device"]["lines_up"] == 2
        });
    }

    // A call between gateway 1's ports through Kamailio. The provisioning pass asked for
    // passive notification of the call counters: the next Inform (a summons here) carries
    // them, and that session reads the call log into the device's quality bands.
    gw1.send("lift 1");
    std::thread::sleep(std::time::Duration::from_millis(400));
    gw1.send("press 1 202");
    gw1.expect(
        &["[port 2 ext 202]", "phone RINGS"],
        crate::zero_touch::WAIT,
    );
    gw1.send("lift 2");
    gw1.expect(
        &["[port 1 ext 201]", "line: connected"],
        crate::zero_touch::WAIT,
    );
    std::thread::sleep(std::time::Duration::from_secs(3));
    gw1.send("hang 1");
    std::thread::sleep(std::time::Duration::from_secs(2));
    api.ok(
        "POST",
        &format!("/api/v1/devices/{id1}/connection-request"),
        None,
    );
    api.wait_device(&id1, "its call log read", |v| {
        v["device"]["calls_mos"]
            .as_array()
            .is_some_and(|b| b.iter().filter_map(Value::as_u64).sum::<u64>() == 2)
    });

    // A signed image for the rollout, and a read-only user.
    let image = api.upload_release("2.0.0");
    let ro = api.ok(
        "POST",
        "/api/v1/tokens",
        Some(json!({ "name": "noc-viewer", "role": "read_only" })),
    );
    let ro_file = dir.join("read-only.token");
    std::fs::write(&ro_file, ro["token"].as_str().unwrap()).unwrap();

    let out = std::process::Command::new("node")
        .arg(tests.join("operations.test.js"))
        .arg(format!("http://{}", running.api_addr))
        .arg(dir.join("data/admin.token"))
        .arg(&ro_file)
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .env("GW1", &id1)
        .env("GW1_SERIAL", "TRCN0001")
        .env("GW3", &id3)
        .env("SITE3", "lab")
        .env("IMAGE", &image)
        .env("TAG", "pilot")
        .env("ROLLOUT_DEVICES", "2")
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "the browser test failed: {}{}\n--- gateway 1:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        gw1.transcript()
    );
    for screen in SCREENS {
        assert!(shots.join(format!("{screen}.png")).exists(), "{screen}.png");
    }

    // What the browser did, as the API sees it.
    let d = api.ok("GET", &format!("/api/v1/devices/{id3}"), None);
    assert_eq!(d["device"]["enrollment"], "approved");
    assert_eq!(d["device"]["site"], "lab");
    assert!(d["device"]["provisioned_digest"].is_string(), "{d}");
    let r = api.ok("GET", "/api/v1/rollouts/pilot", None);
    assert_eq!(r["summary"]["state"]["state"], "done", "{r}");
    assert_eq!(r["summary"]["total"]["confirmed"], 2, "{r}");
    for id in [&id1, &id2] {
        let d = api.ok("GET", &format!("/api/v1/devices/{id}"), None);
        assert_eq!(d["device"]["software_version"], "2.0.0");
        assert!(
            d["device"]["tags"]
                .as_array()
                .unwrap()
                .contains(&json!("floor2")),
            "{d}"
        );
    }
    let p = api.ok("GET", &format!("/api/v1/devices/{id1}"), None);
    let interval = p["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Device.ManagementServer.PeriodicInformInterval")
        .cloned()
        .unwrap_or_default();
    assert_eq!(interval["value"], "1800", "{interval}");
    let audit = api.ok("GET", "/api/v1/audit?actor=admin&limit=1000", None);
    for action in [
        "device.approve",
        "task.queue",
        "rollout.create",
        "device.bulk",
    ] {
        assert!(
            audit
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == action),
            "no {action} by the console's operator in the audit log"
        );
    }
    let prereg = api.ok("GET", "/api/v1/preregistrations", None).to_string();
    assert!(
        prereg.contains("TRIM0001") && prereg.contains("TRIM0002"),
        "{prereg}"
    );
    let claims = api.ok("GET", "/api/v1/claims", None);
    assert!(claims[0]["expires_at"].as_i64().unwrap() <= tipring_provisioner::app::unix_now());
    let refused = api.ok("GET", "/api/v1/audit?actor=noc-viewer", None);
    assert_eq!(refused, json!([]), "the read-only user changed nothing");
    drop((gw1, gw2, gw3, k));
    running.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

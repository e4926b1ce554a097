//! Zero-touch in one session: a pre-registered gateway bootstraps with its factory
//! certificate, is admitted, and leaves the session provisioned (GetParameterValues, one
//! SetParameterValues with its passwords, 204). A second session sends nothing; a boot
//! is checked without a change; drift is corrected or reported, as the profile says.

use tipring_acs::model::{Enrollment, Preregistration, TaskKind, TaskState};
use tipring_acs::{admit, plan, read_inform, Admission, Credential, VoicePaths};
use tipring_cwmp::{Body, CwmpVersion};

use crate::common::*;

const VS: &str = "Device.Services.VoiceService.1.";

/// Admission and the first session of a factory-fresh two-port gateway.
fn bootstrap() -> (TipringCpe, Transcript, tipring_acs::ProvisionPlan) {
    let mut cpe = TipringCpe::new("TR0001", 2);
    let info = read_inform(&cpe.inform(&["0 BOOTSTRAP", "1 BOOT"]).to_xml()).unwrap();
    let prereg = Preregistration {
        serial: "TR0001".into(),
        oui: String::new(),
        product_class: String::new(),
        site: Some("berlin".into()),
        tags: vec!["wave-1".into()],
        initial_secret_sha256: None,
    };
    let cert = Credential::Certificate {
        serial: Some("TR0001".into()),
        oui: Some("00A0B1".into()),
        product_class: Some("FXS".into()),
        sha256: "5e".repeat(32),
    };
    let Admission::Accept { device, audit, .. } =
        admit(&info, &cert, None, Some(&prereg), None, NOW)
    else {
        panic!("a pre-registered device with its certificate is accepted")
    };
    assert_eq!(device.enrollment, Enrollment::Approved);
    assert_eq!(audit[0].action, "device.enrolled");
    assert_eq!(VoicePaths::detect(&device, &[]), VoicePaths::Tipring);
    let plan = plan_for(&device, 2, VoicePaths::Tipring);
    let t = run(
        &mut cpe,
        &["0 BOOTSTRAP", "1 BOOT"],
        device,
        Vec::new(),
        Some(plan.clone()),
        Vec::new(),
        Vec::new(),
    );
    (cpe, t, plan)
}

#[test]
fn bootstrap_then_provision_in_one_session() {
    let (cpe, t, plan) = bootstrap();
    // §3.5: the CPE offered 1.0-1.4; the ACS answers in its namespace and picks 1.4.
    assert_eq!(t.inform_response.version, CwmpVersion::V1_2);
    assert_eq!(t.inform_response.header.use_version.as_deref(), Some("1.4"));
    assert_eq!(
        t.methods(),
        [
            "GetParameterValues",
            "SetParameterValues",
            "SetParameterAttributes"
        ]
    );
    // HoldRequests while more may follow, not on the last RPC (§3.7.2.3, Table 6).
    assert_eq!(t.rpcs[0].header.hold_requests, Some(true));
    assert_eq!(t.rpcs[1].header.hold_requests, Some(true));
    assert_eq!(t.rpcs[2].header.hold_requests, Some(false));
    // A plan new to the device: active notification of each line's registration status,
    // so a registration lost or regained reaches the ACS at once.
    let Body::SetParameterAttributes(spa) = t.of("SetParameterAttributes")[0] else {
        unreachable!()
    };
    let watched: Vec<(&str, bool, u8)> = spa
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                a.notification_change,
                a.notification.as_u8(),
            )
        })
        .collect();
    let lines = |l: u32| {
        [
            format!("Device.Services.VoiceService.1.CallControl.Line.{l}.Stats.IncomingCalls.CallsReceived"),
            format!("Device.Services.VoiceService.1.CallControl.Line.{l}.Stats.OutgoingCalls.CallsAttempted"),
        ]
    };
    let mut want: Vec<(String, bool, u8)> = Vec::new();
    // Calls at the next Inform (passive), registration at once (active).
    for l in 1..=2 {
        want.extend(lines(l).into_iter().map(|n| (n, true, 1)));
    }
    for l in 1..=2 {
        want.push((
            format!("Device.Services.VoiceService.1.SIP.Client.{l}.Status"),
            true,
            2,
        ));
    }
    let watched: Vec<(String, bool, u8)> = watched
        .into_iter()
        .map(|(n, c, v)| (n.to_string(), c, v))
        .collect();
    assert_eq!(watched, want);

    // One SetParameterValues with both ports' passwords.
    let Body::SetParameterValues(spv) = t.of("SetParameterValues")[0] else {
        unreachable!()
    };
    for port in 1..=2 {
        let name = format!("{VS}SIP.Client.{port}.AuthPassword");
        let pw = spv
            .parameters
            .iter()
            .find(|p| p.name == name)
            .expect("the password is pushed");
        assert_eq!(
            Some(pw.value.clone()),
            secret(&format!("ports.{port}.password"))
        );
    }
    assert!(spv.parameter_key.starts_with("prov-"));

    // The gateway now holds the rendered configuration (what TR-104 carries of it).
    let want = rendered(&cpe.device(), 2);
    assert_eq!(cpe.config.ports, want.ports);
    assert_eq!(cpe.config.sip.servers, want.sip.servers);
    assert_eq!(cpe.config.sip.domain, "berlin.example");
    assert_eq!(cpe.config.sip.registration_expiry_s, 600);
    assert_eq!(cpe.config.device.country, "de");
    assert_eq!(cpe.config.ports[1].extension, "201");

    // The outcome: provisioned with this plan, a Provision task done, the cache filled
    // (without secrets).
    let o = &t.outcome;
    assert_eq!(o.provisioned.as_deref(), Some(plan.digest.as_str()));
    assert_eq!(
        o.device.provisioned_digest.as_deref(),
        Some(plan.digest.as_str())
    );
    assert_eq!(o.device.provisioned_at, Some(NOW));
    assert_eq!(o.tasks.len(), 1);
    let task = &o.tasks[0];
    assert_eq!(
        (task.id, &task.kind, task.state),
        (0, &TaskKind::Provision, TaskState::Done)
    );
    let result = task.result.as_ref().unwrap();
    assert_eq!(result["secrets"], 2);
    assert!(result["changed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n == &format!("{VS}CallControl.Line.1.DirectoryNumber")));
    assert!(
        !result.to_string().contains("Zk8!"),
        "no secret in the result"
    );
    assert!(o
        .parameters
        .iter()
        .any(|p| p.name == format!("{VS}CallControl.Line.2.DirectoryNumber") && p.value == "201"));
    assert!(o.parameters.iter().all(|p| !p.name.ends_with("Password")));
    assert!(o.parameters.iter().all(|p| p.seen_at == NOW));
    assert!(o.audit.iter().any(|a| a.action == "device.provisioned"));
    assert_eq!(o.new_faults, 0);
}

/// Idempotence: the same plan again changes nothing and sends nothing.
#[test]
fn second_session_sends_nothing() {
    let (mut cpe, first, plan) = bootstrap();
    let device = first.outcome.device.clone();
    let t = run(
        &mut cpe,
        &["2 PERIODIC"],
        device.clone(),
        Vec::new(),
        Some(plan.clone()),
        Vec::new(),
        Vec::new(),
    );
    assert!(t.rpcs.is_empty(), "{:?}", t.methods());
    assert_eq!(t.replies.len(), 2, "InformResponse, then 204");
    assert!(t.outcome.tasks.is_empty());
    assert_eq!(t.outcome.provisioned, None);

    // A boot is checked (one read), and nothing is set: the device matches.
    let t = run(
        &mut cpe,
        &["1 BOOT"],
        device.clone(),
        Vec::new(),
        Some(plan.clone()),
        Vec::new(),
        Vec::new(),
    );
    assert_eq!(t.methods(), ["GetParameterValues"]);
    assert_eq!(t.rpcs[0].header.hold_requests, Some(true));
    assert!(
        t.outcome.tasks.is_empty(),
        "a check that changed nothing leaves no task"
    );

    // An operator's Provision task on a provisioned device: read, no set.
    let op = task(5, &device, TaskKind::Provision);
    let t = run(
        &mut cpe,
        &["6 CONNECTION REQUEST"],
        device,
        vec![op],
        Some(plan),
        Vec::new(),
        Vec::new(),
    );
    assert_eq!(t.methods(), ["GetParameterValues"]);
    assert_eq!(t.outcome.tasks[0].state, TaskState::Done);
    assert_eq!(
        t.outcome.tasks[0].result.as_ref().unwrap()["changed"],
        serde_json::json!([])
    );
}

/// A new password changes the plan's digest: every secret is pushed again.
#[test]
fn a_rotated_password_is_pushed_again() {
    let (mut cpe, first, _) = bootstrap();
    let device = first.outcome.device.clone();
    let mut config = rendered(&device, 2);
    config.ports[0].password = Some(tipring_config::Secret::new("N3w-pa55word-x"));
    let rotated = plan(&config, device.root, VoicePaths::Tipring);
    let t = run(
        &mut cpe,
        &["2 PERIODIC"],
        device,
        Vec::new(),
        Some(rotated.clone()),
        Vec::new(),
        Vec::new(),
    );
    // A new plan (the password changed): the lines are watched again too.
    assert_eq!(
        t.methods(),
        [
            "GetParameterValues",
            "SetParameterValues",
            "SetParameterAttributes"
        ]
    );
    let Body::SetParameterValues(spv) = t.of("SetParameterValues")[0] else {
        unreachable!()
    };
    let names: Vec<&str> = spv.parameters.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            format!("{VS}SIP.Client.1.AuthPassword"),
            format!("{VS}SIP.Client.2.AuthPassword")
        ],
        "only the secrets differ"
    );
    assert_eq!(
        cpe.config.ports[0].password.as_ref().unwrap().expose(),
        "N3w-pa55word-x"
    );
    assert_eq!(
        t.outcome.provisioned.as_deref(),
        Some(rotated.digest.as_str())
    );
}

/// 4 VALUE CHANGE of a planned parameter, DriftPolicy::Correct: the value is set back,
/// and only what drifted is sent (no secret).
#[test]
fn drift_in_an_inform_is_corrected() {
    let (mut cpe, first, plan) = bootstrap();
    cpe.config.ports[0].extension = "999".into();
    cpe.changed = vec![format!("{VS}CallControl.Line.1.DirectoryNumber")];
    let t = run(
        &mut cpe,
        &["4 VALUE CHANGE"],
        first.outcome.device.clone(),
        Vec::new(),
        Some(plan),
        Vec::new(),
        Vec::new(),
    );
    assert_eq!(t.methods(), ["GetParameterValues", "SetParameterValues"]);
    let Body::SetParameterValues(spv) = t.of("SetParameterValues")[0] else {
        unreachable!()
    };
    assert!(spv.parameters.iter().all(|p| !p.name.ends_with("Password")));
    assert!(
        spv.parameters.iter().all(|p| p.value == "200"),
        "{:?}",
        spv.parameters
    );
    assert_eq!(cpe.config.ports[0].extension, "200");
    let drift = t
        .outcome
        .audit
        .iter()
        .find(|a| a.action == "device.drift")
        .unwrap();
    assert_eq!(drift.detail["policy"], "correct");
    assert_eq!(
        drift.detail["parameters"][0],
        format!("{VS}CallControl.Line.1.DirectoryNumber")
    );
}

/// DriftPolicy::Report: the drift is audited by name and nothing is changed.
#[test]
fn drift_in_an_inform_is_reported() {
    let (mut cpe, first, plan) = bootstrap();
    cpe.config.ports[1].extension = "998".into();
    cpe.changed = vec![format!("{VS}CallControl.Line.2.DirectoryNumber")];
    let plan = plan.with_drift(tipring_acs::model::DriftPolicy::Report);
    let t = run(
        &mut cpe,
        &["4 VALUE CHANGE"],
        first.outcome.device.clone(),
        Vec::new(),
        Some(plan),
        Vec::new(),
        Vec::new(),
    );
    assert!(t.rpcs.is_empty());
    assert_eq!(cpe.config.ports[1].extension, "998");
    let drift = t
        .outcome
        .audit
        .iter()
        .find(|a| a.action == "device.drift")
        .unwrap();
    assert_eq!(drift.detail["policy"], "report");
    assert_eq!(
        drift.detail["parameters"][0],
        format!("{VS}CallControl.Line.2.DirectoryNumber")
    );
    // A change the plan does not cover is no drift.
    cpe.changed = vec!["Device.DeviceInfo.ProvisioningCode".into()];
    let same = plan_for(&cpe.device(), 2, VoicePaths::Tipring);
    let t = run(
        &mut cpe,
        &["4 VALUE CHANGE"],
        first.outcome.device.clone(),
        Vec::new(),
        Some(same),
        Vec::new(),
        Vec::new(),
    );
    assert!(t.rpcs.is_empty());
    assert!(t.outcome.audit.is_empty());
}

/// A profile for more lines than the gateway has: the read faults 9005, the tables are
/// looked up, the missing instance cannot be added (our agent's tables are fixed), and the
/// Provision task fails at once (9005 is permanent), surfacing as a device fault.
#[test]
fn more_ports_than_the_gateway_has_fails_the_provision_task() {
    let mut cpe = TipringCpe::new("TR0002", 1);
    let device = cpe.device();
    let plan = plan_for(&device, 2, VoicePaths::Tipring);
    let t = run(
        &mut cpe,
        &["0 BOOTSTRAP", "1 BOOT"],
        device,
        Vec::new(),
        Some(plan),
        Vec::new(),
        Vec::new(),
    );
    let m = t.methods();
    assert_eq!(m[0], "GetParameterValues");
    assert!(m.contains(&"GetParameterNames"));
    assert_eq!(*m.last().unwrap(), "AddObject");
    assert!(!m.contains(&"SetParameterValues"));
    for b in t.of("GetParameterNames") {
        let Body::GetParameterNames(g) = b else {
            unreachable!()
        };
        assert!(
            g.next_level
                && g.parameter_path.ends_with('.')
                && g.parameter_path.len() > "Device.".len()
        );
    }
    let o = &t.outcome;
    assert_eq!(o.tasks[0].state, TaskState::Failed);
    assert_eq!(o.tasks[0].fault.as_ref().unwrap().code, 9005);
    assert_eq!((o.device.open_faults, o.new_faults), (1, 1));
    assert_eq!(o.provisioned, None);
    assert!(cpe.config.ports[0].password.is_none(), "nothing was set");
}

/// An Inform that carries a line's call counter (passive notification after calls) makes
/// the session read the call log once, at its end: the device's recent calls by quality
/// band land on its record, and the log is not cached.
#[test]
fn calls_in_an_inform_bring_the_call_log_in() {
    let (mut cpe, first, plan) = bootstrap();
    let now = tipring_cwmp::time::format_date_time(crate::common::NOW);
    cpe.live.call_log = vec![
        tipring_datamodel::CallRecord {
            calling: "201".into(),
            called: "202".into(),
            line: 1,
            start: now.clone(),
            duration_s: 60,
            packets_received: 3000,
            mean_jitter_ms: 4,
            mos_x100: Some(425),
            ..Default::default()
        },
        tipring_datamodel::CallRecord {
            line: 2,
            start: now,
            duration_s: 60,
            packets_received: 3000,
            mean_jitter_ms: 42,
            mos_x100: Some(330),
            ..Default::default()
        },
    ];
    cpe.changed = vec![format!(
        "{VS}CallControl.Line.1.Stats.OutgoingCalls.CallsAttempted"
    )];
    let t = run(
        &mut cpe,
        &["2 PERIODIC"],
        first.outcome.device.clone(),
        Vec::new(),
        Some(plan.clone()),
        Vec::new(),
        Vec::new(),
    );
    assert_eq!(t.methods(), ["GetParameterValues"]);
    let Body::GetParameterValues(names) = t.of("GetParameterValues")[0] else {
        unreachable!()
    };
    assert_eq!(names, &[format!("{VS}CallLog.")]);
    let d = &t.outcome.device;
    assert_eq!(d.calls_at, Some(crate::common::NOW));
    assert_eq!(d.calls_mos, [1, 0, 1, 0]);
    assert_eq!(d.calls_jitter, [1, 0, 1, 0]);
    assert!(
        t.outcome
            .parameters
            .iter()
            .all(|p| !p.name.contains(".CallLog.")),
        "the call log is not cached"
    );
    // No calls, no read.
    cpe.changed.clear();
    let t = run(
        &mut cpe,
        &["2 PERIODIC"],
        first.outcome.device.clone(),
        Vec::new(),
        Some(plan),
        Vec::new(),
        Vec::new(),
    );
    assert!(t.rpcs.is_empty());
}

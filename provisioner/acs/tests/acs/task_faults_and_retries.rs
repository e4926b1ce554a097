//! Tasks: each kind is its RPC, results land in the task and the cache, faults are
//! retried with back-off or fail at once, Reboot goes last, the RPC budget holds, and a
//! session that ends badly never completes a task.

use serde_json::json;
use tipring_acs::model::{TaskKind, TaskState};
use tipring_acs::{read_inform, AcsConfig, Session};
use tipring_cwmp::Body;

use crate::common::*;

const VS: &str = "Device.Services.VoiceService.1.";

#[test]
fn tasks_become_their_rpcs_and_reboot_goes_last() {
    let mut cpe = TipringCpe::new("TR0100", 2).configured();
    let device = cpe.device();
    let tasks = vec![
        task(1, &device, TaskKind::Reboot),
        task(
            2,
            &device,
            TaskKind::GetParameterValues {
                names: vec![
                    format!("{VS}CallControl.Line.1.DirectoryNumber"),
                    format!("{VS}SIP.Client.1.AuthPassword"),
                ],
            },
        ),
        task(
            3,
            &device,
            TaskKind::GetParameterNames {
                path: format!("{VS}POTS.FXS.1."),
                next_level: true,
            },
        ),
        task(
            4,
            &device,
            TaskKind::SetParameterValues {
                values: vec![
                    (format!("{VS}SIP.Network.1.RegisterExpires"), "900".into()),
                    (format!("{VS}POTS.FXS.2.Enable"), "false".into()),
                ],
            },
        ),
    ];
    let t = run(
        &mut cpe,
        &["6 CONNECTION REQUEST"],
        device,
        tasks,
        None,
        Vec::new(),
        Vec::new(),
    );
    assert_eq!(
        t.methods(),
        [
            "GetParameterValues",
            "GetParameterNames",
            "SetParameterValues",
            "Reboot"
        ]
    );
    let holds: Vec<_> = t.rpcs.iter().map(|r| r.header.hold_requests).collect();
    assert_eq!(holds, [Some(true), Some(true), Some(true), Some(false)]);
    // Typed as our definitions say (no cache yet); keyed by the task.
    let Body::SetParameterValues(spv) = t.of("SetParameterValues")[0] else {
        unreachable!()
    };
    assert_eq!(spv.parameters[0].kind, tipring_cwmp::ValueType::UnsignedInt);
    assert_eq!(spv.parameters[1].kind, tipring_cwmp::ValueType::Boolean);
    assert_eq!(spv.parameter_key, "task-4");
    assert_eq!(t.of("Reboot")[0], &Body::Reboot("task-1".into()));
    assert_eq!(cpe.config.sip.registration_expiry_s, 900);
    assert!(!cpe.config.ports[1].enabled);

    let o = &t.outcome;
    let by_id = |id: i64| o.tasks.iter().find(|t| t.id == id).unwrap();
    assert!(o
        .tasks
        .iter()
        .all(|t| t.state == TaskState::Done && t.updated_at == NOW));
    let values = &by_id(2).result.as_ref().unwrap()["values"];
    assert_eq!(values[0]["value"], "101");
    assert_eq!(values[0]["type"], "xsd:string");
    assert_eq!(values[1]["value"], "", "secrets read back empty");
    let names = &by_id(3).result.as_ref().unwrap()["names"];
    assert!(names
        .as_array()
        .unwrap()
        .contains(&json!({"name": format!("{VS}POTS.FXS.1.Enable"), "writable": true})));
    assert_eq!(by_id(4).result, Some(json!({"status": 0})));
    // The cache: values with their time, writability from GetParameterNames, no secret.
    let cached = |n: &str| o.parameters.iter().find(|p| p.name == n);
    let dn = cached(&format!("{VS}CallControl.Line.1.DirectoryNumber")).unwrap();
    assert_eq!((dn.value.as_str(), dn.seen_at), ("101", NOW));
    assert_eq!(
        cached(&format!("{VS}POTS.FXS.1.Enable")).unwrap().writable,
        Some(true)
    );
    assert!(cached(&format!("{VS}SIP.Client.1.AuthPassword")).is_none());
    // Inform parameters are cached too.
    assert!(cached("Device.DeviceInfo.SoftwareVersion").is_some());
}

/// 9002 (internal error) is transient: Retrying, next attempt after `retry_base_s`;
/// not sent again before then; failed once `max_attempts` faults are reached.
#[test]
fn transient_faults_back_off_then_fail() {
    let mut cpe = TipringCpe::new("TR0101", 1);
    let device = cpe.device();
    let gpv = task(
        9,
        &device,
        TaskKind::GetParameterValues {
            names: vec!["Device.DeviceInfo.UpTime".into()],
        },
    );
    cpe.faults.insert("GetParameterValues".into(), vec![9002]);
    let t = run(
        &mut cpe,
        &["2 PERIODIC"],
        device.clone(),
        vec![gpv],
        None,
        Vec::new(),
        Vec::new(),
    );
    let after = t.outcome.tasks[0].clone();
    assert_eq!(after.state, TaskState::Retrying);
    assert_eq!(after.attempts, 1);
    assert_eq!(after.next_attempt_at, NOW + 60);
    assert_eq!(after.fault.as_ref().unwrap().code, 9002);
    assert_eq!(t.outcome.new_faults, 0);

    // Not yet due: not sent.
    let t = run(
        &mut cpe,
        &["2 PERIODIC"],
        device.clone(),
        vec![after.clone()],
        None,
        Vec::new(),
        Vec::new(),
    );
    assert!(t.rpcs.is_empty());
    assert!(t.outcome.tasks.is_empty());

    // Due again, faulting again: the wait doubles.
    let mut due = after;
    due.next_attempt_at = NOW;
    cpe.faults.insert("GetParameterValues".into(), vec![9004]);
    let t = run(
        &mut cpe,
        &["2 PERIODIC"],
        device.clone(),
        vec![due.clone()],
        None,
        Vec::new(),
        Vec::new(),
    );
    let second = &t.outcome.tasks[0];
    assert_eq!(
        (second.state, second.attempts, second.next_attempt_at),
        (TaskState::Retrying, 2, NOW + 120)
    );

    // The last attempt: failed, a device fault, audited.
    let mut last = second.clone();
    last.next_attempt_at = NOW;
    last.attempts = AcsConfig::default().max_attempts - 1;
    cpe.faults.insert("GetParameterValues".into(), vec![9002]);
    let t = run(
        &mut cpe,
        &["2 PERIODIC"],
        device.clone(),
        vec![last],
        None,
        Vec::new(),
        Vec::new(),
    );
    assert_eq!(t.outcome.tasks[0].state, TaskState::Failed);
    assert_eq!((t.outcome.device.open_faults, t.outcome.new_faults), (1, 1));
    let a = t
        .outcome
        .audit
        .iter()
        .find(|a| a.action == "task.failed")
        .unwrap();
    assert_eq!(
        (a.detail["task"].clone(), a.detail["code"].clone()),
        (json!(9), json!(9002))
    );

    // Once the fault clears, a due retry succeeds.
    let mut ok = due;
    ok.attempts = 2;
    let t = run(
        &mut cpe,
        &["2 PERIODIC"],
        device,
        vec![ok],
        None,
        Vec::new(),
        Vec::new(),
    );
    assert_eq!(t.outcome.tasks[0].state, TaskState::Done);
    assert_eq!(t.outcome.tasks[0].fault, None);
}

/// A value of the wrong type (9003, with 9006 on the parameter) will not mend: failed at once, with the
/// per-parameter fault recorded; the session goes on with the next task.
#[test]
fn permanent_faults_fail_at_once() {
    let mut cpe = TipringCpe::new("TR0102", 1);
    let device = cpe.device();
    let tasks = vec![
        task(
            1,
            &device,
            TaskKind::SetParameterValues {
                values: vec![(format!("{VS}POTS.FXS.1.Enable"), "maybe".into())],
            },
        ),
        task(
            2,
            &device,
            TaskKind::AddObject {
                path: format!("{VS}POTS.FXS."),
            },
        ),
        task(
            3,
            &device,
            TaskKind::GetParameterValues {
                names: vec!["Device.DeviceInfo.SoftwareVersion".into()],
            },
        ),
    ];
    let t = run(
        &mut cpe,
        &["2 PERIODIC"],
        device,
        tasks,
        None,
        Vec::new(),
        Vec::new(),
    );
    assert_eq!(
        t.methods(),
        ["SetParameterValues", "AddObject", "GetParameterValues"]
    );
    let o = &t.outcome;
    let spv = &o.tasks[0];
    assert_eq!((spv.state, spv.attempts), (TaskState::Failed, 1));
    let f = spv.fault.as_ref().unwrap();
    assert_eq!(f.code, 9003);
    assert_eq!(f.parameters[0].0, format!("{VS}POTS.FXS.1.Enable"));
    assert_eq!(f.parameters[0].1, 9006);
    assert_eq!(o.tasks[1].state, TaskState::Failed);
    assert_eq!(o.tasks[1].fault.as_ref().unwrap().code, 9005);
    assert_eq!(o.tasks[2].state, TaskState::Done);
    assert_eq!((o.device.open_faults, o.new_faults), (2, 2));
}

/// At most `max_rpcs` RPCs; the rest stays queued, untouched; HoldRequests is false on
/// the last one sent.
#[test]
fn the_rpc_budget_holds() {
    let mut cpe = TipringCpe::new("TR0103", 1);
    let device = cpe.device();
    let tasks: Vec<_> = (1..=3)
        .map(|i| {
            task(
                i,
                &device,
                TaskKind::GetParameterValues {
                    names: vec!["Device.DeviceInfo.UpTime".into()],
                },
            )
        })
        .collect();
    let cfg = AcsConfig {
        max_rpcs: 2,
        ..AcsConfig::default()
    };
    let t = run_with(
        &cfg,
        &mut cpe,
        &["2 PERIODIC"],
        device,
        tasks,
        None,
        Vec::new(),
        Vec::new(),
    );
    assert_eq!(t.rpcs.len(), 2);
    assert_eq!(t.rpcs[1].header.hold_requests, Some(false));
    let ids: Vec<i64> = t.outcome.tasks.iter().map(|t| t.id).collect();
    assert_eq!(ids, [1, 2]);
    // Without HoldRequests configured, the header is not sent.
    let cfg = AcsConfig {
        hold_requests: false,
        ..AcsConfig::default()
    };
    let device = cpe.device();
    let one = vec![task(4, &device, TaskKind::Reboot)];
    let t = run_with(
        &cfg,
        &mut cpe,
        &["2 PERIODIC"],
        device,
        one,
        None,
        Vec::new(),
        Vec::new(),
    );
    assert_eq!(t.rpcs[0].header.hold_requests, None);
}

/// A session that ends badly (a timeout after the RPC went out) puts the task back to
/// Retrying — never Done — and counts the attempt.
#[test]
fn a_session_that_ends_badly_never_completes_a_task() {
    let mut cpe = TipringCpe::new("TR0104", 1);
    let device = cpe.device();
    let t1 = task(1, &device, TaskKind::Reboot);
    let t2 = task(
        2,
        &device,
        TaskKind::GetParameterValues {
            names: vec!["Device.DeviceInfo.UpTime".into()],
        },
    );
    let info = read_inform(&cpe.inform(&["2 PERIODIC"]).to_xml()).unwrap();
    let (mut s, _) = Session::start(
        &AcsConfig::default(),
        info,
        device,
        vec![t1, t2],
        None,
        Vec::new(),
        NOW,
    );
    let rpc = s.handle(b"", NOW);
    let env = read(&rpc);
    assert_eq!(env.method_name(), Some("GetParameterValues"));
    // The CPE answers this one, then the connection dies while the Reboot is out.
    let answer = cpe.answer(&env);
    let next = read(&s.handle(&answer.to_xml(), NOW));
    assert_eq!(next.method_name(), Some("Reboot"));
    let o = s.finish(NOW + 30, false);
    let reboot = o.tasks.iter().find(|t| t.id == 1).unwrap();
    assert_eq!(reboot.state, TaskState::Retrying);
    assert_eq!(reboot.attempts, 1);
    assert_eq!(reboot.fault.as_ref().unwrap().code, 0);
    assert_eq!(reboot.next_attempt_at, NOW + 30 + 60);
    let gpv = o.tasks.iter().find(|t| t.id == 2).unwrap();
    assert_eq!(
        gpv.state,
        TaskState::Done,
        "what was answered stays answered"
    );
}

/// A Provision task without a plan (no profile applies) fails with a message saying so;
/// a FactoryReset clears the device's provisioned digest.
#[test]
fn provision_without_a_plan_and_factory_reset() {
    let mut cpe = TipringCpe::new("TR0105", 1);
    let mut device = cpe.device();
    device.provisioned_digest = Some("ab".repeat(32));
    let tasks = vec![
        task(1, &device, TaskKind::Provision),
        task(2, &device, TaskKind::FactoryReset),
    ];
    let t = run(
        &mut cpe,
        &["2 PERIODIC"],
        device,
        tasks,
        None,
        Vec::new(),
        Vec::new(),
    );
    assert_eq!(t.methods(), ["FactoryReset"]);
    let o = &t.outcome;
    assert_eq!(o.tasks[0].state, TaskState::Failed);
    assert!(o.tasks[0]
        .fault
        .as_ref()
        .unwrap()
        .message
        .contains("no profile"));
    assert_eq!(o.tasks[1].state, TaskState::Done);
    assert_eq!(o.device.provisioned_digest, None);
}

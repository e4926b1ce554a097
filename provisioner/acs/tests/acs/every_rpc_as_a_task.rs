//! Every CWMP RPC a CPE may support is a task (TR-069 Amendment 6 Annex A.3 and A.4):
//! GetParameterAttributes, SetParameterAttributes, Upload, ScheduleInform, GetRPCMethods,
//! GetAllQueuedTransfers, CancelTransfer and ScheduleDownload go out as their RPC, their
//! response lands in the task's result, a fault is retried or fails the task by the usual
//! rules, a CPE that does not implement an optional RPC (9000) fails it at once, and
//! arguments no CPE may accept are never sent. File server passwords go on the wire and
//! nowhere else.

use serde_json::json;
use tipring_acs::model::{AttributeChange, Device, Secret, Task, TaskKind, TaskState, TimeWindow};
use tipring_cwmp::{Body, Envelope, Notification, TransferComplete, TransferState};

use crate::common::*;

const DN: &str = "Device.Services.VoiceService.1.CallControl.Line.1.DirectoryNumber";
const UPTIME: &str = "Device.DeviceInfo.UpTime";
const PASSWORD: &str = "f1le-S3rver!pw";

fn session(cpe: &mut dyn Cpe, device: &Device, tasks: Vec<Task>) -> Transcript {
    run(
        cpe,
        &["6 CONNECTION REQUEST"],
        device.clone(),
        tasks,
        None,
        Vec::new(),
        Vec::new(),
    )
}

fn by_id(t: &Transcript, id: i64) -> Task {
    t.outcome
        .tasks
        .iter()
        .find(|t| t.id == id)
        .cloned()
        .unwrap_or_else(|| panic!("task {id} is in the outcome"))
}

fn upload() -> TaskKind {
    TaskKind::Upload {
        file_type: "2 Vendor Log File".into(),
        url: "https://files.example.net/logs/TR0800.log".into(),
        username: Some("uploader".into()),
        password: Some(Secret::new(PASSWORD)),
    }
}

fn window(start: u32, end: u32) -> TimeWindow {
    TimeWindow {
        window_start: start,
        window_end: end,
        window_mode: "1 At Any Time".into(),
        user_message: String::new(),
        max_retries: -1,
    }
}

fn schedule_download(windows: Vec<TimeWindow>) -> TaskKind {
    TaskKind::ScheduleDownload {
        file_type: "1 Firmware Upgrade Image".into(),
        url: "https://fw.example.net/tipring-1.3.0.bin".into(),
        file_size: 5_000_000,
        target_file_name: String::new(),
        time_windows: windows,
        username: None,
        password: Some(Secret::new(PASSWORD)),
    }
}

fn transfer_complete(key: &str) -> Envelope {
    Envelope::new(
        "tc-9",
        Body::TransferComplete(TransferComplete {
            command_key: key.into(),
            fault: None,
            start_time: "2024-05-01T13:00:00Z".into(),
            complete_time: "2024-05-01T13:05:00Z".into(),
        }),
    )
}

/// A.3.2.4 / A.3.2.5: SetParameterAttributes carries NotificationChange and
/// AccessListChange true exactly where the task gives a value; GetParameterAttributes
/// reads back what the CPE now holds.
#[test]
fn attributes_are_set_then_read() {
    let mut cpe = TipringCpe::new("TR0800", 1);
    let device = cpe.device();
    let tasks = vec![
        task(
            1,
            &device,
            TaskKind::SetParameterAttributes {
                attributes: vec![
                    AttributeChange {
                        name: DN.into(),
                        notification: Some(2),
                        access_list: Some(vec!["Subscriber".into()]),
                    },
                    AttributeChange {
                        name: "Device.Services.VoiceService.1.SIP.Network.1.RegisterExpires".into(),
                        notification: Some(1),
                        access_list: None,
                    },
                ],
            },
        ),
        task(
            2,
            &device,
            TaskKind::GetParameterAttributes {
                names: vec![DN.into(), UPTIME.into()],
            },
        ),
    ];
    let t = session(&mut cpe, &device, tasks);
    assert_eq!(
        t.methods(),
        ["SetParameterAttributes", "GetParameterAttributes"]
    );
    let Body::SetParameterAttributes(sent) = t.of("SetParameterAttributes")[0] else {
        unreachable!()
    };
    assert_eq!(
        (
            sent[0].notification_change,
            sent[0].notification,
            sent[0].access_list_change
        ),
        (true, Notification::Active, true)
    );
    assert_eq!(sent[0].access_list, ["Subscriber"]);
    assert_eq!(
        (sent[1].notification_change, sent[1].access_list_change),
        (true, false),
        "no access_list: AccessListChange false"
    );
    assert_eq!(by_id(&t, 1).state, TaskState::Done);
    assert_eq!(by_id(&t, 1).result, Some(json!({})));
    let read = by_id(&t, 2);
    assert_eq!(read.state, TaskState::Done);
    assert_eq!(
        read.result,
        Some(json!({"attributes": [
            {"name": DN, "notification": 2, "access_list": ["Subscriber"]},
            {"name": UPTIME, "notification": 0, "access_list": []},
        ]}))
    );
    // The CPE holds them.
    assert_eq!(
        cpe.attributes.notification(DN),
        tipring_datamodel::Notification::Active
    );
}

/// A.3.2.4: a notification the CPE refuses (9009: active on a parameter that changes
/// all the time, or a lightweight one it does not support) fails the task at once; a
/// value outside 0..=6 is not sent at all (9003, no attempt); a transient fault retries.
#[test]
fn attribute_faults_fail_or_retry() {
    let mut cpe = TipringCpe::new("TR0801", 1);
    let device = cpe.device();
    let spa = |id, name: &str, n| {
        task(
            id,
            &device,
            TaskKind::SetParameterAttributes {
                attributes: vec![AttributeChange {
                    name: name.into(),
                    notification: Some(n),
                    access_list: None,
                }],
            },
        )
    };
    cpe.faults
        .insert("GetParameterAttributes".into(), vec![9002]);
    let tasks = vec![
        spa(1, UPTIME, 2),
        spa(2, DN, 5),
        spa(3, DN, 7),
        task(
            4,
            &device,
            TaskKind::GetParameterAttributes {
                names: vec![DN.into()],
            },
        ),
    ];
    let t = session(&mut cpe, &device, tasks);
    assert_eq!(
        t.methods(),
        [
            "SetParameterAttributes",
            "SetParameterAttributes",
            "GetParameterAttributes"
        ],
        "notification 7 is never sent"
    );
    for id in [1, 2] {
        let f = by_id(&t, id);
        assert_eq!((f.state, f.attempts), (TaskState::Failed, 1), "task {id}");
        assert_eq!(f.fault.unwrap().code, 9009);
    }
    let never = by_id(&t, 3);
    assert_eq!((never.state, never.attempts), (TaskState::Failed, 0));
    let fault = never.fault.unwrap();
    assert_eq!(fault.code, 9003);
    assert!(
        fault.message.starts_with("not sent: notification 7"),
        "{}",
        fault.message
    );
    let retry = by_id(&t, 4);
    assert_eq!(
        (retry.state, retry.attempts, retry.next_attempt_at),
        (TaskState::Retrying, 1, NOW + 60)
    );
    assert_eq!(t.outcome.new_faults, 3);
    assert_eq!(t.outcome.device.open_faults, 3);
    assert!(cpe.attributes.is_empty(), "nothing changed on the CPE");
}

/// A.4.1.5: an Upload answered with status 1 stays in flight until the TransferComplete
/// of its CommandKey; the password goes in the RPC and nowhere else the ACS writes.
#[test]
fn an_upload_waits_for_its_transfer_complete() {
    let mut cpe = TipringCpe::new("TR0802", 1);
    let device = cpe.device();
    let t = session(&mut cpe, &device, vec![task(5, &device, upload())]);
    let Body::Upload(u) = t.of("Upload")[0] else {
        unreachable!()
    };
    assert_eq!(
        (
            u.command_key.as_str(),
            u.file_type.as_str(),
            u.username.as_str(),
            u.password.as_str()
        ),
        ("task-5", "2 Vendor Log File", "uploader", PASSWORD)
    );
    let waiting = by_id(&t, 5);
    assert_eq!(waiting.state, TaskState::InFlight);
    assert_eq!(waiting.result.as_ref().unwrap()["status"], 1);
    assert_eq!(cpe.transfers[0].command_key, "task-5");

    // Never in a log line's Debug, the outcome, the audit, or the redacted kind.
    let shown = format!("{:?} {:?}", t.outcome, t.replies);
    assert!(!shown.contains(PASSWORD), "Debug hides the password");
    let audit = serde_json::to_string(&t.outcome.audit).unwrap();
    assert!(!audit.contains(PASSWORD));
    let redacted = serde_json::to_string(&waiting.kind.redacted()).unwrap();
    assert!(!redacted.contains(PASSWORD));
    assert!(redacted.contains(r#""password":"""#), "{redacted}");
    // The task's JSON (what the store keeps) does hold it: it is needed to resend.
    assert!(serde_json::to_string(&waiting.kind)
        .unwrap()
        .contains(PASSWORD));

    // Next session: not sent again; the TransferComplete completes it.
    let t = run(
        &mut cpe,
        &["7 TRANSFER COMPLETE", "M Upload"],
        device,
        vec![waiting],
        None,
        Vec::new(),
        vec![transfer_complete("task-5")],
    );
    assert!(t.rpcs.is_empty());
    let done = by_id(&t, 5);
    assert_eq!(done.state, TaskState::Done);
    let r = done.result.unwrap();
    assert_eq!(
        (r["transfer"].as_str(), r["complete_time"].as_str()),
        (Some("complete"), Some("2024-05-01T13:05:00Z"))
    );
}

/// A.4.1.5: status 0 with its times: the upload is complete, no TransferComplete follows.
/// A CPE with no room for it (9004) has it retried.
#[test]
fn an_upload_done_at_once_completes_and_9004_retries() {
    let mut cpe = TipringCpe::new("TR0803", 1);
    cpe.uploads_at_once = true;
    let device = cpe.device();
    let t = session(&mut cpe, &device, vec![task(6, &device, upload())]);
    let done = by_id(&t, 6);
    assert_eq!(done.state, TaskState::Done);
    assert_eq!(
        done.result,
        Some(json!({"status": 0, "start_time": "2024-05-01T12:00:01Z",
                    "complete_time": "2024-05-01T12:00:02Z"}))
    );

    cpe.faults.insert("Upload".into(), vec![9004]);
    let t = session(&mut cpe, &device, vec![task(7, &device, upload())]);
    let retry = by_id(&t, 7);
    assert_eq!((retry.state, retry.attempts), (TaskState::Retrying, 1));
    assert_eq!(retry.fault.unwrap().code, 9004);
}

/// A.4.1.2: ScheduleInform carries the delay and the task's CommandKey (it comes back in
/// `M ScheduleInform`); a delay of 0 is invalid and never sent.
#[test]
fn schedule_inform() {
    let mut cpe = TipringCpe::new("TR0804", 1);
    let device = cpe.device();
    let t = session(
        &mut cpe,
        &device,
        vec![
            task(8, &device, TaskKind::ScheduleInform { delay_seconds: 300 }),
            task(9, &device, TaskKind::ScheduleInform { delay_seconds: 0 }),
        ],
    );
    assert_eq!(t.methods(), ["ScheduleInform"]);
    assert_eq!(
        t.rpcs[0].header.hold_requests,
        Some(false),
        "§3.7.2.3: the last RPC; the task never sent does not count"
    );
    assert_eq!(cpe.scheduled, [(300, "task-8".to_string())]);
    assert_eq!(by_id(&t, 8).state, TaskState::Done);
    assert_eq!(by_id(&t, 8).result, Some(json!({})));
    let never = by_id(&t, 9);
    assert_eq!((never.state, never.attempts), (TaskState::Failed, 0));
    assert_eq!(never.fault.unwrap().code, 9003);
}

/// A.3.1.1: GetRPCMethods sent to the CPE: its method list is the result.
#[test]
fn get_rpc_methods_lists_what_the_cpe_supports() {
    let mut cpe = TipringCpe::new("TR0805", 1);
    let device = cpe.device();
    let t = session(
        &mut cpe,
        &device,
        vec![task(10, &device, TaskKind::GetRpcMethods)],
    );
    assert_eq!(t.methods(), ["GetRPCMethods"]);
    let done = by_id(&t, 10);
    assert_eq!(done.state, TaskState::Done);
    assert_eq!(done.result, Some(json!({ "methods": TIPRING_METHODS })));

    // A third-party ATA lists fewer.
    let mut ata = Tr098Cpe::new("ATA0805", &[1]);
    let device = ata.device();
    let t = session(
        &mut ata,
        &device,
        vec![task(11, &device, TaskKind::GetRpcMethods)],
    );
    assert_eq!(
        by_id(&t, 11).result,
        Some(json!({ "methods": TR098_METHODS }))
    );

    // 9002 from the CPE: retried.
    cpe.faults.insert("GetRPCMethods".into(), vec![9002]);
    let device = cpe.device();
    let t = session(
        &mut cpe,
        &device,
        vec![task(12, &device, TaskKind::GetRpcMethods)],
    );
    assert_eq!(by_id(&t, 12).state, TaskState::Retrying);
}

/// A.4.1.7 and A.4.1.9: the CPE's transfer queue is listed; a CancelTransfer it accepts
/// cancels our transfer task of that CommandKey (no TransferComplete will come); one it
/// refuses (9021: in progress; 9003: no such transfer) fails at once.
#[test]
fn queued_transfers_are_listed_and_cancelled() {
    let mut cpe = TipringCpe::new("TR0806", 1);
    let device = cpe.device();
    let download = TaskKind::Download {
        file_type: "1 Firmware Upgrade Image".into(),
        url: "https://fw.example.net/tipring-1.2.0.bin".into(),
        file_size: 4_000_000,
        target_file_name: String::new(),
    };
    let t = session(
        &mut cpe,
        &device,
        vec![
            task(20, &device, download),
            task(21, &device, upload()),
            task(22, &device, TaskKind::GetAllQueuedTransfers),
        ],
    );
    assert_eq!(t.methods(), ["Download", "Upload", "GetAllQueuedTransfers"]);
    let listed = by_id(&t, 22);
    assert_eq!(listed.state, TaskState::Done);
    assert_eq!(
        listed.result,
        Some(json!({"transfers": [
            {"command_key": "task-20", "state": "not_started", "is_download": true,
             "file_type": "1 Firmware Upgrade Image", "file_size": 4_000_000,
             "target_file_name": ""},
            {"command_key": "task-21", "state": "not_started", "is_download": false,
             "file_type": "2 Vendor Log File", "file_size": 0, "target_file_name": ""},
        ]}))
    );
    let download_waiting = by_id(&t, 20);
    let upload_waiting = by_id(&t, 21);
    assert_eq!(download_waiting.state, TaskState::InFlight);

    // The upload has started on the CPE: it cannot be cancelled any more.
    cpe.transfers[1].state = TransferState::InProgress;
    let cancel = |id, key: &str| {
        task(
            id,
            &device,
            TaskKind::CancelTransfer {
                command_key: key.into(),
            },
        )
    };
    let t = session(
        &mut cpe,
        &device,
        vec![
            download_waiting,
            upload_waiting,
            cancel(23, "task-20"),
            cancel(24, "task-21"),
            cancel(25, "task-999"),
        ],
    );
    assert_eq!(
        t.methods(),
        ["CancelTransfer", "CancelTransfer", "CancelTransfer"],
        "the transfers in flight are not sent again"
    );
    let ok = by_id(&t, 23);
    assert_eq!(ok.state, TaskState::Done);
    assert_eq!(ok.result, Some(json!({"cancelled_task": 20})));
    let cancelled = by_id(&t, 20);
    assert_eq!(cancelled.state, TaskState::Cancelled);
    assert_eq!(cancelled.result.unwrap()["cancelled_by"], 23);
    for (id, code) in [(24, 9021), (25, 9003)] {
        let f = by_id(&t, id);
        assert_eq!((f.state, f.attempts), (TaskState::Failed, 1), "task {id}");
        assert_eq!(f.fault.unwrap().code, code);
    }
    assert!(
        t.outcome.tasks.iter().all(|t| t.id != 21),
        "the upload in progress is untouched"
    );
    assert_eq!(cpe.transfers.len(), 1);
    assert_eq!(cpe.transfers[0].command_key, "task-21");
}

/// A.4.1.8: ScheduleDownload carries its windows; its response has no status, so it is
/// in flight until the TransferComplete (`M ScheduleDownload`) of its CommandKey.
/// Windows no CPE may accept are never sent.
#[test]
fn a_scheduled_download_waits_for_its_window() {
    let mut cpe = TipringCpe::new("TR0807", 1);
    let device = cpe.device();
    let t = session(
        &mut cpe,
        &device,
        vec![task(
            30,
            &device,
            schedule_download(vec![window(0, 3600), window(86_400, 90_000)]),
        )],
    );
    let Body::ScheduleDownload(d) = t.of("ScheduleDownload")[0] else {
        unreachable!()
    };
    assert_eq!(
        (d.command_key.as_str(), d.file_size, d.password.as_str()),
        ("task-30", 5_000_000, PASSWORD)
    );
    let w: Vec<(u32, u32, &str, i32)> = d
        .time_windows
        .iter()
        .map(|w| {
            (
                w.window_start,
                w.window_end,
                w.window_mode.as_str(),
                w.max_retries,
            )
        })
        .collect();
    assert_eq!(
        w,
        [
            (0, 3600, "1 At Any Time", -1),
            (86_400, 90_000, "1 At Any Time", -1)
        ]
    );
    assert!(!format!("{:?}", t.outcome).contains(PASSWORD));
    let waiting = by_id(&t, 30);
    assert_eq!(waiting.state, TaskState::InFlight);
    assert_eq!(waiting.result, Some(json!({})));

    // A periodic session before the window: nothing is sent again.
    let t = run(
        &mut cpe,
        &["2 PERIODIC"],
        device.clone(),
        vec![waiting.clone()],
        None,
        Vec::new(),
        Vec::new(),
    );
    assert!(t.rpcs.is_empty());
    assert!(t.outcome.tasks.is_empty(), "nothing changed");
    // The transfer happened in the window.
    let t = run(
        &mut cpe,
        &["7 TRANSFER COMPLETE", "M ScheduleDownload"],
        device.clone(),
        vec![waiting],
        None,
        Vec::new(),
        vec![transfer_complete("task-30")],
    );
    let done = by_id(&t, 30);
    assert_eq!(done.state, TaskState::Done);
    assert_eq!(done.result.unwrap()["transfer"], "complete");

    // Invalid windows and sizes: failed without an attempt, nothing sent.
    let bad = [
        (31, schedule_download(Vec::new()), "1 or 2 time windows"),
        (
            32,
            schedule_download(vec![window(0, 10), window(20, 30), window(40, 50)]),
            "1 or 2 time windows",
        ),
        (33, schedule_download(vec![window(50, 10)]), "ends before"),
        (
            34,
            schedule_download(vec![window(0, 100), window(50, 200)]),
            "overlaps",
        ),
        (
            35,
            TaskKind::ScheduleDownload {
                file_type: "1 Firmware Upgrade Image".into(),
                url: "https://fw.example.net/huge.bin".into(),
                file_size: u64::from(u32::MAX) + 1,
                target_file_name: String::new(),
                time_windows: vec![window(0, 10)],
                username: None,
                password: None,
            },
            "file size",
        ),
    ];
    let tasks = bad
        .iter()
        .map(|(id, k, _)| task(*id, &device, k.clone()))
        .collect();
    let t = session(&mut cpe, &device, tasks);
    assert!(t.rpcs.is_empty());
    for (id, _, why) in bad {
        let f = by_id(&t, id);
        assert_eq!((f.state, f.attempts), (TaskState::Failed, 0), "task {id}");
        let fault = f.fault.unwrap();
        assert_eq!(fault.code, 9003);
        assert!(fault.message.contains(why), "task {id}: {}", fault.message);
    }
}

/// A.5 / Table A.5: 9000 "Method not supported" from a CPE that lacks an optional RPC
/// fails the task at once (no retry), one device fault each, audited with the kind.
#[test]
fn an_unsupported_method_fails_at_once() {
    let mut ata = Tr098Cpe::new("ATA0808", &[1]);
    let device = ata.device();
    let kinds = [
        upload(),
        schedule_download(vec![window(0, 60)]),
        TaskKind::GetAllQueuedTransfers,
        TaskKind::CancelTransfer {
            command_key: "task-1".into(),
        },
        TaskKind::ScheduleInform { delay_seconds: 60 },
        TaskKind::GetParameterAttributes {
            names: vec!["InternetGatewayDevice.DeviceInfo.".into()],
        },
        TaskKind::SetParameterAttributes {
            attributes: vec![AttributeChange {
                name: "InternetGatewayDevice.DeviceInfo.ProvisioningCode".into(),
                notification: Some(2),
                access_list: None,
            }],
        },
    ];
    let tasks: Vec<Task> = kinds
        .iter()
        .enumerate()
        .map(|(k, kind)| task(40 + k as i64, &device, kind.clone()))
        .collect();
    let t = session(&mut ata, &device, tasks);
    assert_eq!(
        t.methods(),
        [
            "Upload",
            "ScheduleDownload",
            "GetAllQueuedTransfers",
            "CancelTransfer",
            "ScheduleInform",
            "GetParameterAttributes",
            "SetParameterAttributes"
        ]
    );
    assert_eq!(t.outcome.tasks.len(), kinds.len());
    for f in &t.outcome.tasks {
        assert_eq!(
            (f.state, f.attempts),
            (TaskState::Failed, 1),
            "{:?}",
            f.kind
        );
        let fault = f.fault.as_ref().unwrap();
        assert_eq!(fault.code, 9000);
    }
    assert_eq!(t.outcome.device.open_faults, kinds.len() as u32);
    let audited: Vec<&str> = t
        .outcome
        .audit
        .iter()
        .filter(|a| a.action == "task.failed")
        .filter_map(|a| a.detail["kind"].as_str())
        .collect();
    assert_eq!(
        audited,
        [
            "upload",
            "schedule_download",
            "get_all_queued_transfers",
            "cancel_transfer",
            "schedule_inform",
            "get_parameter_attributes",
            "set_parameter_attributes"
        ]
    );
    let audit = serde_json::to_string(&t.outcome.audit).unwrap();
    assert!(!audit.contains(PASSWORD));
}

/// A response that is not the one the RPC asks for (a confused CPE) is a session
/// failure: retried, never done.
#[test]
fn a_wrong_response_is_retried() {
    struct Confused;
    impl Cpe for Confused {
        fn inform(&mut self, events: &[&str]) -> Envelope {
            TipringCpe::new("TR0809", 1).inform(events)
        }
        fn answer(&mut self, rpc: &Envelope) -> Envelope {
            rpc.reply(Body::ScheduleInformResponse)
        }
    }
    let device = TipringCpe::new("TR0809", 1).device();
    let t = session(
        &mut Confused,
        &device,
        vec![task(50, &device, TaskKind::GetAllQueuedTransfers)],
    );
    let f = by_id(&t, 50);
    assert_eq!((f.state, f.attempts), (TaskState::Retrying, 1));
    let fault = f.fault.unwrap();
    assert_eq!(fault.code, 0);
    assert!(
        fault.message.contains("get_all_queued_transfers"),
        "{}",
        fault.message
    );
}

//! Downloads and the CPE's own requests: a Download answered "pending" waits in flight
//! for its TransferComplete, matched by CommandKey in a later session (TR-069 Amendment 6
//! §A.3.2.8, §A.3.3.2); the other CPE requests are answered and audited.

use tipring_acs::model::{TaskKind, TaskState};
use tipring_cwmp::{
    AutonomousTransferComplete, Body, Envelope, FaultCode, FileTypeArg, Kicked, RequestDownload,
    TransferComplete, TransferFault,
};

use crate::common::*;

fn download(id: i64, device: &tipring_acs::model::Device) -> tipring_acs::model::Task {
    task(
        id,
        device,
        TaskKind::Download {
            file_type: "1 Firmware Upgrade Image".into(),
            url: "https://fw.example.net/tipring-1.2.0.bin".into(),
            file_size: 4_000_000,
            target_file_name: String::new(),
        },
    )
}

fn transfer_complete(key: &str, fault: Option<u32>) -> Envelope {
    Envelope::new(
        "tc-1",
        Body::TransferComplete(TransferComplete {
            command_key: key.into(),
            fault: fault.map(|c| TransferFault {
                code: FaultCode(c),
                string: "File transfer failure".into(),
            }),
            start_time: "2024-05-01T12:01:00Z".into(),
            complete_time: "2024-05-01T12:02:00Z".into(),
        }),
    )
}

#[test]
fn transfer_complete_matches_its_download_task() {
    let mut cpe = TipringCpe::new("TR0200", 1);
    let device = cpe.device();
    let t = run(
        &mut cpe,
        &["2 PERIODIC"],
        device.clone(),
        vec![download(7, &device)],
        None,
        Vec::new(),
        Vec::new(),
    );
    let Body::Download(d) = t.of("Download")[0] else {
        unreachable!()
    };
    assert_eq!(d.command_key, "task-7");
    assert_eq!(d.file_size, 4_000_000);
    let waiting = t.outcome.tasks[0].clone();
    assert_eq!(
        waiting.state,
        TaskState::InFlight,
        "status 1: a TransferComplete follows"
    );
    assert_eq!(waiting.result.as_ref().unwrap()["status"], 1);

    // The next session: the TransferComplete comes before the empty POST; the Download
    // is not sent again.
    let t = run(
        &mut cpe,
        &["1 BOOT", "7 TRANSFER COMPLETE", "M Download"],
        device,
        vec![waiting],
        None,
        Vec::new(),
        vec![transfer_complete("task-7", None)],
    );
    assert_eq!(
        read(&t.replies[1]).body,
        Some(Body::TransferCompleteResponse)
    );
    assert!(t.rpcs.is_empty());
    let done = &t.outcome.tasks[0];
    assert_eq!(done.state, TaskState::Done);
    let r = done.result.as_ref().unwrap();
    assert_eq!(
        (r["transfer"].as_str(), r["complete_time"].as_str()),
        (Some("complete"), Some("2024-05-01T12:02:00Z"))
    );
}

/// A TransferComplete with fault 9010 (transfer failure) is transient: the Download is
/// retried later, and sent again once due.
#[test]
fn a_failed_transfer_is_retried() {
    let mut cpe = TipringCpe::new("TR0201", 1);
    let device = cpe.device();
    let mut waiting = download(8, &device);
    waiting.state = TaskState::InFlight;
    let t = run(
        &mut cpe,
        &["7 TRANSFER COMPLETE", "M Download"],
        device.clone(),
        vec![waiting],
        None,
        Vec::new(),
        vec![transfer_complete("task-8", Some(9010))],
    );
    let retry = t.outcome.tasks[0].clone();
    assert_eq!((retry.state, retry.attempts), (TaskState::Retrying, 1));
    assert_eq!(retry.fault.as_ref().unwrap().code, 9010);
    assert!(t.rpcs.is_empty(), "not again in the same session");
    let mut due = retry;
    due.next_attempt_at = NOW;
    let t = run(
        &mut cpe,
        &["2 PERIODIC"],
        device.clone(),
        vec![due],
        None,
        Vec::new(),
        Vec::new(),
    );
    assert_eq!(t.methods(), ["Download"]);

    // 9019 (the image's signature is bad) will not mend.
    let mut waiting = download(9, &device);
    waiting.state = TaskState::InFlight;
    let t = run(
        &mut cpe,
        &["7 TRANSFER COMPLETE"],
        device,
        vec![waiting],
        None,
        Vec::new(),
        vec![transfer_complete("task-9", Some(9019))],
    );
    assert_eq!(t.outcome.tasks[0].state, TaskState::Failed);
    assert_eq!(t.outcome.device.open_faults, 1);
}

#[test]
fn an_unmatched_transfer_complete_is_answered_and_audited() {
    let mut cpe = TipringCpe::new("TR0202", 1);
    let device = cpe.device();
    let t = run(
        &mut cpe,
        &["7 TRANSFER COMPLETE"],
        device,
        Vec::new(),
        None,
        Vec::new(),
        vec![transfer_complete("from-another-acs", None)],
    );
    assert_eq!(
        read(&t.replies[1]).body,
        Some(Body::TransferCompleteResponse)
    );
    let a = &t.outcome.audit[0];
    assert_eq!(
        (a.action.as_str(), a.detail["command_key"].as_str()),
        ("transfer.unmatched", Some("from-another-acs"))
    );
}

/// GetRPCMethods, AutonomousTransferComplete, RequestDownload and Kicked from the CPE are
/// answered with their responses (Annex A.3.1.1, A.3.3.3, A.4.2.1, A.4.2.2); an unknown
/// method with 8000.
#[test]
fn cpe_requests_are_answered() {
    let mut cpe = TipringCpe::new("TR0203", 1);
    let device = cpe.device();
    let requests = vec![
        Envelope::new("r1", Body::GetRpcMethods),
        Envelope::new(
            "r2",
            Body::AutonomousTransferComplete(AutonomousTransferComplete {
                transfer_url: "http://fw.local/x.bin".into(),
                is_download: true,
                file_type: "1 Firmware Upgrade Image".into(),
                ..Default::default()
            }),
        ),
        Envelope::new(
            "r3",
            Body::RequestDownload(RequestDownload {
                file_type: "2 Web Content".into(),
                file_type_args: vec![FileTypeArg {
                    name: "Version".into(),
                    value: "2".into(),
                }],
            }),
        ),
        Envelope::new(
            "r4",
            Body::Kicked(Kicked {
                command: "login".into(),
                next: "http://portal/next".into(),
                ..Default::default()
            }),
        ),
        Envelope::new("r5", Body::Unknown("X_ACME_Hello".into())),
    ];
    let t = run(
        &mut cpe,
        &["10 AUTONOMOUS TRANSFER COMPLETE"],
        device,
        Vec::new(),
        None,
        Vec::new(),
        requests,
    );
    let answers: Vec<Body> = t.replies[1..6]
        .iter()
        .map(|r| read(r).body.unwrap())
        .collect();
    let Body::GetRpcMethodsResponse(methods) = &answers[0] else {
        panic!("{:?}", answers[0])
    };
    assert!(methods.iter().any(|m| m == "TransferComplete"));
    assert_eq!(answers[1], Body::AutonomousTransferCompleteResponse);
    assert_eq!(answers[2], Body::RequestDownloadResponse);
    assert_eq!(
        answers[3],
        Body::KickedResponse("http://portal/next".into())
    );
    let Body::Fault(f) = &answers[4] else {
        panic!()
    };
    assert_eq!(f.code(), Some(FaultCode::ACS_METHOD_NOT_SUPPORTED));
    let actions: Vec<&str> = t.outcome.audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "device.autonomous_transfer",
            "device.request_download",
            "device.kicked"
        ]
    );
}

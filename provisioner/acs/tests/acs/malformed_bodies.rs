//! Bad input from a CPE: answered with a CWMP fault (8000/8003) or an HTTP status, the
//! session never panics, and a response it cannot read counts against its RPC.

use tipring_acs::model::{TaskKind, TaskState};
use tipring_acs::{read_inform, AcsConfig, Session};
use tipring_cwmp::{Body, Envelope, FaultCode, ParameterValue};

use crate::common::*;

fn session(cpe: &mut TipringCpe, tasks: Vec<tipring_acs::model::Task>) -> Session {
    let info = read_inform(&cpe.inform(&["2 PERIODIC"]).to_xml()).unwrap();
    Session::start(
        &AcsConfig::default(),
        info,
        cpe.device(),
        tasks,
        None,
        Vec::new(),
        NOW,
    )
    .0
}

#[test]
fn garbage_is_400_and_ends_the_session() {
    let mut cpe = TipringCpe::new("TR0300", 1);
    let mut s = session(&mut cpe, Vec::new());
    let r = s.handle(b"<html>not cwmp", NOW);
    assert_eq!((r.status, r.done, r.body.is_empty()), (400, true, true));
    assert!(s.is_done());
    // Anything after the end is the end.
    assert_eq!(s.handle(b"", NOW).status, 204);
}

#[test]
fn an_oversized_body_is_413() {
    let mut cpe = TipringCpe::new("TR0301", 1);
    let info = read_inform(&cpe.inform(&["2 PERIODIC"]).to_xml()).unwrap();
    let cfg = AcsConfig {
        max_body: 512,
        ..AcsConfig::default()
    };
    let (mut s, _) = Session::start(&cfg, info, cpe.device(), Vec::new(), None, Vec::new(), NOW);
    let r = s.handle(&vec![b' '; 600], NOW);
    assert_eq!((r.status, r.done), (413, true));
}

/// A request whose argument is not of its type, with a cwmp:ID: Fault 8003 (Annex A.5.2),
/// and the session goes on.
#[test]
fn an_invalid_request_gets_fault_8003() {
    let mut cpe = TipringCpe::new("TR0302", 1);
    let mut s = session(&mut cpe, Vec::new());
    let bad = br#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
      xmlns:cwmp="urn:dslforum-org:cwmp-1-2"><soap:Header><cwmp:ID soap:mustUnderstand="1">77</cwmp:ID></soap:Header>
      <soap:Body><cwmp:AutonomousTransferComplete><AnnounceURL></AnnounceURL><TransferURL>x</TransferURL>
      <IsDownload>perhaps</IsDownload><FileType>1 Firmware Upgrade Image</FileType><FileSize>many</FileSize>
      <TargetFileName></TargetFileName><FaultStruct><FaultCode>0</FaultCode><FaultString></FaultString></FaultStruct>
      <StartTime>0001-01-01T00:00:00Z</StartTime><CompleteTime>0001-01-01T00:00:00Z</CompleteTime>
      </cwmp:AutonomousTransferComplete></soap:Body></soap:Envelope>"#;
    let r = s.handle(bad, NOW);
    let env = read(&r);
    assert_eq!(env.id(), Some("77"));
    let Some(Body::Fault(f)) = env.body else {
        panic!()
    };
    assert_eq!(f.code(), Some(FaultCode::ACS_INVALID_ARGUMENTS));
    assert!(!r.done);
    assert_eq!(s.handle(b"", NOW).status, 204);
}

/// §3.7.2.3: a response carries its request's cwmp:ID; another one ends the session.
#[test]
fn a_response_with_another_id_is_400() {
    let mut cpe = TipringCpe::new("TR0303", 1);
    let device = cpe.device();
    let gpv = task(
        1,
        &device,
        TaskKind::GetParameterValues {
            names: vec!["Device.DeviceInfo.UpTime".into()],
        },
    );
    let mut s = session(&mut cpe, vec![gpv]);
    let rpc = read(&s.handle(b"", NOW));
    let mut answer = cpe.answer(&rpc);
    answer.header.id = Some("not-yours".into());
    let r = s.handle(&answer.to_xml(), NOW);
    assert_eq!((r.status, r.done), (400, true));
    let o = s.finish(NOW, false);
    assert_eq!(o.tasks[0].state, TaskState::Retrying);
}

/// A response that cannot be read is a failure of its RPC (session failure, retried);
/// the session goes on with the next one.
#[test]
fn an_unreadable_response_fails_its_rpc_and_the_session_goes_on() {
    let mut cpe = TipringCpe::new("TR0304", 1);
    let device = cpe.device();
    let tasks = vec![
        task(
            1,
            &device,
            TaskKind::AddObject {
                path: "Device.X.".into(),
            },
        ),
        task(2, &device, TaskKind::Reboot),
    ];
    let mut s = session(&mut cpe, tasks);
    let rpc = read(&s.handle(b"", NOW));
    let id = rpc.id().unwrap().to_string();
    let bad = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2">
        <s:Header><cwmp:ID s:mustUnderstand="1">{id}</cwmp:ID></s:Header><s:Body><cwmp:AddObjectResponse>
        <InstanceNumber>seven</InstanceNumber><Status>0</Status></cwmp:AddObjectResponse></s:Body></s:Envelope>"#
    );
    let next = read(&s.handle(bad.as_bytes(), NOW));
    assert_eq!(next.method_name(), Some("Reboot"));
    let _ = s.handle(&cpe.answer(&next).to_xml(), NOW);
    let o = s.finish(NOW, true);
    assert_eq!(o.tasks[0].state, TaskState::Retrying);
    assert_eq!(o.tasks[0].fault.as_ref().unwrap().code, 0);
    assert_eq!(o.tasks[1].state, TaskState::Done);
}

/// An empty POST while an RPC is out: that RPC failed (the CPE did not answer it).
#[test]
fn an_empty_post_instead_of_a_response() {
    let mut cpe = TipringCpe::new("TR0305", 1);
    let device = cpe.device();
    let mut s = session(&mut cpe, vec![task(1, &device, TaskKind::Reboot)]);
    let _ = read(&s.handle(b"", NOW));
    let r = s.handle(b"", NOW);
    assert_eq!(r.status, 204);
    let o = s.finish(NOW, true);
    assert_eq!(o.tasks[0].state, TaskState::Retrying);
}

/// Seeded mutations of a response, mid-session: every answer is a CWMP envelope, 204,
/// 400 or 413, never a panic.
#[test]
fn mutated_bodies_never_panic() {
    let mut x: u64 = 0xDEAD_BEEF_CAFE_F00D;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let response = Envelope::new(
        "acs-1",
        Body::GetParameterValuesResponse(vec![ParameterValue::unsigned_int(
            "Device.DeviceInfo.UpTime",
            5,
        )]),
    )
    .to_xml();
    for round in 0..150 {
        let mut cpe = TipringCpe::new("TR0306", 1);
        let device = cpe.device();
        let gpv = task(
            1,
            &device,
            TaskKind::GetParameterValues {
                names: vec!["Device.DeviceInfo.UpTime".into()],
            },
        );
        let mut s = session(&mut cpe, vec![gpv]);
        let _ = s.handle(b"", NOW);
        let mut b = response.clone();
        for _ in 0..(1 + next() % 6) {
            let i = (next() as usize) % b.len();
            b[i] = next() as u8;
        }
        if round % 10 == 0 {
            b.truncate((next() as usize) % b.len());
        }
        let r = s.handle(&b, NOW);
        assert!(matches!(r.status, 200 | 204 | 400 | 413), "{}", r.status);
        let _ = s.finish(NOW, r.status == 204);
    }
}

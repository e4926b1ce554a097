//! A third-party TR-098 ATA: `InternetGatewayDevice.` root, TR-104 issue 1 paths, CWMP
//! 1.0, no `0 BOOTSTRAP`, a GetParameterNames on the root refused with 9005, one line
//! where the profile wants two, and no VoiceProcessing object. It is provisioned in one
//! session anyway, and the next session sends nothing.

use tipring_acs::model::TaskState;
use tipring_acs::VoicePaths;
use tipring_cwmp::{Body, CwmpVersion};

use crate::common::*;

#[test]
fn a_tr098_ata_is_provisioned_with_issue1_paths() {
    let mut cpe = Tr098Cpe::new("AT2F01", &[1]);
    let device = cpe.device();
    assert_eq!(VoicePaths::detect(&device, &[]), VoicePaths::Issue1);
    let plan = plan_for(&device, 2, VoicePaths::Issue1);
    assert!(plan.parameters.iter().all(|p| p.name.starts_with(IGD_VP)));

    let t = run(
        &mut cpe,
        &["1 BOOT"],
        device.clone(),
        Vec::new(),
        Some(plan.clone()),
        Vec::new(),
        Vec::new(),
    );
    // The reply speaks the CPE's CWMP 1.0 namespace.
    assert_eq!(t.inform_response.version, CwmpVersion::V1_0);
    assert!(t.rpcs.iter().all(|r| r.version == CwmpVersion::V1_0));
    assert_eq!(
        t.methods(),
        [
            "GetParameterValues",
            "GetParameterNames",
            "GetParameterNames",
            "GetParameterNames",
            "AddObject",
            "GetParameterValues",
            "SetParameterValues",
            "SetParameterAttributes",
        ]
    );
    // The tables were walked one level at a time, outermost first; never the root.
    let walked: Vec<&str> = cpe
        .received
        .iter()
        .filter(|r| r.starts_with("GetParameterNames"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        walked,
        [
            "GetParameterNames InternetGatewayDevice.Services.VoiceService.",
            "GetParameterNames InternetGatewayDevice.Services.VoiceService.1.VoiceProfile.",
            "GetParameterNames InternetGatewayDevice.Services.VoiceService.1.VoiceProfile.1.Line.",
        ]
    );
    assert!(cpe.received.contains(&format!("AddObject {IGD_VP}Line.")));

    // What the ATA holds now.
    let v = |n: &str| cpe.value(&format!("{IGD_VP}{n}")).map(str::to_string);
    assert_eq!(v("SIP.ProxyServer").as_deref(), Some("pbx.berlin.example"));
    assert_eq!(v("SIP.ProxyServerPort").as_deref(), Some("5070"));
    assert_eq!(v("SIP.UserAgentDomain").as_deref(), Some("berlin.example"));
    assert_eq!(v("SIP.RegisterExpires").as_deref(), Some("600"));
    assert_eq!(v("Region").as_deref(), Some("DE"));
    assert_eq!(v("Line.1.DirectoryNumber").as_deref(), Some("200"));
    assert_eq!(v("Line.2.DirectoryNumber").as_deref(), Some("201"));
    assert_eq!(v("Line.2.Enable").as_deref(), Some("Enabled"));
    assert_eq!(v("Line.2.SIP.AuthUserName").as_deref(), Some("201"));
    assert_eq!(v("Line.1.SIP.AuthPassword"), secret("ports.1.password"));
    assert_eq!(v("Line.2.SIP.AuthPassword"), secret("ports.2.password"));
    assert_eq!(
        v("Line.2.CallingFeatures.CallerIDName").as_deref(),
        Some("berlin 2")
    );

    // Typed as the ATA reports them; what it lacks is skipped, not fatal.
    let Body::SetParameterValues(spv) = t.of("SetParameterValues")[0] else {
        unreachable!()
    };
    let port = spv
        .parameters
        .iter()
        .find(|p| p.name.ends_with("SIP.ProxyServerPort"))
        .unwrap();
    assert_eq!(port.kind, tipring_cwmp::ValueType::UnsignedInt);
    assert!(spv
        .parameters
        .iter()
        .all(|p| !p.name.contains("VoiceProcessing")));
    let o = &t.outcome;
    assert_eq!(o.provisioned.as_deref(), Some(plan.digest.as_str()));
    let result = o.tasks[0].result.as_ref().unwrap();
    assert_eq!(o.tasks[0].state, TaskState::Done);
    assert_eq!(result["added"][0], format!("{IGD_VP}Line.2."));
    assert!(result["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("VoiceProcessing.TransmitGain")));
    assert_eq!(result["secrets"], 2);
    assert_eq!(o.device.model, "ATA-2");

    // Idempotent: a periodic session later sends nothing; a boot reads and sets nothing.
    let t = run(
        &mut cpe,
        &["2 PERIODIC"],
        o.device.clone(),
        Vec::new(),
        Some(plan.clone()),
        Vec::new(),
        Vec::new(),
    );
    assert!(t.rpcs.is_empty());
    let t = run(
        &mut cpe,
        &["1 BOOT"],
        o.device.clone(),
        Vec::new(),
        Some(plan),
        Vec::new(),
        Vec::new(),
    );
    assert_eq!(t.methods(), ["GetParameterValues"]);
}

/// Lines 1 and 3 exist: the plan's two lines go to them, in order, without AddObject.
#[test]
fn existing_instances_are_used_in_order() {
    let mut cpe = Tr098Cpe::new("AT2F02", &[1, 3]);
    let device = cpe.device();
    let plan = plan_for(&device, 2, VoicePaths::Issue1);
    let t = run(
        &mut cpe,
        &["1 BOOT"],
        device,
        Vec::new(),
        Some(plan),
        Vec::new(),
        Vec::new(),
    );
    assert!(!t.methods().contains(&"AddObject"));
    assert_eq!(
        cpe.value(&format!("{IGD_VP}Line.3.DirectoryNumber")),
        Some("201")
    );
    assert_eq!(
        cpe.value(&format!("{IGD_VP}Line.3.SIP.AuthPassword")),
        secret("ports.2.password").as_deref()
    );
    assert!(cpe
        .value(&format!("{IGD_VP}Line.2.DirectoryNumber"))
        .is_none());
    assert_eq!(t.outcome.tasks[0].state, TaskState::Done);
}

/// A factory-fresh ATA without a voice profile: the read faults 9005, the tables are
/// looked up level by level, the profile and both lines are added, and the ATA's refusal
/// to set one parameter (9008) drops that parameter from a second SetParameterValues
/// instead of failing the whole pass.
#[test]
fn a_bare_ata_gets_its_profile_and_lines_added() {
    let mut cpe = Tr098Cpe::bare("AT2F03");
    cpe.refuse_to_set = vec!["CallingFeatures.CallWaitingEnable".into()];
    let device = cpe.device();
    let plan = plan_for(&device, 2, VoicePaths::Issue1);
    let t = run(
        &mut cpe,
        &["1 BOOT"],
        device,
        Vec::new(),
        Some(plan.clone()),
        Vec::new(),
        Vec::new(),
    );
    assert_eq!(
        t.methods(),
        [
            "GetParameterValues",
            "GetParameterNames",
            "GetParameterNames",
            "AddObject",
            "GetParameterNames",
            "AddObject",
            "AddObject",
            "GetParameterValues",
            "SetParameterValues",
            "SetParameterValues",
            "SetParameterAttributes",
        ]
    );
    let adds: Vec<&str> = cpe
        .received
        .iter()
        .filter(|r| r.starts_with("AddObject"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        adds,
        [
            "AddObject InternetGatewayDevice.Services.VoiceService.1.VoiceProfile.".to_string(),
            format!("AddObject {IGD_VP}Line."),
            format!("AddObject {IGD_VP}Line."),
        ]
    );
    assert_eq!(
        cpe.value(&format!("{IGD_VP}Line.2.DirectoryNumber")),
        Some("201")
    );
    assert_eq!(
        cpe.value(&format!("{IGD_VP}Line.1.SIP.AuthPassword")),
        secret("ports.1.password").as_deref()
    );
    assert_eq!(
        cpe.value(&format!("{IGD_VP}Line.1.CallingFeatures.CallWaitingEnable")),
        Some("0")
    );
    let o = &t.outcome;
    assert_eq!(o.tasks[0].state, TaskState::Done);
    let r = o.tasks[0].result.as_ref().unwrap();
    assert_eq!(r["added"].as_array().unwrap().len(), 3);
    assert!(r["skipped"].as_array().unwrap().iter().any(|n| n
        .as_str()
        .unwrap()
        .ends_with("Line.1.CallingFeatures.CallWaitingEnable")));
    assert_eq!(o.provisioned.as_deref(), Some(plan.digest.as_str()));
}

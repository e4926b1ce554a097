//! Admission, rule by rule, with whole Informs: a certificate for another serial is
//! refused, a claim code works once and not after it expires, a pre-registered device is
//! approved, and an unknown device is quarantined and gets an empty session
//! (InformResponse, then 204) whatever is queued for it.

use tipring_acs::model::{ClaimCode, Enrollment, Preregistration, TaskKind};
use tipring_acs::{admit, claim_hash, read_inform, Admission, Credential, VoicePaths};

use crate::common::*;

fn cert(serial: &str) -> Credential {
    Credential::Certificate {
        serial: Some(serial.into()),
        oui: Some("00A0B1".into()),
        product_class: None,
        sha256: format!("{:0>64}", serial.len()),
    }
}

fn inform_of(cpe: &mut TipringCpe, events: &[&str]) -> tipring_acs::InformInfo {
    read_inform(&cpe.inform(events).to_xml()).unwrap()
}

#[test]
fn a_certificate_for_another_serial_is_refused() {
    let mut cpe = TipringCpe::new("TR0400", 2);
    let info = inform_of(&mut cpe, &["0 BOOTSTRAP"]);
    let known = cpe.device();
    let prereg = Preregistration {
        serial: "TR0400".into(),
        oui: String::new(),
        product_class: String::new(),
        site: None,
        tags: Vec::new(),
        initial_secret_sha256: None,
    };
    for record in [Some(&known), None] {
        match admit(&info, &cert("TR0999"), record, Some(&prereg), None, NOW) {
            Admission::Refuse {
                status,
                reason,
                audit,
            } => {
                assert_eq!(status, 403);
                assert!(reason.contains("serial"), "{reason}");
                assert_eq!(audit[0].action, "device.refused");
                assert_eq!(audit[0].detail["certificate_serial"], "TR0999");
                assert_eq!(audit[0].detail["inform_serial"], "TR0400");
            }
            other => panic!("{other:?}"),
        }
    }
    // Nothing proved at all: authenticate first.
    assert!(matches!(
        admit(&info, &Credential::None, Some(&known), None, None, NOW),
        Admission::Refuse { status: 401, .. }
    ));
}

#[test]
fn a_claim_code_works_once() {
    let code = "7KQ-29F-XM4";
    let mut claim = ClaimCode {
        code_sha256: claim_hash(code),
        site: Some("berlin".into()),
        tags: vec!["claimed".into()],
        expires_at: NOW + 86_400,
        used_by: None,
        created_at: NOW - 60,
        created_by: "installer-desk".into(),
    };
    // The installer types the code into the first gateway (its ProvisioningCode).
    let mut first = TipringCpe::new("TR0401", 2);
    first.state.provisioning_code = code.into();
    let info = inform_of(&mut first, &["0 BOOTSTRAP", "1 BOOT"]);
    assert_eq!(info.provisioning_code, code);
    let Admission::Accept {
        device,
        consume_claim,
        audit,
    } = admit(&info, &cert("TR0401"), None, None, Some(&claim), NOW)
    else {
        panic!("the first device with the code is approved")
    };
    assert_eq!(device.enrollment, Enrollment::Approved);
    assert_eq!(device.site.as_deref(), Some("berlin"));
    assert_eq!(device.tags, ["claimed"]);
    assert_eq!(consume_claim.as_deref(), Some(claim.code_sha256.as_str()));
    assert_eq!(audit[0].detail["how"], "claim");
    // The shell marks the code used in the same write; a second gateway tries it.
    claim.used_by = Some(device.id.clone());
    let mut second = TipringCpe::new("TR0402", 2);
    second.state.provisioning_code = code.into();
    let info = inform_of(&mut second, &["0 BOOTSTRAP", "1 BOOT"]);
    let Admission::Quarantine { device, audit } =
        admit(&info, &cert("TR0402"), None, None, Some(&claim), NOW + 5)
    else {
        panic!("a used code enrolls nobody")
    };
    assert_eq!(device.enrollment, Enrollment::Pending);
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, ["claim.rejected", "device.quarantined"]);
    assert_eq!(audit[0].detail["reason"], "used");
}

#[test]
fn an_expired_claim_leaves_the_device_pending() {
    let code = "EXP-111-222";
    let claim = ClaimCode {
        code_sha256: claim_hash(code),
        site: Some("berlin".into()),
        tags: Vec::new(),
        expires_at: NOW - 1,
        used_by: None,
        created_at: NOW - 86_400,
        created_by: "ops".into(),
    };
    let mut cpe = TipringCpe::new("TR0403", 1);
    cpe.state.provisioning_code = code.into();
    let info = inform_of(&mut cpe, &["1 BOOT"]);
    let Admission::Quarantine { audit, .. } =
        admit(&info, &cert("TR0403"), None, None, Some(&claim), NOW)
    else {
        panic!()
    };
    assert_eq!(audit[0].action, "claim.rejected");
    assert_eq!(audit[0].detail["reason"], "expired");
}

#[test]
fn a_preregistered_device_is_approved_into_its_site() {
    let mut cpe = TipringCpe::new("TR0404", 2);
    let info = inform_of(&mut cpe, &["0 BOOTSTRAP", "1 BOOT"]);
    let prereg = Preregistration {
        serial: "TR0404".into(),
        oui: "00a0b1".into(),
        product_class: "FXS".into(),
        site: Some("berlin".into()),
        tags: vec!["wave-2".into()],
        initial_secret_sha256: Some("11".repeat(32)),
    };
    // With a per-device digest password (the pre-registration's initial secret).
    let digest = Credential::Digest {
        username: info.key.id(),
    };
    let Admission::Accept { device, audit, .. } =
        admit(&info, &digest, None, Some(&prereg), None, NOW)
    else {
        panic!()
    };
    assert_eq!(
        (device.enrollment, device.site.as_deref()),
        (Enrollment::Approved, Some("berlin"))
    );
    assert_eq!(
        device.connection_request_url.as_deref(),
        Some("http://10.0.0.7:7547/TR0404")
    );
    assert_eq!(audit[0].detail["credential"], "digest");
    // A digest for another user name is refused.
    let other = Credential::Digest {
        username: "00A0B1-FXS-TR0001".into(),
    };
    assert!(matches!(
        admit(&info, &other, None, Some(&prereg), None, NOW),
        Admission::Refuse { status: 403, .. }
    ));
}

/// Quarantine: a pending device gets no configuration and no secret — an InformResponse,
/// then 204 — even with tasks queued and a plan rendered for it.
#[test]
fn an_unknown_device_gets_an_empty_session() {
    let mut cpe = TipringCpe::new("TR0405", 2);
    let info = inform_of(&mut cpe, &["0 BOOTSTRAP", "1 BOOT"]);
    let Admission::Quarantine { device, audit } =
        admit(&info, &cert("TR0405"), None, None, None, NOW)
    else {
        panic!("unknown: quarantined")
    };
    assert_eq!(device.enrollment, Enrollment::Pending);
    assert_eq!(audit[0].action, "device.quarantined");
    let plan = plan_for(&device, 2, VoicePaths::Tipring);
    let tasks = vec![
        task(1, &device, TaskKind::Reboot),
        task(2, &device, TaskKind::Provision),
    ];
    let t = run(
        &mut cpe,
        &["0 BOOTSTRAP", "1 BOOT"],
        device,
        tasks,
        Some(plan),
        Vec::new(),
        Vec::new(),
    );
    assert!(t.rpcs.is_empty());
    assert_eq!(t.replies.len(), 2, "InformResponse, then 204");
    assert!(t.outcome.tasks.is_empty());
    assert_eq!(t.outcome.provisioned, None);
    assert!(
        cpe.config.ports.iter().all(|p| p.password.is_none()),
        "no secret reached it"
    );
}

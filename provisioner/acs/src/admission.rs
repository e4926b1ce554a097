//! Admission: who may open a session, and what it gets.
//!
//! The HTTP shell authenticates the CPE — it verifies the client certificate's chain to
//! the factory CA (mutual TLS) or an HTTP digest response (RFC 7616) against a
//! **per-device** password — and passes what it proved as a [`Credential`]. [`admit`]
//! then decides, from the Inform, the device's record, a matching pre-registration and
//! a claim code, with these rules, in this order:
//!
//! 1. **No credential** → refused, 401: the shell challenges for a digest or asks for a
//!    certificate.
//! 2. **A certificate whose serial number does not match the Inform's `DeviceId`** (or
//!    whose OUI or product class does not, when the certificate carries them), or that
//!    names no serial number → refused, 403, with an audit record of the attempt
//!    (`device.refused`).
//! 3. **A digest username other than the device's id** ([`DeviceKey::id`](crate::model::DeviceKey::id)) → refused,
//!    403 (audited).
//! 4. **A known device that an operator rejected** → refused, 403 (audited).
//! 5. **A known device whose recorded certificate (SHA-256) differs from the one
//!    presented** → refused, 403, unless the new certificate's chain was verified and its
//!    serial matches (which rules 1-2 have established for every certificate that gets
//!    here): then it is accepted and `device.cert_changed` is audited. A device on record
//!    with a certificate that comes back with a digest only is refused (403): it may not
//!    step down to a weaker credential.
//! 6. **A known, approved device** → accepted, its record updated from the Inform
//!    (manufacturer, model, versions, provisioning code, root, connection request URL,
//!    `last_inform`, `last_boot` on `1 BOOT` / `0 BOOTSTRAP`, certificate hash).
//! 7. **An unknown or pending device matching a pre-registration** (serial number, and
//!    the OUI and product class where the pre-registration names them) → accepted as
//!    approved into the pre-registration's site with its tags (`device.enrolled`, how:
//!    `preregistration`). A pre-registration without an initial secret requires the
//!    device's certificate: with a digest only, the device stays pending.
//! 8. **An unknown or pending device whose Inform carries a ProvisioningCode whose SHA-256
//!    ([`claim_hash`]) is an unused, unexpired claim code** → accepted as approved into
//!    the claim's site with its tags (`device.enrolled`, how: `claim`), and
//!    `consume_claim` names the code so that the shell marks it used in the same
//!    transaction. An expired or already used code leaves the device pending
//!    (`claim.rejected`, with why).
//! 9. **Otherwise** → quarantined: a pending record (new on first contact,
//!    `device.quarantined`), and the session is empty (InformResponse, then 204).
//!
//! **A device is never given a configuration or a secret on its serial number or MAC
//! address alone.** Acceptance always needs a credential the shell proved: a certificate
//! chained to the factory CA whose subject names this serial number, or an HTTP digest
//! with a password that belongs to this one device (its own, or its pre-registration's
//! initial secret) — never a password shared by a fleet. A serial number in an Inform
//! proves nothing: anyone can type one. A claim code is a one-time secret that an
//! installer carries to the device; it moves an *authenticated* device out of
//! quarantine, and only once.

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::inform::InformInfo;
use crate::model::{AuditEntry, ClaimCode, Device, Enrollment, Preregistration, Root};

/// What the shell proved about the peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A client certificate whose chain the shell verified to the factory CA, with what
    /// its subject says.
    Certificate {
        /// The serial number it names (the subject's `serialNumber`, or its CN).
        serial: Option<String>,
        /// The OUI it names, if any.
        oui: Option<String>,
        /// The product class it names, if any.
        product_class: Option<String>,
        /// SHA-256 (hex) of the certificate (DER).
        sha256: String,
    },
    /// An HTTP digest response the shell verified against a password of this one device.
    Digest {
        /// The digest `username`.
        username: String,
    },
    /// Nothing proved.
    None,
}

/// The decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Admission {
    /// The session goes on: tasks and provisioning for this (approved) device.
    Accept {
        /// The device record, updated from the Inform (store it).
        device: Device,
        /// What to audit.
        audit: Vec<AuditEntry>,
        /// A claim code (its SHA-256) to mark used by this device, in the same write.
        consume_claim: Option<String>,
    },
    /// The device is pending: an empty session (InformResponse, then 204).
    Quarantine {
        /// The pending record (new or updated; store it).
        device: Device,
        /// What to audit.
        audit: Vec<AuditEntry>,
    },
    /// Answer the Inform with this HTTP status and end.
    Refuse {
        /// 401 (authenticate) or 403 (refused).
        status: u16,
        /// Why, for the log (never a secret).
        reason: String,
        /// What to audit (an attempt with a wrong identity, a rejected device).
        audit: Vec<AuditEntry>,
    },
}

/// SHA-256 (hex) of a claim code as the installer typed it, trimmed: the key under which
/// [`ClaimCode`]s are stored.
pub fn claim_hash(code: &str) -> String {
    hex(&Sha256::digest(code.trim().as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[usize::from(b >> 4)] as char);
        s.push(H[usize::from(b & 15)] as char);
    }
    s
}

/// An audit record by the device itself.
pub(crate) fn audit(
    device_id: &str,
    now: i64,
    action: &str,
    detail: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        id: 0,
        at: now,
        actor: format!("device:{device_id}"),
        action: action.to_string(),
        target: device_id.to_string(),
        detail,
    }
}

/// Copies what an Inform says into a device record: manufacturer, model, versions,
/// provisioning code, root (when known), connection request URL, `last_inform`, and
/// `last_boot` on `1 BOOT` / `0 BOOTSTRAP`.
pub fn apply_inform(device: &mut Device, info: &InformInfo, now: i64) {
    if !info.manufacturer.is_empty() {
        device.manufacturer = info.manufacturer.clone();
    }
    if !info.model.is_empty() {
        device.model = info.model.clone();
    }
    device.software_version = info.software_version.clone();
    device.hardware_version = info.hardware_version.clone();
    device.provisioning_code = info.provisioning_code.clone();
    if info.root != Root::Unknown {
        device.root = info.root;
    }
    if info.connection_request_url.is_some() {
        device.connection_request_url = info.connection_request_url.clone();
    }
    device.last_inform = Some(now);
    device.utc_offset_min = crate::inform::utc_offset_minutes(&info.current_time);
    if info.is_boot() {
        device.last_boot = Some(now);
    }
}

/// Decides a session (see the module documentation for the rules).
///
/// `known` is the device's record (looked up by [`DeviceKey::id`](crate::model::DeviceKey::id)), `prereg` a
/// pre-registration for its serial number, `claim` the claim code stored under
/// [`claim_hash`] of the Inform's ProvisioningCode; each is checked again here.
pub fn admit(
    info: &InformInfo,
    credential: &Credential,
    known: Option<&Device>,
    prereg: Option<&Preregistration>,
    claim: Option<&ClaimCode>,
    now: i64,
) -> Admission {
    let id = info.key.id();
    let refuse = |status: u16, reason: String, action: Option<serde_json::Value>| {
        let audit = action
            .map(|detail| vec![audit(&id, now, "device.refused", detail)])
            .unwrap_or_default();
        Admission::Refuse {
            status,
            reason,
            audit,
        }
    };

    // Rules 1-3: the credential must name this device.
    let cert_sha = match credential {
        Credential::None => {
            return refuse(
                401,
                "no credential: digest or certificate needed".into(),
                None,
            )
        }
        Credential::Certificate {
            serial,
            oui,
            product_class,
            sha256,
        } => {
            let mismatch = match serial.as_deref().map(str::trim) {
                None | Some("") => Some("the certificate names no serial number".to_string()),
                Some(s) if s != info.key.serial => {
                    Some("the certificate's serial number is not the Inform's".to_string())
                }
                _ => None,
            }
            .or_else(|| {
                oui.as_deref()
                    .filter(|o| !o.trim().eq_ignore_ascii_case(&info.key.oui))
                    .map(|_| "the certificate's OUI is not the Inform's".to_string())
            })
            .or_else(|| {
                product_class
                    .as_deref()
                    .filter(|p| p.trim() != info.key.product_class)
                    .map(|_| "the certificate's product class is not the Inform's".to_string())
            });
            if let Some(why) = mismatch {
                return refuse(
                    403,
                    why.clone(),
                    Some(json!({
                        "reason": why,
                        "credential": "certificate",
                        "certificate_serial": serial,
                        "certificate_sha256": sha256,
                        "inform_serial": info.key.serial,
                    })),
                );
            }
            Some(sha256.to_ascii_lowercase())
        }
        Credential::Digest { username } => {
            if *username != id {
                let why = "the digest user name is not the device's id".to_string();
                return refuse(
                    403,
                    why.clone(),
                    Some(json!({"reason": why, "credential": "digest", "username": username})),
                );
            }
            None
        }
    };

    // Rules 4-5: the record's verdict and its certificate.
    let mut audit_log = Vec::new();
    if let Some(d) = known {
        if d.enrollment == Enrollment::Rejected {
            let why = "the device was rejected by an operator".to_string();
            return refuse(403, why.clone(), Some(json!({"reason": why})));
        }
        match (&d.cert_sha256, &cert_sha) {
            (Some(_), None) => {
                let why = "the device has a certificate on record: it must present it".to_string();
                return refuse(
                    403,
                    why.clone(),
                    Some(json!({"reason": why, "credential": "digest"})),
                );
            }
            (Some(old), Some(new)) if !old.eq_ignore_ascii_case(new) => {
                // The chain was verified and the serial matched (rule 2): a renewed or
                // replaced factory certificate.
                audit_log.push(audit(
                    &id,
                    now,
                    "device.cert_changed",
                    json!({"old_sha256": old, "new_sha256": new}),
                ));
            }
            _ => {}
        }
    }

    let mut device = known
        .cloned()
        .unwrap_or_else(|| Device::new(info.key.clone(), now));
    apply_inform(&mut device, info, now);
    if let Some(sha) = &cert_sha {
        device.cert_sha256 = Some(sha.clone());
    }

    // Rule 6.
    if device.enrollment == Enrollment::Approved {
        return Admission::Accept {
            device,
            audit: audit_log,
            consume_claim: None,
        };
    }

    // Rule 7: a pre-registration.
    if let Some(p) = prereg.filter(|p| prereg_matches(p, info)) {
        if p.initial_secret_sha256.is_none() && cert_sha.is_none() {
            audit_log.push(audit(
                &id,
                now,
                "device.enroll_denied",
                json!({"how": "preregistration",
                       "reason": "the pre-registration requires the device's certificate"}),
            ));
        } else {
            enroll(&mut device, p.site.clone(), &p.tags);
            audit_log.push(audit(
                &id,
                now,
                "device.enrolled",
                json!({"how": "preregistration",
                       "credential": if cert_sha.is_some() { "certificate" } else { "digest" },
                       "site": device.site, "tags": device.tags}),
            ));
            return Admission::Accept {
                device,
                audit: audit_log,
                consume_claim: None,
            };
        }
    }

    // Rule 8: a claim code.
    if let Some(c) = claim {
        let code = info.provisioning_code.trim();
        if !code.is_empty() && c.code_sha256.eq_ignore_ascii_case(&claim_hash(code)) {
            let refusal = if c.used_by.is_some() {
                Some("used")
            } else if now > c.expires_at {
                Some("expired")
            } else {
                None
            };
            match refusal {
                Some(why) => audit_log.push(audit(
                    &id,
                    now,
                    "claim.rejected",
                    json!({"reason": why, "claim": c.code_sha256, "used_by": c.used_by}),
                )),
                None => {
                    enroll(&mut device, c.site.clone(), &c.tags);
                    audit_log.push(audit(
                        &id,
                        now,
                        "device.enrolled",
                        json!({"how": "claim", "claim": c.code_sha256,
                               "credential": if cert_sha.is_some() { "certificate" } else { "digest" },
                               "site": device.site, "tags": device.tags}),
                    ));
                    return Admission::Accept {
                        device,
                        audit: audit_log,
                        consume_claim: Some(c.code_sha256.to_ascii_lowercase()),
                    };
                }
            }
        }
    }

    // Rule 9.
    if known.is_none() {
        audit_log.push(audit(
            &id,
            now,
            "device.quarantined",
            json!({"model": device.model, "software_version": device.software_version}),
        ));
    }
    Admission::Quarantine {
        device,
        audit: audit_log,
    }
}

fn prereg_matches(p: &Preregistration, info: &InformInfo) -> bool {
    p.serial.trim() == info.key.serial
        && (p.oui.trim().is_empty() || p.oui.trim().eq_ignore_ascii_case(&info.key.oui))
        && (p.product_class.trim().is_empty() || p.product_class.trim() == info.key.product_class)
}

fn enroll(device: &mut Device, site: Option<String>, tags: &[String]) {
    device.enrollment = Enrollment::Approved;
    if site.is_some() {
        device.site = site;
    }
    for t in tags {
        if !device.tags.contains(t) {
            device.tags.push(t.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DeviceKey;
    use tipring_cwmp::{CwmpVersion, EventStruct, ParameterValue};

    const NOW: i64 = 1_714_564_800;

    fn info(code: &str) -> InformInfo {
        InformInfo {
            key: DeviceKey {
                oui: "0011AA".into(),
                product_class: "FXS2".into(),
                serial: "TR0001".into(),
            },
            manufacturer: "Tipring".into(),
            events: vec![EventStruct::new("1 BOOT")],
            parameters: vec![ParameterValue::string(
                "Device.DeviceInfo.SoftwareVersion",
                "1.0",
            )],
            id: Some("1".into()),
            version: CwmpVersion::V1_2,
            supported_versions: Vec::new(),
            root: Root::Device,
            model: "FXS2".into(),
            software_version: "1.0".into(),
            hardware_version: "hw1".into(),
            provisioning_code: code.into(),
            connection_request_url: Some("http://10.0.0.9:7547/".into()),
            retry_count: 0,
            current_time: String::new(),
        }
    }

    fn cert(serial: &str) -> Credential {
        Credential::Certificate {
            serial: Some(serial.into()),
            oui: Some("0011aa".into()),
            product_class: None,
            sha256: "AB".repeat(32),
        }
    }

    fn prereg(serial: &str) -> Preregistration {
        Preregistration {
            serial: serial.into(),
            oui: String::new(),
            product_class: "FXS2".into(),
            site: Some("berlin".into()),
            tags: vec!["lab".into()],
            initial_secret_sha256: None,
        }
    }

    fn claim(code: &str, expires_at: i64, used_by: Option<&str>) -> ClaimCode {
        ClaimCode {
            code_sha256: claim_hash(code),
            site: Some("paris".into()),
            tags: vec!["claimed".into()],
            expires_at,
            used_by: used_by.map(str::to_string),
            created_at: NOW - 10,
            created_by: "ops".into(),
        }
    }

    fn approved() -> Device {
        let mut d = Device::new(info("").key, NOW - 100);
        d.enrollment = Enrollment::Approved;
        d
    }

    #[test]
    fn no_credential_is_401() {
        let a = admit(&info(""), &Credential::None, None, None, None, NOW);
        assert!(matches!(a, Admission::Refuse { status: 401, ref audit, .. } if audit.is_empty()));
    }

    /// Rule 2: mutual TLS identifies the device; a certificate for another serial is
    /// refused and audited.
    #[test]
    fn certificate_for_another_serial_is_403_and_audited() {
        let known = approved();
        for c in [
            cert("TR9999"),
            Credential::Certificate {
                serial: None,
                oui: None,
                product_class: None,
                sha256: "00".into(),
            },
            Credential::Certificate {
                serial: Some("TR0001".into()),
                oui: Some("FFFFFF".into()),
                product_class: None,
                sha256: "00".into(),
            },
            Credential::Certificate {
                serial: Some("TR0001".into()),
                oui: None,
                product_class: Some("OTHER".into()),
                sha256: "00".into(),
            },
        ] {
            match admit(&info(""), &c, Some(&known), None, None, NOW) {
                Admission::Refuse { status, audit, .. } => {
                    assert_eq!(status, 403);
                    assert_eq!(audit.len(), 1);
                    assert_eq!(audit[0].action, "device.refused");
                    assert_eq!(audit[0].actor, "device:0011AA-FXS2-TR0001");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn digest_username_must_be_the_device_id() {
        let d = Credential::Digest {
            username: "someone".into(),
        };
        assert!(matches!(
            admit(&info(""), &d, Some(&approved()), None, None, NOW),
            Admission::Refuse { status: 403, .. }
        ));
        let ok = Credential::Digest {
            username: "0011AA-FXS2-TR0001".into(),
        };
        assert!(matches!(
            admit(&info(""), &ok, Some(&approved()), None, None, NOW),
            Admission::Accept { .. }
        ));
    }

    #[test]
    fn rejected_device_is_403() {
        let mut d = approved();
        d.enrollment = Enrollment::Rejected;
        assert!(matches!(
            admit(&info(""), &cert("TR0001"), Some(&d), None, None, NOW),
            Admission::Refuse { status: 403, .. }
        ));
    }

    /// Rule 6: an approved device is accepted and its record follows the Inform.
    #[test]
    fn approved_device_is_accepted_and_updated() {
        let Admission::Accept {
            device,
            audit,
            consume_claim,
        } = admit(
            &info(""),
            &cert("TR0001"),
            Some(&approved()),
            None,
            None,
            NOW,
        )
        else {
            panic!()
        };
        assert!(audit.is_empty() && consume_claim.is_none());
        assert_eq!(device.software_version, "1.0");
        assert_eq!(device.hardware_version, "hw1");
        assert_eq!(device.last_inform, Some(NOW));
        assert_eq!(device.last_boot, Some(NOW));
        assert_eq!(device.root, Root::Device);
        assert_eq!(
            device.cert_sha256.as_deref(),
            Some("ab".repeat(32).as_str())
        );
        assert_eq!(device.first_seen, NOW - 100);
    }

    /// Rule 5: a new certificate with the right serial is accepted and audited; a step
    /// down to digest is not.
    #[test]
    fn certificate_changes() {
        let mut d = approved();
        d.cert_sha256 = Some("cd".repeat(32));
        let Admission::Accept { device, audit, .. } =
            admit(&info(""), &cert("TR0001"), Some(&d), None, None, NOW)
        else {
            panic!()
        };
        assert_eq!(audit[0].action, "device.cert_changed");
        assert_eq!(
            device.cert_sha256.as_deref(),
            Some("ab".repeat(32).as_str())
        );
        let digest = Credential::Digest {
            username: "0011AA-FXS2-TR0001".into(),
        };
        assert!(matches!(
            admit(&info(""), &digest, Some(&d), None, None, NOW),
            Admission::Refuse { status: 403, .. }
        ));
    }

    #[test]
    fn preregistered_device_is_enrolled() {
        let Admission::Accept { device, audit, .. } = admit(
            &info(""),
            &cert("TR0001"),
            None,
            Some(&prereg("TR0001")),
            None,
            NOW,
        ) else {
            panic!()
        };
        assert_eq!(device.enrollment, Enrollment::Approved);
        assert_eq!(device.site.as_deref(), Some("berlin"));
        assert_eq!(device.tags, ["lab"]);
        assert_eq!(device.first_seen, NOW);
        assert_eq!(audit[0].action, "device.enrolled");
        assert_eq!(audit[0].detail["how"], "preregistration");
        // A pre-registration for another serial or product class does not match.
        let mut other = prereg("TR0001");
        other.product_class = "FXS8".into();
        assert!(matches!(
            admit(&info(""), &cert("TR0001"), None, Some(&other), None, NOW),
            Admission::Quarantine { .. }
        ));
    }

    /// A pre-registration without an initial secret wants the certificate.
    #[test]
    fn preregistration_without_secret_needs_the_certificate() {
        let digest = Credential::Digest {
            username: "0011AA-FXS2-TR0001".into(),
        };
        let Admission::Quarantine { audit, device } =
            admit(&info(""), &digest, None, Some(&prereg("TR0001")), None, NOW)
        else {
            panic!()
        };
        assert_eq!(device.enrollment, Enrollment::Pending);
        assert_eq!(audit[0].action, "device.enroll_denied");
        let mut with_secret = prereg("TR0001");
        with_secret.initial_secret_sha256 = Some("ee".repeat(32));
        assert!(matches!(
            admit(&info(""), &digest, None, Some(&with_secret), None, NOW),
            Admission::Accept { .. }
        ));
    }

    #[test]
    fn claim_code_enrolls_once_and_not_after_expiry() {
        let c = claim("K7-PQ2-ZZ", NOW + 60, None);
        let Admission::Accept {
            device,
            consume_claim,
            audit,
        } = admit(
            &info(" K7-PQ2-ZZ "),
            &cert("TR0001"),
            None,
            None,
            Some(&c),
            NOW,
        )
        else {
            panic!()
        };
        assert_eq!(
            consume_claim.as_deref(),
            Some(claim_hash("K7-PQ2-ZZ").as_str())
        );
        assert_eq!(device.site.as_deref(), Some("paris"));
        assert_eq!(audit[0].detail["how"], "claim");
        // Used: the second device stays pending.
        let used = claim("K7-PQ2-ZZ", NOW + 60, Some("0011AA-FXS2-TR0002"));
        let Admission::Quarantine { audit, .. } = admit(
            &info("K7-PQ2-ZZ"),
            &cert("TR0001"),
            None,
            None,
            Some(&used),
            NOW,
        ) else {
            panic!()
        };
        assert_eq!(audit[0].action, "claim.rejected");
        assert_eq!(audit[0].detail["reason"], "used");
        // Expired.
        let old = claim("K7-PQ2-ZZ", NOW - 1, None);
        let Admission::Quarantine { audit, .. } = admit(
            &info("K7-PQ2-ZZ"),
            &cert("TR0001"),
            None,
            None,
            Some(&old),
            NOW,
        ) else {
            panic!()
        };
        assert_eq!(audit[0].detail["reason"], "expired");
        // A claim for another code is not this device's.
        let other = claim("OTHER", NOW + 60, None);
        assert!(matches!(
            admit(
                &info("K7-PQ2-ZZ"),
                &cert("TR0001"),
                None,
                None,
                Some(&other),
                NOW
            ),
            Admission::Quarantine { .. }
        ));
    }

    #[test]
    fn unknown_device_is_quarantined_once() {
        let Admission::Quarantine { device, audit } =
            admit(&info(""), &cert("TR0001"), None, None, None, NOW)
        else {
            panic!()
        };
        assert_eq!(device.enrollment, Enrollment::Pending);
        assert_eq!(audit[0].action, "device.quarantined");
        // Seen again: still pending, nothing new to audit, the record updated.
        let Admission::Quarantine {
            device: again,
            audit,
        } = admit(
            &info(""),
            &cert("TR0001"),
            Some(&device),
            None,
            None,
            NOW + 5,
        )
        else {
            panic!()
        };
        assert!(audit.is_empty());
        assert_eq!(again.last_inform, Some(NOW + 5));
        assert_eq!(again.first_seen, NOW);
    }

    #[test]
    fn claim_hash_is_sha256_hex() {
        // FIPS 180-2 test vector "abc".
        assert_eq!(
            claim_hash(" abc "),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

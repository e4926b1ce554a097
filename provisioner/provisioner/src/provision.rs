//! Which profile governs a device, and whether a profile can be stored.

use tipring_acs::model::{Device, Profile};

/// The profile that governs `device`: among those whose model, site and tags all match,
/// the highest priority (then the first by name).
pub fn select_profile<'a>(profiles: &'a [Profile], device: &Device) -> Option<&'a Profile> {
    profiles
        .iter()
        .filter(|p| {
            p.model.as_ref().is_none_or(|m| *m == device.model)
                && p.site
                    .as_ref()
                    .is_none_or(|s| device.site.as_ref() == Some(s))
                && p.tags.iter().all(|t| device.tags.contains(t))
        })
        .min_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then_with(|| a.name.cmp(&b.name))
        })
}

/// Refuse a profile whose template is not a JSON object: (field, why).
pub fn check_profile(p: &Profile) -> Result<(), (String, String)> {
    let v: serde_json::Value = serde_json::from_str(&p.template)
        .map_err(|e| ("template".to_string(), format!("not JSON: {e}")))?;
    if !v.is_object() {
        return Err((
            "template".into(),
            "a JSON object (a gateway configuration document with {{variables}})".into(),
        ));
    }
    Ok(())
}

/// The FXS port count of a device: a `ports` variable (site, then profile), else what the
/// device reported (TR-104 `POTS.FXSNumberOfEntries`, issue 1 `NumberOfLines`,
/// `MaxLineCount`), else the digits that end its product class (our gateways are
/// `FXS4`, `FXS8`, ...).
pub fn ports_of(
    profile: &Profile,
    site: Option<&tipring_acs::model::Site>,
    device: &Device,
    cache: &[tipring_acs::model::CachedParameter],
) -> Result<u32, String> {
    let var = site
        .and_then(|s| s.variables.get("ports"))
        .or_else(|| profile.variables.get("ports"));
    if let Some(v) = var {
        return v
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=48).contains(n))
            .ok_or_else(|| format!("the ports variable is {v:?}; it must be 1..=48"));
    }
    if let Some(n) = tipring_acs::provision::port_count(cache) {
        return Ok(n);
    }
    let pc = &device.key.product_class;
    let digits: String = pc
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=48).contains(n))
        .ok_or_else(|| {
            format!(
                "the port count of {} is unknown: set a `ports` variable on its site or profile",
                device.id
            )
        })
}

/// Secrets every provisioned device gets besides its profile's: its ACS password (HTTP
/// digest toward us) and its connection-request credentials.
pub const DEVICE_SECRETS: &[&str] = &[
    crate::cwmp::ACS_PASSWORD,
    crate::connreq::CR_USERNAME,
    crate::connreq::CR_PASSWORD,
];

/// The provisioning plan of an approved device: its profile rendered with its site's
/// variables and its secrets (those it lacks are generated and stored sealed first), plus
/// the ManagementServer credentials the ACS gives every device. Ok(None) when no profile
/// governs it.
/// The plans a node made lately, to skip making one again when nothing it is made of
/// changed: per device, a fingerprint of the plan's inputs other than the parameter cache
/// (the governing profile, the site, the ACS URL, the device's identity, model, site, tags
/// and sealed secrets) and the digest of the plan made from them.
///
/// A periodic Inform of a device that has that plan already (its `provisioned_digest`),
/// with the same fingerprint, no task and no event that calls for a check (boot, value
/// change, transfer), needs neither the plan nor the parameter cache: the session is the
/// InformResponse and 204. The parameter cache shapes a plan only through what a device
/// reports of its lines (port count, voice paths), which only sessions that read the
/// data model change — and those make the plan again. Bounded: past [`PlanMemo::MAX`]
/// devices it starts over.
#[derive(Debug, Default)]
pub struct PlanMemo {
    map: std::sync::Mutex<std::collections::HashMap<String, ([u8; 32], String)>>,
}

impl PlanMemo {
    /// Devices remembered at most.
    pub const MAX: usize = 500_000;

    /// Whether the plan made from `fingerprint` for `device` is the one it has.
    pub fn unchanged(&self, device: &Device, fingerprint: &[u8; 32]) -> bool {
        let Some(have) = device.provisioned_digest.as_deref() else {
            return false;
        };
        self.map.lock().is_ok_and(|m| {
            m.get(&device.id)
                .is_some_and(|(fp, digest)| fp == fingerprint && digest == have)
        })
    }

    /// Remember the plan made for a device.
    pub fn remember(&self, device: &str, fingerprint: [u8; 32], digest: String) {
        if let Ok(mut m) = self.map.lock() {
            if m.len() >= Self::MAX && !m.contains_key(device) {
                m.clear();
            }
            m.insert(device.to_string(), (fingerprint, digest));
        }
    }

    /// Forget a device's plan (its data model was read again).
    pub fn forget(&self, device: &str) {
        if let Ok(mut m) = self.map.lock() {
            m.remove(device);
        }
    }
}

/// The fingerprint of a plan's inputs but the parameter cache (see [`PlanMemo`]); None
/// when no profile governs the device.
pub fn fingerprint(inputs: &PlanInputs, device: &Device, acs_url: &str) -> Option<[u8; 32]> {
    let profile = select_profile(&inputs.profiles, device)?;
    Some(fingerprint_of(
        profile,
        inputs.site.as_ref(),
        &inputs.secrets,
        device,
        acs_url,
    ))
}

/// [`fingerprint`] of the governing profile, the site and the sealed secrets (by name,
/// as the store lists them).
fn fingerprint_of(
    profile: &Profile,
    site: Option<&tipring_acs::model::Site>,
    secrets: &[(String, Vec<u8>)],
    device: &Device,
    acs_url: &str,
) -> [u8; 32] {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    let mut put = |b: &[u8]| {
        h.update((b.len() as u64).to_le_bytes());
        h.update(b);
    };
    put(&serde_json::to_vec(profile).unwrap_or_default());
    put(&serde_json::to_vec(&site).unwrap_or_default());
    put(acs_url.as_bytes());
    put(&serde_json::to_vec(&(
        &device.id,
        &device.key,
        &device.model,
        &device.site,
        &device.tags,
        device.root,
        &device.manufacturer,
    ))
    .unwrap_or_default());
    for (name, sealed) in secrets {
        put(name.as_bytes());
        put(sealed);
    }
    h.finalize().into()
}

/// What a plan is made of, read from the store in one go (with the session's other
/// reads): the profiles, the device's site and its sealed secrets.
#[derive(Debug)]
pub struct PlanInputs {
    /// Every profile.
    pub profiles: Vec<Profile>,
    /// The device's site.
    pub site: Option<tipring_acs::model::Site>,
    /// The device's sealed secrets, by name.
    pub secrets: Vec<(String, Vec<u8>)>,
}

impl PlanInputs {
    /// Read them (a blocking store call).
    pub fn read(
        s: &dyn tipring_store::Store,
        device: &Device,
        secrets: Vec<(String, Vec<u8>)>,
    ) -> tipring_store::Result<Self> {
        Ok(Self {
            profiles: s.profiles()?,
            site: match &device.site {
                Some(n) => s.site(n)?,
                None => None,
            },
            secrets,
        })
    }
}

pub async fn plan_for(
    app: &std::sync::Arc<crate::app::App>,
    device: &Device,
    cache: &[tipring_acs::model::CachedParameter],
    inputs: PlanInputs,
    now: i64,
) -> Result<Option<tipring_acs::provision::ProvisionPlan>, String> {
    use tipring_acs::provision::{self as p, PlannedParameter};
    let PlanInputs {
        profiles,
        site,
        secrets: stored,
    } = inputs;
    let Some(profile) = select_profile(&profiles, device) else {
        return Ok(None);
    };
    let ports = ports_of(profile, site.as_ref(), device, cache)?;
    let mut needed = p::required_secrets(profile, ports).map_err(|e| e.to_string())?;
    needed.extend(DEVICE_SECRETS.iter().map(|s| s.to_string()));
    let mut secrets = std::collections::BTreeMap::new();
    for (name, sealed) in &stored {
        let v = app
            .sealer
            .open(&device.id, name, sealed)
            .map_err(|e| format!("secret {name}: {e}"))?;
        secrets.insert(name.clone(), v.to_string());
    }
    let mut writes = Vec::new();
    let mut made = Vec::new();
    // The sealed secrets as the store will list them once the new ones are in (for the
    // fingerprint the plan is remembered under).
    let mut sealed_all = stored.clone();
    for name in &needed {
        if secrets.contains_key(name) {
            continue;
        }
        let value = if name == crate::connreq::CR_USERNAME {
            format!("acs-{}", crate::app::random_token(9))
        } else {
            crate::api::strong_password()
        };
        let sealed = app.sealer.seal(&device.id, name, &value);
        sealed_all.push((name.clone(), sealed.clone()));
        writes.push(tipring_store::Write::PutSecret {
            device: device.id.clone(),
            name: name.clone(),
            sealed,
        });
        made.push(name.clone());
        secrets.insert(name.clone(), value);
    }
    if !writes.is_empty() {
        writes.push(tipring_store::Write::Audit(
            tipring_acs::model::AuditEntry {
                id: 0,
                at: now,
                actor: "provisioner".into(),
                action: "secret.generate".into(),
                target: device.id.clone(),
                detail: serde_json::json!({ "names": made }),
            },
        ));
        // Stored before anything is rendered or sent: a secret the device holds is never
        // one we lost.
        crate::app::db(app, move |s| s.apply(writes))
            .await
            .map_err(|e| e.to_string())?;
    }
    let mut vars_profile = profile.clone();
    vars_profile
        .variables
        .entry("acs_url".into())
        .or_insert_with(|| app.settings.acs_url.clone());
    let rendered = p::render(&vars_profile, site.as_ref(), device, ports, &|n| {
        secrets.get(n).cloned()
    })
    .map_err(|e| format!("profile {}: {e}", profile.name))?;
    let plan = p::plan(
        &rendered.config,
        device.root,
        p::VoicePaths::detect(device, cache),
    )
    .with_drift(profile.drift);
    let root = match device.root {
        tipring_acs::model::Root::InternetGatewayDevice => "InternetGatewayDevice.",
        _ => "Device.",
    };
    let ms = |leaf: &str, value: &str, secret: bool| PlannedParameter {
        name: format!("{root}ManagementServer.{leaf}"),
        value: value.to_string(),
        kind: tipring_cwmp::ValueType::String,
        secret,
    };
    let get = |n: &str| secrets.get(n).cloned().unwrap_or_default();
    let plan = plan.with_parameters(vec![
        ms("Username", &device.id, false),
        ms("Password", &get(crate::cwmp::ACS_PASSWORD), true),
        ms(
            "ConnectionRequestUsername",
            &get(crate::connreq::CR_USERNAME),
            false,
        ),
        ms(
            "ConnectionRequestPassword",
            &get(crate::connreq::CR_PASSWORD),
            true,
        ),
    ]);
    sealed_all.sort_by(|a, b| a.0.cmp(&b.0));
    let fp = fingerprint_of(
        profile,
        site.as_ref(),
        &sealed_all,
        device,
        &app.settings.acs_url,
    );
    app.plans.remember(&device.id, fp, plan.digest.clone());
    Ok(Some(plan))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tipring_acs::model::{DeviceKey, DriftPolicy};

    fn profile(name: &str, priority: i32, site: Option<&str>, tags: &[&str]) -> Profile {
        Profile {
            name: name.into(),
            priority,
            model: None,
            site: site.map(String::from),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            template: "{}".into(),
            variables: Default::default(),
            drift: DriftPolicy::Correct,
        }
    }

    #[test]
    fn the_most_specific_matching_profile_wins_by_priority() {
        let key = DeviceKey {
            oui: "00D0C9".into(),
            product_class: "FXS4".into(),
            serial: "S1".into(),
        };
        let mut d = Device::new(key, 0);
        d.site = Some("paris".into());
        d.tags = vec!["lobby".into()];
        let ps = vec![
            profile("any", 0, None, &[]),
            profile("paris", 10, Some("paris"), &[]),
            profile("berlin", 20, Some("berlin"), &[]),
            profile("paris-lift", 15, Some("paris"), &["lift"]),
        ];
        assert_eq!(select_profile(&ps, &d).unwrap().name, "paris");
        d.tags.push("lift".into());
        assert_eq!(select_profile(&ps, &d).unwrap().name, "paris-lift");
        d.site = None;
        assert_eq!(select_profile(&ps, &d).unwrap().name, "any");
        assert!(select_profile(&ps[2..3], &d).is_none());
    }

    #[test]
    fn the_plan_memo_holds_only_while_every_input_is_the_same() {
        let key = DeviceKey {
            oui: "00D0C9".into(),
            product_class: "FXS2".into(),
            serial: "S1".into(),
        };
        let mut d = Device::new(key, 0);
        d.site = Some("paris".into());
        let inputs = |template: &str, pbx: &str, sealed: &[u8]| PlanInputs {
            profiles: vec![Profile {
                template: template.into(),
                ..profile("p", 0, None, &[])
            }],
            site: Some(tipring_acs::model::Site {
                name: "paris".into(),
                description: String::new(),
                variables: [("pbx".to_string(), pbx.to_string())].into(),
            }),
            secrets: vec![("acs_password".into(), sealed.to_vec())],
        };
        let url = "http://acs/cwmp";
        let base = fingerprint(&inputs("{}", "10.0.0.1", b"x"), &d, url).unwrap();
        assert_eq!(
            fingerprint(&inputs("{}", "10.0.0.1", b"x"), &d, url),
            Some(base)
        );
        for (other, what) in [
            (
                fingerprint(&inputs("{\"a\":1}", "10.0.0.1", b"x"), &d, url),
                "template",
            ),
            (
                fingerprint(&inputs("{}", "10.0.0.2", b"x"), &d, url),
                "site variable",
            ),
            (
                fingerprint(&inputs("{}", "10.0.0.1", b"y"), &d, url),
                "secret",
            ),
            (
                fingerprint(&inputs("{}", "10.0.0.1", b"x"), &d, "http://other/cwmp"),
                "ACS URL",
            ),
        ] {
            assert_ne!(other, Some(base), "{what}");
        }
        let memo = PlanMemo::default();
        memo.remember(&d.id, base, "digest-1".into());
        assert!(
            !memo.unchanged(&d, &base),
            "the device does not have that plan yet"
        );
        d.provisioned_digest = Some("digest-1".into());
        assert!(memo.unchanged(&d, &base));
        assert!(!memo.unchanged(&d, &[0; 32]), "another fingerprint");
        memo.forget(&d.id);
        assert!(!memo.unchanged(&d, &base), "forgotten");
        let mut none = d.clone();
        none.site = None;
        assert!(fingerprint(&inputs("{}", "x", b"x"), &none, url).is_some());
    }
}

//! Sites (and what keeps one from being deleted) and profiles.

use std::collections::BTreeMap;

use tipring_acs::model::{DriftPolicy, Profile};
use tipring_store::{Error, Write};

use crate::common::*;

#[test]
fn sites_are_put_read_listed_by_name_replaced_and_deleted() {
    for s in backends() {
        s.apply(vec![
            Write::PutSite(site("paris")),
            Write::PutSite(site("berlin")),
        ])
        .unwrap();
        assert_eq!(s.site("paris").unwrap(), Some(site("paris")));
        assert_eq!(s.site("rome").unwrap(), None);
        let names: Vec<String> = s.sites().unwrap().into_iter().map(|x| x.name).collect();
        assert_eq!(names, ["berlin", "paris"]);

        let mut changed = site("paris");
        changed.description = "moved".into();
        changed
            .variables
            .insert("domain".into(), "paris.example.net".into());
        changed.variables.remove("pbx");
        s.apply(vec![Write::PutSite(changed.clone())]).unwrap();
        assert_eq!(s.site("paris").unwrap(), Some(changed));

        s.apply(vec![Write::DeleteSite("paris".into())]).unwrap();
        assert_eq!(s.site("paris").unwrap(), None);
        match s.apply(vec![Write::DeleteSite("paris".into())]) {
            Err(Error::NotFound(what)) => assert_eq!(what, "site paris"),
            other => panic!("expected NotFound, got {other:?}"),
        }
    }
}

#[test]
fn a_site_named_by_a_device_a_claim_code_or_a_preregistration_is_in_use() {
    for s in backends() {
        let mut d = device("S1");
        d.site = Some("hq".into());
        s.apply(vec![
            Write::PutSite(site("hq")),
            Write::PutDevice(d.clone()),
            Write::PutClaim(claim("c1", Some("hq"), T0)),
        ])
        .unwrap();
        match s.apply(vec![Write::DeleteSite("hq".into())]) {
            Err(Error::InUse(what)) => {
                assert!(what.contains("hq") && what.contains("1 device"), "{what}")
            }
            other => panic!("expected InUse, got {other:?}"),
        }
        // Move the device away: the claim code still holds it.
        d.site = None;
        s.apply(vec![Write::PutDevice(d)]).unwrap();
        match s.apply(vec![Write::DeleteSite("hq".into())]) {
            Err(Error::InUse(what)) => assert!(what.contains("1 claim code"), "{what}"),
            other => panic!("expected InUse, got {other:?}"),
        }
        assert!(s.site("hq").unwrap().is_some());
        // Revoke the claim code: a pre-registration still sends devices there.
        s.apply(vec![
            Write::DeleteClaim("c1".into()),
            Write::PutPreregistration(tipring_acs::model::Preregistration {
                serial: "S9".into(),
                oui: String::new(),
                product_class: String::new(),
                site: Some("hq".into()),
                tags: vec![],
                initial_secret_sha256: None,
            }),
        ])
        .unwrap();
        match s.apply(vec![Write::DeleteSite("hq".into())]) {
            Err(Error::InUse(what)) => assert!(what.contains("1 pre-registration"), "{what}"),
            other => panic!("expected InUse, got {other:?}"),
        }
        // Without it, the site may go (both in one batch).
        s.apply(vec![
            Write::DeletePreregistration("S9".into()),
            Write::DeleteSite("hq".into()),
        ])
        .unwrap();
        assert_eq!(s.site("hq").unwrap(), None);
    }
}

fn profile(name: &str, priority: i32) -> Profile {
    let mut variables = BTreeMap::new();
    variables.insert("extension_step".into(), "1".into());
    Profile {
        name: name.into(),
        priority,
        model: Some("TR-4".into()),
        site: None,
        tags: vec!["lobby".into()],
        template: r#"{"sip":{"registrar":"{{pbx}}"}}"#.into(),
        variables,
        drift: DriftPolicy::Report,
    }
}

#[test]
fn profiles_are_put_read_listed_by_name_replaced_and_deleted() {
    for s in backends() {
        s.apply(vec![
            Write::PutProfile(profile("zeta", 1)),
            Write::PutProfile(profile("alpha", 10)),
        ])
        .unwrap();
        assert_eq!(s.profile("zeta").unwrap(), Some(profile("zeta", 1)));
        assert_eq!(s.profile("none").unwrap(), None);
        let names: Vec<String> = s.profiles().unwrap().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["alpha", "zeta"]);

        let changed = Profile {
            model: None,
            site: Some("anywhere".into()),
            tags: vec![],
            drift: DriftPolicy::Correct,
            priority: -3,
            ..profile("zeta", 1)
        };
        s.apply(vec![Write::PutProfile(changed.clone())]).unwrap();
        assert_eq!(s.profile("zeta").unwrap(), Some(changed));

        s.apply(vec![Write::DeleteProfile("zeta".into())]).unwrap();
        assert_eq!(s.profile("zeta").unwrap(), None);
        assert!(matches!(
            s.apply(vec![Write::DeleteProfile("zeta".into())]),
            Err(Error::NotFound(_))
        ));
    }
}

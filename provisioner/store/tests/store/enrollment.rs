//! Pre-registrations and claim codes.

use tipring_acs::model::Preregistration;
use tipring_store::{Error, Write};

use crate::common::*;

fn prereg(serial: &str, oui: &str, product_class: &str, tag: &str) -> Preregistration {
    Preregistration {
        serial: serial.into(),
        oui: oui.into(),
        product_class: product_class.into(),
        site: None,
        tags: vec![tag.into()],
        initial_secret_sha256: None,
    }
}

/// The lookup by an Inform's DeviceId (TR-069 Amendment 6 A.3.3.1, DeviceIdStruct: OUI,
/// ProductClass, SerialNumber):
/// a row's empty OUI or product class matches any, and the most specific row wins.
#[test]
fn a_preregistration_is_found_by_serial_and_the_most_specific_row_wins() {
    for s in backends() {
        let mut exact = prereg("S1", "00D09E", "FXS4", "exact");
        exact.initial_secret_sha256 = Some("ee".repeat(32));
        exact.site = Some("hq".into());
        // The site must exist.
        match s.apply(vec![Write::PutPreregistration(exact.clone())]) {
            Err(Error::NotFound(what)) => assert_eq!(what, "site hq"),
            other => panic!("expected NotFound, got {other:?}"),
        }
        s.apply(vec![
            Write::PutSite(site("hq")),
            Write::PutPreregistration(prereg("S1", "", "", "any")),
            Write::PutPreregistration(prereg("S1", "00D09E", "", "oui")),
            Write::PutPreregistration(exact.clone()),
            Write::PutPreregistration(prereg("S2", "", "FXS8", "class")),
        ])
        .unwrap();
        let tag = |serial, oui, class| {
            s.preregistration(serial, oui, class)
                .unwrap()
                .map(|p| p.tags[0].clone())
        };
        assert_eq!(
            s.preregistration("S1", "00D09E", "FXS4").unwrap(),
            Some(exact)
        );
        assert_eq!(
            tag("S1", "00d09e", "FXS4").as_deref(),
            Some("exact"),
            "OUI case"
        );
        assert_eq!(tag("S1", "00D09E", "FXS8").as_deref(), Some("oui"));
        assert_eq!(tag("S1", "001122", "FXS4").as_deref(), Some("any"));
        assert_eq!(tag("S1", "001122", "").as_deref(), Some("any"));
        assert_eq!(tag("S2", "001122", "FXS8").as_deref(), Some("class"));
        assert_eq!(tag("S2", "001122", "FXS4"), None);
        assert_eq!(tag("S3", "00D09E", "FXS4"), None);
        assert_eq!(tag("s1", "00D09E", "FXS4"), None, "serials are exact");

        let listed: Vec<(String, String)> = s
            .preregistrations()
            .unwrap()
            .into_iter()
            .map(|p| (p.serial, p.tags[0].clone()))
            .collect();
        assert_eq!(
            listed,
            [
                ("S1".into(), "any".into()),
                ("S1".into(), "oui".into()),
                ("S1".into(), "exact".into()),
                ("S2".into(), "class".into())
            ]
        );
    }
}

#[test]
fn a_preregistration_is_replaced_by_its_key_and_deleted_by_serial() {
    for s in backends() {
        s.apply(vec![
            Write::PutPreregistration(prereg("S1", "", "", "one")),
            Write::PutPreregistration(prereg("S1", "00D09E", "", "two")),
            Write::PutPreregistration(prereg("S2", "", "", "three")),
        ])
        .unwrap();
        s.apply(vec![Write::PutPreregistration(prereg(
            "S1", "", "", "four",
        ))])
        .unwrap();
        assert_eq!(s.preregistrations().unwrap().len(), 3);
        assert_eq!(
            s.preregistration("S1", "X", "").unwrap().unwrap().tags,
            ["four"]
        );
        s.apply(vec![Write::DeletePreregistration("S1".into())])
            .unwrap();
        let left: Vec<String> = s
            .preregistrations()
            .unwrap()
            .into_iter()
            .map(|p| p.serial)
            .collect();
        assert_eq!(left, ["S2"]);
        match s.apply(vec![Write::DeletePreregistration("S1".into())]) {
            Err(Error::NotFound(what)) => assert_eq!(what, "pre-registration S1"),
            other => panic!("expected NotFound, got {other:?}"),
        }
    }
}

#[test]
fn claim_codes_are_listed_newest_first_and_work_once() {
    for s in backends() {
        let d = device("S1");
        let e = device("S2");
        s.apply(vec![
            Write::PutSite(site("hq")),
            Write::PutDevice(d.clone()),
            Write::PutDevice(e.clone()),
            Write::PutClaim(claim("old", None, T0)),
            Write::PutClaim(claim("new", Some("hq"), T0 + 10)),
        ])
        .unwrap();
        assert_eq!(
            s.claim("new").unwrap(),
            Some(claim("new", Some("hq"), T0 + 10))
        );
        assert_eq!(s.claim("nope").unwrap(), None);
        let order: Vec<String> = s
            .claims()
            .unwrap()
            .into_iter()
            .map(|c| c.code_sha256)
            .collect();
        assert_eq!(order, ["new", "old"]);

        s.apply(vec![Write::ConsumeClaim {
            code_sha256: "new".into(),
            device: d.id.clone(),
        }])
        .unwrap();
        assert_eq!(s.claim("new").unwrap().unwrap().used_by, Some(d.id.clone()));
        // Once used, it is used: for another device and for the same one.
        for who in [&e.id, &d.id] {
            match s.apply(vec![Write::ConsumeClaim {
                code_sha256: "new".into(),
                device: who.clone(),
            }]) {
                Err(Error::Conflict(what)) => assert!(what.contains("already used"), "{what}"),
                other => panic!("expected Conflict, got {other:?}"),
            }
        }
        assert_eq!(s.claim("new").unwrap().unwrap().used_by, Some(d.id.clone()));
        match s.apply(vec![Write::ConsumeClaim {
            code_sha256: "nope".into(),
            device: d.id.clone(),
        }]) {
            Err(Error::NotFound(what)) => assert_eq!(what, "claim code nope"),
            other => panic!("expected NotFound, got {other:?}"),
        }
    }
}

#[test]
fn a_claim_code_for_a_missing_site_is_refused_and_one_can_be_revoked() {
    for s in backends() {
        match s.apply(vec![Write::PutClaim(claim("c", Some("nowhere"), T0))]) {
            Err(Error::NotFound(what)) => assert_eq!(what, "site nowhere"),
            other => panic!("expected NotFound, got {other:?}"),
        }
        assert_eq!(s.claim("c").unwrap(), None);
        s.apply(vec![Write::PutClaim(claim("c", None, T0))])
            .unwrap();
        s.apply(vec![Write::DeleteClaim("c".into())]).unwrap();
        assert_eq!(s.claim("c").unwrap(), None);
        assert!(matches!(
            s.apply(vec![Write::DeleteClaim("c".into())]),
            Err(Error::NotFound(_))
        ));
    }
}

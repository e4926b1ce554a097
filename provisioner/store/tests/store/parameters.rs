//! The parameter cache: upserts, exact prefix reads and deletes.

use tipring_acs::model::CachedParameter;
use tipring_store::{Error, Store, Write};

use crate::common::*;

const LINE: &str = "Device.Services.VoiceService.1.VoiceProfile.1.Line.";

fn names(ps: &[CachedParameter]) -> Vec<String> {
    ps.iter().map(|p| p.name.clone()).collect()
}

fn seeded(s: Box<dyn Store>) -> (Box<dyn Store>, String) {
    let d = device("S1");
    let other = device("S2");
    let mut ps = Vec::new();
    for line in [1, 2, 10] {
        ps.push(param(&format!("{LINE}{line}.Enable"), "Enabled"));
        ps.push(param(&format!("{LINE}{line}.DirectoryNumber"), "200"));
    }
    ps.push(param("Device.DeviceInfo.SoftwareVersion", "1.0"));
    // Names with LIKE/GLOB wildcards must not act as wildcards.
    ps.push(param("Device.X_ACME_Flag", "1"));
    ps.push(param("Device.X%ACME%Flag", "1"));
    s.apply(vec![
        Write::PutDevice(d.clone()),
        Write::PutDevice(other.clone()),
        Write::PutParameters {
            device: d.id.clone(),
            parameters: ps,
        },
        Write::PutParameters {
            device: other.id.clone(),
            parameters: vec![param(&format!("{LINE}1.Enable"), "Disabled")],
        },
    ])
    .unwrap();
    (s, d.id)
}

/// TR-069 partial path names (Amendment 6 A.3.2.2, GetParameterValues: a name ending in
/// `.` is a subtree): `Line.1.` names the subtree of instance 1 only, never
/// instance 10's.
#[test]
fn a_prefix_read_is_exact_and_ordered_by_name() {
    for s in backends() {
        let (s, id) = seeded(s);
        assert_eq!(
            names(&s.parameters(&id, &format!("{LINE}1.")).unwrap()),
            [
                format!("{LINE}1.DirectoryNumber"),
                format!("{LINE}1.Enable")
            ]
        );
        assert_eq!(s.parameters(&id, LINE).unwrap().len(), 6);
        assert_eq!(s.parameters(&id, "").unwrap().len(), 9);
        assert_eq!(
            names(&s.parameters(&id, "Device.X_").unwrap()),
            ["Device.X_ACME_Flag"]
        );
        assert_eq!(
            names(&s.parameters(&id, "Device.X%").unwrap()),
            ["Device.X%ACME%Flag"]
        );
        assert!(
            s.parameters(&id, "device.").unwrap().is_empty(),
            "case matters"
        );
        assert!(s.parameters("no-such-device", "").unwrap().is_empty());
        let all = s.parameters(&id, "").unwrap();
        let mut sorted = names(&all);
        sorted.sort();
        assert_eq!(names(&all), sorted);
    }
}

#[test]
fn a_parameter_put_again_is_updated_and_every_field_round_trips() {
    for s in backends() {
        let (s, id) = seeded(s);
        let p = CachedParameter {
            name: format!("{LINE}1.Enable"),
            value: "Disabled".into(),
            xsd_type: "xsd:boolean".into(),
            writable: None,
            seen_at: T0 + 99,
        };
        s.apply(vec![Write::PutParameters {
            device: id.clone(),
            parameters: vec![p.clone()],
        }])
        .unwrap();
        let got = s.parameters(&id, &p.name).unwrap();
        assert_eq!(got, vec![p.clone()]);
        let q = CachedParameter {
            writable: Some(false),
            ..p.clone()
        };
        s.apply(vec![Write::PutParameters {
            device: id.clone(),
            parameters: vec![q.clone()],
        }])
        .unwrap();
        assert_eq!(s.parameters(&id, &p.name).unwrap(), vec![q]);
    }
}

#[test]
fn deleting_under_a_prefix_removes_that_subtree_only() {
    for s in backends() {
        let (s, id) = seeded(s);
        let other = device("S2").id;
        s.apply(vec![Write::DeleteParameters {
            device: id.clone(),
            prefix: format!("{LINE}1."),
        }])
        .unwrap();
        assert!(s.parameters(&id, &format!("{LINE}1.")).unwrap().is_empty());
        assert_eq!(s.parameters(&id, &format!("{LINE}10.")).unwrap().len(), 2);
        assert_eq!(s.parameters(&id, LINE).unwrap().len(), 4);
        // The other device's Line.1 stays.
        assert_eq!(s.parameters(&other, LINE).unwrap().len(), 1);
        // A prefix matching nothing, and a device with nothing, are fine.
        s.apply(vec![
            Write::DeleteParameters {
                device: id.clone(),
                prefix: "Nothing.".into(),
            },
            Write::DeleteParameters {
                device: "no-such-device".into(),
                prefix: String::new(),
            },
        ])
        .unwrap();
        // `_` is not a wildcard in a delete either.
        s.apply(vec![Write::DeleteParameters {
            device: id.clone(),
            prefix: "Device.X_".into(),
        }])
        .unwrap();
        assert_eq!(
            names(&s.parameters(&id, "Device.X").unwrap()),
            ["Device.X%ACME%Flag"]
        );
        // The empty prefix forgets everything of that device only.
        s.apply(vec![Write::DeleteParameters {
            device: id.clone(),
            prefix: String::new(),
        }])
        .unwrap();
        assert!(s.parameters(&id, "").unwrap().is_empty());
        assert_eq!(s.parameters(&other, "").unwrap().len(), 1);
    }
}

#[test]
fn parameters_of_an_unknown_device_are_refused() {
    for s in backends() {
        match s.apply(vec![Write::PutParameters {
            device: "ghost".into(),
            parameters: vec![param("Device.X", "1")],
        }]) {
            Err(Error::NotFound(what)) => assert_eq!(what, "device ghost"),
            other => panic!("expected NotFound, got {other:?}"),
        }
    }
}

/// One batch naming a parameter twice keeps the last value (PostgreSQL writes a batch's
/// values in one statement, which may not touch a row twice).
#[test]
fn a_parameter_named_twice_in_one_write_keeps_the_last_value() {
    for s in backends() {
        let d = device("S1");
        s.apply(vec![
            Write::PutDevice(d.clone()),
            Write::PutParameters {
                device: d.id.clone(),
                parameters: vec![
                    param("Device.A", "first"),
                    param("Device.B", "b"),
                    param("Device.A", "last"),
                ],
            },
            Write::PutParameters {
                device: d.id.clone(),
                parameters: vec![],
            },
        ])
        .unwrap();
        let got = s.parameters(&d.id, "").unwrap();
        assert_eq!(names(&got), ["Device.A", "Device.B"]);
        assert_eq!(got[0].value, "last");
    }
}

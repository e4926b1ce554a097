//! A batch happens whole or not at all.

use tipring_acs::model::{TaskKind, TaskState};
use tipring_store::{AuditFilter, DeviceFilter, Error, Store, TaskFilter, Write};

use crate::common::*;

/// Everything a session might write, then one write that fails: nothing of it stays.
fn a_session_then(failing: Write) -> Vec<Write> {
    let mut d = device("S1");
    d.site = Some("hq".into());
    vec![
        Write::PutSite(site("hq")),
        Write::PutDevice(d.clone()),
        Write::PutParameters {
            device: d.id.clone(),
            parameters: vec![param("Device.X", "1")],
        },
        Write::PutTask(task(&d.id, TaskKind::Provision)),
        Write::PutSecret {
            device: d.id.clone(),
            name: "acs_password".into(),
            sealed: vec![1; 30],
        },
        Write::PutClaim(claim("fresh", Some("hq"), T0)),
        Write::ConsumeClaim {
            code_sha256: "fresh".into(),
            device: d.id.clone(),
        },
        Write::Audit(audit("provisioner", "device.provision", &d.id, T0)),
        failing,
        Write::Audit(audit("provisioner", "never", &d.id, T0)),
    ]
}

fn assert_empty(s: &dyn Store) {
    let id = device("S1").id;
    assert_eq!(s.device(&id).unwrap(), None);
    assert_eq!(s.count_devices(&DeviceFilter::default()).unwrap(), 0);
    assert!(s.parameters(&id, "").unwrap().is_empty());
    assert!(s.tasks(&TaskFilter::default()).unwrap().is_empty());
    assert!(s.secret_names(&id).unwrap().is_empty());
    assert!(s.sites().unwrap().is_empty());
    assert!(s.claims().unwrap().is_empty());
    assert!(s.audit(&AuditFilter::default()).unwrap().is_empty());
}

#[test]
fn a_batch_with_a_failing_write_leaves_nothing() {
    let failing = [
        (
            Write::PutTask(tipring_acs::model::Task {
                id: 999,
                ..task(&device("S1").id, TaskKind::Reboot)
            }),
            "NotFound",
        ),
        (
            Write::ConsumeClaim {
                code_sha256: "fresh".into(),
                device: "someone-else".into(),
            },
            "Conflict",
        ),
        (Write::DeleteSite("hq".into()), "InUse"),
        (Write::DeleteProfile("none".into()), "NotFound"),
        (
            Write::PutSecret {
                device: "ghost".into(),
                name: "x".into(),
                sealed: vec![],
            },
            "NotFound",
        ),
    ];
    for (write, kind) in failing.iter().cloned().flat_map(|wk| {
        // Each failing write on a fresh store of each backend.
        backends().map(move |s| (s, wk.clone()))
    }) {
        let (s, (write, kind)) = (write, kind);
        let err = s.apply(a_session_then(write)).unwrap_err();
        let got = match err {
            Error::NotFound(_) => "NotFound",
            Error::Conflict(_) => "Conflict",
            Error::InUse(_) => "InUse",
            ref other => panic!("unexpected {other:?}"),
        };
        assert_eq!(got, kind, "{err}");
        assert_empty(&*s);
        // The writer is not left inside a transaction: the next batch goes through.
        let ok = s.apply(a_session_then(Write::DeleteParameters {
            device: "ghost".into(),
            prefix: String::new(),
        }));
        assert_eq!(ok.unwrap().len(), 3);
    }
}

#[test]
fn a_failed_batch_leaves_what_was_there_before_untouched() {
    for s in backends() {
        let d = device("S1");
        let ids = s
            .apply(vec![
                Write::PutDevice(d.clone()),
                Write::PutTask(task(&d.id, TaskKind::Reboot)),
                Write::PutClaim(claim("c", None, T0)),
            ])
            .unwrap();
        let mut changed = d.clone();
        changed.software_version = "9.9".into();
        let mut t = s.task(ids[0]).unwrap().unwrap();
        t.state = TaskState::Done;
        let res = s.apply(vec![
            Write::PutDevice(changed),
            Write::PutTask(t),
            Write::ConsumeClaim {
                code_sha256: "c".into(),
                device: d.id.clone(),
            },
            Write::DeleteDevice("ghost".into()),
        ]);
        assert!(matches!(res, Err(Error::NotFound(_))));
        assert_eq!(s.device(&d.id).unwrap(), Some(d));
        assert_eq!(s.task(ids[0]).unwrap().unwrap().state, TaskState::Queued);
        assert_eq!(s.claim("c").unwrap().unwrap().used_by, None);
    }
}

#[test]
fn an_empty_batch_is_a_no_op() {
    for s in backends() {
        assert!(s.apply(Vec::new()).unwrap().is_empty());
    }
}

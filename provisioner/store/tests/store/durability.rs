//! What was committed is there after the store is closed and opened again.

use tipring_acs::model::{Role, TaskKind};
use tipring_store::{ApiToken, AuditFilter, SqliteStore, Store, Write};

use crate::common::*;

#[test]
fn committed_data_survives_closing_and_reopening() {
    let dir = TempDir::new("durable");
    let path = dir.join("store.sqlite");
    let d = full_device("S1");
    let token = ApiToken {
        name: "admin".into(),
        role: Role::Admin,
        token_sha256: "h".into(),
        created_at: T0,
        revoked_at: None,
    };
    let first_ids = {
        let s = SqliteStore::open(&path).unwrap();
        let ids = s
            .apply(vec![
                Write::PutSite(site("hq")),
                Write::PutDevice(d.clone()),
                Write::PutParameters {
                    device: d.id.clone(),
                    parameters: vec![param("Device.A", "1"), param("Device.B", "2")],
                },
                Write::PutTask(task(&d.id, TaskKind::Provision)),
                Write::PutSecret {
                    device: d.id.clone(),
                    name: "acs_password".into(),
                    sealed: vec![1, 2, 3, 4],
                },
                Write::PutToken(token.clone()),
                Write::PutClaim(claim("c", Some("hq"), T0)),
                Write::Audit(audit("admin", "device.approve", &d.id, T0)),
            ])
            .unwrap();
        // Dropped without a checkpoint: the commit lives in the WAL.
        ids
    };
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.device(&d.id).unwrap(), Some(d.clone()));
    assert_eq!(s.parameters(&d.id, "").unwrap().len(), 2);
    assert_eq!(
        s.task(first_ids[0]).unwrap().unwrap().kind,
        TaskKind::Provision
    );
    assert_eq!(
        s.secret(&d.id, "acs_password").unwrap(),
        Some(vec![1, 2, 3, 4])
    );
    assert_eq!(s.token_by_hash("h").unwrap(), Some(token));
    assert!(s.claim("c").unwrap().is_some());
    assert_eq!(
        s.audit(&AuditFilter::default()).unwrap()[0].id,
        first_ids[1]
    );
    assert_eq!(s.site("hq").unwrap(), Some(site("hq")));
    // Ids carry on from where they were.
    let next = s
        .apply(vec![
            Write::PutTask(task(&d.id, TaskKind::Reboot)),
            Write::Audit(audit("admin", "task.queue", &d.id, T0 + 1)),
        ])
        .unwrap();
    assert!(next[0] > first_ids[0] && next[1] > first_ids[1]);

    // After a checkpoint the main file alone holds everything.
    s.checkpoint().unwrap();
    let wal = dir.join("store.sqlite-wal");
    assert_eq!(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0), 0);
    drop(s);
    let copy = dir.join("copy.sqlite");
    std::fs::copy(&path, &copy).unwrap();
    let c = SqliteStore::open(&copy).unwrap();
    assert_eq!(c.device(&d.id).unwrap(), Some(d));
    assert!(c.task(next[0]).unwrap().is_some());
}

/// Two stores on one file (two provisioner processes, or the server and a maintenance
/// command) see each other's commits.
#[test]
fn two_stores_on_one_file_see_each_others_commits() {
    let dir = TempDir::new("shared");
    let path = dir.join("store.sqlite");
    let a = SqliteStore::open(&path).unwrap();
    let b = SqliteStore::open(&path).unwrap();
    a.apply(vec![Write::PutSite(site("from-a"))]).unwrap();
    assert!(b.site("from-a").unwrap().is_some());
    b.apply(vec![Write::PutSite(site("from-b"))]).unwrap();
    assert_eq!(a.sites().unwrap().len(), 2);
}

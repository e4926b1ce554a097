//! Tasks: ids, updates, the due rule and the listing.

use tipring_acs::model::{TaskFault, TaskKind, TaskState};
use tipring_store::{Error, Store as _, TaskFilter, Write};

use crate::common::*;

fn every_kind() -> Vec<TaskKind> {
    vec![
        TaskKind::GetParameterValues {
            names: vec!["Device.DeviceInfo.".into(), "Device.Time.NTPServer1".into()],
        },
        TaskKind::SetParameterValues {
            values: vec![
                ("Device.X".into(), "1".into()),
                ("Device.Y".into(), "".into()),
            ],
        },
        TaskKind::GetParameterNames {
            path: "Device.".into(),
            next_level: true,
        },
        TaskKind::AddObject {
            path: "Device.Services.VoiceService.1.VoiceProfile.1.Line.".into(),
        },
        TaskKind::DeleteObject {
            path: "Device.Services.VoiceService.1.VoiceProfile.1.Line.3.".into(),
        },
        TaskKind::Reboot,
        TaskKind::FactoryReset,
        TaskKind::Download {
            file_type: "1 Firmware Upgrade Image".into(),
            url: "https://acs.example.net/fw/1.2.img".into(),
            file_size: 12_345_678,
            target_file_name: "fw.img".into(),
        },
        TaskKind::Provision,
    ]
}

#[test]
fn inserted_tasks_and_audit_records_get_ids_in_order_and_round_trip() {
    for s in backends() {
        let d = device("S1");
        let kinds = every_kind();
        let mut writes = vec![Write::PutDevice(d.clone())];
        for (i, k) in kinds.iter().enumerate() {
            writes.push(Write::PutTask(task(&d.id, k.clone())));
            writes.push(Write::Audit(audit(
                "admin",
                "task.queue",
                &d.id,
                T0 + i as i64,
            )));
        }
        let ids = s.apply(writes).unwrap();
        assert_eq!(ids.len(), 2 * kinds.len());
        let (task_ids, audit_ids): (Vec<_>, Vec<_>) = ids.chunks(2).map(|c| (c[0], c[1])).unzip();
        assert!(task_ids.windows(2).all(|w| w[0] < w[1]));
        assert!(audit_ids.windows(2).all(|w| w[0] < w[1]));
        for (id, kind) in task_ids.iter().zip(&kinds) {
            let want = tipring_acs::model::Task {
                id: *id,
                ..task(&d.id, kind.clone())
            };
            assert_eq!(s.task(*id).unwrap(), Some(want));
        }
        let entries = s.audit(&tipring_store::AuditFilter::default()).unwrap();
        let mut got: Vec<i64> = entries.iter().map(|e| e.id).collect();
        got.reverse();
        assert_eq!(got, audit_ids);
        assert_eq!(s.task(0).unwrap(), None);
        assert_eq!(s.task(i64::MAX).unwrap(), None);
    }
}

#[test]
fn a_task_is_updated_by_id_with_its_fault_and_result() {
    for s in backends() {
        let d = device("S1");
        let ids = s
            .apply(vec![
                Write::PutDevice(d.clone()),
                Write::PutTask(task(&d.id, TaskKind::Reboot)),
            ])
            .unwrap();
        let mut t = s.task(ids[0]).unwrap().unwrap();
        t.state = TaskState::Retrying;
        t.attempts = 1;
        t.next_attempt_at = T0 + 60;
        t.updated_at = T0 + 1;
        t.fault = Some(TaskFault {
            code: 9003,
            message: "Invalid arguments".into(),
            parameters: vec![("Device.X".into(), 9007, "Invalid parameter value".into())],
        });
        t.result = Some(serde_json::json!({ "instance": 3, "values": [["a", "b"]] }));
        // An update returns no id.
        assert!(s.apply(vec![Write::PutTask(t.clone())]).unwrap().is_empty());
        assert_eq!(s.task(t.id).unwrap(), Some(t.clone()));

        let ghost = tipring_acs::model::Task {
            id: 4242,
            ..t.clone()
        };
        match s.apply(vec![Write::PutTask(ghost)]) {
            Err(Error::NotFound(what)) => assert_eq!(what, "task 4242"),
            other => panic!("expected NotFound, got {other:?}"),
        }
        match s.apply(vec![Write::PutTask(task("ghost", TaskKind::Reboot))]) {
            Err(Error::NotFound(what)) => assert_eq!(what, "device ghost"),
            other => panic!("expected NotFound, got {other:?}"),
        }
    }
}

/// The due rule: Queued tasks, and Retrying ones whose time has come (at `now` exactly
/// too); nothing in flight, finished, failed or cancelled; in id order; that device only.
#[test]
fn due_tasks_follow_the_state_and_retry_time_rule_in_id_order() {
    for s in backends() {
        let d = device("S1");
        let other = device("S2");
        let now = T0 + 100;
        let spec = [
            (TaskState::Retrying, now - 1, true),
            (TaskState::Queued, now + 1000, true), // queued: due at once
            (TaskState::InFlight, now - 50, false),
            (TaskState::Retrying, now, true),
            (TaskState::Done, now - 50, false),
            (TaskState::Retrying, now + 1, false),
            (TaskState::Failed, now - 50, false),
            (TaskState::Queued, now - 10, true),
            (TaskState::Cancelled, now - 50, false),
        ];
        let mut writes = vec![Write::PutDevice(d.clone()), Write::PutDevice(other.clone())];
        for (state, at, _) in spec {
            let mut t = task(&d.id, TaskKind::Reboot);
            t.state = state;
            t.next_attempt_at = at;
            writes.push(Write::PutTask(t));
        }
        writes.push(Write::PutTask(task(&other.id, TaskKind::Reboot)));
        let ids = s.apply(writes).unwrap();
        let want: Vec<i64> = spec
            .iter()
            .zip(&ids)
            .filter(|((_, _, due), _)| *due)
            .map(|(_, id)| *id)
            .collect();
        let got: Vec<i64> = s
            .due_tasks(&d.id, now)
            .unwrap()
            .iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(got, want);
        // A second later, the Retrying at now + 1 is due as well.
        assert_eq!(s.due_tasks(&d.id, now + 1).unwrap().len(), want.len() + 1);
        assert_eq!(s.due_tasks(&other.id, now).unwrap().len(), 1);
        assert!(s.due_tasks("ghost", now).unwrap().is_empty());
    }
}

#[test]
fn the_task_listing_filters_by_device_and_state_newest_first_with_a_limit() {
    for s in backends() {
        let a = device("A");
        let b = device("B");
        let mut writes = vec![Write::PutDevice(a.clone()), Write::PutDevice(b.clone())];
        for i in 0..6 {
            let d = if i % 2 == 0 { &a } else { &b };
            let mut t = task(&d.id, TaskKind::Reboot);
            if i >= 4 {
                t.state = TaskState::Done;
            }
            writes.push(Write::PutTask(t));
        }
        let ids = s.apply(writes).unwrap();
        let listed =
            |f: TaskFilter| -> Vec<i64> { s.tasks(&f).unwrap().iter().map(|t| t.id).collect() };
        let rev = |v: &[i64]| v.iter().rev().copied().collect::<Vec<_>>();
        assert_eq!(listed(TaskFilter::default()), rev(&ids));
        assert_eq!(
            listed(TaskFilter {
                device: Some(a.id.clone()),
                ..TaskFilter::default()
            }),
            vec![ids[4], ids[2], ids[0]]
        );
        assert_eq!(
            listed(TaskFilter {
                state: Some(TaskState::Done),
                ..TaskFilter::default()
            }),
            vec![ids[5], ids[4]]
        );
        assert_eq!(
            listed(TaskFilter {
                device: Some(b.id.clone()),
                state: Some(TaskState::Queued),
                ..TaskFilter::default()
            }),
            vec![ids[3], ids[1]]
        );
        assert_eq!(
            listed(TaskFilter {
                limit: 2,
                ..TaskFilter::default()
            }),
            vec![ids[5], ids[4]]
        );
    }
}

#[test]
fn the_task_listing_defaults_to_100_and_caps_at_1000() {
    for s in backends() {
        let d = device("S1");
        let mut writes = vec![Write::PutDevice(d.clone())];
        writes.extend((0..1003).map(|_| Write::PutTask(task(&d.id, TaskKind::Reboot))));
        assert_eq!(s.apply(writes).unwrap().len(), 1003);
        let n = |limit| {
            s.tasks(&TaskFilter {
                limit,
                ..TaskFilter::default()
            })
            .unwrap()
            .len()
        };
        assert_eq!(n(0), 100);
        assert_eq!(n(5000), 1000);
    }
}

/// An id an API client holds never names another task later, even when the newest
/// task went away with its device.
#[test]
fn task_ids_are_never_reused() {
    for s in backends() {
        let d = device("S1");
        let first = s
            .apply(vec![
                Write::PutDevice(d.clone()),
                Write::PutTask(task(&d.id, TaskKind::Reboot)),
            ])
            .unwrap()[0];
        s.apply(vec![Write::DeleteDevice(d.id.clone())]).unwrap();
        let second = s
            .apply(vec![
                Write::PutDevice(d.clone()),
                Write::PutTask(task(&d.id, TaskKind::Reboot)),
            ])
            .unwrap()[0];
        assert!(second > first, "{second} > {first}");
        assert_eq!(s.task(first).unwrap(), None);
    }
}

/// A new task wakes its device up for every receiver (on PostgreSQL through NOTIFY, so a
/// receiver of another store on the same database hears it too); updates do not.
#[test]
fn new_tasks_wake_their_device_up() {
    use std::time::Duration;
    for s in backends() {
        let d = device("WAKE");
        s.apply(vec![Write::PutDevice(d.clone())]).unwrap();
        let rx = s.task_wakeups().unwrap();
        let ids = s
            .apply(vec![Write::PutTask(task(&d.id, TaskKind::Reboot))])
            .unwrap();
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5)).unwrap(),
            d.id,
            "woken by the insert"
        );
        let mut t = s.task(ids[0]).unwrap().unwrap();
        t.state = TaskState::Done;
        s.apply(vec![Write::PutTask(t)]).unwrap();
        assert!(
            rx.recv_timeout(Duration::from_millis(300)).is_err(),
            "an update wakes nobody"
        );
    }
    // Two PostgreSQL stores on one database: one's task wakes the other's receiver.
    let url = crate::pg::fresh_url();
    let a = tipring_store::PgStore::open(&url).unwrap();
    let b = tipring_store::PgStore::open(&url).unwrap();
    let rx = b.task_wakeups().unwrap();
    // The LISTEN starts on its own thread: wait until it hears a first one.
    let d = device("WAKE2");
    a.apply(vec![Write::PutDevice(d.clone())]).unwrap();
    let mut heard = false;
    for _ in 0..50 {
        a.apply(vec![Write::PutTask(task(&d.id, TaskKind::Reboot))])
            .unwrap();
        if rx.recv_timeout(Duration::from_millis(100)).is_ok() {
            heard = true;
            break;
        }
    }
    assert!(
        heard,
        "a task queued through one store wakes the other's receiver"
    );
}

/// The transfers in flight of a device, leased or awaiting their TransferComplete, and
/// nothing else in flight.
#[test]
fn awaiting_transfers_are_the_transfers_in_flight() {
    for s in backends() {
        let d = device("XFER");
        s.apply(vec![Write::PutDevice(d.clone())]).unwrap();
        let download = TaskKind::Download {
            file_type: "1 Firmware Upgrade Image".into(),
            url: "http://acs/fw".into(),
            file_size: 1,
            target_file_name: String::new(),
        };
        let ids = s
            .apply(vec![
                Write::PutTask(task(&d.id, download.clone())),
                Write::PutTask(task(&d.id, TaskKind::Reboot)),
                Write::PutTask(task(&d.id, download)),
            ])
            .unwrap();
        let claimed = s.claim_due_tasks(&d.id, T0, "node-a", 60).unwrap();
        assert_eq!(claimed.len(), 3);
        // The first Download was sent and accepted: its lease ends, it waits.
        s.apply(vec![Write::AwaitTransfer(ids[0])]).unwrap();
        let awaiting: Vec<i64> = s
            .awaiting_transfers(&d.id)
            .unwrap()
            .iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(
            awaiting,
            vec![ids[0], ids[2]],
            "transfers only, leased or not"
        );
        // Not claimable again, even once every lease ran out; the Reboot is.
        let again: Vec<i64> = s
            .claim_due_tasks(&d.id, T0 + 3600, "node-b", 60)
            .unwrap()
            .iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(again, vec![ids[1], ids[2]]);
    }
}

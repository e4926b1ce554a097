//! `Store::claim_due_tasks`: nodes take due tasks under a lease, never the same one twice.

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};
use std::thread;

use tipring_acs::model::{TaskKind, TaskState};
use tipring_store::{PgStore, SqliteStore, Store, Write};

use crate::common::*;

const LEASE: i64 = 60;

#[test]
fn a_claim_takes_the_due_tasks_in_flight_under_a_lease_once() {
    for s in backends() {
        let d = device("S1");
        let other = device("S2");
        let mut later = task(&d.id, TaskKind::Reboot);
        later.state = TaskState::Retrying;
        later.next_attempt_at = T0 + 100;
        let mut done = task(&d.id, TaskKind::Reboot);
        done.state = TaskState::Done;
        let ids = s
            .apply(vec![
                Write::PutDevice(d.clone()),
                Write::PutDevice(other.clone()),
                Write::PutTask(task(&d.id, TaskKind::Provision)),
                Write::PutTask(later),
                Write::PutTask(done),
                Write::PutTask(task(&d.id, TaskKind::Reboot)),
                Write::PutTask(task(&other.id, TaskKind::Reboot)),
            ])
            .unwrap();
        let (first, retry, _done, second, others) = (ids[0], ids[1], ids[2], ids[3], ids[4]);

        let got = s.claim_due_tasks(&d.id, T0 + 1, "node-a", LEASE).unwrap();
        assert_eq!(
            got.iter().map(|t| t.id).collect::<Vec<_>>(),
            [first, second]
        );
        for t in &got {
            assert_eq!(t.state, TaskState::InFlight);
            assert_eq!(t.updated_at, T0 + 1);
            assert_eq!(
                s.task(t.id).unwrap().as_ref(),
                Some(t),
                "stored as returned"
            );
        }
        // Claimed: not due, and a second claim (another node) before the lease ends gets none.
        assert!(s.due_tasks(&d.id, T0 + 1).unwrap().is_empty());
        assert!(s
            .claim_due_tasks(&d.id, T0 + 2, "node-b", LEASE)
            .unwrap()
            .is_empty());
        // The other device's task was not touched.
        assert_eq!(s.task(others).unwrap().unwrap().state, TaskState::Queued);

        // node-a finishes the first task: that ends its lease for good.
        let mut finished = s.task(first).unwrap().unwrap();
        finished.state = TaskState::Done;
        s.apply(vec![Write::PutTask(finished)]).unwrap();

        // node-a dies; when the lease runs out, node-b gets the second task (and the retry
        // that came due meanwhile), never the finished one.
        assert!(s
            .claim_due_tasks(&d.id, T0 + LEASE, "node-b", LEASE)
            .unwrap()
            .is_empty());
        let again = s
            .claim_due_tasks(&d.id, T0 + 1 + LEASE + 100, "node-b", LEASE)
            .unwrap();
        assert_eq!(
            again.iter().map(|t| t.id).collect::<Vec<_>>(),
            [retry, second]
        );
        assert_eq!(s.task(first).unwrap().unwrap().state, TaskState::Done);
    }
}

/// A task put back InFlight by the single-node shell (no lease) is never taken from it.
#[test]
fn an_in_flight_task_without_a_lease_is_not_claimed() {
    for s in backends() {
        let d = device("S1");
        let mut t = task(&d.id, TaskKind::Reboot);
        t.state = TaskState::InFlight;
        s.apply(vec![Write::PutDevice(d.clone()), Write::PutTask(t)])
            .unwrap();
        assert!(s
            .claim_due_tasks(&d.id, T0 + 1_000_000, "node-a", LEASE)
            .unwrap()
            .is_empty());
    }
}

/// Two stores on one database (two nodes), several threads claiming the same devices'
/// tasks at once: every task is claimed exactly once.
#[test]
fn nodes_claiming_at_once_take_each_task_exactly_once() {
    const DEVICES: usize = 30;
    const TASKS: usize = 5;
    const THREADS: usize = 4;
    const ROUNDS: usize = 4;
    let dir = TempDir::new("claims");
    let path = dir.join("store.sqlite");
    let url = crate::pg::fresh_url();
    type Opener<'a> = Box<dyn Fn() -> Box<dyn Store> + 'a>;
    let pairs: [(&str, Opener<'_>); 2] = [
        (
            "sqlite",
            Box::new(|| Box::new(SqliteStore::open(&path).unwrap()) as Box<dyn Store>),
        ),
        (
            "postgres",
            Box::new(|| Box::new(PgStore::open(&url).unwrap()) as Box<dyn Store>),
        ),
    ];
    for (name, open) in pairs {
        eprintln!("backend: {name}");
        let nodes: Vec<Arc<dyn Store>> = (0..2).map(|_| Arc::from(open())).collect();
        let devices: Vec<_> = (0..DEVICES).map(|i| device(&format!("D{i:02}"))).collect();
        nodes[0]
            .apply(devices.iter().cloned().map(Write::PutDevice).collect())
            .unwrap();
        let devices: Vec<String> = devices.into_iter().map(|d| d.id).collect();
        // Several rounds of fresh tasks (the earlier rounds' stay claimed), for more races.
        for round in 0..ROUNDS {
            let setup = devices
                .iter()
                .flat_map(|id| (0..TASKS).map(|_| Write::PutTask(task(id, TaskKind::Reboot))))
                .collect();
            let all: BTreeSet<i64> = nodes[0].apply(setup).unwrap().into_iter().collect();
            assert_eq!(all.len(), DEVICES * TASKS);

            let barrier = Arc::new(Barrier::new(THREADS));
            let threads: Vec<_> = (0..THREADS)
                .map(|n| {
                    let store = Arc::clone(&nodes[n % 2]);
                    let barrier = Arc::clone(&barrier);
                    let devices = devices.clone();
                    thread::spawn(move || {
                        barrier.wait();
                        let mut got = Vec::new();
                        for id in &devices {
                            for t in store
                                .claim_due_tasks(id, T0, &format!("node-{n}"), LEASE)
                                .unwrap()
                            {
                                assert_eq!(t.state, TaskState::InFlight);
                                got.push(t.id);
                            }
                        }
                        got
                    })
                })
                .collect();
            let mut seen = BTreeSet::new();
            for t in threads {
                for id in t.join().unwrap() {
                    assert!(
                        seen.insert(id),
                        "{name} round {round}: task {id} claimed twice"
                    );
                }
            }
            assert_eq!(seen, all, "{name} round {round}: every task claimed once");
        }
    }
}

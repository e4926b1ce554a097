//! Threads: readers beside a writer, the claim race, the connection pools under load
//! (on every backend but the first test, which is about SQLite's WAL readers).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Barrier};
use std::thread;

use rusqlite::{Connection, TransactionBehavior};
use tipring_store::{DeviceFilter, Error, SqliteStore, Store, Write, PG_CONNECTIONS, READERS};

use crate::common::*;

/// Reads do not wait for a write in progress. A write transaction is held open by another
/// connection (from another thread); our own `apply` on a third thread queues behind it,
/// holding the store's writer. Reads from several threads still answer at once from the
/// last commit; once the foreign write commits, our `apply` goes through and the reads see
/// both. (Were reads waiting for either writer, they would not finish before the foreign
/// write is released — it is released only after they finish — and our `apply` would give
/// up with "database is locked" after the busy timeout instead of succeeding.)
#[test]
#[allow(clippy::disallowed_methods)] // Instant::now: only to report how long reads took
fn reads_do_not_wait_for_a_write_transaction_in_progress() {
    let dir = TempDir::new("readers");
    let path = dir.join("store.sqlite");
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let before = device("OLD");
    store.apply(vec![Write::PutDevice(before.clone())]).unwrap();

    let (began_tx, began_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let foreign = thread::spawn(move || {
        let mut c = Connection::open(&path).unwrap();
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        tx.execute(
            "INSERT INTO sites (name, description, variables) VALUES ('new', '', '{}')",
            [],
        )
        .unwrap();
        began_tx.send(()).unwrap();
        release_rx.recv().unwrap();
        tx.commit().unwrap();
    });
    began_rx.recv().unwrap();

    // Our own write, stuck behind the foreign one while holding the store's writer.
    let ours = {
        let store = Arc::clone(&store);
        thread::spawn(move || store.apply(vec![Write::PutDevice(device("NEW"))]))
    };
    // Give it time to get in (if it has not yet, the reads below prove less, not more).
    thread::sleep(std::time::Duration::from_millis(100));

    let started = std::time::Instant::now();
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let store = Arc::clone(&store);
            let id = before.id.clone();
            thread::spawn(move || {
                assert!(store.device(&id).unwrap().is_some());
                assert_eq!(store.count_devices(&DeviceFilter::default()).unwrap(), 1);
                assert_eq!(store.site("new").unwrap(), None, "uncommitted is invisible");
            })
        })
        .collect();
    for r in readers {
        r.join().unwrap();
    }
    let took = started.elapsed();
    assert!(!ours.is_finished(), "our apply waits for the foreign write");
    release_tx.send(()).unwrap();
    foreign.join().unwrap();
    ours.join()
        .unwrap()
        .expect("our apply goes through once the other commits");
    assert!(store.site("new").unwrap().is_some());
    assert_eq!(store.count_devices(&DeviceFilter::default()).unwrap(), 2);
    eprintln!("reads beside two writers took {took:?}");
}

/// Readers running beside a stream of batches never see half a batch: a device is
/// visible only with all of its parameters.
#[test]
fn concurrent_readers_see_whole_batches_only() {
    const BATCHES: usize = 60;
    const PARAMS: usize = 20;
    /// Sets the flag when dropped: at the writer's end, or when it panics.
    struct Done(Arc<AtomicBool>);
    impl Drop for Done {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    for s in backends() {
        let store: Arc<dyn Store> = Arc::from(s);
        let done = Arc::new(AtomicBool::new(false));
        let writer = {
            let store = Arc::clone(&store);
            let done = Done(Arc::clone(&done));
            thread::spawn(move || {
                let _done = done;
                for i in 0..BATCHES {
                    let d = device(&format!("D{i:03}"));
                    let parameters = (0..PARAMS)
                        .map(|p| param(&format!("Device.P{p:02}"), &i.to_string()))
                        .collect();
                    store
                        .apply(vec![
                            Write::PutDevice(d.clone()),
                            Write::PutParameters {
                                device: d.id,
                                parameters,
                            },
                        ])
                        .unwrap();
                }
            })
        };
        let readers: Vec<_> = (0..READERS + 2)
            .map(|_| {
                let store = Arc::clone(&store);
                let done = Arc::clone(&done);
                thread::spawn(move || {
                    let mut checks = 0;
                    loop {
                        let finished = done.load(Ordering::SeqCst);
                        let all = DeviceFilter {
                            limit: 1000,
                            ..DeviceFilter::default()
                        };
                        let devices = store.devices(&all).unwrap();
                        for d in &devices {
                            assert_eq!(store.parameters(&d.id, "Device.").unwrap().len(), PARAMS);
                            checks += 1;
                        }
                        if devices.len() == BATCHES {
                            return checks;
                        }
                        assert!(
                            !finished,
                            "the writer stopped after {} batches",
                            devices.len()
                        );
                    }
                })
            })
            .collect();
        writer.join().unwrap();
        for r in readers {
            assert!(r.join().unwrap() >= BATCHES);
        }
    }
}

/// Two devices present one claim code at the same moment: exactly one gets it.
#[test]
fn a_claim_code_raced_by_two_threads_is_won_exactly_once() {
    const CODES: usize = 25;
    for s in backends() {
        let store: Arc<dyn Store> = Arc::from(s);
        let a = device("A");
        let b = device("B");
        let mut setup = vec![Write::PutDevice(a.clone()), Write::PutDevice(b.clone())];
        setup.extend((0..CODES).map(|i| Write::PutClaim(claim(&format!("code{i}"), None, T0))));
        store.apply(setup).unwrap();

        let barrier = Arc::new(Barrier::new(2));
        let racer = |who: String| {
            let store = Arc::clone(&store);
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                (0..CODES)
                    .map(|i| {
                        barrier.wait();
                        match store.apply(vec![
                            Write::ConsumeClaim {
                                code_sha256: format!("code{i}"),
                                device: who.clone(),
                            },
                            Write::Audit(audit(&who, "claim.use", &format!("code{i}"), T0)),
                        ]) {
                            Ok(_) => true,
                            Err(Error::Conflict(_)) => false,
                            Err(e) => panic!("unexpected {e}"),
                        }
                    })
                    .collect::<Vec<bool>>()
            })
        };
        let ra = racer(a.id.clone());
        let rb = racer(b.id.clone());
        let (wa, wb) = (ra.join().unwrap(), rb.join().unwrap());
        for i in 0..CODES {
            assert!(wa[i] ^ wb[i], "code{i}: exactly one winner");
            let winner = if wa[i] { &a.id } else { &b.id };
            let c = store.claim(&format!("code{i}")).unwrap().unwrap();
            assert_eq!(c.used_by.as_ref(), Some(winner));
            // The loser's audit record went with its failed batch.
            let entries = store
                .audit(&tipring_store::AuditFilter {
                    target: Some(format!("code{i}")),
                    ..Default::default()
                })
                .unwrap();
            assert_eq!(entries.len(), 1);
            assert_eq!(&entries[0].actor, winner);
        }
    }
}

/// More readers than the pool holds: the extra ones wait for a connection and all finish.
#[test]
fn more_reading_threads_than_pooled_connections_all_get_answers() {
    for s in backends() {
        let store: Arc<dyn Store> = Arc::from(s);
        let d = device("S1");
        store.apply(vec![Write::PutDevice(d.clone())]).unwrap();
        let threads: Vec<_> = (0..READERS.max(PG_CONNECTIONS) * 3)
            .map(|_| {
                let store = Arc::clone(&store);
                let id = d.id.clone();
                thread::spawn(move || {
                    for _ in 0..50 {
                        assert!(store.device(&id).unwrap().is_some());
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }
}

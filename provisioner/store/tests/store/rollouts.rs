//! Rollouts: stored, stepped under the row lock with the tasks a step starts, reports
//! that only move a device forward, and — on several threads at once, as several nodes
//! would — every target started exactly once.

use std::sync::{Arc, Barrier};
use std::thread;

use tipring_acs::model::{TaskKind, TaskState};
use tipring_acs::rollout::{
    Action, DeviceState, Outcome, Phase, Record, Rollout, RolloutSpec, State, Window,
};
use tipring_store::{Error, Store, TaskFilter, Write};

use crate::common::*;

fn spec(name: &str, phases: &[u8], halt: f64) -> RolloutSpec {
    RolloutSpec {
        name: name.into(),
        phases: phases
            .iter()
            .map(|&percent| Phase {
                percent,
                min_soak_s: 0,
            })
            .collect(),
        max_per_minute: 0,
        window: None,
        halt_failure_rate: halt,
        report_timeout_s: 0,
    }
}

fn record(spec: RolloutSpec, targets: Vec<String>) -> Record {
    Record {
        id: spec.name.clone(),
        image: "ab".repeat(32),
        version: "2.0.0".into(),
        created_by: "admin".into(),
        created_at: T0,
        updated_at: T0,
        rollout: Rollout::new(spec, targets, T0),
        utc_offsets: Default::default(),
        gone: Default::default(),
    }
}

/// `n` devices in the store; their ids.
fn devices(s: &dyn Store, n: usize) -> Vec<String> {
    let all: Vec<_> = (0..n).map(|i| device(&format!("R{i:04}"))).collect();
    let ids = all.iter().map(|d| d.id.clone()).collect();
    s.apply(all.into_iter().map(Write::PutDevice).collect())
        .unwrap();
    ids
}

/// One step: the Download task of each device it starts goes in with it.
fn step(s: &dyn Store, id: &str, now: i64) -> Option<Vec<String>> {
    let mut started = Vec::new();
    s.update_rollout(id, &mut |rec| {
        started.clear();
        rec.step(now)
            .into_iter()
            .filter_map(|a| match a {
                Action::Start(d) => {
                    started.push(d.clone());
                    Some(Write::PutTask(task(
                        &d,
                        TaskKind::Download {
                            file_type: "1 Firmware Upgrade Image".into(),
                            url: "http://acs/fw".into(),
                            file_size: 1,
                            target_file_name: String::new(),
                        },
                    )))
                }
                _ => None,
            })
            .collect()
    })
    .unwrap()
    .map(|_| started)
}

fn report(rollout: &str, device: &str, outcome: Outcome) -> Write {
    Write::ReportRollout {
        rollout: rollout.into(),
        device: device.into(),
        outcome,
        at: T0 + 10,
    }
}

#[test]
fn a_rollout_is_stored_stepped_and_reported_on() {
    for s in backends() {
        let ids = devices(s.as_ref(), 20);
        let rec = record(spec("fw-2", &[10, 100], 0.5), ids.clone());
        s.apply(vec![Write::PutRollout(Box::new(rec.clone()))])
            .unwrap();
        // The same id again is a conflict, and nothing of it is written.
        let again = s.apply(vec![Write::PutRollout(Box::new(rec.clone()))]);
        assert!(matches!(again, Err(Error::Conflict(_))), "{again:?}");

        let loaded = s.rollout("fw-2").unwrap().expect("stored");
        assert_eq!(loaded.rollout, rec.rollout, "header and every device");
        assert_eq!(s.running_rollouts().unwrap(), vec!["fw-2".to_string()]);
        assert!(s.rollout("nope").unwrap().is_none());

        let canary = step(s.as_ref(), "fw-2", T0).expect("stepped");
        assert_eq!(canary.len(), 2, "10 % of 20");
        let tasks = s.tasks(&TaskFilter::default()).unwrap();
        assert_eq!(tasks.len(), 2, "the step's tasks went in with it");
        // When each started device last moved comes back from its row (the report
        // timeout counts from it).
        let r = s.rollout("fw-2").unwrap().unwrap();
        assert_eq!(r.rollout.moved_at.len(), 2);
        assert!(canary.iter().all(|d| r.rollout.moved_at[d] == T0));
        assert!(tasks.iter().all(|t| t.state == TaskState::Queued));

        // Reports: only forward, a repeat counts once, a stranger is no error.
        s.apply(vec![
            report("fw-2", &canary[0], Outcome::Installed),
            report("fw-2", &canary[0], Outcome::Confirmed),
            report("fw-2", &canary[0], Outcome::Installed),
            report("fw-2", &canary[1], Outcome::Failed { code: 9010 }),
            report("fw-2", &canary[1], Outcome::Confirmed),
            report("fw-2", "no-such-device", Outcome::Confirmed),
            report("fw-2", &ids[19], Outcome::Confirmed),
        ])
        .unwrap();
        let r = s.rollout("fw-2").unwrap().unwrap();
        assert_eq!(r.rollout.devices[&canary[0]], DeviceState::Confirmed);
        assert_eq!(r.rollout.devices[&canary[1]], DeviceState::Failed);
        assert_eq!(r.rollout.codes[&canary[1]], 9010);
        let queued = r
            .rollout
            .devices
            .values()
            .filter(|s| **s == DeviceState::Queued)
            .count();
        assert_eq!(
            queued, 18,
            "a report for a device not started changes nothing"
        );

        // The device's view: the confirmed one is still an active target (a later
        // rollback can fail it); the failed one is not.
        let mine = s.device_rollouts(&canary[0]).unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(
            (
                mine[0].rollout.as_str(),
                mine[0].version.as_str(),
                mine[0].state
            ),
            ("fw-2", "2.0.0", DeviceState::Confirmed)
        );
        assert!(s.device_rollouts(&canary[1]).unwrap().is_empty());

        // 1 of 2 failed = 50 %, not over the threshold: the next phase starts.
        let rest = step(s.as_ref(), "fw-2", T0 + 20).unwrap();
        assert_eq!(rest.len(), 18);
        let list = s.rollouts().unwrap();
        assert_eq!(list.len(), 1);
        let t = list[0].total;
        assert_eq!(
            (t.devices, t.downloading, t.confirmed, t.failed, t.queued),
            (20, 18, 1, 1, 0)
        );
        assert_eq!(list[0].phase, 1);

        // A change that stops it takes it out of the driver's list.
        s.update_rollout("fw-2", &mut |rec| {
            rec.rollout.cancel();
            Vec::new()
        })
        .unwrap()
        .unwrap();
        assert!(s.running_rollouts().unwrap().is_empty());
        assert_eq!(
            s.rollout("fw-2").unwrap().unwrap().rollout.state,
            State::Cancelled
        );
    }
}

#[test]
fn a_step_whose_writes_fail_changes_nothing() {
    for s in backends() {
        let ids = devices(s.as_ref(), 4);
        s.apply(vec![Write::PutRollout(Box::new(record(
            spec("fw-x", &[100], 1.0),
            ids,
        )))])
        .unwrap();
        // The step starts all four, but one of its writes names a task that does not
        // exist: the whole transaction goes, the rollout still has them queued.
        let r = s.update_rollout("fw-x", &mut |rec| {
            let _ = rec.step(T0);
            let mut t = task(&rec.rollout.order[0], TaskKind::Reboot);
            t.id = 999_999;
            vec![Write::PutTask(t)]
        });
        assert!(matches!(r, Err(Error::NotFound(_))), "{r:?}");
        let r = s.rollout("fw-x").unwrap().unwrap();
        assert!(r
            .rollout
            .devices
            .values()
            .all(|d| *d == DeviceState::Queued));
        assert_eq!(s.running_rollouts().unwrap().len(), 1);
    }
}

#[test]
fn offsets_and_deleted_devices_come_with_the_rollout() {
    for s in backends() {
        let ids = devices(s.as_ref(), 3);
        let mut d = s.device(&ids[0]).unwrap().unwrap();
        d.utc_offset_min = Some(60);
        s.apply(vec![
            Write::PutDevice(d),
            Write::DeleteDevice(ids[2].clone()),
        ])
        .unwrap();
        assert_eq!(s.device(&ids[0]).unwrap().unwrap().utc_offset_min, Some(60));
        let mut sp = spec("fw-w", &[100], 1.0);
        // 22:00-23:00 local: at T0 + 21:30 UTC, the device at UTC+1 is at 22:30.
        sp.window = Some(Window {
            start_minute: 22 * 60,
            end_minute: 23 * 60,
        });
        s.apply(vec![Write::PutRollout(Box::new(record(sp, ids.clone())))])
            .unwrap();
        let mut seen = None;
        s.update_rollout("fw-w", &mut |rec| {
            seen = Some((rec.utc_offsets.clone(), rec.gone.clone()));
            Vec::new()
        })
        .unwrap()
        .unwrap();
        let (offsets, gone) = seen.unwrap();
        assert_eq!(offsets.get(&ids[0]), Some(&60));
        assert_eq!(offsets.len(), 1, "unknown offsets are absent");
        assert!(gone.contains(&ids[2]) && gone.len() == 1);
        let midnight = T0 - T0.rem_euclid(86_400);
        let started = step(s.as_ref(), "fw-w", midnight + 21 * 3600 + 30 * 60).unwrap();
        assert_eq!(started, vec![ids[0].clone()], "only the one in its window");
    }
}

/// Four threads step one rollout at once, over and over, as four nodes would: every
/// target is started exactly once (one Download task each), whatever the interleaving.
#[test]
fn concurrent_steps_start_every_target_exactly_once() {
    for s in backends() {
        let s: Arc<dyn Store> = Arc::from(s);
        let ids = devices(s.as_ref(), 200);
        let mut sp = spec("fw-race", &[10, 50, 100], 1.0);
        sp.max_per_minute = 0;
        s.apply(vec![Write::PutRollout(Box::new(record(sp, ids.clone())))])
            .unwrap();
        let barrier = Arc::new(Barrier::new(4));
        let workers: Vec<_> = (0..4)
            .map(|w| {
                let s = Arc::clone(&s);
                let barrier = Arc::clone(&barrier);
                thread::spawn(move || {
                    barrier.wait();
                    let mut mine = Vec::new();
                    for round in 0..60 {
                        if let Some(started) = step(s.as_ref(), "fw-race", T0 + round) {
                            // Confirm what this "node" started, so phases move on.
                            let w: Vec<Write> = started
                                .iter()
                                .map(|d| report("fw-race", d, Outcome::Confirmed))
                                .collect();
                            s.apply(w).unwrap();
                            mine.extend(started);
                        }
                        if w == 0 && round % 7 == 0 {
                            thread::yield_now();
                        }
                    }
                    mine
                })
            })
            .collect();
        let mut all: Vec<String> = workers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort();
        let n = all.len();
        all.dedup();
        assert_eq!(n, all.len(), "no device started twice");
        assert_eq!(all.len(), 200, "every device started");
        let tasks = s
            .tasks(&TaskFilter {
                limit: 1000,
                ..TaskFilter::default()
            })
            .unwrap();
        assert_eq!(tasks.len(), 200, "one task per device");
        let r = s.rollout("fw-race").unwrap().unwrap();
        assert_eq!(r.rollout.state, State::Done);
    }
}

//! Staged firmware rollouts, sans-IO: which devices get the image when, and when the
//! rollout stops itself.
//!
//! A [`Rollout`] has a target set (device ids, chosen by the caller with a filter) and
//! phases, each a cumulative share of the targets (1 % canary, then 10 %, then all). The
//! targets are put in a stable pseudo-random order (a hash of the rollout's name and the
//! device id), so the canary is a spread sample, the same on every node that rebuilds the
//! rollout. [`Rollout::step`] says which devices to start now:
//!
//! * only devices of the current phase, at most `max_per_minute` per rolling minute, and
//!   only inside the maintenance window of each device's local time when one is set;
//! * the phase **halts** the rollout by itself as soon as its failures pass
//!   `halt_failure_rate` of the phase's devices (a failure is a fault reported by the
//!   device, or a device that came back on its old version — it rolled back);
//! * the next phase starts when every device of this one is confirmed or failed (under the
//!   threshold) and the phase has soaked `min_soak_s` since its last device finished.
//!
//! The shell persists the state after every step in the same transaction as the tasks the
//! step queues (the store keeps the header as one JSON document and a row per device), so
//! a node that dies mid-step leaves the state of the last step another node continues
//! from; `step` is a pure function of the state and its inputs, and starting a device is
//! recorded in the state by the same step that asks for it (a device is never started
//! twice). Reports only move a device forward ([`Rollout::report`]; the store does the
//! same as one conditional `UPDATE`), so a report delivered twice counts once; the phase's
//! end is noticed by the next step, not by the report.
//!
//! ```
//! use tipring_acs::rollout::{Phase, Rollout, RolloutSpec, Outcome, Action};
//! let spec = RolloutSpec {
//!     name: "fw-2.1".into(),
//!     phases: vec![Phase { percent: 10, min_soak_s: 600 }, Phase { percent: 100, min_soak_s: 0 }],
//!     max_per_minute: 100,
//!     window: None,
//!     halt_failure_rate: 0.1,
//!     report_timeout_s: 86_400,
//! };
//! let devices: Vec<String> = (0..100).map(|i| format!("dev{i}")).collect();
//! let mut r = Rollout::new(spec, devices, 0);
//! let started: Vec<String> = r.step(0, &|_| None).into_iter().filter_map(|a| match a {
//!     Action::Start(d) => Some(d), _ => None }).collect();
//! assert_eq!(started.len(), 10); // the canary only
//! for d in &started { r.report(d, Outcome::Confirmed, 60); }
//! assert!(r.step(60, &|_| None).is_empty()); // the phase ended: soaking
//! assert_eq!(r.step(660, &|_| None).len(), 1 + 90); // next phase: 90 devices
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One phase: the rollout reaches `percent` % of its targets (cumulative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    /// Share of the targets covered once this phase is done (1..=100, rising).
    pub percent: u8,
    /// Seconds to wait after the phase's last device finished before the next phase.
    pub min_soak_s: i64,
}

/// A daily window of device-local time in which devices may be started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Start, minutes after local midnight (0..1440).
    pub start_minute: u16,
    /// End (exclusive), minutes after local midnight; below `start_minute` it wraps
    /// past midnight (22:00-04:00).
    pub end_minute: u16,
}

impl Window {
    /// Whether a local minute of the day is inside.
    pub fn contains(&self, minute: u16) -> bool {
        if self.start_minute <= self.end_minute {
            (self.start_minute..self.end_minute).contains(&minute)
        } else {
            minute >= self.start_minute || minute < self.end_minute
        }
    }
}

/// What a rollout does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolloutSpec {
    /// Unique name (also seeds the order of the targets).
    pub name: String,
    /// Phases, cumulative percentages rising to 100.
    pub phases: Vec<Phase>,
    /// Devices started per rolling minute, at most (0: no limit).
    pub max_per_minute: u32,
    /// Maintenance window in each device's local time (None: any time).
    pub window: Option<Window>,
    /// Halt when a phase's failures exceed this share of its devices (0.0..=1.0).
    pub halt_failure_rate: f64,
    /// A started or installed device that reports nothing more for this long fails
    /// ([`TIMED_OUT`]), so that a device that went silent cannot hold its phase open
    /// for ever (0: wait for ever).
    #[serde(default)]
    pub report_timeout_s: i64,
}

/// The fault code of a device that reported nothing within the rollout's
/// `report_timeout_s` (9017, "Download failure: unable to complete download").
pub const TIMED_OUT: u32 = 9017;

impl RolloutSpec {
    /// Problems with the spec: (field, why).
    pub fn check(&self) -> Result<(), (String, String)> {
        if self.phases.is_empty() || self.phases.len() > 10 {
            return Err(("phases".into(), "1 to 10 phases".into()));
        }
        let mut last = 0;
        for (i, p) in self.phases.iter().enumerate() {
            if p.percent <= last || p.percent > 100 {
                return Err((format!("phases[{i}].percent"), "rising, 1 to 100".into()));
            }
            if p.min_soak_s < 0 {
                return Err((format!("phases[{i}].min_soak_s"), "0 or more".into()));
            }
            last = p.percent;
        }
        if last != 100 {
            return Err(("phases".into(), "the last phase reaches 100 %".into()));
        }
        if !(0.0..=1.0).contains(&self.halt_failure_rate) {
            return Err(("halt_failure_rate".into(), "0.0 to 1.0".into()));
        }
        if self.report_timeout_s < 0 {
            return Err(("report_timeout_s".into(), "0 (none) or more".into()));
        }
        if let Some(w) = self.window {
            if w.start_minute >= 1440 || w.end_minute > 1440 || w.start_minute == w.end_minute {
                return Err(("window".into(), "minutes 0..1440, start != end".into()));
            }
        }
        Ok(())
    }
}

/// Where one device stands in the rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// Not started.
    Queued,
    /// Told to download (a Download task queued).
    Started,
    /// The device reported the download or install (TransferComplete without fault).
    Installed,
    /// The device came back on the new version (BOOT Inform): done.
    Confirmed,
    /// A fault, or it came back on its old version (rolled back).
    Failed,
}

/// What a device reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Downloaded and installed (TransferComplete, no fault).
    Installed,
    /// Booted the new version.
    Confirmed,
    /// Failed: a CWMP fault code, or 0 when it rolled back to its old image.
    Failed {
        /// The fault code (0: rolled back).
        code: u32,
    },
}

/// Where the rollout stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    /// Moving.
    Running,
    /// Stopped by an operator; resume continues.
    Paused,
    /// Stopped by itself.
    Halted {
        /// Why.
        reason: String,
    },
    /// Stopped by an operator for good.
    Cancelled,
    /// Every target confirmed or failed.
    Done,
}

/// What the shell must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Queue the firmware Download for this device (and a connection request).
    Start(String),
    /// The rollout moved to this phase (0-based).
    PhaseStarted(usize),
    /// The rollout halted by itself.
    Halted(String),
    /// Every target finished.
    Done,
}

/// Counts of one phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseProgress {
    /// Devices in the phase.
    pub devices: u32,
    /// Not started.
    pub queued: u32,
    /// Started, nothing reported yet.
    pub downloading: u32,
    /// Installed, not yet back on the new version.
    pub installed: u32,
    /// Confirmed on the new version.
    pub confirmed: u32,
    /// Failed.
    pub failed: u32,
}

/// A rollout's whole state (persist it after every change).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rollout {
    /// The spec.
    pub spec: RolloutSpec,
    /// Targets in rollout order (the store keeps it in its device rows, not the header).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order: Vec<String>,
    /// Each target's state (device rows, as `order`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub devices: BTreeMap<String, DeviceState>,
    /// The fault code of each failed device (0: it rolled back to its old image).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub codes: BTreeMap<String, u32>,
    /// When each started or installed device last moved (its start, its install).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub moved_at: BTreeMap<String, i64>,
    /// The current phase (0-based).
    pub phase: usize,
    /// When the current phase started.
    pub phase_started_at: i64,
    /// When the current phase's last device finished (None: not yet).
    pub phase_finished_at: Option<i64>,
    /// Start times within the last minute (the rate limit).
    pub recent_starts: Vec<i64>,
    /// Failures of the current phase an operator accepted by resuming after a halt: the
    /// halt rule counts only the failures beyond them.
    #[serde(default)]
    pub accepted_failures: u32,
    /// Running, paused, halted...
    pub state: State,
}

/// A rollout as the provisioner keeps it: the image it installs, who made it, and its
/// state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Its id (the spec's name).
    pub id: String,
    /// The firmware image (its id) the targets download.
    pub image: String,
    /// The version that image installs: a device booting it is confirmed.
    pub version: String,
    /// Who made it (an API token's name).
    pub created_by: String,
    /// Made when (Unix seconds).
    pub created_at: i64,
    /// Last stepped or changed.
    pub updated_at: i64,
    /// The state.
    pub rollout: Rollout,
    /// The UTC offset (minutes) of each target not started yet, from its last Inform's
    /// CurrentTime; filled by the store when it loads a rollout, never stored with it.
    #[serde(skip)]
    pub utc_offsets: BTreeMap<String, i32>,
    /// Targets deleted from the provisioner since the rollout began (filled by the store
    /// as `utc_offsets`): a step that reaches one fails it instead of queuing a task.
    #[serde(skip)]
    pub gone: std::collections::BTreeSet<String>,
}

impl Record {
    /// A device's local minute of the day at `now`, when its UTC offset is known.
    pub fn local_minute(&self, device: &str, now: i64) -> Option<u16> {
        let offset = i64::from(*self.utc_offsets.get(device)?);
        let minute = (now.div_euclid(60) + offset).rem_euclid(1440);
        u16::try_from(minute).ok()
    }

    /// Steps the rollout (see [`Rollout::step`]) with the devices' local times.
    pub fn step(&mut self, now: i64) -> Vec<Action> {
        let offsets = std::mem::take(&mut self.utc_offsets);
        let local = |d: &str| {
            let offset = i64::from(*offsets.get(d)?);
            u16::try_from((now.div_euclid(60) + offset).rem_euclid(1440)).ok()
        };
        let actions = self.rollout.step(now, &local);
        self.utc_offsets = offsets;
        self.updated_at = now;
        actions
    }

    /// The listing's view.
    pub fn summary(&self) -> Summary {
        let mut total = PhaseProgress::default();
        for p in self.rollout.progress() {
            total.devices += p.devices;
            total.queued += p.queued;
            total.downloading += p.downloading;
            total.installed += p.installed;
            total.confirmed += p.confirmed;
            total.failed += p.failed;
        }
        Summary {
            id: self.id.clone(),
            image: self.image.clone(),
            version: self.version.clone(),
            state: self.rollout.state.clone(),
            phase: self.rollout.phase,
            phases: self.rollout.spec.phases.len(),
            created_by: self.created_by.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            total,
        }
    }
}

/// A rollout in a listing: where it stands, without its devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Its id.
    pub id: String,
    /// The image.
    pub image: String,
    /// The version it installs.
    pub version: String,
    /// Running, paused, halted...
    pub state: State,
    /// The current phase (0-based).
    pub phase: usize,
    /// How many phases.
    pub phases: usize,
    /// Who made it.
    pub created_by: String,
    /// Made when.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
    /// Counts over every phase.
    pub total: PhaseProgress,
}

fn order_key(name: &str, id: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0]);
    h.update(id.as_bytes());
    h.finalize().into()
}

impl Rollout {
    /// A rollout of `spec` over `targets` (duplicates dropped), starting now.
    pub fn new(spec: RolloutSpec, mut targets: Vec<String>, now: i64) -> Self {
        targets.sort();
        targets.dedup();
        targets.sort_by_cached_key(|id| order_key(&spec.name, id));
        let devices = targets
            .iter()
            .map(|d| (d.clone(), DeviceState::Queued))
            .collect();
        let mut r = Self {
            spec,
            order: targets,
            devices,
            codes: BTreeMap::new(),
            moved_at: BTreeMap::new(),
            phase: 0,
            phase_started_at: now,
            phase_finished_at: None,
            recent_starts: Vec::new(),
            accepted_failures: 0,
            state: State::Running,
        };
        if r.phase_devices(0).is_empty() {
            r.phase_finished_at = Some(now);
        }
        r
    }

    /// The targets' index range of phase `i` (cumulative: phase i adds these).
    fn range(&self, i: usize) -> std::ops::Range<usize> {
        let n = self.order.len();
        let upto = |p: usize| -> usize {
            let pct = usize::from(self.spec.phases[p].percent);
            // At least one device in a non-empty phase (a 1 % canary of 50 is 1).
            (n * pct).div_ceil(100).min(n)
        };
        let from = if i == 0 { 0 } else { upto(i - 1) };
        from..upto(i).max(from)
    }

    fn phase_devices(&self, i: usize) -> &[String] {
        &self.order[self.range(i)]
    }

    /// Progress of each phase.
    pub fn progress(&self) -> Vec<PhaseProgress> {
        (0..self.spec.phases.len())
            .map(|i| {
                let mut p = PhaseProgress::default();
                for d in self.phase_devices(i) {
                    p.devices += 1;
                    match self.devices.get(d) {
                        Some(DeviceState::Queued) | None => p.queued += 1,
                        Some(DeviceState::Started) => p.downloading += 1,
                        Some(DeviceState::Installed) => p.installed += 1,
                        Some(DeviceState::Confirmed) => p.confirmed += 1,
                        Some(DeviceState::Failed) => p.failed += 1,
                    }
                }
                p
            })
            .collect()
    }

    /// A device reported. Reports only move a device forward — started, installed,
    /// confirmed — or to failed, which a confirmed device can still reach (it booted the
    /// new image, failed its health check and went back to the old one); reports for
    /// devices not started, or that already failed, are ignored (a late or repeated Inform
    /// counts once). [`Rollout::transition`] is the rule.
    pub fn report(&mut self, device: &str, outcome: Outcome, now: i64) {
        let Some(st) = self.devices.get_mut(device) else {
            return;
        };
        let Some(next) = Self::transition(*st, &outcome) else {
            return;
        };
        *st = next;
        if next == DeviceState::Installed {
            self.moved_at.insert(device.to_string(), now);
        } else {
            self.moved_at.remove(device);
        }
        if let Outcome::Failed { code } = outcome {
            self.codes.insert(device.to_string(), code);
        }
    }

    /// The state a report moves a device to, or None when it changes nothing.
    pub fn transition(from: DeviceState, outcome: &Outcome) -> Option<DeviceState> {
        use DeviceState::{Confirmed, Failed, Installed, Started};
        match (from, outcome) {
            (Started, Outcome::Installed) => Some(Installed),
            (Started | Installed, Outcome::Confirmed) => Some(Confirmed),
            (Started | Installed | Confirmed, Outcome::Failed { .. }) => Some(Failed),
            _ => None,
        }
    }

    /// The states a device may be in for `outcome` to move it (the store's conditional
    /// update uses these).
    pub fn sources(outcome: &Outcome) -> &'static [DeviceState] {
        use DeviceState::{Confirmed, Installed, Started};
        match outcome {
            Outcome::Installed => &[Started],
            Outcome::Confirmed => &[Started, Installed],
            Outcome::Failed { .. } => &[Started, Installed, Confirmed],
        }
    }

    /// Pause (an operator).
    pub fn pause(&mut self) {
        if self.state == State::Running {
            self.state = State::Paused;
        }
    }

    /// Resume after a pause or a halt (an operator decided it is safe). After a halt, the
    /// phase's failures so far are accepted: it halts again only if more fail past the
    /// threshold.
    pub fn resume(&mut self) {
        if matches!(self.state, State::Halted { .. }) {
            self.accepted_failures = self.progress()[self.phase].failed;
        }
        if matches!(self.state, State::Paused | State::Halted { .. }) {
            self.state = State::Running;
        }
    }

    /// Cancel for good: nothing more is started.
    pub fn cancel(&mut self) {
        if self.state != State::Done {
            self.state = State::Cancelled;
        }
    }

    /// What to do now. `local_minute` gives a device's local minute of the day (None:
    /// unknown; such a device waits when a window is set).
    pub fn step(&mut self, now: i64, local_minute: &dyn Fn(&str) -> Option<u16>) -> Vec<Action> {
        let mut out = Vec::new();
        if self.state != State::Running {
            return out;
        }
        // Devices silent past the report timeout fail.
        if self.spec.report_timeout_s > 0 {
            let limit = self.spec.report_timeout_s;
            let silent: Vec<String> = self
                .moved_at
                .iter()
                .filter(|(_, t)| now - **t >= limit)
                .map(|(d, _)| d.clone())
                .collect();
            for d in silent {
                self.report(&d, Outcome::Failed { code: TIMED_OUT }, now);
            }
        }
        // The phase ended when each of its devices is confirmed or failed.
        if self.phase_finished_at.is_none()
            && self.phase_devices(self.phase).iter().all(|d| {
                matches!(
                    self.devices.get(d),
                    Some(DeviceState::Confirmed | DeviceState::Failed)
                )
            })
        {
            self.phase_finished_at = Some(now);
        }
        // The halt rule, on the current phase.
        let p = self.progress()[self.phase];
        let counted = p.failed.saturating_sub(self.accepted_failures);
        if p.devices > 0 && f64::from(counted) > self.spec.halt_failure_rate * f64::from(p.devices)
        {
            let reason = format!(
                "phase {} (up to {} %): {} of {} devices failed, over the {:.0} % threshold",
                self.phase + 1,
                self.spec.phases[self.phase].percent,
                p.failed,
                p.devices,
                self.spec.halt_failure_rate * 100.0
            );
            self.state = State::Halted {
                reason: reason.clone(),
            };
            out.push(Action::Halted(reason));
            return out;
        }
        // The next phase, once this one finished and soaked.
        if let Some(done_at) = self.phase_finished_at {
            if now - done_at >= self.spec.phases[self.phase].min_soak_s {
                if self.phase + 1 >= self.spec.phases.len() {
                    self.state = State::Done;
                    out.push(Action::Done);
                    return out;
                }
                self.phase += 1;
                self.accepted_failures = 0;
                self.phase_started_at = now;
                self.phase_finished_at = None;
                out.push(Action::PhaseStarted(self.phase));
                if self.phase_devices(self.phase).is_empty() {
                    self.phase_finished_at = Some(now);
                }
            }
        }
        // Start what the rate and the windows allow, in order.
        self.recent_starts.retain(|t| now - t < 60);
        let budget = if self.spec.max_per_minute == 0 {
            usize::MAX
        } else {
            (self.spec.max_per_minute as usize).saturating_sub(self.recent_starts.len())
        };
        let window = self.spec.window;
        let to_start: Vec<String> = self
            .phase_devices(self.phase)
            .iter()
            .filter(|d| self.devices.get(*d) == Some(&DeviceState::Queued))
            .filter(|d| match window {
                None => true,
                Some(w) => local_minute(d).is_some_and(|m| w.contains(m)),
            })
            .take(budget)
            .cloned()
            .collect();
        for d in to_start {
            self.devices.insert(d.clone(), DeviceState::Started);
            self.moved_at.insert(d.clone(), now);
            self.recent_starts.push(now);
            out.push(Action::Start(d));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(phases: &[(u8, i64)], rate: u32, halt: f64) -> RolloutSpec {
        RolloutSpec {
            name: "fw-3".into(),
            phases: phases
                .iter()
                .map(|&(percent, min_soak_s)| Phase {
                    percent,
                    min_soak_s,
                })
                .collect(),
            max_per_minute: rate,
            window: None,
            halt_failure_rate: halt,
            report_timeout_s: 0,
        }
    }

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("00D0C9-FXS2-SN{i:06}")).collect()
    }

    fn started(a: &[Action]) -> Vec<String> {
        a.iter()
            .filter_map(|x| match x {
                Action::Start(d) => Some(d.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_failing_canary_halts_and_nobody_else_is_touched() {
        // The issue's scenario: 10 000 targets, a 1 % canary, 20 % of it fails.
        let mut r = Rollout::new(
            spec(&[(1, 300), (10, 300), (100, 0)], 0, 0.1),
            ids(10_000),
            0,
        );
        let canary = started(&r.step(0, &|_| None));
        assert_eq!(canary.len(), 100);
        for (i, d) in canary.iter().enumerate() {
            let o = if i % 5 == 0 {
                Outcome::Failed { code: 9010 }
            } else {
                Outcome::Confirmed
            };
            r.report(d, o, 10);
        }
        let a = r.step(20, &|_| None);
        assert!(
            matches!(&a[..], [Action::Halted(why)] if why.contains("20 of 100")),
            "{a:?}"
        );
        assert!(matches!(r.state, State::Halted { .. }));
        // Halted: nothing more, whatever time passes.
        assert!(r.step(100_000, &|_| None).is_empty());
        let touched = r
            .devices
            .values()
            .filter(|s| **s != DeviceState::Queued)
            .count();
        assert_eq!(touched, 100, "only the canary was touched");
        let p = r.progress();
        assert_eq!((p[0].failed, p[0].confirmed), (20, 80));
        assert_eq!(p[1].queued, 900);
        // An operator resumes: those 20 are accepted, the rollout goes on to phase 2.
        r.resume();
        let a = r.step(400, &|_| None);
        assert_eq!(a.first(), Some(&Action::PhaseStarted(1)), "{a:?}");
        assert_eq!(started(&a).len(), 900);
    }

    #[test]
    fn phases_advance_after_their_soak_and_respect_the_rate() {
        let mut r = Rollout::new(spec(&[(10, 600), (100, 0)], 5, 0.5), ids(20), 0);
        let first = started(&r.step(0, &|_| None));
        assert_eq!(first.len(), 2, "10 % of 20");
        for d in &first {
            r.report(d, Outcome::Installed, 30);
            r.report(d, Outcome::Confirmed, 60);
        }
        assert!(r.step(60, &|_| None).is_empty(), "the phase ended at 60");
        assert!(r.step(300, &|_| None).is_empty(), "soaking");
        let a = r.step(660, &|_| None);
        assert_eq!(a[0], Action::PhaseStarted(1));
        assert_eq!(started(&a).len(), 5, "the rate limit: 5 a minute");
        assert!(
            started(&r.step(700, &|_| None)).is_empty(),
            "still the same minute"
        );
        assert_eq!(started(&r.step(721, &|_| None)).len(), 5);
        // A repeated or late report counts once; a report for a device never started is
        // ignored; a confirmed device that rolls back fails, and stays failed.
        let d = first[0].clone();
        r.report(&d, Outcome::Confirmed, 800);
        r.report(&d, Outcome::Installed, 800);
        assert_eq!(r.devices[&d], DeviceState::Confirmed);
        r.report(&d, Outcome::Failed { code: 0 }, 800);
        assert_eq!(r.devices[&d], DeviceState::Failed);
        assert_eq!(r.codes[&d], 0);
        r.report(&d, Outcome::Confirmed, 900);
        assert_eq!(r.devices[&d], DeviceState::Failed);
        let queued = r
            .order
            .iter()
            .find(|x| r.devices[*x] == DeviceState::Queued)
            .cloned()
            .expect("a queued device");
        r.report(&queued, Outcome::Confirmed, 900);
        assert_eq!(r.devices[&queued], DeviceState::Queued);
        // The rule the store's conditional update follows is the same.
        for from in [
            DeviceState::Queued,
            DeviceState::Started,
            DeviceState::Installed,
            DeviceState::Confirmed,
            DeviceState::Failed,
        ] {
            for o in [
                Outcome::Installed,
                Outcome::Confirmed,
                Outcome::Failed { code: 1 },
            ] {
                assert_eq!(
                    Rollout::transition(from, &o).is_some(),
                    Rollout::sources(&o).contains(&from),
                    "{from:?} {o:?}"
                );
            }
        }
    }

    #[test]
    fn the_order_is_stable_and_spread_and_the_window_is_local_time() {
        let a = Rollout::new(spec(&[(100, 0)], 0, 1.0), ids(50), 0);
        let mut shuffled = ids(50);
        shuffled.reverse();
        let b = Rollout::new(spec(&[(100, 0)], 0, 1.0), shuffled, 0);
        assert_eq!(a.order, b.order, "every node computes the same order");
        assert_ne!(a.order, ids(50), "not the id order");
        let mut s = spec(&[(100, 0)], 0, 1.0);
        s.window = Some(Window {
            start_minute: 22 * 60,
            end_minute: 4 * 60,
        });
        let mut r = Rollout::new(s, ids(4), 0);
        // Two devices are at 23:00 local, two at noon.
        let night: Vec<String> = ids(4)[..2].to_vec();
        let local = |d: &str| {
            Some(if night.iter().any(|n| n == d) {
                23 * 60
            } else {
                12 * 60
            })
        };
        let go = started(&r.step(0, &local));
        let mut go_sorted = go.clone();
        go_sorted.sort();
        assert_eq!(go_sorted, night);
    }

    #[test]
    fn pause_resume_cancel_and_done() {
        let mut r = Rollout::new(spec(&[(100, 0)], 0, 1.0), ids(3), 0);
        r.pause();
        assert!(r.step(0, &|_| None).is_empty());
        r.resume();
        let go = started(&r.step(1, &|_| None));
        assert_eq!(go.len(), 3);
        for d in &go {
            r.report(d, Outcome::Confirmed, 2);
        }
        assert_eq!(r.step(3, &|_| None), [Action::Done]);
        assert_eq!(r.state, State::Done);
        r.cancel();
        assert_eq!(r.state, State::Done, "a finished rollout stays done");
        // The whole state survives a round trip (a node persists it after each step).
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Rollout>(&json).unwrap(), r);
    }

    #[test]
    fn devices_that_go_silent_fail_after_the_report_timeout() {
        let mut s = spec(&[(100, 0)], 0, 1.0);
        s.report_timeout_s = 100;
        let mut r = Rollout::new(s, ids(3), 0);
        let go = started(&r.step(0, &|_| None));
        assert_eq!(go.len(), 3);
        r.report(&go[0], Outcome::Confirmed, 10);
        r.report(&go[1], Outcome::Installed, 50);
        assert!(r.step(99, &|_| None).is_empty());
        assert_eq!(r.devices[&go[2]], DeviceState::Started, "not yet");
        let _ = r.step(100, &|_| None);
        assert_eq!(
            r.devices[&go[2]],
            DeviceState::Failed,
            "silent since its start"
        );
        assert_eq!(r.codes[&go[2]], TIMED_OUT);
        assert_eq!(r.devices[&go[1]], DeviceState::Installed, "it moved at 50");
        let a = r.step(150, &|_| None);
        assert_eq!(r.devices[&go[1]], DeviceState::Failed);
        assert_eq!(r.devices[&go[0]], DeviceState::Confirmed, "done is done");
        assert!(r.moved_at.is_empty());
        assert_eq!(a, [Action::Done], "the phase, and the rollout, ended");
    }

    #[test]
    fn specs_are_checked() {
        assert!(spec(&[(1, 0), (100, 0)], 0, 0.1).check().is_ok());
        assert_eq!(
            spec(&[(10, 0), (5, 0)], 0, 0.1).check().unwrap_err().0,
            "phases[1].percent"
        );
        assert_eq!(spec(&[(50, 0)], 0, 0.1).check().unwrap_err().0, "phases");
        assert_eq!(
            spec(&[(100, 0)], 0, 2.0).check().unwrap_err().0,
            "halt_failure_rate"
        );
    }
}

//! Rollouts as rows, the same on both backends: the header (the [`Rollout`] without its
//! devices) is one JSON text, each target a row (`position`, `state`, `fault_code`).

use std::collections::BTreeMap;

use tipring_acs::rollout::{DeviceState, PhaseProgress, Record, Rollout, State, Summary};

use crate::error::{Error, Result};

pub(crate) use crate::codec::{device_state_from, device_state_text};

/// The `state` column of a rollout.
pub(crate) fn state_text(s: &State) -> &'static str {
    match s {
        State::Running => "running",
        State::Paused => "paused",
        State::Halted { .. } => "halted",
        State::Cancelled => "cancelled",
        State::Done => "done",
    }
}

/// The header: everything but the devices.
pub(crate) fn header_json(r: &Rollout) -> Result<String> {
    let head = Rollout {
        order: Vec::new(),
        devices: BTreeMap::new(),
        codes: BTreeMap::new(),
        moved_at: BTreeMap::new(),
        ..r.clone()
    };
    Ok(serde_json::to_string(&head)?)
}

/// One stored target.
pub(crate) struct Row {
    pub device: String,
    pub state: DeviceState,
    pub code: Option<i64>,
    pub utc_offset: Option<i32>,
    /// The device still exists.
    pub exists: bool,
    /// When its row last changed (its start, its last report).
    pub updated_at: i64,
}

/// The rollout's columns, in [`Head`]'s order.
pub(crate) const COLUMNS: &str = "id, image, version, header, created_by, created_at, updated_at";

/// A rollout's own row (its [`COLUMNS`]).
pub(crate) struct Head {
    pub id: String,
    pub image: String,
    pub version: String,
    /// The JSON header ([`header_json`]).
    pub header: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A record from its row and its targets' rows (in position order).
pub(crate) fn record(h: Head, rows: Vec<Row>) -> Result<Record> {
    let Head {
        id,
        image,
        version,
        header,
        created_by,
        created_at,
        updated_at,
    } = h;
    let mut rollout: Rollout = serde_json::from_str(&header)?;
    let mut utc_offsets = BTreeMap::new();
    let mut gone = std::collections::BTreeSet::new();
    for r in rows {
        if !r.exists {
            gone.insert(r.device.clone());
        }
        if let Some(code) = r.code {
            let code = u32::try_from(code)
                .map_err(|_| Error::Database(format!("fault code {code} in rollout {id}")))?;
            rollout.codes.insert(r.device.clone(), code);
        }
        if matches!(r.state, DeviceState::Started | DeviceState::Installed) {
            rollout.moved_at.insert(r.device.clone(), r.updated_at);
        }
        if let (DeviceState::Queued, Some(o)) = (r.state, r.utc_offset) {
            utc_offsets.insert(r.device.clone(), o);
        }
        rollout.devices.insert(r.device.clone(), r.state);
        rollout.order.push(r.device);
    }
    Ok(Record {
        id,
        image,
        version,
        created_by,
        created_at,
        updated_at,
        rollout,
        utc_offsets,
        gone,
    })
}

/// The targets whose state or code `after` changed from `before`: (device, state, code).
pub(crate) fn changed(
    before: &Rollout,
    after: &Rollout,
) -> Vec<(String, DeviceState, Option<i64>)> {
    after
        .devices
        .iter()
        .filter(|(d, s)| {
            before.devices.get(*d) != Some(s) || before.codes.get(*d) != after.codes.get(*d)
        })
        .map(|(d, s)| (d.clone(), *s, after.codes.get(d).map(|c| i64::from(*c))))
        .collect()
}

/// A summary from a rollout's row and the counts of each device state.
pub(crate) fn summary(h: Head, counts: &[(DeviceState, i64)]) -> Result<Summary> {
    let Head {
        id,
        image,
        version,
        header,
        created_by,
        created_at,
        updated_at,
    } = h;
    let head: Rollout = serde_json::from_str(&header)?;
    let mut total = PhaseProgress::default();
    for (s, n) in counts {
        let n = u32::try_from(*n).unwrap_or(u32::MAX);
        total.devices += n;
        match s {
            DeviceState::Queued => total.queued += n,
            DeviceState::Started => total.downloading += n,
            DeviceState::Installed => total.installed += n,
            DeviceState::Confirmed => total.confirmed += n,
            DeviceState::Failed => total.failed += n,
        }
    }
    Ok(Summary {
        id,
        image,
        version,
        state: head.state,
        phase: head.phase,
        phases: head.spec.phases.len(),
        created_by,
        created_at,
        updated_at,
        total,
    })
}

/// `'a', 'b'`: the states a report may move a device from, for an `IN (...)`.
pub(crate) fn sources_sql(outcome: &tipring_acs::rollout::Outcome) -> String {
    tipring_acs::rollout::Rollout::sources(outcome)
        .iter()
        .map(|s| format!("'{}'", device_state_text(*s)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The state and code a report writes.
pub(crate) fn reported(outcome: &tipring_acs::rollout::Outcome) -> (DeviceState, Option<i64>) {
    use tipring_acs::rollout::Outcome;
    match outcome {
        Outcome::Installed => (DeviceState::Installed, None),
        Outcome::Confirmed => (DeviceState::Confirmed, None),
        Outcome::Failed { code } => (DeviceState::Failed, Some(i64::from(*code))),
    }
}

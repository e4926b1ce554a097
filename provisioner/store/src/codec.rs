//! Rows to domain types and back: enums as their serde names, lists and maps as JSON text.

use std::collections::BTreeMap;

use rusqlite::Row;
use tipring_acs::model::{
    AuditEntry, CachedParameter, ClaimCode, Device, DeviceKey, DriftPolicy, Enrollment,
    Preregistration, Profile, Role, Root, Site, Task, TaskState,
};

use tipring_acs::rollout::DeviceState;

use crate::error::{Error, Result};
use crate::ApiToken;

/// An enum kept as text: both directions from one table, so they cannot drift apart.
macro_rules! text_enum {
    ($to:ident, $from:ident, $ty:ty, $what:literal, { $($v:path => $s:literal),+ $(,)? }) => {
        /// The text stored for the value (its serde name).
        pub(crate) fn $to(v: $ty) -> &'static str {
            match v { $($v => $s),+ }
        }
        /// The value of a stored text.
        pub(crate) fn $from(s: &str) -> Result<$ty> {
            match s {
                $($s => Ok($v),)+
                other => Err(Error::Database(format!(
                    concat!("unknown ", $what, " {:?} in the database"), other
                ))),
            }
        }
    };
}

text_enum!(enrollment_text, enrollment_from, Enrollment, "enrollment", {
    Enrollment::Pending => "pending",
    Enrollment::Approved => "approved",
    Enrollment::Rejected => "rejected",
});

text_enum!(root_text, root_from, Root, "root", {
    Root::Device => "device",
    Root::InternetGatewayDevice => "internet_gateway_device",
    Root::Unknown => "unknown",
});

text_enum!(task_state_text, task_state_from, TaskState, "task state", {
    TaskState::Queued => "queued",
    TaskState::InFlight => "in_flight",
    TaskState::Done => "done",
    TaskState::Retrying => "retrying",
    TaskState::Failed => "failed",
    TaskState::Cancelled => "cancelled",
});

text_enum!(drift_text, drift_from, DriftPolicy, "drift policy", {
    DriftPolicy::Correct => "correct",
    DriftPolicy::Report => "report",
});

text_enum!(device_state_text, device_state_from, DeviceState, "rollout device state", {
    DeviceState::Queued => "queued",
    DeviceState::Started => "started",
    DeviceState::Installed => "installed",
    DeviceState::Confirmed => "confirmed",
    DeviceState::Failed => "failed",
});

text_enum!(role_text, role_from, Role, "role", {
    Role::ReadOnly => "read_only",
    Role::Operator => "operator",
    Role::Admin => "admin",
});

/// JSON text of a value (our own types always encode).
pub(crate) fn json<T: serde::Serialize + ?Sized>(v: &T) -> Result<String> {
    Ok(serde_json::to_string(v)?)
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    Ok(serde_json::from_str(s)?)
}

pub(crate) fn opt_json<T: serde::de::DeserializeOwned>(s: Option<String>) -> Result<Option<T>> {
    s.as_deref().map(from_json).transpose()
}

fn u32_col(row: &Row<'_>, i: usize) -> Result<u32> {
    let v: i64 = row.get(i)?;
    u32::try_from(v).map_err(|_| Error::Database(format!("column {i} holds {v}")))
}

/// The columns [`device`] reads, in order.
pub(crate) const DEVICE_COLUMNS: &str = "id, oui, product_class, serial, enrollment, site, tags, \
    manufacturer, model, software_version, hardware_version, provisioning_code, root, \
    connection_request_url, last_address, first_seen, last_inform, last_boot, \
    provisioned_digest, provisioned_at, cert_sha256, open_faults, utc_offset_min, lines, lines_up, \
    inform_interval_s, calls_at, calls_mos_good, calls_mos_fair, calls_mos_poor, calls_mos_bad, \
    calls_jitter_low, calls_jitter_mid, calls_jitter_high, calls_jitter_severe";

pub(crate) fn device(row: &Row<'_>) -> Result<Device> {
    let tags: String = row.get(6)?;
    let enrollment: String = row.get(4)?;
    let root: String = row.get(12)?;
    Ok(Device {
        id: row.get(0)?,
        key: DeviceKey {
            oui: row.get(1)?,
            product_class: row.get(2)?,
            serial: row.get(3)?,
        },
        enrollment: enrollment_from(&enrollment)?,
        site: row.get(5)?,
        tags: from_json(&tags)?,
        manufacturer: row.get(7)?,
        model: row.get(8)?,
        software_version: row.get(9)?,
        hardware_version: row.get(10)?,
        provisioning_code: row.get(11)?,
        root: root_from(&root)?,
        connection_request_url: row.get(13)?,
        last_address: row.get(14)?,
        first_seen: row.get(15)?,
        last_inform: row.get(16)?,
        last_boot: row.get(17)?,
        provisioned_digest: row.get(18)?,
        provisioned_at: row.get(19)?,
        cert_sha256: row.get(20)?,
        open_faults: u32_col(row, 21)?,
        utc_offset_min: row.get(22)?,
        lines: u32_col(row, 23)?,
        lines_up: u32_col(row, 24)?,
        inform_interval_s: opt_u32(row.get(25)?, 25)?,
        calls_at: row.get(26)?,
        calls_mos: bands(27, |i| u32_col(row, i))?,
        calls_jitter: bands(31, |i| u32_col(row, i))?,
    })
}

/// An optional count column (`column` names it in the error).
pub(crate) fn opt_u32(v: Option<i64>, column: usize) -> Result<Option<u32>> {
    v.map(|v| u32::try_from(v).map_err(|_| Error::Database(format!("column {column} holds {v}"))))
        .transpose()
}

/// Four band columns from `first` on (a device's calls per quality band).
pub(crate) fn bands(first: usize, col: impl Fn(usize) -> Result<u32>) -> Result<[u32; 4]> {
    Ok([
        col(first)?,
        col(first + 1)?,
        col(first + 2)?,
        col(first + 3)?,
    ])
}

pub(crate) const PARAMETER_COLUMNS: &str = "name, value, xsd_type, writable, seen_at";

pub(crate) fn parameter(row: &Row<'_>) -> Result<CachedParameter> {
    Ok(CachedParameter {
        name: row.get(0)?,
        value: row.get(1)?,
        xsd_type: row.get(2)?,
        writable: row.get(3)?,
        seen_at: row.get(4)?,
    })
}

pub(crate) const TASK_COLUMNS: &str = "id, device, kind, state, attempts, next_attempt_at, \
    fault, result, created_at, created_by, updated_at";

pub(crate) fn task(row: &Row<'_>) -> Result<Task> {
    let kind: String = row.get(2)?;
    let state: String = row.get(3)?;
    Ok(Task {
        id: row.get(0)?,
        device: row.get(1)?,
        kind: from_json(&kind)?,
        state: task_state_from(&state)?,
        attempts: u32_col(row, 4)?,
        next_attempt_at: row.get(5)?,
        fault: opt_json(row.get(6)?)?,
        result: opt_json(row.get(7)?)?,
        created_at: row.get(8)?,
        created_by: row.get(9)?,
        updated_at: row.get(10)?,
    })
}

pub(crate) const SITE_COLUMNS: &str = "name, description, variables";

pub(crate) fn site(row: &Row<'_>) -> Result<Site> {
    let variables: String = row.get(2)?;
    Ok(Site {
        name: row.get(0)?,
        description: row.get(1)?,
        variables: from_json::<BTreeMap<String, String>>(&variables)?,
    })
}

pub(crate) const PROFILE_COLUMNS: &str =
    "name, priority, model, site, tags, template, variables, drift";

pub(crate) fn profile(row: &Row<'_>) -> Result<Profile> {
    let tags: String = row.get(4)?;
    let variables: String = row.get(6)?;
    let drift: String = row.get(7)?;
    Ok(Profile {
        name: row.get(0)?,
        priority: row.get(1)?,
        model: row.get(2)?,
        site: row.get(3)?,
        tags: from_json(&tags)?,
        template: row.get(5)?,
        variables: from_json(&variables)?,
        drift: drift_from(&drift)?,
    })
}

pub(crate) const PREREGISTRATION_COLUMNS: &str =
    "serial, oui, product_class, site, tags, initial_secret_sha256";

pub(crate) fn preregistration(row: &Row<'_>) -> Result<Preregistration> {
    let tags: String = row.get(4)?;
    Ok(Preregistration {
        serial: row.get(0)?,
        oui: row.get(1)?,
        product_class: row.get(2)?,
        site: row.get(3)?,
        tags: from_json(&tags)?,
        initial_secret_sha256: row.get(5)?,
    })
}

pub(crate) const CLAIM_COLUMNS: &str =
    "code_sha256, site, tags, expires_at, used_by, created_at, created_by";

pub(crate) fn claim(row: &Row<'_>) -> Result<ClaimCode> {
    let tags: String = row.get(2)?;
    Ok(ClaimCode {
        code_sha256: row.get(0)?,
        site: row.get(1)?,
        tags: from_json(&tags)?,
        expires_at: row.get(3)?,
        used_by: row.get(4)?,
        created_at: row.get(5)?,
        created_by: row.get(6)?,
    })
}

pub(crate) const TOKEN_COLUMNS: &str = "name, role, token_sha256, created_at, revoked_at";

pub(crate) fn token(row: &Row<'_>) -> Result<ApiToken> {
    let role: String = row.get(1)?;
    Ok(ApiToken {
        name: row.get(0)?,
        role: role_from(&role)?,
        token_sha256: row.get(2)?,
        created_at: row.get(3)?,
        revoked_at: row.get(4)?,
    })
}

pub(crate) const AUDIT_COLUMNS: &str = "id, at, actor, action, target, detail";

pub(crate) fn audit(row: &Row<'_>) -> Result<AuditEntry> {
    let detail: String = row.get(5)?;
    Ok(AuditEntry {
        id: row.get(0)?,
        at: row.get(1)?,
        actor: row.get(2)?,
        action: row.get(3)?,
        target: row.get(4)?,
        detail: from_json(&detail)?,
    })
}

/// `s` for a LIKE pattern with `ESCAPE '\'`: `%`, `_` and `\` match only themselves.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The least string above every string that starts with `prefix`, so that
/// `name >= prefix AND name < bound` is exactly "starts with prefix" and walks the index.
/// None when there is none (an empty prefix, or one of U+10FFFF only): no upper bound.
///
/// SQLite's BINARY collation compares UTF-8 bytes, and UTF-8 byte order is code point
/// order (RFC 3629 §1, and no encoding is a prefix of another), so the bound is the prefix
/// with its last incrementable character incremented and the rest cut off.
pub(crate) fn prefix_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = u32::from(last) + 1;
        if (0xD800..0xE000).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// A listing limit: 0 is the default of 100; anything above 1000 is 1000.
pub(crate) fn limit(n: u32) -> i64 {
    match n {
        0 => i64::from(crate::DEFAULT_LIMIT),
        n => i64::from(n.min(crate::MAX_LIMIT)),
    }
}

/// The fleet's counts (`?1`/`$1` now, `?2`/`$2` the default inform interval): devices,
/// pending, approved, rejected, online (approved), faulted, lines, lines up, devices with
/// a line down, then the calls of the last day per MOS band (4) and per jitter band (4),
/// from the devices whose call log was read in that day. The same text runs on both engines (`?N` is SQLite's, PostgreSQL's is
/// `$N`: [`pg_placeholders`]).
pub(crate) const FLEET_COUNTS_SQL: &str = "SELECT COUNT(*), \
    CAST(COALESCE(SUM(CASE WHEN enrollment = 'pending' THEN 1 ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN enrollment = 'approved' THEN 1 ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN enrollment = 'rejected' THEN 1 ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN enrollment = 'approved' AND last_inform >= \
        ?1 - (COALESCE(inform_interval_s, ?2) * 11 / 10 + 30) THEN 1 ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN open_faults > 0 THEN 1 ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(lines), 0) AS BIGINT), \
    CAST(COALESCE(SUM(lines_up), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN lines_up < lines THEN 1 ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN calls_at >= ?1 - 86400 THEN calls_mos_good ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN calls_at >= ?1 - 86400 THEN calls_mos_fair ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN calls_at >= ?1 - 86400 THEN calls_mos_poor ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN calls_at >= ?1 - 86400 THEN calls_mos_bad ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN calls_at >= ?1 - 86400 THEN calls_jitter_low ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN calls_at >= ?1 - 86400 THEN calls_jitter_mid ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN calls_at >= ?1 - 86400 THEN calls_jitter_high ELSE 0 END), 0) AS BIGINT), \
    CAST(COALESCE(SUM(CASE WHEN calls_at >= ?1 - 86400 THEN calls_jitter_severe ELSE 0 END), 0) AS BIGINT) \
    FROM devices";

/// Approved devices per model and version, most first (at most 100 rows).
pub(crate) const FLEET_VERSIONS_SQL: &str = "SELECT model, software_version, COUNT(*) \
    FROM devices WHERE enrollment = 'approved' GROUP BY model, software_version \
    ORDER BY COUNT(*) DESC, model, software_version LIMIT 100";

pub(crate) const FLEET_COUNTS: usize = 17;

/// The fleet's numbers from [`FLEET_COUNTS_SQL`]'s columns, in order.
pub(crate) fn fleet_stats(
    n: [i64; FLEET_COUNTS],
    versions: Vec<crate::VersionCount>,
) -> crate::FleetStats {
    let n = n.map(|v| u64::try_from(v).unwrap_or(0));
    crate::FleetStats {
        devices: n[0],
        pending: n[1],
        approved: n[2],
        rejected: n[3],
        online: n[4],
        offline: n[2].saturating_sub(n[4]),
        faulted: n[5],
        lines: n[6],
        lines_up: n[7],
        devices_lines_down: n[8],
        calls_mos: [n[9], n[10], n[11], n[12]],
        calls_jitter: [n[13], n[14], n[15], n[16]],
        versions,
    }
}

/// `?N` placeholders as PostgreSQL's `$N`.
pub(crate) fn pg_placeholders(sql: &str) -> String {
    sql.replace('?', "$")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored names are the serde names the API shows, so a hand-written SQL query
    /// and the JSON agree.
    #[test]
    fn enum_texts_are_the_serde_names() {
        fn serde_name<T: serde::Serialize>(v: T) -> String {
            serde_json::to_value(v)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        }
        for e in [
            Enrollment::Pending,
            Enrollment::Approved,
            Enrollment::Rejected,
        ] {
            assert_eq!(enrollment_text(e), serde_name(e));
            assert_eq!(enrollment_from(enrollment_text(e)).unwrap(), e);
        }
        for r in [Root::Device, Root::InternetGatewayDevice, Root::Unknown] {
            assert_eq!(root_text(r), serde_name(r));
            assert_eq!(root_from(root_text(r)).unwrap(), r);
        }
        for s in [
            TaskState::Queued,
            TaskState::InFlight,
            TaskState::Done,
            TaskState::Retrying,
            TaskState::Failed,
            TaskState::Cancelled,
        ] {
            assert_eq!(task_state_text(s), serde_name(s));
            assert_eq!(task_state_from(task_state_text(s)).unwrap(), s);
        }
        for d in [DriftPolicy::Correct, DriftPolicy::Report] {
            assert_eq!(drift_text(d), serde_name(d));
            assert_eq!(drift_from(drift_text(d)).unwrap(), d);
        }
        for r in [Role::ReadOnly, Role::Operator, Role::Admin] {
            assert_eq!(role_text(r), serde_name(r));
            assert_eq!(role_from(role_text(r)).unwrap(), r);
        }
        assert!(matches!(role_from("root"), Err(Error::Database(_))));
    }

    #[test]
    fn like_escape_escapes_the_wildcards_and_the_escape() {
        assert_eq!(like_escape("a%b_c\\d"), "a\\%b\\_c\\\\d");
        assert_eq!(like_escape("plain"), "plain");
    }

    #[test]
    fn prefix_bound_is_the_least_string_above_the_prefix() {
        assert_eq!(prefix_bound("Device.").as_deref(), Some("Device/"));
        assert_eq!(prefix_bound("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_bound("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_bound("\u{10FFFF}"), None);
        assert_eq!(prefix_bound(""), None);
    }

    /// Checked against SQLite itself: for seeded random names and prefixes, the range
    /// `[prefix, bound)` selects exactly the names that start with the prefix.
    #[test]
    fn prefix_range_selects_exactly_the_prefixed_names_in_sqlite() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t (name TEXT PRIMARY KEY)")
            .unwrap();
        let alphabet = [
            'a',
            'b',
            '.',
            '/',
            'é',
            '\u{10FFFF}',
            '\u{D7FF}',
            '\u{E000}',
        ];
        let mut x = 42_u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut names = Vec::new();
        for _ in 0..300 {
            let len = 1 + next() % 4;
            let s: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            c.execute("INSERT OR IGNORE INTO t (name) VALUES (?1)", [&s])
                .unwrap();
            names.push(s);
        }
        names.sort();
        names.dedup();
        for _ in 0..100 {
            let len = next() % 3;
            let prefix: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let got: Vec<String> = match prefix_bound(&prefix) {
                Some(hi) => {
                    let mut s = c
                        .prepare("SELECT name FROM t WHERE name >= ?1 AND name < ?2 ORDER BY name")
                        .unwrap();
                    s.query_map([&prefix, &hi], |r| r.get(0))
                        .unwrap()
                        .collect::<rusqlite::Result<_>>()
                        .unwrap()
                }
                None => {
                    let mut s = c
                        .prepare("SELECT name FROM t WHERE name >= ?1 ORDER BY name")
                        .unwrap();
                    s.query_map([&prefix], |r| r.get(0))
                        .unwrap()
                        .collect::<rusqlite::Result<_>>()
                        .unwrap()
                }
            };
            let want: Vec<String> = names
                .iter()
                .filter(|n| n.starts_with(&prefix))
                .cloned()
                .collect();
            assert_eq!(got, want, "prefix {prefix:?}");
        }
    }

    #[test]
    fn limits_default_and_cap() {
        assert_eq!(limit(0), 100);
        assert_eq!(limit(7), 7);
        assert_eq!(limit(1000), 1000);
        assert_eq!(limit(u32::MAX), 1000);
    }
}

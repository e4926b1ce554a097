//! Call quality as the console counts it across the fleet: which parameters tell that a
//! device made or took calls, and the quality of its recent calls read from its TR-104
//! call log (`VoiceService.{i}.CallLog.{i}`).
//!
//! The provisioning pass asks for passive notification of each line's call counters
//! (`CallControl.Line.{i}.Stats.IncomingCalls.CallsReceived`,
//! `OutgoingCalls.CallsAttempted`), so an Inform after calls carries them; such a session
//! then reads the call log once ([`crate::session`]) and keeps, per device, how many of its
//! calls of the last day fell in each quality band — summed over the fleet, the
//! distribution of recent calls, without keeping a row per call. The call log itself is
//! not cached.

use std::collections::BTreeMap;

/// Calls counted: those that started within this many seconds of the reading.
pub const RECENT_S: i64 = 86_400;

/// MOS-LQ bands (× 100), from ITU-T G.107's user satisfaction: good (≥ 4.00), fair
/// (3.60-3.99), poor (3.10-3.59), bad (below 3.10).
pub const MOS_BANDS: [u32; 3] = [400, 360, 310];
/// Mean jitter bands, milliseconds: under 10, 10-29, 30-49, 50 and more.
pub const JITTER_BANDS: [i64; 3] = [10, 30, 50];

/// A device's recent calls by quality band.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallQuality {
    /// Calls per MOS band: good, fair, poor, bad (calls without a quality figure are left
    /// out).
    pub mos: [u32; 4],
    /// Calls per mean-jitter band (calls that received no media are left out).
    pub jitter: [u32; 4],
}

/// Whether a parameter is one of a line's call counters (TR-104 issue 2, either root).
pub fn is_call_counter(name: &str) -> bool {
    let rest = name
        .strip_prefix("Device.")
        .or_else(|| name.strip_prefix("InternetGatewayDevice."));
    let Some(rest) = rest.and_then(|r| r.strip_prefix("Services.VoiceService.")) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('.').collect();
    let num = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    matches!(
        parts.as_slice(),
        [vs, "CallControl", "Line", l, "Stats", "IncomingCalls", "CallsReceived"]
            | [vs, "CallControl", "Line", l, "Stats", "OutgoingCalls", "CallsAttempted"]
            if num(vs) && num(l)
    )
}

/// The call log's path for a device whose parameters start with `root` (`Device.`).
pub fn call_log_path(root: &str) -> String {
    format!("{root}Services.VoiceService.1.CallLog.")
}

/// The quality of the calls in a call log (`(name, value)` pairs of a GetParameterValues
/// of the `CallLog.` object) that started at most [`RECENT_S`] before `now`.
pub fn quality<'a>(values: impl IntoIterator<Item = (&'a str, &'a str)>, now: i64) -> CallQuality {
    /// One call of the log: start, quality, mean jitter, packets received.
    type Call = (Option<i64>, Option<u32>, Option<i64>, u64);
    let mut calls: BTreeMap<&str, Call> = BTreeMap::new();
    for (name, value) in values {
        let Some((_, rest)) = name.split_once(".CallLog.") else {
            continue;
        };
        let Some((n, field)) = rest.split_once('.') else {
            continue;
        };
        let c = calls.entry(n).or_default();
        match field {
            "Start" => c.0 = tipring_cwmp::time::parse_date_time(value),
            "Session.1.Source.VoiceQuality.VoIPQualityIndicator" => {
                // A list, one value per interval: the last one is the call's end.
                c.1 = value.rsplit(',').next().and_then(|v| v.trim().parse().ok());
            }
            "Session.1.Source.RTP.MeanJitter" => c.2 = value.trim().parse().ok(),
            "Session.1.Source.RTP.PacketsReceived" => c.3 = value.trim().parse().unwrap_or(0),
            _ => {}
        }
    }
    let mut q = CallQuality::default();
    for (start, mos, jitter, received) in calls.into_values() {
        if !start.is_some_and(|s| s >= now - RECENT_S && s <= now + 300) {
            continue;
        }
        if let Some(m) = mos {
            let band = MOS_BANDS.iter().position(|&b| m >= b).unwrap_or(3);
            q.mos[band] += 1;
        }
        if let (Some(j), true) = (jitter, received > 0) {
            let band = JITTER_BANDS.iter().position(|&b| j < b).unwrap_or(3);
            q.jitter[band] += 1;
        }
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    const VS: &str = "Device.Services.VoiceService.1.";

    #[test]
    fn counters_of_both_directions_and_roots() {
        assert!(is_call_counter(&format!(
            "{VS}CallControl.Line.2.Stats.IncomingCalls.CallsReceived"
        )));
        assert!(is_call_counter(
            "InternetGatewayDevice.Services.VoiceService.1.CallControl.Line.1.Stats.OutgoingCalls.CallsAttempted"
        ));
        assert!(!is_call_counter(&format!(
            "{VS}CallControl.Line.2.Stats.IncomingCalls.CallsFailed"
        )));
        assert!(!is_call_counter(&format!(
            "{VS}CallControl.Line.x.Stats.IncomingCalls.CallsReceived"
        )));
    }

    #[test]
    fn recent_calls_fall_in_their_bands() {
        let now = tipring_cwmp::time::parse_date_time("2026-11-27T12:00:00Z").unwrap();
        let log = |n: u32, start: &str, mos: &str, jitter: i32, received: u64| {
            let p = format!("{VS}CallLog.{n}.");
            vec![
                (format!("{p}Start"), start.to_string()),
                (
                    format!("{p}Session.1.Source.VoiceQuality.VoIPQualityIndicator"),
                    mos.to_string(),
                ),
                (
                    format!("{p}Session.1.Source.RTP.MeanJitter"),
                    jitter.to_string(),
                ),
                (
                    format!("{p}Session.1.Source.RTP.PacketsReceived"),
                    received.to_string(),
                ),
            ]
        };
        let values: Vec<(String, String)> = [
            log(1, "2026-11-26T08:00:00Z", "420", 2, 900), // older than a day: left out
            log(2, "2026-11-27T09:00:00Z", "430", 3, 900),
            log(3, "2026-11-27T10:00:00Z", "380,350", 35, 900),
            log(4, "2026-11-27T11:00:00Z", "", 0, 0), // never answered: no figures
            log(5, "2026-11-27T11:30:00Z", "250", 80, 900),
        ]
        .concat();
        let q = quality(values.iter().map(|(n, v)| (n.as_str(), v.as_str())), now);
        assert_eq!(q.mos, [1, 0, 1, 1]);
        assert_eq!(q.jitter, [1, 0, 1, 1]);
    }
}

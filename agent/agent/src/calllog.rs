//! The call log the TR-069 tree shows (`VoiceService.1.CallLog.{i}`, TR-104 issue 2): the
//! last finished calls, built by watching the status snapshots the agent takes every
//! second.
//!
//! A call is followed from the first snapshot that shows it on its port to the first that
//! does not: its start (the answer: the snapshot's time less the call's duration), the
//! interarrival jitter of every snapshot (mean and maximum) and the lowest MOS-LQ seen;
//! when it ends, its final figures (the port's `last_call`) close the record. The last
//! [`CallHistory::KEEP`] records are kept, oldest first. A call shorter than a snapshot's
//! interval may go unseen.

use std::collections::VecDeque;

use tipring_datamodel::{CallDirection, CallRecord};
use tipring_status::{CallStatus, Direction, GatewayStatus};

/// A call seen in progress on a port.
#[derive(Debug, Clone)]
struct Open {
    /// When it was answered (Unix seconds), once a snapshot showed it answered.
    start: Option<i64>,
    /// When it was first seen (the start of a call never answered).
    seen: i64,
    jitter_sum: f64,
    jitter_max: f64,
    samples: u32,
    worst_mos: Option<f64>,
    last: CallStatus,
}

/// The finished calls, and the calls in progress being followed.
#[derive(Debug, Clone, Default)]
pub struct CallHistory {
    open: Vec<Option<Open>>,
    records: VecDeque<CallRecord>,
}

impl CallHistory {
    /// How many finished calls are kept.
    pub const KEEP: usize = 16;

    /// Look at a snapshot taken at `unix` (seconds): follow the calls in progress, close
    /// the ones that ended.
    pub fn observe(&mut self, status: &GatewayStatus, unix: i64) {
        if self.open.len() < status.ports.len() {
            self.open.resize(status.ports.len(), None);
        }
        for (i, p) in status.ports.iter().enumerate() {
            match (&p.call, self.open[i].take()) {
                (Some(c), open) => {
                    let mut o = open.unwrap_or(Open {
                        start: None,
                        seen: unix,
                        jitter_sum: 0.0,
                        jitter_max: 0.0,
                        samples: 0,
                        worst_mos: None,
                        last: c.clone(),
                    });
                    if o.start.is_none() && c.duration_s > 0 {
                        o.start = Some(unix - c.duration_s as i64);
                    }
                    if c.packets_received > 0 {
                        o.jitter_sum += c.jitter_ms;
                        o.jitter_max = o.jitter_max.max(c.jitter_ms);
                        o.samples += 1;
                    }
                    if let Some(m) = c.mos_lq {
                        o.worst_mos = Some(o.worst_mos.map_or(m, |w| w.min(m)));
                    }
                    o.last = c.clone();
                    self.open[i] = Some(o);
                }
                (None, Some(o)) => {
                    let end = p.last_call.clone().unwrap_or_else(|| o.last.clone());
                    self.close(&p.extension, p.port, o, &end);
                }
                (None, None) => {}
            }
        }
    }

    fn close(&mut self, extension: &str, port: u32, o: Open, end: &CallStatus) {
        let (calling, called) = match end.direction {
            Direction::Outgoing => (extension.to_string(), end.remote_number.clone()),
            Direction::Incoming => (end.remote_number.clone(), extension.to_string()),
        };
        let mos = |m: f64| (m * 100.0).round().clamp(0.0, 65_535.0) as u32;
        let mean = if o.samples > 0 {
            o.jitter_sum / f64::from(o.samples)
        } else {
            end.jitter_ms
        };
        let record = CallRecord {
            calling,
            called,
            line: port,
            direction: match end.direction {
                Direction::Outgoing => CallDirection::Outgoing,
                Direction::Incoming => CallDirection::Incoming,
            },
            start: tipring_cwmp::time::format_date_time(o.start.unwrap_or(o.seen)),
            duration_s: u32::try_from(end.duration_s).unwrap_or(u32::MAX),
            packets_received: end.packets_received,
            packets_sent: end.packets_sent,
            packets_lost: u32::try_from(end.packets_lost).unwrap_or(u32::MAX),
            mean_jitter_ms: mean.round() as i32,
            max_jitter_ms: o.jitter_max.max(end.jitter_ms).round() as i32,
            mos_x100: end.mos_lq.map(mos),
            worst_mos_x100: match (o.worst_mos, end.mos_lq) {
                (Some(w), Some(e)) => Some(mos(w.min(e))),
                (w, e) => w.or(e).map(mos),
            },
        };
        self.records.push_back(record);
        while self.records.len() > Self::KEEP {
            self.records.pop_front();
        }
    }

    /// The finished calls, oldest first.
    pub fn records(&self) -> Vec<CallRecord> {
        self.records.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tipring_status::PortStatus;

    fn status(calls: &[Option<CallStatus>], last: &[Option<CallStatus>]) -> GatewayStatus {
        GatewayStatus {
            ports: calls
                .iter()
                .zip(last)
                .enumerate()
                .map(|(i, (c, l))| PortStatus {
                    port: i as u32 + 1,
                    extension: format!("20{}", i + 1),
                    call: c.clone(),
                    last_call: l.clone(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn call(duration_s: u64, jitter_ms: f64, mos: Option<f64>) -> CallStatus {
        CallStatus {
            direction: Direction::Outgoing,
            remote_number: "202".into(),
            duration_s,
            packets_received: duration_s * 50,
            packets_sent: duration_s * 50,
            jitter_ms,
            mos_lq: mos,
            ..Default::default()
        }
    }

    #[test]
    fn a_call_is_recorded_when_it_ends_with_its_worst_and_final_quality() {
        let mut h = CallHistory::default();
        h.observe(
            &status(&[Some(call(0, 0.0, None)), None], &[None, None]),
            1000,
        );
        h.observe(
            &status(&[Some(call(2, 4.0, Some(4.2))), None], &[None, None]),
            1002,
        );
        h.observe(
            &status(&[Some(call(3, 8.0, Some(3.9))), None], &[None, None]),
            1003,
        );
        assert!(h.records().is_empty(), "still in progress");
        let end = call(4, 2.0, Some(4.1));
        h.observe(&status(&[None, None], &[Some(end), None]), 1004);
        let r = &h.records()[0];
        assert_eq!(
            (r.calling.as_str(), r.called.as_str(), r.line),
            ("201", "202", 1)
        );
        assert_eq!(r.direction, CallDirection::Outgoing);
        assert_eq!(r.start, tipring_cwmp::time::format_date_time(1000));
        assert_eq!(r.duration_s, 4);
        assert_eq!((r.mean_jitter_ms, r.max_jitter_ms), (6, 8));
        assert_eq!((r.mos_x100, r.worst_mos_x100), (Some(410), Some(390)));
        assert_eq!(r.packets_received, 200);
    }

    #[test]
    fn the_last_sixteen_are_kept_oldest_first() {
        let mut h = CallHistory::default();
        for n in 0..20 {
            let t = 1000 + n * 10;
            h.observe(&status(&[Some(call(1, 1.0, Some(4.0)))], &[None]), t);
            let mut end = call(u64::try_from(n).unwrap() + 1, 1.0, None);
            end.direction = Direction::Incoming;
            h.observe(&status(&[None], &[Some(end)]), t + 1);
        }
        let r = h.records();
        assert_eq!(r.len(), CallHistory::KEEP);
        assert_eq!(r[0].duration_s, 5);
        assert_eq!(r[15].duration_s, 20);
        assert_eq!(
            (r[0].calling.as_str(), r[0].called.as_str()),
            ("202", "201")
        );
        assert_eq!(r[0].mos_x100, None, "no final figure");
        assert_eq!(r[0].worst_mos_x100, Some(400));
    }
}

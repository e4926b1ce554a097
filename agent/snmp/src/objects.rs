//! The engine's own MIB objects, merged with the caller's [`Mib`] in GetNext order:
//! SNMPv2-MIB `snmp` group and `snmpSetSerialNo` (RFC 3418), SNMP-FRAMEWORK-MIB
//! `snmpEngine` (RFC 3411), SNMP-MPD-MIB `snmpMPDStats` (RFC 3412), SNMP-TARGET-MIB
//! context counters (RFC 3413) and SNMP-USM-MIB `usmStats` (RFC 3414).

use std::time::Instant;

use crate::engine::Engine;
use crate::oid::{Oid, MAX_OID_LEN};
use crate::value::{Lookup, Mib, Value};

/// Subtrees the engine answers; whatever the caller's Mib has under them is hidden.
pub(crate) const ENGINE_SUBTREES: &[&[u32]] = &[
    &[1, 3, 6, 1, 2, 1, 11],
    &[1, 3, 6, 1, 6, 3, 1, 1, 6],
    &[1, 3, 6, 1, 6, 3, 10, 2, 1],
    &[1, 3, 6, 1, 6, 3, 11, 2, 1],
    &[1, 3, 6, 1, 6, 3, 12, 1, 4],
    &[1, 3, 6, 1, 6, 3, 12, 1, 5],
    &[1, 3, 6, 1, 6, 3, 15, 1, 1],
];

/// snmpSetSerialNo.0
pub(crate) const SNMP_SET_SERIAL_NO: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 6, 1, 0];

type Getter = fn(&Engine, Instant) -> Value;

/// Scalar instances (each `object.0`), sorted.
const OBJECTS: &[(&[u32], Getter)] = &[
    (&[1, 3, 6, 1, 2, 1, 11, 1, 0], |e, _| {
        Value::Counter32(e.counters.snmp_in_pkts)
    }),
    (&[1, 3, 6, 1, 2, 1, 11, 3, 0], |e, _| {
        Value::Counter32(e.counters.snmp_in_bad_versions)
    }),
    (&[1, 3, 6, 1, 2, 1, 11, 4, 0], |e, _| {
        Value::Counter32(e.counters.snmp_in_bad_community_names)
    }),
    (&[1, 3, 6, 1, 2, 1, 11, 5, 0], |e, _| {
        Value::Counter32(e.counters.snmp_in_bad_community_uses)
    }),
    (&[1, 3, 6, 1, 2, 1, 11, 6, 0], |e, _| {
        Value::Counter32(e.counters.snmp_in_asn_parse_errs)
    }),
    (&[1, 3, 6, 1, 2, 1, 11, 30, 0], |e, _| {
        Value::Integer(if e.cfg.authentication_traps { 1 } else { 2 })
    }),
    (&[1, 3, 6, 1, 2, 1, 11, 31, 0], |e, _| {
        Value::Counter32(e.counters.snmp_silent_drops)
    }),
    (&[1, 3, 6, 1, 2, 1, 11, 32, 0], |e, _| {
        Value::Counter32(e.counters.snmp_proxy_drops)
    }),
    (&[1, 3, 6, 1, 6, 3, 1, 1, 6, 1, 0], |e, _| {
        Value::Integer(e.set_serial)
    }),
    (&[1, 3, 6, 1, 6, 3, 10, 2, 1, 1, 0], |e, _| {
        Value::OctetString(e.cfg.engine_id.clone())
    }),
    (&[1, 3, 6, 1, 6, 3, 10, 2, 1, 2, 0], |e, _| {
        Value::Integer(e.boots as i32)
    }),
    (&[1, 3, 6, 1, 6, 3, 10, 2, 1, 3, 0], |e, now| {
        Value::Integer(e.engine_time(now) as i32)
    }),
    (&[1, 3, 6, 1, 6, 3, 10, 2, 1, 4, 0], |e, _| {
        Value::Integer(e.cfg.max_message_size as i32)
    }),
    (&[1, 3, 6, 1, 6, 3, 11, 2, 1, 1, 0], |e, _| {
        Value::Counter32(e.counters.snmp_unknown_security_models)
    }),
    (&[1, 3, 6, 1, 6, 3, 11, 2, 1, 2, 0], |e, _| {
        Value::Counter32(e.counters.snmp_invalid_msgs)
    }),
    (&[1, 3, 6, 1, 6, 3, 11, 2, 1, 3, 0], |e, _| {
        Value::Counter32(e.counters.snmp_unknown_pdu_handlers)
    }),
    (&[1, 3, 6, 1, 6, 3, 12, 1, 4, 0], |e, _| {
        Value::Counter32(e.counters.snmp_unavailable_contexts)
    }),
    (&[1, 3, 6, 1, 6, 3, 12, 1, 5, 0], |e, _| {
        Value::Counter32(e.counters.snmp_unknown_contexts)
    }),
    (&[1, 3, 6, 1, 6, 3, 15, 1, 1, 1, 0], |e, _| {
        Value::Counter32(e.counters.usm_unsupported_sec_levels)
    }),
    (&[1, 3, 6, 1, 6, 3, 15, 1, 1, 2, 0], |e, _| {
        Value::Counter32(e.counters.usm_not_in_time_windows)
    }),
    (&[1, 3, 6, 1, 6, 3, 15, 1, 1, 3, 0], |e, _| {
        Value::Counter32(e.counters.usm_unknown_user_names)
    }),
    (&[1, 3, 6, 1, 6, 3, 15, 1, 1, 4, 0], |e, _| {
        Value::Counter32(e.counters.usm_unknown_engine_ids)
    }),
    (&[1, 3, 6, 1, 6, 3, 15, 1, 1, 5, 0], |e, _| {
        Value::Counter32(e.counters.usm_wrong_digests)
    }),
    (&[1, 3, 6, 1, 6, 3, 15, 1, 1, 6, 0], |e, _| {
        Value::Counter32(e.counters.usm_decryption_errors)
    }),
];

pub(crate) fn engine_subtree(oid: &[u32]) -> Option<&'static [u32]> {
    ENGINE_SUBTREES.iter().copied().find(|p| oid.starts_with(p))
}

/// `prefix` followed by 2^32-1 up to the OID length limit: larger than every OID under
/// `prefix` that a message can carry.
pub(crate) fn past_subtree(prefix: &[u32]) -> Vec<u32> {
    let mut v = prefix.to_vec();
    v.resize(MAX_OID_LEN.max(prefix.len()), u32::MAX);
    v
}

/// Result of a step of a walk.
pub(crate) enum Step {
    Found(Oid, Value),
    End,
    /// The walk looked at too many objects not in the view.
    Exhausted,
}

/// How many objects one request may look at while skipping what is not in its view.
pub(crate) const WALK_BUDGET: u32 = 20_000;

impl Engine {
    fn own_get(&self, oid: &[u32], now: Instant) -> Lookup {
        match OBJECTS.binary_search_by(|(o, _)| (*o).cmp(oid)) {
            Ok(i) => Lookup::Value((OBJECTS[i].1)(self, now)),
            Err(_) => {
                // object.x with x != 0: the object exists, the instance does not.
                let parent = &oid[..oid.len().saturating_sub(1)];
                if OBJECTS.iter().any(|(o, _)| &o[..o.len() - 1] == parent) {
                    Lookup::NoSuchInstance
                } else {
                    Lookup::NoSuchObject
                }
            }
        }
    }

    /// Index of the first own object strictly after `oid`.
    fn own_next(oid: &[u32]) -> Option<usize> {
        let i = OBJECTS.partition_point(|(o, _)| *o <= oid);
        (i < OBJECTS.len()).then_some(i)
    }

    /// Get through both trees.
    pub(crate) fn combined_get<M: Mib + ?Sized>(
        &self,
        oid: &[u32],
        mib: &M,
        now: Instant,
    ) -> Lookup {
        if engine_subtree(oid).is_some() {
            self.own_get(oid, now)
        } else {
            mib.get(oid)
        }
    }

    /// The first object strictly after `oid` in both trees.
    pub(crate) fn combined_next<M: Mib + ?Sized>(
        &self,
        oid: &[u32],
        mib: &M,
        now: Instant,
    ) -> Option<(Oid, Value)> {
        let own = Self::own_next(oid);
        let mut from: Option<Vec<u32>> = None;
        let theirs = loop {
            let cur = from.as_deref().unwrap_or(oid);
            match mib.next(cur) {
                None => break None,
                // A Mib that does not move forward: treat as its end.
                Some((o, _)) if o.as_slice() <= cur => break None,
                Some((o, v)) => match engine_subtree(o.as_slice()) {
                    // Hidden by the engine's own objects: jump past the subtree.
                    Some(p) => from = Some(past_subtree(p)),
                    None => break Some((o, v)),
                },
            }
        };
        // The engine's value is computed only when its object comes first.
        let own_value = |i: usize| (Oid::from_slice(OBJECTS[i].0), (OBJECTS[i].1)(self, now));
        match (own, theirs) {
            (Some(i), Some(b)) if OBJECTS[i].0 < b.0.as_slice() => Some(own_value(i)),
            (_, Some(b)) => Some(b),
            (Some(i), None) => Some(own_value(i)),
            (None, None) => None,
        }
    }

    /// The first object at or after `oid`.
    fn combined_at_or_after<M: Mib + ?Sized>(
        &self,
        oid: &[u32],
        mib: &M,
        now: Instant,
    ) -> Option<(Oid, Value)> {
        match self.combined_get(oid, mib, now) {
            Lookup::Value(v) => Some((Oid::from_slice(oid), v)),
            _ => self.combined_next(oid, mib, now),
        }
    }

    /// GetNext within a view (RFC 3416 §4.2.2 with RFC 3415 §3.2): skips objects outside
    /// the view, jumping over excluded subtrees; for SNMPv1 also skips Counter64 values
    /// (RFC 3584 §4.2.2.1).
    pub(crate) fn next_in_view<M: Mib + ?Sized>(
        &self,
        view: usize,
        start: &[u32],
        mib: &M,
        now: Instant,
        v1: bool,
        budget: &mut u32,
    ) -> Step {
        use crate::vacm::Skip;
        let view = &self.views[view];
        let mut cur: Vec<u32> = start.to_vec();
        let mut inclusive = false;
        loop {
            if *budget == 0 {
                return Step::Exhausted;
            }
            *budget -= 1;
            let found = if inclusive {
                self.combined_at_or_after(&cur, mib, now)
            } else {
                self.combined_next(&cur, mib, now)
            };
            let Some((o, v)) = found else {
                return Step::End;
            };
            if o.as_slice() <= cur.as_slice() && !inclusive {
                // A Mib that does not move forward would loop forever: treat as the end.
                return Step::End;
            }
            if !view.contains(o.as_slice()) {
                match view.skip(o.as_slice()) {
                    Skip::Step => {
                        cur.clear();
                        cur.extend_from_slice(o.as_slice());
                        inclusive = false;
                    }
                    Skip::AtOrAfter(j) => {
                        cur = j;
                        inclusive = true;
                    }
                    Skip::AfterSubtree(s) => {
                        cur = past_subtree(&s);
                        inclusive = false;
                    }
                    Skip::End => return Step::End,
                }
                continue;
            }
            if v1 && matches!(v, Value::Counter64(_)) {
                cur.clear();
                cur.extend_from_slice(o.as_slice());
                inclusive = false;
                continue;
            }
            return Step::Found(o, v);
        }
    }
}

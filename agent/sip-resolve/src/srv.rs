//! RFC 2782 target selection: lowest priority first, weighted random order within a
//! priority.

use tipring_sip::rng::Rng;

use crate::dns::Srv;

/// Puts `records` in the order a client contacts them (RFC 2782, "Usage rules"): by
/// ascending priority; within one priority, repeatedly pick a record at random with
/// probability proportional to its weight (records of weight 0 first in the running-sum
/// list, so they are picked only when the random number is 0, or when nothing else is
/// left; records of equal standing in random order).
pub(crate) fn order(records: &[Srv], rng: &mut Rng) -> Vec<Srv> {
    let mut sorted = records.to_vec();
    sorted.sort_by_key(|s| s.priority); // the order within a priority is drawn below
    let mut out = Vec::with_capacity(sorted.len());
    let mut rest = sorted.as_slice();
    while let Some(first) = rest.first() {
        let same = rest
            .iter()
            .take_while(|s| s.priority == first.priority)
            .count();
        let (group, tail) = rest.split_at(same);
        rest = tail;
        // "arrange all SRV RRs (that have not been ordered yet) in any order, except
        // that all those with weight 0 are placed at the beginning of the list": we
        // arrange them at random (Fisher-Yates), so that when every weight is 0 — "no
        // server selection to do" — the load still spreads over the targets.
        let mut shuffled: Vec<&Srv> = group.iter().collect();
        for i in (1..shuffled.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            shuffled.swap(i, j);
        }
        let mut group: Vec<&Srv> = shuffled
            .iter()
            .copied()
            .filter(|s| s.weight == 0)
            .chain(shuffled.iter().copied().filter(|s| s.weight != 0))
            .collect();
        while !group.is_empty() {
            let total: u64 = group.iter().map(|s| u64::from(s.weight)).sum();
            // "choose a uniform random number between 0 and the sum computed (inclusive)"
            let pick = rng.next_u64() % (total + 1);
            let mut running = 0u64;
            let idx = group
                .iter()
                .position(|s| {
                    running += u64::from(s.weight);
                    running >= pick
                })
                .unwrap_or(group.len() - 1);
            out.push(group.remove(idx).clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::Name;

    fn srv(priority: u16, weight: u16, target: &str) -> Srv {
        Srv {
            priority,
            weight,
            port: 5060,
            target: Name::from_ascii(target).unwrap(),
        }
    }

    fn targets(v: &[Srv]) -> Vec<String> {
        v.iter().map(|s| s.target.to_string()).collect()
    }

    // RFC 2782: "A client MUST attempt to contact the target host with the lowest-numbered
    // priority it can reach".
    #[test]
    fn lower_priority_first() {
        let mut rng = Rng::from_seed([3; 32]);
        let recs = [
            srv(20, 5, "c"),
            srv(10, 5, "a"),
            srv(30, 0, "d"),
            srv(10, 5, "b"),
        ];
        for _ in 0..50 {
            let o = order(&recs, &mut rng);
            let t = targets(&o);
            assert_eq!(o.len(), 4);
            assert!(t[..2].contains(&"a".to_string()) && t[..2].contains(&"b".to_string()));
            assert_eq!(t[2..], ["c", "d"]);
        }
    }

    // RFC 2782: "domain administrators SHOULD use Weight 0 when there isn't any server
    // selection to do" and larger weights "a proportionately higher probability of being
    // selected". With weights 60/30/10, the first pick follows those shares; a weight-0
    // record among weighted ones comes first only when the random number is 0.
    #[test]
    fn weights_set_the_first_pick_frequencies() {
        let mut rng = Rng::from_seed([9; 32]);
        let recs = [
            srv(1, 60, "a"),
            srv(1, 30, "b"),
            srv(1, 10, "c"),
            srv(1, 0, "z"),
        ];
        let mut first = std::collections::HashMap::new();
        let n = 10_000;
        for _ in 0..n {
            let o = order(&recs, &mut rng);
            assert_eq!(o.len(), 4);
            *first.entry(o[0].target.to_string()).or_insert(0u32) += 1;
        }
        let share = |t: &str| f64::from(*first.get(t).unwrap_or(&0)) / f64::from(n);
        assert!((share("a") - 0.60).abs() < 0.03, "a {}", share("a"));
        assert!((share("b") - 0.30).abs() < 0.03, "b {}", share("b"));
        assert!((share("c") - 0.10).abs() < 0.02, "c {}", share("c"));
        // 1 chance in 101 per ordering.
        assert!(share("z") < 0.02, "z {}", share("z"));
    }

    // RFC 2782: all weights 0 — the records are arranged "in any order" (ours: at random),
    // so every target comes first sometimes; each record appears once.
    #[test]
    fn all_zero_weights_still_order_everything() {
        let mut rng = Rng::from_seed([5; 32]);
        let recs = [srv(1, 0, "a"), srv(1, 0, "b"), srv(1, 0, "c")];
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let mut t = targets(&order(&recs, &mut rng));
            seen.insert(t.clone());
            t.sort();
            assert_eq!(t, ["a", "b", "c"]);
        }
        assert_eq!(seen.len(), 6, "orders seen: {seen:?}");
    }

    #[test]
    fn same_seed_same_order() {
        let recs: Vec<_> = (0..8).map(|i| srv(1, 10, &format!("h{i}"))).collect();
        let a = order(&recs, &mut Rng::from_seed([1; 32]));
        let b = order(&recs, &mut Rng::from_seed([1; 32]));
        let c = order(&recs, &mut Rng::from_seed([2; 32]));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}

//! View-based Access Control (RFC 3415): compiled views and access resolution.

use crate::config::{Access, EngineConfig, GroupMember, SecurityModel, View};
use crate::usm::SecurityLevel;

#[derive(Debug, Clone)]
struct Family {
    subtree: Vec<u32>,
    /// Per sub-identifier of `subtree`: must it match? (false = wildcard)
    exact: Vec<bool>,
    wildcard: bool,
    included: bool,
}

impl Family {
    fn matches(&self, oid: &[u32]) -> bool {
        oid.len() >= self.subtree.len()
            && self
                .subtree
                .iter()
                .zip(&self.exact)
                .zip(oid)
                .all(|((s, e), o)| !e || s == o)
    }
}

/// Where a walk may continue after an OID that is not in the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Skip {
    /// Nothing known: look at the next object.
    Step,
    /// Nothing in the view before this OID: continue at the first object at or after it.
    AtOrAfter(Vec<u32>),
    /// Nothing in the view under this subtree: continue after all of it.
    AfterSubtree(Vec<u32>),
    /// Nothing in the view after this OID.
    End,
}

/// A view ready for lookups.
#[derive(Debug, Clone)]
pub(crate) struct CompiledView {
    families: Vec<Family>,
    /// No family has a wildcard: every family covers one contiguous range of OIDs, so a
    /// walk can jump over excluded ranges.
    contiguous: bool,
    /// Starts of the included families, sorted.
    included_starts: Vec<Vec<u32>>,
}

impl CompiledView {
    pub(crate) fn compile(v: &View) -> Self {
        let families: Vec<Family> = v
            .families
            .iter()
            .map(|f| {
                let sub = f.subtree.as_slice().to_vec();
                // RFC 3415 vacmViewTreeFamilyMask: bit i (MSB first) for sub-identifier i;
                // bits beyond the mask are 1.
                let exact: Vec<bool> = (0..sub.len())
                    .map(|i| match f.mask.get(i / 8) {
                        Some(b) => b & (0x80 >> (i % 8)) != 0,
                        None => true,
                    })
                    .collect();
                Family {
                    wildcard: exact.iter().any(|e| !e),
                    subtree: sub,
                    exact,
                    included: f.included,
                }
            })
            .collect();
        let contiguous = families.iter().all(|f| !f.wildcard);
        let mut included_starts: Vec<Vec<u32>> = families
            .iter()
            .filter(|f| f.included)
            .map(|f| f.subtree.clone())
            .collect();
        included_starts.sort();
        CompiledView {
            families,
            contiguous,
            included_starts,
        }
    }

    /// The family that decides for `oid`: the matching one with the longest subtree, the
    /// lexicographically larger on a tie (RFC 3415 §5 vacmViewTreeFamilyTable).
    fn decide(&self, oid: &[u32]) -> Option<&Family> {
        let mut best: Option<&Family> = None;
        for f in &self.families {
            if f.matches(oid) {
                best = match best {
                    Some(b)
                        if b.subtree.len() > f.subtree.len()
                            || (b.subtree.len() == f.subtree.len() && b.subtree >= f.subtree) =>
                    {
                        Some(b)
                    }
                    _ => Some(f),
                };
            }
        }
        best
    }

    /// Whether `oid` is in the view (RFC 3415 §3.2 step 5/6: included by the deciding
    /// family).
    pub(crate) fn contains(&self, oid: &[u32]) -> bool {
        self.decide(oid).is_some_and(|f| f.included)
    }

    /// For an `oid` that is not in the view: how far a GetNext walk may jump.
    pub(crate) fn skip(&self, oid: &[u32]) -> Skip {
        if !self.contiguous {
            return Skip::Step;
        }
        // First included family that starts after `oid`.
        let next_start = self
            .included_starts
            .iter()
            .find(|s| s.as_slice() > oid)
            .cloned();
        match self.decide(oid) {
            Some(f) if !f.included => match next_start {
                // An included family inside the excluded subtree comes first.
                Some(s) if s.starts_with(&f.subtree) => Skip::AtOrAfter(s),
                _ => Skip::AfterSubtree(f.subtree.clone()),
            },
            Some(_) => Skip::Step,
            None => match next_start {
                Some(s) => Skip::AtOrAfter(s),
                None => Skip::End,
            },
        }
    }
}

/// The views a request may use (indices into the engine's compiled views).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Authz {
    pub(crate) read: Option<usize>,
    pub(crate) write: Option<usize>,
    pub(crate) notify: Option<usize>,
}

/// RFC 3415 §3.2 steps 2-4 for the default context: group of (model, name), then the
/// best access entry (a specific model beats `any`, then the higher level) whose level is
/// at most `level`. None: noGroupName / noAccessEntry.
pub(crate) fn resolve(
    cfg: &EngineConfig,
    view_index: &dyn Fn(&str) -> Option<usize>,
    model: SecurityModel,
    name: &str,
    level: SecurityLevel,
) -> Option<Authz> {
    let group = cfg
        .groups
        .iter()
        .find(|g: &&GroupMember| g.security_model == model && g.security_name == name)?;
    let best: Option<&Access> = cfg
        .access
        .iter()
        .filter(|a| a.group == group.group)
        .filter(|a| a.security_model.is_none_or(|m| m == model))
        .filter(|a| a.level <= level)
        .max_by_key(|a| (a.security_model.is_some(), a.level));
    let a = best?;
    let idx = |v: &Option<String>| v.as_deref().and_then(view_index);
    Some(Authz {
        read: idx(&a.read_view),
        write: idx(&a.write_view),
        notify: idx(&a.notify_view),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oid::Oid;

    #[test]
    fn longest_match_wins_rfc3415_section5() {
        let v = CompiledView::compile(
            &View::new("v")
                .include(Oid::from([1, 3, 6, 1]))
                .exclude(Oid::from([1, 3, 6, 1, 6, 3, 15]))
                .include(Oid::from([1, 3, 6, 1, 6, 3, 15, 1, 1])),
        );
        assert!(v.contains(&[1, 3, 6, 1, 2, 1, 1, 1, 0]));
        assert!(!v.contains(&[1, 3, 6, 1, 6, 3, 15, 1, 2, 2, 1]));
        assert!(v.contains(&[1, 3, 6, 1, 6, 3, 15, 1, 1, 1, 0]));
        assert!(!v.contains(&[1, 3, 6]));
        assert!(!v.contains(&[2, 1]));
    }

    #[test]
    fn masks_make_wildcards() {
        // RFC 3415 §5 example shape: ifEntry columns for ifIndex 7 only — subtree
        // 1.3.6.1.2.1.2.2.1.X.7 with the column position wildcarded (mask 0xFF 0xA0:
        // bits 1-8 and 9 set, bit 10 (the column) clear, bit 11 set).
        let mut sub = vec![1, 3, 6, 1, 2, 1, 2, 2, 1, 0, 7];
        let v = CompiledView::compile(&View::new("v").family(
            Oid::from_slice(&sub),
            vec![0xff, 0xa0],
            true,
        ));
        sub[9] = 2;
        assert!(v.contains(&sub));
        sub[9] = 10;
        assert!(v.contains(&sub));
        sub[10] = 8;
        assert!(!v.contains(&sub));
        // A view with a wildcard cannot jump.
        assert_eq!(v.skip(&[1, 3, 6, 1, 2, 1, 1]), Skip::Step);
    }

    #[test]
    fn skip_jumps_over_excluded_ranges() {
        let v = CompiledView::compile(
            &View::new("v")
                .include(Oid::from([1, 3, 6, 1, 2, 1]))
                .exclude(Oid::from([1, 3, 6, 1, 2, 1, 2]))
                .include(Oid::from([1, 3, 6, 1, 2, 1, 2, 2, 1, 2]))
                .include(Oid::from([1, 3, 6, 1, 6, 3])),
        );
        // Inside the excluded ifTable: jump to the included ifDescr column.
        assert_eq!(
            v.skip(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 5]),
            Skip::AtOrAfter(vec![1, 3, 6, 1, 2, 1, 2, 2, 1, 2])
        );
        // Past it: skip the rest of the excluded subtree.
        assert_eq!(
            v.skip(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 3, 1]),
            Skip::AfterSubtree(vec![1, 3, 6, 1, 2, 1, 2])
        );
        // Outside every family: the next included start, or the end.
        assert_eq!(
            v.skip(&[1, 3, 6, 1, 4, 1]),
            Skip::AtOrAfter(vec![1, 3, 6, 1, 6, 3])
        );
        assert_eq!(v.skip(&[1, 3, 6, 1, 7]), Skip::End);
    }

    #[test]
    fn access_selection_prefers_specific_model_then_level() {
        let mut cfg = EngineConfig::new(vec![0x80, 0, 0, 0, 1]);
        cfg.add_view(View::everything("all"));
        cfg.add_view(View::new("small").include(Oid::from([1, 3, 6, 1, 2, 1, 1])));
        cfg.groups.push(GroupMember {
            security_model: SecurityModel::Usm,
            security_name: "alice".into(),
            group: "ops".into(),
        });
        let entry = |model, level, view: &str| Access {
            group: "ops".into(),
            security_model: model,
            level,
            read_view: Some(view.into()),
            write_view: None,
            notify_view: None,
        };
        cfg.access
            .push(entry(None, SecurityLevel::NoAuthNoPriv, "small"));
        cfg.access.push(entry(
            Some(SecurityModel::Usm),
            SecurityLevel::AuthPriv,
            "all",
        ));
        let idx = |n: &str| cfg.views.iter().position(|v| v.name == n);
        let r = |lvl| resolve(&cfg, &idx, SecurityModel::Usm, "alice", lvl);
        assert_eq!(r(SecurityLevel::AuthPriv).unwrap().read, Some(0));
        assert_eq!(r(SecurityLevel::AuthNoPriv).unwrap().read, Some(1));
        assert_eq!(
            resolve(
                &cfg,
                &idx,
                SecurityModel::Usm,
                "bob",
                SecurityLevel::AuthPriv
            ),
            None
        );
        assert_eq!(
            resolve(
                &cfg,
                &idx,
                SecurityModel::V2c,
                "alice",
                SecurityLevel::AuthPriv
            ),
            None
        );
    }
}

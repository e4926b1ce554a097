//! A MIB made of regions — groups of scalars and tables with one integer index — each
//! object a function of the current state, so the MIB is a view, not a copy: a request
//! reads the status snapshot and the configuration as they are now.

use tipring_snmp::{Lookup, Oid, Value};

/// A scalar: its value now, or `None` when it has none (skipped by a walk).
pub type Scalar<S> = fn(&S) -> Option<Value>;
/// A table cell: the value of a column at a row index.
pub type Cell<S> = fn(&S, u32) -> Option<Value>;
/// A table's row indexes now, ascending.
pub type Rows<S> = fn(&S) -> Vec<u32>;

/// One group of objects under a prefix.
pub enum Region<S> {
    /// A scalar object: its one instance is `prefix.0`.
    Scalar(Scalar<S>),
    /// A conceptual table: `prefix` is the entry, objects are `prefix.COLUMN.INDEX`;
    /// columns ascending.
    Table {
        /// The columns.
        columns: Vec<(u32, Cell<S>)>,
        /// The row indexes.
        rows: Rows<S>,
    },
}

/// The regions of a MIB, in OID order.
pub struct Tree<S> {
    regions: Vec<(Vec<u32>, Region<S>)>,
}

impl<S> std::fmt::Debug for Tree<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tree")
            .field("regions", &self.regions.len())
            .finish()
    }
}

impl<S> Default for Tree<S> {
    fn default() -> Self {
        Self {
            regions: Vec::new(),
        }
    }
}

impl<S> Tree<S> {
    /// Add a scalar by its instance OID (`….0`).
    pub fn scalar(&mut self, instance: &[u32], f: Scalar<S>) -> &mut Self {
        let object = instance
            .strip_suffix(&[0])
            .expect("a scalar instance ends in .0");
        self.add(object, Region::Scalar(f))
    }

    /// Add a table whose entry is `entry`.
    pub fn table(
        &mut self,
        entry: &[u32],
        mut columns: Vec<(u32, Cell<S>)>,
        rows: Rows<S>,
    ) -> &mut Self {
        columns.sort_by_key(|(n, _)| *n);
        self.add(entry, Region::Table { columns, rows })
    }

    fn add(&mut self, prefix: &[u32], r: Region<S>) -> &mut Self {
        debug_assert!(
            !self
                .regions
                .iter()
                .any(|(p, _)| p.starts_with(prefix) || prefix.starts_with(p)),
            "regions must not overlap"
        );
        self.regions.push((prefix.to_vec(), r));
        self.regions.sort_by(|a, b| a.0.cmp(&b.0));
        self
    }

    /// The object at exactly `oid`.
    pub fn get(&self, s: &S, oid: &[u32]) -> Lookup {
        let Some((prefix, region)) = self.regions.iter().find(|(p, _)| oid.starts_with(p)) else {
            return Lookup::NoSuchObject;
        };
        let rest = &oid[prefix.len()..];
        match region {
            Region::Scalar(f) => match (rest, f(s)) {
                ([0], Some(v)) => Lookup::Value(v),
                _ => Lookup::NoSuchInstance,
            },
            Region::Table { columns, rows } => match rest {
                [c, tail @ ..] => match columns.iter().find(|(m, _)| m == c) {
                    None => Lookup::NoSuchObject,
                    Some((_, f)) => match tail {
                        [i] if rows(s).contains(i) => match f(s, *i) {
                            Some(v) => Lookup::Value(v),
                            None => Lookup::NoSuchInstance,
                        },
                        _ => Lookup::NoSuchInstance,
                    },
                },
                [] => Lookup::NoSuchObject,
            },
        }
    }

    /// The first object after `oid`.
    pub fn next(&self, s: &S, oid: &[u32]) -> Option<(Oid, Value)> {
        for (prefix, region) in &self.regions {
            // A region wholly before `oid`: skip.
            if prefix.as_slice() < oid && !oid.starts_with(prefix) {
                continue;
            }
            // Where in the region the walk resumes: after `rest` (empty: from its start).
            let rest: &[u32] = if oid.starts_with(prefix) {
                &oid[prefix.len()..]
            } else {
                &[]
            };
            let found = match region {
                Region::Scalar(f) => {
                    if [0u32].as_slice() > rest {
                        f(s).map(|v| (vec![0], v))
                    } else {
                        None
                    }
                }
                Region::Table { columns, rows } => {
                    let rows = rows(s);
                    columns.iter().find_map(|(c, f)| {
                        let after = match rest {
                            [] => None,
                            [rc, ..] if rc < c => None,
                            [rc] if rc == c => None,
                            [rc, ri, ..] if rc == c => Some(*ri),
                            _ => return None, // a later column
                        };
                        // `c.ri.more` is after `c.ri`: resume strictly after ri then.
                        let strictly_after = |i: u32| match after {
                            None => true,
                            Some(ri) => i > ri,
                        };
                        rows.iter()
                            .filter(|&&i| strictly_after(i))
                            .find_map(|&i| f(s, i).map(|v| (vec![*c, i], v)))
                    })
                }
            };
            if let Some((tail, v)) = found {
                let mut full = prefix.clone();
                full.extend_from_slice(&tail);
                return Some((Oid::from_slice(&full), v));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct S(Vec<u32>);

    fn tree() -> Tree<S> {
        let mut t = Tree::default();
        t.scalar(&[1, 3, 6, 1, 2, 1, 1, 3, 0], |_: &S| {
            Some(Value::TimeTicks(7))
        });
        t.scalar(&[1, 3, 6, 1, 2, 1, 1, 1, 0], |_| {
            Some(Value::OctetString(b"x".to_vec()))
        });
        t.scalar(&[1, 3, 6, 1, 2, 1, 1, 4, 0], |_| None);
        t.table(
            &[1, 3, 6, 1, 2, 1, 2, 2, 1],
            vec![
                (2, |_, i| Some(Value::Integer(i as i32 * 10))),
                (1, |_, i| Some(Value::Integer(i as i32))),
            ],
            |s: &S| s.0.clone(),
        );
        t
    }

    fn walk(t: &Tree<S>, s: &S) -> Vec<String> {
        let mut at = vec![0u32];
        let mut out = Vec::new();
        while let Some((oid, _)) = t.next(s, &at) {
            out.push(oid.to_string());
            assert!(oid.as_slice() > at.as_slice(), "strictly increasing");
            at = oid.as_slice().to_vec();
        }
        out
    }

    #[test]
    fn a_walk_visits_every_object_in_order() {
        let (t, s) = (tree(), S(vec![1, 5]));
        let got: Vec<String> = walk(&t, &s)
            .into_iter()
            .map(|o| o.trim_start_matches("1.3.6.1.2.1.").to_string())
            .collect();
        assert_eq!(
            got,
            [
                "1.1.0",
                "1.3.0",
                "2.2.1.1.1",
                "2.2.1.1.5",
                "2.2.1.2.1",
                "2.2.1.2.5"
            ]
        );
    }

    #[test]
    fn get_tells_missing_objects_from_missing_instances() {
        let (t, s) = (tree(), S(vec![1, 5]));
        assert!(matches!(
            t.get(&s, &[1, 3, 6, 1, 2, 1, 1, 3, 0]),
            Lookup::Value(Value::TimeTicks(7))
        ));
        assert!(matches!(
            t.get(&s, &[1, 3, 6, 1, 2, 1, 1, 3, 1]),
            Lookup::NoSuchInstance
        ));
        assert!(matches!(
            t.get(&s, &[1, 3, 6, 1, 2, 1, 1, 9, 0]),
            Lookup::NoSuchObject
        ));
        assert!(matches!(
            t.get(&s, &[1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 3]),
            Lookup::NoSuchInstance
        ));
        assert!(matches!(
            t.get(&s, &[1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 5]),
            Lookup::Value(Value::Integer(50))
        ));
        assert!(matches!(t.get(&s, &[1, 3, 6, 1, 4]), Lookup::NoSuchObject));
    }

    #[test]
    fn next_resumes_from_anywhere() {
        let (t, s) = (tree(), S(vec![1, 5]));
        let n = |o: &[u32]| t.next(&s, o).map(|(o, _)| o.to_string());
        // Inside a row index, past the last row of a column, mid-object.
        assert_eq!(
            n(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 3]).as_deref(),
            Some("1.3.6.1.2.1.2.2.1.1.5")
        );
        assert_eq!(
            n(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 5]).as_deref(),
            Some("1.3.6.1.2.1.2.2.1.2.1")
        );
        assert_eq!(
            n(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 5, 9]).as_deref(),
            Some("1.3.6.1.2.1.2.2.1.2.1")
        );
        assert_eq!(
            n(&[1, 3, 6, 1, 2, 1, 1, 1]).as_deref(),
            Some("1.3.6.1.2.1.1.1.0")
        );
        assert_eq!(n(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 5]), None);
        // An empty table is skipped.
        let empty = S(vec![]);
        assert_eq!(walk(&t, &empty).len(), 2);
    }
}

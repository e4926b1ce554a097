//! The answer cache: what DNS said about a (name, type), kept for its TTL (RFC 1035
//! §3.2.1, RFC 2181 §5.2 — an RRset has one TTL, the least of its records'), negative
//! answers for the SOA-derived TTL (RFC 2308 §5). Time is passed in; the cache never
//! reads a clock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::config::ResolverConfig;
use crate::dns::{Name, RData, RecordType};

/// What DNS said about one (name, type), CNAMEs already followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The records of the type asked for (of the canonical name).
    Records(Vec<RData>),
    /// The name does not exist (RCODE NXDOMAIN).
    NxDomain,
    /// The name exists but has no record of this type (NOERROR, empty answer: RFC 2308
    /// §2.2 "NODATA").
    NoData,
}

#[derive(Debug)]
struct Entry {
    outcome: Outcome,
    expires: Instant,
}

/// A bounded cache of DNS answers, shared by every lookup of one resolver.
#[derive(Debug)]
pub struct Cache {
    entries: HashMap<(Name, RecordType), Entry>,
    max_entries: usize,
    max_ttl: Duration,
    max_negative_ttl: Duration,
}

impl Cache {
    /// An empty cache with the limits of `config`.
    pub fn new(config: &ResolverConfig) -> Self {
        Cache {
            entries: HashMap::new(),
            max_entries: config.cache_entries,
            max_ttl: config.max_ttl,
            max_negative_ttl: config.max_negative_ttl,
        }
    }

    /// The cached answer for (`name`, `rtype`) and its remaining TTL in whole seconds,
    /// if it has not expired at `now`.
    pub(crate) fn get(
        &mut self,
        now: Instant,
        name: &Name,
        rtype: RecordType,
    ) -> Option<(Outcome, u32)> {
        let key = (name.clone(), rtype);
        match self.entries.get(&key) {
            Some(e) if now < e.expires => {
                let left = u32::try_from((e.expires - now).as_secs()).unwrap_or(u32::MAX);
                Some((e.outcome.clone(), left))
            }
            Some(_) => {
                self.entries.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Keeps `outcome` for `ttl` seconds from `now` (capped by the configuration). A
    /// TTL of zero, or a negative answer without an SOA to bound it (`None`, RFC 2308
    /// §5: "negative responses without SOA records SHOULD NOT be cached"), is not kept.
    pub(crate) fn insert(
        &mut self,
        now: Instant,
        name: &Name,
        rtype: RecordType,
        outcome: Outcome,
        ttl: Option<u32>,
    ) {
        let Some(ttl) = ttl.filter(|&t| t > 0) else {
            return;
        };
        let cap = match outcome {
            Outcome::Records(_) => self.max_ttl,
            Outcome::NxDomain | Outcome::NoData => self.max_negative_ttl,
        };
        let keep = Duration::from_secs(u64::from(ttl)).min(cap);
        if keep.is_zero() || self.max_entries == 0 {
            return;
        }
        let key = (name.clone(), rtype);
        if !self.entries.contains_key(&key) && self.entries.len() >= self.max_entries {
            self.purge(now);
            if self.entries.len() >= self.max_entries {
                // Still full: make room by dropping what would expire first.
                if let Some(k) = self
                    .entries
                    .iter()
                    .min_by_key(|(_, e)| e.expires)
                    .map(|(k, _)| k.clone())
                {
                    self.entries.remove(&k);
                }
            }
        }
        self.entries.insert(
            key,
            Entry {
                outcome,
                expires: now + keep,
            },
        );
    }

    /// Drops every entry expired at `now`.
    pub fn purge(&mut self, now: Instant) {
        self.entries.retain(|_, e| now < e.expires);
    }

    /// Drops everything (after a network change, say).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// How many answers are kept (expired ones included until looked up or purged).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(max: usize) -> Cache {
        let mut cfg = ResolverConfig::new(vec!["127.0.0.1:53".parse().unwrap()], [0; 32]);
        cfg.cache_entries = max;
        Cache::new(&cfg)
    }

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    #[allow(clippy::disallowed_methods)] // a test needs an epoch
    fn epoch() -> Instant {
        Instant::now()
    }

    fn a(last: u8) -> Outcome {
        Outcome::Records(vec![RData::A([192, 0, 2, last].into())])
    }

    // RFC 1035 §3.2.1: TTL is "the time interval that the resource record may be cached
    // before the source of the information should again be consulted".
    #[test]
    fn entries_live_for_their_ttl() {
        let t0 = epoch();
        let mut c = cache(8);
        c.insert(t0, &n("a.example"), RecordType::A, a(1), Some(30));
        let at = |s| t0 + Duration::from_secs(s);
        assert_eq!(
            c.get(at(29), &n("A.example"), RecordType::A),
            Some((a(1), 1))
        );
        assert_eq!(
            c.get(at(5), &n("a.example"), RecordType::A),
            Some((a(1), 25))
        );
        assert_eq!(c.get(at(29), &n("a.example"), RecordType::AAAA), None);
        assert_eq!(c.get(at(30), &n("a.example"), RecordType::A), None);
        assert!(c.is_empty());
    }

    // RFC 1035 §3.2.1 / RFC 2181 §8: a zero TTL means "use only for the transaction in
    // progress": not cached.
    #[test]
    fn zero_ttl_is_not_kept() {
        let t0 = epoch();
        let mut c = cache(8);
        c.insert(t0, &n("a.example"), RecordType::A, a(1), Some(0));
        assert!(c.is_empty());
    }

    // RFC 2308 §5: negative answers are cached for the SOA-derived TTL, and not at all
    // without an SOA; our configured ceilings bound both kinds.
    #[test]
    fn negative_and_capped_ttls() {
        let t0 = epoch();
        let mut c = cache(8);
        c.insert(t0, &n("x.example"), RecordType::A, Outcome::NxDomain, None);
        assert!(c.is_empty());
        c.insert(
            t0,
            &n("x.example"),
            RecordType::A,
            Outcome::NxDomain,
            Some(86_400),
        );
        let at = |s| t0 + Duration::from_secs(s);
        assert_eq!(
            c.get(at(299), &n("x.example"), RecordType::A),
            Some((Outcome::NxDomain, 1))
        );
        assert_eq!(c.get(at(300), &n("x.example"), RecordType::A), None); // 5 min cap
        c.insert(t0, &n("b.example"), RecordType::A, a(2), Some(u32::MAX / 2));
        assert_eq!(
            c.get(at(3599), &n("b.example"), RecordType::A),
            Some((a(2), 1))
        );
        assert_eq!(c.get(at(3600), &n("b.example"), RecordType::A), None); // 1 h cap
    }

    #[test]
    fn bounded_size_drops_what_expires_first() {
        let t0 = epoch();
        let mut c = cache(2);
        c.insert(t0, &n("a.example"), RecordType::A, a(1), Some(100));
        c.insert(t0, &n("b.example"), RecordType::A, a(2), Some(10));
        c.insert(t0, &n("c.example"), RecordType::A, a(3), Some(50));
        assert_eq!(c.len(), 2);
        assert!(c.get(t0, &n("b.example"), RecordType::A).is_none());
        assert!(c.get(t0, &n("a.example"), RecordType::A).is_some());
        assert!(c.get(t0, &n("c.example"), RecordType::A).is_some());
        // Replacing an existing key never evicts another.
        c.insert(t0, &n("c.example"), RecordType::A, a(4), Some(50));
        assert_eq!(c.get(t0, &n("a.example"), RecordType::A), Some((a(1), 100)));
        assert_eq!(c.get(t0, &n("c.example"), RecordType::A), Some((a(4), 50)));
        // A zero-sized cache keeps nothing.
        let mut c = cache(0);
        c.insert(t0, &n("a.example"), RecordType::A, a(1), Some(100));
        assert!(c.is_empty());
    }
}

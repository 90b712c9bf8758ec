//! Counts per key in fixed windows, over a bounded number of keys: the shape of every
//! per-peer and per-circle quota (alerts kept per circle, gossip about unknown circles per
//! peer, sync work per peer).

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// Keys a table counts at once; the oldest window makes room (peer ids are free to make).
pub(crate) const KEYS: usize = 1024;

/// How much each key used in its current window, against `per` a window.
#[derive(Debug)]
pub(crate) struct RateTable<K> {
    per: u64,
    window: Duration,
    counts: HashMap<K, (Instant, u64)>,
}

impl<K: Hash + Eq + Clone> RateTable<K> {
    pub(crate) fn new(per: u64, window: Duration) -> Self {
        RateTable {
            per,
            window,
            counts: HashMap::new(),
        }
    }

    /// Whether `key` has some of its rate left this window (nothing is counted): asked
    /// before doing work whose cost is known only once done.
    pub(crate) fn allows(&self, key: &K, now: Instant) -> bool {
        match self.counts.get(key) {
            Some((start, n)) if now.duration_since(*start) < self.window => *n < self.per,
            _ => true,
        }
    }

    /// Counts `n` for `key`.
    pub(crate) fn charge(&mut self, key: &K, n: u64, now: Instant) {
        if !self.counts.contains_key(key) && self.counts.len() >= KEYS {
            let window = self.window;
            self.counts
                .retain(|_, (t, _)| now.duration_since(*t) < window);
            if self.counts.len() >= KEYS {
                // Still full of live windows: forget the oldest.
                let oldest = self.counts.iter().min_by_key(|(_, (t, _))| *t);
                if let Some(k) = oldest.map(|(k, _)| k.clone()) {
                    self.counts.remove(&k);
                }
            }
        }
        let entry = self.counts.entry(key.clone()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(n);
    }

    /// Counts one event for `key`; whether it is within the rate.
    pub(crate) fn allow(&mut self, key: &K, now: Instant) -> bool {
        self.charge(key, 1, now);
        self.counts.get(key).is_some_and(|(_, n)| *n <= self.per)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_table_allows_the_rate_then_refuses_until_the_window_ends() {
        let mut t = RateTable::new(3, Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!((0..5).filter(|_| t.allow(&1u8, t0)).count(), 3);
        assert!(t.allow(&2u8, t0), "another key has its own count");
        assert!(t.allow(&1u8, t0 + Duration::from_secs(11)));
    }

    #[test]
    fn work_is_checked_before_and_charged_after() {
        let t = Instant::now();
        let mut work = RateTable::new(100, Duration::from_secs(60));
        assert!(work.allows(&"p", t));
        work.charge(&"p", 60, t);
        assert!(work.allows(&"p", t));
        work.charge(&"p", 60, t);
        assert!(!work.allows(&"p", t), "over the budget");
        assert!(work.allows(&"q", t), "another key is not affected");
        let later = t + Duration::from_secs(61);
        assert!(work.allows(&"p", later), "a new window");
    }

    #[test]
    fn a_rate_table_stays_bounded() {
        let mut t = RateTable::new(1, Duration::from_secs(10));
        let t0 = Instant::now();
        for i in 0..(KEYS as u32 * 3) {
            t.allow(&i, t0);
        }
        assert!(t.counts.len() <= KEYS);
    }
}

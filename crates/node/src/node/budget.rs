//! Per-peer and per-circle budgets of the running node: permit pools for inbound work,
//! rate limits, the peers benched for stalling a pull, and a compliance cache.
//!
//! Everything here is bounded in entries; none of it survives a restart.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use circle_core::compliance::compliance;
use circle_core::keys::Hash32;
use circle_core::ledger::Ledger;
use circle_core::term::TermChain;
use circle_net::PeerId;
use tokio::sync::Semaphore;
use tracing::warn;

/// Sync requests answered at once; beyond this a request goes unanswered (the requester
/// times out).
pub(crate) const SYNC_AT_ONCE: usize = 16;
/// Announcements judged at once; beyond this one is ignored (the next one, or the catalog
/// check, says the same).
pub(crate) const ANNOUNCE_AT_ONCE: usize = 16;
/// Alerts judged at once, from a pool of their own: no sync request or announcement can
/// take an alert's permit.
pub(crate) const ALERTS_AT_ONCE: usize = 16;
/// Alerts that may wait for a permit; only past this is an alert dropped, and that is
/// logged.
pub(crate) const ALERTS_WAITING: usize = 256;
/// Longest wait of an alert for its permit (gossipsub keeps an unjudged message for a few
/// heartbeats).
pub(crate) const ALERT_WAIT: Duration = Duration::from_secs(3);
/// Alerts accepted per circle per [`ALERT_WINDOW`]; more are ignored (not kept, not
/// forwarded). A circle in trouble sends a few; thousands are a flood.
pub(crate) const ALERTS_PER_WINDOW: u32 = 30;
pub(crate) const ALERT_WINDOW: Duration = Duration::from_secs(3600);
/// Alerts of one circle that may hold an alert permit while they wait for a pull (their
/// term is newer than ours, so their signature cannot be checked yet). More of them are
/// ignored at once, with the pull still asked for: a flood of unverifiable alerts for
/// one circle can then hold at most this many of the [`ALERTS_AT_ONCE`] permits.
pub(crate) const ALERT_PULL_WAITS_PER_CIRCLE: usize = 2;
/// Gossip about circles this node does not hold, tolerated per peer per
/// [`UNWANTED_WINDOW`] (honest relays forward their own circles' messages to everyone);
/// beyond it each one is rejected, so a flooder's score sinks until it is graylisted.
pub(crate) const UNWANTED_PER_WINDOW: u32 = 64;
pub(crate) const UNWANTED_WINDOW: Duration = Duration::from_secs(60);
/// How long a peer that stalled a pull is not pulled from.
pub(crate) const BENCH_FOR: Duration = Duration::from_secs(600);
/// Entries in each per-peer or per-circle table; the oldest window makes room.
const TABLE: usize = 1024;
/// Compliance results kept (one per circle, for its current heads, term and minute).
const COMPLIANCE_CACHED: usize = 64;
/// Least time between two warnings about dropped work.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// The permit pools of the events task: one each for sync answers, announcements and
/// alerts, so that a few expensive pulls can never silence an alert.
#[derive(Debug, Clone)]
pub(crate) struct Pools {
    pub(crate) sync: Arc<Semaphore>,
    pub(crate) announce: Arc<Semaphore>,
    pub(crate) alert: Arc<Semaphore>,
    pub(crate) alert_waiting: Arc<Semaphore>,
}

impl Pools {
    pub(crate) fn new() -> Pools {
        Pools {
            sync: Arc::new(Semaphore::new(SYNC_AT_ONCE)),
            announce: Arc::new(Semaphore::new(ANNOUNCE_AT_ONCE)),
            alert: Arc::new(Semaphore::new(ALERTS_AT_ONCE)),
            alert_waiting: Arc::new(Semaphore::new(ALERTS_WAITING)),
        }
    }
}

/// Counts events per key in fixed windows, over at most [`TABLE`] keys.
#[derive(Debug)]
pub(crate) struct RateTable<K> {
    per: u32,
    window: Duration,
    counts: HashMap<K, (Instant, u32)>,
}

impl<K: std::hash::Hash + Eq + Clone> RateTable<K> {
    pub(crate) fn new(per: u32, window: Duration) -> Self {
        RateTable {
            per,
            window,
            counts: HashMap::new(),
        }
    }

    /// Counts one event for `key`; whether it is within the rate.
    pub(crate) fn allow(&mut self, key: &K, now: Instant) -> bool {
        if !self.counts.contains_key(key) && self.counts.len() >= TABLE {
            let window = self.window;
            self.counts
                .retain(|_, (t, _)| now.duration_since(*t) < window);
            if self.counts.len() >= TABLE {
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
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= self.per
    }
}

/// Alerts waiting for a pull, per circle. Entries exist only while an alert waits, and an
/// alert waits only while it holds one of [`ALERTS_AT_ONCE`] permits: the table holds at
/// most that many circles.
#[derive(Debug, Default)]
pub(crate) struct PullWaits {
    by_circle: HashMap<Hash32, usize>,
}

impl PullWaits {
    /// Takes a waiting slot for `circle`, if it has one left.
    pub(crate) fn enter(&mut self, circle: Hash32) -> bool {
        let waiting = self.by_circle.entry(circle).or_insert(0);
        if *waiting >= ALERT_PULL_WAITS_PER_CIRCLE {
            return false;
        }
        *waiting += 1;
        true
    }

    pub(crate) fn leave(&mut self, circle: &Hash32) {
        if let Some(waiting) = self.by_circle.get_mut(circle) {
            *waiting = waiting.saturating_sub(1);
            if *waiting == 0 {
                self.by_circle.remove(circle);
            }
        }
    }
}

/// Peers not pulled from for a while, because they stalled a pull.
#[derive(Debug, Default)]
pub(crate) struct Bench {
    until: HashMap<PeerId, Instant>,
}

impl Bench {
    pub(crate) fn add(&mut self, peer: PeerId, now: Instant) {
        if self.until.len() >= TABLE {
            self.until.retain(|_, t| *t > now);
            if self.until.len() >= TABLE {
                return;
            }
        }
        self.until.insert(peer, now + BENCH_FOR);
    }

    pub(crate) fn holds(&self, peer: &PeerId, now: Instant) -> bool {
        self.until.get(peer).is_some_and(|t| *t > now)
    }
}

/// Compliance per circle for given heads, term and minute: judging a thousand gossip
/// messages about one circle computes it once.
#[derive(Debug, Default)]
pub(crate) struct ComplianceCache {
    by_circle: HashMap<Hash32, (Hash32, bool)>,
    computed: u64,
}

impl ComplianceCache {
    pub(crate) fn compliant(&mut self, ledger: &Ledger, chain: &TermChain, now: u64) -> bool {
        let heads: Vec<Hash32> = ledger.heads().iter().map(|h| Hash32(h.0)).collect();
        let key = Hash32::digest(
            b"circle-ledger/compliance-key/v1",
            &[
                &circle_core::sync::heads_digest(&heads).0,
                &chain.latest().body.term.to_be_bytes(),
                &(chain.certs().len() as u64).to_be_bytes(),
                &(now / 60).to_be_bytes(),
            ],
        );
        let circle = chain.circle_id();
        if let Some((k, v)) = self.by_circle.get(&circle) {
            if *k == key {
                return *v;
            }
        }
        let v = compliance(ledger, chain, now).compliant;
        self.computed += 1;
        if self.by_circle.len() >= COMPLIANCE_CACHED && !self.by_circle.contains_key(&circle) {
            self.by_circle.clear();
        }
        self.by_circle.insert(circle, (key, v));
        v
    }

    #[cfg(test)]
    pub(crate) fn computed(&self) -> u64 {
        self.computed
    }
}

/// A warning that is written at most once a minute, with how often it happened meanwhile.
#[derive(Debug, Default)]
pub(crate) struct QuietWarning {
    last: Option<Instant>,
    count: u64,
}

impl QuietWarning {
    pub(crate) fn warn(&mut self, what: &str) {
        self.count += 1;
        let now = Instant::now();
        if self
            .last
            .is_none_or(|t| now.duration_since(t) >= WARN_EVERY)
        {
            self.last = Some(now);
            warn!(
                times = self.count,
                "{what} (counted since start; said once a minute)"
            );
        }
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
    fn pull_waits_are_capped_per_circle_and_forgotten_when_done() {
        let mut w = PullWaits::default();
        let (a, b) = (Hash32([1; 32]), Hash32([2; 32]));
        let taken = (0..5).filter(|_| w.enter(a)).count();
        assert_eq!(taken, ALERT_PULL_WAITS_PER_CIRCLE);
        assert!(w.enter(b), "another circle has its own slots");
        w.leave(&a);
        assert!(w.enter(a), "a slot left is free again");
        for _ in 0..ALERT_PULL_WAITS_PER_CIRCLE {
            w.leave(&a);
        }
        w.leave(&b);
        assert!(w.by_circle.is_empty());
    }

    #[test]
    fn a_rate_table_stays_bounded() {
        let mut t = RateTable::new(1, Duration::from_secs(10));
        let t0 = Instant::now();
        for i in 0..(TABLE as u32 * 3) {
            t.allow(&i, t0);
        }
        assert!(t.counts.len() <= TABLE);
    }

    #[test]
    fn compliance_is_computed_once_per_heads() {
        let now = 1_700_000_000;
        let (c, _) = circle_core::circle::Circle::create("Alder", 14, now).unwrap();
        let mut cache = ComplianceCache::default();
        let first = cache.compliant(&c.ledger, &c.chain, now);
        for _ in 0..1000 {
            assert_eq!(cache.compliant(&c.ledger, &c.chain, now), first);
        }
        assert_eq!(cache.computed(), 1);
        // A minute later it is judged again (the pledge's term may end).
        cache.compliant(&c.ledger, &c.chain, now + 60);
        assert_eq!(cache.computed(), 2);
    }
}

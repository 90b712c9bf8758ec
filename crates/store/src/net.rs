//! What a federating node remembers about the network: peers it can dial again after a
//! restart, what it last had in common with each peer, alerts it received, and a cheap
//! summary of every held circle (so a catalog needs no document loads).
//!
//! Everything here is bounded: a hostile network can fill these trees only up to the
//! caps below, after which the oldest entries make room.

use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use circle_core::keys::Hash32;

use crate::seal::{EpochKey, ALERTS};
use crate::store::{corrupt, key};
use crate::{Store, StoreError};

/// Peers remembered across restarts.
pub const MAX_PEERS: usize = 256;
/// Addresses remembered per peer.
pub const MAX_PEER_ADDRS: usize = 8;
/// Heads remembered per (peer, circle).
pub const MAX_SHARED_HEADS: usize = 256;
/// Alerts kept; the oldest received go first, a tenth at a time (so that an alert arriving
/// at the cap costs one pass over all alerts once per thousand, not every time).
pub const MAX_ALERTS: usize = 10_000;
/// (peer, circle) sync points kept: a peer id costs nothing to make, so the table is
/// capped whatever the number of peers; an evicted entry costs one larger sync.
pub(crate) const MAX_SYNC_STATES: usize = 4096;
/// Largest stored alert (encoded).
const MAX_ALERT_BYTES: usize = 16 * 1024;

/// A peer this node can dial again after a restart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerRecord {
    /// The peer's PeerId, in text form (the store does not name libp2p types).
    pub peer_id: String,
    /// Multiaddrs it was reached at (text), newest first.
    pub addrs: Vec<String>,
    /// Unix day it was last connected: old peers are forgotten first.
    pub last_seen_day: u64,
}

/// An alert as received: its encoded bytes (core's `gossip::Alert`) and when it arrived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAlert {
    pub circle_id: Hash32,
    pub alert_id: [u8; 16],
    /// Unix seconds at arrival, rounded by the caller as it sees fit.
    pub received: u64,
    pub encoded: Vec<u8>,
}

/// A circle's alerts sorted for a new epoch (see `Store::alerts_for_new_epoch`).
#[derive(Debug)]
pub(crate) struct EpochAlerts {
    /// Keys of the alerts to remove.
    pub(crate) gone: Vec<sled::IVec>,
    /// The alerts kept: key, value sealed under the new key.
    pub(crate) kept: Vec<(sled::IVec, Vec<u8>)>,
}

/// A held circle at a glance: enough to answer a catalog request without loading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircleSummary {
    pub term: u64,
    pub heads_digest: Hash32,
    /// Whether the circle met the protocol when last judged (a node serves and relays
    /// only compliant circles).
    pub compliant: bool,
}

/// Entry counts of the capped trees, counted once per process and kept since (sled's `len`
/// walks the whole tree).
#[derive(Debug, Default)]
pub(crate) struct NetCounts {
    alerts: Mutex<Option<usize>>,
    sync_states: Mutex<Option<usize>>,
}

impl NetCounts {
    /// Drops the counts after entries went outside the counting paths (a dropped
    /// circle, a new epoch): they are counted again on next use.
    pub(crate) fn forget(&self) {
        *lock(&self.alerts) = None;
        *lock(&self.sync_states) = None;
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn sync_key(peer: &str, circle: &Hash32) -> Vec<u8> {
    let mut k = peer.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(&circle.0);
    k
}

fn decode<T: for<'de> Deserialize<'de>>(what: &str, bytes: &[u8]) -> Result<T, StoreError> {
    postcard::from_bytes(bytes).map_err(|_| corrupt(what.to_owned()))
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    postcard::to_stdvec(value).map_err(|_| corrupt("encoding a record"))
}

impl Store {
    /// Remembers (or refreshes) a peer and the address it was reached at (staged).
    pub fn put_peer(&self, peer_id: &str, addrs: &[String], day: u64) -> Result<(), StoreError> {
        let mut record = match self.peers.get(peer_id.as_bytes())? {
            Some(v) => decode::<PeerRecord>("peer record", &v)?,
            None => PeerRecord {
                peer_id: peer_id.to_owned(),
                addrs: Vec::new(),
                last_seen_day: day,
            },
        };
        for a in addrs.iter().rev() {
            record.addrs.retain(|x| x != a);
            record.addrs.insert(0, a.clone());
        }
        record.addrs.truncate(MAX_PEER_ADDRS);
        record.last_seen_day = record.last_seen_day.max(day);
        self.peers.insert(peer_id.as_bytes(), encode(&record)?)?;
        if self.peers.len() > MAX_PEERS {
            self.forget_oldest_peer(peer_id)?;
        }
        self.wrote();
        Ok(())
    }

    fn forget_oldest_peer(&self, keep: &str) -> Result<(), StoreError> {
        let oldest = self
            .peers()?
            .into_iter()
            .filter(|p| p.peer_id != keep)
            .min_by_key(|p| p.last_seen_day);
        if let Some(p) = oldest {
            self.peers.remove(p.peer_id.as_bytes())?;
        }
        Ok(())
    }

    /// Every remembered peer.
    pub fn peers(&self) -> Result<Vec<PeerRecord>, StoreError> {
        self.peers
            .iter()
            .values()
            .map(|v| decode("peer record", &v?))
            .collect()
    }

    /// Heads this node and `peer` both had for `circle` after their last sync.
    pub fn shared_heads(&self, peer: &str, circle: &Hash32) -> Result<Vec<Hash32>, StoreError> {
        match self.sync_state.get(sync_key(peer, circle))? {
            None => Ok(Vec::new()),
            Some(v) => decode("sync state", &v),
        }
    }

    /// Records the heads shared with `peer` (staged; losing it costs one larger sync).
    pub fn set_shared_heads(
        &self,
        peer: &str,
        circle: &Hash32,
        heads: &[Hash32],
    ) -> Result<(), StoreError> {
        let heads = &heads[..heads.len().min(MAX_SHARED_HEADS)];
        let key = sync_key(peer, circle);
        let value = encode(&heads.to_vec())?;
        // A pull that found nothing new writes nothing, so it costs no flush.
        if self
            .sync_state
            .get(&key)?
            .is_some_and(|v| v.as_ref() == value.as_slice())
        {
            return Ok(());
        }
        let mut count = lock(&self.net_counts.sync_states);
        let n = count.get_or_insert_with(|| self.sync_state.len());
        if self.sync_state.insert(&key, value)?.is_none() {
            *n += 1;
        }
        while *n > MAX_SYNC_STATES {
            let victim = self
                .sync_state
                .iter()
                .keys()
                .find(|k| k.as_ref().map_or(true, |k| k.as_ref() != key.as_slice()));
            match victim {
                Some(k) => {
                    self.sync_state.remove(k?)?;
                    *n -= 1;
                }
                None => break,
            }
        }
        self.wrote();
        Ok(())
    }

    /// Whether an alert is known already (replays are dropped).
    pub fn has_alert(&self, circle: &Hash32, alert_id: &[u8; 16]) -> Result<bool, StoreError> {
        Ok(self.alerts.contains_key(key(circle, alert_id))?)
    }

    /// Keeps a received alert (staged); past [`MAX_ALERTS`] the oldest is dropped.
    pub fn put_alert(&self, alert: &StoredAlert) -> Result<(), StoreError> {
        if alert.encoded.len() > MAX_ALERT_BYTES {
            return Err(corrupt("alert over the size cap"));
        }
        // The writer before the count: the order an epoch change takes them in.
        let k = key(&alert.circle_id, &alert.alert_id);
        let writer = self.seal.writer(&alert.circle_id)?;
        let sealed = writer.seal(ALERTS, &k, &encode(alert)?)?;
        let mut count = lock(&self.net_counts.alerts);
        let n = count.get_or_insert_with(|| self.alerts.len());
        if self.alerts.insert(k, sealed)?.is_none() {
            *n += 1;
        }
        drop(writer);
        if *n > MAX_ALERTS {
            let mut by_age: Vec<(u64, sled::IVec)> = Vec::with_capacity(*n);
            for entry in self.alerts.iter() {
                let (k, v) = entry?;
                by_age.push((self.open_alert(&k, &v)?.received, k));
            }
            by_age.sort_by_key(|(received, _)| *received);
            let keep = MAX_ALERTS - MAX_ALERTS / 10;
            let excess = by_age.len().saturating_sub(keep);
            for (_, k) in by_age.into_iter().take(excess) {
                self.alerts.remove(k)?;
            }
            *n -= excess.min(*n);
        }
        self.wrote();
        Ok(())
    }

    /// Every kept alert, newest first.
    pub fn alerts(&self) -> Result<Vec<StoredAlert>, StoreError> {
        let mut all: Vec<StoredAlert> = self
            .alerts
            .iter()
            .map(|entry| {
                let (k, v) = entry?;
                self.open_alert(&k, &v)
            })
            .collect::<Result<_, _>>()?;
        all.sort_by_key(|a| std::cmp::Reverse(a.received));
        Ok(all)
    }

    /// Opens and decodes a stored alert.
    pub(crate) fn open_alert(&self, k: &[u8], v: &[u8]) -> Result<StoredAlert, StoreError> {
        decode("alert", &self.seal.open(ALERTS, k, v)?)
    }

    /// A circle's alerts at the start of a new epoch: the keys of those received before
    /// `keep_since` (to remove), and the others sealed again under `new_key`.
    pub(crate) fn alerts_for_new_epoch(
        &self,
        circle: &Hash32,
        keep_since: u64,
        new_key: &EpochKey,
    ) -> Result<EpochAlerts, StoreError> {
        let (mut gone, mut kept) = (Vec::new(), Vec::new());
        for entry in self.alerts.scan_prefix(circle.0) {
            let (k, v) = entry?;
            let plain = self.seal.open(ALERTS, &k, &v)?;
            let alert: StoredAlert = decode("alert", &plain)?;
            if alert.received < keep_since {
                gone.push(k);
            } else {
                let sealed = new_key.seal(ALERTS, &k, &plain)?;
                kept.push((k, sealed));
            }
        }
        Ok(EpochAlerts { gone, kept })
    }

    /// The keys of the sync points held for a circle (keyed peer · 0 · circle).
    pub(crate) fn sync_state_keys(&self, circle: &Hash32) -> Result<Vec<sled::IVec>, StoreError> {
        let mut keys = Vec::new();
        for k in self.sync_state.iter().keys() {
            let k = k?;
            if k.len() > 32 && k[k.len() - 32..] == circle.0 {
                keys.push(k);
            }
        }
        Ok(keys)
    }

    /// The summary of a held circle, if one was recorded.
    pub fn summary(&self, circle: &Hash32) -> Result<Option<CircleSummary>, StoreError> {
        match self.summary.get(circle.0)? {
            None => Ok(None),
            Some(v) => decode("circle summary", &v).map(Some),
        }
    }

    /// Records a held circle's summary (staged).
    pub fn set_summary(&self, circle: &Hash32, summary: &CircleSummary) -> Result<(), StoreError> {
        let value = encode(summary)?;
        // Unchanged (a pull that found nothing new): no write, so no flush.
        if self
            .summary
            .get(circle.0)?
            .is_some_and(|v| v.as_ref() == value.as_slice())
        {
            return Ok(());
        }
        self.summary.insert(circle.0, value)?;
        self.wrote();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        (dir, s)
    }

    #[test]
    fn peers_are_remembered_newest_address_first_and_bounded() {
        let (_d, s) = store();
        s.put_peer("p1", &["/ip4/127.0.0.1/tcp/1".into()], 10)
            .unwrap();
        s.put_peer("p1", &["/ip4/127.0.0.1/tcp/2".into()], 11)
            .unwrap();
        let p = &s.peers().unwrap()[0];
        assert_eq!(p.addrs[0], "/ip4/127.0.0.1/tcp/2");
        assert_eq!(p.last_seen_day, 11);
        for i in 0..(MAX_PEERS + 5) {
            s.put_peer(&format!("q{i}"), &[], 100 + i as u64).unwrap();
        }
        assert_eq!(s.peers().unwrap().len(), MAX_PEERS);
        // The oldest (p1, day 11) went first.
        assert!(s.peers().unwrap().iter().all(|p| p.peer_id != "p1"));
    }

    #[test]
    fn shared_heads_round_trip_per_peer_and_circle() {
        let (_d, s) = store();
        let (a, b) = (Hash32([1; 32]), Hash32([2; 32]));
        s.set_shared_heads("p", &a, &[Hash32([9; 32])]).unwrap();
        assert_eq!(s.shared_heads("p", &a).unwrap(), vec![Hash32([9; 32])]);
        assert!(s.shared_heads("p", &b).unwrap().is_empty());
        assert!(s.shared_heads("q", &a).unwrap().is_empty());
    }

    #[test]
    fn alerts_are_deduplicated_and_listed_newest_first() {
        let (_d, s) = store();
        let c = Hash32([3; 32]);
        for (i, t) in [(1u8, 50u64), (2, 70), (1, 50)] {
            s.put_alert(&StoredAlert {
                circle_id: c,
                alert_id: [i; 16],
                received: t,
                encoded: vec![i],
            })
            .unwrap();
        }
        let all = s.alerts().unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].alert_id, [2; 16]);
        assert!(s.has_alert(&c, &[1; 16]).unwrap());
        assert!(!s.has_alert(&c, &[7; 16]).unwrap());
    }

    #[test]
    fn alerts_at_the_cap_make_room_a_tenth_at_a_time() {
        let (_d, s) = store();
        let c = Hash32([6; 32]);
        let put = |i: u32| {
            let mut id = [0u8; 16];
            id[..4].copy_from_slice(&i.to_be_bytes());
            s.put_alert(&StoredAlert {
                circle_id: c,
                alert_id: id,
                received: u64::from(i),
                encoded: vec![1],
            })
            .unwrap();
            id
        };
        let first = put(0);
        for i in 1..=MAX_ALERTS as u32 {
            put(i);
        }
        let kept = s.alerts.len();
        assert_eq!(kept, MAX_ALERTS - MAX_ALERTS / 10);
        assert!(!s.has_alert(&c, &first).unwrap(), "the oldest went first");
        // The next thousand arrive without another pass.
        for i in 0..(MAX_ALERTS / 10) as u32 - 1 {
            put(100_000 + i);
        }
        assert_eq!(s.alerts.len(), MAX_ALERTS - 1);
    }

    #[test]
    fn sync_points_are_capped_whatever_the_number_of_peer_ids() {
        let (_d, s) = store();
        let c = Hash32([7; 32]);
        for i in 0..(MAX_SYNC_STATES + 100) {
            s.set_shared_heads(&format!("sybil{i}"), &c, &[Hash32([1; 32])])
                .unwrap();
        }
        assert_eq!(s.sync_state.len(), MAX_SYNC_STATES);
        let last = format!("sybil{}", MAX_SYNC_STATES + 99);
        assert_eq!(s.shared_heads(&last, &c).unwrap(), vec![Hash32([1; 32])]);
    }

    #[test]
    fn summaries_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let c = Hash32([4; 32]);
        let sum = CircleSummary {
            term: 2,
            heads_digest: Hash32([5; 32]),
            compliant: true,
        };
        {
            let s = Store::open(dir.path()).unwrap();
            s.set_summary(&c, &sum).unwrap();
            s.sync().unwrap();
        }
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.summary(&c).unwrap(), Some(sum));
    }
}

//! Sister replicas in memory while a node runs: a small cache, so that a node holding
//! a thousand circles never keeps them all loaded, and one in-memory copy per circle,
//! so that the sync server and the puller never work on diverging copies.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use circle_core::envelope::SignedChange;
use circle_core::keys::Hash32;
use circle_core::sync::ServeOrder;
use circle_store::Store;

use crate::rate::RateTable;
use crate::sisters::{load_replica, Replica};
use crate::NodeError;

/// Replicas kept loaded; more are loaded again from the store when needed.
const CACHED: usize = 4;
/// Changes held back because what they need has not arrived yet, bounded in count and
/// bytes. A first sync holds a past steward term here until that term's handover heads
/// arrive in a later page, so the bound is a whole term's worth: ~300,000 changes of a
/// typical size. A pull that overflows it stops and says so (nothing is lost: the
/// persisted sync point covers applied changes only).
const QUARANTINE_CHANGES: usize = 400_000;
const QUARANTINE_BYTES: usize = 64 * 1024 * 1024;
/// Changes one peer's sync requests may make this node list or build per
/// [`WORK_WINDOW`]: a first sync of a 100,000-change circle takes about 300,000 (each
/// page costs what it sends, see `sync::ServeOrder`); a peer that asks for the same
/// far-back difference again and again is refused once it has used this up.
pub(crate) const PEER_WORK: u64 = 2_000_000;
pub(crate) const WORK_WINDOW: Duration = Duration::from_secs(60);

/// One circle as held in memory: its replica (if any arrived yet) and its quarantine.
#[derive(Debug, Default)]
pub(crate) struct Held {
    pub(crate) replica: Option<Replica>,
    quarantine: Vec<SignedChange>,
    /// The replica's changes in serve order (refreshed by whoever answers a pull).
    pub(crate) order: ServeOrder,
}

impl Held {
    /// Takes the quarantined changes, to be offered again with the next batch.
    pub(crate) fn take_quarantine(&mut self) -> Vec<SignedChange> {
        std::mem::take(&mut self.quarantine)
    }

    /// Holds back changes that cannot be judged yet, within the bounds; returns how many
    /// did not fit. A change held already is not held twice.
    pub(crate) fn hold(&mut self, pending: impl IntoIterator<Item = SignedChange>) -> usize {
        let mut bytes: usize = self.quarantine.iter().map(|c| c.bytes.len()).sum();
        let mut known: std::collections::HashSet<Hash32> = self
            .quarantine
            .iter()
            .map(|c| c.envelope.change_hash)
            .collect();
        let mut dropped = 0;
        for c in pending {
            if !known.insert(c.envelope.change_hash) {
                continue;
            }
            if self.quarantine.len() >= QUARANTINE_CHANGES
                || bytes + c.bytes.len() > QUARANTINE_BYTES
            {
                dropped += 1;
                continue;
            }
            bytes += c.bytes.len();
            self.quarantine.push(c);
        }
        dropped
    }

    pub(crate) fn quarantined(&self) -> usize {
        self.quarantine.len()
    }
}

pub(crate) type Slot = Arc<Mutex<Held>>;

#[derive(Debug)]
pub(crate) struct Replicas {
    store: Store,
    cache: Mutex<VecDeque<(Hash32, Slot)>>,
    /// One loader per circle: loads of one circle wait for each other (one copy per
    /// circle), loads of different circles run at once, and no load holds `cache`.
    loading: Mutex<std::collections::HashMap<Hash32, Arc<Mutex<()>>>>,
    /// The own circle's serve order (its ledger lives with the local circle).
    pub(crate) own_order: Mutex<ServeOrder>,
    /// The own circle's quarantine, for pulls from its other devices. Its `replica` is
    /// empty but while a page is kept (the local circle lends its ledger then).
    pub(crate) own: Slot,
    /// Work done for each peer's sync requests in the current window.
    pub(crate) work: Mutex<RateTable<String>>,
}

impl Replicas {
    pub(crate) fn new(store: Store) -> Replicas {
        Replicas {
            store,
            cache: Mutex::new(VecDeque::new()),
            loading: Mutex::new(std::collections::HashMap::new()),
            own_order: Mutex::new(ServeOrder::new()),
            own: Slot::default(),
            work: Mutex::new(RateTable::new(PEER_WORK, WORK_WINDOW)),
        }
    }

    /// The slot of a circle, loading its replica from the store on a miss. Blocking.
    pub(crate) fn get(&self, id: &Hash32) -> Result<Slot, NodeError> {
        if let Some(slot) = self.cached(id)? {
            return Ok(slot);
        }
        let loader = {
            let mut loading = self.loading.lock().unwrap_or_else(|e| e.into_inner());
            loading.entry(*id).or_default().clone()
        };
        let result = {
            let _one = loader.lock().unwrap_or_else(|e| e.into_inner());
            // Loaded by the loader we waited for?
            match self.cached(id)? {
                Some(slot) => Ok(slot),
                None => load_replica(&self.store, id).map(|replica| {
                    let held = Held {
                        replica,
                        ..Held::default()
                    };
                    let slot = Arc::new(Mutex::new(held));
                    let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                    cache.push_front((*id, slot.clone()));
                    cache.truncate(CACHED);
                    slot
                }),
            }
        };
        drop(loader);
        let mut loading = self.loading.lock().unwrap_or_else(|e| e.into_inner());
        if loading.get(id).is_some_and(|l| Arc::strong_count(l) == 1) {
            loading.remove(id);
        }
        result
    }

    /// The cached slot of a circle, moved to the front.
    fn cached(&self, id: &Hash32) -> Result<Option<Slot>, NodeError> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let Some(i) = cache.iter().position(|(c, _)| c == id) else {
            return Ok(None);
        };
        let entry = cache
            .remove(i)
            .ok_or_else(|| NodeError::Invalid("cache".into()))?;
        let slot = entry.1.clone();
        cache.push_front(entry);
        Ok(Some(slot))
    }

    /// Forgets every in-memory copy, after the store may have changed behind the
    /// cache (a command such as `circle import` writes replicas directly).
    pub(crate) fn clear(&self) {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use circle_core::envelope::Envelope;
    use circle_core::keys::{PublicKey, Signature};

    fn change(i: usize, len: usize) -> SignedChange {
        SignedChange {
            envelope: Envelope {
                version: 1,
                circle_id: Hash32([1; 32]),
                change_hash: {
                    let mut h = [0u8; 32];
                    h[..8].copy_from_slice(&(i as u64).to_le_bytes());
                    Hash32(h)
                },
                term: 0,
                signer: PublicKey([2; 32]),
                signature: Signature([3; 64]),
            },
            bytes: vec![0; len],
        }
    }

    #[test]
    fn a_slow_load_of_one_circle_does_not_hold_up_another() {
        let dir = tempfile::tempdir().unwrap();
        let replicas = Arc::new(Replicas::new(Store::open(dir.path()).unwrap()));
        let (slow, other) = (Hash32([1; 32]), Hash32([2; 32]));
        // A load of `slow` in progress (it holds its circle's loader).
        let loader = replicas
            .loading
            .lock()
            .unwrap()
            .entry(slow)
            .or_default()
            .clone();
        let busy = loader.lock().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let r = replicas.clone();
        std::thread::spawn(move || tx.send(r.get(&other).is_ok()));
        let got = rx.recv_timeout(std::time::Duration::from_secs(10));
        assert_eq!(got, Ok(true), "a load of another circle waited");
        drop(busy);
        assert!(replicas.get(&slow).is_ok());
    }

    #[test]
    fn quarantine_is_bounded_in_count_and_bytes() {
        let mut held = Held::default();
        let n = QUARANTINE_CHANGES;
        let dropped = held.hold((0..n + 100).map(|i| change(i, 10)));
        assert_eq!((held.quarantined(), dropped), (n, 100));
        let more = held.hold((n + 100..n + 110).map(|i| change(i, 10)));
        assert_eq!(
            (held.quarantined(), more),
            (n, 10),
            "a full quarantine takes no more"
        );
        assert_eq!(held.take_quarantine().len(), n);
        assert_eq!(held.quarantined(), 0);
        assert_eq!(held.hold([change(7, 10), change(7, 10)]), 0);
        assert_eq!(
            held.quarantined(),
            1,
            "a change held already is not held twice"
        );
        held.take_quarantine();
        // Bytes: a few large changes fill it long before the count does.
        let big = 4 * 1024 * 1024;
        let dropped = held.hold((0..20).map(|i| change(i, big)));
        assert_eq!(held.quarantined(), QUARANTINE_BYTES / big);
        assert_eq!(dropped, 20 - QUARANTINE_BYTES / big);
    }
}

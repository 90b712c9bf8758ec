//! Sister replicas in memory while a node runs: a small cache, so that a node holding
//! a thousand circles never keeps them all loaded, and one in-memory copy per circle,
//! so that the sync server and the puller never work on diverging copies.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use circle_core::keys::Hash32;
use circle_core::sync::{Quarantine, ServeOrder};
use circle_store::Store;

use crate::rate::RateTable;
use crate::sisters::{load_replica, Replica};
use crate::NodeError;

/// Replicas kept loaded; more are loaded again from the store when needed.
const CACHED: usize = 4;
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
    /// Changes a pull left waiting (bounded by core's `Quarantine`): the next pull of
    /// the circle starts with them.
    quarantine: Quarantine,
    /// The replica's changes in serve order (refreshed by whoever answers a pull).
    pub(crate) order: ServeOrder,
}

impl Held {
    /// Takes what earlier pulls left waiting, for the pull that begins.
    pub(crate) fn take_quarantine(&mut self) -> Quarantine {
        std::mem::take(&mut self.quarantine)
    }

    /// Takes back what a pull left waiting (merged with what another pull of the
    /// circle, run alongside, gave back meanwhile; within the bounds).
    pub(crate) fn give_back(&mut self, quarantine: Quarantine) {
        self.quarantine.merge(quarantine);
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
}

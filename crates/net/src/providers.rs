//! The Kademlia record store: the node's own provider records apart from everyone else's,
//! and others' records bounded per key and per source.
//!
//! libp2p's `MemoryStore` keeps every provider record in one pool of keys and takes the first
//! 20 providers of a key: one peer could fill the pool (and the node could then no longer
//! provide its own circles), and 20 Sybils could squat a circle's list so that honest
//! providers are never recorded (threat 31). Here the node's own records live in their own
//! `MemoryStore`; others' go through [`ProviderStore::add_foreign`], which knows where each
//! record came from (the IP address of the connection it arrived on).

use std::{borrow::Cow, collections::HashMap, time::Instant};

use libp2p::{
    kad::{
        self,
        store::{MemoryStore, MemoryStoreConfig, RecordStore},
        ProviderRecord, Record, RecordKey,
    },
    PeerId,
};

use crate::admission::Source;

/// Keys the node itself may provide (its own circle and those it follows).
const OWN_PROVIDED_KEYS: usize = 1024;
/// Others' providers kept per key (Kademlia's replication factor).
const PROVIDERS_PER_KEY: usize = kad::K_VALUE.get();
/// Providers of one key kept from one source: one machine cannot take a key's list.
pub const PROVIDERS_PER_SOURCE_PER_KEY: usize = 2;

/// Why a foreign record was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The store already holds records for `max_keys` keys.
    Keys,
    /// The key's list is full.
    KeyFull,
    /// The source has used its share (over all keys, or of this key).
    Source,
}

pub(crate) struct ProviderStore {
    local: PeerId,
    own: MemoryStore,
    foreign: HashMap<RecordKey, Vec<(ProviderRecord, Source)>>,
    per_source: HashMap<Source, usize>,
    max_keys: usize,
    max_per_source: usize,
}

impl ProviderStore {
    pub(crate) fn new(local: PeerId, max_keys: usize, max_per_source: usize) -> Self {
        let own = MemoryStore::with_config(
            local,
            MemoryStoreConfig {
                // Value records are never stored (the event loop drops inbound ones).
                max_records: 16,
                max_value_bytes: 1024,
                max_provided_keys: OWN_PROVIDED_KEYS,
                max_providers_per_key: PROVIDERS_PER_KEY,
            },
        );
        Self {
            local,
            own,
            foreign: HashMap::new(),
            per_source: HashMap::new(),
            max_keys,
            max_per_source: max_per_source.max(1),
        }
    }

    /// Keeps another peer's provider record that arrived from `source`, within the bounds.
    pub(crate) fn add_foreign(
        &mut self,
        record: ProviderRecord,
        source: Source,
    ) -> Result<(), Refused> {
        let now = Instant::now();
        let keys = self.foreign.len();
        let list = match self.foreign.get_mut(&record.key) {
            Some(list) => list,
            None if keys >= self.max_keys => return Err(Refused::Keys),
            None => self.foreign.entry(record.key.clone()).or_default(),
        };
        if let Some(slot) = list.iter_mut().find(|(r, _)| r.provider == record.provider) {
            // A refresh by the same provider, from the source it first came from.
            if slot.1 != source {
                return Err(Refused::Source);
            }
            slot.0 = record;
            return Ok(());
        }
        // Expired records make room first.
        let mut freed = Vec::new();
        list.retain(|(r, s)| {
            let keep = !r.is_expired(now);
            if !keep {
                freed.push(s.clone());
            }
            keep
        });
        let from_source = list.iter().filter(|(_, s)| *s == source).count();
        let full = list.len() >= PROVIDERS_PER_KEY;
        let result = if from_source >= PROVIDERS_PER_SOURCE_PER_KEY
            || self.per_source.get(&source).copied().unwrap_or(0) >= self.max_per_source
        {
            Err(Refused::Source)
        } else if full {
            Err(Refused::KeyFull)
        } else {
            list.push((record.clone(), source.clone()));
            Ok(())
        };
        if list.is_empty() {
            self.foreign.remove(&record.key);
        }
        for s in freed {
            self.uncount(&s);
        }
        if result.is_ok() {
            *self.per_source.entry(source).or_insert(0) += 1;
        }
        result
    }

    fn uncount(&mut self, source: &Source) {
        if let Some(n) = self.per_source.get_mut(source) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_source.remove(source);
            }
        }
    }

    #[cfg(test)]
    fn foreign_records(&self) -> usize {
        self.foreign.values().map(Vec::len).sum()
    }
}

impl std::fmt::Debug for ProviderStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderStore")
            .field("own", &self.own.provided().count())
            .field("foreign_keys", &self.foreign.len())
            .field("sources", &self.per_source.len())
            .finish_non_exhaustive()
    }
}

impl RecordStore for ProviderStore {
    type RecordsIter<'a> = <MemoryStore as RecordStore>::RecordsIter<'a>;
    type ProvidedIter<'a> = <MemoryStore as RecordStore>::ProvidedIter<'a>;

    fn get(&self, k: &RecordKey) -> Option<Cow<'_, Record>> {
        self.own.get(k)
    }

    fn put(&mut self, r: Record) -> kad::store::Result<()> {
        self.own.put(r)
    }

    fn remove(&mut self, k: &RecordKey) {
        self.own.remove(k)
    }

    fn records(&self) -> Self::RecordsIter<'_> {
        self.own.records()
    }

    /// Kademlia calls this for the node's own records (inbound ones are filtered to the
    /// event loop, which uses [`ProviderStore::add_foreign`]); anything else is refused.
    fn add_provider(&mut self, record: ProviderRecord) -> kad::store::Result<()> {
        if record.provider == self.local {
            self.own.add_provider(record)
        } else {
            Err(kad::store::Error::MaxProvidedKeys)
        }
    }

    fn providers(&self, key: &RecordKey) -> Vec<ProviderRecord> {
        let mut out = self.own.providers(key);
        if let Some(list) = self.foreign.get(key) {
            out.extend(list.iter().map(|(r, _)| r.clone()));
        }
        out
    }

    fn provided(&self) -> Self::ProvidedIter<'_> {
        self.own.provided()
    }

    fn remove_provider(&mut self, k: &RecordKey, p: &PeerId) {
        if *p == self.local {
            return self.own.remove_provider(k, p);
        }
        let Some(list) = self.foreign.get_mut(k) else {
            return;
        };
        let Some(i) = list.iter().position(|(r, _)| r.provider == *p) else {
            return;
        };
        let (_, source) = list.swap_remove(i);
        if list.is_empty() {
            self.foreign.remove(k);
        }
        self.uncount(&source);
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;

    fn record(key: &str, provider: PeerId) -> ProviderRecord {
        ProviderRecord::new(RecordKey::new(&key), provider, Vec::new())
    }

    fn ip(last: u8) -> Source {
        Source::Ip(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
    }

    #[test]
    fn one_source_fills_only_its_share_and_never_the_own_room() {
        let local = PeerId::random();
        let mut s = ProviderStore::new(local, 1024, 256);
        let flooder = PeerId::random();
        let kept = (0..1024)
            .filter(|i| {
                s.add_foreign(record(&format!("k{i}"), flooder), ip(9))
                    .is_ok()
            })
            .count();
        assert_eq!(kept, 256);
        assert_eq!(s.foreign_records(), 256);
        // The node still provides as many keys of its own as ever.
        for i in 0..OWN_PROVIDED_KEYS {
            s.add_provider(record(&format!("own{i}"), local)).unwrap();
        }
        assert_eq!(s.provided().count(), OWN_PROVIDED_KEYS);
        // Removing the flooder's records gives its share back.
        for i in 0..1024 {
            s.remove_provider(&RecordKey::new(&format!("k{i}")), &flooder);
        }
        assert_eq!(s.foreign_records(), 0);
        assert!(s.add_foreign(record("again", flooder), ip(9)).is_ok());
    }

    #[test]
    fn twenty_sybils_on_one_machine_cannot_squat_a_key() {
        let mut s = ProviderStore::new(PeerId::random(), 1024, 256);
        let sybils = (0..20)
            .filter(|_| {
                s.add_foreign(record("circle", PeerId::random()), ip(2))
                    .is_ok()
            })
            .count();
        assert_eq!(sybils, PROVIDERS_PER_SOURCE_PER_KEY);
        let honest = PeerId::random();
        s.add_foreign(record("circle", honest), ip(3)).unwrap();
        let listed = s.providers(&RecordKey::new(&"circle"));
        assert!(listed.iter().any(|r| r.provider == honest));
        // A key is full at 20 providers, whatever their sources.
        for i in 0..30 {
            let _ = s.add_foreign(record("circle", PeerId::random()), ip(10 + i));
        }
        assert_eq!(
            s.providers(&RecordKey::new(&"circle")).len(),
            PROVIDERS_PER_KEY
        );
    }

    #[test]
    fn foreign_keys_are_capped() {
        let mut s = ProviderStore::new(PeerId::random(), 8, 256);
        let kept = (0..20u8)
            .filter(|i| {
                s.add_foreign(record(&format!("k{i}"), PeerId::random()), ip(*i))
                    .is_ok()
            })
            .count();
        assert_eq!(kept, 8);
    }
}

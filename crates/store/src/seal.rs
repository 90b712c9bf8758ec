//! Sealed values: every value that can carry ledger text (trees `doc_log`, `doc_snap`,
//! `evidence`, `vouched`, `alerts`) is encrypted under its circle's current epoch key, so
//! that destroying the key file forgets the epoch even where sled keeps old segments.
//!
//! A sealed value is `VERSION · epoch (u64 BE) · nonce (24) · ciphertext · tag (16)`,
//! XChaCha20-Poly1305 with a random nonce per value. The associated data is
//! `VERSION · epoch · tree name · 0 · sled key`: a value copied to another key or tree,
//! or relabelled with another epoch, fails to open.
//!
//! The circle of a value is the first 32 bytes of its sled key (every sealed tree is
//! keyed circle first). Keys are read from their files once and kept, one per circle.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use circle_core::keys::Hash32;

use crate::epoch_keys::KeyFiles;
use crate::store::corrupt;
use crate::StoreError;

/// First byte of every sealed value.
pub(crate) const VERSION: u8 = 0xE5;
const NONCE: usize = 24;
const HEADER: usize = 1 + 8 + NONCE;
const TAG: usize = 16;

/// The trees whose values are sealed.
pub(crate) const DOC_LOG: &str = "doc_log";
pub(crate) const DOC_SNAP: &str = "doc_snap";
pub(crate) const EVIDENCE: &str = "evidence";
pub(crate) const VOUCHED: &str = "vouched";
pub(crate) const ALERTS: &str = "alerts";
pub(crate) const SEALED_TREES: [&str; 5] = [DOC_LOG, DOC_SNAP, EVIDENCE, VOUCHED, ALERTS];

/// Meta key of a circle's current epoch (value u64 BE).
pub(crate) fn epoch_meta_key(circle: &Hash32) -> Vec<u8> {
    [&b"epoch"[..], &circle.0].concat()
}

/// The circle a sealed tree's key belongs to.
pub(crate) fn circle_of(key: &[u8]) -> Result<Hash32, StoreError> {
    key.get(..32)
        .and_then(|c| <[u8; 32]>::try_from(c).ok())
        .map(Hash32)
        .ok_or_else(|| corrupt("a sealed value's key is shorter than a circle id"))
}

/// One circle's key of one epoch.
pub(crate) struct EpochKey {
    pub(crate) epoch: u64,
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for EpochKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EpochKey")
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

fn aad(epoch: u64, tree: &str, key: &[u8]) -> Vec<u8> {
    let mut a = Vec::with_capacity(1 + 8 + tree.len() + 1 + key.len());
    a.push(VERSION);
    a.extend_from_slice(&epoch.to_be_bytes());
    a.extend_from_slice(tree.as_bytes());
    a.push(0);
    a.extend_from_slice(key);
    a
}

impl EpochKey {
    pub(crate) fn new(epoch: u64, secret: &[u8; 32]) -> EpochKey {
        EpochKey {
            epoch,
            cipher: XChaCha20Poly1305::new(Key::from_slice(secret)),
        }
    }

    /// Seals `plain` as the value of `key` in `tree`.
    pub(crate) fn seal(&self, tree: &str, key: &[u8], plain: &[u8]) -> Result<Vec<u8>, StoreError> {
        let nonce: [u8; NONCE] = rand::random();
        let aad = aad(self.epoch, tree, key);
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| corrupt(format!("sealing a value of {tree}")))?;
        let mut v = Vec::with_capacity(HEADER + sealed.len());
        v.push(VERSION);
        v.extend_from_slice(&self.epoch.to_be_bytes());
        v.extend_from_slice(&nonce);
        v.extend_from_slice(&sealed);
        Ok(v)
    }

    /// Opens the value of `key` in `tree`: wrong version, another epoch, a changed byte
    /// or a value moved from another key are all `Corrupt`.
    pub(crate) fn open(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<Vec<u8>, StoreError> {
        let epoch = sealed_epoch(tree, value)?;
        if epoch != self.epoch {
            return Err(corrupt(format!(
                "a value of {tree} is sealed under epoch {epoch}, the circle is at epoch {}",
                self.epoch
            )));
        }
        let nonce = XNonce::from_slice(&value[9..HEADER]);
        let aad = aad(epoch, tree, key);
        self.cipher
            .decrypt(
                nonce,
                Payload {
                    msg: &value[HEADER..],
                    aad: &aad,
                },
            )
            .map_err(|_| {
                corrupt(format!(
                    "a value of {tree} fails to open (changed, or moved from another key)"
                ))
            })
    }
}

/// The epoch a sealed value names, after checking its shape.
fn sealed_epoch(tree: &str, value: &[u8]) -> Result<u64, StoreError> {
    if value.len() < HEADER + TAG || value[0] != VERSION {
        return Err(corrupt(format!("a value of {tree} is not sealed")));
    }
    let mut epoch = [0u8; 8];
    epoch.copy_from_slice(&value[1..9]);
    Ok(u64::from_be_bytes(epoch))
}

/// The keys of every circle, cached, and the gate between sealed writes and an epoch
/// change (a value sealed under the old key must not land after the new epoch began).
#[derive(Debug)]
pub(crate) struct Sealer {
    pub(crate) files: KeyFiles,
    meta: sled::Tree,
    keys: Mutex<HashMap<Hash32, Arc<EpochKey>>>,
    gate: RwLock<()>,
}

/// A circle's current key, held with the write gate open: sealed writes made while it
/// lives are in sled before an epoch change can start.
#[derive(Debug)]
pub(crate) struct Writer<'a> {
    _gate: RwLockReadGuard<'a, ()>,
    pub(crate) key: Arc<EpochKey>,
}

impl Writer<'_> {
    pub(crate) fn seal(&self, tree: &str, key: &[u8], plain: &[u8]) -> Result<Vec<u8>, StoreError> {
        self.key.seal(tree, key, plain)
    }
}

fn poisoned() -> StoreError {
    corrupt("a writer thread panicked")
}

impl Sealer {
    pub(crate) fn new(files: KeyFiles, meta: sled::Tree) -> Sealer {
        Sealer {
            files,
            meta,
            keys: Mutex::new(HashMap::new()),
            gate: RwLock::new(()),
        }
    }

    /// A circle's current epoch as recorded in meta (none before its first sealed write).
    pub(crate) fn recorded_epoch(&self, circle: &Hash32) -> Result<Option<u64>, StoreError> {
        match self.meta.get(epoch_meta_key(circle))? {
            None => Ok(None),
            Some(v) => {
                let b: [u8; 8] = v
                    .as_ref()
                    .try_into()
                    .map_err(|_| corrupt("a circle's epoch number"))?;
                Ok(Some(u64::from_be_bytes(b)))
            }
        }
    }

    /// The circle's current key, read from its file on first use.
    pub(crate) fn current(&self, circle: &Hash32) -> Result<Option<Arc<EpochKey>>, StoreError> {
        let mut keys = self.keys.lock().map_err(|_| poisoned())?;
        self.current_locked(&mut keys, circle)
    }

    fn current_locked(
        &self,
        keys: &mut HashMap<Hash32, Arc<EpochKey>>,
        circle: &Hash32,
    ) -> Result<Option<Arc<EpochKey>>, StoreError> {
        if let Some(k) = keys.get(circle) {
            return Ok(Some(k.clone()));
        }
        let Some(epoch) = self.recorded_epoch(circle)? else {
            return Ok(None);
        };
        let secret = self
            .files
            .read(circle, epoch)?
            .ok_or_else(|| missing_key(circle, epoch))?;
        let key = Arc::new(EpochKey::new(epoch, &secret));
        keys.insert(*circle, key.clone());
        Ok(Some(key))
    }

    /// Opens a value of `tree` stored under `key`.
    pub(crate) fn open(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<Vec<u8>, StoreError> {
        let circle = circle_of(key)?;
        sealed_epoch(tree, value)?;
        let k = self.current(&circle)?.ok_or_else(|| {
            corrupt(format!(
                "a sealed value of {tree} belongs to circle {} that has no epoch key",
                hex::encode(circle.0)
            ))
        })?;
        k.open(tree, key, value)
    }

    /// The circle's current key for sealing, made (epoch 0, file first, then meta) if
    /// the circle has none yet. Holds off [`Sealer::changing_epoch`] while it lives.
    pub(crate) fn writer(&self, circle: &Hash32) -> Result<Writer<'_>, StoreError> {
        let gate = self.gate.read().map_err(|_| poisoned())?;
        let mut keys = self.keys.lock().map_err(|_| poisoned())?;
        let key = match self.current_locked(&mut keys, circle)? {
            Some(k) => k,
            None => {
                let secret = self.files.create(circle, 0)?;
                // sled recovers a prefix of its log: this lands before any value sealed
                // under the key, and the file is durable already.
                self.meta
                    .insert(epoch_meta_key(circle), &0u64.to_be_bytes())?;
                let key = Arc::new(EpochKey::new(0, &secret));
                keys.insert(*circle, key.clone());
                key
            }
        };
        Ok(Writer { _gate: gate, key })
    }

    /// Waits for every sealed write under way and holds off new ones.
    pub(crate) fn changing_epoch(&self) -> Result<RwLockWriteGuard<'_, ()>, StoreError> {
        self.gate.write().map_err(|_| poisoned())
    }

    /// Makes `key` the circle's cached current key (after its epoch committed).
    pub(crate) fn set_current(
        &self,
        circle: &Hash32,
        key: Arc<EpochKey>,
    ) -> Result<(), StoreError> {
        self.keys
            .lock()
            .map_err(|_| poisoned())?
            .insert(*circle, key);
        Ok(())
    }

    /// Forgets the cached key of a circle (dropped, or its epoch changed).
    pub(crate) fn forget(&self, circle: &Hash32) -> Result<(), StoreError> {
        self.keys.lock().map_err(|_| poisoned())?.remove(circle);
        Ok(())
    }
}

pub(crate) fn missing_key(circle: &Hash32, epoch: u64) -> StoreError {
    corrupt(format!(
        "epoch key missing for circle {} epoch {epoch} (file {}/{}.{epoch})",
        hex::encode(circle.0),
        crate::epoch_keys::KEY_DIR,
        hex::encode(circle.0)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_where_and_when_it_was_sealed() {
        let k = EpochKey::new(4, &[7; 32]);
        let v = k.seal(DOC_LOG, b"key-a", b"forget me").unwrap();
        assert_eq!(v[0], VERSION);
        assert_eq!(v.len(), HEADER + b"forget me".len() + TAG);
        assert!(!v.windows(9).any(|w| w == b"forget me"));
        assert_eq!(k.open(DOC_LOG, b"key-a", &v).unwrap(), b"forget me");
        // Another key, another tree, another epoch's key, a changed byte, a relabelled
        // epoch, a truncated value: all refused.
        assert!(k.open(DOC_LOG, b"key-b", &v).is_err());
        assert!(k.open(DOC_SNAP, b"key-a", &v).is_err());
        assert!(EpochKey::new(4, &[8; 32])
            .open(DOC_LOG, b"key-a", &v)
            .is_err());
        for i in 0..v.len() {
            let mut bad = v.clone();
            bad[i] ^= 1;
            assert!(k.open(DOC_LOG, b"key-a", &bad).is_err(), "byte {i}");
        }
        let mut relabelled = v.clone();
        relabelled[1..9].copy_from_slice(&5u64.to_be_bytes());
        assert!(EpochKey::new(5, &[7; 32])
            .open(DOC_LOG, b"key-a", &relabelled)
            .is_err());
        assert!(k.open(DOC_LOG, b"key-a", &v[..HEADER + TAG - 1]).is_err());
        // Two seals of one value differ (fresh nonce).
        assert_ne!(v, k.seal(DOC_LOG, b"key-a", b"forget me").unwrap());
    }
}

//! Vouched snapshots (see `docs/CHECKPOINTS.md`): a circle's document installed from a
//! verified snapshot, and the snapshot itself kept to serve it on.
//!
//! | tree      | key     | value                                   |
//! |-----------|---------|-----------------------------------------|
//! | `vouched` | circle  | encoded `checkpoint::Snapshot` (≤ 8 MiB) |
//! | `meta`    | `vouched_changes` · circle | signed changes a snapshot vouched for (u64 BE) |
//!
//! A replica installed from a snapshot holds no envelope for the changes the snapshot
//! vouched for, so [`Store::change_count`] adds their number to the envelopes it counts.

use super::{corrupt, Store};
use crate::seal::VOUCHED;
use crate::StoreError;
use circle_core::keys::Hash32;

/// Largest stored snapshot (what one sync response can carry).
const MAX_VOUCHED_BYTES: usize = 8 * 1024 * 1024;

impl Store {
    /// Makes `document` (Automerge bytes of a history verified by
    /// `Snapshot::open_with_document`) the circle's stored document: every snapshot
    /// chunk and logged change of the circle is replaced, in one transaction. Staged;
    /// durable after [`Store::sync`]. Envelopes stay (there are none for a vouched
    /// history: it was accepted on its checkpoint, not change by change).
    pub fn install_document(&self, circle: &Hash32, document: &[u8]) -> Result<(), StoreError> {
        let logged = self.log_keys(circle)?;
        self.replace_snapshot(circle, document, &logged, "installing a snapshot aborted")
    }

    /// Keeps the encoded snapshot a circle's history can be served as (replacing any
    /// earlier one). Staged; durable after [`Store::sync`].
    pub fn put_vouched_snapshot(&self, circle: &Hash32, snapshot: &[u8]) -> Result<(), StoreError> {
        if snapshot.len() > MAX_VOUCHED_BYTES {
            return Err(corrupt("snapshot larger than a sync response"));
        }
        let writer = self.seal.writer(circle)?;
        let sealed = writer.seal(VOUCHED, &circle.0, snapshot)?;
        self.db.open_tree(VOUCHED)?.insert(circle.0, sealed)?;
        drop(writer);
        self.durability.wrote();
        Ok(())
    }

    /// Records how many signed changes the installed snapshot's history holds (see
    /// `checkpoint::Opened::signed`). Staged; durable after [`Store::sync`]. A new epoch
    /// and dropping the circle clear it.
    pub fn set_vouched_changes(&self, circle: &Hash32, changes: u64) -> Result<(), StoreError> {
        self.meta
            .insert(vouched_changes_key(circle), &changes.to_be_bytes())?;
        self.durability.wrote();
        Ok(())
    }

    /// The signed changes a circle's installed snapshot vouched for (0: none).
    pub fn vouched_changes(&self, circle: &Hash32) -> Result<u64, StoreError> {
        match self.meta.get(vouched_changes_key(circle))? {
            None => Ok(0),
            Some(v) => v
                .as_ref()
                .try_into()
                .map(u64::from_be_bytes)
                .map_err(|_| corrupt("a vouched change count")),
        }
    }

    /// The encoded snapshot kept for a circle, if any.
    pub fn vouched_snapshot(&self, circle: &Hash32) -> Result<Option<Vec<u8>>, StoreError> {
        match self.db.open_tree(VOUCHED)?.get(circle.0)? {
            None => Ok(None),
            Some(v) => self.seal.open(VOUCHED, &circle.0, &v).map(Some),
        }
    }

    /// Forgets a circle's kept snapshot and its count (when the circle is dropped).
    pub(crate) fn drop_vouched(&self, circle: &Hash32) -> Result<(), StoreError> {
        self.db.open_tree(VOUCHED)?.remove(circle.0)?;
        self.meta.remove(vouched_changes_key(circle))?;
        Ok(())
    }
}

pub(super) fn vouched_changes_key(circle: &Hash32) -> Vec<u8> {
    let mut k = b"vouched_changes".to_vec();
    k.extend_from_slice(&circle.0);
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_installed_document_replaces_the_stored_one_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let circle = Hash32([3; 32]);
        let mut doc = automerge::AutoCommit::new();
        automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "k", 1).unwrap();
        let bytes = doc.document().save_nocompress();
        store.install_document(&circle, &bytes).unwrap();
        let loaded = store.load_doc(&circle).unwrap().unwrap();
        assert_eq!(loaded.doc.get_heads(), doc.document().get_heads());
        assert_eq!(loaded.log_len, 0);
        store.put_vouched_snapshot(&circle, b"snap").unwrap();
        assert_eq!(store.vouched_snapshot(&circle).unwrap().unwrap(), b"snap");
        store.drop_vouched(&circle).unwrap();
        assert!(store.vouched_snapshot(&circle).unwrap().is_none());
        store.set_vouched_changes(&circle, 7).unwrap();
        assert_eq!(store.change_count(&circle), 7);
        store.drop_vouched(&circle).unwrap();
        assert_eq!(store.vouched_changes(&circle).unwrap(), 0);
        assert!(store
            .put_vouched_snapshot(&circle, &vec![0; MAX_VOUCHED_BYTES + 1])
            .is_err());
    }
}

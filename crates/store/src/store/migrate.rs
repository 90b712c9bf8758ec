//! From format `/1` (values in plaintext) to `/2` (sealed values): every value of the
//! sealed trees is sealed in place, under its circle's epoch-0 key.
//!
//! The format tag moves to `/2` only after every value is sealed and synced. A crash
//! half-way leaves a `/1` store in which some values are sealed already; the next open
//! runs the migration again and skips those: a value counts as sealed when it opens
//! under its circle's key (a plaintext value that happens to start with the version
//! byte fails to open and is sealed like the others).
//!
//! What the migration cannot reach: the plaintext values themselves, in sled log
//! segments written before it, stay on disk until sled reuses the segments. Only the
//! values written from then on are forgotten with their epoch key.

use crate::seal::{circle_of, SEALED_TREES};
use crate::StoreError;

use super::Store;

impl Store {
    /// Seals every plaintext value of the sealed trees, then syncs.
    pub(crate) fn migrate_to_sealed(&self) -> Result<(), StoreError> {
        let mut sealed = 0usize;
        for name in SEALED_TREES {
            let tree = self.db.open_tree(name)?;
            let keys: Vec<sled::IVec> = tree.iter().keys().collect::<Result<_, _>>()?;
            for k in keys {
                let Some(v) = tree.get(&k)? else { continue };
                if self.seal.open(name, &k, &v).is_ok() {
                    continue;
                }
                let writer = self.seal.writer(&circle_of(&k)?)?;
                tree.insert(&k, writer.seal(name, &k, &v)?)?;
                sealed += 1;
            }
        }
        tracing::info!(sealed, "store migrated to sealed values");
        self.wrote();
        self.sync()
    }
}

//! Epochs: a circle's ledger replaced by a new base document and the old one forgotten
//! by destroying the key it was sealed under (see `seal.rs` and `epoch_keys.rs`).
//!
//! | tree   | key              | value                      |
//! |--------|------------------|----------------------------|
//! | `meta` | `epoch` · circle | the circle's epoch (u64 BE) |
//!
//! `start_epoch` runs in an order that a crash at any point leaves recoverable:
//! (a) the new key file, durably; (b) one sled transaction that replaces what the circle
//! holds of the old epoch and records the new epoch; (c) a sync; (d) the older key files
//! destroyed. On open, [`Store::settle_epoch_keys`] keeps of each circle only the key
//! file its recorded epoch names: an older one is the old epoch after (b)+(c), a newer
//! one a start that never committed.

use std::sync::Arc;

use circle_core::keys::Hash32;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use super::{corrupt, sealed_snapshot, Store};
use crate::seal::{epoch_meta_key, missing_key, EpochKey, VOUCHED};
use crate::StoreError;

impl Store {
    /// The circle's current epoch: 0 until [`Store::start_epoch`] moved it on.
    pub fn epoch(&self, circle: &Hash32) -> Result<u64, StoreError> {
        Ok(self.seal.recorded_epoch(circle)?.unwrap_or(0))
    }

    /// Starts epoch `epoch` of `circle` with `document` (Automerge bytes) as its whole
    /// ledger, and forgets the old epoch: the snapshot is replaced, every logged change,
    /// envelope, piece of change evidence, vouched snapshot (and its count) and sync point of the circle
    /// is removed, alerts received before `keep_alerts_since` are removed and the others
    /// sealed again under the new key; then the old key files are destroyed. What sled's
    /// old log segments still hold of the old epoch can no longer be opened. Durable on
    /// return. `epoch` must be greater than the current one.
    pub fn start_epoch(
        &self,
        circle: &Hash32,
        epoch: u64,
        document: &[u8],
        keep_alerts_since: u64,
    ) -> Result<(), StoreError> {
        let _no_sealed_writes = self.seal.changing_epoch()?;
        let current = self.seal.recorded_epoch(circle)?;
        if current.is_some_and(|c| epoch <= c) || (current.is_none() && epoch == 0) {
            return Err(StoreError::EpochNotNewer {
                current: current.unwrap_or(0),
                asked: epoch,
            });
        }
        // (a) The new key, durable before anything is sealed under it.
        let secret = self.seal.files.create(circle, epoch)?;
        let new_key = Arc::new(EpochKey::new(epoch, &secret));
        // (b) One transaction.
        if let Err(e) = self.replace_epoch(circle, &new_key, document, keep_alerts_since) {
            // Nothing was sealed under the new key; a failure to destroy it is settled
            // on the next open.
            let _ = self.seal.files.destroy(circle, epoch);
            return Err(e);
        }
        self.seal.set_current(circle, new_key)?;
        self.net_counts.forget();
        self.wrote();
        // (c) Durable; only then (d) may the old key go.
        self.sync()?;
        self.destroy_epoch_keys(circle, Some(epoch))
    }

    fn replace_epoch(
        &self,
        circle: &Hash32,
        new_key: &EpochKey,
        document: &[u8],
        keep_alerts_since: u64,
    ) -> Result<(), StoreError> {
        let base = self.next_snapshot_base(circle)?;
        let snap_rows = sealed_snapshot(circle, document, new_key, base)?;
        let old_snap = self.snapshot_keys(circle)?;
        let log = self.log_keys(circle)?;
        let prefixed = |tree: &sled::Tree| -> Result<Vec<sled::IVec>, StoreError> {
            Ok(tree
                .scan_prefix(circle.0)
                .keys()
                .collect::<Result<_, _>>()?)
        };
        let evidence = prefixed(&self.evidence)?;
        let envelopes = prefixed(&self.envelopes)?;
        let alerts = self.alerts_for_new_epoch(circle, keep_alerts_since, new_key)?;
        let sync_points = self.sync_state_keys(circle)?;
        let vouched = self.db.open_tree(VOUCHED)?;
        let meta_key = epoch_meta_key(circle);
        let vouched_count = super::snapshots::vouched_changes_key(circle);
        (
            &self.meta,
            &self.doc_snap,
            &self.doc_log,
            &self.evidence,
            &self.envelopes,
            &vouched,
            &self.alerts,
            &self.sync_state,
        )
            .transaction(|(meta, snap, log_t, ev, envs, vouch, alert_t, sync)| {
                for k in &old_snap {
                    snap.remove(k)?;
                }
                for (k, v) in &snap_rows {
                    snap.insert(k.as_slice(), v.as_slice())?;
                }
                for k in &log {
                    log_t.remove(k)?;
                }
                for k in &evidence {
                    ev.remove(k)?;
                }
                for k in &envelopes {
                    envs.remove(k)?;
                }
                vouch.remove(&circle.0)?;
                for k in &alerts.gone {
                    alert_t.remove(k)?;
                }
                for (k, v) in &alerts.kept {
                    alert_t.insert(k, v.as_slice())?;
                }
                for k in &sync_points {
                    sync.remove(k)?;
                }
                meta.insert(meta_key.as_slice(), &new_key.epoch.to_be_bytes())?;
                meta.remove(vouched_count.as_slice())?;
                Ok::<(), ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                TransactionError::Abort(()) => corrupt("starting an epoch aborted"),
                TransactionError::Storage(e) => e.into(),
            })
    }

    /// Destroys a circle's key files except `keep`'s, durably.
    pub(crate) fn destroy_epoch_keys(
        &self,
        circle: &Hash32,
        keep: Option<u64>,
    ) -> Result<(), StoreError> {
        for e in self.seal.files.epochs_of(circle)? {
            if Some(e) != keep {
                self.seal.files.destroy(circle, e)?;
            }
        }
        self.seal.files.sync_dir()
    }

    /// Finishes or rolls back an interrupted [`Store::start_epoch`] (or a first key whose
    /// epoch never reached sled): of each circle, only the key file of its recorded epoch
    /// stays. A recorded epoch without its key file is corruption, not a fresh start.
    pub(crate) fn settle_epoch_keys(&self) -> Result<(), StoreError> {
        let mut destroyed = false;
        for (circle, epoch) in self.seal.files.list()? {
            let recorded = self.seal.recorded_epoch(&circle)?;
            if recorded != Some(epoch) {
                tracing::info!(
                    circle = %hex::encode(circle.0),
                    epoch,
                    ?recorded,
                    "destroying an epoch key the store no longer uses"
                );
                self.seal.files.destroy(&circle, epoch)?;
                destroyed = true;
            }
        }
        if destroyed {
            self.seal.files.sync_dir()?;
        }
        for entry in self.meta.scan_prefix(b"epoch") {
            let (k, v) = entry?;
            let circle: [u8; 32] = k[5..]
                .try_into()
                .map_err(|_| corrupt("an epoch record's circle id"))?;
            let epoch: [u8; 8] = v
                .as_ref()
                .try_into()
                .map_err(|_| corrupt("a circle's epoch number"))?;
            let (circle, epoch) = (Hash32(circle), u64::from_be_bytes(epoch));
            if self.seal.files.read(&circle, epoch)?.is_none() {
                return Err(missing_key(&circle, epoch));
            }
        }
        Ok(())
    }
}

//! Durable storage for circle ledgers, over sled 0.34.
//!
//! - [`Store`]: documents (snapshot + incremental change log, compacted crash-safely by
//!   write order: `store/doc_snap.rs`), signed envelopes and term certificates, in sled trees.
//! - [`KeyDir`]: secret keys in files readable only by their owner (0600).
//!
//! **Durability.** sled 0.34's `flush` ends in `sync_file_range`, which neither
//! flushes the drive's cache nor file metadata (sled issue #1452), and blob files are
//! never synced. [`Store::sync`] therefore follows every flush with a real `fsync` of
//! the log file, new blob files and their directories. It is a group commit: any number
//! of threads may call it at once and share one flush. A write is acknowledged only
//! after `sync` returns.
//!
//! ```
//! # fn main() -> Result<(), circle_store::StoreError> {
//! let dir = tempfile::tempdir().unwrap();
//! let store = circle_store::Store::open(dir.path())?;
//! assert!(store.own_circle()?.is_none());
//! # Ok(()) }
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod deliveries;
mod durability;
mod epoch_keys;
mod error;
mod keydir;
mod net;
mod proposals;
mod seal;
mod secret_file;
mod store;

pub use deliveries::MAX_RECEIVERS;
pub use error::StoreError;
pub use keydir::KeyDir;
pub use net::{
    CircleSummary, PeerRecord, StoredAlert, MAX_ALERTS, MAX_PEERS, MAX_PEER_ADDRS, MAX_SHARED_HEADS,
};
pub use store::{ChangeEvidence, LoadedDoc, Store, COMPACT_AFTER, MAX_EVIDENCE};

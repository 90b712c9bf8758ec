//! The sled trees and what lives in them.
//!
//! | tree        | key                               | value                          |
//! |-------------|-----------------------------------|--------------------------------|
//! | `meta`      | `format`, `own_circle`            | format tag, circle id          |
//! | `meta`      | `epoch` · circle                  | the circle's epoch (u64 BE)    |
//! | `meta`      | `vouched_changes` · circle        | changes a snapshot vouched for |
//! | `certs`     | circle · term (BE) · cert id      | encoded [`TermCert`]           |
//! | `envelopes` | circle · change hash              | encoded [`Envelope`]           |
//! | `doc_log`   | circle · sequence (BE)            | sealed: change hash · raw change |
//! | `doc_snap`  | circle · chunk index (BE)         | sealed: part of a saved document |
//! | `followed`  | circle                            | day it was first followed      |
//! | `peers`     | peer id (text)                    | known addresses (see `net.rs`) |
//! | `sync_state`| peer id · 0 · circle              | heads shared after last sync   |
//! | `alerts`    | circle · alert id                 | sealed: received alert         |
//! | `alert_deliveries` | circle · alert id          | peers an own alert reached     |
//! | `summary`   | circle                            | term · heads digest            |
//! | `evidence`  | circle · change hash              | sealed: actor, seq, signed change (an equivocation) |
//! | `vouched`   | circle                            | sealed: kept snapshot (`snapshots.rs`) |
//! | `proposals` | circle · proposal id              | encoded handover proposal      |
//!
//! **Sealed** (`seal.rs`): every value of `doc_log`, `doc_snap`, `evidence`, `vouched` and
//! `alerts` — what can carry ledger text — is stored as `version · epoch · nonce ·
//! ciphertext · tag` under the circle's current epoch key. The keys are files in
//! `epoch-keys/` beside sled's own (`epoch_keys.rs`), never in sled: a forgotten epoch's
//! key is destroyed, and with it what sled's old segments still hold of the epoch
//! (`epoch.rs`). The other trees hold ids, signatures, certificates and counters.
//!
//! Every value carries its own check: a logged change is stored behind its hash and
//! re-hashed on load, a snapshot behind a SHA-256 of all its chunks (both on the
//! plaintext, inside the seal).
//!
//! A ledger is its snapshot plus the changes logged since. Compaction writes a new
//! snapshot beside the old one, switches the header, then deletes the log entries it
//! covers (`store/doc_snap.rs`): a crash leaves the old or the new state, both complete.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use automerge::{Automerge, Change};
use circle_core::envelope::{Envelope, SignedChange};
use circle_core::keys::Hash32;
use circle_core::term::TermCert;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use crate::durability::Durability;
use crate::epoch_keys::KeyFiles;
use crate::seal::{Sealer, DOC_LOG};
use crate::StoreError;
use doc_snap::sealed_snapshot;
#[cfg(test)]
use doc_snap::{SNAP_CHUNK, SNAP_HEADER};

const FORMAT: &[u8] = b"circle-ledger-store/2";
/// The format before sealed values: opened stores of it are migrated (`migrate.rs`).
const FORMAT_V1: &[u8] = b"circle-ledger-store/1";
const FORMAT_PREFIX: &[u8] = b"circle-ledger-store/";
/// Stages of at most this many changes are one sled transaction (see `stage_changes`).
const ATOMIC_STAGE: usize = 64;
/// Compact once this many changes sit in the log: bounds reopen time.
pub const COMPACT_AFTER: usize = 2_000;
/// sled's page cache (its default is 1 GiB): a Raspberry Pi 3 has 1 GiB in all, and a
/// node that holds a thousand circles must not keep them all in memory.
const CACHE_BYTES: u64 = 16 * 1024 * 1024;
/// How long `open` waits for another short-lived process to release the store.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// A handle to the store; cheap to clone, safe to share between threads.
#[derive(Clone, Debug)]
pub struct Store {
    db: sled::Db,
    meta: sled::Tree,
    certs: sled::Tree,
    envelopes: sled::Tree,
    doc_log: sled::Tree,
    doc_snap: sled::Tree,
    followed: sled::Tree,
    pub(crate) peers: sled::Tree,
    pub(crate) sync_state: sled::Tree,
    pub(crate) alerts: sled::Tree,
    pub(crate) deliveries: sled::Tree,
    pub(crate) summary: sled::Tree,
    pub(crate) proposals: sled::Tree,
    pub(crate) net_counts: std::sync::Arc<crate::net::NetCounts>,
    evidence: sled::Tree,
    pub(crate) seal: std::sync::Arc<Sealer>,
    durability: std::sync::Arc<Durability>,
    /// Held by [`Store::compact`]: two at once would pick the same snapshot base.
    compacting: std::sync::Arc<std::sync::Mutex<()>>,
    dir: PathBuf,
}

/// A document as loaded, with the size of its uncompacted log.
#[derive(Debug)]
pub struct LoadedDoc {
    pub doc: Automerge,
    pub log_len: usize,
}

pub(crate) fn key(circle: &Hash32, rest: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(32 + rest.len());
    k.extend_from_slice(&circle.0);
    k.extend_from_slice(rest);
    k
}

pub(crate) fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt(what.into())
}

impl Store {
    /// Opens (creating if needed) the store in `dir`, waiting briefly if another
    /// `circle` process holds it.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir)?;
        let started = Instant::now();
        let db = loop {
            match sled::Config::new()
                .path(dir)
                .mode(sled::Mode::HighThroughput)
                .cache_capacity(CACHE_BYTES)
                .open()
            {
                Ok(db) => break db,
                Err(sled::Error::Io(e)) if is_lock_error(&e) => {
                    if started.elapsed() > LOCK_WAIT {
                        return Err(StoreError::Locked);
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(sled::Error::Corruption { .. }) | Err(sled::Error::Unsupported(_)) => {
                    return Err(StoreError::Foreign(dir.display().to_string()))
                }
                Err(e) => return Err(e.into()),
            }
        };
        let store = Store {
            meta: db.open_tree("meta")?,
            certs: db.open_tree("certs")?,
            envelopes: db.open_tree("envelopes")?,
            doc_log: db.open_tree("doc_log")?,
            doc_snap: db.open_tree("doc_snap")?,
            followed: db.open_tree("followed")?,
            peers: db.open_tree("peers")?,
            sync_state: db.open_tree("sync_state")?,
            alerts: db.open_tree("alerts")?,
            deliveries: db.open_tree("alert_deliveries")?,
            summary: db.open_tree("summary")?,
            proposals: db.open_tree("proposals")?,
            net_counts: Default::default(),
            evidence: db.open_tree("evidence")?,
            seal: std::sync::Arc::new(Sealer::new(KeyFiles::new(dir), db.open_tree("meta")?)),
            durability: std::sync::Arc::new(Durability::new(dir)),
            compacting: Default::default(),
            dir: dir.to_owned(),
            db,
        };
        let plaintext = store.check_format()?;
        store.settle_epoch_keys()?;
        if plaintext {
            store.migrate_to_sealed()?;
            store.meta.insert("format", FORMAT)?;
            store.wrote();
            store.sync()?;
        }
        Ok(store)
    }

    /// Checks the format tag (writing it into a new store); true for a store of the
    /// format before sealing, whose values must be sealed before use.
    fn check_format(&self) -> Result<bool, StoreError> {
        match self.meta.get("format")? {
            Some(f) if f.as_ref() == FORMAT => Ok(false),
            Some(f) if f.as_ref() == FORMAT_V1 => Ok(true),
            Some(f) if f.starts_with(FORMAT_PREFIX) => {
                Err(StoreError::TooNew(String::from_utf8_lossy(&f).into_owned()))
            }
            Some(_) => Err(StoreError::Foreign(self.dir.display().to_string())),
            None => {
                let names = self.db.tree_names();
                let foreign = names.iter().any(|n| {
                    !matches!(
                        n.as_ref(),
                        b"__sled__default"
                            | b"meta"
                            | b"certs"
                            | b"envelopes"
                            | b"doc_log"
                            | b"doc_snap"
                            | b"followed"
                            | b"peers"
                            | b"sync_state"
                            | b"alerts"
                            | b"alert_deliveries"
                            | b"summary"
                            | b"evidence"
                            | b"proposals"
                    )
                }) || !self.db.is_empty()
                    || !self.certs.is_empty()
                    || !self.doc_log.is_empty();
                if foreign {
                    return Err(StoreError::Foreign(self.dir.display().to_string()));
                }
                self.meta.insert("format", FORMAT)?;
                self.durability.wrote();
                self.sync()?;
                Ok(false)
            }
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Makes every write made so far durable (group commit; see the crate docs).
    pub fn sync(&self) -> Result<(), StoreError> {
        self.durability.sync(&self.db)
    }

    /// Records that a write was handed to sled, for the next [`Store::sync`].
    pub(crate) fn wrote(&self) {
        self.durability.wrote();
    }

    /// The circle this node keeps (its own), once `init` has run.
    pub fn own_circle(&self) -> Result<Option<Hash32>, StoreError> {
        match self.meta.get("own_circle")? {
            None => Ok(None),
            Some(v) => {
                let arr: [u8; 32] = v
                    .as_ref()
                    .try_into()
                    .map_err(|_| corrupt("own circle id"))?;
                Ok(Some(Hash32(arr)))
            }
        }
    }

    /// Records a new own circle with its genesis certificate and genesis change, atomically.
    pub fn create_circle(
        &self,
        genesis: &TermCert,
        change: &SignedChange,
    ) -> Result<(), StoreError> {
        let circle = genesis.id();
        let seq = self.db.generate_id()?;
        let cert_key = key(&circle, &[&0u64.to_be_bytes()[..], &circle.0].concat());
        let cert = genesis.encode();
        let env_key = key(&circle, &change.envelope.change_hash.0);
        let env = change.envelope.encode();
        let log_key = key(&circle, &seq.to_be_bytes());
        let writer = self.seal.writer(&circle)?;
        let logged = writer.seal(DOC_LOG, &log_key, &log_value(change))?;
        (&self.meta, &self.certs, &self.envelopes, &self.doc_log)
            .transaction(|(meta, certs, envs, log)| {
                if meta.get("own_circle")?.is_some() {
                    return Err(ConflictableTransactionError::Abort(()));
                }
                meta.insert("own_circle", &circle.0[..])?;
                certs.insert(cert_key.as_slice(), cert.as_slice())?;
                envs.insert(env_key.as_slice(), env.as_slice())?;
                log.insert(log_key.as_slice(), logged.as_slice())?;
                Ok(())
            })
            .map_err(|e| match e {
                TransactionError::Abort(()) => corrupt("a circle already exists here"),
                TransactionError::Storage(e) => e.into(),
            })?;
        drop(writer);
        self.durability.wrote();
        Ok(())
    }

    /// Records that this node follows a sister circle (staged).
    pub fn follow(&self, circle: &Hash32, day: u64) -> Result<(), StoreError> {
        if self.followed.get(circle.0)?.is_none() {
            self.followed.insert(circle.0, &day.to_be_bytes())?;
            self.durability.wrote();
        }
        Ok(())
    }

    /// Whether this node follows `circle`.
    pub fn is_followed(&self, circle: &Hash32) -> Result<bool, StoreError> {
        Ok(self.followed.contains_key(circle.0)?)
    }

    /// Stops following a sister circle (staged). Its replica stays until purged.
    pub fn unfollow(&self, circle: &Hash32) -> Result<(), StoreError> {
        if self.followed.remove(circle.0)?.is_some() {
            self.durability.wrote();
        }
        Ok(())
    }

    /// Stops following a sister circle and deletes everything held of it: certificates,
    /// changes, ledger, evidence, alerts, what peers were last sent of it (a later follow
    /// then syncs it afresh) and its epoch keys (what sled's old segments keep of it can
    /// no longer be opened). Refuses the node's own circle. Durable on return.
    pub fn drop_circle(&self, circle: &Hash32) -> Result<(), StoreError> {
        if self.own_circle()? == Some(*circle) {
            return Err(corrupt("refusing to drop this node's own circle"));
        }
        let _no_sealed_writes = self.seal.changing_epoch()?;
        self.followed.remove(circle.0)?;
        for tree in [
            &self.certs,
            &self.envelopes,
            &self.doc_log,
            &self.doc_snap,
            &self.evidence,
            &self.alerts,
            &self.summary,
        ] {
            for k in tree.scan_prefix(circle.0).keys() {
                tree.remove(k?)?;
            }
        }
        self.drop_vouched(circle)?;
        for k in self.sync_state_keys(circle)? {
            self.sync_state.remove(k)?;
        }
        self.meta.remove(crate::seal::epoch_meta_key(circle))?;
        self.net_counts.forget();
        self.durability.wrote();
        self.sync()?;
        // Only now: a crash before the sync must leave values whose key still exists.
        self.seal.forget(circle)?;
        self.destroy_epoch_keys(circle, None)
    }

    /// The sister circles this node follows.
    pub fn followed(&self) -> Result<Vec<Hash32>, StoreError> {
        self.followed
            .iter()
            .keys()
            .map(|k| {
                let k = k?;
                let arr: [u8; 32] = k
                    .as_ref()
                    .try_into()
                    .map_err(|_| corrupt("followed circle id"))?;
                Ok(Hash32(arr))
            })
            .collect()
    }

    /// Stages a certificate (durable after [`Store::sync`]).
    pub fn put_cert(&self, cert: &TermCert) -> Result<(), StoreError> {
        let circle = cert.circle_id();
        let k = key(
            &circle,
            &[&cert.body.term.to_be_bytes()[..], &cert.id().0].concat(),
        );
        self.certs.insert(k, cert.encode())?;
        self.durability.wrote();
        Ok(())
    }

    /// Every stored certificate of a circle, in term order.
    pub fn certs(&self, circle: &Hash32) -> Result<Vec<TermCert>, StoreError> {
        self.certs
            .scan_prefix(circle.0)
            .values()
            .map(|v| {
                let v = v?;
                TermCert::decode(&v).map_err(|e| corrupt(format!("certificate: {e}")))
            })
            .collect()
    }

    /// Stages verified changes: a few at once atomically; a page each envelope before its
    /// change bytes, so that a crash never leaves a logged change without its envelope.
    pub fn stage_changes(
        &self,
        circle: &Hash32,
        changes: &[SignedChange],
    ) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let writer = self.seal.writer(circle)?;
        let mut rows = Vec::with_capacity(changes.len());
        for c in changes {
            let seq = self.db.generate_id()?;
            let log_key = key(circle, &seq.to_be_bytes());
            rows.push((
                key(circle, &c.envelope.change_hash.0),
                c.envelope.encode(),
                writer.seal(DOC_LOG, &log_key, &log_value(c))?,
                log_key,
            ));
        }
        if rows.len() <= ATOMIC_STAGE {
            // A local write (or a small page): all or nothing, so a write reported as
            // failed (a full disk) leaves no trace of itself.
            (&self.envelopes, &self.doc_log)
                .transaction(|(envs, log)| {
                    for (env_key, env, logged, log_key) in &rows {
                        envs.insert(env_key.as_slice(), env.as_slice())?;
                        log.insert(log_key.as_slice(), logged.as_slice())?;
                    }
                    Ok::<(), ConflictableTransactionError<()>>(())
                })
                .map_err(|e| match e {
                    TransactionError::Abort(()) => corrupt("transaction aborted"),
                    TransactionError::Storage(e) => e.into(),
                })?;
        } else {
            // A sync page: no transaction, whose cost comes back at every open (sled
            // replayed 100,000 transactional pairs in 0.85 s, plain ones in 0.19 s;
            // docs/DECISIONS.md, "Reopen time"). sled recovers a prefix of its log (its
            // crash tests check exactly that), so writing each envelope before its change
            // keeps "every logged change has its envelope" through a crash, and a page cut
            // short is a causal prefix of itself. What it can leave is an envelope whose
            // change was not logged: unused until the change arrives again and is logged.
            for (env_key, env, logged, log_key) in &rows {
                self.envelopes.insert(env_key.as_slice(), env.as_slice())?;
                self.doc_log.insert(log_key.as_slice(), logged.as_slice())?;
            }
        }
        drop(writer);
        self.durability.wrote();
        Ok(())
    }

    pub fn envelope(
        &self,
        circle: &Hash32,
        change: &Hash32,
    ) -> Result<Option<Envelope>, StoreError> {
        match self.envelopes.get(key(circle, &change.0))? {
            None => Ok(None),
            Some(v) => Envelope::decode(&v)
                .map(Some)
                .ok_or_else(|| corrupt("envelope")),
        }
    }

    /// Signed changes of a circle held here: stored envelopes, plus those an installed
    /// snapshot vouched for (whose envelopes never travelled).
    pub fn change_count(&self, circle: &Hash32) -> usize {
        let vouched = self.vouched_changes(circle).unwrap_or(0);
        self.envelopes.scan_prefix(circle.0).count() + vouched as usize
    }

    /// Loads a circle's document: the snapshot, then every logged change in one
    /// `apply_changes` call (each call has a fixed cost that grows with the document).
    pub fn load_doc(&self, circle: &Hash32) -> Result<Option<LoadedDoc>, StoreError> {
        let snapshot = self.read_snapshot(circle)?;
        let mut changes = Vec::new();
        for entry in self.doc_log.scan_prefix(circle.0) {
            let (k, v) = entry?;
            changes.push(parse_logged(&self.seal.open(DOC_LOG, &k, &v)?)?);
        }
        if snapshot.is_none() && changes.is_empty() {
            return Ok(None);
        }
        let mut doc = match snapshot {
            Some(bytes) => {
                Automerge::load(&bytes).map_err(|e| corrupt(format!("snapshot: {e}")))?
            }
            None => Automerge::new(),
        };
        let log_len = changes.len();
        // Even an empty apply has a cost that grows with the document: skip it.
        if !changes.is_empty() {
            doc.apply_changes(changes)
                .map_err(|e| corrupt(format!("applying logged changes: {e}")))?;
        }
        Ok(Some(LoadedDoc { doc, log_len }))
    }

    /// The keys of a circle's logged changes.
    pub(super) fn log_keys(&self, circle: &Hash32) -> Result<Vec<sled::IVec>, StoreError> {
        Ok(self
            .doc_log
            .scan_prefix(circle.0)
            .keys()
            .collect::<Result<_, _>>()?)
    }

    /// Makes `bytes` the circle's snapshot (chunked, with its length and digest in a
    /// header) and removes the log entries `drop_log`, in one transaction. Staged; durable
    /// after [`Store::sync`].
    pub(super) fn replace_snapshot(
        &self,
        circle: &Hash32,
        bytes: &[u8],
        drop_log: &[sled::IVec],
        aborted: &'static str,
    ) -> Result<(), StoreError> {
        let writer = self.seal.writer(circle)?;
        let base = self.next_snapshot_base(circle)?;
        let rows = sealed_snapshot(circle, bytes, &writer.key, base)?;
        let old_snap = self.snapshot_keys(circle)?;
        (&self.doc_snap, &self.doc_log)
            .transaction(|(snap, log)| {
                for k in &old_snap {
                    snap.remove(k)?;
                }
                for k in drop_log {
                    log.remove(k)?;
                }
                for (k, v) in &rows {
                    snap.insert(k.as_slice(), v.as_slice())?;
                }
                Ok::<(), ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                TransactionError::Abort(()) => corrupt(aborted),
                TransactionError::Storage(e) => e.into(),
            })?;
        drop(writer);
        self.durability.wrote();
        Ok(())
    }

    /// The keys of a circle's snapshot chunks and header.
    pub(super) fn snapshot_keys(&self, circle: &Hash32) -> Result<Vec<sled::IVec>, StoreError> {
        Ok(self
            .doc_snap
            .scan_prefix(circle.0)
            .keys()
            .collect::<Result<_, _>>()?)
    }
}

/// A log value: the change hash, then the raw change. The hash doubles as checksum.
fn log_value(c: &SignedChange) -> Vec<u8> {
    let mut v = Vec::with_capacity(32 + c.bytes.len());
    v.extend_from_slice(&c.envelope.change_hash.0);
    v.extend_from_slice(&c.bytes);
    v
}

fn parse_logged(v: &[u8]) -> Result<Change, StoreError> {
    if v.len() < 32 {
        return Err(corrupt("logged change is truncated"));
    }
    let (hash, bytes) = v.split_at(32);
    let c = Change::try_from(bytes).map_err(|e| corrupt(format!("logged change: {e}")))?;
    if c.hash().0 != hash {
        return Err(corrupt("logged change does not match its checksum"));
    }
    Ok(c)
}

fn is_lock_error(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::WouldBlock
        || e.to_string().contains("lock")
        || e.raw_os_error() == Some(11)
}

mod adopt;
mod doc_snap;
mod epoch;
mod evidence;
mod migrate;
mod snapshots;
pub use evidence::{ChangeEvidence, MAX_EVIDENCE};

#[cfg(test)]
mod epoch_tests;
#[cfg(test)]
mod seal_cost;
#[cfg(test)]
mod tests;

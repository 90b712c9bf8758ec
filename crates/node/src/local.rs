//! The node's own circle on disk: store + keys + the in-memory [`Circle`].

use std::path::{Path, PathBuf};

use circle_core::circle::Circle;
use circle_core::envelope::SignedChange;
use circle_core::error::LedgerError;
use circle_core::keys::Hash32;
use circle_core::ledger::{Ledger, Signer};
use circle_core::term::{TermCert, TermChain};
use circle_store::{KeyDir, Store, StoreError, COMPACT_AFTER};

use crate::NodeError;

/// What a write closure returns: its result and the signed change it produced.
pub type Signed<T> = Result<(T, SignedChange), LedgerError>;

/// The circle this node keeps, loaded from its data directory.
#[derive(Debug)]
pub struct LocalCircle {
    store: Store,
    keys: KeyDir,
    circle: Circle,
    pub(crate) log_len: usize,
    root: PathBuf,
    /// Set once a write reached the in-memory ledger but not the disk. sled then refuses
    /// every later write of this process anyway, and the ledger in memory holds a change
    /// the disk does not: no more writes until the circle is opened again.
    failed: Option<String>,
}

fn store_dir(root: &Path) -> PathBuf {
    root.join("store")
}

impl LocalCircle {
    /// Creates a new circle in `root`. Refuses if one exists already.
    pub fn init(
        root: &Path,
        name: &str,
        term_days: u64,
        now: u64,
    ) -> Result<LocalCircle, NodeError> {
        let store = Store::open(&store_dir(root))?;
        if let Some(id) = store.own_circle()? {
            return Err(NodeError::AlreadyInitialised {
                dir: root.to_owned(),
                circle_id: id.to_hex(),
            });
        }
        let keys = KeyDir::open(&root.join("keys"))?;
        let (circle, genesis_change) = Circle::create(name, term_days, now)?;
        // Keys first: a crash after this leaves an uninitialised store and stray
        // keys that the next `init` overwrites; never a circle without its keys.
        keys.put_stewards(0, &circle.keys)?;
        keys.node_secret()?;
        store.create_circle(circle.chain.genesis(), &genesis_change)?;
        store.sync()?;
        Ok(LocalCircle {
            store,
            keys,
            circle,
            log_len: 1,
            root: root.to_owned(),
            failed: None,
        })
    }

    /// Opens the circle kept in `root`.
    pub fn open(root: &Path) -> Result<LocalCircle, NodeError> {
        if !store_dir(root).join("db").exists() {
            return Err(NodeError::NotInitialised(root.to_owned()));
        }
        let store = Store::open(&store_dir(root))?;
        let id = store
            .own_circle()?
            .ok_or_else(|| NodeError::NotInitialised(root.to_owned()))?;
        let mut chain = TermChain::from_certs(store.certs(&id)?)?;
        crate::guard::restore_freezes(&store, &id, &mut chain)?;
        if chain.circle_id() != id {
            return Err(NodeError::Invalid(
                "stored certificates belong to another circle".into(),
            ));
        }
        let loaded = store.load_doc(&id)?.ok_or_else(|| {
            NodeError::Invalid("the circle's ledger is missing from the store".into())
        })?;
        let mut ledger = Ledger::from_doc(loaded.doc, id)?;
        let keys = KeyDir::open(&root.join("keys"))?;
        // A crash between storing a new certificate and destroying the outgoing keys
        // (see `rotate`) leaves them here: destroy them now, they can no longer write.
        keys.destroy_stewards_before(chain.latest().body.term)?;
        let term_keys = keys.stewards(chain.latest().body.term)?;
        if let Some(k) = term_keys.first() {
            ledger.set_actor(circle_core::circle::actor_for(k));
        }
        let mut local = LocalCircle {
            store,
            keys,
            circle: Circle {
                chain,
                ledger,
                keys: term_keys,
            },
            log_len: loaded.log_len,
            root: root.to_owned(),
            failed: None,
        };
        // A certificate stored before its named candidates were taken up (a crash, or
        // one that arrived while this device was down): take them up now.
        local.adopt_keys()?;
        Ok(local)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn circle(&self) -> &Circle {
        &self.circle
    }

    pub(crate) fn circle_mut(&mut self) -> &mut Circle {
        &mut self.circle
    }

    pub fn circle_id(&self) -> Hash32 {
        self.circle.circle_id()
    }

    /// This node's libp2p PeerId (transport identity, never used to sign ledger content).
    pub fn peer_id(&self) -> Result<String, NodeError> {
        let secret = self.keys.node_secret()?;
        circle_net::peer_id(secret).map_err(|e| NodeError::Invalid(e.to_string()))
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn keys(&self) -> &KeyDir {
        &self.keys
    }

    /// Makes one signed write and returns only once it is durable.
    pub fn write<T>(
        &mut self,
        now: u64,
        f: impl FnOnce(&mut Ledger, &Signer<'_>) -> Signed<T>,
    ) -> Result<T, NodeError> {
        let out = self.stage(now, f)?;
        self.commit()?;
        Ok(out)
    }

    /// Makes a signed write without waiting for durability; call [`LocalCircle::commit`]
    /// before acknowledging it. Many staged writes share one commit (group commit).
    pub fn stage<T>(
        &mut self,
        now: u64,
        f: impl FnOnce(&mut Ledger, &Signer<'_>) -> Signed<T>,
    ) -> Result<T, NodeError> {
        self.writable()?;
        self.refuse_while_pending(now)?;
        let Circle {
            ledger,
            keys,
            chain,
        } = &mut self.circle;
        let signer = circle_core::circle::writer(chain, keys, now)?;
        let (out, change) = f(ledger, &signer)?;
        let staged = self.store.stage_changes(&chain.circle_id(), &[change]);
        self.stored(staged)?;
        self.log_len += 1;
        Ok(out)
    }

    /// Makes every staged write durable; compacts the document when its log is long.
    pub fn commit(&mut self) -> Result<(), NodeError> {
        self.writable()?;
        if self.log_len >= COMPACT_AFTER {
            let compacted = self
                .store
                .compact(&self.circle.circle_id(), self.circle.ledger.doc());
            self.stored(compacted)?;
            self.log_len = 0;
        }
        let synced = self.store.sync();
        self.stored(synced)
    }

    /// Why writes stopped, if an earlier one could not be stored (see `failed`).
    pub fn failure(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    pub(crate) fn writable(&self) -> Result<(), NodeError> {
        match &self.failed {
            Some(why) => Err(NodeError::StoreFailed(why.clone())),
            None => Ok(()),
        }
    }

    /// Passes a store result on, remembering a failure of the disk.
    fn stored<T>(&mut self, result: Result<T, StoreError>) -> Result<T, NodeError> {
        result.map_err(|e| {
            if e.is_write_failure() {
                self.failed = Some(e.to_string());
            }
            e.into()
        })
    }

    /// Certifies the next steward term with fresh keys on this node and destroys the
    /// outgoing keys. Returns the new certificate once it is durable.
    pub fn rotate(
        &mut self,
        term_days: u64,
        stewards: usize,
        now: u64,
    ) -> Result<TermCert, NodeError> {
        self.writable()?;
        self.refuse_rotate_while_pending(now)?;
        let cert = self.circle.rotate(term_days, stewards, now)?;
        let term = cert.body.term;
        // New keys, then the certificate, then destroy the old keys: a crash at any
        // point leaves the circle writable by exactly one certified term.
        let keys = self.keys.put_stewards(term, &self.circle.keys);
        self.stored(keys)?;
        let put = self.store.put_cert(&cert);
        self.stored(put)?;
        let synced = self.store.sync();
        self.stored(synced)?;
        self.keys.destroy_stewards_before(term)?;
        Ok(cert)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A crash after the new certificate is durable but before the outgoing keys are
    /// destroyed: the next open destroys them.
    #[test]
    fn old_keys_left_by_a_crash_are_destroyed_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let now = circle_core::testing::T0;
        let mut local = LocalCircle::init(dir.path(), "Home", 14, now).unwrap();
        // `rotate` up to the crash point.
        let cert = local.circle.rotate(14, 1, now + 86_400).unwrap();
        local.keys.put_stewards(1, &local.circle.keys).unwrap();
        local.store.put_cert(&cert).unwrap();
        local.store.sync().unwrap();
        assert_eq!(local.keys.stewards(0).unwrap().len(), 1, "left behind");
        drop(local);
        let local = LocalCircle::open(dir.path()).unwrap();
        assert!(local.keys.stewards(0).unwrap().is_empty());
        assert_eq!(local.keys.stewards(1).unwrap().len(), 1);
        assert_eq!(local.circle().term(), 1);
    }
}

//! Rebuilding a data directory's own circle from a bundle of its ledger, after its
//! store was lost or damaged while its steward keys were kept.
//!
//! Nothing is written until the whole bundle has verified against its certificates,
//! and only a bundle of the circle whose current stewards' keys this directory holds is
//! accepted: a restore never makes this directory another circle's.

use std::path::Path;

use circle_core::bundle::Bundle;
use circle_core::ledger::Ledger;
use circle_core::term::TermChain;
use circle_core::validate::ingest;
use circle_store::{KeyDir, Store};

use crate::{ImportReport, LocalCircle, NodeError};

impl LocalCircle {
    /// Restores the own circle of `root` from `bundle` into an empty store: the one way
    /// a circle is rebuilt from its bundle (`circle restore FILE`, and `circle import`
    /// into a data directory that holds no circle yet, both end here).
    pub fn restore(
        root: &Path,
        bundle: Bundle,
        now: u64,
    ) -> Result<(LocalCircle, ImportReport), NodeError> {
        let keys_dir = root.join("keys");
        if !keys_dir.is_dir() {
            return Err(NodeError::Invalid(format!(
                "{} holds no circle: to restore one, copy the backup's keys directory to {} first",
                root.display(),
                keys_dir.display()
            )));
        }
        let chain = TermChain::from_certs(bundle.certs.clone())?;
        if chain.circle_id() != bundle.circle_id {
            return Err(NodeError::Invalid(
                "the bundle's certificates belong to another circle".into(),
            ));
        }
        let keys = KeyDir::open(&keys_dir)?;
        let latest = &chain.latest().body;
        let held = keys.stewards(latest.term)?;
        if held.is_empty() || !held.iter().all(|k| latest.stewards.contains(&k.public())) {
            return Err(NodeError::Invalid(format!(
                "the keys in {} are not those of circle {}'s current term {}: this directory \
                 holds no steward key of that term (the bundle is another circle's, or older than \
                 this circle's last rotation: use a newer bundle, or the keys directory of the \
                 same backup)",
                keys_dir.display(),
                bundle.circle_id,
                latest.term
            )));
        }
        LocalCircle::adopt_bundle(root, &chain, bundle, now)
    }

    /// Makes `bundle`'s circle the own circle of `root`, whose store holds no circle yet:
    /// every change is verified before anything is stored (restore and join end here).
    pub(crate) fn adopt_bundle(
        root: &Path,
        chain: &TermChain,
        bundle: Bundle,
        now: u64,
    ) -> Result<(LocalCircle, ImportReport), NodeError> {
        if let Some(base) = &bundle.base {
            return LocalCircle::adopt_base(root, chain, bundle.clone(), base, now);
        }
        // Verify every change before anything is stored.
        let mut check = Ledger::empty_replica(chain.circle_id());
        let verified = ingest(&mut check, chain, bundle.changes.clone(), now);
        let first = check
            .doc()
            .get_changes(&[])
            .first()
            .map(|c| c.hash().0)
            .ok_or_else(|| NodeError::Invalid("the bundle holds no verified change".into()))?;
        let genesis = verified
            .applied
            .iter()
            .find(|c| c.envelope.change_hash.0 == first)
            .ok_or_else(|| {
                NodeError::Invalid("the bundle lacks the ledger's first change".into())
            })?;
        {
            let store = Store::open(&root.join("store"))?;
            if let Some(id) = store.own_circle()? {
                return Err(NodeError::AlreadyInitialised {
                    dir: root.to_owned(),
                    circle_id: id.to_hex(),
                });
            }
            store.create_circle(chain.genesis(), genesis)?;
            store.sync()?;
        }
        let mut local = LocalCircle::open(root)?;
        let report = local.import(bundle, now)?;
        Ok((local, report))
    }

    /// `adopt_bundle` for a circle past a forgetting handover: its base is verified
    /// against the chain before anything is stored, then becomes the ledger, and the
    /// changes after it are imported as any bundle's.
    fn adopt_base(
        root: &Path,
        chain: &TermChain,
        bundle: Bundle,
        base: &[u8],
        now: u64,
    ) -> Result<(LocalCircle, ImportReport), NodeError> {
        let id = chain.circle_id();
        let store = Store::open(&root.join("store"))?;
        if let Some(held) = store.own_circle()? {
            return Err(NodeError::AlreadyInitialised {
                dir: root.to_owned(),
                circle_id: held.to_hex(),
            });
        }
        let (doc, signed) = LocalCircle::open_base(&store, &id, chain, base, now)?;
        crate::guard::store_certs(&store, chain)?;
        store.create_circle_at_epoch(chain.genesis(), chain.epoch(), &doc.save())?;
        // After: a new epoch starts with no kept snapshot.
        LocalCircle::keep_base(&store, &id, base, signed)?;
        store.sync()?;
        drop(store);
        let mut local = LocalCircle::open(root)?;
        let report = local.import(bundle, now)?;
        Ok((local, report))
    }
}

//! Devices of one circle. Any node that holds a circle as its own is one of its devices:
//! the node that created it, and every node that joined it with `circle join`. Devices
//! pull the own circle from each other exactly as followers pull a sister's (pull-only,
//! every change verified against the term chain), so a write made on one steward device
//! reaches the others, and a device that holds no steward key of the current term reads.

use std::path::Path;

use circle_core::bundle::Bundle;
use circle_core::circle::actor_for;
use circle_core::ledger::Ledger;
use circle_core::term::TermChain;
use circle_store::{KeyDir, Store};

use crate::guard::chain_mark;
use crate::sisters::Replica;
use crate::{ImportReport, LocalCircle, NodeError};

impl LocalCircle {
    /// Makes `root`, a data directory with no circle yet, a device of `bundle`'s circle
    /// (pulled from one of its devices by `circle join`). The device holds no steward
    /// key: it reads, serves and syncs the ledger, and writes once a handover names a
    /// key it volunteered.
    pub fn join(
        root: &Path,
        bundle: Bundle,
        now: u64,
    ) -> Result<(LocalCircle, ImportReport), NodeError> {
        let chain = TermChain::from_certs(bundle.certs.clone())?;
        if chain.circle_id() != bundle.circle_id {
            return Err(NodeError::Invalid(
                "the ledger served for that invite belongs to another circle".into(),
            ));
        }
        {
            let store = Store::open(&root.join("store"))?;
            if let Some(id) = store.own_circle()? {
                return Err(NodeError::AlreadyInitialised {
                    dir: root.to_owned(),
                    circle_id: id.to_hex(),
                });
            }
        }
        // The device's own transport identity, made before the circle exists here.
        KeyDir::open(&root.join("keys"))?.node_secret()?;
        LocalCircle::adopt_bundle(root, &chain, bundle, now)
    }

    /// Whether this device holds a steward key of the current term (it can write).
    pub fn holds_steward_key(&self) -> bool {
        let stewards = &self.circle().chain.latest().body.stewards;
        self.circle()
            .keys
            .iter()
            .any(|k| stewards.contains(&k.public()))
    }

    /// Lends the own circle's chain and ledger as a [`Replica`], so that a page pulled
    /// from another device is kept by the same code as a sister's. The caller holds the
    /// local circle's lock until [`LocalCircle::take_back`]: nothing sees it empty.
    pub(crate) fn lend(&mut self) -> Replica {
        let id = self.circle_id();
        let chain = self.circle().chain.clone();
        let ledger = std::mem::replace(&mut self.circle_mut().ledger, Ledger::empty_replica(id));
        Replica {
            checked: chain_mark(&chain),
            chain,
            ledger,
            log_len: self.log_len,
            own: true,
        }
    }

    /// Takes back what [`LocalCircle::lend`] lent, with what the page added.
    pub(crate) fn take_back(&mut self, replica: Replica) {
        self.log_len = replica.log_len;
        let circle = self.circle_mut();
        circle.chain = replica.chain;
        circle.ledger = replica.ledger;
        // A rebuilt ledger comes back with a fresh actor: writes go on under this
        // device's own one.
        if let Some(k) = circle.keys.first() {
            circle.ledger.set_actor(actor_for(k));
        }
    }
}

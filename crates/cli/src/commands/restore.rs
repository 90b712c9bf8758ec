//! Restoring the own circle on a new machine (a new SD card): `circle import BUNDLE` on a
//! data directory that holds no circle yet, but holds the circle's `keys` directory
//! copied from the backup. See docs/PI.md, "Backups".
//!
//! Nothing is trusted because it sits in a file: the certificates must verify as one
//! chain of the bundle's circle, the keys directory must hold a steward key of that
//! chain's latest term (else the restored circle could not write), and every change
//! goes through the same verification as any import.

use std::path::Path;

use anyhow::{bail, Context, Result};
use circle_core::bundle::{Bundle, MAX_BUNDLE_BYTES};
use circle_core::ledger::Ledger;
use circle_core::term::TermChain;
use circle_core::validate::ingest;
use circle_store::{KeyDir, Store};
use serde_json::json;

use crate::Report;

/// Whether `dir` holds no circle yet (so an import there is a restore).
pub(crate) fn is_empty_data_dir(dir: &Path) -> bool {
    !dir.join("store").join("db").exists()
}

pub(crate) fn restore(dir: &Path, file: &Path, now: u64) -> Result<Report> {
    let keys_dir = dir.join("keys");
    if !keys_dir.is_dir() {
        bail!(
            "{} holds no circle: to restore one, copy the backup's keys directory to {} first \
             (to take a sister's bundle, create this node's circle with `circle init`)",
            dir.display(),
            keys_dir.display()
        );
    }
    let bytes = super::sisters::read_capped(file, MAX_BUNDLE_BYTES)?;
    let bundle =
        Bundle::decode(&bytes).with_context(|| format!("cannot restore {}", file.display()))?;
    let chain = TermChain::from_certs(bundle.certs.clone())
        .with_context(|| format!("cannot restore {}", file.display()))?;
    if chain.circle_id() != bundle.circle_id {
        bail!("the bundle's certificates belong to another circle");
    }
    // The keys must be this circle's: a steward key of its latest term.
    let keys = KeyDir::open(&keys_dir)?;
    let latest = &chain.latest().body;
    let held = keys.stewards(latest.term)?;
    if !held.iter().any(|k| latest.stewards.contains(&k.public())) {
        bail!(
            "the keys in {} are not those of circle {}'s current term {}: copy the keys \
             directory of the same backup",
            keys_dir.display(),
            bundle.circle_id,
            latest.term
        );
    }
    // The genesis change (first in causal order) is verified before it is stored, against
    // the genesis term alone (later terms would hold it back until their handover).
    let genesis = bundle
        .changes
        .first()
        .cloned()
        .context("the bundle holds no changes")?;
    let mut ledger = Ledger::empty_replica(bundle.circle_id);
    let genesis_term = TermChain::from_certs(vec![chain.genesis().clone()])?;
    let checked = ingest(&mut ledger, &genesis_term, vec![genesis.clone()], now);
    if checked.applied.len() != 1 {
        bail!("the bundle's first change is not its circle's signed genesis");
    }
    let store = Store::open(&dir.join("store"))?;
    store.create_circle(chain.genesis(), &genesis)?;
    store.sync()?;
    drop(store);
    let mut local = super::open(dir)?;
    let r = local.import(bundle, now)?;
    Ok(Report::new(
        json!({ "restored": true, "circle_id": r.circle_id, "name": r.name,
                "changes": local.store().change_count(&local.circle_id()),
                "rejected": r.rejected, "compliant": r.compliant }),
        format!(
            "restored circle \"{}\" ({}): {} signed changes, {} rejected; \
             start the node with `circle serve`",
            r.name,
            r.circle_id,
            local.store().change_count(&local.circle_id()),
            r.rejected
        ),
    ))
}

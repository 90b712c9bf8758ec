//! Restoring the own circle from a bundle of its ledger, with its `keys` directory kept
//! or copied from the backup: `circle restore FILE` (after a store was lost or damaged),
//! and `circle import BUNDLE` on a data directory that holds no circle yet (a new SD
//! card; see docs/PI.md, "Backups"). Both run one code path, the node's
//! [`LocalCircle::restore`]: the certificates must verify as one chain of the bundle's
//! circle, the keys directory must hold this chain's current steward keys (else the
//! restored circle could not write), every change is verified before anything is stored,
//! and nothing is created when any of that fails.

use std::path::Path;

use anyhow::{Context, Result};
use circle_core::bundle::{Bundle, MAX_BUNDLE_BYTES};
use circle_node::LocalCircle;
use serde_json::json;

use crate::Report;

/// Which command asked for the restore: only the words of a refusal differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Restore {
    /// `circle restore FILE`.
    Command,
    /// `circle import BUNDLE` into a data directory with no circle yet.
    Import,
}

/// Whether `dir` holds no circle yet (so an import there is a restore).
pub(crate) fn is_empty_data_dir(dir: &Path) -> bool {
    !dir.join("store").join("db").exists()
}

pub(crate) fn restore(dir: &Path, file: &Path, by: Restore, now: u64) -> Result<Report> {
    let bytes = super::sisters::read_capped(file, MAX_BUNDLE_BYTES)?;
    let bundle =
        Bundle::decode(&bytes).with_context(|| format!("cannot restore {}", file.display()))?;
    let (local, r) = LocalCircle::restore(dir, bundle, now).map_err(|e| {
        let e = anyhow::Error::new(e);
        // An import with no keys here was perhaps meant for a sister's bundle.
        if by == Restore::Import && !dir.join("keys").is_dir() {
            anyhow::anyhow!(
                "{e:#} (to take a sister's bundle, create this node's circle with `circle init`)"
            )
        } else {
            e.context(format!("cannot restore the circle in {}", dir.display()))
        }
    })?;
    let name = local.circle().ledger.name();
    let changes = local.store().change_count(&local.circle_id());
    // The verdict `protocol status` gives, from the ledger as stored.
    let compliant = local
        .compliance_of(&local.circle_id(), now)?
        .is_some_and(|(c, _)| c.compliant);
    let term = local.circle().term();
    Ok(Report::new(
        json!({ "restored": true, "circle_id": r.circle_id, "name": name, "changes": changes,
                "rejected": r.rejected, "compliant": compliant, "term": term }),
        format!(
            "restored circle \"{name}\" ({}): {changes} signed changes, {} rejected; writes as \
             term {term}; start the node with `circle serve`",
            r.circle_id, r.rejected,
        ),
    ))
}

//! The own circle's record, encrypted for its own safekeeping (docs/ARCHIVE.md):
//! [`LocalCircle::archive`] writes every epoch this node still holds, and
//! [`LocalCircle::restore_archive`] brings an archive back beside the circle, apart from
//! what the node serves.
//!
//! An archive is read like any peer's input: its passphrase only opens it. Every epoch
//! is verified as a bundle is by `circle import` (certificate chain, every signature,
//! every rule, through `ingest`) before a byte of it is written, and everything is
//! written to a scratch directory first, so a refused archive leaves nothing behind.

mod format;

use std::io::BufRead;
use std::path::{Path, PathBuf};

pub use age::secrecy::{ExposeSecret, SecretString};
use circle_core::bundle::Bundle;
use circle_core::checkpoint::{Snapshot, SnapshotLimits, Vouch};
use circle_core::ledger::Ledger;
use circle_core::term::TermChain;
use circle_core::validate::ingest;
use serde::Serialize;

pub use format::ArchiveError;
use format::{EntryKind, EpochMeta, Header};

use crate::{LocalCircle, NodeError};

/// Where restored epochs are kept: beside the store, never read by the node itself.
pub const RESTORED_DIR: &str = "archived";

/// What `circle archive` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct SealedArchive {
    /// The encrypted file.
    #[serde(skip)]
    pub bytes: Vec<u8>,
    pub circle_id: String,
    pub epochs: usize,
    pub changes: usize,
}

/// One epoch restored from an archive.
#[derive(Debug, Clone, Serialize)]
pub struct RestoredEpoch {
    pub epoch: u64,
    pub first_term: u64,
    pub last_term: u64,
    pub changes: usize,
    /// Where its ledger now is (`ledger.automerge`, `ledger.json`, `bundle`).
    pub dir: PathBuf,
}

/// What `circle import ARCHIVE` restored.
#[derive(Debug, Clone, Serialize)]
pub struct RestoredArchive {
    pub circle_id: String,
    pub written_at: u64,
    pub epochs: Vec<RestoredEpoch>,
}

fn invalid(e: ArchiveError) -> NodeError {
    NodeError::Invalid(e.to_string())
}

impl LocalCircle {
    /// Every epoch of the own circle this node still holds, encrypted to `passphrase`.
    /// Today a node holds one epoch (the ledger and its whole term chain); each epoch is
    /// one entry, so forgetting (issue 11) adds entries, not a new format. No key leaves
    /// the data directory: an entry is certificates and signed changes, all public to
    /// the circle's devices anyway.
    pub fn archive(&self, passphrase: SecretString, now: u64) -> Result<SealedArchive, NodeError> {
        let id = self.circle_id();
        let bundle = self.bundle(&id)?;
        let chain = &self.circle().chain;
        let meta = EpochMeta {
            epoch: chain.epoch(),
            first_term: chain.epoch_first_term(),
            last_term: chain.latest().body.term,
            changes: bundle.changes.len() as u64,
            kind: EntryKind::SignedBundle as u8,
        };
        let mut plain = Vec::new();
        format::write_header(
            &mut plain,
            &Header {
                circle_id: id,
                written_at: now,
                epochs: 1,
            },
        );
        format::write_entry(&mut plain, &meta, &bundle.encode());
        let bytes = format::seal(&plain, passphrase).map_err(invalid)?;
        Ok(SealedArchive {
            bytes,
            circle_id: id.to_hex(),
            epochs: 1,
            changes: bundle.changes.len(),
        })
    }

    /// Verifies every epoch of an archive of this circle, then keeps each under
    /// `archived/CIRCLE_ID/epoch-N/` of the data directory. The node never serves these:
    /// a restored epoch is the circle's record, not its ledger, and a forgotten epoch
    /// must not travel again because someone restored it. Nothing is kept unless the
    /// whole archive verifies.
    pub fn restore_archive(
        &self,
        input: impl BufRead,
        passphrase: SecretString,
        now: u64,
    ) -> Result<RestoredArchive, NodeError> {
        let own = self.circle_id();
        let mut r = format::open(input, passphrase).map_err(invalid)?;
        let header = format::read_header(&mut r).map_err(invalid)?;
        if header.circle_id != own {
            return Err(NodeError::Invalid(format!(
                "this is an archive of circle {}, not of this node's circle {own}: restore it \
                 on a device of that circle",
                header.circle_id
            )));
        }
        let base = self.root().join(RESTORED_DIR).join(own.to_hex());
        let scratch = Scratch::new(&base)?;
        let mut epochs = Vec::new();
        for _ in 0..header.epochs {
            let (meta, body) = format::read_entry(&mut r).map_err(invalid)?;
            let epoch = verify_epoch(own, &meta, &body, now)?;
            let dir = scratch.dir.join(format!("epoch-{}", meta.epoch));
            if dir.exists() {
                return Err(NodeError::Invalid(format!(
                    "the archive holds epoch {} twice",
                    meta.epoch
                )));
            }
            write_epoch(&dir, &epoch, &body)?;
            epochs.push(RestoredEpoch {
                epoch: meta.epoch,
                first_term: meta.first_term,
                last_term: meta.last_term,
                changes: epoch.changes,
                dir: base.join(format!("epoch-{}", meta.epoch)),
            });
        }
        format::read_end(&mut r).map_err(invalid)?;
        scratch.commit(&base)?;
        Ok(RestoredArchive {
            circle_id: own.to_hex(),
            written_at: header.written_at,
            epochs,
        })
    }
}

/// The whole plaintext of an archive, unchecked beyond its encryption: to inspect what
/// an archive holds (tests scan it for key material). Bounded as [`format::open`] is.
pub fn plaintext(input: impl BufRead, passphrase: SecretString) -> Result<Vec<u8>, ArchiveError> {
    use std::io::Read;
    let mut out = Vec::new();
    format::open(input, passphrase)?
        .read_to_end(&mut out)
        .map_err(|e| ArchiveError::Damaged(e.to_string()))?;
    Ok(out)
}

/// An epoch's ledger as verified.
struct Verified {
    doc: automerge::Automerge,
    changes: usize,
}

/// The checks of `circle import BUNDLE`, on one epoch: the same decoder, chain and
/// `ingest`, into an empty replica. Unlike a sister's bundle, an archive is all or
/// nothing: one change that does not verify refuses the archive.
fn verify_epoch(
    own: circle_core::keys::Hash32,
    meta: &EpochMeta,
    body: &[u8],
    now: u64,
) -> Result<Verified, NodeError> {
    let e = meta.epoch;
    let bundle = Bundle::decode(body)
        .map_err(|err| NodeError::Invalid(format!("epoch {e} of the archive: {err}")))?;
    let chain = TermChain::from_certs(bundle.certs.clone())?;
    if bundle.circle_id != own || chain.circle_id() != own {
        return Err(NodeError::Invalid(format!(
            "epoch {e} of the archive belongs to another circle"
        )));
    }
    if chain.epoch() != e
        || chain.epoch_first_term() != meta.first_term
        || chain.latest().body.term != meta.last_term
    {
        return Err(NodeError::Invalid(format!(
            "epoch {e}'s index names terms its certificates do not hold"
        )));
    }
    // Past a forgetting handover the epoch starts at its base, vouched by the chain.
    let mut replica = match &bundle.base {
        None if e == 0 => Ledger::empty_replica(own),
        None => {
            return Err(NodeError::Invalid(format!(
                "epoch {e} of the archive has no base"
            )))
        }
        Some(base) => {
            let refused = |why: String| NodeError::Invalid(format!("epoch {e}'s base: {why}"));
            let snapshot = Snapshot::decode(base).map_err(|x| refused(x.to_string()))?;
            if !matches!(snapshot.vouch, Vouch::Epoch { .. }) {
                return Err(refused("not vouched by the epoch's certificate".into()));
            }
            snapshot
                .open_with_document(&chain, now, SnapshotLimits::default())
                .map_err(|x| refused(x.to_string()))?
                .0
        }
    };
    let report = ingest(&mut replica, &chain, bundle.changes, now);
    if let Some((hash, why)) = report.rejected.first() {
        return Err(NodeError::Invalid(format!(
            "epoch {e} of the archive holds {} change(s) that do not verify (first: {hash}: {why})",
            report.rejected.len()
        )));
    }
    if !report.pending.is_empty() || report.duplicates > 0 {
        return Err(NodeError::Invalid(format!(
            "epoch {e} of the archive is incomplete or repeats changes ({} waiting for missing \
             ones, {} repeated)",
            report.pending.len(),
            report.duplicates
        )));
    }
    if report.applied.len() as u64 != meta.changes {
        return Err(NodeError::Invalid(format!(
            "epoch {e}'s index says {} changes, {} verified",
            meta.changes,
            report.applied.len()
        )));
    }
    // The same schema check a stored ledger passes on open.
    let ledger = Ledger::from_doc(replica.doc().clone(), own)?;
    Ok(Verified {
        doc: ledger.doc().clone(),
        changes: report.applied.len(),
    })
}

/// A verified epoch on disk: the standard document (any Automerge reads it), the same
/// as JSON for people, and the bundle it was verified from (to verify it again).
fn write_epoch(dir: &Path, epoch: &Verified, bundle: &[u8]) -> Result<(), NodeError> {
    create_private_dir(dir)?;
    let json = serde_json::to_vec_pretty(&automerge::AutoSerde::from(&epoch.doc))
        .map_err(|e| NodeError::Invalid(format!("cannot render the epoch as JSON: {e}")))?;
    for (name, bytes) in [
        ("ledger.automerge", epoch.doc.save()),
        ("ledger.json", json),
        ("bundle", bundle.to_vec()),
    ] {
        write_private(&dir.join(name), &bytes)?;
    }
    Ok(())
}

fn io(e: std::io::Error) -> NodeError {
    NodeError::Store(circle_store::StoreError::from(e))
}

fn create_private_dir(dir: &Path) -> Result<(), NodeError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), NodeError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)
}

/// A scratch directory beside the restored epochs, removed unless committed: what a
/// refused archive wrote before it was refused goes with it, and so do the directories
/// made to hold it.
struct Scratch {
    dir: PathBuf,
    /// Directories this restore created (outermost first), removed again if empty.
    made: Vec<PathBuf>,
    committed: bool,
}

impl Scratch {
    fn new(base: &Path) -> Result<Scratch, NodeError> {
        let made: Vec<PathBuf> = base
            .ancestors()
            .take(2)
            .filter(|d| !d.exists())
            .map(Path::to_path_buf)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        create_private_dir(base)?;
        let dir = base.join(format!(
            ".incoming-{}",
            hex::encode(rand::random::<u64>().to_be_bytes())
        ));
        let scratch = Scratch {
            dir,
            made,
            committed: false,
        };
        create_private_dir(&scratch.dir)?;
        Ok(scratch)
    }

    /// Moves every epoch into place, replacing one restored before under the same
    /// number (a later archive of an epoch holds all the earlier one did, and more).
    fn commit(mut self, base: &Path) -> Result<(), NodeError> {
        for entry in std::fs::read_dir(&self.dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let target = base.join(entry.file_name());
            if target.exists() {
                std::fs::remove_dir_all(&target).map_err(io)?;
            }
            std::fs::rename(entry.path(), &target).map_err(io)?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if !self.committed {
            for d in self.made.iter().rev() {
                let _ = std::fs::remove_dir(d);
            }
        }
    }
}

#[cfg(test)]
mod tests;

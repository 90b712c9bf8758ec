//! A vouched history as one compact document, and its verified load.
//!
//! On the wire a [`Snapshot`] is the vouch (see [`super::Vouch`]), the exact length of
//! the document and the document itself: Automerge's `save_nocompress()` (no column is
//! deflated inside), deflated as a whole by us. Automerge is never handed a compressed
//! column to inflate; our inflate is bounded by the declared length, itself capped.
//!
//! [`Snapshot::open`] does, in order, each step cheaper than the next and each bounding
//! the work of the next: the vouch against the verified certificate chain (no document
//! byte looked at yet); the size caps; the bounded inflate; a pre-scan of the document
//! chunk ([`prescan_document`]: exactly one document chunk, no trailing change chunk,
//! no deflated column, every column's rows counted from run lengths and capped); then
//! Automerge's load in [`VerificationMode::Check`] into a scratch document, with panics
//! contained; then the heads of that document — derived from the reconstructed changes,
//! whose hashes Automerge computes from their content — compared with the vouched
//! heads; then no change of a writer frozen for equivocation; then the ledger shape.
//! Only a snapshot passing all of them becomes a ledger; anything else is dropped.

use std::collections::BTreeSet;
use std::io::{Read, Write};

use automerge::{Automerge, ChangeHash, LoadOptions, OnPartialLoad, VerificationMode};
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};

use super::{CheckpointError, Vouch, MAX_CHECKPOINT_HEADS};
use crate::error::ValidationError;
use crate::keys::Hash32;
use crate::ledger::Ledger;
use crate::term::TermChain;
use crate::validate::chunk::{check_rows, Reader};

/// Largest deflated document accepted (a 100,000-change ledger is about 1.8 MB).
pub const MAX_SNAPSHOT_BYTES: u64 = 64 * 1024 * 1024;
/// Largest inflated document accepted (the same ledger is about 9.3 MB).
pub const MAX_SNAPSHOT_INFLATED: u64 = 256 * 1024 * 1024;
/// Most rows a change column of the document may declare: changes in the history.
pub const MAX_SNAPSHOT_CHANGES: u64 = 2_000_000;
/// Most rows an op column of the document may declare: operations in the history.
pub const MAX_SNAPSHOT_OPS: u64 = 20_000_000;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const DOCUMENT_CHUNK: u8 = 0;
/// Bit 3 of a column spec: the column is deflated inside the chunk.
const DEFLATE_BIT: u64 = 0b1000;
/// The spec of a document chunk's change actor column (column 0, of actor type): one
/// row per change, so its rows count the history's changes.
const CHANGE_ACTOR_COLUMN: u64 = 1;

/// The bounds [`Snapshot::open`] enforces (a node may lower them, e.g. on a Pi).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotLimits {
    pub max_bytes: u64,
    pub max_inflated: u64,
    pub max_changes: u64,
    pub max_ops: u64,
}

impl Default for SnapshotLimits {
    fn default() -> Self {
        SnapshotLimits {
            max_bytes: MAX_SNAPSHOT_BYTES,
            max_inflated: MAX_SNAPSHOT_INFLATED,
            max_changes: MAX_SNAPSHOT_CHANGES,
            max_ops: MAX_SNAPSHOT_OPS,
        }
    }
}

/// A verified snapshot, loaded.
#[derive(Debug)]
pub struct Opened {
    /// Exactly the vouched history.
    pub ledger: Ledger,
    /// The inflated document (Automerge's uncompressed format, loadable as it is).
    pub document: Vec<u8>,
    /// Changes of the history a per-change sync would have carried with a signature:
    /// every change but an epoch's base. Counted from the document's columns, which
    /// the load reconstructed the changes from.
    pub signed: u64,
}

/// A vouched history, as sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub vouch: Vouch,
    /// Exact length of the inflated document.
    pub inflated_len: u64,
    /// `save_nocompress()` of the vouched history, raw-deflated.
    #[serde(with = "bytes")]
    pub deflated: Vec<u8>,
}

impl Snapshot {
    /// The snapshot of `doc`, which must be exactly the vouched history (its heads the
    /// vouched heads: see [`Snapshot::history_at`]).
    pub fn build(doc: &Automerge, vouch: Vouch) -> Result<Snapshot, CheckpointError> {
        let plain = doc.save_nocompress();
        let mut z = DeflateEncoder::new(Vec::new(), Compression::default());
        let deflated = z
            .write_all(&plain)
            .and_then(|_| z.finish())
            .map_err(|_| CheckpointError::Encoding)?;
        Ok(Snapshot {
            vouch,
            inflated_len: plain.len() as u64,
            deflated,
        })
    }

    /// The history of `doc` up to `heads`: `doc` itself if those are its heads, else a
    /// fork at them (a replay of that history: done once per checkpoint, not per peer).
    pub fn history_at(doc: &Automerge, heads: &[Hash32]) -> Result<Automerge, CheckpointError> {
        let want: Vec<ChangeHash> = heads.iter().map(|h| ChangeHash(h.0)).collect();
        if sorted_heads(doc) == sorted(heads) {
            return Ok(doc.clone());
        }
        doc.fork_at(&want)
            .map_err(|e| CheckpointError::Load(e.to_string()))
    }

    /// Verifies the snapshot against the verified `chain` at `now` and loads it: see
    /// the module documentation for every check, in order. The ledger returned holds
    /// exactly the vouched history, and nothing of a frozen writer.
    pub fn open(
        &self,
        chain: &TermChain,
        now: u64,
        limits: SnapshotLimits,
    ) -> Result<Ledger, CheckpointError> {
        self.open_with_document(chain, now, limits)
            .map(|(ledger, _)| ledger)
    }

    /// [`Snapshot::open`], also returning the verified document's bytes (Automerge's
    /// uncompressed format, loadable as it is), for the caller's store.
    pub fn open_with_document(
        &self,
        chain: &TermChain,
        now: u64,
        limits: SnapshotLimits,
    ) -> Result<(Ledger, Vec<u8>), CheckpointError> {
        self.open_counted(chain, now, limits)
            .map(|o| (o.ledger, o.document))
    }

    /// [`Snapshot::open_with_document`], also counting the history's signed changes.
    pub fn open_counted(
        &self,
        chain: &TermChain,
        now: u64,
        limits: SnapshotLimits,
    ) -> Result<Opened, CheckpointError> {
        let heads = self.vouch.heads(chain, now)?;
        let bytes = self.inflate(limits)?;
        let changes = prescan_document(&bytes, &limits)?;
        let loaded = std::panic::catch_unwind(|| {
            let options = LoadOptions::new()
                .on_partial_load(OnPartialLoad::Error)
                .verification_mode(VerificationMode::Check);
            Automerge::load_with_options(&bytes, options)
        });
        let doc = match loaded {
            Ok(Ok(doc)) => doc,
            Ok(Err(e)) => return Err(CheckpointError::Load(e.to_string())),
            Err(_) => return Err(CheckpointError::Load("Automerge panicked".into())),
        };
        if sorted_heads(&doc) != heads {
            return Err(CheckpointError::HeadsMismatch);
        }
        refuse_frozen(&doc, chain)?;
        let ledger = Ledger::from_doc(doc, chain.circle_id())
            .map_err(|e| CheckpointError::NotALedger(e.to_string()))?;
        // Past a forgetting handover the history starts at the epoch's base, which every
        // node derives and none signs.
        let signed = changes.saturating_sub(u64::from(chain.epoch() > 0));
        Ok(Opened {
            ledger,
            document: bytes,
            signed,
        })
    }

    /// The snapshot as stored (to serve it on): postcard.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).unwrap_or_default()
    }

    /// A stored snapshot back (bounded as on the wire).
    pub fn decode(bytes: &[u8]) -> Result<Snapshot, CheckpointError> {
        if bytes.len() as u64 > MAX_SNAPSHOT_BYTES + 64 * 1024 {
            return Err(CheckpointError::TooLarge(MAX_SNAPSHOT_BYTES));
        }
        postcard::from_bytes(bytes).map_err(|_| CheckpointError::Encoding)
    }

    /// Inflates the document, never past the declared length (itself capped).
    fn inflate(&self, limits: SnapshotLimits) -> Result<Vec<u8>, CheckpointError> {
        if self.deflated.len() as u64 > limits.max_bytes {
            return Err(CheckpointError::TooLarge(limits.max_bytes));
        }
        if self.inflated_len > limits.max_inflated {
            return Err(CheckpointError::TooLarge(limits.max_inflated));
        }
        let want = usize::try_from(self.inflated_len)
            .map_err(|_| CheckpointError::TooLarge(limits.max_inflated))?;
        // Pages are only touched as the inflate writes them: a false length costs
        // address space, not memory.
        let mut out = Vec::with_capacity(want);
        let mut inflate = DeflateDecoder::new(self.deflated.as_slice()).take(self.inflated_len + 1);
        inflate
            .read_to_end(&mut out)
            .map_err(|_| CheckpointError::Malformed("deflate stream"))?;
        if out.len() != want {
            return Err(CheckpointError::Malformed("inflated length differs"));
        }
        Ok(out)
    }
}

/// Heads of `doc` as sorted hashes (Automerge derives them from the changes it holds).
fn sorted_heads(doc: &Automerge) -> Vec<Hash32> {
    let heads: Vec<Hash32> = doc.get_heads().iter().map(|h| Hash32(h.0)).collect();
    sorted(&heads)
}

fn sorted(heads: &[Hash32]) -> Vec<Hash32> {
    let set: BTreeSet<Hash32> = heads.iter().copied().collect();
    set.into_iter().collect()
}

/// Refuses a history holding a change of a writer frozen at or before its sequence
/// number: the snapshot must not bring back what the evidence took out.
fn refuse_frozen(doc: &Automerge, chain: &TermChain) -> Result<(), CheckpointError> {
    let frozen = chain.frozen_actors();
    if frozen.is_empty() {
        return Ok(());
    }
    let hit = doc.get_changes_meta(&[]).into_iter().any(|m| {
        frozen
            .get(m.actor.to_bytes())
            .is_some_and(|from| m.seq >= *from)
    });
    if hit {
        return Err(CheckpointError::Frozen);
    }
    Ok(())
}

/// Reads a document chunk just far enough to bound the work of loading it: magic and
/// chunk type, exactly one chunk (a change chunk after it would be applied on top,
/// unvouched), no deflated column, and the rows of every change column within
/// `max_changes` and of every op column within `max_ops`, counted from run lengths
/// without expanding them. Time linear in the bytes. Returns the number of changes the
/// document holds (the rows of its change actor column).
///
/// Layout (automerge 0.12): magic, checksum (4), chunk type (1), uLEB length, then
/// actors (count, each length-prefixed), heads (count, 32 bytes each), change column
/// metadata and op column metadata (each: count, then spec and length per column), the
/// change columns' bytes, the op columns' bytes, one head index per head.
pub fn prescan_document(bytes: &[u8], limits: &SnapshotLimits) -> Result<u64, CheckpointError> {
    let bad = CheckpointError::Malformed;
    let pre = |e: ValidationError| CheckpointError::Precheck(e);
    if bytes.len() < 9 || bytes[..4] != MAGIC {
        return Err(bad("not an Automerge chunk"));
    }
    if bytes[8] != DOCUMENT_CHUNK {
        return Err(bad("not a document chunk"));
    }
    let mut outer = Reader::new(&bytes[9..]);
    let len = outer.uleb().map_err(pre)?;
    let data = outer.take(len).map_err(pre)?;
    if !outer.done() {
        return Err(bad("bytes after the document chunk"));
    }
    let mut r = Reader::new(data);
    let actors = r.uleb().map_err(pre)?;
    for _ in 0..actors {
        // Each actor takes at least one byte: a lying count runs out of input.
        r.prefixed().map_err(pre)?;
    }
    let heads = r.uleb().map_err(pre)?;
    if heads as usize > MAX_CHECKPOINT_HEADS {
        return Err(bad("too many heads"));
    }
    r.take(heads * 32).map_err(pre)?;
    let change_cols = column_specs(&mut r).map_err(pre)?;
    let op_cols = column_specs(&mut r).map_err(pre)?;
    let mut changes = 0;
    for (specs, cap, of_changes) in [
        (change_cols, limits.max_changes, true),
        (op_cols, limits.max_ops, false),
    ] {
        for (spec, len) in specs {
            if spec > u64::from(u32::MAX) {
                return Err(bad("column spec"));
            }
            if spec & DEFLATE_BIT != 0 {
                return Err(pre(ValidationError::Compressed));
            }
            let column = r.take(len).map_err(pre)?;
            let rows = check_rows(spec & 0b111, column, cap).map_err(pre)?;
            if of_changes && spec == CHANGE_ACTOR_COLUMN {
                changes = rows;
            }
        }
    }
    let mut indexes = 0;
    while !r.done() {
        r.uleb().map_err(pre)?;
        indexes += 1;
    }
    if indexes != 0 && indexes != heads {
        return Err(bad("head indexes"));
    }
    Ok(changes)
}

/// Column metadata: a count, then (spec, length) per column. Each column takes at
/// least two bytes of metadata, so a lying count runs out of input.
fn column_specs(r: &mut Reader<'_>) -> Result<Vec<(u64, u64)>, ValidationError> {
    let n = r.uleb()?;
    let mut specs = Vec::new();
    for _ in 0..n {
        specs.push((r.uleb()?, r.uleb()?));
    }
    Ok(specs)
}

/// A byte vector as one length-prefixed run (not a sequence of u8 values).
mod bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let v: &[u8] = Deserialize::deserialize(d)?;
        Ok(v.to_vec())
    }
}

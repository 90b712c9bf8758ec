//! The `doc_snap` rows of a circle: its saved document in sealed chunks, and a header.
//!
//! | key                          | value (sealed)                                   |
//! |------------------------------|--------------------------------------------------|
//! | circle · chunk index (BE)    | ≤ 32 KiB of the saved document                   |
//! | circle · `u32::MAX`          | length · SHA-256 of the whole · first chunk · count |
//!
//! A snapshot's chunks start at one of two bases, in turn. Compaction writes the new
//! snapshot beside the old one, then switches by rewriting the header (one sled insert),
//! then drops the log entries the new snapshot covers and the old chunks. sled recovers a
//! prefix of its log, so a crash leaves the old snapshot and its log (before the switch)
//! or the new snapshot with some already-covered log entries, which loading applies as
//! the no-ops they are. No sled transaction: their cost comes back at every open.
//! A header of the first format (40 bytes, no base or count) names the chunks from 0 up.

use automerge::Automerge;
use circle_core::keys::Hash32;

use super::{corrupt, key, parse_logged, Store};
use crate::seal::{EpochKey, DOC_LOG, DOC_SNAP};
use crate::StoreError;

/// Snapshot chunk size: small enough that sled keeps it inline (no blob files).
pub(super) const SNAP_CHUNK: usize = 32 * 1024;
pub(super) const SNAP_HEADER: u32 = u32::MAX;
/// Where a snapshot's chunks may start; compaction alternates between them.
const BASES: [u32; 2] = [0, 1 << 30];
const HEADER_V1_LEN: usize = 40;
const HEADER_LEN: usize = 48;

/// Rows ready to insert: sled key, sealed value.
pub(super) type SealedRows = Vec<(Vec<u8>, Vec<u8>)>;

/// What a header says: the document's length and digest, and where its chunks are.
struct Header {
    len: u64,
    digest: [u8; 32],
    /// First chunk index, and the number of chunks (`None`: every chunk key, first format).
    base: u32,
    count: Option<u32>,
}

impl Header {
    fn decode(v: &[u8]) -> Result<Header, StoreError> {
        let bad = || corrupt("snapshot header");
        if v.len() != HEADER_LEN && v.len() != HEADER_V1_LEN {
            return Err(bad());
        }
        let len = u64::from_be_bytes(v[..8].try_into().map_err(|_| bad())?);
        let digest: [u8; 32] = v[8..40].try_into().map_err(|_| bad())?;
        let (base, count) = if v.len() == HEADER_LEN {
            let base = u32::from_be_bytes(v[40..44].try_into().map_err(|_| bad())?);
            let count = u32::from_be_bytes(v[44..48].try_into().map_err(|_| bad())?);
            if !BASES.contains(&base) || count >= BASES[1] {
                return Err(bad());
            }
            (base, Some(count))
        } else {
            (0, None)
        };
        Ok(Header {
            len,
            digest,
            base,
            count,
        })
    }

    /// The chunk keys this header names, as a sled range.
    fn chunks(&self, circle: &Hash32) -> std::ops::Range<Vec<u8>> {
        let end = self.count.map_or(SNAP_HEADER, |n| self.base + n);
        key(circle, &self.base.to_be_bytes())..key(circle, &end.to_be_bytes())
    }
}

/// The `doc_snap` rows of `bytes` as a circle's snapshot with chunks from `base`, sealed
/// under `epoch_key`: chunks, then the header (last, so that inserting in order switches).
pub(super) fn sealed_snapshot(
    circle: &Hash32,
    bytes: &[u8],
    epoch_key: &EpochKey,
    base: u32,
) -> Result<SealedRows, StoreError> {
    let count = bytes.len().div_ceil(SNAP_CHUNK);
    if count >= BASES[1] as usize {
        return Err(corrupt("snapshot too large"));
    }
    let mut rows = Vec::with_capacity(count + 1);
    for (i, c) in bytes.chunks(SNAP_CHUNK).enumerate() {
        let k = key(circle, &(base + i as u32).to_be_bytes());
        rows.push((k.clone(), epoch_key.seal(DOC_SNAP, &k, c)?));
    }
    let mut header = (bytes.len() as u64).to_be_bytes().to_vec();
    header.extend_from_slice(&Hash32::digest(b"snapshot", &[bytes]).0);
    header.extend_from_slice(&base.to_be_bytes());
    header.extend_from_slice(&(count as u32).to_be_bytes());
    let header_key = key(circle, &SNAP_HEADER.to_be_bytes());
    rows.push((
        header_key.clone(),
        epoch_key.seal(DOC_SNAP, &header_key, &header)?,
    ));
    Ok(rows)
}

impl Store {
    fn snapshot_header(&self, circle: &Hash32) -> Result<Option<Header>, StoreError> {
        let header_key = key(circle, &SNAP_HEADER.to_be_bytes());
        match self.doc_snap.get(&header_key)? {
            None => Ok(None),
            Some(v) => Header::decode(&self.seal.open(DOC_SNAP, &header_key, &v)?).map(Some),
        }
    }

    /// The base the next snapshot of `circle` is written at: the one not in use.
    pub(super) fn next_snapshot_base(&self, circle: &Hash32) -> Result<u32, StoreError> {
        Ok(match self.snapshot_header(circle)? {
            Some(h) if h.base == BASES[0] => BASES[1],
            _ => BASES[0],
        })
    }

    pub(super) fn read_snapshot(&self, circle: &Hash32) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(header) = self.snapshot_header(circle)? else {
            return Ok(None);
        };
        let cap = usize::try_from(header.len).unwrap_or(0).min(1 << 30);
        let mut bytes = Vec::with_capacity(cap);
        let mut chunks = 0u32;
        for entry in self.doc_snap.range(header.chunks(circle)) {
            let (k, v) = entry?;
            bytes.extend_from_slice(&self.seal.open(DOC_SNAP, &k, &v)?);
            chunks += 1;
        }
        let whole = header.count.is_none_or(|n| n == chunks);
        if !whole
            || bytes.len() as u64 != header.len
            || Hash32::digest(b"snapshot", &[&bytes]).0 != header.digest
        {
            return Err(corrupt("snapshot checksum mismatch"));
        }
        Ok(Some(bytes))
    }

    /// Replaces snapshot and covered log with one fresh snapshot of `doc`, crash-safe
    /// by write order (module docs). Staged; durable after [`Store::sync`].
    pub fn compact(&self, circle: &Hash32, doc: &Automerge) -> Result<(), StoreError> {
        let _one_at_a_time = self
            .compacting
            .lock()
            .map_err(|_| corrupt("lock poisoned"))?;
        let bytes = doc.save();
        // Only log entries whose change the snapshot covers may go.
        let mut covered = Vec::new();
        for k in self.log_keys(circle)? {
            let Some(v) = self.doc_log.get(&k)? else {
                continue;
            };
            let change = parse_logged(&self.seal.open(DOC_LOG, &k, &v)?)?;
            if doc.get_change_meta_by_hash(&change.hash()).is_some() {
                covered.push(k);
            }
        }
        let writer = self.seal.writer(circle)?;
        let base = self.next_snapshot_base(circle)?;
        let rows = sealed_snapshot(circle, &bytes, &writer.key, base)?;
        let old = self.snapshot_keys(circle)?;
        for (k, v) in &rows {
            self.doc_snap.insert(k.as_slice(), v.as_slice())?;
        }
        for k in &covered {
            self.doc_log.remove(k)?;
        }
        let header = key(circle, &SNAP_HEADER.to_be_bytes());
        for k in old.iter().filter(|k| k.as_ref() != header.as_slice()) {
            if !rows.iter().any(|(new, _)| new.as_slice() == k.as_ref()) {
                self.doc_snap.remove(k)?;
            }
        }
        drop(writer);
        self.durability.wrote();
        Ok(())
    }
}

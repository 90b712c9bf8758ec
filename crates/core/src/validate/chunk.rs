//! A change chunk read just far enough to bound the work of decoding it.
//!
//! Automerge's decoder walks every operation a chunk declares before anything else can
//! refuse it, and run-length encoding lets ~70 bytes declare 2^63 of them. So, in
//! order, each cheaper than the next: [`precheck`] (size, magic, chunk type), the
//! chunk's hash computed here and compared to the envelope (the signature binds that
//! hash, so once it verifies the bytes are the signer's), then [`scan_ops`], which
//! reads only the run lengths of the op columns and refuses a change declaring more
//! than [`MAX_OPS_PER_CHANGE`] rows in any column — all in time linear in the bytes —
//! and only then automerge's decode.
//!
//! Layout (automerge 0.12, <https://alexjg.github.io/automerge-storage-docs/#change-chunks>):
//! magic, checksum (4), chunk type (1), uLEB length, then: deps (count, 32-byte hashes),
//! actor, seq, start op, time (sLEB), message, other actors, column metadata (count,
//! then spec and length of each), the columns' bytes, extra bytes.

use sha2::{Digest, Sha256};

use super::MAX_OPS_PER_CHANGE;
use crate::envelope::MAX_CHANGE_BYTES;
use crate::error::ValidationError;
use crate::keys::Hash32;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHANGE_CHUNK: u8 = 1;
const COMPRESSED_CHUNK: u8 = 2;
/// Bit 3 of a column spec: the column is deflated (automerge refuses these in a change
/// chunk; refusing them here means nothing is ever inflated).
const DEFLATE_BIT: u64 = 0b1000;

/// Cheap structural checks before any decoding: size and chunk type. A compressed
/// chunk is refused outright: inflating it is where decompression bombs live.
pub fn precheck(bytes: &[u8]) -> Result<(), ValidationError> {
    if bytes.len() > MAX_CHANGE_BYTES {
        return Err(ValidationError::TooLarge(MAX_CHANGE_BYTES));
    }
    if bytes.len() < 9 || bytes[..4] != MAGIC {
        return Err(ValidationError::Malformed);
    }
    match bytes[8] {
        CHANGE_CHUNK => Ok(()),
        COMPRESSED_CHUNK => Err(ValidationError::Compressed),
        _ => Err(ValidationError::Malformed),
    }
}

/// The chunk's data after its header, refusing trailing bytes (as automerge does).
fn chunk_data(bytes: &[u8]) -> Result<&[u8], ValidationError> {
    precheck(bytes)?;
    let mut r = Reader::new(&bytes[9..]);
    let len = r.uleb()?;
    let data = r.take(len)?;
    if !r.done() {
        return Err(ValidationError::Malformed);
    }
    Ok(data)
}

/// The change hash automerge will compute for these bytes: SHA-256 over the chunk type,
/// the data length (canonical uLEB) and the data. No op is looked at.
pub fn chunk_hash(bytes: &[u8]) -> Result<Hash32, ValidationError> {
    let data = chunk_data(bytes)?;
    let mut h = Sha256::new();
    h.update([CHANGE_CHUNK]);
    let mut len = data.len() as u64;
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            h.update([byte]);
            break;
        }
        h.update([byte | 0x80]);
    }
    h.update(data);
    Ok(Hash32(h.finalize().into()))
}

/// Refuses a change whose op columns declare more than [`MAX_OPS_PER_CHANGE`] rows (or
/// predecessors), or any deflated column, reading run lengths only.
pub fn scan_ops(bytes: &[u8]) -> Result<(), ValidationError> {
    let mut r = Reader::new(chunk_data(bytes)?);
    let deps = r.uleb()?;
    r.take(deps.checked_mul(32).ok_or(ValidationError::Malformed)?)?;
    r.prefixed()?; // actor
    r.uleb()?; // seq
    r.uleb()?; // start op
    r.sleb()?; // time
    r.prefixed()?; // message
    let others = r.uleb()?;
    for _ in 0..others {
        // Each actor takes at least one byte: a lying count runs out of input.
        r.prefixed()?;
    }
    let columns = r.uleb()?;
    let mut specs = Vec::new();
    for _ in 0..columns {
        // Each column takes at least two bytes of metadata: bounded by the input.
        specs.push((r.uleb()?, r.uleb()?));
    }
    for (spec, len) in specs {
        if spec > u64::from(u32::MAX) {
            return Err(ValidationError::Malformed);
        }
        if spec & DEFLATE_BIT != 0 {
            return Err(ValidationError::Compressed);
        }
        let column = r.take(len)?;
        check_rows(spec & 0b111, column, MAX_OPS_PER_CHANGE as u64)?;
    }
    Ok(())
}

/// The column types of automerge's storage format (low three bits of a spec).
const GROUP: u64 = 0;
const ACTOR: u64 = 1;
const INTEGER: u64 = 2;
const DELTA: u64 = 3;
const BOOLEAN: u64 = 4;
const STRING: u64 = 5;
const VALUE_METADATA: u64 = 6;

fn too_many(cap: u64) -> ValidationError {
    ValidationError::TooLarge(usize::try_from(cap).unwrap_or(usize::MAX))
}

/// Counts a column's rows without expanding any run, refusing more than `cap` (also
/// used for the columns of a snapshot's document chunk, see `checkpoint`). Returns the
/// count; 0 for a raw column, whose values' lengths its metadata column holds.
pub(crate) fn check_rows(col_type: u64, column: &[u8], cap: u64) -> Result<u64, ValidationError> {
    let mut r = Reader::new(column);
    let mut rows: u64 = 0;
    let mut add = |n: u64| {
        rows = rows.saturating_add(n);
        if rows > cap {
            Err(too_many(cap))
        } else {
            Ok(())
        }
    };
    if col_type == BOOLEAN {
        while !r.done() {
            add(r.uleb()?)?;
        }
        return Ok(rows);
    }
    if !matches!(
        col_type,
        GROUP | ACTOR | INTEGER | DELTA | STRING | VALUE_METADATA
    ) {
        // Raw values: their lengths come from the metadata column, bounded by bytes.
        return Ok(0);
    }
    // Run-length encoding: n > 0 repeats one value n times, n < 0 is a literal run of
    // -n values, 0 is a run of nulls whose length follows.
    let mut group_sum: u64 = 0;
    while !r.done() {
        let n = r.sleb()?;
        if n > 0 {
            let n = n.unsigned_abs();
            add(n)?;
            let v = value(&mut r, col_type)?;
            group_sum = group_sum.saturating_add(n.saturating_mul(v));
        } else if n < 0 {
            let n = n.unsigned_abs();
            add(n)?;
            for _ in 0..n {
                group_sum = group_sum.saturating_add(value(&mut r, col_type)?);
            }
        } else {
            add(r.uleb()?)?;
        }
        // A group's values count rows of its nested columns: the same cap applies.
        if col_type == GROUP && group_sum > cap {
            return Err(too_many(cap));
        }
    }
    Ok(rows)
}

/// Reads one value of a run; returns it for unsigned columns (used for group sums).
fn value(r: &mut Reader<'_>, col_type: u64) -> Result<u64, ValidationError> {
    match col_type {
        DELTA => r.sleb().map(|_| 0),
        STRING => r.prefixed().map(|_| 0),
        _ => r.uleb(),
    }
}

/// A cursor over bytes that never reads past its end.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    pub(crate) fn done(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn byte(&mut self) -> Result<u8, ValidationError> {
        let b = *self.bytes.get(self.pos).ok_or(ValidationError::Malformed)?;
        self.pos += 1;
        Ok(b)
    }

    pub(crate) fn take(&mut self, n: u64) -> Result<&'a [u8], ValidationError> {
        let n = usize::try_from(n).map_err(|_| ValidationError::Malformed)?;
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or(ValidationError::Malformed)?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    pub(crate) fn prefixed(&mut self) -> Result<&'a [u8], ValidationError> {
        let n = self.uleb()?;
        self.take(n)
    }

    /// Unsigned LEB128 of at most 64 bits; longer or overflowing encodings are refused.
    pub(crate) fn uleb(&mut self) -> Result<u64, ValidationError> {
        let mut out: u64 = 0;
        for i in 0..10 {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if i == 9 && bits > 1 {
                return Err(ValidationError::Malformed);
            }
            out |= bits << (7 * i);
            if b & 0x80 == 0 {
                return Ok(out);
            }
        }
        Err(ValidationError::Malformed)
    }

    /// Signed LEB128 of at most 64 bits.
    fn sleb(&mut self) -> Result<i64, ValidationError> {
        let mut out: i64 = 0;
        let mut shift = 0;
        for _ in 0..10 {
            let b = self.byte()?;
            out |= i64::from(b & 0x7f).wrapping_shl(shift);
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    out |= -1i64 << shift;
                }
                return Ok(out);
            }
        }
        Err(ValidationError::Malformed)
    }
}

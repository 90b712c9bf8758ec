//! The responder's serve order: every change of a replica in one stable topological
//! order, so that a requester with nothing in common is served page after page at
//! O(page) each, from a [`Cursor`], instead of walking the whole history per page.
//!
//! Without it, a pull with an empty (or unknown) base makes the responder list every
//! change outside the base, that is all of them, for every page and every request: a
//! peer that keeps asking from an empty base costs O(history) per small request.
//!
//! The order is Automerge's own history order (the order changes were applied, which
//! is causal), kept alongside the replica and extended as it grows: a refresh lists
//! only the changes outside the heads it last saw. A rebuild that takes changes out
//! removes at least one of those heads (it removes every descendant of what it takes
//! out), and then the order is listed again from scratch.

use automerge::{Automerge, ChangeHash};
use serde::{Deserialize, Serialize};

use crate::keys::Hash32;
use crate::validate::has_change;

/// Where the next page of an ordered pull starts: a position in the responder's serve
/// order, bound to the change just before it. The responder checks that one hash
/// (O(1)); a cursor that does not match (forged, or issued before a rebuild moved the
/// changes) is ignored and the request is answered from its base. A forged cursor
/// costs what any request costs: one page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Position in the serve order of the next change to send (at least 1).
    pub position: u64,
    /// The change at `position - 1`.
    pub after: Hash32,
}

/// Every change of one replica in a stable topological order (see the module docs).
/// 32 bytes a change; kept by the caller with the replica it describes.
#[derive(Clone, Debug, Default)]
pub struct ServeOrder {
    hashes: Vec<ChangeHash>,
    /// The document's heads when the order was last brought up to date.
    heads: Vec<ChangeHash>,
}

impl ServeOrder {
    pub fn new() -> ServeOrder {
        ServeOrder::default()
    }

    /// Brings the order up to date with `doc`; returns how many changes it listed: the
    /// new ones, or every change when first built or after a rebuild took some out.
    pub fn refresh(&mut self, doc: &Automerge) -> usize {
        let heads = doc.get_heads();
        if heads == self.heads {
            return 0;
        }
        let grown = self.heads.iter().all(|h| has_change(doc, h));
        let listed = if grown && !self.hashes.is_empty() {
            doc.get_changes_meta(&self.heads)
        } else {
            self.hashes.clear();
            doc.get_changes_meta(&[])
        };
        let n = listed.len();
        self.hashes.extend(listed.into_iter().map(|m| m.hash));
        self.heads = heads;
        n
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Where a cursor points, if it matches this order.
    pub(crate) fn start_of(&self, cursor: &Cursor) -> Option<usize> {
        let position = usize::try_from(cursor.position).ok()?;
        let before = self.hashes.get(position.checked_sub(1)?)?;
        (before.0 == cursor.after.0).then_some(position)
    }

    /// The cursor that resumes at `position` (none at the start: an empty base does).
    pub(crate) fn cursor_at(&self, position: usize) -> Option<Cursor> {
        let before = self.hashes.get(position.checked_sub(1)?)?;
        Some(Cursor {
            position: position as u64,
            after: Hash32(before.0),
        })
    }

    /// At most `n` hashes from `start` on.
    pub(crate) fn window(&self, start: usize, n: usize) -> &[ChangeHash] {
        let start = start.min(self.hashes.len());
        let end = start.saturating_add(n).min(self.hashes.len());
        &self.hashes[start..end]
    }
}

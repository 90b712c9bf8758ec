//! Which term wrote an operation: the term of the signed change that holds it, or, for
//! what an earlier rebase copied (its base change is vouched, not signed), the term the
//! copy recorded beside the record.

use std::collections::HashMap;

use automerge::{ActorId, Automerge, ChangeHash, ObjId};

/// Changes of a document by actor, as (first op, last op, hash), sorted by first op.
pub(crate) struct OpIndex {
    by_actor: HashMap<ActorId, Vec<(u64, u64, ChangeHash)>>,
}

impl OpIndex {
    pub(crate) fn build(doc: &Automerge) -> OpIndex {
        let mut by_actor: HashMap<ActorId, Vec<(u64, u64, ChangeHash)>> = HashMap::new();
        for m in doc.get_changes_meta(&[]) {
            by_actor
                .entry(m.actor.into_owned())
                .or_default()
                .push((m.start_op, m.max_op, m.hash));
        }
        for v in by_actor.values_mut() {
            v.sort_unstable();
        }
        OpIndex { by_actor }
    }

    /// The change holding the operation `id`, with its actor.
    pub(crate) fn change_of(&self, id: &ObjId) -> Option<(&ActorId, ChangeHash)> {
        let ObjId::Id(counter, actor, _) = id else {
            return None;
        };
        let (actor, changes) = self.by_actor.get_key_value(actor)?;
        let i = changes.partition_point(|(start, _, _)| *start <= *counter);
        let (start, max, hash) = *changes.get(i.checked_sub(1)?)?;
        (start..=max).contains(counter).then_some((actor, hash))
    }
}

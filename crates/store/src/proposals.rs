//! Handover proposals of the own circle (see `circle_core::handover`), one record per
//! proposal id, kept as the encoded bytes that travel between devices. Writes are
//! staged like every other write: the caller makes them durable with
//! [`Store::sync`] before it acknowledges a step.

use circle_core::keys::Hash32;

use crate::store::key;
use crate::{Store, StoreError};

impl Store {
    /// Stages a proposal (replacing the record of the same id).
    pub fn put_proposal(
        &self,
        circle: &Hash32,
        id: &Hash32,
        encoded: &[u8],
    ) -> Result<(), StoreError> {
        self.proposals.insert(key(circle, &id.0), encoded)?;
        self.wrote();
        Ok(())
    }

    /// Stages the removal of a proposal.
    pub fn remove_proposal(&self, circle: &Hash32, id: &Hash32) -> Result<(), StoreError> {
        if self.proposals.remove(key(circle, &id.0))?.is_some() {
            self.wrote();
        }
        Ok(())
    }

    /// Every stored proposal of `circle` (encoded), at most `limit` of them.
    pub fn proposals(&self, circle: &Hash32, limit: usize) -> Result<Vec<Vec<u8>>, StoreError> {
        self.proposals
            .scan_prefix(circle.0)
            .values()
            .take(limit)
            .map(|v| Ok(v?.to_vec()))
            .collect()
    }

    /// Whether any proposal of `circle` is stored (cheap: the common case is none).
    pub fn has_proposals(&self, circle: &Hash32) -> Result<bool, StoreError> {
        Ok(self
            .proposals
            .scan_prefix(circle.0)
            .next()
            .transpose()?
            .is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proposals_survive_a_reopen_and_are_kept_per_circle() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (Hash32([1; 32]), Hash32([2; 32]));
        {
            let s = Store::open(dir.path()).unwrap();
            assert!(!s.has_proposals(&a).unwrap());
            s.put_proposal(&a, &Hash32([9; 32]), b"one").unwrap();
            s.put_proposal(&a, &Hash32([8; 32]), b"two").unwrap();
            s.put_proposal(&b, &Hash32([9; 32]), b"other").unwrap();
            s.sync().unwrap();
        }
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.proposals(&a, 10).unwrap().len(), 2);
        assert_eq!(s.proposals(&a, 1).unwrap().len(), 1);
        s.remove_proposal(&a, &Hash32([8; 32])).unwrap();
        assert_eq!(s.proposals(&a, 10).unwrap(), vec![b"one".to_vec()]);
        assert_eq!(s.proposals(&b, 10).unwrap(), vec![b"other".to_vec()]);
    }
}

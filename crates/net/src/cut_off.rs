//! Peers cut off for a while: a peer that served invalid content is disconnected and no
//! connection to or from it is allowed until its time is up, so that a redial (ours or its
//! own) cannot bring the same content straight back.
//!
//! The block itself is libp2p's `allow_block_list`; this module only remembers until when,
//! bounded, so that the list cannot grow without end when many peer ids misbehave.

use std::{collections::HashMap, time::Instant};

use libp2p::PeerId;

/// Most peers cut off at once. Peer ids are free to make, so the list is bounded; beyond it
/// the cut-off that ends soonest is lifted first.
pub(crate) const MAX_CUT_OFF: usize = 1024;

/// Until when each peer is cut off.
#[derive(Debug, Default)]
pub(crate) struct CutOffs {
    until: HashMap<PeerId, Instant>,
    /// The soonest end among `until`, so that most calls to [`CutOffs::expired`] cost O(1).
    next_end: Option<Instant>,
}

impl CutOffs {
    /// Cuts `peer` off until `until` (a longer cut-off already running is kept). Returns a
    /// peer whose cut-off was lifted early to stay within [`MAX_CUT_OFF`].
    pub(crate) fn add(&mut self, peer: PeerId, until: Instant) -> Option<PeerId> {
        let end = self.until.entry(peer).or_insert(until);
        *end = (*end).max(until);
        self.next_end = Some(self.next_end.map_or(until, |n| n.min(until)));
        if self.until.len() <= MAX_CUT_OFF {
            return None;
        }
        let (&soonest, _) = self
            .until
            .iter()
            .filter(|(p, _)| **p != peer)
            .min_by_key(|(_, t)| **t)?;
        self.until.remove(&soonest);
        Some(soonest)
    }

    /// Removes and returns the peers whose cut-off has ended by `now`.
    pub(crate) fn expired(&mut self, now: Instant) -> Vec<PeerId> {
        if self.next_end.is_none_or(|n| n > now) {
            return Vec::new();
        }
        let ended: Vec<PeerId> = self
            .until
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(p, _)| *p)
            .collect();
        for p in &ended {
            self.until.remove(p);
        }
        self.next_end = self.until.values().min().copied();
        ended
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use super::*;

    #[test]
    fn cut_offs_end_on_time_and_keep_the_longer_one() {
        let (mut c, t0) = (CutOffs::default(), Instant::now());
        let (a, b) = (PeerId::random(), PeerId::random());
        c.add(a, t0 + Duration::from_secs(10));
        c.add(a, t0 + Duration::from_secs(5));
        c.add(b, t0 + Duration::from_secs(1));
        assert!(c.expired(t0).is_empty());
        assert_eq!(c.expired(t0 + Duration::from_secs(2)), vec![b]);
        assert!(
            c.expired(t0 + Duration::from_secs(9)).is_empty(),
            "a's longer one holds"
        );
        assert_eq!(c.expired(t0 + Duration::from_secs(10)), vec![a]);
        assert!(c.expired(t0 + Duration::from_secs(99)).is_empty());
    }

    #[test]
    fn the_list_is_bounded_and_lifts_the_soonest_first() {
        let (mut c, t0) = (CutOffs::default(), Instant::now());
        let first = PeerId::random();
        assert_eq!(c.add(first, t0), None);
        for i in 1..MAX_CUT_OFF {
            assert_eq!(
                c.add(PeerId::random(), t0 + Duration::from_secs(i as u64)),
                None
            );
        }
        let last = PeerId::random();
        assert_eq!(c.add(last, t0 + Duration::from_secs(1 << 20)), Some(first));
        assert_eq!(c.until.len(), MAX_CUT_OFF);
    }
}

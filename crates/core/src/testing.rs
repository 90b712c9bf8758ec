//! Scenario builders for tests and benchmarks (feature `test-utils`).
//!
//! A [`Scenario`] is a circle whose history spans several steward terms, with every
//! signed change in causal order and the outgoing keys of every term kept aside, so
//! tests can play the attacker with them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::circle::Circle;
use crate::envelope::{Envelope, SignedChange};
use crate::keys::{Hash32, StewardKey};
use crate::ledger::{Ledger, Signer};
use crate::term::TermChain;

pub mod attacks;

/// The fixed "now" scenarios start at (unix seconds, a Tuesday in 2023).
pub const T0: u64 = 1_700_000_000;

#[derive(Debug)]
pub struct Scenario {
    pub circle: Circle,
    /// Every signed change, genesis first, in causal order.
    pub changes: Vec<SignedChange>,
    /// (term, key) of every steward key of past terms.
    pub old_keys: Vec<(u64, StewardKey)>,
    /// A time inside the latest term.
    pub now: u64,
}

fn clone_key(k: &StewardKey) -> StewardKey {
    StewardKey::from_secret(k.secret_bytes())
}

/// Builds a circle with `terms` steward terms of `per_term` logged actions each.
pub fn scenario(terms: usize, per_term: usize) -> Scenario {
    let mut now = T0;
    let (mut circle, genesis) = Circle::create("Test circle", 14, now).unwrap();
    let mut changes = vec![genesis];
    let mut old_keys = Vec::new();
    for term in 0..terms {
        for i in 0..per_term {
            let Circle {
                ledger,
                keys,
                chain,
            } = &mut circle;
            let signer = Signer {
                key: &keys[0],
                term: chain.latest().body.term,
            };
            let title = format!("action {term}.{i}");
            let (_, c) = ledger
                .log_action(&signer, now, &title, "summary", &[])
                .unwrap();
            changes.push(c);
        }
        if term + 1 < terms {
            let t = circle.term();
            old_keys.extend(circle.keys.iter().map(|k| (t, clone_key(k))));
            now += 86_400;
            circle.rotate(14, 1, now).unwrap();
        }
    }
    Scenario {
        circle,
        changes,
        old_keys,
        now,
    }
}

impl Scenario {
    /// A chain holding only the genesis certificate plus every later certificate.
    pub fn chain(&self) -> TermChain {
        self.circle.chain.clone()
    }

    /// A fresh replica of the circle with nothing applied.
    pub fn empty_replica(&self) -> Ledger {
        Ledger::empty_replica(self.circle.circle_id())
    }

    /// A new change written on top of the current heads, signed by `key` claiming `term`.
    pub fn write_as(
        &self,
        key: &StewardKey,
        term: u64,
        claimed_now: u64,
        title: &str,
    ) -> SignedChange {
        let mut fork = self.circle.ledger.clone();
        fork.set_actor(automerge::ActorId::random());
        let signer = Signer { key, term };
        fork.log_action(&signer, claimed_now, title, "", &[])
            .unwrap()
            .1
    }

    /// A new change by the current stewards, re-signed with an envelope built by `f`.
    pub fn tamper(&self, f: impl FnOnce(&mut Envelope)) -> SignedChange {
        let mut c = self.write_as(&self.circle.keys[0], self.circle.term(), self.now, "honest");
        f(&mut c.envelope);
        c
    }

    pub fn circle_id(&self) -> Hash32 {
        self.circle.circle_id()
    }
}

//! Generated attacks: an endless supply of distinct invalid (or not yet judgeable)
//! signed changes against an honest multi-term [`Scenario`].
//!
//! Each family starts from one real Automerge change written on the right heads
//! (a template); variants differ in the change's timestamp, which the validator never
//! reads, so every variant has its own hash and cannot be deduplicated away, and costs
//! an encode and a signature rather than a document fork.

use automerge::{Change, ExpandedChange};

use crate::envelope::{Envelope, SignedChange};
use crate::keys::{Hash32, StewardKey};
use crate::ledger::Signer;

use super::{clone_key, Scenario};

/// What a generated change tries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Attack {
    /// A steward's key claimed, the signature made up.
    Forged,
    /// Signed properly, by a key that is no steward.
    Outsider,
    /// Signed by the current steward for another circle, replayed into this one.
    WrongCircle,
    /// The current steward claiming an earlier term (it was no steward then).
    PastTermClaim,
    /// A term no certificate exists for yet.
    FutureTerm,
    /// An outgoing term's copied key writing after its handover.
    AfterHandover,
    /// Written by the current steward after the latest term expired
    /// (fed with [`Attacks::expired_now`]).
    Expired,
    /// Same actor and sequence number as an honest change, other content.
    Equivocating,
    /// A change whose dependency (the root of its history) is withheld.
    WithheldRoot,
}

impl Attack {
    pub const ALL: [Attack; 9] = [
        Attack::Forged,
        Attack::Outsider,
        Attack::WrongCircle,
        Attack::PastTermClaim,
        Attack::FutureTerm,
        Attack::AfterHandover,
        Attack::Expired,
        Attack::Equivocating,
        Attack::WithheldRoot,
    ];
}

/// The generator. Needs a scenario of at least two terms.
#[derive(Debug)]
pub struct Attacks {
    circle_id: Hash32,
    term: u64,
    steward: StewardKey,
    outsider: StewardKey,
    old_key: (u64, StewardKey),
    other_circle: Hash32,
    /// A fresh change on the current heads (most families).
    on_heads: ExpandedChange,
    /// An old-term key's change on the current heads.
    after_handover: ExpandedChange,
    /// An honest change of the current term, to equivocate on.
    honest: ExpandedChange,
    /// A change on top of a withheld one.
    on_withheld: ExpandedChange,
    expires: u64,
    counter: i64,
}

impl Attacks {
    pub fn new(s: &Scenario) -> Attacks {
        let term = s.circle.term();
        assert!(term >= 1, "attacks need a history of at least two terms");
        let steward = clone_key(&s.circle.keys[0]);
        let (old_term, old) = s
            .old_keys
            .iter()
            .rev()
            .find(|(t, _)| *t + 1 == term)
            .map(|(t, k)| (*t, clone_key(k)))
            .unwrap();
        let expand = |c: &SignedChange| Change::try_from(c.bytes.as_slice()).unwrap().decode();
        let on_heads = expand(&s.write_as(&steward, term, s.now, "attack"));
        let after_handover = expand(&s.write_as(&old, old_term, s.now, "after handover"));
        let honest = expand(s.changes.last().unwrap());
        let mut fork = s.circle.ledger.clone();
        fork.set_actor(automerge::ActorId::random());
        let signer = Signer {
            key: &steward,
            term,
        };
        fork.log_action(&signer, s.now, "withheld root", "", &[])
            .unwrap();
        let (_, on_withheld) = fork
            .log_action(&signer, s.now, "on a withheld root", "", &[])
            .unwrap();
        Attacks {
            circle_id: s.circle_id(),
            term,
            steward,
            outsider: StewardKey::from_secret([0xA7; 32]),
            old_key: (old_term, old),
            other_circle: Hash32::digest(b"another circle", &[]),
            on_heads,
            after_handover,
            honest,
            on_withheld: expand(&on_withheld),
            expires: s.circle.chain.latest().body.expires,
            counter: 0,
        }
    }

    /// A time past the latest term's expiry, for feeding [`Attack::Expired`] changes.
    pub fn expired_now(&self) -> u64 {
        self.expires + 1
    }

    /// The next distinct change of one family.
    pub fn next(&mut self, attack: Attack) -> SignedChange {
        let template = match attack {
            Attack::AfterHandover => &self.after_handover,
            Attack::Equivocating => &self.honest,
            Attack::WithheldRoot => &self.on_withheld,
            _ => &self.on_heads,
        };
        let mut variant = template.clone();
        self.counter += 1;
        variant.time = variant.time.wrapping_add(self.counter);
        variant.hash = None;
        let change = Change::from(variant);
        let hash = Hash32(change.hash().0);
        let bytes = change.raw_bytes().to_vec();
        let (circle, term, key) = match attack {
            Attack::Forged | Attack::Equivocating | Attack::WithheldRoot | Attack::Expired => {
                (self.circle_id, self.term, &self.steward)
            }
            Attack::Outsider => (self.circle_id, self.term, &self.outsider),
            Attack::WrongCircle => (self.other_circle, self.term, &self.steward),
            Attack::PastTermClaim => (self.circle_id, self.old_key.0, &self.steward),
            Attack::FutureTerm => (self.circle_id, self.term + 1, &self.steward),
            Attack::AfterHandover => (self.circle_id, self.old_key.0, &self.old_key.1),
        };
        let mut envelope = Envelope::sign(circle, hash, term, key);
        if attack == Attack::Forged {
            // The outsider's signature over the right message, under the steward's name.
            envelope.signature = self.outsider.sign(&envelope.message());
        }
        SignedChange { envelope, bytes }
    }

    /// `n` changes, cycling through every family but [`Attack::Expired`].
    pub fn batch(&mut self, n: usize) -> Vec<(Attack, SignedChange)> {
        let live: Vec<Attack> = Attack::ALL
            .into_iter()
            .filter(|a| *a != Attack::Expired)
            .collect();
        (0..n)
            .map(|i| {
                let a = live[i % live.len()];
                (a, self.next(a))
            })
            .collect()
    }
}

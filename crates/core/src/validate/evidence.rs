//! Evidence of a change equivocation, checked on its own, and the freeze it causes.
//!
//! A node that saw both versions of an (actor, seq) keeps them and freezes the actor;
//! a node that saw only one would keep it for ever. So the pair travels with sync
//! (`sync::Page::evidence`), and a receiver that checks it reaches the same state by
//! the same rule as the [`super::gate`]: the actor is frozen from that sequence number
//! on, and its changes from there (and everything that depends on them) are taken out.

use automerge::{ActorId, Change};

use super::{bind, decode_bound};
use crate::envelope::{SignedChange, ENVELOPE_VERSION};
use crate::error::{LedgerError, ValidationError};
use crate::ledger::Ledger;
use crate::term::TermChain;

/// Checks a pair of signed changes as evidence: each of this circle, bound to its
/// envelope's hash, signed (strictly verified) by a steward of its own term, and
/// decoding within the op cap; both with one actor and sequence number, and two
/// different hashes. Returns the actor and sequence number to freeze.
///
/// Nothing else is asked of the changes (not the term's expiry nor a handover
/// history): a steward who signed two versions has forked, whenever it did it.
pub fn check_evidence(
    chain: &TermChain,
    a: &SignedChange,
    b: &SignedChange,
) -> Result<(ActorId, u64), ValidationError> {
    if a.envelope.change_hash == b.envelope.change_hash {
        return Err(ValidationError::NotEvidence("the same change twice"));
    }
    let first = signed_by_a_steward(chain, a)?;
    let second = signed_by_a_steward(chain, b)?;
    if first.actor_id() != second.actor_id() {
        return Err(ValidationError::NotEvidence("two different actors"));
    }
    if first.seq() != second.seq() {
        return Err(ValidationError::NotEvidence("two sequence numbers"));
    }
    Ok((first.actor_id().clone(), first.seq()))
}

/// Verifies and decodes one change of a pair (signature before decoding).
fn signed_by_a_steward(chain: &TermChain, s: &SignedChange) -> Result<Change, ValidationError> {
    let env = &s.envelope;
    if env.version != ENVELOPE_VERSION {
        return Err(ValidationError::Version(env.version));
    }
    if env.circle_id != chain.circle_id() {
        return Err(ValidationError::WrongCircle);
    }
    bind(s)?;
    let cert = chain
        .term(env.term)
        .ok_or(ValidationError::NotASteward(env.term))?;
    if !cert.body.stewards.contains(&env.signer) {
        return Err(ValidationError::NotASteward(env.term));
    }
    env.signer
        .verify(&env.message(), &env.signature)
        .map_err(|_| ValidationError::BadSignature)?;
    decode_bound(s)
}

/// Freezes `actor` from `seq` on in `chain` (the lower of this and any earlier freeze)
/// and takes its changes from there, with their descendants, out of `ledger`; returns
/// the changes taken out (the caller replaces its stored document if any were).
pub fn freeze_actor(
    ledger: &mut Ledger,
    chain: &mut TermChain,
    actor: &ActorId,
    seq: u64,
) -> Result<Vec<Change>, LedgerError> {
    chain.freeze_actor(actor.to_bytes(), seq);
    let from = chain
        .frozen_actors()
        .get(actor.to_bytes())
        .copied()
        .unwrap_or(seq);
    super::rebuild_without(ledger, |c| c.actor_id() == actor && c.seq() >= from)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use automerge::ChangeHash;

    use super::*;
    use crate::keys::StewardKey;
    use crate::ledger::Signer;
    use crate::testing::{scenario, Scenario};
    use crate::validate::{has_change, ingest};

    /// A change by actor `actor` on top of the scenario's ledger, signed by `key`.
    fn by(s: &Scenario, actor: &ActorId, key: &StewardKey, title: &str) -> SignedChange {
        let mut l = s.circle.ledger.clone();
        l.set_actor(actor.clone());
        let signer = Signer { key, term: 0 };
        l.log_action(&signer, s.now, title, "", &[]).unwrap().1
    }

    #[test]
    fn a_valid_pair_names_the_actor_and_anything_else_is_refused() {
        let s = scenario(1, 2);
        let chain = s.chain();
        let steward = &s.circle.keys[0];
        let actor = ActorId::from(&[5u8; 16][..]);
        let x1 = by(&s, &actor, steward, "one");
        let x2 = by(&s, &actor, steward, "two");
        let (got, seq) = check_evidence(&chain, &x1, &x2).unwrap();
        assert_eq!((got, seq), (actor.clone(), 1));
        let other = by(&s, &ActorId::from(&[6u8; 16][..]), steward, "one");
        let outsider = by(&s, &actor, &StewardKey::generate(), "two");
        let mut forged = x2.clone();
        forged.envelope.signature.0[0] ^= 1;
        let mut swapped = x2.clone();
        swapped.bytes = x1.bytes.clone();
        let mut later = s.circle.ledger.clone();
        later.set_actor(actor.clone());
        let signer = Signer {
            key: steward,
            term: 0,
        };
        later.log_action(&signer, s.now, "one", "", &[]).unwrap();
        let (_, seq2) = later.log_action(&signer, s.now, "next", "", &[]).unwrap();
        let foreign = scenario(1, 0);
        let cases = [
            (
                &x1,
                &x1,
                ValidationError::NotEvidence("the same change twice"),
            ),
            (
                &x1,
                &other,
                ValidationError::NotEvidence("two different actors"),
            ),
            (
                &x1,
                &seq2,
                ValidationError::NotEvidence("two sequence numbers"),
            ),
            (&x1, &outsider, ValidationError::NotASteward(0)),
            (&x1, &forged, ValidationError::BadSignature),
            (&x1, &swapped, ValidationError::HashMismatch),
        ];
        for (a, b, why) in cases {
            assert_eq!(check_evidence(&chain, a, b), Err(why.clone()));
            assert_eq!(check_evidence(&chain, b, a), Err(why));
        }
        assert_eq!(
            check_evidence(&foreign.chain(), &x1, &x2),
            Err(ValidationError::WrongCircle)
        );
    }

    #[test]
    fn freezing_takes_the_actor_out_from_the_fork_on_as_the_gate_does() {
        let s = scenario(1, 2);
        let chain = s.chain();
        let steward = &s.circle.keys[0];
        let actor = ActorId::from(&[5u8; 16][..]);
        let mut mine = s.circle.ledger.clone();
        mine.set_actor(actor.clone());
        let signer = Signer {
            key: steward,
            term: 0,
        };
        let (_, x1) = mine.log_action(&signer, s.now, "one", "", &[]).unwrap();
        let (_, y) = mine.log_action(&signer, s.now, "after", "", &[]).unwrap();
        let x2 = by(&s, &actor, steward, "two");
        // Seen one version only, then the evidence.
        let mut one = s.empty_replica();
        let mut batch = s.changes.clone();
        batch.extend([x1.clone(), y.clone()]);
        let n = batch.len();
        assert_eq!(
            ingest(&mut one, &chain, batch.clone(), s.now).applied.len(),
            n
        );
        let mut frozen_chain = chain.clone();
        let (a, seq) = check_evidence(&chain, &x1, &x2).unwrap();
        let removed = freeze_actor(&mut one, &mut frozen_chain, &a, seq).unwrap();
        assert_eq!(removed.len(), 2);
        // Seen both versions: the gate's own rule.
        let mut both = s.empty_replica();
        batch.push(x2.clone());
        let r = ingest(&mut both, &chain, batch, s.now);
        assert_eq!(r.equivocations.len(), 1);
        assert_eq!(
            one.heads(),
            both.heads(),
            "one state, whichever way it was learnt"
        );
        for c in [&x1, &x2, &y] {
            assert!(!has_change(
                one.doc(),
                &ChangeHash(c.envelope.change_hash.0)
            ));
        }
        assert_eq!(frozen_chain.frozen_actors().get(actor.to_bytes()), Some(&1));
        // Frozen from then on: the version seen first is refused if offered again.
        let again = ingest(&mut one, &frozen_chain, vec![x1], s.now);
        assert!(again.applied.is_empty() && !again.frozen.is_empty());
    }
}

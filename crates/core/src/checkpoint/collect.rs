//! A checkpoint signed one device at a time. When a term's stewards hold their keys on
//! different devices, no device can sign a checkpoint alone: one device proposes a body
//! at heads it holds, signed with the keys it holds; each device that syncs with it and
//! holds those heads too adds its signatures; the checkpoint is complete once `threshold`
//! stewards of the term have signed. Devices exchange the one they are collecting
//! (`Request::Checkpoint`); both sides of every exchange apply [`choose`], so concurrent
//! proposals settle on one body.
//!
//! A steward signs only a history it holds, which it accepted change by change under
//! the per-change rules: the same judgement a handover's signers make.

use sha2::{Digest, Sha256};

use super::Checkpoint;

/// Which of two incomplete checkpoints (each holding only valid signatures, see
/// [`Checkpoint::valid_part`]) to go on collecting: the same body's signatures
/// together; else the one with more signatures; else the one whose body digests lower
/// (arbitrary, but the same on every device).
pub fn choose(mine: Option<Checkpoint>, theirs: Checkpoint) -> Checkpoint {
    let Some(mut mine) = mine else {
        return theirs;
    };
    if mine.body == theirs.body {
        for s in theirs.signatures {
            if !mine.signatures.iter().any(|m| m.signer == s.signer) {
                mine.signatures.push(s);
            }
        }
        return mine;
    }
    let rank = |c: &Checkpoint| (std::cmp::Reverse(c.signatures.len()), digest(c));
    if rank(&theirs) < rank(&mine) {
        theirs
    } else {
        mine
    }
}

fn digest(c: &Checkpoint) -> [u8; 32] {
    Sha256::digest(c.body.signing_bytes().unwrap_or_default()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::CheckpointBody;
    use crate::keys::{Hash32, StewardKey};
    use crate::testing::scenario;

    #[test]
    fn devices_that_exchange_their_checkpoints_settle_on_one_body_and_complete_it() {
        // Three stewards on three devices, two signatures needed.
        let mut s = scenario(1, 5);
        s.circle.rotate(14, 3, s.now).unwrap();
        let chain = s.chain();
        assert_eq!(chain.latest().body.threshold, 2);
        let keys = s.circle.current_keys();
        let term = s.circle.term();
        let body = |h: u8| CheckpointBody::new(s.circle_id(), term, &[Hash32([h; 32])]);
        // Devices 0 and 1 propose different bodies at the same time.
        let mut held = [
            Some(Checkpoint::sign(body(1), &[keys[0]]).unwrap()),
            Some(Checkpoint::sign(body(2), &[keys[1]]).unwrap()),
            None,
        ];
        let exchange = |held: &mut [Option<Checkpoint>; 3], from: usize, to: usize| {
            let theirs = held[from].clone().unwrap();
            let (theirs, _) = theirs.valid_part(&chain, s.now).unwrap();
            let mut chosen = choose(held[to].take(), theirs);
            chosen.add_signature(keys[to]).unwrap();
            chosen.valid_part(&chain, s.now).unwrap()
        };
        // Device 1 hears of device 0's body, device 0 then of device 1's choice: one
        // body, signed by both, whichever body the rule kept.
        let (c1, _) = exchange(&mut held, 0, 1);
        held[1] = Some(c1.clone());
        let (c, complete) = exchange(&mut held, 1, 0);
        assert!(complete, "{c:?}");
        assert_eq!(c.body, c1.body);
        assert!(c.verify(&chain, s.now).is_ok());
        held[0] = Some(c.clone());
        // Device 2 signs on too (three of three) and holds the same body.
        let (c2, complete2) = exchange(&mut held, 0, 2);
        assert!(complete2);
        assert_eq!((c2.body.clone(), c2.signatures.len()), (c.body.clone(), 3));
        // A stranger's signature never counts, and is dropped.
        let mut forged = Checkpoint::sign(body(3), &[keys[2]]).unwrap();
        forged.add_signature(&StewardKey::generate()).unwrap();
        let (part, complete) = forged.valid_part(&chain, s.now).unwrap();
        assert_eq!((part.signatures.len(), complete), (1, false));
        // A lone signature loses to a body with more; equal ones settle the same way
        // whichever side asks.
        let one = Checkpoint::sign(body(4), &[keys[0]]).unwrap();
        assert_eq!(choose(Some(one.clone()), c.clone()).body, c.body);
        assert_eq!(choose(Some(c.clone()), one.clone()).body, c.body);
        let other = Checkpoint::sign(body(5), &[keys[1]]).unwrap();
        assert_eq!(
            choose(Some(one.clone()), other.clone()).body,
            choose(Some(other), one).body
        );
    }
}

//! The verifiable lottery on this node: chain commitments and reveals by the steward
//! keys held here, draws, and verification of a draw of this circle or of a sister's
//! replica (`circle_core::lottery`, `docs/LOTTERY.md`).

use circle_core::keys::{Hash32, PublicKey, StewardKey};
use circle_core::ledger::{day_of, DrawStatus, Ledger, NewDraw};
use circle_core::lottery::{self, Commitment, Reveal, REVEAL_WINDOW_DAYS};
use circle_core::term::TermChain;

use crate::{LocalCircle, NodeError};

const DAY: u64 = 86_400;

impl LocalCircle {
    /// The steward keys of the current term held on this device.
    fn term_keys(&self) -> Vec<StewardKey> {
        let latest = self.circle().chain.latest();
        self.circle()
            .keys
            .iter()
            .filter(|k| latest.body.stewards.contains(&k.public()))
            .map(|k| StewardKey::from_secret(k.secret_bytes()))
            .collect()
    }

    /// Publishes, in one change, the chain commitment of every steward key of the
    /// current term held here that has none in the ledger yet; destroys the seeds of
    /// keys no longer held. Returns how many commitments were written.
    pub fn publish_lottery_commitments(&mut self, now: u64) -> Result<usize, NodeError> {
        let keys = self.term_keys();
        let held: Vec<PublicKey> = keys.iter().map(StewardKey::public).collect();
        self.keys().destroy_lottery_seeds_except(&held)?;
        if keys.is_empty() {
            return Ok(0);
        }
        let circle_id = self.circle_id();
        let term = self.circle().term();
        let published = self.circle().ledger.lottery_commitments();
        let mut missing = Vec::new();
        for key in &keys {
            let seed = self.keys().lottery_seed(&key.public())?;
            let anchor = lottery::chain_value(&circle_id, &key.public(), &seed, 0)
                .ok_or_else(|| NodeError::Invalid("lottery chain position".into()))?;
            let known = published
                .iter()
                .any(|(c, _)| c.term == term && c.steward == key.public() && c.anchor == anchor);
            if !known {
                missing.push(Commitment::sign(&circle_id, term, key, anchor));
            }
        }
        if missing.is_empty() {
            return Ok(0);
        }
        let n = missing.len();
        self.write(now, |l, s| {
            l.add_lottery_commitments(s, now, &missing).map(|c| ((), c))
        })?;
        Ok(n)
    }

    /// Draws `seats` of `candidates` (already checked as public text): commitments
    /// first (an earlier change), then the draw record with the reveals of every key
    /// held here. With every counted steward on this device the draw is complete at once.
    pub fn lottery_draw(
        &mut self,
        candidates: &[String],
        seats: u32,
        purpose: &str,
        now: u64,
    ) -> Result<DrawStatus, NodeError> {
        let candidates = lottery::canonical_candidates(candidates).map_err(invalid)?;
        lottery::check_request(&candidates, seats, purpose).map_err(invalid)?;
        // Refuse before writing anything when this device cannot write.
        circle_core::circle::writer(&self.circle().chain, &self.circle().keys, now)?;
        self.publish_lottery_commitments(now)?;
        let term = self.circle().term();
        let stewards = self.circle().chain.latest().body.stewards.clone();
        let slots = self
            .circle()
            .ledger
            .next_draw_slots(term, &stewards)
            .map_err(invalid)?;
        let keys = self.term_keys();
        let circle_id = self.circle_id();
        let values = chain_values(self, &keys, &slots, &circle_id)?;
        let draw = NewDraw {
            term,
            candidates,
            seats,
            purpose: purpose.to_owned(),
            slots,
        };
        let id = self.write(now, |l, s| {
            l.add_draw(s, now, &draw, |digest| {
                values
                    .iter()
                    .map(|(k, v)| (k.public(), Reveal::sign(digest, *v, k)))
                    .collect()
            })
        })?;
        self.lottery_status(None, &id)
    }

    /// Reveals, for every open draw of the current term that verifies so far, the
    /// chain values of the keys held here that it still waits for, and closes draws
    /// whose reveal window has passed. Publishes missing commitments first. Called
    /// after device sync (and by `lottery` commands); returns the changes written.
    pub fn reveal_open_draws(&mut self, now: u64) -> Result<usize, NodeError> {
        let keys = self.term_keys();
        // Nothing to do on a device that cannot write now (no key of the term, an
        // expired term, or writes paused by a pending handover): not an error here, the
        // caller is syncing or importing, and the next call reveals.
        let writer = circle_core::circle::writer(&self.circle().chain, &self.circle().keys, now);
        if keys.is_empty() || writer.is_err() || self.refuse_while_pending(now).is_err() {
            return Ok(0);
        }
        let mut written = self.publish_lottery_commitments(now)?.min(1);
        let term = self.circle().term();
        let circle_id = self.circle_id();
        for id in self.circle().ledger.draw_ids_of_term(term) {
            let status = self.lottery_status(None, &id)?;
            let Some(t) = status.transcript.as_ref() else {
                continue;
            };
            // A transcript exists only once the ledger's checks passed (positions,
            // commitments): never reveal into a draw that fails them.
            if status.term != term || (status.valid && status.complete) {
                continue;
            }
            let digest = t.draw_digest();
            let mut reveals = Vec::new();
            // Missing reveals while the draw is open; in any draw, our own reveal if a
            // bad value replaced it (another steward's write).
            let ours_needed = |s: &&lottery::Slot| match &s.reveal {
                None => !t.closed,
                Some(r) => {
                    !lottery::reveal_matches(&circle_id, &s.commitment, s.position, &r.value)
                }
            };
            for slot in t.slots.iter().filter(ours_needed) {
                let Some(key) = keys.iter().find(|k| k.public() == slot.commitment.steward) else {
                    continue;
                };
                // Never disclose a position below one already revealed elsewhere (a
                // revealed value discloses every position below it).
                if highest_revealed(
                    &self.circle().ledger,
                    &self.circle().chain,
                    &slot.commitment,
                ) > slot.position
                {
                    continue;
                }
                let seed = self.keys().lottery_seed(&key.public())?;
                let Some(value) =
                    lottery::chain_value(&circle_id, &key.public(), &seed, slot.position)
                else {
                    continue;
                };
                if lottery::reveal_matches(&circle_id, &slot.commitment, slot.position, &value) {
                    reveals.push((key.public(), Reveal::sign(&digest, value, key)));
                }
            }
            if !reveals.is_empty() {
                self.write(now, |l, s| {
                    l.add_draw_reveals(s, now, &id, &reveals).map(|c| ((), c))
                })?;
                written += 1;
            } else if !t.closed
                && day_of(now) >= status.day.saturating_add(REVEAL_WINDOW_DAYS * DAY)
            {
                let withheld = t.missing();
                self.write(now, |l, s| {
                    l.close_draw(s, now, &id, &withheld).map(|c| ((), c))
                })?;
                written += 1;
            }
        }
        Ok(written)
    }

    /// A draw of this circle or of a followed sister (`circle`: one of them; `None`:
    /// this circle first, then every sister), verified with everything its ledger shows.
    pub fn lottery_status(
        &self,
        circle: Option<Hash32>,
        draw_id: &str,
    ) -> Result<DrawStatus, NodeError> {
        let own = self.circle_id();
        if circle.is_none() || circle == Some(own) {
            let c = self.circle();
            match c.ledger.draw_status(draw_id, &c.chain) {
                Ok(s) => return Ok(s),
                Err(e) if circle.is_some() => return Err(e.into()),
                Err(_) => {}
            }
        }
        let sisters = match circle {
            Some(id) => vec![id],
            None => self.sisters()?,
        };
        for id in sisters {
            let Some(replica) = self.sister(&id)? else {
                return Err(NodeError::NotFound(format!(
                    "circle {id} is not followed by this node"
                )));
            };
            match replica.ledger.draw_status(draw_id, &replica.chain) {
                Ok(s) => return Ok(s),
                Err(e) if circle.is_some() => return Err(e.into()),
                Err(_) => {}
            }
        }
        Err(NodeError::NotFound(format!(
            "no draw with id {draw_id} in this circle or any circle it follows"
        )))
    }
}

/// The chain values the keys held here reveal in a new draw, at their slots' positions.
fn chain_values(
    local: &LocalCircle,
    keys: &[StewardKey],
    slots: &[(Commitment, u32)],
    circle_id: &Hash32,
) -> Result<Vec<(StewardKey, Hash32)>, NodeError> {
    let mut out = Vec::new();
    for (c, position) in slots {
        let Some(key) = keys.iter().find(|k| k.public() == c.steward) else {
            continue;
        };
        let seed = local.keys().lottery_seed(&c.steward)?;
        let value = lottery::chain_value(circle_id, &c.steward, &seed, *position)
            .filter(|v| lottery::reveal_matches(circle_id, c, *position, v));
        // A seed that does not grow into the published anchor (restored from elsewhere):
        // this key cannot reveal, and the draw will wait for it or close it as withheld.
        if let Some(v) = value {
            out.push((StewardKey::from_secret(key.secret_bytes()), v));
        }
    }
    Ok(out)
}

/// The highest position of `commitment`'s chain revealed in any draw of the ledger.
fn highest_revealed(ledger: &Ledger, chain: &TermChain, commitment: &Commitment) -> u32 {
    ledger
        .draw_ids_of_term(commitment.term)
        .iter()
        .filter_map(|id| ledger.draw_status(id, chain).ok())
        .filter_map(|s| s.transcript)
        .flat_map(|t| t.slots)
        .filter(|s| s.commitment.anchor == commitment.anchor && s.reveal.is_some())
        .map(|s| s.position)
        .max()
        .unwrap_or(0)
}

fn invalid(e: lottery::LotteryError) -> NodeError {
    NodeError::Invalid(e.to_string())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use circle_core::testing::T0;

    use super::*;

    fn copy_dir(from: &Path, to: &Path) {
        crate::fixtures::copy_dir(from, to).unwrap();
    }

    /// Two devices of a circle with two stewards, each holding one key: `a` key 0,
    /// `b` key 1 (its files renamed so that the key directory reads it first).
    fn two_devices(root: &Path) -> (LocalCircle, LocalCircle) {
        let (a, b) = (root.join("a"), root.join("b"));
        let mut la = LocalCircle::init(&a, "Two", 30, T0).unwrap();
        la.rotate(30, 2, T0).unwrap();
        drop(la);
        copy_dir(&a, &b);
        std::fs::remove_file(a.join("keys/steward-1-1.key")).unwrap();
        std::fs::remove_file(b.join("keys/steward-1-0.key")).unwrap();
        std::fs::rename(
            b.join("keys/steward-1-1.key"),
            b.join("keys/steward-1-0.key"),
        )
        .unwrap();
        (
            LocalCircle::open(&a).unwrap(),
            LocalCircle::open(&b).unwrap(),
        )
    }

    fn carry(from: &LocalCircle, to: &mut LocalCircle, now: u64) {
        let bundle = from.bundle(&from.circle_id()).unwrap();
        to.import(bundle, now).unwrap();
    }

    #[test]
    fn a_draw_waits_for_the_other_device_then_completes_or_closes() {
        let dir = tempfile::tempdir().unwrap();
        let (mut a, mut b) = two_devices(dir.path());
        let names: Vec<String> = ["ana", "ben", "cy"].map(String::from).into();
        assert_eq!(b.reveal_open_draws(T0).unwrap(), 1, "b commits");
        carry(&b, &mut a, T0);

        // Completed by the other device's reveal.
        let d = a.lottery_draw(&names, 1, "facilitator", T0).unwrap();
        assert!(d.valid && !d.complete, "{d:?}");
        assert_eq!(d.waiting_for.len(), 1);
        carry(&a, &mut b, T0);
        assert_eq!(b.reveal_open_draws(T0).unwrap(), 1);
        assert_eq!(
            b.reveal_open_draws(T0).unwrap(),
            0,
            "nothing more to reveal"
        );
        carry(&b, &mut a, T0);
        let done = a.lottery_status(None, &d.draw_id).unwrap();
        assert!(done.valid && done.complete, "{done:?}");
        assert_eq!(done.chosen.as_ref().unwrap().len(), 1);
        assert_eq!(
            b.lottery_status(None, &d.draw_id).unwrap().chosen,
            done.chosen
        );

        // The other device stays away: closed after the window, its reveal withheld.
        let d = a.lottery_draw(&names, 2, "note takers", T0).unwrap();
        assert_eq!(
            a.reveal_open_draws(T0 + DAY).unwrap(),
            0,
            "inside the window"
        );
        let window = REVEAL_WINDOW_DAYS * DAY;
        assert_eq!(a.reveal_open_draws(T0 + window).unwrap(), 1);
        let closed = a.lottery_status(None, &d.draw_id).unwrap();
        assert!(closed.valid && closed.complete, "{closed:?}");
        assert_eq!(closed.withheld.len(), 1);
        // The late device does not reveal into the closed draw.
        carry(&a, &mut b, T0 + window);
        assert_eq!(b.reveal_open_draws(T0 + window).unwrap(), 0);
    }

    /// A chain seed lives as long as its key is a steward of the current term.
    #[test]
    fn seeds_of_past_terms_are_destroyed() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = LocalCircle::init(dir.path(), "Seeds", 30, T0).unwrap();
        assert_eq!(c.publish_lottery_commitments(T0).unwrap(), 1);
        assert_eq!(
            c.publish_lottery_commitments(T0).unwrap(),
            0,
            "published once"
        );
        let seeds = |root: &Path| -> Vec<String> {
            std::fs::read_dir(root.join("keys"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".seed"))
                .collect()
        };
        let old = seeds(dir.path());
        assert_eq!(old.len(), 1);
        c.rotate(30, 1, T0).unwrap();
        assert_eq!(c.publish_lottery_commitments(T0).unwrap(), 1);
        let new = seeds(dir.path());
        assert_eq!(new.len(), 1);
        assert_ne!(new, old, "the past term's seed is gone");
    }

    /// While a handover proposal pauses writes, revealing waits (no error for the
    /// sync or import that calls it), and resumes once the proposal is gone.
    #[test]
    fn reveals_wait_while_a_handover_proposal_pauses_writes() {
        let dir = tempfile::tempdir().unwrap();
        let (mut a, mut b) = two_devices(dir.path());
        b.reveal_open_draws(T0).unwrap();
        carry(&b, &mut a, T0);
        let names: Vec<String> = ["ana", "ben"].map(String::from).into();
        let d = a.lottery_draw(&names, 1, "", T0).unwrap();
        carry(&a, &mut b, T0);
        let options = crate::handover::ProposeOptions {
            term_days: 30,
            stewards: vec![crate::handover::Nominee::Myself],
            threshold: Some(1),
            draw: None,
            retain: None,
        };
        let p = b.propose(options, T0).unwrap();
        assert!(b.pending_proposal(T0).unwrap().is_some(), "{p:?}");
        assert_eq!(b.reveal_open_draws(T0).unwrap(), 0);
        b.withdraw(&p.proposal_id, T0).unwrap();
        assert_eq!(b.reveal_open_draws(T0).unwrap(), 1);
        assert!(b.lottery_status(None, &d.draw_id).unwrap().complete);
    }
}

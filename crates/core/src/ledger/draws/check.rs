//! Verifying a draw against the ledger: the transcript as the change graph shows it.

use std::collections::{BTreeMap, HashSet};

use automerge::{ChangeHash, ReadDoc};

use super::{decode_reveal, parse_json, CloseRecord, DrawStatus, ParsedDraw};
use crate::error::LedgerError;
use crate::keys::{Hash32, PublicKey};
use crate::ledger::{Ledger, DAY};
use crate::lottery::{
    self, short, Commitment, LotteryError, Reveal, Slot, Transcript, REVEAL_WINDOW_DAYS,
};
use crate::term::TermChain;

impl Ledger {
    /// Reads a draw and verifies it with everything the ledger shows; never fails on a
    /// bad draw (that is `valid: false` with the reason), only on an unknown id.
    pub fn draw_status(&self, id: &str, chain: &TermChain) -> Result<DrawStatus, LedgerError> {
        let id = self.resolve_draw(id)?;
        let mut status = DrawStatus {
            draw_id: id.clone(),
            term: 0,
            purpose: String::new(),
            day: 0,
            seats: 0,
            candidates: Vec::new(),
            valid: false,
            reason: None,
            complete: false,
            chosen: None,
            waiting_for: Vec::new(),
            withheld: Vec::new(),
            counted: Vec::new(),
            not_counted: Vec::new(),
            ignored_reveals: 0,
            transcript: None,
        };
        let parsed = match self.parse_draw(&id) {
            Ok(p) => p,
            Err(e) => {
                status.reason = Some(e.to_string());
                return Ok(status);
            }
        };
        status.term = parsed.term;
        status.purpose = parsed.purpose.clone();
        status.day = parsed.day;
        status.seats = parsed.seats;
        status.candidates = parsed.candidates.clone();
        let stewards: Vec<PublicKey> = chain
            .term(parsed.term)
            .map(|c| c.body.stewards.clone())
            .unwrap_or_default();
        let (transcript, ignored) = match self.draw_transcript(&parsed, &stewards) {
            Ok(t) => t,
            Err(e) => {
                status.reason = Some(e.to_string());
                return Ok(status);
            }
        };
        status.ignored_reveals = ignored;
        status.counted = transcript
            .slots
            .iter()
            .map(|s| short(&s.commitment.steward))
            .collect();
        status.not_counted = stewards
            .iter()
            .filter(|k| !transcript.slots.iter().any(|s| s.commitment.steward == **k))
            .map(short)
            .collect();
        let missing: Vec<String> = transcript.missing().iter().map(short).collect();
        status.complete = transcript.complete();
        if transcript.closed {
            status.withheld = missing;
        } else {
            status.waiting_for = missing;
        }
        match lottery::verify(&transcript, &stewards) {
            Ok(chosen) => {
                status.valid = true;
                status.chosen = Some(chosen);
            }
            // Still waiting: valid so far, no outcome yet.
            Err(LotteryError::Incomplete(_)) => status.valid = true,
            Err(e) => status.reason = Some(e.to_string()),
        }
        status.transcript = Some(transcript);
        Ok(status)
    }

    /// The transcript of a draw, after the checks only the change graph can make.
    /// Returns it with the number of reveal values that matched nothing.
    pub(super) fn draw_transcript(
        &self,
        d: &ParsedDraw,
        stewards: &[PublicKey],
    ) -> Result<(Transcript, usize), LotteryError> {
        // The draw's history: every change not outside it, but the draw itself.
        let after: HashSet<Hash32> = self
            .doc
            .get_changes_meta(&[d.change])
            .iter()
            .map(|m| Hash32(m.hash.0))
            .collect();
        let draw_hash = Hash32(d.change.0);
        let before = |h: &Hash32| *h != draw_hash && !after.contains(h);
        // The recorded heads are exactly that history's heads: known, in it, and with
        // nothing between them and the draw. (A change's own dependencies leave out the
        // author's previous change, so they are not compared directly.)
        let mut heads = d.heads.clone();
        heads.sort();
        let known = heads
            .iter()
            .all(|h| self.doc.get_change_meta_by_hash(&ChangeHash(h.0)).is_some());
        if !known || !heads.iter().all(&before) {
            return Err(LotteryError::HeadsMismatch);
        }
        let head_hashes: Vec<ChangeHash> = heads.iter().map(|h| ChangeHash(h.0)).collect();
        let between: Vec<Hash32> = self
            .doc
            .get_changes_meta(&head_hashes)
            .iter()
            .map(|m| Hash32(m.hash.0))
            .filter(|h| !after.contains(h))
            .collect();
        if between != [draw_hash] {
            return Err(LotteryError::HeadsMismatch);
        }
        let all = self.lottery_commitments();
        let prior = all.iter().filter(|(_, h)| before(h)).map(|(c, _)| c);
        let expected = counted_commitments(&self.circle_id, d.term, stewards, prior);
        for c in &expected {
            if !d.slots.iter().any(|s| s.anchor == c.anchor.to_hex()) {
                return Err(LotteryError::CommitmentNotCounted(short(&c.steward)));
            }
        }
        let others: Vec<ParsedDraw> = self
            .parsed_draws()
            .into_iter()
            .filter(|o| o.id != d.id)
            .collect();
        let mut slots = Vec::with_capacity(d.slots.len());
        let mut ignored = 0;
        for s in &d.slots {
            let steward = PublicKey::from_hex(&s.steward)
                .map_err(|_| LotteryError::Malformed("a steward is not a key".into()))?;
            let c = expected
                .iter()
                .find(|c| c.steward == steward && c.anchor.to_hex() == s.anchor)
                .ok_or_else(|| {
                    if stewards.contains(&steward) {
                        LotteryError::CommitmentNotBefore(short(&steward))
                    } else {
                        LotteryError::NotASteward(short(&steward))
                    }
                })?;
            // Positions are used in order: one per earlier draw counting this chain.
            let used = others
                .iter()
                .filter(|o| before(&Hash32(o.change.0)))
                .filter(|o| o.slots.iter().any(|x| x.anchor == s.anchor))
                .count();
            let expected_position = u32::try_from(used).unwrap_or(u32::MAX).saturating_add(1);
            if s.position != expected_position {
                return Err(LotteryError::WrongPosition {
                    steward: short(&steward),
                    expected: expected_position,
                    found: s.position,
                });
            }
            // The same position in another draw can only be a concurrent draw (an earlier
            // one would have moved the position on): one value would feed two seeds.
            let reused = others.iter().find(|o| {
                o.slots
                    .iter()
                    .any(|x| x.anchor == s.anchor && x.position == s.position)
            });
            if let Some(o) = reused {
                return Err(LotteryError::PositionReused {
                    steward: short(&steward),
                    position: s.position,
                    other: o.id.clone(),
                });
            }
            let (reveal, bad) = self.reveal_of(d, c, s.position);
            ignored += bad;
            slots.push(Slot {
                commitment: c.clone(),
                position: s.position,
                reveal,
            });
        }
        let transcript = Transcript {
            circle_id: self.circle_id,
            term: d.term,
            candidates: d.candidates.clone(),
            seats: d.seats,
            purpose: d.purpose.clone(),
            heads,
            slots,
            closed: self.closed(d),
        };
        Ok((transcript, ignored))
    }

    /// The steward's reveal in a draw: a value that matches its commitment if the
    /// ledger holds one (any others are counted as ignored); otherwise a non-matching
    /// value (so that verification says the reveal is wrong), or none.
    fn reveal_of(&self, d: &ParsedDraw, c: &Commitment, position: u32) -> (Option<Reveal>, usize) {
        let Some(map) = self.object(&d.obj, "reveals") else {
            return (None, 0);
        };
        let values: Vec<Reveal> = self
            .doc
            .get_all(&map, c.steward.to_hex().as_str())
            .unwrap_or_default()
            .iter()
            .take(lottery::MAX_DRAW_STEWARDS)
            .filter_map(|(v, _)| v.as_str().and_then(decode_reveal))
            .collect();
        let good = values
            .iter()
            .find(|r| lottery::reveal_matches(&self.circle_id, c, position, &r.value));
        match good {
            Some(r) => (Some(*r), values.len() - 1),
            None => (values.first().copied(), 0),
        }
    }

    /// Whether a steward device closed the draw after its reveal window.
    fn closed(&self, d: &ParsedDraw) -> bool {
        let Some(map) = self.object(&d.obj, "closes") else {
            return false;
        };
        let earliest = d.day.saturating_add(REVEAL_WINDOW_DAYS * DAY);
        self.doc.keys(&map).take(64).any(|k| {
            self.doc
                .get_all(&map, k.as_str())
                .unwrap_or_default()
                .iter()
                .filter_map(|(v, _)| v.as_str().and_then(parse_json::<CloseRecord>))
                .any(|r| r.day >= earliest)
        })
    }
}

/// The commitments a draw of `term` counts among `commitments`: valid ones by stewards
/// of the term, one per steward (the smallest anchor, a rule every node applies the
/// same way), sorted by steward.
pub(super) fn counted_commitments<'a>(
    circle_id: &Hash32,
    term: u64,
    stewards: &[PublicKey],
    commitments: impl Iterator<Item = &'a Commitment>,
) -> Vec<Commitment> {
    let mut best: BTreeMap<PublicKey, Commitment> = BTreeMap::new();
    for c in commitments {
        if c.term != term || !stewards.contains(&c.steward) || c.check(circle_id).is_err() {
            continue;
        }
        let keep = best.get(&c.steward).is_none_or(|b| c.anchor < b.anchor);
        if keep {
            best.insert(c.steward, c.clone());
        }
    }
    best.into_values().collect()
}

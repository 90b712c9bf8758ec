//! Stewards drawn by lottery (`circle steward propose --draw SEATS --from CANDIDATE...`).
//!
//! The draw is an ordinary ledger draw (`crate::lottery`) among candidate codes, with the
//! fixed purpose `lottery::steward_purpose(next term)`. It must be complete *before* the
//! proposal opens: an open proposal pauses writes, and a reveal is a write. So a
//! proposer on a circle whose stewards sit on several devices runs `propose --draw` once
//! (the draw is written, and this device reveals), lets the other steward devices sync
//! (they reveal by themselves), and runs the same command again: the complete draw's
//! transcript goes into the certificate body as its lottery proof, which every node
//! checks (`circle_core::term::check_lottery`). Approvers also check that the draw is in
//! their ledger and is the only complete steward draw of the term: a proposer may not
//! draw several times and keep the outcome it likes (docs/LOTTERY.md).

use circle_core::handover::{candidate_code, HandoverError};
use circle_core::keys::PublicKey;
use circle_core::ledger::DrawStatus;
use circle_core::lottery::{self, Proof};

use crate::{LocalCircle, NodeError, ProposeOptions};

/// What a proposer asks the lottery for.
#[derive(Debug, Clone)]
pub struct DrawRequest {
    pub seats: u32,
    /// The candidates' keys (from their candidate codes).
    pub from: Vec<PublicKey>,
}

/// Where the steward draw of a proposal stands.
#[derive(Debug)]
pub(crate) enum StewardDraw {
    /// Complete: the chosen keys and the proof for the certificate body.
    Drawn {
        status: DrawStatus,
        stewards: Vec<PublicKey>,
        proof: Vec<u8>,
    },
    /// Written, waiting for the reveals of stewards on other devices.
    Waiting(DrawStatus),
}

/// Whether a draw of the ledger is void for good (invalid, or closed with a withheld
/// reveal: a proof must hold every reveal), so that drawing again is allowed.
fn void(status: &DrawStatus) -> bool {
    !status.valid || (status.complete && !status.withheld.is_empty())
}

impl LocalCircle {
    /// The steward draws of the current term for the next one, as the ledger shows them.
    fn steward_draws(&self) -> Result<Vec<DrawStatus>, NodeError> {
        let c = self.circle();
        let term = c.term();
        let purpose = lottery::steward_purpose(term.saturating_add(1));
        let mut out = Vec::new();
        for id in c.ledger.draw_ids_of_term(term) {
            let status = c.ledger.draw_status(&id, &c.chain)?;
            if status.purpose == purpose && status.term == term {
                out.push(status);
            }
        }
        Ok(out)
    }

    /// [`Self::steward_draw`], once the threshold fits the seats and the term length is
    /// right (so that a bad request writes no draw).
    pub(crate) fn checked_draw(
        &mut self,
        request: &DrawRequest,
        options: &ProposeOptions,
        now: u64,
    ) -> Result<StewardDraw, NodeError> {
        if request.seats > 0 {
            super::checked_threshold(options, request.seats as usize)?;
        }
        self.steward_draw(request, now)
    }

    /// Finds or makes the steward draw `request` asks for.
    pub(crate) fn steward_draw(
        &mut self,
        request: &DrawRequest,
        now: u64,
    ) -> Result<StewardDraw, NodeError> {
        let codes: Vec<String> = request.from.iter().map(candidate_code).collect();
        let candidates = lottery::canonical_candidates(&codes).map_err(invalid)?;
        let term = self.circle().term();
        let purpose = lottery::steward_purpose(term.saturating_add(1));
        lottery::check_request(&candidates, request.seats, &purpose).map_err(invalid)?;
        let mut found = None;
        for status in self.steward_draws()? {
            if void(&status) {
                continue;
            }
            let same = status.candidates == candidates && status.seats == request.seats;
            match (same, status.complete) {
                (true, _) => found = Some(status),
                (false, true) => {
                    return Err(HandoverError::DrawExists {
                        draw: status.draw_id,
                        term: term + 1,
                    }
                    .into())
                }
                (false, false) => {
                    return Err(HandoverError::DrawOpen {
                        draw: status.draw_id,
                        term: term + 1,
                    }
                    .into())
                }
            }
        }
        let status = match found {
            Some(s) => s,
            None => self.lottery_draw(&candidates, request.seats, &purpose, now)?,
        };
        drawn(status)
    }

    /// The ledger id of the steward draw whose transcript `proof_bytes` carries.
    pub(crate) fn draw_of_proof(&self, proof_bytes: &[u8]) -> Option<String> {
        let proof = Proof::decode(proof_bytes).ok()?;
        let digest = proof.transcript.draw_digest();
        self.steward_draws().ok()?.into_iter().find_map(|s| {
            let t = s.transcript.as_ref()?;
            (t.draw_digest() == digest).then_some(s.draw_id)
        })
    }

    /// What an approver checks of a proposal's steward draw against its own ledger: the
    /// draw is there, verifies with what only the ledger shows (commitments before it,
    /// chain positions unused), and no other complete steward draw of the term exists.
    pub(crate) fn check_proposal_draw(&self, proof_bytes: &[u8]) -> Result<(), NodeError> {
        let proof = Proof::decode(proof_bytes).map_err(invalid)?;
        let digest = proof.transcript.draw_digest();
        let term = self.circle().term() + 1;
        let draws = self.steward_draws()?;
        let ours = draws.iter().find(|s| {
            s.transcript
                .as_ref()
                .is_some_and(|t| t.draw_digest() == digest)
        });
        let Some(ours) = ours else {
            return Err(HandoverError::DrawNotInLedger.into());
        };
        if !ours.valid || !ours.complete || !ours.withheld.is_empty() {
            let why = ours.reason.clone().unwrap_or_else(|| "not complete".into());
            return Err(HandoverError::DrawInvalid(why).into());
        }
        if ours.chosen.as_ref() != Some(&proof.chosen) {
            return Err(
                HandoverError::DrawInvalid("its chosen differ from the proof's".into()).into(),
            );
        }
        let other = draws
            .iter()
            .find(|s| s.draw_id != ours.draw_id && !void(s) && s.complete);
        if let Some(other) = other {
            return Err(HandoverError::DrawNotOnly {
                other: other.draw_id.clone(),
                term,
            }
            .into());
        }
        Ok(())
    }
}

/// A complete draw's chosen keys and proof, or the draw still waiting.
fn drawn(status: DrawStatus) -> Result<StewardDraw, NodeError> {
    if !status.complete {
        return Ok(StewardDraw::Waiting(status));
    }
    let (Some(transcript), Some(chosen)) = (status.transcript.clone(), status.chosen.clone())
    else {
        let why = status
            .reason
            .clone()
            .unwrap_or_else(|| "no transcript".into());
        return Err(HandoverError::DrawInvalid(why).into());
    };
    let stewards = chosen
        .iter()
        .map(|code| circle_core::handover::parse_candidate(code))
        .collect::<Result<Vec<_>, _>>()?;
    let proof = Proof { transcript, chosen }.encode();
    Ok(StewardDraw::Drawn {
        status,
        stewards,
        proof,
    })
}

fn invalid(e: lottery::LotteryError) -> NodeError {
    NodeError::Invalid(e.to_string())
}

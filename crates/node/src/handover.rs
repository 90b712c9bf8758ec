//! Handover on this device: candidate keys, proposals and their signatures, and taking
//! up a new term's keys. Pure local state; the lead's sync carries the encoded
//! proposals between devices ([`LocalCircle::proposals_for_sync`],
//! [`LocalCircle::merge_proposals`]) and calls [`LocalCircle::adopt_keys`] after it
//! added certificates. The protocol is described in docs/HANDOVER.md.

use circle_core::circle::{actor_for, MAX_TERM_DAYS};
use circle_core::handover::{
    candidate_code, check_revocation, check_stewards, HandoverError, Proposal, ProposalKind,
    ProposalState, MAX_CANDIDATES, MAX_OPEN_PROPOSALS,
};
use circle_core::keys::{Hash32, PublicKey, StewardKey};
use circle_core::term::{TermCert, MAX_STEWARDS};

use circle_core::ledger::DrawStatus;

use crate::guard::enforce_chain;
use crate::{LocalCircle, NodeError};

pub use draw::DrawRequest;
use draw::StewardDraw;

/// Proposals kept per proposing key: a handover and a revocation.
const MAX_PER_PROPOSER: usize = 2;

/// What [`LocalCircle::merge_proposals`] did with a peer's proposals.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MergeReport {
    /// Proposals stored or updated (new signatures, a withdrawal).
    pub merged: usize,
    /// One line per proposal refused, with why.
    pub refused: Vec<String>,
    /// The term certified by this merge, if the threshold was reached.
    pub certified: Option<u64>,
}

/// A steward named in a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Nominee {
    /// A candidate code's key (volunteered on some device).
    Candidate(PublicKey),
    /// A fresh candidate key made on this device.
    Myself,
}

impl Nominee {
    /// `self`, or a candidate code (checked, with its checksum).
    pub fn parse(s: &str) -> Result<Nominee, HandoverError> {
        if s.trim() == "self" {
            return Ok(Nominee::Myself);
        }
        circle_core::handover::parse_candidate(s).map(Nominee::Candidate)
    }
}

/// What a proposer asks for.
#[derive(Debug, Clone)]
pub struct ProposeOptions {
    pub term_days: u64,
    /// Named stewards; empty when they are drawn (`draw`).
    pub stewards: Vec<Nominee>,
    /// Default: a majority of the named (or drawn) stewards.
    pub threshold: Option<u32>,
    /// Draw the stewards by lottery among candidates instead of naming them.
    pub draw: Option<DrawRequest>,
    /// How long evidence is kept (`None`: as the current term says).
    pub retain: Option<Retention>,
}

/// `steward propose --retain-terms N|all`: the evidence the next term keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// Keep evidence for N terms: the next term starts a new epoch that forgets the rest.
    Terms(u32),
    /// Keep everything (the default of a new circle).
    Everything,
}

impl Retention {
    pub fn parse(s: &str) -> Result<Retention, HandoverError> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("all") {
            return Ok(Retention::Everything);
        }
        match s.parse::<u32>() {
            Ok(n) if (1..=circle_core::term::MAX_RETAIN_TERMS).contains(&n) => {
                Ok(Retention::Terms(n))
            }
            _ => Err(HandoverError::RetainTerms(s.chars().take(20).collect())),
        }
    }
}

/// A proposal as `circle steward proposals` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProposalView {
    pub proposal_id: String,
    pub term: u64,
    pub kind: &'static str,
    pub state: &'static str,
    pub signatures: usize,
    pub needed: u32,
    pub signed: Vec<String>,
    pub missing: Vec<String>,
    pub proposer: String,
    pub stewards: Vec<String>,
    pub threshold: u32,
    pub expires: u64,
    pub revoked: Option<String>,
    pub reason: Option<String>,
    /// Set once this step certified the term.
    pub certified: Option<u64>,
    /// The steward draw whose transcript the proposal carries (or waits for).
    pub draw_id: Option<String>,
    /// Stewards of the draw still to reveal, while it waits (state `drawing`).
    pub waiting_for: Vec<String>,
    /// Stewards whose commitments the draw counted (set by `propose --draw`): with one,
    /// the drawer knew the outcome before drawing.
    pub draw_counted: usize,
}

fn view(p: &Proposal, needed: u32, missing: Vec<PublicKey>, now: u64) -> ProposalView {
    let (revoked, reason) = match &p.kind {
        ProposalKind::Revoke { key, reason } => (Some(key.to_hex()), Some(reason.clone())),
        ProposalKind::Handover => (None, None),
    };
    ProposalView {
        proposal_id: p.id().to_hex(),
        term: p.term(),
        kind: p.kind.name(),
        state: match p.state(now) {
            ProposalState::Open => "open",
            ProposalState::Withdrawn => "withdrawn",
            ProposalState::Expired => "expired",
        },
        signatures: p.signatures.len(),
        needed,
        signed: p.signatures.iter().map(|s| s.signer.to_hex()).collect(),
        missing: missing.iter().map(|k| k.to_hex()).collect(),
        proposer: p.proposer.to_hex(),
        stewards: p.body.stewards.iter().map(|k| k.to_hex()).collect(),
        threshold: p.body.threshold,
        expires: p.expires_at(),
        revoked,
        reason,
        certified: None,
        draw_id: None,
        waiting_for: Vec::new(),
        draw_counted: 0,
    }
}

/// A steward draw still waiting for reveals, shown as the proposal it will become.
fn drawing_view(status: &DrawStatus, options: &ProposeOptions, needed: u32) -> ProposalView {
    ProposalView {
        proposal_id: String::new(),
        term: status.term + 1,
        kind: "handover",
        state: "drawing",
        signatures: 0,
        needed,
        signed: Vec::new(),
        missing: Vec::new(),
        proposer: String::new(),
        stewards: Vec::new(),
        threshold: options.threshold.unwrap_or(status.seats / 2 + 1),
        expires: 0,
        revoked: None,
        reason: None,
        certified: None,
        draw_id: Some(status.draw_id.clone()),
        waiting_for: status.waiting_for.clone(),
        draw_counted: status.counted.len(),
    }
}

/// The threshold of a proposal naming `n` stewards (default: a majority), and its
/// term length, checked before anything is written.
fn checked_threshold(options: &ProposeOptions, n: usize) -> Result<u32, HandoverError> {
    let threshold = options.threshold.unwrap_or(n as u32 / 2 + 1);
    if threshold == 0 || threshold as usize > n {
        return Err(HandoverError::Threshold {
            threshold,
            stewards: n,
        });
    }
    if options.term_days == 0 || options.term_days > MAX_TERM_DAYS {
        return Err(HandoverError::TermDays {
            days: options.term_days,
            max: MAX_TERM_DAYS,
        });
    }
    Ok(threshold)
}

/// A copy of a key for signing while `self` is borrowed mutably (keys are not `Clone`,
/// so that no copy is made by accident).
fn copy_key(k: &StewardKey) -> StewardKey {
    StewardKey::from_secret(k.secret_bytes())
}

/// An open proposal (other than `except`) that one of `keys` signed already. A key
/// signs one successor per open proposal: two certificates for one term would fork
/// the chain, and a fork freezes it.
fn signed_other<'a>(
    stored: &'a [Proposal],
    keys: &[&StewardKey],
    except: Option<&Hash32>,
    now: u64,
) -> Option<&'a Proposal> {
    stored.iter().find(|p| {
        Some(&p.id()) != except
            && p.state(now) == ProposalState::Open
            && p.signatures
                .iter()
                .any(|s| keys.iter().any(|k| k.public() == s.signer))
    })
}

fn short(id: &Hash32) -> String {
    id.to_hex()[..12].to_owned()
}

impl LocalCircle {
    /// `circle steward volunteer`: a fresh candidate key for a coming term, kept on this
    /// device only; returns its candidate code.
    pub fn volunteer(&mut self) -> Result<String, NodeError> {
        let key = self.new_candidate()?;
        Ok(candidate_code(&key.public()))
    }

    /// The candidate codes held on this device.
    pub fn candidate_codes(&self) -> Result<Vec<String>, NodeError> {
        Ok(self
            .keys()
            .candidates()?
            .iter()
            .map(|k| candidate_code(&k.public()))
            .collect())
    }

    fn new_candidate(&mut self) -> Result<StewardKey, NodeError> {
        let held = self.keys().candidates()?.len();
        if held >= MAX_CANDIDATES {
            return Err(HandoverError::TooManyCandidates(held).into());
        }
        let key = StewardKey::generate();
        self.keys().put_candidate(&key, MAX_CANDIDATES)?;
        Ok(key)
    }

    /// This device's keys of the current term, or why it has none.
    fn current_keys(&self) -> Result<Vec<StewardKey>, NodeError> {
        let c = self.circle();
        let mine: Vec<StewardKey> = c.current_keys().into_iter().map(copy_key).collect();
        if mine.is_empty() {
            return Err(HandoverError::NotSteward(c.term()).into());
        }
        Ok(mine)
    }

    /// The stored proposals for the current term, decoded; proposals for an ended term
    /// (stale once a certificate came) and expired ones are dropped from the store.
    fn stored_proposals(&self, now: u64) -> Result<Vec<Proposal>, NodeError> {
        let id = self.circle_id();
        let latest = self.circle().chain.latest().id();
        let mut out = Vec::new();
        for bytes in self.store().proposals(&id, MAX_OPEN_PROPOSALS * 2)? {
            match Proposal::decode(&bytes) {
                Ok(p) if p.body.prev == Some(latest) && p.state(now) != ProposalState::Expired => {
                    out.push(p)
                }
                Ok(p) => self.store().remove_proposal(&id, &p.id())?,
                // Written by this program after verifying: a damaged record.
                Err(e) => {
                    return Err(NodeError::Invalid(format!(
                        "a stored proposal cannot be read ({e})"
                    )))
                }
            }
        }
        Ok(out)
    }

    fn store_proposal(&self, p: &Proposal) -> Result<(), NodeError> {
        self.store()
            .put_proposal(&self.circle_id(), &p.id(), &p.encode())?;
        Ok(())
    }

    /// Finds a stored proposal by id or a prefix of at least 8 hex digits.
    fn find_proposal(&self, prefix: &str, now: u64) -> Result<Proposal, NodeError> {
        let prefix = prefix.trim().to_ascii_lowercase();
        if prefix.len() < 8 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(HandoverError::ShortId(prefix.chars().take(80).collect()).into());
        }
        let mut found: Vec<Proposal> = self
            .stored_proposals(now)?
            .into_iter()
            .filter(|p| p.id().to_hex().starts_with(&prefix))
            .collect();
        match found.len() {
            0 => Err(HandoverError::UnknownProposal(prefix).into()),
            1 => Ok(found.remove(0)),
            _ => Err(HandoverError::AmbiguousProposal(prefix).into()),
        }
    }

    /// `circle steward proposals`: the current term's proposals with who signed and who
    /// is missing.
    pub fn proposals(&self, now: u64) -> Result<Vec<ProposalView>, NodeError> {
        let chain = &self.circle().chain;
        let needed = Proposal::needed(chain);
        Ok(self
            .stored_proposals(now)?
            .iter()
            .map(|p| self.with_draw(view(p, needed, p.missing(chain), now), p))
            .collect())
    }

    /// Names the ledger draw whose transcript `p` carries (as `lottery verify` takes it).
    fn with_draw(&self, mut shown: ProposalView, p: &Proposal) -> ProposalView {
        shown.draw_id = p
            .body
            .lottery
            .as_deref()
            .and_then(|b| self.draw_of_proof(b));
        shown
    }

    /// The open proposal that pauses writes here, if any (see docs/DECISIONS.md).
    pub fn pending_proposal(&self, now: u64) -> Result<Option<ProposalView>, NodeError> {
        if !self.store().has_proposals(&self.circle_id())? {
            return Ok(None);
        }
        // Without the draw's id: this runs before every write and after every page of
        // device sync, and naming a draw verifies every draw of the term.
        let chain = &self.circle().chain;
        let needed = Proposal::needed(chain);
        Ok(self
            .stored_proposals(now)?
            .iter()
            .find(|p| p.state(now) == ProposalState::Open)
            .map(|p| view(p, needed, p.missing(chain), now)))
    }

    /// Refuses a write while a proposal is open: it fixed the handover heads, and a
    /// write after them would be taken out once the term is certified.
    pub(crate) fn refuse_while_pending(&self, now: u64) -> Result<(), NodeError> {
        match self.pending_proposal(now)? {
            Some(p) => Err(HandoverError::WritesPaused {
                proposal: p.proposal_id,
                term: p.term,
            }
            .into()),
            None => Ok(()),
        }
    }

    /// `steward rotate` certifies a body of its own: with a proposal open, its keys may
    /// have signed that one too, and two certificates for one term fork the chain.
    pub(crate) fn refuse_rotate_while_pending(&self, now: u64) -> Result<(), NodeError> {
        match self.pending_proposal(now)? {
            Some(p) => Err(HandoverError::Competing {
                open: p.proposal_id,
                term: p.term,
            }
            .into()),
            None => Ok(()),
        }
    }

    /// `circle steward propose`: the next term's stewards, signed by this device's
    /// keys of the current term. Certified at once if they reach the threshold.
    pub fn propose(
        &mut self,
        options: ProposeOptions,
        now: u64,
    ) -> Result<ProposalView, NodeError> {
        self.open_proposal(options, ProposalKind::Handover, now)
    }

    /// `circle steward revoke KEY --reason TEXT`: an emergency proposal whose term
    /// leaves KEY out and whose threshold is met by the other stewards alone.
    pub fn revoke(
        &mut self,
        key: &str,
        reason: &str,
        options: ProposeOptions,
        now: u64,
    ) -> Result<ProposalView, NodeError> {
        if options.draw.is_some() {
            return Err(HandoverError::DrawInRevocation.into());
        }
        let key = PublicKey::from_hex(key).map_err(|_| {
            HandoverError::RevokeNotSteward(key.chars().take(80).collect::<String>())
        })?;
        check_revocation(&self.circle().chain, &key, reason)?;
        let kind = ProposalKind::Revoke {
            key,
            reason: reason.to_owned(),
        };
        self.open_proposal(options, kind, now)
    }

    fn open_proposal(
        &mut self,
        options: ProposeOptions,
        kind: ProposalKind,
        now: u64,
    ) -> Result<ProposalView, NodeError> {
        self.writable()?;
        let revoked = match &kind {
            ProposalKind::Revoke { key, .. } => Some(*key),
            ProposalKind::Handover => None,
        };
        let mine: Vec<StewardKey> = self
            .current_keys()?
            .into_iter()
            .filter(|k| Some(k.public()) != revoked)
            .collect();
        if mine.is_empty() {
            let key = revoked.map(|k| k.to_hex()).unwrap_or_default();
            return Err(HandoverError::RevokedSigner(key).into());
        }
        let open = self.stored_proposals(now)?;
        // One proposal at a time; only a revocation may join an open handover (the
        // seized key's holder may have opened one to stall the circle).
        let competing = open
            .iter()
            .filter(|p| p.state(now) == ProposalState::Open)
            .find(|p| kind == ProposalKind::Handover || p.kind.name() == kind.name());
        if let Some(p) = competing {
            return Err(HandoverError::Competing {
                open: p.id().to_hex(),
                term: p.term(),
            }
            .into());
        }
        let signers: Vec<&StewardKey> = mine.iter().collect();
        if let Some(other) = signed_other(&open, &signers, None, now) {
            return Err(HandoverError::SignedOther {
                other: other.id().to_hex(),
            }
            .into());
        }
        if open.len() >= MAX_OPEN_PROPOSALS {
            return Err(HandoverError::TooManyOpen(open.len()).into());
        }
        let drawn = match &options.draw {
            None => None,
            Some(_) if !options.stewards.is_empty() => {
                return Err(HandoverError::DrawAndNamed.into())
            }
            Some(request) => match self.checked_draw(request, &options, now)? {
                StewardDraw::Waiting(status) => {
                    let needed = Proposal::needed(&self.circle().chain);
                    return Ok(drawing_view(&status, &options, needed));
                }
                StewardDraw::Drawn {
                    status,
                    stewards,
                    proof,
                } => Some((status, stewards, proof)),
            },
        };
        let n = match &drawn {
            Some((_, stewards, _)) => stewards.len(),
            None => options.stewards.len(),
        };
        if n == 0 {
            return Err(HandoverError::NoStewards.into());
        }
        if n > MAX_STEWARDS {
            return Err(HandoverError::TooManyStewards(n, MAX_STEWARDS).into());
        }
        let named: Vec<PublicKey> = options
            .stewards
            .iter()
            .filter_map(|s| match s {
                Nominee::Candidate(k) => Some(*k),
                Nominee::Myself => None,
            })
            .collect();
        check_stewards(&named).or_else(|e| match e {
            HandoverError::NoStewards => Ok(()),
            e => Err(e),
        })?;
        if let Some(k) = revoked.filter(|k| named.contains(k)) {
            return Err(HandoverError::RevokedRenamed(k.to_hex()).into());
        }
        let threshold = checked_threshold(&options, n)?;
        // Fresh keys for `self` are kept (durably) before anything names them.
        let mut stewards = Vec::with_capacity(n);
        for s in &options.stewards {
            stewards.push(match s {
                Nominee::Candidate(k) => *k,
                Nominee::Myself => self.new_candidate()?.public(),
            });
        }
        let mut proof = None;
        let mut counted = 0;
        if let Some((status, drawn_keys, bytes)) = drawn {
            stewards = drawn_keys;
            proof = Some(bytes);
            counted = status.counted.len();
        }
        let mut body = self
            .circle()
            .next_body(options.term_days, stewards, threshold, now)?;
        body.lottery = proof;
        let retain = match options.retain {
            Some(Retention::Terms(n)) => Some(n),
            Some(Retention::Everything) => None,
            None => self.circle().chain.retain_terms(),
        };
        if let Some(n) = retain {
            let epoch = self.circle().chain.epoch() + 1;
            let term_of = crate::guard::signed_term(self.store(), self.circle_id());
            circle_core::epoch::start(&mut body, self.circle().ledger.doc(), n, epoch, &term_of)
                .map_err(|e| HandoverError::EpochUnderivable(e.to_string()))?;
        }
        let proposal = Proposal::new(body, kind, &signers)?;
        proposal.verify(&self.circle().chain, now)?;
        let mut shown = self.settle(proposal, now)?;
        shown.draw_counted = counted;
        Ok(shown)
    }

    /// Certifies a proposal that has enough signatures, or stores it durably.
    fn settle(&mut self, proposal: Proposal, now: u64) -> Result<ProposalView, NodeError> {
        let chain = &self.circle().chain;
        let needed = Proposal::needed(chain);
        let mut shown = self.with_draw(
            view(&proposal, needed, proposal.missing(chain), now),
            &proposal,
        );
        match proposal.complete(chain) {
            Some(cert) => shown.certified = Some(self.certify(cert)?),
            None => {
                self.store_proposal(&proposal)?;
                self.store().sync()?;
            }
        }
        Ok(shown)
    }

    /// `circle steward approve PROPOSAL_ID`: co-signs with this device's keys of the
    /// current term; certifies once the threshold is reached.
    pub fn approve(&mut self, prefix: &str, now: u64) -> Result<ProposalView, NodeError> {
        self.writable()?;
        let mut proposal = self.find_proposal(prefix, now)?;
        proposal.require_open(now)?;
        let held = self.current_keys()?;
        let revoked = proposal.revoked().copied();
        let unsigned: Vec<&StewardKey> = held
            .iter()
            .filter(|k| !proposal.signatures.iter().any(|s| s.signer == k.public()))
            .collect();
        let Some(first) = unsigned.first() else {
            return Err(HandoverError::AlreadySigned {
                key: held[0].public().to_hex(),
            }
            .into());
        };
        let signers: Vec<&StewardKey> = unsigned
            .iter()
            .copied()
            .filter(|k| Some(k.public()) != revoked)
            .collect();
        if signers.is_empty() {
            return Err(HandoverError::RevokedSigner(first.public().to_hex()).into());
        }
        let stored = self.stored_proposals(now)?;
        if let Some(other) = signed_other(&stored, &signers, Some(&proposal.id()), now) {
            return Err(HandoverError::SignedOther {
                other: other.id().to_hex(),
            }
            .into());
        }
        // Once the term has expired, its late writes no longer travel (peers refuse an
        // expired term's changes outside a handover), so no proposer's heads could cover
        // every device's: refusing would deadlock the circle. The certificate then takes
        // such writes out, and they are kept in `recovered/` (see docs/DECISIONS.md).
        if !self.circle().chain.latest_expired(now) {
            self.check_nothing_after_heads(&proposal)?;
        }
        if let Some(proof) = &proposal.body.lottery {
            self.check_proposal_draw(proof)?;
        }
        if proposal.body.forgetting.is_some() {
            self.check_proposal_epoch(&proposal)?;
        }
        for key in signers {
            proposal.sign_with(key, &self.circle().chain)?;
        }
        self.settle(proposal, now)
    }

    /// An approver whose ledger holds changes outside the proposal's handover history
    /// would see them taken out at certification: it refuses to sign instead.
    fn check_nothing_after_heads(&self, proposal: &Proposal) -> Result<(), NodeError> {
        let doc = self.circle().ledger.doc();
        let heads = proposal.body.handover_hashes();
        let missing = heads
            .iter()
            .filter(|h| !circle_core::validate::has_change(doc, h))
            .count();
        if missing > 0 {
            return Err(HandoverError::HeadsMissing {
                proposal: short(&proposal.id()),
                missing,
            }
            .into());
        }
        let after = doc.get_changes_meta(&heads).len();
        if after > 0 {
            return Err(HandoverError::WritesAfterHeads {
                proposal: short(&proposal.id()),
                count: after,
            }
            .into());
        }
        Ok(())
    }

    /// An approver signs a new epoch only if it derives the same base from its own
    /// ledger at the handover heads: its signature vouches for that document.
    fn check_proposal_epoch(&self, proposal: &Proposal) -> Result<(), NodeError> {
        let heads = proposal.body.handover_hashes();
        let history = self
            .circle()
            .ledger
            .doc()
            .fork_at(&heads)
            .map_err(|e| HandoverError::EpochUnderivable(e.to_string()))?;
        let term_of = crate::guard::signed_term(self.store(), self.circle_id());
        match circle_core::epoch::derive(&proposal.body, &history, &term_of) {
            Ok(_) => Ok(()),
            Err(circle_core::epoch::EpochError::BaseMismatch) => {
                Err(HandoverError::EpochMismatch.into())
            }
            Err(e) => Err(HandoverError::EpochUnderivable(e.to_string()).into()),
        }
    }

    /// `circle steward withdraw PROPOSAL_ID`, on the proposer's device: the withdrawal is
    /// signed and kept, so it travels to the other devices like the proposal did.
    pub fn withdraw(&mut self, prefix: &str, now: u64) -> Result<ProposalView, NodeError> {
        self.writable()?;
        let mut proposal = self.find_proposal(prefix, now)?;
        proposal.require_open(now)?;
        let key = self
            .circle()
            .current_keys()
            .into_iter()
            .find(|k| k.public() == proposal.proposer)
            .map(copy_key)
            .ok_or_else(|| HandoverError::NotProposer(short(&proposal.id())))?;
        proposal.withdraw(&key)?;
        self.store_proposal(&proposal)?;
        self.store().sync()?;
        let chain = &self.circle().chain;
        Ok(view(
            &proposal,
            Proposal::needed(chain),
            proposal.missing(chain),
            now,
        ))
    }

    /// The current term's proposals (open or withdrawn) with every signature collected,
    /// encoded for a peer device (at most [`MAX_OPEN_PROPOSALS`]).
    pub fn proposals_for_sync(&self) -> Result<Vec<Vec<u8>>, NodeError> {
        let latest = self.circle().chain.latest().id();
        let mut out = Vec::new();
        for bytes in self
            .store()
            .proposals(&self.circle_id(), MAX_OPEN_PROPOSALS * 2)?
        {
            if out.len() >= MAX_OPEN_PROPOSALS {
                break;
            }
            if Proposal::decode(&bytes).is_ok_and(|p| p.body.prev == Some(latest)) {
                out.push(bytes);
            }
        }
        Ok(out)
    }

    /// Takes in a peer's proposals (untrusted): each is decoded within its size bound,
    /// verified strictly against the latest certificate, and its new signatures or
    /// withdrawal are kept durably; a proposal that reaches the threshold is certified.
    /// At most [`MAX_OPEN_PROPOSALS`] are looked at per call; the rest are refused unread.
    pub fn merge_proposals(
        &mut self,
        encoded: Vec<Vec<u8>>,
        now: u64,
    ) -> Result<MergeReport, NodeError> {
        self.writable()?;
        let mut report = MergeReport::default();
        if encoded.len() > MAX_OPEN_PROPOSALS {
            report.refused.push(format!(
                "{} proposals beyond the first {MAX_OPEN_PROPOSALS} were not read",
                encoded.len() - MAX_OPEN_PROPOSALS
            ));
        }
        let mut held = self.stored_proposals(now)?;
        for bytes in encoded.iter().take(MAX_OPEN_PROPOSALS) {
            let incoming = match Proposal::decode(bytes) {
                Ok(p) => p,
                Err(e) => {
                    report.refused.push(format!("a proposal: {e}"));
                    continue;
                }
            };
            let id = incoming.id();
            if let Err(e) = incoming.verify(&self.circle().chain, now) {
                report.refused.push(format!("proposal {}: {e}", short(&id)));
                continue;
            }
            if incoming.state(now) == ProposalState::Expired {
                let e = HandoverError::Expired(short(&id));
                report.refused.push(format!("proposal {}: {e}", short(&id)));
                continue;
            }
            match held.iter().position(|p| p.id() == id) {
                Some(i) => {
                    let known = &mut held[i];
                    if known.absorb(&incoming) {
                        let updated = known.clone();
                        self.store_proposal(&updated)?;
                        report.merged += 1;
                    }
                }
                None if held.len() >= MAX_OPEN_PROPOSALS => {
                    let e = HandoverError::TooManyOpen(held.len());
                    report.refused.push(format!("proposal {}: {e}", short(&id)));
                }
                // One steward key (a seized one, say) cannot fill every slot.
                None if held
                    .iter()
                    .filter(|p| p.proposer == incoming.proposer)
                    .count()
                    >= MAX_PER_PROPOSER =>
                {
                    let e = HandoverError::TooManyOpen(MAX_PER_PROPOSER);
                    report.refused.push(format!("proposal {}: {e}", short(&id)));
                }
                None => {
                    self.store_proposal(&incoming)?;
                    held.push(incoming);
                    report.merged += 1;
                }
            }
        }
        self.store().sync()?;
        // The first open proposal with enough signatures (in id order, as every device
        // would pick) is certified; the others are then stale.
        held.sort_by_key(|p| p.id());
        let complete = held
            .iter()
            .filter(|p| p.state(now) == ProposalState::Open)
            .find_map(|p| p.complete(&self.circle().chain));
        if let Some(cert) = complete {
            report.certified = Some(self.certify(cert)?);
        }
        Ok(report)
    }

    /// Inserts a complete certificate made here: this device's keys named by it first
    /// (adopted from candidates), then the certificate, then the old keys destroyed;
    /// a crash at any point leaves exactly one certified term able to write.
    fn certify(&mut self, cert: TermCert) -> Result<u64, NodeError> {
        let term = cert.body.term;
        let mut chain = self.circle().chain.clone();
        chain.insert(cert.clone())?;
        // The certificate is valid: keys first.
        self.keep_named_candidates(&cert)?;
        let store = self.store().clone();
        let id = self.circle_id();
        store.put_cert(&cert)?;
        {
            let c = self.circle_mut();
            c.chain = chain;
            enforce_chain(&store, &id, &mut c.ledger, &c.chain, true)?;
        }
        store.sync()?;
        self.adopt_keys()?;
        Ok(term)
    }

    /// Writes the candidates a certificate names as that term's keys (once).
    fn keep_named_candidates(&self, cert: &TermCert) -> Result<Vec<StewardKey>, NodeError> {
        let term = cert.body.term;
        let held = self.keys().stewards(term)?;
        if !held.is_empty() {
            return Ok(held);
        }
        let named: Vec<StewardKey> = self
            .keys()
            .candidates()?
            .into_iter()
            .filter(|k| cert.body.stewards.contains(&k.public()))
            .collect();
        if !named.is_empty() {
            self.keys().put_stewards(term, &named)?;
        }
        Ok(named)
    }

    /// Takes up the latest term's keys: candidates it names become its keys here, the
    /// ledger writes under their actor, and keys of older terms and candidates named by
    /// a certified term are destroyed. Returns whether this device now holds a key of
    /// the latest term it did not hold before. Call after certificates were added.
    pub fn adopt_keys(&mut self) -> Result<bool, NodeError> {
        let latest = self.circle().chain.latest().clone();
        let term = latest.body.term;
        let before: Vec<PublicKey> = self
            .circle()
            .current_keys()
            .iter()
            .map(|k| k.public())
            .collect();
        let keys = self.keep_named_candidates(&latest)?;
        // A candidate a certified term names is spent, adopted or not: reusing it in a
        // later term would give one key two terms.
        let certified: Vec<&PublicKey> = self
            .circle()
            .chain
            .certs()
            .iter()
            .flat_map(|c| c.body.stewards.iter())
            .collect();
        for k in self.keys().candidates()? {
            if certified.contains(&&k.public()) {
                self.keys().destroy_candidate(&k.public())?;
            }
        }
        self.keys().destroy_stewards_before(term)?;
        let keys: Vec<StewardKey> = keys
            .into_iter()
            .filter(|k| latest.body.stewards.contains(&k.public()))
            .collect();
        let gained = keys.iter().any(|k| !before.contains(&k.public()));
        let c = self.circle_mut();
        if let Some(k) = keys.first() {
            c.ledger.set_actor(actor_for(k));
        }
        c.keys = keys;
        Ok(gained)
    }
}

mod draw;
#[cfg(test)]
mod draw_tests;
#[cfg(test)]
mod interleavings;
#[cfg(test)]
mod tests;

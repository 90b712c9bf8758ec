//! Distributed k-of-n handover: a *proposal* is the next term's certificate body plus
//! the signatures of outgoing stewards collected so far. Each steward device adds its
//! own; once `threshold` of them are on one proposal it is a complete [`TermCert`].
//!
//! A proposal's id is the id of the certificate it would become, so every device names
//! it alike. Everything a device accepts from a peer is checked here, strictly and with
//! bounded work: [`Proposal::decode`] bounds the bytes, [`Proposal::verify`] checks
//! the body against the latest certificate and every signature (see docs/HANDOVER.md).

mod candidate;
mod error;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

pub use candidate::{candidate_code, parse_candidate};
pub use error::HandoverError;

use crate::keys::{Hash32, PublicKey, Signature, StewardKey};
use crate::ledger::DAY;
use crate::term::{
    CertBody, CertSignature, TermCert, TermChain, CERT_VERSION, MAX_CERT_BYTES, MAX_STEWARDS,
};

/// Largest encoded proposal accepted (a certificate, a header and a withdrawal).
pub const MAX_PROPOSAL_BYTES: usize = MAX_CERT_BYTES + 1024;
/// Proposals a device keeps open (and sends) at once; more are refused.
pub const MAX_OPEN_PROPOSALS: usize = 8;
/// Candidate keys a device holds at once.
pub const MAX_CANDIDATES: usize = 8;
/// Longest revocation reason, in bytes.
pub const MAX_REASON_BYTES: usize = 280;
/// A proposal lapses this long after its term's start (a UTC midnight, so the
/// proposal lives at least seven full days). Long enough for stewards who meet
/// weekly; short enough that a forgotten proposal does not pause writes for good.
pub const PROPOSAL_LIFETIME: u64 = 8 * DAY;
/// A proposal's start may lie at most this far ahead of a verifier's clock (clock
/// skew between devices); further, it would stay open past its lifetime.
const MAX_START_AHEAD: u64 = DAY;
const HEADER_DOMAIN: &[u8] = b"circle-ledger/proposal-header/v1";
const WITHDRAW_DOMAIN: &[u8] = b"circle-ledger/proposal-withdraw/v1";
const MAX_HANDOVER_HEADS: usize = 256;
/// A certificate signature as encoded: signer, signature and framing.
const SIGNATURE_BYTES: usize = 32 + 64 + 4;

/// What a proposal is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProposalKind {
    /// An ordinary handover to the named stewards.
    Handover,
    /// An emergency handover leaving out `key` (lost or seized): its signature is not
    /// counted, and the threshold must be met by the other stewards.
    Revoke { key: PublicKey, reason: String },
}

impl ProposalKind {
    pub fn name(&self) -> &'static str {
        match self {
            ProposalKind::Handover => "handover",
            ProposalKind::Revoke { .. } => "revoke",
        }
    }
}

/// A proposed next term with the signatures collected so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub body: CertBody,
    pub kind: ProposalKind,
    /// The outgoing steward who proposed it; only they can withdraw it.
    pub proposer: PublicKey,
    /// The proposer's signature over the id and the kind (the kind is not in the body).
    pub header: Signature,
    /// Outgoing stewards' signatures over the body, as a certificate carries them.
    pub signatures: Vec<CertSignature>,
    /// The proposer's signed withdrawal, once withdrawn (kept so it travels).
    pub withdrawn: Option<Signature>,
}

/// Where a proposal stands at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalState {
    Open,
    Withdrawn,
    Expired,
}

fn header_bytes(id: &Hash32, kind: &ProposalKind) -> Vec<u8> {
    let kind = postcard::to_stdvec(kind).unwrap_or_default();
    let mut out = Hash32::digest(HEADER_DOMAIN, &[&id.0, &kind]).0.to_vec();
    out.extend_from_slice(HEADER_DOMAIN);
    out
}

fn withdraw_bytes(id: &Hash32) -> Vec<u8> {
    let mut out = WITHDRAW_DOMAIN.to_vec();
    out.extend_from_slice(&id.0);
    out
}

/// Checks a proposed body against the chain's latest certificate: the rules every
/// device applies before it stores, signs or forwards a proposal.
pub fn check_body(body: &CertBody, chain: &TermChain, now: u64) -> Result<(), HandoverError> {
    let latest = chain.latest();
    if body.version != CERT_VERSION && body.version != crate::term::FORGETTING_VERSION {
        return Err(HandoverError::Version(body.version));
    }
    crate::term::check_forgetting_shape(body).map_err(|_| HandoverError::BadForgetting)?;
    if let Some(f) = &body.forgetting {
        if f.epoch != chain.epoch() + 1 {
            return Err(HandoverError::BadForgetting);
        }
    }
    if body.circle_id != Some(chain.circle_id()) {
        return Err(HandoverError::WrongCircle);
    }
    if body.term != latest.body.term + 1 || body.prev != Some(latest.id()) {
        return Err(HandoverError::Stale {
            proposed: body.term,
            latest: latest.body.term,
        });
    }
    check_stewards(&body.stewards)?;
    // Bounded before anything is signed: the certificate must decode on every node.
    let size = postcard::to_stdvec(body)
        .map(|b| b.len())
        .unwrap_or(usize::MAX);
    let size = size.saturating_add(latest.body.stewards.len() * SIGNATURE_BYTES);
    if size > MAX_CERT_BYTES {
        return Err(HandoverError::CertTooLarge(size, MAX_CERT_BYTES));
    }
    crate::term::check_lottery(body, latest)?;
    // Fresh keys each term: terms stay unlinkable, and a revoked key never comes back.
    let named: BTreeSet<&PublicKey> = body.stewards.iter().collect();
    let reused = chain
        .certs()
        .iter()
        .flat_map(|c| c.body.stewards.iter())
        .find(|k| named.contains(k));
    if let Some(k) = reused {
        return Err(HandoverError::ReusedKey(k.to_hex()));
    }
    if body.threshold == 0 || body.threshold as usize > body.stewards.len() {
        return Err(HandoverError::Threshold {
            threshold: body.threshold,
            stewards: body.stewards.len(),
        });
    }
    if body.start < latest.body.start
        || body.start > now.saturating_add(MAX_START_AHEAD)
        || body.expires <= body.start
        || body.expires - body.start > 367 * DAY
    {
        return Err(HandoverError::Period);
    }
    if body.handover_heads.len() > MAX_HANDOVER_HEADS || body.genesis_nonce.is_some() {
        return Err(HandoverError::Encoding);
    }
    Ok(())
}

/// The stewards list of a proposal: not empty, no key twice, not too long, every key usable.
pub fn check_stewards(stewards: &[PublicKey]) -> Result<(), HandoverError> {
    if stewards.is_empty() {
        return Err(HandoverError::NoStewards);
    }
    if stewards.len() > MAX_STEWARDS {
        return Err(HandoverError::TooManyStewards(stewards.len(), MAX_STEWARDS));
    }
    let mut seen = BTreeSet::new();
    for k in stewards {
        if !seen.insert(k) {
            return Err(HandoverError::DuplicateSteward(k.to_hex()));
        }
        k.verifying_key()
            .map_err(|_| HandoverError::CandidateKey(k.to_hex()))?;
    }
    Ok(())
}

impl Proposal {
    /// A new proposal signed by `signers` (outgoing stewards; the first is the proposer).
    pub fn new(
        body: CertBody,
        kind: ProposalKind,
        signers: &[&StewardKey],
    ) -> Result<Proposal, HandoverError> {
        let first = signers
            .first()
            .ok_or(HandoverError::NotSteward(body.term.saturating_sub(1)))?;
        let id = body.id();
        let header = first.sign(&header_bytes(&id, &kind));
        let cert = TermCert::sign(body, signers)?;
        Ok(Proposal {
            body: cert.body,
            kind,
            proposer: first.public(),
            header,
            signatures: cert.signatures,
            withdrawn: None,
        })
    }

    /// The id of the certificate this proposal becomes.
    pub fn id(&self) -> Hash32 {
        self.body.id()
    }

    pub fn term(&self) -> u64 {
        self.body.term
    }

    /// When the proposal lapses (unix seconds).
    pub fn expires_at(&self) -> u64 {
        self.body.start.saturating_add(PROPOSAL_LIFETIME)
    }

    pub fn state(&self, now: u64) -> ProposalState {
        if self.withdrawn.is_some() {
            ProposalState::Withdrawn
        } else if now >= self.expires_at() {
            ProposalState::Expired
        } else {
            ProposalState::Open
        }
    }

    /// The state as an error, for steps that need an open proposal.
    pub fn require_open(&self, now: u64) -> Result<(), HandoverError> {
        match self.state(now) {
            ProposalState::Open => Ok(()),
            ProposalState::Withdrawn => Err(HandoverError::Withdrawn(self.id().to_hex())),
            ProposalState::Expired => Err(HandoverError::Expired(self.id().to_hex())),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).unwrap_or_default()
    }

    /// Decodes untrusted bytes, bounded in size before anything else is done.
    pub fn decode(bytes: &[u8]) -> Result<Proposal, HandoverError> {
        if bytes.len() > MAX_PROPOSAL_BYTES {
            return Err(HandoverError::TooLarge(bytes.len(), MAX_PROPOSAL_BYTES));
        }
        let p: Proposal = postcard::from_bytes(bytes).map_err(|_| HandoverError::Encoding)?;
        if p.body.version != CERT_VERSION && p.body.version != crate::term::FORGETTING_VERSION {
            return Err(HandoverError::Version(p.body.version));
        }
        if p.signatures.len() > MAX_STEWARDS {
            return Err(HandoverError::TooManyStewards(
                p.signatures.len(),
                MAX_STEWARDS,
            ));
        }
        Ok(p)
    }

    /// The key whose signature does not count (a revocation), if any.
    pub fn revoked(&self) -> Option<&PublicKey> {
        match &self.kind {
            ProposalKind::Revoke { key, .. } => Some(key),
            ProposalKind::Handover => None,
        }
    }

    /// Signatures needed to certify: the outgoing term's threshold.
    pub fn needed(chain: &TermChain) -> u32 {
        chain.latest().body.threshold
    }

    /// Checks everything about a proposal against the chain, strictly: its body, its
    /// kind, the proposer's header and withdrawal, and each signature (signer a steward
    /// of the latest term, not revoked, not twice, verifying). Does not look at expiry.
    pub fn verify(&self, chain: &TermChain, now: u64) -> Result<(), HandoverError> {
        check_body(&self.body, chain, now)?;
        let outgoing = &chain.latest().body;
        let is_steward = |k: &PublicKey| outgoing.stewards.contains(k);
        if let ProposalKind::Revoke { key, reason } = &self.kind {
            check_revocation(chain, key, reason)?;
            if self.body.stewards.contains(key) {
                return Err(HandoverError::RevokedRenamed(key.to_hex()));
            }
            if &self.proposer == key {
                return Err(HandoverError::RevokedSigner(key.to_hex()));
            }
        }
        if !is_steward(&self.proposer) {
            return Err(HandoverError::ForeignSigner(self.proposer.to_hex()));
        }
        let id = self.id();
        self.proposer
            .verify(&header_bytes(&id, &self.kind), &self.header)
            .map_err(|_| HandoverError::BadSignature(self.proposer.to_hex()))?;
        if let Some(w) = &self.withdrawn {
            self.proposer
                .verify(&withdraw_bytes(&id), w)
                .map_err(|_| HandoverError::BadSignature(self.proposer.to_hex()))?;
        }
        let msg = self.body.signing_bytes()?;
        let mut seen = BTreeSet::new();
        for s in &self.signatures {
            self.check_signer(&s.signer, outgoing)?;
            if !seen.insert(s.signer) {
                return Err(HandoverError::DuplicateSigner(s.signer.to_hex()));
            }
            s.signer
                .verify(&msg, &s.signature)
                .map_err(|_| HandoverError::BadSignature(s.signer.to_hex()))?;
        }
        Ok(())
    }

    fn check_signer(&self, signer: &PublicKey, outgoing: &CertBody) -> Result<(), HandoverError> {
        if !outgoing.stewards.contains(signer) {
            return Err(HandoverError::ForeignSigner(signer.to_hex()));
        }
        if self.revoked() == Some(signer) {
            return Err(HandoverError::RevokedSigner(signer.to_hex()));
        }
        Ok(())
    }

    /// Adds this device's signature with `key` (a steward of the latest term).
    pub fn sign_with(&mut self, key: &StewardKey, chain: &TermChain) -> Result<(), HandoverError> {
        let public = key.public();
        self.check_signer(&public, &chain.latest().body)?;
        if self.signatures.iter().any(|s| s.signer == public) {
            return Err(HandoverError::AlreadySigned {
                key: public.to_hex(),
            });
        }
        let msg = self.body.signing_bytes()?;
        self.signatures.push(CertSignature {
            signer: public,
            signature: key.sign(&msg),
        });
        Ok(())
    }

    /// Takes in what a peer's copy of the same proposal adds: signatures not held yet
    /// and a withdrawal. Both copies must have been verified. Returns whether anything
    /// was added.
    pub fn absorb(&mut self, other: &Proposal) -> bool {
        let mut changed = false;
        for s in &other.signatures {
            if self.signatures.len() < MAX_STEWARDS
                && !self.signatures.iter().any(|m| m.signer == s.signer)
            {
                self.signatures.push(s.clone());
                changed = true;
            }
        }
        if self.withdrawn.is_none() && other.withdrawn.is_some() {
            self.withdrawn = other.withdrawn;
            changed = true;
        }
        changed
    }

    /// Marks the proposal withdrawn, signed by its proposer's key.
    pub fn withdraw(&mut self, proposer: &StewardKey) -> Result<(), HandoverError> {
        if proposer.public() != self.proposer {
            return Err(HandoverError::NotProposer(self.id().to_hex()));
        }
        self.withdrawn = Some(proposer.sign(&withdraw_bytes(&self.id())));
        Ok(())
    }

    /// Signers of the latest term not on it yet (the revoked key excluded).
    pub fn missing(&self, chain: &TermChain) -> Vec<PublicKey> {
        chain
            .latest()
            .body
            .stewards
            .iter()
            .filter(|k| Some(*k) != self.revoked())
            .filter(|k| !self.signatures.iter().any(|s| &s.signer == *k))
            .copied()
            .collect()
    }

    /// The certificate, once enough signatures are collected.
    pub fn complete(&self, chain: &TermChain) -> Option<TermCert> {
        (self.signatures.len() >= Proposal::needed(chain) as usize).then(|| TermCert {
            body: self.body.clone(),
            signatures: self.signatures.clone(),
        })
    }
}

/// Can `key` be revoked from the latest term: it is one of its stewards, and the others
/// alone still reach the threshold.
pub fn check_revocation(
    chain: &TermChain,
    key: &PublicKey,
    reason: &str,
) -> Result<(), HandoverError> {
    if reason.len() > MAX_REASON_BYTES {
        return Err(HandoverError::ReasonTooLong(reason.len(), MAX_REASON_BYTES));
    }
    let latest = &chain.latest().body;
    if !latest.stewards.contains(key) {
        return Err(HandoverError::RevokeNotSteward(key.to_hex()));
    }
    let others = latest.stewards.len() - 1;
    if others < latest.threshold as usize {
        return Err(HandoverError::RevokeImpossible {
            key: key.to_hex(),
            others,
            threshold: latest.threshold,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;

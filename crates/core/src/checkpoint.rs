//! Signed checkpoints: points of a circle's history that stewards vouch for, so that
//! the history up to them can travel as one compact document (a [`Snapshot`]) instead
//! of one signed change at a time.
//!
//! Two kinds of point vouch for a history ([`Vouch`]):
//!
//! - **a handover**: term `t+1`'s certificate carries handover heads signed by a
//!   threshold of term `t`'s stewards. Under the per-change rule (`validate::judge`)
//!   no change of terms `≤ t` outside their history is valid anyway, so those heads
//!   already *define* the history of the ended terms.
//! - **a [`Checkpoint`]** of the latest term: heads signed by at least `threshold`
//!   stewards of that term (the quorum that signs its handover), so a single long term
//!   is covered too.
//!
//! Either way the follower verifies the authority from its own verified certificate
//! chain before it looks at the document, and after loading it checks that the
//! document is exactly that history: heads *derived* from the reconstructed changes
//! equal to the vouched heads (see [`snapshot`]). Changes after the point still need
//! their own signatures. `docs/CHECKPOINTS.md` has the messages, the checks, the
//! invariants and the limits; `docs/DECISIONS.md` argues the authority.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::error::ValidationError;
use crate::keys::{verify_many, Hash32, PublicKey, StewardKey};
use crate::term::{CertSignature, TermChain};

pub mod collect;
pub mod snapshot;

pub use snapshot::{
    Opened, Snapshot, SnapshotLimits, MAX_SNAPSHOT_BYTES, MAX_SNAPSHOT_CHANGES,
    MAX_SNAPSHOT_INFLATED, MAX_SNAPSHOT_OPS,
};

/// Format version of checkpoints.
pub const CHECKPOINT_VERSION: u8 = 1;
/// Most heads a checkpoint may name (as many as a certificate's handover heads).
pub const MAX_CHECKPOINT_HEADS: usize = 256;
/// Most signatures a checkpoint may carry (as many as a term has stewards).
pub const MAX_CHECKPOINT_SIGNATURES: usize = crate::term::MAX_STEWARDS;

/// Why a checkpoint, a vouch or a snapshot was refused. A bad peer is normal: the
/// caller drops the snapshot and falls back to per-change sync.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckpointError {
    #[error("checkpoint could not be encoded or decoded")]
    Encoding,
    #[error("checkpoint version {0} is not supported")]
    Version(u8),
    #[error("checkpoint belongs to another circle")]
    WrongCircle,
    #[error("checkpoint names no heads, too many, or one twice")]
    BadHeads,
    #[error("no certificate known for term {0}")]
    UnknownTerm(u64),
    #[error("term {0} is not the latest: its history is vouched for by the next handover")]
    NotLatest(u64),
    #[error("term {0} has expired: only the next handover can vouch for its history")]
    Expired(u64),
    #[error("the certificate chain forks at term {0}: nothing from there on is vouched for")]
    Fork(u64),
    #[error("only {good} valid steward signatures, {needed} needed")]
    NotEnoughSignatures { good: usize, needed: u32 },
    #[error("term {0}'s history belongs to a forgotten epoch, or it starts none")]
    ForgottenEpoch(u64),
    #[error("snapshot is larger than {0} bytes")]
    TooLarge(u64),
    #[error("snapshot is malformed: {0}")]
    Malformed(&'static str),
    #[error("snapshot document refused before loading: {0}")]
    Precheck(ValidationError),
    #[error("Automerge refused the snapshot document: {0}")]
    Load(String),
    #[error("the snapshot's history is not the vouched one (derived heads differ)")]
    HeadsMismatch,
    #[error("the snapshot holds changes of a writer frozen for equivocation")]
    Frozen,
    #[error("the snapshot is not a ledger of this circle: {0}")]
    NotALedger(String),
}

/// What the stewards of a term sign to vouch for a point of its history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointBody {
    pub version: u8,
    pub circle_id: Hash32,
    /// The term whose stewards sign; the latest when the checkpoint is used.
    pub term: u64,
    /// The heads of the vouched history, sorted, distinct.
    pub heads: Vec<Hash32>,
}

/// A checkpoint with the signatures of stewards of its term.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub body: CheckpointBody,
    pub signatures: Vec<CertSignature>,
}

impl CheckpointBody {
    /// A body for `heads` (sorted and deduplicated here).
    pub fn new(circle_id: Hash32, term: u64, heads: &[Hash32]) -> CheckpointBody {
        let heads: BTreeSet<Hash32> = heads.iter().copied().collect();
        CheckpointBody {
            version: CHECKPOINT_VERSION,
            circle_id,
            term,
            heads: heads.into_iter().collect(),
        }
    }

    /// What each signer signs: a domain separator no certificate or change shares.
    pub fn signing_bytes(&self) -> Result<Vec<u8>, CheckpointError> {
        let mut out = b"circle-ledger/checkpoint/v1\0".to_vec();
        out.extend(postcard::to_stdvec(self).map_err(|_| CheckpointError::Encoding)?);
        Ok(out)
    }
}

impl Checkpoint {
    /// Signs `body` with every given key (stewards of `body.term`).
    pub fn sign(
        body: CheckpointBody,
        signers: &[&StewardKey],
    ) -> Result<Checkpoint, CheckpointError> {
        let msg = body.signing_bytes()?;
        let signatures = signers
            .iter()
            .map(|k| CertSignature {
                signer: k.public(),
                signature: k.sign(&msg),
            })
            .collect();
        Ok(Checkpoint { body, signatures })
    }

    /// Adds one steward's signature (collecting a quorum one device at a time).
    pub fn add_signature(&mut self, key: &StewardKey) -> Result<(), CheckpointError> {
        let msg = self.body.signing_bytes()?;
        let signer = key.public();
        self.signatures.retain(|s| s.signer != signer);
        self.signatures.push(CertSignature {
            signer,
            signature: key.sign(&msg),
        });
        Ok(())
    }

    /// Checks the checkpoint against a verified chain at `now`: its circle and shape, its
    /// term the latest, unexpired and before any fork, and at least `threshold` distinct
    /// stewards of the term signing. Returns the vouched heads.
    pub fn verify(&self, chain: &TermChain, now: u64) -> Result<&[Hash32], CheckpointError> {
        let (good, needed) = self.valid_signers(chain, now)?;
        if good.len() < needed as usize {
            return Err(CheckpointError::NotEnoughSignatures {
                good: good.len(),
                needed,
            });
        }
        Ok(&self.body.heads)
    }

    /// Every check of [`Checkpoint::verify`] but the threshold: the distinct stewards of
    /// the term whose signatures verify, and how many are needed.
    fn valid_signers(
        &self,
        chain: &TermChain,
        now: u64,
    ) -> Result<(BTreeSet<PublicKey>, u32), CheckpointError> {
        let b = &self.body;
        if b.version != CHECKPOINT_VERSION {
            return Err(CheckpointError::Version(b.version));
        }
        if b.circle_id != chain.circle_id() {
            return Err(CheckpointError::WrongCircle);
        }
        check_heads(&b.heads)?;
        if self.signatures.len() > MAX_CHECKPOINT_SIGNATURES {
            return Err(CheckpointError::Malformed("too many checkpoint signatures"));
        }
        if let Some(f) = chain.fork_term().filter(|f| *f <= b.term) {
            return Err(CheckpointError::Fork(f));
        }
        let cert = chain
            .term(b.term)
            .ok_or(CheckpointError::UnknownTerm(b.term))?;
        if b.term != chain.latest().body.term {
            return Err(CheckpointError::NotLatest(b.term));
        }
        if chain.latest_expired(now) {
            return Err(CheckpointError::Expired(b.term));
        }
        let stewards: BTreeSet<&PublicKey> = cert.body.stewards.iter().collect();
        let msg = b.signing_bytes()?;
        let mut seen = BTreeSet::new();
        let items: Vec<_> = self
            .signatures
            .iter()
            .filter(|s| stewards.contains(&s.signer) && seen.insert(s.signer))
            .map(|s| (s.signer, msg.as_slice(), s.signature))
            .collect();
        let good = verify_many(&items)
            .iter()
            .zip(&items)
            .filter(|(r, _)| r.is_ok())
            .map(|(_, (signer, _, _))| *signer)
            .collect();
        Ok((good, cert.body.threshold))
    }

    /// The checkpoint with only its valid signatures (a checkpoint being signed one
    /// device at a time: [`collect`]), and whether they reach the term's threshold.
    pub fn valid_part(
        &self,
        chain: &TermChain,
        now: u64,
    ) -> Result<(Checkpoint, bool), CheckpointError> {
        let (good, needed) = self.valid_signers(chain, now)?;
        let mut seen = BTreeSet::new();
        let signatures: Vec<CertSignature> = self
            .signatures
            .iter()
            .filter(|s| good.contains(&s.signer) && seen.insert(s.signer))
            .cloned()
            .collect();
        let complete = signatures.len() >= needed as usize;
        let part = Checkpoint {
            body: self.body.clone(),
            signatures,
        };
        Ok((part, complete))
    }

    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).unwrap_or_default()
    }

    pub fn decode(bytes: &[u8]) -> Result<Checkpoint, CheckpointError> {
        if bytes.len() > MAX_CHECKPOINT_BYTES {
            return Err(CheckpointError::TooLarge(MAX_CHECKPOINT_BYTES as u64));
        }
        postcard::from_bytes(bytes).map_err(|_| CheckpointError::Encoding)
    }
}

/// Largest encoded checkpoint accepted (256 heads and 32 signatures fit with room).
pub const MAX_CHECKPOINT_BYTES: usize = 16 * 1024;

/// Heads must be 1 to [`MAX_CHECKPOINT_HEADS`], sorted and distinct (so that one
/// history has one checkpoint body).
fn check_heads(heads: &[Hash32]) -> Result<(), CheckpointError> {
    let sorted = heads.windows(2).all(|w| w[0] < w[1]);
    if heads.is_empty() || heads.len() > MAX_CHECKPOINT_HEADS || !sorted {
        return Err(CheckpointError::BadHeads);
    }
    Ok(())
}

/// What vouches for a snapshot's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Vouch {
    /// The handover heads of term `term + 1`'s certificate: the whole history of terms
    /// up to `term`.
    Handover { term: u64 },
    /// A checkpoint of the latest term.
    Checkpoint(Checkpoint),
    /// The base of the epoch term `term` started: its certificate's base heads, signed
    /// with it by a threshold of term `term - 1`'s stewards (`crate::epoch`).
    Epoch { term: u64 },
}

impl Vouch {
    /// The heads this vouch stands for, checked against the verified chain at `now`
    /// (sorted, distinct). A handover is refused at or past a certificate fork: a
    /// fork's certificates name different histories, and the ended term's changes must
    /// lie in every one of them.
    pub fn heads(&self, chain: &TermChain, now: u64) -> Result<Vec<Hash32>, CheckpointError> {
        match self {
            Vouch::Checkpoint(c) => c.verify(chain, now).map(<[Hash32]>::to_vec),
            Vouch::Epoch { term } => {
                if let Some(f) = chain.fork_term().filter(|f| f <= term) {
                    return Err(CheckpointError::Fork(f));
                }
                let cert = chain
                    .term(*term)
                    .ok_or(CheckpointError::UnknownTerm(*term))?;
                if *term != chain.epoch_first_term() {
                    return Err(CheckpointError::ForgottenEpoch(*term));
                }
                let f = cert
                    .body
                    .forgetting
                    .as_ref()
                    .ok_or(CheckpointError::ForgottenEpoch(*term))?;
                check_heads(&f.base_heads)?;
                Ok(f.base_heads.clone())
            }
            Vouch::Handover { term } => {
                let next = term
                    .checked_add(1)
                    .ok_or(CheckpointError::UnknownTerm(*term))?;
                // The history handed over into the epoch's first term was forgotten.
                if next <= chain.epoch_first_term() && chain.epoch() > 0 {
                    return Err(CheckpointError::ForgottenEpoch(next));
                }
                if let Some(f) = chain.fork_term().filter(|f| *f <= next) {
                    return Err(CheckpointError::Fork(f));
                }
                let cert = chain.term(next).ok_or(CheckpointError::UnknownTerm(next))?;
                let heads: BTreeSet<Hash32> = cert.body.handover_heads.iter().copied().collect();
                let heads: Vec<Hash32> = heads.into_iter().collect();
                check_heads(&heads)?;
                Ok(heads)
            }
        }
    }

    /// The last term whose changes the vouched history may hold.
    pub fn term(&self) -> u64 {
        match self {
            Vouch::Checkpoint(c) => c.body.term,
            Vouch::Handover { term } => *term,
            // The base holds no signed change: the epoch's first term writes after it.
            Vouch::Epoch { term } => *term,
        }
    }
}

#[cfg(test)]
mod tests;

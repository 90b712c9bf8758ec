//! Term certificates and the rotation chain.
//!
//! Term 0 (genesis) is signed by its own stewards; term `n` by at least `threshold`
//! stewards of term `n-1`. The circle id is the hash of the genesis certificate body.
//! Two different valid certificates for one term are an *equivocation*: both are
//! kept as evidence and the circle is flagged. The chain then freezes at the fork
//! whatever the arrival order: the certificate with the lower id stands for the term
//! (so every node names the same one), no later term is added, and the ended term's
//! changes must lie in the handover history of *every* certificate of the fork.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::CertError;
use crate::keys::{verify_many, Hash32, PublicKey, Signature, StewardKey};

/// Wire and storage format version of certificates.
pub const CERT_VERSION: u8 = 1;
pub use wire::FORGETTING_VERSION;

mod wire;
/// More stewards than this in one term is refused (bounds verification work).
pub const MAX_STEWARDS: usize = 32;
/// A chain longer than this is refused: 26 terms a year for four centuries.
pub const MAX_TERMS: u64 = 10_000;
/// Certificates held back because their predecessor has not arrived yet.
pub const MAX_PENDING_CERTS: usize = 64;
/// Of those, at most this many from one source (a peer, a bundle): one hostile peer
/// cannot fill the buffer and crowd out the certificates honest peers send.
pub const MAX_PENDING_PER_SOURCE: usize = 8;
/// Who offered a pending certificate (a caller-chosen id, e.g. a hash of a peer id).
pub type CertSource = u64;
/// The source of certificates read from this node's own store or made here.
pub const LOCAL_SOURCE: CertSource = 0;
/// Largest accepted encoded certificate.
pub const MAX_CERT_BYTES: usize = 16 * 1024;
const MAX_HEADS: usize = 256;
/// 366 days, plus the day an expiry rounded up to midnight may add.
const MAX_TERM_SECS: u64 = 367 * 86_400;

/// What the stewards of a term sign (wire form by version: `term/wire.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertBody {
    pub version: u8,
    /// `None` only for the genesis term, whose hash *is* the circle id.
    pub circle_id: Option<Hash32>,
    pub term: u64,
    pub stewards: Vec<PublicKey>,
    /// How many of these stewards must sign the next term's certificate.
    pub threshold: u32,
    /// Unix seconds.
    pub start: u64,
    pub expires: u64,
    /// Ledger heads at handover: the outgoing term can only have written their history.
    pub handover_heads: Vec<Hash32>,
    /// Hash of the previous certificate's body (`None` for genesis).
    pub prev: Option<Hash32>,
    /// Genesis only: the circle's chosen name and a nonce, so that two circles never share an id.
    pub genesis_nonce: Option<Hash32>,
    /// Optional proof of a verifiable lottery that drew these stewards.
    pub lottery: Option<Vec<u8>>,
    /// Set when this term starts a new epoch that forgets old evidence (version 2
    /// bodies only; `docs/EPOCHS.md`).
    pub forgetting: Option<Forgetting>,
}

/// A term that starts its ledger afresh from the retained state of the last one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forgetting {
    /// Evidence written in term `s` is kept while the current term is below `s + retain_terms`.
    pub retain_terms: u32,
    /// The epoch this term starts: one more than the chain's epoch before it.
    pub epoch: u64,
    /// Heads of the epoch's base document, which every node derives itself from the
    /// history at `handover_heads` (`crate::epoch::rebase`) and checks against these.
    pub base_heads: Vec<Hash32>,
}

/// Most terms evidence may be retained for (a setting past this is "keep everything").
pub const MAX_RETAIN_TERMS: u32 = 1_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertSignature {
    pub signer: PublicKey,
    pub signature: Signature,
}

/// A signed term certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermCert {
    pub body: CertBody,
    pub signatures: Vec<CertSignature>,
}

impl CertBody {
    /// What each signer of this body signs.
    pub fn signing_bytes(&self) -> Result<Vec<u8>, CertError> {
        let mut out = b"circle-ledger/cert/v1\0".to_vec();
        out.extend(postcard::to_stdvec(self).map_err(|_| CertError::Encoding)?);
        Ok(out)
    }

    /// The handover heads as Automerge change hashes.
    pub fn handover_hashes(&self) -> Vec<automerge::ChangeHash> {
        self.handover_heads
            .iter()
            .map(|h| automerge::ChangeHash(h.0))
            .collect()
    }

    /// The certificate's id: a hash of its body. For term 0 this is the circle id.
    pub fn id(&self) -> Hash32 {
        let bytes = postcard::to_stdvec(self).unwrap_or_default();
        Hash32::digest(b"circle-ledger/cert-id/v1", &[&bytes])
    }
}

impl TermCert {
    /// Builds and signs a certificate with every given key (all must be stewards of
    /// the signing term).
    pub fn sign(body: CertBody, signers: &[&StewardKey]) -> Result<TermCert, CertError> {
        let msg = body.signing_bytes()?;
        let signatures = signers
            .iter()
            .map(|k| CertSignature {
                signer: k.public(),
                signature: k.sign(&msg),
            })
            .collect();
        Ok(TermCert { body, signatures })
    }

    pub fn id(&self) -> Hash32 {
        self.body.id()
    }

    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).unwrap_or_default()
    }

    pub fn decode(bytes: &[u8]) -> Result<TermCert, CertError> {
        if bytes.len() > MAX_CERT_BYTES {
            return Err(CertError::TooLarge(bytes.len()));
        }
        let version = *bytes.first().ok_or(CertError::Encoding)?;
        if version != CERT_VERSION && version != FORGETTING_VERSION {
            return Err(CertError::Version(version));
        }
        let cert: TermCert = postcard::from_bytes(bytes).map_err(|_| CertError::Encoding)?;
        Ok(cert)
    }

    /// The circle this certificate belongs to.
    pub fn circle_id(&self) -> Hash32 {
        self.body.circle_id.unwrap_or_else(|| self.id())
    }

    /// Checks the certificate's own shape (no chain context).
    fn check_shape(&self) -> Result<(), CertError> {
        let b = &self.body;
        if b.stewards.is_empty() || b.stewards.len() > MAX_STEWARDS {
            return Err(CertError::StewardCount(b.stewards.len()));
        }
        let distinct: BTreeSet<_> = b.stewards.iter().collect();
        if distinct.len() != b.stewards.len() {
            return Err(CertError::DuplicateSteward);
        }
        for k in &b.stewards {
            k.verifying_key().map_err(CertError::Key)?;
        }
        if b.threshold == 0 || b.threshold as usize > b.stewards.len() {
            return Err(CertError::Threshold(b.threshold));
        }
        if b.expires <= b.start || b.expires - b.start > MAX_TERM_SECS {
            return Err(CertError::Period);
        }
        if b.term >= MAX_TERMS {
            return Err(CertError::TooLong(b.term));
        }
        if b.handover_heads.len() > MAX_HEADS || self.signatures.len() > MAX_STEWARDS {
            return Err(CertError::TooLarge(b.handover_heads.len()));
        }
        check_forgetting_shape(b)?;
        let genesis_shape = b.term == 0;
        // Genesis has no outgoing stewards to draw it by lottery.
        if genesis_shape != (b.circle_id.is_none() && b.prev.is_none() && b.genesis_nonce.is_some())
            || (genesis_shape && b.lottery.is_some())
        {
            return Err(CertError::GenesisShape);
        }
        Ok(())
    }

    /// Checks that at least `threshold` distinct members of `signers` signed this body.
    fn check_signatures(&self, signers: &[PublicKey], threshold: u32) -> Result<(), CertError> {
        let msg = self.body.signing_bytes()?;
        let allowed: BTreeSet<&PublicKey> = signers.iter().collect();
        let mut seen = BTreeSet::new();
        let items: Vec<(PublicKey, &[u8], Signature)> = self
            .signatures
            .iter()
            .filter(|s| allowed.contains(&s.signer) && seen.insert(s.signer))
            .map(|s| (s.signer, msg.as_slice(), s.signature))
            .collect();
        let good = verify_many(&items).iter().filter(|r| r.is_ok()).count();
        if good < threshold as usize {
            return Err(CertError::NotEnoughSignatures {
                good,
                needed: threshold,
            });
        }
        Ok(())
    }
}

/// A body carries a [`Forgetting`] exactly when its version says so, never at genesis
/// (there is nothing to forget), with a sane retention and base heads.
pub fn check_forgetting_shape(b: &CertBody) -> Result<(), CertError> {
    let expected = if b.forgetting.is_some() {
        FORGETTING_VERSION
    } else {
        CERT_VERSION
    };
    if b.version != expected {
        return Err(CertError::Version(b.version));
    }
    let Some(f) = &b.forgetting else {
        return Ok(());
    };
    let sorted = f.base_heads.windows(2).all(|w| w[0] < w[1]);
    if b.term == 0
        || f.retain_terms == 0
        || f.retain_terms > MAX_RETAIN_TERMS
        || f.base_heads.is_empty()
        || f.base_heads.len() > MAX_HEADS
        || !sorted
    {
        return Err(CertError::Forgetting);
    }
    Ok(())
}

/// A certificate whose stewards were drawn by lottery (`body.lottery`) is valid only if
/// the proof verifies against the outgoing term `prev` and drew exactly the stewards
/// the body names (`lottery::verify_steward_proof`). Bodies without a proof pass.
pub fn check_lottery(body: &CertBody, prev: &TermCert) -> Result<(), CertError> {
    let Some(bytes) = &body.lottery else {
        return Ok(());
    };
    let circle_id = prev.circle_id();
    crate::lottery::verify_steward_proof(
        bytes,
        &circle_id,
        prev.body.term,
        &prev.body.stewards,
        &body.stewards,
    )
    .map(|_| ())
    .map_err(CertError::Lottery)
}

/// Evidence that two different certificates were issued for one term.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Equivocation {
    pub term: u64,
    pub first: TermCert,
    pub second: TermCert,
}

/// What happened to a certificate offered to the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertOutcome {
    /// New, valid, now part of the chain.
    Added,
    /// Already known.
    Duplicate,
    /// Waiting for the previous term's certificate.
    Pending,
    /// A second valid certificate for an existing term: the circle is flagged. Also the
    /// answer for any certificate past a fork: the chain is frozen there.
    Equivocation(u64),
}

/// The verified chain of term certificates of one circle.
///
/// The outcome is the same whatever order certificates arrive in: out-of-order ones
/// wait (bounded) until their predecessor arrives.
#[derive(Clone, Debug)]
pub struct TermChain {
    circle_id: Hash32,
    terms: Vec<TermCert>,
    pending: BTreeMap<(u64, Hash32), (TermCert, CertSource)>,
    equivocations: Vec<Equivocation>,
    /// Actors frozen by a change equivocation: nothing of theirs from this sequence
    /// number on is applied (see `validate`).
    frozen_actors: BTreeMap<Vec<u8>, u64>,
}

impl TermChain {
    /// Starts a chain from a genesis certificate.
    pub fn from_genesis(genesis: TermCert) -> Result<TermChain, CertError> {
        genesis.check_shape()?;
        if genesis.body.term != 0 {
            return Err(CertError::GenesisShape);
        }
        genesis.check_signatures(&genesis.body.stewards, genesis.body.threshold)?;
        Ok(TermChain {
            circle_id: genesis.id(),
            terms: vec![genesis],
            pending: BTreeMap::new(),
            equivocations: Vec::new(),
            frozen_actors: BTreeMap::new(),
        })
    }

    /// Builds a chain from certificates in any order (genesis must be among them).
    pub fn from_certs(certs: Vec<TermCert>) -> Result<TermChain, CertError> {
        let mut certs = certs;
        let pos = certs
            .iter()
            .position(|c| c.body.term == 0)
            .ok_or(CertError::NoGenesis)?;
        let genesis = certs.swap_remove(pos);
        let mut chain = TermChain::from_genesis(genesis)?;
        for c in certs {
            chain.insert(c)?;
        }
        Ok(chain)
    }

    pub fn circle_id(&self) -> Hash32 {
        self.circle_id
    }

    pub fn genesis(&self) -> &TermCert {
        &self.terms[0]
    }

    pub fn latest(&self) -> &TermCert {
        // `terms` is never empty: it starts with genesis.
        &self.terms[self.terms.len() - 1]
    }

    pub fn term(&self, n: u64) -> Option<&TermCert> {
        usize::try_from(n).ok().and_then(|i| self.terms.get(i))
    }

    pub fn certs(&self) -> &[TermCert] {
        &self.terms
    }

    pub fn equivocations(&self) -> &[Equivocation] {
        &self.equivocations
    }

    /// Flagged for equivocating certificates (federation suspended from that term).
    pub fn is_flagged(&self) -> bool {
        !self.equivocations.is_empty()
    }

    /// The first term of a certificate fork, if any: nothing from it on is valid.
    pub fn fork_term(&self) -> Option<u64> {
        self.equivocations.iter().map(|e| e.term).min()
    }

    /// Every certificate held as part of the chain or as evidence, to be stored.
    pub fn all_certs(&self) -> impl Iterator<Item = &TermCert> {
        self.terms
            .iter()
            .chain(self.equivocations.iter().map(|e| &e.second))
    }

    /// The handover heads of every certificate of term `term + 1` (several after a
    /// fork), or `None` while that term is not known.
    pub fn handover_heads(&self, term: u64) -> Option<Vec<&[Hash32]>> {
        let next = self.term(term.checked_add(1)?)?;
        let mut sets = vec![next.body.handover_heads.as_slice()];
        for e in self.equivocations.iter().filter(|e| e.term == term + 1) {
            sets.push(e.second.body.handover_heads.as_slice());
        }
        Some(sets)
    }

    /// The epoch the chain is in: how many of its terms started afresh.
    pub fn epoch(&self) -> u64 {
        self.epoch_before(self.terms.len() as u64)
    }

    /// The epoch in force during the terms below `term`.
    fn epoch_before(&self, term: u64) -> u64 {
        self.terms
            .iter()
            .take(usize::try_from(term).unwrap_or(usize::MAX))
            .filter_map(|c| c.body.forgetting.as_ref())
            .map(|f| f.epoch)
            .max()
            .unwrap_or(0)
    }

    /// The certificate that started the current epoch (`None` in epoch 0).
    pub fn epoch_start(&self) -> Option<&TermCert> {
        self.terms
            .iter()
            .rev()
            .find(|c| c.body.forgetting.is_some())
    }

    /// The first term of the current epoch: changes of earlier terms belong to a
    /// forgotten history and are refused.
    pub fn epoch_first_term(&self) -> u64 {
        self.epoch_start().map(|c| c.body.term).unwrap_or(0)
    }

    /// The retention in force: the latest term's setting (`None`: keep everything).
    pub fn retain_terms(&self) -> Option<u32> {
        self.latest()
            .body
            .forgetting
            .as_ref()
            .map(|f| f.retain_terms)
    }

    /// Freezes an actor from `seq` on (a change equivocation; evidence kept by the caller).
    pub fn freeze_actor(&mut self, actor: &[u8], seq: u64) {
        let s = self.frozen_actors.entry(actor.to_vec()).or_insert(seq);
        *s = (*s).min(seq);
    }

    /// Actors frozen by change equivocations, with the first frozen sequence number.
    pub fn frozen_actors(&self) -> &BTreeMap<Vec<u8>, u64> {
        &self.frozen_actors
    }

    /// Has the latest term run out at `now` (unix seconds)?
    pub fn latest_expired(&self, now: u64) -> bool {
        now >= self.latest().body.expires
    }

    /// Offers a certificate from this node itself (see [`TermChain::insert_from`]).
    pub fn insert(&mut self, cert: TermCert) -> Result<CertOutcome, CertError> {
        self.insert_from(cert, LOCAL_SOURCE)
    }

    /// Offers a certificate from `source`. Errors mean the certificate is invalid and
    /// must be dropped.
    pub fn insert_from(
        &mut self,
        cert: TermCert,
        source: CertSource,
    ) -> Result<CertOutcome, CertError> {
        cert.check_shape()?;
        let term = cert.body.term;
        if term == 0 {
            return if cert == self.terms[0] {
                Ok(CertOutcome::Duplicate)
            } else {
                Err(CertError::WrongCircle)
            };
        }
        if cert.body.circle_id != Some(self.circle_id) {
            return Err(CertError::WrongCircle);
        }
        if let Some(fork) = self.fork_term() {
            if term > fork {
                return Ok(CertOutcome::Equivocation(fork));
            }
        }
        let known = self.terms.len() as u64;
        if term > known {
            return self.hold(cert, source);
        }
        let prev = &self.terms[(term - 1) as usize];
        if cert.body.prev != Some(prev.id()) {
            return Err(CertError::BrokenLink(term));
        }
        if cert.body.start < prev.body.start {
            return Err(CertError::Period);
        }
        cert.check_signatures(&prev.body.stewards, prev.body.threshold)?;
        check_lottery(&cert.body, prev)?;
        if let Some(f) = &cert.body.forgetting {
            if f.epoch != self.epoch_before(term) + 1 {
                return Err(CertError::EpochNumber(f.epoch));
            }
        }
        if term < known {
            let existing = &self.terms[term as usize];
            if existing == &cert {
                return Ok(CertOutcome::Duplicate);
            }
            if existing.id() == cert.id() {
                // Same body, other signature set: not a conflict.
                return Ok(CertOutcome::Duplicate);
            }
            let already = self
                .equivocations
                .iter()
                .any(|e| e.term == term && e.second.id() == cert.id());
            if already {
                return Ok(CertOutcome::Equivocation(term));
            }
            // The lower id stands for the term on every node, whatever came first;
            // nothing after the fork stays in the chain.
            let mut rivals: Vec<TermCert> = self
                .equivocations
                .iter()
                .filter(|e| e.term == term)
                .map(|e| e.second.clone())
                .collect();
            rivals.push(existing.clone());
            rivals.push(cert);
            rivals.sort_by_key(|c| c.id());
            let standing = rivals.remove(0);
            self.equivocations.retain(|e| e.term != term);
            self.equivocations
                .extend(rivals.into_iter().map(|second| Equivocation {
                    term,
                    first: standing.clone(),
                    second,
                }));
            self.terms.truncate(term as usize);
            self.terms.push(standing);
            self.pending.clear();
            return Ok(CertOutcome::Equivocation(term));
        }
        self.terms.push(cert);
        self.drain_pending();
        Ok(CertOutcome::Added)
    }

    /// Keeps a certificate whose predecessor has not arrived, within the bounds: per
    /// source first, then overall, making room by dropping one held for the source
    /// that holds the most (never for a source below its share).
    fn hold(&mut self, cert: TermCert, source: CertSource) -> Result<CertOutcome, CertError> {
        let key = (cert.body.term, cert.id());
        if self.pending.contains_key(&key) {
            return Ok(CertOutcome::Pending);
        }
        let mut per_source: BTreeMap<CertSource, usize> = BTreeMap::new();
        for (_, s) in self.pending.values() {
            *per_source.entry(*s).or_default() += 1;
        }
        let mine = per_source.get(&source).copied().unwrap_or(0);
        if mine >= MAX_PENDING_PER_SOURCE {
            return Err(CertError::PendingFull);
        }
        if self.pending.len() >= MAX_PENDING_CERTS {
            let (busiest, most) = per_source
                .iter()
                .max_by_key(|(_, n)| **n)
                .map(|(s, n)| (*s, *n))
                .unwrap_or((source, 0));
            if most <= mine + 1 {
                return Err(CertError::PendingFull);
            }
            let victim = self
                .pending
                .iter()
                .rev()
                .find(|(_, (_, s))| *s == busiest)
                .map(|(k, _)| *k);
            if let Some(v) = victim {
                self.pending.remove(&v);
            }
        }
        self.pending.insert(key, (cert, source));
        Ok(CertOutcome::Pending)
    }

    fn drain_pending(&mut self) {
        loop {
            let next = self.terms.len() as u64;
            let key = self.pending.keys().find(|(t, _)| *t <= next).copied();
            let Some(key) = key else { return };
            if let Some((cert, source)) = self.pending.remove(&key) {
                // Invalid pending certificates are simply dropped.
                let _ = self.insert_from(cert, source);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn genesis(keys: &[&StewardKey]) -> TermCert {
        let body = CertBody {
            version: CERT_VERSION,
            circle_id: None,
            term: 0,
            stewards: keys.iter().map(|k| k.public()).collect(),
            threshold: 1,
            start: 1_000,
            expires: 1_000 + 14 * 86_400,
            handover_heads: vec![],
            prev: None,
            genesis_nonce: Some(Hash32([7; 32])),
            lottery: None,
            forgetting: None,
        };
        TermCert::sign(body, keys).unwrap()
    }

    fn next(chain: &TermChain, new: &[&StewardKey], signers: &[&StewardKey]) -> TermCert {
        let prev = chain.latest();
        let body = CertBody {
            version: CERT_VERSION,
            circle_id: Some(chain.circle_id()),
            term: prev.body.term + 1,
            stewards: new.iter().map(|k| k.public()).collect(),
            threshold: 1,
            start: prev.body.expires,
            expires: prev.body.expires + 86_400,
            handover_heads: vec![],
            prev: Some(prev.id()),
            genesis_nonce: None,
            lottery: None,
            forgetting: None,
        };
        TermCert::sign(body, signers).unwrap()
    }

    #[test]
    fn rotation_requires_outgoing_signatures() {
        let k0 = StewardKey::generate();
        let k1 = StewardKey::generate();
        let mut chain = TermChain::from_genesis(genesis(&[&k0])).unwrap();
        let forged = next(&chain, &[&k1], &[&k1]);
        assert!(matches!(
            chain.insert(forged),
            Err(CertError::NotEnoughSignatures { .. })
        ));
        let good = next(&chain, &[&k1], &[&k0]);
        assert_eq!(chain.insert(good.clone()).unwrap(), CertOutcome::Added);
        assert_eq!(chain.insert(good).unwrap(), CertOutcome::Duplicate);
        assert_eq!(chain.latest().body.term, 1);
    }

    #[test]
    fn equivocation_is_detected_and_kept() {
        let k0 = StewardKey::generate();
        let (a, b) = (StewardKey::generate(), StewardKey::generate());
        let mut chain = TermChain::from_genesis(genesis(&[&k0])).unwrap();
        let first = next(&chain, &[&a], &[&k0]);
        let second = next(&chain, &[&b], &[&k0]);
        chain.insert(first).unwrap();
        assert_eq!(chain.insert(second).unwrap(), CertOutcome::Equivocation(1));
        assert!(chain.is_flagged());
    }

    #[test]
    fn out_of_order_certificates_converge() {
        let keys: Vec<StewardKey> = (0..5).map(|_| StewardKey::generate()).collect();
        let mut chain = TermChain::from_genesis(genesis(&[&keys[0]])).unwrap();
        let mut certs = vec![];
        for i in 1..5 {
            let c = next(&chain, &[&keys[i]], &[&keys[i - 1]]);
            chain.insert(c.clone()).unwrap();
            certs.push(c);
        }
        certs.reverse();
        let mut other = TermChain::from_genesis(chain.genesis().clone()).unwrap();
        for c in certs {
            other.insert(c).unwrap();
        }
        assert_eq!(other.latest(), chain.latest());
    }

    #[test]
    fn foreign_certificate_is_refused() {
        let k0 = StewardKey::generate();
        let mut chain = TermChain::from_genesis(genesis(&[&k0])).unwrap();
        let other = TermChain::from_genesis(genesis(&[&StewardKey::generate()])).unwrap();
        let c = next(&other, &[&k0], &[&k0]);
        assert!(matches!(chain.insert(c), Err(CertError::WrongCircle)));
    }

    /// Issue 8, item 5: a fork resolves the same way on every node, whatever arrives
    /// first, and is found again when the chain is rebuilt from what was stored.
    #[test]
    fn a_fork_freezes_the_chain_the_same_way_whatever_the_order() {
        let k0 = StewardKey::generate();
        let (a, b) = (StewardKey::generate(), StewardKey::generate());
        let base = TermChain::from_genesis(genesis(&[&k0])).unwrap();
        let first = next(&base, &[&a], &[&k0]);
        let second = next(&base, &[&b], &[&k0]);
        let mut after_first = base.clone();
        after_first.insert(first.clone()).unwrap();
        let on_first = next(&after_first, &[&StewardKey::generate()], &[&a]);
        let mut after_second = base.clone();
        after_second.insert(second.clone()).unwrap();
        let on_second = next(&after_second, &[&StewardKey::generate()], &[&b]);
        let orders = [
            vec![
                first.clone(),
                on_first.clone(),
                second.clone(),
                on_second.clone(),
            ],
            vec![
                second.clone(),
                on_second.clone(),
                first.clone(),
                on_first.clone(),
            ],
            vec![on_second.clone(), second.clone(), first.clone()],
        ];
        let mut seen = Vec::new();
        for order in orders {
            let mut chain = base.clone();
            for c in order {
                let _ = chain.insert(c);
            }
            assert_eq!(chain.fork_term(), Some(1));
            assert_eq!(chain.latest().body.term, 1, "nothing past the fork");
            assert_eq!(
                chain.insert(on_first.clone()).unwrap(),
                CertOutcome::Equivocation(1)
            );
            let standing = chain.term(1).unwrap().id();
            assert_eq!(standing, first.id().min(second.id()));
            // As on restart: rebuilt from every stored certificate, the fork is found again.
            let stored: Vec<TermCert> = chain.all_certs().cloned().collect();
            let reopened = TermChain::from_certs(stored).unwrap();
            assert_eq!(reopened.fork_term(), Some(1));
            assert_eq!(reopened.term(1).unwrap().id(), standing);
            assert_eq!(reopened.handover_heads(0).unwrap().len(), 2);
            seen.push((standing, chain.equivocations().to_vec()));
        }
        assert!(seen.windows(2).all(|w| w[0] == w[1]));
    }

    fn junk_future_cert(chain: &TermChain, term: u64, salt: u8) -> TermCert {
        let k = StewardKey::generate();
        let body = CertBody {
            version: CERT_VERSION,
            circle_id: Some(chain.circle_id()),
            term,
            stewards: vec![k.public()],
            threshold: 1,
            start: 2_000_000,
            expires: 2_000_000 + 86_400,
            handover_heads: vec![],
            prev: Some(Hash32([salt; 32])),
            genesis_nonce: None,
            lottery: None,
            forgetting: None,
        };
        TermCert::sign(body, &[&k]).unwrap()
    }

    #[test]
    fn pending_certificates_are_bounded_per_source() {
        let keys: Vec<StewardKey> = (0..4).map(|_| StewardKey::generate()).collect();
        let mut chain = TermChain::from_genesis(genesis(&[&keys[0]])).unwrap();
        let mut full = chain.clone();
        let mut honest = vec![];
        for i in 1..4 {
            let c = next(&full, &[&keys[i]], &[&keys[i - 1]]);
            full.insert(c.clone()).unwrap();
            honest.push(c);
        }
        // One hostile source floods future certificates that can never verify.
        let mut refused = 0;
        for i in 0..200u32 {
            let junk = junk_future_cert(&chain, 2 + u64::from(i % 50), i as u8);
            match chain.insert_from(junk, 666) {
                Ok(CertOutcome::Pending) => {}
                Err(CertError::PendingFull) => refused += 1,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(200 - refused, MAX_PENDING_PER_SOURCE);
        // An honest source still gets its share, and its certificates drain in.
        assert_eq!(
            chain.insert_from(honest[2].clone(), 7),
            Ok(CertOutcome::Pending)
        );
        assert_eq!(
            chain.insert_from(honest[1].clone(), 7),
            Ok(CertOutcome::Pending)
        );
        assert_eq!(
            chain.insert_from(honest[0].clone(), 7),
            Ok(CertOutcome::Added)
        );
        // However many sources there are, the whole buffer stays bounded.
        for src in 1..200u64 {
            let _ = chain.insert_from(junk_future_cert(&chain, 9, src as u8), 1000 + src);
        }
        assert!(chain.pending.len() <= MAX_PENDING_CERTS);
        assert_eq!(chain.latest(), full.latest());
    }
}

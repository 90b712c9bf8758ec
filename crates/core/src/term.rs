//! Term certificates and the rotation chain.
//!
//! Term 0 (genesis) is signed by its own stewards; term `n` by at least `threshold`
//! stewards of term `n-1`. The circle id is the hash of the genesis certificate body.
//! Two different valid certificates for one term are an *equivocation*: both are
//! kept as evidence and the circle is flagged.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::CertError;
use crate::keys::{verify_many, Hash32, PublicKey, Signature, StewardKey};

/// Wire and storage format version of certificates.
pub const CERT_VERSION: u8 = 1;
/// More stewards than this in one term is refused (bounds verification work).
pub const MAX_STEWARDS: usize = 32;
/// A chain longer than this is refused: 26 terms a year for four centuries.
pub const MAX_TERMS: u64 = 10_000;
/// Certificates held back because their predecessor has not arrived yet.
pub const MAX_PENDING_CERTS: usize = 64;
/// Largest accepted encoded certificate.
pub const MAX_CERT_BYTES: usize = 16 * 1024;
const MAX_HEADS: usize = 256;
const MAX_TERM_SECS: u64 = 366 * 86_400;

/// What the stewards of a term sign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
}

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
    fn signing_bytes(&self) -> Result<Vec<u8>, CertError> {
        let mut out = b"circle-ledger/cert/v1\0".to_vec();
        out.extend(postcard::to_stdvec(self).map_err(|_| CertError::Encoding)?);
        Ok(out)
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
        let cert: TermCert = postcard::from_bytes(bytes).map_err(|_| CertError::Encoding)?;
        if cert.body.version != CERT_VERSION {
            return Err(CertError::Version(cert.body.version));
        }
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
        let genesis_shape = b.term == 0;
        if genesis_shape != (b.circle_id.is_none() && b.prev.is_none() && b.genesis_nonce.is_some())
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
    /// A second valid certificate for an existing term: the circle is flagged.
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
    pending: BTreeMap<(u64, Hash32), TermCert>,
    equivocations: Vec<Equivocation>,
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

    pub fn is_flagged(&self) -> bool {
        !self.equivocations.is_empty()
    }

    /// Has the latest term run out at `now` (unix seconds)?
    pub fn latest_expired(&self, now: u64) -> bool {
        now >= self.latest().body.expires
    }

    /// Offers a certificate. Errors mean the certificate is invalid and must be dropped.
    pub fn insert(&mut self, cert: TermCert) -> Result<CertOutcome, CertError> {
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
        let known = self.terms.len() as u64;
        if term > known {
            if self.pending.len() >= MAX_PENDING_CERTS {
                return Err(CertError::PendingFull);
            }
            self.pending.insert((term, cert.id()), cert);
            return Ok(CertOutcome::Pending);
        }
        let prev = &self.terms[(term - 1) as usize];
        if cert.body.prev != Some(prev.id()) {
            return Err(CertError::BrokenLink(term));
        }
        if cert.body.start < prev.body.start {
            return Err(CertError::Period);
        }
        cert.check_signatures(&prev.body.stewards, prev.body.threshold)?;
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
            if !already {
                self.equivocations.push(Equivocation {
                    term,
                    first: existing.clone(),
                    second: cert,
                });
            }
            return Ok(CertOutcome::Equivocation(term));
        }
        self.terms.push(cert);
        self.drain_pending();
        Ok(CertOutcome::Added)
    }

    fn drain_pending(&mut self) {
        loop {
            let next = self.terms.len() as u64;
            let key = self.pending.keys().find(|(t, _)| *t <= next).copied();
            let Some(key) = key else { return };
            if let Some(cert) = self.pending.remove(&key) {
                // Invalid pending certificates are simply dropped.
                let _ = self.insert(cert);
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
}

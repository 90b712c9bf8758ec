//! The verifiable lottery: a draw among named candidates whose seed no single steward
//! controls, with a public transcript every node recomputes (`docs/LOTTERY.md`).
//!
//! Each steward key of a term keeps a hash chain on its own device: a secret seed,
//! and the anchor `H^N(seed)` it publishes, signed, as a [`Commitment`] before any draw
//! that counts it. A draw fixes the candidates, seats, purpose and ledger heads and
//! names, for every counted steward, the chain *position* it must reveal; the value at
//! a position is fixed by the anchor (`H^position(value) == anchor`), so a steward's
//! only choice is to reveal it or to withhold it. The seed of the draw is the hash of
//! the whole [`Transcript`]; the chosen are a ChaCha20 shuffle of the candidates.
//!
//! This module is I/O-free and knows nothing of Automerge: `ledger/draws.rs` reads a
//! transcript out of the ledger (with the checks only the change graph can make) and
//! [`verify_proof`] checks a transcript carried on its own (a steward certificate).
//!
//! ```
//! use circle_core::keys::{Hash32, StewardKey};
//! use circle_core::lottery::{self, Commitment, Reveal, Slot, Transcript};
//! let circle = Hash32([7; 32]);
//! let key = StewardKey::generate();
//! let seed = [1u8; 32];
//! let anchor = lottery::chain_value(&circle, &key.public(), &seed, 0).unwrap();
//! let commitment = Commitment::sign(&circle, 0, &key, anchor);
//! let value = lottery::chain_value(&circle, &key.public(), &seed, 1).unwrap();
//! let mut t = Transcript {
//!     circle_id: circle,
//!     term: 0,
//!     candidates: lottery::canonical_candidates(&["ana".into(), "ben".into(), "cy".into()]).unwrap(),
//!     seats: 2,
//!     purpose: "facilitators".into(),
//!     heads: vec![Hash32([9; 32])],
//!     slots: vec![Slot { commitment, position: 1, reveal: None }],
//!     closed: false,
//! };
//! t.slots[0].reveal = Some(Reveal::sign(&t.draw_digest(), value, &key));
//! let chosen = lottery::verify(&t, &[key.public()]).unwrap();
//! assert_eq!(chosen, lottery::draw(&t).unwrap());
//! assert_eq!(chosen.len(), 2);
//! ```

use std::collections::BTreeSet;

use rand::rngs::ChaCha20Rng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::keys::{Hash32, PublicKey, Signature, StewardKey};

/// Length of every steward's hash chain: the draws one key can take part in per term.
pub const CHAIN_LENGTH: u32 = 1024;
/// Most candidates one draw may name.
pub const MAX_CANDIDATES: usize = 64;
/// Most stewards one draw may count (a term has at most this many).
pub const MAX_DRAW_STEWARDS: usize = crate::term::MAX_STEWARDS;
/// Longest candidate name, in characters (a steward draw names candidate codes: 73).
pub const MAX_NAME_CHARS: usize = 80;
/// Longest purpose, in characters.
pub const MAX_PURPOSE_CHARS: usize = 200;
/// Most ledger heads a draw may record (a ledger has few; a peer's may claim many).
pub const MAX_DRAW_HEADS: usize = 64;
/// Days after the draw's day after which a steward device may close it, recording the
/// stewards that have not revealed as withheld.
pub const REVEAL_WINDOW_DAYS: u64 = 2;
/// Largest encoded proof [`verify_proof`] reads (it travels in a certificate).
pub const MAX_PROOF_BYTES: usize = 12 * 1024;

const CHAIN_DOMAIN: &[u8] = b"circle-ledger/lottery/chain/v1";
const COMMIT_DOMAIN: &[u8] = b"circle-ledger/lottery/commit/v1";
const SEED_DOMAIN: &[u8] = b"circle-ledger/lottery/seed/v1";
const DRAW_DOMAIN: &[u8] = b"circle-ledger/lottery/draw/v1";
const REVEAL_DOMAIN: &[u8] = b"circle-ledger/lottery/reveal/v1\0";

/// Why a draw request or a transcript is refused. One variant per reason, so that
/// `lottery verify` can say exactly what is wrong.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum LotteryError {
    #[error("a draw needs at least one seat (--seats 1 or more)")]
    NoSeats,
    #[error("{seats} seats but only {candidates} candidates: name at least as many candidates (--from) as seats")]
    TooManySeats { seats: u32, candidates: usize },
    #[error("a draw needs at least one candidate (--from NAME)")]
    NoCandidates,
    #[error("{0} candidates: a draw takes at most {MAX_CANDIDATES}")]
    TooManyCandidates(usize),
    #[error("a candidate name is empty")]
    EmptyName,
    #[error("candidate `{0}` is longer than {MAX_NAME_CHARS} characters")]
    NameTooLong(String),
    #[error("candidate `{0}` contains control characters")]
    NameControl(String),
    #[error("candidate `{0}` is named twice (names are compared ignoring case)")]
    DuplicateCandidate(String),
    #[error("candidates are not in canonical order (trimmed, sorted)")]
    NotCanonical,
    #[error("the purpose is longer than {MAX_PURPOSE_CHARS} characters")]
    PurposeTooLong,
    #[error("the purpose contains control characters")]
    PurposeControl,
    #[error("the draw counts no steward's commitment")]
    NoStewards,
    #[error("the draw counts {0} stewards; at most {MAX_DRAW_STEWARDS}")]
    TooManyStewards(usize),
    #[error("the draw records {0} ledger heads; at most {MAX_DRAW_HEADS}")]
    TooManyHeads(usize),
    #[error("steward {0} is counted twice, or the stewards are not in canonical order")]
    StewardOrder(String),
    #[error("{0} is not a steward of the draw's term")]
    NotASteward(String),
    #[error(
        "the commitment of steward {0} is not signed by that steward for this circle and term"
    )]
    BadCommitment(String),
    #[error("steward {steward} is asked for chain position {position}, outside 1..={length}")]
    PositionOutOfRange {
        steward: String,
        position: u32,
        length: u32,
    },
    #[error("the reveal of steward {0} does not match its commitment")]
    RevealMismatch(String),
    #[error("the reveal of steward {0} is not signed by it for this draw (the draw's fixed part was changed?)")]
    RevealSignature(String),
    #[error("the draw holds no reveal at all: its seed would be known to the drawer")]
    NoReveals,
    #[error("a lottery proof must hold every counted steward's reveal; this draw had {0} withheld: draw again")]
    ProofWithheld(usize),
    #[error("steward {0} has not revealed, and the draw is not closed")]
    Incomplete(String),
    #[error("the chosen list is not what the transcript draws")]
    ChosenMismatch,
    #[error("the lottery proof does not decode: {0}")]
    BadProof(String),
    #[error("the lottery proof is larger than {MAX_PROOF_BYTES} bytes")]
    ProofTooLarge,
    // The checks only the ledger's change graph can make (ledger/draws.rs).
    #[error("the draw record is malformed: {0}")]
    Malformed(String),
    #[error("the draw's `{0}` was changed after the draw")]
    ChangedAfterDraw(&'static str),
    #[error("the heads recorded by the draw are not the heads it was written on")]
    HeadsMismatch,
    #[error("the commitment of steward {0} is not in the ledger before the draw")]
    CommitmentNotBefore(String),
    #[error("the commitment of steward {0} was in the ledger before the draw but is not counted")]
    CommitmentNotCounted(String),
    #[error("steward {steward} is asked for chain position {found}, but its next unused position is {expected}")]
    WrongPosition {
        steward: String,
        expected: u32,
        found: u32,
    },
    #[error("chain position {position} of steward {steward} is also used by concurrent draw {other}: both are void, draw again")]
    PositionReused {
        steward: String,
        position: u32,
        other: String,
    },
    #[error("steward {0} has used every position of its hash chain this term")]
    ChainExhausted(String),
    // A steward draw carried by a certificate (`steward propose --draw`).
    #[error("the lottery proof's purpose is {found:?}, not {expected:?}: it is no draw of this term's stewards")]
    NotStewardDraw { expected: String, found: String },
    #[error("candidate {0:?} of a steward draw is not a valid candidate code")]
    BadCandidateCode(String),
    #[error("the certificate names stewards its lottery did not draw (or leaves out drawn ones)")]
    StewardsNotDrawn,
}

/// A steward's published chain anchor, signed by its steward key for one circle and term.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    pub term: u64,
    pub steward: PublicKey,
    /// `H^length(seed)`: every reveal of this chain hashes to it.
    pub anchor: Hash32,
    pub length: u32,
    /// By `steward` over (circle, term, anchor, length): a steward cannot publish a chain
    /// in another's name, and so count twice.
    pub signature: Signature,
}

impl Commitment {
    /// The bytes a commitment's signature covers.
    pub fn message(circle_id: &Hash32, term: u64, anchor: &Hash32, length: u32) -> Vec<u8> {
        let mut m = Vec::with_capacity(COMMIT_DOMAIN.len() + 76);
        m.extend_from_slice(COMMIT_DOMAIN);
        m.extend_from_slice(&circle_id.0);
        m.extend_from_slice(&term.to_le_bytes());
        m.extend_from_slice(&anchor.0);
        m.extend_from_slice(&length.to_le_bytes());
        m
    }

    /// A commitment to `anchor` (a chain of [`CHAIN_LENGTH`]) signed by `key`.
    pub fn sign(circle_id: &Hash32, term: u64, key: &StewardKey, anchor: Hash32) -> Commitment {
        let signature = key.sign(&Commitment::message(circle_id, term, &anchor, CHAIN_LENGTH));
        Commitment {
            term,
            steward: key.public(),
            anchor,
            length: CHAIN_LENGTH,
            signature,
        }
    }

    /// Whether the steward signed this commitment for `circle_id`.
    pub fn check(&self, circle_id: &Hash32) -> Result<(), LotteryError> {
        let m = Commitment::message(circle_id, self.term, &self.anchor, self.length);
        let ok = self.length >= 1 && self.length <= CHAIN_LENGTH;
        if !ok || self.steward.verify(&m, &self.signature).is_err() {
            return Err(LotteryError::BadCommitment(short(&self.steward)));
        }
        Ok(())
    }
}

/// One counted steward in a draw: its commitment, the position it must reveal, and the
/// value it revealed (`None`: not yet, or withheld once the draw is closed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub commitment: Commitment,
    pub position: u32,
    pub reveal: Option<Reveal>,
}

/// A revealed chain value, signed by its steward for one draw: the value alone is fixed
/// by the anchor, the signature binds it to this draw's fixed part, so a transcript
/// with other candidates, purpose or heads cannot reuse it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reveal {
    pub value: Hash32,
    pub signature: Signature,
}

impl Reveal {
    /// The bytes a reveal's signature covers.
    pub fn message(draw_digest: &Hash32, value: &Hash32) -> Vec<u8> {
        [REVEAL_DOMAIN, &draw_digest.0[..], &value.0[..]].concat()
    }

    pub fn sign(draw_digest: &Hash32, value: Hash32, key: &StewardKey) -> Reveal {
        Reveal {
            value,
            signature: key.sign(&Reveal::message(draw_digest, &value)),
        }
    }
}

/// Everything a draw's outcome depends on. The seed is the hash of all of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcript {
    pub circle_id: Hash32,
    pub term: u64,
    /// Trimmed and sorted ([`canonical_candidates`]): the order typed means nothing.
    pub candidates: Vec<String>,
    pub seats: u32,
    pub purpose: String,
    /// The ledger heads the draw was written on, sorted.
    pub heads: Vec<Hash32>,
    /// Sorted by steward key.
    pub slots: Vec<Slot>,
    /// The reveal window is over: stewards without a reveal count as withheld.
    pub closed: bool,
}

/// A steward key, shortened for messages (the first 12 hex digits).
pub fn short(key: &PublicKey) -> String {
    key.to_hex()[..12].to_owned()
}

/// Checks candidate names and returns them trimmed, in canonical (sorted) order.
pub fn canonical_candidates(names: &[String]) -> Result<Vec<String>, LotteryError> {
    if names.is_empty() {
        return Err(LotteryError::NoCandidates);
    }
    if names.len() > MAX_CANDIDATES {
        return Err(LotteryError::TooManyCandidates(names.len()));
    }
    let mut out = Vec::with_capacity(names.len());
    let mut folded = BTreeSet::new();
    for name in names {
        let name = name.trim();
        check_name(name)?;
        if !folded.insert(name.to_lowercase()) {
            return Err(LotteryError::DuplicateCandidate(name.to_owned()));
        }
        out.push(name.to_owned());
    }
    out.sort();
    Ok(out)
}

fn check_name(name: &str) -> Result<(), LotteryError> {
    if name.is_empty() {
        return Err(LotteryError::EmptyName);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        let cut: String = name.chars().take(MAX_NAME_CHARS).collect();
        return Err(LotteryError::NameTooLong(format!("{cut}…")));
    }
    if name.chars().any(char::is_control) {
        return Err(LotteryError::NameControl(name.escape_default().to_string()));
    }
    Ok(())
}

/// Checks what a drawer asks for: seats, candidates (already canonical) and purpose.
pub fn check_request(candidates: &[String], seats: u32, purpose: &str) -> Result<(), LotteryError> {
    if seats == 0 {
        return Err(LotteryError::NoSeats);
    }
    let canonical = canonical_candidates(candidates)?;
    if canonical != candidates {
        return Err(LotteryError::NotCanonical);
    }
    if seats as usize > candidates.len() {
        return Err(LotteryError::TooManySeats {
            seats,
            candidates: candidates.len(),
        });
    }
    if purpose.chars().count() > MAX_PURPOSE_CHARS {
        return Err(LotteryError::PurposeTooLong);
    }
    if purpose.chars().any(char::is_control) {
        return Err(LotteryError::PurposeControl);
    }
    Ok(())
}

/// One step of a steward's chain. Bound to the circle and the steward's key, so that a
/// value is never useful in another chain (no multi-target search over all chains).
pub fn chain_step(circle_id: &Hash32, steward: &PublicKey, value: &Hash32) -> Hash32 {
    Hash32::digest(CHAIN_DOMAIN, &[&circle_id.0, &steward.0, &value.0])
}

/// The value at `position` of the chain grown from `seed`: position 0 is the anchor
/// (`H^CHAIN_LENGTH(seed)`), position `p` is `H^(CHAIN_LENGTH - p)(seed)`. Revealing
/// position `p` discloses every position below it, so positions are used in order.
pub fn chain_value(
    circle_id: &Hash32,
    steward: &PublicKey,
    seed: &[u8; 32],
    position: u32,
) -> Option<Hash32> {
    let steps = CHAIN_LENGTH.checked_sub(position)?;
    let mut v = Hash32(*seed);
    for _ in 0..steps {
        v = chain_step(circle_id, steward, &v);
    }
    Some(v)
}

/// Whether `value` is the chain value at `position` of `commitment`.
pub fn reveal_matches(
    circle_id: &Hash32,
    commitment: &Commitment,
    position: u32,
    value: &Hash32,
) -> bool {
    if position == 0 || position > commitment.length {
        return false;
    }
    let mut v = *value;
    for _ in 0..position {
        v = chain_step(circle_id, &commitment.steward, &v);
    }
    v == commitment.anchor
}

impl Transcript {
    /// The bounds and orders every transcript keeps; no cryptography.
    pub fn check_shape(&self) -> Result<(), LotteryError> {
        check_request(&self.candidates, self.seats, &self.purpose)?;
        if self.heads.len() > MAX_DRAW_HEADS {
            return Err(LotteryError::TooManyHeads(self.heads.len()));
        }
        if self.slots.is_empty() {
            return Err(LotteryError::NoStewards);
        }
        if self.slots.len() > MAX_DRAW_STEWARDS {
            return Err(LotteryError::TooManyStewards(self.slots.len()));
        }
        for pair in self.slots.windows(2) {
            if pair[0].commitment.steward >= pair[1].commitment.steward {
                return Err(LotteryError::StewardOrder(short(
                    &pair[1].commitment.steward,
                )));
            }
        }
        for s in &self.slots {
            let c = &s.commitment;
            if s.position == 0 || s.position > c.length {
                return Err(LotteryError::PositionOutOfRange {
                    steward: short(&c.steward),
                    position: s.position,
                    length: c.length,
                });
            }
        }
        Ok(())
    }

    /// The stewards whose reveal is missing (waited for, or withheld once closed).
    pub fn missing(&self) -> Vec<PublicKey> {
        self.slots
            .iter()
            .filter(|s| s.reveal.is_none())
            .map(|s| s.commitment.steward)
            .collect()
    }

    /// Whether the outcome is fixed: every counted steward revealed, or the draw is closed.
    pub fn complete(&self) -> bool {
        self.closed || self.slots.iter().all(|s| s.reveal.is_some())
    }

    /// The digest of the draw's fixed part (everything but the reveals and the close):
    /// what each steward signs with its reveal.
    pub fn draw_digest(&self) -> Hash32 {
        fixed_digest(
            &self.circle_id,
            self.term,
            &self.candidates,
            self.seats,
            &self.purpose,
            &self.heads,
            self.slots.iter().map(|s| (&s.commitment, s.position)),
        )
    }

    /// The draw's seed: a hash of the fixed part and of every reveal, withheld ones
    /// marked (so "withheld" and every possible value are distinct inputs).
    pub fn seed(&self) -> Hash32 {
        let digest = self.draw_digest();
        let mut parts: Vec<Vec<u8>> = vec![digest.0.to_vec()];
        for s in &self.slots {
            parts.push(match &s.reveal {
                Some(r) => [&[1u8][..], &r.value.0].concat(),
                None => vec![0u8],
            });
        }
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        Hash32::digest(SEED_DOMAIN, &refs)
    }
}

/// The digest [`Transcript::draw_digest`] computes, from the parts a drawer knows
/// before any reveal (slots in canonical order, by steward).
pub fn fixed_digest<'a>(
    circle_id: &Hash32,
    term: u64,
    candidates: &[String],
    seats: u32,
    purpose: &str,
    heads: &[Hash32],
    slots: impl Iterator<Item = (&'a Commitment, u32)>,
) -> Hash32 {
    let mut parts: Vec<Vec<u8>> = vec![
        circle_id.0.to_vec(),
        term.to_le_bytes().to_vec(),
        (candidates.len() as u64).to_le_bytes().to_vec(),
    ];
    parts.extend(candidates.iter().map(|c| c.as_bytes().to_vec()));
    parts.push(seats.to_le_bytes().to_vec());
    parts.push(purpose.as_bytes().to_vec());
    parts.push((heads.len() as u64).to_le_bytes().to_vec());
    parts.extend(heads.iter().map(|h| h.0.to_vec()));
    for (c, position) in slots {
        parts.push(c.steward.0.to_vec());
        parts.push(c.anchor.0.to_vec());
        parts.push(position.to_le_bytes().to_vec());
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    Hash32::digest(DRAW_DOMAIN, &refs)
}

/// The chosen candidates, in the order drawn, from a complete transcript of the right
/// shape. Checks no signature or reveal: that is [`verify`].
pub fn draw(t: &Transcript) -> Result<Vec<String>, LotteryError> {
    t.check_shape()?;
    if let Some(waiting) = t.slots.iter().find(|s| s.reveal.is_none()) {
        if !t.closed {
            return Err(LotteryError::Incomplete(short(&waiting.commitment.steward)));
        }
    }
    Ok(shuffle(&t.seed(), &t.candidates, t.seats as usize))
}

/// The first `seats` of a ChaCha20 Fisher–Yates shuffle seeded with `seed` (rand's own
/// shuffle: a golden test pins its output, since a change would void every past draw).
fn shuffle(seed: &Hash32, candidates: &[String], seats: usize) -> Vec<String> {
    let mut rng = ChaCha20Rng::from_seed(seed.0);
    let mut pool = candidates.to_vec();
    let (chosen, _) = pool.partial_shuffle(&mut rng, seats);
    chosen.to_vec()
}

/// Verifies a transcript on its own: shape, that every counted steward is a steward of
/// the term (`stewards`) and signed its commitment for this circle and term, that every
/// reveal is the committed chain's value at its position, and that the draw is
/// complete. Returns the chosen.
pub fn verify(t: &Transcript, stewards: &[PublicKey]) -> Result<Vec<String>, LotteryError> {
    t.check_shape()?;
    let digest = t.draw_digest();
    for s in &t.slots {
        let c = &s.commitment;
        if !stewards.contains(&c.steward) {
            return Err(LotteryError::NotASteward(short(&c.steward)));
        }
        if c.term != t.term {
            return Err(LotteryError::BadCommitment(short(&c.steward)));
        }
        c.check(&t.circle_id)?;
        if let Some(r) = &s.reveal {
            if !reveal_matches(&t.circle_id, c, s.position, &r.value) {
                return Err(LotteryError::RevealMismatch(short(&c.steward)));
            }
            let m = Reveal::message(&digest, &r.value);
            if c.steward.verify(&m, &r.signature).is_err() {
                return Err(LotteryError::RevealSignature(short(&c.steward)));
            }
        }
    }
    if t.slots.iter().all(|s| s.reveal.is_none()) {
        return Err(LotteryError::NoReveals);
    }
    draw(t)
}

/// A draw as a certificate carries it (`CertBody::lottery`): the transcript and the
/// chosen it claims.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    pub transcript: Transcript,
    pub chosen: Vec<String>,
}

impl Proof {
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).unwrap_or_default()
    }

    /// Decodes untrusted bytes, bounded in size first. Verifies nothing.
    pub fn decode(bytes: &[u8]) -> Result<Proof, LotteryError> {
        if bytes.len() > MAX_PROOF_BYTES {
            return Err(LotteryError::ProofTooLarge);
        }
        postcard::from_bytes(bytes).map_err(|e| LotteryError::BadProof(e.to_string()))
    }
}

/// The purpose of the draw that chooses the stewards of `term`: fixed, so that a
/// facilitator draw can never stand in for a steward draw.
pub fn steward_purpose(term: u64) -> String {
    format!("stewards of term {term}")
}

/// Verifies the lottery proof of a certificate for term `body_term`, drawn by the
/// stewards of the term before it: the proof verifies ([`verify_proof`]), its purpose is
/// [`steward_purpose`]`(body_term)`, and its chosen are candidate codes whose keys are
/// exactly `named` (any order). Returns the drawn keys.
pub fn verify_steward_proof(
    bytes: &[u8],
    circle_id: &Hash32,
    outgoing_term: u64,
    outgoing_stewards: &[PublicKey],
    named: &[PublicKey],
) -> Result<Vec<PublicKey>, LotteryError> {
    let chosen = verify_proof(bytes, circle_id, outgoing_term, outgoing_stewards)?;
    // verify_proof decoded these bytes already; decoding again is cheap and bounded.
    let proof = Proof::decode(bytes)?;
    let expected = steward_purpose(outgoing_term.saturating_add(1));
    if proof.transcript.purpose != expected {
        return Err(LotteryError::NotStewardDraw {
            expected,
            found: proof.transcript.purpose,
        });
    }
    let drawn = chosen
        .iter()
        .map(|code| {
            crate::handover::parse_candidate(code)
                .map_err(|_| LotteryError::BadCandidateCode(code.chars().take(80).collect()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let drawn_set: BTreeSet<&PublicKey> = drawn.iter().collect();
    let named_set: BTreeSet<&PublicKey> = named.iter().collect();
    if drawn_set != named_set || named.len() != drawn.len() {
        return Err(LotteryError::StewardsNotDrawn);
    }
    Ok(drawn)
}

/// Verifies an encoded [`Proof`] for `circle_id`, drawn among the stewards of the term
/// `term` (`stewards`): the transcript verifies ([`verify`]) and its chosen are those the
/// proof claims. Returns the chosen, in draw order. What a transcript alone cannot show
/// (that the commitments preceded the draw in the ledger, that positions were unused)
/// the ledger shows: nodes holding it also run `Ledger::verify_draw`.
pub fn verify_proof(
    bytes: &[u8],
    circle_id: &Hash32,
    term: u64,
    stewards: &[PublicKey],
) -> Result<Vec<String>, LotteryError> {
    let proof = Proof::decode(bytes)?;
    let t = &proof.transcript;
    if t.circle_id != *circle_id || t.term != term {
        return Err(LotteryError::BadProof(
            "it is for another circle or term".into(),
        ));
    }
    // A closed draw's withheld slots are only known to be withheld in the ledger (the
    // reveal window is the ledger's): a proof on its own must hold every reveal.
    let withheld = t.missing().len();
    if withheld > 0 {
        return Err(LotteryError::ProofWithheld(withheld));
    }
    let chosen = verify(t, stewards)?;
    if chosen != proof.chosen {
        return Err(LotteryError::ChosenMismatch);
    }
    Ok(chosen)
}

#[cfg(test)]
mod cert_tests;
#[cfg(test)]
mod tests;

//! Pull-only sync of one circle ledger, costing O(difference), not O(history).
//!
//! We do not use Automerge's own sync protocol: automerge 0.12 decodes a peer's bloom
//! filter unchecked (`bits_per_entry = 0` panics, `num_probes = u32::MAX` aborts the
//! process), and a whole-document message is loaded before any signature is checked.
//! Nothing here calls Automerge's sync decoder; our messages are postcard, capped in
//! size before parsing and bounded list by list after.
//!
//! A requester says what it has: its heads, the heads it shared with this peer after the
//! last sync (`shared`, persisted by the caller), or, lacking those, a sample of its
//! history at distances 1, 2, 4, 8, … back. The responder takes whichever of those it
//! knows as the *base* and answers with a [`Page`]: the certificates the requester lacks
//! and, in causal order, the signed changes outside the base's ancestry, up to a byte
//! budget. A requester with nothing in common still gets everything (correctness over
//! cost). Each change travels as a [`WireChange`]: circle id, change hash and the chunk's
//! 8-byte header are rebuilt from context, the signer is an index into its term's
//! steward list. What is left over plain Automerge sync is the signature: 64 bytes and
//! 4 of framing per change.
//!
//! ```text
//! requester                                   responder
//! pull_request(..)       -- Request::Pull -->  answer_pull(..)
//! open_page(..)          <-- Response::Page --
//! insert page certs into the chain, validate::ingest(changes), quarantine pending
//! more?   req.follow_up(..) and pull again
//! done:   persist shared_after(..) for this peer
//! ```
//!
//! [`Puller`] is that requester side as an I/O-free state machine with its bounded
//! quarantine; the node only drives it (see `sync/pull.rs`).
//!
//! Nothing received is trusted: `open_page` only rebuilds envelopes, and every change
//! still goes through [`crate::validate::ingest`], which decodes it, checks its hash
//! against the envelope and verifies the signature before anything is applied.

use std::borrow::Cow;
use std::collections::HashSet;

use automerge::ChangeHash;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::checkpoint::{
    Checkpoint, CheckpointError, Snapshot, SnapshotLimits, MAX_CHECKPOINT_HEADS,
    MAX_CHECKPOINT_SIGNATURES,
};
use crate::envelope::{Envelope, SignedChange, ENVELOPE_VERSION, MAX_CHANGE_BYTES};
use crate::error::CertError;
use crate::keys::{Hash32, PublicKey, Signature};
use crate::ledger::Ledger;
use crate::term::{TermCert, TermChain, CERT_VERSION, MAX_CERT_BYTES};
use crate::validate::has_change;

mod codec;
mod order;
mod pull;
mod respond;
#[cfg(test)]
mod sim;

use codec::{decode, encode, varint_len};
pub use order::{Cursor, ServeOrder};
pub use pull::{
    CheckedPage, ForkEvidence, KeepInMemory, Keeper, Kept, Next, PullError, Puller, Quarantine,
    Stop, MAX_PAGES, QUARANTINE_BYTES, QUARANTINE_CHANGES,
};
pub use respond::{answer_pull, answer_pull_with, Answered, Serve};

/// First byte of every sync message. Automerge's sync messages start with 0x42/0x43,
/// so they are refused by the first byte, before any parsing. Version 2 added the
/// cursor (request and page) and the evidence of a page; version 1 is refused.
pub const SYNC_VERSION: u8 = 2;
/// Most heads (and `shared`, `resume` hashes) one message may carry.
pub const MAX_HEADS: usize = 256;
/// Most sampled history hashes in one request.
pub const MAX_SAMPLE: usize = 64;
/// Most circles one catalog may list.
pub const MAX_CATALOG: usize = 20_000;
/// Most certificates one page may carry.
pub const MAX_PAGE_CERTS: usize = 64;
/// Most pairs of equivocation evidence one page may carry.
pub const MAX_PAGE_EVIDENCE: usize = 8;
/// Most changes one page may carry.
pub const MAX_PAGE_CHANGES: usize = 50_000;
/// Largest encoded response (page or catalog) accepted.
pub const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;
/// Largest encoded request accepted (a full request is about 18.5 KiB).
pub const MAX_REQUEST_BYTES: usize = 32 * 1024;
/// Longest refusal reason accepted.
pub const MAX_REASON_BYTES: usize = 1024;
/// Most open handover proposals one answer may carry (devices of a circle share them).
pub const MAX_SHARED_PROPOSALS: usize = 16;
/// Largest encoded proposal, with its signatures, one answer may carry.
pub const MAX_SHARED_PROPOSAL_BYTES: usize = 64 * 1024;

/// Why a sync message or page was refused. A bad peer is normal: the caller drops the
/// message and may penalise the peer.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyncError {
    #[error("sync message is larger than {0} bytes")]
    TooLarge(usize),
    #[error("sync message format byte {0:#04x} is not circle-ledger sync v2")]
    Version(u8),
    #[error("sync message is truncated or malformed")]
    Malformed,
    #[error("sync message holds too many {0}")]
    TooMany(&'static str),
    #[error("a change in the page is larger than {0} bytes")]
    ChangeTooLarge(usize),
    #[error("page is for another circle")]
    WrongCircle,
    #[error("term {term} has no steward number {index}")]
    BadSigner { term: u64, index: u8 },
    #[error("no certificate known for term {0}")]
    UnknownTerm(u64),
    #[error("certificate in page refused: {0}")]
    Cert(#[from] CertError),
}

/// What a peer asks of a node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// Which circles do you serve, at which term and heads?
    Catalog,
    /// Send me what I lack of one circle.
    Pull(PullRequest),
    /// Which handover proposals of this circle are open, with their signatures so far?
    /// (Devices of one circle ask each other; a proposal is not a ledger change.)
    Proposals { circle_id: Hash32 },
    /// Send me the vouched history of this circle as one document (a first sync; see
    /// `docs/CHECKPOINTS.md`). Answered with [`Response::Snapshot`] or `NotServed`.
    Snapshot { circle_id: Hash32 },
    /// Which checkpoint of this circle are you collecting signatures for, or hold
    /// complete? (Devices of one circle ask each other: `checkpoint::collect`.)
    Checkpoint { circle_id: Hash32 },
}

/// A request for one page of one circle's ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    pub circle_id: Hash32,
    /// The requester's heads: what it has is their ancestry. Known heads join the base;
    /// unknown ones tell the responder to pull back (`missing_on_responder`).
    pub heads: Vec<Hash32>,
    /// Hashes both sides held after the last sync with this peer (persisted by the
    /// caller), or the `resume` point of the previous page: a common base even when
    /// both sides wrote since.
    pub shared: Vec<Hash32>,
    /// Fallback base when `shared` is empty: the requester's change hashes at
    /// distances 1, 2, 4, 8, … back in its history (see [`history_sample`]).
    pub sample: Vec<Hash32>,
    /// The requester's latest term; `None` when it has no certificate chain yet.
    pub latest_term: Option<u64>,
    /// Most bytes of changes the requester wants in this page (at least one change
    /// is always sent, so that every pull makes progress).
    pub budget: u32,
    /// The previous page's cursor, if it had one: the responder resumes there in its
    /// serve order, at O(page), whatever the base says.
    pub cursor: Option<Cursor>,
}

/// A node's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    Catalog(Vec<CatalogEntry>),
    Page(Page),
    /// The node does not serve this circle (unknown, or not federated with you).
    NotServed,
    /// The node refuses, with a reason a person can read.
    Refused(String),
    /// The open handover proposals of the circle asked about, each encoded (opaque to
    /// sync: the handover rules decode and verify them).
    Proposals(Vec<Vec<u8>>),
    /// The circle's certificates and a snapshot of a vouched point of its history.
    Snapshot(SnapshotPage),
    /// The checkpoint of the latest term the node is collecting signatures for, or the
    /// latest complete one it holds (`None`: neither).
    Checkpoint(Option<Checkpoint>),
}

/// A first sync's answer: the certificate chain (from genesis) and the history up to a
/// point it vouches for, as one document. Checked by [`SnapshotPage::open`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotPage {
    pub circle_id: Hash32,
    /// Every certificate of the chain, genesis first (at most [`MAX_PAGE_CERTS`]: a
    /// longer chain syncs change by change).
    pub certs: Vec<TermCert>,
    pub snapshot: Snapshot,
    /// Whether the responder held changes past the vouched heads when it answered: if
    /// not, the follower has nothing to pull after installing (a lie costs it only a
    /// wait for its next catalog check, as withholding changes would).
    pub more: bool,
}

impl SnapshotPage {
    /// The page's certificate chain, verified from genesis (every certificate's
    /// signatures and links), for `circle_id`. The caller applies what it knows of the
    /// circle (frozen writers) before [`Snapshot::open_with_document`] checks the
    /// snapshot against it.
    pub fn chain(&self, circle_id: &Hash32) -> Result<TermChain, SnapshotRefused> {
        if &self.circle_id != circle_id {
            return Err(SnapshotRefused::Sync(SyncError::WrongCircle));
        }
        let chain = TermChain::from_certs(self.certs.clone()).map_err(SyncError::from)?;
        if &chain.circle_id() != circle_id {
            return Err(SnapshotRefused::Sync(SyncError::WrongCircle));
        }
        Ok(chain)
    }

    /// [`Self::chain`], then the snapshot against it: the chain, the ledger holding
    /// exactly the vouched history, and the document's bytes (for the caller's store).
    pub fn open(
        &self,
        circle_id: &Hash32,
        now: u64,
        limits: SnapshotLimits,
    ) -> Result<(TermChain, Ledger, Vec<u8>), SnapshotRefused> {
        let chain = self.chain(circle_id)?;
        let (ledger, doc) = self.snapshot.open_with_document(&chain, now, limits)?;
        Ok((chain, ledger, doc))
    }
}

/// Why a snapshot page was refused: a bad peer (cut it off) either way.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SnapshotRefused {
    #[error("{0}")]
    Sync(#[from] SyncError),
    #[error("{0}")]
    Checkpoint(#[from] CheckpointError),
}

/// One circle in a catalog: enough to skip circles that did not change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogEntry {
    pub circle_id: Hash32,
    /// The responder's latest term: a newer one means certificates to fetch.
    pub term: u64,
    /// [`heads_digest`] of the responder's heads: equal to ours means nothing to pull.
    pub heads_digest: Hash32,
}

/// One page of a circle's ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// The circle this page is for: a page for another circle is refused.
    pub circle_id: Hash32,
    /// Certificates newer than the requester's latest term (all of them if it had
    /// none), in term order, then evidence of equivocations.
    pub certs: Vec<TermCert>,
    /// Signed changes the requester lacks, in causal order.
    pub changes: Vec<WireChange>,
    /// The responder's heads, for `shared_after` and to know when both sides agree.
    pub heads: Vec<Hash32>,
    /// The page was cut (by budget or certificate count): pull again.
    pub more: bool,
    /// The requester's heads include changes the responder lacks: it should pull back.
    pub missing_on_responder: bool,
    /// When `more`: the frontier of the request's base and the sent changes, which the
    /// next request sends as `shared` (see [`PullRequest::follow_up`]). Without it a requester whose page
    /// is all in quarantine (awaiting a handover further on) would get the same page
    /// forever.
    pub resume: Vec<Hash32>,
    /// When `more` and the page came from the responder's serve order: where the next
    /// page starts (sent back in [`PullRequest::cursor`]).
    pub cursor: Option<Cursor>,
    /// Evidence of change equivocations the responder holds, each pair checkable on its
    /// own (see `validate::check_evidence`).
    pub evidence: Vec<EvidencePair>,
}

/// Two changes one writer signed with one actor and sequence number: evidence that
/// the actor forked, which freezes it on every node that checks it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidencePair {
    pub first: WireChange,
    pub second: WireChange,
}

impl EvidencePair {
    /// Exact postcard size of this pair on the wire.
    pub fn encoded_len(&self) -> usize {
        self.first.encoded_len() + self.second.encoded_len()
    }
}

/// A signed change on the wire: the envelope and chunk header minus what the receiver
/// rebuilds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireChange {
    /// The term the signer claims; picks the certificate the signer index refers to.
    pub term: u64,
    /// Index into that term's steward list (31 bytes less than the key).
    pub signer: u8,
    /// Sent as 64 raw bytes, without a length prefix.
    #[serde(with = "codec::sig64")]
    pub signature: Signature,
    /// The Automerge change chunk from its type byte on: its SHA-256 is the change hash.
    /// The 8 bytes before it (magic, and a checksum that is the hash's first 4 bytes)
    /// are rebuilt, not sent.
    #[serde(with = "codec::serde_bytes_vec")]
    pub chunk: Vec<u8>,
}

/// A page made ready for ingest by [`open_page`].
#[derive(Debug)]
pub struct OpenedPage {
    /// Certificates to insert into the caller's chain (or to build it from, with
    /// `TermChain::from_certs`) before ingesting `changes`.
    pub certs: Vec<TermCert>,
    /// Changes with their envelopes rebuilt, for `validate::ingest` (not verified yet).
    pub changes: Vec<SignedChange>,
    /// The responder's heads, for [`shared_after`] once `more` is false.
    pub heads: Vec<Hash32>,
    /// Pull again, with [`PullRequest::follow_up`].
    pub more: bool,
    /// We hold changes the responder lacks: it may want to pull from us.
    pub missing_on_responder: bool,
    /// Where the next page starts (the next request's `shared`).
    pub resume: Vec<Hash32>,
    /// Where the next page starts in the responder's serve order (the next request's
    /// `cursor`).
    pub cursor: Option<Cursor>,
    /// Evidence pairs with their envelopes rebuilt (not verified yet: see
    /// `validate::check_evidence`).
    pub evidence: Vec<(SignedChange, SignedChange)>,
}

impl Request {
    pub fn encode(&self) -> Vec<u8> {
        encode(self)
    }

    /// Decodes a request: size first, then format byte, then parse, then every bound.
    pub fn decode(bytes: &[u8]) -> Result<Request, SyncError> {
        let req: Request = decode(bytes, MAX_REQUEST_BYTES)?;
        if let Request::Pull(p) = &req {
            p.check()?;
        }
        Ok(req)
    }
}

impl Response {
    pub fn encode(&self) -> Vec<u8> {
        encode(self)
    }

    /// Decodes a response: size first, then format byte, then parse, then every bound.
    pub fn decode(bytes: &[u8]) -> Result<Response, SyncError> {
        let resp: Response = decode(bytes, MAX_PAGE_BYTES)?;
        match &resp {
            Response::Catalog(entries) if entries.len() > MAX_CATALOG => {
                Err(SyncError::TooMany("catalog entries"))
            }
            Response::Page(page) => page.check(),
            Response::Snapshot(snap) => bound(snap.certs.len(), MAX_PAGE_CERTS, "certificates"),
            Response::Refused(why) if why.len() > MAX_REASON_BYTES => {
                Err(SyncError::TooLarge(MAX_REASON_BYTES))
            }
            Response::Proposals(list) if list.len() > MAX_SHARED_PROPOSALS => {
                Err(SyncError::TooMany("proposals"))
            }
            Response::Proposals(list)
                if list.iter().any(|p| p.len() > MAX_SHARED_PROPOSAL_BYTES) =>
            {
                Err(SyncError::TooLarge(MAX_SHARED_PROPOSAL_BYTES))
            }
            Response::Checkpoint(Some(c)) => {
                bound(c.body.heads.len(), MAX_CHECKPOINT_HEADS, "checkpoint heads")?;
                bound(
                    c.signatures.len(),
                    MAX_CHECKPOINT_SIGNATURES,
                    "checkpoint signatures",
                )
            }
            _ => Ok(()),
        }?;
        Ok(resp)
    }
}

impl PullRequest {
    fn check(&self) -> Result<(), SyncError> {
        bound(self.heads.len(), MAX_HEADS, "heads")?;
        bound(self.shared.len(), MAX_HEADS, "shared heads")?;
        bound(self.sample.len(), MAX_SAMPLE, "sample hashes")
    }

    /// The request for the page after one with `more` set: current heads and term,
    /// same budget, the page's `cursor`, and its `resume` frontier as `shared` (it
    /// covers this request's whole base, sample included; the responder uses it if
    /// the cursor no longer matches). Passing `resume` as `shared` to
    /// [`pull_request`] (e.g. after persisting it) does the same at a higher cost for
    /// the responder.
    pub fn follow_up(
        &self,
        resume: &[Hash32],
        cursor: Option<Cursor>,
        ledger: Option<&Ledger>,
        chain: Option<&TermChain>,
    ) -> PullRequest {
        let (shared, sample) = if resume.is_empty() {
            (self.shared.clone(), self.sample.clone())
        } else {
            (resume.iter().take(MAX_HEADS).copied().collect(), Vec::new())
        };
        PullRequest {
            circle_id: self.circle_id,
            heads: ledger.map(heads_of).unwrap_or_default(),
            shared,
            sample,
            latest_term: chain.map(|c| c.latest().body.term).or(self.latest_term),
            budget: self.budget,
            cursor,
        }
    }
}

impl Page {
    /// Every bound a page must respect, whoever built it.
    fn check(&self) -> Result<(), SyncError> {
        bound(self.certs.len(), MAX_PAGE_CERTS, "certificates")?;
        bound(self.changes.len(), MAX_PAGE_CHANGES, "changes")?;
        bound(self.heads.len(), MAX_HEADS, "heads")?;
        bound(self.resume.len(), MAX_HEADS, "resume hashes")?;
        bound(self.evidence.len(), MAX_PAGE_EVIDENCE, "evidence pairs")?;
        for cert in &self.certs {
            if cert.body.version != CERT_VERSION
                && cert.body.version != crate::term::FORGETTING_VERSION
            {
                return Err(SyncError::Cert(CertError::Version(cert.body.version)));
            }
            let len = postcard::to_stdvec(cert)
                .map(|b| b.len())
                .unwrap_or(usize::MAX);
            if len > MAX_CERT_BYTES {
                return Err(SyncError::Cert(CertError::TooLarge(len)));
            }
        }
        let evidence = self.evidence.iter().flat_map(|e| [&e.first, &e.second]);
        let mut wires = self.changes.iter().chain(evidence);
        match wires.any(|c| c.chunk.len() > MAX_CHUNK_BYTES) {
            true => Err(SyncError::ChangeTooLarge(MAX_CHANGE_BYTES)),
            false => Ok(()),
        }
    }
}

impl WireChange {
    /// The wire form of a stored signed change; `None` if it cannot be expressed
    /// (other circle, unknown envelope version or term, signer not a steward of its
    /// term, or bytes that are not a chunk hashing to the envelope's change hash).
    pub fn from_signed(signed: &SignedChange, chain: &TermChain) -> Option<WireChange> {
        let env = &signed.envelope;
        if env.version != ENVELOPE_VERSION || env.circle_id != chain.circle_id() {
            return None;
        }
        Some(WireChange {
            term: env.term,
            signer: signer_index(chain, env.term, &env.signer)?,
            signature: env.signature,
            chunk: strip_header(&signed.bytes, &env.change_hash)?.to_vec(),
        })
    }

    /// Rebuilds the signed change: circle id from context, change hash and chunk header
    /// from the chunk, signer from the term's certificate. Nothing is verified here: `validate::ingest`
    /// decodes the change, checks its hash and the signature.
    pub fn into_signed(
        self,
        circle_id: Hash32,
        chain: &TermChain,
    ) -> Result<SignedChange, SyncError> {
        if chain.circle_id() != circle_id {
            return Err(SyncError::WrongCircle);
        }
        if self.chunk.len() > MAX_CHUNK_BYTES {
            return Err(SyncError::ChangeTooLarge(MAX_CHANGE_BYTES));
        }
        if self.chunk.is_empty() {
            return Err(SyncError::Malformed);
        }
        let cert = chain
            .term(self.term)
            .ok_or(SyncError::UnknownTerm(self.term))?;
        let signer =
            *cert
                .body
                .stewards
                .get(usize::from(self.signer))
                .ok_or(SyncError::BadSigner {
                    term: self.term,
                    index: self.signer,
                })?;
        let change_hash = Hash32(Sha256::digest(&self.chunk).into());
        let mut bytes = Vec::with_capacity(8 + self.chunk.len());
        bytes.extend(MAGIC);
        bytes.extend(&change_hash.0[..4]);
        bytes.extend(self.chunk);
        Ok(SignedChange {
            envelope: Envelope {
                version: ENVELOPE_VERSION,
                circle_id,
                change_hash,
                term: self.term,
                signer,
                signature: self.signature,
            },
            bytes,
        })
    }

    /// Exact postcard size of this change on the wire.
    pub fn encoded_len(&self) -> usize {
        varint_len(self.term) + 1 + 64 + varint_len(self.chunk.len() as u64) + self.chunk.len()
    }
}

/// A domain-separated digest of a set of heads (order does not matter): equal digests
/// mean equal heads, so callers skip circles that did not change.
pub fn heads_digest(heads: &[Hash32]) -> Hash32 {
    let mut sorted = heads.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let parts: Vec<&[u8]> = sorted.iter().map(|h| h.0.as_slice()).collect();
    Hash32::digest(b"circle-ledger/heads/v1", &parts)
}

/// This node's catalog entry for one circle.
pub fn catalog_entry(ledger: &Ledger, chain: &TermChain) -> CatalogEntry {
    CatalogEntry {
        circle_id: chain.circle_id(),
        term: chain.latest().body.term,
        heads_digest: heads_digest(&heads_of(ledger)),
    }
}

/// Builds a pull request. The history sample is computed only when `shared` is empty
/// and there is a ledger with more than one change (see [`history_sample`] for cost).
pub fn pull_request(
    ledger: Option<&Ledger>,
    chain: Option<&TermChain>,
    circle_id: Hash32,
    shared: &[Hash32],
    budget: u32,
) -> PullRequest {
    let mut seen = HashSet::new();
    let shared: Vec<Hash32> = shared
        .iter()
        .filter(|h| seen.insert(**h))
        .take(MAX_HEADS)
        .copied()
        .collect();
    let sample = match ledger {
        Some(l) if shared.is_empty() => history_sample(l),
        _ => Vec::new(),
    };
    PullRequest {
        circle_id,
        heads: ledger.map(heads_of).unwrap_or_default(),
        shared,
        sample,
        latest_term: chain.map(|c| c.latest().body.term),
        budget,
        cursor: None,
    }
}

/// How far back [`history_sample`] walks. A requester that shares nothing with the
/// responder within this distance gets everything anyway (the base is then useless, or
/// empty), so walking further would buy nothing.
pub const MAX_SAMPLE_WALK: usize = 1 << 13;

/// Change hashes at distances 1, 2, 4, 8, … back from the ledger's first head, following
/// each change's first dependency, up to [`MAX_SAMPLE_WALK`] changes back (14 hashes).
///
/// Cost: one metadata lookup per step, so at most 8,192 lookups whatever the ledger's
/// length (measured: see the ignored `sample_cost` test). Needed only for a peer with
/// no persisted `shared` heads.
pub fn history_sample(ledger: &Ledger) -> Vec<Hash32> {
    let doc = ledger.doc();
    let Some(mut at) = doc.get_heads().first().copied() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut next = 1usize;
    for distance in 1..=MAX_SAMPLE_WALK {
        let Some(dep) = doc
            .get_change_meta_by_hash(&at)
            .and_then(|m| m.deps.first().copied())
        else {
            break;
        };
        at = dep;
        if distance == next {
            out.push(Hash32(at.0));
            next *= 2;
        }
    }
    out.truncate(MAX_SAMPLE);
    out
}

/// Checks a page and rebuilds its changes' envelopes for ingest.
///
/// `chain` is the caller's chain (`None` if it has none yet). The page's certificates
/// are verified on a copy of it (or form a new chain, whose genesis must be the expected
/// circle's) so that changes of new terms can be rebuilt; the caller then inserts
/// `certs` into its own chain and runs `validate::ingest` with it.
pub fn open_page(
    page: Page,
    expected_circle: &Hash32,
    chain: Option<&TermChain>,
) -> Result<OpenedPage, SyncError> {
    if page.circle_id != *expected_circle {
        return Err(SyncError::WrongCircle);
    }
    page.check()?;
    let working: Cow<'_, TermChain> = match chain {
        Some(c) if page.certs.is_empty() => Cow::Borrowed(c),
        Some(c) => {
            let mut c = c.clone();
            for cert in &page.certs {
                c.insert(cert.clone())?;
            }
            Cow::Owned(c)
        }
        None => Cow::Owned(TermChain::from_certs(page.certs.clone())?),
    };
    if working.circle_id() != *expected_circle {
        return Err(SyncError::WrongCircle);
    }
    let changes = page
        .changes
        .into_iter()
        .map(|w| w.into_signed(*expected_circle, &working))
        .collect::<Result<Vec<_>, _>>()?;
    let evidence = page
        .evidence
        .into_iter()
        .map(|e| {
            let first = e.first.into_signed(*expected_circle, &working)?;
            Ok((first, e.second.into_signed(*expected_circle, &working)?))
        })
        .collect::<Result<Vec<_>, SyncError>>()?;
    Ok(OpenedPage {
        certs: page.certs,
        changes,
        heads: page.heads,
        more: page.more,
        missing_on_responder: page.missing_on_responder,
        resume: page.resume,
        cursor: page.cursor,
        evidence,
    })
}

/// The hashes to persist as `shared` with a peer after a sync: every hash of `ours`
/// and `theirs` that this ledger now holds, theirs first, at most [`MAX_HEADS`].
///
/// `theirs` is the responder's page heads. `ours` is the heads we sent when the
/// responder confirmed having them all (`!missing_on_responder`), otherwise empty.
pub fn shared_after(ours: &[Hash32], theirs: &[Hash32], ledger: &Ledger) -> Vec<Hash32> {
    let doc = ledger.doc();
    let mut seen = HashSet::new();
    theirs
        .iter()
        .chain(ours)
        .filter(|h| seen.insert(**h) && has_change(doc, &ChangeHash(h.0)))
        .take(MAX_HEADS)
        .copied()
        .collect()
}

fn heads_of(ledger: &Ledger) -> Vec<Hash32> {
    ledger
        .heads()
        .iter()
        .take(MAX_HEADS)
        .map(|h| Hash32(h.0))
        .collect()
}

fn signer_index(chain: &TermChain, term: u64, key: &PublicKey) -> Option<u8> {
    let stewards = &chain.term(term)?.body.stewards;
    u8::try_from(stewards.iter().position(|k| k == key)?).ok()
}

/// Magic bytes that open every Automerge chunk.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// Largest chunk: a change of [`MAX_CHANGE_BYTES`] once its header is rebuilt.
const MAX_CHUNK_BYTES: usize = MAX_CHANGE_BYTES - 8;

/// An Automerge change hash is SHA-256 over the chunk after magic and checksum: the
/// type byte, the LEB128 length and the data; the checksum is the hash's first four
/// bytes (automerge `storage/chunk.rs`).
fn chunk_hash(bytes: &[u8]) -> Option<Hash32> {
    let chunk = bytes.get(8..).filter(|c| !c.is_empty())?;
    Some(Hash32(Sha256::digest(chunk).into()))
}

/// The chunk of a change whose header is exactly the one `hash` implies, so that the
/// receiver rebuilds the same bytes.
fn strip_header<'a>(bytes: &'a [u8], hash: &Hash32) -> Option<&'a [u8]> {
    let canonical = bytes.get(..4) == Some(&MAGIC[..])
        && bytes.get(4..8) == Some(&hash.0[..4])
        && chunk_hash(bytes) == Some(*hash);
    canonical.then(|| &bytes[8..])
}

fn bound(len: usize, max: usize, what: &'static str) -> Result<(), SyncError> {
    if len > max {
        return Err(SyncError::TooMany(what));
    }
    Ok(())
}

#[cfg(test)]
mod tests;

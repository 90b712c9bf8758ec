//! The requester side of a paged pull, as an I/O-free state machine: [`Puller`] says
//! which request to send next, takes each page in two halves (a [`Puller::check`] that
//! needs only a copy of the chain, and a [`Puller::keep`] that applies under the
//! caller's lock), and then says what comes next: another request, done, or a stop
//! with its reason. The caller (node, or the simulator in tests) only moves bytes,
//! keeps time, takes its locks and persists what [`Kept`] names.
//!
//! ```text
//! Puller::new(circle, shared heads, budget)
//! loop: request(..) -> send, wait (the caller's time budget)
//!       check(page, chain copy, ..)        outside the caller's lock
//!       keep(checked, &mut target, now)    under it; persist Kept::shared
//!       Next::Request | Next::Done | Next::Stop(why)
//! ```
//!
//! The machine owns the quarantine: changes that cannot be judged yet (a past term
//! whose handover heads come in a later page, dependencies not arrived). They are
//! offered again with every page; a change whose signature was verified once is not
//! verified again (signatures are most of the cost of a page).

use std::collections::HashSet;

use automerge::{ActorId, ChangeHash};
use thiserror::Error;

use super::{open_page, pull_request, shared_after, Cursor, Page, PullRequest, SyncError};
use crate::envelope::SignedChange;
use crate::error::{CertError, LedgerError, ValidationError};
use crate::keys::Hash32;
use crate::ledger::Ledger;
use crate::term::{CertSource, TermCert, TermChain};
use crate::validate::{check_evidence, has_change, verify_batch_trusting, ApplyReport, Verified};

/// Pages per pull: a bound on a peer that always says "more".
pub const MAX_PAGES: usize = 10_000;
/// Changes held back because what they need has not arrived yet, bounded in count and
/// bytes. A first sync holds a past steward term here until that term's handover heads
/// arrive in a later page, so the bound is a whole term's worth: ~300,000 changes of a
/// typical size. A pull that overflows it stops and says so (nothing is lost: the
/// persisted sync point covers applied changes only).
pub const QUARANTINE_CHANGES: usize = 400_000;
pub const QUARANTINE_BYTES: usize = 64 * 1024 * 1024;

/// Changes waiting to be judged, each with whether its signature was verified already.
#[derive(Debug, Default)]
pub struct Quarantine {
    waiting: Vec<(SignedChange, bool)>,
    known: HashSet<Hash32>,
    bytes: usize,
}

impl Quarantine {
    pub fn new() -> Quarantine {
        Quarantine::default()
    }

    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Bytes of the changes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether a change of this hash is held.
    pub fn holds(&self, change: &Hash32) -> bool {
        self.known.contains(change)
    }

    /// Holds a change that cannot be judged yet, within the bounds; `false` if it did
    /// not fit. A change held already is not held twice. Pass `verified` only for a
    /// change whose signature this process verified.
    fn hold(&mut self, change: SignedChange, verified: bool) -> bool {
        if self.known.contains(&change.envelope.change_hash) {
            return true;
        }
        let len = change.bytes.len();
        if self.waiting.len() >= QUARANTINE_CHANGES || self.bytes + len > QUARANTINE_BYTES {
            return false;
        }
        self.known.insert(change.envelope.change_hash);
        self.bytes += len;
        self.waiting.push((change, verified));
        true
    }

    /// Holds unverified changes (e.g. pending ones of another ingest); returns how many
    /// did not fit.
    pub fn hold_unverified(&mut self, changes: impl IntoIterator<Item = SignedChange>) -> usize {
        let mut dropped = 0;
        for c in changes {
            if !self.hold(c, false) {
                dropped += 1;
            }
        }
        dropped
    }

    /// Takes in another quarantine (of a pull that ran alongside); returns how many of
    /// its changes did not fit.
    pub fn merge(&mut self, other: Quarantine) -> usize {
        let mut dropped = 0;
        for (c, verified) in other.waiting {
            if !self.hold(c, verified) {
                dropped += 1;
            }
        }
        dropped
    }

    fn take(&mut self) -> Vec<(SignedChange, bool)> {
        self.known.clear();
        self.bytes = 0;
        std::mem::take(&mut self.waiting)
    }
}

/// A writer shown to have forked by checked evidence: two changes it signed with one
/// actor and sequence number.
#[derive(Debug)]
pub struct ForkEvidence {
    pub actor: ActorId,
    pub seq: u64,
    pub pair: [SignedChange; 2],
}

/// Why a page was refused. Nothing of it was applied, and the quarantine is as before.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PullError {
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Cert(#[from] CertError),
    #[error("the peer sent false evidence of an equivocation: {0}")]
    FalseEvidence(ValidationError),
    /// Only from [`KeepInMemory`]: freezing a forked writer failed.
    #[error("cannot take a forked writer's changes out: {0}")]
    Ledger(#[from] LedgerError),
}

/// Why a pull stops before the responder said it had no more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// This many changes of the page failed verification (the rest was kept).
    Rejected(usize),
    /// The quarantine could not take every pending change.
    Overflow,
    /// Every change of a page with `more` was one we had applied already, or one this
    /// pull received before, and it brought no certificate: an honest responder never
    /// sends that, and it would go on for ever.
    Stale,
    /// [`MAX_PAGES`] pages were kept.
    MaxPages,
}

/// What comes after a kept page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Send [`Puller::request`] again.
    Request,
    /// The responder has nothing more (or sent a page without changes).
    Done,
    Stop(Stop),
}

/// A page checked and verified by [`Puller::check`], ready for [`Puller::keep`].
#[derive(Debug)]
pub struct CheckedPage {
    certs: Vec<TermCert>,
    evidence: Vec<ForkEvidence>,
    verified: Verified,
    received: usize,
    /// Changes of the page the caller had applied already (not verified again).
    held: usize,
    /// The page's other changes, each with whether this pull had quarantined it
    /// already (see [`Puller::keep`] on stale pages).
    fresh: Vec<(Hash32, bool)>,
    /// The chain was built from the page (the caller had none).
    new_chain: bool,
    heads: Vec<Hash32>,
    more: bool,
    missing_on_responder: bool,
    resume: Vec<Hash32>,
    cursor: Option<Cursor>,
}

impl CheckedPage {
    /// The page's certificates (a caller without a chain builds one from them).
    pub fn certs(&self) -> &[TermCert] {
        &self.certs
    }

    /// Changes the page carried.
    pub fn received(&self) -> usize {
        self.received
    }

    /// Signatures verified for this page (quarantined changes verified before are not).
    pub fn signatures_checked(&self) -> usize {
        self.verified.signatures_checked()
    }
}

/// Where a checked page is kept: a ledger and its chain, and whatever the caller
/// persists alongside (the node's store; nothing in the simulator).
pub trait Keeper {
    type Error: From<CertError>;
    fn chain(&mut self) -> &mut TermChain;
    fn ledger(&self) -> &Ledger;
    /// Keeps evidence of forks not known yet and freezes those writers (e.g. with
    /// `validate::freeze_actor`); returns how many changes that took out.
    fn freeze(&mut self, evidence: Vec<ForkEvidence>) -> Result<usize, Self::Error>;
    /// Applies a verified batch (e.g. with `validate::ingest_verified`).
    fn absorb(&mut self, verified: Verified, now: u64) -> Result<ApplyReport, Self::Error>;
}

/// What a kept page leaves for the caller.
#[derive(Debug)]
pub struct Kept {
    pub next: Next,
    /// The page said the responder has more (whatever `next` says).
    pub more: bool,
    /// The hashes to persist as shared with this peer, once the responder has no more.
    pub shared: Option<Vec<Hash32>>,
    /// Changes applied from this page and the quarantine.
    pub applied: usize,
    /// Changes waiting in the quarantine now.
    pub pending: usize,
}

/// One pull of one circle from one peer (see the module documentation).
#[derive(Debug)]
pub struct Puller {
    circle: Hash32,
    budget: u32,
    source: CertSource,
    /// The persisted shared heads, for the first request.
    shared: Vec<Hash32>,
    /// The last request: follow-ups are built from it.
    last: Option<PullRequest>,
    /// The last page's `resume` and `cursor`, when it had more.
    resume: Option<(Vec<Hash32>, Option<Cursor>)>,
    pages: usize,
    finished: bool,
    quarantine: Quarantine,
    /// Changes the quarantine held when this pull began: a responder sends them again
    /// in good faith (our heads do not cover them), so they do not make a page stale.
    inherited: HashSet<Hash32>,
    signatures_checked: usize,
}

impl Puller {
    /// A pull of `circle` from a peer with whom `shared` are the heads persisted after
    /// the last sync (empty if none), asking for `budget` bytes of changes per page.
    pub fn new(circle: Hash32, shared: &[Hash32], budget: u32) -> Puller {
        Puller {
            circle,
            budget,
            source: crate::term::LOCAL_SOURCE,
            shared: shared.to_vec(),
            last: None,
            resume: None,
            pages: 0,
            finished: false,
            quarantine: Quarantine::new(),
            inherited: HashSet::new(),
            signatures_checked: 0,
        }
    }

    /// Whom the page's certificates are from (see `TermChain::insert_from`).
    pub fn with_source(mut self, source: CertSource) -> Puller {
        self.source = source;
        self
    }

    /// Starts with the changes a previous pull left waiting.
    pub fn with_quarantine(mut self, quarantine: Quarantine) -> Puller {
        self.inherited = quarantine.known.clone();
        self.quarantine = quarantine;
        self
    }

    pub fn into_quarantine(self) -> Quarantine {
        self.quarantine
    }

    pub fn quarantine(&self) -> &Quarantine {
        &self.quarantine
    }

    /// Pages kept so far.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// Signatures verified over the whole pull.
    pub fn signatures_checked(&self) -> usize {
        self.signatures_checked
    }

    /// The next request, built from what the caller holds now; `None` once the pull
    /// is over. The heads it carries are the ones `shared` is computed from at the end.
    pub fn request(
        &mut self,
        ledger: Option<&Ledger>,
        chain: Option<&TermChain>,
    ) -> Option<PullRequest> {
        if self.finished {
            return None;
        }
        // The resume point stays until a page is kept: a request whose answer was lost
        // is sent again as it was.
        let req = match (&self.last, &self.resume) {
            (Some(last), Some((resume, cursor))) => last.follow_up(resume, *cursor, ledger, chain),
            // A first request, or one after a page that was refused or lost.
            _ => pull_request(ledger, chain, self.circle, &self.shared, self.budget),
        };
        self.last = Some(req.clone());
        Some(req)
    }

    /// The first half of taking a page, outside the caller's lock: opens it against a
    /// copy of the chain (`None` if the caller has none yet), checks its certificates
    /// and evidence, and verifies its changes together with the quarantine.
    /// `unheld` gets the page's changes and returns those the caller has not applied
    /// (it may take the caller's lock briefly). On error nothing changed.
    pub fn check(
        &mut self,
        page: Page,
        chain: Option<TermChain>,
        now: u64,
        unheld: impl FnOnce(Vec<SignedChange>) -> Vec<SignedChange>,
    ) -> Result<CheckedPage, PullError> {
        let opened = open_page(page, &self.circle, chain.as_ref())?;
        let new_chain = chain.is_none();
        let mut working = match chain {
            Some(c) => c,
            None => TermChain::from_certs(opened.certs.clone())?,
        };
        for cert in &opened.certs {
            working.insert_from(cert.clone(), self.source)?;
        }
        let mut evidence = Vec::with_capacity(opened.evidence.len());
        for (a, b) in opened.evidence {
            let (actor, seq) =
                check_evidence(&working, &a, &b).map_err(PullError::FalseEvidence)?;
            evidence.push(ForkEvidence {
                actor,
                seq,
                pair: [a, b],
            });
        }
        let received = opened.changes.len();
        let fresh = unheld(opened.changes);
        let held = received.saturating_sub(fresh.len());
        let fresh_hashes = fresh
            .iter()
            .map(|c| {
                let h = c.envelope.change_hash;
                (h, self.quarantine.holds(&h) && !self.inherited.contains(&h))
            })
            .collect();
        let mut batch = self.quarantine.take();
        batch.extend(fresh.into_iter().map(|c| (c, false)));
        let verified = verify_batch_trusting(&working, batch, now);
        self.signatures_checked += verified.signatures_checked();
        Ok(CheckedPage {
            certs: opened.certs,
            evidence,
            verified,
            received,
            held,
            fresh: fresh_hashes,
            new_chain,
            heads: opened.heads,
            more: opened.more,
            missing_on_responder: opened.missing_on_responder,
            resume: opened.resume,
            cursor: opened.cursor,
        })
    }

    /// The second half, under the caller's lock: inserts the certificates, freezes
    /// writers the evidence shows forked, applies what was verified, quarantines what
    /// is pending, and says what comes next. On error the page's pending changes are
    /// lost to the quarantine (a later page brings them again).
    pub fn keep<K: Keeper>(
        &mut self,
        checked: CheckedPage,
        target: &mut K,
        now: u64,
    ) -> Result<Kept, K::Error> {
        let certs_before = target.chain().certs().len();
        for cert in checked.certs {
            target.chain().insert_from(cert, self.source)?;
        }
        let new_certs = checked.new_chain || target.chain().certs().len() != certs_before;
        // Evidence first: its writer is frozen before the page's changes are judged.
        let frozen = target.chain().frozen_actors();
        let evidence: Vec<ForkEvidence> = checked
            .evidence
            .into_iter()
            .filter(|e| frozen.get(e.actor.to_bytes()).is_none_or(|s| *s > e.seq))
            .collect();
        let removed = match evidence.is_empty() {
            true => 0,
            false => target.freeze(evidence)?,
        };
        // Of the page's changes not applied at check time: those applied meanwhile (by
        // another pull) or sent twice in this pull.
        let doc = target.ledger().doc();
        let repeated = checked
            .fresh
            .iter()
            .filter(|(h, again)| *again || has_change(doc, &ChangeHash(h.0)))
            .count();
        let mut report = target.absorb(checked.verified, now)?;
        self.pages += 1;
        let shared = (!checked.more).then(|| {
            // Both sides' heads, as far as the ledger holds them: the next sync with
            // this peer starts there.
            let sent = self
                .last
                .as_ref()
                .map(|r| r.heads.as_slice())
                .unwrap_or(&[]);
            let ours: &[Hash32] = if checked.missing_on_responder {
                &[]
            } else {
                sent
            };
            shared_after(ours, &checked.heads, target.ledger())
        });
        let mut overflow = false;
        for (c, _) in std::mem::take(&mut report.pending) {
            let verified = report.signature_verified(&c.envelope.change_hash);
            overflow |= !self.quarantine.hold(c, verified);
        }
        let stale = checked.received > 0
            && checked.held + repeated >= checked.received
            && !new_certs
            && removed == 0;
        // A peer still in an epoch this circle has forgotten sends its history in good
        // faith: it is behind, not hostile, and learns the certificate from us.
        let (forgotten, rejected): (Vec<_>, Vec<_>) = report
            .rejected
            .iter()
            .partition(|(_, e)| matches!(e, crate::error::ValidationError::ForgottenEpoch(_)));
        let next = if !rejected.is_empty() {
            Next::Stop(Stop::Rejected(rejected.len()))
        } else if !forgotten.is_empty() {
            Next::Done
        } else if overflow {
            Next::Stop(Stop::Overflow)
        } else if stale && checked.more {
            Next::Stop(Stop::Stale)
        } else if !checked.more || checked.received == 0 {
            Next::Done
        } else if self.pages >= MAX_PAGES {
            Next::Stop(Stop::MaxPages)
        } else {
            self.resume = Some((checked.resume, checked.cursor));
            Next::Request
        };
        self.finished = next != Next::Request;
        Ok(Kept {
            next,
            more: checked.more,
            shared,
            applied: report.applied.len(),
            pending: self.quarantine.len(),
        })
    }
}

/// A [`Keeper`] of a bare ledger and chain, persisting nothing (tests, the simulator,
/// a caller that stores the report itself).
#[derive(Debug)]
pub struct KeepInMemory<'a> {
    pub ledger: &'a mut Ledger,
    pub chain: &'a mut TermChain,
    /// Every change applied so far, for the caller to keep (e.g. its envelopes).
    pub applied: Vec<SignedChange>,
}

impl<'a> KeepInMemory<'a> {
    pub fn new(ledger: &'a mut Ledger, chain: &'a mut TermChain) -> KeepInMemory<'a> {
        KeepInMemory {
            ledger,
            chain,
            applied: Vec::new(),
        }
    }
}

impl Keeper for KeepInMemory<'_> {
    type Error = PullError;

    fn chain(&mut self) -> &mut TermChain {
        self.chain
    }

    fn ledger(&self) -> &Ledger {
        self.ledger
    }

    fn freeze(&mut self, evidence: Vec<ForkEvidence>) -> Result<usize, PullError> {
        let mut removed = 0;
        for e in evidence {
            let out = crate::validate::freeze_actor(self.ledger, self.chain, &e.actor, e.seq)?;
            removed += out.len();
        }
        Ok(removed)
    }

    fn absorb(&mut self, verified: Verified, now: u64) -> Result<ApplyReport, PullError> {
        let report = crate::validate::ingest_verified(self.ledger, self.chain, verified, now);
        self.applied.extend(report.applied.iter().cloned());
        Ok(report)
    }
}

#[cfg(test)]
#[path = "tests/pull.rs"]
mod tests;

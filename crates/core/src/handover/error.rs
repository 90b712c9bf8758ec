//! Why a handover step was refused: one variant per rule, so a test (and a front-end)
//! can tell the refusals apart by type, never by wording.

use crate::error::{CertError, ErrorKind};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandoverError {
    #[error("candidate code {0:?} is malformed: expected 64 hex digits, a dash and 8 hex digits (as `circle steward volunteer` prints it)")]
    CandidateMalformed(String),
    #[error("candidate code {0:?} fails its checksum: a digit was mistyped; copy the code again from `circle steward volunteer`")]
    CandidateChecksum(String),
    #[error("candidate {0} is not a valid public key")]
    CandidateKey(String),
    #[error("this device already holds {0} candidate keys; use them in a proposal or wait for one to be certified")]
    TooManyCandidates(usize),
    #[error("proposal could not be decoded")]
    Encoding,
    #[error("proposal of {0} bytes is larger than the limit of {1}")]
    TooLarge(usize, usize),
    #[error("proposal version {0} is not supported")]
    Version(u8),
    #[error("proposal belongs to another circle")]
    WrongCircle,
    #[error("proposal is for term {proposed} but this device's chain is at term {latest}: it does not follow the latest certificate (a stale device, or this one is behind: sync first)")]
    Stale { proposed: u64, latest: u64 },
    #[error("proposal {open} is already open for term {term}: approve it, or withdraw it first (`circle steward withdraw {open}`)")]
    Competing { open: String, term: u64 },
    #[error("this device's key already signed open proposal {other}: a key signs one successor per term. Approve that one, or, if it is yours, withdraw it first (`circle steward withdraw {other}`)")]
    SignedOther { other: String },
    #[error("key {0} is not a steward of the current term: it cannot sign the handover (a key of another term?)")]
    ForeignSigner(String),
    #[error("key {0} signed this proposal twice")]
    DuplicateSigner(String),
    #[error(
        "threshold {threshold} does not fit {stewards} steward(s): it must be 1 to {stewards}"
    )]
    Threshold { threshold: u32, stewards: usize },
    #[error("a proposal must name at least one steward (`--steward CODE` or `--steward self`)")]
    NoStewards,
    #[error("steward {0} is named twice")]
    DuplicateSteward(String),
    #[error("{0} stewards named; a term has at most {1}")]
    TooManyStewards(usize, usize),
    #[error("the term must last 1 to {max} days, not {days}")]
    TermDays { days: u64, max: u64 },
    #[error("the proposal's period is invalid (it starts before the current term, in the future, or lasts too long)")]
    Period,
    #[error("proposal {0} has expired; propose again")]
    Expired(String),
    #[error("proposal {0} was withdrawn by its proposer; propose again")]
    Withdrawn(String),
    #[error("a signature by {0} does not verify")]
    BadSignature(String),
    #[error("this device holds no steward key of term {0}; only a steward of the current term can propose or approve")]
    NotSteward(u64),
    #[error("key {key} signed this proposal already (this device's signature is counted)")]
    AlreadySigned { key: String },
    #[error("only the proposer's device can withdraw proposal {0}")]
    NotProposer(String),
    #[error("no open proposal matches {0:?}")]
    UnknownProposal(String),
    #[error("{0:?} matches several proposals; give more digits")]
    AmbiguousProposal(String),
    #[error("a proposal id is at least 8 hex digits, not {0:?}")]
    ShortId(String),
    #[error("{0} proposals are open already; withdraw one or let it expire")]
    TooManyOpen(usize),
    #[error("key {0} is being revoked by this proposal: its signature does not count")]
    RevokedSigner(String),
    #[error("key {0} is not a steward of the current term: nothing to revoke")]
    RevokeNotSteward(String),
    #[error("revoking {key} leaves {others} other steward(s), fewer than the threshold {threshold}: the circle cannot certify without it")]
    RevokeImpossible {
        key: String,
        others: usize,
        threshold: u32,
    },
    #[error("key {0} was a steward of an earlier term: every term takes fresh keys (a revoked key is never named again); volunteer a new one")]
    ReusedKey(String),
    #[error("the revoked key {0} cannot be a steward of the next term")]
    RevokedRenamed(String),
    #[error("the reason is {0} bytes; at most {1}")]
    ReasonTooLong(usize, usize),
    #[error("{count} write(s) on this device after the proposal's handover heads would be lost: withdraw proposal {proposal} and propose again")]
    WritesAfterHeads { proposal: String, count: usize },
    #[error("{missing} of proposal {proposal}'s handover heads are not on this device yet: sync with the proposer's device first")]
    HeadsMissing { proposal: String, missing: usize },
    #[error("writes are paused: proposal {proposal} hands term {term} over at fixed ledger heads, and a write now would be lost. Approve it (then write with the new term's key), or withdraw it to write again: `circle steward withdraw {proposal}`")]
    WritesPaused { proposal: String, term: u64 },
    #[error("name the next stewards either with --steward or by lottery with --draw SEATS --from CANDIDATE..., not both")]
    DrawAndNamed,
    #[error("--from names the candidates of a draw and needs --draw SEATS (how many are drawn)")]
    FromWithoutDraw,
    #[error("a draw's candidates are candidate codes fixed before the draw: volunteer on this device first (`circle steward volunteer`) and name its code instead of `self`")]
    SelfInDraw,
    #[error("a revocation names its stewards (`--steward`): it cannot wait for a lottery")]
    DrawInRevocation,
    #[error("steward draw {draw} for term {term} is complete already with other candidates or seats: propose with the same --draw and --from (`circle lottery verify {draw}` shows them)")]
    DrawExists { draw: String, term: u64 },
    #[error("steward draw {draw} for term {term} is still open with other candidates or seats: wait for its reveals, or for it to close, before drawing again")]
    DrawOpen { draw: String, term: u64 },
    #[error("this device's ledger does not hold the proposal's steward draw yet: sync with the proposer's device first")]
    DrawNotInLedger,
    #[error("the proposal's steward draw does not verify in this ledger: {0}")]
    DrawInvalid(String),
    #[error("the ledger holds another complete steward draw for term {term} ({other}): a proposer may not pick among draws, so this proposal's draw does not count")]
    DrawNotOnly { other: String, term: u64 },
    #[error("the proposed certificate would be {0} bytes, above the limit of {1}: draw among fewer candidates or name fewer stewards")]
    CertTooLarge(usize, usize),
    #[error("certificate: {0}")]
    Cert(#[from] CertError),
    #[error("--retain-terms takes a number of terms from 1 to 1000, or `all` to keep everything; not `{0}`")]
    RetainTerms(String),
    #[error("the proposal's forgetting setting is malformed or names the wrong epoch")]
    BadForgetting,
    #[error("the proposal's new epoch cannot be derived here: {0}")]
    EpochUnderivable(String),
    #[error("the proposal's new epoch is not the one this device derives from the same history: refusing to sign it")]
    EpochMismatch,
}

impl HandoverError {
    /// The kind of this refusal (see [`ErrorKind`]).
    pub fn kind(&self) -> ErrorKind {
        use HandoverError as H;
        match self {
            H::NotSteward(_) => ErrorKind::NotSteward,
            H::UnknownProposal(_) => ErrorKind::NotFound,
            H::Stale { .. }
            | H::Competing { .. }
            | H::SignedOther { .. }
            | H::Expired(_)
            | H::Withdrawn(_)
            | H::AlreadySigned { .. }
            | H::NotProposer(_)
            | H::TooManyOpen(_)
            | H::TooManyCandidates(_)
            | H::WritesAfterHeads { .. }
            | H::HeadsMissing { .. }
            | H::WritesPaused { .. }
            | H::DrawExists { .. }
            | H::DrawOpen { .. }
            | H::DrawNotInLedger
            | H::DrawNotOnly { .. }
            | H::RevokeImpossible { .. } => ErrorKind::Conflict,
            _ => ErrorKind::Invalid,
        }
    }
}

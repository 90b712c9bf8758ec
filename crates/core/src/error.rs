//! Error types of the core crate.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    #[error("public key is not a valid curve point")]
    NotAPoint,
    #[error("public key has small order or a torsion component")]
    Weak,
    #[error("signature does not verify")]
    BadSignature,
    #[error("expected 64 hex digits, got {0} characters")]
    BadHex(usize),
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertError {
    #[error("certificate could not be encoded or decoded")]
    Encoding,
    #[error("certificate version {0} is not supported")]
    Version(u8),
    #[error("certificate too large ({0})")]
    TooLarge(usize),
    #[error("a term needs 1 to 32 stewards, this one has {0}")]
    StewardCount(usize),
    #[error("a steward appears twice")]
    DuplicateSteward,
    #[error("steward key rejected: {0}")]
    Key(KeyError),
    #[error("threshold {0} does not fit the steward count")]
    Threshold(u32),
    #[error("term period is empty, too long, or starts before the previous term")]
    Period,
    #[error("term {0} is past the chain length limit")]
    TooLong(u64),
    #[error("genesis certificate fields are inconsistent")]
    GenesisShape,
    #[error("certificate belongs to another circle")]
    WrongCircle,
    #[error("term {0} does not link to the previous certificate")]
    BrokenLink(u64),
    #[error("only {good} valid steward signatures, {needed} needed")]
    NotEnoughSignatures { good: usize, needed: u32 },
    #[error("too many certificates waiting for their predecessor")]
    PendingFull,
    #[error("no genesis certificate")]
    NoGenesis,
    #[error("the certificate's steward lottery does not verify: {0}")]
    Lottery(crate::lottery::LotteryError),
    #[error("the certificate's forgetting setting is malformed (retention 1 to 1000 terms, sorted base heads, never at genesis)")]
    Forgetting,
    #[error("the certificate starts epoch {0}, which does not follow the chain's epoch")]
    EpochNumber(u64),
}

/// Why a change was refused. Expected outcome for bad peers, reported, not thrown.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValidationError {
    #[error("change bytes are malformed")]
    Malformed,
    #[error("change is larger than {0} bytes")]
    TooLarge(usize),
    #[error("compressed change chunks are not accepted")]
    Compressed,
    #[error("envelope names another circle")]
    WrongCircle,
    #[error("envelope hash does not match the change")]
    HashMismatch,
    #[error("envelope version {0} is not supported")]
    Version(u8),
    #[error("signature does not verify")]
    BadSignature,
    #[error("signer is not a steward of term {0}")]
    NotASteward(u64),
    #[error("term {0} ended; this change is not in its handover history")]
    AfterHandover(u64),
    #[error("term {0} belongs to an epoch the circle has forgotten")]
    ForgottenEpoch(u64),
    #[error("circle is flagged for equivocating certificates at term {0}")]
    Equivocation(u64),
    #[error("ledger schema: {0}")]
    Schema(String),
    #[error("not evidence of an equivocation: {0}")]
    NotEvidence(&'static str),
}

/// Why a change cannot be judged yet: it waits in quarantine.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pending {
    #[error("certificate for term {0} not known yet")]
    AwaitingCertificate(u64),
    #[error("handover of term {0} not seen yet")]
    AwaitingHandover(u64),
    #[error("dependencies missing")]
    MissingDeps,
}

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LedgerError {
    #[error("document is not a circle ledger: {0}")]
    NotALedger(String),
    #[error(
        "ledger schema version {found} is newer than this program ({supported}); upgrade circle"
    )]
    SchemaTooNew { found: u64, supported: u64 },
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("{0}")]
    Invalid(String),
    #[error("no {kind} with id {id}")]
    NotFound { kind: &'static str, id: String },
    #[error("steward term {0} has expired; hand over with `circle steward propose` (or `circle steward rotate` on a device that holds the threshold)")]
    TermExpired(u64),
    #[error("this device holds no steward key of term {0}, so it only reads; ask a steward to name it: `circle steward volunteer` here, then `circle steward propose --steward CODE` on a steward's device")]
    NotSteward(u64),
    /// Well formed, but the ledger's state refuses it (a task already closed).
    #[error("{0}")]
    Conflict(String),
}

/// What kind of failure an error is, whatever its wording: what a front-end needs to
/// choose a status code or an exit code. Every library error of the workspace maps onto
/// one (`LedgerError::kind` here, `NodeError::kind` in node), so no front-end has to
/// re-check a rule to know why something was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is malformed or breaks a rule of the ledger model.
    Invalid,
    /// An id that names nothing this node holds.
    NotFound,
    /// Well formed, but the current state refuses it (a closed task, an expired term).
    Conflict,
    /// A circle that does not keep the common rebellion protocol.
    NotCompliant,
    /// No steward key of the current term on this node.
    NotSteward,
    /// Not possible right now: the network failed, the node is busy or stopping.
    Unavailable,
    /// The disk is full.
    StorageFull,
    /// Something on this node is broken (a damaged store, a bug).
    Internal,
}

impl LedgerError {
    /// The kind of this failure (see [`ErrorKind`]).
    pub fn kind(&self) -> ErrorKind {
        match self {
            LedgerError::Invalid(_) => ErrorKind::Invalid,
            LedgerError::NotFound { .. } => ErrorKind::NotFound,
            LedgerError::TermExpired(_) | LedgerError::Conflict(_) => ErrorKind::Conflict,
            LedgerError::NotSteward(_) => ErrorKind::NotSteward,
            LedgerError::NotALedger(_)
            | LedgerError::SchemaTooNew { .. }
            | LedgerError::Automerge(_) => ErrorKind::Internal,
        }
    }
}

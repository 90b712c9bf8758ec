use std::path::PathBuf;

pub use circle_core::error::ErrorKind;
use thiserror::Error;

/// Every failure of the node crate. Its wording is what a person reads (the CLI prints
/// it, the web API sends it); [`NodeError::kind`] says what kind of failure it is, so a
/// front-end picks its status code from the type, never from the words.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NodeError {
    #[error("no circle in {0}; create one with `circle init --name NAME`")]
    NotInitialised(PathBuf),
    #[error("a circle already exists in {dir} (circle id {circle_id})")]
    AlreadyInitialised { dir: PathBuf, circle_id: String },
    #[error(transparent)]
    Store(#[from] circle_store::StoreError),
    #[error(transparent)]
    Ledger(Box<circle_core::error::LedgerError>),
    #[error(transparent)]
    Circle(Box<circle_core::circle::CircleError>),
    /// A handover step refused (see `circle_core::handover`).
    #[error(transparent)]
    Handover(Box<circle_core::handover::HandoverError>),
    #[error("certificate chain: {0}")]
    Cert(#[from] circle_core::error::CertError),
    #[error("{0}")]
    Invalid(String),
    /// An id (circle, tactic, zine, followed circle) that names nothing this node holds.
    #[error("{0}")]
    NotFound(String),
    /// Well formed, but the state of the circle or of this node refuses it.
    #[error("{0}")]
    Conflict(String),
    /// A circle that does not keep the protocol: its content is not shown, its alerts
    /// would not be relayed.
    #[error("{0}")]
    NotCompliant(String),
    #[error("network: {0}")]
    Net(String),
    /// A listen port is taken: said with the flag that changes it, since that is the fix.
    #[error("{0}; choose a free port with `--listen` (e.g. `--listen /ip4/0.0.0.0/tcp/7880 --listen /ip4/0.0.0.0/udp/7880/quic-v1`)")]
    PortInUse(String),
    /// A write reached memory but not the disk earlier in this process.
    #[error("an earlier write could not be stored ({0}), so this process takes no more writes; nothing after the last acknowledged write was kept: free disk space, then start again")]
    StoreFailed(String),
}

impl NodeError {
    /// The kind of this failure: the one place the node's errors are sorted.
    pub fn kind(&self) -> ErrorKind {
        use circle_core::circle::CircleError;
        match self {
            NodeError::Invalid(_) => ErrorKind::Invalid,
            NodeError::NotFound(_) | NodeError::NotInitialised(_) => ErrorKind::NotFound,
            NodeError::Conflict(_) | NodeError::AlreadyInitialised { .. } => ErrorKind::Conflict,
            NodeError::NotCompliant(_) => ErrorKind::NotCompliant,
            NodeError::Net(_) | NodeError::PortInUse(_) => ErrorKind::Unavailable,
            // The node is stopping (see `Node::store_failed`).
            NodeError::StoreFailed(_) => ErrorKind::Unavailable,
            NodeError::Store(e) => store_kind(e),
            NodeError::Ledger(e) => e.kind(),
            NodeError::Circle(c) => match c.as_ref() {
                CircleError::Ledger(e) => e.kind(),
                CircleError::Invalid(_) => ErrorKind::Invalid,
                _ => ErrorKind::Internal,
            },
            NodeError::Handover(h) => h.kind(),
            NodeError::Cert(_) => ErrorKind::Internal,
        }
    }
}

/// The kind of a store failure: a full disk is its own kind, the rest is this node's.
pub fn store_kind(e: &circle_store::StoreError) -> ErrorKind {
    match e {
        circle_store::StoreError::Full(_) => ErrorKind::StorageFull,
        _ => ErrorKind::Internal,
    }
}

// Boxed: Automerge's errors are large, and every `Result` would carry their size.
impl From<circle_core::error::LedgerError> for NodeError {
    fn from(e: circle_core::error::LedgerError) -> Self {
        NodeError::Ledger(Box::new(e))
    }
}

impl From<circle_core::handover::HandoverError> for NodeError {
    fn from(e: circle_core::handover::HandoverError) -> Self {
        NodeError::Handover(Box::new(e))
    }
}

impl From<circle_core::circle::CircleError> for NodeError {
    fn from(e: circle_core::circle::CircleError) -> Self {
        NodeError::Circle(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use circle_core::error::LedgerError;

    #[test]
    fn every_failure_has_its_kind_by_type_not_wording() {
        let closed = NodeError::from(LedgerError::Conflict("task x is already closed".into()));
        assert_eq!(closed.kind(), ErrorKind::Conflict);
        assert_eq!(
            NodeError::from(LedgerError::TermExpired(2)).kind(),
            ErrorKind::Conflict
        );
        assert_eq!(
            NodeError::from(LedgerError::NotSteward(2)).kind(),
            ErrorKind::NotSteward
        );
        let missing = LedgerError::NotFound {
            kind: "task",
            id: "x".into(),
        };
        assert_eq!(NodeError::from(missing).kind(), ErrorKind::NotFound);
        // The same words, another kind: the type decides.
        assert_eq!(
            NodeError::Invalid("no task".into()).kind(),
            ErrorKind::Invalid
        );
        assert_eq!(
            NodeError::NotFound("no task".into()).kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            NodeError::NotCompliant("x".into()).kind(),
            ErrorKind::NotCompliant
        );
        assert_eq!(NodeError::Net("down".into()).kind(), ErrorKind::Unavailable);
        let full =
            circle_store::StoreError::from(std::io::Error::from(std::io::ErrorKind::StorageFull));
        assert_eq!(NodeError::from(full).kind(), ErrorKind::StorageFull);
        assert_eq!(
            NodeError::StoreFailed("full".into()).kind(),
            ErrorKind::Unavailable
        );
        assert_eq!(
            NodeError::Store(circle_store::StoreError::Locked).kind(),
            ErrorKind::Internal
        );
    }
}

use std::path::PathBuf;

use thiserror::Error;

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
    #[error("certificate chain: {0}")]
    Cert(#[from] circle_core::error::CertError),
    #[error("{0}")]
    Invalid(String),
    #[error("network: {0}")]
    Net(String),
    /// A listen port is taken: said with the flag that changes it, since that is the fix.
    #[error("{0}; choose a free port with `--listen` (e.g. `--listen /ip4/0.0.0.0/tcp/7880 --listen /ip4/0.0.0.0/udp/7880/quic-v1`)")]
    PortInUse(String),
    /// A write reached memory but not the disk earlier in this process.
    #[error("an earlier write could not be stored ({0}), so this process takes no more writes; nothing after the last acknowledged write was kept: free disk space, then start again")]
    StoreFailed(String),
}

// Boxed: Automerge's errors are large, and every `Result` would carry their size.
impl From<circle_core::error::LedgerError> for NodeError {
    fn from(e: circle_core::error::LedgerError) -> Self {
        NodeError::Ledger(Box::new(e))
    }
}

impl From<circle_core::circle::CircleError> for NodeError {
    fn from(e: circle_core::circle::CircleError) -> Self {
        NodeError::Circle(Box::new(e))
    }
}

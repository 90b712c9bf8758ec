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
    Ledger(#[from] circle_core::error::LedgerError),
    #[error(transparent)]
    Circle(#[from] circle_core::circle::CircleError),
    #[error("certificate chain: {0}")]
    Cert(#[from] circle_core::error::CertError),
    #[error("{0}")]
    Invalid(String),
}

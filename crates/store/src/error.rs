use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("the store is in use by another circle process (is `circle serve` running for this data directory?)")]
    Locked,
    #[error("{0} is not a circle-ledger store")]
    Foreign(String),
    #[error("the store is corrupted: {0}")]
    Corrupt(String),
    #[error("storage error: {0}")]
    Sled(#[from] sled::Error),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    #[error("key file {path}: {why}")]
    Key { path: String, why: String },
    #[error("store format {0} is newer than this program understands; upgrade circle")]
    TooNew(String),
}

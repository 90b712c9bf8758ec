use std::io::ErrorKind;

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
    /// The disk (or a quota, or a file size limit) has no room for the write.
    #[error("no room left to write the store ({0}); free some disk space")]
    Full(String),
    #[error("storage error: {0}")]
    Sled(String),
    #[error("i/o error: {0}")]
    Io(String),
    #[error("key file {path}: {why}")]
    Key { path: String, why: String },
    /// `start_epoch` was asked for an epoch that does not follow the circle's current one.
    #[error("epoch {asked} does not follow the circle's current epoch {current}")]
    EpochNotNewer { current: u64, asked: u64 },
    #[error("store format {0} is newer than this program understands; upgrade circle")]
    TooNew(String),
}

impl StoreError {
    /// Whether the disk refused the write: after that, sled 0.34 refuses every later
    /// operation of this process (its "global error"), so the store must be reopened.
    pub fn is_write_failure(&self) -> bool {
        matches!(
            self,
            StoreError::Full(_) | StoreError::Io(_) | StoreError::Sled(_)
        )
    }
}

// The underlying error is folded into the message rather than kept as a `source`, so a
// report of the chain (`{:#}`) says it once, not twice.
impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        match e {
            sled::Error::Io(io) => io.into(),
            other => StoreError::Sled(other.to_string()),
        }
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            // sled hands its errors around as clones that wrap the original's `Debug`
            // text; the kind says it plainly.
            kind
            @ (ErrorKind::StorageFull | ErrorKind::FileTooLarge | ErrorKind::QuotaExceeded) => {
                StoreError::Full(kind.to_string())
            }
            _ => StoreError::Io(e.to_string()),
        }
    }
}

//! Secret files (steward keys, epoch keys): written whole or not at all, private to the
//! user, and shredded when destroyed.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::StoreError;

/// Writes `secret` to `path` through `tmp` (mode 0600, synced, renamed, directory
/// synced): a crash leaves the old file or the new one, never a torn one.
pub(crate) fn write(path: &Path, tmp: &Path, secret: &[u8; 32]) -> Result<(), StoreError> {
    let _ = fs::remove_file(tmp);
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(tmp)?;
    f.write_all(secret)?;
    f.sync_all()?;
    drop(f);
    fs::rename(tmp, path)?;
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Overwrites a file with zeros (its length), syncs it, and unlinks it; a file already
/// gone is fine. The overwrite is best effort against a later read of the freed blocks;
/// the unlink is what counts.
pub(crate) fn shred(path: &Path) -> Result<(), StoreError> {
    let len = match fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let mut f = OpenOptions::new().write(true).open(path)?;
    // Secrets are 32 bytes; anything else here is not ours to zero at length.
    f.write_all(&vec![0u8; usize::try_from(len.min(4096)).unwrap_or(32)])?;
    f.sync_all()?;
    drop(f);
    fs::remove_file(path)?;
    Ok(())
}

//! Epoch key files: `<store dir>/epoch-keys/<circle hex>.<epoch>`, 32 random bytes each.
//!
//! They live outside sled on purpose: sled keeps old log segments around, so a key
//! written into sled could never be destroyed. A file can: overwritten, synced, unlinked,
//! and the directory synced (what the file system or the drive keep of freed blocks is
//! beyond reach; see `docs/ARCHITECTURE.md`). sled 0.34 ignores the subdirectory: it only
//! reads its own `conf`, `db`, `snap.*` and `blobs/` entries.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use circle_core::keys::Hash32;

use crate::secret_file::{self, shred};
use crate::StoreError;

/// The directory's name inside the store directory.
pub(crate) const KEY_DIR: &str = "epoch-keys";
const TMP: &str = "tmp";

/// The key files of one store.
#[derive(Debug)]
pub(crate) struct KeyFiles {
    dir: PathBuf,
}

impl KeyFiles {
    pub(crate) fn new(store_dir: &Path) -> KeyFiles {
        KeyFiles {
            dir: store_dir.join(KEY_DIR),
        }
    }

    fn path(&self, circle: &Hash32, epoch: u64) -> PathBuf {
        self.dir.join(format!("{}.{epoch}", hex::encode(circle.0)))
    }

    /// Makes a fresh random key for (circle, epoch) and writes it durably: temp file
    /// (0600), fsync, rename, fsync of the directory. Replaces a leftover of the same name.
    pub(crate) fn create(&self, circle: &Hash32, epoch: u64) -> Result<[u8; 32], StoreError> {
        if !self.dir.is_dir() {
            fs::create_dir_all(&self.dir)?;
            if let Some(parent) = self.dir.parent() {
                File::open(parent)?.sync_all()?;
            }
        }
        let secret: [u8; 32] = rand::random();
        let path = self.path(circle, epoch);
        let tmp = path.with_extension(format!("{epoch}.{TMP}"));
        secret_file::write(&path, &tmp, &secret)?;
        Ok(secret)
    }

    /// The key of (circle, epoch), if its file exists.
    pub(crate) fn read(&self, circle: &Hash32, epoch: u64) -> Result<Option<[u8; 32]>, StoreError> {
        let path = self.path(circle, epoch);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| StoreError::Key {
            path: path.display().to_string(),
            why: format!("has {} bytes, expected 32", bytes.len()),
        })?;
        Ok(Some(key))
    }

    /// Every key file as (circle, epoch). Leftover temp files of an interrupted
    /// [`KeyFiles::create`] are removed (their key was never used: the rename comes
    /// before any value is sealed). Names this store never writes are left alone.
    pub(crate) fn list(&self) -> Result<Vec<(Hash32, u64)>, StoreError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.ends_with(&format!(".{TMP}")) {
                shred(&entry.path())?;
                continue;
            }
            if let Some(parsed) = parse_name(name) {
                found.push(parsed);
            }
        }
        found.sort_by_key(|(c, e)| (c.0, *e));
        Ok(found)
    }

    /// The epochs a circle has key files for.
    pub(crate) fn epochs_of(&self, circle: &Hash32) -> Result<Vec<u64>, StoreError> {
        Ok(self
            .list()?
            .into_iter()
            .filter(|(c, _)| c == circle)
            .map(|(_, e)| e)
            .collect())
    }

    /// Destroys the key of (circle, epoch): overwritten with zeros, synced, unlinked.
    /// The caller syncs the directory ([`KeyFiles::sync_dir`]) once after a batch.
    pub(crate) fn destroy(&self, circle: &Hash32, epoch: u64) -> Result<(), StoreError> {
        shred(&self.path(circle, epoch))
    }

    /// Makes creations and removals of key files durable.
    pub(crate) fn sync_dir(&self) -> Result<(), StoreError> {
        if self.dir.is_dir() {
            File::open(&self.dir)?.sync_all()?;
        }
        Ok(())
    }
}

/// `<64 hex digits>.<decimal epoch>`.
fn parse_name(name: &str) -> Option<(Hash32, u64)> {
    let (circle, epoch) = name.split_once('.')?;
    let mut id = [0u8; 32];
    hex::decode_to_slice(circle, &mut id).ok()?;
    if epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((Hash32(id), epoch.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_are_private_listed_and_destroyed() {
        let dir = tempfile::tempdir().unwrap();
        let files = KeyFiles::new(dir.path());
        let c = Hash32([0xab; 32]);
        assert!(files.list().unwrap().is_empty());
        let k0 = files.create(&c, 0).unwrap();
        let k3 = files.create(&c, 3).unwrap();
        assert_ne!(k0, k3);
        assert_eq!(files.read(&c, 3).unwrap(), Some(k3));
        assert_eq!(files.read(&c, 1).unwrap(), None);
        let path = files.path(&c, 3);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // A leftover temp file goes; a foreign name stays and is not listed.
        fs::write(path.with_extension("4.tmp"), b"x").unwrap();
        fs::write(files.dir.join("README"), b"x").unwrap();
        assert_eq!(files.epochs_of(&c).unwrap(), vec![0, 3]);
        assert!(!path.with_extension("4.tmp").exists());
        assert!(files.dir.join("README").exists());
        files.destroy(&c, 0).unwrap();
        files.sync_dir().unwrap();
        assert_eq!(files.list().unwrap(), vec![(c, 3)]);
    }

    #[test]
    fn names_parse_only_in_the_written_shape() {
        let hex = "ab".repeat(32);
        assert_eq!(
            parse_name(&format!("{hex}.12")),
            Some((Hash32([0xab; 32]), 12))
        );
        for bad in [
            format!("{hex}."),
            format!("{hex}.-1"),
            format!("{hex}.1.tmp"),
            "ab.1".to_owned(),
        ] {
            assert_eq!(parse_name(&bad), None, "{bad}");
        }
    }
}

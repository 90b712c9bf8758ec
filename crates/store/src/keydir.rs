//! Secret keys in files: one per key, mode 0600, written atomically.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use circle_core::keys::{PublicKey, StewardKey};

use crate::secret_file::{self, shred};
use crate::StoreError;

/// The `keys/` directory of a data directory.
#[derive(Debug, Clone)]
pub struct KeyDir {
    dir: PathBuf,
}

impl KeyDir {
    /// Opens (creating, mode 0700) the key directory.
    pub fn open(dir: &Path) -> Result<KeyDir, StoreError> {
        fs::create_dir_all(dir)?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        Ok(KeyDir {
            dir: dir.to_owned(),
        })
    }

    /// The node's transport identity secret, created on first use.
    pub fn node_secret(&self) -> Result<[u8; 32], StoreError> {
        let path = self.dir.join("node.key");
        if path.exists() {
            return read_secret(&path);
        }
        let secret = circle_core::keys::random_bytes();
        write_secret(&path, &secret)?;
        Ok(secret)
    }

    fn steward_path(&self, term: u64, index: usize) -> PathBuf {
        self.dir.join(format!("steward-{term}-{index}.key"))
    }

    /// Stores a term's steward keys durably. Never replaces a key already kept: a
    /// steward key is a circle's write access, and overwriting one loses it for good.
    pub fn put_stewards(&self, term: u64, keys: &[StewardKey]) -> Result<(), StoreError> {
        for i in 0..keys.len() {
            let path = self.steward_path(term, i);
            if path.exists() {
                return Err(key_err(
                    &path,
                    "exists already; a steward key is never overwritten (a damaged store? see `circle restore`)",
                ));
            }
        }
        for (i, k) in keys.iter().enumerate() {
            write_secret(&self.steward_path(term, i), &k.secret_bytes())?;
        }
        Ok(())
    }

    /// The steward keys of a term held on this node (none if this node is a replica).
    pub fn stewards(&self, term: u64) -> Result<Vec<StewardKey>, StoreError> {
        let mut out = Vec::new();
        for i in 0..circle_core::term::MAX_STEWARDS {
            let p = self.steward_path(term, i);
            if !p.exists() {
                break;
            }
            out.push(StewardKey::from_secret(read_secret(&p)?));
        }
        Ok(out)
    }

    /// Destroys every steward key of terms before `term`: old keys must not write.
    pub fn destroy_stewards_before(&self, term: u64) -> Result<(), StoreError> {
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let old = name
                .strip_prefix("steward-")
                .and_then(|r| r.split('-').next())
                .and_then(|t| t.parse::<u64>().ok())
                .is_some_and(|t| t < term);
            if old {
                // Overwrite before unlinking, so the secret is not left in free blocks
                // of simple filesystems (best effort on journaling/flash storage).
                let mut f = OpenOptions::new().write(true).open(entry.path())?;
                f.write_all(&[0u8; 32])?;
                f.sync_all()?;
                fs::remove_file(entry.path())?;
            }
        }
        File::open(&self.dir)?.sync_all()?;
        Ok(())
    }

    fn candidate_path(&self, key: &circle_core::keys::PublicKey) -> PathBuf {
        self.dir.join(format!("candidate-{}.key", key.to_hex()))
    }

    /// Keeps a candidate key for a coming term (`circle steward volunteer`), durably and
    /// 0600, refusing past `max` candidates. A candidate never leaves this directory.
    pub fn put_candidate(&self, key: &StewardKey, max: usize) -> Result<(), StoreError> {
        let held = self.candidates()?.len();
        if held >= max {
            return Err(key_err(
                &self.dir,
                format!("holds {held} candidate keys already, the most a device keeps"),
            ));
        }
        write_secret(&self.candidate_path(&key.public()), &key.secret_bytes())
    }

    /// The candidate keys held here, in the order of their public keys.
    pub fn candidates(&self) -> Result<Vec<StewardKey>, StoreError> {
        let mut names: Vec<PathBuf> = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("candidate-") && name.ends_with(".key") {
                names.push(entry.path());
            }
        }
        names.sort();
        names
            .iter()
            .map(|p| read_secret(p).map(StewardKey::from_secret))
            .collect()
    }

    /// Destroys a candidate key (adopted into a term, or no longer wanted).
    pub fn destroy_candidate(&self, key: &circle_core::keys::PublicKey) -> Result<(), StoreError> {
        let path = self.candidate_path(key);
        if path.exists() {
            shred(&path)?;
            File::open(&self.dir)?.sync_all()?;
        }
        Ok(())
    }

    fn lottery_seed_path(&self, steward: &PublicKey) -> PathBuf {
        self.dir.join(format!("lottery-{}.seed", steward.to_hex()))
    }

    /// The secret seed of a steward key's lottery hash chain (`circle_core::lottery`),
    /// created on first use. It stays in this directory: never in a bundle, export,
    /// sync or the API; only its chain's values are ever published, one per draw.
    pub fn lottery_seed(&self, steward: &PublicKey) -> Result<[u8; 32], StoreError> {
        let path = self.lottery_seed_path(steward);
        if path.exists() {
            return read_secret(&path);
        }
        let seed = circle_core::keys::random_bytes();
        write_secret(&path, &seed)?;
        Ok(seed)
    }

    /// Destroys the lottery seeds of every steward key not in `keep` (keys of past
    /// terms: their chains can count in no new draw). Returns how many went.
    pub fn destroy_lottery_seeds_except(&self, keep: &[PublicKey]) -> Result<usize, StoreError> {
        let kept: Vec<String> = keep
            .iter()
            .map(|k| format!("lottery-{}.seed", k.to_hex()))
            .collect();
        let mut destroyed = 0;
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("lottery-") && name.ends_with(".seed") && !kept.contains(&name) {
                shred(&entry.path())?;
                destroyed += 1;
            }
        }
        if destroyed > 0 {
            File::open(&self.dir)?.sync_all()?;
        }
        Ok(destroyed)
    }
}

fn key_err(path: &Path, why: impl Into<String>) -> StoreError {
    StoreError::Key {
        path: path.display().to_string(),
        why: why.into(),
    }
}

fn read_secret(path: &Path) -> Result<[u8; 32], StoreError> {
    let meta = fs::metadata(path)?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(key_err(
            path,
            "is readable by other users; run `chmod 600` on it",
        ));
    }
    let bytes = fs::read(path)?;
    bytes
        .as_slice()
        .try_into()
        .map_err(|_| key_err(path, format!("has {} bytes, expected 32", bytes.len())))
}

/// Writes a secret durably: temp file created 0600, fsync, rename, fsync directory.
fn write_secret(path: &Path, secret: &[u8; 32]) -> Result<(), StoreError> {
    secret_file::write(path, &path.with_extension("tmp"), secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_private_and_destroyed_on_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let kd = KeyDir::open(dir.path()).unwrap();
        let k0 = StewardKey::generate();
        kd.put_stewards(0, std::slice::from_ref(&k0)).unwrap();
        let mode = fs::metadata(dir.path().join("steward-0-0.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(kd.stewards(0).unwrap()[0].public(), k0.public());
        kd.put_stewards(1, &[StewardKey::generate()]).unwrap();
        kd.destroy_stewards_before(1).unwrap();
        assert!(kd.stewards(0).unwrap().is_empty());
        assert_eq!(kd.stewards(1).unwrap().len(), 1);
    }

    #[test]
    fn world_readable_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let kd = KeyDir::open(dir.path()).unwrap();
        kd.put_stewards(0, &[StewardKey::generate()]).unwrap();
        let p = dir.path().join("steward-0-0.key");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(kd.stewards(0).is_err());
    }

    #[test]
    fn candidates_are_private_bounded_and_destroyed() {
        let dir = tempfile::tempdir().unwrap();
        let kd = KeyDir::open(dir.path()).unwrap();
        let keys: Vec<StewardKey> = (0..3).map(|_| StewardKey::generate()).collect();
        for k in &keys[..2] {
            kd.put_candidate(k, 2).unwrap();
        }
        assert!(kd.put_candidate(&keys[2], 2).is_err(), "bounded");
        let held: Vec<_> = kd
            .candidates()
            .unwrap()
            .iter()
            .map(|k| k.public())
            .collect();
        assert_eq!(held.len(), 2);
        assert!(held.contains(&keys[0].public()) && held.contains(&keys[1].public()));
        let path = dir
            .path()
            .join(format!("candidate-{}.key", keys[0].public().to_hex()));
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // Rotation's cleanup leaves candidates alone; destroying one removes its file.
        kd.destroy_stewards_before(5).unwrap();
        assert_eq!(kd.candidates().unwrap().len(), 2);
        kd.destroy_candidate(&keys[0].public()).unwrap();
        assert!(!path.exists());
        assert_eq!(kd.candidates().unwrap().len(), 1);
        assert!(
            kd.stewards(0).unwrap().is_empty(),
            "a candidate is no term key"
        );
    }
}

//! Files and directories only this account may read, whatever the umask.
//!
//! The data directory holds the store, the steward keys, the private lexicon (member
//! aliases), the web page's token and the node's socket. It is created `0700`, and
//! tightened to `0700` when it already exists more open, before anything is put in it:
//! so the socket, bound inside it, is never reachable by another account, even for the
//! moment between `bind` and any `chmod`. Temporary files are created `0600` with
//! `O_EXCL` (a file or link planted under that name is never followed).

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{bail, Context, Result};

/// Mode of the data directory.
pub(crate) const DIR_MODE: u32 = 0o700;
/// Mode of private files in it.
pub(crate) const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents, with the usual modes) as `0700`, or tightens an
/// existing one to `0700`. Refuses a path that is not a directory, or one that belongs
/// to another account.
pub(crate) fn ensure_dir(dir: &Path) -> Result<()> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            match DirBuilder::new().mode(DIR_MODE).create(dir) {
                Ok(()) => {}
                // Another process made it meanwhile: checked below like any other.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot create {}", dir.display()))
                }
            }
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
        Ok(_) => {}
    }
    // Follows a symbolic link on purpose: a data directory may be one.
    let meta = fs::metadata(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    if !meta.is_dir() {
        bail!(
            "the data directory {} is not a directory; pass --data-dir DIR",
            dir.display()
        );
    }
    if meta.uid() != current_uid(dir)? {
        bail!(
            "the data directory {} belongs to another account; run circle as that account, or pass --data-dir DIR",
            dir.display()
        );
    }
    // Exactly 0700: the umask only ever removes bits, and an older directory may be 0755.
    if meta.permissions().mode() & 0o7777 != DIR_MODE {
        fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))
            .with_context(|| format!("cannot make {} private (0700)", dir.display()))?;
    }
    Ok(())
}

/// This process's user id, as the owner of a file it just created (no `unsafe` call to
/// `getuid` needed): a probe file created and removed in `dir`.
fn current_uid(dir: &Path) -> Result<u32> {
    let probe = dir.join(format!(".uid-probe-{}", std::process::id()));
    let _ = fs::remove_file(&probe);
    let file = create_file(&probe);
    let uid = file
        .and_then(|f| f.metadata())
        .map(|m| m.uid())
        .with_context(|| format!("cannot write in {}", dir.display()));
    let _ = fs::remove_file(&probe);
    uid
}

/// Creates a new file readable and writable by this account only. An existing file of
/// that name is an error (`O_EXCL`), so callers remove a stale one first.
pub(crate) fn create_file(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)?;
    // The umask only removes bits; make it exactly 0600 all the same.
    file.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
    Ok(file)
}

/// Like [`create_file`], replacing a stale file of that name (one left by a crash).
pub(crate) fn replace_file(path: &Path) -> io::Result<File> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    create_file(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn directories_and_files_are_private() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b/data");
        ensure_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        ensure_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700, "an existing open directory is tightened");
        let f = dir.join("x.tmp");
        drop(replace_file(&f).unwrap());
        assert_eq!(mode(&f), 0o600);
        assert!(create_file(&f).is_err(), "never opens an existing file");
        drop(replace_file(&f).unwrap());
        let file = dir.join("plain");
        fs::write(&file, b"x").unwrap();
        let err = ensure_dir(&file).unwrap_err().to_string();
        assert!(err.contains("not a directory"), "{err}");
        assert!(fs::read_dir(&dir).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("probe")));
    }
}

//! `circle archive --out FILE --passphrase-file F` and `circle import ARCHIVE
//! --passphrase-file F` (docs/ARCHIVE.md). The node does the work (circle_node::archive);
//! here: the passphrase file, which is untrusted input like any other, and the reports.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::{bail, Context, Result};
use circle_node::archive::SecretString;
use circle_node::LocalCircle;
use serde_json::json;

use crate::Report;

/// Longer than any passphrase a person types or a password manager makes: a bigger
/// file is the wrong file (a key, a bundle), and is not read.
const MAX_PASSPHRASE_BYTES: u64 = 1024;
/// What every age file starts with (its version line).
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";
/// The archive read at most: as many epochs as the node verifies, each a bundle.
const MAX_ARCHIVE_FILE_BYTES: u64 = 16 * 1024 * 1024 * 1024;

pub(crate) fn archive(
    local: &LocalCircle,
    out: &Path,
    passphrase_file: &Path,
    now: u64,
) -> Result<Report> {
    if out == Path::new("-") {
        bail!("an archive is written to a file: name one with --out");
    }
    let passphrase = read_passphrase(passphrase_file)?;
    let sealed = local.archive(passphrase, now)?;
    super::circle::write_atomically(out, &sealed.bytes)
        .with_context(|| format!("cannot write {}", out.display()))?;
    let bytes = sealed.bytes.len();
    Ok(Report::new(
        json!({ "bytes": bytes, "path": out.display().to_string(), "circle_id": sealed.circle_id,
                "epochs": sealed.epochs, "changes": sealed.changes }),
        format!(
            "wrote the archive of circle {} ({} epoch{}, {} signed changes, {bytes} bytes) to {}, \
             encrypted to the passphrase: keep the two apart",
            sealed.circle_id,
            sealed.epochs,
            if sealed.epochs == 1 { "" } else { "s" },
            sealed.changes,
            out.display()
        ),
    ))
}

pub(crate) fn import(
    local: &LocalCircle,
    file: &Path,
    passphrase_file: &Path,
    now: u64,
) -> Result<Report> {
    let passphrase = read_passphrase(passphrase_file)?;
    let f = std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let input = std::io::BufReader::new(f.take(MAX_ARCHIVE_FILE_BYTES));
    let restored = local
        .restore_archive(input, passphrase, now)
        .with_context(|| format!("cannot restore the archive {}", file.display()))?;
    let mut text = format!(
        "restored the archive of circle {} (written at {}), apart from what this node serves:",
        restored.circle_id, restored.written_at
    );
    for e in &restored.epochs {
        text += &format!(
            "\n  epoch {} (terms {}..{}): {} signed changes verified, in {}",
            e.epoch,
            e.first_term,
            e.last_term,
            e.changes,
            e.dir.display()
        );
    }
    Ok(Report::new(
        json!({ "archive": true, "circle_id": restored.circle_id,
                "written_at": restored.written_at, "epochs": restored.epochs }),
        text,
    ))
}

/// An archive imported without its passphrase is refused with the flag that opens it,
/// not with a bundle decoder's "not a bundle".
pub(crate) fn refuse_without_passphrase(file: &Path) -> Result<()> {
    let mut head = Vec::new();
    if let Ok(f) = std::fs::File::open(file) {
        let _ = f.take(AGE_MAGIC.len() as u64).read_to_end(&mut head);
    }
    if head == AGE_MAGIC {
        bail!(
            "{} is an encrypted archive: import it with --passphrase-file F",
            file.display()
        );
    }
    Ok(())
}

/// The passphrase in `path`: at most 1 KiB of UTF-8, not empty, one trailing newline
/// (`\n` or `\r\n`) dropped, and in a file no other user can read or write — the same
/// rule as for the key files, since the passphrase opens the circle's whole record.
pub(crate) fn read_passphrase(path: &Path) -> Result<SecretString> {
    let f = std::fs::File::open(path)
        .with_context(|| format!("cannot read the passphrase file {}", path.display()))?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        bail!("the passphrase file {} is not a file", path.display());
    }
    if meta.permissions().mode() & 0o077 != 0 {
        bail!(
            "the passphrase file {} can be read or written by other users: run `chmod 600 {}`",
            path.display(),
            path.display()
        );
    }
    let mut bytes = Vec::new();
    f.take(MAX_PASSPHRASE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_PASSPHRASE_BYTES {
        bail!(
            "the passphrase file {} is longer than {MAX_PASSPHRASE_BYTES} bytes: is it the right file?",
            path.display()
        );
    }
    let Ok(mut text) = String::from_utf8(bytes) else {
        bail!("the passphrase file {} is not UTF-8 text", path.display());
    };
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    if text.is_empty() {
        bail!("the passphrase file {} is empty", path.display());
    }
    Ok(SecretString::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exposed(s: SecretString) -> String {
        use circle_node::archive::ExposeSecret;
        s.expose_secret().to_owned()
    }

    fn file(dir: &Path, bytes: &[u8], mode: u32) -> std::path::PathBuf {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = dir.join(format!("p{n}"));
        std::fs::write(&p, bytes).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    #[test]
    fn one_trailing_newline_is_dropped_and_no_more() {
        let d = tempfile::tempdir().unwrap();
        let read = |b: &[u8]| exposed(read_passphrase(&file(d.path(), b, 0o600)).unwrap());
        assert_eq!(read(b"correct horse\n"), "correct horse");
        assert_eq!(read(b"correct horse\r\n"), "correct horse");
        assert_eq!(read(b"correct horse\n\n"), "correct horse\n");
        assert_eq!(read(b" spaced "), " spaced ");
    }

    #[test]
    fn bad_passphrase_files_are_refused_with_the_reason() {
        let d = tempfile::tempdir().unwrap();
        let err = |b: &[u8], mode| {
            read_passphrase(&file(d.path(), b, mode))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(err(b"\n", 0o600).contains("is empty"));
        assert!(err(b"", 0o600).contains("is empty"));
        assert!(err(b"pw", 0o644).contains("chmod 600"));
        assert!(err(b"pw", 0o640).contains("chmod 600"));
        assert!(err(&[0xff, 0xfe], 0o600).contains("UTF-8"));
        assert!(err(&vec![b'a'; 1025], 0o600).contains("longer than 1024"));
        assert!(read_passphrase(&d.path().join("missing")).is_err());
        assert!(read_passphrase(d.path()).is_err());
    }
}

//! The archive file (`circle archive`), docs/ARCHIVE.md: an age file encrypted to a
//! passphrase (age's scrypt recipient), whose plaintext is
//!
//! ```text
//! "CIRCLEAR" · version u16 BE · header length u32 BE · header (postcard)
//! then header.epochs times: meta length u32 BE · EpochMeta (postcard)
//!                           · body length u64 BE · body (EpochMeta.kind says what)
//! and nothing after the last entry.
//! ```
//!
//! Later epochs add entries, later kinds of body add [`EntryKind`]s; a reader refuses a
//! version or a kind it does not know rather than guess. Everything here is bounded
//! before it is read: the scrypt work a file may demand, every length, the entry count.
//! What a body holds is checked by the caller, as any peer's bundle is.

use std::io::{BufRead, Read, Write};

use age::secrecy::SecretString;
use circle_core::bundle::MAX_BUNDLE_BYTES;
use circle_core::keys::Hash32;
use serde::{Deserialize, Serialize};

const MAGIC: &[u8; 8] = b"CIRCLEAR";
/// What every age file starts with (its version line).
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";
/// The plaintext format written; readers accept this version and older.
pub(crate) const VERSION: u16 = 1;
/// scrypt work of the passphrase: N = 2^18 (256 MiB, about a second on a PC, a few on a
/// Raspberry Pi). Fixed rather than measured, so an archive written on a fast machine
/// still opens on a Pi.
const WORK_FACTOR: u8 = 18;
/// The most scrypt work a file may demand before any is done: a crafted header cannot
/// make this node spend minutes and gigabytes (2^n KiB of memory) before refusing it.
const MAX_WORK_FACTOR: u8 = WORK_FACTOR;
const MAX_META_BYTES: u32 = 4 * 1024;
/// Epochs in one archive: one per forgetting cycle; ten thousand is centuries of them.
pub(crate) const MAX_EPOCHS: u32 = 10_000;
/// All the plaintext read from one archive (each entry also within MAX_BUNDLE_BYTES).
const MAX_PLAINTEXT_BYTES: u64 = 16 * 1024 * 1024 * 1024;

/// Why an archive was refused. Each says what to do, since a person reads it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    #[error("not a circle archive (no age header); is it a bundle? then import it without --passphrase-file")]
    NotAnArchive,
    #[error("the archive is not encrypted to a passphrase")]
    NotPassphrase,
    #[error("wrong passphrase (or the archive's header is damaged)")]
    WrongPassphrase,
    #[error("the archive's header was altered after it was written")]
    HeaderAltered,
    #[error("the archive demands scrypt work 2^{0}, more than the 2^{MAX_WORK_FACTOR} circle-ledger writes: refused before doing it")]
    ExcessiveWork(u8),
    #[error("the archive is truncated or was altered after it was written ({0})")]
    Damaged(String),
    #[error("the archive was written by a newer circle-ledger (format {0}, this one reads up to {VERSION})")]
    TooNew(u16),
    #[error("the archive holds an entry of a kind this version does not know ({0})")]
    UnknownKind(u8),
    #[error("the archive is larger than this node reads ({0})")]
    TooLarge(&'static str),
    #[error("cannot encrypt the archive: {0}")]
    Encrypt(String),
}

/// What the whole archive is: whose, when, how many entries follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Header {
    pub(crate) circle_id: Hash32,
    pub(crate) written_at: u64,
    pub(crate) epochs: u32,
}

/// The kind of an entry's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    /// A bundle (`circle_core::bundle`): the epoch's certificates and every signed
    /// change of its ledger, the form in which a ledger proves itself to anyone.
    SignedBundle = 1,
}

/// One epoch's entry, before its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EpochMeta {
    /// 0 for the first epoch of the circle; one more at each fresh start (issue 11).
    pub(crate) epoch: u64,
    pub(crate) first_term: u64,
    pub(crate) last_term: u64,
    /// Signed changes in the body (checked against what verifies).
    pub(crate) changes: u64,
    pub(crate) kind: u8,
}

/// Encrypts `plain` to `passphrase`.
pub(crate) fn seal(plain: &[u8], passphrase: SecretString) -> Result<Vec<u8>, ArchiveError> {
    let mut recipient = age::scrypt::Recipient::new(passphrase);
    recipient.set_work_factor(WORK_FACTOR);
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|e| ArchiveError::Encrypt(e.to_string()))?;
    let mut out = Vec::with_capacity(plain.len() + 256);
    let enc = |e: std::io::Error| ArchiveError::Encrypt(e.to_string());
    let mut w = encryptor.wrap_output(&mut out).map_err(enc)?;
    w.write_all(plain).map_err(enc)?;
    w.finish().map_err(enc)?;
    Ok(out)
}

/// Opens an archive for reading with `passphrase`: the plaintext, as a stream (a Pi
/// never holds more than one epoch of it), bounded in all.
pub(crate) fn open<R: BufRead>(
    mut input: R,
    passphrase: SecretString,
) -> Result<impl Read, ArchiveError> {
    // Not an age file at all (a bundle, say): said as such, not as a damaged archive.
    let head = input.fill_buf().map_err(damaged)?;
    if !head.starts_with(AGE_MAGIC) {
        return Err(ArchiveError::NotAnArchive);
    }
    let decryptor = age::Decryptor::new_buffered(input).map_err(|e| match e {
        age::DecryptError::Io(_) | age::DecryptError::UnknownFormat => ArchiveError::NotAnArchive,
        age::DecryptError::InvalidHeader => ArchiveError::Damaged("its header is malformed".into()),
        other => ArchiveError::Damaged(other.to_string()),
    })?;
    if !decryptor.is_scrypt() {
        return Err(ArchiveError::NotPassphrase);
    }
    let mut identity = age::scrypt::Identity::new(passphrase);
    identity.set_max_work_factor(MAX_WORK_FACTOR);
    let reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::ExcessiveWork { required, .. } => {
                ArchiveError::ExcessiveWork(required)
            }
            age::DecryptError::InvalidMac => ArchiveError::HeaderAltered,
            age::DecryptError::InvalidHeader => {
                ArchiveError::Damaged("its header is malformed".into())
            }
            _ => ArchiveError::WrongPassphrase,
        })?;
    Ok(reader.take(MAX_PLAINTEXT_BYTES))
}

/// Writes the plaintext header.
pub(crate) fn write_header(out: &mut Vec<u8>, header: &Header) {
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_be_bytes());
    let h = postcard::to_stdvec(header).unwrap_or_default();
    out.extend_from_slice(&(h.len() as u32).to_be_bytes());
    out.extend_from_slice(&h);
}

/// Appends one epoch's entry.
pub(crate) fn write_entry(out: &mut Vec<u8>, meta: &EpochMeta, body: &[u8]) {
    let m = postcard::to_stdvec(meta).unwrap_or_default();
    out.extend_from_slice(&(m.len() as u32).to_be_bytes());
    out.extend_from_slice(&m);
    out.extend_from_slice(&(body.len() as u64).to_be_bytes());
    out.extend_from_slice(body);
}

fn damaged(e: std::io::Error) -> ArchiveError {
    ArchiveError::Damaged(e.to_string())
}

fn read_exact<const N: usize>(r: &mut impl Read) -> Result<[u8; N], ArchiveError> {
    let mut b = [0u8; N];
    r.read_exact(&mut b).map_err(damaged)?;
    Ok(b)
}

/// Reads `len` bytes, refusing beyond `cap` before allocating anything.
fn read_len(
    r: &mut impl Read,
    len: u64,
    cap: u64,
    what: &'static str,
) -> Result<Vec<u8>, ArchiveError> {
    if len > cap {
        return Err(ArchiveError::TooLarge(what));
    }
    let mut buf = Vec::new();
    let got = r.take(len).read_to_end(&mut buf).map_err(damaged)?;
    if got as u64 != len {
        return Err(ArchiveError::Damaged(format!("{what} is cut short")));
    }
    Ok(buf)
}

/// Reads and checks the plaintext header.
pub(crate) fn read_header(r: &mut impl Read) -> Result<Header, ArchiveError> {
    let magic: [u8; 8] = read_exact(r)?;
    if &magic != MAGIC {
        return Err(ArchiveError::Damaged(
            "not a circle-ledger archive inside".into(),
        ));
    }
    let version = u16::from_be_bytes(read_exact(r)?);
    if version == 0 || version > VERSION {
        return Err(ArchiveError::TooNew(version));
    }
    let len = u32::from_be_bytes(read_exact(r)?);
    let bytes = read_len(r, len.into(), MAX_META_BYTES.into(), "the header")?;
    let header: Header = postcard::from_bytes(&bytes)
        .map_err(|_| ArchiveError::Damaged("its header does not decode".into()))?;
    if header.epochs == 0 {
        return Err(ArchiveError::Damaged("it holds no epoch".into()));
    }
    if header.epochs > MAX_EPOCHS {
        return Err(ArchiveError::TooLarge("more than 10,000 epochs"));
    }
    Ok(header)
}

/// Reads the next entry: its meta and its body (within the bundle size cap).
pub(crate) fn read_entry(r: &mut impl Read) -> Result<(EpochMeta, Vec<u8>), ArchiveError> {
    let len = u32::from_be_bytes(read_exact(r)?);
    let bytes = read_len(r, len.into(), MAX_META_BYTES.into(), "an entry's index")?;
    let meta: EpochMeta = postcard::from_bytes(&bytes)
        .map_err(|_| ArchiveError::Damaged("an entry's index does not decode".into()))?;
    if meta.kind != EntryKind::SignedBundle as u8 {
        return Err(ArchiveError::UnknownKind(meta.kind));
    }
    let len = u64::from_be_bytes(read_exact(r)?);
    let body = read_len(
        r,
        len,
        MAX_BUNDLE_BYTES as u64,
        "an epoch (over the bundle size cap)",
    )?;
    Ok((meta, body))
}

/// After the last entry: the stream must end, and end cleanly (age's last chunk).
pub(crate) fn read_end(r: &mut impl Read) -> Result<(), ArchiveError> {
    let mut rest = [0u8; 1];
    match r.read(&mut rest).map_err(damaged)? {
        0 => Ok(()),
        _ => Err(ArchiveError::Damaged("bytes follow its last epoch".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    fn sample() -> Vec<u8> {
        let mut plain = Vec::new();
        let header = Header {
            circle_id: Hash32([7; 32]),
            written_at: 5,
            epochs: 1,
        };
        write_header(&mut plain, &header);
        let meta = EpochMeta {
            epoch: 0,
            first_term: 0,
            last_term: 2,
            changes: 3,
            kind: EntryKind::SignedBundle as u8,
        };
        write_entry(&mut plain, &meta, b"body bytes");
        plain
    }

    fn read_all(sealed: &[u8], p: &str) -> Result<(Header, EpochMeta, Vec<u8>), ArchiveError> {
        let mut r = open(sealed, pass(p))?;
        let h = read_header(&mut r)?;
        let (m, b) = read_entry(&mut r)?;
        read_end(&mut r)?;
        Ok((h, m, b))
    }

    #[test]
    fn seal_then_open_and_every_kind_of_damage() {
        let sealed = seal(&sample(), pass("correct horse")).unwrap();
        let (h, m, b) = read_all(&sealed, "correct horse").unwrap();
        assert_eq!(
            (h.epochs, m.last_term, b.as_slice()),
            (1, 2, &b"body bytes"[..])
        );

        assert!(matches!(
            read_all(&sealed, "wrong horse"),
            Err(ArchiveError::WrongPassphrase)
        ));
        // Cut inside the payload: age's last-chunk flag is missing.
        let cut = &sealed[..sealed.len() - 5];
        assert!(matches!(
            read_all(cut, "correct horse"),
            Err(ArchiveError::Damaged(_))
        ));
        // A flipped payload byte fails its chunk's tag.
        let mut flipped = sealed.clone();
        let at = flipped.len() - 20;
        flipped[at] ^= 1;
        assert!(matches!(
            read_all(&flipped, "correct horse"),
            Err(ArchiveError::Damaged(_))
        ));
        assert!(matches!(
            read_all(b"CIRCLEB1 a bundle", "correct horse"),
            Err(ArchiveError::NotAnArchive)
        ));
    }

    #[test]
    fn excessive_work_is_refused_before_it_is_done() {
        // A header that demands 2^22 rounds (4 GiB): edited in, since writing one would
        // itself cost that. The work factor is checked before its MAC, and before work.
        let sealed = seal(&sample(), pass("p")).unwrap();
        let at = sealed
            .windows(4)
            .position(|w| w == format!(" {WORK_FACTOR}\n").as_bytes())
            .unwrap();
        let mut greedy = sealed.clone();
        greedy[at + 1..at + 3].copy_from_slice(b"22");
        let started = std::time::Instant::now();
        assert!(matches!(
            open(greedy.as_slice(), pass("p")).map(|_| ()),
            Err(ArchiveError::ExcessiveWork(22))
        ));
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
    }

    #[test]
    fn unknown_versions_kinds_and_trailing_bytes_are_refused() {
        let mut newer = sample();
        newer[8..10].copy_from_slice(&(VERSION + 1).to_be_bytes());
        let sealed = seal(&newer, pass("p")).unwrap();
        assert!(matches!(
            read_all(&sealed, "p"),
            Err(ArchiveError::TooNew(2))
        ));

        let mut trailing = sample();
        trailing.push(0);
        let sealed = seal(&trailing, pass("p")).unwrap();
        assert!(matches!(
            read_all(&sealed, "p"),
            Err(ArchiveError::Damaged(_))
        ));

        let mut plain = Vec::new();
        write_header(
            &mut plain,
            &Header {
                circle_id: Hash32([1; 32]),
                written_at: 0,
                epochs: 1,
            },
        );
        let meta = EpochMeta {
            epoch: 0,
            first_term: 0,
            last_term: 0,
            changes: 0,
            kind: 9,
        };
        write_entry(&mut plain, &meta, b"");
        let sealed = seal(&plain, pass("p")).unwrap();
        assert!(matches!(
            read_all(&sealed, "p"),
            Err(ArchiveError::UnknownKind(9))
        ));
    }
}

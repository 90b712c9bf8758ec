//! `circle archive` and `circle import ARCHIVE --passphrase-file F` through the real
//! binary (docs/ARCHIVE.md): the circle's record leaves encrypted, comes back verified
//! and kept apart from what the node serves, and every bad archive is refused with
//! nothing kept.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use circle_node::archive::{plaintext, SecretString};

use crate::util::{Node, Serving};

const PASSPHRASE: &str = "tea urn on the third floor";

/// A passphrase file only its owner reads, as a person writes one (`echo pw > f`).
fn passphrase_file(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join(format!("pass-{}", text.len()));
    std::fs::write(&p, format!("{text}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p
}

/// A circle in its second term with an action, and its archive.
fn archived() -> (Node, tempfile::TempDir, PathBuf, PathBuf) {
    let n = Node::compliant("Elm Road Tenants");
    n.ok(&["action", "log", "--title", "Picket at the depot"]);
    n.ok(&["steward", "rotate"]);
    n.ok(&["action", "log", "--title", "Rent strike vote"]);
    let away = tempfile::tempdir().unwrap();
    let pass = passphrase_file(away.path(), PASSPHRASE);
    let out = away.path().join("elm-road.age");
    let wrote = n.ok(&[
        "archive",
        "--out",
        out.to_str().unwrap(),
        "--passphrase-file",
        pass.to_str().unwrap(),
    ]);
    assert_eq!(
        wrote["bytes"].as_u64().unwrap(),
        std::fs::metadata(&out).unwrap().len(),
        "{wrote}"
    );
    (n, away, out, pass)
}

/// `import ARCHIVE --passphrase-file PASS`, as arguments.
fn import(archive: &Path, pass: &Path) -> Vec<String> {
    vec![
        "import".into(),
        archive.to_str().unwrap().into(),
        "--passphrase-file".into(),
        pass.to_str().unwrap().into(),
    ]
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn an_archive_is_encrypted_holds_no_key_and_restores_apart_from_the_ledger() {
    let (n, _away, out, pass) = archived();
    let sealed = std::fs::read(&out).unwrap();
    assert!(sealed.starts_with(b"age-encryption.org/v1\n"));
    assert!(!contains(&sealed, b"Picket at the depot"), "not encrypted");
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // Decrypted, it holds the ledger and none of the keys in the data directory.
    let plain = plaintext(sealed.as_slice(), SecretString::from(PASSPHRASE.to_owned())).unwrap();
    assert!(contains(&plain, b"Picket at the depot"));
    let mut keys = 0;
    for f in std::fs::read_dir(n.path().join("keys")).unwrap() {
        let secret = std::fs::read(f.unwrap().path()).unwrap();
        assert_eq!(secret.len(), 32);
        assert!(
            !contains(&plain, &secret),
            "a key file's bytes are in the archive"
        );
        assert!(
            !contains(&plain, hex(&secret).as_bytes()),
            "a key, as hex, is in the archive"
        );
        keys += 1;
    }
    assert!(keys >= 2, "the node key and a steward key were checked");

    let before = n.ledger_json();
    let restored = n.ok(&args(&import(&out, &pass)));
    assert_eq!(restored["archive"], true, "{restored}");
    let epoch = &restored["epochs"][0];
    assert_eq!(
        (epoch["first_term"].as_u64(), epoch["last_term"].as_u64()),
        (Some(0), Some(1))
    );
    let dir = PathBuf::from(epoch["dir"].as_str().unwrap());
    assert!(dir.starts_with(n.path().join("archived")), "{restored}");
    let json = std::fs::read_to_string(dir.join("ledger.json")).unwrap();
    assert!(json.contains("Picket at the depot") && json.contains("Rent strike vote"));
    let bundle = n.path().join("bundle");
    n.ok(&["export", "--format", "bundle", bundle.to_str().unwrap()]);
    assert_eq!(
        std::fs::read(dir.join("bundle")).unwrap(),
        std::fs::read(&bundle).unwrap(),
        "the restored epoch is the whole signed ledger"
    );
    // The ledger the node serves is as it was.
    assert_eq!(n.ledger_json(), before);
}

#[test]
fn wrong_truncated_tampered_and_foreign_archives_are_refused_and_nothing_is_kept() {
    let (n, away, out, pass) = archived();
    let kept = || n.path().join("archived").exists();
    let sealed = std::fs::read(&out).unwrap();

    let wrong = passphrase_file(away.path(), "tea urn on the fourth floor");
    let err = n.fails(&args(&import(&out, &wrong)));
    assert!(err.contains("wrong passphrase"), "{err}");

    let truncated = away.path().join("truncated.age");
    std::fs::write(&truncated, &sealed[..sealed.len() * 2 / 3]).unwrap();
    let err = n.fails(&args(&import(&truncated, &pass)));
    assert!(err.contains("truncated or was altered"), "{err}");

    let tampered = away.path().join("tampered.age");
    let mut bytes = sealed.clone();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x40;
    std::fs::write(&tampered, &bytes).unwrap();
    let err = n.fails(&args(&import(&tampered, &pass)));
    assert!(err.contains("truncated or was altered"), "{err}");

    // Another circle's archive, with the right passphrase.
    let other = Node::compliant("Depot Workers");
    let theirs = away.path().join("depot.age");
    other.ok(&[
        "archive",
        "--out",
        theirs.to_str().unwrap(),
        "--passphrase-file",
        pass.to_str().unwrap(),
    ]);
    let err = n.fails(&args(&import(&theirs, &pass)));
    assert!(err.contains("not of this node's circle"), "{err}");
    assert!(!kept(), "a refused archive left files behind");

    // Without the passphrase flag, it is named for what it is.
    let err = n.fails(&["import", out.to_str().unwrap()]);
    assert!(err.contains("is an encrypted archive"), "{err}");
    // A data directory with no circle restores no archive (nor becomes its circle).
    let empty = Node::new();
    let err = empty.fails(&args(&import(&out, &pass)));
    assert!(err.contains("holds no circle"), "{err}");
    assert!(!empty.path().join("store").exists());
}

#[test]
fn the_passphrase_file_is_checked_like_a_key_file() {
    let n = Node::init("Elm Road Tenants");
    let away = tempfile::tempdir().unwrap();
    let out = away.path().join("a.age");
    let archive = |pass: &Path| {
        n.fails(&[
            "archive",
            "--out",
            out.to_str().unwrap(),
            "--passphrase-file",
            pass.to_str().unwrap(),
        ])
    };
    let open = passphrase_file(away.path(), PASSPHRASE);
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(archive(&open).contains("chmod 600"));
    let empty = passphrase_file(away.path(), "");
    assert!(archive(&empty).contains("is empty"));
    assert!(!out.exists(), "nothing was written");
}

#[test]
fn a_running_node_writes_and_restores_the_archive() {
    let n = Node::compliant("Elm Road Tenants");
    let serving = Serving::start(&n, &[], &[]);
    n.ok(&["action", "log", "--title", "Open day"]);
    let away = tempfile::tempdir().unwrap();
    let pass = passphrase_file(away.path(), PASSPHRASE);
    let out = away.path().join("live.age");
    n.ok(&[
        "archive",
        "--out",
        out.to_str().unwrap(),
        "--passphrase-file",
        pass.to_str().unwrap(),
    ]);
    let restored = n.ok(&args(&import(&out, &pass)));
    let dir = PathBuf::from(restored["epochs"][0]["dir"].as_str().unwrap());
    assert!(std::fs::read_to_string(dir.join("ledger.json"))
        .unwrap()
        .contains("Open day"));
    drop(serving);
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

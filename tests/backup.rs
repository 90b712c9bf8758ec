//! Backups and restore on a new card, as docs/PI.md tells an organizer: the own circle's
//! bundle (`export --format bundle`) and the `keys` directory, copied to a fresh data
//! directory, then `import` there restores the circle, which can write again.

use crate::util::{copy_dir, Node};

/// A circle in its second steward term, with an action: the backup to restore.
fn backed_up() -> (Node, std::path::PathBuf) {
    let old = Node::compliant("Elm Road Tenants");
    old.ok(&["action", "log", "--title", "Picket at the depot"]);
    old.ok(&["steward", "rotate"]);
    old.ok(&["pledge", "sign", "--text", "We answer every call again."]);
    let backup = tempfile::tempdir().unwrap().keep();
    let bundle = backup.join("circle.bundle");
    old.ok(&["export", "--format", "bundle", bundle.to_str().unwrap()]);
    copy_dir(&old.path().join("keys"), &backup.join("keys"));
    (old, backup)
}

#[test]
fn a_bundle_and_the_keys_restore_the_circle_on_a_new_card() {
    let (old, backup) = backed_up();
    let new = Node::new();
    copy_dir(&backup.join("keys"), &new.path().join("keys"));
    let bundle = backup.join("circle.bundle");
    let restored = new.ok(&["import", bundle.to_str().unwrap()]);
    assert_eq!(restored["restored"], true, "{restored}");
    assert_eq!(restored["rejected"], 0, "{restored}");

    // The same circle and node identity, the same ledger, its protocol kept.
    assert_eq!(new.ok(&["id"]), old.ok(&["id"]));
    assert_eq!(new.ok(&["actions"]), old.ok(&["actions"]));
    assert_eq!(new.ok(&["protocol", "status"])["compliant"], true);
    assert_eq!(new.ok(&["steward", "show"])["term"], 1);
    // And it writes, with the current term's key.
    let logged = new.ok(&["action", "log", "--title", "First action on the new card"]);
    assert!(logged["entry_id"].is_string(), "{logged}");
    assert_eq!(new.ok(&["actions"]).as_array().unwrap().len(), 2);
    std::fs::remove_dir_all(backup).unwrap();
}

#[test]
fn a_restore_needs_the_circles_own_keys() {
    let (_old, backup) = backed_up();
    let bundle = backup.join("circle.bundle");
    let bundle = bundle.to_str().unwrap();

    let no_keys = Node::new();
    let err = no_keys.fails(&["import", bundle]);
    assert!(err.contains("keys directory"), "{err}");
    assert!(!no_keys.path().join("store").exists(), "nothing is created");

    // Another circle's keys do not make this one writable: refused, nothing created.
    let stranger = Node::init("Someone Else");
    let wrong = Node::new();
    copy_dir(&stranger.path().join("keys"), &wrong.path().join("keys"));
    let err = wrong.fails(&["import", bundle]);
    assert!(err.contains("not those of circle"), "{err}");
    assert!(!wrong.path().join("store").join("db").exists());
    std::fs::remove_dir_all(backup).unwrap();
}

use super::format::{self, EntryKind, EpochMeta, Header};
use super::*;
use circle_core::bundle::Bundle;

const NOW: u64 = 1_700_000_000;

fn pass(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn circle_with_actions(dir: &Path, name: &str, titles: &[&str]) -> LocalCircle {
    let mut local = LocalCircle::init(dir, name, 14, NOW).unwrap();
    for t in titles {
        local
            .write(NOW, |l, s| l.log_action(s, NOW, t, "", &[]))
            .unwrap();
    }
    local
}

/// An archive of `bundle` as `circle archive` writes it, with the index given.
fn seal_bundle(circle: circle_core::keys::Hash32, bundle: &Bundle, changes: u64) -> Vec<u8> {
    let mut plain = Vec::new();
    format::write_header(
        &mut plain,
        &Header {
            circle_id: circle,
            written_at: NOW,
            epochs: 1,
        },
    );
    let meta = EpochMeta {
        epoch: 0,
        first_term: 0,
        last_term: 0,
        changes,
        kind: EntryKind::SignedBundle as u8,
    };
    format::write_entry(&mut plain, &meta, &bundle.encode());
    format::seal(&plain, pass("pw")).unwrap()
}

fn restored_dir(local: &LocalCircle) -> PathBuf {
    local.root().join(RESTORED_DIR)
}

#[test]
fn an_archive_restores_beside_the_circle_and_is_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let local = circle_with_actions(dir.path(), "Elm Road", &["Rent strike", "Open day"]);
    let sealed = local.archive(pass("pw"), NOW).unwrap();
    assert_eq!(sealed.epochs, 1);
    assert_eq!(
        sealed.changes,
        local.store().change_count(&local.circle_id())
    );

    let restored = local
        .restore_archive(sealed.bytes.as_slice(), pass("pw"), NOW)
        .unwrap();
    let epoch = &restored.epochs[0];
    assert_eq!((epoch.epoch, epoch.changes), (0, sealed.changes));
    let doc =
        automerge::Automerge::load(&std::fs::read(epoch.dir.join("ledger.automerge")).unwrap())
            .unwrap();
    assert_eq!(doc.get_heads(), local.circle().ledger.heads());
    let json = std::fs::read_to_string(epoch.dir.join("ledger.json")).unwrap();
    assert!(json.contains("Rent strike") && json.contains("Open day"));
    // The served store did not change: the restored epoch lives apart from it.
    assert_eq!(
        local.store().change_count(&local.circle_id()),
        sealed.changes
    );

    // Restoring again replaces the epoch, and leaves no scratch directory behind.
    local
        .restore_archive(sealed.bytes.as_slice(), pass("pw"), NOW)
        .unwrap();
    let names: Vec<_> = std::fs::read_dir(restored_dir(&local).join(local.circle_id().to_hex()))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["epoch-0"]);
}

#[test]
fn a_forged_change_inside_a_well_encrypted_archive_is_refused_and_nothing_kept() {
    let dir = tempfile::tempdir().unwrap();
    let local = circle_with_actions(dir.path(), "Elm Road", &["Rent strike", "Open day"]);
    let id = local.circle_id();
    let honest = local.bundle(&id).unwrap();
    assert_eq!(honest.changes.len(), 3);

    // Whoever holds the passphrase can write any plaintext: the signatures still decide.
    let mut forged = honest.clone();
    let last = forged.changes.last_mut().unwrap();
    let at = last.bytes.len() - 1;
    last.bytes[at] ^= 1;
    let err = local
        .restore_archive(
            seal_bundle(id, &forged, honest.changes.len() as u64).as_slice(),
            pass("pw"),
            NOW,
        )
        .unwrap_err();
    assert!(err.to_string().contains("do not verify"), "{err}");
    assert!(!restored_dir(&local).exists());

    // A change left out: its successors wait for it, and the archive is refused.
    let mut gapped = honest.clone();
    gapped.changes.remove(1);
    let err = local
        .restore_archive(
            seal_bundle(id, &gapped, gapped.changes.len() as u64).as_slice(),
            pass("pw"),
            NOW,
        )
        .unwrap_err();
    assert!(err.to_string().contains("incomplete"), "{err}");

    // An index that lies about the count.
    let err = local
        .restore_archive(seal_bundle(id, &honest, 99).as_slice(), pass("pw"), NOW)
        .unwrap_err();
    assert!(err.to_string().contains("99"), "{err}");
    assert!(!restored_dir(&local).exists());
}

#[test]
fn another_circles_archive_is_refused_whichever_part_says_so() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let ours = circle_with_actions(a.path(), "Elm Road", &["Rent strike"]);
    let theirs = circle_with_actions(b.path(), "Depot", &["Picket"]);
    let err = ours
        .restore_archive(
            theirs.archive(pass("pw"), NOW).unwrap().bytes.as_slice(),
            pass("pw"),
            NOW,
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("not of this node's circle"),
        "{err}"
    );

    // Their bundle under our circle's header: the certificates say whose it is.
    let mut relabelled = theirs.bundle(&theirs.circle_id()).unwrap();
    relabelled.circle_id = ours.circle_id();
    let n = relabelled.changes.len() as u64;
    let err = ours
        .restore_archive(
            seal_bundle(ours.circle_id(), &relabelled, n).as_slice(),
            pass("pw"),
            NOW,
        )
        .unwrap_err();
    assert!(err.to_string().contains("another circle"), "{err}");
    assert!(!restored_dir(&ours).exists());
}

#[test]
fn a_second_epoch_that_fails_takes_the_first_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let local = circle_with_actions(dir.path(), "Elm Road", &["Rent strike"]);
    let id = local.circle_id();
    let honest = local.bundle(&id).unwrap();
    let n = honest.changes.len() as u64;
    let mut plain = Vec::new();
    format::write_header(
        &mut plain,
        &Header {
            circle_id: id,
            written_at: NOW,
            epochs: 2,
        },
    );
    for epoch in [0, 1] {
        let meta = EpochMeta {
            epoch,
            first_term: 0,
            last_term: 0,
            changes: if epoch == 0 { n } else { n + 1 },
            kind: EntryKind::SignedBundle as u8,
        };
        format::write_entry(&mut plain, &meta, &honest.encode());
    }
    let sealed = format::seal(&plain, pass("pw")).unwrap();
    assert!(local
        .restore_archive(sealed.as_slice(), pass("pw"), NOW)
        .is_err());
    assert!(!restored_dir(&local).exists(), "epoch 0 was kept");
}

//! Handover across separate data directories, proposals passed by hand (as the lead's
//! sync will pass them), certificates by the own circle's bundle.

use std::path::Path;

use circle_core::handover::HandoverError;
const DAY: u64 = 86_400;
use circle_core::testing::T0;

use super::*;

pub(super) fn copy_dir(from: &Path, to: &Path) {
    crate::fixtures::copy_dir(from, to).unwrap();
}

/// A second device of `origin`'s circle: a copy of its data directory holding no keys
/// (what `circle join` will make).
pub(super) fn device_of(origin: &Path, dir: &Path) -> LocalCircle {
    copy_dir(origin, dir);
    for entry in std::fs::read_dir(dir.join("keys")).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    LocalCircle::open(dir).unwrap()
}

pub(super) fn refusal(e: NodeError) -> HandoverError {
    match e {
        NodeError::Handover(h) => *h,
        other => panic!("not a handover refusal: {other}"),
    }
}

pub(super) fn log(local: &mut LocalCircle, now: u64, title: &str) -> Result<String, NodeError> {
    local.write(now, |l, s| l.log_action(s, now, title, "", &[]))
}

/// Passes the own circle's certificates (and changes) from one device to another.
pub(super) fn carry_bundle(from: &LocalCircle, to: &mut LocalCircle, now: u64) {
    let bundle = from.bundle(&from.circle_id()).unwrap();
    to.import(bundle, now).unwrap();
}

pub(super) fn options(stewards: Vec<Nominee>, threshold: Option<u32>) -> ProposeOptions {
    ProposeOptions {
        term_days: 14,
        stewards,
        threshold,
        draw: None,
        retain: None,
    }
}

pub(super) fn candidate(code: &str) -> Nominee {
    Nominee::parse(code).unwrap()
}

pub(super) struct Three {
    pub(super) _dirs: Vec<tempfile::TempDir>,
    pub(super) devices: Vec<LocalCircle>,
}

/// Three devices, term 1 with one steward key on each, 2 of 3 to hand over.
pub(super) fn three_devices() -> Three {
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut a = LocalCircle::init(dirs[0].path(), "Three devices", 14, T0).unwrap();
    log(&mut a, T0, "founding meeting").unwrap();
    drop(a);
    let mut b = device_of(dirs[0].path(), &dirs[1].path().join("d"));
    let mut c = device_of(dirs[0].path(), &dirs[2].path().join("d"));
    let mut a = LocalCircle::open(dirs[0].path()).unwrap();
    assert!(matches!(
        log(&mut b, T0, "no key").map_err(|e| e.kind()),
        Err(circle_core::error::ErrorKind::NotSteward)
    ));
    let (code_b, code_c) = (b.volunteer().unwrap(), c.volunteer().unwrap());
    let now = T0 + DAY;
    // Term 0 has one key, on A: its signature alone certifies term 1 at once.
    let shown = a
        .propose(
            options(
                vec![Nominee::Myself, candidate(&code_b), candidate(&code_c)],
                None,
            ),
            now,
        )
        .unwrap();
    assert_eq!(shown.certified, Some(1));
    assert_eq!(shown.needed, 1);
    assert!(a.proposals_for_sync().unwrap().is_empty());
    for d in [&mut b, &mut c] {
        carry_bundle(&a, d, now);
        assert_eq!(d.circle().term(), 1);
        assert_eq!(d.circle().current_keys().len(), 1, "candidate taken up");
        assert!(d.keys().candidates().unwrap().is_empty());
    }
    assert_eq!(a.circle().chain.latest().body.threshold, 2);
    Three {
        _dirs: dirs,
        devices: vec![a, b, c],
    }
}

#[test]
fn a_two_of_three_handover_across_three_data_directories() {
    let Three { _dirs, devices } = three_devices();
    let [mut a, mut b, mut c]: [LocalCircle; 3] = devices.try_into().unwrap();
    let now = T0 + 2 * DAY;
    // Each device writes with its own key (one actor per device).
    log(&mut b, now, "b's write").unwrap();
    carry_bundle(&b, &mut a, now);
    carry_bundle(&b, &mut c, now);
    let code_c = c.volunteer().unwrap();
    let shown = a
        .propose(
            options(vec![Nominee::Myself, candidate(&code_c)], Some(1)),
            now,
        )
        .unwrap();
    assert_eq!(
        (shown.signatures, shown.needed, shown.certified),
        (1, 2, None)
    );
    let id = shown.proposal_id.clone();
    // The proposer's device goes down mid-way: the proposal is still there.
    let root = a.root().to_owned();
    drop(a);
    let a = LocalCircle::open(&root).unwrap();
    let sent = a.proposals_for_sync().unwrap();
    assert_eq!(sent.len(), 1);
    // B takes it in: one signature of two, nothing certified.
    let report = b.merge_proposals(sent.clone(), now).unwrap();
    assert_eq!(
        report,
        MergeReport {
            merged: 1,
            refused: vec![],
            certified: None
        }
    );
    assert_eq!(
        b.merge_proposals(sent.clone(), now).unwrap().merged,
        0,
        "nothing new"
    );
    assert_eq!(b.proposals(now).unwrap()[0].missing.len(), 2);
    // C approves first, by a prefix: the second signature certifies term 2 there.
    c.merge_proposals(sent, now).unwrap();
    let approved = c.approve(&id[..10], now).unwrap();
    assert_eq!(approved.certified, Some(2));
    assert_eq!(c.circle().term(), 2);
    assert_eq!(
        c.circle().current_keys().len(),
        1,
        "C volunteered and is named"
    );
    log(&mut c, now, "c writes in term 2").unwrap();
    // B learns of the certificate by sync: it holds no key of term 2 and says so.
    carry_bundle(&c, &mut b, now);
    assert_eq!(b.circle().term(), 2);
    assert!(b.circle().current_keys().is_empty());
    assert!(
        b.keys().stewards(1).unwrap().is_empty(),
        "old key destroyed"
    );
    let e = log(&mut b, now, "too late").unwrap_err();
    assert!(e.to_string().contains("circle steward volunteer"), "{e}");
    assert!(
        b.proposals(now).unwrap().is_empty(),
        "stale proposal dropped"
    );
    // A (proposer, named by `self`) takes its key up when the certificate arrives.
    let mut a = a;
    carry_bundle(&c, &mut a, now);
    assert_eq!(a.circle().current_keys().len(), 1);
    log(&mut a, now, "a writes in term 2").unwrap();
    // Every acknowledged write is still there.
    carry_bundle(&a, &mut c, now);
    let titles: Vec<String> = c
        .circle()
        .ledger
        .actions()
        .iter()
        .map(|x| x.title.clone())
        .collect();
    for t in [
        "founding meeting",
        "b's write",
        "c writes in term 2",
        "a writes in term 2",
    ] {
        assert!(titles.iter().any(|x| x == t), "{t} lost: {titles:?}");
    }
}

#[test]
fn refusals_each_with_their_own_error() {
    let Three { _dirs, devices } = three_devices();
    let [mut a, mut b, mut c]: [LocalCircle; 3] = devices.try_into().unwrap();
    let now = T0 + 2 * DAY;
    let me = || vec![Nominee::Myself];
    assert!(matches!(
        refusal(a.propose(options(vec![], None), now).unwrap_err()),
        HandoverError::NoStewards
    ));
    assert!(matches!(
        refusal(a.propose(options(me(), Some(0)), now).unwrap_err()),
        HandoverError::Threshold { threshold: 0, .. }
    ));
    assert!(matches!(
        refusal(a.propose(options(me(), Some(2)), now).unwrap_err()),
        HandoverError::Threshold { threshold: 2, .. }
    ));
    let code = b.volunteer().unwrap();
    assert!(matches!(
        refusal(
            a.propose(options(vec![candidate(&code), candidate(&code)], None), now)
                .unwrap_err()
        ),
        HandoverError::DuplicateSteward(_)
    ));
    let many = vec![Nominee::Myself; MAX_STEWARDS + 1];
    assert!(matches!(
        refusal(a.propose(options(many, None), now).unwrap_err()),
        HandoverError::TooManyStewards(..)
    ));
    let first = a.propose(options(me(), None), now).unwrap();
    // A second open proposal for the same term is refused where the first is known.
    b.merge_proposals(a.proposals_for_sync().unwrap(), now)
        .unwrap();
    assert!(matches!(
        refusal(b.propose(options(me(), None), now).unwrap_err()),
        HandoverError::Competing { .. }
    ));
    // Nor does a single-device rotation certify another body beside it.
    assert!(matches!(
        refusal(a.rotate(14, 1, now).unwrap_err()),
        HandoverError::Competing { .. }
    ));
    // Writes pause on every device that knows the proposal.
    assert!(matches!(
        refusal(log(&mut a, now, "paused").unwrap_err()),
        HandoverError::WritesPaused { .. }
    ));
    assert!(matches!(
        refusal(log(&mut b, now, "paused").unwrap_err()),
        HandoverError::WritesPaused { .. }
    ));
    // The proposer's own key cannot sign twice; only the proposer withdraws.
    assert!(matches!(
        refusal(a.approve(&first.proposal_id, now).unwrap_err()),
        HandoverError::AlreadySigned { .. }
    ));
    assert!(matches!(
        refusal(b.withdraw(&first.proposal_id, now).unwrap_err()),
        HandoverError::NotProposer(_)
    ));
    assert!(matches!(
        refusal(b.approve("abc", now).unwrap_err()),
        HandoverError::ShortId(_)
    ));
    assert!(matches!(
        refusal(b.approve("00000000", now).unwrap_err()),
        HandoverError::UnknownProposal(_)
    ));
    // C wrote after the proposal's heads, before it knew: approving would lose it.
    log(&mut c, now, "c's unseen write").unwrap();
    c.merge_proposals(a.proposals_for_sync().unwrap(), now)
        .unwrap();
    assert!(matches!(
        refusal(c.approve(&first.proposal_id, now).unwrap_err()),
        HandoverError::WritesAfterHeads { count: 1, .. }
    ));
    // An expired proposal cannot be approved (it is dropped).
    let later = first.expires + 1;
    assert!(matches!(
        refusal(b.approve(&first.proposal_id, later).unwrap_err()),
        HandoverError::UnknownProposal(_)
    ));
    let expired = b
        .merge_proposals(a.proposals_for_sync().unwrap(), later)
        .unwrap();
    assert_eq!(expired.merged, 0);
    assert_eq!(expired.refused.len(), 1, "{:?}", expired.refused);
    // Withdrawn: the withdrawal travels, and the approval is refused on B.
    a.withdraw(&first.proposal_id, now).unwrap();
    log(&mut a, now, "writes again").unwrap();
    b.merge_proposals(a.proposals_for_sync().unwrap(), now)
        .unwrap();
    assert!(matches!(
        refusal(b.approve(&first.proposal_id, now).unwrap_err()),
        HandoverError::Withdrawn(_)
    ));
    // Once the withdrawal reaches C, C writes again.
    c.merge_proposals(a.proposals_for_sync().unwrap(), now)
        .unwrap();
    assert!(c.pending_proposal(now).unwrap().is_none());
    log(&mut c, now, "c writes again").unwrap();
}

#[test]
fn a_stale_device_and_a_key_of_another_term_are_refused() {
    let Three { _dirs, devices } = three_devices();
    let [mut a, mut b, mut c]: [LocalCircle; 3] = devices.try_into().unwrap();
    let now = T0 + 2 * DAY;
    // C is cut off; A and B hand over to term 2 without it.
    let stale_dir = tempfile::tempdir().unwrap();
    let mut stale = {
        let root = c.root().to_owned();
        drop(c);
        copy_dir(&root, stale_dir.path());
        c = LocalCircle::open(&root).unwrap();
        LocalCircle::open(stale_dir.path()).unwrap()
    };
    let p = a
        .propose(options(vec![Nominee::Myself], None), now)
        .unwrap();
    b.merge_proposals(a.proposals_for_sync().unwrap(), now)
        .unwrap();
    assert_eq!(b.approve(&p.proposal_id, now).unwrap().certified, Some(2));
    carry_bundle(&b, &mut a, now);
    carry_bundle(&b, &mut c, now);
    // The stale copy of C, still at term 1, proposes: every up-to-date device refuses.
    let old = stale
        .propose(options(vec![Nominee::Myself], None), now)
        .unwrap();
    let report = a
        .merge_proposals(stale.proposals_for_sync().unwrap(), now)
        .unwrap();
    assert_eq!(report.merged, 0);
    assert!(report.refused[0].contains("term 2"), "{:?}", report.refused);
    // A term-1 key (C's, now destroyed on C, still on the stale copy) signs a term-3
    // proposal made by A: a key of another term.
    let fresh = a
        .propose(options(vec![Nominee::Myself], None), now)
        .unwrap();
    assert_eq!(fresh.certified, Some(3), "A holds term 2's only key");
    assert_eq!(old.certified, None);
    let body = a
        .circle()
        .next_body(14, vec![StewardKey::generate().public()], 1, now)
        .unwrap();
    let stale_key = &stale.circle().keys[0];
    let proposal = Proposal::new(body, ProposalKind::Handover, &[stale_key]).unwrap();
    let report = a.merge_proposals(vec![proposal.encode()], now).unwrap();
    assert_eq!(report.merged, 0);
    assert!(report.refused[0].contains("not a steward of the current term"));
}

#[test]
fn merging_untrusted_bytes_is_bounded_and_strict() {
    let Three { _dirs, devices } = three_devices();
    let [a, mut b, _c]: [LocalCircle; 3] = devices.try_into().unwrap();
    let now = T0 + 2 * DAY;
    let junk = vec![vec![0xff; 10]; MAX_OPEN_PROPOSALS + 3];
    let report = b.merge_proposals(junk, now).unwrap();
    assert_eq!(report.merged, 0);
    assert_eq!(
        report.refused.len(),
        MAX_OPEN_PROPOSALS + 1,
        "the rest unread"
    );
    let huge = vec![vec![0u8; circle_core::handover::MAX_PROPOSAL_BYTES + 1]];
    assert!(b.merge_proposals(huge, now).unwrap().refused[0].contains("larger"));
    // A signature swapped for another proposal's is refused, nothing stored.
    let mut a = a;
    let p = a
        .propose(options(vec![Nominee::Myself], None), now)
        .unwrap();
    let mut tampered = Proposal::decode(&a.proposals_for_sync().unwrap()[0]).unwrap();
    tampered.body.expires += DAY;
    let report = b.merge_proposals(vec![tampered.encode()], now).unwrap();
    assert_eq!(report.merged, 0);
    assert!(b.proposals(now).unwrap().is_empty());
    let _ = p;
}

#[test]
fn an_expired_term_still_hands_over() {
    let Three { _dirs, devices } = three_devices();
    let [mut a, mut b, _c]: [LocalCircle; 3] = devices.try_into().unwrap();
    // B wrote just before the term ran out; the write never reached A in time (peers
    // refuse an expired term's changes outside a handover).
    log(&mut b, T0 + 2 * DAY, "late write on b").unwrap();
    let expired = a.circle().chain.latest().body.expires + 30 * DAY;
    assert!(a.circle().chain.latest_expired(expired));
    let p = a
        .propose(options(vec![Nominee::Myself], None), expired)
        .unwrap();
    b.merge_proposals(a.proposals_for_sync().unwrap(), expired)
        .unwrap();
    // Refusing B's approval would deadlock the circle: B approves, its write is kept.
    assert_eq!(
        b.approve(&p.proposal_id, expired).unwrap().certified,
        Some(2)
    );
    assert_eq!(b.root().join("recovered").read_dir().unwrap().count(), 1);
    carry_bundle(&b, &mut a, expired);
    log(&mut a, expired, "back in business").unwrap();
}

#[test]
fn a_revocation_is_certified_by_the_others_alone() {
    let Three { _dirs, devices } = three_devices();
    let [mut a, mut b, mut c]: [LocalCircle; 3] = devices.try_into().unwrap();
    let now = T0 + 2 * DAY;
    let seized = c.circle().keys[0].public().to_hex();
    // The seized device cannot revoke someone else and count itself.
    let victim = a.circle().keys[0].public().to_hex();
    let own = c.revoke(&seized, "x", options(vec![Nominee::Myself], None), now);
    assert!(matches!(
        refusal(own.unwrap_err()),
        HandoverError::RevokedSigner(_)
    ));
    let thief = c
        .revoke(&victim, "x", options(vec![Nominee::Myself], None), now)
        .unwrap();
    b.merge_proposals(c.proposals_for_sync().unwrap(), now)
        .unwrap();
    let _ = thief;
    // A revokes C; B co-signs; C's signature would not count.
    let p = a
        .revoke(
            &seized,
            "phone seized at the action",
            options(vec![Nominee::Myself], None),
            now,
        )
        .unwrap();
    assert_eq!(p.kind, "revoke");
    assert_eq!(p.missing, vec![b.circle().keys[0].public().to_hex()]);
    c.merge_proposals(a.proposals_for_sync().unwrap(), now)
        .unwrap();
    assert!(matches!(
        refusal(c.approve(&p.proposal_id, now).unwrap_err()),
        HandoverError::RevokedSigner(_)
    ));
    b.merge_proposals(a.proposals_for_sync().unwrap(), now)
        .unwrap();
    assert_eq!(b.approve(&p.proposal_id, now).unwrap().certified, Some(2));
    assert!(!b
        .circle()
        .chain
        .latest()
        .body
        .stewards
        .iter()
        .any(|k| k.to_hex() == seized));
}

#[test]
fn writes_a_partitioned_device_made_are_kept_in_a_file() {
    let Three { _dirs, devices } = three_devices();
    let [mut a, mut b, mut c]: [LocalCircle; 3] = devices.try_into().unwrap();
    let now = T0 + 2 * DAY;
    // C, apart, writes; A and B hand over without knowing.
    log(&mut c, now, "written while apart").unwrap();
    let p = a
        .propose(options(vec![Nominee::Myself], None), now)
        .unwrap();
    b.merge_proposals(a.proposals_for_sync().unwrap(), now)
        .unwrap();
    b.approve(&p.proposal_id, now).unwrap();
    // The certificate reaches C: its write lies outside the handover and is taken out,
    // but kept in recovered/.
    carry_bundle(&b, &mut c, now);
    assert_eq!(c.circle().term(), 2);
    assert!(!c
        .circle()
        .ledger
        .actions()
        .iter()
        .any(|x| x.title == "written while apart"));
    let dir = c.root().join("recovered");
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(files.len(), 1);
    let path = files[0].as_ref().unwrap().path();
    let bytes = std::fs::read(path).unwrap();
    let before = automerge::Automerge::load(&bytes).unwrap();
    let kept = circle_core::ledger::Ledger::from_doc(before, c.circle_id()).unwrap();
    assert!(kept
        .actions()
        .iter()
        .any(|x| x.title == "written while apart"));
}

#[test]
fn a_key_signs_one_open_proposal_and_one_key_cannot_fill_every_slot() {
    let Three { _dirs, devices } = three_devices();
    let [mut a, b, mut c]: [LocalCircle; 3] = devices.try_into().unwrap();
    let now = T0 + 2 * DAY;
    let handover = a
        .propose(options(vec![Nominee::Myself], None), now)
        .unwrap();
    // C opens a revocation of B alongside (an emergency may join an open handover).
    c.merge_proposals(a.proposals_for_sync().unwrap(), now)
        .unwrap();
    let b_key = b.circle().keys[0].public().to_hex();
    let revoke = c
        .revoke(&b_key, "lost", options(vec![Nominee::Myself], None), now)
        .unwrap();
    // A already signed the open handover: it does not sign the revocation too.
    a.merge_proposals(c.proposals_for_sync().unwrap(), now)
        .unwrap();
    assert_eq!(a.proposals(now).unwrap().len(), 2);
    assert!(matches!(
        refusal(a.approve(&revoke.proposal_id, now).unwrap_err()),
        HandoverError::SignedOther { other } if other == handover.proposal_id
    ));
    // Once A withdraws its handover, it may.
    a.withdraw(&handover.proposal_id, now).unwrap();
    assert_eq!(
        a.approve(&revoke.proposal_id, now).unwrap().certified,
        Some(2)
    );

    // Crafted proposals by one steward key: it gets two slots, no more.
    let Three { _dirs, devices } = three_devices();
    let [_a, mut b, c]: [LocalCircle; 3] = devices.try_into().unwrap();
    let key = &c.circle().keys[0];
    let crafted: Vec<Vec<u8>> = (1..=4)
        .map(|days| {
            let body = c
                .circle()
                .next_body(days, vec![StewardKey::generate().public()], 1, now)
                .unwrap();
            Proposal::new(body, ProposalKind::Handover, &[key])
                .unwrap()
                .encode()
        })
        .collect();
    let report = b.merge_proposals(crafted, now).unwrap();
    assert_eq!(report.merged, 2);
    assert_eq!(report.refused.len(), 2, "{:?}", report.refused);
}

/// The handover heads can reach a device after the certificate does: its writes after
/// them are taken out once they arrive (found by the interleavings property).
#[test]
fn writes_after_heads_that_arrive_after_the_certificate_are_taken_out() {
    let Three { _dirs, devices } = three_devices();
    let [mut a, mut b, mut c]: [LocalCircle; 3] = devices.try_into().unwrap();
    let now = T0 + 2 * DAY;
    log(&mut c, now, "c before proposing").unwrap();
    let p = c
        .propose(options(vec![Nominee::Myself], None), now)
        .unwrap();
    a.merge_proposals(c.proposals_for_sync().unwrap(), now)
        .unwrap();
    carry_bundle(&c, &mut a, now);
    assert_eq!(a.approve(&p.proposal_id, now).unwrap().certified, Some(2));
    log(&mut b, now, "b, apart").unwrap();
    // One bundle brings B the certificate and, with it, the heads it hands over at.
    carry_bundle(&a, &mut b, now);
    let heads = |d: &LocalCircle| {
        let mut h = d.circle().ledger.heads();
        h.sort();
        h
    };
    assert_eq!(heads(&b), heads(&a));
    assert_eq!(b.root().join("recovered").read_dir().unwrap().count(), 1);
}

/// The same for a sister that follows the circle: it applied a device's write before
/// the certificate, and the heads come in the bundle that brings the certificate.
#[test]
fn a_follower_drops_writes_after_heads_that_arrive_with_the_certificate() {
    let Three { _dirs, devices } = three_devices();
    let [mut a, mut b, mut c]: [LocalCircle; 3] = devices.try_into().unwrap();
    let now = T0 + 2 * DAY;
    let dir = tempfile::tempdir().unwrap();
    let mut follower = LocalCircle::init(dir.path(), "Sister", 14, T0).unwrap();
    log(&mut b, now, "b, apart").unwrap();
    follower
        .import(b.bundle(&b.circle_id()).unwrap(), now)
        .unwrap();
    log(&mut c, now, "c before proposing").unwrap();
    let p = c
        .propose(options(vec![Nominee::Myself], None), now)
        .unwrap();
    a.merge_proposals(c.proposals_for_sync().unwrap(), now)
        .unwrap();
    carry_bundle(&c, &mut a, now);
    assert_eq!(a.approve(&p.proposal_id, now).unwrap().certified, Some(2));
    follower
        .import(a.bundle(&a.circle_id()).unwrap(), now)
        .unwrap();
    let replica = follower.sister(&a.circle_id()).unwrap().unwrap();
    let (mut got, mut want) = (replica.ledger.heads(), a.circle().ledger.heads());
    got.sort();
    want.sort();
    assert_eq!(got, want, "b's write after the heads is dropped");
}

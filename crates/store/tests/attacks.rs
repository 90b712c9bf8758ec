//! 10^4 generated attacks through ingest and into a store: none accepted, none stored
//! (the 10^6 run is `cargo bench -p circle-store --bench attacks`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "attacks/drive.rs"]
mod drive;

use circle_core::testing::attacks::Attack;
use circle_core::testing::scenario;

#[test]
fn ten_thousand_generated_attacks_are_neither_accepted_nor_stored() {
    let s = scenario(3, 20);
    let dir = tempfile::tempdir().unwrap();
    let store = circle_store::Store::open(dir.path()).unwrap();
    let tally = drive::run(&s, &store, 10_000, 2_500);
    for ((attack, outcome), n) in &tally.outcomes {
        println!("{attack:?} {outcome}: {n}");
    }
    println!("peak RSS: {:?} KiB", drive::peak_rss_kib());
    assert_eq!(tally.generated, 10_000);
    assert_eq!(tally.accepted, 0);
    assert_eq!(tally.persisted, 0);
    assert_eq!(tally.stored_beyond_honest, 0);
    let seen: usize = tally.outcomes.values().sum();
    assert_eq!(seen, tally.generated, "every change has an outcome");
    // Each family is refused for its own reason, not by accident of another check.
    let expect_any = |attack: Attack, outcomes: &[&str]| {
        assert!(
            tally
                .outcomes
                .iter()
                .filter(|((a, _), _)| *a == attack)
                .all(|((_, o), _)| outcomes.iter().any(|x| o.starts_with(x))),
            "{attack:?}: expected only {outcomes:?}"
        );
    };
    let expect = |attack: Attack, outcome: &str| expect_any(attack, &[outcome]);
    expect(Attack::Forged, "rejected: signature does not verify");
    expect(Attack::Outsider, "rejected: signer is not a steward");
    expect(
        Attack::WrongCircle,
        "rejected: envelope names another circle",
    );
    expect(Attack::PastTermClaim, "rejected: signer is not a steward");
    expect(Attack::FutureTerm, "pending: AwaitingCertificate(3)");
    expect(Attack::AfterHandover, "rejected: term 1 ended");
    expect(Attack::Expired, "pending: AwaitingCertificate(3)");
    // Caught before apply: the actor is frozen at the fork (issue 8 item 4).
    expect(Attack::Equivocating, "frozen: ");
    // Never handed to Automerge's own queue: waiting in ours.
    expect(Attack::WithheldRoot, "pending: MissingDeps");
    assert!(Attack::ALL
        .iter()
        .all(|a| tally.outcomes.keys().any(|(b, _)| a == b)));
}

//! Stewards drawn by lottery across devices: the draw waits for the other stewards'
//! reveals, the proposal then carries its transcript, the certificate names exactly
//! the drawn, and a proposer cannot pick among several draws.

use circle_core::handover::{candidate_code, HandoverError, Proposal, ProposalKind};
use circle_core::lottery::{self, Proof};
use circle_core::testing::T0;

use super::tests::{candidate, carry_bundle, device_of, log, options, refusal};
use super::*;

const DAY: u64 = 86_400;

fn draw_options(seats: u32, from: &[String], threshold: Option<u32>) -> ProposeOptions {
    let mut o = options(Vec::new(), threshold);
    o.draw = Some(DrawRequest {
        seats,
        from: from
            .iter()
            .map(|c| match candidate(c) {
                Nominee::Candidate(k) => k,
                Nominee::Myself => unreachable!(),
            })
            .collect(),
    });
    o
}

/// Two devices, term 1 with one key on each, both needed to hand over.
fn two_stewards(dirs: &[tempfile::TempDir; 2]) -> (LocalCircle, LocalCircle) {
    let mut a = LocalCircle::init(dirs[0].path(), "Drawn", 14, T0).unwrap();
    log(&mut a, T0, "founding").unwrap();
    drop(a);
    let mut b = device_of(dirs[0].path(), &dirs[1].path().join("d"));
    let mut a = LocalCircle::open(dirs[0].path()).unwrap();
    let code_b = b.volunteer().unwrap();
    let shown = a
        .propose(
            options(vec![Nominee::Myself, candidate(&code_b)], Some(2)),
            T0,
        )
        .unwrap();
    assert_eq!(shown.certified, Some(1));
    carry_bundle(&a, &mut b, T0);
    (a, b)
}

fn codes(n: u8) -> Vec<String> {
    (0..n)
        .map(|i| candidate_code(&StewardKey::from_secret([40 + i; 32]).public()))
        .collect()
}

#[test]
fn a_drawn_handover_waits_for_the_other_reveal_then_certifies_the_drawn() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let (mut a, mut b) = two_stewards(&dirs);
    let now = T0 + DAY;
    // Both commit first, so the draw counts both.
    assert_eq!(b.reveal_open_draws(now).unwrap(), 1);
    carry_bundle(&b, &mut a, now);
    let from = codes(4);

    let waiting = a.propose(draw_options(2, &from, Some(1)), now).unwrap();
    assert_eq!(waiting.state, "drawing", "{waiting:?}");
    assert_eq!(waiting.waiting_for.len(), 1, "b's reveal");
    assert!(a.pending_proposal(now).unwrap().is_none(), "writes go on");
    let draw_id = waiting.draw_id.clone().unwrap();
    // Asked again before b revealed: the same draw, still waiting.
    let again = a.propose(draw_options(2, &from, Some(1)), now).unwrap();
    assert_eq!(
        (again.state, again.draw_id),
        ("drawing", Some(draw_id.clone()))
    );

    carry_bundle(&a, &mut b, now);
    assert_eq!(b.reveal_open_draws(now).unwrap(), 1, "b reveals on sync");
    carry_bundle(&b, &mut a, now);
    let opened = a.propose(draw_options(2, &from, Some(1)), now).unwrap();
    assert_eq!(opened.state, "open", "{opened:?}");
    assert_eq!((opened.signatures, opened.needed), (1, 2));
    assert_eq!(opened.draw_id.as_deref(), Some(draw_id.as_str()));
    let chosen = a.lottery_status(None, &draw_id).unwrap().chosen.unwrap();
    assert_eq!(opened.stewards.len(), 2);
    for code in &chosen {
        let drawn = opened.stewards.iter().any(|k| code.starts_with(k.as_str()));
        assert!(drawn, "{code} is named");
    }

    b.merge_proposals(a.proposals_for_sync().unwrap(), now)
        .unwrap();
    let done = b.approve(&opened.proposal_id, now).unwrap();
    assert_eq!(done.certified, Some(2));
    let cert = b.circle().chain.latest().clone();
    assert!(cert.body.lottery.is_some());
    assert_eq!(cert.body.threshold, 1);
    carry_bundle(&b, &mut a, now);
    assert_eq!(a.circle().chain.latest(), &cert);
}

#[test]
fn a_proposer_cannot_pick_among_steward_draws() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let (mut a, mut b) = two_stewards(&dirs);
    let now = T0 + DAY;
    // Only a committed: a's draws count a alone and complete at once.
    let purpose = lottery::steward_purpose(2);
    let (first, second) = (codes(3), codes(4));
    let d1 = a.lottery_draw(&first, 1, &purpose, now).unwrap();
    let d2 = a.lottery_draw(&second, 1, &purpose, now).unwrap();
    assert!(d1.complete && d2.complete);

    let e = a.propose(draw_options(1, &second, None), now).unwrap_err();
    assert!(
        matches!(
            refusal(e),
            HandoverError::DrawExists { .. } | HandoverError::DrawNotOnly { .. }
        ),
        "a second draw does not count"
    );

    // A proposal built around the second draw by hand (a modified client) is refused by
    // the approver, whose ledger shows both draws.
    let key = copy_key(a.circle().current_keys()[0]);
    let t = d2.transcript.clone().unwrap();
    let chosen = d2.chosen.clone().unwrap();
    let stewards = chosen
        .iter()
        .map(|c| circle_core::handover::parse_candidate(c).unwrap())
        .collect();
    let mut body = a.circle().next_body(14, stewards, 1, now).unwrap();
    body.lottery = Some(
        Proof {
            transcript: t,
            chosen,
        }
        .encode(),
    );
    let p = Proposal::new(body, ProposalKind::Handover, &[&key]).unwrap();
    carry_bundle(&a, &mut b, now);
    let merged = b.merge_proposals(vec![p.encode()], now).unwrap();
    assert_eq!(merged.merged, 1, "{merged:?}");
    let e = b.approve(&p.id().to_hex(), now).unwrap_err();
    assert!(
        matches!(refusal(e), HandoverError::DrawNotOnly { .. }),
        "approver refuses"
    );
}

#[test]
fn a_draw_request_out_of_bounds_is_refused_each_with_its_reason() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let (mut a, _b) = two_stewards(&dirs);
    let now = T0 + DAY;
    let from = codes(2);
    let e = a.propose(draw_options(3, &from, None), now).unwrap_err();
    assert!(
        e.to_string().contains("3 seats but only 2 candidates"),
        "{e}"
    );
    let e = a.propose(draw_options(0, &from, None), now).unwrap_err();
    assert!(e.to_string().contains("at least one seat"), "{e}");
    let mut both = draw_options(1, &from, None);
    both.stewards = vec![Nominee::Myself];
    assert!(matches!(
        refusal(a.propose(both, now).unwrap_err()),
        HandoverError::DrawAndNamed
    ));
    let key = a.circle().chain.latest().body.stewards[1].to_hex();
    assert!(matches!(
        refusal(
            a.revoke(&key, "lost", draw_options(1, &from, None), now)
                .unwrap_err()
        ),
        HandoverError::DrawInRevocation
    ));
    // A threshold above the seats drawn.
    let e = a.propose(draw_options(1, &from, Some(2)), now).unwrap_err();
    assert!(
        matches!(refusal(e), HandoverError::Threshold { .. }),
        "threshold checked against the seats"
    );
}

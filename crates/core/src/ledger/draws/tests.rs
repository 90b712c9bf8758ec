//! Draws in a ledger: what only the change graph shows (order of commitments, draws
//! and reveals; edits after the draw; concurrent draws).

use automerge::transaction::Transactable;
use automerge::ActorId;

use super::*;
use crate::circle::Circle;
use crate::keys::StewardKey;
use crate::lottery::{chain_value, Reveal, CHAIN_LENGTH, REVEAL_WINDOW_DAYS};
use crate::testing::T0;

const DAY: u64 = 86_400;

fn seed(i: usize) -> [u8; 32] {
    [u8::try_from(i).unwrap() + 10; 32]
}

fn circle(stewards: usize) -> Circle {
    let (mut c, _) = Circle::create("Draws", 30, T0).unwrap();
    if stewards > 1 {
        c.rotate(30, stewards, T0).unwrap();
    }
    c
}

fn signer(c: &Circle, i: usize) -> Signer<'_> {
    Signer {
        key: &c.keys[i],
        term: c.term(),
    }
}

/// The ledger and steward `i`'s signer, borrowed apart.
fn split(c: &mut Circle, i: usize) -> (&mut Ledger, Signer<'_>) {
    let term = c.term();
    let Circle { ledger, keys, .. } = c;
    (
        ledger,
        Signer {
            key: &keys[i],
            term,
        },
    )
}

fn commitment(c: &Circle, i: usize) -> Commitment {
    let k = &c.keys[i];
    let anchor = chain_value(&c.circle_id(), &k.public(), &seed(i), 0).unwrap();
    Commitment::sign(&c.circle_id(), c.term(), k, anchor)
}

/// Each steward in `who` publishes its commitment in its own change.
fn commit(c: &mut Circle, who: &[usize]) {
    for &i in who {
        let com = commitment(c, i);
        let keys = std::mem::take(&mut c.keys);
        let s = Signer {
            key: &keys[i],
            term: c.term(),
        };
        c.ledger.add_lottery_commitments(&s, T0, &[com]).unwrap();
        c.keys = keys;
    }
}

fn value(c: &Circle, i: usize, position: u32) -> Hash32 {
    chain_value(&c.circle_id(), &c.keys[i].public(), &seed(i), position).unwrap()
}

/// Steward 0 draws 2 of 5 with the slots the ledger asks for (or `slots`), revealing
/// its own value.
fn draw_with(c: &mut Circle, slots: Option<Vec<(Commitment, u32)>>) -> String {
    let stewards = c.chain.latest().body.stewards.clone();
    let slots = slots.unwrap_or_else(|| c.ledger.next_draw_slots(c.term(), &stewards).unwrap());
    let names: Vec<String> = ["ana", "ben", "cy", "dee", "eli"].map(String::from).into();
    let draw = NewDraw {
        term: c.term(),
        candidates: names,
        seats: 2,
        purpose: "facilitators".into(),
        slots: slots.clone(),
    };
    let keys = std::mem::take(&mut c.keys);
    let own = slots
        .iter()
        .find(|(s, _)| s.steward == keys[0].public())
        .map(|(_, p)| *p);
    let id_own = c.circle_id();
    let s = Signer {
        key: &keys[0],
        term: c.term(),
    };
    let (id, _) = c
        .ledger
        .add_draw(&s, T0, &draw, |digest| match own {
            Some(p) => {
                let v = chain_value(&id_own, &keys[0].public(), &seed(0), p).unwrap();
                vec![(keys[0].public(), Reveal::sign(digest, v, &keys[0]))]
            }
            None => vec![],
        })
        .unwrap();
    c.keys = keys;
    id
}

fn reveal(c: &mut Circle, i: usize, id: &str, value: Option<Hash32>) {
    let st = c.ledger.draw_status(id, &c.chain).unwrap();
    let t = st.transcript.unwrap();
    let slot = t
        .slots
        .iter()
        .find(|s| s.commitment.steward == c.keys[i].public())
        .unwrap();
    let v = value.unwrap_or_else(|| value_at(c, i, slot.position));
    let r = Reveal::sign(&t.draw_digest(), v, &c.keys[i]);
    let k = c.keys[i].public();
    let keys = std::mem::take(&mut c.keys);
    let s = Signer {
        key: &keys[i],
        term: c.term(),
    };
    c.ledger.add_draw_reveals(&s, T0, id, &[(k, r)]).unwrap();
    c.keys = keys;
}

fn value_at(c: &Circle, i: usize, position: u32) -> Hash32 {
    value(c, i, position)
}

fn status(c: &Circle, id: &str) -> DrawStatus {
    c.ledger.draw_status(id, &c.chain).unwrap()
}

#[test]
fn a_draw_of_three_stewards_completes_with_the_last_reveal() {
    let mut c = circle(3);
    commit(&mut c, &[0, 1, 2]);
    let id = draw_with(&mut c, None);
    let s = status(&c, &id);
    assert!(s.valid && !s.complete, "{s:?}");
    assert_eq!(s.chosen, None);
    assert_eq!(s.waiting_for.len(), 2);
    reveal(&mut c, 1, &id, None);
    assert_eq!(status(&c, &id).waiting_for.len(), 1);
    reveal(&mut c, 2, &id, None);
    let s = status(&c, &id);
    assert!(s.valid && s.complete, "{s:?}");
    let t = s.transcript.clone().unwrap();
    assert_eq!(s.chosen.unwrap(), lottery::draw(&t).unwrap());
    assert_eq!(s.counted.len(), 3);
    // Prefixes resolve.
    assert_eq!(c.ledger.resolve_draw(&id[..8]).unwrap(), id);
}

#[test]
fn a_draw_closes_only_after_its_window_with_the_missing_as_withheld() {
    let mut c = circle(2);
    commit(&mut c, &[0, 1]);
    let id = draw_with(&mut c, None);
    let absent = c.keys[1].public();
    let (l, s) = split(&mut c, 0);
    l.close_draw(&s, T0 + DAY, &id, &[absent]).unwrap();
    assert!(!status(&c, &id).complete, "closed before the window");
    let window = REVEAL_WINDOW_DAYS * DAY;
    let (l, s) = split(&mut c, 0);
    l.close_draw(&s, T0 + window, &id, &[absent]).unwrap();
    let s = status(&c, &id);
    assert!(s.valid && s.complete, "{s:?}");
    assert_eq!(s.withheld, [short(&absent)]);
    assert_eq!(s.chosen.unwrap().len(), 2);
    // The withheld position is burned: the next draw asks for position 2.
    let stewards = c.chain.latest().body.stewards.clone();
    let next = c.ledger.next_draw_slots(c.term(), &stewards).unwrap();
    assert!(next.iter().all(|(_, p)| *p == 2), "{next:?}");
}

#[test]
fn a_field_edited_after_the_draw_voids_it() {
    for field in ["candidates", "purpose", "seats", "slots"] {
        let mut c = circle(1);
        commit(&mut c, &[0]);
        let id = draw_with(&mut c, None);
        assert!(status(&c, &id).valid);
        let obj = c.ledger.draw_obj(&id).unwrap();
        let s = signer(&c, 0);
        let mut l = c.ledger.clone();
        l.write(&s, T0, |tx| match field {
            "seats" => tx.put(&obj, "seats", 1u64),
            "candidates" => tx.put(
                &obj,
                "candidates",
                r#"["ana","ben","cy","dee","eli","zed"]"#,
            ),
            _ => tx.put(&obj, field, "changed"),
        })
        .unwrap();
        let s = l.draw_status(&id, &c.chain).unwrap();
        assert!(!s.valid, "{field}");
        assert!(
            s.reason
                .as_deref()
                .unwrap()
                .contains("changed after the draw"),
            "{field}: {:?}",
            s.reason
        );
    }
}

#[test]
fn a_wrong_reveal_voids_the_draw_unless_the_right_one_is_there_too() {
    let mut c = circle(2);
    commit(&mut c, &[0, 1]);
    let id = draw_with(&mut c, None);
    // Steward 0 writes a value into steward 1's slot (it cannot sign as steward 1, so
    // it signs with its own key: neither value nor signature can be right).
    let t = status(&c, &id).transcript.unwrap();
    let k1 = c.keys[1].public();
    let bogus = Reveal::sign(&t.draw_digest(), Hash32([3; 32]), &c.keys[0]);
    let s0 = signer(&c, 0);
    let mut tampered = c.ledger.clone();
    tampered.set_actor(ActorId::random());
    tampered
        .add_draw_reveals(&s0, T0, &id, &[(k1, bogus)])
        .unwrap();
    let s = tampered.draw_status(&id, &c.chain).unwrap();
    assert!(!s.valid);
    assert!(s.reason.unwrap().contains("does not match"));
    // The right reveal, concurrent with the bogus one: the bogus one is ignored.
    reveal(&mut c, 1, &id, None);
    c.ledger.doc.merge(&mut tampered.doc).unwrap();
    let s = status(&c, &id);
    assert!(s.valid && s.complete, "{s:?}");
    assert_eq!(s.ignored_reveals, 1);
    // Overwritten after it: void until steward 1 reveals again (its device does).
    let (l, s0) = split(&mut c, 0);
    l.add_draw_reveals(&s0, T0, &id, &[(k1, bogus)]).unwrap();
    assert!(!status(&c, &id).valid);
    reveal(&mut c, 1, &id, None);
    assert!(status(&c, &id).valid);
}

#[test]
fn only_commitments_before_the_draw_count_and_none_may_be_left_out() {
    let mut c = circle(2);
    commit(&mut c, &[0]);
    let id = draw_with(&mut c, None);
    // Steward 1 commits after the draw: it has no say in it, and the draw stays valid.
    commit(&mut c, &[1]);
    let s = status(&c, &id);
    assert!(s.valid && s.complete, "{s:?}");
    assert_eq!(s.not_counted, [short(&c.keys[1].public())]);
    // A drawer leaving out an earlier commitment is caught.
    let stewards = c.chain.latest().body.stewards.clone();
    let slots = |c: &Circle| c.ledger.next_draw_slots(c.term(), &stewards).unwrap();
    let k0 = c.keys[0].public();
    let only_mine: Vec<_> = slots(&c)
        .into_iter()
        .filter(|(s, _)| s.steward == k0)
        .collect();
    assert_eq!(only_mine[0].1, 2, "position 1 was used by the first draw");
    let id = draw_with(&mut c, Some(only_mine));
    let reason = status(&c, &id).reason.unwrap();
    assert!(reason.contains("not counted"), "{reason}");
    // Asking a steward for a position other than its next one is caught.
    let mut skipped = slots(&c);
    for s in &mut skipped {
        s.1 += 5;
    }
    let id = draw_with(&mut c, Some(skipped));
    let reason = status(&c, &id).reason.unwrap();
    assert!(reason.contains("next unused position"), "{reason}");
    // A commitment by a key of no term of this circle.
    let stranger = StewardKey::generate();
    let a = chain_value(&c.circle_id(), &stranger.public(), &[1; 32], 0).unwrap();
    let foreign = Commitment::sign(&c.circle_id(), c.term(), &stranger, a);
    let mut with_stranger = slots(&c);
    with_stranger.push((foreign, 1));
    let id = draw_with(&mut c, Some(with_stranger));
    let reason = status(&c, &id).reason.unwrap();
    assert!(reason.contains("not a steward"), "{reason}");
}

#[test]
fn concurrent_draws_on_the_same_positions_are_both_void() {
    let mut c = circle(1);
    commit(&mut c, &[0]);
    let mut other = c.clone_for_test();
    let a = draw_with(&mut c, None);
    let b = draw_with(&mut other, None);
    c.ledger.doc.merge(&mut other.ledger.doc).unwrap();
    for id in [&a, &b] {
        let s = status(&c, id);
        assert!(!s.valid);
        assert!(s.reason.unwrap().contains("concurrent draw"));
    }
    // The next draw moves on past both.
    let id = draw_with(&mut c, None);
    let s = status(&c, &id);
    assert!(s.valid, "{s:?}");
    assert_eq!(s.transcript.unwrap().slots[0].position, 3);
}

#[test]
fn a_chain_runs_out_after_its_length() {
    let c = circle(1);
    let com = commitment(&c, 0);
    assert_eq!(com.length, CHAIN_LENGTH);
    assert!(chain_value(
        &c.circle_id(),
        &c.keys[0].public(),
        &seed(0),
        CHAIN_LENGTH + 1
    )
    .is_none());
}

impl Circle {
    /// A second device's copy of this circle (same keys, its own actor).
    fn clone_for_test(&self) -> Circle {
        let mut ledger = self.ledger.clone();
        ledger.set_actor(ActorId::random());
        Circle {
            chain: self.chain.clone(),
            ledger,
            keys: self
                .keys
                .iter()
                .map(|k| StewardKey::from_secret(k.secret_bytes()))
                .collect(),
        }
    }
}

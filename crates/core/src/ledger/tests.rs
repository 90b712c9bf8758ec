//! The ledger model and the compliance rules over it.

use automerge::transaction::Transactable;

use super::*;
use crate::circle::Circle;
use crate::compliance::compliance;
use crate::testing::T0;

fn circle() -> Circle {
    Circle::create("Elm Road tenants", 14, T0).unwrap().0
}

fn write<T>(
    c: &mut Circle,
    f: impl FnOnce(&mut Ledger, &Signer<'_>) -> Result<T, LedgerError>,
) -> T {
    c.with_writer(T0, f).unwrap()
}

#[test]
fn compliance_needs_all_three_items() {
    let mut c = circle();
    let comp = compliance(&c.ledger, &c.chain, T0);
    assert!(!comp.compliant);
    assert!(!comp.items.mutual_aid_fund.ok);
    assert!(!comp.items.rapid_defense_pledge.ok);
    assert!(comp.items.open_tactics.ok);
    write(&mut c, |l, s| l.declare_fund(s, T0, "hardship fund"));
    write(&mut c, |l, s| l.sign_pledge(s, T0, "we come when called"));
    assert!(compliance(&c.ledger, &c.chain, T0).compliant);
    // After the term ends without rotation, the pledge no longer counts.
    let late = c.chain.latest().body.expires;
    assert!(
        !compliance(&c.ledger, &c.chain, late)
            .items
            .rapid_defense_pledge
            .ok
    );
}

#[test]
fn every_new_term_must_resign_the_pledge() {
    let mut c = circle();
    write(&mut c, |l, s| l.declare_fund(s, T0, "fund"));
    write(&mut c, |l, s| l.sign_pledge(s, T0, "pledge"));
    c.rotate(14, 2, T0 + 10).unwrap();
    let comp = compliance(&c.ledger, &c.chain, T0 + 20);
    assert!(!comp.items.rapid_defense_pledge.ok);
    assert!(comp.items.rapid_defense_pledge.reason.contains("term 1"));
    c.with_writer(T0 + 20, |l, s| l.sign_pledge(s, T0 + 20, "pledge again"))
        .unwrap();
    assert!(compliance(&c.ledger, &c.chain, T0 + 20).compliant);
}

#[test]
fn a_forged_pledge_does_not_count() {
    let mut c = circle();
    write(&mut c, |l, s| l.declare_fund(s, T0, "fund"));
    write(&mut c, |l, s| l.sign_pledge(s, T0, "pledge"));
    // Someone edits the pledge text after signing: the signature no longer covers it.
    write(&mut c, |l, s| {
        let pledges = l.protocol_object("pledges")?;
        let p = l.object(&pledges, "0").unwrap();
        l.write(s, T0, |tx| tx.put(&p, "text", "we might come"))
    });
    let comp = compliance(&c.ledger, &c.chain, T0);
    assert!(!comp.items.rapid_defense_pledge.ok, "{comp:?}");
}

#[test]
fn closed_licence_tactic_breaks_compliance_and_is_refused_at_publish() {
    let mut c = circle();
    let mut t = NewTactic {
        title: "Phone tree".into(),
        body: "Call the next three people.".into(),
        license: "All-Rights-Reserved".into(),
        tags: vec!["defense".into()],
        lineage: Vec::new(),
    };
    assert!(c
        .with_writer(T0, |l, s| l.publish_tactic(s, T0, &t))
        .is_err());
    t.license = "CC0-1.0".into();
    let (id, _) = write(&mut c, |l, s| l.publish_tactic(s, T0, &t));
    assert_eq!(c.ledger.tactic(&id).unwrap().body, t.body);
    // A faulty peer could still write a closed licence directly: compliance catches it.
    write(&mut c, |l, s| {
        let tactics = l.collection("tactics")?;
        let obj = l.object(&tactics, &id).unwrap();
        l.write(s, T0, |tx| tx.put(&obj, "license", "proprietary"))
    });
    assert!(!compliance(&c.ledger, &c.chain, T0).items.open_tactics.ok);
}

#[test]
fn fund_balances_are_exact() {
    let mut c = circle();
    write(&mut c, |l, s| l.declare_fund(s, T0, "fund"));
    let eur: Currency = "EUR".parse().unwrap();
    for (amount, kind) in [
        ("0.10", FundKind::Contribution),
        ("0.20", FundKind::Contribution),
        ("0.05", FundKind::Disbursement),
    ] {
        write(&mut c, |l, s| {
            l.add_fund_entry(s, T0, kind, amount.parse().unwrap(), &eur, "memo")
        });
    }
    let f = c.ledger.fund();
    assert_eq!(f.entries.len(), 3);
    assert_eq!(f.balances["EUR"], "0.25");
}

#[test]
fn tasks_close_only_with_a_note() {
    let mut c = circle();
    let (id, _) = write(&mut c, |l, s| l.add_task(s, T0, "Print leaflets"));
    write(&mut c, |l, s| l.claim_task(s, T0, &id, "print crew"));
    assert_eq!(c.ledger.task(&id).unwrap().status, TaskStatus::Claimed);
    assert!(c
        .with_writer(T0, |l, s| l.close_task(s, T0, &id, "  "))
        .is_err());
    write(&mut c, |l, s| {
        l.close_task(s, T0, &id, "Printed 500; ran out of red ink.")
    });
    let t = c.ledger.task(&id).unwrap();
    assert_eq!(t.status, TaskStatus::Closed);
    assert!(c
        .with_writer(T0, |l, s| l.close_task(s, T0, &id, "again"))
        .is_err());
    assert!(c
        .with_writer(T0, |l, s| l.claim_task(s, T0, "nope", "x"))
        .is_err());
}

#[test]
fn timestamps_are_rounded_to_the_day_and_zines_use_a_fresh_actor() {
    let mut c = circle();
    let (a, _) = write(&mut c, |l, s| {
        l.log_action(s, T0 + 3_723, "Picket", "", &[])
    });
    let zine = NewZine {
        title: "What we learned".into(),
        body: "Bring chairs.".into(),
        action_id: Some(a),
        ..NewZine::default()
    };
    let (_, zc) = write(&mut c, |l, s| l.add_zine(s, T0 + 50_000, &zine));
    let changes = c.ledger.doc().get_changes(&[]);
    for ch in &changes {
        assert_eq!(
            ch.timestamp() % 86_400,
            0,
            "timestamp {} not day-rounded",
            ch.timestamp()
        );
    }
    let zine_change = changes
        .iter()
        .find(|ch| ch.hash().0 == zc.envelope.change_hash.0)
        .unwrap();
    let others = changes.iter().filter(|ch| ch.hash() != zine_change.hash());
    for o in others {
        assert_ne!(o.actor_id(), zine_change.actor_id());
    }
}

#[test]
fn schema_is_checked_on_load() {
    let c = circle();
    let doc = c.ledger.doc().clone();
    assert!(Ledger::from_doc(doc.clone(), c.circle_id()).is_ok());
    assert!(Ledger::from_doc(doc.clone(), crate::keys::Hash32([9; 32])).is_err());
    let mut newer = doc;
    let mut tx = newer.transaction();
    tx.put(automerge::ROOT, "schema_version", SCHEMA_VERSION + 1)
        .unwrap();
    tx.commit();
    assert!(matches!(
        Ledger::from_doc(newer, c.circle_id()),
        Err(LedgerError::SchemaTooNew { .. })
    ));
    assert!(matches!(
        Ledger::from_doc(automerge::Automerge::new(), c.circle_id()),
        Err(LedgerError::NotALedger(_))
    ));
}

#[test]
fn input_limits() {
    let mut c = circle();
    assert!(c
        .with_writer(T0, |l, s| l.log_action(s, T0, "", "", &[]))
        .is_err());
    let long = "x".repeat(MAX_TITLE + 1);
    assert!(c
        .with_writer(T0, |l, s| l.log_action(s, T0, &long, "", &[]))
        .is_err());
    let bad_tag = vec!["has space".to_string()];
    assert!(c
        .with_writer(T0, |l, s| l.log_action(s, T0, "ok", "", &bad_tag))
        .is_err());
    assert!(c
        .with_writer(T0, |l, s| l.log_action(s, T0, "bell\u{7}", "", &[]))
        .is_err());
    assert!(c.ledger.actions().is_empty());
}

#[test]
fn a_disbursement_may_not_overdraw_the_fund() {
    let mut c = circle();
    write(&mut c, |l, s| l.declare_fund(s, T0, "fund"));
    let gbp: Currency = "GBP".parse().unwrap();
    let eur: Currency = "EUR".parse().unwrap();
    let pay = |c: &mut Circle, amount: &str, cur: &Currency| {
        c.with_writer(T0, |l, s| {
            l.add_fund_entry(
                s,
                T0,
                FundKind::Disbursement,
                amount.parse().unwrap(),
                cur,
                "m",
            )
        })
    };
    let err = pay(&mut c, "400", &gbp).unwrap_err().to_string();
    assert!(err.contains("overdraw"), "{err}");
    write(&mut c, |l, s| {
        l.add_fund_entry(
            s,
            T0,
            FundKind::Contribution,
            "50".parse().unwrap(),
            &gbp,
            "m",
        )
    });
    // Another currency's balance does not cover this one.
    assert!(pay(&mut c, "1", &eur).is_err());
    assert!(pay(&mut c, "50.01", &gbp).is_err());
    pay(&mut c, "50", &gbp).unwrap();
    assert_eq!(c.ledger.fund().balances["GBP"], "0");
}

#[test]
fn licences_are_one_of_three_in_any_case() {
    let mut c = circle();
    let tactic = |license: &str| NewTactic {
        title: "Phone tree".into(),
        body: "Call two people.".into(),
        license: license.into(),
        tags: Vec::new(),
        lineage: Vec::new(),
    };
    let (id, _) = write(&mut c, |l, s| l.publish_tactic(s, T0, &tactic("cc0-1.0")));
    assert_eq!(c.ledger.tactic(&id).unwrap().license, "CC0-1.0");
    for refused in ["MIT", "CC-BY-NC-4.0", "", "cc0"] {
        let err = c
            .with_writer(T0, |l, s| l.publish_tactic(s, T0, &tactic(refused)))
            .unwrap_err()
            .to_string();
        assert!(err.contains("one of the three"), "{refused}: {err}");
        assert!(!err.contains("not open"), "{err}");
    }
}

#[test]
fn lists_are_in_creation_order_and_ids_resolve_from_a_prefix() {
    let mut c = circle();
    let mut ids = Vec::new();
    for i in 0..20 {
        let (id, _) = write(&mut c, |l, s| l.add_task(s, T0, &format!("task {i}")));
        ids.push(id);
    }
    let listed: Vec<String> = c.ledger.tasks().into_iter().map(|t| t.task_id).collect();
    assert_eq!(listed, ids, "tasks are not listed oldest first");
    let full = &ids[3];
    assert_eq!(c.ledger.resolve_id("tasks", full).unwrap(), *full);
    assert_eq!(c.ledger.resolve_id("tasks", &full[..8]).unwrap(), *full);
    assert_eq!(
        c.ledger
            .resolve_id("tasks", &full[..10].to_uppercase())
            .unwrap(),
        *full
    );
    // Too short to be trusted, or naming nothing.
    assert!(matches!(
        c.ledger.resolve_id("tasks", &full[..7]),
        Err(LedgerError::NotFound { kind: "task", .. })
    ));
    assert!(c.ledger.resolve_id("tasks", "0000000000000000").is_err());
    assert!(c.ledger.resolve_id("actions", &full[..8]).is_err());
}

#[test]
fn an_empty_zine_is_refused() {
    let mut c = circle();
    let empty = NewZine {
        title: "After the march".into(),
        body: " \n\n".into(),
        ..NewZine::default()
    };
    let err = c
        .with_writer(T0, |l, s| l.add_zine(s, T0, &empty))
        .unwrap_err()
        .to_string();
    assert!(err.contains("empty"), "{err}");
}

//! Found by the `change` fuzz target: a steward-signed change whose ops name an object
//! that does not exist makes Automerge 0.12 panic inside `apply_changes`
//! ("Obj … Missing from Index"). A steward must not be able to crash every node.

use crate::envelope::Envelope;
use crate::keys::Signature;
use crate::sync::WireChange;
use crate::testing::scenario;
use crate::validate::{has_change, ingest};

const CHUNK: &[u8] = include_bytes!("testdata/automerge-panic-missing-object.chunk");

#[test]
fn a_change_that_makes_automerge_panic_is_rejected_and_the_ledger_survives() {
    let s = scenario(2, 3);
    let chain = s.chain();
    let mut replica = s.empty_replica();
    let report = ingest(&mut replica, &chain, s.changes.clone(), s.now);
    assert_eq!(report.applied.len(), s.changes.len());
    let heads = replica.doc().get_heads();

    let term = chain.latest().body.term;
    let wire = WireChange {
        term,
        signer: 0,
        signature: Signature([0; 64]),
        chunk: CHUNK.to_vec(),
    };
    let mut poison = wire.into_signed(s.circle_id(), &chain).unwrap();
    let key = &s.circle.keys[0];
    poison.envelope = Envelope::sign(s.circle_id(), poison.envelope.change_hash, term, key);
    // With an honest change beside it: only the poison may be refused.
    let honest = s.write_as(key, term, s.now, "honest, same page");
    let report = ingest(
        &mut replica,
        &chain,
        vec![poison.clone(), honest.clone()],
        s.now,
    );
    assert!(report
        .rejected
        .iter()
        .any(|(h, _)| *h == poison.envelope.change_hash));
    assert_eq!(report.applied, vec![honest.clone()]);
    let poison_hash = automerge::ChangeHash(poison.envelope.change_hash.0);
    assert!(!has_change(replica.doc(), &poison_hash));
    // The document is whole: the old heads are still there, and it saves and reloads.
    assert!(heads.iter().all(|h| has_change(replica.doc(), h)));
    let reloaded = automerge::Automerge::load(&replica.doc().save()).unwrap();
    assert_eq!(reloaded.get_heads(), replica.doc().get_heads());
}

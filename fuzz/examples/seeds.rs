//! Writes the seed corpus (`corpus/TARGET/*`) from real, valid inputs of a small
//! honest circle: `cargo run --example seeds` in `fuzz/`. Existing seeds are kept.

use std::path::Path;

use circle_core::bundle::Bundle;
use circle_core::checkpoint::{Snapshot, Vouch};
use circle_core::epoch;
use circle_core::gossip::{Alert, Announcement, Gossip};
use circle_core::handover::candidate_code;
use circle_core::keys::{Hash32, StewardKey};
use circle_core::lottery::{self, Commitment, Proof, Reveal, Slot, Transcript};
use circle_core::sync::{
    answer_pull, answer_pull_with, catalog_entry, pull_request, Request, Response, Serve,
    ServeOrder, WireChange, MAX_PAGE_BYTES,
};
use circle_core::testing::scenario;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new("corpus").join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn main() {
    let s = scenario(2, 3);
    let chain = s.chain();
    let circle = s.circle_id();
    let key = &s.circle.keys[0];
    let term = s.circle.term();

    for (i, c) in s.changes.iter().enumerate().take(4) {
        // What the change target takes: the chunk as sent on the wire.
        let wire = WireChange::from_signed(c, &chain).unwrap();
        write("change", &format!("chunk-{i}"), &wire.chunk);
        write("envelope", &format!("envelope-{i}"), &c.envelope.encode());
    }
    write(
        "envelope",
        "signed-change",
        &postcard::to_stdvec(&s.changes[1]).unwrap(),
    );
    for (i, cert) in chain.certs().iter().enumerate() {
        write("certificate", &format!("term-{i}"), &cert.encode());
    }

    let first = pull_request(None, None, circle, &[], 64 * 1024);
    let mut half = s.empty_replica();
    circle_core::validate::ingest(&mut half, &chain, s.changes[..3].to_vec(), s.now);
    let later = pull_request(Some(&half), Some(&chain), circle, &[], 64 * 1024);
    write("sync_request", "catalog", &Request::Catalog.encode());
    write(
        "sync_request",
        "pull-first",
        &Request::Pull(first.clone()).encode(),
    );
    write(
        "sync_request",
        "pull-later",
        &Request::Pull(later.clone()).encode(),
    );

    let mut full = s.empty_replica();
    circle_core::validate::ingest(&mut full, &chain, s.changes.clone(), s.now);
    let envelope = |h: &circle_core::keys::Hash32| {
        s.changes
            .iter()
            .find(|c| c.envelope.change_hash == *h)
            .map(|c| c.envelope.clone())
    };
    for (name, req) in [("page-first", &first), ("page-later", &later)] {
        let page = answer_pull(&full, &chain, req, &mut { envelope }, MAX_PAGE_BYTES);
        write("sync_response", name, &Response::Page(page).encode());
    }
    // A first sync in small pages, from the serve order: a page with a cursor, the
    // request that follows it, and a page carrying (here not valid) evidence.
    let mut order = ServeOrder::new();
    order.refresh(full.doc());
    let evidence = [(s.changes[1].clone(), s.changes[2].clone())];
    let serve = Serve {
        order: Some(&order),
        evidence: &evidence,
    };
    let small = pull_request(None, None, circle, &[], 1);
    let paged = answer_pull_with(
        &full,
        &chain,
        &small,
        &mut { envelope },
        MAX_PAGE_BYTES,
        serve,
    );
    let next = small.follow_up(&paged.page.resume, paged.page.cursor, None, Some(&chain));
    write("sync_request", "pull-cursor", &Request::Pull(next).encode());
    write(
        "sync_response",
        "page-cursor-evidence",
        &Response::Page(paged.page).encode(),
    );
    let catalog = Response::Catalog(vec![catalog_entry(&full, &chain)]);
    write("sync_response", "catalog", &catalog.encode());
    write("sync_response", "not-served", &Response::NotServed.encode());

    let heads = full
        .doc()
        .get_heads()
        .iter()
        .map(|h| circle_core::keys::Hash32(h.0))
        .collect();
    let announce = Announcement::sign(circle, term, heads, true, key, s.now).unwrap();
    write("gossip", "announce", &Gossip::Announce(announce).encode());
    let alert = Alert::sign(circle, term, key, "Eviction at 9 Elm St, come now", s.now).unwrap();
    write("gossip", "alert", &Gossip::Alert(alert).encode());

    let bundle = Bundle {
        circle_id: circle,
        certs: chain.certs().to_vec(),
        changes: s.changes.clone(),
        base: None,
    };
    write("bundle", "whole-ledger", &bundle.encode());

    // The next term starts an epoch that keeps one term of evidence: its certificate
    // (version 2), and a bundle whose base is the epoch's, vouched by that certificate.
    let terms: std::collections::HashMap<_, _> = s
        .changes
        .iter()
        .map(|c| {
            (
                circle_core::automerge::ChangeHash(c.envelope.change_hash.0),
                c.envelope.term,
            )
        })
        .collect();
    let fresh = StewardKey::from_secret([70; 32]);
    let mut body = s
        .circle
        .next_body(14, vec![fresh.public()], 1, s.now)
        .unwrap();
    let base = epoch::start(&mut body, full.doc(), 1, 1, &|h| terms.get(h).copied()).unwrap();
    let signers: Vec<&StewardKey> = s.circle.keys.iter().collect();
    let cert = circle_core::term::TermCert::sign(body, &signers).unwrap();
    write("certificate", "term-2-forgetting", &cert.encode());
    let mut certs = chain.certs().to_vec();
    certs.push(cert);
    let snapshot = Snapshot::build(&base, Vouch::Epoch { term: term + 1 }).unwrap();
    let epoch_bundle = Bundle {
        circle_id: circle,
        certs,
        changes: Vec::new(),
        base: Some(snapshot.encode()),
    };
    write("bundle", "epoch-base", &epoch_bundle.encode());

    // A complete steward draw by the current term's keys, as a certificate carries it.
    let codes: Vec<String> = (0..3u8)
        .map(|i| candidate_code(&StewardKey::from_secret([60 + i; 32]).public()))
        .collect();
    let mut keys: Vec<&StewardKey> = s.circle.keys.iter().collect();
    keys.sort_by_key(|k| k.public());
    let seed = |k: &StewardKey| Hash32::digest(b"seed", &[&k.public().0]).0;
    let mut t = Transcript {
        circle_id: circle,
        term,
        candidates: lottery::canonical_candidates(&codes).unwrap(),
        seats: 2,
        purpose: lottery::steward_purpose(term + 1),
        heads: vec![],
        slots: keys
            .iter()
            .map(|k| {
                let anchor = lottery::chain_value(&circle, &k.public(), &seed(k), 0).unwrap();
                Slot {
                    commitment: Commitment::sign(&circle, term, k, anchor),
                    position: 1,
                    reveal: None,
                }
            })
            .collect(),
        closed: false,
    };
    let digest = t.draw_digest();
    for (slot, k) in t.slots.iter_mut().zip(&keys) {
        let value = lottery::chain_value(&circle, &k.public(), &seed(k), 1).unwrap();
        slot.reveal = Some(Reveal::sign(&digest, value, k));
    }
    let chosen = lottery::draw(&t).unwrap();
    let proof = Proof {
        transcript: t,
        chosen,
    };
    assert!(lottery::verify_proof(
        &proof.encode(),
        &circle,
        term,
        &chain.latest().body.stewards
    )
    .is_ok());
    write("lottery_proof", "steward-draw", &proof.encode());
    println!("seeds written under corpus/");
}

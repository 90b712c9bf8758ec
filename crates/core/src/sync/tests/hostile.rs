//! Hostile peers: every bad input gets a clear error, nothing panics.

use proptest::prelude::*;

use super::*;
use crate::error::ValidationError;
use crate::validate::precheck;

fn sample_page(s: &Scenario) -> Page {
    let a = Replica::full(s);
    let req = pull_request(None, None, s.circle_id(), &[], u32::MAX);
    a.answer(&req, MAX_PAGE_BYTES)
}

fn sample_pull(s: &Scenario) -> PullRequest {
    let b = Replica::partial(s, s.changes.len().min(3));
    pull_request(
        b.ledger.as_ref(),
        b.chain.as_ref(),
        s.circle_id(),
        &[],
        1 << 20,
    )
}

fn hash(i: usize) -> Hash32 {
    Hash32::digest(b"test", &[&i.to_le_bytes()])
}

fn wire(term: u64, signer: u8, chunk: Vec<u8>) -> WireChange {
    WireChange {
        term,
        signer,
        signature: Signature([0; 64]),
        chunk,
    }
}

#[test]
fn one_byte_over_the_cap_is_refused_before_parsing() {
    let over = vec![SYNC_VERSION; MAX_REQUEST_BYTES + 1];
    assert_eq!(
        Request::decode(&over),
        Err(SyncError::TooLarge(MAX_REQUEST_BYTES))
    );
    assert_eq!(
        Request::decode(&over[1..]),
        Err(SyncError::Malformed),
        "at the cap it is parsed"
    );
    let over = vec![SYNC_VERSION; MAX_PAGE_BYTES + 1];
    assert_eq!(
        Response::decode(&over),
        Err(SyncError::TooLarge(MAX_PAGE_BYTES))
    );
}

#[test]
fn wrong_version_truncation_and_trailing_bytes_are_refused() {
    let s = scenario(2, 2);
    let req = Request::Pull(sample_pull(&s)).encode();
    let resp = Response::Page(sample_page(&s)).encode();
    for (bytes, is_request) in [(req, true), (resp, false)] {
        let decode = |b: &[u8]| match is_request {
            true => Request::decode(b).map(|_| ()),
            false => Response::decode(b).map(|_| ()),
        };
        assert_eq!(decode(&bytes), Ok(()));
        // The first byte is the version, in a plain frame (these are short enough to
        // go uncompressed): version 1 (before cursors and evidence) is refused.
        let mut v1 = bytes.clone();
        v1[0] = 1;
        assert_eq!(decode(&v1), Err(SyncError::Version(1)));
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "prefix of {cut} bytes");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(decode(&long), Err(SyncError::Malformed));
    }
}

#[test]
fn every_list_bound_is_checked_after_parsing() {
    let s = scenario(1, 1);
    let base = sample_pull(&s);
    let hashes = |n: usize| (0..n).map(hash).collect::<Vec<_>>();
    let cases: [(PullRequest, &str); 3] = [
        (
            PullRequest {
                heads: hashes(MAX_HEADS + 1),
                ..base.clone()
            },
            "heads",
        ),
        (
            PullRequest {
                shared: hashes(MAX_HEADS + 1),
                ..base.clone()
            },
            "shared heads",
        ),
        (
            PullRequest {
                sample: hashes(MAX_SAMPLE + 1),
                ..base.clone()
            },
            "sample hashes",
        ),
    ];
    for (req, what) in cases {
        let bytes = Request::Pull(req).encode();
        assert_eq!(Request::decode(&bytes), Err(SyncError::TooMany(what)));
    }

    let entry = catalog_entry(&s.circle.ledger, &s.circle.chain);
    let catalog = Response::Catalog(vec![entry; MAX_CATALOG + 1]).encode();
    assert_eq!(
        Response::decode(&catalog),
        Err(SyncError::TooMany("catalog entries"))
    );

    let page = sample_page(&s);
    let genesis = s.chain().genesis().clone();
    let pages: [(Page, SyncError); 5] = [
        (
            Page {
                certs: vec![genesis; MAX_PAGE_CERTS + 1],
                ..page.clone()
            },
            SyncError::TooMany("certificates"),
        ),
        (
            Page {
                changes: vec![wire(0, 0, vec![]); MAX_PAGE_CHANGES + 1],
                ..page.clone()
            },
            SyncError::TooMany("changes"),
        ),
        (
            Page {
                heads: hashes(MAX_HEADS + 1),
                ..page.clone()
            },
            SyncError::TooMany("heads"),
        ),
        (
            Page {
                resume: hashes(MAX_HEADS + 1),
                ..page.clone()
            },
            SyncError::TooMany("resume hashes"),
        ),
        (
            Page {
                changes: vec![wire(0, 0, vec![0; MAX_CHANGE_BYTES - 7])],
                ..page.clone()
            },
            SyncError::ChangeTooLarge(MAX_CHANGE_BYTES),
        ),
    ];
    for (page, expected) in pages {
        let bytes = Response::Page(page.clone()).encode();
        assert_eq!(Response::decode(&bytes), Err(expected.clone()));
        // The same bounds hold for a page that never went through the decoder.
        assert_eq!(open_page(page, &s.circle_id(), None).err(), Some(expected));
    }
    // A device's checkpoint: bounded before any signature is checked.
    let body = crate::checkpoint::CheckpointBody::new(s.circle_id(), 0, &hashes(2));
    let signed = crate::checkpoint::Checkpoint::sign(body, &s.circle.current_keys()).unwrap();
    let mut many_heads = signed.clone();
    many_heads.body.heads = hashes(crate::checkpoint::MAX_CHECKPOINT_HEADS + 1);
    let mut many_signatures = signed.clone();
    many_signatures.signatures =
        vec![signed.signatures[0].clone(); crate::checkpoint::MAX_CHECKPOINT_SIGNATURES + 1];
    for (c, what) in [
        (many_heads, "checkpoint heads"),
        (many_signatures, "checkpoint signatures"),
    ] {
        let bytes = Response::Checkpoint(Some(c)).encode();
        assert_eq!(Response::decode(&bytes), Err(SyncError::TooMany(what)));
    }
    let fine = Response::Checkpoint(Some(signed)).encode();
    assert!(Response::decode(&fine).is_ok());
    let long = Response::Refused("x".repeat(MAX_REASON_BYTES + 1)).encode();
    assert_eq!(
        Response::decode(&long),
        Err(SyncError::TooLarge(MAX_REASON_BYTES))
    );
}

/// An Automerge sync message header followed by one `have` whose bloom filter is
/// given raw; the remaining sections are empty.
fn automerge_sync_bytes(bloom: &[u8]) -> Vec<u8> {
    let mut m = vec![0x42]; // MESSAGE_TYPE_SYNC
    m.push(1); // one head
    m.extend([7u8; 32]);
    m.push(0); // need: none
    m.push(1); // one have
    m.push(0); // last_sync: none
    m.push(bloom.len() as u8); // bloom byte length (short filters only)
    m.extend(bloom);
    m.push(0); // changes: none
    m
}

#[test]
fn automerge_sync_messages_are_not_our_format() {
    use automerge::sync::{State, SyncDoc};
    let s = scenario(1, 3);
    let real = s
        .circle
        .ledger
        .doc()
        .generate_sync_message(&mut State::new())
        .unwrap()
        .encode();
    // bits_per_entry = 0 panics automerge's receiver; num_probes = u32::MAX aborts it.
    let zero_bits = automerge_sync_bytes(&[1, 0, 7]);
    let mut huge_probes = vec![1, 10];
    huge_probes.extend([0xff, 0xff, 0xff, 0xff, 0x0f]);
    huge_probes.extend([0u8; 2]);
    let huge_probes = automerge_sync_bytes(&huge_probes);
    for bytes in [real, zero_bits, huge_probes] {
        assert_eq!(Request::decode(&bytes), Err(SyncError::Version(0x42)));
        assert_eq!(Response::decode(&bytes), Err(SyncError::Version(0x42)));
    }
}

#[test]
fn nothing_here_calls_automerge_sync_decoding() {
    let sources = [
        include_str!("../../sync.rs"),
        include_str!("../respond.rs"),
        include_str!("../codec.rs"),
    ];
    let code: String = sources
        .iter()
        .map(|s| s.split("#[cfg(test)]").next().unwrap())
        .collect();
    for needle in [
        "receive_sync_message",
        "Message::decode",
        "sync::",
        "load_incremental",
    ] {
        let hits = code
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .filter(|l| l.contains(needle))
            .count();
        assert_eq!(hits, 0, "sync uses `{needle}`");
    }
}

/// A 1 MiB change deflated into a small compressed chunk (type byte 2) crosses the
/// wire within every cap, and ingest refuses it as compressed, before inflating it.
#[test]
fn compressed_chunks_are_refused_by_ingest_without_inflating() {
    use automerge::transaction::Transactable;
    let s = scenario(1, 1);
    let mut doc = automerge::Automerge::new();
    let mut tx = doc.transaction();
    tx.put(automerge::ROOT, "bomb", "a".repeat(1 << 20))
        .unwrap();
    tx.commit();
    let mut change = doc.get_last_local_change().unwrap();
    assert!(change.raw_bytes().len() > 1 << 20);
    let compressed = change.bytes().to_vec();
    assert_eq!(compressed[8], 2, "expected a compressed chunk");
    assert!(compressed.len() < 16 * 1024);
    assert_eq!(precheck(&compressed), Err(ValidationError::Compressed));

    let page = Page {
        changes: vec![wire(0, 0, compressed[8..].to_vec())],
        ..sample_page(&s)
    };
    let bytes = Response::Page(page).encode();
    let Ok(Response::Page(page)) = Response::decode(&bytes) else {
        panic!("a small page decodes");
    };
    let opened = open_page(page, &s.circle_id(), Some(&s.circle.chain)).unwrap();
    let mut replica = s.circle.ledger.clone();
    let report = ingest(&mut replica, &s.circle.chain, opened.changes, s.now);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].1, ValidationError::Compressed);
    assert!(report.applied.is_empty());
}

#[test]
fn bad_signer_index_unknown_term_and_foreign_pages_are_refused() {
    let s = scenario(2, 2);
    let cid = s.circle_id();
    let chain = s.chain();
    let page = Page {
        certs: vec![],
        ..sample_page(&s)
    };
    let with = |w: WireChange| Page {
        changes: vec![w],
        ..page.clone()
    };
    let bytes = s.changes[1].bytes[8..].to_vec();
    assert_eq!(
        open_page(with(wire(0, 1, bytes.clone())), &cid, Some(&chain)).err(),
        Some(SyncError::BadSigner { term: 0, index: 1 })
    );
    assert_eq!(
        open_page(with(wire(0, u8::MAX, bytes.clone())), &cid, Some(&chain)).err(),
        Some(SyncError::BadSigner {
            term: 0,
            index: u8::MAX
        })
    );
    assert_eq!(
        open_page(with(wire(9, 0, bytes.clone())), &cid, Some(&chain)).err(),
        Some(SyncError::UnknownTerm(9))
    );
    assert_eq!(
        open_page(with(wire(1, 0, vec![])), &cid, Some(&chain)).err(),
        Some(SyncError::Malformed)
    );

    // A page of another circle, whether it says so or not.
    let other = scenario(1, 1);
    let foreign = sample_page(&other);
    assert_eq!(
        open_page(foreign.clone(), &cid, Some(&chain)).err(),
        Some(SyncError::WrongCircle)
    );
    let disguised = Page {
        circle_id: cid,
        ..foreign
    };
    assert_eq!(
        open_page(disguised.clone(), &cid, None).err(),
        Some(SyncError::WrongCircle)
    );
    assert!(matches!(
        open_page(disguised, &cid, Some(&chain)).err(),
        Some(SyncError::Cert(CertError::WrongCircle))
    ));
    // Changes of another circle relabelled as ours fail their signatures in ingest.
    let relabelled = Page {
        circle_id: cid,
        certs: vec![],
        ..sample_page(&other)
    };
    let opened = open_page(relabelled, &cid, Some(&chain)).unwrap();
    let mut replica = s.circle.ledger.clone();
    let report = ingest(&mut replica, &chain, opened.changes, s.now);
    assert!(report.applied.is_empty());
}

#[test]
fn hostile_requests_get_an_answer_and_no_panic() {
    let s = scenario(2, 3);
    let a = Replica::full(&s);
    let req = PullRequest {
        circle_id: hash(1),
        heads: (0..MAX_HEADS).map(hash).collect(),
        shared: (0..MAX_HEADS).map(hash).collect(),
        sample: (0..MAX_SAMPLE).map(hash).collect(),
        latest_term: Some(u64::MAX),
        budget: 0,
        cursor: Some(Cursor {
            position: u64::MAX,
            after: hash(2),
        }),
    };
    let page = a.answer(&req, MAX_PAGE_BYTES);
    assert!(page.missing_on_responder);
    assert!(page.certs.is_empty());
    assert_eq!(page.changes.len(), 1, "a zero budget still makes progress");
    let page = a.answer(&req, 0);
    assert!(page.changes.is_empty() && !page.more);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Random bytes, with or without our version byte in front, never panic a decoder.
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096), ours: bool) {
        let mut input = bytes;
        if ours {
            input.insert(0, SYNC_VERSION);
        }
        let _ = Request::decode(&input);
        let _ = Response::decode(&input);
    }

    /// Valid messages with random bytes flipped never panic a decoder either.
    #[test]
    fn mutated_messages_never_panic(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let s = scenario(1, 1);
        for mut bytes in [Request::Pull(sample_pull(&s)).encode(), Response::Page(sample_page(&s)).encode()] {
            for (at, x) in &flips {
                let i = at % bytes.len();
                bytes[i] ^= x;
            }
            let _ = Request::decode(&bytes);
            if let Ok(Response::Page(page)) = Response::decode(&bytes) {
                let _ = open_page(page, &s.circle_id(), None);
            }
        }
    }
}

#[test]
fn a_deflate_bomb_stops_at_the_cap() {
    use std::io::Write;
    // 8 MiB + 1 KiB of zeros deflate to a few KiB; inflating stops one byte past the cap.
    let mut z = flate2::write::DeflateEncoder::new(
        vec![super::super::codec::DEFLATED],
        flate2::Compression::best(),
    );
    z.write_all(&vec![0u8; MAX_PAGE_BYTES + 1024]).unwrap();
    let bomb = z.finish().unwrap();
    // Under the request cap too, so both decoders get as far as inflating.
    assert!(bomb.len() < MAX_REQUEST_BYTES, "{}", bomb.len());
    assert_eq!(
        Response::decode(&bomb),
        Err(SyncError::TooLarge(MAX_PAGE_BYTES))
    );
    assert_eq!(
        Request::decode(&bomb),
        Err(SyncError::TooLarge(MAX_REQUEST_BYTES))
    );
}

#[test]
fn deflated_frames_refuse_nesting_trailing_bytes_and_garbage() {
    use std::io::Write;
    let s = scenario(2, 2);
    let page = Response::Page(sample_page(&s)).encode();
    assert_eq!(
        page[0],
        super::super::codec::DEFLATED,
        "a page this size is deflated"
    );
    let mut trailing = page.clone();
    trailing.push(7);
    assert_eq!(Response::decode(&trailing), Err(SyncError::Malformed));
    let mut nested = flate2::write::DeflateEncoder::new(
        vec![super::super::codec::DEFLATED],
        flate2::Compression::fast(),
    );
    nested.write_all(&page).unwrap();
    assert_eq!(
        Response::decode(&nested.finish().unwrap()),
        Err(SyncError::Malformed)
    );
    let garbage = [super::super::codec::DEFLATED, 0xff, 0xff, 0xff, 0x00];
    assert!(Response::decode(&garbage).is_err());
}

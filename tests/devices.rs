//! Devices of one circle (`circle join`), end to end through the real binary on
//! 127.0.0.1: a joined device holds the circle as its own, keeps in sync with the
//! device it joined, and reads only until it holds a steward key.

use serde_json::Value;

use crate::federation::{eventually, publish_tactic, tactic_titles};
use crate::util::{Node, Serving};

#[test]
fn a_joined_device_holds_the_circle_syncs_it_and_reads_only() {
    let a = Node::compliant("Alder");
    publish_tactic(&a, "Phone tree");
    let sa = Serving::start(&a, &[], &[]);
    let b = Node::new();
    let joined = b.ok(&["join", sa.invite()]);
    assert_eq!(joined["circle_id"], a_id(&sa), "{joined}");
    assert!(!joined["device"].as_str().unwrap().is_empty(), "{joined}");
    assert_eq!(joined["writes"], false, "{joined}");
    assert!(
        !b.path().join("joining").exists(),
        "the scratch node is cleared"
    );
    // Its own circle in every command: id, the ledger, the protocol's verdict.
    assert_eq!(b.circle_id(), sa.circle_id());
    assert_eq!(tactic_titles(&b, None), vec!["Phone tree".to_owned()]);
    assert_eq!(b.ok(&["protocol", "status"])["compliant"], true);
    // No steward key here: a write says so, and what to do.
    let err = b.fails(&["action", "log", "--title", "Picket", "--summary", "We held"]);
    assert!(err.contains("steward"), "{err}");
    // A second join into the same directory is refused.
    let again = b.fails(&["join", sa.invite()]);
    assert!(again.contains("already"), "{again}");
    // Serving, it stays in sync with the device it joined (a remembered peer).
    let sb = Serving::start(&b, &[], &[]);
    publish_tactic(&a, "Banner drop");
    eventually("the new tactic reaches the joined device", || {
        tactic_titles(&b, None)
            .contains(&"Banner drop".to_owned())
            .then_some(())
    });
    let status = b.ok(&["status"]);
    assert_eq!(status["circle_id"], sa.circle_id(), "{status}");
    sb.stop();
    sa.stop();
}

#[test]
fn a_join_that_reaches_no_device_leaves_the_directory_empty() {
    let a = Node::compliant("Alder");
    let sa = Serving::start(&a, &[], &[]);
    let invite = sa.invite().to_owned();
    sa.stop();
    let b = Node::new();
    let err = b.fails(&["join", &invite]);
    assert!(err.contains("no device"), "{err}");
    assert!(!b.path().join("store").join("db").exists(), "nothing kept");
    assert!(
        !b.path().join("joining").exists(),
        "the scratch node is cleared"
    );
    // Bad invites are refused before anything is made.
    for bad in ["circle:zz", "not an invite", &invite[..invite.len() / 2]] {
        let out = b.run(&["join", bad]);
        assert!(!out.status.success(), "{bad}");
    }
    // Then, the device back up, the same directory joins.
    let sa = Serving::start(&a, &[], &[]);
    let joined: Value = b.ok(&["join", sa.invite()]);
    assert_eq!(joined["circle_id"], a.circle_id(), "{joined}");
    sa.stop();
}

/// The own circle's bundle of `n`, exported (with no node running) to a file in it.
fn bundle_of(n: &Node, name: &str) -> std::path::PathBuf {
    let file = n.path().join(name);
    n.ok(&["export", "--format", "bundle", file.to_str().unwrap()]);
    file
}

fn a_id(s: &Serving) -> Value {
    Value::String(s.circle_id().to_owned())
}

pub(crate) struct Devices {
    pub(crate) a: Node,
    pub(crate) b: Node,
    pub(crate) c: Node,
    pub(crate) sa: Serving,
    pub(crate) sb: Serving,
    pub(crate) sc: Serving,
}

/// A circle on A whose term 1 has one steward key on each of three devices (B and C
/// joined), two of three to hand over, the pledge signed; all three serving.
pub(crate) fn three_stewards() -> Devices {
    let a = Node::compliant("Alder");
    let sa = Serving::start(&a, &[], &[]);
    let (b, c) = (Node::new(), Node::new());
    b.ok(&["join", sa.invite()]);
    c.ok(&["join", sa.invite()]);
    let (code_b, code_c) = (volunteer(&b), volunteer(&c));
    let p = propose(&a, &["self", &code_b, &code_c], "2");
    assert_eq!(p["term"], 1, "{p}");
    a.ok(&["pledge", "sign", "--text", PLEDGE]);
    let sb = Serving::start(&b, &[&sa], &[]);
    let sc = Serving::start(&c, &[&sa, &sb], &[]);
    for (n, who) in [(&b, "B"), (&c, "C")] {
        eventually(&format!("{who} holds a key of term 1"), || {
            (term_of(n) == 1 && keys_held(n) == 1).then_some(())
        });
    }
    Devices {
        a,
        b,
        c,
        sa,
        sb,
        sc,
    }
}

/// `circle steward propose` on `n` naming `stewards` (codes or "self"); its JSON.
fn propose(n: &Node, stewards: &[&str], threshold: &str) -> Value {
    let mut args = vec!["steward", "propose"];
    for s in stewards {
        args.extend(["--steward", s]);
    }
    args.extend(["--threshold", threshold]);
    n.ok(&args)
}

pub(crate) fn volunteer(n: &Node) -> String {
    n.ok(&["steward", "volunteer"])["candidate"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) fn keys_held(n: &Node) -> u64 {
    n.ok(&["steward", "show"])["keys_held_here"]
        .as_u64()
        .unwrap()
}

pub(crate) fn term_of(n: &Node) -> u64 {
    n.ok(&["steward", "show"])["term"].as_u64().unwrap()
}

fn own_titles(n: &Node) -> Vec<String> {
    let mut t = tactic_titles(n, None);
    t.sort();
    t
}

pub(crate) const PLEDGE: &str = "We answer every call for defense.";

#[test]
fn two_steward_devices_write_while_apart_and_converge_with_a_follower() {
    let a = Node::compliant("Alder");
    let sa = Serving::start(&a, &[], &[]);
    let b = Node::new();
    b.ok(&["join", sa.invite()]);
    let code_b = volunteer(&b);
    // A's one key is term 0's threshold: term 1 (A and B, either writes) at once.
    let p = propose(&a, &["self", &code_b], "1");
    assert_eq!(p["term"], 1, "{p}");
    a.ok(&["pledge", "sign", "--text", PLEDGE]);
    let sb = Serving::start(&b, &[&sa], &[]);
    eventually("B learns term 1 and takes up its key", || {
        (term_of(&b) == 1 && keys_held(&b) == 1).then_some(())
    });
    // A follower of the circle, through A.
    let f = Node::compliant("Fir");
    let sf = Serving::start(&f, &[&sa], &[]);
    f.ok(&["follow", sa.invite()]);
    // Apart: B stops; both write (B with its own CLI, no node running).
    sb.stop();
    publish_tactic(&a, "A while apart");
    publish_tactic(&b, "B while apart 1");
    publish_tactic(&b, "B while apart 2");
    assert_eq!(own_titles(&b), vec!["B while apart 1", "B while apart 2"]);
    let sb = Serving::start(&b, &[&sa], &[]);
    let all = vec!["A while apart", "B while apart 1", "B while apart 2"];
    for (n, who) in [(&a, "A"), (&b, "B")] {
        eventually(&format!("every write on {who}"), || {
            (own_titles(n) == all).then_some(())
        });
    }
    let circle = sa.circle_id().to_owned();
    eventually("every write on the follower", || {
        let mut t = tactic_titles(&f, Some(&circle));
        t.sort();
        (t == all).then_some(())
    });
    assert_eq!(
        a.ledger_json(),
        b.ledger_json(),
        "one ledger on both devices"
    );
    for s in [sf, sb, sa] {
        s.stop();
    }
}

#[test]
fn a_two_of_three_handover_is_certified_from_three_data_directories() {
    let Devices {
        a,
        b,
        c,
        sa,
        sb,
        sc,
    } = three_stewards();
    // Baseline for the figures below, measured the same way: a write reaching C.
    let started = std::time::Instant::now();
    publish_tactic(&a, "Phone tree");
    eventually("a write reaches C", || {
        own_titles(&c)
            .contains(&"Phone tree".to_owned())
            .then_some(())
    });
    let write_reaches = started.elapsed();
    // A proposes term 2 (fresh keys on A and C): its signature alone does not certify.
    let code_c2 = volunteer(&c);
    let started = std::time::Instant::now();
    let p = propose(&a, &["self", &code_c2], "1");
    assert_eq!(
        (p["signatures"].as_u64(), p["needed"].as_u64()),
        (Some(1), Some(2)),
        "{p}"
    );
    assert!(p.get("term").is_none(), "{p}");
    let id = p["proposal_id"].as_str().unwrap().to_owned();
    eventually("the proposal reaches B", || {
        let list = b.ok(&["steward", "proposals"]);
        list.as_array()
            .unwrap()
            .iter()
            .any(|x| x["proposal_id"] == id.as_str())
            .then_some(())
    });
    let proposal_reaches = started.elapsed();
    // The proposer's device goes down mid-way: the proposal lives on elsewhere.
    sa.stop();
    assert_eq!(term_of(&b), 1, "one signature does not certify");
    let approved = b.ok(&["steward", "approve", &id[..12]]);
    assert_eq!(approved["term"], 2, "{approved}");
    let approved_at = std::time::Instant::now();
    eventually("C learns term 2 and takes up its key", || {
        (term_of(&c) == 2 && keys_held(&c) == 1).then_some(())
    });
    let certificate_reaches = approved_at.elapsed();
    assert_eq!(
        keys_held(&b),
        0,
        "B's term-1 key is gone and B was not named"
    );
    // A comes back, learns term 2 and writes with its fresh key.
    let sa = Serving::start(&a, &[&sb], &[]);
    eventually("A learns term 2", || {
        (term_of(&a) == 2 && keys_held(&a) == 1).then_some(())
    });
    a.ok(&["pledge", "sign", "--text", PLEDGE]);
    // Figures for the closing note (`cargo test devices::a_two -- --nocapture`).
    let ratio = |d: std::time::Duration| d.as_secs_f64() / write_reaches.as_secs_f64();
    eprintln!(
        "2-of-3 handover, three devices, resync 1 s: a write reaches C in {write_reaches:.2?}; \
         the proposal reaches B in {proposal_reaches:.2?} ({:.2}x); the certificate made on B \
         reaches C in {certificate_reaches:.2?} ({:.2}x)",
        ratio(proposal_reaches),
        ratio(certificate_reaches)
    );
    for s in [sc, sb, sa] {
        s.stop();
    }
}

#[test]
fn a_seized_copy_writes_on_after_its_key_is_revoked_and_nobody_keeps_its_writes() {
    let Devices {
        a,
        b,
        c,
        sa,
        sb,
        sc,
    } = three_stewards();
    // B's phone is seized: the thief holds a copy of its data directory, writes with
    // it, and a sister circle takes that write (a bundle) before anyone knows.
    sb.stop();
    let thief = Node::new();
    crate::util::copy_dir(b.path(), thief.path());
    publish_tactic(&thief, "Seized before");
    let s = Node::compliant("Sorrel");
    let before = bundle_of(&thief, "before.bundle");
    let took = s.ok(&["import", before.to_str().unwrap()]);
    assert_eq!(took["rejected"], 0, "{took}");
    let circle = sa.circle_id().to_owned();
    assert!(tactic_titles(&s, Some(&circle)).contains(&"Seized before".to_owned()));
    // A revokes B's key (named second in term 1); C, the other steward left, co-signs.
    let b_key = a.ok(&["steward", "show"])["stewards"][1]
        .as_str()
        .unwrap()
        .to_owned();
    let code_c2 = volunteer(&c);
    let r = a.ok(&[
        "steward",
        "revoke",
        &b_key,
        "--reason",
        "phone seized",
        "--steward",
        "self",
        "--steward",
        &code_c2,
        "--threshold",
        "1",
    ]);
    assert_eq!(
        (r["signatures"].as_u64(), r["needed"].as_u64()),
        (Some(1), Some(2)),
        "{r}"
    );
    let id = r["proposal_id"].as_str().unwrap().to_owned();
    eventually("C has the revocation", || {
        let list = c.ok(&["steward", "proposals"]);
        list.as_array()
            .unwrap()
            .iter()
            .any(|x| x["proposal_id"] == id.as_str())
            .then_some(())
    });
    assert_eq!(c.ok(&["steward", "approve", &id])["term"], 2);
    eventually("A learns term 2", || (term_of(&a) == 2).then_some(()));
    a.ok(&["pledge", "sign", "--text", PLEDGE]);
    // The thief writes on, under the revoked key: its copy has not heard of term 2.
    publish_tactic(&thief, "Seized after");
    let after = bundle_of(&thief, "after.bundle");
    // The sister learns of term 2 from A: it drops the write it had, refuses the new one.
    let ss = Serving::start(&s, &[&sa], &[]);
    eventually(
        "the sister learns term 2 and drops the thief's write",
        || {
            let titles = tactic_titles(&s, Some(&circle));
            let status = s.ok(&["protocol", "status", &circle]);
            (status["compliant"] == true && !titles.iter().any(|t| t.starts_with("Seized")))
                .then_some(())
        },
    );
    let refused = s.ok(&["import", after.to_str().unwrap()]);
    assert!(refused["rejected"].as_u64().unwrap() >= 1, "{refused}");
    assert_eq!(refused["applied"], 0, "{refused}");
    // The thief's node reaches A (B's remembered peer): A refuses what it wrote (and
    // cuts it off, which may come before the thief's copy has learnt term 2).
    let st = Serving::start(&thief, &[&sa], &[]);
    for (n, who) in [(&a, "A"), (&c, "C")] {
        let titles = own_titles(n);
        assert!(
            !titles.iter().any(|t| t.starts_with("Seized")),
            "{who}: {titles:?}"
        );
    }
    assert!(
        !tactic_titles(&s, Some(&circle))
            .iter()
            .any(|t| t.starts_with("Seized")),
        "the sister kept a write signed with the revoked key"
    );
    for srv in [ss, st, sc, sa] {
        srv.stop();
    }
}

#[test]
fn stewards_on_three_devices_sign_a_checkpoint_that_a_sisters_first_sync_starts_from() {
    let Devices {
        a,
        b,
        c,
        sa,
        sb,
        sc,
    } = three_stewards();
    publish_tactic(&a, "Phone tree");
    // Two of three keys needed, one per device: no device can sign a checkpoint alone,
    // so they pass it between them, each signing what it holds.
    let checkpoint_of = |n: &Node| {
        let s = n.ok(&["status"]);
        let cp = s["checkpoint"].clone();
        (cp["term"] == 1 && cp["signatures"].as_u64() >= Some(2))
            .then(|| (s["changes"].as_u64().unwrap(), cp))
    };
    for (n, who) in [(&a, "A"), (&b, "B"), (&c, "C")] {
        let (_, cp) = eventually(&format!("{who} keeps a checkpoint of term 1"), || {
            checkpoint_of(n)
        });
        assert_eq!(cp["needed"], 2, "{cp}");
    }
    // A sister's first sync from C starts from that checkpoint: everything up to it
    // comes vouched, in term 1 (a handover could vouch only for term 0's history).
    let (held, cp) = checkpoint_of(&c).unwrap();
    let at_checkpoint = held - cp["changes_after"].as_u64().unwrap();
    let s = Node::compliant("Sorrel");
    let ss = Serving::start(&s, &[&sc], &[]);
    let r = s.ok(&["follow", sc.invite()]);
    assert_eq!(r["synced"], true, "{r}");
    let circle = sa.circle_id().to_owned();
    let entry = eventually("the sister holds all of C's ledger", || {
        let st = s.ok(&["status"]);
        st["following"].as_array().and_then(|f| {
            f.iter()
                .find(|x| x["circle_id"] == circle.as_str() && x["changes"].as_u64() == Some(held))
                .cloned()
        })
    });
    assert_eq!(entry["vouched"].as_u64(), Some(at_checkpoint), "{entry}");
    assert!(tactic_titles(&s, Some(&circle)).contains(&"Phone tree".to_owned()));
    for server in [ss, sc, sb, sa] {
        server.stop();
    }
}

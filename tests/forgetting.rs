//! Forgetting through the real `circle` binary (docs/EPOCHS.md): a handover that starts an
//! epoch keeping evidence for one term, on the circle's node and on a sister that follows
//! it; afterwards no byte of the forgotten action or memo is in either data directory,
//! knowledge and balances stay, later changes flow, and JS Automerge loads the export.

use std::path::Path;

use serde_json::Value;

use crate::devices::{term_of, three_stewards, volunteer, Devices};
use crate::federation::{eventually, publish_tactic, tactic_titles};
use crate::util::{load_with_js, Node, Serving};

const MARKER: &str = "forget-me-9d2c41";

/// Every file under `dir`, read raw, that contains `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                if bytes.windows(needle.len()).any(|w| w == needle) {
                    found.push(p.display().to_string());
                }
            }
        }
    }
    found
}

/// One steward, on `n`, certifies a term that keeps evidence for one term, and signs the
/// pledge for it.
fn forget_after_one_term(n: &Node) {
    n.ok(&[
        "steward",
        "propose",
        "--steward",
        "self",
        "--retain-terms",
        "1",
    ]);
    n.ok(&[
        "pledge",
        "sign",
        "--text",
        "We answer every call for defense.",
    ]);
}

fn sister<'a>(status: &'a Value, id: &str) -> Option<&'a Value> {
    status["following"]
        .as_array()?
        .iter()
        .find(|x| x["circle_id"] == id)
}

/// Waits until `follower` holds the sister `circle` in epoch 1 (and, with `compliant`,
/// counts it compliant there).
fn sister_in_first_epoch(follower: &Node, circle: &str, compliant: bool, what: &str) {
    eventually(what, || {
        let s = follower.ok(&["status"]);
        let f = sister(&s, circle)?;
        (f["epoch"] == 1 && (!compliant || f["compliant"] == true)).then_some(())
    });
}

/// Waits until `follower` lists both tactics of the sister `circle`: one published in
/// the new epoch, one carried over from before it.
fn tactics_across_epochs(follower: &Node, circle: &str, new: &str, old: &str, what: &str) {
    eventually(what, || {
        let t = tactic_titles(follower, Some(circle));
        (t.iter().any(|x| x == new) && t.iter().any(|x| x == old)).then_some(())
    });
}

#[test]
fn a_circle_that_forgets_leaves_no_byte_of_old_evidence_on_its_node_or_a_sister() {
    let a = Node::compliant("Alder");
    let action = format!("{MARKER} picket at the depot");
    a.ok(&[
        "action",
        "log",
        "--title",
        &action,
        "--summary",
        "held the gate",
    ]);
    let memo = format!("{MARKER} gift from a named donor");
    a.ok(&[
        "fund",
        "add",
        "--amount",
        "20",
        "--currency",
        "EUR",
        "--memo",
        &memo,
    ]);
    publish_tactic(&a, "Phone tree");
    let status = a.ok(&["status"]);
    assert_eq!(
        status["retain_terms"],
        Value::Null,
        "a new circle keeps everything"
    );
    assert_eq!(status["epoch"], 0);
    let sa = Serving::start(&a, &[], &[]);
    let a_id = sa.info["circle_id"].as_str().unwrap().to_owned();

    let b = Node::compliant("Birch");
    let sb = Serving::start(&b, &[&sa], &[]);
    let r = b.ok(&["follow", sa.invite()]);
    assert_eq!(r["synced"], true, "{r}");
    assert!(r["changes"].as_u64().unwrap() >= 5, "{r}");

    // A bad setting is refused before anything is proposed.
    for bad in ["0", "1001", "forever", "2.5"] {
        let err = a.fails(&[
            "steward",
            "propose",
            "--steward",
            "self",
            "--retain-terms",
            bad,
        ]);
        assert!(err.contains("--retain-terms"), "{err}");
    }
    // One steward: the proposal is certified at once and term 1 starts epoch 1.
    // Every term signs the pledge again (or the circle stops being replicated).
    forget_after_one_term(&a);
    let status = a.ok(&["status"]);
    assert_eq!(
        (status["term"].as_u64(), status["epoch"].as_u64()),
        (Some(1), Some(1)),
        "{status}"
    );
    assert_eq!(status["retain_terms"], 1);
    let out = tempfile::tempdir().unwrap();
    let json_file = out.path().join("ledger.json");
    a.ok(&["export", "--format", "json", json_file.to_str().unwrap()]);
    let ledger: Value = serde_json::from_slice(&std::fs::read(&json_file).unwrap()).unwrap();
    let text = ledger.to_string();
    assert!(
        !text.contains(MARKER),
        "forgotten evidence in the export: {text}"
    );
    assert!(text.contains("Phone tree"), "knowledge kept: {text}");
    assert!(text.contains("balance carried forward"), "{text}");

    sister_in_first_epoch(&b, &a_id, false, "B enters A's new epoch");
    // The new epoch goes on: a later tactic reaches B, old knowledge still resolves there.
    publish_tactic(&a, "Banner drop");
    let what = "A's tactic of the new epoch at B";
    tactics_across_epochs(&b, &a_id, "Banner drop", "Phone tree", what);
    sb.stop();
    sa.stop();

    for n in [&a, &b] {
        let found = files_containing(n.path(), MARKER.as_bytes());
        assert!(found.is_empty(), "forgotten text still in {found:?}");
    }
    let am = out.path().join("ledger.automerge");
    a.ok(&["export", "--format", "automerge", am.to_str().unwrap()]);
    let js = load_with_js(&am);
    let doc = &js["doc"];
    assert_eq!(doc["circle"]["name"], "Alder");
    assert!(doc["actions"].as_object().unwrap().is_empty(), "{doc}");
    let carried = &doc["protocol"]["fund_ledger"]["carried-eur"];
    assert_eq!(carried["amount"], "20", "{doc}");
    assert!(!doc.to_string().contains(MARKER));
}

/// A sister that was away when the circle forgot (it lacks history the handover named,
/// so it cannot derive the base, and no peer serves the old epoch any more) takes the
/// new epoch's base as a snapshot vouched by the certificate, and forgets too.
#[test]
fn a_sister_that_was_away_during_the_handover_takes_the_vouched_base_and_forgets() {
    let a = Node::compliant("Alder");
    let action = format!("{MARKER} blockade");
    a.ok(&[
        "action",
        "log",
        "--title",
        &action,
        "--summary",
        "held the road",
    ]);
    publish_tactic(&a, "Phone tree");
    let sa = Serving::start(&a, &[], &[]);
    let a_id = sa.info["circle_id"].as_str().unwrap().to_owned();
    let b = Node::compliant("Birch");
    let sb = Serving::start(&b, &[&sa], &[]);
    assert_eq!(b.ok(&["follow", sa.invite()])["synced"], true);
    sb.stop();

    // While B is away: a write B never sees, then the forgetting handover.
    a.ok(&[
        "action",
        "log",
        "--title",
        "written while B was away",
        "--summary",
        "-",
    ]);
    forget_after_one_term(&a);

    let sb = Serving::start(&b, &[&sa], &[]);
    let what = "B takes A's new epoch from a vouched snapshot";
    sister_in_first_epoch(&b, &a_id, true, what);
    publish_tactic(&a, "Banner drop");
    let what = "later changes flow on top of the installed base";
    tactics_across_epochs(&b, &a_id, "Banner drop", "Phone tree", what);
    sb.stop();
    sa.stop();
    let found = files_containing(b.path(), MARKER.as_bytes());
    assert!(found.is_empty(), "forgotten text still in {found:?}");
}

/// Stewards on three devices: A proposes a forgetting term, B checks the base against
/// its own ledger and approves, C is offline throughout (missing a write the handover
/// names) and converges when it returns, from the base vouched by the certificate.
#[test]
fn steward_devices_forget_together_and_an_offline_device_converges_on_return() {
    let Devices {
        a,
        b,
        c,
        sa,
        sb,
        sc,
    } = three_stewards();
    let action = format!("{MARKER} occupation");
    a.ok(&["action", "log", "--title", &action, "--summary", "-"]);
    let changes = |n: &Node| n.ok(&["status"])["changes"].as_u64();
    let at_a = changes(&a);
    eventually("the action reaches C", || {
        (changes(&c) == at_a).then_some(())
    });
    sc.stop();
    // A write C never sees: the handover names it, so C cannot derive the base itself.
    a.ok(&[
        "action",
        "log",
        "--title",
        "written while C was away",
        "--summary",
        "-",
    ]);

    let code_b = volunteer(&b);
    let p = a.ok(&[
        "steward",
        "propose",
        "--steward",
        "self",
        "--steward",
        &code_b,
        "--threshold",
        "1",
        "--retain-terms",
        "1",
    ]);
    let id = p["proposal_id"].as_str().unwrap().to_owned();
    eventually("the proposal reaches B", || {
        let list = b.ok(&["steward", "proposals"]);
        list.as_array()?
            .iter()
            .any(|x| x["proposal_id"] == id.as_str())
            .then_some(())
    });
    let approved = b.ok(&["steward", "approve", &id[..12]]);
    assert_eq!(approved["term"], 2, "{approved}");
    for (n, who) in [(&a, "A"), (&b, "B")] {
        eventually(&format!("{who} is in epoch 1"), || {
            let s = n.ok(&["status"]);
            (s["epoch"] == 1 && s["retain_terms"] == 1).then_some(())
        });
    }
    a.ok(&[
        "action",
        "log",
        "--title",
        "first of the new epoch",
        "--summary",
        "-",
    ]);
    let sc = Serving::start(&c, &[&sa, &sb], &[]);
    // Only a device that holds the base can apply a change written on top of it.
    eventually(
        "C returns into epoch 1 and holds what was written in it",
        || {
            let s = c.ok(&["status"]);
            let actions = c.ok(&["actions"]).to_string();
            (s["epoch"] == 1 && term_of(&c) == 2 && actions.contains("first of the new epoch"))
                .then_some(())
        },
    );
    let actions = c.ok(&["actions"]).to_string();
    assert!(
        !actions.contains("written while C was away"),
        "forgotten: {actions}"
    );
    for s in [sc, sb, sa] {
        s.stop();
    }
    for n in [&a, &b, &c] {
        let found = files_containing(n.path(), MARKER.as_bytes());
        assert!(found.is_empty(), "forgotten text still in {found:?}");
    }
}

/// Past a forgetting handover, everything that moves a whole ledger still works: a bundle
/// (its base vouched by the certificate) imported by a new sister, a new device joining,
/// and an archive of the epoch, verified and restored apart.
#[test]
fn bundles_joins_and_archives_carry_the_epoch_base() {
    use std::os::unix::fs::PermissionsExt;
    let a = Node::compliant("Alder");
    a.ok(&[
        "action",
        "log",
        "--title",
        &format!("{MARKER} old"),
        "--summary",
        "-",
    ]);
    publish_tactic(&a, "Phone tree");
    forget_after_one_term(&a);
    a.ok(&["action", "log", "--title", "kept action", "--summary", "-"]);
    let a_id = a.circle_id();
    let away = tempfile::tempdir().unwrap();

    let bundle = away.path().join("alder.bundle");
    a.ok(&["export", "--format", "bundle", bundle.to_str().unwrap()]);
    let c = Node::compliant("Cedar");
    let r = c.ok(&["import", bundle.to_str().unwrap()]);
    assert_eq!(
        (r["compliant"].as_bool(), r["rejected"].as_u64()),
        (Some(true), Some(0)),
        "{r}"
    );
    let s = c.ok(&["status"]);
    assert_eq!(sister(&s, &a_id).unwrap()["epoch"], 1, "{s}");
    assert_eq!(
        tactic_titles(&c, Some(&a_id)),
        vec!["Phone tree".to_owned()]
    );
    assert!(files_containing(c.path(), MARKER.as_bytes()).is_empty());

    let sa = Serving::start(&a, &[], &[]);
    let d = Node::new();
    let joined = d.ok(&["join", sa.invite()]);
    assert_eq!(joined["circle_id"], a_id.as_str(), "{joined}");
    sa.stop();
    let s = d.ok(&["status"]);
    assert_eq!(
        (s["epoch"].as_u64(), s["term"].as_u64()),
        (Some(1), Some(1)),
        "{s}"
    );
    let titles: Vec<String> = d
        .ok(&["actions"])
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["title"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        titles,
        ["kept action"],
        "the device holds the epoch, not what it forgot"
    );

    let pass = away.path().join("pass");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let sealed = away.path().join("alder.age");
    let wrote = a.ok(&[
        "archive",
        "--out",
        sealed.to_str().unwrap(),
        "--passphrase-file",
        pass.to_str().unwrap(),
    ]);
    assert_eq!(wrote["epochs"], 1, "{wrote}");
    let restored = a.ok(&[
        "import",
        sealed.to_str().unwrap(),
        "--passphrase-file",
        pass.to_str().unwrap(),
    ]);
    let e = &restored["epochs"][0];
    assert_eq!(
        (e["epoch"].as_u64(), e["first_term"].as_u64()),
        (Some(1), Some(1)),
        "{restored}"
    );
}

/// Tactics are knowledge: a sister's fork keeps resolving its lineage after the circle it
/// came from forgot, and after the forking circle forgot too.
#[test]
fn tactic_lineage_resolves_across_epochs() {
    let a = Node::compliant("Alder");
    publish_tactic(&a, "Phone tree");
    let sa = Serving::start(&a, &[], &[]);
    let a_id = sa.info["circle_id"].as_str().unwrap().to_owned();
    let b = Node::compliant("Birch");
    let sb = Serving::start(&b, &[&sa], &[]);
    assert_eq!(b.ok(&["follow", sa.invite()])["synced"], true);
    let tactic = b.ok(&["tactics", "--from", &a_id])[0]["tactic_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let fork = b.ok(&["tactic", "fork", &format!("{a_id}/{tactic}")])["tactic_id"]
        .as_str()
        .unwrap()
        .to_owned();

    for n in [&a, &b] {
        forget_after_one_term(n);
    }
    sister_in_first_epoch(&b, &a_id, false, "B holds A's new epoch");
    assert_eq!(b.ok(&["status"])["epoch"], 1);
    let chain = b.ok(&["tactic", "lineage", &fork])["chain"].clone();
    let links: Vec<(&str, &str)> = chain
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["circle_id"].as_str().unwrap(),
                c["tactic_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(links[1], (a_id.as_str(), tactic.as_str()), "{chain}");
    assert_eq!(chain[1]["circle_name"], "Alder", "{chain}");
    // The ancestor itself still resolves in A's new epoch, under the same id.
    let parent = b.ok(&["tactic", "lineage", &format!("{a_id}/{tactic}")]);
    assert_eq!(parent["title"], "Phone tree", "{parent}");
    sb.stop();
    sa.stop();
}

//! Every public free-text field goes through the public-text check before it leaves the
//! circle (issue 13): refused, redacted or warned about per field, as argued in
//! docs/ANONYMISATION.md. Each field is driven through the real binary.

use crate::util::{Node, Serving};

/// A compliant circle that knows its members' aliases.
fn circle() -> Node {
    let n = Node::compliant("Public fields");
    n.ok(&["member", "add", "Red Fox"]);
    n.ok(&["member", "add", "Marmot"]);
    n
}

/// The command is refused, names the field and the kind found, and changes nothing.
fn refused(n: &Node, args: &[&str], field: &str, kind: &str) {
    let before = n.ledger_json();
    let err = n.fails(args);
    assert!(err.contains(field), "{args:?}: {err}");
    assert!(err.contains(kind), "{args:?}: {err}");
    assert_eq!(n.ledger_json(), before, "{args:?} changed the ledger");
}

#[test]
fn short_fields_are_refused() {
    let n = circle();
    refused(
        &n,
        &["task", "add", "--title", "Drive M\u{0430}rmot to the depot"],
        "task title",
        "member_alias",
    );
    let task = n.ok(&["task", "add", "--title", "Drive to the depot"]);
    let task_id = task["task_id"].as_str().unwrap();
    // A claim by a registered alias would reach every sister circle: refused, with advice.
    refused(
        &n,
        &["task", "claim", task_id, "--by", "Red\u{200b} Fox"],
        "task claim",
        "member_alias",
    );
    let err = n.fails(&["task", "claim", task_id, "--by", "Marmot"]);
    assert!(err.contains("role"), "{err}");
    n.ok(&["task", "claim", task_id, "--by", "driver"]);
    refused(
        &n,
        &[
            "action",
            "log",
            "--title",
            "Picket at Calle Toledo 40, 2º derecha",
        ],
        "action title",
        "address",
    );
    refused(
        &n,
        &["action", "log", "--title", "Picket", "--tag", "KXR-4471"],
        "tag",
        "licence_plate",
    );
    refused(
        &n,
        &[
            "retro",
            "add",
            "--title",
            "Night with Red Fox",
            "--notes",
            "fine",
        ],
        "retrospective title",
        "member_alias",
    );
    refused(
        &n,
        &[
            "fund",
            "add",
            "--amount",
            "20",
            "--currency",
            "EUR",
            "--memo",
            "from Maria Lopez",
        ],
        "fund memo",
        "person_name",
    );
    refused(
        &n,
        &[
            "fund",
            "declare",
            "--description",
            "Call 5 5 5 – 0 1 2 3 for bail",
        ],
        "fund description",
        "phone",
    );
    refused(
        &n,
        &[
            "pledge",
            "sign",
            "--text",
            "We answer every call. Ask Marmot.",
        ],
        "pledge text",
        "member_alias",
    );
    let body = n.file("tactic.md", "How to run a phone tree.");
    refused(
        &n,
        &[
            "tactic",
            "publish",
            "--title",
            "Phone tree of Red Fox",
            "--body-file",
            body.to_str().unwrap(),
        ],
        "tactic title",
        "member_alias",
    );
    // Clean text goes through untouched and without warnings.
    let memo = n.ok(&[
        "fund",
        "add",
        "--amount",
        "20",
        "--currency",
        "EUR",
        "--memo",
        "bake sale",
    ]);
    assert!(memo.get("warnings").is_none(), "{memo}");
}

#[test]
fn long_fields_are_redacted_with_a_warning() {
    let n = circle();
    let task = n.ok(&["task", "add", "--title", "Print leaflets"]);
    let task_id = task["task_id"].as_str().unwrap();
    let closed = n.ok(&[
        "task",
        "close",
        task_id,
        "--note",
        "Marmot printed 500 at 0745 hours, van KXR-4471",
    ]);
    assert_eq!(closed["warnings"][0]["field"], "task_note", "{closed}");
    assert_eq!(closed["warnings"][0]["policy"], "redact");
    let note = n.ok(&["tasks"])[0]["note"].as_str().unwrap().to_owned();
    assert_eq!(
        note,
        "[REDACTED:member_alias] printed 500 at [REDACTED:date_time], van [REDACTED:licence_plate]"
    );

    let action = n.ok(&[
        "action",
        "log",
        "--title",
        "Food run",
        "--summary",
        "Dropped off at flat 4, 22 Kingsland Rd.",
    ]);
    assert_eq!(action["warnings"][0]["field"], "action_summary", "{action}");
    let action_id = action["entry_id"].as_str().unwrap();
    let retro = n.ok(&[
        "retro",
        "add",
        "--title",
        "Food run retro",
        "--notes",
        "Next time start at quarter to eight",
        "--action",
        action_id,
    ]);
    assert_eq!(retro["warnings"][0]["field"], "retro_notes", "{retro}");
    let body = n.file("tactic.md", "Text the organiser on 07700 900123 first.");
    let tactic = n.ok(&[
        "tactic",
        "publish",
        "--title",
        "Phone tree",
        "--body-file",
        body.to_str().unwrap(),
    ]);
    assert_eq!(tactic["warnings"][0]["field"], "tactic_body", "{tactic}");

    // The text report says what went, too.
    let out = n.run(&[
        "action",
        "log",
        "--title",
        "Leafleting",
        "--summary",
        "Marmot led",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("warning: action summary: redacted member_alias"),
        "{text}"
    );

    // Nothing of it reached the ledger that leaves the circle.
    let ledger = n.ledger_json().to_string();
    for leaked in [
        "Marmot",
        "Kingsland",
        "0745",
        "KXR-4471",
        "07700",
        "quarter to eight",
    ] {
        assert!(!ledger.contains(leaked), "{leaked} reached the ledger");
    }
    assert!(ledger.contains("[REDACTED:address]"));
}

#[test]
fn an_import_checks_every_line() {
    let n = circle();
    let file = n.file(
        "actions.jsonl",
        "{\"title\": \"Picket\", \"summary\": \"Marmot held the gate\"}\n\
         {\"title\": \"Gate picket by Red Fox\"}\n",
    );
    let err = n.fails(&["action", "import", "--file", file.to_str().unwrap()]);
    assert!(
        err.contains("line 2") && err.contains("action title"),
        "{err}"
    );
    // The import stops at the refused line; what came before it was checked (redacted).
    let actions = n.ledger_json()["actions"].clone();
    let actions = actions.as_object().unwrap();
    assert_eq!(actions.len(), 1, "{actions:?}");
    let only = actions.values().next().unwrap();
    assert_eq!(only["summary"], "[REDACTED:member_alias] held the gate");
    let ok = n.file(
        "ok.jsonl",
        "{\"title\": \"Picket\", \"summary\": \"Marmot held the gate\"}\n",
    );
    let done = n.ok(&["action", "import", "--file", ok.to_str().unwrap()]);
    assert_eq!(done["warnings"][0]["field"], "action_summary", "{done}");
}

#[test]
fn an_alert_is_warned_about_not_blocked() {
    let n = circle();
    let serving = Serving::start(&n, &[], &[]);
    let text = "Eviction now at Rue Oberkampf 112, Marmot is inside";
    let sent = n.ok(&["alert", "send", "--text", text]);
    let kinds = &sent["warnings"][0]["kinds"];
    assert_eq!(sent["warnings"][0]["field"], "alert_text", "{sent}");
    assert_eq!(sent["warnings"][0]["policy"], "warn");
    assert!(kinds.to_string().contains("address"), "{sent}");
    assert!(kinds.to_string().contains("member_alias"), "{sent}");
    let alerts = n.ok(&["alerts"]);
    assert!(alerts.to_string().contains("Rue Oberkampf 112"), "{alerts}");
    drop(serving);
}

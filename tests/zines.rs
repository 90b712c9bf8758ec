//! Zines: the anonymiser gate, redaction, what the public ledger reveals, and the
//! printable booklet rendered in a real headless Chromium.

use std::process::Command;

use crate::util::{load_with_js, Node};

const DRAFT: &str = "Picket report. Kit and I held the gate with Maria Lopez from 14:30;\n\
call her on +44 7700 900123 or mail maria@example.org. We parked the Blue Van on 14 Elm Street.\n\n\
## What worked\nSoup, songs and a second banner.\n\n## What failed\nThe rota: nobody covered the night.\n\n\
## Open questions\nHow do we keep warm past midnight?\n";

#[test]
fn check_reports_exact_byte_offsets() {
    let n = Node::compliant("Zine circle");
    n.ok(&["member", "add", "Kit"]);
    n.ok(&["redact-word", "add", "Blue Van"]);
    let file = n.file("draft.md", DRAFT);
    let out = n.ok(&["zine", "check", "--file", file.to_str().unwrap()]);
    let findings = out["findings"].as_array().unwrap();
    let kinds: Vec<&str> = findings
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "member_alias",
        "person_name",
        "date_time",
        "phone",
        "email",
        "redact_word",
        "address",
    ] {
        assert!(kinds.contains(&kind), "{kind} not found in {kinds:?}");
    }
    for f in findings {
        let (s, e) = (
            f["start"].as_u64().unwrap() as usize,
            f["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            &DRAFT.as_bytes()[s..e],
            f["text"].as_str().unwrap().as_bytes()
        );
    }
    assert_eq!(
        n.ok(&["member", "list"])["entries"],
        serde_json::json!(["Kit"])
    );
}

#[test]
fn publish_refuses_then_redacts_and_leaks_nothing() {
    let n = Node::compliant("Zine circle");
    n.ok(&["member", "add", "Kit"]);
    let action = n.ok(&["action", "log", "--title", "Gate picket"])["entry_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let file = n.file("draft.md", DRAFT);
    let before = n.ledger_json();
    let err = n.fails(&[
        "zine",
        "publish",
        "--title",
        "Gate picket",
        "--file",
        file.to_str().unwrap(),
    ]);
    assert!(err.contains("phone") && err.contains("--redact"), "{err}");
    assert_eq!(n.ledger_json(), before, "a refused zine changed the ledger");

    let z = n.ok(&[
        "zine",
        "publish",
        "--title",
        "Gate picket",
        "--file",
        file.to_str().unwrap(),
        "--redact",
        "--action",
        &action,
    ]);
    let zine_id = z["zine_id"].as_str().unwrap().to_owned();
    let clean = n.file(
        "clean.md",
        "We learned to bring more soup.\n## What worked\nSoup.\n",
    );
    n.ok(&[
        "zine",
        "publish",
        "--title",
        "Soup",
        "--file",
        clean.to_str().unwrap(),
    ]);
    let zines = n.ok(&["zines"]);
    let ours = zines
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["zine_id"] == zine_id.as_str())
        .unwrap();
    let body = ours["body"].as_str().unwrap();
    assert!(
        body.contains("[REDACTED:phone]") && body.contains("[REDACTED:member_alias]"),
        "{body}"
    );
    assert_eq!(ours["worked"], "Soup, songs and a second banner.");
    assert_eq!(ours["action_id"], action.as_str());

    // What leaves the circle: the .automerge export, read by the official JS Automerge.
    let export = n.path().join("ledger.automerge");
    n.ok(&["export", "--format", "automerge", export.to_str().unwrap()]);
    let raw = std::fs::read(&export).unwrap();
    for secret in [
        "7700 900123",
        "Maria",
        "maria@example.org",
        "Kit ",
        "Elm Street",
    ] {
        assert!(
            !raw.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} leaked"
        );
    }
    let js = load_with_js(&export);
    let changes = js["changes"].as_array().unwrap();
    let mut per_actor = std::collections::HashMap::<&str, usize>::new();
    for c in changes {
        assert_eq!(
            c["time"].as_i64().unwrap() % 86_400,
            0,
            "finer than a day: {c}"
        );
        *per_actor.entry(c["actor"].as_str().unwrap()).or_default() += 1;
    }
    // The steward's term actor wrote everything else; each zine has an actor of its own.
    let single_use = per_actor.values().filter(|&&n| n == 1).count();
    assert_eq!(
        single_use, 2,
        "each zine must have an actor used by no other change: {per_actor:?}"
    );
    assert_eq!(per_actor.len(), 3);
}

fn chromium() -> Command {
    let mut c = Command::new("chromium");
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ]);
    c
}

#[test]
fn zine_exports_as_markdown_and_a_printable_booklet() {
    let n = Node::compliant("Booklet circle");
    let file = n.file("draft.md", "Forty people held the line.\n\n## What worked\nSoup.\n\n## What failed\nNight rota.\n\n## Open questions\nTents?\n");
    let id = n.ok(&[
        "zine",
        "publish",
        "--title",
        "The long night",
        "--file",
        file.to_str().unwrap(),
    ])["zine_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let md = n.ok(&["zine", "export", &id, "--format", "markdown"])["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(md.starts_with("# The long night"));
    for section in ["## What worked", "## What failed", "## Open questions"] {
        assert!(md.contains(section), "{md}");
    }

    let html = n.path().join("zine.html");
    n.ok(&[
        "zine",
        "export",
        &id,
        "--format",
        "html",
        "--out",
        html.to_str().unwrap(),
    ]);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("size: A5") && !page.contains("http://") && !page.contains("https://"),
        "booklet must be self-contained A5"
    );

    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", html.display());
    let shot = n.path().join("zine.png");
    let st = chromium()
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--window-size=560,800")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .expect("chromium must be installed (.ci/test installs Debian's chromium)");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = &buf[..info.buffer_size()];
    let dark = px
        .chunks(info.color_type.samples())
        .filter(|p| p[..3].iter().all(|&c| c < 100))
        .count();
    let total = px.len() / info.color_type.samples();
    assert!(
        dark > total / 200,
        "the page looks blank: {dark} dark pixels of {total}"
    );

    let pdf = n.path().join("zine.pdf");
    let st = chromium()
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--no-pdf-header-footer")
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let bytes = std::fs::read(&pdf).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.matches("/Type /Page").count() + text.matches("/Type/Page").count() >= 1);
    // A5 is 419.5 x 595.3 points (Chromium rounds to 420 x 594.96): the print CSS took effect.
    let a5 = text.contains("/MediaBox [0 0 420 594") || text.contains("/MediaBox [0 0 419.");
    assert!(a5, "not an A5 page");
}

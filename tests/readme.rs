//! The README's "Run it" commands, run as written against a served node.
//!
//! Two substitutions only, both for things the README cannot know: `circle` is this
//! build's binary on the served data directory (the README's alias runs `cargo run`),
//! and the sister's invite placeholder is a real sister's invite.

use std::process::Command;

use crate::util::{Node, Serving, BIN};

/// The shell block of the "Run it" section that uses the `circle` alias.
fn run_it_block() -> String {
    let readme = include_str!("../README.md");
    let section = &readme[readme
        .find("## Run it")
        .expect("README has a Run it section")..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    section
        .split("```sh\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .find(|b| b.starts_with("alias circle="))
        .expect("a ```sh block starting with `alias circle=`")
        .to_owned()
}

#[test]
fn the_readme_run_it_commands_work_as_written() {
    let block = run_it_block();
    let sister = Node::compliant("Oak Street Renters");
    let sister_node = Serving::start(&sister, &[], &[]);
    let ours = Node::new();
    let node = Serving::start(&ours, &[&sister_node], &["--name", "Elm Road Tenants"]);
    assert!(block.contains("'circle:…'"), "the invite placeholder moved");
    let invite = format!("'{}'", sister_node.invite());
    let script = block
        .lines()
        .map(|l| {
            if l.starts_with("alias circle=") {
                "circle() { \"$CIRCLE_BIN\" --data-dir \"$CIRCLE_DIR\" \"$@\"; }".to_owned()
            } else {
                l.replace("'circle:…'", &invite)
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let cwd = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(cwd.path())
        .env("CIRCLE_BIN", BIN)
        .env("CIRCLE_DIR", ours.path())
        .env_remove("CIRCLE_DATA_DIR")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the README's commands failed:\n{script}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    assert!(cwd.path().join("ledger.automerge").exists());
    assert!(stdout.contains("tactic published"), "{stdout}");
    assert!(
        !stdout.contains("kept here"),
        "the alert reached no sister:\n{stdout}"
    );
    // `status` names the followed sister, `alerts` the circle that sent the alert.
    assert!(stdout.contains("Oak Street Renters"), "{stdout}");
    assert!(stdout.contains("sent by Elm Road Tenants"), "{stdout}");
    assert_eq!(node.info["created"], true, "{}", node.info);
    // The rotation at the end left the circle compliant: the pledge was signed again.
    assert_eq!(ours.ok(&["protocol", "status"])["compliant"], true);
    assert_eq!(ours.ok(&["steward", "show"])["term"], 1);
    drop(node);
}

//! What to say when a data directory's store cannot be opened.
//!
//! The steward keys are the circle's only write access: a message that leads a person
//! to create a new circle over them loses that access for good. So whenever keys are
//! present, every failure to open the store is reported as damage, with the way back.

use std::path::Path;

use circle_node::NodeError;
use circle_store::StoreError;

/// Whether `dir/keys` holds steward keys (of any term).
pub(crate) fn holds_steward_keys(dir: &Path) -> bool {
    std::fs::read_dir(dir.join("keys")).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("steward-") && name.ends_with(".key")
        })
    })
}

/// The error to show for a store of `dir` that failed to open with `e`.
pub(crate) fn explain(dir: &Path, e: anyhow::Error) -> anyhow::Error {
    let node = e.downcast_ref::<NodeError>();
    // Failures that say nothing about the store's contents are passed on as they are.
    let transient = matches!(
        node,
        Some(NodeError::Store(
            StoreError::Locked
                | StoreError::Full(_)
                | StoreError::TooNew(_)
                | StoreError::Key { .. }
        ))
    );
    if transient {
        return e.context(format!("cannot open the circle in {}", dir.display()));
    }
    if holds_steward_keys(dir) {
        // "not a circle-ledger store" is what sled's damage looks like from inside the
        // store; with the circle's keys beside it, it is this circle's store, damaged.
        let detail = match node {
            Some(NodeError::Store(StoreError::Foreign(_))) => "its files cannot be read".to_owned(),
            Some(NodeError::NotInitialised(_)) => "it holds no circle".to_owned(),
            _ => format!("{e:#}"),
        };
        return anyhow::anyhow!(
            "the circle's store in {store} is damaged or missing ({detail}), but this directory \
             holds the circle's steward keys ({keys}). Keep {keys}: it is the circle's only \
             write access, and `circle init` will not overwrite it. To recover, move {store} \
             aside and restore the ledger from a bundle (`circle restore FILE`): your own \
             export, or one a sister circle that follows yours makes with \
             `circle export --format bundle --circle CIRCLE_ID FILE`",
            store = dir.join("store").display(),
            keys = dir.join("keys").display(),
        );
    }
    match node {
        Some(NodeError::NotInitialised(_)) => not_initialised(dir),
        _ => e.context(format!("cannot open the circle in {}", dir.display())),
    }
}

/// No circle here: most often the wrong directory, so that comes first.
fn not_initialised(dir: &Path) -> anyhow::Error {
    let cwd = std::env::current_dir()
        .map(|d| format!(" (a relative --data-dir counts from {})", d.display()))
        .unwrap_or_default();
    anyhow::anyhow!(
        "no circle in {}. If your circle is kept elsewhere, pass that directory with          --data-dir{cwd}; to start a new circle here, run `circle init --name NAME`",
        dir.display()
    )
}

//! Federation benchmarks (issue 3, item 7): sync of a small difference, first sync over
//! loopback TCP, alert propagation in a 50-node mesh, 1,000 followed circles, idle RSS.
//!
//! `cargo bench -p circle-node --bench federation -- [sync-diff|first-sync|alerts|scale|idle-rss]`
//! (release; no argument runs them all). Sizes come from environment variables with the
//! issue's numbers as defaults; `FED_SMALL=1` shrinks everything about 10x for a smoke run.
//! Every figure is printed beside a baseline measured in the same run: read the ratios.
//!
//! Benchmarks that need a process of their own (a follower whose RSS is its own, a cold
//! start) re-execute this binary with `--role NAME ...`; a child prints one JSON line on
//! stdout. Only loopback and in-process memory addresses are used, every wait is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod federation {
    pub(crate) mod alerts;
    pub(crate) mod common;
    pub(crate) mod first_sync;
    pub(crate) mod idle;
    pub(crate) mod scale;
    pub(crate) mod sync_diff;
}

use federation::{alerts, common, first_sync, idle, scale, sync_diff};

const ALL: [&str; 5] = ["sync-diff", "first-sync", "alerts", "scale", "idle-rss"];

fn main() {
    // As the `circle` binary does, so the figures are the product's.
    circle_node::tune_allocator();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--role") {
        let role = args.get(i + 1).cloned().unwrap_or_default();
        let opts = common::Opts::parse(&args[i + 2..]);
        // A child logs to stderr only when asked (`RUST_LOG=circle_node=info`).
        if std::env::var_os("RUST_LOG").is_some() {
            tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
                .with_writer(std::io::stderr)
                .init();
        }
        match role.as_str() {
            "follower" => first_sync::follower_child(&opts),
            "am-baseline" => first_sync::baseline_child(&opts),
            "scale-follower" => scale::follower_child(&opts),
            "cold" => scale::cold_child(&opts),
            "sled-probe" => scale::sled_probe_child(&opts),
            "idle" => idle::node_child(&opts),
            "idle-base" => idle::base_child(&opts),
            other => panic!("unknown role `{other}`"),
        }
        return;
    }
    // `cargo bench` appends `--bench`; anything not starting with `-` selects a benchmark.
    let chosen: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    for name in &chosen {
        assert!(
            ALL.contains(name),
            "unknown benchmark `{name}`; one of {ALL:?}"
        );
    }
    let run = |name: &str| chosen.is_empty() || chosen.contains(&name);
    if common::small() {
        println!("FED_SMALL=1: sizes shrunk ~10x (smoke run, figures not comparable to targets)");
    }
    if run("sync-diff") {
        sync_diff::run();
    }
    if run("first-sync") {
        first_sync::run();
    }
    if run("alerts") {
        alerts::run();
    }
    if run("scale") {
        scale::run();
    }
    if run("idle-rss") {
        idle::run();
    }
}

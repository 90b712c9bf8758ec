//! `idle-rss`: a node (TCP on 127.0.0.1, no mDNS) that follows one small compliant
//! circle served by the parent, then idles. Baseline, at the same time: a process that
//! only starts the same runtime and opens a store (a fresh circle).

use std::time::Duration;

use circle_core::invite::Invite;
use circle_node::Node;
use serde_json::json;

use super::common::{
    f, mib, now_secs, report, runtime, size, small_local, status_kib, tcp_config, ChildRun, Opts,
};

pub(crate) fn run() {
    let secs = size("FED_IDLE_SECS", 10, 3) as u64;
    println!("\n== idle-rss: a node following one small circle, idle {secs} s ==");
    let served = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let rt = runtime();
    let node = rt
        .block_on(Node::start(
            small_local(served.path(), "Served", 20),
            tcp_config(Vec::new()),
        ))
        .unwrap();
    let addrs = rt.block_on(node.wait_listening(Duration::from_secs(10)));
    let invite = Invite {
        circle_id: node.circle_id(),
        peer_id: Some(node.peer_id()),
        addrs,
    };
    let limit = Duration::from_secs(secs + 120);
    let mut idle = ChildRun::spawn(
        "idle",
        &[("invite", invite.to_string()), ("secs", secs.to_string())],
    );
    let mut base = ChildRun::spawn("idle-base", &[("secs", secs.to_string())]);
    let (_, n) = idle.json(limit);
    let (_, b) = base.json(limit);
    idle.finish(Duration::from_secs(30));
    base.finish(Duration::from_secs(30));
    rt.block_on(node.shutdown());
    assert!(
        n["synced"].as_bool() == Some(true),
        "idle node did not sync: {n}"
    );
    let (rss, hwm) = (f(&n, "rss_kib"), f(&n, "hwm_kib"));
    let (b_rss, b_hwm) = (f(&b, "rss_kib"), f(&b, "hwm_kib"));
    println!(
        "node after {secs} s idle, VmRSS         : {:>6.1} MiB   (target < 30 MiB; VmHWM {:.1} MiB; {} changes followed)",
        mib(rss as u64),
        mib(hwm as u64),
        n["changes"]
    );
    println!(
        "baseline runtime + store, VmRSS : {:>6.1} MiB   (VmHWM {:.1} MiB)",
        mib(b_rss as u64),
        mib(b_hwm as u64)
    );
    println!(
        "what the node adds             : {:>6.1} MiB   (ratio {:.2}x)",
        mib((rss - b_rss).max(0.0) as u64),
        rss / b_rss
    );
}

/// Child: a node that follows the invite's circle, then idles and reports its RSS.
pub(crate) fn node_child(o: &Opts) {
    let invite: Invite = o.get("invite").parse().unwrap();
    let secs = o.num("secs");
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let rt = runtime();
    rt.block_on(async {
        let local = circle_node::LocalCircle::init(dir.path(), "Idle", 14, now_secs()).unwrap();
        let node = Node::start(local, tcp_config(Vec::new())).await.unwrap();
        let follow = node.follow(invite, None);
        let r = tokio::time::timeout(Duration::from_secs(60), follow)
            .await
            .expect("follow timed out")
            .unwrap();
        tokio::time::sleep(Duration::from_secs(secs)).await;
        report(json!({
            "synced": r.synced,
            "changes": r.changes,
            "rss_kib": status_kib("VmRSS"),
            "hwm_kib": status_kib("VmHWM"),
        }));
        node.shutdown().await;
    });
}

/// Child: the same runtime and a freshly created store, nothing else.
pub(crate) fn base_child(o: &Opts) {
    let secs = o.num("secs");
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let rt = runtime();
    rt.block_on(async {
        let local = circle_node::LocalCircle::init(dir.path(), "Idle", 14, now_secs()).unwrap();
        tokio::time::sleep(Duration::from_secs(secs)).await;
        report(json!({
            "rss_kib": status_kib("VmRSS"),
            "hwm_kib": status_kib("VmHWM"),
        }));
        drop(local);
    });
}

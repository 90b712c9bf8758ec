//! Two circles federating on this machine: a runnable tour of the node API.
//!
//! `cargo run --example federate`
//!
//! Elm Road Tenants declares a fund, signs the pledge and publishes a tactic; the Depot
//! Strike Circle follows it over 127.0.0.1, pulls and verifies its signed ledger, lists
//! its tactics, and receives a rapid-defense alert through gossip.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use circle_core::invite::Invite;
use circle_core::ledger::NewTactic;
use circle_node::{LocalCircle, Node, NodeConfig};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A compliant circle on disk: fund declared, pledge signed.
fn circle(dir: &std::path::Path, name: &str) -> Result<LocalCircle> {
    let t = now();
    let mut local = LocalCircle::init(dir, name, 14, t)?;
    local.write(t, |l, s| {
        l.declare_fund(s, t, "Hardship fund").map(|c| ((), c))
    })?;
    local.write(t, |l, s| {
        l.sign_pledge(s, t, "We answer every call for defense.")
            .map(|c| ((), c))
    })?;
    Ok(local)
}

async fn start(local: LocalCircle) -> Result<Node> {
    let cfg = NodeConfig {
        // Loopback only, a random port, no multicast: this example stays on this machine.
        listen: vec!["/ip4/127.0.0.1/tcp/0".into()],
        mdns: false,
        resync: Duration::from_secs(1),
        ..NodeConfig::default()
    };
    let node = Node::start(local, cfg).await?;
    node.wait_listening(Duration::from_secs(5)).await;
    Ok(node)
}

#[tokio::main]
async fn main() -> Result<()> {
    let (dir_a, dir_b) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let mut tenants = circle(dir_a.path(), "Elm Road Tenants")?;
    let t = now();
    let tactic = NewTactic {
        title: "Phone tree".into(),
        body: "Each of us calls three neighbours; the last calls back.".into(),
        license: "CC-BY-SA-4.0".into(),
        tags: vec!["defense".into()],
        lineage: Vec::new(),
    };
    tenants.write(t, |l, s| l.publish_tactic(s, t, &tactic))?;

    let a = start(tenants).await?;
    let b = start(circle(dir_b.path(), "Depot Strike Circle")?).await?;
    let invite = Invite {
        circle_id: a.circle_id(),
        peer_id: Some(a.peer_id()),
        addrs: a.addrs(),
    };
    println!("invite: {invite}");

    let followed = b.follow(invite, None).await?;
    println!(
        "followed \"{}\": {} signed changes, compliant: {}",
        followed.name, followed.changes, followed.compliant
    );
    let replica = b
        .with_local(|local| local.sister(&a.circle_id()))?
        .context("the replica is missing")?;
    for t in replica.ledger.tactics() {
        println!("tactic from the tenants: {} ({})", t.title, t.license);
    }

    let mut alerts = b.subscribe_alerts();
    // The gossip mesh forms within a few heartbeats; until then an alert stays local.
    for _ in 0..50 {
        let (_, delivered) = a
            .send_alert("Eviction on Elm Road at 8, come now".into())
            .await?;
        if delivered {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let alert = tokio::time::timeout(Duration::from_secs(10), alerts.recv()).await??;
    println!("alert received by the strike circle: {}", alert.text);

    a.shutdown().await;
    b.shutdown().await;
    Ok(())
}

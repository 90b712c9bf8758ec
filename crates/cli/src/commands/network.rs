//! The commands that need the network: `follow` (through the running node, or a
//! short-lived one) and `alert send`, and what `alerts`, `status`, `id` and `invite` say
//! about the network.

use anyhow::{Context, Result};
use circle_core::invite::Invite;
use circle_core::public_text::Field;
use circle_node::{LocalCircle, NetStatus, Node, NodeConfig, SyncProgress};
use serde_json::json;

use crate::Report;

/// The async runtime of `serve` and of a short-lived node: two workers (a Raspberry Pi).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Said when an invite lists no address although the node runs.
pub(crate) const NO_SHAREABLE_ADDR: &str = "(the invite lists no address: this node listens      only on private or local ones; list one with `circle serve --announce MULTIADDR`, or      `--listen` with that IP)";

/// Follows without a running node: a short-lived node syncs once, then stops.
pub(crate) fn follow_offline(local: LocalCircle, invite: &str) -> Result<Report> {
    runtime()?.block_on(async {
        let node = short_lived_node(local, FirstSync::Snapshot).await?;
        let report = follow(&node, invite, Some(&progress_printer("syncing"))).await;
        node.shutdown().await;
        report
    })
}

/// How a short-lived node syncs a circle it does not hold yet.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum FirstSync {
    /// The vouched history as one snapshot, if the node's setting allows it (a sister).
    Snapshot,
    /// Every change with its signature: a device of the circle keeps the whole signed
    /// record, so it can export, archive and serve every change one by one.
    ChangeByChange,
}

/// A node that only dials out (no listener, no mDNS), for one command's sync.
pub(crate) async fn short_lived_node(local: LocalCircle, first_sync: FirstSync) -> Result<Node> {
    let defaults = NodeConfig::default();
    let cfg = NodeConfig {
        listen: Vec::new(),
        mdns: false,
        snapshot_first_sync: defaults.snapshot_first_sync && first_sync == FirstSync::Snapshot,
        ..defaults
    };
    Ok(Node::start(local, cfg).await?)
}

/// Shows a long sync's progress on stderr, on one line.
pub(crate) fn progress_printer(what: &'static str) -> impl Fn(&SyncProgress) + Send + Sync {
    move |p: &SyncProgress| {
        eprint!("\r{what}: {} changes received", p.changes_received);
        if p.done {
            eprintln!();
        }
    }
}

pub(crate) async fn follow(
    node: &Node,
    invite: &str,
    on_progress: Option<circle_node::OnProgress<'_>>,
) -> Result<Report> {
    let invite: Invite = invite.parse()?;
    check_invite(&invite)?;
    let r = node.follow(invite, on_progress).await?;
    let text = if !r.synced {
        format!(
            "following circle {}; no peer served its ledger yet (it syncs when one is reachable)",
            r.circle_id
        )
    } else if r.compliant {
        format!(
            "following \"{}\" ({}): {} signed changes, keeps the protocol",
            r.name, r.circle_id, r.changes
        )
    } else {
        format!(
            "following \"{}\" ({}): {} signed changes, but it does NOT keep the protocol, so its content is not shown (see `circle protocol status {}`)",
            r.name, r.circle_id, r.changes, r.circle_id
        )
    };
    Ok(Report::new(&r, text))
}

/// An invite must name a node that can be asked for the circle: a valid peer id and
/// addresses that parse. Anything less would be kept as a follow nothing can ever serve.
pub(crate) fn check_invite(invite: &Invite) -> Result<()> {
    let peer = invite
        .peer_id
        .as_deref()
        .context("the invite names no node (`peer=`); ask for a fresh one from `circle invite`")?;
    peer.parse::<circle_net::PeerId>()
        .map_err(|_| anyhow::anyhow!("the invite's node `{peer}` is not a peer id; ask for a fresh invite from `circle invite`"))?;
    for a in &invite.addrs {
        a.parse::<circle_net::Multiaddr>()
            .map_err(|_| anyhow::anyhow!("the invite's address `{a}` is not a multiaddr; ask for a fresh invite from `circle invite`"))?;
    }
    Ok(())
}

pub(crate) async fn alert_send(node: &Node, text: String) -> Result<Report> {
    // Urgent: warned about, never blocked (see circle_core::public_text).
    let mut screen = node.with_local(|local| local.public_text())?;
    let text = screen.check(Field::AlertText, &text)?;
    let (alert, delivered) = node.send_alert(text).await?;
    let note = match alert.delivered_to.len() {
        0 => "kept here; no circle node is connected yet: it goes out to the first that \
              connects within a day"
            .to_owned(),
        1 => "sent to 1 circle node".to_owned(),
        n => format!("sent to {n} circle nodes"),
    };
    Ok(Report::new(
        json!({ "alert_id": alert.alert_id, "circle_id": alert.circle_id,
                "delivered": delivered, "delivered_to": alert.delivered_to }),
        format!("alert {} {note}", alert.alert_id),
    )
    .with_warnings(&screen))
}

/// `circle alerts` (with or without a running node).
pub(crate) fn alerts(local: &LocalCircle) -> Result<Report> {
    let all = circle_node::stored_alerts(local.store(), &local.circle_id())?;
    // Alerts name their circle by id; a person knows circles by name.
    let mut names = std::collections::HashMap::new();
    let text = if all.is_empty() {
        "no alerts".to_owned()
    } else {
        all.iter()
            .map(|a| {
                let reach = match (a.own, a.delivered_to.len()) {
                    (false, _) => String::new(),
                    (true, 0) => " (not delivered yet)".to_owned(),
                    (true, n) => format!(
                        " (delivered to {n} circle node{}: {})",
                        if n == 1 { "" } else { "s" },
                        a.delivered_to
                            .iter()
                            .map(|p| short_peer(p))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                let name = names
                    .entry(a.circle_id.clone())
                    .or_insert_with(|| super::sisters::circle_name(local, &a.circle_id));
                format!(
                    "[{}] {} {name}: {}{reach}",
                    ago(super::now().saturating_sub(a.sent)),
                    if a.own { "sent by" } else { "from" },
                    a.text
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    Ok(Report::new(&all, text))
}

/// The last characters of a PeerId: the first ones are the same for every node.
fn short_peer(peer: &str) -> &str {
    peer.get(peer.len().saturating_sub(8)..).unwrap_or(peer)
}

/// "5 min ago": alerts carry minute-precision times, and relative ones read best.
fn ago(secs: u64) -> String {
    match secs / 60 {
        0 => "just now".to_owned(),
        m if m < 60 => format!("{m} min ago"),
        m if m < 48 * 60 => format!("{} h ago", m / 60),
        m => format!("{} ago", crate::report::days(m / (24 * 60))),
    }
}

/// Network facts for `status`, `id` and `invite`, when a node runs.
pub(crate) fn net_json(net: Option<&NetStatus>) -> (bool, Vec<String>, Vec<String>) {
    match net {
        Some(n) => (true, n.addrs.clone(), n.peers.clone()),
        None => (false, Vec::new(), Vec::new()),
    }
}

//! `circle serve`, `circle follow` and `circle alert`: the commands that need the network,
//! and the local socket through which a running node takes every other command.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use circle_core::invite::Invite;
use circle_core::public_text::Field;
use circle_node::{LocalCircle, NetStatus, Node, NodeConfig, SyncProgress};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::args::{AlertCmd, Command, ServeArgs};
use crate::remote::{socket_path, RemoteRequest, RemoteResponse, MAX_REQUEST};
use crate::Report;

/// Requests served at once over the local socket; more wait for a slot.
const LOCAL_CLIENTS: usize = 32;
/// How long a stopping node waits for commands in flight to answer.
const CLIENTS_DRAIN: Duration = Duration::from_secs(5);

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Runs the node until SIGINT or SIGTERM.
pub(crate) fn serve(dir: &Path, args: ServeArgs, json: bool, now: u64) -> Result<Report> {
    // Refuse an exposed web page without a token before anything starts.
    let http = crate::http::HttpConfig::from_args(args.http, args.no_http, args.token.clone())?;
    let created = args.name.is_some() && !dir.join("store").join("db").exists();
    let local = match &args.name {
        Some(name) if created => {
            crate::private::ensure_dir(dir)?;
            LocalCircle::init(dir, name, args.term_days, now)
                .with_context(|| format!("cannot create a circle in {}", dir.display()))?
        }
        _ => super::open(dir)?,
    };
    // Private before the socket is bound in it and the token is read from it.
    crate::private::ensure_dir(dir)?;
    let http = match http {
        Some(h) => Some((h.access(dir)?, h)),
        None => None,
    };
    let cfg = NodeConfig {
        listen: if args.listen.is_empty() {
            NodeConfig::default().listen
        } else {
            args.listen
        },
        peers: args.peers,
        announce: args.announce,
        mdns: !args.no_mdns,
        relay_server: args.relay,
        memory: false,
        resync: Duration::from_secs(args.resync_secs),
        page_bytes: args.sync_page_kib * 1024,
        ..NodeConfig::default()
    };
    let follow_lan = args.follow_lan.then_some(cfg.resync);
    runtime()?.block_on(run_node(dir, local, cfg, http, follow_lan, (json, created)))
}

async fn run_node(
    dir: &Path,
    local: LocalCircle,
    cfg: NodeConfig,
    http: Option<(crate::http::HttpAccess, crate::http::HttpConfig)>,
    follow_lan: Option<Duration>,
    (json, created): (bool, bool),
) -> Result<Report> {
    let name = local.circle().ledger.name();
    // Bound before the node starts, so a taken port stops nothing half-started.
    let web_listener = match &http {
        Some((_, h)) => crate::http::bind(h).await?,
        None => None,
    };
    let node = Node::start(local, cfg).await?;
    if let Some(every) = follow_lan {
        node.follow_lan(every);
    }
    let addrs = node.wait_listening(Duration::from_secs(5)).await;
    // We hold the store, so no other node runs here: a socket left by a crash is stale.
    let sock = socket_path(dir);
    let _ = std::fs::remove_file(&sock);
    // Bound inside the data directory, made 0700 before (`private::ensure_dir`): no
    // other account can reach the socket at any moment, not even before a chmod.
    let listener = tokio::net::UnixListener::bind(&sock)
        .with_context(|| format!("cannot create the local socket {}", sock.display()))?;
    let web = match (http, web_listener) {
        (Some((access, _)), Some(l)) => Some(crate::http::spawn(node.clone(), access, l)),
        _ => None,
    };
    let mut stop = std::pin::pin!(shutdown_signal());
    let page = web.as_ref().map(|w| (w.url(), w.sign_in_url()));
    announce_start(&node, &name, &addrs, page, (json, created));
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(LOCAL_CLIENTS));
    let mut failed = std::pin::pin!(node.store_failed());
    let mut failure = None;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let Ok(slot) = slots.clone().acquire_owned().await else { break };
                let node = node.clone();
                tokio::spawn(async move {
                    handle_client(node, stream).await;
                    drop(slot);
                });
            }
            _ = &mut stop => break,
            // A write that reached memory but not the disk: stop before the node
            // serves a change it may not have after a restart.
            why = &mut failed => {
                failure = Some(why);
                break;
            }
        }
    }
    let _ = std::fs::remove_file(&sock);
    // Let commands in flight send their answers (bounded): a client whose write just
    // failed should read why, not an unexpected end of stream.
    let _ = tokio::time::timeout(CLIENTS_DRAIN, slots.acquire_many(LOCAL_CLIENTS as u32)).await;
    if let Some(web) = web {
        web.shutdown().await;
    }
    node.shutdown().await;
    if let Some(why) = failure {
        bail!(
            "the node stopped: a write could not be stored: {why}. Every acknowledged write \
             is kept; start `circle serve` again once that is fixed"
        );
    }
    Ok(Report::new(json!({ "stopped": true }), "node stopped"))
}

/// The first lines a person (or a test) reads: where the node can be reached.
/// The page's sign-in link (it holds the token) is printed once at start, so the person who
/// started the node can open the page; `circle token` prints it again. A service's unit keeps
/// its journal readable only by administrators (docs/PI.md).
fn announce_start(
    node: &Node,
    name: &str,
    addrs: &[String],
    page: Option<(&str, &str)>,
    (json, created): (bool, bool),
) {
    use std::io::Write;
    let http = page.map(|p| p.0);
    let web = match page {
        None => "off".to_owned(),
        Some((_, sign_in)) => {
            format!("{sign_in}\n  (open it once: it signs this browser in; `circle token` prints it again)")
        }
    };
    let invite = invite_of(node);
    let hint = if invite.addrs.is_empty() {
        format!("\n{NO_SHAREABLE_ADDR}")
    } else {
        String::new()
    };
    let invite = invite.to_string();
    let mut out = std::io::stdout().lock();
    let _ = if json {
        writeln!(
            out,
            "{}",
            json!({ "circle_id": node.circle_id().to_hex(), "peer_id": node.peer_id(),
                    "addrs": addrs, "invite": invite, "serving": true, "http": http,
                    "created": created })
        )
    } else {
        let created = if created {
            format!(
                "created circle \"{name}\"\n\
                 next, in another terminal: declare a fund (`circle fund declare --description ...`) \
                 and sign the pledge (`circle pledge sign --text ...`), then share the invite below\n"
            )
        } else {
            String::new()
        };
        writeln!(
            out,
            "{}",
            crate::report::printable(&format!(
                "{created}serving circle \"{name}\" ({})\npeer id: {}\nlistening on:\n  {}\ninvite: {invite}{hint}\n\
                 web page: {web}\n\
                 (Ctrl-C stops the node; other `circle` commands talk to it meanwhile)",
                node.circle_id(),
                node.peer_id(),
                addrs.join("\n  "),
            ))
        )
    };
    let _ = out.flush();
}

fn invite_of(node: &Node) -> Invite {
    Invite {
        circle_id: node.circle_id(),
        peer_id: Some(node.peer_id()),
        addrs: node.invite_addrs(),
    }
}

/// Said when an invite lists no address although the node runs.
pub(crate) const NO_SHAREABLE_ADDR: &str = "(the invite lists no address: this node listens      only on private or local ones; list one with `circle serve --announce MULTIADDR`, or      `--listen` with that IP)";

/// SIGINT or SIGTERM. The handlers are installed here, before the node announces
/// itself: a signal sent the moment `serve` has printed its first lines stops it
/// cleanly instead of killing it.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate()).ok();
    let int = signal(SignalKind::interrupt()).ok();
    async move {
        let wait = |s: Option<tokio::signal::unix::Signal>| async move {
            match s {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = wait(int) => {}
            _ = wait(term) => {}
        }
    }
}

async fn handle_client(node: Node, stream: tokio::net::UnixStream) {
    let (read, mut write) = stream.into_split();
    let mut line = Vec::new();
    let mut reader = BufReader::new(read.take(MAX_REQUEST));
    let answer = match reader.read_until(b'\n', &mut line).await {
        Err(e) => RemoteResponse::Err(format!("cannot read the request: {e}")),
        Ok(_) => match serde_json::from_slice::<RemoteRequest>(&line) {
            Err(e) => {
                RemoteResponse::Err(format!("not a request from this version of circle: {e}"))
            }
            Ok(req) => match run_remote(&node, req).await {
                Ok(report) => RemoteResponse::Ok(report),
                Err(e) => RemoteResponse::Err(format!("{e:#}").replace('\n', " ")),
            },
        },
    };
    let mut bytes = serde_json::to_vec(&answer).unwrap_or_default();
    bytes.push(b'\n');
    let _ = write.write_all(&bytes).await;
}

/// Runs a command inside the running node.
pub(crate) async fn run_remote(node: &Node, req: RemoteRequest) -> Result<Report> {
    let now = super::now();
    match req.command {
        Command::Init { .. } | Command::Serve(_) | Command::Restore { .. } => {
            bail!("a node is already running for this data directory")
        }
        Command::Follow { invite } => follow(node, &invite, None).await,
        Command::Alert(AlertCmd::Send { text }) => alert_send(node, text).await,
        command => {
            let node = node.clone();
            let json = req.json;
            let writes_replicas =
                matches!(command, Command::Import { .. } | Command::Unfollow { .. });
            tokio::task::spawn_blocking(move || {
                let net = node.status();
                let report =
                    node.with_local(|local| super::dispatch(local, command, now, json, Some(&net)));
                if writes_replicas {
                    node.forget_replicas();
                }
                report
            })
            .await
            .context("the command failed inside the node")?
        }
    }
}

/// Follows without a running node: a short-lived node syncs once, then stops.
pub(crate) fn follow_offline(local: LocalCircle, invite: &str) -> Result<Report> {
    runtime()?.block_on(async {
        let cfg = NodeConfig {
            listen: Vec::new(),
            mdns: false,
            ..NodeConfig::default()
        };
        let node = Node::start(local, cfg).await?;
        let print = |p: &SyncProgress| {
            eprint!("\rsyncing: {} changes received", p.changes_received);
            if p.done {
                eprintln!();
            }
        };
        let report = follow(&node, invite, Some(&print)).await;
        node.shutdown().await;
        report
    })
}

async fn follow(
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
fn check_invite(invite: &Invite) -> Result<()> {
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

async fn alert_send(node: &Node, text: String) -> Result<Report> {
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

//! `circle serve`: the running node, its web page, and the local socket through which it
//! takes every other command. Both the socket and the page hand their commands to one
//! [`Executor`]; this module only moves requests and answers.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use circle_core::invite::Invite;
use circle_node::{ErrorKind, LocalCircle, Node, NodeConfig};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::args::ServeArgs;
use crate::commands::network::{runtime, NO_SHAREABLE_ADDR};
use crate::exec::Executor;
use crate::failure::Failure;
use crate::remote::{socket_path, RemoteRequest, RemoteResponse, MAX_REQUEST};
use crate::Report;

/// Requests served at once over the local socket; more wait for a slot.
const LOCAL_CLIENTS: usize = 32;
/// How long a stopping node waits for commands in flight to answer.
const CLIENTS_DRAIN: Duration = Duration::from_secs(5);

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
        _ => crate::commands::open(dir)?,
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
    // One executor for both transports: the socket's commands and the page's.
    let exec = Executor::new(node.clone());
    let web = match (http, web_listener) {
        (Some((access, _)), Some(l)) => Some(crate::http::spawn(exec.clone(), access, l)),
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
                let exec = exec.clone();
                tokio::spawn(async move {
                    handle_client(exec, stream).await;
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

/// One request on the local socket: read, run by the executor, answered in one line.
async fn handle_client(exec: Executor, stream: tokio::net::UnixStream) {
    let (read, mut write) = stream.into_split();
    let mut line = Vec::new();
    let mut reader = BufReader::new(read.take(MAX_REQUEST));
    let answer = match reader.read_until(b'\n', &mut line).await {
        Err(e) => RemoteResponse::Err(Failure::new(
            ErrorKind::Invalid,
            format!("cannot read the request: {e}"),
        )),
        Ok(_) => match serde_json::from_slice::<RemoteRequest>(&line) {
            Err(e) => RemoteResponse::Err(Failure::new(
                ErrorKind::Invalid,
                format!("not a request from this version of circle: {e}"),
            )),
            Ok(req) => match exec.run(req.command, req.json).await {
                Ok(report) => RemoteResponse::Ok(report),
                Err(failure) => RemoteResponse::Err(failure),
            },
        },
    };
    let mut bytes = serde_json::to_vec(&answer).unwrap_or_default();
    bytes.push(b'\n');
    let _ = write.write_all(&bytes).await;
}

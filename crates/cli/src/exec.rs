//! The one executor of a running node: every command that reaches `circle serve` — over
//! the local socket from another `circle` process, or from the web API — runs here, in
//! the same way, bounded the same way, and fails the same way (a [`Failure`]).
//!
//! Network commands (`follow`, `alert send`) call the [`Node`]; every other command runs
//! [`commands::dispatch`] on the node's own circle on a blocking thread, at most
//! [`WORKERS`] at once (a command waits [`QUEUE_WAIT`] for a slot, then fails as
//! unavailable). After an `import` or `unfollow` the node's replica cache is dropped, so
//! sync sees what the command stored. The web API's few text-taking variants of file
//! commands (a tactic body, a zine draft, an export) use [`Executor::local`], the same
//! slots and thread.
//!
//! [`commands::dispatch`]: crate::commands::dispatch

use std::sync::Arc;
use std::time::Duration;

use circle_node::{ErrorKind, LocalCircle, NetStatus, Node, NodeError};
use tokio::sync::Semaphore;

use crate::args::{AlertCmd, Command};
use crate::commands::{self, network};
use crate::failure::Failure;
use crate::Report;

/// Commands running at once on blocking threads (they share the circle's lock anyway).
const WORKERS: usize = 8;
/// How long a command waits for a worker before it fails as unavailable.
const QUEUE_WAIT: Duration = Duration::from_secs(30);

/// Runs commands inside a running node; cloned for every connection and request.
#[derive(Clone, Debug)]
pub(crate) struct Executor {
    node: Node,
    /// Slots for commands on blocking threads.
    work: Arc<Semaphore>,
}

impl Executor {
    pub(crate) fn new(node: Node) -> Executor {
        Executor {
            node,
            work: Arc::new(Semaphore::new(WORKERS)),
        }
    }

    pub(crate) fn node(&self) -> &Node {
        &self.node
    }

    /// Runs `command` inside the node; `json` chooses the report's form, as `--json`.
    pub(crate) async fn run(&self, command: Command, json: bool) -> Result<Report, Failure> {
        let now = commands::now();
        match command {
            Command::Init { .. }
            | Command::Join { .. }
            | Command::Serve(_)
            | Command::Restore { .. } => Err(Failure::of(&anyhow::Error::new(
                NodeError::Conflict("a node is already running for this data directory".into()),
            ))),
            Command::Follow { invite } => network::follow(&self.node, &invite, None)
                .await
                .map_err(Failure::from),
            Command::Alert(AlertCmd::Send { text }) => network::alert_send(&self.node, text)
                .await
                .map_err(Failure::from),
            command => {
                let writes_replicas =
                    matches!(command, Command::Import { .. } | Command::Unfollow { .. });
                self.blocking(move |node| {
                    let net = node.status();
                    let report = node.with_local(|local| {
                        commands::dispatch(local, command, now, json, Some(&net))
                    });
                    if writes_replicas {
                        node.forget_replicas();
                    }
                    report.map_err(Failure::from)
                })
                .await
            }
        }
    }

    /// Runs `f` on the own circle on a blocking thread, within the same bound as
    /// [`Executor::run`]. For the web API's text-taking variants of file commands.
    pub(crate) async fn local<T, E>(
        &self,
        f: impl FnOnce(&mut LocalCircle, &NetStatus) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<Failure> + Send + 'static,
    {
        self.blocking(move |node| {
            let net = node.status();
            node.with_local(|local| f(local, &net))
        })
        .await
    }

    async fn blocking<T, E>(
        &self,
        f: impl FnOnce(&Node) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<Failure> + Send + 'static,
    {
        let busy = || {
            Failure::new(
                ErrorKind::Unavailable,
                "the node is busy; try again in a moment",
            )
        };
        let permit = tokio::time::timeout(QUEUE_WAIT, self.work.clone().acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(|_| busy())?;
        let node = self.node.clone();
        tokio::task::spawn_blocking(move || {
            let out = f(&node);
            drop(permit);
            out
        })
        .await
        .map_err(|_| Failure::new(ErrorKind::Unavailable, "the command failed inside the node"))?
    }
}

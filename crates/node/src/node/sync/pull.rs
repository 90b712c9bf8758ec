//! Pulling one circle from one peer: the node drives core's `sync::Puller` (it asks,
//! times out, takes the locks, stores and reports; the puller decides).

use circle_core::keys::Hash32;
use circle_core::sync::{self as proto, Next, Puller, Request, Response, Stop};
use circle_net::PeerId;
use tracing::{info, warn};

use super::{
    join_err, lock, net_err, short, sync_err, Node, OnProgress, SyncProgress,
    INVALID_CONTENT_CUT_OFF,
};
use crate::guard::cert_source;
use crate::replicas::Slot;
use crate::NodeError;

impl Node {
    pub(super) async fn pull_pages(
        &self,
        peer: PeerId,
        circle: Hash32,
        on_progress: Option<OnProgress<'_>>,
    ) -> Result<bool, NodeError> {
        // Pinned for the whole pull, so what it leaves waiting goes back to this slot.
        let slot = if circle == self.inner.own {
            self.inner.replicas.own.clone()
        } else {
            let replicas = self.clone();
            tokio::task::spawn_blocking(move || replicas.inner.replicas.get(&circle))
                .await
                .map_err(join_err)??
        };
        // Two rounds at most: a replica may learn only from the first pull's certificates
        // that the circle started an epoch (a first sync of a circle that forgot).
        let mut result = Ok(false);
        for round in 0..2 {
            // A first sync: the vouched history as one document, if the peer serves one;
            // the pull below then starts from its heads.
            let first = self.inner.snapshot_first_sync
                && circle != self.inner.own
                && lock(&slot).replica.is_none();
            // A replica whose chain started an epoch it could not derive here (it lacked
            // history the handover named): the new epoch's vouched base is the only way
            // on, whatever the snapshot setting, since peers no longer serve the old
            // history.
            let missed_epoch = self.missed_epoch(circle, &slot)?;
            if round > 0 && !missed_epoch {
                break;
            }
            let installed = if first || missed_epoch {
                self.fetch_snapshot(peer, circle, &slot).await?
            } else {
                None
            };
            if let Some(installed) = installed {
                let progress = SyncProgress {
                    circle_id: circle.to_hex(),
                    pages: 1,
                    done: !installed.more,
                    ..SyncProgress::default()
                };
                if let Some(f) = on_progress {
                    f(&progress);
                }
                // The responder held nothing past the snapshot: no pull to make.
                if !installed.more {
                    lock(&self.inner.live).progress.insert(circle, progress);
                    result = Ok(true);
                    continue;
                }
            }
            let (node, s) = (self.clone(), slot.clone());
            let puller = tokio::task::spawn_blocking(move || node.start_pull(peer, circle, &s))
                .await
                .map_err(join_err)??;
            let mut held = Some(puller);
            result = self
                .drive_pull(peer, circle, &slot, &mut held, on_progress)
                .await;
            // What waits in quarantine stays with the circle for its next pull (lost only
            // if a blocking task failed, or on restart: the persisted sync point covers
            // applied changes only).
            if let Some(p) = held {
                lock(&slot).give_back(p.into_quarantine());
            }
            if result.is_err() {
                break;
            }
        }
        result
    }

    /// Whether the held replica's chain (the local circle's, for the own circle) is in a
    /// later epoch than its stored ledger.
    fn missed_epoch(&self, circle: Hash32, slot: &Slot) -> Result<bool, NodeError> {
        let chain_epoch = if circle == self.inner.own {
            lock(&self.inner.local).circle().chain.epoch()
        } else {
            match lock(slot).replica.as_ref() {
                Some(r) => r.chain.epoch(),
                None => return Ok(false),
            }
        };
        Ok(self.inner.store.epoch(&circle)? < chain_epoch)
    }

    /// A pull of `circle` from `peer`, from the heads persisted after the last sync
    /// with it, with what earlier pulls left waiting.
    fn start_pull(&self, peer: PeerId, circle: Hash32, slot: &Slot) -> Result<Puller, NodeError> {
        let who = peer.to_string();
        let shared = self.inner.store.shared_heads(&who, &circle)?;
        let waiting = lock(slot).take_quarantine();
        Ok(Puller::new(circle, &shared, self.inner.page_bytes)
            .with_source(cert_source(&who))
            .with_quarantine(waiting))
    }

    /// Asks, times out, keeps and reports, page after page, as the core's puller says.
    async fn drive_pull(
        &self,
        peer: PeerId,
        circle: Hash32,
        slot: &Slot,
        held: &mut Option<Puller>,
        on_progress: Option<OnProgress<'_>>,
    ) -> Result<bool, NodeError> {
        let mut progress = SyncProgress {
            circle_id: circle.to_hex(),
            ..SyncProgress::default()
        };
        // The whole pull, every page, within one budget: a peer that drips pages slowly
        // holds one pull slot for at most this long.
        let deadline = tokio::time::Instant::now() + self.inner.pull_budget;
        for _ in 0..proto::MAX_PAGES {
            let (node, s) = (self.clone(), slot.clone());
            let mut puller = take_puller(held)?;
            let (puller, request) = tokio::task::spawn_blocking(move || {
                let r = node.pull_request(circle, &s, &mut puller);
                (puller, r)
            })
            .await
            .map_err(join_err)?;
            *held = Some(puller);
            let Some(request) = request? else {
                break;
            };
            let asked = self.inner.net.request(peer, request);
            let Ok(answer) = tokio::time::timeout_at(deadline, asked).await else {
                self.bench(peer, "over the pull's time budget").await;
                return Err(NodeError::Net("the pull ran over its time budget".into()));
            };
            let bytes = answer.map_err(net_err)?;
            let page = match Response::decode(&bytes).map_err(sync_err)? {
                Response::Page(page) => page,
                Response::NotServed => return Ok(false),
                Response::Refused(why) => {
                    return Err(NodeError::Net(format!("peer refused: {why}")))
                }
                Response::Catalog(_)
                | Response::Proposals(_)
                | Response::Snapshot(_)
                | Response::Checkpoint(_) => {
                    return Err(NodeError::Net(
                        "peer answered a pull with something else".into(),
                    ))
                }
            };
            let received = page.changes.len();
            progress.pages += 1;
            progress.changes_received += received as u64;
            let (node, s) = (self.clone(), slot.clone());
            let mut puller = take_puller(held)?;
            let (puller, outcome) = tokio::task::spawn_blocking(move || {
                let o = node.apply_page(peer, circle, &s, page, &mut puller);
                (puller, o)
            })
            .await
            .map_err(join_err)?;
            *held = Some(puller);
            let outcome = match outcome {
                Ok(o) => o,
                Err(e) => {
                    // A peer that serves invalid content is cut off: disconnected, and
                    // refused both ways for a while so a redial cannot bring it straight back.
                    warn!(%e, "a peer served invalid content; it is cut off for ten minutes");
                    let _ = self.inner.net.cut_off(peer, INVALID_CONTENT_CUT_OFF).await;
                    return Err(e);
                }
            };
            progress.done = !outcome.more;
            progress.pending = outcome.pending as u64;
            if progress.pages > 1 || outcome.more {
                info!(
                    circle = %short(&circle),
                    pages = progress.pages,
                    changes = progress.changes_received,
                    "syncing"
                );
            }
            // A pull that finds nothing new keeps the record of the last one that
            // did: `circle status` shows how the circle's sync went, not a no-op.
            {
                let mut live = lock(&self.inner.live);
                if progress.changes_received > 0 || !live.progress.contains_key(&circle) {
                    live.progress.insert(circle, progress.clone());
                }
            }
            if let Some(f) = on_progress {
                f(&progress);
            }
            match outcome.next {
                Next::Request => {}
                Next::Done | Next::Stop(Stop::MaxPages) => break,
                Next::Stop(Stop::Overflow) => {
                    warn!(
                        circle = %short(&circle),
                        "a past steward term is larger than the quarantine holds; sync stops here"
                    );
                    return Err(NodeError::Invalid(
                        "the quarantine is full: this circle's history cannot be verified in one pull"
                            .into(),
                    ));
                }
                Next::Stop(Stop::Stale) => {
                    // Only what we hold, and "more": it would go on for ever.
                    self.bench(peer, "a page of changes held already").await;
                    return Err(NodeError::Net(
                        "the peer sent only changes held already".into(),
                    ));
                }
                // Turned into an error by `apply_page`.
                Next::Stop(stop) => {
                    return Err(NodeError::Invalid(format!("the pull stopped: {stop:?}")))
                }
            }
        }
        Ok(true)
    }

    /// The puller's next request for `circle`, encoded, built from what this node holds
    /// of it now; `None` once the pull is over.
    fn pull_request(
        &self,
        circle: Hash32,
        slot: &Slot,
        puller: &mut Puller,
    ) -> Result<Option<Vec<u8>>, NodeError> {
        let req = if circle == self.inner.own {
            let local = lock(&self.inner.local);
            let c = local.circle();
            puller.request(Some(&c.ledger), Some(&c.chain))
        } else {
            let held = lock(slot);
            match &held.replica {
                Some(r) => puller.request(Some(&r.ledger), Some(&r.chain)),
                None => puller.request(None, None),
            }
        };
        Ok(req.map(|r| Request::Pull(r).encode()))
    }
}

/// The puller, back from the blocking task it was lent to.
fn take_puller(held: &mut Option<Puller>) -> Result<Puller, NodeError> {
    held.take()
        .ok_or_else(|| NodeError::Invalid("the pull's state was lost".into()))
}

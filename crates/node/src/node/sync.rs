//! Sync with peers: answering catalogs and pulls, pulling followed circles, following.
//!
//! The protocol is pull-only (core's `sync` module): a node never accepts content it did
//! not ask for. When a peer's pull shows it has changes we lack, we pull back from it.

use std::time::{Duration, Instant};

use circle_core::invite::Invite;
use circle_core::keys::Hash32;
use circle_core::sync::{self as proto, CatalogEntry, Next, Request, Response, Serve};
use circle_net::{Multiaddr, PeerId};
use serde::Serialize;
use tracing::{debug, warn};

use super::{join_err, lock, net_err, now, Job, Node};
use crate::NodeError;

mod apply;
mod collect;
mod proposals;
mod pull;
mod snapshot;
#[cfg(test)]
mod tests;

/// Bytes of changes asked for per page: well under the 8 MiB response cap, small
/// enough that a Raspberry Pi holds a page comfortably.
pub(crate) const PAGE_BYTES: u32 = 2 * 1024 * 1024;
/// Longest wait for another pull of the same circle to end before pulling anyway.
const PULL_WAIT: Duration = Duration::from_secs(300);
/// How long a follow waits for the providers of a circle in the DHT.
const PROVIDER_WAIT: Duration = Duration::from_secs(10);
/// How long a peer that served invalid content (a forged, malformed or falsely evidenced
/// page) is refused. Long enough that it is not pulled from again at once; short enough
/// that a sister whose node was fixed is not shut out for good.
const INVALID_CONTENT_CUT_OFF: Duration = Duration::from_secs(600);

/// How far the sync of one circle got, for `circle status` and progress lines.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SyncProgress {
    pub circle_id: String,
    pub pages: u64,
    pub changes_received: u64,
    /// Received changes waiting in quarantine (e.g. for a later term's handover).
    pub pending: u64,
    pub done: bool,
}

/// What one kept page leaves behind.
#[derive(Debug)]
struct PageOutcome {
    /// What the puller does next.
    next: Next,
    /// The page said the responder has more.
    more: bool,
    /// Changes waiting in the pull's quarantine.
    pending: usize,
}

/// What `circle follow` reports.
#[derive(Clone, Debug, Serialize)]
pub struct FollowReport {
    pub circle_id: String,
    pub name: String,
    pub changes: usize,
    pub compliant: bool,
    /// Whether any peer served the circle's ledger this time.
    pub synced: bool,
    /// Changes received but not yet verifiable (waiting in quarantine).
    pub pending: usize,
}

/// A progress callback for long syncs (the CLI prints it on stderr).
pub type OnProgress<'a> = &'a (dyn Fn(&SyncProgress) + Send + Sync);

impl Node {
    /// Answers one sync request (runs the work on a blocking thread).
    pub(super) async fn answer(&self, peer: PeerId, request: Vec<u8>) -> Vec<u8> {
        let node = self.clone();
        let response = tokio::task::spawn_blocking(move || node.answer_blocking(peer, &request))
            .await
            .unwrap_or_else(|_| Response::Refused("internal error".into()));
        response.encode()
    }

    fn answer_blocking(&self, peer: PeerId, request: &[u8]) -> Response {
        let result = match Request::decode(request) {
            Err(e) => {
                debug!(%e, "refusing a malformed sync request");
                return Response::Refused(e.to_string());
            }
            Ok(Request::Catalog) => self.catalog().map(Response::Catalog),
            Ok(Request::Pull(req)) => self.answer_pull(peer, req),
            Ok(Request::Proposals { circle_id }) => self.answer_proposals(circle_id),
            Ok(Request::Snapshot { circle_id }) => self.answer_snapshot(peer, circle_id),
            Ok(Request::Checkpoint { circle_id }) => self.answer_checkpoint(circle_id),
        };
        result.unwrap_or_else(|e| {
            warn!(%e, "cannot answer a sync request");
            Response::Refused("the node could not read its store".into())
        })
    }

    /// The circles this node serves: its own, and every compliant followed circle.
    fn catalog(&self) -> Result<Vec<CatalogEntry>, NodeError> {
        let store = &self.inner.store;
        let mut out = Vec::new();
        {
            let local = lock(&self.inner.local);
            let c = local.circle();
            out.push(CatalogEntry {
                circle_id: self.inner.own,
                term: c.term(),
                heads_digest: proto::heads_digest(&hashes(&c.ledger.heads())),
            });
        }
        for id in store.followed()? {
            if let Some(s) = store.summary(&id)? {
                if s.compliant {
                    out.push(CatalogEntry {
                        circle_id: id,
                        term: s.term,
                        heads_digest: s.heads_digest,
                    });
                }
            }
        }
        Ok(out)
    }

    fn answer_pull(&self, peer: PeerId, req: proto::PullRequest) -> Result<Response, NodeError> {
        let store = self.inner.store.clone();
        let circle = req.circle_id;
        let who = peer.to_string();
        // The work a peer's requests cause is bounded per window, checked before it is
        // done (each page costs about what it sends; a far-back base costs more).
        if !lock(&self.inner.replicas.work).allows(&who, Instant::now()) {
            return Ok(Response::Refused(
                "over this node's sync work budget for your peer; try again later".into(),
            ));
        }
        let mut envelope = |h: &Hash32| store.envelope(&circle, h).ok().flatten();
        let answered = if circle == self.inner.own {
            // The own circle is served even while it fails the protocol: followers must
            // see the ledger to judge it, and they enforce the protocol themselves.
            let evidence = store.change_evidence_pairs(&circle)?;
            let local = lock(&self.inner.local);
            let c = local.circle();
            let mut order = lock(&self.inner.replicas.own_order);
            let listed = order.refresh(c.ledger.doc());
            let serve = Serve {
                order: Some(&order),
                evidence: &evidence,
            };
            let mut a = proto::answer_pull_with(
                &c.ledger,
                &c.chain,
                &req,
                &mut envelope,
                page_cap(),
                serve,
            );
            a.touched += listed;
            if a.page.missing_on_responder {
                // The asker holds writes of this circle we lack: another device's.
                self.enqueue(Job::Pull(peer, circle));
            }
            a
        } else {
            if !store.is_followed(&circle)? {
                return Ok(Response::NotServed);
            }
            let slot = self.inner.replicas.get(&circle)?;
            let mut held = lock(&slot);
            let held = &mut *held;
            let Some(r) = held.replica.as_ref() else {
                return Ok(Response::NotServed);
            };
            // Relaying is for compliant circles only (the protocol, enforced here).
            if !r.compliance(now()).compliant {
                return Ok(Response::NotServed);
            }
            let evidence = store.change_evidence_pairs(&circle)?;
            let listed = held.order.refresh(r.ledger.doc());
            let serve = Serve {
                order: Some(&held.order),
                evidence: &evidence,
            };
            let mut a = proto::answer_pull_with(
                &r.ledger,
                &r.chain,
                &req,
                &mut envelope,
                page_cap(),
                serve,
            );
            a.touched += listed;
            if a.page.missing_on_responder {
                self.enqueue(Job::Pull(peer, circle));
            }
            a
        };
        let touched = u64::try_from(answered.touched).unwrap_or(u64::MAX);
        lock(&self.inner.replicas.work).charge(&who, touched, Instant::now());
        Ok(Response::Page(answered.page))
    }

    /// Asks `peer` for its catalog and pulls every followed circle whose heads differ.
    pub(super) async fn sync_with(&self, peer: PeerId) -> Result<(), NodeError> {
        let bytes = self
            .inner
            .net
            .request(peer, Request::Catalog.encode())
            .await
            .map_err(net_err)?;
        let entries = match Response::decode(&bytes).map_err(sync_err)? {
            Response::Catalog(entries) => {
                // A circle catalog lists at least the peer's own circle.
                if !entries.is_empty() {
                    self.deliver_to_circle_peer(peer);
                }
                entries
            }
            Response::Refused(why) => return Err(NodeError::Net(format!("peer refused: {why}"))),
            _ => {
                return Err(NodeError::Net(
                    "peer answered a catalog with something else".into(),
                ))
            }
        };
        // Another device of this circle (or a follower of it): it may hold handover
        // proposals this device has not seen.
        if entries.iter().any(|e| e.circle_id == self.inner.own) {
            if let Err(e) = self.pull_proposals(peer).await {
                debug!(%e, "proposals from a device not fetched");
            }
        }
        let device = entries
            .first()
            .is_some_and(|e| e.circle_id == self.inner.own);
        let node = self.clone();
        let wanted = tokio::task::spawn_blocking(move || node.differing(&entries))
            .await
            .map_err(join_err)??;
        for circle in wanted {
            if let Err(e) = self.pull_now(peer, circle).await {
                debug!(%e, "pull after catalog failed");
            }
        }
        // Another device, now that we hold what it holds: the checkpoint it is
        // collecting signatures for (a quorum spread over devices signs one this way).
        if device {
            if let Err(e) = self.exchange_checkpoint(peer).await {
                debug!(%e, "checkpoint from a device not fetched");
            }
        }
        Ok(())
    }

    /// Followed circles in a peer's catalog whose heads differ from ours.
    fn differing(&self, entries: &[CatalogEntry]) -> Result<Vec<Hash32>, NodeError> {
        let store = &self.inner.store;
        let mut out = Vec::new();
        // A catalog lists its node's own circle first: a peer whose own circle is ours is
        // another device of it. Only devices are pulled for the own circle; a follower of
        // it holds no write of ours that a device does not, and one part-way through its
        // first sync would only send back what we hold.
        let device = entries
            .first()
            .is_some_and(|e| e.circle_id == self.inner.own);
        for e in entries {
            if e.circle_id == self.inner.own && !device {
                continue;
            }
            if e.circle_id == self.inner.own {
                // Another device of this circle (or a follower of it) holds what we lack.
                // A newer term with the same heads is a certificate to fetch (a handover
                // certified on that device).
                let local = lock(&self.inner.local);
                let c = local.circle();
                let heads = hashes(&c.ledger.heads());
                if proto::heads_digest(&heads) != e.heads_digest || e.term > c.term() {
                    out.push(e.circle_id);
                }
                continue;
            }
            if !store.is_followed(&e.circle_id)? {
                continue;
            }
            let ours = store.summary(&e.circle_id)?;
            let behind = ours.is_none_or(|s| s.heads_digest != e.heads_digest || e.term > s.term);
            if behind {
                out.push(e.circle_id);
            }
        }
        Ok(out)
    }

    /// Pulls one circle from one peer unless it is being pulled already (that pull covers
    /// it, or the next catalog check finds what is left). For the jobs task.
    pub(super) async fn pull_now(&self, peer: PeerId, circle: Hash32) -> Result<(), NodeError> {
        if !lock(&self.inner.live).pulling.insert(circle) {
            debug!(circle = %short(&circle), "already being pulled");
            return Ok(());
        }
        let _pulling = Pulling { node: self, circle };
        let served = self.pull_pages(peer, circle, None).await?;
        self.completed(peer, circle, served);
        Ok(())
    }

    /// Records a pull of `circle` from `peer` that ran to its end.
    fn completed(&self, peer: PeerId, circle: Hash32, served: bool) {
        if served {
            let at = std::time::Instant::now();
            let mut live = lock(&self.inner.live);
            // Circles dropped since leave entries behind: a bound, not a cache policy.
            if live.completed.len() >= 4096 {
                live.completed.clear();
            }
            live.completed.insert(circle, (peer, at));
        }
    }

    /// Pulls one circle from one peer, page after page. Returns whether the peer served it.
    ///
    /// One pull per circle at a time: `follow` and the catalog job that its new
    /// connection triggers would otherwise both fetch the whole ledger at once (twice
    /// the transfer and verification). A second pull waits (bounded) for the first,
    /// then asks only for what is still missing.
    pub(super) async fn pull(
        &self,
        peer: PeerId,
        circle: Hash32,
        on_progress: Option<OnProgress<'_>>,
    ) -> Result<bool, NodeError> {
        let deadline = tokio::time::Instant::now() + PULL_WAIT;
        let waiting_since = std::time::Instant::now();
        let mut waited = false;
        let mut shown = None;
        loop {
            {
                let mut live = lock(&self.inner.live);
                let running = live.pulling.contains(&circle);
                // The caller's progress display follows the pull it waits for.
                if let (true, Some(p), Some(f)) = (running, live.progress.get(&circle), on_progress)
                {
                    if shown != Some(p.pages) {
                        shown = Some(p.pages);
                        f(p);
                    }
                }
                if !running && waited {
                    // The pull waited for was from this peer and ran to its end: it
                    // fetched what this one would (the next catalog check sees the rest).
                    let done = live.completed.get(&circle);
                    if done.is_some_and(|(p, at)| *p == peer && *at >= waiting_since) {
                        return Ok(true);
                    }
                }
                if !running || tokio::time::Instant::now() >= deadline {
                    live.pulling.insert(circle);
                    break;
                }
                waited = true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _pulling = Pulling { node: self, circle };
        let served = self.pull_pages(peer, circle, on_progress).await?;
        self.completed(peer, circle, served);
        Ok(served)
    }

    /// Follows a sister circle: remembers it, dials its addresses, and pulls its ledger
    /// from whoever serves it (the invite's peer, connected peers, or DHT providers).
    pub async fn follow(
        &self,
        invite: Invite,
        on_progress: Option<OnProgress<'_>>,
    ) -> Result<FollowReport, NodeError> {
        let circle = invite.circle_id;
        if circle == self.inner.own {
            return Err(NodeError::Invalid(
                "that invite is for this node's own circle".into(),
            ));
        }
        let store = self.inner.store.clone();
        let day = circle_core::ledger::day_of(now());
        tokio::task::spawn_blocking(move || {
            store.follow(&circle, day)?;
            store.sync()
        })
        .await
        .map_err(join_err)??;
        self.redial_invite(&invite);
        // Whoever may serve it, nearest first: the invite's node, peers we are connected
        // to, remembered peers, then providers found in the DHT.
        let mut tried = std::collections::HashSet::new();
        let mut synced = false;
        for round in 0..4 {
            let candidates: Vec<PeerId> = match round {
                0 => {
                    let mut reached = Vec::new();
                    for addr in invite_addrs(&invite) {
                        match self.dial(addr).await {
                            Ok(peer) => reached.push(peer),
                            Err(e) => debug!(%e, "invite address not reachable"),
                        }
                    }
                    reached
                }
                1 => lock(&self.inner.live).peers.iter().copied().collect(),
                2 => self.dial_remembered().await,
                _ => {
                    let lookup = self.inner.net.providers(circle.0.to_vec());
                    match tokio::time::timeout(PROVIDER_WAIT, lookup).await {
                        Ok(Ok(found)) => found,
                        _ => Vec::new(),
                    }
                }
            };
            for peer in candidates {
                if peer == self.inner.peer_id || !tried.insert(peer) {
                    continue;
                }
                match self.pull(peer, circle, on_progress).await {
                    Ok(true) => synced = true,
                    Ok(false) => {}
                    Err(e) => debug!(%e, "pull from a candidate failed"),
                }
                if synced {
                    break;
                }
            }
            if synced {
                break;
            }
        }
        let node = self.clone();
        tokio::task::spawn_blocking(move || node.follow_report(circle, synced))
            .await
            .map_err(join_err)?
    }

    /// Dials every remembered peer (bounded by the store's cap); returns who answered.
    async fn dial_remembered(&self) -> Vec<PeerId> {
        let store = self.inner.store.clone();
        let Ok(Ok(peers)) = tokio::task::spawn_blocking(move || store.peers()).await else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for p in peers {
            for addr in p.addrs.iter().filter_map(|a| a.parse::<Multiaddr>().ok()) {
                if let Ok(peer) = self.dial(addr).await {
                    out.push(peer);
                    break;
                }
            }
        }
        out
    }

    fn follow_report(&self, circle: Hash32, synced: bool) -> Result<FollowReport, NodeError> {
        let slot = self.inner.replicas.get(&circle)?;
        let held = lock(&slot);
        let (name, compliant) = match &held.replica {
            Some(r) => (r.ledger.name(), r.compliance(now()).compliant),
            None => (String::new(), false),
        };
        if compliant {
            self.provide(circle);
        }
        // Signed changes held, one by one or vouched for by a snapshot's checkpoint (a
        // count the store keeps: counting the document's changes costs a metadata pass).
        let changes = self.inner.store.change_count(&circle);
        Ok(FollowReport {
            circle_id: circle.to_hex(),
            name,
            changes,
            compliant,
            synced,
            pending: held.quarantined(),
        })
    }
}

/// Marks a circle's pull finished when dropped: on success, error, or a dropped future.
struct Pulling<'a> {
    node: &'a Node,
    circle: Hash32,
}

impl Drop for Pulling<'_> {
    fn drop(&mut self) {
        let mut live = lock(&self.node.inner.live);
        live.pulling.remove(&self.circle);
        // Over, even if it stopped early (its record says how far it got).
        if let Some(p) = live.progress.get_mut(&self.circle) {
            p.done = true;
        }
        drop(live);
        self.node
            .inner
            .pulls_done
            .send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// The invite's addresses, each ending in `/p2p/<PeerId>` so Noise checks who answers.
fn invite_addrs(invite: &Invite) -> Vec<Multiaddr> {
    let peer: Option<PeerId> = invite.peer_id.as_deref().and_then(|p| p.parse().ok());
    invite
        .addrs
        .iter()
        .filter_map(|a| a.parse::<Multiaddr>().ok())
        .map(|a| match (a.iter().last(), peer) {
            (Some(circle_net::multiaddr::Protocol::P2p(_)), _) | (_, None) => a,
            (_, Some(p)) => a.with(circle_net::multiaddr::Protocol::P2p(p)),
        })
        .collect()
}

fn page_cap() -> usize {
    PAGE_BYTES as usize
}

pub(super) fn hashes(heads: &[automerge::ChangeHash]) -> Vec<Hash32> {
    heads.iter().map(|h| Hash32(h.0)).collect()
}

/// The first hex digits of a circle id: enough for logs, says nothing about peers.
pub(super) fn short(id: &Hash32) -> String {
    id.to_hex()[..12].to_owned()
}

fn sync_err(e: proto::SyncError) -> NodeError {
    NodeError::Net(format!("sync: {e}"))
}

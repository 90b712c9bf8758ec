//! Handover proposals between devices of one circle. A proposal and its approvals are
//! not ledger changes (the ledger's handover heads would move under them): each device
//! asks the devices it syncs with for their open proposals of the own circle, and the
//! handover rules (`LocalCircle::merge_proposals`) verify and keep what is new, which
//! certifies the next term once the threshold's signatures are in.

use circle_core::keys::Hash32;
use circle_core::sync::{Request, Response, MAX_SHARED_PROPOSALS, MAX_SHARED_PROPOSAL_BYTES};
use circle_net::PeerId;
use tracing::{debug, info, warn};

use super::{join_err, lock, net_err, now, short, sync_err, Node};
use crate::NodeError;

impl Node {
    /// The own circle's open proposals, for a device that asks. Other circles' are
    /// their devices' business.
    pub(super) fn answer_proposals(&self, circle: Hash32) -> Result<Response, NodeError> {
        if circle != self.inner.own {
            return Ok(Response::NotServed);
        }
        let open = lock(&self.inner.local).proposals_for_sync()?;
        let shared = open
            .into_iter()
            .filter(|p| p.len() <= MAX_SHARED_PROPOSAL_BYTES)
            .take(MAX_SHARED_PROPOSALS)
            .collect();
        Ok(Response::Proposals(shared))
    }

    /// Sends `request` to `peer` and decodes the answer, bounded; a refusal is an error.
    pub(super) async fn ask(&self, peer: PeerId, request: Request) -> Result<Response, NodeError> {
        let bytes = self
            .inner
            .net
            .request(peer, request.encode())
            .await
            .map_err(net_err)?;
        match Response::decode(&bytes).map_err(sync_err)? {
            Response::Refused(why) => Err(NodeError::Net(format!("peer refused: {why}"))),
            answer => Ok(answer),
        }
    }

    /// Asks `peer`, which holds the own circle, for its open proposals and keeps what is
    /// valid and new. Refusals are logged, not penalised: an honest device may still
    /// hold a proposal we have seen expire, withdrawn or certified.
    pub(super) async fn pull_proposals(&self, peer: PeerId) -> Result<(), NodeError> {
        let request = Request::Proposals {
            circle_id: self.inner.own,
        };
        let list = match self.ask(peer, request).await? {
            Response::Proposals(list) => list,
            Response::NotServed => return Ok(()),
            _ => {
                return Err(NodeError::Net(
                    "peer answered a proposals request with something else".into(),
                ))
            }
        };
        if list.is_empty() {
            return Ok(());
        }
        let node = self.clone();
        let report = tokio::task::spawn_blocking(move || {
            node.with_local(|l| l.merge_proposals(list, now()))
        })
        .await
        .map_err(join_err)??;
        if !report.refused.is_empty() {
            warn!(
                refused = report.refused.len(),
                first = %report.refused[0],
                "a device sent handover proposals that do not verify"
            );
        }
        if let Some(term) = report.certified {
            info!(term, circle = %short(&self.inner.own), "handover certified: a new steward term");
        } else if report.merged > 0 {
            debug!(merged = report.merged, "handover proposals kept");
        }
        Ok(())
    }
}

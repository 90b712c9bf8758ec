//! What this node may show of the circles it holds: the protocol's rule that a circle's
//! content (tactics, zines) is shown only while that circle keeps the protocol. Its own
//! circle is always shown, so its organizers see what they wrote.
//!
//! The rule lives here, not in a front-end: the CLI, the socket and the web page all
//! list content through [`LocalCircle::shown`], and a refusal comes back typed
//! ([`NodeError::NotFound`], [`NodeError::NotCompliant`]).

use std::borrow::Cow;

use circle_core::compliance::{compliance, Compliance};
use circle_core::keys::Hash32;
use circle_core::ledger::Ledger;

use crate::{LocalCircle, NodeError};

/// A circle whose content this node may show: its own, or a sister keeping the protocol.
#[derive(Debug)]
pub struct Shown<'a> {
    pub id: Hash32,
    pub ledger: Cow<'a, Ledger>,
}

impl LocalCircle {
    /// The circles in view: `from` alone, or the own circle and every followed sister
    /// that keeps the protocol (the others are left out silently). Asked for by id, an
    /// unknown circle is [`NodeError::NotFound`] and one out of the protocol
    /// [`NodeError::NotCompliant`]: its content is never shown.
    pub fn shown(&self, from: Option<Hash32>, now: u64) -> Result<Vec<Shown<'_>>, NodeError> {
        let own = Shown {
            id: self.circle_id(),
            ledger: Cow::Borrowed(&self.circle().ledger),
        };
        if from == Some(self.circle_id()) {
            return Ok(vec![own]);
        }
        let (ids, mut out) = match from {
            Some(id) => (vec![id], Vec::new()),
            None => (self.sisters()?, vec![own]),
        };
        for id in ids {
            let Some(r) = self.sister(&id)? else {
                return Err(NodeError::NotFound(format!(
                    "circle {id} is not known to this node; import its bundle or follow it first"
                )));
            };
            if r.compliance(now).compliant {
                out.push(Shown {
                    id,
                    ledger: Cow::Owned(r.ledger),
                });
            } else if from.is_some() {
                return Err(NodeError::NotCompliant(format!(
                    "circle {id} does not keep the common rebellion protocol, so its content is not shown (see `circle protocol status {id}`)"
                )));
            }
        }
        Ok(out)
    }

    /// A held circle's compliance and name, as `protocol status` reports them: the own
    /// circle's from its live ledger, a sister's from its stored replica. `None` when
    /// this node holds no such circle. Every summary that says "compliant" asks this.
    pub fn compliance_of(
        &self,
        id: &Hash32,
        now: u64,
    ) -> Result<Option<(Compliance, String)>, NodeError> {
        if *id == self.circle_id() {
            let c = self.circle();
            return Ok(Some((
                compliance(&c.ledger, &c.chain, now),
                c.ledger.name(),
            )));
        }
        Ok(self
            .sister(id)?
            .map(|r| (r.compliance(now), r.ledger.name())))
    }
}

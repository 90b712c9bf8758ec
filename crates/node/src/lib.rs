//! A circle node: the local circle on disk ([`LocalCircle`]: load, write durably,
//! rotate stewards), sister replicas, and the running, federating [`Node`].
//!
//! ```
//! # fn main() -> Result<(), circle_node::NodeError> {
//! let dir = tempfile::tempdir().unwrap();
//! let now = 1_700_000_000;
//! let mut local = circle_node::LocalCircle::init(dir.path(), "Tenants of Elm Road", 14, now)?;
//! let id = local.write(now, |ledger, signer| ledger.log_action(signer, now, "Rent strike meeting", "", &[]))?;
//! assert_eq!(local.circle().ledger.actions()[0].entry_id, id);
//! # Ok(()) }
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod archive;
mod checkpoints;
mod devices;
mod error;
#[doc(hidden)]
pub mod fixtures;
mod guard;
mod handover;
mod lexicon;
mod local;
mod lottery;
mod memory;
mod node;
mod rate;
mod replicas;
mod restore;
mod shown;
mod sisters;

pub use checkpoints::CheckpointStatus;
pub use error::{store_kind, ErrorKind, NodeError};
pub use handover::{DrawRequest, MergeReport, Nominee, ProposalView, ProposeOptions, Retention};
pub use lexicon::{LexiconList, LocalLexicon};
pub use local::{LocalCircle, Signed};
pub use memory::tune_allocator;
pub use node::gossip::stored_alerts;
pub use node::sync::OnProgress;
pub use node::{
    AlertView, FollowReport, NetStatus, Node, NodeConfig, SyncProgress, ALERT_TOPIC, ANNOUNCE_TOPIC,
};
pub use shown::Shown;
pub use sisters::{ImportReport, Replica};

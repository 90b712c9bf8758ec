//! A circle node. Today: the local circle on disk ([`LocalCircle`]) — load, write
//! durably, rotate stewards. Networking joins here with the federation work.
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

mod error;
mod lexicon;
mod local;
mod sisters;

pub use error::NodeError;
pub use lexicon::{LexiconList, LocalLexicon};
pub use local::{LocalCircle, Signed};
pub use sisters::{ImportReport, Replica};

//! The heart of circle-ledger: what a valid circle ledger is, with no I/O.
//!
//! - [`ledger::Ledger`]: typed reads and writes over the circle's Automerge document.
//! - [`keys`]: steward keys, signatures, batch verification.
//! - [`term::TermChain`]: the certificate chain of rotating steward terms.
//! - [`validate::judge`] / [`validate::ingest`]: the one rule deciding whether a change
//!   from anyone may enter a ledger, and verified, pipelined ingest.
//! - [`compliance::compliance`]: the three items of the common rebellion protocol.
//! - [`circle::Circle`]: a new circle's genesis and steward rotation.
//! - [`sync`]: pull-only, paged sync of one ledger, costing O(difference).
//! - [`gossip`]: signed announcements and rapid-defense alerts.
//!
//! Core never touches files, sockets or clocks: callers pass `now` in.
//!
//! ```
//! use circle_core::circle::Circle;
//! use circle_core::compliance::compliance;
//!
//! let now = 1_700_000_000;
//! let (mut c, _genesis_change) = Circle::create("Northside tenants", 14, now).unwrap();
//! c.with_writer(now, |ledger, s| ledger.declare_fund(s, now, "Rent strike hardship fund"))
//!     .unwrap();
//! c.with_writer(now, |ledger, s| ledger.sign_pledge(s, now, "We answer every call."))
//!     .unwrap();
//! assert!(compliance(&c.ledger, &c.chain, now).compliant);
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod bundle;
pub mod checkpoint;
pub mod circle;
pub mod compliance;
pub mod envelope;
pub mod epoch;
pub mod error;
pub mod gossip;
pub mod handover;
pub mod invite;
pub mod keys;
pub mod ledger;
pub mod lottery;
pub mod public_text;
pub mod sync;
pub mod term;
#[cfg(any(test, feature = "test-utils"))]
pub mod testing;
pub mod validate;
pub mod zine;

pub use circle_anonymise as anonymise;

pub use automerge;

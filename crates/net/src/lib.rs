//! The network side of a circle node. Only this crate names libp2p.
//!
//! Today it holds the node identity; transport, sync and gossip arrive with the
//! federation work.
//!
//! ```
//! let peer = circle_net::peer_id([7u8; 32]).unwrap();
//! assert!(peer.starts_with("12D3KooW"));
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NetError {
    #[error("node key is invalid: {0}")]
    Identity(String),
}

/// The libp2p keypair of a node, from its stored 32-byte ed25519 secret.
pub fn keypair(secret: [u8; 32]) -> Result<libp2p_identity::Keypair, NetError> {
    libp2p_identity::Keypair::ed25519_from_bytes(secret)
        .map_err(|e| NetError::Identity(e.to_string()))
}

/// The node's PeerId in its usual text form.
pub fn peer_id(secret: [u8; 32]) -> Result<String, NetError> {
    Ok(keypair(secret)?.public().to_peer_id().to_string())
}

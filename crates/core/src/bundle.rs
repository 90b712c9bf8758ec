//! Bundles: a circle's whole signed ledger in one file, for offline federation.
//!
//! Circles that meet rarely, or never share a network, carry ledgers on a USB stick:
//! `circle export --format bundle` writes certificates and every signed change;
//! `circle import` verifies all of it (certificate chain, every signature, every rule)
//! exactly as if it had arrived from a peer. A bundle proves itself: who hands it over
//! does not matter.

use serde::{Deserialize, Serialize};

use crate::envelope::SignedChange;
use crate::keys::Hash32;
use crate::term::TermCert;

const MAGIC: &[u8; 8] = b"CIRCLEB1";
/// Largest bundle accepted (a 100,000-change ledger is ~25 MiB).
pub const MAX_BUNDLE_BYTES: usize = 256 * 1024 * 1024;
const MAX_CERTS: usize = 10_000;
const MAX_CHANGES: usize = 2_000_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    pub circle_id: Hash32,
    pub certs: Vec<TermCert>,
    pub changes: Vec<SignedChange>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleError {
    #[error("not a circle-ledger bundle")]
    NotABundle,
    #[error("bundle is larger than {} MiB", MAX_BUNDLE_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("bundle is damaged or truncated")]
    Damaged,
    #[error("bundle holds too many certificates or changes")]
    TooMany,
}

impl Bundle {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend(postcard::to_stdvec(self).unwrap_or_default());
        out
    }

    /// Decodes a bundle; sizes are checked, contents are not (that is `ingest`'s job).
    pub fn decode(bytes: &[u8]) -> Result<Bundle, BundleError> {
        if bytes.len() > MAX_BUNDLE_BYTES {
            return Err(BundleError::TooLarge);
        }
        let body = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or(BundleError::NotABundle)?;
        // serde caps what it preallocates from a declared length (`size_hint::cautious`),
        // so a lying length cannot make decoding allocate much beyond the input itself.
        let b: Bundle = postcard::from_bytes(body).map_err(|_| BundleError::Damaged)?;
        if b.certs.len() > MAX_CERTS || b.changes.len() > MAX_CHANGES {
            return Err(BundleError::TooMany);
        }
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::scenario;

    #[test]
    fn roundtrip_and_damage() {
        let s = scenario(2, 3);
        let b = Bundle {
            circle_id: s.circle_id(),
            certs: s.circle.chain.certs().to_vec(),
            changes: s.changes.clone(),
        };
        let bytes = b.encode();
        assert_eq!(Bundle::decode(&bytes).unwrap(), b);
        assert_eq!(Bundle::decode(b"nope"), Err(BundleError::NotABundle));
        assert_eq!(
            Bundle::decode(&bytes[..bytes.len() / 2]),
            Err(BundleError::Damaged)
        );
    }
}

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
/// A bundle that starts from a vouched base (a circle past a forgetting handover).
const MAGIC_BASE: &[u8; 8] = b"CIRCLEB2";
/// Largest bundle accepted (a 100,000-change ledger is ~25 MiB).
pub const MAX_BUNDLE_BYTES: usize = 256 * 1024 * 1024;
const MAX_CERTS: usize = 10_000;
const MAX_CHANGES: usize = 2_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    pub circle_id: Hash32,
    pub certs: Vec<TermCert>,
    pub changes: Vec<SignedChange>,
    /// The history the changes build on, as an encoded [`crate::checkpoint::Snapshot`]
    /// vouched by the certificates (the base of the current epoch, `crate::epoch`);
    /// `None` when the changes start at genesis.
    pub base: Option<Vec<u8>>,
}

/// The wire forms: version 1 (every bundle written before epochs) is kept byte for
/// byte, and is what a bundle without a base is still written as.
#[derive(Serialize, Deserialize)]
struct WireV1 {
    circle_id: Hash32,
    certs: Vec<TermCert>,
    changes: Vec<SignedChange>,
}

#[derive(Serialize, Deserialize)]
struct WireV2 {
    circle_id: Hash32,
    certs: Vec<TermCert>,
    changes: Vec<SignedChange>,
    base: Vec<u8>,
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
        let (magic, body) = match &self.base {
            None => (
                MAGIC,
                postcard::to_stdvec(&WireV1 {
                    circle_id: self.circle_id,
                    certs: self.certs.clone(),
                    changes: self.changes.clone(),
                }),
            ),
            Some(base) => (
                MAGIC_BASE,
                postcard::to_stdvec(&WireV2 {
                    circle_id: self.circle_id,
                    certs: self.certs.clone(),
                    changes: self.changes.clone(),
                    base: base.clone(),
                }),
            ),
        };
        let mut out = magic.to_vec();
        out.extend(body.unwrap_or_default());
        out
    }

    /// Decodes a bundle; sizes are checked, contents are not (that is `ingest`'s job,
    /// and the base's `Snapshot::open_with_document`).
    pub fn decode(bytes: &[u8]) -> Result<Bundle, BundleError> {
        if bytes.len() > MAX_BUNDLE_BYTES {
            return Err(BundleError::TooLarge);
        }
        // serde caps what it preallocates from a declared length (`size_hint::cautious`),
        // so a lying length cannot make decoding allocate much beyond the input itself.
        let b = if let Some(body) = bytes.strip_prefix(MAGIC.as_slice()) {
            let w: WireV1 = postcard::from_bytes(body).map_err(|_| BundleError::Damaged)?;
            Bundle {
                circle_id: w.circle_id,
                certs: w.certs,
                changes: w.changes,
                base: None,
            }
        } else if let Some(body) = bytes.strip_prefix(MAGIC_BASE.as_slice()) {
            let w: WireV2 = postcard::from_bytes(body).map_err(|_| BundleError::Damaged)?;
            Bundle {
                circle_id: w.circle_id,
                certs: w.certs,
                changes: w.changes,
                base: Some(w.base),
            }
        } else {
            return Err(BundleError::NotABundle);
        };
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
            base: None,
        };
        let bytes = b.encode();
        assert!(
            bytes.starts_with(MAGIC),
            "a bundle without a base stays version 1"
        );
        assert_eq!(Bundle::decode(&bytes).unwrap(), b);
        let with_base = Bundle {
            base: Some(vec![1, 2, 3]),
            ..b.clone()
        };
        let bytes2 = with_base.encode();
        assert!(bytes2.starts_with(MAGIC_BASE));
        assert_eq!(Bundle::decode(&bytes2).unwrap(), with_base);
        assert_eq!(Bundle::decode(b"nope"), Err(BundleError::NotABundle));
        assert_eq!(
            Bundle::decode(&bytes[..bytes.len() / 2]),
            Err(BundleError::Damaged)
        );
    }
}

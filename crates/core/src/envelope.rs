//! The signed envelope that travels with every ledger change.

use serde::{Deserialize, Serialize};

use crate::keys::{Hash32, PublicKey, Signature, StewardKey};

/// Wire and storage version of envelopes; also bound into every signature.
pub const ENVELOPE_VERSION: u8 = 1;
/// The document a signature is for: one ledger per circle today, room for more later.
pub const LEDGER_DOC: &[u8] = b"ledger";
/// Largest change we accept, from anyone (bounds decode work and op amplification).
pub const MAX_CHANGE_BYTES: usize = 256 * 1024;

/// Who signed a change, for which circle and term.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub version: u8,
    pub circle_id: Hash32,
    pub change_hash: Hash32,
    pub term: u64,
    pub signer: PublicKey,
    pub signature: Signature,
}

/// The bytes a steward signs: protocol version, circle, document and change hash.
/// Binding all four stops replays into another circle, document or protocol.
pub fn signing_message(circle_id: &Hash32, change_hash: &Hash32) -> [u8; 96] {
    let mut m = [0u8; 96];
    m[..24].copy_from_slice(b"circle-ledger/change/v1\0");
    m[24..56].copy_from_slice(&circle_id.0);
    m[56..62].copy_from_slice(LEDGER_DOC);
    m[64..96].copy_from_slice(&change_hash.0);
    m
}

impl Envelope {
    pub fn sign(circle_id: Hash32, change_hash: Hash32, term: u64, key: &StewardKey) -> Envelope {
        let signature = key.sign(&signing_message(&circle_id, &change_hash));
        Envelope {
            version: ENVELOPE_VERSION,
            circle_id,
            change_hash,
            term,
            signer: key.public(),
            signature,
        }
    }

    pub fn message(&self) -> [u8; 96] {
        signing_message(&self.circle_id, &self.change_hash)
    }

    pub fn encode(&self) -> Vec<u8> {
        postcard::to_stdvec(self).unwrap_or_default()
    }

    pub fn decode(bytes: &[u8]) -> Option<Envelope> {
        if bytes.len() > 512 {
            return None;
        }
        postcard::from_bytes(bytes).ok()
    }
}

/// A change as it travels and is stored: raw Automerge change bytes plus its envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedChange {
    pub envelope: Envelope,
    #[serde(with = "serde_bytes_vec")]
    pub bytes: Vec<u8>,
}

mod serde_bytes_vec {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let v: &[u8] = Deserialize::deserialize(d)?;
        Ok(v.to_vec())
    }
}

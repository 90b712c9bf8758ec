//! Steward keys, public keys, signatures and the 32-byte hashes that name things.
//!
//! Steward keys are ed25519 (dalek 3, the same stack libp2p's identity uses). Fresh
//! keys are drawn for every term so that terms cannot be linked to one another.

use std::collections::HashMap;
use std::fmt;

use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::error::KeyError;

/// A 32-byte digest (circle ids, certificate ids, change hashes).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Hash32(pub [u8; 32]);

impl Hash32 {
    /// SHA-256 over a domain separator and the given parts.
    pub fn digest(domain: &[u8], parts: &[&[u8]]) -> Hash32 {
        let mut h = Sha256::new();
        h.update((domain.len() as u64).to_le_bytes());
        h.update(domain);
        for p in parts {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p);
        }
        Hash32(h.finalize().into())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(s: &str) -> Result<Hash32, KeyError> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s.trim(), &mut out).map_err(|_| KeyError::BadHex(s.len()))?;
        Ok(Hash32(out))
    }
}

impl fmt::Debug for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", &self.to_hex()[..12])
    }
}

impl fmt::Display for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// An ed25519 public key as raw bytes; parsed (and checked for weakness) on use.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// Parses the key, refusing encodings that are not points, non-canonical encodings,
    /// small-order keys (they let a forger make signatures that verify for many
    /// messages) and keys with a torsion component (no honest key has one, and with one
    /// whether a signature verifies depends on its hash modulo 8, which a key holder can
    /// grind). Every key that parses is thus a point of the prime-order subgroup with
    /// exactly one encoding.
    pub fn verifying_key(&self) -> Result<VerifyingKey, KeyError> {
        let point = CompressedEdwardsY(self.0)
            .decompress()
            .ok_or(KeyError::NotAPoint)?;
        if point.compress().0 != self.0 {
            return Err(KeyError::NotAPoint);
        }
        if point.is_small_order() || !point.is_torsion_free() {
            return Err(KeyError::Weak);
        }
        VerifyingKey::from_bytes(&self.0).map_err(|_| KeyError::NotAPoint)
    }

    /// Strict single verification (canonical `s`, no small-order components).
    pub fn verify(&self, message: &[u8], sig: &Signature) -> Result<(), KeyError> {
        let key = self.verifying_key()?;
        let sig = ed25519_dalek::Signature::from_bytes(&sig.0);
        key.verify_strict(message, &sig)
            .map_err(|_| KeyError::BadSignature)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(s: &str) -> Result<PublicKey, KeyError> {
        Hash32::from_hex(s).map(|h| PublicKey(h.0))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key:{}", &self.to_hex()[..12])
    }
}

/// A 64-byte ed25519 signature, serialised as a byte string.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sig:{}", &hex::encode(&self.0[..6]))
    }
}

impl Serialize for Signature {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Signature;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("64 signature bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Signature, E> {
                let arr: [u8; 64] = v
                    .try_into()
                    .map_err(|_| E::invalid_length(v.len(), &self))?;
                Ok(Signature(arr))
            }
        }
        d.deserialize_bytes(V)
    }
}

/// A steward's secret key for one term. Never leaves the device it was made on.
pub struct StewardKey {
    signing: SigningKey,
}

impl fmt::Debug for StewardKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StewardKey({:?})", self.public())
    }
}

impl StewardKey {
    /// Draws a fresh key from the operating system's randomness (via `rand`'s CSPRNG).
    pub fn generate() -> StewardKey {
        StewardKey::from_secret(random_bytes())
    }

    pub fn from_secret(secret: [u8; 32]) -> StewardKey {
        StewardKey {
            signing: SigningKey::from_bytes(&secret),
        }
    }

    pub fn secret_bytes(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key().to_bytes())
    }

    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.signing.sign(message).to_bytes())
    }
}

/// 32 random bytes from a cryptographically secure generator.
pub fn random_bytes() -> [u8; 32] {
    rand::random()
}

/// Verifies many (key, message, signature) triples; one result per item, in order.
///
/// Each signature is checked with `verify_strict`, never with ed25519 batch
/// verification. A batch checks one random linear combination of the equations, and
/// dalek draws its coefficients from a transcript of the whole batch: a signature whose
/// `R` carries a small-order component (or is itself of small order, as `R = identity,
/// s = k·a`) then passes in some batch compositions and fails in others, while
/// `verify_strict` refuses it always. Validity would depend on which other changes
/// happened to share a page with it, so nodes would split. Making batches sound again
/// needs a torsion check of every `R` (a full scalar multiplication each), which costs
/// more than the batch saves; strict verification is the cheaper sound option.
pub fn verify_many(items: &[(PublicKey, &[u8], Signature)]) -> Vec<Result<(), KeyError>> {
    // Batches carry few distinct signers (a term's stewards): decompress and check each
    // key once.
    let mut parsed: HashMap<PublicKey, Result<VerifyingKey, KeyError>> = HashMap::new();
    items
        .iter()
        .map(|(k, m, s)| {
            let key = parsed
                .entry(*k)
                .or_insert_with(|| k.verifying_key())
                .clone()?;
            key.verify_strict(m, &ed25519_dalek::Signature::from_bytes(&s.0))
                .map_err(|_| KeyError::BadSignature)
        })
        .collect()
}

#[cfg(test)]
mod tests;

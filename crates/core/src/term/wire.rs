//! The certificate body's wire form, by version.
//!
//! Version 1 is the derive-order tuple every existing certificate was signed and hashed
//! as (the circle id is the hash of the genesis body), so it must stay byte for byte.
//! Postcard cannot add a field to a struct compatibly: a decoder of the old layout stops
//! short and a decoder of the new one runs out of bytes. So the body is written as a
//! tuple whose length follows its version: version 2 is version 1 followed by the
//! [`Forgetting`] of the term. A version-1 body is written only while it has none, so
//! a circle that never forgets keeps version-1 certificates forever.

use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{CertBody, Forgetting};

/// Fields of a version-1 body.
const V1_FIELDS: usize = 11;
/// The version that carries a [`Forgetting`].
pub const FORGETTING_VERSION: u8 = 2;

impl Serialize for CertBody {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let len = V1_FIELDS + usize::from(self.forgetting.is_some());
        let mut t = s.serialize_tuple(len)?;
        t.serialize_element(&self.version)?;
        t.serialize_element(&self.circle_id)?;
        t.serialize_element(&self.term)?;
        t.serialize_element(&self.stewards)?;
        t.serialize_element(&self.threshold)?;
        t.serialize_element(&self.start)?;
        t.serialize_element(&self.expires)?;
        t.serialize_element(&self.handover_heads)?;
        t.serialize_element(&self.prev)?;
        t.serialize_element(&self.genesis_nonce)?;
        t.serialize_element(&self.lottery)?;
        if let Some(f) = &self.forgetting {
            t.serialize_element(f)?;
        }
        t.end()
    }
}

impl<'de> Deserialize<'de> for CertBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<CertBody, D::Error> {
        d.deserialize_tuple(V1_FIELDS + 1, BodyVisitor)
    }
}

struct BodyVisitor;

fn next<'de, T: Deserialize<'de>, A: SeqAccess<'de>>(seq: &mut A, i: usize) -> Result<T, A::Error> {
    seq.next_element()?
        .ok_or_else(|| de::Error::invalid_length(i, &"a certificate body"))
}

impl<'de> Visitor<'de> for BodyVisitor {
    type Value = CertBody;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a certificate body")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CertBody, A::Error> {
        let version: u8 = next(&mut seq, 0)?;
        let mut body = CertBody {
            version,
            circle_id: next(&mut seq, 1)?,
            term: next(&mut seq, 2)?,
            stewards: next(&mut seq, 3)?,
            threshold: next(&mut seq, 4)?,
            start: next(&mut seq, 5)?,
            expires: next(&mut seq, 6)?,
            handover_heads: next(&mut seq, 7)?,
            prev: next(&mut seq, 8)?,
            genesis_nonce: next(&mut seq, 9)?,
            lottery: next(&mut seq, 10)?,
            forgetting: None,
        };
        // Unknown versions are refused by `TermCert::decode`; reading on would guess.
        if version == FORGETTING_VERSION {
            body.forgetting = Some(next::<Forgetting, A>(&mut seq, 11)?);
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Hash32, StewardKey};
    use crate::term::{TermCert, CERT_VERSION};

    /// The layout every version-1 certificate was signed and hashed as.
    #[derive(Serialize)]
    struct LegacyBody<'a> {
        version: u8,
        circle_id: &'a Option<Hash32>,
        term: u64,
        stewards: &'a Vec<crate::keys::PublicKey>,
        threshold: u32,
        start: u64,
        expires: u64,
        handover_heads: &'a Vec<Hash32>,
        prev: &'a Option<Hash32>,
        genesis_nonce: &'a Option<Hash32>,
        lottery: &'a Option<Vec<u8>>,
    }

    fn body() -> CertBody {
        CertBody {
            version: CERT_VERSION,
            circle_id: Some(Hash32([7; 32])),
            term: 3,
            stewards: vec![StewardKey::generate().public()],
            threshold: 1,
            start: 86_400,
            expires: 10 * 86_400,
            handover_heads: vec![Hash32([1; 32])],
            prev: Some(Hash32([2; 32])),
            genesis_nonce: None,
            lottery: Some(vec![9, 9]),
            forgetting: None,
        }
    }

    #[test]
    fn a_body_without_forgetting_is_byte_for_byte_version_one() {
        let b = body();
        let legacy = LegacyBody {
            version: b.version,
            circle_id: &b.circle_id,
            term: b.term,
            stewards: &b.stewards,
            threshold: b.threshold,
            start: b.start,
            expires: b.expires,
            handover_heads: &b.handover_heads,
            prev: &b.prev,
            genesis_nonce: &b.genesis_nonce,
            lottery: &b.lottery,
        };
        assert_eq!(
            postcard::to_stdvec(&b).unwrap(),
            postcard::to_stdvec(&legacy).unwrap()
        );
        let cert = TermCert {
            body: b.clone(),
            signatures: vec![],
        };
        assert_eq!(TermCert::decode(&cert.encode()).unwrap().body, b);
    }

    #[test]
    fn a_forgetting_body_round_trips_and_mismatched_versions_do_not_decode_as_such() {
        let mut b = body();
        b.version = FORGETTING_VERSION;
        b.forgetting = Some(Forgetting {
            retain_terms: 2,
            epoch: 1,
            base_heads: vec![Hash32([4; 32])],
        });
        let cert = TermCert {
            body: b.clone(),
            signatures: vec![],
        };
        assert_eq!(TermCert::decode(&cert.encode()).unwrap().body, b);
        // A version-1 reader's bytes cut short, or an unknown version: refused.
        let bytes = cert.encode();
        assert!(TermCert::decode(&bytes[..bytes.len() - 40]).is_err());
        let mut v3 = bytes.clone();
        v3[0] = 3;
        assert!(TermCert::decode(&v3).is_err());
    }
}

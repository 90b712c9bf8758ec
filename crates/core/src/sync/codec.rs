//! The wire codec of sync messages: a version byte as the first field, postcard after,
//! size capped before parsing and trailing bytes refused.

use serde::{Deserialize, Serialize};

use super::{SyncError, SYNC_VERSION};

/// The version byte is a real field of every message, first on the wire.
#[derive(Serialize)]
struct FrameRef<'a, T> {
    version: u8,
    body: &'a T,
}

#[derive(Deserialize)]
struct Frame<T> {
    version: u8,
    body: T,
}

pub(crate) fn encode<T: Serialize>(body: &T) -> Vec<u8> {
    let frame = FrameRef {
        version: SYNC_VERSION,
        body,
    };
    postcard::to_stdvec(&frame).unwrap_or_default()
}

pub(crate) fn decode<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    cap: usize,
) -> Result<T, SyncError> {
    if bytes.len() > cap {
        return Err(SyncError::TooLarge(cap));
    }
    match bytes.first() {
        None => return Err(SyncError::Malformed),
        Some(&v) if v != SYNC_VERSION => return Err(SyncError::Version(v)),
        Some(_) => {}
    }
    // serde preallocates at most ~1 MiB from a declared length (`size_hint::cautious`),
    // and every element must be backed by input bytes, so a lying length costs little.
    let (frame, rest): (Frame<T>, _) =
        postcard::take_from_bytes(bytes).map_err(|_| SyncError::Malformed)?;
    if !rest.is_empty() || frame.version != SYNC_VERSION {
        return Err(SyncError::Malformed);
    }
    Ok(frame.body)
}

/// A signature as 64 raw bytes (a tuple, so postcard writes no length prefix).
pub(crate) mod sig64 {
    use std::fmt;

    use serde::de::{Error, SeqAccess, Visitor};
    use serde::ser::SerializeTuple;
    use serde::{Deserializer, Serializer};

    use crate::keys::Signature;

    pub(crate) fn serialize<S: Serializer>(sig: &Signature, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(64)?;
        for b in &sig.0 {
            t.serialize_element(b)?;
        }
        t.end()
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Signature, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Signature;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("64 signature bytes")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Signature, A::Error> {
                let mut out = [0u8; 64];
                for (i, b) in out.iter_mut().enumerate() {
                    *b = seq
                        .next_element()?
                        .ok_or_else(|| A::Error::invalid_length(i, &self))?;
                }
                Ok(Signature(out))
            }
        }
        d.deserialize_tuple(64, V)
    }
}

pub(crate) mod serde_bytes_vec {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let v: &[u8] = Deserialize::deserialize(d)?;
        Ok(v.to_vec())
    }
}

/// Size of `n` as a postcard varint.
pub(crate) fn varint_len(n: u64) -> usize {
    let bits = u64::BITS - n.leading_zeros();
    (bits.max(1) as usize).div_ceil(7)
}

//! The wire codec of sync messages: a version byte as the first field, postcard after,
//! size capped before parsing and trailing bytes refused.
//!
//! A frame worth compressing goes deflated, behind its own first byte: links are often
//! bad Wi-Fi, and change chunks (actor ids, repeated keys, text) shrink by a quarter or
//! more, which pays for most of the signatures every change must carry. Inflation is
//! bounded by the same cap as the plain frame, so a small bomb costs at most the cap.

use std::io::{Read, Write};

use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use serde::de::DeserializeOwned;
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

/// First byte of a deflated frame (raw deflate of a plain frame follows).
pub(crate) const DEFLATED: u8 = 0xD1;
/// Frames shorter than this go plain: compressing them would not pay.
const COMPRESS_FROM: usize = 256;

pub(crate) fn encode<T: Serialize>(body: &T) -> Vec<u8> {
    let frame = FrameRef {
        version: SYNC_VERSION,
        body,
    };
    let plain = postcard::to_stdvec(&frame).unwrap_or_default();
    if plain.len() < COMPRESS_FROM {
        return plain;
    }
    let mut z = DeflateEncoder::new(vec![DEFLATED], Compression::default());
    match z.write_all(&plain).and_then(|_| z.finish()) {
        Ok(z) if z.len() < plain.len() => z,
        _ => plain,
    }
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], cap: usize) -> Result<T, SyncError> {
    if bytes.len() > cap {
        return Err(SyncError::TooLarge(cap));
    }
    if bytes.first() == Some(&DEFLATED) {
        let stream = &bytes[1..];
        let mut plain = Vec::new();
        let mut inflate = DeflateDecoder::new(stream);
        (&mut inflate)
            .take(cap as u64 + 1)
            .read_to_end(&mut plain)
            .map_err(|_| SyncError::Malformed)?;
        if plain.len() > cap {
            return Err(SyncError::TooLarge(cap));
        }
        if inflate.total_in() != stream.len() as u64 {
            // Bytes after the end of the deflate stream.
            return Err(SyncError::Malformed);
        }
        if plain.first() == Some(&DEFLATED) {
            // One layer only: nested compression is refused.
            return Err(SyncError::Malformed);
        }
        return decode_plain(&plain);
    }
    decode_plain(bytes)
}

fn decode_plain<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, SyncError> {
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

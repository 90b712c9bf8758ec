//! Candidate codes: the public half of a key volunteered for the next term, as a
//! steward types it into `propose --steward CODE`. The code carries a checksum so a
//! mistyped digit is its own error instead of naming a key nobody holds (a term whose
//! steward key does not exist can never write nor hand over).

use crate::keys::{Hash32, PublicKey};

use super::HandoverError;

const CHECK_DOMAIN: &[u8] = b"circle-ledger/candidate-code/v1";
const CHECK_HEX: usize = 8;

fn checksum(key: &PublicKey) -> String {
    let h = Hash32::digest(CHECK_DOMAIN, &[&key.0]);
    hex::encode(&h.0[..CHECK_HEX / 2])
}

/// The code of a candidate key: 64 hex digits of the key, `-`, 8 hex digits of checksum.
pub fn candidate_code(key: &PublicKey) -> String {
    format!("{}-{}", key.to_hex(), checksum(key))
}

/// Parses a candidate code, refusing a bad shape, a failed checksum, or a key that is
/// not a usable ed25519 point (each its own error).
pub fn parse_candidate(code: &str) -> Result<PublicKey, HandoverError> {
    let code = code.trim();
    let malformed = || HandoverError::CandidateMalformed(code.chars().take(100).collect());
    let (key_hex, check) = code.split_once('-').ok_or_else(malformed)?;
    if key_hex.len() != 64
        || check.len() != CHECK_HEX
        || !key_hex
            .bytes()
            .chain(check.bytes())
            .all(|b| b.is_ascii_hexdigit())
    {
        return Err(malformed());
    }
    let key = PublicKey::from_hex(key_hex).map_err(|_| malformed())?;
    if !checksum(&key).eq_ignore_ascii_case(check) {
        return Err(HandoverError::CandidateChecksum(code.to_owned()));
    }
    key.verifying_key()
        .map_err(|_| HandoverError::CandidateKey(key_hex.to_owned()))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::StewardKey;

    #[test]
    fn a_code_round_trips_and_a_typo_is_caught_by_its_checksum() {
        let key = StewardKey::generate().public();
        let code = candidate_code(&key);
        assert_eq!(parse_candidate(&code).unwrap(), key);
        assert_eq!(parse_candidate(&code.to_uppercase()).unwrap(), key);
        // One digit of the key changed: the checksum catches it.
        let mut typo: Vec<char> = code.chars().collect();
        typo[5] = if typo[5] == '0' { '1' } else { '0' };
        let typo: String = typo.into_iter().collect();
        assert!(matches!(
            parse_candidate(&typo),
            Err(HandoverError::CandidateChecksum(_))
        ));
        for bad in ["", "abc", &key.to_hex(), &format!("{}-zz", key.to_hex())] {
            assert!(matches!(
                parse_candidate(bad),
                Err(HandoverError::CandidateMalformed(_))
            ));
        }
        // A well-formed code of a point that is no usable key.
        let weak = PublicKey([0; 32]);
        assert!(matches!(
            parse_candidate(&candidate_code(&weak)),
            Err(HandoverError::CandidateKey(_))
        ));
    }
}

use super::*;

#[test]
fn sign_and_verify_roundtrip() {
    let k = StewardKey::generate();
    let sig = k.sign(b"hello");
    assert!(k.public().verify(b"hello", &sig).is_ok());
    assert!(k.public().verify(b"hellO", &sig).is_err());
}

#[test]
fn batch_pinpoints_the_bad_signature() {
    let keys: Vec<StewardKey> = (0..5).map(|_| StewardKey::generate()).collect();
    let msgs: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 10]).collect();
    let mut items: Vec<(PublicKey, &[u8], Signature)> = keys
        .iter()
        .zip(&msgs)
        .map(|(k, m)| (k.public(), m.as_slice(), k.sign(m)))
        .collect();
    assert!(verify_many(&items).iter().all(|r| r.is_ok()));
    items[3].2 = keys[3].sign(b"other");
    let res = verify_many(&items);
    assert_eq!(res.iter().filter(|r| r.is_err()).count(), 1);
    assert!(res[3].is_err());
}

#[test]
fn small_order_key_is_refused() {
    // The identity point: a classic small-order key.
    let mut id = [0u8; 32];
    id[0] = 1;
    assert!(matches!(PublicKey(id).verifying_key(), Err(KeyError::Weak)));
}

// ---- Signatures batch verification would accept but verify_strict refuses ----

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use sha2::Sha512;

/// A key whose secret scalar `a` we hold, so we can sign with a chosen nonce point.
struct RawKey {
    a: Scalar,
    public: [u8; 32],
}

impl RawKey {
    /// The scalar and public key ed25519 derives from a steward key's 32-byte secret.
    fn of(key: &StewardKey) -> RawKey {
        let h = Sha512::digest(key.secret_bytes());
        let mut a = [0u8; 32];
        a.copy_from_slice(&h[..32]);
        a[0] &= 248;
        a[31] &= 127;
        a[31] |= 64;
        let a = Scalar::from_bytes_mod_order(a);
        let public = EdwardsPoint::mul_base(&a).compress().0;
        assert_eq!(public, key.public().0);
        RawKey { a, public }
    }

    /// A signature (R, s) for nonce point encoding `r_bytes`, with s = r + H(R‖A‖M)·a.
    fn sign_with(&self, r_bytes: [u8; 32], r: Scalar, message: &[u8]) -> Signature {
        let s = r + hram(&r_bytes, &self.public, message) * self.a;
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&r_bytes);
        sig[32..].copy_from_slice(s.as_bytes());
        Signature(sig)
    }
}

fn hram(r: &[u8; 32], a: &[u8; 32], message: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(message);
    let mut wide = [0u8; 64];
    wide.copy_from_slice(&h.finalize());
    Scalar::from_bytes_mod_order_wide(&wide)
}

fn fixed_key(seed: u8) -> StewardKey {
    StewardKey::from_secret([seed; 32])
}

/// A steward's signature whose R carries an order-8 torsion component: R = r·B + T.
fn torsioned_signature(key: &StewardKey, message: &[u8]) -> Signature {
    let r = Scalar::from_bytes_mod_order([0x42; 32]);
    let r_point = EdwardsPoint::mul_base(&r) + EIGHT_TORSION[1];
    RawKey::of(key).sign_with(r_point.compress().0, r, message)
}

/// What dalek's batch verification says about exactly these items.
fn dalek_batch_accepts(items: &[(PublicKey, &[u8], Signature)]) -> bool {
    let keys: Vec<VerifyingKey> = items
        .iter()
        .map(|(k, _, _)| VerifyingKey::from_bytes(&k.0).unwrap())
        .collect();
    let msgs: Vec<&[u8]> = items.iter().map(|(_, m, _)| *m).collect();
    let sigs: Vec<ed25519_dalek::Signature> = items
        .iter()
        .map(|(_, _, s)| ed25519_dalek::Signature::from_bytes(&s.0))
        .collect();
    ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok()
}

/// 64 batches that differ in how many honest signatures surround `bad` and where it
/// sits; returns how many of them dalek's batch verification accepts, and asserts that
/// ours refuses `bad` (and only `bad`) in every one.
fn refused_in_every_composition(bad_key: &StewardKey, bad_msg: &[u8], bad: Signature) -> usize {
    let honest: Vec<StewardKey> = (1..=7).map(fixed_key).collect();
    let mut batch_accepted = 0;
    for composition in 0..64u8 {
        let others = usize::from(composition % 7) + 1;
        let msgs: Vec<Vec<u8>> = (0..others).map(|i| vec![composition, i as u8, 7]).collect();
        let mut items: Vec<(PublicKey, &[u8], Signature)> = honest
            .iter()
            .zip(&msgs)
            .map(|(k, m)| (k.public(), m.as_slice(), k.sign(m)))
            .collect();
        let at = usize::from(composition / 7) % (others + 1);
        items.insert(at, (bad_key.public(), bad_msg, bad));
        if dalek_batch_accepts(&items) {
            batch_accepted += 1;
        }
        let res = verify_many(&items);
        for (i, r) in res.iter().enumerate() {
            assert_eq!(r.is_err(), i == at, "composition {composition}, item {i}");
        }
    }
    batch_accepted
}

#[test]
fn torsion_in_r_is_refused_in_every_batch_composition() {
    let key = fixed_key(9);
    let msg = b"a change hash a steward ground for";
    let sig = torsioned_signature(&key, msg);
    assert!(key.public().verify(msg, &sig).is_err());
    let accepted = refused_in_every_composition(&key, msg, sig);
    // The attack: dalek's batch equation weighs R's torsion by a coefficient drawn from
    // the batch's transcript, so it vanishes (mod 8) in about one batch in eight.
    assert!(
        accepted > 0 && accepted < 64,
        "dalek batches accepted {accepted} of 64"
    );
}

#[test]
fn small_order_r_is_refused_though_every_batch_accepts_it() {
    // R = identity and s = H(R‖A‖M)·a: the batch equation holds exactly, whatever the
    // coefficients; verify_strict refuses a small-order R. Also with the identity's
    // non-canonical encoding (y = p + 1), which the batch hashes as given.
    let key = fixed_key(11);
    let raw = RawKey::of(&key);
    let msg = b"any message at all";
    let mut canonical = [0u8; 32];
    canonical[0] = 1;
    let mut non_canonical = [0xff; 32];
    non_canonical[0] = 0xee;
    non_canonical[31] = 0x7f;
    for r_bytes in [canonical, non_canonical] {
        let sig = raw.sign_with(r_bytes, Scalar::ZERO, msg);
        assert!(key.public().verify(msg, &sig).is_err());
        assert_eq!(refused_in_every_composition(&key, msg, sig), 64);
    }
}

#[test]
fn non_canonical_s_is_refused() {
    // s + ℓ verifies the same equation; only the encoding is non-canonical.
    let key = fixed_key(12);
    let msg = b"malleable?";
    let mut sig = key.sign(msg);
    let s = Scalar::from_canonical_bytes(sig.0[32..].try_into().unwrap()).unwrap();
    let mut wide = [0u8; 32];
    // ℓ = (ℓ − 1) + 1: start the addition with a carry of one.
    let mut carry = 1u16;
    let ell = (-Scalar::ONE).to_bytes();
    for i in 0..32 {
        let v = u16::from(s.as_bytes()[i]) + u16::from(ell[i]) + carry;
        wide[i] = v as u8;
        carry = v >> 8;
    }
    assert_eq!(carry, 0);
    sig.0[32..].copy_from_slice(&wide);
    assert!(key.public().verify(msg, &sig).is_err());
    refused_in_every_composition(&key, msg, sig);
}

#[test]
fn keys_with_torsion_or_non_canonical_encodings_are_refused() {
    let key = fixed_key(13);
    let raw = RawKey::of(&key);
    let mixed = (EdwardsPoint::mul_base(&raw.a) + EIGHT_TORSION[1]).compress();
    assert!(matches!(
        PublicKey(mixed.0).verifying_key(),
        Err(KeyError::Weak)
    ));
    // With such a key a signature verifies iff H(R‖A'‖M) ≡ 0 (mod 8): grindable, and
    // verify_strict lets the lucky ones through. Ours refuses the key outright.
    let r = Scalar::from_bytes_mod_order([5; 32]);
    let r_bytes = EdwardsPoint::mul_base(&r).compress().0;
    let lucky = (0..256u32)
        .map(|i| i.to_le_bytes())
        .find(|m| {
            let k = hram(&r_bytes, &mixed.0, m);
            (EIGHT_TORSION[1] * k).is_identity()
        })
        .unwrap();
    let s = r + hram(&r_bytes, &mixed.0, &lucky) * raw.a;
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&r_bytes);
    sig[32..].copy_from_slice(s.as_bytes());
    let dalek_key = VerifyingKey::from_bytes(&mixed.0).unwrap();
    assert!(dalek_key
        .verify_strict(&lucky, &ed25519_dalek::Signature::from_bytes(&sig))
        .is_ok());
    assert!(PublicKey(mixed.0).verify(&lucky, &Signature(sig)).is_err());
    // A non-canonical encoding of a valid key (y + p, possible only for tiny y) is not
    // a key either: the identity's y = 1 is the only such point, and it is small order.
    let mut non_canonical = [0xff; 32];
    non_canonical[0] = 0xee;
    non_canonical[31] = 0x7f;
    assert!(PublicKey(non_canonical).verifying_key().is_err());
}

#[test]
fn ingest_refuses_a_torsioned_change_in_every_page_composition() {
    use crate::envelope::{signing_message, Envelope};
    use crate::error::ValidationError;
    use crate::testing::scenario;
    use crate::validate::ingest;

    let s = scenario(1, 12);
    let steward = &s.circle.keys[0];
    let mut forged = s.write_as(steward, s.circle.term(), s.now, "ground");
    let message = signing_message(&s.circle_id(), &forged.envelope.change_hash);
    forged.envelope = Envelope {
        signature: torsioned_signature(steward, &message),
        ..forged.envelope
    };
    let forged_hash = forged.envelope.change_hash;
    for composition in 0..16usize {
        let mut page: Vec<_> = s.changes[..=composition % 12 + 1].to_vec();
        let at = composition % page.len();
        page.insert(at, forged.clone());
        let mut replica = s.empty_replica();
        let report = ingest(&mut replica, &s.chain(), page, s.now);
        assert!(
            report
                .rejected
                .iter()
                .any(|(h, e)| *h == forged_hash && *e == ValidationError::BadSignature),
            "composition {composition}: {:?}",
            report.rejected
        );
        assert!(report
            .applied
            .iter()
            .all(|c| c.envelope.change_hash != forged_hash));
    }
}

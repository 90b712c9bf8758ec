//! Every rejection class of gossip validation, and extremes of size and time.

use proptest::prelude::*;

use super::*;
use crate::term::{CertOutcome, TermCert};
use crate::testing::{scenario, Scenario};

fn alert(s: &Scenario, text: &str) -> Alert {
    Alert::sign(
        s.circle_id(),
        s.circle.term(),
        &s.circle.keys[0],
        text,
        s.now,
    )
    .unwrap()
}

fn announce(s: &Scenario) -> Announcement {
    let heads = s
        .circle
        .ledger
        .heads()
        .iter()
        .map(|h| Hash32(h.0))
        .collect();
    Announcement::sign(
        s.circle_id(),
        s.circle.term(),
        heads,
        true,
        &s.circle.keys[0],
        s.now,
    )
    .unwrap()
}

/// An alert changed by `f`, then honestly re-signed by `key`.
fn alert_with(s: &Scenario, key: &StewardKey, f: impl FnOnce(&mut Alert)) -> Gossip {
    let mut a = alert(s, "Call to defend 5 Elm St");
    f(&mut a);
    a.signer = key.public();
    a.signature = key.sign(&a.signing_bytes());
    Gossip::Alert(a)
}

fn announce_with(s: &Scenario, f: impl FnOnce(&mut Announcement)) -> Gossip {
    let mut a = announce(s);
    f(&mut a);
    a.signature = s.circle.keys[0].sign(&a.signing_bytes());
    Gossip::Announce(a)
}

fn roundtrip(msg: &Gossip) -> Gossip {
    Gossip::decode(&msg.encode()).unwrap()
}

#[test]
fn honest_messages_pass_after_a_roundtrip() {
    let s = scenario(2, 2);
    let chain = s.chain();
    for msg in [
        Gossip::Alert(alert(&s, "line one\nline two")),
        Gossip::Announce(announce(&s)),
    ] {
        let back = roundtrip(&msg);
        assert_eq!(back, msg);
        assert_eq!(back.circle_id(), s.circle_id());
        assert_eq!(check(&back, &chain, s.now), Ok(()));
        assert_eq!(back.replay_key(), msg.replay_key());
    }
    let other = Gossip::Alert(alert(&s, "line one\nline two"));
    assert_ne!(
        other.replay_key(),
        Gossip::Alert(alert(&s, "line one\nline two")).replay_key(),
        "alert ids are random"
    );
}

#[test]
fn size_version_and_framing_are_checked_before_anything_else() {
    let s = scenario(1, 1);
    let over = vec![GOSSIP_VERSION; MAX_GOSSIP_BYTES + 1];
    assert_eq!(
        Gossip::decode(&over),
        Err(GossipError::TooLarge(MAX_GOSSIP_BYTES))
    );
    assert_eq!(Gossip::decode(&over[1..]), Err(GossipError::Malformed));
    let bytes = Gossip::Alert(alert(&s, "hello")).encode();
    let mut v = bytes.clone();
    v[0] = 0x42;
    assert_eq!(Gossip::decode(&v), Err(GossipError::Version(0x42)));
    for cut in 0..bytes.len() {
        assert!(Gossip::decode(&bytes[..cut]).is_err());
    }
    let mut long = bytes;
    long.push(0);
    assert_eq!(Gossip::decode(&long), Err(GossipError::Malformed));
}

#[test]
fn oversized_lists_and_texts_are_refused() {
    let s = scenario(1, 1);
    let key = &s.circle.keys[0];
    let many: Vec<Hash32> = (0..=MAX_ANNOUNCE_HEADS as u8)
        .map(|i| Hash32([i; 32]))
        .collect();
    let r = Announcement::sign(s.circle_id(), 0, many.clone(), true, key, s.now);
    assert_eq!(r, Err(GossipError::TooMany("heads")));
    let msg = announce_with(&s, |a| a.heads = many);
    assert_eq!(
        Gossip::decode(&msg.encode()),
        Err(GossipError::TooMany("heads"))
    );
    assert_eq!(
        check(&msg, &s.chain(), s.now),
        Err(GossipError::TooMany("heads"))
    );

    let long = "x".repeat(MAX_ALERT_TEXT + 1);
    for bad in [
        "",
        "   \n ",
        "bell\u{7}",
        "carriage\rreturn",
        "tab\there",
        long.as_str(),
    ] {
        let r = Alert::sign(s.circle_id(), 0, key, bad, s.now);
        assert!(matches!(r, Err(GossipError::BadText(_))), "{bad:?}");
        let msg = alert_with(&s, key, |a| a.text = bad.to_owned());
        assert!(matches!(
            check(&msg, &s.chain(), s.now),
            Err(GossipError::BadText(_))
        ));
    }
    let msg = alert_with(&s, key, |a| a.text = long.clone());
    assert!(matches!(
        Gossip::decode(&msg.encode()),
        Err(GossipError::BadText(_))
    ));
    let max = "é".repeat(MAX_ALERT_TEXT / 2);
    assert!(Alert::sign(s.circle_id(), 0, key, &max, s.now).is_ok());
}

#[test]
fn a_message_for_circle_a_is_refused_by_circle_b() {
    let a = scenario(1, 1);
    let b = scenario(1, 1);
    for msg in [
        Gossip::Alert(alert(&a, "hi")),
        Gossip::Announce(announce(&a)),
    ] {
        assert_eq!(
            check(&msg, &b.chain(), a.now),
            Err(GossipError::WrongCircle)
        );
    }
    // Relabelled with B's id, A's signature no longer holds (nor is A's key B's steward).
    let msg = alert_with(&a, &a.circle.keys[0], |x| x.circle_id = b.circle_id());
    assert_eq!(
        check(&msg, &b.chain(), a.now),
        Err(GossipError::NotASteward(0))
    );
}

#[test]
fn term_zero_keys_cannot_alert_after_rotation() {
    let s = scenario(2, 1);
    let chain = s.chain();
    let (t, old) = &s.old_keys[0];
    assert_eq!(*t, 0);
    let in_old_term = Gossip::Alert(Alert::sign(s.circle_id(), 0, old, "old", s.now).unwrap());
    assert_eq!(
        check(&in_old_term, &chain, s.now),
        Err(GossipError::WrongTerm { got: 0, latest: 1 })
    );
    let claims_new = Gossip::Alert(Alert::sign(s.circle_id(), 1, old, "old", s.now).unwrap());
    assert_eq!(
        check(&claims_new, &chain, s.now),
        Err(GossipError::NotASteward(1))
    );
    let ann = Announcement::sign(s.circle_id(), 0, vec![], true, old, s.now).unwrap();
    assert_eq!(
        check(&Gossip::Announce(ann), &chain, s.now),
        Err(GossipError::WrongTerm { got: 0, latest: 1 })
    );
}

#[test]
fn strangers_forgeries_and_tampering_are_refused() {
    let s = scenario(1, 1);
    let chain = s.chain();
    let stranger = StewardKey::generate();
    let msg = alert_with(&s, &stranger, |_| {});
    assert_eq!(check(&msg, &chain, s.now), Err(GossipError::NotASteward(0)));

    // Names the steward, signed by someone else.
    let mut a = alert(&s, "hello");
    a.signature = stranger.sign(&a.signing_bytes());
    assert_eq!(
        check(&Gossip::Alert(a), &chain, s.now),
        Err(GossipError::Forged)
    );
    // Any field changed after signing.
    let tampered: [fn(&mut Alert); 4] = [
        |a| a.text.push('!'),
        |a| a.alert_id[0] ^= 1,
        |a| a.sent -= 60,
        |a| a.signature.0[5] ^= 4,
    ];
    for f in tampered {
        let mut a = alert(&s, "hello");
        f(&mut a);
        assert_eq!(
            check(&Gossip::Alert(a), &chain, s.now),
            Err(GossipError::Forged)
        );
    }
    let mut ann = announce(&s);
    ann.compliant = false;
    assert_eq!(
        check(&Gossip::Announce(ann), &chain, s.now),
        Err(GossipError::Forged)
    );
    // An alert's signature does not verify as an announcement's, whatever the fields.
    let mut ann = announce(&s);
    ann.signature = alert(&s, "hello").signature;
    assert_eq!(
        check(&Gossip::Announce(ann), &chain, s.now),
        Err(GossipError::Forged)
    );
}

#[test]
fn expired_terms_and_flagged_circles_are_refused() {
    let s = scenario(2, 1);
    let chain = s.chain();
    let msg = Gossip::Alert(alert(&s, "hello"));
    let expires = chain.latest().body.expires;
    assert_eq!(check(&msg, &chain, expires), Err(GossipError::Expired(1)));
    for now in [i64::MAX as u64, u64::MAX] {
        assert_eq!(check(&msg, &chain, now), Err(GossipError::Expired(1)));
    }

    let mut flagged = s.chain();
    let (_, k0) = &s.old_keys[0];
    let mut body = flagged.term(1).unwrap().body.clone();
    body.stewards = vec![StewardKey::generate().public()];
    let rival = TermCert::sign(body, &[k0]).unwrap();
    assert_eq!(flagged.insert(rival).unwrap(), CertOutcome::Equivocation(1));
    assert_eq!(
        check(&msg, &flagged, s.now),
        Err(GossipError::Equivocation(1))
    );
    // Whichever certificate stands (the lower id), and only for a valid signature.
    let Gossip::Alert(mut forged) = msg else {
        unreachable!()
    };
    forged.signature.0[0] ^= 1;
    assert_eq!(
        check(&Gossip::Alert(forged), &flagged, s.now),
        Err(GossipError::Forged)
    );
    let stranger = alert_with(&s, &StewardKey::generate(), |_| {});
    assert_eq!(
        check(&stranger, &flagged, s.now),
        Err(GossipError::NotASteward(1))
    );
}

#[test]
fn times_outside_the_window_or_too_precise_are_refused() {
    let s = scenario(1, 1);
    let chain = s.chain();
    let key = &s.circle.keys[0];
    let now = s.now;
    let minute = |t: u64| t - t % 60;
    let cases: [(u64, Result<(), GossipError>); 7] = [
        (minute(now), Ok(())),
        (minute(now - ALERT_MAX_AGE) + 60, Ok(())),
        (minute(now + ALERT_MAX_AHEAD), Ok(())),
        (minute(now - ALERT_MAX_AGE - 60), Err(GossipError::Stale)),
        (
            minute(now + ALERT_MAX_AHEAD + 60),
            Err(GossipError::FromFuture),
        ),
        (minute(i64::MAX as u64), Err(GossipError::FromFuture)),
        (minute(u64::MAX), Err(GossipError::FromFuture)),
    ];
    for (sent, expected) in cases {
        let msg = alert_with(&s, key, |a| a.sent = sent);
        assert_eq!(check(&msg, &chain, now), expected, "sent {sent}");
    }
    let msg = alert_with(&s, key, |a| a.sent = minute(now) + 7);
    assert_eq!(check(&msg, &chain, now), Err(GossipError::PreciseTime));
    let msg = alert_with(&s, key, |a| a.sent = u64::MAX);
    assert_eq!(check(&msg, &chain, now), Err(GossipError::PreciseTime));
    assert_eq!(check(&msg, &chain, 0), Err(GossipError::PreciseTime));

    let today = day_of(now);
    let days: [(u64, Result<(), GossipError>); 8] = [
        (today, Ok(())),
        (today - DAY, Ok(())),
        (today + DAY, Ok(())),
        (today - 2 * DAY, Err(GossipError::Stale)),
        (today + 2 * DAY, Err(GossipError::FromFuture)),
        (day_of(u64::MAX), Err(GossipError::FromFuture)),
        (today + 1, Err(GossipError::PreciseTime)),
        (u64::MAX, Err(GossipError::PreciseTime)),
    ];
    for (day, expected) in days {
        let msg = announce_with(&s, |a| a.day = day);
        assert_eq!(check(&msg, &chain, now), expected, "day {day}");
    }
    // Signing at the extremes of time does not overflow.
    assert!(Alert::sign(s.circle_id(), 0, key, "x", u64::MAX).is_ok());
    assert!(Announcement::sign(s.circle_id(), 0, vec![], true, key, u64::MAX).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), ours: bool) {
        let mut input = bytes;
        if ours {
            input.insert(0, GOSSIP_VERSION);
        }
        let _ = Gossip::decode(&input);
    }
}

/// The reasons the node answers by pulling rather than penalising (a flagged or expired
/// chain, a time outside the window) are given only for a steward's own signature: a
/// forgery of such a message is a forgery, whatever it claims.
#[test]
fn lag_reasons_are_given_only_for_a_valid_signature() {
    let s = scenario(2, 1);
    let chain = s.chain();
    let key = &s.circle.keys[0];
    let minute = |t: u64| t - t % 60;
    let forge = |msg: Gossip| match msg {
        Gossip::Alert(mut a) => {
            a.signature.0[0] ^= 1;
            Gossip::Alert(a)
        }
        Gossip::Announce(mut a) => {
            a.signature.0[0] ^= 1;
            Gossip::Announce(a)
        }
    };
    let honest = [
        alert_with(&s, key, |a| a.sent = minute(s.now + 3 * 3600)),
        alert_with(&s, key, |a| a.sent = minute(s.now - 3 * DAY)),
        alert_with(&s, key, |a| a.sent = minute(u64::MAX)),
        announce_with(&s, |a| a.day = day_of(s.now) + 30 * DAY),
    ];
    for msg in honest {
        let lag = check(&msg, &chain, s.now).unwrap_err();
        assert!(
            matches!(lag, GossipError::Stale | GossipError::FromFuture),
            "{lag:?}"
        );
        assert_eq!(check(&forge(msg), &chain, s.now), Err(GossipError::Forged));
    }
    let msg = Gossip::Alert(alert(&s, "hello"));
    let expires = chain.latest().body.expires;
    assert_eq!(check(&msg, &chain, expires), Err(GossipError::Expired(1)));
    assert_eq!(
        check(&forge(msg), &chain, expires),
        Err(GossipError::Forged)
    );
}

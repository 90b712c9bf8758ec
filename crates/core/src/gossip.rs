//! Signed gossip payloads: "circle X is at these heads" and rapid-defense alerts.
//!
//! Gossipsub relays only what every node has validated, so a payload must prove itself
//! with no round trip: it is signed by a steward of the circle's latest, unexpired term,
//! over domain-separated bytes. [`check`] is that validation, pure and cheap (cheap
//! checks first, the signature before any verdict that would spare the sender). Times are coarse on purpose: announcements carry
//! a day, alerts a minute; no precise time leaves a circle.
//!
//! Replay detection (remembering [`Gossip::replay_key`]s) and the circle's compliance
//! need state over time, so they are the node's job, after `check`.
//!
//! ```
//! use circle_core::circle::Circle;
//! use circle_core::gossip::{check, Alert, Gossip};
//!
//! let now = 1_700_000_000;
//! let (c, _) = Circle::create("Northside tenants", 14, now).unwrap();
//! let alert = Alert::sign(c.circle_id(), c.term(), &c.keys[0], "Eviction at 5 Elm St", now)
//!     .unwrap();
//! let bytes = Gossip::Alert(alert).encode();
//! let msg = Gossip::decode(&bytes).unwrap();
//! assert!(check(&msg, &c.chain, now + 30).is_ok());
//! ```

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::keys::{random_bytes, Hash32, PublicKey, Signature, StewardKey};
use crate::ledger::{day_of, DAY};
use crate::term::TermChain;

/// First byte of every gossip payload.
pub const GOSSIP_VERSION: u8 = 1;
/// Largest payload accepted, checked before parsing.
pub const MAX_GOSSIP_BYTES: usize = 16 * 1024;
/// Most heads one announcement may carry.
pub const MAX_ANNOUNCE_HEADS: usize = 64;
/// Longest alert text, in bytes.
pub const MAX_ALERT_TEXT: usize = 1000;
/// Alerts older than this are not relayed.
pub const ALERT_MAX_AGE: u64 = 24 * 3600;
/// Clock skew tolerated for alerts dated ahead of us.
pub const ALERT_MAX_AHEAD: u64 = 10 * 60;
const MINUTE: u64 = 60;

/// A gossip payload, as carried on the circle's gossipsub topics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Gossip {
    Announce(Announcement),
    Alert(Alert),
}

/// "Circle X is at these heads": tells followers that there is something to pull.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    pub circle_id: Hash32,
    /// The signer's term: must be the circle's latest for the message to be relayed.
    pub term: u64,
    /// The circle's heads; a follower whose heads differ pulls.
    pub heads: Vec<Hash32>,
    /// The circle's own compliance summary: a hint only, every node judges for itself.
    pub compliant: bool,
    /// Start of the day it was sent (`ledger::day_of`, unix seconds): stale ones are
    /// dropped, and nothing finer than a day is revealed.
    pub day: u64,
    pub signer: PublicKey,
    pub signature: Signature,
}

/// A rapid-defense alert: a call every federated node shows at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub circle_id: Hash32,
    /// Random: names the alert for replay detection without revealing anything.
    pub alert_id: [u8; 16],
    pub term: u64,
    /// Unix seconds rounded down to the minute: fresh enough to act on, no finer.
    pub sent: u64,
    pub text: String,
    pub signer: PublicKey,
    pub signature: Signature,
}

/// Why a gossip payload was refused: the caller rejects it (and gossipsub penalises
/// the peer that sent it).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GossipError {
    #[error("gossip message is larger than {0} bytes")]
    TooLarge(usize),
    #[error("gossip format byte {0:#04x} is not circle-ledger gossip v1")]
    Version(u8),
    #[error("gossip message is truncated or malformed")]
    Malformed,
    #[error("gossip message holds too many {0}")]
    TooMany(&'static str),
    #[error("alert text {0}")]
    BadText(&'static str),
    #[error("message is for another circle")]
    WrongCircle,
    #[error("circle is flagged for equivocating certificates at term {0}")]
    Equivocation(u64),
    #[error("message names term {got}, the circle's latest is {latest}")]
    WrongTerm { got: u64, latest: u64 },
    #[error("steward term {0} has expired")]
    Expired(u64),
    #[error("signer is not a steward of term {0}")]
    NotASteward(u64),
    #[error("message is too old to relay")]
    Stale,
    #[error("message is dated in the future")]
    FromFuture,
    #[error("message carries a more precise time than allowed")]
    PreciseTime,
    #[error("signature does not verify")]
    Forged,
}

impl Gossip {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![GOSSIP_VERSION];
        out.extend(postcard::to_stdvec(self).unwrap_or_default());
        out
    }

    /// Decodes a payload: size first, then format byte, then parse, then bounds.
    /// Signatures and times are [`check`]'s job.
    pub fn decode(bytes: &[u8]) -> Result<Gossip, GossipError> {
        if bytes.len() > MAX_GOSSIP_BYTES {
            return Err(GossipError::TooLarge(MAX_GOSSIP_BYTES));
        }
        let body = match bytes.split_first() {
            None => return Err(GossipError::Malformed),
            Some((&GOSSIP_VERSION, body)) => body,
            Some((&v, _)) => return Err(GossipError::Version(v)),
        };
        let (msg, rest): (Gossip, _) =
            postcard::take_from_bytes(body).map_err(|_| GossipError::Malformed)?;
        if !rest.is_empty() {
            return Err(GossipError::Malformed);
        }
        match &msg {
            Gossip::Announce(a) if a.heads.len() > MAX_ANNOUNCE_HEADS => {
                Err(GossipError::TooMany("heads"))
            }
            Gossip::Alert(a) if a.text.len() > MAX_ALERT_TEXT => {
                Err(GossipError::BadText("is longer than 1000 bytes"))
            }
            _ => Ok(msg),
        }
    }

    pub fn circle_id(&self) -> Hash32 {
        match self {
            Gossip::Announce(a) => a.circle_id,
            Gossip::Alert(a) => a.circle_id,
        }
    }

    /// What the node remembers to drop replays: the alert id, or everything an
    /// announcement says (the same heads announced again the same day is a replay).
    pub fn replay_key(&self) -> Hash32 {
        match self {
            Gossip::Announce(a) => Hash32::digest(b"circle-ledger/announce-key/v1", &[&a.body()]),
            Gossip::Alert(a) => Hash32::digest(
                b"circle-ledger/alert-key/v1",
                &[&a.circle_id.0, &a.alert_id],
            ),
        }
    }

    fn header(&self) -> (Hash32, u64, PublicKey) {
        match self {
            Gossip::Announce(a) => (a.circle_id, a.term, a.signer),
            Gossip::Alert(a) => (a.circle_id, a.term, a.signer),
        }
    }

    fn signed(&self) -> (Vec<u8>, Signature) {
        match self {
            Gossip::Announce(a) => (a.signing_bytes(), a.signature),
            Gossip::Alert(a) => (a.signing_bytes(), a.signature),
        }
    }
}

/// Everything an announcement says, minus the signature.
#[derive(Serialize)]
struct AnnounceBody<'a> {
    circle_id: &'a Hash32,
    term: u64,
    heads: &'a [Hash32],
    compliant: bool,
    day: u64,
    signer: &'a PublicKey,
}

/// Everything an alert says, minus the signature.
#[derive(Serialize)]
struct AlertBody<'a> {
    circle_id: &'a Hash32,
    alert_id: &'a [u8; 16],
    term: u64,
    sent: u64,
    text: &'a str,
    signer: &'a PublicKey,
}

impl Announcement {
    /// Signs "this circle is at `heads`" for today (`now` is unix seconds).
    pub fn sign(
        circle_id: Hash32,
        term: u64,
        heads: Vec<Hash32>,
        compliant: bool,
        key: &StewardKey,
        now: u64,
    ) -> Result<Announcement, GossipError> {
        if heads.len() > MAX_ANNOUNCE_HEADS {
            return Err(GossipError::TooMany("heads"));
        }
        let mut a = Announcement {
            circle_id,
            term,
            heads,
            compliant,
            day: day_of(now),
            signer: key.public(),
            signature: Signature([0; 64]),
        };
        a.signature = key.sign(&a.signing_bytes());
        Ok(a)
    }

    fn body(&self) -> Vec<u8> {
        let body = AnnounceBody {
            circle_id: &self.circle_id,
            term: self.term,
            heads: &self.heads,
            compliant: self.compliant,
            day: self.day,
            signer: &self.signer,
        };
        postcard::to_stdvec(&body).unwrap_or_default()
    }

    fn signing_bytes(&self) -> Vec<u8> {
        let mut out = b"circle-ledger/announce/v1\0".to_vec();
        out.extend(self.body());
        out
    }
}

impl Alert {
    /// Signs an alert sent at `now` (kept to the minute) under a fresh random id.
    pub fn sign(
        circle_id: Hash32,
        term: u64,
        key: &StewardKey,
        text: &str,
        now: u64,
    ) -> Result<Alert, GossipError> {
        check_text(text)?;
        let mut alert_id = [0u8; 16];
        alert_id.copy_from_slice(&random_bytes()[..16]);
        let mut a = Alert {
            circle_id,
            alert_id,
            term,
            sent: now - now % MINUTE,
            text: text.to_owned(),
            signer: key.public(),
            signature: Signature([0; 64]),
        };
        a.signature = key.sign(&a.signing_bytes());
        Ok(a)
    }

    fn signing_bytes(&self) -> Vec<u8> {
        let body = AlertBody {
            circle_id: &self.circle_id,
            alert_id: &self.alert_id,
            term: self.term,
            sent: self.sent,
            text: &self.text,
            signer: &self.signer,
        };
        let mut out = b"circle-ledger/alert/v1\0".to_vec();
        out.extend(postcard::to_stdvec(&body).unwrap_or_default());
        out
    }
}

/// Alert text: 1 to 1000 bytes, not blank, no control characters but newlines.
pub fn check_text(text: &str) -> Result<(), GossipError> {
    if text.len() > MAX_ALERT_TEXT {
        return Err(GossipError::BadText("is longer than 1000 bytes"));
    }
    if text.trim().is_empty() {
        return Err(GossipError::BadText("is empty"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(GossipError::BadText("contains control characters"));
    }
    Ok(())
}

/// Whether a payload may be shown and relayed, judged against the circle's verified
/// chain at `now` (unix seconds): right circle, not flagged, the latest term, signed by
/// one of its stewards, coarse times, valid text; then the term unexpired, and fresh. A
/// flagged circle's message is refused as such only once a steward of the forked term
/// has signed it.
///
/// The signature is checked before the reasons that say only that our view may lag
/// (a flagged or expired chain, a time outside the window, e.g. clock skew): the node
/// answers those by pulling rather than penalising, so they must come from a steward,
/// never from anyone who forges bytes. Only a newer term cannot be verified here.
pub fn check(msg: &Gossip, chain: &TermChain, now: u64) -> Result<(), GossipError> {
    let (circle_id, term, signer) = msg.header();
    if circle_id != chain.circle_id() {
        return Err(GossipError::WrongCircle);
    }
    if let Some(fork) = chain.equivocations().iter().map(|e| e.term).min() {
        // Frozen at the fork: a steward of any certificate of the forked term (the one
        // standing or a rival) may still be heard of, as a reason to pull.
        let of_the_fork = chain
            .equivocations()
            .iter()
            .filter(|e| e.term == fork)
            .any(|e| {
                e.first.body.stewards.contains(&signer) || e.second.body.stewards.contains(&signer)
            });
        if !of_the_fork {
            return Err(GossipError::NotASteward(fork));
        }
        let (bytes, signature) = msg.signed();
        signer
            .verify(&bytes, &signature)
            .map_err(|_| GossipError::Forged)?;
        return Err(GossipError::Equivocation(fork));
    }
    let latest = chain.latest();
    if term != latest.body.term {
        return Err(GossipError::WrongTerm {
            got: term,
            latest: latest.body.term,
        });
    }
    if !latest.body.stewards.contains(&signer) {
        return Err(GossipError::NotASteward(term));
    }
    match msg {
        Gossip::Announce(a) => {
            if a.heads.len() > MAX_ANNOUNCE_HEADS {
                return Err(GossipError::TooMany("heads"));
            }
            if a.day % DAY != 0 {
                return Err(GossipError::PreciseTime);
            }
        }
        Gossip::Alert(a) => {
            check_text(&a.text)?;
            if a.sent % MINUTE != 0 {
                return Err(GossipError::PreciseTime);
            }
        }
    }
    let (bytes, signature) = msg.signed();
    signer
        .verify(&bytes, &signature)
        .map_err(|_| GossipError::Forged)?;
    if chain.latest_expired(now) {
        return Err(GossipError::Expired(term));
    }
    match msg {
        Gossip::Announce(a) => window(a.day, day_of(now), DAY, DAY),
        Gossip::Alert(a) => window(a.sent, now, ALERT_MAX_AGE, ALERT_MAX_AHEAD),
    }
}

/// `t` must lie in `[now - behind, now + ahead]`, without overflow at the extremes.
fn window(t: u64, now: u64, behind: u64, ahead: u64) -> Result<(), GossipError> {
    if t.saturating_add(behind) < now {
        return Err(GossipError::Stale);
    }
    if t > now.saturating_add(ahead) {
        return Err(GossipError::FromFuture);
    }
    Ok(())
}

#[cfg(test)]
mod tests;

//! A circle as its own node sees it: term chain, ledger, and the steward keys held here.

use automerge::ActorId;

use crate::envelope::SignedChange;
use crate::error::{CertError, LedgerError};
use crate::keys::{random_bytes, Hash32, PublicKey, StewardKey};
use crate::ledger::{day_of, Ledger, Signer, DAY};
use crate::term::{CertBody, TermCert, TermChain, CERT_VERSION, MAX_STEWARDS};

/// Default steward term: power must not settle.
pub const DEFAULT_TERM_DAYS: u64 = 14;
/// Longest steward term.
pub const MAX_TERM_DAYS: u64 = 366;

#[derive(Debug)]
pub struct Circle {
    pub chain: TermChain,
    pub ledger: Ledger,
    /// Secret keys of the latest term held on this node (possibly none: a replica).
    pub keys: Vec<StewardKey>,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CircleError {
    #[error(transparent)]
    Cert(#[from] CertError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("{0}")]
    Invalid(String),
}

/// The Automerge actor id a steward key writes under: derived from the key, so a
/// term's changes share an actor but terms (with fresh keys) do not.
pub fn actor_for(key: &StewardKey) -> ActorId {
    let h = Hash32::digest(b"circle-ledger/actor/v1", &[&key.public().0]);
    ActorId::from(&h.0[..16])
}

/// A term's period, rounded to UTC midnights: a certificate travels to every peer and
/// must not tell them to the second when the stewards were at work. The start is
/// rounded down and the expiry up, so a term lasts at least the days asked for.
fn term_period(now: u64, days: u64) -> (u64, u64) {
    let start = day_of(now);
    let end = now.saturating_add(days.saturating_mul(DAY));
    let expires = day_of(end.saturating_add(DAY - 1));
    (start, expires)
}

fn check_term_days(days: u64) -> Result<(), CircleError> {
    if days == 0 || days > MAX_TERM_DAYS {
        return Err(CircleError::Invalid(format!(
            "a term lasts 1 to {MAX_TERM_DAYS} days, not {days}"
        )));
    }
    Ok(())
}

impl Circle {
    /// Creates a circle: genesis certificate with one fresh steward key, and the
    /// ledger's signed genesis change (which the caller must persist).
    pub fn create(
        name: &str,
        term_days: u64,
        now: u64,
    ) -> Result<(Circle, SignedChange), CircleError> {
        check_term_days(term_days)?;
        let key = StewardKey::generate();
        let (start, expires) = term_period(now, term_days);
        let body = CertBody {
            version: CERT_VERSION,
            circle_id: None,
            term: 0,
            stewards: vec![key.public()],
            threshold: 1,
            start,
            expires,
            handover_heads: vec![],
            prev: None,
            genesis_nonce: Some(Hash32(random_bytes())),
            lottery: None,
            forgetting: None,
        };
        let cert = TermCert::sign(body, &[&key])?;
        let chain = TermChain::from_genesis(cert)?;
        let signer = Signer { key: &key, term: 0 };
        let (ledger, change) =
            Ledger::genesis(chain.circle_id(), name, actor_for(&key), &signer, now)?;
        Ok((
            Circle {
                chain,
                ledger,
                keys: vec![key],
            },
            change,
        ))
    }

    pub fn circle_id(&self) -> Hash32 {
        self.chain.circle_id()
    }

    pub fn term(&self) -> u64 {
        self.chain.latest().body.term
    }

    /// The signer for local writes: a key of the latest, unexpired term held here.
    pub fn writer(&self, now: u64) -> Result<Signer<'_>, LedgerError> {
        writer(&self.chain, &self.keys, now)
    }

    /// Runs `f` with the ledger and the current term's signer (see [`writer`]).
    pub fn with_writer<T>(
        &mut self,
        now: u64,
        f: impl FnOnce(&mut Ledger, &Signer<'_>) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let signer = writer(&self.chain, &self.keys, now)?;
        f(&mut self.ledger, &signer)
    }

    /// The signer ignoring expiry (tests and examples).
    pub fn signer(&self) -> Signer<'_> {
        Signer {
            key: &self.keys[0],
            term: self.term(),
        }
    }

    /// The body of the next term's certificate: `stewards` with `threshold`, lasting
    /// `term_days` from `now`, handing over at this node's ledger heads now.
    pub fn next_body(
        &self,
        term_days: u64,
        stewards: Vec<PublicKey>,
        threshold: u32,
        now: u64,
    ) -> Result<CertBody, CircleError> {
        check_term_days(term_days)?;
        let latest = self.chain.latest();
        let (start, expires) = term_period(now, term_days);
        // Never before the outgoing term's start (an older, unrounded one included).
        let start = start.max(latest.body.start);
        Ok(CertBody {
            version: CERT_VERSION,
            circle_id: Some(self.circle_id()),
            term: latest.body.term + 1,
            stewards,
            threshold,
            start,
            expires: expires.max(start + DAY),
            handover_heads: self.ledger.heads().iter().map(|h| Hash32(h.0)).collect(),
            prev: Some(latest.id()),
            genesis_nonce: None,
            lottery: None,
            forgetting: None,
        })
    }

    /// The keys held here that are stewards of the latest term.
    pub fn current_keys(&self) -> Vec<&StewardKey> {
        let latest = &self.chain.latest().body;
        self.keys
            .iter()
            .filter(|k| latest.stewards.contains(&k.public()))
            .collect()
    }

    /// Certifies the next term with `stewards` fresh keys on this node, handing over at
    /// the current ledger heads. The outgoing keys are dropped: they can no longer write.
    pub fn rotate(
        &mut self,
        term_days: u64,
        stewards: usize,
        now: u64,
    ) -> Result<TermCert, CircleError> {
        self.rotate_inner(term_days, stewards, now, None)
    }

    /// Like [`Circle::rotate`], starting a new epoch that keeps evidence for
    /// `retain_terms` terms (`crate::epoch`): the ledger becomes the derived base.
    /// `term_of` gives the term of each signed change of the ledger.
    pub fn rotate_forgetting(
        &mut self,
        term_days: u64,
        stewards: usize,
        now: u64,
        retain_terms: u32,
        term_of: &dyn Fn(&automerge::ChangeHash) -> Option<u64>,
    ) -> Result<TermCert, CircleError> {
        self.rotate_inner(term_days, stewards, now, Some((retain_terms, term_of)))
    }

    #[allow(clippy::type_complexity)]
    fn rotate_inner(
        &mut self,
        term_days: u64,
        stewards: usize,
        now: u64,
        forget: Option<(u32, &dyn Fn(&automerge::ChangeHash) -> Option<u64>)>,
    ) -> Result<TermCert, CircleError> {
        check_term_days(term_days)?;
        if stewards == 0 || stewards > MAX_STEWARDS {
            return Err(CircleError::Invalid(format!(
                "a term needs 1 to {MAX_STEWARDS} stewards"
            )));
        }
        let latest = self.chain.latest().clone();
        let outgoing: Vec<&StewardKey> = self
            .keys
            .iter()
            .filter(|k| latest.body.stewards.contains(&k.public()))
            .collect();
        if outgoing.len() < latest.body.threshold as usize {
            return Err(CircleError::Invalid(format!(
                "this node holds {} of the {} steward keys needed to certify the next term",
                outgoing.len(),
                latest.body.threshold
            )));
        }
        let fresh: Vec<StewardKey> = (0..stewards).map(|_| StewardKey::generate()).collect();
        let body = self.next_body(
            term_days,
            fresh.iter().map(|k| k.public()).collect(),
            (stewards / 2 + 1) as u32,
            now,
        )?;
        let mut body = body;
        let base = match forget {
            Some((retain, term_of)) => Some(
                crate::epoch::start(
                    &mut body,
                    self.ledger.doc(),
                    retain,
                    self.chain.epoch() + 1,
                    term_of,
                )
                .map_err(|e| CircleError::Invalid(e.to_string()))?,
            ),
            None => None,
        };
        let cert = TermCert::sign(body, &outgoing)?;
        self.chain.insert(cert.clone())?;
        if let Some(base) = base {
            self.ledger = Ledger::from_doc(base, self.circle_id())?;
        }
        self.ledger.set_actor(actor_for(&fresh[0]));
        self.keys = fresh;
        Ok(cert)
    }
}

/// Picks, among `keys`, one of the latest term's stewards, refusing expired terms.
pub fn writer<'a>(
    chain: &TermChain,
    keys: &'a [StewardKey],
    now: u64,
) -> Result<Signer<'a>, LedgerError> {
    let latest = chain.latest();
    let term = latest.body.term;
    let key = keys
        .iter()
        .find(|k| latest.body.stewards.contains(&k.public()))
        .ok_or(LedgerError::NotSteward(term))?;
    if chain.latest_expired(now) {
        return Err(LedgerError::TermExpired(term));
    }
    Ok(Signer { key, term })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::T0;

    /// Issue 9, item 18: certificates carry days, not seconds, and expiry checks
    /// use the rounded values.
    #[test]
    fn certificates_carry_midnights_and_expire_on_them() {
        let now = T0 + 12_345; // not a midnight
        assert_ne!(now % DAY, 0);
        let (mut c, _) = Circle::create("Night shift", 14, now).unwrap();
        let body = &c.chain.latest().body;
        assert_eq!((body.start % DAY, body.expires % DAY), (0, 0));
        assert!(body.start <= now && body.expires >= now + 14 * DAY);
        assert!(body.expires - body.start <= 15 * DAY);
        let expires = body.expires;
        assert!(c.writer(expires - 1).is_ok());
        assert!(matches!(
            c.writer(expires),
            Err(LedgerError::TermExpired(0))
        ));
        let later = now + 3 * DAY + 777;
        let cert = c.rotate(1, 1, later).unwrap();
        assert_eq!((cert.body.start % DAY, cert.body.expires % DAY), (0, 0));
        assert!(cert.body.expires >= later + DAY);
        assert!(c.writer(later).is_ok());
        assert!(c.writer(cert.body.expires).is_err());
    }
}

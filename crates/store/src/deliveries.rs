//! Which circle nodes each of the own circle's alerts was delivered to, so that
//! `circle alerts` can say who got an alert, and a node knows whom it still owes one.
//!
//! One record per alert, keyed like the alert itself; each holds at most
//! [`MAX_RECEIVERS`] peer ids, and records of alerts no longer kept are swept once the
//! tree outgrows the alerts cap.

use crate::net::MAX_ALERTS;
use crate::store::{corrupt, key};
use crate::{Store, StoreError};
use circle_core::keys::Hash32;

/// Receivers remembered per alert (the first ones; the count stops growing there).
pub const MAX_RECEIVERS: usize = 64;
/// Longest peer id accepted (a PeerId in text is about 52 characters).
const MAX_PEER_ID: usize = 128;

impl Store {
    /// The peers (text PeerIds) an alert was delivered to, in delivery order.
    pub fn alert_receivers(
        &self,
        circle: &Hash32,
        alert_id: &[u8; 16],
    ) -> Result<Vec<String>, StoreError> {
        match self.deliveries.get(key(circle, alert_id))? {
            None => Ok(Vec::new()),
            Some(v) => postcard::from_bytes(&v).map_err(|_| corrupt("alert receivers")),
        }
    }

    /// Adds receivers of an alert (staged); returns the whole list. Peers already listed,
    /// over-long ids and any beyond [`MAX_RECEIVERS`] are left out.
    pub fn add_alert_receivers(
        &self,
        circle: &Hash32,
        alert_id: &[u8; 16],
        peers: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let mut all = self.alert_receivers(circle, alert_id)?;
        let before = all.len();
        for p in peers {
            if all.len() < MAX_RECEIVERS && p.len() <= MAX_PEER_ID && !all.contains(p) {
                all.push(p.clone());
            }
        }
        if all.len() == before {
            return Ok(all);
        }
        let bytes = postcard::to_stdvec(&all).map_err(|_| corrupt("encoding a record"))?;
        self.deliveries.insert(key(circle, alert_id), bytes)?;
        if self.deliveries.len() > MAX_ALERTS {
            self.sweep_deliveries()?;
        }
        self.wrote();
        Ok(all)
    }

    /// Drops the records of alerts that are no longer kept.
    fn sweep_deliveries(&self) -> Result<(), StoreError> {
        for k in self.deliveries.iter().keys() {
            let k = k?;
            if !self.alerts.contains_key(&k)? {
                self.deliveries.remove(&k)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receivers_accumulate_once_each_and_are_capped() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let (c, a) = (Hash32([1; 32]), [2; 16]);
        assert!(s.alert_receivers(&c, &a).unwrap().is_empty());
        let one = vec!["peer-a".to_owned()];
        s.add_alert_receivers(&c, &a, &one).unwrap();
        let all = s
            .add_alert_receivers(&c, &a, &["peer-a".into(), "peer-b".into()])
            .unwrap();
        assert_eq!(all, ["peer-a", "peer-b"]);
        let many: Vec<String> = (0..200).map(|i| format!("p{i}")).collect();
        let all = s.add_alert_receivers(&c, &a, &many).unwrap();
        assert_eq!(all.len(), MAX_RECEIVERS);
        assert_eq!(s.alert_receivers(&c, &a).unwrap(), all);
        // Other alerts are unaffected.
        assert!(s.alert_receivers(&c, &[3; 16]).unwrap().is_empty());
    }
}

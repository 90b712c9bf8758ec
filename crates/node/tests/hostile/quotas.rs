//! Item 11 end to end: the per-circle alert rate. A peer holding a circle's steward key
//! floods validly signed alerts; the node keeps and forwards at most the circle's rate,
//! another circle's alert still passes, and what is kept stays within the store's bound.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use circle_core::gossip::Gossip;
use circle_net::Event;
use circle_node::{ALERT_TOPIC, ANNOUNCE_TOPIC};
use tokio::time::timeout;

use super::common::*;
use super::receives;
use super::skew::{alert_at, publish, skewed_steward};

/// Alerts one circle may have kept and forwarded per hour (budget.rs).
const ALERTS_PER_HOUR: usize = 30;
/// What the flood sends: twice the rate.
const FLOOD: usize = 2 * ALERTS_PER_HOUR;

/// Circle A's steward floods 60 signed alerts through a bare peer. B shows, keeps and
/// forwards (to an observer connected to B alone) at most 30 of them; circle C's alert
/// sent after the flood is shown and forwarded; the honest-but-noisy sender is not
/// graylisted (its alerts are real: over the rate they are ignored, not rejected).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_circles_alert_flood_is_capped_at_its_rate_and_others_still_pass() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let a = Arc::new(Mutex::new(circle(dirs[0].path(), "Alder", true)));
    let c = Arc::new(Mutex::new(circle(dirs[1].path(), "Cedar", true)));
    let (a_id, c_id) = (a.lock().unwrap().circle_id(), c.lock().unwrap().circle_id());
    let (flooder, _, a_inv) = skewed_steward(a.clone()).await;
    let (sister, _, c_inv) = skewed_steward(c.clone()).await;
    let flooder_id = a_inv.peer_id.clone().unwrap();
    let b = start_with(circle(dirs[2].path(), "Birch", true), |cfg| {
        cfg.resync = Duration::from_secs(3600);
    })
    .await;
    assert!(b.follow(a_inv, None).await.unwrap().synced);
    assert!(b.follow(c_inv, None).await.unwrap().synced);
    let mut alerts = b.subscribe_alerts();

    // An observer connected to B alone: what it receives is what B forwarded.
    let (observer, mut seen, _, _) = hostile(Some(&b.addrs()[0])).await;
    observer.subscribe(ALERT_TOPIC).await.unwrap();
    observer.subscribe(ANNOUNCE_TOPIC).await.unwrap();
    let observed = tokio::spawn(async move {
        let mut by_circle: Vec<circle_core::keys::Hash32> = Vec::new();
        while let Ok(Some(e)) = timeout(Duration::from_secs(5), seen.recv()).await {
            if let Event::Gossip {
                topic,
                data,
                source,
                message_id,
            } = e
            {
                if let (true, Ok(msg)) = (topic == ALERT_TOPIC, Gossip::decode(&data)) {
                    by_circle.push(msg.circle_id());
                }
                let _ = observer
                    .report_validation(message_id, source, circle_net::Acceptance::Ignore)
                    .await;
            }
        }
        by_circle
    });

    let mut ids = Vec::new();
    for i in 0..FLOOD {
        let (id, bytes) = alert_at(&a, &format!("Flood {i}"), now());
        publish(&flooder, ALERT_TOPIC, bytes).await;
        ids.push(id);
    }
    let (sisters, bytes) = alert_at(&c, "Eviction at dawn", now());
    publish(&sister, ALERT_TOPIC, bytes).await;
    receives(&mut alerts, &sisters).await;

    // Every flood alert has been judged once the observer hears nothing for 5 s.
    let forwarded = timeout(WAIT * 2, observed).await.unwrap().unwrap();
    let forwarded_a = forwarded.iter().filter(|c| **c == a_id).count();
    assert!(
        forwarded_a <= ALERTS_PER_HOUR,
        "B forwarded {forwarded_a} of circle A's alerts"
    );
    assert!(
        forwarded.contains(&c_id),
        "circle C's alert was not forwarded"
    );

    let kept = b.store().alerts().unwrap();
    let kept_a = kept.iter().filter(|s| s.circle_id == a_id).count();
    assert!(
        (1..=ALERTS_PER_HOUR).contains(&kept_a),
        "B kept {kept_a} of circle A's alerts"
    );
    assert!(kept.iter().any(|s| s.circle_id == c_id));
    // The store's bound: each kept alert is one gossip message at most.
    let bytes: usize = kept.iter().map(|s| s.encoded.len()).sum();
    assert!(bytes <= kept.len() * circle_core::gossip::MAX_GOSSIP_BYTES);
    assert!(kept.len() <= circle_store::MAX_ALERTS);

    let score = b.peer_score(&flooder_id).await.unwrap_or(0.0);
    assert!(
        score >= 0.0,
        "a real steward's alerts were rejected: {score}"
    );
    b.shutdown().await;
}

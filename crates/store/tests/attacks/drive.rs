//! Feeds generated attacks through the real ingest path and into a real store, in
//! bounded batches, and tallies what happened to each (shared by the `attacks` test
//! and the `attacks` bench).

use std::collections::{BTreeMap, HashMap};

use circle_core::keys::Hash32;
use circle_core::testing::attacks::{Attack, Attacks};
use circle_core::testing::Scenario;
use circle_core::validate::{ingest, ApplyReport};
use circle_store::Store;

/// What became of the generated changes.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) generated: usize,
    /// Applied to the replica: must stay 0.
    pub(crate) accepted: usize,
    /// Found in the store after staging what ingest applied: must stay 0.
    pub(crate) persisted: usize,
    /// Signed changes in the store beyond the honest history: must stay 0.
    pub(crate) stored_beyond_honest: usize,
    /// (family, outcome) → count.
    pub(crate) outcomes: BTreeMap<(Attack, String), usize>,
}

/// Runs `total` attacks in batches of `batch` against the honest history of `s`,
/// persisting with `store` exactly as a node does (`stage_changes` of what ingest
/// applied, then `sync`).
pub(crate) fn run(s: &Scenario, store: &Store, total: usize, batch: usize) -> Tally {
    let id = s.circle_id();
    let chain = s.chain();
    for cert in chain.certs() {
        store.put_cert(cert).unwrap();
    }
    let mut honest = s.empty_replica();
    let report = ingest(&mut honest, &chain, s.changes.clone(), s.now);
    assert_eq!(
        report.applied.len(),
        s.changes.len(),
        "honest history applies"
    );
    store.stage_changes(&id, &report.applied).unwrap();
    store.sync().unwrap();
    let honest_stored = store.change_count(&id);

    let mut attacks = Attacks::new(s);
    let mut tally = Tally::default();
    while tally.generated < total {
        let n = batch.min(total - tally.generated);
        let expired_n = n / 10;
        let live = attacks.batch(n - expired_n);
        let expired: Vec<_> = (0..expired_n)
            .map(|_| (Attack::Expired, attacks.next(Attack::Expired)))
            .collect();
        tally.generated += n;
        let kinds: HashMap<Hash32, Attack> = live
            .iter()
            .chain(&expired)
            .map(|(a, c)| (c.envelope.change_hash, *a))
            .collect();
        // Each batch meets the honest replica afresh: a node keeps one, but Automerge's
        // own queue would then carry withheld-root changes from batch to batch (issue 8
        // item 2), and this measures ingest's verdicts, not that queue.
        let mut replica = honest.clone();
        let reports = [
            ingest(
                &mut replica,
                &chain,
                live.into_iter().map(|x| x.1).collect(),
                s.now,
            ),
            ingest(
                &mut replica,
                &chain,
                expired.into_iter().map(|x| x.1).collect(),
                attacks.expired_now(),
            ),
        ];
        for report in &reports {
            tally.accepted += report.applied.len();
            store.stage_changes(&id, &report.applied).unwrap();
            count(&mut tally, &kinds, report);
        }
        store.sync().unwrap();
        tally.persisted += kinds
            .keys()
            .filter(|h| store.envelope(&id, h).unwrap().is_some())
            .count();
    }
    tally.stored_beyond_honest = store.change_count(&id) - honest_stored;
    tally
}

fn count(tally: &mut Tally, kinds: &HashMap<Hash32, Attack>, report: &ApplyReport) {
    let mut add = |h: &Hash32, what: String| {
        // Only attacks are tallied (an honest change an equivocation took out is not one).
        if let Some(kind) = kinds.get(h) {
            *tally.outcomes.entry((*kind, what)).or_default() += 1;
        }
    };
    for (h, e) in &report.rejected {
        add(h, format!("rejected: {e}"));
    }
    for (c, why) in &report.pending {
        add(&c.envelope.change_hash, format!("pending: {why:?}"));
    }
    for e in &report.equivocations {
        add(
            &e.second.envelope.change_hash,
            "frozen: equivocation".to_string(),
        );
    }
    for h in &report.frozen {
        add(h, "frozen: actor".to_string());
    }
    for c in &report.applied {
        add(&c.envelope.change_hash, "ACCEPTED".to_string());
    }
}

/// Peak resident memory of this process (Linux), in KiB.
pub(crate) fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

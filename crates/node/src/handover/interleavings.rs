//! Random interleavings of writes, proposals, approvals, withdrawals, restarts and
//! exchanges between three steward devices: once every device has heard from every
//! other, they hold the same chain (never forked) and the same heads, and every
//! acknowledged write is in the ledger or, for a device that wrote while apart from a
//! handover, in its `recovered/` file.

use std::collections::BTreeSet;

use circle_core::ledger::Ledger;
use circle_core::testing::T0;
use proptest::prelude::*;

use super::tests::{carry_bundle, log, options, three_devices, Three};
use super::*;

const HOUR: u64 = 3_600;
const DEVICES: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    Write(usize),
    Propose { by: usize, name_others: bool },
    Approve(usize),
    Withdraw(usize),
    Exchange(usize, usize),
    Reopen(usize),
    LaterDays(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let d = 0..DEVICES;
    prop_oneof![
        3 => d.clone().prop_map(Op::Write),
        2 => (d.clone(), any::<bool>()).prop_map(|(by, name_others)| Op::Propose { by, name_others }),
        2 => d.clone().prop_map(Op::Approve),
        1 => d.clone().prop_map(Op::Withdraw),
        4 => (d.clone(), d.clone()).prop_map(|(a, b)| Op::Exchange(a, b)),
        1 => d.prop_map(Op::Reopen),
        1 => (1..6u64).prop_map(Op::LaterDays),
    ]
}

/// The devices `i` and `j` (distinct) at once.
fn pair(
    devices: &mut [Option<LocalCircle>],
    i: usize,
    j: usize,
) -> (&LocalCircle, &mut LocalCircle) {
    assert_ne!(i, j);
    let (lo, hi) = devices.split_at_mut(i.max(j));
    let (a, b) = (&mut lo[i.min(j)], &mut hi[0]);
    let (from, to) = if i < j { (a, b) } else { (b, a) };
    (from.as_ref().unwrap(), to.as_mut().unwrap())
}

fn exchange(devices: &mut [Option<LocalCircle>], i: usize, j: usize, now: u64) {
    if i == j {
        return;
    }
    let (from, to) = pair(devices, i, j);
    let sent = from.proposals_for_sync().unwrap();
    to.merge_proposals(sent, now).unwrap();
    carry_bundle(from, to, now);
    // As the lead's sync will: certificates arrived, keys are taken up.
    to.adopt_keys().unwrap();
}

/// Every device hears from every other, twice round.
fn converge(devices: &mut [Option<LocalCircle>], now: u64) {
    for _ in 0..2 {
        for i in 0..DEVICES {
            for j in 0..DEVICES {
                exchange(devices, i, j, now);
            }
        }
    }
}

fn first_open(d: &LocalCircle, now: u64) -> Option<String> {
    d.proposals(now)
        .unwrap()
        .into_iter()
        .find(|p| p.state == "open")
        .map(|p| p.proposal_id)
}

fn titles(ledger: &Ledger) -> BTreeSet<String> {
    ledger.actions().iter().map(|a| a.title.clone()).collect()
}

fn recovered_titles(d: &LocalCircle) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Ok(files) = std::fs::read_dir(d.root().join("recovered")) else {
        return out;
    };
    for f in files {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        let doc = automerge::Automerge::load(&bytes).unwrap();
        out.extend(titles(&Ledger::from_doc(doc, d.circle_id()).unwrap()));
    }
    out
}

fn run(ops: Vec<Op>) {
    let Three { _dirs, devices } = three_devices();
    let mut devices: Vec<Option<LocalCircle>> = devices.into_iter().map(Some).collect();
    let mut now = T0 + 2 * 86_400;
    let mut acked: Vec<(usize, String)> = Vec::new();
    for (n, op) in ops.into_iter().enumerate() {
        now += HOUR;
        match op {
            Op::Write(i) => {
                let title = format!("write {n} on {i}");
                if log(devices[i].as_mut().unwrap(), now, &title).is_ok() {
                    acked.push((i, title));
                }
            }
            Op::Propose { by, name_others } => {
                let mut named = vec![Nominee::Myself];
                for j in (0..DEVICES).filter(|j| name_others && *j != by) {
                    if let Ok(code) = devices[j].as_mut().unwrap().volunteer() {
                        named.push(Nominee::parse(&code).unwrap());
                    }
                }
                let _ = devices[by]
                    .as_mut()
                    .unwrap()
                    .propose(options(named, None), now);
            }
            Op::Approve(i) => {
                let d = devices[i].as_mut().unwrap();
                if let Some(id) = first_open(d, now) {
                    let _ = d.approve(&id, now);
                }
            }
            Op::Withdraw(i) => {
                let d = devices[i].as_mut().unwrap();
                if let Some(id) = first_open(d, now) {
                    let _ = d.withdraw(&id, now);
                }
            }
            Op::Exchange(i, j) => exchange(&mut devices, i, j, now),
            Op::Reopen(i) => {
                let root = devices[i].take().unwrap().root().to_owned();
                devices[i] = Some(LocalCircle::open(&root).unwrap());
            }
            Op::LaterDays(days) => now += days * 86_400,
        }
    }
    converge(&mut devices, now);
    // An expired term's late writes travel only with a handover: hand over, as a
    // circle would (any device with a key proposes, the others approve).
    let expired = devices[0]
        .as_ref()
        .unwrap()
        .circle()
        .chain
        .latest_expired(now);
    if expired {
        let by = (0..DEVICES)
            .find(|i| {
                !devices[*i]
                    .as_ref()
                    .unwrap()
                    .circle()
                    .current_keys()
                    .is_empty()
            })
            .unwrap();
        // Proposals made at once can split the stewards (each key signs one open
        // proposal): as the stewards would, every proposer withdraws its own, then one
        // proposes again.
        for d in devices.iter_mut().map(|d| d.as_mut().unwrap()) {
            for p in d.proposals(now).unwrap() {
                let _ = d.withdraw(&p.proposal_id, now);
            }
        }
        converge(&mut devices, now);
        let d = devices[by].as_mut().unwrap();
        d.propose(options(vec![Nominee::Myself], None), now)
            .unwrap();
        for _ in 0..2 {
            for i in 0..DEVICES {
                for j in 0..DEVICES {
                    exchange(&mut devices, i, j, now);
                }
                let d = devices[i].as_mut().unwrap();
                if let Some(id) = first_open(d, now) {
                    let _ = d.approve(&id, now);
                }
            }
        }
        converge(&mut devices, now);
        let d = devices[0].as_ref().unwrap().circle();
        assert!(!d.chain.latest_expired(now), "the expired term handed over");
    }
    let devices: Vec<LocalCircle> = devices.into_iter().map(Option::unwrap).collect();
    let first = &devices[0].circle();
    for d in &devices {
        let c = d.circle();
        assert_eq!(c.chain.fork_term(), None, "a fork");
        assert_eq!(c.chain.latest().id(), first.chain.latest().id());
        let mut heads = c.ledger.heads();
        let mut want = first.ledger.heads();
        heads.sort();
        want.sort();
        assert_eq!(heads, want);
    }
    let kept = titles(&first.ledger);
    for (i, title) in &acked {
        assert!(
            kept.contains(title) || recovered_titles(&devices[*i]).contains(title),
            "acknowledged {title} lost"
        );
    }
}

proptest! {
    // Each case opens, copies and syncs several sled stores: few cases, short runs.
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn devices_converge_without_a_fork_or_a_lost_write(ops in proptest::collection::vec(op(), 1..30)) {
        run(ops);
    }
}

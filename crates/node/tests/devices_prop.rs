//! Devices of one circle under random interleavings of writes, syncs, proposals,
//! approvals, withdrawals and revocations, from two to five devices (THREATS 2, 3,
//! 20–22). Devices sync as the network makes them: the own circle's bundle (changes and
//! certificates, verified on import) and the open proposals, between random pairs.
//!
//! At the end, after every pair has synced: one term chain and one set of heads on every
//! device; no change of a past term outside its handover history applied anywhere (a
//! revoked key's late writes included); and every acknowledged write is in the ledger or
//! kept in its device's `recovered/` directory (taken out at a handover it missed).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use circle_core::keys::Hash32;
use circle_core::ledger::Ledger;
use circle_core::testing::T0;
use circle_core::validate::outside_handover;
use circle_node::{LocalCircle, Nominee, ProposeOptions};
use proptest::prelude::*;

struct Device {
    _dir: tempfile::TempDir,
    local: LocalCircle,
}

#[derive(Debug, Clone)]
enum Op {
    Write(usize),
    Sync(usize, usize),
    Propose {
        by: usize,
        named: Vec<usize>,
        threshold: u32,
    },
    Approve(usize),
    Withdraw(usize),
    Revoke {
        by: usize,
        victim: usize,
    },
    /// Every device pulls from every other once (a meeting, everyone on one Wi-Fi).
    Round,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => any::<usize>().prop_map(Op::Write),
        6 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::Sync(a, b)),
        2 => (any::<usize>(), prop::collection::vec(any::<usize>(), 1..4), any::<u32>())
            .prop_map(|(by, named, threshold)| Op::Propose { by, named, threshold }),
        5 => any::<usize>().prop_map(Op::Approve),
        1 => any::<usize>().prop_map(Op::Withdraw),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(by, victim)| Op::Revoke { by, victim }),
        2 => Just(Op::Round),
    ]
}

fn device_from(bundle: circle_core::bundle::Bundle, now: u64) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let (local, _) = LocalCircle::join(dir.path(), bundle, now).unwrap();
    Device { _dir: dir, local }
}

/// `to` pulls from `from`: its ledger and certificates, then its open proposals.
fn sync(devices: &mut [Device], from: usize, to: usize, now: u64) {
    if from == to {
        return;
    }
    let id = devices[from].local.circle_id();
    let bundle = devices[from].local.bundle(&id).unwrap();
    let proposals = devices[from].local.proposals_for_sync().unwrap();
    let target = &mut devices[to].local;
    target.import(bundle, now).unwrap();
    target.adopt_keys().unwrap();
    target.merge_proposals(proposals, now).unwrap();
}

/// A threshold above half of `n` (from `k`): with it, honest devices that never sign
/// two proposals for one term cannot certify two certificates for one term. Lower
/// thresholds let two devices apart certify one each, which forks and freezes the chain
/// by design (docs/DECISIONS.md, "Equivocation").
fn majority(n: usize, k: u32) -> u32 {
    let n = n as u32;
    n / 2 + 1 + k % (n - n / 2)
}

fn round(devices: &mut [Device], now: u64) {
    for a in 0..devices.len() {
        for b in 0..devices.len() {
            sync(devices, a, b, now);
        }
    }
}

fn nominee(devices: &mut [Device], by: usize, j: usize) -> Nominee {
    if j == by {
        return Nominee::Myself;
    }
    let code = devices[j].local.volunteer().unwrap();
    Nominee::parse(&code).unwrap()
}

fn run(n: usize, k: u32, ops: Vec<Op>) {
    let mut now = T0;
    let origin_dir = tempfile::tempdir().unwrap();
    let origin = LocalCircle::init(origin_dir.path(), "Devices", 14, now).unwrap();
    let id = origin.circle_id();
    let genesis = origin.bundle(&id).unwrap();
    let mut devices = vec![Device {
        _dir: origin_dir,
        local: origin,
    }];
    for _ in 1..n {
        devices.push(device_from(genesis.clone(), now));
    }
    // Term 1: a key on every device, certified by the origin's one key of term 0.
    let named: Vec<Nominee> = (0..n).map(|j| nominee(&mut devices, 0, j)).collect();
    let options = ProposeOptions {
        term_days: 14,
        stewards: named,
        threshold: Some(majority(n, k)),
        draw: None,
        retain: None,
    };
    devices[0].local.propose(options, now).unwrap();
    for j in 1..n {
        sync(&mut devices, 0, j, now);
    }
    let mut acknowledged: Vec<(usize, String)> = Vec::new();
    for op in ops {
        now += 60;
        match op {
            Op::Write(d) => {
                let d = d % n;
                let written = devices[d]
                    .local
                    .write(now, |l, s| l.log_action(s, now, "A write", "", &[]));
                if let Ok(entry) = written {
                    acknowledged.push((d, entry));
                }
            }
            Op::Sync(a, b) => sync(&mut devices, a % n, b % n, now),
            Op::Round => round(&mut devices, now),
            Op::Propose {
                by,
                named,
                threshold,
            } => {
                let by = by % n;
                let mut named: Vec<usize> = named.into_iter().map(|j| j % n).collect();
                named.sort_unstable();
                named.dedup();
                let stewards = named
                    .iter()
                    .map(|&j| nominee(&mut devices, by, j))
                    .collect();
                let options = ProposeOptions {
                    term_days: 14,
                    stewards,
                    threshold: Some(majority(named.len(), threshold)),
                    draw: None,
                    retain: None,
                };
                let _ = devices[by].local.propose(options, now);
            }
            Op::Approve(d) => {
                let d = d % n;
                let open = devices[d].local.proposals(now).unwrap();
                if let Some(p) = open.iter().find(|p| p.state == "open") {
                    let _ = devices[d].local.approve(&p.proposal_id, now);
                }
            }
            Op::Withdraw(d) => {
                let d = d % n;
                let open = devices[d].local.proposals(now).unwrap();
                if let Some(p) = open.iter().find(|p| p.state == "open") {
                    let _ = devices[d].local.withdraw(&p.proposal_id, now);
                }
            }
            Op::Revoke { by, victim } => {
                let (by, victim) = (by % n, victim % n);
                let keys = &devices[victim].local.circle().keys;
                let Some(key) = keys.first().map(|k| k.public().to_hex()) else {
                    continue;
                };
                let options = ProposeOptions {
                    term_days: 14,
                    stewards: vec![Nominee::Myself],
                    threshold: Some(1),
                    draw: None,
                    retain: None,
                };
                let _ = devices[by].local.revoke(&key, "device lost", options, now);
            }
        }
    }
    // Everyone syncs with everyone, until nothing moves.
    for _ in 0..n + 2 {
        now += 60;
        round(&mut devices, now);
    }
    // Every certificate each device holds, a fork's rivals included: they travel too.
    let chain_ids = |d: &Device| -> Vec<Hash32> {
        let mut ids: Vec<Hash32> = d.local.circle().chain.all_certs().map(|c| c.id()).collect();
        ids.sort();
        ids
    };
    let first = &devices[0].local;
    for (i, d) in devices.iter().enumerate() {
        assert_eq!(
            chain_ids(d),
            chain_ids(&devices[0]),
            "device {i}: term chain"
        );
        assert_eq!(
            d.local.circle().ledger.heads(),
            first.circle().ledger.heads(),
            "device {i}: heads"
        );
        let store = d.local.store();
        let term_of = |h: &Hash32| store.envelope(&id, h).ok().flatten().map(|e| e.term);
        let outside = outside_handover(&d.local.circle().ledger, &d.local.circle().chain, term_of);
        assert!(
            outside.is_empty(),
            "device {i}: {} past-term changes outside a handover",
            outside.len()
        );
    }
    let in_ledger: Vec<String> = first
        .circle()
        .ledger
        .actions()
        .into_iter()
        .map(|a| a.entry_id)
        .collect();
    for (d, entry) in acknowledged {
        if in_ledger.contains(&entry) {
            continue;
        }
        assert!(
            recovered(&devices[d], id).contains(&entry),
            "acknowledged write {entry} of device {d} is neither in the ledger nor recovered"
        );
    }
}

/// Every action id in the device's `recovered/` files.
fn recovered(d: &Device, id: Hash32) -> Vec<String> {
    let dir = d.local.root().join("recovered");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut ids = Vec::new();
    for e in entries {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        let doc = automerge::Automerge::load(&bytes).unwrap();
        let ledger = Ledger::from_doc(doc, id).unwrap();
        ids.extend(ledger.actions().into_iter().map(|a| a.entry_id));
    }
    ids
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn devices_converge_and_no_past_term_change_outside_a_handover_is_applied(
        n in 2usize..=5,
        k in any::<u32>(),
        ops in prop::collection::vec(op(), 1..40),
    ) {
        run(n, k, ops);
    }
}

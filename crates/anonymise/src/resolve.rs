//! Turning overlapping candidate spans into one non-overlapping list.

use std::collections::BTreeMap;

use crate::{Finding, Kind};

/// Keeps the best candidates and drops any that overlap an already kept one.
///
/// Ranking: lexicon kinds first (the circle's own words are always right),
/// then the longer span (it usually contains the shorter one, e.g. an e-mail
/// contains a handle-looking `@part`), then [`Kind::priority`], then the
/// earlier start so the result is deterministic.
///
/// Accepted spans live in a `BTreeMap` keyed by start, so each overlap check
/// is a logarithmic lookup and the whole pass is `O(n log n)`.
pub(crate) fn resolve(mut candidates: Vec<Finding>) -> Vec<Finding> {
    candidates.retain(|f| f.start < f.end);
    candidates.sort_by(|a, b| {
        b.kind
            .is_lexicon()
            .cmp(&a.kind.is_lexicon())
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(a.kind.priority().cmp(&b.kind.priority()))
            .then(a.start.cmp(&b.start))
    });
    let mut kept: BTreeMap<usize, Finding> = BTreeMap::new();
    for cand in candidates {
        // The nearest kept span starting at or before us must end before we
        // start, and the nearest one starting after us must start after we end.
        let left_clear = kept
            .range(..=cand.start)
            .next_back()
            .is_none_or(|(_, f)| f.end <= cand.start);
        let right_clear = kept
            .range(cand.start..)
            .next()
            .is_none_or(|(_, f)| f.start >= cand.end);
        if left_clear && right_clear {
            kept.insert(cand.start, cand);
        }
    }
    kept.into_values().collect()
}

/// Replaces candidates of `kind` that overlap one another by their union, before
/// [`resolve`] ranks them. Two address candidates that overlap describe one place: when
/// they are ranked instead, the longer one wins and the other's part is lost
/// ("1520 Milwaukee Ave" and "Milwaukee Ave, Chicago, IL 60622" would keep the second and
/// drop the house number). Linear after sorting; the union never reaches past the spans
/// it joins.
pub(crate) fn unite_overlaps(text: &str, candidates: &mut Vec<Finding>, kind: Kind) {
    let (mut same, others): (Vec<Finding>, Vec<Finding>) =
        candidates.drain(..).partition(|f| f.kind == kind);
    *candidates = others;
    same.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut united: Vec<Finding> = Vec::with_capacity(same.len());
    for f in same {
        match united.last_mut() {
            Some(last) if f.start < last.end => {
                if f.end > last.end {
                    last.end = f.end;
                    last.text = text
                        .get(last.start..last.end)
                        .unwrap_or_default()
                        .to_owned();
                }
            }
            _ => united.push(f),
        }
    }
    candidates.extend(united);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(kind: Kind, start: usize, end: usize) -> Finding {
        Finding {
            kind,
            start,
            end,
            text: String::new(),
        }
    }

    #[test]
    fn lexicon_then_length_then_priority() {
        let out = resolve(vec![
            f(Kind::PersonName, 0, 10),
            f(Kind::MemberAlias, 2, 5),
            f(Kind::Phone, 20, 30),
            f(Kind::DateTime, 20, 30),
            f(Kind::Url, 40, 50),
            f(Kind::Handle, 41, 45),
        ]);
        let kinds: Vec<_> = out.iter().map(|f| (f.kind, f.start)).collect();
        assert_eq!(
            kinds,
            vec![(Kind::MemberAlias, 2), (Kind::Phone, 20), (Kind::Url, 40)]
        );
    }

    #[test]
    fn overlapping_addresses_are_one_place() {
        let text = "at 1520 Milwaukee Ave, Chicago now";
        let mut candidates = vec![
            f(Kind::Address, 3, 21),
            f(Kind::Address, 8, 30),
            f(Kind::DateTime, 0, 7),
            f(Kind::Address, 31, 34),
        ];
        unite_overlaps(text, &mut candidates, Kind::Address);
        let spans: Vec<_> = candidates
            .iter()
            .map(|f| (f.kind, f.start, f.end))
            .collect();
        assert_eq!(
            spans,
            [
                (Kind::DateTime, 0, 7),
                (Kind::Address, 3, 30),
                (Kind::Address, 31, 34)
            ]
        );
        assert_eq!(candidates[1].text, "1520 Milwaukee Ave, Chicago");
    }
}

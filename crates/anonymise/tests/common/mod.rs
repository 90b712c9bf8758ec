//! Assertions shared by the rule tests (`general_rules.rs`, `round10_rules.rs`): scan with
//! an empty lexicon, check every finding's offsets against the text, then ask what kind of
//! finding covers what.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use circle_anonymise::{Anonymiser, Kind, Lexicon};

pub(crate) fn found(text: &str) -> Vec<(Kind, String)> {
    let findings = Anonymiser::new(&Lexicon::default()).scan(text);
    for f in &findings {
        assert_eq!(&text[f.start..f.end], f.text, "offsets in {text:?}");
    }
    findings.into_iter().map(|f| (f.kind, f.text)).collect()
}

/// Some finding of `kind` covers all of `surface`.
pub(crate) fn covers(kind: Kind, text: &str, surface: &str) {
    let all = found(text);
    assert!(
        all.iter().any(|(k, t)| *k == kind && t.contains(surface)),
        "{text:?}: no {kind} covering {surface:?} in {all:?}"
    );
}

pub(crate) fn no_kind(kind: Kind, text: &str) {
    let all = found(text);
    assert!(
        all.iter().all(|(k, _)| *k != kind),
        "{text:?}: unexpected {kind} in {all:?}"
    );
}

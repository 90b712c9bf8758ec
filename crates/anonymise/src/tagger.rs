//! A statistical token tagger that backs up the rules where they are silent.
//!
//! The rules (`patterns/`, `names/`) are precise but only know the forms they were
//! written for; every fresh held-out set turned up names, streets and times in forms no
//! rule knew. The tagger is a multi-class averaged perceptron (see `perceptron.rs`) over
//! hand-made features of each token (`features.rs`: shape, length, ending, name-list
//! membership, neighbouring words and marks, what the rules found next to it, what the
//! same text says about the word elsewhere). It was trained on the labelled tuning
//! corpus (`examples/train_tagger.rs`, never on the current held-out set) and its
//! weights are committed as data (`data/tagger_weights.txt`), so a scan stays offline
//! and deterministic.
//!
//! Rules first: the tagger only looks at tokens no rule finding covers, tags them left to
//! right, and turns runs of tagged tokens into findings (joined to a rule finding of the
//! same kind that they touch). It never removes or shortens a rule finding.

mod corpus;
mod features;
mod perceptron;
mod tokens;

pub use corpus::train_tagger_on_corpus;

use features::{features, DocContext};
use perceptron::{Perceptron, Trainer};
use tokens::{tokenise, Shape, Tok};

use crate::names::{Names, WordFlags};
use crate::{Finding, Kind};

pub(crate) const WEIGHTS: &str = include_str!("../data/tagger_weights.txt");

/// What the tagger says a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Other,
    Person,
    Address,
    Time,
}

impl Class {
    pub(crate) const COUNT: usize = 4;
    const ALL: [Class; Class::COUNT] = [Class::Other, Class::Person, Class::Address, Class::Time];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Class::Other => "other",
            Class::Person => "person",
            Class::Address => "address",
            Class::Time => "time",
        }
    }

    /// The class with the highest score (the first one on a tie, so `Other` wins ties).
    pub(crate) fn best(scores: &[f32; Class::COUNT]) -> Class {
        let mut best = Class::Other;
        for c in Class::ALL {
            if scores[c.index()] > scores[best.index()] {
                best = c;
            }
        }
        best
    }

    /// The detail class (not `Other`) with the highest score.
    pub(crate) fn best_detail(scores: &[f32; Class::COUNT]) -> Class {
        let mut best = Class::Person;
        for c in [Class::Address, Class::Time] {
            if scores[c.index()] > scores[best.index()] {
                best = c;
            }
        }
        best
    }

    fn of_kind(kind: Kind) -> Option<Class> {
        match kind {
            Kind::PersonName => Some(Class::Person),
            Kind::Address => Some(Class::Address),
            Kind::DateTime => Some(Class::Time),
            _ => None,
        }
    }

    fn kind(self) -> Option<Kind> {
        match self {
            Class::Other => None,
            Class::Person => Some(Kind::PersonName),
            Class::Address => Some(Kind::Address),
            Class::Time => Some(Kind::DateTime),
        }
    }
}

/// How far a class must score above `Other` before the tagger emits it (a name or a
/// street may score a little below it, a time must score above). Chosen on set 10 with
/// the tagger trained without it (see `docs/ANONYMISATION.md`).
const MARGIN: [f32; Class::COUNT] = [0.0, -3.0, 2.0, f32::INFINITY];

/// What the rules reject on purpose is no address for the tagger either: a generic German
/// street or square word ("Hauptstraße"), or a number before a lower-case word, which
/// makes it a quantity ("via London 3 times", "4 people").
fn vetoed_address(toks: &[Tok], i: usize) -> bool {
    let t = &toks[i];
    crate::patterns::address::is_generic_place_word(&t.lower)
        || (t.shape == Shape::Number
            && toks
                .get(i + 1)
                .is_some_and(|n| n.shape == Shape::Lower && n.lower.chars().count() >= 3))
}

/// The margin a given name that is also a word or a place ("Jordan", "Will") needs to be
/// tagged a person.
const AMBIGUOUS_NAME_MARGIN: f32 = 8.0;

/// The margin a lone word that no name list knows needs to be tagged a person on its own
/// (next to no other person token): as high as an ambiguous name's. Chosen on set 20 before
/// the tagger was trained on it: 13 of its 71 false names go, none of its names is lost.
const LONE_NAME_MARGIN: f32 = 8.0;

/// The margin a lone capitalised word needs to be tagged an address on its own.
const LONE_ADDRESS_MARGIN: f32 = f32::INFINITY;

/// Share (in percent) of labelled details whose rule findings are hidden in a training
/// pass (rule dropout, see [`train_tagger`]).
const DROPOUT_PERCENT: u64 = 80;

/// Training passes over the corpus.
pub const EPOCHS: usize = 15;

/// A number the tagger may call a time: a day of the month or an hour ("28", "9",
/// "20th", "4º"), or a clock time with valid hours and minutes ("7.15"); a word always.
/// Not "115.40", "130gsm", "8.2.1".
fn plausible_time(t: &Tok) -> bool {
    if t.shape != Shape::Number {
        return true;
    }
    let digits: String = t.lower.chars().take_while(char::is_ascii_digit).collect();
    let rest = &t.lower[digits.len()..];
    let Ok(first) = digits.parse::<u32>() else {
        return false;
    };
    if let Some(minutes) = rest.strip_prefix(['.', ':']) {
        return first <= 24 && minutes.len() == 2 && minutes.parse::<u32>().is_ok_and(|m| m < 60);
    }
    first <= 31
        && matches!(
            rest,
            "" | "st" | "nd" | "rd" | "th" | "º" | "ª" | "er" | "e" | "h" | "ᵉ"
        )
}

/// Tokens the tagger considers: capitalised words and numbers, and a chat speaker
/// ("dean: …") in any case.
fn candidate(toks: &[Tok], i: usize) -> bool {
    let t = &toks[i];
    t.shape.is_capitalised() || t.shape == Shape::Number || speaker(toks, i)
}

/// A chat speaker: a word before a colon, first on its line or after only a time stamp
/// or marks ("dean: …", "06:02 dean: …", "[06:02] dean: …").
pub(crate) fn speaker(toks: &[Tok], i: usize) -> bool {
    if !toks[i].shape.is_word() || toks.get(i + 1).is_none_or(|n| n.lower != ":") {
        return false;
    }
    let mut j = i;
    while j > 0 && i - j < 4 {
        if toks[j].line_start {
            return true;
        }
        j -= 1;
        if toks[j].shape.is_word() {
            return false;
        }
    }
    toks[j].line_start
}

/// Kind of the finding covering each token, if any.
fn coverage(toks: &[Tok], findings: &[Finding]) -> Vec<Option<Kind>> {
    let mut out = vec![None; toks.len()];
    let mut j = 0;
    for (slot, t) in out.iter_mut().zip(toks) {
        while j < findings.len() && findings[j].end <= t.start {
            j += 1;
        }
        if let Some(f) = findings.get(j) {
            if f.start < t.end && f.end > t.start {
                *slot = Some(f.kind);
            }
        }
    }
    out
}

#[derive(Debug)]
pub(crate) struct Tagger {
    model: Perceptron,
}

impl Tagger {
    pub(crate) fn new() -> Tagger {
        Tagger {
            model: Perceptron::from_text(WEIGHTS),
        }
    }

    /// Tags `toks` left to right; `None` where the token is no candidate or covered.
    fn tag_tokens(&self, names: &Names, ctx: &DocContext) -> Vec<Class> {
        let mut tags = vec![Class::Other; ctx.toks.len()];
        let mut margins = vec![0f32; ctx.toks.len()];
        for i in 0..ctx.toks.len() {
            if ctx.rule[i].is_some() || !candidate(ctx.toks, i) {
                continue;
            }
            let scores = self.model.scores(&features(names, ctx, &tags, i));
            let best = Class::best_detail(&scores);
            margins[i] = scores[best.index()] - scores[Class::Other.index()];
            if margins[i] > MARGIN[best.index()]
                && (best != Class::Time || plausible_time(&ctx.toks[i]))
                && (best != Class::Address || !vetoed_address(ctx.toks, i))
                && (best != Class::Person
                    || names.word_flags(&ctx.toks[i].lower) != WordFlags::Ambiguous
                    || margins[i] > AMBIGUOUS_NAME_MARGIN)
            {
                tags[i] = best;
            }
        }
        // Round 19: one word alone that no name list knows is a person only on firmer
        // evidence ("Sitzer", "Mangel", "Rollator" in set 20's German lists), and a title
        // alone ("Señor haitiano", "la Dra") never is, whatever its margin.
        for i in 0..tags.len() {
            if tags[i] != Class::Person {
                continue;
            }
            let title = names.is_title(&ctx.toks[i].lower);
            if margins[i] > LONE_NAME_MARGIN && !title {
                continue;
            }
            let person_at = |j: Option<usize>| {
                j.is_some_and(|j| {
                    tags.get(j) == Some(&Class::Person)
                        || ctx.rule.get(j) == Some(&Some(Kind::PersonName))
                })
            };
            let unknown = matches!(
                names.word_flags(&ctx.toks[i].lower),
                WordFlags::Unknown | WordFlags::NotName
            );
            if (unknown || title) && !person_at(i.checked_sub(1)) && !person_at(Some(i + 1)) {
                tags[i] = Class::Other;
            }
        }
        // One capitalised word alone is a place only on firmer evidence ("the Crown
        // Court", "High Court writ" are no addresses) unless it touches an address.
        let address_at = |j: Option<usize>, tags: &[Class]| {
            j.is_some_and(|j| {
                tags.get(j) == Some(&Class::Address)
                    || ctx.rule.get(j) == Some(&Some(Kind::Address))
            })
        };
        for i in 0..tags.len() {
            if tags[i] != Class::Address || margins[i] > LONE_ADDRESS_MARGIN {
                continue;
            }
            let before = i.checked_sub(1);
            let before_comma = i
                .checked_sub(2)
                .filter(|_| before.is_some_and(|b| ctx.toks[b].lower == ","));
            let after_comma = ctx
                .toks
                .get(i + 1)
                .filter(|t| t.lower == ",")
                .map(|_| i + 2);
            if !(address_at(before, &tags)
                || address_at(before_comma, &tags)
                || address_at(Some(i + 1), &tags)
                || address_at(after_comma, &tags))
            {
                tags[i] = Class::Other;
            }
        }
        tags
    }

    /// `rules`: the rule findings of `text`, sorted and non-overlapping. Returns them
    /// with the tagger's findings added (sorted, non-overlapping).
    pub(crate) fn extend(&self, names: &Names, text: &str, rules: Vec<Finding>) -> Vec<Finding> {
        if self.model.len() == 0 {
            return rules;
        }
        let toks = tokenise(text);
        let ctx = DocContext::new(&toks, coverage(&toks, &rules));
        let mut tags = self.tag_tokens(names, &ctx);
        echo_names(names, &toks, &ctx.rule, &mut tags);
        self.grow(names, &ctx, &mut tags);
        let spans = spans(text, &toks, &tags);
        merge(text, rules, spans)
    }
}

/// Copulas after a sentence's subject ("… is a course", "… est un cours", "… ist ein").
const SUBJECT_COPULAS: &[&str] = &[
    "is", "are", "was", "were", "es", "son", "era", "est", "sont", "était", "ist", "sind", "war",
    "è", "sono",
];

impl Tagger {
    /// Grows each tagged run over up to three uncovered lower-case words or marks on its
    /// left and one on its right that the model gives to the same class ("via dell'" +
    /// "Industria 21"), and drops runs with no word of two letters or more ("3", "OG").
    fn grow(&self, names: &Names, ctx: &DocContext, tags: &mut [Class]) {
        let toks = ctx.toks;
        let same = |tags: &[Class], j: usize, class: Class| {
            // Only lower-case words (and elided articles) are grown over, never marks.
            if ctx.rule[j].is_some() || toks[j].shape != Shape::Lower {
                return false;
            }
            let scores = self.model.scores(&features(names, ctx, tags, j));
            Class::best(&scores) == class
        };
        let mut i = 0;
        while i < toks.len() {
            let class = tags[i];
            if class == Class::Other {
                i += 1;
                continue;
            }
            let mut end = i;
            while end + 1 < toks.len() && tags[end + 1] == class {
                end += 1;
            }
            // A time the tagger finds alone has a number in it: a weekday or a month
            // alone is no detail ("the meeting on Monday").
            if class == Class::Time {
                if !(i..=end).any(|k| toks[k].shape == Shape::Number) {
                    for t in tags.iter_mut().take(end + 1).skip(i) {
                        *t = Class::Other;
                    }
                }
                i = end + 1;
                continue;
            }
            let wordy = (i..=end).any(|k| {
                toks[k].shape.is_word()
                    && toks[k].lower.chars().filter(|c| c.is_alphabetic()).count() >= 2
            });
            if !wordy {
                for t in tags.iter_mut().take(end + 1).skip(i) {
                    *t = Class::Other;
                }
                i = end + 1;
                continue;
            }
            // "Corso Base is a course for beginners": a sentence's subject with no number,
            // which the next word says is a thing, is what the sentence is about, not a
            // place someone is at.
            if class == Class::Address
                && toks[i].sentence_start
                && !(i..=end).any(|k| toks[k].shape == Shape::Number)
                && toks
                    .get(end + 1)
                    .is_some_and(|t| SUBJECT_COPULAS.contains(&t.lower.as_str()))
            {
                for t in tags.iter_mut().take(end + 1).skip(i) {
                    *t = Class::Other;
                }
                i = end + 1;
                continue;
            }
            let word_at = |k: Option<usize>| {
                k.and_then(|k| toks.get(k))
                    .filter(|t| t.shape.is_word())
                    .map(|t| (t.lower.as_str(), t.shape.is_capitalised()))
            };
            if class == Class::Person
                && names.blocks_person(word_at(i.checked_sub(1)), word_at(Some(end + 1)))
            {
                for t in tags.iter_mut().take(end + 1).skip(i) {
                    *t = Class::Other;
                }
                i = end + 1;
                continue;
            }
            let mut start = i;
            while start > 0 && i - start < 3 && same(tags, start - 1, class) {
                start -= 1;
                tags[start] = class;
            }
            if end + 1 < toks.len() && same(tags, end + 1, class) {
                end += 1;
                tags[end] = class;
            }
            i = end + 1;
        }
    }
}

/// A one-word name the tagger found is that person wherever the same word recurs
/// uncovered (same spelling; a chat speaker in any case), and so is the given name of a
/// full name the rules found ("Brannagh Hale … Brannagh will chair") unless it is also
/// an ordinary word or a title.
fn echo_names(names: &Names, toks: &[Tok], rule: &[Option<Kind>], tags: &mut [Class]) {
    let mut found: Vec<(String, bool)> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if rule[i] != Some(Kind::PersonName) {
            i += 1;
            continue;
        }
        let mut end = i;
        while end + 1 < toks.len() && rule[end + 1] == Some(Kind::PersonName) {
            end += 1;
        }
        let words: Vec<&Tok> = toks[i..=end]
            .iter()
            .filter(|t| t.shape == Shape::Cap)
            .collect();
        if let [given, _, ..] = words.as_slice() {
            let plain = matches!(
                names.word_flags(&given.lower),
                WordFlags::First | WordFlags::FirstAndSurname | WordFlags::Unknown
            );
            if plain && !names.is_title(&given.lower) && given.lower.chars().count() >= 3 {
                found.push((given.lower.clone(), false));
            }
        }
        i = end + 1;
    }
    for (i, t) in toks.iter().enumerate() {
        if tags[i] == Class::Person {
            let alone =
                tags.get(i + 1) != Some(&Class::Person) && (i == 0 || tags[i - 1] != Class::Person);
            if alone && t.lower.chars().count() >= 3 {
                found.push((t.lower.clone(), speaker(toks, i) || t.shape == Shape::Lower));
            }
        }
    }
    for (i, t) in toks.iter().enumerate() {
        if tags[i] != Class::Other || rule[i].is_some() || !t.shape.is_word() {
            continue;
        }
        if found
            .iter()
            .any(|(w, any_case)| *w == t.lower && (*any_case || t.shape.is_capitalised()))
        {
            tags[i] = Class::Person;
        }
    }
}

/// Runs of tokens with the same class, joined by spaces, an apostrophe or a hyphen, or
/// across one short lowercase particle between two tagged words ("San Vicente de Paúl").
fn spans(text: &str, toks: &[Tok], tags: &[Class]) -> Vec<(Class, usize, usize)> {
    let mut out: Vec<(Class, usize, usize)> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let class = tags[i];
        if class == Class::Other {
            i += 1;
            continue;
        }
        let (start, mut end) = (toks[i].start, toks[i].end);
        let mut j = i + 1;
        while j < toks.len() {
            let gap = text.get(end..toks[j].start).unwrap_or("x");
            // One or two spaces: three or a tab part the columns of a table ("Second: Rhys
            // ap Gwilym   Kitchen: Nkechi"), not the words of one name.
            let gap_ok = gap.len() <= 2 && gap.chars().all(|c| c == ' ');
            if tags[j] == class && gap_ok {
                end = toks[j].end;
                j += 1;
                continue;
            }
            let particle = toks[j].shape == Shape::Lower && toks[j].lower.chars().count() <= 3;
            if particle && gap_ok && tags.get(j + 1) == Some(&class) && class != Class::Time {
                end = toks[j + 1].end;
                j += 2;
                continue;
            }
            break;
        }
        out.push((class, start, end));
        i = j;
    }
    out
}

/// Adds the tagger's spans to the rule findings; a span that touches a rule finding of
/// the same kind (only spaces or a comma between) becomes one finding with it.
fn merge(text: &str, mut rules: Vec<Finding>, spans: Vec<(Class, usize, usize)>) -> Vec<Finding> {
    for (class, start, end) in spans {
        let Some(kind) = class.kind() else { continue };
        let (mut s, mut e) = (start, end);
        let touches = |a: usize, b: usize| {
            text.get(a..b)
                .is_some_and(|g| g.len() <= 3 && g.chars().all(|c| c == ' ' || c == ','))
        };
        rules.retain(|f| {
            let joined = f.kind == kind
                && ((f.end <= s && touches(f.end, s)) || (f.start >= e && touches(e, f.start)));
            if joined {
                s = s.min(f.start);
                e = e.max(f.end);
            }
            !joined
        });
        crate::patterns::push(&mut rules, kind, text, s, e);
    }
    crate::resolve::resolve(rules)
}

/// One labelled text for training.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct LabelledText {
    /// The text without its label markup.
    pub text: String,
    /// Labelled spans: kind and byte range in `text`.
    pub labels: Vec<(Kind, usize, usize)>,
    /// The findings of the rules alone on `text` ([`crate::Anonymiser::scan_rules`]).
    pub rule_findings: Vec<Finding>,
}

/// Trains the tagger on `docs` ([`EPOCHS`] passes in a fixed shuffled order) and returns
/// the weights in the format of `data/tagger_weights.txt`.
///
/// Rule dropout: the tagger only ever sees tokens the rules missed, and on the tuning
/// corpus the rules miss few, so in each pass most labelled details ([`DROPOUT_PERCENT`])
/// lose their rule findings, as if no rule had found them, and the tagger learns them from
/// their own text and context.
#[doc(hidden)]
pub fn train_tagger(docs: &[LabelledText]) -> String {
    let epochs = EPOCHS;
    let names = Names::new();
    let mut trainer = Trainer::default();
    let prepared: Vec<(Vec<Tok>, Vec<Option<Class>>)> = docs
        .iter()
        .map(|d| {
            let toks = tokenise(&d.text);
            let gold = toks
                .iter()
                .map(|t| {
                    match d.labels.iter().find(|(_, s, e)| *s < t.end && *e > t.start) {
                        None => Some(Class::Other),
                        // Tokens of other labelled kinds (plates, aliases…) teach nothing
                        // about the three classes and are left out.
                        Some((kind, _, _)) => Class::of_kind(*kind),
                    }
                })
                .collect();
            (toks, gold)
        })
        .collect();
    // A fixed shuffle of the document order per epoch (a small LCG), so training is
    // reproducible.
    let mut order: Vec<usize> = (0..prepared.len()).collect();
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..epochs {
        for k in (1..order.len()).rev() {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            order.swap(k, (seed >> 33) as usize % (k + 1));
        }
        for &d in &order {
            let (toks, gold) = &prepared[d];
            // Rule dropout (see above).
            let doc = &docs[d];
            let kept: Vec<Finding> = doc
                .rule_findings
                .iter()
                .filter(|f| {
                    !doc.labels.iter().any(|(_, s, e)| {
                        seed = seed
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1_442_695_040_888_963_407);
                        *s < f.end && *e > f.start && (seed >> 40) % 100 < DROPOUT_PERCENT
                    })
                })
                .cloned()
                .collect();
            let ctx = DocContext::new(toks, coverage(toks, &kept));
            let mut tags = vec![Class::Other; toks.len()];
            for i in 0..toks.len() {
                // Lower-case words are learnt too: they are never tagged alone, but a
                // span grows over them ("via dell'" before "Industria 21").
                if !candidate(toks, i) && !toks[i].shape.is_word() {
                    continue;
                }
                let Some(g) = gold[i] else { continue };
                let feats = features(&names, &ctx, &tags, i);
                tags[i] = trainer.learn(&feats, g);
            }
        }
    }
    trainer.finish(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_weights_load() {
        let n = Tagger::new().model.len();
        assert!(n > 1000, "{n} weights");
    }
}

//! Hand-made features of one token for the tagger: its shape, length, ending, membership
//! of the name lists, what stands around it (words, marks, and what the rules or the
//! tagger already found there) and what the same text says about the same word elsewhere.

use std::collections::{HashMap, HashSet};

use super::tokens::{Shape, Tok};
use super::Class;
use crate::names::Names;
use crate::Kind;

/// What the rules found over each token, and what the text says about its words.
pub(crate) struct DocContext<'a> {
    pub(crate) toks: &'a [Tok],
    /// Kind of the rule finding covering each token, if any.
    pub(crate) rule: Vec<Option<Kind>>,
    /// Words the text also writes in lower case (ordinary words here).
    lower_seen: HashSet<String>,
    /// Words that the rules found, somewhere in the text, inside a finding of this kind.
    echo: HashMap<String, Vec<Kind>>,
    /// The text is mostly lower case (chat).
    informal: bool,
    /// The language most of its function words belong to ("via" is a street in Italian
    /// and a preposition in English).
    lang: &'static str,
}

/// Frequent function words of the five languages, for a rough guess of the language.
const FUNCTION_WORDS: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "the", "and", "of", "to", "we", "is", "was", "with", "for", "at", "on", "it", "they",
            "from",
        ],
    ),
    (
        "es",
        &[
            "el", "los", "las", "y", "que", "del", "en", "por", "con", "una", "para", "es",
        ],
    ),
    (
        "fr",
        &[
            "le", "les", "et", "des", "du", "est", "une", "pour", "avec", "au", "sur", "nous",
        ],
    ),
    (
        "de",
        &[
            "der", "die", "das", "und", "ist", "nicht", "mit", "ein", "eine", "wir", "auf", "den",
        ],
    ),
    (
        "it",
        &[
            "il", "di", "che", "della", "e", "per", "con", "alle", "siamo", "gli", "nel", "sono",
        ],
    ),
];

fn guess_language(toks: &[Tok]) -> &'static str {
    let mut best = ("?", 0usize);
    for (lang, words) in FUNCTION_WORDS {
        let n = toks
            .iter()
            .filter(|t| words.contains(&t.lower.as_str()))
            .count();
        if n > best.1 {
            best = (lang, n);
        }
    }
    best.0
}

impl<'a> DocContext<'a> {
    pub(crate) fn new(toks: &'a [Tok], rule: Vec<Option<Kind>>) -> DocContext<'a> {
        let mut lower_seen = HashSet::new();
        let mut echo: HashMap<String, Vec<Kind>> = HashMap::new();
        let (mut words, mut lower_words) = (0usize, 0usize);
        for (t, r) in toks.iter().zip(&rule) {
            if !t.shape.is_word() {
                continue;
            }
            words += 1;
            if t.shape == Shape::Lower {
                lower_words += 1;
                lower_seen.insert(t.lower.clone());
            }
            if let Some(kind) = r {
                if matches!(kind, Kind::PersonName | Kind::Address) && t.shape.is_capitalised() {
                    let kinds = echo.entry(t.lower.clone()).or_default();
                    if !kinds.contains(kind) {
                        kinds.push(*kind);
                    }
                }
            }
        }
        DocContext {
            toks,
            rule,
            lower_seen,
            echo,
            informal: words >= 20 && lower_words * 100 >= words * 85,
            lang: guess_language(toks),
        }
    }
}

/// Street types of the five languages, written before or after the name (round 12):
/// "calle", "via", "rue", "Street", "Allee" standing next to a word say it is a street.
const STREET_TYPES: &[&str] = &[
    "street",
    "st",
    "road",
    "rd",
    "lane",
    "avenue",
    "ave",
    "close",
    "grove",
    "terrace",
    "drive",
    "crescent",
    "row",
    "walk",
    "square",
    "gardens",
    "mews",
    "parade",
    "way",
    "place",
    "court",
    "estate",
    "calle",
    "c",
    "avenida",
    "avda",
    "paseo",
    "plaza",
    "ronda",
    "glorieta",
    "travesía",
    "camino",
    "carretera",
    "carrer",
    "rambla",
    "avinguda",
    "passeig",
    "plaça",
    "rua",
    "polígono",
    "via",
    "viale",
    "corso",
    "piazza",
    "piazzale",
    "largo",
    "vicolo",
    "vico",
    "strada",
    "borgo",
    "salita",
    "lungomare",
    "rue",
    "boulevard",
    "bd",
    "quai",
    "impasse",
    "allée",
    "chemin",
    "cours",
    "cité",
    "résidence",
    "straße",
    "strasse",
    "str",
    "gasse",
    "weg",
    "allee",
    "platz",
    "damm",
    "ufer",
    "ring",
    "markt",
    "chaussee",
];

/// Endings of one-word street names (German and Dutch compounds).
const STREET_ENDINGS: &[&str] = &[
    "straße", "strasse", "str.", "gasse", "weg", "allee", "platz", "damm", "ufer", "ring", "markt",
    "chaussee", "steig", "hof", "straat", "gracht", "laan", "plein",
];

/// Words that place what follows ("at", "en", "dans", "im", "nella"): a capitalised word
/// and a number after one is often a street and its house number ("Atocha 117").
const LOCATIVES: &[&str] = &[
    "at", "in", "on", "near", "outside", "en", "a", "al", "de", "del", "desde", "junto", "à", "au",
    "dans", "rue", "chez", "près", "in", "im", "am", "an", "bei", "vor", "nella", "nel", "alla",
    "al", "in", "presso", "davanti",
];

/// The gazetteer class of a word: a street type, a street-like ending, or nothing.
fn gazetteer(lower: &str) -> Option<&'static str> {
    if STREET_TYPES.contains(&lower) {
        Some("type")
    } else if lower.chars().count() > 5 && STREET_ENDINGS.iter().any(|e| lower.ends_with(e)) {
        Some("ending")
    } else {
        None
    }
}

fn len_bucket(n: usize) -> &'static str {
    match n {
        0..=1 => "1",
        2 => "2",
        3 => "3",
        4..=5 => "4-5",
        6..=8 => "6-8",
        _ => "9+",
    }
}

fn number_bucket(lower: &str) -> &'static str {
    let digits: String = lower.chars().take_while(char::is_ascii_digit).collect();
    let value: u32 = digits.parse().unwrap_or(u32::MAX);
    let glued = lower.len() > digits.len();
    match (value, glued) {
        (_, true) if lower.contains(['.', ':']) => "clock",
        (_, true) => "suffixed",
        (0..=12, _) => "1-12",
        (13..=24, _) => "13-24",
        (25..=31, _) => "25-31",
        (32..=999, _) => "32-999",
        (1000..=2100, _) if digits.len() == 4 => "year-or-block",
        _ => "big",
    }
}

fn ending(lower: &str, n: usize) -> Option<String> {
    let chars: Vec<char> = lower.chars().collect();
    (chars.len() > n + 1).then(|| chars[chars.len() - n..].iter().collect())
}

/// What a neighbour is, for the features of the token next to it: found by a rule
/// (`r:` kind), tagged by the tagger (`m:` class) or nothing.
fn neighbour_tag(ctx: &DocContext, tags: &[Class], j: usize) -> String {
    match ctx.rule.get(j).copied().flatten() {
        Some(kind) => format!("r:{}", kind.as_str()),
        None => match tags.get(j) {
            Some(c) if *c != Class::Other => format!("m:{}", c.as_str()),
            _ => "-".to_string(),
        },
    }
}

fn word_of<'a>(ctx: &'a DocContext, j: Option<usize>) -> &'a str {
    match j.and_then(|j| ctx.toks.get(j)) {
        Some(t) if t.shape == Shape::Number => "<num>",
        Some(t) => t.lower.as_str(),
        None => "<none>",
    }
}

/// The features of token `i`. `tags` holds the tagger's own choice for the tokens before
/// `i` (it tags left to right).
pub(crate) fn features(names: &Names, ctx: &DocContext, tags: &[Class], i: usize) -> Vec<String> {
    let t = &ctx.toks[i];
    let mut f = Vec::with_capacity(40);
    let shape = t.shape.as_str();
    f.push("bias".to_string());
    f.push(format!("s={shape}"));
    f.push(format!("s={shape}&ss={}", t.sentence_start));
    f.push(format!("ls={}", t.line_start));
    f.push(format!("inf={}&s={shape}", ctx.informal));
    let chars = t.lower.chars().count();
    if t.shape == Shape::Number {
        f.push(format!("num={}", number_bucket(&t.lower)));
    } else {
        f.push(format!("len={}", len_bucket(chars)));
        if let Some(e) = ending(&t.lower, 3) {
            f.push(format!("suf3={e}"));
        }
        if let Some(e) = ending(&t.lower, 2) {
            f.push(format!("suf2={e}"));
        }
        if t.lower.contains('-') {
            f.push("hyphen".to_string());
        }
        let flags = names.word_flags(&t.lower);
        f.push(format!("lex={}", flags.as_str()));
        f.push(format!("lex={}&ss={}", flags.as_str(), t.sentence_start));
        if ctx.lower_seen.contains(&t.lower) && t.shape != Shape::Lower {
            f.push("lowerseen".to_string());
        }
        if let Some(kinds) = ctx.echo.get(&t.lower) {
            for k in kinds {
                f.push(format!("echo={}", k.as_str()));
            }
        }
    }
    let prev = i.checked_sub(1);
    let prev2 = i.checked_sub(2);
    let next = (i + 1 < ctx.toks.len()).then_some(i + 1);
    let next2 = (i + 2 < ctx.toks.len()).then_some(i + 2);
    let (p1, p2, n1, n2) = (
        word_of(ctx, prev),
        word_of(ctx, prev2),
        word_of(ctx, next),
        word_of(ctx, next2),
    );
    f.push(format!("p1={p1}"));
    f.push(format!("p2={p2}"));
    f.push(format!("p2p1={p2}_{p1}"));
    f.push(format!("n1={n1}"));
    f.push(format!("n2={n2}"));
    f.push(format!("n1n2={n1}_{n2}"));
    f.push(format!("p1={p1}&s={shape}"));
    f.push(format!("lang={}&s={shape}", ctx.lang));
    f.push(format!("lang={}&p1={p1}", ctx.lang));
    for (name, j) in [("p1", prev), ("n1", next)] {
        if let Some(n) = j.and_then(|j| ctx.toks.get(j)) {
            f.push(format!("{name}s={}", n.shape.as_str()));
            if n.shape.is_capitalised() {
                f.push(format!("{name}lex={}", names.word_flags(&n.lower).as_str()));
            }
        }
    }
    // Round 12: street gazetteer classes of the word and its neighbours, and a
    // capitalised word between a locative and a number.
    for (name, j) in [("w", Some(i)), ("p1", prev), ("p2", prev2), ("n1", next)] {
        if let Some(g) = j
            .and_then(|j| ctx.toks.get(j))
            .and_then(|n| gazetteer(&n.lower))
        {
            f.push(format!("gz{name}={g}&s={shape}"));
        }
    }
    let number_next = next
        .and_then(|j| ctx.toks.get(j))
        .is_some_and(|n| n.shape == Shape::Number);
    if t.shape.is_capitalised() && number_next && LOCATIVES.contains(&p1) {
        f.push("loc_cap_num".to_string());
    }
    if let Some(j) = prev {
        f.push(format!("p1t={}", neighbour_tag(ctx, tags, j)));
    }
    if let Some(j) = prev2 {
        f.push(format!("p2t={}", neighbour_tag(ctx, tags, j)));
    }
    if let Some(j) = next {
        // The tagger has not chosen for the next token yet: only the rules count.
        let tag = ctx
            .rule
            .get(j)
            .copied()
            .flatten()
            .map_or("-".to_string(), |k| format!("r:{}", k.as_str()));
        f.push(format!("n1t={tag}"));
    }
    if super::speaker(ctx.toks, i) {
        f.push("speaker".to_string());
        f.push(format!(
            "speaker&lex={}",
            names.word_flags(&t.lower).as_str()
        ));
    }
    f
}

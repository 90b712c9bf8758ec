//! Person names.
//!
//! There is no statistical model here: names are found from embedded lists
//! (see `data/`) combined with cues a human reader would use.
//!
//! 1. The text is split into word tokens; neighbouring capitalised tokens
//!    (joined by a single space, or by particles such as "de", "van") form a
//!    *run*, e.g. "Maria Lopez", "Sanne de Vries", "R. Thompson".
//! 2. A run is a name if it follows a title ("Mrs", "Sra.", "Herr") or a cue
//!    ("my name is", "said", "according to", "Familie"), precedes "said", or
//!    contains a known first name. Given names that are also ordinary words
//!    ("Will", "Grace", "Pilar") need more: a second name token, or a capital
//!    in mid-sentence where the word would otherwise be lowercase.
//! 3. Runs touching stop words (months, weekdays, brands, unions, places,
//!    street words) are cut there, and a run right after a capitalised
//!    organisation word ("Fondation Abbé Pierre") is not a person.
//! 4. In texts written mostly in lowercase (chat messages), unambiguous first
//!    names are also matched in lowercase ("jamal spoke to the agent").

use std::collections::HashSet;

use regex::Regex;

mod context;
mod firms;
pub(crate) mod joins;
mod lists;
mod not_persons;
mod rosters;

use lists::{
    org_place_set, word_set, NameSet, AMBIGUOUS, ARTICLES, CUES_BEFORE, ELISIONS, FIRST_NAMES,
    LOWER_TITLES, MONTH_NAMES, NOT_NAMES, PARTICLES, PLACE_NAMES, SAID_AFTER, SURNAMES, TITLES,
    WEAK_CUES,
};

use crate::patterns::push;
use crate::util::{char_at, char_before, compile, next_word};
use crate::{Finding, Kind};

#[derive(Debug)]
pub(crate) struct Names {
    first: NameSet,
    surnames: NameSet,
    ambiguous: HashSet<String>,
    stop: HashSet<String>,
    org_place: HashSet<String>,
    token: Option<Regex>,
}

/// A word's place in the name lists (see [`Names::word_flags`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WordFlags {
    NotName,
    Ambiguous,
    First,
    FirstAndSurname,
    Surname,
    Unknown,
}

impl WordFlags {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            WordFlags::NotName => "stop",
            WordFlags::Ambiguous => "ambiguous",
            WordFlags::First => "first",
            WordFlags::FirstAndSurname => "first+surname",
            WordFlags::Surname => "surname",
            WordFlags::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    start: usize,
    end: usize,
    lower: String,
    cap: bool,
    initial: bool,
    sentence_start: bool,
}

impl Names {
    pub(crate) fn new() -> Names {
        let ambiguous = word_set(AMBIGUOUS);
        // Ambiguous names are still given names, just weaker evidence.
        let mut first = word_set(FIRST_NAMES);
        first.extend(ambiguous.iter().cloned());
        Names {
            first: NameSet::new(first),
            surnames: NameSet::new(word_set(SURNAMES)),
            ambiguous,
            stop: word_set(NOT_NAMES),
            org_place: org_place_set(NOT_NAMES),
            token: compile(r"[\p{L}\p{M}][\p{L}\p{M}'’\-]*"),
        }
    }

    /// What the name lists say about a lowercased word, for the tagger's features.
    pub(crate) fn word_flags(&self, lower: &str) -> WordFlags {
        if self.stop.contains(lower) {
            WordFlags::NotName
        } else if self.ambiguous.contains(lower) {
            WordFlags::Ambiguous
        } else if self.first.contains(lower) || self.hyphenated_first(lower) {
            if self.surnames.contains(lower) {
                WordFlags::FirstAndSurname
            } else {
                WordFlags::First
            }
        } else if self.surnames.contains(lower) {
            WordFlags::Surname
        } else {
            WordFlags::Unknown
        }
    }

    /// Whether the words around a capitalised run make it no person, as the rules decide
    /// it ("métro Louis Blanc", "Fondation Abbé Pierre", "Rosa Luxemburg Stiftung"): for
    /// the tagger, which must not undo the rules' refusals. Each neighbour is given
    /// lowercased, with whether it was capitalised.
    pub(crate) fn blocks_person(
        &self,
        before: Option<(&str, bool)>,
        after: Option<(&str, bool)>,
    ) -> bool {
        let before_blocks = before.is_some_and(|(lower, cap)| {
            TRANSIT_WORDS.contains(&lower) || (cap && self.org_place.contains(lower))
        });
        let after_blocks = after.is_some_and(|(lower, cap)| cap && self.org_place.contains(lower));
        before_blocks || after_blocks
    }

    /// A title or a lowercase office word ("Mrs", "Herr", "l'avvocata"), lowercased.
    pub(crate) fn is_title(&self, lower: &str) -> bool {
        TITLES.contains(&lower) || LOWER_TITLES.contains(&lower)
    }

    fn is_first(&self, t: &Token) -> bool {
        (self.first.contains(&t.lower) && !self.stop.contains(&t.lower))
            || self.hyphenated_first(&t.lower)
    }

    /// "Jean-Baptiste", "Anne-Sophie", "Karl-Heinz": a compound given name whose first
    /// part is a clear given name. Not "Saint-Denis" (a place) nor a compound with a
    /// street or organisation word in it ("Karl-Marx-Allee").
    fn hyphenated_first(&self, lower: &str) -> bool {
        let parts: Vec<&str> = lower.split('-').collect();
        // Round 17c: Québécois "Ti-Guy", "Ti-Paul" (petit), a given name after "Ti-".
        if let ["ti", name] = parts.as_slice() {
            return self.first.contains(name);
        }
        parts.len() >= 2
            && parts.iter().all(|p| p.chars().count() >= 2)
            && !matches!(
                parts[0],
                "saint" | "sainte" | "st" | "ste" | "san" | "santa" | "sankt" | "santo"
            )
            && self.first.contains(parts[0])
            && !self.ambiguous.contains(parts[0])
            && parts.iter().all(|p| !self.stop.contains(*p))
    }

    fn is_clear_first(&self, t: &Token) -> bool {
        self.is_first(t) && !self.ambiguous.contains(&t.lower)
    }

    fn is_nameish(&self, t: &Token) -> bool {
        self.first.contains(&t.lower)
            || self.surnames.contains(&t.lower)
            || self.hyphenated_first(&t.lower)
    }

    fn usable(&self, t: &Token) -> bool {
        (t.cap || t.initial) && !self.stop.contains(&t.lower) && !TITLES.contains(&t.lower.as_str())
    }

    fn tokens(&self, text: &str) -> Vec<Token> {
        let Some(re) = &self.token else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for m in re.find_iter(text) {
            let mut s = m.as_str();
            // Possessive and trailing punctuation are not part of the name.
            for suffix in ["'s", "’s", "'", "’", "-"] {
                if let Some(stripped) = s.strip_suffix(suffix) {
                    s = stripped;
                }
            }
            // "l'avvocato", "dell'avvocata": the elided article is not part of the word.
            let mut start = m.start();
            if let Some(elision) = ELISIONS.iter().find(|e| {
                s.to_lowercase().starts_with(**e)
                    && s[e.len()..].starts_with(|c: char| c.is_lowercase())
            }) {
                s = &s[elision.len()..];
                start += elision.len();
            }
            if s.is_empty() {
                continue;
            }
            let end = start + s.len();
            // "MA19 CXE", "B2B": letters glued to digits are a code, not a name.
            if char_at(text, end).is_some_and(|c| c.is_ascii_digit()) {
                continue;
            }
            let mut chars = s.chars();
            let first = chars.next().unwrap_or(' ');
            let cap = first.is_uppercase();
            let single = s.chars().count() == 1;
            let initial = single && cap && char_at(text, end) == Some('.');
            out.push(Token {
                start,
                end,
                lower: s.to_lowercase(),
                cap,
                initial,
                sentence_start: sentence_start(text, start),
            });
        }
        out
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        let tokens = self.tokens(text);
        let informal = is_informal(&tokens);
        // Words this text also writes in lowercase are ordinary words here.
        let lowercase_words: HashSet<&str> = tokens
            .iter()
            .filter(|t| !t.cap)
            .map(|t| t.lower.as_str())
            .collect();
        let mut i = 0;
        while i < tokens.len() {
            let t = &tokens[i];
            // "bât. D Geneviève Roussel", "scala A Franca Zanetti": a letter after a
            // building word names the building, not a person's initial.
            if t.cap
                && !t.initial
                && t.lower.chars().count() == 1
                && after_building_word(text, t.start)
            {
                i += 1;
                continue;
            }
            // A title starts a name whatever follows, if something capitalised does.
            let lower_title = !t.cap && LOWER_TITLES.contains(&t.lower.as_str());
            if (TITLES.contains(&t.lower.as_str()) && t.cap) || lower_title {
                if let Some((end_idx, span_end)) = self.after_title(text, &tokens, i) {
                    push(out, Kind::PersonName, text, t.start, span_end);
                    i = end_idx + 1;
                    continue;
                }
            }
            // "Jan Petersen", "May Chen", "April Jones": a month word that is also a given
            // name, right before a known surname.
            if t.cap && MONTH_NAMES.contains(&t.lower.as_str()) {
                if let Some(next) = tokens.get(i + 1) {
                    if joined(text, t, next) && next.cap && self.surnames.contains(&next.lower) {
                        let run_end = self.run_end(text, &tokens, i + 1);
                        push(out, Kind::PersonName, text, t.start, tokens[run_end].end);
                        i = run_end + 1;
                        continue;
                    }
                }
            }
            // "la famiglia El Amrani", "Familie Al Khatib": a capitalised particle starts
            // the name after a family cue.
            if t.cap
                && PARTICLES.contains(&t.lower.as_str())
                && self.cue_before(text, t.start, false)
            {
                if let Some(next) = tokens.get(i + 1) {
                    if joined(text, t, next) && self.usable(next) && next.cap {
                        let run_end = self.run_end(text, &tokens, i + 1);
                        push(out, Kind::PersonName, text, t.start, tokens[run_end].end);
                        i = run_end + 1;
                        continue;
                    }
                }
            }
            // "the Adebayo hearing", "the Okafor family": a known surname between an
            // article and a noun that belongs to a person or a household.
            if t.cap
                && !t.sentence_start
                && self.surnames.contains(&t.lower)
                && !self.stop.contains(&t.lower)
                && prev_is(
                    text,
                    t.start,
                    &["the", "la", "le", "el", "il", "die", "der"],
                )
                && next_word(text, t.end).is_some_and(|w| HOUSEHOLD_NOUNS.contains(&w.as_str()))
            {
                push(out, Kind::PersonName, text, t.start, t.end);
                i += 1;
                continue;
            }
            if self.usable(t) && !(t.initial && TITLES.contains(&t.lower.as_str())) {
                let run_end = self.run_end(text, &tokens, i);
                if self.is_name_run(text, &tokens, &lowercase_words, i, run_end) {
                    let (s, e) = self.trim_run(&tokens, i, run_end);
                    push(out, Kind::PersonName, text, tokens[s].start, tokens[e].end);
                }
                i = run_end + 1;
                continue;
            }
            if informal && !t.cap && t.lower.chars().count() >= 3 && self.is_clear_first(t) {
                push(out, Kind::PersonName, text, t.start, t.end);
            }
            i += 1;
        }
    }

    /// Index of the last token of the run starting at `i`.
    fn run_end(&self, text: &str, tokens: &[Token], i: usize) -> usize {
        let mut end = i;
        let mut j = i + 1;
        while j < tokens.len() && j - i < 6 {
            let prev = &tokens[end];
            let next = &tokens[j];
            if joined(text, prev, next) && self.usable(next) {
                end = j;
                j += 1;
                continue;
            }
            // A particle ("de", "van") joins only if a usable token follows; a capitalised
            // one ("Samira El Idrissi", "Kevin De Bruyne") only right after a given name.
            if joined(text, prev, next)
                && PARTICLES.contains(&next.lower.as_str())
                && (!next.cap || (end == i && self.is_first(prev)))
            {
                // Two lowercase particles in a row: "María de la Fuente", "Pieter van
                // der Berg", "Juan de los Santos".
                // "Émilie Van den Bossche": a lowercase second particle after a
                // capitalised first.
                let second = tokens.get(j + 1).filter(|p| {
                    !p.cap && joined(text, next, p) && PARTICLES.contains(&p.lower.as_str())
                });
                let name_at = if second.is_some() { j + 2 } else { j + 1 };
                let name_after = tokens[name_at - 1..].get(1).is_some_and(|n| {
                    joined(text, &tokens[name_at - 1], n) && self.usable(n) && n.cap
                });
                if name_after {
                    end = name_at;
                    j = name_at + 1;
                    continue;
                }
            }
            break;
        }
        end
    }

    fn is_name_run(
        &self,
        text: &str,
        tokens: &[Token],
        lowercase_words: &HashSet<&str>,
        s: usize,
        e: usize,
    ) -> bool {
        let run = &tokens[s..=e];
        let words: Vec<&Token> = run.iter().filter(|t| t.cap && !t.initial).collect();
        if words.is_empty() {
            return false;
        }
        let first_tok = &tokens[s];
        // "Fondation Abbé Pierre", "St Barnabas": right after an
        // organisation or place word in the same capitalised phrase.
        if s > 0 {
            let prev = &tokens[s - 1];
            let org = self.org_place.contains(&prev.lower)
                || (!prev.sentence_start && self.stop.contains(&prev.lower));
            let building_letter =
                prev.lower.chars().count() == 1 && after_building_word(text, prev.start);
            // Round 10: a station after a lowercase transit word ("métro Jean Macé").
            let transit = TRANSIT_WORDS.contains(&prev.lower.as_str());
            if (prev.cap && org || transit) && joined(text, prev, first_tok) && !building_letter {
                return false;
            }
        }
        // "Rosa Luxemburg Stiftung", "Martin Luther King Street".
        if let Some(next) = tokens.get(e + 1) {
            if next.cap && self.org_place.contains(&next.lower) && joined(text, &tokens[e], next) {
                return false;
            }
        }
        let clear_first = words.iter().any(|t| self.is_clear_first(t));
        let any_first = words.iter().any(|t| self.is_first(t));
        let nameish = words.iter().filter(|t| self.is_nameish(t)).count();
        let strong_cue = self.cue_before(text, first_tok.start, false);
        let weak_cue = self.cue_before(text, first_tok.start, true);
        let said = said_after(text, tokens[e].end);
        let after_article = article_before(text, first_tok.start);
        // "said" after the run is strong evidence only when the run could be a name:
        // not "Die Vermieterin sagte" (a capitalised noun after an article) nor a lone
        // sentence opener that the same text also writes in lowercase ("Someone
        // asked", where "someone" appears elsewhere): a capital at a sentence start says
        // nothing.
        let lone_opener = words.len() == 1 && first_tok.sentence_start;
        let said_ok = said
            && words.len() <= 3
            && (nameish > 0
                || !(after_article
                    || (lone_opener
                        && (lowercase_words.contains(first_tok.lower.as_str())
                            || common_noun_shape(&first_tok.lower)))));
        // A place name in a list of places is a place, whatever cue came before the list.
        if words.len() == 1
            && PLACE_NAMES.contains(&words[0].lower.as_str())
            && self.in_place_list(text, words[0])
        {
            return false;
        }
        if strong_cue || said_ok {
            return true;
        }
        // "Grace, Hope and Will were the boats": a list of words that are all names only
        // in the weak sense is a list of words.
        if words.len() == 1 && !self.is_clear_first(words[0]) && self.ambiguous_list(text, words[0])
        {
            return false;
        }
        if after_article && !(words.len() >= 2 && any_first) {
            return false;
        }
        if clear_first {
            return true;
        }
        if any_first {
            // Ambiguous given name: needs a second name-like token, a weak
            // cue, or a capital in mid-sentence.
            return nameish >= 2 || weak_cue || !first_tok.sentence_start;
        }
        // "R. Thompson", "P. Eze": initial plus capitalised word. After a lowercase word
        // the "initial" may end a sentence ("escalier B. Huissier arrivé"): then the word
        // must be a known name.
        let after_lowercase_word = s > 0
            && !tokens[s - 1].cap
            && text.get(tokens[s - 1].end..tokens[s].start) == Some(" ");
        if tokens[s].initial
            && words.len() == 1
            && e > s
            && (!after_lowercase_word || self.is_nameish(words[0]))
        {
            return true;
        }
        // Unknown given name followed by a known surname: "Nkem Okafor".
        if words.len() == 2 && self.surnames.contains(&words[1].lower) && !first_tok.sentence_start
        {
            return true;
        }
        false
    }

    /// Drops a trailing lone initial that is really the start of the next
    /// sentence ("… Ewa. I think") – only when it is followed by a period
    /// and a capital, which `Token::initial` already encodes.
    fn trim_run(&self, tokens: &[Token], s: usize, e: usize) -> (usize, usize) {
        let (mut s, mut e) = (s, e);
        // "Call Maria Lopez": a capitalised sentence opener that is not
        // itself name-like is not part of the name.
        while s < e
            && tokens[s].sentence_start
            && !tokens[s].initial
            && !self.is_nameish(&tokens[s])
        {
            s += 1;
        }
        while e > s && tokens[e].initial && !tokens[s].initial {
            e -= 1;
        }
        (s, e)
    }

    /// Handles "Mr Patel", "Sra. Beatriz Navarro", "Mr. and Mrs. Nguyen".
    fn after_title(&self, text: &str, tokens: &[Token], i: usize) -> Option<(usize, usize)> {
        let title = &tokens[i];
        let mut j = i + 1;
        // "Mr and Mrs X", "Sr. y Sra. X"
        if let (Some(conj), Some(t2)) = (tokens.get(j), tokens.get(j + 1)) {
            if matches!(conj.lower.as_str(), "and" | "y" | "et" | "und" | "e")
                && TITLES.contains(&t2.lower.as_str())
                && title_gap(text, title, conj)
                && title_gap(text, conj, t2)
            {
                j += 2;
            }
        }
        let anchor = &tokens[j - 1];
        let next = tokens.get(j)?;
        if !title_gap(text, anchor, next) || !next.cap || self.stop.contains(&next.lower) {
            return None;
        }
        // "la abogada. Apuntadlo": only an abbreviated title ("Dr.", "Sra.", "dott.")
        // takes a period; after a title written out the period ends the sentence.
        let period = text
            .get(anchor.end..next.start)
            .is_some_and(|g| g.contains('.'));
        if period && anchor.lower.chars().count() > 4 {
            return None;
        }
        let end = self.run_end(text, tokens, j);
        // "M" and "D" are also initials, a lowercase "don" is also English and "Me"
        // (maître) is also the pronoun: insist on a name-like word after them.
        let weak_title = title.lower.chars().count() == 1
            || (!title.cap && title.lower == "don")
            || title.lower == "me";
        // Round 17: an initial with its period before a capitalised word is a name ("M.
        // Perrichon", "W. Tremayne") unless a building word gives the letter to a
        // staircase ("escalier B. Huissier"); any weak title before a double-barrelled
        // surname is one too ("Me Pichon-Lemaire").
        let initial_name = title.initial
            && !after_building_word(text, title.start)
            && !self.org_place.contains(&next.lower);
        let double_barrelled = title.cap
            && next
                .lower
                .split_once('-')
                .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
            && text
                .get(next.start..next.end)
                .is_some_and(|w| w.split('-').all(|p| p.starts_with(char::is_uppercase)));
        if weak_title
            && !(initial_name || double_barrelled)
            && !tokens[j..=end].iter().any(|t| self.is_nameish(t))
        {
            return None;
        }
        Some((end, tokens[end].end))
    }

    /// Whether `t` is one item of a list (split at commas and "and"/"y"/"et"/"und"/"e"/
    /// "or") in its sentence in which another item is a place: a capitalised phrase of at
    /// most three words ending in a place or organisation word ("Victoria Park").
    fn in_place_list(&self, text: &str, t: &Token) -> bool {
        let items = list_items(text, t.start);
        let strip = |item: &str| -> String {
            let lower = item.to_lowercase();
            for article in ["the ", "la ", "le ", "el ", "il ", "der ", "die ", "das "] {
                if lower.starts_with(article) {
                    return item[article.len()..].to_string();
                }
            }
            item.to_string()
        };
        let word = text.get(t.start..t.end).unwrap_or("");
        let is_candidate = |item: &str| {
            strip(item).starts_with(word)
                && strip(item)[word.len()..].starts_with(|c: char| !c.is_alphanumeric())
                || strip(item) == word
        };
        let is_place = |item: &str| {
            let item = strip(item);
            let words: Vec<&str> = item.split_whitespace().collect();
            !words.is_empty()
                && words.len() <= 3
                && words
                    .iter()
                    .all(|w| w.starts_with(|c: char| c.is_uppercase() || c.is_ascii_digit()))
                && words
                    .last()
                    .is_some_and(|w| self.org_place.contains(&w.to_lowercase()))
        };
        let listed_with_places =
            items.iter().any(|i| is_candidate(i)) && items.iter().any(|i| is_place(i));
        listed_with_places || place_name_run(&items, word) >= 3
    }

    /// Whether `t` is in a run of at least three single-word list items ("Grace, Hope and
    /// Will") that are all given names only in the weak sense (also ordinary words).
    fn ambiguous_list(&self, text: &str, t: &Token) -> bool {
        let word = text.get(t.start..t.end).unwrap_or("");
        let items = list_items(text, t.start);
        let weak = |item: &String| {
            let lower = item.to_lowercase();
            item.split_whitespace().count() == 1
                && item.starts_with(char::is_uppercase)
                && self.ambiguous.contains(&lower)
                && !self.is_clear_first_word(&lower)
        };
        let last_of = |i: &String| i.split_whitespace().last().unwrap_or("").to_string();
        let first_of = |i: &String| i.split_whitespace().next().unwrap_or("").to_string();
        let Some(c) = items
            .iter()
            .position(|i| i == word || first_of(i) == word || last_of(i) == word)
        else {
            return false;
        };
        let (mut lo, mut hi) = (c, c);
        while lo > 0 && weak(&items[lo - 1]) {
            lo -= 1;
        }
        while hi + 1 < items.len() && weak(&items[hi + 1]) {
            hi += 1;
        }
        // The first and last items may start or end a longer phrase ("…named Grace",
        // "Will were the boats").
        let weak_word = |w: String| weak(&w);
        if lo > 0 && weak_word(last_of(&items[lo - 1])) {
            lo -= 1;
        }
        if hi + 1 < items.len() && weak_word(first_of(&items[hi + 1])) {
            hi += 1;
        }
        hi - lo + 1 >= 3
    }

    fn is_clear_first_word(&self, lower: &str) -> bool {
        self.first.contains(lower) && !self.ambiguous.contains(lower)
    }

    fn cue_before(&self, text: &str, start: usize, weak: bool) -> bool {
        let window = crate::util::before(text, start, 24);
        // Only spaces (and an opening quote or comma) between cue and name.
        let trimmed = window.trim_end_matches([' ', '\t', ',', '"', '“', '\'', '(']);
        if trimmed.len() == window.len() && !window.is_empty() {
            return false;
        }
        let lower = trimmed.to_lowercase();
        CUES_BEFORE.iter().any(|cue| {
            let is_weak = WEAK_CUES.contains(cue);
            is_weak == weak
                && lower.ends_with(cue)
                && lower[..lower.len() - cue.len()]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric())
        })
    }
}

/// Lowercase words after which a capitalised run names a station, not a person.
const TRANSIT_WORDS: &[&str] = &[
    "métro",
    "metro",
    "gare",
    "station",
    "arrêt",
    "estación",
    "parada",
    "fermata",
    "stazione",
    "haltestelle",
    "bahnhof",
    "tram",
    "rer",
];

/// Nouns after "the <surname>" that make the surname a person's or a household's.
const HOUSEHOLD_NOUNS: &[&str] = &[
    "hearing",
    "case",
    "family",
    "household",
    "eviction",
    "trial",
    "appeal",
    "children",
    "kids",
    "flat",
    "house",
    "home",
    "tenancy",
    "brothers",
    "sisters",
    "twins",
];

/// Building words after which a lone capital letter is the building's: "bât. D", "scala
/// A", "Block C", "escalier B", "Aufgang C".
fn after_building_word(text: &str, start: usize) -> bool {
    let back = crate::util::before(text, start, 24);
    let back = back.trim_end().trim_end_matches('.');
    matches!(
        crate::util::prev_word(back, back.len()).as_str(),
        "bât"
            | "bâtiment"
            | "batiment"
            | "escalier"
            | "esc"
            | "scala"
            | "block"
            | "blk"
            | "wing"
            | "tower"
            | "entrance"
            | "stair"
            | "staircase"
            | "aufgang"
            | "haus"
            | "treppe"
            | "escalera"
            | "portal"
            | "bloque"
            | "torre"
            | "edificio"
            | "palazzina"
            | "interno"
            | "flat"
            | "unit"
    )
}

fn prev_is(text: &str, start: usize, words: &[&str]) -> bool {
    let gap_is_space = char_before(text, start).is_some_and(|c| c == ' ');
    gap_is_space && words.contains(&crate::util::prev_word(text, start).as_str())
}

/// The items of the list (split at commas and "and"/"y"/"et"/"und"/"e"/"or") in the
/// sentence around `at`, each trimmed.
fn list_items(text: &str, at: usize) -> Vec<String> {
    const ENDS: [char; 6] = ['.', '!', '?', '\n', ';', ':'];
    let head = crate::util::before(text, at, 300);
    let head = head.rsplit(ENDS).next().unwrap_or(head);
    let tail = crate::util::after(text, at, 300);
    let tail = tail.split(ENDS).next().unwrap_or(tail);
    let sentence = format!("{head}{tail}");
    let mut items = Vec::new();
    for part in sentence.split(',') {
        let mut rest = part;
        for conj in [" and ", " or ", " y ", " et ", " und ", " e ", " o "] {
            if let Some((a, b)) = rest.split_once(conj) {
                items.push(a.trim().to_string());
                rest = b;
            }
        }
        items.push(rest.trim().to_string());
    }
    items
}

/// "rooms named Victoria, Florence and Jordan": the length of the run of list items around
/// `word` that are all names which are also places. The first item may end a longer phrase
/// and the last may start one ("…named Victoria", "Jordan, after the old leaders").
fn place_name_run(items: &[String], word: &str) -> usize {
    let place = |w: &str| PLACE_NAMES.contains(&w.to_lowercase().as_str());
    let first = |i: &String| i.split_whitespace().next().unwrap_or("").to_string();
    let last = |i: &String| i.split_whitespace().last().unwrap_or("").to_string();
    let single = |i: &String| i.split_whitespace().count() == 1 && place(i);
    let Some(c) = items
        .iter()
        .position(|i| first(i) == word || last(i) == word)
    else {
        return 0;
    };
    let (mut lo, mut hi) = (c, c);
    while lo > 0 && single(&items[lo - 1]) {
        lo -= 1;
    }
    if lo > 0 && place(&last(&items[lo - 1])) {
        lo -= 1;
    }
    while hi + 1 < items.len() && single(&items[hi + 1]) {
        hi += 1;
    }
    if hi + 1 < items.len() && place(&first(&items[hi + 1])) {
        hi += 1;
    }
    hi - lo + 1
}

/// "Reception said", "Management told us": an abstract or collective noun by its ending.
/// Only used for a lone sentence opener that no name list knows ("Florence" and
/// "Constance" are in the lists and never get here).
fn common_noun_shape(lower: &str) -> bool {
    const ENDINGS: &[&str] = &[
        "tion", "sion", "ment", "ness", "ity", "ance", "ence", "ship", "ism", "ery", "ory", "ture",
        "ción", "sión", "dad", "miento", "ung", "heit", "keit", "schaft", "zione", "mento", "ité",
        "eur", "euse",
    ];
    lower.chars().count() > 5 && ENDINGS.iter().any(|e| lower.ends_with(e))
}

/// Tokens are in the same run when separated by exactly one space, or by
/// ". " after an initial ("R. Thompson").
fn joined(text: &str, a: &Token, b: &Token) -> bool {
    match text.get(a.end..b.start) {
        Some(" ") => !a.initial,
        Some(". ") => a.initial,
        _ => false,
    }
}

fn title_gap(text: &str, a: &Token, b: &Token) -> bool {
    matches!(text.get(a.end..b.start), Some(" " | ". " | "." | "\u{a0}"))
}

fn sentence_start(text: &str, start: usize) -> bool {
    let head = crate::util::before(text, start, 16);
    let trimmed =
        // Markdown headings ("# Long zine") and list marks start a sentence too.
        head.trim_end_matches([' ', '\t', '"', '“', '«', '(', '*', '•', '-', '–', '—', '>', '#']);
    match trimmed.chars().next_back() {
        None => head.len() < 16 || head.contains('\n'),
        Some(c) => matches!(c, '.' | '!' | '?' | '\n' | '¡' | '¿' | '…'),
    }
}

fn said_after(text: &str, end: usize) -> bool {
    let window = crate::util::after(text, end, 12).to_lowercase();
    let rest = window.trim_start_matches([',', ' ']);
    SAID_AFTER.iter().any(|w| {
        rest.starts_with(w)
            && rest[w.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric())
    })
}

fn article_before(text: &str, start: usize) -> bool {
    let prev = crate::util::prev_word(text, start);
    let gap_is_space = char_before(text, start).is_some_and(|c| c == ' ');
    gap_is_space && ARTICLES.contains(&prev.as_str())
}

/// Chat-style texts where people do not capitalise names either.
fn is_informal(tokens: &[Token]) -> bool {
    let starts: Vec<&Token> = tokens.iter().filter(|t| t.sentence_start).collect();
    let lower = starts.iter().filter(|t| !t.cap).count();
    starts.len() >= 2 && lower * 2 >= starts.len()
}

/// Person findings over the first occurrence of each span, passed through `drop`: what
/// the filters' unit tests keep of them.
#[cfg(test)]
fn kept_after(
    text: &str,
    spans: &[&str],
    drop: impl Fn(&Names, &str, &mut Vec<Finding>),
) -> Vec<String> {
    let mut out = Vec::new();
    for s in spans {
        let at = text.find(s).unwrap_or(0);
        push(&mut out, Kind::PersonName, text, at, at + s.len());
    }
    drop(&Names::new(), text, &mut out);
    out.into_iter().map(|f| f.text).collect()
}
